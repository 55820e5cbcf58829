//! Cybrid Bank API: customers and identity verifications (KYC and EDD) with Cybrid's status
//! codes, `{status, error_message, message_code}` errors, `{total, page, per_page, objects}`
//! lists and state rules (providers.md §1 and §5). Shaped so the official Python SDK parses
//! every response: 32-character guids, list-typed `compliance_decisions`, ISO 8601 times.
//!
//! Records move on at the start of the next Cybrid request after they were written: a new
//! customer goes `storing → unverified`; a new verification goes `storing → waiting` (with a
//! Persona inquiry), or straight to `completed` when it has no inquiry (attested, database,
//! watchlists, bank account, counterparty) or asked for `passed_immediately` /
//! `failed_immediately`. The sandbox endpoints under `/_sandbox` move it on from there.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::auth::{self, Grant, require_bearer};
use crate::ids::{Seeded, stream};
use crate::persist::fields::time_rfc3339;
use crate::sim::{RecordsGuard, Sim};
use crate::wire::{ApiError, Fields, Provider, Query, iso, json_object, now, reply};

const P: Provider = Provider::Cybrid;

pub(crate) fn routes(sim: Arc<Sim>) -> Router<Arc<Sim>> {
    let api = Router::new()
        .route("/api/customers", post(create_customer).get(list_customers))
        .route("/api/customers/{guid}", get(get_customer).patch(patch_customer))
        .route("/api/identity_verifications", post(create_verification).get(list_verifications))
        .route("/api/identity_verifications/{guid}", get(get_verification))
        .route("/_sandbox/identity_verifications/{guid}/complete", post(sandbox_complete))
        .route("/_sandbox/identity_verifications/{guid}/state", post(sandbox_state))
        .route_layer(from_fn_with_state((sim, P), require_bearer));
    Router::new().route("/oauth/token", post(auth::cybrid_token)).merge(api)
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(P, status, code, message)
}

/// Locks the records and moves on what earlier requests wrote (see [`Records::advance`]). A
/// read with nothing to move on leaves the records untouched, so it gives the saver of a
/// persistent simulator nothing to do.
fn lock_advanced(sim: &Sim, now: OffsetDateTime) -> RecordsGuard<'_, Records> {
    let mut records = sim.cybrid.lock();
    if !records.fresh_customers.is_empty() || !records.fresh_verifications.is_empty() {
        records.advance(now);
    }
    records
}

const METHODS: &[&str] = &[
    "watchlists",
    "attested",
    "document_submission",
    "enhanced_due_diligence",
    "id_and_selfie",
    "tax_id_and_selfie",
    "business_registration",
    "attested_id_and_selfie",
    "attested_business_registration",
    "attested_business_associate",
    "attested_id_and_database",
    "attested_database",
    "database",
    "attested_ownership",
    "account_ownership",
];

/// Methods whose create needs `date_of_birth` (providers.md §1.5).
const NEEDS_DATE_OF_BIRTH: &[&str] = &[
    "attested",
    "attested_id_and_selfie",
    "attested_business_associate",
    "attested_id_and_database",
    "attested_database",
];

const ID_NUMBER_TYPES: &[&str] = &[
    "drivers_license",
    "passport",
    "passport_card",
    "visa",
    "residence_card",
    "social_security_number",
    "tax_identification_number",
    "identification_card",
    "work_permit",
    "indigenous_document_number",
    "national_identification_number",
    "employer_identification_number",
    "business_registration_number",
];

/// Customer fields returned only with `include_pii=true`.
const CUSTOMER_PII: &[&str] =
    &["aliases", "website", "date_of_birth", "phone_number", "email_address", "citizenship", "identification_numbers"];

/// Verification fields kept as the `pii` object of `IdentityVerificationWithDetails`.
const VERIFICATION_PII: &[&str] = &[
    "name",
    "aliases",
    "address",
    "date_of_birth",
    "phone_number",
    "email_address",
    "occupation",
    "citizenship",
    "website",
    "nature_of_business",
    "registered_address",
    "business_industry",
    "business_funds_source",
    "business_funds_destination",
    "business_type",
    "business_incorporation_date",
    "identification_numbers",
];

/// Longest comma-separated list filter Cybrid accepts.
const MAX_FILTER_CHARS: usize = 4096;

/// The page size when `per_page` is not given; Cybrid documents none.
const DEFAULT_PER_PAGE: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum CustomerState {
    Storing,
    Unverified,
    Verified,
    Rejected,
}

impl CustomerState {
    fn as_str(self) -> &'static str {
        match self {
            CustomerState::Storing => "storing",
            CustomerState::Unverified => "unverified",
            CustomerState::Verified => "verified",
            CustomerState::Rejected => "rejected",
        }
    }
}

/// Which activity limits a customer has: none until verified, a base tier once verified, a
/// higher tier once an EDD case passed (the EDD guide: approval raises the limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Tier {
    None,
    Verified,
    Edd,
}

