//! Bulk import of customers from CSV (docs/import.md). Every row is turned into the input of
//! `customer create` and goes through the same conversion and rules; a row is all or nothing, and
//! rows commit in batches, each row's customer, audit events and outbox messages in the same
//! transaction. Importing a file again changes nothing: a ref id that exists with the
//! same content is `unchanged`, one that exists with other content is rejected, never updated.

use std::io::Read;

use csv::ByteRecord;
use dossier_core::*;
use dossier_store::Tx;
use serde_json::json;

use crate::customer_csv::{CUSTOMER_COLUMNS, CustomerRow};
use crate::customers::{load, ref_id_exists};
use crate::dto::{ImportProgress, ImportReport, RejectedRow};
use crate::error::{Error, Reason, Result};
use crate::{Dossier, Env, convert};

/// Rows per transaction unless told otherwise: large enough that commits cost little, small
/// enough that the write lock is released often and progress moves.
pub const DEFAULT_BATCH_SIZE: usize = 500;
const MAX_BATCH_SIZE: usize = 10_000;

/// How to import.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Check every row as a real import would, then keep nothing.
    pub dry_run: bool,
    /// Rows per transaction (1 to 10,000).
    pub batch_size: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self { dry_run: false, batch_size: DEFAULT_BATCH_SIZE }
    }
}

/// The CSV text `import template customers` prints: the header line and one example row.
pub fn customer_template() -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = out.write_record(CUSTOMER_COLUMNS);
    let _ = out.write_record(CustomerRow::example().cells());
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Where each column of the file goes in the layout.
struct Header {
    layout_index: Vec<usize>,
}

/// A file refused whole: 400 `invalid_input` with every reason.
fn bad_file(reasons: Vec<Reason>) -> Error {
    Error::invalid_input(reasons)
}

fn read_error(e: &csv::Error) -> Error {
    match e.kind() {
        csv::ErrorKind::Io(io) => {
            bad_file(vec![Reason::field("file", "input_unreadable", format!("could not read the file: {}", io.kind()))])
        }
        _ => {
            let line = e.position().map(|p| format!(" at line {}", p.line())).unwrap_or_default();
            bad_file(vec![Reason::new(
                "malformed_row",
                format!("the file could not be read as CSV{line}: check its quoting"),
            )])
        }
    }
}

impl Header {
    /// Reads the header line. Column names are matched ignoring case and surrounding blanks;
    /// `ref_id` and `type` must be there, other columns may be left out (blank in every row).
    /// Messages never repeat a header cell: a file without a header would have personal data there.
    fn read<R: Read>(reader: &mut csv::Reader<R>) -> Result<Self> {
        let mut record = ByteRecord::new();
        if !reader.read_byte_record(&mut record).map_err(|e| read_error(&e))? {
            return Err(bad_file(vec![Reason::field(
                "header",
                "required",
                "the file is empty: its first line must be the header (dossier import template customers prints one)",
            )]));
        }
        let mut reasons = Vec::new();
        let mut layout_index = Vec::with_capacity(record.len());
        for (i, cell) in record.iter().enumerate() {
            let cell = if i == 0 { cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell) } else { cell };
            let name = std::str::from_utf8(cell).unwrap_or("").trim().to_ascii_lowercase();
            match CUSTOMER_COLUMNS.iter().position(|c| *c == name) {
                Some(index) if layout_index.contains(&index) => reasons.push(Reason::field(
                    CUSTOMER_COLUMNS[index],
                    "duplicate_column",
                    format!("the header has {} twice: keep one", CUSTOMER_COLUMNS[index]),
                )),
                Some(index) => layout_index.push(index),
                None => {
                    reasons.push(Reason::new(
                        "unknown_field",
                        format!("header column {} is not a column of the layout: see docs/import.md", i + 1),
                    ));
                    // Keeps the positions of the other columns right while the reasons pile up.
                    layout_index.push(usize::MAX);
                }
            }
        }
        for required in ["ref_id", "type"] {
            let index = CUSTOMER_COLUMNS.iter().position(|c| *c == required).unwrap_or(usize::MAX);
            if !layout_index.contains(&index) {
                reasons.push(Reason::field(required, "required", format!("the header has no {required} column")));
            }
        }
        if reasons.is_empty() { Ok(Self { layout_index }) } else { Err(bad_file(reasons)) }
    }

    /// One data row as the layout's cells, or why it cannot be read.
    fn row(&self, record: &ByteRecord) -> Result<CustomerRow, Reason> {
        if record.len() != self.layout_index.len() {
            return Err(Reason::new(
                "malformed_row",
                format!(
                    "the row has {} cells and the header {}: check the separators and quotes",
                    record.len(),
                    self.layout_index.len()
                ),
            ));
        }
        let mut row = CustomerRow::default();
        for (cell, &index) in record.iter().zip(&self.layout_index) {
            let column = CUSTOMER_COLUMNS[index];
            let text = std::str::from_utf8(cell).map_err(|_| {
                Reason::field(column, "malformed_row", format!("{column} is not UTF-8 text: save the file as UTF-8"))
            })?;
            if let Some(slot) = row.cell_mut(index) {
                text.trim().clone_into(slot);
            }
        }
        Ok(row)
    }
}

