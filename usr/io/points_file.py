"""`gt/points.npz`, the exact point supervision of one synthetic subject (written by data_tools.points, read by the
model's training cache): the arrays, their meaning, and atomic stable-bytes reading and writing."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from jaxtyping import Float, Int, UInt8

from usr.io.atomic import write_bytes_atomic
from usr.io.npz import read_npz

POINTS_VERSION = 1
KINDS = ("near_fine", "near_coarse", "uniform")  # the blocks of `points`, in this order


@dataclass
class PointSamples:
    points: Float[np.ndarray, "n 3"]  # float32, world metres; blocks of KINDS, `counts` long
    counts: Int[np.ndarray, "3"]
    sdf: Float[np.ndarray, "n"]  # float16, metres, negative inside the clothed surface
    winding: Float[np.ndarray, "n"]  # float16, the clothed surface's generalized winding number
    label: UInt8[np.ndarray, "n"]  # label of the nearest clothed-surface face
    body_sdf: Float[np.ndarray, "n"]  # float16, metres, negative inside the body
    surface_points: Float[np.ndarray, "s 3"]  # float32, on the clothed surface
    surface_normals: Float[np.ndarray, "s 3"]  # float16, unit, inside → outside
    surface_labels: UInt8[np.ndarray, "s"]
    sigmas: Float[np.ndarray, "2"]  # float32: fine and coarse σ

    def kind(self, name: str) -> slice:
        """The rows of `points` (and of the per-point arrays) of one kind of KINDS."""
        i = KINDS.index(name)
        start = int(np.sum(self.counts[:i]))
        return slice(start, start + int(self.counts[i]))


FIELDS = ("points", "counts", "sdf", "winding", "label", "body_sdf", "surface_points", "surface_normals",
          "surface_labels", "sigmas")


def write_points(path: Path, samples: PointSamples) -> None:
    """Write `samples` as a compressed .npz with stable bytes (fixed zip timestamps), atomically."""
    arrays = {name: getattr(samples, name) for name in FIELDS}
    arrays["version"] = np.array(POINTS_VERSION, dtype=np.int64)
    arrays["kinds"] = np.array(KINDS)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            data = io.BytesIO()
            np.lib.format.write_array(data, np.asarray(array, order="C"), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data.getvalue())
    write_bytes_atomic(Path(path), buf.getvalue())


def read_points(path: Path) -> PointSamples:
    """Read a points.npz (ValueError naming the file when unreadable, of another version, or inconsistent)."""
    arrays = read_npz(Path(path), (*FIELDS, "version"), "points file")
    if int(arrays["version"]) != POINTS_VERSION:
        raise ValueError(f"{path}: points file version {int(arrays['version'])}, expected {POINTS_VERSION}")
    samples = PointSamples(**{name: arrays[name] for name in FIELDS})
    n = len(samples.points)
    if int(samples.counts.sum()) != n or any(len(getattr(samples, k)) != n for k in ("sdf", "winding", "label", "body_sdf")):
        raise ValueError(f"{path}: counts {samples.counts.tolist()} and array lengths disagree ({n} points)")
    return samples
