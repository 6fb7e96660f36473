"""Result folders made from synthetic subjects without rendering: the ground-truth clothed surface, separated by its
exact labels (usr.scgs.layers.build_layers, as usr reconstruct does), and smpl_d.npz from the true body parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from data_tools.subject import clothed_surface, make_subject
from smpl_d.backends import load_body_model
from smpl_d.body_model import BodyParams
from smpl_d.store import SavedFit, fit_bytes
from usr.labels import UPPER
from usr.result import ResultLayers, write_result
from usr.scgs.layers import build_layers


def true_fit(subject) -> SavedFit:
    """The subject's own body as an SMPL-D fit (D = 0): anny parameters + the centring translation."""
    model = load_body_model("anny")
    p = subject.body.spec
    params = BodyParams("anny", model.shape_from_phenotypes(p.phenotypes), model.pose_from_rotations(p.pose.rotations),
                        np.array([0.0, np.radians(p.yaw_deg), 0.0]), np.zeros(3))
    params.translation = (subject.body.vertices - model.posed(params).vertices).mean(0)
    return SavedFit(params, np.zeros(model.vertex_count))


def layered_result(out: Path, seed: int, with_fit: bool = True, pose_kinds=("a_pose",)) -> Path:
    subject = make_subject(f"s{seed}", seed, pose_kinds)
    surface = clothed_surface(subject)
    mesh = trimesh.Trimesh(surface.vertices, surface.faces, process=False)
    colours = np.clip(np.round(surface.colors * 255), 0, 255).astype(np.uint8)
    labels = surface.face_labels.astype(np.uint8)
    extra = {"smpl_d.npz": fit_bytes(true_fit(subject))} if with_fit else {}
    layers = ResultLayers(build_layers(mesh, colours, labels), labels, extra_files=extra)
    return write_result(out, mesh, colours, {"subject": subject.name}, layers=layers)


def seed_with_upper(start: int) -> int:
    """The first seed from `start` whose outfit has an upper garment."""
    seed = start
    while not any(g.label == UPPER for g in make_subject("probe", seed, ("a_pose",)).garments):
        seed += 1
    return seed


def layered_result_with_body_head(out: Path, seed: int, rotation: np.ndarray = np.eye(3)):
    """A result as a model reconstruction leaves it: the body layer is a body estimate (here the true body 5 mm
    inwards), report.json says so; everything turned by `rotation`. Returns (folder, subject, clothed surface,
    its face labels)."""
    from usr.mesh.ops import vertex_normals

    subject = make_subject(f"s{seed}", seed, ("a_pose",))
    surface = clothed_surface(subject)
    mesh = trimesh.Trimesh(surface.vertices @ rotation.T, surface.faces, process=False)
    body_v = subject.body.vertices - 0.005 * vertex_normals(subject.body.vertices, subject.body.faces)
    body = trimesh.Trimesh(body_v @ rotation.T, subject.body.faces, process=False)
    colours = np.clip(np.round(surface.colors * 255), 0, 255).astype(np.uint8)
    labels = surface.face_labels.astype(np.uint8)
    layers = ResultLayers(build_layers(mesh, colours, labels, body=body), labels)
    folder = write_result(out, mesh, colours, {"subject": subject.name, "scgs": {"body_layer": "body head"}},
                          layers=layers)
    return folder, subject, mesh, labels
