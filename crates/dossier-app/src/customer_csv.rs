//! The customer CSV layout (docs/import.md), shared by `import customers` and `export customers`:
//! its columns, how a row becomes a [`CreateCustomerInput`] (so an imported row meets exactly the
//! rules of `customer create`), how a customer is written back as a row, and how the input's
//! field paths are named as columns in error reasons.

use dossier_core::*;

use crate::dto::*;
use crate::error::Reason;

/// Declares the layout once: the row type with one text cell per column, and the column names
/// in the order templates and exports write them.
macro_rules! layout {
    ($($field:ident = $column:literal),+ $(,)?) => {
        /// One row of the layout, each cell as trimmed text ("" when blank). No `Debug`: the
        /// cells are personal data.
        #[derive(Clone, Default, PartialEq, Eq)]
        pub(crate) struct CustomerRow {
            $(pub $field: String,)+
        }

        /// The columns of the customer layout, in the order templates and exports write them.
        pub const CUSTOMER_COLUMNS: &[&str] = &[$($column),+];

        impl CustomerRow {
            /// The cell of the column at `index` in [`CUSTOMER_COLUMNS`].
            pub fn cell_mut(&mut self, index: usize) -> Option<&mut String> {
                [$(&mut self.$field),+].into_iter().nth(index)
            }

            /// The cells in column order.
            pub fn cells(&self) -> [&str; CUSTOMER_COLUMNS.len()] {
                [$(self.$field.as_str()),+]
            }
        }
    };
}

layout!(
    ref_id = "ref_id",
    kind = "type",
    first_name = "first_name",
    middle_name = "middle_name",
    last_name = "last_name",
    date_of_birth = "date_of_birth",
    country_of_citizenship = "country_of_citizenship",
    country_of_birth = "country_of_birth",
    occupation = "occupation",
    legal_name = "legal_name",
    doing_business_as_name = "doing_business_as_name",
    incorporation_date = "incorporation_date",
    country_of_formation = "country_of_formation",
    industry_type = "industry_type",
    legal_entity_type = "legal_entity_type",
    website = "website",
    business_description = "business_description",
    address_kind = "address_kind",
    address_street = "address_street",
    address_street_2 = "address_street_2",
    address_city = "address_city",
    address_state = "address_state",
    address_postal_code = "address_postal_code",
    address_country = "address_country",
    email = "email",
    email_verified_method = "email_verified_method",
    mobile = "mobile",
    mobile_verified_method = "mobile_verified_method",
    document_type = "document_type",
    document_number = "document_number",
    document_country = "document_country",
    document_issued_on = "document_issued_on",
    document_expires_on = "document_expires_on",
    document_status = "document_status",
    tax_id_type = "tax_id_type",
    tax_id = "tax_id",
    tax_country = "tax_country",
    tax_details_not_required = "tax_details_not_required",
    source_of_funds = "source_of_funds",
    source_of_wealth = "source_of_wealth",
    purpose_of_account = "purpose_of_account",
    expected_activity_level = "expected_activity_level",
    politically_exposed = "politically_exposed",
    is_merchant = "is_merchant",
    last_kyc_refresh_date = "last_kyc_refresh_date",
);

/// The columns of the person, in layout order.
const PERSON_COLUMNS: [&str; 7] = [
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "country_of_citizenship",
    "country_of_birth",
    "occupation",
];

/// The columns of the institution, in layout order.
const INSTITUTION_COLUMNS: [&str; 8] = [
    "legal_name",
    "doing_business_as_name",
    "incorporation_date",
    "country_of_formation",
    "industry_type",
    "legal_entity_type",
    "website",
    "business_description",
];

