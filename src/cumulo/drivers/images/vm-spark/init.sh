#!/bin/sh
# cumulo-spark-init: PID 1 of cumulo/vm-spark. A VM-like container (the accounts
# and sshd of cumulo-init) that starts again, at every start, the roles the
# configure operations gave it (a Spark master, a worker, the notebook hub).
/usr/local/sbin/cumulo-spark start >&2 || true
exec /usr/local/sbin/cumulo-init
