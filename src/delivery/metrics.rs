//! Prometheus metrics of delivery (through the `metrics` facade, like the bus's).

use std::time::Duration;

/// A delivery step: `attempted`, `succeeded`, `failed` (an attempt failed),
/// `dead_lettered`, `dropped`.
pub fn delivery(target_type: &'static str, outcome: &'static str) {
    deliveries(target_type, outcome, 1);
}

/// `n` deliveries to targets of `target_type` ended with `outcome`.
pub fn deliveries(target_type: &'static str, outcome: &'static str, n: u64) {
    metrics::counter!("schemabus_deliveries_total", "target_type" => target_type, "outcome" => outcome)
        .increment(n);
}

/// Time of one webhook request.
pub fn latency(elapsed: Duration) {
    metrics::histogram!("schemabus_delivery_seconds").record(elapsed.as_secs_f64());
}

/// Deliveries waiting in the outbox.
pub fn outbox_depth(depth: usize) {
    #[allow(clippy::cast_precision_loss, reason = "gauges are f64; depths far below 2^52")]
    metrics::gauge!("schemabus_outbox_depth").set(depth as f64);
}
