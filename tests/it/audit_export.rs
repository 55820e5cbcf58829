//! Signed audit exports (docs/audit-export.md): a JSON-lines export of the trail carries every
//! event's hash and ends with an ed25519 signature by the device key, and `audit verify --export`
//! checks such a file with no database, naming the first line at fault.

use std::process::Command;

use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::cli::binary;
use crate::support::{TestApp, complete_individual};

/// A trail of a dozen events or so, over two customers.
fn trail() -> (TestApp, String) {
    let mut t = TestApp::new();
    let id = t.verified_individual("SX-1", "full");
    t.app.activate(&t.actor, &id).unwrap();
    t.create(complete_individual("SX-2"));
    (t, id)
}

fn export(t: &mut TestApp, entity: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    t.app.export_audit(&t.actor, entity, "jsonl", &mut out).unwrap();
    out
}

fn this_device(t: &TestApp) -> dossier_app::DeviceKeyView {
    t.app.existing_device_key().unwrap().expect("the export made the device key")
}

fn verify(t: &TestApp, file: &[u8]) -> dossier_app::Result<dossier_app::AuditExportCheck> {
    dossier_app::verify_audit_export(file, Some(&this_device(t)))
}

fn lines(file: &[u8]) -> Vec<String> {
    String::from_utf8(file.to_vec()).unwrap().lines().map(str::to_owned).collect()
}

fn join(lines: &[String]) -> Vec<u8> {
    let mut text = lines.join("\n");
    text.push('\n');
    text.into_bytes()
}

/// The refusal's (status, code, reason code, field), after checking that its message repeats
/// nothing of the file's content.
fn refusal(e: dossier_app::Error) -> (u16, String, String, String) {
    let body = e.body();
    for secret in ["tester", "customer.create", "individual"] {
        assert!(!body.message.contains(secret), "the message names lines, never content: {}", body.message);
    }
    let reason = &body.reasons[0];
    (body.status, body.code, reason.code.clone(), reason.field.clone().unwrap_or_default())
}

#[test]
fn an_export_verifies_offline_and_names_the_device_that_signed_it() {
    let (mut t, _) = trail();
    let head_before = t.app.audit_verify(&t.actor, |_| {}).unwrap();
    let file = export(&mut t, None);
    let check = verify(&t, &file).unwrap();
    let key = this_device(&t);
    assert!(check.valid);
    assert_eq!(check.events, head_before.events + 1, "every event, and the making of the device key");
    assert_eq!((check.first_seq, check.last_seq), (Some(1), Some(check.events as i64)));
    assert_eq!(check.signed_by_this_device, Some(true));
    assert_eq!(
        (check.device_key_fingerprint.as_str(), check.public_key.as_str()),
        (key.fingerprint.as_str(), key.public_key.as_str())
    );
    assert_eq!(
        check.last_hash,
        t.app.audit_verify(&t.actor, |_| {}).unwrap().head,
        "the file ends where the trail does"
    );
    assert_eq!(check.entity_id, None);

    // Without a data directory at hand the file still verifies; it just cannot say whose it is.
    let offline = dossier_app::verify_audit_export(file.as_slice(), None).unwrap();
    assert_eq!((offline.valid, offline.signed_by_this_device), (true, None));

    // The key is made once, and its making is in the trail with its fingerprint.
    let again = export(&mut t, None);
    assert_eq!(verify(&t, &again).unwrap().device_key_fingerprint, key.fingerprint);
    let made: Vec<_> = t
        .app
        .audit_events(&t.actor, None, Some(500), None)
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.action == "device.key_created")
        .collect();
    assert_eq!(made.len(), 1);
    assert_eq!(
        (made[0].entity_type.as_str(), made[0].summary["fingerprint"].as_str()),
        ("device", Some(key.fingerprint.as_str()))
    );
    let conn = crate::support::open_db(t.db_path()).unwrap();
    let e = conn.execute("UPDATE device_key SET public_key = zeroblob(32)", []).unwrap_err();
    assert!(e.to_string().contains("cannot be changed"), "{e}");
    assert!(conn.execute("DELETE FROM device_key", []).unwrap_err().to_string().contains("cannot be removed"));
}

