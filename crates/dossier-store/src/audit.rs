//! The append-only audit trail. Rows are inserted in the same transaction as the change they
//! record; triggers in the schema refuse UPDATE and DELETE.
//!
//! The trail is a hash chain: each event's `hash` is SHA-256 over the previous event's hash
//! (32 zero bytes before the first) followed by the event's fields, each length-prefixed so no
//! two different events encode alike:
//! `seq` (8 bytes, big-endian), `id` (16), then `at`, `actor`, `action`, `entity_kind` as
//! length-prefixed UTF-8, `entity_id` (16), `reason` (a 0 byte when absent, else 1 and the
//! length-prefixed text) and `summary`. Lengths are 4 bytes, big-endian.

use dossier_core::{AuditEvent, AuditEventId};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
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

/// One stored audit event exactly as its hash covers it (the texts as stored, not reparsed),
/// with its own hash and the hash before it, for exports that can be checked link by link.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub seq: i64,
    pub id: [u8; 16],
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: [u8; 16],
    pub reason: Option<String>,
    pub summary: String,
    /// The previous event's hash ([`GENESIS`] before the first, and where the previous event
    /// is missing, which the chain check then reports).
    pub prev_hash: [u8; 32],
    pub hash: [u8; 32],
}

/// The device's signing key pair as stored (see migration 0010). `Debug` never shows the
/// secret half.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceKeyRow {
    pub secret_key: [u8; 32],
    pub public_key: [u8; 32],
    pub created_at: OffsetDateTime,
}

impl std::fmt::Debug for DeviceKeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKeyRow")
            .field("secret_key", &"<redacted>")
            .field("public_key", &self.public_key)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// The hash before the first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// The chain hash of one event (see the module documentation for the exact bytes).
#[allow(clippy::too_many_arguments)]
pub fn chain_hash(
    prev: &[u8; 32],
    seq: i64,
    id: &[u8; 16],
    at: &str,
    actor: &str,
    action: &str,
    entity_kind: &str,
    entity_id: &[u8; 16],
    reason: Option<&str>,
    summary: &str,
) -> [u8; 32] {
    fn text(h: &mut Sha256, s: &str) {
        h.update(u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
        h.update(s.as_bytes());
    }
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(id);
    text(&mut h, at);
    text(&mut h, actor);
    text(&mut h, action);
    text(&mut h, entity_kind);
    h.update(entity_id);
    match reason {
        None => h.update([0]),
        Some(r) => {
            h.update([1]);
            text(&mut h, r);
        }
    }
    text(&mut h, summary);
    h.finalize().into()
}

/// What a walk along the chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    pub checked: u64,
    /// The hash of the last event (the head), when the trail is intact and not empty.
    pub head: Option<[u8; 32]>,
    /// The first event whose stored hash does not match the recomputed chain: (seq, id).
    pub first_broken: Option<(i64, Uuid)>,
}

type RawAudit = (i64, Vec<u8>, String, String, String, String, Vec<u8>, Option<String>, String, Option<Vec<u8>>);

fn raw_hash(prev: &[u8; 32], r: &RawAudit) -> Option<[u8; 32]> {
    let id: [u8; 16] = r.1.as_slice().try_into().ok()?;
    let entity: [u8; 16] = r.6.as_slice().try_into().ok()?;
    Some(chain_hash(prev, r.0, &id, &r.2, &r.3, &r.4, &r.5, &entity, r.7.as_deref(), &r.8))
}

const RAW_COLUMNS: &str = "seq, id, at, actor, action, entity_kind, entity_id, reason, summary, hash";

fn read_raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawAudit> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?))
}

