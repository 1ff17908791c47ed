//! The key layout of the single table: where each kind of item of the domain lives, in one
//! place for every service (docs/architecture.md, "Data model", draws it as a table).
//!
//! Every key of a tenant's SCIM data starts with `T#<tenant>`, so nothing of one tenant can be
//! reached through another's keys: tenant isolation is a property of the key layout. The
//! userName sentinel is the subscription's (`SUB#<sub>#…`), since a userName names one
//! subscription user; it only leads to an id, read under `T#<tenant>`. Everything of a
//! subscription (pools, subscription users, queues, audit) starts with `SUB#<sub>`. The one
//! item not laid out here is the embedded secret engine's verifier (`TENANT#<tenant>` /
//! `SECRET`): it belongs to that engine ([`crate::secrets`]), not to the domain.

use crate::casefold::fold;
use crate::store::Key;

/// Partition of a tenant's own items: its configuration (`META`) and, on the embedded engine,
/// its verifier.
pub fn tenant_partition(tenant: &str) -> String {
    format!("TENANT#{tenant}")
}

/// A tenant's configuration (auth, default license): `TENANT#<tenant>` / `META`.
pub fn tenant(tenant: &str) -> Key {
    Key::new(tenant_partition(tenant), "META")
}

/// The tenant id of a configuration item's partition key.
pub fn tenant_of(pk: &str) -> Option<&str> {
    pk.strip_prefix("TENANT#")
}

/// Uniqueness sentinel of a configuration name within a subscription.
pub fn configuration_name(subscription: &str, name: &str) -> Key {
    Key::new(format!("SUB#{subscription}#CONFNAME#{}", fold(name)), "CONFNAME")
}

/// The index partition listing a subscription's configurations.
pub fn configurations_index(subscription: &str) -> String {
    format!("SUB#{subscription}#CONFS")
}

/// How many items a tenant's counters are spread over. Every create and delete updates one
/// counter in its transaction; spreading them keeps concurrent creates in one tenant from
/// conflicting on a single item, and reading them all is still one batch read.
pub const COUNTER_SHARDS: usize = 16;

/// One shard of the counters of a tenant (users, groups). A resource's shard follows from its
/// id, so its create and its delete count on the same item.
pub fn counter_shard(tenant: &str, id: &str) -> Key {
    let shard = id.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize)) % COUNTER_SHARDS;
    Key::new(format!("T#{tenant}"), format!("COUNTERS#{shard:02}"))
}

/// Every counter shard of a tenant.
pub fn counter_shards(tenant: &str) -> Vec<Key> {
    (0..COUNTER_SHARDS).map(|shard| Key::new(format!("T#{tenant}"), format!("COUNTERS#{shard:02}"))).collect()
}

pub fn users_partition(tenant: &str) -> String {
    format!("T#{tenant}#USERS")
}

pub const USER_PREFIX: &str = "U#";

/// Where a user deleted through SCIM is kept for the subscription's history.
pub fn deleted_user(tenant: &str, id: &str) -> Key {
    Key::new(format!("T#{tenant}#DELETED"), format!("{USER_PREFIX}{id}"))
}

/// userName sentinel: unique in the whole subscription (a subscription user's name, whichever
/// configuration provisions it), case-folded, so two userNames differing only in case collide.
/// Holds `id`, and `tenant` while a configuration provisions the user.
pub fn user_name(subscription: &str, user_name: &str) -> Key {
    Key::new(format!("SUB#{subscription}#UN#{}", fold(user_name)), "UN")
}

/// externalId sentinel: externalId is case-exact (RFC 7643 §3.1), so it is not folded.
pub fn user_external_id(tenant: &str, external_id: &str) -> Key {
    Key::new(format!("T#{tenant}#UX#{external_id}"), "UX")
}

pub fn groups_partition(tenant: &str) -> String {
    format!("T#{tenant}#GROUPS")
}

/// The tenant of a group item's partition key (the inverse of [`groups_partition`]).
pub fn groups_tenant(pk: &str) -> Option<&str> {
    pk.strip_prefix("T#")?.strip_suffix("#GROUPS")
}

pub const GROUP_PREFIX: &str = "G#";

/// The attribute of a group item holding the ids of the links whose source the group is (a
/// string set, absent when none): the directory's membership writes read it and condition on
/// it, the vaults service changes it ([`crate::vaults`]).
pub const GROUP_LINKS: &str = "links";

/// A provisioned group's item: `T#<tenant>#GROUPS` / `G#<id>`.
pub fn group(tenant: &str, id: &str) -> Key {
    Key::new(groups_partition(tenant), format!("{GROUP_PREFIX}{id}"))
}

/// displayName sentinel of a group: case-folded.
pub fn group_name(tenant: &str, display_name: &str) -> Key {
    Key::new(format!("T#{tenant}#GN#{}", fold(display_name)), "GN")
}

/// externalId sentinel of a group.
pub fn group_external_id(tenant: &str, external_id: &str) -> Key {
    Key::new(format!("T#{tenant}#GX#{external_id}"), "GX")
}

