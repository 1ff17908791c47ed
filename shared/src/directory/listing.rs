//! Listing and filtering users and groups: `startIndex` / `count` paging in a stable order
//! (sort key order, which is creation order since ids are time-ordered), indexed lookups for
//! `eq` on the unique attributes, and a bounded scan for every other filter.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{keys, parse_id, Directory, Resource, Tenant};
use crate::scim::filter::Filter;
use crate::scim::schema::{ResourceType, USER_TYPE};
use crate::scim::ScimError;
use crate::store::{Cursor, Index, Item, Key, Query, SortKeyCondition};
use futures::future::try_join_all;

/// Most resources one page returns (`count` above it is lowered to it).
pub const MAX_COUNT: usize = 1000;
/// Most items a non-indexed filter may examine before the answer is 400 `tooMany`.
pub const MAX_FILTER_SCAN: usize = 10_000;
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
#[derive(Default)]
pub(super) struct Bookmarks {
    cursors: Mutex<HashMap<(String, usize), Cursor>>,
}

impl Bookmarks {
    fn get(&self, partition: &str, start_index: usize) -> Option<Cursor> {
        let cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        cursors.get(&(partition.to_owned(), start_index)).cloned()
    }

    fn put(&self, partition: &str, start_index: usize, cursor: Cursor) {
        let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        if cursors.len() >= BOOKMARK_CAPACITY {
            cursors.clear();
        }
        cursors.insert((partition.to_owned(), start_index), cursor);
    }
}

fn is_user(rt: &ResourceType) -> bool {
    rt.id == USER_TYPE.id
}

fn partition(tenant: &Tenant, rt: &ResourceType) -> (String, &'static str) {
    if is_user(rt) {
        (keys::users_partition(tenant.id()), keys::USER_PREFIX)
    } else {
        (keys::groups_partition(tenant.id()), keys::GROUP_PREFIX)
    }
}

pub(super) async fn list(
    directory: &Directory,
    tenant: &Tenant,
    rt: &ResourceType,
    params: &ListParams,
) -> Result<ListPage, ScimError> {
    match &params.filter {
        None => unfiltered(directory, tenant, rt, params).await,
        Some(filter) => {
            let matches = match indexed_candidates(directory, tenant, rt, filter).await? {
                Some(candidates) => candidates,
                None => scan(directory, tenant, rt).await?,
            };
            let mut matching = Vec::new();
            for item in matches {
                let rendered = render(directory, tenant, rt, &item, false).await?;
                if filter.matches(&rendered.body, rt) {
                    matching.push(item);
                }
            }
            let total_results = matching.len();
            let page: Vec<Item> = matching.into_iter().skip(params.start_index - 1).take(params.count).collect();
            let resources = render_all(directory, tenant, rt, &page, params.with_related).await?;
            Ok(ListPage { total_results, start_index: params.start_index, resources })
        }
    }
}

async fn render(
    directory: &Directory,
    tenant: &Tenant,
    rt: &ResourceType,
    item: &Item,
    with_related: bool,
) -> Result<Resource, ScimError> {
    if is_user(rt) {
        directory.render_user(tenant, item, with_related).await
    } else {
        directory.render_group(tenant, item, with_related).await
    }
}

async fn render_all(
    directory: &Directory,
    tenant: &Tenant,
    rt: &ResourceType,
    items: &[Item],
    with_related: bool,
) -> Result<Vec<Resource>, ScimError> {
    try_join_all(items.iter().map(|item| render(directory, tenant, rt, item, with_related))).await
}

/// The candidates of an `eq` on a unique attribute (id, userName, externalId, displayName),
/// found with one lookup; None when the filter has no such equality.
async fn indexed_candidates(
    directory: &Directory,
    tenant: &Tenant,
    rt: &ResourceType,
    filter: &Filter,
) -> Result<Option<Vec<Item>>, ScimError> {
    let t = tenant.id();
    for (path, value) in filter.required_equalities() {
        if path.sub_attr.is_some() || path.urn.as_deref().is_some_and(|u| !u.eq_ignore_ascii_case(rt.schema.id)) {
            continue;
        }
        let Some(value) = value.as_str() else { continue };
        let attr = path.attr.to_ascii_lowercase();
        let found = match (is_user(rt), attr.as_str()) {
            (_, "id") => match parse_id(value) {
                None => None,
                Some(id) => {
                    let key = if is_user(rt) { keys::user(t, &id) } else { keys::group(t, &id) };
                    directory.table.get(&key).await?
                }
            },
            (true, "username") => directory.user_by_sentinel(tenant, &keys::user_name(t, value)).await?,
            (true, "externalid") => directory.user_by_sentinel(tenant, &keys::user_external_id(t, value)).await?,
            (false, "displayname") => directory.group_by_sentinel(tenant, &keys::group_name(t, value)).await?,
            (false, "externalid") => directory.group_by_sentinel(tenant, &keys::group_external_id(t, value)).await?,
            _ => continue,
        };
        return Ok(Some(found.into_iter().collect()));
    }
    Ok(None)
}

/// Every item of the partition, up to [`MAX_FILTER_SCAN`]; past it, 400 `tooMany`.
async fn scan(directory: &Directory, tenant: &Tenant, rt: &ResourceType) -> Result<Vec<Item>, ScimError> {
    let (pk, prefix) = partition(tenant, rt);
    let mut query = Query::new(Index::Base, pk);
    query.sk = SortKeyCondition::BeginsWith(prefix.to_owned());
    query.limit = WALK_PAGE;
    let mut items = Vec::new();
    loop {
        let page = directory.table.query(&query).await?;
        items.extend(page.items);
        if items.len() > MAX_FILTER_SCAN {
            return Err(ScimError::too_many(format!(
                "This filter would examine more than {MAX_FILTER_SCAN} resources. Filter with eq on id, userName, externalId or displayName, or narrow the filter."
            )));
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(items),
        }
    }
}

async fn unfiltered(
    directory: &Directory,
    tenant: &Tenant,
    rt: &ResourceType,
    params: &ListParams,
) -> Result<ListPage, ScimError> {
    let counters = directory.table.get(&keys::counters(tenant.id())).await?;
    let counter = if is_user(rt) { "users" } else { "groups" };
    let total_results = counters.and_then(|c| c.i64(counter)).unwrap_or(0).max(0) as usize;
    let (pk, prefix) = partition(tenant, rt);
    let mut query = Query::new(Index::Base, pk.clone());
    query.sk = SortKeyCondition::BeginsWith(prefix.to_owned());

    // Start where the previous page ended when we remember it; else skip from the start.
    let mut to_skip = params.start_index - 1;
    if to_skip > 0 {
        if let Some(cursor) = directory.bookmarks.get(&pk, params.start_index) {
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

    let mut items: Vec<Item> = Vec::new();
    while items.len() < params.count {
        query.limit = params.count - items.len();
        let page = directory.table.query(&query).await?;
        items.extend(page.items);
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    if let Some(last) = items.last() {
        directory.bookmarks.put(&pk, params.start_index + items.len(), cursor_of(&last.key));
    }
    let resources = render_all(directory, tenant, rt, &items, params.with_related).await?;
    Ok(ListPage { total_results, start_index: params.start_index, resources })
}

fn cursor_of(key: &Key) -> Cursor {
    Cursor { key: key.clone(), index_sk: None }
}
