"""What the test cloud holds, made idempotently as its admin (run by scripts/test-cloud).

``provision.py catalog``: the ``service`` role and project, the services' user and the
service catalog, before any service but Keystone starts.
``provision.py resources``: the non-admin project and user ``cumulo``, flavors, images,
networks, a router, quotas and the volume type; then clouds.yaml and sites.yaml.
``provision.py compute HOST SINCE SECONDS``: wait (at most SECONDS) until the compute host
can take servers: Placement holds its resource provider with VCPU and MEMORY_MB inventory,
and Nova sees its nova-compute up with a report made after SINCE (Unix time; 0: any).

Passwords come from the environment (var/test-cloud/secrets.env, exported by the script).
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import openstack
from openstack.connection import Connection

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cloud_files import FLAVORS, IMAGES, write_clouds_yaml, write_sites_yaml

AUTH_URL = "http://127.0.0.1:5000/v3"
TC = Path(__file__).resolve().parents[2] / "var" / "test-cloud"
ENDPOINTS = [  # name, type, URL
    ("glance", "image", "http://127.0.0.1:9292"),
    ("nova", "compute", "http://127.0.0.1:8774/v2.1"),
    ("placement", "placement", "http://127.0.0.1:8778"),
    ("neutron", "network", "http://127.0.0.1:9696"),
    ("cinderv3", "volumev3", "http://127.0.0.1:8776/v3"),
    ("cinder", "block-storage", "http://127.0.0.1:8776/v3"),
]
QUOTAS = {  # generous for the tests and benches, but finite
    "compute": {"instances": 100, "cores": 400, "ram": 819200, "key_pairs": 100},
    "network": {"networks": 20, "subnets": 20, "ports": 500, "routers": 10,
                "floating_ips": 100, "security_groups": 200, "security_group_rules": 2000},
    "volume": {"volumes": 200, "gigabytes": 2000, "snapshots": 100},
}  # fmt: skip


def admin() -> Connection:
    """The admin's connection, once Keystone answers (uwsgi may still be loading it)."""
    deadline = time.monotonic() + 60
    while True:
        conn = openstack.connect(
            auth_url=AUTH_URL, username="admin", password=os.environ["ADMIN_PW"],
            project_name="admin", user_domain_name="Default", project_domain_name="Default",
            region_name="RegionOne", identity_api_version="3",
        )  # fmt: skip
        try:
            conn.authorize()
            return conn
        except openstack.exceptions.SDKException:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def ensure_user(conn: Connection, name: str, password: str, project, roles: list[str]):
    user = conn.identity.find_user(name, domain_id="default")
    if user is None:
        user = conn.identity.create_user(
            name=name, password=password, domain_id="default", default_project_id=project.id
        )
    for role in roles:
        conn.identity.assign_project_role_to_user(project, user, conn.identity.find_role(role))
    return user


def ensure_project(conn: Connection, name: str, description: str):
    project = conn.identity.find_project(name, domain_id="default")
    return project or conn.identity.create_project(
        name=name, domain_id="default", description=description
    )


def catalog(conn: Connection) -> None:
    if conn.identity.find_role("service") is None:
        conn.identity.create_role(name="service")
    project = ensure_project(conn, "service", "OpenStack's own services")
    ensure_user(conn, "services", os.environ["SERVICE_PW"], project, ["admin", "service"])
    for name, kind, url in ENDPOINTS:
        service = conn.identity.find_service(name)
        if service is None:
            service = conn.identity.create_service(name=name, type=kind, enabled=True)
        have = {e.interface for e in conn.identity.endpoints(service_id=service.id)}
        for interface in ("public", "internal", "admin"):
            if interface not in have:
                conn.identity.create_endpoint(
                    service_id=service.id, interface=interface, url=url, region_id="RegionOne"
                )


def flavors(conn: Connection) -> None:
    for f in FLAVORS:
        flavor = conn.compute.find_flavor(f["name"])
        if flavor is None:
            flavor = conn.compute.create_flavor(
                name=f["name"], vcpus=f["vcpus"], ram=f["ram"], disk=f["disk"], is_public=True
            )
        if f.get("extra_specs"):
            conn.compute.create_flavor_extra_specs(flavor, f["extra_specs"])


def images(conn: Connection) -> None:
    for name, (distro, version) in IMAGES.items():
        if conn.image.find_image(name) is None:
            conn.image.create_image(
                name, data=f"cumulo test image {name}\n".encode(), disk_format="raw",
                container_format="bare", visibility="public", wait=True,
                meta={"os_distro": distro, "os_version": version},
            )  # fmt: skip


