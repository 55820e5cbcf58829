//! The customer lifecycle, driven by `fixtures/customer-transitions.json`: once against the pure
//! state machine, once through the app on a real database.

use dossier_app::{LifecycleCommand, Submitted};
use dossier_core::{CustomerAction, CustomerState, VerificationLevel};
use serde_json::Value;

use crate::support::{TestApp, body, fixture};

fn state_label(s: &CustomerState) -> String {
    match s.level() {
        Some(level) => format!("{}({})", s.name(), level.as_str()),
        None => s.name().to_owned(),
    }
}

fn all_states() -> Vec<CustomerState> {
    use VerificationLevel::{Full, Partial};
    vec![
        CustomerState::Pending,
        CustomerState::Verified { level: Partial },
        CustomerState::Verified { level: Full },
        CustomerState::Active { level: Partial },
        CustomerState::Active { level: Full },
        CustomerState::Rejected,
        CustomerState::Withdrawn,
        CustomerState::Closed,
    ]
}

fn action(name: &str) -> CustomerAction {
    match name {
        "verify_partial" => CustomerAction::Verify(VerificationLevel::Partial),
        "verify_full" => CustomerAction::Verify(VerificationLevel::Full),
        "activate" => CustomerAction::Activate,
        "reject" => CustomerAction::Reject,
        "withdraw" => CustomerAction::Withdraw,
        "undo_rejection" => CustomerAction::UndoRejection,
        "undo_withdrawal" => CustomerAction::UndoWithdrawal,
        "close" => CustomerAction::Close,
        "reactivate" => CustomerAction::Reactivate,
        other => panic!("unknown action {other} in the fixture"),
    }
}

