"""The docs picture of a swap: person A, person B, B wearing A's garment, rendered from the three result folders.

    python benchmarks/swap_picture.py --a RESULT_A --b RESULT_B --swapped RESULT_AB --out docs/images/smpld_swap.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from smpl_d.preview import layer_pictures  # noqa: E402
from usr.result import ordered_layers, read_layers  # noqa: E402
from usr.viz import contact_sheet, save_png  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", type=Path, required=True)
    ap.add_argument("--b", type=Path, required=True)
    ap.add_argument("--swapped", type=Path, required=True)
    ap.add_argument("--label", default="upper")
    ap.add_argument("--out", type=Path, default=Path("docs/images/smpld_swap.png"))
    args = ap.parse_args()
    rows = [("A", layer_pictures(ordered_layers(read_layers(args.a)))),
            ("B", layer_pictures(ordered_layers(read_layers(args.b)))),
            (f"B + A:{args.label}", layer_pictures(ordered_layers(read_layers(args.swapped))))]
    sheet = contact_sheet(rows, captions=["front", "side", "back"], thumb_height=300,
                          title=f"usr swap: A = {args.a.name}, B = {args.b.name} (reconstructions from 6 views, SMPL-D fits); B + A:{args.label} = B wearing A's {args.label}")
    save_png(sheet, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
