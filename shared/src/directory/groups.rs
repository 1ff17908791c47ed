//! Groups: create, read, replace, patch, delete, list. The storage they share with users is
//! in `resources`; what is particular to groups is here: their members, which are items of
//! their own (see `members`), so membership changes never rewrite the group's document.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::listing::{self, ListPage, ListParams};
use super::members::{member_id, members_to_add, MemberToAdd, Presence};
use super::render;
use super::resources::GROUPS;
use super::{parse_id, Directory, Precondition, Resource, Tenant, WRITE_ATTEMPTS};
use crate::keys::GROUP_LINKS;
use crate::scim::patch::{self, MemberChange};
use crate::scim::resource::{take_members, validate};
use crate::scim::schema::GROUP_TYPE;
use crate::scim::ScimError;
use crate::store::Item;
use crate::vaults::Cause;

impl Directory {
    pub async fn create_group(&self, tenant: &Tenant, body: &Value) -> Result<Resource, ScimError> {
        let doc = GROUPS.check_doc(validate(body, &GROUP_TYPE)?)?;
        let members = members_of(body)?;
        let mut presence = self.read_presence(tenant, None, ids(&members), std::iter::empty()).await?;
        let item = self.create_resource(&GROUPS, tenant, doc, vec![("members", 0i64.into())]).await?;
        let id = GROUPS.id_of(&item);
        if members.is_empty() {
            // Group Push creates groups empty: the answer is what was just written.
            return Ok(render::resource(&GROUP_TYPE, tenant, id, &item, Some(("members", Value::Array(vec![]))))?);
        }
        presence.new_group(tenant, id, &members);
        self.add_members(tenant, id, &members, &mut presence).await?;
        // (A new group has no links yet: nothing to follow.)
        self.get_group(tenant, id, true).await
    }

    pub(super) async fn render_group(
        &self,
        tenant: &Tenant,
        item: &Item,
        with_members: bool,
    ) -> Result<Resource, ScimError> {
        let id = GROUPS.id_of(item);
        let members = match with_members {
            true => Some(("members", render::group_members(tenant, &self.member_items(tenant, id).await?))),
            false => None,
        };
        Ok(render::resource(&GROUP_TYPE, tenant, id, item, members)?)
    }

    pub async fn get_group(&self, tenant: &Tenant, id: &str, with_members: bool) -> Result<Resource, ScimError> {
        let item = self.read_resource(&GROUPS, tenant, id).await?;
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
        let doc = GROUPS.check_doc(validate(body, &GROUP_TYPE)?)?;
        let members = members_of(body)?;
        let mut presence = self.read_presence(tenant, None, ids(&members), std::iter::empty()).await?;
        let item = self.update_resource(&GROUPS, tenant, id, precondition, |_| Ok(doc.clone())).await?;
        let id = GROUPS.id_of(&item);
        let replaced = self.replace_members(tenant, id, &members, &mut presence).await;
        self.follow(tenant, &presence).await;
        replaced?;
        self.get_group(tenant, id, true).await
    }

    /// PATCH: document operations first, then membership changes in request order. Every
    /// member id is checked before anything is written, so a bad id changes nothing.
    /// Returns the group's id.
    pub async fn patch_group(
        &self,
        tenant: &Tenant,
        id: &str,
        body: &Value,
        precondition: &Precondition,
    ) -> Result<String, ScimError> {
        let mut ops = patch::parse(body)?;
        let displays = member_displays(body);
        let changes = patch::split_member_changes(&mut ops)?
            .into_iter()
            .map(|change| canonical(change, &displays))
            .collect::<Result<Vec<_>, _>>()?;
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for change in &changes {
            match change {
                Change::Add(members) | Change::Replace(members) => added.extend(ids(members)),
                Change::Remove(ids) => removed.extend(ids.iter().map(String::as_str)),
                Change::RemoveAll => {}
            }
        }
        let group_id = parse_id(id);
        let mut presence =
            self.read_presence(tenant, group_id.as_deref(), added.into_iter(), removed.into_iter()).await?;
        let item = self.update_resource(&GROUPS, tenant, id, precondition, |current| patched(current, &ops)).await?;
        let id = GROUPS.id_of(&item).to_owned();
        let changed = self.change_members(tenant, &id, changes, &mut presence).await;
        // What was written is followed, also when a later change failed.
        self.follow(tenant, &presence).await;
        changed.map(|()| id)
    }

