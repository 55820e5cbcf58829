//! Mbanq: the tenant on every request, a duplicate `externalId` as a Fineract domain rule,
//! the verify gate listing every missing item, activate, and lists by `externalId`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{ID, SECRET, TestSim, start};

fn client(external_id: &str) -> Value {
    json!({
        "firstname": "Dorothy", "lastname": "Vaughan", "externalId": external_id, "officeId": 1,
        "dateFormat": "dd MMMM yyyy", "locale": "en", "dateOfBirth": "20 September 1910",
    })
}

async fn create(sim: &TestSim, token: &str, body: Value) -> i64 {
    let reply = sim.post("/mbanq/v1/clients", token, body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["clientId"].as_i64().unwrap()
}

const DOMAIN_RULE: (&str, &str, &str, &str) = (
    "Request was understood but caused a domain rule violation.",
    "403",
    "Errors contain reason for domain rule violation.",
    "validation.msg.domain.rule.violation",
);

fn assert_domain_rule(body: &Value, codes: &[&str]) {
    assert_eq!(body["developerMessage"], DOMAIN_RULE.0);
    assert_eq!(body["httpStatusCode"], DOMAIN_RULE.1);
    assert_eq!(body["defaultUserMessage"], DOMAIN_RULE.2);
    assert_eq!(body["userMessageGlobalisationCode"], DOMAIN_RULE.3);
    let found: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["userMessageGlobalisationCode"].as_str().unwrap())
        .collect();
    assert_eq!(found, codes);
    for error in body["errors"].as_array().unwrap() {
        for key in ["developerMessage", "defaultUserMessage", "parameterName", "args"] {
            assert!(error.get(key).is_some(), "errors[] entry has {key}");
        }
        assert_eq!(error["value"], Value::Null);
    }
}

