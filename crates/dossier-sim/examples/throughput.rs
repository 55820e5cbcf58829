//! Measures the simulator's capacity for simple creates on loopback: a bounded number of
//! requests (and a time cap), sequential on one keep-alive connection and then from several
//! concurrent clients. Prints requests per second per provider.
//!
//! `cargo run --release -p dossier-sim --example throughput -- [REQUESTS] [CONCURRENCY]`

use std::time::{Duration, Instant};

use dossier_sim::SimConfig;
use serde_json::{Value, json};

/// No run goes on past this, whatever the request count.
const TIME_CAP: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5_000);
    let concurrency: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(8);
    let sim = dossier_sim::spawn(SimConfig::default()).await?;
    let http = reqwest::Client::builder().no_proxy().build()?;
    let url = sim.url.clone();

    let token = |path: &'static str, body: Value| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let reply: Value = http.post(format!("{url}{path}")).json(&body).send().await?.json().await?;
            Ok::<String, reqwest::Error>(reply["access_token"].as_str().unwrap_or_default().to_string())
        }
    };
    let creds = json!({ "grant_type": "client_credentials", "client_id": "dossier-sandbox", "client_secret": "dossier-sandbox" });
    let cybrid = token("/cybrid/oauth/token", creds.clone()).await?;
    let paxos_form =
        [("grant_type", "client_credentials"), ("client_id", "dossier-sandbox"), ("client_secret", "dossier-sandbox")];
    let paxos: Value = http.post(format!("{url}/paxos/oauth2/token")).form(&paxos_form).send().await?.json().await?;
    let paxos = paxos["access_token"].as_str().unwrap_or_default().to_string();

    println!("{requests} requests per run, {concurrency} concurrent clients in the second column");
    for (name, path, token, body) in [
        (
            "cybrid POST /api/customers",
            "/cybrid/api/customers",
            cybrid.clone(),
            Body::Fixed(json!({ "type": "individual" })),
        ),
        ("paxos POST /v2/identity/identities", "/paxos/v2/identity/identities", paxos.clone(), Body::RefId),
        ("cybrid GET /api/customers?per_page=10", "/cybrid/api/customers?per_page=10", cybrid.clone(), Body::Get),
    ] {
        let sequential = run(&http, &url, path, &token, &body, requests, 1).await?;
        let parallel = run(&http, &url, path, &token, &body, requests, concurrency).await?;
        println!("{name:42} {sequential:>8.0} req/s sequential {parallel:>8.0} req/s concurrent");
    }
    sim.shutdown().await;
    Ok(())
}

#[derive(Clone)]
enum Body {
    Fixed(Value),
    /// A fresh `ref_id` per request, so Paxos creates rather than answering 409.
    RefId,
    Get,
}

async fn run(
    http: &reqwest::Client,
    url: &str,
    path: &str,
    token: &str,
    body: &Body,
    requests: usize,
    concurrency: usize,
) -> Result<f64, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let (http, url, path, token, body) =
            (http.clone(), url.to_string(), path.to_string(), token.to_string(), body.clone());
        let share = requests / concurrency + usize::from(worker < requests % concurrency);
        tasks.spawn(async move {
            let mut done = 0usize;
            for n in 0..share {
                if started.elapsed() > TIME_CAP {
                    break;
                }
                let request = match &body {
                    Body::Get => http.get(format!("{url}{path}")),
                    Body::Fixed(value) => http.post(format!("{url}{path}")).json(value),
                    Body::RefId => http
                        .post(format!("{url}{path}"))
                        .json(&json!({ "ref_id": format!("w{worker}-{n}-{}", started.elapsed().as_nanos()), "person_details": {} })),
                };
                let response = request.bearer_auth(&token).send().await.map_err(|e| e.to_string())?;
                if !response.status().is_success() {
                    return Err(format!("unexpected status {}", response.status()));
                }
                response.bytes().await.map_err(|e| e.to_string())?;
                done += 1;
            }
            Ok::<usize, String>(done)
        });
    }
    let mut done = 0;
    while let Some(result) = tasks.join_next().await {
        done += result??;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}
