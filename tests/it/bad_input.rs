//! Bad input gets a clear 400 naming every field at fault, and writes nothing:
//! driven by `fixtures/bad-input.json`.

use dossier_app::dto::CreateCustomerInput;
use serde_json::Value;

use crate::support::{TestApp, body, fixture, minimal_individual};

fn merge(base: &mut Value, over: &Value) {
    for (k, v) in over.as_object().unwrap() {
        base[k] = v.clone();
    }
}

#[test]
fn bad_create_inputs_are_refused_field_by_field() {
    let table = fixture("bad-input.json");
    let mut t = TestApp::new();
    let empty = t.counts();
    for case in table["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let text = match case["raw"].as_str() {
            Some(raw) => raw.to_owned(),
            None => {
                let mut input = if case["base"] == true { minimal_individual("BAD-1") } else { serde_json::json!({}) };
                merge(&mut input, &case["input"]);
                input.to_string()
            }
        };
        let result = dossier_app::input::from_json::<CreateCustomerInput>(&text)
            .and_then(|input| t.app.create_customer(&t.actor, &input));
        let e = result.err().unwrap_or_else(|| panic!("{name}: accepted"));
        let b = body(&e);
        assert_eq!(b["status"], 400, "{name}: {b}");
        assert_eq!(b["code"], case["code"], "{name}: {b}");
        let got: Vec<(String, Value)> = b["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["code"].as_str().unwrap().to_owned(), r.get("field").cloned().unwrap_or(Value::Null)))
            .collect();
        let want: Vec<(String, Value)> = case["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].clone()))
            .collect();
        assert_eq!(got, want, "{name}");
        for r in b["reasons"].as_array().unwrap() {
            assert!(!r["message"].as_str().unwrap().is_empty(), "{name}: every reason says something");
        }
        assert_eq!(t.counts(), empty, "{name}: nothing written");
    }
}

#[test]
fn refused_values_are_never_echoed_in_errors() {
    let mut t = TestApp::new();
    let secrets = ["zq-secret-mail@@nowhere", "+0999888777666", "1988-99-99", "666-12-3456", "QQ"];
    let mut input = minimal_individual("ECHO-1");
    input["contacts"] =
        serde_json::json!([{"kind": "email", "value": secrets[0]}, {"kind": "mobile", "value": secrets[1]}]);
    input["person"]["date_of_birth"] = serde_json::json!(secrets[2]);
    input["tax_details"] = serde_json::json!([{"tax_id_type": "SSN", "tax_id": secrets[3], "country": "US"}]);
    input["person"]["country_of_birth"] = serde_json::json!(secrets[4]);
    let input: CreateCustomerInput = dossier_app::input::from_json(&input.to_string()).unwrap();
    let e = t.app.create_customer(&t.actor, &input).unwrap_err();
    let text = serde_json::to_string(&e.body()).unwrap();
    assert_eq!(body(&e)["reasons"].as_array().unwrap().len(), 5, "{text}");
    for s in secrets {
        assert!(!text.contains(s), "the error repeats a refused value: {text}");
    }
    // A type error must not quote the value either.
    let e = dossier_app::input::from_json::<CreateCustomerInput>(r#"{"type": "individual", "ref_id": ["Jane Roe"]}"#)
        .unwrap_err();
    assert!(!serde_json::to_string(&e.body()).unwrap().contains("Jane"));
}

#[test]
fn duplicate_ref_id_is_a_409_and_writes_nothing() {
    let mut t = TestApp::new();
    t.create(minimal_individual("DUP-1"));
    let before = t.counts();
    let input: CreateCustomerInput = dossier_app::input::from_json(&minimal_individual("DUP-1").to_string()).unwrap();
    let e = t.app.create_customer(&t.actor, &input).unwrap_err();
    assert_eq!(body(&e), fixture("error-bodies.json")["ref_id_exists"]);
    assert_eq!(t.counts(), before);
}

#[test]
fn unknown_ids_are_404_and_malformed_ids_are_400() {
    let mut t = TestApp::new();
    let missing = "0190a000-0000-7000-8000-00000000ffff";
    let before = t.counts();
    let e = t.app.verify(&t.actor, missing, "partial", None).unwrap_err();
    assert_eq!(body(&e), fixture("error-bodies.json")["customer_not_found"]);
    let e = t.app.customer(&t.actor, "not-an-id").unwrap_err();
    assert_eq!((e.status(), e.code()), (400, "invalid_input"));
    assert_eq!(body(&e)["reasons"][0]["field"], "id");
    let e = t.app.verify(&t.actor, missing, "gold", None).unwrap_err();
    assert_eq!(body(&e)["reasons"][0]["field"], "level");
    assert_eq!(t.counts(), before);
}
