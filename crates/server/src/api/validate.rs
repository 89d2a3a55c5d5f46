//! Limits on user-supplied text (docs/signaling.md "Limits"). Each check returns the
//! cleaned value or a 422 problem naming the field.

use super::problem::ApiError;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;
pub const MAX_PASSWORD_CHARS: usize = 128;
pub const MAX_USERNAME_CHARS: usize = 64;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// A meeting title: trimmed, 1–200 characters, no control characters.
pub fn title(raw: &str) -> Result<String, ApiError> {
    bounded_text("title", raw, MAX_TITLE_CHARS)
}

/// A meeting description: trimmed, at most 2000 characters (empty means none), line
/// breaks allowed but no other control characters.
pub fn description(raw: &str) -> Result<String, ApiError> {
    let text = raw.trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::invalid(format!(
            "description: at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::invalid(
            "description: must not contain control characters other than line breaks",
        ));
    }
    Ok(text.to_owned())
}

/// An RFC 3339 time in a request field. An offset can carry 9999-12-31 past the last UTC
/// instant the store and every RFC 3339 answer can hold; such a time is as invalid as a
/// malformed one.
pub fn rfc3339_time(field: &str, text: &str) -> Result<OffsetDateTime, ApiError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .and_then(|at| at.checked_to_offset(UtcOffset::UTC))
        .ok_or_else(|| ApiError::invalid(format!("{field}: {text:?} is not an RFC 3339 time")))
}

/// A new account's username: 1–64 characters of letters, digits and `._@-`, so it can be
/// typed at a login form and never looks like another name.
pub fn username(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let fine = (1..=MAX_USERNAME_CHARS).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
    if !fine {
        return Err(ApiError::invalid(format!(
            "username: 1–{MAX_USERNAME_CHARS} letters, digits or . _ @ -"
        )));
    }
    Ok(name.to_owned())
}

/// A display name: trimmed, 1–64 characters, no control characters.
pub fn display_name(raw: &str) -> Result<String, ApiError> {
    bounded_text("display_name", raw, MAX_DISPLAY_NAME_CHARS)
}

/// A meeting password to set: at most 128 characters. The empty string means "no
/// password", which is what a cleared form field sends.
pub fn new_password(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match raw {
        None | Some("") => Ok(None),
        Some(p) if p.chars().count() > MAX_PASSWORD_CHARS => Err(ApiError::invalid(format!(
            "password: at most {MAX_PASSWORD_CHARS} characters"
        ))),
        Some(p) => Ok(Some(p.to_owned())),
    }
}

fn bounded_text(field: &str, raw: &str, max: usize) -> Result<String, ApiError> {
    let text = raw.trim();
    let chars = text.chars().count();
    if chars == 0 {
        return Err(ApiError::invalid(format!("{field}: must not be empty")));
    }
    if chars > max {
        return Err(ApiError::invalid(format!(
            "{field}: at most {max} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "{field}: must not contain control characters"
        )));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(title("  Standup ").unwrap(), "Standup");
        assert!(title("   ").is_err());
        assert!(title(&"x".repeat(200)).is_ok());
        assert!(title(&"x".repeat(201)).is_err());
        assert!(display_name("a\u{0007}b").is_err());
        assert!(display_name(&"é".repeat(64)).is_ok());
        assert_eq!(new_password(Some("")).unwrap(), None);
        assert!(new_password(Some(&"p".repeat(129))).is_err());
        assert_eq!(
            description("  Agenda:\n1. Budget\n ").unwrap(),
            "Agenda:\n1. Budget"
        );
        assert_eq!(description("   ").unwrap(), "");
        assert!(description(&"d".repeat(2000)).is_ok());
        assert!(description(&"d".repeat(2001)).is_err());
        assert!(description("tab\there").is_err());
        assert!(description("bell\u{7}").is_err());
    }
}
