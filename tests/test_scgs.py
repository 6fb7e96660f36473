"""SCGS on analytic meshes: votes with visibility, smoothing and islands, boundary curves, edge fine-tune, layers, metrics."""

import numpy as np
import pytest
import trimesh

from usr.geometry.distance import MeshQuery
from usr.io.cameras import Camera, intrinsics_from_fov, look_at
from usr.labels import LOWER, NUM_LABELS, SKIN, UPPER
from usr.mesh.curves import chains, label_boundary_edges, resample, turning_angles
from usr.metrics.garments import boundary_roughness, garment_scores
from usr.refine.edges import refine_edges
from usr.scgs.layers import build_layers, layers_glb
from usr.mesh.graph import face_adjacency_matrix
from usr.mesh.ops import split_nonmanifold, thicken
from usr.scgs.regularize import regularize, remove_islands
from usr.scgs.votes import ViewSemantics, VoteWeights, face_votes

RADIUS = 0.3


def sphere(subdivisions: int = 4) -> trimesh.Trimesh:
    return trimesh.creation.icosphere(subdivisions=subdivisions, radius=RADIUS)


def camera(azimuth_deg: float, size: int = 128, elevation: float = 0.0) -> Camera:
    az = np.radians(azimuth_deg)
    R, t = look_at(2.0 * np.array([np.sin(az), elevation, np.cos(az)]), np.zeros(3))
    return Camera(f"az{azimuth_deg:.0f}", size, size, intrinsics_from_fov(size, size, np.radians(30)), R, t)


def label_view(mesh: trimesh.Trimesh, face_labels: np.ndarray, cam: Camera) -> ViewSemantics:
    """The exact label map of a labelled mesh seen by `cam` (ray cast), as one-hot probabilities."""
    o, d = cam.image_rays()
    hit = MeshQuery(np.asarray(mesh.vertices), np.asarray(mesh.faces)).cast(o.reshape(-1, 3), d.reshape(-1, 3))
    ok = np.isfinite(hit["t_hit"])
    labels = np.zeros(len(ok), np.uint8)
    labels[ok] = face_labels[hit["primitive_ids"][ok].astype(np.int64)]
    return ViewSemantics.from_label_map(cam, labels.reshape(cam.height, cam.width))


def upper_lower(mesh: trimesh.Trimesh) -> np.ndarray:
    return np.where(mesh.triangles_center[:, 1] > 0, UPPER, LOWER).astype(np.uint8)


def test_votes_from_exact_views_recover_the_labels():
    mesh = sphere()
    truth = upper_lower(mesh)
    views = [label_view(mesh, truth, camera(a, elevation=e)) for a, e in ((0, 0.3), (90, -0.3), (180, 0.3), (270, -0.3))]
    labels = regularize(mesh, face_votes(mesh, views))
    assert (labels.face_labels == truth).mean() > 0.97
    assert labels.summary["mean_consistency"] > 0.9


def test_visibility_keeps_a_view_from_labelling_the_far_side():
    """Front view says upper, back view says lower: only visibility assigns each hemisphere to the view that sees it."""
    mesh = sphere()
    front, back = camera(0), camera(180)
    sees_front = ViewSemantics(front, np.eye(NUM_LABELS, dtype=np.float32)[np.where(
        label_view(mesh, np.ones(len(mesh.faces), np.uint8), front).probs.argmax(-1) > 0, UPPER, 0)])
    sees_back = ViewSemantics(back, np.eye(NUM_LABELS, dtype=np.float32)[np.where(
        label_view(mesh, np.ones(len(mesh.faces), np.uint8), back).probs.argmax(-1) > 0, LOWER, 0)])
    truth = np.where(mesh.triangles_center[:, 2] > 0, UPPER, LOWER)
    side = np.abs(mesh.triangles_center[:, 2]) > 0.2 * RADIUS  # a camera 2 m away sees only z > r²/2 m of its side
    full = face_votes(mesh, [sees_front, sees_back], VoteWeights()).scores.argmax(1)
    plain = face_votes(mesh, [sees_front, sees_back], VoteWeights.plain()).scores.argmax(1)
    assert (full == truth)[side].mean() > 0.95
    assert (plain == truth)[side].mean() < 0.7


def test_small_islands_take_the_surrounding_label():
    mesh = sphere()
    labels = np.full(len(mesh.faces), UPPER, np.uint8)
    patch = np.argsort(np.linalg.norm(mesh.triangles_center - [0, 0, RADIUS], axis=1))[:6]
    big = mesh.triangles_center[:, 1] < -0.1  # a large region stays
    labels[patch] = LOWER
    labels[big] = SKIN
    area = float(mesh.area_faces[patch].sum())
    out = remove_islands(mesh, labels, face_adjacency_matrix(mesh), min_area=2 * area)
    assert (out[patch] == UPPER).all() and (out[big] == SKIN).all()


