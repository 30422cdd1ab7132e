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

/// Which of a frame's costly steps run (the live loop's per-frame budget, `live::budget`); `analyze` runs all.
/// A skipped pose is predicted from the last two ([`Pipeline::predict`]); a skipped roller step keeps the last
/// roller. The roller step runs only on a frame whose pose was measured (it needs that frame's pose and mask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramePlan {
    pub pose: bool,
    pub roller: bool,
}

impl FramePlan {
    pub const ALL: Self = Self { pose: true, roller: true };
}

/// Wall time of the steps that ran on the last frame (s); `None` = the step did not run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StepTimes {
    pub pose_s: Option<f64>,
    pub roller_s: Option<f64>,
}

pub struct Pipeline {
    estimator: Box<dyn PoseEstimator + Send>,
    smoother: Option<PoseSmoother>,
    roller: Option<RollerDetector>,
    result: FrameResult,
    times: StepTimes,
    predictor: PosePredictor,
    /// The model half's output for the frame in hand (reused from frame to frame).
    step: PoseStep,
}

/// What the model half of a frame's work gives: the smoothed pose and the person mask of the frame taken at `t`.
#[derive(Debug, Clone, Default)]
pub struct PoseStep {
    pub t: f64,
    pub pose: Option<Pose>,
    /// The estimator's mask, kept only when a person was found.
    pub mask: Option<crate::pose::PersonMask>,
    /// Wall time of the model and smoothing (s).
    pub seconds: f64,
}

/// The model half of [`Pipeline`]: pose estimation and smoothing. It can run on another thread than the
/// [`RollerHalf`] (`analysis::run_clip` estimates the next frame's pose while the roller step looks at this one);
/// each half keeps its own state in frame order, so the results are those of [`Pipeline::process`].
pub struct PoseHalf<'a> {
    estimator: &'a mut (dyn PoseEstimator + Send),
    smoother: Option<&'a mut PoseSmoother>,
    predictor: &'a mut PosePredictor,
}

impl PoseHalf<'_> {
    /// Estimates and smooths the pose of `image_bgr` taken at `t` into `out` (its mask buffer is reused).
    pub fn run(&mut self, image_bgr: &Mat, t: f64, out: &mut PoseStep) -> Result<(), PipelineError> {
        let t0 = std::time::Instant::now();
        let mut pose = self.estimator.estimate(image_bgr)?;
        if let (Some(p), Some(s)) = (pose.as_mut(), self.smoother.as_deref_mut()) {
            s.apply(t, p);
        }
        out.seconds = t0.elapsed().as_secs_f64();
        // the mask buffer is reused from frame to frame (clone_from keeps the allocation)
        match (pose.as_ref().and(self.estimator.mask()), out.mask.as_mut()) {
            (Some(m), Some(dst)) => dst.clone_from(m),
            (m, _) => out.mask = m.cloned(),
        }
        out.t = t;
        out.pose = pose;
        self.predictor.push(t, pose);
        Ok(())
    }
}

/// The second half of [`Pipeline`]: the roller step on a frame whose [`PoseStep`] is done, and the frame's result.
pub struct RollerHalf<'a> {
    roller: Option<&'a mut RollerDetector>,
    result: &'a mut FrameResult,
    times: &'a mut StepTimes,
}

impl RollerHalf<'_> {
    /// Looks for the roller in `image_bgr` (when `run_roller`; else the last roller is kept) and returns the frame's
    /// result. The step's mask moves into the result (the result's old mask buffer goes back to `step`, for the
    /// model half to fill next).
    pub fn run(&mut self, image_bgr: &Mat, step: &mut PoseStep, run_roller: bool) -> Result<&FrameResult, PipelineError> {
        *self.times = StepTimes { pose_s: Some(step.seconds), roller_s: None };
        match self.roller.as_deref_mut() {
            Some(d) if run_roller => {
                let t1 = std::time::Instant::now();
                self.result.roller = d.detect(image_bgr, step.t, step.pose.as_ref(), step.mask.as_ref())?;
                self.times.roller_s = Some(t1.elapsed().as_secs_f64());
            }
            Some(_) => {} // skipped: the last roller is kept
            None => self.result.roller = None,
        }
        std::mem::swap(&mut self.result.mask, &mut step.mask);
        self.result.t = step.t;
        self.result.pose = step.pose;
        Ok(self.result)
    }
}

/// The last two poses the model gave (time, pose), newest last; predicts the pose at a later time from them.
#[derive(Debug, Clone, Default)]
pub struct PosePredictor {
    recent: [Option<(f64, Pose)>; 2],
}

impl PosePredictor {
    /// A pose measured at `t` (`None`: nobody found).
    pub fn push(&mut self, t: f64, pose: Option<Pose>) {
        self.recent = [self.recent[1], pose.map(|p| (t, p))];
    }

    /// The last pose moved on to `t` at its last velocity (at most [`MAX_PREDICT_INTERVALS`] model intervals ahead);
    /// the last pose itself at the time it was measured.
    pub fn predict(&self, t: f64) -> Option<Pose> {
        match self.recent {
            [Some((t0, p0)), Some((t1, p1))] if t1 > t0 => {
                let k = ((t - t1) / (t1 - t0)).clamp(0.0, MAX_PREDICT_INTERVALS) as f32;
                let mut p = p1;
                for (q, (a, b)) in p.keypoints.iter_mut().zip(p0.keypoints.iter().zip(p1.keypoints.iter())) {
                    (q.x, q.y) = (b.x + (b.x - a.x) * k, b.y + (b.y - a.y) * k);
                }
                Some(p)
            }
            [_, last] => last.map(|(_, p)| p),
        }
    }

    pub fn reset(&mut self) {
        self.recent = [None, None];
    }
}

