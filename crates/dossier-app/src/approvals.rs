//! Four-eyes (maker-checker) approvals. EDD decisions, client verification overrides, lifting a
//! `frozen` or `denied` control, undoing a rejection and discarding an outbox message need a
//! second person. The maker's command is checked in full, exactly as its approval will apply it
//! (rehearsed in a savepoint that is rolled back), and kept with the maker and their reason as
//! a pending request: 202, `Submitted::Pending`. A supervisor who is not the maker approves it,
//! which checks it again against the present state and applies it in the same transaction, or
//! rejects it; the maker may withdraw it. At most one request per kind and entity waits at a
//! time. Every step is an audit event on the customer, naming maker and checker.

use dossier_core::*;
use dossier_store::{ApprovalFilter, ApprovalRow, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ts_rs::TS;
use uuid::Uuid;

use crate::convert::timestamp;
use crate::customers::{LifecycleCommand, cut_page, page_limit, parse_customer_id, seq_cursor};
use crate::dto::{DecideInput, Page, PerformKycInput};
use crate::error::{Error, Problem, Reason, Result};
use crate::{Dossier, Env};

/// What a command that may need a second person did: applied at once, or held for approval.
/// On the wire: the applied command's own view, or `{status: 202, pending_approval}`.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
#[serde(untagged)]
pub enum Submitted<T> {
    Applied(T),
    Pending(Box<PendingApproval>),
}

impl<T> Submitted<T> {
    pub(crate) fn pending(approval: ApprovalView) -> Self {
        Submitted::Pending(Box::new(PendingApproval { status: 202, pending_approval: approval }))
    }
    /// The applied command's view, if it was applied.
    pub fn applied(self) -> Option<T> {
        match self {
            Submitted::Applied(v) => Some(v),
            Submitted::Pending(_) => None,
        }
    }
    /// The request, if the command waits for a second person.
    pub fn pending_approval(&self) -> Option<&ApprovalView> {
        match self {
            Submitted::Applied(_) => None,
            Submitted::Pending(p) => Some(&p.pending_approval),
        }
    }
}

/// A command accepted and held for a second person's approval.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct PendingApproval {
    /// Always 202: accepted, not applied yet.
    pub status: u16,
    pub pending_approval: ApprovalView,
}

/// One approval request.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct ApprovalView {
    pub id: String,
    pub seq: i64,
    /// `edd_decision`, `client_override`, `control_removal`, `undo_rejection`, `sync_discard`.
    pub kind: &'static str,
    /// What the command acts on: the case, customer, control or outbox message.
    pub entity_id: String,
    pub customer_id: String,
    /// The command as it will be applied (identification numbers shown by their last four
    /// characters, answers hidden).
    pub command: Value,
    pub maker: String,
    pub maker_reason: Option<String>,
    pub created_at: String,
    /// `pending`, `approved`, `rejected`, `withdrawn`.
    pub state: &'static str,
    pub checker: Option<String>,
    pub decided_at: Option<String>,
    pub checker_reason: Option<String>,
}

/// The filters of the approval queue.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct ApprovalQuery {
    pub state: Option<String>,
    pub kind: Option<String>,
    pub customer_id: Option<String>,
    pub limit: Option<usize>,
    pub after: Option<String>,
}

/// A held command, as stored (JSON) and applied on approval.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub(crate) enum Held {
    EddDecision { verification_id: String, input: DecideInput },
    ClientOverride { customer_id: String, input: Box<PerformKycInput> },
    ControlRemoval { customer_id: String, control_id: String, reason: String },
    UndoRejection { customer_id: String, reason: String },
    SyncDiscard { outbox_id: String, reason: String },
}

fn stored_bad() -> Error {
    Error::Unexpected(Problem::new("database_corrupt", "a stored approval request cannot be read: report this"))
}

fn text(raw: &str) -> Result<Text> {
    Text::parse(raw, 1000).map_err(|_| stored_bad())
}