def test_chains_split_at_branches_and_close_loops():
    square = np.array([[0, 1], [1, 2], [2, 3], [3, 0]])
    (loop,) = chains(square)
    assert loop.closed and sorted(loop.vertices.tolist()) == [0, 1, 2, 3]
    tee = np.array([[0, 1], [1, 2], [1, 3], [3, 4]])
    parts = chains(tee)
    assert len(parts) == 3 and not any(c.closed for c in parts)
    assert sum(len(c.vertices) - 1 for c in parts) == len(tee)


def test_turning_angles_of_a_circle():
    t = np.linspace(0, 2 * np.pi, 400, endpoint=False)
    circle = np.stack([np.cos(t), np.zeros_like(t), np.sin(t)], 1)
    pts = resample(circle, True, 2 * np.pi / 50)
    angles = turning_angles(pts, True)
    assert len(pts) == 50 and np.allclose(angles, 2 * np.pi / 50, atol=2e-3)


def test_edge_fine_tune_smooths_the_boundary_and_keeps_the_surface():
    mesh = sphere(5)
    labels = upper_lower(mesh)  # the boundary zig-zags along the triangles around the equator
    before = boundary_roughness(mesh, labels)
    refined, stats = refine_edges(mesh, labels)
    after = boundary_roughness(refined, labels)
    assert after < 0.5 * before
    r = np.linalg.norm(refined.vertices, axis=1)
    assert np.abs(r - RADIUS).max() < 0.002  # neither shrunk nor inflated
    on_curve = np.unique(label_boundary_edges(refined, labels))
    assert np.abs(refined.vertices[on_curve, 1]).mean() < 0.01  # the edge stays where it was
    assert stats.boundary_vertices > 0 and stats.flipped_faces == 0


def test_layers_body_closed_garments_open_and_named_in_glb():
    mesh = sphere()
    labels = upper_lower(mesh)
    labels[mesh.triangles_center[:, 1] > 0.25] = SKIN  # a skin cap
    colours = np.full((len(mesh.vertices), 3), 128, np.uint8)
    layers = build_layers(mesh, colours, labels, body_inset=0.01)
    assert [layer.name for layer in layers] == ["body", "lower", "upper"]
    body = layers[0].mesh
    assert body.is_watertight and np.linalg.norm(body.vertices, axis=1).min() < RADIUS - 0.005
    assert not layers[1].mesh.is_watertight and len(layers[1].colours) == len(layers[1].mesh.vertices)
    shell = build_layers(mesh, colours, labels, body_inset=0.01, thickness=0.005)[2]
    assert shell.mesh.is_watertight and shell.mesh.volume > 0 and len(shell.colours) == len(shell.mesh.vertices)
    assert len(shell.mesh.vertices) == 2 * len(layers[2].mesh.vertices)  # the sheet and a copy under it
    scene = trimesh.load(trimesh.util.wrap_as_stream(layers_glb(layers)), file_type="glb")
    assert set(scene.graph.nodes_geometry) == {"body", "lower", "upper"}


def test_garment_metrics_on_known_cases():
    mesh = sphere()
    truth = upper_lower(mesh)
    same = garment_scores(mesh, truth, mesh, truth, samples=4000)
    assert same.label_accuracy == 1.0 and set(same.garment_iou.values()) == {1.0}
    assert max(same.garment_chamfer_cm.values()) < 0.5
    swapped = garment_scores(mesh, np.where(truth == UPPER, LOWER, UPPER).astype(np.uint8), mesh, truth, samples=4000)
    assert swapped.label_accuracy < 0.05 and max(swapped.garment_iou.values()) < 0.05


def test_bad_semantics_are_named():
    cam = camera(0, size=64)
    with pytest.raises(ValueError, match="az0.*shape"):
        ViewSemantics(cam, np.zeros((32, 32, NUM_LABELS), np.float32))
    probs = np.zeros((64, 64, NUM_LABELS), np.float32)
    probs[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="az0.*non-finite"):
        ViewSemantics(cam, probs)
    with pytest.raises(ValueError, match="3 values for 80 faces"):
        build_layers(sphere(1), np.zeros((42, 3), np.uint8), np.zeros(3, np.uint8))


def test_bow_tie_vertices_are_split_so_shells_close():
    # two triangles touching at vertex 0 only, plus a quad (two triangles sharing an edge)
    faces = np.array([[0, 1, 2], [0, 3, 4], [5, 6, 7], [5, 7, 8]])
    new, original = split_nonmanifold(faces)
    assert len(original) == 10  # vertex 0 becomes two vertices; the quad keeps its 4
    assert (original[new] == faces).all()
    assert new[0, 0] != new[1, 0] and new[2, 0] == new[3, 0] and new[2, 2] == new[3, 1]
    verts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0],
                      [3, 0, 0], [4, 0, 0], [4, 1, 0], [3, 1, 0]], float)
    sheet = trimesh.Trimesh(verts[original], new, process=False)
    for thickness in (-0.1, 0.1):  # grown against the normals (SCGS layers) or along them (synthetic garments)
        v, f, inner = thicken(sheet.vertices, sheet.faces, thickness)
        shell = trimesh.Trimesh(v, f, process=False)
        assert shell.is_watertight and shell.volume > 0
        assert inner.sum() == len(new) and (inner[: len(new)] == (thickness > 0)).all()  # the reversed sheet
