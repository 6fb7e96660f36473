"""MakeHuman CC0 garments (`.mhclo` + `.obj`) bound to anny bodies through the hm08 vertex ids.

`.mhclo`: after `verts 0`, one line per garment vertex, `i j k wi wj wk dx dy dz`: a barycentric
binding to hm08 base-mesh vertices plus an offset in MakeHuman units (decimetres, MakeHuman's
Y-up frame — the same axes as our world), scaled per axis by `x_scale i j s` lines:
scale = |v_i − v_j| along the axis on the current body / s. Offsets are expressed in the local
frame of the bound triangle on the rest body and carried to the posed triangle, so sleeves
follow bent arms. Suits (shirt + trousers in one mesh) are split into upper/lower by the
skinning of the body vertices each garment vertex is bound to.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from jaxtyping import Float, Int

from data_tools.body import Body, bone_labels
from usr import labels as L
from usr.mesh.ops import largest_components, select_faces

KIND_LABEL = {"suit": None, "shoes": L.SHOES, "hair": L.HAIR}  # suits are split into upper/lower

# Reserved for evaluation, never worn in training (`usr data synth --garment-set train` leaves them out, `eval` uses
# only them): 3 of the 12 suits, 1 of the 6 shoes, 2 of the 10 hair styles; each has a kin in the training set.
EVAL_ASSETS = ("female_casualsuit02", "male_casualsuit04", "male_worksuit01", "shoes06", "bob02", "short04")
GARMENT_SETS = ("all", "train", "eval")  # all: every asset (as before the sets existed)


@dataclass(frozen=True)
class GarmentAsset:
    kind: str  # suit, shoes, hair (hats are skipped: no hat label)
    name: str
    path: Path  # the .mhclo


@dataclass
class MhcloGarment:
    name: str
    path: Path
    faces: Int[np.ndarray, "f 3"]
    refs: Int[np.ndarray, "n 3"]
    weights: Float[np.ndarray, "n 3"]
    offsets: Float[np.ndarray, "n 3"]
    scales: dict[str, tuple[int, int, float]]


class MhcloError(ValueError):
    pass


def discover_garments(root: Path) -> list[GarmentAsset]:
    """Suits, shoes and hair under root/clothes and root/hair (one .mhclo per folder; hats skipped)."""
    root = Path(root)
    assets = []
    for sub in ("clothes", "hair"):
        for folder in sorted((root / sub).glob("*")):
            clo = sorted(folder.glob("*.mhclo"))
            if not clo:
                continue
            name = folder.name
            kind = "hair" if sub == "hair" else "shoes" if name.startswith("shoes") else "hat" if "fedora" in name else "suit"
            if kind != "hat":
                assets.append(GarmentAsset(kind, name, clo[0]))
    if not assets:
        raise FileNotFoundError(f"{root}: no MakeHuman garments found (expected clothes/<name>/<name>.mhclo, hair/...)")
    return assets


def select_assets(assets: list[GarmentAsset], garment_set: str) -> list[GarmentAsset]:
    """The assets of a garment set of GARMENT_SETS: all, train (without EVAL_ASSETS) or eval (only those)."""
    if garment_set not in GARMENT_SETS:
        raise ValueError(f"unknown garment set {garment_set!r}; known: {', '.join(GARMENT_SETS)}")
    if garment_set == "all":
        return list(assets)
    return [a for a in assets if (a.name in EVAL_ASSETS) == (garment_set == "eval")]


@functools.lru_cache(maxsize=64)
def load_mhclo(path: Path) -> MhcloGarment:
    """Parse a .mhclo and its OBJ; MhcloError names the file and line of malformed content."""
    path = Path(path)
    refs, weights, offsets, scales, obj_file = [], [], [], {}, None
    in_verts = False
    for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        tok = line.split()
        if not tok or tok[0].startswith("#"):
            continue
        if in_verts and _is_number(tok[0]):
            try:
                vals = [float(t) for t in tok]
            except ValueError:
                raise MhcloError(f"{path}:{lineno}: binding line is not numeric: {line.strip()!r}") from None
            if len(vals) == 9:
                refs.append([int(v) for v in vals[:3]])
                weights.append(vals[3:6])
                offsets.append(vals[6:9])
            elif len(vals) == 1:
                refs.append([int(vals[0])] * 3)
                weights.append([1.0, 0.0, 0.0])
                offsets.append([0.0, 0.0, 0.0])
            else:
                raise MhcloError(f"{path}:{lineno}: binding line needs 9 numbers (i j k wi wj wk dx dy dz) or 1, got {len(vals)}")
            continue
        key = tok[0]
        if key == "verts":
            in_verts = True
        elif key == "delete_verts":
            in_verts = False
        elif key == "obj_file" and len(tok) > 1:
            obj_file = tok[1]
        elif key in ("x_scale", "y_scale", "z_scale"):
            try:
                scales[key[0]] = (int(tok[1]), int(tok[2]), float(tok[3]))
            except (IndexError, ValueError):
                raise MhcloError(f"{path}:{lineno}: {key} needs 'i j scale'") from None
    if not refs:
        raise MhcloError(f"{path}: no vertex bindings after 'verts 0'")
    obj = path.parent / (obj_file or f"{path.stem}.obj")
    n_obj, faces = _read_obj_faces(obj)
    if n_obj != len(refs):
        raise MhcloError(f"{path}: {len(refs)} bindings but {obj.name} has {n_obj} vertices")
    return MhcloGarment(path.stem, path, faces, np.array(refs), np.array(weights), np.array(offsets), scales)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _read_obj_faces(obj: Path) -> tuple[int, np.ndarray]:
    """Vertex count and fan-triangulated faces of an OBJ, without merging or splitting vertices."""
    if not obj.is_file():
        raise MhcloError(f"{obj}: OBJ file named by the .mhclo not found")
    n, faces = 0, []
    for lineno, line in enumerate(obj.read_text(errors="replace").splitlines(), 1):
        if line.startswith("v "):
            n += 1
        elif line.startswith("f "):
            try:
                idx = [int(t.split("/")[0]) for t in line.split()[1:]]
            except ValueError:
                raise MhcloError(f"{obj}:{lineno}: bad face line {line.strip()!r}") from None
            idx = [i - 1 if i > 0 else n + i for i in idx]
            faces += [[idx[0], idx[k], idx[k + 1]] for k in range(1, len(idx) - 1)]
    f = np.array(faces, dtype=np.int64).reshape(-1, 3)
    if len(f) and (f.min() < 0 or f.max() >= n):
        raise MhcloError(f"{obj}: face index out of range (vertices: {n})")
    return n, f


def _frames(v: np.ndarray, refs: np.ndarray) -> np.ndarray:
    """Per binding: orthonormal frame (rows: edge, in-plane normal, triangle normal) of its triangle."""
    a, b, c = v[refs[:, 0]], v[refs[:, 1]], v[refs[:, 2]]
    e1 = b - a
    n = np.cross(e1, c - a)
    degenerate = np.linalg.norm(n, axis=1) < 1e-12
    e1[np.linalg.norm(e1, axis=1) < 1e-12] = [1.0, 0.0, 0.0]
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    n[degenerate] = np.cross(e1[degenerate], [0.0, 0.0, 1.0]) + 1e-9
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    e2 = np.cross(n, e1)
    return np.stack([e1, e2, n], axis=1)


def fit_to_body(g: MhcloGarment, body: Body) -> Float[np.ndarray, "n 3"]:
    """Garment vertex positions on the posed body (world, metres)."""
    rest = body.hm08_rest
    scale = np.ones(3)
    for axis, k in (("x", 0), ("y", 1), ("z", 2)):
        if axis in g.scales:
            i, j, s = g.scales[axis]
            scale[k] = abs(rest[i, k] - rest[j, k]) / s
    offset = g.offsets * scale
    local = np.einsum("nij,nj->ni", _frames(rest, g.refs), offset)  # offset in the rest triangle frame
    posed = body.hm08_vertices
    base = np.einsum("nk,nkc->nc", g.weights, posed[g.refs])
    return base + np.einsum("nij,ni->nj", _frames(posed, g.refs), local)


LOWER_BONES = ("root", "pelvis", "upperleg", "lowerleg", "foot", "toe")


def _lower_weight_per_hm08(body: Body) -> np.ndarray:
    """For every hm08 vertex: the share of its skinning on hips/legs (−1 where the vertex is not in the body surface)."""
    lower = np.array([b.split(".")[0].rstrip("0123456789") in LOWER_BONES or b.startswith(LOWER_BONES) for b in bone_labels()])
    out = np.full(len(body.hm08_vertices), -1.0)
    out[body.hm08_index] = body.bone_weights[:, lower].sum(1)
    return out


def split_suit(g: MhcloGarment, vertices: np.ndarray, body: Body) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Upper (3) and lower (4) parts of a one-piece suit, cut where the bound skin changes from torso to hips."""
    lw = _lower_weight_per_hm08(body)
    w = lw[g.refs]
    known = w >= 0
    vert_lower = np.where(known.any(1), (np.where(known, w, 0) * g.weights).sum(1) / np.maximum((known * g.weights).sum(1), 1e-9), 0.0)
    # binding to helper geometry (not in the body surface): fall back to height relative to the hips
    hip_y = 0.5 * (body.joints["upperleg01.L"][1] + body.joints["upperleg01.R"][1])
    helper_only = ~known.any(1)
    vert_lower[helper_only] = (vertices[helper_only, 1] < hip_y + 0.05).astype(float)
    face_lower = vert_lower[g.faces].mean(1) > 0.5
    face_lower = _absorb_islands(g.faces, len(vertices), face_lower)
    parts = {}
    for label, sel in ((L.UPPER, ~face_lower), (L.LOWER, face_lower)):
        if sel.any():
            parts[label] = select_faces(vertices, g.faces, sel)[:2]
    return parts


