//! Reproducibility: the same seed and the same requests give the same ids and the same faults;
//! another seed gives others.

use dossier_sim::{Faults, SimConfig};
use reqwest::Method;
use serde_json::json;

use crate::support::start_with;

/// Runs a fixed sequence of requests and returns what a client observed: status per request
/// (0 for a transport error) and every id handed out.
async fn observe(seed: u64) -> (Vec<u16>, Vec<String>) {
    let faults = Faults::parse("error_rate=0.2,rate_limit_rate=0.1,drop_rate=0.1,lost_response_rate=0.1").unwrap();
    let sim = start_with(SimConfig { seed, ..SimConfig::default() }).await;
    let cybrid = sim.cybrid_token().await;
    let paxos = sim.paxos_token().await;
    sim.http.put(sim.url("/_sim/faults")).body(faults.to_string()).send().await.unwrap();
    let mut statuses = Vec::new();
    for n in 0..40 {
        let (path, token, body) = if n % 2 == 0 {
            ("/cybrid/api/customers", &cybrid, json!({ "type": "individual" }))
        } else {
            ("/paxos/v2/identity/identities", &paxos, json!({ "ref_id": format!("r{n}"), "person_details": {} }))
        };
        let status = match sim.try_send(Method::POST, path, Some(token), Some(body)).await {
            Ok(reply) => reply.status,
            Err(_) => 0,
        };
        statuses.push(status);
    }
    let records = sim.records().await;
    let mut ids: Vec<String> = records["cybrid"]["customers"]
        .as_array()
        .unwrap()
        .iter()
        .chain(records["paxos"]["identities"].as_array().unwrap())
        .map(|r| r.get("guid").or(r.get("id")).unwrap().as_str().unwrap().to_string())
        .collect();
    ids.push(records["cybrid"]["bank_guid"].as_str().unwrap().to_string());
    (statuses, ids)
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids_and_the_same_faults() {
    let first = observe(42).await;
    assert_eq!(first, observe(42).await);
    let (statuses, _) = &first;
    for kind in [0, 429, 201, 200] {
        assert!(statuses.contains(&kind), "the run saw status {kind}: {statuses:?}");
    }
    assert!(statuses.contains(&500) || statuses.contains(&503));
    let other = observe(43).await;
    assert_ne!(first.0, other.0);
    assert_ne!(first.1, other.1);
}