#[tokio::test]
async fn every_request_needs_the_sandbox_tenant() {
    let sim = start().await;
    let form = [
        ("grant_type", "password"),
        ("username", ID),
        ("password", SECRET),
        ("client_id", ID),
        ("client_secret", SECRET),
    ];
    let no_tenant = sim.http.post(sim.url("/mbanq/oauth/token")).form(&form).send().await.unwrap();
    assert_eq!(no_tenant.status(), 400);
    let body: Value = no_tenant.json().await.unwrap();
    assert_eq!(body["errors"][0]["userMessageGlobalisationCode"], "error.msg.invalid.tenant.identifier");

    let token = sim.mbanq_token().await;
    let bare = sim.http.get(sim.url("/mbanq/v1/clients")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(bare.status(), 400);
    let wrong = sim
        .http
        .get(sim.url("/mbanq/v1/clients"))
        .bearer_auth(&token)
        .header("tenantId", "other")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let query =
        sim.http.get(sim.url("/mbanq/v1/clients?tenantIdentifier=sandbox")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(query.status(), 200);
    let fineract =
        sim.http.get(sim.url("/mbanq/v1/clients")).bearer_auth(&token).header("Fineract-Platform-TenantId", "sandbox");
    assert_eq!(fineract.send().await.unwrap().status(), 200);

    let bad_user = [
        ("grant_type", "password"),
        ("username", ID),
        ("password", "nope"),
        ("client_id", ID),
        ("client_secret", SECRET),
    ];
    let refused = sim
        .http
        .post(sim.url("/mbanq/oauth/token"))
        .header("tenantId", "sandbox")
        .form(&bad_user)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn a_duplicate_external_id_is_a_403_domain_rule_and_creates_nothing() {
    let sim = start().await;
    let token = sim.mbanq_token().await;
    let id = create(&sim, &token, client("ext-1")).await;
    let reply = sim.post("/mbanq/v1/clients", &token, client("ext-1")).await;
    assert_eq!(reply.status, 403);
    assert_domain_rule(&reply.body, &["error.msg.client.duplicate.externalId"]);
    assert_eq!(reply.body["errors"][0]["parameterName"], "externalId");
    assert_eq!(reply.body["errors"][0]["args"], json!([{ "value": "ext-1" }]));

    let listed = sim.get("/mbanq/v1/clients?externalId=ext-1", &token).await.body;
    assert_eq!(listed["totalFilteredRecords"], 1);
    let found = &listed["pageItems"][0];
    assert_eq!(found["id"], id);
    assert_eq!(found["status"], json!({ "id": 100, "code": "clientStatusType.pending", "value": "Pending" }));
    assert_eq!(found["dateOfBirth"], json!([1910, 9, 20]), "dates are [yyyy, m, d]");
    assert!(found["timeline"]["submittedOnDate"].is_array());

    let missing_names = sim.post("/mbanq/v1/clients", &token, json!({ "externalId": "ext-2" })).await;
    assert_eq!(missing_names.status, 400);
    assert_eq!(missing_names.body["userMessageGlobalisationCode"], "validation.msg.validation.errors.exist");
    assert_eq!(missing_names.body["errors"].as_array().unwrap().len(), 2, "both names reported at once");
    let bad_date = sim
        .post("/mbanq/v1/clients", &token, json!({ "firstname": "A", "lastname": "B", "dateOfBirth": "1910/09/20" }))
        .await;
    assert_eq!(bad_date.status, 400);
    assert_eq!(bad_date.body["errors"][0]["userMessageGlobalisationCode"], "validation.msg.invalid.date.format");

    let unknown = sim.get("/mbanq/v1/clients/99", &token).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["errors"][0]["userMessageGlobalisationCode"], "error.msg.client.id.invalid");
}

#[tokio::test]
async fn verify_reports_every_missing_item_then_passes_and_activate_follows() {
    let sim = start().await;
    let token = sim.mbanq_token().await;
    let id = create(&sim, &token, client("ext-v")).await;
    let command = |name: &str| format!("/mbanq/v1/clients/{id}?command={name}");
    let full = json!({ "kycVerificationType": "FULL", "note": "branch check" });
    let partial = json!({ "kycVerificationType": "PARTIAL" });

    let activate_early = sim
        .post(
            &command("activate"),
            &token,
            json!({ "activationDate": "2030-01-01", "dateFormat": "yyyy-MM-dd", "locale": "en" }),
        )
        .await;
    assert_eq!(activate_early.status, 403);
    assert_domain_rule(&activate_early.body, &["error.msg.client.not.verified"]);

    let refused = sim.post(&command("verify"), &token, full.clone()).await;
    assert_eq!(refused.status, 403);
    assert_domain_rule(
        &refused.body,
        &[
            "error.msg.client.kyc.primary.address.required",
            "error.msg.client.kyc.identifier.required",
            "error.msg.client.kyc.full.identifier.required",
            "error.msg.client.kyc.email.unverified",
            "error.msg.client.kyc.mobile.unverified",
        ],
    );
    let status = sim.get(&format!("/mbanq/v1/clients/{id}/verificationstatus"), &token).await.body;
    assert_eq!(status["verificationStatus"]["value"], "PENDING", "a refused verify changes nothing");

    let address =
        json!({ "addressTypeId": 1, "addressLine1": "1 Langley Blvd", "city": "Hampton", "postalCode": "23666" });
    assert_eq!(sim.post(&format!("/mbanq/v1/clients/{id}/addresses"), &token, address).await.status, 200);
    let other_id = json!({ "documentTypeId": 6, "documentKey": "LIB-0001", "status": "Active" });
    let identifier = sim.post(&format!("/mbanq/v1/clients/{id}/identifiers"), &token, other_id).await;
    assert_eq!(identifier.status, 200);
    assert_eq!(identifier.body["clientId"], id);
    let contacts = json!({ "emailAddress": "dorothy@example.org", "mobileNo": "+1 555 010 2030" });
    let updated = sim.put(&format!("/mbanq/v1/clients/{id}"), &token, contacts).await;
    assert_eq!(updated.body["changes"]["emailAddress"], "dorothy@example.org");

    let still = sim.post(&command("verify"), &token, full.clone()).await;
    assert_eq!(still.status, 403);
    assert_domain_rule(&still.body, &["error.msg.client.kyc.full.identifier.required"]);
    let verified = sim.post(&command("VERIFY"), &token, partial).await;
    assert_eq!(verified.status, 200, "commands compare case-insensitively: {:?}", verified.body);
    assert_eq!(verified.body["changes"]["kycVerificationType"], "PARTIAL");
    for key in ["officeId", "clientId", "resourceId", "changes"] {
        assert!(verified.body.get(key).is_some(), "{key}");
    }
    let ssn = json!({ "documentTypeId": 1, "documentKey": "123-45-6789" });
    assert_eq!(sim.post(&format!("/mbanq/v1/clients/{id}/identifiers"), &token, ssn).await.status, 200);
    assert_eq!(sim.post(&command("verify"), &token, full).await.body["changes"]["kycVerificationType"], "FULL");

    // Another client may not hold the same document: the refusal names the field, not the number.
    let other = create(&sim, &token, client("ext-other")).await;
    let same = json!({ "documentTypeId": 1, "documentKey": "123-45-6789" });
    let taken = sim.post(&format!("/mbanq/v1/clients/{other}/identifiers"), &token, same).await;
    assert_eq!(taken.status, 403);
    assert_domain_rule(&taken.body, &["error.msg.clientIdentifier.identityKey.duplicate"]);
    assert!(!taken.body.to_string().contains("6789"), "{}", taken.body);

    let masked = sim.get(&format!("/mbanq/v1/clients/{id}/identifiers"), &token).await.body;
    assert_eq!(masked[1]["documentKey"], "*******6789");

    let no_date = sim.post(&command("activate"), &token, json!({ "locale": "en", "dateFormat": "dd MMMM yyyy" })).await;
    assert_eq!(no_date.status, 400);
    assert_eq!(
        no_date.body["errors"][0]["userMessageGlobalisationCode"],
        "validation.msg.client.activationDate.cannot.be.blank"
    );
    let bad_date = sim
        .post(&command("activate"), &token, json!({ "activationDate": "2030-13-01", "dateFormat": "yyyy-MM-dd" }))
        .await;
    assert_eq!(bad_date.status, 400);
    let activation = json!({ "locale": "en", "dateFormat": "dd MMMM yyyy", "activationDate": "01 January 2030" });
    let active = sim.post(&command("activate"), &token, activation.clone()).await;
    assert_eq!(active.status, 200, "{:?}", active.body);
    let got = sim.get(&format!("/mbanq/v1/clients/{id}"), &token).await.body;
    assert_eq!(got["status"]["value"], "Active");
    assert_eq!(got["activationDate"], json!([2030, 1, 1]));
    assert_eq!(got["subStatus"]["name"], "Verified");
    let twice = sim.post(&command("activate"), &token, activation).await;
    assert_eq!(twice.status, 403);
    assert_domain_rule(&twice.body, &["error.msg.clients.already.active"]);

    let unknown = sim.post(&command("fly"), &token, json!({})).await;
    assert_eq!(unknown.status, 400);
    let none = sim.send(Method::POST, &format!("/mbanq/v1/clients/{id}"), Some(&token), Some(json!({}))).await;
    assert_eq!(none.status, 400);
}

#[tokio::test]
async fn lists_page_with_limit_and_offset() {
    let sim = start().await;
    let token = sim.mbanq_token().await;
    for n in 0..5 {
        create(&sim, &token, client(&format!("e{n}"))).await;
    }
    let page = sim.get("/mbanq/v1/clients?limit=2&offset=2", &token).await.body;
    assert_eq!(page["totalFilteredRecords"], 5);
    let ids: Vec<i64> = page["pageItems"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [3, 4]);
    assert_eq!(sim.get("/mbanq/v1/clients?limit=0", &token).await.body["pageItems"].as_array().unwrap().len(), 5);
    assert_eq!(sim.get("/mbanq/v1/clients?status=active", &token).await.body["totalFilteredRecords"], 0);
}
