//! Tauri commands: each receives its DTOs, calls one dossier-app function and maps the error to
//! the shared body. They run off the UI thread (`async`), so the window never freezes.

use dossier_app::dto::*;
use dossier_app::policy::PolicyDto;
use dossier_app::sync::{OutboxView, ProviderInput, ProviderView, SyncRunView, SyncStatusView};
use dossier_app::{Actor, Dossier, ErrorBody, LifecycleCommand, VerifyContactInput};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State};

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

#[derive(Serialize)]
pub struct AppInfo {
    data_dir: String,
    version: &'static str,
    actor: String,
}

#[tauri::command(async)]
fn app_info(desk: State<'_, Desk>) -> AppInfo {
    AppInfo {
        data_dir: desk.data_dir.display().to_string(),
        version: env!("CARGO_PKG_VERSION"),
        actor: desk.actor.as_str().to_owned(),
    }
}

#[tauri::command(async)]
fn dashboard(desk: State<'_, Desk>) -> Answer<DashboardView> {
    with(&desk, |app, _| app.dashboard())
}

#[tauri::command(async)]
fn list_queue(desk: State<'_, Desk>, query: QueueQuery) -> Answer<Page<QueueItem>> {
    with(&desk, |app, _| app.queue(&query))
}

#[tauri::command(async)]
fn get_customer(desk: State<'_, Desk>, id: String) -> Answer<CustomerView> {
    with(&desk, |app, _| app.customer(&id))
}

#[tauri::command(async)]
fn create_customer(desk: State<'_, Desk>, input: CreateCustomerInput) -> Answer<CustomerView> {
    with(&desk, |app, actor| app.create_customer(actor, &input))
}

#[tauri::command(async)]
fn preview_gate(desk: State<'_, Desk>, input: CreateCustomerInput, verified: Vec<String>) -> Answer<GatePreview> {
    with(&desk, |app, _| Ok(app.preview_gate(&input, &verified)))
}

#[tauri::command(async)]
fn add_address(desk: State<'_, Desk>, id: String, input: AddressInput) -> Answer<CustomerView> {
    with(&desk, |app, actor| app.add_address(actor, &id, &input))
}

#[tauri::command(async)]
fn add_document(desk: State<'_, Desk>, id: String, input: DocumentInput) -> Answer<CustomerView> {
    with(&desk, |app, actor| app.add_document(actor, &id, &input))
}

#[tauri::command(async)]
fn add_contact(desk: State<'_, Desk>, id: String, input: ContactInput) -> Answer<CustomerView> {
    with(&desk, |app, actor| app.add_contact(actor, &id, &input))
}

#[tauri::command(async)]
fn add_tax_detail(desk: State<'_, Desk>, id: String, input: TaxDetailInput) -> Answer<CustomerView> {
    with(&desk, |app, actor| app.add_tax_detail(actor, &id, &input))
}

#[tauri::command(async)]
fn add_member(desk: State<'_, Desk>, id: String, input: MemberInput) -> Answer<CustomerView> {
    with(&desk, |app, actor| app.add_member(actor, &id, &input))
}

#[tauri::command(async)]
fn verify_contact(desk: State<'_, Desk>, id: String, input: VerifyContactInput) -> Answer<CustomerView> {
    with(&desk, |app, actor| app.verify_contact(actor, &id, &input))
}

#[tauri::command(async)]
fn verify_customer(desk: State<'_, Desk>, id: String, level: String, note: Option<String>) -> Answer<CustomerView> {
    with(&desk, |app, actor| app.verify(actor, &id, &level, note.as_deref()))
}

#[tauri::command(async)]
fn activate_customer(desk: State<'_, Desk>, id: String) -> Answer<CustomerView> {
    with(&desk, |app, actor| app.activate(actor, &id))
}

