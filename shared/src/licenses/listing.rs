//! Listing a subscription's users for its admins: filtered by state, license, waiting and
//! source configuration and the start of the user name (case-insensitive), in id order (creation order: ids are time-ordered), a page at a time
//! behind an opaque cursor. A page reads at most [`MAX_SCANNED`] users, so a filter that
//! matches few users answers with fewer (or none) and a cursor to go on from.

use super::{Holder, LicenseError, LicenseType, Licenses};
use crate::keys;
use crate::store::{Cursor, Index, Query};

/// Most users in one page.
pub const MAX_USERS_PAGE: usize = 500;
/// Most users one page reads while filtering.
pub const MAX_SCANNED: usize = 10_000;

/// Which users a listing shows (every field set must match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    pub enabled: Option<bool>,
    /// The license held.
    pub license: Option<LicenseType>,
    pub waiting: Option<bool>,
    /// The source configuration's tenant id.
    pub configuration: Option<String>,
    /// How the user name starts, case-folded ([`crate::casefold::fold`]).
    pub user_name_prefix: Option<String>,
}

impl UserFilter {
    fn matches(&self, holder: &Holder) -> bool {
        self.enabled.is_none_or(|e| e == holder.enabled)
            && self.license.is_none_or(|l| l == holder.license)
            && self.waiting.is_none_or(|w| w == holder.is_waiting())
            && self.configuration.as_ref().is_none_or(|c| holder.configuration.as_ref() == Some(c))
            && self.user_name_prefix.as_ref().is_none_or(|p| crate::casefold::fold(&holder.user_name).starts_with(p))
    }

    /// This filter, keeping the users whose name starts with `prefix` (in any case).
    pub fn with_user_name_prefix(self, prefix: Option<&str>) -> UserFilter {
        let user_name_prefix = prefix.filter(|p| !p.is_empty()).map(crate::casefold::fold);
        UserFilter { user_name_prefix, ..self }
    }
}

/// One page of users, and the cursor of the next (None: the end).
#[derive(Debug, Clone)]
pub struct UserPage {
    pub users: Vec<Holder>,
    pub next: Option<String>,
}

impl Licenses {
    /// Up to `limit` (at most [`MAX_USERS_PAGE`]) users of the subscription matching `filter`,
    /// after the cursor `after` (from a previous page).
    pub async fn list_users(
        &self,
        subscription: &str,
        filter: &UserFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<UserPage, LicenseError> {
        self.existing_subscription(subscription).await?;
        let pk = keys::subscription_users(subscription);
        let mut after = match after {
            None => None,
            Some(text) => Some(
                Cursor::decode(text)
                    .filter(|c| c.key.pk == pk && c.index_sk.is_none())
                    .ok_or(LicenseError::InvalidCursor)?,
            ),
        };
        let limit = limit.clamp(1, MAX_USERS_PAGE);
        let mut users = Vec::new();
        let mut scanned = 0;
        loop {
            let mut query = Query::new(Index::Base, pk.clone());
            query.limit = if *filter == UserFilter::default() { limit - users.len() } else { 1000 };
            query.after = after.take();
            let page = self.table.query(&query).await?;
            for item in &page.items {
                scanned += 1;
                let Some(holder) = Holder::from_item(item) else { continue };
                if filter.matches(&holder) {
                    users.push(holder);
                    if users.len() == limit {
                        let next = Cursor { key: item.key.clone(), index_sk: None };
                        return Ok(UserPage { users, next: Some(next.encode()) });
                    }
                }
            }
            match page.next {
                None => return Ok(UserPage { users, next: None }),
                Some(next) if scanned >= MAX_SCANNED => return Ok(UserPage { users, next: Some(next.encode()) }),
                Some(next) => after = Some(next),
            }
        }
    }
}
