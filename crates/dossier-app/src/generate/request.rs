//! The create request of a synthetic customer, as branch staff would type it: a person or a
//! business with its members, addresses, contacts, documents with their scans, tax details and
//! due-diligence answers. It goes through the same conversion as `customer create`.

use std::collections::BTreeMap;

use dossier_core::*;
use rand::Rng;
use time::{Date, Duration, OffsetDateTime};

use super::story::{PendingKind, Plan, PoolPerson, World};
use super::words::*;
use crate::dto::*;

fn email_local(first: &str, last: &str) -> String {
    let clean = |s: &str| s.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    format!("{}.{}", clean(first), clean(last))
}

fn date_text(d: Date) -> String {
    format_date(d)
}

/// The risk factors a customer is given. Factors are drawn together, from a target rating, so
/// that the default risk model rates about 80 % LOW, 15 % MEDIUM, 4 % HIGH and 0.5 %
/// PROHIBITED (independent draws would make HIGH, which needs two factors, vanishingly rare).
#[derive(Debug, Clone, Copy, Default)]
struct Profile {
    pep: bool,
    /// Citizenship or formation in a high-risk country.
    high_risk_country: bool,
    prohibited_country: bool,
    /// 0 LOW, 1 MEDIUM, 2 HIGH.
    activity: usize,
    high_risk_industry: bool,
    prohibited_industry: bool,
    opaque_ownership: bool,
}

impl Profile {
    fn draw(w: &mut World, business: bool) -> Profile {
        let low_activity = |w: &mut World| if w.chance(0.75) { 0 } else { 1 };
        let mut p = Profile::default();
        if !business {
            match w.weighted(&[810, 150, 35, 5]) {
                0 => p.activity = low_activity(w),
                1 => match w.weighted(&[50, 10, 40]) {
                    0 => p.activity = 2,
                    1 => p.pep = true,
                    _ => (p.high_risk_country, p.activity) = (true, low_activity(w)),
                },
                2 => match w.weighted(&[25, 10, 55, 10]) {
                    0 => (p.pep, p.activity) = (true, 1),
                    1 => (p.pep, p.activity) = (true, 2),
                    2 => (p.high_risk_country, p.activity) = (true, 2),
                    _ => (p.pep, p.high_risk_country) = (true, true),
                },
                _ => p.prohibited_country = true,
            }
        } else {
            match w.weighted(&[700, 220, 70, 10]) {
                0 => p.activity = low_activity(w),
                1 => {
                    p.activity = low_activity(w);
                    match w.weighted(&[30, 30, 25, 15]) {
                        0 => p.opaque_ownership = true,
                        1 => p.activity = 2,
                        2 => p.high_risk_industry = true,
                        _ => p.high_risk_country = true,
                    }
                }
                2 => match w.weighted(&[40, 30, 30]) {
                    0 => (p.high_risk_industry, p.activity) = (true, 2),
                    1 => (p.high_risk_industry, p.opaque_ownership) = (true, true),
                    _ => (p.opaque_ownership, p.activity) = (true, 2),
                },
                _ => {
                    if w.chance(0.7) {
                        p.prohibited_industry = true
                    } else {
                        p.prohibited_country = true
                    }
                }
            }
        }
        p
    }
}

/// A country of citizenship or formation: `None` is the United States.
fn draw_country(w: &mut World, abroad_share: f64, profile: Profile) -> Option<&'static Abroad> {
    let normal = ABROAD.len() - ABROAD_PROHIBITED - ABROAD_HIGH_RISK;
    if profile.prohibited_country {
        return Some(&ABROAD[normal + ABROAD_HIGH_RISK + w.rng.random_range(0..ABROAD_PROHIBITED)]);
    }
    if profile.high_risk_country {
        return Some(&ABROAD[normal + w.rng.random_range(0..ABROAD_HIGH_RISK)]);
    }
    if !w.chance(abroad_share) {
        return None;
    }
    Some(&ABROAD[w.rng.random_range(0..normal)])
}

fn us_mobile(w: &mut World, area: &str) -> String {
    format!("+1 {area} 555 {}", w.digits(4))
}

