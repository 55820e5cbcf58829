//! The work-queue API: every filter, keyset pagination, snoozing, and an index behind each
//! filter (checked in the query plans).

use std::sync::Arc;

use dossier_app::dto::QueueQuery;
use time::Duration;

use crate::support::{NOW, TestApp, minimal_individual};

fn ids(t: &TestApp, q: QueueQuery) -> Vec<String> {
    t.app.queue(&t.actor, &q).unwrap().items.into_iter().map(|i| i.id).collect()
}

#[test]
fn every_filter_finds_exactly_its_customers() {
    let mut t = TestApp::new();
    let pending = t.create(minimal_individual("Q-PEND"));
    let edd_passed = t.verified_individual("Q-EDDP", "full");
    let case = t.app.open_edd(&t.actor, &edd_passed).unwrap().id;
    t.attach_all_evidence(&case);
    t.decide(&case, "passed", &[]).unwrap();
    let edd_open = t.verified_individual("Q-EDDO", "partial");
    let open_case = t.app.open_edd(&t.actor, &edd_open).unwrap().id;
    t.app.assign(&t.actor, &open_case, Some("olivia")).unwrap();
    let reviewing = t.complete_individual("Q-REV");
    let idv = t.verification_in(&reviewing, "id_and_selfie", "reviewing");
    let mut risky = minimal_individual("Q-RISK");
    risky["politically_exposed"] = serde_json::json!(true);
    risky["customer_due_diligence"] = serde_json::json!({"expected_activity_level": "HIGH"});
    let risky = t.create(risky);

    let q = QueueQuery::default;
    assert_eq!(ids(&t, QueueQuery { edd: Some("passed".into()), ..q() }), vec![edd_passed.clone()]);
    assert_eq!(ids(&t, QueueQuery { edd: Some("in_progress".into()), ..q() }), vec![edd_open.clone()]);
    assert_eq!(
        ids(&t, QueueQuery { edd: Some("none".into()), ..q() }),
        vec![risky.clone(), reviewing.clone(), pending.clone()]
    );
    assert_eq!(
        ids(&t, QueueQuery { state: Some("verified".into()), ..q() }),
        vec![edd_open.clone(), edd_passed.clone()]
    );
    assert_eq!(ids(&t, QueueQuery { verification_state: Some("reviewing".into()), ..q() }), vec![reviewing.clone()]);
    assert_eq!(
        ids(&t, QueueQuery { verification_method: Some("enhanced_due_diligence".into()), ..q() }),
        vec![edd_open.clone(), edd_passed.clone()]
    );
    assert_eq!(
        ids(
            &t,
            QueueQuery {
                verification_method: Some("enhanced_due_diligence".into()),
                verification_state: Some("storing".into()),
                ..q()
            }
        ),
        vec![edd_open.clone()],
        "verification filters apply to one and the same verification"
    );
    assert_eq!(ids(&t, QueueQuery { risk: Some("HIGH".into()), ..q() }), vec![risky.clone()]);
    assert_eq!(ids(&t, QueueQuery { identity_status: Some("APPROVED".into()), ..q() }), vec![edd_passed.clone()]);
    assert_eq!(ids(&t, QueueQuery { assignee: Some("olivia".into()), ..q() }), vec![edd_open.clone()]);
    assert_eq!(
        ids(&t, QueueQuery { refresh_due_before: Some("2029-11-23".into()), ..q() }).len(),
        2,
        "verified today, LOW: due 2029-11-22"
    );
    assert!(
        ids(&t, QueueQuery { refresh_due_before: Some("2029-11-22".into()), ..q() }).is_empty(),
        "before is exclusive"
    );

    assert!(ids(&t, QueueQuery { sla_breached: true, ..q() }).is_empty());
    t.clock.set(NOW + Duration::days(3));
    assert_eq!(ids(&t, QueueQuery { sla_breached: true, ..q() }), vec![reviewing.clone()], "KYC review SLA: 2 days");
    t.clock.set(NOW + Duration::days(6));
    assert_eq!(
        ids(&t, QueueQuery { sla_breached: true, ..q() }),
        vec![reviewing.clone(), edd_open.clone()],
        "EDD SLA: 5 days"
    );

    // A snoozed case leaves the case queues until its date.
    t.clock.set(NOW);
    t.app.snooze(&t.actor, &idv, Some("2026-12-01"), None).unwrap();
    assert!(ids(&t, QueueQuery { verification_state: Some("reviewing".into()), ..q() }).is_empty());
    t.clock.set(NOW + Duration::days(9));
    assert_eq!(ids(&t, QueueQuery { verification_state: Some("reviewing".into()), ..q() }), vec![reviewing.clone()]);
}

