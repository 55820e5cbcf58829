//! KYC and EDD use cases: identity verifications and their state machine, EDD cases with their
//! checklist and evidence, officers' decisions, notes, assignment and snoozing, Qolo's perform-KYC
//! actions, identity status, risk, work queues and the time-driven tick.

use dossier_core::*;
use dossier_store::{QueueCursor, QueueFilter, QueueSort, Tx, VerificationFilter};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::approvals::{Held, Submitted};
use crate::convert::{Fields, timestamp};
use crate::customers::{cut_page, load, page_limit, parse_customer_id};
use crate::derived::assess_customer;
use crate::dto::*;
use crate::error::{Error, Problem, Reason, Result};
use crate::{Dossier, Env, policy};

fn bad(field: &str, code: &str, message: String) -> Error {
    Error::invalid_input(vec![Reason::field(field, code, message)])
}

fn parse_verification_id(raw: &str) -> Result<VerificationId> {
    VerificationId::parse(raw)
        .map_err(|_| bad("id", "invalid_id", "id is not a verification id: expected a UUID".into()))
}

fn load_verification(tx: &Tx<'_>, id: VerificationId) -> Result<Verification> {
    tx.verification(id)?.ok_or_else(|| Error::not_found("verification"))
}

fn rule(code: &str, message: impl Into<String>, reasons: Vec<Reason>) -> Error {
    let message = message.into();
    let reasons = if reasons.is_empty() { vec![Reason::new(code, message.clone())] } else { reasons };
    Error::Rule(Problem::new(code, message).with_reasons(reasons))
}

fn codes(f: &mut Fields, field: &str, raw: &[String]) -> Vec<FailureCodeValue> {
    raw.iter().enumerate().filter_map(|(i, c)| f.val(&format!("{field}[{i}]"), FailureCodeValue::parse(c))).collect()
}

fn code_strings(codes: &[FailureCodeValue]) -> Vec<String> {
    codes.iter().map(|c| c.as_str().to_owned()).collect()
}

fn case_type(v: &Verification) -> CaseType {
    match (v.is_edd(), v.verification_type) {
        (true, _) => CaseType::Edd,
        (false, VerificationType::Kyc) => CaseType::Kyc,
        (false, VerificationType::BankAccount) => CaseType::BankAccount,
        (false, VerificationType::Counterparty) => CaseType::Counterparty,
    }
}

pub(crate) fn limits_view(c: &Customer, d: &dossier_store::Derived, policy: &Policy) -> Option<LimitsView> {
    let level = c.state.level()?;
    let tier = match (d.edd_status, level) {
        (EddStatus::Passed, _) => LimitTier::Edd,
        (_, VerificationLevel::Full) => LimitTier::Full,
        (_, VerificationLevel::Partial) => LimitTier::Partial,
    };
    Some(LimitsView {
        tier: tier.as_str(),
        limits: policy
            .limits(tier)
            .iter()
            .map(|l| ActivityLimitView {
                activity: l.activity.clone(),
                amount: l.amount.to_string(),
                currency: l.currency.clone(),
                interval: l.interval.as_str(),
            })
            .collect(),
    })
}

/// An open case past its SLA due time at `now`.
pub(crate) fn sla_breached(v: &Verification, now: OffsetDateTime) -> bool {
    v.state.in_progress() && v.sla_due_at.is_some_and(|due| due < now)
}

fn decision_view(d: &Decision) -> DecisionView {
    DecisionView {
        id: d.id.to_string(),
        verification_id: d.verification_id.map(|v| v.to_string()),
        kind: d.kind.as_str(),
        outcome: d.outcome.as_str(),
        reason: d.reason.to_string(),
        failure_codes: code_strings(&d.failure_codes),
        evidence: d.evidence.iter().map(|e| e.to_string()).collect(),
        decided_by: d.decided_by.as_str().to_owned(),
        decided_at: timestamp(d.decided_at),
    }
}

impl Env {
    fn verification_view(&self, tx: &Tx<'_>, v: &Verification) -> Result<VerificationView> {
        let now = self.clock.now();
        let checklist = if v.is_edd() {
            let evidence = tx.evidence_of(v.id)?;
            Some(
                v.checklist
                    .iter()
                    .map(|item| {
                        let mine: Vec<EvidenceView> = evidence
                            .iter()
                            .filter(|e| &e.item == item)
                            .map(|e| EvidenceView {
                                id: e.id.to_string(),
                                reference: e.reference.to_string(),
                                description: e.description.as_ref().map(|d| d.to_string()),
                                added_by: e.added_by.as_str().to_owned(),
                                added_at: timestamp(e.added_at),
                            })
                            .collect();
                        ChecklistItemView { item: item.clone(), satisfied: !mine.is_empty(), evidence: mine }
                    })
                    .collect(),
            )
        } else {
            None
        };
        let decisions = tx
            .decisions_of(v.customer_id)?
            .iter()
            .filter(|d| d.verification_id == Some(v.id))
            .map(decision_view)
            .collect();
        let notes = tx
            .notes_of(v.id)?
            .into_iter()
            .map(|n| NoteView {
                id: n.id.to_string(),
                author: n.author.as_str().to_owned(),
                text: n.text.to_string(),
                created_at: timestamp(n.created_at),
            })
            .collect();
        Ok(VerificationView {
            id: v.id.to_string(),
            customer_id: v.customer_id.to_string(),
            verification_type: v.verification_type.as_str(),
            method: v.method.as_str(),
            state: v.state.name(),
            outcome: v.state.outcome().map(Outcome::as_str),
            failure_codes: code_strings(v.state.failure_codes()),
            compliance_checks: v
                .compliance_checks
                .iter()
                .map(|c| ComplianceCheckView {
                    check_type: c.check_type.as_str(),
                    outcome: c.outcome.as_str(),
                    failure_codes: code_strings(&c.failure_codes),
                })
                .collect(),
            compliance_decisions: v
                .compliance_decisions
                .iter()
                .map(|d| ComplianceDecisionView {
                    decision_type: d.decision_type.as_str(),
                    state: d.state.as_str(),
                    failure_codes: code_strings(&d.failure_codes),
                    expired_at: d.expired_at.map(timestamp),
                })
                .collect(),
            external_reference: v.external_reference.as_ref().map(|r| r.to_string()),
            expires_at: v.expires_at.map(timestamp),
            completed_at: match &v.state {
                VerificationState::Completed { completed_at, .. } => Some(timestamp(*completed_at)),
                _ => None,
            },
            created_at: timestamp(v.created_at),
            updated_at: timestamp(v.updated_at),
            assignee: v.assignee.as_ref().map(|a| a.as_str().to_owned()),
            sla_due_at: v.sla_due_at.map(timestamp),
            sla_breached: sla_breached(v, now),
            snoozed_until: v.snoozed_until.map(format_date),
            checklist,
            notes,
            decisions,
            pending_approvals: self.pending_approvals(tx, None, Some(*v.id.as_uuid()))?,
        })
    }

    fn audit_verification(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        action: &'static str,
        v: &Verification,
        reason: Option<Text>,
        mut summary: Value,
    ) -> Result<()> {
        summary["verification_id"] = json!(v.id.to_string());
        summary["method"] = json!(v.method.as_str());
        self.audit(tx, actor, action, v.customer_id, reason, summary)
    }

