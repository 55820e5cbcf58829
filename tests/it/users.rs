//! Users and signing in: `init` makes the first admin of a fresh data directory and only then
//! does anything else work; a wrong name, a wrong password and a disabled user get the same
//! answer; admins manage users but never lock the firm out; passwords never reach the trail.

use std::sync::Arc;

use dossier_app::{Dossier, FixedClock, Password, SequentialIds};
use serde_json::Value;

use crate::support::{NOW, PASSWORD, TestApp, body, password};

fn fresh() -> (tempfile::TempDir, Dossier) {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::support::init(dir.path(), Arc::new(FixedClock::new(NOW)), Arc::new(SequentialIds::default()));
    (dir, app)
}

#[test]
fn a_fresh_data_directory_signs_nobody_in_until_init_makes_its_first_admin() {
    let (_dir, mut app) = fresh();
    assert!(!app.is_initialised().unwrap());
    let e = app.sign_in("anyone", &password()).unwrap_err();
    assert_eq!((e.status(), e.code()), (409, "not_initialised"));
    assert!(e.body().message.contains("dossier init --admin NAME"));

    let short = app.init_admin("boss", &Password::new("short")).unwrap_err();
    assert_eq!(body(&short)["reasons"][0]["code"], "password_too_short");
    let bad_name = app.init_admin("boss man", &password()).unwrap_err();
    assert_eq!(body(&bad_name)["reasons"][0]["code"], "invalid_user_name");
    let reserved = app.init_admin("SYNC", &password()).unwrap_err();
    assert_eq!(body(&reserved)["reasons"][0]["code"], "invalid_user_name", "a process's name is not a person's");
    assert!(!app.is_initialised().unwrap(), "refused, nothing written");

    let admin = app.init_admin("Boss", &password()).unwrap();
    assert_eq!((admin.name.as_str(), admin.roles.as_slice(), admin.active), ("Boss", &["admin"][..], true));
    let again = app.init_admin("other", &password()).unwrap_err();
    assert_eq!((again.status(), again.code()), (409, "already_initialised"));

    let actor = app.sign_in("boss", &password()).unwrap();
    assert_eq!(actor.as_str(), "Boss", "names are matched without regard to case, and kept as created");
    let events = app.audit_events(&actor, None, None, None).unwrap().items;
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].action.as_str(), events[0].entity_type.as_str()), ("user.add", "user"));
    assert_eq!(events[0].actor, "Boss");
}

#[test]
fn a_wrong_name_a_wrong_password_and_a_disabled_user_get_the_same_answer() {
    let mut t = TestApp::new();
    t.user("clerk", &["branch_staff"]);
    t.app.disable_user(&t.admin, "clerk").unwrap();
    let wrong = Password::new("not the password at all");
    let answers: Vec<Value> =
        [t.app.sign_in("nobody", &password()), t.app.sign_in("tester", &wrong), t.app.sign_in("clerk", &password())]
            .into_iter()
            .map(|r| body(&r.unwrap_err()))
            .collect();
    assert_eq!(answers[0]["status"], 401);
    assert_eq!(answers[0]["code"], "sign_in_failed");
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");

    t.app.enable_user(&t.admin, "clerk").unwrap();
    assert_eq!(t.app.sign_in("CLERK", &password()).unwrap().as_str(), "clerk");
}

#[test]
fn admins_manage_users_and_never_lock_the_firm_out() {
    let mut t = TestApp::new();
    // tester holds admin too; once they do not, `admin` is the last one.
    t.app.set_user_roles(&t.admin, "tester", &["supervisor".into()]).unwrap();
    let before = t.counts();
    let e = t.app.disable_user(&t.admin, "admin").unwrap_err();
    assert_eq!((e.status(), e.code()), (403, "cannot_disable_self"));
    let e = t.app.set_user_roles(&t.admin, "admin", &["supervisor".into()]).unwrap_err();
    assert_eq!((e.status(), e.code()), (409, "last_admin"));
    assert_eq!(t.counts(), before, "refused, nothing written");
    let e = t.app.add_user(&t.admin, "Tester", &["officer".into()], &password()).unwrap_err();
    assert_eq!((e.status(), e.code()), (409, "user_exists"), "names are unique without regard to case");
    let e = t.app.set_user_roles(&t.admin, "tester", &["supervisor".into()]).unwrap_err();
    assert_eq!((e.status(), e.code()), (409, "user_unchanged"));
    let e = t.app.set_user_roles(&t.admin, "tester", &["chief".into()]).unwrap_err();
    assert_eq!(body(&e)["reasons"][0]["field"], "roles[0]");
    let e = t.app.disable_user(&t.admin, "ghost").unwrap_err();
    assert_eq!((e.status(), e.code()), (404, "user_not_found"));

    let users = t.app.users(&t.admin).unwrap();
    let names: Vec<(&str, Vec<&str>)> = users.iter().map(|u| (u.name.as_str(), u.roles.clone())).collect();
    assert_eq!(names, [("admin", vec!["admin"]), ("tester", vec!["supervisor"])]);
    let actions: Vec<String> =
        t.app.audit_events(&t.admin, None, None, None).unwrap().items.into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["user.add", "user.add", "user.set_roles"]);
}

