//! Revealing a masked number. Views show tax ids and identity document numbers masked
//! (`***-**-6789`); `reveal` returns one in clear and records who saw which one, never the value,
//! in the same transaction: the audit event `pii.revealed`.

use dossier_core::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use ts_rs::TS;

use crate::Dossier;
use crate::convert::Fields;
use crate::customers::{internal, load, parse_customer_id, reason_text};
use crate::error::{Error, Problem, Reason, Result};

/// Which number to reveal.
#[derive(Debug, Clone, Default, Deserialize, TS)]
#[ts(export)]
#[serde(deny_unknown_fields)]
pub struct RevealInput {
    /// `tax_id` or `document_number`.
    pub field: Option<String>,
    /// The tax detail's or the document's `id`; needed only when the customer has several.
    pub item_id: Option<String>,
    /// Why the number is needed: recorded with the audit event.
    pub reason: Option<String>,
}

/// A number in clear, and what it belongs to.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct RevealedView {
    pub customer_id: String,
    /// `tax_id` or `document_number`.
    pub field: &'static str,
    /// The tax detail's or the document's id.
    pub item_id: String,
    /// US tax ids in their usual groups (`123-45-6789`, `12-3456789`); document numbers as stored.
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    TaxId,
    DocumentNumber,
}

impl Field {
    fn parse(raw: &str) -> Result<Self, ValueError> {
        match raw.trim() {
            "tax_id" => Ok(Field::TaxId),
            "document_number" => Ok(Field::DocumentNumber),
            _ => Err(ValueError::UnknownValue { allowed: "tax_id, document_number" }),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Field::TaxId => "tax_id",
            Field::DocumentNumber => "document_number",
        }
    }

    /// The entity the number sits on, as error codes and audit summaries name it.
    fn item(self) -> &'static str {
        match self {
            Field::TaxId => "tax_detail",
            Field::DocumentNumber => "document",
        }
    }
}

impl Dossier {
    /// Returns a customer's tax id or document number in clear, and appends `pii.revealed`
    /// (the field and the tax detail's or document's id, never the value) in the same
    /// transaction. Refusals: 400 for a bad field or id, 404 `customer_not_found`,
    /// `tax_detail_not_found` or `document_not_found`, 422 `reveal_ambiguous` when the customer
    /// has several and none is named.
    pub fn reveal(&mut self, actor: &Actor, customer_id: &str, input: &RevealInput) -> Result<RevealedView> {
        actor.require(Permission::Reveal)?;
        let id = parse_customer_id(customer_id)?;
        let mut f = Fields::default();
        let field = f.req("field", &input.field, Field::parse);
        let item = f.opt("item_id", &input.item_id, |s| {
            uuid::Uuid::try_parse(s.trim())
                .map_err(|_| ValueError::UnknownValue { allowed: "an id from customer show" })
        });
        f.finish()?;
        let (field, item) = (field.ok_or_else(internal)?, item.map_err(|_| internal())?);
        let reason = reason_text("reason", input.reason.as_deref(), false)?;
        self.write(|env, tx| {
            let customer = load(tx, id)?;
            // (item id, clear value) of every number of that kind.
            let numbers: Vec<(uuid::Uuid, String)> = match field {
                Field::TaxId => customer
                    .tax
                    .details()
                    .iter()
                    .map(|t| (*t.id.as_uuid(), t.tax_id.formatted(t.tax_id_type)))
                    .collect(),
                Field::DocumentNumber => {
                    customer.documents.iter().map(|d| (*d.id.as_uuid(), d.number.as_str().to_owned())).collect()
                }
            };
            let (item_id, value) = match (item, numbers.as_slice()) {
                (Some(wanted), _) => {
                    numbers.iter().find(|(id, _)| *id == wanted).cloned().ok_or_else(|| Error::not_found(field.item()))?
                }
                (None, [one]) => one.clone(),
                (None, []) => return Err(Error::not_found(field.item())),
                (None, _) => {
                    let message = format!(
                        "the customer has several of these: name one with item_id (--item), the {} id from customer show",
                        field.item().replace('_', " ")
                    );
                    return Err(Error::Unprocessable(
                        Problem::new("reveal_ambiguous", message.clone())
                            .with_reasons(vec![Reason::field("item_id", "reveal_ambiguous", message)]),
                    ));
                }
            };
            let item_key = format!("{}_id", field.item());
            env.audit(
                tx,
                actor,
                "pii.revealed",
                id,
                reason,
                json!({"field": field.as_str(), item_key: item_id.hyphenated().to_string()}),
            )?;
            Ok(RevealedView {
                customer_id: id.to_string(),
                field: field.as_str(),
                item_id: item_id.hyphenated().to_string(),
                value,
            })
        })
    }
}
