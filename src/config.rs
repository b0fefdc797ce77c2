//! Settings of `schemabus serve`: command-line flags, each also settable by an
//! environment variable with the `SCHEMABUS_` prefix. Parsed and validated once.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Everything `serve` can be told.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, env = "SCHEMABUS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory of the embedded database (created when missing).
    #[arg(long, env = "SCHEMABUS_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "SCHEMABUS_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest schema document accepted, in bytes of compact JSON.
    #[arg(long, env = "SCHEMABUS_MAX_SCHEMA_BYTES", default_value_t = 512 * 1024)]
    pub max_schema_bytes: usize,

    /// Deepest nesting of objects and arrays accepted in a schema.
    #[arg(long, env = "SCHEMABUS_MAX_SCHEMA_DEPTH", default_value_t = 64)]
    pub max_schema_depth: usize,

    /// Most validation errors listed in one answer.
    #[arg(long, env = "SCHEMABUS_MAX_VALIDATION_ERRORS", default_value_t = 100)]
    pub max_validation_errors: usize,

    /// How many compiled validators to keep in memory.
    #[arg(long, env = "SCHEMABUS_VALIDATOR_CACHE", default_value_t = 10_000)]
    pub validator_cache: usize,

    /// Minutes a compiled validator or generated binding may stay unused before it is
    /// dropped from memory (rebuilt at its next use); 0 keeps them until the capacity.
    #[arg(long, env = "SCHEMABUS_CACHE_IDLE_MINUTES", default_value_t = 10)]
    pub cache_idle_minutes: u64,

    /// Directory of code-generation templates (`rust/`, `typescript/`) replacing the
    /// built-in ones.
    #[arg(long, env = "SCHEMABUS_CODEGEN_TEMPLATES")]
    pub codegen_templates: Option<PathBuf>,

    /// PostgreSQL URL for cluster mode (`postgres://user:pass@host:5432/db`; add
    /// `?sslmode=require` for TLS): the registry, keys, audit trail and the bus's
    /// definitions live in that database, shared by every instance given the same URL
    /// (docs/CLUSTER.md). Unset: the embedded store.
    #[arg(long, env = "SCHEMABUS_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Connections each instance keeps open to PostgreSQL.
    #[arg(long, env = "SCHEMABUS_DATABASE_POOL", default_value_t = 16)]
    pub database_pool: u32,

    /// sled page cache, in MiB.
    #[arg(long, env = "SCHEMABUS_STORAGE_CACHE_MB", default_value_t = 64)]
    pub storage_cache_mb: u64,

    /// Free space, in MiB, kept on the disk holding the data directory: below it, writes
    /// answer 507 `storage_full` (reads go on) until space is freed; 0 turns it off.
    #[arg(long, env = "SCHEMABUS_MIN_FREE_DISK_MB", default_value_t = crate::storage::DEFAULT_MIN_FREE_DISK_MB)]
    pub min_free_disk_mb: u64,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "SCHEMABUS_WORKERS")]
    pub workers: Option<usize>,

    /// Log filter: a level (`info`) or a tracing directive (`schemabus=debug,actix_web=info`).
    #[arg(long, env = "SCHEMABUS_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    /// Log format.
    #[arg(long, env = "SCHEMABUS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Registry that unqualified subjects of the Confluent-compatible API (`/ccompat`)
    /// map to; a context `:.ctx:subject` maps to the registry `ctx` (docs/CONFLUENT-API.md).
    #[arg(long, env = "SCHEMABUS_CCOMPAT_REGISTRY", default_value = "default")]
    pub ccompat_registry: String,

    /// Settings of the event bus.
    #[command(flatten)]
    pub bus: BusSettings,

    /// Settings of schema discovery on live traffic.
    #[command(flatten)]
    pub discovery: DiscoverySettings,

    /// Access control, rate limits and TLS (docs/SECURITY.md).
    #[command(flatten)]
    pub security: SecuritySettings,

    /// Connection limits, timeouts and load shedding (docs/RELIABILITY.md#overload).
    #[command(flatten)]
    pub http: HttpLimits,
}

