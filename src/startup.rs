//! The one place that wires everything together: storage, services, HTTP server.
//! `main` and the tests both build the service through [`Application::build`].

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, ServerHandle, Service as _};
use actix_web::middleware::ErrorHandlers;
use actix_web::{App, HttpResponse, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::bus::BusService;
use crate::config::{AuthMode, Settings};
use crate::error::ApiError;
use crate::http::{self, HttpSettings};
use crate::registry::content::SchemaLimits;
use crate::registry::{RegistryConfig, RegistryService};
use crate::storage::{StorageError, Store, StoreOptions};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The settings are inconsistent.
    #[error("invalid settings: {0}")]
    Settings(String),
    /// The data directory cannot be used.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A service could not initialise its state.
    #[error("cannot initialise: {0}")]
    Init(#[from] ApiError),
    /// The code-generation templates cannot be loaded.
    #[error("cannot load code-generation templates: {0}")]
    Templates(#[from] crate::codegen::CodegenError),
    /// The TLS certificate or key cannot be used.
    #[error("cannot use the TLS files: {0}")]
    Tls(String),
    /// The listen address cannot be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A built, bound, not yet running service.
pub struct Application {
    port: u16,
    server: Server,
    /// The AWS-compatible listener (`--aws-listen`) and its port.
    aws: Option<(Server, u16)>,
    store: Store,
    /// The live tails, ended when a stop signal arrives.
    tail: crate::bus::tail::Tail,
    /// Given back once the servers stopped.
    leases: std::sync::Arc<dyn crate::storage::LeaseStore>,
}

impl Application {
    /// Opens storage, builds the services and binds the listener.
    ///
    /// # Errors
    /// See [`StartupError`].
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        settings.validate().map_err(StartupError::Settings)?;
        let store = Store::open(
            &settings.data_dir,
            &StoreOptions {
                cache_capacity_bytes: settings.storage_cache_mb * 1024 * 1024,
                journal_segment_bytes: settings.bus.journal_segment_mb * 1024 * 1024,
                group_commit_delay: std::time::Duration::from_micros(settings.bus.group_commit_delay_us),
                min_free_disk_bytes: settings.min_free_disk_mb.saturating_mul(1024 * 1024),
            },
        )?;
        let shared = Shared::open(&settings, &store).await?;
        let registry = RegistryService::new(
            shared.registry.clone(),
            store.clone(),
            shared.control.clone(),
            RegistryConfig {
                limits: SchemaLimits {
                    max_schema_bytes: settings.max_schema_bytes,
                    max_depth: settings.max_schema_depth,
                },
                validator_cache_capacity: settings.validator_cache,
            },
        )
        .await?;
        let generator = match &settings.codegen_templates {
            Some(dir) => crate::codegen::Generator::from_dir(dir)?,
            None => crate::codegen::Generator::embedded()?,
        };
        let bindings =
            web::Data::new(crate::bindings::BindingsService::new(registry.clone(), generator, 1000));
        spawn_cache_sweeper(&registry, &bindings, settings.cache_idle_minutes);
        let bus = BusService::new(
            store.clone(),
            shared.control.clone(),
            registry.clone(),
            settings.bus.clone(),
            shared.leases.clone(),
        )
        .await?;
        let tail = bus.tail().clone();
        let publisher = bus.clone();
        registry.set_listener(std::sync::Arc::new(move |detail_type, detail| {
            publisher.registry_changed(detail_type, detail);
        }));
        bus.start_background_tasks();
        bus.start_background();
        bus.follow_remote_changes();
        let (discovery, worker) = crate::discovery::DiscoveryService::new(
            shared.control.clone(),
            shared.leases.clone(),
            registry.clone(),
            std::sync::Arc::new(bus.clone()),
            bus.sampler().clone(),
            &settings.discovery,
        )?;
        tokio::spawn(worker);
        discovery.follow_remote_changes();
        let catalog = web::Data::new(crate::catalog::CatalogService::new(
            bus.clone(),
            registry.clone(),
            discovery.clone(),
        ));
        let master =
            crate::auth::aws::MasterKey::load(&settings.data_dir, settings.security.master_key.as_deref())
                .map_err(StartupError::Settings)?;
        let aws_credentials = crate::auth::aws::AwsCredentials::new(shared.access.clone(), master);
        let destinations = crate::destinations::Destinations::new(
            std::sync::Arc::new(shared.control.clone()),
            aws_credentials.master(),
        );
        let access = web::Data::new(build_access(&settings, &shared, &bus, aws_credentials.clone()).await?);
        let tls = match (&settings.security.tls_cert, &settings.security.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::server_config(cert, key).map_err(StartupError::Tls)?),
            _ => None,
        };
        let listener = TcpListener::bind(settings.listen)
            .map_err(|source| StartupError::Bind { address: settings.listen.to_string(), source })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address: settings.listen.to_string(), source })?
            .port();

        let ccompat_registry = crate::model::RegistryName::parse(&settings.ccompat_registry)?;
        let ccompat = web::Data::new(crate::ccompat::CcompatService::new(registry.clone(), ccompat_registry));
        let registry = web::Data::new(registry);
        let bus = web::Data::new(bus);
        // One long-poll budget for both listeners (SQS ReceiveMessage waits too).
        let overload = web::Data::new(http::overload::Overload::new(&settings.http));
        let aws = match settings.security.aws_listen {
            Some(address) => {
                let schemas = http::aws::SchemasServices {
                    registry: (**registry).clone(),
                    bindings: (**bindings).clone(),
                    discovery: discovery.clone(),
                };
                Some(aws_server(
                    &settings,
                    address,
                    (&access, &bus, &overload),
                    schemas,
                    (aws_credentials, destinations),
                    tls.clone(),
                )?)
            }
            None => None,
        };
        let discovery = web::Data::new(discovery);
        let http_settings =
            web::Data::new(HttpSettings { max_validation_errors: settings.max_validation_errors });
        let max_body = settings.max_body_bytes;
        let limits = settings.http.clone();
        let api = http::openapi();
        let server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .app_data(registry.clone())
                .app_data(bindings.clone())
                .app_data(bus.clone())
                .app_data(discovery.clone())
                .app_data(catalog.clone())
                .app_data(http_settings.clone())
                .app_data(access.clone())
                .app_data(ccompat.clone())
                .app_data(overload.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(http::query_config())
                .configure(http::configure)
                .split_for_parts();
            app.service(http::ccompat::scope())
                .configure(http::console::configure)
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .url("/openapi.json", api.clone())
                        .config(SwaggerConfig::new(["/openapi.json"]).validator_url("none")),
                )
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
                    }),
                )
                .default_service(web::to(|| async { HttpResponse::NotFound().finish() }))
                .wrap(actix_web::middleware::from_fn(http::access::enforce))
                .wrap(actix_web::middleware::from_fn(http::overload::shed))
                .wrap(
                    ErrorHandlers::new()
                        .default_handler_client(http::normalise_error_body)
                        .default_handler_server(http::normalise_error_body),
                )
                .wrap_fn(|req, srv| {
                    let started = Instant::now();
                    let method = req.method().clone();
                    let path = req.path().to_owned();
                    let call = srv.call(req);
                    async move {
                        let res = call.await?;
                        tracing::info!(
                            target: "schemabus::http",
                            %method,
                            %path,
                            status = res.status().as_u16(),
                            elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                            "request"
                        );
                        Ok(res)
                    }
                })
        });
        let mut server = match tls {
            Some(config) => server.listen_rustls_0_23(listener, config),
            None => server.listen(listener),
        }
        .map_err(|source| StartupError::Bind { address: settings.listen.to_string(), source })?;
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        let server = server
            .client_request_timeout(Duration::from_millis(limits.header_read_timeout_ms))
            .keep_alive(Duration::from_secs(limits.keep_alive_seconds))
            .max_connections(limits.max_connections);
        let server = server.shutdown_timeout(10).run();
        tracing::info!(
            port,
            data_dir = %settings.data_dir.display(),
            tls = settings.security.tls_cert.is_some(),
            "schemabus listening"
        );
        Ok(Self { port, server, aws, store, tail, leases: shared.leases.clone() })
    }

    /// The bound port of `--aws-listen`, when set.
    pub fn aws_port(&self) -> Option<u16> {
        self.aws.as_ref().map(|(_, port)| *port)
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM or [`ServerHandle::stop`], then drains in-flight
    /// requests and flushes storage.
    ///
    /// # Errors
    /// I/O errors of the server or of the final flush.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // Live-tail streams never end by themselves: end them on the signal that starts
        // the graceful shutdown, so it does not wait `shutdown_timeout` for them.
        let tail = self.tail.clone();
        let closer = tokio::spawn(async move {
            stop_signal().await;
            tail.close();
        });
        let aws_handle = self.aws.as_ref().map(|(s, _)| s.handle());
        let main = async {
            let result = self.server.await;
            if let Some(handle) = aws_handle {
                handle.stop(true).await;
            }
            result
        };
        let aws = async {
            match self.aws {
                Some((server, _)) => server.await,
                None => Ok(()),
            }
        };
        let (main, aws) = futures_util::future::join(main, aws).await;
        closer.abort();
        self.tail.close();
        if let Err(e) = self.leases.release_all().await {
            tracing::warn!(error = %e, "cannot give the leases back; other instances take them over when they expire");
        }
        main?;
        aws?;
        self.store.flush_blocking().map_err(std::io::Error::other)?;
        tracing::info!("schemabus stopped; storage flushed");
        Ok(())
    }
}

