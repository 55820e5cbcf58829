//! Identity verifications, Cybrid's model: a type, a method, a state machine whose outcome exists
//! only once it is completed, failure codes, compliance checks and decisions.
//!
//! ```mermaid
//! stateDiagram-v2
//!     [*] --> storing: create
//!     storing --> waiting: wait
//!     storing --> completed: complete (methods with no customer step: attested*, database, watchlists)
//!     waiting --> pending: start
//!     pending --> reviewing: review
//!     pending --> completed: complete
//!     reviewing --> completed: complete
//!     waiting --> expired: expire (deadline passed)
//!     pending --> expired: expire (deadline passed)
//!     storing --> completed: decide (officer)
//!     waiting --> completed: decide (officer)
//!     pending --> completed: decide (officer)
//!     reviewing --> completed: decide (officer)
//!     completed --> [*]
//!     expired --> [*]
//! ```
//!
//! `completed` and `expired` are terminal: a new verification is created instead.

use time::OffsetDateTime;

use crate::ids::{CustomerId, VerificationId};
use crate::values::{Text, ValueError};
use crate::word_enum;

word_enum!(
    /// What is being verified.
    VerificationType {
        Kyc = "kyc",
        BankAccount = "bank_account",
        Counterparty = "counterparty",
    }
);

word_enum!(
    /// How it is verified (Cybrid's 15 methods).
    VerificationMethod {
        Attested = "attested",
        DocumentSubmission = "document_submission",
        EnhancedDueDiligence = "enhanced_due_diligence",
        IdAndSelfie = "id_and_selfie",
        TaxIdAndSelfie = "tax_id_and_selfie",
        BusinessRegistration = "business_registration",
        AttestedIdAndSelfie = "attested_id_and_selfie",
        AttestedBusinessRegistration = "attested_business_registration",
        AttestedBusinessAssociate = "attested_business_associate",
        AttestedIdAndDatabase = "attested_id_and_database",
        AttestedDatabase = "attested_database",
        Database = "database",
        Watchlists = "watchlists",
        AttestedOwnership = "attested_ownership",
        AccountOwnership = "account_ownership",
    }
);

impl VerificationMethod {
    /// Methods with no step for the customer to take (no inquiry to wait for), which may go
    /// from `storing` straight to `completed`.
    pub fn is_non_interactive(self) -> bool {
        match self {
            VerificationMethod::Attested
            | VerificationMethod::AttestedIdAndSelfie
            | VerificationMethod::AttestedBusinessRegistration
            | VerificationMethod::AttestedBusinessAssociate
            | VerificationMethod::AttestedIdAndDatabase
            | VerificationMethod::AttestedDatabase
            | VerificationMethod::AttestedOwnership
            | VerificationMethod::Database
            | VerificationMethod::Watchlists => true,
            VerificationMethod::DocumentSubmission
            | VerificationMethod::EnhancedDueDiligence
            | VerificationMethod::IdAndSelfie
            | VerificationMethod::TaxIdAndSelfie
            | VerificationMethod::BusinessRegistration
            | VerificationMethod::AccountOwnership => false,
        }
    }

    /// The compliance decision a completed verification of this method produces, if any.
    pub fn decision_type(self) -> Option<ComplianceType> {
        use ComplianceType as C;
        use VerificationMethod as M;
        Some(match self {
            M::IdAndSelfie | M::TaxIdAndSelfie | M::DocumentSubmission => C::PersonGovIdVerification,
            M::Attested => C::PersonAttested,
            M::AttestedIdAndSelfie | M::AttestedIdAndDatabase => C::PersonGovIdAttested,
            M::AttestedDatabase => C::PersonAttested,
            M::Database => C::PersonVerification,
            M::Watchlists => C::PersonWatchlists,
            M::BusinessRegistration => C::BusinessVerification,
            M::AttestedBusinessRegistration => C::BusinessAttested,
            M::AttestedBusinessAssociate => C::BusinessAssociateAttested,
            M::AttestedOwnership => C::ExternalBankAccountAttested,
            M::AccountOwnership => C::ExternalBankAccountVerification,
            M::EnhancedDueDiligence => return None,
        })
    }
}

word_enum!(
    /// The result of a completed verification.
    Outcome {
        Passed = "passed",
        Failed = "failed",
    }
);

