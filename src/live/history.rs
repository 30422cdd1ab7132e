//! `rollcoach history`: reads every session folder and totals time per area, per session and per ISO week.
//!
//! Sessions cut off by a crash or kill are read as far as they go: a partial last line is ignored, a missing or
//! unreadable `meta.json` falls back to the folder name and the pose track.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::session::{iso_week, Event, SessionMeta, EVENTS_FILE, META_FILE, POSES_FILE};
use crate::posetrack::PoseTrack;

#[derive(Debug, Error)]
pub enum HistoryError {
    #[error("{path}: sessions folder not found (no live session has been recorded there yet)")]
    NoDir { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
}

/// One session as history sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub dir: PathBuf,
    pub started_unix: f64,
    pub duration_s: f64,
    /// `complete`, `running` (the process did not end normally) or `unknown`.
    pub status: String,
    /// Seconds on each area (engine's time on area), sorted by area name.
    pub area_s: BTreeMap<String, f64>,
    pub cues: u32,
    /// Problems met while reading (bad lines, missing files); the summary is still usable.
    pub notes: Vec<String>,
}

/// Totals for one ISO week.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WeekTotal {
    pub sessions: u32,
    pub duration_s: f64,
    pub area_s: BTreeMap<String, f64>,
}

/// Folds a session's events into area totals. The engine's `time_on_area_s` is cumulative per area for the life of
/// one engine, and a new engine starts at session start and at each exercise switch; so each (engine, area)
/// contributes its largest value.
pub fn area_totals(events: &[Event]) -> BTreeMap<String, f64> {
    let mut totals = BTreeMap::new();
    let mut epoch: BTreeMap<String, f64> = BTreeMap::new();
    let mut close = |epoch: &mut BTreeMap<String, f64>| {
        for (area, v) in std::mem::take(epoch) {
            *totals.entry(area).or_insert(0.0) += v;
        }
    };
    for e in events {
        match e {
            Event::Progress { area, time_on_area_s, .. } => {
                let v = epoch.entry(area.clone()).or_insert(0.0);
                *v = v.max(*time_on_area_s);
            }
            Event::Exercise { .. } | Event::Start { .. } => close(&mut epoch),
            _ => {}
        }
    }
    close(&mut epoch);
    totals
}

/// Parses `events.jsonl` text, tolerating a cut-off last line; other bad lines are noted and skipped.
pub fn parse_events(text: &str, notes: &mut Vec<String>, path: &Path) -> Vec<Event> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(e) => out.push(e),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {} // cut off by a kill
            Err(e) => notes.push(format!("{}: line {}: skipped: {e}", path.display(), i + 1)),
        }
    }
    out
}

/// Reads one session folder.
pub fn read_session(dir: &Path) -> SessionSummary {
    let mut notes = Vec::new();
    let meta: Option<SessionMeta> = match std::fs::read_to_string(dir.join(META_FILE)) {
        Ok(t) => match serde_json::from_str(&t) {
            Ok(m) => Some(m),
            Err(e) => {
                notes.push(format!("{}: {e}", dir.join(META_FILE).display()));
                None
            }
        },
        Err(e) => {
            notes.push(format!("{}: {e}", dir.join(META_FILE).display()));
            None
        }
    };
    let events_path = dir.join(EVENTS_FILE);
    let events = match std::fs::read_to_string(&events_path) {
        Ok(t) => parse_events(&t, &mut notes, &events_path),
        Err(e) => {
            notes.push(format!("{}: {e}", events_path.display()));
            Vec::new()
        }
    };
    let last_event_t = events.iter().map(event_t).fold(0.0, f64::max);
    let duration_s = match meta.as_ref().and_then(|m| m.duration_s) {
        Some(d) => d,
        None => {
            // Not ended normally: the pose track tells how far it got.
            let track_t = match PoseTrack::read(&dir.join(POSES_FILE)) {
                Ok(t) => t.frames.last().map_or(0.0, |f| f.t),
                Err(e) => {
                    notes.push(e.to_string());
                    0.0
                }
            };
            track_t.max(last_event_t)
        }
    };
    let started_unix = meta.as_ref().map(|m| m.started_unix).or_else(|| stamp_to_unix(dir)).unwrap_or(0.0);
    SessionSummary {
        dir: dir.into(),
        started_unix,
        duration_s,
        status: meta.map_or_else(|| "unknown".to_string(), |m| m.status),
        area_s: area_totals(&events),
        cues: events.iter().filter(|e| matches!(e, Event::Cue { .. })).count() as u32,
        notes,
    }
}