/// Settings of schema discovery (`serve` flags, each with a `SCHEMABUS_` variable).
#[derive(Debug, Clone, Args)]
pub struct DiscoverySettings {
    /// Samples waiting for the discovery worker; when full, samples are dropped (and
    /// counted), never PutEvents slowed.
    #[arg(long = "discovery-queue", env = "SCHEMABUS_DISCOVERY_QUEUE", default_value_t = 10_000)]
    pub queue: usize,

    /// Least time between two discovered versions of one event type, in seconds; a change
    /// arriving sooner is registered once the interval has passed.
    #[arg(
        long = "discovery-min-interval-seconds",
        env = "SCHEMABUS_DISCOVERY_MIN_INTERVAL_SECONDS",
        default_value_t = 60
    )]
    pub min_interval_seconds: u64,

    /// Distinct samples a property must be present in (in all of them) before a discovered
    /// schema requires it, and a format matched in before it is asserted, 1 to 16; a type's
    /// hints can override it (`docs/INFERENCE.md`, evidence).
    #[arg(
        long = "discovery-min-required",
        env = "SCHEMABUS_DISCOVERY_MIN_REQUIRED",
        default_value_t = crate::infer::DEFAULT_MIN_REQUIRED,
        value_parser = clap::value_parser!(u64).range(1..=16)
    )]
    pub min_required: u64,

    /// What a null not yet seen means in discovered schemas: observed, scalars or all; a
    /// type's hints can override it.
    #[arg(long = "discovery-nulls", env = "SCHEMABUS_DISCOVERY_NULLS", default_value = "all")]
    pub nulls: crate::infer::NullPolicy,
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        let d = crate::infer::DeriveOptions::default();
        Self { queue: 10_000, min_interval_seconds: 60, min_required: d.min_required, nulls: d.nulls }
    }
}

/// When PutEvents acknowledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Durability {
    /// Answer only after the events and their queue messages are flushed to disk.
    Strict,
    /// Answer at once; a background task flushes every `--flush-interval-ms`. A crash
    /// loses at most that window of acknowledged events.
    Relaxed,
}

/// Settings of the event bus (`serve` flags, each with a `SCHEMABUS_` variable).
#[derive(Debug, Clone, Args)]
pub struct BusSettings {
    /// Account id written into every event envelope.
    #[arg(long, env = "SCHEMABUS_ACCOUNT", default_value = "000000000000")]
    pub account: String,

    /// Region written into every event envelope.
    #[arg(long, env = "SCHEMABUS_REGION", default_value = "local")]
    pub region: String,

    /// When PutEvents acknowledges: after a flush (`strict`) or at once (`relaxed`).
    #[arg(long, env = "SCHEMABUS_DURABILITY", value_enum, default_value_t = Durability::Strict)]
    pub durability: Durability,

    /// Longest a group commit waits for PutEvents requests still building their batch, in
    /// microseconds (0: sync at once). Only applies while other requests are in flight.
    #[arg(long, env = "SCHEMABUS_GROUP_COMMIT_DELAY_US", default_value_t = 1000)]
    pub group_commit_delay_us: u64,

    /// Background flush period of `--durability relaxed`, in milliseconds.
    #[arg(long, env = "SCHEMABUS_FLUSH_INTERVAL_MS", default_value_t = 100)]
    pub flush_interval_ms: u64,

    /// Most entries in one PutEvents request.
    #[arg(long, env = "SCHEMABUS_MAX_ENTRIES", default_value_t = 100)]
    pub max_entries: usize,

    /// Largest total entry size of one PutEvents request, computed as EventBridge does.
    #[arg(long, env = "SCHEMABUS_MAX_ENTRIES_BYTES", default_value_t = 1024 * 1024)]
    pub max_entries_bytes: usize,

