#!/usr/bin/env bash
# libFuzzer on HTTP1Parser and on whole connections, with the Swift gateway and with the Python host
# (see Fuzz/README.md).
#
#   Fuzz/run.sh SECONDS [TARGET]   build, then fuzz each target (or TARGET: parser, connection, python) for
#                                  SECONDS over its committed corpus (new inputs kept in
#                                  Fuzz/work/<target>-corpus, which later runs start from too)
#   Fuzz/run.sh ci [TARGET]        build, run every committed seed, then ~25 s of mutation from them
#   Fuzz/run.sh build [TARGET]     build only
#
# Crashes (a broken invariant is a crash) are written to Fuzz/artifacts/; the exit status is
# non-zero on any finding. One process, one thread (libFuzzer's default): the machine is shared.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="${FUZZ_WORK:-$here/work}"
artifacts="${FUZZ_ARTIFACTS:-$here/artifacts}"
SWIFT="${SWIFT:-swift}"
SWIFTC="${SWIFTC:-swiftc}"
mode="${1:-60}"
targets="${2:-parser connection python}"
case "$mode" in
    ci | build | [0-9]*) ;;
    *) echo "usage: $0 SECONDS|ci|build [parser|connection|python]" >&2; exit 2 ;;
esac
mkdir -p "$work/lib" "$artifacts"

# The parser alone, compiled with swiftc: its own module, and the target against it.
build_parser() {
    local flags=(-O -wmo -parse-as-library -sanitize=fuzzer,address -assert-config Debug -use-ld=lld)
    "$SWIFTC" "${flags[@]}" -module-name HTTP1Parser -emit-module -emit-module-path "$work/lib/HTTP1Parser.swiftmodule" \
        -emit-library -static -o "$work/lib/libHTTP1Parser.a" "$root"/Sources/HTTP1Parser/*.swift
    "$SWIFTC" "${flags[@]}" -I "$work/lib" -L "$work/lib" -lHTTP1Parser -o "$work/parser-fuzzer" "$here/ParserFuzzer.swift" \
        "$root/Tests/ConnectionHarness/SplitSizes.swift"
}

# The connection targets through SwiftPM (they need the package's modules, tested internals
# included: a debug build), in their own build folder. SwiftPM hands swiftc `-sanitize=fuzzer` and
# `-sanitize=address` as two flags, and the second replaces the first: without the explicit
# coverage flags nothing would be instrumented and libFuzzer would mutate blind.
build_swiftpm() {
    "$SWIFT" build --package-path "$root" --scratch-path "$root/.build-fuzz" --product "$1-fuzzer" \
        --sanitize=fuzzer --sanitize=address -Xswiftc -DLIBFUZZER \
        -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table
    cp "$root/.build-fuzz/debug/$1-fuzzer" "$work/$1-fuzzer"
}
build_connection() { build_swiftpm connection; }
build_python() { build_swiftpm python; }

# A failed check is a Swift trap: let libFuzzer catch it at once instead of the Swift backtracer.
export SWIFT_BACKTRACE=enable=no
for target in $targets; do
    case "$target" in
        parser) corpus="$here/corpus"; options=(-dict="$here/http.dict" -max_len=4096) ;;
        connection) corpus="$here/connection-corpus"; options=(-dict="$here/http.dict" -max_len=2048) ;;
        # CPython keeps caches and free lists across inputs and its interpreter to the end of the
        # process: libFuzzer's per-input leak check and LeakSanitizer at exit would report them, so
        # both are off here (the soak's live-object count watches Python's side).
        python) corpus="$here/python-corpus"; options=(-dict="$here/http.dict" -max_len=2048 -detect_leaks=0) ;;
        *) echo "unknown target $target" >&2; exit 2 ;;
    esac
    echo "building the $target fuzzer into $work" >&2
    "build_$target"
    [ "$mode" = build ] && continue
    options+=(-artifact_prefix="$artifacts/$target-" -print_final_stats=1)
    if [ "$target" = python ]; then export ASAN_OPTIONS=detect_leaks=0; else unset ASAN_OPTIONS; fi
    if [ "$mode" = ci ]; then
        # A scratch output corpus and a fixed seed: the run depends only on the committed inputs
        # (mutations go the same way each time; longer runs explore at random).
        scratch="$(mktemp -d "$work/ci.XXXXXX")"
        "$work/$target-fuzzer" "${options[@]}" -seed=1 -max_total_time=25 "$scratch" "$corpus"
        rm -rf "$scratch"
    else
        mkdir -p "$work/$target-corpus"
        "$work/$target-fuzzer" "${options[@]}" -max_total_time="$mode" "$work/$target-corpus" "$corpus"
    fi
done
