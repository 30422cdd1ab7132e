//! The live loop's per-frame budget: which costly steps run when the model worker (`worker.rs`) measures a frame.
//! The pose models run on the newest frame whenever the worker is free (a frame is never queued: the frames in
//! between are shown with a predicted pose). The roller step runs on a measured frame when the worker's expected
//! time for the frame, pose plus roller, fits in one frame interval, so the pose on screen stays fresh; otherwise
//! the last roller is kept.
//! It runs at least on every [`MAX_ROLLER_SKIPPED_IN_A_ROW`] + 1-th measured frame.
//!
//! Costs are learnt from the frames themselves (a running mean of each step's wall time), so a step added later
//! (e.g. a learned roller model inside the roller step) is budgeted without a new constant. Off for lossless
//! (unpaced) clips, which run every step on every frame.

use crate::pipeline::{FramePlan, StepTimes};

/// The roller is looked for on at least every 4th measured frame even when it does not fit: on a loaded machine
/// (about 15 measured frames a second) the kept roller is then at most ~0.25 s old; a roller moves a few cm in that
/// time at rolling speeds (2.5-10 cm/s, exercises/*.toml).
pub const MAX_ROLLER_SKIPPED_IN_A_ROW: u32 = 3;
/// Weight of the newest frame in a step's running mean cost (about the last 10 measured frames count).
const COST_SMOOTHING: f64 = 0.1;

/// A step's running mean wall time (s); `None` until it has run once.
#[derive(Debug, Clone, Copy, Default)]
pub struct MeanCost(Option<f64>);

impl MeanCost {
    pub fn add(&mut self, s: Option<f64>) {
        if let Some(s) = s {
            self.0 = Some(self.0.map_or(s, |m| m + COST_SMOOTHING * (s - m)));
        }
    }

    pub fn get(&self) -> f64 {
        self.0.unwrap_or(0.0)
    }
}

#[derive(Debug, Clone)]
pub struct FrameBudget {
    interval_s: f64,
    roller_skipped_in_a_row: u32,
    pose: MeanCost,
    roller: MeanCost,
}

impl FrameBudget {
    pub fn new(fps: f64) -> Self {
        let (pose, roller) = (MeanCost::default(), MeanCost::default());
        Self { interval_s: 1.0 / fps.max(1.0), roller_skipped_in_a_row: 0, pose, roller }
    }

    /// The steps to run on the next measured frame.
    pub fn plan(&mut self) -> FramePlan {
        let fits = self.pose.get() + self.roller.get() <= self.interval_s;
        let roller = fits || self.roller_skipped_in_a_row >= MAX_ROLLER_SKIPPED_IN_A_ROW;
        self.roller_skipped_in_a_row = if roller { 0 } else { self.roller_skipped_in_a_row + 1 };
        FramePlan { pose: true, roller }
    }

    /// Books what a measured frame's steps cost.
    pub fn account(&mut self, times: StepTimes) {
        self.pose.add(times.pose_s);
        self.roller.add(times.roller_s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: f64 = 1.0 / 30.0;

    fn measured(pose_s: f64, roller_s: Option<f64>) -> StepTimes {
        StepTimes { pose_s: Some(pose_s), roller_s }
    }

    #[test]
    fn roller_step_runs_while_it_fits_in_a_frame_interval() {
        let mut b = FrameBudget::new(30.0);
        assert!(b.plan().roller, "no cost known yet: runs");
        for _ in 0..20 {
            b.account(measured(0.5 * DT, Some(0.3 * DT)));
            assert_eq!(b.plan(), FramePlan::ALL, "pose + roller fit in the interval");
        }
    }

    #[test]
    fn a_roller_step_that_does_not_fit_runs_on_every_fourth_measured_frame() {
        let mut b = FrameBudget::new(30.0);
        b.account(measured(0.8 * DT, Some(0.5 * DT)));
        let runs: Vec<bool> = (0..8).map(|_| b.plan().roller).collect();
        assert_eq!(runs, [false, false, false, true, false, false, false, true]);
        assert!((0..8).all(|_| b.plan().pose), "the pose is measured on every frame the worker takes");
    }

    #[test]
    fn costs_follow_the_frames_and_skipped_steps_do_not_count() {
        let mut b = FrameBudget::new(30.0);
        b.account(measured(0.8 * DT, Some(0.5 * DT)));
        assert!(!b.plan().roller);
        for _ in 0..30 {
            b.account(measured(0.3 * DT, None)); // the pose got cheaper (the machine got quieter)
        }
        assert!(b.plan().roller, "0.3 + 0.5 intervals fit again");
    }
}
