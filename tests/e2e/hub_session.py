"""A JupyterHub user's session, as the end-to-end tests drive it: the login form,
the user's server, a cell run over the kernel's websocket, notebooks saved and read;
and the hub's node stopped and started through cumulo's API (``node_action``).

The websocket client is a minimal RFC 6455 one (text frames, masking, ping,
fragments): the test environment has no websocket library, and the kernel
protocol needs nothing more.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import struct
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from e2e_helpers import auth

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocket:
    """One client websocket over a plain TCP connection."""

    def __init__(self, url: str, headers: dict[str, str], timeout: float = 30) -> None:
        u = urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {u.path}{'?' + u.query if u.query else ''} HTTP/1.1",
                 f"Host: {u.hostname}:{u.port}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
                 *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket: closed during the handshake")
            head += chunk
        head, self.buffer = head.split(b"\r\n\r\n", 1)
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise ConnectionError(f"websocket: refused: {head.decode(errors='replace')}")
        accept = base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest())
        if accept not in head:
            raise ConnectionError("websocket: wrong Sec-WebSocket-Accept")

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("websocket: connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _send(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send_text(self, text: str) -> None:
        self._send(0x1, text.encode())

    def recv_text(self) -> str:
        message = b""
        while True:
            first, second = self._read(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else b""
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("websocket: closed by the server")
            if opcode == 0x9:
                self._send(0xA, payload)
                continue
            if opcode in (0x0, 0x1, 0x2):
                message += payload
                if first & 0x80:
                    return message.decode()

    def close(self) -> None:
        try:
            self._send(0x8, b"")
        finally:
            self.sock.close()


class HubSession:
    """A browser-like client of one hub user: cookies, the form login, an API token."""

    def __init__(self, endpoint: str, user: str) -> None:
        self.base = endpoint.rstrip("/")
        self.user = user
        self.http = httpx.Client(base_url=self.base, timeout=30)
        self.token = ""

    def close(self) -> None:
        self.http.close()

    def login(self, password: str) -> bool:
        """The login form, as a browser posts it; True when the hub lets the user in."""
        self.http.get("/hub/login")
        xsrf = self.http.cookies.get("_xsrf", path="/hub/") or ""
        form = {"username": self.user, "password": password, "_xsrf": xsrf}
        r = self.http.post("/hub/login", data=form)
        if r.status_code != 302:
            return False
        # the session cookie is now the user's; an API call with it needs the xsrf token
        r = self.http.get("/hub/home")
        xsrf = self.http.cookies.get("_xsrf", path="/hub/") or xsrf
        r = self.http.post(f"/hub/api/users/{self.user}/tokens", json={"note": "e2e"},
                           headers={"X-XSRFToken": xsrf})  # fmt: skip
        assert r.status_code == 201, r.text
        self.token = r.json()["token"]
        return True

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def start_server(self, timeout: float = 90) -> None:
        """Spawn the user's notebook server and wait until the hub says it is ready."""
        r = self.http.post(f"/hub/api/users/{self.user}/server", headers=self._auth)
        assert r.status_code in (201, 202, 400), r.text  # 400: already running
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            me = self.http.get(f"/hub/api/users/{self.user}", headers=self._auth).json()
            if (me.get("servers") or {}).get("", {}).get("ready"):
                return
            time.sleep(0.2)
        raise AssertionError(f"the server of {self.user} was not ready in {timeout} s: {me}")

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to the user's Jupyter server REST API (``path`` after ``/api``)."""
        url = f"/user/{self.user}/api{path}"
        return self.http.request(method, url, headers=self._auth, **kwargs)

    def run_cell(self, code: str, timeout: float = 60, kernel_name: str = "python3") -> str:
        """Run ``code`` in a new kernel; what it printed and the value it returned."""
        r = self.api("POST", "/kernels", json={"name": kernel_name})
        assert r.status_code == 201, r.text
        kernel = r.json()["id"]
        ws_url = self.base.replace("http://", "ws://", 1)
        # The server answers the upgrade once the kernel is up: a PySpark kernel starts a
        # JVM, which on a loaded machine takes longer than a plain socket timeout.
        channels = f"{ws_url}/user/{self.user}/api/kernels/{kernel}/channels"
        ws = WebSocket(channels, self._auth, timeout=timeout)
        try:
            msg_id = uuid.uuid4().hex
            ws.send_text(json.dumps(_execute_request(msg_id, self.user, code)))
            return _collect_output(ws, msg_id, time.monotonic() + timeout)
        finally:
            ws.close()
            self.api("DELETE", f"/kernels/{kernel}")

    def save_notebook(self, path: str, notebook: dict[str, Any]) -> None:
        r = self.api("PUT", f"/contents/{path}", json={"type": "notebook", "content": notebook})
        assert r.status_code in (200, 201), r.text

    def read_notebook(self, path: str) -> dict[str, Any] | None:
        r = self.api("GET", f"/contents/{path}", params={"content": 1})
        return r.json()["content"] if r.status_code == 200 else None


def _execute_request(msg_id: str, user: str, code: str) -> dict[str, Any]:
    header = {"msg_id": msg_id, "msg_type": "execute_request", "session": uuid.uuid4().hex,
              "username": user, "version": "5.3"}  # fmt: skip
    content = {"code": code, "silent": False, "store_history": False, "user_expressions": {},
               "allow_stdin": False, "stop_on_error": True}  # fmt: skip
    return {"header": header, "parent_header": {}, "metadata": {}, "content": content,
            "channel": "shell", "buffers": []}  # fmt: skip


def _collect_output(ws: WebSocket, msg_id: str, deadline: float) -> str:
    """The cell's stream output and result, until its kernel goes idle again."""
    out = ""
    while time.monotonic() < deadline:
        msg = json.loads(ws.recv_text())
        if (msg.get("parent_header") or {}).get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out += content["text"]
        elif kind == "execute_result":
            out += content["data"]["text/plain"]
        elif kind == "error":
            raise AssertionError(f"the cell failed: {content['ename']}: {content['evalue']}")
        elif kind == "status" and content["execution_state"] == "idle":
            return out
    raise AssertionError("no result from the kernel in time")


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} after {timeout} s")
        time.sleep(0.2)


def node_action(server: str, dep_id: str, action: str, until: str) -> str:
    """Stop or start the deployment's compute node through the API; its container's id."""
    url = f"{server}/deployments/{dep_id}/resources"
    (vm,) = httpx.get(url, headers=auth(server), params={"type": "tosca.nodes.indigo.Compute"},
                      timeout=10).json()["content"]  # fmt: skip
    one = f"{url}/{vm['uuid']}"
    r = httpx.post(f"{one}/actions", headers=auth(server), json={"type": action}, timeout=10)
    assert r.status_code == 202, r.text

    def there() -> bool:
        return httpx.get(one, headers=auth(server), timeout=10).json()["state"] == until

    wait_until(there, until)
    return vm["physicalId"]
