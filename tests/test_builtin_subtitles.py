"""The `subtitles` extractor on the shipped sample lecture, on hand-written SRT/WebVTT files, and
on videos with embedded subtitle streams.

The videos are made by the `videos` fixture with the ffmpeg binary (a 5 s 64x36 test pattern):
  ffmpeg -f lavfi -i color=c=blue:s=64x36:d=5:r=5 -f lavfi -i sine=d=5 -i subs.srt \
         -map 0 -map 1 -map 2 -c:v libx264 -c:a aac -c:s mov_text -metadata:s:s:0 language=eng v.mp4
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path

import pytest

from halo_core import Media, MediaError, RunContext, Timeline, get_registry, probe
from halo_core.builtins.subtitles import SubtitlesExtractor, cue_segment, parse_subtitles
from halo_core.testing.extractor_contract import ExtractorContract, MakeExtractor
from halo_core.text import join_words

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "lecture"

SRT = """1
00:00:00,500 --> 00:00:02,000
Hello there, world.

2
00:00:02,500 --> 00:00:04,000
<i>Second</i> cue here.
"""


def extract(media_path: Path, **options: object) -> list:  # type: ignore[type-arg]
    media = probe(media_path)
    extractor = SubtitlesExtractor.from_options(options)
    return extractor.extract(media, Timeline(duration=media.duration), RunContext())


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("videos")
    subs = folder / "subs.srt"
    subs.write_text(SRT)
    french = folder / "fr.srt"
    french.write_text("1\n00:00:01,000 --> 00:00:03,000\nBonjour à tous.\n")
    pattern = ["-f", "lavfi", "-i", "color=c=blue:s=64x36:d=5:r=5"]
    tone = ["-f", "lavfi", "-i", "sine=d=5"]
    made = {
        "plain": folder / "plain.mp4",
        "mov_text": folder / "mov_text.mp4",
        "two_languages": folder / "two_languages.mkv",
    }
    ffmpeg(*pattern, *tone, "-c:v", "libx264", "-c:a", "aac", str(made["plain"]))
    ffmpeg(*pattern, *tone, "-i", str(subs), "-map", "0", "-map", "1", "-map", "2",
           "-c:v", "libx264", "-c:a", "aac", "-c:s", "mov_text",
           "-metadata:s:s:0", "language=eng", str(made["mov_text"]))  # fmt: skip
    ffmpeg(*pattern, "-i", str(french), "-i", str(subs), "-map", "0", "-map", "1", "-map", "2",
           "-c:v", "libx264", "-c:s", "srt", "-metadata:s:s:0", "language=fra",
           "-metadata:s:s:1", "language=eng", str(made["two_languages"]))  # fmt: skip
    return made


def test_sample_lecture_sidecar_matches_the_truth() -> None:
    segments = extract(SAMPLE / "lecture.mp4")
    truth = json.loads((SAMPLE / "truth.json").read_text())["sentences"]
    assert [s.text for s in segments] == [t["text"] for t in truth]
    for segment, sentence in zip(segments, truth, strict=True):
        assert segment.start == pytest.approx(sentence["start"], abs=0.001)
        assert segment.end == pytest.approx(sentence["end"], abs=0.001)
        words = segment.words
        assert join_words(w.text for w in words) == segment.text
        assert words[0].start == segment.start and words[-1].end == pytest.approx(segment.end)
        assert all(a.end == pytest.approx(b.start) for a, b in zip(words, words[1:], strict=False))
        longest = max(words, key=lambda w: len(w.text))
        shortest = min(words, key=lambda w: len(w.text))
        assert longest.end - longest.start > shortest.end - shortest.start


def test_webvtt_with_voices_notes_ids_and_settings(tmp_path: Path) -> None:
    vtt = tmp_path / "talk.vtt"
    vtt.write_text(
        "WEBVTT - a talk\n\nNOTE written by hand\n\nintro\n00:01.000 --> 00:03.500 align:start\n"
        "<v Ada>Welcome &amp; hello.</v>\n\n00:00:04.000 --> 00:00:06.000\n<v.loud Bob>Thanks,\n"
        "<b>Ada</b>!\n"
    )
    cues, problems = parse_subtitles(vtt.read_text())
    assert problems == []
    assert [(c.start, c.end, c.text, c.speaker) for c in cues] == [
        (1.0, 3.5, "Welcome & hello.", "Ada"),
        (4.0, 6.0, "Thanks, Ada!", "Bob"),
    ]


def test_malformed_cues_are_reported_with_their_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    video = tmp_path / "talk.mp4"
    shutil.copy(SAMPLE / "lecture.mp4", video)
    srt = tmp_path / "talk.srt"
    srt.write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nGood one.\n\n"
        "2\n00:00:03,000 -> 00:00:04,000\nArrow typo.\n\n"
        "3\n00:00:06,000 --> 00:00:05,000\nBackwards.\n\n"
        "4\n00:00:07,000 --> 00:00:08,000\n\n"
        "5\nno timing here\n\n"
        "6\n00:00:09,000 --> 00:00:10,500\nGood two.\n"
    )
    with caplog.at_level(logging.WARNING):
        segments = extract(video)
    assert [s.text for s in segments] == ["Good one.", "Good two."]
    warning = caplog.text
    assert "4 malformed subtitle cue(s) skipped" in warning
    assert f"{srt}:5: no `start --> end` timing line in '2'" in warning
    assert f"{srt}:10: cue ends (5.000 s) before it starts (6.000 s)" in warning
    assert f"{srt}:14: cue has no text" in warning
    assert f"{srt}:16: no `start --> end` timing line in '5'" in warning
    with pytest.raises(MediaError, match=r"talk\.srt:10: cue ends") as raised:
        extract(video, strict=True)
    assert "strict: false" in str(raised.value)


def test_nothing_usable_is_an_error(tmp_path: Path) -> None:
    video = tmp_path / "talk.mp4"
    shutil.copy(SAMPLE / "lecture.mp4", video)
    (tmp_path / "talk.srt").write_text("1\nbroken\n\n2\n00:00:05,000 --> 00:00:01,000\nx\n")
    with pytest.raises(MediaError, match="no usable subtitle cue") as raised:
        extract(video)
    assert "talk.srt:1:" in str(raised.value) and "talk.srt:5: cue ends" in str(raised.value)
    (tmp_path / "talk.srt").write_text("")
    with pytest.raises(MediaError, match="empty"):
        extract(video)


def test_language_preference_and_explicit_path(tmp_path: Path) -> None:
    video = tmp_path / "talk.mp4"
    shutil.copy(SAMPLE / "lecture.mp4", video)
    (tmp_path / "talk.en.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHello.\n")
    (tmp_path / "talk.fr.vtt").write_text("WEBVTT\n\n00:01.000 --> 00:02.000\nBonjour.\n")
    assert [s.text for s in extract(video)] == ["Hello."]  # alphabetical among tagged files
    french = extract(video, language="fr")
    assert [(s.text, s.language) for s in french] == [("Bonjour.", "fr")]
    other = tmp_path / "elsewhere.srt"
    other.write_bytes("1\n00:00:01,000 --> 00:00:02,000\nCaf\xe9 cr\xe8me.\n".encode("cp1252"))
    assert [s.text for s in extract(video, path=str(other))] == ["Café crème."]


def test_embedded_mov_text_stream(videos: dict[str, Path]) -> None:
    segments = extract(videos["mov_text"])
    assert [(s.start, s.end, s.text, s.language) for s in segments] == [
        (0.5, 2.0, "Hello there, world.", "eng"),
        (2.5, 4.0, "Second cue here.", "eng"),
    ]
    assert [w.text for w in segments[0].words] == [" Hello", " there,", " world."]


def test_embedded_stream_language_preference(videos: dict[str, Path]) -> None:
    assert [s.text for s in extract(videos["two_languages"])] == ["Bonjour à tous."]
    english = extract(videos["two_languages"], language="en")
    assert [s.text for s in english] == ["Hello there, world.", "Second cue here."]


def test_no_subtitles_anywhere_says_how_to_fix(videos: dict[str, Path]) -> None:
    with pytest.raises(MediaError) as raised:
        extract(videos["plain"])
    message = str(raised.value)
    assert "no subtitles" in message and "plain.srt" in message and "faster-whisper" in message


def test_registered_as_builtin() -> None:
    info = get_registry().get("extractor", "subtitles")
    assert info.cls is SubtitlesExtractor and info.cls.provides == "transcript"


AUTO_CAPTIONS = """WEBVTT
Kind: captions
Language: en