/// The partition holding one group's member items.
pub fn members_partition(tenant: &str, group_id: &str) -> String {
    format!("T#{tenant}#G#{group_id}")
}

pub const MEMBER_PREFIX: &str = "M#";

/// A membership: one item per member, so adding one member never rewrites a list.
pub fn member(tenant: &str, group_id: &str, user_id: &str) -> Key {
    Key::new(members_partition(tenant, group_id), format!("{MEMBER_PREFIX}{user_id}"))
}

/// The partition of a subscription's own items: its settings (`META`) and its seat pools.
fn subscription_partition(subscription: &str) -> String {
    format!("SUB#{subscription}")
}

/// The subscription of a subscription item's partition key (the inverse of
/// [`subscription`]'s).
pub fn subscription_of(pk: &str) -> Option<&str> {
    pk.strip_prefix("SUB#")
}

/// A subscription's settings (name, recycling): `SUB#<sub>` / `META`.
pub fn subscription(subscription: &str) -> Key {
    Key::new(subscription_partition(subscription), "META")
}

/// The seat pool of one license type (its name, e.g. `named`) in a subscription:
/// `SUB#<sub>` / `POOL#<type>`.
pub fn pool(subscription: &str, license: &str) -> Key {
    Key::new(subscription_partition(subscription), format!("POOL#{license}"))
}

/// One shard (`0..COUNTER_SHARDS`) of a subscription's user counts: `SUB#<sub>` /
/// `COUNT#<nn>`, whose `enabled` and `disabled`, summed over the shards, are its users by
/// state. A change adds to any one shard (the licenses service picks one at random per
/// plan, so a plan of many users costs one update).
pub fn user_count_shard(subscription: &str, shard: usize) -> Key {
    Key::new(subscription_partition(subscription), format!("COUNT#{shard:02}"))
}

/// Every shard of a subscription's user counts.
pub fn user_count_shards(subscription: &str) -> Vec<Key> {
    (0..COUNTER_SHARDS).map(|shard| user_count_shard(subscription, shard)).collect()
}

/// The index partition listing every subscription (for the operator).
pub const SUBSCRIPTIONS_INDEX: &str = "SUBS";

/// The partition of a subscription's users: one item per subscription user, holding its
/// license state (what it holds, should have, waits for) and its source configuration.
pub fn subscription_users(subscription: &str) -> String {
    format!("SUB#{subscription}#USERS")
}

/// A subscription user: `SUB#<sub>#USERS` / `U#<id>` (the id its SCIM resource has).
pub fn subscription_user(subscription: &str, id: &str) -> Key {
    Key::new(subscription_users(subscription), format!("{USER_PREFIX}{id}"))
}

/// The queue of users waiting for one license type (its name), oldest first.
pub fn waiting_queue(subscription: &str, license: &str) -> String {
    format!("SUB#{subscription}#WAIT#{license}")
}

/// A user's place in the queue for `license`: sorted by the time it started waiting, then by
/// id (time-ordered too), so a query reads the queue oldest first.
pub fn waiting(subscription: &str, license: &str, since: &str, id: &str) -> Key {
    Key::new(waiting_queue(subscription, license), format!("{since}#{id}"))
}

/// The partition of a subscription's audit trail, in time order.
pub fn audit_trail(subscription: &str) -> String {
    format!("SUB#{subscription}#AUDIT")
}

/// The index partition of one user's audit entries (the trail filtered by user).
pub fn user_audit_trail(subscription: &str, user: &str) -> String {
    format!("SUB#{subscription}#AUDIT#{user}")
}

/// The index partition listing every provisioned group of a subscription, whichever tenant
/// provisions it (sort key: the group id).
pub fn subscription_groups(subscription: &str) -> String {
    format!("SUB#{subscription}#GROUPS")
}

/// The partition of a subscription's vaults (sort key: `V#<id>`).
pub fn vaults(subscription: &str) -> String {
    format!("SUB#{subscription}#VAULTS")
}

pub const VAULT_PREFIX: &str = "V#";

/// A vault of a subscription: `SUB#<sub>#VAULTS` / `V#<id>`.
pub fn vault(subscription: &str, id: &str) -> Key {
    Key::new(vaults(subscription), format!("{VAULT_PREFIX}{id}"))
}

/// Uniqueness sentinel of a vault's name within a subscription, case-folded.
pub fn vault_name(subscription: &str, name: &str) -> Key {
    Key::new(format!("SUB#{subscription}#VAULTNAME#{}", fold(name)), "VAULTNAME")
}

/// The partition of one vault's user groups (sort key: `VG#<id>`).
pub fn vault_groups(subscription: &str, vault: &str) -> String {
    format!("SUB#{subscription}#V#{vault}#GROUPS")
}

pub const VAULT_GROUP_PREFIX: &str = "VG#";

