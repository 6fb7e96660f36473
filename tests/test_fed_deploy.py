"""A real Flower deployment on loopback: a SuperLink with TLS (certificates made by the test) and SuperNode
authentication, two registered SuperNodes (one studio folder each), `flwr run` of fed/flower_app: one round
completes and is checkpointed; a SuperNode whose key was never registered is refused."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO

pytest.importorskip("flwr")
pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(predicate, seconds: float, what: str) -> None:
    end = time.time() + seconds
    while time.time() < end:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def test_tls_superlink_with_two_authenticated_supernodes(fed_studios, tmp_path):
    from fed.deploy_keys import make_credentials

    keys = make_credentials(tmp_path / "keys", supernodes=3)
    home = tmp_path / "flwr_home"
    home.mkdir()
    port = _port()
    (home / "config.toml").write_text(f'[superlink]\ndefault = "studios"\n[superlink.studios]\naddress = "127.0.0.1:{port}"\n'
                                      f'root-certificates = "{keys["ca"]}"\n')
    env = {**os.environ, "FLWR_HOME": str(home), "PATH": f"{BIN}:{os.environ['PATH']}", "RAY_USAGE_STATS_ENABLED": "0"}
    logs, procs = {}, []

    def start(name: str, *args: str) -> subprocess.Popen:
        logs[name] = tmp_path / f"{name}.log"
        proc = subprocess.Popen([str(BIN / args[0]), *args[1:]], stdout=open(logs[name], "w"), stderr=subprocess.STDOUT,
                                env=env, cwd=tmp_path)
        procs.append(proc)
        return proc

    def flwr(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / "flwr"), *args], capture_output=True, text=True, env=env, timeout=600)

    try:
        start("superlink", "flower-superlink", "--ssl-ca-certfile", str(keys["ca"]), "--ssl-certfile",
              str(keys["server_cert"]), "--ssl-keyfile", str(keys["server_key"]), "--enable-supernode-auth",
              "--disable-runtime-dependency-installation", "--database", str(tmp_path / "state.db"), "--port", str(port))
        _wait_for(lambda: "startup complete" in logs["superlink"].read_text(), 120, "the SuperLink")
        for k in range(2):
            reg = flwr("supernode", "register", str(keys[f"supernode_{k}_pub"]), "studios")
            assert reg.returncode == 0 and "registered" in reg.stdout, reg.stdout + reg.stderr
        for k in range(3):  # supernode_2's key is never registered
            start(f"supernode_{k}", "flower-supernode", "--root-certificates", str(keys["ca"]), "--superlink",
                  f"127.0.0.1:{port}", "--auth-supernode-private-key", str(keys[f"supernode_{k}"]),
                  "--auth-supernode-public-key", str(keys[f"supernode_{k}_pub"]),
                  "--node-config", f'data-dir="{fed_studios / f"studio_{min(k, 1)}"}"', "--port", str(_port()))
        _wait_for(lambda: logs["superlink"].read_text().count("No SuperNode found with the given public key") >= 1,
                  120, "the unregistered SuperNode to be refused")
        ckpt = tmp_path / "ckpt"
        run = flwr("run", str(REPO / "fed" / "flower_app"), "studios", "--stream", "--run-config",
                   f'rounds=1 local-steps=1 work-size=32 rays=64 samples=8 level-subjects=0 checkpoint-dir="{ckpt}"')
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        _wait_for(lambda: (ckpt / "history.json").is_file(), 300, "the round checkpoint")
        history = json.loads((ckpt / "history.json").read_text())
        assert history[0]["round"] == 1 and sorted(history[0]["used"]) == ["studio_0", "studio_1"]
        assert history[0]["studios"] == 2  # the unregistered third SuperNode never joined
        # (the studios' surface-level query after the last round is the same ServerApp code as in simulation,
        # tested there: test_fed_sim.py; left out here, level-subjects=0)
    finally:
        for proc in reversed(procs):
            proc.terminate()
            subprocess.run(["pkill", "-f", f"--parent-pid {proc.pid}"], capture_output=True)  # its SuperExec
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        subprocess.run(["pkill", "-f", str(tmp_path)], capture_output=True)  # the SuperExec the SuperLink started


def test_the_app_config_lists_every_setting():
    import tomllib
    from dataclasses import fields

    from fed.settings import FedSettings

    config = tomllib.loads((REPO / "fed" / "flower_app" / "pyproject.toml").read_text())["tool"]["flwr"]["app"]["config"]
    assert set(config) == {f.name.replace("_", "-") for f in fields(FedSettings)} - {"studios-dir"}
    assert FedSettings.from_mapping(config) == FedSettings()
