//! Persistence: with a state file the records outlive the simulator, so the ids a client stored
//! still answer after a restart; a file the simulator cannot understand stops it from starting
//! and is left as it was.

use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

use dossier_sim::{QOLO_SDD_PROGRAM, SimConfig};
use serde_json::{Value, json};

use crate::support::{TempDir, TestSim, start_with};

fn persistent(path: &Path) -> SimConfig {
    SimConfig { seed: 7, state_file: Some(path.to_path_buf()), ..SimConfig::default() }
}

/// The ids of one record of each kind, written through each provider's API.
#[derive(Debug)]
struct Made {
    customer: String,
    storing_customer: String,
    verification: String,
    identity: String,
    control: String,
    person: String,
    client: i64,
}

impl Made {
    fn ids(&self) -> Vec<String> {
        vec![
            self.customer.clone(),
            self.storing_customer.clone(),
            self.verification.clone(),
            self.identity.clone(),
            self.control.clone(),
            self.person.clone(),
        ]
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("a string: {value}")).to_string()
}

async fn make_records(sim: &TestSim, suffix: &str) -> Made {
    let cybrid = sim.cybrid_token().await;
    let customer = sim
        .post(
            "/cybrid/api/customers",
            &cybrid,
            json!({ "type": "individual", "labels": [format!("case-{suffix}")], "email_address": "ada@example.org" }),
        )
        .await;
    assert_eq!(customer.status, 201, "{:?}", customer.body);
    let customer = text(&customer.body["guid"]);
    let attested =
        json!({ "type": "kyc", "method": "attested", "customer_guid": customer, "date_of_birth": "1815-12-10" });
    let verification = sim.post("/cybrid/api/identity_verifications", &cybrid, attested).await;
    assert_eq!(verification.status, 201, "{:?}", verification.body);
    let verification = text(&verification.body["guid"]);
    // Written last, so it is still `storing` when the simulator stops: the next request after the
    // restart must move it on, as it would have without one.
    let storing = sim.post("/cybrid/api/customers", &cybrid, json!({ "type": "individual" })).await;
    let storing_customer = text(&storing.body["guid"]);

    let paxos = sim.paxos_token().await;
    let identity_body = json!({
        "ref_id": format!("ref-{suffix}"),
        "person_details": { "first_name": "Grace", "last_name": "Hopper", "cip_id": format!("cip-{suffix}"), "cip_id_type": "SSN" },
    });
    let identity = sim.post("/paxos/v2/identity/identities", &paxos, identity_body).await;
    assert_eq!(identity.status, 200, "{:?}", identity.body);
    let identity = text(&identity.body["id"]);
    let approve = json!({ "id_verification_status": "APPROVED", "sanctions_verification_status": "APPROVED" });
    let approved = sim.put(&format!("/paxos/v2/identity/identities/{identity}/sandbox-status"), &paxos, approve).await;
    assert_eq!(approved.body["status"], "APPROVED");
    let control = json!({ "identity_id": identity, "type": "SELL_ONLY", "reason_code": "OTHER" });
    let control = sim.post("/paxos/v2/identity/controls", &paxos, control).await;
    assert_eq!(control.status, 200, "{:?}", control.body);
    let control = text(&control.body["id"]);

    let qolo = sim.qolo_token().await;
    let person_details = json!({
        "first_name": "Katherine", "last_name": "Johnson", "birth_date": "1918-08-26",
        "client_reference_id": format!("client-{suffix}"),
        "base_address": { "address_line1": "1 Langley Blvd", "city": "Hampton", "country": "USA", "postal_code": "23666" },
    });
    let person = sim
        .post(
            "/qolo/api/v1/persons",
            &qolo,
            json!({ "program_guid": QOLO_SDD_PROGRAM, "person_details": person_details }),
        )
        .await;
    assert_eq!(person.status, 201, "{:?}", person.body);
    let person = text(&person.body["person_guid"]);

    let mbanq = sim.mbanq_token().await;
    let client = json!({
        "firstname": "Dorothy", "lastname": "Vaughan", "externalId": format!("ext-{suffix}"),
        "dateFormat": "yyyy-MM-dd", "locale": "en", "dateOfBirth": "1910-09-20",
    });
    let client = sim.post("/mbanq/v1/clients", &mbanq, client).await;
    assert_eq!(client.status, 200, "{:?}", client.body);
    let client = client.body["clientId"].as_i64().unwrap();
    let address = json!({ "addressTypeId": 1, "addressLine1": "1 Langley Blvd", "city": "Hampton" });
    assert_eq!(sim.post(&format!("/mbanq/v1/clients/{client}/addresses"), &mbanq, address).await.status, 200);
    let identifier =
        json!({ "documentTypeId": 3, "documentKey": format!("P-{suffix}-0042"), "expiryDate": "2040-01-31" });
    assert_eq!(sim.post(&format!("/mbanq/v1/clients/{client}/identifiers"), &mbanq, identifier).await.status, 200);

    Made { customer, storing_customer, verification, identity, control, person, client }
}

