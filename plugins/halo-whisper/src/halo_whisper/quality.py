"""Flagging transcripts the model probably got wrong, e.g. foreign speech, English-only model."""

from __future__ import annotations

import logging

from halo_core import TranscriptSegment

LOW_CONFIDENCE = 0.5
"""Mean word probability below which a transcript is flagged. English speech through tiny.en
scores 0.8-0.9 here; German or French speech through it scores 0.3-0.45."""


def mean_confidence(segments: list[TranscriptSegment]) -> float | None:
    probabilities = [w.confidence for s in segments for w in s.words if w.confidence is not None]
    return sum(probabilities) / len(probabilities) if probabilities else None


def flag_low_confidence(
    segments: list[TranscriptSegment], model: str, log: logging.Logger, where: str
) -> None:
    """Warn (once per file) when the words are mostly guesses, with the likely cause and the fix."""
    confidence = mean_confidence(segments)
    if confidence is None or confidence >= LOW_CONFIDENCE:
        return
    languages = sorted({s.language for s in segments if s.language})
    english_only = model.endswith(".en") or model == "bundled"
    cause = (
        "the speech is probably not English, and this model only knows English"
        if english_only
        else f"the speech may not be in the detected/given language {languages}"
    )
    fix = (
        "use a multilingual model (e.g. `model: small`) and leave `language` unset"
        if english_only
        else "set `language` to the spoken language, or use a larger model"
    )
    log.warning(
        "%s: transcript confidence is low (mean word probability %.2f): %s\n  fix: %s",
        where,
        confidence,
        cause,
        fix,
    )
