//! EDD cases: Cybrid's exact 422 and 409, the checklist and evidence, appended decisions,
//! case work, and the activity limits a passed case raises.

use crate::support::{TestApp, body, fixture, minimal_individual};

#[test]
fn opening_needs_a_verified_customer_and_no_case_in_progress() {
    let bodies = fixture("error-bodies.json");
    let mut t = TestApp::new();
    let pending = t.complete_individual("E-1");
    let before = t.counts();
    let e = t.app.open_edd(&t.actor, &pending).unwrap_err();
    assert_eq!(body(&e), bodies["edd_unverified_customer"]);
    assert_eq!(t.counts(), before, "refused, nothing written");

    let customer = t.verified_individual("E-2", "partial");
    let case = t.app.open_edd(&t.actor, &customer).unwrap();
    assert_eq!((case.method, case.state, case.outcome), ("enhanced_due_diligence", "storing", None));
    assert_eq!(t.app.customer(&t.actor, &customer).unwrap().edd_status, "in_progress");
    for state_path in [None, Some("waiting"), Some("pending"), Some("reviewing")] {
        if let Some(to) = state_path {
            t.advance(&case.id, to, None, &[]).unwrap();
        }
        let before = t.counts();
        let e = t.app.open_edd(&t.actor, &customer).unwrap_err();
        assert_eq!(body(&e), bodies["edd_data_exists"], "a case in {state_path:?} blocks another");
        assert_eq!(t.counts(), before);
    }
    // The same rules hold for `idv create --method enhanced_due_diligence`.
    let input = dossier_app::dto::CreateVerificationInput {
        customer_id: Some(customer.clone()),
        verification_type: Some("kyc".into()),
        method: Some("enhanced_due_diligence".into()),
        external_reference: None,
    };
    assert_eq!(body(&t.app.create_verification(&t.actor, &input).unwrap_err()), bodies["edd_data_exists"]);

    // A decided case no longer blocks a new one; neither does an expired one.
    t.attach_all_evidence(&case.id);
    t.decide(&case.id, "failed", &["compliance_rejection"]).unwrap();
    let second = t.app.open_edd(&t.actor, &customer).unwrap();
    t.advance(&second.id, "waiting", None, &[]).unwrap();
    t.advance(&second.id, "expired", None, &[]).unwrap();
    assert_eq!(t.app.open_edd(&t.actor, &customer).unwrap().state, "storing");

    let unknown = "0190a000-0000-7000-8000-00000000ffff";
    assert_eq!(t.app.open_edd(&t.actor, unknown).unwrap_err().status(), 404, "an unknown customer is 404 first");
}

#[test]
fn an_active_customer_is_verified_for_edd() {
    let mut t = TestApp::new();
    let customer = t.verified_individual("E-A", "full");
    t.app.activate(&t.actor, &customer).unwrap();
    assert!(t.app.open_edd(&t.actor, &customer).is_ok());
}

#[test]
fn passing_needs_evidence_for_every_checklist_item_and_raises_the_limits() {
    let mut t = TestApp::new();
    let customer = t.verified_individual("E-3", "full");
    let limits = t.app.customer(&t.actor, &customer).unwrap().activity_limits.unwrap();
    assert_eq!(limits.tier, "full");
    assert_eq!(limits.limits[0].amount, "10000");
    let case = t.app.open_edd(&t.actor, &customer).unwrap().id;
    let checklist: Vec<String> =
        t.app.verification(&t.actor, &case).unwrap().checklist.unwrap().into_iter().map(|i| i.item).collect();
    assert_eq!(checklist, ["proof_of_address", "source_of_funds", "source_of_wealth", "purpose_of_account"]);

    let evidence = |item: &str| dossier_app::dto::EvidenceInput {
        item: Some(item.into()),
        reference: Some(format!("scans/{item}.pdf")),
        description: Some("scanned at branch".into()),
    };
    t.app.add_evidence(&t.actor, &case, &evidence("proof_of_address")).unwrap();
    let before = t.counts();
    let e = t.decide(&case, "passed", &[]).unwrap_err();
    let b = body(&e);
    assert_eq!((b["status"].as_u64(), b["code"].as_str()), (Some(403), Some("edd_evidence_missing")));
    assert_eq!(b["reasons"].as_array().unwrap().len(), 3, "every missing item is listed");
    assert_eq!(t.counts(), before);
    let e = t.app.add_evidence(&t.actor, &case, &evidence("horoscope")).unwrap_err();
    assert_eq!((e.status(), body(&e)["reasons"][0]["field"].as_str()), (400, Some("item")));

    for item in ["source_of_funds", "source_of_wealth", "purpose_of_account"] {
        t.app.add_evidence(&t.actor, &case, &evidence(item)).unwrap();
    }
    t.app.add_note(&t.actor, &case, Some("employer confirmed by phone")).unwrap();
    let decided = t.decide(&case, "passed", &[]).unwrap();
    assert_eq!((decided.state, decided.outcome), ("completed", Some("passed")));
    assert_eq!(decided.decisions.len(), 1);
    let decision = &decided.decisions[0];
    assert_eq!((decision.kind, decision.outcome, decision.decided_by.as_str()), ("edd", "passed", "tester"));
    assert_eq!(decision.evidence.len(), 4, "the decision names the evidence it rests on");
    assert_eq!(decided.notes[0].text, "employer confirmed by phone");

    let view = t.app.customer(&t.actor, &customer).unwrap();
    assert_eq!(view.edd_status, "passed");
    let limits = view.activity_limits.unwrap();
    assert_eq!(
        (limits.tier, limits.limits[0].amount.as_str(), limits.limits[0].currency.as_str()),
        ("edd", "100000", "USD")
    );

    let e = t.app.add_evidence(&t.actor, &case, &evidence("proof_of_address")).unwrap_err();
    assert_eq!(e.code(), "case_closed");
    assert_eq!(t.decide(&case, "failed", &[]).unwrap_err().code(), "invalid_verification_transition", "decided once");
}

