"""SCGS v2 on analytic meshes: the mesh graph cut, the fusion of the two sources, garment hypotheses and presence."""

import numpy as np
import pytest
import trimesh

from usr.labels import DRESS, HAIR, LOWER, NUM_LABELS, OUTER, SHOES, SKIN, UPPER
from usr.scgs.fuse import FusionWeights, fuse
from usr.scgs.graphcut import CutOptions, graph_cut
from usr.scgs.labelling import LabelOptions, label_surface
from usr.scgs.layers import build_layers
from usr.scgs.presence import PresenceOptions, decide


def noisy_probs(truth: np.ndarray, wrong: np.ndarray, flip: float, seed: int = 0) -> np.ndarray:
    """Per face: the true label (or, with probability `flip`, the `wrong` one) gets a confident-looking 0.4–0.8."""
    rng = np.random.default_rng(seed)
    said = np.where(rng.random(len(truth)) < flip, wrong, truth)
    p = np.full((len(truth), NUM_LABELS), 0.02)
    p[np.arange(len(truth)), said] = rng.uniform(0.4, 0.8, len(truth))
    p[:, 0] = 0.0
    return p / p.sum(1, keepdims=True)


def test_graph_cut_finds_the_seam_of_a_two_label_sphere_from_noisy_unaries():
    mesh = trimesh.creation.icosphere(subdivisions=5, radius=0.3)
    z = mesh.triangles_center[:, 2]
    truth = np.where(z > 0.05, UPPER, LOWER)
    probs = noisy_probs(truth, np.where(truth == UPPER, LOWER, UPPER), flip=0.35)
    assert (probs.argmax(1) == truth).mean() < 0.7  # each face alone is mostly a coin toss
    labels, e = graph_cut(mesh, probs, options=CutOptions(smoothness=0.03))
    away = np.abs(z - 0.05) > 0.03
    assert (labels == truth)[away].mean() > 0.995
    assert (labels == truth).mean() > 0.98
    # the seam itself: the boundary faces lie within a band around z = 0.05
    pairs = mesh.face_adjacency
    cut_pairs = pairs[labels[pairs[:, 0]] != labels[pairs[:, 1]]]
    assert np.abs(z[cut_pairs].mean(1) - 0.05).max() < 0.04
    assert e > 0


def test_graph_cut_never_gives_a_label_that_is_not_allowed():
    mesh = trimesh.creation.icosphere(subdivisions=3, radius=0.3)
    truth = np.where(mesh.triangles_center[:, 2] > 0, UPPER, DRESS)
    probs = noisy_probs(truth, truth, flip=0.0)
    allowed = np.ones(NUM_LABELS, bool)
    allowed[[0, DRESS]] = False
    labels, _ = graph_cut(mesh, probs, allowed=allowed)
    assert not (labels == DRESS).any() and not (labels == 0).any()
    with pytest.raises(ValueError, match="label probabilities of shape"):
        graph_cut(mesh, probs[:, :4])


def test_graph_cut_boundary_follows_a_colour_edge():
    """Flat evidence on a band around the colour change: the contrast term puts the boundary on the colour edge."""
    mesh = trimesh.creation.icosphere(subdivisions=5, radius=0.3)
    z = mesh.triangles_center[:, 2]
    truth = np.where(z > 0.0, UPPER, LOWER)
    probs = noisy_probs(truth, truth, flip=0.0)
    band = np.abs(z) < 0.06
    probs[band] = 0.0
    probs[band, UPPER] = probs[band, LOWER] = 0.5
    colours = np.where((mesh.vertices[:, 2] > 0.0)[:, None], [200, 30, 30], [30, 30, 200]).astype(np.uint8)
    labels, _ = graph_cut(mesh, probs, colours, CutOptions(smoothness=0.03, floor=0.05))
    assert (labels == truth)[np.abs(z) > 0.01].mean() > 0.97


def person(subdivisions: int = 5) -> tuple[trimesh.Trimesh, np.ndarray]:
    """A 1.6 m tall ellipsoid standing on y (faces spread evenly over the height): head (y > 1.35), torso
    (0.85–1.35), legs (< 0.85)."""
    mesh = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    mesh.apply_scale([0.15, 0.8, 0.15])
    mesh.apply_translation([0, 0.8, 0])
    return mesh, mesh.triangles_center[:, 1]