    /// The compliance decision a completed verification yields, and what it does to the customer:
    /// a passed KYC may verify a pending customer (per policy); a failed government-ID or selfie
    /// check rejects a pending one.
    pub(crate) fn after_completion(
        &self,
        tx: &Tx<'_>,
        policy: &Policy,
        actor: &Actor,
        v: &mut Verification,
    ) -> Result<Value> {
        let (Some(outcome), codes) = (v.state.outcome(), v.state.failure_codes().to_vec()) else {
            return Ok(json!({}));
        };
        let customer = load(tx, v.customer_id)?;
        let today = self.today();
        let mut effects = json!({});
        if let Some(decision_type) = v.method.decision_type() {
            v.compliance_decisions.push(ComplianceDecision::recorded(
                decision_type,
                outcome,
                codes.clone(),
                &customer,
                today,
            ));
        }
        if v.verification_type != VerificationType::Kyc || v.is_edd() {
            return Ok(effects);
        }
        let now = self.clock.now();
        match outcome {
            Outcome::Passed => {
                tx.set_last_kyc_refresh_date(customer.id, today)?;
                let level = policy.on_kyc_passed.verify_level();
                if let (Some(level), CustomerState::Pending) = (level, customer.state) {
                    let missing = verify_gate(&customer, level, today);
                    if missing.is_empty() {
                        let next = customer.state.apply(CustomerAction::Verify(level))?;
                        tx.set_customer_state(customer.id, next, now)?;
                        let payload = crate::sync::verify_payload(&customer, level);
                        crate::sync::enqueue(self, tx, Operation::CustomerVerify, customer.id, None, payload)?;
                        let reason = Text::parse("a kyc verification passed (policy)", 100).ok();
                        let summary = json!({"from": "pending", "to": next.name(), "level": level.as_str(),
                            "verification_id": v.id.to_string()});
                        self.audit(tx, actor, "customer.verify", customer.id, reason, summary)?;
                        effects["customer_verified"] = json!(level.as_str());
                    } else {
                        effects["customer_verified"] = json!(false);
                        effects["gate_missing"] = json!(missing.iter().map(|r| r.code()).collect::<Vec<_>>());
                    }
                }
            }
            Outcome::Failed => {
                if customer.state == CustomerState::Pending && codes.iter().any(FailureCodeValue::is_id_or_selfie) {
                    let next = customer.state.apply(CustomerAction::Reject)?;
                    tx.set_customer_state(customer.id, next, now)?;
                    let reason = Text::parse("government ID or selfie check failed", 100).ok();
                    let summary = json!({"from": "pending", "to": "rejected", "verification_id": v.id.to_string()});
                    self.audit(tx, actor, "customer.reject", customer.id, reason, summary)?;
                    effects["customer_rejected"] = json!(true);
                }
            }
        }
        Ok(effects)
    }

    fn new_verification(
        &self,
        policy: &Policy,
        customer: CustomerId,
        verification_type: VerificationType,
        method: VerificationMethod,
        external_reference: Option<Text>,
    ) -> Verification {
        let now = self.clock.now();
        let mut v = Verification {
            id: VerificationId::from_uuid(self.ids.next_id()),
            customer_id: customer,
            verification_type,
            method,
            state: VerificationState::Storing,
            compliance_checks: Vec::new(),
            compliance_decisions: Vec::new(),
            external_reference,
            expires_at: policy.deadline(method).map(|d| now + d),
            assignee: None,
            sla_due_at: None,
            snoozed_until: None,
            checklist: if method == VerificationMethod::EnhancedDueDiligence {
                policy.edd_checklist.clone()
            } else {
                Vec::new()
            },
            created_at: now,
            updated_at: now,
        };
        v.sla_due_at = policy.sla_for(case_type(&v)).map(|d| now + d);
        v
    }
}

/// The checked fields of a decision.
pub(crate) fn parse_decision(input: &DecideInput) -> Result<(Outcome, Text, Vec<FailureCodeValue>)> {
    let mut f = Fields::default();
    let outcome = f.req("outcome", &input.outcome, Outcome::parse);
    let reason = f.req("reason", &input.reason, |s| Text::parse(s, 1000));
    let failure_codes = codes(&mut f, "failure_codes", &input.failure_codes);
    f.finish()?;
    let (Some(outcome), Some(reason)) = (outcome, reason) else { return Err(crate::customers::internal()) };
    Ok((outcome, reason, failure_codes))
}

impl Env {
    /// Runs `change` on one verification in the caller's transaction, stores it, refreshes the
    /// customer's derived values, and returns the verification as stored.
    pub(crate) fn change_verification(
        &self,
        tx: &Tx<'_>,
        id: VerificationId,
        change: impl FnOnce(&Env, &Tx<'_>, &Policy, &mut Verification) -> Result<()>,
    ) -> Result<VerificationView> {
        let policy = policy::load(tx)?;
        let mut v = load_verification(tx, id)?;
        change(self, tx, &policy, &mut v)?;
        v.updated_at = self.clock.now();
        tx.update_verification(&v)?;
        tx.touch_customer(v.customer_id, self.clock.now())?;
        self.refresh_derived(tx, &policy, v.customer_id)?;
        self.verification_view(tx, &load_verification(tx, id)?)
    }

    /// A decision on a verification in the caller's transaction (see
    /// [`Dossier::decide_verification`]). Passing an EDD case needs evidence for every item.
    pub(crate) fn decide(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        id: VerificationId,
        outcome: Outcome,
        reason: Text,
        failure_codes: Vec<FailureCodeValue>,
    ) -> Result<VerificationView> {
        self.change_verification(tx, id, |env, tx, policy, v| {
            let evidence = tx.evidence_of(v.id)?;
            if v.is_edd() && outcome == Outcome::Passed {
                let missing = missing_evidence(&v.checklist, &evidence);
                if !missing.is_empty() {
                    let reasons = missing
                        .iter()
                        .map(|item| Reason::new("edd_evidence_missing", format!("no evidence for {item}: attach it first")))
                        .collect();
                    return Err(rule(
                        "edd_evidence_missing",
                        format!("cannot pass the EDD case: evidence missing for {}", missing.join(", ")),
                        reasons,
                    ));
                }
            }
            let from = v.state.name();
            let step = VerificationStep::Decide { outcome, failure_codes: failure_codes.clone() };
            v.state = v.apply(step, env.clock.now()).map_err(|e| rule(e.code(), e.to_string(), vec![]))?;
            let effects = env.after_completion(tx, policy, actor, v)?;
            let decision = Decision {
                id: DecisionId::from_uuid(env.ids.next_id()),
                customer_id: v.customer_id,
                verification_id: Some(v.id),
                kind: if v.is_edd() { DecisionKind::Edd } else { DecisionKind::Verification },
                outcome,
                reason: reason.clone(),
                failure_codes: failure_codes.clone(),
                evidence: evidence.iter().map(|e| e.id).collect(),
                decided_by: actor.name().clone(),
                decided_at: env.clock.now(),
            };
            tx.insert_decision(&decision)?;
            let action = if v.is_edd() { "edd.decide" } else { "verification.decide" };
            let summary = json!({"from": from, "outcome": outcome.as_str(), "failure_codes": code_strings(&failure_codes),
                "decision_id": decision.id.to_string(), "evidence": decision.evidence.len(), "effects": effects});
            env.audit_verification(tx, actor, action, v, Some(reason), summary)
        })
    }
}

/// Cybrid's EDD preconditions, in its order: the customer must be verified (422), and no EDD
/// case may be in progress (409).
fn check_edd_allowed(tx: &Tx<'_>, customer: &Customer) -> Result<()> {
    if !matches!(customer.state, CustomerState::Verified { .. } | CustomerState::Active { .. }) {
        let message = "Customer has not been verified";
        return Err(Error::Unprocessable(
            Problem::new("unverified_customer", message)
                .with_reasons(vec![Reason::new("unverified_customer", message)]),
        ));
    }
    if tx.verifications_of(customer.id)?.iter().any(|v| v.is_edd() && v.state.in_progress()) {
        let message = "Identity verification in progress already exists";
        return Err(Error::Conflict(
            Problem::new("data_exists", message).with_reasons(vec![Reason::new("data_exists", message)]),
        ));
    }
    Ok(())
}

impl Dossier {
    /// Creates an identity verification in state `storing`. Method `enhanced_due_diligence`
    /// follows the EDD rules (see [`Dossier::open_edd`]).
    pub fn create_verification(&mut self, actor: &Actor, input: &CreateVerificationInput) -> Result<VerificationView> {
        // Opening an EDD case is case work; other verifications are part of verifying.
        let edd = input.method.as_deref().map(str::trim) == Some(VerificationMethod::EnhancedDueDiligence.as_str());
        actor.require(if edd { Permission::Review } else { Permission::Verify })?;
        let mut f = Fields::default();
        let customer_id = f.req("customer_id", &input.customer_id, |s| {
            CustomerId::parse(s).map_err(|_| ValueError::UnknownValue { allowed: "a customer id" })
        });
        let vtype = f.req("type", &input.verification_type, VerificationType::parse);
        let method = f.req("method", &input.method, VerificationMethod::parse);
        let reference = f.opt("external_reference", &input.external_reference, |s| Text::parse(s, 200));
        if method == Some(VerificationMethod::EnhancedDueDiligence) && vtype.is_some_and(|t| t != VerificationType::Kyc)
        {
            f.push(Reason::field("type", "invalid_value", "enhanced_due_diligence is a method of type kyc"));
        }
        f.finish()?;
        let (Some(customer_id), Some(vtype), Some(method), Ok(reference)) = (customer_id, vtype, method, reference)
        else {
            return Err(crate::customers::internal());
        };
        self.write(|env, tx| {
            let policy = policy::load(tx)?;
            let customer = load(tx, customer_id)?;
            if method == VerificationMethod::EnhancedDueDiligence {
                check_edd_allowed(tx, &customer)?;
            }
            let v = env.new_verification(&policy, customer_id, vtype, method, reference);
            tx.insert_verification(&v)?;
            crate::sync::enqueue(
                env,
                tx,
                Operation::VerificationCreate,
                customer_id,
                Some(*v.id.as_uuid()),
                crate::sync::verification_payload(&v),
            )?;
            let action = if v.is_edd() { "edd.open" } else { "verification.create" };
            env.audit_verification(tx, actor, action, &v, None, json!({"type": vtype.as_str(), "state": "storing"}))?;
            // The customer itself is as loaded: only its verifications changed.
            env.refresh_derived_of(tx, &policy, &customer)?;
            env.verification_view(tx, &v)
        })
    }

