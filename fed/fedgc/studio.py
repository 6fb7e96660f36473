"""A studio's own subjects as FedGC sees them: which are private training subjects, and their attribute bins."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from data_tools.attributes import body_shape_of, outfit_kind_of

GENERATED_FILE = "generated.json"  # the flag of a generated subject


@dataclass
class StudioSubject:
    """A private training subject of a studio, with what real guidance and the histograms need (None if unknown)."""

    folder: Path
    meta: dict | None

    @property
    def bins(self) -> dict[str, str]:
        if self.meta is None:
            attrs = self.folder / "attributes.json"  # a studio may describe its real subjects itself
            return json.loads(attrs.read_text()) if attrs.is_file() else {}
        kinds = [g.get("spec", {}).get("kind") if g.get("spec") else g.get("item", "") for g in self.meta["garments"]]
        return {"outfit": outfit_kind_of([k for k in kinds if k]), "body": body_shape_of(self.meta["body"]["phenotypes"])}


def private_subjects(studio: Path) -> list[StudioSubject]:
    """The studio's own training subjects (splits.json train, or all but its held-out ones; never generated ones)."""
    splits = json.loads((studio / "splits.json").read_text()) if (studio / "splits.json").is_file() else {}
    held = set(splits.get("val", []) + splits.get("test", []))
    out = []
    for folder in sorted(p for p in studio.iterdir() if (p / "cameras.json").is_file()):
        if folder.name in held or (folder / GENERATED_FILE).is_file():
            continue
        meta = folder / "gt" / "meta.json"
        out.append(StudioSubject(folder, json.loads(meta.read_text()) if meta.is_file() else None))
    if not out:
        raise FileNotFoundError(f"{studio}: no private training subjects to generate beside")
    return out


def histogram(subjects: list[StudioSubject], axis: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in subjects:
        b = s.bins.get(axis, "unknown")
        out[b] = out.get(b, 0) + 1
    return out
