//! Session report (JSON), per-frame metrics (CSV) and terminal summary, written through one `ReportSink` trait.
//! The layout is documented in `docs/engine.md`; keep it stable (the Blender truth comparison reads it).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::exercise::{RuleId, Severity};
use super::rules::Pass;
use super::{Analysis, CoachError, FrameMetrics};

/// Report format id written in the JSON.
pub const REPORT_FORMAT: &str = "rollcoach-coaching/1";

/// A fault (rule id from the shared list) or a non-fault event (`hold`, `area_done`, `area_too_long`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub rule: RuleId,
    pub exercise: String,
    pub start: f64,
    pub end: f64,
    pub severity: Severity,
    pub message: String,
    /// Keep-out zone name, hold position, etc.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A tender-spot hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldRecord {
    pub start: f64,
    pub end: f64,
    pub duration_s: f64,
    /// Position along the segment (0..1).
    pub position: f32,
    /// Side of the spine the ball was on (single balls with a spine check), when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
}

/// Rolling speeds on one area, cm/s.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AreaSpeeds {
    /// Mean speed of the passes (none before the first pass).
    pub mean_speed_cm_s: Option<f32>,
    /// Highest measured speed.
    pub max_speed_cm_s: Option<f32>,
    /// The exercise's speed limit (its `thresholds.max_speed_cm_s`).
    pub max_allowed_speed_cm_s: f32,
}

/// Totals for one exercise area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AreaReport {
    pub exercise: String,
    pub name: String,
    pub segment: String,
    pub first_t: f64,
    pub last_t: f64,
    /// Time with the roller inside the region, s.
    pub time_on_area_s: f64,
    /// Recommended [min, max] time on the area, s.
    pub target_time_s: [f32; 2],
    /// "short" (< min), "done" (min..max) or "long" (> max).
    pub status: String,
    pub passes: usize,
    #[serde(flatten)]
    pub speed: AreaSpeeds,
    /// Share of the region visited (0..1).
    pub coverage: f32,
    pub holds: Vec<HoldRecord>,
    pub faults: usize,
    pub pass_list: Vec<Pass>,
    /// Ball exercises: the tool and the holds per spot (absent for rollers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ball: Option<super::trigger::BallReport>,
}

/// Frames the engine was given, and how many of them showed a person and a roller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct FrameCounts {
    pub frame_count: usize,
    pub frames_with_pose: usize,
    pub frames_with_roller: usize,
}

/// The whole session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionReport {
    pub format: String,
    pub duration_s: f64,
    #[serde(flatten)]
    pub frames: FrameCounts,
    pub roller_diameter_cm: f32,
    /// `--exercise` override, if any.
    pub exercise_override: Option<String>,
    pub areas: Vec<AreaReport>,
    /// Faults only (shared rule ids), sorted by start.
    pub faults: Vec<EventRecord>,
    /// Non-fault events (hold, area_done, area_too_long, scale_mismatch), sorted by start.
    pub events: Vec<EventRecord>,
}

/// Anything that can write an analysis somewhere.
pub trait ReportSink {
    fn write(&mut self, a: &Analysis) -> Result<(), CoachError>;
}

/// `<stem>.report.json`.
pub struct JsonSink {
    pub path: PathBuf,
}

/// `<stem>.metrics.csv`.
pub struct CsvSink {
    pub path: PathBuf,
}

/// Short human summary.
pub struct TerminalSink<'a> {
    pub out: &'a mut dyn Write,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CoachError + '_ {
    move |err| CoachError::Io {
        path: path.to_path_buf(),
        err,
    }
}

impl ReportSink for JsonSink {
    fn write(&mut self, a: &Analysis) -> Result<(), CoachError> {
        let text = serde_json::to_string_pretty(&a.report).expect("report serialises");
        std::fs::write(&self.path, text + "\n").map_err(io_err(&self.path))
    }
}