impl Env {
    /// Applies a held command in the caller's transaction as `maker`, with every check a direct
    /// command has; returns the customer it concerns.
    fn apply(&self, tx: &Tx<'_>, maker: &Actor, held: &Held) -> Result<CustomerId> {
        match held {
            Held::EddDecision { verification_id, input } => {
                let id = VerificationId::parse(verification_id).map_err(|_| stored_bad())?;
                let (outcome, reason, codes) = crate::kyc::parse_decision(input)?;
                let view = self.decide(tx, maker, id, outcome, reason, codes)?;
                CustomerId::parse(&view.customer_id).map_err(|_| stored_bad())
            }
            Held::ClientOverride { customer_id, input } => {
                let id = parse_customer_id(customer_id)?;
                let (actions, level) = crate::kyc::check_perform(input)?;
                self.perform_kyc(tx, maker, id, input, &actions, level.as_ref())?;
                Ok(id)
            }
            Held::ControlRemoval { customer_id, control_id, reason } => {
                let id = parse_customer_id(customer_id)?;
                let control = ControlId::parse(control_id).map_err(|_| stored_bad())?;
                self.remove_control(tx, maker, id, control, text(reason)?)?;
                Ok(id)
            }
            Held::UndoRejection { customer_id, reason } => {
                let id = parse_customer_id(customer_id)?;
                self.lifecycle(tx, maker, id, LifecycleCommand::UndoRejection, text(reason)?)?;
                Ok(id)
            }
            Held::SyncDiscard { outbox_id, reason } => {
                let id = OutboxId::parse(outbox_id).map_err(|_| stored_bad())?;
                let view = self.discard(tx, maker, id, text(reason)?)?;
                CustomerId::parse(&view.aggregate_id).map_err(|_| stored_bad())
            }
        }
    }

    fn audit_approval(
        &self,
        tx: &Tx<'_>,
        actor: &UserName,
        action: &'static str,
        row: &ApprovalRow,
        reason: Option<Text>,
    ) -> Result<()> {
        let mut summary = json!({"approval_id": row.id.to_string(), "kind": row.kind.as_str(),
            "entity_id": row.entity_id.hyphenated().to_string(), "maker": row.maker.as_str()});
        if let Some(checker) = &row.checker {
            summary["checker"] = json!(checker.as_str());
        }
        tx.append_audit(&AuditEvent {
            id: AuditEventId::from_uuid(self.ids.next_id()),
            at: self.clock.now(),
            actor: actor.clone(),
            action,
            entity_kind: EntityKind::Customer,
            entity_id: *row.customer_id.as_uuid(),
            reason,
            summary: summary.to_string(),
        })?;
        Ok(())
    }

    /// The pending requests about a customer (or, with `entity`, about one case).
    pub(crate) fn pending_approvals(
        &self,
        tx: &Tx<'_>,
        customer: Option<CustomerId>,
        entity: Option<Uuid>,
    ) -> Result<Vec<ApprovalView>> {
        let filter = ApprovalFilter { state: Some(ApprovalState::Pending), kind: None, customer, entity };
        Ok(tx.list_approvals(&filter, None, 100)?.iter().map(view).collect())
    }
}

/// Identification numbers by their last four characters, answers hidden: the view shows what is
/// to be approved without repeating personal data.
fn masked(mut command: Value) -> Value {
    if let Some(ids) = command.pointer_mut("/input/identifications").and_then(Value::as_array_mut) {
        for i in ids {
            if let Some(n) = i.get("govt_id_number").and_then(Value::as_str) {
                let last4: String = n.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
                i["govt_id_number"] = json!(format!("****{last4}"));
            }
        }
    }
    if let Some(answers) = command.pointer_mut("/input/answers").and_then(Value::as_array_mut) {
        for a in answers {
            a["answer"] = json!("***");
        }
    }
    command
}

pub(crate) fn view(r: &ApprovalRow) -> ApprovalView {
    ApprovalView {
        id: r.id.to_string(),
        seq: r.seq,
        kind: r.kind.as_str(),
        entity_id: r.entity_id.hyphenated().to_string(),
        customer_id: r.customer_id.to_string(),
        command: masked(serde_json::from_str(&r.command).unwrap_or(Value::Null)),
        maker: r.maker.as_str().to_owned(),
        maker_reason: r.maker_reason.clone(),
        created_at: timestamp(r.created_at),
        state: r.state.as_str(),
        checker: r.checker.as_ref().map(|c| c.as_str().to_owned()),
        decided_at: r.decided_at.map(timestamp),
        checker_reason: r.checker_reason.clone(),
    }
}

