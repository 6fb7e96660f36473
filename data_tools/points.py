"""Exact point supervision for one synthetic subject (`gt/points.npz`, written by `usr data synth --points N`).

Points are drawn near the ground-truth clothed surface `gt/full.obj` (area-weighted surface samples moved by an
isotropic Gaussian offset, σ = 1 cm and σ = 5 cm) and uniformly in its bounding box grown by a margin. Each point
gets:
- `sdf`: signed distance to the clothed surface, negative inside. The magnitude is exact (open3d RaycastingScene
  closest points). The clothed surface is open (garment hems, sleeves, the body cut where a garment covers it), so
  inside/outside is the **generalized winding number** of that surface (libigl's fast winding number): inside when
  ≥ 0.5. It is 1 inside a closed surface and 0 outside; across a hole it changes smoothly, so a hole's sign error
  is confined to points near the hole (measured in docs/formats.md).
- `label`: the label of the nearest ground-truth face (`full_face_labels.npy`).
- `body_sdf`: signed distance to the body's skin under the clothes (`gt/body.obj` without its small separate parts,
  eyes and mouth: they sit half inside the head), sign by winding number too (a posed body may self-intersect,
  where ray parity would flip the sign; the winding number counts 2 there, still inside).
- `winding`: the clothed surface's winding number (training may trust points far from 0.5 more).
Surface samples with unit normals (pointing from inside to outside as the winding number says) serve a normal term.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import igl
import numpy as np
from jaxtyping import Float, Int, UInt8

from usr.geometry.distance import MeshQuery
from usr.io.meshes import load_mesh
from usr.io.points_file import KINDS, PointSamples
from usr.mesh.ops import face_normals, largest_components
from usr.progress import Progress, notify
from usr.settings import setting

NORMAL_PROBE = 0.002  # metres either side of a surface sample where the winding number orients its normal


@dataclass(frozen=True)
class PointSpec:
    """How many points of which kind one subject gets."""

    count: int = setting(200_000, "Points per subject (near the surface and in the box).", min=1)
    fine_fraction: float = setting(0.4, "Share of the points at σ = fine_sigma from the surface.", min=0.0, max=1.0)
    coarse_fraction: float = setting(0.4, "Share of the points at σ = coarse_sigma.", min=0.0, max=1.0)
    fine_sigma: float = setting(0.01, "Gaussian offset of the fine near-surface points, metres.", min=0.0)
    coarse_sigma: float = setting(0.05, "Gaussian offset of the coarse near-surface points, metres.", min=0.0)
    box_margin: float = setting(0.1, "The uniform points' box: the clothed surface's bounding box grown by this, "
                                     "metres.", min=0.0)
    surface_fraction: float = setting(0.1, "Surface samples with normals, as a share of `count`.", min=0.0)

    def __post_init__(self) -> None:
        if self.fine_fraction + self.coarse_fraction > 1.0 + 1e-9:
            raise ValueError(f"fine_fraction + coarse_fraction must be ≤ 1, got {self.fine_fraction} + "
                             f"{self.coarse_fraction}")

    @property
    def counts(self) -> tuple[int, int, int]:
        """Points per kind of KINDS (they add up to `count`)."""
        fine = int(round(self.count * self.fine_fraction))
        coarse = int(round(self.count * self.coarse_fraction))
        return fine, coarse, self.count - fine - coarse

    @property
    def surface_count(self) -> int:
        return int(round(self.count * self.surface_fraction))


def winding_number(vertices: Float[np.ndarray, "v 3"], faces: Int[np.ndarray, "f 3"],
                   queries: Float[np.ndarray, "n 3"]) -> Float[np.ndarray, "n"]:
    """Generalized winding number of a triangle soup at each query (1 inside a closed outward-wound mesh, 0
    outside; libigl's fast approximation)."""
    return igl.fast_winding_number(np.ascontiguousarray(vertices, dtype=np.float64),
                                   np.ascontiguousarray(faces, dtype=np.int64),
                                   np.ascontiguousarray(queries, dtype=np.float64))


def surface_samples(vertices: Float[np.ndarray, "v 3"], faces: Int[np.ndarray, "f 3"], n: int,
                    rng: np.random.Generator) -> tuple[Float[np.ndarray, "n 3"], Int[np.ndarray, "n"]]:
    """`n` area-weighted uniform points on the mesh, and the face each lies on."""
    a, b, c = (vertices[faces[:, k]] for k in range(3))
    area = np.linalg.norm(np.cross(b - a, c - a), axis=1)
    face = rng.choice(len(faces), n, p=area / area.sum())
    r = rng.random((n, 2))
    flip = r.sum(1) > 1
    r[flip] = 1 - r[flip]
    return a[face] + r[:, :1] * (b - a)[face] + r[:, 1:] * (c - a)[face], face


def signed_distance(query: MeshQuery, vertices, faces, points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(signed distance, winding number, nearest face) of `points` to a possibly open mesh: exact distance, negative
    where the winding number is ≥ 0.5."""
    closest, _, face = query.closest(points)
    w = winding_number(vertices, faces, points)
    d = np.linalg.norm(points - closest, axis=1)
    return np.where(w >= 0.5, -d, d), w, face


def body_skin(vertices: Float[np.ndarray, "v 3"], faces: Int[np.ndarray, "f 3"]) -> Int[np.ndarray, "f 3"]:
    """The faces of the body's skin: its large connected part (the eyes and mouth parts are separate and small)."""
    return faces[largest_components(faces, len(vertices), 0.5)]


def sample_points(clothed_vertices: Float[np.ndarray, "v 3"], clothed_faces: Int[np.ndarray, "f 3"],
                  face_labels: UInt8[np.ndarray, "f"], body_vertices: Float[np.ndarray, "b 3"],
                  body_faces: Int[np.ndarray, "g 3"], spec: PointSpec, rng: np.random.Generator,
                  progress: Progress | None = None) -> PointSamples:
    """The supervision points of one subject (see the module doc); deterministic for a given `rng` state."""
    v = np.asarray(clothed_vertices, dtype=np.float64)
    f = np.asarray(clothed_faces, dtype=np.int64)
    fine, coarse, uniform = spec.counts
    on, _ = surface_samples(v, f, fine + coarse, rng)
    sigma = np.repeat([spec.fine_sigma, spec.coarse_sigma], [fine, coarse])[:, None]
    near = on + rng.normal(size=on.shape) * sigma
    lo, hi = v.min(0) - spec.box_margin, v.max(0) + spec.box_margin
    points = np.concatenate([near, rng.uniform(lo, hi, (uniform, 3))]).astype(np.float32)
    p = points.astype(np.float64)  # the distances are those of the stored (float32) points
    notify(progress, "clothed surface", 0.0)
    clothed = MeshQuery(v, f)
    sdf, w, face = signed_distance(clothed, v, f, p)
    notify(progress, "body", 0.5)
    bv = np.asarray(body_vertices, dtype=np.float64)
    bf = body_skin(bv, np.asarray(body_faces, dtype=np.int64))
    body_sdf, _, _ = signed_distance(MeshQuery(bv, bf), bv, bf, p)
    notify(progress, "surface normals", 0.9)
    s, s_face = surface_samples(v, f, spec.surface_count, rng)
    normals = face_normals(v, f, eps=1e-12)[s_face]
    outside = winding_number(v, f, np.concatenate([s + NORMAL_PROBE * normals, s - NORMAL_PROBE * normals]))
    flipped = outside[: len(s)] > outside[len(s):]  # the face is wound inwards: its normal points inside
    normals[flipped] *= -1
    notify(progress, "done", 1.0)
    return PointSamples(
        points=points, counts=np.array(spec.counts, dtype=np.int64), sdf=sdf.astype(np.float16),
        winding=w.astype(np.float16), label=np.asarray(face_labels, dtype=np.uint8)[face],
        body_sdf=body_sdf.astype(np.float16), surface_points=s.astype(np.float32),
        surface_normals=normals.astype(np.float16), surface_labels=np.asarray(face_labels, dtype=np.uint8)[s_face],
        sigmas=np.array([spec.fine_sigma, spec.coarse_sigma], dtype=np.float32))


def points_for_subject(gt: Path, spec: PointSpec, seed: int, progress: Progress | None = None) -> PointSamples:
    """The points of the subject whose ground truth is in the folder `gt` (full.obj, full_face_labels.npy,
    body.obj), drawn from `SeedSequence([seed, 23])`."""
    gt = Path(gt)
    full, body = load_mesh(gt / "full.obj"), load_mesh(gt / "body.obj")
    labels = np.load(gt / "full_face_labels.npy")
    if len(labels) != len(full.faces):
        raise ValueError(f"{gt / 'full_face_labels.npy'}: {len(labels)} labels for {len(full.faces)} faces")
    return sample_points(np.asarray(full.vertices), np.asarray(full.faces), labels, np.asarray(body.vertices),
                         np.asarray(body.faces), spec, np.random.default_rng([seed, 23]), progress)
