//! Bulk import of customers from CSV (docs/import.md): every row meets the rules of `customer
//! create` and is all or nothing, good rows commit while bad ones are reported by line and
//! column, a dry run keeps nothing, and importing a file again changes nothing.

use std::collections::BTreeMap;

use dossier_app::dto::ImportReport;
use dossier_app::{CUSTOMER_COLUMNS, ImportOptions};
use serde_json::{Value, json};

use crate::support::{TestApp, fixture};

/// A CSV line with every cell quoted, as spreadsheets may write it.
pub fn csv_line<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = cells.into_iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect();
    format!("{}\n", quoted.join(","))
}

/// A file in the layout: the header and one line per row (a map of column to cell).
pub fn csv_file(rows: &[BTreeMap<String, String>]) -> String {
    let mut out = csv_line(CUSTOMER_COLUMNS.iter().copied());
    for row in rows {
        out.push_str(&csv_line(CUSTOMER_COLUMNS.iter().map(|c| row.get(*c).map_or("", String::as_str))));
    }
    out
}

/// The fixture's good row, with a ref id and some cells set.
fn row(ref_id: &str, set: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut row = cells(&fixture("import-rows.json")["base"]);
    row.insert("ref_id".into(), ref_id.into());
    for (column, value) in set {
        row.insert((*column).into(), (*value).into());
    }
    row
}

fn cells(object: &Value) -> BTreeMap<String, String> {
    object.as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect()
}

pub fn import(t: &mut TestApp, csv: &str, dry_run: bool) -> ImportReport {
    let options = ImportOptions { dry_run, batch_size: 2 };
    t.app.import_customers(&t.actor, csv.as_bytes(), &options, |_| {}).expect("the file is readable")
}

fn rejected(report: &ImportReport) -> Value {
    serde_json::to_value(&report.rejected_rows).unwrap()
}

#[test]
fn every_bad_row_in_the_table_is_rejected_with_its_reasons_by_column() {
    let table = fixture("import-rows.json");
    let mut t = TestApp::new();
    let before = t.counts();
    for case in table["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut bad = cells(&table["base"]);
        bad.insert("ref_id".into(), "IMP-CASE".into());
        bad.extend(cells(&case["set"]));
        let report = import(&mut t, &csv_file(&[bad.clone()]), false);
        assert_eq!((report.rows, report.created, report.rejected), (1, 0, 1), "{name}");
        let row = &report.rejected_rows[0];
        assert_eq!(row.line, 2, "{name}: the header is line 1");
        let got: Vec<Value> =
            row.reasons.iter().map(|r| json!({"field": r.field.as_deref().unwrap_or("-"), "code": r.code})).collect();
        assert_eq!(Value::from(got), case["expect"], "{name}: {:?}", row.reasons);
        for r in &row.reasons {
            let field = r.field.as_deref().unwrap();
            assert!(r.message.starts_with(field), "{name}: the message names the column: {}", r.message);
            for value in case["set"].as_object().unwrap().values().filter_map(Value::as_str) {
                assert!(
                    value.len() < 5 || !r.message.contains(value),
                    "{name}: the message repeats a value: {}",
                    r.message
                );
            }
        }
        assert_eq!(t.counts(), before, "{name}: a rejected row changes nothing");
    }
    let good = import(&mut t, &csv_file(&[row("IMP-GOOD", &[])]), false);
    assert_eq!((good.created, good.rejected), (1, 0), "the base row itself is good: {:?}", rejected(&good));
}

/// A business row: the base row's person cells cleared, an institution given.
fn business(ref_id: &str) -> BTreeMap<String, String> {
    let mut r =
        row(ref_id, &[("type", "business"), ("legal_name", "Acme Trading LLC"), ("country_of_formation", "US")]);
    for column in
        ["first_name", "last_name", "date_of_birth", "country_of_citizenship", "country_of_birth", "occupation"]
    {
        r.remove(column);
    }
    r.insert("address_kind".into(), "registered".into());
    r
}

