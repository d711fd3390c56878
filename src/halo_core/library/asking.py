"""Questions across a library's videos.

Each video keeps its own passage and chunk index (`QA` with the library's pipeline, its indexes
in `videos/<sha16>/`); a question is embedded once, every selected video's passages are scored,
and the best windows across all of them go into one context under the token budget. Citations
name the video as well as the time range. Questions about the collection ("which lectures cover
X?", "what are the main topics?") are answered from the per-video summaries instead, and list
the videos whose passages match the question best.

The cache scope (`context_id`) hashes the selected videos' media and chunk sets, the filters and
the conversation, so an L2 (semantic) hit is only served for the same library state and the same
filters; and L2's evidence check sees video-qualified passage ids, so a paraphrase answered from
another video's passages is never served.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from ..build import Pipeline
from ..errors import HaloError
from ..gateway import LLMGateway, stable_hash
from ..model import Answer, Citation, LLMRequest, Usage
from ..qa import QA, Session, Turn, clean_question
from ..qa.answering import (
    SYSTEM,
    evidence_of,
    pick_windows,
    summary_text,
    window_citation,
    window_context,
)
from ..qa.passages import Passage
from ..qa.sessions import is_follow_up
from ..run_data import RunData
from ..tiered_cache import L2_PREFIX, SemanticQuery
from ..times import span_label
from .catalog import VideoEntry

COLLECTION_SYSTEM = (
    "Answer the question from the summaries of the videos in a collection only. Each summary "
    "starts with the video's title. Name the videos the answer comes from."
)
LIBRARY_SYSTEM = (
    f"{SYSTEM} Each excerpt is headed by the title of the video it comes from; say which video."
)
COVER_MARGIN = 0.12
"""A video is listed for a collection question when its best passage scores within this of the
best video's."""
MAX_LISTED = 8

_COLLECTION = re.compile(
    r"\b((which|what|list( the)?|all( the)?) (lectures?|videos?|talks?|meetings?|recordings?|"
    r"sessions?|episodes?)|in which (lecture|video|talk|meeting|recording|session|episode)|"
    r"main (topics?|points?|ideas?|themes?)|summar(y|ise|ize)|overview|outline|key points|"
    r"what is (this|the) (library|collection|course) about)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Filters:
    """Which videos and passages a question may be answered from."""

    videos: tuple[str, ...] = ()
    """video ids; empty: every video"""
    speaker: str | None = None
    since: str | None = None
    """YYYY-MM-DD: only videos recorded on or after this day"""

    def admits(self, video: VideoEntry) -> bool:
        if self.videos and video.id not in self.videos:
            return False
        return self.since is None or video.date >= self.since


def check_since(since: str | None) -> str | None:
    if since is None:
        return None
    try:
        return datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=UTC).date().isoformat()
    except ValueError:
        raise HaloError(f"bad date {since!r}", fix="give --since as YYYY-MM-DD") from None


