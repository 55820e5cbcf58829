//! Tauri commands: each receives its DTOs, calls one dossier-app function and maps the error to
//! the shared body. They run off the UI thread (async), so the window never freezes.
//!
//! Every command is declared once, in the `commands!` list below, which also registers it with
//! Tauri and describes it for the TypeScript bindings (`ui/src/bindings/commands.ts`, written by
//! `cargo test -p dossier-desktop`; `make test` fails when the committed file differs).

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

/// Runs one dossier-app call with the data directory locked for its duration.
fn with<T>(desk: &State<'_, Desk>, f: impl FnOnce(&mut Dossier, &Actor) -> dossier_app::Result<T>) -> Answer<T> {
    // A panic inside a command cannot leave the database half-written (its transaction rolled
    // back), so a poisoned lock is safe to take over.
    let mut app = desk.app.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut app, &desk.actor).map_err(|e| e.body())
}

fn internal(message: &str) -> ErrorBody {
    ErrorBody { status: 500, code: "internal_error".into(), message: message.into(), reasons: Vec::new() }
}

/// What the window shows in its title bar and settings.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AppInfo {
    pub data_dir: String,
    pub version: String,
    pub actor: String,
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

commands! {
    /// Where the data lives, the version, who is acting, and the sandbox's address.
    async fn app_info(_app, desk) -> AppInfo {
        Ok(AppInfo {
            data_dir: desk.data_dir.display().to_string(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            actor: desk.actor.as_str().to_owned(),
            sandbox_url: desk.sandbox_url.clone(),
            launched_at_ms: desk.launched_at_ms,
        })
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
        let (data_dir, handle, actor) = (desk.data_dir.clone(), app.clone(), desk.actor.clone());
        let worker = std::thread::spawn(move || {
            let app = Dossier::open(&data_dir).map_err(|e| e.body())?;
            app.sync_run(&actor, None, true, |p| {
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
