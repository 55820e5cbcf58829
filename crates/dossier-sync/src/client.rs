//! One authenticated HTTP client per provider: its token flow (OAuth client credentials,
//! Mbanq's password grant with the tenant header, Qolo's login), a cached token refreshed before
//! it expires and once more on a 401, and error bodies turned into [`DeliveryError`].

use std::fmt;
use std::sync::Once;
use std::time::{Duration, Instant};

use dossier_core::Provider;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::error::DeliveryError;

/// Where a provider is and how to sign in. `Debug` never shows the secret.
#[derive(Clone)]
pub struct ProviderConfig {
    pub provider: Provider,
    /// The provider's base URL, e.g. `http://127.0.0.1:8080/cybrid` for the sandbox.
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// Mbanq's tenant; Qolo's program guid.
    pub tenant: Option<String>,
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("tenant", &self.tenant)
            .finish()
    }
}

/// How long one request may take before its fate counts as unknown.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Installs the TLS crypto provider reqwest uses (ring). Idempotent; clients built by this crate
/// call it themselves, and a process that builds other reqwest clients calls it first.
pub fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Another part of the process may have installed one already; either is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

pub(crate) struct ProviderClient {
    pub config: ProviderConfig,
    http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

fn transport(e: reqwest::Error) -> DeliveryError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the response was cut off"
    } else {
        "the connection failed"
    };
    DeliveryError::Transport(kind.to_owned())
}

impl ProviderClient {
    pub fn new(config: ProviderConfig) -> Result<Self, DeliveryError> {
        install_crypto();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .pool_max_idle_per_host(16)
            .build()
            .map_err(|_| DeliveryError::Precondition("could not build an HTTP client".into()))?;
        Ok(Self { config, http, token: Mutex::new(None) })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.base_url.trim_end_matches('/'), path)
    }

    fn tenant_header(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match (&self.config.provider, &self.config.tenant) {
            (Provider::Mbanq, Some(tenant)) => req.header("tenantId", tenant),
            _ => req,
        }
    }

    async fn fetch_token(&self) -> Result<(String, Duration), DeliveryError> {
        let c = &self.config;
        let req = match c.provider {
            Provider::Cybrid => self.http.post(self.url("/oauth/token")).json(&json!({
                "grant_type": "client_credentials", "client_id": c.client_id, "client_secret": c.client_secret,
                "scope": "customers:read customers:write customers:execute identity_verifications:read identity_verifications:execute",
            })),
            Provider::Paxos => self.http.post(self.url("/oauth2/token")).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", c.client_id.as_str()),
                ("client_secret", c.client_secret.as_str()),
                ("scope", "identity:read_identity identity:write_identity"),
            ]),
            Provider::Qolo => self
                .http
                .post(self.url("/api/v1/auth/login"))
                .json(&json!({"loginid": c.client_id, "apikey": c.client_secret})),
            Provider::Mbanq => self.tenant_header(self.http.post(self.url("/oauth/token")).form(&[
                ("grant_type", "password"),
                ("username", c.client_id.as_str()),
                ("password", c.client_secret.as_str()),
                ("client_id", c.client_id.as_str()),
                ("client_secret", c.client_secret.as_str()),
            ])),
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(DeliveryError::Http {
                status: status.as_u16(),
                body: summarize(&body),
                retry_after: None,
                json: body,
            });
        }
        let token = body["access_token"].as_str().ok_or_else(|| DeliveryError::Http {
            status: status.as_u16(),
            body: "no access_token".into(),
            retry_after: None,
            json: Value::Null,
        })?;
        let ttl = Duration::from_secs(body["expires_in"].as_u64().unwrap_or(3600));
        Ok((token.to_owned(), ttl))
    }

    /// A valid token: the cached one unless it is about to expire or `fresh` is asked for.
    async fn token(&self, fresh: bool) -> Result<String, DeliveryError> {
        let mut cached = self.token.lock().await;
        if !fresh
            && let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        // Nothing else has been sent yet, so a transient failure here is simply tried again.
        let mut tries = 0;
        let (token, ttl) = loop {
            match self.fetch_token().await {
                Err(e) if e.is_retryable() && tries < 3 => {
                    tries += 1;
                    let wait = e.retry_after().unwrap_or(Duration::from_millis(50 * tries));
                    tokio::time::sleep(wait.min(Duration::from_secs(2))).await;
                }
                other => break other?,
            }
        };
        // Refresh a little early, so a token never expires in flight.
        let margin = (ttl / 10).min(Duration::from_secs(30));
        *cached = Some((token.clone(), Instant::now() + ttl.saturating_sub(margin)));
        Ok(token)
    }

    /// Sends one request with the provider's auth and returns the status and JSON body. A 401
    /// gets one retry with a fresh token; other error statuses become [`DeliveryError::Http`].
    pub async fn send_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(u16, Value), DeliveryError> {
        let mut fresh = false;
        loop {
            let token = self.token(fresh).await?;
            let mut req = self.http.request(method.clone(), self.url(path)).bearer_auth(&token).query(query);
            req = self.tenant_header(req);
            if let Some(body) = body {
                req = req.json(body);
            }
            let resp = req.send().await.map_err(transport)?;
            let status = resp.status();
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = resp.text().await.map_err(transport)?;
            let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if status == StatusCode::UNAUTHORIZED && !fresh {
                fresh = true;
                continue;
            }
            if status.is_success() {
                return Ok((status.as_u16(), json));
            }
            return Err(DeliveryError::Http { status: status.as_u16(), body: summarize(&json), retry_after, json });
        }
    }

    /// [`ProviderClient::send_once`] for requests that are safe to repeat (GET, PUT): a transient
    /// failure is tried again at once, a few times, so one lost packet does not cost the whole
    /// delivery its attempt. Creates never go through here.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<(u16, Value), DeliveryError> {
        let repeatable = method == Method::GET || method == Method::PUT;
        let mut tries = 0;
        loop {
            match self.send_once(method.clone(), path, query, body).await {
                Err(e) if repeatable && e.is_retryable() && tries < 3 => {
                    tries += 1;
                    let wait = e.retry_after().unwrap_or(Duration::from_millis(50 * tries));
                    tokio::time::sleep(wait.min(Duration::from_secs(2))).await;
                }
                other => return other,
            }
        }
    }
}

