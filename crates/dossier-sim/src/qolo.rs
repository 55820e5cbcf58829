//! Qolo (QoloPay) persons and KYC: create person (KYC runs at creation; a failure still creates
//! the person), retrieve, perform KYC (re-check, document, out-of-wallet answers, client
//! override, program flip) and the KYC history (providers.md §3 and §5). The lookup by
//! `client_reference_id` is a simulator addition (see docs/sandbox.md).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::post;
use axum::{Router, routing::get};
use bytes::Bytes;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::auth::{self, require_bearer};
use crate::ids::{Seeded, stream};
use crate::persist::fields::time_rfc3339;
use crate::sim::Sim;
use crate::wire::{ApiError, Fields, Provider, Query, iso, json_object, now, parse_iso_date, reply};

const P: Provider = Provider::Qolo;

pub(crate) fn routes(sim: Arc<Sim>) -> Router<Arc<Sim>> {
    let api = Router::new()
        .route("/api/v1/persons", post(create_person).get(find_persons))
        .route("/api/v1/persons/{guid}", get(get_person))
        .route("/api/v1/persons/{guid}/kyc", post(perform_kyc).get(get_kyc))
        .route_layer(from_fn_with_state((sim, P), require_bearer));
    Router::new().route("/api/v1/auth/login", post(auth::qolo_login)).merge(api)
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::new(P, StatusCode::BAD_REQUEST, "", message)
}

fn person_not_found() -> ApiError {
    ApiError::not_found(P, "Person not found")
}

/// A sandbox program: its due-diligence mode and the top program it sits under (a program
/// flip must stay under the same top program).
pub(crate) struct Program {
    pub guid: &'static str,
    pub mode: &'static str,
    pub top: &'static str,
}

/// The sandbox programs, fixed so clients can be configured with them.
pub(crate) const PROGRAMS: &[Program] = &[
    Program { guid: "6f1c2b8e-3a4d-4e5f-9a7b-1c2d3e4f5a01", mode: "SDD", top: "6f1c2b8e-3a4d-4e5f-9a7b-1c2d3e4f5a00" },
    Program { guid: "6f1c2b8e-3a4d-4e5f-9a7b-1c2d3e4f5a02", mode: "CDD", top: "6f1c2b8e-3a4d-4e5f-9a7b-1c2d3e4f5a00" },
    Program { guid: "6f1c2b8e-3a4d-4e5f-9a7b-1c2d3e4f5b01", mode: "SDD", top: "6f1c2b8e-3a4d-4e5f-9a7b-1c2d3e4f5b00" },
];

fn program(guid: &str) -> Option<&'static Program> {
    PROGRAMS.iter().find(|p| p.guid.eq_ignore_ascii_case(guid))
}

/// A person's program is stored by its guid and found again among [`PROGRAMS`].
mod program_guid {
    use super::*;

    pub fn serialize<S: Serializer>(program: &&'static Program, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(program.guid)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static Program, D::Error> {
        program(&String::deserialize(d)?).ok_or_else(|| D::Error::custom("a Qolo person is in an unknown program"))
    }
}

const ACCOUNT_TYPES: &[&str] = &[
    "GENERAL",
    "PROGFUND",
    "CHECK",
    "REVENUE",
    "COLLECTION",
    "PRINCIPAL",
    "SECURE",
    "CREDIT",
    "USERDEFINED",
    "ADVANCE",
    "PROG_DISBURSE",
    "EXCEPTION",
    "WRITEOFF",
    "SUSPENSE",
];

/// Person fields Qolo sets; ignored when a client sends them.
const READ_ONLY: &[&str] = &["person_guid", "person_status", "verfication_mode", "verfication_level"];

/// The out-of-wallet questions offered to an unverified person, and the right answer to each
/// (the same for every person, so tests and demos can answer them).
const OOW_QUESTIONS: &[(&str, &str, [&str; 4], &str)] = &[
    (
        "oow_street",
        "Which of these streets have you lived on?",
        ["Maple Avenue", "Harbor Road", "Quarry Lane", "None of the above"],
        "None of the above",
    ),
    (
        "oow_city",
        "In which of these cities have you had a phone number?",
        ["Springfield", "Riverton", "Lakeside", "None of the above"],
        "None of the above",
    ),
];