word_enum!(
    /// The 43 failure codes Cybrid documents.
    FailureCode {
        IdCheckFailure = "id_check_failure",
        IdQualityCheckFailure = "id_quality_check_failure",
        IdBarcodeCheckFailure = "id_barcode_check_failure",
        IdMrzCheckFailure = "id_mrz_check_failure",
        IdPresenceCheckFailure = "id_presence_check_failure",
        IdExpirationCheckFailure = "id_expiration_check_failure",
        IdDoubleSideCheckFailure = "id_double_side_check_failure",
        IdTypeAllowedCheckFailure = "id_type_allowed_check_failure",
        IdCountryAllowedCheckFailure = "id_country_allowed_check_failure",
        IdDigitalReplicaCheckFailure = "id_digital_replica_check_failure",
        IdPaperReplicaCheckFailure = "id_paper_replica_check_failure",
        DatabaseCheckFailure = "database_check_failure",
        SelfieFailure = "selfie_failure",
        SelfiePoseCheckFailure = "selfie_pose_check_failure",
        SelfieQualityCheckFailure = "selfie_quality_check_failure",
        CountryComparisonCheckFailure = "country_comparison_check_failure",
        DuplicatePersonCheckFailure = "duplicate_person_check_failure",
        ProhibitedPersonCheckFailure = "prohibited_person_check_failure",
        NameCheckFailure = "name_check_failure",
        AddressCheckFailure = "address_check_failure",
        AccountNumberCheckFailure = "account_number_check_failure",
        DobCheckFailure = "dob_check_failure",
        IdNumberCheckFailure = "id_number_check_failure",
        PhoneNumberCheckFailure = "phone_number_check_failure",
        EmailAddressCheckFailure = "email_address_check_failure",
        DocumentTypeCheckFailure = "document_type_check_failure",
        DocumentQualityCheckFailure = "document_quality_check_failure",
        DocumentCheckFailure = "document_check_failure",
        NameComparisonCheckFailure = "name_comparison_check_failure",
        ComplianceRejection = "compliance_rejection",
        ReviewRequired = "review_required",
        UserCanceled = "user_canceled",
        PlaidFailure = "plaid_failure",
        PlaidItemLoginRequired = "plaid_item_login_required",
        PlaidInvalidProduct = "plaid_invalid_product",
        PlaidNoAccounts = "plaid_no_accounts",
        PlaidItemNotFound = "plaid_item_not_found",
        DecisionTimeout = "decision_timeout",
        RequestedFailure = "requested_failure",
        DeletedAccount = "deleted_account",
        PepCheckFailure = "pep_check_failure",
        MediaCheckFailure = "media_check_failure",
        WatchlistCheckFailure = "watchlist_check_failure",
    }
);

/// A failure code as reported: one of the known 43, or a code a provider added since, kept as
/// text (providers add values; an unknown one must not be lost or refused).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureCodeValue {
    Known(FailureCode),
    Other(String),
}

impl FailureCodeValue {
    /// Known codes parse to their variant; any other snake_case word is kept as `Other`.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let raw = raw.trim();
        if let Ok(code) = FailureCode::parse(raw) {
            return Ok(FailureCodeValue::Known(code));
        }
        let valid = !raw.is_empty()
            && raw.len() <= 64
            && raw.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if valid { Ok(FailureCodeValue::Other(raw.to_owned())) } else { Err(ValueError::InvalidCode) }
    }

    pub fn as_str(&self) -> &str {
        match self {
            FailureCodeValue::Known(code) => code.as_str(),
            FailureCodeValue::Other(text) => text,
        }
    }

    /// A government-ID (`id_*`) or selfie (`selfie_*`) failure: these reject a pending customer.
    pub fn is_id_or_selfie(&self) -> bool {
        let code = self.as_str();
        code.starts_with("id_") || code.starts_with("selfie_")
    }
}

word_enum!(
    /// Compliance check and decision types (Cybrid's 24).
    ComplianceType {
        BusinessWatchlists = "business_watchlists",
        BusinessVerification = "business_verification",
        BusinessTaxIdVerification = "business_tax_id_verification",
        BusinessAttested = "business_attested",
        BusinessTaxIdAttested = "business_tax_id_attested",
        BusinessWatchlistsAttested = "business_watchlists_attested",
        PersonAttested = "person_attested",
        PersonTaxIdAttested = "person_tax_id_attested",
        PersonGovIdAttested = "person_gov_id_attested",
        PersonAuthenticationAttested = "person_authentication_attested",
        PersonWatchlistsAttested = "person_watchlists_attested",
        PersonBankAuthentication = "person_bank_authentication",
        PersonWatchlists = "person_watchlists",
        PersonVerification = "person_verification",
        PersonAuthentication = "person_authentication",
        PersonGovIdVerification = "person_gov_id_verification",
        PersonTaxIdVerification = "person_tax_id_verification",
        BusinessAssociateGovIdAttested = "business_associate_gov_id_attested",
        BusinessAssociateAuthenticationAttested = "business_associate_authentication_attested",
        BusinessAssociateAttested = "business_associate_attested",
        BusinessAssociateTaxIdAttested = "business_associate_tax_id_attested",
        BusinessAssociateWatchlistsAttested = "business_associate_watchlists_attested",
        ExternalBankAccountVerification = "external_bank_account_verification",
        ExternalBankAccountAttested = "external_bank_account_attested",
    }
);