def garment_probs(y: np.ndarray, torso: dict, legs: dict, seed: int = 0) -> np.ndarray:
    """Per face a distribution: skin on the head, the torso/legs dicts (label → mean probability) with noise."""
    rng = np.random.default_rng(seed)
    p = np.full((len(y), NUM_LABELS), 0.01)
    p[:, 0] = 0.0
    p[y > 1.35, SKIN] = 0.9
    for part, spec in ((y <= 0.85, legs), ((y > 0.85) & (y <= 1.35), torso)):
        for label, mean in spec.items():
            p[part, label] = np.clip(mean + rng.normal(0, 0.12, part.sum()), 0.01, 1.0)
    return p / p.sum(1, keepdims=True)


def test_a_dress_is_one_garment_even_where_the_faces_lean_to_upper_or_lower():
    mesh, y = person()
    probs = garment_probs(y, {DRESS: 0.45, UPPER: 0.4}, {DRESS: 0.45, LOWER: 0.4})
    body = y <= 1.35
    assert (probs.argmax(1)[body] != DRESS).mean() > 0.25  # per face, a patchwork
    d = decide(mesh, probs)
    assert d.hypothesis == "dress" and d.energies["dress"] < d.energies["upper+lower"]
    assert (d.labels[body] == DRESS).mean() > 0.98
    assert set(d.evidence) == {"dress"}


def test_a_shirt_and_skirt_stay_two_garments():
    mesh, y = person()
    probs = garment_probs(y, {UPPER: 0.55, DRESS: 0.3}, {LOWER: 0.55, DRESS: 0.3}, seed=1)
    d = decide(mesh, probs)
    assert d.hypothesis == "upper+lower" and d.energies["upper+lower"] < d.energies["dress"]
    assert (d.labels[(y > 0.9) & (y <= 1.35)] == UPPER).mean() > 0.98
    assert (d.labels[y <= 0.8] == LOWER).mean() > 0.98
    assert set(d.evidence) == {"upper", "lower"}


def test_presence_drops_a_small_garment_and_an_unsure_one():
    mesh, y = person()
    probs = garment_probs(y, {UPPER: 0.8}, {LOWER: 0.8})
    speck = (y > 1.12) & (y < 1.15) & (mesh.triangles_center[:, 0] > 0.1)  # a few cm² of confident "outer"
    probs[speck] = 0.01
    probs[speck, OUTER] = 0.95
    feet = y < 0.25  # "shoes" at 0.5 against "lower" at 0.35: the cut takes shoes, the evidence is too weak
    probs[feet] = 0.01
    probs[feet, SHOES], probs[feet, LOWER] = 0.5, 0.35
    probs[:, 0] = 0.0
    probs /= probs.sum(1, keepdims=True)
    cut = CutOptions(smoothness=0.015)  # a cut that keeps both: the presence check is what removes them
    free = decide(mesh, probs, cut=cut, options=PresenceOptions(min_area=0.0, min_evidence=0.0))
    assert {"outer", "shoes"} <= set(free.evidence)
    d = decide(mesh, probs, cut=cut, options=PresenceOptions(min_area=0.01, min_evidence=0.1))
    assert set(d.dropped) == {"outer", "shoes"} and set(d.evidence) == {"upper", "lower"}
    assert d.dropped["outer"].area_m2 < 0.01 and d.dropped["shoes"].evidence < 0.1
    assert min(e.evidence for e in d.evidence.values()) > 0.1
    assert not np.isin(d.labels, (OUTER, SHOES)).any()


