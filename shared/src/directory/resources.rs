//! What users and groups have in common: an item holding the SCIM document with a version,
//! sentinel items making the unique attributes unique within the tenant, and a counter.
//! Every write is one transaction conditional on the version it read (optimistic locking);
//! a write that lost a race is read again and retried unless the client pinned a version.

use serde_json::{Map, Value};

use super::render;
use super::{parse_id, Directory, Precondition, Tenant, MAX_KEY_VALUE_LEN, WRITE_ATTEMPTS};
use crate::clock::now;
use crate::keys;
use crate::scim::schema::{ResourceType, GROUP_TYPE, USER_TYPE};
use crate::scim::ScimError;
use crate::store::{Action, AttrValue, Condition, Item, Key, StoreError, Update, GSI1_PK, GSI1_SK, MAX_ITEM_BYTES};
use crate::transaction::{Failure, Transaction};

use crate::scim::resource::MAX_DOCUMENT_BYTES;

/// How far below the store's item limit ([`MAX_ITEM_BYTES`]) a write a client asks for must
/// leave a resource's item: room for what the directory adds without asking (a deletion mark
/// on a deleted user's copy, versions, timestamps), so those writes never fail on size.
pub(super) const ITEM_HEADROOM: usize = 1024;

/// The attribute counting the writes of a resource's document alone (`version` also counts
/// its membership changes).
const DOC_VERSION: &str = "doc_version";

/// Where the sentinel of a unique attribute's value lives: `(scope id, value) -> key`.
type SentinelKey = fn(&str, &str) -> Key;

/// What a unique attribute is unique in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    Tenant,
    /// The whole subscription: a userName names one subscription user, whichever
    /// configuration provisions it. Its sentinel outlives the SCIM resource (a SCIM DELETE
    /// leaves the subscription user), holding `id` always and `tenant` while provisioned.
    Subscription,
}

