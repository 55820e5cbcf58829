//! Tauri commands: each receives its DTOs, calls one dossier-app function and maps the error to
//! the shared body. They run off the UI thread (async), so the window never freezes.
//!
//! Every command is declared once, in the `commands!` list below, which also registers it with
//! Tauri and describes it for the TypeScript bindings (`ui/src/bindings/commands.ts`, written by
//! `cargo test -p dossier-desktop`; `make test` fails when the committed file differs).

use dossier_app::backup::{BackupView, RestoreView};
use dossier_app::dto::*;
use dossier_app::files::{FileContentView, StoredFileView};
use dossier_app::policy::PolicyDto;
use dossier_app::sync::{OutboxView, ProviderInput, ProviderView, SyncRunView, SyncStatusView};
use dossier_app::{Actor, Dossier, ErrorBody, LifecycleCommand, Submitted, VerifyContactInput};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};
use ts_rs::TS;

use crate::Desk;

type Answer<T> = Result<T, ErrorBody>;

/// Runs one dossier-app call on the open session, holding it for the call's duration; refused
/// with 401 `locked` while the app is locked.
fn with<T>(desk: &State<'_, Desk>, f: impl FnOnce(&mut Dossier, &Actor) -> dossier_app::Result<T>) -> Answer<T> {
    let mut session = desk.session();
    let session = session.as_mut().ok_or_else(locked)?;
    f(&mut session.app, &session.actor).map_err(|e| e.body())
}

fn locked() -> ErrorBody {
    ErrorBody {
        status: 401,
        code: "locked".into(),
        message: "Dossier is locked: unlock it to go on".into(),
        reasons: Vec::new(),
    }
}

fn internal(message: &str) -> ErrorBody {
    ErrorBody { status: 500, code: "internal_error".into(), message: message.into(), reasons: Vec::new() }
}

/// Whether the window shows the lock screen, and which one.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SessionState {
    /// `new` or `plain`: the set-up screen (a plain directory is encrypted by it); otherwise
    /// the unlock screen while locked.
    pub directory: dossier_app::DirectoryState,
    pub unlocked: bool,
    /// The data directory, shown on the lock screen so the user knows what they unlock.
    pub data_dir: String,
    /// The window locks itself after this long without a key press or a pointer move
    /// (`DOSSIER_IDLE_LOCK_SECONDS`, default 600).
    pub idle_lock_seconds: u32,
}

/// What the window shows in its title bar and settings.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppInfo {
    pub data_dir: String,
    pub version: String,
    /// Who is signed in; empty while locked.
    pub actor: String,
    /// Their roles (`branch_staff`, `officer`, `supervisor`, `admin`): the window offers only
    /// what they may do (the backend checks regardless).
    pub roles: Vec<String>,
    /// The loopback address of the in-process sandbox providers, when they run.
    pub sandbox_url: Option<String>,
    /// When the process started (Unix milliseconds): the desktop benchmark's "launch".
    pub launched_at_ms: u64,
}

/// The payload of the `sync-progress` event while the outbox drains.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SyncProgress {
    pub delivered: usize,
    pub retried: usize,
    pub needs_attention: usize,
    pub reconciled: usize,
}

/// The event `sync_run` emits after each delivery.
pub const SYNC_PROGRESS_EVENT: &str = "sync-progress";

/// Declares the commands: each becomes an async Tauri command taking the app handle and the
/// desk, is registered in [`handler`], and is listed by [`signatures`] for the bindings.
macro_rules! commands {
    ($(
        $(#[doc = $doc:literal])*
        async fn $name:ident($app:ident, $desk:ident $(, $arg:ident : $ty:ty)* $(,)?) -> $ret:ty $body:block
    )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command]
            async fn $name<R: Runtime>($app: AppHandle<R>, $desk: State<'_, Desk>, $($arg: $ty),*) -> Answer<$ret> {
                $body
            }
        )*

        pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// Every command's name, documentation, arguments and result, for the bindings.
        #[cfg(test)]
        pub fn signatures() -> Vec<crate::bindings::Signature> {
            use crate::bindings::{Signature, TypeRef};
            vec![$(
                Signature {
                    name: stringify!($name),
                    doc: vec![$($doc),*],
                    args: vec![$((stringify!($arg), TypeRef::of::<$ty>())),*],
                    result: TypeRef::of::<$ret>(),
                }
            ),*]
        }
    };
}

