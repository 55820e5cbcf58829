//! Sync over real loopback HTTP against the provider simulators: every record reaches each
//! provider exactly once — offline then online, through injected faults, across a crash between
//! the provider's answer and the local write (also in the middle of a batch of results), and
//! when a message is handed out again while still on its way — permanent errors wait for a
//! person, tokens refresh, and remote results come back (a contradiction becomes a conflict
//! case).

use std::time::{Duration, Instant};

use dossier_app::sync::ProviderInput;
use serde_json::{Value, json};

use crate::support::{TestApp, complete_individual};

/// A simulator in this process, on its own runtime.
pub struct Sim {
    pub url: String,
    runtime: tokio::runtime::Runtime,
    handle: Option<dossier_sim::SimHandle>,
}

impl Sim {
    pub fn start(faults: &str, token_ttl: Duration) -> Self {
        // The tests' own HTTP client uses the same TLS setup as the sync crate.
        dossier_sync::install_crypto();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let config = dossier_sim::SimConfig {
            faults: dossier_sim::Faults::parse(faults).unwrap(),
            seed: 7,
            token_ttl,
            ..Default::default()
        };
        let handle = runtime.block_on(dossier_sim::spawn(config)).unwrap();
        Self { url: handle.url.clone(), runtime, handle: Some(handle) }
    }

    pub fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let client = reqwest::blocking::Client::new();
        let mut req = client.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().unwrap().json().unwrap()
    }

    pub fn records(&self) -> Value {
        self.admin(reqwest::Method::GET, "/_sim/records", None)
    }

    pub fn set_offline(&self, offline: bool) {
        self.admin(reqwest::Method::PUT, "/_sim/offline", Some(json!({"offline": offline})));
    }

    /// Calls a provider endpoint as a client would (for sandbox controls), with `token` fetched
    /// by the provider's own token request.
    fn call_as(
        &self,
        token: reqwest::blocking::RequestBuilder,
        method: reqwest::Method,
        url: String,
        body: Value,
    ) -> Value {
        let token: Value = token.send().unwrap().json().unwrap();
        reqwest::blocking::Client::new()
            .request(method, url)
            .bearer_auth(token["access_token"].as_str().unwrap())
            .json(&body)
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    pub fn cybrid(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let token = reqwest::blocking::Client::new().post(format!("{}/cybrid/oauth/token", self.url)).json(&json!({
            "grant_type": "client_credentials", "client_id": "dossier-sandbox", "client_secret": "dossier-sandbox",
            "scope": "identity_verifications:execute identity_verifications:read"}));
        self.call_as(token, method, format!("{}/cybrid{path}", self.url), body)
    }

    pub fn paxos(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let token = reqwest::blocking::Client::new().post(format!("{}/paxos/oauth2/token", self.url)).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "dossier-sandbox"),
            ("client_secret", "dossier-sandbox"),
            ("scope", "identity:read_identity identity:write_identity"),
        ]);
        self.call_as(token, method, format!("{}/paxos{path}", self.url), body)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.runtime.block_on(h.shutdown());
        }
    }
}

/// Points every provider at the simulator with the sandbox credentials.
pub fn connect(t: &mut TestApp, sim: &Sim) {
    for (name, tenant) in
        [("cybrid", None), ("paxos", None), ("qolo", Some(dossier_sim::QOLO_SDD_PROGRAM)), ("mbanq", Some("sandbox"))]
    {
        let input = ProviderInput {
            name: Some(name.into()),
            base_url: Some(format!("{}/{name}", sim.url)),
            client_id: Some("dossier-sandbox".into()),
            client_secret: Some("dossier-sandbox".into()),
            tenant: tenant.map(str::to_owned),
        };
        t.app.set_provider(&t.actor, &input).unwrap();
    }
}

/// A complete individual with its own document number (providers refuse shared ones).
fn customer(t: &mut TestApp, n: usize) -> String {
    let mut input = complete_individual(&format!("S-{n}"));
    input["documents"][0]["number"] = json!(format!("P{n:07}"));
    input["contacts"][0]["value"] = json!(format!("person{n}@example.com"));
    let id = t.create(input);
    for kind in ["email", "mobile"] {
        t.verify_contact(&id, kind);
    }
    id
}

