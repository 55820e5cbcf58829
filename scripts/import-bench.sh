#!/usr/bin/env bash
# Measures `dossier import customers` on generated rows (default 100,000 individuals with every
# column of the layout filled) against raw SQLite inserts of the same rows in the same run, with
# the same pragmas:
#   - "one table": the sqlite3 shell's `.import` of the file into one plain table, the ceiling;
#   - "same tables": the rows inserted with plain SQL into Dossier's own tables (customers,
#     persons, addresses, contacts, documents, tax details, due diligence, with their indexes), in
#     one transaction, with no checks, audit, outbox or risk. Without the search index: its
#     triggers are dropped in that copy, since the search index needs SQLite 3.43 or later
#     (Dossier bundles its own) and the system's sqlite3 shell is often older.
# Prints rows per second for each. Needs a release build (cargo build --release -p dossier-cli)
# and the sqlite3 shell.
#
#   scripts/import-bench.sh [ROWS]
set -euo pipefail

ROWS=${1:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${DOSSIER_BIN:-$ROOT/target/release/dossier}
[ -x "$BIN" ] || { echo "build it first: cargo build --release -p dossier-cli" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
CSV=$WORK/customers.csv

"$BIN" import template customers | head -n 1 > "$CSV"
awk -v n="$ROWS" 'BEGIN {
  split("Ana Bea Cy Dora Emil Farah Goran Hana Ivo Jana Kofi Lea Milan Nora Omar Pia", first, " ");
  split("Silva Novak Okafor Schmidt Rossi Haddad Kowalski Tanaka Berg Duarte Moreau Ivanova", last, " ");
  split("US DE FR GB PT BR CA NL", country, " ");
  for (i = 1; i <= n; i++) {
    f = first[i % 16 + 1]; l = last[int(i / 16) % 12 + 1]; c = country[i % 8 + 1];
    printf "GEN-%07d,individual,%s,,%s,19%02d-%02d-%02d,%s,%s,Clerk,,,,,,,,,residential,%d Main St,,Springfield,IL,%05d,US,", \
      i, f, l, 50 + i % 50, i % 12 + 1, i % 28 + 1, c, c, i % 9000 + 1, i % 90000 + 10000;
    printf "%s.%s.%d@example.com,code,+1415%07d,in_person,passport,X%08d,US,2021-03-01,2031-02-28,active,", \
      tolower(f), tolower(l), i, i % 10000000, i;
    printf "SSN,%03d-%02d-%04d,US,false,salary,,savings,LOW,false,false,\n", i % 500 + 100, i % 90 + 10, i % 9000 + 1000;
  }
}' >> "$CSV"

echo "rows: $ROWS ($(du -h "$CSV" | cut -f1))"

PRAGMAS="PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"

start=$(date +%s.%N)
sqlite3 "$WORK/raw.db" <<SQL >/dev/null
$PRAGMAS
.import --csv $CSV raw_rows
SQL
raw=$(echo "$(date +%s.%N) - $start" | bc)

# Every command signs in: the bench's users share one password (not a secret).
export DOSSIER_PASSWORD=bench-password-1 DOSSIER_NEW_PASSWORD=bench-password-1
# Dossier's schema, empty: `init` migrates a new data directory (and adds its admin).
"$BIN" --data-dir "$WORK/same" init --admin bench >/dev/null
"$BIN" --data-dir "$WORK/data" init --admin bench >/dev/null
DOSSIER_USER=bench "$BIN" --data-dir "$WORK/data" user add bench-clerk --role branch_staff >/dev/null
NOW=2026-11-22T12:00:00.000000Z
start=$(date +%s.%N)
sqlite3 "$WORK/same/dossier.db" <<SQL >/dev/null
$PRAGMAS
.import --csv --schema temp $CSV staging
DROP TRIGGER customer_search_insert;
DROP TRIGGER customer_search_update;
DROP TRIGGER customer_search_delete;
DROP TRIGGER customer_search_contact_insert;
DROP TRIGGER customer_search_contact_update;
DROP TRIGGER customer_search_contact_delete;
BEGIN;
-- Ids ascend, as Dossier's time-ordered v7 ids do, so the id indexes are appended to.
CREATE TEMP TABLE ids AS SELECT rowid AS r, CAST(printf('c%015d', rowid) AS BLOB) AS c,
    CAST(printf('a%015d', rowid) AS BLOB) AS a, CAST(printf('e%015d', rowid) AS BLOB) AS e,
    CAST(printf('m%015d', rowid) AS BLOB) AS m, CAST(printf('d%015d', rowid) AS BLOB) AS d,
    CAST(printf('t%015d', rowid) AS BLOB) AS t FROM temp.staging;
INSERT INTO customers (id, kind, ref_id, state, state_changed_at, display_name, is_merchant,
    tax_details_not_required, created_at, updated_at, politically_exposed)
  SELECT i.c, s.type, s.ref_id, 'pending', '$NOW', s.first_name || ' ' || s.last_name, 0, 0, '$NOW', '$NOW', 0
  FROM temp.staging s JOIN ids i ON i.r = s.rowid;
INSERT INTO persons (customer_id, first_name, middle_name, last_name, date_of_birth, country_of_citizenship,
    country_of_birth, occupation)
  SELECT i.c, s.first_name, NULL, s.last_name, s.date_of_birth, s.country_of_citizenship, s.country_of_birth, s.occupation
  FROM temp.staging s JOIN ids i ON i.r = s.rowid;
INSERT INTO addresses (id, customer_id, position, kind, is_primary, street_address, city, state, postal_code, country)
  SELECT i.a, i.c, 1, s.address_kind, 1, s.address_street, s.address_city, s.address_state, s.address_postal_code,
    s.address_country FROM temp.staging s JOIN ids i ON i.r = s.rowid;
INSERT INTO contacts (id, customer_id, position, kind, value, verification_method, verified_at)
  SELECT i.e, i.c, 1, 'email', s.email, 'code', '$NOW' FROM temp.staging s JOIN ids i ON i.r = s.rowid;
INSERT INTO contacts (id, customer_id, position, kind, value, verification_method, verified_at)
  SELECT i.m, i.c, 2, 'mobile', s.mobile, 'in_person', '$NOW' FROM temp.staging s JOIN ids i ON i.r = s.rowid;
INSERT INTO identity_documents (id, customer_id, position, document_type, number, issuing_country, issued_on,
    expires_on, status)
  SELECT i.d, i.c, 1, s.document_type, s.document_number, s.document_country, s.document_issued_on,
    s.document_expires_on, 'active' FROM temp.staging s JOIN ids i ON i.r = s.rowid;
INSERT INTO tax_details (id, customer_id, position, tax_id_type, tax_id, country)
  SELECT i.t, i.c, 1, s.tax_id_type, replace(s.tax_id, '-', ''), s.tax_country FROM temp.staging s JOIN ids i ON i.r = s.rowid;
INSERT INTO due_diligence (customer_id, source_of_funds, purpose_of_account, expected_activity_level)
  SELECT i.c, s.source_of_funds, s.purpose_of_account, s.expected_activity_level FROM temp.staging s JOIN ids i ON i.r = s.rowid;
COMMIT;
SQL
same=$(echo "$(date +%s.%N) - $start" | bc)
[ "$(sqlite3 "$WORK/same/dossier.db" 'SELECT count(*) FROM contacts')" = $((2 * ROWS)) ] || { echo "the raw inserts failed" >&2; exit 1; }

start=$(date +%s.%N)
DOSSIER_USER=bench-clerk "$BIN" --data-dir "$WORK/data" import customers "$CSV" > "$WORK/report.json"
import=$(echo "$(date +%s.%N) - $start" | bc)
grep -q "\"created\":$ROWS," "$WORK/report.json" || { echo "the import did not create every row:" >&2; head -c 2000 "$WORK/report.json" >&2; exit 1; }

start=$(date +%s.%N)
DOSSIER_USER=bench-clerk "$BIN" --data-dir "$WORK/data" import customers "$CSV" > "$WORK/again.json"
again=$(echo "$(date +%s.%N) - $start" | bc)

start=$(date +%s.%N)
DOSSIER_USER=bench-clerk "$BIN" --data-dir "$WORK/data" export customers > "$WORK/export.csv"
export=$(echo "$(date +%s.%N) - $start" | bc)

rate() { echo "$ROWS / $1" | bc; }
printf '%-50s %8.2f s %9d rows/s\n' \
  "raw: sqlite3 .import into one table" "$raw" "$(rate "$raw")" \
  "raw: plain SQL into the same tables, no search" "$same" "$(rate "$same")" \
  "dossier import customers (fresh directory)" "$import" "$(rate "$import")" \
  "dossier import customers (again: all unchanged)" "$again" "$(rate "$again")" \
  "dossier export customers (csv)" "$export" "$(rate "$export")"
echo "import / raw into the same tables: $(echo "scale=1; 100 * $same / $import" | bc) %"
echo "import / raw into one table:       $(echo "scale=1; 100 * $raw / $import" | bc) %"
