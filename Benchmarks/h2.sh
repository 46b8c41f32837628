#!/usr/bin/env bash
# make bench-h2: HTTP/2, wsgi-demo against nginx (Debian's nginx-light, `listen ... http2`), both
# cleartext h2 with prior knowledge (h2c), on one core, interleaved round by round; h2load and curl
# (Debian's nghttp2-client) on the other core.
#
# Scenarios:
#   m  hello, 64 connections x 16 concurrent streams (h2load -c64 -m16)
#   o  hello, one connection x 100 concurrent streams (h2load -c1 -m100)
#   s  one 1 GiB response on one stream (curl --http2-prior-knowledge), MB/s and CPU seconds per GiB
# The figure compared is the server's CPU per unit of work (utime+stime of its process over the run,
# per request or per GiB): the ratio is ours / nginx from the same run, medians of BENCH_ROUNDS, with
# the spread (min-max of the rounds). h2load's failed or errored requests stop the run.
#
# Knobs (env): BENCH_SECONDS (6) BENCH_ROUNDS (3) BENCH_SCENARIOS ("m o s") BENCH_SERVER_CPU (0)
#   BENCH_CLIENT_CPU (1) BENCH_CLIENT_TIMEOUT (300) OURS_CMD (default: build and run wsgi-demo)
set -euo pipefail
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECS=${BENCH_SECONDS:-6}
ROUNDS=${BENCH_ROUNDS:-3}
SCENARIOS=${BENCH_SCENARIOS:-m o s}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
CLIENT_TIMEOUT=${BENCH_CLIENT_TIMEOUT:-300}
H2_DIR="$OUT/h2"
RAW="$H2_DIR/raw.tsv"
GIB=$((1 << 30))

need h2load curl nginx taskset
resolve_ours
mkdir -p "$H2_DIR"
: >"$RAW"
truncate -s "$GIB" "$H2_DIR/stream.bin"

# start NAME APP: ours (serving APP: hello or stream) or nginx (both) on SERVER_CPU.
start() {
    case "$1" in
        ours) start_server "ours" "$SERVER_CPU" "${OURS[@]}" --app "$2" ;;
        nginx)
            SERVER_PORT=$(free_port)
            start_nginx "$H2_DIR" "    http2_max_concurrent_streams 128;
    server {
        listen $HOST:$SERVER_PORT http2;
        location = / { default_type text/plain; return 200 \"Hello\"; }
        location = /stream { default_type application/octet-stream; alias $H2_DIR/stream.bin; }
    }" "http://$HOST:$SERVER_PORT/" --http2-prior-knowledge
            ;;
    esac
}

measure() {
    local round=$1 sc=$2 srv=$3
    mkdir -p "$LOG_DIR"
    if [ "$sc" = s ]; then start "$srv" stream; else start "$srv" hello; fi
    local out="$LOG_DIR/h2-$round-$sc-$srv.out" err="$LOG_DIR/h2-$round-$sc-$srv.err"
    local before after units rate
    before=$(cpu_ticks "$SERVER_PID")
    case "$sc" in
        m | o)
            local shape=(-c64 -m16)
            [ "$sc" = o ] && shape=(-c1 -m100)
            run_client "$out" "$err" h2load "${shape[@]}" -D "$SECS" "http://$HOST:$SERVER_PORT/" ||
                die "h2load failed: $(tail -n 3 "$err")"
            grep -q ' 0 failed, 0 errored' "$out" || die "$srv: h2load saw failures: $(grep 'requests:' "$out")"
            units=$(awk '/^requests:/ { print $8 }' "$out")
            rate=$(awk '/^finished in/ { print $4 }' "$out")
            ;;
        s)
            local path="/stream"
            [ "$srv" = ours ] && path="/stream?n=16384&size=65536"
            run_client "$out" "$err" curl -s --http2-prior-knowledge -o /dev/null -w '%{size_download} %{speed_download} %{http_version}\n' "http://$HOST:$SERVER_PORT$path" ||
                die "curl failed: $(tail -n 3 "$err")"
            [ "$(awk '{ print $1, $3 }' "$out")" = "$GIB 2" ] || die "$srv sent $(cat "$out"), not 1 GiB over HTTP/2"
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

machine_line
python3 "$BENCH_DIR/ratio_table.py" "$RAW" "m=hello, 64 conns x 16 streams (h2c)=us CPU/req" \
    "o=hello, 1 conn x 100 streams (h2c)=us CPU/req" "s=1 GiB on one stream (h2c)=CPU s/GiB"