/// The provider's error in a line: its code and message fields (Cybrid's `message_code`, Paxos'
/// problem `title`, Fineract's globalisation codes), not the whole body.
pub(crate) fn summarize(body: &Value) -> String {
    let pick = |keys: &[&str]| keys.iter().find_map(|k| body[*k].as_str().map(str::to_owned));
    let code = pick(&["message_code", "userMessageGlobalisationCode", "title", "code", "error"]);
    let message = pick(&["error_message", "detail", "defaultUserMessage", "message"]);
    let specific: Vec<String> = body["errors"]
        .as_array()
        .map(|errs| errs.iter().filter_map(|e| e["userMessageGlobalisationCode"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let mut out = match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        (None, Some(m)) => m,
        (None, None) => "no error body".to_owned(),
    };
    if !specific.is_empty() {
        out.push_str(&format!(" [{}]", specific.join(", ")));
    }
    out
}

/// Whether each provider answers at all (any HTTP status counts), within two seconds. Runs on
/// its own thread with its own runtime, so it can be called from anywhere, async code included.
pub fn probe(targets: &[(Provider, String)]) -> Vec<(Provider, bool)> {
    install_crypto();
    let targets = targets.to_vec();
    let all_down = |targets: &[(Provider, String)]| targets.iter().map(|(p, _)| (*p, false)).collect::<Vec<_>>();
    let fallback = all_down(&targets);
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return all_down(&targets);
        };
        runtime.block_on(async {
            let Ok(http) = reqwest::Client::builder().timeout(Duration::from_secs(2)).build() else {
                return all_down(&targets);
            };
            let mut out = Vec::with_capacity(targets.len());
            for (provider, url) in &targets {
                out.push((*provider, http.get(url).send().await.is_ok()));
            }
            out
        })
    })
    .join()
    .unwrap_or(fallback)
}
