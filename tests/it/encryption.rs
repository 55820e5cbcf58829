//! Encryption at rest: the database, the scans and the sandbox's records are unreadable without
//! the passphrase; a wrong passphrase touches nothing; a passphrase change retires the old one;
//! a plain data directory is converted in place and a crash at any moment of the conversion
//! loses nothing.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use dossier_app::{Dossier, FixedClock, SequentialIds, SystemClock, UuidV7};
use serde_json::{Value, json};

use crate::cli::{binary, run_binary};
use crate::support::{NOW, TEST_PASSPHRASE, TestApp, open_db, reopen};

/// Distinctive personal data: none of it may be found in any file of the data directory.
const SEEDED: [&str; 8] = [
    "Zebulon",
    "Quillfeather",
    "ZQ9876543",
    "521-87-4396",
    "521874396",
    "zebulon.quill@example.org",
    "+14155550199",
    "Wyrmwood Lane",
];

fn seeded_person(ref_id: &str) -> Value {
    json!({
        "type": "individual",
        "ref_id": ref_id,
        "person": {"first_name": "Zebulon", "last_name": "Quillfeather", "date_of_birth": "1979-02-03", "country_of_citizenship": "US"},
        "addresses": [{"kind": "residential", "primary": true, "street_address": "12 Wyrmwood Lane", "city": "Springfield", "postal_code": "12345", "country": "US"}],
        "contacts": [{"kind": "email", "value": "zebulon.quill@example.org"}, {"kind": "mobile", "value": "+14155550199"}],
        "documents": [{"type": "passport", "number": "ZQ9876543", "issuing_country": "US", "issued_on": "2021-01-01", "expires_on": "2031-01-01"}],
        "tax_details": [{"tax_id_type": "SSN", "tax_id": "521-87-4396", "country": "US"}],
        "customer_due_diligence": {"source_of_funds": "salary", "purpose_of_account": "savings", "expected_activity_level": "LOW"}
    })
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { stack.push(path) } else { out.push(path) }
        }
    }
    out
}

/// Which seeded values appear (as UTF-8 or UTF-16) in which files: `(file, value index)`.
fn plaintext_found(dir: &Path, values: &[&str]) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).unwrap();
        for (i, value) in values.iter().enumerate() {
            let utf16: Vec<u8> = value.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let hit = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
            if hit(value.as_bytes()) || hit(&utf16) {
                found.push((file.strip_prefix(dir).unwrap().display().to_string(), i));
            }
        }
    }
    found
}

#[test]
fn no_file_in_the_data_directory_holds_readable_personal_data() {
    let mut t = TestApp::on_real_clock();
    assert!(t.app.use_sandbox_by_default(&t.actor).unwrap());
    let id = t.create(seeded_person("ENC-1"));
    for kind in ["email", "mobile"] {
        t.verify_contact(&id, kind);
    }
    // A scan, stored and read back.
    let scan = t.data_dir().join("..").join(format!("scan-{}.png", std::process::id()));
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(b"Zebulon Quillfeather ZQ9876543 scanned");
    std::fs::write(&scan, &png).unwrap();
    let stored = t.app.attach_file(&t.actor, &scan).unwrap();
    std::fs::remove_file(&scan).unwrap();
    assert_eq!(t.app.file_content(&t.actor, &stored.reference).unwrap().size, png.len() as u64);
    t.app.verify(&t.actor, &id, "full", None).unwrap();
    // The sandbox receives the customer and keeps its records in the data directory.
    let run = t.app.sync_run(&t.actor, None, true, |_| {}).unwrap();
    assert!(run.delivered >= 4, "{run:?}");
    assert!(t.data_dir().join("sandbox/state.json").is_file());
    // Found while the app is open (WAL and all) and after it closed.
    assert_eq!(plaintext_found(t.data_dir(), &SEEDED), vec![], "personal data in plain text");
    let dir = t.data_dir().to_path_buf();
    let TestApp { app, dir: _keep, .. } = t;
    drop(app);
    assert_eq!(plaintext_found(&dir, &SEEDED), vec![], "personal data in plain text after closing");
    // And it is all still there for the passphrase.
    let app = reopen(&dir, Arc::new(SystemClock), Arc::new(UuidV7)).unwrap();
    let me = crate::support::tester(&app);
    assert_eq!(app.customer(&me, &id).unwrap().person.unwrap().first_name, "Zebulon");
    assert_eq!(app.file_content(&me, &stored.reference).unwrap().size, png.len() as u64);
    let host = app.host_sandbox().unwrap().expect("a host");
    let records: Value = reqwest::blocking::get(format!("{}/_sim/records", host.url)).unwrap().json().unwrap();
    assert!(records.to_string().contains("Quillfeather"), "the sandbox reads its sealed records back");
}

