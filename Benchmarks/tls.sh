#!/usr/bin/env bash
# make bench-tls: TLS termination, wsgi-demo against nginx (Debian's nginx-light), both on one core
# with the same certificate (EC P-256) and OpenSSL's default TLS 1.3 suites, interleaved round by round.
#
# Scenarios:
#   h  handshakes: hello with "Connection: close", a new TLS connection per request (wrk, 16 connections)
#   k  keep-alive hello over TLS (wrk, 64 connections)
#   s  one 1 GiB response over TLS (curl), MB/s and CPU seconds per GiB
# The figure compared is the server's CPU per unit of work (utime+stime of its process over the run,
# per request or per GiB): the ratio is ours / nginx from the same run, medians of BENCH_ROUNDS, with
# the spread (min-max of the rounds).
#
# Knobs (env): BENCH_SECONDS (6) BENCH_ROUNDS (3) BENCH_SCENARIOS ("h k s") BENCH_SERVER_CPU (0)
#   BENCH_CLIENT_CPU (1) BENCH_CLIENT_TIMEOUT (300) OURS_CMD (default: build and run wsgi-demo)
set -euo pipefail
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECS=${BENCH_SECONDS:-6}
ROUNDS=${BENCH_ROUNDS:-3}
SCENARIOS=${BENCH_SCENARIOS:-h k s}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
CLIENT_TIMEOUT=${BENCH_CLIENT_TIMEOUT:-300}
TLS_DIR="$OUT/tls"
RAW="$TLS_DIR/raw.tsv"
GIB=$((1 << 30))

need wrk curl nginx openssl taskset
resolve_ours
mkdir -p "$TLS_DIR"
: >"$RAW"

log "making a certificate (EC P-256) ..."
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" 2>/dev/null
# nginx's 1 GiB: a sparse file, read from the page cache (what it costs is the encryption, as ours).
truncate -s "$GIB" "$TLS_DIR/stream.bin"

# start NAME APP: starts ours (serving APP: hello or stream) or nginx (both) on SERVER_CPU; sets
# SERVER_PID, SERVER_PORT.
start() {
    case "$1" in
        ours)
            start_server "ours" "$SERVER_CPU" "${OURS[@]}" --app "$2" --certfile "$TLS_DIR/cert.pem" --keyfile "$TLS_DIR/key.pem"
            ;;
        nginx)
            SERVER_PORT=$(free_port)
            start_nginx "$TLS_DIR" "    server {
        listen $HOST:$SERVER_PORT ssl;
        ssl_certificate $TLS_DIR/cert.pem;
        ssl_certificate_key $TLS_DIR/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        location = / { default_type text/plain; return 200 \"Hello\"; }
        location = /stream { default_type application/octet-stream; alias $TLS_DIR/stream.bin; }
    }" "https://$HOST:$SERVER_PORT/" -k
            ;;
    esac
}

# measure ROUND SCENARIO SERVER: one run; records the server's CPU per unit and the throughput.
measure() {
    local round=$1 sc=$2 srv=$3
    mkdir -p "$LOG_DIR"
    if [ "$sc" = s ]; then start "$srv" stream; else start "$srv" hello; fi
    local out="$LOG_DIR/tls-$round-$sc-$srv.out" err="$LOG_DIR/tls-$round-$sc-$srv.err"
    local before after units rate
    before=$(cpu_ticks "$SERVER_PID")
    case "$sc" in
        h | k)
            local extra=() conns=64
            [ "$sc" = h ] && extra=(-H "Connection: close") && conns=16
            run_client "$out" "$err" wrk -t1 -c"$conns" -d"${SECS}s" "${extra[@]}" "https://$HOST:$SERVER_PORT/" ||
                die "wrk failed: $(tail -n 3 "$err")"
            units=$(awk '/requests in/ { print $1 }' "$out")
            rate=$(awk '/Requests\/sec/ { print $2 }' "$out")
            ;;
        s)
            local path="/stream"
            [ "$srv" = ours ] && path="/stream?n=16384&size=65536"
            run_client "$out" "$err" curl -sk -o /dev/null -w '%{size_download} %{speed_download}\n' "https://$HOST:$SERVER_PORT$path" ||
                die "curl failed: $(tail -n 3 "$err")"
            [ "$(awk '{ print $1 }' "$out")" = "$GIB" ] || die "$srv sent $(awk '{ print $1 }' "$out") bytes, not 1 GiB"
            units=GiB
            rate=$(awk '{ printf "%.0f", $2 / 1000000 }' "$out")
            ;;
    esac
    check_alive
    after=$(cpu_ticks "$SERVER_PID")
    stop_server
    record_run "$round" "$sc" "$srv" $((after - before)) "$units" "$rate"
}

interleave_rounds

python3 "$BENCH_DIR/ratio_table.py" "$RAW" "h=handshakes (new connection per request)=us CPU/req" \
    "k=keep-alive hello over TLS, 64 conns=us CPU/req" "s=1 GiB streamed over TLS=CPU s/GiB"
