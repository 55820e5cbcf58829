//! Sandbox credentials and bearer tokens. Each provider has its own token endpoint and accepts
//! only tokens it issued; a token lives for `SimConfig::token_ttl`. Token endpoint errors use
//! the OAuth 2.0 shape (RFC 6749 §5.2) except Qolo's login, which uses Qolo's error shape.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::ids::{Seeded, stream};
use crate::sim::{Sim, lock};
use crate::wire::{ApiError, Fields, Provider, form_pairs, json_object, reply};

/// The one sandbox client: OAuth client id and secret, Qolo login id and API key, Mbanq user.
pub const SANDBOX_CLIENT_ID: &str = "dossier-sandbox";
pub const SANDBOX_CLIENT_SECRET: &str = "dossier-sandbox";
/// The Mbanq tenant (banking instance) every Mbanq request must name.
pub const MBANQ_TENANT: &str = "sandbox";

/// Every Cybrid Bank scope a sandbox token may carry; a token request without `scope` gets all.
pub(crate) const CYBRID_SCOPES: &[&str] = &[
    "customers:read",
    "customers:pii:read",
    "customers:write",
    "customers:execute",
    "identity_verifications:read",
    "identity_verifications:pii:read",
    "identity_verifications:write",
    "identity_verifications:execute",
];

const PAXOS_SCOPES: &[&str] = &[
    "identity:read_identity",
    "identity:write_identity",
    "identity:read_account",
    "identity:write_account",
    "identity:read_identity_control",
    "identity:write_identity_control",
];

/// Mbanq refresh tokens outlive access tokens; a day is what a desktop session needs.
const REFRESH_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Expired tokens are kept this long so a late request hears "expired" rather than "unknown",
/// then pruned so memory stays flat however many tokens a client asks for.
const EXPIRED_GRACE: Duration = Duration::from_secs(10 * 60);

/// Who a request is from, put in the request's extensions by [`require_bearer`].
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub client_id: Arc<str>,
    pub scopes: Arc<[String]>,
}

impl Grant {
    /// Cybrid's scope check: `403 invalid_scopes "Invalid scopes. Required: <scope>"`.
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(ApiError::new(
                Provider::Cybrid,
                StatusCode::FORBIDDEN,
                "invalid_scopes",
                format!("Invalid scopes. Required: {scope}"),
            ))
        }
    }
}

struct Token {
    provider: Provider,
    grant: Grant,
    expires_at: Instant,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Unknown,
    Expired,
}

pub(crate) struct TokenBook {
    rng: Seeded,
    access: HashMap<String, Token>,
    /// Mbanq refresh token → the grant it renews.
    refresh: HashMap<String, (Grant, Instant)>,
}

impl TokenBook {
    pub fn new(seed: u64) -> Self {
        Self { rng: Seeded::new(seed, stream::TOKENS), access: HashMap::new(), refresh: HashMap::new() }
    }

    fn issue(&mut self, provider: Provider, grant: Grant, ttl: Duration) -> String {
        let now = Instant::now();
        self.access.retain(|_, t| t.expires_at + EXPIRED_GRACE > now);
        self.refresh.retain(|_, (_, expires_at)| *expires_at > now);
        let token = format!("sim-{}-{}", provider.name(), self.rng.alphanumeric(40));
        self.access.insert(token.clone(), Token { provider, grant, expires_at: now + ttl });
        token
    }

    fn issue_refresh(&mut self, grant: Grant) -> String {
        let token = format!("sim-mbanq-refresh-{}", self.rng.alphanumeric(40));
        self.refresh.insert(token.clone(), (grant, Instant::now() + REFRESH_TTL));
        token
    }

    pub fn check(&self, provider: Provider, token: &str) -> Result<Grant, TokenProblem> {
        match self.access.get(token) {
            Some(t) if t.provider != provider => Err(TokenProblem::Unknown),
            Some(t) if t.expires_at <= Instant::now() => Err(TokenProblem::Expired),
            Some(t) => Ok(t.grant.clone()),
            None => Err(TokenProblem::Unknown),
        }
    }
}

/// An OAuth 2.0 token-endpoint error.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    reply(status, json!({ "error": error, "error_description": description }))
}

fn invalid_client() -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
    )
}

fn unsupported_grant() -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
        "The authorization grant type is not supported by the authorization server.",
    )
}

fn invalid_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// The pairs of a token request: JSON or form, whichever parses.
fn token_fields(body: &Bytes, json_first: bool) -> Option<HashMap<String, String>> {
    let from_json = || {
        let map = json_object(Provider::Cybrid, body).ok()?;
        Some(map.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))).collect())
    };
    let from_form = || form_pairs(body).map(|pairs| pairs.into_iter().collect());
    if json_first { from_json().or_else(from_form) } else { from_form().or_else(from_json) }
}