#[tokio::test]
async fn records_at_every_provider_survive_a_restart_and_answer_by_id_and_by_lookup() {
    let dir = TempDir::new("restart");
    let path = dir.join("sandbox.json");
    let first = start_with(persistent(&path)).await;
    let made = make_records(&first, "1").await;
    let before = first.records().await;
    let first_port = first.handle.addr().port();
    first.handle.close().await.expect("the last save reaches the disk");

    let sim = start_with(SimConfig { port: 0, ..persistent(&path) }).await;
    if sim.handle.addr().port() == first_port {
        eprintln!("the system gave the same port twice; the records do not depend on it either way");
    }
    assert_eq!(sim.records().await, before, "every record, exactly as it was");

    // Cybrid: by guid (with PII), by label, verifications by customer and by guid.
    let cybrid = sim.cybrid_token().await;
    let customer = sim.get(&format!("/cybrid/api/customers/{}?include_pii=true", made.customer), &cybrid).await;
    assert_eq!(customer.status, 200);
    assert_eq!(customer.body["state"], "verified");
    assert_eq!(customer.body["email_address"], "ada@example.org");
    let by_label = sim.get("/cybrid/api/customers?label=case-1", &cybrid).await.body;
    assert_eq!(by_label["total"], 1);
    assert_eq!(by_label["objects"][0]["guid"], made.customer.as_str());
    let of_customer =
        sim.get(&format!("/cybrid/api/identity_verifications?customer_guid={}", made.customer), &cybrid).await.body;
    assert_eq!(of_customer["objects"][0]["guid"], made.verification.as_str());
    let verification = sim.get(&format!("/cybrid/api/identity_verifications/{}", made.verification), &cybrid).await;
    assert_eq!((verification.status, verification.body["outcome"].clone()), (200, json!("passed")));
    let moved_on = sim.get(&format!("/cybrid/api/customers/{}", made.storing_customer), &cybrid).await;
    assert_eq!(moved_on.body["state"], "unverified", "a record written just before the stop moves on after it");

    // Paxos: by id, by ref_id and cip_id (the 409 a retried create gets), controls by identity.
    let paxos = sim.paxos_token().await;
    let identity = sim.get(&format!("/paxos/v2/identity/identities/{}", made.identity), &paxos).await;
    assert_eq!((identity.status, identity.body["status"].clone()), (200, json!("APPROVED")));
    let retried = json!({ "ref_id": "ref-1", "person_details": { "first_name": "Grace", "last_name": "Hopper" } });
    let retried = sim.post("/paxos/v2/identity/identities", &paxos, retried).await;
    assert_eq!(retried.status, 409);
    assert_eq!(retried.body["meta"]["existing"]["id"], made.identity.as_str());
    let same_cip = json!({ "ref_id": "ref-other", "person_details": { "cip_id": "cip-1", "cip_id_type": "SSN" } });
    let same_cip = sim.post("/paxos/v2/identity/identities", &paxos, same_cip).await;
    assert_eq!(same_cip.body["meta"]["existing"]["id"], made.identity.as_str());
    let controls = sim.get(&format!("/paxos/v2/identity/controls?identity_id={}", made.identity), &paxos).await.body;
    assert_eq!(controls["items"][0]["id"], made.control.as_str());

    // Qolo: by guid, by client_reference_id, and the KYC history.
    let qolo = sim.qolo_token().await;
    let person = sim.get(&format!("/qolo/api/v1/persons/{}", made.person), &qolo).await;
    assert_eq!((person.status, person.body["person_status"].clone()), (200, json!("CLEARED")));
    let found = sim.get("/qolo/api/v1/persons?client_reference_id=client-1", &qolo).await.body;
    assert_eq!(found["items"][0]["person_guid"], made.person.as_str());
    let history = sim.get(&format!("/qolo/api/v1/persons/{}/kyc", made.person), &qolo).await.body;
    assert_eq!(history["verificationResults"][0]["response_code"], "PASS");

    // Mbanq: by id, by externalId, its identifier and address; the duplicate rules still hold.
    let mbanq = sim.mbanq_token().await;
    let client = sim.get(&format!("/mbanq/v1/clients/{}", made.client), &mbanq).await;
    assert_eq!((client.status, client.body["externalId"].clone()), (200, json!("ext-1")));
    assert_eq!(client.body["dateOfBirth"], json!([1910, 9, 20]));
    let listed = sim.get("/mbanq/v1/clients?externalId=ext-1", &mbanq).await.body;
    assert_eq!(listed["pageItems"][0]["id"], made.client);
    let identifiers = sim.get(&format!("/mbanq/v1/clients/{}/identifiers?unmaskValue=true", made.client), &mbanq).await;
    assert_eq!(identifiers.body[0]["documentKey"], "P-1-0042");
    assert_eq!(identifiers.body[0]["expiryDate"], json!([2040, 1, 31]));
    let addresses = sim.get(&format!("/mbanq/v1/clients/{}/addresses", made.client), &mbanq).await;
    assert_eq!(addresses.body[0]["addressLine1"], "1 Langley Blvd");
    let duplicate = json!({ "firstname": "D", "lastname": "V", "externalId": "ext-1" });
    assert_eq!(sim.post("/mbanq/v1/clients", &mbanq, duplicate).await.status, 403);

    // New records after the restart get new ids.
    let again = make_records(&sim, "2").await;
    for id in again.ids() {
        assert!(!made.ids().contains(&id), "{id} was handed out before the restart");
    }
    assert_eq!(again.client, made.client + 1);
    let taken = json!({ "documentTypeId": 3, "documentKey": "P-1-0042" });
    let taken = sim.post(&format!("/mbanq/v1/clients/{}/identifiers", again.client), &mbanq, taken).await;
    assert_eq!(taken.status, 403, "another client's document is still known: {:?}", taken.body);
}

