//! The audit trail: one event per change, appended in the same transaction, never editable,
//! and free of personal data in its summaries.

use crate::support::{TestApp, complete_individual};

#[test]
fn audit_events_cannot_be_updated_or_deleted() {
    let mut t = TestApp::new();
    t.create(complete_individual("A-1"));
    let conn = crate::support::open_db(t.db_path()).unwrap();
    let count = || -> i64 { conn.query_row("SELECT count(*) FROM audit_events", [], |r| r.get(0)).unwrap() };
    let before = count();
    let update = conn.execute("UPDATE audit_events SET actor = 'mallory'", []).unwrap_err();
    assert!(update.to_string().contains("append-only"), "{update}");
    let delete = conn.execute("DELETE FROM audit_events", []).unwrap_err();
    assert!(delete.to_string().contains("append-only"), "{delete}");
    assert_eq!(count(), before);
}

#[test]
fn audit_events_name_actor_action_entity_and_time_without_personal_data() {
    let mut t = TestApp::new();
    let id = t.complete_individual("A-2");
    t.app.verify(&t.actor, &id, "partial", Some("seen in branch")).unwrap();
    let events = t.app.audit_events(&t.actor, Some(&id), None, None).unwrap().items;
    let create = &events[0];
    assert_eq!(create.action, "customer.create");
    assert_eq!(create.actor, "tester");
    assert_eq!(create.entity_type, "customer");
    assert_eq!(create.entity_id, id);
    assert_eq!(create.at, "2026-11-22T12:00:00.000000Z");
    assert_eq!(
        create.summary,
        serde_json::json!({"type": "individual", "state": "pending", "addresses": 1, "contacts": 2,
            "documents": 1, "tax_details": 1, "members": 0})
    );
    let verify = events.last().unwrap();
    assert_eq!(verify.summary, serde_json::json!({"from": "pending", "to": "verified", "level": "partial"}));
    assert_eq!(verify.reason.as_deref(), Some("seen in branch"));

    let everything = serde_json::to_string(&events).unwrap();
    for personal in
        ["Ana", "Silva", "ana@example.com", "4155550100", "X1234567", "123456789", "1 Main St", "1988-04-12"]
    {
        assert!(!everything.contains(personal), "audit summaries leak {personal}: {everything}");
    }
}

