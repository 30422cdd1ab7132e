//! The analysis report (`STEM.report.json`, format `rollcoach-report/1`): what was analysed, how well the person was
//! found, the per-frame landmarks, and the coaching report of the form engine.

use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;

use crate::posetrack::{TrackFrame, TrackHeader};

pub const REPORT_FORMAT: &str = "rollcoach-report/1";

#[derive(Debug, Error)]
pub enum ReportError {
    #[error("{path}: cannot write report: {source}")]
    Write { path: PathBuf, source: std::io::Error },
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
}

#[derive(Debug, Serialize)]
pub struct PoseSummary {
    pub model: String,
    pub frames_with_person: u64,
    /// frames_with_person / frames
    pub person_rate: f64,
}

#[derive(Debug, Serialize)]
pub struct FrameLandmarks {
    pub t: f64,
    /// 33 x [x, y, visibility] in image pixels; empty when no person was found.
    pub keypoints: Vec<[f32; 3]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roller: Option<[f32; 4]>,
}

impl From<&TrackFrame> for FrameLandmarks {
    fn from(f: &TrackFrame) -> Self {
        Self {
            t: f.t,
            keypoints: f
                .pose
                .map(|p| p.keypoints.iter().map(|k| [k.x, k.y, k.visibility]).collect())
                .unwrap_or_default(),
            roller: f.roller.map(|r| [r.cx, r.cy, r.r, r.confidence]),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Report<C: Serialize> {
    pub format: &'static str,
    pub input: InputInfo,
    pub pose: PoseSummary,
    /// The form engine's session report (per area: time, passes, speeds, coverage, holds, faults).
    pub coaching: C,
    pub frames: Vec<FrameLandmarks>,
}

impl<C: Serialize> Report<C> {
    pub fn new(
        kind: &'static str,
        path: &Path,
        header: &TrackHeader,
        model: String,
        frames: &[TrackFrame],
        coaching: C,
    ) -> Self {
        let n = frames.len() as u64;
        let with_person = frames.iter().filter(|f| f.pose.is_some()).count() as u64;
        Self {
            format: REPORT_FORMAT,
            input: InputInfo {
                kind,
                path: path.display().to_string(),
                width: header.width,
                height: header.height,
                fps: header.fps,
                frames: n,
                seconds: frames.last().map(|f| f.t + 1.0 / header.fps).unwrap_or(0.0),
            },
            pose: PoseSummary {
                model,
                frames_with_person: with_person,
                person_rate: if n == 0 { 0.0 } else { with_person as f64 / n as f64 },
            },
            coaching,
            frames: frames.iter().map(FrameLandmarks::from).collect(),
        }
    }

    pub fn write(&self, path: &Path) -> Result<(), ReportError> {
        let f = std::fs::File::create(path).map_err(|source| ReportError::Write { path: path.into(), source })?;
        let mut w = std::io::BufWriter::new(f);
        serde_json::to_writer(&mut w, self)
            .map_err(|e| ReportError::Write { path: path.into(), source: std::io::Error::other(e) })?;
        use std::io::Write;
        w.flush().map_err(|source| ReportError::Write { path: path.into(), source })
    }
}