/// Where each input field of `customer create` comes from. Contacts are mapped per row, since
/// their position depends on which of email and mobile the row has.
const PATHS: &[(&str, &str)] = &[
    ("ref_id", "ref_id"),
    ("type", "type"),
    ("person.first_name", "first_name"),
    ("person.middle_name", "middle_name"),
    ("person.last_name", "last_name"),
    ("person.date_of_birth", "date_of_birth"),
    ("person.country_of_citizenship", "country_of_citizenship"),
    ("person.country_of_birth", "country_of_birth"),
    ("person.occupation", "occupation"),
    ("institution.legal_name", "legal_name"),
    ("institution.doing_business_as_name", "doing_business_as_name"),
    ("institution.incorporation_date", "incorporation_date"),
    ("institution.country_of_formation", "country_of_formation"),
    ("institution.industry_type", "industry_type"),
    ("institution.legal_entity_type", "legal_entity_type"),
    ("institution.website", "website"),
    ("institution.business_description", "business_description"),
    ("addresses[0].kind", "address_kind"),
    ("addresses[0].street_address", "address_street"),
    ("addresses[0].street_address_2", "address_street_2"),
    ("addresses[0].city", "address_city"),
    ("addresses[0].state", "address_state"),
    ("addresses[0].postal_code", "address_postal_code"),
    ("addresses[0].country", "address_country"),
    ("documents[0].type", "document_type"),
    ("documents[0].number", "document_number"),
    ("documents[0].issuing_country", "document_country"),
    ("documents[0].issued_on", "document_issued_on"),
    ("documents[0].expires_on", "document_expires_on"),
    ("documents[0].status", "document_status"),
    ("tax_details[0].tax_id_type", "tax_id_type"),
    ("tax_details[0].tax_id", "tax_id"),
    ("tax_details[0].country", "tax_country"),
    ("tax_details_not_required", "tax_details_not_required"),
    ("customer_due_diligence.source_of_funds", "source_of_funds"),
    ("customer_due_diligence.source_of_wealth", "source_of_wealth"),
    ("customer_due_diligence.purpose_of_account", "purpose_of_account"),
    ("customer_due_diligence.expected_activity_level", "expected_activity_level"),
    ("last_kyc_refresh_date", "last_kyc_refresh_date"),
];

fn opt(cell: &str) -> Option<String> {
    let cell = cell.trim();
    (!cell.is_empty()).then(|| cell.to_owned())
}

fn any_given(cells: &[&str]) -> bool {
    cells.iter().any(|c| !c.trim().is_empty())
}

/// A row read into the input of `customer create`, with what the layout adds to it.
pub(crate) struct RowInput {
    pub input: CreateCustomerInput,
    /// How the email and the mobile number were verified, when the row says so.
    pub email_verified: Option<ContactVerificationMethod>,
    pub mobile_verified: Option<ContactVerificationMethod>,
    /// Faults only the layout can have (a boolean cell, a verification method), by column.
    pub reasons: Vec<Reason>,
    /// The input path of each contact, with its column.
    contact_paths: Vec<(String, &'static str)>,
    /// The first person or institution column with a value, to name in `not_allowed`.
    person_column: &'static str,
    institution_column: &'static str,
}

fn boolean(reasons: &mut Vec<Reason>, column: &str, cell: &str) -> bool {
    match cell.trim().to_ascii_lowercase().as_str() {
        "" | "false" => false,
        "true" => true,
        _ => {
            reasons.push(Reason::field(column, "unknown_value", format!("{column} is not one of: true, false")));
            false
        }
    }
}

fn verified_method(
    reasons: &mut Vec<Reason>,
    column: &str,
    contact_column: &str,
    contact: &str,
    cell: &str,
) -> Option<ContactVerificationMethod> {
    if cell.trim().is_empty() {
        return None;
    }
    match ContactVerificationMethod::parse(cell) {
        Ok(_) if contact.trim().is_empty() => {
            reasons.push(Reason::field(
                contact_column,
                "required",
                format!("{contact_column} is required when {column} is given"),
            ));
            None
        }
        Ok(method) => Some(method),
        Err(e) => {
            reasons.push(Reason::from_value_error(column, &e));
            None
        }
    }
}

impl CustomerRow {
    /// True when every cell is blank (spreadsheets leave such rows at the end of a sheet).
    pub fn is_blank(&self) -> bool {
        self.cells().iter().all(|c| c.trim().is_empty())
    }

