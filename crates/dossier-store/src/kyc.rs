//! Verifications (EDD cases included) with their compliance checks and decisions, case work
//! (evidence, notes, appended decisions), perform-KYC results, risk assessments, settings, the
//! customers' derived columns, and the work-queue query.

use dossier_core::*;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params};
use time::{Date, OffsetDateTime};

use crate::codec::{self, OrCorrupt};
use crate::customers::{blob, id_from};
use crate::{Result, Tx};

fn codes_text<'a>(codes: impl IntoIterator<Item = &'a str>) -> String {
    codes.into_iter().collect::<Vec<_>>().join(",")
}

fn split(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').filter(|s| !s.is_empty())
}

fn failure_codes(text: &str, table: &'static str, column: &'static str) -> Result<Vec<FailureCodeValue>> {
    split(text).map(FailureCodeValue::parse).collect::<Result<Vec<_>, _>>().or_corrupt(table, column)
}

fn opt_ts(value: Option<String>, table: &'static str, column: &'static str) -> Result<Option<OffsetDateTime>> {
    value.map(|v| codec::parse_timestamp(&v, table, column)).transpose()
}

fn actor(value: String, table: &'static str, column: &'static str) -> Result<UserName> {
    UserName::parse(&value).or_corrupt(table, column)
}

const VERIFICATION_COLUMNS: &str = "id, customer_id, verification_type, method, state, outcome, failure_codes, \
     completed_at, expired_at, external_reference, expires_at, assignee, sla_due_at, snoozed_until, checklist, \
     created_at, updated_at";

/// Filters for [`Tx::list_verifications`].
#[derive(Debug, Clone, Default)]
pub struct VerificationFilter {
    pub customer: Option<CustomerId>,
    pub verification_type: Option<String>,
    pub method: Option<String>,
    pub states: Vec<String>,
    pub outcome: Option<String>,
}

/// The work-queue filters. Customer filters use the customers' derived columns; verification
/// filters all apply to one and the same verification of the customer.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub state: Option<String>,
    pub risk: Option<String>,
    pub identity_status: Option<String>,
    pub edd_status: Option<String>,
    pub refresh_due_before: Option<Date>,
    pub verification_state: Option<String>,
    pub verification_method: Option<String>,
    pub assignee: Option<String>,
    /// Open cases past their SLA due time at this moment.
    pub sla_breached_at: Option<OffsetDateTime>,
    /// Snoozed cases stay out of verification filters until this date.
    pub today: Option<Date>,
    /// Words matched by prefix against the name, reference id, emails and document numbers (all must match).
    pub search: Vec<String>,
}

/// The states of an open case, as SQL (the partial indexes of open cases say the same).
const OPEN_STATES: &str = "('storing', 'waiting', 'pending', 'reviewing')";

/// An FTS5 query where every word must match by prefix: each is quoted (a double quote doubled),
/// so no input can be read as query syntax.
fn fts_prefix_query(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{}\"*", w.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueSort {
    Newest,
    Oldest,
    RefreshDue,
}

/// A queue cursor: the sort key of the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCursor {
    pub id: CustomerId,
    pub refresh_due_on: Option<Date>,
}

/// One row of a work queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub id: CustomerId,
    pub kind: CustomerKind,
    pub ref_id: String,
    pub display_name: String,
    pub state: CustomerState,
    pub risk_rating: RiskRating,
    pub identity_status: IdentityStatus,
    pub edd_status: EddStatus,
    pub kyc_refresh_due_on: Option<Date>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The values derived from a customer's data, kept on the customer row for the queues.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub risk_rating: RiskRating,
    pub identity_status: IdentityStatus,
    pub edd_status: EddStatus,
    pub kyc_refresh_due_on: Option<Date>,
    pub verified_on: Option<Date>,
}