/// Grants the requested space-separated scopes, or every scope when none are asked for.
/// `None` when a requested scope is unknown.
fn granted_scopes(requested: Option<&String>, known: &[&str]) -> Option<Vec<String>> {
    let requested: Vec<&str> = requested.map(|s| s.split_whitespace().collect()).unwrap_or_default();
    if requested.is_empty() {
        return Some(known.iter().map(|s| s.to_string()).collect());
    }
    if requested.iter().any(|s| !known.contains(s)) {
        return None;
    }
    Some(requested.into_iter().map(String::from).collect())
}

/// `client_credentials` for Cybrid (JSON body) and Paxos (form body).
fn client_credentials(sim: &Sim, provider: Provider, body: &Bytes) -> Response {
    let Some(fields) = token_fields(body, provider == Provider::Cybrid) else {
        return invalid_request("The request body could not be read.");
    };
    match fields.get("grant_type").map(String::as_str) {
        None => return invalid_request("The request is missing a required parameter: grant_type."),
        Some("client_credentials") => {}
        Some(_) => return unsupported_grant(),
    }
    let id = fields.get("client_id").map(String::as_str);
    let secret = fields.get("client_secret").map(String::as_str);
    if id != Some(SANDBOX_CLIENT_ID) || secret != Some(SANDBOX_CLIENT_SECRET) {
        return invalid_client();
    }
    let known = if provider == Provider::Cybrid { CYBRID_SCOPES } else { PAXOS_SCOPES };
    let Some(scopes) = granted_scopes(fields.get("scope"), known) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        );
    };
    let scope = scopes.join(" ");
    let grant = Grant { client_id: SANDBOX_CLIENT_ID.into(), scopes: scopes.into() };
    let token = lock(&sim.tokens).issue(provider, grant, sim.token_ttl);
    let expires_in = sim.token_ttl.as_secs();
    let body = match provider {
        Provider::Cybrid => {
            json!({ "access_token": token, "token_type": "bearer", "expires_in": expires_in, "scope": scope })
        }
        _ => json!({ "access_token": token, "expires_in": expires_in, "scope": scope, "token_type": "bearer" }),
    };
    reply(StatusCode::OK, body)
}

/// `POST /cybrid/oauth/token`.
pub(crate) async fn cybrid_token(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    client_credentials(&sim, Provider::Cybrid, &body)
}

/// `POST /paxos/oauth2/token`.
pub(crate) async fn paxos_token(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    client_credentials(&sim, Provider::Paxos, &body)
}

/// `POST /qolo/api/v1/auth/login` with `{loginid, apikey}`.
pub(crate) async fn qolo_login(State(sim): State<Arc<Sim>>, body: Bytes) -> Result<Response, ApiError> {
    let map = json_object(Provider::Qolo, &body)?;
    let fields = Fields::new(Provider::Qolo, &map);
    let (Some(login), Some(key)) = (fields.str("loginid")?, fields.str("apikey")?) else {
        return Err(ApiError::bad_input(Provider::Qolo, "loginid", "loginid and apikey are required"));
    };
    if login != SANDBOX_CLIENT_ID || key != SANDBOX_CLIENT_SECRET {
        return Err(ApiError::new(Provider::Qolo, StatusCode::UNAUTHORIZED, "", "Invalid login credentials"));
    }
    let grant = Grant { client_id: SANDBOX_CLIENT_ID.into(), scopes: Arc::new([]) };
    let token = lock(&sim.tokens).issue(Provider::Qolo, grant, sim.token_ttl);
    Ok(reply(StatusCode::OK, json!({ "access_token": token, "expires_in": sim.token_ttl.as_secs() })))
}

/// `POST /mbanq/oauth/token`: `password` and `refresh_token` grants, form body.
pub(crate) async fn mbanq_token(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let Some(fields) = token_fields(&body, false) else {
        return invalid_request("The request body could not be read.");
    };
    let client_ok = fields.get("client_id").map(String::as_str) == Some(SANDBOX_CLIENT_ID)
        && fields.get("client_secret").map(String::as_str) == Some(SANDBOX_CLIENT_SECRET);
    let grant = match fields.get("grant_type").map(String::as_str) {
        None => return invalid_request("Missing grant type"),
        Some(_) if !client_ok => {
            return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "Bad client credentials");
        }
        Some("password") => {
            let user_ok = fields.get("username").map(String::as_str) == Some(SANDBOX_CLIENT_ID)
                && fields.get("password").map(String::as_str) == Some(SANDBOX_CLIENT_SECRET);
            if !user_ok {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Bad credentials");
            }
            Grant { client_id: SANDBOX_CLIENT_ID.into(), scopes: Arc::new(["all".to_string()]) }
        }
        Some("refresh_token") => {
            let presented = fields.get("refresh_token").cloned().unwrap_or_default();
            let mut book = lock(&sim.tokens);
            // A refresh token is used once: the reply carries its successor.
            match book.refresh.remove(&presented) {
                Some((grant, expires_at)) if expires_at > Instant::now() => grant,
                _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "Invalid refresh token"),
            }
        }
        Some(_) => return unsupported_grant(),
    };
    let mut book = lock(&sim.tokens);
    let access = book.issue(Provider::Mbanq, grant.clone(), sim.token_ttl);
    let refresh = book.issue_refresh(grant);
    reply(
        StatusCode::OK,
        json!({
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": sim.token_ttl.as_secs(),
            "scope": "all",
        }),
    )
}

