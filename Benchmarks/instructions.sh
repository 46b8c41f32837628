#!/usr/bin/env bash
# make bench-instructions: instructions and heap allocations per hello request, ours and the floor's.
#
# Counts that do not depend on the machine's load or clock: each server runs under valgrind
# (callgrind for instructions, memcheck for heap allocations) and serves N1 requests, then, in a
# separate run, N2 requests, from benchclient (one keep-alive connection, each response read in full
# before the next request; the pipelined variant writes DEPTH requests at a time). Startup, the first
# accept and shutdown are the same in both runs, so
#     per request = (X(N2) - X(N1)) / (N2 - N1)
# holds only the per-request work.
#
# Knobs (env): INSTR_N1 (1000) INSTR_N2 (11000) INSTR_DEPTH (16) OURS_CMD (default: build wsgi-demo)
#   BENCH_START_TIMEOUT (120) BENCH_STOP_TIMEOUT (120): valgrind starts and exits slowly.
set -euo pipefail
: "${BENCH_START_TIMEOUT:=120}" "${BENCH_STOP_TIMEOUT:=120}"
# shellcheck source=Benchmarks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N1=${INSTR_N1:-1000}
N2=${INSTR_N2:-11000}
DEPTH=${INSTR_DEPTH:-16}
CLIENT_TIMEOUT=${BENCH_CLIENT_TIMEOUT:-900}
CLIENT_CPU=-  # instruction counts do not depend on placement
STREAM_N=1 STREAM_SIZE=1 # server_cmd wants them; only the hello app is measured here

VG_OUT="$OUT/instructions"
LOG_DIR="$VG_OUT"
RAW="$OUT/instructions-raw.tsv"
TABLE="$OUT/instructions-table.txt"

# vg_run TOOL SERVER MODE N: runs SERVER's hello app under valgrind TOOL, has benchclient send N requests
# (MODE seq: one at a time; pipe: DEPTH per write), stops the server with SIGTERM and prints the total
# valgrind counted: instructions (callgrind) or "ALLOCS BYTES" (memcheck).
vg_run() {
    local tool=$1 srv=$2 mode=$3 n=$4
    local tag="$tool-$srv-$mode-$n"
    local vg=(valgrind --tool="$tool" --log-file="$VG_OUT/$tag.valgrind.log")
    case "$tool" in
        callgrind) vg+=(--callgrind-out-file="$VG_OUT/$tag.callgrind.out") ;;
        memcheck) vg+=(--leak-check=no) ;;
    esac
    server_cmd "$srv" hello
    log "  $tag"
    start_server "$tag" - "${vg[@]}" "${CMD[@]}"
    local args=(seq "$HOST" "$SERVER_PORT" "$n")
    [ "$mode" = seq ] || args=(pipe "$HOST" "$SERVER_PORT" "$n" "$DEPTH")
    run_client "$LOG_DIR/$tag.client" "$LOG_DIR/$tag.client.err" "$OUT/benchclient" "${args[@]}" ||
        die "benchclient ${args[*]} failed against $srv under $tool: $(cat "$LOG_DIR/$tag.client.err")"
    check_alive
    stop_server
    [ "$STOP_RC" -eq 0 ] ||
        die "$srv exited with code $STOP_RC on SIGTERM under valgrind; it must exit 0 so valgrind writes its totals (log: $VG_OUT/$tag.valgrind.log)"

    local total
    case "$tool" in
        # "summary:" (or, in older files, "totals:") holds the event count of the whole run: Ir.
        callgrind) total=$(awk '/^summary:/ { s = $2 } /^totals:/ { t = $2 } END { print (s != "") ? s : t }' "$VG_OUT/$tag.callgrind.out") ;;
        # "total heap usage: 1,234 allocs, 1,200 frees, 56,789 bytes allocated"
        memcheck) total=$(sed -n 's/,//g; s/.*total heap usage: \([0-9]*\) allocs [0-9]* frees \([0-9]*\) bytes allocated.*/\1 \2/p' "$VG_OUT/$tag.valgrind.log") ;;
    esac
    [ -n "$total" ] || die "no totals in valgrind's output for $tag (see $VG_OUT/$tag.*)"
    printf '%s\t%s\t%s\t%s\t%s\n' "$srv" "$tool" "$mode" "$n" "$total" >>"$RAW"
    echo "$total"
}

