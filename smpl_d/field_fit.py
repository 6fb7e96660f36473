"""Fit the body model to a predicted body: a signed-distance field of the body under the clothes (the
reconstruction model's body head, sampled on a lattice), with the garment labels of points on its surface.

Unlike `smpl_d.fit` (a body under a clothed surface, which garments cover), every point of this surface is body, so
the energy on the body's vertices (robust Geman-McClure penalties of squared metres) is:
- on: every vertex lies on the field's zero level (the lattice interpolated trilinearly: differentiable, no
  nearest-point search), with a scale that narrows as the fit settles;
- cover: samples of the surface have a body vertex near them, with a wide scale throughout, so a body too short or
  an arm not yet raised is pulled from afar (a narrowing scale there left tall people short: validation subjects);
- face: the front of the head lies near skin-labelled samples (narrowing scale);
- priors: small pose rotations, phenotypes near the middle, an upright body.
Facing: the head's skin-labelled samples lie in front of its other samples (the label head sees face vs hair); when
the labels cannot tell (or point away from where the feet point, smpl_d.facing), 4 facings are tried briefly and the
best and its opposite go on, and of those only the ones facing where the feet point can win. From the facing(s), each
start pose runs `start_steps` (placement, then pose and shape); the lowest energy runs `steps` more.
Validation subjects (4 views, shipped model, docs/model.md): 1.35 cm from the true body in ≈ 8–14 s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.spatial import cKDTree

from smpl_d.body_model import BodyModel, BodyParams
from smpl_d.facing import facing_agrees
from smpl_d.fit import FittedPose, LatticeSDF, face_vertices, geman_mcclure, initial_translation, parameter_priors
from usr.labels import SKIN
from usr.progress import Progress, Throttled


@dataclass(frozen=True)
class FieldFitConfig:
    start_poses: tuple[str, ...] = ("a_pose", "relaxed", "t_pose")  # those the model has as presets
    facings: int = 4  # tried when the labels do not tell the facing
    facing_steps: int = 10  # placement-only steps of each start (rotation, translation)
    start_steps: int = 20  # then pose and shape too, per start
    steps: int = 100  # the best start, everything
    learning_rate: float = 0.02
    start_scale: float = 0.08  # metres, robust scale of every term while starting
    scale: tuple[float, float] = (0.05, 0.015)  # the on-term's scale over the last `steps`, narrowing
    cover_scale: float = 0.05  # the cover term's scale never narrows below this
    cover_weight: float = 1.0
    face_weight: float = 1.0
    pose_prior: float = 2e-5  # per rad²
    tilt_prior: float = 2e-3  # per rad² of the global rotation about horizontal axes
    shape_prior: float = 2e-5  # per phenotype unit²
    refresh_every: int = 3  # steps between nearest-vertex searches
    head_share: float = 0.1  # the top share of the height that is the head (for the facing)
    facing_offset: float = 0.01  # metres the skin must lie in front of the rest of the head to tell the facing


def label_facing(points: np.ndarray, labels: np.ndarray, cfg: FieldFitConfig) -> float | None:
    """Yaw (radians about +Y, 0 = facing +Z) from the head's skin samples lying in front of its others; None when
    the labels cannot tell (too few skin samples on the head, or skin all round)."""
    top = points[:, 1].max()
    head = points[:, 1] > top - cfg.head_share * (top - points[:, 1].min())
    skin, other = head & (labels == SKIN), head & (labels != SKIN)
    if skin.sum() <= 10:
        return None
    behind = points[other].mean(0) if other.sum() > 10 else points[head].mean(0)
    offset = points[skin].mean(0) - behind
    if np.hypot(offset[0], offset[2]) <= cfg.facing_offset:
        return None
    return float(np.arctan2(offset[0], offset[2]))


def fit_to_field(model: BodyModel, field: LatticeSDF, points: np.ndarray, labels: np.ndarray,
                 cfg: FieldFitConfig = FieldFitConfig(), progress: Progress | None = None,
                 facing_hint: float | None = None) -> tuple[BodyParams, dict]:
    """Fit `model` to the zero level of `field`; `points` (n, 3) sampled on that surface, `labels` their garment
    labels (usr.labels). When the labels cannot tell the facing, `facing_hint` (a rough yaw, e.g. feet_facing) keeps
    only starts within 90° of it. Returns the parameters and a report (energy, facing, seconds are the caller's)."""
    if len(points) < 100:
        raise ValueError(f"the body surface has {len(points)} samples: too few to fit a body to")
    f64 = {"dtype": torch.float64}
    surface = torch.as_tensor(points, **f64)
    skin = points[labels == SKIN]
    skin_t, skin_tree = torch.as_tensor(skin, **f64), (cKDTree(skin) if len(skin) else None)
    face = torch.as_tensor(face_vertices(model))
    full_pose = FittedPose(model)
    shape0 = torch.as_tensor(model.default_shape(), **f64)
    bounds = np.stack([points.min(0), points.max(0)])
    presets = [model.preset_pose(n)[full_pose.bones] for n in cfg.start_poses if n in model.pose_presets]
    presets = presets or [np.zeros((len(full_pose.bones), 3))]
    tell = Throttled(progress) if progress is not None else None
    yaw = label_facing(points, labels, cfg)
    conflict = yaw is not None and not facing_agrees(np.array([0.0, yaw, 0.0]), facing_hint)
    if conflict:  # the head's labels and the feet disagree on front and back: search, as if the labels could not tell
        yaw = None
    yaws = [yaw] if yaw is not None else [2 * np.pi * k / cfg.facings for k in range(cfg.facings)]
    if yaw is not None:  # per start: placement, then pose and shape; then the best
        total = len(presets) * (cfg.facing_steps + cfg.start_steps) + cfg.steps
    else:  # each facing placed; the best two × starts; then the best
        total = cfg.facings * cfg.facing_steps + 2 * len(presets) * cfg.start_steps + cfg.steps
    done = [0]

    def energy(vertices: torch.Tensor, scale: float, cache: dict, step: int) -> torch.Tensor:
        if step % cfg.refresh_every == 0 or not cache:
            tree = cKDTree(vertices.detach().numpy())
            cache["cover"] = torch.as_tensor(tree.query(points, workers=-1)[1])
            cache["face"] = (torch.as_tensor(skin_tree.query(vertices[face].detach().numpy(), workers=-1)[1])
                             if skin_tree is not None else None)
        narrow = geman_mcclure(scale)
        terms = narrow(field(vertices) ** 2).mean()
        terms = terms + cfg.cover_weight * geman_mcclure(max(scale, cfg.cover_scale))(
            ((surface - vertices[cache["cover"]]) ** 2).sum(1)).mean()
        if cache["face"] is not None:
            terms = terms + cfg.face_weight * narrow(((vertices[face] - skin_t[cache["face"]]) ** 2).sum(1)).mean()
        return terms

    def run(state: dict[str, torch.Tensor], names: list[str], steps: int, scales: tuple[float, float]) -> float:
        opt = torch.optim.Adam([state[n] for n in names], lr=cfg.learning_rate)
        cache: dict = {}
        loss = torch.tensor(0.0)
        for step in range(steps):
            scale = scales[0] * (scales[1] / scales[0]) ** (step / max(steps - 1, 1))
            opt.zero_grad()
            shape = model.shape_from_free(state["shape"])
            vertices, _ = model.forward(shape, full_pose(state["pose"]), state["rotation"], state["translation"])
            loss = (energy(vertices, scale, cache, step) + parameter_priors(cfg, state, shape, shape0)) * 1e4  # cm²
            loss.backward()
            opt.step()
            done[0] += 1
            if tell is not None:
                tell("body fit", min(done[0] / total, 1.0))
        return float(loss.detach())

    def start(yaw: float, pose: np.ndarray) -> dict[str, torch.Tensor]:
        return {"shape": model.shape_to_free(shape0).clone().requires_grad_(True),
                "pose": torch.as_tensor(pose, **f64).clone().requires_grad_(True),
                "rotation": torch.tensor([0.0, yaw, 0.0], **f64, requires_grad=True),
                "translation": torch.as_tensor(initial_translation(model, bounds, yaw), **f64).requires_grad_(True)}

    wide = (cfg.start_scale, cfg.start_scale)
    if yaw is None:  # the labels cannot tell: the best placement of the default pose and its opposite go on
        placed = [(run(start(y, presets[0]), ["rotation", "translation"], cfg.facing_steps, wide), y) for y in yaws]
        best = min(placed)[1]
        yaws = [best, best + np.pi]
    starts = []
    for y in yaws:
        for pose in presets:
            state = start(y, pose)
            if yaw is not None:
                run(state, ["rotation", "translation"], cfg.facing_steps, wide)
            starts.append((run(state, ["rotation", "translation", "pose", "shape"], cfg.start_steps, wide), y, state))
    if yaw is None:  # only starts facing where the feet point can win (when any does)
        starts = [s for s in starts if facing_agrees(s[2]["rotation"].detach().numpy(), facing_hint)] or starts
    start_loss, chosen, state = min(starts, key=lambda s: s[0])
    final = run(state, ["rotation", "translation", "pose", "shape"], cfg.steps, cfg.scale)
    with torch.no_grad():
        shape, pose = model.shape_from_free(state["shape"]), full_pose(state["pose"])
        vertices, _ = model.forward(shape, pose, state["rotation"], state["translation"])
        params = BodyParams(model.name, shape.numpy(), pose.numpy(), state["rotation"].numpy(),
                            state["translation"].numpy())
        off_surface = field(vertices).abs().numpy()
    uncovered = cKDTree(vertices.numpy()).query(points, workers=-1)[0]
    report = {"loss": final, "start_loss": start_loss, "facing_deg": float(np.degrees(chosen)) % 360,
              "facing_from_labels": yaw is not None, "facing_conflict": conflict, "facing_hint_deg": None if facing_hint is None
              else float(np.degrees(facing_hint)) % 360,
              "vertices_off_surface_cm": float(np.sqrt((off_surface**2).mean()) * 100),  # rms, of the field's zero
              "surface_uncovered": float((uncovered > 0.03).mean())}  # share of samples > 3 cm from the body
    return params, report
