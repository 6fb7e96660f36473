"""Image metrics on held-out views: PSNR, SSIM (scikit-image), silhouette IoU."""

from __future__ import annotations

import numpy as np
from skimage.metrics import structural_similarity


def psnr(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR in dB of uint8 (or 0..1 float) images, optionally over a mask's pixels only."""
    a, b = _unit(pred), _unit(gt)
    err = (a - b) ** 2
    mse = float(err[mask > 0].mean()) if mask is not None else float(err.mean())
    return float("inf") if mse == 0 else float(10 * np.log10(1.0 / mse))


def ssim(pred: np.ndarray, gt: np.ndarray) -> float:
    return float(structural_similarity(_unit(pred), _unit(gt), channel_axis=-1 if pred.ndim == 3 else None, data_range=1.0))


def silhouette_iou(pred_mask: np.ndarray, gt_mask: np.ndarray) -> float:
    a, b = pred_mask > 127 if pred_mask.dtype == np.uint8 else pred_mask > 0.5, gt_mask > 127 if gt_mask.dtype == np.uint8 else gt_mask > 0.5
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def _unit(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float64) / 255.0 if img.dtype == np.uint8 else img.astype(np.float64)