    /// The input `customer create` would take for this row. Blank cells are absent fields; a
    /// group (person, institution, address, document, tax detail, due diligence) is present
    /// when any of its cells has a value, and the person or institution also when `type` asks
    /// for it, so a missing name is reported by column.
    pub fn to_input(&self) -> RowInput {
        let mut reasons = Vec::new();
        let kind = self.kind.trim();
        let person_cells = [
            &self.first_name,
            &self.middle_name,
            &self.last_name,
            &self.date_of_birth,
            &self.country_of_citizenship,
            &self.country_of_birth,
            &self.occupation,
        ]
        .map(String::as_str);
        let institution_cells = [
            &self.legal_name,
            &self.doing_business_as_name,
            &self.incorporation_date,
            &self.country_of_formation,
            &self.industry_type,
            &self.legal_entity_type,
            &self.website,
            &self.business_description,
        ]
        .map(String::as_str);
        let first_given = |columns: &[&'static str], cells: &[&str]| {
            columns.iter().zip(cells).find(|(_, c)| !c.trim().is_empty()).map_or("type", |(name, _)| *name)
        };
        let person = (kind == "individual" || any_given(&person_cells)).then(|| PersonInput {
            first_name: opt(&self.first_name),
            middle_name: opt(&self.middle_name),
            last_name: opt(&self.last_name),
            date_of_birth: opt(&self.date_of_birth),
            country_of_citizenship: opt(&self.country_of_citizenship),
            country_of_birth: opt(&self.country_of_birth),
            occupation: opt(&self.occupation),
        });
        let institution = (kind == "business" || any_given(&institution_cells)).then(|| InstitutionInput {
            legal_name: opt(&self.legal_name),
            doing_business_as_name: opt(&self.doing_business_as_name),
            incorporation_date: opt(&self.incorporation_date),
            country_of_formation: opt(&self.country_of_formation),
            industry_type: opt(&self.industry_type),
            legal_entity_type: opt(&self.legal_entity_type),
            website: opt(&self.website),
            business_description: opt(&self.business_description),
            members: Vec::new(),
        });
        let address_cells = [
            &self.address_kind,
            &self.address_street,
            &self.address_street_2,
            &self.address_city,
            &self.address_state,
            &self.address_postal_code,
            &self.address_country,
        ]
        .map(String::as_str);
        let addresses = if any_given(&address_cells) {
            vec![AddressInput {
                kind: opt(&self.address_kind),
                primary: true,
                street_address: opt(&self.address_street),
                street_address_2: opt(&self.address_street_2),
                city: opt(&self.address_city),
                state: opt(&self.address_state),
                postal_code: opt(&self.address_postal_code),
                country: opt(&self.address_country),
            }]
        } else {
            Vec::new()
        };
        let mut contacts = Vec::new();
        let mut contact_paths = Vec::new();
        for (kind, column, value) in [("email", "email", &self.email), ("mobile", "mobile", &self.mobile)] {
            if let Some(value) = opt(value) {
                contact_paths.push((format!("contacts[{}].value", contacts.len()), column));
                contacts.push(ContactInput { kind: Some(kind.to_owned()), value: Some(value) });
            }
        }
        let email_verified =
            verified_method(&mut reasons, "email_verified_method", "email", &self.email, &self.email_verified_method);
        let mobile_verified = verified_method(
            &mut reasons,
            "mobile_verified_method",
            "mobile",
            &self.mobile,
            &self.mobile_verified_method,
        );
        let document_cells = [
            &self.document_type,
            &self.document_number,
            &self.document_country,
            &self.document_issued_on,
            &self.document_expires_on,
            &self.document_status,
        ]
        .map(String::as_str);
        let documents = if any_given(&document_cells) {
            vec![DocumentInput {
                document_type: opt(&self.document_type),
                number: opt(&self.document_number),
                issuing_country: opt(&self.document_country),
                issued_on: opt(&self.document_issued_on),
                expires_on: opt(&self.document_expires_on),
                status: opt(&self.document_status),
                files: Vec::new(),
            }]
        } else {
            Vec::new()
        };
        let tax_details = if any_given(&[&self.tax_id_type, &self.tax_id, &self.tax_country]) {
            vec![TaxDetailInput {
                tax_id_type: opt(&self.tax_id_type),
                tax_id: opt(&self.tax_id),
                country: opt(&self.tax_country),
            }]
        } else {
            Vec::new()
        };
        let dd_cells =
            [&self.source_of_funds, &self.source_of_wealth, &self.purpose_of_account, &self.expected_activity_level]
                .map(String::as_str);
        let customer_due_diligence = any_given(&dd_cells).then(|| DueDiligenceInput {
            source_of_funds: opt(&self.source_of_funds),
            source_of_wealth: opt(&self.source_of_wealth),
            purpose_of_account: opt(&self.purpose_of_account),
            expected_activity_level: opt(&self.expected_activity_level),
        });
        let tax_details_not_required =
            boolean(&mut reasons, "tax_details_not_required", &self.tax_details_not_required);
        let politically_exposed = boolean(&mut reasons, "politically_exposed", &self.politically_exposed);
        let is_merchant = boolean(&mut reasons, "is_merchant", &self.is_merchant);
        RowInput {
            input: CreateCustomerInput {
                kind: opt(&self.kind),
                ref_id: opt(&self.ref_id),
                person,
                institution,
                addresses,
                contacts,
                documents,
                tax_details,
                tax_details_not_required,
                customer_due_diligence,
                is_merchant,
                politically_exposed,
                last_kyc_refresh_date: opt(&self.last_kyc_refresh_date),
                metadata: Default::default(),
            },
            email_verified,
            mobile_verified,
            reasons,
            contact_paths,
            person_column: first_given(&PERSON_COLUMNS, &person_cells),
            institution_column: first_given(&INSTITUTION_COLUMNS, &institution_cells),
        }
    }

