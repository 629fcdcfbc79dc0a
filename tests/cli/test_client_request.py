"""Parsing the command line into a request, and rendering what comes back."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from cumulo.cli.client.api import ClientError
from cumulo.cli.client.progress import Backoff
from cumulo.cli.client.render import outputs_view, ssh_command, value_text
from cumulo.cli.client.request import build_params, parse_param, read_template


def test_parse_param_forms(tmp_path) -> None:
    key = tmp_path / "k.pub"
    key.write_text("ssh-rsa AAA\n")
    assert parse_param("a=b=c") == ("a", "b=c")
    assert parse_param("a=") == ("a", "")
    assert parse_param("n:=2") == ("n", 2)
    assert parse_param('m:={"x": [1]}') == ("m", {"x": [1]})
    assert parse_param("l=[1, 2]") == ("l", [1, 2])
    assert parse_param("s=[not json") == ("s", "[not json")
    assert parse_param(f"k=@{key}") == ("k", "ssh-rsa AAA")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("novalue", "expected KEY=VALUE"),
        ("=x", "expected KEY=VALUE"),
        (":=1", "the name before '=' is empty"),
        ("n:=nope", "parameter 'n': 'nope' is not JSON"),
        ("k=@/nonexistent/key.pub", "parameter 'k': cannot read '/nonexistent/key.pub'"),
    ],
)
def test_parse_param_errors_say_which(item: str, expected: str) -> None:
    with pytest.raises(ClientError) as info:
        parse_param(item)
    assert expected in info.value.message


def test_params_file_errors_are_located(tmp_path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text('{\n  "a": 1,\n}')
    with pytest.raises(ClientError) as info:
        build_params([], str(bad))
    assert f"{bad}:3:1" in info.value.message
    bad.write_text("[1]")
    with pytest.raises(ClientError, match="JSON object"):
        build_params([], str(bad))


def test_read_template_file_and_catalogue(tmp_path) -> None:
    assert "tosca.nodes.indigo.dockerRun" in read_template("run-docker")
    with pytest.raises(ClientError, match="is a directory"):
        read_template(str(tmp_path))


def test_ssh_command_from_outputs() -> None:
    outputs = {"node_ip": "127.0.0.1", "ssh_port": 2222, "ssh_account": "bob"}
    assert ssh_command(outputs) == "ssh -p 2222 bob@127.0.0.1"
    # INDIGO templates: a list of addresses, the account only in node_creds, port 22.
    indigo = {"node_ip": ["10.0.0.5"], "node_creds": {"user": "cloudadm", "token": "k"}}
    assert ssh_command(indigo) == "ssh -p 22 cloudadm@10.0.0.5"
    assert ssh_command({"endpoints": {"80": "http://x"}}) is None
    assert ssh_command({"node_ip": "1.2.3.4"}) is None  # no account: no command


def render(renderable, terminal: bool) -> str:
    buf = io.StringIO()
    # As the CLI's consoles: colour system detected, so none when not a terminal.
    Console(file=buf, force_terminal=terminal, width=200).print(renderable)
    return buf.getvalue()


def test_urls_are_osc8_links_on_a_terminal_and_plain_elsewhere() -> None:
    url = "http://127.0.0.1:32768/path"
    linked = render(value_text(url), terminal=True)
    assert "\x1b]8;id=" in linked and url in linked
    plain = render(value_text(url), terminal=False)
    assert plain.strip() == url


def test_outputs_view_lists_map_values_one_a_line() -> None:
    text = render(
        outputs_view({"endpoints": {"80": "http://127.0.0.1:1", "443": "https://127.0.0.1:2"}}),
        terminal=False,
    )
    lines = text.splitlines()
    assert any("80:" in line and "http://127.0.0.1:1" in line for line in lines)
    assert any("443:" in line and "https://127.0.0.1:2" in line for line in lines)


def test_backoff_grows_to_cap_and_resets() -> None:
    b = Backoff(start=0.1, factor=2, cap=1.0)
    assert [b.next() for _ in range(6)] == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    b.reset()
    assert b.next() == 0.1


def test_outputs_view_unwraps_a_single_instance_list() -> None:
    creds = [{"user": "cloudadm", "token_type": "private_key", "token": "SECRET"}]
    text = render(outputs_view({"node_creds": creds}), terminal=False)
    assert "user:" in text and "cloudadm" in text
    assert "SECRET" not in text and "<hidden: see --json>" in text


def test_page_links_are_followed_on_our_origin_and_prefix() -> None:
    from cumulo.cli.client.api import CumuloApi

    with CumuloApi("https://paas.example.org/orchestrator") as api:
        inner = "http://10.0.0.1:8080/orchestrator/deployments?page=1&size=20"
        assert api._relative(inner) == (
            "https://paas.example.org/orchestrator/deployments?page=1&size=20"
        )
        assert api._relative("/orchestrator/deployments?page=2") == (
            "https://paas.example.org/orchestrator/deployments?page=2"
        )
