"""Hierarchical summaries: each chunk (map phase), sections of chunks, then the whole video.

Chunk summaries read the chunk's text (and, for video-capable backends, a clip of its time span);
section summaries read their chunks' summaries; the video summary reads the section summaries (the
chunk summaries when there is one section). So no request ever holds more than one level's worth
of text, however long the video. Chunk and section requests carry the topic labels they span
(option `topics`), for a backend to title them by.

Replies are plain text: an optional `Title: ...` line, a paragraph, then key points as `- ` lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, TypeVar

from .chunking import slide_heading_in
from .context import RunContext
from .gateway import LLMGateway
from .model import (
    Chunk,
    ChunkSetting,
    JSONValue,
    LLMRequest,
    LLMResponse,
    Media,
    MediaClip,
    Summaries,
    Summary,
    Timeline,
)
from .times import span_label

T = TypeVar("T")
Level = Literal["chunk", "section", "video"]

SECTION_SIZE = 5
"""Chunks per section when the timeline has no topic track to group by."""

FORMAT = (
    "Reply with a first line 'Title: <a few words>', then a short paragraph, then the key points "
    "as lines starting with '- '."
)
PROMPTS: dict[Level, str] = {
    "chunk": "Summarize this part of the video. " + FORMAT,
    "section": "Summarize this section of the video from the summaries of its parts. " + FORMAT,
    "video": "Summarize the whole video from the summaries of its sections. " + FORMAT,
}

_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.*)$")
_TITLE = re.compile(r"^\s*(?:#+\s*)?title\s*:\s*(.*)$", re.IGNORECASE)


def parse_reply(text: str) -> tuple[str, str, list[str]]:
    """(title, paragraph, key points) from a reply in the requested shape, tolerating others."""
    title = ""
    body: list[str] = []
    points: list[str] = []
    for line in text.strip().splitlines():
        if not title and (match := _TITLE.match(line)):
            title = match.group(1).strip()
        elif match := _BULLET.match(line):
            points.append(match.group(1).strip())
        elif line.strip():
            body.append(line.strip())
    return title, " ".join(body), points


def section_groups(chunks: Sequence[Chunk], timeline: Timeline) -> list[list[Chunk]]:
    """Consecutive chunks in the same part: the slide heading each shows longest (a deck's own
    parts; a chunk without one stays with the chunk before), else the topic segment each
    overlaps most, else runs of SECTION_SIZE."""
    topics = timeline.track("topics")
    part_of: Callable[[Chunk], object]
    if any(getattr(s, "heading", "") for s in timeline.track("slides")):

        def part_of(chunk: Chunk) -> object:
            return slide_heading_in(timeline, chunk.start, chunk.end).casefold() or None

    elif topics:

        def part_of(chunk: Chunk) -> object:
            overlaps = [min(chunk.end, t.end) - max(chunk.start, t.start) for t in topics]
            return max(range(len(topics)), key=lambda i: overlaps[i])

    else:
        return [list(chunks[i : i + SECTION_SIZE]) for i in range(0, len(chunks), SECTION_SIZE)]

    groups: list[list[Chunk]] = []
    previous: object = None
    for chunk in chunks:
        part = part_of(chunk)
        if groups and (part == previous or part is None):
            groups[-1].append(chunk)
        else:
            groups.append([chunk])
            previous = part
    return groups


def _summary(
    level: Level,
    id_: str,
    start: float,
    end: float,
    reply: LLMResponse,
    children: list[str],
    heading: str = "",
) -> Summary:
    """A summary from a reply; `heading` (the slide shown longest) is its title when given: the
    deck's own title for the part beats one made from the words."""
    title, text, points = parse_reply(reply.text)
    return Summary(
        level=level,
        id=id_,
        start=start,
        end=end,
        text=text or reply.text.strip(),
        key_points=points,
        children=children,
        title=heading or title,
        cost_usd=0.0 if reply.cache_tier else reply.cost_usd,
    )


def _digest(summaries: Sequence[Summary]) -> str:
    """The text a higher level reads: each lower summary with its time span and key points."""
    parts = []
    for s in summaries:
        points = "".join(f"\n- {p}" for p in s.key_points)
        heading = f"{span_label(s.start, s.end)} {s.title}".rstrip()
        parts.append(f"{heading}\n{s.text}{points}")
    return "\n\n".join(parts)


def summary_requests(chunk_count: int, section_count: int) -> int:
    """How many LLM requests a hierarchical summary makes (for the naive-baseline comparison)."""
    return chunk_count + section_count + (1 if chunk_count else 0)


