//! Pose estimation behind a trait, so another model can be added beside BlazePose.

pub mod blazepose;

use opencv::core::Mat;
use thiserror::Error;

use crate::landmarks::Pose;
use crate::runtime::RuntimeError;

#[derive(Debug, Error)]
pub enum PoseError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("{model}: ONNX Runtime error: {msg}")]
    Ort { model: String, msg: String },
    #[error("{model}: unexpected output: {msg}")]
    Output { model: String, msg: String },
    #[error("image processing: {0}")]
    OpenCv(#[from] opencv::Error),
    #[error("frame is not 8-bit BGR (type {0})")]
    BadFrame(i32),
}

/// Anything that finds one person's 33 BlazePose-layout landmarks in a BGR frame (image pixels).
pub trait PoseEstimator {
    /// Estimates the pose in `image_bgr`; `None` when no person is found. May keep state between calls (tracking).
    fn estimate(&mut self, image_bgr: &Mat) -> Result<Option<Pose>, PoseError>;
    /// Forgets tracking state (e.g. after a seek or a camera restart).
    fn reset(&mut self);
    /// Short model description for reports.
    fn describe(&self) -> String;
}
