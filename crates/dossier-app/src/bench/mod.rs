//! `dossier dev bench`: whole workloads measured in one run on one generated data directory,
//! each next to what SQLite (or the simulator) does with the same data and no rules, so the
//! ratios hold on any machine (docs/performance.md says what each figure means):
//!
//! 1. generate N customers (`dossier dev generate`), and measure the database's size;
//! 2. import a CSV file of new, complete customers (`import customers`) next to a raw bulk
//!    insert of exactly the rows the import stored (customers, their child rows, audit events,
//!    outbox messages) into copies of the same tables, and, as before, of the file's cells into
//!    one plain table;
//! 3. take those customers through verify, activate, open EDD and decide EDD (each gate,
//!    transition, audit event and outbox message committed) next to a raw one-row commit;
//! 4. read work-queue pages for every filter the queue offers (first pages, pages after the
//!    first by cursor, pages deep in the queue) next to raw keyset pages of the same columns;
//! 5. drain the outbox those steps filled to the loopback simulator with the real sync worker,
//!    next to the simulator's capacity for its create messages sent in a tight loop, measured
//!    just before the drain and just after it;
//!
//! with the process's peak memory for each. Providers point at the built-in sandbox, served by
//! this process on loopback with its records in memory.

mod measure;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dossier_core::*;
use dossier_store::{RawBench, StoreError};
use dossier_sync::{Adapters, Delivery, ProviderConfig, RunOptions};
use serde::Serialize;
use serde_json::Value;

use crate::dto::{DecideInput, EvidenceInput, QueueQuery};
use crate::error::{Error, Problem, Reason, Result};
use crate::generate::GenerateOptions;
use crate::import::ImportOptions;
use crate::sync::ProviderInput;
use crate::{Dossier, Submitted, policy};
pub use measure::Latency;
use measure::{Samples, cpu_s, peak_rss_mb, reset_peak_rss, rss_mb, with_cpu};

/// Ref ids of the imported customers: `BENCH-0000001` and on.
const REF_PREFIX: &str = "BENCH-";
/// Rows per work-queue page, as the desktop app asks for.
const PAGE: usize = 50;
/// The longest the simulator's capacity is measured for.
const REPLAY_CAP: Duration = Duration::from_secs(30);
/// The longest one work-queue filter is sampled for (a page under way is finished): a filter
/// whose pages take seconds at a million customers would otherwise hold the run for minutes.
const QUEUE_FILTER_CAP: Duration = Duration::from_secs(4);
/// The name the bench acts under, in the audit trail.
const ACTOR: &str = "bench";
/// The second person of the four-eyes decisions.
const CHECKER: &str = "bench-checker";
/// The passphrase of the scratch data directory a bench run sets up (it holds only synthetic
/// data; open it with this to look around after a run).
pub const SCRATCH_PASSPHRASE: &str = "dossier bench scratch directory";

/// What to measure, and how many times.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Customers to generate first.
    pub customers: u64,
    pub seed: u64,
    /// Timed runs of each command (verify, activate, open EDD, decide EDD); at most
    /// `import_rows`, since the commands work on the imported customers.
    pub samples: usize,
    /// Rows of the CSV file imported into the generated customers.
    pub import_rows: usize,
    /// Timed pages per work-queue filter: a third first pages, a third following the cursor
    /// from there, a third from cursors deep in the queue; fewer when the filter has fewer
    /// pages, or when its pages are so slow that they use up its four seconds.
    pub queue_pages: usize,
    /// Simulators already serving at this address (`dossier sim`, another process) instead of
    /// ones started in this process, so the drain's memory is Dossier's alone: the simulators
    /// keep every record they are sent.
    pub simulator_url: Option<String>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self { customers: 10_000, seed: 1, samples: 1_000, import_rows: 10_000, queue_pages: 60, simulator_url: None }
    }
}

