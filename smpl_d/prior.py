"""The body prior of a reconstruction (usr.model.prior): the body model fitted to the model's own first look.

Pass 1 of a `body_prior` model runs without a body; its body head (the signed distance to the body under the
clothes) is sampled on a coarse-to-fine lattice, points on its zero level are labelled by the label head (skin on
the face, hair at the back of the head: that decides which way the body faces) and the body model (anny) is fitted
to that field (smpl_d.field_fit). The fitted body's signed distance is then the prior of pass 2
(usr.reconstruct.reconstruct_with_model). What a fit error costs is measured in docs/model.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import trimesh
from torch import Tensor

from smpl_d.backends import load_body_model
from smpl_d.body_model import BodyModel, BodyParams
from smpl_d.field_fit import FieldFitConfig, fit_to_field
from smpl_d.fit import LatticeSDF, sample_faces
from usr.geometry.distance import MeshQuery
from usr.mesh.extract import marching_cubes_mesh, sdf_grid_coarse_to_fine
from usr.model.predict import Predictor
from usr.model.views import ViewStack
from usr.progress import Progress
from usr.recon_spec import ReconSpec
from usr.render.occupancy import OccupancyGrid

FIELD_CLAMP = 0.1  # metres: the body head is trained as a distance within about this of the body


@dataclass
class FittedBodyPrior:
    """Callable as usr.reconstruct's `body_fit`: (predictor, views, hull) → points → the fitted body's SDF."""

    model: BodyModel | None = None  # default: anny, loaded on first use
    config: FieldFitConfig = FieldFitConfig()
    resolution: int = 128  # of the body head's lattice
    points: int = 3000  # samples of the body head's surface the fit covers
    seed: int = 0
    # a fit is trusted only if it agrees with the body head it was fitted to (validation subjects, docs/model.md: good
    # fits left ≤ 15 % of the surface uncovered and sat ≤ 0.9 cm off it; failed ones ≥ 36 % and ≥ 2 cm)
    max_uncovered: float = 0.25  # share of the body head's surface samples > 3 cm from the fitted body
    max_off_surface_cm: float = 1.5  # rms distance of the fitted body's vertices from the body head's surface
    last: BodyParams | None = field(default=None, repr=False)  # the latest fit …
    report: dict = field(default_factory=dict, repr=False)  # … and its report (energy, facing)
    surface: trimesh.Trimesh | None = field(default=None, repr=False)  # the latest body head surface

    def __call__(self, predictor: Predictor, stack: ViewStack, hull: OccupancyGrid,
                 progress: Progress | None = None) -> Callable[[Tensor], Tensor] | None:
        """The fitted body's SDF, or None when the fit disagrees with the body head (then no body is used)."""
        values, lo, step = sdf_grid_coarse_to_fine(predictor.sdf_function(stack, head="body_sdf"), hull,
                                                   self.resolution)
        try:
            self.surface = marching_cubes_mesh(values, lo, step, 0.0)
        except ValueError as error:  # the first look holds no body (an odd capture): go on without one
            self.last, self.report = None, {"used": False, "reason": f"body head: {error}"}
            return None
        if self.model is None:
            self.model = load_body_model("anny")
        rng = np.random.default_rng(self.seed)
        points = sample_faces(self.surface, np.ones(len(self.surface.faces), bool), self.points, rng)
        labels = predictor.sdf_function(stack, head="labels")(torch.as_tensor(points, dtype=torch.float32))
        field_ = LatticeSDF(np.clip(values, -FIELD_CLAMP, FIELD_CLAMP).astype(np.float64), lo, step)
        self.last, self.report = fit_to_field(self.model, field_, points, labels.argmax(-1).numpy(), self.config,
                                              progress)
        posed = self.model.posed(self.last)
        clothed = predictor.sdf_function(stack)(torch.as_tensor(posed.vertices, dtype=torch.float32)).numpy()
        self.report["outside_clothed"] = float((clothed > 0.02).mean())  # share of body vertices 2 cm out of pass 1
        self.report["used"] = (self.report["surface_uncovered"] <= self.max_uncovered
                               and self.report["vertices_off_surface_cm"] <= self.max_off_surface_cm)
        return MeshQuery(posed.vertices, posed.faces).signed_distance_tensor if self.report["used"] else None


def body_fit_for(spec: ReconSpec) -> FittedBodyPrior | None:
    """The `body_fit` a reconstruction of `spec` passes down (usr.pipeline.reconstruct_subject): a fitted body when
    the spec asks for the body prior (a model without that input ignores it), else none."""
    return FittedBodyPrior() if spec.body_prior and spec.method == "field" else None
