"""Media times as outputs store them (`Seconds`: to the millisecond) and as people read them
(`clock`, `span_label`: mm:ss, or h:mm:ss from the first hour on). Every output writes times
through these, so a time reads the same in notes, answers, the timeline drawing and the logs.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, NonNegativeFloat, PlainSerializer

MILLISECOND_DIGITS = 3


def round_ms(seconds: float) -> float:
    """`seconds` to the millisecond: 714.2950000000001 -> 714.295."""
    return round(seconds, MILLISECOND_DIGITS)


Seconds = Annotated[float, Field(ge=0), PlainSerializer(round_ms, return_type=NonNegativeFloat)]
"""A time in seconds (>= 0), written to the millisecond: sums of float times carry noise
(`714.2950000000001`) that no recogniser or detector measures. Kept exact in memory, so a
computation never depends on whether its input was read back from disk."""


def clock(seconds: float) -> str:
    """`mm:ss` below an hour, `h:mm:ss` from one on (whole seconds, rounded down): 75.9 -> 01:15."""
    minutes, secs = divmod(int(max(seconds, 0.0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def span_label(start: float, end: float) -> str:
    """`[mm:ss–mm:ss]`: how notes, summaries and answers cite a stretch of the media."""
    return f"[{clock(start)}\u2013{clock(end)}]"
