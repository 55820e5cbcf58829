//! Paxos Identity API v2: identities (create always `PENDING`, delta updates, cursor lists),
//! the sandbox status switch and identity controls, with problem-details errors and the
//! `409 Already Exists` + `meta.existing` answer for a duplicate `ref_id` or `cip_id`
//! (providers.md §2 and §5).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Extension, Router};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::auth::{self, Grant, require_bearer};
use crate::ids::{Seeded, stream};
use crate::persist::fields::{arc_str, time_rfc3339, time_rfc3339_option};
use crate::sim::Sim;
use crate::wire::{ApiError, Fields, Provider, Query, iso, json_object, now, parse_rfc3339, reply};

const P: Provider = Provider::Paxos;

pub(crate) fn routes(sim: Arc<Sim>) -> Router<Arc<Sim>> {
    let api = Router::new()
        .route("/v2/identity/identities", post(create_identity).get(list_identities))
        .route("/v2/identity/identities/{id}", get(get_identity).put(update_identity))
        .route("/v2/identity/identities/{id}/sandbox-status", put(sandbox_status))
        .route("/v2/identity/controls", post(create_control).get(list_controls).delete(delete_control))
        .route_layer(from_fn_with_state((sim, P), require_bearer));
    Router::new().route("/oauth2/token", post(auth::paxos_token)).merge(api)
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(P, StatusCode::BAD_REQUEST, "bad-request", message)
}

/// The page size when `limit` is not given, and the largest accepted.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

const STATUSES: &[&str] = &["PENDING", "ERROR", "APPROVED", "DENIED", "DISABLED"];
const SCREENING_STATUSES: &[&str] = &["PENDING", "APPROVED", "DENIED", "ERROR"];
const MEMBER_ROLES: &[&str] = &[
    "BENEFICIAL_OWNER",
    "ACCOUNT_OPENER",
    "AUTHORIZED_USER",
    "MANAGEMENT_CONTROL_PERSON",
    "TRUSTEE",
    "GRANTOR",
    "BENEFICIARY",
];
const CLIENT_CONTROL_TYPES: &[&str] = &["SELL_ONLY", "CLOSED", "DORMANT"];
const REASON_CODES: &[&str] = &[
    "OTHER",
    "END_USER_REQUEST",
    "INACTIVITY",
    "COMPLIANCE_KYC",
    "COMPLIANCE_EDD",
    "COMPLIANCE_SCREENING",
    "COMPLIANCE_INVESTIGATION",
    "ONBOARDING_INCOMPLETE",
    "RISK_FRAUD",
    "LEGAL_ORDER",
    "ADMINISTRATIVE",
];

/// Sub-statuses Paxos sets (here: the sandbox switch); ignored when a client sends them in
/// details, since they are read-only.
const READ_ONLY_DETAILS: &[&str] = &[
    "id_verification_status",
    "sanctions_verification_status",
    "additional_screening_status",
    "document_verification_status",
    "identity_verification_status",
    "aml_screening_status",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Kind {
    Person,
    Institution,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Person => "PERSON",
            Kind::Institution => "INSTITUTION",
        }
    }

    fn details_key(self) -> &'static str {
        match self {
            Kind::Person => "person_details",
            Kind::Institution => "institution_details",
        }
    }

    fn parse(text: &str) -> Option<Kind> {
        match text {
            "PERSON" => Some(Kind::Person),
            "INSTITUTION" => Some(Kind::Institution),
            _ => None,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Identity {
    seq: u64,
    id: String,
    kind: Kind,
    #[serde(with = "arc_str")]
    owner: Arc<str>,
    ref_id: Option<String>,
    details: Map<String, Value>,
    institution_members: Option<Value>,
    tax_details: Option<Value>,
    tax_details_not_required: bool,
    customer_due_diligence: Option<Map<String, Value>>,
    metadata: Map<String, Value>,
    is_merchant: bool,
    last_kyc_refresh_date: Option<String>,
    user_disabled: bool,
    id_verification: String,
    sanctions: String,
    additional_screening: String,
    document_verification: String,
    /// Indexes into `Records::controls`.
    controls: Vec<usize>,
    #[serde(with = "time_rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time_rfc3339")]
    updated_at: OffsetDateTime,
}

impl Identity {
    fn cip_id(&self) -> Option<&str> {
        self.details.get("cip_id").and_then(Value::as_str)
    }
}

#[derive(Serialize, Deserialize)]
struct Control {
    seq: u64,
    id: String,
    identity_id: String,
    kind: String,
    reason_code: String,
    reason: Option<String>,
    #[serde(with = "time_rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time_rfc3339_option")]
    deleted_at: Option<OffsetDateTime>,
}

impl Control {
    fn json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.clone().into());
        m.insert("identity_id".into(), self.identity_id.clone().into());
        m.insert("type".into(), self.kind.clone().into());
        m.insert("set_by".into(), "SET_BY_CLIENT".into());
        m.insert("is_overridable".into(), true.into());
        m.insert("reason_code".into(), self.reason_code.clone().into());
        if let Some(reason) = &self.reason {
            m.insert("reason".into(), reason.clone().into());
        }
        m.insert("created_at".into(), iso(self.created_at).into());
        if let Some(deleted_at) = self.deleted_at {
            m.insert("deleted_at".into(), iso(deleted_at).into());
        }
        Value::Object(m)
    }
}

