//! The next minute a cron expression names: walks days (skipping whole years and months
//! that do not match), and within a matching day takes the first allowed hour and
//! minute. Bounded by the last year a cron may name.

use time::{Date, Month, OffsetDateTime, Weekday};

use super::{Cron, DayOfMonth, DayOfWeek, YEARS};

const MINUTE_MS: u64 = 60_000;

/// The first minute named by `cron` strictly after `after_ms`.
pub(super) fn cron_next(cron: &Cron, after_ms: u64) -> Option<u64> {
    let start_minute = after_ms / MINUTE_MS + 1;
    let start =
        OffsetDateTime::from_unix_timestamp(i64::try_from(start_minute.checked_mul(60)?).ok()?).ok()?;
    let mut date = start.date();
    let mut from = (start.hour(), start.minute());
    loop {
        let year = date.year();
        if year > i32::from(YEARS.1) {
            return None;
        }
        let year_bit = u32::try_from(year - i32::from(YEARS.0)).ok()?;
        if !cron.years.has(year_bit) {
            date = Date::from_calendar_date(year + 1, Month::January, 1).ok()?;
            from = (0, 0);
            continue;
        }
        if !cron.months.has(u32::from(u8::from(date.month())) - 1) {
            date = first_of_next_month(date)?;
            from = (0, 0);
            continue;
        }
        if day_matches(cron, date)
            && let Some((h, m)) = first_time(cron, from)
        {
            let at = date.with_hms(h, m, 0).ok()?.assume_utc();
            return u64::try_from(at.unix_timestamp()).ok()?.checked_mul(1000);
        }
        date = date.next_day()?;
        from = (0, 0);
    }
}

fn first_of_next_month(date: Date) -> Option<Date> {
    let (year, month) = match date.month() {
        Month::December => (date.year() + 1, Month::January),
        m => (date.year(), m.next()),
    };
    Date::from_calendar_date(year, month, 1).ok()
}

/// The first (hour, minute) at or after `from` the cron allows.
fn first_time(cron: &Cron, from: (u8, u8)) -> Option<(u8, u8)> {
    for h in from.0..24 {
        if !cron.hours.has(u32::from(h)) {
            continue;
        }
        let first = if h == from.0 { from.1 } else { 0 };
        if let Some(m) = (first..60).find(|m| cron.minutes.has(u32::from(*m))) {
            return Some((h, m));
        }
    }
    None
}

fn days_in_month(date: Date) -> u8 {
    date.month().length(date.year())
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The weekday nearest day `n` of `date`'s month, not leaving the month (`None` when the
/// month has no day `n`).
fn nearest_weekday(date: Date, n: u8) -> Option<u8> {
    let last = days_in_month(date);
    if n > last {
        return None;
    }
    let day = date.replace_day(n).ok()?;
    Some(match day.weekday() {
        Weekday::Saturday if n == 1 => 3,
        Weekday::Saturday => n - 1,
        Weekday::Sunday if n == last => n - 2,
        Weekday::Sunday => n + 1,
        _ => n,
    })
}

fn day_matches(cron: &Cron, date: Date) -> bool {
    let day = date.day();
    let last = days_in_month(date);
    let dom = match cron.day_of_month {
        DayOfMonth::Any => true,
        DayOfMonth::Days(bits) => bits.has(u32::from(day) - 1),
        DayOfMonth::Last => day == last,
        DayOfMonth::LastWeekday => {
            let last_weekday =
                (1..=last).rev().find(|d| date.replace_day(*d).is_ok_and(|x| !is_weekend(x))).unwrap_or(last);
            day == last_weekday
        }
        DayOfMonth::NearestWeekday(n) => nearest_weekday(date, n) == Some(day),
    };
    let weekday = date.weekday().number_from_sunday();
    let dow = match cron.day_of_week {
        DayOfWeek::Any => true,
        DayOfWeek::Days(bits) => bits.has(u32::from(weekday) - 1),
        DayOfWeek::Last(d) => weekday == d && day + 7 > last,
        DayOfWeek::Nth(d, n) => weekday == d && (day - 1) / 7 + 1 == n,
    };
    dom && dow
}
