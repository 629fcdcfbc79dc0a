"""Logging in to the dashboard the browser's way, and reading a page's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def log_in(c: TestClient, name: str, password: str) -> None:
    """The browser's way: GET the form (CSRF cookie and field), POST it."""
    form = c.get("/ui/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = c.post(
        "/ui/login",
        data={"username": name, "password": password, "csrf": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def csrf_of(c: TestClient, path: str = "/ui/catalogue") -> str:
    """The CSRF token the forms of a page carry."""
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


class BrowserClient(TestClient):
    """A test client whose form posts include the CSRF field, as every dashboard form does."""

    csrf = ""

    def post(self, url, *args, data=None, **kwargs):  # type: ignore[override]
        form_post = "json" not in kwargs and "content" not in kwargs
        if self.csrf and form_post and (data is None or isinstance(data, dict)):
            data = {"csrf": self.csrf, **(data or {})}  # a test's own csrf field wins
        return super().post(url, *args, data=data, **kwargs)
