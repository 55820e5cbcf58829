//! `dossier dev generate`: fills an empty data directory with synthetic, realistic and
//! reproducible customers (for measuring the queues and the desktop app at scale), and
//! `dossier dev check-derived`, which recomputes every customer's derived columns the way the
//! app does and reports any difference.
//!
//! One thread makes customers (dossier-core values, validated like `customer create`) while the
//! calling thread writes them through the store's bulk loader, one transaction per batch. Audit
//! events are appended in the order they happened across all customers, as the app would have:
//! events later than the customer being made wait in a queue until no earlier one can come.
//! Proportions and choices: docs/generator.md.

mod prospects;
mod request;
mod seeded;
mod story;
mod words;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::mpsc;

use dossier_core::*;
use dossier_store::{BulkBatch, EncodedBatch, QueueCursor, QueueFilter, QueueSort};
use rand::Rng;
use time::{Duration, OffsetDateTime};

use crate::customers::load;
use crate::derived::{assess_customer, factors_json, verified_on_after};
use crate::dto::{DerivedCheckReport, DerivedMismatch, GenerateReport};
use crate::error::{Error, Problem, Reason, Result};
use crate::{Dossier, policy};
pub(crate) use prospects::write_prospects;
use story::{PoolPerson, World};

/// The most customers one run makes.
pub const MAX_CUSTOMERS: u64 = 10_000_000;
/// Customers per transaction.
const BATCH: usize = 5_000;
/// How far back customers were created.
const HISTORY: Duration = Duration::days(3 * 365);
/// Recent individuals that businesses pick their members from.
const POOL: usize = 256;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub customers: u64,
    pub seed: u64,
    /// The moment the data ends at (RFC 3339); default: the clock. Same customers, seed and
    /// now give the same database.
    pub now: Option<String>,
}

/// An event waiting for its turn in the audit trail: ordered by time, then by when it was made.
struct Queued {
    at: OffsetDateTime,
    order: u64,
    event: AuditEvent,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

/// Makes the customers, in order of creation, batch by batch.
struct Generator {
    world: World,
    total: u64,
    made: u64,
    /// When the next customer is created.
    next_created: OffsetDateTime,
    pool: VecDeque<PoolPerson>,
    audit: BinaryHeap<Reverse<Queued>>,
    order: u64,
}

impl Generator {
    fn new(options: &GenerateOptions, policy: Policy, now: OffsetDateTime) -> Self {
        let world = World::new(seeded::choices(options.seed), seeded::SeededIds::new(options.seed), policy, now);
        let mut g = Self {
            world,
            total: options.customers,
            made: 0,
            next_created: now,
            pool: VecDeque::with_capacity(POOL),
            audit: BinaryHeap::new(),
            order: 0,
        };
        g.next_created = g.created_at(0);
        g
    }

    /// When customer `index` was created: spread over the last three years, more of them
    /// recently (the density grows linearly from one half to three halves of the mean), each in
    /// its own slot so that creation times, and so customer ids, increase with the index.
    fn created_at(&mut self, index: u64) -> OffsetDateTime {
        let f = (index as f64 + self.world.rng.random::<f64>()) / self.total as f64;
        let x = -0.5 + (0.25 + 2.0 * f).sqrt();
        let now = self.world.now;
        let at = now - HISTORY + HISTORY * x.clamp(0.0, 1.0);
        at.min(now - Duration::SECOND)
    }

    fn next_batch(&mut self, size: usize) -> Result<Option<BulkBatch>> {
        if self.made == self.total {
            return Ok(None);
        }
        let mut batch = BulkBatch::default();
        while batch.customers.len() < size && self.made < self.total {
            let created_at = self.next_created;
            let index = self.made;
            self.made += 1;
            self.next_created = if self.made < self.total { self.created_at(self.made) } else { self.world.now };
            let pool = self.pool.make_contiguous();
            let generated = story::customer(&mut self.world, index, created_at, pool)?;
            for event in generated.events {
                self.order += 1;
                self.audit.push(Reverse(Queued { at: event.at, order: self.order, event }));
            }
            if let Some(person) = generated.person {
                if self.pool.len() == POOL {
                    self.pool.pop_front();
                }
                self.pool.push_back(person);
            }
            batch.customers.push(generated.customer);
            // Every later customer's events come at or after its creation: whatever is earlier
            // than the next creation time can take its place in the trail now.
            while self.audit.peek().is_some_and(|Reverse(q)| q.at < self.next_created) {
                let Some(Reverse(q)) = self.audit.pop() else { break };
                batch.audit.push(q.event);
            }
        }
        if self.made == self.total {
            while let Some(Reverse(q)) = self.audit.pop() {
                batch.audit.push(q.event);
            }
        }
        Ok(Some(batch))
    }
}

fn parse_now(raw: Option<&str>, clock: OffsetDateTime) -> Result<OffsetDateTime> {
    match raw {
        None => Ok(clock),
        Some(raw) => OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339)
            .map(|t| t.to_offset(time::UtcOffset::UTC))
            .map_err(|_| Error::invalid_input(vec![Reason::from_value_error("now", &ValueError::InvalidTimestamp)])),
    }
}

