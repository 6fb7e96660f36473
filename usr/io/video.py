"""Frames from a calibrated multi-camera video rig → a subject folder (`usr data import-video`)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from usr.io.cameras import Camera
from usr.io.capture import SubjectCapture
from usr.io.clean_plate import FrameMask, RepairedMask, mask_and_motion
from usr.io.errors import CaptureError, problem
from usr.io.images import IMAGE_SUFFIXES, read_image
from usr.io.opencv_calib import read_opencv_toml, to_project_world
from usr.io.subject_folder import write_subject
from usr.progress import Progress, notify

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
# Encoders pad frames to multiples of 16 (1080 ↔ 1088): a difference this small at the right/bottom
# edge leaves K unchanged, so it is accepted (the camera takes the frame's size) and reported.
CODEC_PADDING_PX = 16


def camera_key(name: str) -> str:
    """Match key between a calibration section and a video file: `int_cam01_img` ↔ `cam01.mp4` → "cam01"."""
    m = re.search(r"cam[_-]?(\d+)", name, re.IGNORECASE)
    return f"cam{int(m.group(1)):02d}" if m else name.lower()


def read_frame(video: Path, index: int) -> np.ndarray:
    """Frame `index` of a video as RGB uint8; CaptureError names the file when it cannot."""
    cap = cv2.VideoCapture(str(video))
    try:
        if not cap.isOpened():
            raise CaptureError(problem(video, None, "cannot open video"))
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if index < 0 or (count > 0 and index >= count):
            raise CaptureError(problem(video, "frame", f"frame {index} out of range (video has {count} frames)"))
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, bgr = cap.read()
        if not ok or bgr is None:
            raise CaptureError(problem(video, "frame", f"cannot decode frame {index}"))
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    finally:
        cap.release()


def match_videos(cameras: list[Camera], videos: list[Path], calib: Path) -> dict[str, Path]:
    by_key = {camera_key(v.stem): v for v in videos}
    problems = [problem(calib, c.name, f"no video for this camera (looked for {camera_key(c.name)}.*)")
                for c in cameras if camera_key(c.name) not in by_key]
    cam_keys = {camera_key(c.name) for c in cameras}
    problems += [problem(v, None, "video has no camera in the calibration") for k, v in by_key.items() if k not in cam_keys]
    if problems:
        raise CaptureError(problems)
    return {c.name: by_key[camera_key(c.name)] for c in cameras}


def undistort_view(image: np.ndarray, cam: Camera) -> tuple[np.ndarray, Camera]:
    """Resample the image without lens distortion (same K), and the camera with dist zeroed."""
    if not cam.has_distortion:
        return image, cam
    out = cv2.undistort(image, cam.K, cam.dist)
    return out, Camera(cam.name, cam.width, cam.height, cam.K, cam.R, cam.t, np.zeros(0))


def import_video_rig(calib: Path, videos: list[Path], frame: int, out: Path, up_axis: str = "auto",
                     undistort: bool = False, overwrite: bool = False, notes: list[str] | None = None,
                     masks: str = "none", clean_plates: Path | None = None, progress: Progress | None = None,
                     refine_mask=None) -> SubjectCapture:
    """Take frame `frame` of each camera's video and write a calibrated subject folder at `out`.

    `masks="clean-plate"` adds person masks by background subtraction (usr.io.clean_plate): against the
    images of the empty set in `clean_plates` (named like the cameras) when given, else against a plate
    estimated from the clip around the frame. `notes` (if given) receives remarks such as accepted
    codec-padding size differences; `progress` hears each camera as it starts; `refine_mask(image, mask, moved)`
    (if given) improves each clean-plate mask and returns a RepairedMask (usr.parsing.mask_repair with the parser);
    `moved` is the clip's motion share (usr.io.clean_plate.motion_share), None with an empty-set plate."""
    if masks not in ("none", "clean-plate"):
        raise ValueError(f"masks={masks!r}: expected 'none' or 'clean-plate'")
    calib, out = Path(calib), Path(out)
    source = read_opencv_toml(calib)
    cameras, world_from_source = to_project_world(source, up_axis)
    paths = match_videos(cameras, videos, calib)
    images, person_masks, final, problems = [], [], [], []
    for i, cam in enumerate(cameras):
        cam = cam.with_name(camera_key(cam.name))
        notify(progress, cam.name + (" (clean-plate mask)" if masks == "clean-plate" else ""), i / len(cameras))
        img = read_frame(paths[source[i].name], frame)
        h, w = img.shape[:2]
        if (w, h) != (cam.width, cam.height) and abs(w - cam.width) <= CODEC_PADDING_PX and abs(h - cam.height) <= CODEC_PADDING_PX:
            if notes is not None:
                notes.append(f"{paths[source[i].name].name}: frame {w}x{h}, calibration {cam.width}x{cam.height}: "
                             "treated as codec padding/cropping at the right/bottom edge (K unchanged)")
            cam = Camera(cam.name, w, h, cam.K, cam.R, cam.t, cam.dist)
        if (w, h) != (cam.width, cam.height):
            hint = " (the frame is transposed: rotated video?)" if (h, w) == (cam.width, cam.height) else ""
            problems.append(problem(paths[source[i].name], "size",
                                    f"frame is {w}x{h} but {calib.name} [{source[i].name}] says {cam.width}x{cam.height}{hint}"))
            continue
        mask = None
        if masks == "clean-plate":
            try:
                found = _clean_plate_mask(paths[source[i].name], frame, img, cam.name, clean_plates)
                repaired = RepairedMask(found.mask) if refine_mask is None else refine_mask(img, found.mask, found.moved)
                mask = repaired.mask
                if notes is not None and found.moved is not None:
                    notes.extend(_ghost_note(paths[source[i].name], found.mask, repaired))
            except CaptureError as exc:
                problems += exc.problems
                continue
        if undistort:
            distorted = cam
            img, cam = undistort_view(img, distorted)
            if mask is not None:
                mask = ((undistort_view(mask, distorted)[0] > 127) * 255).astype(np.uint8)
        images.append(img)
        person_masks.append(mask)
        final.append(cam)
    if problems:
        raise CaptureError(problems)
    capture = SubjectCapture(out.name, final, images, masks=person_masks if masks != "none" else None,
                             extras={"world_from_source": world_from_source.tolist()})
    write_subject(capture, out, overwrite=overwrite,
                  extra_json={"world_from_source": world_from_source.tolist(), "source": {"calibration": calib.name, "frame": frame}})
    notify(progress, out.name, 1.0)
    return capture


