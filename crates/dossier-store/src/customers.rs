//! The customer aggregate in SQL: one row in `customers`, the party in `persons` or
//! `institutions` (+ `institution_members`), and one table per kind of child.

use std::collections::BTreeMap;

use dossier_core::*;
use rusqlite::{OptionalExtension, Row, params};
use time::OffsetDateTime;

use crate::codec::{self, OrCorrupt};
use crate::{Derived, Result, Tx};

pub(crate) fn blob(bytes: &[u8; 16]) -> &[u8] {
    bytes
}

pub(crate) fn id_from(bytes: Vec<u8>, table: &'static str, column: &'static str) -> Result<[u8; 16]> {
    bytes.try_into().or_corrupt(table, column)
}

fn text(r: &Row<'_>, idx: usize, max: usize, table: &'static str, column: &'static str) -> Result<Text> {
    Text::parse(&r.get::<_, String>(idx)?, max).or_corrupt(table, column)
}

fn opt_text(r: &Row<'_>, idx: usize, max: usize, table: &'static str, column: &'static str) -> Result<Option<Text>> {
    let value: Option<String> = r.get(idx)?;
    value.map(|v| Text::parse(&v, max)).transpose().or_corrupt(table, column)
}

fn opt_country(r: &Row<'_>, idx: usize, table: &'static str, column: &'static str) -> Result<Option<CountryCode>> {
    let value: Option<String> = r.get(idx)?;
    value.map(|v| CountryCode::parse(&v)).transpose().or_corrupt(table, column)
}

fn opt_date(r: &Row<'_>, idx: usize, table: &'static str, column: &'static str) -> Result<Option<time::Date>> {
    let value: Option<String> = r.get(idx)?;
    value.map(|v| codec::parse_date(&v, table, column)).transpose()
}

/// The statements that index, for search, the customers noted in `customer_search_pending`
/// (migration 0012): remove the entries of those indexed before, index each one as it is now
/// (its name, ref id, emails and document numbers), and clear the notes. Customers deleted
/// since they were noted are not indexed again (their entries went with them).
pub(crate) const INDEX_PENDING_SEARCH: [&str; 3] = [
    "DELETE FROM customer_search WHERE rowid IN (SELECT customer_rowid FROM customer_search_pending WHERE is_new = 0)",
    "INSERT INTO customer_search (rowid, display_name, ref_id, emails, documents)
     SELECT c.rowid, c.display_name, c.ref_id,
        coalesce((SELECT group_concat(e.value, ' ') FROM contacts e WHERE e.customer_id = c.id AND e.kind = 'email'), ''),
        coalesce((SELECT group_concat(d.number, ' ') FROM identity_documents d WHERE d.customer_id = c.id), '')
     FROM customer_search_pending p JOIN customers c ON c.rowid = p.customer_rowid",
    "DELETE FROM customer_search_pending",
];

/// Whether any customer waits to be indexed for search.
pub(crate) fn search_pending(conn: &rusqlite::Connection) -> Result<bool> {
    Ok(conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM customer_search_pending)")?.query_row([], |r| r.get(0))?)
}

/// Indexes for search the customers changed since the index was last brought up to date, in
/// the caller's transaction: done once, just before each commit, so a customer changed many
/// times in a transaction (an import's batch, a customer created with its contacts and
/// documents) is indexed once and the full-text index writes one segment per transaction.
pub(crate) fn index_pending_search(conn: &rusqlite::Connection) -> Result<()> {
    if search_pending(conn)? {
        for sql in INDEX_PENDING_SEARCH {
            conn.prepare_cached(sql)?.execute([])?;
        }
    }
    Ok(())
}

