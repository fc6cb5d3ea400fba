#!/usr/bin/env bash
# Installs what the service needs to run (the README's first quick-start command): Node.js >= 22
# (Node 24 fetched into .runtime/ when the system's is older, see scripts/lib/node-runtime.sh) and the
# npm packages (`npm ci`; better-sqlite3 is compiled against that Node's headers when no prebuilt
# binary can be downloaded, which needs make, g++ and python3). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/node-runtime.sh
npm ci --no-audit --no-fund
link_node_runtime
echo "installed for Node.js $(node --version) (npm scripts run on $(PATH="$PWD/node_modules/.bin:$PATH" node --version))"
