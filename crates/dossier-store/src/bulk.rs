//! Bulk loading of many customers into a database that has none yet (`dossier dev generate`).
//!
//! Rows are written exactly as the repository methods write them (same columns, positions and
//! encodings, derived columns included). A [`BulkBatch`] of domain values is first encoded
//! ([`EncodedBatch`]: column values in one byte buffer per table, which another thread can do)
//! and then written table by table in one transaction, through cached multi-row `INSERT`
//! statements. While a [`BulkLoad`] is alive the connection runs with `synchronous=OFF` and a
//! larger page cache: in WAL mode a crash of the process still loses nothing committed, and only
//! an operating-system crash could damage the file, which holds nothing but generated data yet.
//! Dropping the `BulkLoad` restores the house pragmas.

use std::collections::BTreeMap;

use dossier_core::*;
use rusqlite::TransactionBehavior;
use rusqlite::types::{ToSqlOutput, ValueRef};
use time::OffsetDateTime;

use crate::codec;
use crate::kyc::Derived;
use crate::{Result, Store, Tx};

/// The latest risk assessment of a bulk-loaded customer.
#[derive(Debug, Clone)]
pub struct BulkRisk {
    pub id: RiskAssessmentId,
    pub assessment: RiskAssessment,
    pub factors_json: String,
    pub at: OffsetDateTime,
}

/// One customer with everything that hangs off it, as the app would have stored it.
#[derive(Debug, Clone)]
pub struct BulkCustomer {
    pub customer: Customer,
    pub derived: Derived,
    /// Controls that were placed and lifted again (kept as history), with the time lifted.
    pub lifted_controls: Vec<(Control, OffsetDateTime)>,
    /// Oldest first.
    pub verifications: Vec<Verification>,
    pub evidence: Vec<Evidence>,
    pub notes: Vec<Note>,
    pub decisions: Vec<Decision>,
    pub risk: BulkRisk,
}

/// One transaction's worth of customers, and the audit events to append after them, in the
/// order they happened.
#[derive(Debug, Clone, Default)]
pub struct BulkBatch {
    pub customers: Vec<BulkCustomer>,
    pub audit: Vec<AuditEvent>,
}

/// Rows written per table.
pub type RowCounts = BTreeMap<&'static str, u64>;

impl Tx<'_> {
    /// Whether the database holds any customer at all.
    pub fn has_customers(&self) -> Result<bool> {
        Ok(self.conn().prepare_cached("SELECT EXISTS (SELECT 1 FROM customers)")?.query_row([], |r| r.get(0))?)
    }
}

/// A bulk load in progress: the connection runs with bulk pragmas until this is dropped.
pub struct BulkLoad<'s> {
    store: &'s mut Store,
    counts: RowCounts,
}

impl Store {
    /// Starts a bulk load: `synchronous=OFF` and a 128 MiB page cache until the returned guard
    /// is finished or dropped.
    pub fn bulk_load(&mut self) -> Result<BulkLoad<'_>> {
        self.conn.pragma_update(None, "synchronous", "OFF")?;
        self.conn.pragma_update(None, "cache_size", -131_072)?;
        Ok(BulkLoad { store: self, counts: RowCounts::new() })
    }
}

impl BulkLoad<'_> {
    /// Writes one encoded batch in one transaction: all of it, or nothing.
    pub fn insert(&mut self, batch: &EncodedBatch) -> Result<()> {
        let tx = self.store.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for table in &batch.tables {
            table.insert(&tx)?;
        }
        {
            // The batch's audit events join the hash chain in the same transaction.
            let wrapped = crate::Tx { tx };
            wrapped.seal_audit_chain()?;
            crate::customers::index_pending_search(&wrapped.tx)?;
            wrapped.tx.commit()?;
        }
        for table in &batch.tables {
            *self.counts.entry(table.name).or_default() += table.rows() as u64;
        }
        Ok(())
    }

    /// Ends the load: restores the house pragmas and folds the write-ahead log back into the
    /// database file. Returns the rows written per table.
    pub fn finish(mut self) -> Result<RowCounts> {
        restore(&self.store.conn)?;
        self.store.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(std::mem::take(&mut self.counts))
    }
}

impl Drop for BulkLoad<'_> {
    fn drop(&mut self) {
        // Already restored by `finish`, or the load failed: either way the house pragmas return.
        let _ = restore(&self.store.conn);
    }
}

