//! Seeded fault injection for provider endpoints: latency, 429 bursts, 5xx errors, dropped
//! connections, and lost responses (the write is applied, then the connection is dropped, which
//! is the case an exactly-once client must survive). Admin endpoints never see faults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ids::{Seeded, stream};
use crate::server::ConnectionCut;
use crate::sim::{Sim, lock};
use crate::wire::{ApiError, Provider};

/// The faults in force. Rates are fractions of requests in `[0, 1]` and together at most 1: each
/// request draws once and falls into at most one of drop, rate limit, error or lost response.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Faults {
    /// Share of requests answered 500 or 503 before anything is applied.
    pub error_rate: f64,
    /// Delay before every provider request is handled.
    pub latency_ms: u64,
    /// Share of requests whose connection is dropped, with no response, before anything is applied.
    pub drop_rate: f64,
    /// Share of requests that are applied, after which the connection is dropped with no response.
    pub lost_response_rate: f64,
    /// Share of requests answered 429 with `Retry-After: 1` before anything is applied.
    pub rate_limit_rate: f64,
}

/// Why a fault spec was refused. Messages say how to write it correctly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultsError {
    #[error(
        "unknown fault `{0}`: use error_rate, latency_ms, drop_rate, lost_response_rate or rate_limit_rate, \
         like `error_rate=0.3,latency_ms=20`"
    )]
    UnknownKey(String),
    #[error("fault `{0}` has no value: write it as `{0}=VALUE`")]
    MissingValue(String),
    #[error("fault `{0}` is given twice: keep one")]
    Duplicate(String),
    #[error("fault `{0}` must be a rate from 0 to 1, like `{0}=0.05`")]
    BadRate(String),
    #[error(
        "fault `latency_ms` must be a whole number of milliseconds from 0 to {MAX_LATENCY_MS}, like `latency_ms=20`"
    )]
    BadLatency,
    #[error(
        "the fault rates add up to more than 1: each request gets at most one fault, so lower \
         error_rate, drop_rate, lost_response_rate or rate_limit_rate"
    )]
    RatesOverOne,
}

/// A latency above a minute is almost surely a typo for a rate, and would stall every client.
pub const MAX_LATENCY_MS: u64 = 60_000;

const KEYS: [&str; 5] = ["error_rate", "latency_ms", "drop_rate", "lost_response_rate", "rate_limit_rate"];

impl Faults {
    /// No faults at all.
    pub const NONE: Faults =
        Faults { error_rate: 0.0, latency_ms: 0, drop_rate: 0.0, lost_response_rate: 0.0, rate_limit_rate: 0.0 };

    /// Parses `error_rate=0.3,latency_ms=20,drop_rate=0.05,lost_response_rate=0.05,rate_limit_rate=0.05`.
    /// Every key is optional; `""` means no faults. Whitespace around items is ignored.
    pub fn parse(spec: &str) -> Result<Faults, FaultsError> {
        let mut faults = Faults::NONE;
        let mut seen: Vec<&str> = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let (key, value) = match item.split_once('=') {
                Some((key, value)) => (key.trim(), value.trim()),
                None => (item, ""),
            };
            let Some(key) = KEYS.iter().copied().find(|k| *k == key) else {
                return Err(FaultsError::UnknownKey(key.chars().take(40).collect()));
            };
            if value.is_empty() {
                return Err(FaultsError::MissingValue(key.to_string()));
            }
            if seen.contains(&key) {
                return Err(FaultsError::Duplicate(key.to_string()));
            }
            seen.push(key);
            if key == "latency_ms" {
                faults.latency_ms = value.parse().map_err(|_| FaultsError::BadLatency)?;
            } else {
                let rate: f64 = value.parse().map_err(|_| FaultsError::BadRate(key.to_string()))?;
                *faults.rate_mut(key) = rate;
            }
        }
        faults.validate()
    }

    /// Checks ranges; used for the spec string and for the JSON form of `PUT /_sim/faults`.
    pub fn validate(self) -> Result<Faults, FaultsError> {
        for key in KEYS.iter().filter(|k| **k != "latency_ms") {
            let rate = self.rate(key);
            if !(0.0..=1.0).contains(&rate) {
                return Err(FaultsError::BadRate(key.to_string()));
            }
        }
        if self.latency_ms > MAX_LATENCY_MS {
            return Err(FaultsError::BadLatency);
        }
        // A small tolerance so that e.g. 0.7 + 0.2 + 0.1 is not refused for rounding.
        if self.error_rate + self.drop_rate + self.lost_response_rate + self.rate_limit_rate > 1.0 + 1e-9 {
            return Err(FaultsError::RatesOverOne);
        }
        Ok(self)
    }

    fn rate(&self, key: &str) -> f64 {
        match key {
            "error_rate" => self.error_rate,
            "drop_rate" => self.drop_rate,
            "lost_response_rate" => self.lost_response_rate,
            _ => self.rate_limit_rate,
        }
    }

    fn rate_mut(&mut self, key: &str) -> &mut f64 {
        match key {
            "error_rate" => &mut self.error_rate,
            "drop_rate" => &mut self.drop_rate,
            "lost_response_rate" => &mut self.lost_response_rate,
            _ => &mut self.rate_limit_rate,
        }
    }

    pub fn is_none(&self) -> bool {
        *self == Faults::NONE
    }
}