#[tauri::command(async)]
fn lifecycle(desk: State<'_, Desk>, id: String, action: String, reason: String) -> Answer<CustomerView> {
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

#[tauri::command(async)]
fn list_verifications(desk: State<'_, Desk>, query: VerificationQuery) -> Answer<Page<VerificationView>> {
    with(&desk, |app, _| app.list_verifications(&query))
}

#[tauri::command(async)]
fn get_verification(desk: State<'_, Desk>, id: String) -> Answer<VerificationView> {
    with(&desk, |app, _| app.verification(&id))
}

#[tauri::command(async)]
fn create_verification(desk: State<'_, Desk>, input: CreateVerificationInput) -> Answer<VerificationView> {
    with(&desk, |app, actor| app.create_verification(actor, &input))
}

#[tauri::command(async)]
fn open_edd(desk: State<'_, Desk>, id: String) -> Answer<VerificationView> {
    with(&desk, |app, actor| app.open_edd(actor, &id))
}

#[tauri::command(async)]
fn advance_verification(
    desk: State<'_, Desk>,
    id: String,
    input: AdvanceVerificationInput,
) -> Answer<VerificationView> {
    with(&desk, |app, actor| app.advance_verification(actor, &id, &input))
}

#[tauri::command(async)]
fn decide_verification(desk: State<'_, Desk>, id: String, input: DecideInput) -> Answer<VerificationView> {
    with(&desk, |app, actor| app.decide_verification(actor, &id, &input))
}

#[tauri::command(async)]
fn add_evidence(desk: State<'_, Desk>, id: String, input: EvidenceInput) -> Answer<VerificationView> {
    with(&desk, |app, actor| app.add_evidence(actor, &id, &input))
}

#[tauri::command(async)]
fn add_note(desk: State<'_, Desk>, id: String, text: String) -> Answer<VerificationView> {
    with(&desk, |app, actor| app.add_note(actor, &id, Some(&text)))
}

#[tauri::command(async)]
fn assign_case(desk: State<'_, Desk>, id: String, assignee: Option<String>) -> Answer<VerificationView> {
    with(&desk, |app, actor| app.assign(actor, &id, assignee.as_deref()))
}

#[tauri::command(async)]
fn snooze_case(
    desk: State<'_, Desk>,
    id: String,
    until: Option<String>,
    reason: Option<String>,
) -> Answer<VerificationView> {
    with(&desk, |app, actor| app.snooze(actor, &id, until.as_deref(), reason.as_deref()))
}

#[tauri::command(async)]
fn perform_kyc(desk: State<'_, Desk>, id: String, input: PerformKycInput) -> Answer<KycResultsView> {
    with(&desk, |app, actor| app.perform_kyc(actor, &id, &input))
}

#[tauri::command(async)]
fn kyc_results(desk: State<'_, Desk>, id: String) -> Answer<KycResultsView> {
    with(&desk, |app, _| app.kyc_results(&id))
}

#[tauri::command(async)]
fn identity_status(desk: State<'_, Desk>, id: String) -> Answer<IdentityStatusView> {
    with(&desk, |app, _| app.identity_status(&id))
}

#[tauri::command(async)]
fn risk(desk: State<'_, Desk>, id: String) -> Answer<RiskView> {
    with(&desk, |app, _| app.risk(&id))
}

#[tauri::command(async)]
fn decisions(desk: State<'_, Desk>, id: String) -> Answer<Vec<DecisionView>> {
    with(&desk, |app, _| app.decisions(&id))
}

#[tauri::command(async)]
fn audit_events(
    desk: State<'_, Desk>,
    entity: Option<String>,
    limit: Option<usize>,
    after: Option<String>,
) -> Answer<Page<AuditEventView>> {
    with(&desk, |app, _| app.audit_events(entity.as_deref(), limit, after.as_deref()))
}

#[tauri::command(async)]
fn get_policy(desk: State<'_, Desk>) -> Answer<PolicyDto> {
    with(&desk, |app, _| app.policy())
}

#[tauri::command(async)]
fn set_policy(desk: State<'_, Desk>, input: PolicyDto) -> Answer<PolicyDto> {
    with(&desk, |app, actor| app.set_policy(actor, &input))
}

#[tauri::command(async)]
fn list_providers(desk: State<'_, Desk>) -> Answer<Vec<ProviderView>> {
    with(&desk, |app, _| app.providers())
}

#[tauri::command(async)]
fn set_provider(desk: State<'_, Desk>, input: ProviderInput) -> Answer<ProviderView> {
    with(&desk, |app, actor| app.set_provider(actor, &input))
}

#[tauri::command(async)]
fn disable_provider(desk: State<'_, Desk>, name: String) -> Answer<ProviderView> {
    with(&desk, |app, actor| app.disable_provider(actor, &name))
}

#[tauri::command(async)]
fn sync_status(desk: State<'_, Desk>) -> Answer<SyncStatusView> {
    with(&desk, |app, _| app.sync_status(true))
}

#[tauri::command(async)]
fn sync_list(
    desk: State<'_, Desk>,
    status: Option<String>,
    limit: Option<usize>,
    after: Option<String>,
) -> Answer<Page<OutboxView>> {
    with(&desk, |app, _| app.sync_list(status.as_deref(), limit, after.as_deref()))
}

#[tauri::command(async)]
fn sync_retry(desk: State<'_, Desk>, id: String) -> Answer<OutboxView> {
    with(&desk, |app, actor| app.sync_retry(actor, &id))
}

#[tauri::command(async)]
fn sync_discard(desk: State<'_, Desk>, id: String, reason: String) -> Answer<OutboxView> {
    with(&desk, |app, actor| app.sync_discard(actor, &id, Some(&reason)))
}

/// Drains the outbox on its own thread (the worker runs its own runtime) and reports progress
/// as `sync-progress` events for the progress bar.
#[tauri::command]
async fn sync_run<R: Runtime>(app_handle: AppHandle<R>, desk: State<'_, Desk>) -> Answer<SyncRunView> {
    let (data_dir, actor) = (desk.data_dir.clone(), desk.actor.clone());
    let worker = std::thread::spawn(move || {
        let app = Dossier::open(&data_dir).map_err(|e| e.body())?;
        let _ = actor;
        app.sync_run(None, true, |p| {
            let _ = app_handle.emit(
                "sync-progress",
                serde_json::json!({"delivered": p.delivered, "retried": p.retried,
                    "needs_attention": p.needs_attention, "reconciled": p.reconciled}),
            );
        })
        .map_err(|e| e.body())
    });
    tauri::async_runtime::spawn_blocking(move || worker.join())
        .await
        .map_err(|_| internal("the sync run could not be awaited"))?
        .map_err(|_| internal("the sync run stopped unexpectedly"))?
}

#[tauri::command]
async fn pick_file<R: Runtime>(app_handle: AppHandle<R>) -> Option<String> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = std::sync::mpsc::channel();
    app_handle.dialog().file().add_filter("Scans", &["png", "jpg", "jpeg", "pdf"]).pick_file(move |path| {
        let _ = tx.send(path.map(|p| p.to_string()));
    });
    tauri::async_runtime::spawn_blocking(move || rx.recv().ok().flatten()).await.ok().flatten()
}

pub fn handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_info,
        dashboard,
        list_queue,
        get_customer,
        create_customer,
        preview_gate,
        add_address,
        add_document,
        add_contact,
        add_tax_detail,
        add_member,
        verify_contact,
        verify_customer,
        activate_customer,
        lifecycle,
        list_verifications,
        get_verification,
        create_verification,
        open_edd,
        advance_verification,
        decide_verification,
        add_evidence,
        add_note,
        assign_case,
        snooze_case,
        perform_kyc,
        kyc_results,
        identity_status,
        risk,
        decisions,
        audit_events,
        get_policy,
        set_policy,
        list_providers,
        set_provider,
        disable_provider,
        sync_status,
        sync_list,
        sync_retry,
        sync_discard,
        sync_run,
        pick_file,
    ]
}
