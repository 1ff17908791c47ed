//! Which engine a process runs on, and where clients reach it, read once at cold start from
//! the environment.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `SCIM_STORE` | `embedded` or `dynamodb` | `dynamodb` when `SCIM_TABLE_NAME` is set, else `embedded` |
//! | `SCIM_TABLE_NAME` | the DynamoDB table (dynamodb) | — (required for dynamodb) |
//! | `SCIM_SECRET_PREFIX` | prefix of the per-tenant Secrets Manager secrets (dynamodb) | `scim/` |
//! | `SCIM_JOBS_QUEUE_URL` | the SQS queue that hands background jobs to the worker function (dynamodb) | — (none: jobs run only in the process that started them, as in `local-api`) |
//! | `SCIM_DATA_DIR` | directory of the SQLite file (embedded) | `/tmp/scim` |
//! | `AWS_REGION`, `AWS_ENDPOINT_URL`, credentials | read by aws-config itself (dynamodb) | the SDK's chain |
//! | `SCIM_PUBLIC_URL` | the base URL clients use, before `/scim/v2/…` (stage path included, if any): the base of `Location`, `meta.location` and `$ref` | on Lambda `https://` + the domain name API Gateway received the request on, + the stage in the path; `local-api serve`: `http://<listen address>` |
//! | `MANAGE_ISSUER` | the `iss` of the admin API's bearer tokens (the OIDC issuer) | — (without the four `MANAGE_*`, every admin request is a 401 saying what to set) |
//! | `MANAGE_AUDIENCE` | the `aud` those tokens must carry | — (required with `MANAGE_ISSUER`) |
//! | `MANAGE_JWKS` | the issuer's signing keys, a JWKS document inline (`{"keys": [...]}`) | — (this or `MANAGE_JWKS_URL`) |
//! | `MANAGE_JWKS_URL` | where to fetch that JWKS, once per cold start (`https://`; `http://` only to a loopback host) | — (this or `MANAGE_JWKS`) |
//! | `MANAGE_CONSOLE_CLIENT_ID` | the web console's client id at `MANAGE_ISSUER` (a public client): the console signs in with it (authorization code with PKCE), and ID tokens whose `aud` is it are admin tokens too | — (no OIDC sign-in; only with the other `MANAGE_*`) |
//!
//! URLs are never built from a request's `Host` or `X-Forwarded-Proto`, which any client sets
//! ([`PublicUrl`]).
//! `AWS_ENDPOINT_URL` is the SDK's standard endpoint override: pointed at a moto server it
//! sends both DynamoDB and Secrets Manager there (moto serves every service on one port).
//! Errors name the variable to set, since the person reading them is an operator.

use std::path::PathBuf;

use crate::public_url::PublicUrl;

/// Default of `SCIM_SECRET_PREFIX`; the SAM template scopes IAM to the same prefix.
pub const DEFAULT_SECRET_PREFIX: &str = "scim/";
/// Default of `SCIM_DATA_DIR`: Lambda's only writable directory.
pub const DEFAULT_DATA_DIR: &str = "/tmp/scim";

/// The engine behind the Table and SecretStore ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Store {
    /// SQLite in `data_dir`; verifiers in the same table.
    Embedded { data_dir: PathBuf },
    /// DynamoDB table `table`; verifiers in Secrets Manager as `{secret_prefix}{tenant}`;
    /// background jobs announced on the SQS queue at `jobs_queue`, if any.
    DynamoDb { table: String, secret_prefix: String, jobs_queue: Option<String> },
}

/// Who signs the admin API's bearer tokens (`MANAGE_*`), when configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManageIssuer {
    /// `MANAGE_ISSUER`: the tokens' `iss`.
    pub issuer: String,
    /// `MANAGE_AUDIENCE`: the `aud` they must carry.
    pub audience: String,
    pub keys: JwksSource,
    /// `MANAGE_CONSOLE_CLIENT_ID`: the console's client id at the issuer, when the console
    /// signs in through it (OIDC).
    pub console_client_id: Option<String>,
}

/// Where the issuer's signing keys (a JWKS document) come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksSource {
    /// `MANAGE_JWKS`: the document itself.
    Inline(String),
    /// `MANAGE_JWKS_URL`: fetched once per cold start.
    Url(String),
}

/// What a process reads from its environment at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub store: Store,
    /// `SCIM_PUBLIC_URL`: the base of every URL the service writes, if configured.
    pub public_url: Option<PublicUrl>,
    /// `MANAGE_*`: the admin API's token issuer, if configured.
    pub manage: Option<ManageIssuer>,
}

impl Settings {
    /// The settings in this process's environment.
    pub fn from_env() -> Result<Settings, String> {
        Settings::from_vars(|name| std::env::var(name).ok())
    }