/// Creates one record at each seeded provider and returns their ids.
async fn three_ids(sim: &TestSim, n: u32) -> Vec<String> {
    let cybrid = sim.cybrid_token().await;
    let customer = sim.post("/cybrid/api/customers", &cybrid, json!({ "type": "individual" })).await;
    let paxos = sim.paxos_token().await;
    let identity = json!({ "ref_id": format!("r{n}"), "person_details": {} });
    let identity = sim.post("/paxos/v2/identity/identities", &paxos, identity).await;
    let qolo = sim.qolo_token().await;
    let person = json!({ "program_guid": QOLO_SDD_PROGRAM, "person_details": { "first_name": "K" } });
    let person = sim.post("/qolo/api/v1/persons", &qolo, person).await;
    vec![text(&customer.body["guid"]), text(&identity.body["id"]), text(&person.body["person_guid"])]
}

#[tokio::test]
async fn a_restart_continues_each_id_stream_where_it_stopped() {
    let dir = TempDir::new("streams");
    let path = dir.join("sandbox.json");
    let sim = start_with(persistent(&path)).await;
    let mut ids = three_ids(&sim, 1).await;
    sim.handle.close().await.unwrap();
    let sim = start_with(persistent(&path)).await;
    ids.extend(three_ids(&sim, 2).await);

    let uninterrupted = start_with(SimConfig { seed: 7, ..SimConfig::default() }).await;
    let mut expected = three_ids(&uninterrupted, 1).await;
    expected.extend(three_ids(&uninterrupted, 2).await);
    assert_eq!(ids, expected, "the same seed and requests give the same ids, restart or not");
}