/// Everything Paxos stores. The indexes are not saved in the state file but rebuilt from the
/// records by [`Records::reindex`].
#[derive(Serialize, Deserialize)]
pub(crate) struct Records {
    ids: Seeded,
    next_seq: u64,
    identities: Vec<Identity>,
    #[serde(skip)]
    at: HashMap<String, usize>,
    #[serde(skip)]
    by_ref: HashMap<(Arc<str>, String), usize>,
    #[serde(skip)]
    by_cip: HashMap<String, usize>,
    controls: Vec<Control>,
    #[serde(skip)]
    control_at: HashMap<String, usize>,
}

impl Records {
    pub fn new(seed: u64) -> Self {
        Self {
            ids: Seeded::new(seed, stream::PAXOS),
            next_seq: 1,
            identities: Vec::new(),
            at: HashMap::new(),
            by_ref: HashMap::new(),
            by_cip: HashMap::new(),
            controls: Vec::new(),
            control_at: HashMap::new(),
        }
    }

    /// Rebuilds the indexes of records read from a state file, and checks that the control
    /// positions it stores point at controls.
    pub fn reindex(&mut self) -> Result<(), &'static str> {
        let controls = self.controls.len();
        if self.identities.iter().any(|i| i.controls.iter().any(|c| *c >= controls)) {
            return Err("a Paxos identity names a control that does not exist");
        }
        self.at = self.identities.iter().enumerate().map(|(n, i)| (i.id.clone(), n)).collect();
        self.by_ref = self
            .identities
            .iter()
            .enumerate()
            .filter_map(|(n, i)| Some(((i.owner.clone(), i.ref_id.clone()?), n)))
            .collect();
        self.by_cip =
            self.identities.iter().enumerate().filter_map(|(n, i)| Some((i.cip_id()?.to_string(), n))).collect();
        self.control_at = self.controls.iter().enumerate().map(|(n, c)| (c.id.clone(), n)).collect();
        Ok(())
    }

    fn active_controls(&self, identity: &Identity) -> impl Iterator<Item = &Control> {
        identity.controls.iter().map(|i| &self.controls[*i]).filter(|c| c.deleted_at.is_none())
    }

    /// The overall status, first match wins: a denied screening → `DENIED`; a frozen control →
    /// `ERROR`; a dormant or closed control, or `set_user_disabled` → `DISABLED`; a person with
    /// id and sanctions approved, or an institution with sanctions approved → `APPROVED`;
    /// otherwise `PENDING`.
    fn status(&self, identity: &Identity) -> &'static str {
        let denied = identity.sanctions == "DENIED"
            || identity.additional_screening == "DENIED"
            || (identity.kind == Kind::Person && identity.id_verification == "DENIED");
        let controls: Vec<&str> = self.active_controls(identity).map(|c| c.kind.as_str()).collect();
        let approved = identity.sanctions == "APPROVED"
            && (identity.kind == Kind::Institution || identity.id_verification == "APPROVED");
        if denied {
            "DENIED"
        } else if controls.contains(&"FROZEN") {
            "ERROR"
        } else if identity.user_disabled || controls.iter().any(|c| matches!(*c, "DORMANT" | "CLOSED")) {
            "DISABLED"
        } else if approved {
            "APPROVED"
        } else {
            "PENDING"
        }
    }

    /// Both documented forms side by side: the current `requirements` + `active_controls`, and
    /// the keyed form of `sources/paxos-update-identity.txt` (present only when it applies).
    fn status_details(&self, identity: &Identity) -> Value {
        let mut checks = Vec::new();
        if identity.kind == Kind::Person {
            checks.push(("ID_VERIFICATION", "IDV", identity.id_verification.as_str()));
        }
        checks.push(("SANCTIONS_SCREENING", "SANCTIONS", identity.sanctions.as_str()));
        if identity.additional_screening != "PENDING" {
            checks.push(("ADDITIONAL_SCREENING", "ADDITIONAL_SCREENING", identity.additional_screening.as_str()));
        }
        let mut m = Map::new();
        let requirements: Vec<Value> =
            checks.iter().map(|(kind, _, status)| json!({ "type": kind, "status": status })).collect();
        m.insert("requirements".into(), requirements.into());
        let controls: Vec<Value> = self.active_controls(identity).map(Control::json).collect();
        m.insert("active_controls".into(), controls.into());

        let pending: Vec<Value> = checks
            .iter()
            .filter(|(_, _, s)| matches!(*s, "PENDING" | "ERROR"))
            .map(|(_, short, _)| json!({ "type": short, "status": "PENDING" }))
            .collect();
        if !pending.is_empty() {
            m.insert(
                "pending_verifications".into(),
                json!({ "message": "identity verifications are pending", "metadata": { "statuses": pending } }),
            );
        }
        let failed: Vec<Value> = checks
            .iter()
            .filter(|(_, _, s)| *s == "DENIED")
            .map(|(_, short, _)| json!({ "type": short, "status": "FAILED" }))
            .collect();
        if !failed.is_empty() {
            m.insert(
                "failed_verifications".into(),
                json!({ "message": "identity verifications failed", "metadata": { "statuses": failed } }),
            );
        }
        let kinds: Vec<&str> = self.active_controls(identity).map(|c| c.kind.as_str()).collect();
        let (dormant, frozen, closed) =
            (kinds.contains(&"DORMANT"), kinds.contains(&"FROZEN"), kinds.contains(&"CLOSED"));
        if dormant || frozen || closed || identity.user_disabled {
            m.insert(
                "failed_controls".into(),
                json!({
                    "message": "controls restrict this identity",
                    "metadata": {
                        "dormant": dormant || identity.user_disabled, "frozen": frozen, "closed": closed, "denied": false,
                        "admin_controls": { "dormant": false, "frozen": false, "closed": false, "denied": false },
                    },
                }),
            );
        }
        Value::Object(m)
    }

    fn identity_json(&self, identity: &Identity) -> Value {
        let status = self.status(identity);
        let mut m = Map::new();
        m.insert("id".into(), identity.id.clone().into());
        m.insert("type".into(), identity.kind.as_str().into());
        m.insert("identity_type".into(), identity.kind.as_str().into());
        m.insert("status".into(), status.into());
        m.insert("summary_status".into(), status.into());
        m.insert("status_details".into(), self.status_details(identity));
        if let Some(ref_id) = &identity.ref_id {
            m.insert("ref_id".into(), ref_id.clone().into());
        }
        let mut details = identity.details.clone();
        if identity.kind == Kind::Person {
            details.insert("id_verification_status".into(), identity.id_verification.clone().into());
        }
        details.insert("sanctions_verification_status".into(), identity.sanctions.clone().into());
        details.insert("additional_screening_status".into(), identity.additional_screening.clone().into());
        details.insert("document_verification_status".into(), identity.document_verification.clone().into());
        m.insert(identity.kind.details_key().into(), Value::Object(details));
        if let Some(members) = &identity.institution_members {
            m.insert("institution_members".into(), members.clone());
        }
        if let Some(tax) = &identity.tax_details {
            m.insert("tax_details".into(), tax.clone());
        }
        m.insert("tax_details_not_required".into(), identity.tax_details_not_required.into());
        if let Some(cdd) = &identity.customer_due_diligence {
            m.insert("customer_due_diligence".into(), Value::Object(cdd.clone()));
        }
        m.insert("metadata".into(), Value::Object(identity.metadata.clone()));
        m.insert("is_merchant".into(), identity.is_merchant.into());
        if let Some(date) = &identity.last_kyc_refresh_date {
            m.insert("last_kyc_refresh_date".into(), date.clone().into());
        }
        m.insert("user_disabled".into(), identity.user_disabled.into());
        m.insert("admin_disabled".into(), false.into());
        m.insert("created_at".into(), iso(identity.created_at).into());
        m.insert("updated_at".into(), iso(identity.updated_at).into());
        Value::Object(m)
    }

    fn find(&self, id: &str) -> Result<usize, ApiError> {
        self.at.get(id).copied().ok_or_else(|| ApiError::not_found(P, "identity not found"))
    }

    fn already_exists(&self, index: usize, field: &str) -> ApiError {
        ApiError::new(
            P,
            StatusCode::CONFLICT,
            "already-exists",
            format!("an identity with this {field} already exists"),
        )
        .with_meta(json!({ "existing": self.identity_json(&self.identities[index]) }))
    }

    pub fn dump(&self) -> Value {
        json!({
            "identities": self.identities.iter().map(|i| self.identity_json(i)).collect::<Vec<_>>(),
            "controls": self.controls.iter().map(Control::json).collect::<Vec<_>>(),
        })
    }
}

