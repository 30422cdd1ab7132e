//! Rolling motion of the contact along the current exercise's segment: position in cm (segment fraction times the
//! smoothed segment length over the roller scale), speed, passes and stillness.

use super::recognize::SegmentContact;
use super::rules::{MotionTracker, Pass, StillDetector, HOLD_WINDOW_S};

/// Motion tracking restarts after contact was lost this long.
pub const CONTACT_LOSS_RESET_S: f64 = 0.5;
/// Smoothing of the segment length (share of the new value).
const SEGMENT_LEN_EMA: f32 = 0.05;

/// What the motion model saw in one frame with contact.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MotionSample {
    /// A pass completed in this frame.
    pub pass: Option<Pass>,
    /// Absolute speed for the rules, cm/s.
    pub speed: Option<f32>,
    /// Steadier absolute speed for display and metrics, cm/s.
    pub display_speed: Option<f32>,
    /// The roller has rested on one spot over the stillness window.
    pub still: bool,
}

/// Contact motion of the current exercise.
#[derive(Debug, Clone)]
pub struct ContactMotion {
    tracker: MotionTracker,
    still: StillDetector,
    seg_len_px: Option<f32>,
    last_contact_t: Option<f64>,
}

impl ContactMotion {
    pub fn new(fps: f64) -> Self {
        Self {
            tracker: MotionTracker::new(fps),
            still: StillDetector::new(fps),
            seg_len_px: None,
            last_contact_t: None,
        }
    }

    /// Forgets everything (new exercise).
    pub fn reset(&mut self) {
        self.tracker.reset();
        self.still.reset();
        self.seg_len_px = None;
        self.last_contact_t = None;
    }

    /// Adds the contact of a frame (px per cm known).
    pub fn push(&mut self, t: f64, c: &SegmentContact, px_per_cm: f32) -> MotionSample {
        let len = self
            .seg_len_px
            .map_or(c.len_px, |l| l + SEGMENT_LEN_EMA * (c.len_px - l));
        self.seg_len_px = Some(len);
        if self
            .last_contact_t
            .is_some_and(|lt| t - lt > CONTACT_LOSS_RESET_S)
        {
            self.tracker.reset();
            self.still.reset();
        }
        self.last_contact_t = Some(t);
        let pos_cm = c.t * len / px_per_cm;
        let pass = self.tracker.push(t, pos_cm);
        let still = self
            .tracker
            .smoothed()
            .is_some_and(|p| self.still.push(t, p));
        MotionSample {
            pass,
            speed: self.tracker.speed().map(f32::abs),
            display_speed: self.tracker.display_speed(),
            still,
        }
    }

    /// Smoothed contact position, cm.
    pub fn smoothed(&self) -> Option<f32> {
        self.tracker.smoothed()
    }

    /// When the roller settled on its current spot (within `tol_cm`); at most the stillness window back.
    pub fn settled_since(&self, t: f64, tol_cm: f32) -> f64 {
        self.smoothed()
            .and_then(|p| self.still.quiet_since(p, tol_cm))
            .unwrap_or(t - HOLD_WINDOW_S)
    }
}
