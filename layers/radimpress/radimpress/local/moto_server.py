"""moto in server mode, in its own process, on a free port of 127.0.0.1: the embedded AWS of ``make demo``.

moto runs as a subprocess, not in-process: its request handling then has its own interpreter and core
instead of competing for the GIL with the functions, the pollers and the local endpoint. Every boto3 client of
the demo reaches it through ``AWS_ENDPOINT_URL`` (:meth:`MotoServer.client_environment`), with fake
credentials: moto accepts any.

The subprocess is ``python -m radimpress.local.moto_server -H 127.0.0.1 -p PORT``: moto's own server entry
point (``moto.server.main``, what ``python -m moto.server`` runs) after two changes to per-request overhead
that leave every response as it was (:func:`_lighten`): the request access log is off, and the list of
moto's service packages is read from disk once instead of on every request. Together they take about a
third off moto's CPU per request, which is what bounds the demo's throughput on two cores.
``RADIMPRESS_MOTO_STOCK=1`` in the environment runs ``python -m moto.server`` unchanged instead.

::

    with moto_server() as server:
        os.environ.update(server.client_environment())
        boto3.client("s3").list_buckets()
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from radimpress.errors import ConfigurationError

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_REGION",
    "MotoServer",
    "client_environment",
    "free_port",
    "moto_server",
]

HOST = "127.0.0.1"
DEFAULT_REGION = "us-east-1"
#: moto's default account: every ARN the embedded AWS hands out carries it.
ACCOUNT_ID = "123456789012"
_READY_PATH = "/moto-api/data.json"  # moto's own API: answers as soon as the server dispatches requests
_START_ATTEMPTS = 3


def free_port(host: str = HOST) -> int:
    """A TCP port nothing listens on right now (the OS picks it); the caller binds it soon after."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def client_environment(endpoint_url: str, region: str = DEFAULT_REGION) -> dict[str, str]:
    """What boto3 needs to talk to the embedded AWS: the endpoint, fake credentials and a region."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
    }


@dataclass
class MotoServer:
    """A running moto server process."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    region: str = DEFAULT_REGION
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client_environment(self) -> dict[str, str]:
        return client_environment(self.endpoint_url, self.region)

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the server process has used, where ``/proc`` tells it; else ``None``."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited after ``timeout`` seconds. Idempotent."""
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - fixed http://127.0.0.1 URL
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def start(*, region: str = DEFAULT_REGION, log_path: Path | None = None, timeout: float = 30.0) -> MotoServer:
    """Start moto on a free port and wait until it answers. ConfigurationError if it never does.

    The port is picked free just before moto binds it; if another process takes it in between, moto exits
    and a new port is tried.
    """
    stock = os.environ.get("RADIMPRESS_MOTO_STOCK", "") not in ("", "0")
    module = "moto.server" if stock else __name__
    for _attempt in range(_START_ATTEMPTS):
        port = free_port()
        log: IO[bytes] | None = log_path.open("ab") if log_path is not None else None
        sink: IO[bytes] | int = log if log is not None else subprocess.DEVNULL
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
        process = subprocess.Popen(  # noqa: S603 - our own interpreter running moto's documented entry point
            [sys.executable, "-m", module, "-H", HOST, "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
            env=environment,
        )
        server = MotoServer(HOST, port, process, region, log)
        deadline = time.monotonic() + timeout
        while server.running() and time.monotonic() < deadline:
            if _answers(f"{server.endpoint_url}{_READY_PATH}"):
                return server
            time.sleep(0.1)
        server.stop()
    raise ConfigurationError(
        f"moto server did not start within {timeout:.0f}s after {_START_ATTEMPTS} attempts "
        "(is moto[server] installed? `pip install -e '.[dev]'`)",
        where="moto",
    )


@contextlib.contextmanager
def moto_server(
    *, region: str = DEFAULT_REGION, log_path: Path | None = None, timeout: float = 30.0
) -> Iterator[MotoServer]:
    """A moto server for the ``with`` block; stopped on exit, whatever happened inside."""
    server = start(region=region, log_path=log_path, timeout=timeout)
    try:
        yield server
    finally:
        server.stop()


def _lighten() -> None:
    """Take per-request costs out of moto's server without changing any response.

    * werkzeug's access log line (formatted and written for every request);
    * ``moto.backends.list_of_moto_modules``, which lists moto's package directory and stats each entry on
      every request to match the Host header; the directory does not change while the server runs;
    * SQS, where ``get_queue_attributes`` recomputes every attribute (a scan of the queue per approximate
      count) up to three times per requested name, and ``receive_message`` asks it for the retention
      period once per message it returns: one snapshot per call, and the retention period read directly;
    * SQS's clock (``unix_time`` from a naive ``utcnow`` minus the epoch, per message per scan): ``time.time``
      is the same number.

    Each change is skipped if what it replaces is not there (another moto or werkzeug version).
    """
    import time  # noqa: PLC0415

    from moto import backends  # noqa: PLC0415 - only in the server subprocess
    from moto.sqs import models as sqs  # noqa: PLC0415
    from werkzeug.serving import WSGIRequestHandler  # noqa: PLC0415

    listing = getattr(backends, "list_of_moto_modules", None)
    if callable(listing):
        modules = tuple(listing())
        backends.list_of_moto_modules = lambda: modules
    if hasattr(WSGIRequestHandler, "log_request"):
        WSGIRequestHandler.log_request = lambda *_args, **_kwargs: None  # type: ignore[method-assign]
    _lighten_sqs(sqs, time.time)


def _lighten_sqs(sqs: Any, now: Callable[[], float]) -> None:
    """The SQS changes of :func:`_lighten`, on moto's ``moto.sqs.models`` module."""
    backend = getattr(sqs, "SQSBackend", None)
    needed = ("get_queue_attributes", "is_message_valid_based_on_retention_period", "get_queue")
    if backend is None or not all(hasattr(backend, name) for name in needed):
        return
    if not all(callable(getattr(sqs, name, None)) for name in ("unix_time", "unix_time_millis")):
        return
    invalid_attribute = sqs.InvalidAttributeName
    stock_unix_time, stock_unix_time_millis = sqs.unix_time, sqs.unix_time_millis

    def get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
        queue = self.get_queue(queue_name)
        if not attribute_names:
            return {}
        valid = ["All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES]
        invalid = next((name for name in attribute_names if name not in valid), None)
        if invalid is not None:
            raise invalid_attribute(invalid)
        snapshot: dict[str, Any] = queue.attributes
        if "All" in attribute_names:
            return snapshot
        return {name: snapshot[name] for name in attribute_names if snapshot.get(name) is not None}

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention_seconds = self.get_queue(queue_name).message_retention_period
        return bool(retention_seconds + message.sent_timestamp / 1000 > now())

    backend.get_queue_attributes = get_queue_attributes
    backend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
    sqs.unix_time = lambda dt=None: now() if dt is None else stock_unix_time(dt)
    sqs.unix_time_millis = lambda dt=None: now() * 1000.0 if dt is None else stock_unix_time_millis(dt)


def serve(argv: list[str]) -> None:
    """moto's server entry point (same arguments as ``python -m moto.server``), lightened."""
    from moto.server import main  # noqa: PLC0415

    _lighten()
    main(argv)


if __name__ == "__main__":
    serve(sys.argv[1:])
