"""Extractor `subtitles`: the transcript from SRT / WebVTT sidecar files or from a subtitle
stream embedded in the container (read with PyAV).

Word timings are approximate: subtitles time whole cues, so each cue's duration is shared among
its words in proportion to their length in characters. WebVTT auto-captions with inline word
timestamps (`<00:00:01.280>`) keep those times instead.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from ..components import ComponentConfig, Extractor
from ..context import RunContext
from ..errors import MediaError
from ..hookspecs import Register, hookimpl
from ..model import Media, Stream, Timeline, TranscriptSegment, Word

SIDECAR_SUFFIXES = (".srt", ".vtt")

_TIMESTAMP = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIMESTAMP}\s*-->\s*{_TIMESTAMP}(?:\s+.*)?$")
_TAG = re.compile(r"<[^>]*>")
_ASS_OVERRIDE = re.compile(r"\{[^}]*\}")
_VTT_VOICE = re.compile(r"<v(?:\.[^ >]*)?\s+([^>]+)>")
_INLINE_TIMESTAMP = re.compile(r"<((?:\d+:)?\d{2}:\d{2}\.\d{3})>")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str
    speaker: str | None = None
    word_starts: tuple[tuple[float, str], ...] = ()
    """(start, text) of each timed piece, from WebVTT inline timestamps (auto-captions)"""


@dataclass(frozen=True)
class Problem:
    line: int | None
    """1-based line in the subtitle file; None for an embedded stream"""
    message: str


class SubtitlesConfig(ComponentConfig):
    path: Path | None = Field(
        default=None,
        description="subtitle file to read (.srt or .vtt); default: a sidecar with the media's "
        "name (talk.srt, talk.en.vtt, …), else a subtitle stream inside the media",
    )
    language: str | None = Field(
        default=None,
        description="preferred language code (en, fr, …): picks talk.<language>.srt and the "
        "embedded stream tagged with it",
    )
    strict: bool = Field(
        default=False,
        description="fail on any malformed cue instead of warning and keeping the good ones",
    )


class SubtitlesExtractor(Extractor[SubtitlesConfig]):
    """Transcript from subtitles: a sidecar .srt/.vtt file or an embedded subtitle stream."""

    name = "subtitles"
    version = "2"  # 2: words carry their leading space (see Word)
    provides = "transcript"
    Config = SubtitlesConfig
    description = "transcript from SRT/WebVTT sidecar files or embedded subtitle streams"

    def reads(self, media: Media) -> list[Path]:
        source = self._subtitle_file(media)
        return [source] if source is not None and source.is_file() else []

    def extract(self, media: Media, timeline: Timeline, ctx: RunContext) -> list[TranscriptSegment]:
        source = self._subtitle_file(media)
        language = self.config.language
        if source is not None:
            cues, problems = read_subtitle_file(source)
            where = str(source)
        else:
            stream = self._embedded_stream(media)
            if stream is None:
                raise MediaError(
                    "no subtitles: no .srt/.vtt file beside the media and no subtitle stream in it",
                    where=str(media.path),
                    fix=f"put subtitles beside the video as {media.path.with_suffix('.srt').name}, "
                    "set `path:` in the extractor's `with:`, or use an ASR extractor "
                    "(use: faster-whisper, from halo-whisper)",
                )
            cues, problems = read_embedded_stream(media.path, stream.index)
            where = f"{media.path} (subtitle stream #{stream.index})"
            language = self.config.language or (
                stream.language if stream.language != "und" else None
            )
        self._check(cues, problems, where, ctx)
        ctx.progress(media.duration, media.duration)
        return [cue_segment(c, language) for c in cues]

    def _subtitle_file(self, media: Media) -> Path | None:
        if self.config.path:
            return Path(self.config.path)
        return find_sidecar(media.path, self.config.language)

    def _embedded_stream(self, media: Media) -> Stream | None:
        streams = [s for s in media.streams if s.kind == "subtitle"]
        if self.config.language:
            preferred = [
                s for s in streams if (s.language or "").startswith(self.config.language[:2])
            ]
            streams = preferred or streams
        return streams[0] if streams else None

    def _check(self, cues: list[Cue], problems: list[Problem], where: str, ctx: RunContext) -> None:
        if not problems and cues:
            return
        listing = "\n  ".join(
            f"{where}:{p.line}: {p.message}" if p.line else f"{where}: {p.message}"
            for p in problems
        )
        if not cues:
            raise MediaError(
                "no usable subtitle cue"
                + (f":\n  {listing}" if listing else " (the file is empty)"),
                where=where,
                fix="fix the subtitle file (SRT: index, `00:00:01,000 --> 00:00:02,500`, text, "
                "blank line) or use an ASR extractor",
            )
        if self.config.strict:
            raise MediaError(
                f"{len(problems)} malformed subtitle cue(s):\n  {listing}",
                where=where,
                fix="fix those cues, or set `strict: false` to skip them with a warning",
            )
        ctx.log.warning("%d malformed subtitle cue(s) skipped:\n  %s", len(problems), listing)


def find_sidecar(media_path: Path, language: str | None = None) -> Path | None:
    """talk.<language>.srt/.vtt first (when a language is preferred), then talk.srt/.vtt, then
    any talk.*.srt/.vtt (alphabetically)."""
    folder, stem = media_path.parent, media_path.stem
    names = [f"{stem}.{language}{s}" for s in SIDECAR_SUFFIXES] if language else []
    names += [f"{stem}{s}" for s in SIDECAR_SUFFIXES]
    for name in names:
        if (folder / name).is_file():
            return folder / name
    tagged = sorted(p for s in SIDECAR_SUFFIXES for p in folder.glob(f"{_glob_escape(stem)}.*{s}"))
    return tagged[0] if tagged else None


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def read_subtitle_file(path: Path) -> tuple[list[Cue], list[Problem]]:
    """Cues of an SRT or WebVTT file, and the problems found, each with its line number."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise MediaError(
            f"cannot read subtitle file ({exc.strerror})", where=str(path), fix="check the path"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # older SRTs are often Windows-1252
    return parse_subtitles(text)


