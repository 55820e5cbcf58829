//! Cybrid: EDD refusals in the documented order with exact bodies, the list envelope and comma
//! filters, guid format, state changes, PATCH, scopes and `include_pii`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{ID, SECRET, start};

fn edd(customer_guid: &str) -> Value {
    json!({ "type": "kyc", "method": "enhanced_due_diligence", "customer_guid": customer_guid })
}

fn is_guid(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.len() == 32 && s.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)))
}

#[tokio::test]
async fn edd_is_refused_404_then_422_until_verified_then_409_while_one_is_in_progress() {
    let sim = start().await;
    let token = sim.cybrid_token().await;
    let ivs = "/cybrid/api/identity_verifications";

    let unknown = sim.post(ivs, &token, edd("0123456789abcdef0123456789abcdef")).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.body,
        json!({ "status": 404, "error_message": "customer not found", "message_code": "not_found" })
    );

    let customer = sim.post("/cybrid/api/customers", &token, json!({ "type": "individual" })).await;
    assert_eq!(customer.status, 201);
    assert_eq!(customer.body["state"], "storing");
    let guid = customer.body["guid"].as_str().unwrap().to_string();
    assert!(is_guid(&customer.body["guid"]) && is_guid(&customer.body["bank_guid"]), "{:?}", customer.body);

    let unverified = sim.post(ivs, &token, edd(&guid)).await;
    assert_eq!(unverified.status, 422);
    assert_eq!(
        unverified.body,
        json!({ "status": 422, "error_message": "Customer has not been verified", "message_code": "unverified_customer" })
    );

    let attested = json!({ "type": "kyc", "method": "attested", "customer_guid": guid, "date_of_birth": "1990-01-01" });
    assert_eq!(sim.post(ivs, &token, attested).await.status, 201);

    let created = sim.post(ivs, &token, edd(&guid)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let body = created.body.as_object().unwrap();
    let keys: Vec<&str> = body.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "created_at",
            "updated_at",
            "type",
            "guid",
            "method",
            "customer_guid",
            "state",
            "outcome",
            "failure_codes",
            "compliance_decisions"
        ]
    );
    assert_eq!(body["type"], "kyc");
    assert_eq!(body["method"], "enhanced_due_diligence");
    assert_eq!(body["customer_guid"], guid.as_str());
    assert_eq!(body["state"], "storing");
    assert_eq!(body["outcome"], Value::Null);
    assert_eq!(body["failure_codes"], json!([]));
    assert_eq!(body["compliance_decisions"], json!([]));
    assert!(is_guid(&body["guid"]));

    let conflict = sim.post(ivs, &token, edd(&guid)).await;
    assert_eq!(conflict.status, 409);
    assert_eq!(
        conflict.body,
        json!({ "status": 409, "error_message": "Identity verification in progress already exists", "message_code": "data_exists" })
    );

    // Once the case is completed, a new one may be opened.
    let edd_guid = body["guid"].as_str().unwrap();
    let done = sim
        .post(
            &format!("/cybrid/_sandbox/identity_verifications/{edd_guid}/complete"),
            &token,
            json!({ "outcome": "passed" }),
        )
        .await;
    assert_eq!(done.status, 200);
    assert_eq!(done.body["state"], "completed");
    assert_eq!(done.body["outcome"], "passed");
    assert_eq!(sim.post(ivs, &token, edd(&guid)).await.status, 201);

    // A passed EDD raises the customer's activity limits above the verified tier.
    let customer = sim.get(&format!("/cybrid/api/customers/{guid}"), &token).await.body;
    assert_eq!(customer["activity_limits"][0]["amount"], 10_000_000);
}

