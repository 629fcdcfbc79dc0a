"""The attack suite's own fixture works: the two users exist, are not administrators, and do not
see each other's deployments."""

from __future__ import annotations

import pytest
from attack_site import SharedSite

pytestmark = pytest.mark.e2e


def test_users_are_plain_and_apart(shared_site: SharedSite) -> None:
    for user in ("mallory", "alice"):
        me = shared_site.get(user, "/users/me").json()
        assert me["name"] == user and not me.get("admin"), me
    assert shared_site.get("mallory", "/audit").status_code == 403
