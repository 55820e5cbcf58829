//! The customer lifecycle, core-banking style (Mbanq/Fineract): one enum of states and one
//! function that decides every (state, action) pair explicitly.
//!
//! ```mermaid
//! stateDiagram-v2
//!     [*] --> pending: create
//!     pending --> verified: verify (gate)
//!     verified --> verified: verify full (upgrade from partial, gate)
//!     verified --> active: activate (gate)
//!     active --> active: verify full (upgrade from partial, gate)
//!     pending --> rejected: reject
//!     pending --> withdrawn: withdraw
//!     rejected --> pending: undo rejection
//!     withdrawn --> pending: undo withdrawal
//!     verified --> closed: close
//!     active --> closed: close
//!     closed --> pending: reactivate
//! ```
//!
//! Reactivation returns a closed customer to `pending`, as Fineract does, so verification and
//! activation happen again. There are no terminal states: every state has a way out.

use crate::word_enum;

word_enum!(
    /// How much of the verify gate a customer has passed. `full` includes everything in `partial`.
    VerificationLevel {
        Partial = "partial",
        Full = "full",
    }
);

/// Where a customer is in its lifecycle, with the data that belongs to that state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerState {
    Pending,
    Verified { level: VerificationLevel },
    Active { level: VerificationLevel },
    Rejected,
    Withdrawn,
    Closed,
}

/// What a person can ask of a customer's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerAction {
    Verify(VerificationLevel),
    Activate,
    Reject,
    Withdraw,
    UndoRejection,
    UndoWithdrawal,
    Close,
    Reactivate,
}

/// Why a transition was refused, one stable code each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Activation asked of a customer that has not been verified.
    NotVerified,
    /// Activation asked of a customer that is already active.
    AlreadyActive,
    /// Verification asked at a level the customer already has (or lower).
    AlreadyVerified,
    /// Any other pair the lifecycle does not allow.
    NotAllowed,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotVerified => "customer_not_verified",
            Refusal::AlreadyActive => "customer_already_active",
            Refusal::AlreadyVerified => "customer_already_verified",
            Refusal::NotAllowed => "invalid_transition",
        }
    }
}

/// A refused transition: which state, which action, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message())]
pub struct TransitionError {
    pub from: CustomerState,
    pub action: CustomerAction,
    pub refusal: Refusal,
}

impl TransitionError {
    pub fn code(&self) -> &'static str {
        self.refusal.code()
    }

    /// A sentence saying what was refused and what to do instead.
    pub fn message(&self) -> String {
        let from = self.from.name();
        let action = self.action.name();
        match self.refusal {
            Refusal::NotVerified => "customer is not verified: verify the customer before activating".to_owned(),
            Refusal::AlreadyActive => "customer is already active".to_owned(),
            Refusal::AlreadyVerified => format!(
                "customer is already verified at level {}: only an upgrade from partial to full is possible",
                self.from.level().map_or("unknown", VerificationLevel::as_str)
            ),
            Refusal::NotAllowed => {
                let hint = match self.action {
                    CustomerAction::Reject | CustomerAction::Withdraw => "only pending customers can be",
                    CustomerAction::UndoRejection => "only rejected customers can be",
                    CustomerAction::UndoWithdrawal => "only withdrawn customers can be",
                    CustomerAction::Close => "only verified or active customers can be",
                    CustomerAction::Reactivate => "only closed customers can be",
                    CustomerAction::Verify(_) => "only pending customers (or partial ones, to full) can be",
                    CustomerAction::Activate => "only verified customers can be",
                };
                format!("cannot {action} a customer that is {from}: {hint} {}", self.action.past_tense())
            }
        }
    }
}

