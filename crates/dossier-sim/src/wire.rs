//! What the four providers share on the wire: which provider a request is for, each provider's own
//! error body, and reading JSON, form and query input without ever echoing values back (input may
//! hold personal data, so errors name fields, never repeat what was sent).

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// The four simulated providers, in the order the admin endpoints list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Provider {
    Cybrid,
    Paxos,
    Qolo,
    Mbanq,
}

impl Provider {
    pub const ALL: [Provider; 4] = [Provider::Cybrid, Provider::Paxos, Provider::Qolo, Provider::Mbanq];

    /// The URL prefix and the key in admin output.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Cybrid => "cybrid",
            Provider::Paxos => "paxos",
            Provider::Qolo => "qolo",
            Provider::Mbanq => "mbanq",
        }
    }
}

/// An error rendered in the body shape of the provider that raised it:
/// - Cybrid: `{status, error_message, message_code}`
/// - Paxos: RFC 7807 problem details `{type, title, status, detail[, meta]}`
/// - Qolo: `{status, error, message}` (Qolo does not publish its error shape)
/// - Mbanq: the Fineract envelope `{developerMessage, httpStatusCode, defaultUserMessage,
///   userMessageGlobalisationCode, errors[]}`
///
/// Boxed so that `Result<T, ApiError>` stays small on the happy path.
#[derive(Debug, Clone)]
pub(crate) struct ApiError(Box<ErrorParts>);

#[derive(Debug, Clone)]
pub(crate) struct ErrorParts {
    pub provider: Provider,
    pub status: StatusCode,
    /// Cybrid `message_code`, Paxos problem slug, Mbanq top-level globalisation code (when the
    /// status has no fixed Fineract constant); unused by Qolo.
    pub code: Cow<'static, str>,
    pub message: String,
    /// Mbanq `errors[]` entries.
    pub errors: Vec<Value>,
    /// Paxos problem `meta`.
    pub meta: Option<Value>,
    pub retry_after_s: Option<u32>,
}

impl std::ops::Deref for ApiError {
    type Target = ErrorParts;
    fn deref(&self) -> &ErrorParts {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut ErrorParts {
        &mut self.0
    }
}

impl ApiError {
    pub fn new(
        provider: Provider,
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self(Box::new(ErrorParts {
            provider,
            status,
            code: code.into(),
            message: message.into(),
            errors: Vec::new(),
            meta: None,
            retry_after_s: None,
        }))
    }

    /// A malformed request: wrong JSON type, missing required field, bad enum value.
    /// `field` names the input, never its value.
    pub fn bad_input(provider: Provider, field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        match provider {
            Provider::Cybrid => Self::new(provider, StatusCode::BAD_REQUEST, "invalid_parameter", message),
            Provider::Paxos => Self::new(provider, StatusCode::BAD_REQUEST, "bad-request", message),
            Provider::Qolo => Self::new(provider, StatusCode::BAD_REQUEST, "", message),
            Provider::Mbanq => Self::new(provider, StatusCode::BAD_REQUEST, "", "Validation errors exist.")
                .with_error(fineract_error(&format!("validation.msg.{field}.invalid"), &message, field, None)),
        }
    }

    pub fn not_found(provider: Provider, message: impl Into<String>) -> Self {
        let code = match provider {
            Provider::Cybrid => "not_found",
            Provider::Paxos => "not-found",
            Provider::Qolo | Provider::Mbanq => "",
        };
        Self::new(provider, StatusCode::NOT_FOUND, code, message)
    }

    pub fn with_error(mut self, error: Value) -> Self {
        self.errors.push(error);
        self
    }

    pub fn with_meta(mut self, meta: Value) -> Self {
        self.meta = Some(meta);
        self
    }

    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after_s = Some(seconds);
        self
    }