#[test]
fn queues_page_by_keyset_in_every_sort() {
    let mut t = TestApp::new();
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(t.verified_individual(&format!("QP-{n}"), "partial"));
        t.clock.set(NOW + Duration::days(n + 1));
    }
    for (sort, expected) in [
        ("newest", created.iter().rev().cloned().collect::<Vec<_>>()),
        ("oldest", created.clone()),
        ("refresh_due", created.clone()),
    ] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = t
                .app
                .queue(
                    &t.actor,
                    &QueueQuery { sort: Some(sort.into()), limit: Some(2), after: after.clone(), ..Default::default() },
                )
                .unwrap();
            seen.extend(page.items.into_iter().map(|i| i.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, expected, "sort {sort}");
    }
    let e = t.app.queue(&t.actor, &QueueQuery { sort: Some("alphabetical".into()), ..Default::default() }).unwrap_err();
    assert_eq!(e.status(), 400);
    let e = t
        .app
        .queue(&t.actor, &QueueQuery { risk: Some("EXTREME".into()), edd: Some("maybe".into()), ..Default::default() })
        .unwrap_err();
    assert_eq!(e.body().reasons.len(), 2, "every bad filter is named");
}

#[test]
fn the_dashboard_counts_what_officers_watch() {
    let mut t = TestApp::new();
    t.create(minimal_individual("D-1"));
    let verified = t.verified_individual("D-2", "partial");
    let active = t.verified_individual("D-3", "full");
    t.app.activate(&t.actor, &active).unwrap();
    let case = t.app.open_edd(&t.actor, &verified).unwrap().id;
    let reviewing = t.complete_individual("D-4");
    t.verification_in(&reviewing, "id_and_selfie", "reviewing");
    t.clock.set(NOW + Duration::days(4));
    let d = t.app.dashboard(&t.actor).unwrap();
    assert_eq!((d.funnel.pending, d.funnel.verified, d.funnel.active), (2, 1, 1));
    assert_eq!(d.counts.awaiting_review, 1, "the verification in review");
    assert_eq!(d.counts.sla_breached, 1, "the KYC review is past its 2-day SLA; the EDD case has 5 days");
    assert_eq!(d.counts.onboarded_today, 0, "four days later");
    let edd = d.queue_age.iter().find(|a| a.case_type == "edd").unwrap();
    assert_eq!((edd.lt_1d, edd.d1_3, edd.d3_7, edd.gt_7d), (0, 0, 1, 0));
    assert_eq!(d.oldest_cases.len(), 2);
    assert_eq!(d.oldest_cases[1].id, case, "most urgent first: the KYC review is due before the EDD case");
}

