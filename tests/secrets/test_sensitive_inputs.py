"""Sensitive parameters: sealed for their deployment and input, nothing submitted ever opened,
outputs and reasons that would show one withheld."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet

from cumulo.config import Settings
from cumulo.engine.outputs import REDACTED, WITHHELD
from cumulo.engine.runtime import Engine
from cumulo.engine.sensitive_inputs import seal, unseal, withhold_secrets
from cumulo.secrets import KEYRING_FILE, LEGACY_PREFIX, Purpose, SecretError, is_encrypted

TEMPLATE = """\
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  inputs:
    admin_password: {type: string}
    label: {type: string}
  node_templates:
    app:
      type: tosca.nodes.Root
      properties: {}
  outputs:
    pw: {value: {get_input: admin_password}}
    first_char: {value: {token: [{get_input: admin_password}, "x", 0]}}
    label: {value: {get_input: label}}
    address: {value: "10.0.0.1"}
"""


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = Engine(Settings(data_dir=tmp_path))
    yield e
    e.close()


def _stored(dep_id: str, params: dict, engine: Engine) -> SimpleNamespace:
    return SimpleNamespace(
        id=dep_id, template=TEMPLATE, parameters=seal(engine, TEMPLATE, params, dep_id)
    )


def test_sensitive_values_sealed_for_their_deployment_and_input(engine: Engine) -> None:
    dep = _stored("dep-1", {"admin_password": "hunter22", "label": "mine"}, engine)
    assert is_encrypted(dep.parameters["admin_password"]) and dep.parameters["label"] == "mine"
    assert unseal(engine, dep) == {"admin_password": "hunter22", "label": "mine"}
    moved = SimpleNamespace(id="dep-2", template=TEMPLATE, parameters=dep.parameters)
    with pytest.raises(SecretError):
        unseal(engine, moved)  # a sealed value copied to another deployment does not open
    renamed = {"label": dep.parameters["admin_password"]}
    with pytest.raises(SecretError):
        unseal(engine, SimpleNamespace(id="dep-1", template=TEMPLATE, parameters=renamed))


def test_submitted_ciphertexts_stay_text_never_opened(engine: Engine, tmp_path: Path) -> None:
    """The decryption oracle: whatever looks sealed is sealed again, and comes back as sent."""
    cookie = engine.secrets.seal('{"sid": "x", "csrf": "y"}', Purpose.SESSION)
    key = (tmp_path / KEYRING_FILE).read_bytes().splitlines()[0]
    same_purpose = engine.secrets.seal("other", Purpose.DEPLOYMENT_INPUT, "dep-9/label")
    legacy = LEGACY_PREFIX + Fernet(key).encrypt(b"an old secret").decode()
    for value in (cookie, same_purpose, legacy):
        dep = _stored("dep-1", {"label": value, "admin_password": value}, engine)
        assert dep.parameters["label"] != value  # sealed as the text it is
        assert unseal(engine, dep) == {"label": value, "admin_password": value}


def test_outputs_and_reasons_never_show_a_sensitive_value(engine: Engine) -> None:
    dep = _stored("dep-1", {"admin_password": "hunter22", "label": "mine"}, engine)
    outputs = {"pw": "hunter22", "first_char": "h", "label": "mine", "address": "10.0.0.1"}
    shown, reason = withhold_secrets(engine, dep, outputs, "login hunter22 refused")
    assert shown == {"pw": WITHHELD, "first_char": WITHHELD, "label": "mine", "address": "10.0.0.1"}
    assert reason == f"login {REDACTED} refused"
    # A copy of the value under another name is withheld too (found by value).
    shown, _ = withhold_secrets(engine, dep, {"x": {"nested": ["a", "pw=hunter22"]}}, None)
    assert shown == {"x": WITHHELD}
