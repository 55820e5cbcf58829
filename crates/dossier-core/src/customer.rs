//! The customer aggregate: the person or business behind an account, with everything the
//! verify gate looks at. Construction goes through already-parsed value types, so a
//! `Customer` in memory is always well-formed.

use std::collections::BTreeMap;

use time::{Date, OffsetDateTime};

use crate::ids::*;
use crate::lifecycle::CustomerState;
use crate::values::*;
use crate::word_enum;

word_enum!(
    /// Whether the customer is a natural person or a legal entity.
    CustomerKind {
        Individual = "individual",
        Business = "business",
    }
);

word_enum!(
    /// What an address is used for. A `mailing` address is not a physical address.
    AddressKind {
        Residential = "residential",
        Business = "business",
        Registered = "registered",
        Mailing = "mailing",
    }
);

word_enum!(
    /// The kind of a contact point.
    ContactKind {
        Email = "email",
        Mobile = "mobile",
    }
);

word_enum!(
    /// How a contact point was proven to belong to the customer.
    ContactVerificationMethod {
        /// A one-time code sent to the address or number and typed back.
        Code = "code",
        /// Confirmed in person at the counter.
        InPerson = "in_person",
        /// Shown on a document the customer presented.
        Document = "document",
    }
);

word_enum!(
    /// The kind of an identity document.
    DocumentType {
        Passport = "passport",
        PassportCard = "passport_card",
        DriversLicense = "drivers_license",
        NationalIdentityCard = "national_identity_card",
        ResidenceCard = "residence_card",
        SsnCard = "ssn_card",
        BirthCertificate = "birth_certificate",
        CertificateOfIncorporation = "certificate_of_incorporation",
        BusinessRegistration = "business_registration",
        Other = "other",
    }
);

impl DocumentType {
    /// A physical, photo-bearing government ID: what `full` verification accepts in place of a
    /// tax id (Mbanq: "an SSN, ITIN or physical ID document").
    pub fn is_physical_id(self) -> bool {
        match self {
            DocumentType::Passport
            | DocumentType::PassportCard
            | DocumentType::DriversLicense
            | DocumentType::NationalIdentityCard
            | DocumentType::ResidenceCard => true,
            DocumentType::SsnCard
            | DocumentType::BirthCertificate
            | DocumentType::CertificateOfIncorporation
            | DocumentType::BusinessRegistration
            | DocumentType::Other => false,
        }
    }
}

word_enum!(
    /// Whether a document may still be relied on.
    DocumentStatus {
        Active = "active",
        Inactive = "inactive",
    }
);

word_enum!(
    /// Which part of a document a file shows.
    DocumentFileRole {
        Front = "front",
        Back = "back",
        Face = "face",
        Other = "other",
    }
);

word_enum!(
    /// Expected account activity, from the customer's due-diligence answers.
    ExpectedActivity {
        Low = "LOW",
        Medium = "MEDIUM",
        High = "HIGH",
    }
);

word_enum!(
    /// A member's role in a business (Paxos institution member roles).
    MemberRole {
        BeneficialOwner = "BENEFICIAL_OWNER",
        AccountOpener = "ACCOUNT_OPENER",
        AuthorizedUser = "AUTHORIZED_USER",
        ManagementControlPerson = "MANAGEMENT_CONTROL_PERSON",
        Trustee = "TRUSTEE",
        Grantor = "GRANTOR",
        Beneficiary = "BENEFICIARY",
    }
);

word_enum!(
    /// A restriction placed on a customer on top of its lifecycle (Paxos-style controls).
    ControlType {
        Dormant = "dormant",
        Frozen = "frozen",
        Closed = "closed",
        Denied = "denied",
    }
);

word_enum!(
    /// Who placed a control: the firm itself, or an administrator.
    ControlSetBy {
        Firm = "firm",
        Admin = "admin",
    }
);

word_enum!(
    /// Why a control was placed (Paxos control reason codes).
    ControlReasonCode {
        Other = "OTHER",
        EndUserRequest = "END_USER_REQUEST",
        Inactivity = "INACTIVITY",
        ComplianceKyc = "COMPLIANCE_KYC",
        ComplianceEdd = "COMPLIANCE_EDD",
        ComplianceScreening = "COMPLIANCE_SCREENING",
        ComplianceInvestigation = "COMPLIANCE_INVESTIGATION",
        OnboardingIncomplete = "ONBOARDING_INCOMPLETE",
        RiskFraud = "RISK_FRAUD",
        LegalOrder = "LEGAL_ORDER",
        Administrative = "ADMINISTRATIVE",
    }
);

/// A natural person's details.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonDetails {
    pub first_name: Text,
    pub middle_name: Option<Text>,
    pub last_name: Text,
    pub date_of_birth: Date,
    pub country_of_citizenship: Option<CountryCode>,
    pub country_of_birth: Option<CountryCode>,
    pub occupation: Option<Text>,
}

/// A legal entity's details.
#[derive(Debug, Clone, PartialEq)]
pub struct InstitutionDetails {
    pub legal_name: Text,
    pub doing_business_as_name: Option<Text>,
    pub incorporation_date: Option<Date>,
    pub country_of_formation: CountryCode,
    pub industry_type: Option<Text>,
    pub legal_entity_type: Option<Text>,
    pub website: Option<Text>,
    pub business_description: Option<Text>,
}

