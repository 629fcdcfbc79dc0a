#!/usr/bin/env bash
# Installs everything cumulo needs on a fresh Debian/Ubuntu machine, idempotently:
# system packages (when root), the Docker engine (started when not running),
# the virtual environment with cumulo and its test tools, the local site's images.
# Usage: scripts/setup.sh            (quiet unless something fails)
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# docker-registry: a container registry (distribution 2.8) the tests of sites that pull
# images run on 127.0.0.1 of their own; the system service its package enables is not wanted.
SYSTEM_PACKAGES=(docker.io docker-compose mmdebstrap debian-archive-keyring openssh-client ca-certificates python3-venv postgresql chromium docker-registry)

install_system_packages() {
  local missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  # docker.io is not needed when a Docker engine is already reachable.
  if docker info >/dev/null 2>&1; then
    missing=("${missing[@]/docker.io}")
  fi
  missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    log "missing system packages: ${missing[*]} (run as root, or install them)"; return 0
  fi
  log "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [[ " ${missing[*]} " == *" docker-registry "* ]] && command -v systemctl >/dev/null; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
}

# Every deployment gets its own Docker networks: Docker's default pools hold about 30
# networks, these 4,096 (/24s of 172.16.0.0/12, the range Docker already uses).
# An engine someone else configured is left as it is (cumulo doctor says so).
address_pools() {
  [ -e /etc/docker/daemon.json ] && return 0
  mkdir -p /etc/docker
  printf '%s\n' '{"default-address-pools": [{"base": "172.16.0.0/12", "size": 24}]}' \
    >/etc/docker/daemon.json
}

start_docker() {
  docker info >/dev/null 2>&1 && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v dockerd >/dev/null; then
    log "no Docker engine reachable: the local site will be unavailable"; return 0
  fi
  log "starting the Docker engine (dockerd)"
  mkdir -p var
  address_pools
  nohup dockerd >var/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "dockerd did not start; see var/dockerd.log"; return 1
}

make_venv() {
  if [ ! -x .venv/bin/python ]; then
    log "creating the virtual environment .venv"
    python3 -m venv .venv
  fi
  if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    log "installing cumulo and its Python dependencies"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[test]'
    touch .venv/.installed
  fi
}

# The dashboard's browser tests: axe-core from the npm registry (npm from Debian when
# there is none; Playwright drives Debian's chromium and never downloads a browser).
install_web_test_tools() {
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" -ne 0 ]; then log "npm missing: the accessibility test will be skipped"; return 0; fi
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  if [ ! -f tests/web/node_modules/axe-core/axe.min.js ] || [ tests/web/package.json -nt tests/web/node_modules ]; then
    log "installing the dashboard's test tools (npm: axe-core)"
    npm install --prefix tests/web --no-audit --no-fund --silent >/dev/null
    touch tests/web/node_modules
  fi
}

build_images() {
  docker info >/dev/null 2>&1 || return 0
  if [ -x scripts/build-images.sh ]; then scripts/build-images.sh; fi
}

install_system_packages
start_docker
make_venv
install_web_test_tools
build_images
