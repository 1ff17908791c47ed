//! The current time as every item and answer carries it: RFC 3339, UTC, milliseconds (every
//! client parses that precision, and strings of it sort in time order).

use std::time::SystemTime;

const FORMAT: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Now, as `2026-12-02T18:14:42.123Z`.
pub fn now() -> String {
    format(SystemTime::now())
}

/// `at` in the same form as [`now`], so the two compare as strings.
pub fn format(at: SystemTime) -> String {
    time::OffsetDateTime::from(at).format(FORMAT).unwrap_or_else(|_| "1970-01-01T00:00:00.000Z".to_owned())
}
