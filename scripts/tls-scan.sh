#!/usr/bin/env bash
# make test-tls-scan: testssl.sh (Debian's package) against wsgi-demo's TLS with its default
# settings. Fails on any finding rated HIGH or CRITICAL, except those about the certificate the scan
# makes for itself (self-signed, valid for two days, no revocation URL: `cert_*` findings, printed
# but not counted), and when the scan did not reach the server at all.
#
#   scripts/tls-scan.sh [WSGI_DEMO_BINARY]   (default .build/debug/wsgi-demo)
set -euo pipefail
binary=${1:-.build/debug/wsgi-demo}
work=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
"$binary" --bind 127.0.0.1:0 --certfile "$work/cert.pem" --keyfile "$work/key.pem" >"$work/stdout" 2>"$work/stderr" &
server=$!
for _ in $(seq 200); do
    grep -q "Listening on https://" "$work/stdout" && break
    sleep 0.05
done
url=$(grep -o 'https://[^[:space:]]*' "$work/stdout") || { echo "wsgi-demo did not start: $(cat "$work/stderr")" >&2; exit 1; }

echo "testssl.sh against $url (default settings) ..."
testssl --quiet --color 0 --warnings batch --jsonfile "$work/scan.json" "$url" >"$work/scan.txt" 2>&1 || true
python3 - "$work/scan.json" <<'PY'
import json, sys
try:
    findings = json.load(open(sys.argv[1]))
except (OSError, ValueError) as error:
    sys.exit(f"no scan report: {error}")
if not any(f.get("id") in ("TLS1_2", "TLS1_3") for f in findings):
    sys.exit("the scan reached no TLS protocol of the server: " + json.dumps(findings)[:500])
failures = []
rated = [f for f in findings if f.get("severity") in ("LOW", "MEDIUM", "HIGH", "CRITICAL")]
for f in rated:
    severity, name = f.get("severity", ""), f.get("id", "")
    counted = severity in ("HIGH", "CRITICAL") and not name.startswith("cert_")
    print(f"  {severity:<9} {name:<28} {f.get('finding', '')[:90]}{'   <- fails the scan' if counted else ''}")
    if counted:
        failures.append(name)
print(f"{len(findings)} checks, {len(rated)} findings rated LOW or above; {len(failures)} HIGH or CRITICAL about the server's settings")
sys.exit(1 if failures else 0)
PY
