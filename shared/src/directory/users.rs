//! Users: create, read, replace, patch, delete, list.
//!
//! A user is one item holding its SCIM document, plus sentinel items that make `userName`
//! (case-folded) and `externalId` unique within the tenant. Every write is one transaction
//! conditional on the version it read (optimistic locking).

use serde_json::{Map, Value};

use super::listing::{self, ListPage, ListParams};
use super::render;
use super::{key_value, keys, new_id, now, parse_id, Directory, Precondition, Resource, Tenant, WRITE_ATTEMPTS};
use crate::scim::patch;
use crate::scim::resource::validate;
use crate::scim::schema::USER_TYPE;
use crate::scim::ScimError;
use crate::store::{Action, Condition, Index, Item, Key, Query, StoreError, Update};

/// What each action of a user write stands for, to explain a failed condition.
#[derive(Clone, Copy)]
pub(super) enum Slot {
    Resource,
    Unique(&'static str),
    Other,
}

/// The actions of one write, with what each one stands for.
#[derive(Default)]
pub(super) struct Write {
    pub actions: Vec<Action>,
    pub slots: Vec<Slot>,
}

impl Write {
    pub fn push(&mut self, slot: Slot, action: Action) {
        self.actions.push(action);
        self.slots.push(slot);
    }

    /// Swaps the uniqueness sentinel of `attr` from `old` to `new` value (if it changed).
    pub fn move_sentinel(&mut self, attr: &'static str, id: &str, old: Option<Key>, new: Option<Key>) {
        if old == new {
            return;
        }
        if let Some(old) = old {
            let condition = Condition::AttrEq("id".into(), id.into());
            self.push(Slot::Other, Action::Delete { key: old, condition: Some(condition) });
        }
        if let Some(new) = new {
            let item = Item::new(new).with("id", id);
            self.push(Slot::Unique(attr), Action::Put { item, condition: Some(Condition::NotExists) });
        }
    }

    /// Runs the transaction and explains a failed condition: a taken unique value is a 409;
    /// a changed resource is `Ok(false)` (the caller reads again, or answers 412).
    pub async fn run(self, directory: &Directory, what: &str) -> Result<bool, ScimError> {
        match directory.table.transact(self.actions).await {
            Ok(()) => Ok(true),
            Err(StoreError::ConditionFailed { index }) => match self.slots.get(index) {
                Some(Slot::Unique(attr)) => {
                    Err(ScimError::uniqueness(format!("A {what} with this {attr} already exists in this tenant.")))
                }
                Some(Slot::Resource) | Some(Slot::Other) => Ok(false),
                None => Err(StoreError::Other(format!("condition index {index} out of range")).into()),
            },
            Err(e) => Err(e.into()),
        }
    }
}

/// The item of a user with document `doc`.
fn user_item(tenant: &str, id: &str, doc: &Map<String, Value>, version: i64, created: &str) -> Item {
    Item::new(keys::user(tenant, id))
        .with("doc", Value::Object(doc.clone()).to_string())
        .with("version", version)
        .with("created", created)
        .with("modified", now())
}

fn sentinels(tenant: &str, doc: &Map<String, Value>) -> (Option<Key>, Option<Key>) {
    let user_name = doc.get("userName").and_then(Value::as_str).map(|u| keys::user_name(tenant, u));
    let external_id = doc.get("externalId").and_then(Value::as_str).map(|x| keys::user_external_id(tenant, x));
    (user_name, external_id)
}

/// Checks the key attributes of a validated user document.
fn check_doc(doc: &Value) -> Result<Map<String, Value>, ScimError> {
    if key_value(doc, "userName")?.is_none() {
        return Err(ScimError::invalid_value("userName is required."));
    }
    key_value(doc, "externalId")?;
    match doc {
        Value::Object(map) => Ok(map.clone()),
        _ => Err(ScimError::invalid_value("A User must be a JSON object.")),
    }
}

impl Directory {
    pub async fn create_user(&self, tenant: &Tenant, body: &Value) -> Result<Resource, ScimError> {
        let doc = check_doc(&validate(body, &USER_TYPE)?)?;
        let id = new_id();
        let t = tenant.id();
        let created = now();
        let item = user_item(t, &id, &doc, 1, &created).with("license", tenant.configuration.default_license.as_str());
        let (user_name, external_id) = sentinels(t, &doc);
        let mut write = Write::default();
        write.push(Slot::Resource, Action::Put { item: item.clone(), condition: Some(Condition::NotExists) });
        write.move_sentinel("userName", &id, None, user_name);
        write.move_sentinel("externalId", &id, None, external_id);
        write.push(
            Slot::Other,
            Action::Update { key: keys::counters(t), updates: vec![Update::Add("users".into(), 1)], condition: None },
        );
        if !write.run(self, "user").await? {
            return Err(StoreError::Other("a new user id collided".into()).into());
        }
        Ok(render::resource(&USER_TYPE, tenant, &id, &item, Some(("groups", Value::Array(vec![]))))?)
    }

