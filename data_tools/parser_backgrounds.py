"""Real background pictures for the garment parser's clutter augmentation (`usr parser train --backgrounds DIR`).

From a multi-camera clip of one person in a room (e.g. the Pose2Sim lab, ../shared/data/real/pose2sim_4cam), per
chosen camera: the clip's background plate (usr.io.clean_plate.read_clip + estimate_plate); the region where the
person may be — the union of the convex hulls of every 5th frame's clean-plate mask (no reference mask is used),
dilated generously (8 % of the longer side: a plate keeps "ghosts" of a person who stood still, next to where the
person moved); and the tiles of a 3×5 and a 6×10 grid over the plate that touch none of that region, each written
as a picture. A crop of one of them can never contain the person.

    python data_tools/parser_backgrounds.py --clips ../shared/data/real/pose2sim_4cam --cameras cam01 cam02 cam03 \\
        --out /work/train_data/parser_backgrounds_p2s

Writes <camera>_g<cols>x<rows>_r<i>c<j>.png and, in previews/ (the trainer reads only pictures at the top level),
<camera>.png (the plate, the excluded region darkened), <camera>_excluded.png and <camera>.json (tiles, per-frame
boxes of the person).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from usr.io.clean_plate import PlateConfig, estimate_plate, person_mask, read_clip  # noqa: E402


def person_region(frames: np.ndarray, plate: np.ndarray, every: int = 5, grow: float = 0.08) -> tuple[np.ndarray, list]:
    """bool H×W: where the person may be in the plate — the union of the convex hulls of the frames' clean-plate masks
    (every `every`-th frame; a frame whose mask is over 3× the median area — the plate failing there — is left out;
    the hull also covers a still torso between moving limbs, which the plate may hold as a ghost), dilated by `grow`
    of the picture's longer side. Also returns the per-frame (frame, area, y0, y1, x0, x1) boxes."""
    h, w = plate.shape[:2]
    masks, boxes = [], []
    for i in range(0, len(frames), every):
        m = person_mask(frames[i], plate, PlateConfig()) > 127
        ys, xs = np.nonzero(m)
        if len(ys):
            masks.append(m)
            boxes.append((i, len(ys), int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1))
    if not masks:
        raise ValueError("no person found in the clip")
    median = np.median([b[1] for b in boxes])
    region = np.zeros((h, w), np.uint8)
    for m, b in zip(masks, boxes):
        if b[1] <= 3 * median:
            pts = cv2.findNonZero(m.astype(np.uint8))
            cv2.fillConvexPoly(region, cv2.convexHull(pts), 1)
    k = 2 * int(grow * max(h, w)) + 1
    region = cv2.dilate(region, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return region > 0, boxes


def tiles(plate: np.ndarray, excluded: np.ndarray, grids: tuple[tuple[int, int], ...] = ((3, 5), (6, 10))) -> dict[str, np.ndarray]:
    """Tiles of the plate (a coarse then a finer grid: columns × rows) that touch no excluded pixel; a fine tile inside
    a kept coarse tile is not repeated."""
    h, w = plate.shape[:2]
    kept, covered = {}, np.zeros((h, w), bool)
    for cols, rows in grids:
        ys, xs = np.linspace(0, h, rows + 1).astype(int), np.linspace(0, w, cols + 1).astype(int)
        for i in range(rows):
            for j in range(cols):
                cell = (slice(ys[i], ys[i + 1]), slice(xs[j], xs[j + 1]))
                if not excluded[cell].any() and not covered[cell].all():
                    kept[f"g{cols}x{rows}_r{i}c{j}"] = plate[cell]
                    covered[cell] = True
    return kept


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=Path, required=True, help="Folder of <camera>.mp4 clips.")
    ap.add_argument("--cameras", nargs="+", required=True)
    ap.add_argument("--frame", type=int, default=50, help="Centre of the clip the plate is estimated from.")
    ap.add_argument("--count", type=int, default=100, help="Frames of the clip.")
    ap.add_argument("--grow", type=float, default=0.08, help="Person region dilated by this share of the longer side.")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "previews").mkdir(exist_ok=True)  # not background pictures: they show the person
    for cam in args.cameras:
        frames = read_clip(args.clips / f"{cam}.mp4", args.frame, args.count)
        plate = estimate_plate(frames)
        excluded, boxes = person_region(frames, plate, grow=args.grow)
        del frames
        kept = tiles(plate, excluded)
        for name, pic in kept.items():
            cv2.imwrite(str(args.out / f"{cam}_{name}.png"), cv2.cvtColor(np.ascontiguousarray(pic), cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(args.out / "previews" / f"{cam}_excluded.png"), excluded.astype(np.uint8) * 255)
        preview = cv2.cvtColor(plate, cv2.COLOR_RGB2BGR)
        preview[excluded] //= 3
        cv2.imwrite(str(args.out / "previews" / f"{cam}.png"), cv2.resize(preview, None, fx=0.3, fy=0.3))
        (args.out / "previews" / f"{cam}.json").write_text(json.dumps({"tiles": sorted(kept), "frame_boxes": boxes}))
        print(cam, "excluded share", round(float(excluded.mean()), 3), "tiles", len(kept), flush=True)


if __name__ == "__main__":
    main()
