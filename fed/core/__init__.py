"""The federated algorithms without Flower (unit-tested on their own; the Flower apps call them).

weights.py      model weights as one flat vector, and screening of studio updates (NaN, shape, absurd norm);
server_opt.py   the server step: FedAvg, FedAvgM, FedAdagrad, FedYogi, FedAdam (FedOpt), with checkpointable state;
aggregation.py  weighted mean and the robust rules: coordinate median, trimmed mean, (multi-)Krum, norm clipping;
local.py        the studio's local training: plain (FedAvg), FedProx (proximal term), SCAFFOLD (control variates).
"""
