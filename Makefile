# Two commands do everything on a fresh Debian 12 machine with the Swift toolchain:
#   make run    installs what is missing, builds (release) and serves the demo on 127.0.0.1:8051
#   make test   installs what is missing, builds and runs every test (CI runs this)

SWIFT        ?= swift
ENSURE       := scripts/ensure-packages.sh
BUILD_PKGS   := libuv1-dev pkg-config python3-dev
BENCH_PKGS   := $(BUILD_PKGS) wrk valgrind util-linux gcc libhttp-parser-dev
ARGS         ?=
FUZZ_SECONDS ?= 60
# Python packages for the Python-host tests, in a venv made from Debian's /usr/bin/python3: the
# interpreter libpython3.11 belongs to (another python3, such as pyenv's, may come first on PATH).
TEST_VENV    := .build/test-venv
TEST_REQS    := Tests/PythonHostTests/Fixtures/requirements.txt
# The Python servers make bench-python compares with, in their own venv.
BENCH_VENV   := .build/bench-venv
BENCH_REQS   := Benchmarks/python/requirements.txt

.PHONY: all deps build release run test test-asan test-tsan soak soak-ci test-nginx test-venv docs fuzz fuzz-ci bench bench-python bench-access-log bench-instructions bench-parser clean

all: build

