#!/bin/sh
# cumulo-jupyter-init: PID 1 of cumulo/vm-jupyter. A VM-like container (the
# accounts and sshd of cumulo-init) whose JupyterHub starts with it, at every
# start: nobody logs in until a configure operation has named the owner.
/usr/local/sbin/cumulo-jupyterhub start --no-wait >&2 || true
exec /usr/local/sbin/cumulo-init
