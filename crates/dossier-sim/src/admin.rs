//! Admin endpoints under `/_sim` for tests and the desktop app: every stored record, request
//! and fault counts, and the fault and offline switches. No auth and never any faults.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::live_tokens;
use crate::faults::{FaultKind, Faults};
use crate::sim::{Sim, lock};
use crate::wire::{Provider, reply};

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/records", get(records))
        .route("/stats", get(stats))
        .route("/faults", get(get_faults).put(put_faults))
        .route("/offline", get(get_offline).put(put_offline))
        .fallback(|| async { admin_error(StatusCode::NOT_FOUND, "no such admin endpoint: see docs/sandbox.md") })
}

/// Request counts per provider and endpoint, response statuses per provider, and how often
/// each fault was injected.
#[derive(Default)]
pub(crate) struct Stats {
    requests: BTreeMap<(Provider, String), u64>,
    statuses: BTreeMap<(Provider, u16), u64>,
    faults: BTreeMap<FaultKind, u64>,
}

impl Stats {
    pub fn request(&mut self, provider: Provider, endpoint: String) {
        *self.requests.entry((provider, endpoint)).or_default() += 1;
    }

    pub fn status(&mut self, provider: Provider, status: StatusCode) {
        *self.statuses.entry((provider, status.as_u16())).or_default() += 1;
    }

    pub fn fault(&mut self, kind: FaultKind) {
        *self.faults.entry(kind).or_default() += 1;
    }

    fn json(&self) -> Value {
        let mut requests = Map::new();
        let mut statuses = Map::new();
        let mut total = 0;
        for provider in Provider::ALL {
            let mut per_endpoint = Map::new();
            for ((_, endpoint), n) in self.requests.iter().filter(|((p, _), _)| *p == provider) {
                per_endpoint.insert(endpoint.clone(), (*n).into());
                total += n;
            }
            requests.insert(provider.name().into(), Value::Object(per_endpoint));
            let per_status: Map<String, Value> = self
                .statuses
                .iter()
                .filter(|((p, _), _)| *p == provider)
                .map(|((_, status), n)| (status.to_string(), (*n).into()))
                .collect();
            statuses.insert(provider.name().into(), Value::Object(per_status));
        }
        let faults: Map<String, Value> = FaultKind::ALL
            .iter()
            .map(|kind| (kind.name().to_string(), self.faults.get(kind).copied().unwrap_or(0).into()))
            .collect();
        json!({ "total_requests": total, "requests": requests, "responses": statuses, "faults": faults })
    }
}

fn admin_error(status: StatusCode, message: &str) -> Response {
    reply(status, json!({ "error": message }))
}

/// `GET /_sim/records`: every stored record per provider, personal data included (this is a
/// sandbox; the records are whatever the client sent).
async fn records(State(sim): State<Arc<Sim>>) -> Response {
    let cybrid = sim.cybrid.lock().dump();
    let paxos = sim.paxos.lock().dump();
    let qolo = sim.qolo.lock().dump();
    let mbanq = sim.mbanq.lock().dump();
    reply(StatusCode::OK, json!({ "cybrid": cybrid, "paxos": paxos, "qolo": qolo, "mbanq": mbanq }))
}

/// `GET /_sim/stats`.
async fn stats(State(sim): State<Arc<Sim>>) -> Response {
    let mut body = lock(&sim.stats).json();
    if let Value::Object(map) = &mut body {
        map.insert("live_tokens".into(), live_tokens(&lock(&sim.tokens)));
    }
    reply(StatusCode::OK, body)
}

fn faults_json(faults: Faults, offline: bool) -> Value {
    json!({
        "spec": faults.to_string(),
        "error_rate": faults.error_rate,
        "latency_ms": faults.latency_ms,
        "drop_rate": faults.drop_rate,
        "lost_response_rate": faults.lost_response_rate,
        "rate_limit_rate": faults.rate_limit_rate,
        "offline": offline,
    })
}

async fn get_faults(State(sim): State<Arc<Sim>>) -> Response {
    let state = lock(&sim.faults);
    reply(StatusCode::OK, faults_json(state.faults, state.offline))
}

/// The JSON form of a fault spec; keys left out are zero.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsBody {
    #[serde(default)]
    error_rate: f64,
    #[serde(default)]
    latency_ms: u64,
    #[serde(default)]
    drop_rate: f64,
    #[serde(default)]
    lost_response_rate: f64,
    #[serde(default)]
    rate_limit_rate: f64,
}

/// `PUT /_sim/faults` with a spec string (`error_rate=0.3,latency_ms=20`) or the same as a JSON
/// object. The new faults replace the old ones whole.
async fn put_faults(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return admin_error(StatusCode::BAD_REQUEST, "the body must be UTF-8 text: a fault spec or a JSON object");
    };
    let parsed = if text.trim_start().starts_with('{') {
        match serde_json::from_str::<FaultsBody>(text) {
            Ok(b) => Faults {
                error_rate: b.error_rate,
                latency_ms: b.latency_ms,
                drop_rate: b.drop_rate,
                lost_response_rate: b.lost_response_rate,
                rate_limit_rate: b.rate_limit_rate,
            }
            .validate(),
            Err(_) => {
                return admin_error(
                    StatusCode::BAD_REQUEST,
                    "the JSON body may hold only error_rate, latency_ms, drop_rate, lost_response_rate and \
                     rate_limit_rate, each a number",
                );
            }
        }
    } else {
        // A JSON string literal is accepted too, for clients that always send JSON.
        let spec = serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_string());
        Faults::parse(&spec)
    };
    match parsed {
        Ok(faults) => {
            let mut state = lock(&sim.faults);
            state.faults = faults;
            reply(StatusCode::OK, faults_json(state.faults, state.offline))
        }
        Err(e) => admin_error(StatusCode::BAD_REQUEST, &e.to_string()),
    }
}

async fn get_offline(State(sim): State<Arc<Sim>>) -> Response {
    reply(StatusCode::OK, json!({ "offline": lock(&sim.faults).offline }))
}

/// `PUT /_sim/offline` `{"offline": true}`: every provider request is dropped until it is
/// turned off again.
async fn put_offline(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        offline: bool,
    }
    match serde_json::from_slice::<Body>(&body) {
        Ok(Body { offline }) => {
            lock(&sim.faults).offline = offline;
            reply(StatusCode::OK, json!({ "offline": offline }))
        }
        Err(_) => {
            admin_error(StatusCode::BAD_REQUEST, "send {\"offline\": true} or {\"offline\": false}").into_response()
        }
    }
}
