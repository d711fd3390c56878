"""`halo library add|list|remove|rebuild|gc LIB`: many videos as one collection (ask it with
`halo ask LIB` and `halo chat LIB`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..library import open_library

_LIB = click.argument("lib", metavar="LIB", type=click.Path(path_type=Path))


@click.group("library")
def command() -> None:
    """A library: a folder of many videos, asked as one (`halo ask LIB "question"`)."""


@command.command("add")
@_LIB
@click.argument(
    "items", metavar="ITEM...", nargs=-1, required=True, type=click.Path(path_type=Path)
)
@click.option(
    "--spec",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The spec media files are run with (kept by a new library; default: the first run "
    "folder's own spec).",
)
def add(lib: Path, items: tuple[Path, ...], spec: Path | None) -> None:
    """Add each ITEM (a run folder, or a media file run first with the library's spec).

    Only the new video is embedded and indexed; media already in the library is recognised by
    its content hash and not added twice.
    """
    with open_library(lib) as library:
        for item in items:
            video, new = library.add(item, spec=spec)
            state = "added" if new else "already in the library as"
            click.echo(f"{state} {video.id}  ({video.title}, {video.duration / 60:.1f} min)")


@command.command("list")
@_LIB
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as JSON.")
def list_videos(lib: Path, as_json: bool) -> None:
    """List the videos of the library in LIB."""
    with open_library(lib) as library:
        videos = library.videos()
    if as_json:
        click.echo(json.dumps([v.model_dump(mode="json") for v in videos], indent=2))
        return
    for v in videos:
        click.echo(f"{v.id}\t{v.title}\t{v.duration / 60:.1f} min\t{v.date}\t{v.file}")
    click.echo(f"{len(videos)} videos", err=True)


@command.command("remove")
@_LIB
@click.argument("video", metavar="VIDEO")
def remove(lib: Path, video: str) -> None:
    """Take VIDEO (its id from `halo library list`) out of the library (`gc` frees its data)."""
    with open_library(lib) as library:
        removed = library.remove(video)
    click.echo(f"removed {removed.id} ({removed.title})")


@command.command("rebuild")
@_LIB
def rebuild(lib: Path) -> None:
    """Re-make every video's indexes and the library's notes.md."""
    with open_library(lib) as library:
        count = library.rebuild()
    click.echo(f"rebuilt {count} videos")


@command.command("gc")
@_LIB
def gc(lib: Path) -> None:
    """Drop indexes, runs (with their artifacts) and cache entries of videos no longer in LIB."""
    with open_library(lib) as library:
        counts = library.gc()
    click.echo(
        ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items()) + " dropped"
    )
