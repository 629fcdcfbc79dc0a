#!/bin/bash
# cumulo/ceph-rgw:16: a one-container Ceph cluster serving S3 on :7480 (object storage
# for a site, and the real S3 server of the tests). Unprivileged: one monitor, one
# manager, one OSD on memstore (RAM: no disk, no loop device; data are lost on
# restart), pool size 1, and radosgw. The S3 administrator (caps on users, buckets,
# metadata, usage) gets the keys of RGW_ADMIN_ACCESS_KEY / RGW_ADMIN_SECRET_KEY, or
# random ones written to /etc/ceph/rgw-admin.keys (read them with docker exec).
# /run/cumulo-rgw.ready appears once S3 answers with that user in place.
set -euo pipefail
MEMSTORE_BYTES=${MEMSTORE_BYTES:-1073741824}
log() { echo "ceph-rgw: $*" >&2; }

FSID=$(cat /proc/sys/kernel/random/uuid)
mkdir -p /etc/ceph /var/lib/ceph/mon/ceph-a /var/lib/ceph/mgr/ceph-x /var/lib/ceph/osd/ceph-0 \
  /var/lib/ceph/radosgw/ceph-rgw.gw /var/run/ceph /var/log/ceph
rm -f /run/cumulo-rgw.ready
cat >/etc/ceph/ceph.conf <<EOF
[global]
fsid = $FSID
mon initial members = a
mon host = v2:127.0.0.1:3300
public network = 127.0.0.0/8
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon data avail warn = 1
mon data avail crit = 0
log to file = false
log to stderr = false
err to stderr = true
mon cluster log to file = false
[client.rgw.gw]
rgw frontends = beast port=7480
rgw dns name = localhost
EOF

ceph-authtool --create-keyring /tmp/mon.keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring /etc/ceph/ceph.client.admin.keyring --gen-key -n client.admin \
  --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool /tmp/mon.keyring --import-keyring /etc/ceph/ceph.client.admin.keyring >/dev/null
monmaptool --create --addv a '[v2:127.0.0.1:3300]' --fsid "$FSID" /tmp/monmap >/dev/null
ceph-mon --mkfs -i a --monmap /tmp/monmap --keyring /tmp/mon.keyring
rm -f /tmp/mon.keyring /tmp/monmap

PIDS=()
ceph-mon -f -i a & PIDS+=($!)
log "monitor started"

ceph auth get-or-create mgr.x mon 'allow profile mgr' osd 'allow *' mds 'allow *' \
  >/var/lib/ceph/mgr/ceph-x/keyring
ceph-mgr -f -i x & PIDS+=($!)

OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_SECRET=$(ceph-authtool --gen-print-key)
echo "{\"cephx_secret\": \"$OSD_SECRET\"}" | ceph osd new "$OSD_UUID" -i - >/dev/null
ceph-authtool --create-keyring /var/lib/ceph/osd/ceph-0/keyring --name osd.0 \
  --add-key "$OSD_SECRET" >/dev/null
ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" 2>/dev/null
ceph-osd -f -i 0 & PIDS+=($!)
log "osd started"

ceph auth get-or-create client.rgw.gw mon 'allow rw' osd 'allow rwx' \
  >/var/lib/ceph/radosgw/ceph-rgw.gw/keyring
radosgw -f -n client.rgw.gw --keyring /var/lib/ceph/radosgw/ceph-rgw.gw/keyring & PIDS+=($!)
log "radosgw started"

ACCESS=${RGW_ADMIN_ACCESS_KEY:-$(head -c 15 /dev/urandom | base32)}
SECRET=${RGW_ADMIN_SECRET_KEY:-$(head -c 30 /dev/urandom | base64 | tr -d '/+=')}
unset RGW_ADMIN_SECRET_KEY
radosgw-admin user create --uid=admin --display-name="S3 administrator" \
  --access-key="$ACCESS" --secret-key="$SECRET" \
  --caps='users=*;buckets=*;metadata=*;usage=*;zone=*' >/dev/null
(umask 077; printf '%s:%s\n' "$ACCESS" "$SECRET" >/etc/ceph/rgw-admin.keys)
until python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:7480/")' \
  2>/dev/null; do
  sleep 0.2
done
touch /run/cumulo-rgw.ready
log "S3 ready on :7480"

# One daemon gone: the container ends (its restart policy, if any, starts a fresh cluster).
trap 'kill "${PIDS[@]}" 2>/dev/null; exit 0' TERM INT
wait -n "${PIDS[@]}"
log "a daemon exited; stopping"
kill "${PIDS[@]}" 2>/dev/null || true
exit 1
