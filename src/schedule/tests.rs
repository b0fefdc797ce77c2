#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use proptest::prelude::*;
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, Weekday};

use super::*;

fn ms(text: &str) -> u64 {
    u64::try_from(OffsetDateTime::parse(text, &Rfc3339).unwrap().unix_timestamp()).unwrap() * 1000
}

fn text(ms: u64) -> String {
    OffsetDateTime::from_unix_timestamp(i64::try_from(ms / 1000).unwrap()).unwrap().format(&Rfc3339).unwrap()
}

const REAL: Clock = Clock { anchor_ms: 0, minute_ms: 60_000 };

fn next(expr: &str, after: &str) -> Option<String> {
    parse(expr).unwrap().next_after(ms(after), REAL).map(text)
}

fn nexts(expr: &str, after: &str, n: usize) -> Vec<String> {
    parse(expr).unwrap().upcoming(ms(after), REAL, n).into_iter().map(text).collect()
}

#[test]
fn rates_are_parsed_with_singular_units_for_one() {
    assert_eq!(parse("rate(1 minute)"), Ok(Schedule::Rate { minutes: 1 }));
    assert_eq!(parse("rate(5 minutes)"), Ok(Schedule::Rate { minutes: 5 }));
    assert_eq!(parse("rate(1 hour)"), Ok(Schedule::Rate { minutes: 60 }));
    assert_eq!(parse("rate(2 days)"), Ok(Schedule::Rate { minutes: 2880 }));
    for bad in [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(1.5 hours)",
        "rate(5 seconds)",
        "rate(5  minutes)",
        "rate(minutes)",
        "rate()",
        "rate(5 minutes",
        "RATE(5 minutes)",
        "rate(99999999999999999999 days)",
        "every 5 minutes",
        "",
    ] {
        assert!(parse(bad).is_err(), "{bad} parsed");
    }
}

#[test]
fn an_invalid_expression_says_what_eventbridge_says() {
    let e = parse("cron(0 0 * * * *)").unwrap_err();
    assert!(e.to_string().starts_with("Parameter ScheduleExpression is not valid."), "{e}");
    assert!(e.reason.contains('?'), "{}", e.reason);
}

#[test]
fn cron_needs_six_fields_and_exactly_one_question_mark() {
    for bad in [
        "cron(0 10 * * ?)",
        "cron(0 10 * * ? * *)",
        "cron(0 10 * * * *)",
        "cron(0 10 ? * ? *)",
        "cron(0 10 1 * MON *)",
        "cron(60 10 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 0 * ? *)",
        "cron(0 0 * 13 ? *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 ? * 0 *)",
        "cron(0 0 * * ? 1969)",
        "cron(0 0 * * ? 2200)",
        "cron(0 0 ? * 2#6 *)",
        "cron(0 0 ? * 9#1 *)",
        "cron(0 0 * FOO ? *)",
        "cron(5-1 0 * * ? *)",
        "cron(0/0 0 * * ? *)",
        "cron(0 0 ? * MON#1#2 *)",
        "cron(0 0 32W * ? *)",
        "cron(, 0 * * ? *)",
        "cron(a 0 * * ? *)",
    ] {
        assert!(parse(bad).is_err(), "{bad} parsed");
    }
}