/// A unique attribute: its name, what it is unique in, and where its sentinels live.
pub(super) type Unique = (&'static str, Scope, SentinelKey);

/// One unique attribute's sentinel for one document (None: the document has no value).
pub(super) struct Sentinel {
    attr: &'static str,
    scope: Scope,
    key: Option<Key>,
}

/// A kind of resource the directory stores.
pub(super) struct Kind {
    pub rt: &'static ResourceType,
    /// "user", "group": for messages.
    pub noun: &'static str,
    pub partition: fn(&str) -> String,
    pub prefix: &'static str,
    /// The unique attributes and where their sentinels live.
    pub unique: &'static [Unique],
    /// The attribute of the tenant's counter items that counts this kind.
    pub counter: &'static str,
    /// The subscription's index partition (on `gsi1`, sorted by id) that lists resources of
    /// this kind across its tenants, if any: where the admin API finds a group by its id.
    pub index: Option<fn(&str) -> String>,
    /// Whether a resource of this kind is a subscription user, seated by the licenses
    /// service in its own transactions.
    pub licensed: bool,
    /// The attribute of the tenant's counter items that counts deletions of this kind: a
    /// delete shifts every later position, so a page bookmark made before it is stale.
    pub deletions: &'static str,
    /// The required attribute that names the resource.
    pub required: &'static str,
}

pub(super) static USERS: Kind = Kind {
    rt: &USER_TYPE,
    noun: "user",
    partition: keys::users_partition,
    prefix: keys::USER_PREFIX,
    unique: &[
        ("userName", Scope::Subscription, keys::user_name),
        ("externalId", Scope::Tenant, keys::user_external_id),
    ],
    counter: "users",
    index: None,
    licensed: true,
    deletions: "users_deleted",
    required: "userName",
};

pub(super) static GROUPS: Kind = Kind {
    rt: &GROUP_TYPE,
    noun: "group",
    partition: keys::groups_partition,
    prefix: keys::GROUP_PREFIX,
    unique: &[("displayName", Scope::Tenant, keys::group_name), ("externalId", Scope::Tenant, keys::group_external_id)],
    counter: "groups",
    index: Some(keys::subscription_groups),
    licensed: false,
    deletions: "groups_deleted",
    required: "displayName",
};

impl Kind {
    pub fn key(&self, tenant: &str, id: &str) -> Key {
        Key::new((self.partition)(tenant), format!("{}{id}", self.prefix))
    }

    /// The id of a stored item of this kind.
    pub fn id_of<'a>(&self, item: &'a Item) -> &'a str {
        item.key.sk.strip_prefix(self.prefix).unwrap_or_default()
    }

    pub fn not_found(&self, id: &str) -> ScimError {
        ScimError::not_found(format!("No {} with id {id:?} exists in this tenant.", self.noun))
    }

    /// The sentinel key of `value` of a unique attribute, or None when a value makes a key no
    /// engine takes (case folding can lengthen a value: "ß" folds to "ss").
    pub fn sentinel_key(tenant: &Tenant, (_, scope, key): &Unique, value: &str) -> Option<Key> {
        let key = match scope {
            Scope::Tenant => key(tenant.id(), value),
            Scope::Subscription => key(&tenant.configuration.subscription, value),
        };
        key.fits().then_some(key)
    }

    /// The sentinel of each unique attribute the document has a value for; 400 when a value
    /// makes no key.
    pub(super) fn sentinels(&self, tenant: &Tenant, doc: &Map<String, Value>) -> Result<Vec<Sentinel>, ScimError> {
        self.unique
            .iter()
            .map(|unique| {
                let (attr, scope, _) = *unique;
                let key = match doc.get(attr).and_then(Value::as_str) {
                    None => None,
                    Some(value) => {
                        Some(Kind::sentinel_key(tenant, unique, value).ok_or_else(|| too_long_once_folded(attr))?)
                    }
                };
                Ok(Sentinel { attr, scope, key })
            })
            .collect()
    }

    /// A document as stored: its JSON text, or 400 when it would not fit an item with room to
    /// spare for what the directory keeps beside it (a user's groups, counts, timestamps).
    fn stored(&self, doc: &Map<String, Value>) -> Result<String, ScimError> {
        let text = serde_json::to_string(doc).map_err(|e| StoreError::Other(format!("a document: {e}")))?;
        if text.len() > MAX_DOCUMENT_BYTES {
            return Err(ScimError::invalid_value(format!(
                "The {}'s attributes take {} bytes; at most {MAX_DOCUMENT_BYTES} bytes are kept per resource.",
                self.noun,
                text.len()
            )));
        }
        Ok(text)
    }

    /// Checks what the schema cannot: the naming attribute is there and not blank, and the
    /// values that become keys are bounded.
    pub fn check_doc(&self, doc: Value) -> Result<Map<String, Value>, ScimError> {
        let Value::Object(map) = doc else {
            return Err(ScimError::invalid_value(format!("A {} must be a JSON object.", self.noun)));
        };
        for (attr, _, _) in self.unique {
            match map.get(*attr).and_then(Value::as_str) {
                Some(v) if v.len() > MAX_KEY_VALUE_LEN => {
                    return Err(ScimError::invalid_value(format!("{attr} is longer than {MAX_KEY_VALUE_LEN} bytes.")))
                }
                Some(v) if v.trim().is_empty() => {
                    return Err(ScimError::invalid_value(format!("{attr} must not be empty.")))
                }
                None if *attr == self.required => return Err(ScimError::invalid_value(format!("{attr} is required."))),
                _ => {}
            }
        }
        Ok(map)
    }
}

/// A unique value that fits [`MAX_KEY_VALUE_LEN`] but whose case-folded form does not fit a key.
fn too_long_once_folded(attr: &str) -> ScimError {
    ScimError::invalid_value(format!(
        "{attr} grows too long for a uniqueness key once case-folded (docs/clients.md, \"Case-insensitive matching\"): \
         keep it well under {MAX_KEY_VALUE_LEN} bytes, or use fewer characters that fold into several."
    ))
}

/// What each action of a resource's transaction stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Part {
    /// The resource's own item: its condition is its version (or its absence, on create).
    Resource,
    /// The sentinel that makes this attribute's new value unique in the tenant.
    Unique(&'static str),
    /// The sentinel of a value the resource gives up.
    Release,
    /// The tenant's counter of this kind.
    Counter,
    /// A copy the resource leaves elsewhere (a deleted user, for the subscription's history).
    Kept,
    /// What the licenses service adds: the subscription user, its seat, its queue entry, an
    /// audit entry. A failed condition means the pools or the user changed: plan again.
    License,
}

