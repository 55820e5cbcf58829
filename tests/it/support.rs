//! Shared test setup: a fresh data directory with a fixed clock, fixture loading, and raw row
//! counts read straight from the SQLite file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dossier_app::dto::CreateCustomerInput;
use dossier_app::{Actor, Dossier, FixedClock, Password, SequentialIds, Submitted};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

/// The moment every test starts at.
pub const NOW: OffsetDateTime = datetime!(2026-11-22 12:00:00 UTC);

/// Every table Dossier writes, for "refused changes nothing" checks.
pub const TABLES: &[&str] = &[
    "customers",
    "persons",
    "institutions",
    "institution_members",
    "addresses",
    "contacts",
    "identity_documents",
    "document_files",
    "tax_details",
    "due_diligence",
    "controls",
    "audit_events",
    "identity_verifications",
    "compliance_checks",
    "compliance_decisions",
    "edd_evidence",
    "case_notes",
    "decisions",
    "kyc_results",
    "risk_assessments",
    "settings",
    "providers",
    "outbox",
    "remote_ids",
    "conflicts",
    "device_key",
    "users",
    "user_roles",
    "approvals",
];

/// The passphrase of every test data directory (stretched cheaply: `KdfParams::INSECURE_FAST`).
pub const TEST_PASSPHRASE: &str = "test passphrase";

pub fn passphrase() -> dossier_app::Passphrase {
    dossier_app::Passphrase::new(TEST_PASSPHRASE.to_owned())
}

/// The secrets a CLI run in-process sees: the test passphrase.
pub fn secrets() -> std::collections::HashMap<String, String> {
    [("DOSSIER_PASSPHRASE".to_owned(), TEST_PASSPHRASE.to_owned())].into()
}

/// Sets up a data directory with the test passphrase.
pub fn init(dir: &Path, clock: Arc<dyn dossier_app::Clock>, ids: Arc<dyn dossier_app::IdSource>) -> Dossier {
    Dossier::init(dir, &passphrase(), dossier_app::KdfParams::INSECURE_FAST, clock, ids).expect("init")
}

/// Opens a test data directory again (its passphrase is the test one).
pub fn reopen(
    dir: &Path,
    clock: Arc<dyn dossier_app::Clock>,
    ids: Arc<dyn dossier_app::IdSource>,
) -> dossier_app::Result<Dossier> {
    Dossier::open_with(dir, dossier_app::Unlock::Passphrase(&passphrase()), clock, ids)
}

/// `tester` (every role) signed in on another handle of a test data directory.
pub fn tester(app: &Dossier) -> Actor {
    app.sign_in("tester", &password_of_users()).expect("tester signs in")
}

fn password_of_users() -> dossier_app::Password {
    dossier_app::Password::new(PASSWORD)
}

/// A raw connection to a test database (`dir/dossier.db`), keyed: for counting rows and for
/// tampering as an attacker with the key would.
pub fn open_db(db: impl AsRef<Path>) -> rusqlite::Result<rusqlite::Connection> {
    let db = db.as_ref();
    let key = key_bytes(db.parent().expect("a database has a folder"), &passphrase());
    Ok(dossier_store::connect(db, &key).expect("the data key opens the database"))
}

/// The data key of the directory `dir`, as bytes.
pub fn key_bytes(dir: &Path, passphrase: &dossier_app::Passphrase) -> [u8; 32] {
    let key = dossier_app::keys::unlock_data_key(dir, passphrase).expect("the passphrase opens the key");
    let literal = key.sqlcipher_literal();
    hex::decode(literal.trim_start_matches("x'").trim_end_matches('\'')).unwrap().try_into().unwrap()
}

/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery";

/// A data directory with its first admin (`admin`) and a signed-in `tester` who holds every
/// role (supervisor for compliance work, admin for settings and providers), so a test does what
/// it is about; tests of roles and four-eyes add users with [`TestApp::user`].
pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub app: Dossier,
    pub clock: Arc<FixedClock>,
    pub actor: Actor,
    pub admin: Actor,
    /// A second supervisor, who approves the tester's four-eyes requests (made when needed).
    checker: Option<Actor>,
}