#[test]
fn the_audit_list_pages_in_order() {
    let mut t = TestApp::new();
    for n in 0..5 {
        t.create(complete_individual(&format!("A-P{n}")));
    }
    // Two users were added first (the admin and the tester): seven events in all.
    let first = t.app.audit_events(&t.actor, None, Some(2), None).unwrap();
    assert_eq!(first.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    let second = t.app.audit_events(&t.actor, None, Some(2), first.next.as_deref()).unwrap();
    assert_eq!(second.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
    let third = t.app.audit_events(&t.actor, None, Some(3), second.next.as_deref()).unwrap();
    assert_eq!(third.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [5, 6, 7]);
    assert!(third.next.is_none());
}

/// An audit row as stored: seq, id, at, actor, action, entity kind, entity id, reason, summary.
type StoredEvent = (i64, Vec<u8>, String, String, String, String, Vec<u8>, Option<String>, String);

/// A journey that writes a handful of events.
fn trail() -> (TestApp, String) {
    let mut t = TestApp::new();
    let id = t.verified_individual("AC-1", "full");
    t.app.activate(&t.actor, &id).unwrap();
    t.create(complete_individual("AC-2"));
    (t, id)
}

fn raw(t: &TestApp) -> rusqlite::Connection {
    let conn = crate::support::open_db(t.db_path()).unwrap();
    // Someone with the database file in hand (and, once it is encrypted, its key) removes the
    // guards first.
    conn.execute_batch("DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;").unwrap();
    conn
}

fn count(t: &TestApp) -> u64 {
    let conn = crate::support::open_db(t.db_path()).unwrap();
    conn.query_row("SELECT count(*) FROM audit_events", [], |r| r.get::<_, i64>(0)).unwrap().try_into().unwrap()
}

#[test]
fn an_untouched_trail_verifies_from_first_event_to_last() {
    let (t, _) = trail();
    let v = t.app.audit_verify(&t.actor, |_| {}).unwrap();
    assert!(v.intact);
    assert_eq!(v.events, count(&t));
    assert!(v.events >= 6, "{v:?}");
    assert_eq!(v.head.as_deref().map(str::len), Some(64));
    // The chain grows with every change and stays intact.
    let before = v.head.clone();
    let mut t = t;
    t.create(complete_individual("AC-3"));
    let after = t.app.audit_verify(&t.actor, |_| {}).unwrap();
    assert!(after.intact && after.events == v.events + 1 && after.head != before);
}

#[test]
fn an_edited_event_is_named_as_the_first_broken_link_without_its_content() {
    let (t, _) = trail();
    raw(&t).execute("UPDATE audit_events SET summary = '{\"secret\":\"Ana Silva\"}' WHERE seq = 3", []).unwrap();
    let e = t.app.audit_verify(&t.actor, |_| {}).unwrap_err();
    assert_eq!((e.status(), e.code()), (409, "audit_chain_broken"));
    assert!(e.body().message.starts_with("the audit trail was changed: event 3 "), "{}", e.body().message);
    assert!(e.body().message.contains("2 events before it are intact"));
    assert!(!e.body().message.contains("Ana"), "the message names the event, never its content");
}

#[test]
fn a_removed_event_and_a_rewritten_hash_are_both_caught() {
    let (t, _) = trail();
    raw(&t).execute("DELETE FROM audit_events WHERE seq = 2", []).unwrap();
    let e = t.app.audit_verify(&t.actor, |_| {}).unwrap_err();
    assert!(e.body().message.contains("event 3 "), "the event after the gap: {}", e.body().message);

    // Rewriting one event's hash to match its edited content still breaks the next link.
    let (t, _) = trail();
    let conn = raw(&t);
    conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 4", []).unwrap();
    let (prev, row): (Vec<u8>, StoredEvent) = (
        conn.query_row("SELECT hash FROM audit_events WHERE seq = 3", [], |r| r.get(0)).unwrap(),
        conn.query_row(
            "SELECT seq, id, at, actor, action, entity_kind, entity_id, reason, summary FROM audit_events WHERE seq = 4",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
        )
        .unwrap(),
    );
    let forged = dossier_store::chain_hash(
        &prev.try_into().unwrap(),
        row.0,
        &row.1.try_into().unwrap(),
        &row.2,
        &row.3,
        &row.4,
        &row.5,
        &row.6.try_into().unwrap(),
        row.7.as_deref(),
        &row.8,
    );
    conn.execute("UPDATE audit_events SET hash = ?1 WHERE seq = 4", [forged.as_slice()]).unwrap();
    let e = t.app.audit_verify(&t.actor, |_| {}).unwrap_err();
    assert!(e.body().message.contains("event 5 "), "{}", e.body().message);
}

#[test]
fn events_from_before_the_chain_are_sealed_in_order_when_the_database_opens() {
    let (t, _) = trail();
    let events = count(&t);
    let live_head = t.app.audit_verify(&t.actor, |_| {}).unwrap().head;
    {
        // As a database written before migration 0007 looks: events without hashes.
        let conn = raw(&t);
        conn.execute("UPDATE audit_events SET hash = NULL", []).unwrap();
    }
    let reopened = crate::support::reopen(
        t.data_dir(),
        std::sync::Arc::new(dossier_app::SystemClock),
        std::sync::Arc::new(dossier_app::UuidV7),
    )
    .unwrap();
    let v = reopened.audit_verify(&t.actor, |_| {}).unwrap();
    assert_eq!((v.intact, v.events), (true, events));
    assert_eq!(v.head, live_head, "sealing computes exactly the hashes written live");
    // The seal is the only update the trail accepts (the guard is back after a fresh migration).
    let fresh = TestApp::new();
    let conn = crate::support::open_db(fresh.db_path()).unwrap();
    let mut fresh = fresh;
    fresh.create(complete_individual("AC-9"));
    let e = conn.execute("UPDATE audit_events SET hash = zeroblob(32)", []).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
}