/// A predicted pose moves on at the last measured velocity for at most this many model intervals (further out a
/// constant-velocity guess is worse than holding still).
const MAX_PREDICT_INTERVALS: f64 = 1.0;

impl Pipeline {
    /// Builds the BlazePose pipeline (loads and checks the models).
    pub fn new(cfg: &PipelineConfig) -> Result<Self, PipelineError> {
        let dir = runtime::find_models_dir(cfg.models_dir.as_deref())?;
        let est = BlazePose::new(&dir, cfg.blazepose.clone())?;
        let roller = match cfg.roller.clone() {
            Some(rc) => Some(RollerDetector::load(rc, &dir, cfg.blazepose.threads)?),
            None => None,
        };
        Ok(Self::with_parts(Box::new(est), cfg, roller))
    }

    /// Builds a pipeline around any estimator (another model, or a fake in tests), with the circle roller detector
    /// (it needs no model file).
    pub fn with_estimator(estimator: Box<dyn PoseEstimator + Send>, cfg: &PipelineConfig) -> Self {
        Self::with_parts(estimator, cfg, cfg.roller.clone().map(RollerDetector::new))
    }

    fn with_parts(estimator: Box<dyn PoseEstimator + Send>, cfg: &PipelineConfig, roller: Option<RollerDetector>) -> Self {
        Self {
            estimator,
            smoother: cfg.smoothing.map(PoseSmoother::new),
            roller,
            result: FrameResult::default(),
            times: StepTimes::default(),
            predictor: PosePredictor::default(),
            step: PoseStep::default(),
        }
    }

    /// The pipeline as its two halves, to run on two threads (see [`PoseHalf`]).
    pub fn halves(&mut self) -> (PoseHalf<'_>, RollerHalf<'_>) {
        let (pose, roller, _) = self.parts();
        (pose, roller)
    }

    fn parts(&mut self) -> (PoseHalf<'_>, RollerHalf<'_>, &mut PoseStep) {
        let pose = PoseHalf { estimator: &mut *self.estimator, smoother: self.smoother.as_mut(), predictor: &mut self.predictor };
        let roller = RollerHalf { roller: self.roller.as_mut(), result: &mut self.result, times: &mut self.times };
        (pose, roller, &mut self.step)
    }

    pub fn describe(&self) -> String {
        self.estimator.describe()
    }

    /// Processes one BGR frame taken at `t` seconds (every step).
    pub fn process(&mut self, image_bgr: &Mat, t: f64) -> Result<&FrameResult, PipelineError> {
        self.process_planned(image_bgr, t, FramePlan::ALL)
    }

    /// Processes one frame running only the steps `plan` allows (see [`FramePlan`]); [`Pipeline::times`] says
    /// what they cost.
    pub fn process_planned(&mut self, image_bgr: &Mat, t: f64, plan: FramePlan) -> Result<&FrameResult, PipelineError> {
        self.times = StepTimes::default();
        if !plan.pose {
            return Ok(self.predict(t));
        }
        let (mut pose, mut roller, step) = self.parts();
        pose.run(image_bgr, t, step)?;
        roller.run(image_bgr, step, plan.roller)?;
        Ok(&self.result)
    }

    /// What the steps of the last frame cost.
    pub fn times(&self) -> StepTimes {
        self.times
    }

    /// The frame at `t` without running the models (the live loop under load): the last pose moved on at its
    /// last velocity (see [`MAX_PREDICT_INTERVALS`]), the last roller and mask. Tracking state is left as is.
    pub fn predict(&mut self, t: f64) -> &FrameResult {
        let pose = self.predictor.predict(t);
        self.result.t = t;
        self.result.pose = pose;
        &self.result
    }

    /// Forgets tracking and smoothing state (after a seek or camera restart).
    pub fn reset(&mut self) {
        self.estimator.reset();
        self.predictor.reset();
        self.result.roller = None;
        if let Some(s) = self.smoother.as_mut() {
            s.reset();
        }
        if let Some(r) = self.roller.as_mut() {
            r.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A person moving right by 10 px per call.
    struct Walker(f32);

    impl PoseEstimator for Walker {
        fn estimate(&mut self, _: &Mat) -> Result<Option<Pose>, PoseError> {
            self.0 += 10.0;
            let mut p = Pose::default();
            p.keypoints.iter_mut().for_each(|k| (k.x, k.y) = (self.0, 50.0));
            Ok(Some(p))
        }
        fn reset(&mut self) {}
        fn describe(&self) -> String {
            "walker".into()
        }
    }

    #[test]
    fn predict_moves_the_last_pose_on_at_its_velocity_without_running_the_model() {
        let cfg = PipelineConfig { smoothing: None, roller: None, ..PipelineConfig::default() };
        let mut p = Pipeline::with_estimator(Box::new(Walker(0.0)), &cfg);
        let img = Mat::default();
        assert_eq!(p.process(&img, 0.0).unwrap().pose.unwrap().keypoints[0].x, 10.0);
        assert!(p.predict(0.05).pose.is_some(), "one pose: held still");
        assert_eq!(p.process(&img, 0.1).unwrap().pose.unwrap().keypoints[0].x, 20.0);
        let r = p.predict(0.15);
        assert_eq!((r.t, r.pose.unwrap().keypoints[0].x), (0.15, 25.0));
        let far = p.predict(1.0).pose.unwrap().keypoints[0].x;
        assert_eq!(far, 30.0, "at most one model interval ahead");
        assert_eq!(p.process(&img, 0.2).unwrap().pose.unwrap().keypoints[0].x, 30.0, "model ran twice before");
        p.reset();
        assert!(p.predict(0.3).pose.is_none(), "nothing to predict from after a reset");
    }
}
