//! Value types that are parsed once at the boundary and trusted afterwards ("parse, don't
//! validate"). Their errors never repeat the rejected value: it may be personal data.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use time::Date;
use time::macros::format_description;

/// Why a value was refused. `code` is stable; `message` is a sentence that says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("is required and must not be empty")]
    Empty,
    #[error("is too long: at most {max} characters")]
    TooLong { max: usize },
    #[error("is not a valid email address")]
    InvalidEmail,
    #[error("is not a valid mobile number: use E.164, a plus sign and 8 to 15 digits, like +14155550100")]
    InvalidPhone,
    #[error("is not an ISO 3166-1 alpha-2 country code such as US or DE")]
    InvalidCountry,
    #[error("is not a valid date: use YYYY-MM-DD")]
    InvalidDate,
    #[error("is not allowed: use letters, digits and . _ : - (1 to 64 characters)")]
    InvalidRefId,
    #[error("is not a valid {kind}: {hint}")]
    InvalidTaxId { kind: &'static str, hint: &'static str },
    #[error("is not a valid document number: use letters, digits, spaces and hyphens")]
    InvalidDocumentNumber,
    #[error("must be a decimal number from 0 to 100")]
    InvalidPercentage,
    #[error("is not one of: {allowed}")]
    UnknownValue { allowed: &'static str },
    #[error("is not a code: use lower-case letters, digits and underscores (1 to 64)")]
    InvalidCode,
    #[error("must be a decimal amount of at least 0")]
    InvalidAmount,
    #[error("is not a valid time: use RFC 3339, like 2026-11-22T14:03:00Z")]
    InvalidTimestamp,
}

impl ValueError {
    /// The stable reason code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ValueError::Empty => "required",
            ValueError::TooLong { .. } => "too_long",
            ValueError::InvalidEmail => "invalid_email",
            ValueError::InvalidPhone => "invalid_phone_number",
            ValueError::InvalidCountry => "invalid_country",
            ValueError::InvalidDate => "invalid_date",
            ValueError::InvalidRefId => "invalid_ref_id",
            ValueError::InvalidTaxId { .. } => "invalid_tax_id",
            ValueError::InvalidDocumentNumber => "invalid_document_number",
            ValueError::InvalidPercentage => "invalid_percentage",
            ValueError::UnknownValue { .. } => "unknown_value",
            ValueError::InvalidCode => "invalid_code",
            ValueError::InvalidAmount => "invalid_amount",
            ValueError::InvalidTimestamp => "invalid_timestamp",
        }
    }
}

/// Free text that must be present and bounded: names, cities, reasons.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(String);

impl Text {
    pub fn parse(raw: &str, max: usize) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValueError::Empty);
        }
        if trimmed.chars().count() > max {
            return Err(ValueError::TooLong { max });
        }
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free text is often personal data, so `Debug` never prints it.
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text(<{} chars>)", self.0.chars().count())
    }
}

/// Defines a newtype over `String` with `as_str`, `Display` and a redacting `Debug`.
macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

string_newtype!(
    /// An email address, checked against RFC 5322 and stored lower-cased in its domain part.
    Email
);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValueError::Empty);
        }
        if trimmed.len() > 254 {
            return Err(ValueError::TooLong { max: 254 });
        }
        let parsed = email_address::EmailAddress::from_str(trimmed).map_err(|_| ValueError::InvalidEmail)?;
        // The library accepts display-name forms ("Name <a@b>") and dotless domains; a customer
        // contact must be a bare, routable address.
        if parsed.email() != trimmed || !parsed.domain().contains('.') {
            return Err(ValueError::InvalidEmail);
        }
        Ok(Self(format!("{}@{}", parsed.local_part(), parsed.domain().to_ascii_lowercase())))
    }
}

string_newtype!(
    /// A phone number in E.164 form: `+`, a country code and subscriber number, 8 to 15 digits.
    PhoneNumber
);

impl PhoneNumber {
    /// Accepts spaces, hyphens, dots and parentheses as separators and removes them.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValueError::Empty);
        }
        let rest = trimmed.strip_prefix('+').ok_or(ValueError::InvalidPhone)?;
        let mut digits = String::with_capacity(16);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(ValueError::InvalidPhone),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(ValueError::InvalidPhone);
        }
        Ok(Self(format!("+{digits}")))
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let upper = raw.trim().to_ascii_uppercase();
        if upper.is_empty() {
            return Err(ValueError::Empty);
        }
        if upper.len() != 2 || celes::Country::from_alpha2(&upper).is_err() {
            return Err(ValueError::InvalidCountry);
        }
        let bytes = upper.as_bytes();
        Ok(Self([bytes[0], bytes[1]]))
    }
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters, checked in `parse`.
        std::str::from_utf8(&self.0).expect("country codes are ASCII")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

/// The firm's own reference for a customer; unique across the database.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct RefId(String);

