//! Identity status (`fixtures/identity-status.json`) and risk (`fixtures/risk-cases.json`).

use dossier_core::*;
use serde_json::{Value, json};

use crate::support::{TestApp, fixture, minimal_individual};

fn detail(word: &str) -> StatusDetail {
    let parts: Vec<&str> = word.split(':').collect();
    match parts.as_slice() {
        ["pending_verifications"] => {
            StatusDetail::PendingVerifications { items: vec!["kyc/id_and_selfie: pending".into()] }
        }
        ["pending_edd"] => StatusDetail::PendingEdd { reason: "HIGH risk requires a passed EDD case" },
        ["pending_member_approvals"] => {
            StatusDetail::PendingMemberApprovals { members: vec![MemberId::from_bytes([3; 16])] }
        }
        ["failed_verifications"] => StatusDetail::FailedVerifications { items: vec!["customer rejected".into()] },
        ["prohibited_risk_rating"] => StatusDetail::ProhibitedRiskRating,
        ["failed_members"] => StatusDetail::FailedMembers { members: vec![MemberId::from_bytes([4; 16])] },
        ["control", kind, rest @ ..] => StatusDetail::FailedControls {
            controls: vec![(
                ControlType::parse(kind).unwrap(),
                if rest == ["admin"] { ControlSetBy::Admin } else { ControlSetBy::Firm },
            )],
        },
        other => panic!("unknown detail {other:?}"),
    }
}

#[test]
fn the_status_follows_the_table() {
    for case in fixture("identity-status.json")["cases"].as_array().unwrap() {
        let details: Vec<StatusDetail> =
            case["details"].as_array().unwrap().iter().map(|d| detail(d.as_str().unwrap())).collect();
        assert_eq!(derive_status(&details).as_str(), case["status"], "{}", case["details"]);
    }
}

#[test]
fn the_status_explains_itself() {
    let mut t = TestApp::new();
    let id = t.complete_individual("I-1");
    let s = t.app.identity_status(&t.actor, &id).unwrap();
    assert_eq!(s.status, "PENDING");
    assert_eq!(
        s.status_details["pending_verifications"],
        json!({"message": "verifications pending: customer not verified yet", "metadata": {"statuses": ["customer not verified yet"]}})
    );
    t.app.verify(&t.actor, &id, "partial", None).unwrap();
    assert_eq!(t.app.identity_status(&t.actor, &id).unwrap().status, "APPROVED");
    assert!(t.app.identity_status(&t.actor, &id).unwrap().status_details.is_empty());

    let control = |kind: &str, by: &str| dossier_app::dto::ControlInput {
        control_type: Some(kind.into()),
        set_by: Some(by.into()),
        reason_code: Some("COMPLIANCE_INVESTIGATION".into()),
    };
    t.app.add_control(&t.actor, &id, &control("frozen", "admin"), Some("investigation 7")).unwrap();
    t.app.add_control(&t.actor, &id, &control("dormant", "firm"), Some("no activity")).unwrap();
    let s = t.app.identity_status(&t.actor, &id).unwrap();
    assert_eq!(s.status, "ERROR", "frozen wins over dormant");
    assert_eq!(
        s.status_details["failed_controls"]["metadata"],
        json!({"dormant": true, "frozen": false, "closed": false, "denied": false,
               "admin_controls": {"dormant": false, "frozen": true, "closed": false, "denied": false}})
    );
    assert_eq!(t.app.customer(&t.actor, &id).unwrap().identity_status, "ERROR", "the stored status agrees");
}

#[test]
fn a_business_waits_for_its_members_and_fails_with_them() {
    let mut t = TestApp::new();
    let owner = t.verified_individual("I-OWN", "partial");
    let business = t.create(json!({
        "type": "business", "ref_id": "I-BIZ",
        "institution": {"legal_name": "Acme", "country_of_formation": "US", "members": [
            {"first_name": "Ana", "last_name": "Silva", "roles": ["BENEFICIAL_OWNER", "MANAGEMENT_CONTROL_PERSON"],
             "ownership_percentage": 80, "person_customer_id": owner},
            {"first_name": "Bo", "last_name": "Chen", "roles": ["AUTHORIZED_USER"]}
        ]}
    }));
    let s = t.app.identity_status(&t.actor, &business).unwrap();
    let pending = s.status_details["pending_member_approvals"]["metadata"]["pending_members"].as_array().unwrap().len();
    assert_eq!(pending, 1, "the member not captured as a person is pending; the approved one is not");

    // The owner is rejected after a failed ID check: the business's members fail.
    let id = t.verification_in(&owner, "id_and_selfie", "pending");
    t.advance(&id, "completed", Some("failed"), &["id_check_failure"]).unwrap();
    assert_eq!(t.app.identity_status(&t.actor, &owner).unwrap().status, "DENIED");
    let s = t.app.identity_status(&t.actor, &business).unwrap();
    assert_eq!(s.status, "DENIED");
    assert!(s.status_details.contains_key("failed_members"));
    assert_eq!(
        t.app.customer(&t.actor, &business).unwrap().identity_status,
        "DENIED",
        "the change followed the member"
    );
}

