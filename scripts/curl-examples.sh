#!/usr/bin/env bash
# A walk through the whole API with curl: every command is printed before it runs, with the status
# and body it got. Needs curl and openssl (to sign the webhook).
#
#   BASE_URL=http://127.0.0.1:8000 WEBHOOK_SECRET=dev-webhook-secret-change-me scripts/curl-examples.sh
#
# Exits non-zero as soon as a status differs from the one the API promises. It works on a product
# of its own (unique SKU) and deletes it at the end (or when it stops on a failure); its shipped
# order stays, as order history does.
set -euo pipefail

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  echo "Takes a few seconds. With API keys on, set API_KEY to an admin key."
  exit 0
fi

BASE_URL="${BASE_URL:-http://127.0.0.1:8000}"
BASE_URL="${BASE_URL%/}"
WEBHOOK_SECRET="${WEBHOOK_SECRET:-dev-webhook-secret-change-me}"
WEBHOOK_SECRET="${WEBHOOK_SECRET%%,*}" # with several (rotation), sign with the first
BODY=""
AUTH=()
if [[ -n "${API_KEY:-}" ]]; then AUTH=(-H "Authorization: Bearer $API_KEY"); fi

# call EXPECTED_STATUS METHOD PATH [JSON_BODY [EXTRA_CURL_ARGS...]]
call() {
  local expected="$1" method="$2" path="$3" data="${4:-}"
  shift 4 2>/dev/null || shift $#
  local args=(-sS -X "$method" "$BASE_URL$path" -w '\n%{http_code}')
  if [[ -n "$data" ]]; then args+=(-H 'Content-Type: application/json' --data-raw "$data"); fi
  if [[ -n "${API_KEY:-}" ]]; then args+=(-H "Authorization: Bearer $API_KEY"); fi
  args+=("$@")
  local shown="curl -X $method '$BASE_URL$path'" arg
  if [[ -n "$data" ]]; then shown+=" -H 'Content-Type: application/json' -d '$data'"; fi
  for arg in "$@"; do if [[ "$arg" == -* ]]; then shown+=" $arg"; else shown+=" '$arg'"; fi; done
  echo "\$ $shown"
  local output status
  output="$(curl "${args[@]}")"
  status="${output##*$'\n'}"
  BODY="${output%$'\n'*}"
  [[ "$BODY" == "$status" ]] && BODY=""
  echo "  -> $status ${BODY:0:300}"
  if [[ "$status" != "$expected" ]]; then
    echo "FAILED: expected $expected, got $status" >&2
    exit 1
  fi
}

# The first "id" in the last response body.
last_id() { sed -n 's/^[^{]*{"id":\([0-9]*\).*/\1/p' <<<"$BODY"; }

signature() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | sed 's/^.* //'; }

SKU="CURL-$(date +%s)-$$"
PRODUCT_ID="" ORDER_ID="" SECOND_ID="" CART_ID=""

# On a failure half-way, remove what this run created (quietly, whatever state it is in).
cleanup_after_failure() {
  local status=$?
  if ((status != 0)) && [[ -n "$PRODUCT_ID" ]]; then
    echo "# cleaning up after the failure"
    for id in $ORDER_ID $SECOND_ID $CART_ID; do
      curl -s -o /dev/null -X DELETE "${AUTH[@]}" "$BASE_URL/orders/$id" || true # cancels (PENDING/PAID)
      curl -s -o /dev/null -X DELETE "${AUTH[@]}" "$BASE_URL/orders/$id" || true # deletes (CANCELED)
    done
    curl -s -o /dev/null -X DELETE "${AUTH[@]}" "$BASE_URL/products/$PRODUCT_ID" || true
  fi
  exit "$status"
}
trap cleanup_after_failure EXIT

echo "# Service"
call 200 GET /health
call 200 GET /ready

echo "# Products: create, list, get, update"
call 201 POST /products "{\"sku\": \"$SKU\", \"name\": \"Curl mug\", \"price\": 12.50, \"stock\": 5}"
PRODUCT_ID="$(last_id)"
call 409 POST /products "{\"sku\": \"$SKU\", \"name\": \"Same SKU\", \"price\": 1}"
call 422 POST /products '{"sku": "", "name": "Bad", "price": -1}'
call 200 GET "/products?limit=2&offset=0"
call 200 GET "/products/$PRODUCT_ID"
call 200 PUT "/products/$PRODUCT_ID" '{"name": "Curl mug, blue"}'
call 404 GET /products/999999999

