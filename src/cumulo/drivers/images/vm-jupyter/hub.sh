#!/bin/sh
# cumulo-jupyterhub start [--no-wait] | stop | restart | status: the hub as the
# system user "jupyter", in the background (sshd is the container's main process).
# "start" (also of a running hub) waits until the hub's API answers, unless --no-wait;
# "restart" (to read a new authenticator configuration) waits too.
set -eu
export PATH=/opt/jupyterhub/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
STATE=/var/lib/jupyterhub
LOG=/var/log/jupyterhub.log
PORT=8000

# the runuser wrapper as well as the hub itself: true from the moment it is launched
running() { pgrep -f '/opt/jupyterhub/bin/jupyterhub -f ' >/dev/null; }

answers() {
  python3 -c "import sys, urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/hub/api', timeout=2)" \
    2>/dev/null
}

stop() {
  pkill -u jupyter -f '/opt/jupyterhub/bin/' || true
  i=0
  while running && [ "$i" -lt 40 ]; do i=$((i + 1)); sleep 0.25; done
}

case "${1:-}" in
  restart)
    stop
    exec "$0" start
    ;;
  start)
    if ! running; then
      touch "$LOG" && chown jupyter:jupyter "$LOG"
      cd "$STATE"
      setsid runuser -u jupyter -- /opt/jupyterhub/bin/jupyterhub \
        -f /etc/jupyterhub/jupyterhub_config.py >>"$LOG" 2>&1 </dev/null &
    fi
    [ "${2:-}" = --no-wait ] && exit 0
    i=0
    until answers; do
      i=$((i + 1))
      if [ "$i" -ge 240 ] || ! running; then
        tail -n 30 "$LOG" >&2
        echo "cumulo-jupyterhub: the hub did not answer on port $PORT" >&2
        exit 1
      fi
      sleep 0.25
    done
    ;;
  stop)
    stop
    ;;
  status)
    running
    ;;
  *)
    echo "usage: cumulo-jupyterhub start [--no-wait] | stop | restart | status" >&2
    exit 2
    ;;
esac
