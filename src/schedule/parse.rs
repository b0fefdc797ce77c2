//! Parsing of `rate(value unit)` and `cron(min hour day-of-month month day-of-week year)`
//! as EventBridge defines them (UTC, six fields, `?` in exactly one of the two day
//! fields, wildcards `, - * / ? L W #`, month and weekday names, 1 = Sunday).

use super::{Cron, DayOfMonth, DayOfWeek, Schedule, ScheduleError};

/// First and last year a cron expression may name (EventBridge's range).
pub const YEARS: (u16, u16) = (1970, 2199);

const MONTHS: [&str; 12] =
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn bad(reason: impl Into<String>) -> ScheduleError {
    ScheduleError { reason: reason.into() }
}

/// Parses a schedule expression.
///
/// # Errors
/// [`ScheduleError`] naming what is wrong.
pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
    if let Some(inner) = text.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        return rate(inner);
    }
    if let Some(inner) = text.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        return cron(inner).map(Schedule::Cron);
    }
    Err(bad("a schedule is rate(value unit) or cron(minutes hours day-of-month month day-of-week year)"))
}

fn rate(inner: &str) -> Result<Schedule, ScheduleError> {
    let parts: Vec<&str> = inner.split(' ').collect();
    let [value, unit] = parts.as_slice() else {
        return Err(bad("rate takes a value and a unit separated by one space, e.g. rate(5 minutes)"));
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("the rate value '{value}' is not a positive whole number")));
    }
    let n: u64 = value.parse().map_err(|_| bad(format!("the rate value '{value}' is too large")))?;
    if n == 0 {
        return Err(bad("the rate value must be greater than 0"));
    }
    let (per, singular) = match *unit {
        "minute" => (1, true),
        "minutes" => (1, false),
        "hour" => (60, true),
        "hours" => (60, false),
        "day" => (1440, true),
        "days" => (1440, false),
        other => return Err(bad(format!("'{other}' is not a rate unit (minute(s), hour(s) or day(s))"))),
    };
    if singular != (n == 1) {
        return Err(bad(if n == 1 {
            "a rate of 1 takes the singular unit (minute, hour, day)"
        } else {
            "a rate above 1 takes the plural unit (minutes, hours, days)"
        }));
    }
    let minutes = n.checked_mul(per).ok_or_else(|| bad(format!("the rate value '{value}' is too large")))?;
    Ok(Schedule::Rate { minutes })
}

fn cron(inner: &str) -> Result<Cron, ScheduleError> {
    let fields: Vec<&str> = inner.split(' ').filter(|f| !f.is_empty()).collect();
    let [minute, hour, dom, month, dow, year] = fields.as_slice() else {
        return Err(bad(format!(
            "cron takes 6 fields (minutes hours day-of-month month day-of-week year), not {}",
            fields.len()
        )));
    };
    let minutes = set(minute, "minutes", 0, 59, &[])?;
    let hours = set(hour, "hours", 0, 23, &[])?;
    let months = set(month, "month", 1, 12, &MONTHS)?;
    let years = set(year, "year", u32::from(YEARS.0), u32::from(YEARS.1), &[])?;
    let (day_of_month, day_of_week) = match (*dom, *dow) {
        ("?", "?") => return Err(bad("only one of day-of-month and day-of-week may be ?")),
        ("?", w) => (DayOfMonth::Any, day_of_week(w)?),
        (d, "?") => (day_of_month(d)?, DayOfWeek::Any),
        _ => return Err(bad("one of day-of-month and day-of-week must be ?")),
    };
    Ok(Cron { minutes, hours, months, years, day_of_month, day_of_week })
}

fn day_of_month(field: &str) -> Result<DayOfMonth, ScheduleError> {
    match field {
        "*" => Ok(DayOfMonth::Any),
        "L" => Ok(DayOfMonth::Last),
        "LW" => Ok(DayOfMonth::LastWeekday),
        _ => {
            if let Some(day) = field.strip_suffix('W') {
                let day = number(day, "day-of-month", 1, 31, &[])?;
                return u8::try_from(day)
                    .map(DayOfMonth::NearestWeekday)
                    .map_err(|_| bad("day out of range"));
            }
            set(field, "day-of-month", 1, 31, &[]).map(DayOfMonth::Days)
        }
    }
}

fn day_of_week(field: &str) -> Result<DayOfWeek, ScheduleError> {
    if field == "*" {
        return Ok(DayOfWeek::Any);
    }
    if field == "L" {
        // As Quartz, whose syntax EventBridge's is: L alone is the last day of the week.
        let mut saturday = Bits::default();
        saturday.set(6);
        return Ok(DayOfWeek::Days(saturday));
    }
    if let Some((day, nth)) = field.split_once('#') {
        let day = number(day, "day-of-week", 1, 7, &WEEKDAYS)?;
        let nth = number(nth, "day-of-week", 1, 5, &[])?;
        return Ok(DayOfWeek::Nth(weekday(day), u8::try_from(nth).unwrap_or(1)));
    }
    if let Some(day) = field.strip_suffix('L') {
        let day = number(day, "day-of-week", 1, 7, &WEEKDAYS)?;
        return Ok(DayOfWeek::Last(weekday(day)));
    }
    set(field, "day-of-week", 1, 7, &WEEKDAYS).map(DayOfWeek::Days)
}

fn weekday(day: u32) -> u8 {
    u8::try_from(day).unwrap_or(1)
}

/// A field of values `lo..=hi` as a bit set (bit `v` for value `v`): `*`, `a`, `a-b`,
/// `a/s`, `*/s`, `a-b/s`, and comma lists of those.
fn set(field: &str, name: &str, lo: u32, hi: u32, names: &[&str]) -> Result<Bits, ScheduleError> {
    let mut bits = Bits::default();
    if field.is_empty() {
        return Err(bad(format!("the {name} field is empty")));
    }
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step = number(s, name, 1, hi.max(1), &[])?;
                (r, Some(step))
            }
            None => (part, None),
        };
        let (from, to) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            let (a, b) = (number(a, name, lo, hi, names)?, number(b, name, lo, hi, names)?);
            if a > b {
                return Err(bad(format!("the {name} range {range} goes backwards")));
            }
            (a, b)
        } else {
            let a = number(range, name, lo, hi, names)?;
            // `a/s` runs from a to the end of the field.
            (a, if step.is_some() { hi } else { a })
        };
        let step = step.unwrap_or(1);
        let mut v = from;
        while v <= to {
            bits.set(v - lo);
            v += step;
        }
    }
    Ok(bits)
}

fn number(text: &str, name: &str, lo: u32, hi: u32, names: &[&str]) -> Result<u32, ScheduleError> {
    let upper = text.to_ascii_uppercase();
    if let Some(i) = names.iter().position(|n| *n == upper) {
        return Ok(lo + u32::try_from(i).unwrap_or(0));
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(format!("'{text}' is not a value of the {name} field")));
    }
    match text.parse::<u32>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(bad(format!("{text} is outside the {name} field's range {lo}-{hi}"))),
    }
}

/// A set of up to 256 small values (the year field needs 230 bits), bit `i` for value
/// `lo + i` of its field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bits([u64; 4]);

impl Bits {
    fn set(&mut self, i: u32) {
        if let Some(word) = self.0.get_mut((i / 64) as usize) {
            *word |= 1 << (i % 64);
        }
    }

    /// Whether bit `i` is set.
    pub fn has(&self, i: u32) -> bool {
        self.0.get((i / 64) as usize).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
}
