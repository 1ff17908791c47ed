//! Users: create, read, replace, patch, delete, list. The storage they share with groups is
//! in `resources`; what is particular to users is here: the license a new user gets, the
//! `groups` attribute (kept on the user item by `members`), and the copy a deleted user leaves.

use serde_json::{Map, Value};

use super::listing::{self, ListPage, ListParams};
use super::members::{Presence, USER_GROUPS};
use super::render;
use super::resources::USERS;
use super::{Directory, Precondition, Resource, Tenant, WRITE_ATTEMPTS};
use crate::clock::now;
use crate::keys;
use crate::scim::patch;
use crate::scim::resource::validate;
use crate::scim::schema::USER_TYPE;
use crate::scim::ScimError;
use crate::store::Item;

impl Directory {
    pub async fn create_user(&self, tenant: &Tenant, body: &Value) -> Result<Resource, ScimError> {
        let doc = USERS.check_doc(validate(body, &USER_TYPE)?)?;
        let license = tenant.configuration.default_license.as_str();
        let item = self.create_resource(&USERS, tenant, doc, vec![("license", license.into())]).await?;
        Ok(render::resource(&USER_TYPE, tenant, USERS.id_of(&item), &item, Some(("groups", Value::Array(vec![]))))?)
    }

    /// Renders a user item, with its groups when the client wants them.
    pub(super) fn render_user(&self, tenant: &Tenant, item: &Item, with_groups: bool) -> Result<Resource, ScimError> {
        let id = USERS.id_of(item);
        let groups = with_groups.then(|| ("groups", render::user_groups(tenant, group_ids(item))));
        Ok(render::resource(&USER_TYPE, tenant, id, item, groups)?)
    }

    pub async fn get_user(&self, tenant: &Tenant, id: &str, with_groups: bool) -> Result<Resource, ScimError> {
        let item = self.read_resource(&USERS, tenant, id).await?;
        self.render_user(tenant, &item, with_groups)
    }

    /// PUT: the body replaces every client-owned attribute.
    pub async fn replace_user(
        &self,
        tenant: &Tenant,
        id: &str,
        body: &Value,
        precondition: &Precondition,
    ) -> Result<Resource, ScimError> {
        let doc = USERS.check_doc(validate(body, &USER_TYPE)?)?;
        let item = self.update_resource(&USERS, tenant, id, precondition, |_| Ok(doc.clone())).await?;
        self.render_user(tenant, &item, true)
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
        let item = self.update_resource(&USERS, tenant, id, precondition, |current| patched(current, &ops)).await?;
        self.render_user(tenant, &item, true)
    }

    /// DELETE: the user leaves the SCIM view and its groups; the subscription keeps a copy
    /// for its history.
    pub async fn delete_user(&self, tenant: &Tenant, id: &str, precondition: &Precondition) -> Result<(), ScimError> {
        let mut item = self.read_resource(&USERS, tenant, id).await?;
        precondition.check(render::version(&item)?)?;
        for _ in 0..WRITE_ATTEMPTS {
            let id = USERS.id_of(&item).to_owned();
            let groups: Vec<String> = group_ids(&item).cloned().collect();
            if !groups.is_empty() {
                // Leaving each group changes the user's version: read it again afterwards.
                for group_id in groups {
                    let mut presence = Presence::default();
                    self.remove_members(tenant, &group_id, std::slice::from_ref(&id), &mut presence).await?;
                }
                item = self.read_resource(&USERS, tenant, &id).await?;
                continue;
            }
            let mut kept = item.clone();
            kept.key = keys::deleted_user(tenant.id(), &id);
            kept.attrs.insert("deleted".into(), now().into());
            if self.delete_resource(&USERS, tenant, &item, Some(kept)).await? {
                return Ok(());
            }
            // Changed meanwhile (a PUT, a new group): read it again.
            item = self.read_resource(&USERS, tenant, &id).await?;
        }
        Err(ScimError::unavailable(1))
    }

    pub async fn list_users(&self, tenant: &Tenant, params: &ListParams) -> Result<ListPage, ScimError> {
        listing::list(self, tenant, &USERS, params).await
    }
}

/// The ids of the groups a user belongs to, as its item records them.
fn group_ids(item: &Item) -> impl Iterator<Item = &String> {
    item.set(USER_GROUPS).into_iter().flatten()
}

fn patched(current: &Map<String, Value>, ops: &[patch::PatchOperation]) -> Result<Map<String, Value>, ScimError> {
    let mut doc = Value::Object(current.clone());
    patch::apply(&mut doc, ops, &USER_TYPE)?;
    USERS.check_doc(doc)
}
