"""`convnet serve`: the interactive browser app (draw a digit, watch the network; step a convolution)."""

from __future__ import annotations

import errno
import socket

import click

from . import UserError, friendly, main

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on (host, port), or a UserError that says why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise UserError(f"--host {host!r} is not an address this machine can listen on ({e})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as e:
        sock.close()
        hint = "another program is using it: pick another with --port" if e.errno == errno.EADDRINUSE else str(e)
        raise UserError(f"cannot listen on {host}:{port}: {hint}") from None
    sock.listen(128)
    return sock


WILDCARDS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1", "[::]": "::1"}


def browser_address(host: str, port: int) -> str:
    """The address to open in a browser on this machine: a wildcard host (0.0.0.0, ::) is not one.

    >>> browser_address("0.0.0.0", 8000), browser_address("::", 8000), browser_address("::1", 80)
    ('http://127.0.0.1:8000/', 'http://[::1]:8000/', 'http://[::1]:80/')
    """
    shown = WILDCARDS.get(host, host)
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"


@main.command()
@click.option("--checkpoint", "-c", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A checkpoint from `convnet train` (default: your newest finished MNIST run under ./runs/, "
                   "else a model trained once with the default recipe and cached).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; 0.0.0.0 makes the app reachable from other machines.")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port to listen on (0: any free port).")
@friendly
def serve(checkpoint: str | None, host: str, port: int) -> None:
    """Open the interactive app in a browser: draw a digit and watch the network think,
    or step a kernel through a convolution.

    Without --checkpoint it shows your latest `convnet train` result (the newest finished MNIST
    run in ./runs/*/), or else a model trained once with the default recipe (about a minute and a
    half) and kept in the user cache; it says which.

    \b
    convnet serve                                   your latest MNIST run, or the cached model
    convnet serve -c runs/mnist-bn-mnist/best.safetensors
    Then open http://127.0.0.1:8000/ (the API is described at /docs).
    """
    try:
        import uvicorn

        from ..web import create_app
    except ImportError as e:
        raise UserError(f"convnet serve needs FastAPI and uvicorn ({e.name} is missing): "
                        "pip install 'convnet[web]'") from None
    sock = bind(host, port)
    try:
        app = create_app(checkpoint=checkpoint, log=click.echo)
        port = sock.getsockname()[1]
        click.secho(f"convnet serve: open {browser_address(host, port)} in a browser (Ctrl-C stops it)", bold=True)
        if host not in LOOPBACK:
            where = ("every network interface of this machine" if host in WILDCARDS else host)
            click.secho(f"Note: listening on {where}, other machines can reach this app too (at "
                        f"http://{socket.gethostname()}:{port}/ or this machine's address).", dim=True, err=True)
        try:
            uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
        except KeyboardInterrupt:      # uvicorn shuts down gracefully, then passes Ctrl-C on
            pass
        click.echo("convnet serve: stopped.")
    finally:
        sock.close()
