//! Typed ids. Every id is a UUID (version 7 when Dossier makes it) wrapped in its own newtype,
//! so a `DocumentId` can never be passed where a `CustomerId` is expected.

use std::fmt;
use uuid::Uuid;

/// The error for a string that is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id: expected a UUID such as 0193a5b0-7e1c-7000-8000-000000000000")]
pub struct InvalidId;

macro_rules! define_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self { Self(uuid) }
            pub const fn as_uuid(&self) -> &Uuid { &self.0 }
            pub fn from_bytes(bytes: [u8; 16]) -> Self { Self(Uuid::from_bytes(bytes)) }
            pub fn as_bytes(&self) -> &[u8; 16] { self.0.as_bytes() }
            /// Parses the hyphenated or simple (32 hex digits) form.
            pub fn parse(text: &str) -> Result<Self, InvalidId> {
                Uuid::try_parse(text.trim()).map(Self).map_err(|_| InvalidId)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { self.0.hyphenated().fmt(f) }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }
    )*};
}

define_id!(
    /// A customer: the person or business being onboarded.
    CustomerId,
    /// One address of a customer.
    AddressId,
    /// One email address or mobile number of a customer.
    ContactId,
    /// One identity document of a customer.
    DocumentId,
    /// One tax detail of a customer.
    TaxDetailId,
    /// One member (owner, officer, signatory) of a business customer.
    MemberId,
    /// One control (dormant, frozen, closed, denied) on a customer.
    ControlId,
    /// One audit event.
    AuditEventId,
    /// One identity verification (an EDD case is one too).
    VerificationId,
    /// One piece of EDD evidence.
    EvidenceId,
    /// One note on a case.
    NoteId,
    /// One appended decision.
    DecisionId,
    /// One perform-KYC attempt and its result.
    KycResultId,
    /// One risk assessment.
    RiskAssessmentId,
    /// One outbox message.
    OutboxId,
    /// One conflict case.
    ConflictId,
    /// One user who signs in.
    UserId,
    /// One four-eyes approval request.
    ApprovalId,
);
