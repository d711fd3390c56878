"""halo-serve's hook: the `halo serve PATH` command."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import click

from halo_core import HaloError, hookimpl

_TOKEN = re.compile(r"^[A-Za-z0-9._~-]+$")


@hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(serve)


@click.command("serve")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option(
    "--token",
    envvar="HALO_SERVE_TOKEN",
    default=None,
    help="Secret every request must carry (required to listen beyond loopback); "
    "or set HALO_SERVE_TOKEN.",
)
def serve(path: Path, host: str, port: int, token: str | None) -> None:
    """Watch, read and ask about the runs in PATH in a browser.

    PATH is a run folder (runs/lecture/lecture), a folder of them (runs/, runs/lecture/), or a
    library (`halo library add LIB ...`).
    New runs and runs still in progress show up without a restart.
    """
    import uvicorn

    from .app import create_app
    from .library import library_at
    from .security import MIN_TOKEN_LENGTH, is_loopback

    if token is not None and (len(token) < MIN_TOKEN_LENGTH or not _TOKEN.match(token)):
        raise HaloError(
            "the token is too short or has characters a cookie cannot carry",
            where="--token / HALO_SERVE_TOKEN",
            fix=f"use at least {MIN_TOKEN_LENGTH} letters, digits or ._~- "
            '(e.g. python -c "import secrets; print(secrets.token_urlsafe(24))")',
        )
    if token is None and not is_loopback(host):
        raise HaloError(
            f"listening on {host} would show your runs to the network without a token",
            where="--host",
            fix="pass --token TOKEN (or set HALO_SERVE_TOKEN), or keep the default 127.0.0.1",
        )
    library = library_at(path)
    # Listen first, so the address announced (the real port with --port 0) accepts connections;
    # announce once uvicorn has started, so Ctrl-C from then on always stops it cleanly.
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as exc:
        raise HaloError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            where="--host / --port",
            fix="pick another --port (0 takes any free one), or stop what listens there",
        ) from None
    listener.listen(128)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{listener.getsockname()[1]}/"

    def announce() -> None:
        count = len(library.videos())
        click.echo(
            f"halo serve: {url} ({count} video{'s' if count != 1 else ''} in {path}"
            + ("; open it once with ?token=TOKEN" if token else "")
            + "; Ctrl-C stops)",
            err=True,
        )

    config = uvicorn.Config(
        create_app(library, token, on_start=announce),
        log_level="warning",
        access_log=False,  # request lines would carry ?token= into the log
        server_header=False,
    )
    uvicorn.Server(config).run(sockets=[listener])
