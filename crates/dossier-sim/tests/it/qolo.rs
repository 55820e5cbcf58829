//! Qolo: KYC at creation, "Person not found", Perform KYC and its refusals, the KYC history
//! with out-of-wallet questions, and the lookup by `client_reference_id`.

use dossier_sim::{QOLO_CDD_PROGRAM, QOLO_SDD_PROGRAM};
use serde_json::{Value, json};

use crate::support::start;

fn person(reference: &str) -> Value {
    json!({
        "first_name": "Katherine", "last_name": "Johnson", "birth_date": "1918-08-26",
        "client_reference_id": reference,
        "base_address": { "address_line1": "1 Langley Blvd", "city": "Hampton", "country": "USA", "postal_code": "23666", "state": "VA" },
    })
}

#[tokio::test]
async fn an_unknown_person_is_404_person_not_found() {
    let sim = start().await;
    let token = sim.qolo_token().await;
    let unknown = "2ae6ba4b-f6c0-4817-a158-43e5a87168fd";
    let expected = json!({ "status": 404, "error": "Not Found", "message": "Person not found" });
    let get = sim.get(&format!("/qolo/api/v1/persons/{unknown}"), &token).await;
    assert_eq!((get.status, get.body), (404, expected.clone()));
    let kyc = sim.post(&format!("/qolo/api/v1/persons/{unknown}/kyc"), &token, json!({ "perform_kyc": true })).await;
    assert_eq!((kyc.status, kyc.body), (404, expected.clone()));
    let history = sim.get(&format!("/qolo/api/v1/persons/{unknown}/kyc"), &token).await;
    assert_eq!((history.status, history.body), (404, expected));
    assert_eq!(sim.get("/qolo/api/v1/persons/not-a-guid", &token).await.status, 400);
}

#[tokio::test]
async fn kyc_runs_at_creation_and_a_failure_still_creates_the_person() {
    let sim = start().await;
    let token = sim.qolo_token().await;
    let sdd = sim
        .post(
            "/qolo/api/v1/persons",
            &token,
            json!({ "program_guid": QOLO_SDD_PROGRAM, "person_details": person("c-1") }),
        )
        .await;
    assert_eq!(sdd.status, 201, "{:?}", sdd.body);
    assert_eq!(sdd.body["person_status"], "CLEARED");
    assert_eq!(sdd.body["person_details"]["verfication_mode"], "SDD");

    // CDD needs an SSN: the person is created unverified with the reason.
    let cdd = sim
        .post(
            "/qolo/api/v1/persons",
            &token,
            json!({ "program_guid": QOLO_CDD_PROGRAM, "person_details": person("c-2") }),
        )
        .await;
    assert_eq!(cdd.status, 201);
    assert_eq!(cdd.body["person_status"], "UNVERIFIED");
    assert_eq!(cdd.body["kyc"]["verificationResults"][0]["reason_code"], "SSN_REQUIRED");
    let guid = cdd.body["person_guid"].as_str().unwrap();

    // Out-of-wallet questions come only while the person is unverified.
    let history = sim.get(&format!("/qolo/api/v1/persons/{guid}/kyc"), &token).await.body;
    let questions = history["verificationResults"][0]["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 2);
    assert!(questions.iter().all(|q| q["prompt"].is_string() && q["key"].is_string() && q["options"].is_array()));

    let kyc =
        json!({ "perform_kyc": true, "identifications": [{ "govt_id_type": "SSN", "govt_id_number": "123-45-6789" }] });
    let performed = sim.post(&format!("/qolo/api/v1/persons/{guid}/kyc"), &token, kyc.clone()).await;
    assert_eq!(performed.status, 200, "{:?}", performed.body);
    let keys: Vec<&str> = performed.body.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["person_guid", "verification_mode", "verification_level", "additional_desc", "verificationResults"]
    );
    assert_eq!(performed.body["verification_level"], "CDD");
    let results = performed.body["verificationResults"].as_array().unwrap();
    assert_eq!(results.len(), 2, "every attempt is kept");
    assert_eq!(results[1]["response_code"], "PASS");
    assert!(results.iter().all(|r| r["questions"] == json!([])), "no questions once verified");
    assert_eq!(sim.get(&format!("/qolo/api/v1/persons/{guid}"), &token).await.body["person_status"], "CLEARED");

    let again = sim.post(&format!("/qolo/api/v1/persons/{guid}/kyc"), &token, kyc).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.body["message"], "Person Already Verified");

    let no_program = sim
        .post(
            "/qolo/api/v1/persons",
            &token,
            json!({ "program_guid": "00000000-0000-4000-8000-000000000000", "person_details": person("c-3") }),
        )
        .await;
    assert_eq!((no_program.status, no_program.body["message"].clone()), (404, json!("Program not found")));
}

