"""The web app: pages, JSON API and media over a `Library`.

Routes (every one behind `security.Guard`):

- `GET /`: the videos, with duration, speakers, topics, chunk count, LLM cost; runs in progress
  with their stages; an ask box across videos.
- `GET /v/<id>`: player, chapter bar, transcript, slides, notes, ask box.
- `GET /media/<id>`: the run's input file, with HTTP Range (206); nothing else on disk.
- `GET /api/videos`: `[video summary]`.
- `GET /api/videos/<id>`: the summary with `chunks`, `summaries`, `timeline`, `answers` (the
  shapes of the run's files).
- `POST /api/ask`: `{"question", "session"?, "video"?}` -> the `halo ask --json` object, plus
  `"video"`.
- `POST /api/search`: `{"question", "session"?}` -> `{"question", "session", "answers": [one ask
  object per finished video, with its `match`, best first]}`.

`video` may be left out of /api/ask when the library holds one video. Errors are JSON
`{"error": message}` with 400 (bad request, or the core's HaloError), 404 (unknown video) or 409
(the run has not finished).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from halo_core import HaloError, clock

from . import views
from .answering import Answering
from .library import Library, Video
from .loader import read_run
from .security import Guard

log = logging.getLogger("halo.serve")

HERE = Path(__file__).parent
MAX_BODY = 16_384
"""Bytes an ask request may carry (a question, not a document)."""


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every value from a run (transcript, slides, answers) is text, not HTML
        undefined=jinja2.StrictUndefined,
    )
    env.filters["clock"] = clock
    env.filters["speaker"] = views.speaker_name
    env.filters["answer_text"] = views.answer_text
    return env


def create_app(
    library: Library, token: str | None = None, on_start: Callable[[], None] | None = None
) -> Guard:
    """The ASGI app serving `library`; `token` None means loopback only (see security.py).
    `on_start` is called once the server has started (its signal handlers are in place)."""
    templates = _templates()
    answering = Answering()

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})

    def video_or_404(video_id: str) -> Video:
        video = library.find(video_id)
        if video is None:
            raise ApiError(404, f"no video {video_id!r} here")
        return video

    async def index(request: Request) -> Response:
        entries = [views.video_summary(v, read_run(v.folder)) for v in library.videos()]
        return page("library.html", videos=entries)

    async def video_page(request: Request) -> Response:
        video = library.find(request.path_params["video_id"])
        if video is None:
            return page("missing.html", status=404)
        files = read_run(video.folder)
        return page(
            "video.html",
            video=views.video_summary(video, files),
            chapters=views.chapters(files),
            transcript=views.transcript(files),
            slides=views.slides(files),
            summaries=files.summaries,
            answers=files.answers,
        )

    async def media(request: Request) -> Response:
        video = library.find(request.path_params["video_id"])
        if video is not None:
            files = read_run(video.folder)
            info = views.media_info(video, files)  # only the input the run recorded, if still there
            if info is not None and files.media is not None:
                return FileResponse(files.media.path, media_type=info["type"])
        return Response("not found", status_code=404, media_type="text/plain")

    async def api_videos(request: Request) -> Response:
        return _json([views.video_summary(v, read_run(v.folder)) for v in library.videos()])

    async def api_video(request: Request) -> Response:
        video = video_or_404(request.path_params["video_id"])
        return _json(views.video_detail(video, read_run(video.folder)))

    async def api_ask(request: Request) -> Response:
        body = await _body(request)
        question, session = _question(body)
        video_id = body.get("video")
        if video_id is None:
            videos = library.videos()
            if len(videos) != 1:
                raise ApiError(400, 'name the video: {"video": ID} (see GET /api/videos)')
            video = videos[0]
        elif isinstance(video_id, str):
            video = video_or_404(video_id)
        else:
            raise ApiError(400, '"video" must be a string')
        if not read_run(video.folder).finished:
            raise ApiError(409, f"the run of {video.id!r} has not finished; ask when it has")
        return _json(await _ask(answering, video, question, session))

    async def api_search(request: Request) -> Response:
        question, session = _question(await _body(request))
        answers = [
            await _ask(answering, video, question, session)
            for video in library.videos()
            if read_run(video.folder).finished
        ]
        ranked = views.ranked(question, answers)
        return _json({"question": question, "session": session, "answers": ranked})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        answering.warm([v.folder for v in library.videos() if read_run(v.folder).finished])
        if on_start is not None:
            on_start()
        try:
            yield
        finally:
            answering.close()

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _json({"error": exc.message}, status=exc.status)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/v/{video_id}", video_page),
            Route("/media/{video_id}", media),
            Route("/api/videos", api_videos),
            Route("/api/videos/{video_id}", api_video),
            Route("/api/ask", api_ask, methods=["POST"]),
            Route("/api/search", api_search, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={ApiError: api_error},
        lifespan=lifespan,
    )
    return Guard(app, token)


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers={"cache-control": "no-store"})


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object of a POST; a form or a cross-site request without JSON is refused."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError(400, "send JSON (Content-Type: application/json)")
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ApiError(400, f"the request is larger than {MAX_BODY} bytes")
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, 'send a JSON object: {"question": "..."}')
    return body


def _question(body: dict[str, Any]) -> tuple[str, str | None]:
    question, session = body.get("question"), body.get("session")
    if not isinstance(question, str):
        raise ApiError(400, '"question" must be a string')
    if session is not None and not isinstance(session, str):
        raise ApiError(400, '"session" must be a string')
    return question, session  # the core says what is wrong with an empty one or a bad name


async def _ask(
    answering: Answering, video: Video, question: str, session: str | None
) -> dict[str, Any]:
    try:
        data = await answering.ask(video.folder, question, session)
    except HaloError as exc:
        raise ApiError(400, exc.message) from None
    return {**data, "video": video.id}
