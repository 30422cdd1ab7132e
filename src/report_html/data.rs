//! What the report page shows, read from `STEM.report.json` (`rollcoach-report/1`) and the per-frame metrics
//! (`STEM.metrics.csv`) written beside it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::side::SideTimes;
use crate::files::{read_file, FileError};
use crate::coach::{AreaReport, EventRecord, FrameMetrics};
use crate::report::FrameLandmarks;

#[derive(Debug, Clone, Deserialize)]
pub struct InputDoc {
    pub kind: String,
    pub path: String,
    pub fps: f64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PoseDoc {
    pub person_rate: f64,
}

/// One area of the report with the side split added by rollcoach (absent in older reports).
#[derive(Debug, Clone, Deserialize)]
pub struct AreaDoc {
    #[serde(flatten)]
    pub area: AreaReport,
    #[serde(default)]
    pub sides: Option<SideTimes>,
}

/// The parts of `rollcoach-report/1` the page uses.
#[derive(Debug, Clone, Deserialize)]
pub struct ReportDoc {
    pub format: String,
    pub input: InputDoc,
    pub pose: PoseDoc,
    pub duration_s: f64,
    pub areas: Vec<AreaDoc>,
    pub faults: Vec<EventRecord>,
    pub events: Vec<EventRecord>,
    #[serde(default)]
    pub frames: Vec<FrameLandmarks>,
}

/// The per-frame metrics the charts need (one row of `STEM.metrics.csv`).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    pub t: f64,
    pub exercise: Option<String>,
    pub contact: Option<f32>,
    pub speed_cm_s: Option<f32>,
    pub in_region: bool,
}

impl From<&FrameMetrics> for MetricRow {
    fn from(m: &FrameMetrics) -> Self {
        Self {
            t: m.t,
            exercise: m.area.exercise.clone(),
            contact: m.area.contact,
            speed_cm_s: m.area.speed_cm_s,
            in_region: m.area.in_region,
        }
    }
}

/// `STEM.metrics.csv` beside `STEM.report.json`.
pub fn metrics_path(report: &Path) -> PathBuf {
    let name = report.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let stem = name.strip_suffix(".report.json").or_else(|| name.strip_suffix(".json")).unwrap_or(name);
    report.with_file_name(format!("{stem}.metrics.csv"))
}

pub fn read_report(path: &Path) -> Result<ReportDoc, FileError> {
    let text = read_file(path)?;
    let doc: ReportDoc = serde_json::from_str(&text)
        .map_err(|e| FileError::invalid(path, format!("not a rollcoach report: {e}")))?;
    if doc.format != crate::report::REPORT_FORMAT {
        let msg = format!("format is {:?}, expected {:?}", doc.format, crate::report::REPORT_FORMAT);
        return Err(FileError::invalid(path, msg));
    }
    Ok(doc)
}

/// Reads the per-frame metrics CSV (the columns of `coach::report::CSV_COLUMNS`, found by name).
pub fn read_metrics(path: &Path) -> Result<Vec<MetricRow>, FileError> {
    let text = read_file(path)?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| FileError::invalid(path, format!("line 1: no column {name:?}")))
    };
    let (ct, ce, cc, cs, cr) = (col("t")?, col("exercise")?, col("contact")?, col("speed_cm_s")?, col("in_region")?);
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        // the last column (cue text) may be quoted and hold commas; the columns used here come before it
        let f: Vec<&str> = line.split(',').collect();
        let bad = |what: &str| FileError::invalid(path, format!("line {}: bad {what}", i + 2));
        let get = |c: usize| f.get(c).copied().unwrap_or_default();
        let num = |c: usize, what: &str| -> Result<Option<f32>, FileError> {
            let s = get(c);
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse().map(Some).map_err(|_| bad(what))
            }
        };
        rows.push(MetricRow {
            t: get(ct).parse().map_err(|_| bad("t"))?,
            exercise: Some(get(ce)).filter(|s| !s.is_empty()).map(str::to_string),
            contact: num(cc, "contact")?,
            speed_cm_s: num(cs, "speed_cm_s")?,
            in_region: get(cr) == "1",
        });
    }
    Ok(rows)
}