word_enum!(
    /// A compliance check's result.
    CheckOutcome {
        Passed = "passed",
        Failed = "failed",
        Insufficient = "insufficient",
        Inconclusive = "inconclusive",
    }
);

word_enum!(
    /// A compliance decision's state.
    DecisionState {
        Passed = "passed",
        Failed = "failed",
        Expired = "expired",
        Invalidated = "invalidated",
    }
);

#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceCheck {
    pub check_type: ComplianceType,
    pub outcome: CheckOutcome,
    pub failure_codes: Vec<FailureCodeValue>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComplianceDecision {
    pub decision_type: ComplianceType,
    pub state: DecisionState,
    pub failure_codes: Vec<FailureCodeValue>,
    /// When a passed decision stops counting (e.g. the ID document's expiry).
    pub expired_at: Option<OffsetDateTime>,
}

impl ComplianceDecision {
    /// The decision a completed verification records about `customer` on `today`. A passed
    /// government-ID decision lasts as long as the physical ID document it rests on (until the
    /// day after the latest valid one expires).
    pub fn recorded(
        decision_type: ComplianceType,
        outcome: Outcome,
        failure_codes: Vec<FailureCodeValue>,
        customer: &crate::customer::Customer,
        today: time::Date,
    ) -> Self {
        let gov_id =
            matches!(decision_type, ComplianceType::PersonGovIdVerification | ComplianceType::PersonGovIdAttested);
        let expired_at = (gov_id && outcome == Outcome::Passed)
            .then(|| {
                customer
                    .documents
                    .iter()
                    .filter(|d| d.document_type.is_physical_id() && d.is_valid_on(today))
                    .filter_map(|d| d.expires_on)
                    .max()
                    .map(|day| day.next_day().unwrap_or(day).midnight().assume_utc())
            })
            .flatten();
        let state = if outcome == Outcome::Passed { DecisionState::Passed } else { DecisionState::Failed };
        Self { decision_type, state, failure_codes, expired_at }
    }
}

/// Where a verification is, with the data that belongs there: an outcome exists only once
/// completed.
#[derive(Debug, Clone, PartialEq)]
pub enum VerificationState {
    Storing,
    Waiting,
    Pending,
    Reviewing,
    Completed { outcome: Outcome, failure_codes: Vec<FailureCodeValue>, completed_at: OffsetDateTime },
    Expired { expired_at: OffsetDateTime },
}

impl VerificationState {
    pub const NAMES: [&'static str; 6] = ["storing", "waiting", "pending", "reviewing", "completed", "expired"];

    pub fn name(&self) -> &'static str {
        match self {
            VerificationState::Storing => "storing",
            VerificationState::Waiting => "waiting",
            VerificationState::Pending => "pending",
            VerificationState::Reviewing => "reviewing",
            VerificationState::Completed { .. } => "completed",
            VerificationState::Expired { .. } => "expired",
        }
    }

    /// Not yet completed or expired.
    pub fn in_progress(&self) -> bool {
        match self {
            VerificationState::Storing
            | VerificationState::Waiting
            | VerificationState::Pending
            | VerificationState::Reviewing => true,
            VerificationState::Completed { .. } | VerificationState::Expired { .. } => false,
        }
    }

    pub fn outcome(&self) -> Option<Outcome> {
        match self {
            VerificationState::Completed { outcome, .. } => Some(*outcome),
            _ => None,
        }
    }

    pub fn failure_codes(&self) -> &[FailureCodeValue] {
        match self {
            VerificationState::Completed { failure_codes, .. } => failure_codes,
            _ => &[],
        }
    }
}

/// What can happen to a verification.
#[derive(Debug, Clone, PartialEq)]
pub enum VerificationStep {
    /// The record is stored; the customer's step is awaited (storing → waiting).
    Wait,
    /// The customer started (waiting → pending).
    Start,
    /// Results need a compliance review (pending → reviewing).
    Review,
    /// The provider or process finished with an outcome.
    Complete { outcome: Outcome, failure_codes: Vec<FailureCodeValue> },
    /// The deadline passed before the customer finished.
    Expire,
    /// An officer decided the case.
    Decide { outcome: Outcome, failure_codes: Vec<FailureCodeValue> },
}

