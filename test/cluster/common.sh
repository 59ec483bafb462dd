# Settings and helpers shared by the test-cluster scripts (sourced, not run).
#
# The test cluster: an OpenSSH server with its own config and host key, two users (`hpc`,
# key login; `hpc2`, keyboard-interactive password + TOTP through PAM), and a one-node SLURM
# (munge, slurmctld, slurmd) with partitions `debug` and `long`. Everything it writes lives
# in $FLOTILLA_CLUSTER_DIR; tests read the facts from $FLOTILLA_CLUSTER_DIR/cluster.json.

FLOTILLA_CLUSTER_DIR=${FLOTILLA_CLUSTER_DIR:-/var/tmp/flotilla-cluster}
DIR=$FLOTILLA_CLUSTER_DIR
SSH_PORT=${FLOTILLA_CLUSTER_SSH_PORT:-2222}
# Empty: daemons on 127.0.0.1. A name: the cluster lives in that network namespace, at 10.213.0.2.
NETNS=${FLOTILLA_CLUSTER_NETNS-}
# Seconds SLURM keeps a finished job visible (its default is 300; tests of purged jobs use 2).
MIN_JOB_AGE=${FLOTILLA_CLUSTER_MIN_JOB_AGE:-300}
USER1=hpc
USER2=hpc2
USER2_PASSWORD=hpc2-secret
KEY_PASSPHRASE=flotilla-pass
# TOTP secret of hpc2 (hex, 20 bytes).
TOTP_SECRET=3132333435363738393031323334353637383930
HOST_IF=flot-host
PEER_IF=flot-clu
HOST_IP=10.213.0.1
CLUSTER_IP=10.213.0.2
SUBNET=10.213.0.0/30
MUNGE_SOCKET=/run/munge/munge.socket.2
SLURM_CONF=$DIR/etc/slurm.conf
export SLURM_CONF

# Net settings of a running instance win, so down/outage need no repeat of FLOTILLA_CLUSTER_NETNS.
if [ -z "${CLUSTER_FRESH_NET:-}" ] && [ -f "$DIR/run/net" ]; then . "$DIR/run/net"; fi
if [ -n "$NETNS" ]; then
  LISTEN=$CLUSTER_IP
  # nsenter switches only the network namespace (ip netns exec also remounts /sys, which
  # hides the cgroup tree slurmd wants).
  IN_NS=(nsenter "--net=/run/netns/$NETNS")
else
  LISTEN=127.0.0.1
  IN_NS=()
fi

say() { printf 'cluster: %s\n' "$*" >&2; }
fail() {
  printf 'cluster: ERROR: %s\n' "$*" >&2
  exit 1
}

# until_ok SECONDS COMMAND... — retries COMMAND every 0.2 s; fails after SECONDS.
until_ok() {
  local deadline=$(($(date +%s) + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# show_log FILE — the end of a log, for an error message.
show_log() { [ -f "$1" ] && tail -n 20 "$1" | sed "s|^|  $1: |" >&2 || true; }

# alive PIDFILE EXE — the pid file names a live (non-zombie) process running EXE.
alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$2")" ] || return 1
  ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}

# stop PIDFILE EXE — TERM the recorded process (only if it runs EXE), KILL after 10 s.
stop() {
  local pid i
  if alive "$1" "$2"; then
    pid=$(cat "$1")
    kill "$pid" 2>/dev/null || true
    for i in $(seq 50); do alive "$1" "$2" || break; sleep 0.2; done
    alive "$1" "$2" && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$1"
}
