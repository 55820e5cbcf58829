//! Audit vocabulary: who did what to which entity, when and why. Events are appended in the same
//! transaction as the change they record and never edited.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::access::UserName;
use crate::ids::AuditEventId;
use crate::values::Text;
use crate::word_enum;

word_enum!(
    /// The kind of entity an audit event is about.
    EntityKind {
        Customer = "customer",
        Settings = "settings",
        /// The data directory's device key (made once, never changed).
        Device = "device",
        /// A bulk export that carries personal data out of the database.
        Export = "export",
        User = "user",
    }
);

/// One appended audit event. `summary` is a JSON object describing the change without personal
/// data (states, kinds, ids, countries; never names, numbers or addresses).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: AuditEventId,
    pub at: OffsetDateTime,
    /// Who acted: a user's name, or a process's (`sync`).
    pub actor: UserName,
    pub action: &'static str,
    pub entity_kind: EntityKind,
    pub entity_id: Uuid,
    pub reason: Option<Text>,
    pub summary: String,
}