/// SIGINT or SIGTERM (the signals actix-web stops on).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => drop(tokio::signal::ctrl_c().await),
        }
    }
    #[cfg(not(unix))]
    drop(tokio::signal::ctrl_c().await);
}

/// The stores every instance of a cluster shares: the embedded store's, or PostgreSQL's
/// with `--database-url` (docs/CLUSTER.md).
struct Shared {
    registry: std::sync::Arc<dyn crate::storage::RegistryStore>,
    access: std::sync::Arc<dyn crate::storage::AccessStore>,
    audit: std::sync::Arc<dyn crate::storage::AuditStore>,
    control: crate::storage::Control,
    leases: std::sync::Arc<dyn crate::storage::LeaseStore>,
}

impl Shared {
    async fn open(settings: &Settings, store: &Store) -> Result<Self, StartupError> {
        use std::sync::Arc;
        let Some(url) = &settings.database_url else {
            return Ok(Self {
                registry: Arc::new(store.clone()),
                access: Arc::new(store.clone()),
                audit: Arc::new(store.clone()),
                control: crate::storage::Control::new(Arc::new(store.clone())),
                leases: Arc::new(crate::storage::LocalLeases::default()),
            });
        };
        let pool = crate::storage::postgres::connect(url, settings.database_pool).await?;
        let registry = crate::storage::postgres::PgRegistry::open(pool.clone()).await?;
        let access =
            Arc::new(crate::storage::postgres::PgAccess::open(pool.clone(), registry.instance()).await?);
        let control = crate::storage::postgres::PgControl::open(pool.clone(), registry.instance()).await?;
        let leases = crate::storage::postgres::PgLeases::new(pool, registry.instance());
        tracing::info!(
            instance = registry.instance(),
            "cluster mode: the registry, access control and bus definitions are on PostgreSQL"
        );
        Ok(Self {
            registry: Arc::new(registry),
            access: access.clone(),
            audit: access,
            control: crate::storage::Control::new(Arc::new(control)),
            leases: Arc::new(leases),
        })
    }
}