00:00:00.000 --> 00:00:02.350 align:start position:0%
 
so<00:00:00.320><c> today</c><00:00:00.640><c> we</c><00:00:00.880><c> look</c>

00:00:02.350 --> 00:00:02.360 align:start position:0%
so today we look
 

00:00:02.360 --> 00:00:04.000 align:start position:0%
so today we look
at<00:00:02.600><c> ocean</c><00:00:03.100><c> tides.</c>
"""


def test_auto_captions_use_inline_word_times_and_drop_rolled_up_lines() -> None:
    cues, problems = parse_subtitles(AUTO_CAPTIONS)
    assert problems == []
    assert [c.text for c in cues] == ["so today we look", "at ocean tides."]
    segments = [cue_segment(c) for c in cues]
    words = [(w.text, round(w.start, 3), round(w.end, 3)) for s in segments for w in s.words]
    assert words == [
        (" so", 0.0, 0.32), (" today", 0.32, 0.64), (" we", 0.64, 0.88), (" look", 0.88, 2.35),
        (" at", 2.36, 2.6), (" ocean", 2.6, 3.1), (" tides.", 3.1, 4.0),
    ]  # fmt: skip


class TestSubtitlesHonoursTheExtractorContract(ExtractorContract):
    @pytest.fixture
    def make_extractor(self) -> MakeExtractor:
        return lambda **options: SubtitlesExtractor.from_options(options)

    @pytest.fixture
    def media(self) -> Media:
        return probe(SAMPLE / "lecture.mp4")
