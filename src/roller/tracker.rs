//! Temporal tracking with hysteresis: a roller is reported only after it has been seen at a steady place, size and
//! colour for `ON_FRAMES` frames, and then held through short misses. Once confirmed, its size and colour are
//! priors: later candidates must match them (a foam roller does not change size or colour).

use super::verify::Verified;
use crate::landmarks::ToolKind;

/// Hits needed before a track is reported (the "on" threshold of the hysteresis): at 15-30 fps, 0.2-0.4 s of a
/// steady roller; a flicker of a few frames never reaches it.
pub const ON_FRAMES: u32 = 6;
/// Consecutive misses that end a track that is not yet confirmed.
const TENTATIVE_MAX_MISSES: u32 = 2;
/// Largest move between frames, in roller radii, per frame since the last hit (a roller rolls at about half the
/// body's speed: ~2.5 cm/s is 0.02 r per frame at 15 fps, and detections jitter by ~0.2 r).
const GATE_R: f32 = 0.6;
/// Largest relative radius change accepted by a track (Hough radius jitter ~2 px on a 13 px circle).
const SIZE_TOL: f32 = 0.25;
/// Largest mean absolute BGR difference (8-bit levels) from a confirmed track's colour (shading by the body on top
/// changes a roller's end face by ~20 levels in the renders).
const COLOUR_TOL: f32 = 45.0;
/// Share of a new measurement in the track's position, and in its size and colour before / after confirmation.
const POS_SMOOTHING: f32 = 0.5;
const PRIOR_LEARN_TENTATIVE: f32 = 0.5;
const PRIOR_LEARN_CONFIRMED: f32 = 0.1;
/// Share of a new hit in the track's precise share (hits located by an end-face edge, `Verified::precise`).
const PRECISE_EMA: f32 = 0.2;
/// A track located precisely in at least this share of its recent hits does not move on an imprecise hit (a learned
/// centre alone jitters by ~0.2-0.4 r, which reads as speed); the hit still keeps the track alive.
const PRECISE_LOCK: f32 = 0.5;
/// Share of a new hit/miss in the confidence.
const CONFIDENCE_EMA: f32 = 0.2;
/// Share of a new learned axis in the track's axis (end face to far end, in radii). A roller turns slowly; a learned
/// axis end alone is off by ~0.3-0.7 r (held out: tools/train_roller/roller_detector.metrics.json), and seen end-on
/// its direction is noise, which averages towards zero length instead of flipping the contact along the cylinder.
const AXIS_EMA: f32 = 0.2;

/// One tracked roller hypothesis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Track {
    pub last: Verified,
    pub cx: f32,
    pub cy: f32,
    pub r: f32,
    pub colour: [f32; 3],
    /// Mean verification score.
    pub score: f32,
    pub hits: u32,
    pub misses: u32,
    pub confirmed: bool,
    /// Running share of hits that were precise (`PRECISE_EMA`).
    pub precise_share: f32,
    /// Smoothed axis from the end face to the far end, in radii (`AXIS_EMA`), once a source has seen one.
    pub axis_r: Option<[f32; 2]>,
    /// Running share of learned hits that called the tool a ball (`AXIS_EMA`), once the learned source saw it.
    pub ball_share: Option<f32>,
}

impl Track {
    fn new(v: &Verified) -> Self {
        Self {
            last: *v,
            cx: v.cand.cx,
            cy: v.cand.cy,
            r: v.cand.r,
            colour: v.colour,
            score: v.score,
            hits: 1,
            misses: 0,
            confirmed: ON_FRAMES <= 1,
            precise_share: if v.precise { 1.0 } else { 0.0 },
            axis_r: axis_in_radii(v),
            ball_share: ball_vote(v),
        }
    }

    /// The tool's kind by the learned hits' running vote (a single frame's class flipped a roller to a ball and back
    /// on the first renders, restarting the exercise recognition); a track only circles saw is a roller.
    pub fn kind(&self) -> ToolKind {
        if self.ball_share.is_some_and(|b| b > 0.5) {
            ToolKind::Ball
        } else {
            ToolKind::Roller
        }
    }