#[derive(Serialize, Deserialize)]
struct KycResult {
    method: String,
    #[serde(with = "time_rfc3339")]
    at: OffsetDateTime,
    passed: bool,
    reasons: Vec<String>,
    document_type: Option<String>,
    document_file_type: Option<String>,
    provider_name: String,
    provider_reference: String,
}

#[derive(Serialize, Deserialize)]
struct Person {
    guid: String,
    #[serde(with = "program_guid")]
    program: &'static Program,
    details: Map<String, Value>,
    cleared: bool,
    level: Option<String>,
    results: Vec<KycResult>,
    #[serde(with = "time_rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time_rfc3339")]
    updated_at: OffsetDateTime,
}

impl Person {
    fn status(&self) -> &'static str {
        if self.cleared { "CLEARED" } else { "UNVERIFIED" }
    }
}

/// Everything Qolo stores. The indexes are not saved in the state file but rebuilt from the
/// records by [`Records::reindex`].
#[derive(Serialize, Deserialize)]
pub(crate) struct Records {
    ids: Seeded,
    persons: Vec<Person>,
    #[serde(skip)]
    at: HashMap<String, usize>,
    /// `client_reference_id` → persons, oldest first (it is not documented as unique).
    #[serde(skip)]
    by_reference: HashMap<String, Vec<usize>>,
}

impl Records {
    pub fn new(seed: u64) -> Self {
        Self {
            ids: Seeded::new(seed, stream::QOLO),
            persons: Vec::new(),
            at: HashMap::new(),
            by_reference: HashMap::new(),
        }
    }

    /// Rebuilds the indexes of records read from a state file, the way creates build them.
    pub fn reindex(&mut self) -> Result<(), &'static str> {
        self.at = self.persons.iter().enumerate().map(|(i, p)| (p.guid.to_ascii_lowercase(), i)).collect();
        self.by_reference = HashMap::new();
        for (i, person) in self.persons.iter().enumerate() {
            if let Some(reference) = person.details.get("client_reference_id").and_then(Value::as_str) {
                self.by_reference.entry(reference.to_string()).or_default().push(i);
            }
        }
        Ok(())
    }

    fn find(&self, guid: &str) -> Result<usize, ApiError> {
        self.at.get(&guid.to_ascii_lowercase()).copied().ok_or_else(person_not_found)
    }

    pub fn dump(&self) -> Value {
        json!({
            "persons": self.persons.iter().map(|p| json!({ "person": person_json(p), "kyc": kyc_json(p) })).collect::<Vec<_>>(),
        })
    }
}

fn person_json(person: &Person) -> Value {
    let mut details = person.details.clone();
    details.insert("person_guid".into(), person.guid.clone().into());
    details.insert("person_status".into(), person.status().into());
    details.insert("verfication_mode".into(), person.program.mode.into());
    details.insert("verfication_level".into(), person.level.clone().into());
    json!({
        "person_guid": person.guid,
        "program_guid": person.program.guid,
        "person_status": person.status(),
        "person_details": details,
        "created_at": iso(person.created_at),
        "updated_at": iso(person.updated_at),
    })
}

