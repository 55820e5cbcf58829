//! The append-only audit trail. Rows are inserted in the same transaction as the change they
//! record; triggers in the schema refuse UPDATE and DELETE.

use dossier_core::{AuditEvent, AuditEventId};
use rusqlite::params;
use rusqlite::types::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::codec::{self, OrCorrupt};
use crate::{Result, Tx};

/// One stored audit event as read back, with its position in the trail.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub seq: i64,
    pub id: AuditEventId,
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: Uuid,
    pub reason: Option<String>,
    pub summary: String,
}

impl Tx<'_> {
    pub fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO audit_events (id, at, actor, action, entity_kind, entity_id, reason, summary)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                e.id.as_bytes().as_slice(),
                codec::timestamp(e.at),
                e.actor.as_str(),
                e.action,
                e.entity_kind.as_str(),
                e.entity_id.as_bytes().as_slice(),
                e.reason.as_ref().map(|r| r.as_str()),
                e.summary,
            ])?;
        Ok(())
    }

    /// A page of audit events in the order they happened, optionally for one entity, after the
    /// `after` sequence number (exclusive).
    pub fn audit_events(&self, entity: Option<Uuid>, after: Option<i64>, limit: usize) -> Result<Vec<AuditRow>> {
        let mut sql = String::from(
            "SELECT seq, id, at, actor, action, entity_kind, entity_id, reason, summary FROM audit_events WHERE 1 = 1",
        );
        let mut args: Vec<Value> = Vec::new();
        if let Some(entity) = entity {
            args.push(Value::Blob(entity.as_bytes().to_vec()));
            sql.push_str(&format!(" AND entity_id = ?{}", args.len()));
        }
        if let Some(after) = after {
            args.push(Value::Integer(after));
            sql.push_str(&format!(" AND seq > ?{}", args.len()));
        }
        args.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        sql.push_str(&format!(" ORDER BY seq LIMIT ?{}", args.len()));
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Vec<u8>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, String>(8)?,
            ))
        })?;
        const T: &str = "audit_events";
        let mut out = Vec::new();
        for row in rows {
            let row = row?;
            let id: [u8; 16] = row.1.try_into().or_corrupt(T, "id")?;
            let entity: [u8; 16] = row.6.try_into().or_corrupt(T, "entity_id")?;
            out.push(AuditRow {
                seq: row.0,
                id: AuditEventId::from_bytes(id),
                at: codec::parse_timestamp(&row.2, T, "at")?,
                actor: row.3,
                action: row.4,
                entity_kind: row.5,
                entity_id: Uuid::from_bytes(entity),
                reason: row.7,
                summary: row.8,
            });
        }
        Ok(out)
    }
}
