"""A stand-in for an API Gateway REST API with Lambda proxy integrations, on 127.0.0.1.

Each request to ``POST /<path>`` becomes the proxy event API Gateway would send (``httpMethod``, ``path``,
``resource``, headers, ``requestContext`` with the stage and source address, the body base64-encoded when
its content type is one of the API's binary media types) and the function's response becomes the HTTP
response (``statusCode``, ``headers``, ``body``, base64-decoded when ``isBase64Encoded``). A handler that
raises answers 502, as API Gateway does for a failed Lambda integration. Not stood in: TLS and mutual TLS
(the custom domain's job), the resource policy and throttling; it serves plain HTTP on loopback only.
"""

from __future__ import annotations

import base64
import fnmatch
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from radimpress.local.poller import FunctionSpec, Handler, LambdaContext, log_unhandled

__all__ = ["LocalRestApi", "Route", "proxy_event"]

_JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Route:
    """One Api event of a function: method and path, and the function behind it."""

    method: str
    path: str
    handler: Handler
    function: FunctionSpec


def _is_binary(content_type: str, binary_media_types: Sequence[str]) -> bool:
    # CloudFormation spells "/" as "~1" in BinaryMediaTypes
    media_type = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatch(media_type, t.replace("~1", "/").lower()) for t in binary_media_types)


def proxy_event(
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    stage: str,
    binary_media_types: Sequence[str],
    source_ip: str = "127.0.0.1",
) -> dict[str, Any]:
    """The Lambda proxy integration event API Gateway (REST, payload 1.0) sends for one request."""
    binary = _is_binary(headers.get("Content-Type", ""), binary_media_types)
    text = base64.b64encode(body).decode("ascii") if binary else body.decode("utf-8", "replace")
    now = datetime.now(UTC)
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": dict(headers),
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {"sourceIp": source_ip},
        },
        "body": text if body else None,
        "isBase64Encoded": binary and bool(body),
    }


class LocalRestApi:
    """Serves ``routes`` on ``http://127.0.0.1:<port>`` until :meth:`stop` (see the module docstring)."""

    def __init__(
        self, routes: Sequence[Route], *, stage: str, binary_media_types: Sequence[str] = ()
    ) -> None:
        self.routes = {(route.method.upper(), route.path): route for route in routes}
        self.stage = stage
        self.binary_media_types = tuple(binary_media_types)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the local API is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LocalRestApi:
        api = self

        class _Request(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                api.serve(self, "POST")

            def do_GET(self) -> None:
                api.serve(self, "GET")

            def log_message(self, format: str, *args: Any) -> None:
                return  # no request lines on stderr: the access log is not stood in

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Request)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        """Answer one request through its route's handler."""
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        route = self.routes.get((method, request.path.split("?", 1)[0]))
        if route is None:
            # API Gateway's answer for a method or resource that does not exist
            self._reply(
                request,
                403,
                {"Content-Type": "application/json"},
                b'{"message":"Missing Authentication Token"}',
            )
            return
        headers = dict(request.headers.items())
        event = proxy_event(
            method, route.path, headers, body, stage=self.stage, binary_media_types=self.binary_media_types
        )
        context = LambdaContext(
            function_name=route.function.name,
            memory_limit_in_mb=route.function.memory_mb,
            timeout_seconds=route.function.timeout_seconds,
            invoked_function_arn=route.function.arn,
        )
        try:
            response = route.handler(event, context)
        except Exception as exc:  # noqa: BLE001 - any handler error is API Gateway's 502
            log_unhandled(exc)
            self._reply(
                request, 502, {"Content-Type": "application/json"}, b'{"message":"Internal server error"}'
            )
            return
        payload = str(response.get("body") or "")
        data = base64.b64decode(payload) if response.get("isBase64Encoded") else payload.encode("utf-8")
        self._reply(request, int(response.get("statusCode", 200)), dict(response.get("headers") or {}), data)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, headers: Mapping[str, str], data: bytes) -> None:
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, str(value))
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