/// A person who owns, controls or acts for a business.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: MemberId,
    pub first_name: Text,
    pub last_name: Text,
    pub title: Option<Text>,
    pub roles: Vec<MemberRole>,
    pub ownership_percentage: Option<Percentage>,
    pub date_of_birth: Option<Date>,
    pub is_control_person: bool,
    /// The individual customer this member is, when captured as one.
    pub person_customer_id: Option<CustomerId>,
}

/// Who the customer is: exactly one of a person or an institution, matching its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Party {
    Person(PersonDetails),
    Institution { details: InstitutionDetails, members: Vec<Member> },
}

impl Party {
    pub fn kind(&self) -> CustomerKind {
        match self {
            Party::Person(_) => CustomerKind::Individual,
            Party::Institution { .. } => CustomerKind::Business,
        }
    }

    /// The name shown in lists: "First Last" or the legal name.
    pub fn display_name(&self) -> String {
        match self {
            Party::Person(p) => format!("{} {}", p.first_name, p.last_name),
            Party::Institution { details, .. } => details.legal_name.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub id: AddressId,
    pub kind: AddressKind,
    pub primary: bool,
    pub street_address: Text,
    pub street_address_2: Option<Text>,
    pub city: Text,
    pub state: Option<Text>,
    pub postal_code: Option<Text>,
    pub country: CountryCode,
}

impl Address {
    /// A primary address that is a physical place (not a mailing-only address).
    pub fn is_primary_physical(&self) -> bool {
        self.primary && self.kind != AddressKind::Mailing
    }
}

/// A contact value, typed by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum ContactValue {
    Email(Email),
    Mobile(PhoneNumber),
}

impl ContactValue {
    pub fn kind(&self) -> ContactKind {
        match self {
            ContactValue::Email(_) => ContactKind::Email,
            ContactValue::Mobile(_) => ContactKind::Mobile,
        }
    }
    pub fn as_str(&self) -> &str {
        match self {
            ContactValue::Email(e) => e.as_str(),
            ContactValue::Mobile(p) => p.as_str(),
        }
    }
    pub fn parse(kind: ContactKind, raw: &str) -> Result<Self, ValueError> {
        Ok(match kind {
            ContactKind::Email => ContactValue::Email(Email::parse(raw)?),
            ContactKind::Mobile => ContactValue::Mobile(PhoneNumber::parse(raw)?),
        })
    }
}

/// Proof that a contact belongs to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactVerification {
    pub method: ContactVerificationMethod,
    pub verified_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: ContactId,
    pub value: ContactValue,
    pub verification: Option<ContactVerification>,
}

impl Contact {
    pub fn kind(&self) -> ContactKind {
        self.value.kind()
    }
    pub fn is_verified(&self) -> bool {
        self.verification.is_some()
    }
}

/// A reference to a scan of a document, stored outside the database.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentFile {
    pub role: DocumentFileRole,
    pub reference: Text,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdentityDocument {
    pub id: DocumentId,
    pub document_type: DocumentType,
    pub number: DocumentNumber,
    pub issuing_country: CountryCode,
    pub issued_on: Option<Date>,
    pub expires_on: Option<Date>,
    pub status: DocumentStatus,
    pub files: Vec<DocumentFile>,
}

impl IdentityDocument {
    /// Active, already issued, and not expired on `on` (a document is good through its expiry date).
    pub fn is_valid_on(&self, on: Date) -> bool {
        self.status == DocumentStatus::Active
            && self.issued_on.is_none_or(|issued| issued <= on)
            && self.expires_on.is_none_or(|expires| expires >= on)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaxDetail {
    pub id: TaxDetailId,
    pub tax_id_type: TaxIdType,
    pub tax_id: TaxIdNumber,
    pub country: CountryCode,
}

/// The customer's tax position: either tax details, or an explicit statement that none are needed.
#[derive(Debug, Clone, PartialEq)]
pub enum TaxDetails {
    Provided(Vec<TaxDetail>),
    NotRequired,
}

impl TaxDetails {
    pub fn details(&self) -> &[TaxDetail] {
        match self {
            TaxDetails::Provided(list) => list,
            TaxDetails::NotRequired => &[],
        }
    }
}

/// Customer due diligence answers.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDiligence {
    pub source_of_funds: Option<Text>,
    pub source_of_wealth: Option<Text>,
    pub purpose_of_account: Option<Text>,
    pub expected_activity_level: Option<ExpectedActivity>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Control {
    pub id: ControlId,
    pub control_type: ControlType,
    pub set_by: ControlSetBy,
    pub reason_code: ControlReasonCode,
    pub created_at: OffsetDateTime,
}

/// The aggregate.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: CustomerId,
    pub ref_id: RefId,
    pub state: CustomerState,
    pub state_changed_at: OffsetDateTime,
    pub party: Party,
    pub addresses: Vec<Address>,
    pub contacts: Vec<Contact>,
    pub documents: Vec<IdentityDocument>,
    pub tax: TaxDetails,
    pub due_diligence: Option<DueDiligence>,
    pub controls: Vec<Control>,
    pub is_merchant: bool,
    /// Declared a politically exposed person (a risk factor).
    pub politically_exposed: bool,
    pub last_kyc_refresh_date: Option<Date>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Customer {
    pub fn kind(&self) -> CustomerKind {
        self.party.kind()
    }

    pub fn has_verified(&self, kind: ContactKind) -> bool {
        self.contacts.iter().any(|c| c.kind() == kind && c.is_verified())
    }

    pub fn has_control(&self, control_type: ControlType) -> bool {
        self.controls.iter().any(|c| c.control_type == control_type)
    }
}
