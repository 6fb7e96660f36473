"""docs/images/fed_studios.png: the benchmark's skewed studios (private training subjects) and what FedGC added to
each (framed in orange), one front view per subject.

    python benchmarks/fed_picture.py --work /work/bench_fed --out docs/images/fed_studios.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from usr.io.images import read_image  # noqa: E402
from usr.viz import contact_sheet  # noqa: E402


def front_view(subject: Path, framed: bool) -> np.ndarray:
    image = read_image(sorted((subject / "images").iterdir())[0], "RGB").copy()
    if framed:
        w = max(2, image.shape[0] // 40)
        image[:w], image[-w:], image[:, :w], image[:, -w:] = (255, 140, 0), (255, 140, 0), (255, 140, 0), (255, 140, 0)
    return image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path("docs/images/fed_studios.png"))
    args = ap.parse_args()
    rows = []
    for studio in sorted((args.work / "studios4_fedgc").glob("studio_*")):
        splits = json.loads((studio / "splits.json").read_text())
        private = [studio / n for n in splits["train"] if not n.startswith("gen_")]
        generated = sorted(studio.glob("gen_*"))
        mix = json.loads((studio / "studio.json").read_text())["outfits"].split(",")[int(studio.name[-1])].split("=")[0]
        rows.append((f"{studio.name}\nmostly {mix}", [front_view(p, False) for p in private] +
                     [front_view(p, True) for p in generated]))
    n_private = len(rows[0][1]) - len(list((args.work / "studios4_fedgc" / "studio_0").glob("gen_*")))
    sheet = contact_sheet(rows, captions=[f"own {i + 1}" for i in range(n_private)] + ["FedGC"] * 3, thumb_height=150,
                          title="Garment-skewed studios: their own training subjects, and FedGC's generated ones (orange)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
