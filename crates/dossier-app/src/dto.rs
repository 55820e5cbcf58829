//! The wire contract: input DTOs (deserialized, unknown fields refused) and views (serialized).
//! Domain types never serialize themselves; conversion here is by hand, so the JSON shape is a
//! deliberate, documented contract (docs/cli.md).

use std::collections::BTreeMap;
use ts_rs::TS;

use serde::{Deserialize, Serialize};

/// A number or a string holding a decimal, so `25.5` and `"25.5"` both work without floats.
#[derive(Debug, Clone, Deserialize, TS)]
#[ts(export)]
#[serde(untagged)]
pub enum DecimalInput {
    Number(serde_json::Number),
    Text(String),
}

impl DecimalInput {
    pub fn as_text(&self) -> String {
        match self {
            DecimalInput::Number(n) => n.to_string(),
            DecimalInput::Text(s) => s.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomerInput {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub ref_id: Option<String>,
    pub person: Option<PersonInput>,
    pub institution: Option<InstitutionInput>,
    #[serde(default)]
    pub addresses: Vec<AddressInput>,
    #[serde(default)]
    pub contacts: Vec<ContactInput>,
    #[serde(default)]
    pub documents: Vec<DocumentInput>,
    #[serde(default)]
    pub tax_details: Vec<TaxDetailInput>,
    #[serde(default)]
    pub tax_details_not_required: bool,
    pub customer_due_diligence: Option<DueDiligenceInput>,
    #[serde(default)]
    pub is_merchant: bool,
    /// Declared a politically exposed person (raises the risk rating).
    #[serde(default)]
    pub politically_exposed: bool,
    pub last_kyc_refresh_date: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub country_of_citizenship: Option<String>,
    pub country_of_birth: Option<String>,
    pub occupation: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct InstitutionInput {
    pub legal_name: Option<String>,
    pub doing_business_as_name: Option<String>,
    pub incorporation_date: Option<String>,
    pub country_of_formation: Option<String>,
    pub industry_type: Option<String>,
    pub legal_entity_type: Option<String>,
    pub website: Option<String>,
    pub business_description: Option<String>,
    #[serde(default)]
    pub members: Vec<MemberInput>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    pub ownership_percentage: Option<DecimalInput>,
    pub date_of_birth: Option<String>,
    #[serde(default)]
    pub is_control_person: bool,
    /// The id of an existing individual customer who is this member.
    pub person_customer_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub kind: Option<String>,
    #[serde(default)]
    pub primary: bool,
    pub street_address: Option<String>,
    pub street_address_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub kind: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    #[serde(rename = "type")]
    pub document_type: Option<String>,
    pub number: Option<String>,
    pub issuing_country: Option<String>,
    pub issued_on: Option<String>,
    pub expires_on: Option<String>,
    pub status: Option<String>,
    #[serde(default)]
    pub files: Vec<DocumentFileInput>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct DocumentFileInput {
    pub role: Option<String>,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct TaxDetailInput {
    pub tax_id_type: Option<String>,
    pub tax_id: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct DueDiligenceInput {
    pub source_of_funds: Option<String>,
    pub source_of_wealth: Option<String>,
    pub purpose_of_account: Option<String>,
    pub expected_activity_level: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ControlInput {
    #[serde(rename = "type")]
    pub control_type: Option<String>,
    pub set_by: Option<String>,
    pub reason_code: Option<String>,
}

/// A page of a list and the cursor for the next one (`null` on the last page).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct CustomerView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub ref_id: String,
    pub state: &'static str,
    pub verification_level: Option<&'static str>,
    pub state_changed_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub person: Option<PersonView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub institution: Option<InstitutionView>,
    pub addresses: Vec<AddressView>,
    pub contacts: Vec<ContactView>,
    pub documents: Vec<DocumentView>,
    pub tax_details: Vec<TaxDetailView>,
    pub tax_details_not_required: bool,
    pub customer_due_diligence: Option<DueDiligenceView>,
    pub controls: Vec<ControlView>,
    pub is_merchant: bool,
    pub politically_exposed: bool,
    pub last_kyc_refresh_date: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: String,
    pub updated_at: String,
    /// What the verify gate still lacks today, per level, in precedence order.
    pub verification_gate: GateView,
    pub risk_rating: &'static str,
    /// `PENDING`, `ERROR`, `APPROVED`, `DENIED` or `DISABLED`; `identity status` explains it.
    pub identity_status: &'static str,
    /// `none`, `in_progress`, `passed` or `failed`.
    pub edd_status: &'static str,
    pub kyc_refresh_due_on: Option<String>,
    /// The limits of the customer's tier (`null` while it is not verified).
    pub activity_limits: Option<LimitsView>,
    /// What each provider last said of the customer (read back by sync).
    pub provider_statuses: Vec<ProviderStatusItem>,
    /// Four-eyes requests about the customer waiting for a second person.
    pub pending_approvals: Vec<crate::approvals::ApprovalView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ProviderStatusItem {
    pub provider: &'static str,
    pub status: String,
    pub fetched_at: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LimitsView {
    /// `partial`, `full` or `edd`.
    pub tier: &'static str,
    pub limits: Vec<ActivityLimitView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ActivityLimitView {
    pub activity: String,
    /// A decimal string: money is never a float.
    pub amount: String,
    pub currency: String,
    pub interval: &'static str,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PersonView {
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    pub date_of_birth: String,
    pub country_of_citizenship: Option<String>,
    pub country_of_birth: Option<String>,
    pub occupation: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct InstitutionView {
    pub legal_name: String,
    pub doing_business_as_name: Option<String>,
    pub incorporation_date: Option<String>,
    pub country_of_formation: String,
    pub industry_type: Option<String>,
    pub legal_entity_type: Option<String>,
    pub website: Option<String>,
    pub business_description: Option<String>,
    pub members: Vec<MemberView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct MemberView {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub roles: Vec<&'static str>,
    pub ownership_percentage: Option<String>,
    pub date_of_birth: Option<String>,
    pub is_control_person: bool,
    pub person_customer_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AddressView {
    pub id: String,
    pub kind: &'static str,
    pub primary: bool,
    pub street_address: String,
    pub street_address_2: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ContactView {
    pub id: String,
    pub kind: &'static str,
    pub value: String,
    pub verified: bool,
    pub verification_method: Option<&'static str>,
    pub verified_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DocumentView {
    pub id: String,
    #[serde(rename = "type")]
    pub document_type: &'static str,
    /// Masked: only the last four characters are shown.
    pub number: String,
    pub issuing_country: String,
    pub issued_on: Option<String>,
    pub expires_on: Option<String>,
    pub status: &'static str,
    /// Active, issued and unexpired today.
    pub valid_today: bool,
    pub files: Vec<DocumentFileView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DocumentFileView {
    pub role: &'static str,
    pub reference: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TaxDetailView {
    pub id: String,
    pub tax_id_type: &'static str,
    /// Masked: only the last four digits are shown.
    pub tax_id: String,
    pub country: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DueDiligenceView {
    pub source_of_funds: Option<String>,
    pub source_of_wealth: Option<String>,
    pub purpose_of_account: Option<String>,
    pub expected_activity_level: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ControlView {
    pub id: String,
    #[serde(rename = "type")]
    pub control_type: &'static str,
    pub set_by: &'static str,
    pub reason_code: &'static str,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct GateView {
    pub partial: GateLevelView,
    pub full: GateLevelView,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct GateLevelView {
    pub passes: bool,
    pub reasons: Vec<GateReasonView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct GateReasonView {
    pub code: &'static str,
    /// Short human words for a checklist.
    pub label: &'static str,
    pub message: &'static str,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct AuditEventView {
    pub seq: i64,
    pub id: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub reason: Option<String>,
    pub summary: serde_json::Value,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct CreateVerificationInput {
    pub customer_id: Option<String>,
    #[serde(rename = "type")]
    pub verification_type: Option<String>,
    pub method: Option<String>,
    /// The provider's inquiry or reference, when known.
    pub external_reference: Option<String>,
}

/// Moves a verification along: `to` is `waiting`, `pending`, `reviewing`, `completed` (with an
/// `outcome`) or `expired`.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct AdvanceVerificationInput {
    pub to: Option<String>,
    pub outcome: Option<String>,
    #[serde(default)]
    pub failure_codes: Vec<String>,
    /// Compliance checks as `{type, outcome, failure_codes}`.
    #[serde(default)]
    pub compliance_checks: Vec<ComplianceCheckInput>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ComplianceCheckInput {
    #[serde(rename = "type")]
    pub check_type: Option<String>,
    pub outcome: Option<String>,
    #[serde(default)]
    pub failure_codes: Vec<String>,
}

/// An officer's decision on a verification or EDD case.
#[derive(Debug, Clone, Default, Deserialize, Serialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct DecideInput {
    pub outcome: Option<String>,
    pub reason: Option<String>,
    #[serde(default)]
    pub failure_codes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct EvidenceInput {
    /// The checklist item this evidence is for.
    pub item: Option<String>,
    /// Where the document is (a file reference).
    pub reference: Option<String>,
    pub description: Option<String>,
}

/// Filters for listing verifications.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct VerificationQuery {
    pub customer_id: Option<String>,
    #[serde(rename = "type")]
    pub verification_type: Option<String>,
    pub method: Option<String>,
    #[serde(default)]
    pub states: Vec<String>,
    pub outcome: Option<String>,
    pub limit: Option<usize>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct VerificationView {
    pub id: String,
    pub customer_id: String,
    #[serde(rename = "type")]
    pub verification_type: &'static str,
    pub method: &'static str,
    pub state: &'static str,
    pub outcome: Option<&'static str>,
    pub failure_codes: Vec<String>,
    pub compliance_checks: Vec<ComplianceCheckView>,
    pub compliance_decisions: Vec<ComplianceDecisionView>,
    pub external_reference: Option<String>,
    pub expires_at: Option<String>,
    pub completed_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub assignee: Option<String>,
    pub sla_due_at: Option<String>,
    pub sla_breached: bool,
    pub snoozed_until: Option<String>,
    /// EDD cases only: the checklist with its evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub checklist: Option<Vec<ChecklistItemView>>,
    pub notes: Vec<NoteView>,
    pub decisions: Vec<DecisionView>,
    /// Four-eyes requests about this case waiting for a second person (an EDD decision).
    pub pending_approvals: Vec<crate::approvals::ApprovalView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ComplianceCheckView {
    #[serde(rename = "type")]
    pub check_type: &'static str,
    pub outcome: &'static str,
    pub failure_codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ComplianceDecisionView {
    #[serde(rename = "type")]
    pub decision_type: &'static str,
    pub state: &'static str,
    pub failure_codes: Vec<String>,
    pub expired_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ChecklistItemView {
    pub item: String,
    pub satisfied: bool,
    pub evidence: Vec<EvidenceView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct EvidenceView {
    pub id: String,
    pub reference: String,
    pub description: Option<String>,
    pub added_by: String,
    pub added_at: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct NoteView {
    pub id: String,
    pub author: String,
    pub text: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DecisionView {
    pub id: String,
    pub verification_id: Option<String>,
    pub kind: &'static str,
    pub outcome: &'static str,
    pub reason: String,
    pub failure_codes: Vec<String>,
    pub evidence: Vec<String>,
    pub decided_by: String,
    pub decided_at: String,
}

/// Qolo's perform-KYC request.
#[derive(Debug, Clone, Default, Deserialize, Serialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct PerformKycInput {
    pub perform_kyc: Option<bool>,
    pub notes: Option<String>,
    #[serde(default)]
    pub identifications: Vec<IdentificationInput>,
    #[serde(default)]
    pub answers: Vec<AnswerInput>,
    pub document: Option<KycDocumentInput>,
    pub client_verification: Option<ClientVerificationInput>,
    pub program_guid: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct IdentificationInput {
    pub govt_id_type: Option<String>,
    pub govt_id_number: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    pub key: Option<String>,
    pub answer: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct KycDocumentInput {
    pub document_type: Option<String>,
    pub file_type: Option<String>,
    pub issuing_country: Option<String>,
    pub front: Option<String>,
    pub back: Option<String>,
    pub face_image: Option<String>,
    pub liveness_detected: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ClientVerificationInput {
    pub document_approved: Option<bool>,
    pub person_status_update: Option<bool>,
    pub override_sanction_check: Option<bool>,
    pub verification_datetime: Option<String>,
    pub verification_provider: Option<String>,
    pub verification_provider_refnumber: Option<String>,
    pub verification_level: Option<String>,
    /// Why the firm overrides: required.
    pub reason: Option<String>,
    pub document: Option<KycDocumentInput>,
}

/// A KYC result as a provider reports it (Qolo's response shape), recorded by sync or by hand.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct KycReportInput {
    pub verification_mode: Option<String>,
    pub verification_level: Option<String>,
    pub additional_desc: Option<String>,
    #[serde(default, rename = "verificationResults")]
    pub verification_results: Vec<KycReportResultInput>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct KycReportResultInput {
    pub verification_method: Option<String>,
    pub verification_date: Option<String>,
    pub response_code: Option<String>,
    pub verification_results: Option<String>,
    pub reason_code: Option<String>,
    #[serde(default)]
    pub questions: Vec<QuestionInput>,
    pub provider_reference: Option<String>,
    pub provider_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    pub prompt: Option<String>,
    pub key: Option<String>,
    #[serde(default)]
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct KycResultView {
    pub id: String,
    pub action: &'static str,
    pub status: &'static str,
    pub verification_level: Option<String>,
    pub provider: Option<String>,
    pub provider_reference: Option<String>,
    pub response_code: Option<String>,
    pub reason_codes: Vec<String>,
    pub questions: Vec<QuestionView>,
    pub actor: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QuestionView {
    pub key: String,
    pub prompt: String,
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct KycResultsView {
    pub customer_id: String,
    pub results: Vec<KycResultView>,
    /// Questions from the latest provider result that have not been answered since.
    pub open_questions: Vec<QuestionView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct IdentityStatusView {
    pub customer_id: String,
    pub status: &'static str,
    /// Paxos' keyed object: one entry per detail that applies, each with a message.
    pub status_details: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RiskView {
    pub customer_id: String,
    pub rating: &'static str,
    pub score: u32,
    pub factors: Vec<RiskFactorView>,
    pub assessed_at: Option<String>,
    pub requires_edd: bool,
    pub last_kyc_refresh_date: Option<String>,
    pub kyc_refresh_due_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RiskFactorView {
    pub code: &'static str,
    pub points: u32,
    pub detail: String,
}

/// The work-queue filters (all optional; they combine with AND).
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    pub state: Option<String>,
    pub verification_state: Option<String>,
    pub verification_method: Option<String>,
    /// `none`, `in_progress`, `passed`, `failed`.
    pub edd: Option<String>,
    pub risk: Option<String>,
    pub identity_status: Option<String>,
    pub refresh_due_before: Option<String>,
    pub assignee: Option<String>,
    #[serde(default)]
    pub sla_breached: bool,
    /// `newest` (default), `oldest`, `refresh_due`.
    pub sort: Option<String>,
    pub limit: Option<usize>,
    pub after: Option<String>,
    /// Words matched by prefix against the name, reference id, email addresses and identity
    /// document numbers; every word must match (`ann smi` finds Anna Smith).
    #[serde(default)]
    #[ts(optional)]
    pub search: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct QueueItem {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub ref_id: String,
    pub name: String,
    pub state: &'static str,
    pub verification_level: Option<&'static str>,
    pub risk_rating: &'static str,
    pub identity_status: &'static str,
    pub edd_status: &'static str,
    pub kyc_refresh_due_on: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct TickReport {
    pub now: String,
    pub verifications_expired: usize,
    pub decisions_expired: usize,
    pub customers_needing_kyc_again: usize,
}

/// What the verify gate would say of a customer being captured, before anything is saved.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct GatePreview {
    /// The gate per level, as if the contacts marked verified were verified.
    pub gate: Option<GateView>,
    /// Input faults that stop the document from being saved at all.
    pub field_errors: Vec<crate::error::Reason>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DashboardView {
    pub counts: DashboardCounts,
    pub funnel: Funnel,
    pub queue_age: Vec<QueueAgeView>,
    pub oldest_cases: Vec<VerificationView>,
    pub customers_by_state: std::collections::BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct DashboardCounts {
    pub awaiting_review: i64,
    pub sla_breached: i64,
    pub onboarded_today: i64,
    pub sync_needs_attention: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct Funnel {
    pub pending: i64,
    pub verified: i64,
    pub active: i64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct QueueAgeView {
    pub case_type: String,
    pub lt_1d: i64,
    pub d1_3: i64,
    pub d3_7: i64,
    pub gt_7d: i64,
}

// Developer tools (`dossier dev`). Not part of the desktop app's IPC, so no TypeScript bindings.

/// What `dossier dev generate` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct GenerateReport {
    pub customers: u64,
    pub seed: u64,
    /// The moment the generated history ends at.
    pub now: String,
    /// Rows written per table.
    pub rows: BTreeMap<String, u64>,
    pub elapsed_s: f64,
}

/// What `dossier dev check-derived` found.
#[derive(Debug, Clone, Serialize)]
pub struct DerivedCheckReport {
    pub customers_checked: u64,
    /// Customers with at least one stored value that differs from the recomputed one.
    pub mismatched: u64,
    /// The first 100 of them.
    pub mismatches: Vec<DerivedMismatch>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DerivedMismatch {
    pub customer_id: String,
    /// `risk_rating`, `identity_status`, `edd_status`, `kyc_refresh_due_on`, `verified_on`,
    /// `risk_assessment`.
    pub columns: Vec<String>,
}

/// How far an import has come; `import_customers` reports it after every batch.
#[derive(Debug, Clone, Default, Serialize, TS)]
#[ts(export)]
pub struct ImportProgress {
    /// Data rows read so far (blank rows are skipped and not counted).
    pub rows: u64,
    pub created: u64,
    pub unchanged: u64,
    pub rejected: u64,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ImportReport {
    pub dry_run: bool,
    pub rows: u64,
    pub created: u64,
    pub unchanged: u64,
    pub rejected: u64,
    /// Every rejected row, in file order.
    pub rejected_rows: Vec<RejectedRow>,
}

/// A row that changed nothing, and why.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RejectedRow {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    /// The row's ref id, when it is a valid one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ref_id: Option<String>,
    /// Every fault of the row; `field` is the CSV column.
    pub reasons: Vec<crate::error::Reason>,
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ExportSummary {
    /// `csv` or `jsonl`.
    pub format: &'static str,
    /// Data rows written (the CSV header line not counted).
    pub rows: u64,
    /// The device key that signed the export (signed audit exports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub device_key_fingerprint: Option<String>,
}