#[tokio::test]
async fn get_by_guid_adds_the_persona_fields_that_list_and_create_leave_out() {
    let sim = start().await;
    let token = sim.cybrid_token().await;
    let customer = sim.verified_cybrid_customer(&token).await;
    let created = sim.post("/cybrid/api/identity_verifications", &token, edd(&customer)).await.body;
    let guid = created["guid"].as_str().unwrap();

    let details = sim.get(&format!("/cybrid/api/identity_verifications/{guid}"), &token).await;
    assert_eq!(details.status, 200);
    assert_eq!(details.body["state"], "waiting");
    assert_eq!(details.body["persona_state"], "waiting");
    assert_eq!(details.body["compliance_checks"], json!([]));
    let inquiry = details.body["persona_inquiry_id"].as_str().unwrap();
    assert!(inquiry.starts_with("inq_") && inquiry.len() == 33, "{inquiry}");

    let listed = sim.get(&format!("/cybrid/api/identity_verifications?guid={guid}"), &token).await.body;
    assert!(listed["objects"][0].get("persona_inquiry_id").is_none());

    let missing = sim.get("/cybrid/api/identity_verifications/ffffffffffffffffffffffffffffffff", &token).await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.body,
        json!({ "status": 404, "error_message": "identity_verification not found", "message_code": "not_found" })
    );
}

#[tokio::test]
async fn lists_are_newest_first_in_the_envelope_and_filter_on_comma_separated_values() {
    let sim = start().await;
    let token = sim.cybrid_token().await;
    let customer = sim.verified_cybrid_customer(&token).await;
    let other = sim.verified_cybrid_customer(&token).await;
    let ivs = "/cybrid/api/identity_verifications";
    let edd_guid = sim.post(ivs, &token, edd(&customer)).await.body["guid"].as_str().unwrap().to_string();
    let selfie = json!({ "type": "kyc", "method": "id_and_selfie", "customer_guid": customer });
    let selfie_guid = sim.post(ivs, &token, selfie).await.body["guid"].as_str().unwrap().to_string();

    // The SDK sends the state filter URL-encoded: storing%2Cwaiting.
    let open =
        sim.get(&format!("{ivs}?customer_guid={customer}&state=storing%2Cwaiting&page=0&per_page=10"), &token).await;
    assert_eq!(open.status, 200);
    let envelope = open.body.as_object().unwrap();
    assert_eq!(envelope.keys().collect::<Vec<_>>(), ["total", "page", "per_page", "objects"]);
    assert_eq!(open.body["total"], 2);
    let guids: Vec<&str> =
        open.body["objects"].as_array().unwrap().iter().map(|o| o["guid"].as_str().unwrap()).collect();
    assert_eq!(guids, [selfie_guid.as_str(), edd_guid.as_str()], "newest first");

    let edd_only = sim
        .get(
            &format!(
                "{ivs}?type=kyc&method=enhanced_due_diligence%2Cdocument_submission&customer_guid={customer}%2C{other}"
            ),
            &token,
        )
        .await;
    assert_eq!(edd_only.body["total"], 1);
    assert_eq!(edd_only.body["objects"][0]["guid"], edd_guid.as_str());

    let empty_filter = sim.get(&format!("{ivs}?state=&customer_guid={customer}"), &token).await;
    assert_eq!(empty_filter.body["total"], 3, "an empty filter is no filter");

    let completed = sim.get(&format!("{ivs}?state=completed"), &token).await;
    assert_eq!(completed.body["total"], 2, "the two attested verifications");

    let page = sim.get(&format!("{ivs}?per_page=2&page=1"), &token).await.body;
    assert_eq!((page["total"].clone(), page["page"].clone(), page["per_page"].clone()), (json!(4), json!(1), json!(2)));
    assert_eq!(page["objects"].as_array().unwrap().len(), 2);
    let beyond = sim.get(&format!("{ivs}?per_page=2&page=5"), &token).await.body;
    assert_eq!(beyond["objects"], json!([]));

    for bad in ["per_page=0", "per_page=101", "page=-1", "per_page=ten"] {
        let reply = sim.get(&format!("{ivs}?{bad}"), &token).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.body["message_code"], "invalid_value", "{bad}");
    }
    let long = "a".repeat(4097);
    let too_long = sim.get(&format!("{ivs}?customer_guid={long}"), &token).await;
    assert_eq!(too_long.status, 400);
    assert_eq!(
        too_long.body["error_message"],
        "comma separated customer guids must be at the most 4096 characters long"
    );

    let customers = sim.get("/cybrid/api/customers?per_page=1", &token).await.body;
    assert_eq!(customers["total"], 2);
    assert_eq!(customers["objects"][0]["guid"], other.as_str(), "newest customer first");
}

