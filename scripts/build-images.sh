#!/usr/bin/env bash
# Builds the local site's base images without Docker Hub, from Debian packages:
#   cumulo/debian-base:12  minimal bookworm root file system (mmdebstrap, docker import)
#   cumulo/vm-debian:12    a VM-like image: sshd, sudo, python3 and our init (base + init)
#   cumulo/httpd:1         busybox httpd on :8080 serving /www (a few MB)
#   cumulo/redis:7         Debian's redis-server on :6379 (the compose example's database)
#   cumulo/counter-web:1   a Python web app on :8000 counting visits in Redis (its web app)
#   cumulo/vm-jupyter:12   the VM-like image plus JupyterHub, JupyterLab, oauthenticator (PyPI),
#                          configurable-http-proxy, Prometheus and its node exporter
#                          (Debian): "Jupyter with persistence"
# Only when asked ("ml"; large, several minutes):
#   cumulo/vm-jupyter-ml:12  vm-jupyter plus numpy, scipy, scikit-learn and TensorFlow
#                          (CPU builds, PyPI), and Debian's PyTorch with a kernel of
#                          its own: ML-INFN, "TensorFlow with Jupyter"
# Only when asked ("spark"):
#   cumulo/vm-spark:12     vm-jupyter plus Java 17 (Debian) and PySpark (PyPI): the
#                          master, workers and hub of "Spark + Jupyter cluster"
# Only when asked ("s3"):
#   cumulo/ceph-rgw:16     Debian's Ceph 16 as a one-container S3 server on :7480 (mon,
#                          mgr, a memstore OSD, radosgw): a site's object storage, and the
#                          real S3 server of the object-storage tests
# Idempotent and quiet: an image is rebuilt only when missing, when its build
# inputs changed (label cumulo.inputs), or with --force.
# Publishing (for sites that pull, docs/federation.md): "push REGISTRY [IMAGE...]"
# tags the built images (default: every cumulo/ image above this machine has) as
# REGISTRY/cumulo/... , pushes them, and drops those tags again.
# Usage: scripts/build-images.sh [--force] [ml] [spark] [s3]
#        scripts/build-images.sh push REGISTRY [IMAGE...]
# Environment: CUMULO_DEBIAN_MIRROR overrides the mirror read from apt's sources.
set -euo pipefail
cd "$(dirname "$0")/.."
INPUTS=src/cumulo/drivers/images
FORCE=0
ML=0
SPARK=0
S3=0
PUSH=
usage() {
  cat <<'USAGE'
usage: scripts/build-images.sh [--force] [ml] [spark] [s3]
       scripts/build-images.sh push REGISTRY [IMAGE...]
Builds the local site's images from Debian packages and PyPI (no registry involved);
ml, spark and s3 add the large optional ones; --force rebuilds.
push REGISTRY [IMAGE...]: publishes built images to REGISTRY (HOST[:PORT][/PREFIX],
the registry: option of the sites that pull them) as REGISTRY/cumulo/NAME:TAG; no
IMAGE: every cumulo/ image this machine has. Log in first (docker login) if the
registry asks for it.
USAGE
}
if [ "${1:-}" = push ]; then
  [ $# -ge 2 ] || { usage >&2; exit 2; }
  PUSH=$2
  shift 2
  PUSH_IMAGES=("$@")
  set --
fi
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    ml) ML=1 ;;
    spark) SPARK=1 ;;
    s3) S3=1 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'build-images: %s\n' "$*" >&2; exit 1; }

