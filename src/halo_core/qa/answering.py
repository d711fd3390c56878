"""Questions about a run, answered from the smallest context that holds the answer.

`QA` answers from a run's results (`RunData`): handed over in memory by the runner, or read
from the run folder (`run_data.load_run`, `open.open_qa`) in a new process.

Retrieval ranks *passages* (transcript sentences, each scored with its own embedding plus its
chunk's best score over the chunk text and the chunk summary) and builds the context from windows
of neighbouring sentences around the best ones, under a token budget. So a question costs a few
sentences, not a chunk, and far less than the whole transcript (the naive baseline, reported with
each answer). Broad questions ("what are the main topics?") are answered from the section and
video summaries instead, held in the L3 tier as compressed context.

Sessions (`<run>/sessions/<name>.json`, written atomically) keep the conversation: a follow-up
("and when did that happen?") is retrieved together with the question it follows, and its cache
scope includes that conversation state, so it can never be answered from another conversation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..build import Pipeline
from ..components import VectorIndex
from ..gateway import LLMGateway, normalize_prompt, stable_hash
from ..model import (
    Answer,
    Citation,
    JSONValue,
    LLMRequest,
    LLMResponse,
    MediaClip,
    Model,
    Summaries,
    Summary,
    Usage,
)
from ..run_data import RunData
from ..summarize import PROMPTS, parse_reply
from ..tiered_cache import L1_ANSWERS_NAMESPACE, SemanticQuery, read_entry, text_sha256
from ..times import span_label
from ..tokens import estimate_tokens
from .index_store import stored_index
from .passages import Passage, passages_of
from .sessions import Session, Turn, clean_question, is_follow_up, load_session, save_session

DEFAULT_BUDGET = 400
"""Context tokens a question may use (`--budget`); the best window is always included."""
WINDOW_NEIGHBOURS = 1
"""Sentences either side of a retrieved sentence that go into its window."""
MAX_WINDOWS = 3
WINDOW_MARGIN = 0.08
"""A further window is included only when it scores within this of the best one."""
SLIDE_MARGIN = 0.2
"""The best-matching slide joins the context when it scores within this of the best window, past
WINDOW_MARGIN: a slide spells right the rare word the speech may have misheard ("EXPLAIN" heard
as "xplane"), and a misheard sentence can still match the question best."""
CHUNK_WEIGHT = 0.5
"""How much a passage's chunk score (text or summary) adds to the passage's own score."""
EVIDENCE_PASSAGES = 3
"""The best passages a question's L2 entry keeps as its evidence (`evidence_of`)."""

SYSTEM = (
    "Answer the question from the transcript excerpts only, in one or two sentences. Each "
    "excerpt starts with its time span. If the excerpts do not hold the answer, say so."
)
BROAD_SYSTEM = (
    "Answer the question from the summaries of the video's sections only. Each summary starts "
    "with its time span."
)

_BROAD = re.compile(
    r"\b(main (topics?|points?|ideas?|themes?)|summar(y|ise|ize)|overview|outline|key points|"
    r"(what|which) (topics|subjects)|what is (this|the) (video|lecture|talk|meeting) about)\b",
    re.IGNORECASE,
)


class StoredAnswer(Model):
    """An exact question's answer in `llm-l1-answers`: the response and what it cites."""

    response: LLMResponse
    citations: list[Citation]


@dataclass
class Retrieved:
    windows: list[tuple[Passage, ...]]
    """in time order"""
    evidence: tuple[str, ...]
    """the windows' chunk ids, best first: what L2 checks a cached answer against"""
    query_vector: np.ndarray


