//! Rolling motion of the contact along the current exercise's segment: position in cm (segment fraction times the
//! smoothed segment length over the roller scale), speed, passes and stillness.

use super::geometry::P2;
use super::recognize::SegmentContact;
use crate::landmarks::{concat, group, Pose};
use super::rules::{MotionTracker, Pass, StillDetector, HOLD_RANGE_CM, HOLD_WINDOW_MAX_S, HOLD_WINDOW_S, MIN_PASS_CM, REVERSAL_SIGMAS};

/// Motion tracking restarts after contact was lost this long.
pub const CONTACT_LOSS_RESET_S: f64 = 0.5;
/// A contact step larger than this between two frames is not rolling (about 300 cm/s at 30 fps) but the person
/// repositioning or the detection switching: motion tracking restarts, cm.
pub const JUMP_CM: f32 = 10.0;
/// ... or this many standard deviations of the frame-to-frame difference of the measured noise, if larger.
pub const JUMP_SIGMAS: f32 = 6.0;
/// A step faster than this between two frames is a jump too, cm/s (the bound is then lower than `JUMP_CM` for
/// frames less than `JUMP_CM` / this apart; the noise bound still applies if larger): three times the fastest rolling the synthetic faults inject (`synth`: 30 cm/s), ten times the exercises' speed
/// limits. An oblique roller's end face re-fitted 10 px away moved its axis line and read the contact on the
/// seated thigh 0.27 of it (9 cm) away in one frame at 15 fps, back and forth (development clip d_glutes_az25_el35):
/// under 10 cm, it read as rolling at 6-21 cm/s and raised two false `too_fast` faults.
pub const MAX_STEP_SPEED_CM_S: f32 = 100.0;
/// Memory of the segment's length in cm, s: the time-weighted mean of every contact frame's segment length over the
/// scale (px over px per cm) since the exercise started, at most this long. A body segment does not change length
/// (and a camera move changes its pixels and the scale together), but both estimates jitter and drift: the roller's
/// fitted radius moved the scale by 2-6 % within a second or two on the rendered samples. The position in cm is the
/// contact fraction times this length, so a length that followed them within a second (the former 0.05 share per
/// frame) added a false speed of the position times their relative drift rate: on quads_clean 25 cm from the hip a
/// 2.6 % drift over a 2.3 s pass added 0.25 cm/s (6 %), and its variable-frame-rate copy, whose drift differed,
/// read 5.9 % slower; on it_band_too_fast's 1.6 cm/s end a 6 % drift cancelled most of the rolling. Ten seconds
/// still follows a change of the scale in use (the body scale taking over).
pub const SEGMENT_LEN_MEMORY_S: f64 = 10.0;
/// Weight of an exercise's first length sample, s (one frame at 15 fps).
const FIRST_LEN_WEIGHT_S: f64 = 1.0 / 15.0;
/// A pass must cover at least this share of the exercise's region: shorter strokes are adjustments on a spot, and
/// slow wander of the keypoints (about 1 cm at the contact for 3 px) can never fake a leg this long.
pub const MIN_PASS_SHARE: f32 = 0.3;
/// Slow wander of the keypoints moves the resting contact by up to sqrt(2) times its RMS (a sinusoid); the band
/// around a rest is this many RMS wide, with a margin.
pub const WANDER_BAND_RMS: f32 = 2.0;
/// A stop is slower than this share of the rolling speed in both halves of the stillness window. A turn leaves one
/// half a whole leg at the rolling speed, so slow rolling is never a hold; half leaves a margin for noise and
/// wander (a 1 Hz wander of amplitude A biases a 1.5 s slope by at most 0.2 A per s).
pub const HOLD_SLOPE_SHARE: f32 = 0.5;

/// Landmarks whose mean is the body's centre for the stillness test: torso and legs (arms and head may move on their
/// own during a hold).
const BODY_POINTS: [usize; 8] = concat(group::SHOULDERS, group::LEG_JOINTS);
/// Fewest visible body points for a body position, and the visibility that counts.
const MIN_BODY_POINTS: usize = 4;
const BODY_POINT_VISIBILITY: f32 = 0.5;

/// Mean image position of the visible torso and leg landmarks, px (`BODY_POINTS`); `None` with too few of them.
pub fn body_centre(pose: &Pose) -> Option<P2> {
    let (sum, n) = BODY_POINTS
        .iter()
        .map(|&i| pose.kp(i))
        .filter(|k| k.visibility >= BODY_POINT_VISIBILITY)
        .fold((P2::default(), 0usize), |(s, n), k| (s.add(P2 { x: k.x, y: k.y }), n + 1));
    (n >= MIN_BODY_POINTS).then(|| sum.scale(1.0 / n as f32))
}

