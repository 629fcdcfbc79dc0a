"""Every card of cumulo's own catalogue has an icon of its own, shipped in the package and served
by the dashboard as SVG, and a description of a few plain sentences (issue 17, item 7)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cumulo import catalogue
from cumulo.config import Settings
from cumulo.engine.runtime import Engine
from cumulo.server import build_app
from cumulo.web.routes.catalogue import ICONS_DIR

NAMES = catalogue.names()
GENERIC = {"service", "cumulo"}  # the fallback and the application's own


def icon_of(name: str) -> str:
    found = catalogue.entry(name)
    assert found is not None
    return str(found.metadata.get("icon") or "")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    engine = Engine(Settings(data_dir=tmp_path_factory.mktemp("icons")))
    with TestClient(build_app(engine.settings, engine=engine, workers=0)) as c:
        yield c
    engine.close()


@pytest.mark.parametrize("name", NAMES)
def test_each_entry_names_a_shipped_svg_icon_of_its_own(name: str) -> None:
    icon = icon_of(name)
    assert icon not in GENERIC, f"{name} shows the generic icon"
    path = ICONS_DIR / f"{icon}.svg"
    assert path.is_file(), path
    root = ET.parse(path).getroot()  # well-formed SVG, drawn to scale on a square
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox") == "0 0 48 48"
    assert "http" not in path.read_text().replace("http://www.w3.org/2000/svg", "")  # no fetch


def test_the_services_icons_differ_where_the_services_do() -> None:
    icons = {name: icon_of(name) for name in NAMES}
    # One icon per service, but the same for the same kind of service (VMs, one container).
    shared = {i for i in icons.values() if list(icons.values()).count(i) > 1}
    assert shared == set(), {n: i for n, i in icons.items() if i in shared}


@pytest.mark.parametrize("name", NAMES)
def test_each_entrys_icon_is_served_as_svg(client: TestClient, name: str) -> None:
    r = client.get(f"/ui/static/icons/{icon_of(name)}.svg")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.content == (ICONS_DIR / f"{icon_of(name)}.svg").read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_each_card_has_a_description_of_a_few_plain_sentences(name: str) -> None:
    found = catalogue.entry(name)
    assert found is not None
    text = found.description
    assert 60 <= len(text) <= 320, (len(text), text)
    assert text.rstrip().endswith(".")
    assert "TOSCA" not in text and "output " not in text  # the card is not the template's doc


def test_no_icon_file_is_left_unused_but_the_generic_ones() -> None:
    used = {icon_of(name) for name in NAMES} | GENERIC
    shipped = {p.stem for p in Path(ICONS_DIR).glob("*.svg")}
    assert shipped - used == set()
