"""The OpenStack driver's pure parts: credentials references, flavor and image choice,
security group rules, cloud-init user data, tags, states, and the retries of a call
whose API cannot be reached (no cloud needed)."""

from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest
import yaml
from keystoneauth1 import exceptions as ksa
from openstack import exceptions as sdk

from cumulo.drivers.base import NodeRequest
from cumulo.drivers.openstack import calls as calls_module
from cumulo.drivers.openstack.calls import CloudCalls, Unreachable
from cumulo.drivers.openstack.credentials import connection_config, federated_auth
from cumulo.drivers.openstack.networking import ANYWHERE, Rule, rules_of, wants_public_ip
from cumulo.drivers.openstack.sizing import (
    choose_flavor,
    choose_image,
    cloud_flavor,
    flavor_gpus,
    smallest_first,
)
from cumulo.drivers.openstack.states import fault_text, node_state
from cumulo.drivers.openstack.tags import deployment_tag, instance_tag, request_tags
from cumulo.drivers.openstack.userdata import cloud_config, user_data
from cumulo.errors import ImageNotFound, SiteError
from cumulo.federation import Flavor

COMPUTE = ("tosca.nodes.indigo.Compute", "tosca.nodes.Compute")
OPTIONS = {"project_name": "physics", "network": "private"}
# The test cloud's flavors as Nova lists them (g1.gpu asks a GPU through a PCI alias).
NOVA_FLAVORS = [
    SimpleNamespace(name="m1.large", vcpus=4, ram=8192, disk=80, extra_specs={}),
    SimpleNamespace(name="m1.tiny", vcpus=1, ram=512, disk=1, extra_specs={}),
    SimpleNamespace(
        name="g1.gpu", vcpus=8, ram=32768, disk=100,
        extra_specs={"pci_passthrough:alias": "nvidia-v100:1"},
    ),
    SimpleNamespace(name="m1.small", vcpus=1, ram=2048, disk=20, extra_specs={}),
    SimpleNamespace(name="m1.medium", vcpus=2, ram=4096, disk=40, extra_specs={}),
]  # fmt: skip
FLAVORS = smallest_first([cloud_flavor(f) for f in NOVA_FLAVORS])
IMAGES = {"ubuntu": {"20.04": "ubuntu-20.04", "22.04": "ubuntu-22.04"}, "debian": {"12": "d-12"}}


def vm(capabilities: dict | None = None, properties: dict | None = None, **kw) -> NodeRequest:
    return NodeRequest(
        "dep-1", "server", 0, COMPUTE[0], COMPUTE, properties or {}, capabilities or {}, **kw
    )


# -- credentials ----------------------------------------------------------------


def test_each_credentials_form_becomes_its_keystone_auth(monkeypatch, tmp_path) -> None:
    url = "http://127.0.0.1:5000/v3"
    ac = connection_config("s", url, "application-credential:abc:s3cret", {})
    assert ac["auth_type"] == "v3applicationcredential"
    assert ac["auth"] == {
        "auth_url": url, "application_credential_id": "abc",
        "application_credential_secret": "s3cret",
    }  # fmt: skip
    pw = connection_config("s", url, "password:alice:pa:ss", OPTIONS)
    assert pw["auth"]["username"] == "alice" and pw["auth"]["password"] == "pa:ss"
    assert pw["auth"]["project_name"] == "physics"
    assert pw["auth"]["user_domain_name"] == "Default"
    tok = connection_config("s", url, "token:gAAAA", {"project_id": "p1"})
    assert (tok["auth_type"], tok["auth"]["token"], tok["auth"]["project_id"]) == (
        "v3token", "gAAAA", "p1",
    )  # fmt: skip
    monkeypatch.setenv("SITE_CREDS", "token:from-env")
    assert connection_config("s", url, "env:SITE_CREDS", OPTIONS)["auth"]["token"] == "from-env"
    secret = tmp_path / "creds"
    secret.write_text("application-credential:id9:from-file\n")
    got = connection_config("s", url, f"file:{secret}", {})
    assert got["auth"]["application_credential_secret"] == "from-file"


def test_a_clouds_yaml_reference_reads_that_cloud(tmp_path) -> None:
    clouds = tmp_path / "clouds.yaml"
    auth = {
        "auth_url": "http://127.0.0.1:5000/v3",
        "username": "u",
        "password": "p",
        "project_name": "pr",
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }
    clouds.write_text(yaml.safe_dump({"clouds": {"here": {"auth": auth, "region_name": "R1"}}}))
    config = connection_config("s", "", "clouds:here", {"clouds_yaml": str(clouds)})["config"]
    assert config.name == "here" and config.get_region_name() == "R1"
    assert config.auth["username"] == "u"


