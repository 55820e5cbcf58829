//! Micro-benchmarks through dossier-app, run by `make bench` (quick mode): work-queue pages on a
//! small generated database (the store's query, its decoding and the page's views), and the
//! live gate preview the onboarding form calls on every keystroke.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dossier_app::dto::{CreateCustomerInput, QueueQuery};
use dossier_app::generate::GenerateOptions;
use dossier_app::{Actor, Dossier, KdfParams, Passphrase, Role, UserName};

/// Customers in the database the queue pages are read from.
const CUSTOMERS: u64 = 2_000;

/// A scratch data directory and a process actor with every role.
fn scratch(dir: &std::path::Path) -> (Dossier, Actor) {
    let app = Dossier::init(
        dir,
        &Passphrase::new("criterion scratch directory".into()),
        KdfParams::INSECURE_FAST,
        std::sync::Arc::new(dossier_app::SystemClock),
        std::sync::Arc::new(dossier_app::UuidV7),
    )
    .expect("a new data directory");
    (app, Actor::new(UserName::parse("bench").expect("a name"), Role::ALL))
}

fn queue(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (mut app, actor) = scratch(dir.path());
    let options = GenerateOptions { customers: CUSTOMERS, seed: 7, now: Some("2026-11-22T12:00:00Z".into()) };
    app.generate(&actor, &options, |_, _| {}).expect("generated");
    let page = |q: QueueQuery| QueueQuery { limit: Some(50), ..q };
    for (name, query) in [
        ("queue/first page, no filter", page(QueueQuery::default())),
        ("queue/first page, state=active", page(QueueQuery { state: Some("active".into()), ..Default::default() })),
        (
            "queue/first page, verification_state=reviewing",
            page(QueueQuery { verification_state: Some("reviewing".into()), ..Default::default() }),
        ),
        ("queue/first page, search=ann", page(QueueQuery { search: Some("ann".into()), ..Default::default() })),
    ] {
        c.bench_function(name, |b| b.iter(|| app.queue(&actor, black_box(&query)).expect("a page")));
    }
    let first = app.queue(&actor, &page(QueueQuery::default())).expect("a page");
    let second = page(QueueQuery { after: first.next, ..Default::default() });
    c.bench_function("queue/second page by cursor, no filter", |b| {
        b.iter(|| app.queue(&actor, black_box(&second)).expect("a page"))
    });
}

fn gate_preview(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (app, actor) = scratch(dir.path());
    let input: CreateCustomerInput = dossier_app::input::from_json(
        r#"{"type": "individual", "ref_id": "CUS-1",
            "person": {"first_name": "Ana", "last_name": "Silva", "date_of_birth": "1988-04-12", "country_of_citizenship": "US"},
            "addresses": [{"kind": "residential", "primary": true, "street_address": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}],
            "contacts": [{"kind": "email", "value": "ana@example.com"}, {"kind": "mobile", "value": "+14155550100"}],
            "documents": [{"type": "passport", "number": "X1234567", "issuing_country": "US", "issued_on": "2021-01-01", "expires_on": "2031-01-01"}],
            "tax_details": [{"tax_id_type": "SSN", "tax_id": "123-45-6789", "country": "US"}]}"#,
    )
    .expect("a valid input");
    let verified = vec!["email".to_owned(), "mobile".to_owned()];
    c.bench_function("gate/preview of a create form", |b| {
        b.iter(|| app.preview_gate(&actor, black_box(&input), black_box(&verified)))
    });
}

criterion_group!(benches, queue, gate_preview);
criterion_main!(benches);