fn us_address(w: &mut World, kind: &str, primary: bool) -> (AddressInput, &'static UsCity) {
    let city = w.pick(US_CITIES);
    let second = w.chance(0.25).then(|| format!("Apt {}", w.num(1, 40) * 10 + w.num(0, 9)));
    let street = format!("{} {} {}", w.num(1, 9899), w.pick(STREETS), w.pick(STREET_KINDS));
    let zip = format!("{}{}", city.zip3, w.digits(2));
    let input = AddressInput {
        kind: Some(kind.into()),
        primary,
        street_address: Some(street),
        street_address_2: second,
        city: Some(city.city.into()),
        state: Some(city.state.into()),
        postal_code: Some(zip),
        country: Some("US".into()),
    };
    (input, city)
}

fn foreign_address(w: &mut World, kind: &str, primary: bool, country: &Abroad) -> AddressInput {
    AddressInput {
        kind: Some(kind.into()),
        primary,
        street_address: Some(format!("{} {} Street", w.num(1, 250), w.pick(STREETS))),
        street_address_2: None,
        city: Some((*w.pick(country.cities)).into()),
        state: None,
        postal_code: Some(w.digits(5)),
        country: Some(country.country.into()),
    }
}

fn ssn(w: &mut World) -> String {
    let mut area = w.num(1, 899);
    if area == 666 {
        area = 667;
    }
    format!("{area:03}-{:02}-{:04}", w.num(1, 99), w.num(1, 9999))
}

fn document(
    w: &mut World,
    ref_id: &str,
    kind: &str,
    country: &str,
    created_at: OffsetDateTime,
    validity_years: i64,
) -> DocumentInput {
    let validity = Duration::days(validity_years * 365);
    // Most documents were issued in the last two years; all are valid for at least six months
    // after onboarding (else the verify gate would refuse).
    let age = if w.chance(0.75) {
        w.between(Duration::days(20), Duration::days(730))
    } else {
        w.between(Duration::days(20), validity - Duration::days(200))
    };
    let issued = (created_at - age).date();
    let expires = issued + validity;
    let number = match kind {
        "passport" if country == "US" => w.digits(9),
        "passport" => format!("{}{}", w.letter(), w.digits(8)),
        "drivers_license" => format!("{}{}", w.letter(), w.digits(7)),
        "residence_card" => format!("{}{}{}", w.letter(), w.letter(), w.digits(10)),
        _ => format!("{}{}", w.digits(3), w.digits(6)),
    };
    let mut files = vec![DocumentFileInput {
        role: Some("front".into()),
        reference: Some(format!("scans/{ref_id}/{kind}-front.jpg")),
    }];
    if kind != "passport" {
        files.push(DocumentFileInput {
            role: Some("back".into()),
            reference: Some(format!("scans/{ref_id}/{kind}-back.jpg")),
        });
    }
    if w.chance(0.5) {
        files.push(DocumentFileInput {
            role: Some("face".into()),
            reference: Some(format!("scans/{ref_id}/selfie.jpg")),
        });
    }
    DocumentInput {
        document_type: Some(kind.into()),
        number: Some(number),
        issuing_country: Some(country.into()),
        issued_on: Some(date_text(issued)),
        expires_on: Some(date_text(expires)),
        status: None,
        files,
    }
}

fn due_diligence(w: &mut World, business: bool, profile: Profile) -> Option<DueDiligenceInput> {
    if profile.activity == 0 && w.chance(0.04) {
        return None;
    }
    let level = profile.activity;
    let (funds, purposes) = if business { (BUSINESS_FUNDS, BUSINESS_PURPOSES) } else { (SOURCES_OF_FUNDS, PURPOSES) };
    Some(DueDiligenceInput {
        source_of_funds: Some((*w.pick(funds)).into()),
        source_of_wealth: (!business && w.chance(0.3)).then(|| (*w.pick(SOURCES_OF_WEALTH)).into()),
        purpose_of_account: Some((*w.pick(purposes)).into()),
        expected_activity_level: Some(["LOW", "MEDIUM", "HIGH"][level].into()),
    })
}

fn metadata(w: &mut World) -> BTreeMap<String, String> {
    let branch = *w.pick(BRANCHES);
    let channel = match branch {
        "online" => "web",
        "mobile" => "app",
        _ => "branch",
    };
    BTreeMap::from([("branch".to_owned(), branch.to_owned()), ("channel".to_owned(), channel.to_owned())])
}

