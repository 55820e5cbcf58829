//! The transactional outbox, the providers a firm uses, local <-> provider id mappings and
//! conflict cases. Messages are claimed with a lease: an `in_flight` message whose lease ran
//! out belongs to a worker that died, and its fate at the provider is unknown.

use dossier_core::*;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::codec::{self, OrCorrupt};
use crate::{Result, Tx};

/// A message to write.
#[derive(Debug, Clone)]
pub struct NewOutbox {
    pub id: OutboxId,
    pub provider: Provider,
    pub operation: Operation,
    pub aggregate_id: Uuid,
    pub subject_id: Option<Uuid>,
    pub payload_version: u32,
    pub payload: String,
    pub idempotency_key: String,
    pub created_at: OffsetDateTime,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub seq: i64,
    pub id: OutboxId,
    pub provider: Provider,
    pub operation: Operation,
    pub aggregate_id: Uuid,
    pub subject_id: Option<Uuid>,
    pub payload_version: u32,
    pub payload: String,
    pub idempotency_key: String,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub remote_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A claimed message: `maybe_sent` when an earlier attempt may have reached the provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub row: OutboxRow,
    pub maybe_sent: bool,
}

/// Counts for `sync status`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxCount {
    pub provider: Provider,
    pub status: OutboxStatus,
    pub count: i64,
    /// When the oldest message of this provider and status was made: for the waiting statuses
    /// (pending, in flight) only, `None` for the others.
    pub oldest_created_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRow {
    pub provider: Provider,
    pub base_url: String,
    pub client_id: Option<String>,
    pub tenant: Option<String>,
    pub enabled: bool,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ConflictRow {
    pub id: ConflictId,
    pub customer_id: CustomerId,
    pub verification_id: Option<VerificationId>,
    pub provider: Provider,
    pub local_value: String,
    pub remote_value: String,
    pub status: String,
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str = "seq, id, provider, operation, aggregate_id, subject_id, payload_version, payload, \
     idempotency_key, status, attempts, next_attempt_at, last_error, remote_id, created_at, updated_at";

fn read_row(r: &rusqlite::Row<'_>) -> Result<OutboxRow> {
    const T: &str = "outbox";
    let uuid = |b: Vec<u8>, col| -> Result<Uuid> { Ok(Uuid::from_bytes(b.try_into().or_corrupt(T, col)?)) };
    let subject: Option<Vec<u8>> = r.get(5)?;
    Ok(OutboxRow {
        seq: r.get(0)?,
        id: OutboxId::from_uuid(uuid(r.get(1)?, "id")?),
        provider: Provider::parse(&r.get::<_, String>(2)?).or_corrupt(T, "provider")?,
        operation: Operation::parse(&r.get::<_, String>(3)?).or_corrupt(T, "operation")?,
        aggregate_id: uuid(r.get(4)?, "aggregate_id")?,
        subject_id: subject.map(|b| uuid(b, "subject_id")).transpose()?,
        payload_version: r.get(6)?,
        payload: r.get(7)?,
        idempotency_key: r.get(8)?,
        status: OutboxStatus::parse(&r.get::<_, String>(9)?).or_corrupt(T, "status")?,
        attempts: r.get(10)?,
        next_attempt_at: codec::parse_timestamp(&r.get::<_, String>(11)?, T, "next_attempt_at")?,
        last_error: r.get(12)?,
        remote_id: r.get(13)?,
        created_at: codec::parse_timestamp(&r.get::<_, String>(14)?, T, "created_at")?,
        updated_at: codec::parse_timestamp(&r.get::<_, String>(15)?, T, "updated_at")?,
    })
}

impl Tx<'_> {
    pub fn insert_outbox(&self, m: &NewOutbox) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO outbox (id, provider, operation, aggregate_id, subject_id, payload_version, payload,
                    idempotency_key, status, attempts, next_attempt_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', 0, ?9, ?9, ?9)",
            )?
            .execute(params![
                m.id.as_bytes().as_slice(),
                m.provider.as_str(),
                m.operation.as_str(),
                m.aggregate_id.as_bytes().as_slice(),
                m.subject_id.map(|s| s.as_bytes().to_vec()),
                m.payload_version,
                m.payload,
                m.idempotency_key,
                codec::timestamp(m.created_at),
            ])?;
        Ok(())
    }

    /// Claims up to `limit` due messages, at most one per (provider, aggregate) and only the
    /// oldest unfinished one of each, so per-aggregate order holds; a `needs_attention` message
    /// holds back the rest of its aggregate. Claimed messages become `in_flight` with a lease.
    /// In-flight messages whose lease ran out come first (their worker died), then pending ones,
    /// oldest first.
    ///
    /// Pending messages are read in `seq` order from their index and the rows are read only
    /// until `limit` are found, so a claim costs about the same with 100 or 100,000 messages
    /// waiting (there is no `LIMIT` in the SQL: a bound `LIMIT` makes SQLite prepare the
    /// statement again at every run). Expired leases are read from `outbox_leases`, which holds
    /// in-flight messages only, by lease end: the messages a running drain has in flight are
    /// not read at all.
    pub fn claim_outbox(
        &self,
        provider: Option<Provider>,
        now: OffsetDateTime,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claimed>> {
        let unfinished_before = "NOT EXISTS (SELECT 1 FROM outbox e WHERE e.provider = o.provider
            AND e.aggregate_id = o.aggregate_id AND e.status IN ('pending', 'in_flight', 'needs_attention')
            AND e.seq < o.seq)";
        let expired = format!(
            "SELECT {COLUMNS}, maybe_sent FROM outbox o INDEXED BY outbox_leases
             WHERE o.status = 'in_flight' AND o.next_attempt_at <= ?1 AND (?2 IS NULL OR o.provider = ?2)
               AND {unfinished_before}
             ORDER BY o.seq"
        );
        let pending = format!(
            "SELECT {COLUMNS}, maybe_sent FROM outbox o INDEXED BY outbox_by_status
             WHERE o.status = 'pending' AND o.next_attempt_at <= ?1 AND (?2 IS NULL OR o.provider = ?2)
               AND {unfinished_before}
             ORDER BY o.seq"
        );
        let at = codec::timestamp(now);
        let mut claimed = Vec::new();
        for sql in [&expired, &pending] {
            if claimed.len() >= limit {
                break;
            }
            let mut stmt = self.conn().prepare_cached(sql)?;
            let mut rows = stmt.query(params![at, provider.map(|p| p.as_str())])?;
            while claimed.len() < limit
                && let Some(r) = rows.next()?
            {
                let row = read_row(r)?;
                // An in-flight message whose lease ran out may have reached the provider too.
                let maybe_sent = row.status == OutboxStatus::InFlight || r.get::<_, bool>(16)?;
                claimed.push(Claimed { row, maybe_sent });
            }
        }
        let lease_until = codec::timestamp(now + lease);
        let mut update = self.conn().prepare_cached(
            "UPDATE outbox SET status = 'in_flight', attempts = attempts + 1, next_attempt_at = ?2, updated_at = ?3,
                maybe_sent = maybe_sent OR ?4 WHERE seq = ?1",
        )?;
        for c in &mut claimed {
            update.execute(params![c.row.seq, lease_until, at, c.maybe_sent])?;
            c.row.attempts += 1;
            c.row.status = OutboxStatus::InFlight;
        }
        Ok(claimed)
    }

    /// Messages left in flight by a worker that stopped (only one worker runs at a time, so at
    /// its start every in-flight message is an orphan). They become pending again, marked as
    /// possibly sent, so creates are looked up before they are sent again.
    pub fn outbox_release_orphans(&self, at: OffsetDateTime) -> Result<usize> {
        Ok(self
            .conn()
            .prepare_cached(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?1, updated_at = ?1, maybe_sent = 1,
                    last_error = 'transport: the previous run stopped before this result was recorded'
                 WHERE status = 'in_flight'",
            )?
            .execute([codec::timestamp(at)])?)
    }

    pub fn outbox_done(&self, seq: i64, remote_id: Option<&str>, at: OffsetDateTime) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE outbox SET status = 'done', remote_id = ?2, last_error = NULL, updated_at = ?3 WHERE seq = ?1",
            )?
            .execute(params![seq, remote_id, codec::timestamp(at)])?;
        Ok(())
    }

    /// Schedules another attempt; `maybe_sent` records that this one may have reached the provider.
    pub fn outbox_retry_at(
        &self,
        seq: i64,
        next: OffsetDateTime,
        error: &str,
        maybe_sent: bool,
        at: OffsetDateTime,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE outbox SET status = 'pending', next_attempt_at = ?2, last_error = ?3, updated_at = ?4,
                    maybe_sent = maybe_sent OR ?5 WHERE seq = ?1",
            )?
            .execute(params![seq, codec::timestamp(next), error, codec::timestamp(at), maybe_sent])?;
        Ok(())
    }

    pub fn outbox_needs_attention(&self, seq: i64, error: &str, maybe_sent: bool, at: OffsetDateTime) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE outbox SET status = 'needs_attention', last_error = ?2, updated_at = ?3,
                    maybe_sent = maybe_sent OR ?4 WHERE seq = ?1",
            )?
            .execute(params![seq, error, codec::timestamp(at), maybe_sent])?;
        Ok(())
    }

    /// A person asks for another try: the message is due now, with its attempts counted afresh.
    pub fn outbox_requeue(&self, seq: i64, at: OffsetDateTime) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?2, updated_at = ?2 WHERE seq = ?1",
            )?
            .execute(params![seq, codec::timestamp(at)])?;
        Ok(())
    }

    pub fn outbox_discard(&self, seq: i64, at: OffsetDateTime) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE outbox SET status = 'discarded', updated_at = ?2 WHERE seq = ?1")?
            .execute(params![seq, codec::timestamp(at)])?;
        Ok(())
    }

    /// When the next pending message is due (or the earliest lease runs out). Messages waiting
    /// behind one that needs attention (same provider and aggregate) are not due until a person
    /// retries or discards it, so they do not count.
    pub fn outbox_next_due(&self, provider: Option<Provider>) -> Result<Option<OffsetDateTime>> {
        let next: Option<String> = self
            .conn()
            .prepare_cached(
                "SELECT min(o.next_attempt_at) FROM outbox o WHERE o.status IN ('pending', 'in_flight')
                 AND (?1 IS NULL OR o.provider = ?1)
                 AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.provider = o.provider AND e.aggregate_id = o.aggregate_id
                                 AND e.status = 'needs_attention' AND e.seq < o.seq)",
            )?
            .query_row([provider.map(|p| p.as_str())], |r| r.get(0))?;
        next.map(|n| codec::parse_timestamp(&n, "outbox", "next_attempt_at")).transpose()
    }

    /// How many attempts a message has had (the one under way included); `None` for no such
    /// message.
    pub fn outbox_attempts(&self, seq: i64) -> Result<Option<u32>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT attempts FROM outbox WHERE seq = ?1")?
            .query_row([seq], |r| r.get(0))
            .optional()?)
    }

    pub fn outbox_message(&self, id: OutboxId) -> Result<Option<OutboxRow>> {
        let sql = format!("SELECT {COLUMNS} FROM outbox WHERE id = ?1");
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query([id.as_bytes().as_slice()])?;
        rows.next()?.map(read_row).transpose()
    }

    /// Messages in order, optionally of one status, after `after` (a seq).
    /// Messages in delivery order, optionally of one status and one customer (the aggregate).
    pub fn list_outbox(
        &self,
        status: Option<OutboxStatus>,
        customer: Option<Uuid>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<OutboxRow>> {
        let mut sql = format!("SELECT {COLUMNS} FROM outbox WHERE seq > ?1");
        let mut args = vec![Value::Integer(after.unwrap_or(0))];
        if let Some(s) = status {
            args.push(Value::Text(s.as_str().to_owned()));
            sql.push_str(&format!(" AND status = ?{}", args.len()));
        }
        if let Some(c) = customer {
            args.push(Value::Blob(c.as_bytes().to_vec()));
            sql.push_str(&format!(" AND aggregate_id = ?{}", args.len()));
        }
        sql.push_str(&format!(" ORDER BY seq{}", codec::limit(limit)));
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(read_row(r)?);
        }
        Ok(out)
    }

    /// Messages by provider and status, read from the customer index alone (a few dozen bytes
    /// an entry, where a row holds its payload), and when the oldest waiting one was made, read
    /// from the waiting messages only: `sync status` and the end of every `sync run` cost a
    /// tenth of reading every message once messages that are done pile up.
    pub fn outbox_counts(&self) -> Result<Vec<OutboxCount>> {
        let mut oldest = std::collections::BTreeMap::new();
        let mut stmt = self.conn().prepare_cached(
            "SELECT provider, status, min(created_at) FROM outbox WHERE status IN ('pending', 'in_flight')
             GROUP BY provider, status",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let at = codec::parse_timestamp(&r.get::<_, String>(2)?, "outbox", "created_at")?;
            oldest.insert((r.get::<_, String>(0)?, r.get::<_, String>(1)?), at);
        }
        let mut stmt = self.conn().prepare_cached(
            "SELECT provider, status, count(*) FROM outbox INDEXED BY outbox_by_customer
             GROUP BY provider, status ORDER BY provider, status",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let key: (String, String) = (r.get(0)?, r.get(1)?);
            out.push(OutboxCount {
                provider: Provider::parse(&key.0).or_corrupt("outbox", "provider")?,
                status: OutboxStatus::parse(&key.1).or_corrupt("outbox", "status")?,
                count: r.get(2)?,
                oldest_created_at: oldest.remove(&key),
            });
        }
        Ok(out)
    }

    pub fn put_remote_id(
        &self,
        provider: Provider,
        kind: &str,
        local: Uuid,
        remote: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO remote_ids (provider, entity_kind, local_id, remote_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (provider, entity_kind, local_id) DO UPDATE SET remote_id = excluded.remote_id",
            )?
            .execute(params![provider.as_str(), kind, local.as_bytes().as_slice(), remote, codec::timestamp(at)])?;
        Ok(())
    }

    pub fn remote_id(&self, provider: Provider, kind: &str, local: Uuid) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT remote_id FROM remote_ids WHERE provider = ?1 AND entity_kind = ?2 AND local_id = ?3",
            )?
            .query_row(params![provider.as_str(), kind, local.as_bytes().as_slice()], |r| r.get(0))
            .optional()?)
    }

    /// Unsettled mappings of one kind at one provider: (local id, remote id).
    pub fn unsettled_remote_ids(&self, provider: Provider, kind: &str) -> Result<Vec<(Uuid, String)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT local_id, remote_id FROM remote_ids WHERE provider = ?1 AND entity_kind = ?2 AND settled = 0",
        )?;
        let mut rows = stmt.query(params![provider.as_str(), kind])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let local: Vec<u8> = r.get(0)?;
            out.push((Uuid::from_bytes(local.try_into().or_corrupt("remote_ids", "local_id")?), r.get(1)?));
        }
        Ok(out)
    }

    pub fn settle_remote_id(&self, provider: Provider, kind: &str, local: Uuid) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE remote_ids SET settled = 1 WHERE provider = ?1 AND entity_kind = ?2 AND local_id = ?3",
            )?
            .execute(params![provider.as_str(), kind, local.as_bytes().as_slice()])?;
        Ok(())
    }

    /// Remote ids of one kind already mapped to some local record.
    pub fn remote_id_taken(&self, provider: Provider, kind: &str, remote: &str) -> Result<bool> {
        Ok(self
            .conn()
            .prepare_cached("SELECT 1 FROM remote_ids WHERE provider = ?1 AND entity_kind = ?2 AND remote_id = ?3")?
            .query_row(params![provider.as_str(), kind, remote], |_| Ok(()))
            .optional()?
            .is_some())
    }

    pub fn upsert_provider(&self, p: &ProviderRow) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO providers (name, base_url, client_id, tenant, enabled, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (name) DO UPDATE SET base_url = excluded.base_url, client_id = excluded.client_id,
                    tenant = excluded.tenant, enabled = excluded.enabled, updated_at = excluded.updated_at",
            )?
            .execute(params![
                p.provider.as_str(),
                p.base_url,
                p.client_id,
                p.tenant,
                p.enabled,
                codec::timestamp(p.updated_at)
            ])?;
        Ok(())
    }

    /// The providers that are on, by name: what a change writes outbox messages for, read by
    /// every change, so it reads nothing else.
    pub fn enabled_providers(&self) -> Result<Vec<Provider>> {
        let mut stmt = self.conn().prepare_cached("SELECT name FROM providers WHERE enabled = 1 ORDER BY name")?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Provider::parse(&r.get::<_, String>(0)?).or_corrupt("providers", "name")?);
        }
        Ok(out)
    }

    pub fn providers(&self) -> Result<Vec<ProviderRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT name, base_url, client_id, tenant, enabled, updated_at FROM providers ORDER BY name",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(ProviderRow {
                provider: Provider::parse(&r.get::<_, String>(0)?).or_corrupt("providers", "name")?,
                base_url: r.get(1)?,
                client_id: r.get(2)?,
                tenant: r.get(3)?,
                enabled: r.get(4)?,
                updated_at: codec::parse_timestamp(&r.get::<_, String>(5)?, "providers", "updated_at")?,
            });
        }
        Ok(out)
    }

    pub fn insert_conflict(&self, c: &ConflictRow) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO conflicts (id, customer_id, verification_id, provider, local_value, remote_value, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7)",
            )?
            .execute(params![
                c.id.as_bytes().as_slice(),
                c.customer_id.as_bytes().as_slice(),
                c.verification_id.map(|v| v.as_bytes().to_vec()),
                c.provider.as_str(),
                c.local_value,
                c.remote_value,
                codec::timestamp(c.created_at),
            ])?;
        Ok(())
    }

    /// Open conflict cases, oldest first (optionally of one customer).
    pub fn open_conflicts(&self, customer: Option<CustomerId>) -> Result<Vec<ConflictRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, customer_id, verification_id, provider, local_value, remote_value, status, created_at
             FROM conflicts WHERE status = 'open' AND (?1 IS NULL OR customer_id = ?1) ORDER BY created_at, id",
        )?;
        let mut rows = stmt.query([customer.map(|c| c.as_bytes().to_vec())])?;
        let mut out = Vec::new();
        const T: &str = "conflicts";
        while let Some(r) = rows.next()? {
            let id: Vec<u8> = r.get(0)?;
            let customer: Vec<u8> = r.get(1)?;
            let verification: Option<Vec<u8>> = r.get(2)?;
            out.push(ConflictRow {
                id: ConflictId::from_bytes(id.try_into().or_corrupt(T, "id")?),
                customer_id: CustomerId::from_bytes(customer.try_into().or_corrupt(T, "customer_id")?),
                verification_id: verification
                    .map(|b| b.try_into().or_corrupt(T, "verification_id").map(VerificationId::from_bytes))
                    .transpose()?,
                provider: Provider::parse(&r.get::<_, String>(3)?).or_corrupt(T, "provider")?,
                local_value: r.get(4)?,
                remote_value: r.get(5)?,
                status: r.get(6)?,
                created_at: codec::parse_timestamp(&r.get::<_, String>(7)?, T, "created_at")?,
            });
        }
        Ok(out)
    }
}

