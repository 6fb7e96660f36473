"""Real guidance: a generated subject made from one of the studio's own subjects (its gt/meta.json: body parameters,
outfit, textures), with the body jittered and re-posed, in its own outfit or the one a prompt asks for."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from data_tools.attributes import Attributes
from data_tools.body import BodySpec, build_body
from data_tools.garments.outfit import OutfitItem, sample_outfit
from data_tools.garments.procedural import GarmentSpec
from data_tools.subject import dress_body
from data_tools.textures import Texture
from smpl_d.poses import PHENOTYPE_RANGES, Pose, sample_pose


def from_real(name: str, seed: int, real: Path, attributes: Attributes, jitter: float, garments_dir: Path | None):
    """A studio subject's body (phenotypes jittered, pose redrawn) in its own outfit (real-only) or the prompt's."""
    meta = json.loads((real / "gt" / "meta.json").read_text())
    rng = np.random.default_rng(seed)
    phen = {k: float(np.clip(v + rng.normal(0, jitter), *PHENOTYPE_RANGES.get(k, (0.0, 1.0))))
            for k, v in meta["body"]["phenotypes"].items()}
    kind = attributes.pose or Pose.from_json(meta["body"]["pose"]).kind
    pose = sample_pose(kind, rng)
    body = build_body(BodySpec(phen, pose, float(rng.uniform(-20, 20))))
    if attributes.outfit is None:  # real-only: the subject's own garments, with their own textures
        outfit, textures = _real_outfit(real, meta, garments_dir)
        return dress_body(name, seed, body, outfit, rng, textures=textures, lighting=attributes.lighting)
    outfit = sample_outfit(rng, garments_dir, attributes.outfit)
    return dress_body(name, seed, body, outfit, rng, lighting=attributes.lighting)


def _real_outfit(real: Path, meta: dict, garments_dir: Path | None):
    items, textures = {}, {}
    for g in meta["garments"]:
        if g.get("spec"):
            items.setdefault(g["item"], OutfitItem(g["item"], spec=GarmentSpec(**g["spec"])))
        elif g.get("mhclo"):
            if garments_dir is None:
                raise ValueError(f"{real}/gt/meta.json: garment {g['item']!r} is a MakeHuman asset ({g['mhclo']}); "
                                 "pass the assets folder (--garments-dir)")
            items.setdefault(g["item"], OutfitItem(g["item"], mhclo=str(garments_dir / g["mhclo"])))
        textures[g["name"]] = Texture.from_json(g["texture"])
    return list(items.values()), textures
