//! Mbanq (a Fineract-derived core banking platform): clients, their identifiers and addresses,
//! and the onboarding commands `verify` and `activate` on `POST /v1/clients/{id}?command=…`,
//! with Fineract's error envelope, `{officeId, clientId, resourceId, changes}` results and
//! dates as `[yyyy, m, d]` (providers.md §4 and §5). Every request needs the tenant.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::{Date, Month};

use crate::auth::{self, require_bearer, require_tenant};
use crate::persist::fields::{date, date_option};
use crate::sim::Sim;
use crate::wire::{ApiError, Fields, Provider, Query, fineract_error, json_object, now, reply};

const P: Provider = Provider::Mbanq;

pub(crate) fn routes(sim: Arc<Sim>) -> Router<Arc<Sim>> {
    let api = Router::new()
        .route("/v1/clients", post(create_client).get(list_clients))
        .route("/v1/clients/{id}", get(get_client).put(update_client).post(client_command))
        .route("/v1/clients/{id}/identifiers", post(create_identifier).get(list_identifiers))
        .route("/v1/clients/{id}/identifiers/template", get(identifier_template))
        .route("/v1/clients/{id}/addresses", post(create_address).get(list_addresses))
        .route("/v1/clients/{id}/verificationstatus", get(verification_status))
        .route_layer(from_fn_with_state((sim, P), require_bearer));
    Router::new().route("/oauth/token", post(auth::mbanq_token)).merge(api).layer(from_fn(require_tenant))
}

/// The one office of the sandbox.
const OFFICE_ID: i64 = 1;
const OFFICE_NAME: &str = "Head Office";

/// When a request sends dates without `dateFormat` / `locale`, these are assumed.
const DEFAULT_DATE_FORMAT: &str = "yyyy-MM-dd";
const DEFAULT_LOCALE: &str = "en";

/// The code values of "Customer Identifier-PERSON" in the sandbox. FULL verification needs one
/// of the first five (SSN, ITIN or a physical ID document); `Other` counts only for PARTIAL.
const DOCUMENT_TYPES: &[(i64, &str, bool)] = &[
    (1, "SSN", true),
    (2, "ITIN", true),
    (3, "Passport", true),
    (4, "Driver's License", true),
    (5, "National ID Card", true),
    (6, "Other", false),
];

/// 400 with one Fineract validation error.
fn invalid(parameter: &str, code: &str, message: &str) -> ApiError {
    ApiError::new(P, StatusCode::BAD_REQUEST, "", "Validation errors exist.")
        .with_error(fineract_error(code, message, parameter, None))
}

/// 403 domain-rule violation with the given `errors[]`.
fn domain_rule(errors: Vec<Value>) -> ApiError {
    let mut error = ApiError::new(P, StatusCode::FORBIDDEN, "", "Errors contain reason for domain rule violation.");
    error.errors = errors;
    error
}