fn risk_input(case: &Value, n: usize) -> Value {
    let mut input = if case["type"] == "business" {
        json!({"type": "business", "ref_id": format!("R-{n}"), "institution": {"legal_name": "Acme", "country_of_formation": "US",
            "members": [{"first_name": "A", "last_name": "B", "roles": ["BENEFICIAL_OWNER", "MANAGEMENT_CONTROL_PERSON"], "ownership_percentage": 100}]}})
    } else {
        minimal_individual(&format!("R-{n}"))
    };
    for (k, v) in case["customer"].as_object().unwrap() {
        input[k] = v.clone();
    }
    input
}

#[test]
fn risk_ratings_follow_the_table_with_every_factor_explained() {
    let mut t = TestApp::new();
    for (n, case) in fixture("risk-cases.json")["cases"].as_array().unwrap().iter().enumerate() {
        let name = case["name"].as_str().unwrap();
        let id = t.create(risk_input(case, n));
        let r = t.app.risk(&t.actor, &id).unwrap();
        assert_eq!(r.rating, case["rating"], "{name}");
        assert_eq!(Value::from(r.score), case["score"], "{name}");
        let codes: Vec<&str> = r.factors.iter().map(|f| f.code).collect();
        let want: Vec<&str> = case["factors"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
        assert_eq!(codes, want, "{name}");
        assert_eq!(t.app.customer(&t.actor, &id).unwrap().risk_rating, case["rating"], "{name}: stored for the queues");
        assert_eq!(r.requires_edd, case["rating"] == "HIGH", "{name}");
    }
}

#[test]
fn high_risk_requires_edd_and_prohibited_denies() {
    let mut t = TestApp::new();
    let mut input = crate::support::complete_individual("R-HIGH");
    input["politically_exposed"] = json!(true);
    input["customer_due_diligence"]["expected_activity_level"] = json!("HIGH");
    let id = t.create(input);
    for kind in ["email", "mobile"] {
        t.verify_contact(&id, kind);
    }
    t.app.verify(&t.actor, &id, "full", None).unwrap();
    let s = t.app.identity_status(&t.actor, &id).unwrap();
    assert_eq!(s.status, "PENDING");
    assert_eq!(s.status_details["pending_edd"]["metadata"]["reason"], "HIGH risk requires a passed EDD case");
    let case = t.app.open_edd(&t.actor, &id).unwrap().id;
    t.attach_all_evidence(&case);
    t.decide(&case, "passed", &[]).unwrap();
    assert_eq!(t.app.identity_status(&t.actor, &id).unwrap().status, "APPROVED");
    assert_eq!(
        t.app.risk(&t.actor, &id).unwrap().kyc_refresh_due_on.as_deref(),
        Some("2027-11-22"),
        "HIGH: refresh yearly"
    );

    let mut input = minimal_individual("R-PRO");
    input["person"]["country_of_citizenship"] = json!("IR");
    let id = t.create(input);
    let s = t.app.identity_status(&t.actor, &id).unwrap();
    assert_eq!(s.status, "DENIED");
    assert!(s.status_details.contains_key("prohibited_risk_rating"));
}

#[test]
fn refresh_due_dates_follow_the_risk_and_the_last_refresh() {
    let mut t = TestApp::new();
    let id = t.verified_individual("RF-1", "partial");
    assert_eq!(
        t.app.risk(&t.actor, &id).unwrap().kyc_refresh_due_on.as_deref(),
        Some("2029-11-22"),
        "LOW: three years after verification"
    );
    let mut input = crate::support::complete_individual("RF-2");
    input["last_kyc_refresh_date"] = json!("2024-02-29");
    let id = t.create(input);
    assert_eq!(
        t.app.risk(&t.actor, &id).unwrap().kyc_refresh_due_on.as_deref(),
        Some("2027-02-28"),
        "a leap day falls back to the 28th"
    );
}
