//! Masked numbers and revealing them: views show tax ids and document numbers masked, and
//! `reveal` returns one in clear with an audit event `pii.revealed` in the same transaction,
//! naming the field and the item, never the value.

use dossier_app::RevealInput;
use serde_json::json;

use crate::support::{TestApp, body, complete_individual, minimal_individual};

fn reveal(field: &str, item: Option<&str>) -> RevealInput {
    RevealInput { field: Some(field.into()), item_id: item.map(str::to_owned), reason: None }
}

#[test]
fn every_view_masks_and_reveal_shows_one_number_with_an_audit_event() {
    let mut t = TestApp::new();
    let id = t.create(complete_individual("RV-1"));
    let view = t.app.customer(&t.actor, &id).unwrap();
    assert_eq!(view.tax_details[0].tax_id, "***-**-6789");
    assert_eq!(view.documents[0].number, "****4567");
    let listed = serde_json::to_string(&t.app.list_customers(&t.actor, None, None, None).unwrap()).unwrap();
    let queued = serde_json::to_string(&t.app.queue(&t.actor, &Default::default()).unwrap()).unwrap();
    for text in [serde_json::to_string(&view).unwrap(), listed, queued] {
        for clear in ["123456789", "123-45-6789", "X1234567"] {
            assert!(!text.contains(clear), "a view shows {clear} in clear");
        }
    }

    let before = t.counts();
    let input = RevealInput { reason: Some("customer asked to confirm".into()), ..reveal("tax_id", None) };
    let shown = t.app.reveal(&t.actor, &id, &input).unwrap();
    assert_eq!((shown.field, shown.value.as_str()), ("tax_id", "123-45-6789"));
    assert_eq!(shown.item_id, view.tax_details[0].id);
    let document = t.app.reveal(&t.actor, &id, &reveal("document_number", None)).unwrap();
    assert_eq!((document.value.as_str(), document.item_id.as_str()), ("X1234567", view.documents[0].id.as_str()));

    let mut after = t.counts();
    assert_eq!(after.remove("audit_events"), before.get("audit_events").map(|n| n + 2), "one event per reveal");
    let mut before = before;
    before.remove("audit_events");
    assert_eq!(after, before, "nothing else changes");
    assert_eq!(t.app.customer(&t.actor, &id).unwrap().updated_at, view.updated_at);

    let events = t.app.audit_events(&t.actor, Some(&id), None, None).unwrap().items;
    let revealed: Vec<_> = events.iter().filter(|e| e.action == "pii.revealed").collect();
    assert_eq!(revealed.len(), 2);
    assert_eq!(revealed[0].summary, json!({"field": "tax_id", "tax_detail_id": view.tax_details[0].id}));
    assert_eq!(revealed[0].reason.as_deref(), Some("customer asked to confirm"));
    assert_eq!(revealed[1].summary, json!({"field": "document_number", "document_id": view.documents[0].id}));
    let trail = serde_json::to_string(&events).unwrap();
    for clear in ["123456789", "123-45-6789", "X1234567", "6789", "4567"] {
        assert!(!trail.contains(clear), "the audit trail names the item, never the value ({clear})");
    }
}

#[test]
fn several_numbers_need_an_item_and_refusals_change_nothing() {
    let mut t = TestApp::new();
    let id = t.create(complete_individual("RV-2"));
    let second = dossier_app::dto::DocumentInput {
        document_type: Some("drivers_license".into()),
        number: Some("DL-5550-1234".into()),
        issuing_country: Some("US".into()),
        ..Default::default()
    };
    let view = t.app.add_document(&t.actor, &id, &second).unwrap();
    assert_eq!(view.documents[1].number, "**-****-1234", "separators stay");
    let bare = t.create(minimal_individual("RV-3"));
    let before = t.counts();

    let refusals = [
        (id.as_str(), reveal("document_number", None), 422, "reveal_ambiguous"),
        (id.as_str(), reveal("document_number", Some(&view.tax_details[0].id)), 404, "document_not_found"),
        (bare.as_str(), reveal("tax_id", None), 404, "tax_detail_not_found"),
        (bare.as_str(), reveal("document_number", None), 404, "document_not_found"),
        (id.as_str(), reveal("name", None), 400, "invalid_input"),
        (id.as_str(), reveal("tax_id", Some("not-an-id")), 400, "invalid_input"),
        (id.as_str(), RevealInput::default(), 400, "invalid_input"),
        ("0190a000-0000-7000-8000-00000000ffff", reveal("tax_id", None), 404, "customer_not_found"),
    ];
    for (customer, input, status, code) in refusals {
        let e = t.app.reveal(&t.actor, customer, &input).unwrap_err();
        assert_eq!((e.status(), e.code()), (status, code), "{input:?}: {}", body(&e));
        for reason in e.body().reasons {
            assert!(dossier_app::codes::code_doc(&reason.code).is_some(), "{} is catalogued", reason.code);
        }
    }
    assert_eq!(t.counts(), before, "a refused reveal writes nothing, audit included");

    let chosen = t.app.reveal(&t.actor, &id, &reveal("document_number", Some(&view.documents[1].id))).unwrap();
    assert_eq!(chosen.value, "DL-5550-1234");
}
