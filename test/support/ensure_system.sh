#!/bin/sh
# Installs what the test suite needs from the system (coturn for the TURN relay tests, chromium
# and firefox-esr for the browser tests, nats-server for the server cluster, nftables to break a
# path in the namespace tests) when
# it is missing and we may (root with apt-get); otherwise says exactly what to install.
set -eu
missing=""
command -v turnserver >/dev/null 2>&1 || missing="$missing coturn"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v firefox-esr >/dev/null 2>&1 || missing="$missing firefox-esr"
command -v nats-server >/dev/null 2>&1 || missing="$missing nats-server"
# the namespace tests run as root only (they skip otherwise)
if [ "$(id -u)" = 0 ]; then command -v nft >/dev/null 2>&1 || missing="$missing nftables"; fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "flnet tests: installing$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
  echo "flnet tests need:$missing. Install it with: sudo apt-get install -y$missing" >&2
  exit 1
fi