/// The KYC response of Perform KYC and Retrieve KYC: the whole history, oldest first. The
/// latest result of an unverified person carries the out-of-wallet questions.
fn kyc_json(person: &Person) -> Value {
    let last = person.results.len().saturating_sub(1);
    let results: Vec<Value> = person
        .results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let outcome = if r.passed { "PASS" } else { "FAIL" };
            let questions: Vec<Value> = if i == last && !person.cleared {
                OOW_QUESTIONS
                    .iter()
                    .map(|(key, prompt, options, _)| json!({ "prompt": prompt, "key": key, "options": options }))
                    .collect()
            } else {
                Vec::new()
            };
            let documents = r.document_type.as_ref().map(|_| {
                json!({
                    "document_reference": r.provider_reference,
                    "file_type": r.document_file_type,
                    "back_file_type": r.document_file_type,
                    "front_docpath": null,
                    "back_docpath": null,
                    "face_image_docpath": null,
                })
            });
            json!({
                "person_guid": person.guid,
                "verification_method": r.method,
                "verification_date": iso(r.at),
                "document_type": r.document_type,
                "document_path": null,
                "response_code": outcome,
                "verification_results": outcome,
                "reason_code": if r.reasons.is_empty() { Value::Null } else { r.reasons.join(",").into() },
                "questions": questions,
                "provider_reference": r.provider_reference,
                "provider_name": r.provider_name,
                "documents": documents,
            })
        })
        .collect();
    let additional = match person.results.last() {
        Some(r) if r.passed => "Verification passed".to_string(),
        Some(r) => format!("Verification failed: {}", r.reasons.join(", ")),
        None => String::new(),
    };
    json!({
        "person_guid": person.guid,
        "verification_mode": person.program.mode,
        "verification_level": person.level,
        "additional_desc": additional,
        "verificationResults": results,
    })
}

/// The electronic check: name, date of birth and a residential address (not a PO box) for
/// every program; an SSN as well under CDD. Returns the failing reason codes, in this order.
fn electronic_check(details: &Map<String, Value>, mode: &str) -> Vec<&'static str> {
    let text = |map: &Map<String, Value>, key: &str| {
        map.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
    };
    let mut reasons = Vec::new();
    if text(details, "first_name").is_none() || text(details, "last_name").is_none() {
        reasons.push("NAME_MISSING");
    }
    if text(details, "birth_date").and_then(|d| parse_iso_date(&d)).is_none() {
        reasons.push("DOB_MISSING");
    }
    match details.get("base_address").and_then(Value::as_object) {
        Some(address)
            if ["address_line1", "city", "country", "postal_code"].iter().all(|k| text(address, k).is_some()) =>
        {
            let line: String = text(address, "address_line1")
                .unwrap_or_default()
                .to_ascii_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect();
            if line.starts_with("pobox") || line.starts_with("postofficebox") {
                reasons.push("PO_BOX_ADDRESS");
            }
        }
        _ => reasons.push("ADDRESS_MISSING"),
    }
    if mode == "CDD" {
        let has_ssn = details.get("identifications").and_then(Value::as_array).is_some_and(|ids| {
            ids.iter().any(|id| {
                let kind = id.get("govt_id_type").and_then(Value::as_str).unwrap_or("");
                let digits = id
                    .get("govt_id_number")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .chars()
                    .filter(char::is_ascii_digit)
                    .count();
                kind == "SSN" && digits == 9
            })
        });
        if !has_ssn {
            reasons.push("SSN_REQUIRED");
        }
    }
    reasons
}

fn guid_of(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let guid = path.map(|Path(guid)| guid).map_err(|_| bad("person_guid must be a UUID"))?;
    uuid::Uuid::parse_str(&guid).map_err(|_| bad("person_guid must be a UUID"))?;
    Ok(guid)
}

