"""The compose policy as a pure function: what a user's compose file may ask for on a shared
site, and how it is rewritten (ports on 127.0.0.1, labels, no pass-through environment)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from cumulo.drivers.docker.compose_env import container_environment, redact
from cumulo.drivers.docker.compose_policy import ComposeContext, ComposePolicy, check
from cumulo.drivers.docker.ports import MAX_PUBLISHED_PORTS
from cumulo.errors import SiteError

LABELS = {"cumulo.deployment": "d1", "cumulo.site": "s"}


def run(text: str, policy: ComposePolicy | None = None, project: Path = Path("/nowhere"),
        env: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    ctx = ComposeContext("app", "s", project, LABELS, lambda image: True, "json-file", env or {})
    return check(yaml.safe_load(text), policy or ComposePolicy(), ctx)


def refused(text: str, policy: ComposePolicy | None = None, **kwargs: Any) -> str:
    with pytest.raises(SiteError) as caught:
        run(text, policy, **kwargs)
    message = str(caught.value)
    assert message.startswith("node app: ") and "of site s" in message, message
    return message


def svc(extra: str) -> str:
    return "services:\n  a:\n    image: x\n" + "".join(
        f"    {line}\n" for line in extra.split("\n")
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # 3. host bind mounts, relative ones too
        (svc("volumes: ['./data:/data']"), "./data: host bind mounts are not allowed on this site"),
        (svc("volumes: ['/:/host']"), "use a named volume"),
        (svc("volumes: [{type: bind, source: /tmp, target: /t}]"), "host bind mounts"),
        (svc("env_file: [/etc/passwd]"), "env files are host files"),
        (svc("volumes: ['/var/run/docker.sock:/s']"), "mounting the Docker socket"),
        # 4. names outside the deployment
        (svc("volumes: ['alice_data:/d']"), "volume 'alice_data' is not declared"),
        ("services: {a: {image: x}}\nvolumes: {d: {name: alice_data}}", "volumes.d.name"),
        ("services: {a: {image: x}}\nvolumes: {d: {external: true}}", "volumes.d.external"),
        ("services: {a: {image: x}}\nvolumes: {d: {external: {name: v}}}", "volumes.d.external"),
        ("services: {a: {image: x}}\nnetworks: {n: {name: alice_net}}", "networks.n.name"),
        ("services: {a: {image: x}}\nnetworks: {n: {external: true}}", "networks.n.external"),
        ("services: {a: {image: x}}\nvolumes: {d: {driver: nfs}}", "only the local driver"),
        ("services: {a: {image: x}}\nvolumes: {d: {driver_opts: {device: /}}}", "driver_opts"),
        ("services: {a: {image: x}}\nnetworks: {n: {driver: host}}", "only the bridge driver"),
        (svc("networks: [alice_net]"), "network 'alice_net' is not declared"),
        (svc("network_mode: alice_net"), "network_mode: alice_net is not allowed"),
        (svc("network_mode: bridge"), "network_mode: bridge is not allowed"),
        (svc("network_mode: 'container:abc'"), "network_mode: container:abc"),
        (svc("network_mode: 'service:elsewhere'"), "network_mode: service:elsewhere"),
        ("name: alice\nservices: {a: {image: x}}", "name: the project is named by cumulo"),
        (svc("labels: {cumulo.deployment: other}"), "the label 'cumulo.deployment' is reserved"),
        (svc("labels: ['com.docker.compose.project=x']"), "is reserved"),
        ("services: {a: {image: x}}\nvolumes: {d: {labels: {cumulo.site: x}}}", "reserved"),
        # namespaces and privileges
        (svc("privileged: true"), "privileged containers are not allowed"),
        (svc("network_mode: host"), "network_mode: host"),
        (svc("pid: host"), "pid: host"),
        (svc("cap_add: [ALL]"), "the key 'cap_add' is not allowed"),
        (svc("devices: ['/dev/sda:/dev/sda']"), "the key 'devices' is not allowed"),
        (svc("security_opt: ['seccomp:unconfined']"), "the key 'security_opt'"),
        (svc("deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}"),
         "only cpus and memory"),
        # 6. logging
        (svc("logging: {driver: syslog, options: {syslog-address: 'tcp://127.0.0.1:1'}}"),
         "logging driver 'syslog' is not the site's (json-file)"),
        (svc("logging: {driver: json-file, options: {labels: x, tag: y}}"),
         "options.labels, options.tag not allowed"),
        # 7. ports
        (svc("ports: ['8000-8119:8000-8119']"), "120 host ports asked for, more than the 100"),
        (svc("ports: ['1000-1001:80-82']"), "ranges differ in length"),
        (svc("ports: ['x:80']"), "is not a port"),
        # other top-level keys that read host files
        ("services: {a: {image: x}}\nsecrets: {s: {file: /etc/shadow}}",
         "secrets: is not an allowed top-level key"),
    ],
)  # fmt: skip
def test_refusals_name_the_key_and_the_rule(text: str, message: str) -> None:
    assert message in refused(text)


def test_port_cap_counts_every_service() -> None:
    half = MAX_PUBLISHED_PORTS // 2 + 1
    text = ("services:\n" + "".join(f"  s{i}:\n    image: x\n    ports: ['1-{half}']\n"
                                    for i in range(2)))  # fmt: skip
    assert "ports of all services" in refused(text)


def test_what_the_site_imposes_is_written_in() -> None:
    text = """
