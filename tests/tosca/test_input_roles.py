"""Input roles: one rule, the domain's, for secrets and SSH keys (forms follow it)."""

from __future__ import annotations

from cumulo.tosca.forms import form_schema
from cumulo.tosca.input_roles import Role, input_roles, keys_in, names_with, roles_of
from cumulo.tosca.processor import Processor

TEMPLATE = """\
tosca_definitions_version: tosca_simple_yaml_1_3
topology_template:
  inputs:
    jupyter_password: {type: string}
    iam_token: {type: string, required: false}
    api_credential: {type: string, metadata: {sensitive: true}}
    token_count: {type: integer, default: 1, metadata: {sensitive: false}}
    ssh_public_key: {type: string, required: false}
    os_user_ssh_key: {type: string, required: false}
    deploy_key: {type: string, required: false, metadata: {ssh_key: true}}
    ssh_private_key: {type: string, required: false}
    ams_repo_public_key: {type: string, required: false}
    notes: {type: string, required: false}
  node_templates:
    app: {type: tosca.nodes.Root}
"""


def test_secrets_by_name_and_by_metadata() -> None:
    assert roles_of("jupyter_password") == {Role.SECRET}
    assert roles_of("IAM_TOKEN") == {Role.SECRET}
    assert roles_of("notes") == frozenset()
    assert roles_of("api_credential", {"metadata": {"sensitive": True}}) == {Role.SECRET}
    assert roles_of("token_count", {"metadata": {"sensitive": False}}) == frozenset()


def test_ssh_keys_by_name_and_by_metadata_never_a_private_key() -> None:
    assert roles_of("ssh_public_key") == {Role.SSH_KEY}
    assert roles_of("os_user_ssh_key") == {Role.SSH_KEY}
    assert roles_of("public_key") == {Role.SSH_KEY}
    assert roles_of("deploy_key", {"metadata": {"ssh_key": True}}) == {Role.SSH_KEY}
    # A private key is a secret, not a key to install; another kind of public key is neither.
    assert roles_of("ssh_private_key") == {Role.SECRET}
    assert roles_of("ams_repo_public_key") == frozenset()


def test_the_plan_and_the_form_read_the_same_roles() -> None:
    proc = Processor()
    tpl = proc.load_text(TEMPLATE, name="t.yaml")
    plan = proc.plan(tpl, {"jupyter_password": "x" * 8, "api_credential": "y"})
    assert plan.roles == input_roles(tpl.inputs)
    fields = {f["name"]: f for f in form_schema(tpl)["inputs"]}
    for name, field in fields.items():
        assert field["roles"] == sorted(plan.roles.get(name, ())), name
    widgets = {name: field["widget"] for name, field in fields.items()}
    assert widgets["jupyter_password"] == widgets["api_credential"] == "password"
    assert widgets["iam_token"] == "password"
    assert widgets["ssh_public_key"] == widgets["deploy_key"] == "ssh_key"
    assert widgets["token_count"] == "integer" and widgets["notes"] == "text"
    assert widgets["ams_repo_public_key"] == "text"


def test_names_with_covers_undeclared_parameters_by_name() -> None:
    declared = {"db_password": {"type": "string"}, "name": {"type": "string"}}
    assert names_with(Role.SECRET, declared, ["name", "extra_secret"]) == {
        "db_password",
        "extra_secret",
    }


def test_keys_in_reads_lines_and_lists() -> None:
    values = {"a": "ssh-ed25519 AAA one\n\nssh-rsa BBB two\n", "b": ["ssh-ed25519 AAA one", " "]}
    assert keys_in(values, ["b", "a"]) == ("ssh-ed25519 AAA one", "ssh-rsa BBB two")
    assert keys_in(values, ["missing"]) == ()
