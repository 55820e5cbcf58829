//! Identity verifications: the state machine (`fixtures/verification-transitions.json`) through
//! the pure function and through the app, failure codes, deadlines, and what completed
//! verifications do to the customer.

use dossier_core::*;
use serde_json::Value;
use time::Duration;
use time::macros::datetime;

use crate::support::{NOW, TestApp, body, fixture};

fn verification(method: VerificationMethod, state: VerificationState) -> Verification {
    Verification {
        id: VerificationId::from_bytes([1; 16]),
        customer_id: CustomerId::from_bytes([2; 16]),
        verification_type: VerificationType::Kyc,
        method,
        state,
        compliance_checks: vec![],
        compliance_decisions: vec![],
        external_reference: None,
        expires_at: None,
        assignee: None,
        sla_due_at: None,
        snoozed_until: None,
        checklist: vec![],
        created_at: NOW,
        updated_at: NOW,
    }
}

fn state_named(name: &str) -> VerificationState {
    match name {
        "storing" => VerificationState::Storing,
        "waiting" => VerificationState::Waiting,
        "pending" => VerificationState::Pending,
        "reviewing" => VerificationState::Reviewing,
        "completed" => {
            VerificationState::Completed { outcome: Outcome::Passed, failure_codes: vec![], completed_at: NOW }
        }
        "expired" => VerificationState::Expired { expired_at: NOW },
        other => panic!("unknown state {other}"),
    }
}

fn step_named(name: &str) -> VerificationStep {
    match name {
        "wait" => VerificationStep::Wait,
        "start" => VerificationStep::Start,
        "review" => VerificationStep::Review,
        "complete" => VerificationStep::Complete { outcome: Outcome::Passed, failure_codes: vec![] },
        "expire" => VerificationStep::Expire,
        "decide" => VerificationStep::Decide { outcome: Outcome::Passed, failure_codes: vec![] },
        other => panic!("unknown step {other}"),
    }
}

