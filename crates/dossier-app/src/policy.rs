//! The firm's policy as a settings document: read and written as JSON (`dossier settings`),
//! validated field by field, stored under one key.

use std::collections::BTreeMap;
use std::str::FromStr;
use ts_rs::TS;

use dossier_core::*;
use dossier_store::Tx;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::Duration;

use crate::convert::Fields;
use crate::error::{Error, Reason, Result};
use crate::{Dossier, Env};

const POLICY_KEY: &str = "policy";

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct PolicyDto {
    /// `record_only`, `verify_partial` or `verify_full`.
    pub on_kyc_passed: String,
    /// Minutes an unfinished verification of each method may take.
    pub verification_deadline_minutes: BTreeMap<String, i64>,
    pub edd_checklist: Vec<String>,
    /// Hours each kind of case (`edd`, `kyc`, `bank_account`, `counterparty`) may stay open.
    pub sla_hours: BTreeMap<String, i64>,
    /// Years between KYC refreshes by risk rating (`LOW`, `MEDIUM`, `HIGH`).
    pub refresh_years: BTreeMap<String, i32>,
    /// Limits per tier (`partial`, `full`, `edd`).
    pub activity_limits: BTreeMap<String, Vec<ActivityLimitDto>>,
    pub risk: RiskModelDto,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ActivityLimitDto {
    pub activity: String,
    /// A decimal amount as a string, e.g. "10000.00".
    pub amount: String,
    pub currency: String,
    /// `daily`, `weekly`, `monthly` or `lifetime`.
    pub interval: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct RiskModelDto {
    pub high_risk_countries: Vec<String>,
    pub prohibited_countries: Vec<String>,
    pub high_risk_industries: Vec<String>,
    pub prohibited_industries: Vec<String>,
    pub points: BTreeMap<String, u32>,
    pub medium_from: u32,
    pub high_from: u32,
}

const POINT_KEYS: [&str; 6] = [
    "high_risk_country",
    "politically_exposed_person",
    "high_risk_industry",
    "expected_activity_high",
    "expected_activity_medium",
    "ownership_opacity",
];

pub(crate) fn to_dto(p: &Policy) -> PolicyDto {
    let r = &p.risk;
    PolicyDto {
        on_kyc_passed: p.on_kyc_passed.as_str().to_owned(),
        verification_deadline_minutes: p
            .verification_deadlines
            .iter()
            .map(|(m, d)| (m.as_str().to_owned(), d.whole_minutes()))
            .collect(),
        edd_checklist: p.edd_checklist.clone(),
        sla_hours: p.sla.iter().map(|(c, d)| (c.as_str().to_owned(), d.whole_hours())).collect(),
        refresh_years: ["LOW", "MEDIUM", "HIGH"].iter().zip(p.refresh_years).map(|(k, v)| (k.to_string(), v)).collect(),
        activity_limits: p
            .activity_limits
            .iter()
            .map(|(tier, limits)| {
                let list = limits
                    .iter()
                    .map(|l| ActivityLimitDto {
                        activity: l.activity.clone(),
                        amount: l.amount.to_string(),
                        currency: l.currency.clone(),
                        interval: l.interval.as_str().to_owned(),
                    })
                    .collect();
                (tier.as_str().to_owned(), list)
            })
            .collect(),
        risk: RiskModelDto {
            high_risk_countries: r.high_risk_countries.clone(),
            prohibited_countries: r.prohibited_countries.clone(),
            high_risk_industries: r.high_risk_industries.clone(),
            prohibited_industries: r.prohibited_industries.clone(),
            points: POINT_KEYS
                .iter()
                .zip([
                    r.points_high_risk_country,
                    r.points_pep,
                    r.points_high_risk_industry,
                    r.points_expected_activity_high,
                    r.points_expected_activity_medium,
                    r.points_ownership_opacity,
                ])
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            medium_from: r.medium_from,
            high_from: r.high_from,
        },
    }
}

/// Converts and validates a policy document, reporting every fault at once.
pub(crate) fn from_dto(d: &PolicyDto) -> Result<Policy> {
    let mut f = Fields::default();
    let on_kyc_passed = f.val("on_kyc_passed", KycPassPolicy::parse(&d.on_kyc_passed));
    let mut deadlines = Vec::new();
    for (method, minutes) in &d.verification_deadline_minutes {
        let field = format!("verification_deadline_minutes.{method}");
        if let Some(m) = f.val(&field, VerificationMethod::parse(method)) {
            if *minutes <= 0 {
                f.push(Reason::field(
                    &field,
                    "invalid_duration",
                    format!("{field} must be a positive number of minutes"),
                ));
            }
            deadlines.push((m, Duration::minutes(*minutes)));
        }
    }
    let mut sla = Vec::new();
    for (case, hours) in &d.sla_hours {
        let field = format!("sla_hours.{case}");
        if let Some(c) = f.val(&field, CaseType::parse(case)) {
            if *hours <= 0 {
                f.push(Reason::field(
                    &field,
                    "invalid_duration",
                    format!("{field} must be a positive number of hours"),
                ));
            }
            sla.push((c, Duration::hours(*hours)));
        }
    }
    let mut refresh_years = [3, 2, 1];
    for (i, key) in ["LOW", "MEDIUM", "HIGH"].iter().enumerate() {
        match d.refresh_years.get(*key) {
            Some(y) if (1..=10).contains(y) => refresh_years[i] = *y,
            _ => f.push(Reason::field(
                format!("refresh_years.{key}"),
                "invalid_duration",
                format!("refresh_years.{key} must be a number of years from 1 to 10"),
            )),
        }
    }
    let mut activity_limits = Vec::new();
    for (tier, limits) in &d.activity_limits {
        let field = format!("activity_limits.{tier}");
        let Some(tier) = f.val(&field, LimitTier::parse(tier)) else { continue };
        let mut list = Vec::new();
        for (i, l) in limits.iter().enumerate() {
            let lf = format!("{field}[{i}]");
            let amount = Decimal::from_str(l.amount.trim()).ok().filter(|a| *a >= Decimal::ZERO);
            if amount.is_none() {
                f.push(Reason::from_value_error(&format!("{lf}.amount"), &ValueError::InvalidAmount));
            }
            let currency = l.currency.trim().to_ascii_uppercase();
            if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
                f.push(Reason::field(
                    format!("{lf}.currency"),
                    "invalid_currency",
                    format!("{lf}.currency must be an ISO 4217 code such as USD"),
                ));
            }
            let interval = f.val(&format!("{lf}.interval"), LimitInterval::parse(&l.interval));
            if l.activity.trim().is_empty() {
                f.push(Reason::from_value_error(&format!("{lf}.activity"), &ValueError::Empty));
            }
            if let (Some(amount), Some(interval)) = (amount, interval) {
                list.push(ActivityLimit { activity: l.activity.trim().to_owned(), amount, currency, interval });
            }
        }
        activity_limits.push((tier, list));
    }
    let checklist: Vec<String> = d.edd_checklist.iter().map(|i| i.trim().to_owned()).collect();
    for (i, item) in checklist.iter().enumerate() {
        if item.is_empty() || item.contains(',') || item.len() > 64 {
            f.push(Reason::field(
                format!("edd_checklist[{i}]"),
                "invalid_code",
                format!("edd_checklist[{i}] must be a short word without commas"),
            ));
        }
    }
    let mut points = [0u32; 6];
    for (i, key) in POINT_KEYS.iter().enumerate() {
        match d.risk.points.get(*key) {
            Some(p) => points[i] = *p,
            None => f.push(Reason::field(
                format!("risk.points.{key}"),
                "required",
                format!("risk.points.{key} is required"),
            )),
        }
    }
    for key in d.risk.points.keys() {
        if !POINT_KEYS.contains(&key.as_str()) {
            f.push(Reason::field(
                format!("risk.points.{key}"),
                "unknown_field",
                format!("risk.points has no factor {key}"),
            ));
        }
    }
    if d.risk.medium_from == 0 || d.risk.high_from <= d.risk.medium_from {
        f.push(Reason::field(
            "risk.high_from",
            "invalid_threshold",
            "risk thresholds need 0 < medium_from < high_from",
        ));
    }
    let countries = |f: &mut Fields, field: &str, list: &[String]| -> Vec<String> {
        list.iter()
            .enumerate()
            .filter_map(|(i, c)| f.val(&format!("{field}[{i}]"), CountryCode::parse(c)).map(|c| c.to_string()))
            .collect()
    };
    let high_risk_countries = countries(&mut f, "risk.high_risk_countries", &d.risk.high_risk_countries);
    let prohibited_countries = countries(&mut f, "risk.prohibited_countries", &d.risk.prohibited_countries);
    f.finish()?;
    Ok(Policy {
        on_kyc_passed: on_kyc_passed.unwrap_or(KycPassPolicy::RecordOnly),
        verification_deadlines: deadlines,
        edd_checklist: checklist,
        sla,
        refresh_years,
        activity_limits,
        risk: RiskModel {
            high_risk_countries,
            prohibited_countries,
            high_risk_industries: d.risk.high_risk_industries.clone(),
            prohibited_industries: d.risk.prohibited_industries.clone(),
            points_high_risk_country: points[0],
            points_pep: points[1],
            points_high_risk_industry: points[2],
            points_expected_activity_high: points[3],
            points_expected_activity_medium: points[4],
            points_ownership_opacity: points[5],
            medium_from: d.risk.medium_from,
            high_from: d.risk.high_from,
        },
    })
}

/// The policy in force: the stored one, or the defaults.
pub(crate) fn load(tx: &Tx<'_>) -> Result<Policy> {
    match tx.setting(POLICY_KEY)? {
        None => Ok(Policy::default()),
        Some(text) => {
            let dto: PolicyDto = serde_json::from_str(&text).map_err(|_| {
                Error::Unexpected(crate::error::Problem::new(
                    "database_corrupt",
                    "the stored policy cannot be read: set it again with `dossier settings set`",
                ))
            })?;
            from_dto(&dto)
        }
    }
}

impl Dossier {
    pub fn policy(&self, actor: &Actor) -> Result<PolicyDto> {
        actor.require(Permission::Read)?;
        self.read(|_, tx| Ok(to_dto(&load(tx)?)))
    }

    /// Replaces the policy. Existing cases keep their deadlines and SLAs; new ones use the new values.
    pub fn set_policy(&mut self, actor: &Actor, input: &PolicyDto) -> Result<PolicyDto> {
        actor.require(Permission::Settings)?;
        let policy = from_dto(input)?;
        let normalised = to_dto(&policy);
        let text = serde_json::to_string(&normalised).expect("a policy always serializes");
        self.write(|env: &Env, tx| {
            tx.put_setting(POLICY_KEY, &text, env.clock.now())?;
            tx.append_audit(&AuditEvent {
                id: AuditEventId::from_uuid(env.ids.next_id()),
                at: env.clock.now(),
                actor: actor.name().clone(),
                action: "settings.set_policy",
                entity_kind: EntityKind::Settings,
                entity_id: uuid::Uuid::nil(),
                reason: None,
                summary: json!({"key": POLICY_KEY}).to_string(),
            })?;
            Ok(normalised)
        })
    }
}
