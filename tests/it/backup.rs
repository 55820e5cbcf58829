//! Backups: online and consistent, encrypted, and a restore that checks everything before it
//! replaces anything.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dossier_app::{SystemClock, UuidV7};
use serde_json::Value;

use crate::cli::run_binary;
use crate::support::{TEST_PASSPHRASE, TestApp, complete_individual, minimal_individual, passphrase, reopen};

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Every file under `dir` with its bytes, sorted: to show a directory was not touched.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { stack.push(path) } else { out.push((path.clone(), std::fs::read(&path).unwrap())) }
        }
    }
    out.sort();
    out
}

fn with_scan(t: &mut TestApp) -> String {
    let scan = t.data_dir().parent().unwrap().join(format!("poa-{}.pdf", std::process::id()));
    std::fs::write(&scan, b"%PDF-1.4\nproof of address for the backup test\n%%EOF\n").unwrap();
    let stored = t.app.attach_file(&t.actor, &scan).unwrap();
    std::fs::remove_file(&scan).unwrap();
    stored.reference
}

fn customers_csv(app: &mut dossier_app::Dossier) -> String {
    let mut out = Vec::new();
    let actor = crate::support::tester(app);
    app.export_customers(&actor, &Default::default(), "csv", &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_backup_restores_into_a_new_directory_with_everything_and_nothing_readable_in_it() {
    let mut t = TestApp::new();
    let ids: Vec<String> = (0..5).map(|n| t.complete_individual(&format!("BK-{n}"))).collect();
    let reference = with_scan(&mut t);
    let exported = customers_csv(&mut t.app);
    let audit = t.app.audit_verify(&t.actor, |_| {}).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("dossier.backup");
    let made = t.app.backup(&t.actor, &file).unwrap();
    assert_eq!((made.scans, made.bytes > 0), (1, true));
    // Another backup to the same name is refused: a backup is never overwritten.
    assert_eq!(t.app.backup(&t.actor, &file).unwrap_err().code(), "invalid_input");
    let bytes = std::fs::read(&file).unwrap();
    for plain in ["Silva", "X1234567", "ana@example.com", "proof of address"] {
        assert!(!bytes.windows(plain.len()).any(|w| w == plain.as_bytes()), "the backup holds plain text");
    }

    let target = tmp.path().join("restored");
    let restored = dossier_app::backup::restore(&target, &file, &passphrase(), now()).unwrap();
    assert_eq!((restored.previous, restored.audit_events, restored.scans), (None, audit.events, 1));
    let mut app = reopen(&target, Arc::new(SystemClock), Arc::new(UuidV7)).unwrap();
    let me = crate::support::tester(&app);
    assert_eq!(app.audit_verify(&me, |_| {}).unwrap().head, audit.head, "the same audit trail");
    assert_eq!(customers_csv(&mut app), exported, "the same customers");
    assert!(app.file_content(&me, &reference).unwrap().data_base64.len() > 10);
    // The search index is keyed by the customers' row numbers: the restored one still finds
    // each customer by its ref id and only that one, and pages through all of them in order.
    for (n, id) in ids.iter().enumerate() {
        let q = dossier_app::dto::QueueQuery { search: Some(format!("BK-{n}")), ..Default::default() };
        let found: Vec<String> = app.queue(&me, &q).unwrap().items.into_iter().map(|i| i.id).collect();
        assert_eq!(found, vec![id.clone()], "search for BK-{n} after the restore");
    }
    let q = dossier_app::dto::QueueQuery { search: Some("silva".into()), ..Default::default() };
    let mut found: Vec<String> = app.queue(&me, &q).unwrap().items.into_iter().map(|i| i.id).collect();
    found.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(found, expected, "a name search after the restore");
}

#[test]
fn restoring_over_a_data_directory_keeps_the_old_one_aside() {
    let mut t = TestApp::new();
    t.create(minimal_individual("OLD-1"));
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("b.tar");
    t.app.backup(&t.actor, &file).unwrap();
    t.create(minimal_individual("NEWER-1"));
    let dir = t.data_dir().to_path_buf();
    drop(t.app);
    let restored = dossier_app::backup::restore(&dir, &file, &passphrase(), now()).unwrap();
    let previous = PathBuf::from(restored.previous.expect("the old data was kept"));
    let mut app = reopen(&dir, Arc::new(SystemClock), Arc::new(UuidV7)).unwrap();
    let csv = customers_csv(&mut app);
    assert!(csv.contains("OLD-1") && !csv.contains("NEWER-1"), "the directory is as it was at the backup");
    let mut old = reopen(&previous, Arc::new(SystemClock), Arc::new(UuidV7)).unwrap();
    assert!(customers_csv(&mut old).contains("NEWER-1"), "what the backup did not have is still in the old directory");
}

#[test]
fn a_damaged_or_changed_backup_or_a_wrong_passphrase_replaces_nothing() {
    let mut t = TestApp::new();
    t.complete_individual("TAMPER-1");
    with_scan(&mut t);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("good.backup");
    t.app.backup(&t.actor, &file).unwrap();
    let good = std::fs::read(&file).unwrap();
    // The directory a restore would replace.
    let mut target = TestApp::new();
    target.create(minimal_individual("KEEP-1"));
    let dir = target.data_dir().to_path_buf();
    drop(target.app);
    let before = snapshot(&dir);
    // The directory's siblings a restore would make (other tests share the parent).
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let siblings = move |parent: &Path| -> Vec<String> {
        let mut found: Vec<String> = std::fs::read_dir(parent)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != &name && n.contains(name.as_str()))
            .collect();
        found.sort();
        found
    };
    let parent_before = siblings(dir.parent().unwrap());

    let attempt = |bytes: &[u8], pass: &str| {
        let path = tmp.path().join("attempt.backup");
        std::fs::write(&path, bytes).unwrap();
        let e =
            dossier_app::backup::restore(&dir, &path, &dossier_app::Passphrase::new(pass.into()), now()).unwrap_err();
        assert_eq!(snapshot(&dir), before, "the data directory is untouched");
        assert_eq!(siblings(dir.parent().unwrap()), parent_before, "no staging directory is left behind");
        (e.status(), e.code().to_owned())
    };
    assert_eq!(attempt(&good, "not the passphrase"), (401, "wrong_passphrase".into()));
    // A byte flipped in a tar header, in the database (most of the file), and in a digest the
    // manifest lists.
    let needle = b"\"sha256\": \"";
    let in_manifest = good.windows(needle.len()).position(|w| w == needle).expect("a manifest") + needle.len() + 3;
    for at in [100, good.len() / 3, good.len() / 2, in_manifest] {
        let mut bad = good.clone();
        bad[at] ^= 0x5a;
        let (status, code) = attempt(&bad, TEST_PASSPHRASE);
        assert!(
            (status, code.as_str()) == (422, "backup_invalid") || (status, code.as_str()) == (401, "wrong_passphrase"),
            "byte {at}: {status} {code}"
        );
    }
    assert_eq!(attempt(&good[..good.len() / 2], TEST_PASSPHRASE), (422, "backup_invalid".into()));
    assert_eq!(attempt(b"not a backup at all", TEST_PASSPHRASE), (422, "backup_invalid".into()));
}

#[test]
fn a_backup_taken_while_the_app_writes_is_one_consistent_moment() {
    let mut t = TestApp::on_real_clock();
    t.create(complete_individual("LIVE-0"));
    let writer = t.app.reopen().unwrap();
    let actor = t.actor.clone();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopping = stop.clone();
    let handle = std::thread::spawn(move || {
        let mut writer = writer;
        let mut n = 1;
        while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
            let input = dossier_app::input::from_json(&minimal_individual(&format!("LIVE-{n}")).to_string()).unwrap();
            writer.create_customer(&actor, &input).unwrap();
            n += 1;
        }
        n
    });
    std::thread::sleep(std::time::Duration::from_millis(150));
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("live.backup");
    t.app.backup(&t.actor, &file).unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = handle.join().unwrap();
    let target = tmp.path().join("restored");
    let restored = dossier_app::backup::restore(&target, &file, &passphrase(), now()).unwrap();
    let mut app = reopen(&target, Arc::new(SystemClock), Arc::new(UuidV7)).unwrap();
    let rows = customers_csv(&mut app).lines().count() - 1;
    assert!(rows >= 2 && rows <= written, "{rows} of {written}");
    assert!(restored.audit_events > 0, "the chain verified on restore");
}

