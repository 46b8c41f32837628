#!/usr/bin/env bash
# make bench-python: swift-wsgi (the package's wheel, installed in the bench venv's Python 3.11)
# against the Python WSGI servers people run (bjoern, granian, gunicorn, peregrine-server), the
# C libuv floor, and the standalone executable that embedded libpython before the package replaced
# it (built from BENCH_EMBEDDED_COMMIT), one table of medians over interleaved rounds.
#
# Scenarios (see Benchmarks/README.md, "make bench-python"):
#   a  hello app (apps/hello_app.py), keep-alive, 64 connections (wrk)
#   b  hello app, pipelined 16 deep, 64 connections (wrk + pipeline.lua)
#   c  Flask hello (apps/flask_hello.py), keep-alive, 16 connections (wrk)
#   d  1 GiB from a generator in 64 KiB chunks (apps/stream_app.py), read and discarded by benchclient
#   e  a 10 KiB POST echoed through wsgi.input.read() (apps/echo_app.py), keep-alive, 64 connections
#      (wrk + post.lua; granian's published WSGI shape)
# Every measurement gets a fresh server process tree pinned to BENCH_SERVER_CPU (gunicorn and granian
# run a master and one worker: CPU and peak RSS are summed over the tree); the load generator is
# pinned to BENCH_CLIENT_CPU. Each round runs every scenario on every server, the order rotating by
# round.
#
# Knobs (env): BENCH_SECONDS (5) BENCH_WARMUP (1) BENCH_ROUNDS (3)
#   BENCH_SCENARIOS ("a b c d e") BENCH_POST_SIZE (10240)
#   BENCH_SERVERS ("floor swift-wsgi embedded bjoern peregrine granian gunicorn") BENCH_SERVER_CPU (0)
#   BENCH_CLIENT_CPU (1) BENCH_STREAM_N (16384) BENCH_STREAM_SIZE (65536) BENCH_CLIENT_TIMEOUT (120)
#   BENCH_EMBEDDED_COMMIT (92d0ff8: the last commit with the embedding `swift-wsgi` executable)
set -euo pipefail
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

PY_DIR="$BENCH_DIR/python"
APPS="$PY_DIR/apps"
VENV="$ROOT/.build/bench-venv"
SECS=${BENCH_SECONDS:-5}
WARMUP=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-3}
SCENARIOS=${BENCH_SCENARIOS:-a b c d e}
POST_SIZE=${BENCH_POST_SIZE:-10240}
SERVERS=${BENCH_SERVERS:-floor swift-wsgi embedded bjoern peregrine granian gunicorn}
EMBEDDED_COMMIT=${BENCH_EMBEDDED_COMMIT:-92d0ff8}
EMBEDDED_SRC="$OUT/embedded-src"
EMBEDDED="$OUT/embedded-build/release/swift-wsgi"
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
STREAM_N=${BENCH_STREAM_N:-16384}
STREAM_SIZE=${BENCH_STREAM_SIZE:-65536}
CLIENT_TIMEOUT=${BENCH_CLIENT_TIMEOUT:-120}
LOG_DIR="$OUT/python-logs"
RAW="$OUT/bench-python-raw.tsv"
TABLE="$OUT/bench-python-table.txt"

record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }

# Which servers run which scenario: the floor has no Flask; bjoern cannot pipeline (it answers the
# first request of a batch only); the stream is ours against bjoern, the fastest peer; the floor
# answers heads and reads no body.
runs_in() {
    case "$1/$2" in
        c/floor | d/granian | d/gunicorn | d/peregrine | e/floor) return 1 ;;
        *) return 0 ;;
    esac
}

# server_cmd SERVER SCENARIO: sets CMD, the command line serving the scenario's app.
server_cmd() {
    local app
    case "$2" in
        a | b) app=hello_app:application ;;
        c) app=flask_hello:app ;;
        d) app=stream_app:application ;;
        e) app=echo_app:application ;;
    esac
    case "$1" in
        floor)
            case "$2" in
                d) CMD=("$OUT/floor" --stream "$STREAM_N" "$STREAM_SIZE") ;;
                *) CMD=("$OUT/floor") ;;
            esac ;;
        swift-wsgi) CMD=("$VENV/bin/swift-wsgi" --chdir "$APPS" "$app") ;;
        embedded) CMD=("$EMBEDDED" --venv "$VENV" --chdir "$APPS" "$app") ;;
        *) CMD=("$VENV/bin/python" "$PY_DIR/serve.py" "$1" "$app") ;;
    esac
}