def test_fusion_weights_each_source_and_trusts_the_head_where_views_are_few():
    head = np.zeros((3, NUM_LABELS))
    views = np.zeros((3, NUM_LABELS))
    head[:, UPPER], head[:, LOWER] = 0.7, 0.3
    views[:, UPPER], views[:, LOWER] = 0.2, 0.8
    support = np.array([0.0, 1.0, 1.0])
    p = fuse(head, views, support, FusionWeights(head=1.0, views=1.0))
    assert p[0].argmax() == UPPER  # no view saw it: the head
    assert p[1].argmax() == LOWER  # seen well: the product favours the surer views (0.3·0.8 > 0.7·0.2)
    assert np.allclose(p.sum(1), 1.0) and (p[:, 0] == 0).all()
    assert np.allclose(fuse(head, None, None), head / head.sum(1, keepdims=True))
    with pytest.raises(ValueError, match="neither"):
        fuse(None, None, None)


def test_label_surface_reports_garments_and_falls_back_to_the_views_without_a_head():
    mesh, y = person(4)
    probs = garment_probs(y, {UPPER: 0.8}, {LOWER: 0.8})
    probs[y > 1.5] = 0.0
    probs[y > 1.5, HAIR] = 1.0
    out = label_surface(mesh, None, [], probs, LabelOptions(source="head"))
    assert out.summary["sources"] == ["head"]
    assert set(out.summary["garments"]) == {"upper", "lower", "hair"}
    assert out.summary["garment_hypothesis"] == "upper+lower"
    with pytest.raises(ValueError, match="no view semantics"):
        label_surface(mesh, None, [], None, LabelOptions(source="fused"))
    with pytest.raises(ValueError, match="unknown label source"):
        LabelOptions(source="both")


def test_the_body_layer_from_the_body_head_stays_under_the_clothes():
    """A body surface that pokes out of its clothes is pulled back under them (1 cm under garments, on the skin
    elsewhere); where skin shows, it takes the clothed surface's colours."""
    clothed = trimesh.creation.icosphere(subdivisions=4, radius=0.3)
    labels = np.where(clothed.triangles_center[:, 1] > 0.1, SKIN, UPPER).astype(np.uint8)
    colours = np.where((clothed.vertices[:, 1] > 0.1)[:, None], [210, 170, 150], [20, 20, 200]).astype(np.uint8)
    body = trimesh.creation.icosphere(subdivisions=4, radius=0.31)  # 1 cm outside everywhere
    layers = build_layers(clothed, colours, labels, body_inset=0.01, body=body)
    b = layers[0]
    assert b.name == "body" and len(b.mesh.faces) == len(body.faces)
    r = np.linalg.norm(b.mesh.vertices, axis=1)
    under = b.mesh.vertices[:, 1] < 0.0
    assert r.max() <= 0.3 + 1e-3  # never outside the clothes
    assert np.all(r[under] <= 0.291)  # a centimetre under the shirt
    top = b.mesh.vertices[:, 1] > 0.2
    assert np.abs(b.colours[top].astype(int) - [210, 170, 150]).max() <= 1


def test_cleanup_drops_a_sliver_and_fills_a_small_hole_but_keeps_a_hand():
    from usr.mesh.graph import face_adjacency_matrix
    from usr.scgs.cleanup import CleanupOptions, clean_garments

    mesh = trimesh.creation.icosphere(subdivisions=6, radius=0.3)
    c = mesh.triangles_center
    labels = np.where(c[:, 2] > 0, OUTER, LOWER).astype(np.uint8)
    strip = (np.abs(c[:, 0]) < 0.004) & (c[:, 2] > 0.02)  # ~1 cm wide "upper" thread down the jacket
    labels[strip] = UPPER
    hole = np.linalg.norm(c - [0.24, 0.0, 0.18], axis=1) < 0.03  # ~28 cm² of skin in the jacket's back
    hand = np.linalg.norm(c - [-0.24, 0.0, 0.18], axis=1) < 0.08  # ~200 cm² of skin: too large to be a hole
    labels[hole | hand] = SKIN
    adjacency = face_adjacency_matrix(mesh)
    assert (clean_garments(mesh, labels, adjacency, CleanupOptions(0.0, 0.0)) == labels).all()  # switched off
    out = clean_garments(mesh, labels, adjacency, CleanupOptions(sliver_width=0.02, hole_area=0.005))
    assert not (out == UPPER).any()
    assert (out[strip] == OUTER).all() and (out[hole] == OUTER).all()
    assert (out[hand] == SKIN).all() and (out[~(strip | hole)] == labels[~(strip | hole)]).all()
