"""Fit the body model under the clothes of a reconstruction: SMPL-D = shape + pose + displacements D.

What the fit sees is the labelled clothed surface (SCGS face labels). Energy, on the body's vertices:
- skin: surface points labelled skin lie on the body (point-to-plane to the nearest body vertex);
- inside: the body stays inside the clothed surface (signed distance of the clothed mesh, sampled on a grid and
  interpolated trilinearly, so it is differentiable), robustly: a reconstruction erodes or loses thin parts
  (fingers), and a body part far outside must not drag the whole fit;
- tight / reach: garment and hair points are near the body and body vertices near the clothed surface, both
  with a robust (Geman-McClure) penalty, so loose skirts, dresses and coats only weakly pull; its scale starts
  wide (the whole silhouette guides the facing and pose) and narrows;
- face: the front of the head lies near skin points (front and back look alike in a silhouette);
- priors: small pose rotations and phenotypes near the middle of their range.
Stages: several facing directions with rotation/translation/height only, the best one facing where the feet point
kept (smpl_d.facing: a front / back hint); then pose; then all
shape. Then D (smpl_d.displacements): offsets along the normal onto visible skin and under the garments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import trimesh
from scipy.spatial import cKDTree

from smpl_d.body_model import BodyModel, BodyParams
from smpl_d.displacements import body_displacements
from smpl_d.facing import facing_agrees, feet_facing
from usr.geometry.distance import MeshQuery
from usr.labels import BACKGROUND, SKIN
from usr.mesh.ops import vertex_normals
from usr.progress import Progress, Throttled


@dataclass(frozen=True)
class FitConfig:
    facings: int = 4  # facing directions tried (about +Y), the best kept
    start_poses: tuple[str, ...] = ("a_pose", "relaxed", "t_pose")  # tried from each facing, those the model has
    # as presets (anny: all three; SMPL: none, so the rest pose)
    steps_global: int = 25
    steps_start_pose: int = 25
    steps_pose: int = 150
    steps_shape: int = 150
    learning_rate: float = 0.02
    # every term is a mean of squared metres, so the weights compare directly
    skin_weight: float = 1.0
    inside_weight: float = 1.0
    inside_tolerance: float = 0.008  # metres the body may stick out (reconstructions erode thin parts) …
    inside_cap: float = 0.03  # … and beyond this a vertex costs no more (hands and fingers a reconstruction lost)
    tight_weight: float = 0.3
    reach_weight: float = 0.3
    face_weight: float = 1.0
    tight_scale: float = 0.03  # metres: points farther than this from the body barely pull (after the start)
    start_scale: float = 0.12  # the robust scale while the facing and pose are found, annealed to tight_scale
    pose_prior: float = 2e-5  # per rad²
    tilt_prior: float = 2e-3  # per rad² of the global rotation about horizontal axes: people stand upright
    shape_prior: float = 2e-5  # per phenotype unit² (anny) / beta² (SMPL)
    points: int = 3000  # surface samples of each kind
    refresh_every: int = 2  # steps between nearest-vertex searches
    grid_spacing: float = 0.012  # metres, the clothed surface's signed-distance grid
    displacement_reach: float = 0.02  # skin further than this from the fitted body is not followed by D
    displacement_under: float = 0.05  # body sticking out of a garment by less than this is tucked under it by D
    displacement_smoothness: float = 4.0
    displacement_decay: float = 0.2
    seed: int = 0


@dataclass
class BodyFit:
    params: BodyParams
    displacements: np.ndarray  # (V,) metres along the body normal (onto skin, under garments, else 0)
    vertices: np.ndarray  # fitted body with D
    faces: np.ndarray
    report: dict = field(default_factory=dict)


class LatticeSDF:
    """A signed distance sampled on a regular lattice (values indexed x, y, z from `lo`, `step` apart), trilinear in
    torch and differentiable in the points; outside the lattice: the border value."""

    def __init__(self, values: np.ndarray, lo: np.ndarray, step: float):
        counts = np.array(values.shape)
        self.values = torch.as_tensor(np.ascontiguousarray(np.transpose(values, (2, 1, 0))))[None, None]  # (1,1,z,y,x)
        self.lo = torch.as_tensor(np.asarray(lo, dtype=np.float64))
        self.extent = torch.as_tensor((counts - 1) * float(step), dtype=torch.float64)

    def __call__(self, points: torch.Tensor) -> torch.Tensor:
        norm = ((points - self.lo) / self.extent * 2 - 1).to(self.values.dtype)
        out = torch.nn.functional.grid_sample(self.values, norm[None, :, None, None], align_corners=True,
                                              padding_mode="border")
        return out.reshape(-1).to(points.dtype)


def mesh_sdf_lattice(mesh: trimesh.Trimesh, spacing: float, margin: float = 0.06) -> LatticeSDF:
    """The clothed mesh's signed distance on a lattice over its bounds (+ `margin`)."""
    lo, hi = mesh.bounds[0] - margin, mesh.bounds[1] + margin
    counts = np.ceil((hi - lo) / spacing).astype(int) + 1
    axes = [lo[i] + spacing * np.arange(counts[i]) for i in range(3)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    return LatticeSDF(MeshQuery(mesh.vertices, mesh.faces).signed_distance(grid).reshape(*counts), lo, spacing)


def sample_faces(mesh: trimesh.Trimesh, face_mask: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` points uniformly by area on the faces of `face_mask` (none when no face is selected)."""
    faces = np.flatnonzero(face_mask)
    if faces.size == 0:
        return np.zeros((0, 3))
    area = mesh.area_faces[faces]
    pick = rng.choice(faces, size=count, p=area / area.sum())
    r = rng.random((count, 2))
    flip = r.sum(1) > 1
    r[flip] = 1 - r[flip]
    tri = mesh.vertices[mesh.faces[pick]]
    return tri[:, 0] + r[:, :1] * (tri[:, 1] - tri[:, 0]) + r[:, 1:] * (tri[:, 2] - tri[:, 0])


def _nearest(points: torch.Tensor, vertices: torch.Tensor | cKDTree) -> torch.Tensor:
    """Index of the nearest of `vertices` (or of a prebuilt tree's points) for every point."""
    tree = vertices if isinstance(vertices, cKDTree) else cKDTree(vertices.detach().numpy())
    return torch.as_tensor(tree.query(points.detach().numpy(), workers=-1)[1])


class _Energy:
    def __init__(self, model: BodyModel, mesh: trimesh.Trimesh, face_labels: np.ndarray, cfg: FitConfig):
        rng = np.random.default_rng(cfg.seed)
        self.cfg, self.model = cfg, model
        self.skin = torch.as_tensor(sample_faces(mesh, face_labels == SKIN, cfg.points, rng))
        cover = (face_labels != SKIN) & (face_labels != BACKGROUND)
        self.cover = torch.as_tensor(sample_faces(mesh, cover, cfg.points, rng))
        self.surface = torch.cat([self.skin, self.cover])
        self.surface_tree = cKDTree(self.surface.numpy())
        self.face = torch.as_tensor(face_vertices(model))
        self.skin_tree = cKDTree(self.skin.numpy()) if len(self.skin) else None
        self.scale = cfg.tight_scale
        self.sdf = mesh_sdf_lattice(mesh, cfg.grid_spacing)
        self._cache: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def __call__(self, vertices: torch.Tensor, refresh: bool = True) -> dict[str, torch.Tensor]:
        """Energy terms; correspondences (nearest body vertex, its normal) are recomputed only when `refresh`."""
        if refresh or self._cache is None:
            normals = torch.as_tensor(vertex_normals(vertices.detach().numpy(), self.model.faces))
            tree = cKDTree(vertices.detach().numpy())
            skin_idx, cover_idx = _nearest(self.skin, tree), _nearest(self.cover, tree)
            face_idx = _nearest(vertices[self.face], self.skin_tree) if self.skin_tree is not None else None
            self._cache = (skin_idx, normals[skin_idx], cover_idx, _nearest(vertices, self.surface_tree), face_idx)
        skin_idx, skin_normals, cover_idx, body_idx, face_idx = self._cache
        terms: dict[str, torch.Tensor] = {}
        robust, robust_inside = geman_mcclure(self.scale), geman_mcclure(self.cfg.inside_cap)
        if len(self.skin):
            diff = self.skin - vertices[skin_idx]
            terms["skin"] = ((diff * skin_normals).sum(1) ** 2 + 0.1 * (diff**2).sum(1)).mean()
        outside = torch.relu(self.sdf(vertices) - self.cfg.inside_tolerance)
        terms["inside"] = robust_inside(outside.pow(2)).mean()
        if len(self.cover):
            terms["tight"] = robust(((self.cover - vertices[cover_idx]) ** 2).sum(1)).mean()
        terms["reach"] = robust(((vertices - self.surface[body_idx]) ** 2).sum(1)).mean()
        if face_idx is not None:  # the face is skin: tells front from back where the silhouette cannot
            terms["face"] = robust(((vertices[self.face] - self.skin[face_idx]) ** 2).sum(1)).mean()
        return terms

    def total(self, terms: dict[str, torch.Tensor]) -> torch.Tensor:
        cfg = self.cfg
        w = {"skin": cfg.skin_weight, "inside": cfg.inside_weight, "tight": cfg.tight_weight, "reach": cfg.reach_weight,
             "face": cfg.face_weight}
        return sum(w[k] * v for k, v in terms.items()) * 1e4  # cm²: keeps the numbers near 1


def face_vertices(model: BodyModel) -> np.ndarray:
    """The front of the head in the reference pose (mostly skinned to the head, normal towards +Z, below the brow)."""
    rest = model.posed(model.default_params())
    head = model.skin_weights[:, model.joint_index("head")] > 0.5
    normals = vertex_normals(rest.vertices, rest.faces)
    y = rest.vertices[:, 1]
    top, chin = y[head].max(), y[head].min()
    return np.flatnonzero(head & (normals[:, 2] > 0.5) & (y < chin + 0.7 * (top - chin)) & (y > chin + 0.2 * (top - chin)))


def geman_mcclure(scale: float):
    """Squared distance → robust penalty: ≈ d² near 0, levelling off at scale²."""
    s2 = scale**2
    return lambda d2: s2 * d2 / (d2 + s2)


def parameter_priors(cfg, state: dict[str, torch.Tensor], shape: torch.Tensor, shape0: torch.Tensor) -> torch.Tensor:
    """Small pose rotations, the shape near `shape0`, an upright body: `cfg`'s pose_prior, shape_prior and
    tilt_prior (FitConfig and smpl_d.field_fit.FieldFitConfig both have them), squared metres' worth."""
    priors = cfg.pose_prior * (state["pose"] ** 2).sum() + cfg.shape_prior * ((shape - shape0) ** 2).sum()
    return priors + cfg.tilt_prior * (state["rotation"][0] ** 2 + state["rotation"][2] ** 2)


class FittedPose:
    """The model's whole pose from the rotations of the joints a fit poses (`model.fit_joints`); hinge joints
    (knees, elbows) keep only their bend."""

    def __init__(self, model: BodyModel):
        self.bones, self.joints = model.fit_joints, len(model.joint_names)
        projection = np.tile(np.eye(3), (len(self.bones), 1, 1))
        for i, b in enumerate(self.bones):
            axis = model.hinge_axes.get(model.joint_names[b])
            if axis is not None:
                projection[i] = np.outer(axis, axis)
        self.projection = torch.as_tensor(projection)

    def __call__(self, fitted: torch.Tensor) -> torch.Tensor:
        rows = torch.einsum("bij,bj->bi", self.projection, fitted)
        return torch.zeros(self.joints, 3, dtype=torch.float64).index_put((torch.as_tensor(self.bones),), rows)


def _start_poses(model: BodyModel, cfg: FitConfig, bones: list[int]) -> list[np.ndarray]:
    """The fitted bones' rotations of every start pose the model has a preset for (none: the reference pose)."""
    poses = [model.preset_pose(name)[bones] for name in cfg.start_poses if name in model.pose_presets]
    return poses or [np.zeros((len(bones), 3))]


def fit_steps(cfg: FitConfig, start_poses: int) -> int:
    """Optimiser steps of one fit with `start_poses` start poses per facing."""
    starts = cfg.facings * max(start_poses, 1) * (cfg.steps_global + cfg.steps_start_pose)
    return starts + cfg.steps_pose + cfg.steps_shape


def initial_translation(model: BodyModel, bounds: np.ndarray, yaw: float) -> np.ndarray:
    """Where the default body turned by `yaw` stands centred in `bounds` (2, 3), its feet on the bottom."""
    params = model.default_params()
    params.global_rotation = np.array([0.0, yaw, 0.0])
    body = model.posed(params).vertices
    t = bounds.mean(0) - (body.min(0) + body.max(0)) / 2
    t[1] = bounds[0, 1] + 0.01 - body[:, 1].min()  # feet on the shoe soles
    return t


def fit_body(
    model: BodyModel, mesh: trimesh.Trimesh, face_labels: np.ndarray, cfg: FitConfig | None = None,
    progress: Progress | None = None,
) -> BodyFit:
    """Fit `model` under the labelled clothed `mesh` (face labels as in usr.labels). `progress(stage, fraction)`
    hears of the optimiser's steps once per whole percent."""
    cfg = cfg or FitConfig()
    if len(face_labels) != len(mesh.faces):
        raise ValueError(f"face labels: {len(face_labels)} values for a mesh of {len(mesh.faces)} faces")
    if not (face_labels == SKIN).any() and not ((face_labels != BACKGROUND) & (face_labels != SKIN)).any():
        raise ValueError("the clothed mesh has no labelled faces: run the separation (usr separate) first")
    energy = _Energy(model, mesh, face_labels, cfg)
    bones = model.fit_joints
    f64 = {"dtype": torch.float64}
    shape0 = torch.as_tensor(model.default_shape(), **f64)
    poses = _start_poses(model, cfg, bones)
    tell = Throttled(progress) if progress is not None else None
    done, total = [0], fit_steps(cfg, len(poses))

    full_pose = FittedPose(model)

    def run(state: dict[str, torch.Tensor], names: list[str], steps: int, scales: tuple[float, float], stage: str) -> float:
        opt = torch.optim.Adam([state[n] for n in names], lr=cfg.learning_rate)
        loss = torch.tensor(0.0)
        for step in range(steps):
            energy.scale = scales[0] * (scales[1] / scales[0]) ** (step / max(steps - 1, 1))
            opt.zero_grad()
            shape = model.shape_from_free(state["shape"])
            pose = full_pose(state["pose"])
            vertices, _ = model.forward(shape, pose, state["rotation"], state["translation"])
            terms = energy(vertices, refresh=step % cfg.refresh_every == 0)
            loss = energy.total(terms) + parameter_priors(cfg, state, shape, shape0) * 1e4
            loss.backward()
            opt.step()
            done[0] += 1
            if tell is not None:
                tell(stage, done[0] / total)
        return float(loss.detach())

    def initial(yaw: float) -> dict[str, torch.Tensor]:
        shape = model.shape_to_free(shape0)
        return {
            "shape": shape.clone().requires_grad_(True),
            "pose": torch.zeros(len(bones), 3, **f64, requires_grad=True),
            "rotation": torch.tensor([0.0, yaw, 0.0], **f64, requires_grad=True),
            "translation": torch.as_tensor(initial_translation(model, mesh.bounds, yaw), **f64).requires_grad_(True),
        }

    # every facing × start pose, rotation and translation first, then the pose; the lowest energy is kept
    starts = []
    for k in range(cfg.facings):
        for p, pose in enumerate(poses):
            state = initial(2 * np.pi * k / cfg.facings)
            with torch.no_grad():
                state["pose"][:] = torch.as_tensor(pose)
            stage = f"body fit: facing {k + 1}/{cfg.facings}, start pose {p + 1}/{len(poses)}"
            run(state, ["rotation", "translation"], cfg.steps_global, (cfg.start_scale,) * 2, stage)
            loss = run(state, ["rotation", "translation", "pose"], cfg.steps_start_pose, (cfg.start_scale,) * 2, stage)
            starts.append((loss, k, p, state))
    # front and back look alike under clothes: only starts facing where the feet point can win (when they tell)
    hint = feet_facing(sample_faces(mesh, np.ones(len(mesh.faces), bool), cfg.points, np.random.default_rng(cfg.seed)))
    agreeing = [s for s in starts if facing_agrees(s[3]["rotation"].detach().numpy(), hint)]
    best_loss, *_, state = min(agreeing or starts, key=lambda s: s[:3])
    run(state, ["rotation", "translation", "pose"], cfg.steps_pose, (cfg.start_scale, cfg.tight_scale), "body fit: pose")
    final = run(state, ["rotation", "translation", "pose", "shape"], cfg.steps_shape, (cfg.tight_scale,) * 2,
                "body fit: shape")

    with torch.no_grad():
        shape = model.shape_from_free(state["shape"])
        pose = full_pose(state["pose"])
        params = BodyParams(model.name, shape.numpy(), pose.numpy(), state["rotation"].numpy(), state["translation"].numpy())
        vertices = model.posed(params).vertices
        energy.scale = cfg.tight_scale
        terms = {k: float(v) for k, v in energy(torch.as_tensor(vertices)).items()}
    displacements = body_displacements(vertices, model.faces, mesh, face_labels, cfg.displacement_reach,
                                       cfg.displacement_under, cfg.displacement_smoothness, cfg.displacement_decay)
    with_d = vertices + displacements[:, None] * vertex_normals(vertices, model.faces)
    report = {"loss": final, "start_loss": best_loss, "terms": terms, "backend": model.name,
              "displaced_vertices": int((np.abs(displacements) > 1e-3).sum())}
    return BodyFit(params, displacements, with_d, np.asarray(model.faces), report)
