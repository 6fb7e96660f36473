"""Vertex colours of a mesh from the input views, with visibility (depth test by ray casting)."""

from __future__ import annotations

import cv2
import numpy as np
import trimesh
from scipy.spatial import cKDTree

from usr.geometry.distance import MeshQuery
from usr.io.cameras import Camera


def vertex_colours(mesh: trimesh.Trimesh, cameras: list[Camera], images: list[np.ndarray],
                   masks: list[np.ndarray] | None = None, tolerance: float = 0.01) -> np.ndarray:
    """RGB uint8 per vertex: average over the views that see it, weighted by cos(normal, view)².

    With masks, a view only contributes where the vertex lands inside its (slightly eroded) mask,
    so background colour does not bleed onto the silhouette."""
    v = np.asarray(mesh.vertices, dtype=np.float64)
    n = np.asarray(mesh.vertex_normals, dtype=np.float64)
    query = MeshQuery(v, np.asarray(mesh.faces))
    acc = np.zeros((len(v), 3))
    wsum = np.zeros(len(v))
    for k, (cam, img) in enumerate(zip(cameras, images)):
        inside_mask = None
        if masks is not None and masks[k] is not None:
            inside_mask = cv2.erode((masks[k] > 127).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        to_cam = cam.center[None] - v
        dist = np.linalg.norm(to_cam, axis=1)
        d = to_cam / np.maximum(dist, 1e-9)[:, None]
        cos = np.einsum("nc,nc->n", n, d)
        uv, z = cam.project(v)
        inside = (z > 0) & (uv[:, 0] >= 0) & (uv[:, 0] <= cam.width - 1) & (uv[:, 1] >= 0) & (uv[:, 1] <= cam.height - 1)
        cand = np.flatnonzero(inside & (cos > 0.05))
        if cand.size == 0:
            continue
        # visible when the ray from the camera reaches the vertex before anything else
        hit = query.cast(np.broadcast_to(cam.center, (cand.size, 3)), -d[cand])["t_hit"]
        vis = cand[hit >= dist[cand] - tolerance]
        u = np.clip(np.round(uv[vis, 0]).astype(int), 0, cam.width - 1)
        r = np.clip(np.round(uv[vis, 1]).astype(int), 0, cam.height - 1)
        if inside_mask is not None:
            keep = inside_mask[r, u]
            vis, u, r = vis[keep], u[keep], r[keep]
        w = cos[vis] ** 2
        acc[vis] += w[:, None] * img[r, u].astype(np.float64)
        wsum[vis] += w
    colours = acc / np.maximum(wsum, 1e-9)[:, None]
    unseen = wsum == 0
    if unseen.any() and (~unseen).any():  # fill from the nearest seen vertex
        _, j = cKDTree(v[~unseen]).query(v[unseen])
        colours[unseen] = colours[~unseen][j]
    return np.clip(np.round(colours), 0, 255).astype(np.uint8)


def render_mesh(mesh: trimesh.Trimesh, colours: np.ndarray, cam: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Ray-cast picture of a vertex-coloured mesh: RGB uint8 (black background) and a 0/255 mask."""
    q = MeshQuery(np.asarray(mesh.vertices), np.asarray(mesh.faces))
    o, d = cam.image_rays()
    hit = q.cast(o.reshape(-1, 3), d.reshape(-1, 3))
    ok = np.isfinite(hit["t_hit"])
    prim = hit["primitive_ids"].astype(np.int64)
    uvb = hit["primitive_uvs"].astype(np.float64)
    rgb = np.zeros((len(ok), 3))
    tri = np.asarray(mesh.faces)[prim[ok]]
    w = np.stack([1 - uvb[ok, 0] - uvb[ok, 1], uvb[ok, 0], uvb[ok, 1]], 1)
    rgb[ok] = np.einsum("nk,nkc->nc", w, colours[tri].astype(np.float64))
    h, wd = cam.height, cam.width
    return (np.clip(np.round(rgb), 0, 255).astype(np.uint8).reshape(h, wd, 3),
            (ok.reshape(h, wd) * 255).astype(np.uint8))
