#!/bin/sh
# Run inside a helper container of cumulo/vm-jupyter by scripts/build-images.sh
# ml: the machine-learning libraries, CPU builds from PyPI, in the hub's venv
# (whose Python runs the notebooks' main kernel), and Debian's PyTorch with a
# kernel of its own. PIP_CERT names the host's CA bundle, bind-mounted for the
# build only; ML_PACKAGES the pinned PyPI requirements; ML_DEBIAN_PACKAGES the
# Debian packages of the "PyTorch (Debian 12)" kernel.
set -eu
# shellcheck disable=SC2086  # one requirement per word
/opt/jupyterhub/bin/pip install -q --no-cache-dir $ML_PACKAGES
/opt/jupyterhub/bin/pip check
rm -rf /root/.cache

# PyPI's torch for Linux is a CUDA build (GB of NVIDIA libraries even to be
# imported); Debian's is a CPU build. It runs under Debian's /usr/bin/python3
# with Debian's numpy, never in the venv (pip's numpy 2 and TensorFlow there).
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086  # one package per word
apt-get install -y -q --no-install-recommends $ML_DEBIAN_PACKAGES >/dev/null
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log /var/log/apt/*
/usr/bin/python3 -c "import torch, ipykernel"

# The single-user server (the venv's Jupyter) finds kernels in its share/jupyter.
install -d -m 0755 /opt/jupyterhub/share/jupyter/kernels/pytorch
install -m 0644 /tmp/build/kernel.json /opt/jupyterhub/share/jupyter/kernels/pytorch/kernel.json
/opt/jupyterhub/bin/jupyter kernelspec list | grep -q '^ *pytorch '
rm -rf /tmp/build
