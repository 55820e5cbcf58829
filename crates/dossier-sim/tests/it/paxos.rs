//! Paxos: 409 with `meta.existing` for a duplicate `ref_id` or `cip_id`, cursor pages, delta
//! updates, the sandbox status switch and controls.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestSim, start};

const IDENTITIES: &str = "/paxos/v2/identity/identities";

fn person(ref_id: &str, cip_id: &str) -> Value {
    json!({
        "ref_id": ref_id,
        "person_details": {
            "first_name": "Grace", "last_name": "Hopper", "date_of_birth": "1906-12-09",
            "cip_id": cip_id, "cip_id_type": "SSN", "cip_id_country": "USA",
            "address": { "address1": "1 Main St", "city": "Arlington", "province": "VA", "country": "USA", "zip_code": "22201" },
        },
    })
}

async fn create(sim: &TestSim, token: &str, body: Value) -> Value {
    let reply = sim.post(IDENTITIES, token, body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body
}

#[tokio::test]
async fn a_duplicate_ref_id_or_cip_id_is_409_already_exists_with_the_existing_identity() {
    let sim = start().await;
    let token = sim.paxos_token().await;
    let first = create(&sim, &token, person("ref-1", "111-22-3333")).await;
    assert_eq!(first["status"], "PENDING");
    assert_eq!(first["summary_status"], "PENDING");
    assert!(uuid_like(&first["id"]), "{}", first["id"]);
    // Tax details are filled from an SSN CIP id.
    assert_eq!(first["tax_details"], json!([{ "tax_payer_id": "111-22-3333", "tax_payer_country": "USA" }]));

    let again = sim.post(IDENTITIES, &token, person("ref-1", "999-99-9999")).await;
    assert_eq!(again.status, 409);
    assert_eq!(again.headers["content-type"], "application/problem+json");
    assert_eq!(again.body["type"], "https://developer.paxos.com/docs/v2/problems/already-exists");
    assert_eq!(again.body["title"], "Already Exists");
    assert_eq!(again.body["status"], 409);
    assert!(again.body["detail"].as_str().unwrap().contains("ref_id"));
    assert_eq!(again.body["meta"]["existing"], first, "the retry can take the existing identity as success");

    let same_cip = sim.post(IDENTITIES, &token, person("ref-2", "111-22-3333")).await;
    assert_eq!(same_cip.status, 409);
    assert_eq!(same_cip.body["meta"]["existing"]["id"], first["id"]);

    let listed = sim.get(IDENTITIES, &token).await.body;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "nothing was created by the refused calls");
}

fn uuid_like(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.len() == 36 && s.matches('-').count() == 4)
}

#[tokio::test]
async fn lists_page_by_cursor_newest_first_and_filter() {
    let sim = start().await;
    let token = sim.paxos_token().await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(create(&sim, &token, person(&format!("r{n}"), &format!("cip-{n}"))).await["id"].clone());
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("{IDENTITIES}?limit=2&page_cursor={c}"),
            None => format!("{IDENTITIES}?limit=2"),
        };
        let page = sim.get(&path, &token).await.body;
        pages += 1;
        seen.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].clone()));
        match page.get("next_page_cursor").and_then(Value::as_str) {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let newest_first: Vec<Value> = ids.iter().rev().cloned().collect();
    assert_eq!((pages, seen), (3, newest_first));

    let ascending = sim.get(&format!("{IDENTITIES}?order=ASC&limit=5"), &token).await.body;
    assert_eq!(ascending["items"][0]["id"], ids[0]);
    assert!(ascending.get("next_page_cursor").is_none());

    let approve = json!({ "id_verification_status": "APPROVED", "sanctions_verification_status": "APPROVED" });
    let id = ids[2].as_str().unwrap();
    assert_eq!(sim.put(&format!("{IDENTITIES}/{id}/sandbox-status"), &token, approve).await.body["status"], "APPROVED");
    let approved = sim.get(&format!("{IDENTITIES}?summary_status=APPROVED"), &token).await.body;
    assert_eq!(approved["items"].as_array().unwrap().len(), 1);
    let institutions = sim.get(&format!("{IDENTITIES}?identity_type=INSTITUTION"), &token).await.body;
    assert_eq!(institutions["items"], json!([]));

    // Creates in the same millisecond share a created_at, so count what is strictly later.
    let times: Vec<&str> =
        ascending["items"].as_array().unwrap().iter().map(|i| i["created_at"].as_str().unwrap()).collect();
    let later = times.iter().filter(|t| **t > times[0]).count();
    let after_first = sim.get(&format!("{IDENTITIES}?created_at.gt={}&limit=10", times[0]), &token).await.body;
    assert_eq!(after_first["items"].as_array().unwrap().len(), later);
    let from_first = sim.get(&format!("{IDENTITIES}?created_at.gte={}&limit=10", times[0]), &token).await.body;
    assert_eq!(from_first["items"].as_array().unwrap().len(), 5);

    for bad in ["limit=0", "order=SIDEWAYS", "page_cursor=zzz", "summary_status=GOOD", "created_at.gt=yesterday"] {
        let reply = sim.get(&format!("{IDENTITIES}?{bad}"), &token).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert_eq!(reply.body["type"], "https://developer.paxos.com/docs/v2/problems/bad-request", "{bad}");
    }
}

