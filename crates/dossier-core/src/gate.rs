//! The verify and activate gates. A gate returns *every* failing rule, in a fixed order of
//! precedence (the order of [`GateReason`]'s variants), never just the first one, so branch
//! staff can fix everything at once.

use time::Date;

use crate::customer::{ContactKind, ControlType, Customer, CustomerKind};
use crate::lifecycle::VerificationLevel;
use crate::values::TaxIdType;

/// One failing gate rule. The variant order is the documented order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GateReason {
    /// No address marked primary that is a physical place.
    PrimaryAddressMissing,
    /// No identity document that is active, issued and unexpired on the date.
    IdentityDocumentMissing,
    /// No verified email address.
    EmailUnverified,
    /// No verified mobile number.
    MobileUnverified,
    /// Level `full` without a government tax id and without a valid physical ID document.
    FullKycRequiresTaxIdOrPhysicalId,
    /// Activation while a `frozen` control is in place.
    ControlFrozen,
    /// Activation while a `denied` control is in place.
    ControlDenied,
    /// Activation while a `closed` control is in place.
    ControlClosed,
}

impl GateReason {
    pub const ALL: [GateReason; 8] = [
        GateReason::PrimaryAddressMissing,
        GateReason::IdentityDocumentMissing,
        GateReason::EmailUnverified,
        GateReason::MobileUnverified,
        GateReason::FullKycRequiresTaxIdOrPhysicalId,
        GateReason::ControlFrozen,
        GateReason::ControlDenied,
        GateReason::ControlClosed,
    ];

    /// The stable reason code.
    pub fn code(self) -> &'static str {
        match self {
            GateReason::PrimaryAddressMissing => "primary_address_missing",
            GateReason::IdentityDocumentMissing => "identity_document_missing",
            GateReason::EmailUnverified => "email_unverified",
            GateReason::MobileUnverified => "mobile_unverified",
            GateReason::FullKycRequiresTaxIdOrPhysicalId => "full_kyc_requires_tax_id_or_physical_id",
            GateReason::ControlFrozen => "control_frozen",
            GateReason::ControlDenied => "control_denied",
            GateReason::ControlClosed => "control_closed",
        }
    }

    /// Short human words for a checklist ("No primary address").
    pub fn label(self) -> &'static str {
        match self {
            GateReason::PrimaryAddressMissing => "No primary address",
            GateReason::IdentityDocumentMissing => "No valid identity document",
            GateReason::EmailUnverified => "Email not verified yet",
            GateReason::MobileUnverified => "Mobile number not verified yet",
            GateReason::FullKycRequiresTaxIdOrPhysicalId => "Full verification needs a tax id or a physical ID",
            GateReason::ControlFrozen => "Customer is frozen",
            GateReason::ControlDenied => "Customer is denied",
            GateReason::ControlClosed => "Customer has a closed control",
        }
    }

    /// A sentence saying what is missing and how to fix it.
    pub fn message(self) -> &'static str {
        match self {
            GateReason::PrimaryAddressMissing => {
                "no primary address: add a residential, business or registered address marked primary"
            }
            GateReason::IdentityDocumentMissing => {
                "no identity document that is active and unexpired on the verification date: add one"
            }
            GateReason::EmailUnverified => "no verified email: verify the customer's email address",
            GateReason::MobileUnverified => "no verified mobile number: verify the customer's mobile number",
            GateReason::FullKycRequiresTaxIdOrPhysicalId => {
                "full verification needs an SSN or ITIN (EIN for a business) or a valid physical ID document \
                 (passport, passport card, driver's licence, national identity card, residence card)"
            }
            GateReason::ControlFrozen => "the customer is frozen: remove the frozen control before activating",
            GateReason::ControlDenied => "the customer is denied: remove the denied control before activating",
            GateReason::ControlClosed => "the customer has a closed control: remove it before activating",
        }
    }
}

/// Every rule `customer` fails for verification at `level` on date `on`, in precedence order.
/// An empty list means the gate passes.
pub fn verify_gate(customer: &Customer, level: VerificationLevel, on: Date) -> Vec<GateReason> {
    let mut reasons = Vec::new();
    if !customer.addresses.iter().any(|a| a.is_primary_physical()) {
        reasons.push(GateReason::PrimaryAddressMissing);
    }
    if !customer.documents.iter().any(|d| d.is_valid_on(on)) {
        reasons.push(GateReason::IdentityDocumentMissing);
    }
    if !customer.has_verified(ContactKind::Email) {
        reasons.push(GateReason::EmailUnverified);
    }
    if !customer.has_verified(ContactKind::Mobile) {
        reasons.push(GateReason::MobileUnverified);
    }
    if level == VerificationLevel::Full && !has_tax_id_or_physical_id(customer, on) {
        reasons.push(GateReason::FullKycRequiresTaxIdOrPhysicalId);
    }
    reasons
}

/// Every rule `customer` fails for activation on date `on`: the verify rules at the level it was
/// verified at (documents may have expired since), then blocking controls. The lifecycle check
/// (is it verified at all?) is [`crate::CustomerState::apply`]'s job and comes first.
pub fn activate_gate(customer: &Customer, on: Date) -> Vec<GateReason> {
    let mut reasons = match customer.state.level() {
        Some(level) => verify_gate(customer, level, on),
        None => Vec::new(),
    };
    for (control, reason) in [
        (ControlType::Frozen, GateReason::ControlFrozen),
        (ControlType::Denied, GateReason::ControlDenied),
        (ControlType::Closed, GateReason::ControlClosed),
    ] {
        if customer.has_control(control) {
            reasons.push(reason);
        }
    }
    reasons
}

/// A government tax id fitting the customer's kind (SSN or ITIN for a person, EIN for a business),
/// or a valid physical ID document.
fn has_tax_id_or_physical_id(customer: &Customer, on: Date) -> bool {
    let tax_id = customer.tax.details().iter().any(|t| match customer.kind() {
        CustomerKind::Individual => matches!(t.tax_id_type, TaxIdType::Ssn | TaxIdType::Itin),
        CustomerKind::Business => t.tax_id_type == TaxIdType::Ein,
    });
    tax_id || customer.documents.iter().any(|d| d.document_type.is_physical_id() && d.is_valid_on(on))
}
