//! Why a delivery failed, and whether trying again can help. Messages carry status codes and
//! provider error codes, never request bodies.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeliveryError {
    /// The request may or may not have reached the provider (connection dropped, timeout).
    #[error("transport: {0}")]
    Transport(String),
    /// The provider answered with an error status.
    #[error("http {status}: {body}")]
    Http {
        status: u16,
        /// The provider's error code and message in a line.
        body: String,
        retry_after: Option<Duration>,
        /// The whole error body, for adapters that read more of it (Paxos' `meta.existing`).
        json: serde_json::Value,
    },
    /// Something this side must fix first (no credentials, the customer is not at the provider).
    #[error("precondition: {0}")]
    Precondition(String),
}

impl DeliveryError {
    /// Network errors, 5xx, 429 and expired tokens are worth another try.
    pub fn is_retryable(&self) -> bool {
        match self {
            DeliveryError::Transport(_) => true,
            DeliveryError::Http { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            DeliveryError::Precondition(_) => false,
        }
    }

    /// Other 4xx and preconditions need a person.
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            DeliveryError::Http { retry_after, .. } => *retry_after,
            DeliveryError::Transport(_) | DeliveryError::Precondition(_) => None,
        }
    }

    /// Whether the request may have been applied at the provider.
    pub fn maybe_applied(&self) -> bool {
        matches!(self, DeliveryError::Transport(_))
    }
}