#[test]
fn search_matches_name_ref_id_email_and_document_number_by_word_prefix() {
    let mut t = TestApp::new();
    let person = |ref_id: &str, first: &str, last: &str, email: Option<&str>| {
        let mut c = minimal_individual(ref_id);
        c["person"]["first_name"] = first.into();
        c["person"]["last_name"] = last.into();
        if let Some(e) = email {
            c["contacts"] = serde_json::json!([{"kind": "email", "value": e}]);
        }
        c
    };
    let anna = t.create(person("S-0001", "Anna", "Schmidt", Some("anna.schmidt@example.com")));
    let anton = t.create(person("S-0002", "Anton", "Müller", None));
    let other = t.create(person("OTHER-9", "Zoë", "Okafor", Some("z.okafor@mail.test")));
    let search = |t: &TestApp, text: &str| {
        let mut found = ids(t, QueueQuery { search: Some(text.into()), ..Default::default() });
        found.sort();
        found
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(search(&t, "an"), sorted(vec![anna.clone(), anton.clone()]), "first-name prefix");
    assert_eq!(search(&t, "ann schm"), vec![anna.clone()], "every word must match");
    assert_eq!(search(&t, "SCHMIDT"), vec![anna.clone()], "case does not matter");
    assert_eq!(search(&t, "muller"), vec![anton.clone()], "diacritics do not matter");
    assert_eq!(search(&t, "zoe"), vec![other.clone()]);
    assert_eq!(search(&t, "s-000"), sorted(vec![anna.clone(), anton.clone()]), "reference id prefix");
    assert_eq!(search(&t, "anna.schmidt@example.com"), vec![anna.clone()], "a whole email");
    assert_eq!(search(&t, "okafor@mail"), vec![other.clone()], "an email's prefix");
    assert!(search(&t, "nobody").is_empty());
    // An identity document's number, by its start: the counter's "find by passport".
    let passport = t.create(crate::support::complete_individual("S-0003"));
    assert_eq!(search(&t, "x1234"), vec![passport.clone()], "a document number prefix");
    assert!(search(&t, "\"* OR NEAR(").is_empty(), "query syntax is matched as text, never run");
    // Search combines with the other filters and keeps keyset pages.
    let found = ids(
        &t,
        QueueQuery { search: Some("an".into()), state: Some("pending".into()), limit: Some(1), ..Default::default() },
    );
    assert_eq!(found.len(), 1);
    // An email added later is found; the index follows every write.
    t.app
        .add_contact(
            &t.actor,
            &anton,
            &serde_json::from_value(serde_json::json!({"kind": "email", "value": "toni@firma.test"})).unwrap(),
        )
        .unwrap();
    assert_eq!(search(&t, "toni@firma"), vec![anton.clone()]);
    let e = t.app.queue(&t.actor, &QueueQuery { search: Some("x ".repeat(150)), ..Default::default() }).unwrap_err();
    assert_eq!((e.status(), e.body().reasons[0].code.as_str()), (400, "too_long"));
}

/// Each filtered queue, walked page by page in both directions, finds every match once, in
/// order: the walks off the verification and full-text indexes continue from the cursor.
#[test]
fn filtered_queues_page_by_keyset_without_gaps_or_repeats() {
    let mut t = TestApp::new();
    let mut created = Vec::new();
    for n in 0..5 {
        let mut c = crate::support::complete_individual(&format!("PG-{n}"));
        c["person"]["first_name"] = "Pagina".into();
        let id = t.create(c);
        // Two cases in review each: one row per customer all the same.
        t.verification_in(&id, "id_and_selfie", "reviewing");
        t.verification_in(&id, "document_submission", "reviewing");
        created.push(id);
        t.clock.set(NOW + Duration::days(n + 1));
    }
    t.create(minimal_individual("PG-OTHER"));
    let walk = |sort: &str, q: QueueQuery| {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = t
                .app
                .queue(
                    &t.actor,
                    &QueueQuery { sort: Some(sort.into()), limit: Some(2), after: after.clone(), ..q.clone() },
                )
                .unwrap();
            seen.extend(page.items.into_iter().map(|i| i.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        seen
    };
    let q = QueueQuery::default;
    let newest: Vec<String> = created.iter().rev().cloned().collect();
    for (name, query) in [
        ("search", QueueQuery { search: Some("pagina".into()), ..q() }),
        ("verification state", QueueQuery { verification_state: Some("reviewing".into()), ..q() }),
        ("verification method", QueueQuery { verification_method: Some("document_submission".into()), ..q() }),
        (
            "search and a case filter",
            QueueQuery { search: Some("pag".into()), verification_state: Some("reviewing".into()), ..q() },
        ),
    ] {
        assert_eq!(walk("newest", query.clone()), newest, "{name}, newest first");
        assert_eq!(walk("oldest", query), created, "{name}, oldest first");
    }
    t.clock.set(NOW + Duration::days(30));
    assert_eq!(walk("newest", QueueQuery { sla_breached: true, ..q() }), newest, "SLA breached");
}

#[test]
fn the_dashboards_counts_by_state_stay_exact_through_every_transition() {
    let mut t = TestApp::new();
    let a = t.verified_individual("DC-1", "full");
    t.app.activate(&t.actor, &a).unwrap();
    let b = t.create(minimal_individual("DC-2"));
    t.app.lifecycle(&t.actor, &b, dossier_app::LifecycleCommand::Reject, Some("documents forged")).unwrap();
    let undone = t.app.lifecycle(&t.actor, &b, dossier_app::LifecycleCommand::UndoRejection, Some("reviewed again"));
    t.settle(undone, |app, actor| app.customer(actor, &b)).unwrap();
    let c = t.verified_individual("DC-3", "partial");
    t.app.lifecycle(&t.actor, &c, dossier_app::LifecycleCommand::Close, Some("customer left")).unwrap();
    t.create(minimal_individual("DC-4"));
    // A refused transition changes no count.
    assert!(t.app.activate(&t.actor, &b).is_err());
    let conn = crate::support::open_db(t.db_path()).unwrap();
    let rows = |sql: &str| -> Vec<(String, i64)> {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect()
    };
    let truth = rows("SELECT state, count(*) FROM customers GROUP BY state ORDER BY state");
    assert_eq!(rows("SELECT state, n FROM customer_state_counts WHERE n > 0 ORDER BY state"), truth);
    assert_eq!(truth, vec![("active".into(), 1), ("closed".into(), 1), ("pending".into(), 2)]);
    let shown = t.app.dashboard(&t.actor).unwrap().customers_by_state;
    assert_eq!(shown.get("pending"), Some(&2));
}

/// The search index is brought up to date once per transaction, just before it commits
/// (migration 0012): every command leaves it current and nothing waiting; a refused command
/// leaves nothing noted; and a change made outside the store (an SQL shell with the key) is
/// indexed when the store next opens the file.
#[test]
fn the_search_index_is_current_after_every_commit_and_after_writes_outside_the_store() {
    let mut t = TestApp::new();
    let search = |t: &TestApp, text: &str| ids(t, QueueQuery { search: Some(text.into()), ..Default::default() });
    let pending = |t: &TestApp| -> i64 {
        let conn = crate::support::open_db(t.db_path()).unwrap();
        conn.query_row("SELECT count(*) FROM customer_search_pending", [], |r| r.get(0)).unwrap()
    };
    let ana = t.create(crate::support::complete_individual("IDX-1"));
    assert_eq!(search(&t, "x1234567"), vec![ana.clone()], "created with its document: indexed at once");
    assert_eq!(search(&t, "ana@example"), vec![ana.clone()]);
    assert_eq!(pending(&t), 0, "nothing waits after a commit");

    let document = serde_json::json!({"type": "drivers_license", "number": "DL998877", "issuing_country": "US"});
    t.app.add_document(&t.actor, &ana, &serde_json::from_value(document).unwrap()).unwrap();
    assert_eq!(search(&t, "dl9988"), vec![ana.clone()], "a document added later");
    assert_eq!(search(&t, "x1234567"), vec![ana.clone()], "and the first one still");
    assert_eq!(pending(&t), 0);

    // A refused create (its ref id is taken) notes nothing and indexes nothing.
    let mut twin = crate::support::complete_individual("IDX-1");
    twin["person"]["first_name"] = "Zygmunt".into();
    let input = serde_json::from_value(twin).unwrap();
    assert_eq!(t.app.create_customer(&t.actor, &input).unwrap_err().status(), 409);
    assert!(search(&t, "zygmunt").is_empty());
    assert_eq!(pending(&t), 0);

    // Changes made with SQL outside the store are noted by the triggers and indexed when the
    // store next opens the file: a new email, a removed document, a renamed customer.
    {
        let conn = crate::support::open_db(t.db_path()).unwrap();
        conn.execute_batch(
            "UPDATE contacts SET value = 'ana.new@example.org' WHERE kind = 'email';
             DELETE FROM identity_documents WHERE number = 'X1234567';
             UPDATE customers SET display_name = 'Ana Kowalska';",
        )
        .unwrap();
        let noted: i64 = conn.query_row("SELECT count(*) FROM customer_search_pending", [], |r| r.get(0)).unwrap();
        assert_eq!(noted, 1, "one customer changed, noted once");
    }
    let app =
        crate::support::reopen(t.dir.path(), t.clock.clone(), Arc::new(dossier_app::SequentialIds::default())).unwrap();
    let actor = crate::support::tester(&app);
    let found = |text: &str| -> Vec<String> {
        let q = QueueQuery { search: Some(text.into()), ..Default::default() };
        app.queue(&actor, &q).unwrap().items.into_iter().map(|i| i.id).collect()
    };
    assert_eq!(found("ana.new@example"), vec![ana.clone()]);
    assert_eq!(found("kowalska"), vec![ana.clone()]);
    assert!(found("ana@example").is_empty(), "the old email is gone from the index");
    assert!(found("x1234567").is_empty(), "so is the removed document");
    assert_eq!(found("dl9988"), vec![ana.clone()]);
    assert_eq!(pending(&t), 0);
}
