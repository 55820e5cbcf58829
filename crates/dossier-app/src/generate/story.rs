//! One synthetic customer's life, step by step, as the app would have recorded it: the create
//! request (converted and validated like `customer create`), then contact checks, identity
//! verifications walked through their state machine, staff and officer decisions, EDD cases,
//! controls and closures, each with the audit event the app writes, and the hourly maintenance
//! tick (verification deadlines, expiring government-ID decisions) in between.
//!
//! Each step happens a random while after the previous one; a step that would fall at or after
//! `now` does not happen, so recent customers are caught mid-way (pending, cases open), as in a
//! live system. At the end the derived columns are computed by the same function the app uses.

use dossier_core::*;
use dossier_store::{BulkCustomer, BulkRisk};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use time::{Date, Duration, OffsetDateTime};

use super::request::{business_input, person_input};
use super::seeded::SeededIds;
use super::words::*;
use crate::convert::{self, Ctx};
use crate::derived::{assess_facts, factors_json, refresh_due, verified_on_after};
use crate::error::{Error, Problem, Result};

/// What the generator shares across customers.
pub(crate) struct World {
    pub rng: ChaCha8Rng,
    pub ids: SeededIds,
    pub policy: Policy,
    pub now: OffsetDateTime,
    staff: Vec<UserName>,
    officers: Vec<UserName>,
    /// Provider results read back by the sync worker.
    sync: UserName,
    /// The hourly `maintenance tick`.
    scheduler: UserName,
}

impl World {
    pub fn new(rng: ChaCha8Rng, ids: SeededIds, policy: Policy, now: OffsetDateTime) -> Self {
        let actors =
            |names: &[&str]| names.iter().map(|n| UserName::parse(n).expect("fixed actor names parse")).collect();
        Self {
            rng,
            ids,
            policy,
            now,
            staff: actors(STAFF),
            officers: actors(OFFICERS),
            sync: UserName::parse("sync").expect("fixed actor name"),
            scheduler: UserName::parse("scheduler").expect("fixed actor name"),
        }
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p.clamp(0.0, 1.0))
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    /// An index drawn with the given weights.
    pub(super) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = self.rng.random_range(0..total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    pub(super) fn num(&mut self, lo: u32, hi: u32) -> u32 {
        self.rng.random_range(lo..=hi)
    }

    pub(super) fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.rng.random_range(0..10u8))).collect()
    }

    pub(super) fn letter(&mut self) -> char {
        char::from(b'A' + self.rng.random_range(0..26u8))
    }

    /// A random duration between `lo` and `hi`, in whole seconds.
    pub(super) fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let (lo, hi) = (lo.whole_seconds(), hi.whole_seconds().max(lo.whole_seconds() + 1));
        Duration::seconds(self.rng.random_range(lo..hi))
    }

    pub(super) fn staff(&mut self) -> UserName {
        let i = self.rng.random_range(0..self.staff.len());
        self.staff[i].clone()
    }

    pub(super) fn officer(&mut self) -> UserName {
        let i = self.rng.random_range(0..self.officers.len());
        self.officers[i].clone()
    }
}

/// An individual the generator made recently, who may be a member of the next businesses.
#[derive(Clone)]
pub(crate) struct PoolPerson {
    pub id: CustomerId,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Date,
    pub status: IdentityStatus,
}

/// Where a customer's story is meant to end (the clock may stop it earlier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    Active,
    Verified,
    Closed,
    Rejected,
    Withdrawn,
    /// Still pending: which way.
    Pending(PendingKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PendingKind {
    /// Data still missing (no identity document, or no mobile number).
    Incomplete,
    /// A KYC verification open in some state.
    InFlight,
    /// KYC passed; branch staff have not verified the customer yet.
    AwaitingVerify,
    /// KYC failed for a reason that does not reject; waiting for another attempt.
    FailedRetry,
}

impl Plan {
    fn draw(w: &mut World) -> Plan {
        match w.weighted(&[63, 14, 7, 5, 4, 7]) {
            0 => Plan::Active,
            1 => Plan::Verified,
            2 => Plan::Closed,
            3 => Plan::Rejected,
            4 => Plan::Withdrawn,
            _ => Plan::Pending(match w.weighted(&[25, 50, 13, 12]) {
                0 => PendingKind::Incomplete,
                1 => PendingKind::InFlight,
                2 => PendingKind::AwaitingVerify,
                _ => PendingKind::FailedRetry,
            }),
        }
    }

    pub(super) fn onboards(self) -> bool {
        matches!(self, Plan::Active | Plan::Verified | Plan::Closed)
    }
}

/// Everything generated for one customer.
pub(crate) struct Generated {
    pub customer: BulkCustomer,
    pub events: Vec<AuditEvent>,
    /// Set for individuals: a candidate member of later businesses.
    pub person: Option<PoolPerson>,
}

fn us(at: OffsetDateTime) -> OffsetDateTime {
    // Times are stored with microseconds: keep them at that precision from the start.
    at.replace_nanosecond(at.nanosecond() / 1_000 * 1_000).expect("a nanosecond below 1e9")
}

fn bug(what: &str) -> Error {
    Error::Unexpected(Problem::new("generator_error", format!("the data generator produced {what}: report this")))
}

/// Makes customer number `index` (0-based), created at `created_at`.
pub(crate) fn customer(
    w: &mut World,
    index: u64,
    created_at: OffsetDateTime,
    pool: &[PoolPerson],
) -> Result<Generated> {
    let created_at = us(created_at);
    let mut plan = Plan::draw(w);
    let business = w.chance(0.15);
    let ref_id = format!("CUS-{}-{:07}", created_at.year(), index + 1);
    let (input, linked) = if business {
        business_input(w, &ref_id, created_at, plan, pool)
    } else {
        (person_input(w, &ref_id, created_at, plan), Vec::new())
    };
    let id = CustomerId::from_uuid(w.ids.at(created_at));
    let ctx = Ctx { ids: &w.ids, today: created_at.date() };
    let c = convert::new_customer(&input, id, created_at, &ctx).map_err(|_| bug("an invalid customer"))?;
    let risk = assess(&c, c.politically_exposed, &w.policy.risk);
    if risk.rating == RiskRating::Prohibited && plan.onboards() {
        // The firm does not onboard prohibited customers: they are refused, or left pending.
        plan = if w.chance(0.75) { Plan::Rejected } else { Plan::Pending(PendingKind::AwaitingVerify) };
    }
    let staff = w.staff();
    let mut story = Story {
        w,
        c,
        rating: risk.rating,
        verifications: Vec::new(),
        evidence: Vec::new(),
        notes: Vec::new(),
        decisions: Vec::new(),
        lifted: Vec::new(),
        events: Vec::new(),
        verified_on: None,
        clock: created_at,
        staff,
    };
    story.created();
    story.run(plan);
    let now = story.w.now;
    story.tick_until(now);

    let Story { w, c, verifications, evidence, notes, decisions, lifted, events, verified_on, .. } = story;
    let members: Vec<(MemberId, Option<IdentityStatus>)> = match &c.party {
        Party::Person(_) => Vec::new(),
        Party::Institution { members, .. } => members
            .iter()
            .map(|m| {
                let status = m.person_customer_id.and_then(|p| linked.iter().find(|l| l.id == p).map(|l| l.status));
                (m.id, status)
            })
            .collect(),
    };
    let a = assess_facts(&w.policy, &c, &verifications, members, verified_on);
    let person = match &c.party {
        Party::Person(p) => Some(PoolPerson {
            id: c.id,
            first_name: p.first_name.to_string(),
            last_name: p.last_name.to_string(),
            date_of_birth: p.date_of_birth,
            status: a.derived.identity_status,
        }),
        Party::Institution { .. } => None,
    };
    let risk = BulkRisk {
        id: RiskAssessmentId::from_uuid(w.ids.at(created_at)),
        factors_json: factors_json(&a.risk),
        assessment: a.risk,
        at: created_at,
    };
    Ok(Generated {
        customer: BulkCustomer {
            customer: c,
            derived: a.derived,
            lifted_controls: lifted,
            verifications,
            evidence,
            notes,
            decisions,
            risk,
        },
        events,
        person,
    })
}

struct Story<'w> {
    w: &'w mut World,
    c: Customer,
    rating: RiskRating,
    verifications: Vec<Verification>,
    evidence: Vec<Evidence>,
    notes: Vec<Note>,
    decisions: Vec<Decision>,
    lifted: Vec<(Control, OffsetDateTime)>,
    events: Vec<AuditEvent>,
    verified_on: Option<Date>,
    /// When the last step happened.
    clock: OffsetDateTime,
    /// The clerk who captured the customer.
    staff: UserName,
}