impl Dossier {
    /// Fills this data directory, which must hold no customer yet (else 409
    /// `data_dir_not_empty`, and nothing is written), with `customers` synthetic customers.
    /// `progress` hears (customers written, total) after each batch.
    pub fn generate(
        &mut self,
        actor: &Actor,
        options: &GenerateOptions,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<GenerateReport> {
        actor.require(Permission::DevTools)?;
        let started = std::time::Instant::now();
        if !(1..=MAX_CUSTOMERS).contains(&options.customers) {
            return Err(Error::invalid_input(vec![Reason::field(
                "customers",
                "invalid_count",
                format!("customers must be from 1 to {MAX_CUSTOMERS}"),
            )]));
        }
        let now = parse_now(options.now.as_deref(), self.env.clock.now())?;
        let policy = self.read(|_, tx| {
            if tx.has_customers()? {
                let message = "the data directory already has customers: generate into a new, empty data directory";
                return Err(Error::Conflict(
                    Problem::new("data_dir_not_empty", message)
                        .with_reasons(vec![Reason::new("data_dir_not_empty", message)]),
                ));
            }
            policy::load(tx)
        })?;
        let total = options.customers;
        // Two batches in memory at most: one being written while the next is made and encoded.
        let (send, receive) = mpsc::sync_channel::<Result<EncodedBatch>>(0);
        let rows = std::thread::scope(|scope| -> Result<_> {
            // The writer owns the receiver, so that a write that fails drops it on the way out:
            // the maker's next send then fails and its thread ends, and the scope can join it.
            let receive = receive;
            // The thread owns the sender: when it ends, the writer's loop ends.
            scope.spawn(move || {
                let mut generator = Generator::new(options, policy, now);
                loop {
                    let next = match generator.next_batch(BATCH) {
                        Ok(Some(batch)) => Ok(EncodedBatch::from(&batch)),
                        Ok(None) => break,
                        Err(e) => Err(e),
                    };
                    let failed = next.is_err();
                    if send.send(next).is_err() || failed {
                        break;
                    }
                }
            });
            let mut load = self.store.bulk_load()?;
            let mut written = 0;
            for batch in receive.iter() {
                let batch = batch?;
                load.insert(&batch)?;
                written += batch.customers() as u64;
                progress(written, total);
            }
            Ok(load.finish()?)
        })?;
        Ok(GenerateReport {
            customers: total,
            seed: options.seed,
            now: crate::convert::timestamp(now),
            rows: rows.into_iter().map(|(table, n)| (table.to_owned(), n)).collect(),
            elapsed_s: (started.elapsed().as_millis() as f64) / 1000.0,
        })
    }

    /// Recomputes every customer's derived columns (risk, identity status, EDD status, next
    /// KYC refresh) and latest risk assessment exactly as the app does after a change, and lists
    /// the customers whose stored values differ. Writes nothing.
    pub fn check_derived(&self, actor: &Actor) -> Result<DerivedCheckReport> {
        actor.require(Permission::DevTools)?;
        const PAGE: usize = 1_000;
        const LISTED: usize = 100;
        let mut report = DerivedCheckReport { customers_checked: 0, mismatched: 0, mismatches: Vec::new() };
        let mut after: Option<QueueCursor> = None;
        loop {
            let rows =
                self.read(|_, tx| Ok(tx.queue(&QueueFilter::default(), QueueSort::Oldest, after.as_ref(), PAGE)?))?;
            let Some(last) = rows.last() else { break };
            after = Some(QueueCursor { id: last.id, refresh_due_on: None });
            self.read(|_, tx| {
                let policy = policy::load(tx)?;
                for row in &rows {
                    let customer = load(tx, row.id)?;
                    let stored = tx.derived(row.id)?;
                    let verified_on = verified_on_after(customer.state, customer.state_changed_at, stored.verified_on);
                    let a = assess_customer(tx, &policy, &customer, verified_on)?;
                    let mut columns = Vec::new();
                    let d = &a.derived;
                    for (column, same) in [
                        ("risk_rating", d.risk_rating == stored.risk_rating),
                        ("identity_status", d.identity_status == stored.identity_status),
                        ("edd_status", d.edd_status == stored.edd_status),
                        ("kyc_refresh_due_on", d.kyc_refresh_due_on == stored.kyc_refresh_due_on),
                        ("verified_on", d.verified_on == stored.verified_on),
                    ] {
                        if !same {
                            columns.push(column.to_owned());
                        }
                    }
                    let same_assessment =
                        tx.latest_risk_assessment(row.id)?.is_some_and(|(rating, score, factors, _)| {
                            rating == a.risk.rating && score == a.risk.score && factors == factors_json(&a.risk)
                        });
                    if !same_assessment {
                        columns.push("risk_assessment".to_owned());
                    }
                    report.customers_checked += 1;
                    if !columns.is_empty() {
                        report.mismatched += 1;
                        if report.mismatches.len() < LISTED {
                            report.mismatches.push(DerivedMismatch { customer_id: row.id.to_string(), columns });
                        }
                    }
                }
                Ok(())
            })?;
            if rows.len() < PAGE {
                break;
            }
        }
        Ok(report)
    }
}
