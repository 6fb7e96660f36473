"""The body prior of a reconstruction (usr.model.prior): the body model fitted to the model's own first look.

Pass 1 of a `body_prior` model runs without a body; its body head (the signed distance to the body under the
clothes) is extracted on a coarse grid, labelled by the label head (skin on the face, hair at the back of the
head: that decides which way the body faces) and the body model (anny) is fitted to that surface (smpl_d.fit).
The fitted body's signed distance is then the prior of pass 2 (usr.reconstruct.reconstruct_with_model). What a fit error costs is measured in docs/model.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
import trimesh
from torch import Tensor

from smpl_d.backends import load_body_model
from smpl_d.body_model import BodyModel
from smpl_d.fit import BodyFit, FitConfig, fit_body
from usr.geometry.distance import MeshQuery
from usr.mesh.extract import marching_cubes_mesh, sdf_grid_coarse_to_fine
from usr.model.predict import Predictor
from usr.model.views import ViewStack
from usr.progress import Progress
from usr.render.occupancy import OccupancyGrid

# a shorter schedule than `usr fit`'s: the body head is a body already (no garments to see through)
PRIOR_FIT = FitConfig(steps_global=15, steps_start_pose=15, steps_pose=80, steps_shape=80, points=2000)


@dataclass
class FittedBodyPrior:
    """Callable as usr.reconstruct's `body_fit`: (predictor, views, hull) → points → the fitted body's SDF."""

    model: BodyModel | None = None  # default: anny, loaded on first use
    config: FitConfig = PRIOR_FIT
    resolution: int = 128  # of the body head's grid
    last: BodyFit | None = field(default=None, repr=False)  # the latest fit (for reports and pictures)

    def body_surface(self, predictor: Predictor, stack: ViewStack, hull: OccupancyGrid) -> trimesh.Trimesh:
        """Pass 1's body head as a mesh."""
        values, lo, step = sdf_grid_coarse_to_fine(predictor.sdf_function(stack, head="body_sdf"), hull,
                                                   self.resolution)
        return marching_cubes_mesh(values, lo, step, 0.0)

    def __call__(self, predictor: Predictor, stack: ViewStack, hull: OccupancyGrid,
                 progress: Progress | None = None) -> Callable[[Tensor], Tensor]:
        if self.model is None:
            self.model = load_body_model("anny")
        surface = self.body_surface(predictor, stack, hull)
        centres = torch.tensor(np.asarray(surface.triangles_center), dtype=torch.float32)
        labels = predictor.sdf_function(stack, head="labels")(centres).argmax(-1).numpy()
        self.last = fit_body(self.model, surface, labels, self.config, progress)
        posed = self.model.posed(self.last.params)
        return MeshQuery(posed.vertices, posed.faces).signed_distance_tensor