#[test]
fn the_examples_of_the_eventbridge_guide_fire_when_it_says() {
    // 10:15 every day.
    assert_eq!(next("cron(15 10 * * ? *)", "2026-03-01T10:15:00Z").as_deref(), Some("2026-03-02T10:15:00Z"));
    assert_eq!(next("cron(15 10 * * ? *)", "2026-03-01T10:14:59Z").as_deref(), Some("2026-03-01T10:15:00Z"));
    // 18:00 Monday to Friday (2026-03-06 is a Friday).
    assert_eq!(
        nexts("cron(0 18 ? * MON-FRI *)", "2026-03-06T18:00:00Z", 2),
        ["2026-03-09T18:00:00Z", "2026-03-10T18:00:00Z"]
    );
    // 8:00 on the first day of every month.
    assert_eq!(next("cron(0 8 1 * ? *)", "2026-01-15T00:00:00Z").as_deref(), Some("2026-02-01T08:00:00Z"));
    // Every 15 minutes.
    assert_eq!(
        nexts("cron(0/15 * * * ? *)", "2026-01-01T00:07:00Z", 3),
        ["2026-01-01T00:15:00Z", "2026-01-01T00:30:00Z", "2026-01-01T00:45:00Z"]
    );
    // Every 5 minutes between 8:00 and 17:55 on weekdays.
    assert_eq!(
        next("cron(0/5 8-17 ? * MON-FRI *)", "2026-03-06T17:55:00Z").as_deref(),
        Some("2026-03-09T08:00:00Z")
    );
    // 9:00 on the first Monday of each month (2 = Monday).
    assert_eq!(next("cron(0 9 ? * 2#1 *)", "2026-03-02T09:00:00Z").as_deref(), Some("2026-04-06T09:00:00Z"));
    // Lists, names and a year.
    assert_eq!(
        next("cron(0 12 ? JAN,JUL SUN 2027)", "2026-06-01T00:00:00Z").as_deref(),
        Some("2027-01-03T12:00:00Z")
    );
    assert_eq!(next("cron(0 0 1 1 ? 2030)", "2030-01-01T00:00:00Z"), None);
    assert_eq!(
        next("cron(0 0 1 1 ? 2030-2031)", "2030-01-01T00:00:00Z").as_deref(),
        Some("2031-01-01T00:00:00Z")
    );
}

#[test]
fn l_w_and_hash_pick_the_days_quartz_does() {
    // Last day of February in a leap year and in a common one.
    assert_eq!(next("cron(0 0 L * ? *)", "2028-02-01T00:00:00Z").as_deref(), Some("2028-02-29T00:00:00Z"));
    assert_eq!(next("cron(0 0 L * ? *)", "2027-02-01T00:00:00Z").as_deref(), Some("2027-02-28T00:00:00Z"));
    // Last weekday: 2026-05-31 is a Sunday, so Friday the 29th.
    assert_eq!(next("cron(0 0 LW * ? *)", "2026-05-01T00:00:00Z").as_deref(), Some("2026-05-29T00:00:00Z"));
    // Nearest weekday to the 15th: 2026-08-15 is a Saturday → Friday 14th; 2026-11-15 a
    // Sunday → Monday 16th; the 1st on a Saturday moves forward to Monday the 3rd.
    assert_eq!(next("cron(0 0 15W * ? *)", "2026-08-01T00:00:00Z").as_deref(), Some("2026-08-14T00:00:00Z"));
    assert_eq!(next("cron(0 0 15W * ? *)", "2026-11-01T00:00:00Z").as_deref(), Some("2026-11-16T00:00:00Z"));
    assert_eq!(next("cron(0 0 1W 8 ? *)", "2026-07-01T00:00:00Z").as_deref(), Some("2026-08-03T00:00:00Z"));
    // Last Friday (6 = Friday) of March 2026 is the 27th.
    assert_eq!(next("cron(0 0 ? * 6L *)", "2026-03-01T00:00:00Z").as_deref(), Some("2026-03-27T00:00:00Z"));
    // L alone in day-of-week is Saturday.
    assert_eq!(next("cron(0 0 ? * L *)", "2026-03-02T00:00:00Z").as_deref(), Some("2026-03-07T00:00:00Z"));
    // The fifth Friday exists only in some months (May 2026 has one, on the 29th).
    assert_eq!(
        next("cron(0 0 ? * FRI#5 *)", "2026-03-31T00:00:00Z").as_deref(),
        Some("2026-05-29T00:00:00Z")
    );
    // Day 31 skips the months without one.
    assert_eq!(next("cron(0 0 31 * ? *)", "2026-03-31T00:00:00Z").as_deref(), Some("2026-05-31T00:00:00Z"));
    // 29 February, years apart.
    assert_eq!(next("cron(0 0 29 2 ? *)", "2028-03-01T00:00:00Z").as_deref(), Some("2032-02-29T00:00:00Z"));
}

