"""Garment parser: palette mapping, IoU arithmetic, photo-like samples, training/resume/prediction plumbing."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from data_tools.synth import SynthConfig, synthesize
from usr.labels import BACKGROUND, HAIR, LOWER, SHOES, SKIN, UPPER
from usr.parsing.data import Clutter, batch, clutter_background, make_sample, views_of
from usr.parsing.metrics import IGNORE, class_iou, confusion, mean_iou
from usr.parsing.palettes import cihp_to_labels
from usr.parsing.predict import label_map, parse_probabilities, person_mask
from usr.parsing.train import ParserTrainConfig, load_parser, train_parser


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("parser") / "synth"
    synthesize(out, SynthConfig(subjects=3, views=2, size=96, seed=21))
    return out


def test_cihp_colours_map_to_our_labels():
    rgb = np.array([[[255, 85, 0], [0, 85, 85], [0, 0, 255], [255, 0, 0]],
                    [[254, 170, 0], [0, 0, 0], [128, 0, 0], [10, 200, 30]]], np.uint8)
    assert cihp_to_labels(rgb).tolist() == [[UPPER, LOWER, SKIN, HAIR], [SHOES, BACKGROUND, IGNORE, IGNORE]]


def test_iou_against_a_hand_computed_case():
    truth = np.array([[0, 0, 1, 1], [0, 2, 2, IGNORE]])
    pred = np.array([[0, 1, 1, 1], [0, 2, 0, 2]])
    conf = confusion(pred, truth, 3)
    assert conf.sum() == 7  # the ignored pixel is not counted
    iou = class_iou(conf)
    assert np.allclose(iou, [2 / 4, 2 / 3, 1 / 2])
    assert mean_iou(conf) == pytest.approx((0.5 + 2 / 3 + 0.5) / 3)
    with pytest.raises(ValueError):
        confusion(np.array([5]), np.array([0]), 3)


def test_samples_are_deterministic_and_keep_the_labels(small_data):
    refs = views_of(small_data, "train")
    a_img, a_lab = make_sample(refs[0], 3, 5, 64)
    b_img, b_lab = make_sample(refs[0], 3, 5, 64)
    c_img, _ = make_sample(refs[0], 3, 6, 64)
    assert np.array_equal(a_img, b_img) and np.array_equal(a_lab, b_lab) and not np.array_equal(a_img, c_img)
    assert a_img.shape == (64, 64, 3) and a_lab.shape == (64, 64)
    assert set(np.unique(a_lab)) <= {0, 1, 2, 3, 4, 5, 6, 7} and (a_lab > 0).mean() > 0.02
    imgs, labs = batch(refs, 0, 2, 64, 3)
    assert imgs.shape == (3, 64, 64, 3) and labs.shape == (3, 64, 64)


def test_training_resumes_and_predicts(small_data, tmp_path):
    out = tmp_path / "parser.pt"
    config = ParserTrainConfig(str(small_data), str(out), steps=2, batch=2, checkpoint_every=1, val_samples=2, size=64)
    train_parser(config)
    net, state = load_parser(out)
    assert state["step"] == 2
    summary = train_parser(replace(config, steps=3))
    assert load_parser(out)[1]["step"] == 3 and np.isfinite(summary["loss"])
    lines = out.with_suffix(".log.jsonl").read_text().splitlines()
    assert len(lines) == 3 and "val_miou" in lines[-1]
    probs = parse_probabilities(net, np.zeros((50, 40, 3), np.uint8))
    assert probs.shape == (50, 40, 8) and np.allclose(probs.sum(-1), 1, atol=1e-4)
    assert label_map(probs).shape == (50, 40) and set(np.unique(person_mask(probs))) <= {0, 255}


def test_bad_checkpoint_is_named(tmp_path):
    bad = tmp_path / "x.pt"
    torch.save({"format": "something"}, bad)
    with pytest.raises(ValueError, match="x.pt: not a usr parser checkpoint"):
        load_parser(bad)
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        load_parser(tmp_path / "nope.pt")


def test_export_is_smaller_and_predicts_the_same(small_data, tmp_path):
    from usr.parsing.train import export_parser

    out = tmp_path / "p.pt"
    train_parser(ParserTrainConfig(str(small_data), str(out), steps=1, batch=1, val_samples=1, size=64))
    size = export_parser(out, tmp_path / "ship.pt")
    assert size < 0.4 * out.stat().st_size  # no optimiser state, half precision
    a, _ = load_parser(out)
    b, _ = load_parser(tmp_path / "ship.pt")
    img = (np.random.default_rng(0).random((64, 48, 3)) * 255).astype(np.uint8)
    pa, pb = parse_probabilities(a, img), parse_probabilities(b, img)
    assert np.abs(pa - pb).max() < 0.02


def test_parser_masks_command_writes_masks_close_to_the_truth(small_data, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from apps.cli import app
    from usr.io.images import read_image

    subject = tmp_path / "s"
    shutil.copytree(small_data / "subject_0000", subject)
    truth = {p.stem: read_image(p, "L") > 127 for p in (subject / "masks").glob("*.png")}
    res = CliRunner().invoke(app, ["parser", "masks", str(subject)])
    assert res.exit_code != 0 and "already exists" in res.output  # never silently replaces masks
    shutil.rmtree(subject / "masks")
    res = CliRunner().invoke(app, ["parser", "masks", str(subject)])  # the embedded parser
    assert res.exit_code == 0, res.output
    for name, t in truth.items():
        pred = read_image(subject / "masks" / f"{name}.png", "L") > 127
        assert (pred & t).sum() / (pred | t).sum() > 0.6, name


def test_coco_polygons_become_garment_masks(tmp_path):
    import json

    from usr.parsing.real_eval import deepfashion2_masks

    coco = {"images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10}],
            "categories": [{"id": 11, "name": "long_sleeved_dress"}],
            "annotations": [{"image_id": 1, "category_id": 11, "segmentation": [[2, 2, 7, 2, 7, 5, 2, 5], [10, 0, 12, 0, 12, 1, 10, 1]]}]}
    (tmp_path / "ann.json").write_text(json.dumps(coco))
    [(path, mask, name)] = deepfashion2_masks(tmp_path)
    assert path == tmp_path / "a.jpg" and name == "long_sleeved_dress" and mask.shape == (10, 20)
    assert mask[2:6, 2:8].all() and mask[0:2, 10:13].all() and mask.sum() == 6 * 4 + 3 * 2


def test_rare_garment_views_are_drawn_more_often(small_data, monkeypatch):
    import usr.parsing.data as data

    refs = [replace(r, rare=(i == 0)) for i, r in enumerate(views_of(small_data, "train"))]
    drawn = []
    monkeypatch.setattr(data, "make_sample", lambda ref, seed, index, size, clutter=None: (
        drawn.append(refs.index(ref)), (np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.uint8)))[1])
    for step in range(200):
        data.batch(refs, 0, step, 8, 4, rare_boost=9.0)
    share = np.mean(np.array(drawn) == 0)
    assert abs(share - 10 / (10 + len(refs) - 1)) < 0.06


def _background_folder(path, colour=(0, 255, 0)):
    import cv2

    path.mkdir()
    pic = np.zeros((90, 70, 3), np.uint8)
    pic[:] = colour
    cv2.imwrite(str(path / "room.png"), pic[..., ::-1])
    (path / "previews").mkdir()  # a subfolder (previews showing a person) is never read
    cv2.imwrite(str(path / "previews" / "cam.jpg"), np.full((20, 20, 3), 255, np.uint8))
    return path


def test_clutter_backgrounds_come_from_the_pictures_and_are_labelled_background(small_data, tmp_path):
    folder = str(_background_folder(tmp_path / "bg"))
    refs = views_of(small_data, "train")
    plain = make_sample(refs[0], 3, 5, 64)
    # inactive clutter: exactly the samples of earlier runs
    same = make_sample(refs[0], 3, 5, 64, Clutter())
    assert np.array_equal(plain[0], same[0]) and np.array_equal(plain[1], same[1])
    # every background real: the pure green picture, whatever the crop / mosaic
    fallback = np.zeros((64, 64, 3), np.uint8)
    for index in range(6):
        bg = clutter_background(3, index, 64, Clutter(folder, background_prob=1.0), fallback)
        assert (bg == [0, 255, 0]).all(), index
    img, lab = make_sample(refs[0], 3, 5, 64, Clutter(folder, background_prob=1.0))
    assert np.array_equal(lab, plain[1])  # the labels are the person's alone: background stays background
    far = lab == 0
    far[16:-16, 16:-16] = False  # the border, away from the person
    far &= plain[1] == 0
    g = img[far].astype(float).mean(0)
    assert g[1] > 1.5 * g[0] and g[1] > 1.5 * g[2]  # green after the photometric jitter
    # deterministic per (seed, index), different across indices
    again = make_sample(refs[0], 3, 5, 64, Clutter(folder, background_prob=1.0, distractor_prob=1.0))
    twice = make_sample(refs[0], 3, 5, 64, Clutter(folder, background_prob=1.0, distractor_prob=1.0))
    other = make_sample(refs[0], 3, 6, 64, Clutter(folder, background_prob=1.0, distractor_prob=1.0))
    assert np.array_equal(again[0], twice[0]) and not np.array_equal(again[0], other[0])
    assert np.array_equal(again[1], plain[1])  # distractors are background too


def test_distractors_are_pasted_into_the_background_only(small_data):
    fallback = np.full((64, 64, 3), 128, np.uint8)
    changed = [(clutter_background(0, i, 64, Clutter(distractor_prob=1.0), fallback) != 128).any(-1).mean() for i in range(8)]
    assert all(c > 0 for c in changed) and np.mean(changed) < 0.9
    off = clutter_background(0, 0, 64, Clutter(distractor_prob=0.0), fallback)
    assert np.array_equal(off, fallback)


def test_background_tiles_never_touch_the_person_region():
    from data_tools.parser_backgrounds import tiles

    plate = np.zeros((100, 60, 3), np.uint8)
    excluded = np.zeros((100, 60), bool)
    excluded[30:70, 15:45] = True  # "the person", dilated
    plate[excluded] = 255
    kept = tiles(plate, excluded, grids=((3, 5), (6, 10)))
    assert kept and all((p == 0).all() for p in kept.values())
    assert {"g3x5_r0c0", "g3x5_r4c2"} <= set(kept) and "g3x5_r2c1" not in kept
    assert "g6x10_r0c0" not in kept and "g6x10_r3c0" in kept  # inside a kept coarse tile: not repeated; else kept
