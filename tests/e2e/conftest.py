"""A real ``cumulo serve`` subprocess on a free port with a temp data dir, on the real Docker
and the chosen database (``CUMULO_TEST_DATABASE``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e_helpers import cumulo_env, docker_problem, serving


@pytest.fixture(scope="module")
def docker_ready() -> None:
    problem = docker_problem()
    if problem:
        pytest.skip(f"end-to-end tests need the real Docker engine: {problem}")


@pytest.fixture(scope="module")
def server(
    docker_ready: None, tmp_path_factory: pytest.TempPathFactory, module_database_url: str
) -> Iterator[str]:
    data = tmp_path_factory.mktemp("cumulo-e2e")
    with serving(data, "--workers", "2", env=cumulo_env(module_database_url)) as url:
        yield url
