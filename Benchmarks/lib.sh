# Benchmarks/lib.sh: shared by run.sh and instructions.sh (sourced, not run).
# Builds the tools, starts and stops servers, reads /proc. Progress goes to stderr; tables to stdout.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
OUT="$BENCH_DIR/out"
LOG_DIR="$OUT/logs"  # server and client output (instructions.sh uses its own)
HOST=127.0.0.1
START_TIMEOUT=${BENCH_START_TIMEOUT:-30}  # seconds a server gets to print "Listening on ..."
STOP_TIMEOUT=${BENCH_STOP_TIMEOUT:-10}    # seconds a server gets to exit after SIGTERM
CLK_TCK=$(getconf CLK_TCK)

CHILDREN=()  # servers and clients still running; the EXIT trap stops them

log() { printf '%s\n' "$*" >&2; }
die() {
    printf '\nerror: %s\n' "$*" >&2
    exit 1
}

# On any exit: SIGTERM every server and client still running, SIGKILL what is left after 5 s.
cleanup() {
    local pid tries=100
    [ ${#CHILDREN[@]} -gt 0 ] || return 0
    for pid in "${CHILDREN[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${CHILDREN[@]}"; do
        while kill -0 "$pid" 2>/dev/null && [ $((tries -= 1)) -gt 0 ]; do sleep 0.05; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "'$tool' is not installed (make bench installs it via scripts/ensure-packages.sh)"
    done
}

# Builds the floor server and the C clients into out/ (a second or two; always rebuilt so they match the source).
build_tools() {
    mkdir -p "$OUT"
    local uv
    uv=$(pkg-config --cflags --libs libuv 2>/dev/null || echo -luv)
    # shellcheck disable=SC2086  # $uv is a list of compiler flags
    gcc -O2 -Wall -Wextra -o "$OUT/floor" "$BENCH_DIR/floor/floor.c" $uv ||
        die "building the floor server failed (needs gcc and libuv1-dev)"
    gcc -O2 -Wall -Wextra -o "$OUT/benchclient" "$BENCH_DIR/clients/benchclient.c" ||
        die "building benchclient failed"
}

# Sets OURS (an array: the command of "our" server, without --app/--bind). With OURS_CMD set, that command
# is used as is (relative paths are relative to the repository root) and nothing is built; otherwise the
# release demo is built first. The command must exec the server (not fork it): its PID is the one measured.
resolve_ours() {
    if [ -n "${OURS_CMD:-}" ]; then
        read -r -a OURS <<<"$OURS_CMD"
        log "ours: OURS_CMD=$OURS_CMD (no swift build)"
    else
        log "building wsgi-demo (swift build -c release --product wsgi-demo) ..."
        (cd "$ROOT" && ${SWIFT:-swift} build -c release --product wsgi-demo) >&2 ||
            die "swift build -c release --product wsgi-demo failed (output above). The harness needs that binary; to run it against another server meanwhile, set OURS_CMD (e.g. OURS_CMD=Benchmarks/out/floor)."
        OURS=("$ROOT/.build/release/wsgi-demo")
    fi
    [ -x "${OURS[0]}" ] || command -v "${OURS[0]}" >/dev/null ||
        die "ours: '${OURS[0]}' is not an executable"
}

# server_cmd SERVER APP: sets CMD (array) to the command line of SERVER (ours|floor) serving APP (hello|stream).
# STREAM_N/STREAM_SIZE (set by the caller) give the floor's stream shape; ours reads them from the query.
server_cmd() {
    case "$1/$2" in
        ours/hello) CMD=("${OURS[@]}" --app hello) ;;
        ours/stream) CMD=("${OURS[@]}" --app stream) ;;
        floor/hello) CMD=("$OUT/floor") ;;
        floor/stream) CMD=("$OUT/floor" --stream "$STREAM_N" "$STREAM_SIZE") ;;
        *) die "server_cmd: unknown $1/$2" ;;
    esac
}

