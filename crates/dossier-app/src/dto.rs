//! The wire contract: input DTOs (deserialized, unknown fields refused) and views (serialized).
//! Domain types never serialize themselves; conversion here is by hand, so the JSON shape is a
//! deliberate, documented contract (docs/cli.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A number or a string holding a decimal, so `25.5` and `"25.5"` both work without floats.
#[derive(Debug, Clone, Deserialize)]
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

#[derive(Debug, Clone, Default, Deserialize)]
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
    pub last_kyc_refresh_date: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
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

#[derive(Debug, Clone, Default, Deserialize)]
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

#[derive(Debug, Clone, Default, Deserialize)]
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

#[derive(Debug, Clone, Default, Deserialize)]
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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub kind: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentFileInput {
    pub role: Option<String>,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxDetailInput {
    pub tax_id_type: Option<String>,
    pub tax_id: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueDiligenceInput {
    pub source_of_funds: Option<String>,
    pub source_of_wealth: Option<String>,
    pub purpose_of_account: Option<String>,
    pub expected_activity_level: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlInput {
    #[serde(rename = "type")]
    pub control_type: Option<String>,
    pub set_by: Option<String>,
    pub reason_code: Option<String>,
}

/// A page of a list and the cursor for the next one (`null` on the last page).
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub ref_id: String,
    pub state: &'static str,
    pub verification_level: Option<&'static str>,
    pub state_changed_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<PersonView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub institution: Option<InstitutionView>,
    pub addresses: Vec<AddressView>,
    pub contacts: Vec<ContactView>,
    pub documents: Vec<DocumentView>,
    pub tax_details: Vec<TaxDetailView>,
    pub tax_details_not_required: bool,
    pub customer_due_diligence: Option<DueDiligenceView>,
    pub controls: Vec<ControlView>,
    pub is_merchant: bool,
    pub last_kyc_refresh_date: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: String,
    pub updated_at: String,
    /// What the verify gate still lacks today, per level, in precedence order.
    pub verification_gate: GateView,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    pub date_of_birth: String,
    pub country_of_citizenship: Option<String>,
    pub country_of_birth: Option<String>,
    pub occupation: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct ContactView {
    pub id: String,
    pub kind: &'static str,
    pub value: String,
    pub verified: bool,
    pub verification_method: Option<&'static str>,
    pub verified_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
pub struct DocumentFileView {
    pub role: &'static str,
    pub reference: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaxDetailView {
    pub id: String,
    pub tax_id_type: &'static str,
    /// Masked: only the last four digits are shown.
    pub tax_id: String,
    pub country: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DueDiligenceView {
    pub source_of_funds: Option<String>,
    pub source_of_wealth: Option<String>,
    pub purpose_of_account: Option<String>,
    pub expected_activity_level: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlView {
    pub id: String,
    #[serde(rename = "type")]
    pub control_type: &'static str,
    pub set_by: &'static str,
    pub reason_code: &'static str,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateView {
    pub partial: GateLevelView,
    pub full: GateLevelView,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateLevelView {
    pub passes: bool,
    pub reasons: Vec<GateReasonView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateReasonView {
    pub code: &'static str,
    /// Short human words for a checklist.
    pub label: &'static str,
    pub message: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerSummary {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub ref_id: String,
    pub name: String,
    pub state: &'static str,
    pub verification_level: Option<&'static str>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
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