    /// Opens an EDD case for a verified customer: 422 `unverified_customer` when it is not
    /// verified, 409 `data_exists` while another EDD case is in progress.
    pub fn open_edd(&mut self, actor: &Actor, customer_id: &str) -> Result<VerificationView> {
        actor.require(Permission::Review)?;
        parse_customer_id(customer_id)?;
        let input = CreateVerificationInput {
            customer_id: Some(customer_id.to_owned()),
            verification_type: Some("kyc".into()),
            method: Some("enhanced_due_diligence".into()),
            external_reference: None,
        };
        self.create_verification(actor, &input)
    }

    pub fn verification(&self, actor: &Actor, id: &str) -> Result<VerificationView> {
        actor.require(Permission::Read)?;
        let id = parse_verification_id(id)?;
        self.read(|env, tx| env.verification_view(tx, &load_verification(tx, id)?))
    }

    pub fn list_verifications(&self, actor: &Actor, q: &VerificationQuery) -> Result<Page<VerificationView>> {
        actor.require(Permission::Read)?;
        let (filter, after) = verification_filter(q)?;
        let limit = page_limit(q.limit)?;
        self.read(|env, tx| {
            let rows = tx.list_verifications(&filter, after, limit + 1)?;
            let page = cut_page(rows, limit, |v| v.id.to_string(), |v| v);
            let items = page.items.iter().map(|v| env.verification_view(tx, v)).collect::<Result<Vec<_>>>()?;
            Ok(Page { items, next: page.next })
        })
    }

