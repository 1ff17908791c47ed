//! A seat pool: how many seats of one license type a subscription bought, holds and waits for.
//!
//! One item per type (`keys::pool`) with `purchased`, `used`, `free` (= purchased − used, kept
//! so that taking k seats is one condition, `free ≥ k`) and `waiting` (the users waiting for
//! this type). Every change to them is an `Add` in the same transaction as the user change
//! that causes it, so the counts are always those of the user items.

use crate::keys;
use crate::licenses::LicenseType;
use crate::store::Item;

/// A pool's counts as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    pub license: LicenseType,
    pub purchased: i64,
    pub used: i64,
    pub waiting: i64,
}

impl Pool {
    /// A pool nothing has been bought from or taken from yet.
    pub fn empty(license: LicenseType) -> Pool {
        Pool { license, purchased: 0, used: 0, waiting: 0 }
    }

    /// Seats bought and not held. A counted-only type (`concurrent`) has no limit.
    pub fn free(&self) -> i64 {
        if self.license.is_seat_limited() {
            self.purchased - self.used
        } else {
            i64::MAX
        }
    }

    pub(super) fn to_item(self, subscription: &str) -> Item {
        Item::new(keys::pool(subscription, self.license.as_str()))
            .with("purchased", self.purchased)
            .with("used", self.used)
            .with("free", self.purchased - self.used)
            .with("waiting", self.waiting)
    }

    pub(super) fn from_item(license: LicenseType, item: Option<&Item>) -> Pool {
        let count = |name| item.and_then(|i| i.i64(name)).unwrap_or(0);
        Pool { license, purchased: count("purchased"), used: count("used"), waiting: count("waiting") }
    }
}