impl VerificationStep {
    pub fn name(&self) -> &'static str {
        match self {
            VerificationStep::Wait => "wait",
            VerificationStep::Start => "start",
            VerificationStep::Review => "review",
            VerificationStep::Complete { .. } => "complete",
            VerificationStep::Expire => "expire",
            VerificationStep::Decide { .. } => "decide",
        }
    }

    /// The step that reaches `target` in an `advance` (officers decide with `Decide` instead).
    pub fn towards(target: &str, outcome: Option<Outcome>, failure_codes: Vec<FailureCodeValue>) -> Option<Self> {
        Some(match (target, outcome) {
            ("waiting", None) => VerificationStep::Wait,
            ("pending", None) => VerificationStep::Start,
            ("reviewing", None) => VerificationStep::Review,
            ("expired", None) => VerificationStep::Expire,
            ("completed", Some(outcome)) => VerificationStep::Complete { outcome, failure_codes },
            _ => return None,
        })
    }
}

/// A refused verification step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {step} a verification that is {from}{hint}")]
pub struct VerificationTransitionError {
    pub from: &'static str,
    pub step: &'static str,
    pub hint: &'static str,
}

impl VerificationTransitionError {
    pub fn code(&self) -> &'static str {
        "invalid_verification_transition"
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Verification {
    pub id: VerificationId,
    pub customer_id: CustomerId,
    pub verification_type: VerificationType,
    pub method: VerificationMethod,
    pub state: VerificationState,
    pub compliance_checks: Vec<ComplianceCheck>,
    pub compliance_decisions: Vec<ComplianceDecision>,
    /// The provider's inquiry or reference, when there is one.
    pub external_reference: Option<Text>,
    /// When an unfinished verification expires (per method; `None` when there is no deadline).
    pub expires_at: Option<OffsetDateTime>,
    /// Case work: who has it, when it is due, until when it is snoozed.
    pub assignee: Option<crate::access::UserName>,
    pub sla_due_at: Option<OffsetDateTime>,
    pub snoozed_until: Option<time::Date>,
    /// EDD only: the evidence the case must hold before it can pass.
    pub checklist: Vec<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Verification {
    pub fn is_edd(&self) -> bool {
        self.method == VerificationMethod::EnhancedDueDiligence
    }

    /// Decides one step, matching every (state, step) pair explicitly.
    pub fn apply(
        &self,
        step: VerificationStep,
        now: OffsetDateTime,
    ) -> Result<VerificationState, VerificationTransitionError> {
        use VerificationState as S;
        use VerificationStep as T;
        let refuse =
            |hint: &'static str| Err(VerificationTransitionError { from: self.state.name(), step: step.name(), hint });
        match (&self.state, &step) {
            (S::Storing, T::Wait) => Ok(S::Waiting),
            (S::Storing, T::Complete { outcome, failure_codes }) if self.method.is_non_interactive() => {
                Ok(S::Completed { outcome: *outcome, failure_codes: failure_codes.clone(), completed_at: now })
            }
            (S::Storing, T::Complete { .. }) => refuse(": this method needs the customer's step first"),
            (S::Storing, T::Start | T::Review | T::Expire) => refuse(": it must be waiting first"),
            (S::Waiting, T::Start) => Ok(S::Pending),
            (S::Waiting, T::Expire) | (S::Pending, T::Expire) => Ok(S::Expired { expired_at: now }),
            (S::Waiting, T::Wait | T::Review | T::Complete { .. }) => refuse(": the customer has not started"),
            (S::Pending, T::Review) => Ok(S::Reviewing),
            (S::Pending | S::Reviewing, T::Complete { outcome, failure_codes }) => {
                Ok(S::Completed { outcome: *outcome, failure_codes: failure_codes.clone(), completed_at: now })
            }
            (S::Pending, T::Wait | T::Start) => refuse(": it is already pending"),
            (S::Reviewing, T::Wait | T::Start | T::Review | T::Expire) => refuse(": it is under review"),
            (S::Storing | S::Waiting | S::Pending | S::Reviewing, T::Decide { outcome, failure_codes }) => {
                Ok(S::Completed { outcome: *outcome, failure_codes: failure_codes.clone(), completed_at: now })
            }
            (
                S::Completed { .. } | S::Expired { .. },
                T::Wait | T::Start | T::Review | T::Complete { .. } | T::Expire | T::Decide { .. },
            ) => refuse(": it is finished; create a new one"),
        }
    }
}
