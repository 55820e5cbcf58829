//! Four-eyes (maker-checker): each command that needs a second person is checked in full when
//! asked, held as a pending request (visible on the entity and in the queue) and applied only
//! when a supervisor who is not its maker approves it, with both people in the audit trail.
//! Every refusal on the way changes nothing.

use std::collections::BTreeMap;

use dossier_app::dto::*;
use dossier_app::sync::ProviderInput;
use dossier_app::{ApprovalQuery, ApprovalView, LifecycleCommand, Submitted};
use serde_json::json;

use crate::support::{TestApp, body, minimal_individual};

/// Asks for a four-eyes command: the request when it is held.
type Ask = Box<dyn Fn(&mut TestApp) -> dossier_app::Result<Option<ApprovalView>>>;

/// One kind of four-eyes command: it is asked for on a prepared entity, and then shows applied.
struct Case {
    kind: &'static str,
    customer: String,
    ask: Ask,
    applied: Box<dyn Fn(&TestApp) -> bool>,
}

fn held<T>(s: dossier_app::Result<Submitted<T>>) -> dossier_app::Result<Option<ApprovalView>> {
    s.map(|s| s.pending_approval().cloned())
}

fn control(kind: &str) -> ControlInput {
    ControlInput {
        control_type: Some(kind.into()),
        set_by: Some("firm".into()),
        reason_code: Some("COMPLIANCE_INVESTIGATION".into()),
    }
}

fn cases(t: &mut TestApp) -> Vec<Case> {
    let mut cases = Vec::new();

    let customer = t.verified_individual("FE-EDD", "full");
    let case = t.app.open_edd(&t.actor, &customer).unwrap().id;
    t.attach_all_evidence(&case);
    let (ask_case, check_case) = (case.clone(), case.clone());
    cases.push(Case {
        kind: "edd_decision",
        customer,
        ask: Box::new(move |t| {
            let input = DecideInput {
                outcome: Some("passed".into()),
                reason: Some("wealth documented".into()),
                failure_codes: vec![],
            };
            held(t.app.decide_verification(&t.actor, &ask_case, &input))
        }),
        applied: Box::new(move |t| t.app.verification(&t.actor, &check_case).unwrap().outcome == Some("passed")),
    });

    let customer = t.complete_individual("FE-OVR");
    let (ask_id, check_id) = (customer.clone(), customer.clone());
    cases.push(Case {
        kind: "client_override",
        customer,
        ask: Box::new(move |t| {
            let input: PerformKycInput = serde_json::from_value(json!({"client_verification": {
                "verification_provider": "partner-kyc", "verification_provider_refnumber": "PK-1",
                "verification_level": "CDD", "reason": "verified by our partner bank"}}))
            .unwrap();
            held(t.app.perform_kyc(&t.actor, &ask_id, &input))
        }),
        applied: Box::new(move |t| {
            t.app.kyc_results(&t.actor, &check_id).unwrap().results.iter().any(|r| r.status == "overridden")
        }),
    });

    let customer = t.complete_individual("FE-CTL");
    let view = t.app.add_control(&t.actor, &customer, &control("frozen"), Some("investigation")).unwrap();
    let (ask_id, check_id, control_id) = (customer.clone(), customer.clone(), view.controls[0].id.clone());
    cases.push(Case {
        kind: "control_removal",
        customer,
        ask: Box::new(move |t| held(t.app.remove_control(&t.actor, &ask_id, &control_id, Some("cleared")))),
        applied: Box::new(move |t| t.app.customer(&t.actor, &check_id).unwrap().controls.is_empty()),
    });

    let customer = t.complete_individual("FE-REJ");
    t.app.lifecycle(&t.actor, &customer, LifecycleCommand::Reject, Some("document forged")).unwrap();
    let (ask_id, check_id) = (customer.clone(), customer.clone());
    cases.push(Case {
        kind: "undo_rejection",
        customer,
        ask: Box::new(move |t| {
            held(t.app.lifecycle(&t.actor, &ask_id, LifecycleCommand::UndoRejection, Some("the document was fine")))
        }),
        applied: Box::new(move |t| t.app.customer(&t.actor, &check_id).unwrap().state == "pending"),
    });

    let input = ProviderInput { name: Some("paxos".into()), base_url: Some("sandbox".into()), ..Default::default() };
    t.app.set_provider(&t.admin, &input).unwrap();
    let customer = t.create(minimal_individual("FE-OUT"));
    let message = t.app.sync_list(&t.actor, None, Some(&customer), None, None).unwrap().items.remove(0).id;
    let (ask_id, check_id) = (message.clone(), message);
    let check_customer = customer.clone();
    cases.push(Case {
        kind: "sync_discard",
        customer,
        ask: Box::new(move |t| held(t.app.sync_discard(&t.actor, &ask_id, Some("created at Paxos by hand")))),
        applied: Box::new(move |t| {
            let items = t.app.sync_list(&t.actor, None, Some(&check_customer), None, None).unwrap().items;
            items.iter().find(|m| m.id == check_id).unwrap().status == "discarded"
        }),
    });
    cases
}

