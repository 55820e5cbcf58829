//! The transactional outbox: what each change writes for each enabled provider, that refused
//! commands write none, provider configuration with secrets kept out of the database, and the
//! outbox views and a person's discard and retry.

use dossier_app::sync::ProviderInput;
use serde_json::json;

use crate::support::{TestApp, body, minimal_individual};

/// Points every provider at a closed loopback port: nothing is delivered in these tests.
pub fn enable_all(t: &mut TestApp) {
    for name in ["cybrid", "paxos", "qolo", "mbanq"] {
        let input = ProviderInput {
            name: Some(name.into()),
            base_url: Some(format!("http://127.0.0.1:9/{name}")),
            client_id: Some("dossier-sandbox".into()),
            client_secret: Some("s3cret-sandbox-value".into()),
            tenant: Some("sandbox".into()),
        };
        t.app.set_provider(&t.actor, &input).unwrap();
    }
}

fn messages(t: &TestApp) -> Vec<(String, String)> {
    let page = t.app.sync_list(&t.actor, None, None, Some(500), None).unwrap();
    page.items.into_iter().map(|m| (m.provider.to_owned(), m.operation.to_owned())).collect()
}

#[test]
fn each_change_writes_one_message_per_provider_that_takes_it() {
    let mut t = TestApp::new();
    enable_all(&mut t);
    let id = t.complete_individual("O-1");
    let pairs = |list: &[(&str, &str)]| list.iter().map(|(p, o)| (p.to_string(), o.to_string())).collect::<Vec<_>>();
    assert_eq!(
        messages(&t),
        pairs(&[
            ("cybrid", "customer.create"),
            ("mbanq", "customer.create"),
            ("paxos", "customer.create"),
            ("qolo", "customer.create")
        ])
    );

    let before = t.counts();
    t.app.activate(&t.actor, &id).unwrap_err();
    t.app.open_edd(&t.actor, &id).unwrap_err();
    assert_eq!(t.counts(), before, "refused commands write no outbox row");

    t.app.verify(&t.actor, &id, "full", None).unwrap();
    t.app.activate(&t.actor, &id).unwrap();
    let case = t.app.open_edd(&t.actor, &id).unwrap();
    let input: dossier_app::dto::PerformKycInput =
        dossier_app::input::from_json(&json!({"perform_kyc": true, "notes": "retry"}).to_string()).unwrap();
    t.app.perform_kyc(&t.actor, &id, &input).unwrap();
    assert_eq!(
        messages(&t)[4..].to_vec(),
        pairs(&[
            ("cybrid", "customer.verify"),
            ("mbanq", "customer.verify"),
            ("mbanq", "customer.activate"),
            ("cybrid", "verification.create"),
            ("qolo", "kyc.perform"),
        ])
    );
    let list = t.app.sync_list(&t.actor, Some("pending"), None, Some(500), None).unwrap();
    let edd = list.items.iter().find(|m| m.operation == "verification.create").unwrap();
    assert_eq!(edd.subject_id.as_deref(), Some(case.id.as_str()));
    assert!(list.items.iter().all(|m| m.status == "pending" && m.attempts == 0));
    let keys: std::collections::HashSet<_> = list.items.iter().map(|m| m.idempotency_key.clone()).collect();
    assert_eq!(keys.len(), list.items.len(), "every message has its own idempotency key, made before sending");

    t.app.disable_provider(&t.actor, "paxos").unwrap();
    t.create(minimal_individual("O-2"));
    assert!(!messages(&t).iter().skip(9).any(|(p, _)| p == "paxos"), "a disabled provider hears nothing new");
}

#[test]
fn secrets_stay_out_of_the_database_and_the_output() {
    let mut t = TestApp::new();
    enable_all(&mut t);
    let listed = serde_json::to_string(&t.app.providers(&t.actor).unwrap()).unwrap();
    assert!(!listed.contains("s3cret"), "{listed}");
    assert!(listed.contains("\"has_secret\":true"));
    let db = std::fs::read(t.db_path()).unwrap();
    let wal = std::fs::read(t.data_dir().join("dossier.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        assert!(!String::from_utf8_lossy(&bytes).contains("s3cret-sandbox-value"), "the secret is in the database");
    }
    let creds = t.data_dir().join("credentials.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let e = t
        .app
        .set_provider(
            &t.actor,
            &ProviderInput { name: Some("stripe".into()), base_url: Some("ftp://x".into()), ..Default::default() },
        )
        .unwrap_err();
    assert_eq!(body(&e)["reasons"].as_array().unwrap().len(), 2, "name and base_url both named");
}

#[test]
fn a_person_discards_with_a_reason_and_retries_only_what_needs_attention() {
    let mut t = TestApp::new();
    enable_all(&mut t);
    t.create(minimal_individual("O-3"));
    let first = t.app.sync_list(&t.actor, None, None, Some(1), None).unwrap().items.remove(0);
    let before = t.counts();
    let e = t.app.sync_retry(&t.actor, &first.id).unwrap_err();
    assert_eq!((e.status(), e.code()), (403, "not_needing_attention"));
    assert_eq!(t.app.sync_discard(&t.actor, &first.id, None).unwrap_err().status(), 400, "a reason is required");
    assert_eq!(t.counts(), before);
    let discard = t.app.sync_discard(&t.actor, &first.id, Some("sent by hand"));
    let message = first.id.clone();
    let discarded = t
        .settle(discard, |app, actor| {
            Ok(app.sync_list(actor, None, None, Some(500), None)?.items.into_iter().find(|m| m.id == message).unwrap())
        })
        .unwrap();
    assert_eq!(discarded.status, "discarded");
    let events = t.app.audit_events(&t.actor, None, Some(500), None).unwrap().items;
    let discard = events.iter().find(|e| e.action == "sync.discard").unwrap();
    assert_eq!((discard.actor.as_str(), discard.reason.as_deref()), ("tester", Some("sent by hand")));
    assert_eq!(t.app.sync_discard(&t.actor, &first.id, Some("again")).unwrap_err().code(), "not_discardable");

    let status = t.app.sync_status(&t.actor, false).unwrap();
    let cybrid = status.providers.iter().find(|p| p.name == "cybrid").unwrap();
    assert_eq!((cybrid.counts["discarded"], cybrid.counts["pending"]), (1, 0));
    let paxos = status.providers.iter().find(|p| p.name == "paxos").unwrap();
    assert_eq!(paxos.counts["pending"], 1);
    assert_eq!(paxos.oldest_pending_age_s, Some(0));
}