    fn body(&self) -> Value {
        let status = self.status.as_u16();
        let reason = self.status.canonical_reason().unwrap_or("Error");
        match self.provider {
            Provider::Cybrid => json!({
                "status": status,
                "error_message": self.message,
                "message_code": self.code,
            }),
            Provider::Paxos => {
                let slug = if self.code.is_empty() { slug_of(self.status) } else { self.code.to_string() };
                let title = if slug == "already-exists" { "Already Exists" } else { reason };
                let mut body = json!({
                    "type": format!("https://developer.paxos.com/docs/v2/problems/{slug}"),
                    "title": title,
                    "status": status,
                    "detail": self.message,
                });
                if let (Some(meta), Value::Object(map)) = (&self.meta, &mut body) {
                    map.insert("meta".into(), meta.clone());
                }
                body
            }
            Provider::Qolo => json!({ "status": status, "error": reason, "message": self.message }),
            Provider::Mbanq => {
                let (developer, user, code) = fineract_envelope(self.status, &self.code, &self.message);
                json!({
                    "developerMessage": developer,
                    "httpStatusCode": status.to_string(),
                    "defaultUserMessage": user,
                    "userMessageGlobalisationCode": code,
                    "errors": self.errors,
                })
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let content_type = match self.provider {
            Provider::Paxos => "application/problem+json",
            _ => "application/json",
        };
        let mut response = (self.status, self.body().to_string()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The problem slug Paxos would use for a status that has no more specific one.
fn slug_of(status: StatusCode) -> String {
    status.canonical_reason().unwrap_or("error").to_ascii_lowercase().replace(' ', "-")
}

/// Fineract's fixed top-level texts per status (upstream `ApiGlobalErrorResponse`), so a client
/// that reads the envelope sees the same words as from a Fineract-derived server.
fn fineract_envelope(status: StatusCode, code: &str, message: &str) -> (String, String, String) {
    let fixed = |d: &str, u: &str, c: &str| (d.to_string(), u.to_string(), c.to_string());
    match status.as_u16() {
        400 => fixed(
            "The request was invalid. This typically will happen due to validation errors which are provided.",
            "Validation errors exist.",
            "validation.msg.validation.errors.exist",
        ),
        401 => fixed(
            "Invalid authentication details were passed in api request.",
            "Unauthenticated. Please login.",
            "error.msg.not.authenticated",
        ),
        403 => fixed(
            "Request was understood but caused a domain rule violation.",
            "Errors contain reason for domain rule violation.",
            "validation.msg.domain.rule.violation",
        ),
        404 => fixed(
            "The requested resource is not available.",
            "The requested resource is not available.",
            "error.msg.resource.not.found",
        ),
        500 => fixed(
            "An unexpected error occured on the platform server.",
            "Unexpected error occurred.",
            "error.msg.platform.server.side.error",
        ),
        _ => (message.to_string(), message.to_string(), code.to_string()),
    }
}

/// One entry of a Fineract `errors[]` list. `arg` is an identifier the client itself chose
/// (an `externalId`, a client id), never personal data.
pub(crate) fn fineract_error(code: &str, message: &str, parameter: &str, arg: Option<Value>) -> Value {
    json!({
        "developerMessage": message,
        "defaultUserMessage": message,
        "userMessageGlobalisationCode": code,
        "parameterName": parameter,
        "value": null,
        "args": arg.map(|value| vec![json!({ "value": value })]).unwrap_or_default(),
    })
}

/// A JSON response with the given status.
pub(crate) fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Reads a JSON object body. An empty body counts as `{}` because several commands have only
/// optional fields.
pub(crate) fn json_object(provider: Provider, body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_input(provider, "body", "the request body must be a JSON object")),
        Err(_) => Err(ApiError::bad_input(provider, "body", "the request body is not valid JSON")),
    }
}

/// Reads an `application/x-www-form-urlencoded` body into its pairs.
pub(crate) fn form_pairs(body: &Bytes) -> Option<Vec<(String, String)>> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()
}

/// Query parameters in the order sent; the first occurrence of a key wins.
#[derive(Debug, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(provider: Provider, raw: Option<&str>) -> Result<Self, ApiError> {
        match raw {
            None | Some("") => Ok(Self::default()),
            Some(raw) => serde_urlencoded::from_str::<Vec<(String, String)>>(raw)
                .map(Self)
                .map_err(|_| ApiError::bad_input(provider, "query", "the query string is not valid URL encoding")),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A comma-separated list filter (`state=storing%2Cwaiting`); empty items are dropped, and a
    /// filter with no items (`state=`) is no filter.
    pub fn list(&self, key: &str) -> Option<Vec<&str>> {
        let items: Vec<&str> = self.get(key)?.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        (!items.is_empty()).then_some(items)
    }
}

/// Typed access to the fields of a JSON object, with errors that name the field only.
pub(crate) struct Fields<'a> {
    pub provider: Provider,
    pub map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn new(provider: Provider, map: &'a Map<String, Value>) -> Self {
        Self { provider, map }
    }

    /// The raw value, treating JSON `null` as absent.
    pub fn value(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn str(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::bad_input(self.provider, key, format!("{key} must be a string"))),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(ApiError::bad_input(self.provider, key, format!("{key} must be true or false"))),
        }
    }

    pub fn object(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, ApiError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(ApiError::bad_input(self.provider, key, format!("{key} must be an object"))),
        }
    }

    pub fn array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, ApiError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(ApiError::bad_input(self.provider, key, format!("{key} must be a list"))),
        }
    }

    /// A list of strings.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        let Some(items) = self.array(key)? else { return Ok(None) };
        items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(ApiError::bad_input(self.provider, key, format!("{key} must be a list of strings"))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A whole number (JSON number or numeric string, as Fineract clients send both).
    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => Ok(s.trim().parse().ok()),
            Some(_) => Err(ApiError::bad_input(self.provider, key, format!("{key} must be a whole number"))),
        }
    }
}

/// ISO 8601 / RFC 3339 in UTC with milliseconds, e.g. `2026-11-22T10:34:05.939Z`: what the
/// Cybrid SDK parses, and fixed-width so text order is time order.
pub(crate) fn iso(t: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    t.to_offset(time::UtcOffset::UTC).format(&format).unwrap_or_default()
}

/// Parses an RFC 3339 timestamp (Paxos range filters).
pub(crate) fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Parses `YYYY-MM-DD`.
pub(crate) fn parse_iso_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

/// The current time, truncated to whole milliseconds so that stored and rendered times agree
/// (range filters compare what the client saw).
pub(crate) fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000).unwrap_or(t)
}
