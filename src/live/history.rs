//! `rollcoach history`: reads every session folder and totals time per area, per session and per ISO week.
//!
//! Sessions cut off by a crash or kill are read as far as they go: a partial last line is ignored, a missing or
//! unreadable `meta.json` falls back to the folder name and the pose track.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use jiff::tz::TimeZone;

use super::session::{iso_week_in, parse_stamp_in, Event, MetaFile, SessionMeta, EVENTS_FILE, META_FILE, POSES_FILE};
use crate::files::FileError;
use crate::posetrack::PoseTrack;

#[derive(Debug, Error)]
pub enum HistoryError {
    #[error("{path}: sessions folder not found (no live session has been recorded there yet)")]
    NoDir { path: PathBuf },
    #[error(transparent)]
    Read(#[from] FileError),
}

/// One session as history sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionSummary {
    pub dir: PathBuf,
    pub started_unix: f64,
    pub duration_s: f64,
    /// `complete`, `running` (its process is alive), `interrupted` (its process died before ending it) or
    /// `unknown` (no readable meta.json).
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

/// Why the session's video source failed, when the session ended with it lost (a clip that could not be read on, a
/// camera that did not come back): the message of its last `camera_lost` event with no `camera_back` after it.
pub fn source_failure(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(EVENTS_FILE)).ok()?;
    let events = parse_events(&text, &mut Vec::new(), dir);
    let last = events.iter().rev().find(|e| matches!(e, Event::CameraLost { .. } | Event::CameraBack { .. }))?;
    match last {
        Event::CameraLost { msg, .. } => Some(msg.clone()),
        _ => None,
    }
}

/// Reads one session folder.
pub fn read_session(dir: &Path) -> SessionSummary {
    let mut notes = Vec::new();
    let meta: Option<MetaFile<SessionMeta>> = match std::fs::read_to_string(dir.join(META_FILE)) {
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
    let duration_s = match meta.as_ref().and_then(|m| m.meta.duration_s) {
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
    let started_unix = meta.as_ref().map(|m| m.meta.started_unix).or_else(|| stamp_to_unix(dir)).unwrap_or(0.0);
    SessionSummary {
        dir: dir.into(),
        started_unix,
        duration_s,
        status: meta.map_or_else(|| "unknown".to_string(), |m| status_now(&m, &events_path)),
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

/// A session without a process id (written before ids were recorded) counts as interrupted when its events file,
/// which gets a progress line every second while coaching, has not changed for this long. A paused session writes
/// nothing, so this is only the fallback.
const HEARTBEAT_STALE: std::time::Duration = std::time::Duration::from_secs(120);

/// `running` as written, checked against the writing process: `interrupted` when that process is gone.
fn status_now(m: &MetaFile<SessionMeta>, events_path: &Path) -> String {
    if m.meta.status != "running" {
        return m.meta.status.clone();
    }
    let alive = match m.pid {
        Some(pid) => process_is_rollcoach(pid),
        None => std::fs::metadata(events_path)
            .and_then(|md| md.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < HEARTBEAT_STALE),
    };
    if alive { "running" } else { "interrupted" }.into()
}

/// Whether `pid` is a live rollcoach process (not a zombie, and not another program that reused the id).
fn process_is_rollcoach(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `pid (comm) state ...`: comm may hold spaces, so split at the last ')'.
    let Some((head, rest)) = stat.rsplit_once(')') else {
        return false;
    };
    let state = rest.split_whitespace().next().unwrap_or("");
    head.contains("rollcoach") && !matches!(state, "Z" | "X")
}

/// Unix time from a `YYYYmmdd-HHMMSS[-n]` folder name (local time, as written).
fn stamp_to_unix(dir: &Path) -> Option<f64> {
    let name = dir.file_name()?.to_str()?;
    parse_stamp_in(name.get(..15)?, &TimeZone::system())
}

/// Reads all sessions under `root`, oldest first.
pub fn read_all(root: &Path) -> Result<Vec<SessionSummary>, HistoryError> {
    if !root.is_dir() {
        return Err(HistoryError::NoDir { path: root.into() });
    }
    let rd = std::fs::read_dir(root).map_err(|source| FileError::read(root, source))?;
    let mut out: Vec<SessionSummary> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && (p.join(META_FILE).exists() || p.join(POSES_FILE).exists()))
        .map(|p| read_session(&p))
        .collect();
    out.sort_by(|a, b| a.started_unix.total_cmp(&b.started_unix).then(a.dir.cmp(&b.dir)));
    Ok(out)
}

/// Totals per ISO week in the time zone `tz`, keyed `(iso_year, week)`.
pub fn weekly(sessions: &[SessionSummary], tz: &TimeZone) -> BTreeMap<(i64, u32), WeekTotal> {
    let mut weeks: BTreeMap<(i64, u32), WeekTotal> = BTreeMap::new();
    for s in sessions {
        let w = weeks.entry(iso_week_in(s.started_unix, tz)).or_default();
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

use crate::timefmt::mm_ss as fmt_dur;

/// The page `rollcoach history --html` writes (see `report_html::history`).
pub fn render_html(sessions: &[SessionSummary]) -> String {
    crate::report_html::history::render(sessions, super::session::unix_now())
}

/// The text `rollcoach history` prints, weeks in the time zone `tz`.
pub fn render(sessions: &[SessionSummary], tz: &TimeZone) -> String {
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
    let tools = crate::coach::ball::tools_by_id();
    for (a, v) in &all {
        let _ = writeln!(o, "  {a:<20} {:<6} {:>7}", crate::coach::ball::tool_label(&tools, a), fmt_dur(*v));
    }
    let _ = writeln!(o, "Per ISO week ({}):", tz.iana_name().unwrap_or("local time"));
    for ((y, w), t) in weekly(sessions, tz) {
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
        let mon = parse_stamp_in("20250609-000000", &TimeZone::UTC).unwrap();
        let w = weekly(&[mk(mon, 30.0), mk(mon + 6.0 * 86_400.0, 45.0), mk(mon + 7.0 * 86_400.0, 10.0)], &TimeZone::UTC);
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
        let mon = parse_stamp_in("20250609-000000", &TimeZone::UTC).unwrap();
        let text = render(&[
            mk("20250609-080000", mon + 8.0 * 3600.0, "quads", 65.0, "complete"),
            mk("20250610-080000", mon + 86_400.0, "quads", 30.0, "running"),
            mk("20250617-080000", mon + 8.0 * 86_400.0, "calves", 45.0, "complete"),
        ], &TimeZone::UTC);
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
        let local = parse_stamp_in("20231114-221320", &TimeZone::system());
        assert_eq!(stamp_to_unix(Path::new("/s/20231114-221320-2")), local);
        assert!(local.is_some());
        assert_eq!(stamp_to_unix(Path::new("/s/notes")), None);
    }
}
