#!/usr/bin/env bash
# make bench-preload: the memory --preload saves. The Django test project
# (Tests/PythonHostTests/Fixtures/mysite) served by `swift-wsgi -w WORKERS`, with and without
# --preload, after REQUESTS requests on new connections (spread over the workers by the kernel);
# then the PSS (proportional set size: a page shared by N processes counts 1/N in each, from
# /proc/PID/smaps_rollup) of the workers summed, and the master's. Rounds alternate the two modes;
# the table gives medians (min-max), kB.
#
# Knobs (env): BENCH_WORKERS (4) BENCH_REQUESTS (400) BENCH_ROUNDS (3)
#   BENCH_PRELOAD_VENV (.build/wheel-venv-3.11: the wheel and Django installed by make wheel-venvs)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${BENCH_PRELOAD_VENV:-$ROOT/.build/wheel-venv-3.11}
WORKERS=${BENCH_WORKERS:-4}
REQUESTS=${BENCH_REQUESTS:-400}
ROUNDS=${BENCH_ROUNDS:-3}
FIXTURES="$ROOT/Tests/PythonHostTests/Fixtures"
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

pss() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"; }

# One measurement: prints "WORKERS_PSS MASTER_PSS" in kB.
measure() {
    local port
    port=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$VENV/bin/swift-wsgi" mysite.wsgi:application --chdir "$FIXTURES" -w "$WORKERS" -b "127.0.0.1:$port" "$@" >"$LOG" 2>&1 &
    local master=$!
    for _ in $(seq 100); do grep -q "Listening on" "$LOG" && break; sleep 0.1; done
    "$VENV/bin/python" - "$port" "$REQUESTS" <<'PY'
import http.client, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
for _ in range(count):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/", headers={"Connection": "close"})
    assert connection.getresponse().read() == b"Hello from Django"
    connection.close()
PY
    sleep 1
    local total=0 child
    for child in $(pgrep -P "$master"); do total=$((total + $(pss "$child"))); done
    echo "$total $(pss "$master")"
    kill -TERM "$master"
    wait "$master" || true
}

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%d (%d-%d)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }

declare -a exec_workers exec_master preload_workers preload_master
for round in $(seq "$ROUNDS"); do
    read -r w m < <(measure); exec_workers+=("$w"); exec_master+=("$m")
    read -r w m < <(measure --preload); preload_workers+=("$w"); preload_master+=("$m")
    echo "round $round: exec ${exec_workers[-1]} + ${exec_master[-1]} kB, preload ${preload_workers[-1]} + ${preload_master[-1]} kB" >&2
done

echo
echo "| Django test project, $WORKERS workers, after $REQUESTS requests (PSS, kB; $ROUNDS rounds, medians (min-max)) | workers | master |"
echo "|---|---|---|"
echo "| workers started by exec (default) | $(printf '%s\n' "${exec_workers[@]}" | median) | $(printf '%s\n' "${exec_master[@]}" | median) |"
echo "| --preload (forked from the master, gc.freeze()) | $(printf '%s\n' "${preload_workers[@]}" | median) | $(printf '%s\n' "${preload_master[@]}" | median) |"
