//! Micro-benchmarks of the domain's hot rules, run by `make bench` (quick mode): the verify and
//! activate gates, every lifecycle transition, and the risk assessment, on plain values.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dossier_core::*;
use time::macros::{date, datetime};
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn text(s: &str) -> Text {
    Text::parse(s, 200).expect("valid text")
}

fn country(s: &str) -> CountryCode {
    CountryCode::parse(s).expect("valid country")
}

/// An individual with everything both verify levels need, contacts verified.
fn complete_individual() -> Customer {
    let at = datetime!(2026-11-22 12:00 UTC);
    let verified = Some(ContactVerification { method: ContactVerificationMethod::Code, verified_at: at });
    Customer {
        id: CustomerId::from_uuid(id(1)),
        ref_id: RefId::parse("CUS-2026-0000001").expect("valid ref id"),
        state: CustomerState::Pending,
        state_changed_at: at,
        party: Party::Person(PersonDetails {
            first_name: text("Ana"),
            middle_name: None,
            last_name: text("Silva"),
            date_of_birth: date!(1988 - 04 - 12),
            country_of_citizenship: Some(country("US")),
            country_of_birth: Some(country("US")),
            occupation: Some(text("Clerk")),
        }),
        addresses: vec![Address {
            id: AddressId::from_uuid(id(2)),
            kind: AddressKind::Residential,
            primary: true,
            street_address: text("1 Main St"),
            street_address_2: None,
            city: text("Springfield"),
            state: Some(text("IL")),
            postal_code: Some(text("62701")),
            country: country("US"),
        }],
        contacts: vec![
            Contact {
                id: ContactId::from_uuid(id(3)),
                value: ContactValue::parse(ContactKind::Email, "ana@example.com").expect("valid email"),
                verification: verified,
            },
            Contact {
                id: ContactId::from_uuid(id(4)),
                value: ContactValue::parse(ContactKind::Mobile, "+14155550100").expect("valid mobile"),
                verification: verified,
            },
        ],
        documents: vec![IdentityDocument {
            id: DocumentId::from_uuid(id(5)),
            document_type: DocumentType::Passport,
            number: DocumentNumber::parse("X1234567").expect("valid number"),
            issuing_country: country("US"),
            issued_on: Some(date!(2021 - 01 - 01)),
            expires_on: Some(date!(2031 - 01 - 01)),
            status: DocumentStatus::Active,
            files: Vec::new(),
        }],
        tax: TaxDetails::Provided(vec![TaxDetail {
            id: TaxDetailId::from_uuid(id(6)),
            tax_id_type: TaxIdType::Ssn,
            tax_id: TaxIdNumber::parse(TaxIdType::Ssn, "123-45-6789").expect("valid ssn"),
            country: country("US"),
        }]),
        due_diligence: Some(DueDiligence {
            source_of_funds: Some(text("salary")),
            source_of_wealth: None,
            purpose_of_account: Some(text("savings")),
            expected_activity_level: Some(ExpectedActivity::Low),
        }),
        controls: Vec::new(),
        is_merchant: false,
        politically_exposed: false,
        last_kyc_refresh_date: None,
        metadata: BTreeMap::new(),
        created_at: at,
        updated_at: at,
    }
}

fn gates(c: &mut Criterion) {
    let today = date!(2026 - 11 - 22);
    let complete = complete_individual();
    let empty = Customer {
        addresses: Vec::new(),
        contacts: Vec::new(),
        documents: Vec::new(),
        tax: TaxDetails::Provided(Vec::new()),
        ..complete_individual()
    };
    let verified =
        Customer { state: CustomerState::Verified { level: VerificationLevel::Full }, ..complete_individual() };
    c.bench_function("gate/verify full, passes", |b| {
        b.iter(|| verify_gate(black_box(&complete), VerificationLevel::Full, today))
    });
    c.bench_function("gate/verify full, every reason", |b| {
        b.iter(|| verify_gate(black_box(&empty), VerificationLevel::Full, today))
    });
    c.bench_function("gate/activate, passes", |b| b.iter(|| activate_gate(black_box(&verified), today)));
}

fn lifecycle(c: &mut Criterion) {
    use VerificationLevel::{Full, Partial};
    let states = [
        CustomerState::Pending,
        CustomerState::Verified { level: Partial },
        CustomerState::Verified { level: Full },
        CustomerState::Active { level: Full },
        CustomerState::Rejected,
        CustomerState::Withdrawn,
        CustomerState::Closed,
    ];
    let actions = [
        CustomerAction::Verify(Partial),
        CustomerAction::Verify(Full),
        CustomerAction::Activate,
        CustomerAction::Reject,
        CustomerAction::Withdraw,
        CustomerAction::UndoRejection,
        CustomerAction::UndoWithdrawal,
        CustomerAction::Close,
        CustomerAction::Reactivate,
    ];
    c.bench_function("lifecycle/every state x action (63 transitions)", |b| {
        b.iter(|| {
            let mut allowed = 0;
            for s in states {
                for a in actions {
                    allowed += usize::from(black_box(s).apply(black_box(a)).is_ok());
                }
            }
            allowed
        })
    });
}

fn risk(c: &mut Criterion) {
    let policy = Policy::default();
    let customer = complete_individual();
    c.bench_function("risk/assess an individual", |b| {
        b.iter(|| assess(black_box(&customer), false, black_box(&policy.risk)))
    });
}

criterion_group!(benches, gates, lifecycle, risk);
criterion_main!(benches);
