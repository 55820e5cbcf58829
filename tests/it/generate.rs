//! `dossier dev generate`: the same seed gives the same database, proportions are realistic, a
//! data directory with customers is refused untouched, and the generated rows are what the app
//! itself would have written: derived columns recompute to the stored values, and every read
//! command and queue filter works on them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use dossier_app::dto::QueueQuery;
use dossier_app::generate::GenerateOptions;
use rusqlite::types::Value as Sql;
use serde_json::Value;

use crate::support::{TABLES, TestApp, minimal_individual};

fn generate(t: &mut TestApp, customers: u64, seed: u64) -> dossier_app::dto::GenerateReport {
    let options = GenerateOptions { customers, seed, now: None };
    t.app.generate(&t.actor, &options, |_, _| {}).expect("generated")
}

/// Every row of every table, in key order.
fn dump(db: &Path) -> BTreeMap<&'static str, Vec<Vec<Sql>>> {
    let conn = crate::support::open_db(db).unwrap();
    TABLES
        .iter()
        .map(|table| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2")).unwrap();
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| (0..n).map(|i| r.get::<_, Sql>(i)).collect::<Result<Vec<_>, _>>())
                .unwrap()
                .map(Result::unwrap)
                .collect();
            (*table, rows)
        })
        .collect()
}

fn share(conn: &rusqlite::Connection, sql: &str) -> BTreeMap<String, f64> {
    let total: f64 = conn.query_row("SELECT count(*) FROM customers", [], |r| r.get(0)).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)? / total)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn assert_between(what: &str, shares: &BTreeMap<String, f64>, key: &str, low: f64, high: f64) {
    let got = shares.get(key).copied().unwrap_or(0.0);
    assert!(
        (low..=high).contains(&got),
        "{what} {key}: {:.1} % is not within {low}–{high}",
        got * 100.0,
        low = low * 100.0,
        high = high * 100.0
    );
}

#[test]
fn the_same_seed_makes_the_same_database_and_another_seed_another() {
    let mut first = TestApp::new();
    let mut second = TestApp::new();
    let mut other = TestApp::new();
    generate(&mut first, 150, 11);
    generate(&mut second, 150, 11);
    generate(&mut other, 150, 12);
    let (a, b, c) = (dump(&first.db_path()), dump(&second.db_path()), dump(&other.db_path()));
    assert!(a["customers"].len() == 150 && a["audit_events"].len() > 150);
    // Password hashes are salted at random: the users are not part of what a seed decides.
    for table in TABLES.iter().filter(|t| **t != "users") {
        assert!(a[table] == b[table], "{table} differs between two runs with the same seed");
    }
    assert!(a["customers"] != c["customers"], "another seed gives other customers");
    assert!(a["audit_events"] != c["audit_events"]);
}

