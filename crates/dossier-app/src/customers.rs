//! Customer use cases: create, capture more data, verify contacts, the lifecycle with its gates,
//! controls, and lists. Each write is one transaction holding the change and its audit event.

use dossier_core::*;
use dossier_store::Tx;
use serde_json::json;
use ts_rs::TS;

use crate::approvals::{Held, Submitted};
use crate::convert::{self, Ctx, Fields};
use crate::dto::*;
use crate::error::{Error, Problem, Reason, Result};
use crate::{Dossier, Env};

/// The lifecycle actions that need only a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleCommand {
    Reject,
    Withdraw,
    UndoRejection,
    UndoWithdrawal,
    Close,
    Reactivate,
}

impl LifecycleCommand {
    /// Rejecting (and undoing it) is a decision; withdrawing is the customer's own wish, taken
    /// at the counter; closing and reactivating are case work.
    fn permission(self) -> Permission {
        match self {
            LifecycleCommand::Reject | LifecycleCommand::UndoRejection => Permission::Decide,
            LifecycleCommand::Withdraw | LifecycleCommand::UndoWithdrawal => Permission::Onboard,
            LifecycleCommand::Close | LifecycleCommand::Reactivate => Permission::Review,
        }
    }

    fn action(self) -> CustomerAction {
        match self {
            LifecycleCommand::Reject => CustomerAction::Reject,
            LifecycleCommand::Withdraw => CustomerAction::Withdraw,
            LifecycleCommand::UndoRejection => CustomerAction::UndoRejection,
            LifecycleCommand::UndoWithdrawal => CustomerAction::UndoWithdrawal,
            LifecycleCommand::Close => CustomerAction::Close,
            LifecycleCommand::Reactivate => CustomerAction::Reactivate,
        }
    }
}

/// Which contact to mark verified, and how it was proven.
#[derive(Debug, Clone, Default, serde::Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct VerifyContactInput {
    pub kind: Option<String>,
    pub method: Option<String>,
    /// Needed only when the customer has several unverified contacts of that kind.
    pub contact_id: Option<String>,
}

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;

pub(crate) fn parse_customer_id(raw: &str) -> Result<CustomerId> {
    CustomerId::parse(raw).map_err(|_| {
        Error::invalid_input(vec![Reason::field("id", "invalid_id", "id is not a customer id: expected a UUID")])
    })
}

/// Cuts a page from `limit + 1` fetched rows: the extra row only says that a next page exists,
/// and the cursor is taken from the last row kept.
pub(crate) fn cut_page<R, T>(
    mut rows: Vec<R>,
    limit: usize,
    cursor: impl Fn(&R) -> String,
    view: impl FnMut(R) -> T,
) -> Page<T> {
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(&cursor)
    } else {
        None
    };
    Page { items: rows.into_iter().map(view).collect(), next }
}

/// Reads a cursor that is a sequence number (audit events, outbox messages).
pub(crate) fn seq_cursor(after: Option<&str>) -> Result<Option<i64>> {
    after
        .map(|a| {
            a.parse::<i64>().map_err(|_| {
                Error::invalid_input(vec![Reason::field(
                    "after",
                    "invalid_cursor",
                    "after is not a cursor from a previous page",
                )])
            })
        })
        .transpose()
}

pub(crate) fn page_limit(limit: Option<usize>) -> Result<usize> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid_input(vec![Reason::field(
            "limit",
            "invalid_limit",
            format!("limit must be from 1 to {MAX_LIMIT}"),
        )])),
    }
}

/// A free-text reason or note; `required` makes an absent or blank one an error.
pub(crate) fn reason_text(field: &str, raw: Option<&str>, required: bool) -> Result<Option<Text>> {
    match raw.map(str::trim) {
        None | Some("") if !required => Ok(None),
        raw => Text::parse(raw.unwrap_or(""), 1000)
            .map(Some)
            .map_err(|e| Error::invalid_input(vec![Reason::from_value_error(field, &e)])),
    }
}

pub(crate) fn load(tx: &Tx<'_>, id: CustomerId) -> Result<Customer> {
    tx.customer(id)?.ok_or_else(|| Error::not_found("customer"))
}

