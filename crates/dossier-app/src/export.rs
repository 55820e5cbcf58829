//! Streaming exports of customers (in the import layout, so an export imports again), cases and
//! the audit trail, as CSV or JSON lines. Rows are read in keyset pages inside one read
//! transaction, so the export is one consistent snapshot, and written as they are read, so memory
//! stays flat however many rows there are.

use std::io::Write;

use dossier_core::*;
use dossier_store::{QueueCursor, QueueSort};
use serde_json::Value;

use crate::customer_csv::{CUSTOMER_COLUMNS, CustomerRow};
use crate::customers::load;
use crate::dto::{ExportSummary, QueueQuery, VerificationQuery};
use crate::error::{Error, Problem, Reason, Result};
use crate::kyc::{QueueParams, sla_breached, verification_filter};
use crate::{Dossier, convert};

/// The columns of `export cases`.
pub const CASE_COLUMNS: &[&str] = &[
    "id",
    "customer_id",
    "customer_ref_id",
    "type",
    "method",
    "state",
    "outcome",
    "failure_codes",
    "external_reference",
    "assignee",
    "sla_due_at",
    "sla_breached",
    "snoozed_until",
    "expires_at",
    "completed_at",
    "created_at",
    "updated_at",
];

/// The columns of `export audit`.
pub const AUDIT_COLUMNS: &[&str] =
    &["seq", "id", "at", "actor", "action", "entity_type", "entity_id", "reason", "summary"];

/// Rows read per page.
const PAGE: usize = 500;

/// The layout's columns that hold `true` or `false`.
const BOOLEAN_COLUMNS: [&str; 3] = ["tax_details_not_required", "politically_exposed", "is_merchant"];

/// One value of an exported row: CSV writes it as text, JSON lines as its JSON type.
enum Cell {
    Text(String),
    Null,
    Bool(bool),
    Int(i64),
    /// Codes: space-separated in CSV, an array in JSON.
    List(Vec<String>),
    Json(Value),
}

fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

fn opt(value: Option<impl Into<String>>) -> Cell {
    value.map_or(Cell::Null, text)
}

