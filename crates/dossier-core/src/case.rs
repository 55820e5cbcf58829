//! Case work around verifications: EDD evidence, notes, the officers' appended decisions, and
//! perform-KYC attempts (Qolo's four actions).

use time::OffsetDateTime;

use crate::access::UserName;
use crate::ids::{CustomerId, DecisionId, EvidenceId, KycResultId, NoteId, VerificationId};
use crate::values::Text;
use crate::verification::{FailureCodeValue, Outcome};
use crate::word_enum;

/// A document or record attached to an EDD case against one checklist item.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub id: EvidenceId,
    pub verification_id: VerificationId,
    pub item: String,
    pub reference: Text,
    pub description: Option<Text>,
    pub added_by: UserName,
    pub added_at: OffsetDateTime,
}

/// The checklist items that have no evidence yet, in checklist order.
pub fn missing_evidence<'a>(checklist: &'a [String], evidence: &[Evidence]) -> Vec<&'a str> {
    checklist.iter().filter(|item| !evidence.iter().any(|e| &e.item == *item)).map(String::as_str).collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: NoteId,
    pub verification_id: VerificationId,
    pub author: UserName,
    pub text: Text,
    pub created_at: OffsetDateTime,
}

word_enum!(
    /// What a decision decided.
    DecisionKind {
        /// An officer decided a verification.
        Verification = "verification",
        /// An officer decided an EDD case.
        Edd = "edd",
        /// The firm overrode a provider's verification level (Qolo client verification).
        ClientOverride = "client_override",
    }
);

/// Who decided what, when, why and on which evidence. Appended, never edited.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub id: DecisionId,
    pub customer_id: CustomerId,
    pub verification_id: Option<VerificationId>,
    pub kind: DecisionKind,
    pub outcome: Outcome,
    pub reason: Text,
    pub failure_codes: Vec<FailureCodeValue>,
    pub evidence: Vec<EvidenceId>,
    pub decided_by: UserName,
    pub decided_at: OffsetDateTime,
}

word_enum!(
    /// Qolo's four perform-KYC uses, plus results reported back by the provider.
    KycAction {
        /// Try verification again after fixing the person's data.
        Reattempt = "reattempt",
        /// Upload a document for verification.
        Document = "document",
        /// Answer out-of-wallet challenge questions.
        Answers = "answers",
        /// The firm overrides the verification level.
        ClientOverride = "client_override",
        /// A result the provider reported (with questions, reason codes).
        ProviderResult = "provider_result",
    }
);

word_enum!(
    /// Where a KYC attempt stands.
    KycResultStatus {
        /// Recorded here; waiting to be sent to the provider.
        Submitted = "submitted",
        /// Applied at once by the firm's override.
        Overridden = "overridden",
        /// Reported by the provider.
        Reported = "reported",
    }
);

/// An out-of-wallet question a provider asked.
#[derive(Debug, Clone, PartialEq)]
pub struct OowQuestion {
    pub key: String,
    pub prompt: String,
    pub options: Vec<String>,
}

/// One perform-KYC attempt or provider result. `detail` is the attempt's request or result as a
/// JSON object (answers' values excluded from logs and audit, but kept here as evidence).
#[derive(Debug, Clone, PartialEq)]
pub struct KycResult {
    pub id: KycResultId,
    pub customer_id: CustomerId,
    pub action: KycAction,
    pub status: KycResultStatus,
    pub verification_level: Option<String>,
    pub provider: Option<String>,
    pub provider_reference: Option<String>,
    pub response_code: Option<String>,
    pub reason_codes: Vec<String>,
    pub questions: Vec<OowQuestion>,
    pub detail: String,
    pub actor: UserName,
    pub created_at: OffsetDateTime,
}