#[test]
fn proportions_are_realistic() {
    let mut t = TestApp::new();
    let report = generate(&mut t, 2_000, 5);
    assert_eq!(report.rows["customers"], 2_000);
    let conn = crate::support::open_db(t.db_path()).unwrap();

    let kinds = share(&conn, "SELECT kind, count(*) FROM customers GROUP BY 1");
    assert_between("kind", &kinds, "business", 0.11, 0.19);
    let states = share(&conn, "SELECT state, count(*) FROM customers GROUP BY 1");
    assert_between("state", &states, "active", 0.50, 0.70);
    assert_between("state", &states, "verified", 0.08, 0.20);
    assert_between("state", &states, "pending", 0.03, 0.13);
    assert_between("state", &states, "rejected", 0.02, 0.08);
    assert_between("state", &states, "withdrawn", 0.015, 0.07);
    assert_between("state", &states, "closed", 0.04, 0.11);
    let risk = share(&conn, "SELECT risk_rating, count(*) FROM customers GROUP BY 1");
    assert_between("risk", &risk, "LOW", 0.72, 0.87);
    assert_between("risk", &risk, "MEDIUM", 0.10, 0.22);
    assert_between("risk", &risk, "HIGH", 0.02, 0.07);
    assert_between("risk", &risk, "PROHIBITED", 0.001, 0.015);
    let identity = share(&conn, "SELECT identity_status, count(*) FROM customers GROUP BY 1");
    assert_between("identity status", &identity, "APPROVED", 0.55, 0.80);
    for status in ["PENDING", "DENIED", "DISABLED"] {
        assert_between("identity status", &identity, status, 0.02, 0.20);
    }
    let edd = share(&conn, "SELECT edd_status, count(*) FROM customers GROUP BY 1");
    assert_between("edd", &edd, "passed", 0.02, 0.08);
    assert!(edd.contains_key("in_progress") && edd.contains_key("failed"), "{edd:?}");

    let verification_states: BTreeSet<String> = conn
        .prepare("SELECT DISTINCT state || coalesce('/' || outcome, '') FROM identity_verifications")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for state in ["storing", "waiting", "pending", "reviewing", "completed/passed", "completed/failed", "expired"] {
        assert!(verification_states.contains(state), "no verification {state}: {verification_states:?}");
    }
    let members: Vec<(i64, i64)> = conn
        .prepare(
            "SELECT count(m.id), count(m.person_customer_id) FROM institutions i
             LEFT JOIN institution_members m ON m.customer_id = i.customer_id GROUP BY i.customer_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(members.iter().all(|(n, _)| (1..=4).contains(n)), "every business has 1 to 4 members");
    let linked: i64 = members.iter().map(|(_, l)| l).sum();
    let all: i64 = members.iter().map(|(n, _)| n).sum();
    assert!(linked * 100 >= all * 80, "most members are individual customers: {linked} of {all}");
    let linked_to_individuals: i64 = conn
        .query_row(
            "SELECT count(*) FROM institution_members m JOIN customers c ON c.id = m.person_customer_id
             WHERE c.kind = 'individual'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(linked_to_individuals, linked, "members link to individuals only");
    let verified_contacts: f64 =
        conn.query_row("SELECT avg(verified_at IS NOT NULL) FROM contacts", [], |r| r.get(0)).unwrap();
    assert!((0.6..0.98).contains(&verified_contacts), "some contacts verified, not all: {verified_contacts}");
    let (first, last): (String, String) = conn
        .query_row("SELECT min(created_at), max(created_at) FROM customers", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert!(
        first.as_str() >= "2023-11-22" && first.as_str() < "2024-01-01",
        "history starts about three years back: {first}"
    );
    assert!(last.as_str() < "2026-11-22T12:00:00", "and ends before now: {last}");
}

#[test]
fn a_data_directory_with_customers_is_refused_and_left_untouched() {
    let mut t = TestApp::new();
    t.create(minimal_individual("HAS-1"));
    let before = t.counts();
    let e = t.app.generate(&t.actor, &GenerateOptions { customers: 10, seed: 1, now: None }, |_, _| {}).unwrap_err();
    assert_eq!((e.status(), e.code()), (409, "data_dir_not_empty"));
    assert_eq!(t.counts(), before, "nothing written");

    // From the command line: exit 3 with the error, exit 2 for a count out of range.
    let ctx = crate::cli::context();
    let run = |dir: &Path, args: &[&str]| {
        let mut argv = vec!["dossier".to_owned(), "--data-dir".to_owned(), dir.display().to_string()];
        if args[0] != "init" {
            argv.extend(["--user".to_owned(), "tester".to_owned()]);
        }
        argv.extend(args.iter().map(|a| a.to_string()));
        let out = dossier_cli::run(argv, &ctx);
        (out.exit_code, serde_json::from_str::<Value>(&out.stdout).unwrap())
    };
    let (code, body) = run(t.data_dir(), &["dev", "generate", "--customers", "10"]);
    assert_eq!((code, body["code"].as_str()), (3, Some("data_dir_not_empty")), "{body}");
    assert_eq!(t.counts(), before);
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(run(empty.path(), &["init", "--admin", "tester"]).0, 0, "a generator needs no more than an admin");
    let (code, body) = run(empty.path(), &["dev", "generate", "--customers", "0"]);
    assert_eq!((code, body["code"].as_str()), (2, Some("invalid_input")), "{body}");
    let (code, body) = run(empty.path(), &["dev", "generate", "--customers", "25", "--seed", "9"]);
    assert_eq!(code, 0, "{body}");
    assert_eq!((body["customers"].as_u64(), body["seed"].as_u64()), (Some(25), Some(9)));
    assert_eq!(body["rows"]["customers"].as_u64(), Some(25));
    assert!(body["rows"]["audit_events"].as_u64() > Some(25) && body["elapsed_s"].is_number(), "{body}");
}

/// Regression: a write that failed (a full disk, say) while the next batch was being made left
/// both threads waiting for each other forever; it must come back as an error.
#[test]
fn a_failed_write_ends_the_run_with_an_error_instead_of_hanging() {
    let t = TestApp::new();
    let conn = crate::support::open_db(t.db_path()).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse_a_customer BEFORE INSERT ON customers WHEN NEW.ref_id LIKE '%-0000010'
         BEGIN SELECT RAISE(ABORT, 'no space left'); END;",
    )
    .unwrap();
    let (done, outcome) = std::sync::mpsc::channel();
    let TestApp { dir, mut app, actor, .. } = t;
    std::thread::spawn(move || {
        // One more customer than a batch holds: the maker is still sending when the write fails.
        let result = app.generate(&actor, &GenerateOptions { customers: 5_001, seed: 1, now: None }, |_, _| {});
        let _ = done.send(result.map(|_| ()).map_err(|e| e.code().to_owned()));
    });
    let result = outcome.recv_timeout(std::time::Duration::from_secs(120)).expect("the generator returned");
    assert_eq!(result, Err("storage_error".to_owned()));
    drop(dir);
}

#[test]
fn generated_data_is_what_the_app_would_have_written() {
    let mut t = TestApp::new();
    generate(&mut t, 400, 3);

    // Every derived column and the latest risk assessment recompute to the stored values.
    let check = t.app.check_derived(&t.actor).unwrap();
    assert_eq!((check.customers_checked, check.mismatched), (400, 0), "{:?}", check.mismatches);
    // The generated audit trail is sealed into the hash chain, batch by batch.
    let chain = t.app.audit_verify(&t.actor, |_| {}).unwrap();
    assert!(chain.intact && chain.events > 400, "{chain:?}");

    // The generator ran the hourly maintenance tick up to its last hour: running it again
    // then has nothing left to expire.
    let tick = t.app.tick(&t.actor, Some("2026-11-22T11:05:00Z")).unwrap();
    assert_eq!((tick.verifications_expired, tick.decisions_expired), (0, 0));

    // The whole list pages through the cursor, each customer once; every read works.
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page =
            t.app.queue(&t.actor, &QueueQuery { limit: Some(70), after: after.clone(), ..Default::default() }).unwrap();
        for item in &page.items {
            let view = t.app.customer(&t.actor, &item.id).unwrap();
            assert_eq!((view.identity_status, view.risk_rating), (item.identity_status, item.risk_rating));
            let status = t.app.identity_status(&t.actor, &item.id).unwrap();
            assert_eq!(status.status, item.identity_status, "identity status recomputes to the stored one");
            assert_eq!(t.app.risk(&t.actor, &item.id).unwrap().rating, item.risk_rating);
            for decision in t.app.decisions(&t.actor, &item.id).unwrap() {
                if let Some(v) = decision.verification_id {
                    t.app.verification(&t.actor, &v).unwrap();
                }
            }
            ids.push(item.id.clone());
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(ids.len(), 400);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 400, "no customer twice");
    let dashboard = t.app.dashboard(&t.actor).unwrap();
    assert!(dashboard.counts.awaiting_review > 0 && dashboard.counts.sla_breached > 0);
    assert!(!dashboard.oldest_cases.is_empty());

    // Every main queue filter finds customers.
    let q = QueueQuery::default;
    let some = |query: QueueQuery, what: &str| {
        let page = t.app.queue(&t.actor, &query).unwrap();
        assert!(!page.items.is_empty(), "the queue {what} is empty");
    };
    for state in ["pending", "verified", "active", "rejected", "withdrawn", "closed"] {
        some(QueueQuery { state: Some(state.into()), ..q() }, state);
    }
    for state in ["storing", "waiting", "pending", "reviewing", "completed", "expired"] {
        some(QueueQuery { verification_state: Some(state.into()), ..q() }, state);
    }
    for method in ["id_and_selfie", "enhanced_due_diligence", "account_ownership", "business_registration"] {
        some(QueueQuery { verification_method: Some(method.into()), ..q() }, method);
    }
    for edd in ["none", "in_progress", "passed"] {
        some(QueueQuery { edd: Some(edd.into()), ..q() }, edd);
    }
    for risk in ["LOW", "MEDIUM", "HIGH"] {
        some(QueueQuery { risk: Some(risk.into()), ..q() }, risk);
    }
    for status in ["PENDING", "APPROVED", "DENIED", "DISABLED"] {
        some(QueueQuery { identity_status: Some(status.into()), ..q() }, status);
    }
    some(QueueQuery { sla_breached: true, ..q() }, "sla breached");
    some(
        QueueQuery { refresh_due_before: Some("2027-01-31".into()), sort: Some("refresh_due".into()), ..q() },
        "refresh due",
    );
    some(
        QueueQuery {
            verification_state: Some("reviewing".into()),
            verification_method: Some("id_and_selfie".into()),
            ..q()
        },
        "id_and_selfie in review",
    );
    let conn = crate::support::open_db(t.db_path()).unwrap();
    let assignee: String = conn
        .query_row(
            "SELECT assignee FROM identity_verifications WHERE assignee IS NOT NULL
             AND state IN ('storing', 'waiting', 'pending', 'reviewing') LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    some(QueueQuery { assignee: Some(assignee), ..q() }, "an officer's cases");

    // The audit trail is in the order things happened, and starts with each creation.
    let out_of_order: i64 = conn
        .query_row(
            // The users were added now, before the generated history (which ends before now).
            "SELECT count(*) FROM audit_events a JOIN audit_events b ON b.seq = a.seq + 1
             WHERE b.at < a.at AND a.entity_kind <> 'user'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(out_of_order, 0);
    let created_events: i64 = conn
        .query_row(
            "SELECT count(*) FROM customers c JOIN audit_events e ON e.entity_id = c.id
             AND e.action = 'customer.create' AND e.at = c.created_at",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(created_events, 400);
}