/// Everything `dev bench` prints (docs/performance.md). Times in microseconds, rates per second,
/// memory in MB.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub customers: u64,
    pub seed: u64,
    /// CPUs the machine offers this process.
    pub cpus: usize,
    pub generate_s: f64,
    /// The database's size right after generation, and per customer.
    pub db_bytes: u64,
    pub db_bytes_per_customer: f64,

    /// Every command sample together (verify, activate, open EDD, decide EDD).
    pub command_p50_us: f64,
    pub command_p99_us: f64,
    pub raw_commit_p50_us: f64,
    pub raw_commit_p99_us: f64,
    pub commands: BTreeMap<&'static str, Latency>,
    /// Commands refused (by their gate, or otherwise) and so not timed.
    pub commands_refused: BTreeMap<&'static str, usize>,
    pub raw_commit: Latency,

    /// Every queue page sample together.
    pub queue_page_p50_us: f64,
    pub queue_page_p99_us: f64,
    pub raw_keyset_p50_us: f64,
    pub raw_keyset_p99_us: f64,
    pub queue: Vec<QueueFigures>,
    pub raw_keyset: Latency,

    pub import_rows: u64,
    pub import_created: u64,
    pub import_s: f64,
    pub import_rows_per_s: f64,
    /// Customers per second a raw bulk insert stores, writing exactly the rows the import
    /// stored for them (every table, triggers included): the budget's baseline.
    pub raw_insert_rows_per_s: f64,
    /// Rows of every table the import stored (and the raw insert stores again), per customer.
    pub raw_insert_table_rows_per_customer: f64,
    /// The file's cells inserted raw into one plain table of text columns: the speed of reading
    /// and storing the file, not of storing customers (the baseline before issue 7's item 4).
    pub raw_flat_insert_rows_per_s: f64,
    /// Processor time the import and its baseline ran for (0 where it cannot be read): on a
    /// machine shared with other work their ratio is far steadier than that of the rates.
    pub import_cpu_s: f64,
    pub raw_insert_cpu_s: f64,

    /// Outbox messages the sync worker delivered.
    pub drain_ops: usize,
    /// Messages the worker settled per second: delivered, or refused for good by the provider
    /// (each is a full exchange with the provider, and waits visibly for a person).
    pub drain_ops_per_s: f64,
    /// Messages a provider refused for good during the drain: businesses the import file makes
    /// without members (Paxos needs one), and full verifications of businesses whose only
    /// document is a registration (Mbanq needs an SSN, ITIN or physical ID for FULL).
    pub drain_needs_attention: usize,
    /// Provider results read back at the end of the drain.
    pub drain_reconciled: usize,
    /// The drain's create messages sent by a tight loop of the same adapters, no database: once
    /// just before the drain and once just after it, pooled.
    pub simulator_ops: usize,
    pub simulator_ops_per_s: f64,
    /// The capacity run's two halves: just before the drain, and just after it.
    pub simulator_ops_per_s_before: f64,
    pub simulator_ops_per_s_after: f64,
    /// Replayed messages the simulator refused: in the run before the drain, the creates the drain
    /// then finds needing attention (0 in the run after it, which replays delivered ones).
    pub simulator_failed: usize,
    /// CPU time the whole process (the in-process simulator included) used per message, during
    /// the drain and during the capacity run. Where both keep every core busy (two cores, say),
    /// the rates follow these, and their ratio is steadier than the rates' when other work
    /// shares the machine.
    pub drain_cpu_us_per_op: f64,
    pub simulator_cpu_us_per_op: f64,

    /// The highest peak of Dossier's workloads (generate, import, commands, queue, drain).
    pub peak_rss_mb: f64,
    /// Each workload's peak resident memory; `simulator` is the capacity run, whose replayed
    /// messages and simulator records are the bench's, not Dossier's. A peak includes what
    /// earlier workloads left allocated.
    pub rss_mb: BTreeMap<&'static str, f64>,
    /// How far each workload's peak rose above the resident memory it started with.
    pub rss_growth_mb: BTreeMap<&'static str, f64>,
    /// False where peaks could not be reset between workloads: then each is the peak so far.
    pub rss_per_workload: bool,
    /// Whether the simulators ran in this process (their records then count in `drain`'s
    /// memory), or in another one (`--simulator`).
    pub simulator_in_process: bool,
    pub elapsed_s: f64,
}

/// One work-queue filter's pages.
#[derive(Debug, Clone, Serialize)]
pub struct QueueFigures {
    pub filter: &'static str,
    pub first_page: Latency,
    pub next_pages: Latency,
    pub deep_pages: Latency,
    pub all: Latency,
}

fn invalid(field: &str, message: String) -> Error {
    Error::invalid_input(vec![Reason::field(field, "invalid_count", message)])
}

fn failed(message: impl Into<String>) -> Error {
    Error::Unexpected(Problem::new("bench_failed", message))
}

fn store(e: StoreError) -> Error {
    Error::from(e)
}

fn rate(n: f64, d: Duration) -> f64 {
    (n / d.as_secs_f64().max(1e-9)).round()
}