impl Tx<'_> {
    /// The id of the customer with this ref id, if any.
    pub fn customer_id_by_ref(&self, ref_id: &RefId) -> Result<Option<CustomerId>> {
        let mut stmt = self.conn().prepare_cached("SELECT id FROM customers WHERE ref_id = ?1")?;
        let id: Option<Vec<u8>> = stmt.query_row([ref_id.as_str()], |r| r.get(0)).optional()?;
        id.map(|b| id_from(b, "customers", "id").map(CustomerId::from_bytes)).transpose()
    }

    /// The ref id of a customer, if there is one with that id.
    pub fn customer_ref_id(&self, id: CustomerId) -> Result<Option<String>> {
        let mut stmt = self.conn().prepare_cached("SELECT ref_id FROM customers WHERE id = ?1")?;
        Ok(stmt.query_row([blob(id.as_bytes())], |r| r.get(0)).optional()?)
    }

    /// Writes a whole new customer with all its children, and its derived columns as `derived`
    /// says, so a new customer's row is written once (not written, then updated).
    pub fn insert_customer(&self, c: &Customer, derived: &Derived) -> Result<()> {
        let metadata = metadata_json(&c.metadata);
        self.conn()
            .prepare_cached(
                "INSERT INTO customers (id, kind, ref_id, state, verification_level, state_changed_at, display_name,
                    is_merchant, tax_details_not_required, last_kyc_refresh_date, metadata, created_at, updated_at,
                    politically_exposed, risk_rating, identity_status, edd_status, kyc_refresh_due_on, verified_on)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            )?
            .execute(params![
                blob(c.id.as_bytes()),
                c.kind().as_str(),
                c.ref_id.as_str(),
                c.state.name(),
                c.state.level().map(VerificationLevel::as_str),
                codec::timestamp(c.state_changed_at),
                c.party.display_name(),
                c.is_merchant,
                matches!(c.tax, TaxDetails::NotRequired),
                c.last_kyc_refresh_date.map(codec::date),
                metadata,
                codec::timestamp(c.created_at),
                codec::timestamp(c.updated_at),
                c.politically_exposed,
                derived.risk_rating.as_str(),
                derived.identity_status.as_str(),
                derived.edd_status.as_str(),
                derived.kyc_refresh_due_on.map(codec::date),
                derived.verified_on.map(codec::date),
            ])?;
        match &c.party {
            Party::Person(p) => {
                self.conn()
                    .prepare_cached(
                        "INSERT INTO persons (customer_id, first_name, middle_name, last_name, date_of_birth,
                            country_of_citizenship, country_of_birth, occupation)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    )?
                    .execute(params![
                        blob(c.id.as_bytes()),
                        p.first_name.as_str(),
                        p.middle_name.as_ref().map(Text::as_str),
                        p.last_name.as_str(),
                        codec::date(p.date_of_birth),
                        p.country_of_citizenship.as_ref().map(CountryCode::as_str),
                        p.country_of_birth.as_ref().map(CountryCode::as_str),
                        p.occupation.as_ref().map(Text::as_str),
                    ])?;
            }
            Party::Institution { details: d, members } => {
                self.conn()
                    .prepare_cached(
                        "INSERT INTO institutions (customer_id, legal_name, doing_business_as_name, incorporation_date,
                            country_of_formation, industry_type, legal_entity_type, website, business_description)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        blob(c.id.as_bytes()),
                        d.legal_name.as_str(),
                        d.doing_business_as_name.as_ref().map(Text::as_str),
                        d.incorporation_date.map(codec::date),
                        d.country_of_formation.as_str(),
                        d.industry_type.as_ref().map(Text::as_str),
                        d.legal_entity_type.as_ref().map(Text::as_str),
                        d.website.as_ref().map(Text::as_str),
                        d.business_description.as_ref().map(Text::as_str),
                    ])?;
                for m in members {
                    self.insert_member(c.id, m)?;
                }
            }
        }
        for a in &c.addresses {
            self.insert_address(c.id, a)?;
        }
        for k in &c.contacts {
            self.insert_contact(c.id, k)?;
        }
        for d in &c.documents {
            self.insert_document(c.id, d)?;
        }
        for t in c.tax.details() {
            self.insert_tax_detail(c.id, t)?;
        }
        if let Some(dd) = &c.due_diligence {
            self.upsert_due_diligence(c.id, dd)?;
        }
        for k in &c.controls {
            self.insert_control(c.id, k)?;
        }
        Ok(())
    }

    pub fn insert_member(&self, customer: CustomerId, m: &Member) -> Result<()> {
        let roles: Vec<&str> = m.roles.iter().map(|r| r.as_str()).collect();
        self.conn()
            .prepare_cached(
                "INSERT INTO institution_members (id, customer_id, position, first_name, last_name, title, roles,
                    ownership_percentage, date_of_birth, is_control_person, person_customer_id)
                 VALUES (?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM institution_members WHERE customer_id = ?2),
                    ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                blob(m.id.as_bytes()),
                blob(customer.as_bytes()),
                m.first_name.as_str(),
                m.last_name.as_str(),
                m.title.as_ref().map(Text::as_str),
                roles.join(","),
                m.ownership_percentage.map(|p| p.value().to_string()),
                m.date_of_birth.map(codec::date),
                m.is_control_person,
                m.person_customer_id.as_ref().map(|id| id.as_bytes().to_vec()),
            ])?;
        Ok(())
    }

    pub fn insert_address(&self, customer: CustomerId, a: &Address) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO addresses (id, customer_id, position, kind, is_primary, street_address, street_address_2,
                    city, state, postal_code, country)
                 VALUES (?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM addresses WHERE customer_id = ?2),
                    ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                blob(a.id.as_bytes()),
                blob(customer.as_bytes()),
                a.kind.as_str(),
                a.primary,
                a.street_address.as_str(),
                a.street_address_2.as_ref().map(Text::as_str),
                a.city.as_str(),
                a.state.as_ref().map(Text::as_str),
                a.postal_code.as_ref().map(Text::as_str),
                a.country.as_str(),
            ])?;
        Ok(())
    }

    /// Makes every address of the customer non-primary (before a new primary one is added).
    pub fn clear_primary_address(&self, customer: CustomerId) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE addresses SET is_primary = 0 WHERE customer_id = ?1 AND is_primary = 1")?
            .execute([blob(customer.as_bytes())])?;
        Ok(())
    }

    pub fn insert_contact(&self, customer: CustomerId, k: &Contact) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO contacts (id, customer_id, position, kind, value, verification_method, verified_at)
                 VALUES (?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM contacts WHERE customer_id = ?2),
                    ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                blob(k.id.as_bytes()),
                blob(customer.as_bytes()),
                k.kind().as_str(),
                k.value.as_str(),
                k.verification.map(|v| v.method.as_str()),
                k.verification.map(|v| codec::timestamp(v.verified_at)),
            ])?;
        Ok(())
    }

    pub fn set_contact_verified(&self, contact: ContactId, v: ContactVerification) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE contacts SET verification_method = ?2, verified_at = ?3 WHERE id = ?1")?
            .execute(params![blob(contact.as_bytes()), v.method.as_str(), codec::timestamp(v.verified_at)])?;
        Ok(())
    }

    pub fn insert_document(&self, customer: CustomerId, d: &IdentityDocument) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO identity_documents (id, customer_id, position, document_type, number, issuing_country,
                    issued_on, expires_on, status)
                 VALUES (?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM identity_documents WHERE customer_id = ?2),
                    ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                blob(d.id.as_bytes()),
                blob(customer.as_bytes()),
                d.document_type.as_str(),
                d.number.as_str(),
                d.issuing_country.as_str(),
                d.issued_on.map(codec::date),
                d.expires_on.map(codec::date),
                d.status.as_str(),
            ])?;
        let mut file_stmt = self.conn().prepare_cached(
            "INSERT INTO document_files (document_id, position, role, reference) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (i, f) in d.files.iter().enumerate() {
            file_stmt.execute(params![blob(d.id.as_bytes()), i as i64 + 1, f.role.as_str(), f.reference.as_str()])?;
        }
        Ok(())
    }

    pub fn insert_tax_detail(&self, customer: CustomerId, t: &TaxDetail) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO tax_details (id, customer_id, position, tax_id_type, tax_id, country)
                 VALUES (?1, ?2, (SELECT coalesce(max(position), 0) + 1 FROM tax_details WHERE customer_id = ?2),
                    ?3, ?4, ?5)",
            )?
            .execute(params![
                blob(t.id.as_bytes()),
                blob(customer.as_bytes()),
                t.tax_id_type.as_str(),
                t.tax_id.as_str(),
                t.country.as_str(),
            ])?;
        Ok(())
    }

    pub fn set_tax_details_not_required(&self, customer: CustomerId, not_required: bool) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE customers SET tax_details_not_required = ?2 WHERE id = ?1")?
            .execute(params![blob(customer.as_bytes()), not_required])?;
        Ok(())
    }

    pub fn upsert_due_diligence(&self, customer: CustomerId, dd: &DueDiligence) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO due_diligence (customer_id, source_of_funds, source_of_wealth, purpose_of_account,
                    expected_activity_level)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (customer_id) DO UPDATE SET source_of_funds = excluded.source_of_funds,
                    source_of_wealth = excluded.source_of_wealth, purpose_of_account = excluded.purpose_of_account,
                    expected_activity_level = excluded.expected_activity_level",
            )?
            .execute(params![
                blob(customer.as_bytes()),
                dd.source_of_funds.as_ref().map(Text::as_str),
                dd.source_of_wealth.as_ref().map(Text::as_str),
                dd.purpose_of_account.as_ref().map(Text::as_str),
                dd.expected_activity_level.map(ExpectedActivity::as_str),
            ])?;
        Ok(())
    }

    pub fn insert_control(&self, customer: CustomerId, k: &Control) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO controls (id, customer_id, control_type, set_by, reason_code, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                blob(k.id.as_bytes()),
                blob(customer.as_bytes()),
                k.control_type.as_str(),
                k.set_by.as_str(),
                k.reason_code.as_str(),
                codec::timestamp(k.created_at),
            ])?;
        Ok(())
    }

    /// Lifts a control; the row stays, with the time it was lifted.
    pub fn remove_control(&self, control: ControlId, at: OffsetDateTime) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE controls SET removed_at = ?2 WHERE id = ?1 AND removed_at IS NULL")?
            .execute(params![blob(control.as_bytes()), codec::timestamp(at)])?;
        Ok(())
    }

    /// Records a new lifecycle state.
    pub fn set_customer_state(&self, customer: CustomerId, state: CustomerState, at: OffsetDateTime) -> Result<()> {
        self.conn()
            .prepare_cached(
                "UPDATE customers SET state = ?2, verification_level = ?3, state_changed_at = ?4, updated_at = ?4
                 WHERE id = ?1",
            )?
            .execute(params![
                blob(customer.as_bytes()),
                state.name(),
                state.level().map(VerificationLevel::as_str),
                codec::timestamp(at)
            ])?;
        Ok(())
    }

    /// Marks the customer as changed at `at` (for changes to its children).
    pub fn touch_customer(&self, customer: CustomerId, at: OffsetDateTime) -> Result<()> {
        self.conn()
            .prepare_cached("UPDATE customers SET updated_at = ?2 WHERE id = ?1")?
            .execute(params![blob(customer.as_bytes()), codec::timestamp(at)])?;
        Ok(())
    }

    /// Loads the whole aggregate, or `None` when there is no such customer.
    pub fn customer(&self, id: CustomerId) -> Result<Option<Customer>> {
        const T: &str = "customers";
        let mut stmt = self.conn().prepare_cached(
            "SELECT kind, ref_id, state, verification_level, state_changed_at, is_merchant,
                tax_details_not_required, last_kyc_refresh_date, metadata, created_at, updated_at, politically_exposed
             FROM customers WHERE id = ?1",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let Some(r) = rows.next()? else { return Ok(None) };
        let kind = CustomerKind::parse(&r.get::<_, String>(0)?).or_corrupt(T, "kind")?;
        let level: Option<String> = r.get(3)?;
        let level = level.map(|l| VerificationLevel::parse(&l)).transpose().or_corrupt(T, "verification_level")?;
        let state = CustomerState::from_parts(&r.get::<_, String>(2)?, level).or_corrupt(T, "state")?;
        let not_required: bool = r.get(6)?;
        let ref_id = RefId::parse(&r.get::<_, String>(1)?).or_corrupt(T, "ref_id")?;
        let state_changed_at = codec::parse_timestamp(&r.get::<_, String>(4)?, T, "state_changed_at")?;
        let is_merchant = r.get(5)?;
        let last_kyc_refresh_date = opt_date(r, 7, T, "last_kyc_refresh_date")?;
        let metadata = parse_metadata(&r.get::<_, String>(8)?).or_corrupt(T, "metadata")?;
        let created_at = codec::parse_timestamp(&r.get::<_, String>(9)?, T, "created_at")?;
        let updated_at = codec::parse_timestamp(&r.get::<_, String>(10)?, T, "updated_at")?;
        let politically_exposed = r.get(11)?;
        drop(rows);
        let party = match kind {
            CustomerKind::Individual => Party::Person(self.person(id)?),
            CustomerKind::Business => Party::Institution { details: self.institution(id)?, members: self.members(id)? },
        };
        let tax = if not_required { TaxDetails::NotRequired } else { TaxDetails::Provided(self.tax_details(id)?) };
        Ok(Some(Customer {
            id,
            ref_id,
            state,
            state_changed_at,
            party,
            addresses: self.addresses(id)?,
            contacts: self.contacts(id)?,
            documents: self.documents(id)?,
            tax,
            due_diligence: self.due_diligence(id)?,
            controls: self.controls(id)?,
            is_merchant,
            politically_exposed,
            last_kyc_refresh_date,
            metadata,
            created_at,
            updated_at,
        }))
    }

    fn person(&self, id: CustomerId) -> Result<PersonDetails> {
        const T: &str = "persons";
        let mut stmt = self.conn().prepare_cached(
            "SELECT first_name, middle_name, last_name, date_of_birth, country_of_citizenship, country_of_birth,
                occupation FROM persons WHERE customer_id = ?1",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let r = rows.next()?.or_corrupt(T, "customer_id")?;
        Ok(PersonDetails {
            first_name: text(r, 0, 100, T, "first_name")?,
            middle_name: opt_text(r, 1, 100, T, "middle_name")?,
            last_name: text(r, 2, 100, T, "last_name")?,
            date_of_birth: codec::parse_date(&r.get::<_, String>(3)?, T, "date_of_birth")?,
            country_of_citizenship: opt_country(r, 4, T, "country_of_citizenship")?,
            country_of_birth: opt_country(r, 5, T, "country_of_birth")?,
            occupation: opt_text(r, 6, 200, T, "occupation")?,
        })
    }

    fn institution(&self, id: CustomerId) -> Result<InstitutionDetails> {
        const T: &str = "institutions";
        let mut stmt = self.conn().prepare_cached(
            "SELECT legal_name, doing_business_as_name, incorporation_date, country_of_formation, industry_type,
                legal_entity_type, website, business_description FROM institutions WHERE customer_id = ?1",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let r = rows.next()?.or_corrupt(T, "customer_id")?;
        Ok(InstitutionDetails {
            legal_name: text(r, 0, 200, T, "legal_name")?,
            doing_business_as_name: opt_text(r, 1, 200, T, "doing_business_as_name")?,
            incorporation_date: opt_date(r, 2, T, "incorporation_date")?,
            country_of_formation: CountryCode::parse(&r.get::<_, String>(3)?).or_corrupt(T, "country_of_formation")?,
            industry_type: opt_text(r, 4, 100, T, "industry_type")?,
            legal_entity_type: opt_text(r, 5, 100, T, "legal_entity_type")?,
            website: opt_text(r, 6, 200, T, "website")?,
            business_description: opt_text(r, 7, 2000, T, "business_description")?,
        })
    }

    fn members(&self, id: CustomerId) -> Result<Vec<Member>> {
        const T: &str = "institution_members";
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, first_name, last_name, title, roles, ownership_percentage, date_of_birth, is_control_person,
                person_customer_id FROM institution_members WHERE customer_id = ?1 ORDER BY position",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let roles: String = r.get(4)?;
            let roles = if roles.is_empty() {
                Vec::new()
            } else {
                roles.split(',').map(MemberRole::parse).collect::<Result<Vec<_>, _>>().or_corrupt(T, "roles")?
            };
            let pct: Option<String> = r.get(5)?;
            let person: Option<Vec<u8>> = r.get(8)?;
            out.push(Member {
                id: MemberId::from_bytes(id_from(r.get(0)?, T, "id")?),
                first_name: text(r, 1, 100, T, "first_name")?,
                last_name: text(r, 2, 100, T, "last_name")?,
                title: opt_text(r, 3, 100, T, "title")?,
                roles,
                ownership_percentage: pct
                    .map(|p| Percentage::parse(&p))
                    .transpose()
                    .or_corrupt(T, "ownership_percentage")?,
                date_of_birth: opt_date(r, 6, T, "date_of_birth")?,
                is_control_person: r.get(7)?,
                person_customer_id: person
                    .map(|b| id_from(b, T, "person_customer_id").map(CustomerId::from_bytes))
                    .transpose()?,
            });
        }
        Ok(out)
    }

    fn addresses(&self, id: CustomerId) -> Result<Vec<Address>> {
        const T: &str = "addresses";
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, kind, is_primary, street_address, street_address_2, city, state, postal_code, country
             FROM addresses WHERE customer_id = ?1 ORDER BY position",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Address {
                id: AddressId::from_bytes(id_from(r.get(0)?, T, "id")?),
                kind: AddressKind::parse(&r.get::<_, String>(1)?).or_corrupt(T, "kind")?,
                primary: r.get(2)?,
                street_address: text(r, 3, 200, T, "street_address")?,
                street_address_2: opt_text(r, 4, 200, T, "street_address_2")?,
                city: text(r, 5, 100, T, "city")?,
                state: opt_text(r, 6, 100, T, "state")?,
                postal_code: opt_text(r, 7, 20, T, "postal_code")?,
                country: CountryCode::parse(&r.get::<_, String>(8)?).or_corrupt(T, "country")?,
            });
        }
        Ok(out)
    }

    fn contacts(&self, id: CustomerId) -> Result<Vec<Contact>> {
        const T: &str = "contacts";
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, kind, value, verification_method, verified_at FROM contacts
             WHERE customer_id = ?1 ORDER BY position",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let kind = ContactKind::parse(&r.get::<_, String>(1)?).or_corrupt(T, "kind")?;
            let verification = match (r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?) {
                (Some(method), Some(at)) => Some(ContactVerification {
                    method: ContactVerificationMethod::parse(&method).or_corrupt(T, "verification_method")?,
                    verified_at: codec::parse_timestamp(&at, T, "verified_at")?,
                }),
                _ => None,
            };
            out.push(Contact {
                id: ContactId::from_bytes(id_from(r.get(0)?, T, "id")?),
                value: ContactValue::parse(kind, &r.get::<_, String>(2)?).or_corrupt(T, "value")?,
                verification,
            });
        }
        Ok(out)
    }

    fn documents(&self, id: CustomerId) -> Result<Vec<IdentityDocument>> {
        const T: &str = "identity_documents";
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, document_type, number, issuing_country, issued_on, expires_on, status
             FROM identity_documents WHERE customer_id = ?1 ORDER BY position",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let doc_id = DocumentId::from_bytes(id_from(r.get(0)?, T, "id")?);
            out.push(IdentityDocument {
                id: doc_id,
                document_type: DocumentType::parse(&r.get::<_, String>(1)?).or_corrupt(T, "document_type")?,
                number: DocumentNumber::parse(&r.get::<_, String>(2)?).or_corrupt(T, "number")?,
                issuing_country: CountryCode::parse(&r.get::<_, String>(3)?).or_corrupt(T, "issuing_country")?,
                issued_on: opt_date(r, 4, T, "issued_on")?,
                expires_on: opt_date(r, 5, T, "expires_on")?,
                status: DocumentStatus::parse(&r.get::<_, String>(6)?).or_corrupt(T, "status")?,
                files: self.document_files(doc_id)?,
            });
        }
        Ok(out)
    }

    fn document_files(&self, id: DocumentId) -> Result<Vec<DocumentFile>> {
        const T: &str = "document_files";
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT role, reference FROM document_files WHERE document_id = ?1 ORDER BY position")?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(DocumentFile {
                role: DocumentFileRole::parse(&r.get::<_, String>(0)?).or_corrupt(T, "role")?,
                reference: text(r, 1, 1024, T, "reference")?,
            });
        }
        Ok(out)
    }

    fn tax_details(&self, id: CustomerId) -> Result<Vec<TaxDetail>> {
        const T: &str = "tax_details";
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, tax_id_type, tax_id, country FROM tax_details WHERE customer_id = ?1 ORDER BY position",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let kind = TaxIdType::parse(&r.get::<_, String>(1)?).or_corrupt(T, "tax_id_type")?;
            out.push(TaxDetail {
                id: TaxDetailId::from_bytes(id_from(r.get(0)?, T, "id")?),
                tax_id_type: kind,
                tax_id: TaxIdNumber::parse(kind, &r.get::<_, String>(2)?).or_corrupt(T, "tax_id")?,
                country: CountryCode::parse(&r.get::<_, String>(3)?).or_corrupt(T, "country")?,
            });
        }
        Ok(out)
    }

    fn due_diligence(&self, id: CustomerId) -> Result<Option<DueDiligence>> {
        const T: &str = "due_diligence";
        let mut stmt = self.conn().prepare_cached(
            "SELECT source_of_funds, source_of_wealth, purpose_of_account, expected_activity_level
             FROM due_diligence WHERE customer_id = ?1",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let Some(r) = rows.next()? else { return Ok(None) };
        let level: Option<String> = r.get(3)?;
        Ok(Some(DueDiligence {
            source_of_funds: opt_text(r, 0, 200, T, "source_of_funds")?,
            source_of_wealth: opt_text(r, 1, 200, T, "source_of_wealth")?,
            purpose_of_account: opt_text(r, 2, 200, T, "purpose_of_account")?,
            expected_activity_level: level
                .map(|v| ExpectedActivity::parse(&v))
                .transpose()
                .or_corrupt(T, "expected_activity_level")?,
        }))
    }

    fn controls(&self, id: CustomerId) -> Result<Vec<Control>> {
        const T: &str = "controls";
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, control_type, set_by, reason_code, created_at FROM controls
             WHERE customer_id = ?1 AND removed_at IS NULL ORDER BY created_at, id",
        )?;
        let mut rows = stmt.query([blob(id.as_bytes())])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(Control {
                id: ControlId::from_bytes(id_from(r.get(0)?, T, "id")?),
                control_type: ControlType::parse(&r.get::<_, String>(1)?).or_corrupt(T, "control_type")?,
                set_by: ControlSetBy::parse(&r.get::<_, String>(2)?).or_corrupt(T, "set_by")?,
                reason_code: ControlReasonCode::parse(&r.get::<_, String>(3)?).or_corrupt(T, "reason_code")?,
                created_at: codec::parse_timestamp(&r.get::<_, String>(4)?, T, "created_at")?,
            });
        }
        Ok(out)
    }
}

/// Metadata is a flat string map stored as a JSON object.
fn metadata_json(map: &BTreeMap<String, String>) -> String {
    serde_json::to_string(map).expect("a string map always serializes")
}

fn parse_metadata(text: &str) -> serde_json::Result<BTreeMap<String, String>> {
    serde_json::from_str(text)
}
