#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine: the Debian packages (PostgreSQL,
# sipp, Kamailio, baresip, Chromium for the web client's tests, a C++ toolchain for better-sqlite3, Java
# and Maven for Cassandra), Node.js >= 22 and the npm packages (scripts/install.sh) and Apache Cassandra
# from Maven Central.
# Idempotent: what is already there is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs=(postgresql sip-tester kamailio kamailio-websocket-modules kamailio-tls-modules kamailio-sqlite-modules baresip openssl chromium
  make g++ python3 openjdk-17-jre-headless maven)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The packaged services must not run on their default ports: the tests start their own instances.
$SUDO systemctl disable --now postgresql kamailio >/dev/null 2>&1 || true
bash scripts/install.sh
if [ -x scripts/fetch-cassandra.sh ]; then bash scripts/fetch-cassandra.sh; fi