fn client_not_found(id: i64) -> ApiError {
    let message = format!("Client with identifier {id} does not exist");
    ApiError::new(P, StatusCode::NOT_FOUND, "", "The requested resource is not available.").with_error(fineract_error(
        "error.msg.client.id.invalid",
        &message,
        "id",
        Some(id.into()),
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Pending,
    Active,
}

impl Status {
    fn json(self) -> Value {
        match self {
            Status::Pending => json!({ "id": 100, "code": "clientStatusType.pending", "value": "Pending" }),
            Status::Active => json!({ "id": 300, "code": "clientStatusType.active", "value": "Active" }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum KycLevel {
    Partial,
    Full,
}

impl KycLevel {
    fn as_str(self) -> &'static str {
        match self {
            KycLevel::Partial => "PARTIAL",
            KycLevel::Full => "FULL",
        }
    }
}

fn verification_json(approved: bool) -> Value {
    if approved {
        json!({ "id": 300, "code": "clientVerificationStatus.approved", "value": "APPROVED" })
    } else {
        json!({ "id": 100, "code": "clientVerificationStatus.pending", "value": "PENDING" })
    }
}

#[derive(Serialize, Deserialize)]
struct Identifier {
    id: i64,
    document_type: i64,
    document_key: String,
    active: bool,
    #[serde(with = "date_option")]
    issued: Option<Date>,
    #[serde(with = "date_option")]
    expiry: Option<Date>,
    issued_by: Option<String>,
    description: Option<String>,
    verified: bool,
}

#[derive(Serialize, Deserialize)]
struct Address {
    id: i64,
    fields: Map<String, Value>,
    primary: bool,
    active: bool,
}

#[derive(Serialize, Deserialize)]
struct Client {
    id: i64,
    external_id: Option<String>,
    status: Status,
    kyc: Option<KycLevel>,
    firstname: Option<String>,
    middlename: Option<String>,
    lastname: Option<String>,
    fullname: Option<String>,
    mobile_no: Option<String>,
    mobile_country_code: Option<String>,
    email_address: Option<String>,
    #[serde(with = "date_option")]
    date_of_birth: Option<Date>,
    gender_id: Option<i64>,
    legal_form_id: i64,
    #[serde(with = "date")]
    submitted_on: Date,
    #[serde(with = "date_option")]
    activated_on: Option<Date>,
    identifiers: Vec<Identifier>,
    addresses: Vec<Address>,
    notes: Vec<String>,
}

impl Client {
    fn display_name(&self) -> String {
        if let Some(full) = &self.fullname {
            return full.clone();
        }
        [&self.firstname, &self.middlename, &self.lastname]
            .iter()
            .filter_map(|p| p.as_deref())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("accountNo".into(), format!("{:09}", self.id).into());
        m.insert("externalId".into(), self.external_id.clone().into());
        m.insert("status".into(), self.status.json());
        m.insert(
            "subStatus".into(),
            match self.kyc {
                Some(_) => json!({ "id": 1, "name": "Verified", "active": true, "mandatory": false }),
                None => Value::Null,
            },
        );
        m.insert("kycVerificationType".into(), self.kyc.map(KycLevel::as_str).into());
        m.insert("verificationStatus".into(), verification_json(self.kyc.is_some()));
        m.insert("active".into(), (self.status == Status::Active).into());
        if let Some(date) = self.activated_on {
            m.insert("activationDate".into(), date_array(date));
        }
        for (key, value) in [
            ("firstname", &self.firstname),
            ("middlename", &self.middlename),
            ("lastname", &self.lastname),
            ("fullname", &self.fullname),
            ("mobileNo", &self.mobile_no),
            ("mobileCountryCode", &self.mobile_country_code),
            ("emailAddress", &self.email_address),
        ] {
            if let Some(value) = value {
                m.insert(key.into(), value.clone().into());
            }
        }
        m.insert("displayName".into(), self.display_name().into());
        if let Some(date) = self.date_of_birth {
            m.insert("dateOfBirth".into(), date_array(date));
        }
        if let Some(gender) = self.gender_id {
            m.insert("gender".into(), json!({ "id": gender }));
        }
        m.insert("officeId".into(), OFFICE_ID.into());
        m.insert("officeName".into(), OFFICE_NAME.into());
        let legal = if self.legal_form_id == 2 {
            json!({ "id": 2, "code": "legalFormType.entity", "value": "ENTITY" })
        } else {
            json!({ "id": 1, "code": "legalFormType.person", "value": "PERSON" })
        };
        m.insert("legalForm".into(), legal);
        let mut timeline = Map::new();
        timeline.insert("submittedOnDate".into(), date_array(self.submitted_on));
        if let Some(date) = self.activated_on {
            timeline.insert("activatedOnDate".into(), date_array(date));
        }
        m.insert("timeline".into(), Value::Object(timeline));
        m.insert("groups".into(), json!([]));
        Value::Object(m)
    }

    /// The verify gate, every failing rule in this order: primary address, a valid identifier,
    /// for FULL an SSN / ITIN / physical ID, verified email, verified mobile number.
    fn verify_failures(&self, level: KycLevel, today: Date) -> Vec<Value> {
        let mut errors = Vec::new();
        let mut fail = |code: &str, message: &str, parameter: &str| {
            errors.push(fineract_error(code, message, parameter, Some(self.id.into())));
        };
        if !self.addresses.iter().any(|a| a.primary && a.active) {
            fail(
                "error.msg.client.kyc.primary.address.required",
                "Client must have an active primary address.",
                "address",
            );
        }
        let valid: Vec<&Identifier> =
            self.identifiers.iter().filter(|i| i.active && i.expiry.is_none_or(|e| e >= today)).collect();
        if valid.is_empty() {
            fail(
                "error.msg.client.kyc.identifier.required",
                "Client must have at least one active, unexpired identifier document.",
                "identifiers",
            );
        }
        let physical = valid.iter().any(|i| DOCUMENT_TYPES.iter().any(|(id, _, full)| *id == i.document_type && *full));
        if level == KycLevel::Full && !physical {
            fail(
                "error.msg.client.kyc.full.identifier.required",
                "FULL verification needs an SSN, ITIN or physical ID document (passport, driver's license or national ID card).",
                "kycVerificationType",
            );
        }
        if !self.email_address.as_deref().is_some_and(email_verified) {
            fail("error.msg.client.kyc.email.unverified", "Client must have a verified email address.", "emailAddress");
        }
        if !self.mobile_no.as_deref().is_some_and(mobile_verified) {
            fail("error.msg.client.kyc.mobile.unverified", "Client must have a verified mobile number.", "mobileNo");
        }
        errors
    }
}

/// The sandbox has no one-time-password step: a well-formed email counts as verified.
fn email_verified(email: &str) -> bool {
    match email.trim().split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        }
        None => false,
    }
}

/// A mobile number of 7 to 15 digits (spaces, dashes, brackets and a leading + allowed) counts
/// as verified.
fn mobile_verified(mobile: &str) -> bool {
    let allowed = mobile.chars().all(|c| c.is_ascii_digit() || " -()+".contains(c));
    let digits = mobile.chars().filter(char::is_ascii_digit).count();
    allowed && (7..=15).contains(&digits)
}

fn date_array(date: Date) -> Value {
    json!([date.year(), u8::from(date.month()), date.day()])
}

fn document_type_json(id: i64) -> Value {
    let name = DOCUMENT_TYPES.iter().find(|(t, _, _)| *t == id).map(|(_, n, _)| *n).unwrap_or("Unknown");
    json!({ "id": id, "name": name })
}

impl Identifier {
    fn json(&self, client_id: i64, unmask: bool) -> Value {
        // Document numbers are masked unless the caller asks (`?unmaskValue=true`), as Mbanq does.
        let key = if unmask {
            self.document_key.clone()
        } else {
            let chars: Vec<char> = self.document_key.chars().collect();
            let shown = chars.len().saturating_sub(4);
            chars.iter().enumerate().map(|(i, c)| if i < shown { '*' } else { *c }).collect()
        };
        let mut m = Map::new();
        m.insert("id".into(), self.id.into());
        m.insert("clientId".into(), client_id.into());
        m.insert("documentType".into(), document_type_json(self.document_type));
        m.insert("documentKey".into(), key.into());
        m.insert("status".into(), (if self.active { "Active" } else { "Inactive" }).into());
        if let Some(date) = self.issued {
            m.insert("issuedDate".into(), date_array(date));
        }
        if let Some(date) = self.expiry {
            m.insert("expiryDate".into(), date_array(date));
        }
        if let Some(by) = &self.issued_by {
            m.insert("issuedBy".into(), by.clone().into());
        }
        if let Some(description) = &self.description {
            m.insert("description".into(), description.clone().into());
        }
        m.insert("verificationStatus".into(), verification_json(self.verified));
        Value::Object(m)
    }
}

impl Address {
    fn json(&self, client_id: i64) -> Value {
        let mut m = self.fields.clone();
        m.insert("id".into(), self.id.into());
        m.insert("clientId".into(), client_id.into());
        m.insert("isPrimary".into(), self.primary.into());
        m.insert("isActive".into(), self.active.into());
        Value::Object(m)
    }
}

/// Everything Mbanq stores. The indexes are not saved in the state file but rebuilt from the
/// records by [`Records::reindex`].
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct Records {
    clients: Vec<Client>,
    #[serde(skip)]
    by_external: HashMap<String, usize>,
    /// (document type, document key) → client index, for the duplicate-key rule.
    #[serde(skip)]
    by_document: HashMap<(i64, String), usize>,
    next_identifier: i64,
    next_address: i64,
}

impl Records {
    /// Rebuilds the indexes of records read from a state file, and checks that client ids are
    /// still their 1-based positions, which [`Records::find`] relies on.
    pub fn reindex(&mut self) -> Result<(), &'static str> {
        if self
            .clients
            .iter()
            .enumerate()
            .any(|(i, c)| c.id.checked_sub(1).and_then(|n| usize::try_from(n).ok()) != Some(i))
        {
            return Err("Mbanq client ids are not 1, 2, 3, … in order");
        }
        self.by_external =
            self.clients.iter().enumerate().filter_map(|(i, c)| Some((c.external_id.clone()?, i))).collect();
        self.by_document = HashMap::new();
        for (i, client) in self.clients.iter().enumerate() {
            for identifier in &client.identifiers {
                self.by_document.insert((identifier.document_type, identifier.document_key.clone()), i);
            }
        }
        Ok(())
    }

    fn find(&self, id: i64) -> Result<usize, ApiError> {
        // Client ids are 1-based positions.
        usize::try_from(id - 1).ok().filter(|i| *i < self.clients.len()).ok_or_else(|| client_not_found(id))
    }

    pub fn dump(&self) -> Value {
        let clients: Vec<Value> = self
            .clients
            .iter()
            .map(|c| {
                let mut v = c.json();
                if let Value::Object(m) = &mut v {
                    m.insert("identifiers".into(), c.identifiers.iter().map(|i| i.json(c.id, true)).collect());
                    m.insert("addresses".into(), c.addresses.iter().map(|a| a.json(c.id)).collect());
                    m.insert("notes".into(), c.notes.clone().into());
                }
                v
            })
            .collect();
        json!({ "clients": clients })
    }
}

fn result_json(client_id: i64, resource_id: i64, changes: Map<String, Value>) -> Value {
    json!({ "officeId": OFFICE_ID, "clientId": client_id, "resourceId": resource_id, "changes": changes })
}

fn id_of(path: Result<Path<String>, PathRejection>) -> Result<i64, ApiError> {
    let text = path.map(|Path(id)| id).unwrap_or_default();
    text.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| client_not_found(0))
}

/// The `dateFormat` and `locale` a request's dates are written in.
struct DateFormat {
    pattern: String,
    locale: String,
}

impl DateFormat {
    fn of(fields: &Fields) -> Result<Self, ApiError> {
        Ok(Self {
            pattern: fields.str("dateFormat")?.unwrap_or(DEFAULT_DATE_FORMAT).to_string(),
            locale: fields.str("locale")?.unwrap_or(DEFAULT_LOCALE).to_string(),
        })
    }

    /// Reads the date field `key`, if sent; a badly formatted one is Fineract's
    /// `validation.msg.invalid.date.format`.
    fn date(&self, fields: &Fields, key: &str) -> Result<Option<Date>, ApiError> {
        let Some(text) = fields.str(key)? else { return Ok(None) };
        parse_java_date(text.trim(), &self.pattern).map(Some).ok_or_else(|| {
            invalid(
                key,
                "validation.msg.invalid.date.format",
                &format!(
                    "The parameter `{key}` is invalid based on the dateFormat: `{}` and locale: `{}` provided.",
                    self.pattern, self.locale
                ),
            )
        })
    }
}

/// Parses a date written with a Java `DateTimeFormatter` pattern made of `y`, `M` and `d`
/// fields and literal separators: `yyyy-MM-dd`, `dd MMMM yyyy`, `dd/MM/yyyy`, `MMM d, yyyy`.
/// Month names are English (the `en` locale Fineract clients send).
pub(crate) fn parse_java_date(text: &str, pattern: &str) -> Option<Date> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let (mut year, mut month, mut day) = (None, None, None);
    let mut rest = text;
    let pattern: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < pattern.len() {
        let letter = pattern[i];
        let run = pattern[i..].iter().take_while(|c| **c == letter).count();
        i += run;
        let take_digits = |rest: &mut &str, max: usize| -> Option<i32> {
            let n = rest.chars().take_while(char::is_ascii_digit).take(max).count();
            if n == 0 {
                return None;
            }
            let (digits, tail) = rest.split_at(n);
            *rest = tail;
            digits.parse().ok()
        };
        match letter {
            'y' | 'u' => {
                let value = take_digits(&mut rest, if run == 2 { 2 } else { 4 })?;
                year = Some(if run == 2 { 2000 + value } else { value });
            }
            'M' | 'L' if run >= 3 => {
                let lower = rest.to_ascii_lowercase();
                let (index, len) = MONTHS.iter().enumerate().find_map(|(n, name)| {
                    if run == 3 {
                        lower.starts_with(&name[..3]).then_some((n, 3))
                    } else {
                        lower.starts_with(name).then_some((n, name.len()))
                    }
                })?;
                rest = rest.get(len..)?;
                month = Some(index as i32 + 1);
            }
            'M' | 'L' => month = Some(take_digits(&mut rest, 2)?),
            'd' => day = Some(take_digits(&mut rest, 2)?),
            '\'' => {}
            literal => {
                for _ in 0..run {
                    rest = rest.strip_prefix(literal)?;
                }
            }
        }
    }
    if !rest.is_empty() {
        return None;
    }
    let month = Month::try_from(u8::try_from(month?).ok()?).ok()?;
    Date::from_calendar_date(year?, month, u8::try_from(day?).ok()?).ok()
}