def _absorb_islands(faces: np.ndarray, n: int, lower: np.ndarray, min_fraction: float = 0.02) -> np.ndarray:
    """Flip small connected patches of one side to the other (a clean cut at the waist)."""
    out = lower.copy()
    for side in (True, False):
        sel = np.flatnonzero(out == side)
        if sel.size == 0:
            continue
        keep = largest_components(faces[sel], n, min_fraction)
        out[sel[~keep]] = not side
    return out


def makehuman_layers(assets: list[GarmentAsset], body: Body) -> list[tuple[str, int, np.ndarray, np.ndarray]]:
    """(name, label, vertices, faces) for each asset on `body`; suits give an upper and a lower part."""
    out = []
    for asset in assets:
        g = load_mhclo(asset.path)
        verts = fit_to_body(g, body)
        if asset.kind == "suit":
            for label, (v, f) in split_suit(g, verts, body).items():
                out.append((f"{asset.name}:{L.LABEL_NAMES[label]}", label, v, f))
        else:
            out.append((asset.name, KIND_LABEL[asset.kind], verts, g.faces))
    return out


def load_asset(path: Path) -> GarmentAsset:
    """The asset for a .mhclo path (kind from its folder: clothes/shoes*, clothes/*, hair/*)."""
    path = Path(path)
    folder = path.parent
    kind = "hair" if folder.parent.name == "hair" else "shoes" if folder.name.startswith("shoes") else "suit"
    return GarmentAsset(kind, folder.name, path)
