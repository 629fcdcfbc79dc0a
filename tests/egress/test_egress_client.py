"""The guarded HTTP client: resolution, the connection to the checked address, redirects, and one
message for every refusal and failed connection."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from egress_servers import Recorder, closed_port

from cumulo.egress import REFUSED, EgressPolicy, EgressRefused, FetchFailed, fetch
from cumulo.egress import client as egress_client
from cumulo.egress.client import allowed_addresses


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    r = Recorder(b"hello")
    yield r
    r.close()


def _resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]) -> list[str]:
    """Make ``name`` resolve to the next address list of ``answers[name]`` at each lookup."""
    real, asked = socket.getaddrinfo, []

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> list:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        addresses = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [(family[6 if ":" in a else 4], socket.SOCK_STREAM, 6, "", (a, port))
                for a in addresses]  # fmt: skip

    monkeypatch.setattr(egress_client.socket, "getaddrinfo", fake)
    return asked


def test_open_closed_and_forbidden_ports_fail_alike(recorder: Recorder) -> None:
    closed = closed_port()
    messages = set()
    for policy in (EgressPolicy(), EgressPolicy.parse(f"127.0.0.1:{closed}")):
        for port in (recorder.port, closed):
            with pytest.raises(FetchFailed) as failed:
                fetch(f"http://127.0.0.1:{port}/x", policy, 1000, 2)
            messages.add(str(failed.value))
    assert messages == {REFUSED}
    assert recorder.requests == []


def test_an_allowed_address_is_fetched(recorder: Recorder) -> None:
    policy = EgressPolicy.parse(f"127.0.0.1:{recorder.port}")
    assert fetch(f"{recorder.url}/x", policy, 1000, 2) == b"hello"
    assert fetch(f"http://localhost:{recorder.port}/y", policy, 1000, 2) == b"hello"
    assert [r["path"] for r in recorder.requests] == ["/x", "/y"]


def test_a_name_is_checked_on_every_address_it_resolves_to(monkeypatch: pytest.MonkeyPatch):
    _resolving(monkeypatch, {"mixed.test": [["8.8.8.8", "127.0.0.1"]],
                             "inside.test": [["10.0.0.7"]], "v6.test": [["::ffff:127.0.0.1"]],
                             "public.test": [["8.8.8.8", "2606:4700::1111"]]})  # fmt: skip
    for name in ("mixed.test", "inside.test", "v6.test", "nowhere.invalid"):
        with pytest.raises(EgressRefused):
            allowed_addresses(EgressPolicy(), name, 80)
    found = allowed_addresses(EgressPolicy(), "public.test", 80)
    assert [str(a) for a in found] == ["8.8.8.8", "2606:4700::1111"]
    assert [str(a) for a in allowed_addresses(EgressPolicy(allow_private=True), "inside.test", 80)]
    with pytest.raises(EgressRefused):  # a name entry trusts the name, nothing else
        allowed_addresses(EgressPolicy.parse("other.test"), "inside.test", 80)
    assert allowed_addresses(EgressPolicy.parse("inside.test:80"), "inside.test", 80)


def test_the_connection_goes_to_the_checked_address_no_rebinding(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first lookup gives the allowed address, any later one a forbidden address: a second
    # resolution between the check and the connection would land on 10.0.0.1 and fail.
    asked = _resolving(monkeypatch, {"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})
    policy = EgressPolicy.parse(f"127.0.0.1:{recorder.port}")
    assert fetch(f"http://rebind.test:{recorder.port}/x", policy, 1000, 2) == b"hello"
    assert asked == ["rebind.test"]
    assert recorder.requests[0]["host"] == f"rebind.test:{recorder.port}"  # Host kept
    with pytest.raises(FetchFailed, match=r"^not reachable"):  # the next connection: rebound
        fetch(f"http://rebind.test:{recorder.port}/y", policy, 1000, 2)
    assert len(recorder.requests) == 1


def test_every_redirect_is_checked_again(recorder: Recorder) -> None:
    hop = Recorder(redirect=f"{recorder.url}/inside")
    to_file = Recorder(redirect="file:///etc/passwd")
    try:
        policy = EgressPolicy.parse(f"127.0.0.1:{hop.port},127.0.0.1:{to_file.port}")
        for start in (hop, to_file):
            with pytest.raises(FetchFailed) as failed:
                fetch(f"{start.url}/compose.yaml", policy, 1000, 2)
            assert str(failed.value) == REFUSED
            assert len(start.requests) == 1
        assert recorder.requests == []
        allowed = EgressPolicy.parse(f"127.0.0.1:{hop.port},127.0.0.1:{recorder.port}")
        assert fetch(f"{hop.url}/compose.yaml", allowed, 1000, 2) == b"hello"
    finally:
        hop.close()
        to_file.close()


def test_https_sends_the_name_as_tls_server_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names: list[str | None] = []
    server = _tls_server(tmp_path, names)
    try:
        _resolving(monkeypatch, {"service.test": [["127.0.0.1"]]})
        policy = EgressPolicy.parse(f"127.0.0.1:{server.getsockname()[1]}")
        with pytest.raises(FetchFailed):  # our self-signed certificate is not trusted
            fetch(f"https://service.test:{server.getsockname()[1]}/", policy, 1000, 2)
        assert names == ["service.test"]
    finally:
        server.close()


def _tls_server(tmp_path: Path, names: list[str | None]) -> socket.socket:
    """A TLS listener on 127.0.0.1 that records the server name of each handshake."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "service.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    context.sni_callback = lambda _sock, server_name, _ctx: names.append(server_name)
    listener = socket.create_server(("127.0.0.1", 0))

    def accept() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (OSError, ssl.SSLError):
            pass

    threading.Thread(target=accept, daemon=True).start()
    return listener


def test_no_proxy_from_the_environment(recorder: Recorder, monkeypatch) -> None:
    # A proxy would resolve and connect for us, past the check.
    monkeypatch.setenv("HTTP_PROXY", recorder.url)
    monkeypatch.setenv("ALL_PROXY", recorder.url)
    with pytest.raises(FetchFailed, match=r"^not reachable"):
        fetch("http://10.9.9.9/x", EgressPolicy(), 1000, 2)
    assert recorder.requests == []