@pytest.mark.parametrize(
    ("reference", "options", "message"),
    [
        (None, {}, "no credentials"),
        ("secret-in-clear", OPTIONS, "unknown form 'secret-in-clear'"),
        ("password:alice", OPTIONS, "expected password:USER:PASSWORD"),
        ("password:alice:pw", {}, "project_name or project_id is required"),
        ("env:CUMULO_NOT_SET_ANYWHERE", {}, "the variable is not set"),
        ("clouds:nowhere", {"clouds_yaml": "/nonexistent/clouds.yaml"}, "does not exist"),
    ],
)
def test_bad_credentials_references_are_clear_errors(reference, options, message) -> None:
    with pytest.raises(SiteError, match=message) as err:
        connection_config("s", "http://127.0.0.1:5000/v3", reference, options)
    assert "pw" not in str(err.value).replace("password", "")  # never echoes a secret


def test_keystone_federation_uses_the_users_access_token() -> None:
    options = {"identity_provider": "infn-iam", "project_name": "physics"}
    got = federated_auth("http://127.0.0.1:5000/v3", options, "eyJ.token")
    assert got["auth_type"] == "v3oidcaccesstoken"
    assert got["auth"]["protocol"] == "openid" and got["auth"]["access_token"] == "eyJ.token"
    with pytest.raises(SiteError, match="identity_provider is required"):
        federated_auth("http://127.0.0.1:5000/v3", {"project_name": "p"}, "t")


# -- flavors and images --------------------------------------------------------------


def test_the_smallest_fitting_flavor_is_chosen_and_gpus_need_a_gpu_flavor() -> None:
    assert [f.name for f in FLAVORS][:2] == ["m1.tiny", "m1.small"]
    assert FLAVORS[-1] == Flavor("g1.gpu", 8, 32768, 100, 1)
    assert choose_flavor(vm({"host": {"num_cpus": 1, "mem_size": "2 GB"}}), "s", FLAVORS) == (
        "m1.small"
    )
    assert choose_flavor(vm({"host": {"num_cpus": 2, "mem_size": "1 GB"}}), "s", FLAVORS) == (
        "m1.medium"
    )
    assert choose_flavor(vm({"host": {"num_gpus": 1}}), "s", FLAVORS) == "g1.gpu"
    assert choose_flavor(vm({"host": {"instance_type": "m1.large"}}), "s", FLAVORS) == "m1.large"
    with pytest.raises(SiteError, match=r"no flavor 'x1\.huge'.*m1\.tiny"):
        choose_flavor(vm({"host": {"instance_type": "x1.huge"}}), "s", FLAVORS)
    with pytest.raises(SiteError, match="no flavor of site s fits 16 CPU"):
        choose_flavor(vm({"host": {"num_cpus": 16}}), "s", FLAVORS)
    assert flavor_gpus({"pci_passthrough:alias": "a:2,b:1"}) == 3
    assert flavor_gpus({"resources:VGPU": "1"}) == 1


def test_the_image_comes_from_the_sites_map_or_by_name() -> None:
    os_cap = {"os": {"distribution": "Ubuntu", "version": "20.04"}}
    assert choose_image(vm(os_cap), "s", IMAGES) == "ubuntu-20.04"
    assert choose_image(vm({"os": {"distribution": "debian", "version": 12.0}}), "s", IMAGES) == (
        "d-12"
    )
    assert choose_image(vm({"os": {"distribution": "ubuntu"}}), "s", IMAGES) == "ubuntu-22.04"
    assert choose_image(vm({"os": {"image": "my-own-image"}}), "s", IMAGES) == "my-own-image"
    with pytest.raises(ImageNotFound, match=r"'centos 7'; it offers: ubuntu 20\.04, ubuntu 22\.04"):
        choose_image(vm({"os": {"distribution": "centos", "version": "7"}}), "s", IMAGES)


# -- networking ------------------------------------------------------------------------


def test_indigo_port_specs_become_security_group_rules_with_ssh() -> None:
    ports = {
        "http": {"protocol": "tcp", "source": 80},
        "grid": {"protocol": "udp", "source_range": [9000, 9010], "remote_cidr": "10.1.2.3/8"},
        "ping": {"protocol": "icmp"},
    }
    rules = rules_of(vm({"endpoint": {"network_name": "PUBLIC", "ports": ports}}))
    assert rules == [
        Rule("tcp", 22, 22),
        Rule("tcp", 80, 80),
        Rule("udp", 9000, 9010, "10.0.0.0/8"),
        Rule("icmp", None, None, ANYWHERE),
    ]
    assert rules_of(vm({"endpoint": {"ports": ["8080:80", "53/udp"]}}))[1:] == [
        Rule("tcp", 80, 80), Rule("udp", 53, 53),
    ]  # fmt: skip
    assert wants_public_ip(vm({"endpoint": {"network_name": "PUBLIC"}}))
    assert not wants_public_ip(vm({"endpoint": {"network_name": "PRIVATE"}}))


