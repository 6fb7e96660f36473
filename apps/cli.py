"""The `usr` command line: thin commands over library functions.

Commands are grouped: `usr data ...` (captures and synthetic data), top-level for the pipeline.
Each command module registers its commands on the app it is given, so this file only wires.
"""

from __future__ import annotations

import typer

from apps import app_cli, batch_cli, capture_cli, fed_cli, demo_cli, parser_cli, recon_cli, smpld_cli, synth_cli, train_cli

app = typer.Typer(
    name="usr",
    help="Reconstruct dressed people from a few calibrated photos into separate, swappable layers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Captures and synthetic data: generate, import, export, validate.", no_args_is_help=True)
app.add_typer(data_app, name="data")

synth_cli.register(data_app)
capture_cli.register(data_app)
demo_cli.register(app)
train_cli.register(app)
recon_cli.register(app)
parser_cli.register(app)
smpld_cli.register(app)
batch_cli.register(app)
app_cli.register(app)
fed_cli.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
