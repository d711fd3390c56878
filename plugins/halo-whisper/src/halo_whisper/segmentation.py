"""Where voice embeddings are taken, and how their labels become speaker turns.

Pure functions on seconds (no audio here), so their invariants are property-tested:

- `sliding_windows` lays windows of `length` seconds every `hop` seconds over each speech region;
  a region shorter than one window gets one window over exactly its speech (its embedding is then
  "brief": mostly padding, so it is not trusted to shape the clusters).
- `resegment` gives every speech frame the label of the covering window whose centre is nearest,
  so a speaker change falls halfway between two window centres: boundaries at half the hop, not
  at the window length. Frames that a window marked as overlapped speech carry a second label.
- `turns_from_frames` turns those frame labels into runs per speaker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FRAME_S = 0.05
"""Resolution of the re-segmented speaker turns, seconds."""


@dataclass(frozen=True)
class Window:
    """A voice embedding's span: [start, end] seconds, of which `speech` seconds are speech."""

    start: float
    end: float
    speech: float

    @property
    def centre(self) -> float:
        return (self.start + self.end) / 2


def sliding_windows(
    regions: Sequence[tuple[float, float]], length: float, hop: float, bridge_gap: float = 0.0
) -> list[Window]:
    """Windows of `length` seconds every `hop` seconds over the speech `regions` (sorted, not
    overlapping), the last one of each stretch flush with its end so no speech is left out.

    Regions closer than `bridge_gap` form one stretch, so a window may span a short pause (its
    `speech` counts only the regions' seconds inside it); a stretch shorter than `length` gets one
    window over exactly its span.
    """
    windows = []
    for start, end in merge_close(regions, bridge_gap):
        if end - start <= length:
            spans = [(start, end)]
        else:
            count = int(np.ceil((end - start - length) / hop - 1e-9)) + 1
            firsts = [min(start + i * hop, end - length) for i in range(count)]
            spans = [(first, first + length) for first in firsts]
        for first, last in spans:
            speech = sum(max(0.0, min(last, e) - max(first, s)) for s, e in regions)
            windows.append(Window(first, last, speech))
    return windows


def merge_close(regions: Sequence[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    """Sorted (start, end) spans with those at most `gap` apart joined."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(regions):
        if merged and start - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def resegment(
    windows: Sequence[Window],
    labels: Sequence[int],
    regions: Sequence[tuple[float, float]],
    second: Sequence[int | None] | None = None,
    frame: float = FRAME_S,
) -> list[tuple[float, float, int, bool]]:
    """Speaker runs `(start, end, label, overlapped)` over the speech `regions`.

    Each frame of speech takes the label of the covering window whose centre is nearest. Where
    `second[i]` names another speaker for window i (overlapped speech heard there), the frames
    that window is nearest to also get that speaker, and both runs are marked overlapped. Runs of
    one label are merged across frames; they never leave the regions.
    """
    centres = np.array([w.centre for w in windows])
    runs: list[tuple[float, float, int, bool]] = []
    for start, end in regions:
        count = max(1, int(round((end - start) / frame)))
        times = start + (np.arange(count) + 0.5) * (end - start) / count
        nearest = np.abs(times[:, None] - centres[None, :]).argmin(axis=1)
        edges = start + np.arange(count + 1) * (end - start) / count
        for i in range(count):
            window = int(nearest[i])
            other = second[window] if second is not None else None
            speakers = [(int(labels[window]), other is not None)]
            if other is not None and other != labels[window]:
                speakers.append((int(other), True))
            for speaker, overlapped in speakers:
                _extend(runs, float(edges[i]), float(edges[i + 1]), speaker, overlapped)
    return sorted(runs, key=lambda r: (r[0], r[2]))


def _extend(
    runs: list[tuple[float, float, int, bool]],
    start: float,
    end: float,
    speaker: int,
    overlapped: bool,
) -> None:
    """Append a frame to the open run of `speaker` with the same overlap mark if it touches it."""
    for i in range(len(runs) - 1, max(-1, len(runs) - 4), -1):
        s, e, k, o = runs[i]
        if k == speaker and o == overlapped and abs(e - start) < 1e-9:
            runs[i] = (s, end, k, o)
            return
    runs.append((start, end, speaker, overlapped))


def bridge(
    runs: Sequence[tuple[float, float, int, bool]], max_gap: float
) -> list[tuple[float, float, int, bool]]:
    """Join runs of one speaker (and overlap mark) separated by at most `max_gap` seconds of
    nobody speaking: a pause for breath is not a new turn."""
    joined: list[tuple[float, float, int, bool]] = []
    for run in sorted(runs):
        start, end, speaker, overlapped = run
        previous = next(
            (i for i in range(len(joined) - 1, -1, -1) if joined[i][2:] == (speaker, overlapped)),
            None,
        )
        if (
            previous is not None
            and start - joined[previous][1] <= max_gap
            and not any(j[0] < start and j[1] > joined[previous][1] for j in joined[previous + 1 :])
        ):
            s, e, _, _ = joined[previous]
            joined[previous] = (s, max(e, end), speaker, overlapped)
        else:
            joined.append(run)
    return sorted(joined, key=lambda r: (r[0], r[2]))
