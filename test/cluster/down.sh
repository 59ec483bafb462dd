#!/bin/bash
# Stops the test cluster (as root): its jobs, daemons (by their pid files, after checking
# what runs there), the test users' processes, outage rules and the network namespace.
#   --keep-net   leave the namespace (up.sh uses it on restart)
#   --purge      also remove the users, the PAM file and $FLOTILLA_CLUSTER_DIR
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
[ "$(id -u)" = 0 ] || fail "run as root"
keep_net=0
purge=0
for arg in "$@"; do
  case $arg in
    --keep-net) keep_net=1 ;;
    --purge) purge=1 ;;
    *) fail "unknown option $arg" ;;
  esac
done

if [ -x /usr/bin/scancel ] && [ -f "$SLURM_CONF" ] && alive "$DIR/run/slurmctld.pid" /usr/sbin/slurmctld; then
  "${IN_NS[@]}" scancel -u "$USER1" 2>/dev/null
  "${IN_NS[@]}" scancel -u "$USER2" 2>/dev/null
fi
stop "$DIR/run/sshd.pid" /usr/sbin/sshd
stop "$DIR/run/slurmd.pid" /usr/sbin/slurmd
stop "$DIR/run/slurmctld.pid" /usr/sbin/slurmctld
stop "$DIR/munge/munged.pid" /usr/sbin/munged
for user in $USER1 $USER2; do
  id "$user" >/dev/null 2>&1 && [ "$(getent passwd "$user" | cut -d: -f6)" = "$DIR/home/$user" ] && pkill -KILL -u "$user" 2>/dev/null
done
"$HERE/outage.sh" up >/dev/null 2>&1

if [ "$keep_net" = 0 ] && [ -n "$NETNS" ]; then
  ip link del "$HOST_IF" 2>/dev/null
  ip netns del "$NETNS" 2>/dev/null
  ip route del unreachable "$SUBNET" metric 4242 2>/dev/null
  rm -f "$DIR/run/net"
fi
if [ "$purge" = 1 ]; then
  for user in $USER1 $USER2; do
    [ "$(getent passwd "$user" | cut -d: -f6)" = "$DIR/home/$user" ] && userdel "$user" 2>/dev/null
  done
  rm -f /etc/pam.d/flotilla-test-sshd
  rm -rf "$DIR"
fi
exit 0
