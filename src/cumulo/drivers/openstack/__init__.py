"""The ``openstack`` site kind: servers, volumes, floating IPs on an OpenStack cloud."""

from cumulo.drivers.openstack.driver import OpenStackDriver

__all__ = ["OpenStackDriver"]
