//! `local-api`: the whole service on a laptop. See `local-api --help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use shared::directory::LicenseType;

#[derive(Parser)]
#[command(name = "local-api", about = "The SCIM provisioning service in one local process, on an embedded store.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every function on the routes API Gateway uses.
    Serve {
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        /// Where the embedded store keeps its data.
        #[arg(long, default_value = ".data")]
        data_dir: PathBuf,
    },
    /// Manage provisioning configurations.
    Configuration {
        #[command(subcommand)]
        command: ConfigurationCommand,
    },
}

#[derive(Subcommand)]
enum ConfigurationCommand {
    /// Create a configuration: a new SCIM tenant with its client ID and secret (shown once).
    Create {
        #[arg(long)]
        name: String,
        /// named, concurrent, read-only or none.
        #[arg(long)]
        default_license: LicenseType,
        #[arg(long, default_value = ".data")]
        data_dir: PathBuf,
        /// Base URL the tenant URL is printed under.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        base_url: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    shared::http::init_logging();
    let result = match Cli::parse().command {
        Command::Serve { addr, data_dir } => serve(addr, data_dir).await,
        Command::Configuration {
            command: ConfigurationCommand::Create { name, default_license, data_dir, base_url, json },
        } => create(&name, default_license, &data_dir, &base_url, json).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("local-api: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: SocketAddr, data_dir: PathBuf) -> Result<(), String> {
    let app = Arc::new(local::open_app(&data_dir)?);
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let existing = app.directory.configurations(local::LOCAL_SUBSCRIPTION).await.map_err(|e| e.to_string())?;
    println!("local-api listening on http://{addr} (data in {})", data_dir.display());
    if existing.is_empty() {
        let created = local::create_configuration(&app, "Default", LicenseType::Named).await?;
        println!();
        println!("Created a provisioning configuration. The client secret is shown only this once:");
        println!("  SCIM tenant URL: {}", local::tenant_url(addr, &created.configuration.tenant));
        println!("  Client ID:       {}", created.configuration.client_id);
        println!("  Client secret:   {}", created.client_secret);
    } else {
        println!();
        println!("Tenants (each secret was shown when its configuration was created; `local-api configuration create` makes another):");
        for c in &existing {
            println!("  {:<24} {}", c.name, local::tenant_url(addr, &c.tenant));
        }
    }
    println!();
    println!("Authenticate with Basic (client ID : client secret) or 'Authorization: Bearer <client secret>'.");
    local::serve(listener, app).await.map_err(|e| format!("server stopped: {e}"))
}

async fn create(
    name: &str,
    license: LicenseType,
    data_dir: &std::path::Path,
    base_url: &str,
    json: bool,
) -> Result<(), String> {
    let app = local::open_app(data_dir)?;
    let created = local::create_configuration(&app, name, license).await?;
    let tenant_url = format!("{}/scim/v2/{}", base_url.trim_end_matches('/'), created.configuration.tenant);
    if json {
        let out = serde_json::json!({
            "tenant_url": tenant_url,
            "client_id": created.configuration.client_id,
            "client_secret": created.client_secret,
        });
        println!("{out}");
    } else {
        println!("SCIM tenant URL: {tenant_url}");
        println!("Client ID:       {}", created.configuration.client_id);
        println!("Client secret:   {} (shown only this once)", created.client_secret);
    }
    Ok(())
}