#[derive(Serialize, Deserialize)]
struct Customer {
    guid: String,
    kind: String,
    state: CustomerState,
    tier: Tier,
    #[serde(with = "time_rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time_rfc3339")]
    updated_at: OffsetDateTime,
    name: Value,
    address: Value,
    labels: Vec<String>,
    pii: Map<String, Value>,
    compliance_decisions: Vec<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum IvState {
    Storing,
    Waiting,
    Pending,
    Reviewing,
    Expired,
    Completed,
}

impl IvState {
    fn as_str(self) -> &'static str {
        match self {
            IvState::Storing => "storing",
            IvState::Waiting => "waiting",
            IvState::Pending => "pending",
            IvState::Reviewing => "reviewing",
            IvState::Expired => "expired",
            IvState::Completed => "completed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [IvState::Storing, IvState::Waiting, IvState::Pending, IvState::Reviewing, IvState::Expired, IvState::Completed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Not yet completed or expired: an EDD case in one of these blocks a new one.
    fn in_progress(self) -> bool {
        matches!(self, IvState::Storing | IvState::Waiting | IvState::Pending | IvState::Reviewing)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Passed,
    Failed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
        }
    }
}

/// The sandbox's `expected_behaviours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Behaviour {
    Normal,
    PassImmediately,
    FailImmediately,
}

#[derive(Serialize, Deserialize)]
struct Verification {
    guid: String,
    kind: String,
    method: Option<String>,
    customer_guid: Option<String>,
    counterparty_guid: Option<String>,
    external_bank_account_guid: Option<String>,
    state: IvState,
    outcome: Option<Outcome>,
    failure_codes: Vec<String>,
    compliance_checks: Vec<Value>,
    compliance_decisions: Vec<Value>,
    persona_inquiry_id: Option<String>,
    persona_state: Option<String>,
    behaviour: Behaviour,
    options: Option<Value>,
    pii: Map<String, Value>,
    #[serde(with = "time_rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time_rfc3339")]
    updated_at: OffsetDateTime,
}

impl Verification {
    fn method(&self) -> &str {
        self.method.as_deref().unwrap_or("")
    }

    /// Verifications with no Persona inquiry, which complete without a `waiting` step: the
    /// partner attests (attested*), or the check is a data lookup (database, watchlists), or
    /// the subject is not a person (bank account, counterparty).
    fn has_no_inquiry(&self) -> bool {
        let method = self.method();
        self.kind != "kyc" || method.starts_with("attested") || matches!(method, "database" | "watchlists")
    }

    fn is_edd(&self) -> bool {
        self.kind == "kyc" && self.method() == "enhanced_due_diligence"
    }
}

/// Everything Cybrid stores. The indexes are not saved in the state file but rebuilt from the
/// records by [`Records::reindex`].
#[derive(Serialize, Deserialize)]
pub(crate) struct Records {
    ids: Seeded,
    bank_guid: String,
    customers: Vec<Customer>,
    #[serde(skip)]
    customer_at: HashMap<String, usize>,
    verifications: Vec<Verification>,
    #[serde(skip)]
    verification_at: HashMap<String, usize>,
    /// Verification indexes per customer guid, oldest first: the lookup a client makes after a
    /// lost create response stays cheap however many records there are.
    #[serde(skip)]
    verifications_of: HashMap<String, Vec<usize>>,
    /// Written since the last request; the next request moves them on.
    fresh_customers: Vec<usize>,
    fresh_verifications: Vec<usize>,
}

impl Records {
    pub fn new(seed: u64) -> Self {
        let mut ids = Seeded::new(seed, stream::CYBRID);
        let bank_guid = ids.hex32();
        Self {
            ids,
            bank_guid,
            customers: Vec::new(),
            customer_at: HashMap::new(),
            verifications: Vec::new(),
            verification_at: HashMap::new(),
            verifications_of: HashMap::new(),
            fresh_customers: Vec::new(),
            fresh_verifications: Vec::new(),
        }
    }

