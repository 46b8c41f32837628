#!/usr/bin/env bash
# Runs a test command (`swift test ...`) with its whole output kept in LOG as well as printed, and
# when it fails, ends with a summary of what matters: the tests that failed or recorded issues, the
# tests that had started and not finished (where a crash or a hang was), and the crash's headline
# with the first frames of the crashed thread. CI shows only the tail of a run, and a crash's tail
# is the backtracer's register and image dump, which names no test.
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
    echo "-- failed tests and issues:"
    grep -E '^✘ |Fatal error|Fatal Python error|fatal error:|Test .* recorded an issue|^(ERROR|==[0-9]+==ERROR|WARNING: ThreadSanitizer)' "$log" | head -40
    echo "-- started and not finished:"
    # "◇ Test NAME started." against "✔/✘ Test NAME passed|failed after ..."; names may repeat
    # (parameterized tests), so starts and ends are counted.
    awk '
        /^◇ Test .* started\.$/ { name = $0; sub(/^◇ Test /, "", name); sub(/ started\.$/, "", name); open[name]++ }
        /^(✔|✘) Test .* (passed|failed) after / { name = $0; sub(/^(✔|✘) Test /, "", name); sub(/ (passed|failed) after .*$/, "", name); open[name]-- }
        END { for (name in open) if (open[name] > 0) print "   " name }
    ' "$log" | head -40
    echo "-- crash:"
    awk '
        /Program crashed:/ { print; next }
        /^Thread [0-9]+ .*crashed:$/ { frames = 24; started = 0; print; next }
        frames > 0 {
            # A blank line follows the thread line; the next one ends its frames.
            if ($0 ~ /^$/) { if (started) frames = 0; next }
            started = 1; print; frames--
        }
    ' "$log"
} >&2
exit "$status"
