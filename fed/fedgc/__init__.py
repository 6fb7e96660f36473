"""FedGC-style generated subjects: each studio adds synthetic subjects to its private ones before federated training
(budget.py: how many and of what; prompts.py: what they are asked to be; generate.py: making them with data_tools)."""