/// `POST /api/v1/persons` → 201 with the person and the KYC run at creation.
async fn create_person(State(sim): State<Arc<Sim>>, body: Bytes) -> Result<Response, ApiError> {
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let program_guid = fields.str("program_guid")?.ok_or_else(|| bad("program_guid is required"))?;
    let details = fields.object("person_details")?.ok_or_else(|| bad("person_details is required"))?;
    if fields.bool("create_account")? == Some(true) {
        let currencies_ok = fields.array("account_currencies")?.is_some_and(|c| !c.is_empty());
        if !currencies_ok || fields.str("account_name")?.is_none() {
            return Err(bad("account_currencies and account_name are required when create_account is true"));
        }
    }
    if let Some(kind) = fields.str("account_type")?
        && !ACCOUNT_TYPES.contains(&kind)
    {
        return Err(bad(format!("account_type must be one of {}", ACCOUNT_TYPES.join(", "))));
    }
    let program = program(program_guid).ok_or_else(|| ApiError::not_found(P, "Program not found"))?;
    let details: Map<String, Value> =
        details.iter().filter(|(k, _)| !READ_ONLY.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();

    let now = now();
    let reasons = electronic_check(&details, program.mode);
    let mut records = sim.qolo.lock();
    let guid = records.ids.uuid();
    let reference = format!("SIM{}", records.ids.alphanumeric(12));
    let passed = reasons.is_empty();
    let person = Person {
        guid: guid.clone(),
        program,
        details,
        cleared: passed,
        level: passed.then(|| program.mode.to_string()),
        results: vec![KycResult {
            method: "ELECTRONIC".into(),
            at: now,
            passed,
            reasons: reasons.into_iter().map(String::from).collect(),
            document_type: None,
            document_file_type: None,
            provider_name: "SIMULATOR".into(),
            provider_reference: reference,
        }],
        created_at: now,
        updated_at: now,
    };
    let index = records.persons.len();
    if let Some(reference) = person.details.get("client_reference_id").and_then(Value::as_str) {
        records.by_reference.entry(reference.to_string()).or_default().push(index);
    }
    records.persons.push(person);
    records.at.insert(guid, index);
    let person = &records.persons[index];
    let mut body = person_json(person);
    if let Value::Object(m) = &mut body {
        m.insert("kyc".into(), kyc_json(person));
    }
    Ok(reply(StatusCode::CREATED, body))
}

/// `GET /api/v1/persons/{guid}`.
async fn get_person(
    State(sim): State<Arc<Sim>>,
    guid: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let guid = guid_of(guid)?;
    let records = sim.qolo.lock();
    let index = records.find(&guid)?;
    Ok(reply(StatusCode::OK, person_json(&records.persons[index])))
}

/// Simulator addition: `GET /api/v1/persons?client_reference_id=X` → `{items:[…]}`, oldest
/// first, so a client can find a person whose create response it never saw.
async fn find_persons(State(sim): State<Arc<Sim>>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let query = Query::parse(P, raw.as_deref())?;
    let wanted = query.get("client_reference_id").ok_or_else(|| bad("client_reference_id is required"))?;
    let records = sim.qolo.lock();
    let items: Vec<Value> =
        records.by_reference.get(wanted).into_iter().flatten().map(|i| person_json(&records.persons[*i])).collect();
    Ok(reply(StatusCode::OK, json!({ "items": items })))
}

/// `GET /api/v1/persons/{guid}/kyc`.
async fn get_kyc(State(sim): State<Arc<Sim>>, guid: Result<Path<String>, PathRejection>) -> Result<Response, ApiError> {
    let guid = guid_of(guid)?;
    let records = sim.qolo.lock();
    let index = records.find(&guid)?;
    Ok(reply(StatusCode::OK, kyc_json(&records.persons[index])))
}

/// What one Perform KYC call asks for, in the order it is honoured.
enum Attempt {
    ClientOverride { level: Option<String>, provider: Option<String>, reference: Option<String> },
    Document { kind: Option<String>, file_type: Option<String>, reasons: Vec<&'static str> },
    Answers { correct: bool },
    Electronic,
}

/// `POST /api/v1/persons/{guid}/kyc` → 200 with the KYC response. Refusals: unknown person
/// 404 "Person not found"; unknown program 404 "Program not found"; a flip outside the top
/// program 400; an already verified person without `program_guid` 400 "Person Already Verified".
async fn perform_kyc(
    State(sim): State<Arc<Sim>>,
    guid: Result<Path<String>, PathRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let guid = guid_of(guid)?;
    let map = json_object(P, &body)?;
    let fields = Fields::new(P, &map);
    let perform = fields.bool("perform_kyc")?.unwrap_or(false);
    let identifications = fields.array("identifications")?;
    let answers = fields.array("answers")?;
    let document = fields.object("document")?;
    let client = fields.object("client_verification")?;
    let program_guid = fields.str("program_guid")?;
    fields.str("notes")?;

    let mut records = sim.qolo.lock();
    let index = records.find(&guid)?;
    let current = records.persons[index].program;
    let target = match program_guid {
        Some(g) => program(g).ok_or_else(|| ApiError::not_found(P, "Program not found"))?,
        None => current,
    };
    if target.top != current.top {
        return Err(bad("Program flip is only allowed to a program under the same top program"));
    }
    let flip = target.guid != current.guid;
    if records.persons[index].cleared && !flip {
        return Err(bad("Person Already Verified"));
    }
    let attempt = if let Some(client) = client.filter(|c| {
        c.get("document_approved").and_then(Value::as_bool) == Some(true)
            || c.get("person_status_update").and_then(Value::as_bool) == Some(true)
    }) {
        let text = |key: &str| client.get(key).and_then(Value::as_str).map(str::to_string);
        Attempt::ClientOverride {
            level: text("verification_level"),
            provider: text("verification_provider"),
            reference: text("verification_provider_refnumber"),
        }
    } else if let Some(document) = document {
        let text = |key: &str| document.get(key).and_then(Value::as_str).map(str::to_string);
        let mut reasons = Vec::new();
        if text("front").is_none_or(|f| f.trim().is_empty()) {
            reasons.push("DOCUMENT_IMAGE_MISSING");
        }
        if document.get("liveness_detected").and_then(Value::as_bool) == Some(false) {
            reasons.push("LIVENESS_FAILED");
        }
        Attempt::Document { kind: text("document_type"), file_type: text("file_type"), reasons }
    } else if let Some(answers) = answers {
        let given = |key: &str| {
            answers
                .iter()
                .find(|a| a.get("key").and_then(Value::as_str) == Some(key))
                .and_then(|a| a.get("answer").and_then(Value::as_str))
        };
        Attempt::Answers { correct: OOW_QUESTIONS.iter().all(|(key, _, _, right)| given(key) == Some(*right)) }
    } else if perform || identifications.is_some() || flip {
        Attempt::Electronic
    } else {
        return Err(bad(
            "Nothing to verify: send perform_kyc, identifications, answers, document or client_verification",
        ));
    };

    let now = now();
    let reference = format!("SIM{}", records.ids.alphanumeric(12));
    let person = &mut records.persons[index];
    if let Some(identifications) = identifications {
        // New identifications replace earlier ones of the same type.
        let mut merged: Vec<Value> =
            person.details.get("identifications").and_then(Value::as_array).cloned().unwrap_or_default();
        for id in identifications {
            let kind = id.get("govt_id_type").cloned();
            merged.retain(|old| old.get("govt_id_type").cloned() != kind);
            merged.push(id.clone());
        }
        person.details.insert("identifications".into(), Value::Array(merged));
    }
    let mut result = KycResult {
        method: "ELECTRONIC".into(),
        at: now,
        passed: false,
        reasons: Vec::new(),
        document_type: None,
        document_file_type: None,
        provider_name: "SIMULATOR".into(),
        provider_reference: reference,
    };
    let mut level = target.mode.to_string();
    match attempt {
        Attempt::ClientOverride { level: client_level, provider, reference } => {
            result.method = "CLIENT".into();
            result.passed = true;
            if let Some(client_level) = client_level {
                level = client_level;
            }
            if let Some(provider) = provider {
                result.provider_name = provider;
            }
            if let Some(reference) = reference {
                result.provider_reference = reference;
            }
        }
        Attempt::Document { kind, file_type, reasons } => {
            result.method = "DOCUMENT".into();
            result.passed = reasons.is_empty();
            result.reasons = reasons.into_iter().map(String::from).collect();
            result.document_type = Some(kind.unwrap_or_else(|| "UNKNOWN".into()));
            result.document_file_type = file_type;
        }
        Attempt::Answers { correct } => {
            result.method = "OOW".into();
            result.passed = correct;
            if !correct {
                result.reasons.push("OOW_FAILED".into());
            }
        }
        Attempt::Electronic => {
            result.reasons = electronic_check(&person.details, target.mode).into_iter().map(String::from).collect();
            result.passed = result.reasons.is_empty();
        }
    }
    if result.passed {
        person.cleared = true;
        person.level = Some(level);
        person.program = target;
    }
    // A failed upgrade leaves a verified person verified in the old program.
    person.results.push(result);
    person.updated_at = now;
    Ok(reply(StatusCode::OK, kyc_json(person)))
}