#[test]
fn a_rate_counts_from_its_anchor_minute() {
    let clock = Clock::new(ms("2026-01-01T10:00:30Z"), 60_000);
    assert_eq!(clock.anchor_ms, ms("2026-01-01T10:00:00Z"));
    let five = parse("rate(5 minutes)").unwrap();
    assert_eq!(
        five.next_after(ms("2026-01-01T10:00:30Z"), clock).map(text).as_deref(),
        Some("2026-01-01T10:05:00Z")
    );
    assert_eq!(
        five.next_after(ms("2026-01-01T10:05:00Z"), clock).map(text).as_deref(),
        Some("2026-01-01T10:10:00Z")
    );
    assert_eq!(
        five.next_after(ms("2025-01-01T00:00:00Z"), clock).map(text).as_deref(),
        Some("2026-01-01T10:05:00Z")
    );
    // The test knob shortens the minute.
    let fast = Clock::new(1_000_050, 100);
    assert_eq!(
        parse("rate(1 minute)").unwrap().upcoming(1_000_050, fast, 3),
        [1_000_100, 1_000_200, 1_000_300]
    );
}

#[test]
fn due_fires_the_latest_tick_within_a_minute_and_skips_older_ones() {
    let every = parse("cron(* * * * ? *)").unwrap();
    let t = ms("2026-01-01T10:00:00Z");
    // Nothing before the first tick; the tick itself once it is reached.
    assert_eq!(due(&every, REAL, t, t + 59_999), None);
    assert_eq!(due(&every, REAL, t, t + 60_000), Some(t + 60_000));
    // Already fired: not again.
    assert_eq!(due(&every, REAL, t + 60_000, t + 60_000 + 30_000), None);
    // Down for 10 minutes: only the tick of the last minute fires, once.
    assert_eq!(due(&every, REAL, t, t + 600_000 + 5_000), Some(t + 600_000));
    assert_eq!(due(&every, REAL, t + 600_000, t + 600_000 + 5_000), None);
    // Down for longer than the tick is old: skipped.
    let daily = parse("cron(0 10 * * ? *)").unwrap();
    assert_eq!(due(&daily, REAL, t - 86_400_000, t + 30_000), Some(t));
    assert_eq!(due(&daily, REAL, t - 86_400_000, t + 61_000), None);
    // A clock gone backwards fires nothing.
    assert_eq!(due(&every, REAL, t + 600_000, t), None);
}

/// A minute (Unix ms) matches `cron` — written independently of `next.rs`, by brute force.
fn matches(cron: &Cron, at: u64) -> bool {
    let t = OffsetDateTime::from_unix_timestamp(i64::try_from(at / 1000).unwrap()).unwrap();
    let date = t.date();
    let dim = date.month().length(date.year());
    let weekend =
        |d: u8| matches!(date.replace_day(d).unwrap().weekday(), Weekday::Saturday | Weekday::Sunday);
    let dom = match cron.day_of_month {
        DayOfMonth::Any => true,
        DayOfMonth::Days(b) => b.has(u32::from(date.day()) - 1),
        DayOfMonth::Last => date.day() == dim,
        DayOfMonth::LastWeekday => {
            (date.day()..=dim).filter(|d| !weekend(*d)).collect::<Vec<_>>() == [date.day()]
        }
        DayOfMonth::NearestWeekday(n) => {
            n <= dim && {
                // The weekday among n-2..=n+2 (in the month) closest to n, earlier on ties.
                let mut best: Option<u8> = None;
                for d in (1..=dim).filter(|d| !weekend(*d)) {
                    let dist = |x: u8| (i16::from(x) - i16::from(n)).abs();
                    if best.is_none_or(|b| dist(d) < dist(b)) {
                        best = Some(d);
                    }
                }
                best == Some(date.day())
            }
        }
    };
    let wd = date.weekday().number_from_sunday();
    let same_weekday_days: Vec<u8> =
        (1..=dim).filter(|d| date.replace_day(*d).unwrap().weekday().number_from_sunday() == wd).collect();
    let dow = match cron.day_of_week {
        DayOfWeek::Any => true,
        DayOfWeek::Days(b) => b.has(u32::from(wd) - 1),
        DayOfWeek::Last(d) => wd == d && same_weekday_days.last() == Some(&date.day()),
        DayOfWeek::Nth(d, n) => wd == d && same_weekday_days.get(usize::from(n) - 1) == Some(&date.day()),
    };
    at.is_multiple_of(60_000)
        && cron.minutes.has(u32::from(t.minute()))
        && cron.hours.has(u32::from(t.hour()))
        && cron.months.has(u32::from(u8::from(t.month())) - 1)
        && cron.years.has(u32::try_from(t.year() - 1970).unwrap())
        && dom
        && dow
}