services:
  web:
    image: x
    ports: ["0.0.0.0:8080:80", "9000-9001", {target: 53, published: 5353, protocol: udp}]
    labels: {team: blue}
    environment: [PLAIN=1, FROM_USER, FROM_PROCESS, "DOLLAR"]
    logging: {options: {max-size: 1m}}
    networks: [back]
    volumes: ["data:/d", "/anon"]
  side:
    image: x
    network_mode: "service:web"
volumes: {data: {}}
networks: {back: {labels: [team=blue]}}
"""
    doc = run(text, env={"FROM_USER": "v", "DOLLAR": "a$b"})
    web = doc["services"]["web"]
    assert web["ports"] == ["127.0.0.1:8080:80/tcp", "127.0.0.1::9000-9001/tcp",
                            "127.0.0.1:5353:53/udp"]  # fmt: skip
    assert web["labels"] == {"team": "blue", **LABELS}
    # no variable is left for compose to take from its own process's environment
    assert web["environment"] == {"PLAIN": "1", "FROM_USER": "v", "DOLLAR": "a$$b"}
    assert web["logging"] == {"driver": "json-file", "options": {"max-size": "1m"}}
    assert doc["services"]["side"]["logging"] == {"driver": "json-file"}
    assert doc["volumes"]["data"]["labels"] == LABELS
    assert doc["networks"]["back"]["labels"] == {"team": "blue", **LABELS}


def test_host_paths_resolve_through_symlinks_and_are_read_only(tmp_path: Path) -> None:
    root, outside = tmp_path / "shared", tmp_path / "elsewhere"
    (root / "data").mkdir(parents=True)
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    (root / "up").symlink_to("/")
    policy = ComposePolicy(host_path_roots=(str(root),))
    doc = run(svc(f"volumes: ['{root}/data:/d:rw', {{type: bind, source: {root}, target: /r}}]"),
              policy)  # fmt: skip
    real = os.path.realpath(root)
    assert doc["services"]["a"]["volumes"] == [
        f"{real}/data:/d:ro",
        {"type": "bind", "source": real, "target": "/r", "read_only": True},
    ]
    for link in ("escape", "up", "up/etc", "data/../../elsewhere"):
        assert "is outside the site's host path roots" in refused(
            svc(f"volumes: ['{root}/{link}:/x']"), policy
        )
    # a relative path resolves against the project folder, which is no root
    assert "is outside" in refused(svc("volumes: ['./x:/x']"), policy, project=tmp_path / "p")


def test_container_environment_forms() -> None:
    env = {"A": "1"}
    given = {"A": None, "B": None, "C": 3}
    assert container_environment("n", "w", given, env) == {"A": "1", "C": 3}
    assert container_environment("n", "w", ["A", "B", "C=x=y"], env) == {"A": "1", "C": "x=y"}


def test_errors_mask_the_users_values() -> None:
    env = {"DB_PASSWORD": "hunter2-secret", "HOST_PUBLIC_IP": "127.0.0.1", "X": "ab"}
    assert redact("bad 'hunter2-secret' at 127.0.0.1 ab", env) == "bad '***' at 127.0.0.1 ab"


def test_relaxed_policy_lets_deployments_share_named_objects() -> None:
    text = "services: {a: {image: x}}\nvolumes: {d: {external: true}}"
    assert run(text, ComposePolicy(allow_external=True))["volumes"]["d"] == {"external": True}