    /// Rebuilds the indexes of records read from a state file, and checks that the positions
    /// it stores point at records.
    pub fn reindex(&mut self) -> Result<(), &'static str> {
        let (customers, verifications) = (self.customers.len(), self.verifications.len());
        if self.fresh_customers.iter().any(|i| *i >= customers)
            || self.fresh_verifications.iter().any(|i| *i >= verifications)
        {
            return Err("a Cybrid record awaiting its next step does not exist");
        }
        self.customer_at = self.customers.iter().enumerate().map(|(i, c)| (c.guid.clone(), i)).collect();
        self.verification_at = self.verifications.iter().enumerate().map(|(i, iv)| (iv.guid.clone(), i)).collect();
        self.verifications_of = HashMap::new();
        for (i, iv) in self.verifications.iter().enumerate() {
            if let Some(customer) = &iv.customer_guid {
                self.verifications_of.entry(customer.clone()).or_default().push(i);
            }
        }
        Ok(())
    }

    /// Moves every record written by earlier requests on by one step; called first thing in
    /// every Cybrid request, under the lock, so a client always sees a consistent world.
    fn advance(&mut self, now: OffsetDateTime) {
        for i in std::mem::take(&mut self.fresh_customers) {
            let customer = &mut self.customers[i];
            if customer.state == CustomerState::Storing {
                customer.state = CustomerState::Unverified;
                customer.updated_at = now;
            }
        }
        for i in std::mem::take(&mut self.fresh_verifications) {
            let iv = &self.verifications[i];
            if iv.state != IvState::Storing {
                continue;
            }
            match iv.behaviour {
                Behaviour::PassImmediately => self.complete(i, Outcome::Passed, Vec::new(), now),
                Behaviour::FailImmediately => {
                    self.complete(i, Outcome::Failed, vec!["requested_failure".into()], now);
                }
                Behaviour::Normal if iv.has_no_inquiry() => self.complete(i, Outcome::Passed, Vec::new(), now),
                Behaviour::Normal => self.move_to(i, IvState::Waiting, now),
            }
        }
    }

    /// Moves a verification to a non-terminal state or `expired`, keeping `persona_state` in step.
    fn move_to(&mut self, i: usize, state: IvState, now: OffsetDateTime) {
        if self.verifications[i].persona_inquiry_id.is_none() && !self.verifications[i].has_no_inquiry() {
            let inquiry = format!("inq_{}", self.ids.alphanumeric(29));
            self.verifications[i].persona_inquiry_id = Some(inquiry);
        }
        let iv = &mut self.verifications[i];
        iv.state = state;
        iv.updated_at = now;
        if iv.persona_inquiry_id.is_some() {
            let persona_state = match state {
                IvState::Storing | IvState::Waiting => "waiting",
                IvState::Pending => "pending",
                IvState::Reviewing | IvState::Completed => "completed",
                IvState::Expired => "expired",
            };
            iv.persona_state = Some(persona_state.into());
        }
    }

    /// Completes a verification and applies what its outcome means for the customer
    /// (providers.md §1.8): a passing KYC verifies an unverified customer; a failing KYC whose
    /// codes are government-ID or selfie failures rejects one; a passing EDD raises the limits.
    fn complete(&mut self, i: usize, outcome: Outcome, failure_codes: Vec<String>, now: OffsetDateTime) {
        let customer_index =
            self.verifications[i].customer_guid.as_ref().and_then(|g| self.customer_at.get(g).copied());
        let customer_kind = customer_index.map(|c| self.customers[c].kind.clone()).unwrap_or_default();
        let iv = &mut self.verifications[i];
        let check_type = compliance_type(&iv.kind, iv.method(), &customer_kind);
        iv.state = IvState::Completed;
        iv.outcome = Some(outcome);
        iv.updated_at = now;
        if iv.persona_inquiry_id.is_some() {
            iv.persona_state = Some("completed".into());
        }
        iv.compliance_checks =
            vec![json!({ "type": check_type, "outcome": outcome.as_str(), "failure_codes": failure_codes })];
        let decision = json!({ "type": check_type, "state": outcome.as_str(), "failure_codes": failure_codes, "expired_at": null });
        iv.compliance_decisions = vec![decision.clone()];
        iv.failure_codes = failure_codes;

        let (is_kyc, is_edd) = (iv.kind == "kyc", iv.is_edd());
        let rejects = iv.failure_codes.iter().any(|c| c.starts_with("id_") || c.starts_with("selfie_"));
        let Some(c) = customer_index else { return };
        let customer = &mut self.customers[c];
        if !is_kyc {
            return;
        }
        customer.compliance_decisions.push(decision);
        customer.updated_at = now;
        let open = matches!(customer.state, CustomerState::Storing | CustomerState::Unverified);
        match (outcome, is_edd) {
            (Outcome::Passed, true) if customer.state == CustomerState::Verified => customer.tier = Tier::Edd,
            (Outcome::Passed, false) if open => {
                customer.state = CustomerState::Verified;
                customer.tier = customer.tier.max_with(Tier::Verified);
            }
            (Outcome::Failed, false) if open && rejects => customer.state = CustomerState::Rejected,
            _ => {}
        }
    }

    fn customer_json(&self, c: &Customer, include_pii: bool) -> Value {
        let mut m = Map::new();
        m.insert("guid".into(), c.guid.clone().into());
        m.insert("bank_guid".into(), self.bank_guid.clone().into());
        m.insert("type".into(), c.kind.clone().into());
        m.insert("created_at".into(), iso(c.created_at).into());
        m.insert("updated_at".into(), iso(c.updated_at).into());
        m.insert("state".into(), c.state.as_str().into());
        m.insert("name".into(), c.name.clone());
        m.insert("address".into(), c.address.clone());
        if include_pii {
            for key in CUSTOMER_PII {
                if let Some(value) = c.pii.get(*key) {
                    m.insert((*key).into(), value.clone());
                }
            }
        }
        m.insert("labels".into(), c.labels.clone().into());
        m.insert("compliance_decisions".into(), c.compliance_decisions.clone().into());
        m.insert("activity_limits".into(), activity_limits(c.tier));
        Value::Object(m)
    }

    /// The `IdentityVerification` shape (create and list); `details` adds the
    /// `IdentityVerificationWithDetails` fields (get by guid).
    fn verification_json(&self, iv: &Verification, details: bool, include_pii: bool) -> Value {
        let mut m = Map::new();
        m.insert("created_at".into(), iso(iv.created_at).into());
        m.insert("updated_at".into(), iso(iv.updated_at).into());
        m.insert("type".into(), iv.kind.clone().into());
        m.insert("guid".into(), iv.guid.clone().into());
        // The SDK types `method` as a non-null string: leave it out rather than send null.
        if let Some(method) = &iv.method {
            m.insert("method".into(), method.clone().into());
        }
        m.insert("customer_guid".into(), iv.customer_guid.clone().into());
        if let Some(guid) = &iv.counterparty_guid {
            m.insert("counterparty_guid".into(), guid.clone().into());
        }
        if let Some(guid) = &iv.external_bank_account_guid {
            m.insert("external_bank_account_guid".into(), guid.clone().into());
        }
        m.insert("state".into(), iv.state.as_str().into());
        m.insert("outcome".into(), iv.outcome.map(Outcome::as_str).into());
        m.insert("failure_codes".into(), iv.failure_codes.clone().into());
        if details {
            m.insert("persona_inquiry_id".into(), iv.persona_inquiry_id.clone().into());
            m.insert("persona_state".into(), iv.persona_state.clone().into());
            m.insert("compliance_checks".into(), iv.compliance_checks.clone().into());
        }
        m.insert("compliance_decisions".into(), iv.compliance_decisions.clone().into());
        if let Some(options) = &iv.options {
            m.insert("options".into(), options.clone());
        }
        if details && include_pii {
            m.insert("pii".into(), Value::Object(iv.pii.clone()));
        }
        Value::Object(m)
    }

    /// Everything stored, PII included, for `GET /_sim/records`.
    pub fn dump(&self) -> Value {
        json!({
            "bank_guid": self.bank_guid,
            "customers": self.customers.iter().map(|c| self.customer_json(c, true)).collect::<Vec<_>>(),
            "identity_verifications":
                self.verifications.iter().map(|iv| self.verification_json(iv, true, true)).collect::<Vec<_>>(),
        })
    }
}

