"""The attack suite's shared site: one real ``cumulo serve`` for the whole suite (see
``attack_site``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from attack_site import SharedSite, server_side
from e2e_helpers import docker_problem, serving

PLAYBOOKS = Path(__file__).parent / "playbooks"


@pytest.fixture(scope="session")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSite]:
    """One server for the whole attack suite (SQLite, the local Docker site)."""
    problem = docker_problem()
    if problem:
        pytest.skip(f"the attack suite needs the real Docker engine: {problem}")
    data = tmp_path_factory.mktemp("cumulo-shared-site")
    # The suite's own playbooks (tests/security/playbooks) are found by relative path.
    env = {**os.environ, "CUMULO_PLAYBOOK_DIRS": str(PLAYBOOKS)}
    with serving(data, "--workers", "2", env=env) as url:
        tokens, passwords = {}, {}
        for user, group in (("mallory", "guests"), ("alice", "physics")):
            added = server_side(data, "users", "add", user, "-g", group, "--generate")
            passwords[user] = added.rsplit("password: ", 1)[1].strip()  # for dashboard logins
            tokens[user] = server_side(data, "tokens", "create", user).strip()
        yield SharedSite(url, data, tokens, passwords)