fn text(fields: &Fields, key: &str) -> Result<Option<String>, ApiError> {
    Ok(fields.str(key)?.map(str::trim).filter(|s| !s.is_empty()).map(str::to_string))
}

/// Reads one address object (create body `address[]` or the addresses endpoint).
fn read_address(map: &Map<String, Value>, id: i64) -> Result<Address, ApiError> {
    let fields = Fields::new(P, map);
    let mut errors = Vec::new();
    for key in ["addressLine1", "city"] {
        if text(&fields, key)?.is_none() {
            errors.push(fineract_error(
                &format!("validation.msg.address.{key}.cannot.be.blank"),
                &format!("The parameter `{key}` is mandatory."),
                key,
                None,
            ));
        }
    }
    if !errors.is_empty() {
        let mut error = ApiError::new(P, StatusCode::BAD_REQUEST, "", "Validation errors exist.");
        error.errors = errors;
        return Err(error);
    }
    let primary = fields.bool("isPrimary")?.unwrap_or(false) || fields.int("addressTypeId")? == Some(1);
    let active = fields.bool("isActive")?.unwrap_or(true);
    let kept = [
        "addressTypeId",
        "addressLine1",
        "addressLine2",
        "addressLine3",
        "city",
        "postalCode",
        "countryId",
        "country",
        "stateProvinceId",
        "state",
    ];
    let fields_kept = kept.iter().filter_map(|k| map.get(*k).map(|v| ((*k).to_string(), v.clone()))).collect();
    Ok(Address { id, fields: fields_kept, primary, active })
}