/// Moves the uniqueness sentinels of `id` from the `old` values to the `new` ones (those
/// that changed). A subscription-wide sentinel the resource leaves because it is deleted
/// stays with the subscription user, no longer naming a tenant.
fn move_sentinels(
    write: &mut Transaction<Part>,
    tenant: &Tenant,
    id: &str,
    old: Vec<Sentinel>,
    new: Vec<Sentinel>,
    deleted: bool,
) {
    for (old, new) in old.into_iter().zip(new) {
        if old.key == new.key {
            continue;
        }
        if let Some(key) = old.key {
            let condition = Some(Condition::AttrEq("id".into(), id.into()));
            let action = match (deleted, old.scope) {
                (true, Scope::Subscription) => {
                    Action::Update { key, updates: vec![Update::Remove("tenant".into())], condition }
                }
                _ => Action::Delete { key, condition },
            };
            write.push(Part::Release, action);
        }
        if let Some(key) = new.key {
            let item = Item::new(key).with("id", id).with("tenant", tenant.id());
            write.push(Part::Unique(new.attr), Action::Put { item, condition: Some(Condition::NotExists) });
        }
    }
}

/// Counts `delta` resources of `kind` in the tenant (and a deletion, when one goes).
fn count(write: &mut Transaction<Part>, tenant: &str, id: &str, kind: &Kind, delta: i64) {
    let mut updates = vec![Update::Add(kind.counter.into(), delta)];
    if delta < 0 {
        updates.push(Update::Add(kind.deletions.into(), -delta));
    }
    write.push(Part::Counter, Action::Update { key: keys::counter_shard(tenant, id), updates, condition: None });
}

/// Commits a resource's transaction. A taken unique value is a 409; a resource changed
/// meanwhile is `Ok(false)`.
pub(super) async fn commit(write: Transaction<Part>, directory: &Directory, kind: &Kind) -> Result<bool, ScimError> {
    match write.commit(&*directory.table).await {
        Ok(()) => Ok(true),
        Err(failure) => failed(failure, kind).map(|()| false),
    }
}

/// What a failed resource transaction means: a taken unique value is a 409, a store failure
/// its error; `Ok(())` is a change meanwhile (read again and retry).
pub(super) fn failed(failure: Failure<Part>, kind: &Kind) -> Result<(), ScimError> {
    match failure {
        Failure::Condition(Part::Unique(attr)) => {
            let scope = match kind.unique.iter().find(|(a, _, _)| *a == attr) {
                Some((_, Scope::Subscription, _)) => "subscription",
                _ => "tenant",
            };
            Err(ScimError::uniqueness(format!("A {} with this {attr} already exists in this {scope}.", kind.noun)))
        }
        Failure::Condition(_) => Ok(()),
        Failure::Store(e) => Err(e.into()),
    }
}

/// A new resource with `doc` and the directory's own `attrs`: its item, and the transaction
/// that stores it with its sentinels and its count. `id` is a new one unless the resource
/// takes over a subscription user, whose sentinels (in `held`, a document with its unique
/// values) it already has.
pub(super) fn new_resource(
    kind: &Kind,
    tenant: &Tenant,
    doc: &Map<String, Value>,
    attrs: Vec<(&str, AttrValue)>,
    id: Option<&str>,
    held: &Map<String, Value>,
) -> Result<(Item, Transaction<Part>), ScimError> {
    let t = tenant.id();
    let id = id.map_or_else(super::new_id, str::to_owned);
    let created = now();
    let mut item = Item::new(kind.key(t, &id))
        .with("doc", kind.stored(doc)?)
        .with("version", 1i64)
        .with(DOC_VERSION, 1i64)
        .with("created", created.as_str())
        .with("modified", created.as_str());
    for (name, value) in attrs {
        item = item.with(name, value);
    }
    if let Some(index) = kind.index {
        item = item.with(GSI1_PK, index(&tenant.configuration.subscription)).with(GSI1_SK, id.as_str());
    }
    let mut write = Transaction::new();
    write.push(Part::Resource, Action::Put { item: item.clone(), condition: Some(Condition::NotExists) });
    move_sentinels(&mut write, tenant, &id, kind.sentinels(tenant, held)?, kind.sentinels(tenant, doc)?, false);
    count(&mut write, t, &id, kind, 1);
    Ok((item, write))
}

