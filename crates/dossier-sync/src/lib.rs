//! Dossier's provider sync: the only crate with HTTP clients. It delivers outbox messages to
//! Cybrid, Paxos, Qolo and Mbanq (each adapter with its own auth, error bodies and lookups) and
//! reads provider results back. It knows nothing of SQLite: the app hands it messages through
//! [`OutboxPort`] and records what happened.

mod adapters;
pub mod bench;
mod client;
mod error;
mod worker;

pub use adapters::{Adapters, RemoteCustomer, RemoteVerification};
pub use client::ProviderConfig;
pub use client::{install_crypto, probe};
pub use error::DeliveryError;
pub use worker::{
    Delivered, Delivery, DeliveryResult, OutboxPort, Payload, PortError, Progress, RunOptions, RunReport, run,
};