impl Tier {
    fn max_with(self, other: Tier) -> Tier {
        match (self, other) {
            (Tier::Edd, _) | (_, Tier::Edd) => Tier::Edd,
            (Tier::Verified, _) | (_, Tier::Verified) => Tier::Verified,
            _ => Tier::None,
        }
    }
}

/// The simulator's activity limits per tier: amounts in USD cents over a rolling day.
fn activity_limits(tier: Tier) -> Value {
    let amount = match tier {
        Tier::None => return json!([]),
        Tier::Verified => 1_000_000,
        Tier::Edd => 10_000_000,
    };
    json!([{
        "type": "rolling",
        "name": "daily_limit",
        "asset": "USD",
        "amount": amount,
        "interval": 86_400,
        "activities": ["trading", "funding", "crypto_transfer"],
        "sides": ["deposit", "withdrawal"],
    }])
}

/// The compliance check and decision type a completed verification records.
fn compliance_type(kind: &str, method: &str, customer_kind: &str) -> &'static str {
    let business = customer_kind == "business";
    match (kind, method) {
        ("bank_account", "attested_ownership") => "external_bank_account_attested",
        ("bank_account", _) => "external_bank_account_verification",
        (_, "attested_business_registration") => "business_attested",
        (_, "attested_business_associate") => "business_associate_attested",
        (_, "attested_id_and_selfie") => "person_gov_id_attested",
        (_, m) if m.starts_with("attested") && business => "business_attested",
        (_, m) if m.starts_with("attested") => "person_attested",
        (_, "id_and_selfie") => "person_gov_id_verification",
        (_, "tax_id_and_selfie") => "person_tax_id_verification",
        (_, "watchlists") if business => "business_watchlists",
        (_, "watchlists") => "person_watchlists",
        (_, "business_registration") => "business_verification",
        _ if business => "business_verification",
        _ => "person_verification",
    }
}

fn guid_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(guid)| guid).map_err(|_| error(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid guid"))
}

/// `include_pii`, which Python sends as `True` / `False`.
fn include_pii(query: &Query) -> Result<bool, ApiError> {
    match query.get("include_pii") {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(error(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid include_pii")),
    }
}

/// `page` (0-based) and `per_page` (1–100).
fn paging(query: &Query) -> Result<(usize, usize), ApiError> {
    let page = match query.get("page") {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| error(StatusCode::BAD_REQUEST, "invalid_value", "page must be an integer of at least 0"))?,
    };
    let per_page = match query.get("per_page") {
        None => DEFAULT_PER_PAGE,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid_value", "per_page must be between 1 and 100"))?,
    };
    Ok((page, per_page))
}

/// A comma-separated filter, refused past 4096 characters as Cybrid does.
fn filter<'q>(query: &'q Query, key: &str, label: &str) -> Result<Option<Vec<&'q str>>, ApiError> {
    if query.get(key).is_some_and(|v| v.len() > MAX_FILTER_CHARS) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_value",
            format!("comma separated {label} must be at the most {MAX_FILTER_CHARS} characters long"),
        ));
    }
    Ok(query.list(key))
}

