# Dossier — the commands people use. `make run` and `make test` are the two that matter.
# Targets install what they need on a fresh Debian/Ubuntu machine (as root, or with sudo).

CARGO ?= cargo
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: a C compiler and libcrypto (OpenSSL) for the bundled SQLCipher; WebKitGTK and friends for the Tauri
# desktop app; Xvfb and WebKitWebDriver for the end-to-end tests; Node for the UI.
# Node comes from Debian only when the machine has none: a Node from elsewhere (NodeSource's package) carries its
# own npm and conflicts with Debian's.
APT_PACKAGES := build-essential pkg-config libssl-dev libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libsoup-3.0-dev \
	libjavascriptcoregtk-4.1-dev libdbus-1-dev xvfb xauth webkit2gtk-driver python3 python3-venv \
	$(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || echo nodejs npm)
TAURI_DRIVER := $(HOME)/.cargo/bin/tauri-driver

.PHONY: run demo test e2e bench check lint fmt build ui desktop deps deps-system deps-rust deps-ui clean

## run: build what is missing and start the desktop app (DATA_DIR=… to choose the data directory,
## DEMO=1 to load a demo data set first into an empty one)
run: deps ui
	$(CARGO) build --release -p dossier-desktop -p dossier-cli --locked
	$(if $(DEMO),scripts/demo-data.sh $(DATA_DIR),)
	target/release/dossier-desktop $(if $(DATA_DIR),--data-dir $(DATA_DIR),)

## demo: the onboarding and EDD journey through the CLI, on DATA_DIR (default: a fresh temporary directory)
demo: build
	@scripts/demo.sh $(DATA_DIR)

## test: everything CI runs: formatting, lints, unit and integration tests, UI tests, the demo journey, end to end
test: deps ui build lint
	@mkdir -p target
	$(CARGO) test --workspace --locked 2>&1 | tee target/test.log
	@# The UI's TypeScript bindings are generated from the Rust DTOs by the run above: they must be committed.
	@if [ -n "$$(git status --porcelain -- ui/src/bindings 2>/dev/null)" ]; then \
	  echo "ui/src/bindings drifted from the Rust DTOs: commit the regenerated files" >&2; git status --short -- ui/src/bindings >&2; exit 1; fi
	@if [ -f ui/package.json ]; then (cd ui && npm test 2>&1) | tee target/ui-test.log; fi
	@scripts/demo.sh >/dev/null && echo "demo journey: ok"
	@$(MAKE) --no-print-directory e2e
	@$(MAKE) --no-print-directory cybrid-sdk
	@awk '/^test result:/ { p += $$4; f += $$6 } END { printf "all cargo tests: %d passed, %d failed\n", p, f }' target/test.log

## e2e: drive the real built desktop app (tauri-driver + WebKitWebDriver under Xvfb); screenshots in target/e2e/
e2e: deps ui deps-e2e
	$(CARGO) build --locked -p dossier-desktop -p dossier-cli
	xvfb-run -a -s "-screen 0 1440x900x24" node --test --test-concurrency=1 --test-force-exit e2e/

## bench: measure whole workloads with `dossier dev bench` at each of BENCH_SIZES customers (default 10 k,
## 100 k and 1 M) and the criterion micro-benchmarks in quick mode; writes target/bench/report.md with
## latency.svg and prints where each budget of DESIGN.md holds (docs/performance.md)
BENCH_SIZES ?= 10000 100000 1000000
BENCH_DIR := target/bench
bench: deps
	$(CARGO) build --release --locked -p dossier-cli -p dossier-bench
	$(CARGO) bench --locked -p dossier-core -p dossier-app --bench domain --bench app --no-run
	@mkdir -p $(BENCH_DIR)
	$(CARGO) bench --locked -p dossier-core -p dossier-app --bench domain --bench app -- \
	  --warm-up-time 0.5 --measurement-time 1 --noplot 2>&1 | tee $(BENCH_DIR)/criterion.txt | grep -E '^[a-z].*time:|^ +time:|^[a-z]+/'
	@rm -f $(BENCH_DIR)/dev-bench-*.json
	@# Each size in its own data directory under target/ (1 M customers take about 6 GB), removed after;
	@# the bench's sandbox providers need no secret, so the OS keyring is left alone.
	@for n in $(BENCH_SIZES); do \
	  rm -rf $(BENCH_DIR)/data-$$n; \
	  echo "dossier dev bench --customers $$n"; \
	  DOSSIER_CREDENTIALS=file target/release/dossier --data-dir $(BENCH_DIR)/data-$$n dev bench --customers $$n --json > $(BENCH_DIR)/dev-bench-$$n.json \
	    || { cat $(BENCH_DIR)/dev-bench-$$n.json >&2; rm -rf $(BENCH_DIR)/data-$$n; exit 1; }; \
	  rm -rf $(BENCH_DIR)/data-$$n; \
	done
	target/release/dossier-bench $(BENCH_DIR) $(BENCH_DIR)/dev-bench-*.json

## cybrid-sdk: Cybrid's official Python client against the simulator, unchanged
cybrid-sdk: deps
	bash tests/cybrid_sdk/run.sh

build: deps ui
	$(CARGO) build --workspace --locked

lint: deps ui
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

## ui: install the UI's npm packages from the lockfile and build it into ui/dist
ui: deps
	@if [ -f ui/package.json ]; then \
	  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then (cd ui && npm ci --no-audit --no-fund); fi; \
	  (cd ui && npm run build); \
	else mkdir -p ui/dist && [ -f ui/dist/index.html ] || echo '<!doctype html><title>Dossier</title>' > ui/dist/index.html; fi

deps: deps-system deps-rust

# Installs the Debian packages only when something is missing, so a ready machine is not touched.
deps-system:
	@missing=0; \
	for c in cc pkg-config node npm python3 Xvfb xvfb-run WebKitWebDriver; do command -v $$c >/dev/null 2>&1 || missing=1; done; \
	pkg-config --exists webkit2gtk-4.1 javascriptcoregtk-4.1 libsoup-3.0 dbus-1 libcrypto 2>/dev/null || missing=1; \
	if [ $$missing = 1 ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing system packages: $(APT_PACKAGES)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	  else \
	    echo "install these with your package manager: $(APT_PACKAGES)" >&2; exit 1; \
	  fi; \
	fi

deps-e2e:
	@command -v tauri-driver >/dev/null 2>&1 || $(CARGO) install tauri-driver --version '^2' --locked

deps-rust:
	@command -v $(CARGO) >/dev/null 2>&1 || { echo "Rust is needed: install it from https://rustup.rs (stable, 1.95 or newer)" >&2; exit 1; }
	@rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy 2>/dev/null || true

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules
