//! Capturing customers: create, add data after creation, verify contacts, business members,
//! lists with keyset pagination, and the whole onboarding journey.

use dossier_app::dto::{AddressInput, ContactInput, DocumentInput, MemberInput, TaxDetailInput};
use dossier_app::{LifecycleCommand, VerifyContactInput};
use serde_json::json;

use crate::support::{TestApp, body, complete_individual, minimal_individual};

#[test]
fn the_onboarding_journey_from_nothing_to_active() {
    let mut t = TestApp::new();
    let a = t.actor.clone();
    let id = t.create(minimal_individual("J-1"));
    assert_eq!(t.state_of(&id), "pending");

    let e = t.app.verify(&a, &id, "partial", None).unwrap_err();
    assert_eq!(e.body().reasons.len(), 4, "all four partial rules missing at first");

    let address = AddressInput {
        kind: Some("residential".into()),
        primary: true,
        street_address: Some("1 Main St".into()),
        city: Some("Springfield".into()),
        country: Some("us".into()),
        ..Default::default()
    };
    t.app.add_address(&a, &id, &address).unwrap();
    let document = DocumentInput {
        document_type: Some("drivers_license".into()),
        number: Some("d123-456".into()),
        issuing_country: Some("US".into()),
        expires_on: Some("2029-05-01".into()),
        ..Default::default()
    };
    t.app.add_document(&a, &id, &document).unwrap();
    for (kind, value) in [("email", "ana@example.com"), ("mobile", "+1 415 555 0100")] {
        t.app.add_contact(&a, &id, &ContactInput { kind: Some(kind.into()), value: Some(value.into()) }).unwrap();
    }
    let view = t.app.customer(&t.actor, &id).unwrap();
    assert_eq!(view.addresses[0].country, "US", "countries are normalised");
    assert_eq!(view.documents[0].number, "****-***", "a number this short is masked whole; separators stay");
    assert_eq!(view.contacts[1].value, "+14155550100");
    let missing: Vec<&str> = view.verification_gate.partial.reasons.iter().map(|r| r.code).collect();
    assert_eq!(missing, ["email_unverified", "mobile_unverified"]);

    t.verify_contact(&id, "email");
    t.verify_contact(&id, "mobile");
    let verified = t.app.verify(&a, &id, "full", Some("documents seen at the counter")).unwrap();
    assert_eq!((verified.state, verified.verification_level), ("verified", Some("full")));
    let active = t.app.activate(&a, &id).unwrap();
    assert_eq!(active.state, "active");

    let actions: Vec<String> =
        t.app.audit_events(&t.actor, Some(&id), None, None).unwrap().items.into_iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        [
            "customer.create",
            "customer.add_address",
            "customer.add_document",
            "customer.add_contact",
            "customer.add_contact",
            "customer.verify_contact",
            "customer.verify_contact",
            "customer.verify",
            "customer.activate"
        ]
    );
}

#[test]
fn a_new_primary_address_replaces_the_old_primary() {
    let mut t = TestApp::new();
    let id = t.create(complete_individual("P-1"));
    let input = AddressInput {
        kind: Some("residential".into()),
        primary: true,
        street_address: Some("9 New Rd".into()),
        city: Some("Shelbyville".into()),
        country: Some("US".into()),
        ..Default::default()
    };
    let view = t.app.add_address(&t.actor, &id, &input).unwrap();
    let primaries: Vec<bool> = view.addresses.iter().map(|a| a.primary).collect();
    assert_eq!(primaries, [false, true]);
    let last = t.app.audit_events(&t.actor, Some(&id), None, None).unwrap().items.pop().unwrap();
    assert_eq!(last.summary["replaced_primary"], json!(view.addresses[0].id));
}

#[test]
fn verifying_contacts_records_the_method_and_refuses_nonsense() {
    let mut t = TestApp::new();
    let a = t.actor.clone();
    let id = t.create(minimal_individual("C-1"));
    let verify = |kind: &str, method: &str, contact: Option<String>| VerifyContactInput {
        kind: Some(kind.into()),
        method: Some(method.into()),
        contact_id: contact,
    };
    let before = t.counts();
    let e = t.app.verify_contact(&a, &id, &verify("email", "code", None)).unwrap_err();
    assert_eq!((e.status(), e.code()), (422, "contact_missing"));
    let e = t.app.verify_contact(&a, &id, &verify("email", "telepathy", None)).unwrap_err();
    assert_eq!((e.status(), body(&e)["reasons"][0]["field"].as_str()), (400, Some("method")));
    assert_eq!(t.counts(), before);

    for value in ["one@example.com", "two@example.com"] {
        t.app.add_contact(&a, &id, &ContactInput { kind: Some("email".into()), value: Some(value.into()) }).unwrap();
    }
    let e = t.app.verify_contact(&a, &id, &verify("email", "code", None)).unwrap_err();
    assert_eq!((e.status(), e.code()), (422, "contact_ambiguous"));
    let second = t.app.customer(&t.actor, &id).unwrap().contacts[1].id.clone();
    let view = t.app.verify_contact(&a, &id, &verify("email", "in_person", Some(second.clone()))).unwrap();
    assert_eq!(view.contacts[1].verification_method, Some("in_person"));
    assert_eq!(view.contacts[1].verified_at.as_deref(), Some("2026-11-22T12:00:00.000000Z"));
    assert!(!view.contacts[0].verified);
    let before = t.counts();
    let e = t.app.verify_contact(&a, &id, &verify("email", "code", Some(second))).unwrap_err();
    assert_eq!((e.status(), e.code()), (409, "contact_already_verified"));
    let e =
        t.app.add_contact(&a, &id, &ContactInput { kind: Some("email".into()), value: Some("ONE@example.com".into()) });
    assert_eq!(e.unwrap_err().code(), "contact_exists", "the same address is not added twice");
    assert_eq!(t.counts(), before);
}

