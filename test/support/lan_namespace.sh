#!/bin/sh
# Creates the network namespace NAME looking like a small machine on a LAN: loopback, and one
# interface lan0 (10.213.9.1/24 and fd13:9::1/64, the default route) whose veth peer lan1, also
# inside, has no address: programs in it see a LAN address and a route, as on a user's machine,
# and nothing they send leaves the namespace. Root and iproute2 needed. Used by .ci/run (the
# suite runs in one) and by test/support/lan_namespace.ts (each README's commands run in one).
set -eu
name=$1
ip netns add "$name"
if ! {
  ip -n "$name" link set lo up &&
    ip -n "$name" link add lan0 type veth peer name lan1 &&
    ip -n "$name" link set lan1 up &&
    ip -n "$name" addr add 10.213.9.1/24 dev lan0 &&
    ip -n "$name" addr add fd13:9::1/64 dev lan0 nodad &&
    ip -n "$name" link set lan0 up &&
    ip -n "$name" route add default dev lan0 &&
    ip -n "$name" -6 route add default dev lan0
}; then
  ip netns delete "$name"
  exit 1
fi
