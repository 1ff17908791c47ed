//! `local-api`: every function's handler served in one process over the embedded store, on
//! the routes API Gateway uses (`/scim/v2/{tenant}/…`).

pub mod testing {
    //! An in-process service on an in-memory store, for the integration tests and the benchmark.

    /// Credentials of one provisioning configuration (one SCIM tenant).
    #[derive(Debug, Clone)]
    pub struct Tenant {
        /// `http://127.0.0.1:PORT/scim/v2/<tenant id>`: append `/Users`, `/Groups`, …
        pub tenant_url: String,
        pub client_id: String,
        pub client_secret: String,
    }

    /// A running service; it stops when dropped.
    pub struct TestService {
        /// `http://127.0.0.1:PORT`
        pub base_url: String,
    }

    impl TestService {
        /// Starts a service on 127.0.0.1 on a free port, on a fresh in-memory store.
        pub async fn start() -> TestService {
            todo!("filled in with the local server")
        }

        /// Creates a provisioning configuration and returns its credentials.
        pub async fn create_tenant(&self, _name: &str, _default_license: &str) -> Tenant {
            todo!("filled in with the local server")
        }
    }
}
