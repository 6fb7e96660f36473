"""Mesh files: deterministic OBJ/PLY writing (atomic) and order-preserving loading via trimesh."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import trimesh
from jaxtyping import Float, Int

from usr.io.atomic import write_bytes_atomic


def obj_bytes(
    vertices: Float[np.ndarray, "v 3"],
    faces: Int[np.ndarray, "f 3"],
    colors: Float[np.ndarray, "v 3"] | None = None,
    header: str = "",
) -> bytes:
    """OBJ text with `v x y z [r g b]` (colours 0..1) and 1-based `f a b c`; 6 decimals, stable bytes."""
    buf = io.StringIO()
    if header:
        buf.write("".join(f"# {line}\n" for line in header.splitlines()))
    v = np.asarray(vertices, dtype=np.float64)
    if colors is not None:
        c = np.asarray(colors, dtype=np.float64)
        if c.max(initial=0) > 1.0:
            c = c / 255.0
        np.savetxt(buf, np.concatenate([v, c], axis=1), fmt="v %.6f %.6f %.6f %.4f %.4f %.4f")
    else:
        np.savetxt(buf, v, fmt="v %.6f %.6f %.6f")
    np.savetxt(buf, np.asarray(faces, dtype=np.int64) + 1, fmt="f %d %d %d")
    return buf.getvalue().encode("ascii")


def write_obj(path: Path, vertices, faces, colors=None, header: str = "") -> None:
    write_bytes_atomic(Path(path), obj_bytes(vertices, faces, colors, header))


def load_mesh(path: Path) -> trimesh.Trimesh:
    """Load a mesh keeping vertex order (process=False); a clear error names an unreadable file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: mesh file not found")
    try:
        mesh = trimesh.load(path, force="mesh", process=False)
    except Exception as exc:  # trimesh raises many types on corrupt input
        raise ValueError(f"{path}: cannot read mesh ({exc})") from exc
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise ValueError(f"{path}: no triangle faces in mesh")
    return mesh
