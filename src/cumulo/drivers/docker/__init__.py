"""The local site: a Docker engine realizing VM-like and application containers."""

from cumulo.drivers.docker.driver import APPLICATION_TYPES, COMPUTE_TYPES, DockerDriver

__all__ = ["APPLICATION_TYPES", "COMPUTE_TYPES", "DockerDriver"]
