//! Conversions at the boundary: input DTOs into domain values (collecting *every* field error,
//! each named by its path), and domain values into views.

use dossier_core::*;
use rust_decimal::Decimal;
use time::{Date, OffsetDateTime};

use crate::dto::*;
use crate::error::{Error, Reason};
use crate::ids::IdSource;

/// Collects field errors while converting an input, so one answer lists them all.
#[derive(Default)]
pub(crate) struct Fields {
    reasons: Vec<Reason>,
}

impl Fields {
    pub fn push(&mut self, reason: Reason) {
        self.reasons.push(reason);
    }

    /// A required field parsed with `parse`; records `required` when absent.
    pub fn req<T>(
        &mut self,
        field: &str,
        raw: &Option<String>,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        match raw.as_deref() {
            None => {
                self.push(Reason::from_value_error(field, &ValueError::Empty));
                None
            }
            Some(text) => self.val(field, parse(text)),
        }
    }

    /// An optional field: `Ok(None)` when absent or blank, `Err(())` when present and invalid.
    pub fn opt<T>(
        &mut self,
        field: &str,
        raw: &Option<String>,
        parse: impl FnOnce(&str) -> Result<T, ValueError>,
    ) -> Result<Option<T>, ()> {
        match raw.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => self.val(field, parse(text)).map(Some).ok_or(()),
        }
    }

    pub fn val<T>(&mut self, field: &str, result: Result<T, ValueError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(Reason::from_value_error(field, &e));
                None
            }
        }
    }

    pub fn finish(self) -> Result<(), Error> {
        if self.reasons.is_empty() { Ok(()) } else { Err(Error::invalid_input(self.reasons)) }
    }
}

fn text(max: usize) -> impl Fn(&str) -> Result<Text, ValueError> {
    move |s| Text::parse(s, max)
}

/// Everything a conversion needs from outside: new ids, and today for date rules.
pub(crate) struct Ctx<'a> {
    pub ids: &'a dyn IdSource,
    pub today: Date,
}

fn past_date(today: Date) -> impl Fn(&str) -> Result<Date, ValueError> {
    move |s| {
        let d = parse_date(s)?;
        if d > today { Err(ValueError::InvalidDate) } else { Ok(d) }
    }
}

pub(crate) fn person(f: &mut Fields, p: &PersonInput, ctx: &Ctx<'_>) -> Option<PersonDetails> {
    let first_name = f.req("person.first_name", &p.first_name, text(100));
    let middle_name = f.opt("person.middle_name", &p.middle_name, text(100));
    let last_name = f.req("person.last_name", &p.last_name, text(100));
    let date_of_birth = f.req("person.date_of_birth", &p.date_of_birth, past_date(ctx.today));
    let citizenship = f.opt("person.country_of_citizenship", &p.country_of_citizenship, CountryCode::parse);
    let birth = f.opt("person.country_of_birth", &p.country_of_birth, CountryCode::parse);
    let occupation = f.opt("person.occupation", &p.occupation, text(200));
    Some(PersonDetails {
        first_name: first_name?,
        middle_name: middle_name.ok()?,
        last_name: last_name?,
        date_of_birth: date_of_birth?,
        country_of_citizenship: citizenship.ok()?,
        country_of_birth: birth.ok()?,
        occupation: occupation.ok()?,
    })
}

pub(crate) fn institution(f: &mut Fields, i: &InstitutionInput, ctx: &Ctx<'_>) -> Option<InstitutionDetails> {
    let legal_name = f.req("institution.legal_name", &i.legal_name, text(200));
    let dba = f.opt("institution.doing_business_as_name", &i.doing_business_as_name, text(200));
    let incorporated = f.opt("institution.incorporation_date", &i.incorporation_date, past_date(ctx.today));
    let country = f.req("institution.country_of_formation", &i.country_of_formation, CountryCode::parse);
    let industry = f.opt("institution.industry_type", &i.industry_type, text(100));
    let entity_type = f.opt("institution.legal_entity_type", &i.legal_entity_type, text(100));
    let website = f.opt("institution.website", &i.website, text(200));
    let description = f.opt("institution.business_description", &i.business_description, text(2000));
    Some(InstitutionDetails {
        legal_name: legal_name?,
        doing_business_as_name: dba.ok()?,
        incorporation_date: incorporated.ok()?,
        country_of_formation: country?,
        industry_type: industry.ok()?,
        legal_entity_type: entity_type.ok()?,
        website: website.ok()?,
        business_description: description.ok()?,
    })
}