fn event_t(e: &Event) -> f64 {
    match e {
        Event::Start { t, .. }
        | Event::Progress { t, .. }
        | Event::Cue { t, .. }
        | Event::Exercise { t, .. }
        | Event::CameraLost { t, .. }
        | Event::CameraBack { t }
        | Event::Paused { t }
        | Event::Resumed { t }
        | Event::End { t } => *t,
    }
}

/// Unix time from a `YYYYmmdd-HHMMSS[-n]` folder name.
fn stamp_to_unix(dir: &Path) -> Option<f64> {
    let name = dir.file_name()?.to_str()?;
    let b = name.as_bytes();
    if b.len() < 15 || b[8] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| name.get(r)?.parse::<i64>().ok();
    let days = super::session::days_from_civil(num(0..4)?, num(4..6)? as u32, num(6..8)? as u32);
    Some((days * 86_400 + num(9..11)? * 3600 + num(11..13)? * 60 + num(13..15)?) as f64)
}

/// Reads all sessions under `root`, oldest first.
pub fn read_all(root: &Path) -> Result<Vec<SessionSummary>, HistoryError> {
    if !root.is_dir() {
        return Err(HistoryError::NoDir { path: root.into() });
    }
    let rd = std::fs::read_dir(root).map_err(|source| HistoryError::Read { path: root.into(), source })?;
    let mut out: Vec<SessionSummary> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && (p.join(META_FILE).exists() || p.join(POSES_FILE).exists()))
        .map(|p| read_session(&p))
        .collect();
    out.sort_by(|a, b| a.started_unix.total_cmp(&b.started_unix).then(a.dir.cmp(&b.dir)));
    Ok(out)
}

/// Totals per ISO week (UTC), keyed `(iso_year, week)`.
pub fn weekly(sessions: &[SessionSummary]) -> BTreeMap<(i64, u32), WeekTotal> {
    let mut weeks: BTreeMap<(i64, u32), WeekTotal> = BTreeMap::new();
    for s in sessions {
        let w = weeks.entry(iso_week((s.started_unix as i64).div_euclid(86_400))).or_default();
        w.sessions += 1;
        w.duration_s += s.duration_s;
        for (a, v) in &s.area_s {
            *w.area_s.entry(a.clone()).or_insert(0.0) += v;
        }
    }
    weeks
}

fn fmt_areas(a: &BTreeMap<String, f64>) -> String {
    if a.is_empty() {
        return "-".into();
    }
    a.iter().map(|(k, v)| format!("{k} {}", fmt_dur(*v))).collect::<Vec<_>>().join(", ")
}