impl fmt::Display for Faults {
    /// The spec string, listing only the faults in force (`""` for none), so it parses back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for key in KEYS {
            if key == "latency_ms" {
                if self.latency_ms > 0 {
                    parts.push(format!("latency_ms={}", self.latency_ms));
                }
            } else if self.rate(key) > 0.0 {
                parts.push(format!("{key}={}", self.rate(key)));
            }
        }
        f.write_str(&parts.join(","))
    }
}

/// The fault kinds, as counted by `/_sim/stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum FaultKind {
    Latency,
    RateLimit,
    Error,
    Drop,
    LostResponse,
    Offline,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Latency,
        FaultKind::RateLimit,
        FaultKind::Error,
        FaultKind::Drop,
        FaultKind::LostResponse,
        FaultKind::Offline,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Latency => "latency",
            FaultKind::RateLimit => "rate_limit",
            FaultKind::Error => "error",
            FaultKind::Drop => "drop",
            FaultKind::LostResponse => "lost_response",
            FaultKind::Offline => "offline",
        }
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Serve,
    Drop,
    RateLimit,
    Error(StatusCode),
    LostResponse,
}

/// The faults in force, the offline switch and the seeded stream the draws come from.
pub(crate) struct FaultState {
    pub faults: Faults,
    pub offline: bool,
    rng: Seeded,
}

impl FaultState {
    pub fn new(faults: Faults, seed: u64) -> Self {
        Self { faults, offline: false, rng: Seeded::new(seed, stream::FAULTS) }
    }

    /// Draws the fate of one request. Always exactly two draws, whatever the faults, so request
    /// `n` of a run uses the same numbers whichever faults were in force for earlier requests.
    fn draw(&mut self) -> Fate {
        let (fate_draw, status_draw) = (self.rng.unit(), self.rng.unit());
        let f = self.faults;
        let bands = [
            (f.drop_rate, Fate::Drop),
            (f.rate_limit_rate, Fate::RateLimit),
            (
                f.error_rate,
                Fate::Error(if status_draw < 0.5 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                }),
            ),
            (f.lost_response_rate, Fate::LostResponse),
        ];
        let mut edge = 0.0;
        for (rate, fate) in bands {
            edge += rate;
            if fate_draw < edge {
                return fate;
            }
        }
        Fate::Serve
    }
}