impl Tx<'_> {
    /// The last event's sequence number and hash, sealing the chain first if events written
    /// before it existed (or by the bulk loader) are still unsealed.
    fn audit_head(&self) -> Result<(i64, [u8; 32])> {
        let last: Option<(i64, Option<Vec<u8>>)> = self
            .conn()
            .prepare_cached("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match last {
            None => Ok((0, GENESIS)),
            Some((seq, Some(hash))) => Ok((seq, hash.try_into().or_corrupt("audit_events", "hash")?)),
            Some((_, None)) => {
                self.seal_audit_chain()?;
                self.audit_head()
            }
        }
    }

    pub fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        let (last_seq, prev) = self.audit_head()?;
        let seq = last_seq + 1;
        let at = codec::timestamp(e.at);
        let reason = e.reason.as_ref().map(|r| r.as_str());
        let hash = chain_hash(
            &prev,
            seq,
            e.id.as_bytes(),
            &at,
            e.actor.as_str(),
            e.action,
            e.entity_kind.as_str(),
            e.entity_id.as_bytes(),
            reason,
            &e.summary,
        );
        self.conn()
            .prepare_cached(
                "INSERT INTO audit_events (seq, id, at, actor, action, entity_kind, entity_id, reason, summary, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                seq,
                e.id.as_bytes().as_slice(),
                at,
                e.actor.as_str(),
                e.action,
                e.entity_kind.as_str(),
                e.entity_id.as_bytes().as_slice(),
                reason,
                e.summary,
                hash.as_slice(),
            ])?;
        Ok(())
    }

    /// Seals events that have no hash yet (written before the chain existed, or by the bulk
    /// loader), in order, continuing from the last sealed one. Returns how many it sealed.
    pub fn seal_audit_chain(&self) -> Result<u64> {
        let first: Option<i64> = self
            .conn()
            .prepare_cached("SELECT min(seq) FROM audit_events WHERE hash IS NULL")?
            .query_row([], |r| r.get(0))?;
        let Some(first) = first else { return Ok(0) };
        let prev: Option<Vec<u8>> = self
            .conn()
            .prepare_cached("SELECT hash FROM audit_events WHERE seq < ?1 ORDER BY seq DESC LIMIT 1")?
            .query_row([first], |r| r.get(0))
            .optional()?
            .flatten();
        let mut prev: [u8; 32] = match prev {
            Some(h) => h.try_into().or_corrupt("audit_events", "hash")?,
            None => GENESIS,
        };
        let mut read = self
            .conn()
            .prepare_cached(&format!("SELECT {RAW_COLUMNS} FROM audit_events WHERE seq >= ?1 ORDER BY seq"))?;
        let mut write = self.conn().prepare_cached("UPDATE audit_events SET hash = ?2 WHERE seq = ?1")?;
        let mut sealed = 0;
        let mut rows = read.query([first])?;
        while let Some(r) = rows.next()? {
            let raw = read_raw(r)?;
            if raw.9.is_some() {
                // Everything after the first unsealed event is unsealed too; a sealed one here
                // means the trail was written out of order: leave it to `verify_audit_chain`.
                break;
            }
            let hash = raw_hash(&prev, &raw).or_corrupt("audit_events", "id")?;
            write.execute(params![raw.0, hash.as_slice()])?;
            prev = hash;
            sealed += 1;
        }
        Ok(sealed)
    }

    /// Walks the whole trail in order, recomputing each link; stops at the first broken one.
    /// `on_progress` hears the count every 100 000 events.
    pub fn verify_audit_chain(&self, mut on_progress: impl FnMut(u64)) -> Result<ChainCheck> {
        let mut stmt = self.conn().prepare(&format!("SELECT {RAW_COLUMNS} FROM audit_events ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        let mut prev = GENESIS;
        let mut checked = 0;
        let mut expected_seq = 1;
        while let Some(r) = rows.next()? {
            let raw = read_raw(r)?;
            let id = Uuid::from_slice(&raw.1).unwrap_or(Uuid::nil());
            let recomputed = raw_hash(&prev, &raw);
            let intact = raw.0 == expected_seq
                && recomputed.is_some()
                && raw.9.as_deref() == recomputed.as_ref().map(|h| h.as_slice());
            if !intact {
                return Ok(ChainCheck { checked, head: None, first_broken: Some((raw.0, id)) });
            }
            prev = recomputed.unwrap_or(GENESIS);
            checked += 1;
            expected_seq += 1;
            if checked % 100_000 == 0 {
                on_progress(checked);
            }
        }
        Ok(ChainCheck { checked, head: (checked > 0).then_some(prev), first_broken: None })
    }

    /// A page of audit events as stored, with their hashes and the hash before each, in the
    /// order they happened, optionally for one entity, after the `after` sequence number
    /// (exclusive). Events must be sealed (see [`Tx::seal_audit_chain`]).
    pub fn audit_records(&self, entity: Option<Uuid>, after: Option<i64>, limit: usize) -> Result<Vec<AuditRecord>> {
        const T: &str = "audit_events";
        let mut sql = String::from(
            "SELECT a.seq, a.id, a.at, a.actor, a.action, a.entity_kind, a.entity_id, a.reason, a.summary, a.hash,
                    p.hash
             FROM audit_events a LEFT JOIN audit_events p ON p.seq = a.seq - 1
             WHERE 1 = 1",
        );
        let mut args: Vec<Value> = Vec::new();
        if let Some(entity) = entity {
            args.push(Value::Blob(entity.as_bytes().to_vec()));
            sql.push_str(&format!(" AND a.entity_id = ?{}", args.len()));
        }
        if let Some(after) = after {
            args.push(Value::Integer(after));
            sql.push_str(&format!(" AND a.seq > ?{}", args.len()));
        }
        sql.push_str(&format!(" ORDER BY a.seq{}", codec::limit(limit)));
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let raw = read_raw(r)?;
            let prev: Option<Vec<u8>> = r.get(10)?;
            out.push(AuditRecord {
                seq: raw.0,
                id: raw.1.try_into().or_corrupt(T, "id")?,
                at: raw.2,
                actor: raw.3,
                action: raw.4,
                entity_kind: raw.5,
                entity_id: raw.6.try_into().or_corrupt(T, "entity_id")?,
                reason: raw.7,
                summary: raw.8,
                hash: raw.9.and_then(|h| h.try_into().ok()).or_corrupt(T, "hash")?,
                prev_hash: match prev {
                    Some(h) => h.try_into().or_corrupt(T, "hash")?,
                    None => GENESIS,
                },
            });
        }
        Ok(out)
    }

    /// The device key, when one was made.
    pub fn device_key(&self) -> Result<Option<DeviceKeyRow>> {
        const T: &str = "device_key";
        let row: Option<(Vec<u8>, Vec<u8>, String)> = self
            .conn()
            .prepare_cached("SELECT secret_key, public_key, created_at FROM device_key WHERE id = 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        row.map(|(secret, public, at)| {
            Ok(DeviceKeyRow {
                secret_key: secret.try_into().or_corrupt(T, "secret_key")?,
                public_key: public.try_into().or_corrupt(T, "public_key")?,
                created_at: codec::parse_timestamp(&at, T, "created_at")?,
            })
        })
        .transpose()
    }

    /// Stores the device key; there is only ever one (a second insert fails as a conflict).
    pub fn insert_device_key(&self, key: &DeviceKeyRow) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO device_key (id, algorithm, secret_key, public_key, created_at)
                 VALUES (1, 'ed25519', ?1, ?2, ?3)",
            )?
            .execute(params![key.secret_key.as_slice(), key.public_key.as_slice(), codec::timestamp(key.created_at)])?;
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
        sql.push_str(&format!(" ORDER BY seq{}", codec::limit(limit)));
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
