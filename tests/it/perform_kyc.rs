//! Qolo's perform KYC: re-attempts, documents, out-of-wallet answers and client overrides, every
//! attempt kept as a result.

use dossier_app::dto::{KycReportInput, PerformKycInput};
use serde_json::json;

use crate::support::{TestApp, body};

fn perform(
    t: &mut TestApp,
    id: &str,
    input: serde_json::Value,
) -> dossier_app::Result<dossier_app::dto::KycResultsView> {
    let input: PerformKycInput = dossier_app::input::from_json(&input.to_string())?;
    let submitted = t.app.perform_kyc(&t.actor, id, &input);
    t.settle(submitted, |app, actor| app.kyc_results(actor, id))
}

#[test]
fn every_attempt_is_kept_as_a_result() {
    let mut t = TestApp::new();
    let id = t.complete_individual("K-1");
    let r = perform(
        &mut t,
        &id,
        json!({"perform_kyc": true, "notes": "address fixed",
        "identifications": [{"govt_id_type": "SSN", "govt_id_number": "123456789"}]}),
    )
    .unwrap();
    assert_eq!(r.results.len(), 1);
    assert_eq!((r.results[0].action, r.results[0].status), ("reattempt", "submitted"));
    let r = perform(
        &mut t,
        &id,
        json!({"document": {"document_type": "PASSPORT", "file_type": "JPG", "issuing_country": "US",
        "front": "scans/front.jpg", "face_image": "scans/face.jpg", "liveness_detected": true}}),
    )
    .unwrap();
    assert_eq!(r.results[1].action, "document");
    let text = std::fs::read(t.db_path()).unwrap();
    assert!(!String::from_utf8_lossy(&text).contains("123456789\""), "the identification number is not kept whole");
}

#[test]
fn answers_must_fit_the_open_questions() {
    let mut t = TestApp::new();
    let id = t.complete_individual("K-2");
    let before = t.counts();
    let e = perform(&mut t, &id, json!({"answers": [{"key": "q1", "answer": "Elm St"}]})).unwrap_err();
    assert_eq!((e.status(), e.code()), (422, "no_open_questions"));
    assert_eq!(t.counts(), before);

    let report: KycReportInput = dossier_app::input::from_json(
        &json!({"verification_level": "SDD", "verificationResults": [{
        "verification_method": "IDOLOGY", "response_code": "FAIL", "reason_code": "ADDRESS_MISMATCH",
        "provider_name": "idology", "provider_reference": "IDL-77",
        "questions": [{"prompt": "Which street have you lived on?", "key": "q1", "options": ["Elm St", "Oak Ave"]},
                      {"prompt": "Which car have you owned?", "key": "q2", "options": ["Sedan", "Truck"]}]}]})
        .to_string(),
    )
    .unwrap();
    let r = t.app.record_kyc_report(&t.actor, &id, &report).unwrap();
    assert_eq!(r.open_questions.len(), 2);
    assert_eq!(r.results[0].reason_codes, ["ADDRESS_MISMATCH"]);

    let before = t.counts();
    let e =
        perform(&mut t, &id, json!({"answers": [{"key": "q1", "answer": "Pine Rd"}, {"key": "q9", "answer": "x"}]}))
            .unwrap_err();
    let b = body(&e);
    assert_eq!(b["code"], "invalid_answers");
    let codes: Vec<&str> = b["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["invalid_answer", "unknown_question"]);
    assert!(!b.to_string().contains("Pine"), "answers are not echoed");
    assert_eq!(t.counts(), before);

    let r = perform(&mut t, &id, json!({"answers": [{"key": "q1", "answer": "Elm St"}]})).unwrap();
    assert_eq!(r.open_questions.iter().map(|q| q.key.as_str()).collect::<Vec<_>>(), ["q2"], "answered questions close");
}

#[test]
fn a_client_override_is_an_attested_pass_with_a_decision() {
    let mut t = TestApp::new();
    let id = t.complete_individual("K-3");
    let before = t.counts();
    let e = perform(&mut t, &id, json!({"client_verification": {"document_approved": true}})).unwrap_err();
    let b = e.body();
    let fields: Vec<&str> = b.reasons.iter().filter_map(|r| r.field.as_deref()).collect();
    assert_eq!(
        fields,
        [
            "client_verification.verification_provider",
            "client_verification.verification_provider_refnumber",
            "client_verification.verification_level",
            "client_verification.reason"
        ]
    );
    assert_eq!(t.counts(), before);

    let r = perform(&mut t, &id, json!({"client_verification": {"document_approved": true, "override_sanction_check": true,
        "person_status_update": true, "verification_datetime": "2026-11-21T09:30:00Z", "verification_provider": "partner-kyc",
        "verification_provider_refnumber": "PK-123", "verification_level": "CDD", "reason": "verified by our partner bank"}})).unwrap();
    let result = &r.results[0];
    assert_eq!(
        (result.action, result.status, result.verification_level.as_deref()),
        ("client_override", "overridden", Some("CDD"))
    );
    assert_eq!(
        (result.provider.as_deref(), result.provider_reference.as_deref()),
        (Some("partner-kyc"), Some("PK-123"))
    );

    let decisions = t.app.decisions(&t.actor, &id).unwrap();
    assert_eq!((decisions[0].kind, decisions[0].outcome), ("client_override", "passed"));
    assert_eq!(decisions[0].reason, "verified by our partner bank");
    let v = t.app.verification(&t.actor, decisions[0].verification_id.as_ref().unwrap()).unwrap();
    assert_eq!((v.method, v.state, v.outcome), ("attested", "completed", Some("passed")));
    assert_eq!(v.external_reference.as_deref(), Some("PK-123"));
    assert_eq!(
        t.app.risk(&t.actor, &id).unwrap().last_kyc_refresh_date.as_deref(),
        Some("2026-11-22"),
        "a passed KYC is a refresh"
    );
}

#[test]
fn an_empty_request_is_refused() {
    let mut t = TestApp::new();
    let id = t.complete_individual("K-4");
    let e = perform(&mut t, &id, json!({})).unwrap_err();
    assert_eq!((e.status(), e.body().reasons[0].code.as_str()), (400, "nothing_to_perform"));
    let e = perform(&mut t, &id, json!({"perform_kyc": true, "surprise": 1})).unwrap_err();
    assert_eq!(e.body().reasons[0].code, "unknown_field");
}