#[test]
fn passwords_are_changed_by_their_owner_or_an_admin_and_never_kept_in_clear() {
    let mut t = TestApp::new();
    let clerk = t.user("clerk", &["branch_staff"]);
    let new = Password::new("a brand new passphrase");
    let e = t.app.set_password(&clerk, Some("tester"), &new).unwrap_err();
    assert_eq!(e.code(), "role_required", "only admins set another's password");
    t.app.set_password(&clerk, None, &new).unwrap();
    assert_eq!(t.app.sign_in("clerk", &password()).unwrap_err().code(), "sign_in_failed");
    t.app.sign_in("clerk", &new).unwrap();
    t.app.set_password(&t.admin, Some("clerk"), &password()).unwrap();
    t.app.sign_in("clerk", &password()).unwrap();

    assert_eq!(format!("{new:?}"), "Password(<redacted>)");
    let conn = crate::support::open_db(t.db_path()).unwrap();
    let hashes: Vec<String> = conn
        .prepare("SELECT password_hash FROM users")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(hashes.iter().all(|h| h.starts_with("$argon2id$v=19$")), "{hashes:?}");
    let trail: Vec<String> = conn
        .prepare("SELECT actor || action || entity_kind || coalesce(reason, '') || summary FROM audit_events")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for event in &trail {
        assert!(!event.contains(PASSWORD) && !event.contains("brand new") && !event.contains("argon2"), "{event}");
    }
    assert!(trail.iter().any(|e| e.contains("user.set_password")));
}

#[test]
fn the_command_line_needs_init_then_a_user_and_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = crate::cli::context();
    let no_password = dossier_cli::Context { password: None, new_password: None, ..crate::cli::context() };
    let run = |ctx: &dossier_cli::Context, args: &[&str]| {
        let mut argv = vec!["dossier".to_owned(), "--data-dir".to_owned(), dir.path().display().to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        let out = dossier_cli::run(argv, ctx);
        (out.exit_code, serde_json::from_str::<Value>(&out.stdout).unwrap())
    };
    let (code, e) = run(&ctx, &["--user", "boss", "customer", "list"]);
    assert_eq!((code, e["code"].as_str()), (3, Some("not_initialised")));
    let (code, init) = run(&ctx, &["init", "--admin", "boss"]);
    let user = init["admin"].clone();
    assert_eq!((code, user["roles"].clone()), (0, serde_json::json!(["admin"])));
    assert!(!user.to_string().contains("argon2") && !user.to_string().contains(PASSWORD));

    let (code, e) = run(&ctx, &["customer", "list"]);
    assert_eq!((code, e["status"].as_u64(), e["code"].as_str()), (7, Some(401), Some("sign_in_required")));
    assert_eq!(e["reasons"][0]["field"], "user");
    // Tests run without a terminal: no prompt, a refusal that says what to set.
    let (code, e) = run(&no_password, &["--user", "boss", "customer", "list"]);
    assert_eq!((code, e["reasons"][0]["field"].as_str()), (7, Some("password")));
    assert!(e["message"].as_str().unwrap().contains("DOSSIER_PASSWORD"));
    let (code, e) = run(&ctx, &["--user", "nobody", "customer", "list"]);
    assert_eq!((code, e["code"].as_str()), (7, Some("sign_in_failed")));

    let (code, _) = run(&ctx, &["--user", "boss", "user", "add", "clerk", "--role", "branch_staff"]);
    assert_eq!(code, 0);
    let (code, e) = run(&no_password, &["--user", "boss", "user", "add", "x"]);
    assert_eq!((code, e["code"].as_str()), (2, Some("usage")), "--role is required");
    let (code, list) = run(&ctx, &["--user", "boss", "user", "list"]);
    assert_eq!((code, list.as_array().unwrap().len()), (0, 2));
    let (code, e) = run(&ctx, &["--user", "clerk", "user", "list"]);
    assert_eq!((code, e["status"].as_u64(), e["code"].as_str()), (3, Some(403), Some("role_required")));
    assert_eq!(run(&ctx, &["--user", "boss", "user", "roles", "clerk", "--role", "officer"]).0, 0);
    assert_eq!(run(&ctx, &["--user", "boss", "user", "disable", "clerk"]).0, 0);
    assert_eq!(run(&ctx, &["--user", "clerk", "customer", "list"]).0, 7);
    assert_eq!(run(&ctx, &["--user", "boss", "user", "enable", "clerk"]).0, 0);
    assert_eq!(run(&ctx, &["--user", "clerk", "user", "passwd"]).0, 0);
    assert_eq!(run(&ctx, &["--user", "clerk", "customer", "list"]).0, 0);
}