fn field(values: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(values).prop_map(str::to_owned)
}

fn expression() -> impl Strategy<Value = String> {
    let minute = field(&["*", "0", "15", "0/7", "5-20/5", "1,2,59", "30-59"]);
    let hour = field(&["*", "0", "12", "8-17", "0/6", "3,23"]);
    let month = field(&["*", "FEB", "1-6", "JAN,DEC", "2/3", "9"]);
    let year = field(&["*", "2026-2030", "2027", "2026,2028/2"]);
    let days = prop_oneof![
        field(&["*", "1", "15", "31", "L", "LW", "15W", "1W", "31W", "1-10/3", "29"])
            .prop_map(|d| (d, "?".to_owned())),
        field(&["*", "MON-FRI", "1", "SAT,SUN", "2#1", "6#5", "6L", "L", "1-7/2"])
            .prop_map(|w| ("?".to_owned(), w)),
    ];
    (minute, hour, days, month, year)
        .prop_map(|(m, h, (dom, dow), mo, y)| format!("cron({m} {h} {dom} {mo} {dow} {y})"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// next(t) is after t, is a minute the expression names, and no minute between
    /// them is (checked by brute force when they are at most ~3 weeks apart).
    #[test]
    fn next_is_the_first_matching_minute_after_t(expr in expression(), t in 1_767_225_600_000u64..1_900_000_000_000) {
        let Schedule::Cron(cron) = parse(&expr).unwrap() else { unreachable!() };
        let schedule = Schedule::Cron(cron.clone());
        if let Some(n) = schedule.next_after(t, REAL) {
            prop_assert!(n > t);
            prop_assert!(matches(&cron, n), "{expr}: {} does not match", text(n));
            if n - t <= 30_000 * 60_000 {
                let mut m = (t / 60_000 + 1) * 60_000;
                while m < n {
                    prop_assert!(!matches(&cron, m), "{expr}: {} matches before {}", text(m), text(n));
                    m += 60_000;
                }
            }
        }
    }

    /// A due tick is never in the future, never at or before the last one, and at most a
    /// minute old; firing it makes nothing due in the same minute.
    #[test]
    fn due_never_fires_a_tick_twice(expr in expression(), last in 1_767_225_600_000u64..1_800_000_000_000, gap in 0u64..10_000_000) {
        let schedule = parse(&expr).unwrap();
        let now = last + gap;
        if let Some(tick) = due(&schedule, REAL, last, now) {
            prop_assert!(tick > last && tick <= now && now - tick <= 60_000);
            prop_assert_eq!(due(&schedule, REAL, tick, now), None);
        }
    }

    /// Rates: ticks are anchor + k·period, strictly increasing.
    #[test]
    fn rate_ticks_are_multiples_of_the_period(n in 1u64..500, anchor in 0u64..2_000_000_000_000, after in 0u64..2_000_000_000_000) {
        let unit = if n == 1 { "minute" } else { "minutes" };
        let schedule = parse(&format!("rate({n} {unit})")).unwrap();
        let clock = Clock::new(anchor, 60_000);
        let tick = schedule.next_after(after, clock).unwrap();
        prop_assert!(tick > after && tick > clock.anchor_ms);
        prop_assert_eq!((tick - clock.anchor_ms) % (n * 60_000), 0);
        prop_assert!(tick - after.max(clock.anchor_ms) <= n * 60_000);
    }
}