/// Middleware for every non-token provider endpoint: `Authorization: Bearer <token>` issued by
/// this provider and not expired, else 401 in the provider's shape.
pub(crate) async fn require_bearer(
    State((sim, provider)): State<(Arc<Sim>, Provider)>,
    mut request: Request,
    next: Next,
) -> Response {
    let authorization = request.headers().get(header::AUTHORIZATION).map(|v| v.to_str().unwrap_or(""));
    let token = match authorization {
        None => return unauthorized(provider, Why::Missing),
        Some(value) => match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => token.trim(),
            _ => return unauthorized(provider, Why::Malformed),
        },
    };
    let checked = lock(&sim.tokens).check(provider, token);
    match checked {
        Ok(grant) => {
            request.extensions_mut().insert(grant);
            next.run(request).await
        }
        Err(TokenProblem::Expired) => unauthorized(provider, Why::Expired),
        Err(TokenProblem::Unknown) => unauthorized(provider, Why::Unknown),
    }
}

enum Why {
    Missing,
    Malformed,
    Unknown,
    Expired,
}

fn unauthorized(provider: Provider, why: Why) -> Response {
    let message = match (provider, &why) {
        (Provider::Cybrid, Why::Missing) => "Authorization header is missing.",
        (Provider::Cybrid, Why::Malformed) => "Authorization header is malformed.",
        (Provider::Cybrid, Why::Unknown) => "Signature verification raised",
        (Provider::Cybrid, Why::Expired) => "Signature has expired",
        (_, Why::Missing) => "a bearer token is required: send Authorization: Bearer <token>",
        (_, Why::Malformed) => "the Authorization header must be Bearer <token>",
        (_, Why::Unknown) => "the bearer token is not valid: get a new one from the token endpoint",
        (_, Why::Expired) => "the bearer token has expired: get a new one from the token endpoint",
    };
    let code = match (provider, why) {
        (Provider::Cybrid, Why::Malformed) => "authentication_malformed",
        (Provider::Cybrid, _) => "authentication_failed",
        (Provider::Paxos, _) => "unauthorized",
        _ => "",
    };
    let message = if provider == Provider::Qolo { "Unauthorized" } else { message };
    ApiError::new(provider, StatusCode::UNAUTHORIZED, code, message).into_response()
}

/// Middleware for every Mbanq endpoint, the token endpoint included: the request must name the
/// sandbox tenant in the `tenantId` header, the `tenantIdentifier` query parameter, or (as stock
/// Fineract clients do) the `Fineract-Platform-TenantId` header.
pub(crate) async fn require_tenant(request: Request, next: Next) -> Response {
    let from_header = ["tenantId", "Fineract-Platform-TenantId"]
        .iter()
        .find_map(|name| request.headers().get(*name).and_then(|v| v.to_str().ok()).map(str::to_string));
    let from_query = request.uri().query().and_then(|q| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(q)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "tenantIdentifier")
            .map(|(_, v)| v)
    });
    match from_header.or(from_query) {
        Some(tenant) if tenant == MBANQ_TENANT => next.run(request).await,
        found => {
            let message = match found {
                None => {
                    "No tenant identifier found: add the header `tenantId` or the query parameter `tenantIdentifier`."
                }
                Some(_) => "Invalid tenant identifier provided with request.",
            };
            let error = crate::wire::fineract_error("error.msg.invalid.tenant.identifier", message, "tenantId", None);
            let mut api =
                ApiError::new(Provider::Mbanq, StatusCode::BAD_REQUEST, "error.msg.invalid.tenant.identifier", message);
            api.errors.push(error);
            api.into_response()
        }
    }
}

/// The admin view of tokens: how many are live per provider (never the tokens themselves).
pub(crate) fn live_tokens(book: &TokenBook) -> Value {
    let now = Instant::now();
    let mut counts = serde_json::Map::new();
    for provider in Provider::ALL {
        let n = book.access.values().filter(|t| t.provider == provider && t.expires_at > now).count();
        counts.insert(provider.name().into(), n.into());
    }
    Value::Object(counts)
}
