//! Sync vocabulary: the providers, what the outbox carries and where a message stands, and the
//! retry schedule (capped exponential backoff with full jitter; the random draw is an argument).

use time::{Duration, OffsetDateTime};

use crate::word_enum;

word_enum!(
    Provider {
        Cybrid = "cybrid",
        Paxos = "paxos",
        Qolo = "qolo",
        Mbanq = "mbanq",
    }
);

word_enum!(
    /// What a provider must hear about.
    Operation {
        /// A new customer: Cybrid customer, Paxos identity, Qolo person, Mbanq client.
        CustomerCreate = "customer.create",
        /// The customer was verified locally: Mbanq `command=verify`; Cybrid attestation (an
        /// `attested` KYC verification), which Cybrid needs before it accepts an EDD case.
        CustomerVerify = "customer.verify",
        /// Mbanq `command=activate`.
        CustomerActivate = "customer.activate",
        /// A local identity verification or EDD case: Cybrid identity verification.
        VerificationCreate = "verification.create",
        /// A perform-KYC attempt: Qolo perform KYC.
        KycPerform = "kyc.perform",
    }
);

impl Operation {
    /// Creates must be looked up before they are sent again when their fate is unknown.
    pub fn creates_record(self) -> bool {
        matches!(self, Operation::CustomerCreate | Operation::VerificationCreate | Operation::CustomerVerify)
    }
}

impl Provider {
    /// The operations this provider is told about.
    pub fn operations(self) -> &'static [Operation] {
        match self {
            Provider::Cybrid => &[Operation::CustomerCreate, Operation::CustomerVerify, Operation::VerificationCreate],
            Provider::Paxos => &[Operation::CustomerCreate],
            Provider::Qolo => &[Operation::CustomerCreate, Operation::KycPerform],
            Provider::Mbanq => &[Operation::CustomerCreate, Operation::CustomerVerify, Operation::CustomerActivate],
        }
    }
}

word_enum!(
    OutboxStatus {
        Pending = "pending",
        InFlight = "in_flight",
        Done = "done",
        NeedsAttention = "needs_attention",
        Discarded = "discarded",
    }
);

/// How retries are spaced, and when they stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// After this many failed attempts a message needs a person's attention.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // Twenty attempts spaced up to a minute apart cover a provider that is down for about a
        // quarter of an hour; after that a person looks.
        Self { base: Duration::milliseconds(500), cap: Duration::seconds(60), max_attempts: 20 }
    }
}

impl RetryPolicy {
    /// When to try again after `attempts` failed attempts: full jitter over an exponentially
    /// growing, capped window (`unit` in 0..1 is the random draw), but never before a
    /// provider's `Retry-After`.
    pub fn next_attempt(
        &self,
        attempts: u32,
        now: OffsetDateTime,
        unit: f64,
        retry_after: Option<Duration>,
    ) -> Option<OffsetDateTime> {
        if attempts >= self.max_attempts {
            return None;
        }
        let exp = self.base * 2f64.powi(attempts.saturating_sub(1).min(30) as i32);
        let window = if exp > self.cap { self.cap } else { exp };
        let jittered = window * unit.clamp(0.0, 1.0);
        let wait = match retry_after {
            Some(r) if r > jittered => r,
            _ => jittered,
        };
        Some(now + wait)
    }
}
