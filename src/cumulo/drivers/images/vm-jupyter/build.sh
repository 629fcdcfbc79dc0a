#!/bin/sh
# Run inside a helper container of cumulo/vm-debian by scripts/build-images.sh:
# JupyterHub's proxy from Debian, JupyterHub, JupyterLab and oauthenticator (OIDC
# login) from PyPI in a venv,
# the node's monitoring (Prometheus and its node exporter) from Debian, and the
# files of this folder (copied to /tmp/build) in place.
# PIP_CERT names the host's CA bundle, bind-mounted for the build only.
set -eu
export DEBIAN_FRONTEND=noninteractive
mkdir -p /usr/share/man/man1  # some postinst scripts expect it; the base image drops man pages
apt-get update -q >/dev/null
# Prometheus's classic web UI needs libjs-moment-timezone, whose raw time-zone
# data (212 MB) nothing loads: leave it out.
echo 'path-exclude=/usr/share/javascript/moment-timezone/data/*' \
  >/etc/dpkg/dpkg.cfg.d/cumulo-no-js-tzdata
apt-get install -y -q --no-install-recommends node-configurable-http-proxy python3-venv \
  prometheus prometheus-node-exporter python3-bcrypt >/dev/null
rm /etc/dpkg/dpkg.cfg.d/cumulo-no-js-tzdata
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log /var/log/apt/*

python3 -m venv /opt/jupyterhub
/opt/jupyterhub/bin/pip install -q --no-cache-dir "jupyterhub==$JUPYTERHUB_VERSION" \
  "jupyterlab==$JUPYTERLAB_VERSION" "oauthenticator==$OAUTHENTICATOR_VERSION"
rm -rf /root/.cache /opt/jupyterhub/share/jupyter/lab/staging

# The hub and every notebook server run as this system user, never as root.
useradd --system --home-dir /var/lib/jupyterhub --create-home --shell /usr/sbin/nologin jupyter
install -d -m 0755 -o jupyter -g jupyter /notebooks
install -d -m 0755 /etc/jupyterhub /usr/local/lib/cumulo-jupyter
install -m 0644 /tmp/build/jupyterhub_config.py /etc/jupyterhub/jupyterhub_config.py
install -m 0755 /tmp/build/set-owner.py /usr/local/lib/cumulo-jupyter/set-owner.py
install -m 0755 /tmp/build/set-oidc.py /usr/local/lib/cumulo-jupyter/set-oidc.py
install -m 0644 /tmp/build/private_file.py /usr/local/lib/cumulo-jupyter/private_file.py
install -m 0755 /tmp/build/hub.sh /usr/local/sbin/cumulo-jupyterhub
install -m 0755 /tmp/build/init.sh /usr/local/sbin/cumulo-jupyter-init
# Monitoring: started by the configure operation when asked (cumulo-monitoring enable).
install -d -m 0755 /etc/cumulo-monitoring
install -m 0644 /tmp/build/prometheus.yml /etc/cumulo-monitoring/prometheus.yml
install -m 0755 /tmp/build/monitoring.sh /usr/local/sbin/cumulo-monitoring
install -d -m 0750 -o prometheus -g prometheus /var/lib/prometheus/metrics2
rm -rf /tmp/build
