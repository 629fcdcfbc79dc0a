"""The local Docker site's default image catalogue.

The images are built locally from Debian packages by ``scripts/build-images.sh``
(no registry involved); their build inputs live in ``drivers/images/``.
``DEFAULT_IMAGES`` maps an operating-system distribution and version, as a
TOSCA ``os`` capability names them, to the image of a VM-like container.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

VM_DEBIAN_12 = "cumulo/vm-debian:12"
HTTPD = "cumulo/httpd:1"  # busybox httpd on :8080, for "Run docker" tests and benchmarks
REDIS = "cumulo/redis:7"  # the docker-compose example's database
COUNTER_WEB = "cumulo/counter-web:1"  # the docker-compose example's web application
# The VM-like image plus JupyterHub, JupyterLab and configurable-http-proxy: the
# node of "Jupyter with persistence" (templates name it in the os capability's image).
VM_JUPYTER_12 = "cumulo/vm-jupyter:12"
# vm-jupyter plus numpy, scipy, scikit-learn and TensorFlow (CPU builds), and Debian's
# PyTorch in a kernel of its own: ML-INFN and
# "TensorFlow with Jupyter". Large: built only when asked (build-images.sh ml).
VM_JUPYTER_ML_12 = "cumulo/vm-jupyter-ml:12"
# vm-jupyter plus Java 17 and PySpark: the master, workers and hub of "Spark + Jupyter
# cluster". Built only when asked (build-images.sh spark).
VM_SPARK_12 = "cumulo/vm-spark:12"
# Debian's Ceph 16 as a one-container S3 server (mon, mgr, memstore OSD, radosgw) on
# :7480: a site's object storage, and the real S3 server of the object-storage tests.
# Built only when asked (build-images.sh s3).
CEPH_RGW_16 = "cumulo/ceph-rgw:16"

# distribution -> version -> image; versions by number and by code name.
DEFAULT_IMAGES: Mapping[str, Mapping[str, str]] = {
    "debian": {"12": VM_DEBIAN_12, "bookworm": VM_DEBIAN_12},
    "jupyter": {"12": VM_JUPYTER_12},
    "jupyter-ml": {"12": VM_JUPYTER_ML_12},
    "spark": {"12": VM_SPARK_12},
}
DEFAULT_DISTRIBUTION = "debian"
DEFAULT_VERSION = "12"

# Every image the build script makes (the base is an intermediate one).
BUILT_IMAGES = ("cumulo/debian-base:12", VM_DEBIAN_12, HTTPD, REDIS, COUNTER_WEB, VM_JUPYTER_12)
# Images the build script makes only when asked: image -> its command.
OPTIONAL_IMAGES = {
    VM_JUPYTER_ML_12: "scripts/build-images.sh ml",
    VM_SPARK_12: "scripts/build-images.sh spark",
    CEPH_RGW_16: "scripts/build-images.sh s3",
}

IMAGE_INPUTS = Path(__file__).parent / "images"


def build_hint(image: str) -> str:
    """How to build one of the local site's images (empty for any other image)."""
    if image in OPTIONAL_IMAGES:
        return f" (build it with {OPTIONAL_IMAGES[image]})"
    return " (build it with scripts/build-images.sh)" if image in BUILT_IMAGES else ""


def build_script() -> Path:
    """The image build script of a source checkout (``scripts/build-images.sh``)."""
    return Path(__file__).resolve().parents[3] / "scripts" / "build-images.sh"