/// `POST /v1/clients` → a client in **Pending**. A duplicate `externalId` is a 403
/// `error.msg.client.duplicate.externalId`.
async fn create_client(State(sim): State<Arc<Sim>>, body: Bytes) -> Result<Response, ApiError> {
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let format = DateFormat::of(&fields)?;
    let (firstname, middlename, lastname, fullname) = (
        text(&fields, "firstname")?,
        text(&fields, "middlename")?,
        text(&fields, "lastname")?,
        text(&fields, "fullname")?,
    );
    if fullname.is_none() {
        let mut errors = Vec::new();
        for (key, value) in [("firstname", &firstname), ("lastname", &lastname)] {
            if value.is_none() {
                errors.push(fineract_error(
                    &format!("validation.msg.client.{key}.cannot.be.blank"),
                    &format!("The parameter `{key}` is mandatory."),
                    key,
                    None,
                ));
            }
        }
        if !errors.is_empty() {
            let mut error = ApiError::new(P, StatusCode::BAD_REQUEST, "", "Validation errors exist.");
            error.errors = errors;
            return Err(error);
        }
    }
    let date_of_birth = match format.date(&fields, "dateOfBirth")? {
        Some(date) => Some(date),
        None => format.date(&fields, "dob")?,
    };
    let submitted_on = format.date(&fields, "submittedOnDate")?.unwrap_or_else(|| now().date());
    let office = fields.int("officeId")?.unwrap_or(OFFICE_ID);
    let legal_form_id = fields.int("legalFormId")?.unwrap_or(1);
    let external_id = text(&fields, "externalId")?;
    let active = fields.bool("active")?.unwrap_or(false);
    let addresses_in = fields.array("address")?.cloned().unwrap_or_default();
    let mut addresses = Vec::new();
    for (n, address) in addresses_in.iter().enumerate() {
        let map = address
            .as_object()
            .ok_or_else(|| invalid("address", "validation.msg.address.invalid", "Each address must be an object."))?;
        addresses.push(read_address(map, n as i64)?);
    }
    if office != OFFICE_ID {
        let message = format!("Office with identifier {office} does not exist");
        return Err(ApiError::new(P, StatusCode::NOT_FOUND, "", "The requested resource is not available.")
            .with_error(fineract_error("error.msg.office.id.invalid", &message, "officeId", Some(office.into()))));
    }

    let mut records = sim.mbanq.lock();
    if let Some(external) = &external_id
        && records.by_external.contains_key(external)
    {
        return Err(domain_rule(vec![fineract_error(
            "error.msg.client.duplicate.externalId",
            "Client with the given externalId already exists.",
            "externalId",
            Some(external.clone().into()),
        )]));
    }
    if active {
        // Activation needs a verified client (block-activation-of-unverified-clients), and a
        // new client cannot be verified yet.
        return Err(domain_rule(vec![fineract_error(
            "error.msg.client.not.verified",
            "Cannot activate client. Client is not verified.",
            "active",
            None,
        )]));
    }
    let id = records.clients.len() as i64 + 1;
    for address in &mut addresses {
        records.next_address += 1;
        address.id = records.next_address;
    }
    records.clients.push(Client {
        id,
        external_id: external_id.clone(),
        status: Status::Pending,
        kyc: None,
        firstname,
        middlename,
        lastname,
        fullname,
        mobile_no: text(&fields, "mobileNo")?,
        mobile_country_code: text(&fields, "mobileCountryCode")?,
        email_address: text(&fields, "emailAddress")?,
        date_of_birth,
        gender_id: fields.int("genderId")?,
        legal_form_id,
        submitted_on,
        activated_on: None,
        identifiers: Vec::new(),
        addresses,
        notes: Vec::new(),
    });
    if let Some(external) = external_id {
        records.by_external.insert(external, (id - 1) as usize);
    }
    Ok(reply(StatusCode::OK, result_json(id, id, Map::new())))
}