impl Directory {
    /// Stores a new resource with `doc` (checked) and the directory's own `attrs`; returns its item.
    pub(super) async fn create_resource(
        &self,
        kind: &Kind,
        tenant: &Tenant,
        doc: Map<String, Value>,
        attrs: Vec<(&str, AttrValue)>,
    ) -> Result<Item, ScimError> {
        let (item, write) = new_resource(kind, tenant, &doc, attrs, None, &Map::new())?;
        if commit(write, self, kind).await? {
            Ok(item)
        } else {
            Err(StoreError::Other(format!("a new {} id collided", kind.noun)).into())
        }
    }

    /// The stored item of a resource, or 404 (also for ids that cannot be ours).
    pub(super) async fn read_resource(&self, kind: &Kind, tenant: &Tenant, id: &str) -> Result<Item, ScimError> {
        let parsed = parse_id(id).ok_or_else(|| kind.not_found(id))?;
        self.table.get(&kind.key(tenant.id(), &parsed)).await?.ok_or_else(|| kind.not_found(id))
    }

    /// The resource a uniqueness sentinel points at, if any.
    pub(super) async fn by_sentinel(
        &self,
        kind: &Kind,
        tenant: &Tenant,
        key: &Key,
    ) -> Result<Option<Item>, StoreError> {
        let Some(sentinel) = self.table.get(key).await? else { return Ok(None) };
        let Some(id) = sentinel.str("id") else { return Ok(None) };
        self.table.get(&kind.key(tenant.id(), id)).await
    }

    /// Reads the resource, computes its new document with `change`, and writes it conditional
    /// on the version read. Returns the item as written (unchanged when the document is).
    pub(super) async fn update_resource(
        &self,
        kind: &Kind,
        tenant: &Tenant,
        id: &str,
        precondition: &Precondition,
        change: impl Fn(&Map<String, Value>) -> Result<Map<String, Value>, ScimError>,
    ) -> Result<Item, ScimError> {
        for _ in 0..WRITE_ATTEMPTS {
            let mut item = self.read_resource(kind, tenant, id).await?;
            let version = render::version(&item)?;
            precondition.check(version)?;
            let old_doc = render::doc(&item)?;
            let new_doc = change(&old_doc)?;
            if new_doc == old_doc {
                // Okta renames a group before every membership push, usually to the same name.
                return Ok(item);
            }
            let doc = kind.stored(&new_doc)?;
            let old_len = item.str("doc").map_or(0, str::len);
            if item.size() - old_len + doc.len() + ITEM_HEADROOM > MAX_ITEM_BYTES {
                // A user's groups share its item with its attributes.
                return Err(ScimError::invalid_value(format!(
                    "The {}'s attributes ({} bytes) and its groups together would pass the {MAX_ITEM_BYTES} bytes \
                     a stored {} holds: send fewer or shorter attributes.",
                    kind.noun,
                    doc.len(),
                    kind.noun
                )));
            }
            let modified = now();
            let doc_version = item.i64(DOC_VERSION);
            let updates = vec![
                Update::Set("doc".into(), doc.as_str().into()),
                Update::Add("version".into(), 1),
                Update::Add(DOC_VERSION.into(), 1),
                Update::Set("modified".into(), modified.as_str().into()),
            ];
            // With If-Match the client pinned the whole resource's version. Without, the write
            // holds while the document it was computed from is the stored one: membership
            // changes move `version` (the ETag) but not the document, so they never make a
            // rename or a deactivation retry. Items written before `doc_version` existed fall
            // back to `version`.
            let condition = match (precondition.is_set(), doc_version) {
                (false, Some(doc_version)) => Condition::AttrEq(DOC_VERSION.into(), doc_version.into()),
                _ => Condition::AttrEq("version".into(), version.into()),
            };
            let id = kind.id_of(&item).to_owned();
            let mut write = Transaction::new();
            write.push(Part::Resource, Action::Update { key: item.key.clone(), updates, condition: Some(condition) });
            let (old, new) = (kind.sentinels(tenant, &old_doc)?, kind.sentinels(tenant, &new_doc)?);
            move_sentinels(&mut write, tenant, &id, old, new, false);
            let seating = match kind.licensed {
                true => self.seat_user(tenant, &id, &old_doc, Some(&new_doc)).await?,
                false => None,
            };
            if let Some(seating) = &seating {
                seating.push_into(&mut write, Part::License);
            }
            if commit(write, self, kind).await? {
                if let Some(seating) = &seating {
                    self.settle(seating).await;
                }
                // The version this write made; a membership change landing meanwhile moves it
                // on, and a client's If-Match with this one then gets 412, never a lost update.
                item.attrs.insert("doc".into(), doc.into());
                item.attrs.insert("version".into(), (version + 1).into());
                item.attrs.insert(DOC_VERSION.into(), (doc_version.unwrap_or(0) + 1).into());
                item.attrs.insert("modified".into(), modified.into());
                return Ok(item);
            }
            if precondition.is_set() {
                return Err(ScimError::precondition_failed(format!(
                    "The {} changed while this request was applied.",
                    kind.noun
                )));
            }
        }
        Err(ScimError::unavailable(1))
    }

