//! The CLI contract (docs/cli.md): JSON on stdout for every result and error, stable exit
//! codes, and the onboarding journey as a user types it. Most tests run the CLI in-process with a
//! fixed clock; the last ones run the real `dossier` binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use dossier_app::{FixedClock, SequentialIds};
use serde_json::{Value, json};

use crate::support::{NOW, PASSWORD, complete_individual, minimal_individual};

pub(crate) struct Cli {
    dir: tempfile::TempDir,
    ctx: dossier_cli::Context,
}

/// A context with a fixed clock and ids, and every password [`PASSWORD`].
pub(crate) fn context() -> dossier_cli::Context {
    dossier_cli::Context {
        clock: Arc::new(FixedClock::new(NOW)),
        ids: Arc::new(SequentialIds::default()),
        pretty: false,
        quiet_progress: true,
        password: Some(dossier_app::Password::new(PASSWORD)),
        new_password: Some(dossier_app::Password::new(PASSWORD)),
        secrets: Some(crate::support::secrets()),
        kdf: dossier_app::KdfParams::INSECURE_FAST,
    }
}

impl Cli {
    /// A data directory set up from the command line: `admin` made by `init`, who adds `clerk`,
    /// a supervisor (every compliance permission).
    pub(crate) fn new() -> Self {
        let cli = Self { dir: tempfile::tempdir().unwrap(), ctx: context() };
        assert_eq!(cli.run_as(None, &["init", "--admin", "admin"]).0, 0);
        assert_eq!(cli.run_as(Some("admin"), &["user", "add", "clerk", "--role", "supervisor"]).0, 0);
        cli
    }

    /// Runs `dossier --data-dir DIR --user clerk ARGS…` and parses its stdout.
    pub(crate) fn run(&self, args: &[&str]) -> (i32, Value) {
        self.run_as(Some("clerk"), args)
    }

    /// Runs `dossier --data-dir DIR [--user USER] ARGS…` and parses its stdout.
    pub(crate) fn run_as(&self, user: Option<&str>, args: &[&str]) -> (i32, Value) {
        let data = self.dir.path().join("data");
        let mut argv: Vec<String> = vec!["dossier".into(), "--data-dir".into(), data.display().to_string()];
        if let Some(user) = user {
            argv.extend(["--user".to_owned(), user.to_owned()]);
        }
        argv.extend(args.iter().map(|a| a.to_string()));
        let out = dossier_cli::run(argv, &self.ctx);
        let value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.stdout));
        (out.exit_code, value)
    }

    fn file(&self, name: &str, value: &Value) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, value.to_string()).unwrap();
        path.display().to_string()
    }
}

#[test]
fn the_journey_from_the_command_line() {
    let cli = Cli::new();
    let mut input = complete_individual("CLI-1");
    input["addresses"][0]["primary"] = json!(false);
    input["documents"] = json!([]);
    let (code, created) = cli.run(&["customer", "create", "--input", &cli.file("ana.json", &input)]);
    assert_eq!(code, 0, "{created}");
    assert_eq!(created["state"], "pending");
    let id = created["id"].as_str().unwrap().to_owned();

    let (code, refused) = cli.run(&["customer", "verify", &id, "--level", "partial"]);
    assert_eq!(code, 3);
    assert_eq!(refused["status"], 403);
    assert_eq!(refused["code"], "domain_rule_violation");
    let codes: Vec<&str> = refused["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(
        codes,
        ["primary_address_missing", "identity_document_missing", "email_unverified", "mobile_unverified"]
    );

    let address = json!({"kind": "residential", "primary": true, "street_address": "1 Main St", "city": "Springfield", "country": "US"});
    assert_eq!(cli.run(&["customer", "add-address", &id, "--input", &cli.file("a.json", &address)]).0, 0);
    let document =
        json!({"type": "passport", "number": "X1234567", "issuing_country": "US", "expires_on": "2031-01-01"});
    assert_eq!(cli.run(&["customer", "add-document", &id, "--input", &cli.file("d.json", &document)]).0, 0);
    assert_eq!(cli.run(&["customer", "verify-contact", &id, "--kind", "email", "--method", "code"]).0, 0);
    let (code, shown) = cli.run(&["customer", "verify-contact", &id, "--kind", "mobile", "--method", "in_person"]);
    assert_eq!(code, 0);
    assert_eq!(shown["verification_gate"]["full"]["passes"], true);

    let (code, verified) = cli.run(&["customer", "verify", &id, "--level", "full", "--note", "seen at counter"]);
    assert_eq!(
        (code, verified["state"].as_str(), verified["verification_level"].as_str()),
        (0, Some("verified"), Some("full"))
    );
    let (code, active) = cli.run(&["customer", "activate", &id]);
    assert_eq!((code, active["state"].as_str()), (0, Some("active")));
    let (code, again) = cli.run(&["customer", "activate", &id]);
    assert_eq!((code, again["code"].as_str()), (3, Some("customer_already_active")));

    let (code, audit) = cli.run(&["audit", "list", "--entity", &id]);
    assert_eq!(code, 0);
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "customer.create",
            "customer.add_address",
            "customer.add_document",
            "customer.verify_contact",
            "customer.verify_contact",
            "customer.verify",
            "customer.activate"
        ]
    );
    assert!(audit["items"].as_array().unwrap().iter().all(|e| e["actor"] == "clerk"));
    assert_eq!(audit["next"], Value::Null);

    let (code, list) = cli.run(&["customer", "list", "--state", "active"]);
    assert_eq!((code, list["items"][0]["id"].as_str()), (0, Some(id.as_str())));
    let (code, shown) = cli.run(&["customer", "show", &id]);
    assert_eq!((code, shown["ref_id"].as_str()), (0, Some("CLI-1")));
}

