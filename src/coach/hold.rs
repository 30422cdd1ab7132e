//! Tender-spot holds (not a fault): a deliberate stop on one spot of the region for at least `HOLD_WINDOW_S`; it
//! ends only on real movement (the smoothed contact leaves the held spot by more than the end band for
//! `HOLD_OFF_S`). Cued when it reaches the exercise's minimum hold time and again at its maximum.

use super::rules::HOLD_WINDOW_S;

/// Real movement must last this long to end a hold, s.
pub const HOLD_OFF_S: f64 = 0.5;
/// A hold ends only beyond this many RMS of the contact's own movement during the hold (slow wander of the
/// keypoints peaks at 1.4 RMS; real movement soon exceeds any multiple).
pub const HOLD_WANDER_RMS: f32 = 3.0;

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
    /// A hold was confirmed; it began at this time.
    pub started: Option<f64>,
    pub ended: Option<HoldSpan>,
    pub cue: Option<HoldCue>,
}

/// One frame's input to the hold rule.
#[derive(Debug, Clone, Copy)]
pub struct HoldInput {
    pub t: f64,
    /// A deliberate stop inside the region (stillness window satisfied).
    pub still: bool,
    /// Contact position along the segment (0..1).
    pub contact: Option<f32>,
    /// Smoothed contact position, cm.
    pub smoothed_cm: Option<f32>,
    /// Where the roller rests (cm), since when, and the RMS of the contact around it over the stillness window.
    pub settled: (f32, f64, f32),
    /// Distance from the held spot that ends the hold, cm.
    pub end_band_cm: f32,
    /// Exercise's [min, max] hold time, s.
    pub hold_s: (f32, f32),
}

#[derive(Debug, Clone, Default)]
pub struct HoldRule {
    /// Start and held spot (cm) of the active hold.
    active: Option<(f64, f32)>,
    /// Running sums of the smoothed contact during the hold: (sum, sum of squares, count).
    spot: (f64, f64, u32),
    /// RMS of the contact around its rest over the detection window, cm.
    start_rms: f32,
    position: f32,
    last_near: f64,
    cued: u8,
}

impl HoldRule {
    pub fn update(&mut self, i: &HoldInput) -> HoldUpdate {
        let mut out = HoldUpdate::default();
        let Some((start, anchor)) = self.active else {
            // A hold is a stop of at least `HOLD_WINDOW_S` from where the roller stopped (the stillness test can
            // pass sooner, e.g. for a stop right after a turn).
            let (anchor, since, rms) = i.settled;
            if i.still && i.t - since >= HOLD_WINDOW_S - 1e-9 {
                self.start_rms = rms;
                self.active = Some((since, anchor));
                self.spot = (anchor as f64, (anchor as f64).powi(2), 1);
                self.position = i.contact.unwrap_or(0.0);
                self.last_near = i.t;
                self.cued = 0;
                out.started = Some(since);
            }
            return out;
        };
        let _ = anchor;
        let (sum, sq, n) = self.spot;
        let mean = sum / n as f64;
        // Wander seen while the stop was detected widens the band (a sinusoid peaks at 1.4 RMS); fixed at the
        // start so that slow movement cannot widen it.
        let band = i.end_band_cm.max(HOLD_WANDER_RMS * self.start_rms);
        let near = i.smoothed_cm.is_none_or(|p| (p - mean as f32).abs() <= band);
        if near {
            self.last_near = i.t;
            if let Some(p) = i.smoothed_cm {
                let p = p as f64;
                self.spot = (sum + p, sq + p * p, n + 1);
            }
        } else if i.t - self.last_near >= HOLD_OFF_S {
            out.ended = self.end(self.last_near);
            return out;
        }
        let dur = i.t - start;
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

    /// Start of the hold in progress, if any.
    pub fn active_since(&self) -> Option<f64> {
        self.active.map(|a| a.0)
    }

    /// Ends an active hold at `t` (end of session, exercise change).
    pub fn force_end(&mut self, t: f64) -> Option<HoldSpan> {
        let near = self.last_near.max(self.active.map_or(t, |a| a.0));
        self.end(if t - near >= HOLD_OFF_S { near } else { t })
    }

    fn end(&mut self, end: f64) -> Option<HoldSpan> {
        let (start, _) = self.active.take()?;
        Some(HoldSpan {
            start,
            end: end.max(start),
            position: self.position,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(t: f64, still: bool, pos: f32) -> HoldInput {
        HoldInput {
            t,
            still,
            contact: Some(0.5),
            smoothed_cm: Some(pos),
            settled: (10.0, 2.0, 0.5),
            end_band_cm: 3.0,
            hold_s: (20.0, 30.0),
        }
    }

    #[test]
    fn a_hold_survives_wander_and_ends_on_movement() {
        let mut h = HoldRule::default();
        assert_eq!(h.update(&input(5.0, true, 10.0)).started, Some(2.0));
        let mut cues = Vec::new();
        let mut ended = None;
        for i in 0..900 {
            let t = 5.0 + i as f64 / 30.0;
            // 1.5 cm wander for 25 s, then rolling away at 2.5 cm/s (3 cm away at 28.2 s).
            let pos = if t < 27.0 { 10.0 + 1.5 * (t as f32).sin() } else { 10.0 + 2.5 * (t - 27.0) as f32 };
            let u = h.update(&input(t, false, pos));
            cues.extend(u.cue);
            ended = ended.or(u.ended);
        }
        let e = ended.expect("hold ended");
        assert_eq!(e.start, 2.0);
        assert!((e.end - 28.2).abs() < 0.1, "{e:?}");
        assert_eq!(cues, vec![HoldCue::Min]);
    }
}
