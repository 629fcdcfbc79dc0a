"""OpenStack sites (issue 15): create -> CREATE_COMPLETE on the test cloud, and many at once.

1. one: POST -> CREATE_COMPLETE of a virtual machine with a public address on the
   test cloud (``scripts/test-cloud up``), through a real ``cumulo serve``; beside it,
   in the same run and in turn, the same cloud calls made one after the other by hand
   (security group and SSH rule, port, floating IP, server, until ACTIVE) with the
   ``openstack`` CLI and with openstacksdk in one process. Target: cumulo / CLI <= 1.2.
2. many: N deployments (default 50) posted at once to a server with two workers;
   the time until all are CREATE_COMPLETE, and until all are deleted.
3. cycles: C create/delete cycles (default 100, 4 at a time, two workers) of a VM with a
   public address and a 1 GB volume; then, as the cloud's admin, what is left of them
   (servers, ports, floating IPs, security groups, volumes: must be nothing). Beside it,
   the same cycle by hand with openstacksdk (``--baseline-cycles``, one at a time).

Usage: .venv/bin/python bench/openstack_sites.py [--only one,many,cycles] [--runs 3]
       [--deployments 50] [--cycles 100] [--baseline-cycles 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openstack
import openstack.config
import openstack.connection
import yaml
from harness import Api, BenchError, cumulo_server, require_complete, summary

ROOT = Path(__file__).resolve().parents[1]
TC = ROOT / "var" / "test-cloud"
CLOUD = "cumulo-test"
TEMPLATE = """
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - indigo_custom_types: https://cumulo.dev/tosca/indigo/custom_types.yaml
topology_template:
  node_templates:
    vm:
      type: tosca.nodes.indigo.Compute
      capabilities:
        endpoint: {properties: {network_name: PUBLIC}}
        host: {properties: {num_cpus: 1, mem_size: 512 MB}}
        os: {properties: {distribution: debian, version: "12"}}
  outputs:
    node_ip: {value: {get_attribute: [vm, public_address, 0]}}
