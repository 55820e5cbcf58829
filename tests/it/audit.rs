//! The audit trail: one event per change, appended in the same transaction, never editable,
//! and free of personal data in its summaries.

use crate::support::{TestApp, complete_individual};

#[test]
fn audit_events_cannot_be_updated_or_deleted() {
    let mut t = TestApp::new();
    t.create(complete_individual("A-1"));
    let conn = rusqlite::Connection::open(t.db_path()).unwrap();
    let update = conn.execute("UPDATE audit_events SET actor = 'mallory'", []).unwrap_err();
    assert!(update.to_string().contains("append-only"), "{update}");
    let delete = conn.execute("DELETE FROM audit_events", []).unwrap_err();
    assert!(delete.to_string().contains("append-only"), "{delete}");
    let count: i64 = conn.query_row("SELECT count(*) FROM audit_events", [], |r| r.get(0)).unwrap();
    assert_eq!(count, 1);
}

#[test]
fn audit_events_name_actor_action_entity_and_time_without_personal_data() {
    let mut t = TestApp::new();
    let id = t.complete_individual("A-2");
    t.app.verify(&t.actor, &id, "partial", Some("seen in branch")).unwrap();
    let events = t.app.audit_events(Some(&id), None, None).unwrap().items;
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
    let first = t.app.audit_events(None, Some(2), None).unwrap();
    assert_eq!(first.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    let second = t.app.audit_events(None, Some(2), first.next.as_deref()).unwrap();
    assert_eq!(second.items.iter().map(|e| e.seq).collect::<Vec<_>>(), [3, 4]);
    let third = t.app.audit_events(None, Some(2), second.next.as_deref()).unwrap();
    assert_eq!(third.items.len(), 1);
    assert!(third.next.is_none());
}
