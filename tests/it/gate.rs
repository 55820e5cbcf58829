//! The verify and activate gates, driven by `fixtures/verify-gate.json` through the app.

use serde_json::{Value, json};
use time::Duration;

use crate::support::{NOW, TestApp, body, complete_individual, fixture};

/// Expands a fixture case's shorthand into a create document.
fn case_input(case: &Value, n: usize) -> Value {
    let kind = case["type"].as_str().unwrap_or("individual");
    let mut input = match kind {
        "business" => json!({"type": "business", "ref_id": format!("G-{n}"),
            "institution": {"legal_name": "Acme Ltd", "country_of_formation": "US"}}),
        _ => json!({"type": "individual", "ref_id": format!("G-{n}"),
            "person": {"first_name": "Ana", "last_name": "Silva", "date_of_birth": "1988-04-12"}}),
    };
    let list = |key: &str| case[key].as_array().cloned().unwrap_or_default();
    input["addresses"] = list("addresses")
        .iter()
        .map(|a| json!({"kind": a["kind"], "primary": a["primary"], "street_address": "1 Main St", "city": "Springfield", "country": "US"}))
        .collect();
    input["contacts"] = list("contacts")
        .iter()
        .map(|k| match k.as_str() {
            Some("email") => json!({"kind": "email", "value": "ana@example.com"}),
            _ => json!({"kind": "mobile", "value": "+14155550100"}),
        })
        .collect();
    input["documents"] = list("documents")
        .iter()
        .map(|d| {
            let mut doc = json!({"type": d["type"], "number": "D1234567", "issuing_country": "US"});
            for key in ["status", "issued_on", "expires_on"] {
                if !d[key].is_null() {
                    doc[key] = d[key].clone();
                }
            }
            doc
        })
        .collect();
    input["tax_details"] = list("tax_details")
        .iter()
        .map(|t| {
            let number = match t.as_str() {
                Some("SSN") => "123-45-6789",
                Some("ITIN") => "912-70-1234",
                Some("EIN") => "12-3456789",
                _ => "DE-123456",
            };
            json!({"tax_id_type": t, "tax_id": number, "country": if t == "OTHER" { "DE" } else { "US" }})
        })
        .collect();
    input
}

#[test]
fn verify_gate_table() {
    let table = fixture("verify-gate.json");
    assert_eq!(table["today"], "2026-11-22", "the fixture's date is the tests' fixed clock");
    let mut t = TestApp::new();
    for (n, case) in table["cases"].as_array().expect("cases").iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let level = case["level"].as_str().unwrap();
        let expect: Vec<&str> = case["expect"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let id = t.create(case_input(case, n));
        for kind in case["verified"].as_array().cloned().unwrap_or_default() {
            t.verify_contact(&id, kind.as_str().unwrap());
        }

        // The live checklist on the customer agrees with what verify will say.
        let view = t.app.customer(&t.actor, &id).unwrap();
        let gate = serde_json::to_value(&view.verification_gate).unwrap();
        let listed: Vec<&str> =
            gate[level]["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
        assert_eq!(listed, expect, "{name}: checklist");
        assert_eq!(gate[level]["passes"], expect.is_empty(), "{name}: checklist verdict");

        let before = t.counts();
        match t.app.verify(&t.actor, &id, level, None) {
            Ok(c) => {
                assert!(expect.is_empty(), "{name}: verified but expected {expect:?}");
                assert_eq!((c.state, c.verification_level), ("verified", Some(level)), "{name}");
            }
            Err(e) => {
                let b = body(&e);
                assert_eq!(b["status"], 403, "{name}");
                assert_eq!(b["code"], "domain_rule_violation", "{name}");
                let codes: Vec<&str> =
                    b["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
                assert_eq!(codes, expect, "{name}: refusal reasons");
                assert_eq!(t.counts(), before, "{name}: a refused verify writes nothing");
                assert_eq!(t.state_of(&id), "pending", "{name}");
            }
        }
    }
}

#[test]
fn activation_rechecks_documents_that_expired_since_verification() {
    let mut t = TestApp::new();
    let mut input = complete_individual("EXP-1");
    input["documents"][0]["expires_on"] = json!("2026-11-30");
    input["tax_details"] = json!([]);
    let id = t.create(input);
    t.verify_contact(&id, "email");
    t.verify_contact(&id, "mobile");
    t.app.verify(&t.actor, &id, "partial", None).expect("verified while the passport is valid");
    t.clock.set(NOW + Duration::days(9));
    let before = t.counts();
    let e = t.app.activate(&t.actor, &id).unwrap_err();
    let b = body(&e);
    assert_eq!(b["status"], 403);
    assert_eq!(b["code"], "domain_rule_violation");
    assert_eq!(b["reasons"][0]["code"], "identity_document_missing");
    assert_eq!(t.counts(), before);
    assert_eq!(t.state_of(&id), "verified(partial)");
}

#[test]
fn activation_is_blocked_by_frozen_denied_and_closed_controls_but_not_dormant() {
    let mut t = TestApp::new();
    for (n, (control, blocks)) in
        [("frozen", true), ("denied", true), ("closed", true), ("dormant", false)].into_iter().enumerate()
    {
        let id = t.complete_individual(&format!("CTL-{n}"));
        t.app.verify(&t.actor, &id, "full", None).unwrap();
        let input = dossier_app::dto::ControlInput {
            control_type: Some(control.into()),
            set_by: Some("firm".into()),
            reason_code: Some("COMPLIANCE_INVESTIGATION".into()),
        };
        let view = t.app.add_control(&t.actor, &id, &input, Some("case 42")).unwrap();
        let before = t.counts();
        let result = t.app.activate(&t.actor, &id);
        if blocks {
            let b = body(&result.unwrap_err());
            assert_eq!(b["code"], "domain_rule_violation", "{control}");
            assert_eq!(b["reasons"].as_array().unwrap().len(), 1, "{control}");
            assert_eq!(b["reasons"][0]["code"], format!("control_{control}"), "{control}");
            assert_eq!(t.counts(), before, "{control}: refused activation writes nothing");
            // Lifting the control lets activation through.
            let lifted = t.app.remove_control(&t.actor, &id, &view.controls[0].id, Some("cleared"));
            t.settle(lifted, |app, actor| app.customer(actor, &id)).unwrap();
            assert_eq!(t.app.activate(&t.actor, &id).unwrap().state, "active", "{control}");
        } else {
            assert_eq!(result.unwrap().state, "active", "{control} does not block activation");
        }
    }
}

#[test]
fn verify_refusals_list_every_missing_item_with_exact_bodies() {
    let expected = fixture("error-bodies.json");
    let mut t = TestApp::new();
    let id = t.create(crate::support::minimal_individual("BODY-1"));
    for (level, key) in [("partial", "verify_partial_nothing_captured"), ("full", "verify_full_nothing_captured")] {
        let e = t.app.verify(&t.actor, &id, level, None).unwrap_err();
        assert_eq!(body(&e), expected[key], "{key}");
    }
    let e = t.app.activate(&t.actor, &id).unwrap_err();
    assert_eq!(body(&e), expected["activate_not_verified"]);

    let id = t.complete_individual("BODY-2");
    t.app.verify(&t.actor, &id, "partial", None).unwrap();
    t.app.activate(&t.actor, &id).unwrap();
    let e = t.app.activate(&t.actor, &id).unwrap_err();
    assert_eq!(body(&e), expected["activate_already_active"]);
}
