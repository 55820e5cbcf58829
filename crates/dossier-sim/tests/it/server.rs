//! The server itself: it binds loopback only, and shutdown closes connections a client keeps
//! alive, so nothing answers afterwards.

use std::time::Duration;

use dossier_sim::SimConfig;

use crate::support::{client, start};

#[tokio::test]
async fn it_binds_loopback_only_and_says_so_in_its_url() {
    let sim = start().await;
    assert!(sim.handle.addr().ip().is_loopback());
    assert_eq!(sim.handle.url, format!("http://127.0.0.1:{}", sim.handle.addr().port()));
}

#[tokio::test]
async fn shutdown_closes_kept_alive_connections_and_stops_answering() {
    let sim = dossier_sim::spawn(SimConfig::default()).await.unwrap();
    let http = client();
    let stats = format!("{}/_sim/stats", sim.url);
    assert_eq!(http.get(&stats).send().await.unwrap().status(), 200, "the pooled connection is now open");
    tokio::time::timeout(Duration::from_secs(5), sim.shutdown()).await.expect("shutdown does not wait on idle clients");
    assert!(http.get(&stats).send().await.is_err(), "nothing answers after shutdown");
}

#[tokio::test]
async fn dropping_the_handle_stops_the_server_too() {
    let sim = dossier_sim::spawn(SimConfig::default()).await.unwrap();
    let url = format!("{}/_sim/stats", sim.url);
    drop(sim);
    let http = client();
    let mut refused = false;
    for _ in 0..50 {
        if http.get(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the port stops answering soon after the handle is dropped");
}