fn statuses(t: &TestApp) -> std::collections::BTreeMap<String, usize> {
    let mut out = std::collections::BTreeMap::new();
    for m in t.app.sync_list(&t.actor, None, None, Some(500), None).unwrap().items {
        *out.entry(m.status.to_owned()).or_insert(0) += 1;
    }
    out
}

fn count(records: &Value, provider: &str, kind: &str) -> usize {
    records[provider][kind].as_array().map_or(0, Vec::len)
}

/// Where each provider keeps the customer records a create makes.
const CUSTOMER_RECORDS: [(&str, &str); 4] =
    [("cybrid", "customers"), ("paxos", "identities"), ("qolo", "persons"), ("mbanq", "clients")];

/// Counts the providers' records that the creates of `sync run` make.
fn created(records: &Value) -> usize {
    CUSTOMER_RECORDS.iter().map(|(p, k)| count(records, p, k)).sum()
}

/// Starts `dossier sync run --once` on `t`'s data directory as a process of its own, to be
/// killed.
fn spawn_sync_once(t: &TestApp) -> std::process::Child {
    std::process::Command::new(crate::cli::binary())
        .args(["--data-dir", t.data_dir().to_str().unwrap(), "--user", "tester", "sync", "run", "--once"])
        .env("DOSSIER_PASSWORD", crate::support::PASSWORD)
        .env("DOSSIER_PASSPHRASE", crate::support::TEST_PASSPHRASE)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn the_journey_reaches_each_provider_exactly_once() {
    let sim = Sim::start("", Duration::from_secs(3600));
    let mut t = TestApp::on_real_clock();
    connect(&mut t, &sim);
    let ids: Vec<String> = (0..3).map(|n| customer(&mut t, n)).collect();
    for id in &ids {
        t.app.verify(&t.actor, id, "full", None).unwrap();
    }
    t.app.activate(&t.actor, &ids[0]).unwrap();
    let case = t.app.open_edd(&t.actor, &ids[1]).unwrap().id;

    let run = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    assert_eq!(
        (run.needs_attention, run.retried),
        (0, 0),
        "{:?}",
        t.app.sync_list(&t.actor, Some("needs_attention"), None, None, None).unwrap().items
    );
    assert_eq!(statuses(&t), [("done".to_owned(), 3 * 4 + 3 * 2 + 1 + 1)].into());

    let records = sim.records();
    assert_eq!(count(&records, "cybrid", "customers"), 3);
    assert_eq!(count(&records, "cybrid", "identity_verifications"), 4, "three attestations and one EDD case");
    assert_eq!(count(&records, "paxos", "identities"), 3);
    assert_eq!(count(&records, "qolo", "persons"), 3);
    assert_eq!(count(&records, "mbanq", "clients"), 3);
    let cybrid_customers = records["cybrid"]["customers"].as_array().unwrap();
    assert!(
        cybrid_customers.iter().all(|c| c["state"] == "verified"),
        "attested before the EDD case: {cybrid_customers:?}"
    );
    let edd_at_cybrid = t
        .app
        .sync_list(&t.actor, None, None, Some(500), None)
        .unwrap()
        .items
        .into_iter()
        .find(|m| m.subject_id.as_deref() == Some(case.as_str()));
    assert!(edd_at_cybrid.unwrap().remote_id.is_some());

    // What the providers say of the customers came back with the run.
    let statuses = |t: &TestApp, id: &str| -> Vec<(String, String)> {
        t.app
            .customer(&t.actor, id)
            .unwrap()
            .provider_statuses
            .into_iter()
            .map(|s| (s.provider.to_owned(), s.status))
            .collect()
    };
    let now = statuses(&t, &ids[2]);
    assert_eq!(now.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(), ["mbanq", "paxos", "qolo"], "{now:?}");
    assert!(now.contains(&("mbanq".into(), "APPROVED".into())), "Mbanq saw the verify: {now:?}");
    assert!(now.contains(&("paxos".into(), "PENDING".into())), "Paxos identities start pending: {now:?}");
    let kyc = t.app.kyc_results(&t.actor, &ids[2]).unwrap();
    assert!(kyc.results.iter().any(|r| r.action == "provider_result"), "Qolo's KYC result was recorded: {kyc:?}");

    // Paxos approves one identity: the next run brings the change back, and sends nothing.
    let identity = t
        .app
        .sync_list(&t.actor, None, None, Some(500), None)
        .unwrap()
        .items
        .into_iter()
        .find(|m| m.provider == "paxos" && m.aggregate_id == ids[2])
        .unwrap()
        .remote_id
        .unwrap();
    sim.paxos(
        reqwest::Method::PUT,
        &format!("/v2/identity/identities/{identity}/sandbox-status"),
        json!({"id_verification_status": "APPROVED", "sanctions_verification_status": "APPROVED"}),
    );
    let again = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    assert_eq!(again.delivered, 0);
    assert!(again.reconciled >= 1, "{again:?}");
    assert!(statuses(&t, &ids[2]).contains(&("paxos".into(), "APPROVED".into())));
    assert_eq!(count(&sim.records(), "cybrid", "customers"), 3);
}

#[test]
fn offline_then_online_delivers_everything_once() {
    let sim = Sim::start("", Duration::from_secs(3600));
    let mut t = TestApp::on_real_clock();
    connect(&mut t, &sim);
    sim.set_offline(true);
    for n in 0..4 {
        customer(&mut t, n);
    }
    let run = t.app.sync_run_for(&t.actor, None, Some(Duration::from_millis(1500)), |_| {}).unwrap();
    assert!(run.stopped_early && run.delivered == 0 && run.retried > 0, "{run:?}");
    let status = t.app.sync_status(&t.actor, true).unwrap();
    let cybrid = status.providers.iter().find(|p| p.name == "cybrid").unwrap();
    assert_eq!(cybrid.reachable, Some(false), "an offline provider is reported unreachable");
    assert_eq!(cybrid.counts["pending"], 4, "nothing lost, everything waiting visibly");

    sim.set_offline(false);
    let run = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    assert_eq!(run.needs_attention, 0);
    assert_eq!(statuses(&t), [("done".to_owned(), 16)].into());
    let records = sim.records();
    for (provider, kind) in CUSTOMER_RECORDS {
        assert_eq!(
            count(&records, provider, kind),
            4,
            "{provider}: dropped requests never reached it; each record once"
        );
    }
}

#[test]
fn a_thousand_operations_through_thirty_percent_faults_arrive_exactly_once_in_order() {
    let sim = Sim::start(
        "error_rate=0.1,rate_limit_rate=0.05,drop_rate=0.05,lost_response_rate=0.1,latency_ms=1",
        Duration::from_secs(3600),
    );
    let mut t = TestApp::on_real_clock();
    connect(&mut t, &sim);
    let mut verified = Vec::new();
    for n in 0..232 {
        let id = customer(&mut t, n);
        if n % 6 == 0 {
            t.app.verify(&t.actor, &id, "partial", None).unwrap();
            verified.push(id);
        }
    }
    let total = t.app.sync_list(&t.actor, None, None, Some(500), None).unwrap().items.len()
        + t.app.sync_list(&t.actor, None, None, Some(500), Some("500")).unwrap().items.len()
        + t.app.sync_list(&t.actor, None, None, Some(500), Some("1000")).unwrap().items.len();
    assert!(total >= 1000, "{total} operations");
    let started = Instant::now();
    let run = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    eprintln!("{total} operations at 30 % faults delivered in {:?}: {run:?}", started.elapsed());
    assert_eq!(
        run.needs_attention,
        0,
        "{:?}",
        t.app.sync_list(&t.actor, Some("needs_attention"), None, None, None).unwrap().items
    );
    assert!(run.retried > 100, "the faults were real: {run:?}");

    let records = sim.records();
    for (provider, kind) in CUSTOMER_RECORDS {
        assert_eq!(count(&records, provider, kind), 232, "{provider}: exactly once despite lost responses");
    }
    assert_eq!(
        count(&records, "cybrid", "identity_verifications"),
        verified.len(),
        "one attestation per verified customer"
    );
    let mbanq_verified = records["mbanq"]["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.to_string().contains("Verified") || c.to_string().contains("APPROVED"))
        .count();
    assert_eq!(
        mbanq_verified,
        verified.len(),
        "each verify reached its client after the client existed (per-customer order)"
    );
}

#[test]
fn a_permanent_error_waits_for_a_person_who_fixes_it_and_retries() {
    let sim = Sim::start("", Duration::from_secs(3600));
    let mut t = TestApp::on_real_clock();
    connect(&mut t, &sim);
    let wrong = ProviderInput {
        name: Some("paxos".into()),
        base_url: Some(format!("{}/paxos", sim.url)),
        client_id: Some("dossier-sandbox".into()),
        client_secret: Some("wrong-secret".into()),
        tenant: None,
    };
    t.app.set_provider(&t.actor, &wrong).unwrap();
    let a = customer(&mut t, 1);
    customer(&mut t, 2);
    let run = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    assert_eq!(run.needs_attention, 2, "{run:?}");
    let waiting = t.app.sync_list(&t.actor, Some("needs_attention"), None, None, None).unwrap().items;
    assert!(
        waiting.iter().all(|m| m.provider == "paxos" && m.last_error.as_deref().unwrap_or("").starts_with("http 401"))
    );
    assert_eq!(count(&sim.records(), "paxos", "identities"), 0);
    assert_eq!(count(&sim.records(), "cybrid", "customers"), 2, "other providers are not held back");

    t.app.set_provider(&t.actor, &ProviderInput { client_secret: Some("dossier-sandbox".into()), ..wrong }).unwrap();
    t.app.sync_retry(&t.actor, &waiting[0].id).unwrap();
    let discard = t.app.sync_discard(&t.actor, &waiting[1].id, Some("created at Paxos by hand"));
    let message = waiting[1].id.clone();
    t.settle(discard, |app, actor| {
        Ok(app.sync_list(actor, None, None, Some(500), None)?.items.into_iter().find(|m| m.id == message).unwrap())
    })
    .unwrap();
    t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    let records = sim.records();
    assert_eq!(count(&records, "paxos", "identities"), 1);
    assert_eq!(records["paxos"]["identities"][0]["ref_id"], "S-1");
    let audit: Vec<String> =
        t.app.audit_events(&t.actor, Some(&a), None, None).unwrap().items.into_iter().map(|e| e.action).collect();
    assert!(audit.contains(&"sync.retry".to_owned()), "{audit:?}");
}

#[test]
fn expired_tokens_are_refreshed() {
    let sim = Sim::start("latency_ms=20", Duration::from_secs(1));
    let mut t = TestApp::on_real_clock();
    connect(&mut t, &sim);
    for n in 0..3 {
        customer(&mut t, n);
    }
    let adapters = dossier_sync::Adapters::new(vec![dossier_sync::ProviderConfig {
        provider: dossier_core::Provider::Cybrid,
        base_url: format!("{}/cybrid", sim.url),
        client_id: "dossier-sandbox".into(),
        client_secret: "dossier-sandbox".into(),
        tenant: None,
    }])
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let delivery = |n: u128| dossier_sync::Delivery {
        seq: 1,
        provider: dossier_core::Provider::Cybrid,
        operation: dossier_core::Operation::CustomerCreate,
        aggregate_id: uuid::Uuid::from_u128(n),
        subject_id: None,
        payload: json!({"type": "individual"}).into(),
        idempotency_key: format!("k{n}"),
        maybe_sent: false,
        customer_remote_id: None,
        mapped_siblings: vec![],
    };
    runtime.block_on(adapters.deliver(&delivery(1))).unwrap();
    std::thread::sleep(Duration::from_millis(1300));
    runtime.block_on(adapters.deliver(&delivery(2))).expect("a token that expired is replaced, not reported");
    let stats = sim.admin(reqwest::Method::GET, "/_sim/stats", None);
    let tokens = stats["requests"]["cybrid"]["POST /oauth/token"].as_u64().unwrap_or(0);
    assert!(tokens >= 2, "a second token was fetched: {stats}");
}

#[test]
fn remote_results_come_back_and_contradictions_become_conflict_cases() {
    let sim = Sim::start("", Duration::from_secs(3600));
    let mut t = TestApp::on_real_clock();
    connect(&mut t, &sim);
    let a = customer(&mut t, 1);
    let b = customer(&mut t, 2);
    for id in [&a, &b] {
        t.app.verify(&t.actor, id, "full", None).unwrap();
    }
    let case_a = t.app.open_edd(&t.actor, &a).unwrap().id;
    let case_b = t.app.open_edd(&t.actor, &b).unwrap().id;
    t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    let remote = |case: &str| {
        t.app
            .sync_list(&t.actor, None, None, Some(500), None)
            .unwrap()
            .items
            .into_iter()
            .find(|m| m.subject_id.as_deref() == Some(case))
            .unwrap()
            .remote_id
            .unwrap()
    };
    let (remote_a, remote_b) = (remote(&case_a), remote(&case_b));

    // Case A: the local officer fails it; Cybrid's compliance passes it.
    t.decide(&case_a, "failed", &["compliance_rejection"]).unwrap();
    sim.cybrid(
        reqwest::Method::POST,
        &format!("/_sandbox/identity_verifications/{remote_a}/complete"),
        json!({"outcome": "passed"}),
    );
    // Case B: still open locally; Cybrid completes it.
    sim.cybrid(
        reqwest::Method::POST,
        &format!("/_sandbox/identity_verifications/{remote_b}/complete"),
        json!({"outcome": "passed"}),
    );

    let run = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    assert!(run.reconciled >= 2, "{run:?}");
    let a_view = t.app.verification(&t.actor, &case_a).unwrap();
    assert_eq!(a_view.outcome, Some("failed"), "a local decision is never overwritten");
    assert_eq!(t.app.sync_status(&t.actor, false).unwrap().open_conflicts, 1);
    let b_view = t.app.verification(&t.actor, &case_b).unwrap();
    assert_eq!(
        (b_view.state, b_view.outcome),
        ("completed", Some("passed")),
        "the remote result came back through the state machine"
    );
    assert_eq!(t.app.customer(&t.actor, &b).unwrap().edd_status, "passed");
    let audit: Vec<String> =
        t.app.audit_events(&t.actor, Some(&a), None, None).unwrap().items.into_iter().map(|e| e.action).collect();
    assert!(audit.contains(&"sync.conflict".to_owned()));
}

#[test]
fn a_crash_between_the_providers_answer_and_the_local_write_duplicates_nothing() {
    let sim = Sim::start("latency_ms=150", Duration::from_secs(3600));
    let mut t = TestApp::on_real_clock();
    connect(&mut t, &sim);
    for n in 0..6 {
        customer(&mut t, n);
    }
    let db = t.db_path();
    let mut child = spawn_sync_once(&t);
    // Wait until the worker has claimed messages, then hold the database so it cannot record
    // the providers' answers; kill it once the providers have applied some of them.
    let watcher = crate::support::open_db(&db).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let in_flight: i64 =
            watcher.query_row("SELECT count(*) FROM outbox WHERE status = 'in_flight'", [], |r| r.get(0)).unwrap();
        if in_flight > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the worker never claimed anything");
        std::thread::sleep(Duration::from_millis(5));
    }
    watcher.execute_batch("BEGIN IMMEDIATE").unwrap();
    loop {
        if created(&sim.records()) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the providers never saw a request");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    watcher.execute_batch("ROLLBACK").unwrap();
    let orphaned: i64 =
        watcher.query_row("SELECT count(*) FROM outbox WHERE status = 'in_flight'", [], |r| r.get(0)).unwrap();
    assert!(orphaned > 0, "the crash left messages whose fate is unknown");

    let run = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    assert_eq!(run.needs_attention, 0, "{run:?}");
    let records = sim.records();
    for (provider, kind) in CUSTOMER_RECORDS {
        assert_eq!(count(&records, provider, kind), 6, "{provider}: no duplicate after the restart");
    }
}

#[test]
fn a_crash_in_the_middle_of_a_batch_of_results_loses_nothing_and_doubles_nothing() {
    // The worker records results in batches: a killed run leaves some results recorded, and some
    // deliveries that reached the providers with their results still waiting for the batch's
    // transaction. Those must go out again as "maybe sent" and be found, not made twice.
    let sim = Sim::start("latency_ms=5", Duration::from_secs(3600));
    let mut t = TestApp::on_real_clock();
    connect(&mut t, &sim);
    let ids: Vec<String> = (0..60).map(|n| customer(&mut t, n)).collect();
    // Every fourth customer is verified: Cybrid hears of an attestation and Mbanq of a verify,
    // each of which must reach the provider after the customer's create.
    let verified: Vec<&String> = ids.iter().step_by(4).collect();
    for id in &verified {
        t.app.verify(&t.actor, id, "full", None).unwrap();
    }
    let db = t.db_path();
    let mut child = spawn_sync_once(&t);
    let watcher = crate::support::open_db(&db).unwrap();
    let done_creates = |w: &rusqlite::Connection| -> usize {
        w.query_row("SELECT count(*) FROM outbox WHERE status = 'done' AND operation = 'customer.create'", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap() as usize
    };
    // Wait for the first batch of results to be recorded, then hold the database so that the
    // next batch cannot be, and wait until the providers have applied creates beyond those
    // recorded; then kill the run.
    let deadline = Instant::now() + Duration::from_secs(30);
    while done_creates(&watcher) == 0 {
        assert!(Instant::now() < deadline, "the worker never recorded a result");
        std::thread::sleep(Duration::from_millis(2));
    }
    watcher.execute_batch("BEGIN IMMEDIATE").unwrap();
    let recorded = done_creates(&watcher);
    while created(&sim.records()) <= recorded {
        assert!(Instant::now() < deadline, "the providers saw nothing beyond the recorded batch");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    watcher.execute_batch("ROLLBACK").unwrap();
    let unrecorded: i64 =
        watcher.query_row("SELECT count(*) FROM outbox WHERE status = 'in_flight'", [], |r| r.get(0)).unwrap();
    assert!(
        recorded > 0 && unrecorded > 0,
        "the kill fell between batches: {recorded} recorded, {unrecorded} in flight"
    );
    assert!(created(&sim.records()) > recorded, "some deliveries reached the providers unrecorded");

    let run = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    assert_eq!(run.needs_attention, 0, "{run:?}");
    assert_eq!(statuses(&t), [("done".to_owned(), ids.len() * 4 + verified.len() * 2)].into());
    let records = sim.records();
    for (provider, kind) in CUSTOMER_RECORDS {
        assert_eq!(count(&records, provider, kind), ids.len(), "{provider}: each customer exactly once");
    }
    assert_eq!(count(&records, "cybrid", "identity_verifications"), verified.len(), "one attestation each");
    let mbanq_verified = records["mbanq"]["clients"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.to_string().contains("Verified") || c.to_string().contains("APPROVED"))
        .count();
    assert_eq!(mbanq_verified, verified.len(), "each verify reached its client, after the client existed");
}

/// A port that hands a message out again while the worker still has it (as the database does
/// when a message's lease runs out while it is on its way), hands out fresh messages after it so
/// the run goes on, and counts the results it gets.
struct LeaseRunsOut {
    again: dossier_sync::Delivery,
    state: std::sync::Mutex<LeaseState>,
}

#[derive(Default)]
struct LeaseState {
    /// Messages still to hand out, in order.
    fresh: std::collections::VecDeque<dossier_sync::Delivery>,
    handed_again: usize,
    results: std::collections::BTreeMap<i64, usize>,
}

impl dossier_sync::OutboxPort for LeaseRunsOut {
    fn record_and_claim(
        &self,
        results: Vec<dossier_sync::DeliveryResult>,
        _: Option<dossier_core::Provider>,
        limit: usize,
    ) -> Result<Vec<dossier_sync::Delivery>, dossier_sync::PortError> {
        let mut state = self.state.lock().unwrap();
        let first = state.results.is_empty() && state.handed_again == 0 && results.is_empty();
        for r in results {
            *state.results.entry(r.seq).or_default() += 1;
        }
        let mut out = Vec::new();
        // Until its result is recorded, the message is "in flight" with a lease that ran out.
        if !first && !state.results.contains_key(&self.again.seq) && limit > 0 {
            state.handed_again += 1;
            out.push(self.again.clone());
        }
        while out.len() < limit.min(if first { usize::MAX } else { 8 })
            && let Some(d) = state.fresh.pop_front()
        {
            out.push(d);
        }
        Ok(out)
    }
    fn next_due_in(&self, _: Option<dossier_core::Provider>) -> Result<Option<Duration>, dossier_sync::PortError> {
        Ok(None)
    }
    fn verifications_to_poll(&self) -> Result<Vec<(uuid::Uuid, String)>, dossier_sync::PortError> {
        Ok(Vec::new())
    }
    fn reconcile(&self, _: Vec<dossier_sync::RemoteVerification>) -> Result<usize, dossier_sync::PortError> {
        Ok(0)
    }
    fn customers_to_poll(
        &self,
        _: dossier_core::Provider,
    ) -> Result<Vec<(uuid::Uuid, String)>, dossier_sync::PortError> {
        Ok(Vec::new())
    }
    fn record_customer_statuses(&self, _: Vec<dossier_sync::RemoteCustomer>) -> Result<usize, dossier_sync::PortError> {
        Ok(0)
    }
}

#[test]
fn a_message_handed_out_again_while_on_its_way_is_not_sent_twice() {
    let sim = Sim::start("latency_ms=100", Duration::from_secs(3600));
    let adapters = dossier_sync::Adapters::new(vec![dossier_sync::ProviderConfig {
        provider: dossier_core::Provider::Cybrid,
        base_url: format!("{}/cybrid", sim.url),
        client_id: "dossier-sandbox".into(),
        client_secret: "dossier-sandbox".into(),
        tenant: None,
    }])
    .unwrap();
    let delivery = |seq: i64| dossier_sync::Delivery {
        seq,
        provider: dossier_core::Provider::Cybrid,
        operation: dossier_core::Operation::CustomerCreate,
        aggregate_id: uuid::Uuid::from_u128(seq as u128),
        subject_id: None,
        payload: json!({"type": "individual"}).into(),
        idempotency_key: format!("cybrid:customer.create:{seq}"),
        // What the port says does not matter: the worker must not start what it still has.
        maybe_sent: false,
        customer_remote_id: None,
        mapped_siblings: vec![],
    };
    // More messages than the window, the one handed out again last: it waits for a sender
    // while the first results are recorded, and is handed out again then. Fresh messages keep
    // coming in small claims, so the run lasts long enough for a second send to show.
    let fresh = (2..=40).chain([1]).chain(41..=80).map(delivery).collect();
    let state = LeaseState { fresh, ..Default::default() };
    let port = std::sync::Arc::new(LeaseRunsOut { again: delivery(1), state: std::sync::Mutex::new(state) });
    let report =
        dossier_sync::run(port.clone(), std::sync::Arc::new(adapters), dossier_sync::RunOptions::default(), |_| {})
            .unwrap();
    let state = port.state.lock().unwrap();
    assert!(state.handed_again > 0, "the port handed the message out again while the worker had it");
    assert_eq!(report.progress.delivered, 80, "{report:?}");
    assert!(
        state.results.values().all(|n| *n == 1) && state.results.len() == 80,
        "one result per message: {:?}",
        state.results
    );
    assert_eq!(count(&sim.records(), "cybrid", "customers"), 80, "each message reached the provider once");
}

#[test]
fn messages_behind_one_that_needs_attention_wait_and_a_run_once_still_returns() {
    let sim = Sim::start("", Duration::from_secs(3600));
    let mut t = TestApp::on_real_clock();
    connect(&mut t, &sim);
    let wrong = ProviderInput {
        name: Some("mbanq".into()),
        base_url: Some(format!("{}/mbanq", sim.url)),
        client_id: Some("dossier-sandbox".into()),
        client_secret: Some("wrong-secret".into()),
        tenant: Some("sandbox".into()),
    };
    t.app.set_provider(&t.actor, &wrong).unwrap();
    // Mbanq hears of the create and then the verify: the verify waits behind the create.
    let id = customer(&mut t, 1);
    t.app.verify(&t.actor, &id, "full", None).unwrap();
    // Bounded, so a run that keeps waiting for the blocked verify fails instead of hanging.
    let run = t.app.sync_run_for(&t.actor, None, Some(Duration::from_secs(15)), |_| {}).unwrap();
    assert!(!run.stopped_early, "a run --once returns when only blocked messages remain");
    assert_eq!(run.needs_attention, 1, "{run:?}");
    let mbanq: Vec<(String, String)> = t
        .app
        .sync_list(&t.actor, None, Some(&id), Some(500), None)
        .unwrap()
        .items
        .into_iter()
        .filter(|m| m.provider == "mbanq")
        .map(|m| (m.operation.to_owned(), m.status.to_owned()))
        .collect();
    assert_eq!(
        mbanq,
        vec![("customer.create".into(), "needs_attention".into()), ("customer.verify".into(), "pending".into())]
    );
}

#[test]
fn the_built_in_sandbox_needs_no_credentials_and_keeps_its_records_across_restarts() {
    let mut t = TestApp::on_real_clock();
    assert!(t.app.use_sandbox_by_default(&t.actor).unwrap());
    assert!(!t.app.use_sandbox_by_default(&t.actor).unwrap(), "only a data directory with no providers");
    let providers = t.app.providers(&t.actor).unwrap();
    assert_eq!(providers.len(), 4);
    assert!(providers.iter().all(|p| p.base_url == "sandbox" && p.enabled && !p.has_secret));
    let id = customer(&mut t, 1);
    t.app.verify(&t.actor, &id, "full", None).unwrap();
    // Nobody hosts the sandbox: the run starts it, delivers, and stops it.
    let run = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    assert_eq!((run.needs_attention, run.delivered > 4), (0, true), "{run:?}");
    let state = t.data_dir().join("sandbox").join("state.json");
    assert!(state.is_file(), "the sandbox keeps its records in the data directory");
    let status = t.app.sync_status(&t.actor, true).unwrap();
    assert!(status.providers.iter().all(|p| p.reachable == Some(true)), "{:?}", status.providers);
    // A host that lives on (the desktop app): the run finds it by its address file and the
    // customer created before the restart is still known there (the verify update reaches it).
    let host = t.app.host_sandbox().unwrap().expect("nobody else hosts it");
    assert_eq!(dossier_app::sandbox::hosted_elsewhere(t.data_dir()).as_deref(), Some(host.url.as_str()));
    assert!(t.app.host_sandbox().unwrap().is_none(), "one host per data directory");
    let records: Value = reqwest::blocking::get(format!("{}/_sim/records", host.url)).unwrap().json().unwrap();
    assert_eq!(count(&records, "paxos", "identities"), 1, "the records survived the restart");
    t.app.lifecycle(&t.actor, &id, dossier_app::LifecycleCommand::Close, Some("customer left")).ok();
    let second = customer(&mut t, 2);
    let run = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    assert_eq!(run.needs_attention, 0, "{run:?}");
    let records: Value = reqwest::blocking::get(format!("{}/_sim/records", host.url)).unwrap().json().unwrap();
    assert_eq!(count(&records, "paxos", "identities"), 2);
    let _ = second;
    drop(host);
    assert!(dossier_app::sandbox::hosted_elsewhere(t.data_dir()).is_none(), "the address goes with the host");
}