#[test]
fn good_rows_commit_and_bad_rows_change_nothing() {
    let rows = [
        row("IMP-1", &[]),
        row("IMP-2", &[("date_of_birth", "not a date")]),
        business("IMP-3"),
        row("IMP-4", &[("email", "x@")]),
        row("IMP-5", &[("email", "bea@example.com"), ("mobile", "+442079460000")]),
    ];
    let mut t = TestApp::new();
    let report = import(&mut t, &csv_file(&rows), false);
    assert_eq!((report.rows, report.created, report.unchanged, report.rejected), (5, 3, 0, 2), "{}", rejected(&report));
    let lines: Vec<(u64, Option<&str>)> = report.rejected_rows.iter().map(|r| (r.line, r.ref_id.as_deref())).collect();
    assert_eq!(lines, [(3, Some("IMP-2")), (5, Some("IMP-4"))]);

    // The same good rows, imported alone, leave exactly the same rows behind.
    let mut alone = TestApp::new();
    import(&mut alone, &csv_file(&[rows[0].clone(), rows[2].clone(), rows[4].clone()]), false);
    assert_eq!(t.counts(), alone.counts());
}

#[test]
fn a_ref_id_twice_in_a_file_is_created_once_and_then_unchanged() {
    let mut t = TestApp::new();
    let same = row("IMP-TWICE", &[]);
    let other = row("IMP-TWICE", &[("address_city", "Shelbyville")]);
    let report = import(&mut t, &csv_file(&[same.clone(), same, other]), false);
    assert_eq!((report.created, report.unchanged, report.rejected), (1, 1, 1));
    let reason = &report.rejected_rows[0].reasons[0];
    assert_eq!((reason.field.as_deref(), reason.code.as_str()), (Some("ref_id"), "ref_id_exists"));
    assert!(reason.message.contains("address_city"), "it says which column differs: {}", reason.message);
    assert!(!reason.message.contains("Shelbyville"), "but not the value: {}", reason.message);
}

#[test]
fn a_row_refused_while_it_is_written_leaves_nothing_behind() {
    let mut t = TestApp::new();
    // A constraint only the database knows, so the refusal comes after the customer row is
    // written: the row's savepoint must undo it, and the batch goes on.
    let conn = crate::support::open_db(t.db_path()).unwrap();
    conn.execute_batch("CREATE UNIQUE INDEX test_one_owner_per_email ON contacts (value)").unwrap();
    drop(conn);
    let rows = [
        row("IMP-A", &[]),
        row("IMP-B", &[]),
        row("IMP-C", &[("email", "cy@example.com"), ("mobile", "+442079460000")]),
    ];
    let before = t.counts();
    let dry = import(&mut t, &csv_file(&rows), true);
    assert_eq!(t.counts(), before);
    let report = import(&mut t, &csv_file(&rows), false);
    assert_eq!((report.created, report.rejected), (2, 1), "{}", rejected(&report));
    assert_eq!(rejected(&dry), rejected(&report), "a dry run finds the same refusal");
    assert_eq!(report.rejected_rows[0].ref_id.as_deref(), Some("IMP-B"));
    assert_eq!(report.rejected_rows[0].reasons[0].code, "conflict");
    let counts = t.counts();
    assert_eq!((counts["customers"], counts["persons"], counts["addresses"]), (2, 2, 2));
    let query = dossier_app::dto::QueueQuery { search: Some("IMP-B".into()), ..Default::default() };
    assert!(t.app.queue(&t.actor, &query).unwrap().items.is_empty(), "not even the search index keeps the refused row");
}

#[test]
fn a_dry_run_reports_what_the_import_would_do_and_keeps_nothing() {
    let rows = [row("IMP-1", &[]), row("IMP-2", &[("email", "x@")]), row("IMP-1", &[]), row("IMP-3", &[])];
    let mut t = TestApp::new();
    crate::outbox::enable_all(&mut t);
    let before = t.counts();
    let dry = import(&mut t, &csv_file(&rows), true);
    assert!(dry.dry_run);
    assert_eq!((dry.rows, dry.created, dry.unchanged, dry.rejected), (4, 2, 1, 1), "{}", rejected(&dry));
    assert_eq!(t.counts(), before, "a dry run writes nothing");
    let real = import(&mut t, &csv_file(&rows), false);
    assert_eq!(
        (real.rows, real.created, real.unchanged, real.rejected, rejected(&real)),
        (dry.rows, dry.created, dry.unchanged, dry.rejected, rejected(&dry))
    );
}

