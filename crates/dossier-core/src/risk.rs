//! Customer risk rating from explainable, configurable factors. Every factor that applies is
//! returned with its points, so an officer sees why a customer is rated as it is.

use crate::customer::{Customer, ExpectedActivity, MemberRole, Party};
use crate::word_enum;

word_enum!(
    /// The rating. `HIGH` requires EDD; `PROHIBITED` denies the customer.
    RiskRating {
        Low = "LOW",
        Medium = "MEDIUM",
        High = "HIGH",
        Prohibited = "PROHIBITED",
    }
);

/// The risk model's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskModel {
    pub high_risk_countries: Vec<String>,
    pub prohibited_countries: Vec<String>,
    pub high_risk_industries: Vec<String>,
    pub prohibited_industries: Vec<String>,
    pub points_high_risk_country: u32,
    pub points_pep: u32,
    pub points_high_risk_industry: u32,
    pub points_expected_activity_high: u32,
    pub points_expected_activity_medium: u32,
    pub points_ownership_opacity: u32,
    /// A score at or above this is MEDIUM.
    pub medium_from: u32,
    /// A score at or above this is HIGH.
    pub high_from: u32,
}

impl Default for RiskModel {
    fn default() -> Self {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        Self {
            // Jurisdictions under comprehensive sanctions are prohibited; FATF "increased
            // monitoring" style lists raise the risk. Firms replace both with their own lists.
            prohibited_countries: list(&["KP", "IR", "CU", "SY"]),
            high_risk_countries: list(&["AF", "MM", "YE", "SS", "HT", "VE", "RU", "BY", "ML", "NG"]),
            // Paxos' prohibited institution sub-types.
            prohibited_industries: list(&["ADULT_ENTERTAINMENT", "DRUGS", "RANSOMWARE", "SHELL_BANK", "WEAPONS"]),
            high_risk_industries: list(&["MONEY_SERVICES", "GAMBLING", "CRYPTO", "PRECIOUS_METALS", "CANNABIS"]),
            points_high_risk_country: 30,
            points_pep: 40,
            points_high_risk_industry: 30,
            points_expected_activity_high: 25,
            points_expected_activity_medium: 10,
            points_ownership_opacity: 25,
            medium_from: 25,
            high_from: 50,
        }
    }
}

word_enum!(
    /// The factors the model knows.
    RiskFactorCode {
        ProhibitedCountry = "prohibited_country",
        HighRiskCountry = "high_risk_country",
        PoliticallyExposed = "politically_exposed_person",
        ProhibitedIndustry = "prohibited_industry",
        HighRiskIndustry = "high_risk_industry",
        ExpectedActivityHigh = "expected_activity_high",
        ExpectedActivityMedium = "expected_activity_medium",
        OwnershipOpacity = "ownership_opacity",
    }
);

/// One factor that applied, with its contribution. `detail` holds no personal data (country
/// codes, industry words, counts).
#[derive(Debug, Clone, PartialEq)]
pub struct RiskFactor {
    pub code: RiskFactorCode,
    pub points: u32,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RiskAssessment {
    pub rating: RiskRating,
    pub score: u32,
    pub factors: Vec<RiskFactor>,
}

fn normalise(word: &str) -> String {
    word.trim().to_ascii_uppercase().replace([' ', '-'], "_")
}

/// Rates a customer. Prohibited factors make the rating PROHIBITED whatever the score.
pub fn assess(customer: &Customer, politically_exposed: bool, model: &RiskModel) -> RiskAssessment {
    let mut factors = Vec::new();
    let mut prohibited = false;

    let mut countries: Vec<&str> = customer.addresses.iter().map(|a| a.country.as_str()).collect();
    countries.extend(customer.documents.iter().map(|d| d.issuing_country.as_str()));
    match &customer.party {
        Party::Person(p) => {
            countries.extend(p.country_of_citizenship.iter().map(|c| c.as_str()));
            countries.extend(p.country_of_birth.iter().map(|c| c.as_str()));
        }
        Party::Institution { details, .. } => countries.push(details.country_of_formation.as_str()),
    }
    countries.sort_unstable();
    countries.dedup();
    let listed = |list: &[String]| -> Vec<&str> {
        countries.iter().copied().filter(|c| list.iter().any(|l| l.eq_ignore_ascii_case(c))).collect()
    };
    let banned = listed(&model.prohibited_countries);
    if !banned.is_empty() {
        prohibited = true;
        factors.push(RiskFactor { code: RiskFactorCode::ProhibitedCountry, points: 0, detail: banned.join(",") });
    }
    let risky = listed(&model.high_risk_countries);
    if !risky.is_empty() {
        factors.push(RiskFactor {
            code: RiskFactorCode::HighRiskCountry,
            points: model.points_high_risk_country,
            detail: risky.join(","),
        });
    }
    if politically_exposed {
        factors.push(RiskFactor {
            code: RiskFactorCode::PoliticallyExposed,
            points: model.points_pep,
            detail: "declared politically exposed".into(),
        });
    }
    if let Party::Institution { details, members } = &customer.party {
        if let Some(industry) = details.industry_type.as_ref().map(|i| normalise(i.as_str())) {
            if model.prohibited_industries.iter().any(|p| normalise(p) == industry) {
                prohibited = true;
                factors.push(RiskFactor { code: RiskFactorCode::ProhibitedIndustry, points: 0, detail: industry });
            } else if model.high_risk_industries.iter().any(|p| normalise(p) == industry) {
                factors.push(RiskFactor {
                    code: RiskFactorCode::HighRiskIndustry,
                    points: model.points_high_risk_industry,
                    detail: industry,
                });
            }
        }
        // Ownership is opaque when nobody is named as a control person, or when the named owners
        // account for less than three quarters of the business.
        let owned: rust_decimal::Decimal = members
            .iter()
            .filter(|m| m.roles.contains(&MemberRole::BeneficialOwner))
            .filter_map(|m| m.ownership_percentage.map(|p| p.value()))
            .sum();
        let has_control =
            members.iter().any(|m| m.is_control_person || m.roles.contains(&MemberRole::ManagementControlPerson));
        if !has_control || owned < rust_decimal::Decimal::from(75) {
            factors.push(RiskFactor {
                code: RiskFactorCode::OwnershipOpacity,
                points: model.points_ownership_opacity,
                detail: format!(
                    "owners named for {owned}%, control person {}",
                    if has_control { "named" } else { "missing" }
                ),
            });
        }
    }
    match customer.due_diligence.as_ref().and_then(|d| d.expected_activity_level) {
        Some(ExpectedActivity::High) => factors.push(RiskFactor {
            code: RiskFactorCode::ExpectedActivityHigh,
            points: model.points_expected_activity_high,
            detail: "HIGH".into(),
        }),
        Some(ExpectedActivity::Medium) => factors.push(RiskFactor {
            code: RiskFactorCode::ExpectedActivityMedium,
            points: model.points_expected_activity_medium,
            detail: "MEDIUM".into(),
        }),
        Some(ExpectedActivity::Low) | None => {}
    }
    let score = factors.iter().map(|f| f.points).sum();
    let rating = if prohibited {
        RiskRating::Prohibited
    } else if score >= model.high_from {
        RiskRating::High
    } else if score >= model.medium_from {
        RiskRating::Medium
    } else {
        RiskRating::Low
    };
    RiskAssessment { rating, score, factors }
}
