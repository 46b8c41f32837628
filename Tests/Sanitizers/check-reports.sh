#!/usr/bin/env bash
# Fails, printing them, when a sanitizer wrote any report into DIR (its log_path): reports of child
# processes (servers whose standard error a test discards) count as much as the test runner's own.
set -euo pipefail
dir="$1"
shopt -s nullglob
reports=("$dir"/*)
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