    /// Runs `change` on one verification in a write transaction, stores it, refreshes the
    /// customer's derived values, and returns the verification as stored.
    fn change_verification(
        &mut self,
        id: &str,
        change: impl FnOnce(&Env, &Tx<'_>, &Policy, &mut Verification) -> Result<()>,
    ) -> Result<VerificationView> {
        let id = parse_verification_id(id)?;
        self.write(|env, tx| env.change_verification(tx, id, change))
    }

    /// Moves a verification along its state machine (the provider's or process's steps).
    pub fn advance_verification(
        &mut self,
        actor: &Actor,
        id: &str,
        input: &AdvanceVerificationInput,
    ) -> Result<VerificationView> {
        actor.require(Permission::Review)?;
        let mut f = Fields::default();
        let outcome = f.opt("outcome", &input.outcome, Outcome::parse);
        let failure_codes = codes(&mut f, "failure_codes", &input.failure_codes);
        let mut checks = Vec::new();
        for (i, c) in input.compliance_checks.iter().enumerate() {
            let p = format!("compliance_checks[{i}]");
            let check_type = f.req(&format!("{p}.type"), &c.check_type, ComplianceType::parse);
            let check_outcome = f.req(&format!("{p}.outcome"), &c.outcome, CheckOutcome::parse);
            let check_codes = codes(&mut f, &format!("{p}.failure_codes"), &c.failure_codes);
            if let (Some(check_type), Some(outcome)) = (check_type, check_outcome) {
                checks.push(ComplianceCheck { check_type, outcome, failure_codes: check_codes });
            }
        }
        let to = input.to.as_deref().unwrap_or("").trim();
        let outcome = outcome.ok().flatten();
        let step = VerificationStep::towards(to, outcome, failure_codes);
        if step.is_none() {
            let message = match (to, outcome) {
                ("completed", None) => "to completed needs an outcome: passed or failed".to_owned(),
                ("waiting" | "pending" | "reviewing" | "expired", Some(_)) => {
                    "an outcome is only given with to completed".to_owned()
                }
                _ => "to is not one of: waiting, pending, reviewing, completed, expired".to_owned(),
            };
            f.push(Reason::field(if to == "completed" { "outcome" } else { "to" }, "invalid_step", message));
        }
        f.finish()?;
        let step = step.ok_or_else(crate::customers::internal)?;
        self.change_verification(id, |env, tx, policy, v| {
            let from = v.state.name();
            v.state = v.apply(step, env.clock.now()).map_err(|e| rule(e.code(), e.to_string(), vec![]))?;
            if !checks.is_empty() {
                v.compliance_checks = checks;
            }
            let effects = env.after_completion(tx, policy, actor, v)?;
            let summary = json!({"from": from, "to": v.state.name(), "outcome": v.state.outcome().map(Outcome::as_str),
                "failure_codes": code_strings(v.state.failure_codes()), "effects": effects});
            env.audit_verification(tx, actor, "verification.advance", v, None, summary)
        })
    }

    /// An officer's decision on a verification or EDD case, with a reason; appended to the
    /// decisions. Passing an EDD case needs evidence for every checklist item.
    ///
    /// An EDD case's decision needs a second person: it is checked in full (evidence, state) and
    /// held for a supervisor's approval, which applies it.
    pub fn decide_verification(
        &mut self,
        actor: &Actor,
        id: &str,
        input: &DecideInput,
    ) -> Result<Submitted<VerificationView>> {
        actor.require(Permission::Decide)?;
        let (outcome, reason, failure_codes) = parse_decision(input)?;
        let id = parse_verification_id(id)?;
        if self.read(|_, tx| Ok(load_verification(tx, id)?.is_edd()))? {
            let held = Held::EddDecision { verification_id: id.to_string(), input: input.clone() };
            return self.hold(actor, ApprovalKind::EddDecision, *id.as_uuid(), &held, &reason).map(Submitted::pending);
        }
        self.write(|env, tx| env.decide(tx, actor, id, outcome, reason, failure_codes)).map(Submitted::Applied)
    }

    /// Attaches evidence to an EDD case against one checklist item.
    pub fn add_evidence(&mut self, actor: &Actor, id: &str, input: &EvidenceInput) -> Result<VerificationView> {
        actor.require(Permission::Review)?;
        let mut f = Fields::default();
        let item = f.req("item", &input.item, |s| Text::parse(s, 64));
        let reference = f.req("reference", &input.reference, |s| Text::parse(s, 1024));
        let description = f.opt("description", &input.description, |s| Text::parse(s, 1000));
        f.finish()?;
        let (Some(item), Some(reference), Ok(description)) = (item, reference, description) else {
            return Err(crate::customers::internal());
        };
        self.check_stored([("reference".to_owned(), reference.as_str())])?;
        self.change_verification(id, |env, tx, _, v| {
            if !v.is_edd() {
                return Err(Error::Unprocessable(
                    Problem::new("not_an_edd_case", "evidence is attached to EDD cases only")
                        .with_reasons(vec![Reason::new("not_an_edd_case", "evidence is attached to EDD cases only")]),
                ));
            }
            if !v.state.in_progress() {
                return Err(rule("case_closed", "the EDD case is decided: open a new one to add evidence", vec![]));
            }
            if !v.checklist.iter().any(|i| i == item.as_str()) {
                return Err(bad(
                    "item",
                    "unknown_value",
                    format!("item is not on this case's checklist: {}", v.checklist.join(", ")),
                ));
            }
            let evidence = Evidence {
                id: EvidenceId::from_uuid(env.ids.next_id()),
                verification_id: v.id,
                item: item.as_str().to_owned(),
                reference,
                description,
                added_by: actor.name().clone(),
                added_at: env.clock.now(),
            };
            tx.insert_evidence(&evidence)?;
            let summary = json!({"evidence_id": evidence.id.to_string(), "item": evidence.item});
            env.audit_verification(tx, actor, "edd.add_evidence", v, None, summary)
        })
    }

    pub fn add_note(&mut self, actor: &Actor, id: &str, text: Option<&str>) -> Result<VerificationView> {
        actor.require(Permission::Review)?;
        let text = Text::parse(text.unwrap_or(""), 4000)
            .map_err(|e| Error::invalid_input(vec![Reason::from_value_error("text", &e)]))?;
        self.change_verification(id, |env, tx, _, v| {
            let note = Note {
                id: NoteId::from_uuid(env.ids.next_id()),
                verification_id: v.id,
                author: actor.name().clone(),
                text,
                created_at: env.clock.now(),
            };
            tx.insert_note(&note)?;
            env.audit_verification(tx, actor, "case.add_note", v, None, json!({"note_id": note.id.to_string()}))
        })
    }

    /// Assigns the case to someone (or unassigns it with `None`).
    pub fn assign(&mut self, actor: &Actor, id: &str, assignee: Option<&str>) -> Result<VerificationView> {
        actor.require(Permission::Review)?;
        let assignee = assignee
            .map(|a| {
                UserName::parse(a).map_err(|e| Error::invalid_input(vec![Reason::from_value_error("assignee", &e)]))
            })
            .transpose()?;
        self.change_verification(id, |env, tx, _, v| {
            let from = v.assignee.as_ref().map(|a| a.as_str().to_owned());
            v.assignee = assignee;
            let summary = json!({"from": from, "to": v.assignee.as_ref().map(|a| a.as_str())});
            env.audit_verification(tx, actor, "case.assign", v, None, summary)
        })
    }

    /// Hides the case from work queues until a date (or wakes it with `None`).
    pub fn snooze(
        &mut self,
        actor: &Actor,
        id: &str,
        until: Option<&str>,
        reason: Option<&str>,
    ) -> Result<VerificationView> {
        actor.require(Permission::Review)?;
        let until = until
            .map(|u| parse_date(u).map_err(|e| Error::invalid_input(vec![Reason::from_value_error("until", &e)])))
            .transpose()?;
        let reason = reason
            .map(|r| Text::parse(r, 1000))
            .transpose()
            .map_err(|e| Error::invalid_input(vec![Reason::from_value_error("reason", &e)]))?;
        self.change_verification(id, |env, tx, _, v| {
            if let Some(day) = until
                && day <= env.today()
            {
                return Err(bad("until", "invalid_date", "until must be a date after today".into()));
            }
            if !v.state.in_progress() {
                return Err(rule("case_closed", "only open cases can be snoozed", vec![]));
            }
            v.snoozed_until = until;
            let summary = json!({"until": until.map(format_date)});
            env.audit_verification(tx, actor, "case.snooze", v, reason, summary)
        })
    }
}

/// Checks a perform-KYC request, reporting every bad field; returns the actions it asks for and
/// the override's level.
pub(crate) fn check_perform(input: &PerformKycInput) -> Result<(Vec<KycAction>, Option<Text>)> {
    let mut f = Fields::default();
    let mut actions = Vec::new();
    if input.perform_kyc == Some(true) || !input.identifications.is_empty() {
        actions.push(KycAction::Reattempt);
    }
    for (i, ident) in input.identifications.iter().enumerate() {
        f.req(&format!("identifications[{i}].govt_id_type"), &ident.govt_id_type, |s| Text::parse(s, 40));
        f.req(&format!("identifications[{i}].govt_id_number"), &ident.govt_id_number, |s| Text::parse(s, 64));
    }
    let check_document = |f: &mut Fields, p: &str, d: &KycDocumentInput| {
        f.req(&format!("{p}.document_type"), &d.document_type, |s| Text::parse(s, 40));
        f.opt(&format!("{p}.file_type"), &d.file_type, |s| Text::parse(s, 16)).ok();
        f.opt(&format!("{p}.issuing_country"), &d.issuing_country, CountryCode::parse).ok();
        if d.front.is_none() && d.back.is_none() && d.face_image.is_none() {
            f.push(Reason::field(p, "required", format!("{p} needs at least one of front, back or face_image")));
        }
    };
    if let Some(d) = &input.document {
        actions.push(KycAction::Document);
        check_document(&mut f, "document", d);
    }
    if !input.answers.is_empty() {
        actions.push(KycAction::Answers);
    }
    for (i, a) in input.answers.iter().enumerate() {
        f.req(&format!("answers[{i}].key"), &a.key, |s| Text::parse(s, 100));
        f.req(&format!("answers[{i}].answer"), &a.answer, |s| Text::parse(s, 500));
    }
    let mut override_level = None;
    if let Some(cv) = &input.client_verification {
        actions.push(KycAction::ClientOverride);
        f.req("client_verification.verification_provider", &cv.verification_provider, |s| Text::parse(s, 100));
        f.req("client_verification.verification_provider_refnumber", &cv.verification_provider_refnumber, |s| {
            Text::parse(s, 200)
        });
        override_level =
            f.req("client_verification.verification_level", &cv.verification_level, |s| Text::parse(s, 40));
        f.req("client_verification.reason", &cv.reason, |s| Text::parse(s, 1000));
        f.opt("client_verification.verification_datetime", &cv.verification_datetime, |s| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| ValueError::InvalidTimestamp)
        })
        .ok();
        if let Some(d) = &cv.document {
            check_document(&mut f, "client_verification.document", d);
        }
    }
    if let Some(p) = &input.program_guid {
        f.val(
            "program_guid",
            uuid::Uuid::try_parse(p.trim())
                .map(|_| ())
                .map_err(|_| ValueError::UnknownValue { allowed: "a program UUID" }),
        );
    }
    f.notes_ok(&input.notes);
    if actions.is_empty() {
        f.push(Reason::new(
            "nothing_to_perform",
            "say what to perform: perform_kyc, identifications, document, answers or client_verification",
        ));
    }
    f.finish()?;
    Ok((actions, override_level))
}