#[tokio::test]
async fn oow_answers_and_a_program_flip_verify_through_perform_kyc() {
    let sim = start().await;
    let token = sim.qolo_token().await;
    let mut details = person("c-oow");
    details["base_address"]["address_line1"] = json!("P.O. Box 12");
    let created = sim
        .post("/qolo/api/v1/persons", &token, json!({ "program_guid": QOLO_SDD_PROGRAM, "person_details": details }))
        .await;
    assert_eq!(created.body["kyc"]["verificationResults"][0]["reason_code"], "PO_BOX_ADDRESS");
    let guid = created.body["person_guid"].as_str().unwrap();
    let path = format!("/qolo/api/v1/persons/{guid}/kyc");
    let wrong = json!({ "answers": [{ "key": "oow_street", "answer": "Maple Avenue" }, { "key": "oow_city", "answer": "None of the above" }] });
    assert_eq!(sim.post(&path, &token, wrong).await.body["verificationResults"][1]["reason_code"], "OOW_FAILED");
    let right = json!({ "answers": [{ "key": "oow_street", "answer": "None of the above" }, { "key": "oow_city", "answer": "None of the above" }] });
    let passed = sim.post(&path, &token, right).await.body;
    assert_eq!(passed["verificationResults"][2]["verification_method"], "OOW");
    assert_eq!(passed["verificationResults"][2]["response_code"], "PASS");

    // A verified SDD person upgrades to CDD by flipping program, once an SSN is on file.
    let flip = json!({ "program_guid": QOLO_CDD_PROGRAM });
    let refused = sim.post(&path, &token, flip.clone()).await.body;
    assert_eq!(refused["verification_level"], "SDD", "a failed upgrade leaves the old level");
    let flip = json!({ "program_guid": QOLO_CDD_PROGRAM, "identifications": [{ "govt_id_type": "SSN", "govt_id_number": "123456789" }] });
    // The PO box still fails the electronic check, so the client overrides with its own verification.
    let flip_override = json!({
        "program_guid": QOLO_CDD_PROGRAM,
        "client_verification": { "document_approved": true, "verification_provider": "Acme KYC", "verification_provider_refnumber": "AK-1" },
    });
    assert_eq!(sim.post(&path, &token, flip).await.body["verification_level"], "SDD");
    let upgraded = sim.post(&path, &token, flip_override).await.body;
    assert_eq!(upgraded["verification_level"], "CDD");
    assert_eq!(upgraded["verificationResults"].as_array().unwrap().last().unwrap()["provider_name"], "Acme KYC");
    assert_eq!(sim.get(&format!("/qolo/api/v1/persons/{guid}"), &token).await.body["program_guid"], QOLO_CDD_PROGRAM);
}

#[tokio::test]
async fn a_person_can_be_found_by_client_reference_id() {
    let sim = start().await;
    let token = sim.qolo_token().await;
    let created = sim
        .post(
            "/qolo/api/v1/persons",
            &token,
            json!({ "program_guid": QOLO_SDD_PROGRAM, "person_details": person("ref-42") }),
        )
        .await;
    let found = sim.get("/qolo/api/v1/persons?client_reference_id=ref-42", &token).await;
    assert_eq!(found.status, 200);
    assert_eq!(found.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(found.body["items"][0]["person_guid"], created.body["person_guid"]);
    assert_eq!(sim.get("/qolo/api/v1/persons?client_reference_id=nobody", &token).await.body, json!({ "items": [] }));
    assert_eq!(sim.get("/qolo/api/v1/persons", &token).await.status, 400);
}
