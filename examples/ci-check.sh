#!/usr/bin/env bash
# The examples' check, run by CI from the repository root:
#   1. the committed client types are what openapi-typescript generates from openapi/openapi.json, and the
#      examples compile against them;
#   2. the real server starts on a fresh embedded database with the demo report, and curl.sh and the typed
#      client run against it;
#   3. the mirror follows the change feed and its snapshot equals the live records the API lists (ids and
#      versions); after more writes, including deletes, and a simulated crash that left an unconfirmed tail in
#      its log, a second run resumes from the stored cursor, fetches exactly the new changes and matches the API
#      again.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

work="$(mktemp -d)"
server_pid=""
cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2> /dev/null; then
    kill -TERM "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -s "$work/server.log" ]; then
    echo "--- server log (last 40 lines)" >&2
    tail -n 40 "$work/server.log" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# Exiting through the EXIT trap stops the server too (a background job would otherwise ignore Ctrl-C).
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "examples check: $*" >&2
  exit 1
}

echo "--- server, starting in the background"
port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => {
  console.log(s.address().port);
  s.close();
})')"
admin_key="cbk_$(node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))')"
export CORROBORATE_URL="http://127.0.0.1:${port}"
export CORROBORATE_KEY="$admin_key"

# The embedded database in a fresh folder, whatever database the calling shell points at.
env -u DATABASE_URL -u DATABASE_READ_URL PORT="$port" HOST=127.0.0.1 DATA_DIR="$work/data" DEMO_DATA=true \
  ADMIN_API_KEY="$admin_key" LOG_LEVEL=warn NODE_ENV=production \
  node --import tsx src/server.ts > "$work/server.log" 2>&1 &
server_pid=$!
started=$SECONDS

# While the server creates and migrates its database.
echo "--- client types and compilation"
npm run --silent examples:check

until curl -sf "$CORROBORATE_URL/readyz" > /dev/null; do
  kill -0 "$server_pid" 2> /dev/null || fail "the server exited before it was ready"
  [ $((SECONDS - started)) -lt 90 ] || fail "the server was not ready within 90 s"
  sleep 0.3
done
echo "the server is ready on port ${port}, $((SECONDS - started)) s after it was started"

# api METHOD PATH [curl options…]: the response body, as the admin; fails on an error status.
api() {
  local method="$1" path="$2"
  shift 2
  curl -sS --fail-with-body -X "$method" "$CORROBORATE_URL$path" -H "Authorization: Bearer $admin_key" "$@"
}

echo "--- curl.sh"
bash examples/curl.sh > "$work/curl.out" || {
  cat "$work/curl.out"
  fail "curl.sh failed"
}
echo "curl.sh: ok ($(grep -c '^== ' "$work/curl.out") steps)"

echo "--- typed client"
npx tsx examples/client/client.ts --write

# Every live source, incident and claim as "type id version", sorted: from the API, and from the mirror.
live_records() {
  local collection
  for collection in sources incidents claims; do
    api GET "/v1/export/${collection}?format=ndjson&fields=id,version" |
      jq -r --arg type "${collection%s}" '"\($type) \(.id) \(.version)"'
  done | sort
}
mirrored_records() {
  jq -r '"\(.resource_type) \(.id) \(.version)"' "$work/mirror.ndjson" | sort
}
summary_field() { jq -r ".$2" <<< "$1"; }

# mirror_matches LABEL: the mirror's snapshot holds exactly the live records, at their current versions.
mirror_matches() {
  live_records > "$work/live.txt"
  mirrored_records > "$work/mirrored.txt"
  [ -s "$work/live.txt" ] || fail "$1: the API lists no record at all"
  diff "$work/live.txt" "$work/mirrored.txt" || fail "$1: the mirror differs from the live records (< API, > mirror)"
  echo "$1: the mirror holds the $(wc -l < "$work/live.txt") live records at their current versions"
}

echo "--- mirror, first run"
first="$(npx tsx examples/mirror.ts "$work/mirror.ndjson" | tail -n 1)"
echo "$first"
[ "$(summary_field "$first" started_after)" = 0 ] || fail "the first run did not start at the beginning"
mirror_matches "first run"
stored_cursor="$(jq -r .after "$work/mirror.ndjson.state.json")"
[ "$stored_cursor" = "$(summary_field "$first" after)" ] || fail "the state file does not hold the last cursor"

echo "--- more writes: creates, updates and deletes"
json='content-type: application/json'
source_id="$(api POST /v1/sources -H "$json" -d '{"name": "Mirror Check Wire", "kind": "news_media"}' | jq -r .id)"
incident_id="$(api POST /v1/incidents -H "$json" \
  -d '{"title": "Mirror check incident", "category": "battle", "occurred_from": "2025-03-09", "country": "SYR"}' |
  jq -r .id)"
claim_id="$(api POST /v1/claims -H "$json" \
  -d "{\"incident_id\": \"$incident_id\", \"source_id\": \"$source_id\", \"killed\": 2}" | jq -r .id)"
kept_claim_id="$(api POST /v1/claims -H "$json" -d "{\"incident_id\": \"$incident_id\", \"source_id\": \"$source_id\",
  \"review_status\": \"accepted\", \"killed\": 3}" | jq -r .id)"
api PATCH "/v1/incidents/$incident_id" -H "$json" -d '{"summary": "Changed after the first mirror run."}' > /dev/null
api DELETE "/v1/claims/$claim_id" > /dev/null
# An incident can be deleted once no live claim refers to it.
deleted_incident_id="$(api POST /v1/incidents -H "$json" \
  -d '{"title": "Mirror check, deleted", "category": "riot", "occurred_from": "2025-03-10"}' | jq -r .id)"
api DELETE "/v1/incidents/$deleted_incident_id" > /dev/null
expected_changes="$(api GET "/v1/changes?after=${stored_cursor}&limit=1000" | jq '.data | length')"
[ "$expected_changes" -gt 0 ] || fail "the writes made no change in the feed"

echo "--- mirror, second run (resumes, after a simulated crash)"
# As if a run had died while appending a page: a tail the state file never confirmed, which must be dropped.
printf '{"cursor":"999999999","resource_type":"incid' >> "$work/mirror.ndjson.log"
second="$(npx tsx examples/mirror.ts "$work/mirror.ndjson" | tail -n 1)"
echo "$second"
[ "$(summary_field "$second" started_after)" = "$stored_cursor" ] ||
  fail "the second run started after $(summary_field "$second" started_after), not at the stored cursor $stored_cursor"
[ "$(summary_field "$second" changes)" = "$expected_changes" ] ||
  fail "the second run fetched $(summary_field "$second" changes) changes; the feed has $expected_changes after the stored cursor"
mirror_matches "second run"
for id in "$claim_id" "$deleted_incident_id"; do
  if grep -q "\"id\":\"$id\"" "$work/mirror.ndjson"; then fail "the deleted record $id is still in the mirror"; fi
done
grep -q "\"id\":\"$kept_claim_id\"" "$work/mirror.ndjson" || fail "the new claim $kept_claim_id is not in the mirror"

echo "--- server shutdown"
kill -TERM "$server_pid"
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
[ "$server_status" -eq 0 ] || fail "the server exited with status $server_status on SIGTERM"
echo "the server stopped cleanly"