#[tokio::test]
async fn expected_behaviours_complete_at_the_next_request_and_id_failures_reject_the_customer() {
    let sim = start().await;
    let token = sim.cybrid_token().await;
    let ivs = "/cybrid/api/identity_verifications";
    let new_customer = || async {
        let c = sim.post("/cybrid/api/customers", &token, json!({ "type": "individual" })).await;
        c.body["guid"].as_str().unwrap().to_string()
    };

    let passing = new_customer().await;
    let body = json!({ "type": "kyc", "method": "id_and_selfie", "customer_guid": passing, "expected_behaviours": ["passed_immediately"] });
    let iv = sim.post(ivs, &token, body).await.body;
    assert_eq!(iv["state"], "storing");
    let iv = sim.get(&format!("{ivs}/{}", iv["guid"].as_str().unwrap()), &token).await.body;
    assert_eq!((iv["state"].clone(), iv["outcome"].clone()), (json!("completed"), json!("passed")));
    assert_eq!(iv["compliance_decisions"][0]["state"], "passed");
    assert_eq!(sim.get(&format!("/cybrid/api/customers/{passing}"), &token).await.body["state"], "verified");

    let failing = new_customer().await;
    let body = json!({ "type": "kyc", "method": "id_and_selfie", "customer_guid": failing, "expected_behaviours": ["failed_immediately"] });
    let guid = sim.post(ivs, &token, body).await.body["guid"].as_str().unwrap().to_string();
    let iv = sim.get(&format!("{ivs}/{guid}"), &token).await.body;
    assert_eq!(iv["outcome"], "failed");
    assert_eq!(iv["failure_codes"], json!(["requested_failure"]));
    assert_eq!(sim.get(&format!("/cybrid/api/customers/{failing}"), &token).await.body["state"], "unverified");

    // A government-ID failure rejects the customer.
    let rejected = new_customer().await;
    let body = json!({ "type": "kyc", "method": "id_and_selfie", "customer_guid": rejected });
    let guid = sim.post(ivs, &token, body).await.body["guid"].as_str().unwrap().to_string();
    let complete = json!({ "outcome": "failed", "failure_codes": ["id_expiration_check_failure"] });
    let done = sim.post(&format!("/cybrid/_sandbox/identity_verifications/{guid}/complete"), &token, complete).await;
    assert_eq!(done.status, 200);
    assert_eq!(sim.get(&format!("/cybrid/api/customers/{rejected}"), &token).await.body["state"], "rejected");
    let again = sim
        .post(
            &format!("/cybrid/_sandbox/identity_verifications/{guid}/complete"),
            &token,
            json!({ "outcome": "passed" }),
        )
        .await;
    assert_eq!(again.status, 422, "a completed verification stays completed");

    // The sandbox state switch moves a case forward only.
    let pending_customer = new_customer().await;
    let body = json!({ "type": "kyc", "method": "document_submission", "customer_guid": pending_customer });
    let guid = sim.post(ivs, &token, body).await.body["guid"].as_str().unwrap().to_string();
    let state = |s: &str| json!({ "state": s });
    let path = format!("/cybrid/_sandbox/identity_verifications/{guid}/state");
    assert_eq!(sim.post(&path, &token, state("reviewing")).await.body["persona_state"], "completed");
    assert_eq!(sim.post(&path, &token, state("pending")).await.status, 422);
}