impl Cell {
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Null => String::new(),
            Cell::Bool(b) => b.to_string(),
            Cell::Int(n) => n.to_string(),
            Cell::List(items) => items.join(" "),
            Cell::Json(v) => v.to_string(),
        }
    }

    fn json(self) -> Value {
        match self {
            Cell::Text(s) => Value::String(s),
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Int(n) => Value::from(n),
            Cell::List(items) => Value::from(items),
            Cell::Json(v) => v,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Format {
    Csv,
    Jsonl,
}

impl Format {
    fn parse(raw: &str) -> Result<Self> {
        match raw.trim() {
            "csv" => Ok(Format::Csv),
            "jsonl" => Ok(Format::Jsonl),
            _ => Err(Error::invalid_input(vec![Reason::field(
                "format",
                "unknown_value",
                "format is not one of: csv, jsonl",
            )])),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
        }
    }
}

fn write_failed(e: &std::io::Error) -> Error {
    Error::Unexpected(Problem::new("export_failed", format!("could not write the export: {}", e.kind())))
}

enum Out<'w> {
    // Boxed: the CSV writer carries its own state and buffer, and there is one sink per export.
    Csv(Box<csv::Writer<&'w mut dyn Write>>),
    Jsonl(std::io::BufWriter<&'w mut dyn Write>),
}

/// Where rows go, in one format, counting them.
struct Sink<'w> {
    format: Format,
    columns: &'static [&'static str],
    out: Out<'w>,
    rows: u64,
}

impl<'w> Sink<'w> {
    /// Starts an export; CSV begins with the header line.
    fn new(format: Format, columns: &'static [&'static str], out: &'w mut dyn Write) -> Result<Self> {
        let out = match format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(columns).map_err(|e| csv_failed(&e))?;
                Out::Csv(Box::new(w))
            }
            Format::Jsonl => Out::Jsonl(std::io::BufWriter::new(out)),
        };
        Ok(Self { format, columns, out, rows: 0 })
    }

    fn row(&mut self, cells: Vec<Cell>) -> Result<()> {
        match &mut self.out {
            Out::Csv(w) => w.write_record(cells.iter().map(Cell::csv)).map_err(|e| csv_failed(&e))?,
            Out::Jsonl(w) => {
                let object: serde_json::Map<String, Value> =
                    self.columns.iter().map(|c| (*c).to_owned()).zip(cells.into_iter().map(Cell::json)).collect();
                serde_json::to_writer(&mut *w, &object).map_err(|e| write_failed(&e.into()))?;
                w.write_all(b"\n").map_err(|e| write_failed(&e))?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(self) -> Result<ExportSummary> {
        match self.out {
            Out::Csv(mut w) => w.flush().map_err(|e| write_failed(&e))?,
            Out::Jsonl(mut w) => w.flush().map_err(|e| write_failed(&e))?,
        }
        Ok(ExportSummary { format: self.format.as_str(), rows: self.rows, device_key_fingerprint: None })
    }
}

fn csv_failed(e: &csv::Error) -> Error {
    match e.kind() {
        csv::ErrorKind::Io(io) => write_failed(io),
        _ => Error::Unexpected(Problem::new("export_failed", "could not write the export as CSV")),
    }
}

/// A customer's row: blank cells are null in JSON lines, and flags are booleans.
fn customer_cells(row: &CustomerRow) -> Vec<Cell> {
    CUSTOMER_COLUMNS
        .iter()
        .zip(row.cells())
        .map(|(column, cell)| match cell {
            _ if BOOLEAN_COLUMNS.contains(column) => Cell::Bool(cell == "true"),
            "" => Cell::Null,
            _ => text(cell),
        })
        .collect()
}

fn case_cells(v: &Verification, ref_id: Option<String>, now: time::OffsetDateTime) -> Vec<Cell> {
    vec![
        text(v.id.to_string()),
        text(v.customer_id.to_string()),
        opt(ref_id),
        text(v.verification_type.as_str()),
        text(v.method.as_str()),
        text(v.state.name()),
        opt(v.state.outcome().map(Outcome::as_str)),
        Cell::List(v.state.failure_codes().iter().map(|c| c.as_str().to_owned()).collect()),
        opt(v.external_reference.as_ref().map(Text::as_str)),
        opt(v.assignee.as_ref().map(UserName::as_str)),
        opt(v.sla_due_at.map(convert::timestamp)),
        Cell::Bool(sla_breached(v, now)),
        opt(v.snoozed_until.map(format_date)),
        opt(v.expires_at.map(convert::timestamp)),
        opt(match &v.state {
            VerificationState::Completed { completed_at, .. } => Some(convert::timestamp(*completed_at)),
            _ => None,
        }),
        text(convert::timestamp(v.created_at)),
        text(convert::timestamp(v.updated_at)),
    ]
}

impl Dossier {
    /// Writes the customers matching the work-queue filters of `q` to `out` in the import layout
    /// (docs/import.md), oldest first unless `q.sort` says otherwise; `q.limit` is ignored (every
    /// page is written) and `q.after` starts after a queue cursor.
    ///
    /// Tax ids and document numbers are written in clear, unlike in every view: the export feeds
    /// re-import. It is a deliberate bulk action, so it is audited (`export.customers`, with the
    /// format and the filters, search words left out) in a transaction of its own before the
    /// first row is read; an export that then fails part-way stays recorded as attempted.
    pub fn export_customers(
        &mut self,
        actor: &Actor,
        q: &QueueQuery,
        format: &str,
        out: &mut dyn Write,
    ) -> Result<ExportSummary> {
        actor.require(Permission::Read)?;
        let format = Format::parse(format)?;
        let params = QueueParams::parse(q, QueueSort::Oldest)?;
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        self.write(|env, tx| {
            let mut filters = serde_json::Map::new();
            for (key, value) in [
                ("state", &q.state),
                ("verification_state", &q.verification_state),
                ("verification_method", &q.verification_method),
                ("edd", &q.edd),
                ("risk", &q.risk),
                ("identity_status", &q.identity_status),
                ("refresh_due_before", &q.refresh_due_before),
                ("assignee", &q.assignee),
                ("sort", &q.sort),
            ] {
                if let Some(value) = given(value) {
                    filters.insert(key.to_owned(), Value::from(value));
                }
            }
            if q.sla_breached {
                filters.insert("sla_breached".to_owned(), Value::Bool(true));
            }
            // The words may be a name or a number: only that there were some is recorded.
            if given(&q.search).is_some() {
                filters.insert("search".to_owned(), Value::Bool(true));
            }
            tx.append_audit(&AuditEvent {
                id: AuditEventId::from_uuid(env.ids.next_id()),
                at: env.clock.now(),
                actor: actor.name().clone(),
                action: "export.customers",
                entity_kind: EntityKind::Export,
                entity_id: uuid::Uuid::nil(),
                reason: None,
                summary: serde_json::json!({"format": format.as_str(), "filters": filters}).to_string(),
            })?;
            Ok(())
        })?;
        self.read(|env, tx| {
            let filter = params.filter(env);
            let mut sink = Sink::new(format, CUSTOMER_COLUMNS, out)?;
            let mut after = params.after.clone();
            loop {
                let rows = tx.queue(&filter, params.sort, after.as_ref(), PAGE)?;
                for r in &rows {
                    sink.row(customer_cells(&CustomerRow::of(&load(tx, r.id)?)))?;
                }
                match rows.last() {
                    Some(last) if rows.len() == PAGE => {
                        after = Some(QueueCursor { id: last.id, refresh_due_on: last.kyc_refresh_due_on })
                    }
                    _ => break,
                }
            }
            sink.finish()
        })
    }

    /// Writes the identity verifications (EDD cases included) matching `q` to `out`, newest
    /// first; `q.limit` is ignored and `q.after` starts after a case id.
    pub fn export_cases(
        &self,
        actor: &Actor,
        q: &VerificationQuery,
        format: &str,
        out: &mut dyn Write,
    ) -> Result<ExportSummary> {
        actor.require(Permission::Read)?;
        let format = Format::parse(format)?;
        let (filter, mut after) = verification_filter(q)?;
        self.read(|env, tx| {
            let now = env.clock.now();
            let mut sink = Sink::new(format, CASE_COLUMNS, out)?;
            // Cases of one customer often come together; one lookup serves them all.
            let mut last_ref: Option<(CustomerId, Option<String>)> = None;
            loop {
                let page = tx.list_verifications(&filter, after, PAGE)?;
                for v in &page {
                    let ref_id = match &last_ref {
                        Some((id, ref_id)) if *id == v.customer_id => ref_id.clone(),
                        _ => {
                            let ref_id = tx.customer_ref_id(v.customer_id)?;
                            last_ref = Some((v.customer_id, ref_id.clone()));
                            ref_id
                        }
                    };
                    sink.row(case_cells(v, ref_id, now))?;
                }
                match page.last() {
                    Some(v) if page.len() == PAGE => after = Some(v.id),
                    _ => break,
                }
            }
            sink.finish()
        })
    }

    /// Writes the audit trail (optionally about one entity) to `out`, in the order it happened.
    /// JSON lines are signed with the device key (made on first use, see `audit_export.rs`);
    /// CSV stays unsigned: it is for reading, the signed JSON lines are for proving.
    pub fn export_audit(
        &mut self,
        actor: &Actor,
        entity: Option<&str>,
        format: &str,
        out: &mut dyn Write,
    ) -> Result<ExportSummary> {
        actor.require(Permission::Read)?;
        let format = Format::parse(format)?;
        let entity = crate::audit::parse_entity(entity)?;
        if let Format::Jsonl = format {
            return self.export_audit_signed(actor, entity, out);
        }
        self.read(|_, tx| {
            let mut sink = Sink::new(format, AUDIT_COLUMNS, out)?;
            let mut after = None;
            loop {
                let page = tx.audit_events(entity, after, PAGE)?;
                for r in &page {
                    sink.row(vec![
                        Cell::Int(r.seq),
                        text(r.id.to_string()),
                        text(convert::timestamp(r.at)),
                        text(r.actor.as_str()),
                        text(r.action.as_str()),
                        text(r.entity_kind.as_str()),
                        text(r.entity_id.hyphenated().to_string()),
                        opt(r.reason.clone()),
                        Cell::Json(serde_json::from_str(&r.summary).unwrap_or(Value::Null)),
                    ])?;
                }
                match page.last() {
                    Some(r) if page.len() == PAGE => after = Some(r.seq),
                    _ => break,
                }
            }
            sink.finish()
        })
    }
}
