"""`usr parser train`: train the garment parser on synthetic label maps made photo-like (usr.parsing.data).

Starts from the ImageNet weights of EfficientNet-Lite0, or from a parser checkpoint (`init`: fine-tuning); its first
blocks are frozen, its batch-norm statistics too (the batches are small); class-balanced cross-entropy, Adam with exponential decay, in the shared
loop (usr.training.loop): a checkpoint every `checkpoint_every` steps (atomic; the run resumes from it) with the mean
IoU on a fixed set of augmented validation views appended to `<out>.log.jsonl`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from usr.io.state_file import read_state, write_state
from usr.labels import NUM_LABELS
from usr.backbone import pretrained_lite0
from usr.parsing.data import Clutter, batch, views_of
from usr.parsing.metrics import confusion, mean_iou
from usr.parsing.model import GarmentParser, ParserConfig
from usr.progress import Progress
from usr.training.loop import Schedule, TrainingLoop, resume

FORMAT = "usr-parser"


@dataclass(frozen=True)
class ParserTrainConfig:
    data: str
    out: str
    steps: int = 3000
    batch: int = 8
    lr: float = 1e-3
    backbone_lr_factor: float = 0.3
    lr_end_factor: float = 0.05
    checkpoint_every: int = 250
    seed: int = 0
    val_samples: int = 48
    size: int = 320  # square training pictures; the parser later runs with the longer side at this size
    frozen_blocks: int = 5  # stem + this many first backbone blocks keep their ImageNet weights (general edges/textures)
    rare_boost: float = 0.0  # views of subjects wearing outer/dress drawn (1 + this) times as often
    clutter: Clutter = field(default_factory=Clutter)  # real-room clutter in the training pictures (usr.parsing.data); off by default
    init: str = ""  # parser checkpoint whose weights start a new run (fine-tuning); "" = ImageNet backbone


def save_parser(path: Path, net: GarmentParser, step: int, optimizer=None, extra: dict | None = None) -> None:
    state = {"format": FORMAT, "version": 1, "config": net.config.to_json(), "step": step, "extra": extra or {},
             "weights": {k: v.detach().cpu() for k, v in net.state_dict().items()}}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    write_state(path, state)


def export_parser(src: Path, dst: Path) -> int:
    """Weights-only copy for shipping: no optimiser state, floating tensors stored as float16 (half the size).
    Returns the number of bytes written."""
    net, state = load_parser(src)
    small = {k: (v.half() if v.is_floating_point() else v) for k, v in net.state_dict().items()}
    out = {"format": FORMAT, "version": 1, "config": state["config"], "step": state["step"], "weights": small,
           "extra": {**state.get("extra", {}), "exported_from": str(src), "storage": "float16"}}
    return write_state(dst, out)


def load_parser(path: Path) -> tuple[GarmentParser, dict]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: parser checkpoint not found")
    state = read_state(path, FORMAT, "parser")
    net = GarmentParser(ParserConfig.from_json(state["config"]))
    net.load_state_dict({k: (v.float() if v.is_floating_point() else v) for k, v in state["weights"].items()})
    return net.eval(), state


def to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float() / 255.0


def class_weights(counts: np.ndarray) -> torch.Tensor:
    """Inverse square-root frequency, normalised to mean 1 (small classes such as shoes and hair count)."""
    w = 1.0 / np.sqrt(np.maximum(counts / counts.sum(), 1e-4))
    return torch.tensor(w / w.mean(), dtype=torch.float32)


@torch.no_grad()
def validate(net: GarmentParser, val: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    net.eval()
    conf = np.zeros((NUM_LABELS, NUM_LABELS), np.int64)
    for i in range(0, len(val[0]), 8):
        pred = net(to_tensor(val[0][i : i + 8])).argmax(1).numpy()
        conf += confusion(pred, val[1][i : i + 8], NUM_LABELS)
    present = conf.sum(1) > 0
    return {"val_miou": mean_iou(conf, present)}


def train_parser(config: ParserTrainConfig, progress: Progress | None = None) -> dict:
    """Train (or resume) the parser of `config.out`; progress("step 120/3000 loss 0.412 …", fraction)."""
    data, out = Path(config.data), Path(config.out)
    train_refs = views_of(data, "train")
    splits = json.loads((data / "splits.json").read_text())
    val_refs = views_of(data, "val") if splits.get("val") else train_refs
    torch.manual_seed(config.seed)
    size = config.size
    clutter = config.clutter
    val = batch(val_refs, config.seed + 10_000, 0, size, config.val_samples, clutter=clutter)

    def new() -> GarmentParser:
        if config.init:
            return load_parser(Path(config.init))[0]
        return GarmentParser(ParserConfig(input_size=size), pretrained_lite0())

    net, state = resume(out, load_parser, new)
    frozen = [net.backbone._conv_stem, net.backbone._bn0, *net.backbone._blocks[: config.frozen_blocks]]
    for module in frozen:
        module.requires_grad_(False)
    counts = np.bincount(batch(train_refs, config.seed, 10**6, size, 32)[1].ravel(), minlength=NUM_LABELS)
    weights = class_weights(counts)
    head = [p for n, p in net.named_parameters() if not n.startswith("backbone.")]
    tuned = [p for p in net.backbone.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam([{"params": tuned, "lr_factor": config.backbone_lr_factor},
                                  {"params": head, "lr_factor": 1.0}], lr=config.lr)

    def step(i: int) -> dict[str, torch.Tensor]:
        net.train()
        net.backbone.apply(lambda m: m.eval() if isinstance(m, torch.nn.BatchNorm2d) else None)
        images, labels = batch(train_refs, config.seed, i, size, config.batch, config.rare_boost, clutter)
        logits = net(to_tensor(images))
        return {"loss": F.cross_entropy(logits, torch.from_numpy(labels).long(), weight=weights)}

    def save(path: Path, done: int, record: dict) -> None:
        save_parser(path, net, done, optimizer, extra={"train_config": json.dumps(asdict(config)),
                                                       "last": json.dumps(record)})

    loop = TrainingLoop(out, config.steps, config.checkpoint_every, optimizer,
                        Schedule(config.lr, config.lr_end_factor, config.steps), step,
                        validate=lambda: validate(net, val), save=save)
    return loop.run(state, progress)