fn parse_approval_id(raw: &str) -> Result<ApprovalId> {
    ApprovalId::parse(raw).map_err(|_| {
        Error::invalid_input(vec![Reason::field("id", "invalid_id", "id is not an approval id: expected a UUID")])
    })
}

fn refused(e: CheckRefusal) -> Error {
    let (code, message) = match e {
        CheckRefusal::NotPending => ("approval_not_pending", "the request is already decided or withdrawn"),
        CheckRefusal::SameUser => {
            ("four_eyes_same_user", "a second person must decide this request: its maker cannot approve or reject it")
        }
        CheckRefusal::NotTheMaker => ("not_the_maker", "only the maker of a request can withdraw it"),
    };
    let reasons = vec![Reason::new(code, message)];
    match e {
        CheckRefusal::NotPending => Error::Conflict(Problem::new(code, message).with_reasons(reasons)),
        CheckRefusal::SameUser | CheckRefusal::NotTheMaker => {
            Error::Rule(Problem::new(code, message).with_reasons(reasons))
        }
    }
}

fn optional_reason(raw: Option<&str>, required: bool) -> Result<Option<Text>> {
    match raw.map(str::trim) {
        None | Some("") if !required => Ok(None),
        raw => Text::parse(raw.unwrap_or(""), 1000)
            .map(Some)
            .map_err(|e| Error::invalid_input(vec![Reason::from_value_error("reason", &e)])),
    }
}