fn unprocessable(code: &str, message: &str) -> Error {
    Error::Unprocessable(Problem::new(code, message).with_reasons(vec![Reason::new(code, message)]))
}

fn conflict(code: &str, message: &str) -> Error {
    Error::Conflict(Problem::new(code, message).with_reasons(vec![Reason::new(code, message)]))
}

impl Env {
    /// Runs `change` on one customer in the caller's transaction, then returns it as stored.
    pub(crate) fn change_customer(
        &self,
        tx: &Tx<'_>,
        id: CustomerId,
        change: impl FnOnce(&Env, &Tx<'_>, Customer) -> Result<()>,
    ) -> Result<CustomerView> {
        let customer = load(tx, id)?;
        change(self, tx, customer)?;
        tx.touch_customer(id, self.clock.now())?;
        let policy = crate::policy::load(tx)?;
        // Read back once as changed: derived values and the view both start from it.
        let customer = load(tx, id)?;
        let derived = self.refresh_derived_of(tx, &policy, &customer)?;
        self.customer_view_of(tx, &policy, &customer, &derived)
    }

    /// A lifecycle action in the caller's transaction (see [`Dossier::lifecycle`]).
    pub(crate) fn lifecycle(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        id: CustomerId,
        command: LifecycleCommand,
        reason: Text,
    ) -> Result<CustomerView> {
        let action = command.action();
        self.change_customer(tx, id, |env, tx, c| {
            let next = c.state.apply(action)?;
            tx.set_customer_state(c.id, next, env.clock.now())?;
            let audit_action = match command {
                LifecycleCommand::Reject => "customer.reject",
                LifecycleCommand::Withdraw => "customer.withdraw",
                LifecycleCommand::UndoRejection => "customer.undo_rejection",
                LifecycleCommand::UndoWithdrawal => "customer.undo_withdrawal",
                LifecycleCommand::Close => "customer.close",
                LifecycleCommand::Reactivate => "customer.reactivate",
            };
            let summary = json!({ "from": c.state.name(), "to": next.name() });
            env.audit(tx, actor, audit_action, c.id, Some(reason), summary)
        })
    }

    /// Lifts a control in the caller's transaction (see [`Dossier::remove_control`]).
    pub(crate) fn remove_control(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        id: CustomerId,
        control_id: ControlId,
        reason: Text,
    ) -> Result<CustomerView> {
        self.change_customer(tx, id, |env, tx, c| {
            let control = c.controls.iter().find(|k| k.id == control_id).ok_or_else(|| Error::not_found("control"))?;
            tx.remove_control(control.id, env.clock.now())?;
            let summary = json!({ "control_id": control.id.to_string(), "type": control.control_type.as_str() });
            env.audit(tx, actor, "customer.remove_control", c.id, Some(reason), summary)
        })
    }

    /// The customer as shown: its data, the gate checklist, and what is derived from it.
    pub(crate) fn customer_view(&self, tx: &Tx<'_>, policy: &Policy, id: CustomerId) -> Result<CustomerView> {
        let customer = load(tx, id)?;
        let derived = tx.derived(id)?;
        self.customer_view_of(tx, policy, &customer, &derived)
    }

    /// [`Env::customer_view`] of a customer and its derived values already in hand, exactly as
    /// stored.
    pub(crate) fn customer_view_of(
        &self,
        tx: &Tx<'_>,
        policy: &Policy,
        customer: &Customer,
        derived: &dossier_store::Derived,
    ) -> Result<CustomerView> {
        let id = customer.id;
        let mut view = convert::customer_view(customer, self.today());
        view.risk_rating = derived.risk_rating.as_str();
        view.identity_status = derived.identity_status.as_str();
        view.edd_status = derived.edd_status.as_str();
        view.kyc_refresh_due_on = derived.kyc_refresh_due_on.map(format_date);
        view.activity_limits = crate::kyc::limits_view(customer, derived, policy);
        view.provider_statuses = tx
            .provider_statuses_of(id)?
            .into_iter()
            .map(|(provider, status, _, at)| ProviderStatusItem {
                provider: provider.as_str(),
                status,
                fetched_at: convert::timestamp(at),
            })
            .collect();
        view.pending_approvals = self.pending_approvals(tx, Some(id), None)?;
        Ok(view)
    }

    pub(crate) fn ctx(&self) -> Ctx<'_> {
        Ctx { ids: self.ids.as_ref(), today: self.today() }
    }