"""


# A VM with a public address and a volume: every kind of object cumulo makes on a cloud.
WITH_VOLUME = TEMPLATE.replace(
    """  outputs:""",
    """      requirements:
        - local_storage:
            node: disk
            capability: tosca.capabilities.Attachment
            relationship:
              type: tosca.relationships.AttachesTo
              properties: {location: /data}
    disk:
      type: tosca.nodes.BlockStorage
      properties: {size: 1 GB}
  outputs:""",
)


def connect(cloud: str = CLOUD) -> openstack.connection.Connection:
    config = openstack.config.OpenStackConfig(config_files=[str(TC / "clouds.yaml")])
    return openstack.connection.Connection(config=config.get_one(cloud=cloud))


def by_hand_sdk(volume: bool = False) -> float:
    """The driver's calls, one after the other, in one process (a warm client); with
    ``volume``, a 1 GB volume attached at boot and deleted after the server."""
    conn, name = connect(), f"bench-{uuid.uuid4().hex[:8]}"
    start = time.perf_counter()
    group = conn.network.create_security_group(name=name)
    conn.network.create_security_group_rule(
        security_group_id=group.id, direction="ingress", ethertype="IPv4", protocol="tcp",
        port_range_min=22, port_range_max=22, remote_ip_prefix="0.0.0.0/0",
    )  # fmt: skip
    port = conn.network.create_port(
        network_id=conn.network.find_network("private").id, name=name,
        security_group_ids=[group.id],
    )  # fmt: skip
    fip = conn.network.create_ip(
        floating_network_id=conn.network.find_network("public").id, port_id=port.id
    )
    image = conn.image.find_image("debian-12").id
    disks: dict[str, Any] = {}
    if volume:
        vol = conn.block_storage.create_volume(name=name, size=1, volume_type="fake")
        conn.block_storage.wait_for_status(vol, "available", interval=0.5, wait=120)
        disks["block_device_mapping"] = [
            {"uuid": image, "source_type": "image", "destination_type": "local",
             "boot_index": 0, "delete_on_termination": True},
            {"uuid": vol.id, "source_type": "volume", "destination_type": "volume",
             "boot_index": -1, "delete_on_termination": False},
        ]  # fmt: skip
    server = conn.compute.create_server(
        name=name, flavor_id=conn.compute.find_flavor("m1.tiny").id,
        image_id=image, networks=[{"port": port.id}], **disks,
    )  # fmt: skip
    conn.compute.wait_for_server(server, interval=0.5, wait=300)
    took = time.perf_counter() - start
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.5)
    conn.network.delete_ip(fip)
    conn.network.delete_port(port)
    conn.network.delete_security_group(group)
    if volume:
        conn.block_storage.wait_for_status(vol, "available", interval=0.5, wait=120)
        conn.block_storage.delete_volume(vol)
        conn.block_storage.wait_for_delete(vol, interval=0.5)
    conn.close()
    return took


def by_hand_cli() -> float:
    """The same calls with the ``openstack`` CLI, as an admin would type them."""
    name = f"bench-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "OS_CLOUD": CLOUD, "OS_CLIENT_CONFIG_FILE": str(TC / "clouds.yaml")}

    def run(*args: str) -> str:
        done = subprocess.run(["openstack", *args, "-f", "value", "-c", "id"], env=env,
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode:
            raise BenchError(f"openstack {' '.join(args)}: {done.stderr.strip()[-500:]}")
        return done.stdout.strip()

    start = time.perf_counter()
    group = run("security group create", name)
    run("security group rule create", "--ingress", "--protocol", "tcp", "--dst-port", "22",
        group)  # fmt: skip
    port = run("port create", "--network", "private", "--security-group", group, name)
    fip = run("floating ip create", "--port", port, "public")
    server = run("server create", "--flavor", "m1.tiny", "--image", "debian-12", "--port", port,
                 "--wait", name)  # fmt: skip
    took = time.perf_counter() - start
    conn = connect()
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(conn.compute.get_server(server), interval=0.5)
    conn.network.delete_ip(fip)
    conn.network.delete_port(port)
    conn.network.delete_security_group(group)
    conn.close()
    return took


def sites_file() -> Path:
    (site,) = yaml.safe_load((TC / "sites.yaml").read_text())["sites"]
    local = {"name": "local", "kind": "docker", "status": "maintenance"}
    path = Path(tempfile.mkdtemp(prefix="cumulo-bench-os-")) / "sites.yaml"
    path.write_text(yaml.safe_dump({"sites": [site, local]}))
    return path


def ours(api: Api) -> float:
    start = time.perf_counter()
    uid = api.create(TEMPLATE, {})
    require_complete(api.wait_final(uid, interval=0.05))
    took = time.perf_counter() - start
    if api.delete_all(timeout=300):
        raise BenchError("a deployment was not deleted")
    return took


def one(runs: int, env: dict[str, str]) -> None:
    cli = shutil.which("openstack") is not None
    with cumulo_server(workers=2, env=env) as url:
        api = Api(url)
        ours(api), by_hand_sdk()  # warm-up of each
        mine, sdk, clis = [], [], []
        for _ in range(runs):
            mine.append(ours(api))
            sdk.append(by_hand_sdk())
            if cli:
                clis.append(by_hand_cli())
    print(f"one VM, cumulo POST -> CREATE_COMPLETE: {summary(mine)}")
    print(f"  the same calls by hand, openstacksdk:   {summary(sdk)}")
    ratio = sorted(mine)[len(mine) // 2] / sorted(sdk)[len(sdk) // 2]
    print(f"  ratio cumulo / sdk by hand: {ratio:.2f}")
    if clis:
        print(f"  the same calls by hand, openstack CLI:  {summary(clis)}")
        ratio = sorted(mine)[len(mine) // 2] / sorted(clis)[len(clis) // 2]
        print(f"  ratio cumulo / CLI by hand: {ratio:.2f} (target <= 1.2)")


def many(count: int, env: dict[str, str]) -> None:
    with cumulo_server(workers=2, env=env) as url:
        api = Api(url)
        start = time.perf_counter()
        uids = [api.create(TEMPLATE, {}) for _ in range(count)]
        for uid in uids:
            require_complete(api.wait_final(uid, interval=0.2, timeout=900))
        made = time.perf_counter() - start
        start = time.perf_counter()
        left = api.delete_all(timeout=900)
        gone = time.perf_counter() - start
    print(f"{count} VMs at once, 2 workers: all CREATE_COMPLETE in {made:.1f} s "
          f"({made / count:.2f} s each); all deleted in {gone:.1f} s")  # fmt: skip
    if left:
        raise BenchError(f"{len(left)} deployments not deleted")


def left_of(deployments: list[str]) -> dict[str, int]:
    """What the cloud still holds of these deployments, seen as its admin."""
    ids = set(deployments)
    conn = connect(f"{CLOUD}-admin")

    def ours(objects: Any) -> int:
        return sum(
            any(t.startswith("cumulo-d-") and t[9:] in ids for t in (o.tags or [])) for o in objects
        )

    left = {
        "servers": ours(conn.compute.servers(all_projects=True)),
        "ports": ours(conn.network.ports()),
        "floating_ips": ours(conn.network.ips()),
        "security_groups": ours(conn.network.security_groups()),
        "volumes": sum((v.metadata or {}).get("cumulo_deployment") in ids
                       for v in conn.block_storage.volumes(all_projects=True)),
    }  # fmt: skip
    conn.close()
    return left


def cycles(count: int, baseline: int, env: dict[str, str]) -> None:
    with cumulo_server(workers=2, env=env) as url:

        def cycle(_: int) -> tuple[str, float]:
            api, start = Api(url), time.perf_counter()
            uid = api.create(WITH_VOLUME, {})
            require_complete(api.wait_final(uid, interval=0.2, timeout=600))
            if api.delete_all(timeout=600):
                raise BenchError(f"deployment {uid} was not deleted")
            return uid, time.perf_counter() - start

        start = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            done = list(pool.map(cycle, range(count)))
        took = time.perf_counter() - start
    by_hand = []
    for _ in range(baseline):
        begin = time.perf_counter()
        by_hand_sdk(volume=True)
        by_hand.append(time.perf_counter() - begin)
    left = left_of([uid for uid, _ in done])
    print(
        f"{count} create/delete cycles (VM, floating IP, 1 GB volume; 4 at a time, "
        f"2 workers): {took:.1f} s in all; one cycle {summary([t for _, t in done])}"
    )
    if by_hand:
        each = took / count
        print(f"  the same cycle by hand, openstacksdk, one at a time: {summary(by_hand)}")
        print(f"  cumulo: {each:.2f} s per cycle overall; ratio to by hand (median): "
              f"{each / sorted(by_hand)[baseline // 2]:.2f}")  # fmt: skip
    print(f"  left on the cloud: {left}")  # fmt: skip
    if any(left.values()):
        raise BenchError(f"the cycles left objects on the cloud: {left}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="one,many,cycles")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--deployments", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--baseline-cycles", type=int, default=5)
    args = parser.parse_args()
    if not (TC / "clouds.yaml").exists():
        print("the test cloud is not up: run scripts/test-cloud up", file=sys.stderr)
        return 2
    env = {**os.environ, "CUMULO_SITES_FILE": str(sites_file()),
           "CUMULO_HEALTH_PROBE_SECONDS": "0"}  # fmt: skip
    try:
        if "one" in args.only:
            one(args.runs, env)
        if "many" in args.only:
            many(args.deployments, env)
        if "cycles" in args.only:
            cycles(args.cycles, args.baseline_cycles, env)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
