"""LLM backend `extractive`: offline, deterministic and free. It answers by picking sentences
from the request's context instead of generating text.

- task `summarize`: the most central sentences of the context (TF-IDF centroid, with a
  redundancy penalty), in their original order. The reply has the shape the summarizer asks for
  (halo_core.summarize): `Title: <the one topic label the request carries (option `topics`),
  else a noun phrase from the text>` (halo_core.labels), a paragraph of the
  `sentences` best sentences, then up to `key_points` further salient sentences as `- ` lines.
  Chunk and section summaries are made so from their text or their children's summaries
  (time-span headings skipped). The video summary (option `level: video`) is an overview: what
  the video covers, part by part (the section titles), then key points drawn from across the
  sections, the most central of each in turn, none repeating another.
- task `answer`: the context sentences that best match the question (BM25 over lightly stemmed
  terms); when nothing matches, the most central sentences.

Usage reports the tokens a real model would have been sent (system + prompt + context) and the
tokens of the reply, estimated at ~4 characters per token; cost is 0 unless the spec prices the
model (`llm.with.prices`, as for every backend).
"""

from __future__ import annotations

import math
import re
from collections import Counter

from pydantic import Field

from ..components import LLMBackend
from ..errors import HaloError
from ..hookspecs import Register, hookimpl
from ..labels import cosine, phrase_label, rank_by_centrality, tfidf_bags
from ..model import LLMRequest, LLMResponse, Usage
from ..prices import PricedConfig, TokenCounts, cost_usd, price_table
from ..prices import today as price_date
from ..text import content_terms, is_slide_quote, split_sentences, tokenize
from ..times import span_label
from ..tokens import estimate_tokens

# "[01:02–03:04] Title" headings and "[01:02–03:04] " prefixes the summarizer and Q&A write
_SPAN_LABEL = re.compile(r"^\s*\[\d[\d:]*\s*[–-]\s*\d[\d:]*\]\s*")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")
_TITLE_LINE = re.compile(r"^\s*title\s*:", re.IGNORECASE)


class ExtractiveConfig(PricedConfig):
    model: str = Field(
        default="extractive-1", description="model name reported (part of cache keys)"
    )
    sentences: int = Field(default=3, ge=1, description="sentences in a summary's paragraph")
    key_points: int = Field(
        default=3, ge=0, description="further salient sentences listed as key points"
    )
    answer_sentences: int = Field(default=2, ge=1, description="sentences in an answer")


class ExtractiveLLM(LLMBackend[ExtractiveConfig]):
    """Sentence selection from the context: a free, offline stand-in for a real LLM."""

    name = "extractive"
    version = "2"  # 2: noun-phrase titles, the video summary an overview of the sections
    Config = ExtractiveConfig
    description = (
        "offline, deterministic, zero-cost: picks salient/relevant sentences from the context"
    )
    max_concurrency = 4
    accepts_clips = False

    @property
    def model(self) -> str:
        return self.config.model

    def count_tokens(self, request: LLMRequest) -> int:
        return estimate_tokens(
            "\n\n".join(p for p in (request.system, request.prompt, request.context) if p)
        )

    def generate(self, request: LLMRequest) -> LLMResponse:
        sentences = context_sentences(request.context)
        if request.task == "summarize" and request.options.get("level") == "video":
            text = self._overview(context_parts(request.context), request.max_output_tokens)
        elif request.task == "summarize":
            topics = request.options.get("topics") or []
            title = str(topics[0]) if len(topics) == 1 else phrase_label(sentences)
            text = self._summary(sentences, title, request.max_output_tokens)
        elif request.task == "answer" and request.options.get("sections"):
            text = _section_list(request.options["sections"])
        elif request.task == "answer":
            text = self._answer(sentences, request.prompt, request.max_output_tokens)
        else:
            raise HaloError(
                f"the extractive backend cannot do task {request.task!r}",
                where="llm: extractive",
                fix="it handles `summarize` and `answer`; use a generative backend (e.g. gemini)",
            )
        usage = Usage(input_tokens=self.count_tokens(request), output_tokens=estimate_tokens(text))
        model = request.model or self.model
        # free, unless the spec prices it (llm.with.prices, as for every backend)
        price = price_table(self.config.prices).price(model, price_date())
        counts = TokenCounts(prompt=usage.input_tokens, output=usage.output_tokens)
        cost = cost_usd(price, counts) if price is not None else 0.0
        return LLMResponse(text=text, model=model, usage=usage, cost_usd=cost)

    def _summary(self, sentences: list[str], title: str, max_output_tokens: int | None) -> str:
        if not sentences:
            return "Title: (no speech)\nNothing is said in this part."
        ranked = rank_by_centrality(sentences, self.config.sentences + self.config.key_points)
        paragraph_ids = sorted(ranked[: self.config.sentences])
        point_ids = sorted(
            ranked[self.config.sentences : self.config.sentences + self.config.key_points]
        )
        lines = [f"Title: {title}", " ".join(sentences[i] for i in paragraph_ids)]
        lines += [f"- {sentences[i]}" for i in point_ids]
        return _fit(lines, max_output_tokens, keep=2)

    def _overview(self, parts: list[tuple[str, list[str]]], max_output_tokens: int | None) -> str:
        """What the video covers, part by part, then key points from across the parts."""
        parts = [(title, sentences) for title, sentences in parts if sentences or title]
        if not parts:
            return "Nothing is said in this video."
        titles = [title for title, _ in parts if title]
        covers = f"In {len(parts)} parts" + (f": {_series(titles)}." if titles else ".")
        wanted = max(self.config.key_points, min(len(parts), MAX_OVERVIEW_POINTS))
        points = distinct_points([sentences for _, sentences in parts], wanted)
        return _fit([covers, *(f"- {p}" for p in points)], max_output_tokens, keep=1)

    def _answer(self, sentences: list[str], question: str, max_output_tokens: int | None) -> str:
        if not sentences:
            return "The context does not say."
        scores = bm25(sentences, content_terms(question))
        ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
        if scores[ranked[0]] <= 0:
            ranked = rank_by_centrality(sentences, self.config.answer_sentences)
        best = scores[ranked[0]]
        # further sentences only when they match nearly as well as the best one
        chosen = sorted(
            i
            for k, i in enumerate(ranked[: self.config.answer_sentences])
            if k == 0 or scores[i] >= best / 2
        )
        # speech recognition mishears the rare words a slide spells right ("xplane command" for
        # EXPLAIN): a quoted slide that matches the question too joins an answer from speech
        slides = [i for i in ranked if is_slide_quote(sentences[i]) and scores[i] > 0]
        if slides and not any(is_slide_quote(sentences[i]) for i in chosen):
            chosen = sorted([*chosen, slides[0]])
        return _fit([" ".join(sentences[i] for i in chosen)], max_output_tokens, keep=1)