impl Tx<'_> {
    pub fn insert_verification(&self, v: &Verification) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO identity_verifications (id, customer_id, verification_type, method, state, created_at,
                    updated_at) VALUES (?1, ?2, ?3, ?4, 'storing', ?5, ?5)",
            )?
            .execute(params![
                blob(v.id.as_bytes()),
                blob(v.customer_id.as_bytes()),
                v.verification_type.as_str(),
                v.method.as_str(),
                codec::timestamp(v.created_at),
            ])?;
        self.update_verification(v)
    }

    /// Writes every changeable column of a verification and replaces its checks and decisions.
    pub fn update_verification(&self, v: &Verification) -> Result<()> {
        let (completed_at, expired_at) = match &v.state {
            VerificationState::Completed { completed_at, .. } => (Some(codec::timestamp(*completed_at)), None),
            VerificationState::Expired { expired_at } => (None, Some(codec::timestamp(*expired_at))),
            _ => (None, None),
        };
        self.conn()
            .prepare_cached(
                "UPDATE identity_verifications SET state = ?2, outcome = ?3, failure_codes = ?4, completed_at = ?5,
                    expired_at = ?6, external_reference = ?7, expires_at = ?8, assignee = ?9, sla_due_at = ?10,
                    snoozed_until = ?11, checklist = ?12, updated_at = ?13 WHERE id = ?1",
            )?
            .execute(params![
                blob(v.id.as_bytes()),
                v.state.name(),
                v.state.outcome().map(Outcome::as_str),
                codes_text(v.state.failure_codes().iter().map(FailureCodeValue::as_str)),
                completed_at,
                expired_at,
                v.external_reference.as_ref().map(Text::as_str),
                v.expires_at.map(codec::timestamp),
                v.assignee.as_ref().map(UserName::as_str),
                v.sla_due_at.map(codec::timestamp),
                v.snoozed_until.map(codec::date),
                codes_text(v.checklist.iter().map(String::as_str)),
                codec::timestamp(v.updated_at),
            ])?;
        let key = blob(v.id.as_bytes());
        self.conn().prepare_cached("DELETE FROM compliance_checks WHERE verification_id = ?1")?.execute([key])?;
        self.conn().prepare_cached("DELETE FROM compliance_decisions WHERE verification_id = ?1")?.execute([key])?;
        let mut checks = self.conn().prepare_cached(
            "INSERT INTO compliance_checks (verification_id, position, check_type, outcome, failure_codes)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for (i, c) in v.compliance_checks.iter().enumerate() {
            checks.execute(params![
                key,
                i as i64,
                c.check_type.as_str(),
                c.outcome.as_str(),
                codes_text(c.failure_codes.iter().map(FailureCodeValue::as_str)),
            ])?;
        }
        let mut decisions = self.conn().prepare_cached(
            "INSERT INTO compliance_decisions (verification_id, position, decision_type, state, failure_codes, expired_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for (i, d) in v.compliance_decisions.iter().enumerate() {
            decisions.execute(params![
                key,
                i as i64,
                d.decision_type.as_str(),
                d.state.as_str(),
                codes_text(d.failure_codes.iter().map(FailureCodeValue::as_str)),
                d.expired_at.map(codec::timestamp),
            ])?;
        }
        Ok(())
    }

    fn read_verification(&self, r: &Row<'_>) -> Result<Verification> {
        const T: &str = "identity_verifications";
        let id = VerificationId::from_bytes(id_from(r.get(0)?, T, "id")?);
        let outcome: Option<String> = r.get(5)?;
        let state = match r.get::<_, String>(4)?.as_str() {
            "storing" => VerificationState::Storing,
            "waiting" => VerificationState::Waiting,
            "pending" => VerificationState::Pending,
            "reviewing" => VerificationState::Reviewing,
            "completed" => VerificationState::Completed {
                outcome: Outcome::parse(&outcome.unwrap_or_default()).or_corrupt(T, "outcome")?,
                failure_codes: failure_codes(&r.get::<_, String>(6)?, T, "failure_codes")?,
                completed_at: opt_ts(r.get(7)?, T, "completed_at")?.or_corrupt(T, "completed_at")?,
            },
            "expired" => VerificationState::Expired {
                expired_at: opt_ts(r.get(8)?, T, "expired_at")?.or_corrupt(T, "expired_at")?,
            },
            _ => return Err(crate::StoreError::Corrupt { table: T, column: "state" }),
        };
        let reference: Option<String> = r.get(9)?;
        let assignee: Option<String> = r.get(11)?;
        let snoozed: Option<String> = r.get(13)?;
        Ok(Verification {
            id,
            customer_id: CustomerId::from_bytes(id_from(r.get(1)?, T, "customer_id")?),
            verification_type: VerificationType::parse(&r.get::<_, String>(2)?).or_corrupt(T, "verification_type")?,
            method: VerificationMethod::parse(&r.get::<_, String>(3)?).or_corrupt(T, "method")?,
            state,
            compliance_checks: self.compliance_checks(id)?,
            compliance_decisions: self.compliance_decisions(id)?,
            external_reference: reference
                .map(|v| Text::parse(&v, 200))
                .transpose()
                .or_corrupt(T, "external_reference")?,
            expires_at: opt_ts(r.get(10)?, T, "expires_at")?,
            assignee: assignee.map(|a| actor(a, T, "assignee")).transpose()?,
            sla_due_at: opt_ts(r.get(12)?, T, "sla_due_at")?,
            snoozed_until: snoozed.map(|d| codec::parse_date(&d, T, "snoozed_until")).transpose()?,
            checklist: split(&r.get::<_, String>(14)?).map(str::to_owned).collect(),
            created_at: codec::parse_timestamp(&r.get::<_, String>(15)?, T, "created_at")?,
            updated_at: codec::parse_timestamp(&r.get::<_, String>(16)?, T, "updated_at")?,
        })
    }

    fn compliance_checks(&self, id: VerificationId) -> Result<Vec<ComplianceCheck>> {
        const T: &str = "compliance_checks";
        let mut stmt = self.conn().prepare_cached(
            "SELECT check_type, outcome, failure_codes FROM compliance_checks WHERE verification_id = ?1 ORDER BY position",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(ComplianceCheck {
                check_type: ComplianceType::parse(&r.get::<_, String>(0)?).or_corrupt(T, "check_type")?,
                outcome: CheckOutcome::parse(&r.get::<_, String>(1)?).or_corrupt(T, "outcome")?,
                failure_codes: failure_codes(&r.get::<_, String>(2)?, T, "failure_codes")?,
            });
        }
        Ok(out)
    }

    fn compliance_decisions(&self, id: VerificationId) -> Result<Vec<ComplianceDecision>> {
        const T: &str = "compliance_decisions";
        let mut stmt = self.conn().prepare_cached(
            "SELECT decision_type, state, failure_codes, expired_at FROM compliance_decisions
             WHERE verification_id = ?1 ORDER BY position",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(ComplianceDecision {
                decision_type: ComplianceType::parse(&r.get::<_, String>(0)?).or_corrupt(T, "decision_type")?,
                state: DecisionState::parse(&r.get::<_, String>(1)?).or_corrupt(T, "state")?,
                failure_codes: failure_codes(&r.get::<_, String>(2)?, T, "failure_codes")?,
                expired_at: opt_ts(r.get(3)?, T, "expired_at")?,
            });
        }
        Ok(out)
    }

    pub fn verification(&self, id: VerificationId) -> Result<Option<Verification>> {
        let sql = format!("SELECT {VERIFICATION_COLUMNS} FROM identity_verifications WHERE id = ?1");
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        match rows.next()? {
            Some(r) => Ok(Some(self.read_verification(r)?)),
            None => Ok(None),
        }
    }

    /// A customer's verifications, oldest first.
    pub fn verifications_of(&self, customer: CustomerId) -> Result<Vec<Verification>> {
        let sql = format!(
            "SELECT {VERIFICATION_COLUMNS} FROM identity_verifications WHERE customer_id = ?1 ORDER BY created_at, id"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query([blob(customer.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(self.read_verification(r)?);
        }
        Ok(out)
    }

    /// A page of verifications, newest first, after `after` (exclusive).
    pub fn list_verifications(
        &self,
        filter: &VerificationFilter,
        after: Option<VerificationId>,
        limit: usize,
    ) -> Result<Vec<Verification>> {
        let mut sql = format!("SELECT {VERIFICATION_COLUMNS} FROM identity_verifications WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        let mut push = |sql: &mut String, clause: &str, value: Value| {
            args.push(value);
            sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(c) = filter.customer {
            push(&mut sql, " AND customer_id = ?", Value::Blob(c.as_bytes().to_vec()));
        }
        if let Some(t) = &filter.verification_type {
            push(&mut sql, " AND verification_type = ?", Value::Text(t.clone()));
        }
        if let Some(m) = &filter.method {
            push(&mut sql, " AND method = ?", Value::Text(m.clone()));
        }
        if !filter.states.is_empty() {
            let mut parts = Vec::new();
            for s in &filter.states {
                args.push(Value::Text(s.clone()));
                parts.push(format!("?{}", args.len()));
            }
            sql.push_str(&format!(" AND state IN ({})", parts.join(", ")));
        }
        if let Some(o) = &filter.outcome {
            args.push(Value::Text(o.clone()));
            sql.push_str(&format!(" AND outcome = ?{}", args.len()));
        }
        if let Some(a) = after {
            args.push(Value::Blob(a.as_bytes().to_vec()));
            sql.push_str(&format!(" AND id < ?{}", args.len()));
        }
        sql.push_str(&format!(" ORDER BY id DESC{}", codec::limit(limit)));
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(self.read_verification(r)?);
        }
        Ok(out)
    }

    /// Unfinished verifications whose deadline is at or before `now`.
    pub fn verifications_past_deadline(&self, now: OffsetDateTime) -> Result<Vec<VerificationId>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id FROM identity_verifications
             WHERE state IN ('waiting', 'pending') AND expires_at IS NOT NULL AND expires_at <= ?1",
        )?;
        let ids = stmt.query_map([codec::timestamp(now)], |r| r.get::<_, Vec<u8>>(0))?;
        ids.map(|b| Ok(VerificationId::from_bytes(id_from(b?, "identity_verifications", "id")?))).collect()
    }

    /// Verifications holding a passed compliance decision that expires at or before `now`.
    pub fn verifications_with_expiring_decisions(&self, now: OffsetDateTime) -> Result<Vec<VerificationId>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT DISTINCT verification_id FROM compliance_decisions
             WHERE state = 'passed' AND expired_at IS NOT NULL AND expired_at <= ?1",
        )?;
        let ids = stmt.query_map([codec::timestamp(now)], |r| r.get::<_, Vec<u8>>(0))?;
        ids.map(|b| Ok(VerificationId::from_bytes(id_from(b?, "compliance_decisions", "verification_id")?))).collect()
    }

    /// Customers whose KYC refresh fell due on or before `on` and is not yet in progress.
    pub fn customers_due_for_refresh(&self, on: Date) -> Result<Vec<CustomerId>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id FROM customers WHERE kyc_refresh_due_on IS NOT NULL AND kyc_refresh_due_on <= ?1",
        )?;
        let ids = stmt.query_map([codec::date(on)], |r| r.get::<_, Vec<u8>>(0))?;
        ids.map(|b| Ok(CustomerId::from_bytes(id_from(b?, "customers", "id")?))).collect()
    }

    pub fn insert_evidence(&self, e: &Evidence) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO edd_evidence (id, verification_id, item, reference, description, added_by, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                blob(e.id.as_bytes()),
                blob(e.verification_id.as_bytes()),
                e.item,
                e.reference.as_str(),
                e.description.as_ref().map(Text::as_str),
                e.added_by.as_str(),
                codec::timestamp(e.added_at),
            ])?;
        Ok(())
    }

    pub fn evidence_of(&self, verification: VerificationId) -> Result<Vec<Evidence>> {
        const T: &str = "edd_evidence";
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, item, reference, description, added_by, added_at FROM edd_evidence
             WHERE verification_id = ?1 ORDER BY added_at, id",
        )?;
        let mut rows = stmt.query([blob(verification.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let description: Option<String> = r.get(3)?;
            out.push(Evidence {
                id: EvidenceId::from_bytes(id_from(r.get(0)?, T, "id")?),
                verification_id: verification,
                item: r.get(1)?,
                reference: Text::parse(&r.get::<_, String>(2)?, 1024).or_corrupt(T, "reference")?,
                description: description.map(|d| Text::parse(&d, 1000)).transpose().or_corrupt(T, "description")?,
                added_by: actor(r.get(4)?, T, "added_by")?,
                added_at: codec::parse_timestamp(&r.get::<_, String>(5)?, T, "added_at")?,
            });
        }
        Ok(out)
    }

    pub fn insert_note(&self, n: &Note) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO case_notes (id, verification_id, author, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                blob(n.id.as_bytes()),
                blob(n.verification_id.as_bytes()),
                n.author.as_str(),
                n.text.as_str(),
                codec::timestamp(n.created_at),
            ])?;
        Ok(())
    }

    pub fn notes_of(&self, verification: VerificationId) -> Result<Vec<Note>> {
        const T: &str = "case_notes";
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, author, text, created_at FROM case_notes WHERE verification_id = ?1 ORDER BY created_at, id",
        )?;
        let mut rows = stmt.query([blob(verification.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Note {
                id: NoteId::from_bytes(id_from(r.get(0)?, T, "id")?),
                verification_id: verification,
                author: actor(r.get(1)?, T, "author")?,
                text: Text::parse(&r.get::<_, String>(2)?, 4000).or_corrupt(T, "text")?,
                created_at: codec::parse_timestamp(&r.get::<_, String>(3)?, T, "created_at")?,
            });
        }
        Ok(out)
    }

    pub fn insert_decision(&self, d: &Decision) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO decisions (id, customer_id, verification_id, kind, outcome, reason, failure_codes, evidence,
                    decided_by, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                blob(d.id.as_bytes()),
                blob(d.customer_id.as_bytes()),
                d.verification_id.map(|v| v.as_bytes().to_vec()),
                d.kind.as_str(),
                d.outcome.as_str(),
                d.reason.as_str(),
                codes_text(d.failure_codes.iter().map(FailureCodeValue::as_str)),
                d.evidence.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(","),
                d.decided_by.as_str(),
                codec::timestamp(d.decided_at),
            ])?;
        Ok(())
    }

    /// A customer's decisions, oldest first.
    pub fn decisions_of(&self, customer: CustomerId) -> Result<Vec<Decision>> {
        const T: &str = "decisions";
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, verification_id, kind, outcome, reason, failure_codes, evidence, decided_by, decided_at
             FROM decisions WHERE customer_id = ?1 ORDER BY decided_at, id",
        )?;
        let mut rows = stmt.query([blob(customer.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let verification: Option<Vec<u8>> = r.get(1)?;
            let evidence: String = r.get(6)?;
            out.push(Decision {
                id: DecisionId::from_bytes(id_from(r.get(0)?, T, "id")?),
                customer_id: customer,
                verification_id: verification
                    .map(|b| id_from(b, T, "verification_id").map(VerificationId::from_bytes))
                    .transpose()?,
                kind: DecisionKind::parse(&r.get::<_, String>(2)?).or_corrupt(T, "kind")?,
                outcome: Outcome::parse(&r.get::<_, String>(3)?).or_corrupt(T, "outcome")?,
                reason: Text::parse(&r.get::<_, String>(4)?, 1000).or_corrupt(T, "reason")?,
                failure_codes: failure_codes(&r.get::<_, String>(5)?, T, "failure_codes")?,
                evidence: split(&evidence)
                    .map(EvidenceId::parse)
                    .collect::<Result<Vec<_>, _>>()
                    .or_corrupt(T, "evidence")?,
                decided_by: actor(r.get(7)?, T, "decided_by")?,
                decided_at: codec::parse_timestamp(&r.get::<_, String>(8)?, T, "decided_at")?,
            });
        }
        Ok(out)
    }

    pub fn insert_kyc_result(&self, k: &KycResult, questions_json: &str) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO kyc_results (id, customer_id, action, status, verification_level, provider,
                    provider_reference, response_code, reason_codes, questions, detail, actor, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                blob(k.id.as_bytes()),
                blob(k.customer_id.as_bytes()),
                k.action.as_str(),
                k.status.as_str(),
                k.verification_level,
                k.provider,
                k.provider_reference,
                k.response_code,
                codes_text(k.reason_codes.iter().map(String::as_str)),
                questions_json,
                k.detail,
                k.actor.as_str(),
                codec::timestamp(k.created_at),
            ])?;
        Ok(())
    }

    /// A customer's KYC attempts and results, oldest first, each with its questions as stored JSON.
    pub fn kyc_results_of(&self, customer: CustomerId) -> Result<Vec<(KycResult, String)>> {
        const T: &str = "kyc_results";
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, action, status, verification_level, provider, provider_reference, response_code, reason_codes,
                questions, detail, actor, created_at FROM kyc_results WHERE customer_id = ?1 ORDER BY created_at, id",
        )?;
        let mut rows = stmt.query([blob(customer.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let reasons: String = r.get(7)?;
            out.push((
                KycResult {
                    id: KycResultId::from_bytes(id_from(r.get(0)?, T, "id")?),
                    customer_id: customer,
                    action: KycAction::parse(&r.get::<_, String>(1)?).or_corrupt(T, "action")?,
                    status: KycResultStatus::parse(&r.get::<_, String>(2)?).or_corrupt(T, "status")?,
                    verification_level: r.get(3)?,
                    provider: r.get(4)?,
                    provider_reference: r.get(5)?,
                    response_code: r.get(6)?,
                    reason_codes: split(&reasons).map(str::to_owned).collect(),
                    questions: Vec::new(),
                    detail: r.get(9)?,
                    actor: actor(r.get(10)?, T, "actor")?,
                    created_at: codec::parse_timestamp(&r.get::<_, String>(11)?, T, "created_at")?,
                },
                r.get(8)?,
            ));
        }
        Ok(out)
    }

    pub fn insert_risk_assessment(
        &self,
        id: RiskAssessmentId,
        customer: CustomerId,
        a: &RiskAssessment,
        factors_json: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO risk_assessments (id, customer_id, rating, score, factors, assessed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                blob(id.as_bytes()),
                blob(customer.as_bytes()),
                a.rating.as_str(),
                a.score,
                factors_json,
                codec::timestamp(at)
            ])?;
        Ok(())
    }

    /// The latest stored assessment: (rating, score, factors JSON, assessed at).
    pub fn latest_risk_assessment(
        &self,
        customer: CustomerId,
    ) -> Result<Option<(RiskRating, u32, String, OffsetDateTime)>> {
        const T: &str = "risk_assessments";
        let mut stmt = self.conn().prepare_cached(
            "SELECT rating, score, factors, assessed_at FROM risk_assessments WHERE customer_id = ?1
             ORDER BY assessed_at DESC, id DESC LIMIT 1",
        )?;
        let row = stmt
            .query_row([blob(customer.as_bytes())], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })
            .optional()?;
        row.map(|(rating, score, factors, at)| {
            Ok((
                RiskRating::parse(&rating).or_corrupt(T, "rating")?,
                score,
                factors,
                codec::parse_timestamp(&at, T, "assessed_at")?,
            ))
        })
        .transpose()
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    pub fn put_setting(&self, key: &str, value: &str, at: OffsetDateTime) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            )?
            .execute(params![key, value, codec::timestamp(at)])?;
        Ok(())
    }

    pub fn derived(&self, customer: CustomerId) -> Result<Derived> {
        const T: &str = "customers";
        let mut stmt = self.conn().prepare_cached(
            "SELECT risk_rating, identity_status, edd_status, kyc_refresh_due_on, verified_on FROM customers WHERE id = ?1",
        )?;
        let mut rows = stmt.query([blob(customer.as_bytes())])?;
        let r = rows.next()?.or_corrupt(T, "id")?;
        let due: Option<String> = r.get(3)?;
        let verified: Option<String> = r.get(4)?;
        Ok(Derived {
            risk_rating: RiskRating::parse(&r.get::<_, String>(0)?).or_corrupt(T, "risk_rating")?,
            identity_status: IdentityStatus::parse(&r.get::<_, String>(1)?).or_corrupt(T, "identity_status")?,
            edd_status: EddStatus::parse(&r.get::<_, String>(2)?).or_corrupt(T, "edd_status")?,
            kyc_refresh_due_on: due.map(|d| codec::parse_date(&d, T, "kyc_refresh_due_on")).transpose()?,
            verified_on: verified.map(|d| codec::parse_date(&d, T, "verified_on")).transpose()?,
        })
    }

    /// Stores the derived values of `after` that differ from `before`, and only those. An UPDATE
    /// that names a column rewrites every index on it even when the value stays the same, and
    /// each such index is one page more for the command's commit to encrypt and write.
    pub fn set_derived(&self, customer: CustomerId, before: &Derived, after: &Derived) -> Result<()> {
        let date = |d: Option<Date>| d.map_or(Value::Null, |d| Value::Text(codec::date(d)));
        let text = |t: &str| Value::Text(t.to_owned());
        let changes = [
            (before.risk_rating != after.risk_rating, "risk_rating", text(after.risk_rating.as_str())),
            (before.identity_status != after.identity_status, "identity_status", text(after.identity_status.as_str())),
            (before.edd_status != after.edd_status, "edd_status", text(after.edd_status.as_str())),
            (
                before.kyc_refresh_due_on != after.kyc_refresh_due_on,
                "kyc_refresh_due_on",
                date(after.kyc_refresh_due_on),
            ),
            (before.verified_on != after.verified_on, "verified_on", date(after.verified_on)),
        ];
        let mut assignments = Vec::with_capacity(changes.len());
        let mut values = vec![Value::Blob(customer.as_bytes().to_vec())];
        for (changed, column, value) in changes {
            if changed {
                values.push(value);
                assignments.push(format!("{column} = ?{}", values.len()));
            }
        }
        if assignments.is_empty() {
            return Ok(());
        }
        // At most 31 distinct statements, each prepared once.
        let sql = format!("UPDATE customers SET {} WHERE id = ?1", assignments.join(", "));
        self.conn().prepare_cached(&sql)?.execute(rusqlite::params_from_iter(values))?;
        Ok(())
    }

    pub fn set_last_kyc_refresh_date(&self, customer: CustomerId, on: Date) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE customers SET last_kyc_refresh_date = ?2 WHERE id = ?1")?
            .execute(params![blob(customer.as_bytes()), codec::date(on)])?;
        Ok(())
    }

    /// Business customers that have this person as a member.
    pub fn businesses_with_member(&self, person: CustomerId) -> Result<Vec<CustomerId>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT DISTINCT customer_id FROM institution_members WHERE person_customer_id = ?1")?;
        let ids = stmt.query_map([blob(person.as_bytes())], |r| r.get::<_, Vec<u8>>(0))?;
        ids.map(|b| Ok(CustomerId::from_bytes(id_from(b?, "institution_members", "customer_id")?))).collect()
    }

    /// The identity status of each given customer.
    pub fn identity_status_of(&self, customer: CustomerId) -> Result<Option<IdentityStatus>> {
        let status: Option<String> = self
            .conn()
            .prepare_cached("SELECT identity_status FROM customers WHERE id = ?1")?
            .query_row([blob(customer.as_bytes())], |r| r.get(0))
            .optional()?;
        status.map(|s| IdentityStatus::parse(&s).or_corrupt("customers", "identity_status")).transpose()
    }

    /// A page of the work queue. Every filter is served by an index (see the migrations), and
    /// pages are keyset-based on the sort key and the id. A page reads about as many index
    /// entries as it shows, whatever the size of the match, by walking one index in the page's
    /// order and checking the other filters on the way:
    /// - a search walks the full-text index in the order customers were added (their row
    ///   order, which is their id order: ids are time-ordered and given at creation);
    /// - a verification filter with no selective customer filter walks a verification index in
    ///   customer order (one row per customer);
    /// - anything else walks a customer index, probing each customer's few verifications.
    pub fn queue(
        &self,
        f: &QueueFilter,
        sort: QueueSort,
        after: Option<&QueueCursor>,
        limit: usize,
    ) -> Result<Vec<QueueRow>> {
        let (sql, args) = queue_sql(f, sort, after, limit);
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        const T: &str = "customers";
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let level: Option<String> = r.get(5)?;
            let level = level.map(|l| VerificationLevel::parse(&l)).transpose().or_corrupt(T, "verification_level")?;
            let due: Option<String> = r.get(9)?;
            out.push(QueueRow {
                id: CustomerId::from_bytes(id_from(r.get(0)?, T, "id")?),
                kind: CustomerKind::parse(&r.get::<_, String>(1)?).or_corrupt(T, "kind")?,
                ref_id: r.get(2)?,
                display_name: r.get(3)?,
                state: CustomerState::from_parts(&r.get::<_, String>(4)?, level).or_corrupt(T, "state")?,
                risk_rating: RiskRating::parse(&r.get::<_, String>(6)?).or_corrupt(T, "risk_rating")?,
                identity_status: IdentityStatus::parse(&r.get::<_, String>(7)?).or_corrupt(T, "identity_status")?,
                edd_status: EddStatus::parse(&r.get::<_, String>(8)?).or_corrupt(T, "edd_status")?,
                kyc_refresh_due_on: due.map(|d| codec::parse_date(&d, T, "kyc_refresh_due_on")).transpose()?,
                created_at: codec::parse_timestamp(&r.get::<_, String>(10)?, T, "created_at")?,
                updated_at: codec::parse_timestamp(&r.get::<_, String>(11)?, T, "updated_at")?,
            });
        }
        Ok(out)
    }

    /// The query plan of a work-queue page (SQLite's `EXPLAIN QUERY PLAN`, one line per step):
    /// tests check that every filter and sort walks an index and sorts nothing.
    pub fn queue_plan(
        &self,
        f: &QueueFilter,
        sort: QueueSort,
        after: Option<&QueueCursor>,
        limit: usize,
    ) -> Result<Vec<String>> {
        let (sql, args) = queue_sql(f, sort, after, limit);
        let mut stmt = self.conn().prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// The SQL of a work-queue page and its arguments (see [`Tx::queue`]).
fn queue_sql(f: &QueueFilter, sort: QueueSort, after: Option<&QueueCursor>, limit: usize) -> (String, Vec<Value>) {
    let mut args: Vec<Value> = Vec::new();
    let bind = |args: &mut Vec<Value>, v: Value| {
        args.push(v);
        format!("?{}", args.len())
    };
    let mut where_ = Vec::new();
    for (column, value) in [
        ("c.state", &f.state),
        ("c.risk_rating", &f.risk),
        ("c.identity_status", &f.identity_status),
        ("c.edd_status", &f.edd_status),
    ] {
        if let Some(v) = value {
            let p = bind(&mut args, Value::Text(v.clone()));
            where_.push(format!("{column} = {p}"));
        }
    }
    if let Some(d) = f.refresh_due_before {
        let p = bind(&mut args, Value::Text(codec::date(d)));
        where_.push(format!("c.kyc_refresh_due_on < {p}"));
    }
    let customer_filtered = !where_.is_empty();
    let mut v_clauses = Vec::new();
    if let Some(a) = &f.assignee {
        v_clauses.push(format!("v.assignee = {}", bind(&mut args, Value::Text(a.clone()))));
    }
    if let Some(s) = &f.verification_state {
        v_clauses.push(format!("v.state = {}", bind(&mut args, Value::Text(s.clone()))));
    }
    if let Some(m) = &f.verification_method {
        v_clauses.push(format!("v.method = {}", bind(&mut args, Value::Text(m.clone()))));
    }
    if let Some(now) = f.sla_breached_at {
        v_clauses.push(format!("v.state IN {OPEN_STATES}"));
        v_clauses.push(format!("v.sla_due_at < {}", bind(&mut args, Value::Text(codec::timestamp(now)))));
    }
    if let Some(today) = f.today.filter(|_| !v_clauses.is_empty()) {
        let p = bind(&mut args, Value::Text(codec::date(today)));
        v_clauses.push(format!("(v.snoozed_until IS NULL OR v.snoozed_until <= {p})"));
    }
    let search = (!f.search.is_empty()).then(|| bind(&mut args, Value::Text(fts_prefix_query(&f.search))));
    let by_id = matches!(sort, QueueSort::Newest | QueueSort::Oldest);
    let (cmp, dir) = if sort == QueueSort::Oldest { (">", "ASC") } else { ("<", "DESC") };
    // The verification index to walk in customer order, when that is the walk: the most
    // selective filter first. Open cases (assigned, breaching, or in an open state) are
    // few, so they lead even beside a customer filter; "completed" or a method alone do
    // not, beside one.
    let open_state = f.verification_state.as_deref().is_some_and(|s| s != "completed" && s != "expired");
    let v_index = if f.assignee.is_some() {
        Some("identity_verifications_by_assignee")
    } else if f.sla_breached_at.is_some() && f.verification_state.is_none() && f.verification_method.is_none() {
        Some("identity_verifications_open_by_customer")
    } else if f.verification_method.is_some() && f.verification_state.is_some() && (open_state || !customer_filtered) {
        // Its index carries the state too: both are checked without a row read.
        Some("identity_verifications_by_method")
    } else if f.verification_state.is_some() && (open_state || !customer_filtered) {
        Some("identity_verifications_by_state")
    } else if f.verification_method.is_some() && !customer_filtered {
        Some("identity_verifications_by_method")
    } else if f.sla_breached_at.is_some() {
        Some("identity_verifications_open_by_customer")
    } else {
        None
    };
    let exists_v = |where_: &mut Vec<String>| {
        if !v_clauses.is_empty() {
            where_.push(format!(
                "EXISTS (SELECT 1 FROM identity_verifications v INDEXED BY identity_verifications_by_customer \
                     WHERE v.customer_id = c.id AND {})",
                v_clauses.join(" AND ")
            ));
        }
    };
    let mut sql = String::from(
        "SELECT c.id, c.kind, c.ref_id, c.display_name, c.state, c.verification_level, c.risk_rating,
                c.identity_status, c.edd_status, c.kyc_refresh_due_on, c.created_at, c.updated_at",
    );
    let order = match (&search, v_index) {
        (Some(query), _) if by_id => {
            // CROSS JOIN keeps the walk outermost; the cursor's customer gives the row to
            // continue from.
            sql.push_str(" FROM customer_search s CROSS JOIN customers c ON c.rowid = s.rowid");
            where_.push(format!("s.customer_search MATCH {query}"));
            if let Some(c) = after {
                let p = bind(&mut args, Value::Blob(c.id.as_bytes().to_vec()));
                where_.push(format!("s.rowid {cmp} (SELECT rowid FROM customers WHERE id = {p})"));
            }
            exists_v(&mut where_);
            format!(" ORDER BY s.rowid {dir}")
        }
        (None, Some(index)) if by_id => {
            sql.push_str(&format!(
                " FROM identity_verifications v INDEXED BY {index} CROSS JOIN customers c ON c.id = v.customer_id"
            ));
            where_.extend(v_clauses.iter().cloned());
            if let Some(c) = after {
                let p = bind(&mut args, Value::Blob(c.id.as_bytes().to_vec()));
                where_.push(format!("v.customer_id {cmp} {p}"));
            }
            format!(" GROUP BY v.customer_id ORDER BY v.customer_id {dir}")
        }
        _ => {
            sql.push_str(" FROM customers c");
            if let Some(query) = &search {
                where_.push(format!(
                    "c.rowid IN (SELECT rowid FROM customer_search WHERE customer_search MATCH {query})"
                ));
            }
            exists_v(&mut where_);
            match (sort, after) {
                (QueueSort::Newest | QueueSort::Oldest, Some(c)) => {
                    let p = bind(&mut args, Value::Blob(c.id.as_bytes().to_vec()));
                    where_.push(format!("c.id {cmp} {p}"));
                }
                (QueueSort::RefreshDue, Some(c)) => {
                    let due = bind(&mut args, Value::Text(c.refresh_due_on.map(codec::date).unwrap_or_default()));
                    let id = bind(&mut args, Value::Blob(c.id.as_bytes().to_vec()));
                    where_.push(format!(
                        "(c.kyc_refresh_due_on > {due} OR (c.kyc_refresh_due_on = {due} AND c.id > {id}))"
                    ));
                }
                (_, None) => {}
            }
            match sort {
                QueueSort::RefreshDue => {
                    where_.push("c.kyc_refresh_due_on IS NOT NULL".to_owned());
                    " ORDER BY c.kyc_refresh_due_on, c.id".to_owned()
                }
                _ => format!(" ORDER BY c.id {dir}"),
            }
        }
    };
    if !where_.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&where_.join(" AND "));
    }
    sql.push_str(&order);
    sql.push_str(&codec::limit(limit));
    (sql, args)
}

