#!/bin/sh
# cumulo-spark master HOST | worker MASTER_URL [--no-wait] | hub | start | stop | status: the
# node's roles in a Spark standalone cluster, run as the system user "spark" in the
# background (sshd is the container's main process). "master" and "worker" remember
# the role (so the node's init starts it again at every start), start it and wait
# until it serves: the master's web UI answers, the worker registered with its
# master (unless --no-wait: then whoever needs the workers waits for them). "hub" remembers that the node runs the notebooks' JupyterHub.
set -eu
export PATH=/opt/jupyterhub/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
ROLES=/etc/cumulo-spark
STATE=/var/lib/spark
# Small daemons: a master and a worker each need about 200 MiB.
export SPARK_DAEMON_MEMORY=${SPARK_DAEMON_MEMORY:-256m}
# The web UIs are published: nobody kills applications through them.
export SPARK_MASTER_OPTS="-Dspark.ui.killEnabled=false"
export SPARK_WORKER_OPTS="-Dspark.ui.killEnabled=false"

log_of() { echo "/var/log/spark-$1.log"; }
running() { pgrep -f "org.apache.spark.deploy.$1" >/dev/null; }

# The node's CPUs and memory (MiB): its cgroup's limits (v2, else v1), else the machine's.
node_cpus() {
  if [ -f /sys/fs/cgroup/cpu.max ]; then
    set -- $(cat /sys/fs/cgroup/cpu.max)
  else
    set -- "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || echo -1)" \
      "$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || echo 100000)"
  fi
  case "$1" in
    max | -1) nproc ;;
    *) echo $((($1 + $2 - 1) / $2)) ;;
  esac
}
node_mem_mib() {
  total=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
  limit=$(cat /sys/fs/cgroup/memory.max 2>/dev/null ||
    cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo max)
  # no limit: "max" (v2) or a huge number (v1)
  if [ "$limit" = max ] || [ $((limit / 1048576)) -ge "$total" ]; then
    echo "$total"
  else
    echo $((limit / 1048576))
  fi
}

launch() {  # ROLE CLASS ARGS... (CLASS under org.apache.spark.deploy)
  role=$1 class=$2
  shift 2
  running "$class" && return 0
  log=$(log_of "$role")
  touch "$log" && chown spark:spark "$log"
  (cd "$STATE" && setsid runuser -u spark -- spark-class "org.apache.spark.deploy.$class" "$@" \
    >>"$log" 2>&1 </dev/null &)
}

# Wait until CHECK succeeds; fail with the role's log if its process ends or time runs out.
wait_for() {  # ROLE CLASS CHECK...
  role=$1 class=$2
  shift 2
  i=0
  until "$@"; do
    i=$((i + 1))
    if [ "$i" -ge 480 ] || ! running "$class"; then
      tail -n 30 "$(log_of "$role")" >&2
      echo "cumulo-spark: the $role did not come up" >&2
      exit 1
    fi
    sleep 0.25
  done
}

ui_answers() {  # PORT
  python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$1/json/', timeout=2)" 2>/dev/null
}
registered() { grep -q "Successfully registered with master" "$(log_of worker)"; }

start_master() {  # HOST
  launch master master.Master --host "$1" --port 7077 --webui-port 8080
}

start_worker() {  # MASTER_URL
  mem=$(($(node_mem_mib) - 768))
  [ "$mem" -ge 512 ] || mem=512
  install -d -o spark -g spark "$STATE/work"
  : >"$(log_of worker)"
  launch worker worker.Worker --cores "$(node_cpus)" --memory "${mem}m" \
    --work-dir "$STATE/work" --webui-port 8081 "$1"
}

case "${1:-}" in
  master)
    [ -n "${2:-}" ] || { echo "usage: cumulo-spark master HOST" >&2; exit 2; }
    echo "$2" >"$ROLES/master"
    start_master "$2"
    wait_for master master.Master ui_answers 8080
    ;;
  worker)
    [ -n "${2:-}" ] || { echo "usage: cumulo-spark worker MASTER_URL [--no-wait]" >&2; exit 2; }
    if [ "$(cat "$ROLES/worker" 2>/dev/null)" != "$2" ]; then
      pkill -u spark -f org.apache.spark.deploy.worker.Worker || true
    fi
    echo "$2" >"$ROLES/worker"
    running worker.Worker || start_worker "$2"
    [ "${3:-}" = --no-wait ] || wait_for worker worker.Worker registered
    ;;
  hub)
    touch "$ROLES/hub"
    ;;
  start)
    if [ -f "$ROLES/master" ]; then start_master "$(cat "$ROLES/master")"; fi
    if [ -f "$ROLES/worker" ]; then start_worker "$(cat "$ROLES/worker")"; fi
    if [ -f "$ROLES/hub" ]; then /usr/local/sbin/cumulo-jupyterhub start --no-wait; fi
    ;;
  stop)
    pkill -u spark -f org.apache.spark.deploy. || true
    ;;
  status)
    running master.Master || running worker.Worker
    ;;
  *)
    echo "usage: cumulo-spark master HOST | worker MASTER_URL [--no-wait] | hub | start | stop | status" >&2
    exit 2
    ;;
esac
