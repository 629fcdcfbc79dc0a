"""The engine's requests on a user's behalf: callbacks checked at POST, network imports through the
egress policy, drivers handed the installation's policy."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cumulo.config import Settings
from cumulo.egress import REFUSED, EgressPolicy
from cumulo.engine.callbacks import check_callback, is_own
from cumulo.engine.runtime import Engine
from cumulo.errors import BadRequest, ToscaError

sys.path.insert(0, str(Path(__file__).parents[1] / "egress"))
from egress_servers import Recorder

TYPES = b"""tosca_definitions_version: tosca_simple_yaml_1_3
node_types:
  served.nodes.Thing:
    derived_from: tosca.nodes.Root
"""


def _template(url: str) -> str:
    return f"""tosca_definitions_version: tosca_simple_yaml_1_3
imports: ['{url}']
topology_template:
  node_templates:
    thing: {{ type: served.nodes.Thing }}
"""


def test_a_callback_is_checked_when_posted() -> None:
    settings, policy = Settings(port=8123), EgressPolicy()
    for url in ("http://127.0.0.1:22/", "http://[::1]/", "http://169.254.169.254/", "ftp://x/"):
        with pytest.raises(BadRequest) as refused:
            check_callback(policy, settings, url)
        assert refused.value.message == f"callback: {REFUSED}"
    check_callback(policy, settings, "https://hooks.example.org/done")
    check_callback(policy, settings, None)


def test_only_cumulos_own_notify_endpoint_passes_the_policy_unchecked() -> None:
    settings = Settings(port=8123)
    own = "http://127.0.0.1:8123/ui/notify/"
    assert is_own(settings, own + "gAAAAB-token_1=")
    for other in (own, own + "../../deployments", own + "x/y", own + "x?y=1",
                  "http://127.0.0.1:8124/ui/notify/x", "http://localhost:8123/ui/notify/x",
                  "http://127.0.0.1:8123/deployments"):  # fmt: skip
        assert not is_own(settings, other), other
        with pytest.raises(BadRequest):
            check_callback(EgressPolicy(), settings, other)


def test_network_imports_go_through_the_egress_policy(tmp_path: Path) -> None:
    served = Recorder(TYPES)
    try:
        url = f"{served.url}/types.yaml"
        strict = Engine(Settings(data_dir=tmp_path / "a", allow_network_imports=True))
        with pytest.raises(ToscaError) as refused:
            strict.plan(_template(url), {})
        assert f"cannot fetch {url}: {REFUSED}" in str(refused.value)
        assert served.requests == []
        admin_allows = f"127.0.0.1:{served.port}"
        settings = Settings(
            data_dir=tmp_path / "b", allow_network_imports=True, egress_allow=admin_allows
        )
        allowed = Engine(settings)
        assert [i.node for i in allowed.plan(_template(url), {}).instances] == ["thing"]
        assert len(served.requests) == 1
        assert allowed.egress == EgressPolicy.parse(f"127.0.0.1:{served.port}")
        strict.close()
        allowed.close()
    finally:
        served.close()