#[test]
fn exit_codes_and_error_bodies() {
    let cli = Cli::new();
    let missing = "0190a000-0000-7000-8000-00000000ffff";
    let (code, body) = cli.run(&["customer", "show", missing]);
    assert_eq!((code, body["status"].as_u64(), body["code"].as_str()), (4, Some(404), Some("customer_not_found")));

    let (code, body) = cli.run(&["customer", "explode"]);
    assert_eq!((code, body["status"].as_u64(), body["code"].as_str()), (2, Some(400), Some("usage")));
    let (code, body) = cli.run(&["customer", "verify", missing]);
    assert_eq!((code, body["code"].as_str()), (2, Some("usage")), "missing --level");
    assert!(body["message"].as_str().unwrap().contains("--level"));

    let (code, body) = cli.run(&["customer", "create", "--input", "/nonexistent/input.json"]);
    assert_eq!((code, body["reasons"][0]["code"].as_str()), (2, Some("input_unreadable")));
    let bad = cli.file("bad.json", &json!({"type": "individual", "ref_id": "X", "person": {"first_name": "A"}}));
    let (code, body) = cli.run(&["customer", "create", "--input", &bad]);
    assert_eq!((code, body["code"].as_str()), (2, Some("invalid_input")));

    let ok = cli.file("ok.json", &minimal_individual("DUP"));
    assert_eq!(cli.run(&["customer", "create", "--input", &ok]).0, 0);
    let (code, body) = cli.run(&["customer", "create", "--input", &ok]);
    assert_eq!((code, body["status"].as_u64(), body["code"].as_str()), (3, Some(409), Some("ref_id_exists")));

    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["status", "code", "message", "reasons"], "the error shape is stable");
}

#[test]
fn usage_errors_do_not_echo_argument_values() {
    let cli = Cli::new();
    let (code, body) = cli.run(&["customer", "verify", "x", "--level", "Jane-Roe-123-45-6789"]);
    assert_eq!(code, 2);
    assert!(!body.to_string().contains("Jane"), "{body}");
    assert!(body["message"].as_str().unwrap().contains("partial, full"), "{body}");
}

/// The real binary, next to this test executable in the target directory.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let bin = dir.join(format!("dossier{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} is missing: run `cargo build --workspace` (make test does)", bin.display());
    bin
}

/// Sets up `dir` with the real binary: `init --admin admin`, then `user` with `roles` added by
/// the admin; every password is [`PASSWORD`].
pub(crate) fn init_binary(dir: &Path, user: &str, roles: &[&str]) {
    let (code, out, _) = run_binary(dir, &["init", "--admin", "admin"], None, "");
    assert_eq!(code, 0, "{out}");
    let mut args = vec!["user", "add", user];
    for role in roles {
        args.extend(["--role", role]);
    }
    let (code, out, _) = run_binary(dir, &args, None, "admin");
    assert_eq!(code, 0, "{out}");
}

/// Runs the real `dossier` binary on `dir` as `user` (none when empty), with [`PASSWORD`] in
/// `DOSSIER_PASSWORD` and `DOSSIER_NEW_PASSWORD`: (exit code, stdout, stderr).
pub(crate) fn run_binary(dir: &Path, args: &[&str], stdin: Option<&str>, user: &str) -> (i32, String, String) {
    let mut command = Command::new(binary());
    command.env_remove("DOSSIER_USER");
    if !user.is_empty() {
        command.env("DOSSIER_USER", user);
    }
    let mut child = command
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("DOSSIER_DATA_DIR")
        .env("DOSSIER_PASSWORD", PASSWORD)
        .env("DOSSIER_NEW_PASSWORD", PASSWORD)
        .env("DOSSIER_PASSPHRASE", crate::support::TEST_PASSPHRASE)
        // Tests keep out of any OS keyring the machine may have.
        .env("DOSSIER_CREDENTIALS", "file")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.code().unwrap(), text(out.stdout), text(out.stderr))
}