    /// The smoothed axis in image pixels, [end face, far end], from the track's end face.
    pub fn axis(&self) -> Option<[[f32; 2]; 2]> {
        self.axis_r.map(|d| [[self.cx, self.cy], [self.cx + d[0] * self.r, self.cy + d[1] * self.r]])
    }

    fn matches(&self, v: &Verified) -> bool {
        let d = ((v.cand.cx - self.cx).powi(2) + (v.cand.cy - self.cy).powi(2)).sqrt();
        let colour_d = (0..3).map(|k| (v.colour[k] - self.colour[k]).abs()).sum::<f32>() / 3.0;
        d <= GATE_R * self.r * (1 + self.misses) as f32
            && (v.cand.r / self.r - 1.0).abs() <= SIZE_TOL
            && (!self.confirmed || colour_d <= COLOUR_TOL)
    }

    fn hit(&mut self, v: &Verified) {
        let learn = if self.confirmed { PRIOR_LEARN_CONFIRMED } else { PRIOR_LEARN_TENTATIVE };
        if v.precise || self.precise_share < PRECISE_LOCK {
            self.cx += POS_SMOOTHING * (v.cand.cx - self.cx);
            self.cy += POS_SMOOTHING * (v.cand.cy - self.cy);
            self.r += learn * (v.cand.r - self.r);
        }
        self.precise_share += PRECISE_EMA * (f32::from(u8::from(v.precise)) - self.precise_share);
        smooth(&mut self.axis_r, axis_in_radii(v));
        if let Some(b) = ball_vote(v) {
            let share = self.ball_share.get_or_insert(b);
            *share += AXIS_EMA * (b - *share);
        }

        for k in 0..3 {
            self.colour[k] += learn * (v.colour[k] - self.colour[k]);
        }
        self.hits += 1;
        self.score += (v.score - self.score) / self.hits as f32;
        self.misses = 0;
        self.last = *v;
        self.confirmed |= self.hits >= ON_FRAMES;
    }

    /// Counts a miss; `false` when the track should end.
    fn miss(&mut self, hold_frames: u32) -> bool {
        self.misses += 1;
        if self.confirmed {
            self.misses <= hold_frames
        } else {
            self.misses < TENTATIVE_MAX_MISSES
        }
    }
}

/// Moves `state` by `AXIS_EMA` towards a new measurement (the first one sets it).
fn smooth(state: &mut Option<[f32; 2]>, m: Option<[f32; 2]>) {
    if let Some(d) = m {
        let a = state.get_or_insert(d);
        a[0] += AXIS_EMA * (d[0] - a[0]);
        a[1] += AXIS_EMA * (d[1] - a[1]);
    }
}

/// 1 for a learned hit that saw a ball, 0 for one that saw a roller; circles give no vote.
fn ball_vote(v: &Verified) -> Option<f32> {
    match v.cand.origin {
        super::Origin::Learned { kind, .. } => Some(if kind == ToolKind::Ball { 1.0 } else { 0.0 }),
        super::Origin::Circle => None,
    }
}

/// A candidate's axis (end face to far end) in its radii, if its source saw one.
fn axis_in_radii(v: &Verified) -> Option<[f32; 2]> {
    let [p, q] = v.cand.axis?;
    Some([(q[0] - p[0]) / v.cand.r, (q[1] - p[1]) / v.cand.r])
}

/// The tracked roller and a challenger that may replace it.
#[derive(Debug, Default)]
pub struct Tracker {
    main: Option<Track>,
    challenger: Option<Track>,
    confidence: f32,
}

