//! Temporal tracking with hysteresis: a roller is reported only after it has been seen at a steady place, size and
//! colour for `ON_S` seconds, and then held through short misses. Once confirmed, its size and colour are
//! priors: later candidates must match them (a foam roller does not change size or colour).
//!
//! Every span is in seconds from the frames' times, not in frames: a variable-frame-rate clip (frames dropped under
//! load), or the live loop skipping roller steps, gives irregular intervals, and a per-frame gate or share would
//! then mean a different time (issue 12).

use super::candidates::Candidate;
use super::crop::colour_distance;
use super::verify::Verified;
use crate::landmarks::ToolKind;
use crate::stats::ema_share;

/// A confirmed challenger replaces a confirmed main track when the main track has gone unseen this long (as long as
/// a new track needs to be confirmed, [`ON_S`]; a single missed search was enough before) ...
const SWAP_AFTER_MISSING_S: f64 = ON_S;
/// ... or when it scores better and has been tracked this long: a wrong first lock is still given up, but a circle
/// that looks better for a moment no longer takes over (with frames dropped from the 30 s quads passes render, a
/// circle on the body 50 px above the roller, confirmed after 0.3 s, took over for 0.3 s and cut a pass in two).
const SWAP_MIN_LIFE_S: f64 = 1.0;
/// A track is reported once it has been hit over this long (the "on" threshold of the hysteresis): 6 frames at
/// 15 fps (the rendered samples' rate), 0.3 s of a steady roller at any rate; a flicker of a few frames never reaches
/// it.
pub const ON_S: f64 = 0.3;
/// ... and by at least this many hits by candidates that may start a track (`Candidate::starts_track`): where
/// frames are dropped, or the live loop runs the roller step on a share of the frames only, 0.3 s can pass in 2-3
/// searched frames, and a circle that flickers on and off (tentative tracks
/// survive 2 searched misses, and the skipped frames hide the misses) was confirmed (samples/bridging.mp4 in `live`
/// under load). 6 hits is what `ON_S` means at the rendered samples' 15 fps, so constant-rate clips at 15 fps are
/// judged as before.
pub const ON_MIN_HITS: u32 = 6;
/// Consecutive frames searched without a hit that end a track that is not yet confirmed (counted in frames that
/// were looked at: a frame the clip dropped is no evidence against the track).
const TENTATIVE_MAX_MISSES: u32 = 2;
/// A confirmed roller is held this long after its last hit (10 frames at 15 fps; detector misses last a few frames).
pub const HOLD_S: f64 = 2.0 / 3.0;
/// What a detection must match to continue a track (`Track::matches`).
struct Gate {
    /// Largest distance of a new detection from the track's last detected centre, in roller radii: the detections'
    /// jitter (~0.2 r, both ends) plus the fastest roller motion times the time since the last hit. A roller rolls
    /// at half the body's speed: ideal rolling (2.5 cm/s) moves it 0.17 r/s, the too-fast sample (35 cm/s) 2.3 r/s,
    /// so 6 r/s is beyond any rolling. Measured from the last detection, not the smoothed position: the smoothing
    /// lags by about a frame, and at 35 cm/s a lag plus a frame's motion fell outside a per-frame gate of 0.6 r on
    /// every other frame (it_band_too_fast: the roller was held still there and the contact jumped ahead by up to
    /// 0.2 of the thigh).
    jitter_r: f32,
    speed_r_per_s: f32,
    /// Largest relative radius change (Hough radius jitter ~2 px on a 13 px circle).
    size_tol: f32,
    /// Largest mean absolute BGR difference ([`colour_distance`], 8-bit levels) from a confirmed track's colour
    /// (shading by the body on top changes a roller's end face by ~20 levels in the renders).
    colour_tol: f32,
}
const GATE: Gate = Gate { jitter_r: 0.3, speed_r_per_s: 6.0, size_tol: 0.25, colour_tol: 45.0 };
/// The gate for an end face's edge continuing a track whose last hit was learned: the learned centre is off by
/// ~0.2-0.4 r and up to ~1 r where it marks the cylinder's middle rather than its end face, its radius by ~20 %
/// (held out: tools/train_roller/roller_detector.metrics.json), on top of the circles' own jitter. With `GATE`
/// alone the end face became a rival track: on a variable-frame-rate copy of quads_clean a learned hit 0.85 r
/// behind the end face (r 16 against 20) started the track, the circles could not continue it, and the roller
/// was confirmed at 1.4 s instead of 0.33 s, too late for the clip's one pass to count.
const LEARNED_GATE: Gate = Gate { jitter_r: 1.0, size_tol: 0.45, ..GATE };
/// Time constants (s) of the track's position, and of its size and colour before / after confirmation: shares of a
/// new measurement of 0.5, 0.5 and 0.1 per frame at 15 fps (`stats::ema_share`).
struct TrackTaus {
    pos_s: f64,
    prior_tentative_s: f64,
    prior_confirmed_s: f64,
}
const TAU: TrackTaus = TrackTaus { pos_s: 0.096, prior_tentative_s: 0.096, prior_confirmed_s: 0.633 };
/// Share of a new hit in the track's precise share (hits located by an end-face edge, `Verified::precise`): a share
/// of the recent hits, so per hit.
const PRECISE_EMA: f32 = 0.2;
/// A track located precisely in at least this share of its recent hits does not move (nor turn its axis) on an
/// imprecise hit (a learned centre alone jitters by ~0.2-0.4 r, which reads as speed); the hit still keeps the track
/// alive.
const PRECISE_LOCK: f32 = 0.5;
/// Time constant of the confidence (s): a share of 0.2 per frame at 15 fps.
const CONFIDENCE_TAU_S: f64 = 0.299;
/// Share of a new learned hit in the track's axis (end face to far end, in radii) and in its ball vote: like
/// `PRECISE_EMA` a share of the recent hits, so per hit. A roller turns slowly; a learned axis end alone is off by
/// ~0.3-0.7 r (held out: tools/train_roller/roller_detector.metrics.json), and seen end-on its direction is noise,
/// which averages towards zero length instead of flipping the contact along the cylinder.
const AXIS_EMA: f32 = 0.2;