    /// Most targets per rule.
    #[arg(long, env = "SCHEMABUS_MAX_TARGETS_PER_RULE", default_value_t = 5)]
    pub max_targets_per_rule: usize,

    /// Most events kept in each bus's quarantine (oldest dropped first).
    #[arg(long, env = "SCHEMABUS_QUARANTINE_CAPACITY", default_value_t = 1000)]
    pub quarantine_capacity: usize,

    /// Most bus-to-bus forwards one event may take (against routing loops).
    #[arg(long, env = "SCHEMABUS_MAX_FORWARD_HOPS", default_value_t = 4)]
    pub max_forward_hops: u32,

    /// Size of a journal segment (the file log of events and queue messages), in MiB.
    #[arg(long, env = "SCHEMABUS_JOURNAL_SEGMENT_MB", default_value_t = 64)]
    pub journal_segment_mb: u64,

    /// How long accepted events stay in the journal, in hours (at least 1). Messages still
    /// in a queue are kept whatever their age, up to their queue's retention.
    #[arg(long, env = "SCHEMABUS_EVENT_RETENTION_HOURS", default_value_t = 24)]
    pub event_retention_hours: u64,

    /// The same retention in minutes (at least 1), replacing `--event-retention-hours`:
    /// for small disks and for soak runs that must see compaction reclaim space.
    #[arg(long, env = "SCHEMABUS_EVENT_RETENTION_MINUTES")]
    pub event_retention_minutes: Option<u64>,

    /// Most rules on one bus.
    #[arg(long, env = "SCHEMABUS_MAX_RULES_PER_BUS", default_value_t = 300)]
    pub max_rules_per_bus: usize,

    /// Longest event pattern accepted (rules and test-event-pattern), in characters of compact JSON.
    #[arg(long, env = "SCHEMABUS_MAX_PATTERN_CHARS", default_value_t = 4096)]
    pub max_pattern_chars: usize,

    /// Most messages one queue receive may ask for (`maxMessages`), 1 to 100.
    #[arg(long, env = "SCHEMABUS_MAX_RECEIVE_MESSAGES", default_value_t = 100)]
    pub max_receive_messages: usize,

    /// Length of a minute of the scheduler, in ms: a test knob (hidden from --help) that
    /// shortens `rate(...)` periods and the one-minute grace of missed ticks, so tests
    /// need not wait for real minutes. cron expressions keep real minutes.
    #[arg(long, env = "SCHEMABUS_SCHEDULE_MINUTE_MS", default_value_t = 60_000, hide = true)]
    pub schedule_minute_ms: u64,

    /// Most event types (bus, source, detail-type) the event catalog counts traffic for
    /// (docs/CATALOG.md); entries of further types are counted only as untracked.
    #[arg(long, env = "SCHEMABUS_CATALOG_MAX_TYPES", default_value_t = 10_000)]
    pub catalog_max_types: usize,

    /// Settings of webhook delivery, traces and archives.
    #[command(flatten)]
    pub delivery: DeliverySettings,
}

impl BusSettings {
    /// How long accepted events stay in the journal.
    pub fn event_retention(&self) -> std::time::Duration {
        let minutes = self.event_retention_minutes.unwrap_or(self.event_retention_hours.saturating_mul(60));
        std::time::Duration::from_secs(minutes.saturating_mul(60))
    }
}

impl Default for BusSettings {
    fn default() -> Self {
        Self {
            account: "000000000000".to_owned(),
            region: "local".to_owned(),
            durability: Durability::Strict,
            group_commit_delay_us: 1000,
            flush_interval_ms: 100,
            max_entries: 100,
            max_entries_bytes: 1024 * 1024,
            max_targets_per_rule: 5,
            quarantine_capacity: 1000,
            max_forward_hops: 4,
            catalog_max_types: 10_000,
            journal_segment_mb: 64,
            event_retention_hours: 24,
            event_retention_minutes: None,
            max_rules_per_bus: 300,
            max_pattern_chars: 4096,
            max_receive_messages: 100,
            schedule_minute_ms: 60_000,
            delivery: DeliverySettings::default(),
        }
    }
}

