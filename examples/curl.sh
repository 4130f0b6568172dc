#!/usr/bin/env bash
# A walkthrough of the Corroborate API with curl: create a source, an incident and a claim (with an
# Idempotency-Key), review the claim as a verifier, list incidents with filters as CSV, follow Link rel="next",
# read an incident's history and export claims as NDJSON.
#
#   CORROBORATE_URL=http://localhost:3000 CORROBORATE_KEY=cbk_… bash examples/curl.sh
#
# CORROBORATE_KEY must be an admin key: the walkthrough makes a verifier key for the review and revokes it at the
# end. Needs curl and jq. Every record it creates stays in the database (deleting is a soft delete anyway).
set -euo pipefail

BASE="${CORROBORATE_URL:-http://localhost:3000}"
KEY="${CORROBORATE_KEY:?set CORROBORATE_KEY to an admin API key (cbk_…)}"
command -v jq > /dev/null || {
  echo "curl.sh needs jq" >&2
  exit 1
}

headers="$(mktemp)"
trap 'rm -f "$headers"' EXIT

# api KEY METHOD PATH [curl options…]: prints the response body; on an error status prints the problem and fails.
# The response headers are left in $headers.
api() {
  local key="$1" method="$2" path="$3" body
  shift 3
  if ! body="$(curl -sS --fail-with-body -D "$headers" -X "$method" "$BASE$path" \
    -H "Authorization: Bearer $key" "$@")"; then
    echo "$method $path failed: $body" >&2
    return 1
  fi
  printf '%s\n' "$body"
}

# header NAME: a header of the last response (without its name, without the trailing CR).
header() {
  { grep -i "^$1:" "$headers" || true; } | head -n 1 | cut -d ' ' -f 2- | tr -d '\r'
}

step() { printf '\n== %s\n' "$*"; }

step "Create a source"
SOURCE_ID="$(api "$KEY" POST /v1/sources -H 'content-type: application/json' -d '{
  "name": "Example Observatory", "kind": "monitor", "country": "SYR",
  "independence_group": "example-observatory", "reliability": "B"}' | jq -r .id)"
echo "source $SOURCE_ID"

step "Create an incident"
INCIDENT="$(api "$KEY" POST /v1/incidents -H 'content-type: application/json' -d '{
  "title": "Shelling of a bakery queue", "category": "explosion_remote_violence", "subcategory": "shelling",
  "occurred_from": "2025-03-08", "country": "SYR", "admin1": "Latakia", "place": "Jableh",
  "latitude": 35.3616, "longitude": 35.9256, "geo_precision": "near", "tags": ["example"]}')"
INCIDENT_ID="$(jq -r .id <<< "$INCIDENT")"
jq -c '{id, ref, status}' <<< "$INCIDENT"

step "Record a claim, then send the same request again with the same Idempotency-Key"
IDEMPOTENCY_KEY="curl-example-$(date +%s)-$RANDOM"
CLAIM_BODY="$(jq -nc --arg incident "$INCIDENT_ID" --arg source "$SOURCE_ID" '{
  incident_id: $incident, source_id: $source, stance: "supports",
  statement: "At least 7 people were killed while queueing for bread.", language: "en",
  published_at: "2025-03-08T18:00:00Z", killed: 7, figures_are_minimum: true}')"
CLAIM_ID="$(api "$KEY" POST /v1/claims -H 'content-type: application/json' \
  -H "Idempotency-Key: $IDEMPOTENCY_KEY" -d "$CLAIM_BODY" | jq -r .id)"
REPEAT_ID="$(api "$KEY" POST /v1/claims -H 'content-type: application/json' \
  -H "Idempotency-Key: $IDEMPOTENCY_KEY" -d "$CLAIM_BODY" | jq -r .id)"
echo "claim $CLAIM_ID; the retry answered claim $REPEAT_ID (Idempotent-Replayed: $(header idempotent-replayed))"
if [ "$CLAIM_ID" != "$REPEAT_ID" ]; then
  echo "the retry made a second claim" >&2
  exit 1
fi

step "Review the claim as a verifier (a key made for this walkthrough)"
VERIFIER="$(api "$KEY" POST /v1/api-keys -H 'content-type: application/json' \
  -d '{"name": "curl walkthrough reviewer", "role": "verifier"}')"
VERIFIER_ID="$(jq -r .id <<< "$VERIFIER")"
VERIFIER_KEY="$(jq -r .secret <<< "$VERIFIER")"
api "$VERIFIER_KEY" GET "/v1/claims/$CLAIM_ID" > /dev/null
ETAG="$(header etag)"
# If-Match: the review applies only if nobody changed the claim since it was read (412 otherwise).
api "$VERIFIER_KEY" PATCH "/v1/claims/$CLAIM_ID" -H 'content-type: application/json' -H "If-Match: $ETAG" \
  -d '{"review_status": "accepted", "review_note": "Matches footage geolocated to the bakery."}' |
  jq -c '{id, review_status, version}'
echo "the incident's figures now count the claim:"
api "$KEY" GET "/v1/incidents/$INCIDENT_ID?fields=ref,status,casualties" | jq -c '{ref, status, killed: .casualties.killed}'

step "List incidents with filters, as CSV with HXL hashtags"
api "$KEY" GET "/v1/incidents?country=SYR&admin1=Latakia&category=explosion_remote_violence,violence_against_civilians&from=2025-03-01&to=2025-03-31&sort=-occurred_from&format=csv&hxl=true&fields=ref,title,occurred_from,status,casualties" |
  cut -c 1-120

step 'Follow Link: rel="next", one incident per page'
NEXT="/v1/incidents?country=SYR&limit=1&fields=ref,title"
pages=0
while [ -n "$NEXT" ]; do
  api "$KEY" GET "$NEXT" | jq -c '.data[]'
  pages=$((pages + 1))
  # The Link header holds an absolute URL; keep its path and query, to stay on $BASE.
  NEXT="$(header link | sed -n 's/^<[a-z]*:\/\/[^/]*\([^>]*\)>; rel="next".*$/\1/p')"
done
echo "$pages page(s)"

step "The incident's history: who changed what, when, and why"
api "$KEY" GET "/v1/incidents/$INCIDENT_ID/history" |
  jq -c '.data[] | {version, action, actor, changed: (.changes | keys), cause}'

step "Export the incident's claims as NDJSON"
api "$KEY" GET "/v1/export/claims?format=ndjson&incident_id=$INCIDENT_ID&fields=id,source_id,killed,review_status"
header content-disposition

step "Revoke the walkthrough's verifier key"
api "$KEY" DELETE "/v1/api-keys/$VERIFIER_ID" > /dev/null
echo "revoked $VERIFIER_ID"
