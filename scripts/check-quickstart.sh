#!/usr/bin/env bash
# Checks the README's first quick-start command word for word, as a new user runs it: clones this
# repository (its committed HEAD) into a temporary folder, runs the command found in the README's
# "Quick start" block there in the background, waits until the service answers
# http://127.0.0.1:10888/health, stops it (SIGTERM to its process group) and removes the folder.
# Prints how long the install and the start took. Not part of `npm test` (it takes minutes: a clean
# `npm ci`, and better-sqlite3 compiled when no prebuilt binary can be downloaded).
# Needs the ports of the sample configuration free (SIP 5060, HTTP 10888).
# Usage: bash scripts/check-quickstart.sh [timeout seconds, default 1200]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
limit=${1:-1200}
url=http://127.0.0.1:10888/health

# The first command line of the README's quick-start block, without its trailing comment.
cmd=$(awk '/^## Quick start/{q=1} q&&/^```sh/{getline; print; exit}' "$root/README.md" | sed 's/[[:space:]]*#.*$//')
[ -n "$cmd" ] || { echo "check-quickstart: no command found in the README's Quick start block" >&2; exit 1; }
if curl -s -o /dev/null --max-time 2 "$url"; then
  echo "check-quickstart: something already answers $url; stop it first" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sylk-quickstart.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

git clone --quiet "$root" "$tmp/sylk-messaging"
git -C "$tmp/sylk-messaging" checkout --quiet "$(git -C "$root" rev-parse HEAD)"
echo "check-quickstart: in a fresh clone ($(git -C "$root" rev-parse --short HEAD)), running: $cmd"
t0=$(date +%s)
# Its own process group (setsid), so that stopping it stops npm, node and everything they started.
(cd "$tmp/sylk-messaging" && exec setsid bash -c "$cmd") >"$tmp/quickstart.log" 2>&1 </dev/null &
pid=$!

status=""
while [ $(( $(date +%s) - t0 )) -lt "$limit" ]; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "check-quickstart: the command exited before the service answered; its output:" >&2
    tail -n 40 "$tmp/quickstart.log" >&2
    exit 1
  fi
  status=$(curl -s --max-time 2 "$url" || true)
  [ -n "$status" ] && break
  sleep 2
done
if [ -z "$status" ]; then
  echo "check-quickstart: no answer from $url within ${limit}s; last output:" >&2
  tail -n 40 "$tmp/quickstart.log" >&2
  exit 1
fi
t1=$(date +%s)
echo "check-quickstart: $url answered after $((t1 - t0)) s: $status"
grep -E "^(installed for|system Node)" "$tmp/quickstart.log" || true
kill -TERM -- "-$pid"
for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$pid" 2>/dev/null; then
  echo "check-quickstart: the service did not stop within 30 s of SIGTERM" >&2
  exit 1
fi
echo "check-quickstart: stopped after SIGTERM; total $(( $(date +%s) - t0 )) s"