pub fn password() -> Password {
    Password::new(PASSWORD)
}

impl TestApp {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(FixedClock::new(NOW));
        let app = init(dir.path(), clock.clone(), Arc::new(SequentialIds::default()));
        Self::signed_in(dir, app, clock)
    }

    /// A data directory on the machine's clock and v7 ids, for tests where time must pass
    /// (retries, tokens) or another process shares the directory. `clock` is not wired in.
    pub fn on_real_clock() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = init(dir.path(), Arc::new(dossier_app::SystemClock), Arc::new(dossier_app::UuidV7));
        Self::signed_in(dir, app, Arc::new(FixedClock::new(NOW)))
    }

    fn signed_in(dir: tempfile::TempDir, mut app: Dossier, clock: Arc<FixedClock>) -> Self {
        app.init_admin("admin", &password()).expect("first admin");
        let admin = app.sign_in("admin", &password()).expect("admin signs in");
        let roles = ["supervisor".to_owned(), "admin".to_owned()];
        app.add_user(&admin, "tester", &roles, &password()).expect("tester added");
        let actor = app.sign_in("tester", &password()).expect("tester signs in");
        Self { dir, app, clock, actor, admin, checker: None }
    }

    /// The second supervisor, `checker`.
    pub fn checker(&mut self) -> Actor {
        if let Some(c) = &self.checker {
            return c.clone();
        }
        let c = self.user("checker", &["supervisor"]);
        self.checker = Some(c.clone());
        c
    }

    /// A command that may need a second person, carried through: when it was held for approval,
    /// `checker` approves it and `reread` gives the entity as it is now.
    pub fn settle<T>(
        &mut self,
        submitted: dossier_app::Result<Submitted<T>>,
        reread: impl FnOnce(&Dossier, &Actor) -> dossier_app::Result<T>,
    ) -> dossier_app::Result<T> {
        match submitted? {
            Submitted::Applied(view) => Ok(view),
            Submitted::Pending(p) => {
                let checker = self.checker();
                let approved = self.app.approve(&checker, &p.pending_approval.id, None)?;
                assert_eq!(approved.state, "approved");
                reread(&self.app, &self.actor)
            }
        }
    }

    /// Adds a user with `roles` and signs them in.
    pub fn user(&mut self, name: &str, roles: &[&str]) -> Actor {
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        self.app.add_user(&self.admin, name, &roles, &password()).expect("user added");
        self.app.sign_in(name, &password()).expect("user signs in")
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn db_path(&self) -> PathBuf {
        Dossier::database_path(self.dir.path())
    }

    /// Row counts of every table, read through a separate connection.
    pub fn counts(&self) -> BTreeMap<&'static str, i64> {
        let conn = open_db(self.db_path()).expect("open db");
        TABLES
            .iter()
            .map(|t| (*t, conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)).expect("count")))
            .collect()
    }

    /// Creates a customer from JSON and returns its id.
    pub fn create(&mut self, input: Value) -> String {
        let input: CreateCustomerInput = dossier_app::input::from_json(&input.to_string()).expect("valid input");
        self.app.create_customer(&self.actor, &input).expect("created").id
    }

    /// Creates a customer with everything both gate levels need, contacts verified.
    pub fn complete_individual(&mut self, ref_id: &str) -> String {
        let id = self.create(complete_individual(ref_id));
        for kind in ["email", "mobile"] {
            self.verify_contact(&id, kind);
        }
        id
    }

    pub fn verify_contact(&mut self, id: &str, kind: &str) {
        let input =
            dossier_app::VerifyContactInput { kind: Some(kind.into()), method: Some("code".into()), contact_id: None };
        self.app.verify_contact(&self.actor, id, &input).expect("contact verified");
    }

    pub fn state_of(&self, id: &str) -> String {
        let c = self.app.customer(&self.actor, id).expect("customer");
        match c.verification_level {
            Some(level) => format!("{}({level})", c.state),
            None => c.state.to_owned(),
        }
    }
}