/// CSV columns of the per-frame metrics, in order.
pub const CSV_COLUMNS: [&str; 14] = [
    "t",
    "exercise",
    "orientation",
    "contact",
    "speed_cm_s",
    "in_region",
    "time_on_area_s",
    "passes",
    "coverage",
    "hip_height_cm",
    "px_per_cm",
    "faults",
    "cue",
    "has_pose",
];

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// The CSV record of a frame: the columns of `CSV_COLUMNS`, numbers at fixed precision, absent values empty.
pub fn csv_record(m: &FrameMetrics) -> [String; CSV_COLUMNS.len()] {
    [
        format!("{:.4}", m.t),
        m.area.exercise.clone().unwrap_or_default(),
        m.orientation.map(|o| o.as_str()).unwrap_or("").to_string(),
        opt(m.area.contact.map(|c| format!("{c:.4}"))),
        opt(m.area.speed_cm_s.map(|c| format!("{c:.2}"))),
        (m.area.in_region as u8).to_string(),
        format!("{:.3}", m.area.time_on_area_s),
        m.area.passes.to_string(),
        format!("{:.3}", m.area.coverage),
        opt(m.hip_height_cm.map(|c| format!("{c:.1}"))),
        opt(m.px_per_cm.map(|c| format!("{c:.3}"))),
        m.faults.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(";"),
        m.cue.clone().unwrap_or_default(),
        (m.has_pose as u8).to_string(),
    ]
}

impl ReportSink for CsvSink {
    /// Written with the `csv` crate: `\n` line ends, fields quoted only where needed (a cue with a comma or quote).
    fn write(&mut self, a: &Analysis) -> Result<(), CoachError> {
        let f = std::fs::File::create(&self.path).map_err(io_err(&self.path))?;
        let mut w = csv::Writer::from_writer(f);
        let csv_err = |e: csv::Error| io_err(&self.path)(std::io::Error::from(e));
        w.write_record(CSV_COLUMNS).map_err(csv_err)?;
        for m in &a.metrics {
            w.write_record(csv_record(m)).map_err(csv_err)?;
        }
        w.flush().map_err(io_err(&self.path))
    }
}

impl ReportSink for TerminalSink<'_> {
    fn write(&mut self, a: &Analysis) -> Result<(), CoachError> {
        summary(a, self.out).map_err(|err| CoachError::Io {
            path: PathBuf::from("<terminal>"),
            err,
        })
    }
}

fn fmt_speed(v: Option<f32>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into())
}

/// Writes the short terminal summary.
pub fn summary(a: &Analysis, out: &mut dyn Write) -> std::io::Result<()> {
    let r = &a.report;
    writeln!(
        out,
        "session {:.1} s, {} frames ({} with a person, {} with a roller or ball)",
        r.duration_s, r.frames.frame_count, r.frames.frames_with_pose, r.frames.frames_with_roller
    )?;
    if r.areas.is_empty() {
        writeln!(out, "no rolling recognised (is the roller or ball visible under the body?)")?;
    }
    for ar in &r.areas {
        writeln!(out, "{}", area_line(ar))?;
    }
    for e in r.events.iter().filter(|e| e.rule == RuleId::ScaleMismatch) {
        writeln!(out, "warning: {}", e.message)?;
    }
    if r.faults.is_empty() {
        writeln!(out, "no form faults")?;
    } else {
        writeln!(out, "faults:")?;
        for f in &r.faults {
            let (start, end, rule, severity) = (f.start, f.end, f.rule, f.severity.as_str());
            writeln!(out, "  {start:>7.2}-{end:<7.2} {rule:<16} {severity:<8} {}", f.message)?;
        }
    }
    Ok(())
}

/// One area's summary line: time against the target, passes, speeds, coverage, holds and faults.
fn area_line(ar: &AreaReport) -> String {
    let (mean, max) = (fmt_speed(ar.speed.mean_speed_cm_s), fmt_speed(ar.speed.max_speed_cm_s));
    let [lo, hi] = ar.target_time_s;
    format!(
        "  {:<12} {:>5.0} s on area ({}; target {lo:.0}-{hi:.0} s), {} passes, speed mean {mean} / max {max} cm/s (max {:.0}), coverage {:.0}%, {} holds, {} faults",
        ar.exercise,
        ar.time_on_area_s,
        ar.status,
        ar.passes,
        ar.speed.max_allowed_speed_cm_s,
        ar.coverage * 100.0,
        ar.holds.len(),
        ar.faults
    )
}

/// Writes `<stem>.report.json` and `<stem>.metrics.csv` into `out_dir` (created if missing).
pub fn write_outputs(analysis: &Analysis, out_dir: &Path, stem: &str) -> Result<Vec<PathBuf>, CoachError> {
    std::fs::create_dir_all(out_dir).map_err(io_err(out_dir))?;
    let json = out_dir.join(format!("{stem}.report.json"));
    let csv = out_dir.join(format!("{stem}.metrics.csv"));
    let mut sinks: Vec<Box<dyn ReportSink>> = vec![
        Box::new(JsonSink { path: json.clone() }),
        Box::new(CsvSink { path: csv.clone() }),
    ];
    for s in sinks.iter_mut() {
        s.write(analysis)?;
    }
    Ok(vec![json, csv])
}