impl Env {
    /// Performs KYC in the caller's transaction (see [`Dossier::perform_kyc`]); `actions` and
    /// `override_level` come from [`check_perform`].
    pub(crate) fn perform_kyc(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        id: CustomerId,
        input: &PerformKycInput,
        actions: &[KycAction],
        override_level: Option<&Text>,
    ) -> Result<KycResultsView> {
        let env = self;
        let policy = policy::load(tx)?;
        let customer = load(tx, id)?;
        let history = tx.kyc_results_of(id)?;
        if !input.answers.is_empty() {
            let open = open_questions(&history);
            if open.is_empty() {
                return Err(Error::Unprocessable(
                    Problem::new("no_open_questions", "there are no open questions to answer")
                        .with_reasons(vec![Reason::new("no_open_questions", "there are no open questions to answer")]),
                ));
            }
            let mut reasons = Vec::new();
            for (i, a) in input.answers.iter().enumerate() {
                let key = a.key.as_deref().unwrap_or("").trim();
                match open.iter().find(|q| q.key == key) {
                    None => reasons.push(Reason::field(
                        format!("answers[{i}].key"),
                        "unknown_question",
                        "no open question has this key",
                    )),
                    Some(q)
                        if !q.options.is_empty()
                            && !q.options.iter().any(|o| Some(o.as_str()) == a.answer.as_deref().map(str::trim)) =>
                    {
                        reasons.push(Reason::field(
                            format!("answers[{i}].answer"),
                            "invalid_answer",
                            "the answer is not one of the question's options",
                        ))
                    }
                    Some(_) => {}
                }
            }
            if !reasons.is_empty() {
                return Err(Error::Unprocessable(
                    Problem::new("invalid_answers", "some answers do not fit the open questions").with_reasons(reasons),
                ));
            }
        }
        let now = env.clock.now();
        for action in actions {
            let overriding = *action == KycAction::ClientOverride;
            let cv = input.client_verification.as_ref().filter(|_| overriding);
            let detail = kyc_detail(*action, input);
            let result = KycResult {
                id: KycResultId::from_uuid(env.ids.next_id()),
                customer_id: id,
                action: *action,
                status: if overriding { KycResultStatus::Overridden } else { KycResultStatus::Submitted },
                verification_level: cv.and(override_level.as_ref()).map(|l| l.to_string()),
                provider: cv.and_then(|c| c.verification_provider.clone()),
                provider_reference: cv.and_then(|c| c.verification_provider_refnumber.clone()),
                response_code: None,
                reason_codes: Vec::new(),
                questions: Vec::new(),
                detail: detail.to_string(),
                actor: actor.name().clone(),
                created_at: now,
            };
            tx.insert_kyc_result(&result, "[]")?;
            let mut summary = json!({"kyc_result_id": result.id.to_string(), "action": action.as_str(), "status": result.status.as_str()});
            let mut reason = None;
            if let Some(cv) = cv {
                // The override is the firm's attestation: it is recorded as a passed, attested
                // KYC verification and an appended decision, so status and limits follow it.
                let why =
                    Text::parse(cv.reason.as_deref().unwrap_or(""), 1000).map_err(|_| crate::customers::internal())?;
                let reference = Text::parse(cv.verification_provider_refnumber.as_deref().unwrap_or(""), 200).ok();
                let mut v =
                    env.new_verification(&policy, id, VerificationType::Kyc, VerificationMethod::Attested, reference);
                tx.insert_verification(&v)?;
                crate::sync::enqueue(
                    env,
                    tx,
                    Operation::VerificationCreate,
                    id,
                    Some(*v.id.as_uuid()),
                    crate::sync::verification_payload(&v),
                )?;
                v.state = v
                    .apply(VerificationStep::Complete { outcome: Outcome::Passed, failure_codes: vec![] }, now)
                    .map_err(|e| rule(e.code(), e.to_string(), vec![]))?;
                let effects = env.after_completion(tx, &policy, actor, &mut v)?;
                tx.update_verification(&v)?;
                let decision = Decision {
                    id: DecisionId::from_uuid(env.ids.next_id()),
                    customer_id: id,
                    verification_id: Some(v.id),
                    kind: DecisionKind::ClientOverride,
                    outcome: Outcome::Passed,
                    reason: why.clone(),
                    failure_codes: vec![],
                    evidence: vec![],
                    decided_by: actor.name().clone(),
                    decided_at: now,
                };
                tx.insert_decision(&decision)?;
                summary["verification_id"] = json!(v.id.to_string());
                summary["decision_id"] = json!(decision.id.to_string());
                summary["verification_level"] = json!(result.verification_level);
                summary["override_sanction_check"] = json!(cv.override_sanction_check.unwrap_or(false));
                summary["effects"] = effects;
                reason = Some(why);
            }
            env.audit(tx, actor, "kyc.perform", customer.id, reason, summary)?;
        }
        // Qolo hears the request as it was made (the override's reason is Dossier's own field).
        let mut request = serde_json::to_value(input).expect("a request serializes");
        if let Some(cv) = request.get_mut("client_verification").and_then(Value::as_object_mut) {
            cv.remove("reason");
        }
        crate::sync::enqueue(env, tx, Operation::KycPerform, id, None, json!({"v": 1, "request": request}))?;
        tx.touch_customer(id, now)?;
        env.refresh_derived(tx, &policy, id)?;
        kyc_results_view(tx, id)
    }
}

/// A JSON string list from the stored questions column.
fn parse_questions(text: &str) -> Vec<QuestionView> {
    serde_json::from_str(text).unwrap_or_default()
}

impl Dossier {
    /// Qolo's perform KYC: re-attempt after data fixes, upload a document, answer out-of-wallet
    /// questions, or override the verification level (with provider, reference, time and reason).
    /// Every attempt is kept as a result.
    pub fn perform_kyc(
        &mut self,
        actor: &Actor,
        customer_id: &str,
        input: &PerformKycInput,
    ) -> Result<Submitted<KycResultsView>> {
        // An override is a supervisor's (whose role holds every other KYC action too).
        actor.require(if input.client_verification.is_some() { Permission::Override } else { Permission::Verify })?;
        let id = parse_customer_id(customer_id)?;
        let (actions, override_level) = check_perform(input)?;
        if let Some(cv) = &input.client_verification {
            // A client override needs a second person: checked in full and held for approval.
            let reason =
                Text::parse(cv.reason.as_deref().unwrap_or(""), 1000).map_err(|_| crate::customers::internal())?;
            let held = Held::ClientOverride { customer_id: id.to_string(), input: Box::new(input.clone()) };
            return self
                .hold(actor, ApprovalKind::ClientOverride, *id.as_uuid(), &held, &reason)
                .map(Submitted::pending);
        }
        self.write(|env, tx| env.perform_kyc(tx, actor, id, input, &actions, override_level.as_ref()))
            .map(Submitted::Applied)
    }