/// A user group of a vault: `SUB#<sub>#V#<vault>#GROUPS` / `VG#<id>`.
pub fn vault_group(subscription: &str, vault: &str, id: &str) -> Key {
    Key::new(vault_groups(subscription, vault), format!("{VAULT_GROUP_PREFIX}{id}"))
}

/// Uniqueness sentinel of a vault group's name within its vault, case-folded.
pub fn vault_group_name(subscription: &str, vault: &str, name: &str) -> Key {
    Key::new(format!("SUB#{subscription}#V#{vault}#VGNAME#{}", fold(name)), "VGNAME")
}

/// The partition of one vault group's members (sort key: `M#<user id>`, as a provisioned
/// group's): one item per member.
pub fn vault_members(subscription: &str, vault: &str, group: &str) -> String {
    format!("SUB#{subscription}#V#{vault}#VG#{group}")
}

/// A member of a vault group: `SUB#<sub>#V#<vault>#VG#<group>` / `M#<user id>`.
pub fn vault_member(subscription: &str, vault: &str, group: &str, user: &str) -> Key {
    Key::new(vault_members(subscription, vault, group), format!("{MEMBER_PREFIX}{user}"))
}

/// The partition of one vault's users (sort key: `U#<user id>`).
pub fn vault_users(subscription: &str, vault: &str) -> String {
    format!("SUB#{subscription}#V#{vault}#USERS")
}

/// A user of a vault: `SUB#<sub>#V#<vault>#USERS` / `U#<user id>`, with how many of the
/// vault's groups it is in.
pub fn vault_user(subscription: &str, vault: &str, user: &str) -> Key {
    Key::new(vault_users(subscription, vault), format!("{USER_PREFIX}{user}"))
}

/// The partition of one vault's change feed (sort key: `C#` and the change's sequence number,
/// zero-padded so that the order of the keys is the order of the numbers).
pub fn vault_changes(subscription: &str, vault: &str) -> String {
    format!("SUB#{subscription}#V#{vault}#CHANGES")
}

pub const VAULT_CHANGE_PREFIX: &str = "C#";

/// The change `seq` of a vault's feed: `SUB#<sub>#V#<vault>#CHANGES` / `C#<seq, 20 digits>`.
pub fn vault_change(subscription: &str, vault: &str, seq: u64) -> Key {
    Key::new(vault_changes(subscription, vault), format!("{VAULT_CHANGE_PREFIX}{seq:020}"))
}

/// The partition of a subscription's users whose state or license changed while they were
/// users of a vault, and whose vaults' feeds have not said so yet (sort key: `U#<user id>`).
pub fn vault_user_changes(subscription: &str) -> String {
    format!("SUB#{subscription}#VUCHANGES")
}

/// The user `user`'s entry in [`vault_user_changes`].
pub fn vault_user_change(subscription: &str, user: &str) -> Key {
    Key::new(vault_user_changes(subscription), format!("{USER_PREFIX}{user}"))
}

/// The partition of a subscription's links (sort key: `L#<id>`).
pub fn links(subscription: &str) -> String {
    format!("SUB#{subscription}#LINKS")
}

pub const LINK_PREFIX: &str = "L#";

/// A link from a provisioned group to a vault group: `SUB#<sub>#LINKS` / `L#<id>`.
pub fn link(subscription: &str, id: &str) -> Key {
    Key::new(links(subscription), format!("{LINK_PREFIX}{id}"))
}

/// The partition of what a linked provisioned group's links still have to follow: one item
/// per membership write of the group (sort key: a UUIDv7), naming the users whose
/// membership it changed and the links that have not carried that change yet.
pub fn follow(subscription: &str, group: &str) -> String {
    format!("SUB#{subscription}#FOLLOW#{group}")
}

/// The subscription of a follow partition's key (the inverse of [`follow`]).
pub fn follow_subscription(pk: &str) -> Option<&str> {
    pk.strip_prefix("SUB#")?.split_once("#FOLLOW#").map(|(subscription, _)| subscription)
}

/// The index partition of every follow entry not yet carried to all its links (sort key:
/// the entry's id), in every subscription: where the sweep finds work that never started.
pub const PENDING_FOLLOWS: &str = "FOLLOW#PENDING";

/// The partition of a subscription's background jobs (sort key: the job id).
pub fn jobs(subscription: &str) -> String {
    format!("SUB#{subscription}#JOBS")
}

/// The subscription of a job item's partition key (the inverse of [`jobs`]).
pub fn jobs_subscription(pk: &str) -> Option<&str> {
    pk.strip_prefix("SUB#")?.strip_suffix("#JOBS")
}

/// The index partition listing every job still running, in every subscription: what a worker
/// reads to find work.
pub const RUNNING_JOBS: &str = "JOBS#RUNNING";

/// A one-time sign-in code of the console ([`crate::sign_in_links`]), by the SHA-256 of the
/// code (the code itself is never stored): `SIGNIN#<hash>` / `SIGNIN`.
pub fn sign_in_code(hash: &str) -> Key {
    Key::new(format!("SIGNIN#{hash}"), "SIGNIN")
}
