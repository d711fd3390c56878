"""The contract every LLM backend honours, as a test suite to subclass.

Override the `make_backend` fixture: a factory `make(**options)` building a backend that can answer
(for a hosted API: pointed at a fake server on 127.0.0.1, with a test key). The suite sends it
`summarize` and `answer` requests over a short context, the two tasks the core asks for.

    from halo_core.testing.llm_contract import LLMBackendContract

    class TestMyBackend(LLMBackendContract):
        @pytest.fixture
        def make_backend(self, fake_server):
            def make(**options):
                return MyBackend.from_options({"base_url": fake_server.url, **options})
            return make
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from ..components import ComponentConfig, LLMBackend
from ..model import LLMRequest, LLMResponse

MakeBackend = Callable[..., LLMBackend[Any]]

CONTEXT = (
    "The Moon's gravity pulls on the oceans and raises two bulges of water. "
    "As the Earth turns, a coast passes through both bulges, so most places see two high tides "
    "a day. When the Sun and the Moon line up, their pulls add and the tides are strongest."
)
SUMMARIZE = LLMRequest(
    task="summarize",
    system="Summarize the transcript excerpt faithfully.",
    prompt="Summarize this part of a lecture.",
    context=CONTEXT,
    max_output_tokens=200,
)
ANSWER = LLMRequest(
    task="answer",
    system="Answer only from the context.",
    prompt="Why do most places see two high tides a day?",
    context=CONTEXT,
    max_output_tokens=200,
)


class LLMBackendContract:
    @pytest.fixture
    def make_backend(self) -> MakeBackend:
        raise NotImplementedError("override the make_backend fixture in your test class")

    @pytest.fixture
    def backend(self, make_backend: MakeBackend) -> LLMBackend[Any]:
        return make_backend()

    def test_declares_its_name_model_and_concurrency(self, backend: LLMBackend[Any]) -> None:
        assert isinstance(backend.name, str) and backend.name
        assert isinstance(backend.version, str) and backend.version
        assert isinstance(backend.model, str) and backend.model
        assert isinstance(backend.max_concurrency, int) and backend.max_concurrency >= 1
        assert isinstance(backend.accepts_clips, bool)
        assert isinstance(backend.prefers_batch, bool)
        assert issubclass(backend.Config, ComponentConfig)

    def test_unknown_options_are_rejected(self, make_backend: MakeBackend) -> None:
        with pytest.raises(ValidationError):
            make_backend(no_such_option=1)

    def test_check_passes_where_its_tests_run(self, backend: LLMBackend[Any]) -> None:
        assert backend.check() == []

    def test_identity_is_json_and_names_the_component(
        self, backend: LLMBackend[Any], make_backend: MakeBackend
    ) -> None:
        identity = json.loads(json.dumps(backend.identity()))
        assert identity == make_backend().identity()
        assert (identity["name"], identity["version"]) == (backend.name, backend.version)

    @pytest.mark.parametrize("request_", [SUMMARIZE, ANSWER], ids=["summarize", "answer"])
    def test_generate_answers_with_measured_usage(
        self, backend: LLMBackend[Any], request_: LLMRequest
    ) -> None:
        response = backend.generate(request_)
        assert isinstance(response, LLMResponse)
        assert response.text.strip()
        assert response.model
        assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
        assert 0 <= response.usage.cached_tokens <= response.usage.input_tokens
        assert response.cost_usd >= 0
        assert response.cache_tier is None, "a backend answers for real; the gateway caches"

    def test_count_tokens_grows_with_the_request(self, backend: LLMBackend[Any]) -> None:
        short = backend.count_tokens(ANSWER)
        longer = backend.count_tokens(ANSWER.model_copy(update={"context": CONTEXT * 4}))
        assert isinstance(short, int) and 0 < short < longer

    def test_generate_many_answers_each_request_in_order(
        self, backend: LLMBackend[Any]
    ) -> None:
        requests = [SUMMARIZE, ANSWER, SUMMARIZE.model_copy(update={"context": CONTEXT[:120]})]
        responses = backend.generate_many(requests)
        assert len(responses) == len(requests)
        assert all(isinstance(r, LLMResponse) and r.text.strip() for r in responses)
        # The third request's context is the first's opening sentence: its reply cannot be longer
        # in input tokens than the first's, which a shuffled order would break.
        assert responses[2].usage.input_tokens < responses[0].usage.input_tokens
