"""A studio's own subjects as FedGC sees them: which are private training subjects, and their attribute bins."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from data_tools.attributes import body_shape_of, outfit_kind_of
from fed.task import studio_split


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
    """The studio's own training subjects (fed.task.studio_split: neither held out nor generated)."""
    out = []
    for name in studio_split(studio).private:
        meta = studio / name / "gt" / "meta.json"
        out.append(StudioSubject(studio / name, json.loads(meta.read_text()) if meta.is_file() else None))
    if not out:
        raise FileNotFoundError(f"{studio}: no private training subjects to generate beside")
    return out


def histogram(subjects: list[StudioSubject], axis: str) -> dict[str, int]:
    return dict(Counter(s.bins.get(axis, "unknown") for s in subjects))
