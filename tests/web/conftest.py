from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from web_helpers import BrowserClient, csrf_of, log_in

from cumulo.auth.testing import ApiUser
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.server import build_app


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = Engine(Settings(data_dir=tmp_path))
    yield eng
    eng.close()


@pytest.fixture
def client(engine: Engine, admin_user: ApiUser) -> Iterator[TestClient]:
    """The dashboard without workers, logged in as the local admin through the login form.

    Its form posts carry the session's CSRF token as the pages' forms do
    (``BrowserClient``); ``tests/web/test_web_login.py`` checks forms without it fail.
    """
    with BrowserClient(build_app(engine.settings, engine=engine, workers=0)) as c:
        log_in(c, admin_user.name, admin_user.password)
        c.csrf = csrf_of(c)
        yield c
