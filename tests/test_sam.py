"""SAM wiring with a tiny randomly initialised SAM: shapes and plumbing only, never quality.

Runs in the SAM environment (`make test-sam`: torch + torchvision + segment-anything); skipped in the main one."""

import numpy as np
import pytest

sa = pytest.importorskip("segment_anything")
torch = pytest.importorskip("torch")

from usr.labels import LOWER, NUM_LABELS, UPPER  # noqa: E402
from usr.parsing.sam_refine import load_sam, prompts, refine_probabilities  # noqa: E402


def tiny_sam(checkpoint=None):
    from segment_anything.build_sam import _build_sam

    return _build_sam(encoder_embed_dim=16, encoder_depth=1, encoder_num_heads=1, encoder_global_attn_indexes=[0],
                      checkpoint=None)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("sam") / "tiny_sam.pth"
    torch.save(tiny_sam().state_dict(), path)
    return path


def person_probs(h=96, w=80):
    probs = np.zeros((h, w, NUM_LABELS), np.float32)
    probs[..., 0] = 1.0
    probs[10:50, 20:60, :] = 0.0
    probs[10:50, 20:60, UPPER] = 0.8
    probs[10:50, 20:60, LOWER] = 0.2
    probs[50:90, 25:55, :] = 0.0
    probs[50:90, 25:55, LOWER] = 0.9
    probs[50:90, 25:55, UPPER] = 0.1
    return probs


def test_prompts_lie_in_their_region():
    labels = person_probs().argmax(-1)
    box, coords, flags = prompts(labels, UPPER)
    assert box.tolist() == [20, 10, 59, 49]
    pos, neg = coords[flags == 1].astype(int), coords[flags == 0].astype(int)
    assert len(pos) > 0 and (labels[pos[:, 1], pos[:, 0]] == UPPER).all()
    assert len(neg) > 0 and (labels[neg[:, 1], neg[:, 0]] == LOWER).all()


def test_tiny_sam_loads_safely_and_refines_shapes(tiny_checkpoint):
    predictor = load_sam(tiny_checkpoint, build=tiny_sam)
    image = np.random.default_rng(0).integers(0, 255, (96, 80, 3), dtype=np.uint8)
    probs = person_probs()
    out, scores = refine_probabilities(predictor, image, probs)
    assert out.shape == probs.shape and np.isfinite(out).all()
    assert np.allclose(out.sum(-1), 1.0, atol=1e-5)
    assert set(scores) == {"upper", "lower"}
    assert (out[..., 0] == 1.0)[probs[..., 0] == 1.0].all()  # background stays: SAM never creates a region


def test_bad_sam_checkpoints_are_named(tmp_path):
    bad = tmp_path / "bad.pth"
    torch.save({"nothing": torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match="bad.pth"):
        load_sam(bad, build=tiny_sam)
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        load_sam(tmp_path / "missing.pth")
    with pytest.raises(ValueError, match="vit_x"):
        load_sam(bad, model_type="vit_x")
