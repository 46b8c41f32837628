#!/usr/bin/env bash
# `make bench-parser`: our parser (Sources/HTTP1Parser, swiftc -O, as its own module) against
# Debian's C http-parser (gcc -O2, -lhttp_parser) on the same corpus files, in the same run.
#
#   Benchmarks/parser/run.sh            wall clock (median of REPEATS) and, if valgrind is
#                                       installed, instructions per request (callgrind)
#   KIB=32768 REPEATS=21 Benchmarks/parser/run.sh     more work per sample, more samples
#
# Both programs parse each corpus file again and again with one parser, as one keep-alive
# connection would receive it, and consume every event (see the two sources). Builds go to
# .build-bench-parser/ (ignored by git); nothing is built by SwiftPM.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${BENCH_OUT:-$root/.build-bench-parser}"
KIB="${KIB:-16384}"
REPEATS="${REPEATS:-11}"
SWIFTC="${SWIFTC:-swiftc}"
mkdir -p "$out"

corpus=("$here"/corpus/get-short.http "$here"/corpus/browser-get.http "$here"/corpus/pipelined-16.http
    "$here"/corpus/chunked-post.http)

echo "building: gcc -O2 (http-parser), swiftc -O -wmo (HTTP1Parser as a module, then the driver)" >&2
gcc -O2 -Wall -Wextra -o "$out/bench-c" "$here/bench_http_parser.c" -lhttp_parser
"$SWIFTC" -O -wmo -parse-as-library -module-name HTTP1Parser -emit-module -emit-module-path "$out/HTTP1Parser.swiftmodule" \
    -emit-library -static -o "$out/libHTTP1Parser.a" "$root"/Sources/HTTP1Parser/*.swift
"$SWIFTC" -O -wmo -parse-as-library -I "$out" -L "$out" -lHTTP1Parser -o "$out/bench-swift" "$here/ParserBench.swift"

echo "running: $REPEATS samples of $KIB KiB per case and parser (median kept)" >&2
"$out/bench-c" "$KIB" "$REPEATS" "${corpus[@]}" >"$out/c.txt"
"$out/bench-swift" "$KIB" "$REPEATS" "${corpus[@]}" >"$out/swift.txt"

# Instructions per request: each program parses 256 KiB of the case once under callgrind, counting
# only inside the per-pass function (http_parser_execute with its callbacks; parsePass with its
# event loop).
instructions() { # program function file -> instructions per request
    local program="$1" function="$2" file="$3" log="$out/callgrind.out"
    valgrind --tool=callgrind --callgrind-out-file="$log" --toggle-collect="$function" \
        "$program" 256 1 "$file" >"$out/callgrind.stdout" 2>/dev/null
    local bytes messages total
    read -r _ bytes messages _ <"$out/callgrind.stdout"
    total="$(awk '/^(summary|totals):/ { print $2; exit }' "$log")"
    local passes=$((256 * 1024 / bytes))
    [ "$passes" -gt 0 ] || passes=1
    awk -v total="$total" -v passes="$passes" -v messages="$messages" \
        'BEGIN { printf "%.0f", total / passes / messages }'
}
have_valgrind=false
if command -v valgrind >/dev/null; then
    have_valgrind=true
    : >"$out/instructions.txt"
    for file in "${corpus[@]}"; do
        echo "$(basename "$file") $(instructions "$out/bench-c" 'http_parser_execute' "$file") $(instructions "$out/bench-swift" '*parsePass*' "$file")" \
            >>"$out/instructions.txt"
    done
fi

echo
echo "HTTP/1.1 request parsing: C http-parser $(dpkg-query -W -f='${Version}' libhttp-parser-dev 2>/dev/null || echo '?') vs HTTP1Parser (Swift)"
echo "median of $REPEATS samples of $KIB KiB each; ratio = C time / Swift time (above 1: Swift faster)"
join <(sort "$out/c.txt") <(sort "$out/swift.txt") | awk -v order="$(printf '%s ' "${corpus[@]##*/}")" '
    BEGIN { n = split(order, names, " ") }
    {
        # name bytes messages fields ns sink | bytes messages fields ns sink
        row[$1] = $0
        if ($3 != $8 || $4 != $9) { mismatch = mismatch " " $1 }
    }
    END {
        printf "%-18s %6s %4s | %9s %10s | %9s %10s | %6s\n", "case", "bytes", "req", "C MB/s", "C ns/req", "Swift MB/s", "Swift ns/req", "ratio"
        for (i = 1; i <= n; i++) {
            split(row[names[i]], f, " ")
            cMBs = f[2] / f[5] * 1000; sMBs = f[2] / f[10] * 1000
            printf "%-18s %6d %4d | %9.0f %10.1f | %10.0f %12.1f | %6.2f\n", f[1], f[2], f[3], cMBs, f[5] / f[3], sMBs, f[10] / f[3], f[5] / f[10]
        }
        if (mismatch != "") { print "messages or fields differ between the parsers for:" mismatch; exit 1 }
    }'
if $have_valgrind; then
    echo
    echo "instructions per request (callgrind, Ir)"
    awk '{ printf "%-18s C %6d   Swift %6d   ratio %5.2f\n", $1, $2, $3, $2 / $3 }' "$out/instructions.txt"
fi
echo
echo "(MB/s = 10^6 bytes per second; this machine is shared, so wall-clock figures move between runs; instruction counts do not)"
