#!/bin/bash
# Cuts the link between this machine and the test cluster, or restores it (as root).
#   outage.sh down [link|drop|reject]   link: the veth goes down (namespace mode only; the
#                                       default there); drop: packets to sshd vanish (the
#                                       default on loopback); reject: connections are reset
#   outage.sh up
#   outage.sh status                    prints "up" or "down"
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
[ "$(id -u)" = 0 ] || fail "run as root"
TAG=flotilla-test-outage

# The rule, in the namespace's own firewall (namespace mode) or on loopback input.
rule() {
  local action=$1 verb=$2
  if [ -n "$NETNS" ]; then
    "${IN_NS[@]}" iptables "$verb" INPUT -p tcp --dport "$SSH_PORT" -m comment --comment "$TAG" -j $action
  else
    iptables "$verb" INPUT -i lo -p tcp --dport "$SSH_PORT" -m comment --comment "$TAG" -j $action
  fi
}
rules() { { [ -n "$NETNS" ] && "${IN_NS[@]}" iptables -S INPUT || iptables -S INPUT; } 2>/dev/null | grep -c -- "$TAG" || true; }

case ${1:-} in
  down)
    mode=${2:-$([ -n "$NETNS" ] && echo link || echo drop)}
    case $mode in
      link)
        [ -n "$NETNS" ] || fail "the link mode needs the namespace (FLOTILLA_CLUSTER_NETNS at up.sh)"
        ip link set "$HOST_IF" down
        # The unreachable route keeps the cluster's address from leaking out of this machine.
        route=$(ip route get "$CLUSTER_IP" 2>&1 || true)
        [[ $route =~ unreachable|No\ route ]] || fail "with the link down, $CLUSTER_IP must be unreachable, but: $route"
        ;;
      drop) rule DROP -I ;;
      reject) rule "REJECT --reject-with tcp-reset" -I ;;
      *) fail "unknown outage mode $mode" ;;
    esac
    ;;
  up)
    [ -n "$NETNS" ] && ip link set "$HOST_IF" up 2>/dev/null
    while [ "$(rules)" -gt 0 ]; do
      rule DROP -D 2>/dev/null || rule "REJECT --reject-with tcp-reset" -D 2>/dev/null || break
    done
    ;;
  status)
    if [ "$(rules)" -gt 0 ] || { [ -n "$NETNS" ] && ! ip link show "$HOST_IF" 2>/dev/null | grep -q 'state UP'; }; then echo down; else echo up; fi
    ;;
  *) fail "usage: outage.sh down [link|drop|reject] | up | status" ;;
esac