#[test]
fn every_line_carries_its_hashes_and_the_last_one_the_signature() {
    let (mut t, _) = trail();
    let file = export(&mut t, None);
    let lines = lines(&file);
    let first: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(first["prev_hash"], "0".repeat(64), "event 1 starts the chain");
    let second: Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(second["prev_hash"], first["hash"]);
    let signature: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let s = &signature["signature"];
    assert_eq!((s["format"].as_str(), s["algorithm"].as_str()), (Some("dossier-audit-export/1"), Some("ed25519")));
    assert_eq!(s["events"].as_u64(), Some(lines.len() as u64 - 1));
    let before_signature = &file[..file.len() - lines.last().unwrap().len() - 1];
    assert_eq!(s["sha256"].as_str().unwrap(), hex::encode(Sha256::digest(before_signature)));
}

#[test]
fn an_export_for_one_customer_verifies_with_its_filter_signed() {
    let (mut t, first) = trail();
    let file = export(&mut t, Some(&first));
    let check = verify(&t, &file).unwrap();
    assert_eq!((check.valid, check.entity_id.as_deref()), (true, Some(first.as_str())));
    assert_eq!(
        (check.events, check.first_seq),
        (5, Some(3)),
        "created, two contacts, verified, activated (after the two users)"
    );

    let id = t.create(complete_individual("SX-3"));
    t.app.lifecycle(&t.actor, &id, dossier_app::LifecycleCommand::Reject, Some("duplicate")).unwrap();
    let file = export(&mut t, Some(&id));
    let check = verify(&t, &file).unwrap();
    assert_eq!((check.events, check.entity_id.as_deref()), (2, Some(id.as_str())));

    // The same events presented as the whole trail: the missing events between them show.
    let lines = lines(&file);
    let mut block: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    block["signature"]["entity_id"] = Value::Null;
    let forged = resign(&lines[..lines.len() - 1], &block, &SigningKey::from_bytes(&[9; 32]));
    let (status, code, reason, _) = refusal(verify(&t, &forged).unwrap_err());
    assert_eq!((status, code.as_str(), reason.as_str()), (409, "audit_export_invalid", "chain_link_broken"));
}

/// Replaces `lines`' signature with one made by `key` over them, as someone holding another key
/// (and the format, which is public) would.
fn resign(lines: &[String], old: &Value, key: &SigningKey) -> Vec<u8> {
    let body = join(lines);
    let public = key.verifying_key().to_bytes();
    let mut s = old["signature"].clone();
    s["public_key"] = json!(hex::encode(public));
    s["key_fingerprint"] = json!(hex::encode(&Sha256::digest(public)[..16]));
    s["sha256"] = json!(hex::encode(Sha256::digest(&body)));
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let message = [
        "format",
        "algorithm",
        "public_key",
        "key_fingerprint",
        "events",
        "first_seq",
        "last_seq",
        "entity_id",
        "exported_at",
        "sha256",
    ]
    .iter()
    .map(|f| format!("{f}:{}", text(&s[*f])))
    .collect::<Vec<_>>()
    .join("\n");
    s["value"] = json!(hex::encode(key.sign(message.as_bytes()).to_bytes()));
    let mut out = body;
    out.extend_from_slice(json!({ "signature": s }).to_string().as_bytes());
    out.push(b'\n');
    out
}

#[test]
fn a_file_resigned_with_another_key_verifies_but_not_as_this_devices() {
    let (mut t, _) = trail();
    let file = export(&mut t, None);
    let mut lines = lines(&file);
    let old: Value = serde_json::from_str(&lines.pop().unwrap()).unwrap();
    let other = SigningKey::from_bytes(&[42; 32]);
    let resigned = resign(&lines, &old, &other);
    let check = verify(&t, &resigned).unwrap();
    assert!(check.valid, "the signature holds, for the key that made it");
    assert_eq!(check.signed_by_this_device, Some(false));
    assert_ne!(check.device_key_fingerprint, this_device(&t).fingerprint);

    // Another data directory's own export is not this device's either.
    let (mut other_device, _) = trail();
    let theirs = export(&mut other_device, None);
    assert_eq!(verify(&t, &theirs).unwrap().signed_by_this_device, Some(false));
    assert_eq!(verify(&other_device, &theirs).unwrap().signed_by_this_device, Some(true));
}

