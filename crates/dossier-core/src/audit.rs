//! Audit vocabulary: who did what to which entity, when and why. Events are appended in the same
//! transaction as the change they record and never edited.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::ids::AuditEventId;
use crate::values::{Text, ValueError};
use crate::word_enum;

/// The person (or process) acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(Text);

impl Actor {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        Text::parse(raw, 64).map(Self)
    }
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

word_enum!(
    /// The kind of entity an audit event is about.
    EntityKind {
        Customer = "customer",
        Settings = "settings",
        /// The data directory's device key (made once, never changed).
        Device = "device",
        /// A bulk export that carries personal data out of the database.
        Export = "export",
    }
);

/// One appended audit event. `summary` is a JSON object describing the change without personal
/// data (states, kinds, ids, countries; never names, numbers or addresses).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub at: OffsetDateTime,
    pub actor: Actor,
    pub action: &'static str,
    pub entity_kind: EntityKind,
    pub entity_id: Uuid,
    pub reason: Option<Text>,
    pub summary: String,
}