fn id_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(id)| id).map_err(|_| bad("the identity id in the path is not valid"))
}

/// The identity type named by `type` or `identity_type` (either is accepted: the documented API
/// and the source document disagree), if any.
fn named_kind(fields: &Fields) -> Result<Option<Kind>, ApiError> {
    let mut named = None;
    for key in ["type", "identity_type"] {
        if let Some(text) = fields.str(key)? {
            let kind = Kind::parse(text).ok_or_else(|| bad(format!("{key} must be PERSON or INSTITUTION")))?;
            if named.is_some_and(|k| k != kind) {
                return Err(bad("type and identity_type disagree"));
            }
            named = Some(kind);
        }
    }
    Ok(named)
}

/// Details as sent, without the read-only sub-statuses.
fn writable_details(details: &Map<String, Value>) -> Map<String, Value> {
    details
        .iter()
        .filter(|(k, _)| !READ_ONLY_DETAILS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn check_members(records: &Records, members: &[Value]) -> Result<(), ApiError> {
    if members.is_empty() {
        return Err(bad("an institution needs at least one member in institution_members"));
    }
    for member in members {
        let id = member.get("identity_id").and_then(Value::as_str).unwrap_or("");
        let exists = records.at.get(id).is_some_and(|i| records.identities[*i].kind == Kind::Person);
        if !exists {
            return Err(bad("every institution member must be an existing PERSON identity"));
        }
        let roles = member.get("roles").and_then(Value::as_array);
        let roles_ok = roles.is_some_and(|r| {
            !r.is_empty() && r.iter().all(|role| role.as_str().is_some_and(|s| MEMBER_ROLES.contains(&s)))
        });
        if !roles_ok {
            return Err(bad("every institution member needs roles from the documented list"));
        }
    }
    Ok(())
}

/// Tax details are filled from the CIP id when its type is SSN, ITIN or EIN, as Paxos does.
fn tax_from_cip(details: &Map<String, Value>) -> Option<Value> {
    let kind = details.get("cip_id_type")?.as_str()?;
    if !matches!(kind, "SSN" | "ITIN" | "EIN") {
        return None;
    }
    let id = details.get("cip_id")?.as_str()?;
    let country = details.get("cip_id_country").and_then(Value::as_str).unwrap_or("USA");
    Some(json!([{ "tax_payer_id": id, "tax_payer_country": country }]))
}

/// `POST /v2/identity/identities` → 200 with the identity, always `PENDING`.
async fn create_identity(
    State(sim): State<Arc<Sim>>,
    Extension(grant): Extension<Grant>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let person = fields.object("person_details")?;
    let institution = fields.object("institution_details")?;
    let kind = match (named_kind(&fields)?, person, institution) {
        (_, Some(_), Some(_)) => return Err(bad("send person_details or institution_details, not both")),
        (Some(Kind::Person), None, Some(_)) | (Some(Kind::Institution), Some(_), None) => {
            return Err(bad("the details sent do not match the identity type"));
        }
        (Some(kind), _, _) => kind,
        (None, Some(_), None) => Kind::Person,
        (None, None, Some(_)) => Kind::Institution,
        (None, None, None) => return Err(bad("person_details or institution_details is required")),
    };
    let details = writable_details(person.or(institution).unwrap_or(&Map::new()));
    let ref_id = fields.str("ref_id")?.map(str::to_string);
    let members = fields.array("institution_members")?;
    let tax_details = fields.array("tax_details")?.map(|t| Value::Array(t.clone())).or_else(|| tax_from_cip(&details));
    let not_required = fields.bool("set_tax_details_not_required")?.or(fields.bool("tax_details_not_required")?);
    let cdd = fields.object("customer_due_diligence")?.cloned();
    let metadata = fields.object("metadata")?.cloned().unwrap_or_default();
    let is_merchant = fields.bool("is_merchant")?.unwrap_or(false);
    let last_kyc_refresh_date = fields.str("last_kyc_refresh_date")?.map(str::to_string);
    // A passthrough verification that the client already did sets the id verification status.
    let id_verification = match details.get("passthrough_verification_status").and_then(Value::as_str) {
        Some(s @ ("APPROVED" | "DENIED")) => s.to_string(),
        _ => "PENDING".to_string(),
    };

    let mut records = sim.paxos.lock();
    if let Some(index) = ref_id.as_ref().and_then(|r| records.by_ref.get(&(grant.client_id.clone(), r.clone()))) {
        return Err(records.already_exists(*index, "ref_id"));
    }
    let cip_id = details.get("cip_id").and_then(Value::as_str).map(str::to_string);
    if let Some(index) = cip_id.as_ref().and_then(|c| records.by_cip.get(c)) {
        return Err(records.already_exists(*index, "cip_id"));
    }
    match (kind, members) {
        (Kind::Institution, members) => check_members(&records, members.map(Vec::as_slice).unwrap_or(&[]))?,
        (Kind::Person, Some(_)) => return Err(bad("institution_members is only for INSTITUTION identities")),
        (Kind::Person, None) => {}
    }
    let now = now();
    let id = records.ids.uuid();
    let seq = records.next_seq;
    records.next_seq += 1;
    let index = records.identities.len();
    records.identities.push(Identity {
        seq,
        id: id.clone(),
        kind,
        owner: grant.client_id.clone(),
        ref_id: ref_id.clone(),
        details,
        institution_members: members.map(|m| Value::Array(m.clone())),
        tax_details,
        tax_details_not_required: not_required.unwrap_or(false),
        customer_due_diligence: cdd,
        metadata,
        is_merchant,
        last_kyc_refresh_date,
        user_disabled: false,
        id_verification,
        sanctions: "PENDING".into(),
        additional_screening: "PENDING".into(),
        document_verification: "PENDING".into(),
        controls: Vec::new(),
        created_at: now,
        updated_at: now,
    });
    records.at.insert(id, index);
    if let Some(ref_id) = ref_id {
        records.by_ref.insert((grant.client_id.clone(), ref_id), index);
    }
    if let Some(cip_id) = cip_id {
        records.by_cip.insert(cip_id, index);
    }
    Ok(reply(StatusCode::OK, records.identity_json(&records.identities[index])))
}

/// `GET /v2/identity/identities/{id}`.
async fn get_identity(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let records = sim.paxos.lock();
    let index = records.find(&id)?;
    Ok(reply(StatusCode::OK, records.identity_json(&records.identities[index])))
}

/// `PUT /v2/identity/identities/{id}`: a delta. Top-level fields not sent stay as they are;
/// `person_details`, `institution_details`, `customer_due_diligence` and `metadata` merge key by
/// key; `tax_details` is replaced whole; a PERSON/INSTITUTION switch is refused.
async fn update_identity(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let mut records = sim.paxos.lock();
    let index = records.find(&id)?;
    let kind = records.identities[index].kind;
    let other_details = match kind {
        Kind::Person => "institution_details",
        Kind::Institution => "person_details",
    };
    if named_kind(&fields)?.is_some_and(|k| k != kind) || fields.value(other_details).is_some() {
        return Err(bad("changing an identity between PERSON and INSTITUTION is not supported"));
    }
    let details = fields.object(kind.details_key())?.map(writable_details);
    let ref_id = fields.str("ref_id")?.map(str::to_string);
    let tax_details = fields.array("tax_details")?.cloned();
    let not_required = fields.bool("set_tax_details_not_required")?;
    let cdd = fields.object("customer_due_diligence")?;
    let metadata = fields.object("metadata")?;
    let is_merchant = fields.bool("is_merchant")?;
    let last_kyc_refresh_date = fields.str("last_kyc_refresh_date")?;
    let user_disabled = fields.bool("set_user_disabled")?;
    let members = fields.array("institution_members")?;
    if let (Kind::Person, Some(_)) = (kind, members) {
        return Err(bad("institution_members is only for INSTITUTION identities"));
    }
    if let Some(members) = members {
        check_members(&records, members)?;
    }

    // Uniqueness first, so a refused update changes nothing. `ref_id` is unique per API user:
    // the one who created the identity.
    let owner = records.identities[index].owner.clone();
    if let Some(ref_id) = &ref_id
        && let Some(other) = records.by_ref.get(&(owner.clone(), ref_id.clone())).copied().filter(|o| *o != index)
    {
        return Err(records.already_exists(other, "ref_id"));
    }
    let new_cip = details.as_ref().and_then(|d| d.get("cip_id")).and_then(Value::as_str).map(str::to_string);
    if let Some(cip) = &new_cip
        && let Some(other) = records.by_cip.get(cip).copied().filter(|o| *o != index)
    {
        return Err(records.already_exists(other, "cip_id"));
    }

    let old_ref = records.identities[index].ref_id.clone();
    let old_cip = records.identities[index].cip_id().map(str::to_string);
    let identity = &mut records.identities[index];
    if let Some(details) = details {
        identity.details.extend(details);
    }
    if let Some(ref_id) = &ref_id {
        identity.ref_id = Some(ref_id.clone());
    }
    if let Some(tax) = tax_details {
        identity.tax_details = Some(Value::Array(tax));
    }
    if let Some(flag) = not_required {
        identity.tax_details_not_required = flag;
    }
    if let Some(cdd) = cdd {
        identity.customer_due_diligence.get_or_insert_with(Map::new).extend(cdd.clone());
    }
    if let Some(metadata) = metadata {
        identity.metadata.extend(metadata.clone());
    }
    if let Some(flag) = is_merchant {
        identity.is_merchant = flag;
    }
    if let Some(date) = last_kyc_refresh_date {
        identity.last_kyc_refresh_date = Some(date.to_string());
    }
    if let Some(flag) = user_disabled {
        identity.user_disabled = flag;
    }
    if let Some(members) = members {
        identity.institution_members = Some(Value::Array(members.clone()));
    }
    identity.updated_at = now();
    if let Some(ref_id) = ref_id.filter(|r| Some(r) != old_ref.as_ref()) {
        if let Some(old) = old_ref {
            records.by_ref.remove(&(owner.clone(), old));
        }
        records.by_ref.insert((owner, ref_id), index);
    }
    if let Some(cip) = new_cip.filter(|c| Some(c) != old_cip.as_ref()) {
        if let Some(old) = old_cip {
            records.by_cip.remove(&old);
        }
        records.by_cip.insert(cip, index);
    }
    Ok(reply(StatusCode::OK, records.identity_json(&records.identities[index])))
}

/// `PUT /v2/identity/identities/{id}/sandbox-status`: sets any of `id_verification_status`,
/// `sanctions_verification_status`, `document_verification_status`, `additional_screening_status`.
async fn sandbox_status(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let mut set: Vec<(&str, String)> = Vec::new();
    for key in [
        "id_verification_status",
        "sanctions_verification_status",
        "document_verification_status",
        "additional_screening_status",
    ] {
        if let Some(value) = fields.str(key)? {
            let allowed: &[&str] =
                if key == "id_verification_status" { &["PENDING", "APPROVED", "DENIED"] } else { SCREENING_STATUSES };
            if !allowed.contains(&value) {
                return Err(bad(format!("{key} must be one of {}", allowed.join(", "))));
            }
            set.push((key, value.to_string()));
        }
    }
    if set.is_empty() {
        return Err(bad("send at least one of id_verification_status, sanctions_verification_status, \
             document_verification_status, additional_screening_status"));
    }
    let mut records = sim.paxos.lock();
    let index = records.find(&id)?;
    let identity = &mut records.identities[index];
    for (key, value) in set {
        match key {
            "id_verification_status" => identity.id_verification = value,
            "sanctions_verification_status" => identity.sanctions = value,
            "document_verification_status" => identity.document_verification = value,
            _ => identity.additional_screening = value,
        }
    }
    identity.updated_at = now();
    Ok(reply(StatusCode::OK, records.identity_json(&records.identities[index])))
}

/// `page_cursor` is the sequence number of the last item of the previous page, opaque to clients.
fn encode_cursor(seq: u64) -> String {
    format!("c{seq:x}")
}

fn decode_cursor(text: &str) -> Result<u64, ApiError> {
    text.strip_prefix('c')
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or_else(|| bad("page_cursor is not a cursor this API returned"))
}

fn limit_of(query: &Query) -> Result<usize, ApiError> {
    match query.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| bad(format!("limit must be between 1 and {MAX_LIMIT}"))),
    }
}