#[test]
fn backup_and_restore_from_the_command_line_and_a_restore_cut_short_is_finished() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    crate::cli::init_binary(&dir, "clerk", &["branch_staff"]);
    let (code, out, _) = run_binary(
        &dir,
        &["customer", "create", "--input", "-"],
        Some(&minimal_individual("CLI-BK").to_string()),
        "clerk",
    );
    assert_eq!(code, 0, "{out}");
    let file = tmp.path().join("cli.backup");
    let (code, out, _) = run_binary(&dir, &["backup", file.to_str().unwrap()], None, "clerk");
    assert_eq!(
        (code, serde_json::from_str::<Value>(&out).unwrap()["code"].as_str()),
        (3, Some("role_required")),
        "backups are an admin's"
    );
    let (code, out, _) = run_binary(&dir, &["backup", file.to_str().unwrap()], None, "admin");
    assert_eq!(code, 0, "{out}");
    let made: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(made["path"], file.to_str().unwrap());
    let fresh = tmp.path().join("fresh");
    let (code, out, _) = run_binary(&fresh, &["restore", file.to_str().unwrap()], None, "clerk");
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = run_binary(&fresh, &["export", "customers"], None, "clerk");
    assert!(code == 0 && out.contains("CLI-BK"), "{out}");
    let (code, out, _) = run_binary(&fresh, &["restore", tmp.path().join("missing").to_str().unwrap()], None, "clerk");
    assert_eq!(code, 2, "{out}");

    // Cut short between its two renames: the old data moved aside, the verified staging
    // directory not yet in place. The next command puts it there.
    let stage = tmp.path().join(".fresh.restore-1");
    std::fs::rename(&fresh, &stage).unwrap();
    std::fs::write(stage.join(".restore-verified"), b"").unwrap();
    assert!(!fresh.exists());
    let out = std::process::Command::new(crate::cli::binary())
        .arg("--data-dir")
        .arg(&fresh)
        .args(["export", "customers"])
        .env("DOSSIER_PASSPHRASE", TEST_PASSPHRASE)
        .env("DOSSIER_USER", "clerk")
        .env("DOSSIER_PASSWORD", crate::support::PASSWORD)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("CLI-BK"), "{text}");
    assert!(!stage.exists() && !fresh.join(".restore-verified").exists());
}