    /// The settings given by `var` (a variable's value, if set), so callers such as
    /// `local-api` can lay command-line flags over the environment and get the same rules.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let var = |name: &str| var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let table = var("SCIM_TABLE_NAME");
        let dynamodb = match var("SCIM_STORE").map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("embedded") => false,
            Some("dynamodb") => true,
            None => table.is_some(),
            Some(other) => {
                return Err(format!("SCIM_STORE must be `embedded` or `dynamodb`, not {other:?}"));
            }
        };
        let store = if dynamodb {
            let table = table.ok_or(
                "SCIM_STORE=dynamodb needs SCIM_TABLE_NAME, the name of the DynamoDB table \
                 (local-api: --table NAME)",
            )?;
            validate_table_name(&table)?;
            let secret_prefix = var("SCIM_SECRET_PREFIX").unwrap_or_else(|| DEFAULT_SECRET_PREFIX.to_owned());
            validate_secret_prefix(&secret_prefix)?;
            let jobs_queue = var("SCIM_JOBS_QUEUE_URL")
                .map(|url| {
                    https_or_loopback(
                        "SCIM_JOBS_QUEUE_URL",
                        &url,
                        "https://sqs.eu-west-1.amazonaws.com/123456789012/scim-jobs",
                    )
                })
                .transpose()?;
            Store::DynamoDb { table, secret_prefix, jobs_queue }
        } else {
            if var("SCIM_JOBS_QUEUE_URL").is_some() {
                return Err("SCIM_JOBS_QUEUE_URL needs SCIM_STORE=dynamodb: on the embedded store, jobs run in \
                            the worker of the process that serves the API (local-api)"
                    .to_owned());
            }
            Store::Embedded { data_dir: var("SCIM_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.to_owned()).into() }
        };
        let public_url = var("SCIM_PUBLIC_URL")
            .map(|url| PublicUrl::parse(&url).map_err(|e| format!("SCIM_PUBLIC_URL {e}")))
            .transpose()?;
        let manage = manage_issuer(&var)?;
        Ok(Settings { store, public_url, manage })
    }
}

/// The admin API's issuer from `MANAGE_*`: none of them set is none; any of them set needs
/// the issuer, the audience and exactly one of the two key sources.
fn manage_issuer(var: &impl Fn(&str) -> Option<String>) -> Result<Option<ManageIssuer>, String> {
    let (issuer, audience) = (var("MANAGE_ISSUER"), var("MANAGE_AUDIENCE"));
    let (jwks, url) = (var("MANAGE_JWKS"), var("MANAGE_JWKS_URL"));
    let console_client_id = var("MANAGE_CONSOLE_CLIENT_ID");
    if issuer.is_none() && audience.is_none() && jwks.is_none() && url.is_none() {
        if console_client_id.is_some() {
            return Err("MANAGE_CONSOLE_CLIENT_ID is the console's client id at the admin API's issuer: it needs \
                        MANAGE_ISSUER, MANAGE_AUDIENCE and MANAGE_JWKS or MANAGE_JWKS_URL too"
                .to_owned());
        }
        return Ok(None);
    }
    let needs = "the admin API needs MANAGE_ISSUER, MANAGE_AUDIENCE and one of MANAGE_JWKS (the JWKS \
                 document) or MANAGE_JWKS_URL (where to fetch it)";
    let (Some(issuer), Some(audience)) = (issuer, audience) else {
        return Err(format!("{needs}: set both MANAGE_ISSUER and MANAGE_AUDIENCE, or none of the MANAGE_* variables"));
    };
    let keys = match (jwks, url) {
        (Some(jwks), None) => JwksSource::Inline(jwks),
        (None, Some(url)) => JwksSource::Url(https_or_loopback(
            "MANAGE_JWKS_URL",
            &url,
            "https://login.example.com/.well-known/jwks.json",
        )?),
        (Some(_), Some(_)) => return Err(format!("{needs}: set MANAGE_JWKS or MANAGE_JWKS_URL, not both")),
        (None, None) => return Err(format!("{needs}: set MANAGE_JWKS or MANAGE_JWKS_URL")),
    };
    Ok(Some(ManageIssuer { issuer, audience, keys, console_client_id }))
}