impl Dossier {
    /// Holds `held` for a second person: rehearses it as its approval will apply it (every rule
    /// and gate), refuses a second pending request of the same kind about the same entity (409
    /// `approval_pending`), and records the request with the maker and their reason.
    pub(crate) fn hold(
        &mut self,
        maker: &Actor,
        kind: ApprovalKind,
        entity: Uuid,
        held: &Held,
        reason: &Text,
    ) -> Result<ApprovalView> {
        let command = serde_json::to_string(held).map_err(|_| crate::customers::internal())?;
        let refuse_pending = |tx: &dossier_store::Tx<'_>| -> Result<()> {
            if tx.pending_approval(kind, entity)?.is_none() {
                return Ok(());
            }
            let message =
                "a request of this kind about this entity already waits for approval: decide or withdraw it first";
            Err(Error::Conflict(
                Problem::new("approval_pending", message).with_reasons(vec![Reason::new("approval_pending", message)]),
            ))
        };
        // The rehearsal runs in a transaction of its own, rolled back in full, which writes
        // nothing: a savepoint rolled back inside the request's transaction leaves every page
        // the rehearsal changed dirty, and the commit wrote them all again, unchanged (about
        // twenty of the thirty pages an EDD decision's request wrote).
        let (rehearsed, version) = self.rehearse(|env, tx| {
            refuse_pending(tx)?;
            let customer_id = env.apply(tx, maker, held)?;
            Ok((customer_id, tx.data_version()?))
        })?;
        self.write(|env, tx| {
            // Nothing committed since, so the rehearsal's checks hold; otherwise they are made
            // again against what is there now.
            let customer_id = if tx.data_version()? == version {
                rehearsed
            } else {
                refuse_pending(tx)?;
                tx.rehearse(|tx| env.apply(tx, maker, held))?
            };
            let mut row = ApprovalRow {
                seq: 0,
                id: ApprovalId::from_uuid(env.ids.next_id()),
                kind,
                entity_id: entity,
                customer_id,
                command: command.clone(),
                maker: maker.name().clone(),
                maker_reason: Some(reason.to_string()),
                created_at: env.clock.now(),
                state: ApprovalState::Pending,
                checker: None,
                decided_at: None,
                checker_reason: None,
            };
            row.seq = tx.insert_approval(&row)?;
            env.audit_approval(tx, maker.name(), "approval.requested", &row, Some(reason.clone()))?;
            Ok(view(&row))
        })
    }

    /// Approves a pending request (supervisors; never its maker: 403 `four_eyes_same_user`):
    /// the command is checked again against the present state and applied in the same
    /// transaction, recorded as the maker's, with an `approval.approved` event naming both.
    pub fn approve(&mut self, checker: &Actor, id: &str, reason: Option<&str>) -> Result<ApprovalView> {
        checker.require(Permission::Approve)?;
        let id = parse_approval_id(id)?;
        let reason = optional_reason(reason, false)?;
        self.write(|env, tx| {
            let mut row = tx.approval(id)?.ok_or_else(|| Error::not_found("approval"))?;
            let state = row.state.decide(ApprovalState::Approved, &row.maker, checker.name()).map_err(refused)?;
            let held: Held = serde_json::from_str(&row.command).map_err(|_| stored_bad())?;
            // The command is the maker's: its records (decisions, events) carry the maker's name.
            env.apply(tx, &Actor::process(row.maker.clone()), &held)?;
            let now = env.clock.now();
            tx.decide_approval(row.seq, state, checker.name(), now, reason.as_ref().map(Text::as_str))?;
            (row.state, row.checker, row.decided_at) = (state, Some(checker.name().clone()), Some(now));
            row.checker_reason = reason.as_ref().map(Text::to_string);
            env.audit_approval(tx, checker.name(), "approval.approved", &row, reason)?;
            Ok(view(&row))
        })
    }

    /// Rejects a pending request with a reason (supervisors; never its maker); nothing is applied.
    pub fn reject_approval(&mut self, checker: &Actor, id: &str, reason: Option<&str>) -> Result<ApprovalView> {
        checker.require(Permission::Approve)?;
        let id = parse_approval_id(id)?;
        let reason = optional_reason(reason, true)?;
        self.close_request(checker, id, ApprovalState::Rejected, "approval.rejected", reason)
    }

    /// The maker withdraws their own pending request; nothing is applied.
    pub fn withdraw_approval(&mut self, actor: &Actor, id: &str) -> Result<ApprovalView> {
        actor.require(Permission::Account)?;
        let id = parse_approval_id(id)?;
        self.close_request(actor, id, ApprovalState::Withdrawn, "approval.withdrawn", None)
    }

    fn close_request(
        &mut self,
        by: &Actor,
        id: ApprovalId,
        to: ApprovalState,
        action: &'static str,
        reason: Option<Text>,
    ) -> Result<ApprovalView> {
        self.write(|env, tx| {
            let mut row = tx.approval(id)?.ok_or_else(|| Error::not_found("approval"))?;
            let state = row.state.decide(to, &row.maker, by.name()).map_err(refused)?;
            let now = env.clock.now();
            tx.decide_approval(row.seq, state, by.name(), now, reason.as_ref().map(Text::as_str))?;
            (row.state, row.checker, row.decided_at) = (state, Some(by.name().clone()), Some(now));
            row.checker_reason = reason.as_ref().map(Text::to_string);
            env.audit_approval(tx, by.name(), action, &row, reason)?;
            Ok(view(&row))
        })
    }

    /// One request, decided or not.
    pub fn approval(&self, actor: &Actor, id: &str) -> Result<ApprovalView> {
        actor.require(Permission::Read)?;
        let id = parse_approval_id(id)?;
        self.read(|_, tx| Ok(view(&tx.approval(id)?.ok_or_else(|| Error::not_found("approval"))?)))
    }

    /// The approval queue: requests matching every filter, oldest first, in keyset pages.
    pub fn approvals(&self, actor: &Actor, q: &ApprovalQuery) -> Result<Page<ApprovalView>> {
        actor.require(Permission::Read)?;
        let mut f = crate::convert::Fields::default();
        let state = f.opt("state", &q.state, ApprovalState::parse);
        let kind = f.opt("kind", &q.kind, ApprovalKind::parse);
        let customer = f.opt("customer_id", &q.customer_id, |s| {
            CustomerId::parse(s).map_err(|_| ValueError::UnknownValue { allowed: "a customer id" })
        });
        f.finish()?;
        let after = seq_cursor(q.after.as_deref())?;
        let limit = page_limit(q.limit)?;
        let filter = ApprovalFilter {
            state: state.ok().flatten(),
            kind: kind.ok().flatten(),
            customer: customer.ok().flatten(),
            entity: None,
        };
        self.read(|_, tx| {
            let rows = tx.list_approvals(&filter, after, limit + 1)?;
            Ok(cut_page(rows, limit, |r| r.seq.to_string(), |r| view(&r)))
        })
    }
}