/// A data row, converted (outside any transaction) or refused.
struct Line {
    line: u64,
    ref_id: Option<String>,
    prepared: std::result::Result<(Customer, CustomerRow), Vec<Reason>>,
}

/// Orders reasons as the columns are ordered, so a row's faults read left to right.
fn in_column_order(mut reasons: Vec<Reason>) -> Vec<Reason> {
    reasons.sort_by_key(|r| {
        r.field.as_deref().and_then(|f| CUSTOMER_COLUMNS.iter().position(|c| *c == f)).unwrap_or(usize::MAX)
    });
    reasons
}

/// Converts a row with the conversion of `customer create`, plus what only the layout has: the
/// verification method of each contact.
fn prepare(env: &Env, line: u64, raw: std::result::Result<CustomerRow, Reason>) -> Line {
    let row = match raw {
        Ok(row) => row,
        Err(reason) => return Line { line, ref_id: None, prepared: Err(vec![reason]) },
    };
    let ref_id = RefId::parse(&row.ref_id).ok().map(|r| r.as_str().to_owned());
    let input = row.to_input();
    let now = env.clock.now();
    let id = CustomerId::from_uuid(env.ids.next_id());
    let prepared = match convert::new_customer(&input.input, id, now, &env.ctx()) {
        Ok(mut customer) if input.reasons.is_empty() => {
            for contact in customer.contacts.iter_mut() {
                let method = match contact.kind() {
                    ContactKind::Email => input.email_verified,
                    ContactKind::Mobile => input.mobile_verified,
                };
                contact.verification = method.map(|method| ContactVerification { method, verified_at: now });
            }
            let normalized = CustomerRow::of(&customer);
            Ok((customer, normalized))
        }
        Ok(_) => Err(in_column_order(input.reasons.clone())),
        Err(e) => {
            let mut reasons = input.name_columns(e.body().reasons);
            reasons.extend(input.reasons.iter().cloned());
            Err(in_column_order(reasons))
        }
    };
    Line { line, ref_id, prepared }
}

/// Reads up to `n` data rows, skipping rows whose cells are all blank.
fn read_batch<R: Read>(reader: &mut csv::Reader<R>, header: &Header, n: usize, env: &Env) -> Result<Vec<Line>> {
    let mut record = ByteRecord::new();
    let mut lines = Vec::with_capacity(n);
    while lines.len() < n && reader.read_byte_record(&mut record).map_err(|e| read_error(&e))? {
        let line = record.position().map_or(0, |p| p.line());
        let row = header.row(&record);
        if row.as_ref().is_ok_and(CustomerRow::is_blank) {
            continue;
        }
        lines.push(prepare(env, line, row));
    }
    Ok(lines)
}

enum Imported {
    Created,
    Unchanged,
}

/// Where a converted row stands against what is stored, reading only: new (to be created),
/// stored already with the same content (`Unchanged`), or refused because its ref id is stored
/// with other content.
fn check_one(tx: &Tx<'_>, customer: &Customer, row: &CustomerRow) -> Result<Imported> {
    let Some(existing) = tx.customer_id_by_ref(&customer.ref_id)? else { return Ok(Imported::Created) };
    let differing = CustomerRow::of(&load(tx, existing)?).differing_columns(row);
    if differing.is_empty() {
        return Ok(Imported::Unchanged);
    }
    Err(ref_id_exists(&format!(
        "a customer with this ref_id exists with other values in {}: import never changes a customer; \
         use the customer commands, or another ref_id",
        differing.join(", ")
    )))
}

/// Writes a new customer from a row: what `customer create` writes (the customer, its audit
/// event, outbox messages and derived values), and a `customer.verify_contact` event for each
/// contact the row says is verified.
fn create_one(env: &Env, tx: &Tx<'_>, actor: &Actor, policy: &Policy, customer: &Customer) -> Result<()> {
    env.insert_new_customer(tx, actor, policy, customer, Some("csv_import"))?;
    for contact in customer.contacts.iter() {
        if let Some(v) = contact.verification {
            let summary = json!({
                "contact_id": contact.id.to_string(), "kind": contact.kind().as_str(),
                "method": v.method.as_str(), "source": "csv_import",
            });
            env.audit(tx, actor, "customer.verify_contact", customer.id, None, summary)?;
        }
    }
    Ok(())
}

/// How a batch keeps a row all or nothing when the database refuses it halfway through writing
/// (a constraint the rules above do not know of; checked rows practically never meet one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// No savepoints: such a row fails the batch, which is then done again with `PerRow`.
    /// Savepoints are not free: SQLite copies every page a row touches into a statement
    /// journal, which cost a third of the time of a large import.
    Optimistic,
    /// Every row in its own savepoint, so a refused row is undone alone.
    PerRow,
}

type Outcome = std::result::Result<Imported, Vec<Reason>>;

fn reasons_of(e: &Error) -> Vec<Reason> {
    let body = e.body();
    if body.reasons.is_empty() { vec![Reason::new(body.code, body.message)] } else { body.reasons }
}

