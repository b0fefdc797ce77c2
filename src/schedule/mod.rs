//! PURE: schedule expressions of scheduled rules (`rate(...)`, `cron(...)`, as
//! EventBridge defines them, UTC, minute granularity) and the decision of which tick is
//! due. No clock and no I/O: the scheduler in `bus::scheduler` passes the times in.
//!
//! Ticks are Unix milliseconds. A rate's ticks are `anchor + k × period` (k ≥ 1): the
//! anchor is the minute the rule was created, so `rate(5 minutes)` fires every five
//! minutes counted from its creation, as EventBridge does. A cron's ticks are the
//! minutes it names.

mod next;
mod parse;

pub use parse::{Bits, YEARS, parse};

/// A parsed schedule expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// `rate(value unit)`: a period in minutes.
    Rate {
        /// The period.
        minutes: u64,
    },
    /// `cron(...)`.
    Cron(Cron),
}

/// The six fields of a cron expression, as sets of the values they allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    /// Minutes 0–59 (bit = minute).
    pub minutes: Bits,
    /// Hours 0–23 (bit = hour).
    pub hours: Bits,
    /// Months 1–12 (bit = month − 1).
    pub months: Bits,
    /// Years 1970–2199 (bit = year − 1970).
    pub years: Bits,
    /// The day-of-month field.
    pub day_of_month: DayOfMonth,
    /// The day-of-week field.
    pub day_of_week: DayOfWeek,
}

/// The day-of-month field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOfMonth {
    /// `?` or `*`.
    Any,
    /// Days 1–31 (bit = day − 1); a day a month lacks never matches in it.
    Days(Bits),
    /// `L`: the last day of the month.
    Last,
    /// `LW`: the last weekday (Monday–Friday) of the month.
    LastWeekday,
    /// `nW`: the weekday nearest day n, within the month.
    NearestWeekday(u8),
}

/// The day-of-week field (1 = Sunday … 7 = Saturday, as EventBridge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOfWeek {
    /// `?` or `*`.
    Any,
    /// Days (bit = day − 1).
    Days(Bits),
    /// `dL`: the last day d of the month.
    Last(u8),
    /// `d#n`: the n-th day d of the month.
    Nth(u8, u8),
}

/// Why an expression is not valid. EventBridge says only
/// [`ScheduleError::MESSAGE`]; `reason` is ours, for the native API's hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    /// What is wrong.
    pub reason: String,
}

impl ScheduleError {
    /// EventBridge's message for any invalid expression.
    pub const MESSAGE: &'static str = "Parameter ScheduleExpression is not valid.";
}

impl std::fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} Reason: {}.", Self::MESSAGE, self.reason)
    }
}

/// What ticks are computed against: the rule's anchor (rates) and the length of a
/// minute (60 000 ms; shorter only under the hidden `--schedule-minute-ms` test knob,
/// which scales rates and the grace of missed ticks, not cron).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Unix ms rate ticks count from (the rule's creation, floored to the minute).
    pub anchor_ms: u64,
    /// Length of a minute in ms.
    pub minute_ms: u64,
}

impl Clock {
    /// A clock with real minutes anchored at `created_ms` (floored to the minute).
    pub fn new(created_ms: u64, minute_ms: u64) -> Self {
        let minute_ms = minute_ms.max(1);
        Self { anchor_ms: created_ms - created_ms % minute_ms, minute_ms }
    }
}

impl Schedule {
    /// The first tick strictly after `after_ms` (`None`: there is none, e.g. a cron
    /// whose years are past).
    pub fn next_after(&self, after_ms: u64, clock: Clock) -> Option<u64> {
        match self {
            Self::Rate { minutes } => {
                let period = minutes.checked_mul(clock.minute_ms)?;
                let first = clock.anchor_ms.checked_add(period)?;
                if after_ms < first {
                    return Some(first);
                }
                let k = (after_ms - clock.anchor_ms) / period + 1;
                clock.anchor_ms.checked_add(k.checked_mul(period)?)
            }
            Self::Cron(cron) => next::cron_next(cron, after_ms),
        }
    }

    /// The next `n` ticks after `after_ms`.
    pub fn upcoming(&self, after_ms: u64, clock: Clock, n: usize) -> Vec<u64> {
        let mut out = Vec::with_capacity(n);
        let mut at = after_ms;
        while out.len() < n {
            let Some(tick) = self.next_after(at, clock) else { break };
            out.push(tick);
            at = tick;
        }
        out
    }
}

/// The tick to fire now, if any: the latest tick after `last_ms` (the last tick fired,
/// or the rule's creation) that is at most `now_ms` and at most one minute old.
///
/// Why only the latest, and only within a minute: EventBridge fires within the minute
/// and never catches up. Ticks missed for longer (the process was down) are skipped,
/// never fired late in a burst; a restart shorter than a minute still fires the tick it
/// missed, once. Each tick fires at most once because the scheduler stores the tick
/// before emitting its event, and passes it back as `last_ms`.
pub fn due(schedule: &Schedule, clock: Clock, last_ms: u64, now_ms: u64) -> Option<u64> {
    let from = last_ms.max(now_ms.saturating_sub(clock.minute_ms));
    let mut tick = schedule.next_after(from, clock)?;
    if tick > now_ms {
        return None;
    }
    while let Some(next) = schedule.next_after(tick, clock) {
        if next > now_ms {
            break;
        }
        tick = next;
    }
    Some(tick)
}

#[cfg(test)]
mod tests;
