# Sourced by scripts/test-cloud: installs Debian's OpenStack packages, idempotently.
# Nothing may start at install (no systemd here, and our daemons run from var/test-cloud),
# and dbconfig-common must not create databases: we do that ourselves.

PACKAGES=(
  mariadb-server rabbitmq-server python3-pymysql
  keystone glance-api placement-api
  nova-api nova-conductor nova-scheduler nova-compute
  nova-compute-ironic  # only satisfies nova-compute-hypervisor (kvm/qemu would pull libvirt)
  neutron-server cinder-api cinder-scheduler cinder-volume
  uwsgi uwsgi-plugin-python3
)
DBCONFIG_PACKAGES=(keystone glance-common placement-common nova-common neutron-common
  cinder-common)

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"
  done
}

install_packages() {
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing packages (run as root to install them): $missing"
  log "installing Debian's OpenStack packages: $(echo $missing)"
  local started=$SECONDS p policy=/usr/sbin/policy-rc.d saved=/usr/sbin/policy-rc.d.test-cloud
  for p in "${DBCONFIG_PACKAGES[@]}"; do
    echo "$p $p/dbconfig-install boolean false"
  done | debconf-set-selections
  # A policy-rc.d that denies every start, whatever the machine had (put back after).
  [ -e "$policy" ] && mv "$policy" "$saved"
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  export DEBIAN_FRONTEND=noninteractive
  local rc=0
  { apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"; } \
    >"$TC/log/apt.log" 2>&1 || rc=$?
  rm -f "$policy"
  [ -e "$saved" ] && mv "$saved" "$policy"
  [ $rc -eq 0 ] || die "apt-get failed (exit $rc); see $TC/log/apt.log"
  log "installed in $((SECONDS - started)) s"
}