    /// The stored item of a user, or 404.
    async fn user_item(&self, tenant: &Tenant, id: &str) -> Result<(String, Item), ScimError> {
        let not_found = || ScimError::not_found(format!("No user with id {id:?} exists in this tenant."));
        let id = parse_id(id).ok_or_else(not_found)?;
        let item = self.table.get(&keys::user(tenant.id(), &id)).await?.ok_or_else(not_found)?;
        Ok((id, item))
    }

    /// The ids of the groups a user belongs to.
    async fn group_ids_of(&self, tenant: &Tenant, user_id: &str) -> Result<Vec<String>, StoreError> {
        let mut query = Query::new(Index::Gsi1, keys::memberships_index(tenant.id(), user_id));
        query.limit = 1000;
        let mut ids = Vec::new();
        loop {
            let page = self.table.query(&query).await?;
            ids.extend(page.items.iter().filter_map(|m| m.str("group_id").map(str::to_owned)));
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(ids),
            }
        }
    }

    /// Renders a user item, with its groups when the client wants them.
    pub(super) async fn render_user(
        &self,
        tenant: &Tenant,
        item: &Item,
        with_groups: bool,
    ) -> Result<Resource, ScimError> {
        let id = item.key.sk.strip_prefix(keys::USER_PREFIX).unwrap_or_default();
        let groups = if with_groups {
            Some(("groups", render::user_groups(tenant, &self.group_ids_of(tenant, id).await?)))
        } else {
            None
        };
        Ok(render::resource(&USER_TYPE, tenant, id, item, groups)?)
    }

    pub async fn get_user(&self, tenant: &Tenant, id: &str, with_groups: bool) -> Result<Resource, ScimError> {
        let (_, item) = self.user_item(tenant, id).await?;
        self.render_user(tenant, &item, with_groups).await
    }

    /// PUT: the body replaces every client-owned attribute.
    pub async fn replace_user(
        &self,
        tenant: &Tenant,
        id: &str,
        body: &Value,
        precondition: &Precondition,
    ) -> Result<Resource, ScimError> {
        let doc = check_doc(&validate(body, &USER_TYPE)?)?;
        self.update_user(tenant, id, precondition, |_| Ok(doc.clone())).await
    }

    /// PATCH: RFC 7644 §3.5.2 operations applied to the stored document.
    pub async fn patch_user(
        &self,
        tenant: &Tenant,
        id: &str,
        body: &Value,
        precondition: &Precondition,
    ) -> Result<Resource, ScimError> {
        let ops = patch::parse(body)?;
        self.update_user(tenant, id, precondition, |current| {
            let mut doc = Value::Object(current.clone());
            patch::apply(&mut doc, &ops, &USER_TYPE)?;
            check_doc(&doc)
        })
        .await
    }

