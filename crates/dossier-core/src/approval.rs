//! Four-eyes (maker-checker) vocabulary: which commands need a second person, and the life of a
//! request. A request is made `pending`; a supervisor who is not its maker approves or rejects
//! it, or its maker withdraws it; a decided request never changes again.
//!
//! ```mermaid
//! stateDiagram-v2
//!     [*] --> pending: request (the command validated, not applied)
//!     pending --> approved: approve (another supervisor; the command applied)
//!     pending --> rejected: reject (another supervisor)
//!     pending --> withdrawn: withdraw (the maker)
//! ```

use crate::access::UserName;
use crate::word_enum;

word_enum!(
    /// A command that needs a second person.
    ApprovalKind {
        /// An EDD case's decision.
        EddDecision = "edd_decision",
        /// A client verification override (perform KYC with `client_verification`).
        ClientOverride = "client_override",
        /// Lifting a `frozen` or `denied` control.
        ControlRemoval = "control_removal",
        /// Undoing a rejection: a rejected customer returns to pending.
        UndoRejection = "undo_rejection",
        /// Discarding an outbox message: the provider never hears of the change.
        SyncDiscard = "sync_discard",
    }
);

word_enum!(
    /// Where a request is.
    ApprovalState {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
);

/// Why a checker cannot decide a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckRefusal {
    /// The request is decided already.
    NotPending,
    /// The checker is the maker.
    SameUser,
    /// Only the maker may withdraw.
    NotTheMaker,
}

impl ApprovalState {
    /// The state after `by` approves, rejects (`to`) or withdraws a request that `maker` made.
    pub fn decide(self, to: ApprovalState, maker: &UserName, by: &UserName) -> Result<ApprovalState, CheckRefusal> {
        match (self, to) {
            (ApprovalState::Pending, ApprovalState::Approved | ApprovalState::Rejected) => {
                if maker.same_as(by) {
                    Err(CheckRefusal::SameUser)
                } else {
                    Ok(to)
                }
            }
            (ApprovalState::Pending, ApprovalState::Withdrawn) => {
                if maker.same_as(by) {
                    Ok(to)
                } else {
                    Err(CheckRefusal::NotTheMaker)
                }
            }
            (ApprovalState::Pending, ApprovalState::Pending) => Err(CheckRefusal::NotPending),
            (ApprovalState::Approved | ApprovalState::Rejected | ApprovalState::Withdrawn, _) => {
                Err(CheckRefusal::NotPending)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApprovalState::*;

    #[test]
    fn a_second_person_decides_and_only_the_maker_withdraws() {
        let (ana, bo, ana_upper) =
            (UserName::parse("ana").unwrap(), UserName::parse("bo").unwrap(), UserName::parse("ANA").unwrap());
        assert_eq!(Pending.decide(Approved, &ana, &bo), Ok(Approved));
        assert_eq!(Pending.decide(Rejected, &ana, &bo), Ok(Rejected));
        assert_eq!(Pending.decide(Approved, &ana, &ana_upper), Err(CheckRefusal::SameUser));
        assert_eq!(Pending.decide(Rejected, &ana, &ana), Err(CheckRefusal::SameUser));
        assert_eq!(Pending.decide(Withdrawn, &ana, &ana), Ok(Withdrawn));
        assert_eq!(Pending.decide(Withdrawn, &ana, &bo), Err(CheckRefusal::NotTheMaker));
        for done in [Approved, Rejected, Withdrawn] {
            for to in ApprovalState::ALL {
                assert_eq!(done.decide(*to, &ana, &bo), Err(CheckRefusal::NotPending), "{done} → {to}");
            }
        }
    }
}
