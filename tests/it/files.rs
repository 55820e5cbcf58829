//! Scans: attached into the data directory by content, read back by reference only, and
//! refused (changing nothing) when they are not scans or are not stored.

use serde_json::json;

use crate::support::{TestApp, body, complete_individual};

const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
const PDF: &[u8] = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n";

#[test]
fn a_scan_is_stored_once_by_content_and_read_back_by_reference() {
    let t = TestApp::new();
    let outside = tempfile::tempdir().unwrap();
    let path = outside.path().join("passport-front.png");
    std::fs::write(&path, PNG).unwrap();
    let stored = t.app.attach_file(&t.actor, &path).unwrap();
    assert!(stored.reference.starts_with("file:") && stored.reference.len() == 5 + 64);
    assert_eq!(
        (stored.media_type.as_str(), stored.size, stored.name.as_str()),
        ("image/png", 16, "passport-front.png")
    );
    // The original may go away: the stored copy stays.
    std::fs::remove_file(&path).unwrap();
    let content = t.app.file_content(&t.actor, &stored.reference).unwrap();
    assert_eq!(content.media_type, "image/png");
    use base64::Engine;
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(content.data_base64).unwrap(), PNG);
    // The same bytes under another name are the same stored scan.
    let again = outside.path().join("copy.png");
    std::fs::write(&again, PNG).unwrap();
    assert_eq!(t.app.attach_file(&t.actor, &again).unwrap().reference, stored.reference);
    let pdf = outside.path().join("statement");
    std::fs::write(&pdf, PDF).unwrap();
    assert_eq!(
        t.app.attach_file(&t.actor, &pdf).unwrap().media_type,
        "application/pdf",
        "the type comes from the content"
    );
}

#[test]
fn files_that_are_not_scans_are_refused_and_nothing_is_stored() {
    let t = TestApp::new();
    let outside = tempfile::tempdir().unwrap();
    let text = outside.path().join("notes.png");
    std::fs::write(&text, b"not an image").unwrap();
    let big = outside.path().join("huge.pdf");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(dossier_app::files::MAX_FILE_BYTES + 1).unwrap();
    for (path, code) in [
        (text.as_path(), "unsupported_file_type"),
        (big.as_path(), "file_too_large"),
        (outside.path(), "file_unreadable"),
        (&outside.path().join("missing.png"), "file_unreadable"),
    ] {
        let e = t.app.attach_file(&t.actor, path).unwrap_err();
        assert_eq!(body(&e)["status"], 400);
        assert_eq!(body(&e)["reasons"][0]["code"], code);
        assert_eq!(body(&e)["reasons"][0]["field"], "path");
        assert!(!e.body().message.contains("huge") && !e.body().message.contains("notes"), "no file names in errors");
    }
    assert!(
        !t.data_dir().join("files").exists() || std::fs::read_dir(t.data_dir().join("files")).unwrap().count() == 0
    );
    let e = t.app.file_content(&t.actor, "file:../../etc/passwd").unwrap_err();
    assert_eq!(body(&e)["reasons"][0]["code"], "invalid_id");
    let e = t.app.file_content(&t.actor, &format!("file:{}", "ab".repeat(32))).unwrap_err();
    assert_eq!((e.status(), e.code()), (404, "file_not_found"));
}

#[test]
fn a_damaged_stored_scan_is_reported_not_shown() {
    let t = TestApp::new();
    let outside = tempfile::tempdir().unwrap();
    let path = outside.path().join("id.png");
    std::fs::write(&path, PNG).unwrap();
    let stored = t.app.attach_file(&t.actor, &path).unwrap();
    let hex = stored.reference.trim_start_matches("file:");
    let on_disk = t.data_dir().join("files").join(&hex[..2]).join(hex);
    std::fs::write(&on_disk, b"\x89PNG\r\n\x1a\ntampered").unwrap();
    let e = t.app.file_content(&t.actor, &stored.reference).unwrap_err();
    assert_eq!((e.status(), e.code()), (500, "storage_error"));
}

#[test]
fn documents_and_evidence_must_name_stored_scans() {
    let mut t = TestApp::new();
    let missing = format!("file:{}", "cd".repeat(32));
    let mut input = complete_individual("F-0001");
    input["documents"][0]["files"] = json!([{"role": "front", "reference": missing}]);
    let before = t.counts();
    let e = t.app.create_customer(&t.actor, &serde_json::from_value(input.clone()).unwrap()).unwrap_err();
    assert_eq!(body(&e)["reasons"][0]["field"], "documents[0].files[0].reference");
    assert_eq!(body(&e)["reasons"][0]["code"], "file_not_found");
    assert_eq!(t.counts(), before, "a refused create changes nothing");
    // A provider's own document id is not a local file and is taken as it is.
    input["documents"][0]["files"] = json!([{"role": "front", "reference": "doc_7f3a"}]);
    let id = t.create(input);
    let case = t.verified_individual("F-0002", "full");
    let case = t.app.open_edd(&t.actor, &case).unwrap().id;
    let before = t.counts();
    let evidence = serde_json::from_value(json!({"item": "source_of_funds", "reference": missing})).unwrap();
    let e = t.app.add_evidence(&t.actor, &case, &evidence).unwrap_err();
    assert_eq!(body(&e)["reasons"][0]["field"], "reference");
    assert_eq!(t.counts(), before);
    let _ = id;
}