#[test]
fn importing_a_file_again_changes_nothing() {
    let rows: Vec<_> = (0..7)
        .map(|i| {
            let ref_id = format!("IMP-{i}");
            let email = format!("c{i}@example.com");
            let mut r = row(&ref_id, &[("email", &email)]);
            if i % 2 == 1 {
                r.insert("email_verified_method".into(), String::new());
            }
            r
        })
        .collect();
    let mut t = TestApp::new();
    crate::outbox::enable_all(&mut t);
    let first = import(&mut t, &csv_file(&rows), false);
    assert_eq!((first.created, first.unchanged, first.rejected), (7, 0, 0), "{}", rejected(&first));
    let after_first = t.counts();
    assert!(after_first["outbox"] >= 7 && after_first["audit_events"] >= 7, "{after_first:?}");

    // Verifying a contact after the import is the usual next step; the file still matches.
    let id = t
        .app
        .list_customers(&t.actor, None, Some(500), None)
        .unwrap()
        .items
        .iter()
        .find(|c| c.ref_id == "IMP-1")
        .unwrap()
        .id
        .clone();
    t.verify_contact(&id, "email");
    let before_second = t.counts();

    let second = import(&mut t, &csv_file(&rows), false);
    assert_eq!((second.rows, second.created, second.unchanged, second.rejected), (7, 0, 7, 0), "{}", rejected(&second));
    assert_eq!(t.counts(), before_second, "no customer, audit or outbox row is added");
}

#[test]
fn a_ref_id_with_other_content_is_rejected_not_updated() {
    let mut t = TestApp::new();
    import(&mut t, &csv_file(&[row("IMP-1", &[])]), false);
    let before = t.counts();
    let changed = row("IMP-1", &[("mobile", "+442079460000"), ("document_expires_on", "2032-02-28")]);
    let report = import(&mut t, &csv_file(&[changed]), false);
    assert_eq!((report.created, report.unchanged, report.rejected), (0, 0, 1));
    let reason = &report.rejected_rows[0].reasons[0];
    assert_eq!((reason.field.as_deref(), reason.code.as_str()), (Some("ref_id"), "ref_id_exists"));
    assert!(reason.message.contains("mobile, document_expires_on"), "{}", reason.message);
    assert_eq!(t.counts(), before);
    let id = t.app.list_customers(&t.actor, None, None, None).unwrap().items[0].id.clone();
    assert_eq!(t.app.customer(&t.actor, &id).unwrap().contacts[1].value, "+12175550142", "the stored customer is kept");
}

#[test]
fn imported_rows_are_customers_as_customer_create_makes_them() {
    let mut t = TestApp::new();
    crate::outbox::enable_all(&mut t);
    let report = import(&mut t, &csv_file(&[row("IMP-1", &[("mobile_verified_method", "in_person")])]), false);
    assert_eq!(report.created, 1);
    let id = t.app.list_customers(&t.actor, None, None, None).unwrap().items[0].id.clone();
    let c = t.app.customer(&t.actor, &id).unwrap();
    assert_eq!((c.state, c.kind), ("pending", "individual"));
    assert_eq!(c.contacts[1].value, "+12175550142", "numbers are normalised as customer create does");
    assert_eq!(c.tax_details[0].tax_id, "***-**-9012");
    assert!(c.addresses[0].primary);
    assert_eq!(c.contacts.iter().map(|k| k.verification_method).collect::<Vec<_>>(), [Some("code"), Some("in_person")]);
    assert!(c.verification_gate.full.passes, "{:?}", c.verification_gate.full.reasons);
    let actions: Vec<String> =
        t.app.audit_events(&t.actor, Some(&id), None, None).unwrap().items.into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["customer.create", "customer.verify_contact", "customer.verify_contact"]);
    let operations: Vec<&str> =
        t.app.sync_list(&t.actor, None, Some(&id), Some(50), None).unwrap().items.iter().map(|m| m.operation).collect();
    assert_eq!(operations, ["customer.create"; 4], "one create per provider, as customer create writes");
    // The derived columns are written with the customer's row: they are what recomputing gives.
    let check = t.app.check_derived(&t.actor).unwrap();
    assert_eq!(check.mismatched, 0, "{:?}", check.mismatches);
    let conn = crate::support::open_db(t.db_path()).unwrap();
    let (messages, payloads): (i64, i64) = conn
        .query_row("SELECT count(*), count(DISTINCT payload) FROM outbox", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((messages, payloads), (4, 1), "every provider hears the same payload");
}

