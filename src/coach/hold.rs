//! Tender-spot holds (not a fault): the roller rests on one spot of the region; cued when it reaches the
//! exercise's minimum hold time and again at its maximum.

use super::rules::{Debounce, Edge, HOLD_WINDOW_S};

/// Roller still this long on one spot in the region = a tender-spot hold.
pub const HOLD_DETECT_S: f64 = 3.0;
pub const HOLD_OFF_S: f64 = 0.5;
/// Distance from the held spot that still counts as on it (for the hold's start and end times), cm.
pub const HOLD_SPOT_CM: f32 = 1.25;

/// A completed hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HoldSpan {
    pub start: f64,
    pub end: f64,
    /// Position along the segment (0..1).
    pub position: f32,
}

/// Which hold cue is due.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HoldCue {
    /// The exercise's minimum hold time was reached.
    Min,
    /// The maximum was reached: move on.
    Max,
}

/// What the hold rule saw in one frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct HoldUpdate {
    pub ended: Option<HoldSpan>,
    pub cue: Option<HoldCue>,
}

/// One frame's input to the hold rule.
#[derive(Debug, Clone, Copy)]
pub struct HoldInput {
    pub t: f64,
    /// Still on one spot inside the region.
    pub still: bool,
    /// Contact position along the segment (0..1).
    pub contact: Option<f32>,
    /// Smoothed contact position, cm.
    pub smoothed_cm: Option<f32>,
    /// When the roller settled on its spot.
    pub settled: f64,
    /// Exercise's [min, max] hold time, s.
    pub hold_s: (f32, f32),
}

#[derive(Debug, Clone)]
pub struct HoldRule {
    debounce: Debounce,
    position: f32,
    anchor_cm: f32,
    last_near: f64,
    cued: u8,
}

impl Default for HoldRule {
    fn default() -> Self {
        Self {
            debounce: Debounce::new(HOLD_DETECT_S - HOLD_WINDOW_S, HOLD_OFF_S),
            position: 0.0,
            anchor_cm: 0.0,
            last_near: 0.0,
            cued: 0,
        }
    }
}

impl HoldRule {
    pub fn update(&mut self, i: &HoldInput) -> HoldUpdate {
        let mut out = HoldUpdate::default();
        if i.still && !self.debounce.is_active() {
            self.position = i.contact.unwrap_or(0.0);
        }
        // The quiet window already lies behind: the hold starts when the roller settled there and ends when the
        // roller last was on the spot.
        match self.debounce.update_since(i.t, i.still, Some(i.settled)) {
            Edge::Started { .. } => {
                self.cued = 0;
                self.anchor_cm = i.smoothed_cm.unwrap_or(0.0);
                self.last_near = i.t;
            }
            Edge::Ended { start, end } => {
                out.ended = Some(self.span(start, end.min(self.last_near)))
            }
            Edge::None => {}
        }
        if !self.debounce.is_active() {
            return out;
        }
        if i.smoothed_cm
            .is_some_and(|p| (p - self.anchor_cm).abs() <= HOLD_SPOT_CM)
        {
            self.last_near = i.t;
        }
        let dur = i.t - self.debounce.start();
        let (hmin, hmax) = i.hold_s;
        if self.cued == 0 && dur >= hmin as f64 {
            self.cued = 1;
            out.cue = Some(HoldCue::Min);
        } else if self.cued == 1 && dur >= hmax as f64 {
            self.cued = 2;
            out.cue = Some(HoldCue::Max);
        }
        out
    }

    pub fn force_end(&mut self, t: f64) -> Option<HoldSpan> {
        match self.debounce.force_end(t) {
            Edge::Ended { start, end } => Some(self.span(start, end)),
            _ => None,
        }
    }

    fn span(&self, start: f64, end: f64) -> HoldSpan {
        HoldSpan {
            start,
            end,
            position: self.position,
        }
    }
}
