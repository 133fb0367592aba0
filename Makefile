# gocpu: `make demo` and `make test` do everything on a fresh Debian 12 machine (as root).
SHELL := /bin/bash
NODE_BIN := node_modules/.bin
TESTHOST := hack/testhost
TESTVM := hack/testvm

.PHONY: all deps build demo test unit e2e lint prelude testhost testhost-down test-vm testvm-down install clean bench

all: build

deps:
	hack/install-deps

node_modules: package.json package-lock.json
	npm ci
	@touch node_modules

# tsc, then the bundle bin/gocpu runs (hack/bundle.mjs says why).
build: node_modules
	$(NODE_BIN)/tsc -p tsconfig.json
	node hack/bundle.mjs

# -x: each remote script is checked with the prelude it sources (src/remote/prelude.sh).
lint:
	shellcheck -x -s sh src/remote/*.sh
	shellcheck -x bin/gocpu src/cli/door.sh hack/testhost hack/testvm hack/debian.sh hack/install-deps hack/testhost-check .ci/run test/e2e/*.sh bench/openssh-exec

# Rewrites src/remote/prelude.sh from src/remote/contract.ts (a unit test checks they agree).
prelude: build
	node -e "import('./dist/src/remote/contract.js').then((m) => process.stdout.write(m.renderPrelude()))" >src/remote/prelude.sh

testhost: deps
	$(TESTHOST) up

testhost-down:
	$(TESTHOST) down

# The main job: GOARCH=arm64 go test ./... on examples/, each test binary run on the
# throwaway arm64-capable test host through the auto-discovered go_linux_arm64_exec.
demo: deps build testhost
	eval "$$($(TESTHOST) env)" && export PATH="$(CURDIR)/bin:$$PATH" && \
	  cd examples && GOARCH=arm64 go test -count=1 -v ./...

# Only *.test.js: given a directory, node 20 would also run every helper module
# under a test/ folder as a test file. dist/test/vm is make test-vm's, not make test's.
TESTS = $(shell find dist/test -path dist/test/vm -prune -o -name '*.test.js' -print | sort) bench/delay-proxy.test.mjs bench/report.test.mjs
VM_TESTS = $(shell find dist/test/vm -name '*.test.js' | sort)
UNIT_TESTS = $(filter-out dist/test/e2e/% dist/test/hack/% dist/test/conformance/%,$(TESTS))

# The remote half again on hosts whose /bin/sh is not dash (hack/README.md, variants): bashsh
# (bash in POSIX mode, Fedora's) and busyboxsh (busybox's ash, Alpine's), which both ignore
# SIGQUIT, differ in what they retry and read: the suites that end, signal and tear runs down,
# the terminal's, and those of what a shell reads (arguments, environment names, copy mode's
# scripts, doctor, root logins). ends.test.js there also in direct mode, where nothing else
# stands between the run half's own end and what sshd reports.
SH_VARIANTS = bashsh:2227 busyboxsh:2228
SH_TESTS = $(addprefix dist/test/e2e/,exact-signals.test.js signals.test.js exit-status.test.js \
  cleanup.test.js agent.test.js late-binary.test.js outputs.test.js terminal.test.js go-run.test.js \
  ends.test.js args.test.js env-names.test.js copy-in-place.test.js doctor.test.js uid.test.js)

test: deps build lint testhost
	node --test $(TESTS)
	for v in $(SH_VARIANTS); do \
	  export GOCPU_TESTHOST_VARIANT=$${v%:*} GOCPU_TESTHOST_PORT=$${v#*:} GOCPU_TESTHOST_ALIAS=gocpu-$${v%:*} \
	    GOCPU_TESTHOST_DIR=$(CURDIR)/.testhost-$${v%:*} GOCPU_TESTHOST_LOWER=$(CURDIR)/.testhost/rootfs && \
	  $(TESTHOST) up && node --test $(SH_TESTS) && GOCPU_AGENT=0 node --test dist/test/e2e/ends.test.js || exit 1; \
	done

# The smoke suite on a real arm64 kernel: a Debian arm64 VM under qemu-system-aarch64,
# built once into /var/cache/gocpu-vm (hack/README.md). The VM stays up afterwards, so a
# second run skips the boot; make testvm-down stops it (the cached image stays).
test-vm: deps build
	$(TESTVM) up
	eval "$$($(TESTVM) env)" && node --test $(VM_TESTS)

testvm-down:
	$(TESTVM) down

# No test host needed (the ssh tests start their own sshd).
unit: build
	node --test $(UNIT_TESTS)

# gocpu against the seed's pipeline rebuilt from stock OpenSSH, with floors; prints the
# table and writes bench/RESULTS.md (README: Benchmarks). BENCH_RUNS=N repeats (default 3);
# BENCH_ONLY=pool,... runs only those sections (bench/run-bench.mjs: SECTIONS).
bench: deps build testhost
	node bench/run-bench.mjs

install: build
	npm install -g .

clean:
	rm -rf dist
