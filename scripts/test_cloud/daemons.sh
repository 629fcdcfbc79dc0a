# Sourced by scripts/test-cloud: starts daemons in their own process groups, recorded in
# $TC/run/NAME.pid, and stops them by those groups only (never by name).

pid_of() { cat "$TC/run/$1.pid" 2>/dev/null || true; }

# Running: its recorded pid is alive and still leads its own process group.
running() {
  local pid pgid
  pid=$(pid_of "$1")
  [ -n "$pid" ] || return 1
  pgid=$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ') || return 1
  [ "$pgid" = "$pid" ]
}

# start_daemon NAME COMMAND...: in a new session (setsid does not fork here: a background
# child of a script is no group leader), so $! is the daemon and its process group.
start_daemon() {
  local name=$1
  shift
  running "$name" && return 0
  setsid "$@" >>"$TC/log/$name.out" 2>&1 </dev/null &
  echo $! >"$TC/run/$name.pid"
  STARTED+=("$name")
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # NAME PORT [SECONDS]
  local deadline=$((SECONDS + ${3:-90}))
  until port_open "$2"; do
    running "$1" || die "$1 exited; see $TC/log/$1.out and $TC/log/$1.log"
    [ $SECONDS -lt $deadline ] || die "$1 is not listening on $2 after ${3:-90} s; see $TC/log/"
    sleep 0.5
  done
}

# stop_groups SECONDS NAME...: SIGTERM to each group, SIGKILL to what is left after SECONDS.
stop_groups() {
  local grace=$1 name pid left
  shift
  for name in "$@"; do
    running "$name" && kill -TERM -- "-$(pid_of "$name")" 2>/dev/null
  done
  local deadline=$((SECONDS + grace))
  while :; do
    left=()
    for name in "$@"; do
      pid=$(pid_of "$name")
      [ -n "$pid" ] && kill -0 -- "-$pid" 2>/dev/null && left+=("$name")
    done
    [ ${#left[@]} -eq 0 ] && break
    if [ $SECONDS -ge $deadline ]; then
      for name in "${left[@]}"; do
        log "$name did not stop after ${grace} s: SIGKILL to its process group"
        kill -KILL -- "-$(pid_of "$name")" 2>/dev/null || true
      done
      sleep 0.5
      break
    fi
    sleep 0.3
  done
  for name in "$@"; do rm -f "$TC/run/$name.pid"; done
}

# --- MariaDB and RabbitMQ ----------------------------------------------------------------

MYSQL_SOCK() { echo "$TC/run/mysqld.sock"; }
mysql_root() { mariadb --no-defaults --protocol=socket --socket="$(MYSQL_SOCK)" -uroot "$@"; }

start_mariadb() {
  local data=$TC/data/mysql
  if [ ! -d "$data/mysql" ]; then
    mkdir -p "$data"
    mariadb-install-db --no-defaults --datadir="$data" --user=root \
      --auth-root-authentication-method=socket --skip-test-db >"$TC/log/mariadb-install.out" 2>&1 ||
      die "mariadb-install-db failed; see $TC/log/mariadb-install.out"
  fi
  # No native AIO on this kind of machine; root owns the data (no chown of the work tree).
  start_daemon mariadb /usr/sbin/mariadbd --no-defaults --user=root --datadir="$data" \
    --socket="$(MYSQL_SOCK)" --pid-file="$data/mariadbd.pid" --bind-address=127.0.0.1 \
    --port=3306 --innodb-use-native-aio=0 --skip-name-resolve --max-connections=1000 \
    --log-error="$TC/log/mariadb.log"
  wait_port mariadb 3306 60
}

create_databases() {
  local db sql="CREATE USER IF NOT EXISTS 'openstack'@'127.0.0.1' IDENTIFIED BY '$DB_PW';"
  for db in keystone glance placement nova_api nova nova_cell0 neutron cinder; do
    sql+="CREATE DATABASE IF NOT EXISTS $db; GRANT ALL ON $db.* TO 'openstack'@'127.0.0.1';"
  done
  mysql_root -e "$sql"
}

# RabbitMQ as root with everything under $TC: its cookie (HOME), node name, 127.0.0.1 only.
RABBIT_ENV=(HOME="$TC/data/rabbitmq" RABBITMQ_NODENAME=rabbit@localhost
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=5672
  RABBITMQ_MNESIA_BASE="$TC/data/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$TC/log/rabbitmq"
  RABBITMQ_CONFIG_FILE="$TC/etc/rabbitmq.conf" RABBITMQ_CONF_ENV_FILE="$TC/etc/rabbitmq-env.conf"
  RABBITMQ_ENABLED_PLUGINS_FILE="$TC/etc/rabbitmq-plugins"
  RABBITMQ_ADVANCED_CONFIG_FILE="$TC/etc/rabbitmq-advanced.config"
  RABBITMQ_PID_FILE="$TC/data/rabbitmq/beam.pid" ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=4369
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}")

start_rabbitmq() {
  mkdir -p "$TC/data/rabbitmq/mnesia" "$TC/log/rabbitmq"
  printf 'listeners.tcp.default = 127.0.0.1:5672\ndisk_free_limit.absolute = 50MB\n' \
    >"$TC/etc/rabbitmq.conf"
  printf '[].\n' >"$TC/etc/rabbitmq-plugins"
  printf '[].\n' >"$TC/etc/rabbitmq-advanced.config"
  : >"$TC/etc/rabbitmq-env.conf"
  # epmd in our own group (started by erl it would detach and outlive `down`).
  start_daemon epmd epmd -address 127.0.0.1 -port 4369
  wait_port epmd 4369 20
  start_daemon rabbitmq env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
  wait_port rabbitmq 5672 90
}

stop_rabbitmq() {
  if running rabbitmq; then
    timeout 30 env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl shutdown \
      >>"$TC/log/rabbitmq.out" 2>&1 || true
  fi
  stop_groups 10 rabbitmq
  stop_groups 5 epmd
}