/// What the motion model needs from the exercise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotionParams {
    /// Region length as a share of the segment.
    pub region_share: f32,
    /// Target rolling speed, cm/s.
    pub target_speed_cm_s: f32,
}

/// What the motion model saw in one frame with contact.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MotionSample {
    /// A pass completed in this frame.
    pub pass: Option<Pass>,
    /// A leg (turn to turn) closed in this frame, long enough to be a pass or not.
    pub leg: Option<Pass>,
    /// Absolute speed for the rules, cm/s.
    pub speed: Option<f32>,
    /// Its standard error from the measured white noise, cm/s.
    pub speed_se: f32,
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
    /// Stillness of the mean of the contact and the roller's distance from the body's centre (`body_centre`).
    mean_still: StillDetector,
    /// Segment length, cm (`SEGMENT_LEN_MEMORY_S`), and the time its mean is over, s.
    seg_len_cm: Option<f32>,
    seg_len_weight_s: f64,
    /// The scale averaged like the segment length, px per cm.
    px_per_cm_mean: Option<f32>,
    last_contact_t: Option<f64>,
    /// Last raw position, cm.
    last_pos: Option<f32>,
    /// Shortest pass of the current exercise, cm, and the stillness window, s (from the last frame).
    min_pass_cm: f32,
    last_window: f64,
    /// Speed of the last pass, cm/s: the rolling speed a stop is told from.
    last_pass_speed: Option<f32>,
    /// Slowest movement that is not a stop, cm/s (from the last frame).
    last_max_slope: f32,
    /// When the contact last turned after a leg wider than the stillness band (`update`).
    last_stroke_turn: Option<f64>,
}

impl ContactMotion {
    pub fn new(fps: f64) -> Self {
        Self {
            tracker: MotionTracker::new(fps),
            still: StillDetector::new(fps),
            mean_still: StillDetector::new(fps),
            seg_len_cm: None,
            seg_len_weight_s: 0.0,
            px_per_cm_mean: None,
            last_contact_t: None,
            last_pos: None,
            min_pass_cm: MIN_PASS_CM,
            last_window: HOLD_WINDOW_S,
            last_pass_speed: None,
            last_max_slope: 0.0,
            last_stroke_turn: None,
        }
    }

    /// Forgets everything (new exercise).
    pub fn reset(&mut self) {
        self.tracker.reset();
        self.still.reset();
        self.mean_still.reset();
        self.seg_len_cm = None;
        self.seg_len_weight_s = 0.0;
        self.px_per_cm_mean = None;
        self.last_contact_t = None;
        self.last_pos = None;
        self.last_stroke_turn = None;
    }

    /// True when contact `c` continues the tracked motion (no jump of more than `JUMP_CM`).
    pub fn continues(&self, c: &SegmentContact, px_per_cm: f32) -> bool {
        let len_cm = self.seg_len_cm.unwrap_or(c.len_px / px_per_cm);
        self.last_pos.is_none_or(|p| (c.t * len_cm - p).abs() <= self.jump_cm())
    }

    fn jump_cm(&self) -> f32 {
        JUMP_CM.max(self.noise_step_cm())
    }

    /// The largest step between two frames `dt` apart that is motion (`MAX_STEP_SPEED_CM_S`).
    fn step_limit_cm(&self, dt: f64) -> f32 {
        (MAX_STEP_SPEED_CM_S * dt as f32).min(JUMP_CM).max(self.noise_step_cm())
    }

    fn noise_step_cm(&self) -> f32 {
        JUMP_SIGMAS * std::f32::consts::SQRT_2 * self.tracker.noise_sigma()
    }