echo "# Orders: place, refuse, read"
call 201 POST /orders "{\"product_id\": $PRODUCT_ID, \"quantity\": 2}"
ORDER_ID="$(last_id)"
call 409 POST /orders "{\"product_id\": $PRODUCT_ID, \"quantity\": 100}"
call 404 POST /orders '{"product_id": 999999999, "quantity": 1}'
call 200 GET "/orders/$ORDER_ID"
call 200 GET "/orders?status=PENDING&product_id=$PRODUCT_ID"
call 400 DELETE "/products/$PRODUCT_ID"

echo "# A cart of several lines, retried safely with an Idempotency-Key"
CART="{\"items\": [{\"product_id\": $PRODUCT_ID, \"quantity\": 1}, {\"product_id\": $PRODUCT_ID, \"quantity\": 2}]}"
KEY="curl-cart-$$-$(date +%s)"
call 201 POST /orders "$CART" -H "Idempotency-Key: $KEY"
CART_ID="$(last_id)"
call 201 POST /orders "$CART" -H "Idempotency-Key: $KEY" # the same order again, nothing taken twice
[[ "$(last_id)" == "$CART_ID" ]] || { echo "FAILED: the retry placed another order" >&2; exit 1; }
call 422 POST /orders "{\"items\": [{\"product_id\": $PRODUCT_ID, \"quantity\": 9}]}" -H "Idempotency-Key: $KEY"
call 204 DELETE "/orders/$CART_ID" # cancels it: every line's units come back
call 204 DELETE "/orders/$CART_ID" # then deletes the canceled record

echo "# Inventory: an adjustment with a reason, a refused count, the ledger, the reconciliation"
call 201 POST "/products/$PRODUCT_ID/stock-adjustments" '{"delta": 4, "reason": "received", "reference": "PO-curl"}'
call 409 POST "/products/$PRODUCT_ID/stock-adjustments" '{"delta": -1, "reason": "cycle_count", "expected_stock": 999}'
call 201 POST "/products/$PRODUCT_ID/stock-adjustments" '{"delta": -4, "reason": "correction", "reference": "undo PO-curl"}'
call 200 GET "/products/$PRODUCT_ID/stock-movements"
call 200 GET /inventory/reconciliation
grep -q '"mismatches":\[\]' <<<"$BODY" || { echo "FAILED: the books do not balance" >&2; exit 1; }

echo "# Payment webhook: signed, duplicate, bad signature, missing signature"
PAYLOAD="{\"event\": \"payment.succeeded\", \"order_id\": $ORDER_ID, \"amount\": 25.00, \"currency\": \"USD\", \"payment_id\": \"pay_$$\"}"
EVENT_ID="evt-curl-$ORDER_ID-$$"
call 200 POST /webhooks/payment "$PAYLOAD" -H "X-Webhook-Signature: sha256=$(signature "$PAYLOAD")" -H "X-Event-Id: $EVENT_ID"
grep -q '"status":"processed"' <<<"$BODY" || { echo "FAILED: expected processed" >&2; exit 1; }
call 200 POST /webhooks/payment "$PAYLOAD" -H "X-Webhook-Signature: sha256=$(signature "$PAYLOAD")" -H "X-Event-Id: $EVENT_ID"
grep -q '"status":"duplicate"' <<<"$BODY" || { echo "FAILED: expected a duplicate" >&2; exit 1; }
call 403 POST /webhooks/payment "$PAYLOAD" -H "X-Webhook-Signature: sha256=$(printf '0%.0s' {1..64})"
call 401 POST /webhooks/payment "$PAYLOAD"

echo "# Status transitions: PAID -> SHIPPED is final; another order is canceled"
call 200 PUT "/orders/$ORDER_ID" '{"status": "SHIPPED"}'
call 400 PUT "/orders/$ORDER_ID" '{"status": "PENDING"}'
call 400 DELETE "/orders/$ORDER_ID"
call 201 POST /orders "{\"product_id\": $PRODUCT_ID, \"quantity\": 1}"
SECOND_ID="$(last_id)"
call 200 PUT "/orders/$SECOND_ID" '{"status": "CANCELED"}'
call 204 DELETE "/orders/$SECOND_ID"
call 404 GET "/orders/$SECOND_ID"

echo "# Clean up: the shipped order keeps the product alive in history; the product is deleted"
call 204 DELETE "/products/$PRODUCT_ID"
call 404 GET "/products/$PRODUCT_ID"
call 200 GET "/orders/$ORDER_ID"

echo "All examples answered as documented."
