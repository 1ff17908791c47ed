//! Test support, compiled only for tests and with the `testing` feature (which the tests crate
//! turns on): never part of a function's release build (`scripts/build-lambdas` checks).
//!
//! - [`conformance`]: the Table port's conformance suite, run against every engine;
//! - [`moto_config`]: an AWS SDK configuration for a local moto server.

pub use crate::store::conformance;

/// An SDK configuration for a local moto server at `endpoint`: fixed region and dummy
/// credentials (moto accepts any), so tests never reach for a real account's credentials.
pub async fn moto_config(endpoint: &str) -> aws_config::SdkConfig {
    let credentials = aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "moto");
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .load()
        .await
}
