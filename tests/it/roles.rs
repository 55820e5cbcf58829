//! Roles and permissions, driven by `fixtures/roles.json`: the matrix in dossier-core is the
//! fixture's, and every use case, called through the real app by a user of each single role,
//! is refused (403 `role_required`, nothing written) exactly when that role lacks its permission.
//! The permission is checked first: the calls below carry ids that do not exist and inputs that
//! are not valid, so an allowed role gets a 400 or 404, never a 403 `role_required`.

use std::collections::BTreeMap;

use dossier_app::dto::*;
use dossier_app::sync::ProviderInput;
use dossier_app::{Actor, Dossier, ImportOptions, LifecycleCommand, Password, VerifyContactInput};
use dossier_core::{MATRIX, Permission, Role};
use serde_json::Value;

use crate::support::{TestApp, body, fixture};

const NO_SUCH: &str = "0190a000-0000-7000-8000-00000000ffff";

#[test]
fn the_matrix_in_the_core_is_the_fixtures() {
    let f = fixture("roles.json");
    let listed: Vec<&str> = f["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert_eq!(listed, Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>());
    let fixture_matrix: BTreeMap<String, Vec<String>> = serde_json::from_value(f["matrix"].clone()).unwrap();
    let core: BTreeMap<String, Vec<String>> = MATRIX
        .iter()
        .map(|(p, roles)| (p.as_str().to_owned(), roles.iter().map(|r| r.as_str().to_owned()).collect()))
        .collect();
    assert_eq!(fixture_matrix, core);
    let use_cases: BTreeMap<String, String> = serde_json::from_value(f["use_cases"].clone()).unwrap();
    for p in Permission::ALL {
        assert!(use_cases.values().any(|v| v == p.as_str()), "no use case needs {p}: the row is untested");
    }
}

/// Calls one use case as `a` with arguments that cannot succeed past the permission check.
fn call(app: &mut Dossier, a: &Actor, use_case: &str) -> dossier_app::Result<()> {
    let id = NO_SUCH;
    let pw = Password::new("short");
    let reason = Some("why");
    let ok = |r: dossier_app::Result<()>| r;
    macro_rules! run {
        ($e:expr) => {
            ok($e.map(|_| ()))
        };
    }
    match use_case {
        "customer show" => run!(app.customer(a, id)),
        "customer list" => run!(app.list_customers(a, Some("nowhere"), None, None)),
        "customer preview-gate" => run!(app.preview_gate(a, &CreateCustomerInput::default(), &[])),
        "queue list" => run!(app.queue(a, &QueueQuery { risk: Some("EXTREME".into()), ..Default::default() })),
        "idv show" => run!(app.verification(a, id)),
        "idv list" => {
            run!(app.list_verifications(a, &VerificationQuery { after: Some("x".into()), ..Default::default() }))
        }
        "kyc results" => run!(app.kyc_results(a, id)),
        "identity status" => run!(app.identity_status(a, id)),
        "risk show" => run!(app.risk(a, id)),
        "decision list" => run!(app.decisions(a, id)),
        "dashboard" => run!(app.dashboard(a)),
        "audit list" => run!(app.audit_events(a, Some("x"), None, None)),
        "audit verify" => run!(app.audit_verify(a, |_| {})),
        "export customers" => run!(app.export_customers(a, &QueueQuery::default(), "xml", &mut Vec::new())),
        "export cases" => run!(app.export_cases(a, &VerificationQuery::default(), "xml", &mut Vec::new())),
        "export audit" => run!(app.export_audit(a, None, "xml", &mut Vec::new())),
        "sync list" => run!(app.sync_list(a, Some("lost"), None, None, None)),
        "sync status" => run!(app.sync_status(a, false)),
        "provider list" => run!(app.providers(a)),
        "settings show" => run!(app.policy(a)),
        "file read" => run!(app.file_content(a, "file:00")),
        "user passwd" => run!(app.set_password(a, None, &pw)),
        "approval list" => {
            run!(app.approvals(a, &dossier_app::ApprovalQuery { kind: Some("coffee".into()), ..Default::default() }))
        }
        "approval show" => run!(app.approval(a, id)),
        "approval withdraw" => run!(app.withdraw_approval(a, id)),
        "approval approve" => run!(app.approve(a, id, None)),
        "approval reject" => run!(app.reject_approval(a, id, None)),
        "customer create" => run!(app.create_customer(a, &CreateCustomerInput::default())),
        "customer add-address" => run!(app.add_address(a, id, &AddressInput::default())),
        "customer add-contact" => run!(app.add_contact(a, id, &ContactInput::default())),
        "customer add-document" => run!(app.add_document(a, id, &DocumentInput::default())),
        "customer add-tax-detail" => run!(app.add_tax_detail(a, id, &TaxDetailInput::default())),
        "customer add-member" => run!(app.add_member(a, id, &MemberInput::default())),
        "customer verify-contact" => run!(app.verify_contact(a, id, &VerifyContactInput::default())),
        "customer withdraw" => run!(app.lifecycle(a, id, LifecycleCommand::Withdraw, reason)),
        "customer undo-withdrawal" => run!(app.lifecycle(a, id, LifecycleCommand::UndoWithdrawal, reason)),
        "file attach" => run!(app.attach_file(a, std::path::Path::new("/nonexistent/scan.pdf"))),
        "import customers" => {
            run!(app.import_customers(a, "not,a\nheader".as_bytes(), &ImportOptions::default(), |_| {}))
        }
        "customer verify" => run!(app.verify(a, id, "gold", None)),
        "idv create" => run!(app.create_verification(a, &CreateVerificationInput::default())),
        "kyc perform" => run!(app.perform_kyc(a, id, &PerformKycInput::default())),
        "kyc record" => run!(app.record_kyc_report(a, id, &KycReportInput::default())),
        "customer activate" => run!(app.activate(a, id)),
        "edd open" => run!(app.open_edd(a, "x")),
        "idv create --method enhanced_due_diligence" => {
            let input = CreateVerificationInput { method: Some("enhanced_due_diligence".into()), ..Default::default() };
            run!(app.create_verification(a, &input))
        }
        "idv advance" => run!(app.advance_verification(a, id, &AdvanceVerificationInput::default())),
        "edd evidence" => run!(app.add_evidence(a, id, &EvidenceInput::default())),
        "case note" => run!(app.add_note(a, id, None)),
        "case assign" => run!(app.assign(a, id, Some(""))),
        "case snooze" => run!(app.snooze(a, id, Some("someday"), None)),
        "customer add-control" => run!(app.add_control(a, id, &ControlInput::default(), reason)),
        "customer remove-control" => run!(app.remove_control(a, id, "x", reason)),
        "customer close" => run!(app.lifecycle(a, id, LifecycleCommand::Close, reason)),
        "customer reactivate" => run!(app.lifecycle(a, id, LifecycleCommand::Reactivate, reason)),
        "sync retry" => run!(app.sync_retry(a, "x")),
        "sync discard" => run!(app.sync_discard(a, "x", reason)),
        "maintenance tick" => run!(app.tick(a, Some("yesterday"))),
        "idv decide" => run!(app.decide_verification(a, id, &DecideInput::default())),
        "customer reject" => run!(app.lifecycle(a, id, LifecycleCommand::Reject, reason)),
        "customer undo-rejection" => run!(app.lifecycle(a, id, LifecycleCommand::UndoRejection, reason)),
        "kyc perform --client-verification" => {
            let input =
                PerformKycInput { client_verification: Some(ClientVerificationInput::default()), ..Default::default() };
            run!(app.perform_kyc(a, id, &input))
        }
        "sync run" => run!(app.sync_run(a, Some("nowhere"), true, |_| {})),
        "user add" => run!(app.add_user(a, "", &[], &pw)),
        "user list" => run!(app.users(a).and_then(|_| app.set_user_roles(a, "nobody", &["chief".into()]))),
        "user roles" => run!(app.set_user_roles(a, "nobody", &["chief".into()])),
        "user disable" => run!(app.disable_user(a, "nobody")),
        "user enable" => run!(app.enable_user(a, "nobody")),
        "user passwd NAME" => run!(app.set_password(a, Some("nobody"), &pw)),
        "settings set" => {
            let mut policy = app.policy(a).unwrap_or_else(|_| panic!("every role reads the policy"));
            policy.edd_checklist.clear();
            run!(app.set_policy(a, &policy))
        }
        "provider set" => run!(app.set_provider(a, &ProviderInput::default())),
        "provider disable" => run!(app.disable_provider(a, "nowhere")),
        "provider use-sandbox" => {
            // Allowed, it would configure the sandbox: a provider set first makes it a no-op.
            run!(app.use_sandbox_by_default(a).map(|done| assert!(!done, "not on a data directory with providers")))
        }
        "dev generate" => {
            let options = dossier_app::generate::GenerateOptions { customers: 0, seed: 1, now: None };
            run!(app.generate(a, &options, |_, _| {}))
        }
        "dev check-derived" => run!(app.check_derived(a).map(|r| assert_eq!(r.mismatched, 0))),
        "customer reveal" => {
            run!(app.reveal(a, id, &dossier_app::RevealInput { field: Some("tax_id".into()), ..Default::default() }))
        }
        "audit key" => run!(app.device_key(a)),
        "backup" => run!(app.backup(a, std::path::Path::new("/nonexistent/dir/backup.tar"))),
        other => panic!("no call for the use case {other:?}: add one"),
    }
}

#[test]
fn every_use_case_refuses_exactly_the_roles_without_its_permission() {
    let f = fixture("roles.json");
    let matrix: BTreeMap<String, Vec<String>> = serde_json::from_value(f["matrix"].clone()).unwrap();
    let use_cases: BTreeMap<String, String> = serde_json::from_value(f["use_cases"].clone()).unwrap();
    let mut t = TestApp::new();
    // A provider, so that "provider use-sandbox" changes nothing when allowed.
    let input = ProviderInput { name: Some("paxos".into()), base_url: Some("sandbox".into()), ..Default::default() };
    t.app.set_provider(&t.admin, &input).unwrap();
    let people: Vec<(String, Actor)> = Role::ALL
        .iter()
        .map(|r| (r.as_str().to_owned(), t.user(&format!("only-{}", r.as_str()), &[r.as_str()])))
        .collect();
    let mut checked = 0;
    for (use_case, permission) in &use_cases {
        for (role, actor) in &people {
            let allowed = matrix[permission].contains(role);
            let before = t.counts();
            let result = call(&mut t.app, actor, use_case);
            let refused = result.as_ref().err().filter(|e| e.code() == "role_required");
            match (allowed, refused) {
                (true, None) => {}
                (true, Some(e)) => panic!("{use_case} as {role}: refused but {permission} is allowed: {:?}", body(e)),
                (false, None) => panic!("{use_case} as {role}: not refused ({result:?}) but needs {permission}"),
                (false, Some(e)) => {
                    let b: Value = body(e);
                    assert_eq!(b["status"], 403, "{use_case} as {role}");
                    let message = b["message"].as_str().unwrap();
                    assert!(message.starts_with(&format!("{permission} needs the role")), "{message}");
                    for holder in &matrix[permission] {
                        assert!(message.contains(holder.as_str()), "{message} names {holder}");
                    }
                    assert!(!message.contains("only-"), "the message names roles, never the user: {message}");
                    assert_eq!(t.counts(), before, "{use_case} as {role}: refused, nothing written");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, use_cases.len() * 4);
}

#[test]
fn a_user_with_two_hats_may_what_either_role_may() {
    let mut t = TestApp::new();
    let both = t.user("two-hats", &["branch_staff", "admin"]);
    assert_eq!(both.roles(), &[Role::BranchStaff, Role::Admin]);
    let id = t.app.create_customer(&both, &serde_json::from_value(crate::support::minimal_individual("TH-1")).unwrap());
    assert!(id.is_ok(), "branch staff onboard");
    assert!(t.app.users(&both).is_ok(), "admins list users");
    let e = t.app.lifecycle(&both, &id.unwrap().id, LifecycleCommand::Reject, Some("r")).unwrap_err();
    assert_eq!((e.status(), e.code()), (403, "role_required"), "neither hat decides");
}
