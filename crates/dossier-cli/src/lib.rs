//! The `dossier` command line: parses arguments with clap, calls one dossier-app function, and
//! prints JSON on stdout, for results and errors alike. The contract (commands, output shapes,
//! exit codes) is documented in docs/cli.md and kept stable, since scripts depend on it.

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::error::{ContextKind, ErrorKind};
use clap::{Args, Parser, Subcommand, ValueEnum};
use dossier_app::Passphrase;
use dossier_app::dto::*;
use dossier_app::sync::ProviderInput;
use dossier_app::{
    Actor, ApprovalQuery, Clock, Dossier, Error, IdSource, ImportOptions, LifecycleCommand, Password, Reason,
    Submitted, SystemClock, UuidV7, VerifyContactInput,
};
use serde::Serialize;

/// Exit codes, part of the contract.
pub mod exit {
    pub const OK: i32 = 0;
    /// Anything else: storage failures, unexpected errors.
    pub const OTHER: i32 = 1;
    /// Usage errors and bad input (status 400): fix the command or its input.
    pub const USAGE: i32 = 2;
    /// Refused by a rule (status 403, 409 or 422).
    pub const REFUSED: i32 = 3;
    /// Not found (status 404).
    pub const NOT_FOUND: i32 = 4;
    /// An import that rejected some rows: the others were imported (or, in a dry run, would be).
    pub const ROWS_REJECTED: i32 = 5;
    /// Accepted, not applied: the command waits for a second person's approval (status 202).
    pub const PENDING_APPROVAL: i32 = 6;
    /// Not unlocked or nobody signed in (status 401): the passphrase is missing or wrong, or no
    /// user or password was given, or signing in failed.
    pub const SIGN_IN: i32 = 7;
}