    /// The row an export writes for `c`: its primary address, its first email, mobile number,
    /// identity document and tax detail. Members, metadata, document files and further
    /// addresses, contacts, documents and tax details are not in the layout.
    pub fn of(c: &Customer) -> Self {
        let s = |t: &Text| t.as_str().to_owned();
        let os = |t: &Option<Text>| t.as_ref().map(s).unwrap_or_default();
        let date = |d: Option<time::Date>| d.map(format_date).unwrap_or_default();
        let country = |c: Option<CountryCode>| c.map(|c| c.as_str().to_owned()).unwrap_or_default();
        let flag = |b: bool| if b { "true" } else { "false" }.to_owned();
        let mut row = CustomerRow {
            ref_id: c.ref_id.as_str().to_owned(),
            kind: c.kind().as_str().to_owned(),
            ..Default::default()
        };
        match &c.party {
            Party::Person(p) => {
                row.first_name = s(&p.first_name);
                row.middle_name = os(&p.middle_name);
                row.last_name = s(&p.last_name);
                row.date_of_birth = format_date(p.date_of_birth);
                row.country_of_citizenship = country(p.country_of_citizenship);
                row.country_of_birth = country(p.country_of_birth);
                row.occupation = os(&p.occupation);
            }
            Party::Institution { details: d, .. } => {
                row.legal_name = s(&d.legal_name);
                row.doing_business_as_name = os(&d.doing_business_as_name);
                row.incorporation_date = date(d.incorporation_date);
                row.country_of_formation = d.country_of_formation.as_str().to_owned();
                row.industry_type = os(&d.industry_type);
                row.legal_entity_type = os(&d.legal_entity_type);
                row.website = os(&d.website);
                row.business_description = os(&d.business_description);
            }
        }
        if let Some(a) = c.addresses.iter().find(|a| a.primary) {
            row.address_kind = a.kind.as_str().to_owned();
            row.address_street = s(&a.street_address);
            row.address_street_2 = os(&a.street_address_2);
            row.address_city = s(&a.city);
            row.address_state = os(&a.state);
            row.address_postal_code = os(&a.postal_code);
            row.address_country = a.country.as_str().to_owned();
        }
        let contact = |kind| c.contacts.iter().find(|k| k.kind() == kind);
        let method = |k: &Contact| k.verification.map(|v| v.method.as_str().to_owned()).unwrap_or_default();
        if let Some(k) = contact(ContactKind::Email) {
            row.email = k.value.as_str().to_owned();
            row.email_verified_method = method(k);
        }
        if let Some(k) = contact(ContactKind::Mobile) {
            row.mobile = k.value.as_str().to_owned();
            row.mobile_verified_method = method(k);
        }
        if let Some(d) = c.documents.first() {
            row.document_type = d.document_type.as_str().to_owned();
            row.document_number = d.number.as_str().to_owned();
            row.document_country = d.issuing_country.as_str().to_owned();
            row.document_issued_on = date(d.issued_on);
            row.document_expires_on = date(d.expires_on);
            row.document_status = d.status.as_str().to_owned();
        }
        if let Some(t) = c.tax.details().first() {
            row.tax_id_type = t.tax_id_type.as_str().to_owned();
            row.tax_id = t.tax_id.as_str().to_owned();
            row.tax_country = t.country.as_str().to_owned();
        }
        row.tax_details_not_required = flag(matches!(c.tax, TaxDetails::NotRequired));
        if let Some(dd) = &c.due_diligence {
            row.source_of_funds = os(&dd.source_of_funds);
            row.source_of_wealth = os(&dd.source_of_wealth);
            row.purpose_of_account = os(&dd.purpose_of_account);
            row.expected_activity_level = dd.expected_activity_level.map(|l| l.as_str().to_owned()).unwrap_or_default();
        }
        row.politically_exposed = flag(c.politically_exposed);
        row.is_merchant = flag(c.is_merchant);
        row.last_kyc_refresh_date = date(c.last_kyc_refresh_date);
        row
    }