def _clean_plate_mask(video: Path, frame: int, image: np.ndarray, camera: str, plates: Path | None) -> FrameMask:
    plate = None
    if plates is not None:
        found = [p for p in sorted(Path(plates).glob(f"{camera}.*")) if p.suffix.lower() in IMAGE_SUFFIXES]
        if not found:
            raise CaptureError(problem(Path(plates), camera, f"no clean plate {camera}.png/.jpg for this camera"))
        plate = read_image(found[0])
    return mask_and_motion(video, frame, image, plate)


def _ghost_note(video: Path, plate_mask: np.ndarray, repaired: RepairedMask, at_least: float = 0.05) -> list[str]:
    """Notes when the final mask holds much that the plate estimated from the clip took for background (a ghost that
    moved at times), and when much that the parser calls person next to it never moved at all (left out)."""
    person = repaired.mask > 127
    size = max(int(person.sum()), 1)
    ghost = float((person & (plate_mask <= 127)).sum() / size)
    still = 0.0 if repaired.held_still is None else float(repaired.held_still.sum() / size)
    notes = []
    if ghost >= at_least:
        notes.append(f"{video.name}: {ghost:.0%} of the person matched the plate estimated from the clip (held still "
                     "there: a ghost), put back from the parser and the clip's motion")
    if still >= at_least:
        notes.append(f"{video.name}: next to the person, an area of {still:.0%} of the mask that the parser calls "
                     "person never moved during the clip: a body part held still throughout, or clutter — the plate "
                     "cannot tell, so it is left out of the mask")
    if notes:
        notes[-1] += "; for still poses an empty-set plate (--clean-plates) is the reliable path"
    return notes


def list_videos(spec: list[Path]) -> list[Path]:
    """Expand folders into their video files."""
    out = []
    for p in spec:
        p = Path(p)
        out += sorted(q for q in p.iterdir() if q.suffix.lower() in VIDEO_SUFFIXES) if p.is_dir() else [p]
    return out