fn restore(conn: &rusqlite::Connection) -> Result<()> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -crate::CACHE_KIB)?;
    Ok(())
}

/// One column value of an encoded row; text and blobs live in the table's byte arena.
#[derive(Debug, Clone, Copy)]
enum Cell {
    Null,
    Int(i64),
    Text {
        start: u32,
        len: u32,
    },
    /// Always a 16-byte id.
    Id {
        start: u32,
    },
}

/// The bytes behind a table's text and id cells: one buffer per table and batch instead of
/// one allocation per value.
#[derive(Default)]
struct Arena {
    bytes: Vec<u8>,
}

impl Arena {
    fn start(&self) -> u32 {
        u32::try_from(self.bytes.len()).expect("a batch's table holds under 4 GiB of text")
    }

    fn since(&self, start: u32) -> Cell {
        Cell::Text { start, len: self.start() - start }
    }

    fn text(&mut self, s: impl AsRef<str>) -> Cell {
        let start = self.start();
        self.bytes.extend_from_slice(s.as_ref().as_bytes());
        self.since(start)
    }

    fn opt_text(&mut self, s: Option<&str>) -> Cell {
        s.map_or(Cell::Null, |s| self.text(s))
    }

    fn t_opt(&mut self, t: &Option<Text>) -> Cell {
        self.opt_text(t.as_ref().map(Text::as_str))
    }

    fn id(&mut self, bytes: &[u8; 16]) -> Cell {
        let start = self.start();
        self.bytes.extend_from_slice(bytes);
        Cell::Id { start }
    }

    fn opt_id(&mut self, bytes: Option<&[u8; 16]>) -> Cell {
        bytes.map_or(Cell::Null, |b| self.id(b))
    }

    fn ts(&mut self, at: OffsetDateTime) -> Cell {
        let start = self.start();
        codec::write_timestamp(at, &mut self.bytes);
        self.since(start)
    }

    fn opt_ts(&mut self, at: Option<OffsetDateTime>) -> Cell {
        at.map_or(Cell::Null, |at| self.ts(at))
    }

    fn date(&mut self, d: Option<time::Date>) -> Cell {
        d.map_or(Cell::Null, |d| self.text(codec::date(d)))
    }

    fn int(&mut self, n: i64) -> Cell {
        Cell::Int(n)
    }

    fn flag(&mut self, b: bool) -> Cell {
        Cell::Int(i64::from(b))
    }

    /// Failure codes as stored: comma-separated.
    fn codes(&mut self, codes: &[FailureCodeValue]) -> Cell {
        let start = self.start();
        for (i, code) in codes.iter().enumerate() {
            if i > 0 {
                self.bytes.push(b',');
            }
            self.bytes.extend_from_slice(code.as_str().as_bytes());
        }
        self.since(start)
    }
}

/// A cell bound to a statement parameter, borrowing its bytes from the arena.
struct Bound<'a> {
    cell: Cell,
    bytes: &'a [u8],
}

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let slice = |start: u32, len: usize| &self.bytes[start as usize..start as usize + len];
        Ok(ToSqlOutput::Borrowed(match self.cell {
            Cell::Null => ValueRef::Null,
            Cell::Int(n) => ValueRef::Integer(n),
            Cell::Text { start, len } => ValueRef::Text(slice(start, len as usize)),
            Cell::Id { start } => ValueRef::Blob(slice(start, 16)),
        }))
    }
}

/// Rows of one table, in the order they will be inserted.
struct TableRows {
    name: &'static str,
    columns: &'static [&'static str],
    cells: Vec<Cell>,
    arena: Arena,
}

/// Rows per multi-row `INSERT` statement: fewer statement steps, well under SQLite's limit of
/// 32,766 parameters.
const ROWS_PER_STATEMENT: usize = 64;

