"""The attack suite's shared site: one real ``cumulo serve`` for the whole suite (see
``attack_site``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from attack_site import SharedSite, server_side
from e2e_helpers import docker_problem, serving


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSite]:
    """One server for the whole attack suite (SQLite, the local Docker site)."""
    problem = docker_problem()
    if problem:
        pytest.skip(f"the attack suite needs the real Docker engine: {problem}")
    data = tmp_path_factory.mktemp("cumulo-shared-site")
    with serving(data, "--workers", "2") as url:
        tokens = {}
        for user, group in (("mallory", "guests"), ("alice", "physics")):
            server_side(data, "users", "add", user, "-g", group, "--generate")
            tokens[user] = server_side(data, "tokens", "create", user).strip()
        yield SharedSite(url, data, tokens)