#[test]
fn a_wrong_passphrase_opens_nothing_and_changes_nothing() {
    let mut t = TestApp::new();
    t.create(seeded_person("ENC-2"));
    let dir = t.data_dir().to_path_buf();
    let snapshot = |dir: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        let mut files: Vec<_> = files_under(dir).into_iter().map(|f| (f.clone(), std::fs::read(&f).unwrap())).collect();
        files.sort();
        files
    };
    drop(t.app);
    let before = snapshot(&dir);
    let wrong = dossier_app::Passphrase::new("not the passphrase".into());
    let e = Dossier::open_with(
        &dir,
        dossier_app::Unlock::Passphrase(&wrong),
        Arc::new(FixedClock::new(NOW)),
        Arc::new(SequentialIds::default()),
    )
    .err()
    .expect("refused");
    assert_eq!((e.status(), e.code()), (401, "wrong_passphrase"));
    assert!(!e.body().message.contains("not the passphrase"));
    assert_eq!(snapshot(&dir), before, "no file was written");
    // From the command line: exit 6, the same body, nothing written.
    let out = std::process::Command::new(binary())
        .args(["--data-dir", dir.to_str().unwrap(), "queue", "list"])
        .env("DOSSIER_PASSPHRASE", "not the passphrase")
        .env("DOSSIER_USER", "tester")
        .env("DOSSIER_PASSWORD", crate::support::PASSWORD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["code"], "wrong_passphrase");
    let out = std::process::Command::new(binary())
        .args(["--data-dir", dir.to_str().unwrap(), "queue", "list"])
        .env_remove("DOSSIER_PASSPHRASE")
        .env("DOSSIER_USER", "tester")
        .env("DOSSIER_PASSWORD", crate::support::PASSWORD)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap()["code"], "passphrase_required");
    assert_eq!(snapshot(&dir), before, "no file was written");
}

