#!/usr/bin/env bash
# make bench: our server against the C libuv floor (Benchmarks/floor/floor.c), one table of medians.
#
# Scenarios (see Benchmarks/README.md):
#   a  hello, keep-alive, 64 connections (wrk)
#   b  hello, pipelined 16 deep, 64 connections (wrk + pipeline.lua)
#   c  hello, keep-alive, 256 connections (wrk)
#   d  one 1 GiB response streamed in 64 KiB chunks, read and discarded by benchclient
#   e  10,000 idle keep-alive connections, one request each: RSS added per connection
# Every measurement gets a fresh server process (so VmHWM is that scenario's peak), pinned to
# BENCH_SERVER_CPU; the load generator is pinned to BENCH_CLIENT_CPU. Each round runs every scenario
# on both servers back to back (which one goes first alternates by round); the table shows medians.
#
# Knobs (env): BENCH_SECONDS (8) BENCH_WARMUP (1) BENCH_ROUNDS (3) BENCH_SCENARIOS ("a b c d e")
#   BENCH_WRK_THREADS (1) BENCH_SERVER_CPU (0) BENCH_CLIENT_CPU (1) BENCH_STREAM_N (16384)
#   BENCH_STREAM_SIZE (65536) BENCH_STREAM_REPEAT (5) BENCH_LATENCY_SECONDS (2)
#   BENCH_IDLE_CONNS (10000) BENCH_CLIENT_TIMEOUT (300)
#   BENCH_START_TIMEOUT (30) BENCH_STOP_TIMEOUT (10) OURS_CMD (default: build and run wsgi-demo)
set -euo pipefail
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECS=${BENCH_SECONDS:-8}
WARMUP=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-3}
SCENARIOS=${BENCH_SCENARIOS:-a b c d e}
WRK_THREADS=${BENCH_WRK_THREADS:-1}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
STREAM_N=${BENCH_STREAM_N:-16384}
STREAM_SIZE=${BENCH_STREAM_SIZE:-65536}
STREAM_REPEAT=${BENCH_STREAM_REPEAT:-5}
LATENCY_SECS=${BENCH_LATENCY_SECONDS:-2}
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}
CLIENT_TIMEOUT=${BENCH_CLIENT_TIMEOUT:-300}

RAW="$OUT/bench-raw.tsv"
TABLE="$OUT/bench-table.txt"
FAILED=0  # measurements that produced no figure; makes the script exit 1 after printing the table

# record ROUND SCENARIO SERVER METRIC VALUE: one raw figure (VALUE "NA" when the run produced none).
record() {
    printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"
}

# Records how the server exited; anything but 0 after SIGTERM breaks the contract (and valgrind totals).
stop_and_record() {
    local round=$1 sc=$2 srv=$3
    stop_server
    record "$round" "$sc" "$srv" exit_code "$STOP_RC"
}

