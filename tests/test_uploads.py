"""Uploaded captures: hostile zips are refused with a message naming the file and the limit, and leave nothing
behind; a zipped subject folder and loose images + cameras.json / transforms.json become captures."""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from apps.web.uploads import UploadError, unpack_upload
from data_tools.synth import SynthConfig, synthesize
from usr.io.any_capture import read_capture
from usr.io.nerfstudio import write_transforms
from usr.io.subject_folder import read_subject


@pytest.fixture(scope="module")
def subject(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synth")
    synthesize(root, SynthConfig(subjects=1, views=4, size=48, seed=4545))
    return root / "subject_0000"


def _zip(path: Path, entries: dict[str, bytes], symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize("entries, symlink, words", [
    ({"../evil.txt": b"x"}, None, "outside the folder"),
    ({"/etc/evil.txt": b"x"}, None, "outside the folder"),
    ({"a/../../evil.txt": b"x"}, None, "outside the folder"),
    ({"ok.txt": b"x"}, "link", "is a link"),
    ({f"f{i}.txt": b"" for i in range(10_000)}, None, "10000 entries"),
])
def test_hostile_zips_are_refused_before_anything_is_written(tmp_path, entries, symlink, words):
    archive = _zip(tmp_path / "hostile.zip", entries, symlink)
    with pytest.raises(UploadError, match=words) as err:
        unpack_upload([archive], tmp_path / "dest")
    assert "hostile.zip" in str(err.value)
    assert not (tmp_path / "dest" / "capture").exists() and not (tmp_path / "evil.txt").exists()


def test_a_one_gigabyte_bomb_is_refused(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, zf.open("zeros.bin", "w", force_zip64=True) as f:
        block = bytes(1 << 24)
        for _ in range(64):  # 1 GiB of zeros, about 4 MB on disk
            f.write(block)
    assert archive.stat().st_size < 10 * 1024**2
    with pytest.raises(UploadError, match="MB"):
        unpack_upload([archive], tmp_path / "dest")
    assert not (tmp_path / "dest" / "capture").exists()


def test_a_broken_zip_is_a_clear_error(tmp_path):
    with pytest.raises(UploadError, match="not a readable zip"):
        unpack_upload([_write(tmp_path / "broken.zip", b"PK\x03\x04 not really")], tmp_path / "dest")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_zipped_subject_folder_becomes_a_capture(subject, tmp_path):
    archive = Path(shutil.make_archive(str(tmp_path / "mine"), "zip", subject.parent, subject.name))
    capture = unpack_upload([archive], tmp_path / "dest")
    assert read_capture(capture).camera_names == read_subject(subject).camera_names


def test_loose_images_with_cameras_json_or_transforms_json(subject, tmp_path):
    images = sorted((subject / "images").iterdir())
    capture = unpack_upload([subject / "cameras.json", *images], tmp_path / "a")
    assert len(read_capture(capture).images) == len(images)
    nerf = write_transforms(read_subject(subject), tmp_path / "nerf")
    frames = json.loads(nerf.read_text())["frames"]
    files = [nerf, *[nerf.parent / f["file_path"] for f in frames]]
    capture = unpack_upload(files, tmp_path / "b")
    assert len(read_capture(capture).images) == len(frames)
    with pytest.raises(UploadError, match="need their cameras"):
        unpack_upload(images, tmp_path / "c")
    with pytest.raises(UploadError, match="only"):
        unpack_upload([_write(tmp_path / "x.exe", b"MZ")], tmp_path / "d")
