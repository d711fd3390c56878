"""`halo export RUN_DIR --format F [--out FILE]`: a finished run's results as captions,
chapters, Markdown notes or one JSON bundle (see `halo_core.exports`)."""

from __future__ import annotations

from pathlib import Path

import click

from ..exports import FORMATS


@click.command("export")
@click.argument("run_dir", metavar="RUN_DIR", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    required=True,
    help="srt / vtt: captions with speaker labels; chapters: `00:00 Title` lines for a video "
    "description; vtt-chapters: WebVTT chapters; md: Markdown notes; json: all in one.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to FILE (atomically) instead of standard output.",
)
def command(run_dir: Path, fmt: str, out: Path | None) -> None:
    """Export the run in RUN_DIR (a folder written by `halo run`) in one format."""
    from ..artifacts import atomic_write_text
    from ..exports import ExportInput, render_export
    from ..model import Timeline
    from ..run_data import load_run
    from ..titles import video_title

    run = load_run(run_dir)
    timeline = run.timeline or Timeline(duration=run.media.duration)
    text = render_export(
        fmt,
        ExportInput(
            title=video_title(run.media, timeline),
            media=run.media,
            timeline=timeline,
            chunks=run.chunks,
            summaries=run.summaries,
            answers=run.answers,
            notices=[k.notice for k in run.report.skipped] if run.report else [],
        ),
    )
    if out is None:
        click.echo(text, nl=False)
    else:
        atomic_write_text(out, text)
        click.echo(f"wrote {out}", err=True)