/// One page: the items after the cursor in the chosen order, and the next cursor if more remain.
fn page<T>(items: Vec<(u64, T)>, descending: bool, after: Option<u64>, limit: usize) -> (Vec<T>, Option<String>) {
    let mut items = items;
    if descending {
        items.reverse();
    }
    let mut rest = items.into_iter().filter(|(seq, _)| match after {
        None => true,
        Some(cursor) if descending => *seq < cursor,
        Some(cursor) => *seq > cursor,
    });
    let taken: Vec<(u64, T)> = rest.by_ref().take(limit).collect();
    let next = match (rest.next(), taken.last()) {
        (Some(_), Some((last, _))) => Some(encode_cursor(*last)),
        _ => None,
    };
    (taken.into_iter().map(|(_, item)| item).collect(), next)
}

fn page_json(items: Vec<Value>, next: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert("items".into(), items.into());
    if let Some(next) = next {
        m.insert("next_page_cursor".into(), next.into());
    }
    Value::Object(m)
}

/// `GET /v2/identity/identities` with `summary_status`, `identity_type`, `created_at.*`,
/// `updated_at.*`, `limit`, `order` (`DESC` default), `order_by` (`CREATED_AT`), `page_cursor`.
async fn list_identities(State(sim): State<Arc<Sim>>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let query = Query::parse(P, raw.as_deref())?;
    let status = match query.get("summary_status") {
        Some(s) if STATUSES.contains(&s) => Some(s),
        Some(_) => return Err(bad(format!("summary_status must be one of {}", STATUSES.join(", ")))),
        None => None,
    };
    let kind = match query.get("identity_type") {
        Some(t) => Some(Kind::parse(t).ok_or_else(|| bad("identity_type must be PERSON or INSTITUTION"))?),
        None => None,
    };
    let descending = match query.get("order") {
        None => true,
        Some(o) if o.eq_ignore_ascii_case("DESC") => true,
        Some(o) if o.eq_ignore_ascii_case("ASC") => false,
        Some(_) => return Err(bad("order must be ASC or DESC")),
    };
    if query.get("order_by").is_some_and(|o| !o.eq_ignore_ascii_case("CREATED_AT")) {
        return Err(bad("order_by must be CREATED_AT"));
    }
    let mut ranges = Vec::new();
    for field in ["created_at", "updated_at"] {
        for op in ["lt", "lte", "eq", "gte", "gt"] {
            let key = format!("{field}.{op}");
            if let Some(text) = query.get(&key) {
                let at = parse_rfc3339(text).ok_or_else(|| bad(format!("{key} must be an RFC 3339 time")))?;
                ranges.push((field, op, at));
            }
        }
    }
    let limit = limit_of(&query)?;
    let after = query.get("page_cursor").filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;

    let records = sim.paxos.lock();
    let in_range = |identity: &Identity| {
        ranges.iter().all(|(field, op, at)| {
            let t = if *field == "created_at" { identity.created_at } else { identity.updated_at };
            match *op {
                "lt" => t < *at,
                "lte" => t <= *at,
                "eq" => t == *at,
                "gte" => t >= *at,
                _ => t > *at,
            }
        })
    };
    let selected: Vec<(u64, &Identity)> = records
        .identities
        .iter()
        .filter(|i| status.is_none_or(|s| records.status(i) == s))
        .filter(|i| kind.is_none_or(|k| i.kind == k))
        .filter(|i| in_range(i))
        .map(|i| (i.seq, i))
        .collect();
    let (items, next) = page(selected, descending, after, limit);
    let items = items.into_iter().map(|i| records.identity_json(i)).collect();
    Ok(reply(StatusCode::OK, page_json(items, next)))
}

