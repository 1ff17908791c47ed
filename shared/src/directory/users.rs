//! Users: create, read, replace, patch, delete, list. The storage they share with groups is
//! in `resources`; what is particular to users is here: the license a new user gets, the
//! `groups` attribute (kept on the user item by `members`), and the copy a deleted user leaves.

use serde_json::{Map, Value};

use super::listing::{self, ListPage, ListParams};
use super::members::{Presence, USER_GROUPS};
use super::render;
use super::resources::{commit, new_resource, Part, USERS};
use super::{Directory, Precondition, Resource, Tenant, WRITE_ATTEMPTS};
use crate::audit::Cause;
use crate::clock::now;
use crate::keys;
use crate::licenses::{Holder, Reason, Seating};
use crate::scim::patch;
use crate::scim::resource::validate;
use crate::scim::schema::USER_TYPE;
use crate::scim::ScimError;
use crate::store::Item;

impl Directory {
    /// POST: a new user of the tenant and of its subscription, seated by the rules in the
    /// same transaction (or waiting for a seat).
    pub async fn create_user(&self, tenant: &Tenant, body: &Value) -> Result<Resource, ScimError> {
        let doc = USERS.check_doc(validate(body, &USER_TYPE)?)?;
        for _ in 0..WRITE_ATTEMPTS {
            let (item, mut write) = new_resource(&USERS, tenant, &doc, vec![])?;
            let id = USERS.id_of(&item);
            let snapshot = self.licenses.snapshot(&tenant.configuration.subscription).await?;
            let mut seating = Seating::new(snapshot);
            let reason = Reason { cause: Cause::ScimCreate, actor: tenant.id().to_owned(), explicit: false };
            seating.seat(None, describe(Holder::new(id, "", &now()), &doc, tenant), &reason);
            seating.push_into(&mut write, Part::License);
            // A failed condition is a pool that changed since it was read (or an id collision).
            if commit(write, self, &USERS).await? {
                self.settle(&seating).await;
                let groups = Some(("groups", Value::Array(vec![])));
                return Ok(render::resource(&USER_TYPE, tenant, id, &item, groups)?);
            }
        }
        Err(ScimError::unavailable(1))
    }

    /// Plans the seat of the subscription user `id` whose SCIM document goes from `old` to
    /// `new` (None: deleted through SCIM, so it stays in the subscription disabled and
    /// unprovisioned). None, without a read, when nothing the licenses service keeps of it
    /// changes.
    pub(super) async fn seat_user(
        &self,
        tenant: &Tenant,
        id: &str,
        old: &Map<String, Value>,
        new: Option<&Map<String, Value>>,
    ) -> Result<Option<Seating>, ScimError> {
        let kept = |doc: &Map<String, Value>| {
            let probe = describe(Holder::new(id, "", ""), doc, tenant);
            (probe.user_name, probe.display_name, probe.enabled)
        };
        if new.is_some_and(|new| kept(new) == kept(old)) {
            return Ok(None);
        }
        let doc = new;
        let subscription = &tenant.configuration.subscription;
        let (snapshot, before) =
            futures::join!(self.licenses.snapshot(subscription), self.licenses.holder(subscription, id));
        let before = before?;
        // A user created before subscription users existed becomes one on its next change.
        let current = before.clone().unwrap_or_else(|| Holder::new(id, "", &now()));
        let (after, cause) = match doc {
            Some(doc) => {
                let after = describe(current.clone(), doc, tenant);
                let cause = match (current.enabled, after.enabled) {
                    (true, false) => Cause::Deactivate,
                    (false, true) => Cause::Reactivate,
                    _ => Cause::ScimUpdate,
                };
                (after, cause)
            }
            None => (Holder { enabled: false, configuration: None, ..current }, Cause::ScimDelete),
        };
        if before.as_ref() == Some(&after) {
            return Ok(None);
        }
        let mut seating = Seating::new(snapshot?);
        let reason = Reason { cause, actor: tenant.id().to_owned(), explicit: false };
        seating.seat(before.as_ref(), after, &reason);
        Ok(Some(seating))
    }

    /// Serves the queues a committed plan freed seats of. The user change is done by then; a
    /// failure here leaves the queue to the next change of the pool (and the check reports it).
    pub(super) async fn settle(&self, seating: &Seating) {
        if let Err(e) = self.licenses.settle(seating).await {
            tracing::warn!(error = %e, "serving the waiting queues failed; the next seat change serves them");
        }
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

/// `holder` as the SCIM document `doc` of `tenant` describes it: its names, whether it is
/// active, and its source configuration with that configuration's default license.
fn describe(mut holder: Holder, doc: &Map<String, Value>, tenant: &Tenant) -> Holder {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    holder.user_name = text(doc.get("userName")).unwrap_or_default();
    holder.display_name =
        text(doc.get("displayName")).or_else(|| text(doc.get("name").and_then(|n| n.get("formatted"))));
    holder.enabled = match doc.get("active") {
        Some(Value::Bool(active)) => *active,
        Some(Value::String(active)) => !active.eq_ignore_ascii_case("false"),
        _ => true,
    };
    holder.configuration = Some(tenant.id().to_owned());
    holder.default_license = tenant.configuration.default_license;
    holder
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