# per_request A1 A2: (A2 - A1) / (N2 - N1)
per_request() {
    awk -v a="$1" -v b="$2" -v n1="$N1" -v n2="$N2" 'BEGIN { printf "%.2f", (b - a) / (n2 - n1) }'
}

main() {
    cd "$ROOT"
    need gcc valgrind timeout awk
    [ "$N2" -gt "$N1" ] || die "INSTR_N2 ($N2) must be larger than INSTR_N1 ($N1)"
    build_tools
    resolve_ours
    rm -rf "$VG_OUT"
    mkdir -p "$VG_OUT"
    # valgrind 3.19 (Debian 12) stops at the DWARF 5 forms swiftc emits ("unhandled dwarf2 abbrev
    # form code 0x25 ... I can't recover"): it runs a copy without debug information, which keeps
    # the symbol table (callgrind still names every function).
    local copy="$VG_OUT/$(basename "${OURS[0]}").nodwarf"
    cp "${OURS[0]}" "$copy" && strip --strip-debug "$copy" || die "cannot make a copy of ${OURS[0]} without debug information"
    OURS[0]=$copy
    printf 'server\ttool\tmode\trequests\ttotal\n' >"$RAW"

    # FIG[server.metric]: the per-request figures of the table.
    declare -gA FIG
    local srv mode i1 i2 m1 m2
    for srv in ours floor; do
        log "$srv:"
        for mode in seq pipe; do
            i1=$(vg_run callgrind "$srv" "$mode" "$N1")
            i2=$(vg_run callgrind "$srv" "$mode" "$N2")
            FIG[$srv.instr.$mode]=$(per_request "$i1" "$i2")
            m1=$(vg_run memcheck "$srv" "$mode" "$N1")
            m2=$(vg_run memcheck "$srv" "$mode" "$N2")
            FIG[$srv.allocs.$mode]=$(per_request "${m1% *}" "${m2% *}")
            FIG[$srv.bytes.$mode]=$(per_request "${m1#* }" "${m2#* }")
        done
    done

    {
        echo
        machine_line
        printf 'ours:  %s --app hello\n' "$(relative "${OURS[@]}")"
        printf 'floor: %s (C, libuv %s)\n' "$(relative "$OUT/floor")" "$(pkg-config --modversion libuv 2>/dev/null || echo '?')"
        printf '%s; per request = (X(N2) - X(N1)) / (N2 - N1) with N1=%s, N2=%s; one keep-alive connection\n\n' \
            "$(valgrind --version)" "$N1" "$N2"
        printf '%-40s %14s %14s %11s\n' "metric (per request)" ours floor ours/floor
        local row key label
        for row in "instr.seq|instructions, keep-alive" "instr.pipe|instructions, pipelined x$DEPTH" \
            "allocs.seq|heap allocations, keep-alive" "bytes.seq|heap bytes allocated, keep-alive" \
            "allocs.pipe|heap allocations, pipelined x$DEPTH" "bytes.pipe|heap bytes allocated, pipelined x$DEPTH"; do
            key=${row%%|*} label=${row#*|}
            awk -v l="$label" -v o="${FIG[ours.$key]}" -v f="${FIG[floor.$key]}" 'BEGIN {
                r = (f + 0 == 0) ? "-" : sprintf("%.2f", o / f)
                fmt = (o + 0 >= 100 || f + 0 >= 100) ? "%.0f" : "%.2f"
                printf "%-40s %14s %14s %11s\n", l, sprintf(fmt, o), sprintf(fmt, f), r }'
        done
        echo
        echo "raw totals: $(relative "$RAW"); callgrind files, valgrind, server and client logs: $(relative "$VG_OUT")/"
    } | tee "$TABLE"
}

main "$@"
