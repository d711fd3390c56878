"""What the two diarizers (`voice-clusters`, `pyannote`) share: one contract, one speaker naming."""

from __future__ import annotations

DIARIZATION_REQUIRES: tuple[str, ...] = ()
"""Both diarizers listen to the audio alone, so they run beside ASR, not after it; the runner
labels the transcript's words from the speakers track once both are done."""


def speaker_name(index: int) -> str:
    return f"SPEAKER_{index:02d}"
