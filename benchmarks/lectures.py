"""Lectures the benchmarks run on, generated once into benchmarks/media/ by
../shared/tools/make_lecture.py (a benchmark makes what it needs when it is missing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HALO_SHARED", ROOT.parent / "shared"))
"""../shared beside the checkout; HALO_SHARED names it when the checkout is elsewhere."""
MAKE_LECTURE = SHARED / "tools" / "make_lecture.py"
MEDIA = ROOT / "benchmarks" / "media"


def generated_lecture(name: str, *args: str) -> Path:
    """The folder `benchmarks/media/<name>/` (lecture.mp4, lecture.srt, truth.json), made with
    make_lecture.py `args` (--seed, --topics, --minutes, …) when it is not there yet."""
    folder = MEDIA / name
    if not (folder / "truth.json").exists():
        print(f"generating {folder} …", file=sys.stderr, flush=True)
        subprocess.run(
            [sys.executable, str(MAKE_LECTURE), "--out", str(folder), *args],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return folder


def long_lecture(minutes: int) -> Path:
    """A `minutes`-long lecture, 8 topics, seed = minutes: what long-input benchmarks share."""
    return generated_lecture(
        f"lecture-{minutes}min", "--seed", str(minutes), "--topics", "8", "--minutes", str(minutes)
    )