impl TableRows {
    fn new(name: &'static str, columns: &'static [&'static str]) -> Self {
        Self { name, columns, cells: Vec::new(), arena: Arena::default() }
    }

    fn rows(&self) -> usize {
        self.cells.len() / self.columns.len()
    }

    /// Appends one row, made by `row` with the table's arena.
    fn push<const N: usize>(&mut self, row: impl FnOnce(&mut Arena) -> [Cell; N]) {
        debug_assert_eq!(N, self.columns.len(), "a row of {} has one value per column", self.name);
        let row = row(&mut self.arena);
        self.cells.extend(row);
    }

    fn sql(&self, rows: usize) -> String {
        let width = self.columns.len();
        let row = |r: usize| {
            let params: Vec<String> = (1..=width).map(|c| format!("?{}", r * width + c)).collect();
            format!("({})", params.join(", "))
        };
        let rows: Vec<String> = (0..rows).map(row).collect();
        format!("INSERT INTO {} ({}) VALUES {}", self.name, self.columns.join(", "), rows.join(", "))
    }

    fn insert(&self, tx: &rusqlite::Transaction<'_>) -> Result<()> {
        let width = self.columns.len();
        let bind = |cells: &[Cell]| {
            let bytes = self.arena.bytes.as_slice();
            rusqlite::params_from_iter(cells.iter().map(move |cell| Bound { cell: *cell, bytes }).collect::<Vec<_>>())
        };
        let mut chunks = self.cells.chunks_exact(ROWS_PER_STATEMENT * width);
        if chunks.len() > 0 {
            let mut stmt = tx.prepare_cached(&self.sql(ROWS_PER_STATEMENT))?;
            for chunk in chunks.by_ref() {
                stmt.execute(bind(chunk))?;
            }
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            // The remainder's size varies from batch to batch: not worth a cache slot.
            tx.prepare(&self.sql(rest.len() / width))?.execute(bind(rest))?;
        }
        Ok(())
    }
}

/// A [`BulkBatch`] turned into column values, grouped by table, ready to bind. Encoding
/// (formatting times, JSON, lists) is done by whoever builds it, so a generator thread can do
/// it while the writer writes the previous batch. Parents come before children, and tables
/// whose keys are not in creation order are sorted by key, so each B-tree is written in one
/// ascending pass per batch.
pub struct EncodedBatch {
    customers: usize,
    tables: Vec<TableRows>,
}

impl EncodedBatch {
    /// Customers in the batch.
    pub fn customers(&self) -> usize {
        self.customers
    }
}

impl From<&BulkBatch> for EncodedBatch {
    fn from(batch: &BulkBatch) -> Self {
        let mut customers = TableRows::new(
            "customers",
            &[
                "id",
                "kind",
                "ref_id",
                "state",
                "verification_level",
                "state_changed_at",
                "display_name",
                "is_merchant",
                "tax_details_not_required",
                "last_kyc_refresh_date",
                "metadata",
                "created_at",
                "updated_at",
                "politically_exposed",
                "risk_rating",
                "identity_status",
                "edd_status",
                "kyc_refresh_due_on",
                "verified_on",
            ],
        );
        let mut persons = TableRows::new(
            "persons",
            &[
                "customer_id",
                "first_name",
                "middle_name",
                "last_name",
                "date_of_birth",
                "country_of_citizenship",
                "country_of_birth",
                "occupation",
            ],
        );
        let mut institutions = TableRows::new(
            "institutions",
            &[
                "customer_id",
                "legal_name",
                "doing_business_as_name",
                "incorporation_date",
                "country_of_formation",
                "industry_type",
                "legal_entity_type",
                "website",
                "business_description",
            ],
        );
        let mut members = TableRows::new(
            "institution_members",
            &[
                "id",
                "customer_id",
                "position",
                "first_name",
                "last_name",
                "title",
                "roles",
                "ownership_percentage",
                "date_of_birth",
                "is_control_person",
                "person_customer_id",
            ],
        );
        let mut addresses = TableRows::new(
            "addresses",
            &[
                "id",
                "customer_id",
                "position",
                "kind",
                "is_primary",
                "street_address",
                "street_address_2",
                "city",
                "state",
                "postal_code",
                "country",
            ],
        );
        let mut contacts = TableRows::new(
            "contacts",
            &["id", "customer_id", "position", "kind", "value", "verification_method", "verified_at"],
        );
        let mut documents = TableRows::new(
            "identity_documents",
            &[
                "id",
                "customer_id",
                "position",
                "document_type",
                "number",
                "issuing_country",
                "issued_on",
                "expires_on",
                "status",
            ],
        );
        let mut files = TableRows::new("document_files", &["document_id", "position", "role", "reference"]);
        let mut taxes =
            TableRows::new("tax_details", &["id", "customer_id", "position", "tax_id_type", "tax_id", "country"]);
        let mut due_diligence = TableRows::new(
            "due_diligence",
            &["customer_id", "source_of_funds", "source_of_wealth", "purpose_of_account", "expected_activity_level"],
        );
        let mut controls = TableRows::new(
            "controls",
            &["id", "customer_id", "control_type", "set_by", "reason_code", "created_at", "removed_at"],
        );
        let mut verifications = TableRows::new(
            "identity_verifications",
            &[
                "id",
                "customer_id",
                "verification_type",
                "method",
                "state",
                "outcome",
                "failure_codes",
                "completed_at",
                "expired_at",
                "external_reference",
                "expires_at",
                "assignee",
                "sla_due_at",
                "snoozed_until",
                "checklist",
                "created_at",
                "updated_at",
            ],
        );
        let mut checks = TableRows::new(
            "compliance_checks",
            &["verification_id", "position", "check_type", "outcome", "failure_codes"],
        );
        let mut compliance_decisions = TableRows::new(
            "compliance_decisions",
            &["verification_id", "position", "decision_type", "state", "failure_codes", "expired_at"],
        );
        let mut evidence = TableRows::new(
            "edd_evidence",
            &["id", "verification_id", "item", "reference", "description", "added_by", "added_at"],
        );
        let mut notes = TableRows::new("case_notes", &["id", "verification_id", "author", "text", "created_at"]);
        let mut decisions = TableRows::new(
            "decisions",
            &[
                "id",
                "customer_id",
                "verification_id",
                "kind",
                "outcome",
                "reason",
                "failure_codes",
                "evidence",
                "decided_by",
                "decided_at",
            ],
        );
        let mut risks =
            TableRows::new("risk_assessments", &["id", "customer_id", "rating", "score", "factors", "assessed_at"]);
        let mut audit = TableRows::new(
            "audit_events",
            &["id", "at", "actor", "action", "entity_kind", "entity_id", "reason", "summary"],
        );

        for b in &batch.customers {
            let c = &b.customer;
            let cid = c.id.as_bytes();
            let d = &b.derived;
            customers.push(|w| {
                [
                    w.id(cid),
                    w.text(c.kind().as_str()),
                    w.text(c.ref_id.as_str()),
                    w.text(c.state.name()),
                    w.opt_text(c.state.level().map(VerificationLevel::as_str)),
                    w.ts(c.state_changed_at),
                    w.text(c.party.display_name()),
                    w.flag(c.is_merchant),
                    w.flag(matches!(c.tax, TaxDetails::NotRequired)),
                    w.date(c.last_kyc_refresh_date),
                    w.text(serde_json::to_string(&c.metadata).expect("a string map always serializes")),
                    w.ts(c.created_at),
                    w.ts(c.updated_at),
                    w.flag(c.politically_exposed),
                    w.text(d.risk_rating.as_str()),
                    w.text(d.identity_status.as_str()),
                    w.text(d.edd_status.as_str()),
                    w.date(d.kyc_refresh_due_on),
                    w.date(d.verified_on),
                ]
            });
            match &c.party {
                Party::Person(p) => persons.push(|w| {
                    [
                        w.id(cid),
                        w.text(p.first_name.as_str()),
                        w.t_opt(&p.middle_name),
                        w.text(p.last_name.as_str()),
                        w.date(Some(p.date_of_birth)),
                        w.opt_text(p.country_of_citizenship.as_ref().map(CountryCode::as_str)),
                        w.opt_text(p.country_of_birth.as_ref().map(CountryCode::as_str)),
                        w.t_opt(&p.occupation),
                    ]
                }),
                Party::Institution { details: i, members: list } => {
                    institutions.push(|w| {
                        [
                            w.id(cid),
                            w.text(i.legal_name.as_str()),
                            w.t_opt(&i.doing_business_as_name),
                            w.date(i.incorporation_date),
                            w.text(i.country_of_formation.as_str()),
                            w.t_opt(&i.industry_type),
                            w.t_opt(&i.legal_entity_type),
                            w.t_opt(&i.website),
                            w.t_opt(&i.business_description),
                        ]
                    });
                    for (n, m) in list.iter().enumerate() {
                        let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
                        members.push(|w| {
                            [
                                w.id(m.id.as_bytes()),
                                w.id(cid),
                                w.int(n as i64 + 1),
                                w.text(m.first_name.as_str()),
                                w.text(m.last_name.as_str()),
                                w.t_opt(&m.title),
                                w.text(roles.join(",")),
                                w.opt_text(m.ownership_percentage.map(|p| p.value().to_string()).as_deref()),
                                w.date(m.date_of_birth),
                                w.flag(m.is_control_person),
                                w.opt_id(m.person_customer_id.as_ref().map(CustomerId::as_bytes)),
                            ]
                        });
                    }
                }
            }
            for (n, a) in c.addresses.iter().enumerate() {
                addresses.push(|w| {
                    [
                        w.id(a.id.as_bytes()),
                        w.id(cid),
                        w.int(n as i64 + 1),
                        w.text(a.kind.as_str()),
                        w.flag(a.primary),
                        w.text(a.street_address.as_str()),
                        w.t_opt(&a.street_address_2),
                        w.text(a.city.as_str()),
                        w.t_opt(&a.state),
                        w.t_opt(&a.postal_code),
                        w.text(a.country.as_str()),
                    ]
                });
            }
            for (n, k) in c.contacts.iter().enumerate() {
                contacts.push(|w| {
                    [
                        w.id(k.id.as_bytes()),
                        w.id(cid),
                        w.int(n as i64 + 1),
                        w.text(k.kind().as_str()),
                        w.text(k.value.as_str()),
                        w.opt_text(k.verification.map(|v| v.method.as_str())),
                        w.opt_ts(k.verification.map(|v| v.verified_at)),
                    ]
                });
            }
            for (n, doc) in c.documents.iter().enumerate() {
                documents.push(|w| {
                    [
                        w.id(doc.id.as_bytes()),
                        w.id(cid),
                        w.int(n as i64 + 1),
                        w.text(doc.document_type.as_str()),
                        w.text(doc.number.as_str()),
                        w.text(doc.issuing_country.as_str()),
                        w.date(doc.issued_on),
                        w.date(doc.expires_on),
                        w.text(doc.status.as_str()),
                    ]
                });
                for (f, file) in doc.files.iter().enumerate() {
                    files.push(|w| {
                        [
                            w.id(doc.id.as_bytes()),
                            w.int(f as i64 + 1),
                            w.text(file.role.as_str()),
                            w.text(file.reference.as_str()),
                        ]
                    });
                }
            }
            for (n, t) in c.tax.details().iter().enumerate() {
                taxes.push(|w| {
                    [
                        w.id(t.id.as_bytes()),
                        w.id(cid),
                        w.int(n as i64 + 1),
                        w.text(t.tax_id_type.as_str()),
                        w.text(t.tax_id.as_str()),
                        w.text(t.country.as_str()),
                    ]
                });
            }
            if let Some(dd) = &c.due_diligence {
                due_diligence.push(|w| {
                    [
                        w.id(cid),
                        w.t_opt(&dd.source_of_funds),
                        w.t_opt(&dd.source_of_wealth),
                        w.t_opt(&dd.purpose_of_account),
                        w.opt_text(dd.expected_activity_level.map(ExpectedActivity::as_str)),
                    ]
                });
            }
            let in_force = c.controls.iter().map(|k| (k, None));
            for (k, removed_at) in in_force.chain(b.lifted_controls.iter().map(|(k, at)| (k, Some(*at)))) {
                controls.push(|w| {
                    [
                        w.id(k.id.as_bytes()),
                        w.id(cid),
                        w.text(k.control_type.as_str()),
                        w.text(k.set_by.as_str()),
                        w.text(k.reason_code.as_str()),
                        w.ts(k.created_at),
                        w.opt_ts(removed_at),
                    ]
                });
            }
            let r = &b.risk;
            risks.push(|w| {
                [
                    w.id(r.id.as_bytes()),
                    w.id(cid),
                    w.text(r.assessment.rating.as_str()),
                    w.int(i64::from(r.assessment.score)),
                    w.text(r.factors_json.as_str()),
                    w.ts(r.at),
                ]
            });
        }

        // Verifications and case work are made over the customers' lifetimes, so their ids are
        // not in creation order: sorted, each index is written in one ascending pass.
        let mut all: Vec<&Verification> = batch.customers.iter().flat_map(|b| &b.verifications).collect();
        all.sort_unstable_by_key(|v| v.id);
        for v in all {
            let (completed_at, expired_at) = match &v.state {
                VerificationState::Completed { completed_at, .. } => (Some(*completed_at), None),
                VerificationState::Expired { expired_at } => (None, Some(*expired_at)),
                _ => (None, None),
            };
            let vid = v.id.as_bytes();
            verifications.push(|w| {
                [
                    w.id(vid),
                    w.id(v.customer_id.as_bytes()),
                    w.text(v.verification_type.as_str()),
                    w.text(v.method.as_str()),
                    w.text(v.state.name()),
                    w.opt_text(v.state.outcome().map(Outcome::as_str)),
                    w.codes(v.state.failure_codes()),
                    w.opt_ts(completed_at),
                    w.opt_ts(expired_at),
                    w.t_opt(&v.external_reference),
                    w.opt_ts(v.expires_at),
                    w.opt_text(v.assignee.as_ref().map(UserName::as_str)),
                    w.opt_ts(v.sla_due_at),
                    w.date(v.snoozed_until),
                    w.text(v.checklist.join(",")),
                    w.ts(v.created_at),
                    w.ts(v.updated_at),
                ]
            });
            for (n, k) in v.compliance_checks.iter().enumerate() {
                checks.push(|w| {
                    [
                        w.id(vid),
                        w.int(n as i64),
                        w.text(k.check_type.as_str()),
                        w.text(k.outcome.as_str()),
                        w.codes(&k.failure_codes),
                    ]
                });
            }
            for (n, k) in v.compliance_decisions.iter().enumerate() {
                compliance_decisions.push(|w| {
                    [
                        w.id(vid),
                        w.int(n as i64),
                        w.text(k.decision_type.as_str()),
                        w.text(k.state.as_str()),
                        w.codes(&k.failure_codes),
                        w.opt_ts(k.expired_at),
                    ]
                });
            }
        }
        let mut all: Vec<&Evidence> = batch.customers.iter().flat_map(|b| &b.evidence).collect();
        all.sort_unstable_by_key(|e| e.id);
        for e in all {
            evidence.push(|w| {
                [
                    w.id(e.id.as_bytes()),
                    w.id(e.verification_id.as_bytes()),
                    w.text(e.item.as_str()),
                    w.text(e.reference.as_str()),
                    w.t_opt(&e.description),
                    w.text(e.added_by.as_str()),
                    w.ts(e.added_at),
                ]
            });
        }
        let mut all: Vec<&Note> = batch.customers.iter().flat_map(|b| &b.notes).collect();
        all.sort_unstable_by_key(|n| n.id);
        for n in all {
            notes.push(|w| {
                [
                    w.id(n.id.as_bytes()),
                    w.id(n.verification_id.as_bytes()),
                    w.text(n.author.as_str()),
                    w.text(n.text.as_str()),
                    w.ts(n.created_at),
                ]
            });
        }
        let mut all: Vec<&Decision> = batch.customers.iter().flat_map(|b| &b.decisions).collect();
        all.sort_unstable_by_key(|d| d.id);
        for d in all {
            decisions.push(|w| {
                [
                    w.id(d.id.as_bytes()),
                    w.id(d.customer_id.as_bytes()),
                    w.opt_id(d.verification_id.as_ref().map(VerificationId::as_bytes)),
                    w.text(d.kind.as_str()),
                    w.text(d.outcome.as_str()),
                    w.text(d.reason.as_str()),
                    w.codes(&d.failure_codes),
                    w.text(d.evidence.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(",")),
                    w.text(d.decided_by.as_str()),
                    w.ts(d.decided_at),
                ]
            });
        }
        // The trail keeps the order the events happened in: their sequence numbers follow it.
        for e in &batch.audit {
            audit.push(|w| {
                [
                    w.id(e.id.as_bytes()),
                    w.ts(e.at),
                    w.text(e.actor.as_str()),
                    w.text(e.action),
                    w.text(e.entity_kind.as_str()),
                    w.id(e.entity_id.as_bytes()),
                    w.opt_text(e.reason.as_ref().map(Text::as_str)),
                    w.text(e.summary.as_str()),
                ]
            });
        }
        EncodedBatch {
            customers: batch.customers.len(),
            tables: vec![
                customers,
                persons,
                institutions,
                members,
                addresses,
                contacts,
                documents,
                files,
                taxes,
                due_diligence,
                controls,
                verifications,
                checks,
                compliance_decisions,
                evidence,
                notes,
                decisions,
                risks,
                audit,
            ],
        }
    }
}