/// `POST /v2/identity/controls` `{identity_id, type, reason_code, reason}`. Clients may create
/// `SELL_ONLY`, `CLOSED` and `DORMANT`; a second active control of a type is a conflict.
async fn create_control(State(sim): State<Arc<Sim>>, body: Bytes) -> Result<Response, ApiError> {
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let identity_id = fields.str("identity_id")?.ok_or_else(|| bad("identity_id is required"))?.to_string();
    let kind = fields.str("type")?.ok_or_else(|| bad("type is required"))?.to_string();
    if !CLIENT_CONTROL_TYPES.contains(&kind.as_str()) {
        return Err(bad("type must be SELL_ONLY, CLOSED or DORMANT: other controls are set by Paxos"));
    }
    let reason_code = fields.str("reason_code")?.ok_or_else(|| bad("reason_code is required"))?.to_string();
    if !REASON_CODES.contains(&reason_code.as_str()) {
        return Err(bad(format!("reason_code must be one of {}", REASON_CODES.join(", "))));
    }
    let reason = fields.str("reason")?.map(str::to_string);
    let mut records = sim.paxos.lock();
    let identity_index = records.find(&identity_id)?;
    let existing =
        records.active_controls(&records.identities[identity_index]).find(|c| c.kind == kind).map(Control::json);
    if let Some(existing) = existing {
        return Err(ApiError::new(
            P,
            StatusCode::CONFLICT,
            "already-exists",
            "an active control of this type already exists for the identity",
        )
        .with_meta(json!({ "existing": existing })));
    }
    let now = now();
    let id = records.ids.uuid();
    let seq = records.next_seq;
    records.next_seq += 1;
    let index = records.controls.len();
    records.controls.push(Control {
        seq,
        id: id.clone(),
        identity_id,
        kind,
        reason_code,
        reason,
        created_at: now,
        deleted_at: None,
    });
    records.control_at.insert(id, index);
    let identity = &mut records.identities[identity_index];
    identity.controls.push(index);
    identity.updated_at = now;
    Ok(reply(StatusCode::OK, records.controls[index].json()))
}