# wrk_scenario ROUND SCENARIO SERVER CONNS DEPTH: hello app under wrk; DEPTH > 1 pipelines.
wrk_scenario() {
    local round=$1 sc=$2 srv=$3 conns=$4 depth=$5
    local tag="r$round-$sc-$srv"
    server_cmd "$srv" hello
    start_server "$tag" "$SERVER_CPU" "${CMD[@]}"
    local url="http://$HOST:$SERVER_PORT/"
    local wrk=(wrk -t"$WRK_THREADS" -c"$conns" --latency)
    [ "$depth" -le 1 ] || wrk+=(-s "$BENCH_DIR/pipeline.lua")
    local args=("$url" -- "$depth")

    # Warm-up on the same process (connections, caches, lazy setup) is not part of the figures.
    [ "$WARMUP" = 0 ] || run_client "$LOG_DIR/$tag.wrk-warmup" "$LOG_DIR/$tag.wrk-warmup.err" \
        "${wrk[@]}" -d"${WARMUP}s" "${args[@]}" || true

    local t0 t1 wlog="$LOG_DIR/$tag.wrk"
    t0=$(cpu_ticks "$SERVER_PID")
    run_client "$wlog" "$wlog.err" "${wrk[@]}" -d"${SECS}s" "${args[@]}" ||
        log "warning: wrk exited with an error ($wlog.err)"
    check_alive
    t1=$(cpu_ticks "$SERVER_PID")
    local hwm
    hwm=$(status_kb "$SERVER_PID" VmHWM)

    # wrk 4.1's latency percentiles are wrong under pipelining (its coordinated-omission correction
    # assumes one request per round trip; p99 can come out as 0), so with DEPTH > 1 the latencies come
    # from a short run of benchclient's closed-loop load of the same shape: per batch, uncorrected.
    local lat=""
    if [ "$depth" -gt 1 ]; then
        run_client "$LOG_DIR/$tag.load" "$LOG_DIR/$tag.load.err" \
            "$OUT/benchclient" load "$HOST" "$SERVER_PORT" "$conns" "$depth" "$LATENCY_SECS" ||
            log "warning: benchclient load failed: $(cat "$LOG_DIR/$tag.load.err")"
        lat=$(cat "$LOG_DIR/$tag.load")
        check_alive
    fi
    stop_and_record "$round" "$sc" "$srv"

    # requests rps p50(us) p99(us) socket-errors non-2xx, from wrk's report
    local requests rps p50 p99 errors non2xx
    read -r requests rps p50 p99 errors non2xx < <(awk '
        function us(v) {
            if (v ~ /us$/) return v + 0
            if (v ~ /ms$/) return v * 1000
            if (v ~ /m$/)  return v * 60e6
            if (v ~ /s$/)  return v * 1e6
            return v + 0
        }
        /^ +50%/ { p50 = us($2) }
        /^ +99%/ { p99 = us($2) }
        / requests in / { req = $1 }
        /^Requests\/sec:/ { rps = $2 }
        /Socket errors:/ { line = $0; gsub(/[^0-9 ]/, "", line); n = split(line, f, " "); for (i = 1; i <= n; i++) err += f[i] }
        /Non-2xx or 3xx responses:/ { non = $NF }
        END { printf "%s %s %s %s %d %d\n", req == "" ? "NA" : req, rps == "" ? "NA" : rps,
                     p50 == "" ? "NA" : p50, p99 == "" ? "NA" : p99, err, non }' "$wlog")

    if [ "$depth" -gt 1 ]; then
        record "$round" "$sc" "$srv" wrk_p50_us "$p50"
        record "$round" "$sc" "$srv" wrk_p99_us "$p99"
        p50=$(sed -n 's/.*p50_us=\([0-9]*\).*/\1/p' <<<"$lat")
        p99=$(sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' <<<"$lat")
        # benchclient's own throughput, for comparison with wrk's (raw file only)
        record "$round" "$sc" "$srv" load_req_s "$(awk -v l="$lat" 'BEGIN { n = split(l, f, /[ =]/); print (n >= 4 && f[4] > 0) ? sprintf("%.0f", f[2] / f[4]) : "NA" }')"
    fi
    record "$round" "$sc" "$srv" requests "$requests"
    record "$round" "$sc" "$srv" req_s "$rps"
    record "$round" "$sc" "$srv" p50_us "${p50:-NA}"
    record "$round" "$sc" "$srv" p99_us "${p99:-NA}"
    record "$round" "$sc" "$srv" socket_errors "$errors"
    record "$round" "$sc" "$srv" non_2xx "$non2xx"
    record "$round" "$sc" "$srv" rss_peak_kb "$hwm"
    if [ "$requests" = NA ] || [ "$requests" -eq 0 ]; then
        FAILED=$((FAILED + 1))
        record "$round" "$sc" "$srv" cpu_us_per_req NA
        log "  ($sc) $srv: no requests completed (see $wlog)"
        return
    fi
    # Server CPU over the measured run only, per request wrk counted.
    local cpu_us
    cpu_us=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.3f", d * 1e6 / hz / n }')
    record "$round" "$sc" "$srv" cpu_us_per_req "$cpu_us"
    log "  ($sc) $srv: $rps req/s, p50 ${p50}us, p99 ${p99}us, ${cpu_us} us CPU/req, peak RSS ${hwm} kB"
}

# stream_scenario ROUND SERVER: STREAM_REPEAT responses of STREAM_N x STREAM_SIZE bytes, one after the
# other on fresh connections, each read and discarded. Each transfer is its own sample (a 1 GiB transfer
# is short and noisy); the table's median runs over rounds x repeats.
stream_scenario() {
    local round=$1 srv=$2 sc=d
    local tag="r$round-$sc-$srv"
    server_cmd "$srv" stream
    start_server "$tag" "$SERVER_CPU" "${CMD[@]}"
    local i t0 t1 out bytes secs mbs cpu_ms
    for ((i = 1; i <= STREAM_REPEAT; i++)); do
        out=""
        t0=$(cpu_ticks "$SERVER_PID")
        run_client "$LOG_DIR/$tag.client" "$LOG_DIR/$tag.client.err" \
            "$OUT/benchclient" stream "$HOST" "$SERVER_PORT" "/?n=$STREAM_N&size=$STREAM_SIZE" ||
            log "warning: stream client failed: $(cat "$LOG_DIR/$tag.client.err")"
        out=$(cat "$LOG_DIR/$tag.client")
        check_alive
        t1=$(cpu_ticks "$SERVER_PID")
        if [ -z "$out" ]; then
            FAILED=$((FAILED + 1))
            record "$round" "$sc" "$srv" mb_s NA
            break
        fi
        bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$out")
        secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
        mbs=$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')
        cpu_ms=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.0f", d * 1000 / hz }')
        record "$round" "$sc" "$srv" bytes "$bytes"
        record "$round" "$sc" "$srv" mb_s "$mbs"
        record "$round" "$sc" "$srv" cpu_ms "$cpu_ms"
        log "  (d) $srv: $bytes bytes in ${secs}s = $mbs MB/s, server CPU ${cpu_ms} ms"
    done
    local hwm
    hwm=$(status_kb "$SERVER_PID" VmHWM)
    stop_and_record "$round" "$sc" "$srv"
    record "$round" "$sc" "$srv" rss_peak_kb "$hwm"
    log "  (d) $srv: peak RSS ${hwm} kB"
}

# idle_scenario ROUND SERVER: IDLE_CONNS keep-alive connections held open, one request done on each.
idle_scenario() {
    local round=$1 srv=$2 sc=e
    local tag="r$round-$sc-$srv"
    server_cmd "$srv" hello
    start_server "$tag" "$SERVER_CPU" "${CMD[@]}"
    local out=""
    run_client "$LOG_DIR/$tag.client" "$LOG_DIR/$tag.client.err" \
        "$OUT/benchclient" idle "$HOST" "$SERVER_PORT" "$IDLE_CONNS" "$SERVER_PID" ||
        log "warning: idle client failed: $(cat "$LOG_DIR/$tag.client.err")"
    out=$(cat "$LOG_DIR/$tag.client")
    check_alive
    stop_and_record "$round" "$sc" "$srv"
    if [ -z "$out" ]; then
        FAILED=$((FAILED + 1))
        record "$round" "$sc" "$srv" rss_per_conn_b NA
        return
    fi
    local before after closed per_conn
    before=$(sed -n 's/.*rss_before_kb=\([0-9]*\).*/\1/p' <<<"$out")
    after=$(sed -n 's/.*rss_after_kb=\([0-9]*\).*/\1/p' <<<"$out")
    closed=$(sed -n 's/.*closed_by_server=\([0-9]*\).*/\1/p' <<<"$out")
    per_conn=$(awk -v a="$after" -v b="$before" -v n="$IDLE_CONNS" 'BEGIN { printf "%.0f", (a - b) * 1024 / n }')
    record "$round" "$sc" "$srv" rss_before_kb "$before"
    record "$round" "$sc" "$srv" rss_after_kb "$after"
    record "$round" "$sc" "$srv" rss_per_conn_b "$per_conn"
    record "$round" "$sc" "$srv" closed_by_server "$closed"
    log "  (e) $srv: RSS ${before} kB -> ${after} kB with $IDLE_CONNS connections = $per_conn bytes/conn"
}

measure() {
    local round=$1 sc=$2 srv=$3
    case "$sc" in
        a) wrk_scenario "$round" a "$srv" 64 1 ;;
        b) wrk_scenario "$round" b "$srv" 64 16 ;;
        c) wrk_scenario "$round" c "$srv" 256 1 ;;
        d) stream_scenario "$round" "$srv" ;;
        e) idle_scenario "$round" "$srv" ;;
        *) die "unknown scenario '$sc' in BENCH_SCENARIOS (a b c d e)" ;;
    esac
}

