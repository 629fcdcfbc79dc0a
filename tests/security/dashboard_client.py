"""A dashboard session as a browser holds it: the login form over httpx, its cookie, its CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from attack_site import SharedSite

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SESSION_COOKIE = "cumulo_session"


@contextmanager
def dashboard_login(site: SharedSite, user: str) -> Iterator[httpx.Client]:
    """A client logged in to the dashboard as ``user`` through its login form."""
    with httpx.Client(base_url=site.url, timeout=30) as c:
        form = c.get("/ui/login")
        csrf = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        data = {"username": user, "password": site.passwords[user], "csrf": csrf}
        r = c.post("/ui/login", data=data)
        assert r.status_code == 303, r.text
        assert c.get("/ui/deployments").status_code == 200
        yield c


def csrf_of(c: httpx.Client, path: str = "/ui/deployments") -> str:
    return CSRF.search(c.get(path).text).group(1)  # type: ignore[union-attr]


def session_cookie(c: httpx.Client) -> str:
    """The session cookie's value as the server reads it (Set-Cookie quotes it)."""
    return (c.cookies.get(SESSION_COOKIE) or "").strip('"')