fn real(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, String) {
    let (code, stdout, stderr) = run_binary(dir, args, stdin, "counter-1");
    assert!(stderr.is_empty(), "nothing on stderr: {stderr}");
    (code, stdout)
}

#[test]
fn the_real_binary_reads_stdin_prints_json_and_exits_with_the_contract_codes() {
    let dir = tempfile::tempdir().unwrap();
    init_binary(dir.path(), "counter-1", &["branch_staff"]);
    let input = minimal_individual("BIN-1").to_string();
    let (code, out) = real(dir.path(), &["customer", "create", "--input", "-"], Some(&input));
    assert_eq!(code, 0, "{out}");
    let created: Value = serde_json::from_str(&out).unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(out.ends_with('\n'));

    let (code, out) = real(dir.path(), &["customer", "activate", id], None);
    assert_eq!(code, 3);
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["code"], "customer_not_verified");

    let (code, out) = real(dir.path(), &["audit", "list", "--entity", id], None);
    assert_eq!(code, 0);
    assert_eq!(
        serde_json::from_str::<Value>(&out).unwrap()["items"][0]["actor"],
        "counter-1",
        "DOSSIER_USER is honoured"
    );

    let (code, out) = real(dir.path(), &["customer", "create", "--input", "-"], Some("{not json"));
    assert_eq!((code, serde_json::from_str::<Value>(&out).unwrap()["code"].as_str()), (2, Some("malformed_json")));

    let (code, out) = real(dir.path(), &["--help"], None);
    assert_eq!(code, 0);
    assert!(out.contains("customer"));
}