/// The access-control state: keys (bootstrapped), audit trail, rate limiter. With auth
/// off, says so loudly; with auth required and no key yet, prints the generated admin key
/// once on standard output.
async fn build_access(
    settings: &Settings,
    shared: &Shared,
    bus: &BusService,
    aws: crate::auth::aws::AwsCredentials,
) -> Result<http::access::Access, StartupError> {
    let keys = crate::auth::KeyService::new(shared.access.clone());
    match settings.security.auth {
        AuthMode::Off => {
            let banner = format!(
                "AUTHENTICATION IS OFF (--auth off): anyone who can reach {} may read and change everything. Local development only.",
                settings.listen
            );
            tracing::warn!("{banner}");
            eprintln!("WARNING: {banner}");
        }
        AuthMode::Required => {
            if let Some(key) = keys.bootstrap(settings.security.admin_key.as_deref()).await? {
                println!(
                    "\nCreated the admin API key (shown once; only its digest is stored):\n\n    {key}\n\nUse it as `Authorization: Bearer <key>`, e.g. export SCHEMABUS_KEY={key}\n"
                );
            }
        }
    }
    Ok(http::access::Access {
        mode: settings.security.auth,
        keys,
        audit: crate::auth::AuditService::new(shared.audit.clone(), bus.clone()),
        limiter: crate::auth::RateLimiter::new(
            settings.security.rate_limit_per_second,
            settings.security.rate_limit_burst,
        ),
        ccompat_registry: settings.ccompat_registry.clone(),
        aws,
    })
}