/// Imports a batch in the caller's transaction. A refused row is reported; a failure of the
/// storage itself stops the import. With [`Guard::Optimistic`], a row refused while it was
/// being written sets `redo` and fails the batch, for the caller to roll it back and do it
/// again with [`Guard::PerRow`].
fn import_batch(
    env: &Env,
    tx: &Tx<'_>,
    actor: &Actor,
    lines: &[Line],
    guard: Guard,
    redo: &mut bool,
) -> Result<Vec<Outcome>> {
    let policy = crate::policy::load(tx)?;
    let mut outcomes = Vec::with_capacity(lines.len());
    for line in lines {
        let (customer, row) = match &line.prepared {
            Ok(prepared) => prepared,
            Err(reasons) => {
                outcomes.push(Err(reasons.clone()));
                continue;
            }
        };
        let result = match guard {
            Guard::PerRow => tx.savepoint(|tx| {
                let imported = check_one(tx, customer, row)?;
                if let Imported::Created = imported {
                    create_one(env, tx, actor, &policy, customer)?;
                }
                Ok(imported)
            }),
            Guard::Optimistic => match check_one(tx, customer, row) {
                Ok(Imported::Created) => match create_one(env, tx, actor, &policy, customer) {
                    Ok(()) => Ok(Imported::Created),
                    Err(e) => {
                        *redo = e.status() < 500;
                        return Err(e);
                    }
                },
                other => other,
            },
        };
        outcomes.push(match result {
            Ok(imported) => Ok(imported),
            Err(e) if e.status() >= 500 => return Err(e),
            Err(e) => Err(reasons_of(&e)),
        });
    }
    Ok(outcomes)
}

impl ImportReport {
    fn tally(&mut self, lines: &[Line], outcomes: Vec<Outcome>) {
        for (line, outcome) in lines.iter().zip(outcomes) {
            self.rows += 1;
            match outcome {
                Ok(Imported::Created) => self.created += 1,
                Ok(Imported::Unchanged) => self.unchanged += 1,
                Err(reasons) => {
                    self.rejected += 1;
                    self.rejected_rows.push(RejectedRow { line: line.line, ref_id: line.ref_id.clone(), reasons });
                }
            }
        }
    }

    fn progress(&self) -> ImportProgress {
        ImportProgress { rows: self.rows, created: self.created, unchanged: self.unchanged, rejected: self.rejected }
    }
}

impl Dossier {
    /// Imports customers from CSV in the layout of docs/import.md. Good rows are committed in
    /// batches of `options.batch_size`, each row with its audit events and outbox messages; bad
    /// rows change nothing and are reported with every fault, by line and column. A ref id that
    /// exists with the same content is `unchanged`; with other content the row is rejected
    /// (`ref_id_exists`). `on_progress` hears after every batch. A header that does not fit the
    /// layout, or a file that cannot be read, is 400 `invalid_input` (batches already
    /// committed stay; importing the file again finds them unchanged).
    pub fn import_customers(
        &mut self,
        actor: &Actor,
        input: impl Read,
        options: &ImportOptions,
        mut on_progress: impl FnMut(&ImportProgress),
    ) -> Result<ImportReport> {
        actor.require(Permission::Onboard)?;
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
        let header = Header::read(&mut reader)?;
        let batch_size = options.batch_size.clamp(1, MAX_BATCH_SIZE);
        let mut report = ImportReport {
            dry_run: options.dry_run,
            rows: 0,
            created: 0,
            unchanged: 0,
            rejected: 0,
            rejected_rows: Vec::new(),
        };
        if options.dry_run {
            // One transaction, rolled back at the end: later rows see earlier ones exactly as
            // in a real import (a ref id twice in the file), and nothing is kept. Each batch
            // has a savepoint, so a batch to do again is undone alone.
            self.rehearse(|env, tx| {
                loop {
                    let lines = read_batch(&mut reader, &header, batch_size, env)?;
                    if lines.is_empty() {
                        return Ok(());
                    }
                    let mut redo = false;
                    let outcomes =
                        match tx.savepoint(|tx| import_batch(env, tx, actor, &lines, Guard::Optimistic, &mut redo)) {
                            Err(_) if redo => import_batch(env, tx, actor, &lines, Guard::PerRow, &mut redo)?,
                            result => result?,
                        };
                    report.tally(&lines, outcomes);
                    on_progress(&report.progress());
                }
            })?;
        } else {
            loop {
                let lines = read_batch(&mut reader, &header, batch_size, &self.env)?;
                if lines.is_empty() {
                    break;
                }
                let mut redo = false;
                let outcomes =
                    match self.write(|env, tx| import_batch(env, tx, actor, &lines, Guard::Optimistic, &mut redo)) {
                        Err(_) if redo => {
                            self.write(|env, tx| import_batch(env, tx, actor, &lines, Guard::PerRow, &mut redo))?
                        }
                        result => result?,
                    };
                report.tally(&lines, outcomes);
                on_progress(&report.progress());
            }
        }
        Ok(report)
    }
}