/// `url` (the value of the variable `name`) if it is `https://` with a host, or `http://` to a
/// loopback host (a local stand-in: a test issuer, moto): anything else would send keys or
/// jobs in the clear, to anyone. The error shows `example`.
fn https_or_loopback(name: &str, url: &str, example: &str) -> Result<String, String> {
    let uri: http::Uri = url.parse().map_err(|e| format!("{name} {url:?} is not a URL: {e}"))?;
    let host = uri.host().unwrap_or_default();
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    match uri.scheme_str() {
        Some("https") if !host.is_empty() => Ok(url.to_owned()),
        Some("http") if loopback => Ok(url.to_owned()),
        _ => Err(format!("{name} {url:?} must be an https:// URL (http:// only to localhost), e.g. {example}")),
    }
}

/// DynamoDB's rule: 3 to 255 of `[A-Za-z0-9_.-]`.
fn validate_table_name(name: &str) -> Result<(), String> {
    let ok = (3..=255).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!("SCIM_TABLE_NAME {name:?} is not a DynamoDB table name: 3 to 255 of A-Z a-z 0-9 _ . -"))
    }
}

/// Secrets Manager names allow `[A-Za-z0-9/_+=.@-]`; the tenant id (32 hex digits) follows the
/// prefix, and a whole name may be 512 characters.
fn validate_secret_prefix(prefix: &str) -> Result<(), String> {
    let ok = prefix.len() <= 256
        && prefix.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '+' | '=' | '.' | '@' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "SCIM_SECRET_PREFIX {prefix:?} cannot start a Secrets Manager name: \
             at most 256 of A-Z a-z 0-9 / _ + = . @ -"
        ))
    }
}