pub(super) fn person_input(w: &mut World, ref_id: &str, created_at: OffsetDateTime, plan: Plan) -> CreateCustomerInput {
    let profile = Profile::draw(w, false);
    let first = *w.pick(FIRST_NAMES);
    let last = *w.pick(LAST_NAMES);
    let middle = w.chance(0.3).then(|| (*w.pick(FIRST_NAMES)).to_owned());
    let age_years = 18 + (w.rng.random::<f64>().powf(1.4) * 67.0) as i64;
    let born = (created_at - Duration::days(age_years * 365 + i64::from(w.num(0, 364)))).date();
    let citizenship = draw_country(w, 0.16, profile);
    let lives_abroad = match citizenship {
        None => w.chance(0.02),
        Some(_) => w.chance(0.25),
    };
    let birth = if w.chance(0.85) { citizenship } else { draw_country(w, 0.5, Profile::default()) };
    let code = |c: Option<&Abroad>| c.map_or("US", |a| a.country).to_owned();

    let residence = if lives_abroad { citizenship.or_else(|| Some(&ABROAD[0])) } else { None };
    let (mut addresses, mobile) = match residence {
        None => {
            let (a, city) = us_address(w, "residential", true);
            (vec![a], us_mobile(w, city.area))
        }
        Some(country) => {
            let a = foreign_address(w, "residential", true, country);
            (vec![a], format!("{}{}", country.mobile_prefix, w.digits(country.mobile_digits)))
        }
    };
    if w.chance(0.08) {
        addresses.push(us_address(w, "mailing", false).0);
    }

    let incomplete = plan == Plan::Pending(PendingKind::Incomplete);
    let missing_document = incomplete && w.chance(0.6);
    let missing_mobile = incomplete && !missing_document;
    let mut contacts = Vec::new();
    if w.chance(0.99) || plan.onboards() {
        let n = w.num(1, 99);
        let email = format!(
            "{}{}@{}",
            email_local(first, last),
            if n < 60 { String::new() } else { n.to_string() },
            w.pick(&["example.com", "example.net", "example.org"])
        );
        contacts.push(ContactInput { kind: Some("email".into()), value: Some(email) });
    }
    if !missing_mobile {
        contacts.push(ContactInput { kind: Some("mobile".into()), value: Some(mobile) });
    }

    let mut documents = Vec::new();
    if !missing_document {
        let (kind, country, years) = match (citizenship, residence) {
            (None, _) => (if w.chance(0.45) { "passport" } else { "drivers_license" }, "US".to_owned(), 10),
            (Some(c), None) => match w.weighted(&[50, 30, 20]) {
                0 => ("passport", c.country.to_owned(), 10),
                1 => ("residence_card", "US".to_owned(), 10),
                _ => ("drivers_license", "US".to_owned(), 8),
            },
            (Some(c), Some(_)) => {
                (if w.chance(0.6) { "passport" } else { "national_identity_card" }, c.country.to_owned(), 10)
            }
        };
        documents.push(document(w, ref_id, kind, &country, created_at, years));
        if citizenship.is_none() && w.chance(0.08) {
            documents.push(DocumentInput {
                document_type: Some("ssn_card".into()),
                number: Some(w.digits(9)),
                issuing_country: Some("US".into()),
                files: vec![DocumentFileInput {
                    role: Some("front".into()),
                    reference: Some(format!("scans/{ref_id}/ssn_card-front.jpg")),
                }],
                ..Default::default()
            });
        }
    }

    let mut tax_details = Vec::new();
    let mut not_required = false;
    match (residence, citizenship) {
        (None, None) => {
            if w.chance(0.95) {
                tax_details.push(TaxDetailInput {
                    tax_id_type: Some("SSN".into()),
                    tax_id: Some(ssn(w)),
                    country: Some("US".into()),
                });
            }
        }
        (None, Some(_)) => {
            let itin = w.chance(0.5);
            let number = if itin { format!("9{}-{}-{}", w.digits(2), w.num(70, 88), w.digits(4)) } else { ssn(w) };
            tax_details.push(TaxDetailInput {
                tax_id_type: Some(if itin { "ITIN" } else { "SSN" }.into()),
                tax_id: Some(number),
                country: Some("US".into()),
            });
        }
        (Some(country), _) => {
            if w.chance(0.6) {
                tax_details.push(TaxDetailInput {
                    tax_id_type: Some("OTHER".into()),
                    tax_id: Some(format!("{}{}{}", w.letter(), w.letter(), w.digits(8))),
                    country: Some(country.country.into()),
                });
            } else {
                not_required = true;
            }
        }
    }

    CreateCustomerInput {
        kind: Some("individual".into()),
        ref_id: Some(ref_id.to_owned()),
        person: Some(PersonInput {
            first_name: Some(first.into()),
            middle_name: middle,
            last_name: Some(last.into()),
            date_of_birth: Some(date_text(born)),
            country_of_citizenship: Some(code(citizenship)),
            country_of_birth: Some(code(birth)),
            occupation: w.chance(0.8).then(|| (*w.pick(OCCUPATIONS)).into()),
        }),
        institution: None,
        addresses,
        contacts,
        documents,
        tax_details,
        tax_details_not_required: not_required,
        customer_due_diligence: due_diligence(w, false, profile),
        is_merchant: w.chance(0.03),
        politically_exposed: profile.pep,
        last_kyc_refresh_date: None,
        metadata: metadata(w),
    }
}

