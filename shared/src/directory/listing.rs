//! Listing and filtering users and groups: `startIndex` / `count` paging in a stable order
//! (sort key order, which is creation order since ids are time-ordered), indexed lookups for
//! `eq` on the unique attributes, and a bounded scan for every other filter.
//!
//! What a list holds in memory is bounded whatever the resources' sizes: the store's pages
//! hold at most [`crate::store::MAX_PAGE_BYTES`], a filter is evaluated page by page keeping
//! only the resources of the page asked for, and a page of the answer stops at
//! [`MAX_LIST_PAGE_BYTES`] (with fewer than `count` resources, which RFC 7644 §3.4.2.4 allows:
//! `itemsPerPage` says how many came).

use std::collections::HashMap;
use std::sync::Mutex;

use super::resources::{Kind, USERS};
use super::{parse_id, Directory, Resource, Tenant, MAX_KEY_VALUE_LEN};
use crate::keys;
use crate::scim::filter::Filter;
use crate::scim::ScimError;
use crate::store::{Cursor, Index, Item, Key, Query, SortKeyCondition};
use futures::future::try_join_all;

/// Most resources one page returns (`count` above it is lowered to it).
pub const MAX_COUNT: usize = 1000;
/// Most items a non-indexed filter may examine before the answer is 400 `tooMany`.
pub const MAX_FILTER_SCAN: usize = 10_000;
/// Most bytes of resources one page of a list answer holds, by their stored size (a group's
/// members counted at [`MEMBER_BYTES`] each when they are returned): the page stops before the
/// resource that would pass it, though it always holds one. It keeps an answer well under
/// Lambda's 6 MB response limit; only resources with very large attributes ever reach it.
pub const MAX_LIST_PAGE_BYTES: usize = 4 * 1024 * 1024;
/// What one member of a group adds to a rendered group, about: its id, `$ref`, `type` and a
/// short `display`.
const MEMBER_BYTES: usize = 256;
/// Items read per store call when walking a partition.
const WALK_PAGE: usize = 1000;
/// Most page bookmarks remembered; past it they are forgotten (a miss only costs a walk).
const BOOKMARK_CAPACITY: usize = 10_000;

/// A list request, parsed.
#[derive(Debug, Clone)]
pub struct ListParams {
    pub filter: Option<Filter>,
    /// 1-based.
    pub start_index: usize,
    pub count: usize,
    /// Whether to load `groups` (users) or `members` (groups).
    pub with_related: bool,
}

#[derive(Debug)]
pub struct ListPage {
    pub total_results: usize,
    pub start_index: usize,
    pub resources: Vec<Resource>,
}

/// Where page N of a partition ended, so page N+1 starts there without walking from the
/// beginning: Okta imports page by page, in order.
///
/// A bookmark holds for as long as nothing of the partition was deleted: it is filed under the
/// tenant's deletion count of the kind (kept in the counter items every list reads anyway), so
/// a delete in any process makes every bookmark made before it miss, and the page is walked to.
#[derive(Default)]
pub(super) struct Bookmarks {
    cursors: Mutex<HashMap<Place, Cursor>>,
}

/// A position in a partition: its key, the 1-based index, and the deletions made before it.
type Place = (String, usize, i64);

impl Bookmarks {
    fn get(&self, partition: &str, start_index: usize, deletions: i64) -> Option<Cursor> {
        let cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        cursors.get(&(partition.to_owned(), start_index, deletions)).cloned()
    }

    fn put(&self, partition: &str, start_index: usize, deletions: i64, cursor: Cursor) {
        let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        if cursors.len() >= BOOKMARK_CAPACITY {
            cursors.clear();
        }
        cursors.insert((partition.to_owned(), start_index, deletions), cursor);
    }
}

pub(super) async fn list(
    directory: &Directory,
    tenant: &Tenant,
    kind: &Kind,
    params: &ListParams,
) -> Result<ListPage, ScimError> {
    match &params.filter {
        None => unfiltered(directory, tenant, kind, params).await,
        Some(filter) => filtered(directory, tenant, kind, filter, params).await,
    }
}

/// The resources of one page of an answer: `count` at most, past the first `skip` offered,
/// and no more than [`MAX_LIST_PAGE_BYTES`] of them.
struct Window {
    skip: usize,
    count: usize,
    with_related: bool,
    bytes: usize,
    /// Set once a resource did not fit: later ones must not fill the gap it leaves.
    full: bool,
    items: Vec<Item>,
}

impl Window {
    fn new(skip: usize, params: &ListParams) -> Window {
        Window { skip, count: params.count, with_related: params.with_related, bytes: 0, full: false, items: vec![] }
    }

    /// Offers the next resource in order; it is kept when it belongs to the page and fits.
    fn offer(&mut self, item: Item) {
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        if self.is_full() {
            return;
        }
        let members = if self.with_related { item.i64("members").unwrap_or(0).max(0) as usize } else { 0 };
        let bytes = item.size().saturating_add(members.saturating_mul(MEMBER_BYTES));
        if !self.items.is_empty() && self.bytes.saturating_add(bytes) > MAX_LIST_PAGE_BYTES {
            self.full = true;
            return;
        }
        self.bytes = self.bytes.saturating_add(bytes);
        self.items.push(item);
    }

    fn is_full(&self) -> bool {
        self.full || self.items.len() >= self.count
    }
}

