# Dossier — the commands people use. `make run` and `make test` are the two that matter.
# Targets install what they need on a fresh Debian/Ubuntu machine (as root, or with sudo).

CARGO ?= cargo
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the build needs: a C compiler for the bundled SQLite.
APT_PACKAGES := build-essential pkg-config

.PHONY: run demo test check lint fmt build deps deps-system deps-rust clean

## run: build what is missing and start Dossier (for now: the CLI onboarding journey on a fresh data directory)
run: build
	@scripts/demo.sh

## demo: the same journey on DATA_DIR (default: a fresh temporary directory)
demo: build
	@scripts/demo.sh $(DATA_DIR)

## test: everything CI runs: formatting, lints, unit and integration tests, and the demo journey
test: deps build lint
	@mkdir -p target
	$(CARGO) test --workspace --locked 2>&1 | tee target/test.log
	@# The UI's TypeScript bindings are generated from the Rust DTOs by the run above: they must be committed.
	@if [ -n "$$(git status --porcelain -- ui/src/bindings 2>/dev/null)" ]; then \
	  echo "ui/src/bindings drifted from the Rust DTOs: commit the regenerated files" >&2; git status --short -- ui/src/bindings >&2; exit 1; fi
	@scripts/demo.sh >/dev/null && echo "demo journey: ok"
	@awk '/^test result:/ { p += $$4; f += $$6 } END { printf "all cargo tests: %d passed, %d failed\n", p, f }' target/test.log

build: deps
	$(CARGO) build --workspace --locked

lint: deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

deps: deps-system deps-rust

# Installs the Debian packages only when a compiler is missing, so a ready machine is not touched.
deps-system:
	@if ! command -v cc >/dev/null 2>&1 || ! command -v pkg-config >/dev/null 2>&1; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $(APT_PACKAGES)"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	  else \
	    echo "a C compiler and pkg-config are needed: install them with your package manager" >&2; exit 1; \
	  fi; \
	fi

deps-rust:
	@command -v $(CARGO) >/dev/null 2>&1 || { echo "Rust is needed: install it from https://rustup.rs (stable, 1.95 or newer)" >&2; exit 1; }
	@rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt clippy 2>/dev/null || true

clean:
	$(CARGO) clean
