//! A subscription as stored: its name and how it recycles seats, in its own partition
//! (`keys::subscription`), also on the index of every subscription so the operator lists them.

use serde::{Deserialize, Serialize};

use crate::keys;
use crate::store::{Item, GSI1_PK, GSI1_SK};

/// What happens to a seat once its holder no longer needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Recycling {
    /// A deactivated user's seat is released, and a freed seat goes at once to the user who
    /// has waited longest for its type.
    #[default]
    Automatic,
    /// M-Files' own behaviour: a deactivated user keeps its seat until an admin takes it;
    /// freed seats stay free; waiting users get seats when the purchase grows.
    Manual,
}

impl Recycling {
    pub fn as_str(self) -> &'static str {
        match self {
            Recycling::Automatic => "automatic",
            Recycling::Manual => "manual",
        }
    }
}

impl std::str::FromStr for Recycling {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "automatic" => Ok(Recycling::Automatic),
            "manual" => Ok(Recycling::Manual),
            other => Err(format!("unknown recycling mode {other:?}: use automatic or manual")),
        }
    }
}

/// A customer's subscription: the seats it bought and everything provisioned into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub name: String,
    pub recycling: Recycling,
    pub created: String,
    /// Whether it keeps its users' counts ([`super::UserCounts`]): every subscription made
    /// since they exist.
    pub counts_users: bool,
}

impl Subscription {
    pub(super) fn to_item(&self) -> Item {
        Item::new(keys::subscription(&self.id))
            .with("name", self.name.as_str())
            .with("recycling", self.recycling.as_str())
            .with("created", self.created.as_str())
            .with("user_counts", if self.counts_users { "sharded" } else { "none" })
            .with(GSI1_PK, keys::SUBSCRIPTIONS_INDEX)
            .with(GSI1_SK, self.id.as_str())
    }

    pub(super) fn from_item(id: &str, item: &Item) -> Option<Subscription> {
        Some(Subscription {
            id: id.to_owned(),
            name: item.str("name")?.to_owned(),
            recycling: item.str("recycling")?.parse().ok()?,
            created: item.str("created")?.to_owned(),
            counts_users: item.str("user_counts") == Some("sharded"),
        })
    }
}
