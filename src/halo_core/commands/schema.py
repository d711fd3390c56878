"""`halo schema`: write the JSON Schemas of the pipeline spec and of every output file."""

from __future__ import annotations

from pathlib import Path

import click

from ..plugins import get_registry
from ..schema import write_schemas
from . import global_options


@click.command("schema")
@click.option("--out", "out_dir", default="specs", show_default=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the schemas into.")
def command(out_dir: Path) -> None:
    """Write specs/pipeline.schema.json and one schema per output file.

    The pipeline schema lists the options of every component loaded now; the committed files
    are made with built-ins only: `HALO_LOAD_PLUGINS= halo schema`.
    """
    for path in write_schemas(out_dir, get_registry()):
        if not global_options().quiet:
            click.echo(f"wrote {path}")