# start_server LABEL CPU CMD...: runs CMD --bind HOST:0 in the background, pinned to CPU (or unpinned when
# CPU is "-"), and waits for its "Listening on http://HOST:PORT" line on stdout. Sets SERVER_PID and
# SERVER_PORT. Dies, showing the server's output, if it exits first or says nothing within START_TIMEOUT.
start_server() {
    local label=$1 cpu=$2
    shift 2
    mkdir -p "$LOG_DIR"
    local stdout_log="$LOG_DIR/$label.stdout" stderr_log="$LOG_DIR/$label.stderr"
    local pin=()
    [ "$cpu" = "-" ] || pin=(taskset -c "$cpu")
    # setsid and taskset exec the server, so $! is the server's own PID (the one /proc is read for).
    # setsid puts it in a session of its own: Ctrl-C on the terminal reaches the script and the client,
    # and the EXIT trap stops the server, rather than the server dying mid-measurement.
    setsid "${pin[@]}" "$@" --bind "$HOST:0" >"$stdout_log" 2>"$stderr_log" &
    SERVER_PID=$!
    SERVER_LABEL=$label
    SERVER_STDERR=$stderr_log
    CHILDREN+=("$SERVER_PID")
    local deadline=$((SECONDS + START_TIMEOUT)) line rc
    while :; do
        line=$(grep -m1 -o 'Listening on https\?://[^[:space:]]*' "$stdout_log" 2>/dev/null || true)
        if [ -n "$line" ]; then
            SERVER_PORT=${line##*:}
            [[ "$SERVER_PORT" =~ ^[0-9]+$ ]] && [ "$SERVER_PORT" -ne 0 ] ||
                die "$label: cannot read a port from '$line'"
            break
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            rc=0
            wait "$SERVER_PID" || rc=$?
            forget_child "$SERVER_PID"
            die "$label exited (code $rc) without printing 'Listening on http://HOST:PORT'.
  command: setsid ${pin[*]} $* --bind $HOST:0
  stdout:  $(tail -n 5 "$stdout_log")
  stderr:  $(tail -n 5 "$stderr_log")"
        fi
        [ "$SECONDS" -lt "$deadline" ] ||
            die "$label did not print 'Listening on http://HOST:PORT' within ${START_TIMEOUT}s (BENCH_START_TIMEOUT).
  command: setsid ${pin[*]} $* --bind $HOST:0
  stderr:  $(tail -n 5 "$stderr_log")"
        sleep 0.05
    done
    local comm
    comm=$(cat "/proc/$SERVER_PID/comm" 2>/dev/null || true)
    case "$comm" in
        sh | bash | dash | env | setsid | taskset)
            log "warning: $label runs as '$comm': the server is a child of it, so CPU and RSS read for PID $SERVER_PID are not the server's (make the command exec the server)" ;;
    esac
}

# run_client OUT ERR CMD...: runs a client (wrk, benchclient) pinned to CLIENT_CPU (unpinned when "-"),
# bounded by CLIENT_TIMEOUT, stdout to OUT, stderr to ERR; returns its exit status. It runs in the
# background while the script waits for it: a signal then interrupts the wait at once and the traps run.
# (Run in the foreground, a client that handles SIGINT itself and exits 0, like wrk, makes bash ignore
# the Ctrl-C, and the benchmark would go on.)
run_client() {
    local out=$1 err=$2 rc=0
    shift 2
    local pin=()
    [ "$CLIENT_CPU" = "-" ] || pin=(taskset -c "$CLIENT_CPU")
    timeout "$CLIENT_TIMEOUT" "${pin[@]}" "$@" >"$out" 2>"$err" &
    local pid=$!
    CHILDREN+=("$pid")
    wait "$pid" || rc=$?
    forget_child "$pid"
    return "$rc"
}

forget_child() {
    local pid keep=()
    for pid in "${CHILDREN[@]}"; do
        [ "$pid" = "$1" ] || keep+=("$pid")
    done
    CHILDREN=("${keep[@]}")
}

# stop_server: SIGTERM, wait up to STOP_TIMEOUT (then SIGKILL). Sets STOP_RC to the server's exit code.
stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$SERVER_PID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.05
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        log "warning: server $SERVER_PID still running ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    STOP_RC=0
    wait "$SERVER_PID" || STOP_RC=$?
    forget_child "$SERVER_PID"
}