fn matches(filter: &Option<Vec<&str>>, value: Option<&str>) -> bool {
    match filter {
        None => true,
        Some(allowed) => value.is_some_and(|v| allowed.contains(&v)),
    }
}

/// Counts every match and keeps only the requested page, in one pass without gathering the rest.
fn cut_page<T>(items: impl Iterator<Item = T>, page: usize, per_page: usize) -> (usize, Vec<T>) {
    let start = page.saturating_mul(per_page);
    let mut kept = Vec::with_capacity(per_page);
    let mut total = 0;
    for item in items {
        if total >= start && kept.len() < per_page {
            kept.push(item);
        }
        total += 1;
    }
    (total, kept)
}

/// A page of everything, newest first, without touching the other records.
fn newest_page<T>(items: &[T], page: usize, per_page: usize) -> (usize, Vec<&T>) {
    (items.len(), items.iter().rev().skip(page.saturating_mul(per_page)).take(per_page).collect())
}

fn envelope(total: usize, page: usize, per_page: usize, objects: Vec<Value>) -> Value {
    json!({ "total": total, "page": page, "per_page": per_page, "objects": objects })
}

/// `POST /api/customers` → 201 `Customer` in state `storing`.
async fn create_customer(
    State(sim): State<Arc<Sim>>,
    Extension(grant): Extension<Grant>,
    body: Bytes,
) -> Result<Response, ApiError> {
    grant.require("customers:execute")?;
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let kind = match fields.str("type")? {
        None => return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "missing_parameter", "Customer type required")),
        Some(k @ ("individual" | "business")) => k.to_string(),
        Some(_) => {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unsupported_value",
                "Bank must be configured to support customer type",
            ));
        }
    };
    let name = fields.object("name")?;
    if let Some(name) = name {
        let has = |key: &str| name.get(key).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty());
        let complete = if kind == "business" { has("full") } else { has("first") && has("last") };
        if !complete {
            return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "missing_parameter", "Customer name required"));
        }
    }
    let address = fields.object("address")?;
    if let Some(address) = address {
        check_address(address)?;
    }
    if let Some(numbers) = fields.array("identification_numbers")? {
        check_identification_numbers(numbers)?;
    }
    let labels = fields.strings("labels")?.unwrap_or_default();
    if labels.len() > 8 {
        return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "Customer labels must be at most 8"));
    }
    let pii: Map<String, Value> =
        CUSTOMER_PII.iter().filter_map(|k| fields.value(k).map(|v| ((*k).to_string(), v.clone()))).collect();

    let now = now();
    let mut records = lock_advanced(&sim, now);
    let guid = records.ids.hex32();
    let customer = Customer {
        guid: guid.clone(),
        kind,
        state: CustomerState::Storing,
        tier: Tier::None,
        created_at: now,
        updated_at: now,
        name: name.cloned().map(Value::Object).unwrap_or(Value::Null),
        address: address.cloned().map(Value::Object).unwrap_or(Value::Null),
        labels,
        pii,
        compliance_decisions: Vec::new(),
    };
    let index = records.customers.len();
    records.customers.push(customer);
    records.customer_at.insert(guid, index);
    records.fresh_customers.push(index);
    let body = records.customer_json(&records.customers[index], false);
    Ok(reply(StatusCode::CREATED, body))
}

fn check_address(address: &Map<String, Value>) -> Result<(), ApiError> {
    let text = |key: &str| address.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    if text("street").is_none() || text("city").is_none() || text("country_code").is_none() {
        return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "missing_parameter", "Customer address required"));
    }
    let country_ok = text("country_code").is_some_and(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()));
    if !country_ok {
        return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "Address country code not supported"));
    }
    Ok(())
}

fn check_identification_numbers(numbers: &[Value]) -> Result<(), ApiError> {
    let mut seen = Vec::new();
    for number in numbers {
        let kind = number.get("type").and_then(Value::as_str).unwrap_or("");
        let value = number.get("identification_number").and_then(Value::as_str).unwrap_or("");
        if value.trim().is_empty() {
            return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_value", "Identification number missing"));
        }
        if !ID_NUMBER_TYPES.contains(&kind) {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                "Identification number not supported",
            ));
        }
        if seen.contains(&kind) {
            return Err(error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                "Identification number duplicate type supplied",
            ));
        }
        seen.push(kind);
    }
    Ok(())
}