/// Later, independent processes of an onboarded customer, started in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Later {
    Edd,
    BankAccount,
    Control(ControlType),
    Refresh,
}

/// The first hourly maintenance tick (at five past the hour) at or after `t`.
fn tick_after(t: OffsetDateTime) -> OffsetDateTime {
    let hour =
        t.replace_minute(0).and_then(|x| x.replace_second(0)).and_then(|x| x.replace_nanosecond(0)).expect("valid");
    let tick = hour + Duration::minutes(5);
    if tick >= t { tick } else { tick + Duration::hours(1) }
}

fn hours(h: i64) -> Duration {
    Duration::hours(h)
}
fn minutes(m: i64) -> Duration {
    Duration::minutes(m)
}
fn days(d: i64) -> Duration {
    Duration::days(d)
}

const KYC_ID_FAILURES: &[FailureCode] = &[
    FailureCode::IdCheckFailure,
    FailureCode::IdExpirationCheckFailure,
    FailureCode::IdQualityCheckFailure,
    FailureCode::IdMrzCheckFailure,
    FailureCode::SelfieFailure,
    FailureCode::SelfieQualityCheckFailure,
];
const KYC_SOFT_FAILURES: &[FailureCode] = &[
    FailureCode::NameCheckFailure,
    FailureCode::DobCheckFailure,
    FailureCode::AddressCheckFailure,
    FailureCode::DatabaseCheckFailure,
    FailureCode::DocumentQualityCheckFailure,
];
const BANK_FAILURES: &[FailureCode] =
    &[FailureCode::PlaidFailure, FailureCode::AccountNumberCheckFailure, FailureCode::NameComparisonCheckFailure];
const EDD_FAILURES: &[FailureCode] = &[
    FailureCode::ComplianceRejection,
    FailureCode::PepCheckFailure,
    FailureCode::MediaCheckFailure,
    FailureCode::WatchlistCheckFailure,
];

fn case_type(v: &Verification) -> CaseType {
    match (v.is_edd(), v.verification_type) {
        (true, _) => CaseType::Edd,
        (false, VerificationType::Kyc) => CaseType::Kyc,
        (false, VerificationType::BankAccount) => CaseType::BankAccount,
        (false, VerificationType::Counterparty) => CaseType::Counterparty,
    }
}

fn text(s: &str) -> Text {
    Text::parse(s, 1000).expect("fixed texts parse")
}

fn codes_json(codes: &[FailureCodeValue]) -> Vec<String> {
    codes.iter().map(|c| c.as_str().to_owned()).collect()
}