def parse_subtitles(text: str) -> tuple[list[Cue], list[Problem]]:
    """Parse SRT or WebVTT text (WebVTT when it starts with `WEBVTT`).

    WebVTT auto-captions (YouTube style) time each word with inline `<00:00:01.280>` tags and
    repeat the previous cue's line at the top of the next one ("roll-up"): when a file has inline
    timestamps, the words get those times and the repeated lines are dropped.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    vtt = bool(lines) and lines[0].lstrip("\ufeff").startswith("WEBVTT")
    rollup = vtt and bool(_INLINE_TIMESTAMP.search(text))
    cues: list[Cue] = []
    problems: list[Problem] = []
    previous_lines: set[str] = set()
    for first_line, block in _blocks(lines, vtt):
        if vtt and block[0].split(" ", 1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        timing_at = next((i for i, line in enumerate(block[:2]) if "-->" in line), None)
        if timing_at is None:
            problems.append(Problem(first_line, f"no `start --> end` timing line in {block[0]!r}"))
            continue
        match = _TIMING.match(block[timing_at])
        line_no = first_line + timing_at
        if match is None:
            problems.append(Problem(line_no, f"unreadable timing {block[timing_at].strip()!r}"))
            continue
        start, end = _seconds(*match.groups()[:4]), _seconds(*match.groups()[4:])
        if end < start:
            problems.append(
                Problem(line_no, f"cue ends ({end:.3f} s) before it starts ({start:.3f} s)")
            )
            continue
        body = [line for line in block[timing_at + 1 :] if line.strip()]
        speaker = next(
            (m.group(1).strip() for line in body if (m := _VTT_VOICE.search(line))), None
        )
        if rollup:
            shown = {clean_text(line) for line in body}
            body = [line for line in body if clean_text(line) not in previous_lines]
            previous_lines = shown
            if not body:
                continue  # a roll-up cue repeating what was already said
        cue_text = clean_text(" ".join(body))
        if not cue_text:
            problems.append(Problem(line_no, "cue has no text"))
            continue
        timed = tuple(p for line in body for p in _timed_pieces(line, start)) if rollup else ()
        cues.append(Cue(start, end, cue_text, speaker, timed))
    return cues, problems


def _timed_pieces(line: str, cue_start: float) -> list[tuple[float, str]]:
    """(start, text) pieces of a line with inline timestamps; the first starts with the cue."""
    parts = _INLINE_TIMESTAMP.split(line)
    pieces = [(cue_start, parts[0])]
    for stamp, piece in zip(parts[1::2], parts[2::2], strict=True):
        match = re.fullmatch(r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})", stamp)
        assert match is not None  # the split pattern only matches such stamps
        pieces.append((_seconds(*match.groups()), piece))
    return [(t, clean_text(p)) for t, p in pieces if clean_text(p)]


def _blocks(lines: list[str], vtt: bool) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks as (1-based line number of their first line, lines).

    A WebVTT header block is dropped; a whitespace-only line right after a WebVTT timing line
    belongs to the cue (auto-captions put one there), elsewhere it separates blocks.
    """
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines, start=1):
        keep_blank = vtt and line and current and "-->" in current[-1]
        if line.strip() or keep_blank:
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks[1:] if vtt and blocks else blocks


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    return (
        int(hours or 0) * 3600
        + int(minutes) * 60
        + int(seconds)
        + int(fraction.ljust(3, "0")) / 1000
    )


