"""The command line is made from the settings dataclasses: `usr reconstruct` and `usr batch` offer the same
reconstruction options (ReconSpec), `usr fed simulate` the FedSettings ones; a field added to either class is an
option on every command built from it and reaches the library, with no other edit."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import types

import click
import pytest
import typer
from typer.testing import CliRunner

from apps import batch_cli, fed_cli, recon_cli
from apps.batch.jobs import BatchSpec, Outcome
from apps.cli import app
from apps.options import add_settings_arguments, option_names, settings_from_args
from fed.settings import FedSettings
from usr.recon_spec import ReconSpec
from usr.settings import setting

BATCH_OWN = {"--out", "--workers", "--resume", "--no-resume", "--fail-fast", "--ray", "--fit"}
# the options and defaults `usr reconstruct` and `usr fed simulate` had before they were made from the dataclasses
RECONSTRUCT_BEFORE = {"--out": None, "--views": None, "--resolution": 256, "--finetune-steps": 0, "--checkpoint": None,
                      "--method": "field", "--layers": True, "--labels": "parser", "--sam-checkpoint": None,
                      "--sam-type": "vit_b"}
SIMULATE_BEFORE = {"--studios": 3, "--rounds": 2, "--alg": "fedavg", "--data": None, "--out": None, "--rule": "mean",
                   "--clip": 0.0, "--local-steps": 20, "--grid-lr-scale": 1.0, "--dp-noise": 0.0, "--dp-clip": 1.0,
                   "--attack": "none", "--attack-studio": 0, "--fedgc": 0.0, "--fedgc-allocation": "water-filling",
                   "--fedgc-prompts": "several", "--fedgc-guidance": "prompt-only", "--level-subjects": 2, "--seed": 0,
                   "--verbose": False}
DUMMY_HELP = "A knob only this test has."


def _options(command: click.Command) -> dict[str, click.Option]:
    return {name: p for p in command.params if isinstance(p, click.Option) for name in p.opts + p.secondary_opts}


def _command(typer_app: typer.Typer, *path: str) -> click.Command:
    command = typer.main.get_command(typer_app)
    for name in path:
        command = command.commands[name]
    return command


def _described(opt: click.Option) -> tuple:
    return opt.default, opt.help, opt.type.name, getattr(opt.type, "min", None), opt.is_flag


def _defaults(options: dict[str, click.Option]) -> dict:
    return {name: opt.default for name, opt in options.items() if name in opt.opts}


def test_reconstruct_and_batch_offer_the_same_reconstruction_options():
    recon, batch = _options(_command(app, "reconstruct")), _options(_command(app, "batch"))
    assert set(recon) - {"--out"} == set(batch) - BATCH_OWN == option_names(ReconSpec)
    for name in option_names(ReconSpec):  # one default, help text and type for both
        a, b = recon[name], batch[name]
        assert _described(a) == _described(b), name
    assert RECONSTRUCT_BEFORE.items() <= _defaults(recon).items()  # nothing the user had is gone or changed
    assert "--work-size" not in recon and "--scratch-steps" not in batch  # internal knobs are no options
    assert recon["--resolution"].type.min == 32


def test_fed_simulate_options_are_the_fed_settings_fields():
    options = _options(_command(app, "fed", "simulate"))
    assert option_names(FedSettings, exclude=fed_cli.SET_BY_SIMULATE) <= set(options)
    assert SIMULATE_BEFORE.items() <= _defaults(options).items()  # nothing the user had is gone or changed
    fields = {f.name: f for f in dataclasses.fields(FedSettings)}
    assert options["--dp-noise"].help == fields["dp_noise"].metadata["help"]


Extended = dataclasses.make_dataclass("Extended", [("dummy_knob", int, setting(7, DUMMY_HELP, min=1))],
                                      bases=(ReconSpec,), frozen=True)


def test_a_new_spec_field_is_an_option_of_reconstruct_and_batch_and_reaches_the_library(monkeypatch, tmp_path):
    cli = typer.Typer()
    recon_cli.register(cli, Extended)
    batch_cli.register(cli, Extended)
    for name in ("reconstruct", "batch"):
        knob = _options(_command(cli, name))["--dummy-knob"]
        assert (knob.default, knob.help, knob.type.min) == (7, DUMMY_HELP, 1)

    seen = []

    def reconstruct_subject(subject, out, spec, progress=None, body_fit=None):
        seen.append(spec)
        return {"warnings": [], "vertices": 10, "views_used": list(spec.views), "seconds": {"total": 0.0}}

    fake = types.ModuleType("usr.pipeline")  # no reconstruction: the spec the command hands over is the point
    fake.reconstruct_subject = reconstruct_subject
    monkeypatch.setitem(sys.modules, "usr.pipeline", fake)
    res = CliRunner().invoke(cli, ["reconstruct", str(tmp_path / "subject"), "--out", str(tmp_path / "result"),
                                   "--dummy-knob", "9", "--views", "cam00, cam02", "--no-layers",
                                   "--thickness", "0.01"])
    assert res.exit_code == 0, res.output
    spec = seen.pop()
    assert isinstance(spec, Extended) and spec.dummy_knob == 9 and spec.views == ("cam00", "cam02")
    assert not spec.layers and spec.separation.thickness == 0.01 and spec.resolution == ReconSpec.resolution

    def run_local(jobs, batch_spec, progress=None):
        seen.append(batch_spec)
        yield from (Outcome(job.name, job.capture, "done") for job in jobs)

    monkeypatch.setattr("apps.batch.local.run_local", run_local)
    (tmp_path / "in" / "s1").mkdir(parents=True)
    (tmp_path / "in" / "s1" / "cameras.json").write_text("{}")
    res = CliRunner().invoke(cli, ["batch", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--workers", "2",
                                   "--dummy-knob", "11"])
    assert res.exit_code == 0, res.output
    batch_spec = seen.pop()
    assert isinstance(batch_spec, BatchSpec) and batch_spec.workers == 2
    assert isinstance(batch_spec.recon, Extended) and batch_spec.recon.dummy_knob == 11
    assert json.loads((tmp_path / "out" / "report.json").read_text())["options"]["dummy_knob"] == 11


FedExtended = dataclasses.make_dataclass("FedExtended", [("dummy_knob", float, setting(0.5, DUMMY_HELP, min=0.0))],
                                         bases=(FedSettings,), frozen=True)


def test_a_new_fed_settings_field_is_an_option_of_fed_simulate(monkeypatch, tmp_path):
    cli = typer.Typer()
    fed_cli.register(cli, FedExtended)
    assert _options(_command(cli, "fed", "simulate"))["--dummy-knob"].help == DUMMY_HELP
    seen = []
    fake = types.ModuleType("fed.simulate")  # no Flower run: the settings the command hands over are the point
    fake.simulate = lambda settings, studios, on_round=None, verbose=False: seen.append((settings, studios))
    fake.default_studios = None
    monkeypatch.setitem(sys.modules, "fed.simulate", fake)
    data = tmp_path / "studios"
    for k in range(2):
        (data / f"studio_{k}").mkdir(parents=True)
    res = CliRunner().invoke(cli, ["fed", "simulate", "--studios", "2", "--data", str(data),
                                   "--out", str(tmp_path / "run"), "--alg", "fedadam", "--rounds", "3",
                                   "--dummy-knob", "2.5", "--attack", "scaled"])
    assert res.exit_code == 0, res.output
    settings, studios = seen.pop()
    assert isinstance(settings, FedExtended) and settings.dummy_knob == 2.5 and studios == 2
    assert (settings.rounds, settings.algorithm, settings.server_optimizer, settings.server_lr) == \
        (3, "fedavg", "fedadam", 0.01)
    assert (settings.attack, settings.attack_studio) == ("scaled", 0)  # the simulation's own default attacker
    assert settings.checkpoint_dir == str(tmp_path / "run") and settings.studios_dir == str(data)
    assert FedSettings().attack_studio == -1  # a deployment's default is no partition


def test_benchmark_arguments_come_from_the_spec_with_their_own_defaults():
    only = ("resolution", "finetune_steps", "checkpoint", "views", "layers", "label_source")
    parser = argparse.ArgumentParser()
    add_settings_arguments(parser, ReconSpec, only, defaults={"finetune_steps": 200})
    args = parser.parse_args(["--views", "cam00,cam03", "--no-layers", "--labels", "capture"])
    spec = settings_from_args(ReconSpec, args, only, method="scratch")
    assert spec == ReconSpec(views=("cam00", "cam03"), finetune_steps=200, layers=False, method="scratch",
                             separation=dataclasses.replace(ReconSpec().separation, label_source="capture"))


@pytest.mark.parametrize("settings", [ReconSpec(), BatchSpec(), FedSettings()])
def test_settings_are_frozen(settings):
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(settings, dataclasses.fields(settings)[0].name, None)


def test_a_bad_separation_choice_is_a_usage_error_before_any_work(tmp_path):
    """`--label-sources` and `--labels` are checked when the settings are made (SeparationSpec), not after a
    reconstruction: one usage error naming the option and the known values."""
    with pytest.raises(ValueError, match="--label-sources: unknown value 'both'; known: fused, views, head"):
        dataclasses.replace(ReconSpec().separation, sources="both")
    res = CliRunner().invoke(app, ["reconstruct", str(tmp_path / "missing"), "--out", str(tmp_path / "r"),
                                   "--labels", "foo"])
    assert res.exit_code == 2 and "--labels: unknown value 'foo'" in res.output
    assert not (tmp_path / "r").exists()
