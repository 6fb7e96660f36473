"""Capture views at the model's working resolution: resized, undistorted, checked, as numpy + SourceViews.

Every stage that feeds images to the field goes through `prepare_views`, so the field always sees
undistorted images whose longer side is `work_size` pixels, with masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from usr.field.views import SourceViews
from usr.io.cameras import Camera
from usr.io.capture import SubjectCapture
from usr.io.errors import CaptureError

MIN_MASK_FRACTION = 0.001  # a view whose mask covers less than this of the image does not show the person


@dataclass
class PreparedViews:
    names: list[str]
    cameras: list[Camera]
    images: list[np.ndarray]  # uint8 h×w×3
    masks: list[np.ndarray]  # uint8 h×w, 0/255

    def subset(self, indices: list[int]) -> "PreparedViews":
        return PreparedViews([self.names[i] for i in indices], [self.cameras[i] for i in indices],
                             [self.images[i] for i in indices], [self.masks[i] for i in indices])

    def to_source(self) -> SourceViews:
        """Stacked tensors; views of different sizes are padded right/bottom (K unchanged)."""
        h = max(i.shape[0] for i in self.images)
        w = max(i.shape[1] for i in self.images)

        def pad(a):
            return np.pad(a, ((0, h - a.shape[0]), (0, w - a.shape[1])) + ((0, 0),) * (a.ndim - 2))

        return SourceViews.from_arrays(self.cameras, [pad(i) for i in self.images], [pad(m) for m in self.masks])


def prepare_views(capture: SubjectCapture, names: list[str] | None = None, work_size: int = 256) -> PreparedViews:
    """Select, undistort and resize views; raise CaptureError naming any view that cannot be used."""
    names = names or capture.camera_names
    if capture.masks is None:
        raise CaptureError(f"{capture.root or capture.name}: masks/: this capture has no person masks; "
                           "reconstruction needs one mask per view (masks/<camera>.png)")
    sub = capture.select(names)
    cams, imgs, masks, problems = [], [], [], []
    for cam, img, mask in zip(sub.cameras, sub.images, sub.masks):
        if cam.has_distortion:
            img = cv2.undistort(img, cam.K, cam.dist)
            mask = cv2.undistort(mask, cam.K, cam.dist)
            cam = Camera(cam.name, cam.width, cam.height, cam.K, cam.R, cam.t)
        small = cam.fit(work_size)
        img = cv2.resize(img, (small.width, small.height), interpolation=cv2.INTER_AREA)
        mask = (cv2.resize(mask, (small.width, small.height), interpolation=cv2.INTER_AREA) > 127).astype(np.uint8) * 255
        if (mask > 0).mean() < MIN_MASK_FRACTION:
            problems.append(f"{capture.root or capture.name}: masks/{cam.name}.png: the person is not visible in this view "
                            f"(mask covers {(mask > 0).mean():.2%} of the image)")
        cams.append(small)
        imgs.append(img)
        masks.append(mask)
    if problems:
        raise CaptureError(problems)
    return PreparedViews(list(names), cams, imgs, masks)


def spread_views(names: list[str], k: int) -> list[str]:
    """`k` of the rig's views spread evenly around it (every len(names)/k-th, rounded)."""
    return [names[int(round(i * len(names) / k)) % len(names)] for i in range(k)]


def check_view_count(names: list[str], minimum: int = 2) -> None:
    if len(names) < minimum:
        raise CaptureError(f"views: {len(names)} view(s) given ({', '.join(names)}); reconstruction needs at least {minimum}")
