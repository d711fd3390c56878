"""What the backend sends (as the fake server received it) and what it reports back."""

from __future__ import annotations

import math

import pytest
from conftest import TODAY
from halo_gemini.fake_server import FakeGemini

from halo_core import LLMRequest, TokenCounts, cost_usd, price_table


def parts_of(body: dict) -> list[dict]:
    return [p for c in body["contents"] for p in c["parts"]]


def test_transcript_mode_sends_text_with_speaker_and_scene_context(
    fake: FakeGemini, make_backend, lecture, clip
) -> None:
    backend = make_backend(mode="transcript", thinking_budget=0)
    request = LLMRequest(
        task="summarize",
        prompt="Summarize this part.",
        system="Be brief.",
        context="Today we talk about caches. They make repeated reads cheap.",
        clips=[clip(lecture, 30.0, 75.5)],
        options={"speakers": ["A", "B"], "scene_cuts": [42.0, 61.0]},
    )
    answer = backend.generate(request)

    body = fake.calls("generateContent")[0].body
    texts = [p["text"] for p in parts_of(body)]
    assert not any("fileData" in p for p in parts_of(body))
    assert "Time span: [00:30\u201301:15]" in texts[0] and "Speakers: A, B" in texts[0]
    assert "Scene changes at: 00:42, 01:01" in texts[0] and "caches" in texts[0]
    assert texts[-1] == "Summarize this part."
    assert body["systemInstruction"]["parts"][0]["text"] == "Be brief."
    assert body["generationConfig"]["maxOutputTokens"] == 2048
    assert "mediaResolution" not in body["generationConfig"]
    assert body["generationConfig"]["thinkingConfig"] == {"thinking_budget": 0}
    assert fake.calls("countTokens"), "the prompt is counted before it is sent"

    served = fake.ledger[-1]
    assert (answer.usage.input_tokens, answer.usage.output_tokens) == (
        served.prompt,
        served.candidates,
    )
    assert answer.usage.thoughts_tokens == 0 and answer.model == "gemini-2.5-flash"
    assert answer.cost_usd == pytest.approx((served.prompt * 0.30 + served.candidates * 2.50) / 1e6)
    assert answer.text.startswith("Title:")


def test_video_mode_uploads_once_and_sends_clip_offsets(
    fake: FakeGemini, make_backend, lecture, clip
) -> None:
    backend = make_backend(mode="video", fps=2.0, media_resolution="low", max_concurrency=2)
    requests = [
        LLMRequest(
            task="summarize",
            prompt="Summarize.",
            context=f"part {i}",
            clips=[clip(lecture, start, end)],
        )
        for i, (start, end) in enumerate([(0.0, 30.0), (30.0, 62.5), (62.5, 148.8)])
    ]
    answers = backend.generate_many(requests)

    assert len(fake.calls("upload")) == 2, "one resumable upload: start + upload/finalize"
    assert backend.files.uploads == 1
    bodies = sorted(
        (c.body for c in fake.calls("generateContent")),
        key=lambda b: float(parts_of(b)[0]["videoMetadata"]["start_offset"][:-1]),
    )
    offsets = [
        (
            parts_of(b)[0]["videoMetadata"]["start_offset"],
            parts_of(b)[0]["videoMetadata"]["end_offset"],
        )
        for b in bodies
    ]
    assert offsets == [("0s", "30s"), ("30s", "62.5s"), ("62.5s", "148.8s")]
    for body in bodies:
        video = parts_of(body)[0]
        assert video["videoMetadata"]["fps"] == 2.0
        assert video["fileData"]["file_uri"].endswith(next(iter(fake.files)).removeprefix("files"))
        assert body["generationConfig"]["mediaResolution"] == "MEDIA_RESOLUTION_LOW"
    # 30 s at 2 fps and low resolution: 60 frames x 66 + 30 s x 32 audio, plus the text parts.
    first = next(a for a, r in zip(answers, requests) if r.clips[0].start == 0.0)
    text_tokens = first.usage.input_tokens - (60 * 66 + 30 * 32)
    assert 0 < text_tokens < 20
    assert [a.text for a in answers] and all(a.model == "gemini-2.5-flash" for a in answers)


def test_upload_is_reused_across_runs_through_the_state_file(
    fake: FakeGemini, make_backend, lecture, clip
) -> None:
    request = LLMRequest(task="summarize", prompt="S.", clips=[clip(lecture, 0, 10)])
    make_backend(mode="video").generate(request)
    fresh = make_backend(mode="video")  # a new process would build a new backend like this
    fresh.generate(request)
    assert fresh.files.uploads == 0
    assert len(fake.calls("upload")) == 2 and len(fake.files) == 1


def test_audio_tokens_are_priced_at_the_audio_rate(
    fake: FakeGemini, make_backend, lecture, clip
) -> None:
    answer = make_backend(mode="video").generate(
        LLMRequest(task="summarize", prompt="S.", clips=[clip(lecture, 0, 20)])
    )
    served = fake.ledger[-1]
    assert served.video == 20 * 258 and served.audio == 20 * 32
    expected = (
        (served.prompt - served.audio) * 0.30
        + served.audio * 1.00
        + (served.candidates + served.thoughts) * 2.50
    ) / 1e6
    assert answer.cost_usd == pytest.approx(expected)


