#!/usr/bin/env bash
# docs/WALKTHROUGH.md, as one script: a laptop from its enterprise's first request to a Singapore
# certifier's check. Every command the document shows is copied from here, and
# tests/registry/test_walkthrough.py runs this script and checks that the document quotes it.
#
#   bash scripts/walkthrough.sh     (from anywhere; needs tanji on PATH, curl, jq, node, npm ci)
#
# PORT (default 8000), TANJI_DATA_DIR (default walkthrough-data) and OUT (default walkthrough-out)
# may be set; the registry started here is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export TANJI_DATA_DIR="${TANJI_DATA_DIR:-walkthrough-data}"
PORT="${PORT:-8000}"
OUT="${OUT:-walkthrough-out}"
mkdir -p "$OUT"
trap 'kill "$(cat "$TANJI_DATA_DIR/serve.pid")" 2>/dev/null || true' EXIT

step() { printf '\n== %s\n' "$*"; }

step "1. The operator starts the registry and creates the organisations"
tanji serve --detach --port "$PORT"
URL="http://127.0.0.1:$PORT"
ENTERPRISE_KEY=$(tanji org create --name "Chongqing Bishan Computing Co., Ltd." \
  --role enterprise --gs1-prefix 690123456 | tail -n 1)
CERTIFIER_KEY=$(tanji org create --name "Chongqing Carbon Label Center" \
  --role certification_body | tail -n 1)
PARTNER_KEY=$(tanji org create --name "Singapore Carbon Certification Body" \
  --role partner_certifier | tail -n 1)

step "2. The enterprise reads the catalogue"
curl -s "$URL/api/v1/categories" \
  | jq -r '.data[] | [.id, .names.en, (.declared_units | map(.unit) | join(","))] | @tsv'

step "3. The enterprise submits the footprint (a typo first)"
jq '.category = "laptops"' examples/walkthrough/laptop-footprint.json > "$OUT/typo.json"
curl -s -X POST "$URL/api/v1/footprints" -H "Authorization: Bearer $ENTERPRISE_KEY" \
  -H 'Content-Type: application/json' -d @"$OUT/typo.json" | jq .error
FOOTPRINT_ID=$(curl -s -X POST "$URL/api/v1/footprints" -H "Authorization: Bearer $ENTERPRISE_KEY" \
  -H 'Content-Type: application/json' -d @examples/walkthrough/laptop-footprint.json | jq -r .id)

step "4. The certification body issues the label"
LABEL_ID=$(curl -s -X POST "$URL/api/v1/labels" -H "Authorization: Bearer $CERTIFIER_KEY" \
  -H 'Content-Type: application/json' \
  -d "{\"footprint_id\": \"$FOOTPRINT_ID\",
       \"valid_from\": \"2026-01-01\", \"valid_until\": \"2028-12-31\"}" | jq -r .id)
until [ "$(curl -s "$URL/api/v1/labels/$LABEL_ID" | jq -r .anchor_status)" = anchored ]; do
  sleep 1
done
echo "label $LABEL_ID anchored: $URL/l/$LABEL_ID"

step "5. A shopper, or anyone, checks the label"
tanji verify "$URL/l/$LABEL_ID" --trust "$URL/.well-known/tanji-trust.json"

step "6. The Singapore certifier registers its signing key"
export TANJI_SIGNER_KEY=$(node scripts/wallet.mjs new)
SG_ADDRESS=$(node scripts/wallet.mjs address)
curl -s "$URL/api/v1/recognitions/keys/challenge?address=$SG_ADDRESS" \
  -H "Authorization: Bearer $PARTNER_KEY" | jq -j .message > "$OUT/challenge.txt"
SIGNATURE=$(node scripts/wallet.mjs sign-message < "$OUT/challenge.txt")
curl -s -X POST "$URL/api/v1/recognitions/keys" -H "Authorization: Bearer $PARTNER_KEY" \
  -H 'Content-Type: application/json' \
  -d "{\"address\": \"$SG_ADDRESS\", \"signature\": \"$SIGNATURE\"}" | jq -c '{address, active}'

step "7. The Singapore certifier recognises the label"
curl -s "$URL/api/v1/labels/$LABEL_ID/bundle" > "$OUT/label-bundle.json"
SUBJECT=$(node scripts/wallet.mjs leaf < "$OUT/label-bundle.json")
jq -n --arg recognizer "$SG_ADDRESS" --arg subject "$SUBJECT" \
  --arg nonce "0x$(openssl rand -hex 32)" --argjson now "$(date +%s)" \
  '{message: {recognizer: $recognizer, scheme: "SG-CFP-MRA-2026", subjectType: "label",
    subject: $subject, category: "laptop",
    scope: "Carbon footprint labels recognised under SG-CFP-MRA-2026",
    validFrom: ($now - 60), validUntil: 0, nonce: $nonce}}' > "$OUT/recognition-request.json"
curl -s -X POST "$URL/api/v1/recognitions/typed-data" -H 'Content-Type: application/json' \
  -d @"$OUT/recognition-request.json" > "$OUT/typed-data.json"
SIGNATURE=$(jq .wallet "$OUT/typed-data.json" | node scripts/wallet.mjs sign-typed-data)
jq --arg signature "$SIGNATURE" '{typedData: .wallet, signature: $signature}' \
  "$OUT/typed-data.json" > "$OUT/recognition.json"
RECOGNITION_ID=$(curl -s -X POST "$URL/api/v1/recognitions" \
  -H "Authorization: Bearer $PARTNER_KEY" -H 'Content-Type: application/json' \
  -d @"$OUT/recognition.json" | jq -r .id)
echo "recognition $RECOGNITION_ID"
until [ "$(curl -s "$URL/api/v1/recognitions/$RECOGNITION_ID" | jq -r .anchor_status)" = anchored ]
do
  sleep 1
done

step "8. The Singapore certifier checks the label with its own trust profile"
curl -s "$URL/api/v1/labels/$LABEL_ID/bundle" > "$OUT/proof.json"
curl -s "$URL/.well-known/tanji-trust.json" | jq --arg body "$SG_ADDRESS" \
  '.name = "Singapore partner profile"
   | .certificationBodies = [{address: $body, name: "Singapore Carbon Certification Body",
                              schemes: ["SG-CFP-MRA-2026"], categories: ["laptop"]}]' \
  > "$OUT/sg-trust.json"
tanji verify "$OUT/proof.json" --trust "$OUT/sg-trust.json"

step "9. The registry switched off: the proof file still proves inclusion"
kill "$(cat "$TANJI_DATA_DIR/serve.pid")"
tanji verify "$OUT/proof.json" --offline
