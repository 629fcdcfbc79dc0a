"""An httpx client for the INDIGO-compatible REST API served by ``cumulo serve``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cumulo import __version__
from cumulo.errors import CumuloError

if TYPE_CHECKING:  # httpx is imported where a request is made: `--help` starts faster
    import httpx

DEFAULT_URL = "http://127.0.0.1:8000"

# Final deployment statuses: waiting stops there.
FINAL_STATUSES = frozenset(
    {
        "CREATE_COMPLETE",
        "CREATE_FAILED",
        "UPDATE_COMPLETE",
        "UPDATE_FAILED",
        "DELETE_COMPLETE",
        "DELETE_FAILED",
    }
)
FAILED_STATUSES = frozenset({"CREATE_FAILED", "UPDATE_FAILED", "DELETE_FAILED"})


class ClientError(CumuloError):
    """Something the CLI could not do; its message is meant for the user as is."""


class ApiUnreachable(ClientError):
    """No cumulo answers at the configured URL."""


class ApiError(ClientError):
    """The API answered with an error (INDIGO shape ``{code, title, message}``)."""

    def __init__(self, code: int, title: str, message: str) -> None:
        super().__init__(f"{code} {title}: {message}" if message else f"{code} {title}")
        self.code = code
        self.title = title
        self.detail = message


def _error_from(response: httpx.Response) -> ApiError:
    """Read INDIGO's error body, or say what came back when it is not one."""
    title = response.reason_phrase or "Error"
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "message" in body:
        return ApiError(
            int(body.get("code") or response.status_code),
            str(body.get("title") or title),
            str(body.get("message") or ""),
        )
    if isinstance(body, dict) and "detail" in body:  # a framework error, not INDIGO's shape
        return ApiError(response.status_code, title, str(body["detail"]))
    text = response.text.strip()
    return ApiError(response.status_code, title, text[:500])


def default_token(url: str) -> str | None:
    """``CUMULO_TOKEN``; else, for a cumulo on this machine, the token its first start wrote.

    ``cumulo serve`` writes an admin token to ``<data dir>/admin.token``
    (``CUMULO_DATA_DIR``, default ``./var``); it is only ever sent to 127.0.0.1.
    """
    token = os.environ.get("CUMULO_TOKEN")
    if token:
        return token.strip()
    import httpx

    if httpx.URL(url).host not in ("127.0.0.1", "localhost", "::1"):
        return None
    path = Path(os.environ.get("CUMULO_DATA_DIR") or "var") / "admin.token"
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


