//! License types, their rank, and which of them draw seats from a pool.

use serde::{Deserialize, Serialize};

/// License types, highest rank first: the derived order is the rank, so the highest of
/// several types is their `min()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LicenseType {
    /// A seat per user, from the subscription's `named` pool.
    Named,
    /// Assigned freely: concurrency is enforced at login, outside this service.
    Concurrent,
    /// A seat per user, from the subscription's `read-only` pool.
    ReadOnly,
    None,
}

impl LicenseType {
    /// Every type, highest rank first.
    pub const ALL: [LicenseType; 4] =
        [LicenseType::Named, LicenseType::Concurrent, LicenseType::ReadOnly, LicenseType::None];
    /// The types a subscription keeps a pool for: the seat-limited ones and `concurrent`,
    /// which is counted but not limited.
    pub const POOLED: [LicenseType; 3] = [LicenseType::Named, LicenseType::Concurrent, LicenseType::ReadOnly];

    /// Whether holding this type takes a seat that a purchase limits.
    pub fn is_seat_limited(self) -> bool {
        matches!(self, LicenseType::Named | LicenseType::ReadOnly)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LicenseType::Named => "named",
            LicenseType::Concurrent => "concurrent",
            LicenseType::ReadOnly => "read-only",
            LicenseType::None => "none",
        }
    }
}

impl std::fmt::Display for LicenseType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for LicenseType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "named" => Ok(LicenseType::Named),
            "concurrent" => Ok(LicenseType::Concurrent),
            "read-only" => Ok(LicenseType::ReadOnly),
            "none" => Ok(LicenseType::None),
            other => Err(format!("unknown license type {other:?}: use named, concurrent, read-only or none")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LicenseType::{self, *};

    #[test]
    fn rank_is_the_order_and_names_round_trip() {
        assert_eq!([ReadOnly, Named, None, Concurrent].into_iter().min(), Some(Named));
        for t in [Named, Concurrent, ReadOnly, None] {
            assert_eq!(t.as_str().parse::<LicenseType>(), Ok(t));
        }
        assert!("Named".parse::<LicenseType>().unwrap_err().contains("named, concurrent, read-only or none"));
    }
}
