//! The analysis report (`STEM.report.json`, format `rollcoach-report/1`): the form engine's session report (areas,
//! faults, events: see docs/engine.md) at the top level, plus what was analysed (`input`), how well the person was
//! found (`pose`) and the per-frame landmarks (`frames`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::coach::SessionReport;
use crate::landmarks::{Keypoint, Pose, RollerObs, NUM_LANDMARKS};
use crate::posetrack::{TrackFrame, TrackHeader};
use crate::source::DecodeGap;

pub const REPORT_FORMAT: &str = "rollcoach-report/1";

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("{path}: cannot write report: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("session report is not a JSON object")]
    NotAnObject,
}

#[derive(Debug, Serialize)]
pub struct InputInfo {
    /// `video` or `pose-track`
    pub kind: &'static str,
    pub path: String,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
    pub frames: u64,
    pub seconds: f64,
    /// Undecodable frames skipped in the middle of a clip (corrupt data), in clip order; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decode_gaps: Vec<DecodeGap>,
}

impl InputInfo {
    pub fn new(kind: &'static str, path: &Path, header: &TrackHeader, frames: &[TrackFrame], gaps: &[DecodeGap]) -> Self {
        Self {
            kind,
            path: path.display().to_string(),
            width: header.width,
            height: header.height,
            fps: header.fps,
            frames: frames.len() as u64,
            seconds: frames.last().map(|f| f.t + 1.0 / header.fps).unwrap_or(0.0),
            decode_gaps: gaps.to_vec(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct PoseSummary {
    pub model: String,
    pub frames_with_person: u64,
    /// frames_with_person / frames
    pub person_rate: f64,
}

impl PoseSummary {
    pub fn of(model: String, frames: &[TrackFrame]) -> Self {
        let with_person = frames.iter().filter(|f| f.pose.is_some()).count() as u64;
        let person_rate = if frames.is_empty() { 0.0 } else { with_person as f64 / frames.len() as f64 };
        Self { model, frames_with_person: with_person, person_rate }
    }
}

/// One frame's landmarks as report.json stores them (written by `analyze`, read back by the report page).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FrameLandmarks {
    pub t: f64,
    /// 33 x [x, y, visibility] in image pixels; empty when no person was found.
    pub keypoints: Vec<[f32; 3]>,
    /// [cx, cy, r, confidence] in image pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roller: Option<[f32; 4]>,
}

impl FrameLandmarks {
    /// The frame as a pose-track frame (the roller without its kind or axis, which report.json does not keep).
    pub fn to_track_frame(&self) -> TrackFrame {
        let pose = (self.keypoints.len() == NUM_LANDMARKS).then(|| {
            let mut p = Pose::default();
            for (k, v) in p.keypoints.iter_mut().zip(&self.keypoints) {
                *k = Keypoint { x: v[0], y: v[1], visibility: v[2] };
            }
            p
        });
        let roller =
            self.roller.map(|r| RollerObs { cx: r[0], cy: r[1], r: r[2], confidence: r[3], ..Default::default() });
        TrackFrame { t: self.t, pose, roller }
    }
}

impl From<&TrackFrame> for FrameLandmarks {
    fn from(f: &TrackFrame) -> Self {
        Self {
            t: f.t,
            keypoints: f.pose.map(|p| p.keypoints.iter().map(|k| [k.x, k.y, k.visibility]).collect()).unwrap_or_default(),
            roller: f.roller.map(|r| [r.cx, r.cy, r.r, r.confidence]),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub format: &'static str,
    pub input: InputInfo,
    pub pose: PoseSummary,
    /// The session report's fields (areas, faults, events, ...), its own `format` replaced by ours.
    #[serde(flatten)]
    pub coaching: serde_json::Map<String, serde_json::Value>,
    pub frames: Vec<FrameLandmarks>,
}

impl Report {
    pub fn new(input: InputInfo, pose: PoseSummary, frames: &[TrackFrame], coaching: &SessionReport) -> Result<Self, ReportError> {
        let serde_json::Value::Object(mut coaching) = serde_json::to_value(coaching).map_err(|_| ReportError::NotAnObject)? else {
            return Err(ReportError::NotAnObject);
        };
        coaching.remove("format");
        Ok(Self { format: REPORT_FORMAT, input, pose, coaching, frames: frames.iter().map(FrameLandmarks::from).collect() })
    }

    pub fn write(&self, path: &Path) -> Result<(), ReportError> {
        use std::io::Write;
        let err = |source| ReportError::Write { path: path.into(), source };
        let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(err)?);
        serde_json::to_writer(&mut w, self).map_err(|e| err(std::io::Error::other(e)))?;
        w.write_all(b"\n").map_err(err)?;
        w.flush().map_err(err)
    }
}
