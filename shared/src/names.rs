//! Names an admin gives things (subscriptions, configurations, vaults, vault groups): one rule
//! for all of them, so the console's fields and the API's errors say the same everywhere.

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// `name` as stored (without surrounding whitespace), if it is one: 1 to [`MAX_NAME_CHARS`]
/// characters once trimmed.
pub fn trimmed(name: &str) -> Option<&str> {
    let name = name.trim();
    (!name.is_empty() && name.chars().count() <= MAX_NAME_CHARS).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_bounded_in_characters() {
        assert_eq!(trimmed("  Finance vault "), Some("Finance vault"));
        assert_eq!(trimmed(" \t "), None);
        assert_eq!(trimmed(""), None);
        let longest = "é".repeat(MAX_NAME_CHARS);
        assert_eq!(trimmed(&longest), Some(longest.as_str()), "characters, not bytes");
        assert_eq!(trimmed(&format!("{longest}x")), None);
    }
}