/// Largest step of a circle from the tracked end face's last detected centre that continues it, in radii
/// (`TrackedEndFace::continued_by`): the gate's jitter plus a frame of the fastest rolling (2.3 r/s at 15 fps).
const FACE_STEP_R: f32 = 0.5;

/// A confirmed track's end face, located by its edge, as the circle verification sees it (`verify::verify`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackedEndFace {
    /// Last detected centre and the track's radius, image pixels.
    pub cx: f32,
    pub cy: f32,
    pub r: f32,
    /// The track's colour prior (BGR).
    pub colour: [f32; 3],
}

impl TrackedEndFace {
    /// Whether a circle `c` whose inside has `colour` is this end face again: in place, of its size and colour.
    pub fn continued_by(&self, c: &Candidate, colour: [f32; 3]) -> bool {
        (c.cx - self.cx).hypot(c.cy - self.cy) <= FACE_STEP_R * self.r
            && (c.r / self.r - 1.0).abs() <= GATE.size_tol
            && colour_distance(colour, self.colour) <= GATE.colour_tol
    }
}

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
    /// Hits by candidates that may start a track (the mean score is over these).
    pub strong_hits: u32,
    /// Frames searched without a hit since the last hit.
    pub misses: u32,
    /// Times of the first and the last hit, s.
    pub first_t: f64,
    pub last_hit_t: f64,
    pub confirmed: bool,
    /// Running share of hits that were precise (`PRECISE_EMA`).
    pub precise_share: f32,
    /// Smoothed axis from the end face to the far end, in radii (`AXIS_EMA`), once a source has seen one.
    pub axis_r: Option<[f32; 2]>,
    /// Running share of learned hits that called the tool a ball (`AXIS_EMA`), once the learned source saw it.
    pub ball_share: Option<f32>,
}