impl Tracker {
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Feeds one frame's verified candidates (any order); returns the confirmed roller, if any, and its confidence.
    pub fn step(&mut self, cands: &[Verified], hold_frames: u32) -> Option<(Track, f32)> {
        let best = |pred: &dyn Fn(&Verified) -> bool| {
            cands.iter().filter(|v| pred(v)).max_by(|a, b| a.score.total_cmp(&b.score))
        };
        let main_hit = self.main.and_then(|m| best(&|v| m.matches(v)).copied());
        match (self.main.as_mut(), main_hit) {
            (Some(m), Some(v)) => m.hit(&v),
            (Some(m), None) => {
                if !m.miss(hold_frames) {
                    self.main = None;
                }
            }
            (None, _) => self.main = best(&|_| true).map(Track::new),
        }
        self.step_challenger(cands, hold_frames);
        self.update_confidence(main_hit.is_some());
        self.main.filter(|m| m.confirmed).map(|m| (m, self.confidence))
    }

    /// The best candidate away from the main track builds a challenger; a confirmed challenger that scores better
    /// than the main track replaces it (a wrong first lock cannot keep winning on proximity alone).
    fn step_challenger(&mut self, cands: &[Verified], hold_frames: u32) {
        let Some(main) = self.main else {
            self.challenger = None;
            return;
        };
        let other = cands
            .iter()
            .filter(|v| !main.matches(v))
            .max_by(|a, b| a.score.total_cmp(&b.score));
        match (self.challenger.as_mut(), other) {
            (Some(c), Some(v)) if c.matches(v) => c.hit(v),
            (_, Some(v)) => self.challenger = Some(Track::new(v)),
            (Some(c), None) => {
                if !c.miss(hold_frames) {
                    self.challenger = None;
                }
            }
            (None, None) => {}
        }
        if let Some(c) = self.challenger.filter(|c| c.confirmed && c.misses == 0) {
            if !main.confirmed || c.score > main.score || main.misses > 0 {
                self.main = Some(c);
                self.challenger = None;
                self.confidence = 0.5;
            }
        }
    }

    fn update_confidence(&mut self, hit: bool) {
        if hit {
            self.confidence += CONFIDENCE_EMA * (1.0 - self.confidence);
        } else {
            self.confidence *= 1.0 - CONFIDENCE_EMA;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roller::body::Segment;
    use crate::roller::candidates::{Candidate, Origin};

    fn learned_hit(axis_end: [f32; 2]) -> Verified {
        let cand = Candidate {
            cx: 100.0,
            cy: 100.0,
            r: 10.0,
            score: 1.0,
            axis: Some([[100.0, 100.0], axis_end]),
            origin: Origin::Learned { kind: crate::landmarks::ToolKind::Roller, contact: None },
        };
        let segment = Segment { a: (0.0, 80.0), b: (200.0, 80.0) };
        Verified { cand, segment, support: 1.0, colour: [90.0; 3], score: 6.0, precise: true }
    }

    #[test]
    fn an_axis_flipping_between_frames_averages_towards_end_on() {
        // Seen end-on, the learned far end lands either side of the end face (1.5 r each way): the smoothed axis
        // shrinks instead of swinging the contact from one end of the cylinder to the other.
        let mut t = Track::new(&learned_hit([115.0, 100.0]));
        for i in 0..30 {
            let x = if i % 2 == 0 { 85.0 } else { 115.0 };
            t.hit(&learned_hit([x, 100.0]));
        }
        let [p, q] = t.axis().unwrap();
        assert!((q[0] - p[0]).hypot(q[1] - p[1]) < 0.3 * t.r, "{:?}", t.axis_r);
    }

    #[test]
    fn a_steady_axis_is_kept() {
        let mut t = Track::new(&learned_hit([140.0, 110.0]));
        for _ in 0..10 {
            t.hit(&learned_hit([140.0, 110.0]));
        }
        let [p, q] = t.axis().unwrap();
        assert!(((q[0] - p[0]) - 40.0).abs() < 0.5 && ((q[1] - p[1]) - 10.0).abs() < 0.5, "{:?}", t.axis());
    }
}