/// Addresses webhooks may never reach unless the deny list is replaced: link-local
/// (which holds most clouds' metadata services) and the other metadata addresses.
pub const DEFAULT_WEBHOOK_DENY: &str =
    "169.254.0.0/16,fe80::/10,169.254.169.254/32,fd00:ec2::254/128,100.100.100.200/32";

/// Parses a CIDR (`10.0.0.0/8`) or a single address (`10.0.0.1`).
///
/// # Errors
/// A message naming the value.
pub fn parse_cidr(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("'{text}' is neither a CIDR (10.0.0.0/8) nor an IP address"))
}

/// Settings of webhook delivery, delivery traces and archives (`serve` flags, each with a
/// `SCHEMABUS_` variable). See docs/DELIVERY.md.
#[derive(Debug, Clone, Args)]
pub struct DeliverySettings {
    /// Webhook requests in flight at once (the delivery worker pool).
    #[arg(long, env = "SCHEMABUS_WEBHOOK_WORKERS", default_value_t = 16)]
    pub webhook_workers: usize,

    /// First retry delay cap of the exponential back-off, in milliseconds.
    #[arg(long, env = "SCHEMABUS_WEBHOOK_RETRY_BASE_MS", default_value_t = 1000)]
    pub webhook_retry_base_ms: u64,

    /// Largest retry delay, in milliseconds (the back-off doubles up to it).
    #[arg(long, env = "SCHEMABUS_WEBHOOK_RETRY_MAX_MS", default_value_t = 900_000)]
    pub webhook_retry_max_ms: u64,

    /// If set, webhooks may only reach addresses in these CIDRs (comma-separated).
    #[arg(long, env = "SCHEMABUS_WEBHOOK_ALLOW_CIDRS", value_delimiter = ',', value_parser = parse_cidr)]
    pub webhook_allow_cidrs: Vec<ipnet::IpNet>,

    /// Webhooks may never reach addresses in these CIDRs (comma-separated; replaces the
    /// default list of link-local and cloud metadata addresses).
    #[arg(long, env = "SCHEMABUS_WEBHOOK_DENY_CIDRS", value_delimiter = ',', value_parser = parse_cidr, default_value = DEFAULT_WEBHOOK_DENY)]
    pub webhook_deny_cidrs: Vec<ipnet::IpNet>,

    /// Most events whose routing trace is kept in memory.
    #[arg(long, env = "SCHEMABUS_TRACE_MAX_EVENTS", default_value_t = 100_000)]
    pub trace_max_events: usize,

    /// How long delivery traces are kept, in seconds.
    #[arg(long, env = "SCHEMABUS_TRACE_WINDOW_SECONDS", default_value_t = 86_400)]
    pub trace_window_seconds: u64,

    /// How often archive retention and the trace window are enforced, in seconds.
    #[arg(long, env = "SCHEMABUS_SWEEP_INTERVAL_SECONDS", default_value_t = 3600)]
    pub sweep_interval_seconds: u64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            webhook_workers: 16,
            webhook_retry_base_ms: 1000,
            webhook_retry_max_ms: 900_000,
            webhook_allow_cidrs: Vec::new(),
            webhook_deny_cidrs: DEFAULT_WEBHOOK_DENY.split(',').filter_map(|c| parse_cidr(c).ok()).collect(),
            trace_max_events: 100_000,
            trace_window_seconds: 86_400,
            sweep_interval_seconds: 3600,
        }
    }
}