#[test]
fn key_change_retires_the_old_passphrase_and_keeps_the_data() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    crate::cli::init_binary(&dir, "clerk", &["branch_staff"]);
    let (code, out, _) =
        run_binary(&dir, &["customer", "create", "--input", "-"], Some(&seeded_person("ENC-3").to_string()), "clerk");
    assert_eq!(code, 0, "{out}");
    let id = serde_json::from_str::<Value>(&out).unwrap()["id"].as_str().unwrap().to_owned();
    let key = |args: &[&str], envs: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(binary());
        cmd.arg("--data-dir").arg(&dir).args(args).stdin(std::process::Stdio::null());
        cmd.env("DOSSIER_USER", "clerk").env("DOSSIER_PASSWORD", crate::support::PASSWORD);
        cmd.env_remove("DOSSIER_PASSPHRASE").env_remove("DOSSIER_NEW_PASSPHRASE");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (out.status.code().unwrap(), serde_json::from_slice::<Value>(&out.stdout).unwrap())
    };
    let key_file = std::fs::read(dir.join("key.json")).unwrap();
    // A new passphrase that is too short, or a wrong current one: refused, nothing changes.
    let (code, body) =
        key(&["key", "change"], &[("DOSSIER_PASSPHRASE", TEST_PASSPHRASE), ("DOSSIER_NEW_PASSPHRASE", "short")]);
    assert_eq!((code, body["reasons"][0]["code"].as_str()), (2, Some("passphrase_too_short")), "{body}");
    let (code, body) = key(
        &["key", "change"],
        &[("DOSSIER_PASSPHRASE", "wrong passphrase"), ("DOSSIER_NEW_PASSPHRASE", "a brand new passphrase")],
    );
    assert_eq!((code, body["code"].as_str()), (7, Some("wrong_passphrase")));
    assert_eq!(std::fs::read(dir.join("key.json")).unwrap(), key_file, "the key file is untouched");
    let (code, body) = key(
        &["key", "change"],
        &[("DOSSIER_PASSPHRASE", TEST_PASSPHRASE), ("DOSSIER_NEW_PASSPHRASE", "a brand new passphrase")],
    );
    assert_eq!((code, &body), (0, &json!({"changed": true})));
    let (code, body) = key(&["customer", "show", &id], &[("DOSSIER_PASSPHRASE", TEST_PASSPHRASE)]);
    assert_eq!((code, body["code"].as_str()), (7, Some("wrong_passphrase")), "the old passphrase is retired");
    let (code, body) = key(&["customer", "show", &id], &[("DOSSIER_PASSPHRASE", "a brand new passphrase")]);
    assert_eq!((code, body["ref_id"].as_str()), (0, Some("ENC-3")), "{body}");
    let (code, body) = key(&["key", "status"], &[]);
    assert_eq!((code, &body), (0, &json!({"state": "encrypted"})));
    // init again is refused.
    let (code, body) = key(&["init", "--admin", "another"], &[("DOSSIER_PASSPHRASE", "a brand new passphrase")]);
    assert_eq!((code, body["code"].as_str()), (3, Some("already_initialised")));
}

/// Makes `dir` look as a data directory from before encryption does: a plain database with
/// `customers` generated customers and one seeded person, a plain scan, a plain sandbox file.
/// Returns the scan's reference and bytes.
fn plain_directory(dir: &Path, customers: u64) -> (String, Vec<u8>) {
    let staging = dir.with_extension("staging");
    let mut t = crate::support::init(&staging, Arc::new(FixedClock::new(NOW)), Arc::new(SequentialIds::default()));
    // A directory from before encryption had no users either: the data is made by a loader that
    // holds the roles it needs, and the conversion's `init --admin` makes the first user.
    let name = dossier_app::UserName::parse("loader").unwrap();
    let actor = dossier_app::Actor::new(name, &[dossier_app::Role::Admin, dossier_app::Role::Supervisor]);
    let options = dossier_app::generate::GenerateOptions { customers, seed: 3, now: None };
    t.generate(&actor, &options, |_, _| {}).unwrap();
    let input = dossier_app::input::from_json(&seeded_person("PLAIN-1").to_string()).unwrap();
    t.create_customer(&actor, &input).unwrap();
    drop(t);
    std::fs::create_dir_all(dir).unwrap();
    let conn = open_db(staging.join("dossier.db")).unwrap();
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    conn.execute("ATTACH DATABASE ?1 AS plain KEY ''", [dir.join("dossier.db").to_str().unwrap()]).unwrap();
    conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(())).unwrap();
    conn.pragma_update(Some("plain"), "user_version", version).unwrap();
    drop(conn);
    std::fs::remove_dir_all(&staging).unwrap();
    // A scan as older builds stored it: the bytes themselves under their digest.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(b"Zebulon Quillfeather passport ZQ9876543");
    let hex = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&png))
    };
    std::fs::create_dir_all(dir.join("files").join(&hex[..2])).unwrap();
    std::fs::write(dir.join("files").join(&hex[..2]).join(&hex), &png).unwrap();
    std::fs::create_dir_all(dir.join("sandbox")).unwrap();
    std::fs::write(dir.join("sandbox/state.json"), r#"{"version":1,"note":"Zebulon Quillfeather"}"#).unwrap();
    (format!("file:{hex}"), png)
}