#[test]
fn a_header_that_does_not_fit_the_layout_is_refused_whole() {
    let mut t = TestApp::new();
    let before = t.counts();
    let refuse = |t: &mut TestApp, csv: &str| {
        let e = t.app.import_customers(&t.actor, csv.as_bytes(), &ImportOptions::default(), |_| {}).unwrap_err();
        assert_eq!((e.status(), e.code()), (400, "invalid_input"));
        e.body().reasons.into_iter().map(|r| (r.field, r.code)).collect::<Vec<_>>()
    };
    let field = |f: &str| Some(f.to_owned());
    assert_eq!(refuse(&mut t, ""), [(field("header"), "required".to_owned())]);
    assert_eq!(
        refuse(&mut t, "ref_id,type,Ana Silva,first_name,FIRST_NAME\n"),
        [(None, "unknown_field".to_owned()), (field("first_name"), "duplicate_column".to_owned())]
    );
    let e = t.app.import_customers(&t.actor, "first_name\nAna\n".as_bytes(), &ImportOptions::default(), |_| {});
    let reasons = e.unwrap_err().body().reasons;
    assert_eq!(reasons.iter().map(|r| r.field.as_deref()).collect::<Vec<_>>(), [Some("ref_id"), Some("type")]);
    let e = t.app.import_customers(&t.actor, "ref_id,type,Ana Silva\n".as_bytes(), &ImportOptions::default(), |_| {});
    assert!(!e.unwrap_err().body().message.contains("Ana"), "a header cell is never repeated");
    assert_eq!(t.counts(), before);
}

#[test]
fn few_columns_a_bom_blank_rows_and_malformed_rows() {
    let mut t = TestApp::new();
    let csv = "\u{feff}REF_ID , type,first_name,last_name,date_of_birth\n\
               IMP-1,individual,Ana,Silva,1988-04-12\n\
               ,,,,\n\
               IMP-2,individual,Bea\n\
               IMP-3,individual,Cy,Doe,1990-01-01\n";
    let report = import(&mut t, csv, false);
    assert_eq!((report.rows, report.created, report.rejected), (3, 2, 1), "{}", rejected(&report));
    let bad = &report.rejected_rows[0];
    assert_eq!((bad.line, bad.reasons[0].code.as_str(), bad.ref_id.as_deref()), (4, "malformed_row", None));
    let latin1: &[u8] = b"ref_id,type,first_name\nIMP-9,individual,\"Ren\xe9\"\n";
    let report = t.app.import_customers(&t.actor, latin1, &ImportOptions::default(), |_| {}).unwrap();
    let reason = &report.rejected_rows[0].reasons[0];
    assert_eq!((reason.code.as_str(), reason.field.as_deref()), ("malformed_row", Some("first_name")));
}

#[test]
fn progress_is_reported_after_every_batch() {
    let mut t = TestApp::new();
    let rows: Vec<_> = (0..5).map(|i| row(&format!("IMP-{i}"), &[])).collect();
    let mut seen = Vec::new();
    let options = ImportOptions { dry_run: false, batch_size: 2 };
    t.app.import_customers(&t.actor, csv_file(&rows).as_bytes(), &options, |p| seen.push(p.rows)).unwrap();
    assert_eq!(seen, [2, 4, 5]);
}

