//! Plain-language words for what the API returns: dates and times, enum values, shares,
//! amounts. One place, so every page says a thing the same way.

use chrono::{DateTime, Utc};

/// A time as people read it: "2 December 2026 at 6:05pm" (UTC, the server's clock).
pub fn when(at: &DateTime<Utc>) -> String {
    let hour = at.format("%l").to_string();
    let ampm = if at.format("%P").to_string() == "am" {
        "am"
    } else {
        "pm"
    };
    format!(
        "{} at {}:{}{}",
        at.format("%-d %B %Y"),
        hour.trim(),
        at.format("%M"),
        ampm
    )
}

/// A date alone: "2 December 2026".
pub fn date(at: &DateTime<Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}

/// A number of whole days: "today", "1 day", "12 days".
pub fn days(n: i64) -> String {
    match n {
        0 => "less than a day".into(),
        1 => "1 day".into(),
        n => format!("{n} days"),
    }
}

/// A share in basis points as a percentage: 2500 → "25%", 3333 → "33.33%".
pub fn percent(basis_points: i64) -> String {
    if basis_points.rem_euclid(100) == 0 {
        format!("{}%", basis_points / 100)
    } else {
        format!("{}.{:02}%", basis_points / 100, basis_points % 100)
    }
}

/// An amount with its unit: GBP is shown as pounds ("£12,000"), anything else as "40 hours".
pub fn amount(amount: i64, unit: &str) -> String {
    let grouped = group(amount);
    match unit {
        "GBP" => format!("£{grouped}"),
        unit => format!("{grouped} {unit}"),
    }
}

/// Digits in groups of three: 12000 → "12,000".
fn group(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// An enum value from the API (`LIVED_EXPERIENCE`) in plain words ("Lived experience"), using
/// the words people in a hub use where they differ.
pub fn label(value: &str) -> String {
    let special = match value {
        "COMMUNITY_ORGANISATION" => Some("Community organisation"),
        "DEVELOPING_SOLUTIONS" => Some("Developing solutions"),
        "CLOSED_WITHOUT_AGREEMENT" => Some("Closed without agreement"),
        "LAPSED" => Some("Lapsed (the idea was withdrawn or declined)"),
        "PROPOSED" => Some("Proposed"),
        "AGREED" => Some("Agreed"),
        "STAFF_TIME" => Some("Staff time"),
        "REVENUE_SHARE" => Some("Share of revenue"),
        "OUTCOME_DATA" => Some("Outcome data"),
        "SOCIAL_CAUSES" => Some("Social causes"),
        _ => None,
    };
    if let Some(s) = special {
        return s.to_string();
    }
    let lower = value.replace('_', " ").to_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Percent-encodes a string for a URL query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A local path to come back to after signing in: only paths on this site (starting with
/// one `/`), so a link cannot send someone elsewhere.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.into(),
        _ => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn says_times_and_numbers_plainly() {
        let t = Utc.with_ymd_and_hms(2026, 12, 2, 18, 5, 0).unwrap();
        assert_eq!(when(&t), "2 December 2026 at 6:05pm");
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 30, 0).unwrap();
        assert_eq!(when(&t), "1 March 2026 at 12:30am");
        assert_eq!(percent(2500), "25%");
        assert_eq!(percent(3333), "33.33%");
        assert_eq!(amount(12000, "GBP"), "£12,000");
        assert_eq!(amount(40, "hours"), "40 hours");
        assert_eq!(amount(1234567, "GBP"), "£1,234,567");
        assert_eq!(label("LIVED_EXPERIENCE"), "Lived experience");
        assert_eq!(label("COMMUNITY_ORGANISATION"), "Community organisation");
    }

    #[test]
    fn only_local_paths_come_back_after_sign_in() {
        assert_eq!(safe_next(Some("/hubs/1")), "/hubs/1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
