"""`usr eval RESULT --gt SUBJECT`: the DESIGN.md protocol on one reconstruction.

Geometry: Chamfer / P2S / normal consistency at 1.8 m height (usr.metrics.geometry). Images, on
the views NOT used for the reconstruction: the coloured mesh is ray-cast into each held-out camera;
PSNR over the ground-truth person pixels, SSIM of both pictures on black inside the person's
bounding box, silhouette IoU of the masks.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from usr.colour import render_mesh
from usr.io.meshes import load_mesh
from usr.io.subject_folder import read_subject
from usr.metrics.body import body_vertex_error
from usr.metrics.garments import garment_scores
from usr.metrics.geometry import geometry_scores
from usr.metrics.images import psnr, silhouette_iou, ssim
from usr.result import read_face_labels, read_layers, read_result


def image_scores(mesh, colours, capture, held_out: list[str]) -> dict[str, float | None]:
    if not held_out or capture.masks is None:
        return {"psnr": None, "ssim": None, "silhouette_iou": None}
    p, s, iou = [], [], []
    for name in held_out:
        i = capture.index(name)
        cam, img, mask = capture.cameras[i], capture.images[i], capture.masks[i]
        rgb, pred_mask = render_mesh(mesh, colours, cam)
        person = mask > 127
        iou.append(silhouette_iou(pred_mask, mask))
        if person.any():
            p.append(psnr(rgb, img, person))
            ys, xs = np.nonzero(person | (pred_mask > 127))
            box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
            gt_black = np.where(person[..., None], img, 0).astype(np.uint8)
            s.append(ssim(rgb[box], gt_black[box]))
    mean = lambda x: float(np.mean(x)) if x else None  # noqa: E731
    return {"psnr": mean(p), "ssim": mean(s), "silhouette_iou": mean(iou)}


def layer_scores(result: Path, mesh, capture) -> dict:
    """The SCGS keys (usr.metrics.garments) when the result has layers and the subject has labelled ground truth."""
    keys = {"label_accuracy": None, "garment_iou": None, "garment_chamfer_cm": None, "boundary_roughness": None}
    gt = capture.ground_truth
    if not (Path(result) / "face_labels.npy").exists() or gt is None or not (gt.root / "full_face_labels.npy").exists():
        return keys
    g = garment_scores(mesh, read_face_labels(result, len(mesh.faces)), load_mesh(gt.full), gt.face_labels())
    return {"label_accuracy": g.label_accuracy, "garment_iou": g.garment_iou, "garment_chamfer_cm": g.garment_chamfer_cm,
            "boundary_roughness": g.boundary_roughness, "gt_boundary_roughness": g.gt_boundary_roughness}


def body_scores(result: Path, report: dict, capture) -> dict:
    """When the result holds a fitted body (usr fit: body.obj on the body model's topology) and the subject its
    true body on the same topology: the mean vertex distance, overall and under the clothes (cm at 1.8 m)."""
    keys = {"body_error_cm": None, "body_error_under_clothes_cm": None}
    gt = capture.ground_truth
    if "smpl_d" not in report or gt is None or not gt.body.exists() or not (gt.root / "full_face_labels.npy").exists():
        return keys
    fitted, truth = read_layers(result)["body"].mesh.vertices, load_mesh(gt.body).vertices
    if fitted.shape != truth.shape:  # another body model (SMPL) than the subject's (anny): no vertex to vertex
        return keys
    error = body_vertex_error(np.asarray(fitted), np.asarray(truth), load_mesh(gt.full), gt.face_labels())
    return {"body_error_cm": error["body_vertex_error_cm"], "body_error_under_clothes_cm": error["under_clothes_error_cm"]}


def evaluate(result: Path, gt: Path, samples: int = 10000) -> dict:
    t = time.perf_counter()
    mesh, colours, report = read_result(result)
    capture = read_subject(gt)
    used = report.get("views_used") or []
    held_out = [n for n in capture.camera_names if n not in used]
    scores: dict = {"result": str(result), "gt": str(gt), "views_used": used, "views_held_out": held_out}
    if capture.ground_truth is not None and capture.ground_truth.full.exists():
        g = geometry_scores(mesh, load_mesh(capture.ground_truth.full), samples)
        scores.update(chamfer_cm=g.chamfer_cm, p2s_cm=g.p2s_cm, reverse_cm=g.reverse_cm,
                      normal_consistency=g.normal_consistency, normal_l2=g.normal_l2, scale_to_1p8m=g.scale)
    else:
        scores.update(chamfer_cm=None, p2s_cm=None, normal_consistency=None)
    scores.update(layer_scores(result, mesh, capture))
    scores.update(body_scores(result, report, capture))
    scores.update(image_scores(mesh, colours, capture, held_out))
    scores["seconds"] = report.get("seconds", {}).get("total")
    scores["eval_seconds"] = time.perf_counter() - t
    return scores