impl Settings {
    /// Settings for tests and tools: defaults, a given data directory, a free port.
    pub fn for_data_dir(data_dir: PathBuf) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            max_body_bytes: 1024 * 1024,
            max_schema_bytes: 512 * 1024,
            max_schema_depth: 64,
            max_validation_errors: 100,
            validator_cache: 10_000,
            cache_idle_minutes: 10,
            codegen_templates: None,
            database_url: None,
            database_pool: 16,
            storage_cache_mb: 64,
            min_free_disk_mb: crate::storage::DEFAULT_MIN_FREE_DISK_MB,
            workers: Some(2),
            log_level: "warn".to_owned(),
            log_format: LogFormat::Text,
            ccompat_registry: "default".to_owned(),
            bus: BusSettings::default(),
            discovery: DiscoverySettings::default(),
            security: SecuritySettings::default(),
            http: HttpLimits::default(),
        }
    }

    /// Checks values that flags alone cannot (ranges, combinations).
    ///
    /// # Errors
    /// A message naming the flag and the allowed range.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_body_bytes < 1024 {
            return Err("--max-body-bytes must be at least 1024".into());
        }
        if crate::model::RegistryName::parse(&self.ccompat_registry).is_err() {
            return Err(format!(
                "--ccompat-registry '{}' is not a registry name ({})",
                self.ccompat_registry,
                crate::model::RegistryName::RULE
            ));
        }
        if self.max_schema_depth == 0 || self.max_schema_depth > 512 {
            return Err("--max-schema-depth must be between 1 and 512".into());
        }
        if self.max_validation_errors == 0 {
            return Err("--max-validation-errors must be at least 1".into());
        }
        if self.bus.max_entries == 0 || self.bus.max_targets_per_rule == 0 {
            return Err("--max-entries and --max-targets-per-rule must be at least 1".into());
        }
        if self.bus.journal_segment_mb == 0 || self.bus.journal_segment_mb > 4096 {
            return Err("--journal-segment-mb must be between 1 and 4096".into());
        }
        if self.bus.event_retention_minutes == Some(0) {
            return Err("--event-retention-minutes must be at least 1".into());
        }
        if self.bus.event_retention_hours == 0 {
            return Err("--event-retention-hours must be at least 1".into());
        }
        if self.bus.group_commit_delay_us > 100_000 {
            return Err("--group-commit-delay-us must be at most 100000 (100 ms)".into());
        }
        if self.bus.schedule_minute_ms < 10 {
            return Err("--schedule-minute-ms must be at least 10".into());
        }
        if self.bus.flush_interval_ms == 0 {
            return Err("--flush-interval-ms must be at least 1".into());
        }
        let d = &self.bus.delivery;
        if d.webhook_workers == 0
            || d.webhook_retry_base_ms == 0
            || d.webhook_retry_max_ms < d.webhook_retry_base_ms
        {
            return Err("--webhook-workers and --webhook-retry-base-ms must be at least 1, and --webhook-retry-max-ms at least the base".into());
        }
        if d.trace_max_events == 0 || d.sweep_interval_seconds == 0 {
            return Err("--trace-max-events and --sweep-interval-seconds must be at least 1".into());
        }
        if self.discovery.queue == 0 {
            return Err("--discovery-queue must be at least 1".into());
        }
        if self.workers == Some(0) {
            return Err("--workers must be at least 1".into());
        }
        if self.bus.max_rules_per_bus == 0 || self.bus.max_pattern_chars == 0 {
            return Err("--max-rules-per-bus and --max-pattern-chars must be at least 1".into());
        }
        if self.bus.max_receive_messages == 0 || self.bus.max_receive_messages > 100 {
            return Err("--max-receive-messages must be between 1 and 100".into());
        }
        self.security.validate(self.listen)?;
        self.http.validate()?;
        Ok(())
    }
}

/// Whether requests need an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// Every request except probes and the API description needs `Authorization: Bearer <key>`.
    Required,
    /// No keys checked (local development only; refused on a non-loopback address).
    Off,
}

/// Access control, hardening limits and TLS (`serve` flags, each with a `SCHEMABUS_` variable).
#[derive(Clone, Args)]
pub struct SecuritySettings {
    /// `required` (the default) or `off`; `off` is refused unless the listen address is loopback.
    #[arg(long, env = "SCHEMABUS_AUTH", value_enum, default_value_t = AuthMode::Required)]
    pub auth: AuthMode,

