//! `local-api`: the whole service on a laptop. See `local-api --help`.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use shared::admin_issuer::AdminTokens;
use shared::admin_tokens::{DevIssuer, Role};
use shared::edge::manage::BASE;
use shared::edge::routes::{Function, ROUTES};
use shared::licenses::LicenseType;
use shared::public_url::PublicUrl;
use shared::settings::Settings;
use shared::tenants::NewConfiguration;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long the subscription-admin token `serve` prints stays valid: a working day.
const SERVE_TOKEN_TTL: std::time::Duration = std::time::Duration::from_secs(8 * 3600);

/// Where `serve` listens unless told otherwise.
const DEFAULT_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 3000));

#[derive(Parser)]
#[command(
    name = "local-api",
    about = "The SCIM provisioning service in one local process, on an embedded store or on DynamoDB."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every function on the routes API Gateway uses, the admin API among them (its
    /// tokens signed by the development key in the data directory, whose sign-in links open
    /// the console; or, when MANAGE_ISSUER and the other MANAGE_* are set, those of that issuer,
    /// through which the console signs in with MANAGE_CONSOLE_CLIENT_ID).
    Serve {
        #[arg(long, default_value_t = DEFAULT_ADDR)]
        addr: SocketAddr,
        /// The base URL clients reach this server at, when that is not http://ADDR (behind a
        /// proxy, or listening on 0.0.0.0): the base of every URL the answers carry
        /// (Location, meta.location, $ref). Default: $SCIM_PUBLIC_URL, else http://ADDR.
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manage provisioning configurations.
    Configuration {
        #[command(subcommand)]
        command: ConfigurationCommand,
    },
    /// Print a bearer token for the admin API, signed with the development key kept in the
    /// data directory (made on first use). On AWS the configured OIDC issuer signs instead.
    Token {
        /// operator, subscription-admin or access-admin.
        #[arg(long)]
        role: Role,
        /// The subscription an admin role acts in (subscription-admin and access-admin need one).
        #[arg(long)]
        subscription: Option<String>,
        /// How long the token stays valid, in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
        /// Where the development key is kept (the embedded store's data directory).
        #[arg(long, default_value = ".data")]
        data_dir: PathBuf,
    },
    /// Print a one-time sign-in link to the web console (/manage/): it works once, within 15
    /// minutes, in the browser that opens it first (whether or not a server runs now; it is
    /// kept in the store).
    SigninLink {
        /// operator, subscription-admin or access-admin.
        #[arg(long)]
        role: Role,
        /// The subscription an admin role acts in (subscription-admin and access-admin need one).
        #[arg(long, default_value = local::LOCAL_SUBSCRIPTION)]
        subscription: String,
        #[command(flatten)]
        out: Output,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Recount a subscription's seats and waiting users from its user items and compare them
    /// with its pools and queues; prints the findings as JSON and fails if there are any.
    Check {
        /// The subscription to check.
        #[arg(long, default_value = local::LOCAL_SUBSCRIPTION)]
        subscription: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Print the development issuer's public keys, a JWKS document: MANAGE_JWKS for a manage
    /// function run outside local-api (cargo lambda watch), with MANAGE_ISSUER=local-api and
    /// MANAGE_AUDIENCE=manage, so that it accepts `local-api token`'s tokens.
    Jwks {
        /// Where the development key is kept (the embedded store's data directory).
        #[arg(long, default_value = ".data")]
        data_dir: PathBuf,
    },
    /// Print the route table: which function serves which route (as `template.yaml` declares
    /// them to API Gateway, and as this process dispatches).
    Routes {
        /// One JSON array of {"method", "path", "function", "logical_id"} instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the Lambda functions `template.yaml` must declare: those of the route table and
    /// the worker, whose trigger is the jobs queue.
    Functions {
        /// One JSON array of {"function", "logical_id", "trigger"} (`http` or `queue`) instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ConfigurationCommand {
    /// Create a configuration: a new SCIM tenant with its client ID and secret (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// The subscription it provisions users into (it must exist; `local` is made on demand).
        #[arg(long, default_value = local::LOCAL_SUBSCRIPTION)]
        subscription: String,
        /// named, concurrent, read-only or none.
        #[arg(long)]
        default_license: LicenseType,
        #[command(flatten)]
        out: Output,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Give a configuration a new client secret (shown once). The old one stops working at
    /// once in this process and within 60 s in running servers (their credential cache).
    RotateSecret {
        /// The tenant id (the last segment of the tenant URL).
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        out: Output,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Where the data lives. Unset flags fall back to the variables the functions read
/// (`SCIM_STORE`, `SCIM_TABLE_NAME`, `SCIM_SECRET_PREFIX`, and `SCIM_PUBLIC_URL` for
/// `serve --public-url` and `--base-url`), so both follow one set of rules.
#[derive(Args)]
struct StoreArgs {
    /// embedded (SQLite in --data-dir) or dynamodb (DynamoDB + Secrets Manager at
    /// AWS_ENDPOINT_URL, or AWS). Default: $SCIM_STORE, else dynamodb when a table is named.
    #[arg(long, value_parser = ["embedded", "dynamodb"])]
    store: Option<String>,
    /// Where the embedded store keeps its data.
    #[arg(long, default_value = ".data")]
    data_dir: PathBuf,
    /// The DynamoDB table (default: $SCIM_TABLE_NAME).
    #[arg(long)]
    table: Option<String>,
    /// Prefix of the per-tenant Secrets Manager secrets (default: $SCIM_SECRET_PREFIX, else scim/).
    #[arg(long)]
    secret_prefix: Option<String>,
    /// Create the DynamoDB table first unless it exists (for a fresh moto server).
    #[arg(long)]
    create_table: bool,
}

impl StoreArgs {
    /// The settings of these flags and `public_url` (`serve --public-url`) over the environment.
    fn settings(&self, public_url: Option<&str>) -> Result<Settings, String> {
        Settings::from_vars(|name| {
            let flag = match name {
                "SCIM_STORE" => self.store.clone(),
                "SCIM_TABLE_NAME" => self.table.clone(),
                "SCIM_SECRET_PREFIX" => self.secret_prefix.clone(),
                "SCIM_PUBLIC_URL" => public_url.map(str::to_owned),
                "SCIM_DATA_DIR" => return Some(self.data_dir.display().to_string()),
                _ => None,
            };
            flag.or_else(|| std::env::var(name).ok())
        })
    }

    async fn open(&self, public_url: Option<&str>) -> Result<(shared::app::App, Settings), String> {
        let settings = self.settings(public_url)?;
        Ok((local::open(&settings, self.create_table).await?, settings))
    }
}

#[derive(Args)]
struct Output {
    /// Base URL the tenant URL is printed under: the server's public URL. Default:
    /// $SCIM_PUBLIC_URL, else that of `serve` on its default address.
    #[arg(long, value_name = "URL", value_parser = PublicUrl::parse)]
    base_url: Option<PublicUrl>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

impl Output {
    /// `--base-url`, which stands for `SCIM_PUBLIC_URL` as `serve --public-url` does.
    fn base_url(&self) -> Option<&str> {
        self.base_url.as_ref().map(PublicUrl::as_str)
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    shared::edge::init_logging();
    let result = match Cli::parse().command {
        Command::Routes { json } => {
            print_routes(json);
            Ok(())
        }
        Command::Functions { json } => {
            print_functions(json);
            Ok(())
        }
        Command::Serve { addr, public_url, store } => serve(addr, public_url.as_deref(), &store).await,
        Command::Token { role, subscription, ttl, data_dir } => DevIssuer::load_or_create(&data_dir)
            .and_then(|issuer| issuer.mint(role, subscription.as_deref(), std::time::Duration::from_secs(ttl)))
            .map(|token| println!("{token}")),
        Command::Check { subscription, store } => check(&subscription, &store).await,
        Command::SigninLink { role, subscription, out, store } => signin_link(role, &subscription, &out, &store).await,
        Command::Jwks { data_dir } => DevIssuer::load_or_create(&data_dir).map(|issuer| println!("{}", issuer.jwks())),
        Command::Configuration {
            command: ConfigurationCommand::Create { name, subscription, default_license, out, store },
        } => create(&subscription, &name, default_license, &out, &store).await,
        Command::Configuration { command: ConfigurationCommand::RotateSecret { tenant, out, store } } => {
            rotate(&tenant, &out, &store).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("local-api: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: SocketAddr, public_url: Option<&str>, store: &StoreArgs) -> Result<(), String> {
    let (app, settings) = store.open(public_url).await?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = local::public_url(settings.public_url.as_ref(), addr);
    // The admin API's issuer: the one MANAGE_* name, when they are set (as on AWS); else the
    // development issuer, which also makes the console's sign-in links.
    let (issuer, admin_tokens) = match &settings.manage {
        Some(manage) => (None, AdminTokens::from_settings(Some(manage)).await?),
        None => {
            let (issuer, tokens) = local::dev_admin_tokens(&store.data_dir)?;
            (Some(issuer), tokens)
        }
    };
    let app = Arc::new(app.with_public_url(public_url.clone()).with_admin_tokens(admin_tokens));
    local::ensure_local_subscription(&app).await?;
    let existing = app.tenants.configurations(local::LOCAL_SUBSCRIPTION).await.map_err(|e| e.to_string())?;
    println!("local-api listening on http://{addr} ({})", local::describe(&settings));
    if public_url != PublicUrl::listening_at(addr) {
        println!("URLs in answers are under {public_url}");
    }
    if existing.is_empty() {
        let created = local::create_configuration(&app, "Default", LicenseType::Named).await?;
        println!();
        println!("Created a provisioning configuration. The client secret is shown only this once:");
        println!("  SCIM tenant URL: {}", public_url.tenant_url(&created.configuration.tenant));
        println!("  Client ID:       {}", created.configuration.client_id);
        println!("  Client secret:   {}", created.client_secret);
    } else {
        println!();
        println!("Tenants (each secret was shown when its configuration was created; `local-api configuration create` makes another):");
        for c in &existing {
            println!("  {:<24} {}", c.name, public_url.tenant_url(&c.tenant));
        }
    }
    println!();
    println!("Authenticate with Basic (client ID : client secret) or 'Authorization: Bearer <client secret>'.");
    match (&issuer, &settings.manage) {
        (Some(issuer), _) => {
            let link = local::sign_in_link(&app, &public_url, Role::SubscriptionAdmin, Some(local::LOCAL_SUBSCRIPTION))
                .await?;
            println!();
            println!("Web console:     {link}");
            println!(
                "                 (signs in the subscription admin of {:?}: works once, within 15 minutes; \
                 `local-api signin-link` makes others)",
                local::LOCAL_SUBSCRIPTION
            );
            println!();
            println!("Admin API:       {public_url}{BASE} (its OpenAPI document: {BASE}/openapi.json)");
            let admin_token = issuer.mint(Role::SubscriptionAdmin, Some(local::LOCAL_SUBSCRIPTION), SERVE_TOKEN_TTL)?;
            println!(
                "Admin token:     {admin_token}\n                 (subscription-admin of subscription {:?}, valid {} h; \
                 `local-api token` makes others)",
                local::LOCAL_SUBSCRIPTION,
                SERVE_TOKEN_TTL.as_secs() / 3600
            );
            println!(
                "  e.g. curl -H \"Authorization: Bearer $TOKEN\" {public_url}{BASE}/subscriptions/{}/configurations",
                local::LOCAL_SUBSCRIPTION
            );
        }
        (None, Some(manage)) => {
            println!();
            println!("Web console:     {public_url}{}/", shared::edge::manage::console::ROOT);
            match &manage.console_client_id {
                Some(client_id) => println!(
                    "                 (signs in through the identity provider {} as its client {client_id:?}; \
                     MANAGE_* are set, so this server makes no sign-in links)",
                    manage.issuer
                ),
                None => println!(
                    "                 (no sign-in: MANAGE_* are set without MANAGE_CONSOLE_CLIENT_ID, so the \
                     console has no identity provider sign-in and this server makes no sign-in links)"
                ),
            }
            println!();
            println!("Admin API:       {public_url}{BASE} (its OpenAPI document: {BASE}/openapi.json)");
            println!("                 (bearer tokens of {} for audience {:?})", manage.issuer, manage.audience);
            println!(
                "  e.g. curl -H \"Authorization: Bearer $TOKEN\" {public_url}{BASE}/subscriptions/{}/configurations",
                local::LOCAL_SUBSCRIPTION
            );
        }
        // (The development issuer is made whenever MANAGE_* are unset.)
        (None, None) => {}
    }
    local::serve(listener, app).await.map_err(|e| format!("server stopped: {e}"))
}

async fn create(
    subscription: &str,
    name: &str,
    license: LicenseType,
    out: &Output,
    store: &StoreArgs,
) -> Result<(), String> {
    let (app, settings) = store.open(out.base_url()).await?;
    let created = match subscription {
        local::LOCAL_SUBSCRIPTION => local::create_configuration(&app, name, license).await?,
        other => {
            app.licenses
                .existing_subscription(other)
                .await
                .map_err(|e| format!("{e}: create it first through the admin API (POST /manage/v1/subscriptions)"))?;
            app.tenants
                .create_configuration(other, name, license)
                .await
                .map_err(|e| format!("cannot create the configuration: {e}"))?
        }
    };
    print_credentials(&created, out, &settings);
    Ok(())
}

async fn rotate(tenant: &str, out: &Output, store: &StoreArgs) -> Result<(), String> {
    let (app, settings) = store.open(out.base_url()).await?;
    let rotated = app.tenants.rotate_secret(tenant).await.map_err(|e| format!("cannot rotate the secret: {e}"))?;
    print_credentials(&rotated, out, &settings);
    Ok(())
}

async fn signin_link(role: Role, subscription: &str, out: &Output, store: &StoreArgs) -> Result<(), String> {
    let (app, settings) = store.open(out.base_url()).await?;
    let public_url = local::public_url(settings.public_url.as_ref(), DEFAULT_ADDR);
    let subscription = (role != Role::Operator).then_some(subscription);
    let link = local::sign_in_link(&app, &public_url, role, subscription).await?;
    if out.json {
        println!("{}", serde_json::json!({"link": link}));
    } else {
        println!("{link}");
    }
    Ok(())
}

async fn check(subscription: &str, store: &StoreArgs) -> Result<(), String> {
    let (app, _) = store.open(None).await?;
    let check = app.licenses.check(subscription).await.map_err(|e| format!("cannot check {subscription}: {e}"))?;
    println!("{}", serde_json::to_string_pretty(&check).map_err(|e| e.to_string())?);
    match check.ok {
        true => Ok(()),
        false => Err(format!("{} problems in subscription {subscription}", check.problems.len())),
    }
}

fn print_routes(json: bool) {
    if json {
        let routes: Vec<_> = ROUTES
            .iter()
            .map(|r| {
                let function = r.function;
                serde_json::json!({"method": r.method, "path": r.path, "function": function.name(), "logical_id": function.logical_id()})
            })
            .collect();
        println!("{}", serde_json::Value::Array(routes));
    } else {
        for r in ROUTES {
            println!("{:<4} {:<32} {}", r.method, r.path, r.function.name());
        }
    }
}

fn print_functions(json: bool) {
    let http = Function::ALL.iter().map(|f| (f.name(), f.logical_id(), "http"));
    let worker = std::iter::once((shared::worker::FUNCTION_NAME, shared::worker::LOGICAL_ID, "queue"));
    let functions: Vec<_> = http.chain(worker).collect();
    if json {
        let functions: Vec<_> = functions
            .iter()
            .map(|(name, id, trigger)| serde_json::json!({"function": name, "logical_id": id, "trigger": trigger}))
            .collect();
        println!("{}", serde_json::Value::Array(functions));
    } else {
        for (name, id, trigger) in functions {
            println!("{name:<10} {id:<18} {trigger}");
        }
    }
}

/// The credentials of a configuration whose secret was just made: the only time it is shown.
fn print_credentials(made: &NewConfiguration, out: &Output, settings: &Settings) {
    let public_url = local::public_url(settings.public_url.as_ref(), DEFAULT_ADDR);
    let tenant_url = public_url.tenant_url(&made.configuration.tenant);
    if out.json {
        let json = serde_json::json!({
            "tenant_url": tenant_url,
            "client_id": made.configuration.client_id,
            "client_secret": made.client_secret,
        });
        println!("{json}");
    } else {
        println!("SCIM tenant URL: {tenant_url}");
        println!("Client ID:       {}", made.configuration.client_id);
        println!("Client secret:   {} (shown only this once)", made.client_secret);
    }
}
