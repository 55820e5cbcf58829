#!/usr/bin/env bash
# The onboarding journey as a small firm would type it: the first admin sets the data directory
# up and adds a clerk, an officer and a supervisor; the clerk creates a customer, sees verify
# refused with everything missing, fixes the data, verifies and activates; the officer works an
# EDD case and decides it, which waits for the supervisor's approval (four eyes); and the audit
# trail names each of them. Every demo user's password is the same
# (DOSSIER_DEMO_PASSWORD, default below): a demonstration, not a secret.
# Usage: scripts/demo.sh [DATA_DIR]   (default: a fresh temporary directory)
# Exits non-zero if any step answers differently from what the journey expects.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="${DOSSIER_BIN:-$root/target/debug/dossier}"
data="${1:-$(mktemp -d)/dossier-demo}"
demo="$root/fixtures/demo"
# The data directory's passphrase (a demo one; real directories get theirs at a prompt).
export DOSSIER_PASSPHRASE="${DOSSIER_PASSPHRASE:-demo passphrase, not for real data}"
password="${DOSSIER_DEMO_PASSWORD:-demo-password-1}"
export DOSSIER_PASSWORD="$password" DOSSIER_NEW_PASSWORD="$password"
# Who the next commands run as.
as_user() { export DOSSIER_USER=$1; printf '\n(as %s)\n' "$1"; }

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

step "A fresh data directory asks who you are: nothing works before init (exit 3, not_initialised)"
expect 3 --user clerk customer list

step "Set up: the data key under the passphrase (everything is encrypted), and the first admin, who adds a clerk, an officer and a supervisor"
expect 0 init --admin admin
as_user admin
expect 0 user add clerk --role branch_staff >/dev/null
expect 0 user add olivia --role officer >/dev/null
expect 0 user add sam --role supervisor >/dev/null
expect 0 user list

step "An admin does no compliance work (exit 3, 403 role_required)"
expect 3 customer create --input "$demo/individual.json"

as_user clerk
step "Create a customer: it starts pending"
expect 0 customer create --input "$demo/individual.json"
id=$(field id)

step "Its identity status is PENDING, and says why"
expect 0 identity status "$id"

step "EDD is refused while the customer is not verified (exit 3, 422)"
expect 3 edd open --customer "$id"

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

step "Branch staff cannot open EDD cases (exit 3, 403 role_required)"
expect 3 edd open --customer "$id"

as_user olivia
step "An officer opens an EDD case: a second one is refused while it is open (exit 3, 409)"
expect 0 edd open --customer "$id" >/dev/null
case_id=$(field id)
expect 3 edd open --customer "$id"

step "Passing needs evidence for every checklist item (exit 3, 403 edd_evidence_missing)"
expect 3 edd decide "$case_id" --outcome passed --reason "documents seen"
for item in proof_of_address source_of_funds source_of_wealth purpose_of_account; do
  expect 0 edd evidence "$case_id" --item "$item" --reference "scans/$item.pdf" >/dev/null
done
expect 0 edd note "$case_id" --text "employer confirmed by phone" >/dev/null

step "The officer decides EDD passed: it waits for a second person (exit 6, status 202)"
expect 6 edd decide "$case_id" --outcome passed --reason "source of wealth documented"
approval_id=$(field id)

step "The officer cannot approve it (exit 3, 403 role_required)"
expect 3 approval approve "$approval_id"

as_user sam
step "The supervisor sees the queue and approves: the decision is applied, limits raised to the edd tier"
expect 0 approval list --state pending
expect 0 approval approve "$approval_id" --reason "evidence checked"
expect 0 customer show "$id" >/dev/null
printf '%s\n' "$out" | grep -A12 '"activity_limits"'

step "The work queue finds every customer whose EDD passed, in one call"
expect 0 queue list --edd passed

step "The identity status is now APPROVED, with nothing holding it back"
expect 0 identity status "$id"

step "The audit trail of this customer: who did what, both people of the four-eyes decision included"
expect 0 audit list --entity "$id" >/dev/null
printf '%s\n' "$out" | grep '"action"\|"actor"'

step "Done: customer $id is active with EDD passed"