    /// The admin key to create (or re-key) at start-up, instead of a generated one printed
    /// once. At least 32 characters. Read from the environment only, so it never shows in `ps`.
    #[arg(skip = std::env::var("SCHEMABUS_ADMIN_KEY").ok().filter(|k| !k.is_empty()))]
    pub admin_key: Option<String>,

    /// Requests per second each API key may make, on average (token bucket refill rate).
    #[arg(long, env = "SCHEMABUS_RATE_LIMIT_PER_SECOND", default_value_t = 1000)]
    pub rate_limit_per_second: u32,

    /// Requests a key may make in a burst above the average rate (token bucket size).
    #[arg(long, env = "SCHEMABUS_RATE_LIMIT_BURST", default_value_t = 2000)]
    pub rate_limit_burst: u32,

    /// Address of the AWS-compatible API (EventBridge, SQS and Schemas with SigV4,
    /// docs/AWS-API.md); off unless set. Shares the services, keys and grants of `--listen`.
    #[arg(long, env = "SCHEMABUS_AWS_LISTEN")]
    pub aws_listen: Option<SocketAddr>,

    /// Master key sealing the AWS secret access keys at rest: 32 bytes as 64 hex
    /// characters. Read from the environment only (never shown in `ps`); without it a key
    /// is generated once into `<data-dir>/aws-master.key` (mode 0600).
    #[arg(skip = std::env::var("SCHEMABUS_MASTER_KEY").ok().filter(|k| !k.is_empty()))]
    pub master_key: Option<String>,

    /// PEM certificate chain; with `--tls-key`, the service speaks HTTPS only.
    #[arg(long, env = "SCHEMABUS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key (PKCS#8, PKCS#1 or SEC1) of `--tls-cert`.
    #[arg(long, env = "SCHEMABUS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl std::fmt::Debug for SecuritySettings {
    // Never prints the admin key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecuritySettings")
            .field("auth", &self.auth)
            .field("admin_key", &self.admin_key.as_ref().map(|_| "<redacted>"))
            .field("aws_listen", &self.aws_listen)
            .field("master_key", &self.master_key.as_ref().map(|_| "<redacted>"))
            .field("rate_limit_per_second", &self.rate_limit_per_second)
            .field("rate_limit_burst", &self.rate_limit_burst)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .finish()
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            auth: AuthMode::Required,
            admin_key: None,
            aws_listen: None,
            master_key: None,
            rate_limit_per_second: 1000,
            rate_limit_burst: 2000,
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl SecuritySettings {
    /// Checks ranges, and refuses to serve a non-loopback address without keys.
    ///
    /// # Errors
    /// A message naming the flag.
    pub fn validate(&self, listen: SocketAddr) -> Result<(), String> {
        if self.auth == AuthMode::Off && !listen.ip().is_loopback() {
            return Err(format!(
                "refusing to listen on {listen} with --auth off: without keys anyone who can reach the port may change every contract. Use --auth required (the default), or listen on 127.0.0.1 for local development"
            ));
        }
        if let Some(aws) = self.aws_listen
            && self.auth == AuthMode::Off
            && !aws.ip().is_loopback()
        {
            return Err(format!(
                "refusing to listen on {aws} (--aws-listen) with --auth off: any credentials are accepted then. Listen on 127.0.0.1, or use --auth required"
            ));
        }
        if self.master_key.as_ref().is_some_and(|k| k.len() != 64 || hex::decode(k).is_err()) {
            return Err("SCHEMABUS_MASTER_KEY must be 32 bytes as 64 hex characters (generate one with `openssl rand -hex 32`)".into());
        }
        if self.admin_key.as_ref().is_some_and(|k| k.chars().count() < 32) {
            return Err("SCHEMABUS_ADMIN_KEY must be at least 32 characters (generate one with `openssl rand -hex 32`)".into());
        }
        if self.rate_limit_per_second == 0 || self.rate_limit_burst == 0 {
            return Err("--rate-limit-per-second and --rate-limit-burst must be at least 1".into());
        }
        Ok(())
    }
}

/// What one client, or many, may hold of the service (`serve` flags, each with a
/// `SCHEMABUS_` variable): past these the service sheds load with `503` and
/// `Retry-After` or cuts the connection, instead of queueing without bound. The probes
/// (`/healthz`, `/readyz`) and `/metrics` are never shed.
#[derive(Debug, Clone, Args)]
pub struct HttpLimits {
    /// Requests served at once, across workers; one more answers `503 overloaded`.
    #[arg(long, env = "SCHEMABUS_MAX_INFLIGHT_REQUESTS", default_value_t = 1024)]
    pub max_inflight_requests: usize,

