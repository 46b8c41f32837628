#!/usr/bin/env bash
# make bench-access-log: what the access log costs. The hello app, keep-alive, 64 connections (wrk),
# served by the release wsgi-demo without an access log, with gunicorn's default format to a file,
# and with the JSON format to a file; interleaved rounds (the order rotates), medians printed with
# the spread (min-max). The issue's bound: logging costs at most 10% of hello throughput.
#
# Knobs (env): BENCH_SECONDS (8) BENCH_WARMUP (1) BENCH_ROUNDS (5) BENCH_SERVER_CPU (0)
#   BENCH_CLIENT_CPU (1) BENCH_WRK_THREADS (1) BENCH_CLIENT_TIMEOUT (120)
set -euo pipefail
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECS=${BENCH_SECONDS:-8}
WARMUP=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-5}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
WRK_THREADS=${BENCH_WRK_THREADS:-1}
CLIENT_TIMEOUT=${BENCH_CLIENT_TIMEOUT:-120}
RAW="$OUT/access-log-raw.tsv"
LOG_FILE="$OUT/access-log-bench.log"

need wrk taskset
build_tools
resolve_ours
: >"$RAW"

# variant_args VARIANT: the extra flags of each variant.
variant_args() {
    case "$1" in
        none) ARGS=() ;;
        text) ARGS=(--access-logfile "$LOG_FILE") ;;
        json) ARGS=(--access-logfile "$LOG_FILE" --access-logformat json) ;;
    esac
}

VARIANTS=(none text json)
for ((round = 1; round <= ROUNDS; round++)); do
    log "round $round/$ROUNDS"
    for ((k = 0; k < ${#VARIANTS[@]}; k++)); do
        variant=${VARIANTS[$(((k + round) % ${#VARIANTS[@]}))]}
        variant_args "$variant"
        rm -f "$LOG_FILE"
        start_server "access-$round-$variant" "$SERVER_CPU" "${OURS[@]}" --app hello "${ARGS[@]}"
        url="http://$HOST:$SERVER_PORT/"
        [ "$WARMUP" = 0 ] || run_client "$LOG_DIR/access.warmup" "$LOG_DIR/access.warmup.err" \
            wrk -t"$WRK_THREADS" -c64 -d"${WARMUP}s" "$url" || true
        t0=$(cpu_ticks "$SERVER_PID")
        wlog="$LOG_DIR/access-$round-$variant.wrk"
        run_client "$wlog" "$wlog.err" wrk -t"$WRK_THREADS" -c64 -d"${SECS}s" "$url" || log "warning: wrk failed ($wlog.err)"
        check_alive
        t1=$(cpu_ticks "$SERVER_PID")
        stop_server
        requests=$(awk '/ requests in / { print $1 }' "$wlog")
        rps=$(awk '/^Requests\/sec:/ { print $2 }' "$wlog")
        lines=0
        [ ! -f "$LOG_FILE" ] || lines=$(wc -l <"$LOG_FILE")
        cpu=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.3f", d * 1e6 / hz / n }')
        printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$variant" "$rps" "$cpu" "$lines" >>"$RAW"
        log "  $variant: $rps req/s, $cpu us CPU/req, $lines log lines"
    done
done
rm -f "$LOG_FILE"

awk -F'\t' '
    function median(s,   a, n, i, j, t) {
        n = split(s, a, " ")
        for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function spread(s,   a, n, i, lo, hi) {
        n = split(s, a, " "); lo = a[1]; hi = a[1]
        for (i = 2; i <= n; i++) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] }
        return lo "-" hi
    }
    { rps[$2] = rps[$2] " " $3; cpu[$2] = cpu[$2] " " $4 }
    END {
        base = median(rps["none"]); basecpu = median(cpu["none"])
        printf "%-22s %12s %16s %12s %14s %10s\n", "access log", "req/s", "(spread)", "CPU us/req", "(spread)", "vs none"
        split("none text json", order, " ")
        for (k = 1; k <= 3; k++) {
            v = order[k]
            printf "%-22s %12.0f %16s %12.2f %14s %9.1f%%\n", v, median(rps[v]), spread(rps[v]), median(cpu[v]), spread(cpu[v]), (median(rps[v]) / base - 1) * 100
        }
    }' "$RAW"