    /// Reads the user, computes its new document with `change`, and writes it conditional on
    /// the version read; a lost race is retried unless the client pinned a version.
    async fn update_user(
        &self,
        tenant: &Tenant,
        id: &str,
        precondition: &Precondition,
        change: impl Fn(&Map<String, Value>) -> Result<Map<String, Value>, ScimError>,
    ) -> Result<Resource, ScimError> {
        let t = tenant.id();
        for _ in 0..WRITE_ATTEMPTS {
            let (id, current) = self.user_item(tenant, id).await?;
            let version = render::version(&current)?;
            precondition.check(version)?;
            let old_doc = render::doc(&current)?;
            let new_doc = change(&old_doc)?;
            let created = current.str("created").unwrap_or_default().to_owned();
            let mut item = user_item(t, &id, &new_doc, version + 1, &created);
            // Attributes the directory owns (license, …) survive a change of the document.
            for (name, value) in &current.attrs {
                if !matches!(name.as_str(), "doc" | "version" | "modified" | "created") {
                    item.attrs.entry(name.clone()).or_insert_with(|| value.clone());
                }
            }
            let (old_un, old_x) = sentinels(t, &old_doc);
            let (new_un, new_x) = sentinels(t, &new_doc);
            let mut write = Write::default();
            let condition = Condition::AttrEq("version".into(), version.into());
            write.push(Slot::Resource, Action::Put { item: item.clone(), condition: Some(condition) });
            write.move_sentinel("userName", &id, old_un, new_un);
            write.move_sentinel("externalId", &id, old_x, new_x);
            if write.run(self, "user").await? {
                return self.render_user(tenant, &item, true).await;
            }
            if precondition.is_set() {
                return Err(ScimError::precondition_failed("The user changed while this request was applied."));
            }
        }
        Err(ScimError::unavailable(1))
    }

    /// DELETE: the user leaves the SCIM view and its groups; the subscription keeps a copy
    /// for its history.
    pub async fn delete_user(&self, tenant: &Tenant, id: &str, precondition: &Precondition) -> Result<(), ScimError> {
        let t = tenant.id();
        let (id, current) = self.user_item(tenant, id).await?;
        precondition.check(render::version(&current)?)?;
        for group_id in self.group_ids_of(tenant, &id).await? {
            self.remove_members(tenant, &group_id, std::slice::from_ref(&id)).await?;
        }
        let doc = render::doc(&current)?;
        let (user_name, external_id) = sentinels(t, &doc);
        let mut kept = current.clone();
        kept.key = keys::deleted_user(t, &id);
        kept.attrs.insert("deleted".into(), now().into());
        let mut write = Write::default();
        let condition = Condition::AttrEq("version".into(), render::version(&current)?.into());
        write.push(Slot::Resource, Action::Delete { key: current.key.clone(), condition: Some(condition) });
        write.move_sentinel("userName", &id, user_name, None);
        write.move_sentinel("externalId", &id, external_id, None);
        write.push(Slot::Other, Action::Put { item: kept, condition: None });
        write.push(
            Slot::Other,
            Action::Update { key: keys::counters(t), updates: vec![Update::Add("users".into(), -1)], condition: None },
        );
        if write.run(self, "user").await? {
            Ok(())
        } else {
            Err(ScimError::precondition_failed("The user changed while it was being deleted; retry."))
        }
    }

    pub async fn list_users(&self, tenant: &Tenant, params: &ListParams) -> Result<ListPage, ScimError> {
        listing::list(self, tenant, &USER_TYPE, params).await
    }

    /// The user whose sentinel `key` points at, if any.
    pub(super) async fn user_by_sentinel(&self, tenant: &Tenant, key: &Key) -> Result<Option<Item>, StoreError> {
        let Some(sentinel) = self.table.get(key).await? else { return Ok(None) };
        let Some(id) = sentinel.str("id") else { return Ok(None) };
        self.table.get(&keys::user(tenant.id(), id)).await
    }
}
