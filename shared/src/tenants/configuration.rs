//! A provisioning configuration as stored: one item per tenant, in the tenant's partition,
//! also on the subscription's index partition so a subscription lists its configurations.

use crate::casefold::fold;
use crate::keys;
use crate::licenses::LicenseType;
use crate::store::{Item, GSI1_PK, GSI1_SK};

/// A provisioning configuration. Its `tenant` id names the SCIM tenant in URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    pub tenant: String,
    pub subscription: String,
    pub name: String,
    pub default_license: LicenseType,
    pub client_id: String,
    pub enabled: bool,
    pub created: String,
    /// When its SCIM client last got in (RFC 3339), to about a minute
    /// ([`super::Tenants::authenticate`]); None before the first time.
    pub last_activity: Option<String>,
}

/// What an update changes in a configuration: each field given replaces the stored one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub name: Option<String>,
    pub default_license: Option<LicenseType>,
    pub enabled: Option<bool>,
}

/// A configuration with a client secret just made (created or rotated): shown this once.
#[derive(Debug)]
pub struct NewConfiguration {
    pub configuration: Configuration,
    pub client_secret: String,
}

impl Configuration {
    pub(super) fn to_item(&self) -> Item {
        Item::new(keys::tenant(&self.tenant))
            .with("subscription", self.subscription.as_str())
            .with("name", self.name.as_str())
            .with("default_license", self.default_license.as_str())
            .with("client_id", self.client_id.as_str())
            .with("enabled", self.enabled)
            .with("created", self.created.as_str())
            .with(GSI1_PK, keys::configurations_index(&self.subscription))
            .with(GSI1_SK, fold(&self.name))
    }

    /// The configuration a configuration item holds (read where the tenants service is not
    /// at hand: the directory names a userName's owner).
    pub(crate) fn from_item(item: &Item) -> Option<Configuration> {
        Some(Configuration {
            tenant: keys::tenant_of(&item.key.pk)?.to_owned(),
            subscription: item.str("subscription")?.to_owned(),
            name: item.str("name")?.to_owned(),
            default_license: item.str("default_license")?.parse().ok()?,
            client_id: item.str("client_id")?.to_owned(),
            enabled: item.bool("enabled")?,
            created: item.str("created")?.to_owned(),
            last_activity: item.str("last_activity").map(str::to_owned),
        })
    }
}
