"""Labels a person would write (halo_core.labels): short noun phrases said in the stretch."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from halo_core.labels import MAX_WORDS, phrase_label

TRUTH = json.loads((Path(__file__).parents[1] / "samples/lecture/truth.json").read_text())


def _topics() -> list[list[str]]:
    by_topic: dict[str, list[str]] = {}
    for sentence in TRUTH["sentences"]:
        by_topic.setdefault(sentence["topic_id"], []).append(sentence["text"])
    return list(by_topic.values())


def test_each_topic_of_the_sample_gets_a_short_phrase_naming_it() -> None:
    said = _topics()
    labels = [phrase_label(s, said[:i] + said[i + 1 :]) for i, s in enumerate(said)]
    assert labels[0] == "Tides"  # the lecture: "Let us now look at ocean tides, ..."
    assert labels[1].lower().startswith("strand")
    assert all("," not in label and 1 <= len(label.split()) <= MAX_WORDS for label in labels)


def test_a_modifier_joins_when_the_talk_repeats_the_phrase() -> None:
    sentences = [
        "Next we look at the printing press and how it changed Europe.",
        "The printing press spread quickly.",
        "Each printing press used metal type.",
    ]
    assert phrase_label(sentences) == "Printing press"


def test_no_content_words_no_label() -> None:
    assert phrase_label([]) == ""
    assert phrase_label(["So, well, it is what it is."]) == ""


_WORDS = st.sampled_from(
    """
    the moon pulls tides and ocean water it is a strand of DNA which enzymes copy
    printing press metal type ink anti-parallel 1,450 Moon's, very quickly.
    """.split()  # noqa: SIM905
)


@given(st.lists(st.lists(_WORDS, min_size=1, max_size=15).map(" ".join), max_size=8))
def test_a_label_is_a_run_of_at_most_three_words_said_together(sentences: list[str]) -> None:
    label = phrase_label(sentences)
    if not label:
        return
    words = label.split()
    assert 1 <= len(words) <= MAX_WORDS and label[0] == label[0].upper()
    said = [re.sub(r"['’]s\b|[^\w\s'’-]", " ", s).lower().split() for s in sentences]
    lowered = [w.lower() for w in words]
    assert any(
        said_words[i : i + len(lowered)] == lowered
        for said_words in said
        for i in range(len(said_words))
    ), (label, sentences)