    pub(crate) fn audit(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        action: &'static str,
        customer: CustomerId,
        reason: Option<Text>,
        summary: serde_json::Value,
    ) -> Result<()> {
        tx.append_audit(&AuditEvent {
            id: AuditEventId::from_uuid(self.ids.next_id()),
            at: self.clock.now(),
            actor: actor.name().clone(),
            action,
            entity_kind: EntityKind::Customer,
            entity_id: *customer.as_uuid(),
            reason,
            summary: summary.to_string(),
        })?;
        Ok(())
    }
}

/// Members linked to customers must link to existing individuals.
fn check_member_links(tx: &Tx<'_>, members: &[Member]) -> Result<()> {
    for (i, m) in members.iter().enumerate() {
        if let Some(person) = m.person_customer_id {
            let field = format!("members[{i}].person_customer_id");
            match tx.customer(person)? {
                None => {
                    let message = format!("{field}: no customer with that id");
                    return Err(Error::NotFound(
                        Problem::new("customer_not_found", &message).with_reasons(vec![Reason::field(
                            field,
                            "customer_not_found",
                            message,
                        )]),
                    ));
                }
                Some(c) if c.kind() != CustomerKind::Individual => {
                    return Err(Error::Unprocessable(
                        Problem::new("member_not_a_person", format!("{field} must be an individual customer"))
                            .with_reasons(vec![Reason::field(
                                field,
                                "member_not_a_person",
                                "a member must be an individual",
                            )]),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// 409 `ref_id_exists`: another customer has the ref id; `detail` says what to do about it.
pub(crate) fn ref_id_exists(detail: &str) -> Error {
    Error::Conflict(
        Problem::new("ref_id_exists", "a customer with this ref_id already exists: use another ref_id")
            .with_reasons(vec![Reason::field("ref_id", "ref_id_exists", detail)]),
    )
}

impl Env {
    /// Writes a new customer in the caller's transaction: its rows, the `customer.create` audit
    /// event, the outbox messages and its derived values. The caller has checked its ref id.
    /// `source` names where the customer came from when it was not typed in (`csv_import`).
    pub(crate) fn insert_new_customer(
        &self,
        tx: &Tx<'_>,
        actor: &Actor,
        policy: &Policy,
        customer: &Customer,
        source: Option<&'static str>,
    ) -> Result<()> {
        if let Party::Institution { members, .. } = &customer.party {
            check_member_links(tx, members)?;
        }
        // What refresh_derived would find after the insert, computed before it so the row is
        // written once: a new customer has no verifications and no earlier assessment, and
        // nothing can name it as a member yet, so no business's derived values change.
        let assessment = crate::derived::assess_new_customer(tx, policy, customer)?;
        tx.insert_customer(customer, &assessment.derived)?;
        let mut summary = json!({
            "type": customer.kind().as_str(),
            "state": customer.state.name(),
            "addresses": customer.addresses.len(),
            "contacts": customer.contacts.len(),
            "documents": customer.documents.len(),
            "tax_details": customer.tax.details().len(),
            "members": match &customer.party { Party::Institution { members, .. } => members.len(), Party::Person(_) => 0 },
        });
        if let Some(source) = source {
            summary["source"] = json!(source);
        }
        self.audit(tx, actor, "customer.create", customer.id, None, summary)?;
        crate::sync::enqueue(
            self,
            tx,
            Operation::CustomerCreate,
            customer.id,
            None,
            crate::sync::customer_payload(customer),
        )?;
        self.record_risk(tx, customer.id, &assessment.risk, &crate::derived::factors_json(&assessment.risk))?;
        Ok(())
    }
}

impl Dossier {
    /// Creates a customer in state `pending`. `ref_id` must be unique (409 `ref_id_exists`).
    pub fn create_customer(&mut self, actor: &Actor, input: &CreateCustomerInput) -> Result<CustomerView> {
        actor.require(Permission::Onboard)?;
        let now = self.env.clock.now();
        let id = CustomerId::from_uuid(self.env.ids.next_id());
        let customer = convert::new_customer(input, id, now, &self.env.ctx())?;
        self.check_stored(customer.documents.iter().enumerate().flat_map(|(i, d)| {
            d.files
                .iter()
                .enumerate()
                .map(move |(j, f)| (format!("documents[{i}].files[{j}].reference"), f.reference.as_str()))
        }))?;
        self.write(|env, tx| {
            if tx.customer_id_by_ref(&customer.ref_id)?.is_some() {
                return Err(ref_id_exists("ref_id is already in use: choose another"));
            }
            let policy = crate::policy::load(tx)?;
            env.insert_new_customer(tx, actor, &policy, &customer, None)?;
            env.customer_view(tx, &policy, id)
        })
    }

    /// The live checklist of the onboarding form: validates `input` and runs the verify gate on it
    /// as if the contact kinds in `verified_contacts` were verified, without writing anything.
    pub fn preview_gate(
        &self,
        actor: &Actor,
        input: &CreateCustomerInput,
        verified_contacts: &[String],
    ) -> Result<GatePreview> {
        actor.require(Permission::Read)?;
        let now = self.env.clock.now();
        let id = CustomerId::from_uuid(self.env.ids.next_id());
        Ok(match convert::new_customer(input, id, now, &self.env.ctx()) {
            Ok(mut customer) => {
                for contact in customer.contacts.iter_mut() {
                    if verified_contacts.iter().any(|k| k == contact.kind().as_str()) {
                        contact.verification =
                            Some(ContactVerification { method: ContactVerificationMethod::InPerson, verified_at: now });
                    }
                }
                GatePreview { gate: Some(convert::gate_view(&customer, self.env.today())), field_errors: Vec::new() }
            }
            Err(e) => GatePreview { gate: None, field_errors: e.body().reasons },
        })
    }

    /// One customer with everything captured and what the verify gate still lacks today.
    pub fn customer(&self, actor: &Actor, id: &str) -> Result<CustomerView> {
        actor.require(Permission::Read)?;
        let id = parse_customer_id(id)?;
        self.read(|env, tx| {
            let policy = crate::policy::load(tx)?;
            env.customer_view(tx, &policy, id)
        })
    }

    /// A page of customers, newest first, optionally in one state: the work queue with one filter.
    pub fn list_customers(
        &self,
        actor: &Actor,
        state: Option<&str>,
        limit: Option<usize>,
        after: Option<&str>,
    ) -> Result<Page<QueueItem>> {
        actor.require(Permission::Read)?;
        self.queue(
            actor,
            &QueueQuery {
                state: state.map(str::to_owned),
                limit,
                after: after.map(str::to_owned),
                ..Default::default()
            },
        )
    }

    /// Runs `change` on one customer in a write transaction, then returns it as stored.
    fn change_customer(
        &mut self,
        id: &str,
        change: impl FnOnce(&Env, &Tx<'_>, Customer) -> Result<()>,
    ) -> Result<CustomerView> {
        let id = parse_customer_id(id)?;
        self.write(|env, tx| env.change_customer(tx, id, change))
    }

    /// Adds an address. A new primary address replaces the old primary one (which stays, non-primary).
    pub fn add_address(&mut self, actor: &Actor, id: &str, input: &AddressInput) -> Result<CustomerView> {
        actor.require(Permission::Onboard)?;
        let mut f = Fields::default();
        let address = convert::address(&mut f, "address", input, &self.env.ctx());
        f.finish()?;
        let address = address.ok_or_else(internal)?;
        self.change_customer(id, |env, tx, c| {
            let replaced = c.addresses.iter().find(|a| a.primary && address.primary).map(|a| a.id.to_string());
            if address.primary {
                tx.clear_primary_address(c.id)?;
            }
            tx.insert_address(c.id, &address)?;
            let summary = json!({
                "address_id": address.id.to_string(), "kind": address.kind.as_str(),
                "primary": address.primary, "country": address.country.as_str(), "replaced_primary": replaced,
            });
            env.audit(tx, actor, "customer.add_address", c.id, None, summary)
        })
    }

    pub fn add_contact(&mut self, actor: &Actor, id: &str, input: &ContactInput) -> Result<CustomerView> {
        actor.require(Permission::Onboard)?;
        let mut f = Fields::default();
        let contact = convert::contact(&mut f, "contact", input, &self.env.ctx());
        f.finish()?;
        let contact = contact.ok_or_else(internal)?;
        self.change_customer(id, |env, tx, c| {
            // Addresses differing only in letter case reach the same mailbox in practice.
            if c.contacts.iter().any(|k| k.value.as_str().eq_ignore_ascii_case(contact.value.as_str())) {
                return Err(conflict("contact_exists", "the customer already has this contact"));
            }
            tx.insert_contact(c.id, &contact)?;
            let summary = json!({ "contact_id": contact.id.to_string(), "kind": contact.kind().as_str() });
            env.audit(tx, actor, "customer.add_contact", c.id, None, summary)
        })
    }

    pub fn add_document(&mut self, actor: &Actor, id: &str, input: &DocumentInput) -> Result<CustomerView> {
        actor.require(Permission::Onboard)?;
        let mut f = Fields::default();
        let document = convert::document(&mut f, "document", input, &self.env.ctx());
        f.finish()?;
        let document = document.ok_or_else(internal)?;
        self.check_stored(
            document
                .files
                .iter()
                .enumerate()
                .map(|(j, f)| (format!("document.files[{j}].reference"), f.reference.as_str())),
        )?;
        self.change_customer(id, |env, tx, c| {
            tx.insert_document(c.id, &document)?;
            let summary = json!({
                "document_id": document.id.to_string(), "type": document.document_type.as_str(),
                "issuing_country": document.issuing_country.as_str(), "files": document.files.len(),
            });
            env.audit(tx, actor, "customer.add_document", c.id, None, summary)
        })
    }

    /// Adds a tax detail; it also withdraws a previous "tax details not required" statement.
    pub fn add_tax_detail(&mut self, actor: &Actor, id: &str, input: &TaxDetailInput) -> Result<CustomerView> {
        actor.require(Permission::Onboard)?;
        let mut f = Fields::default();
        let detail = convert::tax_detail(&mut f, "tax_detail", input, &self.env.ctx());
        f.finish()?;
        let detail = detail.ok_or_else(internal)?;
        self.change_customer(id, |env, tx, c| {
            let was_not_required = matches!(c.tax, TaxDetails::NotRequired);
            if was_not_required {
                tx.set_tax_details_not_required(c.id, false)?;
            }
            tx.insert_tax_detail(c.id, &detail)?;
            let summary = json!({
                "tax_detail_id": detail.id.to_string(), "tax_id_type": detail.tax_id_type.as_str(),
                "country": detail.country.as_str(), "cleared_not_required": was_not_required,
            });
            env.audit(tx, actor, "customer.add_tax_detail", c.id, None, summary)
        })
    }

    /// Adds a member to a business customer.
    pub fn add_member(&mut self, actor: &Actor, id: &str, input: &MemberInput) -> Result<CustomerView> {
        actor.require(Permission::Onboard)?;
        let mut f = Fields::default();
        let member = convert::member(&mut f, "member", input, &self.env.ctx());
        f.finish()?;
        let member = member.ok_or_else(internal)?;
        self.change_customer(id, |env, tx, c| {
            let Party::Institution { members, .. } = &c.party else {
                return Err(unprocessable("not_a_business", "only business customers have members"));
            };
            let mut all = members.clone();
            all.push(member.clone());
            let mut f = Fields::default();
            convert::check_ownership(&mut f, "member.ownership_percentage", &all);
            f.finish()?;
            check_member_links(tx, std::slice::from_ref(&member))?;
            tx.insert_member(c.id, &member)?;
            let summary = json!({
                "member_id": member.id.to_string(),
                "roles": member.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "ownership_percentage": member.ownership_percentage.map(|p| p.value().to_string()),
                "is_control_person": member.is_control_person,
            });
            env.audit(tx, actor, "customer.add_member", c.id, None, summary)
        })
    }

    /// Marks an email or mobile number as verified, recording how.
    pub fn verify_contact(&mut self, actor: &Actor, id: &str, input: &VerifyContactInput) -> Result<CustomerView> {
        actor.require(Permission::Onboard)?;
        let mut f = Fields::default();
        let kind = f.req("kind", &input.kind, ContactKind::parse);
        let method = f.req("method", &input.method, ContactVerificationMethod::parse);
        let contact_id = f.opt("contact_id", &input.contact_id, |s| {
            ContactId::parse(s).map_err(|_| ValueError::UnknownValue { allowed: "a contact id" })
        });
        f.finish()?;
        let (kind, method, contact_id) =
            (kind.ok_or_else(internal)?, method.ok_or_else(internal)?, contact_id.map_err(|_| internal())?);
        self.change_customer(id, |env, tx, c| {
            let of_kind: Vec<&Contact> = c.contacts.iter().filter(|k| k.kind() == kind).collect();
            let target = match contact_id {
                Some(cid) => *of_kind.iter().find(|k| k.id == cid).ok_or_else(|| Error::not_found("contact"))?,
                None => {
                    let unverified: Vec<&&Contact> = of_kind.iter().filter(|k| !k.is_verified()).collect();
                    match (of_kind.is_empty(), unverified.as_slice()) {
                        (true, _) => {
                            return Err(unprocessable(
                                "contact_missing",
                                &format!("the customer has no {kind} contact: add one first"),
                            ));
                        }
                        (false, []) => {
                            return Err(conflict(
                                "contact_already_verified",
                                &format!("the customer's {kind} is already verified"),
                            ));
                        }
                        (false, [one]) => **one,
                        (false, _) => {
                            return Err(unprocessable(
                                "contact_ambiguous",
                                &format!(
                                    "the customer has several unverified {kind} contacts: name one with contact_id"
                                ),
                            ));
                        }
                    }
                }
            };
            if target.is_verified() {
                return Err(conflict("contact_already_verified", "that contact is already verified"));
            }
            let verification = ContactVerification { method, verified_at: env.clock.now() };
            tx.set_contact_verified(target.id, verification)?;
            let summary =
                json!({ "contact_id": target.id.to_string(), "kind": kind.as_str(), "method": method.as_str() });
            env.audit(tx, actor, "customer.verify_contact", c.id, None, summary)
        })
    }

    /// Verifies a customer at `partial` or `full` level: the lifecycle must allow it (pending,
    /// or an upgrade from partial to full) and the verify gate must pass, else 403 with every
    /// missing item.
    pub fn verify(&mut self, actor: &Actor, id: &str, level: &str, note: Option<&str>) -> Result<CustomerView> {
        actor.require(Permission::Verify)?;
        let level = VerificationLevel::parse(level)
            .map_err(|e| Error::invalid_input(vec![Reason::from_value_error("level", &e)]))?;
        let note = reason_text("note", note, false)?;
        self.change_customer(id, |env, tx, c| {
            let next = c.state.apply(CustomerAction::Verify(level))?;
            let missing = verify_gate(&c, level, env.today());
            if !missing.is_empty() {
                return Err(Error::gate_refused("verify", &missing));
            }
            tx.set_customer_state(c.id, next, env.clock.now())?;
            crate::sync::enqueue(
                env,
                tx,
                Operation::CustomerVerify,
                c.id,
                None,
                crate::sync::verify_payload(&c, level),
            )?;
            let summary = json!({ "from": c.state.name(), "to": next.name(), "level": level.as_str() });
            env.audit(tx, actor, "customer.verify", c.id, note, summary)
        })
    }

    /// Activates a verified customer, after re-checking the gate at its level and its controls.
    pub fn activate(&mut self, actor: &Actor, id: &str) -> Result<CustomerView> {
        actor.require(Permission::Activate)?;
        self.change_customer(id, |env, tx, c| {
            let next = c.state.apply(CustomerAction::Activate)?;
            let missing = activate_gate(&c, env.today());
            if !missing.is_empty() {
                return Err(Error::gate_refused("activate", &missing));
            }
            tx.set_customer_state(c.id, next, env.clock.now())?;
            let payload = json!({"v": 1, "activation_date": format_date(env.today())});
            crate::sync::enqueue(env, tx, Operation::CustomerActivate, c.id, None, payload)?;
            let summary = json!({ "from": c.state.name(), "to": next.name(), "level": next.level().map(VerificationLevel::as_str) });
            env.audit(tx, actor, "customer.activate", c.id, None, summary)
        })
    }

    /// Reject, withdraw, close, reactivate, undo a rejection or a withdrawal; a reason is required.
    /// Undoing a rejection needs a second person: it is checked in full and held for approval.
    pub fn lifecycle(
        &mut self,
        actor: &Actor,
        id: &str,
        command: LifecycleCommand,
        reason: Option<&str>,
    ) -> Result<Submitted<CustomerView>> {
        actor.require(command.permission())?;
        let reason = reason_text("reason", reason, true)?.ok_or_else(internal)?;
        let id = parse_customer_id(id)?;
        if command == LifecycleCommand::UndoRejection {
            let held = Held::UndoRejection { customer_id: id.to_string(), reason: reason.to_string() };
            return self
                .hold(actor, ApprovalKind::UndoRejection, *id.as_uuid(), &held, &reason)
                .map(Submitted::pending);
        }
        self.write(|env, tx| env.lifecycle(tx, actor, id, command, reason)).map(Submitted::Applied)
    }

    /// Places a control (dormant, frozen, closed, denied) on a customer. One of each type at a time.
    pub fn add_control(
        &mut self,
        actor: &Actor,
        id: &str,
        input: &ControlInput,
        reason: Option<&str>,
    ) -> Result<CustomerView> {
        actor.require(Permission::Review)?;
        let reason = reason_text("reason", reason, true)?;
        let mut f = Fields::default();
        let control_type = f.req("type", &input.control_type, ControlType::parse);
        let set_by = f.req("set_by", &input.set_by, ControlSetBy::parse);
        let reason_code = f.req("reason_code", &input.reason_code, ControlReasonCode::parse);
        f.finish()?;
        let control = Control {
            id: ControlId::from_uuid(self.env.ids.next_id()),
            control_type: control_type.ok_or_else(internal)?,
            set_by: set_by.ok_or_else(internal)?,
            reason_code: reason_code.ok_or_else(internal)?,
            created_at: self.env.clock.now(),
        };
        self.change_customer(id, |env, tx, c| {
            if c.has_control(control.control_type) {
                return Err(conflict(
                    "control_exists",
                    &format!("the customer already has a {} control", control.control_type),
                ));
            }
            tx.insert_control(c.id, &control)?;
            let summary = json!({
                "control_id": control.id.to_string(), "type": control.control_type.as_str(),
                "set_by": control.set_by.as_str(), "reason_code": control.reason_code.as_str(),
            });
            env.audit(tx, actor, "customer.add_control", c.id, reason, summary)
        })
    }

    /// Lifts a control; the control stays in history with the time it was lifted. Lifting a
    /// `frozen` or `denied` control needs a second person: it is checked and held for approval.
    pub fn remove_control(
        &mut self,
        actor: &Actor,
        id: &str,
        control_id: &str,
        reason: Option<&str>,
    ) -> Result<Submitted<CustomerView>> {
        actor.require(Permission::Review)?;
        let reason = reason_text("reason", reason, true)?.ok_or_else(internal)?;
        let control_id = ControlId::parse(control_id).map_err(|_| {
            Error::invalid_input(vec![Reason::field("control_id", "invalid_id", "control_id is not a control id")])
        })?;
        let id = parse_customer_id(id)?;
        let control_type = self.read(|_, tx| {
            let c = load(tx, id)?;
            let control = c.controls.iter().find(|k| k.id == control_id).ok_or_else(|| Error::not_found("control"))?;
            Ok(control.control_type)
        })?;
        if matches!(control_type, ControlType::Frozen | ControlType::Denied) {
            let held = Held::ControlRemoval {
                customer_id: id.to_string(),
                control_id: control_id.to_string(),
                reason: reason.to_string(),
            };
            let entity = *control_id.as_uuid();
            return self.hold(actor, ApprovalKind::ControlRemoval, entity, &held, &reason).map(Submitted::pending);
        }
        self.write(|env, tx| env.remove_control(tx, actor, id, control_id, reason)).map(Submitted::Applied)
    }
}

/// A conversion reported no error yet produced no value: a bug, not bad input.
pub(crate) fn internal() -> Error {
    Error::Unexpected(Problem::new("internal_error", "the input passed validation but could not be used: report this"))
}
