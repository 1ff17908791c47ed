//! Test support, compiled only for tests and with the `testing` feature (which the tests crate
//! turns on): never part of a function's release build (`scripts/build-lambdas` checks).
//!
//! - the Table port's conformance suite lives with the port ([`crate::store::conformance`]),
//!   under the same feature;
//! - [`moto_config`]: an AWS SDK configuration for a local moto server;
//! - [`TempDir`]: a directory for one test's files;
//! - [`Meter`]: the counts and times a property test reports (`scripts/test` reads its line).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("scim-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Default for TempDir {
    fn default() -> TempDir {
        TempDir::new()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Inputs run and time spent by one property test, for its summary line.
pub struct Meter {
    target: &'static str,
    started: Instant,
    inputs: Cell<u64>,
    /// Time in the code under test, generation aside.
    total: Cell<Duration>,
    slowest: Cell<Duration>,
    slowest_input: RefCell<String>,
    /// How inputs ended (parsed, refused by which step…): generation that never gets past
    /// the first error shows here.
    outcomes: RefCell<BTreeMap<String, u64>>,
}

impl Meter {
    pub fn new(target: &'static str) -> Meter {
        Meter {
            target,
            started: Instant::now(),
            inputs: Cell::new(0),
            total: Cell::new(Duration::ZERO),
            slowest: Cell::new(Duration::ZERO),
            slowest_input: RefCell::new(String::new()),
            outcomes: RefCell::new(BTreeMap::new()),
        }
    }

    /// How many inputs have run.
    pub fn inputs(&self) -> u64 {
        self.inputs.get()
    }

    pub fn outcome(&self, what: impl Into<String>) {
        *self.outcomes.borrow_mut().entry(what.into()).or_default() += 1;
    }

    /// Runs `f` on one input, counting it and its time.
    pub fn time<T>(&self, describe: impl FnOnce() -> String, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = f();
        let took = started.elapsed();
        self.inputs.set(self.inputs.get() + 1);
        self.total.set(self.total.get() + took);
        if took > self.slowest.get() {
            self.slowest.set(took);
            *self.slowest_input.borrow_mut() = describe();
        }
        out
    }

    /// The summary line `scripts/test` reads (`property: <target>: N inputs in T s (…)`: the
    /// run's time with generation, then the time in the code under test alone), then how
    /// inputs ended and the slowest input (cut to stay readable) for whoever looks into a slow run.
    pub fn report(&self) {
        println!(
            "property: {}: {} inputs in {:.1} s (code under test {:.1} s, slowest input {:.2} ms)",
            self.target,
            self.inputs.get(),
            self.started.elapsed().as_secs_f64(),
            self.total.get().as_secs_f64(),
            self.slowest.get().as_secs_f64() * 1000.0
        );
        let outcomes: Vec<String> = self.outcomes.borrow().iter().map(|(what, n)| format!("{what} {n}")).collect();
        println!("  {} outcomes: {}", self.target, outcomes.join(", "));
        let slowest = self.slowest_input.borrow();
        let cut: String = slowest.chars().take(160).collect();
        println!("  {} slowest input ({} bytes): {cut:?}", self.target, slowest.len());
    }
}

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
