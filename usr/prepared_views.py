"""Capture views at the model's working resolution: resized, undistorted, checked, as numpy + SourceViews.

Every stage that feeds images to the field goes through `prepare_views`, so the field always sees
undistorted images whose longer side is `work_size` pixels, with masks. A person who fills little of a
view (a wide lab camera) is first cropped to a square around the mask, so they fill it as much as in the
training renders: the image features then describe the person at the scale the model learnt.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from usr.field.source_views import SourceViews
from usr.io.cameras import Camera
from usr.io.capture import SubjectCapture
from usr.io.errors import CaptureError

MIN_MASK_FRACTION = 0.001  # a view whose mask covers less than this of the image does not show the person
CROP_BELOW_FILL = 0.5  # crop a view when the person's box's longer side is less than this of the image's
TRAINING_FILL = 0.75  # the longer side of the person's box in the training renders, as a fraction of the frame


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
        img, mask, cam = crop_to_person(img, mask, cam)
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


def crop_to_person(image: np.ndarray, mask: np.ndarray, cam: Camera) -> tuple[np.ndarray, np.ndarray, Camera]:
    """A square window around the mask where the person fills TRAINING_FILL of it, when they fill less than
    CROP_BELOW_FILL of the view (unchanged otherwise); the window may reach outside the image (black, mask 0)."""
    ys, xs = np.nonzero(mask > 127)
    if len(ys) == 0:
        return image, mask, cam
    box_h, box_w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    if max(box_h, box_w) >= CROP_BELOW_FILL * max(cam.height, cam.width):
        return image, mask, cam
    side = int(np.ceil(max(box_h, box_w) / TRAINING_FILL))
    x0 = _window_start((xs.min() + xs.max()) / 2, side, cam.width)
    y0 = _window_start((ys.min() + ys.max()) / 2, side, cam.height)

    def window(a: np.ndarray) -> np.ndarray:
        pad = ((max(0, -y0), max(0, y0 + side - a.shape[0])), (max(0, -x0), max(0, x0 + side - a.shape[1])))
        padded = np.pad(a, pad + ((0, 0),) * (a.ndim - 2))
        return padded[y0 + pad[0][0] : y0 + pad[0][0] + side, x0 + pad[1][0] : x0 + pad[1][0] + side]

    return window(image), window(mask), cam.cropped(x0, y0, side, side)


def _window_start(centre: float, side: int, size: int) -> int:
    """Start of a `side` window centred on `centre`, kept inside [0, size) when it fits (so a person cut by the
    image border still touches the window's border, and the warnings about it still fire)."""
    start = int(round(centre - side / 2))
    return int(np.clip(start, 0, size - side)) if side <= size else start


def spread_views(names: list[str], k: int) -> list[str]:
    """`k` of the rig's views spread evenly around it (every len(names)/k-th, rounded)."""
    return [names[int(round(i * len(names) / k)) % len(names)] for i in range(k)]


def check_view_count(names: list[str], minimum: int = 2) -> None:
    if len(names) < minimum:
        raise CaptureError(f"views: {len(names)} view(s) given ({', '.join(names)}); reconstruction needs at least {minimum}")