def test_top_level_and_large_requests_escalate_to_the_pro_model(
    fake: FakeGemini, make_backend, lecture, clip
) -> None:
    backend = make_backend(mode="video", escalate_above_tokens=10_000, thinking_budget=0)
    top = backend.generate(
        LLMRequest(
            task="summarize", prompt="Whole video.", context="sections", options={"level": "video"}
        )
    )
    small = backend.generate(
        LLMRequest(task="summarize", prompt="S.", clips=[clip(lecture, 0, 10)])
    )
    large = backend.generate(
        LLMRequest(task="summarize", prompt="S.", clips=[clip(lecture, 0, 60)])
    )
    assert (top.model, small.model, large.model) == (
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemini-2.5-pro",
    )
    paths = [c.path for c in fake.calls("generateContent")]
    assert "gemini-2.5-pro:generateContent" in paths[0] and "flash:generateContent" in paths[1]
    configs = [c.body["generationConfig"] for c in fake.calls("generateContent")]
    assert "thinkingConfig" not in configs[0], "Pro cannot turn thinking off: keep its default"
    assert configs[1]["thinkingConfig"] == {"thinking_budget": 0}
    served = fake.ledger[-1]
    assert large.cost_usd == pytest.approx(
        (served.prompt * 1.25 + (served.candidates + served.thoughts) * 10.0) / 1e6
    )


def test_repeated_video_context_is_cached_explicitly(
    fake: FakeGemini, make_backend, lecture, clip
) -> None:
    backend = make_backend(mode="video", cache_ttl_s=600)
    whole = clip(lecture, 0, lecture.duration)
    answers = [
        backend.generate(
            LLMRequest(task="answer", prompt=f"Question {i}?", system="Cite times.", clips=[whole])
        )
        for i in range(3)
    ]

    creates = [c for c in fake.calls("cachedContents") if c.method == "POST"]
    assert len(creates) == 1, "created once, on the second use (cache_min_uses=2)"
    assert creates[0].body["ttl"] == "600s"
    assert creates[0].body["systemInstruction"]["parts"][0]["text"] == "Cite times."
    name = next(iter(fake.caches))
    bodies = [c.body for c in fake.calls("generateContent")]
    assert "cachedContent" not in bodies[0]
    assert [b.get("cachedContent") for b in bodies[1:]] == [name, name]
    assert all(parts_of(b) == [{"text": f"Question {i + 1}?"}] for i, b in enumerate(bodies[1:]))
    assert all("systemInstruction" not in b for b in bodies[1:])

    cached = fake.caches[name]["tokens"]
    cached_tokens = sum(cached.values())
    third = fake.ledger[-1]
    assert answers[2].usage.cached_tokens == third.cached == cached_tokens
    price = price_table().price("gemini-2.5-flash", TODAY)
    assert price is not None
    counts = TokenCounts(
        prompt=third.prompt,
        output=third.candidates,
        cached=third.cached,
        thoughts=third.thoughts,
        audio_prompt=third.audio,
        audio_cached=cached["AUDIO"],
    )
    assert answers[2].cost_usd == pytest.approx(cost_usd(price, counts))
    assert answers[2].cost_usd < answers[0].cost_usd / 3
    storage = cached_tokens * 1.00 * (600 / 3600) / 1e6
    assert answers[1].cost_usd > storage, "the creating call carries creation and storage cost"


def test_small_contexts_are_not_cached(fake: FakeGemini, make_backend) -> None:
    backend = make_backend()
    for _ in range(3):
        backend.generate(LLMRequest(task="answer", prompt="Q?", context="short context"))
    assert not fake.calls("cachedContents")


def test_batch_option_sends_the_map_phase_through_the_batch_api(
    fake: FakeGemini, make_backend
) -> None:
    requests = [
        LLMRequest(
            task="summarize",
            prompt="Summarize.",
            context=f"Part {i} explains an idea in one long sentence about caching.",
        )
        for i in range(4)
    ]
    backend = make_backend(batch=True)
    assert backend.prefers_batch and not make_backend().prefers_batch
    batched = backend.generate_many(requests)
    creates = [c for c in fake.calls("batches") if c.method == "POST"]
    assert len(creates) == 1 and not fake.calls("generateContent")
    inlined = creates[0].body["batch"]["inputConfig"]["requests"]["requests"]
    assert [r["metadata"]["key"] for r in inlined] == ["0", "1", "2", "3"]
    assert [a.text.split("\n")[1][:6] for a in batched] == ["Part 0", "Part 1", "Part 2", "Part 3"]

    interactive = make_backend(batch=False).generate_many(requests)
    for cheap, full in zip(batched, interactive):
        assert cheap.usage == full.usage
        assert cheap.cost_usd == pytest.approx(full.cost_usd / 2)


def test_count_tokens_follows_the_published_2_5_video_rates(make_backend, lecture, clip) -> None:
    backend = make_backend(mode="video")
    request = LLMRequest(task="answer", prompt="", clips=[clip(lecture, 10, 40)])
    assert backend.count_tokens(request) == 30 * 258 + 30 * 32 + math.ceil(
        len("Time span: [00:10\u201300:40]") / 4
    )