/// `GET /v1/clients` with `externalId`, `status`/`clientStatus`, `displayName`, `limit`
/// (default 200; 0 means all), `offset`, `orderBy` (`id`, `displayName`, `accountNo`), `sortOrder`.
async fn list_clients(State(sim): State<Arc<Sim>>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let query = Query::parse(P, raw.as_deref())?;
    let number = |key: &str, default: usize| -> Result<usize, ApiError> {
        match query.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| {
                invalid(
                    key,
                    &format!("validation.msg.{key}.invalid"),
                    &format!("The parameter `{key}` must be a whole number."),
                )
            }),
        }
    };
    let limit = number("limit", 200)?;
    let offset = number("offset", 0)?;
    let status = query.get("status").or(query.get("clientStatus")).map(str::to_ascii_uppercase);
    let external = query.get("externalId");
    let display = query.get("displayName").map(str::to_lowercase);
    let records = sim.mbanq.lock();
    // An externalId names at most one client: look it up instead of scanning.
    let candidates: Vec<&Client> = match external {
        Some(e) => records.by_external.get(e).map(|i| &records.clients[*i]).into_iter().collect(),
        None => records.clients.iter().collect(),
    };
    let mut selected: Vec<&Client> = candidates
        .into_iter()
        .filter(|c| match status.as_deref() {
            None => true,
            Some("ACTIVE") => c.status == Status::Active,
            Some("PENDING") => c.status == Status::Pending,
            Some(_) => false,
        })
        .filter(|c| display.as_ref().is_none_or(|d| c.display_name().to_lowercase().contains(d.as_str())))
        .collect();
    if query.get("orderBy") == Some("displayName") {
        selected.sort_by_key(|c| c.display_name().to_lowercase());
    }
    if query.get("sortOrder").is_some_and(|s| s.eq_ignore_ascii_case("DESC")) {
        selected.reverse();
    }
    let total = selected.len();
    let take = if limit == 0 { usize::MAX } else { limit };
    let items: Vec<Value> = selected.into_iter().skip(offset).take(take).map(Client::json).collect();
    Ok(reply(StatusCode::OK, json!({ "totalFilteredRecords": total, "pageItems": items })))
}

