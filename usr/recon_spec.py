"""What a reconstruction is run with: one frozen `ReconSpec`, passed whole from the command line (`usr reconstruct`,
`usr batch`), the web page, the demo and the benchmarks to `usr.pipeline.reconstruct_subject`.

Every default is written here once; the help texts are the options' (apps/options.py makes the options from these
fields). Light on purpose (no torch, no meshes): every `usr` command imports it to build its options.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from usr.settings import setting

METHODS = ("field", "visual-hull", "scratch")
LABEL_SOURCES = ("parser", "capture")  # where the views' 2D labels come from
LABEL_FUSION = ("fused", "views", "head")  # which label sources SCGS uses on the surface


@dataclass(frozen=True)
class SeparationSpec:
    """How the garments are separated (SCGS): `usr reconstruct` with layers, and `usr separate`."""

    label_source: str = setting("parser", "2D labels for SCGS: parser (default) or capture (the capture's labels/ "
                                          "maps).", flag="--labels")
    sources: str = setting("fused", "Where garment labels come from: fused (the model's 3D label head and the views' "
                                     "2D labels, by confidence; default), views (2D only) or head (3D only). "
                                     "Without a label head (visual hull, v1 field): the views.", flag="--label-sources")
    sam_checkpoint: Path | None = setting(None, "segment-anything weights: sharpen the parser's regions (needs a SAM "
                                                "environment, see README).")
    sam_type: str = setting("vit_b", "vit_b, vit_l or vit_h (must match the checkpoint).")
    refine: bool = setting(True, "Geometry fine-tune of garment edges.")
    thickness: float = setting(0.0, "Garment thickness in metres (0 = open sheets).", min=0.0)

    def __post_init__(self) -> None:  # checked when the settings are made, not after a reconstruction
        for name, value, known in (("--labels", self.label_source, LABEL_SOURCES),
                                   ("--label-sources", self.sources, LABEL_FUSION)):
            if value not in known:
                raise ValueError(f"{name}: unknown value {value!r}; known: {', '.join(known)}")


@dataclass(frozen=True)
class FillSettings:
    """The silhouette fill (usr.mesh.silhouette_fill): what the model left out of the input masks, from the hull."""

    silhouette_fill: bool = setting(True, "Fill the parts of the input masks the model's surface leaves uncovered (a "
                                          "pose it never saw) from the visual hull.")
    open_px: int = setting(2, "Gaps narrower than 2×this many working-size pixels (slivers along the mask's edge) "
                              "are not gaps.", min=0, cli=False)
    min_area: float = setting(0.002, "A gap smaller than this share of the view's mask is left alone.", min=0.0,
                              cli=False)
    min_views: int = setting(2, "A point is filled when it lies in the gaps of at least this many views.", min=1,
                             cli=False)
    hull_carve: bool = setting(False, "Cut the model's surface to the visual hull of the input masks (what some view "
                                      "sees as background is not the person).")


@dataclass(frozen=True)
class ReconSpec:
    """One reconstruction: views → field (feed-forward, optionally fine-tuned) → mesh → layers."""

    views: tuple[str, ...] | None = setting(None, "Input views, e.g. cam00,cam03,cam05 (default: all).")
    resolution: int = setting(256, "Marching-cubes grid resolution.", min=32)
    finetune_steps: int = setting(0, "Per-subject fine-tune steps (0 = feed-forward).", min=0)
    checkpoint: Path | None = setting(None, "Field checkpoint (default: the embedded model).")
    method: str = setting("field", "field (default), visual-hull, or scratch (per-subject from scratch).")
    body_prior: bool = setting(False, "Fit a body (anny) to the model's first look and reconstruct again with it "
                                      "(≈ 10 s more; docs/model.md).")
    layers: bool = setting(True, "Separate the garments into layers (SCGS).")
    separation: SeparationSpec = setting(SeparationSpec())
    fill: FillSettings = setting(FillSettings())
    # internal knobs: no command shows them (benchmarks and tests set them)
    scratch_steps: int = setting(1500, "Optimisation steps of --method scratch when --finetune-steps is 0.", cli=False)
    work_size: int = setting(192, "Long side in pixels the views are resized to for the field.", cli=False)
    hull_resolution: int = setting(64, "Visual-hull grid the surface is looked for in.", cli=False)
    samples: int = setting(40, "Samples per ray of the fine-tune.", cli=False)
    finetune_rays: int = setting(512, "Rays per fine-tune step.", cli=False)
    seed: int = setting(0, "Seed of the fine-tune's ray draws.", cli=False)

    def extraction_level(self, surface_level: float) -> float:
        """The SDF level the mesh is extracted at: the checkpoint's calibrated `surface_level` feed-forward, 0 once
        the field is fine-tuned on the subject."""
        return surface_level if self.finetune_steps == 0 else 0.0


# `usr demo` and `usr app` reconstruct on a coarser grid than the default: an answer sooner, on a page or a first run
QUICK_SPEC = ReconSpec(resolution=192)