#[tokio::test]
async fn a_change_is_on_disk_shortly_after_its_response_without_a_shutdown() {
    let dir = TempDir::new("debounce");
    let path = dir.join("sandbox.json");
    let sim = start_with(persistent(&path)).await;
    assert!(path.exists(), "spawn writes the file at once");
    let token = sim.cybrid_token().await;
    let created = sim.post("/cybrid/api/customers", &token, json!({ "type": "individual" })).await;
    let guid = text(&created.body["guid"]);

    let mut saved = false;
    for _ in 0..100 {
        if std::fs::read_to_string(&path).unwrap().contains(&guid) {
            saved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(saved, "the saver wrote the customer within two seconds");

    // As if the process had died now: a copy of the file, taken while the first simulator still
    // runs and without its last save, starts a second one that knows the customer.
    let copy = dir.join("copy.json");
    std::fs::copy(&path, &copy).unwrap();
    let second = start_with(persistent(&copy)).await;
    let token = second.cybrid_token().await;
    assert_eq!(second.get(&format!("/cybrid/api/customers/{guid}"), &token).await.status, 200);
    drop(sim);
}

#[tokio::test]
async fn dropping_the_handle_saves_what_was_answered() {
    let dir = TempDir::new("drop");
    let path = dir.join("sandbox.json");
    let sim = start_with(persistent(&path)).await;
    let token = sim.qolo_token().await;
    let person = json!({ "program_guid": QOLO_SDD_PROGRAM, "person_details": { "first_name": "K" } });
    let guid = text(&sim.post("/qolo/api/v1/persons", &token, person).await.body["person_guid"]);
    drop(sim);

    let sim = start_with(persistent(&path)).await;
    let token = sim.qolo_token().await;
    assert_eq!(sim.get(&format!("/qolo/api/v1/persons/{guid}"), &token).await.status, 200);
}

#[cfg(unix)]
#[tokio::test]
async fn the_file_is_readable_by_its_owner_only_and_no_temporary_file_is_left() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("mode");
    let path = dir.join("sandbox.json");
    let sim = start_with(persistent(&path)).await;
    let token = sim.cybrid_token().await;
    sim.post("/cybrid/api/customers", &token, json!({ "type": "individual" })).await;
    sim.handle.close().await.unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(dir.names(), ["sandbox.json"]);
}

/// Starts a simulator on `path` expecting a refusal, and checks the file is as it was.
async fn refused(path: &Path) -> std::io::Error {
    let before = std::fs::read(path).unwrap();
    let error = match dossier_sim::spawn(persistent(path)).await {
        Ok(_) => panic!("a simulator started on a file it cannot understand"),
        Err(e) => e,
    };
    assert_eq!(std::fs::read(path).unwrap(), before, "the file is left untouched");
    assert_eq!(error.kind(), ErrorKind::InvalidData);
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "the error names the file: {message}");
    error
}

#[tokio::test]
async fn a_damaged_file_is_refused_without_quoting_it_and_left_untouched() {
    let dir = TempDir::new("damaged");
    let path = dir.join("sandbox.json");
    for damaged in [
        // Cut short mid-write (as no atomic rename would leave it, but a copy might).
        r#"{"version":1,"cybrid":{"customers":[{"name":"Ada Lovelace","#.to_string(),
        // Valid JSON with a personal value where a record should be: serde would quote it.
        r#"{"version":1,"cybrid":"Ada Lovelace","paxos":{},"qolo":{},"mbanq":{}}"#.to_string(),
        "Ada Lovelace".to_string(),
        String::new(),
    ] {
        std::fs::write(&path, &damaged).unwrap();
        let message = refused(&path).await.to_string();
        assert!(!message.contains("Ada") && !message.contains("Lovelace"), "no personal data: {message}");
        assert!(message.contains("move it aside"), "it says what to do: {message}");
    }
    assert_eq!(dir.names(), ["sandbox.json"], "no temporary file either");
}

#[tokio::test]
async fn a_file_of_another_format_version_is_refused() {
    let dir = TempDir::new("version");
    let path = dir.join("sandbox.json");
    std::fs::write(&path, r#"{"version":2,"cybrid":{},"paxos":{},"qolo":{},"mbanq":{}}"#).unwrap();
    let message = refused(&path).await.to_string();
    assert!(message.contains("version 2") && message.contains("version 1"), "{message}");
}

#[tokio::test]
async fn a_state_file_in_a_missing_directory_fails_at_spawn() {
    let dir = TempDir::new("nodir");
    let path = dir.join("no-such-directory").join("sandbox.json");
    match dossier_sim::spawn(persistent(&path)).await {
        Ok(_) => panic!("the simulator started with a state file it cannot write"),
        Err(e) => assert!(e.to_string().contains("sandbox.json"), "{e}"),
    }
}
