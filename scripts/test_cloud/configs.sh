# Sourced by scripts/test-cloud: writes every service's configuration under $TC/etc.
# Needs TC, HOST and the passwords of $TC/secrets.env (DB_PW, SERVICE_PW).
# Every daemon is given these files explicitly (--config-file); /etc is left as installed.

KEYSTONE=http://127.0.0.1:5000
RABBIT=rabbit://guest:guest@127.0.0.1:5672/

db_url() { echo "mysql+pymysql://openstack:${DB_PW}@127.0.0.1/$1?charset=utf8"; }

# [DEFAULT] lines every OpenStack service shares.
common_defaults() { # $1: log file name
  cat <<EOF
debug = false
log_file = $TC/log/$1.log
use_stderr = false
transport_url = $RABBIT
state_path = $TC/data/$1
EOF
}

# Password auth as the services' user, for a section such as [keystone_authtoken] or [neutron].
service_auth() {
  cat <<EOF
auth_url = $KEYSTONE
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = services
password = $SERVICE_PW
region_name = RegionOne
EOF
}

authtoken() { # [keystone_authtoken] (no memcached: tokens are cached in each process)
  printf '[keystone_authtoken]\nwww_authenticate_uri = %s\n' "$KEYSTONE"
  service_auth
}

common_tail() { # lock path and no notifications (no consumer would drain their queues)
  cat <<EOF

[oslo_concurrency]
lock_path = $TC/data/lock

[oslo_messaging_notifications]
driver = noop
EOF
}

write_keystone_conf() {
  cat >"$TC/etc/keystone.conf" <<EOF
[DEFAULT]
log_file = $TC/log/keystone.log
use_stderr = false

[database]
connection = $(db_url keystone)

[token]
provider = fernet

[fernet_tokens]
key_repository = $TC/etc/fernet-keys

[credential]
key_repository = $TC/etc/credential-keys
EOF
}

write_placement_conf() {
  mkdir -p "$TC/etc/placement"
  cat >"$TC/etc/placement/placement.conf" <<EOF
[DEFAULT]
log_file = $TC/log/placement.log
use_stderr = false

[api]
auth_strategy = keystone

[placement_database]
connection = $(db_url placement)

$(authtoken)
EOF
}

write_glance_conf() {
  cat >"$TC/etc/glance-api.conf" <<EOF
[DEFAULT]
$(common_defaults glance)
bind_host = 127.0.0.1
bind_port = 9292
workers = 1
node_staging_uri = file://$TC/data/glance/staging

[database]
connection = $(db_url glance)

[glance_store]
stores = file
default_store = file
filesystem_store_datadir = $TC/data/glance/images

[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini

$(authtoken)
$(common_tail)
EOF
}

# nova-compute gets the same file without the database sections (it must not use them).
nova_conf() {
  cat <<EOF
[DEFAULT]
$(common_defaults nova)
host = $HOST
my_ip = 127.0.0.1
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_workers = 1
compute_driver = fake.FakeDriver
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
instances_path = $TC/data/nova/instances

[api]
auth_strategy = keystone

[wsgi]
api_paste_config = /etc/nova/api-paste.ini

[conductor]
workers = 1

[scheduler]
workers = 1
discover_hosts_in_cells_interval = 30

[pci]
# The alias of g1.gpu's pci_passthrough:alias: accepted by the API; no such device
# exists here, so a server of that flavor ends in ERROR (no valid host).
alias = {"name": "nvidia-v100", "vendor_id": "10de", "product_id": "1db4", "device_type": "type-PCI"}

[vnc]
enabled = false

[placement]
$(service_auth)

[neutron]
$(service_auth)

[cinder]
os_region_name = RegionOne
$(service_auth)

[service_user]
# Detaching a volume needs nova's own token beside the user's (else: stuck "detaching").
send_service_user_token = true
$(service_auth)

$(authtoken)
$(common_tail)
EOF
}

write_nova_confs() {
  nova_conf >"$TC/etc/nova-compute.conf"
  { nova_conf; cat <<EOF

[api_database]
connection = $(db_url nova_api)

[database]
connection = $(db_url nova)
EOF
  } >"$TC/etc/nova.conf"
}

write_neutron_confs() {
  cat >"$TC/etc/neutron.conf" <<EOF
[DEFAULT]
$(common_defaults neutron)
bind_host = 127.0.0.1
bind_port = 9696
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 0
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
api_paste_config = /etc/neutron/api-paste.ini
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true

[experimental]
# No agent runs: the linuxbridge driver binds ports for the fake agent row of $HOST.
linuxbridge = true

[database]
connection = $(db_url neutron)

[nova]
$(service_auth)

$(authtoken)
$(common_tail)
EOF
  cat >"$TC/etc/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
mechanism_drivers = linuxbridge
extension_drivers = port_security

[ml2_type_flat]
flat_networks = *

[ml2_type_vxlan]
vni_ranges = 1:1000
EOF
}

write_cinder_conf() {
  cat >"$TC/etc/cinder.conf" <<EOF
[DEFAULT]
$(common_defaults cinder)
host = $HOST
my_ip = 127.0.0.1
osapi_volume_listen = 127.0.0.1
osapi_volume_workers = 1
auth_strategy = keystone
api_paste_config = /etc/cinder/api-paste.ini
enabled_backends = fake
default_volume_type = fake
# Cinder's scheduler places a volume only once cinder-volume has reported its backend;
# by default that report comes up to two minutes after the start ("No valid backend").
periodic_interval = 5
periodic_fuzzy_delay = 0
backend_stats_polling_interval = 10

[fake]
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake
target_helper = fake

[database]
connection = $(db_url cinder)

[nova]
$(service_auth)

$(authtoken)
service_token_roles_required = true
$(common_tail)
EOF
}

write_configs() {
  mkdir -p "$TC/etc" "$TC/data/lock" "$TC/data/glance/images" "$TC/data/glance/staging" \
    "$TC/data/nova/instances" "$TC/data/neutron" "$TC/data/cinder"
  write_keystone_conf
  write_placement_conf
  write_glance_conf
  write_nova_confs
  write_neutron_confs
  write_cinder_conf
  chmod 600 "$TC"/etc/*.conf "$TC"/etc/*.ini "$TC/etc/placement/placement.conf"
}