#[tokio::test]
async fn patch_customer_accepts_only_the_unverified_state() {
    let sim = start().await;
    let token = sim.cybrid_token().await;
    let guid = sim.verified_cybrid_customer(&token).await;
    let path = format!("/cybrid/api/customers/{guid}");
    for body in [json!({ "state": "verified" }), json!({ "state": null }), json!({})] {
        let reply = sim.send(Method::PATCH, &path, Some(&token), Some(body.clone())).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(
            reply.body,
            json!({ "status": 400, "error_message": "Invalid state", "message_code": "invalid_parameter" })
        );
    }
    let reply = sim.send(Method::PATCH, &path, Some(&token), Some(json!({ "state": "unverified" }))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["state"], "unverified");
    assert_eq!(reply.body["activity_limits"], json!([]));
    let missing = sim
        .send(
            Method::PATCH,
            "/cybrid/api/customers/0123456789abcdef0123456789abcdef",
            Some(&token),
            Some(json!({ "state": "unverified" })),
        )
        .await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn pii_needs_include_pii_in_any_case_and_the_pii_scope() {
    let sim = start().await;
    let token = sim.cybrid_token().await;
    let body = json!({
        "type": "individual",
        "name": { "first": "Ada", "last": "Lovelace" },
        "date_of_birth": "1815-12-10",
        "email_address": "ada@example.org",
    });
    let created = sim.post("/cybrid/api/customers", &token, body).await;
    assert_eq!(created.status, 201);
    assert!(created.body.get("email_address").is_none(), "no PII without include_pii");
    let guid = created.body["guid"].as_str().unwrap();
    for flag in ["True", "true", "TRUE"] {
        let reply = sim.get(&format!("/cybrid/api/customers/{guid}?include_pii={flag}"), &token).await;
        assert_eq!(reply.body["email_address"], "ada@example.org", "include_pii={flag}");
    }
    let without = sim.get(&format!("/cybrid/api/customers/{guid}?include_pii=False"), &token).await;
    assert!(without.body.get("date_of_birth").is_none());
    assert_eq!(sim.get(&format!("/cybrid/api/customers/{guid}?include_pii=yes"), &token).await.status, 400);

    // A token that asked only for customers:read cannot see PII or create.
    let narrow = json!({ "grant_type": "client_credentials", "client_id": ID, "client_secret": SECRET, "scope": "customers:read" });
    let narrow = sim.send(Method::POST, "/cybrid/oauth/token", None, Some(narrow)).await.body;
    assert_eq!(narrow["scope"], "customers:read");
    let narrow = narrow["access_token"].as_str().unwrap();
    let refused = sim.get(&format!("/cybrid/api/customers/{guid}?include_pii=True"), narrow).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.body,
        json!({ "status": 403, "error_message": "Invalid scopes. Required: customers:pii:read", "message_code": "invalid_scopes" })
    );
    assert_eq!(sim.get(&format!("/cybrid/api/customers/{guid}"), narrow).await.status, 200);
    assert_eq!(sim.post("/cybrid/api/customers", narrow, json!({ "type": "individual" })).await.status, 403);
}

#[tokio::test]
async fn bad_create_input_gets_cybrid_error_bodies_without_echoing_values() {
    let sim = start().await;
    let token = sim.cybrid_token().await;
    let cases = [
        ("/cybrid/api/customers", json!({}), 422, "missing_parameter", "Customer type required"),
        (
            "/cybrid/api/customers",
            json!({ "type": "robot" }),
            422,
            "unsupported_value",
            "Bank must be configured to support customer type",
        ),
        (
            "/cybrid/api/customers",
            json!({ "type": "individual", "name": { "first": "Ada" } }),
            422,
            "missing_parameter",
            "Customer name required",
        ),
        (
            "/cybrid/api/customers",
            json!({ "type": "individual", "identification_numbers": [
                { "type": "passport", "issuing_country_code": "GB", "identification_number": "X1" },
                { "type": "passport", "issuing_country_code": "GB", "identification_number": "X2" }] }),
            422,
            "invalid_value",
            "Identification number duplicate type supplied",
        ),
        (
            "/cybrid/api/identity_verifications",
            json!({ "type": "kyc", "method": "telepathy" }),
            400,
            "invalid_parameter",
            "Invalid method",
        ),
        (
            "/cybrid/api/identity_verifications",
            json!({ "type": "kyc" }),
            422,
            "missing_parameter",
            "Identity verification method required",
        ),
        (
            "/cybrid/api/identity_verifications",
            json!({ "type": "kyc", "method": "attested", "customer_guid": "0123456789abcdef0123456789abcdef" }),
            422,
            "missing_parameter",
            "Date of birth required",
        ),
        ("/cybrid/api/identity_verifications", json!({ "type": 5 }), 400, "invalid_parameter", "type must be a string"),
    ];
    for (path, body, status, code, message) in cases {
        let reply = sim.post(path, &token, body.clone()).await;
        assert_eq!(reply.status, status, "{body}");
        assert_eq!(reply.body, json!({ "status": status, "error_message": message, "message_code": code }), "{body}");
    }
    let not_json =
        sim.http.post(sim.url("/cybrid/api/customers")).bearer_auth(&token).body("{nope").send().await.unwrap();
    assert_eq!(not_json.status(), 400);
    assert_eq!(not_json.json::<Value>().await.unwrap()["message_code"], "invalid_parameter");
}
