#!/bin/bash
# Validates the STIX bundle iocm's writer makes (every indicator type and
# TLP) against the OASIS STIX 2.1 JSON schemas with Ajv, checks that two
# exports are byte-identical, and that the validator does reject a broken
# bundle, so that a pass means something.
#
# usage: test_stix_schema.sh SAMPLE_PROGRAM SCHEMA_DIR
set -euo pipefail

sample=$1
schemas=$2
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v node >/dev/null; then
    echo "SKIP: node is not installed"
    exit 77
fi
if [ ! -d "$here/node_modules/ajv" ]; then
    echo "FAIL: Ajv is missing; run: cd tests/js && npm ci" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$sample" >"$tmp/bundle.json"
node "$here/validate_stix.js" "$tmp/bundle.json" "$schemas"

"$sample" >"$tmp/again.json"
if ! cmp -s "$tmp/bundle.json" "$tmp/again.json"; then
    echo "FAIL: two exports of the same records differ" >&2
    exit 1
fi

# Every indicator type and every TLP 2.0 marking must be in the sample.
node -e '
const b = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const patterns = b.objects.filter((o) => o.type === "indicator").map((o) => o.pattern).join(" ");
const want = ["ipv4-addr:", "ipv6-addr:", "domain-name:", "url:", "email-addr:",
  "file:hashes.MD5", "file:hashes.\x27SHA-1\x27", "file:hashes.\x27SHA-256\x27",
  "file:hashes.\x27SHA-512\x27", "file:hashes.SSDEEP", "file:name",
  "autonomous-system:number"];
const missing = want.filter((w) => !patterns.includes(w));
const tlps = b.objects.filter((o) => o.type === "marking-definition").map((o) => o.name).sort();
if (!b.objects.some((o) => o.type === "vulnerability")) missing.push("vulnerability");
if (tlps.join() !== "TLP:AMBER,TLP:AMBER+STRICT,TLP:CLEAR,TLP:GREEN,TLP:RED") missing.push("tlps " + tlps);
if (missing.length) { console.error("FAIL: sample lacks " + missing.join(", ")); process.exit(1); }
' "$tmp/bundle.json"

# A broken bundle: an indicator without pattern and a confidence of 101.
node -e '
const fs = require("fs");
const b = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
delete b.objects[0].pattern;
b.objects[1].confidence = 101;
fs.writeFileSync(process.argv[2], JSON.stringify(b));
' "$tmp/bundle.json" "$tmp/broken.json"
if node "$here/validate_stix.js" "$tmp/broken.json" "$schemas" 2>"$tmp/errors"; then
    echo "FAIL: the validator accepted a broken bundle" >&2
    exit 1
fi
grep -q "pattern" "$tmp/errors"
grep -q "confidence" "$tmp/errors"
echo "ok: broken bundle rejected"