@dataclass
class LibraryQA:
    """Answers questions across `videos` (each with its `QA`); build once, ask many times."""

    videos: list[tuple[VideoEntry, QA]]
    pipeline: Pipeline
    gateway: LLMGateway
    budget: int
    note_scope: Callable[[str, list[str]], None] | None = None
    """called with (cache namespace, media hashes) for each L2 scope used (for `gc`)"""

    def ask(
        self, question: str, session: Session | None = None, filters: Filters = Filters()
    ) -> Answer:
        question = clean_question(question)
        chosen = [(v, qa) for v, qa in self.videos if filters.admits(v)]
        unknown = set(filters.videos) - {v.id for v, _ in self.videos}
        if unknown or not chosen:
            what = f": unknown {', '.join(sorted(unknown))}" if unknown else ""
            raise HaloError(
                f"no video to answer from{what}",
                fix="see the ids with `halo library list LIB`; loosen --video / --since",
            )
        previous = session.turns[-1] if session is not None and session.turns else None
        follow_up = previous is not None and is_follow_up(question)
        query = f"{question} ({previous.retrieval_query})" if follow_up and previous else question
        conversation = (
            stable_hash([[t.retrieval_query, t.answer] for t in session.turns])
            if follow_up and session is not None
            else ""
        )
        context_id = stable_hash(
            {
                "videos": sorted((v.sha256, qa.run.chunk_set_id) for v, qa in chosen),
                "filters": [sorted(filters.videos), filters.speaker, filters.since],
                "budget": self.budget,
                "conversation": conversation,
            }
        )
        q = np.asarray(self.pipeline.embedder.embed([query]), dtype=np.float32)
        scored = self._scored(chosen, q, filters.speaker)
        by_id = {v.id: (v, qa) for v, qa in chosen}
        if _COLLECTION.search(question):
            text, citations, usage, cost, tier = self._collection(
                question, chosen, scored, by_id, context_id
            )
        else:
            text, citations, usage, cost, tier = self._passages(
                question, query, scored, by_id, context_id, q[0]
            )
        cited = " ".join(
            f"[{c.video_id} {span_label(c.start, c.end).strip('[]')}]" for c in citations
        )
        answer = Answer(
            question=question,
            answer=f"{text.strip()} {cited}".strip(),
            citations=citations,
            usage=usage,
            cost_usd=cost,
            cache_tier=tier,
            naive_input_tokens=sum(qa.naive_input_tokens(question) for _, qa in chosen),
        )
        if session is not None:
            session.turns.append(
                Turn(
                    question=question,
                    retrieval_query=query,
                    answer=text.strip(),
                    citations=citations,
                    asked_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )
        return answer

    @staticmethod
    def _scored(
        chosen: list[tuple[VideoEntry, QA]], q: np.ndarray, speaker: str | None
    ) -> list[tuple[float, str]]:
        """Every admitted passage of every chosen video, as (score, "video/passage"), best first."""
        scored: list[tuple[float, str]] = []
        for video, qa in chosen:
            speakers = {p.id: p.speaker for p in qa.passages}
            scored.extend(
                (score, f"{video.id}/{pid}")
                for score, pid in qa.scored(q)
                if speaker is None or (speakers[pid] or "").lower() == speaker.lower()
            )
        scored.sort(reverse=True)
        return scored

    def _passages(
        self,
        question: str,
        query: str,
        scored: list[tuple[float, str]],
        by_id: dict[str, tuple[VideoEntry, QA]],
        context_id: str,
        vector: np.ndarray,
    ) -> tuple[str, list[Citation], Usage, float, str | None]:
        if not scored:
            raise HaloError(
                "no passage matches the filters", fix="check the --speaker name (see the notes)"
            )

        def window_of(key: str) -> tuple[Passage, ...]:
            video_id, pid = key.split("/", 1)
            return tuple(_qualified(p, video_id) for p in by_id[video_id][1].window(pid))

        windows = pick_windows(scored, window_of, self.budget)
        evidence = evidence_of(scored)
        windows.sort(key=lambda w: (_video_of(w[0]), w[0].start))
        windows = QA.merge(windows)
        context = "\n\n".join(
            f"{by_id[_video_of(w[0])][0].title} {window_context(w)}" for w in windows
        )
        citations = [_citation(by_id[_video_of(w[0])][0], w) for w in windows]
        request = LLMRequest(task="answer", prompt=question, system=LIBRARY_SYSTEM, context=context)
        self._note(request, context_id, by_id)
        response = self.gateway.generate(
            request, context_id=context_id, semantic=SemanticQuery(query, evidence, vector)
        )
        fresh = response.cache_tier is None
        return (
            response.text,
            citations,
            response.usage if fresh else Usage(),
            response.cost_usd if fresh else 0.0,
            response.cache_tier,
        )

    def _collection(
        self,
        question: str,
        chosen: list[tuple[VideoEntry, QA]],
        scored: list[tuple[float, str]],
        by_id: dict[str, tuple[VideoEntry, QA]],
        context_id: str,
    ) -> tuple[str, list[Citation], Usage, float, str | None]:
        """From the per-video summaries; lists the videos whose passages match best."""
        best: dict[str, tuple[float, str]] = {}
        for score, key in scored:
            best.setdefault(key.split("/", 1)[0], (score, key))
        top = max((s for s, _ in best.values()), default=0.0)
        listed = sorted(
            (k for k, (s, _) in best.items() if s >= top - COVER_MARGIN),
            key=lambda k: -best[k][0],
        )[:MAX_LISTED]
        context = "\n\n".join(f"{video.title}: {video.overview}" for video, _ in chosen)
        citations = []
        for video_id in listed:
            video, qa = by_id[video_id]
            pid = best[video_id][1].split("/", 1)[1]
            citations.append(_citation(video, qa.window(pid)))
        request = LLMRequest(
            task="answer", prompt=question, system=COLLECTION_SYSTEM, context=context
        )
        response = self.gateway.generate(request, context_id=context_id)
        names = "; ".join(f"{by_id[v][0].title} ({v})" for v in listed)
        text = f"{response.text.strip()} Videos: {names}." if listed else response.text
        fresh = response.cache_tier is None
        return (
            text,
            citations,
            response.usage if fresh else Usage(),
            response.cost_usd if fresh else 0.0,
            response.cache_tier,
        )

    def _note(
        self, request: LLMRequest, context_id: str, by_id: dict[str, tuple[VideoEntry, QA]]
    ) -> None:
        if self.note_scope is not None and self.gateway.semantic is not None:
            scope = self.gateway.l2_scope(request, context_id)
            self.note_scope(L2_PREFIX + scope, [v.sha256 for v, _ in by_id.values()])


def video_overview(run: RunData) -> str:
    """One video's summary: its video-level summary, else its section or chunk summaries."""
    summaries = run.summaries
    if summaries is not None and summaries.video is not None:
        return summary_text(summaries.video)
    parts = (summaries.sections or summaries.chunks) if summaries is not None else []
    if parts:
        return " ".join(summary_text(s) for s in parts)
    return " ".join(c.text for c in run.chunks)[:1200]


def _qualified(passage: Passage, video_id: str) -> Passage:
    return replace(
        passage, id=f"{video_id}/{passage.id}", chunk_id=f"{video_id}/{passage.chunk_id}"
    )


def _video_of(passage: Passage) -> str:
    return passage.id.split("/", 1)[0]


def _citation(video: VideoEntry, window: tuple[Passage, ...]) -> Citation:
    cited = window_citation(
        window, video_id=video.id, video_title=video.title, video_file=video.file
    )
    return cited.model_copy(update={"chunk_id": cited.chunk_id.split("/", 1)[-1]})