# The PIDs of a process and all its descendants.
tree_pids() {
    local pid=$1 child
    echo "$pid"
    for child in $(pgrep -P "$pid" 2>/dev/null || true); do tree_pids "$child"; done
}

# CPU ticks (utime + stime, all threads) and peak RSS (kB) summed over a process tree.
tree_cpu_ticks() {
    local total=0 pid
    for pid in $(tree_pids "$1"); do total=$((total + $(cpu_ticks "$pid" 2>/dev/null || echo 0))); done
    echo "$total"
}
tree_hwm_kb() {
    local total=0 pid
    for pid in $(tree_pids "$1"); do total=$((total + $(status_kb "$pid" VmHWM 2>/dev/null || echo 0))); done
    echo "$total"
}

# Servers that exec a worker print their listening line before they bind: wait until the port takes
# connections.
wait_for_port() {
    local deadline=$((SECONDS + START_TIMEOUT))
    until (exec 3<>"/dev/tcp/$HOST/$SERVER_PORT") 2>/dev/null; do
        [ "$SECONDS" -lt "$deadline" ] || die "$SERVER_LABEL never accepted connections on port $SERVER_PORT"
        sleep 0.05
    done
    # gunicorn and granian log their workers' boot after the master binds; give the worker its start.
    sleep 0.5
}

# wrk_scenario ROUND SCENARIO SERVER CONNECTIONS [SCRIPT ARG]: wrk's CPU per request; SCRIPT (a wrk
# script in Benchmarks/) gets ARG (pipeline.lua: the depth; post.lua: the body size).
wrk_scenario() {
    local round=$1 sc=$2 srv=$3 conns=$4 script=${5:-} arg=${6:-} tag="r$1-$2-$3"
    server_cmd "$srv" "$sc"
    start_server "$tag" "$SERVER_CPU" "${CMD[@]}"
    wait_for_port
    local url="http://$HOST:$SERVER_PORT/" wrk=(wrk -t1 -c"$conns") args=()
    [ -z "$script" ] || { wrk+=(-s "$BENCH_DIR/$script"); args=(-- "$arg"); }
    [ "$WARMUP" = 0 ] || run_client "$LOG_DIR/$tag.warmup" "$LOG_DIR/$tag.warmup.err" "${wrk[@]}" -d"${WARMUP}s" "$url" "${args[@]}" || true
    local t0 t1 wlog="$LOG_DIR/$tag.wrk"
    t0=$(tree_cpu_ticks "$SERVER_PID")
    run_client "$wlog" "$wlog.err" "${wrk[@]}" -d"${SECS}s" "$url" "${args[@]}" || log "warning: wrk failed ($wlog.err)"
    t1=$(tree_cpu_ticks "$SERVER_PID")
    local hwm
    hwm=$(tree_hwm_kb "$SERVER_PID")
    stop_server
    local requests rps errors
    read -r requests rps errors < <(awk '
        / requests in / { req = $1 }
        /^Requests\/sec:/ { rps = $2 }
        /Socket errors:/ { line = $0; gsub(/[^0-9 ]/, "", line); n = split(line, f, " "); for (i = 1; i <= n; i++) err += f[i] }
        /Non-2xx or 3xx responses:/ { err += $NF }
        END { printf "%s %s %d\n", req == "" ? 0 : req, rps == "" ? "NA" : rps, err }' "$wlog")
    # A server that cannot serve the scenario (bjoern pipelined) completes next to nothing: no figure.
    if [ "$requests" -lt 1000 ]; then
        record "$round" "$sc" "$srv" req_s NA
        log "  ($sc) $srv: $requests requests in ${SECS}s: no figure"
        return
    fi
    local cpu_us
    cpu_us=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.3f", d * 1e6 / hz / n }')
    record "$round" "$sc" "$srv" req_s "$rps"
    record "$round" "$sc" "$srv" cpu_us_per_req "$cpu_us"
    record "$round" "$sc" "$srv" rss_peak_kb "$hwm"
    record "$round" "$sc" "$srv" errors "$errors"
    log "  ($sc) $srv: $rps req/s, $cpu_us us CPU/req, peak RSS $hwm kB, $errors errors"
}

stream_scenario() {
    local round=$1 srv=$2 sc=d tag="r$1-d-$2"
    server_cmd "$srv" d
    start_server "$tag" "$SERVER_CPU" "${CMD[@]}"
    wait_for_port
    local t0 t1 out
    t0=$(tree_cpu_ticks "$SERVER_PID")
    run_client "$LOG_DIR/$tag.client" "$LOG_DIR/$tag.client.err" \
        "$OUT/benchclient" stream "$HOST" "$SERVER_PORT" "/?n=$STREAM_N&size=$STREAM_SIZE" || log "warning: stream client failed"
    t1=$(tree_cpu_ticks "$SERVER_PID")
    out=$(cat "$LOG_DIR/$tag.client")
    local hwm
    hwm=$(tree_hwm_kb "$SERVER_PID")
    stop_server
    local bytes secs
    bytes=$(sed -n 's/.*bytes=\([0-9]*\).*/\1/p' <<<"$out")
    secs=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$out")
    [ -n "$bytes" ] && [ "$bytes" = $((STREAM_N * STREAM_SIZE)) ] || {
        record "$round" d "$srv" mb_s NA
        log "  (d) $srv: incomplete transfer (${bytes:-0} bytes)"
        return
    }
    record "$round" d "$srv" mb_s "$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')"
    record "$round" d "$srv" cpu_ms "$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" 'BEGIN { printf "%.0f", d * 1000 / hz }')"
    record "$round" d "$srv" rss_peak_kb "$hwm"
    log "  (d) $srv: $bytes bytes in ${secs}s, peak RSS $hwm kB"
}