/// The AWS SDK configuration from the environment (region, credentials, `AWS_ENDPOINT_URL`),
/// loaded once per process; an error when no region is known, since every call would fail.
pub async fn aws_config() -> Result<aws_config::SdkConfig, String> {
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    if config.region().is_none() {
        return Err("no AWS region: set AWS_REGION (Lambda sets it; for moto any region works, \
                    e.g. AWS_REGION=us-east-1)"
            .to_owned());
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, String> {
        Settings::from_vars(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn embedded_is_the_default_and_a_table_name_selects_dynamodb() {
        assert_eq!(settings(&[]).unwrap().store, Store::Embedded { data_dir: DEFAULT_DATA_DIR.into() });
        assert_eq!(
            settings(&[("SCIM_DATA_DIR", "/var/scim")]).unwrap().store,
            Store::Embedded { data_dir: "/var/scim".into() }
        );
        assert_eq!(
            settings(&[("SCIM_TABLE_NAME", "scim-prod")]).unwrap().store,
            Store::DynamoDb { table: "scim-prod".into(), secret_prefix: "scim/".into(), jobs_queue: None }
        );
        assert_eq!(
            settings(&[("SCIM_TABLE_NAME", "t-1"), ("SCIM_SECRET_PREFIX", "prod/scim/")]).unwrap().store,
            Store::DynamoDb { table: "t-1".into(), secret_prefix: "prod/scim/".into(), jobs_queue: None }
        );
        // An explicit choice wins over the table name.
        assert!(matches!(
            settings(&[("SCIM_STORE", "embedded"), ("SCIM_TABLE_NAME", "t-1")]).unwrap().store,
            Store::Embedded { .. }
        ));
    }

    #[test]
    fn errors_name_what_to_set() {
        let e = settings(&[("SCIM_STORE", "dynamodb")]).unwrap_err();
        assert!(e.contains("SCIM_TABLE_NAME"), "{e}");
        let e = settings(&[("SCIM_STORE", "dynamo")]).unwrap_err();
        assert!(e.contains("`embedded` or `dynamodb`"), "{e}");
        let e = settings(&[("SCIM_TABLE_NAME", "no spaces")]).unwrap_err();
        assert!(e.contains("SCIM_TABLE_NAME"), "{e}");
        let e = settings(&[("SCIM_TABLE_NAME", "t-1"), ("SCIM_SECRET_PREFIX", "scim/*")]).unwrap_err();
        assert!(e.contains("SCIM_SECRET_PREFIX"), "{e}");
        // Blank counts as unset.
        assert!(matches!(
            settings(&[("SCIM_STORE", " "), ("SCIM_TABLE_NAME", "")]).unwrap().store,
            Store::Embedded { .. }
        ));
    }

    #[test]
    fn a_jobs_queue_goes_with_dynamodb_and_must_be_https() {
        let url = "https://sqs.eu-west-1.amazonaws.com/123456789012/scim-jobs";
        assert_eq!(
            settings(&[("SCIM_TABLE_NAME", "t-1"), ("SCIM_JOBS_QUEUE_URL", url)]).unwrap().store,
            Store::DynamoDb { table: "t-1".into(), secret_prefix: "scim/".into(), jobs_queue: Some(url.into()) }
        );
        let e = settings(&[("SCIM_JOBS_QUEUE_URL", url)]).unwrap_err();
        assert!(e.contains("SCIM_STORE=dynamodb"), "{e}");
        let e =
            settings(&[("SCIM_TABLE_NAME", "t-1"), ("SCIM_JOBS_QUEUE_URL", "http://sqs.example.com/q")]).unwrap_err();
        assert!(e.contains("SCIM_JOBS_QUEUE_URL") && e.contains("https://"), "{e}");
        let moto = "http://127.0.0.1:5000/123456789012/q";
        assert!(settings(&[("SCIM_TABLE_NAME", "t-1"), ("SCIM_JOBS_QUEUE_URL", moto)]).is_ok());
    }

    #[test]
    fn the_admin_issuer_is_all_or_nothing_and_errors_name_the_variable() {
        assert_eq!(settings(&[]).unwrap().manage, None);
        assert_eq!(settings(&[("MANAGE_ISSUER", " ")]).unwrap().manage, None, "blank counts as unset");
        let base = [("MANAGE_ISSUER", "https://login.example.com"), ("MANAGE_AUDIENCE", "manage")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut vars = base.to_vec();
            vars.extend_from_slice(extra);
            settings(&vars)
        };
        let inline = with(&[("MANAGE_JWKS", r#"{"keys": []}"#)]).unwrap().manage.unwrap();
        assert_eq!(inline.issuer, "https://login.example.com");
        assert_eq!(inline.audience, "manage");
        assert_eq!(inline.keys, JwksSource::Inline(r#"{"keys": []}"#.into()));
        let url = with(&[("MANAGE_JWKS_URL", "https://login.example.com/jwks")]).unwrap().manage.unwrap();
        assert_eq!(url.keys, JwksSource::Url("https://login.example.com/jwks".into()));
        let local = with(&[("MANAGE_JWKS_URL", "http://127.0.0.1:9000/jwks")]).unwrap().manage.unwrap();
        assert_eq!(local.keys, JwksSource::Url("http://127.0.0.1:9000/jwks".into()));

        let e = with(&[]).unwrap_err();
        assert!(e.contains("MANAGE_JWKS or MANAGE_JWKS_URL"), "{e}");
        let e = with(&[("MANAGE_JWKS", "{}"), ("MANAGE_JWKS_URL", "https://x.example/j")]).unwrap_err();
        assert!(e.contains("not both"), "{e}");
        let e = settings(&[("MANAGE_JWKS", "{}")]).unwrap_err();
        assert!(e.contains("MANAGE_ISSUER and MANAGE_AUDIENCE"), "{e}");
        let e = settings(&[("MANAGE_ISSUER", "i"), ("MANAGE_JWKS", "{}")]).unwrap_err();
        assert!(e.contains("MANAGE_AUDIENCE"), "{e}");
        assert_eq!(url.console_client_id, None);
        let console =
            with(&[("MANAGE_JWKS_URL", "https://login.example.com/jwks"), ("MANAGE_CONSOLE_CLIENT_ID", " console ")]);
        assert_eq!(console.unwrap().manage.unwrap().console_client_id.as_deref(), Some("console"));
        let e = settings(&[("MANAGE_CONSOLE_CLIENT_ID", "console")]).unwrap_err();
        assert!(e.starts_with("MANAGE_CONSOLE_CLIENT_ID ") && e.contains("MANAGE_ISSUER"), "{e}");
        for bad in ["http://login.example.com/jwks", "ftp://x.example/j", "not a url", "/jwks"] {
            let e = with(&[("MANAGE_JWKS_URL", bad)]).unwrap_err();
            assert!(e.starts_with("MANAGE_JWKS_URL "), "{bad:?}: {e}");
        }
    }

    #[test]
    fn the_public_url_is_an_absolute_base_url_or_a_start_up_error_naming_it() {
        assert_eq!(settings(&[]).unwrap().public_url, None);
        assert_eq!(settings(&[("SCIM_PUBLIC_URL", "  ")]).unwrap().public_url, None, "blank counts as unset");
        let url = settings(&[("SCIM_PUBLIC_URL", " https://scim.example.com/prod/ ")]).unwrap().public_url;
        assert_eq!(url.as_ref().map(PublicUrl::as_str), Some("https://scim.example.com/prod"));
        assert_eq!(url.unwrap().tenant_url("t1"), "https://scim.example.com/prod/scim/v2/t1");
        for bad in [
            "scim.example.com",
            "ftp://scim.example.com",
            "https://scim.example.com?x=1",
            "https://a.example/#f",
            "https:///x",
        ] {
            let e = settings(&[("SCIM_PUBLIC_URL", bad)]).unwrap_err();
            assert!(e.starts_with("SCIM_PUBLIC_URL "), "{bad:?}: {e}");
        }
    }
}