/// `GET /v2/identity/controls` with `identity_id`, `include_deleted`, `limit`, `page_cursor`;
/// newest first.
async fn list_controls(State(sim): State<Arc<Sim>>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let query = Query::parse(P, raw.as_deref())?;
    let include_deleted = match query.get("include_deleted") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(bad("include_deleted must be true or false")),
    };
    let limit = limit_of(&query)?;
    let after = query.get("page_cursor").filter(|c| !c.is_empty()).map(decode_cursor).transpose()?;
    let identity_id = query.get("identity_id");
    let records = sim.paxos.lock();
    let selected: Vec<(u64, Value)> = records
        .controls
        .iter()
        .filter(|c| identity_id.is_none_or(|id| c.identity_id == id))
        .filter(|c| include_deleted || c.deleted_at.is_none())
        .map(|c| (c.seq, c.json()))
        .collect();
    let (items, next) = page(selected, true, after, limit);
    Ok(reply(StatusCode::OK, page_json(items, next)))
}

/// `DELETE /v2/identity/controls?control_id=…&reason=…`: removes a client-set control.
async fn delete_control(State(sim): State<Arc<Sim>>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let query = Query::parse(P, raw.as_deref())?;
    let control_id = query.get("control_id").ok_or_else(|| bad("control_id is required"))?;
    let mut records = sim.paxos.lock();
    let index = records
        .control_at
        .get(control_id)
        .copied()
        .filter(|i| records.controls[*i].deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found(P, "control not found"))?;
    let now = now();
    records.controls[index].deleted_at = Some(now);
    let identity_id = records.controls[index].identity_id.clone();
    if let Some(i) = records.at.get(&identity_id).copied() {
        records.identities[i].updated_at = now;
    }
    Ok(reply(StatusCode::OK, records.controls[index].json()))
}