# Prints the table: for each row spec "scenario|metric|label|printf format|scale", the median over
# rounds of ours and of the floor, and ours/floor.
print_table() {
    local gib
    gib=$(awk -v b=$((STREAM_N * STREAM_SIZE)) -v s="$STREAM_SIZE" 'BEGIN {
        if (b >= 1073741824) printf "%g GiB", b / 1073741824; else printf "%g MiB", b / 1048576
        printf " in %g KiB chunks", s / 1024 }')
    local specs="
a|-|(a) hello keep-alive, 64 conns
a|req_s|req/s|%.0f|1
a|p50_us|p50 latency (us)|%.0f|1
a|p99_us|p99 latency (us)|%.0f|1
a|cpu_us_per_req|server CPU (us/req)|%.2f|1
a|rss_peak_kb|peak RSS (MiB)|%.1f|0.0009765625
b|-|(b) hello pipelined x16, 64 conns
b|req_s|req/s|%.0f|1
b|p50_us|p50 batch latency (us) *|%.0f|1
b|p99_us|p99 batch latency (us) *|%.0f|1
b|cpu_us_per_req|server CPU (us/req)|%.2f|1
b|rss_peak_kb|peak RSS (MiB)|%.1f|0.0009765625
c|-|(c) hello keep-alive, 256 conns
c|req_s|req/s|%.0f|1
c|p50_us|p50 latency (us)|%.0f|1
c|p99_us|p99 latency (us)|%.0f|1
c|cpu_us_per_req|server CPU (us/req)|%.2f|1
c|rss_peak_kb|peak RSS (MiB)|%.1f|0.0009765625
d|-|(d) stream $gib
d|mb_s|throughput (MB/s)|%.0f|1
d|cpu_ms|server CPU (ms/transfer)|%.0f|1
d|rss_peak_kb|peak RSS (MiB)|%.1f|0.0009765625
e|-|(e) $IDLE_CONNS idle keep-alive conns
e|rss_per_conn_b|RSS per conn (bytes)|%.0f|1
e|rss_before_kb|RSS before (MiB)|%.1f|0.0009765625
e|rss_after_kb|RSS with conns open (MiB)|%.1f|0.0009765625"
    awk -F'|' -v scenarios=" $SCENARIOS " '
        # median of the space-separated numbers in s ("" when there are none)
        function median(s,   a, n, i, j, t) {
            n = split(s, a, " ")
            if (n == 0) return ""
            for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        function fmt(v, f, scale) { return v == "" ? "-" : sprintf(f, v * scale) }
        # (max - min) / median of the samples in s, in percent: how far apart the rounds were
        function spread(s, med,   a, n, i, lo, hi) {
            n = split(s, a, " ")
            if (n < 2 || med + 0 == 0) return "-"
            lo = hi = a[1] + 0
            for (i = 2; i <= n; i++) { if (a[i] + 0 < lo) lo = a[i] + 0; if (a[i] + 0 > hi) hi = a[i] + 0 }
            return sprintf("%.0f%%", (hi - lo) / med * 100)
        }
        FNR == NR { spec[++nspec] = $0; next }                       # first input: row specs
        FNR > 1 {                                                    # then the raw tsv (after its header)
            split($0, r, "\t")
            if (r[5] != "NA" && r[5] != "") vals[r[2], r[3], r[4]] = vals[r[2], r[3], r[4]] " " r[5]
        }
        END {
            printf "%-36s %-27s %12s %12s %11s %14s\n", "scenario", "metric", "ours", "floor", "ours/floor", "spread o/f"
            for (k = 1; k <= nspec; k++) {
                split(spec[k], s, "|")
                if (index(scenarios, " " s[1] " ") == 0) continue
                if (s[2] == "-") { title = s[3]; continue }
                vo = vals[s[1], "ours", s[2]]; vf = vals[s[1], "floor", s[2]]
                o = median(vo); f = median(vf)
                ratio = (o == "" || f == "" || f + 0 == 0) ? "-" : sprintf("%.2f", o / f)
                printf "%-36s %-27s %12s %12s %11s %14s\n", title, s[3], fmt(o, s[4], s[5]), fmt(f, s[4], s[5]), ratio,
                    spread(vo, o) "/" spread(vf, f)
                title = ""
            }
        }' <(sed '/^$/d' <<<"$specs") "$RAW"
}

# Everything that makes a figure suspect, after the table.
print_warnings() {
    awk -F'\t' -v expect=$((STREAM_N * STREAM_SIZE)) -v n="$IDLE_CONNS" '
        FNR == 1 { next }
        $4 == "exit_code" && $5 != 0      { printf "warning: round %s (%s) %s exited with code %s on SIGTERM (expected 0)\n", $1, $2, $3, $5 }
        $4 == "socket_errors" && $5 > 0   { printf "warning: round %s (%s) %s: wrk reported %s socket errors\n", $1, $2, $3, $5 }
        $4 == "non_2xx" && $5 > 0         { printf "warning: round %s (%s) %s: %s non-2xx responses\n", $1, $2, $3, $5 }
        $4 == "bytes" && $5 != expect     { printf "warning: round %s (d) %s sent %s bytes, asked for %s (does it read n and size from the query?)\n", $1, $3, $5, expect }
        $4 == "closed_by_server" && $5 > 0 { printf "warning: round %s (e) %s closed %s of its %s idle connections before RSS was read\n", $1, $3, $5, n }
        $5 == "NA"                        { printf "warning: round %s (%s) %s: no %s figure (run failed; logs in Benchmarks/out/logs)\n", $1, $2, $3, $4 }
    ' "$RAW"
}

main() {
    cd "$ROOT"
    need gcc wrk taskset timeout awk
    for sc in $SCENARIOS; do
        case "$sc" in a | b | c | d | e) ;; *) die "unknown scenario '$sc' in BENCH_SCENARIOS (a b c d e)" ;; esac
    done
    [ "$(nproc)" -ge 2 ] || log "warning: fewer than 2 CPUs; server and load generator will share a core"
    # 256 wrk connections, and the idle scenario holds IDLE_CONNS sockets in each process.
    raise_nofile $((IDLE_CONNS + 1024))

    build_tools
    resolve_ours
    rm -rf "$LOG_DIR"
    mkdir -p "$LOG_DIR"
    printf 'round\tscenario\tserver\tmetric\tvalue\n' >"$RAW"

    local round sc srv order
    for ((round = 1; round <= ROUNDS; round++)); do
        # Alternate who goes first so neither always runs on a cooler (or warmer) machine.
        if ((round % 2)); then order="ours floor"; else order="floor ours"; fi
        log "round $round/$ROUNDS"
        for sc in $SCENARIOS; do
            for srv in $order; do
                measure "$round" "$sc" "$srv"
            done
        done
    done

    {
        echo
        machine_line
        printf 'ours:  %s (--app hello | --app stream)\n' "$(relative "${OURS[@]}")"
        printf 'floor: %s (C, libuv %s)\n' "$(relative "$OUT/floor")" "$(pkg-config --modversion libuv 2>/dev/null || echo '?')"
        printf 'server on CPU %s, load on CPU %s; wrk -t%s, %ss runs after %ss warm-up; medians of %s rounds\n' \
            "$SERVER_CPU" "$CLIENT_CPU" "$WRK_THREADS" "$SECS" "$WARMUP" "$ROUNDS"
        printf 'ours/floor: above 1 is better for req/s and MB/s, below 1 is better for everything else\n'
        printf 'spread: (max - min) / median over the samples behind each median, ours/floor\n\n'
        print_table
        case " $SCENARIOS " in
            *" b "*) echo "* per batch of 16 (write -> 16th response), from benchclient load: wrk 4.1's percentiles are wrong under pipelining" ;;
        esac
        print_warnings
        echo
        echo "raw per-round figures: $(relative "$RAW"); wrk and server logs: $(relative "$LOG_DIR")/"
    } | tee "$TABLE"

    [ "$FAILED" -eq 0 ] || die "$FAILED measurement(s) produced no figure (see the warnings above)"
}

main "$@"
