"""The client commands against a real HTTP server serving INDIGO payloads."""

from __future__ import annotations

import socket
import time

import pytest
from indigo_server import IndigoState
from typer.testing import CliRunner

from cumulo import catalogue
from cumulo.cli.main import app

runner = CliRunner()

VM_OUTPUTS = {
    "node_ip": "127.0.0.1",
    "ssh_port": 32771,
    "ssh_account": "cloudadm",
    "node_creds": {"user": "cloudadm", "token_type": "private_key", "token": "-----BEGIN X"},
}


def cli(*args: str):
    return runner.invoke(app, list(args))


def posts(state: IndigoState) -> list:
    return [r for r in state.requests if r.method == "POST"]


def test_deploy_catalogue_name_sends_template_and_typed_params(
    indigo: IndigoState, tmp_path, monkeypatch
) -> None:
    key = tmp_path / "id.pub"
    key.write_text("ssh-ed25519 AAAA alice@lab\n")
    monkeypatch.setenv("CUMULO_TOKEN", "tok-123")
    result = cli(
        "deploy", "run-docker",
        "-p", "docker_image=cumulo/httpd",
        "-p", "docker_ports=[8080]",
        "-p", "num_cpus:=0.5",
        "-p", f"note=@{key}",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (post,) = posts(indigo)
    assert post.body["template"] == catalogue.find("run-docker").read_text()
    assert post.body["parameters"] == {
        "docker_image": "cumulo/httpd",
        "docker_ports": [8080],
        "num_cpus": 0.5,
        "note": "ssh-ed25519 AAAA alice@lab",
    }
    assert post.headers["Authorization"] == "Bearer tok-123"
    assert "keepLastAttempt" not in post.body
    uuid = indigo.order[0]
    assert result.stdout.split() == [uuid, "CREATE_IN_PROGRESS"]


def test_deploy_params_file_overridden_by_p(indigo: IndigoState, tmp_path) -> None:
    params = tmp_path / "p.json"
    params.write_text('{"docker_image": "a", "docker_tag": "1"}')
    tpl = tmp_path / "t.yaml"
    tpl.write_text("tosca_definitions_version: tosca_simple_yaml_1_3\n")
    result = cli(
        "deploy", str(tpl), "--params", str(params), "-p", "docker_tag=2",
        "--timeout", "5", "--keep-last-attempt",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (post,) = posts(indigo)
    assert post.body["parameters"] == {"docker_image": "a", "docker_tag": "2"}
    assert post.body["timeoutMins"] == 5
    assert post.body["keepLastAttempt"] is True
    assert post.body["template"] == tpl.read_text()


def test_deploy_wait_polls_quickly_and_prints_clickable_outputs(indigo: IndigoState) -> None:
    indigo.create_script = ["CREATE_IN_PROGRESS"] * 4 + ["CREATE_COMPLETE"]
    indigo.create_outputs = {
        "endpoints": {"8080": "http://127.0.0.1:32768"},
        "ports": {"8080": 32768},
    }
    started = time.monotonic()
    result = cli("deploy", "run-docker", "-p", "docker_image=x", "--wait")
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    # Back-off from 100 ms: five polls take well under a second, not 5 x 30 s.
    assert elapsed < 2.0
    polls = [r for r in indigo.requests if r.method == "GET" and r.path.count("/") == 2]
    gets = [r for r in polls if r.path.startswith("/deployments/")]  # not /catalogue/NAME
    assert len(gets) == 5
    assert "http://127.0.0.1:32768" in result.stdout
    assert "CREATE_COMPLETE" in result.stderr
    assert "CREATE_IN_PROGRESS" in result.stderr


def test_deploy_wait_failure_prints_reason_and_exits_1(indigo: IndigoState) -> None:
    indigo.create_script = ["CREATE_IN_PROGRESS", "CREATE_FAILED"]
    # Brackets in server text must show as is, not be read as rich markup.
    indigo.create_reason = "node app: image nope:latest not found on site [local] [/bold]"
    result = cli("deploy", "run-docker", "-p", "docker_image=nope", "--wait")
    assert result.exit_code == 1
    assert "CREATE_FAILED" in result.stderr
    assert "image nope:latest not found on site [local] [/bold]" in result.stderr
    assert "Traceback" not in result.output

    result = cli("deploy", "run-docker", "-p", "docker_image=nope", "--wait", "--json")
    assert result.exit_code == 1
    assert '"status": "CREATE_FAILED"' in result.stdout
    assert "not found on site [local]" in result.stderr


def test_deploy_wait_json_prints_final_deployment(indigo: IndigoState) -> None:
    import json

    indigo.create_outputs = {"endpoints": {}}
    result = cli("deploy", "run-docker", "-p", "docker_image=x", "--wait", "--json")
    assert result.exit_code == 0, result.output
    dep = json.loads(result.stdout)
    assert dep["status"] == "CREATE_COMPLETE"
    assert dep["uuid"] == indigo.order[0]


def test_deploy_unknown_template_names_the_catalogue(indigo: IndigoState) -> None:
    result = cli("deploy", "no-such-service")
    assert result.exit_code == 1
    assert "no-such-service" in result.stderr
    assert "run-docker" in result.stderr and "vm" in result.stderr
    assert not posts(indigo)  # asked the server's catalogue (INDIGO has none), sent nothing


def test_ls_first_page_then_all_pages(indigo: IndigoState) -> None:
    for _ in range(45):
        indigo.add()
    result = cli("ls", "--size", "20")
    assert result.exit_code == 0, result.output
    newest = indigo.order[-1]
    assert result.stdout.count("CREATE_COMPLETE") == 20
    assert newest in result.stdout
    assert "20 of 45 shown" in result.stderr

    indigo.requests.clear()
    result = cli("ls", "--all", "--size", "20", "--json")
    import json

    items = json.loads(result.stdout)
    assert [d["uuid"] for d in items] == list(reversed(indigo.order))
    pages = [r.query.get("page", ["0"])[0] for r in indigo.requests]
    assert pages == ["0", "1", "2"]


def test_ls_empty(indigo: IndigoState) -> None:
    result = cli("ls")
    assert result.exit_code == 0
    assert "no deployments" in result.stderr


def test_show_vm_prints_ssh_command_and_hides_the_key(indigo: IndigoState) -> None:
    dep = indigo.add(outputs=VM_OUTPUTS)
    dep.resources = [
        {
            "uuid": "r1",
            "state": "CONFIGURED",
            "toscaNodeType": "tosca.nodes.indigo.Compute",
            "toscaNodeName": "server",
            "physicalId": "0123456789abcdef",
            "requiredBy": [],
            "links": [],
        }
    ]
    uid = dep.data["uuid"]
    result = cli("show", uid)
    assert result.exit_code == 0, result.output
    assert "ssh -p 32771 cloudadm@127.0.0.1" in result.stdout
    assert "BEGIN" not in result.stdout
    assert "server" in result.stdout and "CONFIGURED" in result.stdout
    assert "0123456789ab" in result.stdout

    result = cli("show", uid, "--json")
    assert '"token": "-----BEGIN X"' in result.stdout


def test_show_unknown_id_prints_indigo_error(indigo: IndigoState) -> None:
    result = cli("show", "nope")
    assert result.exit_code == 1
    assert "404 Not Found: The deployment <nope> doesn't exist" in result.stderr
    assert "Traceback" not in result.output


def test_error_body_that_is_not_indigo_is_still_clear(indigo: IndigoState, monkeypatch) -> None:
    monkeypatch.setenv("CUMULO_URL", indigo.base_url + "/broken")
    result = cli("ls")
    assert result.exit_code == 1
    assert "error:" in result.stderr and "404" in result.stderr


def test_connection_refused_says_to_start_the_server(monkeypatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    monkeypatch.setenv("CUMULO_URL", f"http://127.0.0.1:{port}")
    result = cli("ls")
    assert result.exit_code == 1
    assert f"cannot reach cumulo at http://127.0.0.1:{port}" in result.stderr
    assert "cumulo serve" in result.stderr
    assert "Traceback" not in result.output


def test_rm_wait_until_gone(indigo: IndigoState) -> None:
    uid = indigo.add().data["uuid"]
    result = cli("rm", uid, "--wait", "--force")
    assert result.exit_code == 0, result.output
    assert f"{uid} deleted" in result.stdout
    (delete,) = [r for r in indigo.requests if r.method == "DELETE"]
    assert delete.query == {"force": ["true"]}
    assert "DELETE_IN_PROGRESS" in result.stderr


def test_rm_wait_delete_failed_exits_1(indigo: IndigoState) -> None:
    dep = indigo.add(statuses=["DELETE_IN_PROGRESS", "DELETE_FAILED"], statusReason="busy")
    result = cli("rm", dep.data["uuid"], "--wait")
    assert result.exit_code == 1
    assert "DELETE_FAILED" in result.stderr and "busy" in result.stderr


def test_rm_twice_is_a_conflict(indigo: IndigoState) -> None:
    uid = indigo.add().data["uuid"]
    assert cli("rm", uid).exit_code == 0
    result = cli("rm", uid)
    assert result.exit_code == 1
    assert "409 Conflict: Deployment already in DELETE_IN_PROGRESS state." in result.stderr


def test_logs_follow_prints_each_part_once(indigo: IndigoState) -> None:
    chunks = ["pulling image\n", "creating container\n", "ready\n"]
    dep = indigo.add(statuses=["CREATE_IN_PROGRESS"] * 3 + ["CREATE_COMPLETE"])
    dep.log_chunks = chunks
    result = cli("logs", dep.data["uuid"], "-f")
    assert result.exit_code == 0, result.output
    assert result.stdout == "".join(chunks)


def test_logs_without_follow(indigo: IndigoState) -> None:
    dep = indigo.add()
    dep.log_chunks = ["one\n", "two\n"]
    result = cli("logs", dep.data["uuid"])
    assert result.stdout == "one\n"


def test_template_prints_what_was_submitted(indigo: IndigoState, tmp_path) -> None:
    tpl = tmp_path / "t.yaml"
    tpl.write_text("tosca_definitions_version: tosca_simple_yaml_1_3\n# mine\n")
    result = cli("deploy", str(tpl))
    uid = indigo.order[0]
    result = cli("template", uid)
    assert result.exit_code == 0
    assert result.stdout == tpl.read_text()


@pytest.mark.parametrize("command", ["deploy", "ls", "show", "rm", "logs", "template"])
def test_every_command_has_help(command: str) -> None:
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "CUMULO_URL" in result.stdout


def test_deploy_invalid_template_errors_point_at_the_users_file(
    indigo: IndigoState, tmp_path
) -> None:
    tpl = tmp_path / "mine.yaml"
    tpl.write_text("tosca_definitions_version: tosca_simple_yaml_1_3\n")
    indigo.create_error = (
        "template.yaml:5:13: error: unknown node type 'tosca.nodes.Nope'\n"
        'error: input num_cpus: "abc" is not a float [inputs.num_cpus]'
    )
    result = cli("deploy", str(tpl), "--wait")
    assert result.exit_code == 1
    assert f"{tpl}:5:13: error: unknown node type 'tosca.nodes.Nope'" in result.stderr
    assert "template.yaml" not in result.stderr
    assert 'input num_cpus: "abc" is not a float' in result.stderr


def test_live_display_on_a_terminal_shows_status_resources_and_stops(
    indigo: IndigoState,
) -> None:
    import io

    from rich.console import Console

    from cumulo.cli.client.api import CumuloApi
    from cumulo.cli.client.progress import wait_for_final

    dep = indigo.add(statuses=["CREATE_IN_PROGRESS"] * 3 + ["CREATE_COMPLETE"])
    dep.resources = [
        {"uuid": "r1", "state": "CREATING", "toscaNodeName": "app",
         "toscaNodeType": "tosca.nodes.indigo.dockerRun"},
    ]  # fmt: skip
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    with CumuloApi(indigo.base_url) as api:
        final = wait_for_final(api, dep.data["uuid"], console)
    assert final is not None and final["status"] == "CREATE_COMPLETE"
    drawn = screen.getvalue()
    assert "CREATE_IN_PROGRESS" in drawn and "CREATE_COMPLETE" in drawn
    assert "tosca.nodes.indigo.dockerRun" in drawn and "CREATING" in drawn
    assert "deleted" not in drawn  # nothing is claimed before the first answer


def test_a_unique_prefix_names_a_deployment_and_ls_shows_descriptions(
    indigo: IndigoState,
) -> None:
    deps = [indigo.add(description=f"web number {i}") for i in range(3)]
    uid = deps[0].data["uuid"]
    # The shortest prefix of the first id that no other id shares.
    n = next(
        k for k in range(4, 36) if not any(d.data["uuid"].startswith(uid[:k]) for d in deps[1:])
    )
    result = cli("show", uid[:n], "--json")
    assert result.exit_code == 0, result.output
    assert f'"uuid": "{uid}"' in result.stdout
    result = cli("show", "ffff" if not uid.startswith("ffff") else "0000")
    if not any(d.data["uuid"].startswith(("ffff", "0000")) for d in deps):
        assert result.exit_code == 1 and "no deployment of yours" in result.stderr
    wide = runner.invoke(app, ["ls"], env={"COLUMNS": "200"})
    assert "DESCRIPTION" in wide.stdout and "web number 2" in wide.stdout


def test_deploy_vm_without_a_key_says_how_to_get_one(indigo: IndigoState) -> None:
    result = cli("deploy", "vm")  # this server has no keys route, as INDIGO's
    assert result.exit_code == 1
    assert "run `cumulo keys generate` or pass -p ssh_public_key=@FILE" in result.stderr
    assert not posts(indigo)

    indigo.keys = []  # cumulo's, and the user has no key yet
    result = cli("deploy", "vm")
    assert result.exit_code == 1 and "cumulo keys generate" in result.stderr
    assert not posts(indigo)


def test_deploy_vm_gets_the_newest_key_on_the_server(indigo: IndigoState) -> None:
    def key(name: str, created: str) -> dict:
        return {"id": name, "name": name, "fingerprint": f"SHA256:{name}",
                "publicKey": f"ssh-ed25519 AAAA{name}", "createdAt": created}  # fmt: skip

    indigo.keys = [key("old", "2026-01-01T10:00:00+00:00"), key("new", "2026-03-01T10:00:00+00:00")]
    result = cli("deploy", "vm")
    assert result.exit_code == 0, result.output
    assert "'new'" in result.stderr
    (post,) = posts(indigo)
    assert post.body["parameters"] == {"ssh_public_key": "ssh-ed25519 AAAAnew"}


def test_catalogue_errors_name_the_service_not_the_install_path(indigo: IndigoState) -> None:
    indigo.create_error = "template.yaml:16:5: error: input 'docker_image' is required"
    result = cli("deploy", "run-docker")
    assert result.exit_code == 1
    assert "run-docker:16:5: error: input 'docker_image' is required" in result.stderr
    assert str(catalogue.find("run-docker").parent) not in result.stderr


def test_help_has_no_stray_type_labels() -> None:
    client = [["deploy"], ["ls"], ["show"], ["rm"], ["logs"], ["template"], []]
    keys = [["keys", word] for word in ("ls", "add", "generate", "private", "rm")]
    for words in [*client, ["keys"], *keys]:
        result = cli(*words, "--help")
        assert result.exit_code == 0, words
        assert "<bool>" not in result.stdout, words


def test_wait_says_queued_then_what_the_deployment_waits_for(indigo: IndigoState) -> None:
    waiting = "waiting for the container app to answer on port 80"
    indigo.create_script = [
        "CREATE_IN_PROGRESS",  # task NONE: no worker has it yet
        {"task": "DEPLOYER", "statusReason": waiting},
        {"status": "CREATE_COMPLETE", "task": "NONE", "statusReason": None},
    ]
    result = cli("deploy", "run-docker", "-p", "docker_image=x", "--wait")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    queued = next(i for i, line in enumerate(lines) if "CREATE_IN_PROGRESS  queued" in line)
    assert waiting in lines[queued + 1]
    assert "CREATE_COMPLETE" in lines[queued + 2]
