//! The scheduler of scheduled rules (docs/DELIVERY.md#scheduled-rules): a task that,
//! every second, asks the pure [`crate::schedule::due`] which tick of each enabled
//! scheduled rule of the `default` bus is due, and fires it.
//!
//! Firing a tick: the tick is stored and flushed FIRST, then its `Scheduled Event`
//! (`source: aws.events`, `detail: {}`, `resources: [rule ARN]`, `time`: the tick) is
//! logged on the `default` bus and delivered to that rule's targets only, whatever its
//! pattern (as EventBridge: the schedule triggers that rule, not the bus). So a tick
//! fires at most once across restarts: a crash between the two steps loses that tick,
//! it never sends it twice. The tick is stored only if the stored one is still the one
//! the scheduler read, so of two instances firing one tick (a lease changing hands), one
//! does; and the scheduler runs only on the instance holding the `scheduler` lease.
//! Scheduled events are not archived (a replay would send them
//! to pattern rules, which they never reached).

use std::time::Duration;

use super::router::{Routable, RoutedRule};
use super::{BusService, Routed, metrics};
use crate::error::ApiResult;
use crate::model::{DEFAULT_BUS, RuleRecord, rfc3339_of_ms};
use crate::schedule::Clock;
use crate::storage::{LEASE_TTL, Lease, Write};

/// Source and detail-type of the events schedules emit (EventBridge's).
pub const SCHEDULED_SOURCE: &str = "aws.events";
/// See [`SCHEDULED_SOURCE`].
pub const SCHEDULED_DETAIL_TYPE: &str = "Scheduled Event";

/// How many next fire times rule answers show.
const SHOWN_FIRE_TIMES: usize = 3;

impl BusService {
    /// The clock of a rule's schedule: anchored at its creation.
    fn schedule_clock(&self, rule: &RuleRecord) -> Clock {
        Clock::new(crate::archive::event_time_ms(Some(&rule.created_at)), self.settings.schedule_minute_ms)
    }

    /// A rule as answers show it: write-only values redacted, next fire times added.
    pub(super) fn rule_answer(&self, rule: &RuleRecord) -> RuleRecord {
        let mut out = rule.redacted();
        if let Some(schedule) = rule.schedule.as_deref().and_then(|s| crate::schedule::parse(s).ok()) {
            let last = self.control.schedule_tick(&rule.bus, &rule.name).ok().flatten().unwrap_or(0);
            let after = crate::model::now_ms().max(last);
            out.next_fire_times = schedule
                .upcoming(after, self.schedule_clock(rule), SHOWN_FIRE_TIMES)
                .into_iter()
                .map(rfc3339_of_ms)
                .collect();
        }
        out
    }

    /// Starts the scheduler task (needs a tokio runtime). It fires ticks only while this
    /// instance holds the `scheduler` lease, so in a cluster one instance fires them.
    pub(super) fn start_scheduler(&self) {
        let service = self.clone();
        let period = Duration::from_millis((self.settings.schedule_minute_ms / 4).clamp(5, 1000));
        tokio::spawn(async move {
            let lease = Lease::keep(service.leases.clone(), "scheduler", LEASE_TTL);
            let mut ticker = tokio::time::interval(period);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                ticker.tick().await;
                if lease.held() {
                    service.run_schedules(crate::model::now_ms()).await;
                }
            }
        });
    }

    /// Fires every tick due at `now_ms`; answers how many fired. Failures are logged
    /// (the tick is then not fired; the next pass tries again while it is due).
    pub async fn run_schedules(&self, now_ms: u64) -> usize {
        let mut fired = 0;
        for rule in self.router.scheduled(DEFAULT_BUS) {
            let Some(schedule) = &rule.schedule else { continue };
            let record = &rule.record;
            let stored = match self.control.schedule_tick(DEFAULT_BUS, &record.name) {
                Ok(last) => last,
                Err(e) => {
                    tracing::error!(rule = %record.name, error = %e, "cannot read the rule's last tick");
                    continue;
                }
            };
            let clock = self.schedule_clock(record);
            let last = stored.unwrap_or_else(|| crate::archive::event_time_ms(Some(&record.created_at)));
            let Some(tick) = crate::schedule::due(schedule, clock, last, now_ms) else { continue };
            match self.fire(&rule, stored, tick).await {
                Ok(true) => fired += 1,
                Ok(false) => {}
                Err(e) => tracing::error!(rule = %record.name, tick, error = %e, "scheduled event not sent"),
            }
        }
        fired
    }

    /// Stores the tick, then emits its event to the rule's targets (see the module docs);
    /// false when the stored tick was no longer `last` (another instance fired it).
    async fn fire(&self, rule: &RoutedRule, last: Option<u64>, tick: u64) -> ApiResult<bool> {
        let name = &rule.record.name;
        if !self.control.advance_schedule_tick(DEFAULT_BUS, name, last, tick).await? {
            return Ok(false);
        }
        let mut envelope =
            super::envelope::service_event(SCHEDULED_SOURCE, SCHEDULED_DETAIL_TYPE, &serde_json::json!({}));
        envelope.time = rfc3339_of_ms(tick);
        envelope.resources = vec![self.rule_arn(DEFAULT_BUS, name)];
        let bytes = envelope.to_bytes(&self.context);
        let mut routed = Routed::default();
        let logged = routed.writes.event(DEFAULT_BUS, &bytes);
        let routes = self.router.rule_routes(DEFAULT_BUS, name);
        let event = Routable::Fresh(&envelope, &self.context);
        self.deliver(DEFAULT_BUS, &envelope.id, event, (&bytes, Some(logged)), 0, routes, &mut routed)?;
        routed.commit(&self.store, &self.queues, &self.delivery, Write::Now)?;
        self.store.flush().await?;
        metrics::accepted(DEFAULT_BUS, 1);
        self.delivery.wake();
        tracing::debug!(rule = %name, tick = %envelope.time, "scheduled event sent");
        Ok(true)
    }
}
