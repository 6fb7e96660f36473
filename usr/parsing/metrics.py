"""Segmentation scores: confusion matrix (ignoring label 255) and per-class / mean IoU."""

from __future__ import annotations

import numpy as np

IGNORE = 255


def confusion(pred: np.ndarray, truth: np.ndarray, classes: int) -> np.ndarray:
    """classes×classes counts, rows = truth, columns = prediction; truth pixels equal to IGNORE are skipped."""
    keep = truth != IGNORE
    t, p = truth[keep].astype(np.int64), pred[keep].astype(np.int64)
    if t.size and (t.max() >= classes or p.max() >= classes):
        raise ValueError(f"label ids must be < {classes} (or {IGNORE} = ignore)")
    return np.bincount(t * classes + p, minlength=classes * classes).reshape(classes, classes)


def class_iou(conf: np.ndarray) -> np.ndarray:
    """IoU per class (NaN for a class absent from both truth and prediction)."""
    tp = np.diag(conf).astype(float)
    union = conf.sum(0) + conf.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / union, np.nan)


def mean_iou(conf: np.ndarray, classes: np.ndarray | None = None) -> float:
    """Mean IoU over `classes` (bool mask or ids; default: classes present in the truth)."""
    iou = class_iou(conf)
    sel = conf.sum(1) > 0 if classes is None else classes
    return float(np.nanmean(iou[sel]))