/// `GET /api/customers` with `page`, `per_page`, `type`, `bank_guid`, `guid`, `label`,
/// `include_pii`; newest first.
async fn list_customers(
    State(sim): State<Arc<Sim>>,
    Extension(grant): Extension<Grant>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    grant.require("customers:read")?;
    let query = Query::parse(P, raw.as_deref())?;
    let pii = include_pii(&query)?;
    if pii {
        grant.require("customers:pii:read")?;
    }
    let (page, per_page) = paging(&query)?;
    let (types, banks, guids, labels) = (
        filter(&query, "type", "types")?,
        filter(&query, "bank_guid", "bank guids")?,
        filter(&query, "guid", "guids")?,
        filter(&query, "label", "labels")?,
    );
    let records = lock_advanced(&sim, now());
    let records = &*records;
    let selected = records
        .customers
        .iter()
        .rev()
        .filter(|c| matches(&types, Some(&c.kind)))
        .filter(|_| matches(&banks, Some(&records.bank_guid)))
        .filter(|c| matches(&guids, Some(&c.guid)))
        .filter(|c| labels.as_ref().is_none_or(|wanted| c.labels.iter().any(|l| wanted.contains(&l.as_str()))));
    let unfiltered = types.is_none() && banks.is_none() && guids.is_none() && labels.is_none();
    let (total, selected) =
        if unfiltered { newest_page(&records.customers, page, per_page) } else { cut_page(selected, page, per_page) };
    let objects = selected.into_iter().map(|c| records.customer_json(c, pii)).collect();
    Ok(reply(StatusCode::OK, envelope(total, page, per_page, objects)))
}

/// `GET /api/customers/{guid}`.
async fn get_customer(
    State(sim): State<Arc<Sim>>,
    Extension(grant): Extension<Grant>,
    guid: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    grant.require("customers:read")?;
    let guid = guid_of(guid)?;
    let query = Query::parse(P, raw.as_deref())?;
    let pii = include_pii(&query)?;
    if pii {
        grant.require("customers:pii:read")?;
    }
    let records = lock_advanced(&sim, now());
    let index = *records.customer_at.get(&guid).ok_or_else(|| ApiError::not_found(P, "customer not found"))?;
    Ok(reply(StatusCode::OK, records.customer_json(&records.customers[index], pii)))
}