/// Every table but the approvals and the audit trail.
fn data(counts: &BTreeMap<&'static str, i64>) -> BTreeMap<&'static str, i64> {
    counts.iter().filter(|(t, _)| !matches!(**t, "approvals" | "audit_events")).map(|(t, n)| (*t, *n)).collect()
}

#[test]
fn each_four_eyes_command_waits_for_a_second_supervisor_and_then_applies() {
    let mut t = TestApp::new();
    let officer = t.user("olivia", &["officer"]);
    let checker = t.checker();
    let cases = cases(&mut t);
    assert_eq!(cases.len(), 5);
    for case in &cases {
        let kind = case.kind;
        // Asked: held, not applied; only the request and its audit event are written.
        let before = t.counts();
        let request = (case.ask)(&mut t).unwrap().unwrap_or_else(|| panic!("{kind}: applied without a second person"));
        let after = t.counts();
        assert_eq!(data(&after), data(&before), "{kind}: nothing applied yet");
        assert_eq!((after["approvals"], after["audit_events"]), (before["approvals"] + 1, before["audit_events"] + 1));
        assert!(!(case.applied)(&t), "{kind}: not applied");
        assert_eq!((request.kind, request.state, request.maker.as_str()), (kind, "pending", "tester"));
        assert_eq!(request.customer_id, case.customer);
        let shown = t.app.customer(&t.actor, &case.customer).unwrap();
        assert_eq!(shown.pending_approvals.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [request.id.as_str()]);
        let queue = ApprovalQuery { state: Some("pending".into()), kind: Some(kind.into()), ..Default::default() };
        assert_eq!(t.app.approvals(&t.actor, &queue).unwrap().items.len(), 1, "{kind}: in the queue");

        // Refusals, each changing nothing.
        let before = t.counts();
        let again = (case.ask)(&mut t).unwrap_err();
        assert_eq!((again.status(), again.code()), (409, "approval_pending"), "{kind}");
        let own = t.app.approve(&t.actor, &request.id, None).unwrap_err();
        assert_eq!((own.status(), own.code()), (403, "four_eyes_same_user"), "{kind}: maker = checker");
        let own = t.app.reject_approval(&t.actor, &request.id, Some("no")).unwrap_err();
        assert_eq!(own.code(), "four_eyes_same_user", "{kind}");
        let not_a_supervisor = t.app.approve(&officer, &request.id, None).unwrap_err();
        assert_eq!((not_a_supervisor.status(), not_a_supervisor.code()), (403, "role_required"), "{kind}");
        let not_theirs = t.app.withdraw_approval(&checker, &request.id).unwrap_err();
        assert_eq!((not_theirs.status(), not_theirs.code()), (403, "not_the_maker"), "{kind}");
        assert_eq!(t.counts(), before, "{kind}: refusals change nothing");

        // Approved by another supervisor: applied in the same transaction, both people recorded.
        let approved = t.app.approve(&checker, &request.id, Some("seen")).unwrap();
        assert_eq!((approved.state, approved.checker.as_deref()), ("approved", Some("checker")), "{kind}");
        assert!((case.applied)(&t), "{kind}: applied once approved");
        let events = t.app.audit_events(&t.actor, Some(&case.customer), Some(500), None).unwrap().items;
        let last = events.last().unwrap();
        assert_eq!((last.action.as_str(), last.actor.as_str()), ("approval.approved", "checker"), "{kind}");
        assert_eq!(
            (last.summary["maker"].as_str(), last.summary["checker"].as_str()),
            (Some("tester"), Some("checker"))
        );
        let requested = events.iter().find(|e| e.action == "approval.requested").unwrap();
        assert_eq!(requested.actor, "tester", "{kind}");
        let change = &events[events.len() - 2];
        assert_eq!(change.actor, "tester", "{kind}: the change is recorded as the maker's ({})", change.action);
        assert!(t.app.customer(&t.actor, &case.customer).unwrap().pending_approvals.is_empty());

        let before = t.counts();
        let twice = t.app.approve(&checker, &request.id, None).unwrap_err();
        assert_eq!((twice.status(), twice.code()), (409, "approval_not_pending"), "{kind}");
        assert_eq!(t.counts(), before);
    }
}

#[test]
fn a_request_is_checked_in_full_when_asked_and_again_when_approved() {
    let mut t = TestApp::new();
    let checker = t.checker();
    let customer = t.verified_individual("FE-V", "full");
    let case = t.app.open_edd(&t.actor, &customer).unwrap().id;
    let passed = DecideInput { outcome: Some("passed".into()), reason: Some("all good".into()), failure_codes: vec![] };

    // Asked without evidence: refused at once, as the decision itself would be; no request.
    let pending = t.complete_individual("FE-P");
    let before = t.counts();
    let e = t.app.decide_verification(&t.actor, &case, &passed).unwrap_err();
    assert_eq!((e.status(), e.code()), (403, "edd_evidence_missing"));
    let e = t.app.lifecycle(&t.actor, &pending, LifecycleCommand::UndoRejection, Some("r")).unwrap_err();
    assert_eq!((e.status(), e.code()), (403, "invalid_transition"), "only a rejected customer's rejection is undone");
    assert_eq!(t.counts(), before, "refused requests write nothing");

    // Asked with evidence, then the case expires before the approval: the approval is refused
    // with the rule's own code, the request stays pending, and a supervisor rejects it.
    t.attach_all_evidence(&case);
    let request = t.app.decide_verification(&t.actor, &case, &passed).unwrap().pending_approval().cloned().unwrap();
    t.advance(&case, "waiting", None, &[]).unwrap();
    t.advance(&case, "expired", None, &[]).unwrap();
    let before = t.counts();
    let e = t.app.approve(&checker, &request.id, None).unwrap_err();
    assert_eq!((e.status(), e.code()), (403, "invalid_verification_transition"), "{:?}", body(&e));
    assert_eq!(t.counts(), before, "a refused approval changes nothing");
    assert_eq!(t.app.approval(&t.actor, &request.id).unwrap().state, "pending");
    let e = t.app.reject_approval(&checker, &request.id, None).unwrap_err();
    assert_eq!(body(&e)["reasons"][0]["field"], "reason", "a rejection says why");
    let rejected = t.app.reject_approval(&checker, &request.id, Some("the case expired")).unwrap();
    assert_eq!((rejected.state, rejected.checker_reason.as_deref()), ("rejected", Some("the case expired")));
    assert_eq!(t.app.verification(&t.actor, &case).unwrap().state, "expired", "nothing applied");
    assert!(t.app.verification(&t.actor, &case).unwrap().decisions.is_empty());
}

#[test]
fn the_maker_withdraws_and_the_queue_filters_and_pages() {
    let mut t = TestApp::new();
    let mut requests = Vec::new();
    for n in 0..3 {
        let id = t.complete_individual(&format!("FE-Q{n}"));
        t.app.lifecycle(&t.actor, &id, LifecycleCommand::Reject, Some("forged")).unwrap();
        let s = t.app.lifecycle(&t.actor, &id, LifecycleCommand::UndoRejection, Some("fine after all")).unwrap();
        requests.push((id, s.pending_approval().cloned().unwrap()));
    }
    let withdrawn = t.app.withdraw_approval(&t.actor, &requests[0].1.id).unwrap();
    assert_eq!((withdrawn.state, withdrawn.checker.as_deref()), ("withdrawn", Some("tester")));
    assert_eq!(t.app.customer(&t.actor, &requests[0].0).unwrap().state, "rejected");
    // A withdrawn request no longer blocks a new one about the same customer.
    let again = t.app.lifecycle(&t.actor, &requests[0].0, LifecycleCommand::UndoRejection, Some("fine after all"));
    assert!(again.unwrap().pending_approval().is_some());

    let q = |state: Option<&str>, customer: Option<&str>, after: Option<String>| ApprovalQuery {
        state: state.map(str::to_owned),
        kind: Some("undo_rejection".into()),
        customer_id: customer.map(str::to_owned),
        limit: Some(2),
        after,
    };
    let first = t.app.approvals(&t.actor, &q(Some("pending"), None, None)).unwrap();
    assert_eq!(first.items.len(), 2);
    let second = t.app.approvals(&t.actor, &q(Some("pending"), None, first.next.clone())).unwrap();
    assert_eq!((second.items.len(), second.next.clone()), (1, None));
    let all: Vec<i64> = first.items.iter().chain(&second.items).map(|a| a.seq).collect();
    assert!(all.windows(2).all(|w| w[0] < w[1]), "oldest first: {all:?}");
    let one = t.app.approvals(&t.actor, &q(None, Some(&requests[0].0), None)).unwrap();
    assert_eq!(one.items.iter().map(|a| a.state).collect::<Vec<_>>(), ["withdrawn", "pending"]);
    let e =
        t.app.approvals(&t.actor, &ApprovalQuery { state: Some("maybe".into()), ..Default::default() }).unwrap_err();
    assert_eq!(body(&e)["reasons"][0]["field"], "state");
}
