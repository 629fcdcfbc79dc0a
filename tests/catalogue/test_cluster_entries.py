"""The Kubernetes and Apache Mesos clusters (issue 17, item 6): INFN's input and output names,
nodes on tosca.nodes.indigo.Compute configured by INDIGO's Ansible roles, and placement on
full virtual machines only: the local Docker site is left out with the reason, an OpenStack
site takes them. The cloud's own pass is tests/e2e/test_openstack_clusters.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from tests.tosca import corpus

from cumulo.auth.identity import LOCAL_ADMIN
from cumulo.catalogue import TEMPLATES_DIR
from cumulo.catalogue.entries import load_entry
from cumulo.catalogue.folders import scan
from cumulo.config import Settings
from cumulo.drivers.docker_images import DEFAULT_IMAGES
from cumulo.engine.requests.deployments import NewDeployment, create_deployment
from cumulo.engine.runtime import Engine
from cumulo.engine.sites.definitions import SiteDef
from cumulo.engine.sites.registry import save_site
from cumulo.engine.sites.scheduling import decide, needs_of
from cumulo.errors import BadRequest
from cumulo.store.models import Deployment
from cumulo.tosca import Processor

ROLE = "tosca.artifacts.AnsibleGalaxy.role"
CLUSTERS: dict[str, dict[str, Any]] = {  # entry -> its required inputs
    "kubernetes": {"admin_token": "a-token-of-twenty-chars"},
    "mesos": {"mesos_password": "mesos-pass-1", "marathon_password": "marathon-pass-1"},
}
# INFN's (and INDIGO's) names for what a user chooses and what the cluster answers with.
INPUTS = {
    "kubernetes": {"wn_num", "fe_cpus", "fe_mem", "wn_cpus", "wn_mem", "admin_username",
                   "admin_token", "kube_version"},
    "mesos": {"mesos_password", "marathon_password", "slave_num", "slave_cpus", "slave_mem",
              "master_cpus", "master_mem"},
}  # fmt: skip
OUTPUTS = {
    "kubernetes": {"k8s_dashboard", "k8s_api", "k8s_master_ip", "k8s_wn_ip", "ssh_account"},
    "mesos": {"mesos_endpoint", "marathon_endpoint", "mesos_master", "mesos_lb_ip",
              "ssh_account"},
}  # fmt: skip
ROLES = {  # the Galaxy roles INDIGO's types name, per component
    "lrms_front_end": {"indigo-dc.kubernetes,master", "indigo-dc.nfs,master"},
    "wn_node": {"indigo-dc.kubernetes,master", "indigo-dc.nfs,master"},
    "mesos_master": {f"indigo-dc.{r},master" for r in
                     ("docker", "consul", "zookeeper", "mesos", "marathon")},
    "mesos_slave": {f"indigo-dc.{r},master" for r in ("docker", "consul", "mesos")},
    "mesos_load_balancer": {f"indigo-dc.{r},master" for r in
                            ("docker", "consul", "marathon-lb")},
}  # fmt: skip
CLOUD = SiteDef(
    name="cloud",
    kind="openstack",
    endpoint="http://127.0.0.1:9/v3",  # never called: these tests stop at the decision
    public=True,
    flavors=[{"name": "m1.small", "vcpus": 1, "ram": 2048},
             {"name": "m1.medium", "vcpus": 2, "ram": 4096}],
    images={"ubuntu": {"22.04": "ubuntu-22.04"}},
)  # fmt: skip
LOCAL = SiteDef(name="local", kind="docker", public=True, images=DEFAULT_IMAGES)


def entry(name: str):
    found = load_entry(scan([TEMPLATES_DIR]).sources[name], Processor())
    assert found.ok, [str(i) for i in found.issues]
    return found


def plan(name: str, **inputs: Any):
    return Processor().plan(entry(name).template, {**CLUSTERS[name], **inputs})


@pytest.fixture
def engine(tmp_path: Path):
    eng = Engine(Settings(data_dir=tmp_path))
    save_site(eng, LOCAL)
    yield eng
    eng.close()


@pytest.mark.parametrize("name", sorted(CLUSTERS))
def test_the_entry_loads_with_infns_names_and_a_card(name: str) -> None:
    found = entry(name)
    topology = yaml.safe_load(found.text)["topology_template"]
    assert set(topology["inputs"]) == INPUTS[name]
    assert set(topology["outputs"]) == OUTPUTS[name]
    assert found.metadata["icon"] == name
    assert found.metadata["category"] == "clusters"
    assert "local site cannot run" in found.description


def test_kubernetes_plans_a_master_and_the_workers_asked_for_each_configured_by_roles() -> None:
    p = plan("kubernetes", wn_num=3, wn_cpus=1, wn_mem="2 GB", kube_version="1.23.6")
    by_node: dict[str, list[Any]] = {}
    for inst in p.instances:
        by_node.setdefault(inst.node, []).append(inst)
    assert {n: len(i) for n, i in by_node.items()} == {
        "lrms_server": 1, "lrms_front_end": 1, "lrms_wn": 3, "wn_node": 3,
    }  # fmt: skip
    for server in ("lrms_server", "lrms_wn"):
        assert by_node[server][0].type == "tosca.nodes.indigo.Compute"
    assert [w.host for w in by_node["wn_node"]] == ["lrms_wn"] * 3
    configure = by_node["wn_node"][0].interfaces["Standard"]["configure"]
    assert configure.implementation == "playbooks/kubernetes/worker.yml"
    assert configure.inputs["kube_version"] == "1.23.6"
    front = by_node["lrms_front_end"][0].interfaces["Standard"]["configure"]
    assert front.inputs["kube_admin_token"] == "a-token-of-twenty-chars"
    needs = needs_of(p)
    assert needs.full_vm == ("lrms_front_end", "wn_node")
    workers = next(c for c in needs.computes if c.node == "lrms_wn")
    assert (workers.count, workers.cpus, workers.ram_mb) == (3, 1.0, 2000.0)
    assert (workers.distribution, workers.version) == ("ubuntu", "22.04")


def test_mesos_plans_a_master_the_agents_asked_for_and_a_load_balancer() -> None:
    p = plan("mesos", slave_num=3)
    nodes = [i.node for i in p.instances]
    assert nodes.count("mesos_slave_server") == 3 and nodes.count("mesos_slave") == 3
    assert {"mesos_master_server", "mesos_master", "mesos_lb_server"} <= set(nodes)
    assert needs_of(p).full_vm == ("mesos_master", "mesos_slave", "mesos_load_balancer")


@pytest.mark.parametrize("name", sorted(CLUSTERS))
def test_each_component_names_indigos_galaxy_roles_and_a_playbook_ansible_accepts(
    name: str,
) -> None:
    for inst in plan(name).instances:
        if inst.node not in ROLES:
            continue
        roles = {a["file"] for a in inst.artifacts.values() if a["type"] == ROLE}
        assert roles == ROLES[inst.node], inst.node
        playbook = TEMPLATES_DIR / inst.interfaces["Standard"]["configure"].implementation
        ansible = Path(sys.executable).parent / "ansible-playbook"
        check = [str(ansible), "--syntax-check", "-i", "localhost,", str(playbook)]
        done = subprocess.run(check, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", sorted(CLUSTERS))
def test_the_local_site_alone_refuses_at_request_saying_why(engine: Engine, name: str) -> None:
    text = entry(name).text
    with pytest.raises(BadRequest) as err:
        create_deployment(engine, NewDeployment(template=text, parameters=CLUSTERS[name]),
                          LOCAL_ADMIN)  # fmt: skip
    message = str(err.value)
    assert "needs a full virtual machine" in message, message
    assert "the machines of site local are containers sharing its host's kernel" in message
    with engine.db.session() as s:
        assert list(s.scalars(select(Deployment.id))) == []


@pytest.mark.parametrize("name", sorted(CLUSTERS))
def test_an_openstack_site_takes_them_and_the_local_site_says_why_not(
    engine: Engine, name: str
) -> None:
    save_site(engine, CLOUD)  # no full_vm given: an OpenStack site's machines are VMs
    decision, needs = decide(engine, plan(name, **small(name)), None, None)
    assert decision.ranked == ["cloud"]
    assert decision.verdict("cloud").flavors  # type: ignore[union-attr]
    reason = decision.verdict("local").reason  # type: ignore[union-attr]
    assert f"node {needs.full_vm[0]} needs a full virtual machine" in reason
    # An admin who says the cloud's machines are not full VMs (containers, say) is believed.
    says_no = SiteDef.model_validate({**CLOUD.model_dump(), "capabilities": {"full_vm": False}})
    save_site(engine, says_no, replace=True)
    decision, _ = decide(engine, plan(name, **small(name)), None, None)
    assert decision.ranked == []
    assert "site cloud are containers" in (decision.problem or "")


def small(name: str) -> dict[str, Any]:
    """Sizes the test cloud's flavors hold (m1.small, m1.medium)."""
    if name == "kubernetes":
        return {"wn_num": 1, "fe_cpus": 2, "fe_mem": "2 GB", "wn_cpus": 1, "wn_mem": "2 GB"}
    return {"slave_num": 1, "master_cpus": 2, "master_mem": "2 GB", "slave_mem": "2 GB"}


@pytest.mark.skipif(not corpus.available(), reason=f"{corpus.CORPUS_DIR} is absent")
@pytest.mark.parametrize(
    ("example", "inputs", "nodes"),
    [
        ("kubernetes_cluster.yaml", {}, ("lrms_front_end", "wn_node")),
        ("mesos_cluster.yaml",
         {"mesos_password": "m", "marathon_password": "n", "chronos_password": "o"},
         ("mesos_master", "mesos_slave", "mesos_load_balancer")),
    ],
)  # fmt: skip
def test_indigos_own_cluster_templates_ask_for_full_vms_by_their_types(
    example: str, inputs: dict[str, Any], nodes: tuple[str, ...]
) -> None:
    processor = Processor(import_map=corpus.import_map())
    path = corpus.TYPES_DIR / "examples" / example
    template = processor.load_text(path.read_text(), name=example)
    assert needs_of(processor.plan(template, inputs)).full_vm == nodes
