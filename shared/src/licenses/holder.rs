//! A subscription user as the licenses service keeps it: who it is, where it comes from, and
//! its license state. One item per user (`keys::subscription_user`), beside the SCIM resource
//! its configuration sees; it outlives that resource (a SCIM DELETE leaves it disabled).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{LicenseType, Recycling};
use crate::keys;
use crate::store::{AttrValue, Item, StoreError, Table};

/// The attribute of a subscription user's item naming the vaults it is a user of.
pub const VAULTS: &str = "vaults";

/// A subscription user's identity and license state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub id: String,
    pub user_name: String,
    pub display_name: Option<String>,
    /// The configuration (tenant id) that provisions it; None once no configuration does.
    pub configuration: Option<String>,
    /// Its source configuration's default license type.
    pub default_license: LicenseType,
    pub enabled: bool,
    /// The license type it holds.
    pub license: LicenseType,
    /// The license type the rules give it (it waits while it cannot hold it).
    pub target: LicenseType,
    /// An admin's explicit choice, `none` included.
    pub license_override: Option<LicenseType>,
    /// Since when it waits for `target`, if it does.
    pub waiting_since: Option<String>,
    /// The license types of the provisioned groups it is in, as `<type>#<group id>`.
    pub group_licenses: BTreeSet<String>,
    /// The vaults it is a user of (the vaults service keeps this, [`crate::vaults`]): a change
    /// of its state or license is news for their change feeds.
    pub vaults: BTreeSet<String>,
    pub version: i64,
    pub created: String,
}

impl Holder {
    /// A new user holding nothing yet.
    pub fn new(id: &str, user_name: &str, created: &str) -> Holder {
        Holder {
            id: id.to_owned(),
            user_name: user_name.to_owned(),
            display_name: None,
            configuration: None,
            default_license: LicenseType::None,
            enabled: true,
            license: LicenseType::None,
            target: LicenseType::None,
            license_override: None,
            waiting_since: None,
            group_licenses: BTreeSet::new(),
            vaults: BTreeSet::new(),
            version: 0,
            created: created.to_owned(),
        }
    }

    /// The license the rules give this user: a disabled user needs none (in `manual`
    /// recycling a provisioned one keeps what it holds until an admin decides); else the
    /// admin's override; else the highest of its configuration's default and its groups'.
    pub fn target_under(&self, recycling: Recycling) -> LicenseType {
        if !self.enabled {
            return match (recycling, &self.configuration, self.license_override) {
                (Recycling::Manual, Some(_), None) => self.license,
                (Recycling::Manual, Some(_), Some(chosen)) => chosen,
                _ => LicenseType::None,
            };
        }
        if let Some(chosen) = self.license_override {
            return chosen;
        }
        self.group_licenses
            .iter()
            .filter_map(|entry| entry.split('#').next()?.parse::<LicenseType>().ok())
            .fold(self.default_license, LicenseType::min)
    }

    /// Records the license type the provisioned group `group` gives this user: `license`, or
    /// none (it left the group, or the group gives none).
    pub fn set_group_license(&mut self, group: &str, license: Option<LicenseType>) {
        self.group_licenses.retain(|entry| entry.split_once('#').map(|(_, g)| g) != Some(group));
        if let Some(license) = license.filter(|l| *l != LicenseType::None) {
            self.group_licenses.insert(format!("{license}#{group}"));
        }
    }

    /// Whether a vault sees this user differently after `self` than before (its state or
    /// the license it holds).
    pub fn vault_view_differs(&self, before: &Holder) -> bool {
        (self.enabled, self.license) != (before.enabled, before.license)
    }

    pub fn state(&self) -> &'static str {
        if self.enabled {
            "enabled"
        } else {
            "disabled"
        }
    }

    pub fn is_waiting(&self) -> bool {
        self.waiting_since.is_some()
    }

    /// What the audit trail records of this user's license state.
    pub fn license_state(&self) -> Value {
        json!({
            "license": self.license,
            "target_license": self.target,
            "override": self.license_override,
            "waiting": self.is_waiting(),
            "configuration": self.configuration,
            "state": self.state(),
        })
    }

    pub(super) fn to_item(&self, subscription: &str) -> Item {
        let mut item = Item::new(keys::subscription_user(subscription, &self.id))
            .with("user_name", self.user_name.as_str())
            .with("default_license", self.default_license.as_str())
            .with("enabled", self.enabled)
            .with("license", self.license.as_str())
            .with("target", self.target.as_str())
            .with("version", self.version)
            .with("created", self.created.as_str());
        let optional = [
            ("display_name", self.display_name.clone()),
            ("configuration", self.configuration.clone()),
            ("override", self.license_override.map(|l| l.as_str().to_owned())),
            ("waiting_since", self.waiting_since.clone()),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                item = item.with(name, value);
            }
        }
        if !self.group_licenses.is_empty() {
            item = item.with("group_licenses", AttrValue::Ss(self.group_licenses.clone()));
        }
        if !self.vaults.is_empty() {
            item = item.with(VAULTS, AttrValue::Ss(self.vaults.clone()));
        }
        item
    }

    pub(crate) fn from_item(item: &Item) -> Option<Holder> {
        let license = |name| item.str(name).and_then(|s| s.parse::<LicenseType>().ok());
        Some(Holder {
            id: item.key.sk.strip_prefix(keys::USER_PREFIX)?.to_owned(),
            user_name: item.str("user_name")?.to_owned(),
            display_name: item.str("display_name").map(str::to_owned),
            configuration: item.str("configuration").map(str::to_owned),
            default_license: license("default_license")?,
            enabled: item.bool("enabled")?,
            license: license("license")?,
            target: license("target")?,
            license_override: license("override"),
            waiting_since: item.str("waiting_since").map(str::to_owned),
            group_licenses: item.set("group_licenses").cloned().unwrap_or_default(),
            vaults: item.set(VAULTS).cloned().unwrap_or_default(),
            version: item.i64("version")?,
            created: item.str("created")?.to_owned(),
        })
    }

    /// The subscription users of `ids` that exist, by id (one batch read).
    pub async fn read_by_id(
        table: &dyn Table,
        subscription: &str,
        ids: impl IntoIterator<Item = &str>,
    ) -> Result<BTreeMap<String, Holder>, StoreError> {
        let keys: Vec<_> = ids.into_iter().map(|id| keys::subscription_user(subscription, id)).collect();
        if keys.is_empty() {
            return Ok(BTreeMap::new());
        }
        let items = table.batch_get(&keys).await?;
        Ok(items.iter().filter_map(Holder::from_item).map(|h| (h.id.clone(), h)).collect())
    }
}