    /// Records a KYC result reported by a provider (Qolo's response shape), with its
    /// out-of-wallet questions and reason codes.
    pub fn record_kyc_report(
        &mut self,
        actor: &Actor,
        customer_id: &str,
        input: &KycReportInput,
    ) -> Result<KycResultsView> {
        actor.require(Permission::Verify)?;
        let id = parse_customer_id(customer_id)?;
        let mut f = Fields::default();
        if input.verification_results.is_empty() {
            f.push(Reason::field("verificationResults", "required", "verificationResults needs at least one result"));
        }
        for (i, r) in input.verification_results.iter().enumerate() {
            for (j, q) in r.questions.iter().enumerate() {
                let p = format!("verificationResults[{i}].questions[{j}]");
                f.req(&format!("{p}.key"), &q.key, |s| Text::parse(s, 100));
                f.req(&format!("{p}.prompt"), &q.prompt, |s| Text::parse(s, 500));
            }
        }
        f.finish()?;
        self.write(|env, tx| {
            let policy = policy::load(tx)?;
            load(tx, id)?;
            for r in &input.verification_results {
                let questions: Vec<QuestionView> = r
                    .questions
                    .iter()
                    .map(|q| QuestionView {
                        key: q.key.clone().unwrap_or_default().trim().to_owned(),
                        prompt: q.prompt.clone().unwrap_or_default(),
                        options: q.options.clone(),
                    })
                    .collect();
                let result = KycResult {
                    id: KycResultId::from_uuid(env.ids.next_id()),
                    customer_id: id,
                    action: KycAction::ProviderResult,
                    status: KycResultStatus::Reported,
                    verification_level: input.verification_level.clone(),
                    provider: r.provider_name.clone(),
                    provider_reference: r.provider_reference.clone(),
                    response_code: r.response_code.clone(),
                    reason_codes: r.reason_code.iter().flat_map(|c| c.split(',')).map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect(),
                    questions: Vec::new(),
                    detail: json!({"verification_mode": input.verification_mode, "verification_method": r.verification_method,
                        "verification_date": r.verification_date, "verification_results": r.verification_results,
                        "additional_desc": input.additional_desc}).to_string(),
                    actor: actor.name().clone(),
                    created_at: env.clock.now(),
                };
                tx.insert_kyc_result(&result, &serde_json::to_string(&questions).expect("questions serialize"))?;
                let summary = json!({"kyc_result_id": result.id.to_string(), "response_code": result.response_code,
                    "reason_codes": result.reason_codes, "questions": questions.len()});
                env.audit(tx, actor, "kyc.record_result", id, None, summary)?;
            }
            env.refresh_derived(tx, &policy, id)?;
            kyc_results_view(tx, id)
        })
    }

    pub fn kyc_results(&self, actor: &Actor, customer_id: &str) -> Result<KycResultsView> {
        actor.require(Permission::Read)?;
        let id = parse_customer_id(customer_id)?;
        self.read(|_, tx| {
            load(tx, id)?;
            kyc_results_view(tx, id)
        })
    }
}

impl Fields {
    fn notes_ok(&mut self, notes: &Option<String>) {
        let _ = self.opt("notes", notes, |s| Text::parse(s, 2000));
    }
}

/// What an attempt asked for, kept as evidence. Document images are references, not bytes;
/// identification numbers and answers are kept masked.
fn kyc_detail(action: KycAction, input: &PerformKycInput) -> Value {
    let doc = |d: &KycDocumentInput| {
        json!({"document_type": d.document_type, "file_type": d.file_type, "issuing_country": d.issuing_country,
            "front": d.front, "back": d.back, "face_image": d.face_image, "liveness_detected": d.liveness_detected})
    };
    match action {
        KycAction::Reattempt => json!({"notes": input.notes, "program_guid": input.program_guid,
            "identifications": input.identifications.iter().map(|i| json!({"govt_id_type": i.govt_id_type,
                "govt_id_number_last4": i.govt_id_number.as_deref().map(|n| n.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect::<String>())})).collect::<Vec<_>>()}),
        KycAction::Document => json!({"document": input.document.as_ref().map(doc)}),
        KycAction::Answers => json!({"answered_keys": input.answers.iter().map(|a| a.key.clone()).collect::<Vec<_>>()}),
        KycAction::ClientOverride => input.client_verification.as_ref().map_or(json!({}), |cv| json!({
            "document_approved": cv.document_approved, "person_status_update": cv.person_status_update,
            "override_sanction_check": cv.override_sanction_check, "verification_datetime": cv.verification_datetime,
            "verification_provider": cv.verification_provider, "verification_provider_refnumber": cv.verification_provider_refnumber,
            "verification_level": cv.verification_level, "document": cv.document.as_ref().map(doc)})),
        KycAction::ProviderResult => json!({}),
    }
}

/// Questions from the latest provider result that carried questions, minus those answered since.
fn open_questions(history: &[(KycResult, String)]) -> Vec<QuestionView> {
    let Some(pos) = history.iter().rposition(|(r, q)| r.action == KycAction::ProviderResult && q != "[]") else {
        return Vec::new();
    };
    let mut open = parse_questions(&history[pos].1);
    for (r, _) in &history[pos + 1..] {
        if r.action == KycAction::Answers {
            let answered: Vec<String> = serde_json::from_str::<Value>(&r.detail)
                .ok()
                .and_then(|d| d["answered_keys"].as_array().cloned())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect();
            open.retain(|q| !answered.contains(&q.key));
        }
    }
    open
}

fn kyc_results_view(tx: &Tx<'_>, id: CustomerId) -> Result<KycResultsView> {
    let history = tx.kyc_results_of(id)?;
    let open = open_questions(&history);
    Ok(KycResultsView {
        customer_id: id.to_string(),
        results: history
            .iter()
            .map(|(r, q)| KycResultView {
                id: r.id.to_string(),
                action: r.action.as_str(),
                status: r.status.as_str(),
                verification_level: r.verification_level.clone(),
                provider: r.provider.clone(),
                provider_reference: r.provider_reference.clone(),
                response_code: r.response_code.clone(),
                reason_codes: r.reason_codes.clone(),
                questions: parse_questions(q),
                actor: r.actor.as_str().to_owned(),
                created_at: timestamp(r.created_at),
            })
            .collect(),
        open_questions: open,
    })
}

fn detail_json(d: &StatusDetail) -> Value {
    let metadata = match d {
        StatusDetail::PendingVerifications { items } | StatusDetail::FailedVerifications { items } => {
            json!({"statuses": items})
        }
        StatusDetail::PendingEdd { reason } => json!({"reason": reason}),
        StatusDetail::PendingMemberApprovals { members } => {
            json!({"pending_members": members.iter().map(|m| m.to_string()).collect::<Vec<_>>()})
        }
        StatusDetail::FailedMembers { members } => {
            json!({"failed_members": members.iter().map(|m| m.to_string()).collect::<Vec<_>>()})
        }
        StatusDetail::ProhibitedRiskRating => json!({}),
        StatusDetail::FailedControls { controls } => {
            let has = |t: ControlType, by: ControlSetBy| controls.iter().any(|(ct, b)| *ct == t && *b == by);
            let flags = |by: ControlSetBy| {
                json!({"dormant": has(ControlType::Dormant, by), "frozen": has(ControlType::Frozen, by),
                    "closed": has(ControlType::Closed, by), "denied": has(ControlType::Denied, by)})
            };
            let mut m = flags(ControlSetBy::Firm);
            m["admin_controls"] = flags(ControlSetBy::Admin);
            m
        }
    };
    json!({"message": d.message(), "metadata": metadata})
}

impl Dossier {
    /// The identity status with every detail that applies (Paxos' status and status details).
    pub fn identity_status(&self, actor: &Actor, customer_id: &str) -> Result<IdentityStatusView> {
        actor.require(Permission::Read)?;
        let id = parse_customer_id(customer_id)?;
        self.read(|_, tx| {
            let policy = policy::load(tx)?;
            let customer = load(tx, id)?;
            let derived = tx.derived(id)?;
            let a = assess_customer(tx, &policy, &customer, derived.verified_on)?;
            Ok(IdentityStatusView {
                customer_id: id.to_string(),
                status: a.derived.identity_status.as_str(),
                status_details: a.details.iter().map(|d| (d.key().to_owned(), detail_json(d))).collect(),
            })
        })
    }

