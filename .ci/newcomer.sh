#!/usr/bin/env bash
# A newcomer's first day, as the README tells it, run by CI from the repository root:
#   1. a fresh clone; `npm install` prints no engine warning (EBADENGINE);
#   2. `npm start` on the embedded database: it prints an admin key once, and a first write with that key works;
#   3. `GET /` and `/docs` rendered in headless Chromium: the landing page names the service and links the docs,
#      the document, health and the data; the docs show the operations with the demo report as examples;
#   4. a second `npm start` with no change compiles nothing and answers within 3 s (scaled by the machine's load
#      when it is busier than its cores), and prints no new key.
# Chromium (the Debian package) is installed when missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"

work="$(mktemp -d)"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2> /dev/null; then
    # npm start runs the server as a child: the whole process group is stopped.
    kill -TERM -- "-$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
    # npm may exit before the server has finished closing: wait for every process of the group.
    local waited=0
    while kill -0 -- "-$server_pid" 2> /dev/null && [ "$waited" -lt 300 ]; do
      sleep 0.1
      waited=$((waited + 1))
    done
  fi
  server_pid=""
}
cleanup() {
  local status=$?
  stop_server
  if [ "$status" -ne 0 ]; then
    for log in "$work"/start-*.log; do
      [ -s "$log" ] && { echo "--- $(basename "$log") (last 30 lines)" >&2; tail -n 30 "$log" >&2; }
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "newcomer: $*" >&2
  exit 1
}

if ! command -v chromium > /dev/null 2>&1; then
  echo "--- chromium is missing: installing the Debian package"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium > /dev/null
fi

echo "--- fresh clone"
git clone --quiet "$repo" "$work/clone"
cd "$work/clone"

echo "--- npm install"
npm install --no-audit --no-fund > "$work/install.log" 2>&1 || {
  cat "$work/install.log"
  fail "npm install failed"
}
if grep -q EBADENGINE "$work/install.log"; then
  grep -A4 EBADENGINE "$work/install.log"
  fail "npm install printed an engine warning"
fi
echo "npm install: no engine warning"

port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => {
  console.log(s.address().port);
  s.close();
})')"
base="http://127.0.0.1:${port}"

# start N: `npm start` in its own process group, as a newcomer runs it (embedded database, no key configured).
start() {
  env -u DATABASE_URL -u DATABASE_READ_URL -u ADMIN_API_KEY PORT="$port" HOST=127.0.0.1 LOG_LEVEL=warn \
    setsid npm start > "$work/start-$1.log" 2>&1 &
  server_pid=$!
}
# wait_ready LIMIT_S: until /readyz answers.
wait_ready() {
  local started=$SECONDS
  until curl -sf "$base/readyz" > /dev/null; do
    kill -0 "$server_pid" 2> /dev/null || fail "the server exited before it was ready"
    [ $((SECONDS - started)) -lt "$1" ] || fail "the server was not ready within $1 s"
    sleep 0.05
  done
}

echo "--- npm start (first: compiles, creates the database)"
start 1
wait_ready 240
for _ in $(seq 1 50); do grep -q 'Documentation:' "$work/start-1.log" && break; sleep 0.1; done
key="$(grep -oE 'cbk_[A-Za-z0-9_-]{43}' "$work/start-1.log" | head -n 1 || true)"
[ -n "$key" ] || fail "the first start printed no admin key"
echo "the first start printed an admin key (${key:0:12}…)"

echo "--- a first write with the printed key"
status="$(curl -s -o "$work/write.json" -w '%{http_code}' -X POST "$base/v1/sources" \
  -H "Authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"name": "Newcomer Monitor", "kind": "monitor", "country": "SYR"}')"
[ "$status" = 201 ] || fail "POST /v1/sources with the printed key answered $status: $(cat "$work/write.json")"
echo "POST /v1/sources: 201"

# render URL FILE: the DOM of the page once its scripts have run, from headless Chromium with a fresh profile.
render() {
  local profile
  profile="$(mktemp -d "$work/chromium-XXXXXX")"
  timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --virtual-time-budget=15000 --dump-dom "$1" > "$2" 2> "$work/chromium.log" ||
    fail "chromium could not render $1: $(tail -n 5 "$work/chromium.log")"
}
# expect_in FILE WHAT TEXT...: each text is in the file.
expect_in() {
  local file="$1" what="$2"
  shift 2
  for text in "$@"; do
    grep -qF -- "$text" "$file" || fail "$what lacks $text"
  done
}

echo "--- GET / in headless Chromium"
render "$base/" "$work/home.html"
expect_in "$work/home.html" "the landing page" '<h1>Corroborate API</h1>' 'href="/docs"' 'href="/openapi.json"' \
  'href="/healthz"' 'href="/readyz"' 'href="/v1/incidents"'
echo "the landing page names the service and links the docs, the document, health and the data"

echo "--- /docs in headless Chromium"
render "$base/docs#/incidents/listIncidents" "$work/docs.html"
expect_in "$work/docs.html" "the docs" 'Corroborate API' 'data-path="/v1/incidents"' 'data-path="/v1/sources"' \
  'data-path="/v1/imports"' 'al-Mukhtariya'
echo "the docs list the operations and show the demo report as examples"

stop_server
[ ! -e data/corroborate.lock ] || fail "the stopped server left its lock on the data directory"

echo "--- npm start again, with no change"
stamp="$(stat -c %Y dist/server.js)"
cores="$(nproc)"
load="$(cut -d ' ' -f 1 /proc/loadavg)"
# 3 s on a machine no busier than its cores; proportionally more when it is shared.
limit_ms="$(awk -v busy="$load" -v cores="$cores" 'BEGIN { f = busy / cores; if (f < 1) f = 1; printf "%d", 3000 * f }')"
began="$(date +%s%N)"
start 2
wait_ready 60
took_ms=$((($(date +%s%N) - began) / 1000000))
echo "answered ${took_ms} ms after npm start (limit ${limit_ms} ms: load ${load} on ${cores} cores)"
[ "$took_ms" -le "$limit_ms" ] || fail "the second start took ${took_ms} ms, over ${limit_ms} ms"
[ "$(stat -c %Y dist/server.js)" = "$stamp" ] || fail "the second start compiled again"
if grep -qE 'cbk_[A-Za-z0-9_-]{43}' "$work/start-2.log"; then fail "the second start printed another key"; fi
stop_server
echo "newcomer: ok"
