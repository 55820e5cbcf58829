#!/usr/bin/env bash
# Loads a small, realistic demo data set into DATA_DIR through the CLI, so a newcomer sees a
# living system: customers in every state, a business with members, EDD cases open and passed,
# a KYC review in progress and a high-risk customer waiting for EDD, an EDD decision approved by
# a second person. Run once on a fresh data
# directory (`make run DEMO=1` does). Usage: scripts/demo-data.sh [DATA_DIR] (default: the
# platform data directory, the one the desktop app opens by default). A fresh data directory is
# set up with the demo's users: `admin`, `clerk` (branch_staff), `olivia` (officer) and `sam`
# (supervisor), all with the password DOSSIER_DEMO_PASSWORD (default below): a demonstration,
# not a secret.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="${DOSSIER_BIN:-$root/target/release/dossier}"
[ -x "$bin" ] || bin="$root/target/debug/dossier"
data="${1:-}"
# The passphrase the desktop app will ask for (a demo one: real directories choose theirs).
export DOSSIER_PASSPHRASE="${DOSSIER_PASSPHRASE:-demo passphrase, not for real data}"
password="${DOSSIER_DEMO_PASSWORD:-demo-password-1}"
export DOSSIER_PASSWORD="$password" DOSSIER_NEW_PASSWORD="$password"
d() { if [ -n "$data" ]; then "$bin" --data-dir "$data" "$@"; else "$bin" "$@"; fi; }
# Who the next commands run as.
as_user() { export DOSSIER_USER=$1; }
id_of() { grep -o '"id":"[^"]*"' | head -n 1 | sed 's/"id":"\(.*\)"/\1/'; }

if d init --admin admin >/dev/null 2>&1; then
  echo "demo data: set up the data directory; passphrase \"$DOSSIER_PASSPHRASE\", users admin, clerk, olivia, sam with password \"$password\""
  as_user admin
  d user add clerk --role branch_staff >/dev/null
  d user add olivia --role officer >/dev/null
  d user add sam --role supervisor >/dev/null
fi
as_user clerk
if ! listed=$(d customer list --limit 1); then
  echo "demo data: this data directory has users of its own; the demo users cannot sign in: $listed" >&2
  exit 1
fi
if [ "$(printf '%s' "$listed" | grep -c '"id"')" -gt 0 ]; then
  echo "demo data: the data directory already has customers; nothing loaded"
  exit 0
fi

as_user admin
# The four providers on the built-in sandbox (the desktop app hosts it; `sync run` from the CLI
# starts it for the run), so the demo's changes wait in the outbox for "Sync now".
for provider in cybrid paxos qolo mbanq; do d provider set "$provider" --base-url sandbox >/dev/null; done
as_user clerk

names=("Ana Silva" "Bo Chen" "Carla Mendes" "David Okafor" "Eva Novak" "Farid Haddad" "Grace Lee" "Hugo Martin" "Ines Costa" "Jonas Berg")
i=0
for name in "${names[@]}"; do
  i=$((i + 1))
  first=${name% *}; last=${name#* }
  activity=LOW; pep=false
  [ "$i" = 9 ] && { activity=HIGH; pep=true; }
  id=$(d customer create --input - <<JSON | id_of
{"type": "individual", "ref_id": "DEMO-$(printf %04d "$i")",
 "person": {"first_name": "$first", "last_name": "$last", "date_of_birth": "198$((i % 10))-0$((i % 9 + 1))-1$((i % 9))", "country_of_citizenship": "US"},
 "addresses": [{"kind": "residential", "primary": true, "street_address": "$((i * 7)) Main St", "city": "Springfield", "state": "IL", "postal_code": "6270$i", "country": "US"}],
 "contacts": [{"kind": "email", "value": "$(echo "$first.$last" | tr 'A-Z' 'a-z')@example.com"}, {"kind": "mobile", "value": "+1217555$(printf %04d "$i")"}],
 "documents": [{"type": "passport", "number": "P$(printf %07d "$i")", "issuing_country": "US", "issued_on": "2021-03-01", "expires_on": "2031-02-28"}],
 "customer_due_diligence": {"source_of_funds": "employment income", "purpose_of_account": "everyday banking", "expected_activity_level": "$activity"},
 "politically_exposed": $pep}
JSON
)
  case $i in
    1|2) ;;                                                     # pending, contacts not yet verified
    3) as_user olivia
       d customer reject "$id" --reason "document appears altered" >/dev/null
       as_user clerk ;;
    *)
      d customer verify-contact "$id" --kind email --method code >/dev/null
      d customer verify-contact "$id" --kind mobile --method in_person >/dev/null
      d customer verify "$id" --level full --note "documents seen at the counter" >/dev/null
      case $i in
        4|5|6|7) d customer activate "$id" >/dev/null ;;
      esac
      as_user olivia
      case $i in
        5) case_id=$(d edd open --customer "$id" | id_of)
           for item in proof_of_address source_of_funds source_of_wealth purpose_of_account; do
             d edd evidence "$case_id" --item "$item" --reference "scans/$item.pdf" >/dev/null
           done
           # An EDD decision waits for a second person (exit 6): the supervisor approves it.
           approval=$(d edd decide "$case_id" --outcome passed --reason "source of wealth documented" | id_of || true)
           as_user sam
           d approval approve "$approval" --reason "evidence checked" >/dev/null ;;
        6) case_id=$(d edd open --customer "$id" | id_of)
           d edd evidence "$case_id" --item proof_of_address --reference scans/utility-bill.pdf >/dev/null
           d edd assign "$case_id" --to olivia >/dev/null ;;
        8) as_user clerk
           v=$(d idv create --customer "$id" --type kyc --method id_and_selfie | id_of)
           as_user olivia
           d idv advance "$v" --to waiting >/dev/null
           d idv advance "$v" --to pending >/dev/null
           d idv advance "$v" --to reviewing >/dev/null ;;
      esac
      as_user clerk ;;
  esac
done

biz=$(d customer create --input - <<'JSON' | id_of
{"type": "business", "ref_id": "DEMO-B-0001",
 "institution": {"legal_name": "Northwind Trading LLC", "country_of_formation": "US", "industry_type": "wholesale", "legal_entity_type": "LLC",
   "members": [{"first_name": "Grace", "last_name": "Hopper", "roles": ["BENEFICIAL_OWNER", "MANAGEMENT_CONTROL_PERSON"], "ownership_percentage": "60.5", "is_control_person": true},
               {"first_name": "Alan", "last_name": "Turing", "roles": ["BENEFICIAL_OWNER"], "ownership_percentage": "39.5"}]},
 "addresses": [{"kind": "registered", "primary": true, "street_address": "1 Market St", "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US"}],
 "contacts": [{"kind": "email", "value": "ops@northwind.example"}, {"kind": "mobile", "value": "+14155550100"}],
 "documents": [{"type": "certificate_of_incorporation", "number": "C-778899", "issuing_country": "US"}],
 "tax_details": [{"tax_id_type": "EIN", "tax_id": "12-3456789", "country": "US"}]}
JSON
)
d customer verify-contact "$biz" --kind email --method document >/dev/null
d customer verify-contact "$biz" --kind mobile --method code >/dev/null
d customer verify "$biz" --level full >/dev/null
echo "demo data: loaded 11 customers"