pub(crate) fn member(f: &mut Fields, path: &str, m: &MemberInput, ctx: &Ctx<'_>) -> Option<Member> {
    let first_name = f.req(&format!("{path}.first_name"), &m.first_name, text(100));
    let last_name = f.req(&format!("{path}.last_name"), &m.last_name, text(100));
    let title = f.opt(&format!("{path}.title"), &m.title, text(100));
    let mut roles = Some(Vec::new());
    for (i, r) in m.roles.iter().enumerate() {
        match f.val(&format!("{path}.roles[{i}]"), MemberRole::parse(r)) {
            Some(role) => {
                if let Some(list) = roles.as_mut().filter(|l| !l.contains(&role)) {
                    list.push(role);
                }
            }
            None => roles = None,
        }
    }
    let pct = f.opt(
        &format!("{path}.ownership_percentage"),
        &m.ownership_percentage.as_ref().map(DecimalInput::as_text),
        Percentage::parse,
    );
    let dob = f.opt(&format!("{path}.date_of_birth"), &m.date_of_birth, past_date(ctx.today));
    let person = f.opt(&format!("{path}.person_customer_id"), &m.person_customer_id, |s| {
        CustomerId::parse(s).map_err(|_| ValueError::UnknownValue { allowed: "a customer id" })
    });
    Some(Member {
        id: MemberId::from_uuid(ctx.ids.next_id()),
        first_name: first_name?,
        last_name: last_name?,
        title: title.ok()?,
        roles: roles?,
        ownership_percentage: pct.ok()?,
        date_of_birth: dob.ok()?,
        is_control_person: m.is_control_person,
        person_customer_id: person.ok()?,
    })
}

/// Checks that members' ownership adds up to at most 100 %.
pub(crate) fn check_ownership(f: &mut Fields, path: &str, members: &[Member]) {
    let total: Decimal = members.iter().filter_map(|m| m.ownership_percentage).map(|p| p.value()).sum();
    if total > Decimal::ONE_HUNDRED {
        f.push(Reason::field(
            path,
            "ownership_exceeds_100",
            format!("{path} ownership percentages add up to more than 100: correct them"),
        ));
    }
}

pub(crate) fn address(f: &mut Fields, path: &str, a: &AddressInput, ctx: &Ctx<'_>) -> Option<Address> {
    let kind = f.req(&format!("{path}.kind"), &a.kind, AddressKind::parse);
    let street = f.req(&format!("{path}.street_address"), &a.street_address, text(200));
    let street2 = f.opt(&format!("{path}.street_address_2"), &a.street_address_2, text(200));
    let city = f.req(&format!("{path}.city"), &a.city, text(100));
    let state = f.opt(&format!("{path}.state"), &a.state, text(100));
    let postal = f.opt(&format!("{path}.postal_code"), &a.postal_code, text(20));
    let country = f.req(&format!("{path}.country"), &a.country, CountryCode::parse);
    Some(Address {
        id: AddressId::from_uuid(ctx.ids.next_id()),
        kind: kind?,
        primary: a.primary,
        street_address: street?,
        street_address_2: street2.ok()?,
        city: city?,
        state: state.ok()?,
        postal_code: postal.ok()?,
        country: country?,
    })
}

pub(crate) fn contact(f: &mut Fields, path: &str, c: &ContactInput, ctx: &Ctx<'_>) -> Option<Contact> {
    let kind = f.req(&format!("{path}.kind"), &c.kind, ContactKind::parse)?;
    let value = f.req(&format!("{path}.value"), &c.value, |s| ContactValue::parse(kind, s))?;
    Some(Contact { id: ContactId::from_uuid(ctx.ids.next_id()), value, verification: None })
}

