//! Groups: create, read, replace, patch, delete, list.
//!
//! A group is one item (document, version, member count) plus a displayName sentinel; its
//! members are items of their own (see `members`), so membership changes never rewrite the
//! group's document.

use serde_json::{Map, Value};

use super::listing::{self, ListPage, ListParams};
use super::members::MemberToAdd;
use super::render;
use super::users::{Slot, Write};
use super::{key_value, keys, new_id, now, parse_id, Directory, Precondition, Resource, Tenant, WRITE_ATTEMPTS};
use crate::scim::patch::{self, MemberChange};
use crate::scim::resource::{take_members, validate};
use crate::scim::schema::GROUP_TYPE;
use crate::scim::ScimError;
use crate::store::{Action, Condition, Item, Key, StoreError, Update};

fn group_item(tenant: &str, id: &str, doc: &Map<String, Value>, version: i64, created: &str) -> Item {
    Item::new(keys::group(tenant, id))
        .with("doc", Value::Object(doc.clone()).to_string())
        .with("version", version)
        .with("created", created)
        .with("modified", now())
}

fn sentinels(tenant: &str, doc: &Map<String, Value>) -> (Option<Key>, Option<Key>) {
    let name = doc.get("displayName").and_then(Value::as_str).map(|n| keys::group_name(tenant, n));
    let external_id = doc.get("externalId").and_then(Value::as_str).map(|x| keys::group_external_id(tenant, x));
    (name, external_id)
}

fn check_doc(doc: &Value) -> Result<Map<String, Value>, ScimError> {
    if key_value(doc, "displayName")?.is_none() {
        return Err(ScimError::invalid_value("displayName is required."));
    }
    key_value(doc, "externalId")?;
    match doc {
        Value::Object(map) => Ok(map.clone()),
        _ => Err(ScimError::invalid_value("A Group must be a JSON object.")),
    }
}

/// Member ids (with their `display`, when sent) of a POST or PUT body.
fn members_of(body: &Value) -> Result<Vec<MemberToAdd>, ScimError> {
    let ids = take_members(body)?;
    let displays: Vec<Option<String>> = body
        .get("members")
        .and_then(Value::as_array)
        .map(|ms| ms.iter().map(|m| m.get("display").and_then(Value::as_str).map(str::to_owned)).collect())
        .unwrap_or_default();
    Ok(ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| MemberToAdd { id, display: displays.get(i).cloned().flatten() })
        .collect())
}

impl Directory {
    pub async fn create_group(&self, tenant: &Tenant, body: &Value) -> Result<Resource, ScimError> {
        let doc = check_doc(&validate(body, &GROUP_TYPE)?)?;
        let members = members_of(body)?;
        self.check_users_exist(tenant, members.iter().map(|m| m.id.as_str())).await?;
        let id = new_id();
        let t = tenant.id();
        let created = now();
        let item = group_item(t, &id, &doc, 1, &created).with("members", 0i64);
        let (name, external_id) = sentinels(t, &doc);
        let mut write = Write::default();
        write.push(Slot::Resource, Action::Put { item, condition: Some(Condition::NotExists) });
        write.move_sentinel("displayName", &id, None, name);
        write.move_sentinel("externalId", &id, None, external_id);
        write.push(
            Slot::Other,
            Action::Update { key: keys::counters(t), updates: vec![Update::Add("groups".into(), 1)], condition: None },
        );
        if !write.run(self, "group").await? {
            return Err(StoreError::Other("a new group id collided".into()).into());
        }
        self.add_members(tenant, &id, &members).await?;
        self.get_group(tenant, &id, true).await
    }

    async fn group_item(&self, tenant: &Tenant, id: &str) -> Result<(String, Item), ScimError> {
        let not_found = || ScimError::not_found(format!("No group with id {id:?} exists in this tenant."));
        let id = parse_id(id).ok_or_else(not_found)?;
        let item = self.table.get(&keys::group(tenant.id(), &id)).await?.ok_or_else(not_found)?;
        Ok((id, item))
    }

    pub(super) async fn render_group(
        &self,
        tenant: &Tenant,
        item: &Item,
        with_members: bool,
    ) -> Result<Resource, ScimError> {
        let id = item.key.sk.strip_prefix(keys::GROUP_PREFIX).unwrap_or_default();
        let members = if with_members {
            Some(("members", render::group_members(tenant, &self.member_items(tenant, id).await?)))
        } else {
            None
        };
        Ok(render::resource(&GROUP_TYPE, tenant, id, item, members)?)
    }

    pub async fn get_group(&self, tenant: &Tenant, id: &str, with_members: bool) -> Result<Resource, ScimError> {
        let (_, item) = self.group_item(tenant, id).await?;
        self.render_group(tenant, &item, with_members).await
    }

    /// PUT: replaces the document and the whole membership.
    pub async fn replace_group(
        &self,
        tenant: &Tenant,
        id: &str,
        body: &Value,
        precondition: &Precondition,
    ) -> Result<Resource, ScimError> {
        let doc = check_doc(&validate(body, &GROUP_TYPE)?)?;
        let members = members_of(body)?;
        self.check_users_exist(tenant, members.iter().map(|m| m.id.as_str())).await?;
        let id = self.update_group(tenant, id, precondition, |_| Ok(doc.clone())).await?;
        self.replace_members(tenant, &id, &members).await?;
        self.get_group(tenant, &id, true).await
    }

