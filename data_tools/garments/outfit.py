"""Outfits: which garments a subject wears, built in layer order so outer layers sit outside inner ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from data_tools.body import Body
from data_tools.garments.makehuman import discover_garments, load_asset, makehuman_layers, select_assets
from data_tools.garments.procedural import CLEARANCE, GarmentMesh, GarmentSpec, build_procedural, sample_spec
from data_tools.garments.regions import body_regions
from usr import labels as L
from usr.geometry.distance import MeshQuery, push_outside

TOPS = ("tshirt", "longsleeve", "tanktop")
BOTTOMS = ("trousers", "shorts", "skirt")


@dataclass
class OutfitItem:
    """One garment of an outfit: procedural (spec) or a MakeHuman asset (mhclo path)."""

    name: str
    spec: GarmentSpec | None = None
    mhclo: str | None = None

    def to_json(self) -> dict:
        """JSON form; a MakeHuman asset is named relative to the garments folder (clothes/<name>/<file>)."""
        mhclo = "/".join(Path(self.mhclo).parts[-3:]) if self.mhclo else None
        return {"item": self.name, "spec": self.spec.to_json() if self.spec else None, "mhclo": mhclo}


def sample_outfit(rng: np.random.Generator, garments_dir: Path | None = None, kind: str | None = None,
                  garment_set: str = "all") -> list[OutfitItem]:
    """A plausible outfit: top + bottom (or a dress), maybe a jacket, usually shoes and hair.

    With `garments_dir` (MakeHuman CC0 assets), about half of the subjects wear a MakeHuman suit
    instead of the procedural top and bottom, and MakeHuman shoes/hair are mixed in. `kind`
    (data_tools.attributes.OUTFIT_KINDS) asks for the main garment: a dress, a skirt / trousers / shorts
    under any top, or a MakeHuman suit. `garment_set` (makehuman.GARMENT_SETS) picks the MakeHuman assets drawn
    from: all, train (the evaluation assets left out) or eval (only those).
    """
    assets = _assets(garments_dir, garment_set)
    if kind == "suit" and not assets.get("suit"):
        raise ValueError("outfit kind 'suit' needs the MakeHuman CC0 assets (--garments-dir)")
    items: list[OutfitItem] = []
    use_mh = kind == "suit" or (kind is None and bool(assets.get("suit")) and rng.random() < 0.5)
    if use_mh:
        suit = assets["suit"][rng.integers(len(assets["suit"]))]
        items.append(OutfitItem(suit.name, mhclo=str(suit.path)))
    elif kind == "dress" or (kind is None and rng.random() < 0.25):
        items.append(OutfitItem("dress", spec=sample_spec("dress", rng)))
    else:
        bottom, top = kind or str(rng.choice(BOTTOMS)), str(rng.choice(TOPS))
        items.append(OutfitItem(bottom, spec=sample_spec(bottom, rng)))
        items.append(OutfitItem(top, spec=sample_spec(top, rng)))
    if not use_mh and rng.random() < 0.3:
        items.append(OutfitItem("jacket", spec=sample_spec("jacket", rng)))
    if rng.random() < 0.85:
        items.append(_asset_or_procedural(rng, assets.get("shoes"), 0.5, ["shoes"]))
    if rng.random() < 0.9:
        items.append(_asset_or_procedural(rng, assets.get("hair"), 0.4, ["hair_cap", "hair_volume"]))
    return items


def _asset_or_procedural(rng: np.random.Generator, assets: list | None, p_asset: float, kinds: list[str]) -> OutfitItem:
    """A MakeHuman asset with probability `p_asset` (when there are any), else a procedural garment."""
    if assets and rng.random() < p_asset:
        asset = assets[rng.integers(len(assets))]
        return OutfitItem(asset.name, mhclo=str(asset.path))
    kind = str(rng.choice(kinds)) if len(kinds) > 1 else kinds[0]
    return OutfitItem(kind, spec=sample_spec(kind, rng))


def _assets(garments_dir: Path | None, garment_set: str = "all") -> dict[str, list]:
    if garments_dir is None:
        return {}
    by_kind: dict[str, list] = {}
    for asset in select_assets(discover_garments(Path(garments_dir)), garment_set):
        by_kind.setdefault(asset.kind, []).append(asset)
    return by_kind


def build_outfit(items: list[OutfitItem], body: Body) -> list[GarmentMesh]:
    """Build every garment, innermost layer first; each is pushed outside the body and inner layers."""
    regions = body_regions(body)
    built: list[GarmentMesh] = []
    mh = [it for it in items if it.mhclo]
    for item in sorted((it for it in items if it.spec), key=lambda it: it.spec.layer):
        built.append(build_procedural(item.spec, body, regions, built, name=item.name))
    if mh:
        built.extend(_makehuman_meshes(mh, body))
    return built


def _makehuman_meshes(items: list[OutfitItem], body: Body) -> list[GarmentMesh]:
    body_query = MeshQuery(body.vertices, body.faces)
    out = []
    for name, label, verts, faces in makehuman_layers([load_asset(Path(it.mhclo)) for it in items], body):
        verts = push_outside(verts, body_query, CLEARANCE)
        layer = {L.SHOES: 1, L.HAIR: 1, L.LOWER: 1, L.UPPER: 2, L.DRESS: 3}.get(label, 2)
        out.append(GarmentMesh(name, label, layer, verts, faces, closed=False))
    return out
