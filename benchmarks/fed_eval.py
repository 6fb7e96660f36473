"""Scoring a field for benchmarks/fed.py: Chamfer (cm at 1.8 m) of its feed-forward mesh and PSNR of a held-out view,
on held-out subjects of every studio. The same model, views and grid for every method."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from usr.field.sdf_field import SDFField


@dataclass(frozen=True)
class HeldOut:
    studio: int
    folder: Path


def held_out_subjects(studios: list[Path]) -> list[HeldOut]:
    """Every studio's held-out subjects (fed.task.studio_split: splits.json val + test; never generated ones)."""
    from fed.task import studio_split

    return [HeldOut(k, Path(root) / name) for k, root in enumerate(studios) for name in studio_split(root).held_out]


def score_subject(field: SDFField, subject: HeldOut, level: float, resolution: int = 128, work_size: int = 96) -> dict:
    """Chamfer of the mesh reconstructed from all views (surface at SDF `level`); PSNR / IoU of view 1 rendered from
    the others."""
    from usr.io.meshes import load_mesh
    from usr.io.subject_folder import read_subject
    from usr.metrics.geometry import geometry_scores
    from usr.recon_spec import ReconSpec
    from usr.reconstruct import reconstruct
    from usr.training.batches import load_subjects
    from usr.training.trainer import validate

    capture = read_subject(subject.folder)
    row = {"studio": subject.studio, "subject": f"{subject.folder.parent.name}/{subject.folder.name}"}
    try:
        rec = reconstruct(capture, field, ReconSpec(resolution=resolution, work_size=work_size, hull_resolution=64),
                          level)
        row["chamfer_cm"] = float(geometry_scores(rec.mesh, load_mesh(capture.ground_truth.full), 10000).chamfer_cm)
    except ValueError as exc:  # a ruined field: no surface at all (counted as a failure, not skipped)
        row |= {"chamfer_cm": None, "failed": str(exc)}
    views = load_subjects(subject.folder.parent, [subject.folder.name], work_size)[0]
    image = validate(field, views)
    return row | {"psnr": float(image["val_psnr"]), "iou": float(image["val_iou"])}


def score_field(field: SDFField, subjects: list[HeldOut], level: float) -> list[dict]:
    import torch

    with torch.no_grad():
        return [score_subject(field, s, level) for s in subjects]


def means(rows: list[dict], keep=lambda r: True) -> dict:
    """Means over the kept subjects; Chamfer is None when any mesh is empty (`empty_meshes` counts them)."""
    kept = [r for r in rows if keep(r)]
    empty = sum(r["chamfer_cm"] is None for r in kept)
    out = {k: float(np.mean([r[k] for r in kept])) for k in ("psnr", "iou")}
    chamfer = None if empty else float(np.mean([r["chamfer_cm"] for r in kept]))
    return out | {"chamfer_cm": chamfer, "empty_meshes": empty, "subjects": len(kept)}


def update_anatomy(studios: list[Path], settings) -> dict:
    """Where a studio's first-round update lies: its norm in the hash grid and in the other weights, and the mean
    cosine between different studios' updates in each part (near 0: the studios' moves there are unrelated noise)."""
    from itertools import combinations

    from fed.task import GRID_PARAMETERS, initial_field, studio_data, train_round
    from fed.core.weights import model_vector

    field, _ = initial_field(settings)
    start = model_vector(field)
    deltas = np.stack([train_round(field, studio_data(s, settings.work_size), start, settings, 1).weights - start
                       for s in studios])
    in_grid = np.concatenate([np.full(p.numel(), name.startswith(GRID_PARAMETERS))
                              for name, p in field.named_parameters()])
    out = {}
    for part, mask in (("hash_grid", in_grid), ("encoder_and_mlps", ~in_grid)):
        d = deltas[:, mask]
        norms = np.linalg.norm(d, axis=1)
        cos = [float(d[i] @ d[j] / (norms[i] * norms[j])) for i, j in combinations(range(len(d)), 2)]
        out[part] = {"weights": int(mask.sum()), "norm": float(norms.mean()), "cosine_between_studios": float(np.mean(cos))}
    out["total_norm"] = float(np.linalg.norm(deltas, axis=1).mean())
    return out
