"""``cumulo catalogue ls|show`` and ``cumulo deploy NAME`` read the SERVER's catalogue.

Against a real ``cumulo serve`` whose admin folder (``CUMULO_CATALOGUE_DIRS``) holds
entries this CLI's installed package does not have.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.catalogue.catalogue_helpers import BROKEN, write_entry
from tests.e2e.e2e_helpers import serving

from cumulo import catalogue

CUMULO = str(Path(sys.executable).with_name("cumulo"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """A real ``cumulo serve`` (API only) with an admin folder: its URL, data dir, folder."""
    base = tmp_path_factory.mktemp("catalogue-cli")
    folder, data = base / "site-catalogue", base / "data"
    data.mkdir()
    write_entry(folder, "lab-tool", "Lab tool")
    env = {**os.environ, "CUMULO_CATALOGUE_DIRS": str(folder)}
    with serving(data, "--workers", "0", env=env) as url:
        yield url, data, folder


def cli(served: tuple[str, Path, Path], *args: str) -> subprocess.CompletedProcess[str]:
    url, data, _ = served
    env = {**os.environ, "CUMULO_URL": url, "CUMULO_DATA_DIR": str(data), "COLUMNS": "200"}
    env.pop("CUMULO_TOKEN", None)
    return subprocess.run([CUMULO, *args], env=env, capture_output=True, text=True, timeout=60)


def test_ls_lists_the_servers_entries(served) -> None:
    assert catalogue.find("lab-tool") is None  # only the server has it
    result = cli(served, "catalogue", "ls")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
    assert "lab-tool" in rows and "Lab tool" in rows["lab-tool"]
    assert "vm" in rows and "run-docker" in rows
    as_json = json.loads(cli(served, "catalogue", "ls", "--json").stdout)
    assert {"lab-tool", "vm"} <= {e["name"] for e in as_json}


def test_an_entry_added_at_run_time_shows_and_a_broken_one_only_to_admins(served) -> None:
    folder = served[2]
    write_entry(folder, "later", "Added later")
    write_entry(folder, "cracked", text=BROKEN)
    listed = [e["name"] for e in json.loads(cli(served, "catalogue", "ls", "--json").stdout)]
    assert "later" in listed and "cracked" not in listed
    result = cli(served, "catalogue", "ls", "--all")
    line = next(x for x in result.stdout.splitlines() if x.startswith("cracked"))
    assert "broken" in line and "cracked.yaml:6:13:" in line


def test_show_prints_the_inputs_and_the_template(served) -> None:
    result = cli(served, "catalogue", "show", "lab-tool")
    assert result.returncode == 0, result.stderr
    assert "Lab tool" in result.stdout and "greeting" in result.stdout
    assert "hello" in result.stdout  # the input's default
    text = cli(served, "catalogue", "show", "lab-tool", "--template").stdout
    assert text == (served[2] / "lab-tool.yaml").read_text()
    missing = cli(served, "catalogue", "show", "no-such-service")
    assert missing.returncode == 1 and "404" in missing.stderr


def test_deploy_by_name_sends_the_servers_template(served, tmp_path: Path) -> None:
    result = cli(served, "deploy", "lab-tool", "--dry-run", "--json")
    assert result.returncode in (0, 1), result.stderr  # 1: no site would take it here
    decision = json.loads(result.stdout)
    assert decision["candidates"], decision  # the server planned the template it sent
    unknown = cli(served, "deploy", "no-such-service")
    assert unknown.returncode == 1
    assert "no catalogue service of that name" in unknown.stderr and "lab-tool" in unknown.stderr
    # A path is still read here: a local file the server's catalogue does not have.
    local = write_entry(tmp_path, "mine", text=BROKEN)
    result = cli(served, "deploy", str(local))
    assert result.returncode == 1 and f"{local}:6:13" in result.stderr