impl Track {
    fn new(v: &Verified, t: f64) -> Self {
        Self {
            last: *v,
            cx: v.cand.cx,
            cy: v.cand.cy,
            r: v.cand.r,
            colour: v.colour,
            score: v.score,
            hits: 1,
            strong_hits: 1,
            misses: 0,
            first_t: t,
            last_hit_t: t,
            confirmed: false,
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

    /// The tool's kind by the learned hits' vote, once the learned source has seen it (a track only circles saw
    /// has none).
    pub fn learned_kind(&self) -> Option<ToolKind> {
        self.ball_share.map(|_| self.kind())
    }

    /// Whether the track is located by its end face's edge (most recent hits precise, `PRECISE_LOCK`).
    pub fn located_by_end_face(&self) -> bool {
        self.precise_share >= PRECISE_LOCK
    }

    /// The end face of a confirmed track located by it.
    pub fn end_face(&self) -> Option<TrackedEndFace> {
        (self.confirmed && self.located_by_end_face()).then_some(TrackedEndFace {
            cx: self.last.cand.cx,
            cy: self.last.cand.cy,
            r: self.r,
            colour: self.colour,
        })
    }

    /// The smoothed axis in image pixels, [end face, far end], from the track's end face.
    pub fn axis(&self) -> Option<[[f32; 2]; 2]> {
        self.axis_r.map(|d| [[self.cx, self.cy], [self.cx + d[0] * self.r, self.cy + d[1] * self.r]])
    }

    /// Whether `v`, seen at `t`, continues this track. An end face's edge (a precise hit) continues a track the
    /// learned detector located (not by an end face) within that detector's errors (`LEARNED_GATE`).
    fn matches(&self, v: &Verified, t: f64) -> bool {
        let d = (v.cand.cx - self.last.cand.cx).hypot(v.cand.cy - self.last.cand.cy);
        let since = (t - self.last_hit_t).max(0.0) as f32;
        let gate = if v.precise && !self.last.precise { &LEARNED_GATE } else { &GATE };
        d <= (gate.jitter_r + gate.speed_r_per_s * since) * self.r
            && (v.cand.r / self.r - 1.0).abs() <= gate.size_tol
            && (!self.confirmed || colour_distance(v.colour, self.colour) <= gate.colour_tol)
    }

    /// Continues the track with `v`, seen at `t`; `circles_searched` says whether an end face could have been fitted
    /// on this frame (its precise share is judged only on such frames).
    fn hit(&mut self, v: &Verified, t: f64, circles_searched: bool) {
        let dt = t - self.last_hit_t;
        let learn = ema_share(dt, if self.confirmed { TAU.prior_confirmed_s } else { TAU.prior_tentative_s });
        if v.precise || !self.located_by_end_face() {
            let a = ema_share(dt, TAU.pos_s);
            self.cx += a * (v.cand.cx - self.cx);
            self.cy += a * (v.cand.cy - self.cy);
            // An end face's edge measures the size the learned detector only estimates (~20 % off): until the track
            // is located by its end face, the edge's radius is taken up like its position, not at the slow prior
            // rate (a track started from a learned radius 20 % small kept it for a second after confirmation and
            // the body scale took the stated diameter for wrong meanwhile).
            let size_share = if v.precise && !self.located_by_end_face() { a.max(learn) } else { learn };
            self.r += size_share * (v.cand.r - self.r);
            // The axis likewise: a track located by its end face's edge is a roller seen end-on, and a learned axis
            // from a frame where no circle fitted was 2-3 r long along the body in side views (it moved the contact
            // from the end face's foot to the cylinder's top line, and back once refined hits shrank it).
            smooth(&mut self.axis_r, axis_in_radii(v));
        }
        // Judged only where circles were fitted: `auto` fits none on most frames of a tool only the learned detector
        // locates (`RollerDetector::circles_due`), and those frames say nothing about whether an end face shows.
        if circles_searched {
            self.precise_share += PRECISE_EMA * (f32::from(u8::from(v.precise)) - self.precise_share);
        }
        self.hits += 1;
        // A weak hit (one that could not start a track) moves the track but does not teach it: its kind is less
        // often right (93 % at 0.50 against 95 % at 0.60 on held-out renders, tools/train_roller/roller_detector.
        // curve.json; two weak "ball" calls flipped quads_clean's roller to a ball), and its colour and score would
        // drift the priors.
        if v.cand.starts_track {
            self.learn_from(v, learn);
        }
        self.misses = 0;
        self.last = *v;
        self.last_hit_t = t;
        self.confirmed |= t - self.first_t >= ON_S - 1e-9 && self.strong_hits >= ON_MIN_HITS;
    }

    /// The kind vote, colour prior and mean score, from a hit that may start a track.
    fn learn_from(&mut self, v: &Verified, learn: f32) {
        if let Some(b) = ball_vote(v) {
            let share = self.ball_share.get_or_insert(b);
            *share += AXIS_EMA * (b - *share);
        }
        for k in 0..3 {
            self.colour[k] += learn * (v.colour[k] - self.colour[k]);
        }
        self.strong_hits += 1;
        self.score += (v.score - self.score) / self.strong_hits as f32;
    }

    /// Counts a miss at `t`; `false` when the track should end (a confirmed one `hold_s` after its last hit).
    fn miss(&mut self, t: f64, hold_s: f64) -> bool {
        self.misses += 1;
        if self.confirmed {
            t - self.last_hit_t <= hold_s + 1e-9
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

/// A candidate's axis (end face to far end) in its radii, if its source saw one. A circle sees a round end face: the
/// roller points at the camera and its cylinder is foreshortened to nothing (zero length), so a track the circles
/// keep hitting shrinks an axis a learned hit gave it (a learned roller in a side view, drawn 2-3 r along the body,
/// had started a track that circles then followed: its contact stayed on that axis's top line).
fn axis_in_radii(v: &Verified) -> Option<[f32; 2]> {
    match v.cand.axis {
        Some([p, q]) => Some([(q[0] - p[0]) / v.cand.r, (q[1] - p[1]) / v.cand.r]),
        None if v.cand.origin == super::Origin::Circle => Some([0.0, 0.0]),
        None => None,
    }
}

/// The tracked roller and a challenger that may replace it.
#[derive(Debug, Default)]
pub struct Tracker {
    main: Option<Track>,
    challenger: Option<Track>,
    confidence: f32,
    /// Time of the last step, s.
    last_t: Option<f64>,
}

impl Tracker {
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The confirmed roller, if there is one.
    pub fn confirmed(&self) -> Option<&Track> {
        self.main.as_ref().filter(|m| m.confirmed)
    }

    /// Feeds the verified candidates (any order) of the frame at `t` (s), on which circles were searched or not;
    /// returns the confirmed roller, if any, and its confidence. A confirmed roller is held `hold_s` after its last
    /// hit.
    pub fn step(&mut self, t: f64, cands: &[Verified], circles_searched: bool, hold_s: f64) -> Option<(Track, f32)> {
        let best = |pred: &dyn Fn(&Verified) -> bool| {
            cands.iter().filter(|v| pred(v)).max_by(|a, b| a.score.total_cmp(&b.score))
        };
        // Two-threshold association (ByteTrack): a track is continued by any candidate in its gate, weak learned ones
        // included; starting a track takes a candidate that may start one, and confirming it `ON_MIN_HITS` hits by
        // such candidates (`Track::hit`). A weak hit keeps a tentative track alive where no strong one continues it
        // (a weak learned candidate outscores any circle, and taken over a circle in the same gate it had delayed
        // the confirmation of a side view's circle track: tests/vfr.rs): an oblique roller the model saw at
        // 0.61-0.65 in most frames and above the start confidence `auto` then had (0.65) in a third of them had its
        // tentative tracks ended by the frames between those (d_upper_back_az40_el30, a development clip).
        let main_hit = self.main.and_then(|m| {
            best(&|v| m.matches(v, t) && (m.confirmed || v.cand.starts_track)).or_else(|| best(&|v| m.matches(v, t))).copied()
        });
        match (self.main.as_mut(), main_hit) {
            (Some(m), Some(v)) => m.hit(&v, t, circles_searched),
            (Some(m), None) => {
                if !m.miss(t, hold_s) {
                    self.main = None;
                }
            }
            (None, _) => self.main = best(&|v| v.cand.starts_track).map(|v| Track::new(v, t)),
        }
        self.step_challenger(t, cands, circles_searched, hold_s);
        self.update_confidence(t, main_hit.is_some());
        self.main.filter(|m| m.confirmed).map(|m| (m, self.confidence))
    }

    /// The best candidate away from the main track builds a challenger; a confirmed challenger that scores better
    /// than the main track replaces it (a wrong first lock cannot keep winning on proximity alone).
    fn step_challenger(&mut self, t: f64, cands: &[Verified], circles_searched: bool, hold_s: f64) {
        let Some(main) = self.main else {
            self.challenger = None;
            return;
        };
        let other = cands
            .iter()
            .filter(|v| v.cand.starts_track && !main.matches(v, t))
            .max_by(|a, b| a.score.total_cmp(&b.score));
        match (self.challenger.as_mut(), other) {
            (Some(c), Some(v)) if c.matches(v, t) => c.hit(v, t, circles_searched),
            (_, Some(v)) => self.challenger = Some(Track::new(v, t)),
            (Some(c), None) => {
                if !c.miss(t, hold_s) {
                    self.challenger = None;
                }
            }
            (None, None) => {}
        }
        if let Some(c) = self.challenger.filter(|c| c.confirmed && c.misses == 0) {
            let main_lost = t - main.last_hit_t >= SWAP_AFTER_MISSING_S - 1e-9;
            let better_for_long = c.score > main.score && t - c.first_t >= SWAP_MIN_LIFE_S - 1e-9;
            if !main.confirmed || main_lost || better_for_long {
                self.main = Some(c);
                self.challenger = None;
                self.confidence = 0.5;
            }
        }
    }

    fn update_confidence(&mut self, t: f64, hit: bool) {
        // The first frame counts as one 15 fps frame (the rate the time constant was tuned at).
        let a = ema_share(self.last_t.map_or(1.0 / 15.0, |t0| t - t0), CONFIDENCE_TAU_S);
        self.last_t = Some(t);
        if hit {
            self.confidence += a * (1.0 - self.confidence);
        } else {
            self.confidence *= 1.0 - a;
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
            starts_track: true,
        };
        let segment = Segment { a: (0.0, 80.0), b: (200.0, 80.0) };
        Verified { cand, segment, support: 1.0, colour: [90.0; 3], score: 6.0, precise: true }
    }

    /// A learned hit at (100, 100) with radius 8 (not located by an edge), and an end face 8.5 px ahead of it with
    /// radius 11 (located by its edge): the learned centre ~1 r behind the end face and its radius 27 % small, as on
    /// a variable-frame-rate copy of quads_clean (16 px against 22).
    fn learned_then_face() -> (Verified, Verified) {
        let mut learned = learned_hit([100.0, 100.0]);
        learned.precise = false;
        learned.cand.r = 8.0;
        let mut face = learned_hit([108.5, 100.0]);
        face.cand.cx = 108.5;
        face.cand.r = 11.0;
        face.cand.axis = None;
        (learned, face)
    }

    #[test]
    fn an_end_face_continues_a_track_the_learned_detector_started_off_centre_and_small() {
        let (learned, face) = learned_then_face();
        let mut tr = Tracker::default();
        tr.step(0.0, &[learned], true, HOLD_S);
        let found = (1..=8).map(|i| tr.step(i as f64 / 15.0, &[face], true, HOLD_S)).last().flatten();
        let (track, _) = found.expect("confirmed");
        assert_eq!(track.first_t, 0.0, "the learned hit's track goes on");
        assert!((track.cx - 108.5).abs() < 0.5 && (track.r - 11.0).abs() < 0.5, "{track:?}");
    }

    #[test]
    fn a_confirmed_learned_track_takes_up_an_end_face_radius_at_once() {
        let (learned, face) = learned_then_face();
        let mut tr = Tracker::default();
        for i in 0..8 {
            tr.step(i as f64 / 15.0, &[learned], true, HOLD_S);
        }
        assert!(tr.confirmed().is_some_and(|t| t.r == 8.0));
        for i in 8..11 {
            tr.step(i as f64 / 15.0, &[face], true, HOLD_S);
        }
        // Three edge hits at the position's share (0.5 at 15 fps): 8 -> 10.6; at the confirmed prior rate: 8.8.
        let r = tr.confirmed().map(|t| t.r);
        assert!(r.is_some_and(|r| r > 10.0), "{r:?}");
    }

    #[test]
    fn an_axis_flipping_between_frames_averages_towards_end_on() {
        // Seen end-on, the learned far end lands either side of the end face (1.5 r each way): the smoothed axis
        // shrinks instead of swinging the contact from one end of the cylinder to the other.
        let mut t = Track::new(&learned_hit([115.0, 100.0]), 0.0);
        for i in 0..30 {
            let x = if i % 2 == 0 { 85.0 } else { 115.0 };
            t.hit(&learned_hit([x, 100.0]), (i + 1) as f64 / 15.0, true);
        }
        let [p, q] = t.axis().unwrap();
        assert!((q[0] - p[0]).hypot(q[1] - p[1]) < 0.3 * t.r, "{:?}", t.axis_r);
    }

    fn with_confidence(conf: f32, starts_track: bool) -> Verified {
        let mut v = learned_hit([140.0, 110.0]);
        v.cand.score = conf;
        v.cand.starts_track = starts_track;
        v.score = 5.0 + conf;
        v
    }

    #[test]
    fn weak_learned_candidates_continue_a_confirmed_track_but_never_start_one() {
        let weak = with_confidence(0.55, false);
        let mut tr = Tracker::default();
        let times = |from: u32, n: u32| (from..from + n).map(|i| i as f64 / 15.0);
        assert!(times(0, 30).all(|t| tr.step(t, &[weak], true, 0.5).is_none()), "weak ones alone confirmed a track");
        tr.reset();
        let strong = with_confidence(0.9, true);
        let confirmed = times(0, 10).map(|t| tr.step(t, &[strong], true, 0.5).is_some()).last();
        assert_eq!(confirmed, Some(true), "strong ones did not confirm a track");
        assert!(times(10, 30).all(|t| tr.step(t, &[weak], true, 0.5).is_some()), "the confirmed track was dropped");
    }

    #[test]
    fn weak_learned_candidates_keep_a_tentative_track_that_strong_ones_confirm() {
        let (weak, strong) = (with_confidence(0.55, false), with_confidence(0.9, true));
        let mut tr = Tracker::default();
        // Strong every third frame, weak between: two misses in a row would have ended the tentative track.
        let found: Vec<bool> = (0..18)
            .map(|i| tr.step(i as f64 / 15.0, &[if i % 3 == 0 { strong } else { weak }], true, 0.5).is_some())
            .collect();
        let confirmed_at = found.iter().position(|f| *f);
        assert_eq!(confirmed_at, Some(3 * (ON_MIN_HITS as usize - 1)), "{found:?}");
    }

    fn circle_at(x: f32, score: f32) -> Verified {
        let mut v = learned_hit([x, 100.0]);
        v.cand = Candidate { cx: x, axis: None, origin: Origin::Circle, ..v.cand };
        v.score = score;
        v
    }

    #[test]
    fn a_better_challenger_takes_over_only_after_a_second_or_when_the_roller_is_gone() {
        let (roller, other) = (circle_at(100.0, 3.5), circle_at(300.0, 4.0));
        let at = |i: u32| i as f64 / 15.0;
        let x = |found: Option<(Track, f32)>| found.map(|f| f.0.cx.round());
        let mut tr = Tracker::default();
        (0..10).for_each(|i| {
            tr.step(at(i), &[roller], true, 0.5);
        });
        // Both seen: the better-scoring circle elsewhere is confirmed after 0.3 s but only wins after 1 s.
        let seen: Vec<_> = (10..30).map(|i| x(tr.step(at(i), &[roller, other], true, 0.5))).collect();
        assert!(seen[..14].iter().all(|c| *c == Some(100.0)), "{seen:?}");
        assert_eq!(seen.last(), Some(&Some(300.0)), "{seen:?}");
        // A roller that stops being seen is given up for a confirmed challenger after 0.3 s, not at the first miss.
        let mut tr = Tracker::default();
        (0..10).for_each(|i| {
            tr.step(at(i), &[roller], true, 0.5);
        });
        let weak_other = circle_at(300.0, 3.0);
        (10..20).for_each(|i| {
            tr.step(at(i), &[roller, weak_other], true, 0.5);
        });
        let gone: Vec<_> = (20..30).map(|i| x(tr.step(at(i), &[weak_other], true, 0.5))).collect();
        assert_eq!(gone[0], Some(100.0), "{gone:?}");
        assert!(gone[5..].iter().all(|c| *c == Some(300.0)), "{gone:?}");
    }

    #[test]
    fn a_steady_axis_is_kept() {
        let mut t = Track::new(&learned_hit([140.0, 110.0]), 0.0);
        for i in 0..10 {
            t.hit(&learned_hit([140.0, 110.0]), (i + 1) as f64 / 15.0, true);
        }
        let [p, q] = t.axis().unwrap();
        assert!(((q[0] - p[0]) - 40.0).abs() < 0.5 && ((q[1] - p[1]) - 10.0).abs() < 0.5, "{:?}", t.axis());
    }

    fn axis_len_r(t: &Track) -> f32 {
        t.axis_r.map_or(0.0, |d| d[0].hypot(d[1]))
    }

    #[test]
    fn a_learned_hit_without_a_circle_neither_moves_nor_turns_a_track_located_by_its_end_face() {
        let mut t = Track::new(&circle_at(100.0, 3.5), 0.0);
        let mut imprecise = learned_hit([140.0, 70.0]);
        imprecise.precise = false;
        imprecise.cand.cx = 104.0;
        t.hit(&imprecise, 1.0 / 15.0, true);
        assert!(t.located_by_end_face() && t.cx == 100.0, "moved to {}", t.cx);
        assert_eq!(axis_len_r(&t), 0.0, "{:?}", t.axis_r);
    }

    #[test]
    fn circles_shrink_the_axis_a_learned_hit_started_a_track_with() {
        let mut first = learned_hit([130.0, 70.0]);
        first.precise = false;
        let mut t = Track::new(&first, 0.0);
        assert!(axis_len_r(&t) > 4.0);
        for i in 0..15 {
            t.hit(&circle_at(100.0, 3.5), (i + 1) as f64 / 15.0, true);
        }
        assert!(axis_len_r(&t) < 0.5 * super::super::END_ON_HALF_LEN_R, "{:?}", t.axis_r);
    }
}