def _request(
    level: Level, context: str, clips: list[MediaClip], setting: ChunkSetting | None = None,
    **signals: JSONValue,
) -> LLMRequest:
    return LLMRequest(
        task="summarize",
        prompt=PROMPTS[level],
        context=context,
        clips=clips,
        setting=setting,
        options={"level": level, **signals},
    )


def chunk_request(chunk: Chunk, media: Media, setting: ChunkSetting | None = None) -> LLMRequest:
    """The map phase's request for `chunk`: its text and its clip, read as `setting` says (a
    cost plan's choice) or as the backend is configured."""
    clip = MediaClip(path=media.path, sha256=media.sha256, start=chunk.start, end=chunk.end)
    # Who speaks, where the slides change and which topics run: context a backend may pass on.
    return _request("chunk", chunk.text, [clip], setting, speakers=chunk.speakers,
                    scene_cuts=chunk.scene_cuts, topics=chunk.topics)  # fmt: skip


def summarize(
    chunks: Sequence[Chunk],
    timeline: Timeline,
    media: Media,
    gateway: LLMGateway,
    ctx: RunContext,
    *,
    context_id: str,
    settings: Mapping[str, ChunkSetting] | None = None,
) -> Summaries:
    """Chunk summaries (in one `generate_many` call when the backend prefers batches, else
    concurrently, up to its `max_concurrency`), then sections, then the video. `context_id`
    scopes cache entries to this media and chunk set; `settings` (a cost plan's, by chunk id)
    say how each chunk is read."""
    total = media.duration or (chunks[-1].end if chunks else 0.0)
    settings = settings or {}

    def ask(level: Level, context: str) -> LLMResponse:
        return gateway.generate(_request(level, context, []), context_id=context_id)

    def request_of(chunk: Chunk) -> LLMRequest:
        return chunk_request(chunk, media, settings.get(chunk.id))

    def chunk_summary(chunk: Chunk, reply: LLMResponse | None = None) -> Summary:
        reply = reply or gateway.generate(request_of(chunk), context_id=context_id)
        return _summary("chunk", chunk.id, chunk.start, chunk.end, reply, [],
                        slide_heading_in(timeline, chunk.start, chunk.end))  # fmt: skip

    workers = gateway.backend.max_concurrency
    if gateway.backend.prefers_batch:  # the whole map phase in one call (a batch API)
        replies = gateway.generate_many([request_of(c) for c in chunks], context_id=context_id)
        chunk_summaries = [chunk_summary(c, r) for c, r in zip(chunks, replies, strict=True)]
        for s in chunk_summaries:
            ctx.progress(s.end, total)
    else:
        chunk_summaries = _map_in_order(
            chunk_summary, chunks, workers, lambda s: ctx.progress(s.end, total)
        )
    by_id = {s.id: s for s in chunk_summaries}

    def section_summary(numbered: tuple[int, list[Chunk]]) -> Summary:
        number, group = numbered
        topics = list(dict.fromkeys(t for c in group for t in c.topics))
        reply = gateway.generate(
            _request("section", _digest([by_id[c.id] for c in group]), [], topics=topics),
            context_id=context_id,
        )
        start, end = group[0].start, group[-1].end
        return _summary("section", f"section-{number:03d}", start, end, reply,
                        [c.id for c in group], slide_heading_in(timeline, start, end))  # fmt: skip

    sections = _map_in_order(
        section_summary, list(enumerate(section_groups(chunks, timeline))), workers, lambda s: None
    )

    video = None
    if sections:
        # One section says nothing about the parts of the video: its chunks do.
        reply = ask("video", _digest(sections if len(sections) > 1 else chunk_summaries))
        video = _summary("video", "video", 0.0, total, reply, [s.id for s in sections])
    ctx.progress(total, total)
    return Summaries(media=media.path.name, chunks=chunk_summaries, sections=sections, video=video)


def _map_in_order(
    work: Callable[[T], Summary],
    items: Sequence[T],
    workers: int,
    on_done: Callable[[Summary], None],
) -> list[Summary]:
    """`work` over `items` on up to `workers` threads; results in input order."""
    with ThreadPoolExecutor(
        max_workers=max(1, workers), thread_name_prefix="halo-summarize"
    ) as pool:
        futures = [pool.submit(work, item) for item in items]
        try:
            results = []
            for future in futures:
                results.append(future.result())
                on_done(results[-1])
            return results
        except BaseException:
            for future in futures:
                future.cancel()
            raise
