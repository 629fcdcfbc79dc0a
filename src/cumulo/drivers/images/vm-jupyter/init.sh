#!/bin/sh
# cumulo-jupyter-init: PID 1 of cumulo/vm-jupyter. A VM-like container (the
# accounts and sshd of cumulo-init) whose JupyterHub starts with it, at every
# start: nobody logs in until a configure operation has named the owner. The
# node's monitoring starts again too if a configure operation enabled it.
/usr/local/sbin/cumulo-jupyterhub start --no-wait >&2 || true
/usr/local/sbin/cumulo-monitoring start --no-wait >&2 || true
exec /usr/local/sbin/cumulo-init