def _section_list(sections: object) -> str:
    """A broad question's answer: the video's parts, one line each with its time span. (Two
    sentences picked from summaries answer "what are the main topics?" worse than the list.)"""
    assert isinstance(sections, list)
    return "\n".join(
        f"- {part['title']} {span_label(float(part['start']), float(part['end']))}"
        for part in sections
        if isinstance(part, dict)
    )


def context_sentences(context: str) -> list[str]:
    """The sentences of a context: transcript text, or summaries with time-span headings and
    key points as bullets or `Key points: a; b.` (headings and title lines are not sentences;
    key points are)."""
    sentences: list[str] = []
    for line in context.splitlines():
        if _TITLE_LINE.match(line):
            continue
        labelled = _SPAN_LABEL.match(line)
        body = _SPAN_LABEL.sub("", line)
        if labelled and not re.search(r"[.?!…]", body):
            continue  # a heading: "[00:00–00:51] Ocean tides"
        body = _BULLET.sub("", body).strip()
        # summaries flattened to one line: "Title: paragraph. Key points: a; b; c."
        body, _, points = body.partition("Key points:")
        pieces = split_sentences(body) + [p.strip().rstrip(".") + "." for p in points.split(";")]
        sentences += [s for s in pieces if tokenize(s)]
    return list(dict.fromkeys(sentences))  # repeated sentences count once


def bm25(sentences: list[str], query: list[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    """BM25 score of each sentence for the query terms (sentences are the documents)."""
    bags = [Counter(content_terms(s)) for s in sentences]
    lengths = [sum(bag.values()) for bag in bags]
    average = sum(lengths) / len(bags) if bags else 0.0
    df = Counter(t for bag in bags for t in bag)
    n = len(bags)
    scores = []
    for bag, length in zip(bags, lengths, strict=True):
        score = 0.0
        for term in set(query):
            tf = bag.get(term, 0)
            if tf:
                idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / (average or 1)))
        scores.append(score)
    return scores


MAX_OVERVIEW_POINTS = 8
"""Key points of a video overview at most (one per section, up to this many sections)."""
SAME_POINT = 0.5
"""TF-IDF cosine above which two sentences say the same thing."""


def context_parts(context: str) -> list[tuple[str, list[str]]]:
    """(title, sentences) of each part of a summaries digest ("[01:02–03:04] Title" headings,
    each followed by its summary); text before the first heading is a part without a title."""
    parts: list[tuple[str, list[str]]] = []
    lines: list[str] = []
    title = ""
    for line in [*context.splitlines(), "[0–0]"]:  # a last heading closes the last part
        heading = _SPAN_LABEL.match(line)
        if heading and not re.search(r"[.?!…]", line[heading.end() :]):
            if lines or title:
                parts.append((title, context_sentences("\n".join(lines))))
            title, lines = line[heading.end() :].strip(), []
        else:
            lines.append(line)
    return parts


def distinct_points(parts: list[list[str]], wanted: int) -> list[str]:
    """Up to `wanted` key points, drawn from the parts in turn (each part's most central
    sentence first), none saying the same thing as another; in the parts' order."""
    everything = [s for sentences in parts for s in sentences]
    bags, idf = tfidf_bags(everything)
    vector = {s: {t: n * idf[t] for t, n in bag.items()} for s, bag in zip(everything, bags)}
    queues = [[part[i] for i in rank_by_centrality(part, len(part))] for part in parts]
    chosen: list[tuple[int, int, str]] = []  # (part, position, sentence)
    while len(chosen) < wanted and any(queues):
        for k, queue in enumerate(queues):
            while queue and len(chosen) < wanted:
                candidate = queue.pop(0)
                if all(cosine(vector[candidate], vector[c]) <= SAME_POINT for *_, c in chosen):
                    chosen.append((k, parts[k].index(candidate), candidate))
                    break
    return [sentence for *_, sentence in sorted(chosen)]


def _series(items: list[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else items[0]


def _fit(lines: list[str], max_tokens: int | None, keep: int) -> str:
    """Drop trailing lines (never the first `keep`), then trailing words, to fit max_tokens."""
    if max_tokens is None:
        return "\n".join(lines)
    while len(lines) > keep and estimate_tokens("\n".join(lines)) > max_tokens:
        lines = lines[:-1]
    text = "\n".join(lines)
    while estimate_tokens(text) > max_tokens and " " in text:
        text = text.rsplit(" ", 1)[0]
    return text if estimate_tokens(text) <= max_tokens else text[: max(0, max_tokens * 4)]


@hookimpl
def register_llm_backends(register: Register) -> None:
    register(ExtractiveLLM)