/// Statuses after which a provider's view of a customer no longer changes by itself.
const SETTLED_STATUSES: &str = "'APPROVED', 'DENIED', 'REJECTED', 'PASS'";

impl Tx<'_> {
    pub fn put_provider_status(
        &self,
        provider: Provider,
        customer: CustomerId,
        status: &str,
        detail: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO provider_statuses (provider, customer_id, status, detail, fetched_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (provider, customer_id) DO UPDATE SET status = excluded.status, detail = excluded.detail,
                    fetched_at = excluded.fetched_at",
            )?
            .execute(params![provider.as_str(), customer.as_bytes().as_slice(), status, detail, codec::timestamp(at)])?;
        Ok(())
    }

    /// What each provider last said about the customer: (provider, status, detail JSON, fetched at).
    pub fn provider_statuses_of(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<(Provider, String, String, OffsetDateTime)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT provider, status, detail, fetched_at FROM provider_statuses WHERE customer_id = ?1 ORDER BY provider",
        )?;
        let mut rows = stmt.query([customer.as_bytes().as_slice()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((
                Provider::parse(&r.get::<_, String>(0)?).or_corrupt("provider_statuses", "provider")?,
                r.get(1)?,
                r.get(2)?,
                codec::parse_timestamp(&r.get::<_, String>(3)?, "provider_statuses", "fetched_at")?,
            ));
        }
        Ok(out)
    }

    /// Customers at `provider` whose status there may still change, least recently read first.
    pub fn customers_to_poll(&self, provider: Provider, limit: usize) -> Result<Vec<(Uuid, String)>> {
        let sql = format!(
            "SELECT r.local_id, r.remote_id FROM remote_ids r
             LEFT JOIN provider_statuses s ON s.provider = r.provider AND s.customer_id = r.local_id
             WHERE r.provider = ?1 AND r.entity_kind = 'customer' AND (s.status IS NULL OR s.status NOT IN ({SETTLED_STATUSES}))
             ORDER BY s.fetched_at IS NOT NULL, s.fetched_at{}",
            codec::limit(limit)
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(params![provider.as_str()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let local: Vec<u8> = r.get(0)?;
            out.push((Uuid::from_bytes(local.try_into().or_corrupt("remote_ids", "local_id")?), r.get(1)?));
        }
        Ok(out)
    }
}
