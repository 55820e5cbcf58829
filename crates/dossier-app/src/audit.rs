//! Reading the audit trail.

use crate::Dossier;
use crate::convert;
use crate::customers::{cut_page, page_limit};
use crate::dto::{AuditEventView, Page};
use crate::error::{Error, Reason, Result};
use dossier_core::{Actor, Permission};

/// The `entity` filter of the audit trail: any entity's id.
pub(crate) fn parse_entity(entity: Option<&str>) -> Result<Option<uuid::Uuid>> {
    entity
        .map(|e| {
            uuid::Uuid::try_parse(e.trim()).map_err(|_| {
                Error::invalid_input(vec![Reason::field(
                    "entity",
                    "invalid_id",
                    "entity is not an id: expected a UUID",
                )])
            })
        })
        .transpose()
}

/// An intact audit trail.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuditVerifyView {
    /// Every event was checked and every link holds.
    pub intact: bool,
    pub events: u64,
    /// The last event's hash (hex): write it down, and a later check that reaches it proves
    /// nothing before it changed.
    pub head: Option<String>,
}

impl Dossier {
    /// Checks the whole audit hash chain. A broken link is a 409 `audit_chain_broken` naming
    /// the first event that no longer matches (its `seq` and id; never its content).
    pub fn audit_verify(&self, actor: &Actor, on_progress: impl FnMut(u64)) -> Result<AuditVerifyView> {
        actor.require(Permission::Read)?;
        let check = self.read(|_, tx| Ok(tx.verify_audit_chain(on_progress)?))?;
        match check.first_broken {
            None => Ok(AuditVerifyView { intact: true, events: check.checked, head: check.head.map(hex::encode) }),
            Some((seq, id)) => {
                let message = format!(
                    "the audit trail was changed: event {seq} ({id}) does not match the chain; {} events before it are intact",
                    check.checked
                );
                Err(Error::Conflict(
                    crate::error::Problem::new("audit_chain_broken", message.clone())
                        .with_reasons(vec![Reason::field(format!("seq:{seq}"), "audit_chain_broken", message)]),
                ))
            }
        }
    }

    /// Audit events in the order they happened, optionally for one entity.
    pub fn audit_events(
        &self,
        actor: &Actor,
        entity: Option<&str>,
        limit: Option<usize>,
        after: Option<&str>,
    ) -> Result<Page<AuditEventView>> {
        actor.require(Permission::Read)?;
        let entity = parse_entity(entity)?;
        let after = crate::customers::seq_cursor(after)?;
        let limit = page_limit(limit)?;
        self.read(|_, tx| {
            let rows = tx.audit_events(entity, after, limit + 1)?;
            Ok(cut_page(
                rows,
                limit,
                |r| r.seq.to_string(),
                |r| AuditEventView {
                    seq: r.seq,
                    id: r.id.to_string(),
                    at: convert::timestamp(r.at),
                    actor: r.actor,
                    action: r.action,
                    entity_type: r.entity_kind,
                    entity_id: r.entity_id.hyphenated().to_string(),
                    reason: r.reason,
                    summary: serde_json::from_str(&r.summary).unwrap_or(serde_json::Value::Null),
                },
            ))
        })
    }
}
