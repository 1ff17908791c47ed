//! The composition root: the engines and services a process builds once (per Lambda cold
//! start, or once for `local-api`) and shares across requests. The only module that names
//! both an engine and a service; everything else is written against the ports.

use std::path::Path;
use std::sync::Arc;

use crate::admin_issuer::AdminTokens;
use crate::audit::Audit;
use crate::directory::Directory;
use crate::job_queue::JobQueue;
use crate::jobs::Jobs;
use crate::licenses::Licenses;
use crate::public_url::PublicUrl;
use crate::secrets::{SecretStore, SecretsManagerSecrets, TableSecrets};
use crate::settings::{Settings, Store};
use crate::sign_in_links::SignInLinks;
use crate::store::dynamodb::DynamoTable;
use crate::store::sqlite::SqliteTable;
use crate::store::Table;
use crate::tenants::Tenants;
use crate::vaults::Vaults;

/// Name of the embedded store's SQLite file in its data directory.
pub const EMBEDDED_FILE: &str = "scim.sqlite3";

/// Every service of a process, over one table and one secret store.
pub struct App {
    pub tenants: Tenants,
    pub licenses: Licenses,
    pub audit: Audit,
    pub jobs: Arc<Jobs>,
    pub directory: Directory,
    pub vaults: Vaults,
    /// Where clients reach this process, when configured ([`Settings::public_url`]; for
    /// `local-api`, its address or `--public-url`); without it the edge takes API Gateway's
    /// domain name ([`PublicUrl::for_request`]).
    pub public_url: Option<PublicUrl>,
    /// The admin API's token verifier ([`Settings::manage`]; for `local-api`, its development
    /// issuer); unconfigured, every admin request is a 401 saying what to set.
    pub admin_tokens: AdminTokens,
    /// The web console's one-time sign-in links (redeemable where a development issuer signs).
    pub sign_in_links: SignInLinks,
}

impl App {
    pub fn new(table: Arc<dyn Table>, secrets: Arc<dyn SecretStore>) -> App {
        let jobs = Arc::new(Jobs::new(table.clone()));
        App {
            tenants: Tenants::new(table.clone(), secrets),
            licenses: Licenses::new(table.clone()),
            audit: Audit::new(table.clone()),
            sign_in_links: SignInLinks::new(table.clone()),
            vaults: Vaults::new(table.clone(), jobs.clone()),
            directory: Directory::new(table, jobs.clone()),
            jobs,
            public_url: None,
            admin_tokens: AdminTokens::unconfigured(),
        }
    }

    /// This app, reached by clients at `url`: the base of every URL it writes.
    pub fn with_public_url(self, url: PublicUrl) -> App {
        App { public_url: Some(url), ..self }
    }

    /// This app, announcing the jobs it starts on `queue` (to the worker function) too.
    pub fn with_job_queue(self, queue: JobQueue) -> App {
        self.jobs.set_queue(queue);
        self
    }

    /// This app, checking admin tokens with `tokens`.
    pub fn with_admin_tokens(self, tokens: AdminTokens) -> App {
        App { admin_tokens: tokens, ..self }
    }

    /// The app a function builds at cold start, from its environment ([`Settings`]): the
    /// embedded store in `SCIM_DATA_DIR`, or DynamoDB and Secrets Manager when
    /// `SCIM_TABLE_NAME` is set. The error tells the operator what to set.
    pub async fn from_env() -> Result<App, String> {
        App::from_settings(&Settings::from_env()?).await
    }

    /// The app `settings` describe; AWS clients are built here, once, from the SDK's own
    /// environment (region, credentials, `AWS_ENDPOINT_URL`), and the admin token verifier
    /// (a JWKS URL is fetched here, once).
    pub async fn from_settings(settings: &Settings) -> Result<App, String> {
        let app = match &settings.store {
            Store::Embedded { data_dir } => App::open_embedded(data_dir)?,
            Store::DynamoDb { table, secret_prefix, jobs_queue } => {
                let config = crate::settings::aws_config().await?;
                let app = App::on_aws(&config, table, secret_prefix);
                match jobs_queue {
                    Some(url) => app.with_job_queue(JobQueue::new(aws_sdk_sqs::Client::new(&config), url)),
                    None => app,
                }
            }
        };
        let admin_tokens = AdminTokens::from_settings(settings.manage.as_ref()).await?;
        Ok(App { public_url: settings.public_url.clone(), admin_tokens, ..app })
    }

    /// An app on the durable embedded store in `data_dir` (its SQLite file is [`EMBEDDED_FILE`]).
    pub fn open_embedded(data_dir: &Path) -> Result<App, String> {
        let path = data_dir.join(EMBEDDED_FILE);
        let table = SqliteTable::open(&path)
            .map_err(|e| format!("cannot open the embedded store at {}: {e}", path.display()))?;
        Ok(App::embedded(Arc::new(table)))
    }

    /// An app whose secrets live in the same embedded table.
    pub fn embedded(table: Arc<dyn Table>) -> App {
        let secrets = Arc::new(TableSecrets::new(table.clone()));
        App::new(table, secrets)
    }

    /// An app on the DynamoDB table `table`, with verifiers in Secrets Manager under `secret_prefix`.
    pub fn on_aws(config: &aws_config::SdkConfig, table: &str, secret_prefix: &str) -> App {
        let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(config), table);
        let secrets = SecretsManagerSecrets::new(aws_sdk_secretsmanager::Client::new(config), secret_prefix);
        App::new(Arc::new(table), Arc::new(secrets))
    }
}