/// `2026-11-22` for file names.
fn time_stamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{:04}-{:02}-{:02}", now.year(), u8::from(now.month()), now.day())
}

fn app_info_of(desk: &Desk) -> AppInfo {
    let session = desk.session();
    AppInfo {
        data_dir: desk.data_dir.display().to_string(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        actor: session.as_ref().map(|s| s.actor.name().as_str().to_owned()).unwrap_or_default(),
        roles: session
            .as_ref()
            .map(|s| s.actor.roles().iter().map(|r| r.as_str().to_owned()).collect())
            .unwrap_or_default(),
        sandbox_url: session.as_ref().and_then(|s| s.sandbox_url.clone()),
        launched_at_ms: desk.launched_at_ms,
    }
}

/// Opens the session on a blocking thread (the key derivation and the password check take a
/// quarter of a second each, on purpose) and returns what the window shows once signed in.
async fn open_session(
    desk: &State<'_, Desk>,
    open: impl FnOnce(&std::path::Path) -> dossier_app::Result<(Dossier, Actor)> + Send + 'static,
) -> Answer<AppInfo> {
    let dir = desk.data_dir.clone();
    // Off the async runtime: the sandbox host starts (and later stops) a runtime of its own.
    // The desktop keeps its handle open: checkpoints run in the background, off every command.
    let session = tauri::async_runtime::spawn_blocking(move || {
        let (mut app, actor) = open(&dir)?;
        app.checkpoint_in_background()?;
        Ok::<_, dossier_app::Error>(crate::Session::start(app, actor))
    })
    .await
    .map_err(|_| internal("unlocking stopped unexpectedly"))?
    .map_err(|e| e.body())?;
    let replaced = desk.session().replace(session);
    if let Some(old) = replaced {
        let _ = tauri::async_runtime::spawn_blocking(move || drop(old)).await;
    }
    Ok(app_info_of(desk))
}

commands! {
    /// Whether the app is locked, and whether the data directory needs setting up first.
    async fn session_state(_app, desk) -> SessionState {
        let directory = dossier_app::directory_state(&desk.data_dir).map_err(|e| e.body())?;
        Ok(SessionState {
            directory,
            unlocked: desk.session().is_some(),
            data_dir: desk.data_dir.display().to_string(),
            idle_lock_seconds: crate::idle_lock_seconds(),
        })
    }

    /// Sets a data directory up (a new data key under a new passphrase, or the encryption of
    /// one from before encryption) with its first admin, and signs the admin in. The admin's
    /// name and password are checked before anything is written. A directory that has its key
    /// but no user yet takes its existing passphrase and gets its admin.
    async fn set_up(_app, desk, passphrase: String, admin: String, password: String) -> AppInfo {
        let passphrase = dossier_app::Passphrase::new(passphrase);
        let password = dossier_app::Password::new(password);
        open_session(&desk, move |dir| {
            dossier_app::check_new_admin(&admin, &password)?;
            let clock = std::sync::Arc::new(dossier_app::SystemClock);
            let ids = std::sync::Arc::new(dossier_app::UuidV7);
            let mut app = match dossier_app::directory_state(dir)? {
                dossier_app::DirectoryState::New | dossier_app::DirectoryState::Plain => {
                    Dossier::init(dir, &passphrase, dossier_app::KdfParams::default(), clock, ids)?
                }
                _ => Dossier::open_with(dir, dossier_app::Unlock::Passphrase(&passphrase), clock, ids)?,
            };
            app.init_admin(&admin, &password)?;
            let actor = app.sign_in(&admin, &password)?;
            Ok((app, actor))
        })
        .await
    }

    /// Opens the data directory with its passphrase and signs `user` in. A wrong passphrase is
    /// 401 `wrong_passphrase`; a wrong name or password 401 `sign_in_failed`; a directory with
    /// no user yet 409 `not_initialised` (set it up).
    async fn unlock(_app, desk, passphrase: String, user: String, password: String) -> AppInfo {
        let passphrase = dossier_app::Passphrase::new(passphrase);
        let password = dossier_app::Password::new(password);
        open_session(&desk, move |dir| {
            let app = Dossier::open(dir, &passphrase)?;
            if !app.is_initialised()? {
                return Err(dossier_app::not_initialised());
            }
            let actor = app.sign_in(&user, &password)?;
            Ok((app, actor))
        })
        .await
    }

    /// Locks the app: closes the data, forgets the key, stops the sandbox providers.
    async fn lock(_app, desk) -> () {
        let session = desk.session().take();
        // Stopping the sandbox host blocks on its own runtime: not on this one.
        tauri::async_runtime::spawn_blocking(move || drop(session))
            .await
            .map_err(|_| internal("locking stopped unexpectedly"))
    }

    /// Where the data lives, the version, who is acting, and the sandbox's address.
    async fn app_info(_app, desk) -> AppInfo {
        Ok(app_info_of(&desk))
    }

    async fn dashboard(_app, desk) -> DashboardView {
        with(&desk, |app, actor| app.dashboard(actor))
    }

    async fn list_queue(_app, desk, query: QueueQuery) -> Page<QueueItem> {
        with(&desk, |app, actor| app.queue(actor, &query))
    }

    async fn get_customer(_app, desk, id: String) -> CustomerView {
        with(&desk, |app, actor| app.customer(actor, &id))
    }

    async fn create_customer(_app, desk, input: CreateCustomerInput) -> CustomerView {
        with(&desk, |app, actor| app.create_customer(actor, &input))
    }

    async fn preview_gate(_app, desk, input: CreateCustomerInput, verified: Vec<String>) -> GatePreview {
        with(&desk, |app, actor| app.preview_gate(actor, &input, &verified))
    }

    async fn add_address(_app, desk, id: String, input: AddressInput) -> CustomerView {
        with(&desk, |app, actor| app.add_address(actor, &id, &input))
    }

    async fn add_document(_app, desk, id: String, input: DocumentInput) -> CustomerView {
        with(&desk, |app, actor| app.add_document(actor, &id, &input))
    }

    async fn add_contact(_app, desk, id: String, input: ContactInput) -> CustomerView {
        with(&desk, |app, actor| app.add_contact(actor, &id, &input))
    }

    async fn add_tax_detail(_app, desk, id: String, input: TaxDetailInput) -> CustomerView {
        with(&desk, |app, actor| app.add_tax_detail(actor, &id, &input))
    }

    async fn add_member(_app, desk, id: String, input: MemberInput) -> CustomerView {
        with(&desk, |app, actor| app.add_member(actor, &id, &input))
    }

    async fn verify_contact(_app, desk, id: String, input: VerifyContactInput) -> CustomerView {
        with(&desk, |app, actor| app.verify_contact(actor, &id, &input))
    }

    async fn verify_customer(_app, desk, id: String, level: String, note: Option<String>) -> CustomerView {
        with(&desk, |app, actor| app.verify(actor, &id, &level, note.as_deref()))
    }

    async fn activate_customer(_app, desk, id: String) -> CustomerView {
        with(&desk, |app, actor| app.activate(actor, &id))
    }

    async fn lifecycle(_app, desk, id: String, action: String, reason: String) -> Submitted<CustomerView> {
        let command = match action.as_str() {
            "reject" => LifecycleCommand::Reject,
            "withdraw" => LifecycleCommand::Withdraw,
            "close" => LifecycleCommand::Close,
            "reactivate" => LifecycleCommand::Reactivate,
            "undo_rejection" => LifecycleCommand::UndoRejection,
            "undo_withdrawal" => LifecycleCommand::UndoWithdrawal,
            _ => {
                let reason = dossier_app::Reason::field("action", "unknown_value", "action is not a lifecycle action");
                return Err(dossier_app::Error::invalid_input(vec![reason]).body());
            }
        };
        with(&desk, |app, actor| app.lifecycle(actor, &id, command, Some(&reason)))
    }

    async fn list_verifications(_app, desk, query: VerificationQuery) -> Page<VerificationView> {
        with(&desk, |app, actor| app.list_verifications(actor, &query))
    }

    async fn get_verification(_app, desk, id: String) -> VerificationView {
        with(&desk, |app, actor| app.verification(actor, &id))
    }

    async fn create_verification(_app, desk, input: CreateVerificationInput) -> VerificationView {
        with(&desk, |app, actor| app.create_verification(actor, &input))
    }

    async fn open_edd(_app, desk, id: String) -> VerificationView {
        with(&desk, |app, actor| app.open_edd(actor, &id))
    }

    async fn advance_verification(_app, desk, id: String, input: AdvanceVerificationInput) -> VerificationView {
        with(&desk, |app, actor| app.advance_verification(actor, &id, &input))
    }

    async fn decide_verification(_app, desk, id: String, input: DecideInput) -> Submitted<VerificationView> {
        with(&desk, |app, actor| app.decide_verification(actor, &id, &input))
    }

    async fn add_evidence(_app, desk, id: String, input: EvidenceInput) -> VerificationView {
        with(&desk, |app, actor| app.add_evidence(actor, &id, &input))
    }

    async fn add_note(_app, desk, id: String, text: String) -> VerificationView {
        with(&desk, |app, actor| app.add_note(actor, &id, Some(&text)))
    }

    async fn assign_case(_app, desk, id: String, assignee: Option<String>) -> VerificationView {
        with(&desk, |app, actor| app.assign(actor, &id, assignee.as_deref()))
    }

    async fn snooze_case(_app, desk, id: String, until: Option<String>, reason: Option<String>) -> VerificationView {
        with(&desk, |app, actor| app.snooze(actor, &id, until.as_deref(), reason.as_deref()))
    }

    async fn perform_kyc(_app, desk, id: String, input: PerformKycInput) -> Submitted<KycResultsView> {
        with(&desk, |app, actor| app.perform_kyc(actor, &id, &input))
    }

    async fn kyc_results(_app, desk, id: String) -> KycResultsView {
        with(&desk, |app, actor| app.kyc_results(actor, &id))
    }

    async fn identity_status(_app, desk, id: String) -> IdentityStatusView {
        with(&desk, |app, actor| app.identity_status(actor, &id))
    }

    async fn risk(_app, desk, id: String) -> RiskView {
        with(&desk, |app, actor| app.risk(actor, &id))
    }

    async fn decisions(_app, desk, id: String) -> Vec<DecisionView> {
        with(&desk, |app, actor| app.decisions(actor, &id))
    }

    async fn audit_events(_app, desk, entity: Option<String>, limit: Option<usize>, after: Option<String>) -> Page<AuditEventView> {
        with(&desk, |app, actor| app.audit_events(actor, entity.as_deref(), limit, after.as_deref()))
    }

    async fn get_policy(_app, desk) -> PolicyDto {
        with(&desk, |app, actor| app.policy(actor))
    }

    async fn set_policy(_app, desk, input: PolicyDto) -> PolicyDto {
        with(&desk, |app, actor| app.set_policy(actor, &input))
    }

    async fn list_providers(_app, desk) -> Vec<ProviderView> {
        with(&desk, |app, actor| app.providers(actor))
    }

    async fn set_provider(_app, desk, input: ProviderInput) -> ProviderView {
        with(&desk, |app, actor| app.set_provider(actor, &input))
    }

    async fn disable_provider(_app, desk, name: String) -> ProviderView {
        with(&desk, |app, actor| app.disable_provider(actor, &name))
    }

    async fn sync_status(_app, desk) -> SyncStatusView {
        with(&desk, |app, actor| app.sync_status(actor, true))
    }

    async fn sync_list(_app, desk, status: Option<String>, customer: Option<String>, limit: Option<usize>, after: Option<String>) -> Page<OutboxView> {
        with(&desk, |app, actor| app.sync_list(actor, status.as_deref(), customer.as_deref(), limit, after.as_deref()))
    }

    async fn sync_retry(_app, desk, id: String) -> OutboxView {
        with(&desk, |app, actor| app.sync_retry(actor, &id))
    }

    async fn sync_discard(_app, desk, id: String, reason: String) -> Submitted<OutboxView> {
        with(&desk, |app, actor| app.sync_discard(actor, &id, Some(&reason)))
    }

    /// Copies a scan (PNG, JPEG, GIF, WebP or PDF) into the data directory; returns its reference.
    async fn attach_file(_app, desk, path: String) -> StoredFileView {
        with(&desk, |app, actor| app.attach_file(actor, std::path::Path::new(&path)))
    }

    /// A stored scan's bytes (base64) for a preview, by its `file:` reference.
    async fn read_file(_app, desk, reference: String) -> FileContentView {
        with(&desk, |app, actor| app.file_content(actor, &reference))
    }

    /// Drains the outbox on its own thread (the worker runs its own runtime) and reports
    /// progress as `sync-progress` events for the progress bar.
    async fn sync_run(app, desk) -> SyncRunView {
        let handle = app.clone();
        let (worker_app, actor) = with(&desk, |app, actor| Ok((app.reopen()?, actor.clone())))?;
        let worker = std::thread::spawn(move || {
            worker_app.sync_run(&actor, None, true, |p| {
                let progress = SyncProgress {
                    delivered: p.delivered,
                    retried: p.retried,
                    needs_attention: p.needs_attention,
                    reconciled: p.reconciled,
                };
                let _ = handle.emit(SYNC_PROGRESS_EVENT, progress);
            })
            .map_err(|e| e.body())
        });
        tauri::async_runtime::spawn_blocking(move || worker.join())
            .await
            .map_err(|_| internal("the sync run could not be awaited"))?
            .map_err(|_| internal("the sync run stopped unexpectedly"))?
    }

    /// Four-eyes requests, oldest first, filtered by state, kind or customer.
    async fn list_approvals(_app, desk, query: dossier_app::approvals::ApprovalQuery) -> Page<dossier_app::approvals::ApprovalView> {
        with(&desk, |app, actor| app.approvals(actor, &query))
    }

    /// Approves another user's request (supervisors): the held command is applied now.
    async fn approve(_app, desk, id: String, reason: Option<String>) -> dossier_app::approvals::ApprovalView {
        with(&desk, |app, actor| app.approve(actor, &id, reason.as_deref()))
    }

    /// Rejects another user's request (supervisors): nothing is applied.
    async fn reject_approval(_app, desk, id: String, reason: String) -> dossier_app::approvals::ApprovalView {
        with(&desk, |app, actor| app.reject_approval(actor, &id, Some(&reason)))
    }

    /// Withdraws one's own request.
    async fn withdraw_approval(_app, desk, id: String) -> dossier_app::approvals::ApprovalView {
        with(&desk, |app, actor| app.withdraw_approval(actor, &id))
    }

    /// Every user with their roles (admins).
    async fn list_users(_app, desk) -> Vec<dossier_app::UserView> {
        with(&desk, |app, actor| app.users(actor))
    }

    /// Adds a user with roles and a first password (admins).
    async fn add_user(_app, desk, name: String, roles: Vec<String>, password: String) -> dossier_app::UserView {
        let password = dossier_app::Password::new(password);
        with(&desk, |app, actor| app.add_user(actor, &name, &roles, &password))
    }

    /// Replaces a user's roles (admins).
    async fn set_user_roles(_app, desk, name: String, roles: Vec<String>) -> dossier_app::UserView {
        with(&desk, |app, actor| app.set_user_roles(actor, &name, &roles))
    }

    /// Stops a user from signing in (admins; not oneself, not the last admin).
    async fn disable_user(_app, desk, name: String) -> dossier_app::UserView {
        with(&desk, |app, actor| app.disable_user(actor, &name))
    }

    /// Lets a disabled user sign in again (admins).
    async fn enable_user(_app, desk, name: String) -> dossier_app::UserView {
        with(&desk, |app, actor| app.enable_user(actor, &name))
    }

    /// Changes one's own password, or (admins) another user's.
    async fn change_password(_app, desk, name: Option<String>, password: String) -> dossier_app::UserView {
        let password = dossier_app::Password::new(password);
        with(&desk, |app, actor| app.set_password(actor, name.as_deref(), &password))
    }

    /// One masked tax id or document number in clear; the audit trail records who saw which
    /// (`pii.revealed`), never the value.
    async fn reveal(_app, desk, id: String, input: dossier_app::RevealInput) -> dossier_app::RevealedView {
        with(&desk, |app, actor| app.reveal(actor, &id, &input))
    }

    /// Writes a backup to `path`, or to where the system's save dialog says when `path` is null;
    /// `null` when the dialog is cancelled. The app keeps working meanwhile.
    async fn backup(app, desk, path: Option<String>) -> Option<BackupView> {
        let target = match path {
            Some(path) => Some(std::path::PathBuf::from(path)),
            None => {
                use tauri_plugin_dialog::DialogExt;
                let (tx, rx) = std::sync::mpsc::channel();
                let name = format!("dossier-{}.backup", time_stamp());
                app.dialog().file().set_file_name(&name).add_filter("Dossier backup", &["backup"]).save_file(move |path| {
                    let _ = tx.send(path.and_then(|p| p.into_path().ok()));
                });
                tauri::async_runtime::spawn_blocking(move || rx.recv().ok().flatten()).await.ok().flatten()
            }
        };
        let Some(target) = target else { return Ok(None) };
        // On a second handle, off the async runtime: a large database takes a while to copy.
        let worker = with(&desk, |app, _| app.reopen())?;
        let actor = with(&desk, |_, actor| Ok(actor.clone()))?;
        tauri::async_runtime::spawn_blocking(move || worker.backup(&actor, &target))
            .await
            .map_err(|_| internal("the backup stopped unexpectedly"))?
            .map(Some)
            .map_err(|e| e.body())
    }

    /// Replaces the data with the backup at `path` (or one chosen in the open dialog when null)
    /// after checking all of it; `passphrase` is the backup's. The app locks first (the data
    /// must be closed to be replaced) and stays locked: unlock with the backup's passphrase.
    /// `null` when the dialog is cancelled.
    async fn restore_backup(app, desk, path: Option<String>, passphrase: String) -> Option<RestoreView> {
        let source = match path {
            Some(path) => Some(std::path::PathBuf::from(path)),
            None => {
                use tauri_plugin_dialog::DialogExt;
                let (tx, rx) = std::sync::mpsc::channel();
                app.dialog().file().add_filter("Dossier backup", &["backup"]).pick_file(move |path| {
                    let _ = tx.send(path.and_then(|p| p.into_path().ok()));
                });
                tauri::async_runtime::spawn_blocking(move || rx.recv().ok().flatten()).await.ok().flatten()
            }
        };
        let Some(source) = source else { return Ok(None) };
        with(&desk, |_, actor| dossier_app::backup::may_restore(actor))?;
        let session = desk.session().take();
        let dir = desk.data_dir.clone();
        let passphrase = dossier_app::Passphrase::new(passphrase);
        tauri::async_runtime::spawn_blocking(move || {
            drop(session);
            dossier_app::backup::restore(&dir, &source, &passphrase, time::OffsetDateTime::now_utc())
        })
        .await
        .map_err(|_| internal("the restore stopped unexpectedly"))?
        .map(Some)
        .map_err(|e| e.body())
    }

    /// Asks for a scan with the system's open-file dialog and attaches it; `null` when the
    /// dialog is cancelled.
    async fn pick_file(app, desk) -> Option<StoredFileView> {
        use tauri_plugin_dialog::DialogExt;
        let (tx, rx) = std::sync::mpsc::channel();
        app.dialog().file().add_filter("Scans", &["png", "jpg", "jpeg", "gif", "webp", "pdf"]).pick_file(move |path| {
            let _ = tx.send(path.and_then(|p| p.into_path().ok()));
        });
        let picked = tauri::async_runtime::spawn_blocking(move || rx.recv().ok().flatten()).await.ok().flatten();
        match picked {
            Some(path) => with(&desk, |app, actor| app.attach_file(actor, &path)).map(Some),
            None => Ok(None),
        }
    }
}
