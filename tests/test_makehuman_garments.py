"""MakeHuman CC0 garments: every asset parses, binds near the right body part, suits split at the waist."""

import numpy as np
import pytest

from data_tools.body import build_body, sample_body_spec
from data_tools.garments.makehuman import MhcloError, discover_garments, load_mhclo, makehuman_layers
from smpl_d.poses import named_pose, random_pose
from data_tools.synth import SynthConfig, synthesize
from tests.conftest import shared_data
from usr import labels as L
from usr.geometry.distance import MeshQuery
from usr.io.validate import subject_problems

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def assets():
    return discover_garments(shared_data("makehuman_cc0"))


@pytest.fixture(scope="module")
def body():
    rng = np.random.default_rng(2)
    return build_body(sample_body_spec(rng, named_pose("a_pose")))


def test_catalogue_parses_and_skips_hats(assets):
    kinds = {a.kind for a in assets}
    assert kinds == {"suit", "shoes", "hair"}
    assert len([a for a in assets if a.kind == "suit"]) == 12 and len(assets) == 28
    for a in assets:
        g = load_mhclo(a.path)
        assert len(g.refs) > 100 and g.faces.max() < len(g.refs)


def test_garments_sit_on_the_right_body_part(assets, body):
    q = MeshQuery(body.vertices, body.faces)
    bottom, height = body.vertices[:, 1].min(), body.height
    for name, label, v, f in makehuman_layers(assets, body):
        assert np.median(q.distance(v)) < (0.045 if label == L.HAIR else 0.03), name  # braids hang free
        rel = (v[:, 1].mean() - bottom) / height
        expected = {L.SHOES: (0, 0.15), L.HAIR: (0.7, 1.0), L.UPPER: (0.5, 0.95), L.LOWER: (0.05, 0.6)}[label]
        assert expected[0] < rel < expected[1], (name, rel)


def test_suits_split_into_upper_above_lower(assets, body):
    for a in (a for a in assets if a.kind == "suit"):
        parts = {label: v for _, label, v, _ in makehuman_layers([a], body)}
        assert set(parts) == {L.UPPER, L.LOWER}, a.name
        assert parts[L.UPPER][:, 1].mean() > parts[L.LOWER][:, 1].mean() + 0.2


def test_garments_follow_the_pose(assets):
    rng = np.random.default_rng(9)
    body = build_body(sample_body_spec(rng, random_pose(rng)))
    q = MeshQuery(body.vertices, body.faces)
    for name, _, v, _ in makehuman_layers([a for a in assets if a.name in ("male_casualsuit01", "long01")], body):
        assert np.median(q.distance(v)) < 0.035, name


def test_malformed_mhclo_names_file_and_line(tmp_path, assets):
    src = next(a for a in assets if a.name == "shoes01").path
    lines = src.read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("verts")) + 3
    lines[i] = "12 13 oops 0.1 0.2 0.7 0 0 0"
    bad = tmp_path / "shoes01.mhclo"
    bad.write_text("\n".join(lines))
    (tmp_path / "shoes01.obj").write_text((src.parent / "shoes01.obj").read_text())
    with pytest.raises(MhcloError, match=rf"shoes01.mhclo:{i + 1}: binding line is not numeric"):
        load_mhclo(bad)


def test_synth_with_makehuman_garments(tmp_path):
    out = tmp_path / "mh"
    synthesize(out, SynthConfig(subjects=4, views=2, size=64, seed=3, garments_dir=str(shared_data("makehuman_cc0"))))
    metas = []
    for s in sorted(out.glob("subject_*")):
        assert subject_problems(s) == []
        metas.append((s / "gt" / "meta.json").read_text())
    assert any('"mhclo": "clothes/' in m for m in metas)