#[derive(Parser, Debug)]
#[command(name = "dossier", version, about = "Dossier: offline-first KYC and EDD case manager", long_about = None)]
struct Cli {
    /// Where the database lives (default: the platform data directory).
    #[arg(long, global = true, env = "DOSSIER_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Who is signing in (the password comes from DOSSIER_PASSWORD, or a prompt on a terminal).
    #[arg(long, global = true, env = "DOSSIER_USER", value_name = "NAME")]
    user: Option<String>,
    /// Indent the JSON output (the default when stdout is a terminal).
    #[arg(long, global = true)]
    pretty: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Set up a data directory: a new data key under a passphrase (DOSSIER_PASSPHRASE or asked
    /// twice on a terminal) and its first admin (password from DOSSIER_PASSWORD, or asked twice).
    /// A directory from before encryption is encrypted in place.
    Init {
        #[arg(long, value_name = "NAME")]
        admin: String,
    },
    /// The data directory's key: its state, or a new passphrase.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Write a consistent, encrypted backup of the data directory to FILE while it is in use.
    Backup { file: PathBuf },
    /// Replace the data directory with the backup in FILE, after checking all of it (the
    /// passphrase is the one the backup was made under). The old data is moved aside, not deleted.
    Restore { file: PathBuf },
    /// Users and their roles (admins); `user passwd` changes one's own password.
    #[command(subcommand)]
    User(UserCommand),
    /// Customers: capture, verify, activate and the rest of the lifecycle.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Identity verifications (Cybrid's model): create, advance, decide, case work.
    #[command(subcommand)]
    Idv(IdvCommand),
    /// Enhanced due diligence cases.
    #[command(subcommand)]
    Edd(EddCommand),
    /// Perform KYC (Qolo's actions) and KYC results.
    #[command(subcommand)]
    Kyc(KycCommand),
    /// The identity status and why.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// The risk rating and its factors.
    #[command(subcommand)]
    Risk(RiskCommand),
    /// Officers' decisions.
    #[command(subcommand)]
    Decision(DecisionCommand),
    /// Work queues over customers and cases.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Four-eyes requests: the queue, and a second person's approval.
    #[command(subcommand)]
    Approval(ApprovalCommand),
    /// Time-driven transitions.
    #[command(subcommand)]
    Maintenance(MaintenanceCommand),
    /// The firm's policy: deadlines, SLAs, EDD checklist, limits, risk model.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// The providers this firm syncs to.
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// The outbox: deliver to providers, see what waits, retry or discard.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Scans of documents and evidence, stored in the data directory.
    #[command(subcommand)]
    File(FileCommand),
    /// Developer tools: synthetic data for measurements, consistency checks.
    #[command(subcommand)]
    Dev(DevCommand),
    /// Bulk import of customers from CSV (docs/import.md).
    #[command(subcommand)]
    Import(ImportCommand),
    /// Stream customers, cases or the audit trail as CSV or JSON lines.
    #[command(subcommand)]
    Export(ExportCommand),
    /// Serve the provider simulators (Cybrid, Paxos, Qolo, Mbanq) on loopback until Ctrl-C.
    Sim {
        /// The loopback port (0: any free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Faults to inject, e.g. error_rate=0.3,latency_ms=20,drop_rate=0.05,lost_response_rate=0.05,rate_limit_rate=0.05
        #[arg(long, value_name = "SPEC", default_value = "")]
        faults: String,
        /// Seeds every id, token and fault draw.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

#[derive(Subcommand, Debug)]
enum KeyCommand {
    /// Whether the data directory is new, plain (from before encryption), or encrypted.
    Status,
    /// Replace the passphrase (current: DOSSIER_PASSPHRASE or a prompt; new:
    /// DOSSIER_NEW_PASSPHRASE or a prompt).
    Change,
    /// Remember the data key in the OS keyring, so this account on this computer needs no
    /// passphrase (it must be given once more, to prove it).
    Remember,
    /// Forget a remembered data key.
    Forget,
}

#[derive(Subcommand, Debug)]
enum ApprovalCommand {
    /// Requests, oldest first.
    List {
        /// pending, approved, rejected or withdrawn.
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        /// edd_decision, client_override, control_removal, undo_rejection or sync_discard.
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        #[arg(long, value_name = "ID")]
        customer: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// One request.
    Show { id: String },
    /// Approve a request (supervisors, not its maker): the command is applied now.
    Approve {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reject a request (supervisors, not its maker).
    Reject {
        id: String,
        #[command(flatten)]
        reason: ReasonArg,
    },
    /// Withdraw your own request.
    Withdraw { id: String },
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add a user (the password from DOSSIER_NEW_PASSWORD, or asked twice on a terminal).
    Add {
        name: String,
        /// branch_staff, officer, supervisor or admin (repeatable).
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<String>,
    },
    /// Every user with their roles.
    List,
    /// Replace a user's roles.
    Roles {
        name: String,
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<String>,
    },
    /// Stop a user from signing in.
    Disable { name: String },
    /// Let a disabled user sign in again.
    Enable { name: String },
    /// Change your own password, or (admins) another user's (from DOSSIER_NEW_PASSWORD, or asked).
    Passwd { name: Option<String> },
}

#[derive(Subcommand, Debug)]
enum DevCommand {
    /// Fill an empty data directory with synthetic customers (the same for the same count, seed and now).
    Generate {
        /// How many customers (1 to 10,000,000).
        #[arg(long, value_name = "N")]
        customers: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where the generated history ends (default: the clock).
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
    },
    /// Recompute every customer's derived columns as the app does and list differences.
    CheckDerived,
    /// Measure whole workloads on N generated customers, each next to raw SQLite (docs/performance.md).
    Bench {
        /// How many customers to generate first (1 to 10,000,000).
        #[arg(long, value_name = "N")]
        customers: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Timed runs of each command (verify, activate, open EDD, decide EDD).
        #[arg(long, value_name = "N", default_value_t = 1000)]
        samples: usize,
        /// Rows of the CSV file imported (the customers the commands then use).
        #[arg(long, value_name = "N", default_value_t = 10_000)]
        import_rows: usize,
        /// Timed pages per work-queue filter.
        #[arg(long, value_name = "N", default_value_t = 60)]
        queue_pages: usize,
        /// Drain to simulators already serving at URL (`dossier sim` in another process), so the
        /// drain's memory is Dossier's alone; by default they run in this process.
        #[arg(long, value_name = "URL")]
        simulator: Option<String>,
        /// Print the figures as one JSON object (what every command prints; accepted for scripts).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
enum ProviderCommand {
    /// Configure and enable a provider (cybrid, paxos, qolo, mbanq).
    Set {
        name: String,
        #[arg(long, value_name = "URL")]
        base_url: String,
        #[arg(long, value_name = "ID")]
        client_id: Option<String>,
        /// Stored in the credentials file (0600) beside the database, never in it.
        #[arg(long, value_name = "SECRET", env = "DOSSIER_CLIENT_SECRET", hide_env_values = true)]
        client_secret: Option<Secret>,
        /// Mbanq's tenant; Qolo's program guid.
        #[arg(long, value_name = "TENANT")]
        tenant: Option<String>,
    },
    /// The configured providers.
    List,
    /// Stop telling a provider about changes.
    Disable { name: String },
}

/// A secret given on the command line: parsed like any string, never shown by `Debug`.
#[derive(Clone)]
struct Secret(String);

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Subcommand, Debug)]
enum SyncCommand {
    /// Deliver the outbox and read results back (progress on stderr).
    Run {
        /// Stop when nothing is pending (only needs-attention items, or none, remain).
        #[arg(long)]
        once: bool,
        #[arg(long, value_name = "NAME")]
        provider: Option<String>,
    },
    /// Counts by provider and status, the oldest pending age, and whether each provider answers.
    Status,
    /// Outbox messages, oldest first.
    List {
        #[arg(long, value_name = "STATUS")]
        status: Option<String>,
        /// Only the messages about this customer.
        #[arg(long, value_name = "ID")]
        customer: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Send a message that needs attention again.
    Retry { id: String },
    /// Give up on a message, with a reason.
    Discard {
        id: String,
        #[command(flatten)]
        reason: ReasonArg,
    },
}

#[derive(Args, Debug)]
struct DecideArgs {
    #[arg(long, value_enum)]
    outcome: OutcomeArg,
    /// Why: recorded with the decision.
    #[arg(long)]
    reason: String,
    /// A failure code (repeatable).
    #[arg(long = "failure-code", value_name = "CODE")]
    failure_codes: Vec<String>,
}

#[derive(Subcommand, Debug)]
enum CaseCommand {
    /// Add a note to the case.
    Note {
        id: String,
        #[arg(long)]
        text: String,
    },
    /// Assign the case to someone (or --unassign).
    Assign {
        id: String,
        #[arg(long = "to", value_name = "NAME", conflicts_with = "unassign", required_unless_present = "unassign")]
        assignee: Option<String>,
        #[arg(long)]
        unassign: bool,
    },
    /// Hide the case from work queues until a date (or --wake it).
    Snooze {
        id: String,
        #[arg(long, value_name = "DATE", conflicts_with = "wake", required_unless_present = "wake")]
        until: Option<String>,
        #[arg(long)]
        wake: bool,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum IdvCommand {
    /// Create an identity verification (state storing).
    Create {
        #[arg(long, value_name = "ID")]
        customer: String,
        #[arg(long = "type", value_name = "TYPE")]
        verification_type: String,
        #[arg(long, value_name = "METHOD")]
        method: String,
        /// The provider's inquiry or reference.
        #[arg(long, value_name = "REF")]
        reference: Option<String>,
    },
    /// Show one verification with its checks, decisions and case work.
    Show { id: String },
    /// List verifications, newest first.
    List {
        #[command(flatten)]
        filters: CaseFilterArgs,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Move a verification to its next state.
    Advance {
        id: String,
        #[arg(long, value_name = "STATE")]
        to: String,
        #[arg(long, value_enum)]
        outcome: Option<OutcomeArg>,
        #[arg(long = "failure-code", value_name = "CODE")]
        failure_codes: Vec<String>,
        /// A compliance check as TYPE=OUTCOME (repeatable).
        #[arg(long = "check", value_name = "TYPE=OUTCOME")]
        checks: Vec<String>,
    },
    /// An officer's decision on a verification.
    Decide {
        id: String,
        #[command(flatten)]
        decision: DecideArgs,
    },
    #[command(flatten)]
    Case(CaseCommand),
}

#[derive(Subcommand, Debug)]
enum EddCommand {
    /// Open an EDD case for a verified customer.
    Open {
        #[arg(long, value_name = "ID")]
        customer: String,
    },
    /// Show an EDD case: checklist, evidence, notes, decisions.
    Show { id: String },
    /// Attach evidence to a checklist item.
    Evidence {
        id: String,
        #[arg(long)]
        item: String,
        #[arg(long)]
        reference: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Decide the case (passing needs evidence for every checklist item).
    Decide {
        id: String,
        #[command(flatten)]
        decision: DecideArgs,
    },
    #[command(flatten)]
    Case(CaseCommand),
}

#[derive(Subcommand, Debug)]
enum KycCommand {
    /// Perform KYC from a Qolo-shaped JSON request.
    Perform {
        customer_id: String,
        #[command(flatten)]
        input: InputArg,
    },
    /// Record a KYC result a provider reported (Qolo's response shape).
    Record {
        customer_id: String,
        #[command(flatten)]
        input: InputArg,
    },
    /// Every attempt and result, with the open questions.
    Results { customer_id: String },
}

#[derive(Subcommand, Debug)]
enum IdentityCommand {
    /// The identity status with its status details.
    Status { customer_id: String },
}

#[derive(Subcommand, Debug)]
enum RiskCommand {
    /// The rating, each factor's points, and the next KYC refresh.
    Show { customer_id: String },
}

#[derive(Subcommand, Debug)]
enum DecisionCommand {
    /// A customer's decisions, oldest first.
    List {
        #[arg(long, value_name = "ID")]
        customer: String,
    },
}

#[derive(Subcommand, Debug)]
enum QueueCommand {
    /// Customers matching every filter given.
    List {
        #[command(flatten)]
        filters: QueueFilterArgs,
        #[arg(long, value_name = "newest|oldest|refresh_due")]
        sort: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
}

/// The work-queue filters, shared by `queue list` and `export customers`.
#[derive(Args, Debug)]
struct QueueFilterArgs {
    #[arg(long, value_name = "STATE")]
    state: Option<String>,
    #[arg(long, value_name = "STATE")]
    verification_state: Option<String>,
    #[arg(long, value_name = "METHOD")]
    verification_method: Option<String>,
    #[arg(long, value_name = "none|in_progress|passed|failed")]
    edd: Option<String>,
    #[arg(long, value_name = "RATING")]
    risk: Option<String>,
    #[arg(long, value_name = "STATUS")]
    identity_status: Option<String>,
    #[arg(long, value_name = "DATE")]
    refresh_due_before: Option<String>,
    #[arg(long, value_name = "NAME")]
    assignee: Option<String>,
    #[arg(long)]
    sla_breached: bool,
    /// Words matched by prefix against name, reference id and emails.
    #[arg(long, value_name = "TEXT")]
    search: Option<String>,
}

impl QueueFilterArgs {
    fn query(self, sort: Option<String>, limit: Option<usize>, after: Option<String>) -> QueueQuery {
        QueueQuery {
            state: self.state,
            verification_state: self.verification_state,
            verification_method: self.verification_method,
            edd: self.edd,
            risk: self.risk,
            identity_status: self.identity_status,
            refresh_due_before: self.refresh_due_before,
            assignee: self.assignee,
            sla_breached: self.sla_breached,
            sort,
            limit,
            after,
            search: self.search,
        }
    }
}

/// The case filters, shared by `idv list` and `export cases`.
#[derive(Args, Debug)]
struct CaseFilterArgs {
    #[arg(long, value_name = "ID")]
    customer: Option<String>,
    #[arg(long = "type", value_name = "TYPE")]
    verification_type: Option<String>,
    #[arg(long, value_name = "METHOD")]
    method: Option<String>,
    /// States, comma-separated (storing,waiting).
    #[arg(long, value_name = "S1,S2", value_delimiter = ',')]
    state: Vec<String>,
    #[arg(long, value_name = "OUTCOME")]
    outcome: Option<String>,
}

impl CaseFilterArgs {
    fn query(self, limit: Option<usize>, after: Option<String>) -> VerificationQuery {
        VerificationQuery {
            customer_id: self.customer,
            verification_type: self.verification_type,
            method: self.method,
            states: self.state,
            outcome: self.outcome,
            limit,
            after,
        }
    }
}

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// Import customers from a CSV file in the layout of docs/import.md (- reads standard input).
    Customers {
        #[arg(value_name = "FILE|-")]
        file: String,
        /// Check every row as the import would, and keep nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the CSV header line and one example row (CSV, not JSON).
    Template {
        #[arg(value_enum)]
        what: TemplateArg,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum TemplateArg {
    Customers,
}

#[derive(Subcommand, Debug)]
enum ExportCommand {
    /// Customers matching the work-queue filters, in the import layout (oldest first by default).
    Customers {
        #[command(flatten)]
        filters: QueueFilterArgs,
        #[arg(long, value_name = "newest|oldest|refresh_due")]
        sort: Option<String>,
        #[command(flatten)]
        output: ExportArgs,
    },
    /// Identity verifications and EDD cases, newest first.
    Cases {
        #[command(flatten)]
        filters: CaseFilterArgs,
        #[command(flatten)]
        output: ExportArgs,
    },
    /// The audit trail in the order it happened.
    Audit {
        /// Only events about this entity (a customer id).
        #[arg(long, value_name = "ID")]
        entity: Option<String>,
        #[command(flatten)]
        output: ExportArgs,
    },
}

#[derive(Args, Debug)]
struct ExportArgs {
    #[arg(long, value_enum, default_value = "csv")]
    format: FormatArg,
    /// Write to this file (replaced only once the export is complete) and print a JSON summary;
    /// without it the data itself is the output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    Csv,
    Jsonl,
}

#[derive(Subcommand, Debug)]
enum FileCommand {
    /// Copy a PNG, JPEG, GIF, WebP or PDF scan into the data directory; prints its `file:` reference.
    Attach { path: std::path::PathBuf },
    /// A stored scan's media type, size and bytes (base64).
    Read { reference: String },
}

#[derive(Subcommand, Debug)]
enum MaintenanceCommand {
    /// Apply time-driven transitions (expiries) as of now or --now.
    Tick {
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum SettingsCommand {
    /// Print the policy in force.
    Show,
    /// Replace the policy with a JSON document (as `settings show` prints it).
    Set(InputArg),
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum OutcomeArg {
    Passed,
    Failed,
}

#[derive(Args, Debug)]
struct InputArg {
    /// A JSON document, or - for standard input.
    #[arg(long, value_name = "FILE|-")]
    input: String,
}

#[derive(Args, Debug)]
struct ReasonArg {
    /// Why: recorded in the audit trail.
    #[arg(long)]
    reason: String,
}

#[derive(Args, Debug)]
struct PageArgs {
    /// How many items at most (1 to 500, default 50).
    #[arg(long)]
    limit: Option<usize>,
    /// The `next` cursor of the previous page.
    #[arg(long, value_name = "CURSOR")]
    after: Option<String>,
}

#[derive(Subcommand, Debug)]
enum CustomerCommand {
    /// Create a customer (state pending) from a JSON document.
    Create(InputArg),
    /// Show one customer, with what the verify gate still lacks.
    Show { id: String },
    /// List customers, newest first.
    List {
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Add an address (a new primary one replaces the old primary).
    AddAddress {
        id: String,
        #[command(flatten)]
        input: InputArg,
    },
    /// Add an identity document.
    AddDocument {
        id: String,
        #[command(flatten)]
        input: InputArg,
    },
    /// Add an email address or mobile number.
    AddContact {
        id: String,
        #[command(flatten)]
        input: InputArg,
    },
    /// Add a tax detail.
    AddTaxDetail {
        id: String,
        #[command(flatten)]
        input: InputArg,
    },
    /// Add a member to a business.
    AddMember {
        id: String,
        #[command(flatten)]
        input: InputArg,
    },
    /// Mark a contact verified, recording how it was proven.
    VerifyContact {
        id: String,
        #[arg(long, value_enum)]
        kind: ContactKindArg,
        #[arg(long, value_enum)]
        method: MethodArg,
        /// Which contact, when the customer has several unverified ones of that kind.
        #[arg(long, value_name = "CONTACT_ID")]
        contact: Option<String>,
    },
    /// Verify the customer (the verify gate must pass).
    Verify {
        id: String,
        #[arg(long, value_enum)]
        level: LevelArg,
        #[arg(long)]
        note: Option<String>,
    },
    /// Activate a verified customer.
    Activate { id: String },
    /// Reject a pending customer.
    Reject {
        id: String,
        #[command(flatten)]
        reason: ReasonArg,
    },
    /// Withdraw a pending customer.
    Withdraw {
        id: String,
        #[command(flatten)]
        reason: ReasonArg,
    },
    /// Close a verified or active customer.
    Close {
        id: String,
        #[command(flatten)]
        reason: ReasonArg,
    },
    /// Return a closed customer to pending (verify and activate again).
    Reactivate {
        id: String,
        #[command(flatten)]
        reason: ReasonArg,
    },
    /// Return a rejected customer to pending.
    UndoRejection {
        id: String,
        #[command(flatten)]
        reason: ReasonArg,
    },
    /// Return a withdrawn customer to pending.
    UndoWithdrawal {
        id: String,
        #[command(flatten)]
        reason: ReasonArg,
    },
    /// Place a control (dormant, frozen, closed, denied) on a customer.
    AddControl {
        id: String,
        #[arg(long = "type", value_name = "TYPE")]
        control_type: String,
        #[arg(long, value_name = "firm|admin")]
        set_by: String,
        #[arg(long, value_name = "CODE")]
        reason_code: String,
        #[command(flatten)]
        reason: ReasonArg,
    },
    /// Show a masked tax id or document number in clear (recorded in the audit trail).
    Reveal {
        id: String,
        #[arg(long, value_enum)]
        field: RevealFieldArg,
        /// The tax detail's or document's id (from `customer show`), when the customer has several.
        #[arg(long, value_name = "ITEM_ID")]
        item: Option<String>,
        /// Why the number is needed: recorded with the audit event.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Lift a control.
    RemoveControl {
        id: String,
        #[arg(long, value_name = "CONTROL_ID")]
        control: String,
        #[command(flatten)]
        reason: ReasonArg,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// List audit events in the order they happened.
    List {
        /// Only events about this entity (a customer id).
        #[arg(long, value_name = "ID")]
        entity: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Check the audit trail's hash chain from the first event to the last, or (with --export)
    /// a signed audit export, offline.
    Verify {
        /// A signed export (`export audit --format jsonl`) to check instead of the database;
        /// needs no data directory (- reads standard input).
        #[arg(long, value_name = "FILE|-")]
        export: Option<String>,
    },
    /// This data directory's device key, which signs audit exports (made on first use).
    Key,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum ContactKindArg {
    Email,
    Mobile,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum MethodArg {
    Code,
    #[value(name = "in_person")]
    InPerson,
    Document,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum RevealFieldArg {
    #[value(name = "tax_id")]
    TaxId,
    #[value(name = "document_number")]
    DocumentNumber,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum LevelArg {
    Partial,
    Full,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    pub exit_code: i32,
    pub stdout: String,
}

/// What a run takes from its surroundings, so tests can fix the clock and the ids.
pub struct Context {
    pub clock: Arc<dyn Clock>,
    pub ids: Arc<dyn IdSource>,
    pub pretty: bool,
    /// No progress lines on stderr (tests).
    pub quiet_progress: bool,
    /// Where secrets come from (`DOSSIER_PASSPHRASE` and the like): the process environment
    /// when `None`, else this map (tests run many CLIs in one process). Never printed.
    pub secrets: Option<std::collections::HashMap<String, String>>,
    /// How strongly a new passphrase is stretched (tests use a cheap setting).
    pub kdf: dossier_app::KdfParams,
    /// The signing-in password, instead of `DOSSIER_PASSWORD` or a prompt (tests).
    pub password: Option<Password>,
    /// A new password (`init`, `user add`, `user passwd`), instead of `DOSSIER_NEW_PASSWORD` or a
    /// prompt (tests); `init` takes `password` first.
    pub new_password: Option<Password>,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            ids: Arc::new(UuidV7),
            pretty: false,
            quiet_progress: false,
            secrets: None,
            kdf: dossier_app::KdfParams::default(),
            password: None,
            new_password: None,
        }
    }
}

impl Context {
    /// A secret from the environment (or the test map), else from a no-echo prompt when stdin
    /// is a terminal; `None` when neither gives one.
    fn secret(&self, var: &str, prompt: &str) -> Option<String> {
        let given = match &self.secrets {
            Some(map) => map.get(var).cloned(),
            None => std::env::var(var).ok(),
        };
        if given.is_some() || self.secrets.is_some() {
            return given;
        }
        if std::io::stdin().is_terminal() { rpassword::prompt_password(prompt).ok() } else { None }
    }

    /// The passphrase when the environment (or the test map) gives one; never prompts.
    fn given_passphrase(&self) -> Option<Passphrase> {
        match &self.secrets {
            Some(map) => map.get("DOSSIER_PASSPHRASE").cloned(),
            None => std::env::var("DOSSIER_PASSPHRASE").ok(),
        }
        .map(Passphrase::new)
    }

    /// The passphrase of an existing data directory.
    fn passphrase(&self) -> Result<Passphrase, Error> {
        self.secret("DOSSIER_PASSPHRASE", "Passphrase: ").map(Passphrase::new).ok_or_else(|| {
            Error::Unauthenticated(dossier_app::error::Problem::new(
                "passphrase_required",
                "this data directory is encrypted: set DOSSIER_PASSPHRASE, or run in a terminal to be asked",
            ))
        })
    }

    /// A new passphrase: from `var`, or typed twice at a prompt.
    fn new_passphrase(&self, var: &str) -> Result<Passphrase, Error> {
        let missing = || {
            Error::Unauthenticated(dossier_app::error::Problem::new(
                "passphrase_required",
                format!("a new passphrase is needed: set {var}, or run in a terminal to be asked"),
            ))
        };
        if let Some(given) = match &self.secrets {
            Some(map) => map.get(var).cloned(),
            None => std::env::var(var).ok(),
        } {
            return Ok(Passphrase::new(given));
        }
        if self.secrets.is_some() || !std::io::stdin().is_terminal() {
            return Err(missing());
        }
        let first = rpassword::prompt_password("New passphrase (10 characters or more): ").map_err(|_| missing())?;
        let again = rpassword::prompt_password("The same again: ").map_err(|_| missing())?;
        if first != again {
            return Err(Error::invalid_input(vec![dossier_app::Reason::field(
                "passphrase",
                "passphrase_mismatch",
                "the two passphrases differ: type the same one twice",
            )]));
        }
        Ok(Passphrase::new(first))
    }
}

/// Runs one command line and returns what it printed and its exit code. Everything is kept in
/// memory, exports included: for tests and small outputs; the binary uses [`run_to`].
pub fn run<I, T>(args: I, ctx: &Context) -> Outcome
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut stdout = Vec::new();
    let exit_code = run_to(args, ctx, &mut stdout);
    Outcome { exit_code, stdout: String::from_utf8_lossy(&stdout).into_owned() }
}

/// Runs one command line, writing what it prints to `stdout` as it goes (an export streams its
/// rows there), and returns its exit code.
pub fn run_to<I, T>(args: I, ctx: &Context, stdout: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let (exit_code, text) = match Cli::try_parse_from(args) {
        Ok(cli) => {
            let pretty = cli.pretty || ctx.pretty;
            match execute(cli, ctx, stdout) {
                Ok(Output::Json(json)) => (exit::OK, render(&json, pretty)),
                Ok(Output::RowsRejected(json)) => (exit::ROWS_REJECTED, render(&json, pretty)),
                Ok(Output::Pending(json)) => (exit::PENDING_APPROVAL, render(&json, pretty)),
                Ok(Output::Written) => (exit::OK, String::new()),
                Err(e) => failure(&e, pretty),
            }
        }
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => (exit::OK, e.to_string()),
        Err(e) => failure(&usage_error(&e), ctx.pretty),
    };
    // A closed pipe (e.g. `| head`) is not worth a panic; the exit code still tells the truth.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    exit_code
}

/// What a command produced, for `run_to` to print.
enum Output {
    /// The result as one JSON document (exit 0).
    Json(serde_json::Value),
    /// An import's report when it rejected rows (exit 5).
    RowsRejected(serde_json::Value),
    /// A command held for a second person's approval (exit 6).
    Pending(serde_json::Value),
    /// The command wrote its output itself (an export to stdout, a template).
    Written,
}

fn render<T: Serialize>(value: &T, pretty: bool) -> String {
    let mut out = if pretty { serde_json::to_string_pretty(value) } else { serde_json::to_string(value) }
        .expect("views always serialize");
    out.push('\n');
    out
}

fn failure(e: &Error, pretty: bool) -> (i32, String) {
    let exit_code = match e.status() {
        400 => exit::USAGE,
        401 => exit::SIGN_IN,
        403 | 409 | 422 => exit::REFUSED,
        404 => exit::NOT_FOUND,
        _ => exit::OTHER,
    };
    (exit_code, render(&e.body(), pretty))
}

/// A usage error in the shared shape. clap's own text can quote argument values, which may be
/// personal data, so the message names only the argument.
fn usage_error(e: &clap::Error) -> Error {
    let arg = e.get(ContextKind::InvalidArg).map(|a| a.to_string());
    let what = match e.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => "invalid value",
        ErrorKind::UnknownArgument => "unknown argument",
        ErrorKind::InvalidSubcommand => "unknown command",
        ErrorKind::MissingRequiredArgument => "missing required argument",
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => "missing command",
        ErrorKind::ArgumentConflict => "conflicting arguments",
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => "wrong number of values",
        _ => "invalid usage",
    };
    let mut message = match &arg {
        Some(arg) => format!("{what}: {arg}"),
        None => what.to_owned(),
    };
    if let Some(valid) = e.get(ContextKind::ValidValue) {
        message.push_str(&format!(" (possible values: {valid})"));
    }
    message.push_str("; run dossier --help");
    let reason = match arg {
        Some(arg) => Reason::field(arg, "usage", message.clone()),
        None => Reason::new("usage", message.clone()),
    };
    Error::BadInput(dossier_app::error::Problem::new("usage", message).with_reasons(vec![reason]))
}

fn default_data_dir() -> Result<PathBuf, Error> {
    directories::ProjectDirs::from("", "", "dossier").map(|d| d.data_dir().to_path_buf()).ok_or_else(|| {
        Error::Unexpected(dossier_app::error::Problem::new(
            "data_dir_unavailable",
            "could not find a data directory for this user: pass --data-dir or set DOSSIER_DATA_DIR",
        ))
    })
}

fn read_input<T: serde::de::DeserializeOwned>(arg: &InputArg) -> Result<T, Error> {
    let text = if arg.input == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map(|_| text)
    } else {
        std::fs::read_to_string(&arg.input)
    }
    .map_err(|e| {
        Error::invalid_input(vec![Reason::field(
            "input",
            "input_unreadable",
            format!("could not read the input: {}", e.kind()),
        )])
    })?;
    dossier_app::input::from_json(&text)
}

/// A command that may wait for a second person: its view when applied, else the request (exit 6).
fn submitted<T: Serialize>(value: Submitted<T>) -> Result<Output, Error> {
    let pending = value.pending_approval().is_some();
    let Output::Json(json) = json(value)? else { unreachable!("json() makes JSON") };
    Ok(if pending { Output::Pending(json) } else { Output::Json(json) })
}

fn json<T: Serialize>(value: T) -> Result<Output, Error> {
    Ok(Output::Json(serde_json::to_value(value).expect("views always serialize")))
}

/// The simulators print their URL as the first stdout line and then serve; nothing else goes to
/// stdout, so a script can read the URL and go on.
fn serve_sim(port: u16, faults: &str, seed: u64) -> Result<Output, Error> {
    use std::io::Write;
    let faults = dossier_sim::Faults::parse(faults).map_err(|e| {
        Error::invalid_input(vec![Reason::field("--faults", "invalid_faults", format!("--faults: {e}"))])
    })?;
    let config = dossier_sim::SimConfig { port, faults, seed, ..Default::default() };
    dossier_sim::run_blocking(config, |url| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", serde_json::json!({ "url": url }));
        let _ = out.flush();
    })
    .map_err(|e| {
        Error::Unexpected(dossier_app::error::Problem::new(
            "sim_failed",
            format!("the simulators stopped: {}", e.kind()),
        ))
    })?;
    json(serde_json::json!({"stopped": true}))
}

/// `dev bench`: in the data directory given (which must be empty, and is kept), or else in a
/// fresh temporary one removed afterwards, never in the platform's data directory.
fn bench(data_dir: Option<&Path>, options: &dossier_app::bench::BenchOptions, ctx: &Context) -> Result<Output, Error> {
    let unavailable = |e: std::io::Error| {
        Error::Unexpected(dossier_app::error::Problem::new(
            "data_dir_unavailable",
            format!("could not create a temporary data directory: {}", e.kind()),
        ))
    };
    let temporary = match data_dir {
        Some(_) => None,
        None => Some(tempfile::Builder::new().prefix("dossier-bench-").tempdir().map_err(unavailable)?),
    };
    let dir = data_dir.or(temporary.as_ref().map(|t| t.path())).expect("one of the two is set");
    let progress = std::io::stderr().is_terminal() && !ctx.quiet_progress;
    let report = dossier_app::bench::run(dir, options, |step| {
        if progress {
            eprintln!("bench: {step}");
        }
    })?;
    json(report)
}

fn execute(cli: Cli, ctx: &Context, stdout: &mut dyn Write) -> Result<Output, Error> {
    if let Command::Sim { port, faults, seed } = &cli.command {
        return serve_sim(*port, faults, *seed);
    }
    // Checking a signed export needs no data directory, and makes none.
    if let Command::Audit(AuditCommand::Verify { export: Some(file) }) = &cli.command {
        return verify_export(file, cli.data_dir.as_deref(), ctx);
    }
    if let Command::Dev(DevCommand::Bench { customers, seed, samples, import_rows, queue_pages, simulator, json: _ }) =
        &cli.command
    {
        let options = dossier_app::bench::BenchOptions {
            customers: *customers,
            seed: *seed,
            samples: *samples,
            import_rows: *import_rows,
            queue_pages: *queue_pages,
            simulator_url: simulator.clone(),
        };
        return bench(cli.data_dir.as_deref(), &options, ctx);
    }
    // The template needs no data directory.
    if let Command::Import(ImportCommand::Template { what: TemplateArg::Customers }) = &cli.command {
        stdout.write_all(dossier_app::customer_template().as_bytes()).map_err(|e| write_failed(&e))?;
        return Ok(Output::Written);
    }
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    match &cli.command {
        Command::Init { admin } => return init(&data_dir, admin, ctx),
        Command::Key(KeyCommand::Status) => {
            return json(serde_json::json!({ "state": dossier_app::directory_state(&data_dir)? }));
        }
        Command::Restore { file } => {
            let passphrase = ctx.passphrase()?;
            return json(dossier_app::backup::restore(&data_dir, file, &passphrase, ctx.clock.now())?);
        }
        Command::Key(KeyCommand::Remember) => {
            let passphrase = ctx.passphrase()?;
            dossier_app::keys::remember_in_keyring(&data_dir, &passphrase)?;
            return json(serde_json::json!({ "remembered": true }));
        }
        Command::Key(KeyCommand::Forget) => {
            return json(serde_json::json!({ "forgotten": dossier_app::keys::forget_in_keyring(&data_dir)? }));
        }
        Command::Key(KeyCommand::Change) => {
            let old = ctx.passphrase()?;
            let new = ctx.new_passphrase("DOSSIER_NEW_PASSPHRASE")?;
            Dossier::change_passphrase(&data_dir, &old, &new)?;
            return json(serde_json::json!({ "changed": true }));
        }
        _ => {}
    }
    dossier_app::check_openable(&data_dir)?;
    let mut app = match ctx.given_passphrase() {
        Some(passphrase) => Dossier::open_with(
            &data_dir,
            dossier_app::Unlock::Passphrase(&passphrase),
            ctx.clock.clone(),
            ctx.ids.clone(),
        )?,
        // No passphrase given: a key the OS keyring remembers for this directory, else ask.
        None => match dossier_app::keys::from_keyring(&data_dir).and_then(|key| {
            Dossier::open_with(&data_dir, dossier_app::Unlock::Key(&key), ctx.clock.clone(), ctx.ids.clone()).ok()
        }) {
            Some(app) => app,
            None => {
                let passphrase = ctx.passphrase()?;
                Dossier::open_with(
                    &data_dir,
                    dossier_app::Unlock::Passphrase(&passphrase),
                    ctx.clock.clone(),
                    ctx.ids.clone(),
                )?
            }
        },
    };
    if !app.is_initialised()? {
        return Err(dossier_app::not_initialised());
    }
    let actor = &sign_in(&app, cli.user.as_deref(), ctx)?;
    match cli.command {
        Command::Init { .. } | Command::Key(_) | Command::Restore { .. } => {
            unreachable!("handled before the data directory is opened")
        }
        Command::Backup { file } => json(app.backup(actor, &file)?),
        Command::Customer(command) => customer(&mut app, actor, command),
        Command::Idv(command) => idv(&mut app, actor, command),
        Command::Edd(command) => edd(&mut app, actor, command),
        Command::Kyc(KycCommand::Perform { customer_id, input }) => {
            submitted(app.perform_kyc(actor, &customer_id, &read_input(&input)?)?)
        }
        Command::Kyc(KycCommand::Record { customer_id, input }) => {
            json(app.record_kyc_report(actor, &customer_id, &read_input(&input)?)?)
        }
        Command::Kyc(KycCommand::Results { customer_id }) => json(app.kyc_results(actor, &customer_id)?),
        Command::Identity(IdentityCommand::Status { customer_id }) => json(app.identity_status(actor, &customer_id)?),
        Command::Risk(RiskCommand::Show { customer_id }) => json(app.risk(actor, &customer_id)?),
        Command::Decision(DecisionCommand::List { customer }) => json(app.decisions(actor, &customer)?),
        Command::Queue(QueueCommand::List { filters, sort, page }) => {
            json(app.queue(actor, &filters.query(sort, page.limit, page.after))?)
        }
        Command::Maintenance(MaintenanceCommand::Tick { now }) => json(app.tick(actor, now.as_deref())?),
        Command::Settings(SettingsCommand::Show) => json(app.policy(actor)?),
        Command::Settings(SettingsCommand::Set(input)) => json(app.set_policy(actor, &read_input(&input)?)?),
        Command::Provider(ProviderCommand::Set { name, base_url, client_id, client_secret, tenant }) => {
            let client_secret = client_secret.map(|s| s.0);
            let input = ProviderInput { name: Some(name), base_url: Some(base_url), client_id, client_secret, tenant };
            json(app.set_provider(actor, &input)?)
        }
        Command::Provider(ProviderCommand::List) => json(app.providers(actor)?),
        Command::Provider(ProviderCommand::Disable { name }) => json(app.disable_provider(actor, &name)?),
        Command::Sync(SyncCommand::Run { once, provider }) => {
            let progress = std::io::stderr().is_terminal() && !ctx.quiet_progress;
            json(app.sync_run(actor, provider.as_deref(), once, |p| {
                if progress {
                    eprint!(
                        "\rdelivered {}  retrying {}  needs attention {}  results read {}   ",
                        p.delivered, p.retried, p.needs_attention, p.reconciled
                    );
                }
            })?)
        }
        Command::Sync(SyncCommand::Status) => json(app.sync_status(actor, true)?),
        Command::Sync(SyncCommand::List { status, customer, page }) => {
            json(app.sync_list(actor, status.as_deref(), customer.as_deref(), page.limit, page.after.as_deref())?)
        }
        Command::Sync(SyncCommand::Retry { id }) => json(app.sync_retry(actor, &id)?),
        Command::Sync(SyncCommand::Discard { id, reason }) => {
            submitted(app.sync_discard(actor, &id, Some(&reason.reason))?)
        }
        Command::Sim { .. } => unreachable!("served before the data directory is opened"),
        Command::User(command) => user(&mut app, actor, command, ctx),
        Command::Approval(ApprovalCommand::List { state, kind, customer, page }) => {
            let query = ApprovalQuery { state, kind, customer_id: customer, limit: page.limit, after: page.after };
            json(app.approvals(actor, &query)?)
        }
        Command::Approval(ApprovalCommand::Show { id }) => json(app.approval(actor, &id)?),
        Command::Approval(ApprovalCommand::Approve { id, reason }) => {
            json(app.approve(actor, &id, reason.as_deref())?)
        }
        Command::Approval(ApprovalCommand::Reject { id, reason }) => {
            json(app.reject_approval(actor, &id, Some(&reason.reason))?)
        }
        Command::Approval(ApprovalCommand::Withdraw { id }) => json(app.withdraw_approval(actor, &id)?),
        Command::File(FileCommand::Attach { path }) => json(app.attach_file(actor, &path)?),
        Command::File(FileCommand::Read { reference }) => json(app.file_content(actor, &reference)?),
        Command::Dev(DevCommand::Generate { customers, seed, now }) => {
            let progress = std::io::stderr().is_terminal() && !ctx.quiet_progress;
            let options = dossier_app::generate::GenerateOptions { customers, seed, now };
            let report = app.generate(actor, &options, |done, total| {
                if progress {
                    eprint!("\rgenerated {done} of {total} customers   ");
                }
            });
            if progress {
                eprintln!();
            }
            json(report?)
        }
        Command::Dev(DevCommand::CheckDerived) => json(app.check_derived(actor)?),
        Command::Audit(AuditCommand::Verify { export: Some(_) }) => {
            unreachable!("checked before the data directory is opened")
        }
        Command::Audit(AuditCommand::Key) => json(app.device_key(actor)?),
        Command::Dev(DevCommand::Bench { .. }) => unreachable!("run before the data directory is opened"),
        Command::Audit(AuditCommand::Verify { export: None }) => {
            let progress = std::io::stderr().is_terminal() && !ctx.quiet_progress;
            json(app.audit_verify(actor, |n| {
                if progress {
                    eprint!("\rchecked {n} events   ");
                }
            })?)
        }
        Command::Audit(AuditCommand::List { entity, page }) => {
            json(app.audit_events(actor, entity.as_deref(), page.limit, page.after.as_deref())?)
        }
        Command::Import(ImportCommand::Customers { file, dry_run }) => {
            import_customers(&mut app, actor, &file, dry_run, ctx)
        }
        Command::Import(ImportCommand::Template { .. }) => unreachable!("printed before the data directory is opened"),
        Command::Export(ExportCommand::Customers { filters, sort, output }) => {
            let query = filters.query(sort, None, None);
            export(output, stdout, |format, out| app.export_customers(actor, &query, format, out))
        }
        Command::Export(ExportCommand::Cases { filters, output }) => {
            let query = filters.query(None, None);
            export(output, stdout, |format, out| app.export_cases(actor, &query, format, out))
        }
        Command::Export(ExportCommand::Audit { entity, output }) => {
            export(output, stdout, |format, out| app.export_audit(actor, entity.as_deref(), format, out))
        }
    }
}

/// `init --admin NAME`: a new data key under a new passphrase (or, for a directory from before
/// encryption, its conversion), then the first admin. The name and password are checked before
/// anything is written. A directory that has its key but no user yet (an init cut short) gets
/// its admin with the existing passphrase.
fn init(data_dir: &Path, admin: &str, ctx: &Context) -> Result<Output, Error> {
    use dossier_app::DirectoryState;
    let before = dossier_app::directory_state(data_dir)?;
    let fresh = matches!(before, DirectoryState::New | DirectoryState::Plain);
    let passphrase = if fresh { ctx.new_passphrase("DOSSIER_PASSPHRASE")? } else { ctx.passphrase()? };
    if fresh {
        passphrase.check_new("passphrase")?;
    }
    let password = match ctx.password.clone().or_else(|| secret_from_env("DOSSIER_PASSWORD")) {
        Some(p) => p,
        None => new_password(ctx, "password", "DOSSIER_PASSWORD")?,
    };
    dossier_app::check_new_admin(admin, &password)?;
    let mut app = if fresh {
        Dossier::init(data_dir, &passphrase, ctx.kdf, ctx.clock.clone(), ctx.ids.clone())?
    } else {
        Dossier::open_with(data_dir, dossier_app::Unlock::Passphrase(&passphrase), ctx.clock.clone(), ctx.ids.clone())?
    };
    let admin = app.init_admin(admin, &password)?;
    json(serde_json::json!({
        "data_dir": app.data_dir(),
        "state": "encrypted",
        "converted": before == DirectoryState::Plain,
        "admin": admin,
    }))
}

/// A secret from the environment, when set and not empty.
fn secret_from_env(var: &str) -> Option<Password> {
    std::env::var(var).ok().filter(|v| !v.is_empty()).map(Password::new)
}

fn sign_in_required(field: &str, message: &str) -> Error {
    Error::Unauthenticated(
        dossier_app::error::Problem::new("sign_in_required", message).with_reasons(vec![Reason::field(
            field,
            "sign_in_required",
            message,
        )]),
    )
}

/// Signs the user in: `--user` or `DOSSIER_USER`, and the password from the context,
/// `DOSSIER_PASSWORD` or a prompt on a terminal; 401 `sign_in_required` when either is missing.
fn sign_in(app: &Dossier, user: Option<&str>, ctx: &Context) -> Result<Actor, Error> {
    let user = user.filter(|u| !u.trim().is_empty()).ok_or_else(|| {
        sign_in_required("user", "say who you are: --user NAME or DOSSIER_USER (and the password in DOSSIER_PASSWORD)")
    })?;
    let password = match ctx.password.clone().or_else(|| secret_from_env("DOSSIER_PASSWORD")) {
        Some(p) => p,
        None if std::io::stdin().is_terminal() => {
            Password::new(rpassword::prompt_password("password: ").map_err(|e| prompt_failed(&e))?)
        }
        None => {
            return Err(sign_in_required(
                "password",
                "no password: set DOSSIER_PASSWORD, or run the command in a terminal to be asked",
            ));
        }
    };
    app.sign_in(user, &password)
}

fn prompt_failed(e: &std::io::Error) -> Error {
    Error::Unexpected(dossier_app::error::Problem::new(
        "internal_error",
        format!("the password prompt failed: {}", e.kind()),
    ))
}

/// A new password: from the context, `var`, or asked twice on a terminal; else 400.
fn new_password(ctx: &Context, field: &str, var: &str) -> Result<Password, Error> {
    if let Some(p) = ctx.new_password.clone().or_else(|| secret_from_env(var)) {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid_input(vec![Reason::field(
            field,
            "required",
            format!("no {field}: set {var}, or run the command in a terminal to be asked"),
        )]));
    }
    let first = Password::new(rpassword::prompt_password("new password: ").map_err(|e| prompt_failed(&e))?);
    let again = Password::new(rpassword::prompt_password("new password again: ").map_err(|e| prompt_failed(&e))?);
    if !first.same_as(&again) {
        return Err(Error::invalid_input(vec![Reason::field(
            field,
            "password_mismatch",
            "the two passwords differ: type the same one twice",
        )]));
    }
    Ok(first)
}

fn user(app: &mut Dossier, actor: &Actor, command: UserCommand, ctx: &Context) -> Result<Output, Error> {
    match command {
        UserCommand::Add { name, roles } => {
            let password = new_password(ctx, "new_password", "DOSSIER_NEW_PASSWORD")?;
            json(app.add_user(actor, &name, &roles, &password)?)
        }
        UserCommand::List => json(app.users(actor)?),
        UserCommand::Roles { name, roles } => json(app.set_user_roles(actor, &name, &roles)?),
        UserCommand::Disable { name } => json(app.disable_user(actor, &name)?),
        UserCommand::Enable { name } => json(app.enable_user(actor, &name)?),
        UserCommand::Passwd { name } => {
            let password = new_password(ctx, "new_password", "DOSSIER_NEW_PASSWORD")?;
            json(app.set_password(actor, name.as_deref(), &password)?)
        }
    }
}

fn write_failed(e: &std::io::Error) -> Error {
    Error::Unexpected(dossier_app::error::Problem::new(
        "export_failed",
        format!("could not write the output: {}", e.kind()),
    ))
}

/// `import customers FILE|-`: the report, with exit 5 when rows were rejected; a progress line
/// on stderr when it is a terminal.
fn import_customers(
    app: &mut Dossier,
    actor: &Actor,
    file: &str,
    dry_run: bool,
    ctx: &Context,
) -> Result<Output, Error> {
    let progress = std::io::stderr().is_terminal() && !ctx.quiet_progress;
    let on_progress = |p: &ImportProgress| {
        if progress {
            eprint!("\rrows {}  created {}  unchanged {}  rejected {}   ", p.rows, p.created, p.unchanged, p.rejected);
        }
    };
    let options = ImportOptions { dry_run, ..Default::default() };
    let report = if file == "-" {
        app.import_customers(actor, std::io::stdin().lock(), &options, on_progress)
    } else {
        let input = std::fs::File::open(file).map_err(|e| {
            Error::invalid_input(vec![Reason::field(
                "file",
                "input_unreadable",
                format!("could not open the file: {}", e.kind()),
            )])
        })?;
        app.import_customers(actor, input, &options, on_progress)
    };
    if progress {
        eprintln!();
    }
    let report = report?;
    let rejected = report.rejected > 0;
    let Output::Json(value) = json(report)? else { unreachable!("json() makes JSON") };
    Ok(if rejected { Output::RowsRejected(value) } else { Output::Json(value) })
}

/// Runs an export into stdout (the data is the output), or into `--out FILE` through a
/// temporary file beside it, renamed into place only when the export is complete; then the
/// output is a JSON summary `{format, rows, out}`.
fn export(
    args: ExportArgs,
    stdout: &mut dyn Write,
    write: impl FnOnce(&str, &mut dyn Write) -> Result<ExportSummary, Error>,
) -> Result<Output, Error> {
    let format = value_name(args.format);
    let Some(path) = args.out else {
        write(&format, stdout)?;
        return Ok(Output::Written);
    };
    let unwritable = |e: std::io::Error| {
        Error::invalid_input(vec![Reason::field(
            "out",
            "output_unwritable",
            format!("could not write the --out file: {}", e.kind()),
        )])
    };
    let partial = partial_path(&path);
    let mut file = std::fs::File::create(&partial).map_err(unwritable)?;
    let summary = write(&format, &mut file).and_then(|s| file.sync_all().map(|_| s).map_err(|e| write_failed(&e)));
    let summary = match summary {
        Ok(summary) => summary,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, &path).map_err(unwritable)?;
    let mut printed =
        serde_json::json!({"format": summary.format, "rows": summary.rows, "out": path.display().to_string()});
    if let Some(fingerprint) = summary.device_key_fingerprint {
        printed["device_key_fingerprint"] = fingerprint.into();
    }
    json(printed)
}

/// `audit verify --export FILE|-`: checks the file with no database. When the data directory
/// (`--data-dir`, `DOSSIER_DATA_DIR` or the platform's) already holds a database with a device
/// key and its passphrase is given (`DOSSIER_PASSPHRASE`; never asked for here), the result also
/// says whether that key signed the file; nothing is created otherwise.
fn verify_export(file: &str, data_dir: Option<&Path>, ctx: &Context) -> Result<Output, Error> {
    let passphrase = match &ctx.secrets {
        Some(map) => map.get("DOSSIER_PASSPHRASE").cloned(),
        None => std::env::var("DOSSIER_PASSPHRASE").ok(),
    }
    .map(Passphrase::new);
    let this_device = data_dir
        .map(Path::to_path_buf)
        .or_else(|| default_data_dir().ok())
        .filter(|dir| Dossier::database_path(dir).is_file())
        .zip(passphrase)
        .and_then(|(dir, passphrase)| {
            Dossier::open_with(&dir, dossier_app::Unlock::Passphrase(&passphrase), ctx.clock.clone(), ctx.ids.clone())
                .ok()
        })
        .and_then(|app| app.existing_device_key().ok().flatten());
    let check = if file == "-" {
        dossier_app::verify_audit_export(std::io::stdin().lock(), this_device.as_ref())
    } else {
        let input = std::fs::File::open(file).map_err(|e| {
            Error::invalid_input(vec![Reason::field(
                "export",
                "input_unreadable",
                format!("could not open the export: {}", e.kind()),
            )])
        })?;
        dossier_app::verify_audit_export(std::io::BufReader::new(input), this_device.as_ref())
    };
    json(check?)
}

/// `FILE.partial` beside `FILE`: the export's temporary name until it is complete.
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    path.with_file_name(name)
}

fn customer(app: &mut Dossier, actor: &Actor, command: CustomerCommand) -> Result<Output, Error> {
    use CustomerCommand as C;
    let lifecycle = |app: &mut Dossier, id: &str, command, reason: ReasonArg| {
        app.lifecycle(actor, id, command, Some(&reason.reason))
    };
    match command {
        C::Create(input) => json(app.create_customer(actor, &read_input::<CreateCustomerInput>(&input)?)?),
        C::Show { id } => json(app.customer(actor, &id)?),
        C::List { state, page } => {
            json(app.list_customers(actor, state.as_deref(), page.limit, page.after.as_deref())?)
        }
        C::AddAddress { id, input } => json(app.add_address(actor, &id, &read_input(&input)?)?),
        C::AddDocument { id, input } => json(app.add_document(actor, &id, &read_input(&input)?)?),
        C::AddContact { id, input } => json(app.add_contact(actor, &id, &read_input(&input)?)?),
        C::AddTaxDetail { id, input } => json(app.add_tax_detail(actor, &id, &read_input(&input)?)?),
        C::AddMember { id, input } => json(app.add_member(actor, &id, &read_input(&input)?)?),
        C::VerifyContact { id, kind, method, contact } => {
            let input = VerifyContactInput {
                kind: Some(value_name(kind)),
                method: Some(value_name(method)),
                contact_id: contact,
            };
            json(app.verify_contact(actor, &id, &input)?)
        }
        C::Verify { id, level, note } => json(app.verify(actor, &id, &value_name(level), note.as_deref())?),
        C::Activate { id } => json(app.activate(actor, &id)?),
        C::Reject { id, reason } => submitted(lifecycle(app, &id, LifecycleCommand::Reject, reason)?),
        C::Withdraw { id, reason } => submitted(lifecycle(app, &id, LifecycleCommand::Withdraw, reason)?),
        C::Close { id, reason } => submitted(lifecycle(app, &id, LifecycleCommand::Close, reason)?),
        C::Reactivate { id, reason } => submitted(lifecycle(app, &id, LifecycleCommand::Reactivate, reason)?),
        C::UndoRejection { id, reason } => submitted(lifecycle(app, &id, LifecycleCommand::UndoRejection, reason)?),
        C::UndoWithdrawal { id, reason } => submitted(lifecycle(app, &id, LifecycleCommand::UndoWithdrawal, reason)?),
        C::AddControl { id, control_type, set_by, reason_code, reason } => {
            let input =
                ControlInput { control_type: Some(control_type), set_by: Some(set_by), reason_code: Some(reason_code) };
            json(app.add_control(actor, &id, &input, Some(&reason.reason))?)
        }
        C::Reveal { id, field, item, reason } => {
            let input = dossier_app::RevealInput { field: Some(value_name(field)), item_id: item, reason };
            json(app.reveal(actor, &id, &input)?)
        }
        C::RemoveControl { id, control, reason } => {
            submitted(app.remove_control(actor, &id, &control, Some(&reason.reason))?)
        }
    }
}

fn decide_input(d: DecideArgs) -> DecideInput {
    DecideInput { outcome: Some(value_name(d.outcome)), reason: Some(d.reason), failure_codes: d.failure_codes }
}

fn case(app: &mut Dossier, actor: &Actor, command: CaseCommand) -> Result<Output, Error> {
    match command {
        CaseCommand::Note { id, text } => json(app.add_note(actor, &id, Some(&text))?),
        CaseCommand::Assign { id, assignee, .. } => json(app.assign(actor, &id, assignee.as_deref())?),
        CaseCommand::Snooze { id, until, reason, .. } => {
            json(app.snooze(actor, &id, until.as_deref(), reason.as_deref())?)
        }
    }
}

fn idv(app: &mut Dossier, actor: &Actor, command: IdvCommand) -> Result<Output, Error> {
    match command {
        IdvCommand::Create { customer, verification_type, method, reference } => {
            let input = CreateVerificationInput {
                customer_id: Some(customer),
                verification_type: Some(verification_type),
                method: Some(method),
                external_reference: reference,
            };
            json(app.create_verification(actor, &input)?)
        }
        IdvCommand::Show { id } => json(app.verification(actor, &id)?),
        IdvCommand::List { filters, page } => {
            json(app.list_verifications(actor, &filters.query(page.limit, page.after))?)
        }
        IdvCommand::Advance { id, to, outcome, failure_codes, checks } => {
            let mut compliance_checks = Vec::new();
            for check in checks {
                let (check_type, outcome) = check.split_once('=').ok_or_else(|| {
                    Error::invalid_input(vec![Reason::field("--check", "usage", "--check takes TYPE=OUTCOME")])
                })?;
                compliance_checks.push(ComplianceCheckInput {
                    check_type: Some(check_type.to_owned()),
                    outcome: Some(outcome.to_owned()),
                    failure_codes: Vec::new(),
                });
            }
            let input = AdvanceVerificationInput {
                to: Some(to),
                outcome: outcome.map(value_name),
                failure_codes,
                compliance_checks,
            };
            json(app.advance_verification(actor, &id, &input)?)
        }
        IdvCommand::Decide { id, decision } => {
            submitted(app.decide_verification(actor, &id, &decide_input(decision))?)
        }
        IdvCommand::Case(command) => case(app, actor, command),
    }
}

fn edd(app: &mut Dossier, actor: &Actor, command: EddCommand) -> Result<Output, Error> {
    match command {
        EddCommand::Open { customer } => json(app.open_edd(actor, &customer)?),
        EddCommand::Show { id } => json(app.verification(actor, &id)?),
        EddCommand::Evidence { id, item, reference, description } => {
            let input = EvidenceInput { item: Some(item), reference: Some(reference), description };
            json(app.add_evidence(actor, &id, &input)?)
        }
        EddCommand::Decide { id, decision } => {
            submitted(app.decide_verification(actor, &id, &decide_input(decision))?)
        }
        EddCommand::Case(command) => case(app, actor, command),
    }
}

/// The wire word of a clap value, as dossier-app expects it.
fn value_name<T: ValueEnum>(value: T) -> String {
    value.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_the_parsed_command_line_never_shows_a_secret() {
        let cli = Cli::try_parse_from([
            "dossier",
            "provider",
            "set",
            "paxos",
            "--base-url",
            "sandbox",
            "--client-secret",
            "sk-vantablack-7781",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        assert!(shown.contains("Secret(<redacted>)"), "{shown}");
        assert!(!shown.contains("vantablack"), "{shown}");
    }
}