pub(super) fn business_input(
    w: &mut World,
    ref_id: &str,
    created_at: OffsetDateTime,
    plan: Plan,
    pool: &[PoolPerson],
) -> (CreateCustomerInput, Vec<PoolPerson>) {
    let name_word =
        if w.chance(0.25) { (*w.pick(LAST_NAMES)).to_owned() } else { (*w.pick(BUSINESS_WORDS)).to_owned() };
    let noun = *w.pick(BUSINESS_NOUNS);
    let (suffix, entity_type) = *w.pick(ENTITY_TYPES);
    let legal_name = format!("{name_word} {noun} {suffix}");
    let slug: String = format!("{name_word}-{noun}")
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let profile = Profile::draw(w, true);
    let formation = draw_country(w, 0.05, profile);
    let industry = {
        let ordinary = INDUSTRIES.len() - INDUSTRIES_HIGH_RISK - INDUSTRIES_PROHIBITED;
        if profile.prohibited_industry {
            INDUSTRIES[ordinary + INDUSTRIES_HIGH_RISK + w.rng.random_range(0..INDUSTRIES_PROHIBITED)]
        } else if profile.high_risk_industry {
            INDUSTRIES[ordinary + w.rng.random_range(0..INDUSTRIES_HIGH_RISK)]
        } else {
            INDUSTRIES[w.rng.random_range(0..ordinary)]
        }
    };
    let incorporated = (created_at - w.between(Duration::days(60), Duration::days(30 * 365))).date();

    let (mut addresses, mobile) = match formation {
        None => {
            let kind = if w.chance(0.7) { "business" } else { "registered" };
            let (a, city) = us_address(w, kind, true);
            (vec![a], us_mobile(w, city.area))
        }
        Some(country) => {
            let a = foreign_address(w, "registered", true, country);
            (vec![a], format!("{}{}", country.mobile_prefix, w.digits(country.mobile_digits)))
        }
    };
    if w.chance(0.2) {
        addresses.push(us_address(w, "mailing", false).0);
    }
    let incomplete = plan == Plan::Pending(PendingKind::Incomplete);
    let missing_document = incomplete && w.chance(0.6);
    let mut contacts = vec![ContactInput {
        kind: Some("email".into()),
        value: Some(format!("{}@{slug}.example", w.pick(&["info", "accounts", "office", "finance"]))),
    }];
    if !incomplete || missing_document {
        contacts.push(ContactInput { kind: Some("mobile".into()), value: Some(mobile) });
    }
    let country = formation.map_or("US", |c| c.country);
    let mut documents = Vec::new();
    if !missing_document {
        let kind = if w.chance(0.6) { "certificate_of_incorporation" } else { "business_registration" };
        documents.push(DocumentInput {
            document_type: Some(kind.into()),
            number: Some(format!("{}-{}", w.digits(4), w.digits(7))),
            issuing_country: Some(country.into()),
            issued_on: Some(date_text(incorporated)),
            expires_on: None,
            status: None,
            files: vec![DocumentFileInput {
                role: Some("front".into()),
                reference: Some(format!("scans/{ref_id}/{kind}.pdf")),
            }],
        });
    }
    let mut tax_details = Vec::new();
    if formation.is_none() {
        if w.chance(0.95) {
            tax_details.push(TaxDetailInput {
                tax_id_type: Some("EIN".into()),
                tax_id: Some(format!("{}-{}", w.digits(2), w.digits(7))),
                country: Some("US".into()),
            });
        }
    } else {
        tax_details.push(TaxDetailInput {
            tax_id_type: Some("OTHER".into()),
            tax_id: Some(format!("{}{}", w.letter(), w.digits(9))),
            country: Some(country.into()),
        });
    }

    let (members, linked) = members(w, plan, pool, profile.opaque_ownership);
    let input = CreateCustomerInput {
        kind: Some("business".into()),
        ref_id: Some(ref_id.to_owned()),
        person: None,
        institution: Some(InstitutionInput {
            legal_name: Some(legal_name),
            doing_business_as_name: w.chance(0.25).then(|| format!("{name_word} {noun}")),
            incorporation_date: Some(date_text(incorporated)),
            country_of_formation: Some(country.into()),
            industry_type: Some(industry.0.into()),
            legal_entity_type: Some(entity_type.into()),
            website: w.chance(0.7).then(|| format!("https://www.{slug}.example")),
            business_description: Some(format!("The company {}.", industry.1)),
            members,
        }),
        addresses,
        contacts,
        documents,
        tax_details,
        tax_details_not_required: false,
        customer_due_diligence: due_diligence(w, true, profile),
        is_merchant: w.chance(0.35),
        politically_exposed: false,
        last_kyc_refresh_date: None,
        metadata: metadata(w),
    };
    (input, linked)
}