#[test]
fn a_failed_case_denies_the_identity_and_keeps_the_limits() {
    let mut t = TestApp::new();
    let customer = t.verified_individual("E-4", "partial");
    let case = t.app.open_edd(&t.actor, &customer).unwrap().id;
    let e = t.decide(&case, "failed", &[]);
    let v = e.unwrap();
    assert_eq!(v.outcome, Some("failed"), "failing needs no evidence");
    let view = t.app.customer(&t.actor, &customer).unwrap();
    assert_eq!((view.edd_status, view.identity_status), ("failed", "DENIED"));
    assert_eq!(view.activity_limits.unwrap().tier, "partial");
    let status = t.app.identity_status(&t.actor, &customer).unwrap();
    assert!(status.status_details.contains_key("failed_verifications"));
}

#[test]
fn decisions_are_appended_never_edited() {
    let mut t = TestApp::new();
    let customer = t.verified_individual("E-5", "partial");
    let case = t.app.open_edd(&t.actor, &customer).unwrap().id;
    t.decide(&case, "failed", &["compliance_rejection"]).unwrap();
    let conn = crate::support::open_db(t.db_path()).unwrap();
    assert!(
        conn.execute("UPDATE decisions SET outcome = 'passed'", []).unwrap_err().to_string().contains("append-only")
    );
    assert!(conn.execute("DELETE FROM decisions", []).unwrap_err().to_string().contains("append-only"));
    let decisions = t.app.decisions(&t.actor, &customer).unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].failure_codes, ["compliance_rejection"]);
    assert_eq!(decisions[0].reason, "reviewed the evidence");
}

#[test]
fn case_work_assign_snooze_and_notes_are_audited() {
    let mut t = TestApp::new();
    let customer = t.verified_individual("E-6", "partial");
    let case = t.app.open_edd(&t.actor, &customer).unwrap();
    assert_eq!(case.sla_due_at.as_deref(), Some("2026-11-27T12:00:00.000000Z"), "EDD SLA: 5 days");
    let v = t.app.assign(&t.actor, &case.id, Some("olivia")).unwrap();
    assert_eq!(v.assignee.as_deref(), Some("olivia"));
    let before = t.counts();
    let e = t.app.snooze(&t.actor, &case.id, Some("2026-11-22"), None).unwrap_err();
    assert_eq!(body(&e)["reasons"][0]["field"], "until", "snoozing needs a future date");
    assert_eq!(t.app.add_note(&t.actor, &case.id, Some("  ")).unwrap_err().status(), 400);
    assert_eq!(t.counts(), before);
    let v = t.app.snooze(&t.actor, &case.id, Some("2026-12-01"), Some("waiting for the customer")).unwrap();
    assert_eq!(v.snoozed_until.as_deref(), Some("2026-12-01"));
    let actions: Vec<String> = t
        .app
        .audit_events(&t.actor, Some(&customer), None, None)
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.ends_with(&["edd.open".into(), "case.assign".into(), "case.snooze".into()]), "{actions:?}");
}

#[test]
fn an_unknown_or_unverified_customer_cannot_have_edd_by_any_path() {
    let mut t = TestApp::new();
    let id = t.create(minimal_individual("E-7"));
    assert_eq!(t.app.open_edd(&t.actor, &id).unwrap_err().code(), "unverified_customer");
    assert_eq!(t.app.open_edd(&t.actor, "nope").unwrap_err().status(), 400);
}
