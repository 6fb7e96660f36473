"""Procedural garments cut from the body surface: shirts, jacket, trousers, shorts, skirt, dress, shoes, hair.

A garment is the body faces of a region (data_tools.garments.regions), offset outwards by
clearance + looseness, smoothed, pushed out of the body, then thickened into a closed shell
(inner sheet, outer sheet, rim). Skirts and the lower part of dresses are swept tubes around
the legs instead, since cloth does not follow the legs there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from jaxtyping import Bool, Float, Int

from data_tools.body import Body
from data_tools.garments.regions import BodyRegions
from usr import labels as L
from usr.geometry.distance import MeshQuery, push_outside
from usr.mesh.ops import largest_components, laplacian_smooth, select_faces, submesh, thicken

# kind → (label, layer order: higher is further out)
GARMENT_KINDS: dict[str, tuple[int, int]] = {
    "tshirt": (L.UPPER, 2), "longsleeve": (L.UPPER, 2), "tanktop": (L.UPPER, 2),
    "jacket": (L.OUTER, 4),
    "trousers": (L.LOWER, 1), "shorts": (L.LOWER, 1), "skirt": (L.LOWER, 1),
    "dress": (L.DRESS, 3),
    "shoes": (L.SHOES, 1),
    "hair_cap": (L.HAIR, 1), "hair_volume": (L.HAIR, 1),
}


@dataclass
class GarmentSpec:
    """Shape parameters of one procedural garment (metres; `length`/`sleeve` are 0..1 limb coordinates)."""

    kind: str
    looseness: float = 0.01
    length: float = 0.5
    sleeve: float = 0.3
    thickness: float = 0.004
    opening: float = 0.0  # width of the open front (jackets), metres

    @property
    def label(self) -> int:
        return GARMENT_KINDS[self.kind][0]

    @property
    def layer(self) -> int:
        return GARMENT_KINDS[self.kind][1]

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class GarmentMesh:
    name: str
    label: int
    layer: int
    vertices: Float[np.ndarray, "v 3"]
    faces: Int[np.ndarray, "f 3"]
    closed: bool  # a closed shell (signed distance valid) or an open sheet
    inner: Bool[np.ndarray, "f"] | None = None  # faces of a shell's inner surface (face the body)


def sample_spec(kind: str, rng: np.random.Generator) -> GarmentSpec:
    """Realistic random parameters for a garment kind."""
    u = rng.uniform
    table = {
        "tshirt": dict(looseness=u(0.004, 0.025), length=u(0.0, 0.5), sleeve=u(0.12, 0.3)),
        "longsleeve": dict(looseness=u(0.004, 0.02), length=u(0.0, 0.5), sleeve=u(0.88, 0.97)),
        "tanktop": dict(looseness=u(0.003, 0.015), length=u(0.0, 0.5), sleeve=0.0),
        "jacket": dict(looseness=u(0.015, 0.035), length=u(-0.4, 0.1), sleeve=u(0.9, 0.98), thickness=u(0.006, 0.012),
                       opening=u(0.08, 0.2)),  # worn open: what is under it shows down the front
        "trousers": dict(looseness=u(0.004, 0.025), length=u(0.9, 0.98)),
        "shorts": dict(looseness=u(0.006, 0.025), length=u(0.18, 0.42)),
        "skirt": dict(looseness=u(0.01, 0.03), length=u(0.3, 0.75)),
        "dress": dict(looseness=u(0.008, 0.025), length=u(0.35, 0.85), sleeve=float(rng.choice([0.0, u(0.1, 0.3)]))),
        "shoes": dict(looseness=u(0.004, 0.012), length=u(0.9, 0.97), thickness=u(0.006, 0.012)),
        "hair_cap": dict(looseness=0.003, length=u(0.0, 0.4), thickness=u(0.004, 0.01)),
        "hair_volume": dict(looseness=u(0.01, 0.03), length=u(0.3, 1.0), thickness=u(0.01, 0.02)),
    }
    if kind not in table:
        raise ValueError(f"unknown garment kind {kind!r}; known: {', '.join(table)}")
    params = {k: float(np.round(v, 4)) for k, v in table[kind].items()}
    return GarmentSpec(kind, **params)


# ------------------------------------------------------------------ regions
def garment_region(spec: GarmentSpec, r: BodyRegions) -> Bool[np.ndarray, "v"]:
    """Body vertices the garment covers (skirts: only the hips, the tube is swept separately)."""
    g, lm, y = r.group_weight, r.landmarks, r.y
    hip, waist = lm["hip"], lm["waist"]
    torso = (g["torso"] + g["hips"]) > 0.5
    arm = (g["arm"] > 0.5) | ((g["arm"] > 0.25) & (r.arm_coord > 0.0))
    leg = g["leg"] > 0.5
    if spec.kind in ("tshirt", "longsleeve", "tanktop", "jacket", "dress"):
        hem = hip - 0.08 if spec.kind == "dress" else hip - 0.06 + spec.length * (waist - hip + 0.06)
        covered = torso & (y > hem) & (g["neck"] < (0.6 if spec.kind == "jacket" else 0.35))
        if spec.opening > 0:  # an open front: a strip down the chest and belly, widening a little to the hem
            x, z = r.vertices[:, 0], r.vertices[:, 2]
            covered &= ~((z > 0) & (np.abs(x) < 0.5 * spec.opening * (1.0 + 0.5 * (y < waist))))
        if spec.sleeve <= 0.0:  # sleeveless: keep off the arms and the shoulder caps
            shoulder_cap = (g["torso"] > 0.3) & (y > lm["shoulder"] - 0.03) & (np.abs(r.vertices[:, 0]) > 0.09)
            return covered & (g["arm"] < 0.08) & ~shoulder_cap
        return covered | (arm & (r.arm_coord < min(spec.sleeve, 0.99)) & (g["hand"] < 0.3))
    if spec.kind in ("trousers", "shorts", "skirt"):
        top = hip + 0.35 * (waist - hip) + 0.03
        hips = torso & (y < top)
        return hips if spec.kind == "skirt" else hips | (leg & (r.leg_coord < spec.length) & (y < top))
    if spec.kind == "shoes":
        return (g["foot"] > 0.3) | (leg & (r.leg_coord > 0.93 + 0.06 * (1 - spec.length)))
    if spec.kind in ("hair_cap", "hair_volume"):
        h = r.head_local
        head = (g["head"] + g["neck"]) > 0.5
        top = h[head, 1].max()
        # hairline: high over the forehead, lower at the temples, down towards the nape at the back
        front = np.clip(h[:, 2] / 0.1, -1, 1)
        hairline = top - 0.075 - 0.05 * (1 - front) * (1 + spec.length) - 0.02 * np.clip(np.abs(h[:, 0]) / 0.07, 0, 1)
        face = (h[:, 2] > 0.04) & (h[:, 1] < top - 0.06)
        return head & (h[:, 1] > hairline) & ~face
    raise ValueError(f"no region rule for garment kind {spec.kind!r}")


# ------------------------------------------------------------------ builders
CLEARANCE = 0.003  # gap kept between a garment and what lies under it, metres


def offset_sheet(spec: GarmentSpec, body: Body, regions: BodyRegions) -> tuple[np.ndarray, np.ndarray]:
    """The covered body faces, offset outwards by clearance + looseness and smoothed (an open sheet)."""
    mask = garment_region(spec, regions) & regions.outer_skin
    if mask.sum() < 10:
        raise ValueError(f"garment {spec.kind}: region selects only {int(mask.sum())} body vertices")
    v, f, used = submesh(body.vertices, body.faces, mask)
    keep = largest_components(f, len(v), min_fraction=0.03)
    v, f, sub_used = select_faces(v, f, keep)
    normals = body.vertex_normals()[used[sub_used]]
    v = v + normals * (CLEARANCE + spec.looseness)
    return laplacian_smooth(v, f, iterations=4, lam=0.5), f


def swept_tube(body: Body, regions: BodyRegions, y_top: float, y_hem: float, looseness: float,
               flare: float, enclose: np.ndarray | None = None, rings: int = 28, sectors: int = 72):
    """Open tube from y_top down to y_hem enclosing the legs (and `enclose` points): skirts and dresses.

    Per ring, the radius in each angular sector is the largest radius of body points (arms and
    hands excluded) near that height, never shrinking going down, plus looseness and flare.
    """
    g = regions.group_weight
    pts = body.vertices[(g["arm"] + g["hand"]) < 0.3]
    if enclose is not None and len(enclose):
        pts = np.concatenate([pts, enclose])
    top_band = pts[np.abs(pts[:, 1] - y_top) < 0.05]
    centre = top_band[:, [0, 2]].mean(0) if len(top_band) else np.zeros(2)
    ys = np.linspace(y_top, y_hem, rings)
    half = max(abs(y_top - y_hem) / (rings - 1), 0.01) * 1.5
    ang = np.arctan2(pts[:, 0] - centre[0], pts[:, 2] - centre[1])
    rad = np.hypot(pts[:, 0] - centre[0], pts[:, 2] - centre[1])
    sector = ((ang + np.pi) / (2 * np.pi) * sectors).astype(int) % sectors
    radii = np.zeros((rings, sectors))
    for i, yl in enumerate(ys):
        band = np.abs(pts[:, 1] - yl) < half
        r = np.zeros(sectors)
        np.maximum.at(r, sector[band], rad[band])
        if (r > 0).any():  # fill empty sectors from their neighbours (circular interpolation)
            k = np.flatnonzero(r > 0)
            r = np.interp(np.arange(sectors), k, r[k], period=sectors)
        radii[i] = np.maximum(r, radii[i - 1] if i else 0.0)
    win = np.ones(7) / 7
    smooth = np.stack([np.convolve(np.concatenate([r[-3:], r, r[:3]]), win, "valid") for r in radii])
    radii = np.maximum(radii, smooth) + CLEARANCE + looseness + flare * (y_top - ys)[:, None]
    theta = (np.arange(sectors) + 0.5) / sectors * 2 * np.pi - np.pi
    x = centre[0] + radii * np.sin(theta)[None]
    z = centre[1] + radii * np.cos(theta)[None]
    verts = np.stack([x, np.broadcast_to(ys[:, None], x.shape), z], axis=-1).reshape(-1, 3)
    i, k = np.meshgrid(np.arange(rings - 1), np.arange(sectors), indexing="ij")
    a, b = i * sectors + k, i * sectors + (k + 1) % sectors
    c, d = a + sectors, b + sectors
    faces = np.concatenate([np.stack([a, c, b], -1).reshape(-1, 3), np.stack([b, c, d], -1).reshape(-1, 3)])
    return verts, faces


def build_procedural(spec: GarmentSpec, body: Body, regions: BodyRegions,
                     under: list[GarmentMesh], name: str | None = None) -> GarmentMesh:
    """Build one garment outside the body and outside every closed garment of a lower layer in `under`."""
    lm = regions.landmarks
    parts = []
    if spec.kind != "skirt":
        parts.append(offset_sheet(spec, body, regions))
    if spec.kind in ("skirt", "dress"):
        top_sheet = offset_sheet(GarmentSpec("skirt", spec.looseness), body, regions) if spec.kind == "skirt" else parts[0]
        if spec.kind == "skirt":
            parts.append(top_sheet)
        y_top = lm["hip"] + 0.03
        y_hem = lm["hip"] + (lm["ankle"] - lm["hip"]) * spec.length
        parts.append(swept_tube(body, regions, y_top, y_hem, spec.looseness, 0.12 * spec.looseness / 0.02,
                                enclose=top_sheet[0]))
    verts, faces, inner = [], [], []
    body_query = MeshQuery(body.vertices, body.faces)
    for v, f in parts:
        v = push_outside(v, body_query, CLEARANCE)
        for other in under:
            if other.closed and other.layer < spec.layer:
                v = push_outside(v, MeshQuery(other.vertices, other.faces), CLEARANCE)
        v, f, f_inner = thicken(v, f, spec.thickness, rim="inward")
        v = push_outside(v, body_query, CLEARANCE)  # the outer sheet can fold inwards at concave spots
        faces.append(f + sum(len(x) for x in verts))
        verts.append(v)
        inner.append(f_inner)
    return GarmentMesh(name or spec.kind, spec.label, spec.layer, np.concatenate(verts), np.concatenate(faces),
                       closed=True, inner=np.concatenate(inner))