deps:
	@$(ENSURE) $(BUILD_PKGS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product wsgi-demo
	$(SWIFT) build -c release --product swift-wsgi

run: release
	.build/release/wsgi-demo $(ARGS)

test: deps test-venv
	$(SWIFT) build --build-tests
	SWIFT_WSGI_TEST_VENV=$(abspath $(TEST_VENV)) $(SWIFT) test --skip-build
	$(MAKE) fuzz-ci

# swift-wsgi behind nginx from Debian's packages, started on loopback with its own configuration
# and prefix (RUNLEVEL=1: the package's own service is not started).
test-nginx: deps test-venv
	@RUNLEVEL=1 $(ENSURE) nginx-light wrk
	$(SWIFT) build --build-tests
	SWIFT_WSGI_NGINX=$$(command -v nginx || echo /usr/sbin/nginx) SWIFT_WSGI_TEST_VENV=$(abspath $(TEST_VENV)) \
		$(SWIFT) test --skip-build --filter NginxTests

test-venv: $(TEST_VENV)/installed

$(TEST_VENV)/installed: $(TEST_REQS)
	@$(ENSURE) python3-venv
	rm -rf $(TEST_VENV)
	/usr/bin/python3 -m venv $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(TEST_REQS)
	touch $@

# The whole suite under AddressSanitizer (with LeakSanitizer) and under ThreadSanitizer, each in its
# own build folder. Tests see SWIFT_WSGI_SANITIZER (resident-memory bounds do not apply there); the
# toolchain's backtracer stays off (under a sanitizer it can block a crashing child forever). Every
# process writes its reports into the build folder's reports/ (log_path), so that those of servers
# whose standard error a test discards count too: any report fails the target.
SANITIZER_ENV := SWIFT_BACKTRACE=enable=no SWIFT_WSGI_TEST_VENV=$(abspath $(TEST_VENV))
SUPPRESSIONS  := $(abspath Tests/Sanitizers)
test-asan: deps test-venv
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	rm -rf .build-asan/reports && mkdir -p .build-asan/reports
	$(SANITIZER_ENV) SWIFT_WSGI_SANITIZER=address \
		ASAN_OPTIONS=detect_leaks=1:suppressions=$(SUPPRESSIONS)/asan.supp:log_path=$(abspath .build-asan/reports)/asan \
		LSAN_OPTIONS=suppressions=$(SUPPRESSIONS)/lsan.supp \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan; \
		status=$$?; Tests/Sanitizers/check-reports.sh .build-asan/reports && exit $$status

test-tsan: deps test-venv
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	rm -rf .build-tsan/reports && mkdir -p .build-tsan/reports
	$(SANITIZER_ENV) SWIFT_WSGI_SANITIZER=thread \
		TSAN_OPTIONS=suppressions=$(SUPPRESSIONS)/tsan.supp:halt_on_error=0:log_path=$(abspath .build-tsan/reports)/tsan \
		$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan; \
		status=$$?; Tests/Sanitizers/check-reports.sh .build-tsan/reports && exit $$status

# The release servers under a mixed hostile load, DURATION seconds per configuration (six: the demo
# and swift-wsgi, inline, --threads, --workers), failing on growth, failed requests or deaths
# (Soak/soak.py; a growth verdict is confirmed by a second run of that configuration). soak-ci is
# the short pass CI runs: 10 s each, a minute in all.
DURATION ?= 60
soak: release
	@$(ENSURE) wrk
	Soak/soak.py --duration $(DURATION) --confirm-growth

soak-ci: release
	@$(ENSURE) wrk
	Soak/soak.py --duration 10 --sample 1 --confirm-growth

# libFuzzer on the parser and on whole connections (Swift gateway, Python host), FUZZ_SECONDS each (default 60); crashes land in
# Fuzz/artifacts/ (Fuzz/README.md).
fuzz: deps
	Fuzz/run.sh $(FUZZ_SECONDS)

# The short pass CI runs: the committed seed corpus plus a few seconds of mutation.
fuzz-ci: deps
	Fuzz/run.sh ci

bench:
	@$(ENSURE) $(BENCH_PKGS)
	Benchmarks/run.sh

bench-python: $(BENCH_VENV)/installed
	@$(ENSURE) $(BENCH_PKGS)
	Benchmarks/python/run.sh

$(BENCH_VENV)/installed: $(BENCH_REQS)
	@$(ENSURE) python3-venv python3-dev libev-dev gcc
	rm -rf $(BENCH_VENV)
	/usr/bin/python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(BENCH_REQS)
	touch $@

bench-access-log:
	@$(ENSURE) $(BENCH_PKGS)
	Benchmarks/access-log.sh

bench-instructions:
	@$(ENSURE) $(BENCH_PKGS)
	Benchmarks/instructions.sh

bench-parser:
	@$(ENSURE) $(BENCH_PKGS)
	Benchmarks/parser/run.sh

# The DocC catalog (Documentation/WSGIServer.docc, plus docs/ENVIRON.md as its EnvironKeys article) over
# the WSGIServer module's symbols, as a static site in .build/docs (open .build/docs/index.html
# through any static file server, e.g. the StaticFiles example). Its own build folder: the symbol
# graph flags would otherwise rebuild the test build.
DOCS_BUILD := .build-docs
docs: deps
	$(SWIFT) build --scratch-path $(DOCS_BUILD) --target WSGIServer \
		-Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc $(abspath $(DOCS_BUILD))/symbol-graphs
	rm -rf $(DOCS_BUILD)/WSGIServer.docc $(DOCS_BUILD)/wsgiserver-symbols && mkdir -p $(DOCS_BUILD)/wsgiserver-symbols
	cp $(DOCS_BUILD)/symbol-graphs/WSGIServer*.symbols.json $(DOCS_BUILD)/wsgiserver-symbols/
	cp -r Documentation/WSGIServer.docc $(DOCS_BUILD)/WSGIServer.docc
	cp docs/ENVIRON.md $(DOCS_BUILD)/WSGIServer.docc/EnvironKeys.md
	docc convert $(DOCS_BUILD)/WSGIServer.docc --additional-symbol-graph-dir $(DOCS_BUILD)/wsgiserver-symbols \
		--fallback-display-name WSGIServer --fallback-bundle-identifier swift-wsgi.WSGIServer \
		--transform-for-static-hosting --output-path .build/docs
	@echo "documentation: .build/docs (index.html)"

clean:
	rm -rf .build .build-* Benchmarks/out Fuzz/work