fn tables() -> Vec<(String, Value, Vec<String>)> {
    let t = fixture("verification-transitions.json");
    let steps: Vec<String> = t["steps"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
    ["interactive", "non_interactive"]
        .iter()
        .map(|k| (t[k]["method"].as_str().unwrap().to_owned(), t[k]["rows"].clone(), steps.clone()))
        .collect()
}

#[test]
fn the_state_machine_follows_the_table() {
    for (method, rows, steps) in tables() {
        let method = VerificationMethod::parse(&method).unwrap();
        let rows = rows.as_object().unwrap();
        assert_eq!(rows.len(), VerificationState::NAMES.len(), "one row per state");
        for state in VerificationState::NAMES {
            for step in &steps {
                let expected = rows[state][step].as_str().unwrap_or_else(|| panic!("{state} × {step} in the table"));
                let v = verification(method, state_named(state));
                let got = match v.apply(step_named(step), NOW) {
                    Ok(next) => next.name().to_owned(),
                    Err(e) => {
                        assert_eq!(e.code(), "invalid_verification_transition");
                        "!".to_owned()
                    }
                };
                assert_eq!(got, expected, "{method} {state} × {step}");
            }
        }
    }
}

#[test]
fn an_outcome_exists_only_once_completed() {
    for name in VerificationState::NAMES {
        let state = state_named(name);
        assert_eq!(state.outcome().is_some(), name == "completed", "{name}");
    }
}

#[test]
fn the_app_follows_the_table_and_refusals_change_nothing() {
    let mut t = TestApp::new();
    let customer = t.complete_individual("V-1");
    for (method, rows, steps) in tables() {
        for state in VerificationState::NAMES {
            for step in &steps {
                let expected = rows[state][step].as_str().unwrap();
                let id = t.verification_in(&customer, &method, state);
                let before = t.counts();
                let before_view = serde_json::to_value(t.app.verification(&t.actor, &id).unwrap()).unwrap();
                let result = match step.as_str() {
                    "decide" => t.decide(&id, "passed", &[]),
                    "complete" => t.advance(&id, "completed", Some("passed"), &[]),
                    "wait" => t.advance(&id, "waiting", None, &[]),
                    "start" => t.advance(&id, "pending", None, &[]),
                    "review" => t.advance(&id, "reviewing", None, &[]),
                    "expire" => t.advance(&id, "expired", None, &[]),
                    other => panic!("{other}"),
                };
                match (result, expected) {
                    (Err(e), "!") => {
                        let b = body(&e);
                        assert_eq!(
                            (b["status"].as_u64(), b["code"].as_str()),
                            (Some(403), Some("invalid_verification_transition"))
                        );
                        assert_eq!(t.counts(), before, "{method} {state} × {step}: refused, nothing written");
                        assert_eq!(
                            serde_json::to_value(t.app.verification(&t.actor, &id).unwrap()).unwrap(),
                            before_view
                        );
                    }
                    (Ok(v), expected) => assert_eq!(v.state, expected, "{method} {state} × {step}"),
                    (Err(e), expected) => {
                        panic!("{method} {state} × {step}: refused ({}) but expected {expected}", e.code())
                    }
                }
            }
        }
    }
}

#[test]
fn all_43_failure_codes_are_known_and_unknown_ones_are_kept() {
    assert_eq!(FailureCode::ALL.len(), 43);
    for code in FailureCode::ALL {
        assert_eq!(FailureCodeValue::parse(code.as_str()).unwrap(), FailureCodeValue::Known(*code));
    }
    assert_eq!(
        FailureCodeValue::parse("brand_new_check_failure").unwrap(),
        FailureCodeValue::Other("brand_new_check_failure".into())
    );
    assert!(FailureCodeValue::parse("Not A Code").is_err());
    assert_eq!(VerificationMethod::ALL.len(), 15);
    assert_eq!(ComplianceType::ALL.len(), 24);

    let mut t = TestApp::new();
    let customer = t.complete_individual("FC-1");
    let id = t.verification_in(&customer, "id_and_selfie", "pending");
    let v = t.advance(&id, "completed", Some("failed"), &["name_check_failure", "vendor_added_failure"]).unwrap();
    assert_eq!(v.outcome, Some("failed"));
    assert_eq!(v.failure_codes, ["name_check_failure", "vendor_added_failure"], "unknown codes are kept as text");
    assert_eq!(v.compliance_decisions[0].decision_type, "person_gov_id_verification");
    assert_eq!(v.compliance_decisions[0].state, "failed");
    let before = t.counts();
    let e = t.advance(&id, "completed", Some("failed"), &["Bad Code!"]).unwrap_err();
    assert_eq!(body(&e)["reasons"][0]["field"], "failure_codes[0]");
    assert_eq!(t.counts(), before);
}

#[test]
fn unfinished_verifications_expire_at_their_method_deadline() {
    let mut t = TestApp::new();
    let customer = t.complete_individual("EXP-1");
    let selfie = t.verification_in(&customer, "id_and_selfie", "waiting");
    let business = t.verification_in(&customer, "business_registration", "pending");
    let documents = t.verification_in(&customer, "document_submission", "waiting");
    let attested = t.verification_in(&customer, "attested", "waiting");
    assert_eq!(
        t.app.verification(&t.actor, &selfie).unwrap().expires_at.as_deref(),
        Some("2026-11-22T13:00:00.000000Z"),
        "60 minutes"
    );
    assert_eq!(
        t.app.verification(&t.actor, &business).unwrap().expires_at.as_deref(),
        Some("2026-11-23T12:00:00.000000Z"),
        "24 hours"
    );
    assert_eq!(
        t.app.verification(&t.actor, &documents).unwrap().expires_at.as_deref(),
        Some("2026-11-29T12:00:00.000000Z"),
        "7 days"
    );
    assert_eq!(t.app.verification(&t.actor, &attested).unwrap().expires_at, None, "no deadline");

    let state = |t: &TestApp, id: &str| t.app.verification(&t.actor, id).unwrap().state;
    let r = t.app.tick(&t.actor, Some("2026-11-22T12:59:59Z")).unwrap();
    assert_eq!(r.verifications_expired, 0);
    let r = t.app.tick(&t.actor, Some("2026-11-22T13:00:00Z")).unwrap();
    assert_eq!(r.verifications_expired, 1);
    assert_eq!(state(&t, &selfie), "expired");
    assert_eq!(state(&t, &business), "pending");
    t.clock.set(NOW + Duration::days(8));
    let r = t.app.tick(&t.actor, None).unwrap();
    assert_eq!(r.verifications_expired, 2);
    assert_eq!((state(&t, &business), state(&t, &documents), state(&t, &attested)), ("expired", "expired", "waiting"));
    assert_eq!(t.app.tick(&t.actor, None).unwrap().verifications_expired, 0, "the tick is idempotent");
}

#[test]
fn a_failed_id_or_selfie_check_rejects_a_pending_customer_but_other_failures_do_not() {
    let mut t = TestApp::new();
    for (n, (code, rejects)) in
        [("id_expiration_check_failure", true), ("selfie_pose_check_failure", true), ("database_check_failure", false)]
            .into_iter()
            .enumerate()
    {
        let customer = t.complete_individual(&format!("REJ-{n}"));
        let id = t.verification_in(&customer, "id_and_selfie", "pending");
        t.advance(&id, "completed", Some("failed"), &[code]).unwrap();
        let expected = if rejects { "rejected" } else { "pending" };
        assert_eq!(t.state_of(&customer), expected, "{code}");
        assert_eq!(
            t.app.identity_status(&t.actor, &customer).unwrap().status,
            "DENIED",
            "{code}: a failed verification denies"
        );
    }
    // A verified customer is not rejected by a later failure.
    let customer = t.verified_individual("REJ-V", "partial");
    let id = t.verification_in(&customer, "id_and_selfie", "pending");
    t.advance(&id, "completed", Some("failed"), &["id_check_failure"]).unwrap();
    assert_eq!(t.state_of(&customer), "verified(partial)");
}

#[test]
fn a_passed_kyc_verifies_a_pending_customer_only_when_the_policy_says_so_and_the_gate_passes() {
    let mut t = TestApp::new();
    let customer = t.complete_individual("POL-1");
    let id = t.verification_in(&customer, "id_and_selfie", "pending");
    t.advance(&id, "completed", Some("passed"), &[]).unwrap();
    assert_eq!(t.state_of(&customer), "pending", "record_only by default");

    let mut policy = t.app.policy(&t.actor).unwrap();
    policy.on_kyc_passed = "verify_partial".into();
    t.app.set_policy(&t.actor, &policy).unwrap();
    let customer = t.complete_individual("POL-2");
    let id = t.verification_in(&customer, "id_and_selfie", "pending");
    t.advance(&id, "completed", Some("passed"), &[]).unwrap();
    assert_eq!(t.state_of(&customer), "verified(partial)");

    // The gate still decides: no verified contacts, no verification.
    let customer = t.create(crate::support::complete_individual("POL-3"));
    let id = t.verification_in(&customer, "id_and_selfie", "pending");
    t.advance(&id, "completed", Some("passed"), &[]).unwrap();
    assert_eq!(t.state_of(&customer), "pending");
    let audit = t.app.audit_events(&t.actor, Some(&customer), None, None).unwrap();
    let last = audit.items.last().unwrap();
    assert_eq!(last.summary["effects"]["gate_missing"], serde_json::json!(["email_unverified", "mobile_unverified"]));
}

#[test]
fn an_expired_government_id_decision_sends_a_verified_customer_back_and_holds_an_active_one() {
    let mut t = TestApp::new();
    let verified = t.verified_individual("GOV-1", "partial");
    let active = t.verified_individual("GOV-2", "partial");
    t.app.activate(&t.actor, &active).unwrap();
    for customer in [&verified, &active] {
        let id = t.verification_in(customer, "id_and_selfie", "pending");
        let v = t.advance(&id, "completed", Some("passed"), &[]).unwrap();
        // The passport in the fixture expires on 2031-01-01: the decision lasts through that day.
        assert_eq!(v.compliance_decisions[0].expired_at.as_deref(), Some("2031-01-02T00:00:00.000000Z"));
        assert_eq!(t.app.identity_status(&t.actor, customer).unwrap().status, "APPROVED");
    }
    let r = t.app.tick(&t.actor, Some("2031-01-01T23:59:59Z")).unwrap();
    assert_eq!(r.decisions_expired, 0);
    let r = t.app.tick(&t.actor, Some("2031-01-02T00:00:00Z")).unwrap();
    assert_eq!((r.decisions_expired, r.customers_needing_kyc_again), (2, 2));
    assert_eq!(t.state_of(&verified), "pending", "verified → pending: KYC needed again");
    assert_eq!(t.state_of(&active), "active(partial)", "an active customer stays active");
    let status = t.app.identity_status(&t.actor, &active).unwrap();
    assert_eq!(status.status, "PENDING", "…but cannot transact");
    assert!(status.status_details["pending_verifications"]["message"].as_str().unwrap().contains("government ID"));

    // A new passing verification clears it.
    t.clock.set(datetime!(2031-01-03 09:00 UTC));
    let doc = dossier_app::dto::DocumentInput {
        document_type: Some("passport".into()),
        number: Some("Z9876543".into()),
        issuing_country: Some("US".into()),
        expires_on: Some("2041-01-01".into()),
        ..Default::default()
    };
    t.app.add_document(&t.actor, &active, &doc).unwrap();
    let id = t.verification_in(&active, "id_and_selfie", "pending");
    t.advance(&id, "completed", Some("passed"), &[]).unwrap();
    assert_eq!(t.app.identity_status(&t.actor, &active).unwrap().status, "APPROVED");
}
