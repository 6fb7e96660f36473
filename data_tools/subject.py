"""One synthetic dressed person: body, outfit, textures, lighting, and its exact ground truth meshes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from jaxtyping import Float, Int

from data_tools.attributes import Attributes, phenotype_ranges
from data_tools.body import Body, build_body, sample_body_spec
from data_tools.garments.outfit import OutfitItem, build_outfit, sample_outfit
from data_tools.garments.procedural import GarmentMesh
from smpl_d.poses import POSE_KINDS, sample_pose
from data_tools.render import Lighting, SceneMesh
from data_tools.textures import Texture, garment_texture, hair_texture, skin_texture
from usr import labels as L
from usr.geometry.distance import MeshQuery
from usr.mesh.ops import face_normals, select_faces

COVER_DISTANCE = 0.08  # a surface with an outer layer this close along its normal is hidden under it


@dataclass
class SyntheticSubject:
    name: str
    seed: int
    body: Body
    outfit: list[OutfitItem]
    garments: list[GarmentMesh]
    skin: Texture
    garment_textures: list[Texture]
    lighting: Lighting

    def layers(self) -> list[SceneMesh]:
        """Scene layers for the renderer: the body, then every garment."""
        out = [SceneMesh("body", L.SKIN, self.body.vertices, self.body.faces, self.skin)]
        out += [SceneMesh(g.name, g.label, g.vertices, g.faces, t) for g, t in zip(self.garments, self.garment_textures)]
        return out

    def meta(self) -> dict:
        return {
            "version": 1,
            "name": self.name,
            "seed": self.seed,
            "body": self.body.spec.to_json(),
            "height_m": round(self.body.height, 6),
            "garments": [
                {**it.to_json(), "name": g.name, "label": L.LABEL_NAMES[g.label], "label_id": g.label,
                 "layer": g.layer, "texture": t.to_json()}
                for g, t, it in zip(self.garments, self.garment_textures, self._items_by_garment())
            ],
            "skin_texture": self.skin.to_json(),
            "lighting": self.lighting.to_json(),
        }

    def _items_by_garment(self) -> list[OutfitItem]:
        by_name = {it.name: it for it in self.outfit}
        return [by_name.get(g.name, by_name.get(g.name.split(":")[0], OutfitItem(g.name))) for g in self.garments]


def make_subject(name: str, seed: int, pose_kinds=POSE_KINDS, garments_dir: Path | None = None,
                 attributes: Attributes | None = None, garment_set: str = "all") -> SyntheticSubject:
    """Sample and build a dressed subject; everything follows from `seed`. `attributes` (outfit kind, body shape,
    pose, lighting; data_tools.attributes) fix what they name; without them the subject is the same as before.
    `garment_set` picks the MakeHuman assets drawn from (data_tools.garments.makehuman.GARMENT_SETS)."""
    a = attributes or Attributes()
    rng = np.random.default_rng(seed)
    pose = sample_pose(a.pose or str(rng.choice(list(pose_kinds))), rng)
    body = build_body(sample_body_spec(rng, pose, phenotype_ranges(a.body) if a.body else None))
    outfit = sample_outfit(rng, garments_dir, a.outfit, garment_set)
    return dress_body(name, seed, body, outfit, rng, lighting=a.lighting)


def dress_body(name: str, seed: int, body: Body, outfit: list[OutfitItem], rng: np.random.Generator,
               textures: dict[str, Texture] | None = None, skin: Texture | None = None,
               lighting: str | Lighting | None = None) -> SyntheticSubject:
    """`body` wearing `outfit` (built here); garment textures (by garment name), skin and light drawn from `rng`
    unless given (`lighting` may be a preset name of data_tools.attributes.LIGHTINGS)."""
    garments = build_outfit(outfit, body)
    drawn = [hair_texture(rng) if g.label == L.HAIR else garment_texture(rng) for g in garments]
    drawn = [(textures or {}).get(g.name, d) for g, d in zip(garments, drawn)]
    skin = skin or skin_texture(rng)
    if not isinstance(lighting, Lighting):
        lighting = Lighting.preset(lighting, rng) if lighting else Lighting.random(rng)
    return SyntheticSubject(name, seed, body, outfit, garments, skin, drawn, lighting)


@dataclass
class LabelledMesh:
    vertices: Float[np.ndarray, "v 3"]
    faces: Int[np.ndarray, "f 3"]
    face_labels: Int[np.ndarray, "f"]
    colors: Float[np.ndarray, "v 3"]


def clothed_surface(subject: SyntheticSubject) -> LabelledMesh:
    """The visible clothed surface: every layer's faces minus those hidden under an outer layer.

    A face is hidden when a ray from its centre along its normal meets a mesh of a higher layer
    (body = layer 0) within COVER_DISTANCE; the inner surfaces of garment shells face the body
    and are always hidden. Labels are the label of the layer each face comes from.
    """
    layers = subject.layers()
    order = [0] + [g.layer for g in subject.garments]
    inner = [None] + [g.inner for g in subject.garments]
    queries = [MeshQuery(layer.vertices, layer.faces) for layer in layers]
    verts, faces, labels, colors = [], [], [], []
    offset = 0
    for i, layer in enumerate(layers):
        v, f = layer.vertices, layer.faces
        a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
        n = face_normals(v, f, eps=1e-12)
        centre = (a + b + c) / 3
        hidden = np.zeros(len(f), bool) if inner[i] is None else inner[i].copy()
        for j, query in enumerate(queries):
            if order[j] <= order[i]:
                continue
            hit = query.cast(centre + n * 1e-3, n)["t_hit"]
            hidden |= hit < COVER_DISTANCE
        kept_v, kept_f, _ = select_faces(v, f, ~hidden)
        verts.append(kept_v)
        faces.append(kept_f + offset)
        labels.append(np.full(len(kept_f), layer.label, dtype=np.uint8))
        colors.append(layer.texture(kept_v))
        offset += len(kept_v)
    return LabelledMesh(np.concatenate(verts), np.concatenate(faces), np.concatenate(labels), np.concatenate(colors))