/// The middleware in front of every provider route: counts the request, then applies offline,
/// latency and the drawn fault before (or, for a lost response, after) the handler runs.
pub(crate) async fn inject(
    State((sim, provider)): State<(Arc<Sim>, Provider)>,
    request: Request,
    next: Next,
) -> Response {
    let endpoint = endpoint_name(&request, provider);
    lock(&sim.stats).request(provider, endpoint);
    let cut = request.extensions().get::<ConnectionCut>().cloned();

    let (offline, latency_ms, fate) = {
        let mut state = lock(&sim.faults);
        let fate = state.draw();
        (state.offline, state.faults.latency_ms, fate)
    };
    if offline {
        lock(&sim.stats).fault(FaultKind::Offline);
        return drop_connection(cut).await;
    }
    if latency_ms > 0 {
        lock(&sim.stats).fault(FaultKind::Latency);
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let response = match fate {
        Fate::Serve => next.run(request).await,
        Fate::Drop => {
            lock(&sim.stats).fault(FaultKind::Drop);
            return drop_connection(cut).await;
        }
        Fate::RateLimit => {
            lock(&sim.stats).fault(FaultKind::RateLimit);
            rate_limited(provider).into_response()
        }
        Fate::Error(status) => {
            lock(&sim.stats).fault(FaultKind::Error);
            server_error(provider, status).into_response()
        }
        Fate::LostResponse => {
            // The handler runs to completion (the write is applied) before the cut.
            let _applied = next.run(request).await;
            lock(&sim.stats).fault(FaultKind::LostResponse);
            return drop_connection(cut).await;
        }
    };
    lock(&sim.stats).status(provider, response.status());
    response
}

/// `METHOD /route/template` without the provider prefix, e.g. `POST /api/customers`.
fn endpoint_name(request: &Request, provider: Provider) -> String {
    let method = request.method().as_str();
    match request.extensions().get::<MatchedPath>() {
        Some(path) => {
            let path = path.as_str();
            let prefix = format!("/{}", provider.name());
            format!("{method} {}", path.strip_prefix(&prefix).unwrap_or(path))
        }
        None => format!("{method} (no such route)"),
    }
}

/// Closes the connection without a response. The connection task owns the socket; the handler
/// asks it to drop the socket and then never finishes, so not one byte of a response is written.
async fn drop_connection(cut: Option<ConnectionCut>) -> Response {
    match cut {
        Some(cut) => {
            cut.cut();
            std::future::pending::<Response>().await
        }
        // Only reached when the router is driven without the simulator's own server (no socket
        // to close): a body that fails at once is the nearest thing.
        None => ConnectionCut::failing_body(),
    }
}

fn rate_limited(provider: Provider) -> ApiError {
    let code = match provider {
        Provider::Cybrid => "rate_limited",
        Provider::Paxos => "too-many-requests",
        Provider::Qolo => "",
        Provider::Mbanq => "error.msg.rate.limit.exceeded",
    };
    ApiError::new(provider, StatusCode::TOO_MANY_REQUESTS, code, "Too many requests, retry after 1 second")
        .with_retry_after(1)
}

fn server_error(provider: Provider, status: StatusCode) -> ApiError {
    let (code, message) = match (provider, status) {
        (Provider::Cybrid, StatusCode::SERVICE_UNAVAILABLE) => ("service_unavailable", "Service unavailable"),
        (Provider::Cybrid, _) => ("internal_server_error", "Internal server error"),
        (Provider::Paxos, _) => ("", "the service failed to handle the request"),
        (Provider::Mbanq, StatusCode::SERVICE_UNAVAILABLE) => {
            ("error.msg.platform.service.unavailable", "The service is temporarily unavailable.")
        }
        (_, StatusCode::SERVICE_UNAVAILABLE) => ("", "Service Unavailable"),
        (_, _) => ("", "Server Error"),
    };
    ApiError::new(provider, status, code, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key_and_the_empty_spec() {
        assert_eq!(Faults::parse("").unwrap(), Faults::NONE);
        assert_eq!(Faults::parse(" , ").unwrap(), Faults::NONE);
        let f =
            Faults::parse("error_rate=0.3,latency_ms=20,drop_rate=0.05,lost_response_rate=0.05,rate_limit_rate=0.05")
                .unwrap();
        assert_eq!(
            f,
            Faults {
                error_rate: 0.3,
                latency_ms: 20,
                drop_rate: 0.05,
                lost_response_rate: 0.05,
                rate_limit_rate: 0.05
            }
        );
        assert_eq!(Faults::parse(&f.to_string()).unwrap(), f);
    }

    #[test]
    fn refuses_bad_specs_with_a_message_that_says_how_to_fix_them() {
        let cases: &[(&str, FaultsError)] = &[
            ("eror_rate=0.3", FaultsError::UnknownKey("eror_rate".into())),
            ("error_rate", FaultsError::MissingValue("error_rate".into())),
            ("error_rate=", FaultsError::MissingValue("error_rate".into())),
            ("error_rate=1.5", FaultsError::BadRate("error_rate".into())),
            ("drop_rate=-0.1", FaultsError::BadRate("drop_rate".into())),
            ("drop_rate=NaN", FaultsError::BadRate("drop_rate".into())),
            ("drop_rate=lots", FaultsError::BadRate("drop_rate".into())),
            ("latency_ms=-1", FaultsError::BadLatency),
            ("latency_ms=2.5", FaultsError::BadLatency),
            ("latency_ms=600000", FaultsError::BadLatency),
            ("error_rate=0.1,error_rate=0.2", FaultsError::Duplicate("error_rate".into())),
            ("error_rate=0.6,drop_rate=0.6", FaultsError::RatesOverOne),
        ];
        for (spec, expected) in cases {
            assert_eq!(Faults::parse(spec).as_ref(), Err(expected), "spec {spec:?}");
        }
        let message = Faults::parse("eror_rate=0.3").unwrap_err().to_string();
        assert!(message.contains("use error_rate"), "{message}");
    }

    #[test]
    fn draws_hit_each_band_at_its_rate_and_repeat_for_a_seed() {
        let faults = Faults::parse("drop_rate=0.1,rate_limit_rate=0.2,error_rate=0.3,lost_response_rate=0.1").unwrap();
        let run = |seed| {
            let mut state = FaultState::new(faults, seed);
            (0..10_000).map(|_| state.draw()).collect::<Vec<_>>()
        };
        let fates = run(42);
        assert_eq!(fates, run(42));
        assert_ne!(fates, run(43));
        let share = |pred: fn(&Fate) -> bool| fates.iter().filter(|f| pred(f)).count() as f64 / 10_000.0;
        assert!((share(|f| *f == Fate::Drop) - 0.1).abs() < 0.02);
        assert!((share(|f| *f == Fate::RateLimit) - 0.2).abs() < 0.02);
        assert!((share(|f| matches!(f, Fate::Error(_))) - 0.3).abs() < 0.02);
        assert!((share(|f| *f == Fate::LostResponse) - 0.1).abs() < 0.02);
        assert!(fates.contains(&Fate::Error(StatusCode::INTERNAL_SERVER_ERROR)));
        assert!(fates.contains(&Fate::Error(StatusCode::SERVICE_UNAVAILABLE)));
    }
}