pub fn fmt_dur(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// The page `rollcoach history --html` writes (see `report_html::history`).
pub fn render_html(sessions: &[SessionSummary]) -> String {
    crate::report_html::history::render(sessions, super::session::unix_now())
}

/// The text `rollcoach history` prints.
pub fn render(sessions: &[SessionSummary]) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let _ = writeln!(o, "Sessions ({}):", sessions.len());
    for s in sessions {
        let name = s.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let status = if s.status == "complete" { String::new() } else { format!(" [{}]", s.status) };
        let _ =
            writeln!(o, "  {name}  {:>6}  cues {:>3}  {}{status}", fmt_dur(s.duration_s), s.cues, fmt_areas(&s.area_s));
        for n in &s.notes {
            let _ = writeln!(o, "      note: {n}");
        }
    }
    let mut all: BTreeMap<String, f64> = BTreeMap::new();
    for s in sessions {
        for (a, v) in &s.area_s {
            *all.entry(a.clone()).or_insert(0.0) += v;
        }
    }
    let _ = writeln!(o, "Per area (all sessions):");
    if all.is_empty() {
        let _ = writeln!(o, "  -");
    }
    for (a, v) in &all {
        let _ = writeln!(o, "  {a:<12} {:>7}", fmt_dur(*v));
    }
    let _ = writeln!(o, "Per ISO week (UTC):");
    for ((y, w), t) in weekly(sessions) {
        let _ = writeln!(
            o,
            "  {y}-W{w:02}  sessions {:>2}  {:>6}  {}",
            t.sessions,
            fmt_dur(t.duration_s),
            fmt_areas(&t.area_s)
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prog(t: f64, ex: &str, v: f64) -> Event {
        Event::Progress { t, exercise: ex.into(), area: ex.into(), time_on_area_s: v, passes: 0 }
    }

    #[test]
    fn each_engine_contributes_its_largest_time_per_area() {
        let ev = vec![
            Event::Start { t: 0.0, exercise: "auto".into(), area: "".into() },
            prog(1.0, "quads", 1.0),
            prog(2.0, "quads", 2.5),
            prog(3.0, "calves", 0.5),
            prog(4.0, "quads", 2.5), // recognition went back to quads: same engine, cumulative
            Event::Exercise { t: 4.5, exercise: "calves".into(), area: "calves".into() },
            prog(5.0, "calves", 1.0), // new engine starts from zero
            prog(6.0, "calves", 1.5),
            Event::Exercise { t: 6.5, exercise: "quads".into(), area: "quads".into() },
            prog(7.0, "quads", 0.7),
        ];
        let t = area_totals(&ev);
        assert!((t["quads"] - 3.2).abs() < 1e-9, "{t:?}");
        assert!((t["calves"] - 2.0).abs() < 1e-9, "{t:?}");
    }

    #[test]
    fn cut_off_last_event_line_is_ignored_but_bad_middle_lines_are_noted() {
        let mut notes = Vec::new();
        let text = "{\"kind\":\"end\",\"t\":1.0}\n{\"kind\":\"cue\",\"t\":2";
        assert_eq!(parse_events(text, &mut notes, Path::new("e")).len(), 1);
        assert!(notes.is_empty());
        let text = "garbage\n{\"kind\":\"end\",\"t\":1.0}\n";
        assert_eq!(parse_events(text, &mut notes, Path::new("e")).len(), 1);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("line 1"));
    }

    #[test]
    fn weeks_group_sessions() {
        let mk = |unix: f64, v: f64| SessionSummary {
            dir: PathBuf::from("x"),
            started_unix: unix,
            duration_s: 60.0,
            status: "complete".into(),
            area_s: [("quads".to_string(), v)].into_iter().collect(),
            cues: 0,
            notes: vec![],
        };
        let mon = super::super::session::days_from_civil(2025, 6, 9) as f64 * 86_400.0;
        let w = weekly(&[mk(mon, 30.0), mk(mon + 6.0 * 86_400.0, 45.0), mk(mon + 7.0 * 86_400.0, 10.0)]);
        assert_eq!(w.len(), 2);
        assert_eq!(w[&(2025, 24)].sessions, 2);
        assert!((w[&(2025, 24)].area_s["quads"] - 75.0).abs() < 1e-9);
        assert_eq!(w[&(2025, 25)].sessions, 1);
    }

    #[test]
    fn render_lists_sessions_areas_and_weeks() {
        let mk = |name: &str, unix: f64, area: &str, v: f64, status: &str| SessionSummary {
            dir: PathBuf::from(name),
            started_unix: unix,
            duration_s: 100.0,
            status: status.into(),
            area_s: [(area.to_string(), v)].into_iter().collect(),
            cues: 2,
            notes: vec![],
        };
        let mon = super::super::session::days_from_civil(2025, 6, 9) as f64 * 86_400.0;
        let text = render(&[
            mk("20250609-080000", mon + 8.0 * 3600.0, "quads", 65.0, "complete"),
            mk("20250610-080000", mon + 86_400.0, "quads", 30.0, "running"),
            mk("20250617-080000", mon + 8.0 * 86_400.0, "calves", 45.0, "complete"),
        ]);
        assert!(text.contains("Sessions (3):"), "{text}");
        assert!(text.contains("20250610-080000") && text.contains("[running]"), "{text}");
        let area_line =
            |a: &str| text.lines().find(|l| l.split_whitespace().next() == Some(a)).unwrap_or("").to_string();
        assert!(area_line("quads").trim_end().ends_with("1:35"), "{text}");
        assert!(area_line("calves").trim_end().ends_with("0:45"), "{text}");
        assert!(text.contains("2025-W24  sessions  2    3:20  quads 1:35"), "{text}");
        assert!(text.contains("2025-W25  sessions  1    1:40  calves 0:45"), "{text}");
    }

    #[test]
    fn folder_name_gives_start_time_when_meta_is_missing() {
        assert_eq!(stamp_to_unix(Path::new("/s/20231114-221320-2")), Some(1_700_000_000.0));
        assert_eq!(stamp_to_unix(Path::new("/s/notes")), None);
    }
}
