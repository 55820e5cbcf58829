//! The firm's configurable policy: what a passing KYC does, verification deadlines, the EDD
//! checklist, case SLAs, KYC refresh intervals, activity-limit tiers and the risk model.
//! `Policy::default()` is what a new data directory starts with.

use rust_decimal::Decimal;
use time::Duration;

use crate::risk::RiskModel;
use crate::verification::VerificationMethod;
use crate::word_enum;

word_enum!(
    /// What a passing `kyc` verification does to a pending customer.
    KycPassPolicy {
        /// Keep it as evidence only; branch staff verify through the gate.
        RecordOnly = "record_only",
        /// Verify the customer at `partial`, if the verify gate passes.
        VerifyPartial = "verify_partial",
        /// Verify the customer at `full`, if the verify gate passes.
        VerifyFull = "verify_full",
    }
);

impl KycPassPolicy {
    /// The level a passing KYC verifies a pending customer at, if any.
    pub fn verify_level(self) -> Option<crate::lifecycle::VerificationLevel> {
        match self {
            KycPassPolicy::RecordOnly => None,
            KycPassPolicy::VerifyPartial => Some(crate::lifecycle::VerificationLevel::Partial),
            KycPassPolicy::VerifyFull => Some(crate::lifecycle::VerificationLevel::Full),
        }
    }
}

word_enum!(
    /// The kinds of case work, each with its own SLA.
    CaseType {
        Edd = "edd",
        Kyc = "kyc",
        BankAccount = "bank_account",
        Counterparty = "counterparty",
    }
);

word_enum!(
    /// Activity-limit tiers, keyed by verification level.
    LimitTier {
        Partial = "partial",
        Full = "full",
        Edd = "edd",
    }
);

word_enum!(
    /// How often a limit resets.
    LimitInterval {
        Daily = "daily",
        Weekly = "weekly",
        Monthly = "monthly",
        Lifetime = "lifetime",
    }
);

/// One activity limit: at most `amount` of `currency` per `interval` for `activity`.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityLimit {
    pub activity: String,
    pub amount: Decimal,
    pub currency: String,
    pub interval: LimitInterval,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub on_kyc_passed: KycPassPolicy,
    /// How long an unfinished verification of a method may take before it expires.
    pub verification_deadlines: Vec<(VerificationMethod, Duration)>,
    /// Evidence an EDD case must hold before it can pass.
    pub edd_checklist: Vec<String>,
    /// How long each kind of case may stay open.
    pub sla: Vec<(CaseType, Duration)>,
    /// Years between periodic KYC refreshes, by risk rating (LOW, MEDIUM, HIGH).
    pub refresh_years: [i32; 3],
    pub activity_limits: Vec<(LimitTier, Vec<ActivityLimit>)>,
    pub risk: RiskModel,
}

impl Policy {
    pub fn deadline(&self, method: VerificationMethod) -> Option<Duration> {
        self.verification_deadlines.iter().find(|(m, _)| *m == method).map(|(_, d)| *d)
    }

    pub fn sla_for(&self, case: CaseType) -> Option<Duration> {
        self.sla.iter().find(|(c, _)| *c == case).map(|(_, d)| *d)
    }

    pub fn limits(&self, tier: LimitTier) -> &[ActivityLimit] {
        self.activity_limits.iter().find(|(t, _)| *t == tier).map(|(_, l)| l.as_slice()).unwrap_or(&[])
    }
}

fn limit(activity: &str, amount: i64, interval: LimitInterval) -> ActivityLimit {
    ActivityLimit { activity: activity.to_owned(), amount: Decimal::from(amount), currency: "USD".to_owned(), interval }
}

impl Default for Policy {
    fn default() -> Self {
        use LimitInterval::{Daily, Monthly};
        Self {
            on_kyc_passed: KycPassPolicy::RecordOnly,
            verification_deadlines: vec![
                (VerificationMethod::IdAndSelfie, Duration::minutes(60)),
                (VerificationMethod::BusinessRegistration, Duration::hours(24)),
                (VerificationMethod::DocumentSubmission, Duration::days(7)),
            ],
            edd_checklist: ["proof_of_address", "source_of_funds", "source_of_wealth", "purpose_of_account"]
                .map(str::to_owned)
                .to_vec(),
            sla: vec![
                (CaseType::Edd, Duration::days(5)),
                (CaseType::Kyc, Duration::days(2)),
                (CaseType::BankAccount, Duration::days(2)),
                (CaseType::Counterparty, Duration::days(2)),
            ],
            refresh_years: [3, 2, 1],
            activity_limits: vec![
                (LimitTier::Partial, vec![limit("funding", 1_000, Daily), limit("funding", 5_000, Monthly)]),
                (LimitTier::Full, vec![limit("funding", 10_000, Daily), limit("funding", 50_000, Monthly)]),
                (LimitTier::Edd, vec![limit("funding", 100_000, Daily), limit("funding", 1_000_000, Monthly)]),
            ],
            risk: RiskModel::default(),
        }
    }
}