#[test]
fn the_edd_journey_from_the_command_line() {
    let cli = Cli::new();
    let pending = cli.run(&["customer", "create", "--input", &cli.file("p.json", &minimal_individual("EDD-0"))]).1;
    let (code, refused) = cli.run(&["edd", "open", "--customer", pending["id"].as_str().unwrap()]);
    assert_eq!(
        (code, refused["status"].as_u64(), refused["code"].as_str()),
        (3, Some(422), Some("unverified_customer"))
    );
    assert_eq!(refused["message"], "Customer has not been verified");

    let (_, created) = cli.run(&["customer", "create", "--input", &cli.file("c.json", &complete_individual("EDD-1"))]);
    let id = created["id"].as_str().unwrap().to_owned();
    for kind in ["email", "mobile"] {
        assert_eq!(cli.run(&["customer", "verify-contact", &id, "--kind", kind, "--method", "code"]).0, 0);
    }
    assert_eq!(cli.run(&["customer", "verify", &id, "--level", "full"]).0, 0);
    let (code, case) = cli.run(&["edd", "open", "--customer", &id]);
    assert_eq!((code, case["state"].as_str()), (0, Some("storing")));
    let case_id = case["id"].as_str().unwrap().to_owned();
    let (code, again) = cli.run(&["edd", "open", "--customer", &id]);
    assert_eq!((code, again["status"].as_u64(), again["code"].as_str()), (3, Some(409), Some("data_exists")));
    assert_eq!(again["message"], "Identity verification in progress already exists");

    for item in ["proof_of_address", "source_of_funds", "source_of_wealth", "purpose_of_account"] {
        let (code, _) =
            cli.run(&["edd", "evidence", &case_id, "--item", item, "--reference", &format!("scans/{item}.pdf")]);
        assert_eq!(code, 0);
    }
    assert_eq!(cli.run(&["edd", "note", &case_id, "--text", "spoke to the customer"]).0, 0);
    assert_eq!(cli.run(&["edd", "assign", &case_id, "--to", "olivia"]).0, 0);
    // An EDD decision waits for a second person: exit 6, status 202, the request.
    let (code, held) = cli.run(&["edd", "decide", &case_id, "--outcome", "passed", "--reason", "wealth documented"]);
    assert_eq!((code, held["status"].as_u64()), (6, Some(202)), "{held}");
    let request = &held["pending_approval"];
    assert_eq!((request["kind"].as_str(), request["maker"].as_str()), (Some("edd_decision"), Some("clerk")));
    let (_, case) = cli.run(&["edd", "show", &case_id]);
    assert_eq!(
        (case["state"].as_str(), case["pending_approvals"][0]["id"].clone()),
        (Some("storing"), request["id"].clone())
    );
    let approval = request["id"].as_str().unwrap();
    let (code, own) = cli.run(&["approval", "approve", approval]);
    assert_eq!((code, own["code"].as_str()), (3, Some("four_eyes_same_user")));
    assert_eq!(cli.run_as(Some("admin"), &["user", "add", "sam", "--role", "supervisor"]).0, 0);
    let (code, queue) = cli.run_as(Some("sam"), &["approval", "list", "--state", "pending", "--kind", "edd_decision"]);
    assert_eq!((code, queue["items"].as_array().unwrap().len()), (0, 1));
    let (code, approved) = cli.run_as(Some("sam"), &["approval", "approve", approval, "--reason", "evidence seen"]);
    assert_eq!((code, approved["state"].as_str(), approved["checker"].as_str()), (0, Some("approved"), Some("sam")));
    let (_, decided) = cli.run(&["edd", "show", &case_id]);
    assert_eq!(
        (decided["outcome"].as_str(), decided["decisions"][0]["decided_by"].as_str()),
        (Some("passed"), Some("clerk"))
    );

    let (code, queue) = cli.run(&["queue", "list", "--edd", "passed"]);
    assert_eq!(code, 0);
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    assert_eq!(queue["items"][0]["id"], id.as_str());

    let (code, status) = cli.run(&["identity", "status", &id]);
    assert_eq!((code, status["status"].as_str()), (0, Some("APPROVED")));
    let (code, status) = cli.run(&["identity", "status", pending["id"].as_str().unwrap()]);
    assert_eq!((code, status["status"].as_str()), (0, Some("PENDING")));
    assert!(status["status_details"]["pending_verifications"]["message"].is_string(), "it explains itself");

    let (code, list) = cli.run(&[
        "idv",
        "list",
        "--customer",
        &id,
        "--method",
        "enhanced_due_diligence",
        "--state",
        "completed,expired",
    ]);
    assert_eq!((code, list["items"].as_array().unwrap().len()), (0, 1));
    let (code, risk) = cli.run(&["risk", "show", &id]);
    assert_eq!((code, risk["rating"].as_str()), (0, Some("LOW")));
    let (code, decisions) = cli.run(&["decision", "list", "--customer", &id]);
    assert_eq!((code, decisions[0]["kind"].as_str()), (0, Some("edd")));
    let (code, tick) = cli.run(&["maintenance", "tick", "--now", "2026-11-23T00:00:00Z"]);
    assert_eq!((code, tick["verifications_expired"].as_u64()), (0, Some(0)));
}

#[test]
fn idv_commands_from_the_command_line() {
    let cli = Cli::new();
    let (_, created) = cli.run(&["customer", "create", "--input", &cli.file("c.json", &complete_individual("IDV-1"))]);
    let id = created["id"].as_str().unwrap();
    let (code, v) = cli.run(&["idv", "create", "--customer", id, "--type", "kyc", "--method", "id_and_selfie"]);
    assert_eq!((code, v["state"].as_str(), v["outcome"].clone()), (0, Some("storing"), Value::Null));
    let vid = v["id"].as_str().unwrap();
    assert_eq!(cli.run(&["idv", "advance", vid, "--to", "waiting"]).0, 0);
    let (code, bad) = cli.run(&["idv", "advance", vid, "--to", "completed", "--outcome", "passed"]);
    assert_eq!((code, bad["code"].as_str()), (3, Some("invalid_verification_transition")));
    assert_eq!(cli.run(&["idv", "advance", vid, "--to", "pending"]).0, 0);
    let (code, done) = cli.run(&[
        "idv",
        "advance",
        vid,
        "--to",
        "completed",
        "--outcome",
        "failed",
        "--failure-code",
        "selfie_failure",
        "--check",
        "person_gov_id_verification=failed",
    ]);
    assert_eq!(code, 0, "{done}");
    assert_eq!(done["failure_codes"], json!(["selfie_failure"]));
    assert_eq!(
        done["compliance_checks"][0],
        json!({"type": "person_gov_id_verification", "outcome": "failed", "failure_codes": []})
    );
    let (_, shown) = cli.run(&["customer", "show", id]);
    assert_eq!(shown["state"], "rejected", "a failed selfie check rejects the pending customer");
    let (code, usage) = cli.run(&["idv", "advance", vid, "--to", "completed", "--outcome", "maybe"]);
    assert_eq!((code, usage["code"].as_str()), (2, Some("usage")));
}