#[test]
fn a_plain_data_directory_is_encrypted_in_place_and_a_crash_at_any_moment_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let template = tmp.path().join("template");
    let (reference, png) = plain_directory(&template, 400);
    assert!(!plaintext_found(&template, &SEEDED[..3]).is_empty(), "the template is plain");
    let customers = |dir: &Path| -> i64 {
        let conn = rusqlite::Connection::open(dir.join("dossier.db")).unwrap();
        conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0)).unwrap()
    };
    let expected = customers(&template);

    // Opening a plain directory is refused until `init` converts it.
    let copy = tmp.path().join("refused");
    copy_dir(&template, &copy);
    let e = reopen(&copy, Arc::new(SystemClock), Arc::new(UuidV7)).err().unwrap();
    assert_eq!((e.status(), e.code()), (409, "not_encrypted"));

    // `dossier init` killed before it wrote the key, and at moments after it wrote it (the
    // conversion itself); then whatever the user does next (init again when no key was written
    // yet, any command otherwise) finishes the job.
    let start_init = |dir: &Path| {
        std::process::Command::new(binary())
            .args(["--data-dir", dir.to_str().unwrap(), "init", "--admin", "admin"])
            .env("DOSSIER_PASSPHRASE", TEST_PASSPHRASE)
            .env("DOSSIER_PASSWORD", crate::support::PASSWORD)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let wait_for_key = |dir: &Path, child: &mut std::process::Child| {
        while !dir.join("key.json").exists() && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_micros(200));
        }
        std::time::Instant::now()
    };
    // How long the conversion takes on this machine, from the key's appearance to the end.
    let timing = tmp.path().join("timing");
    copy_dir(&template, &timing);
    let mut child = start_init(&timing);
    let keyed = wait_for_key(&timing, &mut child);
    assert!(child.wait().unwrap().success());
    let conversion = keyed.elapsed();
    let mut seen = Vec::new();
    let moments = [None, Some(0.0), Some(0.05), Some(0.2), Some(0.4), Some(0.6), Some(0.8), Some(0.95)];
    for (round, after_key) in moments.into_iter().enumerate() {
        let dir = tmp.path().join(format!("crash-{round}"));
        copy_dir(&template, &dir);
        let mut child = start_init(&dir);
        match after_key {
            None => std::thread::sleep(Duration::from_millis(20)),
            Some(fraction) => {
                wait_for_key(&dir, &mut child);
                std::thread::sleep(conversion.mul_f64(fraction));
            }
        }
        let _ = child.kill();
        child.wait().unwrap();
        let state = dossier_app::directory_state(&dir).unwrap();
        seen.push(state);
        // Plain: no key was written, so init runs again; encrypting: init finishes the
        // conversion with the passphrase and makes the admin; encrypted: only the admin is made,
        // unless the killed init had made it already (it finished before the kill landed).
        let (code, out, err) = run_binary(&dir, &["init", "--admin", "admin"], None, "");
        let finished_before =
            state == dossier_app::DirectoryState::Encrypted && out.contains("\"already_initialised\"");
        assert!(code == 0 || finished_before, "round {round} ({state:?}): {out} {err}");
        assert_eq!(dossier_app::directory_state(&dir).unwrap(), dossier_app::DirectoryState::Encrypted);
        // Everything is there, readable with the passphrase, and nothing is readable without.
        let app = reopen(&dir, Arc::new(SystemClock), Arc::new(UuidV7)).unwrap();
        let admin = app.sign_in("admin", &dossier_app::Password::new(crate::support::PASSWORD)).unwrap();
        assert!(app.audit_verify(&admin, |_| {}).unwrap().intact);
        let conn = open_db(dir.join("dossier.db")).unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0)).unwrap();
        assert_eq!(n, expected, "round {round}: every customer survived");
        assert_eq!(app.file_content(&admin, &reference).unwrap().size, png.len() as u64, "round {round}: the scan");
        drop((app, conn));
        assert_eq!(plaintext_found(&dir, &SEEDED), vec![], "round {round}: plain text left");
        assert!(!dir.join("dossier.db.encrypting").exists());
    }
    assert!(
        seen.contains(&dossier_app::DirectoryState::Plain) && seen.contains(&dossier_app::DirectoryState::Encrypting),
        "no round interrupted the conversion itself, the test proved nothing: {seen:?}"
    );

    // Two moments too short to hit by timing. A torn encrypted copy beside the plain database
    // (killed mid-copy): the copy is made again.
    let torn = tmp.path().join("torn");
    copy_dir(&template, &torn);
    let mut child = start_init(&torn);
    wait_for_key(&torn, &mut child);
    let _ = child.kill();
    child.wait().unwrap();
    if dossier_store::database_kind(&torn.join("dossier.db")).unwrap() == dossier_store::DatabaseKind::Plain {
        std::fs::write(torn.join("dossier.db.encrypting"), vec![0xA5; 4096 * 3]).unwrap();
        let (code, out, err) = run_binary(&torn, &["init", "--admin", "admin"], None, "");
        assert_eq!(code, 0, "{out} {err}");
        assert!(!torn.join("dossier.db.encrypting").exists());
    }
    // The database swapped in, the scans and the sandbox file not yet sealed: sealed at the next
    // open, and the key file says ready.
    let key_file = std::fs::read_to_string(timing.join("key.json")).unwrap();
    std::fs::write(timing.join("key.json"), key_file.replace("\"ready\"", "\"encrypting\"")).unwrap();
    assert_eq!(dossier_app::directory_state(&timing).unwrap(), dossier_app::DirectoryState::Encrypting);
    let hex = reference.strip_prefix("file:").unwrap();
    std::fs::write(timing.join("files").join(&hex[..2]).join(hex), &png).unwrap();
    std::fs::write(timing.join("sandbox/state.json"), r#"{"version":1,"note":"Zebulon Quillfeather"}"#).unwrap();
    assert!(!plaintext_found(&timing, &SEEDED).is_empty());
    let app = reopen(&timing, Arc::new(SystemClock), Arc::new(UuidV7)).unwrap();
    let admin = app.sign_in("admin", &dossier_app::Password::new(crate::support::PASSWORD)).unwrap();
    assert_eq!(app.file_content(&admin, &reference).unwrap().size, png.len() as u64);
    drop(app);
    assert_eq!(dossier_app::directory_state(&timing).unwrap(), dossier_app::DirectoryState::Encrypted);
    assert_eq!(plaintext_found(&timing, &SEEDED), vec![]);
}