/// The dashboard's numbers, each from one indexed query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardStats {
    pub customers_by_state: Vec<(String, i64)>,
    pub awaiting_review: i64,
    pub sla_breached: i64,
    pub onboarded_today: i64,
    pub sync_needs_attention: i64,
    /// (case type, < 1 day, 1–3 days, 3–7 days, > 7 days) for open cases.
    pub queue_age: Vec<(String, i64, i64, i64, i64)>,
    /// Open cases, most urgent (earliest SLA due) first.
    pub oldest_cases: Vec<VerificationId>,
}

impl Tx<'_> {
    pub fn dashboard(&self, now: OffsetDateTime, today_start: OffsetDateTime, oldest: usize) -> Result<DashboardStats> {
        let mut stats = DashboardStats::default();
        // Kept by triggers (migration 0006): counting a million rows on every visit is not an option.
        let mut stmt =
            self.conn().prepare_cached("SELECT state, n FROM customer_state_counts WHERE n > 0 ORDER BY state")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            stats.customers_by_state.push((r.get(0)?, r.get(1)?));
        }
        drop(rows);
        let count = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> Result<i64> {
            Ok(self.conn().prepare_cached(sql)?.query_row(args, |r| r.get(0))?)
        };
        stats.awaiting_review =
            count("SELECT count(*) FROM identity_verifications WHERE state IN ('pending', 'reviewing')", &[])?;
        stats.sla_breached = count(
            "SELECT count(*) FROM identity_verifications INDEXED BY identity_verifications_open_by_sla
             WHERE state IN ('storing', 'waiting', 'pending', 'reviewing') AND sla_due_at < ?1",
            &[&codec::timestamp(now)],
        )?;
        stats.onboarded_today =
            count("SELECT count(*) FROM customers WHERE created_at >= ?1", &[&codec::timestamp(today_start)])?;
        stats.sync_needs_attention = count("SELECT count(*) FROM outbox WHERE status = 'needs_attention'", &[])?;
        let day = |d: i64| codec::timestamp(now - time::Duration::days(d));
        let mut stmt = self.conn().prepare_cached(
            "SELECT CASE WHEN method = 'enhanced_due_diligence' THEN 'edd' ELSE verification_type END AS case_type,
                    sum(created_at > ?1), sum(created_at <= ?1 AND created_at > ?2),
                    sum(created_at <= ?2 AND created_at > ?3), sum(created_at <= ?3)
             FROM identity_verifications INDEXED BY identity_verifications_open_age
             WHERE state IN ('storing', 'waiting', 'pending', 'reviewing')
             GROUP BY case_type ORDER BY case_type",
        )?;
        let mut rows = stmt.query(params![day(1), day(3), day(7)])?;
        while let Some(r) = rows.next()? {
            stats.queue_age.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?));
        }
        drop(rows);
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT id FROM identity_verifications INDEXED BY identity_verifications_open_by_sla
             WHERE state IN {OPEN_STATES} ORDER BY sla_due_at{}",
            codec::limit(oldest)
        ))?;
        let ids = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        for id in ids {
            stats.oldest_cases.push(VerificationId::from_bytes(id_from(id?, "identity_verifications", "id")?));
        }
        Ok(stats)
    }
}