/// `PATCH /api/customers/{guid}`: only `{"state":"unverified"}` is accepted.
async fn patch_customer(
    State(sim): State<Arc<Sim>>,
    Extension(grant): Extension<Grant>,
    guid: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    grant.require("customers:write")?;
    let guid = guid_of(guid)?;
    let map = json_object(P, &body)?;
    let now = now();
    let mut records = lock_advanced(&sim, now);
    let index = *records.customer_at.get(&guid).ok_or_else(|| ApiError::not_found(P, "customer not found"))?;
    if map.get("state").and_then(Value::as_str) != Some("unverified") {
        return Err(error(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid state"));
    }
    // Back to unverified means no verified limits either, until a new KYC passes.
    let customer = &mut records.customers[index];
    customer.state = CustomerState::Unverified;
    customer.tier = Tier::None;
    customer.updated_at = now;
    Ok(reply(StatusCode::OK, records.customer_json(&records.customers[index], false)))
}

/// `POST /api/identity_verifications` → 201 `IdentityVerification` in state `storing`.
/// EDD checks run in this order: the customer exists (404), is verified (422), and has no EDD
/// case in progress (409).
async fn create_verification(
    State(sim): State<Arc<Sim>>,
    Extension(grant): Extension<Grant>,
    body: Bytes,
) -> Result<Response, ApiError> {
    grant.require("identity_verifications:execute")?;
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let missing = |what: &str| error(StatusCode::UNPROCESSABLE_ENTITY, "missing_parameter", format!("{what} required"));
    let kind = match fields.str("type")? {
        None => return Err(missing("Identity verification type")),
        Some(k @ ("kyc" | "bank_account" | "counterparty")) => k.to_string(),
        Some(_) => return Err(error(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid type")),
    };
    let method = match fields.str("method")? {
        None => None,
        Some(m) if METHODS.contains(&m) => Some(m.to_string()),
        Some(_) => return Err(error(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid method")),
    };
    let guid_field = |key: &str| -> Result<Option<String>, ApiError> {
        match fields.str(key)? {
            Some(g) if g.len() > 32 => {
                Err(error(StatusCode::BAD_REQUEST, "invalid_parameter", format!("Invalid {key}")))
            }
            other => Ok(other.map(str::to_string)),
        }
    };
    let customer_guid = guid_field("customer_guid")?;
    let counterparty_guid = guid_field("counterparty_guid")?;
    let external_bank_account_guid = guid_field("external_bank_account_guid")?;
    match kind.as_str() {
        "kyc" if method.is_none() => return Err(missing("Identity verification method")),
        "kyc" if customer_guid.is_none() => return Err(missing("Customer guid")),
        "bank_account" if external_bank_account_guid.is_none() => return Err(missing("External bank account guid")),
        "counterparty" if counterparty_guid.is_none() => return Err(missing("Counterparty guid")),
        _ => {}
    }
    if kind == "kyc"
        && method.as_deref().is_some_and(|m| NEEDS_DATE_OF_BIRTH.contains(&m))
        && fields.value("date_of_birth").is_none()
    {
        return Err(missing("Date of birth"));
    }
    let behaviour = behaviour(fields.strings("expected_behaviours")?.unwrap_or_default())?;
    let options = fields.bool("require_tax_id")?.map(|b| json!({ "require_tax_id": b }));
    let pii: Map<String, Value> =
        VERIFICATION_PII.iter().filter_map(|k| fields.value(k).map(|v| ((*k).to_string(), v.clone()))).collect();

    let now = now();
    let mut records = lock_advanced(&sim, now);
    if let Some(guid) = &customer_guid {
        let index = *records.customer_at.get(guid).ok_or_else(|| ApiError::not_found(P, "customer not found"))?;
        let is_edd = kind == "kyc" && method.as_deref() == Some("enhanced_due_diligence");
        if is_edd {
            if records.customers[index].state != CustomerState::Verified {
                return Err(error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "unverified_customer",
                    "Customer has not been verified",
                ));
            }
            let open = records.verifications_of.get(guid).is_some_and(|ivs| {
                ivs.iter().any(|i| records.verifications[*i].is_edd() && records.verifications[*i].state.in_progress())
            });
            if open {
                return Err(error(
                    StatusCode::CONFLICT,
                    "data_exists",
                    "Identity verification in progress already exists",
                ));
            }
        }
    }
    let guid = records.ids.hex32();
    let index = records.verifications.len();
    records.verifications.push(Verification {
        guid: guid.clone(),
        kind,
        method,
        customer_guid,
        counterparty_guid,
        external_bank_account_guid,
        state: IvState::Storing,
        outcome: None,
        failure_codes: Vec::new(),
        compliance_checks: Vec::new(),
        compliance_decisions: Vec::new(),
        persona_inquiry_id: None,
        persona_state: None,
        behaviour,
        options,
        pii,
        created_at: now,
        updated_at: now,
    });
    records.verification_at.insert(guid, index);
    if let Some(customer) = records.verifications[index].customer_guid.clone() {
        records.verifications_of.entry(customer).or_default().push(index);
    }
    records.fresh_verifications.push(index);
    let body = records.verification_json(&records.verifications[index], false, false);
    Ok(reply(StatusCode::CREATED, body))
}

fn behaviour(expected: Vec<String>) -> Result<Behaviour, ApiError> {
    let invalid = || error(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid expected_behaviours");
    if expected.len() > 50 {
        return Err(invalid());
    }
    let (mut pass, mut fail) = (false, false);
    for item in &expected {
        match item.as_str() {
            "passed_immediately" => pass = true,
            "failed_immediately" => fail = true,
            "tax_id_not_checked" => {}
            _ => return Err(invalid()),
        }
    }
    match (pass, fail) {
        (true, true) => Err(invalid()),
        (true, false) => Ok(Behaviour::PassImmediately),
        (false, true) => Ok(Behaviour::FailImmediately),
        (false, false) => Ok(Behaviour::Normal),
    }
}

/// `GET /api/identity_verifications` with `page`, `per_page` and the comma-separated filters
/// `guid`, `bank_guid`, `customer_guid`, `counterparty_guid`, `external_bank_account_guid`,
/// `state`, `type`, `method`; newest first.
async fn list_verifications(
    State(sim): State<Arc<Sim>>,
    Extension(grant): Extension<Grant>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    grant.require("identity_verifications:read")?;
    let query = Query::parse(P, raw.as_deref())?;
    let (page, per_page) = paging(&query)?;
    let guids = filter(&query, "guid", "guids")?;
    let banks = filter(&query, "bank_guid", "bank guids")?;
    let customers = filter(&query, "customer_guid", "customer guids")?;
    let counterparties = filter(&query, "counterparty_guid", "counterparty guids")?;
    let accounts = filter(&query, "external_bank_account_guid", "external bank account guids")?;
    let states = filter(&query, "state", "states")?;
    let types = filter(&query, "type", "types")?;
    let methods = filter(&query, "method", "methods")?;
    let records = lock_advanced(&sim, now());
    let records = &*records;
    // With a customer filter, only that customer's verifications are candidates.
    let candidates: Box<dyn Iterator<Item = &Verification>> = match &customers {
        Some(wanted) => {
            let mut indexes: Vec<usize> =
                wanted.iter().filter_map(|g| records.verifications_of.get(*g)).flatten().copied().collect();
            indexes.sort_unstable();
            indexes.dedup();
            Box::new(indexes.into_iter().rev().map(|i| &records.verifications[i]))
        }
        None => Box::new(records.verifications.iter().rev()),
    };
    let selected = candidates
        .filter(|iv| matches(&guids, Some(&iv.guid)))
        .filter(|_| matches(&banks, Some(&records.bank_guid)))
        .filter(|iv| matches(&customers, iv.customer_guid.as_deref()))
        .filter(|iv| matches(&counterparties, iv.counterparty_guid.as_deref()))
        .filter(|iv| matches(&accounts, iv.external_bank_account_guid.as_deref()))
        .filter(|iv| matches(&states, Some(iv.state.as_str())))
        .filter(|iv| matches(&types, Some(&iv.kind)))
        .filter(|iv| matches(&methods, iv.method.as_deref()));
    let unfiltered =
        [&guids, &banks, &customers, &counterparties, &accounts, &states, &types, &methods].iter().all(|f| f.is_none());
    let (total, selected) = if unfiltered {
        newest_page(&records.verifications, page, per_page)
    } else {
        cut_page(selected, page, per_page)
    };
    let objects = selected.into_iter().map(|iv| records.verification_json(iv, false, false)).collect();
    Ok(reply(StatusCode::OK, envelope(total, page, per_page, objects)))
}

/// `GET /api/identity_verifications/{guid}` → `IdentityVerificationWithDetails`.
async fn get_verification(
    State(sim): State<Arc<Sim>>,
    Extension(grant): Extension<Grant>,
    guid: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    grant.require("identity_verifications:read")?;
    let guid = guid_of(guid)?;
    let query = Query::parse(P, raw.as_deref())?;
    let pii = include_pii(&query)?;
    if pii {
        grant.require("identity_verifications:pii:read")?;
    }
    let records = lock_advanced(&sim, now());
    let index =
        *records.verification_at.get(&guid).ok_or_else(|| ApiError::not_found(P, "identity_verification not found"))?;
    Ok(reply(StatusCode::OK, records.verification_json(&records.verifications[index], true, pii)))
}

/// Sandbox: `POST /_sandbox/identity_verifications/{guid}/complete`
/// `{"outcome":"passed"|"failed", "failure_codes":[...]}` completes a verification in progress,
/// as the customer finishing Persona and compliance deciding would.
async fn sandbox_complete(
    State(sim): State<Arc<Sim>>,
    Extension(grant): Extension<Grant>,
    guid: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    grant.require("identity_verifications:execute")?;
    let guid = guid_of(guid)?;
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let outcome = match fields.str("outcome")? {
        Some("passed") => Outcome::Passed,
        Some("failed") => Outcome::Failed,
        _ => return Err(error(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid outcome")),
    };
    let codes = fields.strings("failure_codes")?;
    let codes = match (outcome, codes) {
        (Outcome::Passed, Some(codes)) if !codes.is_empty() => {
            return Err(error(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid failure_codes"));
        }
        (Outcome::Passed, _) => Vec::new(),
        (Outcome::Failed, Some(codes)) if !codes.is_empty() => codes,
        (Outcome::Failed, _) => vec!["compliance_rejection".to_string()],
    };
    let now = now();
    let mut records = lock_advanced(&sim, now);
    let index =
        *records.verification_at.get(&guid).ok_or_else(|| ApiError::not_found(P, "identity_verification not found"))?;
    if !records.verifications[index].state.in_progress() {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_state",
            "Identity verification is not in progress",
        ));
    }
    records.complete(index, outcome, codes, now);
    Ok(reply(StatusCode::OK, records.verification_json(&records.verifications[index], true, false)))
}

/// Sandbox: `POST /_sandbox/identity_verifications/{guid}/state` `{"state": …}` moves a
/// verification forward to `waiting`, `pending` or `reviewing`, or to `expired` from
/// `storing`, `waiting` or `pending`.
async fn sandbox_state(
    State(sim): State<Arc<Sim>>,
    Extension(grant): Extension<Grant>,
    guid: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    grant.require("identity_verifications:execute")?;
    let guid = guid_of(guid)?;
    let map = json_object(P, &body)?;
    let target = Fields::new(P, &map)
        .str("state")?
        .and_then(IvState::parse)
        .filter(|s| matches!(s, IvState::Waiting | IvState::Pending | IvState::Reviewing | IvState::Expired))
        .ok_or_else(|| error(StatusCode::BAD_REQUEST, "invalid_parameter", "Invalid state"))?;
    let now = now();
    let mut records = lock_advanced(&sim, now);
    let index =
        *records.verification_at.get(&guid).ok_or_else(|| ApiError::not_found(P, "identity_verification not found"))?;
    let from = records.verifications[index].state;
    let rank = |s: IvState| match s {
        IvState::Storing => 0,
        IvState::Waiting => 1,
        IvState::Pending => 2,
        IvState::Reviewing => 3,
        IvState::Expired | IvState::Completed => 4,
    };
    let allowed = match target {
        IvState::Expired => matches!(from, IvState::Storing | IvState::Waiting | IvState::Pending),
        _ => from.in_progress() && rank(target) > rank(from),
    };
    if !allowed || records.verifications[index].has_no_inquiry() {
        return Err(error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_state", "Invalid state transition"));
    }
    records.move_to(index, target, now);
    Ok(reply(StatusCode::OK, records.verification_json(&records.verifications[index], true, false)))
}