/// One to four members, most of them individuals the firm already has as customers.
fn members(w: &mut World, plan: Plan, pool: &[PoolPerson], opaque: bool) -> (Vec<MemberInput>, Vec<PoolPerson>) {
    let n = 1 + w.weighted(&[35, 35, 20, 10]);
    // Opaque ownership (a risk factor): nobody in control, or owners named for under 75 %.
    let no_control = opaque && w.chance(0.4);
    let mut owners: Vec<bool> = (0..n).map(|i| i == 0 || w.chance(0.7)).collect();
    if no_control {
        owners[0] = true;
    }
    let total: u32 = if opaque && !no_control {
        w.num(20, 70)
    } else if w.chance(0.8) {
        100
    } else {
        w.num(75, 99)
    };
    // Split `total` among the owners by random weights, in whole percent; the first owner
    // takes the rounding.
    let weights: Vec<u32> = owners.iter().filter(|o| **o).map(|_| w.num(1, 10)).collect();
    let sum: u32 = weights.iter().sum();
    let mut shares: Vec<u32> = weights.iter().map(|x| (total * x / sum).max(1)).collect();
    let rest: u32 = shares[1..].iter().sum();
    shares[0] = total.saturating_sub(rest).max(1);
    while shares.iter().sum::<u32>() > total {
        let largest = (0..shares.len()).max_by_key(|i| shares[*i]).unwrap_or(0);
        shares[largest] -= 1;
    }
    let mut linked: Vec<PoolPerson> = Vec::new();
    let mut out = Vec::with_capacity(n);
    let mut share_iter = shares.into_iter();
    for (i, owner) in owners.iter().enumerate() {
        // Verified businesses mostly have members whose own identity is approved.
        let person = if !pool.is_empty() && w.chance(0.92) {
            let mut choice = w.pick(pool).clone();
            if plan.onboards() {
                for _ in 0..4 {
                    if choice.status == IdentityStatus::Approved {
                        break;
                    }
                    choice = w.pick(pool).clone();
                }
            }
            (!linked.iter().any(|l| l.id == choice.id)).then_some(choice)
        } else {
            None
        };
        let (first, last, dob) = match &person {
            Some(p) => (p.first_name.clone(), p.last_name.clone(), Some(p.date_of_birth)),
            None => ((*w.pick(FIRST_NAMES)).to_owned(), (*w.pick(LAST_NAMES)).to_owned(), None),
        };
        let mut roles = Vec::new();
        if *owner {
            roles.push("BENEFICIAL_OWNER".to_owned());
        }
        let control = i == 0 && !no_control;
        if control {
            roles.push("MANAGEMENT_CONTROL_PERSON".to_owned());
        }
        if i == 0 {
            roles.push("ACCOUNT_OPENER".to_owned());
        } else if !*owner {
            roles.push("AUTHORIZED_USER".to_owned());
        }
        out.push(MemberInput {
            first_name: Some(first),
            last_name: Some(last),
            title: Some((*if i == 0 { w.pick(LEAD_TITLES) } else { w.pick(OTHER_TITLES) }).to_owned()),
            roles,
            ownership_percentage: owner.then(|| share_iter.next().map(|s| DecimalInput::Text(s.to_string()))).flatten(),
            date_of_birth: dob.map(date_text),
            is_control_person: control,
            person_customer_id: person.as_ref().map(|p| p.id.to_string()),
        });
        if let Some(p) = person {
            linked.push(p);
        }
    }
    (out, linked)
}
