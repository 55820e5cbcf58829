//! Bulk loading of many customers into a database that has none yet (`dossier dev generate`).
//!
//! Rows are written exactly as the repository methods write them (same columns, positions and
//! encodings), but through statements prepared once per batch and one large transaction per
//! batch. While a [`BulkLoad`] is alive the connection runs with `synchronous=OFF` and a larger
//! page cache: in WAL mode a crash of the process still loses nothing committed, and only an
//! operating-system crash could damage the file, which holds nothing but generated data yet.
//! Dropping the `BulkLoad` restores the house pragmas.

use std::collections::BTreeMap;

use dossier_core::*;
use rusqlite::{TransactionBehavior, params};
use time::OffsetDateTime;

use crate::codec;
use crate::customers::blob;
use crate::kyc::Derived;
use crate::{Result, Store, Tx};

/// The latest risk assessment of a bulk-loaded customer.
#[derive(Debug, Clone)]
pub struct BulkRisk {
    pub id: RiskAssessmentId,
    pub assessment: RiskAssessment,
    pub factors_json: String,
    pub at: OffsetDateTime,
}

/// One customer with everything that hangs off it, as the app would have stored it.
#[derive(Debug, Clone)]
pub struct BulkCustomer {
    pub customer: Customer,
    pub derived: Derived,
    /// Controls that were placed and lifted again (kept as history), with the time lifted.
    pub lifted_controls: Vec<(Control, OffsetDateTime)>,
    /// Oldest first.
    pub verifications: Vec<Verification>,
    pub evidence: Vec<Evidence>,
    pub notes: Vec<Note>,
    pub decisions: Vec<Decision>,
    pub risk: BulkRisk,
}

/// One transaction's worth of customers, and the audit events to append after them, in the
/// order they happened.
#[derive(Debug, Clone, Default)]
pub struct BulkBatch {
    pub customers: Vec<BulkCustomer>,
    pub audit: Vec<AuditEvent>,
}

/// Rows written per table.
pub type RowCounts = BTreeMap<&'static str, u64>;

impl Tx<'_> {
    /// Whether the database holds any customer at all.
    pub fn has_customers(&self) -> Result<bool> {
        Ok(self.conn().prepare_cached("SELECT EXISTS (SELECT 1 FROM customers)")?.query_row([], |r| r.get(0))?)
    }
}

/// A bulk load in progress: the connection runs with bulk pragmas until this is dropped.
pub struct BulkLoad<'s> {
    store: &'s mut Store,
    counts: RowCounts,
}

impl Store {
    /// Starts a bulk load: `synchronous=OFF` and a 128 MiB page cache until the returned guard
    /// is finished or dropped.
    pub fn bulk_load(&mut self) -> Result<BulkLoad<'_>> {
        self.conn.pragma_update(None, "synchronous", "OFF")?;
        self.conn.pragma_update(None, "cache_size", -131_072)?;
        Ok(BulkLoad { store: self, counts: RowCounts::new() })
    }
}

impl BulkLoad<'_> {
    /// Writes one batch in one transaction: all of it, or nothing.
    pub fn insert(&mut self, batch: &BulkBatch) -> Result<()> {
        let tx = self.store.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut counts = RowCounts::new();
        insert_batch(&tx, batch, &mut counts)?;
        tx.commit()?;
        for (table, n) in counts {
            *self.counts.entry(table).or_default() += n;
        }
        Ok(())
    }

    /// Ends the load: restores the house pragmas and folds the write-ahead log back into the
    /// database file. Returns the rows written per table.
    pub fn finish(mut self) -> Result<RowCounts> {
        restore(&self.store.conn)?;
        self.store.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(std::mem::take(&mut self.counts))
    }
}

impl Drop for BulkLoad<'_> {
    fn drop(&mut self) {
        // Already restored by `finish`, or the load failed: either way the house pragmas return.
        let _ = restore(&self.store.conn);
    }
}

fn restore(conn: &rusqlite::Connection) -> Result<()> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -2_000)?;
    Ok(())
}

fn codes_text<'a>(codes: impl IntoIterator<Item = &'a FailureCodeValue>) -> String {
    codes.into_iter().map(FailureCodeValue::as_str).collect::<Vec<_>>().join(",")
}

