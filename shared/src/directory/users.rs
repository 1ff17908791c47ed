//! Users: create, read, replace, patch, delete, list. The storage they share with groups is
//! in `resources`; what is particular to users is here: the license a new user gets, the
//! `groups` attribute (kept on the user item by `members`), and the copy a deleted user leaves.

use serde_json::{Map, Value};

use super::listing::{self, ListPage, ListParams};
use super::members::{Presence, USER_GROUPS};
use super::render;
use super::resources::{failed, new_resource, Kind, Part, USERS};
use super::{Directory, Precondition, Resource, Tenant, WRITE_ATTEMPTS};
use crate::audit::Cause;
use crate::clock::now;
use crate::keys;
use crate::licenses::{Holder, Reason, Seating};
use crate::scim::patch;
use crate::scim::resource::validate;
use crate::scim::schema::USER_TYPE;
use crate::scim::ScimError;
use crate::store::{Action, Condition, Item, Key, Update};
use crate::tenants::Configuration;
use crate::transaction::Failure;

impl Directory {
    /// POST: a new user of the tenant and of its subscription, seated by the rules in the
    /// same transaction (or waiting for a seat). A userName already naming a subscription user
    /// that no configuration provisions takes that user over (201, its id; audited as
    /// `adopt`); one provisioned by a configuration is a 409 naming it.
    pub async fn create_user(&self, tenant: &Tenant, body: &Value) -> Result<Resource, ScimError> {
        let doc = USERS.check_doc(validate(body, &USER_TYPE)?)?;
        let mut adopting = None;
        for _ in 0..WRITE_ATTEMPTS {
            match self.try_create_user(tenant, &doc, adopting.take()).await? {
                Attempt::Created(user) => return Ok(user),
                Attempt::Changed => {}
                Attempt::UserNameTaken => adopting = self.adoptable(tenant, &doc).await?,
            }
        }
        Err(ScimError::unavailable(1))
    }

    /// One transaction creating the user (taking over `adopting`, if given) with its seat.
    async fn try_create_user(
        &self,
        tenant: &Tenant,
        doc: &Map<String, Value>,
        adopting: Option<Holder>,
    ) -> Result<Attempt, ScimError> {
        let held: Map<String, Value> = match &adopting {
            Some(_) => doc.iter().filter(|(k, _)| *k == "userName").map(|(k, v)| (k.clone(), v.clone())).collect(),
            None => Map::new(),
        };
        let (item, mut write) =
            new_resource(&USERS, tenant, doc, vec![], adopting.as_ref().map(|h| h.id.as_str()), &held)?;
        let id = USERS.id_of(&item);
        let (before, after, cause) = match adopting {
            None => (None, describe(Holder::new(id, "", &now()), doc, tenant), Cause::ScimCreate),
            Some(holder) => {
                // Its userName sentinel names it already; now it names this tenant too.
                if let Some(key) = user_name_key(tenant, doc) {
                    let updates = vec![Update::Set("tenant".into(), tenant.id().into())];
                    let condition = Some(Condition::AttrEq("id".into(), id.into()));
                    write.push(Part::Resource, Action::Update { key, updates, condition });
                }
                // Its license is this configuration's to decide now (the override goes).
                let after = describe(Holder { license_override: None, ..holder.clone() }, doc, tenant);
                (Some(holder), after, Cause::Adopt)
            }
        };
        let snapshot = self.licenses.snapshot(&tenant.configuration.subscription).await?;
        let mut seating = Seating::new(snapshot);
        let reason = Reason { cause, actor: tenant.id().to_owned(), explicit: false };
        seating.seat(before.as_ref(), after, &reason);
        seating.push_into(&mut write, Part::License);
        match write.commit(&*self.table).await {
            Ok(()) => {
                self.settle(&seating).await;
                let groups = Some(("groups", Value::Array(vec![])));
                Ok(Attempt::Created(render::resource(&USER_TYPE, tenant, id, &item, groups)?))
            }
            Err(Failure::Condition(Part::Unique("userName"))) => Ok(Attempt::UserNameTaken),
            // Another unique value taken is the client's 409; anything else changed meanwhile.
            Err(failure) => failed(failure, &USERS).map(|()| Attempt::Changed),
        }
    }

    /// The subscription user whose userName `doc` takes, if no configuration provisions it
    /// (so this one may take it over); a 409 saying who has it otherwise. None: it went
    /// meanwhile (try again).
    async fn adoptable(&self, tenant: &Tenant, doc: &Map<String, Value>) -> Result<Option<Holder>, ScimError> {
        let Some(key) = user_name_key(tenant, doc) else { return Ok(None) };
        let Some(sentinel) = self.table.get(&key).await? else { return Ok(None) };
        match sentinel.str("tenant") {
            Some(owner) if owner == tenant.id() => {
                Err(ScimError::uniqueness("A user with this userName already exists in this tenant."))
            }
            Some(owner) => {
                let configuration = self.table.get(&keys::tenant(owner)).await?;
                let configuration = configuration.as_ref().and_then(Configuration::from_item);
                let name = configuration.as_ref().map_or(owner, |c| c.name.as_str());
                Err(ScimError::uniqueness(format!(
                    "This userName belongs to a user of the provisioning configuration {name:?}: a userName names \
                     one user in the whole subscription. Remove it there first, or use another userName."
                )))
            }
            None => {
                let id = sentinel.str("id").unwrap_or_default();
                match self.licenses.holder(&tenant.configuration.subscription, id).await? {
                    Some(holder) if holder.configuration.is_none() => Ok(Some(holder)),
                    _ => Ok(None),
                }
            }
        }
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
        let subscription = &tenant.configuration.subscription;
        let (snapshot, before) = self.licenses.snapshot_with_holder(subscription, id).await?;
        // A user created before subscription users existed becomes one on its next change.
        let current = before.clone().unwrap_or_else(|| Holder::new(id, "", &now()));
        let (after, cause) = match new {
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
        let mut seating = Seating::new(snapshot);
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
                    let left = self.remove_members(tenant, &group_id, std::slice::from_ref(&id), &mut presence).await;
                    self.follow(tenant, &presence).await;
                    left?;
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

/// The key of the userName sentinel of `doc` (which a checked document has).
fn user_name_key(tenant: &Tenant, doc: &Map<String, Value>) -> Option<Key> {
    let unique = USERS.unique.iter().find(|(attr, _, _)| *attr == "userName")?;
    Kind::sentinel_key(tenant, unique, doc.get("userName")?.as_str()?)
}

/// How one attempt at a create ended.
enum Attempt {
    Created(Resource),
    /// A pool or a user changed since it was read: plan again.
    Changed,
    /// The userName names a subscription user already: adopt it, or say who has it.
    UserNameTaken,
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