fn copy_dir(from: &Path, to: &Path) {
    for file in files_under(from) {
        let target = to.join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, &target).unwrap();
    }
}

#[test]
fn a_key_is_remembered_only_where_a_keyring_answers_and_a_refusal_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    crate::cli::init_binary(&dir, "clerk", &["branch_staff"]);
    let key_file = std::fs::read(dir.join("key.json")).unwrap();
    // Kept out of any keyring this machine may have, as on a server with none.
    let key = |args: &[&str], passphrase: &str| {
        let out = std::process::Command::new(binary())
            .arg("--data-dir")
            .arg(&dir)
            .args(args)
            .env("DOSSIER_CREDENTIALS", "file")
            .env("DOSSIER_PASSPHRASE", passphrase)
            .output()
            .unwrap();
        (out.status.code().unwrap(), serde_json::from_slice::<Value>(&out.stdout).unwrap())
    };
    let (code, body) = key(&["key", "remember"], "not the passphrase");
    assert_eq!((code, body["code"].as_str()), (7, Some("wrong_passphrase")), "the passphrase proves it first");
    let (code, body) = key(&["key", "remember"], TEST_PASSPHRASE);
    assert_eq!((code, body["code"].as_str()), (1, Some("keyring_unavailable")), "{body}");
    assert_eq!(std::fs::read(dir.join("key.json")).unwrap(), key_file, "nothing changed");
}
