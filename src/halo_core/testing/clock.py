"""A clock tests move by hand, for anything that takes an injectable clock (cache TTLs)."""

from __future__ import annotations


class FakeClock:
    """`clock()` is the current time, in seconds; `advance(seconds)` moves it forward."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
