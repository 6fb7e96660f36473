"""Pictures of layered people: the project's ray-cast renderer from a few look-at cameras around the person."""

from __future__ import annotations

import numpy as np
import trimesh

from usr.colour import render_mesh
from usr.io.cameras import Camera, intrinsics_from_fov, look_at
from usr.scgs.layers import Layer


def merged(layers: list[Layer]) -> tuple[trimesh.Trimesh, np.ndarray]:
    """All layers as one mesh with vertex colours."""
    offsets = np.cumsum([0] + [len(layer.mesh.vertices) for layer in layers])
    mesh = trimesh.Trimesh(np.concatenate([layer.mesh.vertices for layer in layers]),
                           np.concatenate([layer.mesh.faces + o for layer, o in zip(layers, offsets)]), process=False)
    return mesh, np.concatenate([layer.colours for layer in layers])


def views_around(mesh: trimesh.Trimesh, yaws_deg=(0.0, 90.0, 180.0), width: int = 240, height: int = 360) -> list[Camera]:
    """Cameras on a horizontal circle around the mesh, framing its whole height."""
    centre = mesh.bounds.mean(0)
    tall = float(mesh.extents[1])
    fov = np.radians(30.0)
    distance = 0.62 * tall / np.tan(fov * height / width / 2) + float(mesh.extents[[0, 2]].max()) / 2
    cams = []
    for yaw in yaws_deg:
        eye = centre + distance * np.array([np.sin(np.radians(yaw)), 0.0, np.cos(np.radians(yaw))])
        R, t = look_at(eye, centre)
        cams.append(Camera(f"yaw{int(yaw)}", width, height, intrinsics_from_fov(width, height, fov), R, t))
    return cams


def shaded(mesh: trimesh.Trimesh, colours: np.ndarray, cam: Camera) -> np.ndarray:
    """Vertex colours times a soft headlight term, so folds and layers read in a picture."""
    normals = np.asarray(mesh.vertex_normals)
    to_cam = cam.center - np.asarray(mesh.vertices)
    to_cam /= np.maximum(np.linalg.norm(to_cam, axis=1, keepdims=True), 1e-9)
    light = 0.45 + 0.55 * np.abs((normals * to_cam).sum(1))
    rgb, _ = render_mesh(mesh, np.clip(colours.astype(np.float64) * light[:, None], 0, 255), cam)
    return rgb


def layer_pictures(layers: list[Layer], yaws_deg=(0.0, 90.0, 180.0), width: int = 240, height: int = 360) -> list[np.ndarray]:
    mesh, colours = merged(layers)
    return [shaded(mesh, colours, cam) for cam in views_around(mesh, yaws_deg, width, height)]
