//! The admin API's subscriptions: create one (operator), its home summary (users by state,
//! who waits, seats per license type, configurations), its recycling mode, its seat pools and
//! purchases, and the check that recounts them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::configurations::Status;
use super::{Call, ErrorBody, ManageError, Reply};
use crate::app::App;
use crate::licenses::{Check, LicenseType, Pool, Recycling, Subscription};

/// `POST /subscriptions`: a new subscription, with no seats bought yet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    #[schema(example = "Acme Corporation")]
    pub name: String,
    /// `automatic` (the default) or `manual`.
    #[schema(value_type = Option<String>, example = "automatic")]
    pub recycling: Option<Recycling>,
}

/// `PATCH /subscriptions/{sub}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSubscription {
    /// `automatic`: freed seats go at once to the users waiting longest; `manual`: a
    /// deactivated user keeps its seat until an admin decides, and freed seats stay free.
    #[schema(value_type = String, example = "manual")]
    pub recycling: Recycling,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub recycling: Recycling,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> SubscriptionView {
        SubscriptionView { id: s.id, name: s.name, recycling: s.recycling }
    }
}

/// One license type's seats.
#[derive(Debug, Serialize, ToSchema)]
pub struct PoolView {
    /// Seats bought (`concurrent` is counted, not bought: always 0).
    pub purchased: i64,
    /// Users holding this type.
    pub used: i64,
    /// Users waiting for this type.
    pub waiting: i64,
}

impl From<Pool> for PoolView {
    fn from(p: Pool) -> PoolView {
        PoolView { purchased: p.purchased, used: p.used, waiting: p.waiting }
    }
}

/// The pools of a subscription, by license type (`named`, `concurrent`, `read-only`).
pub type Pools = BTreeMap<String, PoolView>;

fn pools_view(pools: Vec<Pool>) -> Pools {
    pools.into_iter().map(|p| (p.license.as_str().to_owned(), p.into())).collect()
}

/// `PUT /subscriptions/{sub}/pools/{type}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPurchase {
    /// Seats bought, 0 to 10,000,000; not below the seats in use (409).
    pub purchased: i64,
}

/// Users by state, and how many wait for a license.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct UserCounts {
    pub enabled: i64,
    pub disabled: i64,
    pub waiting: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HomeConfiguration {
    pub id: String,
    pub name: String,
    pub status: Status,
    /// When its SCIM client last got in (RFC 3339, to about a minute), or null when it never has.
    pub last_activity: Option<String>,
}

/// The home page's summary of a subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct Home {
    pub id: String,
    pub name: String,
    #[schema(value_type = String)]
    pub recycling: Recycling,
    pub users: UserCounts,
    #[schema(value_type = Object)]
    pub pools: Pools,
    pub configurations: Vec<HomeConfiguration>,
}

/// Creates a subscription (the operator's).
#[utoipa::path(
    post,
    path = "/manage/v1/subscriptions",
    operation_id = "create_subscription",
    request_body = CreateSubscription,
    responses(
        (status = 201, description = "Created, with empty pools", body = SubscriptionView),
        (status = 400, description = "A field is missing or wrong", body = ErrorBody),
    )
)]
pub async fn create(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: CreateSubscription = call.json()?;
    let made = app.licenses.create_subscription(&body.name, body.recycling.unwrap_or_default()).await?;
    Reply::json(201, &SubscriptionView::from(made))
}

/// The home summary: users by state and waiting, seats per type, configurations.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}",
    operation_id = "get_subscription",
    params(("sub" = String, Path, description = "The subscription id")),
    responses((status = 200, description = "The summary", body = Home))
)]
pub async fn home(app: &App, call: Call) -> Result<Reply, ManageError> {
    let sub = call.param("sub");
    let (subscription, snapshot) = app.licenses.existing_snapshot(sub).await?;
    let counts = app.licenses.user_counts(&subscription).await?;
    // A user waits for one type at most: the pools' waiting counts add up to the waiting users.
    let waiting = snapshot.pools().iter().map(|p| p.waiting).sum();
    let users = UserCounts { enabled: counts.enabled, disabled: counts.disabled, waiting };
    let configurations = app
        .tenants
        .configurations(sub)
        .await?
        .into_iter()
        .map(|c| HomeConfiguration {
            id: c.tenant,
            name: c.name,
            status: Status::of(c.enabled),
            last_activity: c.last_activity,
        })
        .collect();
    let home = Home {
        id: subscription.id,
        name: subscription.name,
        recycling: subscription.recycling,
        users,
        pools: pools_view(snapshot.pools()),
        configurations,
    };
    Reply::json(200, &home)
}

/// Sets the subscription's recycling mode.
#[utoipa::path(
    patch,
    path = "/manage/v1/subscriptions/{sub}",
    operation_id = "update_subscription",
    params(("sub" = String, Path, description = "The subscription id")),
    request_body = UpdateSubscription,
    responses(
        (status = 200, description = "The subscription as changed", body = SubscriptionView),
        (status = 400, description = "A field is wrong", body = ErrorBody),
    )
)]
pub async fn update(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: UpdateSubscription = call.json()?;
    let changed = app.licenses.set_recycling(call.param("sub"), body.recycling).await?;
    Reply::json(200, &SubscriptionView::from(changed))
}

/// The seat pools: bought, used and waited for, per license type.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/pools",
    operation_id = "list_pools",
    params(("sub" = String, Path, description = "The subscription id")),
    responses((status = 200, description = "The pools, by license type", body = Object))
)]
pub async fn pools(app: &App, call: Call) -> Result<Reply, ManageError> {
    Reply::json(200, &pools_view(app.licenses.pools(call.param("sub")).await?))
}

/// Sets how many seats of a type the subscription bought. Growth hands the free seats to the
/// users waiting longest, oldest first.
#[utoipa::path(
    put,
    path = "/manage/v1/subscriptions/{sub}/pools/{type}",
    operation_id = "set_purchase",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("type" = String, Path, description = "named or read-only"),
    ),
    request_body = SetPurchase,
    responses(
        (status = 200, description = "The pool as it is now", body = PoolView),
        (status = 400, description = "Not a seat-limited type, or not a number of seats", body = ErrorBody),
        (status = 409, description = "Below the seats in use", body = ErrorBody),
    )
)]
pub async fn set_purchase(app: &App, call: Call) -> Result<Reply, ManageError> {
    let license: LicenseType = call.param("type").parse().map_err(ManageError::not_found)?;
    let body: SetPurchase = call.json()?;
    let pool = app.licenses.set_purchased(call.param("sub"), license, body.purchased).await?;
    Reply::json(200, &PoolView::from(pool))
}

/// Recounts seats and waiting users from the users and compares them with the pools.
#[utoipa::path(
    post,
    path = "/manage/v1/subscriptions/{sub}/check",
    operation_id = "check_subscription",
    params(("sub" = String, Path, description = "The subscription id")),
    responses((status = 200, description = "What the recount found", body = Object))
)]
pub async fn check(app: &App, call: Call) -> Result<Reply, ManageError> {
    let check: Check = app.licenses.check(call.param("sub")).await?;
    Reply::json(200, &check)
}