@pytest.mark.parametrize(
    ("ports", "message"),
    [
        ({"x": {"protocol": "tcp", "source": 70000}}, "not a port number"),
        ({"x": {"protocol": "gre", "source": 1}}, "protocol 'gre'"),
        ({"x": {"source": 80, "remote_cidr": "everywhere"}}, "remote_cidr 'everywhere'"),
        ({"x": {"source_range": [90, 80]}}, "ends before it starts"),
    ],
)
def test_bad_port_specs_say_where(ports, message) -> None:
    with pytest.raises(SiteError, match=f"node server: capabilities.endpoint.ports: .*{message}"):
        rules_of(vm({"endpoint": {"ports": ports}}))


# -- user data, tags, states -------------------------------------------------------------


def test_user_data_makes_the_accounts_with_their_keys_and_mounts_volumes() -> None:
    request = vm(
        properties={"os_users": [{"os_user_name": "carol", "os_user_add_to_sudoers": False,
                                  "os_user_ssh_public_key": "ssh-ed25519 CCCC carol"}]},
        ssh_user="bob", ssh_public_keys=("ssh-ed25519 BBBB bob",),
    )  # fmt: skip
    volume = "0123456789abcdef0123456789abcdef"
    text = base64.b64decode(user_data(request, {volume: "/data"})).decode()
    assert text.startswith("#cloud-config\n")
    doc = yaml.safe_load(text)
    users = {u["name"]: u for u in doc["users"][1:]}
    assert users["bob"]["ssh_authorized_keys"] == ["ssh-ed25519 BBBB bob"]
    assert users["bob"]["sudo"] and "sudo" not in users["carol"]
    device = "/dev/disk/by-id/virtio-0123456789abcdef0123"
    assert doc["mounts"] == [[device, "/data", "auto", "defaults,nofail", "0", "2"]]
    assert "keypair" not in text
    bad = vm(properties={"os_users": [{"os_user_name": "root;rm", "os_user_ssh_public_key": ""}]})
    with pytest.raises(SiteError, match="not a valid account name"):
        cloud_config(bad, {})


def test_tags_name_the_deployment_and_the_instance_within_novas_limits() -> None:
    a, b = request_tags(vm()), request_tags(vm())
    assert a == b and a[0] == "cumulo-d-dep-1" and a[1].startswith("cumulo-i-")
    assert instance_tag("dep-1", "server", 0) != instance_tag("dep-1", "server", 1)
    long_tag = deployment_tag("x" * 100 + "/,")
    assert len(long_tag) <= 60 and "/" not in long_tag and "," not in long_tag


def test_server_statuses_map_to_node_states_and_faults_are_read() -> None:
    assert [node_state(s) for s in ("ACTIVE", "BUILD", "SHUTOFF", "ERROR", "DELETED")] == [
        "STARTED", "STARTED", "STOPPED", "ERROR", "DELETED",
    ]  # fmt: skip
    assert node_state("ACTIVE", "deleting") == "DELETING"
    assert node_state("SOMETHING_NEW") == "ERROR"
    # Nova's fault as the API returns it for a server that failed to schedule:
    server = SimpleNamespace(fault={
        "code": 500, "created": "2026-11-30T23:53:15Z",
        "message": "No valid host was found. There are not enough hosts available.",
    })  # fmt: skip
    assert fault_text(server) == "No valid host was found. There are not enough hosts available."
    assert fault_text(SimpleNamespace(fault=None)) == "no fault message from the cloud"


# -- calls: retries and errors ---------------------------------------------------------------


def _calls(monkeypatch) -> CloudCalls:
    calls = CloudCalls("s", "http://127.0.0.1:5000/v3", "token:t", OPTIONS)
    monkeypatch.setattr(calls_module, "Connection", lambda **kw: object())
    calls.retry_delays = (0.0, 0.0, 0.0)
    return calls


def test_an_unreachable_api_is_retried_then_given_up(monkeypatch) -> None:
    calls = _calls(monkeypatch)
    tries: list[int] = []

    def flaky(conn: object) -> str:
        tries.append(1)
        if len(tries) < 3:
            raise ksa.ConnectFailure("Unable to establish connection to http://127.0.0.1:8774")
        return "made"

    assert calls.call("node vm", flaky) == "made" and len(tries) == 3

    def down(conn: object) -> str:
        tries.append(1)
        raise ksa.ConnectFailure("Unable to establish connection to http://127.0.0.1:8774")

    tries.clear()
    with pytest.raises(Unreachable, match="node vm: the API of site s is unreachable"):
        calls.call("node vm", down)
    assert len(tries) == 4  # the first try and three retries


def test_cloud_errors_carry_the_clouds_message(monkeypatch) -> None:
    calls = _calls(monkeypatch)
    quota = sdk.HttpException(
        message="ForbiddenException: 403", http_status=403,
        details="Quota exceeded for instances: Requested 1, but already used 10 of 10 instances",
    )  # fmt: skip

    def over(conn: object) -> None:
        raise quota

    with pytest.raises(SiteError, match="node vm: site s: Quota exceeded for instances"):
        calls.call("node vm", over)

    def refused(conn: object) -> None:
        raise ksa.Unauthorized("The request you have made requires authentication. (HTTP 401)")

    with pytest.raises(SiteError, match="site s refused the credentials: The request"):
        calls.call("site s", refused)
