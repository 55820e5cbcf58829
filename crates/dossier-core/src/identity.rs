//! The identity status (Paxos' vocabulary), derived by pure functions: first the status details
//! from the facts, then the status from the details. Every matching detail is reported, not only
//! the one that decided the status, so an officer sees everything that holds the customer back.

use crate::customer::{Control, ControlSetBy, ControlType};
use crate::ids::MemberId;
use crate::lifecycle::CustomerState;
use crate::risk::RiskRating;
use crate::verification::{ComplianceType, DecisionState, Outcome, Verification, VerificationType};
use crate::word_enum;

word_enum!(
    IdentityStatus {
        Pending = "PENDING",
        Error = "ERROR",
        Approved = "APPROVED",
        Denied = "DENIED",
        Disabled = "DISABLED",
    }
);

word_enum!(
    /// Where the customer's enhanced due diligence stands (the latest EDD case decides).
    EddStatus {
        None = "none",
        InProgress = "in_progress",
        Passed = "passed",
        Failed = "failed",
    }
);

/// One reason the identity is not simply approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusDetail {
    /// Verifications still to finish, each as a short description (`kyc/id_and_selfie: pending`).
    PendingVerifications { items: Vec<String> },
    /// EDD is required (HIGH risk) or in progress.
    PendingEdd { reason: &'static str },
    /// Members not yet approved (or not yet captured as persons).
    PendingMemberApprovals { members: Vec<MemberId> },
    /// Verifications that failed.
    FailedVerifications { items: Vec<String> },
    /// The risk rating is PROHIBITED.
    ProhibitedRiskRating,
    /// Controls in force, by type and who set them.
    FailedControls { controls: Vec<(ControlType, ControlSetBy)> },
    /// Members whose identity is denied or disabled.
    FailedMembers { members: Vec<MemberId> },
}

impl StatusDetail {
    pub fn key(&self) -> &'static str {
        match self {
            StatusDetail::PendingVerifications { .. } => "pending_verifications",
            StatusDetail::PendingEdd { .. } => "pending_edd",
            StatusDetail::PendingMemberApprovals { .. } => "pending_member_approvals",
            StatusDetail::FailedVerifications { .. } => "failed_verifications",
            StatusDetail::ProhibitedRiskRating => "prohibited_risk_rating",
            StatusDetail::FailedControls { .. } => "failed_controls",
            StatusDetail::FailedMembers { .. } => "failed_members",
        }
    }

    /// A sentence for the officer, without personal data.
    pub fn message(&self) -> String {
        match self {
            StatusDetail::PendingVerifications { items } => format!("verifications pending: {}", items.join("; ")),
            StatusDetail::PendingEdd { reason } => format!("enhanced due diligence pending: {reason}"),
            StatusDetail::PendingMemberApprovals { members } => {
                format!("{} member(s) not yet approved or not yet captured as persons", members.len())
            }
            StatusDetail::FailedVerifications { items } => format!("verifications failed: {}", items.join("; ")),
            StatusDetail::ProhibitedRiskRating => "the risk rating is PROHIBITED".to_owned(),
            StatusDetail::FailedControls { controls } => format!(
                "controls in force: {}",
                controls.iter().map(|(t, by)| format!("{t} (set by {by})")).collect::<Vec<_>>().join(", ")
            ),
            StatusDetail::FailedMembers { members } => format!("{} member(s) denied or disabled", members.len()),
        }
    }

    fn has_control(&self, wanted: ControlType) -> bool {
        matches!(self, StatusDetail::FailedControls { controls } if controls.iter().any(|(t, _)| *t == wanted))
    }
}

/// Derives the status from the details; first match wins (DESIGN.md):
/// denied control → DENIED; frozen → ERROR; dormant or closed → DISABLED; prohibited risk →
/// DENIED; failed verifications → DENIED; failed members → DENIED; anything pending → PENDING;
/// otherwise APPROVED.
pub fn derive_status(details: &[StatusDetail]) -> IdentityStatus {
    type Rule = (fn(&StatusDetail) -> bool, IdentityStatus);
    const RULES: [Rule; 7] = [
        (|d| d.has_control(ControlType::Denied), IdentityStatus::Denied),
        (|d| d.has_control(ControlType::Frozen), IdentityStatus::Error),
        (|d| d.has_control(ControlType::Dormant) || d.has_control(ControlType::Closed), IdentityStatus::Disabled),
        (|d| matches!(d, StatusDetail::ProhibitedRiskRating), IdentityStatus::Denied),
        (|d| matches!(d, StatusDetail::FailedVerifications { .. }), IdentityStatus::Denied),
        (|d| matches!(d, StatusDetail::FailedMembers { .. }), IdentityStatus::Denied),
        (
            |d| {
                matches!(
                    d,
                    StatusDetail::PendingVerifications { .. }
                        | StatusDetail::PendingEdd { .. }
                        | StatusDetail::PendingMemberApprovals { .. }
                )
            },
            IdentityStatus::Pending,
        ),
    ];
    RULES
        .iter()
        .find(|(applies, _)| details.iter().any(applies))
        .map_or(IdentityStatus::Approved, |(_, status)| *status)
}

