#!/usr/bin/env bash
# libFuzzer on HTTP1Parser (see Fuzz/README.md).
#
#   Fuzz/run.sh SECONDS   build, then fuzz for SECONDS over Fuzz/corpus (new inputs kept in
#                         Fuzz/work/corpus, which later runs start from too)
#   Fuzz/run.sh ci        build, run every committed seed, then ~25 s of mutation from them alone
#   Fuzz/run.sh build     build only
#
# Crashes (a broken invariant is a crash) are written to Fuzz/artifacts/; the exit status is
# non-zero on any finding. One process, one thread (libFuzzer's default): the machine is shared.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="${FUZZ_WORK:-$here/work}"
artifacts="${FUZZ_ARTIFACTS:-$here/artifacts}"
SWIFTC="${SWIFTC:-swiftc}"
mode="${1:-60}"
case "$mode" in
    ci | build | [0-9]*) ;;
    *) echo "usage: $0 SECONDS | ci | build" >&2; exit 2 ;;
esac
flags=(-O -wmo -parse-as-library -sanitize=fuzzer,address -assert-config Debug -use-ld=lld)

mkdir -p "$work/lib" "$work/corpus" "$artifacts"
echo "building the fuzzer into $work" >&2
"$SWIFTC" "${flags[@]}" -module-name HTTP1Parser -emit-module -emit-module-path "$work/lib/HTTP1Parser.swiftmodule" \
    -emit-library -static -o "$work/lib/libHTTP1Parser.a" "$root"/Sources/HTTP1Parser/*.swift
"$SWIFTC" "${flags[@]}" -I "$work/lib" -L "$work/lib" -lHTTP1Parser -o "$work/parser-fuzzer" "$here/ParserFuzzer.swift" \
    "$root/Tests/HTTP1ParserTests/SplitMix64.swift"
[ "$mode" = build ] && exit 0

# A failed check is a Swift trap: let libFuzzer catch it at once instead of the Swift backtracer.
export SWIFT_BACKTRACE=enable=no
options=(-artifact_prefix="$artifacts/" -dict="$here/http.dict" -max_len=4096
    -print_final_stats=1)
if [ "$mode" = ci ]; then
    # A scratch output corpus: the run depends only on the committed seeds.
    scratch="$(mktemp -d "$work/ci.XXXXXX")"
    trap 'rm -rf "$scratch"' EXIT
    "$work/parser-fuzzer" "${options[@]}" -max_total_time=25 "$scratch" "$here/corpus"
else
    "$work/parser-fuzzer" "${options[@]}" -max_total_time="$mode" "$work/corpus" "$here/corpus"
fi