/// Changes the `nth` byte of the value of `key` on `line` (1-based): a hex digit to another
/// one (so the value still reads as hex), anything else by flipping its lowest bit.
fn flip(file: &[u8], line: usize, key: &str, nth: usize) -> Vec<u8> {
    let mut lines = lines(file);
    let target = &mut lines[line - 1];
    let at =
        target.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("no {key} on line {line}")) + key.len() + 3 + nth;
    let mut bytes = std::mem::take(target).into_bytes();
    bytes[at] = match bytes[at] {
        b'9' => b'0',
        b'f' => b'a',
        b @ (b'0'..=b'8' | b'a'..=b'e') => b + 1,
        b => b ^ 1,
    };
    *target = String::from_utf8(bytes).unwrap();
    join(&lines)
}

#[test]
fn a_flipped_byte_anywhere_is_found_and_its_line_named() {
    let (mut t, _) = trail();
    let file = export(&mut t, None);
    let last = lines(&file).len();
    // (line, key whose value holds the byte, byte within the value, reason)
    let cases = [
        (3, "actor", 1, "event_hash_mismatch"),
        (3, "summary", 3, "event_hash_mismatch"),
        (4, "at", 3, "event_hash_mismatch"),
        (2, "hash", 1, "event_hash_mismatch"),
        (2, "prev_hash", 5, "event_hash_mismatch"),
        (last, "events", 0, "event_count_mismatch"),
        (last, "sha256", 2, "digest_mismatch"),
        (last, "exported_at", 3, "signature_mismatch"),
        (last, "value", 2, "signature_mismatch"),
    ];
    for (line, key, nth, expected) in cases {
        let (status, code, reason, field) = refusal(verify(&t, &flip(&file, line, key, nth)).unwrap_err());
        assert_eq!(
            (status, code.as_str(), reason.as_str(), field),
            (409, "audit_export_invalid", expected, format!("line:{line}")),
            "a flipped byte in {key} on line {line}"
        );
    }
    // A byte that breaks the JSON itself.
    let mut broken = lines(&file);
    broken[4].insert(0, 'x');
    let (status, code, reason, field) = refusal(verify(&t, &join(&broken)).unwrap_err());
    assert_eq!(
        (status, code.as_str(), reason.as_str(), field.as_str()),
        (422, "audit_export_malformed", "line_malformed", "line:5")
    );
}

#[test]
fn removed_reordered_and_added_lines_are_found() {
    let (mut t, _) = trail();
    let file = export(&mut t, None);
    let lines = lines(&file);
    let n = lines.len();
    let check = |l: Vec<String>| {
        let (status, code, reason, field) = refusal(verify(&t, &join(&l)).unwrap_err());
        assert_eq!((status, code.as_str()), (409, "audit_export_invalid"));
        (reason, field)
    };

    let mut removed = lines.clone();
    removed.remove(3);
    assert_eq!(check(removed), ("chain_link_broken".into(), "line:4".into()), "the event after the gap");

    let mut first_removed = lines.clone();
    first_removed.remove(0);
    assert_eq!(check(first_removed), ("chain_link_broken".into(), "line:1".into()));

    let mut last_removed = lines.clone();
    last_removed.remove(n - 2);
    assert_eq!(check(last_removed), ("event_count_mismatch".into(), format!("line:{}", n - 1)));

    let mut swapped = lines.clone();
    swapped.swap(2, 3);
    assert_eq!(check(swapped), ("chain_link_broken".into(), "line:4".into()), "event 3 after event 4");

    let mut doubled = lines.clone();
    doubled.insert(3, lines[2].clone());
    assert_eq!(check(doubled), ("chain_link_broken".into(), "line:4".into()));
}

#[test]
fn a_truncated_file_or_a_csv_export_is_not_a_signed_export() {
    let (mut t, _) = trail();
    let file = export(&mut t, None);
    let mut csv = Vec::new();
    t.app.export_audit(&t.actor, None, "csv", &mut csv).unwrap();
    let n = lines(&file).len();
    let refused = |bytes: &[u8]| {
        let (status, code, reason, field) = refusal(verify(&t, bytes).unwrap_err());
        assert_eq!((status, code.as_str()), (422, "audit_export_malformed"));
        (reason, field)
    };
    // Cut in the middle of a line, and cut at the end of a line.
    let third_line = lines(&file)[..2].iter().map(|l| l.len() + 1).sum::<usize>();
    assert_eq!(refused(&file[..third_line + 10]), ("line_malformed".into(), "line:3".into()));
    let whole_lines = join(&lines(&file)[..n - 1]);
    assert_eq!(refused(&whole_lines), ("signature_missing".into(), format!("line:{n}")));
    assert_eq!(refused(b""), ("signature_missing".into(), "line:1".into()));
    let mut trailing = file.clone();
    trailing.extend_from_slice(b"{}\n");
    assert_eq!(refused(&trailing), ("line_malformed".into(), format!("line:{}", n + 1)));

    // CSV exports are never signed (docs/audit-export.md): there is nothing to verify.
    assert!(!String::from_utf8(csv.clone()).unwrap().contains("signature"));
    assert_eq!(refused(&csv), ("line_malformed".into(), "line:1".into()));
}

