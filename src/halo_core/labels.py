"""What a stretch of speech is about: its most central sentences (`rank_by_centrality`) and a
label a person would write for it (`phrase_label`): a short noun phrase ("Ocean tides", "Metal
type") taken from the stretch's own words, not a list of its top terms.

Without a part-of-speech tagger (no model at run time), a phrase is a run of one to three words
between punctuation and function words (stopwords, common verbs, adjectives and adverbs, and the
words a speaker steers a talk with), scored by how much the stretch repeats its words: the sum of
each word's count in the stretch, times its rarity among the `others` stretches when given (a
word every stretch uses names none of them). A word said once adds little, so it joins a phrase
as a modifier ("ocean tides") but does not make one. Phrases come from the stretch's most central
sentences (`rank`), where a talk states what it is about.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

from .text import NUMBER_ONES, NUMBER_TENS, STOPWORDS, content_terms, stem, tokenize

MAX_WORDS = 3
ONCE = 0.1
"""Weight of a word the stretch says only once, relative to one repetition."""
OPENING = 2.0
"""Weight factor of the words of the stretch's first sentence, where a talk often says what
comes next ("Next, we look at how cells copy their DNA")."""
MODIFIER_COST = 0.5
"""Score a phrase gives up for each word beyond the first: a longer label must say more."""

# Words that do not name a subject: steering words, common verbs, adjectives and adverbs.
_NOT_NAMES = frozenset(
    """
    also another around actually always back become becomes became begin begins began called
    call calls came come comes certain clear clearly different done each either else enough even
    ever every example examples fact far few first following go goes going gone good got great
    had happen happens hard here high however important instead just keep kind know large last
    later least less let like little long look looks looking lot lots low made main make makes
    making many may maybe mean means might more most much must need needs never new next nothing
    now number often okay old one ones only others part people point put quite rather really right
    said same say says see seen set several shall show shows side similar simply since small so
    something sometimes still such sure take takes talk tell thing things think third though three
    thus time times today together turn two use used uses using usually way ways well whole why
    within without work works yes yet hundred thousand million billion given known taken shown
    """.split()  # noqa: SIM905 (a word list reads better as text)
) | frozenset(NUMBER_ONES + NUMBER_TENS[2:])
# A word right after these is a verb ("it reflects", "they send", "to collide", "can bond").
_BEFORE_VERBS = frozenset(
    """
    i you he she it we they which that who to can could will would should may might must does
    do did not
    """.split()  # noqa: SIM905
)
# A word right after these (or after these and a modifier) is used as a noun somewhere.
_BEFORE_NOUNS = frozenset(
    """
    the a an this these those its their his her our your my of in on for with by from into about
    """.split()  # noqa: SIM905
)
_CLAUSE = re.compile(r"[,.;:!?()\[\]{}\"“”‘’]+(?:\s|$)|\s[-–—]+\s")
_WORD = re.compile(r"^[^\W_][\w'’-]*$", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s?$")


def _names(word: str) -> bool:
    """Whether a word can be part of a label: a content word, not an adverb, number or filler."""
    lower = word.lower()
    return (
        bool(_WORD.match(word))
        and not any(ch.isdigit() for ch in word)
        and lower not in STOPWORDS
        and lower not in _NOT_NAMES
        and not (lower.endswith("ly") and len(lower) > 4)
        and (len(lower) > 2 or word.isupper())
    )


def _runs(sentence: str) -> list[list[str]]:
    """Maximal runs of label words, broken by punctuation and by any other word."""
    runs: list[list[str]] = []
    for clause in _CLAUSE.split(sentence):
        current: list[str] = []
        for raw in clause.split():
            word = _POSSESSIVE.sub("", raw.strip("\"'“”‘’()[]"))
            if _names(word):
                current.append(word)
            else:
                runs.append(current)
                current = []
        runs.append(current)
    return [r for r in runs if r]


def _key(word: str) -> str:
    return stem(tokenize(word)[0]) if tokenize(word) else word.lower()


def phrase_label(
    sentences: Sequence[str],
    others: Sequence[Sequence[str]] = (),
    rank: Callable[[Sequence[str], int], list[int]] | None = None,
    central: int = 3,
) -> str:
    """A short noun phrase naming what `sentences` are about, capitalised ("Ocean tides"); ""
    when they hold no content word. `others` are the other stretches' sentences (for rarity), if
    any; `rank(sentences, k)` gives the k most central sentence indexes (default: TF-IDF
    centrality)."""
    counts = Counter(_key(w) for s in sentences for run in _runs(s) for w in run)
    if not counts:
        return ""
    said = [s.split() for s in sentences]
    verbs = {
        _key(word)
        for words in said
        for before, word in zip(words, words[1:], strict=False)
        if before.lower() in _BEFORE_VERBS
    }
    nouns = {  # "the receiver", "the green light" (one modifier between)
        _key(word)
        for words in said
        for i, word in enumerate(words)
        if (i >= 1 and words[i - 1].lower() in _BEFORE_NOUNS)
        or (
            i >= 2
            and words[i - 2].lower() in _BEFORE_NOUNS
            and _names(words[i - 1])
            and _key(words[i - 1]) not in verbs
        )
    }
    spread = [{_key(w) for s in other for run in _runs(s) for w in run} for other in others]

    opening = {_key(w) for run in _runs(sentences[0]) for w in run}

    def weight(word: str) -> float:
        key = _key(word)
        rarity = math.log((2 + len(spread)) / (1 + sum(key in o for o in spread))) if spread else 1
        return (counts[key] - 1 or ONCE) * rarity * (OPENING if key in opening else 1.0)

    best: tuple[float, int, str] = (0.0, 0, "")
    for index in dict.fromkeys([0, *(rank or rank_by_centrality)(sentences, central)]):
        for run in _runs(sentences[index]):
            for size in range(1, min(MAX_WORDS, len(run)) + 1):
                for at in range(len(run) - size + 1):
                    words = run[at : at + size]
                    head = words[-1].lower()
                    if (
                        any(_key(w) in verbs for w in words)
                        or (size > 1 and _key(head) not in nouns)
                        or head.endswith(("ed", "ing"))
                        or (size > 1 and counts[_key(head)] < 2)
                    ):
                        continue  # a verb, or a head the stretch never uses as a noun or repeats
                    # a modifier said once must earn its place ("ocean tides" over "tides" only
                    # when "ocean" recurs)
                    score = sum(weight(w) for w in words) - MODIFIER_COST * (size - 1)
                    if (score, size) > best[:2]:
                        best = (score, size, " ".join(words))
    return _capitalised(best[2])


def _capitalised(phrase: str) -> str:
    """First letter up, the rest as said ("DNA replication", "Metal type")."""
    return phrase[:1].upper() + phrase[1:]


def tfidf_bags(sentences: Sequence[str]) -> tuple[list[Counter[str]], dict[str, float]]:
    """Each sentence's bag of content terms, and each term's IDF over the sentences."""
    bags = [Counter(content_terms(s)) for s in sentences]
    df = Counter(t for bag in bags for t in bag)
    idf = {t: math.log((1 + len(bags)) / (1 + n)) + 1 for t, n in df.items()}
    return bags, idf


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine similarity of two sparse vectors."""
    dot = sum(v * b.get(t, 0.0) for t, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def rank_by_centrality(sentences: Sequence[str], limit: int, redundancy: float = 0.5) -> list[int]:
    """The `limit` most central sentence indexes, best first: similarity to the TF-IDF centroid,
    minus `redundancy` times the similarity to sentences already picked (maximal marginal
    relevance)."""
    bags, idf = tfidf_bags(sentences)
    weighted = [{t: n * idf[t] for t, n in bag.items()} for bag in bags]
    centroid: dict[str, float] = {}
    for w in weighted:
        for term, value in w.items():
            centroid[term] = centroid.get(term, 0.0) + value
    relevance = [cosine(w, centroid) * min(1.0, len(bags[i]) / 4) for i, w in enumerate(weighted)]
    order: list[int] = []
    remaining = set(range(len(sentences)))
    while remaining and len(order) < limit:
        best = max(
            remaining,
            key=lambda i: (
                relevance[i]
                - redundancy * max((cosine(weighted[i], weighted[j]) for j in order), default=0.0),
                -i,
            ),
        )
        order.append(best)
        remaining.remove(best)
    return order