pub(crate) fn document(f: &mut Fields, path: &str, d: &DocumentInput, ctx: &Ctx<'_>) -> Option<IdentityDocument> {
    let doc_type = f.req(&format!("{path}.type"), &d.document_type, DocumentType::parse);
    let number = f.req(&format!("{path}.number"), &d.number, DocumentNumber::parse);
    let country = f.req(&format!("{path}.issuing_country"), &d.issuing_country, CountryCode::parse);
    let issued = f.opt(&format!("{path}.issued_on"), &d.issued_on, past_date(ctx.today));
    let expires = f.opt(&format!("{path}.expires_on"), &d.expires_on, parse_date);
    let status = f.opt(&format!("{path}.status"), &d.status, DocumentStatus::parse);
    if let (Ok(Some(i)), Ok(Some(e))) = (&issued, &expires)
        && e < i
    {
        f.push(Reason::field(
            format!("{path}.expires_on"),
            "expires_before_issued",
            format!("{path}.expires_on is before issued_on: check both dates"),
        ));
        return None;
    }
    let mut files = Some(Vec::new());
    for (i, file) in d.files.iter().enumerate() {
        let fp = format!("{path}.files[{i}]");
        let role = f.req(&format!("{fp}.role"), &file.role, DocumentFileRole::parse);
        let reference = f.req(&format!("{fp}.reference"), &file.reference, text(1024));
        match (role, reference, files.as_mut()) {
            (Some(role), Some(reference), Some(list)) => list.push(DocumentFile { role, reference }),
            _ => files = None,
        }
    }
    Some(IdentityDocument {
        id: DocumentId::from_uuid(ctx.ids.next_id()),
        document_type: doc_type?,
        number: number?,
        issuing_country: country?,
        issued_on: issued.ok()?,
        expires_on: expires.ok()?,
        status: status.ok()?.unwrap_or(DocumentStatus::Active),
        files: files?,
    })
}

pub(crate) fn tax_detail(f: &mut Fields, path: &str, t: &TaxDetailInput, ctx: &Ctx<'_>) -> Option<TaxDetail> {
    let kind = f.req(&format!("{path}.tax_id_type"), &t.tax_id_type, TaxIdType::parse);
    let country = f.req(&format!("{path}.country"), &t.country, CountryCode::parse);
    let kind = kind?;
    let number = f.req(&format!("{path}.tax_id"), &t.tax_id, |s| TaxIdNumber::parse(kind, s));
    Some(TaxDetail {
        id: TaxDetailId::from_uuid(ctx.ids.next_id()),
        tax_id_type: kind,
        tax_id: number?,
        country: country?,
    })
}

pub(crate) fn due_diligence(f: &mut Fields, d: &DueDiligenceInput) -> Option<DueDiligence> {
    let p = "customer_due_diligence";
    let funds = f.opt(&format!("{p}.source_of_funds"), &d.source_of_funds, text(200));
    let wealth = f.opt(&format!("{p}.source_of_wealth"), &d.source_of_wealth, text(200));
    let purpose = f.opt(&format!("{p}.purpose_of_account"), &d.purpose_of_account, text(200));
    let level = f.opt(&format!("{p}.expected_activity_level"), &d.expected_activity_level, ExpectedActivity::parse);
    Some(DueDiligence {
        source_of_funds: funds.ok()?,
        source_of_wealth: wealth.ok()?,
        purpose_of_account: purpose.ok()?,
        expected_activity_level: level.ok()?,
    })
}