/// `GET /v1/clients/{id}`.
async fn get_client(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let records = sim.mbanq.lock();
    let index = records.find(id)?;
    Ok(reply(StatusCode::OK, records.clients[index].json()))
}

/// `PUT /v1/clients/{id}`: updates names, contacts, date of birth and `externalId`; `changes`
/// lists what changed.
async fn update_client(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let format = DateFormat::of(&fields)?;
    let date_of_birth = format.date(&fields, "dateOfBirth")?;
    let mut texts = Vec::new();
    for key in [
        "firstname",
        "middlename",
        "lastname",
        "fullname",
        "mobileNo",
        "mobileCountryCode",
        "emailAddress",
        "externalId",
    ] {
        if let Some(value) = fields.str(key)? {
            texts.push((key, value.trim().to_string()));
        }
    }
    let mut records = sim.mbanq.lock();
    let index = records.find(id)?;
    if let Some((_, external)) = texts.iter().find(|(k, _)| *k == "externalId")
        && records.by_external.get(external).is_some_and(|other| *other != index)
    {
        return Err(domain_rule(vec![fineract_error(
            "error.msg.client.duplicate.externalId",
            "Client with the given externalId already exists.",
            "externalId",
            Some(external.clone().into()),
        )]));
    }
    let mut changes = Map::new();
    let old_external = records.clients[index].external_id.clone();
    let client = &mut records.clients[index];
    for (key, value) in texts {
        let slot = match key {
            "firstname" => &mut client.firstname,
            "middlename" => &mut client.middlename,
            "lastname" => &mut client.lastname,
            "fullname" => &mut client.fullname,
            "mobileNo" => &mut client.mobile_no,
            "mobileCountryCode" => &mut client.mobile_country_code,
            "emailAddress" => &mut client.email_address,
            _ => &mut client.external_id,
        };
        let new = (!value.is_empty()).then_some(value);
        if *slot != new {
            changes.insert(key.into(), new.clone().into());
            *slot = new;
        }
    }
    if let Some(date) = date_of_birth.filter(|d| Some(*d) != client.date_of_birth) {
        client.date_of_birth = Some(date);
        changes.insert("dateOfBirth".into(), fields.value("dateOfBirth").cloned().unwrap_or(Value::Null));
    }
    let new_external = client.external_id.clone();
    if new_external != old_external {
        if let Some(old) = old_external {
            records.by_external.remove(&old);
        }
        if let Some(new) = new_external {
            records.by_external.insert(new, index);
        }
    }
    Ok(reply(StatusCode::OK, result_json(id, id, changes)))
}

/// `POST /v1/clients/{id}?command=verify|activate` (compared case-insensitively). Any other
/// command, or none, is a 400.
async fn client_command(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let query = Query::parse(P, raw.as_deref())?;
    let command = query.get("command").unwrap_or("").to_ascii_lowercase();
    let map = json_object(P, &body)?;
    match command.as_str() {
        "verify" => verify(&sim, id, &map),
        "activate" => activate(&sim, id, &map),
        _ => {
            // The value is not echoed: it is free text from the request.
            Err(invalid(
                "command",
                "error.msg.command.unsupported",
                "Unrecognized query string parameter [command] passed to API: use command=verify or command=activate.",
            ))
        }
    }
}

/// `?command=verify` `{kycVerificationType: FULL|PARTIAL, note}`: 200 and the sub-status
/// Verified, or 403 listing every unmet rule with the state unchanged. Verifying again may
/// raise PARTIAL to FULL; it never lowers the level.
fn verify(sim: &Sim, id: i64, map: &Map<String, Value>) -> Result<Response, ApiError> {
    let fields = Fields::new(P, map);
    let level = match fields.str("kycVerificationType")?.map(str::to_ascii_uppercase).as_deref() {
        Some("FULL") => KycLevel::Full,
        Some("PARTIAL") => KycLevel::Partial,
        Some(_) => {
            return Err(invalid(
                "kycVerificationType",
                "validation.msg.client.kycVerificationType.is.not.one.of.expected.enumerations",
                "The parameter `kycVerificationType` must be one of [FULL, PARTIAL].",
            ));
        }
        None => {
            return Err(invalid(
                "kycVerificationType",
                "validation.msg.client.kycVerificationType.cannot.be.blank",
                "The parameter `kycVerificationType` is mandatory.",
            ));
        }
    };
    let note = fields.str("note")?.map(str::to_string);
    let today = now().date();
    let mut records = sim.mbanq.lock();
    let index = records.find(id)?;
    let client = &mut records.clients[index];
    let failures = client.verify_failures(level, today);
    if !failures.is_empty() {
        return Err(domain_rule(failures));
    }
    let new_level = client.kyc.map_or(level, |old| old.max(level));
    client.kyc = Some(new_level);
    for identifier in client.identifiers.iter_mut().filter(|i| i.active && i.expiry.is_none_or(|e| e >= today)) {
        identifier.verified = true;
    }
    if let Some(note) = note {
        client.notes.push(note);
    }
    let mut changes = Map::new();
    changes.insert("subStatus".into(), "Verified".into());
    changes.insert("kycVerificationType".into(), new_level.as_str().into());
    let mut body = result_json(id, id, changes);
    if let Value::Object(m) = &mut body {
        // The shape Mbanq's JS SDK types for this call, next to Fineract's.
        m.insert("id".into(), id.into());
        m.insert("data".into(), json!({ "clientVerificationStatus": "APPROVED", "clientKycStatus": "APPROVED" }));
    }
    Ok(reply(StatusCode::OK, body))
}

