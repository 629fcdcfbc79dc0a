#!/bin/sh
# Run inside a helper container of cumulo/vm-jupyter by scripts/build-images.sh
# spark: Java 17 from Debian and PySpark (with Spark's jars) from PyPI in the hub's
# venv, so one image serves a Spark master, its workers and the hub whose
# notebooks drive them. PIP_CERT names the host's CA bundle, bind-mounted for the
# build only; PYSPARK_VERSION the pinned release.
set -eu
export DEBIAN_FRONTEND=noninteractive
mkdir -p /usr/share/man/man1  # openjdk's postinst needs it; the base image drops man pages
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends openjdk-17-jre-headless >/dev/null
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/*.log /var/log/apt/*

/opt/jupyterhub/bin/pip install -q --no-cache-dir "pyspark==$PYSPARK_VERSION"
rm -rf /root/.cache
SPARK_HOME=$(/opt/jupyterhub/bin/python -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
# Spark's daemons and the notebooks' drivers read /etc/spark (spark-defaults.conf,
# written by the configure operations).
install -d -m 0755 /etc/spark
rm -rf "$SPARK_HOME/conf"
ln -s /etc/spark "$SPARK_HOME/conf"

# Spark's daemons run as this system user, never as root.
useradd --system --home-dir /var/lib/spark --create-home --shell /usr/sbin/nologin spark
install -d -m 0755 /etc/cumulo-spark /usr/local/lib/cumulo-spark
install -m 0755 /tmp/build/spark.sh /usr/local/sbin/cumulo-spark
install -m 0755 /tmp/build/init.sh /usr/local/sbin/cumulo-spark-init
install -m 0644 /tmp/build/pyspark_kernel.py /usr/local/lib/cumulo-spark/pyspark_kernel.py
install -d -m 0755 /opt/jupyterhub/share/jupyter/kernels/pyspark
install -m 0644 /tmp/build/kernel.json /opt/jupyterhub/share/jupyter/kernels/pyspark/kernel.json
rm -rf /tmp/build
