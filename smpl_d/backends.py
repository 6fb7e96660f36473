"""Pick a body-model back-end by name: anny (embedded, default) or SMPL / SMPL-X from the user's model files."""

from __future__ import annotations

import functools
from pathlib import Path

from smpl_d.anny_backend import AnnyBody
from smpl_d.body_model import BodyModel
from smpl_d.smplx_backend import SMPLBody

BACKENDS = ("anny", "smpl", "smplx")


@functools.lru_cache(maxsize=4)
def _cached(name: str, model_path: str | None, gender: str) -> BodyModel:
    if name == "anny":
        return AnnyBody()
    return SMPLBody(model_path, model_type=name, gender=gender)


def load_body_model(name: str = "anny", model_path: str | Path | None = None, gender: str = "neutral") -> BodyModel:
    """The body model `name`; SMPL and SMPL-X need `model_path` (a model file or the folder holding it)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown body model {name!r}; choose one of {', '.join(BACKENDS)}")
    if name != "anny" and model_path is None:
        raise ValueError(f"the {name} body model needs --model-path (SMPL files are licensed: they are never shipped)")
    if name == "anny" and model_path is not None:
        raise ValueError("the anny body model is embedded: it takes no --model-path")
    return _cached(name, None if model_path is None else str(Path(model_path).resolve()), gender)
