//! The firm's policy: shown with its defaults, replaced whole after validation, audited.

use crate::support::{TestApp, body};

#[test]
fn the_policy_round_trips_and_bad_values_are_refused_field_by_field() {
    let mut t = TestApp::new();
    let policy = t.app.policy(&t.actor).unwrap();
    assert_eq!(policy.on_kyc_passed, "record_only");
    assert_eq!(policy.verification_deadline_minutes["id_and_selfie"], 60);
    assert_eq!(policy.sla_hours["edd"], 120);
    assert_eq!(policy.activity_limits["edd"][0].amount, "100000");

    let mut bad = policy.clone();
    bad.on_kyc_passed = "always".into();
    bad.sla_hours.insert("edd".into(), 0);
    bad.refresh_years.insert("HIGH".into(), 0);
    bad.activity_limits.get_mut("full").unwrap()[0].amount = "-5".into();
    bad.activity_limits.get_mut("full").unwrap()[0].currency = "dollars".into();
    bad.risk.high_risk_countries.push("XX".into());
    let before = t.counts();
    let e = t.app.set_policy(&t.actor, &bad).unwrap_err();
    let b = body(&e);
    let fields: Vec<&str> = b["reasons"].as_array().unwrap().iter().map(|r| r["field"].as_str().unwrap()).collect();
    assert_eq!(
        fields,
        [
            "on_kyc_passed",
            "sla_hours.edd",
            "refresh_years.HIGH",
            "activity_limits.full[0].amount",
            "activity_limits.full[0].currency",
            "risk.high_risk_countries[10]"
        ]
    );
    assert_eq!(t.counts(), before);

    let mut good = policy.clone();
    good.edd_checklist = vec!["proof_of_address".into(), "bank_statements".into()];
    good.sla_hours.insert("edd".into(), 48);
    t.app.set_policy(&t.actor, &good).unwrap();
    assert_eq!(t.app.policy(&t.actor).unwrap().edd_checklist, ["proof_of_address", "bank_statements"]);
    let customer = t.verified_individual("S-1", "partial");
    let case = t.app.open_edd(&t.actor, &customer).unwrap();
    let items: Vec<String> = case.checklist.unwrap().into_iter().map(|i| i.item).collect();
    assert_eq!(items, ["proof_of_address", "bank_statements"], "new cases use the new checklist");
    assert_eq!(case.sla_due_at.as_deref(), Some("2026-11-24T12:00:00.000000Z"));
    let audit = t.app.audit_events(&t.actor, None, Some(500), None).unwrap();
    assert!(audit.items.iter().any(|e| e.action == "settings.set_policy"));
}
