# Two commands do everything on a fresh Debian 12 machine with the Swift toolchain:
#   make run    installs what is missing, builds (release) and serves the demo on 127.0.0.1:8051
#   make test   installs what is missing, builds and runs every test (CI runs this)

SWIFT        ?= swift
ENSURE       := scripts/ensure-packages.sh
BUILD_PKGS   := libuv1-dev pkg-config
BENCH_PKGS   := $(BUILD_PKGS) wrk valgrind util-linux gcc libhttp-parser-dev
ARGS         ?=
FUZZ_SECONDS ?= 60

.PHONY: all deps build release run test fuzz fuzz-ci bench bench-instructions bench-parser clean

all: build

deps:
	@$(ENSURE) $(BUILD_PKGS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product wsgi-demo

run: release
	.build/release/wsgi-demo $(ARGS)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) fuzz-ci

# libFuzzer on the parser for FUZZ_SECONDS (default 60); crashes land in Fuzz/artifacts/.
fuzz: deps
	Fuzz/run.sh $(FUZZ_SECONDS)

# The short pass CI runs: the committed seed corpus plus a few seconds of mutation.
fuzz-ci: deps
	Fuzz/run.sh ci

bench:
	@$(ENSURE) $(BENCH_PKGS)
	Benchmarks/run.sh

bench-instructions:
	@$(ENSURE) $(BENCH_PKGS)
	Benchmarks/instructions.sh

bench-parser:
	@$(ENSURE) $(BENCH_PKGS)
	Benchmarks/parser/run.sh

clean:
	rm -rf .build .build-* Benchmarks/out Fuzz/work
