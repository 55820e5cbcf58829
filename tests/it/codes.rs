//! The code catalogue (`dossier_app::codes::CODES`) is the contract scripts and the UI switch
//! on: every code the fixtures expect and every code the docs list must be in it.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::fixture;

fn catalogued(code: &str) -> bool {
    dossier_app::codes::code_doc(code).is_some()
}

fn walk(v: &Value, found: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("code", Value::String(s)) => {
                        found.insert(s.clone());
                    }
                    ("expect", Value::Array(codes)) => {
                        found.extend(codes.iter().filter_map(|c| c.as_str().map(str::to_owned)))
                    }
                    (_, Value::String(s)) if s.starts_with('!') && s.len() > 1 => {
                        found.insert(s[1..].to_owned());
                    }
                    _ => walk(v, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, found)),
        _ => {}
    }
}

#[test]
fn every_code_the_fixtures_expect_is_catalogued() {
    let mut found = BTreeSet::new();
    for name in
        ["bad-input.json", "error-bodies.json", "customer-transitions.json", "verify-gate.json", "import-rows.json"]
    {
        walk(&fixture(name), &mut found);
    }
    assert!(found.len() > 12, "the walk finds the fixtures' codes: {found:?}");
    let missing: Vec<_> = found.iter().filter(|c| !catalogued(c)).collect();
    assert!(missing.is_empty(), "codes missing from crates/dossier-app/src/codes.rs: {missing:?}");
}

#[test]
fn every_code_the_docs_list_is_catalogued() {
    let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/reason-codes.md")).unwrap();
    let mut found = BTreeSet::new();
    let mut statuses = Vec::new();
    for line in docs.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // `| 404 | `a`, `b` | when |`: the statuses table.
        if let Ok(status @ 400..=599) = cells[1].parse::<u16>() {
            for code in cells[2].split('`').skip(1).step_by(2) {
                statuses.push((code.to_owned(), status));
            }
        }
        // Codes are the backticked snake_case words of a table's first cells (field names
        // quoted in the explanations are not codes).
        for cell in line.split('|').skip(1).take(2) {
            for part in cell.split('`').skip(1).step_by(2) {
                if part.contains('_') && part.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
                {
                    found.insert(part.to_owned());
                }
            }
        }
    }
    assert!(found.len() > 15, "{found:?}");
    // Fields named in the explanations of two rows.
    found.remove("tax_details_not_required");
    found.remove("verification_datetime");
    let missing: Vec<_> = found.iter().filter(|c| !catalogued(c)).collect();
    assert!(missing.is_empty(), "codes in docs/reason-codes.md missing from the catalogue: {missing:?}");
    assert!(statuses.len() > 25, "{statuses:?}");
    for (code, status) in statuses {
        let doc = dossier_app::codes::code_doc(&code).unwrap_or_else(|| panic!("{code} is not catalogued"));
        assert_eq!(doc.status, Some(status), "{code}: the docs and the catalogue disagree on the status");
    }
}

#[test]
fn the_error_bodies_the_app_builds_use_catalogued_codes() {
    // A refused call of each kind, through the app.
    let mut t = crate::support::TestApp::new();
    let mut seen = Vec::new();
    let e = t.app.customer(&t.actor, "not-a-uuid").unwrap_err();
    seen.push(e.body());
    let e = t.app.customer(&t.actor, &uuid::Uuid::nil().to_string()).unwrap_err();
    seen.push(e.body());
    let id = t.create(crate::support::minimal_individual("C-0001"));
    seen.push(t.app.activate(&t.actor, &id).unwrap_err().body());
    seen.push(t.app.verify(&t.actor, &id, "full", None).unwrap_err().body());
    seen.push(t.app.open_edd(&t.actor, &id).unwrap_err().body());
    for b in seen {
        assert!(catalogued(&b.code), "{}", b.code);
        assert_eq!(dossier_app::codes::code_doc(&b.code).unwrap().status, Some(b.status), "{}", b.code);
        for r in b.reasons {
            assert!(catalogued(&r.code), "{}", r.code);
        }
    }
}
