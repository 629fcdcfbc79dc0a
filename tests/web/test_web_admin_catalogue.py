"""The admin's catalogue page: every entry, its folder and issues; users never get a broken one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.catalogue.catalogue_helpers import BROKEN, write_entry
from web_helpers import BrowserClient, log_in

from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.server import build_app


@pytest.fixture
def extra(tmp_path: Path) -> Path:
    folder = tmp_path / "site-catalogue"
    write_entry(folder, "lab-tool", "Lab tool")
    return folder


@pytest.fixture
def engine(tmp_path: Path, extra: Path) -> Iterator[Engine]:
    eng = Engine(Settings(data_dir=tmp_path / "data", catalogue_dirs=str(extra)))
    yield eng
    eng.close()


def test_admin_page_lists_entries_with_folder_and_issues(client: TestClient, extra: Path) -> None:
    write_entry(extra, "broken", text=BROKEN)
    r = client.get("/ui/admin/catalogue")
    assert r.status_code == 200
    assert 'data-entry="vm"' in r.text and 'data-entry="lab-tool"' in r.text
    assert str(extra) in r.text
    row = r.text.split('data-entry="broken"')[1].split("</tr>")[0]
    assert "not offered" in row and "broken.yaml:6:13: error:" in row and "NoSuchThing" in row
    assert 'href="/ui/admin/catalogue"' in client.get("/ui/admin").text


def test_admin_page_says_which_files_were_left_out(client: TestClient, extra: Path) -> None:
    (extra / "leak.yaml").symlink_to("/etc/hostname")
    r = client.get("/ui/admin/catalogue")
    assert 'data-refused="' in r.text and "leads out of the folder" in r.text


def test_users_get_no_admin_page_and_no_broken_card(engine: Engine, make_user, extra: Path) -> None:
    write_entry(extra, "broken", "Broken thing", text=BROKEN)
    alice = make_user("alice", groups=("physics",))
    with BrowserClient(build_app(engine.settings, engine=engine, workers=0)) as c:
        log_in(c, alice.name, alice.password)
        assert c.get("/ui/admin/catalogue").status_code == 403
        page = c.get("/ui/catalogue").text
        assert 'href="/ui/catalogue/lab-tool"' in page
        assert "/ui/catalogue/broken" not in page
        assert c.get("/ui/catalogue/broken").status_code == 404
        r = c.get("/ui/catalogue/lab-tool")  # an admin's entry gets a wizard like any other
        assert r.status_code == 200 and 'name="p.greeting"' in r.text