#[test]
fn a_business_with_two_members() {
    let mut t = TestApp::new();
    let a = t.actor.clone();
    let owner = t.create(minimal_individual("OWNER-1"));
    let id = t.create(json!({
        "type": "business",
        "ref_id": "BIZ-1",
        "institution": {
            "legal_name": "Acme Trading LLC", "doing_business_as_name": "Acme", "incorporation_date": "2015-03-01",
            "country_of_formation": "US", "industry_type": "wholesale", "legal_entity_type": "LLC",
            "members": [
                {"first_name": "Ana", "last_name": "Silva", "roles": ["BENEFICIAL_OWNER", "MANAGEMENT_CONTROL_PERSON"],
                 "ownership_percentage": 60, "is_control_person": true, "person_customer_id": owner},
                {"first_name": "Bo", "last_name": "Chen", "title": "CFO", "roles": ["BENEFICIAL_OWNER"], "ownership_percentage": "25.5"}
            ]
        },
        "tax_details": [{"tax_id_type": "EIN", "tax_id": "12-3456789", "country": "US"}]
    }));
    let view = t.app.customer(&t.actor, &id).unwrap();
    let inst = view.institution.as_ref().unwrap();
    assert_eq!(inst.members.len(), 2);
    assert_eq!(inst.members[0].ownership_percentage.as_deref(), Some("60"));
    assert_eq!(inst.members[1].ownership_percentage.as_deref(), Some("25.5"));
    assert_eq!(inst.members[0].person_customer_id.as_deref(), Some(owner.as_str()));
    assert_eq!(view.tax_details[0].tax_id, "**-***6789", "an EIN is masked in its usual groups");

    let before = t.counts();
    let too_much = MemberInput {
        first_name: Some("Cy".into()),
        last_name: Some("Doe".into()),
        ownership_percentage: Some(dossier_app::dto::DecimalInput::Text("15".into())),
        ..Default::default()
    };
    let e = t.app.add_member(&a, &id, &too_much).unwrap_err();
    assert_eq!(body(&e)["reasons"][0]["code"], "ownership_exceeds_100");
    let e = t.app.add_member(&a, &owner, &too_much).unwrap_err();
    assert_eq!((e.status(), e.code()), (422, "not_a_business"));
    let linked_to_business =
        MemberInput { person_customer_id: Some(id.clone()), ownership_percentage: None, ..too_much.clone() };
    let e = t.app.add_member(&a, &id, &linked_to_business).unwrap_err();
    assert_eq!(e.code(), "member_not_a_person");
    assert_eq!(t.counts(), before);
    let ok =
        MemberInput { ownership_percentage: Some(dossier_app::dto::DecimalInput::Text("14.5".into())), ..too_much };
    assert_eq!(t.app.add_member(&a, &id, &ok).unwrap().institution.unwrap().members.len(), 3);
}

#[test]
fn a_tax_detail_withdraws_the_not_required_statement() {
    let mut t = TestApp::new();
    let mut input = minimal_individual("TAX-1");
    input["tax_details_not_required"] = json!(true);
    let id = t.create(input);
    assert!(t.app.customer(&t.actor, &id).unwrap().tax_details_not_required);
    let detail = TaxDetailInput {
        tax_id_type: Some("ITIN".into()),
        tax_id: Some("912701234".into()),
        country: Some("US".into()),
    };
    let view = t.app.add_tax_detail(&t.actor, &id, &detail).unwrap();
    assert!(!view.tax_details_not_required);
    assert_eq!(view.tax_details[0].tax_id_type, "ITIN");
}

#[test]
fn customer_lists_page_by_keyset_newest_first() {
    let mut t = TestApp::new();
    let mut ids = Vec::new();
    for n in 0..7 {
        ids.push(t.create(minimal_individual(&format!("LIST-{n}"))));
    }
    t.app.lifecycle(&t.actor, &ids[2], LifecycleCommand::Withdraw, Some("moved away")).unwrap();
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = t.app.list_customers(&t.actor, None, Some(3), after.as_deref()).unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|c| c.id.clone()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "every customer once, newest first");
    let withdrawn = t.app.list_customers(&t.actor, Some("withdrawn"), None, None).unwrap();
    assert_eq!(withdrawn.items.len(), 1);
    assert_eq!(withdrawn.items[0].name, "Ana Silva");
    assert!(withdrawn.next.is_none());
    assert_eq!(t.app.list_customers(&t.actor, Some("pending"), None, None).unwrap().items.len(), 6);
    for (state, limit, after) in
        [(Some("asleep"), None, None), (None, Some(0), None), (None, Some(501), None), (None, None, Some("x"))]
    {
        let e = t.app.list_customers(&t.actor, state, limit, after).unwrap_err();
        assert_eq!(e.status(), 400);
    }
}