/// Converts a whole create request. `id` and `now` come from the caller.
pub(crate) fn new_customer(
    input: &CreateCustomerInput,
    id: CustomerId,
    now: OffsetDateTime,
    ctx: &Ctx<'_>,
) -> Result<Customer, Error> {
    let mut f = Fields::default();
    let kind = f.req("type", &input.kind, CustomerKind::parse);
    let ref_id = f.req("ref_id", &input.ref_id, RefId::parse);
    let party = match kind {
        Some(CustomerKind::Individual) => {
            if input.institution.is_some() {
                f.push(Reason::field("institution", "not_allowed", "institution is only for type business: remove it"));
            }
            match &input.person {
                Some(p) => person(&mut f, p, ctx).map(Party::Person),
                None => {
                    f.push(Reason::field("person", "required", "person is required for type individual"));
                    None
                }
            }
        }
        Some(CustomerKind::Business) => {
            if input.person.is_some() {
                f.push(Reason::field("person", "not_allowed", "person is only for type individual: remove it"));
            }
            match &input.institution {
                Some(i) => {
                    let details = institution(&mut f, i, ctx);
                    let members = each(&i.members, |n, m| member(&mut f, &format!("institution.members[{n}]"), m, ctx));
                    if let Some(list) = &members {
                        check_ownership(&mut f, "institution.members", list);
                    }
                    details.zip(members).map(|(details, members)| Party::Institution { details, members })
                }
                None => {
                    f.push(Reason::field("institution", "required", "institution is required for type business"));
                    None
                }
            }
        }
        None => None,
    };
    let addresses = each(&input.addresses, |i, a| address(&mut f, &format!("addresses[{i}]"), a, ctx));
    if input.addresses.iter().filter(|a| a.primary).count() > 1 {
        f.push(Reason::field("addresses", "multiple_primary_addresses", "only one address can be primary"));
    }
    let contacts = each(&input.contacts, |i, c| contact(&mut f, &format!("contacts[{i}]"), c, ctx));
    let documents = each(&input.documents, |i, d| document(&mut f, &format!("documents[{i}]"), d, ctx));
    let taxes = each(&input.tax_details, |i, t| tax_detail(&mut f, &format!("tax_details[{i}]"), t, ctx));
    if input.tax_details_not_required && !input.tax_details.is_empty() {
        f.push(Reason::field(
            "tax_details_not_required",
            "conflicting_fields",
            "tax_details_not_required cannot be true when tax_details are given: choose one",
        ));
    }
    let dd = input.customer_due_diligence.as_ref().map(|d| due_diligence(&mut f, d));
    let refresh = f.opt("last_kyc_refresh_date", &input.last_kyc_refresh_date, past_date(ctx.today));
    for key in input.metadata.keys() {
        if key.is_empty() || key.len() > 64 {
            f.push(Reason::field("metadata", "invalid_metadata_key", "metadata keys must be 1 to 64 characters"));
        }
    }
    if input.metadata.len() > 50 {
        f.push(Reason::field("metadata", "too_many_metadata_keys", "metadata holds at most 50 keys"));
    }
    f.finish()?;
    // Every field parsed (f.finish() passed), so every Option below is Some.
    let unexpected = || Error::invalid_input(vec![Reason::new("invalid_input", "the input could not be read")]);
    let tax = if input.tax_details_not_required {
        TaxDetails::NotRequired
    } else {
        TaxDetails::Provided(taxes.ok_or_else(unexpected)?)
    };
    Ok(Customer {
        id,
        ref_id: ref_id.ok_or_else(unexpected)?,
        state: CustomerState::Pending,
        state_changed_at: now,
        party: party.ok_or_else(unexpected)?,
        addresses: addresses.ok_or_else(unexpected)?,
        contacts: contacts.ok_or_else(unexpected)?,
        documents: documents.ok_or_else(unexpected)?,
        tax,
        due_diligence: dd.map(|d| d.ok_or_else(unexpected)).transpose()?,
        controls: Vec::new(),
        is_merchant: input.is_merchant,
        politically_exposed: input.politically_exposed,
        last_kyc_refresh_date: refresh.map_err(|_| unexpected())?,
        metadata: input.metadata.clone(),
        created_at: now,
        updated_at: now,
    })
}

/// Converts every item (so every fault is reported), then yields all of them or none.
fn each<I, T>(items: &[I], mut convert: impl FnMut(usize, &I) -> Option<T>) -> Option<Vec<T>> {
    let converted: Vec<Option<T>> = items.iter().enumerate().map(|(i, item)| convert(i, item)).collect();
    converted.into_iter().collect()
}

/// RFC 3339 in UTC with a fixed six-digit fraction, so outputs line up and sort as text.
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC).format(TIMESTAMP).expect("a UTC time always formats")
}

const TIMESTAMP: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

fn s(t: &Text) -> String {
    t.as_str().to_owned()
}

fn os(t: &Option<Text>) -> Option<String> {
    t.as_ref().map(s)
}

pub(crate) fn gate_view(c: &Customer, today: Date) -> GateView {
    let level_view = |level| {
        let reasons = verify_gate(c, level, today);
        GateLevelView {
            passes: reasons.is_empty(),
            reasons: reasons
                .into_iter()
                .map(|r| GateReasonView { code: r.code(), label: r.label(), message: r.message() })
                .collect(),
        }
    };
    GateView { partial: level_view(VerificationLevel::Partial), full: level_view(VerificationLevel::Full) }
}