fn opt_text(t: &Option<Text>) -> Option<&str> {
    t.as_ref().map(Text::as_str)
}

fn insert_batch(tx: &rusqlite::Transaction<'_>, batch: &BulkBatch, counts: &mut RowCounts) -> Result<()> {
    let mut customers = tx.prepare_cached(
        "INSERT INTO customers (id, kind, ref_id, state, verification_level, state_changed_at, display_name,
            is_merchant, tax_details_not_required, last_kyc_refresh_date, metadata, created_at, updated_at,
            politically_exposed, risk_rating, identity_status, edd_status, kyc_refresh_due_on, verified_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    )?;
    let mut persons = tx.prepare_cached(
        "INSERT INTO persons (customer_id, first_name, middle_name, last_name, date_of_birth,
            country_of_citizenship, country_of_birth, occupation) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut institutions = tx.prepare_cached(
        "INSERT INTO institutions (customer_id, legal_name, doing_business_as_name, incorporation_date,
            country_of_formation, industry_type, legal_entity_type, website, business_description)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut members = tx.prepare_cached(
        "INSERT INTO institution_members (id, customer_id, position, first_name, last_name, title, roles,
            ownership_percentage, date_of_birth, is_control_person, person_customer_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut addresses = tx.prepare_cached(
        "INSERT INTO addresses (id, customer_id, position, kind, is_primary, street_address, street_address_2,
            city, state, postal_code, country) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut contacts = tx.prepare_cached(
        "INSERT INTO contacts (id, customer_id, position, kind, value, verification_method, verified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut documents = tx.prepare_cached(
        "INSERT INTO identity_documents (id, customer_id, position, document_type, number, issuing_country,
            issued_on, expires_on, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut files = tx.prepare_cached(
        "INSERT INTO document_files (document_id, position, role, reference) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut taxes = tx.prepare_cached(
        "INSERT INTO tax_details (id, customer_id, position, tax_id_type, tax_id, country)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut due_diligence = tx.prepare_cached(
        "INSERT INTO due_diligence (customer_id, source_of_funds, source_of_wealth, purpose_of_account,
            expected_activity_level) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut controls = tx.prepare_cached(
        "INSERT INTO controls (id, customer_id, control_type, set_by, reason_code, created_at, removed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut verifications = tx.prepare_cached(
        "INSERT INTO identity_verifications (id, customer_id, verification_type, method, state, outcome,
            failure_codes, completed_at, expired_at, external_reference, expires_at, assignee, sla_due_at,
            snoozed_until, checklist, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?;
    let mut checks = tx.prepare_cached(
        "INSERT INTO compliance_checks (verification_id, position, check_type, outcome, failure_codes)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut compliance_decisions = tx.prepare_cached(
        "INSERT INTO compliance_decisions (verification_id, position, decision_type, state, failure_codes, expired_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut evidence = tx.prepare_cached(
        "INSERT INTO edd_evidence (id, verification_id, item, reference, description, added_by, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut notes = tx.prepare_cached(
        "INSERT INTO case_notes (id, verification_id, author, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut decisions = tx.prepare_cached(
        "INSERT INTO decisions (id, customer_id, verification_id, kind, outcome, reason, failure_codes, evidence,
            decided_by, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut risks = tx.prepare_cached(
        "INSERT INTO risk_assessments (id, customer_id, rating, score, factors, assessed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut audit = tx.prepare_cached(
        "INSERT INTO audit_events (id, at, actor, action, entity_kind, entity_id, reason, summary)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;

    let mut count = |table: &'static str| *counts.entry(table).or_default() += 1;
    for b in &batch.customers {
        let c = &b.customer;
        let id = blob(c.id.as_bytes());
        let d = &b.derived;
        customers.execute(params![
            id,
            c.kind().as_str(),
            c.ref_id.as_str(),
            c.state.name(),
            c.state.level().map(VerificationLevel::as_str),
            codec::timestamp(c.state_changed_at),
            c.party.display_name(),
            c.is_merchant,
            matches!(c.tax, TaxDetails::NotRequired),
            c.last_kyc_refresh_date.map(codec::date),
            serde_json::to_string(&c.metadata).expect("a string map always serializes"),
            codec::timestamp(c.created_at),
            codec::timestamp(c.updated_at),
            c.politically_exposed,
            d.risk_rating.as_str(),
            d.identity_status.as_str(),
            d.edd_status.as_str(),
            d.kyc_refresh_due_on.map(codec::date),
            d.verified_on.map(codec::date),
        ])?;
        count("customers");
        match &c.party {
            Party::Person(p) => {
                persons.execute(params![
                    id,
                    p.first_name.as_str(),
                    opt_text(&p.middle_name),
                    p.last_name.as_str(),
                    codec::date(p.date_of_birth),
                    p.country_of_citizenship.as_ref().map(CountryCode::as_str),
                    p.country_of_birth.as_ref().map(CountryCode::as_str),
                    opt_text(&p.occupation),
                ])?;
                count("persons");
            }
            Party::Institution { details: i, members: list } => {
                institutions.execute(params![
                    id,
                    i.legal_name.as_str(),
                    opt_text(&i.doing_business_as_name),
                    i.incorporation_date.map(codec::date),
                    i.country_of_formation.as_str(),
                    opt_text(&i.industry_type),
                    opt_text(&i.legal_entity_type),
                    opt_text(&i.website),
                    opt_text(&i.business_description),
                ])?;
                count("institutions");
                for (n, m) in list.iter().enumerate() {
                    let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
                    members.execute(params![
                        blob(m.id.as_bytes()),
                        id,
                        n as i64 + 1,
                        m.first_name.as_str(),
                        m.last_name.as_str(),
                        opt_text(&m.title),
                        roles.join(","),
                        m.ownership_percentage.map(|p| p.value().to_string()),
                        m.date_of_birth.map(codec::date),
                        m.is_control_person,
                        m.person_customer_id.as_ref().map(|p| p.as_bytes().as_slice()),
                    ])?;
                    count("institution_members");
                }
            }
        }
        for (n, a) in c.addresses.iter().enumerate() {
            addresses.execute(params![
                blob(a.id.as_bytes()),
                id,
                n as i64 + 1,
                a.kind.as_str(),
                a.primary,
                a.street_address.as_str(),
                opt_text(&a.street_address_2),
                a.city.as_str(),
                opt_text(&a.state),
                opt_text(&a.postal_code),
                a.country.as_str(),
            ])?;
            count("addresses");
        }
        for (n, k) in c.contacts.iter().enumerate() {
            contacts.execute(params![
                blob(k.id.as_bytes()),
                id,
                n as i64 + 1,
                k.kind().as_str(),
                k.value.as_str(),
                k.verification.map(|v| v.method.as_str()),
                k.verification.map(|v| codec::timestamp(v.verified_at)),
            ])?;
            count("contacts");
        }
        for (n, doc) in c.documents.iter().enumerate() {
            documents.execute(params![
                blob(doc.id.as_bytes()),
                id,
                n as i64 + 1,
                doc.document_type.as_str(),
                doc.number.as_str(),
                doc.issuing_country.as_str(),
                doc.issued_on.map(codec::date),
                doc.expires_on.map(codec::date),
                doc.status.as_str(),
            ])?;
            count("identity_documents");
            for (f, file) in doc.files.iter().enumerate() {
                files.execute(params![
                    blob(doc.id.as_bytes()),
                    f as i64 + 1,
                    file.role.as_str(),
                    file.reference.as_str()
                ])?;
                count("document_files");
            }
        }
        for (n, t) in c.tax.details().iter().enumerate() {
            taxes.execute(params![
                blob(t.id.as_bytes()),
                id,
                n as i64 + 1,
                t.tax_id_type.as_str(),
                t.tax_id.as_str(),
                t.country.as_str(),
            ])?;
            count("tax_details");
        }
        if let Some(dd) = &c.due_diligence {
            due_diligence.execute(params![
                id,
                opt_text(&dd.source_of_funds),
                opt_text(&dd.source_of_wealth),
                opt_text(&dd.purpose_of_account),
                dd.expected_activity_level.map(ExpectedActivity::as_str),
            ])?;
            count("due_diligence");
        }
        let in_force = c.controls.iter().map(|k| (k, None));
        let lifted = b.lifted_controls.iter().map(|(k, at)| (k, Some(*at)));
        for (k, removed_at) in in_force.chain(lifted) {
            controls.execute(params![
                blob(k.id.as_bytes()),
                id,
                k.control_type.as_str(),
                k.set_by.as_str(),
                k.reason_code.as_str(),
                codec::timestamp(k.created_at),
                removed_at.map(codec::timestamp),
            ])?;
            count("controls");
        }
        for v in &b.verifications {
            let (completed_at, expired_at) = match &v.state {
                VerificationState::Completed { completed_at, .. } => (Some(codec::timestamp(*completed_at)), None),
                VerificationState::Expired { expired_at } => (None, Some(codec::timestamp(*expired_at))),
                _ => (None, None),
            };
            let vid = blob(v.id.as_bytes());
            verifications.execute(params![
                vid,
                id,
                v.verification_type.as_str(),
                v.method.as_str(),
                v.state.name(),
                v.state.outcome().map(Outcome::as_str),
                codes_text(v.state.failure_codes()),
                completed_at,
                expired_at,
                opt_text(&v.external_reference),
                v.expires_at.map(codec::timestamp),
                v.assignee.as_ref().map(Actor::as_str),
                v.sla_due_at.map(codec::timestamp),
                v.snoozed_until.map(codec::date),
                v.checklist.join(","),
                codec::timestamp(v.created_at),
                codec::timestamp(v.updated_at),
            ])?;
            count("identity_verifications");
            for (n, k) in v.compliance_checks.iter().enumerate() {
                checks.execute(params![
                    vid,
                    n as i64,
                    k.check_type.as_str(),
                    k.outcome.as_str(),
                    codes_text(&k.failure_codes)
                ])?;
                count("compliance_checks");
            }
            for (n, k) in v.compliance_decisions.iter().enumerate() {
                compliance_decisions.execute(params![
                    vid,
                    n as i64,
                    k.decision_type.as_str(),
                    k.state.as_str(),
                    codes_text(&k.failure_codes),
                    k.expired_at.map(codec::timestamp),
                ])?;
                count("compliance_decisions");
            }
        }
        for e in &b.evidence {
            evidence.execute(params![
                blob(e.id.as_bytes()),
                blob(e.verification_id.as_bytes()),
                e.item,
                e.reference.as_str(),
                opt_text(&e.description),
                e.added_by.as_str(),
                codec::timestamp(e.added_at),
            ])?;
            count("edd_evidence");
        }
        for n in &b.notes {
            notes.execute(params![
                blob(n.id.as_bytes()),
                blob(n.verification_id.as_bytes()),
                n.author.as_str(),
                n.text.as_str(),
                codec::timestamp(n.created_at),
            ])?;
            count("case_notes");
        }
        for d in &b.decisions {
            decisions.execute(params![
                blob(d.id.as_bytes()),
                id,
                d.verification_id.as_ref().map(|v| v.as_bytes().as_slice()),
                d.kind.as_str(),
                d.outcome.as_str(),
                d.reason.as_str(),
                codes_text(&d.failure_codes),
                d.evidence.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(","),
                d.decided_by.as_str(),
                codec::timestamp(d.decided_at),
            ])?;
            count("decisions");
        }
        let r = &b.risk;
        risks.execute(params![
            blob(r.id.as_bytes()),
            id,
            r.assessment.rating.as_str(),
            r.assessment.score,
            r.factors_json,
            codec::timestamp(r.at),
        ])?;
        count("risk_assessments");
    }
    for e in &batch.audit {
        audit.execute(params![
            e.id.as_bytes().as_slice(),
            codec::timestamp(e.at),
            e.actor.as_str(),
            e.action,
            e.entity_kind.as_str(),
            e.entity_id.as_bytes().as_slice(),
            e.reason.as_ref().map(Text::as_str),
            e.summary,
        ])?;
        count("audit_events");
    }
    Ok(())
}