#[test]
fn the_template_is_a_header_and_a_row_that_imports() {
    let template = dossier_app::customer_template();
    let mut lines = template.lines();
    assert_eq!(lines.next().unwrap().split(',').collect::<Vec<_>>(), CUSTOMER_COLUMNS);
    assert_eq!(lines.count(), 1);
    let mut t = TestApp::new();
    let report = import(&mut t, &template, false);
    assert_eq!((report.created, report.rejected), (1, 0), "{}", rejected(&report));
}

/// Runs the real binary with `--data-dir DIR`, returning its exit code, stdout and stderr.
fn real(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    crate::cli::run_binary(dir, args, stdin, "importer")
}

#[test]
fn the_real_binary_imports_and_exports_with_the_contract_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let json = |s: &str| serde_json::from_str::<Value>(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"));

    let (code, template, _) = real(&dir, &["import", "template", "customers"], None);
    assert_eq!(code, 0);
    assert!(template.starts_with("ref_id,type,"), "the template is CSV: {template}");
    crate::cli::init_binary(&dir, "importer", &["branch_staff"]);

    let good = csv_file(&[row("BIN-1", &[]), row("BIN-2", &[])]);
    let path = tmp.path().join("good.csv");
    std::fs::write(&path, &good).unwrap();
    let (code, out, err) = real(&dir, &["import", "customers", path.to_str().unwrap(), "--dry-run"], None);
    assert_eq!((code, json(&out)["created"].as_u64(), json(&out)["dry_run"].as_bool()), (0, Some(2), Some(true)));
    assert_eq!(err, "", "no progress line when stderr is not a terminal");
    let (code, out, _) = real(&dir, &["import", "customers", path.to_str().unwrap()], None);
    assert_eq!((code, json(&out)["created"].as_u64()), (0, Some(2)), "{out}");

    let mixed = csv_file(&[row("BIN-1", &[]), row("BIN-3", &[("mobile", "0142")])]);
    let (code, out, _) = real(&dir, &["import", "customers", "-"], Some(&mixed));
    let report = json(&out);
    assert_eq!(code, 5, "some rows rejected: {out}");
    assert_eq!((report["unchanged"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(1)));
    assert_eq!(
        report["rejected_rows"][0],
        json!({"line": 3, "ref_id": "BIN-3", "reasons": [
        {"code": "invalid_phone_number", "field": "mobile",
         "message": "mobile is not a valid mobile number: use E.164, a plus sign and 8 to 15 digits, like +14155550100"}]})
    );

    let (code, out, _) = real(&dir, &["import", "customers", "-"], Some("name\nAna\n"));
    assert_eq!((code, json(&out)["code"].as_str()), (2, Some("invalid_input")));
    let (code, out, _) = real(&dir, &["import", "customers", tmp.path().join("missing.csv").to_str().unwrap()], None);
    assert_eq!((code, json(&out)["reasons"][0]["code"].as_str()), (2, Some("input_unreadable")));

    let (code, csv, _) = real(&dir, &["export", "customers"], None);
    assert_eq!(code, 0);
    assert_eq!(csv.lines().count(), 3, "the data itself is the output: a header and two rows\n{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("BIN-1,individual,Ana"), "oldest first: {csv}");
    let (code, lines, _) = real(&dir, &["export", "audit", "--format", "jsonl"], None);
    assert_eq!(code, 0);
    let mut events: Vec<Value> = lines.lines().map(json).collect();
    assert!(events.pop().unwrap()["signature"].is_object(), "JSON lines end signed: {lines}");
    let customers: Vec<&Value> = events.iter().filter(|e| e["entity_type"] == "customer").collect();
    assert!(!customers.is_empty() && customers.iter().all(|e| e["actor"] == "importer"), "{lines}");

    let out_file = tmp.path().join("cases.csv");
    let (code, out, _) = real(&dir, &["export", "cases", "--out", out_file.to_str().unwrap()], None);
    assert_eq!(json(&out), json!({"format": "csv", "rows": 0, "out": out_file.display().to_string()}));
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(&out_file).unwrap().starts_with("id,customer_id,customer_ref_id,"));

    let (code, out, _) = real(&dir, &["export", "customers", "--risk", "EXTREME"], None);
    assert_eq!((code, json(&out)["reasons"][0]["field"].as_str()), (2, Some("risk")), "errors stay JSON");
    let unwritable = tmp.path().join("no-such-dir").join("x.csv");
    let (code, out, _) = real(&dir, &["export", "audit", "--out", unwritable.to_str().unwrap()], None);
    assert_eq!((code, json(&out)["reasons"][0]["code"].as_str()), (2, Some("output_unwritable")));
    let (code, out, _) = real(&dir, &["export", "audit", "--format", "xml"], None);
    assert_eq!((code, json(&out)["code"].as_str()), (2, Some("usage")));
}

/// `dev bench` judges the import against a raw insert of exactly the rows the import stored
/// (docs/performance.md): this checks the copy holds every row, value for value, in every table
/// the import writes, with the copies' triggers filling their own search index and counts.
#[test]
fn the_benchs_raw_baseline_stores_exactly_what_the_import_stored() {
    let mut t = TestApp::new();
    crate::outbox::enable_all(&mut t);
    let bytes = crate::support::key_bytes(t.dir.path(), &crate::support::passphrase());
    let mut raw = dossier_store::RawBench::open(&t.db_path(), &bytes).unwrap();

    let mark = raw.import_mark().unwrap();
    let rows = [
        row("IMP-1", &[("mobile_verified_method", "in_person")]),
        business("IMP-2"),
        row("IMP-3", &[("email", "cy@example.com"), ("mobile", "+442079460000")]),
    ];
    let report = import(&mut t, &csv_file(&rows), false);
    assert_eq!(report.created, 3, "{}", rejected(&report));

    let stored = raw.imported_rows(mark).unwrap();
    assert_eq!(stored.customers(), 3);
    raw.prepare_import_copy().unwrap();
    assert_eq!(raw.insert_imported(&stored).unwrap(), 3);

    let conn = crate::support::open_db(t.db_path()).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    for (table, imported) in [
        ("customers", "1"),
        ("persons", "1"),
        ("institutions", "1"),
        ("addresses", "1"),
        ("contacts", "1"),
        ("identity_documents", "1"),
        ("tax_details", "1"),
        ("due_diligence", "1"),
        ("risk_assessments", "1"),
        ("audit_events", "entity_id IN (SELECT id FROM customers)"),
        ("outbox", "1"),
    ] {
        let stored = count(&format!("SELECT count(*) FROM {table} WHERE {imported}"));
        assert!(stored > 0, "{table} has rows from the import");
        assert_eq!(count(&format!("SELECT count(*) FROM bench_raw_{table}")), stored, "{table}");
        let differing = count(&format!(
            "SELECT count(*) FROM (SELECT * FROM bench_raw_{table} EXCEPT SELECT * FROM {table} WHERE {imported})"
        ));
        assert_eq!(differing, 0, "{table}: every copied row equals a stored one");
    }
    assert_eq!(
        count("SELECT count(*) FROM bench_raw_audit_events"),
        3 + 2 + 2,
        "a create per customer, one per verified contact"
    );
    assert_eq!(count("SELECT count(*) FROM bench_raw_outbox"), 3 * 4, "a create per customer and provider");
    // The copies' triggers did what the real ones did.
    let search =
        |table: &str, words: &str| count(&format!("SELECT count(*) FROM {table} WHERE {table} MATCH '{words}'"));
    for words in ["silva", "acme", "cy", "x12345678"] {
        assert_eq!(search("bench_raw_customer_search", words), search("customer_search", words), "{words}");
    }
    assert_eq!(count("SELECT n FROM bench_raw_customer_state_counts WHERE state = 'pending'"), 3);

    raw.finish().unwrap();
    assert_eq!(count("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'bench_raw%'"), 0, "the copies are dropped");
}
