//! Every work-queue filter and sort walks an index in the page's order (fixtures/queue-plans.json),
//! read from the plan of the SQL the store really runs, on a first page and on a page after a cursor.

use dossier_store::{QueueCursor, QueueFilter, QueueSort, Store};
use serde_json::Value;
use time::macros::{date, datetime};

fn filter(v: &Value) -> QueueFilter {
    let text = |k: &str| v[k].as_str().map(str::to_owned);
    QueueFilter {
        state: text("state"),
        risk: text("risk"),
        identity_status: text("identity_status"),
        edd_status: text("edd_status"),
        refresh_due_before: v["refresh_due_before"].as_str().map(|_| date!(2027 - 01 - 01)),
        verification_state: text("verification_state"),
        verification_method: text("verification_method"),
        assignee: text("assignee"),
        sla_breached_at: v["sla_breached"].as_bool().unwrap_or(false).then_some(datetime!(2026-11-22 10:00 UTC)),
        today: Some(date!(2026 - 11 - 22)),
        search: v["search"].as_array().into_iter().flatten().map(|w| w.as_str().unwrap().to_owned()).collect(),
    }
}

#[test]
fn every_queue_filter_and_sort_walks_its_index_in_order() {
    let fixture: Value =
        serde_json::from_str(include_str!("../../../fixtures/queue-plans.json")).expect("the fixture is JSON");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("plans.db"), &[7; dossier_store::KEY_BYTES]).unwrap();
    let cursor =
        QueueCursor { id: dossier_core::CustomerId::from_bytes([1; 16]), refresh_due_on: Some(date!(2027 - 01 - 01)) };
    let cases = fixture["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let sort = match case["sort"].as_str().unwrap() {
            "newest" => QueueSort::Newest,
            "oldest" => QueueSort::Oldest,
            "refresh_due" => QueueSort::RefreshDue,
            other => panic!("unknown sort {other}"),
        };
        let walks = case["walks"].as_str().unwrap();
        for after in [None, Some(&cursor)] {
            let plan = store.read(|tx| tx.queue_plan(&filter(&case["filter"]), sort, after, 51)).unwrap();
            let text = plan.join("; ");
            let label = format!("{} sort={} after={}", case["filter"], case["sort"], after.is_some());
            // The first step of the plan that reads a table is the walk.
            let first = plan.iter().find(|p| p.starts_with("SCAN") || p.starts_with("SEARCH")).unwrap();
            let walked = match walks {
                // A sorted search collects its matches first (see the fixture), else walks them.
                "customer_search" if case["sorts"] == true => plan.iter().any(|p| p.contains("VIRTUAL TABLE")),
                "customer_search" => first.starts_with("SCAN s VIRTUAL TABLE"),
                index => first.contains(index),
            };
            assert!(walked, "{label}: walks {walks}? plan: {text}");
            if case["reads_no_verification_row"] == true {
                assert!(first.contains("COVERING INDEX"), "{label}: reads verification rows: {text}");
            }
            let sorts = case["sorts"].as_bool().unwrap_or(false);
            assert_eq!(text.contains("TEMP B-TREE"), sorts, "{label}: sorts? {text}");
            let collects = text.contains("LIST SUBQUERY") || text.contains("MATERIALIZE");
            assert_eq!(collects, case.get("collects").is_some(), "{label}: collects every match first? {text}");
        }
    }
}