#[test]
fn the_real_binary_verifies_an_export_with_no_data_directory_and_no_user() {
    let device = tempfile::tempdir().unwrap();
    let data = device.path().join("data");
    let dossier = |args: &[&str], home: &std::path::Path| {
        let out = Command::new(binary())
            .args(args)
            .env_remove("DOSSIER_DATA_DIR")
            .env_remove("DOSSIER_USER")
            .env("DOSSIER_PASSWORD", crate::support::PASSWORD)
            .env("DOSSIER_NEW_PASSWORD", crate::support::PASSWORD)
            .env("DOSSIER_PASSPHRASE", crate::support::TEST_PASSPHRASE)
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("share"))
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        (out.status.code().unwrap(), serde_json::from_str::<Value>(&stdout).unwrap_or(Value::Null), stdout)
    };
    let d = data.to_str().unwrap();
    assert_eq!(dossier(&["--data-dir", d, "init", "--admin", "admin"], device.path()).0, 0);
    let add = ["--data-dir", d, "--user", "admin", "user", "add", "clerk", "--role", "branch_staff"];
    assert_eq!(dossier(&add, device.path()).0, 0);
    let input = device.path().join("c.json");
    std::fs::write(&input, complete_individual("BIN-X").to_string()).unwrap();
    assert_eq!(
        dossier(
            &["--data-dir", d, "--user", "clerk", "customer", "create", "--input", input.to_str().unwrap()],
            device.path()
        )
        .0,
        0
    );
    let out = device.path().join("trail.jsonl");
    let (code, summary, _) = dossier(
        &["--data-dir", d, "--user", "clerk", "export", "audit", "--format", "jsonl", "--out", out.to_str().unwrap()],
        device.path(),
    );
    assert_eq!(code, 0, "{summary}");
    let (code, key, _) = dossier(&["--data-dir", d, "--user", "clerk", "audit", "key"], device.path());
    assert_eq!(code, 0);
    assert_eq!(summary["device_key_fingerprint"], key["fingerprint"], "the summary names the key that signed");
    assert_eq!(summary["rows"], 4, "two users, a customer, the device key");

    // An auditor's machine: no data directory anywhere, no user.
    let auditor = tempfile::tempdir().unwrap();
    let (code, check, stdout) = dossier(&["audit", "verify", "--export", out.to_str().unwrap()], auditor.path());
    assert_eq!(code, 0, "{stdout}");
    assert_eq!((check["valid"].clone(), check["events"].clone()), (json!(true), json!(4)));
    assert_eq!(check["device_key_fingerprint"], key["fingerprint"]);
    assert_eq!(check["signed_by_this_device"], Value::Null);
    assert_eq!(std::fs::read_dir(auditor.path()).unwrap().count(), 0, "checking a file creates no data directory");

    // On the device itself it knows its own key.
    let (code, check, _) =
        dossier(&["--data-dir", d, "audit", "verify", "--export", out.to_str().unwrap()], device.path());
    assert_eq!((code, check["signed_by_this_device"].clone()), (0, json!(true)));

    // A changed file: exit 3 and the error body.
    let changed = flip(&std::fs::read(&out).unwrap(), 1, "actor", 1);
    std::fs::write(&out, changed).unwrap();
    let (code, body, _) = dossier(&["audit", "verify", "--export", out.to_str().unwrap()], auditor.path());
    assert_eq!(
        (code, body["code"].as_str(), body["reasons"][0]["field"].as_str()),
        (3, Some("audit_export_invalid"), Some("line:1"))
    );
    let (code, body, _) = dossier(&["audit", "verify", "--export", "/nonexistent/trail.jsonl"], auditor.path());
    assert_eq!((code, body["reasons"][0]["code"].as_str()), (2, Some("input_unreadable")));
}