    /// The risk rating with each factor's contribution and the next KYC refresh.
    pub fn risk(&self, actor: &Actor, customer_id: &str) -> Result<RiskView> {
        actor.require(Permission::Read)?;
        let id = parse_customer_id(customer_id)?;
        self.read(|_, tx| {
            let customer = load(tx, id)?;
            let derived = tx.derived(id)?;
            let (rating, score, factors, at) = match tx.latest_risk_assessment(id)? {
                Some((rating, score, factors, at)) => (rating, score, factors, Some(at)),
                None => (derived.risk_rating, 0, "[]".to_owned(), None),
            };
            let factors: Vec<Value> = serde_json::from_str(&factors).unwrap_or_default();
            Ok(RiskView {
                customer_id: id.to_string(),
                rating: rating.as_str(),
                score,
                factors: factors
                    .iter()
                    .filter_map(|f| {
                        Some(RiskFactorView {
                            code: RiskFactorCode::parse(f["code"].as_str()?).ok()?.as_str(),
                            points: f["points"].as_u64().and_then(|p| u32::try_from(p).ok())?,
                            detail: f["detail"].as_str()?.to_owned(),
                        })
                    })
                    .collect(),
                assessed_at: at.map(timestamp),
                requires_edd: rating == RiskRating::High,
                last_kyc_refresh_date: customer.last_kyc_refresh_date.map(format_date),
                kyc_refresh_due_on: derived.kyc_refresh_due_on.map(format_date),
            })
        })
    }

    /// A customer's decisions, oldest first.
    pub fn decisions(&self, actor: &Actor, customer_id: &str) -> Result<Vec<DecisionView>> {
        actor.require(Permission::Read)?;
        let id = parse_customer_id(customer_id)?;
        self.read(|_, tx| {
            load(tx, id)?;
            Ok(tx.decisions_of(id)?.iter().map(decision_view).collect())
        })
    }

    /// The work queue: customers matching every filter given, in one indexed query.
    /// `search` narrows it to customers whose name, reference id or emails match every word.
    pub fn queue(&self, actor: &Actor, q: &QueueQuery) -> Result<Page<QueueItem>> {
        actor.require(Permission::Read)?;
        let params = QueueParams::parse(q, QueueSort::Newest)?;
        let limit = page_limit(q.limit)?;
        let (sort, after) = (params.sort, params.after.clone());
        self.read(|env, tx| {
            let filter = params.filter(env);
            let rows = tx.queue(&filter, sort, after.as_ref(), limit + 1)?;
            Ok(cut_page(
                rows,
                limit,
                |r| match sort {
                    QueueSort::RefreshDue => {
                        format!("{}|{}", r.kyc_refresh_due_on.map(format_date).unwrap_or_default(), r.id)
                    }
                    QueueSort::Newest | QueueSort::Oldest => r.id.to_string(),
                },
                |r| QueueItem {
                    id: r.id.to_string(),
                    kind: r.kind.as_str(),
                    ref_id: r.ref_id,
                    name: r.display_name,
                    state: r.state.name(),
                    verification_level: r.state.level().map(VerificationLevel::as_str),
                    risk_rating: r.risk_rating.as_str(),
                    identity_status: r.identity_status.as_str(),
                    edd_status: r.edd_status.as_str(),
                    kyc_refresh_due_on: r.kyc_refresh_due_on.map(format_date),
                    created_at: timestamp(r.created_at),
                    updated_at: timestamp(r.updated_at),
                },
            ))
        })
    }

    /// Applies time-driven transitions as of `now` (default: the clock): unfinished
    /// verifications past their deadline expire; passed compliance decisions past their expiry
    /// expire, and a verified customer whose government-ID decision expired returns to pending
    /// (an active one stays active but its identity status becomes PENDING).
    pub fn tick(&mut self, actor: &Actor, now: Option<&str>) -> Result<TickReport> {
        actor.require(Permission::Review)?;
        let now = match now {
            None => self.env.clock.now(),
            Some(raw) => {
                OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339).map_err(|_| {
                    Error::invalid_input(vec![Reason::from_value_error("now", &ValueError::InvalidTimestamp)])
                })?
            }
        };
        self.write(|env, tx| {
            let policy = policy::load(tx)?;
            let mut report = TickReport {
                now: timestamp(now),
                verifications_expired: 0,
                decisions_expired: 0,
                customers_needing_kyc_again: 0,
            };
            let mut touched = Vec::new();
            for id in tx.verifications_past_deadline(now)? {
                let mut v = load_verification(tx, id)?;
                v.state = v.apply(VerificationStep::Expire, now).map_err(|e| rule(e.code(), e.to_string(), vec![]))?;
                v.updated_at = env.clock.now();
                tx.update_verification(&v)?;
                env.audit_verification(
                    tx,
                    actor,
                    "verification.expire",
                    &v,
                    None,
                    json!({"deadline": v.expires_at.map(timestamp)}),
                )?;
                report.verifications_expired += 1;
                touched.push(v.customer_id);
            }
            for id in tx.verifications_with_expiring_decisions(now)? {
                let mut v = load_verification(tx, id)?;
                let mut gov_id_expired = false;
                for d in v.compliance_decisions.iter_mut() {
                    if d.state == DecisionState::Passed && d.expired_at.is_some_and(|at| at <= now) {
                        d.state = DecisionState::Expired;
                        report.decisions_expired += 1;
                        gov_id_expired |= d.decision_type == ComplianceType::PersonGovIdVerification;
                    }
                }
                v.updated_at = env.clock.now();
                tx.update_verification(&v)?;
                env.audit_verification(
                    tx,
                    actor,
                    "verification.decision_expired",
                    &v,
                    None,
                    json!({"gov_id": gov_id_expired}),
                )?;
                let customer = load(tx, v.customer_id)?;
                if gov_id_expired
                    && matches!(customer.state, CustomerState::Verified { .. } | CustomerState::Active { .. })
                {
                    report.customers_needing_kyc_again += 1;
                    if let CustomerState::Verified { .. } = customer.state {
                        tx.set_customer_state(customer.id, CustomerState::Pending, env.clock.now())?;
                        let reason = Text::parse("government ID decision expired: KYC needed again", 100).ok();
                        let summary = json!({"from": "verified", "to": "pending", "verification_id": v.id.to_string()});
                        env.audit(tx, actor, "customer.kyc_expired", customer.id, reason, summary)?;
                    }
                }
                touched.push(v.customer_id);
            }
            touched.sort();
            touched.dedup();
            for id in touched {
                env.refresh_derived(tx, &policy, id)?;
            }
            Ok(report)
        })
    }
}

impl Dossier {
    /// The dashboard: counts, the onboarding funnel, open cases by age and type, the most urgent cases.
    pub fn dashboard(&self, actor: &Actor) -> Result<DashboardView> {
        actor.require(Permission::Read)?;
        self.read(|env, tx| {
            let now = env.clock.now();
            let today_start = now.replace_time(time::Time::MIDNIGHT);
            let stats = tx.dashboard(now, today_start, 8)?;
            let by_state: std::collections::BTreeMap<String, i64> = stats.customers_by_state.into_iter().collect();
            let state = |s: &str| by_state.get(s).copied().unwrap_or(0);
            let mut oldest = Vec::with_capacity(stats.oldest_cases.len());
            for id in stats.oldest_cases {
                oldest.push(env.verification_view(tx, &load_verification(tx, id)?)?);
            }
            Ok(DashboardView {
                counts: DashboardCounts {
                    awaiting_review: stats.awaiting_review,
                    sla_breached: stats.sla_breached,
                    onboarded_today: stats.onboarded_today,
                    sync_needs_attention: stats.sync_needs_attention,
                },
                funnel: Funnel { pending: state("pending"), verified: state("verified"), active: state("active") },
                queue_age: stats
                    .queue_age
                    .into_iter()
                    .map(|(case_type, lt_1d, d1_3, d3_7, gt_7d)| QueueAgeView { case_type, lt_1d, d1_3, d3_7, gt_7d })
                    .collect(),
                oldest_cases: oldest,
                customers_by_state: by_state,
            })
        })
    }
}

