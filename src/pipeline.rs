//! One frame in, one coached frame out: pose estimation -> keypoint smoothing -> roller detection -> form engine.
//! Shared by `analyze` (clips) and `live` (webcam).

use std::path::PathBuf;

use opencv::core::Mat;
use thiserror::Error;

use crate::landmarks::{Pose, RollerObs};
use crate::pose::blazepose::{BlazePose, BlazePoseConfig};
use crate::pose::{PoseError, PoseEstimator};
use crate::roller::{RollerConfig, RollerDetector, RollerError};
use crate::runtime::{self, RuntimeError};
use crate::smoothing::{OneEuroParams, PoseSmoother, KEYPOINT_SMOOTHING};

#[derive(Debug, Error)]
pub enum PipelineError {
    #[error(transparent)]
    Pose(#[from] PoseError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Roller(#[from] RollerError),
}

/// How to build a pipeline.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Models folder; `None` = find it (see `runtime::find_models_dir`).
    pub models_dir: Option<PathBuf>,
    pub blazepose: BlazePoseConfig,
    /// Keypoint smoothing; `None` = raw model output.
    pub smoothing: Option<OneEuroParams>,
    /// Roller detection; `None` = off.
    pub roller: Option<RollerConfig>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            models_dir: None,
            blazepose: BlazePoseConfig::default(),
            smoothing: Some(KEYPOINT_SMOOTHING),
            roller: Some(RollerConfig::default()),
        }
    }
}

/// Everything known about one frame after processing.
#[derive(Debug, Clone, Default)]
pub struct FrameResult {
    pub t: f64,
    /// Smoothed pose in image pixels; `None` when no person was found.
    pub pose: Option<Pose>,
    pub roller: Option<RollerObs>,
    /// Person segmentation (low resolution, image axes), when the estimator gives one.
    pub mask: Option<crate::pose::PersonMask>,
}

pub struct Pipeline {
    estimator: Box<dyn PoseEstimator + Send>,
    smoother: Option<PoseSmoother>,
    roller: Option<RollerDetector>,
    result: FrameResult,
}

impl Pipeline {
    /// Builds the BlazePose pipeline (loads and checks the models).
    pub fn new(cfg: &PipelineConfig) -> Result<Self, PipelineError> {
        let dir = runtime::find_models_dir(cfg.models_dir.as_deref())?;
        let est = BlazePose::new(&dir, cfg.blazepose.clone())?;
        Ok(Self::with_estimator(Box::new(est), cfg))
    }

    /// Builds a pipeline around any estimator (another model, or a fake in tests).
    pub fn with_estimator(estimator: Box<dyn PoseEstimator + Send>, cfg: &PipelineConfig) -> Self {
        Self {
            estimator,
            smoother: cfg.smoothing.map(PoseSmoother::new),
            roller: cfg.roller.clone().map(RollerDetector::new),
            result: FrameResult::default(),
        }
    }

    pub fn describe(&self) -> String {
        self.estimator.describe()
    }

    /// Processes one BGR frame taken at `t` seconds.
    pub fn process(&mut self, image_bgr: &Mat, t: f64) -> Result<&FrameResult, PipelineError> {
        let mut pose = self.estimator.estimate(image_bgr)?;
        if let (Some(p), Some(s)) = (pose.as_mut(), self.smoother.as_mut()) {
            s.apply(t, p);
        }
        let roller = match self.roller.as_mut() {
            Some(d) => d.detect(image_bgr, pose.as_ref())?,
            None => None,
        };
        // the mask buffer is reused from frame to frame (clone_from keeps the allocation)
        match (pose.as_ref().and(self.estimator.mask()), self.result.mask.as_mut()) {
            (Some(m), Some(dst)) => dst.clone_from(m),
            (m, _) => self.result.mask = m.cloned(),
        }
        self.result.t = t;
        self.result.pose = pose;
        self.result.roller = roller;
        Ok(&self.result)
    }

    /// Forgets tracking and smoothing state (after a seek or camera restart).
    pub fn reset(&mut self) {
        self.estimator.reset();
        if let Some(s) = self.smoother.as_mut() {
            s.reset();
        }
        if let Some(r) = self.roller.as_mut() {
            r.reset();
        }
    }
}