fn table() -> (Vec<String>, Value) {
    let t = fixture("customer-transitions.json");
    let actions = t["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect();
    (actions, t["rows"].clone())
}

#[test]
fn the_table_covers_every_state_and_action() {
    let (actions, rows) = table();
    let states: Vec<String> = all_states().iter().map(state_label).collect();
    let mut listed: Vec<&String> = rows.as_object().unwrap().keys().collect();
    listed.sort();
    let mut expected: Vec<&String> = states.iter().collect();
    expected.sort();
    assert_eq!(listed, expected, "one row per state");
    for s in &states {
        let row = rows[s].as_object().unwrap();
        assert_eq!(row.len(), actions.len(), "{s}: one cell per action");
        for a in &actions {
            assert!(row.contains_key(a), "{s} × {a} is in the table");
        }
    }
    assert_eq!(actions.len(), 9, "every lifecycle action, verify counted once per level");
}

#[test]
fn the_state_machine_follows_the_table() {
    let (actions, rows) = table();
    for from in all_states() {
        for a in &actions {
            let expected = rows[state_label(&from)][a].as_str().unwrap();
            let got = match from.apply(action(a)) {
                Ok(to) => state_label(&to),
                Err(e) => format!("!{}", e.code()),
            };
            assert_eq!(got, expected, "{} × {a}", state_label(&from));
        }
    }
}

/// Brings a fresh, complete customer into `state` through the app.
fn customer_in(t: &mut TestApp, state: &str, n: usize) -> String {
    let id = t.complete_individual(&format!("L-{n}"));
    let a = t.actor.clone();
    let app = &mut t.app;
    match state {
        "pending" => {}
        "verified(partial)" => drop(app.verify(&a, &id, "partial", None).unwrap()),
        "verified(full)" => drop(app.verify(&a, &id, "full", None).unwrap()),
        "active(partial)" => {
            app.verify(&a, &id, "partial", None).unwrap();
            app.activate(&a, &id).unwrap();
        }
        "active(full)" => {
            app.verify(&a, &id, "full", None).unwrap();
            app.activate(&a, &id).unwrap();
        }
        "rejected" => drop(app.lifecycle(&a, &id, LifecycleCommand::Reject, Some("fraud suspected")).unwrap()),
        "withdrawn" => drop(app.lifecycle(&a, &id, LifecycleCommand::Withdraw, Some("customer left")).unwrap()),
        "closed" => {
            app.verify(&a, &id, "partial", None).unwrap();
            app.lifecycle(&a, &id, LifecycleCommand::Close, Some("account closed")).unwrap();
        }
        other => panic!("unknown state {other}"),
    }
    assert_eq!(t.state_of(&id), state);
    id
}

#[test]
fn the_app_follows_the_table_and_refusals_change_nothing() {
    let (actions, rows) = table();
    let mut t = TestApp::new();
    t.checker(); // the second supervisor exists before any count is taken
    let mut n = 0;
    for from in all_states().iter().map(state_label) {
        for a in &actions {
            n += 1;
            let id = customer_in(&mut t, &from, n);
            let expected = rows[&from][a].as_str().unwrap();
            let before_counts = t.counts();
            let before_view = serde_json::to_value(t.app.customer(&t.actor, &id).unwrap()).unwrap();
            let actor = t.actor.clone();
            let app = &mut t.app;
            let result = match a.as_str() {
                "verify_partial" => app.verify(&actor, &id, "partial", None).map(Submitted::Applied),
                "verify_full" => app.verify(&actor, &id, "full", None).map(Submitted::Applied),
                "activate" => app.activate(&actor, &id).map(Submitted::Applied),
                "reject" => app.lifecycle(&actor, &id, LifecycleCommand::Reject, Some("r")),
                "withdraw" => app.lifecycle(&actor, &id, LifecycleCommand::Withdraw, Some("r")),
                "undo_rejection" => app.lifecycle(&actor, &id, LifecycleCommand::UndoRejection, Some("r")),
                "undo_withdrawal" => app.lifecycle(&actor, &id, LifecycleCommand::UndoWithdrawal, Some("r")),
                "close" => app.lifecycle(&actor, &id, LifecycleCommand::Close, Some("r")),
                "reactivate" => app.lifecycle(&actor, &id, LifecycleCommand::Reactivate, Some("r")),
                other => panic!("unknown action {other}"),
            };
            // Undoing a rejection waits for a second person; approved, it is applied.
            let four_eyes = result.as_ref().is_ok_and(|s| s.pending_approval().is_some());
            let id2 = id.clone();
            let result = t.settle(result, |app, actor| app.customer(actor, &id2));
            match (result, expected.strip_prefix('!')) {
                (Ok(_), None) => {
                    assert_eq!(t.state_of(&id), expected, "{from} × {a}");
                    assert_eq!(four_eyes, a == "undo_rejection", "{from} × {a}: only undoing a rejection waits");
                    let after = t.counts();
                    // With four eyes: approval.requested, the change itself, approval.approved.
                    let events = if four_eyes { 3 } else { 1 };
                    assert_eq!(
                        after["audit_events"],
                        before_counts["audit_events"] + events,
                        "{from} × {a}: the change's audit events"
                    );
                }
                (Err(e), Some(code)) => {
                    let b = body(&e);
                    assert_eq!((b["status"].as_u64(), b["code"].as_str()), (Some(403), Some(code)), "{from} × {a}");
                    assert_eq!(b["reasons"][0]["code"], code, "{from} × {a}");
                    assert_eq!(t.counts(), before_counts, "{from} × {a}: refused, nothing written");
                    let after_view = serde_json::to_value(t.app.customer(&t.actor, &id).unwrap()).unwrap();
                    assert_eq!(after_view, before_view, "{from} × {a}: refused, customer unchanged");
                }
                (Ok(_), Some(code)) => panic!("{from} × {a}: allowed, but the table says {code}"),
                (Err(e), None) => panic!("{from} × {a}: refused with {}, but the table says {expected}", e.code()),
            }
        }
    }
}

#[test]
fn lifecycle_actions_need_a_reason_and_record_it() {
    let mut t = TestApp::new();
    let id = t.complete_individual("R-1");
    let before = t.counts();
    for reason in [None, Some(""), Some("   ")] {
        let e = t.app.lifecycle(&t.actor, &id, LifecycleCommand::Reject, reason).unwrap_err();
        let b = body(&e);
        assert_eq!((b["status"].as_u64(), b["code"].as_str()), (Some(400), Some("invalid_input")));
        assert_eq!(b["reasons"][0]["field"], "reason");
    }
    assert_eq!(t.counts(), before);
    t.app.lifecycle(&t.actor, &id, LifecycleCommand::Reject, Some("document forged")).unwrap();
    let events = t.app.audit_events(&t.actor, Some(&id), None, None).unwrap();
    let last = events.items.last().unwrap();
    assert_eq!(last.action, "customer.reject");
    assert_eq!(last.reason.as_deref(), Some("document forged"));
    assert_eq!(last.summary, serde_json::json!({"from": "pending", "to": "rejected"}));
}