/// `?command=activate` `{locale, dateFormat, activationDate, isActivatedByManualReview,
/// manualReviewActivationComments}`: 200 and Active; 400 when the date is missing or badly
/// formatted; 403 when already active, not verified (unless activated by manual review), or
/// dated before submission.
fn activate(sim: &Sim, id: i64, map: &Map<String, Value>) -> Result<Response, ApiError> {
    let fields = Fields::new(P, map);
    let format = DateFormat::of(&fields)?;
    let date = format.date(&fields, "activationDate")?.ok_or_else(|| {
        invalid(
            "activationDate",
            "validation.msg.client.activationDate.cannot.be.blank",
            "The parameter `activationDate` is mandatory.",
        )
    })?;
    let manual = fields.bool("isActivatedByManualReview")?.unwrap_or(false);
    let comments = text(&fields, "manualReviewActivationComments")?;
    if manual && comments.is_none() {
        return Err(invalid(
            "manualReviewActivationComments",
            "validation.msg.client.manualReviewActivationComments.cannot.be.blank",
            "The parameter `manualReviewActivationComments` is mandatory when isActivatedByManualReview is true.",
        ));
    }
    let mut records = sim.mbanq.lock();
    let index = records.find(id)?;
    let client = &mut records.clients[index];
    let rule = |code: &str, message: &str| domain_rule(vec![fineract_error(code, message, "activationDate", None)]);
    if client.status == Status::Active {
        return Err(rule("error.msg.clients.already.active", "Cannot activate client. Client is already active."));
    }
    if client.kyc.is_none() && !manual {
        return Err(rule("error.msg.client.not.verified", "Cannot activate client. Client is not verified."));
    }
    if date < client.submitted_on {
        return Err(rule(
            "error.msg.clients.submittedOnDate.after.activation.date",
            "Cannot activate client. The activation date is before the submitted date.",
        ));
    }
    client.status = Status::Active;
    client.activated_on = Some(date);
    if let Some(comments) = comments {
        client.notes.push(comments);
    }
    let mut changes = Map::new();
    changes.insert("status".into(), "Active".into());
    changes.insert("locale".into(), format.locale.into());
    changes.insert("dateFormat".into(), format.pattern.into());
    changes.insert("activationDate".into(), fields.value("activationDate").cloned().unwrap_or(Value::Null));
    Ok(reply(StatusCode::OK, result_json(id, id, changes)))
}

/// `POST /v1/clients/{id}/identifiers` `{documentTypeId, documentKey, status, issuedDate,
/// expiryDate, issuedBy, description}`.
async fn create_identifier(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let format = DateFormat::of(&fields)?;
    let document_type = fields.int("documentTypeId")?;
    let document_key = text(&fields, "documentKey")?;
    let (Some(document_type), Some(document_key)) = (document_type, document_key) else {
        let mut error = ApiError::new(P, StatusCode::BAD_REQUEST, "", "Validation errors exist.");
        for key in ["documentTypeId", "documentKey"] {
            if fields.value(key).is_none() {
                error.errors.push(fineract_error(
                    &format!("validation.msg.clientIdentifier.{key}.cannot.be.blank"),
                    &format!("The parameter `{key}` is mandatory."),
                    key,
                    None,
                ));
            }
        }
        return Err(error);
    };
    let active = match fields.str("status")?.map(str::to_ascii_lowercase).as_deref() {
        None | Some("active") => true,
        Some("inactive") => false,
        Some(_) => {
            return Err(invalid(
                "status",
                "validation.msg.clientIdentifier.status.is.not.one.of.expected.enumerations",
                "The parameter `status` must be Active or Inactive.",
            ));
        }
    };
    let issued = format.date(&fields, "issuedDate")?;
    let expiry = format.date(&fields, "expiryDate")?;
    let issued_by = text(&fields, "issuedBy")?;
    let description = text(&fields, "description")?;
    let mut records = sim.mbanq.lock();
    let index = records.find(id)?;
    if !DOCUMENT_TYPES.iter().any(|(t, _, _)| *t == document_type) {
        let message = format!("Code value with identifier {document_type} does not exist");
        return Err(ApiError::new(P, StatusCode::NOT_FOUND, "", "The requested resource is not available.")
            .with_error(fineract_error(
                "error.msg.codevalue.id.invalid",
                &message,
                "documentTypeId",
                Some(document_type.into()),
            )));
    }
    if active && records.clients[index].identifiers.iter().any(|i| i.active && i.document_type == document_type) {
        return Err(domain_rule(vec![fineract_error(
            "error.msg.clientIdentifier.type.duplicate",
            "An active identifier of this document type already exists for the client.",
            "documentTypeId",
            Some(document_type.into()),
        )]));
    }
    let key_taken =
        records.by_document.get(&(document_type, document_key.clone())).is_some_and(|owner| *owner != index);
    if key_taken {
        // The document number is personal data: the error names the field, never the value.
        return Err(domain_rule(vec![fineract_error(
            "error.msg.clientIdentifier.identityKey.duplicate",
            "Another client already has an identifier of this type with the same document key.",
            "documentKey",
            None,
        )]));
    }
    records.next_identifier += 1;
    let identifier_id = records.next_identifier;
    records.by_document.insert((document_type, document_key.clone()), index);
    records.clients[index].identifiers.push(Identifier {
        id: identifier_id,
        document_type,
        document_key,
        active,
        issued,
        expiry,
        issued_by,
        description,
        verified: false,
    });
    Ok(reply(StatusCode::OK, result_json(id, identifier_id, Map::new())))
}