    /// Adds the contact of a frame (px per cm known) and the body's centre in it (`body_centre`), if known.
    pub fn push(
        &mut self,
        t: f64,
        c: &SegmentContact,
        px_per_cm: f32,
        p: MotionParams,
        body: Option<P2>,
    ) -> MotionSample {
        let len_cm = self.update_length(t, c.len_px / px_per_cm, px_per_cm);
        let pos_cm = c.travel_px.map_or(c.t * len_cm, |px| px / px_per_cm);
        let dt = self.last_contact_t.map_or(0.0, |t0| t - t0);
        let jump = self.last_pos.is_some_and(|p| (pos_cm - p).abs() > self.step_limit_cm(dt));
        let lost = dt > CONTACT_LOSS_RESET_S;
        let mut flushed = None;
        if jump || lost {
            flushed = self.tracker.flush(self.min_pass_cm);
            self.tracker.reset();
            self.still.reset();
            self.mean_still.reset();
        }
        self.last_pos = Some(pos_cm);
        self.last_contact_t = Some(t);
        let min_pass_cm = MIN_PASS_SHARE * p.region_share * len_cm;
        self.min_pass_cm = min_pass_cm;
        let pass = self.tracker.push(t, pos_cm, min_pass_cm).or(flushed);
        if let Some(p) = pass {
            self.last_pass_speed = Some(p.speed_cm_s);
        }
        // The rolling speed a stop must be told from: the person's own if slower than the target.
        let rolling = self.last_pass_speed.map_or(p.target_speed_cm_s, |v| v.min(p.target_speed_cm_s));
        let (band, window) = (self.still_band(), self.still_window(rolling));
        self.last_window = window;
        let max_slope = HOLD_SLOPE_SHARE * rolling;
        self.last_max_slope = max_slope;
        let contact_still =
            self.tracker.smoothed().is_some_and(|s| self.still.push(t, s, pos_cm, band, window, max_slope));
        // Stillness is judged on the mean of the contact and the roller's distance from the body's centre: slow
        // wander of the two segment landmarks near a turn can hold the contact still for 4-5 s while the body rolls
        // on; averaged with a reference of up to 8 landmarks the wander is smaller.
        // (Not for a pinned contact: its place along the segment stays at the landmark while the tool travels.)
        let body_cm = body.filter(|_| c.travel_px.is_none()).and_then(|b| self.roller_from_body_cm(c, b));
        let still = match (body_cm, self.tracker.smoothed()) {
            (Some(b), Some(_)) => {
                let m = 0.5 * (pos_cm + b);
                self.mean_still.push(t, m, m, band, window, max_slope)
            }
            _ => contact_still,
        };
        // Strokes back and forth over a short region (8 cm of trapezius under 1-1.5 cm of landmark noise) pass the
        // window test when each half is centred on a turn: level halves, equal means, an RMS inside the band. But
        // such a contact turned inside the window after a leg longer than the band is wide (twice its half-width),
        // which a contact resting in the band cannot do (slow wander of the landmarks makes legs of up to ~1.4
        // half-widths: a sinusoid's swing is 2 sqrt 2 of its RMS, the band 2 RMS).
        if let Some(leg) = self.tracker.closed_leg().filter(|l| (l.to_cm - l.from_cm).abs() > 2.0 * band) {
            self.last_stroke_turn = Some(leg.end);
        }
        let turned = self.last_stroke_turn.is_some_and(|turn| turn > t - window.min(HOLD_WINDOW_MAX_S));
        MotionSample {
            pass,
            leg: self.tracker.closed_leg(),
            speed: self.tracker.speed().map(f32::abs),
            speed_se: self.tracker.speed_se(),
            display_speed: self.tracker.display_speed(),
            still: still && !turned,
        }
    }

    /// The contact's distance from the body's centre `b` along the segment, cm: measured along the segment's
    /// direction in pixels and converted with the long-run scale (`SEGMENT_LEN_MEMORY_S`), since the centre lies far
    /// from the segment (45 cm for the upper back) and in units of the jittering segment length, or over a drifting
    /// scale, its distance would move more than the contact itself.
    fn roller_from_body_cm(&self, c: &SegmentContact, b: P2) -> Option<f32> {
        let d = c.to_px.sub(c.from_px);
        let len = d.norm();
        let contact_px = c.from_px.add(d.scale(c.t));
        let ppc = self.px_per_cm_mean.filter(|&p| p > 0.0 && len > 0.0)?;
        Some(contact_px.sub(b).dot(d.scale(1.0 / len)) / ppc)
    }

    /// Adds a frame's segment length (cm) at `t` to the running mean (`SEGMENT_LEN_MEMORY_S`) and returns the mean.
    /// The scale `px_per_cm` is averaged the same way (for `roller_from_body_cm`).
    fn update_length(&mut self, t: f64, len_cm: f32, px_per_cm: f32) -> f32 {
        let (mean, ppc) = match (self.seg_len_cm, self.px_per_cm_mean, self.last_contact_t) {
            (Some(m), Some(p), Some(t0)) => {
                // A gap longer than a lost contact counts as one.
                let dt = (t - t0).clamp(0.0, CONTACT_LOSS_RESET_S);
                let w = (dt / (self.seg_len_weight_s + dt).max(1e-9)) as f32;
                self.seg_len_weight_s = (self.seg_len_weight_s + dt).min(SEGMENT_LEN_MEMORY_S);
                (m + w * (len_cm - m), p + w * (px_per_cm - p))
            }
            _ => {
                self.seg_len_weight_s = FIRST_LEN_WEIGHT_S;
                (len_cm, px_per_cm)
            }
        };
        self.seg_len_cm = Some(mean);
        self.px_per_cm_mean = Some(ppc);
        mean
    }

    /// The open leg as a pass if it already turned (end of the exercise or session).
    pub fn flush(&mut self) -> Option<Pass> {
        self.tracker.flush(self.min_pass_cm)
    }

    /// Smoothed contact position, cm.
    pub fn smoothed(&self) -> Option<f32> {
        self.tracker.smoothed()
    }

