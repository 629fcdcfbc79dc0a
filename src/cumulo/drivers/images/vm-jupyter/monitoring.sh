#!/bin/sh
# cumulo-monitoring enable | disable | start | stop | status: the node's metrics.
# Debian's prometheus-node-exporter (127.0.0.1:9100, inside the node only) and
# prometheus (port 9090, the one the site publishes), both as the system user
# "prometheus". Prometheus asks for HTTP basic auth on every path (web.yml,
# written by set-owner.py: the owner's name and a bcrypt digest of the owner's
# password), so only the owner reads it. "enable" remembers the choice, so the
# node's init starts both again at every start; "disable" forgets it and stops them.
set -eu
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
CONF=/etc/cumulo-monitoring
ENABLED=$CONF/enabled
LOG=/var/log/cumulo-monitoring.log
PORT=9090
# pgrep -f patterns: the runuser wrappers as well as the processes, so that a
# process is "running" from the moment it is launched
SERVER='/usr/bin/prometheus --config'
EXPORTER='/usr/bin/prometheus-node-exporter '

running() { pgrep -f "$1" >/dev/null; }

# Any HTTP answer counts (without credentials it is 401 Unauthorized).
answers() {
  python3 - <<PY 2>/dev/null
import urllib.error, urllib.request as u
try:
    u.urlopen("http://127.0.0.1:$PORT/-/ready", timeout=2)
except urllib.error.HTTPError:
    pass
PY
}

launch() {  # PATTERN COMMAND...
  running "$1" && return 0
  shift
  touch "$LOG" && chown prometheus:prometheus "$LOG"
  (cd /var/lib/prometheus && setsid runuser -u prometheus -- "$@" >>"$LOG" 2>&1 </dev/null &)
}

start() {
  [ -f "$CONF/web.yml" ] || { echo "cumulo-monitoring: no owner yet (set-owner.py)" >&2; exit 1; }
  launch "$EXPORTER" /usr/bin/prometheus-node-exporter \
    --web.listen-address=127.0.0.1:9100 --collector.filesystem.mount-points-exclude='^/(dev|proc|sys|run|etc)($|/)'
  launch "$SERVER" /usr/bin/prometheus --config.file="$CONF/prometheus.yml" \
    --web.config.file="$CONF/web.yml" --web.listen-address=":$PORT" \
    --storage.tsdb.path=/var/lib/prometheus/metrics2 --storage.tsdb.retention.time=7d
  [ "${1:-}" = --no-wait ] && return 0
  i=0
  until answers; do
    i=$((i + 1))
    if [ "$i" -ge 240 ] || ! running "$SERVER"; then
      tail -n 30 "$LOG" >&2
      echo "cumulo-monitoring: prometheus did not answer on port $PORT" >&2
      exit 1
    fi
    sleep 0.25
  done
}

stop() { pkill -u prometheus -f "$SERVER" || true; pkill -u prometheus -f "$EXPORTER" || true; }

case "${1:-}" in
  enable) touch "$ENABLED"; start ;;
  disable) rm -f "$ENABLED"; stop ;;
  start) [ ! -f "$ENABLED" ] || start "${2:-}" ;;
  stop) stop ;;
  status) running "$SERVER" ;;
  *)
    echo "usage: cumulo-monitoring enable | disable | start [--no-wait] | stop | status" >&2
    exit 2
    ;;
esac
