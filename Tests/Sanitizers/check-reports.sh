#!/usr/bin/env bash
# Fails, printing them, when a sanitizer wrote any report into DIR (its log_path): reports of child
# processes (servers whose standard error a test discards) count as much as the test runner's own.
set -euo pipefail
dir="$1"
shopt -s nullglob
# A file may hold only the list of suppressions a process used: that is no report.
reports=()
for file in "$dir"/*; do
    if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer" "$file"; then reports+=("$file"); fi
done
if [ ${#reports[@]} -eq 0 ]; then
    echo "sanitizer reports: none"
    exit 0
fi
echo "sanitizer reports: ${#reports[@]} file(s) in $dir" >&2
for report in "${reports[@]}"; do
    echo "==== $report" >&2
    head -60 "$report" >&2
done
exit 1
