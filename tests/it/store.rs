//! The store's promises: migrations on open, a newer database refused untouched, the house
//! pragmas, and indexes behind every list filter.

use std::sync::Arc;

use dossier_app::{Dossier, FixedClock, SequentialIds};

use crate::support::{NOW, TestApp, minimal_individual};

fn open(dir: &std::path::Path) -> dossier_app::Result<Dossier> {
    crate::support::reopen(dir, Arc::new(FixedClock::new(NOW)), Arc::new(SequentialIds::default()))
}

#[test]
fn a_fresh_directory_is_created_and_migrated() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("nested").join("data");
    crate::support::init(&dir, Arc::new(FixedClock::new(NOW)), Arc::new(SequentialIds::default()));
    let conn = crate::support::open_db(Dossier::database_path(&dir)).unwrap();
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version as usize, dossier_store::MIGRATIONS.len());
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn data_survives_reopening() {
    let mut t = TestApp::new();
    let id = t.create(minimal_individual("RE-1"));
    let dir = t.dir.path().to_path_buf();
    drop(t.app);
    let again = open(&dir).unwrap();
    assert_eq!(again.customer(&t.actor, &id).unwrap().ref_id, "RE-1");
}

#[test]
fn a_database_from_a_newer_version_is_refused_and_left_untouched() {
    let t = TestApp::new();
    let path = t.db_path();
    {
        let conn = crate::support::open_db(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let e = open(t.data_dir()).err().expect("refused");
    assert_eq!((e.status(), e.code()), (409, "database_too_new"));
    assert!(e.body().message.contains("newer version of Dossier"), "{}", e.body().message);
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file is not modified");
}

/// SQLite's plan for `sql`, its steps joined with "; ".
fn query_plan(conn: &rusqlite::Connection, sql: &str) -> String {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap();
    rows.map(|r| r.unwrap()).collect::<Vec<_>>().join("; ")
}

/// `sync status` (and the end of every `sync run`) never reads every message's row: the counts
/// come from the customer index alone, the oldest waiting message from the waiting ones.
#[test]
fn the_outbox_counts_read_an_index_not_every_message() {
    let t = TestApp::new();
    let conn = crate::support::open_db(t.db_path()).unwrap();
    let plan = |sql: &str| query_plan(&conn, sql);
    let counts = plan(
        "SELECT provider, status, count(*) FROM outbox INDEXED BY outbox_by_customer
         GROUP BY provider, status ORDER BY provider, status",
    );
    assert!(counts.contains("SCAN outbox USING COVERING INDEX outbox_by_customer"), "{counts}");
    let oldest = plan(
        "SELECT provider, status, min(created_at) FROM outbox WHERE status IN ('pending', 'in_flight')
         GROUP BY provider, status",
    );
    assert!(oldest.contains("SEARCH outbox USING INDEX outbox_by_status (status=?)"), "{oldest}");
}

#[test]
fn every_list_filter_is_served_by_an_index() {
    let t = TestApp::new();
    let conn = crate::support::open_db(t.db_path()).unwrap();
    let plan = |sql: &str| query_plan(&conn, sql);
    for (sql, index) in [
        (
            "SELECT id FROM customers WHERE state = 'pending' AND id < x'00' ORDER BY id DESC LIMIT 51",
            "customers_by_state",
        ),
        ("SELECT id FROM customers WHERE id < x'00' ORDER BY id DESC LIMIT 51", "sqlite_autoindex_customers_1"),
        ("SELECT id FROM customers WHERE ref_id = 'R'", "sqlite_autoindex_customers_2"),
        (
            "SELECT seq FROM audit_events WHERE entity_id = x'00' AND seq > 5 ORDER BY seq LIMIT 51",
            "audit_events_by_entity",
        ),
        ("SELECT id FROM addresses WHERE customer_id = x'00' ORDER BY position", "addresses_by_customer"),
        ("SELECT id FROM contacts WHERE customer_id = x'00' ORDER BY position", "contacts_by_customer"),
        // The worker's claim reads each status in seq order and stops after what it needs, so
        // it costs the same however many messages wait (no sort of every pending message); it
        // asks each message it reads whether an older one of the aggregate is unfinished.
        (
            "SELECT seq FROM outbox o WHERE o.status = 'pending' AND o.next_attempt_at <= 'x'
             AND ('cybrid' IS NULL OR o.provider = 'cybrid')
             AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.provider = o.provider AND e.aggregate_id = o.aggregate_id
                             AND e.status IN ('pending', 'in_flight', 'needs_attention') AND e.seq < o.seq)
             ORDER BY o.seq",
            "outbox_by_status + COVERING INDEX outbox_by_customer",
        ),
        // When the next message is due: the same walk of the waiting statuses.
        (
            "SELECT min(o.next_attempt_at) FROM outbox o WHERE o.status IN ('pending', 'in_flight')
             AND ('cybrid' IS NULL OR o.provider = 'cybrid')
             AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.provider = o.provider AND e.aggregate_id = o.aggregate_id
                             AND e.status = 'needs_attention' AND e.seq < o.seq)",
            "outbox_by_status + COVERING INDEX outbox_by_customer",
        ),
        // Whether an older message of the same provider and customer is unfinished: read from
        // the customer's index alone (migration 0013), never by walking every waiting message.
        (
            "SELECT 1 FROM outbox e WHERE e.provider = 'cybrid' AND e.aggregate_id = x'00'
             AND e.status IN ('pending', 'in_flight', 'needs_attention') AND e.seq < 9",
            "COVERING INDEX outbox_by_customer",
        ),
        (
            "SELECT 1 FROM outbox e WHERE e.provider = 'cybrid' AND e.aggregate_id = x'00'
             AND e.status = 'needs_attention' AND e.seq < 9",
            "COVERING INDEX outbox_by_customer",
        ),
        // A customer's page: its messages in delivery order, of one status or all.
        ("SELECT seq FROM outbox WHERE seq > 0 AND aggregate_id = x'00' ORDER BY seq LIMIT 51", "outbox_by_customer"),
        (
            "SELECT seq FROM outbox WHERE seq > 0 AND status = 'done' AND aggregate_id = x'00' ORDER BY seq LIMIT 51",
            "outbox_by_customer",
        ),
    ] {
        let p = plan(sql);
        // "a + b": the plan uses both (a query and its subquery).
        assert!(index.split(" + ").all(|i| p.contains(i)), "{sql}\n  uses: {p}");
        assert!(!p.contains("TEMP B-TREE"), "{sql}\n  sorts in memory: {p}");
    }
    // The claim's search for expired leases reads the in-flight messages whose lease ran out,
    // from the index of leases (migration 0016), and sorts only those: not every message a
    // running drain has in flight.
    let expired = plan(
        "SELECT seq FROM outbox o INDEXED BY outbox_leases
         WHERE o.status = 'in_flight' AND o.next_attempt_at <= 'x' AND ('cybrid' IS NULL OR o.provider = 'cybrid')
           AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.provider = o.provider AND e.aggregate_id = o.aggregate_id
                           AND e.status IN ('pending', 'in_flight', 'needs_attention') AND e.seq < o.seq)
         ORDER BY o.seq",
    );
    assert!(expired.contains("SEARCH o USING INDEX outbox_leases (next_attempt_at<?)"), "{expired}");
}
