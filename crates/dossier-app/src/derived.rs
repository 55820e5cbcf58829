//! Keeps each customer's derived columns (risk rating, identity status, EDD status, next KYC
//! refresh) true after every change, in the same transaction, so the work queues can filter on
//! them through indexes.

use dossier_core::*;
use dossier_store::{Derived, Tx};
use serde_json::json;
use time::Date;

use crate::Env;
use crate::error::Result;

/// Everything derived about one customer, with the reasons.
pub(crate) struct Assessment {
    pub risk: RiskAssessment,
    pub details: Vec<StatusDetail>,
    pub derived: Derived,
}

/// Computes the derived values of `customer` without writing anything.
pub(crate) fn assess_customer(
    tx: &Tx<'_>,
    policy: &Policy,
    customer: &Customer,
    verified_on: Option<Date>,
) -> Result<Assessment> {
    let verifications = tx.verifications_of(customer.id)?;
    let members = member_statuses(tx, customer)?;
    Ok(assess_facts(policy, customer, &verifications, members, verified_on))
}

/// The derived values of a customer about to be inserted, for the insert to write them: it has
/// no verifications, no earlier assessment and no derived values yet, so only the people
/// behind its members are read.
pub(crate) fn assess_new_customer(tx: &Tx<'_>, policy: &Policy, customer: &Customer) -> Result<Assessment> {
    let verified_on = verified_on_after(customer.state, customer.state_changed_at, None);
    let members = member_statuses(tx, customer)?;
    Ok(assess_facts(policy, customer, &[], members, verified_on))
}

/// The identity status of the person behind each member of a business (none for a person).
fn member_statuses(tx: &Tx<'_>, customer: &Customer) -> Result<Vec<(MemberId, Option<IdentityStatus>)>> {
    let Party::Institution { members, .. } = &customer.party else { return Ok(Vec::new()) };
    let mut out = Vec::with_capacity(members.len());
    for m in members {
        let status = match m.person_customer_id {
            Some(person) => tx.identity_status_of(person)?,
            None => None,
        };
        out.push((m.id, status));
    }
    Ok(out)
}

/// The derived values from facts in hand: the customer, its verifications (oldest first), the
/// identity status of the person behind each member, and the date it was last verified on.
/// [`assess_customer`] reads these from the database; the data generator has them in memory.
pub(crate) fn assess_facts(
    policy: &Policy,
    customer: &Customer,
    verifications: &[Verification],
    members: Vec<(MemberId, Option<IdentityStatus>)>,
    verified_on: Option<Date>,
) -> Assessment {
    let risk = assess(customer, customer.politically_exposed, &policy.risk);
    let facts = IdentityFacts {
        state: customer.state,
        controls: &customer.controls,
        risk: risk.rating,
        verifications,
        members,
    };
    let details = status_details(&facts);
    let identity_status = derive_status(&details);
    let kyc_refresh_due_on =
        customer.last_kyc_refresh_date.or(verified_on).and_then(|from| refresh_due(from, risk.rating, policy));
    let derived = Derived {
        risk_rating: risk.rating,
        identity_status,
        edd_status: edd_status(verifications),
        kyc_refresh_due_on,
        verified_on,
    };
    Assessment { risk, details, derived }
}

/// When the next periodic KYC refresh falls due after one on `from`, by the policy's interval
/// for the rating; never for a PROHIBITED customer.
pub(crate) fn refresh_due(from: Date, rating: RiskRating, policy: &Policy) -> Option<Date> {
    let years = match rating {
        RiskRating::Low => policy.refresh_years[0],
        RiskRating::Medium => policy.refresh_years[1],
        RiskRating::High => policy.refresh_years[2],
        RiskRating::Prohibited => return None,
    };
    from.replace_year(from.year() + years).ok().or_else(|| {
        // 29 February plus a non-leap number of years: due on 28 February.
        from.replace_day(28).ok().and_then(|d| d.replace_year(from.year() + years).ok())
    })
}

/// The date a customer was last verified on, after a change that left it in `state`: becoming
/// verified (or upgraded to full) moves it to the day of the change; activation and every other
/// change keep the date it had.
pub(crate) fn verified_on_after(
    state: CustomerState,
    state_changed_at: time::OffsetDateTime,
    before: Option<Date>,
) -> Option<Date> {
    match state {
        CustomerState::Verified { .. } => Some(state_changed_at.date()),
        CustomerState::Active { .. } => before.or(Some(state_changed_at.date())),
        _ => before,
    }
}

pub(crate) fn factors_json(risk: &RiskAssessment) -> String {
    json!(
        risk.factors
            .iter()
            .map(|f| json!({"code": f.code.as_str(), "points": f.points, "detail": f.detail}))
            .collect::<Vec<_>>()
    )
    .to_string()
}

impl Env {
    /// Appends a risk assessment to the customer's history.
    pub(crate) fn record_risk(&self, tx: &Tx<'_>, id: CustomerId, risk: &RiskAssessment, factors: &str) -> Result<()> {
        let assessment = RiskAssessmentId::from_uuid(self.ids.next_id());
        tx.insert_risk_assessment(assessment, id, risk, factors, self.clock.now())?;
        Ok(())
    }

    /// Recomputes and stores the derived values of a customer, records a new risk assessment
    /// when the assessment changed, and follows a changed identity status to the businesses the
    /// customer is a member of.
    pub(crate) fn refresh_derived(&self, tx: &Tx<'_>, policy: &Policy, id: CustomerId) -> Result<Derived> {
        let Some(customer) = tx.customer(id)? else { return Err(crate::Error::not_found("customer")) };
        self.refresh_derived_of(tx, policy, &customer)
    }

    /// [`Env::refresh_derived`] for a customer already in hand exactly as stored (one just
    /// inserted), which saves reading it back.
    pub(crate) fn refresh_derived_of(&self, tx: &Tx<'_>, policy: &Policy, customer: &Customer) -> Result<Derived> {
        let id = customer.id;
        let before = tx.derived(id)?;
        let verified_on = verified_on_after(customer.state, customer.state_changed_at, before.verified_on);
        let a = assess_customer(tx, policy, customer, verified_on)?;
        let factors = factors_json(&a.risk);
        let changed_risk = match tx.latest_risk_assessment(id)? {
            Some((rating, score, stored, _)) => rating != a.risk.rating || score != a.risk.score || stored != factors,
            None => true,
        };
        if changed_risk {
            self.record_risk(tx, id, &a.risk, &factors)?;
        }
        if a.derived != before {
            tx.set_derived(id, &before, &a.derived)?;
        }
        if a.derived.identity_status != before.identity_status && customer.kind() == CustomerKind::Individual {
            for business in tx.businesses_with_member(id)? {
                self.refresh_derived(tx, policy, business)?;
            }
        }
        Ok(a.derived)
    }
}