/// `GET /v1/clients/{id}/identifiers[?unmaskValue=true]`.
async fn list_identifiers(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let query = Query::parse(P, raw.as_deref())?;
    let unmask = query.get("unmaskValue").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let records = sim.mbanq.lock();
    let index = records.find(id)?;
    let items: Vec<Value> = records.clients[index].identifiers.iter().map(|i| i.json(id, unmask)).collect();
    Ok(reply(StatusCode::OK, Value::Array(items)))
}

/// `GET /v1/clients/{id}/identifiers/template`: the document types the sandbox accepts.
async fn identifier_template(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    sim.mbanq.lock().find(id)?;
    let types: Vec<Value> = DOCUMENT_TYPES.iter().map(|(t, _, _)| document_type_json(*t)).collect();
    Ok(reply(StatusCode::OK, json!({ "allowedDocumentTypes": types })))
}

/// `POST /v1/clients/{id}/addresses` `{addressTypeId, isPrimary, addressLine1, addressLine2,
/// city, postalCode, countryId|country, stateProvinceId|state, isActive}`.
async fn create_address(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let map = json_object(P, &body)?;
    let mut address = read_address(&map, 0)?;
    let mut records = sim.mbanq.lock();
    let index = records.find(id)?;
    records.next_address += 1;
    address.id = records.next_address;
    let address_id = address.id;
    records.clients[index].addresses.push(address);
    Ok(reply(StatusCode::OK, result_json(id, address_id, Map::new())))
}

/// `GET /v1/clients/{id}/addresses`.
async fn list_addresses(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let records = sim.mbanq.lock();
    let index = records.find(id)?;
    Ok(reply(StatusCode::OK, records.clients[index].addresses.iter().map(|a| a.json(id)).collect()))
}

/// `GET /v1/clients/{id}/verificationstatus`.
async fn verification_status(
    State(sim): State<Arc<Sim>>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let records = sim.mbanq.lock();
    let index = records.find(id)?;
    let client = &records.clients[index];
    let identifiers: Vec<Value> = client
        .identifiers
        .iter()
        .map(|i| json!({ "id": i.id, "documentType": document_type_json(i.document_type), "verificationStatus": verification_json(i.verified) }))
        .collect();
    Ok(reply(
        StatusCode::OK,
        json!({
            "clientId": id,
            "verificationStatus": verification_json(client.kyc.is_some()),
            "kycVerificationType": client.kyc.map(KycLevel::as_str),
            "identifiers": identifiers,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn reads_dates_in_the_patterns_fineract_clients_send() {
        let cases: &[(&str, &str, Option<Date>)] = &[
            ("2026-07-01", "yyyy-MM-dd", Some(date!(2026 - 07 - 01))),
            ("01 July 2026", "dd MMMM yyyy", Some(date!(2026 - 07 - 01))),
            ("1 july 2026", "d MMMM yyyy", Some(date!(2026 - 07 - 01))),
            ("Jul 1, 2026", "MMM d, yyyy", Some(date!(2026 - 07 - 01))),
            ("01/07/2026", "dd/MM/yyyy", Some(date!(2026 - 07 - 01))),
            ("2026-02-30", "yyyy-MM-dd", None),
            ("2026-07-01x", "yyyy-MM-dd", None),
            ("07/01/2026", "yyyy-MM-dd", None),
            ("", "yyyy-MM-dd", None),
            ("01 Juli 2026", "dd MMMM yyyy", None),
        ];
        for (text, pattern, expected) in cases {
            assert_eq!(parse_java_date(text, pattern), *expected, "{text:?} as {pattern:?}");
        }
    }

    #[test]
    fn contacts_count_as_verified_when_well_formed() {
        assert!(email_verified("a.b@example.org"));
        assert!(!email_verified("a.b@example"));
        assert!(!email_verified("@example.org"));
        assert!(mobile_verified("+1 (555) 010-2030"));
        assert!(!mobile_verified("12345"));
        assert!(!mobile_verified("555-CALL-NOW"));
    }
}
