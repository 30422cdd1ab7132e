//! The history page (`rollcoach history --html`): sessions per week, minutes per area over the weeks, the weekly
//! streak, and for each area the gap since it was last rolled.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::page::{SCRIPT, STYLE};
use super::svg::{esc, ticks, Plot};
use crate::live::history::{weekly, SessionSummary};
use crate::live::session::iso_week_in;

/// ISO (year, week) of a day number since 1970-01-01 (UTC days, as the page counts them).
fn iso_week(day: i64) -> (i64, u32) {
    iso_week_in(day as f64 * DAY_S, &jiff::tz::TimeZone::UTC)
}

/// (year, month, day) of a day number since 1970-01-01.
fn civil_from_days(day: i64) -> (i16, i8, i8) {
    let ts = jiff::Timestamp::from_second(day * 86_400).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let d = ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    (d.year(), d.month(), d.day())
}

const DAY_S: f64 = 86_400.0;
/// Series colours for the areas (cycled).
const COLOURS: [&str; 8] = ["#1f5fa8", "#e67e22", "#2e7d32", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d4ac0d"];

/// Every ISO week from the first session's to `now`'s, in order (weeks without a session included).
pub fn week_range(sessions: &[SessionSummary], now_unix: f64) -> Vec<(i64, u32)> {
    let Some(first) = sessions.iter().map(|s| s.started_unix).reduce(f64::min) else { return Vec::new() };
    let (mut day, last) = ((first / DAY_S).floor() as i64, (now_unix.max(first) / DAY_S).floor() as i64);
    let mut out: Vec<(i64, u32)> = Vec::new();
    while day <= last + 6 {
        let w = iso_week(day.min(last));
        if out.last() != Some(&w) {
            out.push(w);
        }
        day += 7;
    }
    out
}

/// Consecutive weeks, counted back from the newest of `weeks`, that are in `active`; the current week may still
/// be empty without breaking the streak.
pub fn current_streak(weeks: &[(i64, u32)], active: &BTreeSet<(i64, u32)>) -> usize {
    let mut it = weeks.iter().rev().peekable();
    if it.peek().is_some_and(|w| !active.contains(w)) {
        it.next();
    }
    it.take_while(|w| active.contains(w)).count()
}

fn date(unix: f64) -> String {
    let (y, m, d) = civil_from_days((unix / DAY_S).floor() as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The history page for `sessions` as of `now_unix`.
pub fn render(sessions: &[SessionSummary], now_unix: f64) -> String {
    let weeks = week_range(sessions, now_unix);
    let per_week = weekly(sessions, &jiff::tz::TimeZone::UTC);
    let active: BTreeSet<(i64, u32)> = per_week.keys().copied().collect();
    let mut s = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rollcoach history</title><style>{STYLE}</style></head>\
         <body><h1>rollcoach history</h1><p><span data-key=\"sessions\">{}</span> sessions; weekly streak \
         <span data-key=\"streak_weeks\">{}</span> week(s).</p>",
        sessions.len(),
        current_streak(&weeks, &active)
    );
    s += "<h2>Sessions per week</h2>";
    s += &sessions_chart(&weeks, &per_week);
    s += "<h2>Minutes per area per week</h2>";
    s += &minutes_chart(&weeks, &per_week);
    s += &area_table(sessions, &weeks, now_unix);
    let _ = write!(s, "<script>{SCRIPT}</script></body></html>\n");
    s
}

type Weekly = BTreeMap<(i64, u32), crate::live::history::WeekTotal>;

fn week_labels(weeks: &[(i64, u32)]) -> Vec<String> {
    weeks.iter().map(|(y, w)| format!("{y}-W{w:02}")).collect()
}

fn sessions_chart(weeks: &[(i64, u32)], per_week: &Weekly) -> String {
    let n = weeks.len().max(1) as f64;
    let hi = per_week.values().map(|w| w.sessions).max().unwrap_or(1).max(1) as f64 + 1.0;
    let plot = Plot { w: 900.0, h: 220.0, x: (0.0, n), y: (0.0, hi) };
    let mut s = plot.open("chart-sessions", "Sessions per week");
    for (i, w) in weeks.iter().enumerate() {
        let c = per_week.get(w).map_or(0, |t| t.sessions);
        s += &plot.vbar(
            i as f64 + 0.15,
            i as f64 + 0.85,
            0.0,
            c as f64,
            "bar",
            &format!("{}: {c} session(s)", week_labels(&[*w])[0]),
        );
    }
    s += &week_axis(&plot, weeks, &ticks(0.0, hi, 4), "sessions");
    s + "</svg>"
}

fn week_axis(plot: &Plot, weeks: &[(i64, u32)], yt: &[f64], yname: &str) -> String {
    let mut s = String::new();
    let step = weeks.len().div_ceil(12).max(1);
    for (i, l) in week_labels(weeks).iter().enumerate().step_by(step) {
        let _ = write!(
            s,
            "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            plot.px(i as f64 + 0.5),
            plot.h - 18.0,
            esc(l)
        );
    }
    let yl: Vec<(f64, String)> = yt.iter().map(|v| (*v, format!("{v:.0}"))).collect();
    s + &plot.axes(&[], &yl, "ISO week", yname)
}

fn minutes_chart(weeks: &[(i64, u32)], per_week: &Weekly) -> String {
    let areas: BTreeSet<&String> = per_week.values().flat_map(|w| w.area_s.keys()).collect();
    let hi = per_week.values().flat_map(|w| w.area_s.values()).fold(1.0f64, |a, v| a.max(v / 60.0)) * 1.15;
    let plot = Plot { w: 900.0, h: 240.0, x: (0.0, weeks.len().max(1) as f64), y: (0.0, hi) };
    let mut s = plot.open("chart-minutes", "Minutes per area per week");
    let mut legend = String::new();
    for (k, area) in areas.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let pts: Vec<(f64, Option<f64>)> = weeks
            .iter()
            .enumerate()
            .map(|(i, w)| {
                (i as f64 + 0.5, Some(per_week.get(w).and_then(|t| t.area_s.get(*area)).copied().unwrap_or(0.0) / 60.0))
            })
            .collect();
        s += &plot.line(&pts, "series").replacen(
            "class=\"series\"",
            &format!("class=\"series\" style=\"stroke:{colour}\""),
            1,
        );
        let _ = write!(legend, "<span style=\"color:{colour}\">&#9632; {}</span> ", esc(area));
    }
    s += &week_axis(&plot, weeks, &ticks(0.0, hi, 5), "minutes");
    s + "</svg><p>" + &legend + "</p>"
}

fn area_table(sessions: &[SessionSummary], weeks: &[(i64, u32)], now_unix: f64) -> String {
    let mut last: BTreeMap<&str, f64> = BTreeMap::new();
    let mut total: BTreeMap<&str, f64> = BTreeMap::new();
    let mut active: BTreeMap<&str, BTreeSet<(i64, u32)>> = BTreeMap::new();
    for ses in sessions {
        for (a, v) in ses.area_s.iter().filter(|(_, v)| **v > 0.0) {
            let l = last.entry(a.as_str()).or_insert(ses.started_unix);
            *l = l.max(ses.started_unix);
            *total.entry(a.as_str()).or_insert(0.0) += v;
            active.entry(a.as_str()).or_default().insert(iso_week((ses.started_unix / DAY_S).floor() as i64));
        }
    }
    let mut s = String::from(
        "<h2>Per area</h2><table id=\"history-areas\"><tr><th>area</th><th>tool</th><th>minutes (all)</th><th>last rolled</th>\
         <th>days since</th><th>weekly streak</th></tr>",
    );
    if last.is_empty() {
        s += "<tr><td colspan=\"6\">no rolling recorded yet</td></tr>";
    }
    let tools = crate::coach::ball::tools_by_id();
    for (a, l) in &last {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td><span data-key=\"area.{a}.minutes\">{:.1}</span></td><td>{}</td>\
             <td><span data-key=\"area.{a}.gap_days\">{:.0}</span></td><td><span data-key=\"area.{a}.streak\">{}</span></td></tr>",
            esc(a),
            crate::coach::ball::tool_label(&tools, a),
            total[a] / 60.0,
            date(*l),
            ((now_unix - l) / DAY_S).floor().max(0.0),
            current_streak(weeks, &active[a])
        );
    }
    s + "</table>"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streak_counts_back_and_allows_an_empty_current_week() {
        let weeks = [(2025, 1), (2025, 2), (2025, 3), (2025, 4)];
        let act = |w: &[u32]| w.iter().map(|w| (2025i64, *w)).collect::<BTreeSet<_>>();
        assert_eq!(current_streak(&weeks, &act(&[2, 3, 4])), 3);
        assert_eq!(current_streak(&weeks, &act(&[2, 3])), 2);
        assert_eq!(current_streak(&weeks, &act(&[1, 2])), 0);
    }
}