/// Every minute, drops the validators and bindings unused for `idle_minutes` (0: never).
fn spawn_cache_sweeper(
    registry: &RegistryService,
    bindings: &web::Data<crate::bindings::BindingsService>,
    idle_minutes: u64,
) {
    if idle_minutes == 0 {
        return;
    }
    let (registry, bindings) = (registry.clone(), bindings.clone());
    let idle = Duration::from_secs(idle_minutes.saturating_mul(60));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            let dropped = registry.evict_idle_validators(idle) + bindings.evict_idle(idle);
            if dropped > 0 {
                tracing::debug!(dropped, "idle validators and bindings dropped");
            }
        }
    });
}

/// The AWS-compatible listener (docs/AWS-API.md): the same services, keys and limits.
fn aws_server(
    settings: &Settings,
    address: std::net::SocketAddr,
    (access, bus, overload): (
        &web::Data<http::access::Access>,
        &web::Data<BusService>,
        &web::Data<http::overload::Overload>,
    ),
    schemas: http::aws::SchemasServices,
    (credentials, destinations): (crate::auth::aws::AwsCredentials, crate::destinations::Destinations),
    tls: Option<rustls::ServerConfig>,
) -> Result<(Server, u16), StartupError> {
    let bind_error = |source| StartupError::Bind { address: address.to_string(), source };
    let listener = TcpListener::bind(address).map_err(bind_error)?;
    let port = listener.local_addr().map_err(bind_error)?.port();
    let front = web::Data::new(http::aws::AwsFront {
        arns: crate::aws::Arns { account: settings.bus.account.clone(), region: settings.bus.region.clone() },
        credentials,
        destinations,
    });
    let (access, bus, overload, schemas) =
        (access.clone(), bus.clone(), overload.clone(), web::Data::new(schemas));
    let max_body = settings.max_body_bytes;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(access.clone())
            .app_data(bus.clone())
            .app_data(front.clone())
            .app_data(schemas.clone())
            .app_data(overload.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .configure(http::aws::configure)
    });
    let mut server = match tls {
        Some(config) => server.listen_rustls_0_23(listener, config),
        None => server.listen(listener),
    }
    .map_err(bind_error)?;
    if let Some(workers) = settings.workers {
        server = server.workers(workers);
    }
    let limits = &settings.http;
    let server = server
        .client_request_timeout(Duration::from_millis(limits.header_read_timeout_ms))
        .keep_alive(Duration::from_secs(limits.keep_alive_seconds))
        .max_connections(limits.max_connections)
        .shutdown_timeout(10)
        .run();
    tracing::info!(port, region = %settings.bus.region, account = %settings.bus.account, "AWS-compatible API listening");
    Ok((server, port))
}