class CumuloApi:
    """The calls the CLI makes, one method per REST endpoint it uses."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.url = (url or os.environ.get("CUMULO_URL") or DEFAULT_URL).rstrip("/")
        token = token if token is not None else default_token(self.url)
        headers = {"Accept": "application/json", "User-Agent": f"cumulo-cli/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        import httpx

        # Plain http has no certificate to check: skip loading the CA bundle (~15 ms).
        # Redirects are not followed and page links are kept on this origin (_relative).
        verify = not self.url.lower().startswith("http://")
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, verify=verify
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CumuloApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise ApiUnreachable(
                f"cannot reach cumulo at {self.url}: is `cumulo serve` running? ({exc})"
            ) from exc
        except httpx.TimeoutException as exc:
            raise ApiUnreachable(f"cumulo at {self.url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise ApiUnreachable(f"talking to cumulo at {self.url} failed: {exc}") from exc
        if response.status_code == 401:
            err = _error_from(response)
            hint = "set CUMULO_TOKEN to an API token (on the server: `cumulo tokens create USER`)"
            raise ApiError(err.code, err.title, f"{err.detail}; {hint}")
        if response.status_code >= 400:
            raise _error_from(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise ClientError(
                f"{method} {self.url}{path} answered {response.status_code} with a body "
                f"that is not JSON: {response.text[:200]!r}"
            ) from exc

    # -- deployments -----------------------------------------------------

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", "/deployments", json=body)

    def get(self, uuid: str) -> dict[str, Any]:
        return self._json("GET", f"/deployments/{uuid}")

    def find(self, uuid: str) -> dict[str, Any] | None:
        """The deployment, or ``None`` once it is gone (after a delete)."""
        try:
            return self.get(uuid)
        except ApiError as exc:
            if exc.code == 404:
                return None
            raise

    def delete(self, uuid: str, force: bool = False) -> None:
        params = {"force": "true"} if force else None
        self._request("DELETE", f"/deployments/{uuid}", params=params)

    @contextmanager
    def open_stream(self, path: str, headers: dict[str, str]) -> Iterator[httpx.Response]:
        """A streamed GET (server-sent events): reads wait up to a minute between messages."""
        import httpx

        timeout = httpx.Timeout(10, read=60)
        with self._http.stream("GET", path, headers=headers, timeout=timeout) as response:
            if response.status_code >= 400:
                response.read()
                raise _error_from(response)
            yield response

    def template(self, uuid: str) -> str:
        return self._request("GET", f"/deployments/{uuid}/template").text

    def log(self, uuid: str) -> str:
        return self._request("GET", f"/deployments/{uuid}/log").text

    def pages(self, path: str, size: int = 20, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paged list, following ``next`` until ``self`` is ``last``."""
        page = self._json("GET", path, params={"size": size, **params})
        seen: set[str] = set()
        while True:
            yield page
            links = {link.get("rel"): link.get("href") for link in page.get("links") or []}
            nxt = links.get("next")
            if not nxt or links.get("self") == links.get("last") or nxt in seen:
                return
            seen.add(nxt)  # a server repeating a link must not loop us forever
            page = self._json("GET", self._relative(nxt))

    def _relative(self, href: str) -> str:
        """A page link on our origin: a server behind a proxy may name its inner address."""
        import httpx

        ours = httpx.URL(self.url)
        link = httpx.URL(href)
        if not link.is_absolute_url:
            return str(ours.join(href))  # RFC 3986, so a path prefix is not doubled
        return str(link.copy_with(scheme=ours.scheme, host=ours.host, port=ours.port))

    def deployments(self, size: int = 20, all_pages: bool = False) -> tuple[list[dict], int]:
        """Deployments newest first, and how many there are in total."""
        items: list[dict] = []
        total = 0
        for page in self.pages("/deployments", size=size):
            items.extend(page.get("content") or [])
            total = int((page.get("page") or {}).get("totalElements") or len(items))
            if not all_pages:
                break
        return items, total

    def resources(self, uuid: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self.pages(f"/deployments/{uuid}/resources", size=100):
            items.extend(page.get("content") or [])
        return items

    # -- federation ------------------------------------------------------

    def scheduling(self, body: dict[str, Any]) -> dict[str, Any]:
        """Where a deployment request would go and why (a dry run)."""
        return self._json("POST", "/scheduling", json=body)

    def sites(self, include_removed: bool = False) -> list[dict[str, Any]]:
        params = {"all": "true"} if include_removed else None
        return self._json("GET", "/sites", params=params).get("content") or []

    def site(self, name: str) -> dict[str, Any]:
        return self._json("GET", f"/sites/{name}")

    def add_site(self, body: dict[str, Any], replace: bool = False) -> dict[str, Any]:
        if replace:
            return self._json("PUT", f"/sites/{body.get('name', '')}", json=body)
        return self._json("POST", "/sites", json=body)

    def remove_site(self, name: str) -> None:
        self._request("DELETE", f"/sites/{name}")

    def probe_site(self, name: str) -> dict[str, Any]:
        return self._json("POST", f"/sites/{name}/probe")

    # -- the caller's SSH keys -------------------------------------------

    def keys(self) -> list[dict[str, Any]]:
        return self._json("GET", "/users/me/keys").get("content") or []

    def add_key(self, name: str, public_key: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        body.update({"publicKey": public_key} if public_key is not None else {"generate": True})
        return self._json("POST", "/users/me/keys", json=body)

    def private_key(self, key_id: str) -> str:
        return self._request("GET", f"/users/me/keys/{key_id}/private").text

    def delete_key(self, key_id: str) -> None:
        self._request("DELETE", f"/users/me/keys/{key_id}")

    # -- the catalogue ---------------------------------------------------

    def catalogue(self, group: str | None = None, admin_all: bool = False) -> list[dict[str, Any]]:
        """Every entry the caller may see (admins with ``admin_all``: broken ones too)."""
        params = {"userGroup": group} if group else {}
        if admin_all:
            params["all"] = "true"
        items: list[dict[str, Any]] = []
        for page in self.pages("/catalogue", size=1000, **params):
            items.extend(page.get("content") or [])
        return items

    def catalogue_entry(self, name: str, group: str | None = None) -> dict[str, Any]:
        """One entry with its TOSCA text (``template``) and form (``inputs``)."""
        from urllib.parse import quote

        params = {"userGroup": group} if group else None
        return self._json("GET", f"/catalogue/{quote(name, safe='')}", params=params)