/// Reads a fixture file as JSON.
pub fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// An individual whose data passes both verify levels once its contacts are verified.
pub fn complete_individual(ref_id: &str) -> Value {
    json!({
        "type": "individual",
        "ref_id": ref_id,
        "person": {"first_name": "Ana", "last_name": "Silva", "date_of_birth": "1988-04-12", "country_of_citizenship": "US"},
        "addresses": [{"kind": "residential", "primary": true, "street_address": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}],
        "contacts": [{"kind": "email", "value": "ana@example.com"}, {"kind": "mobile", "value": "+14155550100"}],
        "documents": [{"type": "passport", "number": "X1234567", "issuing_country": "US", "issued_on": "2021-01-01", "expires_on": "2031-01-01"}],
        "tax_details": [{"tax_id_type": "SSN", "tax_id": "123-45-6789", "country": "US"}],
        "customer_due_diligence": {"source_of_funds": "salary", "purpose_of_account": "savings", "expected_activity_level": "LOW"}
    })
}

/// The smallest valid individual.
pub fn minimal_individual(ref_id: &str) -> Value {
    json!({
        "type": "individual",
        "ref_id": ref_id,
        "person": {"first_name": "Ana", "last_name": "Silva", "date_of_birth": "1988-04-12"}
    })
}

/// The body of an error, as JSON.
pub fn body(e: &dossier_app::Error) -> Value {
    serde_json::to_value(e.body()).expect("serializable")
}

impl TestApp {
    /// Creates a verification for `customer` and walks it into `state`.
    pub fn verification_in(&mut self, customer: &str, method: &str, state: &str) -> String {
        let input = dossier_app::dto::CreateVerificationInput {
            customer_id: Some(customer.to_owned()),
            verification_type: Some("kyc".into()),
            method: Some(method.into()),
            external_reference: None,
        };
        let id = self.app.create_verification(&self.actor, &input).expect("created").id;
        let path: &[&str] = match state {
            "storing" => &[],
            "waiting" => &["waiting"],
            "pending" => &["waiting", "pending"],
            "reviewing" => &["waiting", "pending", "reviewing"],
            "completed" => &["waiting", "pending", "completed"],
            "expired" => &["waiting", "expired"],
            other => panic!("unknown verification state {other}"),
        };
        for to in path {
            self.advance(&id, to, if *to == "completed" { Some("passed") } else { None }, &[]).expect("advanced");
        }
        id
    }

    pub fn advance(
        &mut self,
        id: &str,
        to: &str,
        outcome: Option<&str>,
        codes: &[&str],
    ) -> dossier_app::Result<dossier_app::dto::VerificationView> {
        let input = dossier_app::dto::AdvanceVerificationInput {
            to: Some(to.into()),
            outcome: outcome.map(str::to_owned),
            failure_codes: codes.iter().map(|c| c.to_string()).collect(),
            compliance_checks: Vec::new(),
        };
        self.app.advance_verification(&self.actor, id, &input)
    }

    pub fn decide(
        &mut self,
        id: &str,
        outcome: &str,
        codes: &[&str],
    ) -> dossier_app::Result<dossier_app::dto::VerificationView> {
        let input = dossier_app::dto::DecideInput {
            outcome: Some(outcome.into()),
            reason: Some("reviewed the evidence".into()),
            failure_codes: codes.iter().map(|c| c.to_string()).collect(),
        };
        let submitted = self.app.decide_verification(&self.actor, id, &input);
        self.settle(submitted, |app, actor| app.verification(actor, id))
    }

    /// A complete individual verified at `level`.
    pub fn verified_individual(&mut self, ref_id: &str, level: &str) -> String {
        let id = self.complete_individual(ref_id);
        self.app.verify(&self.actor, &id, level, None).expect("verified");
        id
    }

    /// Attaches evidence for every item of an EDD case's checklist.
    pub fn attach_all_evidence(&mut self, case: &str) {
        let view = self.app.verification(&self.actor, case).expect("case");
        for item in view.checklist.expect("an EDD case").iter().map(|i| i.item.clone()).collect::<Vec<_>>() {
            let input = dossier_app::dto::EvidenceInput {
                item: Some(item.clone()),
                reference: Some(format!("scans/{item}.pdf")),
                description: None,
            };
            self.app.add_evidence(&self.actor, case, &input).expect("evidence attached");
        }
    }
}
