"""Parser quality on real photos with someone else's parsing maps (Octopus: CIHP palette), per class."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from usr.io.images import read_image
from usr.labels import DRESS, HAIR, LABEL_NAMES, LOWER, NUM_LABELS, OUTER, SHOES, SKIN, UPPER
from usr.parsing.metrics import class_iou, confusion
from usr.parsing.model import GarmentParser
from usr.parsing.palettes import cihp_to_labels
from usr.parsing.predict import label_map, parse_probabilities

OCTOPUS_CLASSES = (UPPER, LOWER, SKIN, HAIR, SHOES)  # what the Octopus maps label (pants → lower)


def octopus_pairs(folder: Path) -> list[tuple[Path, Path]]:
    frames = sorted((folder / "frames").glob("*.png"))
    pairs = [(f, folder / "segmentations" / f.name) for f in frames if (folder / "segmentations" / f.name).exists()]
    if not pairs:
        raise FileNotFoundError(f"{folder}: no frames/<n>.png with segmentations/<n>.png")
    return pairs


def evaluate_cihp(net: GarmentParser, pairs: list[tuple[Path, Path]], classes=OCTOPUS_CLASSES,
                  size: int | None = None) -> dict:
    """Per-class IoU and their mean over `classes`, pooled over all pictures (one confusion matrix); the parser runs
    with the longer side at `size` (default: its own input size)."""
    conf = np.zeros((NUM_LABELS, NUM_LABELS), np.int64)
    for image_path, seg_path in pairs:
        truth = cihp_to_labels(read_image(seg_path))
        pred = label_map(parse_probabilities(net, read_image(image_path), size))
        conf += confusion(pred, truth, NUM_LABELS)
    iou = class_iou(conf)
    per_class = {LABEL_NAMES[c]: float(iou[c]) for c in classes}
    return {"miou": float(np.mean(list(per_class.values()))), "iou": per_class, "images": len(pairs),
            "person_iou": _person_iou(conf)}


def _person_iou(conf: np.ndarray) -> float:
    """IoU of person (any non-background label) vs background, from the same confusion matrix."""
    tp = conf[1:, 1:].sum()
    return float(tp / (tp + conf[1:, 0].sum() + conf[0, 1:].sum()))


def deepfashion2_masks(folder: Path) -> list[tuple[Path, np.ndarray, str]]:
    """(image, garment mask from the COCO polygons, category name) for each annotated image of a DeepFashion2 folder."""
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"{folder}: no COCO-style .json annotation file")
    coco = json.loads(files[0].read_text())
    names = {c["id"]: c["name"] for c in coco.get("categories", [])}
    images = {im["id"]: im for im in coco["images"]}
    out = []
    for ann in coco["annotations"]:
        im = images[ann["image_id"]]
        mask = np.zeros((im["height"], im["width"]), np.uint8)
        polys = [np.round(np.asarray(p, float).reshape(-1, 2)).astype(np.int32) for p in ann["segmentation"]]
        cv2.fillPoly(mask, polys, 1)
        out.append((folder / im["file_name"], mask.astype(bool), names.get(ann["category_id"], str(ann["category_id"]))))
    return out


def evaluate_garment_polygons(net: GarmentParser, items: list[tuple[Path, np.ndarray, str]]) -> dict:
    """IoU of the annotated garment with the parser's clothing (upper ∪ lower ∪ dress ∪ outer) and with its dress label
    alone, pooled over the images (the polygons label one garment: everything else counts as not that garment)."""
    inter = {"clothing": 0, "dress": 0}
    union = {"clothing": 0, "dress": 0}
    for image_path, truth, _ in items:
        labels = label_map(parse_probabilities(net, read_image(image_path)))
        for key, pred in (("clothing", np.isin(labels, (UPPER, LOWER, DRESS, OUTER))), ("dress", labels == DRESS)):
            inter[key] += int((pred & truth).sum())
            union[key] += int((pred | truth).sum())
    return {f"{k}_iou": inter[k] / max(union[k], 1) for k in inter} | {"images": len(items),
                                                                       "categories": sorted({c for _, _, c in items})}