def networks(conn: Connection, project) -> None:
    net = conn.network
    public = net.find_network("public") or net.create_network(
        name="public", is_router_external=True, provider_network_type="flat",
        provider_physical_network="public",
    )  # fmt: skip
    if net.find_subnet("public-subnet") is None:
        net.create_subnet(
            name="public-subnet", network_id=public.id, ip_version=4, cidr="203.0.113.0/24",
            gateway_ip="203.0.113.1", enable_dhcp=False,
            allocation_pools=[{"start": "203.0.113.10", "end": "203.0.113.250"}],
        )  # fmt: skip
    private = net.find_network("private", project_id=project.id) or net.create_network(
        name="private", project_id=project.id
    )
    subnet = net.find_subnet("private-subnet", project_id=project.id) or net.create_subnet(
        name="private-subnet", network_id=private.id, project_id=project.id, ip_version=4,
        cidr="10.10.0.0/24", enable_dhcp=True,
    )  # fmt: skip
    router = net.find_router("cumulo-router", project_id=project.id) or net.create_router(
        name="cumulo-router", project_id=project.id,
        external_gateway_info={"network_id": public.id},
    )  # fmt: skip
    joined = any(
        ip["subnet_id"] == subnet.id
        for port in net.ports(device_id=router.id)
        for ip in port.fixed_ips
    )
    if not joined:
        net.add_interface_to_router(router, subnet_id=subnet.id)


def quotas(conn: Connection, project) -> None:
    conn.compute.update_quota_set(project.id, **QUOTAS["compute"])
    conn.network.update_quota(project.id, **QUOTAS["network"])
    conn.block_storage.update_quota_set(project.id, **QUOTAS["volume"])


def volume_type(conn: Connection) -> None:
    if conn.block_storage.find_type("fake") is None:
        conn.block_storage.create_type(
            name="fake", extra_specs={"volume_backend_name": "fake"}, is_public=True
        )


def resources(conn: Connection) -> None:
    project = ensure_project(conn, "cumulo", "cumulo's tests (non-admin)")
    ensure_user(conn, "cumulo", os.environ["CUMULO_PW"], project, ["member"])
    flavors(conn)
    images(conn)
    networks(conn, project)
    volume_type(conn)
    quotas(conn, project)
    clouds = write_clouds_yaml(TC, os.environ["CUMULO_PW"], os.environ["ADMIN_PW"])
    write_sites_yaml(TC, clouds)


def compute_missing(conn: Connection, host: str, since: float) -> str:
    """What the compute host still lacks to take servers, or "" when it can."""
    inventory: dict[str, int] = {}
    for rp in conn.placement.resource_providers(name=host):
        for item in conn.placement.resource_provider_inventories(rp):
            inventory[item.resource_class] = item.total
    lacking = [rc for rc in ("VCPU", "MEMORY_MB") if not inventory.get(rc)]
    if lacking:
        return f"Placement has no {' and '.join(lacking)} inventory for {host} yet"
    service = next(iter(conn.compute.services(binary="nova-compute", host=host)), None)
    if service is None or service.state != "up" or service.status != "enabled":
        state = "not registered" if service is None else f"{service.state}, {service.status}"
        return f"Nova does not see nova-compute on {host} up ({state})"
    reported = datetime.fromisoformat(service.updated_at).replace(tzinfo=UTC).timestamp()
    if reported < since:
        return (
            f"nova-compute on {host} has not reported since it started (last {service.updated_at})"
        )
    return ""


def volumes_missing(conn: Connection) -> str:
    """Why a volume cannot be placed yet, or "" when it can."""
    if next(iter(conn.block_storage.backend_pools()), None) is None:
        return "Cinder's scheduler has had no report of cinder-volume's backend yet"
    return ""


def host_missing(conn: Connection, host: str, since: float) -> str:
    return compute_missing(conn, host, since) or volumes_missing(conn)


def wait_compute(conn: Connection, host: str, since: float, seconds: float) -> None:
    """Until the host can take servers and volumes."""
    start = time.monotonic()
    first = missing = host_missing(conn, host, since)
    while missing:
        if time.monotonic() - start > seconds:
            sys.exit(f"the host cannot take servers and volumes after {seconds:g} s: {missing}")
        time.sleep(1)
        missing = host_missing(conn, host, since)
    if first:
        print(f"host ready after {time.monotonic() - start:.0f} s ({first} at first)")


def main() -> None:
    step = sys.argv[1] if len(sys.argv) > 1 else ""
    if step not in ("catalog", "resources", "compute"):
        sys.exit("usage: provision.py catalog|resources|compute HOST SINCE SECONDS")
    conn = admin()
    if step == "compute":
        wait_compute(conn, sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    else:
        catalog(conn) if step == "catalog" else resources(conn)


if __name__ == "__main__":
    main()
