#!/usr/bin/env bash
# Runs a test command (`swift test ...`) with its whole output kept in LOG as well as printed, and
# when it fails, ends with a summary of what matters: the tests that had started and not finished
# (where a crash or a hang was), the tests that failed or recorded issues, and a crash's frames as
# Tests/CrashReport printed them, with function names. CI shows only the tail of a run, and a
# crash's tail is the backtracer's register and image dump, which names no test.
#
#   scripts/run-tests.sh LOG command [arguments...]
set -uo pipefail
log=$1
shift
mkdir -p "$(dirname "$log")"
"$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && exit 0

{
    echo
    echo "==== failure summary (exit $status; whole output in $log)"
    echo "-- started and not finished:"
    # "◇ Test NAME started." against "✔/✘ Test NAME passed|failed after ..."; names may repeat
    # (parameterized tests), so starts and ends are counted. A parameterized test's cases are left
    # out: its own name is listed.
    awk '
        /^◇ Test .* started\.$/ { name = $0; sub(/^◇ Test /, "", name); sub(/ started\.$/, "", name); open[name]++ }
        /^(✔|✘) Test .* (passed|failed) after / { name = $0; sub(/^(✔|✘) Test /, "", name); sub(/ (passed|failed) after .*$/, "", name); open[name]-- }
        END { for (name in open) if (open[name] > 0 && name !~ /^case passing/) print "   " name }
    ' "$log" | head -20
    echo "-- failed tests and issues:"
    grep -E '^✘ |Fatal error|Fatal Python error|fatal error:|Test .* recorded an issue|^(ERROR|==[0-9]+==ERROR|WARNING: ThreadSanitizer)' "$log" | head -20
    if grep -q '^crash-report:' "$log"; then
        # Tests/CrashReport's frames (FILE +0xOFFSET) as functions and lines; what the process
        # printed just before (a fatal error's own message), test events left out.
        echo "-- crash:"
        grep -v -E '^(◇|✔|✘|↳) ' "$log" | grep -B6 -m1 '^crash-report:'
        symbolizer=$(dirname "$(readlink -f "$(command -v swift)")")/llvm-symbolizer
        [ -x "$symbolizer" ] || symbolizer=llvm-symbolizer
        grep -A40 -m1 '^crash-report:' "$log" | grep '^crash-frame: /' | head -24 |
            while read -r _ file offset; do
                where=$("$symbolizer" --no-inlines --obj="$file" "${offset#+}" 2>/dev/null | head -2 | paste -sd ' ')
                echo "   ${where:-$file $offset} ($(basename "$file"))"
            done | swift demangle --simplified 2>/dev/null
    fi
    grep -m1 'Program crashed:' "$log"
} >&2
exit "$status"