# check_alive: dies with the exit status and stderr of the current server if it has gone (crashed during
# a measurement): a crash is a bug to look at, not a figure.
check_alive() {
    local state rc=0
    state=$(awk '{ sub(/.*\) /, ""); print $1 }' "/proc/$SERVER_PID/stat" 2>/dev/null || true)
    case "$state" in
        "" | Z | X) ;;
        *) return 0 ;;
    esac
    wait "$SERVER_PID" || rc=$?
    forget_child "$SERVER_PID"
    die "$SERVER_LABEL died during the measurement (wait status $rc).
  stderr: $(tail -n 5 "$SERVER_STDERR")"
}

# cpu_ticks PID: utime + stime of the whole process (all threads), in clock ticks.
# Fields 14 and 15 of /proc/PID/stat; counted after the ")" closing the command name, which may hold spaces.
cpu_ticks() {
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# status_kb PID KEY: a "KEY: N kB" line of /proc/PID/status (VmRSS, VmHWM), in kB.
status_kb() {
    awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"
}

# The machine line printed above every table.
# relative PATH...: each path relative to the repository root when it is inside it (the tables are
# pasted into the README: they must not show the machine's own paths).
relative() {
    local path out=()
    for path in "$@"; do out+=("${path#"$ROOT"/}"); done
    printf '%s' "${out[*]}"
}

machine_line() {
    local cpu
    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    printf 'machine: %s, %s cores, %s %s\n' "${cpu:-unknown CPU}" "$(nproc)" "$(uname -sr)" "$(uname -m)"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_nginx DIR SERVER_BLOCK CHECK_URL [CURL_FLAGS...]: Debian's nginx, one worker pinned to
# SERVER_CPU, its prefix in DIR, SERVER_BLOCK (the caller's `server {}` block, listening on a port
# from free_port) inside `http {}`; returns once curl CURL_FLAGS CHECK_URL answers. Sets SERVER_PID,
# SERVER_LABEL and SERVER_STDERR as start_server does.
start_nginx() {
    local dir=$1 block=$2 url=$3
    shift 3
    printf '%s\n' "daemon off;" "master_process off;" "worker_processes 1;" "error_log $dir/nginx-error.log warn;" \
        "pid $dir/nginx.pid;" "events { worker_connections 4096; }" "http {" "    access_log off;" \
        "    keepalive_requests 100000000;" "$block" "}" >"$dir/nginx.conf"
    setsid taskset -c "$SERVER_CPU" nginx -p "$dir" -c "$dir/nginx.conf" >"$LOG_DIR/nginx.stdout" 2>"$LOG_DIR/nginx.stderr" &
    SERVER_PID=$!
    SERVER_LABEL=nginx
    SERVER_STDERR="$LOG_DIR/nginx.stderr"
    CHILDREN+=("$SERVER_PID")
    local tries=200
    until curl -s "$@" -o /dev/null "$url"; do
        [ $((tries -= 1)) -gt 0 ] || die "nginx did not answer at $url: $(tail -n 5 "$LOG_DIR/nginx.stderr")"
        sleep 0.05
    done
}

# record_run ROUND SCENARIO SERVER TICKS UNITS RATE: appends a run to $RAW and logs it. The CPU per
# unit is microseconds per request, or seconds per GiB when UNITS is "GiB" (one GiB sent).
record_run() {
    local round=$1 sc=$2 srv=$3 ticks=$4 units=$5 rate=$6 per
    if [ "$units" = GiB ]; then
        per=$(awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }')
    else
        per=$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$units" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$sc" "$srv" "$per" "$rate" >>"$RAW"
    log "  round $round $sc $srv: cpu/unit $per, rate $rate"
}

# interleave_rounds: measure ROUND SCENARIO SERVER for every round and scenario, ours and nginx
# in turn, the order swapped every round (neither always runs on a warmer machine).
interleave_rounds() {
    local round sc srv order
    for round in $(seq 1 "$ROUNDS"); do
        for sc in $SCENARIOS; do
            if [ $((round % 2)) -eq 1 ]; then order="ours nginx"; else order="nginx ours"; fi
            for srv in $order; do measure "$round" "$sc" "$srv"; done
        done
    done
}

# Raises the open-file limit to at least $1 (root may raise the hard limit too).
raise_nofile() {
    local want=$1
    [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want" ] || return 0
    ulimit -n "$want" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
    [ "$(ulimit -n)" -ge "$want" ] ||
        die "need ulimit -n >= $want, have $(ulimit -n) (hard $(ulimit -Hn)); raise the hard limit or run as root"
}
