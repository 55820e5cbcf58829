//! The one error type that crosses every boundary (CLI JSON, Tauri IPC, logs):
//! `{status, code, message, reasons[]}`. Variants are split by what the caller can do.
//! Messages never carry personal data: they name fields, never repeat values.

use dossier_core::{GateReason, RoleRequired, TransitionError, ValueError};
use dossier_store::StoreError;
use serde::Serialize;
use ts_rs::TS;

/// One failing rule or field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Reason {
    pub code: String,
    pub message: String,
    /// The input field at fault, as a path like `addresses[0].country`, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub field: Option<String>,
}

impl Reason {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), field: None }
    }
    pub fn field(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), field: Some(field.into()) }
    }
    pub fn from_value_error(field: &str, e: &ValueError) -> Self {
        Self::field(field, e.code(), format!("{field} {e}"))
    }
    pub fn from_gate(reason: GateReason) -> Self {
        Self::new(reason.code(), reason.message())
    }
}

/// The body of an error: what every boundary prints or sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ErrorBody {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub reasons: Vec<Reason>,
}

/// An error's code, message and reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: String,
    pub message: String,
    pub reasons: Vec<Reason>,
}

impl Problem {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), reasons: Vec::new() }
    }
    pub fn with_reasons(mut self, reasons: Vec<Reason>) -> Self {
        self.reasons = reasons;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// 400: the request itself is malformed; fix the input and send it again.
    #[error("{}", .0.message)]
    BadInput(Problem),
    /// 401: who is asking is not established: nobody is signed in or signing in failed, or the
    /// data directory's passphrase is missing or wrong; unlock or sign in and send it again.
    #[error("{}", .0.message)]
    Unauthenticated(Problem),
    /// 403: a domain rule refuses the action in the entity's present state, or the actor's
    /// roles do not allow it.
    #[error("{}", .0.message)]
    Rule(Problem),
    /// 409: the action conflicts with existing data.
    #[error("{}", .0.message)]
    Conflict(Problem),
    /// 422: well-formed, but the entity is not in a state to accept it.
    #[error("{}", .0.message)]
    Unprocessable(Problem),
    /// 404: the entity does not exist.
    #[error("{}", .0.message)]
    NotFound(Problem),
    /// 500: something broke that the caller cannot fix; the message says what.
    #[error("{}", .0.message)]
    Unexpected(Problem),
}

impl Error {
    pub fn status(&self) -> u16 {
        match self {
            Error::BadInput(_) => 400,
            Error::Unauthenticated(_) => 401,
            Error::Rule(_) => 403,
            Error::NotFound(_) => 404,
            Error::Conflict(_) => 409,
            Error::Unprocessable(_) => 422,
            Error::Unexpected(_) => 500,
        }
    }

    pub fn problem(&self) -> &Problem {
        match self {
            Error::BadInput(p)
            | Error::Unauthenticated(p)
            | Error::Rule(p)
            | Error::Conflict(p)
            | Error::Unprocessable(p)
            | Error::NotFound(p)
            | Error::Unexpected(p) => p,
        }
    }

    pub fn code(&self) -> &str {
        &self.problem().code
    }

    pub fn body(&self) -> ErrorBody {
        let p = self.problem();
        ErrorBody {
            status: self.status(),
            code: p.code.clone(),
            message: p.message.clone(),
            reasons: p.reasons.clone(),
        }
    }

    /// Bad input listing every field at fault.
    pub fn invalid_input(reasons: Vec<Reason>) -> Self {
        let message = match reasons.as_slice() {
            [one] => one.message.clone(),
            many => format!("{} fields are invalid: see reasons", many.len()),
        };
        Error::BadInput(Problem::new("invalid_input", message).with_reasons(reasons))
    }

    pub fn not_found(entity: &str) -> Self {
        let code = format!("{entity}_not_found");
        let message = format!("no {entity} with that id: check the id");
        Error::NotFound(Problem::new(&code, &message).with_reasons(vec![Reason::new(code, message)]))
    }

    /// A refused gate: 403 `domain_rule_violation` listing every failing rule in precedence order.
    pub fn gate_refused(action: &str, reasons: &[GateReason]) -> Self {
        let reasons: Vec<Reason> = reasons.iter().map(|r| Reason::from_gate(*r)).collect();
        let message = format!(
            "cannot {action}: {} rule{} not met: {}",
            reasons.len(),
            if reasons.len() == 1 { "" } else { "s" },
            reasons.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", ")
        );
        Error::Rule(Problem::new("domain_rule_violation", message).with_reasons(reasons))
    }
}

impl From<RoleRequired> for Error {
    /// 403 `role_required`, naming the roles that would allow it (never the user).
    fn from(e: RoleRequired) -> Self {
        let message = e.to_string();
        Error::Rule(
            Problem::new("role_required", message.clone()).with_reasons(vec![Reason::new("role_required", message)]),
        )
    }
}

impl From<TransitionError> for Error {
    fn from(e: TransitionError) -> Self {
        let message = e.message();
        Error::Rule(Problem::new(e.code(), message.clone()).with_reasons(vec![Reason::new(e.code(), message)]))
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::TooNew { .. } => Error::Conflict(Problem::new("database_too_new", e.to_string())),
            StoreError::Corrupt { .. } => Error::Unexpected(Problem::new("database_corrupt", e.to_string())),
            StoreError::Open(_) => Error::Unexpected(Problem::new("database_unavailable", e.to_string())),
            StoreError::WrongKey => Error::Unauthenticated(Problem::new(
                "wrong_passphrase",
                "the passphrase does not open this data directory: check it and try again",
            )),
            _ if e.is_unique_violation() => {
                Error::Conflict(Problem::new("conflict", "the change conflicts with existing data: reload and retry"))
            }
            StoreError::Sqlite(_) | StoreError::Migration(_) => {
                Error::Unexpected(Problem::new("storage_error", e.to_string()))
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