/// Records one result of a provider's KYC response (Qolo's shape, read leniently: providers add
/// fields) as a KYC result with its questions.
pub(crate) fn record_provider_result(
    env: &Env,
    tx: &Tx<'_>,
    actor: &Actor,
    customer: CustomerId,
    response: &Value,
    result: &Value,
) -> Result<()> {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let questions: Vec<QuestionView> = result["questions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|q| {
            Some(QuestionView {
                key: text(&q["key"])?,
                prompt: text(&q["prompt"]).unwrap_or_default(),
                options: q["options"].as_array().map(|o| o.iter().filter_map(text).collect()).unwrap_or_default(),
            })
        })
        .collect();
    let record = KycResult {
        id: KycResultId::from_uuid(env.ids.next_id()),
        customer_id: customer,
        action: KycAction::ProviderResult,
        status: KycResultStatus::Reported,
        verification_level: text(&response["verification_level"]),
        provider: text(&result["provider_name"]),
        provider_reference: text(&result["provider_reference"]),
        response_code: text(&result["response_code"]),
        reason_codes: result["reason_code"]
            .as_str()
            .map(|c| c.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default(),
        questions: Vec::new(),
        detail: json!({"verification_mode": response["verification_mode"], "verification_method": result["verification_method"],
            "verification_date": result["verification_date"], "verification_results": result["verification_results"]})
        .to_string(),
        actor: actor.name().clone(),
        created_at: env.clock.now(),
    };
    tx.insert_kyc_result(&record, &serde_json::to_string(&questions).expect("questions serialize"))?;
    let summary = json!({"kyc_result_id": record.id.to_string(), "response_code": record.response_code,
        "reason_codes": record.reason_codes, "questions": questions.len()});
    env.audit(tx, actor, "kyc.record_result", customer, None, summary)
}

/// The checked filters of a [`VerificationQuery`] and its cursor; the case list and the case
/// export share them.
pub(crate) fn verification_filter(q: &VerificationQuery) -> Result<(VerificationFilter, Option<VerificationId>)> {
    let mut f = Fields::default();
    let customer = f.opt("customer_id", &q.customer_id, |s| {
        CustomerId::parse(s).map_err(|_| ValueError::UnknownValue { allowed: "a customer id" })
    });
    let vtype = f.opt("type", &q.verification_type, VerificationType::parse);
    let method = f.opt("method", &q.method, VerificationMethod::parse);
    let outcome = f.opt("outcome", &q.outcome, Outcome::parse);
    for (i, s) in q.states.iter().enumerate() {
        if !VerificationState::NAMES.contains(&s.as_str()) {
            f.push(Reason::field(
                format!("states[{i}]"),
                "unknown_value",
                format!("states[{i}] is not one of: {}", VerificationState::NAMES.join(", ")),
            ));
        }
    }
    let after = f.opt("after", &q.after, |s| {
        VerificationId::parse(s).map_err(|_| ValueError::UnknownValue { allowed: "a cursor" })
    });
    f.finish()?;
    let filter = VerificationFilter {
        customer: customer.ok().flatten(),
        verification_type: vtype.ok().flatten().map(|t| t.as_str().to_owned()),
        method: method.ok().flatten().map(|m| m.as_str().to_owned()),
        states: q.states.clone(),
        outcome: outcome.ok().flatten().map(|o| o.as_str().to_owned()),
    };
    Ok((filter, after.ok().flatten()))
}

/// The work-queue filters of a [`QueueQuery`], checked; the queue and the customer export share
/// them.
pub(crate) struct QueueParams {
    state: Option<String>,
    verification_state: Option<String>,
    verification_method: Option<String>,
    edd: Option<String>,
    risk: Option<String>,
    identity_status: Option<String>,
    refresh_due_before: Option<time::Date>,
    assignee: Option<String>,
    sla_breached: bool,
    search: Vec<String>,
    pub sort: QueueSort,
    pub after: Option<QueueCursor>,
}

impl QueueParams {
    /// Checks every filter of `q`, reporting all bad ones at once; `default_sort` applies when
    /// `q.sort` is absent.
    pub(crate) fn parse(q: &QueueQuery, default_sort: QueueSort) -> Result<Self> {
        let mut f = Fields::default();
        let one_of = |f: &mut Fields, field: &str, value: &Option<String>, allowed: &[&str]| -> Option<String> {
            let v = value.as_deref()?.trim();
            if allowed.contains(&v) {
                Some(v.to_owned())
            } else {
                f.push(Reason::field(field, "unknown_value", format!("{field} is not one of: {}", allowed.join(", "))));
                None
            }
        };
        let state = one_of(&mut f, "state", &q.state, &CustomerState::NAMES);
        let verification_state = one_of(&mut f, "verification_state", &q.verification_state, &VerificationState::NAMES);
        let methods: Vec<&str> = VerificationMethod::ALL.iter().map(|m| m.as_str()).collect();
        let verification_method = one_of(&mut f, "verification_method", &q.verification_method, &methods);
        let edd = one_of(&mut f, "edd", &q.edd, &["none", "in_progress", "passed", "failed"]);
        let risk = one_of(&mut f, "risk", &q.risk, &["LOW", "MEDIUM", "HIGH", "PROHIBITED"]);
        let identity_status = one_of(
            &mut f,
            "identity_status",
            &q.identity_status,
            &["PENDING", "ERROR", "APPROVED", "DENIED", "DISABLED"],
        );
        let sort = match q.sort.as_deref() {
            None => default_sort,
            Some("newest") => QueueSort::Newest,
            Some("oldest") => QueueSort::Oldest,
            Some("refresh_due") => QueueSort::RefreshDue,
            Some(_) => {
                f.push(Reason::field("sort", "unknown_value", "sort is not one of: newest, oldest, refresh_due"));
                default_sort
            }
        };
        let refresh = f.opt("refresh_due_before", &q.refresh_due_before, parse_date);
        let assignee = f.opt("assignee", &q.assignee, UserName::parse);
        let search = search_words(&mut f, q.search.as_deref());
        let after = match q.after.as_deref() {
            None => None,
            Some(raw) => {
                let (due, id) = match raw.split_once('|') {
                    Some((due, id)) => (Some(due), id),
                    None => (None, raw),
                };
                let id = CustomerId::parse(id).ok();
                let due = due.map(parse_date).transpose().ok();
                match (id, due) {
                    (Some(id), Some(refresh_due_on)) => Some(QueueCursor { id, refresh_due_on }),
                    _ => {
                        f.push(Reason::field("after", "invalid_cursor", "after is not a cursor from a previous page"));
                        None
                    }
                }
            }
        };
        f.finish()?;
        Ok(Self {
            state,
            verification_state,
            verification_method,
            edd,
            risk,
            identity_status,
            refresh_due_before: refresh.ok().flatten(),
            assignee: assignee.ok().flatten().map(|a| a.as_str().to_owned()),
            sla_breached: q.sla_breached,
            search,
            sort,
            after,
        })
    }

    /// The store's filter as of the environment's clock (SLA breaches, snoozes).
    pub(crate) fn filter(&self, env: &Env) -> QueueFilter {
        QueueFilter {
            state: self.state.clone(),
            risk: self.risk.clone(),
            identity_status: self.identity_status.clone(),
            edd_status: self.edd.clone(),
            refresh_due_before: self.refresh_due_before,
            verification_state: self.verification_state.clone(),
            verification_method: self.verification_method.clone(),
            assignee: self.assignee.clone(),
            sla_breached_at: self.sla_breached.then(|| env.clock.now()),
            today: Some(env.today()),
            search: self.search.clone(),
        }
    }
}

/// The words of a search: split on white space, lower-cased; words without a letter or digit
/// are dropped (they match nothing). At most 8 words of 200 characters in all.
fn search_words(f: &mut Fields, raw: Option<&str>) -> Vec<String> {
    let Some(raw) = raw else { return Vec::new() };
    if raw.chars().count() > 200 {
        f.push(Reason::field("search", "too_long", "search is longer than 200 characters"));
        return Vec::new();
    }
    let words: Vec<String> =
        raw.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).map(str::to_lowercase).collect();
    if words.len() > 8 {
        f.push(Reason::field("search", "too_long", "search has more than 8 words"));
        return Vec::new();
    }
    words
}