measure() {
    case "$2" in
        a) wrk_scenario "$1" a "$3" 64 ;;
        b) wrk_scenario "$1" b "$3" 64 pipeline.lua 16 ;;
        c) wrk_scenario "$1" c "$3" 16 ;;
        d) stream_scenario "$1" "$3" ;;
        e) wrk_scenario "$1" e "$3" 64 post.lua "$POST_SIZE" ;;
        *) die "unknown scenario '$2' (a b c d e)" ;;
    esac
}

print_table() {
    awk -F'\t' -v scenarios=" $SCENARIOS " -v servers="$SERVERS" '
        function median(s,   a, n, i, j, t) {
            n = split(s, a, " "); if (n == 0) return ""
            for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        function spread(s, med,   a, n, i, lo, hi) {
            n = split(s, a, " "); if (n < 2 || med + 0 == 0) return ""
            lo = hi = a[1] + 0
            for (i = 2; i <= n; i++) { if (a[i] + 0 < lo) lo = a[i] + 0; if (a[i] + 0 > hi) hi = a[i] + 0 }
            return sprintf(" ±%.0f%%", (hi - lo) / med * 50)
        }
        FNR > 1 { v[$2, $3, "ran"] = 1 }
        FNR > 1 && $5 != "NA" && $5 != "" { v[$2, $3, $4] = v[$2, $3, $4] " " $5 }
        END {
            ns = split(servers, srv, " ")
            title["a"] = "(a) hello, keep-alive, 64 conns"; title["b"] = "(b) hello, pipelined x16, 64 conns"
            title["c"] = "(c) Flask hello, keep-alive, 16 conns"; title["d"] = "(d) 1 GiB streamed from a generator"
            title["e"] = "(e) 10 KiB POST echoed via wsgi.input.read(), keep-alive, 64 conns"
            split("a b c", wrkscs, " ")
            for (k = 1; k <= 5; k++) {
                sc = substr("abcde", k, 1)
                if (index(scenarios, " " sc " ") == 0) continue
                printf "\n%s\n", title[sc]
                if (sc == "d") {
                    printf "  %-11s %14s %16s %14s\n", "server", "MB/s", "CPU ms/GiB", "peak RSS MiB"
                } else {
                    printf "  %-11s %14s %16s %14s %10s %10s %12s\n", "server", "req/s", "CPU us/req", "peak RSS MiB", "vs floor", "vs bjoern", "vs peregrine"
                }
                floor = median(v[sc, "floor", "cpu_us_per_req"]); bj = median(v[sc, "bjoern", "cpu_us_per_req"])
                pg = median(v[sc, "peregrine", "cpu_us_per_req"])
                for (i = 1; i <= ns; i++) {
                    s = srv[i]
                    if (!((sc, s, "ran") in v)) continue
                    if (sc == "d") {
                        m = median(v[sc, s, "mb_s"]); if (m == "") continue
                        c = median(v[sc, s, "cpu_ms"]); r = median(v[sc, s, "rss_peak_kb"])
                        printf "  %-11s %14s %16s %14.1f\n", s, sprintf("%.0f%s", m, spread(v[sc, s, "mb_s"], m)), sprintf("%.0f%s", c, spread(v[sc, s, "cpu_ms"], c)), r / 1024
                        continue
                    }
                    q = median(v[sc, s, "req_s"]); c = median(v[sc, s, "cpu_us_per_req"]); r = median(v[sc, s, "rss_peak_kb"])
                    if (q == "") { printf "  %-11s %14s\n", s, "(cannot)"; continue }
                    vf = (floor == "" || floor == 0) ? "-" : sprintf("%.2fx", c / floor)
                    vb = (bj == "" || bj == 0) ? "-" : sprintf("%.2fx", c / bj)
                    vp = (pg == "" || pg == 0) ? "-" : sprintf("%.2fx", c / pg)
                    printf "  %-11s %14s %16s %14.1f %10s %10s %12s\n", s, sprintf("%.0f%s", q, spread(v[sc, s, "req_s"], q)), sprintf("%.2f%s", c, spread(v[sc, s, "cpu_us_per_req"], c)), r / 1024, vf, vb, vp
                }
            }
        }' "$RAW"
}

main() {
    cd "$ROOT"
    need gcc wrk taskset timeout awk pgrep
    [ -x "$VENV/bin/python" ] || die "no bench venv at $VENV (make bench-python creates it)"
    [ "$(nproc)" -ge 2 ] || log "warning: fewer than 2 CPUs; server and load generator will share a core"
    raise_nofile 4096
    build_tools
    [ -x "$VENV/bin/swift-wsgi" ] || die "no swift-wsgi in $VENV (make bench-python installs the wheel)"
    if [[ " $SERVERS " == *" embedded "* ]] && [ ! -x "$EMBEDDED" ]; then
        log "building the embedding executable of $EMBEDDED_COMMIT (once) ..."
        [ -d "$EMBEDDED_SRC" ] || git -C "$ROOT" worktree add --detach "$EMBEDDED_SRC" "$EMBEDDED_COMMIT" >&2
        ${SWIFT:-swift} build -c release --product swift-wsgi --package-path "$EMBEDDED_SRC" --scratch-path "$OUT/embedded-build" >&2 \
            || die "building swift-wsgi of $EMBEDDED_COMMIT failed"
    fi
    rm -rf "$LOG_DIR"
    mkdir -p "$LOG_DIR"
    printf 'round\tscenario\tserver\tmetric\tvalue\n' >"$RAW"
    local round sc srv list
    read -r -a list <<<"$SERVERS"
    for ((round = 1; round <= ROUNDS; round++)); do
        log "round $round/$ROUNDS"
        for sc in $SCENARIOS; do
            # Rotate the order by round so that no server always runs first (or last).
            for ((i = 0; i < ${#list[@]}; i++)); do
                srv=${list[$(((i + round - 1) % ${#list[@]}))]}
                runs_in "$sc" "$srv" || continue
                measure "$round" "$sc" "$srv"
            done
        done
    done
    {
        echo
        machine_line
        local embedded=""
        [[ " $SERVERS " != *" embedded "* ]] || embedded="; embedded: $(relative "$EMBEDDED") of $EMBEDDED_COMMIT (libpython, static)"
        printf 'swift-wsgi: the wheel %s in %s (Python %s)%s; peers from %s\n' \
            "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("swift-wsgi"))')" "$(relative "$VENV")" \
            "$("$VENV/bin/python" -c 'import platform; print(platform.python_version())')" "$embedded" \
            "$(relative "$PY_DIR/requirements.txt")"
        printf 'bjoern %s, peregrine-server %s, granian %s, gunicorn %s (gthread, 1 worker, 1 thread); floor: %s\n' \
            "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("bjoern"))')" \
            "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("peregrine-server"))')" \
            "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("granian"))')" \
            "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("gunicorn"))')" "$(relative "$OUT/floor")"
        printf 'server tree on CPU %s, wrk -t1 on CPU %s; %ss runs after %ss warm-up; medians of %s rounds (± half the range)\n' \
            "$SERVER_CPU" "$CLIENT_CPU" "$SECS" "$WARMUP" "$ROUNDS"
        print_table
        echo
        echo "raw figures: $(relative "$RAW"); logs: $(relative "$LOG_DIR")/"
    } | tee "$TABLE"
}

main "$@"
