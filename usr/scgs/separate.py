"""SCGS end to end: 2D semantics of the input views (+ the model's 3D label head) → labelled surface → geometry
fine-tune → layers.

`view_semantics` gets the per-view class probabilities (the garment parser by default; or the capture's own label
maps, e.g. a parsing the studio already has); `separate` does the rest on a reconstructed mesh (usr.scgs.labelling:
fusion with the head's probabilities when the reconstruction has them, graph cut, garment presence).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import trimesh

from usr.io.capture import SubjectCapture
from usr.io.errors import CaptureError
from usr.parsing.predict import DEFAULT_PARSER, parse_probabilities
from usr.parsing.sam_refine import refine_probabilities
from usr.parsing.train import load_parser
from usr.progress import Progress, notify
from usr.recon_spec import LABEL_SOURCES, SeparationSpec
from usr.refine.edges import RefineOptions, RefineStats, refine_edges
from usr.scgs.labelling import LabelOptions, label_surface
from usr.scgs.layers import Layer, build_layers
from usr.scgs.regularize import SurfaceLabels
from usr.scgs.votes import ViewSemantics



@dataclass(frozen=True)
class SeparateOptions:
    labels: LabelOptions = LabelOptions()
    refine: RefineOptions | None = RefineOptions()  # None: no geometry fine-tune
    body_inset: float = 0.01  # m
    thickness: float = SeparationSpec.thickness  # m; > 0 makes closed garment shells

    @classmethod
    def from_spec(cls, spec: SeparationSpec) -> "SeparateOptions":
        """The options a user's separation settings stand for (the rest at their defaults)."""
        return cls(LabelOptions(source=spec.sources), refine=RefineOptions() if spec.refine else None,
                   thickness=spec.thickness)


@dataclass
class Separation:
    mesh: trimesh.Trimesh  # the clothed surface after the geometry fine-tune (same faces as the input)
    labels: SurfaceLabels
    layers: list[Layer]
    refine: RefineStats | None
    seconds: dict[str, float] = field(default_factory=dict)

    body_source: str = "placeholder"  # what the body layer is: "body head" (the model's) or "placeholder"

    def report(self) -> dict:
        out = {**self.labels.summary, "layers": [layer.name for layer in self.layers], "body_layer": self.body_source}
        if self.refine is not None:
            out["refine"] = {"boundary_vertices": self.refine.boundary_vertices,
                             "max_move_m": round(self.refine.max_move_m, 5),
                             "mean_move_m": round(self.refine.mean_move_m, 6),
                             "flipped_faces": self.refine.flipped_faces}
        return out


def view_semantics(capture: SubjectCapture, names: list[str], source: str = SeparationSpec.label_source, parser=None,
                   progress: Progress | None = None, sam=None) -> list[ViewSemantics]:
    """Class probabilities for the named views, from the garment parser (sharpened by `sam`, a SamPredictor, when
    given) or from the capture's label maps."""
    if source not in LABEL_SOURCES:
        raise ValueError(f"unknown label source {source!r}; known: {', '.join(LABEL_SOURCES)}")
    sub = capture.select(names)
    if source == "capture":
        if sub.labels is None:
            raise CaptureError(f"{capture.root or capture.name}: labels/: this capture has no label maps "
                               "(use the garment parser instead)")
        return [ViewSemantics.from_label_map(c, lab) for c, lab in zip(sub.cameras, sub.labels)]
    if parser is None:
        parser, _ = load_parser(DEFAULT_PARSER)
    out = []
    for k, (cam, img) in enumerate(zip(sub.cameras, sub.images)):
        probs = parse_probabilities(parser, img)
        if sam is not None:
            probs = refine_probabilities(sam, img, probs)[0]
        out.append(ViewSemantics(cam, probs))
        notify(progress, "parse", (k + 1) / len(names))
    return out


def separate(mesh: trimesh.Trimesh, colours: np.ndarray, semantics: list[ViewSemantics],
             options: SeparateOptions = SeparateOptions(), head_probs: np.ndarray | None = None,
             body: trimesh.Trimesh | None = None) -> Separation:
    """`head_probs`: the model's label head at the face centres (F×L; usr.reconstruct.Reconstruction.label_probs);
    `body`: its body-under-the-clothes surface, the body layer (else a placeholder from the clothed surface)."""
    seconds = {}
    t = time.perf_counter()
    labels = label_surface(mesh, colours, semantics, head_probs, options.labels)
    seconds["labels"] = time.perf_counter() - t
    t = time.perf_counter()
    stats = None
    if options.refine is not None:
        mesh, stats = refine_edges(mesh, labels.face_labels, options.refine)
    seconds["refine"] = time.perf_counter() - t
    t = time.perf_counter()
    layers = build_layers(mesh, colours, labels.face_labels, options.body_inset, options.thickness, body)
    seconds["layers"] = time.perf_counter() - t
    return Separation(mesh, labels, layers, stats, seconds, "placeholder" if body is None else "body head")
