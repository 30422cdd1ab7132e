//! The report people look at: one self-contained HTML page per session (`STEM.report.html`, inline SVG, no
//! network) and the history page (`rollcoach history --html`).
//!
//! The session page reads `STEM.report.json` (`rollcoach-report/1`) and the per-frame metrics `STEM.metrics.csv`
//! beside it, the exercise definitions (region, keep-out zones, speed band), and, when the clip is there, a few key
//! frames from it. It adds to report.json, per area, the seconds with the left, right or both sides on the roller
//! (`areas[i].sides`, see [`side`]).

pub mod data;
pub mod history;
pub mod page;
pub mod side;
pub mod svg;
pub mod thumbs;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::files::{write_file, FileError};
use crate::coach::{load_dir, CoachError, Exercise, FrameMetrics};
use crate::posetrack::TrackFrame;
use crate::routine::RoutineReport;
use data::{MetricRow, ReportDoc};

#[derive(Debug, Error)]
pub enum ReportHtmlError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Exercises(#[from] CoachError),
}

/// `STEM.report.html` beside `STEM.report.json`.
pub fn html_path(report_json: &Path) -> PathBuf {
    let name = report_json.file_name().and_then(|n| n.to_str()).unwrap_or("report.json");
    let stem = name.strip_suffix(".json").unwrap_or(name);
    report_json.with_file_name(format!("{stem}.html"))
}

/// Adds the left/right split per area (`areas[i].sides`) to a report's coaching fields, from the analysed frames.
pub fn add_sides(
    coaching: &mut serde_json::Map<String, serde_json::Value>,
    frames: &[TrackFrame],
    metrics: &[FrameMetrics],
    exercises_dir: &Path,
) -> Result<(), ReportHtmlError> {
    let exercises = load_dir(exercises_dir)?;
    let rows: Vec<MetricRow> = metrics.iter().map(MetricRow::from).collect();
    side::add_to_report(coaching, &side::side_times(frames, &rows, &exercises));
    Ok(())
}

/// Fills in `sides` for reports written before rollcoach measured them.
fn ensure_sides(doc: &mut ReportDoc, rows: &[MetricRow], exercises: &[Exercise]) {
    if doc.areas.iter().all(|a| a.sides.is_some()) {
        return;
    }
    let frames: Vec<TrackFrame> = doc.frames.iter().map(|f| f.to_track_frame()).collect();
    let times = side::side_times(&frames, rows, exercises);
    for a in doc.areas.iter_mut() {
        a.sides = Some(times.get(&a.area.exercise).copied().unwrap_or_default());
    }
}

/// The clip to take key frames from: the annotated video beside the report, else the analysed clip.
fn thumbnail_clip(report_json: &Path, doc: &ReportDoc) -> Option<PathBuf> {
    let name = report_json.file_name()?.to_str()?;
    let annotated = report_json.with_file_name(format!("{}.annotated.mp4", name.strip_suffix(".report.json")?));
    if annotated.is_file() {
        return Some(annotated);
    }
    let clip = PathBuf::from(&doc.input.path);
    (doc.input.kind == "video" && clip.is_file()).then_some(clip)
}

/// A written report page and what the coach noticed (left/right imbalance), for the terminal.
#[derive(Debug, Clone)]
pub struct ReportPage {
    pub path: PathBuf,
    pub notes: Vec<String>,
}

/// Writes the report page for `report_json` to `out` (default: `STEM.report.html` beside it).
/// A `routine.json` beside the report (live sessions with `--routine`) adds the done-vs-planned table.
pub fn write_report_page(
    report_json: &Path,
    out: Option<&Path>,
    exercises_dir: &Path,
) -> Result<ReportPage, ReportHtmlError> {
    let mut doc = data::read_report(report_json)?;
    let metrics = data::metrics_path(report_json);
    if !metrics.is_file() {
        let msg = format!(
            "per-frame metrics {} not found beside the report (rollcoach analyze writes both)",
            metrics.display()
        );
        return Err(FileError::invalid(report_json, msg).into());
    }
    let rows = data::read_metrics(&metrics)?;
    let exercises = load_dir(exercises_dir)?;
    ensure_sides(&mut doc, &rows, &exercises);
    let thumbs =
        thumbnail_clip(report_json, &doc).map(|c| thumbs::extract(&c, &thumbs::key_moments(&doc))).unwrap_or_default();
    let routine = RoutineReport::read_beside(report_json);
    let title = format!(
        "rollcoach session: {}",
        Path::new(&doc.input.path).file_name().and_then(|n| n.to_str()).unwrap_or(&doc.input.path)
    );
    let input = page::PageInput {
        title,
        doc: &doc,
        rows: &rows,
        exercises: &exercises,
        thumbs: &thumbs,
        routine: routine.as_ref(),
    };
    let out = out.map_or_else(|| html_path(report_json), Path::to_path_buf);
    write_file(&out, page::render(&input))?;
    Ok(ReportPage { path: out, notes: page::imbalance_notes(&doc) })
}
