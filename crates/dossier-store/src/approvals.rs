//! Four-eyes approval requests in SQL: written pending, decided once, never deleted.

use dossier_core::*;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::codec::{self, OrCorrupt};
use crate::customers::{blob, id_from};
use crate::{Result, Tx};

/// One approval request as stored. `command` is the validated input as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRow {
    pub seq: i64,
    pub id: ApprovalId,
    pub kind: ApprovalKind,
    pub entity_id: Uuid,
    pub customer_id: CustomerId,
    pub command: String,
    pub maker: UserName,
    pub maker_reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub state: ApprovalState,
    pub checker: Option<UserName>,
    pub decided_at: Option<OffsetDateTime>,
    pub checker_reason: Option<String>,
}

/// The filters of the approval queue; all given ones apply.
#[derive(Debug, Clone, Default)]
pub struct ApprovalFilter {
    pub state: Option<ApprovalState>,
    pub kind: Option<ApprovalKind>,
    pub customer: Option<CustomerId>,
    pub entity: Option<Uuid>,
}

const COLUMNS: &str = "seq, id, kind, entity_id, customer_id, command, maker, maker_reason, created_at, state, \
                       checker, decided_at, checker_reason";

fn read(r: &Row<'_>) -> Result<ApprovalRow> {
    let t = "approvals";
    let name = |v: Option<String>, column| v.map(|v| UserName::parse(&v)).transpose().or_corrupt(t, column);
    Ok(ApprovalRow {
        seq: r.get(0)?,
        id: ApprovalId::from_bytes(id_from(r.get(1)?, t, "id")?),
        kind: ApprovalKind::parse(&r.get::<_, String>(2)?).or_corrupt(t, "kind")?,
        entity_id: Uuid::from_bytes(id_from(r.get(3)?, t, "entity_id")?),
        customer_id: CustomerId::from_bytes(id_from(r.get(4)?, t, "customer_id")?),
        command: r.get(5)?,
        maker: name(Some(r.get(6)?), "maker")?.or_corrupt(t, "maker")?,
        maker_reason: r.get(7)?,
        created_at: codec::parse_timestamp(&r.get::<_, String>(8)?, t, "created_at")?,
        state: ApprovalState::parse(&r.get::<_, String>(9)?).or_corrupt(t, "state")?,
        checker: name(r.get(10)?, "checker")?,
        decided_at: r.get::<_, Option<String>>(11)?.map(|v| codec::parse_timestamp(&v, t, "decided_at")).transpose()?,
        checker_reason: r.get(12)?,
    })
}

impl Tx<'_> {
    /// Writes a new pending request and returns its sequence number.
    pub fn insert_approval(&self, a: &ApprovalRow) -> Result<i64> {
        self.conn()
            .prepare_cached(
                "INSERT INTO approvals (id, kind, entity_id, customer_id, command, maker, maker_reason, created_at, state)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending')",
            )?
            .execute(params![
                blob(a.id.as_bytes()),
                a.kind.as_str(),
                blob(a.entity_id.as_bytes()),
                blob(a.customer_id.as_bytes()),
                a.command,
                a.maker.as_str(),
                a.maker_reason,
                codec::timestamp(a.created_at),
            ])?;
        Ok(self.conn().last_insert_rowid())
    }

    pub fn approval(&self, id: ApprovalId) -> Result<Option<ApprovalRow>> {
        let mut stmt = self.conn().prepare_cached(&format!("SELECT {COLUMNS} FROM approvals WHERE id = ?1"))?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        rows.next()?.map(read).transpose()
    }

    /// The pending request of this kind about this entity, if one waits.
    pub fn pending_approval(&self, kind: ApprovalKind, entity: Uuid) -> Result<Option<ApprovalId>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT id FROM approvals WHERE kind = ?1 AND entity_id = ?2 AND state = 'pending'")?;
        let id: Option<Vec<u8>> =
            stmt.query_row(params![kind.as_str(), blob(entity.as_bytes())], |r| r.get(0)).optional()?;
        id.map(|b| id_from(b, "approvals", "id").map(ApprovalId::from_bytes)).transpose()
    }

    /// Requests matching `filter`, oldest first, after sequence number `after`.
    pub fn list_approvals(
        &self,
        filter: &ApprovalFilter,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<ApprovalRow>> {
        let mut sql = format!("SELECT {COLUMNS} FROM approvals WHERE seq > ?1");
        if let Some(s) = filter.state {
            // Written out, not bound: the partial indexes of pending requests apply only to a
            // query that says `state = 'pending'` itself. The value is one of a closed set.
            sql.push_str(&format!(" AND state = '{}'", s.as_str()));
        }
        let mut args = vec![Value::Integer(after.unwrap_or(0))];
        let mut and = |column: &str, value: Value, args: &mut Vec<Value>| {
            args.push(value);
            sql.push_str(&format!(" AND {column} = ?{}", args.len()));
        };
        if let Some(k) = filter.kind {
            and("kind", Value::Text(k.as_str().to_owned()), &mut args);
        }
        if let Some(c) = filter.customer {
            and("customer_id", Value::Blob(c.as_bytes().to_vec()), &mut args);
        }
        if let Some(e) = filter.entity {
            and("entity_id", Value::Blob(e.as_bytes().to_vec()), &mut args);
        }
        sql.push_str(&format!(" ORDER BY seq{}", codec::limit(limit)));
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read(r)?);
        }
        Ok(out)
    }

    /// Decides a pending request: approved, rejected or withdrawn, by whom, when and why.
    pub fn decide_approval(
        &self,
        seq: i64,
        state: ApprovalState,
        by: &UserName,
        at: OffsetDateTime,
        reason: Option<&str>,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE approvals SET state = ?2, checker = ?3, decided_at = ?4, checker_reason = ?5
                 WHERE seq = ?1 AND state = 'pending'",
            )?
            .execute(params![seq, state.as_str(), by.as_str(), codec::timestamp(at), reason])?;
        Ok(())
    }
}