    /// Applies a PATCH's membership changes in order.
    async fn change_members(
        &self,
        tenant: &Tenant,
        id: &str,
        changes: Vec<Change>,
        presence: &mut Presence,
    ) -> Result<(), ScimError> {
        for change in changes {
            match change {
                Change::Add(members) => self.add_members(tenant, id, &members, presence).await?,
                Change::Remove(ids) => self.remove_members(tenant, id, &ids, presence).await?,
                Change::RemoveAll => self.replace_members(tenant, id, &[], presence).await?,
                Change::Replace(members) => self.replace_members(tenant, id, &members, presence).await?,
            }
        }
        Ok(())
    }

    /// DELETE: its links go first (their targets keep their members), then the members, then
    /// the group once no member was added meanwhile.
    pub async fn delete_group(&self, tenant: &Tenant, id: &str, precondition: &Precondition) -> Result<(), ScimError> {
        for _ in 0..WRITE_ATTEMPTS {
            let item = self.read_resource(&GROUPS, tenant, id).await?;
            precondition.check(render::version(&item)?)?;
            let group_id = GROUPS.id_of(&item);
            if let Some(links) = item.set(GROUP_LINKS) {
                let subscription = &tenant.configuration.subscription;
                for link in links {
                    crate::vaults::unlink(&*self.table, subscription, link, Cause::SourceDeleted).await?;
                }
            }
            let mut presence = Presence::default();
            let emptied = self.replace_members(tenant, group_id, &[], &mut presence).await;
            // A link made meanwhile follows the members' leaving.
            self.follow(tenant, &presence).await;
            emptied?;
            // Removing the members changed the group's version: delete the group as it is now.
            let item = self.read_resource(&GROUPS, tenant, id).await?;
            if item.i64("members").unwrap_or(0) == 0 && self.delete_resource(&GROUPS, tenant, &item, None).await? {
                return Ok(());
            }
        }
        Err(ScimError::unavailable(1))
    }

    pub async fn list_groups(&self, tenant: &Tenant, params: &ListParams) -> Result<ListPage, ScimError> {
        listing::list(self, tenant, &GROUPS, params).await
    }
}

fn patched(current: &Map<String, Value>, ops: &[patch::PatchOperation]) -> Result<Map<String, Value>, ScimError> {
    let mut doc = Value::Object(current.clone());
    patch::apply(&mut doc, ops, &GROUP_TYPE)?;
    GROUPS.check_doc(doc)
}

/// A PATCH's membership change, with canonical member ids (and the `display` sent for each
/// member added). An id to remove that cannot name a user names no member: it is dropped.
enum Change {
    Add(Vec<MemberToAdd>),
    Remove(Vec<String>),
    RemoveAll,
    Replace(Vec<MemberToAdd>),
}

/// The ids of `members`.
fn ids(members: &[MemberToAdd]) -> impl Iterator<Item = &str> {
    members.iter().map(|m| m.id.as_str())
}

/// The members of a POST or PUT body, with the `display` the client sent for each.
fn members_of(body: &Value) -> Result<Vec<MemberToAdd>, ScimError> {
    members_to_add(take_members(body)?, &displays_in(body.get("members")))
}

/// `change` with canonical member ids.
fn canonical(change: MemberChange, displays: &HashMap<String, String>) -> Result<Change, ScimError> {
    Ok(match change {
        MemberChange::Add(ids) => Change::Add(members_to_add(ids, displays)?),
        MemberChange::Replace(ids) => Change::Replace(members_to_add(ids, displays)?),
        MemberChange::Remove(ids) => Change::Remove(ids.iter().filter_map(|id| member_id(id)).collect()),
        MemberChange::RemoveAll => Change::RemoveAll,
    })
}

/// The `display` the client sent for each member id anywhere in a PATCH body.
fn member_displays(body: &Value) -> HashMap<String, String> {
    let ops = body.get("Operations").or_else(|| body.get("operations")).and_then(Value::as_array);
    ops.into_iter()
        .flatten()
        .filter_map(|op| op.get("value"))
        .flat_map(|value| displays_in(Some(value).filter(|v| v.is_array()).or_else(|| value.get("members"))))
        .collect()
}

/// `value` → `display` of an array of member objects.
fn displays_in(members: Option<&Value>) -> HashMap<String, String> {
    let members = members.and_then(Value::as_array).into_iter().flatten();
    members
        .filter_map(|m| Some((m.get("value")?.as_str()?.to_owned(), m.get("display")?.as_str()?.to_owned())))
        .collect()
}
