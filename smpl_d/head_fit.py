"""SMPL-D from the reconstruction's own body estimate: the body model fitted to the body head's surface.

A model reconstruction keeps, as its body layer, the zero level of the model's body head (the body under the clothes
it predicts, usr.scgs.layers.body_under). Fitting the body model to that surface (smpl_d.field_fit: every point of
it is body, the facing read from where the face's skin lies) avoids what fails under a clothed surface alone —
a loose skirt or coat read as legs or torso, a body turned backwards — and needs one start instead of twelve.

The fit is checked against the surface it was fitted to: the share of that surface left more than 3 cm from the
fitted body. On 8 validation subjects (val_proc, val_mh, 6 views) good fits left ≤ 8 % uncovered; the one gross
failure (turned backwards: the head's labels pointed the wrong way) left 39 %. The rms distance of the body from the
surface does not separate them (good fits 1.1–5.4 cm where the body head lost a hand or a foot, the failure 3.9 cm),
so it is reported, not checked. A fit that fails the check is reported and the caller falls back to the fit under
the clothed surface (smpl_d.fit).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import trimesh

from smpl_d.body_model import BodyModel
from smpl_d.displacements import body_displacements
from smpl_d.facing import feet_facing
from smpl_d.field_fit import FieldFitConfig, fit_to_field
from smpl_d.fit import BodyFit, FitConfig, mesh_sdf_lattice, sample_faces
from usr.geometry.distance import MeshQuery
from usr.mesh.ops import vertex_normals
from usr.progress import Progress


@dataclass(frozen=True)
class HeadFitConfig:
    field: FieldFitConfig = FieldFitConfig()
    points: int = 3000  # samples of the body surface the fit covers
    spacing: float = 0.012  # metres, the body surface's signed-distance lattice
    max_uncovered: float = 0.25  # share of the surface > 3 cm from the fitted body (validation: good ≤ 0.08, bad 0.39)
    seed: int = 0


def fit_to_body_surface(model: BodyModel, body: trimesh.Trimesh, clothed: trimesh.Trimesh, face_labels: np.ndarray,
                        cfg: HeadFitConfig = HeadFitConfig(), displacements: FitConfig = FitConfig(),
                        progress: Progress | None = None) -> BodyFit:
    """`model` fitted to the closed `body` surface; its samples labelled by the nearest face of the labelled clothed
    surface (skin on the face tells the facing); D onto the clothed surface's skin and under its garments. The
    report says whether the fit passed its check (`report["trusted"]`)."""
    start = time.perf_counter()
    rng = np.random.default_rng(cfg.seed)
    points = sample_faces(body, np.ones(len(body.faces), bool), cfg.points, rng)
    _, _, tri = MeshQuery(clothed.vertices, clothed.faces).closest(points)
    field = mesh_sdf_lattice(body, cfg.spacing)
    params, report = fit_to_field(model, field, points, face_labels[tri], cfg.field, progress, feet_facing(points))
    vertices = model.posed(params).vertices
    d = body_displacements(vertices, model.faces, clothed, face_labels, displacements.displacement_reach,
                           displacements.displacement_under, displacements.displacement_smoothness,
                           displacements.displacement_decay)
    with_d = vertices + d[:, None] * vertex_normals(vertices, model.faces)
    report.update(source="body head", backend=model.name, seconds=round(time.perf_counter() - start, 1),
                  displaced_vertices=int((np.abs(d) > 1e-3).sum()),
                  trusted=bool(report["surface_uncovered"] <= cfg.max_uncovered))
    return BodyFit(params, d, with_d, np.asarray(model.faces), report)
