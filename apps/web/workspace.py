"""What the try-on page does, without Gradio (so it is tested directly and the page stays a thin layer).

Everything a visitor makes lives in their session folder under the workspace root; a session folder is removed
when the session ends, and the whole workspace when the app stops (if it was a temporary one).
"""

from __future__ import annotations

import re
import shutil
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from usr.io.atomic import atomic_dir, write_bytes_atomic
from usr.progress import Progress, notify, staged
from usr.recon_spec import QUICK_SPEC, ReconSpec

SAMPLES = {"Sample A": 3, "Sample B": 11}  # synthetic subjects (seeds), generated on first use
SAMPLE_VIEWS, SAMPLE_SIZE, SAMPLE_INPUT_VIEWS = 8, 256, 4


@dataclass
class Person:
    """A result folder the visitor made (a reconstruction, or a swap / try-on)."""

    name: str
    result: Path

    def layer_names(self) -> list[str]:
        from usr.result import read_layers

        return list(read_layers(self.result))

    def garments(self) -> list[str]:
        from usr.labels import GARMENT_MENU_ORDER

        return [n for n in GARMENT_MENU_ORDER if n in self.layer_names()]


class Workspace:
    def __init__(self, root: Path, spec: ReconSpec = QUICK_SPEC, fit_config=None):
        """`spec`: how the page reconstructs (its views are chosen per capture)."""
        self.root, self.spec, self.fit_config = Path(root), spec, fit_config
        (self.root / "samples").mkdir(parents=True, exist_ok=True)
        (self.root / "sessions").mkdir(parents=True, exist_ok=True)
        self._model = None

    # sessions -------------------------------------------------------------------------------------------------
    def new_session(self) -> Path:
        path = self.root / "sessions" / uuid.uuid4().hex
        path.mkdir(parents=True)
        return path

    def end_session(self, session: Path | str | None) -> None:
        if session and Path(session).parent == self.root / "sessions":
            shutil.rmtree(session, ignore_errors=True)

    # inputs ---------------------------------------------------------------------------------------------------
    def sample(self, name: str, progress: Progress | None = None) -> Path:
        """The bundled sample's subject folder (made deterministically from its seed the first time)."""
        from data_tools.synth import SynthConfig, subject_name, synthesize

        if name not in SAMPLES:
            raise ValueError(f"unknown sample {name!r}; samples: {', '.join(SAMPLES)}")
        folder = self.root / "samples" / f"seed{SAMPLES[name]}"
        if not folder.is_dir():
            notify(progress, f"making {name} (once)", 0.0)
            with atomic_dir(folder) as tmp:
                synthesize(tmp, SynthConfig(subjects=1, views=SAMPLE_VIEWS, size=SAMPLE_SIZE, seed=SAMPLES[name]))
        return folder / subject_name(0)

    def upload(self, files: list[Path], session: Path) -> Path:
        from apps.web.uploads import unpack_upload

        return unpack_upload(files, Path(session) / "uploads" / uuid.uuid4().hex[:8])

    # reconstruction -------------------------------------------------------------------------------------------
    def reconstruct(self, capture: Path, session: Path, name: str, progress: Progress | None = None) -> Person:
        from smpl_d.prior import body_fit_for
        from usr.io.any_capture import read_capture
        from usr.pipeline import reconstruct_subject
        from usr.prepared_views import spread_views

        names = read_capture(capture, load_images=False).camera_names
        views = spread_views(names, SAMPLE_INPUT_VIEWS) if len(names) > SAMPLE_INPUT_VIEWS else None
        out = Path(session) / "people" / _slug(name)
        spec = replace(self.spec, views=tuple(views) if views else None)
        reconstruct_subject(capture, out, spec, progress, body_fit_for(spec))
        return Person(name, out)

    def view(self, person: Person, layers: list[str]) -> Path:
        """A GLB of the chosen layers (body first, garments outside in order)."""
        from usr.result import ordered_layers, read_layers
        from usr.scgs.layers import layers_glb

        chosen = {n: layer for n, layer in read_layers(person.result).items() if n in layers}
        if not chosen:
            raise ValueError("choose at least one layer to show")
        path = person.result.parent.parent / "views" / f"{person.result.name}-{'-'.join(sorted(chosen))}.glb"
        write_bytes_atomic(path, layers_glb(ordered_layers(chosen)))
        return path

    def download(self, person: Person) -> Path:
        """The result folder as a zip (GLB, OBJ layers, report, preview)."""
        base = person.result.parent.parent / "downloads" / person.result.name
        base.parent.mkdir(parents=True, exist_ok=True)
        return Path(shutil.make_archive(str(base), "zip", person.result))

    # SMPL-D ---------------------------------------------------------------------------------------------------
    @property
    def model(self):
        if self._model is None:
            from smpl_d.backends import load_body_model

            self._model = load_body_model("anny")
        return self._model

    def fit(self, person: Person, progress: Progress | None = None):
        """The person's fitted body (fitted now, about 40 s, and kept in the result folder, if not yet)."""
        from smpl_d.pipeline import fit_result
        from smpl_d.store import has_fit, load_fit

        if not has_fit(person.result):
            fit_result(person.result, self.model, self.fit_config,
                       progress=staged(progress, f"fitting the body of {person.name}"))
        return load_fit(person.result)

    def swap(self, source: Person, garment: str, target: Person, session: Path, progress: Progress | None = None) -> Person:
        from smpl_d.swap import swap, write_dressed

        fits = {source.result: self.fit(source, progress), target.result: self.fit(target, progress)}
        dressed = swap(source.result, garment, target.result, self.model, fits)
        name = f"{target.name} wearing {source.name}'s {garment}"
        return Person(name, write_dressed(Path(session) / "people" / _slug(name), dressed))

    def tryon(self, source: Person, garment: str, phenotypes: dict[str, float], pose: str, session: Path,
              progress: Progress | None = None) -> Person:
        from smpl_d.swap import tryon, tryon_params, write_dressed

        fit = self.fit(source, progress)
        params = tryon_params(self.model, self.model.shape_from_phenotypes(phenotypes), pose, fit.params.translation)
        dressed = tryon(source.result, garment, self.model, fit, params)
        name = f"{source.name}'s {garment} on a body ({pose})"
        return Person(name, write_dressed(Path(session) / "people" / _slug(name), dressed))


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()[:60] or "person"


def preview_of(person: Person) -> np.ndarray | None:
    from PIL import Image

    path = person.result / "preview.png"
    return np.asarray(Image.open(path).convert("RGB")) if path.is_file() else None
