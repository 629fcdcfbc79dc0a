#!/bin/sh
# Run inside a helper container of cumulo/vm-jupyter by scripts/build-images.sh
# ml: the machine-learning libraries, CPU builds from PyPI, in the hub's venv
# (whose Python runs the notebooks' kernels). PIP_CERT names the host's CA
# bundle, bind-mounted for the build only; ML_PACKAGES the pinned requirements.
set -eu
# shellcheck disable=SC2086  # one requirement per word
/opt/jupyterhub/bin/pip install -q --no-cache-dir $ML_PACKAGES
/opt/jupyterhub/bin/pip check
rm -rf /root/.cache