    /// PATCH: document operations first, then membership changes in request order. Every
    /// member id is checked before anything is written, so a bad id changes nothing.
    pub async fn patch_group(
        &self,
        tenant: &Tenant,
        id: &str,
        body: &Value,
        precondition: &Precondition,
    ) -> Result<String, ScimError> {
        let mut ops = patch::parse(body)?;
        let changes = patch::split_member_changes(&mut ops)?;
        let displays = member_displays(body);
        let added = changes.iter().flat_map(|c| match c {
            MemberChange::Add(ids) | MemberChange::Replace(ids) => ids.as_slice(),
            _ => &[],
        });
        self.check_users_exist(tenant, added.map(String::as_str)).await?;
        let (id, _) = self.group_item(tenant, id).await?;
        if !ops.is_empty() || precondition.is_set() {
            self.update_group(tenant, &id, precondition, |current| {
                let mut doc = Value::Object(current.clone());
                patch::apply(&mut doc, &ops, &GROUP_TYPE)?;
                check_doc(&doc)
            })
            .await?;
        }
        let with_display = |ids: &[String]| -> Vec<MemberToAdd> {
            ids.iter().map(|id| MemberToAdd { id: id.clone(), display: displays.get(id).cloned() }).collect()
        };
        for change in changes {
            match change {
                MemberChange::Add(ids) => self.add_members(tenant, &id, &with_display(&ids)).await?,
                MemberChange::Remove(ids) => self.remove_members(tenant, &id, &ids).await?,
                MemberChange::RemoveAll => self.replace_members(tenant, &id, &[]).await?,
                MemberChange::Replace(ids) => self.replace_members(tenant, &id, &with_display(&ids)).await?,
            }
        }
        Ok(id)
    }

    async fn update_group(
        &self,
        tenant: &Tenant,
        id: &str,
        precondition: &Precondition,
        change: impl Fn(&Map<String, Value>) -> Result<Map<String, Value>, ScimError>,
    ) -> Result<String, ScimError> {
        let t = tenant.id();
        for _ in 0..WRITE_ATTEMPTS {
            let (id, current) = self.group_item(tenant, id).await?;
            let version = render::version(&current)?;
            precondition.check(version)?;
            let old_doc = render::doc(&current)?;
            let new_doc = change(&old_doc)?;
            if new_doc == old_doc {
                // Okta renames before every membership push, usually to the same name.
                return Ok(id);
            }
            let updates = vec![
                Update::Set("doc".into(), Value::Object(new_doc.clone()).to_string().into()),
                Update::Add("version".into(), 1),
                Update::Set("modified".into(), now().into()),
            ];
            let (old_name, old_x) = sentinels(t, &old_doc);
            let (new_name, new_x) = sentinels(t, &new_doc);
            let mut write = Write::default();
            let condition = Condition::AttrEq("version".into(), version.into());
            write
                .push(Slot::Resource, Action::Update { key: current.key.clone(), updates, condition: Some(condition) });
            write.move_sentinel("displayName", &id, old_name, new_name);
            write.move_sentinel("externalId", &id, old_x, new_x);
            if write.run(self, "group").await? {
                return Ok(id);
            }
            if precondition.is_set() {
                return Err(ScimError::precondition_failed("The group changed while this request was applied."));
            }
        }
        Err(ScimError::unavailable(1))
    }

    pub async fn delete_group(&self, tenant: &Tenant, id: &str, precondition: &Precondition) -> Result<(), ScimError> {
        let t = tenant.id();
        let (id, current) = self.group_item(tenant, id).await?;
        precondition.check(render::version(&current)?)?;
        self.replace_members(tenant, &id, &[]).await?;
        let (name, external_id) = sentinels(t, &render::doc(&current)?);
        let mut write = Write::default();
        write.push(Slot::Resource, Action::Delete { key: current.key.clone(), condition: Some(Condition::Exists) });
        write.move_sentinel("displayName", &id, name, None);
        write.move_sentinel("externalId", &id, external_id, None);
        write.push(
            Slot::Other,
            Action::Update { key: keys::counters(t), updates: vec![Update::Add("groups".into(), -1)], condition: None },
        );
        if write.run(self, "group").await? {
            Ok(())
        } else {
            Err(ScimError::not_found(format!("No group with id {id:?} exists in this tenant.")))
        }
    }

    pub async fn list_groups(&self, tenant: &Tenant, params: &ListParams) -> Result<ListPage, ScimError> {
        listing::list(self, tenant, &GROUP_TYPE, params).await
    }

    pub(super) async fn group_by_sentinel(&self, tenant: &Tenant, key: &Key) -> Result<Option<Item>, StoreError> {
        let Some(sentinel) = self.table.get(key).await? else { return Ok(None) };
        let Some(id) = sentinel.str("id") else { return Ok(None) };
        self.table.get(&keys::group(tenant.id(), id)).await
    }
}

/// The `display` the client sent for each member id anywhere in a PATCH body.
fn member_displays(body: &Value) -> std::collections::HashMap<String, String> {
    let mut displays = std::collections::HashMap::new();
    let ops = body.get("Operations").or_else(|| body.get("operations")).and_then(Value::as_array);
    for op in ops.into_iter().flatten() {
        let value = op.get("value");
        let members = value.and_then(|v| v.as_array()).or_else(|| value.and_then(|v| v.get("members")?.as_array()));
        for m in members.into_iter().flatten() {
            if let (Some(id), Some(d)) =
                (m.get("value").and_then(Value::as_str), m.get("display").and_then(Value::as_str))
            {
                displays.insert(id.to_owned(), d.to_owned());
            }
        }
    }
    displays
}
