"""The guard in front of every request: token, Host check and security headers.

- With a token (required for any address but loopback), every request must carry it: an
  `Authorization: Bearer TOKEN` header, the `halo_token` cookie, or `?token=TOKEN` once, which sets
  the cookie (HttpOnly, SameSite=Strict) and redirects to the same page without it. Compared in
  constant time.
- Without a token the server is on loopback only, and a request must name a loopback Host: a web
  page elsewhere cannot reach it by pointing a DNS name at 127.0.0.1 (DNS rebinding).
- Every response gets a Content-Security-Policy allowing only this server's own scripts, styles,
  media and fetches (no inline script, no third party), and no framing, sniffing or referrer.
"""

from __future__ import annotations

import hmac
import ipaddress
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "halo_token"
MIN_TOKEN_LENGTH = 16

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(value: str) -> str:
    """The name part of a Host header (`[::1]:8765` -> `[::1]`, `localhost:80` -> `localhost`)."""
    if value.startswith("["):
        return value[: value.find("]") + 1]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """ASGI middleware; `token` None means loopback only (see the module docstring)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token.encode() if token is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # no websockets here: refused before anything else sees them
            await send({"type": "websocket.close", "code": 1008})
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        if self.token is None:
            if _host_name(headers.get("host", "")).lower() not in LOOPBACK_NAMES:
                await _plain(send_with_headers, 400, "halo serve answers on loopback names only")
                return
            await self.app(scope, receive, send_with_headers)
            return

        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        from_query = next((v for k, v in query if k == "token"), None)
        if from_query is not None:
            if not self._valid(from_query):
                await _plain(send_with_headers, 401, "wrong token")
                return
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            location = scope["path"] + (f"?{rest}" if rest else "")
            cookie = f"{COOKIE}={from_query}; HttpOnly; SameSite=Strict; Path=/"
            headers_out = [("location", location), ("set-cookie", cookie)]
            await _plain(send_with_headers, 303, "", headers_out)
            return
        if not self._valid(_presented(headers)):
            await _plain(
                send_with_headers, 401, "this server needs its token: open it once as /?token=TOKEN"
            )
            return
        await self.app(scope, receive, send_with_headers)

    def _valid(self, presented: str | None) -> bool:
        assert self.token is not None
        return presented is not None and hmac.compare_digest(presented.encode(), self.token)


def _presented(headers: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[len("bearer ") :].strip()
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is the same as none
        return None
    morsel = cookie.get(COOKIE)
    return morsel.value if morsel is not None else None


async def _plain(
    send: Any, status: int, text: str, extra: list[tuple[str, str]] | None = None
) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", b"no-store")]
    headers += [(k.encode(), v.encode("latin-1")) for k, v in extra or []]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text.encode()})