    /// The columns in which `incoming` says something other than this (stored) row. A blank
    /// verification method matches a contact verified since: verifying after an import is the
    /// usual next step, and it does not make the file's row a different customer.
    pub fn differing_columns(&self, incoming: &CustomerRow) -> Vec<&'static str> {
        CUSTOMER_COLUMNS
            .iter()
            .zip(self.cells().into_iter().zip(incoming.cells()))
            .filter(|(column, (stored, new))| {
                let lenient = matches!(**column, "email_verified_method" | "mobile_verified_method") && new.is_empty();
                !lenient && stored != new
            })
            .map(|(column, _)| *column)
            .collect()
    }

    /// The example row `import template customers` prints under the header.
    pub fn example() -> Self {
        let t = |s: &str| s.to_owned();
        CustomerRow {
            ref_id: t("BR-0001"),
            kind: t("individual"),
            first_name: t("Ana"),
            last_name: t("Silva"),
            date_of_birth: t("1988-04-12"),
            country_of_citizenship: t("US"),
            country_of_birth: t("PT"),
            occupation: t("Nurse"),
            address_kind: t("residential"),
            address_street: t("742 Evergreen Terrace"),
            address_city: t("Springfield"),
            address_state: t("IL"),
            address_postal_code: t("62704"),
            address_country: t("US"),
            email: t("ana@example.com"),
            mobile: t("+12175550142"),
            mobile_verified_method: t("in_person"),
            document_type: t("passport"),
            document_number: t("X12345678"),
            document_country: t("US"),
            document_issued_on: t("2021-03-01"),
            document_expires_on: t("2031-02-28"),
            document_status: t("active"),
            tax_id_type: t("SSN"),
            tax_id: t("123456789"),
            tax_country: t("US"),
            tax_details_not_required: t("false"),
            source_of_funds: t("salary"),
            purpose_of_account: t("savings"),
            expected_activity_level: t("LOW"),
            politically_exposed: t("false"),
            is_merchant: t("false"),
            ..Default::default()
        }
    }
}

impl RowInput {
    /// Names the input paths of `reasons` as the layout's columns, in the field and at the
    /// start of the message (`person.first_name is required…` → `first_name is required…`).
    pub fn name_columns(&self, reasons: Vec<Reason>) -> Vec<Reason> {
        reasons
            .into_iter()
            .map(|mut r| {
                let Some(path) = r.field.clone() else { return r };
                let column = match path.as_str() {
                    "person" => Some(self.person_column),
                    "institution" => Some(self.institution_column),
                    "addresses" => Some("address_kind"),
                    p => PATHS
                        .iter()
                        .find(|(from, _)| *from == p)
                        .map(|(_, to)| *to)
                        .or_else(|| self.contact_paths.iter().find(|(from, _)| from == p).map(|(_, to)| *to)),
                };
                if let Some(column) = column {
                    if let Some(rest) = r.message.strip_prefix(path.as_str()) {
                        r.message = format!("{column}{rest}");
                    }
                    r.field = Some(column.to_owned());
                }
                r
            })
            .collect()
    }
}
