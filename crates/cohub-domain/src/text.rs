//! Plain-language text with the language it was written in, and its limits.
//!
//! Limits (in characters, after trimming): names and short labels 120, titles 200,
//! reasons, rationales, perspectives and feedback 2000, summaries, statements, charters
//! and terms 4000. Text must not be empty and must not contain control characters other
//! than newline and tab. The language tag is BCP-47-like: letters, digits and hyphens,
//! 2 to 35 characters, the first subtag 2 or 3 letters (`en`, `ur`, `pa-Guru-IN`).

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

/// How long a piece of text may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextLimit {
    /// Names and short labels: 120 characters.
    Name,
    /// Titles: 200 characters.
    Title,
    /// Reasons, rationales, perspectives, feedback, responses: 2000 characters.
    Reason,
    /// Summaries, statements, charters, terms: 4000 characters.
    Summary,
}

impl TextLimit {
    /// The maximum number of characters.
    pub const fn max_chars(self) -> usize {
        match self {
            TextLimit::Name => 120,
            TextLimit::Title => 200,
            TextLimit::Reason => 2000,
            TextLimit::Summary => 4000,
        }
    }
}

/// A piece of plain-language text and the language it was written in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PlainText {
    /// The words, as written.
    pub text: String,
    /// The BCP-47-like language tag, e.g. `en`, `ur`, `pa-Guru-IN`.
    pub lang: String,
}

impl PlainText {
    /// Builds a text without validating it (validation happens in `decide`).
    pub fn new(text: impl Into<String>, lang: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            lang: lang.into(),
        }
    }

    /// An English text (convenience for tests and demo data).
    pub fn en(text: impl Into<String>) -> Self {
        Self::new(text, "en")
    }

    /// Checks the text against a limit; `field` names it in the error message.
    pub fn validate(&self, field: &str, limit: TextLimit) -> Result<(), DomainError> {
        validate_str(&self.text, field, limit)?;
        validate_lang(&self.lang, field)
    }
}

impl std::fmt::Display for PlainText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Checks a bare string: trimmed non-empty, within the limit, no control characters but newline/tab.
pub fn validate_str(text: &str, field: &str, limit: TextLimit) -> Result<(), DomainError> {
    if text.trim().is_empty() {
        return Err(DomainError::invalid_field(
            field,
            format!("The {field} is empty. Please write something."),
        ));
    }
    if text.trim() != text {
        return Err(DomainError::invalid_field(
            field,
            format!("The {field} starts or ends with spaces. Please remove them."),
        ));
    }
    let count = text.chars().count();
    if count > limit.max_chars() {
        return Err(DomainError::invalid_field(
            field,
            format!(
                "The {field} is too long: {count} characters, and the limit is {}.",
                limit.max_chars()
            ),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(DomainError::invalid_field(
            field,
            format!("The {field} contains hidden control characters. Please use plain text."),
        ));
    }
    Ok(())
}

/// Checks a BCP-47-like language tag.
pub fn validate_lang(lang: &str, field: &str) -> Result<(), DomainError> {
    let bad = || {
        DomainError::invalid_field(field, format!(
            "The language of the {field} (\"{}\") is not a language code like \"en\", \"ur\" or \"pa-Guru-IN\".",
            lang.chars().take(40).collect::<String>()
        ))
    };
    let len = lang.len();
    if !(2..=35).contains(&len) || !lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(bad());
    }
    let mut subtags = lang.split('-');
    let first = subtags.next().unwrap_or_default();
    if !(2..=3).contains(&first.len()) || !first.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(bad());
    }
    if subtags.any(|s| s.is_empty() || s.len() > 8) {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_good_text_and_tags() {
        for lang in ["en", "ur", "pa-Guru-IN", "bn", "zh-Hant", "yue"] {
            PlainText::new("Hello\nthere\tfriend", lang)
                .validate("title", TextLimit::Title)
                .unwrap();
        }
    }

    #[test]
    fn rejects_bad_text() {
        let cases = [
            PlainText::en(""),
            PlainText::en("   "),
            PlainText::en(" padded"),
            PlainText::en("bell\u{7}"),
            PlainText::en("x".repeat(201)),
        ];
        for t in cases {
            assert!(matches!(
                t.validate("title", TextLimit::Title),
                Err(DomainError::InvalidField { ref field, .. }) if field == "title"
            ));
        }
        assert!(PlainText::en("x".repeat(200))
            .validate("title", TextLimit::Title)
            .is_ok());
    }

    #[test]
    fn rejects_bad_tags() {
        for lang in [
            "",
            "e",
            "english-language-x",
            "1en",
            "en_GB",
            "en--GB",
            "en-",
            "abcd",
            &"a-".repeat(20),
        ] {
            assert!(
                validate_lang(lang, "title").is_err(),
                "{lang} should be rejected"
            );
        }
    }
}
