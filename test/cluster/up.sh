#!/bin/bash
# Brings the test cluster up (as root; idempotent: a running instance is stopped first).
#
#   test/cluster/up.sh                               sshd on 127.0.0.1:2222, SLURM beside it
#   FLOTILLA_CLUSTER_NETNS=flotsim test/cluster/up.sh  the cluster in its own network namespace
#                                                    at 10.213.0.2, so a test can cut the link
# Other knobs: FLOTILLA_CLUSTER_DIR (/var/tmp/flotilla-cluster), FLOTILLA_CLUSTER_SSH_PORT
# (2222), FLOTILLA_CLUSTER_MIN_JOB_AGE (300), FLOTILLA_CLUSTER_GROMACS (1: install GROMACS),
# FLOTILLA_CLUSTER_INSTALL (1: apt-get install what is missing).
# On success it writes $FLOTILLA_CLUSTER_DIR/cluster.json with what tests need to connect.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CLUSTER_FRESH_NET=1
. "$HERE/common.sh"
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR
[ "$(id -u)" = 0 ] || fail "run as root (it installs packages, adds users and starts daemons)"

# --- packages -------------------------------------------------------------------------
PACKAGES="openssh-server openssh-client munge slurm-wlm slurm-client iproute2 iptables procps libpam-oath oathtool"
[ "${FLOTILLA_CLUSTER_GROMACS:-1}" = 1 ] && PACKAGES="$PACKAGES gromacs"
missing=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $PACKAGES 2>/dev/null | awk '$2 != "ii" { print $1 }' || true)
for package in $PACKAGES; do dpkg-query -W "$package" >/dev/null 2>&1 || missing="$missing $package"; done
missing=$(echo $missing)
if [ -n "$missing" ]; then
  [ "${FLOTILLA_CLUSTER_INSTALL:-1}" = 1 ] || fail "missing packages: $missing"
  say "installing $missing"
  mkdir -p "$DIR/log"
  # Package scripts must not start the system's own ssh, munge or slurm services.
  own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  for try in 1 2 3 4 5; do
    apt-get -q -o DPkg::Lock::Timeout=600 update >"$DIR/log/apt.log" 2>&1 && break
    [ "$try" = 5 ] && { show_log "$DIR/log/apt.log"; fail "apt-get update failed"; }
    sleep 5
  done
  apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 $missing >>"$DIR/log/apt.log" 2>&1 ||
    { show_log "$DIR/log/apt.log"; fail "apt-get install $missing failed"; }
  [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# --- a clean start --------------------------------------------------------------------
"$HERE/down.sh" --keep-net
for port in $SSH_PORT 6817 6818; do
  [ -n "$NETNS" ] && break
  if ss -Hltn "( sport = :$port )" | grep -q .; then fail "port $port is in use on this machine"; fi
done
mkdir -p "$DIR"/{etc,keys,log,run,home,bin,slurm/state,slurm/spool,slurm/log,munge}
chmod 755 "$DIR" "$DIR/home"
printf 'NETNS=%q\nSSH_PORT=%q\n' "$NETNS" "$SSH_PORT" >"$DIR/run/net"

if [ -n "$NETNS" ]; then
  say "network namespace $NETNS: $HOST_IP (this machine) <-> $CLUSTER_IP (the cluster)"
  ip netns list | grep -qw "^$NETNS" || ip netns add "$NETNS"
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip link add "$HOST_IF" type veth peer name "$PEER_IF"
    ip link set "$PEER_IF" netns "$NETNS"
  fi
  ip addr replace "$HOST_IP/30" dev "$HOST_IF"
  ip link set "$HOST_IF" up
  "${IN_NS[@]}" ip addr replace "$CLUSTER_IP/30" dev "$PEER_IF"
  "${IN_NS[@]}" ip link set "$PEER_IF" up
  "${IN_NS[@]}" ip link set lo up
  # With the link down its route goes; this one keeps the subnet from leaking to the default route.
  ip route show | grep -q "^unreachable $SUBNET" || ip route add unreachable "$SUBNET" metric 4242
fi

# --- users and keys -------------------------------------------------------------------
for user in $USER1 $USER2; do
  if ! id "$user" >/dev/null 2>&1; then useradd -m -d "$DIR/home/$user" -s /bin/bash "$user"; fi
  usermod -d "$DIR/home/$user" "$user" >/dev/null 2>&1 || true
  install -d -o "$user" -g "$user" -m 755 "$DIR/home/$user"
done
echo "$USER2:$USER2_PASSWORD" | chpasswd
[ -f "$DIR/etc/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C flotilla-test-host -f "$DIR/etc/host_ed25519"
[ -f "$DIR/keys/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "$USER1@flotilla-test" -f "$DIR/keys/id_ed25519"
[ -f "$DIR/keys/id_ed25519_pass" ] || ssh-keygen -q -t ed25519 -N "$KEY_PASSPHRASE" -C "$USER1@flotilla-test-pass" -f "$DIR/keys/id_ed25519_pass"
chmod 600 "$DIR/keys/id_ed25519" "$DIR/keys/id_ed25519_pass"
install -d -o $USER1 -g $USER1 -m 700 "$DIR/home/$USER1/.ssh"
cat "$DIR/keys/id_ed25519.pub" "$DIR/keys/id_ed25519_pass.pub" >"$DIR/home/$USER1/.ssh/authorized_keys"
chown $USER1:$USER1 "$DIR/home/$USER1/.ssh/authorized_keys"
chmod 600 "$DIR/home/$USER1/.ssh/authorized_keys"
host_key=$(cut -d' ' -f1,2 "$DIR/etc/host_ed25519.pub")
echo "[$LISTEN]:$SSH_PORT $host_key" >"$DIR/keys/known_hosts"
fingerprint=$(ssh-keygen -l -E sha256 -f "$DIR/etc/host_ed25519.pub" | cut -d' ' -f2)

# --- PAM: password, then a one-time code (TOTP) -----------------------------------------
# sshd names its PAM service after the program it runs as: a link of our own name gets a
# PAM stack of our own, and the system's /etc/pam.d/sshd is left alone.
ln -sfn /usr/sbin/sshd "$DIR/bin/flotilla-test-sshd"
printf 'HOTP/T30/6\t%s\t-\t%s\n' "$USER2" "$TOTP_SECRET" >"$DIR/etc/users.oath"
chmod 600 "$DIR/etc/users.oath"
cat >/etc/pam.d/flotilla-test-sshd <<EOF
# Written by Flotilla's test/cluster/up.sh; removed by down.sh.
auth     requisite  pam_unix.so
auth     required   pam_oath.so usersfile=$DIR/etc/users.oath window=20 digits=6
account  required   pam_unix.so
session  required   pam_unix.so
password required   pam_unix.so
EOF

# --- munge ----------------------------------------------------------------------------
[ -s "$DIR/munge/munge.key" ] || (umask 077 && head -c 1024 /dev/urandom >"$DIR/munge/munge.key")
chown -R munge:munge "$DIR/munge"
chmod 700 "$DIR/munge"
chmod 400 "$DIR/munge/munge.key"
install -d -o munge -g munge -m 755 /run/munge
if [ -S "$MUNGE_SOCKET" ] && munge -n -S "$MUNGE_SOCKET" >/dev/null 2>&1; then
  fail "a munged not started by this script serves $MUNGE_SOCKET"
fi
rm -f "$MUNGE_SOCKET" "$MUNGE_SOCKET.lock"
# The default socket path: slurmctld's connections ignore a configured one.
runuser -u munge -- /usr/sbin/munged --key-file="$DIR/munge/munge.key" --socket="$MUNGE_SOCKET" \
  --pid-file="$DIR/munge/munged.pid" --log-file="$DIR/munge/munged.log" --seed-file="$DIR/munge/seed" ||
  { show_log "$DIR/munge/munged.log"; fail "munged did not start"; }
until_ok 10 sh -c "munge -n -S $MUNGE_SOCKET | unmunge -S $MUNGE_SOCKET" || { show_log "$DIR/munge/munged.log"; fail "munge does not answer"; }

# --- SLURM ----------------------------------------------------------------------------
chown -R slurm:slurm "$DIR/slurm/state" "$DIR/slurm/log"
host=$(hostname -s)
cat >"$SLURM_CONF" <<EOF
# Written by Flotilla's test/cluster/up.sh: one node, partitions debug (default) and long.
ClusterName=flotilla-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
StateSaveLocation=$DIR/slurm/state
SlurmdSpoolDir=$DIR/slurm/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/slurm/log/slurmctld.log
SlurmdLogFile=$DIR/slurm/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
SlurmdParameters=config_overrides
CommunicationParameters=NoInAddrAny
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
EnforcePartLimits=ALL
MinJobAge=$MIN_JOB_AGE
KillWait=5
ReturnToService=2
MpiDefault=none
NodeName=node01 NodeHostname=$host NodeAddr=127.0.0.1 CPUs=8 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=node01 Default=YES MaxTime=30 State=UP
PartitionName=long Nodes=node01 MaxTime=INFINITE State=UP
EOF
chmod 644 "$SLURM_CONF"
"${IN_NS[@]}" /usr/sbin/slurmctld -f "$SLURM_CONF" || { show_log "$DIR/slurm/log/slurmctld.log"; fail "slurmctld did not start"; }
until_ok 30 "${IN_NS[@]}" scontrol ping || { show_log "$DIR/slurm/log/slurmctld.log"; fail "slurmctld does not answer"; }
"${IN_NS[@]}" /usr/sbin/slurmd -f "$SLURM_CONF" -N node01 || { show_log "$DIR/slurm/log/slurmd.log"; fail "slurmd did not start"; }
node_up() { "${IN_NS[@]}" sinfo -h -n node01 -o %T | grep -Eq '^(idle|mixed|allocated)$'; }
until_ok 30 node_up || { show_log "$DIR/slurm/log/slurmd.log"; fail "node01 did not come up"; }

# --- sshd -----------------------------------------------------------------------------
cat >"$DIR/etc/sshd_config" <<EOF
# Written by Flotilla's test/cluster/up.sh (the system's sshd_config is not read).
Port $SSH_PORT
ListenAddress $LISTEN
HostKey $DIR/etc/host_ed25519
PidFile $DIR/run/sshd.pid
LogLevel VERBOSE
AllowUsers $USER1 $USER2
PermitRootLogin no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication yes
UsePAM yes
AuthorizedKeysFile .ssh/authorized_keys
Subsystem sftp internal-sftp
SetEnv SLURM_CONF=$SLURM_CONF
# Sessions of a client that vanished (an outage test) do not linger.
ClientAliveInterval 10
ClientAliveCountMax 3
EOF
install -d -m 755 /run/sshd
: >"$DIR/log/sshd.log"
# Absolute paths: sshd re-executes itself from /.
"${IN_NS[@]}" "$DIR/bin/flotilla-test-sshd" -f "$DIR/etc/sshd_config" -E "$DIR/log/sshd.log" || { show_log "$DIR/log/sshd.log"; fail "sshd did not start"; }
ssh_ok() {
  ssh -p "$SSH_PORT" -i "$DIR/keys/id_ed25519" -o UserKnownHostsFile="$DIR/keys/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ConnectTimeout=5 "$USER1@$LISTEN" 'sinfo -h -o %P' | grep -q debug
}
until_ok 15 ssh_ok || { show_log "$DIR/log/sshd.log"; fail "cannot log in as $USER1 over ssh and see SLURM"; }

# --- facts for the tests ----------------------------------------------------------------
cat >"$DIR/cluster.json" <<EOF
{
  "dir": "$DIR",
  "host": "$LISTEN",
  "port": $SSH_PORT,
  "netns": "$NETNS",
  "hostKey": "$host_key",
  "hostKeyFingerprint": "$fingerprint",
  "knownHosts": "$DIR/keys/known_hosts",
  "sshdLog": "$DIR/log/sshd.log",
  "slurmConf": "$SLURM_CONF",
  "minJobAge": $MIN_JOB_AGE,
  "partitions": ["debug", "long"],
  "keyUser": { "name": "$USER1", "key": "$DIR/keys/id_ed25519", "passphraseKey": "$DIR/keys/id_ed25519_pass", "passphrase": "$KEY_PASSPHRASE", "home": "$DIR/home/$USER1" },
  "otpUser": { "name": "$USER2", "password": "$USER2_PASSWORD", "totpSecretHex": "$TOTP_SECRET", "home": "$DIR/home/$USER2" },
  "gromacs": $(command -v gmx >/dev/null && echo true || echo false)
}
EOF
chmod 644 "$DIR/cluster.json"
say "up: ssh -p $SSH_PORT $USER1@$LISTEN (facts in $DIR/cluster.json)"
