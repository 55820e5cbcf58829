//! Fault injection as a client sees it: 429 and 5xx that apply nothing, connections dropped
//! with no response (seen by reqwest and by a raw TCP client), lost responses whose write is
//! applied, latency, the offline switch, and admin endpoints that never fault.

use std::time::{Duration, Instant};

use dossier_sim::{Faults, SimConfig};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TestSim, always, start, start_with};

fn customers(records: &Value) -> usize {
    records["cybrid"]["customers"].as_array().unwrap().len()
}

async fn create_customer(sim: &TestSim, token: &str) -> Result<crate::support::Reply, reqwest::Error> {
    sim.try_send(Method::POST, "/cybrid/api/customers", Some(token), Some(json!({ "type": "individual" }))).await
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_and_applies_nothing() {
    let sim = start().await;
    let token = sim.cybrid_token().await;
    sim.set_faults(&always("rate_limit_rate")).await;
    let reply = create_customer(&sim, &token).await.expect("a 429 is a response");
    assert_eq!(reply.status, 429);
    assert_eq!(reply.headers["retry-after"], "1");
    assert_eq!(reply.body["message_code"], "rate_limited");
    assert_eq!(customers(&sim.records().await), 0);
    assert_eq!(sim.stats().await["faults"]["rate_limit"], 1);
}

#[tokio::test]
async fn errors_answer_500_or_503_in_the_providers_shape_and_apply_nothing() {
    let sim = start().await;
    let token = sim.mbanq_token().await;
    sim.set_faults(&always("error_rate")).await;
    let mut statuses = Vec::new();
    for n in 0..20 {
        let body = json!({ "firstname": "A", "lastname": "B", "externalId": format!("x{n}") });
        let reply = sim.post("/mbanq/v1/clients", &token, body).await;
        assert!(reply.body["httpStatusCode"].is_string(), "Fineract envelope: {:?}", reply.body);
        statuses.push(reply.status);
    }
    assert!(statuses.iter().all(|s| *s == 500 || *s == 503));
    assert!(statuses.contains(&500) && statuses.contains(&503), "{statuses:?}");
    assert_eq!(sim.records().await["mbanq"]["clients"], json!([]));
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_response_and_applies_nothing() {
    let sim = start().await;
    let token = sim.cybrid_token().await;
    sim.set_faults(&always("drop_rate")).await;
    let error = create_customer(&sim, &token).await.expect_err("no response at all");
    assert!(error.status().is_none() && !error.is_timeout(), "a transport error: {error:?}");
    assert_eq!(customers(&sim.records().await), 0);

    // A raw client sees the connection close before a single byte comes back.
    let mut stream = tokio::net::TcpStream::connect(sim.handle.addr()).await.unwrap();
    let request = format!(
        "POST /cybrid/api/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n{{\"type\":\"individual\"}}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received))
        .await
        .expect("closed, not hung");
    assert!(read.is_err() || received.is_empty(), "no response bytes: {:?}", String::from_utf8_lossy(&received));
    assert_eq!(customers(&sim.records().await), 0);
    assert_eq!(sim.stats().await["faults"]["drop"], 2);
}

#[tokio::test]
async fn lost_response_applies_the_write_but_the_client_sees_a_transport_error() {
    let sim = start().await;
    let token = sim.paxos_token().await;
    sim.set_faults(&always("lost_response_rate")).await;
    let body = json!({ "ref_id": "once", "person_details": { "first_name": "A", "last_name": "B" } });
    let error = sim.try_send(Method::POST, "/paxos/v2/identity/identities", Some(&token), Some(body.clone())).await;
    let error = error.expect_err("the response is lost");
    assert!(error.status().is_none(), "{error:?}");
    let stored = sim.records().await["paxos"]["identities"].clone();
    assert_eq!(stored.as_array().unwrap().len(), 1, "the write happened");

    // The retry a careful client makes is answered 409 with the record it created: exactly once.
    sim.set_faults("").await;
    let retry = sim.post("/paxos/v2/identity/identities", &token, body).await;
    assert_eq!(retry.status, 409);
    assert_eq!(retry.body["meta"]["existing"]["id"], stored[0]["id"]);
    assert_eq!(sim.records().await["paxos"]["identities"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn latency_delays_every_provider_request() {
    let faults = Faults { latency_ms: 150, ..Faults::NONE };
    let sim = start_with(SimConfig { faults, ..SimConfig::default() }).await;
    let started = Instant::now();
    let token = sim.qolo_token().await;
    sim.get("/qolo/api/v1/persons?client_reference_id=x", &token).await;
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    assert_eq!(sim.stats().await["faults"]["latency"], 2);
}

#[tokio::test]
async fn offline_drops_every_provider_request_but_admin_still_answers() {
    let sim = start().await;
    sim.set_offline(true).await;
    let body = json!({ "grant_type": "client_credentials", "client_id": "dossier-sandbox", "client_secret": "dossier-sandbox" });
    assert!(sim.try_send(Method::POST, "/cybrid/oauth/token", None, Some(body)).await.is_err());
    assert_eq!(sim.stats().await["faults"]["offline"], 1);
    sim.set_offline(false).await;
    assert!(!sim.cybrid_token().await.is_empty());
}

#[tokio::test]
async fn admin_endpoints_never_see_faults_and_explain_bad_specs() {
    let sim = start().await;
    sim.set_faults("drop_rate=1").await;
    for path in ["/_sim/records", "/_sim/stats", "/_sim/faults", "/_sim/offline"] {
        assert_eq!(sim.http.get(sim.url(path)).send().await.unwrap().status(), 200, "{path}");
    }
    let json_spec = sim
        .http
        .put(sim.url("/_sim/faults"))
        .json(&json!({ "error_rate": 0.25, "latency_ms": 5 }))
        .send()
        .await
        .unwrap();
    assert_eq!(json_spec.json::<Value>().await.unwrap()["spec"], "error_rate=0.25,latency_ms=5");
    let bad = sim.http.put(sim.url("/_sim/faults")).body("error_rate=2").send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let message = bad.json::<Value>().await.unwrap()["error"].as_str().unwrap().to_string();
    assert!(message.contains("error_rate") && message.contains("from 0 to 1"), "{message}");
    let unknown = sim.http.put(sim.url("/_sim/faults")).json(&json!({ "chaos": 1 })).send().await.unwrap();
    assert_eq!(unknown.status(), 400);
    // The refused specs left the last good one in force.
    let current: Value = sim.http.get(sim.url("/_sim/faults")).send().await.unwrap().json().await.unwrap();
    assert_eq!(current["error_rate"], 0.25);
}

#[tokio::test]
async fn stats_count_requests_per_endpoint() {
    let sim = start().await;
    let token = sim.cybrid_token().await;
    for _ in 0..3 {
        create_customer(&sim, &token).await.unwrap();
    }
    let stats = sim.stats().await;
    assert_eq!(stats["requests"]["cybrid"]["POST /api/customers"], 3);
    assert_eq!(stats["requests"]["cybrid"]["POST /oauth/token"], 1);
    assert_eq!(stats["responses"]["cybrid"]["201"], 3);
    assert_eq!(stats["total_requests"], 4);
}

#[tokio::test]
async fn spawn_refuses_faults_out_of_range() {
    let faults = Faults { drop_rate: 1.5, ..Faults::NONE };
    let refused = dossier_sim::spawn(SimConfig { faults, ..SimConfig::default() }).await;
    assert_eq!(refused.err().map(|e| e.kind()), Some(std::io::ErrorKind::InvalidInput));
}