def clean_text(text: str) -> str:
    """Cue text without markup (HTML-ish tags, ASS overrides, line breaks, entities)."""
    text = _ASS_OVERRIDE.sub("", text).replace("\\N", " ").replace("\\n", " ")
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def read_embedded_stream(path: Path, index: int) -> tuple[list[Cue], list[Problem]]:
    """Cues of a text subtitle stream inside a container (mov_text, subrip, ass, webvtt)."""
    import av

    cues: list[Cue] = []
    problems: list[Problem] = []
    with av.open(str(path)) as container:
        stream = next(s for s in container.streams if s.index == index)
        for packet in container.demux(stream):
            if packet.pts is None or packet.time_base is None:
                continue
            start = float(packet.pts * packet.time_base)
            end = start + float((packet.duration or 0) * packet.time_base)
            for subtitle in packet.decode():
                if getattr(subtitle, "type", b"ass") not in (b"ass", b"text", "ass", "text"):
                    problems.append(
                        Problem(None, f"bitmap subtitle at {start:.3f} s (no text to read)")
                    )
                    continue
                text = clean_text(_subtitle_text(subtitle))
                if text:
                    cues.append(Cue(start, end, text, _ass_speaker(subtitle)))
    return cues, problems


def _subtitle_text(subtitle: object) -> str:
    for attribute in ("dialogue", "text"):
        value = getattr(subtitle, attribute, b"")
        if value:
            return (
                value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
            )
    return ""


def _ass_speaker(subtitle: object) -> str | None:
    """The Name field of an ASS event line (ReadOrder,Layer,Style,Name,…), when set."""
    ass = getattr(subtitle, "ass", b"")
    fields = (ass.decode("utf-8", errors="replace") if isinstance(ass, bytes) else str(ass)).split(
        ",", 8
    )
    return (fields[3].strip() or None) if len(fields) > 4 else None


def cue_segment(cue: Cue, language: str | None = None) -> TranscriptSegment:
    """A transcript segment with word timings: from inline timestamps when the cue has them,
    else the cue's time shared among its words in proportion to their length (approximate)."""
    pieces = list(cue.word_starts) or [(cue.start, cue.text)]
    words = []
    for i, (piece_start, piece_text) in enumerate(pieces):
        piece_end = pieces[i + 1][0] if i + 1 < len(pieces) else cue.end
        piece_start = min(max(piece_start, cue.start), cue.end)
        piece_end = min(max(piece_end, piece_start), cue.end)
        words += _spread(piece_text.split(), piece_start, piece_end, cue.speaker)
    return TranscriptSegment(
        start=cue.start,
        end=cue.end,
        text=cue.text,
        words=words,
        speaker=cue.speaker,
        language=language,
    )


def _spread(tokens: list[str], start: float, end: float, speaker: str | None) -> list[Word]:
    """Words sharing [start, end] in proportion to their length in characters."""
    total = sum(len(t) for t in tokens)
    words = []
    elapsed = 0
    for token in tokens:
        word_start = start + (end - start) * elapsed / total
        elapsed += len(token)
        word_end = start + (end - start) * elapsed / total
        # whitespace split the tokens: each is a word of its own, with its space (see Word)
        words.append(Word(start=word_start, end=word_end, text=" " + token, speaker=speaker))
    return words


@hookimpl
def register_extractors(register: Register) -> None:
    register(SubtitlesExtractor)