/// A filtered list: the candidates of an indexed lookup, or the partition walked page by page
/// (up to [`MAX_FILTER_SCAN`] items), each resource tested as the client would see it.
async fn filtered(
    directory: &Directory,
    tenant: &Tenant,
    kind: &Kind,
    filter: &Filter,
    params: &ListParams,
) -> Result<ListPage, ScimError> {
    let mut window = Window::new(params.start_index - 1, params);
    let mut total_results = 0;
    let mut test = async |item: Item, window: &mut Window| -> Result<(), ScimError> {
        if filter.matches(&render(directory, tenant, kind, &item, false).await?.body, kind.rt) {
            total_results += 1;
            window.offer(item);
        }
        Ok(())
    };
    if let Some(candidates) = indexed_candidates(directory, tenant, kind, filter).await? {
        for item in candidates {
            test(item, &mut window).await?;
        }
    } else {
        let mut query = Query::new(Index::Base, (kind.partition)(tenant.id()));
        query.sk = SortKeyCondition::BeginsWith(kind.prefix.to_owned());
        query.limit = WALK_PAGE;
        let mut examined = 0;
        loop {
            let page = directory.table.query(&query).await?;
            examined += page.items.len();
            if examined > MAX_FILTER_SCAN {
                return Err(ScimError::too_many(format!(
                    "This filter would examine more than {MAX_FILTER_SCAN} resources. Filter with eq on id, userName, externalId or displayName, or narrow the filter."
                )));
            }
            for item in page.items {
                test(item, &mut window).await?;
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
    }
    let resources = render_all(directory, tenant, kind, &window.items, params.with_related).await?;
    Ok(ListPage { total_results, start_index: params.start_index, resources })
}

async fn render(
    directory: &Directory,
    tenant: &Tenant,
    kind: &Kind,
    item: &Item,
    with_related: bool,
) -> Result<Resource, ScimError> {
    if kind.rt.id == USERS.rt.id {
        directory.render_user(tenant, item, with_related)
    } else {
        directory.render_group(tenant, item, with_related).await
    }
}

async fn render_all(
    directory: &Directory,
    tenant: &Tenant,
    kind: &Kind,
    items: &[Item],
    with_related: bool,
) -> Result<Vec<Resource>, ScimError> {
    try_join_all(items.iter().map(|item| render(directory, tenant, kind, item, with_related))).await
}

/// The candidates of an `eq` on a unique attribute (id, userName, externalId, displayName),
/// found with one lookup; None when the filter has no such equality.
async fn indexed_candidates(
    directory: &Directory,
    tenant: &Tenant,
    kind: &Kind,
    filter: &Filter,
) -> Result<Option<Vec<Item>>, ScimError> {
    let t = tenant.id();
    for (path, value) in filter.required_equalities() {
        let core = path.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(kind.rt.schema.id));
        let (Some(value), true, None) = (value.as_str(), core, &path.sub_attr) else { continue };
        if value.len() > MAX_KEY_VALUE_LEN {
            // Longer than any stored id, userName, externalId or displayName can be: no match.
            return Ok(Some(Vec::new()));
        }
        let found = if path.attr.eq_ignore_ascii_case("id") {
            match parse_id(value) {
                Some(id) => directory.table.get(&kind.key(t, &id)).await?,
                None => None,
            }
        } else {
            match kind.unique.iter().find(|(attr, _, _)| attr.eq_ignore_ascii_case(&path.attr)) {
                // A value whose folded form makes no key was never stored: no match.
                Some(unique) => match Kind::sentinel_key(tenant, unique, value) {
                    Some(key) => directory.by_sentinel(kind, tenant, &key).await?,
                    None => None,
                },
                None => continue,
            }
        };
        return Ok(Some(found.into_iter().collect()));
    }
    Ok(None)
}

async fn unfiltered(
    directory: &Directory,
    tenant: &Tenant,
    kind: &Kind,
    params: &ListParams,
) -> Result<ListPage, ScimError> {
    let shards = directory.table.batch_get(&keys::counter_shards(tenant.id())).await?;
    let total_results = shards.iter().filter_map(|c| c.i64(kind.counter)).sum::<i64>().max(0) as usize;
    let deletions: i64 = shards.iter().filter_map(|c| c.i64(kind.deletions)).sum();
    let pk = (kind.partition)(tenant.id());
    let mut query = Query::new(Index::Base, pk.clone());
    query.sk = SortKeyCondition::BeginsWith(kind.prefix.to_owned());

    // Start where the previous page ended when we remember it; else skip from the start.
    let mut to_skip = params.start_index - 1;
    if to_skip > 0 {
        if let Some(cursor) = directory.bookmarks.get(&pk, params.start_index, deletions) {
            query.after = Some(cursor);
            to_skip = 0;
        }
    }
    while to_skip > 0 {
        query.limit = to_skip.min(WALK_PAGE);
        let page = directory.table.query(&query).await?;
        to_skip -= page.items.len();
        match (page.items.last(), page.next) {
            (Some(last), Some(_)) => query.after = Some(cursor_of(&last.key)),
            _ => return Ok(ListPage { total_results, start_index: params.start_index, resources: vec![] }),
        }
    }

    let mut window = Window::new(0, params);
    while !window.is_full() {
        query.limit = params.count - window.items.len();
        let page = directory.table.query(&query).await?;
        for item in page.items {
            window.offer(item);
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    let items = window.items;
    if let Some(last) = items.last() {
        directory.bookmarks.put(&pk, params.start_index + items.len(), deletions, cursor_of(&last.key));
    }
    let resources = render_all(directory, tenant, kind, &items, params.with_related).await?;
    Ok(ListPage { total_results, start_index: params.start_index, resources })
}

fn cursor_of(key: &Key) -> Cursor {
    Cursor { key: key.clone(), index_sk: None }
}
