//! Streaming exports: customers in the import layout (an export imports into a fresh data
//! directory as the same customers), cases and the audit trail, as CSV and JSON lines.

use serde_json::{Value, json};

use dossier_app::dto::{QueueQuery, VerificationQuery};
use dossier_app::{AUDIT_COLUMNS, CASE_COLUMNS, CUSTOMER_COLUMNS, ImportOptions, SIGNED_AUDIT_COLUMNS};

use crate::support::{TestApp, complete_individual, minimal_individual};

/// Customers that use every column of the layout between them.
fn varied_customers(t: &mut TestApp) {
    t.complete_individual("EXP-FULL");
    t.create(minimal_individual("EXP-MIN"));
    let mut pep = complete_individual("EXP-PEP");
    pep["person"]["middle_name"] = json!("Maria");
    pep["person"]["country_of_birth"] = json!("BR");
    pep["person"]["occupation"] = json!("Minister, \"retired\"");
    pep["politically_exposed"] = json!(true);
    pep["is_merchant"] = json!(true);
    pep["tax_details"] = json!([]);
    pep["tax_details_not_required"] = json!(true);
    pep["last_kyc_refresh_date"] = json!("2025-06-30");
    pep["addresses"][0]["street_address_2"] = json!("Apt 4,\nrear entrance");
    pep["addresses"][0]["state"] = json!("CA");
    pep["documents"][0]["status"] = json!("inactive");
    pep["customer_due_diligence"]["source_of_wealth"] = json!("inheritance");
    pep["customer_due_diligence"]["expected_activity_level"] = json!("HIGH");
    t.create(pep);
    t.create(json!({
        "type": "business",
        "ref_id": "EXP-BIZ",
        "institution": {"legal_name": "Acme Trading LLC", "doing_business_as_name": "Acme", "incorporation_date": "2015-05-01",
                        "country_of_formation": "DE", "industry_type": "wholesale", "legal_entity_type": "GmbH",
                        "website": "https://acme.example", "business_description": "Imports tea"},
        "addresses": [{"kind": "registered", "primary": true, "street_address": "Hauptstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}],
        "contacts": [{"kind": "email", "value": "office@acme.example"}],
        "documents": [{"type": "business_registration", "number": "HRB 12345", "issuing_country": "DE"}],
        "tax_details": [{"tax_id_type": "EIN", "tax_id": "12-3456789", "country": "US"}]
    }));
    let mobile_only = t.create(json!({
        "type": "individual", "ref_id": "EXP-MOB",
        "person": {"first_name": "José", "last_name": "Müller-Łukasz", "date_of_birth": "1975-02-28"},
        "contacts": [{"kind": "mobile", "value": "+49 30 1234567"}],
        "customer_due_diligence": {"purpose_of_account": "payroll"}
    }));
    t.verify_contact(&mobile_only, "mobile");
}

fn export_customers(t: &mut TestApp, q: &QueueQuery, format: &str) -> String {
    let mut out = Vec::new();
    t.app.export_customers(&t.actor, q, format, &mut out).expect("exported");
    String::from_utf8(out).unwrap()
}

/// A customer as `customer show` prints it, without what a new data directory gives anew: ids,
/// times, and the verification times of contacts.
fn comparable(view: Value) -> Value {
    match view {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| {
                    !matches!(k.as_str(), "id" | "created_at" | "updated_at" | "state_changed_at" | "verified_at")
                })
                .map(|(k, v)| (k, comparable(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(comparable).collect()),
        other => other,
    }
}

fn customers_by_ref(t: &TestApp) -> std::collections::BTreeMap<String, Value> {
    t.app
        .list_customers(&t.actor, None, Some(500), None)
        .unwrap()
        .items
        .into_iter()
        .map(|c| {
            (c.ref_id.clone(), comparable(serde_json::to_value(t.app.customer(&t.actor, &c.id).unwrap()).unwrap()))
        })
        .collect()
}

#[test]
fn an_export_imports_into_a_fresh_directory_as_the_same_customers() {
    let mut t = TestApp::new();
    varied_customers(&mut t);
    let csv = export_customers(&mut t, &QueueQuery::default(), "csv");
    assert_eq!(csv.lines().next().unwrap().split(',').collect::<Vec<_>>(), CUSTOMER_COLUMNS);

    let mut fresh = TestApp::new();
    let report = fresh.app.import_customers(&fresh.actor, csv.as_bytes(), &ImportOptions::default(), |_| {}).unwrap();
    assert_eq!((report.created, report.rejected), (5, 0), "{:?}", serde_json::to_value(&report.rejected_rows));
    let (before, after) = (customers_by_ref(&t), customers_by_ref(&fresh));
    assert_eq!(before.len(), 5);
    for (ref_id, view) in &before {
        assert_eq!(Some(view), after.get(ref_id), "{ref_id} comes back the same");
    }

    // And the export of the imported directory is the same file.
    assert_eq!(export_customers(&mut fresh, &QueueQuery::default(), "csv"), csv);
    // Importing it back where it came from changes nothing.
    let counts = t.counts();
    let again = t.app.import_customers(&t.actor, csv.as_bytes(), &ImportOptions::default(), |_| {}).unwrap();
    assert_eq!((again.unchanged, again.created, again.rejected), (5, 0, 0));
    assert_eq!(t.counts(), counts);
}

#[test]
fn the_customer_export_takes_the_work_queue_filters() {
    let mut t = TestApp::new();
    varied_customers(&mut t);
    let mut refs = |q: &QueueQuery| {
        let jsonl = export_customers(&mut t, q, "jsonl");
        jsonl
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["ref_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(refs(&QueueQuery::default()), ["EXP-FULL", "EXP-MIN", "EXP-PEP", "EXP-BIZ", "EXP-MOB"], "oldest first");
    let newest = QueueQuery { sort: Some("newest".into()), ..Default::default() };
    assert_eq!(refs(&newest)[0], "EXP-MOB");
    let high = QueueQuery { risk: Some("HIGH".into()), ..Default::default() };
    assert_eq!(refs(&high), ["EXP-PEP"]);
    let search = QueueQuery { search: Some("acme".into()), ..Default::default() };
    assert_eq!(refs(&search), ["EXP-BIZ"]);
    let none = QueueQuery { state: Some("active".into()), ..Default::default() };
    assert_eq!(export_customers(&mut t, &none, "csv").lines().count(), 1, "only the header");

    let bad = QueueQuery { risk: Some("EXTREME".into()), ..Default::default() };
    let mut out = Vec::new();
    let counts = t.counts();
    let e = t.app.export_customers(&t.actor, &bad, "csv", &mut out).unwrap_err();
    assert_eq!((e.status(), e.body().reasons[0].field.as_deref()), (400, Some("risk")));
    assert!(out.is_empty(), "a refused export writes nothing");
    let e = t.app.export_customers(&t.actor, &QueueQuery::default(), "xlsx", &mut out).unwrap_err();
    assert_eq!(e.body().reasons[0].field.as_deref(), Some("format"));
    assert_eq!(t.counts(), counts, "and audits nothing");
}

#[test]
fn a_customer_export_carries_numbers_in_clear_and_is_audited_without_its_search_words() {
    let mut t = TestApp::new();
    varied_customers(&mut t);
    let shown = t
        .app
        .list_customers(&t.actor, None, Some(500), None)
        .unwrap()
        .items
        .into_iter()
        .find(|c| c.ref_id == "EXP-FULL");
    let view = t.app.customer(&t.actor, &shown.unwrap().id).unwrap();
    let q = QueueQuery { risk: Some("LOW".into()), search: Some("silva".into()), ..Default::default() };
    let jsonl = export_customers(&mut t, &q, "jsonl");
    let row: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(row["ref_id"], "EXP-FULL");
    assert!(view.tax_details[0].tax_id.starts_with("***-**-"), "views mask: {}", view.tax_details[0].tax_id);
    assert!(!row["tax_id"].as_str().unwrap().contains('*'), "the export feeds re-import, so it is in clear: {row}");
    assert!(!row["document_number"].as_str().unwrap().contains('*'), "{row}");

    let events = t.app.audit_events(&t.actor, None, Some(500), None).unwrap().items;
    let export = events.iter().rfind(|e| e.action == "export.customers").expect("the export is audited");
    assert_eq!((export.actor.as_str(), export.entity_type.as_str()), ("tester", "export"));
    assert_eq!(export.summary, json!({"format": "jsonl", "filters": {"risk": "LOW", "search": true}}));
}

#[test]
fn an_export_reads_page_after_page() {
    let mut t = TestApp::new();
    for i in 0..1203 {
        t.create(minimal_individual(&format!("PAGE-{i:04}")));
    }
    let csv = export_customers(&mut t, &QueueQuery::default(), "csv");
    let refs: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    let expected: Vec<String> = (0..1203).map(|i| format!("PAGE-{i:04}")).collect();
    assert_eq!(refs, expected, "every customer once, in order, across pages");
    let mut out = Vec::new();
    let summary = t.app.export_audit(&t.actor, None, "csv", &mut out).unwrap();
    // The two users of the setup first, then the creations and the customer export.
    assert_eq!(summary.rows, 2 + 1203 + 1);
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 2 + 1203 + 1 + 1);
    // The signed export pages the same way, and its chain holds across the pages.
    let mut out = Vec::new();
    let summary = t.app.export_audit(&t.actor, None, "jsonl", &mut out).unwrap();
    assert_eq!(summary.rows, 2 + 1203 + 1 + 1, "and the making of the device key");
    let check = dossier_app::verify_audit_export(out.as_slice(), None).unwrap();
    assert_eq!((check.events, check.first_seq, check.last_seq), (1207, Some(1), Some(1207)));
}

#[test]
fn json_lines_parse_one_object_per_line_with_the_csv_columns() {
    let mut t = TestApp::new();
    varied_customers(&mut t);
    let full = t
        .app
        .list_customers(&t.actor, None, Some(500), None)
        .unwrap()
        .items
        .into_iter()
        .find(|c| c.ref_id == "EXP-FULL")
        .unwrap();
    t.verification_in(&full.id, "id_and_selfie", "completed");
    let jsonl = export_customers(&mut t, &QueueQuery::default(), "jsonl");
    let rows: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(rows.len(), 5);
    for row in &rows {
        let keys: Vec<&str> = row.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, CUSTOMER_COLUMNS);
    }
    let pep = rows.iter().find(|r| r["ref_id"] == "EXP-PEP").unwrap();
    assert_eq!((pep["politically_exposed"].clone(), pep["tax_id"].clone()), (json!(true), Value::Null));
    assert_eq!(pep["address_street_2"], "Apt 4,\nrear entrance");

    let mut out = Vec::new();
    let summary = t.app.export_cases(&t.actor, &VerificationQuery::default(), "jsonl", &mut out).unwrap();
    assert_eq!((summary.format, summary.rows), ("jsonl", 1));
    let case: Value = serde_json::from_str(String::from_utf8(out).unwrap().trim_end()).unwrap();
    assert_eq!(case.as_object().unwrap().keys().map(String::as_str).collect::<Vec<_>>(), CASE_COLUMNS);
    assert_eq!(
        (case["customer_ref_id"].as_str(), case["method"].as_str(), case["state"].as_str(), case["outcome"].as_str()),
        (Some("EXP-FULL"), Some("id_and_selfie"), Some("completed"), Some("passed"))
    );
    assert_eq!(case["failure_codes"], json!([]));
    assert_eq!(case["sla_breached"], json!(false));

    let mut out = Vec::new();
    t.app.export_audit(&t.actor, Some(&full.id), "jsonl", &mut out).unwrap();
    let mut events: Vec<Value> =
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let signature = events.pop().unwrap();
    assert!(signature["signature"]["value"].is_string(), "JSON lines end with their signature: {signature}");
    let keys: Vec<&str> = events[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, SIGNED_AUDIT_COLUMNS);
    assert_eq!(keys[..AUDIT_COLUMNS.len()], *AUDIT_COLUMNS, "the CSV columns, then the two hashes");
    assert_eq!(
        (events[0]["seq"].as_i64(), events[0]["action"].as_str()),
        (Some(3), Some("customer.create")),
        "after the two users"
    );
    assert!(events.windows(2).all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()), "in order");
    assert_eq!(events[0]["summary"]["type"], "individual", "the summary is JSON, not a string");
    assert!(events.iter().all(|e| e["entity_id"] == full.id.as_str()));
}

#[test]
fn the_case_export_in_csv_takes_the_case_filters() {
    let mut t = TestApp::new();
    let id = t.complete_individual("EXP-CASE");
    t.verification_in(&id, "id_and_selfie", "pending");
    t.verification_in(&id, "document_submission", "completed");
    let export = |q: &VerificationQuery| {
        let mut out = Vec::new();
        t.app.export_cases(&t.actor, q, "csv", &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    let all = export(&VerificationQuery::default());
    assert_eq!(all.lines().next().unwrap().split(',').collect::<Vec<_>>(), CASE_COLUMNS);
    assert_eq!(all.lines().count(), 3);
    let pending = export(&VerificationQuery { states: vec!["pending".into()], ..Default::default() });
    let row: Vec<&str> = pending.lines().nth(1).unwrap().split(',').collect();
    assert_eq!((row[2], row[4], row[5], row[6]), ("EXP-CASE", "id_and_selfie", "pending", ""));
    assert!(row[10].starts_with("2026-11-"), "the SLA due time: {}", row[10]);
}