@dataclass
class QA:
    """Answers questions about one run; build once, ask many times.

    Nothing costly happens before it is needed: the vector indexes and the summaries are loaded
    (and the embedder's model with them) on the first question the exact answer cache does not
    hold, so a repeated question in a new process costs no model load. `embedded_texts` counts
    the texts this object had embedded (what `halo ask --json` reports).
    """

    run: RunData
    pipeline: Pipeline
    gateway: LLMGateway
    budget: int = DEFAULT_BUDGET
    index_folder: Path | None = None
    """where the passage and chunk indexes are kept: `<run>/qa` by default (a library keeps
    its own, so a run folder it reads is never written)"""
    _summaries: list[Summary] = field(default_factory=list)
    _summary_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    _summaries_from_l3: bool = False
    _summaries_loaded: bool = False
    embedded_texts: int = 0

    def __post_init__(self) -> None:
        self.passages = passages_of(self.run)
        self._position = {p.id: n for n, p in enumerate(self.passages)}

    def embed(self, texts: list[str]) -> np.ndarray:
        """`texts` as vectors (n×d float32) by the pipeline's embedder, counted."""
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        self.embedded_texts += len(texts)
        return np.asarray(self.pipeline.embedder.embed(texts), dtype=np.float32)

    def prepare(self) -> dict[str, int]:
        """Load (or make and save) the indexes and summaries' vectors now rather than on first
        need: the run's `qa` stage calls it, so the first question after a run embeds only
        itself. Returns what they hold: passages and summary vectors, counted."""
        self._load_summaries()
        _ = self.passage_index, self.chunk_index
        return {"passages": len(self.passages), "summary_vectors": len(self._summary_vectors)}

    @cached_property
    def passage_index(self) -> VectorIndex[Any]:
        """The transcript sentences' vectors, kept under `<index_folder>/passages`."""
        return stored_index(
            (self.index_folder or self.run.folder / "qa") / "passages",
            stable_hash(
                [
                    stable_hash(self.pipeline.embedder.identity()),
                    self.run.chunk_set_id,
                    [p.text for p in self.passages],
                    self.pipeline.index.identity(),
                ]
            ),
            self.pipeline.fresh_index,
            lambda: ([p.id for p in self.passages], self.embed([p.text for p in self.passages])),
        )

    @cached_property
    def chunk_index(self) -> VectorIndex[Any]:
        """The run's chunk vectors: handed over by the run, else the index saved in the run
        folder (rebuilt when it was made with another embedder)."""
        if self.run.chunk_vectors is not None:
            index = self.pipeline.fresh_index()
            ids, vectors = self.run.chunk_vectors
            if ids:
                index.add(ids, vectors)
            return index
        in_library = self.index_folder is not None
        return stored_index(
            self.index_folder / "chunks"
            if self.index_folder is not None
            else self.run.folder / "index",
            self._rebuilt_key() if in_library else self._run_index_key(),
            self.pipeline.fresh_index,
            lambda: (
                [c.id for c in self.run.chunks],
                self.embed([c.text for c in self.run.chunks]),
            ),
        )

    def close(self) -> None:
        """Add this process's cache statistics to the cache's totals, then close the cache."""
        try:
            self.gateway.flush_stats()
        finally:
            self.pipeline.close()

    # -- identities --

    @property
    def context_id(self) -> str:
        """Media and chunk set: what every answer about this run depends on."""
        return stable_hash(
            {
                "media": self.run.media.sha256,
                "chunks": self.run.chunk_set_id,
                "qa": [self.budget, WINDOW_NEIGHBOURS, MAX_WINDOWS],
            }
        )

    def _run_index_key(self) -> str:
        """The key `halo run` wrote into index/stage.json, when it indexed with this embedder."""
        record = self.run.folder / "index" / "stage.json"
        try:
            data = json.loads(record.read_text())
            if data.get("embedder") == self.pipeline.embedder.identity() and data.get("ids") == [
                c.id for c in self.run.chunks
            ]:
                return str(data["key"])
        except (OSError, ValueError, KeyError):
            pass
        return self._rebuilt_key()

    def _rebuilt_key(self) -> str:
        return "rebuilt-" + stable_hash([self.pipeline.embedder.identity(), self.run.chunk_set_id])

    # -- L3: summaries as compressed context --

    @property
    def l3_scope(self) -> str:
        return stable_hash(
            {
                "media": self.run.media.sha256,
                "chunks": self.run.chunk_set_id,
                # the backend answering now: after a fallback, never the primary's scope
                "llm": self.gateway.backend.identity(),
                "embedder": self.pipeline.embedder.identity(),
            }
        )

    def _load_summaries(self) -> None:
        """Chunk/section/video summaries with their vectors, from L3 when they are there
        (once, on first need).

        Chunk summaries are keyed by the hash of the chunk's text, so they survive a lost
        summaries.json and are never reused for a re-chunked video. Missing ones come from
        summaries.json (and go into L3); a run without summaries gets chunk summaries made on
        the first broad question (`_make_chunk_summaries`).
        """
        if self._summaries_loaded:
            return
        self._summaries_loaded = True
        wanted = self._summary_sources()
        found: dict[str, tuple[Summary, np.ndarray | None]] = {}
        store = self.gateway.summaries
        if store is not None:
            for summary_id, sha in wanted.items():
                entry = store.get(self.l3_scope, summary_id, sha)
                if entry is not None:
                    vector = np.asarray(entry.vector, dtype=np.float32) if entry.vector else None
                    found[summary_id] = (entry.summary, vector)
        self._summaries_from_l3 = bool(found) and len(found) == len(wanted)
        self.gateway.count_tier("l3", hit=self._summaries_from_l3)
        if self.run.summaries is not None:
            fresh = [s for s in self._all_summaries(self.run.summaries) if s.id not in found]
            self._remember(fresh, wanted, found)
        self._summaries = [found[i][0] for i in wanted if i in found]
        self._summary_vectors = {i: v for i, (_, v) in found.items() if v is not None}

    def _remember(
        self,
        fresh: list[Summary],
        wanted: dict[str, str],
        found: dict[str, tuple[Summary, np.ndarray | None]],
    ) -> None:
        """Embed `fresh` summaries, add them to `found` and store them in L3."""
        vectors = self.embed([summary_text(s) for s in fresh])
        for summary, vector in zip(fresh, vectors, strict=True):
            found[summary.id] = (summary, vector)
            if self.gateway.summaries is not None and summary.id in wanted:
                self.gateway.summaries.put(
                    self.l3_scope, summary, wanted[summary.id], vector.tolist()
                )

    def _make_chunk_summaries(self) -> None:
        """Summaries of the chunks that have none (a run with `summarize: false`), through the
        gateway with the summarizer's own request, so they are paid for once and kept in L3."""
        have = {s.id for s in self._summaries}
        missing = [c for c in self.run.chunks if c.id not in have]
        if not missing:
            return
        made = []
        for chunk in missing:
            request = LLMRequest(
                task="summarize",
                prompt=PROMPTS["chunk"],
                context=chunk.text,
                options={"level": "chunk"},
            )
            reply = self.gateway.generate(request, context_id=self.context_id).text
            title, text, points = parse_reply(reply)
            made.append(
                Summary(
                    level="chunk",
                    id=chunk.id,
                    start=chunk.start,
                    end=chunk.end,
                    text=text or reply.strip(),
                    key_points=points,
                    title=title,
                )
            )
        found = {s.id: (s, self._summary_vectors.get(s.id)) for s in self._summaries}
        self._remember(made, self._summary_sources(), found)
        order = {c.id: n for n, c in enumerate(self.run.chunks)}
        self._summaries = sorted(
            (s for s, _ in found.values()), key=lambda s: (s.level != "chunk", order.get(s.id, 0))
        )
        self._summary_vectors = {i: v for i, (_, v) in found.items() if v is not None}

    def _summary_sources(self) -> dict[str, str]:
        """Each summary id wanted, with the hash of the text it summarises: every chunk, and the
        sections and video of summaries.json (which summarise their children)."""
        sources = {c.id: text_sha256(f"chunk:{c.text}") for c in self.run.chunks}
        if self.run.summaries is not None:
            for s in [*self.run.summaries.sections, *filter(None, [self.run.summaries.video])]:
                sources[s.id] = text_sha256(f"{s.level}:{s.start}:{s.end}:{'|'.join(s.children)}")
        return sources

    @staticmethod
    def _all_summaries(summaries: Summaries) -> list[Summary]:
        return [
            *summaries.chunks,
            *summaries.sections,
            *([summaries.video] if summaries.video else []),
        ]

    # -- retrieval --

    def scored(self, q: np.ndarray) -> list[tuple[float, str]]:
        """Every passage id with its score for the query vector `q` (1×d), best first."""
        self._load_summaries()
        chunk_scores = {cid: s for cid, s in self.chunk_index.search(q, len(self.run.chunks))[0]}
        for s in self._summaries:
            vector = self._summary_vectors.get(s.id)
            if s.level == "chunk" and vector is not None:
                chunk_scores[s.id] = max(chunk_scores.get(s.id, -1.0), float(vector @ q[0]))
        ranked = self.passage_index.search(q, len(self.passages))[0]
        return sorted(
            (
                (
                    score
                    + CHUNK_WEIGHT
                    * chunk_scores.get(self.passages[self._position[pid]].chunk_id, 0.0),
                    pid,
                )
                for pid, score in ranked
            ),
            reverse=True,
        )

    def retrieve(self, query: str) -> Retrieved:
        q = self.embed([query])
        scored = self.scored(q)
        windows = pick_windows(scored, self.window, self.budget)
        evidence = evidence_of(scored)
        windows.sort(key=lambda w: w[0].start)
        return Retrieved(self.merge(windows), evidence, q[0])

    def window(self, pid: str) -> tuple[Passage, ...]:
        n = self._position[pid]
        chunk_id = self.passages[n].chunk_id
        lo, hi = max(0, n - WINDOW_NEIGHBOURS), min(len(self.passages), n + WINDOW_NEIGHBOURS + 1)
        window = [p for p in self.passages[lo:hi] if p.chunk_id == chunk_id]
        # The budget bounds the context: drop neighbours before the retrieved sentence itself.
        while (
            len(window) > 1 and sum(estimate_tokens(p.context_text) for p in window) > self.budget
        ):
            window.remove(
                max((p for p in window if p.id != pid), key=lambda p: abs(self._position[p.id] - n))
            )
        return tuple(window)

    @staticmethod
    def merge(windows: list[tuple[Passage, ...]]) -> list[tuple[Passage, ...]]:
        """Windows sorted by time, with overlapping or touching ones of one chunk joined."""
        merged: list[list[Passage]] = []
        for window in windows:
            if (
                merged
                and merged[-1][-1].chunk_id == window[0].chunk_id
                and window[0].start <= merged[-1][-1].end + 0.01
            ):
                merged[-1].extend(p for p in window if p not in merged[-1])
            else:
                merged.append(list(window))
        return [tuple(w) for w in merged]

    # -- answering --

    def naive_input_tokens(self, question: str) -> int:
        transcript = "\n".join(c.text for c in self.run.chunks)
        return self.pipeline.llm.count_tokens(
            LLMRequest(task="answer", prompt=question, system=SYSTEM, context=transcript)
        )

    # -- the exact answer cache (L1, before anything is loaded) --

    def _answer_key(self, prompt: str, system: str, context_id: str, broad: bool) -> str:
        """Everything an answer depends on, computed without an embedding: the question and
        conversation, the backend, the retrieval's components and settings, what it reads."""
        backend = self.gateway.backend
        summaries = self.run.summaries
        return stable_hash(
            {
                "prompt": normalize_prompt(prompt),
                "system": system,
                "context_id": context_id,
                "broad": broad,
                "backend": backend.identity(),
                "model": backend.model,
                "clips": backend.accepts_clips,
                "embedder": self.pipeline.embedder.identity(),
                "index": self.pipeline.index.identity(),
                "retrieval": [WINDOW_MARGIN, SLIDE_MARGIN, CHUNK_WEIGHT],
                "passages": text_sha256("\n".join(p.context_text for p in self.passages)),
                "summaries": text_sha256(summaries.model_dump_json()) if summaries else None,
            }
        )

    def _stored_answer(self, key: str) -> StoredAnswer | None:
        cache = self.gateway.cache
        if cache is None:
            return None
        stored = read_entry(cache, L1_ANSWERS_NAMESPACE, key, StoredAnswer)
        if stored is None:  # the request-level L1 lookup that follows counts the miss
            return None
        self.gateway.count_tier("l1", hit=True)
        stored.response = stored.response.model_copy(update={"cache_tier": "l1"})
        return stored

    def _keep_answer(self, key: str, response: LLMResponse, citations: list[Citation]) -> None:
        """Keep an answer (made now, or found in L1 or L2: asked again, it is the same answer) for
        its exact question; never a fallback's, which must not outlive the run that needed it."""
        if self.gateway.cache is None or self.gateway.switched:
            return
        stored = StoredAnswer(
            response=response.model_copy(update={"cache_tier": None}), citations=citations
        )
        self.gateway.cache.set(L1_ANSWERS_NAMESPACE, key, stored.model_dump(mode="json"))

    def _answer_broad(self, prompt: str, context_id: str) -> tuple[LLMResponse, list[Citation]]:
        """A broad question, answered from the highest level of summaries there is."""
        self._load_summaries()
        if not any(s.level == "section" for s in self._summaries):
            self._make_chunk_summaries()
        # the highest level there is: sections (+ video), else the chunks themselves
        sections = [s for s in self._summaries if s.level in ("section", "video")] or [
            s for s in self._summaries if s.level == "chunk"
        ]
        context = "\n\n".join(f"{span_label(s.start, s.end)} {summary_text(s)}" for s in sections)
        citations = [
            Citation(chunk_id=(s.children[0] if s.children else s.id), start=s.start, end=s.end)
            for s in sections
            if s.level != "video"
        ]
        # the parts themselves, for a backend that answers a broad question with their list
        parts: list[JSONValue] = [
            {"title": s.title, "start": s.start, "end": s.end}
            for s in sections
            if s.level != "video" and s.title
        ]
        request = LLMRequest(
            task="answer",
            prompt=prompt,
            system=BROAD_SYSTEM,
            context=context,
            options={"sections": parts},
        )
        response = self.gateway.generate(request, context_id=context_id)
        return response, citations

    def _answer_retrieved(
        self, prompt: str, system: str, retrieval_query: str, context_id: str
    ) -> tuple[LLMResponse, list[Citation]]:
        """A question answered from the retrieved windows of the transcript."""
        retrieved = self.retrieve(retrieval_query)
        context = "\n\n".join(window_context(w) for w in retrieved.windows)
        citations = [window_citation(w) for w in retrieved.windows]
        # a backend that takes clips also sees the retrieved time spans (video mode)
        clips = (
            [
                MediaClip(
                    path=self.run.media.path,
                    sha256=self.run.media.sha256,
                    start=w[0].start,
                    end=w[-1].end,
                )
                for w in retrieved.windows
            ]
            if self.gateway.backend.accepts_clips
            else []
        )
        request = LLMRequest(
            task="answer", prompt=prompt, system=system, context=context, clips=clips
        )
        response = self.gateway.generate(
            request,
            context_id=context_id,
            semantic=SemanticQuery(retrieval_query, retrieved.evidence, retrieved.query_vector),
        )
        return response, citations

    def ask(self, question: str, session: Session | None = None) -> Answer:
        question = clean_question(question)
        previous = session.turns[-1] if session is not None and session.turns else None
        follow_up = previous is not None and is_follow_up(question)
        retrieval_query = (
            f"{question} ({previous.retrieval_query})" if follow_up and previous else question
        )
        conversation = (
            stable_hash([[t.retrieval_query, t.answer] for t in session.turns])
            if follow_up and session is not None
            else ""
        )
        context_id = stable_hash([self.context_id, conversation])
        prompt, system = question, SYSTEM
        if follow_up and previous is not None:
            # the subject comes from the previous question; its answer is background only
            prompt = f"{question} (follow-up to: {previous.question})"
            system = (
                f"{SYSTEM} Earlier in this conversation: "
                f"Q: {previous.question} A: {previous.answer}"
            )

        broad = bool(_BROAD.search(question))
        key = self._answer_key(prompt, system, context_id, broad)
        stored = self._stored_answer(key)
        if stored is not None:
            response, citations = stored.response, stored.citations
        else:
            if broad:
                response, citations = self._answer_broad(prompt, context_id)
            else:
                response, citations = self._answer_retrieved(
                    prompt, system, retrieval_query, context_id
                )
            self._keep_answer(key, response, citations)
        tier = response.cache_tier or ("l3" if broad and self._summaries_from_l3 else None)
        labels = [span_label(c.start, c.end) for c in citations]
        # a list of sections already names their time spans
        cited = "" if all(label in response.text for label in labels) else " ".join(labels)
        answer = Answer(
            question=question,
            answer=f"{response.text.strip()} {cited}".strip(),
            citations=citations,
            usage=response.usage if response.cache_tier is None else Usage(),
            cost_usd=response.cost_usd if response.cache_tier is None else 0.0,
            cache_tier=tier,
            naive_input_tokens=self.naive_input_tokens(question),
        )
        if session is not None:
            session.turns.append(
                Turn(
                    question=question,
                    retrieval_query=retrieval_query,
                    answer=response.text.strip(),
                    citations=citations,
                    asked_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
        return answer


def window_context(window: tuple[Passage, ...]) -> str:
    """A window as the LLM sees it: its time span, then its text (a slide once)."""
    start, end = min(p.start for p in window), max(p.end for p in window)
    return f"{span_label(start, end)} {' '.join(dict.fromkeys(p.context_text for p in window))}"


def window_citation(window: tuple[Passage, ...], **video: str) -> Citation:
    """The citation of a window; `video` adds a library's video_id / video_title / video_file."""
    return Citation(
        chunk_id=window[0].chunk_id,
        start=min(p.start for p in window),
        end=max(p.end for p in window),
        slide=next((p.slide for p in window if p.slide), None),
        **video,
    )


def evidence_of(scored: list[tuple[float, str]]) -> tuple[str, ...]:
    """What L2 compares two questions by: the ids of the passages that answer them, best first
    (sentences, not chunks: two questions about one topic share its chunk, rarely its sentence)."""
    return tuple(pid for _, pid in scored[:EVIDENCE_PASSAGES])


def pick_windows(
    scored: list[tuple[float, str]],
    window_of: Callable[[str], tuple[Passage, ...]],
    budget: int,
) -> list[tuple[Passage, ...]]:
    """The windows around the best-scored passages (by passage id), best first: at most
    MAX_WINDOWS, each within WINDOW_MARGIN of the best, all within `budget` tokens (the best
    one always); and, when none of them holds a slide, the best slide within SLIDE_MARGIN."""
    windows: list[tuple[Passage, ...]] = []
    scores: list[float] = []
    used: set[str] = set()
    tokens = 0
    for score, key in scored:
        if len(windows) == MAX_WINDOWS or (scores and score < scores[0] - WINDOW_MARGIN):
            break
        if key in used:
            continue
        window = window_of(key)
        cost = sum(estimate_tokens(p.context_text) for p in window if p.id not in used)
        if windows and tokens + cost > budget:
            break
        windows.append(window)
        scores.append(score)
        used.update(p.id for p in window)
        tokens += cost
    if scores and not any(p.slide for w in windows for p in w):
        # the best-matching slide, from a little further down (see SLIDE_MARGIN)
        for score, key in scored:
            if score < scores[0] - SLIDE_MARGIN:
                break
            window = window_of(key) if key not in used else ()
            if any(p.slide for p in window):
                windows.append(window)
                break
    return windows


def summary_text(summary: Summary) -> str:
    points = "; ".join(summary.key_points)
    head = f"{summary.title}: " if summary.title else ""
    return f"{head}{summary.text}" + (f" Key points: {points}." if points else "")


def ask_in_session(qa: QA, question: str, session_name: str | None) -> Answer:
    """Answer `question`; with a session, as that conversation's next turn (saved atomically)."""
    if session_name is None:
        return qa.ask(question)
    session = load_session(qa.run.folder, session_name)
    answer = qa.ask(question, session)
    save_session(qa.run.folder, session)
    return answer