    /// Queue receives waiting (`waitSeconds` > 0) at once; one more answers `503 overloaded`.
    #[arg(long, env = "SCHEMABUS_MAX_LONG_POLLS", default_value_t = 256)]
    pub max_long_polls: usize,

    /// Live-tail streams (`GET /v1/buses/{bus}/tail`) open at once, across buses; one
    /// more answers `503 overloaded`. They hold no `--max-inflight-requests` slot.
    #[arg(long, env = "SCHEMABUS_MAX_TAIL_STREAMS", default_value_t = 64)]
    pub max_tail_streams: usize,

    /// Seconds a shed request is told to wait (`Retry-After`).
    #[arg(long, env = "SCHEMABUS_OVERLOAD_RETRY_AFTER_SECONDS", default_value_t = 1)]
    pub overload_retry_after_seconds: u64,

    /// Time a client has to send a request's head (line and headers), in ms; a slower
    /// one gets `408` and the connection is closed (slow-loris).
    #[arg(long, env = "SCHEMABUS_HEADER_READ_TIMEOUT_MS", default_value_t = 5000)]
    pub header_read_timeout_ms: u64,

    /// Time a client has to send a request's whole body, in ms; a slower one gets `408
    /// request_timeout`.
    #[arg(long, env = "SCHEMABUS_BODY_READ_TIMEOUT_MS", default_value_t = 30_000)]
    pub body_read_timeout_ms: u64,

    /// Largest total size of a request's headers (names and values), in bytes; a larger
    /// one gets `431 headers_too_large`. The HTTP parser also stops at 96 headers and at
    /// a 128 KiB head.
    #[arg(long, env = "SCHEMABUS_MAX_HEADER_BYTES", default_value_t = 16 * 1024)]
    pub max_header_bytes: usize,

    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, env = "SCHEMABUS_KEEP_ALIVE_SECONDS", default_value_t = 5)]
    pub keep_alive_seconds: u64,

    /// Open connections per worker; past it, new connections wait in the listen backlog.
    #[arg(long, env = "SCHEMABUS_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_inflight_requests: 1024,
            max_long_polls: 256,
            max_tail_streams: 64,
            overload_retry_after_seconds: 1,
            header_read_timeout_ms: 5000,
            body_read_timeout_ms: 30_000,
            max_header_bytes: 16 * 1024,
            keep_alive_seconds: 5,
            max_connections: 4096,
        }
    }
}

impl HttpLimits {
    /// Checks ranges.
    ///
    /// # Errors
    /// A message naming the flag.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_inflight_requests == 0
            || self.max_long_polls == 0
            || self.max_tail_streams == 0
            || self.max_connections == 0
        {
            return Err(
                "--max-inflight-requests, --max-long-polls, --max-tail-streams and --max-connections must be at least 1".into()
            );
        }
        if self.header_read_timeout_ms < 100 || self.body_read_timeout_ms < 100 {
            return Err("--header-read-timeout-ms and --body-read-timeout-ms must be at least 100".into());
        }
        if self.max_header_bytes < 1024 {
            return Err("--max-header-bytes must be at least 1024".into());
        }
        if self.overload_retry_after_seconds == 0 {
            return Err("--overload-retry-after-seconds must be at least 1".into());
        }
        Ok(())
    }
}