    /// Distance from the resting spot that still counts as held: `HOLD_RANGE_CM`, or wider for noisy keypoints
    /// (the band a still smoothed position stays in with `REVERSAL_SIGMAS` confidence, and the slow wander measured
    /// around the recent passes' straight lines).
    pub fn still_band(&self) -> f32 {
        // Wander = what the smoothed positions' residual around the passes holds beyond the smoothed white noise.
        let (resid, white) = (self.tracker.residual().unwrap_or(0.0), self.tracker.smoothed_sigma());
        let wander = WANDER_BAND_RMS * (resid * resid - white * white).max(0.0).sqrt();
        HOLD_RANGE_CM.max(REVERSAL_SIGMAS * self.tracker.smoothed_sigma()).max(wander)
    }

    /// How long the contact must stay in the band to be a stop: at least `HOLD_WINDOW_S`, and longer than a turn
    /// at the rolling speed stays inside it (4 band half-widths at that speed, plus a tenth).
    pub fn still_window(&self, rolling_cm_s: f32) -> f64 {
        let turn = 4.0 * self.still_band() / rolling_cm_s.max(0.1);
        HOLD_WINDOW_S.max(1.1 * turn as f64)
    }

    /// Where the roller rests (mean of the stillness window's second half), since when (the knee of a
    /// moving-then-still fit to the raw positions since the last turn, `StillDetector::stop_onset`), and the RMS of
    /// the smoothed contact around the rest over the window.
    pub fn settled(&self, t: f64) -> (f32, f64, f32) {
        let anchor = self.still.anchor(self.last_window).or(self.smoothed()).unwrap_or(0.0);
        let turn = self.tracker.last_turn_before(t - 0.5 * self.last_window);
        let since = self.still.stop_onset(self.last_window, turn, self.last_max_slope).unwrap_or(t - HOLD_WINDOW_S);
        (anchor, since, self.still.rms_around(anchor, self.last_window))
    }

    /// A hold began at `since`: its time does not count in the pass's speed.
    pub fn pause(&mut self, since: f64) {
        self.tracker.pause(since);
    }

    /// The hold ended at `end`; stillness is judged afresh.
    pub fn resume(&mut self) {
        self.tracker.resume();
        self.still.reset();
        self.mean_still.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A contact at `t` along an 80 px segment (33 cm at 2.4 px per cm).
    fn contact(t: f32) -> SegmentContact {
        SegmentContact {
            t,
            len_px: 80.0,
            gap_px: 2.0,
            score_cm: 1.0,
            from_px: P2::new(100.0, 200.0),
            to_px: P2::new(180.0, 200.0),
            side: 0,
            travel_px: None,
        }
    }

    /// Fastest speed measured over 6 s at 15 fps with the contact at `place(frame)`.
    fn fastest(place: impl Fn(usize) -> f32) -> f32 {
        let mut m = ContactMotion::new(15.0);
        let params = MotionParams { region_share: 0.5, target_speed_cm_s: 2.5 };
        (0..90)
            .filter_map(|i| m.push(i as f64 / 15.0, &contact(place(i)), 2.4, params, None).speed)
            .fold(0.0, f32::max)
    }

    #[test]
    fn a_pinned_contact_moves_with_the_tools_travel() {
        // seated on the tool with the thigh drawn up: the place stays at the hip while the tool travels 3 cm/s
        let mut m = ContactMotion::new(15.0);
        let params = MotionParams { region_share: 0.5, target_speed_cm_s: 2.5 };
        let mut last = None;
        for i in 0..60 {
            let travel = -30.0 + 3.0 * 2.4 * i as f32 / 15.0;
            let c = SegmentContact { t: 0.0, travel_px: Some(travel), ..contact(0.0) };
            last = m.push(i as f64 / 15.0, &c, 2.4, params, Some(P2::new(0.0, 0.0))).speed;
        }
        let v = last.expect("a speed");
        assert!((v - 3.0).abs() < 0.3, "{v} cm/s");
    }

    #[test]
    fn a_contact_flipping_between_two_places_is_not_rolling_fast_rolling_is() {
        // re-fits 9 cm apart, every 10 frames, with 1 mm of jitter: no motion worth a fault (it read 6-21 cm/s)
        let flips = fastest(|i| if (i / 10) % 2 == 0 { 0.02 } else { 0.29 } + 0.003 * (i % 3) as f32);
        assert!(flips < 1.0, "{flips} cm/s");
        // rolling at 30 cm/s (the synthetic too-fast speed: 2 cm per frame) back and forth over 20 cm is measured
        let leg = 10usize;
        let rolling = fastest(|i| {
            let k = i % (2 * leg);
            let step = if k < leg { k } else { 2 * leg - k } as f32;
            0.1 + step * 2.0 / 33.33
        });
        assert!((rolling - 30.0).abs() < 6.0, "{rolling} cm/s");
    }
}