impl RefId {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValueError::Empty);
        }
        let ok = trimmed.len() <= 64
            && trimmed.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
        if !ok {
            return Err(ValueError::InvalidRefId);
        }
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RefId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a calendar date written as `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<Date, ValueError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(ValueError::Empty);
    }
    Date::parse(trimmed, format_description!("[year]-[month]-[day]")).map_err(|_| ValueError::InvalidDate)
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]")).expect("a date always formats")
}

string_newtype!(
    /// An identity document's number, upper-cased, letters, digits, spaces and hyphens.
    DocumentNumber
);

impl DocumentNumber {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValueError::Empty);
        }
        if trimmed.len() > 64 {
            return Err(ValueError::TooLong { max: 64 });
        }
        if !trimmed.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-') {
            return Err(ValueError::InvalidDocumentNumber);
        }
        Ok(Self(trimmed.to_ascii_uppercase()))
    }
    /// Masked for display (see [`mask`]): `*****4567`, `****-***` for a short one.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// The kind of a tax identification number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxIdType {
    /// US Social Security Number.
    Ssn,
    /// US Individual Taxpayer Identification Number.
    Itin,
    /// US Employer Identification Number.
    Ein,
    /// Any other country's tax number.
    Other,
}

impl TaxIdType {
    pub const ALL: [TaxIdType; 4] = [TaxIdType::Ssn, TaxIdType::Itin, TaxIdType::Ein, TaxIdType::Other];
    pub fn as_str(self) -> &'static str {
        match self {
            TaxIdType::Ssn => "SSN",
            TaxIdType::Itin => "ITIN",
            TaxIdType::Ein => "EIN",
            TaxIdType::Other => "OTHER",
        }
    }
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == raw.trim())
            .ok_or(ValueError::UnknownValue { allowed: "SSN, ITIN, EIN, OTHER" })
    }
}

string_newtype!(
    /// A tax identification number, normalised (US numbers to their nine digits).
    TaxIdNumber
);

impl TaxIdNumber {
    pub fn parse(kind: TaxIdType, raw: &str) -> Result<Self, ValueError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(ValueError::Empty);
        }
        let us_digits = || -> Option<String> {
            let digits: String = trimmed.chars().filter(|c| *c != '-' && *c != ' ').collect();
            (digits.len() == 9 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
        };
        match kind {
            TaxIdType::Ssn => {
                let hint = "nine digits, like 123-45-6789";
                let d = us_digits().ok_or(ValueError::InvalidTaxId { kind: "SSN", hint })?;
                // Area 000, 666 and 900-999, group 00 and serial 0000 are never issued.
                let (area, group, serial) = (&d[0..3], &d[3..5], &d[5..9]);
                if area == "000" || area == "666" || area.starts_with('9') || group == "00" || serial == "0000" {
                    return Err(ValueError::InvalidTaxId { kind: "SSN", hint: "that range is never issued" });
                }
                Ok(Self(d))
            }
            TaxIdType::Itin => {
                let hint = "nine digits starting with 9, like 912-70-1234";
                let d = us_digits().ok_or(ValueError::InvalidTaxId { kind: "ITIN", hint })?;
                if !d.starts_with('9') {
                    return Err(ValueError::InvalidTaxId { kind: "ITIN", hint });
                }
                Ok(Self(d))
            }
            TaxIdType::Ein => {
                let hint = "nine digits, like 12-3456789";
                let d = us_digits().ok_or(ValueError::InvalidTaxId { kind: "EIN", hint })?;
                Ok(Self(d))
            }
            TaxIdType::Other => {
                if trimmed.len() > 64 {
                    return Err(ValueError::TooLong { max: 64 });
                }
                if !trimmed.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '/' | '.')) {
                    return Err(ValueError::InvalidTaxId {
                        kind: "tax id",
                        hint: "use letters, digits, spaces and - / .",
                    });
                }
                Ok(Self(trimmed.to_ascii_uppercase()))
            }
        }
    }
    /// The number as people write it: US numbers (stored as nine digits) in their usual groups,
    /// `123-45-6789` for an SSN or ITIN and `12-3456789` for an EIN; others as stored.
    pub fn formatted(&self, kind: TaxIdType) -> String {
        let d = &self.0;
        let us = d.len() == 9 && d.bytes().all(|b| b.is_ascii_digit());
        match kind {
            TaxIdType::Ssn | TaxIdType::Itin if us => format!("{}-{}-{}", &d[0..3], &d[3..5], &d[5..9]),
            TaxIdType::Ein if us => format!("{}-{}", &d[0..2], &d[2..9]),
            _ => d.clone(),
        }
    }

    /// Masked for display (see [`mask`]), in the groups of [`TaxIdNumber::formatted`]:
    /// `***-**-6789`, `**-***6789`.
    pub fn masked(&self, kind: TaxIdType) -> String {
        mask(&self.formatted(kind))
    }
}

/// Letters and digits a masked value must have for its last four to show: with fewer, the last
/// four would give away most of it, so it is masked whole.
pub const MASK_MIN_CHARACTERS: usize = 8;

/// Masks a number for display: every letter and digit becomes `*` but the last four, and
/// separators (`-`, spaces, `/`, `.`) stay where they are (`***-**-6789`); a value with fewer
/// than [`MASK_MIN_CHARACTERS`] letters and digits is masked whole (`****-***`).
pub fn mask(value: &str) -> String {
    let significant = value.chars().filter(char::is_ascii_alphanumeric).count();
    let shown = if significant >= MASK_MIN_CHARACTERS { 4 } else { 0 };
    let mut seen = 0;
    value
        .chars()
        .map(|c| {
            if !c.is_ascii_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen > significant - shown { c } else { '*' }
        })
        .collect()
}

/// An ownership share in percent, 0 to 100 inclusive, exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Percentage(Decimal);

impl Percentage {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let value = Decimal::from_str(raw.trim()).map_err(|_| ValueError::InvalidPercentage)?;
        Self::new(value)
    }
    pub fn new(value: Decimal) -> Result<Self, ValueError> {
        if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            return Err(ValueError::InvalidPercentage);
        }
        Ok(Self(value.normalize()))
    }
    pub fn value(&self) -> Decimal {
        self.0
    }
}

/// Defines a closed enum of wire words with `as_str`, `parse` and `ALL`.
#[macro_export]
macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const ALLOWED: &'static str = concat!($($word, " "),+);
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
            pub fn parse(raw: &str) -> Result<Self, $crate::values::ValueError> {
                match raw.trim() {
                    $($word => Ok($name::$variant),)+
                    _ => Err($crate::values::ValueError::UnknownValue { allowed: Self::ALLOWED.trim_ascii_end() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_bare_routable_addresses() {
        assert_eq!(Email::parse(" ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        for bad in ["", "ana", "ana@", "@example.com", "ana@localhost", "Ana <ana@example.com>", "a b@example.com"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn phones_are_e164() {
        assert_eq!(PhoneNumber::parse("+1 (415) 555-0100").unwrap().as_str(), "+14155550100");
        for bad in ["", "4155550100", "+0123456789", "+1234567", "+1234567890123456", "+1415abc0100"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn countries_are_iso_alpha2() {
        assert_eq!(CountryCode::parse("de").unwrap().as_str(), "DE");
        for bad in ["", "XX", "DEU", "U"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn tax_ids_are_normalised_and_masked() {
        let ssn = TaxIdNumber::parse(TaxIdType::Ssn, "123-45-6789").unwrap();
        assert_eq!(ssn.as_str(), "123456789");
        assert_eq!(ssn.formatted(TaxIdType::Ssn), "123-45-6789");
        assert_eq!(ssn.masked(TaxIdType::Ssn), "***-**-6789");
        let ein = TaxIdNumber::parse(TaxIdType::Ein, "12-3456789").unwrap();
        assert_eq!(
            (ein.formatted(TaxIdType::Ein), ein.masked(TaxIdType::Ein)),
            ("12-3456789".into(), "**-***6789".into())
        );
        let other = TaxIdNumber::parse(TaxIdType::Other, "de 123/456.789").unwrap();
        assert_eq!(other.masked(TaxIdType::Other), "** ***/**6.789", "separators stay, letters count");
        assert!(TaxIdNumber::parse(TaxIdType::Ssn, "666-45-6789").is_err());
        assert!(TaxIdNumber::parse(TaxIdType::Itin, "123-45-6789").is_err());
        assert!(TaxIdNumber::parse(TaxIdType::Ein, "12-345678").is_err());
    }

    #[test]
    fn masks_keep_the_last_four_and_the_separators_and_hide_short_values_whole() {
        for (value, masked) in [
            ("X12345678", "*****5678"),
            ("AB 123 456", "** **3 456"),
            ("D123-4567", "****-4567"),
            ("D123-456", "****-***"),
            ("1234", "****"),
            ("", ""),
        ] {
            assert_eq!(mask(value), masked, "{value}");
        }
        assert_eq!(DocumentNumber::parse("x1234567").unwrap().masked(), "****4567");
    }

    #[test]
    fn errors_never_repeat_the_value() {
        let secret = "ana.secret@nowhere";
        let err = Email::parse(secret).unwrap_err();
        assert!(!err.to_string().contains("ana.secret"));
        assert!(!format!("{:?}", Email::parse("ana@example.com").unwrap()).contains("ana"));
    }

    #[test]
    fn percentages_are_bounded() {
        assert!(Percentage::parse("25.5").is_ok());
        assert!(Percentage::parse("100").is_ok());
        assert!(Percentage::parse("100.01").is_err());
        assert!(Percentage::parse("-1").is_err());
    }
}
