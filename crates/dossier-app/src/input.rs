//! Reading input documents (JSON) into DTOs with errors that name the field and never echo
//! the rejected value, which may be personal data.

use serde::de::DeserializeOwned;

use crate::error::{Error, Problem, Reason};

/// Parses a JSON document into `T`, refusing unknown fields (the DTOs deny them).
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner();
        let field = if path == "." || path == "?" { None } else { Some(path.clone()) };
        let (code, message) = if inner.is_syntax() || inner.is_eof() {
            (
                "malformed_json",
                format!(
                    "the input is not valid JSON (line {}, column {}): fix the syntax",
                    inner.line(),
                    inner.column()
                ),
            )
        } else {
            // serde's own text is safe for unknown and missing fields (it names keys only);
            // for type errors it quotes the value, so those get a message of our own.
            let text = inner.to_string();
            if text.starts_with("unknown field")
                || text.starts_with("missing field")
                || text.starts_with("unknown variant")
            {
                let first = text.split(" at line").next().unwrap_or(&text).to_owned();
                let code = if text.starts_with("unknown field") { "unknown_field" } else { "invalid_field" };
                (code, first.replace('`', "'"))
            } else {
                ("invalid_type", format!("{path} has the wrong type: see docs/cli.md for the input format"))
            }
        };
        let reason = Reason { code: code.to_owned(), message: message.clone(), field };
        let top = if code == "malformed_json" { "malformed_json" } else { "invalid_input" };
        Error::BadInput(Problem::new(top, message).with_reasons(vec![reason]))
    })
}
