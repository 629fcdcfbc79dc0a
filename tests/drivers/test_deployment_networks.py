"""Each deployment's containers on a network of their own: two nodes of one deployment reach
each other; another deployment's container cannot reach them; the network goes with the
deployment. A port range over the cap is refused before anything is made."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from driver_helpers import deadline, labelled, run_request, vm_request

from cumulo.drivers.docker import DockerDriver
from cumulo.drivers.docker.ports import MAX_PUBLISHED_PORTS
from cumulo.errors import SiteError

pytestmark = pytest.mark.e2e


def _address_and_network(engine, physical_id: str) -> tuple[str, str]:
    networks = engine.containers.get(physical_id).attrs["NetworkSettings"]["Networks"]
    ((name, settings),) = networks.items()
    return settings["IPAddress"], name


def _reaches(engine, physical_id: str, address: str) -> bool:
    """Whether an HTTP answer (any status) comes back from ``address`` within 3 s."""
    probe = f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 {address} 8080 | head -1"
    done = engine.containers.get(physical_id).exec_run(["sh", "-c", probe])
    return "HTTP/" in done.output.decode()


def test_deployments_do_not_share_a_network(driver: DockerDriver, make_deployment, engine):
    mine, other = make_deployment(), make_deployment()
    made = {}
    for dep, node in ((mine, "a"), (mine, "b"), (other, "x")):
        request = run_request(dep, node)
        made[node] = driver.wait_ready(request, driver.create(request), deadline()).physical_id
    (a_ip, a_net), (b_ip, b_net) = (_address_and_network(engine, made[n]) for n in "ab")
    x_net = _address_and_network(engine, made["x"])[1]
    assert a_net == b_net != x_net and "bridge" not in (a_net, x_net)
    assert engine.networks.get(a_net).attrs["Labels"]["cumulo.deployment"] == mine
    assert _reaches(engine, made["a"], b_ip)  # the same deployment's nodes talk
    assert not _reaches(engine, made["x"], a_ip)  # another deployment's do not
    driver.delete_deployment(mine)
    assert not engine.networks.list(filters={"label": f"cumulo.deployment={mine}"})


@pytest.mark.parametrize("kind", ["run", "vm"])
def test_one_port_cap_for_every_node_kind(driver: DockerDriver, deployment, engine, kind):
    half = [{"source_range": [9000, 9000 + MAX_PUBLISHED_PORTS // 2]},
            {"source_range": [10000, 10000 + MAX_PUBLISHED_PORTS // 2]}]  # fmt: skip
    if kind == "run":
        request = run_request(deployment, docker_ports=half)
    else:
        request = vm_request(deployment, None, capabilities={"endpoint": {"ports": half}})
    with pytest.raises(SiteError, match=f"more than the {MAX_PUBLISHED_PORTS} ports one node"):
        driver.create(request)
    assert not labelled(engine, deployment)
    assert not engine.networks.list(filters={"label": f"cumulo.deployment={deployment}"})


def test_nodes_made_at_once_share_one_network(driver: DockerDriver, make_deployment, engine):
    """The nodes of an attempt are made at the same time (engine.lifecycle.frontier): the
    first uses of the deployment's network must not each make one."""
    dep = make_deployment()
    nodes = [f"n{i}" for i in range(4)]
    start = threading.Barrier(len(nodes))

    def make(node: str) -> str:
        request = run_request(dep, node)
        start.wait()
        return driver.wait_ready(request, driver.create(request), deadline()).physical_id

    try:
        with ThreadPoolExecutor(len(nodes)) as pool:
            made = list(pool.map(make, nodes))
        networks = engine.networks.list(filters={"label": f"cumulo.deployment={dep}"})
        assert len(networks) == 1
        assert {_address_and_network(engine, pid)[1] for pid in made} == {networks[0].name}
    finally:
        driver.delete_deployment(dep)
    assert not engine.networks.list(filters={"label": f"cumulo.deployment={dep}"})