/// Everything the status depends on.
pub struct IdentityFacts<'a> {
    pub state: CustomerState,
    pub controls: &'a [Control],
    pub risk: RiskRating,
    /// The customer's verifications, oldest first.
    pub verifications: &'a [Verification],
    /// Each member with the identity status of the person customer it links to (`None` when the
    /// member is not linked to one yet). Empty for individuals.
    pub members: Vec<(MemberId, Option<IdentityStatus>)>,
}

/// The EDD status: the latest EDD case decides.
pub fn edd_status(verifications: &[Verification]) -> EddStatus {
    match verifications.iter().rev().find(|v| v.is_edd()) {
        None => EddStatus::None,
        Some(v) if v.state.in_progress() => EddStatus::InProgress,
        Some(v) => match v.state.outcome() {
            Some(Outcome::Passed) => EddStatus::Passed,
            Some(Outcome::Failed) => EddStatus::Failed,
            // An expired EDD case leaves the customer as if none had been opened.
            None => edd_status(&verifications[..verifications.iter().rposition(|x| x.id == v.id).unwrap_or(0)]),
        },
    }
}

fn describe(v: &Verification) -> String {
    format!("{}/{}: {}", v.verification_type, v.method, v.state.name())
}

/// Whether the customer's government-ID decision has lapsed: the latest KYC verification with a
/// `person_gov_id_verification` decision has it expired.
pub fn gov_id_lapsed(verifications: &[Verification]) -> bool {
    verifications
        .iter()
        .rev()
        .filter(|v| v.verification_type == VerificationType::Kyc && !v.is_edd())
        .find_map(|v| {
            v.compliance_decisions
                .iter()
                .find(|d| d.decision_type == ComplianceType::PersonGovIdVerification)
                .map(|d| d.state == DecisionState::Expired)
        })
        .unwrap_or(false)
}

/// Computes every status detail that applies, in the order of Paxos' keys.
pub fn status_details(facts: &IdentityFacts<'_>) -> Vec<StatusDetail> {
    let mut details = Vec::new();
    let kyc: Vec<&Verification> =
        facts.verifications.iter().filter(|v| v.verification_type == VerificationType::Kyc && !v.is_edd()).collect();

    let mut pending: Vec<String> = Vec::new();
    if facts.state == CustomerState::Pending {
        pending.push("customer not verified yet".to_owned());
    }
    pending.extend(facts.verifications.iter().filter(|v| !v.is_edd() && v.state.in_progress()).map(describe));
    if gov_id_lapsed(facts.verifications) {
        pending.push("government ID decision expired: a new verification is needed".to_owned());
    }
    if !pending.is_empty() {
        details.push(StatusDetail::PendingVerifications { items: pending });
    }

    match edd_status(facts.verifications) {
        EddStatus::InProgress => details.push(StatusDetail::PendingEdd { reason: "an EDD case is in progress" }),
        EddStatus::Passed => {}
        EddStatus::None | EddStatus::Failed if facts.risk == RiskRating::High => {
            details.push(StatusDetail::PendingEdd { reason: "HIGH risk requires a passed EDD case" })
        }
        EddStatus::None | EddStatus::Failed => {}
    }

    let waiting: Vec<MemberId> = facts
        .members
        .iter()
        .filter(|(_, s)| matches!(s, None | Some(IdentityStatus::Pending | IdentityStatus::Error)))
        .map(|(id, _)| *id)
        .collect();
    if !waiting.is_empty() {
        details.push(StatusDetail::PendingMemberApprovals { members: waiting });
    }

    let mut failed: Vec<String> = Vec::new();
    if facts.state == CustomerState::Rejected {
        failed.push("customer rejected".to_owned());
    }
    if let Some(latest) = kyc.iter().rev().find(|v| v.state.outcome().is_some())
        && latest.state.outcome() == Some(Outcome::Failed)
    {
        failed.push(describe(latest) + " failed");
    }
    if edd_status(facts.verifications) == EddStatus::Failed {
        failed.push("enhanced due diligence failed".to_owned());
    }
    if !failed.is_empty() {
        details.push(StatusDetail::FailedVerifications { items: failed });
    }

    if facts.risk == RiskRating::Prohibited {
        details.push(StatusDetail::ProhibitedRiskRating);
    }

    let mut controls: Vec<(ControlType, ControlSetBy)> =
        facts.controls.iter().map(|c| (c.control_type, c.set_by)).collect();
    // A closed or withdrawn customer is off-boarded: shown as the firm's own closed control.
    if matches!(facts.state, CustomerState::Closed | CustomerState::Withdrawn)
        && !controls.iter().any(|(t, _)| *t == ControlType::Closed)
    {
        controls.push((ControlType::Closed, ControlSetBy::Firm));
    }
    if !controls.is_empty() {
        details.push(StatusDetail::FailedControls { controls });
    }

    let failed_members: Vec<MemberId> = facts
        .members
        .iter()
        .filter(|(_, s)| matches!(s, Some(IdentityStatus::Denied | IdentityStatus::Disabled)))
        .map(|(id, _)| *id)
        .collect();
    if !failed_members.is_empty() {
        details.push(StatusDetail::FailedMembers { members: failed_members });
    }
    details
}
