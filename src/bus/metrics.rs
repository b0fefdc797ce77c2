//! Prometheus metrics of the bus, through the `metrics` facade.
//!
//! The facade's recorder is process-wide by design; it is installed once (several
//! in-process services, as in the tests, share it and tell buses apart by label).

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// How often recorded histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the recorder (first call) and returns its handle.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let buckets =
                [0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0];
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
                .ok()?
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
                .ok()?;
            // The recorder keeps every histogram sample until it is folded into buckets,
            // which only a scrape or an upkeep does (the exporter's "upkeep and
            // maintenance"): with no one scraping /metrics, PutEvents' 11 samples of 8
            // bytes per request grew memory by about 0.9 MB/s at 10,000 requests/s.
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new().name("schemabus-metrics".into()).spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "metrics upkeep thread not started; histograms drain only when scraped");
            }
            Some(handle)
        })
        .as_ref()
}

/// Renders every metric in the Prometheus text format.
pub fn render() -> String {
    install().map(PrometheusHandle::render).unwrap_or_default()
}

/// Events accepted on a bus.
pub fn accepted(bus: &str, n: u64) {
    metrics::counter!("schemabus_events_accepted_total", "bus" => bus.to_owned()).increment(n);
}

/// Entries refused on a bus, by per-entry error code.
pub fn refused(bus: &str, reason: &'static str) {
    metrics::counter!("schemabus_events_refused_total", "bus" => bus.to_owned(), "reason" => reason)
        .increment(1);
}

/// Entries accepted with findings in `warn` mode.
pub fn warned(bus: &str, reason: &'static str) {
    metrics::counter!("schemabus_events_warned_total", "bus" => bus.to_owned(), "reason" => reason)
        .increment(1);
}

/// A delivery was dropped (missing target, hop limit).
pub fn dropped(reason: &'static str) {
    metrics::counter!("schemabus_deliveries_dropped_total", "reason" => reason).increment(1);
}

/// The histogram of the time spent in the validation gate per entry (looked up once per
/// request, recorded per entry).
pub fn validation_time() -> metrics::Histogram {
    metrics::histogram!("schemabus_validation_seconds")
}

/// Time to answer one PutEvents request (durability included).
pub fn put_events_time(bus: &str, elapsed: Duration) {
    metrics::histogram!("schemabus_put_events_seconds", "bus" => bus.to_owned())
        .record(elapsed.as_secs_f64());
}

/// Current depth of a queue.
pub fn queue_depth(queue: &str, visible: u64, in_flight: u64) {
    #[allow(clippy::cast_precision_loss, reason = "gauges are f64; depths far below 2^52")]
    {
        metrics::gauge!("schemabus_queue_messages", "queue" => queue.to_owned(), "state" => "visible")
            .set(visible as f64);
        metrics::gauge!("schemabus_queue_messages", "queue" => queue.to_owned(), "state" => "in_flight")
            .set(in_flight as f64);
    }
}

/// Flushes that reached the disk (compare with PutEvents requests to see group commit).
pub fn storage_flushes(total: u64) {
    #[allow(clippy::cast_precision_loss, reason = "gauges are f64; counts far below 2^52")]
    metrics::gauge!("schemabus_storage_flushes").set(total as f64);
}

/// The counter of a rule's matches (the router keeps it with the rule).
pub fn rule_matches(bus: &str, rule: &str) -> metrics::Counter {
    metrics::counter!("schemabus_rule_matches_total", "bus" => bus.to_owned(), "rule" => rule.to_owned())
}

/// Counts of one request's deliveries, applied to the recorder once at the end: each
/// recorder update hashes its labels, which per event cost more than the routing it
/// counted.
#[derive(Debug, Default)]
pub struct Tally {
    deliveries: Vec<(&'static str, &'static str, u64)>,
}

impl Tally {
    /// A delivery to a target of `target_type` ended with `outcome`.
    pub fn delivery(&mut self, target_type: &'static str, outcome: &'static str) {
        match self.deliveries.iter_mut().find(|(t, o, _)| *t == target_type && *o == outcome) {
            Some((_, _, n)) => *n += 1,
            None => self.deliveries.push((target_type, outcome, 1)),
        }
    }

    /// Applies the counts.
    pub fn apply(self) {
        for (target_type, outcome, n) in self.deliveries {
            crate::delivery::metrics::deliveries(target_type, outcome, n);
        }
    }
}
