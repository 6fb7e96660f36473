"""Uploaded captures, unpacked without trusting them.

A zip is checked from its directory before anything is written (absolute or ../ paths, links, too many
members, too large a declared size or compression ratio) and again while it is extracted (the bytes actually
written are counted, since a zip can lie about its sizes). Loose files are copied by their base name only.
Every refusal is an UploadError whose message names the file and the limit.
"""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from usr.io.any_capture import capture_kind, find_captures

IMAGE_TYPES = (".png", ".jpg", ".jpeg")
LOOSE_TYPES = IMAGE_TYPES + (".json",)


class UploadError(ValueError):
    """An upload was refused; the message says which file and why."""


@dataclass(frozen=True)
class UploadLimits:
    max_members: int = 2000
    max_total_bytes: int = 512 * 1024**2  # uncompressed
    max_ratio: float = 200.0  # uncompressed / compressed, per member and overall


def unpack_upload(files: list[Path], dest: Path, limits: UploadLimits = UploadLimits()) -> Path:
    """One zip, or loose images + cameras.json / transforms.json → a capture folder under `dest` (returned)."""
    files = [Path(f) for f in files]
    if not files:
        raise UploadError("nothing uploaded: a zip of a subject folder, or images with cameras.json / transforms.json")
    dest.mkdir(parents=True, exist_ok=True)
    zips = [f for f in files if f.suffix.lower() == ".zip"]
    if zips:
        if len(files) != 1:
            raise UploadError("upload one zip on its own (or loose images with cameras.json / transforms.json)")
        safe_extract(zips[0], dest / "capture", limits)
        root = dest / "capture"
    else:
        root = _gather_loose(files, dest / "capture")
    captures = [root] if capture_kind(root) else find_captures(root)
    if not captures:
        raise UploadError(f"{files[0].name}: no capture inside (expected cameras.json + images/, or transforms.json)")
    return captures[0]


def safe_extract(archive: Path, target: Path, limits: UploadLimits = UploadLimits()) -> None:
    """Extract `archive` into `target` after checking every member; on any refusal nothing is left behind."""
    name = archive.name
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UploadError(f"{name}: not a readable zip ({exc})") from None
    with zf:
        members = zf.infolist()
        if len(members) > limits.max_members:
            raise UploadError(f"{name}: {len(members)} entries; at most {limits.max_members} are accepted")
        declared = sum(m.file_size for m in members)
        if declared > limits.max_total_bytes:
            raise UploadError(f"{name}: unpacks to {declared / 1024**2:.0f} MB; at most "
                              f"{limits.max_total_bytes / 1024**2:.0f} MB are accepted")
        for m in members:
            _check_member(name, m, limits)
        target.mkdir(parents=True, exist_ok=True)
        try:
            written = 0
            for m in members:
                out = target.joinpath(*PurePosixPath(m.filename).parts)
                if m.is_dir():
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(m) as src, open(out, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > limits.max_total_bytes:  # the directory lied about the sizes
                            raise UploadError(f"{name}: unpacks to more than {limits.max_total_bytes / 1024**2:.0f} MB")
                        dst.write(chunk)
        except (UploadError, zipfile.BadZipFile, OSError, EOFError) as exc:
            shutil.rmtree(target, ignore_errors=True)
            raise exc if isinstance(exc, UploadError) else UploadError(f"{name}: broken zip ({exc})") from None


def _check_member(name: str, m: zipfile.ZipInfo, limits: UploadLimits) -> None:
    path = PurePosixPath(m.filename.replace("\\", "/"))
    if m.filename.startswith(("/", "\\")) or (path.parts and ":" in path.parts[0]) or ".." in path.parts:
        raise UploadError(f"{name}: entry {m.filename!r} points outside the folder; refused")
    if stat.S_ISLNK(m.external_attr >> 16):
        raise UploadError(f"{name}: entry {m.filename!r} is a link; refused")
    if m.file_size > 1024**2 and m.file_size > limits.max_ratio * max(m.compress_size, 1):
        raise UploadError(f"{name}: entry {m.filename!r} expands {m.file_size / max(m.compress_size, 1):.0f}×; "
                          "a decompression bomb is refused")


def _gather_loose(files: list[Path], target: Path) -> Path:
    """Loose files into one folder: with cameras.json, images go to images/ (a subject folder); with
    transforms.json, each image goes where its frame's file_path says (within the folder), and mask paths whose
    files were not uploaded are dropped (the garment parser then makes the masks)."""
    by_name = {f.name: f for f in files}
    bad = [f.name for f in files if f.suffix.lower() not in LOOSE_TYPES]
    if bad:
        raise UploadError(f"{', '.join(bad)}: only {', '.join(LOOSE_TYPES)} files or one .zip are accepted")
    if "cameras.json" not in by_name and "transforms.json" not in by_name:
        raise UploadError("loose images need their cameras: add cameras.json or transforms.json")
    target.mkdir(parents=True, exist_ok=True)
    places = {name: Path("images") / name for name in by_name if Path(name).suffix.lower() in IMAGE_TYPES}
    if "cameras.json" not in by_name:
        places.update(_transforms_places(by_name.pop("transforms.json"), target))
    for name, f in by_name.items():
        out = target / places.get(name, Path(name))
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, out)
    return target


def _transforms_places(transforms: Path, target: Path) -> dict[str, Path]:
    """Image base name → the relative path its transforms.json frame gives it (paths inside the folder only);
    writes the transforms.json into `target` without the mask paths nobody uploaded."""
    try:
        doc = json.loads(transforms.read_text())
    except (OSError, ValueError):
        shutil.copyfile(transforms, target / "transforms.json")  # the capture reader names the problem
        return {}
    frames = doc.get("frames") if isinstance(doc, dict) else None
    places = {}
    for frame in frames if isinstance(frames, list) else []:
        rel = PurePosixPath(str(frame.get("file_path", ""))) if isinstance(frame, dict) else PurePosixPath("")
        if rel.parts and not rel.is_absolute() and ".." not in rel.parts:
            name = rel.name if rel.suffix else rel.name + ".png"
            places[name] = Path(*rel.parent.parts) / name
    for frame in frames if isinstance(frames, list) else []:
        if isinstance(frame, dict) and "mask_path" in frame:
            frame.pop("mask_path")  # loose uploads are flat: a mask would share its image's name
    (target / "transforms.json").write_text(json.dumps(doc))
    return places
