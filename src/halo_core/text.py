"""Small text helpers shared by the built-ins: words rebuilt into text, sentence ends, sentence
splitting, word tokens."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A sentence ends at . ? ! or … possibly followed by closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.?!…][\"'”’)\]]*$")
_SENTENCE_SPLIT = re.compile(r"(?<=[.?!…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-ÖØ-Þ])")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def join_words(words: Iterable[str]) -> str:
    """Text rebuilt from word tokens as the recogniser gave them, with whitespace normalised.

    The one way HALO turns words back into text. A word carries the whitespace before it
    (`model.Word`): " anti" then "-parallel." read "anti-parallel.", " 1" then ",450" read
    "1,450", so joining them as they are gives the transcript's own text, not "anti -parallel.".
    """
    return " ".join("".join(words).split())


SLIDE_QUOTE = "Slide: "
"""How a context quotes a slide ("Slide: Gutenberg's system; Mainz, around 1450."), so that a
backend can tell what was read on screen from what was heard."""


def is_slide_quote(sentence: str) -> bool:
    return sentence.startswith(SLIDE_QUOTE)


def ends_sentence(text: str) -> bool:
    """True when `text` (a word or a segment) ends with sentence-final punctuation."""
    return bool(_SENTENCE_END.search(text.strip()))


def split_sentences(text: str) -> list[str]:
    """Split running text into sentences at . ? ! followed by a capitalized word (heuristic)."""
    text = " ".join(text.split())
    return [s.strip() for s in _SENTENCE_SPLIT.split(text) if s.strip()] if text else []


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits; inner apostrophes kept)."""
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]


_SUFFIXES = (
    "ingly",
    "ments",
    "ness",
    "ment",
    "ings",
    "edly",
    "ing",
    "ion",
    "ers",
    "ed",
    "er",
    "ly",
    "s",
)


def stem(token: str) -> str:
    """A light suffix-stripping stemmer: 'tides' and 'tide', 'rotation' and 'rotates' meet."""
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3 and not token.endswith("ss"):
            token = token[: -len(suffix)]
            break
    return token[:-1] if len(token) > 4 and token.endswith("e") else token


STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i i'm
    if in into is it it's its itself just let let's me more most my myself no nor not now of
    off on once one only or other our ours ourselves out over own same she should so some
    such than that that's the their theirs them themselves then there there's these they
    they're this those through to too two under until up us very was we we're were what when
    where which while who whom why will with would you you're your yours yourself yourselves
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


def content_terms(text: str) -> list[str]:
    """Stemmed tokens of `text` without stopwords: what term-overlap scoring compares."""
    return [stem(t) for t in tokenize(text) if t not in STOPWORDS]


NUMBER_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
"""English words for 0-19, indexed by value."""
NUMBER_TENS = [
    "_",
    "_",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
]
"""English words for the tens, indexed by value // 10 (0 and 1 are placeholders)."""


def number_words(n: int) -> str:
    """English words for 0 <= n < 1,000,000 ("1450" -> "one thousand four hundred fifty")."""
    if n < 20:
        return NUMBER_ONES[n]
    if n < 100:
        return NUMBER_TENS[n // 10] + ("" if n % 10 == 0 else " " + NUMBER_ONES[n % 10])
    if n < 1000:
        rest = "" if n % 100 == 0 else " " + number_words(n % 100)
        return NUMBER_ONES[n // 100] + " hundred" + rest
    return (
        number_words(n // 1000)
        + " thousand"
        + ("" if n % 1000 == 0 else " " + number_words(n % 1000))
    )
