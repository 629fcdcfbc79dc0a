"""HTTP on a user's behalf: an httpx client that connects only where the policy allows.

The check sits where the socket is opened (``GuardedBackend.connect_tcp``):
the host is resolved once, every address it resolves to must be allowed, and
the connection goes to one of those very addresses, so a name that resolves
differently a moment later (DNS rebinding) changes nothing. The URL's host
still travels in the ``Host`` header and as the TLS server name, so https is
verified against the name. Redirects open new connections through the same
check. No proxy from the environment is used.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable

import httpcore
import httpx

from cumulo.egress.addresses import IPAddress, literal_ip
from cumulo.egress.policy import EgressPolicy, EgressRefused
from cumulo.errors import CumuloError

MAX_REDIRECTS = 5
# What a refused or unanswered connection raises, whichever layer noticed.
CONNECTION_FAILURES = (
    EgressRefused,
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.UnsupportedProtocol,  # a redirect to ftp:, file: ...
    httpx.InvalidURL,
)


class FetchFailed(CumuloError):
    """A guarded download failed; the message says why in a few words."""


class GuardedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to addresses the policy allows, by address."""

    def __init__(self, policy: EgressPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        for ip in allowed_addresses(self.policy, host, port):
            try:
                return super().connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue
        raise EgressRefused()

    def connect_unix_socket(self, *args: object, **kwargs: object) -> httpcore.NetworkStream:
        raise EgressRefused()


def allowed_addresses(policy: EgressPolicy, host: str, port: int) -> list[IPAddress]:
    """The addresses of ``host`` to try, all allowed; ``EgressRefused`` if any is not.

    One forbidden address refuses the name: which one a client would pick is not ours to bet on.
    """
    try:
        literal = literal_ip(host)
    except ValueError:
        raise EgressRefused() from None
    if literal is not None:
        found = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise EgressRefused() from None
        found = list(dict.fromkeys(_address(info[4][0]) for info in infos))
    if not found or not all(policy.admits(host, ip, port) for ip in found):
        raise EgressRefused()
    return found


def _address(text: str) -> IPAddress:
    import ipaddress

    return ipaddress.ip_address(text)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over a connection pool that opens sockets through the guard."""

    def __init__(self, policy: EgressPolicy) -> None:
        super().__init__(trust_env=False)
        # httpx builds its pool without a network backend parameter: replace it with one
        # that has ours (``tests/egress/test_egress_client.py`` fails if the guard is not in force).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=GuardedBackend(policy),
        )


def guarded_client(policy: EgressPolicy, timeout: float, follow_redirects: bool) -> httpx.Client:
    return httpx.Client(
        transport=GuardedTransport(policy),
        timeout=timeout,
        follow_redirects=follow_redirects,
        max_redirects=MAX_REDIRECTS,
        trust_env=False,
    )


def fetch(url: str, policy: EgressPolicy, max_bytes: int, timeout: float) -> bytes:
    """GET ``url`` through the guard: its body, or ``FetchFailed`` saying why.

    ``timeout`` bounds the whole download, not each read. A refusal and a failed
    connection give the same message (``REFUSED``).
    """
    deadline = time.monotonic() + timeout
    body = bytearray()
    try:
        policy.check_url(url)
        with guarded_client(policy, timeout, True) as client, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise FetchFailed(f"the server answered {response.status_code}")
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise FetchFailed(f"larger than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise httpx.ReadTimeout("too slow")
    except CONNECTION_FAILURES:
        raise FetchFailed(EgressRefused().message) from None
    except httpx.TimeoutException:
        raise FetchFailed(f"not received within {timeout:g} s (timed out)") from None
    except httpx.TooManyRedirects:
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(f"cannot be fetched: {type(exc).__name__}") from None
    return bytes(body)
