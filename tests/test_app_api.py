"""The try-on page through its API (gradio_client): a sample reconstructed into layers, a layer subset shown,
a garment tried on a parametric body and swapped onto a second person; a hostile zip refused with a message
while the server stays up."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import trimesh

pytest.importorskip("gradio_client")
from gradio_client import Client, handle_file  # noqa: E402

pytestmark = pytest.mark.slow
A, B = "Sample A", "Sample B"


@pytest.fixture(scope="module")
def client(app_url) -> Client:
    return Client(app_url, verbose=False)


def _glb_nodes(path: str) -> set[str]:
    scene = trimesh.load(path, force="scene")
    return set(scene.geometry)


def test_sample_layers_tryon_and_swap(client):
    out = client.predict(A, api_name="/sample")
    person, layers, viewer, preview, glb, zip_path, status = out[:7]
    assert person["value"] == A and "reconstructed" in status
    names = layers["value"]
    assert "body" in names and len(names) >= 3
    assert _glb_nodes(viewer) == set(names) and Path(preview).is_file()
    with zipfile.ZipFile(zip_path) as zf:
        assert {"layers.glb", "report.json", "preview.png"} <= set(zf.namelist())

    chosen = ["body", next(n for n in names if n != "body")]
    viewer, _ = client.predict(A, chosen, api_name="/layers")
    assert _glb_nodes(viewer) == set(chosen)

    garment = client.predict(A, api_name="/garments")["value"]
    assert garment in names
    tried = client.predict(A, garment, "a parametric body", A, "t_pose", 0.5, 0.5, 0.5, 0.8, 0.5, 0.5, api_name="/try_on")
    assert tried[0]["value"].endswith("on a body (t_pose)") and _glb_nodes(tried[2]) == {"body", garment}

    client.predict(B, api_name="/sample")
    swapped = client.predict(A, garment, "person B", B, "t_pose", *[0.5] * 6, api_name="/try_on")
    assert swapped[0]["value"] == f"{B} wearing {A}'s {garment}"
    assert garment in swapped[1]["value"] and "body" in swapped[1]["value"]


def _hostile_zips(folder: Path) -> dict[str, Path]:
    escape, many, bomb = folder / "escape.zip", folder / "many.zip", folder / "bomb.zip"
    with zipfile.ZipFile(escape, "w") as zf:
        zf.writestr("../../outside.txt", "x")
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(10_000):
            zf.writestr(f"f{i}.txt", b"")
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, \
            zf.open("zeros.bin", "w", force_zip64=True) as f:
        for _ in range(64):  # 1 GiB of zeros in a ~4 MB file
            f.write(bytes(1 << 24))
    return {"points outside the folder": escape, "10000 entries": many, "1024 MB": bomb}


def test_hostile_zips_are_refused_and_the_server_stays_up(client, tmp_path):
    for message, archive in _hostile_zips(tmp_path).items():
        with pytest.raises(Exception, match=message):
            client.predict([handle_file(str(archive))], api_name="/upload")
    out = client.predict(A, api_name="/sample")  # still serving
    assert out[0]["value"] == A
