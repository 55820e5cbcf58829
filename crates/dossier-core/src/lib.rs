//! Dossier's domain: ids, value types, the customer aggregate, its lifecycle and its gates.
//!
//! This crate does no IO: no SQLite, no HTTP, no clock, no randomness. The current time and
//! new ids are always arguments, so every rule here is testable with plain values.

pub mod access;
pub mod approval;
pub mod audit;
pub mod case;
pub mod customer;
pub mod gate;
pub mod identity;
pub mod ids;
pub mod lifecycle;
pub mod policy;
pub mod risk;
pub mod sync;
pub mod values;
pub mod verification;

pub use access::{Actor, MATRIX, Permission, Role, RoleRequired, UserName};
pub use approval::{ApprovalKind, ApprovalState, CheckRefusal};
pub use audit::{AuditEvent, EntityKind};
pub use case::*;
pub use customer::*;
pub use gate::{GateReason, activate_gate, verify_gate};
pub use identity::{EddStatus, IdentityFacts, IdentityStatus, StatusDetail, derive_status, edd_status, status_details};
pub use ids::*;
pub use lifecycle::{CustomerAction, CustomerState, Refusal, TransitionError, VerificationLevel};
pub use policy::*;
pub use risk::{RiskAssessment, RiskFactor, RiskFactorCode, RiskModel, RiskRating, assess};
pub use sync::{Operation, OutboxStatus, Provider, RetryPolicy};
pub use values::*;
pub use verification::*;
