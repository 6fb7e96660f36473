"""Geometry metrics comparable with ICON/ECON.

Both meshes are scaled by 1.8 m / (ground-truth height) about the origin; points are sampled
area-weighted on each surface; exact point-to-mesh distances come from open3d.
P2S = mean distance from ground-truth samples to the predicted surface (cm); Chamfer = ½ (P2S +
predicted→ground-truth); normal consistency = mean |cos| between the normals of rendered normal
maps of both meshes where both are seen (1 = identical), with ICON's normal-map L2 error beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from usr.geometry.distance import MeshQuery
from usr.io.cameras import Camera, intrinsics_from_fov, look_at

TARGET_HEIGHT_M = 1.8


@dataclass
class GeometryScores:
    chamfer_cm: float
    p2s_cm: float
    reverse_cm: float
    normal_consistency: float
    normal_l2: float
    scale: float
    samples: int


def height_scale(gt: trimesh.Trimesh, target: float = TARGET_HEIGHT_M) -> float:
    h = float(gt.vertices[:, 1].max() - gt.vertices[:, 1].min())
    if h <= 0:
        raise ValueError("ground-truth mesh has zero height")
    return target / h


def sample_surface(mesh: trimesh.Trimesh, n: int, seed: int = 0) -> np.ndarray:
    """Area-weighted uniform samples (deterministic per seed)."""
    return sample_surface_faces(mesh, n, seed)[0]


def sample_surface_faces(mesh: trimesh.Trimesh, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Area-weighted uniform samples and the face each lies on (deterministic per seed)."""
    v, f = np.asarray(mesh.vertices, float), np.asarray(mesh.faces)
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    rng = np.random.default_rng(seed)
    tri = rng.choice(len(f), size=n, p=area / area.sum())
    r1, r2 = rng.random(n), rng.random(n)
    s = np.sqrt(r1)
    return a[tri] * (1 - s)[:, None] + b[tri] * (s * (1 - r2))[:, None] + c[tri] * (s * r2)[:, None], tri


def point_to_surface_cm(points: np.ndarray, mesh: trimesh.Trimesh) -> float:
    return float(MeshQuery(np.asarray(mesh.vertices), np.asarray(mesh.faces)).distance(points).mean() * 100.0)


def normal_views(n_views: int = 4, size: int = 256) -> list[Camera]:
    """Cameras around the (scaled) person for normal maps: front, sides, back."""
    cams = []
    for i in range(n_views):
        az = 2 * np.pi * i / n_views
        R, t = look_at(3.0 * np.array([np.sin(az), 0.0, np.cos(az)]), np.zeros(3))
        cams.append(Camera(f"n{i}", size, size, intrinsics_from_fov(size, size, 2 * np.arctan(1.05 / 3.0)), R, t))
    return cams


def normal_map(mesh: trimesh.Trimesh, cam: Camera) -> np.ndarray:
    """World normals (facing the camera) per pixel, zeros where the mesh is not hit."""
    q = MeshQuery(np.asarray(mesh.vertices), np.asarray(mesh.faces))
    o, d = cam.image_rays()
    hit = q.cast(o.reshape(-1, 3), d.reshape(-1, 3))
    n = hit["primitive_normals"].astype(np.float64)
    ok = np.isfinite(hit["t_hit"])
    flip = np.einsum("nc,nc->n", n, d.reshape(-1, 3)) > 0
    n[flip] *= -1
    n[~ok] = 0
    return n.reshape(cam.height, cam.width, 3)


def normal_scores(pred: trimesh.Trimesh, gt: trimesh.Trimesh, views: list[Camera] | None = None) -> tuple[float, float]:
    cos, l2 = [], []
    for cam in views or normal_views():
        a, b = normal_map(pred, cam), normal_map(gt, cam)
        both = (np.linalg.norm(a, axis=-1) > 0) & (np.linalg.norm(b, axis=-1) > 0)
        if both.any():
            cos.append(np.einsum("nc,nc->n", a[both], b[both]))
        either = (np.linalg.norm(a, axis=-1) > 0) | (np.linalg.norm(b, axis=-1) > 0)
        if either.any():
            l2.append(np.linalg.norm(a[either] - b[either], axis=-1))
    nc = float(np.abs(np.concatenate(cos)).mean()) if cos else 0.0
    return nc, float(np.concatenate(l2).mean()) if l2 else 2.0


def scaled_to_protocol(pred: trimesh.Trimesh, gt: trimesh.Trimesh) -> tuple[float, trimesh.Trimesh, trimesh.Trimesh]:
    """Both meshes scaled about the origin so that the ground truth is 1.8 m tall: (scale, pred, gt)."""
    s = height_scale(gt)
    return (s, trimesh.Trimesh(np.asarray(pred.vertices) * s, pred.faces, process=False),
            trimesh.Trimesh(np.asarray(gt.vertices) * s, gt.faces, process=False))


def distance_terms_cm(pred_s: trimesh.Trimesh, gt_s: trimesh.Trimesh, samples: int, seed: int) -> tuple[float, float]:
    """(P2S: ground-truth samples → prediction, reverse: prediction samples → ground truth) on scaled meshes."""
    return (point_to_surface_cm(sample_surface(gt_s, samples, seed), pred_s),
            point_to_surface_cm(sample_surface(pred_s, samples, seed + 1), gt_s))


def chamfer_cm(pred: trimesh.Trimesh, gt: trimesh.Trimesh, samples: int = 10000, seed: int = 0) -> float:
    """Chamfer of the protocol alone (no normal maps), for callers that need only this number."""
    return 0.5 * sum(distance_terms_cm(*scaled_to_protocol(pred, gt)[1:], samples, seed))


def geometry_scores(pred: trimesh.Trimesh, gt: trimesh.Trimesh, samples: int = 10000, seed: int = 0) -> GeometryScores:
    """Chamfer / P2S / normal consistency of `pred` against `gt` under the protocol above."""
    s, pred_s, gt_s = scaled_to_protocol(pred, gt)
    p2s, rev = distance_terms_cm(pred_s, gt_s, samples, seed)
    nc, nl2 = normal_scores(pred_s, gt_s)
    return GeometryScores(0.5 * (p2s + rev), p2s, rev, nc, nl2, s, samples)