#[tokio::test]
async fn updates_are_deltas_replace_tax_details_whole_and_never_switch_type() {
    let sim = start().await;
    let token = sim.paxos_token().await;
    let created = create(&sim, &token, person("ref-1", "cip-1")).await;
    let path = format!("{IDENTITIES}/{}", created["id"].as_str().unwrap());
    let tax = json!([{ "tax_payer_id": "X", "tax_payer_country": "GBR" }]);
    let updated = sim
        .put(
            &path,
            &token,
            json!({ "person_details": { "last_name": "Murray Hopper" }, "tax_details": tax, "metadata": { "k": "v" } }),
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["person_details"]["last_name"], "Murray Hopper");
    assert_eq!(updated.body["person_details"]["first_name"], "Grace", "fields not sent stay");
    assert_eq!(updated.body["ref_id"], "ref-1");
    assert_eq!(updated.body["tax_details"], tax, "tax details replaced whole");

    let switch = sim.put(&path, &token, json!({ "institution_details": { "name": "Hopper Inc" } })).await;
    assert_eq!(switch.status, 400);
    assert!(switch.body["detail"].as_str().unwrap().contains("PERSON and INSTITUTION"));
    let switch = sim.put(&path, &token, json!({ "type": "INSTITUTION" })).await;
    assert_eq!(switch.status, 400);

    let other = create(&sim, &token, person("ref-2", "cip-2")).await;
    let taken =
        sim.put(&format!("{IDENTITIES}/{}", other["id"].as_str().unwrap()), &token, json!({ "ref_id": "ref-1" })).await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.body["meta"]["existing"]["id"], created["id"]);

    let missing = sim.get(&format!("{IDENTITIES}/00000000-0000-4000-8000-000000000000"), &token).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["title"], "Not Found");
}

#[tokio::test]
async fn sandbox_status_approves_persons_on_id_and_sanctions_and_institutions_on_sanctions() {
    let sim = start().await;
    let token = sim.paxos_token().await;
    let member = create(&sim, &token, person("p", "cip-p")).await;
    let member_id = member["id"].as_str().unwrap();
    let status_path = |id: &str| format!("{IDENTITIES}/{id}/sandbox-status");

    let only_id = sim.put(&status_path(member_id), &token, json!({ "id_verification_status": "APPROVED" })).await.body;
    assert_eq!(only_id["status"], "PENDING");
    assert_eq!(
        only_id["status_details"]["pending_verifications"]["metadata"]["statuses"],
        json!([{ "type": "SANCTIONS", "status": "PENDING" }])
    );
    let both =
        sim.put(&status_path(member_id), &token, json!({ "sanctions_verification_status": "APPROVED" })).await.body;
    assert_eq!(both["status"], "APPROVED");
    assert_eq!(both["summary_status"], "APPROVED");

    let no_members = sim.post(IDENTITIES, &token, json!({ "institution_details": { "name": "Acme" } })).await;
    assert_eq!(no_members.status, 400);
    let institution = json!({
        "institution_details": { "name": "Acme", "institution_type": "CORPORATION" },
        "institution_members": [{ "identity_id": member_id, "roles": ["BENEFICIAL_OWNER", "MANAGEMENT_CONTROL_PERSON"] }],
    });
    let institution = create(&sim, &token, institution).await;
    assert_eq!(institution["type"], "INSTITUTION");
    let id = institution["id"].as_str().unwrap();
    let approved = sim.put(&status_path(id), &token, json!({ "sanctions_verification_status": "APPROVED" })).await.body;
    assert_eq!(approved["status"], "APPROVED");
    let denied = sim.put(&status_path(id), &token, json!({ "sanctions_verification_status": "DENIED" })).await.body;
    assert_eq!(denied["status"], "DENIED");
    assert_eq!(
        sim.put(&status_path(id), &token, json!({ "sanctions_verification_status": "MAYBE" })).await.status,
        400
    );
}

#[tokio::test]
async fn a_dormant_control_disables_the_identity_until_it_is_deleted() {
    let sim = start().await;
    let token = sim.paxos_token().await;
    let identity = create(&sim, &token, person("p", "cip-p")).await;
    let id = identity["id"].as_str().unwrap();
    let approve = json!({ "id_verification_status": "APPROVED", "sanctions_verification_status": "APPROVED" });
    sim.put(&format!("{IDENTITIES}/{id}/sandbox-status"), &token, approve).await;

    let frozen = json!({ "identity_id": id, "type": "FROZEN", "reason_code": "OTHER" });
    assert_eq!(sim.post("/paxos/v2/identity/controls", &token, frozen).await.status, 400, "FROZEN is Paxos's");
    let dormant = json!({ "identity_id": id, "type": "DORMANT", "reason_code": "INACTIVITY", "reason": "no activity" });
    let control = sim.post("/paxos/v2/identity/controls", &token, dormant.clone()).await;
    assert_eq!(control.status, 200);
    assert_eq!(control.body["set_by"], "SET_BY_CLIENT");
    assert_eq!(control.body["is_overridable"], true);
    assert_eq!(sim.post("/paxos/v2/identity/controls", &token, dormant).await.status, 409);
    let disabled = sim.get(&format!("{IDENTITIES}/{id}"), &token).await.body;
    assert_eq!(disabled["status"], "DISABLED");
    assert_eq!(disabled["status_details"]["active_controls"][0]["type"], "DORMANT");

    let listed = sim.get(&format!("/paxos/v2/identity/controls?identity_id={id}"), &token).await.body;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let control_id = control.body["id"].as_str().unwrap();
    let path = format!("/paxos/v2/identity/controls?control_id={control_id}&reason=back");
    assert_eq!(sim.send(Method::DELETE, &path, Some(&token), None).await.status, 200);
    assert_eq!(sim.get(&format!("{IDENTITIES}/{id}"), &token).await.body["status"], "APPROVED");
    assert_eq!(sim.send(Method::DELETE, &path, Some(&token), None).await.status, 404);
    let with_deleted =
        sim.get(&format!("/paxos/v2/identity/controls?identity_id={id}&include_deleted=true"), &token).await;
    assert!(with_deleted.body["items"][0]["deleted_at"].is_string());
}
