"""A small real HTTP server speaking the INDIGO deployments contract, for CLI tests.

It serves realistic payloads (field names, status strings, time format, paging
links and error shape from ``shared/reference/indigo-api.md``) from in-memory
state, and advances each deployment along a scripted list of statuses one step
per GET, so tests can drive the CLI's waiting and paging without a real engine.
"""

from __future__ import annotations

import json
import threading
import uuid as uuidlib
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeDeployment:
    data: dict[str, Any]
    # Revealed one per GET: a status, or a dict of fields that change (task, statusReason).
    statuses: list[str | dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    log_chunks: list[str] = field(default_factory=list)  # one more shown per /log GET
    log_shown: int = 0
    template: str = ""
    gone_after_delete: int | None = None  # GETs after DELETE before 404


class IndigoState:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.deployments: dict[str, FakeDeployment] = {}
        self.order: list[str] = []  # oldest first
        self.requests: list[Recorded] = []
        self.create_script: list[str | dict[str, Any]] = ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
        self.keys: list[dict[str, Any]] | None = None  # /users/me/keys; None: not served
        self.create_outputs: dict[str, Any] = {}
        self.create_reason: str | None = None
        self.create_error: str | None = None  # POST answers 400 with this message
        self.lock = threading.Lock()

    def add(
        self,
        status: str = "CREATE_COMPLETE",
        statuses: list[str | dict[str, Any]] | None = None,
        outputs: dict[str, Any] | None = None,
        **extra: Any,
    ) -> FakeDeployment:
        uid = str(uuidlib.uuid4())
        data = {
            "uuid": uid,
            "creationTime": f"2026-11-25T10:{len(self.order) % 60:02d}+0000",
            "updateTime": f"2026-11-25T10:{len(self.order) % 60:02d}+0000",
            "status": status,
            "task": "NONE",
            "outputs": outputs or {},
            "cloudProviderName": "local",
            "createdBy": {"issuer": "https://iam.example.org/", "subject": "alice"},
            "links": [
                {"rel": "self", "href": f"{self.base_url}/deployments/{uid}"},
                {"rel": "resources", "href": f"{self.base_url}/deployments/{uid}/resources"},
                {"rel": "template", "href": f"{self.base_url}/deployments/{uid}/template"},
            ],
            **extra,
        }
        dep = FakeDeployment(data=data, statuses=list(statuses or []))
        self.deployments[uid] = dep
        self.order.append(uid)
        return dep

    def page(self, path: str, items: list[dict], query: dict[str, list[str]]) -> dict:
        size = int(query.get("size", ["10"])[0])
        number = int(query.get("page", ["0"])[0])
        total = len(items)
        pages = max(1, -(-total // size))

        def link(rel: str, n: int) -> dict[str, str]:
            return {"rel": rel, "href": f"{self.base_url}{path}?page={n}&size={size}"}

        links = [link("first", 0)]
        if number > 0:
            links.append(link("prev", number - 1))
        links.append(link("self", number))
        if number < pages - 1:
            links.append(link("next", number + 1))
        links.append(link("last", pages - 1))
        return {
            "links": links,
            "content": items[number * size : (number + 1) * size],
            "page": {"size": size, "totalElements": total, "totalPages": pages, "number": number},
        }


def _error(code: int, message: str) -> tuple[int, dict]:
    return code, {"code": code, "title": HTTPStatus(code).phrase, "message": message}


class Handler(BaseHTTPRequestHandler):
    server: ThreadingHTTPServer
    state: IndigoState

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, code: int, body: Any, content_type: str = "application/json") -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        if isinstance(body, str):
            raw = body.encode()
        self.send_response(code)
        if code != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if code != 204:
            self.wfile.write(raw)

    def _handle(self, method: str) -> None:
        state = self.state
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        with state.lock:
            state.requests.append(
                Recorded(method, url.path, query, dict(self.headers.items()), body)
            )
            result = self._route(method, url.path.rstrip("/"), query, body)
        self._send(*result)

    def _route(self, method: str, path: str, query: dict, body: Any) -> tuple:
        state = self.state
        parts = path.strip("/").split("/")
        if path == "/broken":
            return 502, b"<html>Bad Gateway</html>", "text/html"
        if parts == ["users", "me", "keys"] and state.keys is not None:
            return 200, {"content": state.keys}
        if parts[0] != "deployments":
            return _error(404, f"No handler for {path}")
        if len(parts) == 1:
            if method == "POST" and state.create_error:
                return _error(400, state.create_error)
            if method == "POST":
                dep = state.add(
                    status="CREATE_IN_PROGRESS",
                    statuses=list(state.create_script),
                    outputs=dict(state.create_outputs),
                )
                dep.template = body["template"]
                if state.create_reason:
                    dep.data["statusReason"] = state.create_reason
                return 201, dep.data
            items = [state.deployments[u].data for u in reversed(state.order)]
            return 200, state.page("/deployments", items, query)
        dep = state.deployments.get(parts[1])
        if dep is None:
            return _error(404, f"The deployment <{parts[1]}> doesn't exist")
        if len(parts) == 2 and method == "GET":
            if dep.gone_after_delete is not None:
                if dep.gone_after_delete == 0:
                    return _error(404, f"The deployment <{parts[1]}> doesn't exist")
                dep.gone_after_delete -= 1
            elif dep.statuses:
                step = dep.statuses.pop(0)
                dep.data.update(step if isinstance(step, dict) else {"status": step})
            return 200, dep.data
        if len(parts) == 2 and method == "DELETE":
            if dep.data["status"] == "DELETE_IN_PROGRESS":
                return _error(409, "Deployment already in DELETE_IN_PROGRESS state.")
            dep.data["status"] = "DELETE_IN_PROGRESS"
            if not dep.statuses:
                dep.gone_after_delete = 2
            return 204, b""
        if parts[2:] == ["template"]:
            return 200, dep.template, "text/plain"
        if parts[2:] == ["log"]:
            dep.log_shown = min(dep.log_shown + 1, len(dep.log_chunks))
            return 200, "".join(dep.log_chunks[: dep.log_shown]), "text/plain"
        if parts[2:] == ["resources"]:
            return 200, state.page(path, dep.resources, query)
        return _error(404, f"No handler for {path}")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


def start() -> tuple[ThreadingHTTPServer, IndigoState]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = IndigoState(f"http://127.0.0.1:{httpd.server_address[1]}")
    handler = type("BoundHandler", (Handler,), {"state": state})
    httpd.RequestHandlerClass = handler
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    return httpd, state
