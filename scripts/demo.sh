#!/usr/bin/env bash
# The onboarding journey as branch staff would type it: create a customer, see verify refused
# with everything missing, fix the data, verify, activate, and read the audit trail.
# Usage: scripts/demo.sh [DATA_DIR]   (default: a fresh temporary directory)
# Exits non-zero if any step answers differently from what the journey expects.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="${DOSSIER_BIN:-$root/target/debug/dossier}"
data="${1:-$(mktemp -d)/dossier-demo}"
demo="$root/fixtures/demo"
export DOSSIER_ACTOR="${DOSSIER_ACTOR:-branch-clerk}"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Runs one dossier command, shows it and its JSON, and checks its exit code.
expect() {
  local want=$1; shift
  printf '$ dossier %s\n' "$*"
  set +e
  out=$("$bin" --data-dir "$data" --pretty "$@")
  local got=$?
  set -e
  printf '%s\n' "$out"
  if [ "$got" -ne "$want" ]; then
    echo "demo: expected exit $want, got $got" >&2
    exit 1
  fi
}

field() { printf '%s' "$out" | grep -m1 -o "\"$1\": *\"[^\"]*\"" | sed 's/.*: *"\(.*\)"/\1/'; }

echo "Dossier demo journey; data directory: $data"

step "Create a customer: it starts pending"
expect 0 customer create --input "$demo/individual.json"
id=$(field id)

step "Verify (partial) is refused, listing everything still missing (exit 3)"
expect 3 customer verify "$id" --level partial

step "Add a primary residential address and a passport"
expect 0 customer add-address "$id" --input "$demo/primary-address.json" >/dev/null
expect 0 customer add-document "$id" --input "$demo/passport.json" >/dev/null

step "Confirm the email by code and the mobile number in person"
expect 0 customer verify-contact "$id" --kind email --method code >/dev/null
expect 0 customer verify-contact "$id" --kind mobile --method in_person >/dev/null

step "Verify (full) now passes"
expect 0 customer verify "$id" --level full --note "passport and SSN seen at the counter"

step "Activate"
expect 0 customer activate "$id"

step "The audit trail of this customer"
expect 0 audit list --entity "$id"

step "Done: customer $id is active"