/// A duration in seconds to the millisecond, 0 when unknown.
fn seconds(d: Option<Duration>) -> f64 {
    d.map_or(0.0, |d| (d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// CPU seconds spread over `ops` messages, in whole microseconds each (0 for no messages).
fn per_op_us(cpu_s: f64, ops: usize) -> f64 {
    if ops == 0 { 0.0 } else { (cpu_s * 1e6 / ops as f64).round() }
}

/// The peaks of memory, workload by workload, and how far each rose above where it started.
struct Memory {
    per_workload: bool,
    started_at: f64,
    peaks: BTreeMap<&'static str, f64>,
    growth: BTreeMap<&'static str, f64>,
}

impl Memory {
    fn start(&mut self) {
        self.per_workload &= reset_peak_rss();
        self.started_at = rss_mb().unwrap_or(0.0);
    }

    /// Ends a workload; one measured in several parts (the capacity run) keeps its highest peak
    /// and rise.
    fn end(&mut self, workload: &'static str) {
        let peak = peak_rss_mb().unwrap_or(0.0);
        let rise = ((peak - self.started_at).max(0.0) * 10.0).round() / 10.0;
        let kept = self.peaks.entry(workload).or_insert(peak);
        *kept = kept.max(peak);
        let kept = self.growth.entry(workload).or_insert(rise);
        *kept = kept.max(rise);
    }
}

/// The sandbox served by this process for the run, records in memory only.
struct Simulator {
    url: String,
    runtime: tokio::runtime::Runtime,
    handle: Option<dossier_sim::SimHandle>,
}

impl Simulator {
    /// Simulators at `url`, served by another process, or else started in this one.
    fn start(url: Option<&str>) -> Result<Self> {
        // One thread, as the sandbox the desktop app hosts.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("dossier-bench-sim")
            .enable_all()
            .build()
            .map_err(|e| failed(format!("could not start the simulator: {}", e.kind())))?;
        if let Some(url) = url {
            return Ok(Self { url: url.trim_end_matches('/').to_owned(), runtime, handle: None });
        }
        let handle = runtime
            .block_on(dossier_sim::spawn(dossier_sim::SimConfig::default()))
            .map_err(|e| failed(format!("could not start the simulator: {}", e.kind())))?;
        Ok(Self { url: handle.url.clone(), runtime, handle: Some(handle) })
    }

    /// How the sync worker reaches each provider of the sandbox: its address under the
    /// provider's prefix and the sandbox's published credentials, as the app configures it.
    fn configs(&self) -> Vec<ProviderConfig> {
        Provider::ALL
            .iter()
            .map(|p| ProviderConfig {
                provider: *p,
                base_url: format!("{}/{}", self.url, p.as_str()),
                client_id: dossier_sim::SANDBOX_CLIENT_ID.to_owned(),
                client_secret: dossier_sim::SANDBOX_CLIENT_SECRET.to_owned(),
                tenant: match p {
                    Provider::Mbanq => Some(dossier_sim::MBANQ_TENANT.to_owned()),
                    Provider::Qolo => Some(dossier_sim::QOLO_SDD_PROGRAM.to_owned()),
                    _ => None,
                },
            })
            .collect()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }
}

fn check(options: &BenchOptions) -> Result<()> {
    let max = crate::generate::MAX_CUSTOMERS;
    if !(1..=max).contains(&options.customers) {
        return Err(invalid("customers", format!("customers must be from 1 to {max}")));
    }
    if !(1..=1_000_000).contains(&options.import_rows) {
        return Err(invalid("import_rows", "import_rows must be from 1 to 1000000".into()));
    }
    if !(1..=options.import_rows).contains(&options.samples) {
        return Err(invalid(
            "samples",
            "samples must be from 1 to import_rows (the commands use those customers)".into(),
        ));
    }
    if !(3..=100_000).contains(&options.queue_pages) {
        return Err(invalid("queue_pages", "queue_pages must be from 3 to 100000".into()));
    }
    if let Some(url) = &options.simulator_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(invalid("simulator", "simulator must be an http:// or https:// address".into()));
    }
    Ok(())
}

/// The bench acts as processes with every role; it adds no user.
fn every_role(name: &str) -> Result<Actor> {
    let name = UserName::parse(name).map_err(|_| invalid("actor", "the bench's name is invalid".into()))?;
    Ok(Actor::new(name, Role::ALL))
}

/// Runs every workload on `data_dir`, which must hold no customer yet (409 `data_dir_not_empty`
/// otherwise, nothing written). The directory keeps what the run made. `progress` hears the
/// name of each step as it starts.
pub fn run(data_dir: &Path, options: &BenchOptions, mut progress: impl FnMut(&str)) -> Result<BenchReport> {
    check(options)?;
    let started = Instant::now();
    // The bench acts as a process with every role (it adds no user), on a scratch directory it
    // sets up with a fixed passphrase: what it measures includes the encryption at rest.
    let actor = every_role(ACTOR)?;
    let passphrase = crate::Passphrase::new(SCRATCH_PASSPHRASE.to_owned());
    let (clock, ids) = (std::sync::Arc::new(crate::SystemClock), std::sync::Arc::new(crate::UuidV7));
    let mut app = match crate::directory_state(data_dir)? {
        crate::DirectoryState::New => Dossier::init(data_dir, &passphrase, crate::KdfParams::default(), clock, ids)?,
        // A directory a run set up before: refused below when it has customers.
        _ => Dossier::open_with(data_dir, crate::Unlock::Passphrase(&passphrase), clock, ids)?,
    };
    // As the desktop does: checkpoints in the background, not in a command's commit.
    app.checkpoint_in_background()?;
    let mut memory = Memory { per_workload: true, started_at: 0.0, peaks: BTreeMap::new(), growth: BTreeMap::new() };

    progress(&format!("generating {} customers", options.customers));
    memory.start();
    let generate = GenerateOptions { customers: options.customers, seed: options.seed, now: None };
    let generated = app.generate(&actor, &generate, |_, _| {})?;
    memory.end("generate");
    let mut raw = RawBench::open(&Dossier::database_path(data_dir), app.data_key().bytes()).map_err(store)?;
    let db_bytes = raw.database_bytes().map_err(store)?;

    // Every provider on the sandbox, so each command writes its outbox messages.
    let simulator = Simulator::start(options.simulator_url.as_deref())?;
    app.set_sandbox_url(Some(simulator.url.clone()));
    for p in Provider::ALL {
        let input = ProviderInput {
            name: Some(p.as_str().to_owned()),
            base_url: Some(crate::sandbox::SANDBOX.to_owned()),
            ..Default::default()
        };
        app.set_provider(&actor, &input)?;
    }

    progress(&format!("importing {} rows", options.import_rows));
    let import = import(&mut app, &mut raw, &actor, data_dir, options, &mut memory)?;

    progress(&format!("running each command {} times", options.samples));
    memory.start();
    let commands = commands(&mut app, &actor, options)?;
    memory.end("commands");

    progress("reading work-queue pages");
    memory.start();
    let queue = queue(&app, &actor, &raw, options)?;
    memory.end("queue");

    // The simulator's capacity is measured on both sides of the drain, and the two runs pooled:
    // the machine's own speed drifts over a run (other work, clock changes), and the drain is
    // compared with what the simulator did around it, not at one moment after it.
    // The run before the drain goes to simulators of its own, in this process, stopped before
    // the drain starts: the records it makes are freed, and the drain's memory stays its own.
    progress("measuring the simulator's capacity");
    memory.start();
    let before = {
        let fresh = Simulator::start(options.simulator_url.as_deref())?;
        capacity(&app, &fresh, OutboxStatus::Pending, usize::MAX, "A")?
    };
    memory.end("simulator");

    progress("draining the outbox to the simulator");
    memory.start();
    let drain_started = Instant::now();
    let drain_cpu = cpu_s();
    let drained = app.sync_run(&actor, None, true, |_| {})?;
    let drain_time = drain_started.elapsed();
    let drain_cpu = drain_cpu.zip(cpu_s()).map_or(0.0, |(before, after)| after - before);
    memory.end("drain");

    progress("measuring the simulator's capacity again");
    memory.start();
    let after = capacity(&app, &simulator, OutboxStatus::Done, before.replay.delivered + before.replay.failed, "B")?;
    memory.end("simulator");
    let replay = before.pooled(&after);
    drop(simulator);
    raw.finish().map_err(store)?;

    let command_all = commands.samples.values().fold(Samples::default(), |mut all, s| {
        all.extend(s);
        all
    });
    let (command_all, raw_commit) = (command_all.summary(), commands.raw.summary());
    let queue_all = queue.all.summary();
    let raw_keyset = queue.raw.summary();
    // The capacity run is the bench's own machinery, not Dossier's work.
    let peak_rss_mb =
        memory.peaks.iter().filter(|(workload, _)| **workload != "simulator").map(|(_, mb)| *mb).fold(0.0, f64::max);
    Ok(BenchReport {
        customers: options.customers,
        seed: options.seed,
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        generate_s: generated.elapsed_s,
        db_bytes,
        db_bytes_per_customer: (db_bytes as f64 / options.customers as f64).round(),
        command_p50_us: command_all.p50_us,
        command_p99_us: command_all.p99_us,
        raw_commit_p50_us: raw_commit.p50_us,
        raw_commit_p99_us: raw_commit.p99_us,
        commands: commands.samples.iter().map(|(k, s)| (*k, s.summary())).collect(),
        commands_refused: commands.refused,
        raw_commit,
        queue_page_p50_us: queue_all.p50_us,
        queue_page_p99_us: queue_all.p99_us,
        raw_keyset_p50_us: raw_keyset.p50_us,
        raw_keyset_p99_us: raw_keyset.p99_us,
        queue: queue.filters,
        raw_keyset,
        import_rows: import.rows,
        import_created: import.created,
        import_s: (import.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        import_rows_per_s: rate(import.rows as f64, import.elapsed),
        raw_insert_rows_per_s: rate(import.raw_customers as f64, import.raw_elapsed),
        raw_insert_table_rows_per_customer: if import.raw_customers == 0 {
            0.0
        } else {
            (import.raw_table_rows as f64 / import.raw_customers as f64 * 10.0).round() / 10.0
        },
        raw_flat_insert_rows_per_s: rate(import.rows as f64, import.raw_flat_elapsed),
        import_cpu_s: seconds(import.cpu),
        raw_insert_cpu_s: seconds(import.raw_cpu),
        drain_ops: drained.delivered,
        // A refusal costs the drain a delivery's work: counting its time but not the message
        // would hold against the worker what the generated data makes providers refuse.
        drain_ops_per_s: rate((drained.delivered + drained.needs_attention) as f64, drain_time),
        drain_needs_attention: drained.needs_attention,
        drain_reconciled: drained.reconciled,
        simulator_ops: replay.replay.delivered,
        // Settled (accepted or refused) per second, as the drain's rate counts them: the run
        // before the drain sends the creates a provider will refuse as well.
        simulator_ops_per_s: replay.rate(),
        simulator_ops_per_s_before: before.rate(),
        simulator_ops_per_s_after: after.rate(),
        simulator_failed: replay.replay.failed,
        drain_cpu_us_per_op: per_op_us(drain_cpu, drained.delivered + drained.needs_attention),
        simulator_cpu_us_per_op: per_op_us(replay.cpu_s, replay.replay.delivered + replay.replay.failed),
        peak_rss_mb,
        rss_mb: memory.peaks,
        rss_growth_mb: memory.growth,
        rss_per_workload: memory.per_workload,
        simulator_in_process: options.simulator_url.is_none(),
        elapsed_s: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    })
}

struct ImportFigures {
    rows: u64,
    created: u64,
    elapsed: Duration,
    cpu: Option<Duration>,
    raw_cpu: Option<Duration>,
    /// The raw insert of what the import stored.
    raw_customers: usize,
    raw_table_rows: usize,
    raw_elapsed: Duration,
    raw_flat_elapsed: Duration,
}

/// Writes the prospects' file, imports it through the app, then stores exactly what the import
/// stored again, raw, into copies of the same tables; and the file's cells into a flat table.
fn import(
    app: &mut Dossier,
    raw: &mut RawBench,
    actor: &Actor,
    data_dir: &Path,
    options: &BenchOptions,
    memory: &mut Memory,
) -> Result<ImportFigures> {
    let path = data_dir.join("bench-import.csv");
    let io = |e: std::io::Error| failed(format!("could not use the import file: {}", e.kind()));
    let policy = app.read(|_, tx| policy::load(tx))?;
    let file = std::fs::File::create(&path).map_err(io)?;
    let now = app.env.clock.now();
    crate::generate::write_prospects(
        std::io::BufWriter::new(file),
        options.seed,
        options.import_rows,
        REF_PREFIX,
        policy,
        now,
    )?;

    let mark = raw.import_mark().map_err(store)?;
    memory.start();
    let file = std::fs::File::open(&path).map_err(io)?;
    let started = Instant::now();
    let (report, cpu) = with_cpu(|| app.import_customers(actor, file, &ImportOptions::default(), |_| {}));
    let report = report?;
    let elapsed = started.elapsed();
    memory.end("import");

    // Read back and copied outside the timed part: the raw insert only stores.
    let stored = raw.imported_rows(mark).map_err(store)?;
    raw.prepare_import_copy().map_err(store)?;
    let started = Instant::now();
    let (raw_customers, raw_cpu) = with_cpu(|| raw.insert_imported(&stored));
    let raw_customers = raw_customers.map_err(store)?;
    let raw_elapsed = started.elapsed();
    let raw_table_rows = stored.rows();
    drop(stored);

    let mut reader = csv::Reader::from_path(&path).map_err(|_| failed("could not read the import file back"))?;
    let rows = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_owned).collect::<Vec<_>>()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| failed("could not read the import file back"))?;
    raw.prepare_bulk(crate::CUSTOMER_COLUMNS.len()).map_err(store)?;
    let started = Instant::now();
    raw.bulk_insert(&rows).map_err(store)?;
    let raw_flat_elapsed = started.elapsed();
    Ok(ImportFigures {
        rows: report.rows,
        created: report.created,
        elapsed,
        cpu,
        raw_cpu,
        raw_customers,
        raw_table_rows,
        raw_elapsed,
        raw_flat_elapsed,
    })
}

struct CommandFigures {
    samples: BTreeMap<&'static str, Samples>,
    refused: BTreeMap<&'static str, usize>,
    raw: Samples,
    raw_commits: u64,
}

impl CommandFigures {
    /// Times one command; a refusal is counted, not timed. Each timed command is followed by
    /// a timed raw commit on the app's own connection ([`dossier_store::Store::raw_commit_one`]),
    /// so both see the same machine at the same moment and the same page cache.
    fn run<T>(
        &mut self,
        app: &mut Dossier,
        name: &'static str,
        f: impl FnOnce(&mut Dossier) -> Result<T>,
    ) -> Result<Option<T>> {
        let started = Instant::now();
        match f(app) {
            Ok(value) => {
                self.samples.entry(name).or_default().push(started.elapsed());
                self.raw_commits += 1;
                let (now, n) = (time::OffsetDateTime::now_utc(), self.raw_commits);
                self.raw.time(|| app.store.raw_commit_one(now, n)).map_err(store)?;
                Ok(Some(value))
            }
            Err(e) if e.status() < 500 => {
                *self.refused.entry(name).or_default() += 1;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// Verify, activate, open EDD and decide EDD, each on `samples` of the imported customers.
fn commands(app: &mut Dossier, actor: &Actor, options: &BenchOptions) -> Result<CommandFigures> {
    let mut figures =
        CommandFigures { samples: BTreeMap::new(), refused: BTreeMap::new(), raw: Samples::default(), raw_commits: 0 };
    for name in ["verify", "activate", "open_edd", "decide_edd", "approve_edd"] {
        figures.samples.insert(name, Samples::default());
    }
    let imported: Vec<String> = app.read(|_, tx| {
        let mut ids = Vec::new();
        for i in 1..=options.import_rows {
            let Ok(ref_id) = RefId::parse(&format!("{REF_PREFIX}{i:07}")) else { continue };
            if let Some(id) = tx.customer_id_by_ref(&ref_id)? {
                ids.push(id.to_string());
            }
        }
        Ok(ids)
    })?;

    // Full verification where the customer qualifies, else partial (a foreign business with no
    // EIN, say): both are the verify command.
    let mut verified = Vec::new();
    for id in &imported {
        if verified.len() == options.samples {
            break;
        }
        let done = match figures.run(app, "verify", |app| app.verify(actor, id, "full", None))? {
            Some(v) => Some(v),
            None => figures.run(app, "verify", |app| app.verify(actor, id, "partial", None))?,
        };
        if done.is_some() {
            verified.push(id.clone());
        }
    }
    let mut active = Vec::new();
    for id in &verified {
        if figures.run(app, "activate", |app| app.activate(actor, id))?.is_some() {
            active.push(id.clone());
        }
    }
    let mut cases = Vec::new();
    for id in &active {
        if let Some(case) = figures.run(app, "open_edd", |app| app.open_edd(actor, id))? {
            cases.push(case);
        }
    }
    for case in &cases {
        for item in case.checklist.iter().flatten() {
            let input = EvidenceInput {
                item: Some(item.item.clone()),
                reference: Some(format!("scans/bench/{}.pdf", item.item)),
                description: None,
            };
            app.add_evidence(actor, &case.id, &input)?;
        }
    }
    let decision = DecideInput {
        outcome: Some("passed".into()),
        reason: Some("every checklist item has evidence".into()),
        failure_codes: Vec::new(),
    };
    // An EDD decision is four-eyes: the officer's decision is rehearsed in full and held, and a
    // second person's approval applies it (gate, transition, audit, outbox). Both are timed.
    let mut held = Vec::new();
    for case in &cases {
        if let Some(Submitted::Pending(p)) =
            figures.run(app, "decide_edd", |app| app.decide_verification(actor, &case.id, &decision))?
        {
            held.push(p.pending_approval.id);
        }
    }
    let checker = every_role(CHECKER)?;
    for id in &held {
        figures.run(app, "approve_edd", |app| app.approve(&checker, id, None))?;
    }
    if figures.samples.values().any(|s| s.len() == 0) {
        return Err(failed(format!(
            "a command was refused every time (refusals: {:?}): the bench's customers do not fit its steps",
            figures.refused
        )));
    }
    Ok(figures)
}

struct QueueRun {
    filters: Vec<QueueFigures>,
    all: Samples,
    raw: Samples,
}

/// The filters of the work queue, one representative value each, and two combinations.
fn queue_filters(today: time::Date) -> Vec<(&'static str, QueueQuery)> {
    let q = QueueQuery::default;
    let due = format_date(today + time::Duration::days(30));
    vec![
        ("none (newest first)", q()),
        ("sort=oldest", QueueQuery { sort: Some("oldest".into()), ..q() }),
        ("state=active", QueueQuery { state: Some("active".into()), ..q() }),
        ("state=pending", QueueQuery { state: Some("pending".into()), ..q() }),
        ("risk=HIGH", QueueQuery { risk: Some("HIGH".into()), ..q() }),
        ("identity_status=PENDING", QueueQuery { identity_status: Some("PENDING".into()), ..q() }),
        ("edd=in_progress", QueueQuery { edd: Some("in_progress".into()), ..q() }),
        ("verification_state=reviewing", QueueQuery { verification_state: Some("reviewing".into()), ..q() }),
        (
            "verification_method=enhanced_due_diligence",
            QueueQuery { verification_method: Some("enhanced_due_diligence".into()), ..q() },
        ),
        ("assignee=olivia", QueueQuery { assignee: Some("olivia".into()), ..q() }),
        ("sla_breached", QueueQuery { sla_breached: true, ..q() }),
        (
            "refresh_due_before=+30d sort=refresh_due",
            QueueQuery { refresh_due_before: Some(due), sort: Some("refresh_due".into()), ..q() },
        ),
        ("search=ann", QueueQuery { search: Some("ann".into()), ..q() }),
        (
            "state=rejected verification_state=completed",
            QueueQuery { state: Some("rejected".into()), verification_state: Some("completed".into()), ..q() },
        ),
    ]
}

/// Reads pages of every filter: first pages, the pages after them by cursor, and pages from
/// cursors halfway and nine tenths into the queue, in rounds of one of each. After each page a
/// raw keyset page is read at a like place: the top, the next page, or the same depth.
fn queue(app: &Dossier, actor: &Actor, raw: &RawBench, options: &BenchOptions) -> Result<QueueRun> {
    let mut run = QueueRun { filters: Vec::new(), all: Samples::default(), raw: Samples::default() };
    let total = raw.customers().map_err(store)?;
    let depths = [total / 2, total * 9 / 10];
    let deep_ids: Vec<CustomerId> =
        depths.iter().filter_map(|d| raw.customer_at(*d).transpose()).collect::<Result<_, _>>().map_err(store)?;
    let deep_due: Vec<(time::Date, CustomerId)> =
        depths.iter().filter_map(|d| raw.refresh_due_at(d / 2).transpose()).collect::<Result<_, _>>().map_err(store)?;
    let oldest_ids: Vec<CustomerId> = depths
        .iter()
        .filter_map(|d| raw.customer_at(total.saturating_sub(d + 1)).transpose())
        .collect::<Result<_, _>>()
        .map_err(store)?;
    let third = options.queue_pages / 3;
    let mut turn = 0usize;
    let mut raw_page = |run: &mut QueueRun, before: Option<CustomerId>| -> Result<Option<CustomerId>> {
        // Alternately over the primary key and over the (state, id) index.
        turn += 1;
        let state = turn.is_multiple_of(2).then_some("active");
        let ids = run.raw.time(|| raw.keyset_page(state, before, PAGE + 1)).map_err(store)?;
        Ok(ids.get(PAGE - 1).copied())
    };
    let today = app.env.today();
    let deep_n = options.queue_pages - 2 * third;
    for (name, query) in queue_filters(today) {
        let mut first = Samples::default();
        let mut next = Samples::default();
        let mut deep = Samples::default();
        let page = |after: Option<String>| {
            let q = QueueQuery { limit: Some(PAGE), after, ..query.clone() };
            app.queue(actor, &q)
        };
        // Where each walk stands: the app's cursor and the raw one; `None` once a walk has
        // reached the end of its queue.
        let mut walk: Option<(Option<String>, Option<CustomerId>)> = None;
        let mut deep_walks: Vec<(Option<String>, Option<CustomerId>)> = match query.sort.as_deref() {
            Some("refresh_due") => deep_due.iter().map(|(due, id)| format!("{}|{id}", format_date(*due))).collect(),
            Some("oldest") => oldest_ids.iter().map(ToString::to_string).collect(),
            _ => deep_ids.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }
        .into_iter()
        .zip(&deep_ids)
        .map(|(app_cursor, raw_cursor)| (Some(app_cursor), Some(*raw_cursor)))
        .collect();
        // Rounds of one first page, one next page and one deep page, so that the time cap, when
        // a filter is slow, cuts each kind alike.
        let started = Instant::now();
        for round in 0..third.max(deep_n) {
            if round > 0 && started.elapsed() > QUEUE_FILTER_CAP {
                break;
            }
            if round < third {
                let next_cursor = first.time(|| page(None))?.next;
                let raw_next = raw_page(&mut run, None)?;
                if walk.is_none() {
                    walk = Some((next_cursor, raw_next));
                }
                if let Some((Some(after), raw_cursor)) = walk.take() {
                    let app_cursor = next.time(|| page(Some(after)))?.next;
                    let raw_cursor = raw_page(&mut run, raw_cursor)?;
                    walk = Some((app_cursor, raw_cursor));
                } else {
                    walk = Some((None, None));
                }
            }
            if round < deep_n && !deep_walks.is_empty() {
                let i = round % deep_walks.len();
                if let (Some(after), raw_cursor) = deep_walks[i].clone() {
                    let app_cursor = deep.time(|| page(Some(after)))?.next;
                    let raw_cursor = raw_page(&mut run, raw_cursor)?;
                    deep_walks[i] = (app_cursor, raw_cursor);
                }
            }
        }
        let mut all = Samples::default();
        for s in [&first, &next, &deep] {
            all.extend(s);
        }
        run.all.extend(&all);
        run.filters.push(QueueFigures {
            filter: name,
            first_page: first.summary(),
            next_pages: next.summary(),
            deep_pages: deep.summary(),
            all: all.summary(),
        });
    }
    Ok(run)
}

/// One capacity run and the CPU time it took.
struct Replayed {
    replay: dossier_sync::bench::Replay,
    cpu_s: f64,
}

impl Replayed {
    fn rate(&self) -> f64 {
        rate((self.replay.delivered + self.replay.failed) as f64, self.replay.elapsed)
    }

    /// Two runs as one: their messages over their time together.
    fn pooled(&self, other: &Replayed) -> Replayed {
        Replayed {
            replay: dossier_sync::bench::Replay {
                delivered: self.replay.delivered + other.replay.delivered,
                failed: self.replay.failed + other.replay.failed,
                elapsed: self.replay.elapsed + other.replay.elapsed,
            },
            cpu_s: self.cpu_s + other.cpu_s,
        }
    }
}

/// Sends the create messages in `status` (up to `limit`, marked with `tag`) to the simulator
/// with a tight loop of the sync adapters, at the drain's concurrency.
fn capacity(app: &Dossier, simulator: &Simulator, status: OutboxStatus, limit: usize, tag: &str) -> Result<Replayed> {
    let deliveries = replay_deliveries(app, status, limit, tag)?;
    let adapters =
        Adapters::new(simulator.configs()).map_err(|e| failed(format!("could not reach the simulator: {e}")))?;
    let cpu = cpu_s();
    let replay = dossier_sync::bench::replay(Arc::new(adapters), deliveries, RunOptions::default().batch, REPLAY_CAP)
        .map_err(|e| failed(format!("the capacity run failed: {e}")))?;
    let cpu_s = cpu.zip(cpu_s()).map_or(0.0, |(before, after)| after - before);
    Ok(Replayed { replay, cpu_s })
}

/// The create messages in `status` (at most `limit`), made new again: a fresh local id and a ref
/// id and document numbers suffixed with `tag`, so each provider creates a record rather than
/// finding one.
fn replay_deliveries(app: &Dossier, status: OutboxStatus, limit: usize, tag: &str) -> Result<Vec<Delivery>> {
    let mut out = Vec::new();
    let mut after = None;
    while out.len() < limit {
        let rows = app.read(|_, tx| Ok(tx.list_outbox(Some(status), None, after, 500)?))?;
        let Some(last) = rows.last() else { break };
        after = Some(last.seq);
        for row in rows.into_iter().filter(|r| r.operation == Operation::CustomerCreate) {
            let mut payload: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
            // Providers keep ref ids and document numbers unique.
            if let Some(ref_id) = payload["ref_id"].as_str() {
                payload["ref_id"] = Value::String(format!("{ref_id}-{tag}"));
            }
            for doc in payload["documents"].as_array_mut().into_iter().flatten() {
                if let Some(number) = doc["number"].as_str() {
                    doc["number"] = Value::String(format!("{number}{tag}"));
                }
            }
            let aggregate_id = app.env.ids.next_id();
            out.push(Delivery {
                seq: row.seq,
                provider: row.provider,
                operation: row.operation,
                aggregate_id,
                subject_id: None,
                // As the worker hands it over: text, parsed by the sender that delivers it.
                payload: dossier_sync::Payload::new(payload.to_string()),
                idempotency_key: format!("{}:{}:replay-{tag}-{}", row.provider, row.operation, row.id),
                maybe_sent: false,
                customer_remote_id: None,
                mapped_siblings: Vec::new(),
            });
        }
    }
    out.truncate(limit);
    Ok(out)
}