pub(crate) fn customer_view(c: &Customer, today: Date) -> CustomerView {
    let (person, institution) = match &c.party {
        Party::Person(p) => (
            Some(PersonView {
                first_name: s(&p.first_name),
                middle_name: os(&p.middle_name),
                last_name: s(&p.last_name),
                date_of_birth: format_date(p.date_of_birth),
                country_of_citizenship: p.country_of_citizenship.map(|c| c.to_string()),
                country_of_birth: p.country_of_birth.map(|c| c.to_string()),
                occupation: os(&p.occupation),
            }),
            None,
        ),
        Party::Institution { details: d, members } => (
            None,
            Some(InstitutionView {
                legal_name: s(&d.legal_name),
                doing_business_as_name: os(&d.doing_business_as_name),
                incorporation_date: d.incorporation_date.map(format_date),
                country_of_formation: d.country_of_formation.to_string(),
                industry_type: os(&d.industry_type),
                legal_entity_type: os(&d.legal_entity_type),
                website: os(&d.website),
                business_description: os(&d.business_description),
                members: members
                    .iter()
                    .map(|m| MemberView {
                        id: m.id.to_string(),
                        first_name: s(&m.first_name),
                        last_name: s(&m.last_name),
                        title: os(&m.title),
                        roles: m.roles.iter().map(|r| r.as_str()).collect(),
                        ownership_percentage: m.ownership_percentage.map(|p| p.value().to_string()),
                        date_of_birth: m.date_of_birth.map(format_date),
                        is_control_person: m.is_control_person,
                        person_customer_id: m.person_customer_id.map(|id| id.to_string()),
                    })
                    .collect(),
            }),
        ),
    };
    CustomerView {
        id: c.id.to_string(),
        kind: c.kind().as_str(),
        ref_id: c.ref_id.to_string(),
        state: c.state.name(),
        verification_level: c.state.level().map(VerificationLevel::as_str),
        state_changed_at: timestamp(c.state_changed_at),
        person,
        institution,
        addresses: c
            .addresses
            .iter()
            .map(|a| AddressView {
                id: a.id.to_string(),
                kind: a.kind.as_str(),
                primary: a.primary,
                street_address: s(&a.street_address),
                street_address_2: os(&a.street_address_2),
                city: s(&a.city),
                state: os(&a.state),
                postal_code: os(&a.postal_code),
                country: a.country.to_string(),
            })
            .collect(),
        contacts: c
            .contacts
            .iter()
            .map(|k| ContactView {
                id: k.id.to_string(),
                kind: k.kind().as_str(),
                value: k.value.as_str().to_owned(),
                verified: k.is_verified(),
                verification_method: k.verification.map(|v| v.method.as_str()),
                verified_at: k.verification.map(|v| timestamp(v.verified_at)),
            })
            .collect(),
        documents: c
            .documents
            .iter()
            .map(|d| DocumentView {
                id: d.id.to_string(),
                document_type: d.document_type.as_str(),
                number: d.number.masked(),
                issuing_country: d.issuing_country.to_string(),
                issued_on: d.issued_on.map(format_date),
                expires_on: d.expires_on.map(format_date),
                status: d.status.as_str(),
                valid_today: d.is_valid_on(today),
                files: d
                    .files
                    .iter()
                    .map(|f| DocumentFileView { role: f.role.as_str(), reference: s(&f.reference) })
                    .collect(),
            })
            .collect(),
        tax_details: c
            .tax
            .details()
            .iter()
            .map(|t| TaxDetailView {
                id: t.id.to_string(),
                tax_id_type: t.tax_id_type.as_str(),
                tax_id: t.tax_id.masked(t.tax_id_type),
                country: t.country.to_string(),
            })
            .collect(),
        tax_details_not_required: matches!(c.tax, TaxDetails::NotRequired),
        customer_due_diligence: c.due_diligence.as_ref().map(|d| DueDiligenceView {
            source_of_funds: os(&d.source_of_funds),
            source_of_wealth: os(&d.source_of_wealth),
            purpose_of_account: os(&d.purpose_of_account),
            expected_activity_level: d.expected_activity_level.map(ExpectedActivity::as_str),
        }),
        controls: c
            .controls
            .iter()
            .map(|k| ControlView {
                id: k.id.to_string(),
                control_type: k.control_type.as_str(),
                set_by: k.set_by.as_str(),
                reason_code: k.reason_code.as_str(),
                created_at: timestamp(k.created_at),
            })
            .collect(),
        is_merchant: c.is_merchant,
        politically_exposed: c.politically_exposed,
        last_kyc_refresh_date: c.last_kyc_refresh_date.map(format_date),
        metadata: c.metadata.clone(),
        created_at: timestamp(c.created_at),
        updated_at: timestamp(c.updated_at),
        verification_gate: gate_view(c, today),
        // Filled in from the derived columns by `Env::customer_view`.
        risk_rating: "",
        identity_status: "",
        edd_status: "",
        kyc_refresh_due_on: None,
        activity_limits: None,
        provider_statuses: Vec::new(),
        pending_approvals: Vec::new(),
    }
}