impl CustomerState {
    /// The stable name of the state, as stored and shown.
    pub fn name(&self) -> &'static str {
        match self {
            CustomerState::Pending => "pending",
            CustomerState::Verified { .. } => "verified",
            CustomerState::Active { .. } => "active",
            CustomerState::Rejected => "rejected",
            CustomerState::Withdrawn => "withdrawn",
            CustomerState::Closed => "closed",
        }
    }

    pub const NAMES: [&'static str; 6] = ["pending", "verified", "active", "rejected", "withdrawn", "closed"];

    /// The verification level, for the states that carry one.
    pub fn level(&self) -> Option<VerificationLevel> {
        match self {
            CustomerState::Verified { level } | CustomerState::Active { level } => Some(*level),
            CustomerState::Pending | CustomerState::Rejected | CustomerState::Withdrawn | CustomerState::Closed => None,
        }
    }

    /// Rebuilds a state from its stored name and level; `None` when they do not fit together.
    pub fn from_parts(name: &str, level: Option<VerificationLevel>) -> Option<Self> {
        Some(match (name, level) {
            ("pending", None) => CustomerState::Pending,
            ("verified", Some(level)) => CustomerState::Verified { level },
            ("active", Some(level)) => CustomerState::Active { level },
            ("rejected", None) => CustomerState::Rejected,
            ("withdrawn", None) => CustomerState::Withdrawn,
            ("closed", None) => CustomerState::Closed,
            _ => return None,
        })
    }

    /// Decides one transition. Gates (what the customer's data must show) are checked
    /// separately in [`crate::gate`]; this function only knows about states.
    pub fn apply(self, action: CustomerAction) -> Result<CustomerState, TransitionError> {
        use CustomerAction as A;
        use CustomerState as S;
        use VerificationLevel::{Full, Partial};
        let refuse = |refusal| Err(TransitionError { from: self, action, refusal });
        match (self, action) {
            (S::Pending, A::Verify(level)) => Ok(S::Verified { level }),
            (S::Verified { level: Partial }, A::Verify(Full)) => Ok(S::Verified { level: Full }),
            (S::Active { level: Partial }, A::Verify(Full)) => Ok(S::Active { level: Full }),
            (S::Verified { level: Partial }, A::Verify(Partial))
            | (S::Verified { level: Full }, A::Verify(_))
            | (S::Active { level: Partial }, A::Verify(Partial))
            | (S::Active { level: Full }, A::Verify(_)) => refuse(Refusal::AlreadyVerified),
            (S::Rejected | S::Withdrawn | S::Closed, A::Verify(_)) => refuse(Refusal::NotAllowed),

            (S::Verified { level }, A::Activate) => Ok(S::Active { level }),
            (S::Pending, A::Activate) => refuse(Refusal::NotVerified),
            (S::Active { .. }, A::Activate) => refuse(Refusal::AlreadyActive),
            (S::Rejected | S::Withdrawn | S::Closed, A::Activate) => refuse(Refusal::NotAllowed),

            (S::Pending, A::Reject) => Ok(S::Rejected),
            (S::Pending, A::Withdraw) => Ok(S::Withdrawn),
            (
                S::Verified { .. } | S::Active { .. } | S::Rejected | S::Withdrawn | S::Closed,
                A::Reject | A::Withdraw,
            ) => refuse(Refusal::NotAllowed),

            (S::Rejected, A::UndoRejection) => Ok(S::Pending),
            (S::Pending | S::Verified { .. } | S::Active { .. } | S::Withdrawn | S::Closed, A::UndoRejection) => {
                refuse(Refusal::NotAllowed)
            }

            (S::Withdrawn, A::UndoWithdrawal) => Ok(S::Pending),
            (S::Pending | S::Verified { .. } | S::Active { .. } | S::Rejected | S::Closed, A::UndoWithdrawal) => {
                refuse(Refusal::NotAllowed)
            }

            (S::Verified { .. } | S::Active { .. }, A::Close) => Ok(S::Closed),
            (S::Pending | S::Rejected | S::Withdrawn | S::Closed, A::Close) => refuse(Refusal::NotAllowed),

            (S::Closed, A::Reactivate) => Ok(S::Pending),
            (S::Pending | S::Verified { .. } | S::Active { .. } | S::Rejected | S::Withdrawn, A::Reactivate) => {
                refuse(Refusal::NotAllowed)
            }
        }
    }
}

impl CustomerAction {
    /// The stable name of the action, as used by the CLI and the audit trail.
    pub fn name(&self) -> &'static str {
        match self {
            CustomerAction::Verify(_) => "verify",
            CustomerAction::Activate => "activate",
            CustomerAction::Reject => "reject",
            CustomerAction::Withdraw => "withdraw",
            CustomerAction::UndoRejection => "undo_rejection",
            CustomerAction::UndoWithdrawal => "undo_withdrawal",
            CustomerAction::Close => "close",
            CustomerAction::Reactivate => "reactivate",
        }
    }

    fn past_tense(&self) -> &'static str {
        match self {
            CustomerAction::Verify(_) => "verified",
            CustomerAction::Activate => "activated",
            CustomerAction::Reject => "rejected",
            CustomerAction::Withdraw => "withdrawn",
            CustomerAction::UndoRejection => "restored from rejection",
            CustomerAction::UndoWithdrawal => "restored from withdrawal",
            CustomerAction::Close => "closed",
            CustomerAction::Reactivate => "reactivated",
        }
    }

    /// Whether a person must give a reason for this action.
    pub fn needs_reason(&self) -> bool {
        match self {
            CustomerAction::Verify(_) | CustomerAction::Activate => false,
            CustomerAction::Reject
            | CustomerAction::Withdraw
            | CustomerAction::UndoRejection
            | CustomerAction::UndoWithdrawal
            | CustomerAction::Close
            | CustomerAction::Reactivate => true,
        }
    }
}
