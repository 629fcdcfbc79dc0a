#!/bin/sh
# cumulo-init: PID 1 of the VM-like image cumulo/vm-debian.
# At first start it generates the SSH host key (one ed25519 key: fast, and
# unique per container), creates the accounts the driver asks for, then runs
# sshd in the foreground. Its log line "Server listening" is the driver's
# readiness signal.
#
# Accounts come from CUMULO_ACCOUNTS: one line per key, "NAME SUDO KEY...",
# where SUDO is 1 (passwordless sudo) or 0 and KEY is an OpenSSH public key
# line ("-" for none). A name may appear on several lines (several keys).
set -eu

log() { echo "cumulo-init: $*" >&2; }

if [ ! -s /etc/ssh/ssh_host_ed25519_key ]; then
  ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
fi
mkdir -p /run/sshd
chmod 0755 /run/sshd

add_account() {  # NAME SUDO KEY
  name=$1 sudo=$2 key=$3
  case "$name" in
    ''|*[!a-z0-9_.-]*|[-.]*) log "invalid account name '$name'"; exit 64 ;;
  esac
  if ! id "$name" >/dev/null 2>&1; then
    useradd --create-home --shell /bin/bash --user-group "$name"
    usermod -p '*' "$name"  # no password, but not locked: key login allowed
  fi
  home=$(getent passwd "$name" | cut -d: -f6)
  install -d -m 0700 -o "$name" -g "$name" "$home/.ssh"
  if [ "$key" != "-" ] && [ -n "$key" ]; then
    touch "$home/.ssh/authorized_keys"
    grep -qxF "$key" "$home/.ssh/authorized_keys" || printf '%s\n' "$key" >>"$home/.ssh/authorized_keys"
    chown "$name:$name" "$home/.ssh/authorized_keys"
    chmod 0600 "$home/.ssh/authorized_keys"
  fi
  if [ "$sudo" = 1 ]; then
    printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$name" >"/etc/sudoers.d/90-cumulo-$name"
    chmod 0440 "/etc/sudoers.d/90-cumulo-$name"
  fi
}

if [ -n "${CUMULO_ACCOUNTS:-}" ]; then
  printf '%s\n' "$CUMULO_ACCOUNTS" | while read -r name sudo key; do
    [ -n "$name" ] || continue
    add_account "$name" "${sudo:-0}" "${key:--}"
  done
fi
unset CUMULO_ACCOUNTS

# UsePAM=no: PAM session modules (loginuid) fail in containers.
exec /usr/sbin/sshd -D -e \
  -o HostKey=/etc/ssh/ssh_host_ed25519_key \
  -o UsePAM=no \
  -o PasswordAuthentication=no \
  -o KbdInteractiveAuthentication=no \
  -o PermitRootLogin=prohibit-password \
  -o UseDNS=no