    /// Deletes `item` (as read), its sentinels and its count, provided it has not changed
    /// (else `Ok(false)`); `keep` stores a copy elsewhere in the same transaction.
    pub(super) async fn delete_resource(
        &self,
        kind: &Kind,
        tenant: &Tenant,
        item: &Item,
        keep: Option<Item>,
    ) -> Result<bool, ScimError> {
        let t = tenant.id();
        let id = kind.id_of(item);
        let doc = render::doc(item)?;
        let mut write = Transaction::new();
        // Never a group with links: a link made since the caller removed them (which does not
        // move the version) fails the delete, and the caller removes it too.
        let condition = Condition::And(vec![
            Condition::AttrEq("version".into(), render::version(item)?.into()),
            Condition::AttrAbsent(keys::GROUP_LINKS.into()),
        ]);
        write.push(Part::Resource, Action::Delete { key: item.key.clone(), condition: Some(condition) });
        move_sentinels(
            &mut write,
            tenant,
            id,
            kind.sentinels(tenant, &doc)?,
            kind.sentinels(tenant, &Map::new())?,
            true,
        );
        if let Some(kept) = keep {
            write.push(Part::Kept, Action::Put { item: kept, condition: None });
        }
        count(&mut write, t, id, kind, -1);
        let seating = match kind.licensed {
            true => self.seat_user(tenant, id, &doc, None).await?,
            false => None,
        };
        if let Some(seating) = &seating {
            seating.push_into(&mut write, Part::License);
        }
        let deleted = commit(write, self, kind).await?;
        if let (true, Some(seating)) = (deleted, &seating) {
            self.settle(seating).await;
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;
    use serde_json::json;

    use super::*;
    use crate::licenses::LicenseType;
    use crate::scim::schema::USER_TYPE;
    use crate::store::sqlite::SqliteTable;
    use crate::store::{Page, Query, Table};
    use crate::tenants::Configuration;

    fn test_tenant() -> Tenant {
        let configuration = Configuration {
            tenant: "t1".into(),
            subscription: "s".into(),
            name: "Okta".into(),
            default_license: LicenseType::Named,
            client_id: "c".into(),
            enabled: true,
            created: now(),
            last_activity: None,
        };
        Tenant { configuration, url: "https://scim.example.com/scim/v2/t1".into() }
    }

    /// A user's groups share its item with its attributes: a user whose item has no room
    /// left joins no more groups and takes no larger attributes, each a 400 naming the limit,
    /// never the store's refusal (a 500).
    #[tokio::test]
    async fn a_user_item_keeps_room_for_its_groups() {
        let table = Arc::new(SqliteTable::in_memory());
        let directory = Directory::new(table.clone(), Arc::new(crate::jobs::Jobs::new(table.clone())));
        let tenant = test_tenant();
        let title = "t".repeat(250 * 1024);
        let body = json!({"schemas": [USER_TYPE.schema.id], "userName": "full@example.com", "title": title});
        let user = directory.create_user(&tenant, &body).await.unwrap();
        let key = USERS.key("t1", &user.id);
        // Fill its `groups` set the way some 4,000 joins would, to within the headroom.
        let size = table.get(&key).await.unwrap().unwrap().size();
        let entries = (MAX_ITEM_BYTES - ITEM_HEADROOM - size) / 36;
        let groups = (0..entries).map(|i| format!("00000000-0000-7000-8000-{i:012}")).collect();
        let fill = Update::AddToSet("groups".into(), groups);
        table.transact(vec![Action::Update { key: key.clone(), updates: vec![fill], condition: None }]).await.unwrap();
        let full = table.get(&key).await.unwrap().unwrap();

        let group = directory
            .create_group(&tenant, &json!({"schemas": [GROUP_TYPE.schema.id], "displayName": "One more"}))
            .await
            .unwrap();
        let join = json!({"schemas": [crate::scim::PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": user.id}]}]});
        let refused = directory.patch_group(&tenant, &group.id, &join, &Precondition::default()).await.unwrap_err();
        assert_eq!(refused.status, 400, "{}", refused.detail);
        assert!(refused.detail.contains("cannot join another group"), "{}", refused.detail);

        let mut larger = body.clone();
        larger["title"] = json!("t".repeat(250 * 1024 + 2048));
        let refused = directory.replace_user(&tenant, &user.id, &larger, &Precondition::default()).await.unwrap_err();
        assert_eq!(refused.status, 400, "{}", refused.detail);
        assert!(refused.detail.contains("groups together"), "{}", refused.detail);
        assert_eq!(table.get(&key).await.unwrap().unwrap(), full, "nothing written");
        // A change that keeps the size goes through.
        let mut renamed = body.clone();
        renamed["userName"] = json!("fill@example.com");
        directory.replace_user(&tenant, &user.id, &renamed, &Precondition::default()).await.unwrap();
    }

    /// A table where a membership change lands on the group between every read of it and
    /// the next write: what many Group Pushes at once look like to one of them.
    struct MembersLandBetween {
        inner: SqliteTable,
        group: std::sync::Mutex<Option<Key>>,
    }

    #[async_trait]
    impl Table for MembersLandBetween {
        async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
            let item = self.inner.get(key).await?;
            if self.group.lock().unwrap().as_ref() == Some(key) {
                let updates = vec![Update::Add("version".into(), 1), Update::Add("members".into(), 0)];
                self.inner.transact(vec![Action::Update { key: key.clone(), updates, condition: None }]).await?;
            }
            Ok(item)
        }
        async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
            self.inner.batch_get(keys).await
        }
        async fn query(&self, query: &Query) -> Result<Page, StoreError> {
            self.inner.query(query).await
        }
        async fn transact(&self, actions: Vec<Action>) -> Result<(), StoreError> {
            self.inner.transact(actions).await
        }
    }

    #[tokio::test]
    async fn membership_changes_never_make_a_document_write_retry_unless_a_version_was_pinned() {
        let table = Arc::new(MembersLandBetween { inner: SqliteTable::in_memory(), group: Default::default() });
        let directory = Directory::new(table.clone(), Arc::new(crate::jobs::Jobs::new(table.clone())));
        let tenant = test_tenant();
        let created = directory
            .create_group(&tenant, &json!({"schemas": [GROUP_TYPE.schema.id], "displayName": "A"}))
            .await
            .unwrap();
        *table.group.lock().unwrap() = Some(GROUPS.key("t1", &created.id));

        let rename = |name: &str| json!({"schemas": [crate::scim::PATCH_OP], "Operations": [{"op": "replace", "value": {"displayName": name}}]});
        directory.patch_group(&tenant, &created.id, &rename("B"), &Precondition::default()).await.unwrap();
        let group = directory.get_group(&tenant, &created.id, false).await.unwrap();
        assert_eq!(group.body["displayName"], "B");

        // Pinned to a version that a membership change then moved: 412, nothing written.
        let pinned = Precondition(Some(group.etag()));
        let refused = directory.patch_group(&tenant, &created.id, &rename("C"), &pinned).await.unwrap_err();
        assert_eq!(refused.status, 412, "{}", refused.detail);
        assert_eq!(directory.get_group(&tenant, &created.id, false).await.unwrap().body["displayName"], "B");
    }
}