SUITE=bookworm
BASE=cumulo/debian-base:12
VM=cumulo/vm-debian:12
HTTPD=cumulo/httpd:1
REDIS=cumulo/redis:7
COUNTER=cumulo/counter-web:1
JUPYTER=cumulo/vm-jupyter:12
JUPYTERHUB_VERSION=6.1.1
JUPYTERLAB_VERSION=4.6.6
OAUTHENTICATOR_VERSION=17.4.0  # the hub's OIDC login (GenericOAuthenticator)
JUPYTER_ML=cumulo/vm-jupyter-ml:12
# CPU builds only: PyPI's torch for Linux needs NVIDIA's CUDA libraries (several
# GB) even to be imported, so PyTorch is Debian's (1.13, a CPU build), run by a
# second kernel on Debian's python3 and numpy (docs/notebooks.md). libopenblas0:
# torch's BLAS, else Debian's reference BLAS (several times slower).
ML_DEBIAN_PACKAGES="python3-torch python3-ipykernel libopenblas0"
VM_SPARK=cumulo/vm-spark:12
PYSPARK_VERSION=4.3.0  # needs Java 17: Debian's openjdk-17-jre-headless
CEPH_RGW=cumulo/ceph-rgw:16
ML_PACKAGES="numpy==2.4.6 scipy==1.17.1 scikit-learn==1.9.1 tensorflow-cpu==2.21.0"
# The host's CA bundle: pip inside a build container needs it when HTTPS goes
# through an inspecting proxy. Bind-mounted for the build only, never in an image.
HOST_CA=${CUMULO_BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
PACKAGES=(openssh-server sudo python3 iproute2 procps ca-certificates bash busybox-static
  netbase less)

command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "no Docker engine reachable"

# Push IMAGE... (cumulo/NAME:TAG, built here) to the registry PUSH as PUSH/cumulo/NAME:TAG;
# the registry's tags are dropped again here (the image stays under its own name).
push_images() {
  local image target
  local host=${PUSH%%/*}
  [[ "$PUSH" =~ ^[A-Za-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$ ]] \
    && [[ "$host" == *.* || "$host" == *:* || "$host" == localhost ]] \
    || die "push: $PUSH is not HOST[:PORT][/PREFIX] (no scheme; a host with a dot or a port)"
  if [ ${#PUSH_IMAGES[@]} -eq 0 ]; then
    mapfile -t PUSH_IMAGES < <(docker image ls --format '{{.Repository}}:{{.Tag}}' 'cumulo/*' \
      | grep -v ':<none>$' | sort)
    [ ${#PUSH_IMAGES[@]} -gt 0 ] || die "push: no cumulo/ image here: build them first"
  fi
  for image in "${PUSH_IMAGES[@]}"; do
    [[ "$image" == cumulo/*:* ]] || die "push: $image is not one of cumulo's images (cumulo/NAME:TAG)"
    docker image inspect "$image" >/dev/null 2>&1 || die "push: $image is not built here"
    target="${PUSH%/}/$image"
    log "pushing $image as $target"
    docker tag "$image" "$target"
    if ! docker push -q "$target" >"$WORK_PUSH_LOG" 2>&1; then
      docker image rm "$target" >/dev/null 2>&1 || true
      tail -n 5 "$WORK_PUSH_LOG" >&2
      die "push of $target failed"
    fi
    docker image rm "$target" >/dev/null
  done
}
if [ -n "$PUSH" ]; then
  WORK_PUSH_LOG=$(mktemp)
  trap 'rm -f "$WORK_PUSH_LOG"' EXIT
  push_images
  exit 0
fi

# One scratch directory and the helper containers, removed however we exit.
WORK=$(mktemp -d)
HELPERS=()
cleanup() {
  [ ${#HELPERS[@]} -eq 0 ] || docker rm -f "${HELPERS[@]}" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
# A stopped container of the base image to copy files in or out; sets HELPER.
helper() { HELPER=$(docker create "$BASE" /bin/true); HELPERS+=("$HELPER"); }

# sha256 of the given strings and files: the build inputs of an image.
inputs_hash() { { printf '%s\n' "$@"; for f in "$@"; do if [ -f "$f" ]; then cat "$f"; fi; done; } \
  | sha256sum | cut -c1-16; }

# True when the image must be (re)built: missing, stale inputs, or --force.
needs_build() {  # IMAGE HASH
  [ "$FORCE" = 1 ] && return 0
  local have
  have=$(docker image inspect -f '{{index .Config.Labels "cumulo.inputs"}}' "$1" 2>/dev/null) \
    || return 0
  [ "$have" != "$2" ]
}

# The Debian mirror apt uses on this machine (deb822 or one-line sources): the
# first "deb" source whose URI names debian (not its security archive) for a
# main suite (no "-updates"/"-security" suffix); else deb.debian.org.
debian_mirror() {
  if [ -n "${CUMULO_DEBIAN_MIRROR:-}" ]; then echo "${CUMULO_DEBIAN_MIRROR%/}"; return; fi
  local url
  url=$(
    for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && { cat "$f"; echo; }; done |
      awk 'function main_suite(   i) { for (i = 2; i <= NF; i++) if ($i !~ /-/) return 1; return 0 }
           /^[[:space:]]*$/ { if (deb && uri && suite) { print uri; exit } deb = uri = suite = 0 }
           /^Types:/ { deb = / deb( |$)/ }
           /^URIs:/ { uri = ($2 ~ /debian/ && $2 !~ /security/) ? $2 : 0 }
           /^Suites:/ { suite = main_suite() }
           END { if (deb && uri && suite) print uri }' | head -n 1
  )
  if [ -z "$url" ]; then
    url=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while (i <= NF && $i !~ /\]$/) i++; if ($2 ~ /^\[/) i++
                         if ($i ~ /debian/ && $i !~ /security/ && $(i + 1) !~ /-/) { print $i; exit } }')
  fi
  echo "${url:-http://deb.debian.org/debian}" | sed 's:/*$::'
}

build_base() {  # HASH
  command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (apt-get install mmdebstrap)"
  local mirror tmp=$WORK/base
  mirror=$(debian_mirror)
  mkdir -p "$tmp"
  log "building $BASE from $mirror (mmdebstrap; takes a minute or two)"
  local include source="deb $mirror $SUITE main"
  include=$(IFS=,; echo "${PACKAGES[*]}")
  # On a non-Debian host (Ubuntu) apt does not trust Debian's key by default.
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  [ -f "$keyring" ] && source="deb [signed-by=$keyring] $mirror $SUITE main"
  # Drop docs, man pages and translations; remove the host keys generated by
  # openssh-server's postinst so every container makes its own at first start.
  if ! mmdebstrap --quiet --variant=minbase --include="$include" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*' \
    --customize-hook='rm -rf "$1"/var/cache/apt/*.bin "$1"/var/log/*.log' \
    "$SUITE" "$tmp/rootfs.tar" "$source" >"$tmp/log" 2>&1; then
    tail -n 30 "$tmp/log" >&2
    die "mmdebstrap failed"
  fi
  docker import --change "LABEL cumulo.inputs=$1" --change 'CMD ["/bin/bash"]' \
    "$tmp/rootfs.tar" "$BASE" >/dev/null
}

build_vm() {  # HASH
  log "building $VM"
  local cid
  helper; cid=$HELPER
  docker cp "$INPUTS/vm-debian/init.sh" "$cid:/usr/local/sbin/cumulo-init" >/dev/null
  docker commit \
    --change "LABEL cumulo.inputs=$1" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'EXPOSE 22' \
    --change 'CMD ["/usr/local/sbin/cumulo-init"]' \
    "$cid" "$VM" >/dev/null
}

build_httpd() {  # HASH
  log "building $HTTPD"
  local tmp=$WORK/httpd cid
  mkdir -p "$tmp/root/bin" "$tmp/root/www" "$tmp/root/tmp" "$tmp/root/etc"
  helper; cid=$HELPER
  docker cp "$cid:/bin/busybox" "$tmp/root/bin/busybox" >/dev/null
  for applet in $("$tmp/root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$tmp/root/bin/$applet"
  done
  cp "$INPUTS/httpd/index.html" "$tmp/root/www/index.html"
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$tmp/root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/root/etc/group"
  chmod 1777 "$tmp/root/tmp"
  tar -C "$tmp/root" --owner=0 --group=0 -cf "$tmp/root.tar" .
  docker import \
    --change "LABEL cumulo.inputs=$1" \
    --change 'ENV PATH=/bin' \
    --change 'EXPOSE 8080' \
    --change 'CMD ["/bin/busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/www"]' \
    "$tmp/root.tar" "$HTTPD" >/dev/null
}

# The base image plus Debian packages installed with apt inside a helper
# container (from the mirror in the base's sources), then committed.
with_packages() {  # HASH IMAGE CHANGES... -- PACKAGES...
  local hash=$1 image=$2 cid changes=() packages
  shift 2
  while [ "$1" != -- ]; do changes+=(--change "$1"); shift; done
  shift
  packages="$*"
  log "building $image (apt-get install $packages)"
  cid=$(docker create "$BASE" sh -c "apt-get update -q >/dev/null && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages \
    >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/*.log")
  HELPERS+=("$cid")
  [ -z "${EXTRA_FILE:-}" ] || docker cp "$EXTRA_FILE" "$cid:$EXTRA_DEST" >/dev/null
  docker start -a "$cid" >"$WORK/apt.log" 2>&1 || { tail -n 20 "$WORK/apt.log" >&2; die "apt-get failed for $image"; }
  docker commit --change "LABEL cumulo.inputs=$hash" --change 'ENV LANG=C.UTF-8' \
    "${changes[@]}" "$cid" "$image" >/dev/null
}

build_redis() {  # HASH
  EXTRA_FILE= with_packages "$1" "$REDIS" 'EXPOSE 6379' 'WORKDIR /var/lib/redis' 'USER redis' \
    'CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/var/lib/redis", "--appendonly", "yes"]' \
    -- redis-server
}

build_counter() {  # HASH
  EXTRA_FILE="$INPUTS/counter-web/app.py" EXTRA_DEST=/usr/local/lib/counter-web.py \
    with_packages "$1" "$COUNTER" 'EXPOSE 8000' 'USER nobody' \
    'CMD ["python3", "-u", "/usr/local/lib/counter-web.py"]' -- python3-redis
}

build_jupyter() {  # HASH
  log "building $JUPYTER (node-configurable-http-proxy; jupyterhub $JUPYTERHUB_VERSION and" \
    "jupyterlab $JUPYTERLAB_VERSION, oauthenticator $OAUTHENTICATOR_VERSION from PyPI; a few minutes)"
  local cid ca=() pip_cert=
  if [ -f "$HOST_CA" ]; then ca=(-v "$HOST_CA:/run/host-ca.crt:ro"); pip_cert=/run/host-ca.crt; fi
  # Versions and the CA go on the command line, not in the container's
  # environment, which docker commit would keep.
  cid=$(docker create "${ca[@]}" "$VM" sh -c "PIP_CERT=$pip_cert \
    JUPYTERHUB_VERSION=$JUPYTERHUB_VERSION JUPYTERLAB_VERSION=$JUPYTERLAB_VERSION \
    OAUTHENTICATOR_VERSION=$OAUTHENTICATOR_VERSION sh /tmp/build/build.sh")
  HELPERS+=("$cid")
  docker cp "$INPUTS/vm-jupyter/." "$cid:/tmp/build" >/dev/null
  docker start -a "$cid" >"$WORK/jupyter.log" 2>&1 || { tail -n 30 "$WORK/jupyter.log" >&2; die "build of $JUPYTER failed"; }
  docker commit --change "LABEL cumulo.inputs=$1" --change 'ENV LANG=C.UTF-8' \
    --change 'EXPOSE 22 8000' --change 'CMD ["/usr/local/sbin/cumulo-jupyter-init"]' \
    "$cid" "$JUPYTER" >/dev/null
}

build_jupyter_ml() {  # HASH
  log "building $JUPYTER_ML ($ML_PACKAGES from PyPI, $ML_DEBIAN_PACKAGES from Debian;" \
    "several minutes)"
  local cid ca=() pip_cert=
  if [ -f "$HOST_CA" ]; then ca=(-v "$HOST_CA:/run/host-ca.crt:ro"); pip_cert=/run/host-ca.crt; fi
  cid=$(docker create "${ca[@]}" "$JUPYTER" sh -c "PIP_CERT=$pip_cert \
    ML_PACKAGES='$ML_PACKAGES' ML_DEBIAN_PACKAGES='$ML_DEBIAN_PACKAGES' sh /tmp/build/build.sh")
  HELPERS+=("$cid")
  docker cp "$INPUTS/vm-jupyter-ml/." "$cid:/tmp/build" >/dev/null
  docker start -a "$cid" >"$WORK/jupyter-ml.log" 2>&1 \
    || { tail -n 30 "$WORK/jupyter-ml.log" >&2; die "build of $JUPYTER_ML failed"; }
  docker commit --change "LABEL cumulo.inputs=$1" \
    --change 'CMD ["/usr/local/sbin/cumulo-jupyter-init"]' "$cid" "$JUPYTER_ML" >/dev/null
}

build_spark() {  # HASH
  log "building $VM_SPARK (openjdk-17-jre-headless; pyspark $PYSPARK_VERSION from PyPI; a few minutes)"
  local cid ca=() pip_cert=
  if [ -f "$HOST_CA" ]; then ca=(-v "$HOST_CA:/run/host-ca.crt:ro"); pip_cert=/run/host-ca.crt; fi
  cid=$(docker create "${ca[@]}" "$JUPYTER" sh -c "PIP_CERT=$pip_cert \
    PYSPARK_VERSION=$PYSPARK_VERSION sh /tmp/build/build.sh")
  HELPERS+=("$cid")
  docker cp "$INPUTS/vm-spark/." "$cid:/tmp/build" >/dev/null
  docker start -a "$cid" >"$WORK/spark.log" 2>&1 \
    || { tail -n 30 "$WORK/spark.log" >&2; die "build of $VM_SPARK failed"; }
  docker commit --change "LABEL cumulo.inputs=$1" --change 'EXPOSE 22 7077 8000 8080 8081' \
    --change 'CMD ["/usr/local/sbin/cumulo-spark-init"]' "$cid" "$VM_SPARK" >/dev/null
}

build_ceph_rgw() {  # HASH
  EXTRA_FILE="$INPUTS/ceph-rgw/entrypoint.sh" EXTRA_DEST=/usr/local/sbin/cumulo-ceph-rgw \
    with_packages "$1" "$CEPH_RGW" 'EXPOSE 7480' \
    'CMD ["/usr/local/sbin/cumulo-ceph-rgw"]' -- ceph-mon ceph-mgr ceph-osd radosgw ceph-common
}

# Build IMAGE with FUNCTION when needed; remember the image it replaced.
REPLACED=()
ensure() {  # IMAGE HASH FUNCTION
  needs_build "$1" "$2" || return 0
  local old
  old=$(docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true)
  "$3" "$2"
  [ -z "$old" ] || REPLACED=("$old" "${REPLACED[@]}")
}

base_hash=$(inputs_hash "$SUITE" "${PACKAGES[@]}" build-base-v1)
ensure "$BASE" "$base_hash" build_base
base_id=$(docker image inspect -f '{{.Id}}' "$BASE")
# Derived images depend on the base image's id as well as their own inputs.
vm_hash=$(inputs_hash "$base_id" "$INPUTS/vm-debian/init.sh" build-vm-v1)
ensure "$VM" "$vm_hash" build_vm
httpd_hash=$(inputs_hash "$base_id" "$INPUTS/httpd/index.html" build-httpd-v1)
ensure "$HTTPD" "$httpd_hash" build_httpd
redis_hash=$(inputs_hash "$base_id" build-redis-v1)
ensure "$REDIS" "$redis_hash" build_redis
counter_hash=$(inputs_hash "$base_id" "$INPUTS/counter-web/app.py" build-counter-v1)
ensure "$COUNTER" "$counter_hash" build_counter
vm_id=$(docker image inspect -f '{{.Id}}' "$VM")
jupyter_hash=$(inputs_hash "$vm_id" "$JUPYTERHUB_VERSION" "$JUPYTERLAB_VERSION" "$OAUTHENTICATOR_VERSION" \
  "$INPUTS"/vm-jupyter/* build-jupyter-v1)
ensure "$JUPYTER" "$jupyter_hash" build_jupyter
if [ "$ML" = 1 ]; then
  jupyter_id=$(docker image inspect -f '{{.Id}}' "$JUPYTER")
  ml_hash=$(inputs_hash "$jupyter_id" "$ML_PACKAGES" "$ML_DEBIAN_PACKAGES" "$INPUTS"/vm-jupyter-ml/* \
    build-jupyter-ml-v2)
  ensure "$JUPYTER_ML" "$ml_hash" build_jupyter_ml
fi
if [ "$SPARK" = 1 ]; then
  jupyter_id=$(docker image inspect -f '{{.Id}}' "$JUPYTER")
  spark_hash=$(inputs_hash "$jupyter_id" "$PYSPARK_VERSION" "$INPUTS"/vm-spark/* build-spark-v1)
  ensure "$VM_SPARK" "$spark_hash" build_spark
fi
if [ "$S3" = 1 ]; then
  s3_hash=$(inputs_hash "$base_id" "$INPUTS"/ceph-rgw/* build-ceph-rgw-v1)
  ensure "$CEPH_RGW" "$s3_hash" build_ceph_rgw
fi
# Drop the replaced (now untagged) images, derived ones first, so rebuilds do
# not pile up; one still used by a container stays.
for old in "${REPLACED[@]}"; do docker image rm "$old" >/dev/null 2>&1 || true; done
exit 0