impl Story<'_> {
    // -- time ---------------------------------------------------------------------------------

    /// Moves the clock `by` later, after running the ticks due before then; `None` (and nothing
    /// changes) when that would be at or after now.
    fn after(&mut self, by: Duration) -> Option<OffsetDateTime> {
        let t = us(self.clock + by.max(Duration::SECOND));
        if t >= self.w.now {
            return None;
        }
        self.tick_until(t);
        self.clock = t;
        Some(t)
    }

    fn wait(&mut self, lo: Duration, hi: Duration) -> Option<OffsetDateTime> {
        let by = self.w.between(lo, hi);
        self.after(by)
    }

    /// Runs every hourly tick before `until`: unfinished verifications past their deadline
    /// expire, passed decisions past their expiry expire (and a verified customer whose
    /// government-ID decision expired returns to pending), as `maintenance tick` does.
    fn tick_until(&mut self, until: OffsetDateTime) {
        loop {
            let mut next: Option<OffsetDateTime> = None;
            for v in &self.verifications {
                if matches!(v.state, VerificationState::Waiting | VerificationState::Pending)
                    && let Some(deadline) = v.expires_at
                {
                    let t = tick_after(deadline);
                    next = Some(next.map_or(t, |n| n.min(t)));
                }
                for d in &v.compliance_decisions {
                    if d.state == DecisionState::Passed
                        && let Some(at) = d.expired_at
                    {
                        let t = tick_after(at);
                        next = Some(next.map_or(t, |n| n.min(t)));
                    }
                }
            }
            match next {
                Some(t) if t < until && t < self.w.now => self.tick(t),
                _ => return,
            }
        }
    }

    fn tick(&mut self, now: OffsetDateTime) {
        let actor = self.w.scheduler.clone();
        for i in 0..self.verifications.len() {
            let v = &self.verifications[i];
            if matches!(v.state, VerificationState::Waiting | VerificationState::Pending)
                && v.expires_at.is_some_and(|at| at <= now)
            {
                let v = &mut self.verifications[i];
                v.state = v.apply(VerificationStep::Expire, now).expect("waiting and pending can expire");
                v.updated_at = now;
                let summary = json!({"deadline": v.expires_at.map(convert::timestamp)});
                self.verification_event(i, &actor, "verification.expire", None, summary, now);
            }
        }
        for i in 0..self.verifications.len() {
            let mut gov_id_expired = false;
            let mut any = false;
            for d in self.verifications[i].compliance_decisions.iter_mut() {
                if d.state == DecisionState::Passed && d.expired_at.is_some_and(|at| at <= now) {
                    d.state = DecisionState::Expired;
                    any = true;
                    gov_id_expired |= d.decision_type == ComplianceType::PersonGovIdVerification;
                }
            }
            if !any {
                continue;
            }
            self.verifications[i].updated_at = now;
            self.verification_event(
                i,
                &actor,
                "verification.decision_expired",
                None,
                json!({"gov_id": gov_id_expired}),
                now,
            );
            if gov_id_expired && matches!(self.c.state, CustomerState::Verified { .. }) {
                let vid = self.verifications[i].id.to_string();
                self.set_state(CustomerState::Pending, now);
                let summary = json!({"from": "verified", "to": "pending", "verification_id": vid});
                let reason = Some(text("government ID decision expired: KYC needed again"));
                self.event(&actor, "customer.kyc_expired", reason, summary, now);
            }
        }
    }

    // -- records ------------------------------------------------------------------------------

    fn event(
        &mut self,
        actor: &UserName,
        action: &'static str,
        reason: Option<Text>,
        summary: Value,
        at: OffsetDateTime,
    ) {
        self.events.push(AuditEvent {
            id: AuditEventId::from_uuid(self.w.ids.at(at)),
            at,
            actor: actor.clone(),
            action,
            entity_kind: EntityKind::Customer,
            entity_id: *self.c.id.as_uuid(),
            reason,
            summary: summary.to_string(),
        });
    }

    fn verification_event(
        &mut self,
        i: usize,
        actor: &UserName,
        action: &'static str,
        reason: Option<Text>,
        mut summary: Value,
        at: OffsetDateTime,
    ) {
        let v = &self.verifications[i];
        summary["verification_id"] = json!(v.id.to_string());
        summary["method"] = json!(v.method.as_str());
        self.event(actor, action, reason, summary, at);
    }

    fn touch(&mut self, at: OffsetDateTime) {
        self.c.updated_at = at;
    }

    fn set_state(&mut self, next: CustomerState, at: OffsetDateTime) {
        self.c.state = next;
        self.c.state_changed_at = at;
        self.c.updated_at = at;
        self.verified_on = verified_on_after(next, at, self.verified_on);
    }

    fn created(&mut self) {
        let c = &self.c;
        let summary = json!({
            "type": c.kind().as_str(),
            "state": c.state.name(),
            "addresses": c.addresses.len(),
            "contacts": c.contacts.len(),
            "documents": c.documents.len(),
            "tax_details": c.tax.details().len(),
            "members": match &c.party { Party::Institution { members, .. } => members.len(), Party::Person(_) => 0 },
        });
        let staff = self.staff.clone();
        self.event(&staff, "customer.create", None, summary, self.clock);
    }

    // -- customer commands ----------------------------------------------------------------------

    fn verify_contact(&mut self, kind: ContactKind) -> Option<()> {
        let i = self.c.contacts.iter().position(|k| k.kind() == kind && !k.is_verified())?;
        let t = self.wait(minutes(1), hours(3))?;
        let method = match self.w.weighted(&[70, 25, 5]) {
            0 => ContactVerificationMethod::Code,
            1 => ContactVerificationMethod::InPerson,
            _ => ContactVerificationMethod::Document,
        };
        self.c.contacts[i].verification = Some(ContactVerification { method, verified_at: t });
        self.touch(t);
        let summary =
            json!({"contact_id": self.c.contacts[i].id.to_string(), "kind": kind.as_str(), "method": method.as_str()});
        let staff = self.staff.clone();
        self.event(&staff, "customer.verify_contact", None, summary, t);
        Some(())
    }

    fn verify_contacts(&mut self) -> Option<()> {
        self.verify_contact(ContactKind::Email)?;
        self.verify_contact(ContactKind::Mobile)
    }

    fn verify(&mut self, level: VerificationLevel, lo: Duration, hi: Duration) -> Option<()> {
        let t = self.wait(lo, hi)?;
        let next = self.c.state.apply(CustomerAction::Verify(level)).ok()?;
        if !verify_gate(&self.c, level, t.date()).is_empty() {
            return None;
        }
        let from = self.c.state.name();
        self.set_state(next, t);
        let note: Option<&str> = self.w.chance(0.5).then(|| *self.w.pick(VERIFY_NOTES));
        let note = note.map(text);
        let summary = json!({"from": from, "to": next.name(), "level": level.as_str()});
        let staff = self.w.staff();
        self.event(&staff, "customer.verify", note, summary, t);
        Some(())
    }

    fn activate(&mut self) -> Option<()> {
        let t = self.wait(minutes(10), days(4))?;
        let next = self.c.state.apply(CustomerAction::Activate).ok()?;
        if !activate_gate(&self.c, t.date()).is_empty() {
            return None;
        }
        let from = self.c.state.name();
        self.set_state(next, t);
        let summary = json!({"from": from, "to": next.name(), "level": next.level().map(VerificationLevel::as_str)});
        let staff = self.w.staff();
        self.event(&staff, "customer.activate", None, summary, t);
        Some(())
    }

    fn lifecycle(&mut self, action: CustomerAction, reason: &str, actor: &UserName, by: Duration) -> Option<()> {
        let audit_action = match action {
            CustomerAction::Reject => "customer.reject",
            CustomerAction::Withdraw => "customer.withdraw",
            CustomerAction::UndoRejection => "customer.undo_rejection",
            CustomerAction::UndoWithdrawal => "customer.undo_withdrawal",
            CustomerAction::Close => "customer.close",
            CustomerAction::Reactivate => "customer.reactivate",
            CustomerAction::Verify(_) | CustomerAction::Activate => return None,
        };
        let t = self.after(by)?;
        let next = self.c.state.apply(action).ok()?;
        let from = self.c.state.name();
        self.set_state(next, t);
        self.event(actor, audit_action, Some(text(reason)), json!({"from": from, "to": next.name()}), t);
        Some(())
    }

    fn add_control(&mut self, control_type: ControlType, by: Duration) -> Option<()> {
        let t = self.after(by)?;
        if self.c.has_control(control_type) || !matches!(self.c.state, CustomerState::Active { .. }) {
            return None;
        }
        let (set_by, code, reason) = match control_type {
            ControlType::Dormant => {
                (ControlSetBy::Firm, ControlReasonCode::Inactivity, "no account activity for twelve months")
            }
            ControlType::Frozen => (
                ControlSetBy::Admin,
                *self.w.pick(&[ControlReasonCode::ComplianceInvestigation, ControlReasonCode::RiskFraud]),
                "suspicious activity under investigation",
            ),
            ControlType::Denied => {
                (ControlSetBy::Admin, ControlReasonCode::ComplianceScreening, "sanctions screening match confirmed")
            }
            ControlType::Closed => {
                (ControlSetBy::Firm, ControlReasonCode::EndUserRequest, "customer asked to stop all activity")
            }
        };
        let control = Control {
            id: ControlId::from_uuid(self.w.ids.at(t)),
            control_type,
            set_by,
            reason_code: code,
            created_at: t,
        };
        let summary = json!({"control_id": control.id.to_string(), "type": control_type.as_str(),
            "set_by": set_by.as_str(), "reason_code": code.as_str()});
        self.c.controls.push(control);
        self.touch(t);
        let actor = if set_by == ControlSetBy::Admin { self.w.officer() } else { self.w.staff() };
        self.event(&actor, "customer.add_control", Some(text(reason)), summary, t);
        // Dormant customers often come back; investigations often end.
        let lift = match control_type {
            ControlType::Dormant => 0.3,
            ControlType::Frozen => 0.25,
            ControlType::Denied | ControlType::Closed => 0.0,
        };
        if self.w.chance(lift) {
            let t = self.wait(days(5), days(200))?;
            let i = self.c.controls.iter().position(|k| k.control_type == control_type)?;
            let control = self.c.controls.remove(i);
            let summary = json!({"control_id": control.id.to_string(), "type": control_type.as_str()});
            self.lifted.push((control, t));
            self.touch(t);
            let actor = self.w.officer();
            let reason = if control_type == ControlType::Dormant {
                "customer resumed activity"
            } else {
                "investigation closed with no findings"
            };
            self.event(&actor, "customer.remove_control", Some(text(reason)), summary, t);
        }
        Some(())
    }

    // -- verifications ------------------------------------------------------------------------

    fn create_verification(
        &mut self,
        verification_type: VerificationType,
        method: VerificationMethod,
        actor: &UserName,
        by: Duration,
    ) -> Option<usize> {
        let edd = method == VerificationMethod::EnhancedDueDiligence;
        if edd
            && (!matches!(self.c.state, CustomerState::Verified { .. } | CustomerState::Active { .. })
                || self.verifications.iter().any(|v| v.is_edd() && v.state.in_progress()))
        {
            return None;
        }
        let t = self.after(by)?;
        let reference = (!method.is_non_interactive() && !edd && self.w.chance(0.6)).then(|| {
            let code: String = (0..14).map(|_| char::from(b'a' + self.w.rng.random_range(0..26u8))).collect();
            text(&format!("inq_{code}"))
        });
        let policy = &self.w.policy;
        let mut v = Verification {
            id: VerificationId::from_uuid(self.w.ids.at(t)),
            customer_id: self.c.id,
            verification_type,
            method,
            state: VerificationState::Storing,
            compliance_checks: Vec::new(),
            compliance_decisions: Vec::new(),
            external_reference: reference,
            expires_at: policy.deadline(method).map(|d| t + d),
            assignee: None,
            sla_due_at: None,
            snoozed_until: None,
            checklist: if edd { policy.edd_checklist.clone() } else { Vec::new() },
            created_at: t,
            updated_at: t,
        };
        v.sla_due_at = policy.sla_for(case_type(&v)).map(|d| t + d);
        self.verifications.push(v);
        let i = self.verifications.len() - 1;
        let action = if edd { "edd.open" } else { "verification.create" };
        let summary = json!({"type": verification_type.as_str(), "state": "storing"});
        self.verification_event(i, actor, action, None, summary, t);
        Some(i)
    }

    /// A provider's or process's step (`idv advance`).
    fn advance(
        &mut self,
        i: usize,
        step: VerificationStep,
        checks: Vec<ComplianceCheck>,
        actor: &UserName,
        by: Duration,
    ) -> Option<()> {
        let t = self.after(by)?;
        let v = &mut self.verifications[i];
        let from = v.state.name();
        v.state = v.apply(step, t).ok()?;
        if !checks.is_empty() {
            v.compliance_checks = checks;
        }
        let effects = self.after_completion(i, actor, t);
        let v = &mut self.verifications[i];
        v.updated_at = t;
        let summary = json!({"from": from, "to": v.state.name(), "outcome": v.state.outcome().map(Outcome::as_str),
            "failure_codes": codes_json(v.state.failure_codes()), "effects": effects});
        self.touch(t);
        self.verification_event(i, actor, "verification.advance", None, summary, t);
        Some(())
    }

    /// An officer's decision (`idv decide`, `edd decide`), appended to the decisions.
    fn decide(
        &mut self,
        i: usize,
        outcome: Outcome,
        codes: Vec<FailureCodeValue>,
        reason: &str,
        by: Duration,
    ) -> Option<()> {
        let officer = self.verifications[i].assignee.clone().unwrap_or_else(|| self.w.officer());
        let t = self.after(by)?;
        let evidence: Vec<EvidenceId> =
            self.evidence.iter().filter(|e| e.verification_id == self.verifications[i].id).map(|e| e.id).collect();
        let v = &mut self.verifications[i];
        if v.is_edd() && outcome == Outcome::Passed && evidence.len() < v.checklist.len() {
            return None;
        }
        let from = v.state.name();
        v.state = v.apply(VerificationStep::Decide { outcome, failure_codes: codes.clone() }, t).ok()?;
        let effects = self.after_completion(i, &officer, t);
        let v = &mut self.verifications[i];
        let edd = v.is_edd();
        let decision = Decision {
            id: DecisionId::from_uuid(self.w.ids.at(t)),
            customer_id: self.c.id,
            verification_id: Some(v.id),
            kind: if edd { DecisionKind::Edd } else { DecisionKind::Verification },
            outcome,
            reason: text(reason),
            failure_codes: codes.clone(),
            evidence,
            decided_by: officer.clone(),
            decided_at: t,
        };
        v.updated_at = t;
        let summary = json!({"from": from, "outcome": outcome.as_str(), "failure_codes": codes_json(&codes),
            "decision_id": decision.id.to_string(), "evidence": decision.evidence.len(), "effects": effects});
        self.decisions.push(decision);
        self.touch(t);
        let action = if edd { "edd.decide" } else { "verification.decide" };
        self.verification_event(i, &officer, action, Some(text(reason)), summary, t);
        Some(())
    }

    /// What a completed verification does (`Env::after_completion`): its compliance decision,
    /// and for KYC the refresh date and the policy's effect on a pending customer.
    fn after_completion(&mut self, i: usize, actor: &UserName, now: OffsetDateTime) -> Value {
        let v = &self.verifications[i];
        let Some(outcome) = v.state.outcome() else { return json!({}) };
        let codes = v.state.failure_codes().to_vec();
        let today = now.date();
        let mut effects = json!({});
        if let Some(decision_type) = v.method.decision_type() {
            let decision = ComplianceDecision::recorded(decision_type, outcome, codes.clone(), &self.c, today);
            self.verifications[i].compliance_decisions.push(decision);
        }
        let v = &self.verifications[i];
        if v.verification_type != VerificationType::Kyc || v.is_edd() {
            return effects;
        }
        let vid = v.id.to_string();
        match outcome {
            Outcome::Passed => {
                self.c.last_kyc_refresh_date = Some(today);
                let level = self.w.policy.on_kyc_passed.verify_level();
                if let (Some(level), CustomerState::Pending) = (level, self.c.state) {
                    let missing = verify_gate(&self.c, level, today);
                    if missing.is_empty() {
                        let next = CustomerState::Verified { level };
                        self.set_state(next, now);
                        let reason = Some(text("a kyc verification passed (policy)"));
                        let summary = json!({"from": "pending", "to": next.name(), "level": level.as_str(), "verification_id": vid});
                        self.event(actor, "customer.verify", reason, summary, now);
                        effects["customer_verified"] = json!(level.as_str());
                    } else {
                        effects["customer_verified"] = json!(false);
                        effects["gate_missing"] = json!(missing.iter().map(|r| r.code()).collect::<Vec<_>>());
                    }
                }
            }
            Outcome::Failed => {
                if self.c.state == CustomerState::Pending && codes.iter().any(FailureCodeValue::is_id_or_selfie) {
                    self.set_state(CustomerState::Rejected, now);
                    let reason = Some(text("government ID or selfie check failed"));
                    let summary = json!({"from": "pending", "to": "rejected", "verification_id": vid});
                    self.event(actor, "customer.reject", reason, summary, now);
                    effects["customer_rejected"] = json!(true);
                }
            }
        }
        effects
    }

    fn assign(&mut self, i: usize, by: Duration) -> Option<()> {
        let t = self.after(by)?;
        let officer = self.w.officer();
        let assigner = self.w.officer();
        let v = &mut self.verifications[i];
        let from = v.assignee.as_ref().map(|a| a.as_str().to_owned());
        v.assignee = Some(officer.clone());
        v.updated_at = t;
        self.touch(t);
        self.verification_event(i, &assigner, "case.assign", None, json!({"from": from, "to": officer.as_str()}), t);
        Some(())
    }

    fn note(&mut self, i: usize, by: Duration) -> Option<()> {
        let t = self.after(by)?;
        let author = self.verifications[i].assignee.clone().unwrap_or_else(|| self.w.officer());
        let note = Note {
            id: NoteId::from_uuid(self.w.ids.at(t)),
            verification_id: self.verifications[i].id,
            author: author.clone(),
            text: text(self.w.pick::<&str>(NOTE_TEXTS)),
            created_at: t,
        };
        let summary = json!({"note_id": note.id.to_string()});
        self.notes.push(note);
        self.verifications[i].updated_at = t;
        self.touch(t);
        self.verification_event(i, &author, "case.add_note", None, summary, t);
        Some(())
    }

    /// Snoozes an open case for a while; returns how long until it wakes.
    fn snooze(&mut self, i: usize) -> Option<Duration> {
        let t = self.wait(minutes(10), days(1))?;
        if !self.verifications[i].state.in_progress() {
            return None;
        }
        let for_days = i64::from(self.w.num(2, 21));
        let until = t.date() + days(for_days);
        let actor = self.verifications[i].assignee.clone().unwrap_or_else(|| self.w.officer());
        let v = &mut self.verifications[i];
        v.snoozed_until = Some(until);
        v.updated_at = t;
        self.touch(t);
        let reason = Some(text("waiting for the customer's documents"));
        self.verification_event(i, &actor, "case.snooze", reason, json!({"until": format_date(until)}), t);
        Some(days(for_days))
    }

    fn add_evidence(&mut self, i: usize, item: &str, by: Duration) -> Option<()> {
        let t = self.after(by)?;
        if !self.verifications[i].state.in_progress() {
            return None;
        }
        let officer = self.verifications[i].assignee.clone().unwrap_or_else(|| self.w.officer());
        let evidence = Evidence {
            id: EvidenceId::from_uuid(self.w.ids.at(t)),
            verification_id: self.verifications[i].id,
            item: item.to_owned(),
            reference: text(&format!("evidence/{}/{item}.pdf", self.c.ref_id)),
            description: self.w.chance(0.3).then(|| text("copy certified by the officer")),
            added_by: officer.clone(),
            added_at: t,
        };
        let summary = json!({"evidence_id": evidence.id.to_string(), "item": item});
        self.evidence.push(evidence);
        self.verifications[i].updated_at = t;
        self.touch(t);
        self.verification_event(i, &officer, "edd.add_evidence", None, summary, t);
        Some(())
    }

    fn checks(&self, method: VerificationMethod, outcome: Outcome, codes: &[FailureCodeValue]) -> Vec<ComplianceCheck> {
        let check = |check_type, ok: bool| ComplianceCheck {
            check_type,
            outcome: if ok { CheckOutcome::Passed } else { CheckOutcome::Failed },
            failure_codes: if ok { Vec::new() } else { codes.to_vec() },
        };
        let passed = outcome == Outcome::Passed;
        match method {
            VerificationMethod::IdAndSelfie
            | VerificationMethod::DocumentSubmission
            | VerificationMethod::TaxIdAndSelfie => {
                vec![
                    check(ComplianceType::PersonGovIdVerification, passed),
                    check(ComplianceType::PersonWatchlists, true),
                ]
            }
            VerificationMethod::BusinessRegistration => {
                vec![
                    check(ComplianceType::BusinessVerification, passed),
                    check(ComplianceType::BusinessWatchlists, true),
                ]
            }
            VerificationMethod::AccountOwnership => {
                vec![check(ComplianceType::ExternalBankAccountVerification, passed)]
            }
            _ => Vec::new(),
        }
    }

    fn kyc_method(&mut self) -> VerificationMethod {
        use VerificationMethod as M;
        match self.c.kind() {
            CustomerKind::Individual => {
                [M::IdAndSelfie, M::DocumentSubmission, M::AttestedIdAndSelfie, M::Database, M::TaxIdAndSelfie]
                    [self.w.weighted(&[55, 15, 10, 10, 10])]
            }
            CustomerKind::Business => {
                if self.w.chance(0.6) {
                    M::BusinessRegistration
                } else {
                    M::AttestedBusinessRegistration
                }
            }
        }
    }

    /// Creates a verification and walks it to completion with `outcome` (a provider's result,
    /// or an officer's decision after review). `None` when the clock stopped it on the way.
    fn walk(
        &mut self,
        vtype: VerificationType,
        method: VerificationMethod,
        outcome: Outcome,
        codes: Vec<FailureCodeValue>,
        start: Duration,
    ) -> Option<usize> {
        let staff = self.staff.clone();
        let sync = self.w.sync.clone();
        let i = self.create_verification(vtype, method, &staff, start)?;
        let checks = self.checks(method, outcome, &codes);
        if method.is_non_interactive() {
            // Attestations are the firm's own; database and watchlist results come from the provider.
            let actor = if matches!(method, VerificationMethod::Database | VerificationMethod::Watchlists) {
                sync
            } else {
                staff
            };
            let by = self.w.between(Duration::seconds(3), minutes(2));
            self.advance(i, VerificationStep::Complete { outcome, failure_codes: codes }, checks, &actor, by)?;
            return Some(i);
        }
        let by = Duration::seconds(i64::from(self.w.num(2, 30)));
        self.advance(i, VerificationStep::Wait, Vec::new(), &sync, by)?;
        // The customer starts within the deadline, mostly.
        let window = self.w.policy.deadline(method).map_or(days(2), |d| (d * 0.8_f64).min(days(2)));
        let by = self.w.between(minutes(1).min(window), window);
        self.advance(i, VerificationStep::Start, Vec::new(), &sync, by)?;
        if self.w.chance(0.2) {
            let by = self.w.between(Duration::seconds(10), minutes(5));
            self.advance(i, VerificationStep::Review, Vec::new(), &sync, by)?;
            if self.w.chance(0.6) {
                let by = self.w.between(minutes(5), hours(8));
                self.assign(i, by)?;
            }
            if self.recent() && self.w.chance(0.3) {
                // Part of the review backlog: not decided yet.
                return None;
            }
            let reason =
                if outcome == Outcome::Passed { self.w.pick(KYC_PASS_REASONS) } else { self.w.pick(KYC_FAIL_REASONS) };
            let by = self.w.between(hours(1), days(3));
            self.decide(i, outcome, codes, reason, by)?;
        } else {
            let by = self.w.between(Duration::seconds(20), minutes(10));
            self.advance(i, VerificationStep::Complete { outcome, failure_codes: codes }, checks, &sync, by)?;
        }
        Some(i)
    }

    fn codes(&mut self, from: &[FailureCode]) -> Vec<FailureCodeValue> {
        let first = *self.w.pick(from);
        let mut codes = vec![FailureCodeValue::Known(first)];
        if self.w.chance(0.3) {
            let second = *self.w.pick(from);
            if second != first {
                codes.push(FailureCodeValue::Known(second));
            }
        }
        codes
    }

    /// The KYC journey: sometimes an attempt that expired or failed softly first, then the
    /// attempt that ends with `outcome`.
    fn kyc(&mut self, outcome: Outcome, codes: Vec<FailureCodeValue>) -> Option<usize> {
        let method = self.kyc_method();
        let mut start = self.w.between(minutes(2), days(1));
        if self.w.chance(0.05) && self.w.policy.deadline(method).is_some() && !method.is_non_interactive() {
            // The customer never finished: the tick expires it before the next attempt.
            let staff = self.staff.clone();
            let sync = self.w.sync.clone();
            let i = self.create_verification(VerificationType::Kyc, method, &staff, start)?;
            self.advance(i, VerificationStep::Wait, Vec::new(), &sync, Duration::seconds(5))?;
            let deadline = self.verifications[i].expires_at.unwrap_or(self.clock);
            start = (deadline - self.clock) + self.w.between(hours(2), days(4));
        } else if self.w.chance(0.04) {
            let soft = self.codes(KYC_SOFT_FAILURES);
            self.walk(VerificationType::Kyc, method, Outcome::Failed, soft, start)?;
            start = self.w.between(hours(2), days(5));
        }
        self.walk(VerificationType::Kyc, method, outcome, codes, start)
    }

    // -- stories ------------------------------------------------------------------------------

    fn run(&mut self, plan: Plan) {
        match plan {
            Plan::Active | Plan::Verified | Plan::Closed => self.onboarding(plan),
            Plan::Rejected => self.rejected(),
            Plan::Withdrawn => self.withdrawn(),
            Plan::Pending(kind) => self.pending(kind),
        };
    }

    /// Within the last four months: old enough cases would have been worked off.
    fn recent(&self) -> bool {
        self.w.now - self.clock < days(120)
    }

    fn full_possible(&self) -> bool {
        verify_gate(&self.c, VerificationLevel::Full, self.clock.date())
            .iter()
            .all(|r| *r != GateReason::FullKycRequiresTaxIdOrPhysicalId)
    }

    fn onboarding(&mut self, plan: Plan) -> Option<()> {
        self.verify_contacts()?;
        self.kyc(Outcome::Passed, Vec::new())?;
        if self.c.state == CustomerState::Pending {
            let level = if self.full_possible() && self.w.chance(0.85) {
                VerificationLevel::Full
            } else {
                VerificationLevel::Partial
            };
            self.verify(level, minutes(5), days(2))?;
        }
        if plan == Plan::Active || (plan == Plan::Closed && self.w.chance(0.85)) {
            self.activate()?;
        }
        let onboarded = self.clock;
        let now = self.w.now;
        // Independent processes, each started at its own time; they run one after another in
        // the order of their start times.
        let mut later: Vec<(OffsetDateTime, Later)> = Vec::new();
        let edd_needed = self.rating == RiskRating::High || self.c.politically_exposed;
        if edd_needed || self.w.chance(0.015) {
            later.push((onboarded + self.w.between(hours(1), days(10)), Later::Edd));
        }
        let active = matches!(self.c.state, CustomerState::Active { .. });
        if active && self.w.chance(0.25) {
            later.push((onboarded + self.w.between(days(1), days(120)), Later::BankAccount));
        }
        if active {
            for (control, p) in
                [(ControlType::Dormant, 0.03), (ControlType::Frozen, 0.006), (ControlType::Denied, 0.004)]
            {
                if self.w.chance(p) {
                    later.push((onboarded + self.w.between(days(60), days(900)), Later::Control(control)));
                }
            }
        }
        if let Some(start) = self.refresh_start() {
            later.push((start, Later::Refresh));
        }
        let close_at = (plan == Plan::Closed).then(|| {
            let span = (now - onboarded).max(days(1));
            onboarded + self.w.between(days(1).min(span), span)
        });
        let end = close_at.unwrap_or(now);
        let mut edd_failed = false;
        while let Some(next) = (0..later.len()).min_by_key(|i| later[*i].0) {
            let (start, process) = later.swap_remove(next);
            if start >= end || self.clock >= now {
                break;
            }
            let by = (start - self.clock).max(minutes(1));
            match process {
                Later::Edd => edd_failed = self.edd(by) == Some(true),
                Later::BankAccount => {
                    self.bank_account(by);
                }
                Later::Control(kind) => {
                    self.add_control(kind, by);
                }
                Later::Refresh => {
                    // Most refreshes are done around the due date; the rest are overdue and
                    // wait in the "refresh due" queue.
                    if self.w.chance(0.8)
                        && self.refresh(by) == Some(Outcome::Passed)
                        && let Some(start) = self.refresh_start()
                    {
                        later.push((start, Later::Refresh));
                    }
                }
            }
        }
        if let Some(close_at) = close_at {
            let reason = self.w.pick(CLOSE_REASONS);
            let actor = self.w.staff();
            self.lifecycle(CustomerAction::Close, reason, &actor, (close_at - self.clock).max(minutes(5)))?;
        } else if edd_failed && self.w.chance(0.6) {
            let actor = self.w.officer();
            let by = self.w.between(days(1), days(20));
            self.lifecycle(CustomerAction::Close, EDD_FAILED_CLOSE_REASON, &actor, by)?;
        }
        Some(())
    }

    /// An EDD case from opening to decision; `Some(true)` when it failed.
    fn edd(&mut self, by: Duration) -> Option<bool> {
        let opener = self.w.officer();
        let i =
            self.create_verification(VerificationType::Kyc, VerificationMethod::EnhancedDueDiligence, &opener, by)?;
        if self.w.chance(0.85) {
            let by = self.w.between(minutes(5), days(1));
            self.assign(i, by)?;
        }
        let checklist = self.verifications[i].checklist.clone();
        let fails = self.w.chance(0.08);
        for (n, item) in checklist.iter().enumerate() {
            if n == 1 && self.w.chance(0.35) {
                let by = self.w.between(hours(1), days(2));
                self.note(i, by)?;
            }
            if fails && n + 1 == checklist.len() && self.w.chance(0.5) {
                break;
            }
            let by = self.w.between(hours(2), days(3));
            self.add_evidence(i, item, by)?;
        }
        let officer = self.w.officer();
        let sync_steps = self.w.weighted(&[55, 10, 10, 25]);
        for step in
            [VerificationStep::Wait, VerificationStep::Start, VerificationStep::Review].into_iter().take(sync_steps)
        {
            let by = self.w.between(minutes(10), days(1));
            self.advance(i, step, Vec::new(), &officer, by)?;
        }
        let mut by = self.w.between(hours(2), days(4));
        if self.w.chance(0.08) {
            by += self.snooze(i)?;
        }
        if self.recent() && self.w.chance(0.3) {
            // Part of the EDD backlog: waiting for the customer or for a second opinion.
            return None;
        }
        if fails {
            let codes = self.codes(EDD_FAILURES);
            let reason = self.w.pick(DECIDE_FAIL_REASONS);
            self.decide(i, Outcome::Failed, codes, reason, by)?;
        } else {
            let reason = self.w.pick(DECIDE_PASS_REASONS);
            self.decide(i, Outcome::Passed, Vec::new(), reason, by)?;
        }
        Some(fails)
    }

    fn bank_account(&mut self, by: Duration) -> Option<()> {
        let passed = self.w.chance(0.95);
        let (outcome, codes) =
            if passed { (Outcome::Passed, Vec::new()) } else { (Outcome::Failed, self.codes(BANK_FAILURES)) };
        self.walk(VerificationType::BankAccount, VerificationMethod::AccountOwnership, outcome, codes, by).map(|_| ())
    }

    /// When the next periodic KYC refresh starts: some weeks before it falls due.
    fn refresh_start(&mut self) -> Option<OffsetDateTime> {
        let from = self.c.last_kyc_refresh_date.or(self.verified_on)?;
        let due = refresh_due(from, self.rating, &self.w.policy)?;
        let due = due.midnight().assume_utc() + hours(14);
        Some(due - self.w.between(Duration::ZERO, days(45)))
    }

    /// One periodic KYC refresh: a database check or an attestation, nearly always passed.
    fn refresh(&mut self, by: Duration) -> Option<Outcome> {
        if !matches!(self.c.state, CustomerState::Verified { .. } | CustomerState::Active { .. }) {
            return None;
        }
        let method = if self.c.kind() == CustomerKind::Business {
            VerificationMethod::AttestedBusinessRegistration
        } else if self.w.chance(0.7) {
            VerificationMethod::Database
        } else {
            VerificationMethod::AttestedIdAndDatabase
        };
        let (outcome, codes) = if self.w.chance(0.99) {
            (Outcome::Passed, Vec::new())
        } else {
            (Outcome::Failed, vec![FailureCodeValue::Known(FailureCode::DatabaseCheckFailure)])
        };
        let i = self.walk(VerificationType::Kyc, method, outcome, codes, by)?;
        self.verifications[i].state.outcome()
    }

    fn rejected(&mut self) -> Option<()> {
        if self.rating == RiskRating::Prohibited {
            self.verify_contact(ContactKind::Email);
            let reason = *self.w.pick(PROHIBITED_REJECT_REASONS);
            let officer = self.w.officer();
            let by = self.w.between(hours(1), days(5));
            return self.lifecycle(CustomerAction::Reject, reason, &officer, by);
        }
        self.verify_contacts();
        if self.w.chance(0.55) && self.c.state == CustomerState::Pending {
            // The provider's or the officer's failed ID check rejects the customer.
            let codes = self.codes(KYC_ID_FAILURES);
            self.kyc(Outcome::Failed, codes)?;
            return Some(());
        }
        let reason = *self.w.pick(REJECT_REASONS);
        let staff = self.w.staff();
        let by = self.w.between(hours(1), days(10));
        self.lifecycle(CustomerAction::Reject, reason, &staff, by)
    }

    fn withdrawn(&mut self) -> Option<()> {
        if self.w.chance(0.6) {
            self.verify_contact(ContactKind::Email);
        }
        if self.w.chance(0.4) {
            let staff = self.staff.clone();
            let sync = self.w.sync.clone();
            let method = self.kyc_method();
            if !method.is_non_interactive() {
                let by = self.w.between(minutes(5), days(1));
                let i = self.create_verification(VerificationType::Kyc, method, &staff, by)?;
                self.advance(i, VerificationStep::Wait, Vec::new(), &sync, Duration::seconds(5))?;
            }
        }
        let reason = *self.w.pick(WITHDRAW_REASONS);
        let staff = self.w.staff();
        let by = self.w.between(days(1), days(45));
        self.lifecycle(CustomerAction::Withdraw, reason, &staff, by)
    }

    fn pending(&mut self, kind: PendingKind) -> Option<()> {
        match kind {
            PendingKind::Incomplete => {
                if self.w.chance(0.6) {
                    self.verify_contact(ContactKind::Email)?;
                }
                if self.w.chance(0.3) {
                    self.verify_contact(ContactKind::Mobile)?;
                }
                Some(())
            }
            PendingKind::AwaitingVerify => {
                self.verify_contacts()?;
                self.kyc(Outcome::Passed, Vec::new()).map(|_| ())
            }
            PendingKind::FailedRetry => {
                self.verify_contacts()?;
                let codes = self.codes(KYC_SOFT_FAILURES);
                self.kyc(Outcome::Failed, codes).map(|_| ())
            }
            PendingKind::InFlight => {
                self.verify_contacts()?;
                self.in_flight()
            }
        }
    }

    /// A KYC verification left open in one of the unfinished states.
    fn in_flight(&mut self) -> Option<()> {
        use VerificationMethod as M;
        let business = self.c.kind() == CustomerKind::Business;
        // Business methods have a deadline: a business waits in storing or in review.
        let target = if business { 3 * self.w.weighted(&[40, 60]) } else { self.w.weighted(&[20, 25, 25, 30]) };
        let method = match (self.c.kind(), target) {
            (CustomerKind::Business, _) => M::BusinessRegistration,
            // Methods with no deadline stay waiting or pending until the customer acts.
            (CustomerKind::Individual, 1 | 2) if self.w.chance(0.6) => M::TaxIdAndSelfie,
            _ => self.kyc_method(),
        };
        let method = if method.is_non_interactive() { M::IdAndSelfie } else { method };
        let staff = self.staff.clone();
        let sync = self.w.sync.clone();
        let by = self.w.between(minutes(2), days(1));
        let i = self.create_verification(VerificationType::Kyc, method, &staff, by)?;
        let steps = [VerificationStep::Wait, VerificationStep::Start, VerificationStep::Review];
        for step in steps.into_iter().take(target) {
            let by = match step {
                VerificationStep::Start => {
                    let window = self.w.policy.deadline(method).map_or(days(2), |d| (d * 0.8_f64).min(days(2)));
                    self.w.between(minutes(1).min(window), window)
                }
                _ => self.w.between(Duration::seconds(2), minutes(5)),
            };
            self.advance(i, step, Vec::new(), &sync, by)?;
        }
        if target == 3 {
            if self.w.chance(0.7) {
                let by = self.w.between(minutes(5), hours(8));
                self.assign(i, by)?;
            }
            if self.w.chance(0.3) {
                let by = self.w.between(hours(1), days(2));
                self.note(i, by)?;
            }
            if self.w.chance(0.1) {
                self.snooze(i)?;
            }
        }
        Some(())
    }
}
