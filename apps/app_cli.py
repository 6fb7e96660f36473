"""`usr app`: the Gradio try-on demo on this machine (127.0.0.1 unless told otherwise)."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer

from usr.recon_spec import QUICK_SPEC


def register(app: typer.Typer) -> None:
    app.command("app", help="Start the try-on web demo (samples or your capture → layers → try-on).")(serve)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 exposes it to your network)."),
    port: int = typer.Option(7860, "--port", help="Port."),
    workdir: Optional[Path] = typer.Option(None, "--workdir", help="Where samples and sessions live (default: a "
                                           "temporary folder removed when the app stops)."),
    resolution: int = typer.Option(QUICK_SPEC.resolution, "--resolution", min=32,
                                   help="Marching-cubes resolution of reconstructions."),
    max_upload_mb: int = typer.Option(200, "--max-upload-mb", min=1, help="Largest upload accepted."),
) -> None:
    try:
        import gradio  # noqa: F401
    except ImportError:
        typer.echo("✗ the app needs gradio: pip install -e '.[app]'", err=True)
        raise typer.Exit(1)
    from apps.web.ui import build_page
    from apps.web.workspace import Workspace

    temporary = workdir is None
    root = Path(tempfile.mkdtemp(prefix="usr-app-")) if temporary else workdir
    try:
        page = build_page(Workspace(root, replace(QUICK_SPEC, resolution=resolution)))
        page.queue(default_concurrency_limit=1, max_size=32)  # one heavy job at a time on a small machine
        typer.echo(f"usr app: http://{host}:{port}  (work folder {root})", err=True)
        page.launch(server_name=host, server_port=port, max_file_size=f"{max_upload_mb}mb", allowed_paths=[str(root)],
                    show_error=True, quiet=True)
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
