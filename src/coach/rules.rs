//! Temporal building blocks of the rules: debounced on/off conditions with back-dated onsets, a rolling-motion
//! tracker (windowed speed, reversals, passes) and region coverage. All pure; time in seconds, positions in cm.

use std::collections::VecDeque;

/// A debounced boolean condition. It turns on after the raw condition held for `on_s` and off after it was false
/// for `off_s`; the reported start is when the raw condition first became true (so debounce delays the cue, not
/// the event time) and the reported end is when it last became false.
#[derive(Debug, Clone)]
pub struct Debounce {
    on_s: f64,
    off_s: f64,
    active: bool,
    raw_on_since: Option<f64>,
    raw_off_since: Option<f64>,
    start: f64,
    bridge_s: f64,
    /// Start and end of the last raw run that did not activate.
    last_run: Option<(f64, f64)>,
}

/// What [`Debounce::update`] saw happen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Edge {
    None,
    Started { start: f64 },
    Ended { start: f64, end: f64 },
}

impl Debounce {
    pub fn new(on_s: f64, off_s: f64) -> Self {
        Self::with_bridge(on_s, off_s, 0.0)
    }

    /// Like `new`; in addition, a raw run that activates starts at an earlier, too-short run when the gap between
    /// them is at most `bridge_s` (e.g. a speed burst cut short by a reversal just before it).
    pub fn with_bridge(on_s: f64, off_s: f64, bridge_s: f64) -> Self {
        Self {
            on_s,
            off_s,
            active: false,
            raw_on_since: None,
            raw_off_since: None,
            start: 0.0,
            bridge_s,
            last_run: None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Start time of the current event (valid while active).
    pub fn start(&self) -> f64 {
        self.start
    }

    pub fn update(&mut self, t: f64, raw: bool) -> Edge {
        self.update_since(t, raw, None)
    }

    /// Like `update`, but when the raw condition starts now, its onset may be back-dated to `since` (used when a
    /// condition could only be evaluated after a recognition delay).
    pub fn update_since(&mut self, t: f64, raw: bool, since: Option<f64>) -> Edge {
        if raw {
            self.raw_off_since = None;
            let on_since = *self.raw_on_since.get_or_insert(since.map_or(t, |s| s.min(t)));
            if !self.active && t - on_since >= self.on_s - 1e-9 {
                self.active = true;
                let start = match self.last_run {
                    Some((s0, e0)) if on_since - e0 <= self.bridge_s + 1e-9 => s0,
                    _ => on_since,
                };
                self.last_run = None;
                self.start = start;
                return Edge::Started { start };
            }
        } else {
            if let (Some(s0), false) = (self.raw_on_since, self.active) {
                // A run too short to activate; remember it for bridging.
                let s0 = match self.last_run {
                    Some((p0, p1)) if s0 - p1 <= self.bridge_s + 1e-9 => p0,
                    _ => s0,
                };
                self.last_run = Some((s0, t));
            }
            self.raw_on_since = None;
            if self.active {
                let off_since = *self.raw_off_since.get_or_insert(t);
                if t - off_since >= self.off_s - 1e-9 {
                    self.active = false;
                    self.raw_off_since = None;
                    return Edge::Ended {
                        start: self.start,
                        end: off_since,
                    };
                }
            }
        }
        Edge::None
    }

    /// Ends an active event now (end of track, exercise change). The end is when the raw condition went false if it
    /// already had, else `t`.
    pub fn force_end(&mut self, t: f64) -> Edge {
        let edge = if self.active {
            Edge::Ended {
                start: self.start,
                end: self.raw_off_since.unwrap_or(t),
            }
        } else {
            Edge::None
        };
        self.active = false;
        self.raw_on_since = None;
        self.raw_off_since = None;
        self.last_run = None;
        edge
    }
}

/// One completed pass (reversal to reversal).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Pass {
    pub start: f64,
    pub end: f64,
    /// Positions along the segment in cm from the proximal landmark.
    pub from_cm: f32,
    pub to_cm: f32,
    /// Rolling speed of the pass (regression over the raw positions of its middle part), cm/s.
    pub speed_cm_s: f32,
}

/// Window of the speed regression, s.
pub const SPEED_WINDOW_S: f64 = 0.5;
/// Window of the steadier display speed, s.
pub const DISPLAY_SPEED_WINDOW_S: f64 = 1.0;
/// Share of the window that must be filled before a speed is reported (a short fit is noisy).
const MIN_SPEED_SPAN: f64 = 0.7;
/// Fewest samples for a speed estimate.
const MIN_SPEED_SAMPLES: usize = 5;
/// Smallest retreat from an extreme that counts as a reversal, cm.
pub const REVERSAL_CM: f32 = 1.5;
/// Shortest movement that counts as a pass, cm.
pub const MIN_PASS_CM: f32 = 4.0;
/// Middle share of a pass used for its speed (the turns at both ends are excluded).
const PASS_CORE: f64 = 0.6;
/// Below this speed the contact counts as resting, cm/s.
const STILL_CM_S: f32 = 0.5;

/// Follows the contact position over time: speed by linear regression over a short window, reversals with
/// hysteresis, completed passes with their speeds.
#[derive(Debug, Clone)]
pub struct MotionTracker {
    window: VecDeque<(f64, f32)>,
    dir: i8,
    ext_t: f64,
    ext_pos: f32,
    pass_start: Option<(f64, f32)>,
    pass_samples: Vec<(f64, f32)>,
    speed: Option<f32>,
    smoothed: Option<f32>,
    display_speed: Option<f32>,
}

/// Linear regression slope and fitted value at `t_end` over `(t, pos)` samples; `None` when degenerate.
fn fit<'a>(samples: impl Iterator<Item = &'a (f64, f32)> + Clone, t_end: f64) -> Option<(f64, f32)> {
    let (mut n, mut st, mut sp) = (0usize, 0.0f64, 0.0f64);
    for &(ti, pi) in samples.clone() {
        n += 1;
        st += ti;
        sp += pi as f64;
    }
    if n < 2 {
        return None;
    }
    let (mt, mp) = (st / n as f64, sp / n as f64);
    let (mut stt, mut stp) = (0.0, 0.0);
    for &(ti, pi) in samples {
        stt += (ti - mt) * (ti - mt);
        stp += (ti - mt) * (pi as f64 - mp);
    }
    if stt <= 1e-12 {
        return None;
    }
    let slope = stp / stt;
    Some((slope, (mp + slope * (t_end - mt)) as f32))
}

impl MotionTracker {
    pub fn new(fps: f64) -> Self {
        let cap = ((DISPLAY_SPEED_WINDOW_S * fps.max(1.0)).ceil() as usize + 4).max(8);
        Self {
            window: VecDeque::with_capacity(cap),
            dir: 0,
            ext_t: 0.0,
            ext_pos: 0.0,
            pass_start: None,
            pass_samples: Vec::with_capacity(cap * 32),
            speed: None,
            smoothed: None,
            display_speed: None,
        }
    }

    pub fn reset(&mut self) {
        self.window.clear();
        self.dir = 0;
        self.pass_start = None;
        self.pass_samples.clear();
        self.speed = None;
        self.smoothed = None;
        self.display_speed = None;
    }

    /// Signed speed (cm/s, + toward the distal end) from the last update.
    pub fn speed(&self) -> Option<f32> {
        self.speed
    }

    /// Regression-smoothed position from the last update.
    pub fn smoothed(&self) -> Option<f32> {
        self.smoothed
    }

    /// Steadier speed for display and per-frame metrics: regression over `DISPLAY_SPEED_WINDOW_S` (blurs turns
    /// more than [`speed`](Self::speed), which the rules use).
    pub fn display_speed(&self) -> Option<f32> {
        self.display_speed
    }

    /// Adds a sample; returns a completed pass when a reversal was confirmed.
    pub fn push(&mut self, t: f64, pos_cm: f32) -> Option<Pass> {
        while self
            .window
            .front()
            .is_some_and(|&(t0, _)| t - t0 > DISPLAY_SPEED_WINDOW_S)
        {
            self.window.pop_front();
        }
        if self.window.len() == self.window.capacity() {
            self.window.pop_front();
        }
        self.window.push_back((t, pos_cm));
        let span = t - self.window.front().map_or(t, |w| w.0);
        self.display_speed = if span >= MIN_SPEED_SPAN * DISPLAY_SPEED_WINDOW_S {
            fit(self.window.iter(), t).map(|(s, _)| (s as f32).abs())
        } else {
            None
        };
        let recent = self.window.iter().filter(|&&(ti, _)| t - ti <= SPEED_WINDOW_S);
        let n_recent = recent.clone().count();
        let span_recent = t - recent.clone().next().map_or(t, |w| w.0);
        if n_recent < MIN_SPEED_SAMPLES || span_recent < MIN_SPEED_SPAN * SPEED_WINDOW_S {
            self.speed = None;
            self.smoothed = None;
            return None;
        }
        let Some((slope, pos)) = fit(recent, t) else {
            return None;
        };
        self.speed = Some(slope as f32);
        self.smoothed = Some(pos);
        if self.display_speed.is_none() {
            self.display_speed = Some((slope as f32).abs());
        }
        self.pass_samples.push((t, pos_cm));
        let Some((ps_t, ps_pos)) = self.pass_start else {
            self.pass_start = Some((t, pos));
            self.ext_t = t;
            self.ext_pos = pos;
            return None;
        };
        if self.dir == 0 {
            if (pos - ps_pos).abs() >= REVERSAL_CM {
                self.dir = if pos > ps_pos { 1 } else { -1 };
                self.ext_t = t;
                self.ext_pos = pos;
            } else if (slope as f32).abs() < STILL_CM_S {
                // Resting at the start: keep the start fresh so a rest is not counted as part of the pass.
                self.pass_start = Some((t, pos));
                self.pass_samples.clear();
            }
            return None;
        }
        let d = self.dir as f32;
        if (pos - self.ext_pos) * d > 0.0 {
            self.ext_pos = pos;
            self.ext_t = t;
            return None;
        }
        if (self.ext_pos - pos) * d < REVERSAL_CM {
            return None;
        }
        // Reversal confirmed at the extreme.
        let (start, end) = (ps_t, self.ext_t);
        let dist = (self.ext_pos - ps_pos).abs();
        let core0 = start + (end - start) * (1.0 - PASS_CORE) * 0.5;
        let core1 = end - (end - start) * (1.0 - PASS_CORE) * 0.5;
        // Speed of the pass: regression slope of the raw positions over its middle part (unbiased for steady
        // rolling; the turns at both ends are left out).
        let core = self.pass_samples.iter().filter(|&&(ti, _)| ti >= core0 && ti <= core1);
        let (mut n, mut st, mut sp) = (0usize, 0.0f64, 0.0f64);
        for &(ti, pi) in core.clone() {
            n += 1;
            st += ti;
            sp += pi as f64;
        }
        let speed = if n >= MIN_SPEED_SAMPLES {
            let (mt, mp) = (st / n as f64, sp / n as f64);
            let (mut stt, mut stp) = (0.0, 0.0);
            for &(ti, pi) in core {
                stt += (ti - mt) * (ti - mt);
                stp += (ti - mt) * (pi as f64 - mp);
            }
            if stt > 1e-12 {
                (stp / stt).abs() as f32
            } else {
                dist / (end - start).max(1e-3) as f32
            }
        } else {
            dist / (end - start).max(1e-3) as f32
        };
        let pass = Pass {
            start,
            end,
            from_cm: ps_pos,
            to_cm: self.ext_pos,
            speed_cm_s: speed,
        };
        let keep_from = self.pass_samples.partition_point(|&(ti, _)| ti <= end);
        self.pass_samples.drain(..keep_from);
        self.pass_start = Some((self.ext_t, self.ext_pos));
        self.dir = -self.dir;
        self.ext_t = t;
        self.ext_pos = pos;
        (dist >= MIN_PASS_CM).then_some(pass)
    }
}

/// Window over which the roller must stay within `HOLD_RANGE_CM` to count as still, s.
pub const HOLD_WINDOW_S: f64 = 1.5;
/// Largest movement of the (smoothed) contact that still counts as holding, cm.
pub const HOLD_RANGE_CM: f32 = 2.5;

/// Detects the roller resting on one spot: the smoothed contact stayed within `HOLD_RANGE_CM` over the last
/// `HOLD_WINDOW_S`.
#[derive(Debug, Clone)]
pub struct StillDetector {
    window: VecDeque<(f64, f32)>,
}

impl StillDetector {
    pub fn new(fps: f64) -> Self {
        Self {
            window: VecDeque::with_capacity((HOLD_WINDOW_S * fps.max(1.0)).ceil() as usize + 8),
        }
    }

    pub fn reset(&mut self) {
        self.window.clear();
    }

    /// Adds a smoothed position; true when the window is (almost) full and the contact stayed within range.
    pub fn push(&mut self, t: f64, pos_cm: f32) -> bool {
        while self.window.front().is_some_and(|&(t0, _)| t - t0 > HOLD_WINDOW_S) {
            self.window.pop_front();
        }
        if self.window.len() == self.window.capacity() {
            self.window.pop_front();
        }
        self.window.push_back((t, pos_cm));
        let span = t - self.window.front().map_or(t, |w| w.0);
        if span < 0.9 * HOLD_WINDOW_S {
            return false;
        }
        let (lo, hi) = self
            .window
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &(_, p)| {
                (lo.min(p), hi.max(p))
            });
        hi - lo <= HOLD_RANGE_CM
    }

    /// Earliest time in the window from which every sample lies within `tol_cm` of `pos_cm`.
    pub fn quiet_since(&self, pos_cm: f32, tol_cm: f32) -> Option<f64> {
        let mut since = None;
        for &(t, p) in self.window.iter().rev() {
            if (p - pos_cm).abs() > tol_cm {
                break;
            }
            since = Some(t);
        }
        since
    }
}

/// Number of bins the region is split into for coverage.
pub const COVERAGE_BINS: usize = 20;

/// Which parts of the region the roller has visited.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Coverage {
    bins: [bool; COVERAGE_BINS],
}

impl Coverage {
    /// Marks position `frac` within the region (0 = region start, 1 = region end).
    pub fn mark(&mut self, frac: f32) {
        if (0.0..=1.0).contains(&frac) {
            let i = ((frac * COVERAGE_BINS as f32) as usize).min(COVERAGE_BINS - 1);
            self.bins[i] = true;
        }
    }
    pub fn fraction(&self) -> f32 {
        self.bins.iter().filter(|&&b| b).count() as f32 / COVERAGE_BINS as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn debounce_ignores_short_blips_and_backdates_start() {
        let mut d = Debounce::new(0.2, 0.5);
        let mut edges = Vec::new();
        // 0.1 s blip at t=1.0: ignored. Sustained from t=2.0 to 3.0: event [2.0, 3.0].
        for i in 0..200 {
            let t = i as f64 * 0.02;
            let raw = (1.0..1.1).contains(&t) || (2.0..3.0).contains(&t);
            let e = d.update(t, raw);
            if e != Edge::None {
                edges.push(e);
            }
        }
        assert_eq!(edges.len(), 2, "{edges:?}");
        match edges[0] {
            Edge::Started { start } => assert!((start - 2.0).abs() < 1e-9),
            e => panic!("{e:?}"),
        }
        match edges[1] {
            Edge::Ended { start, end } => {
                assert!((start - 2.0).abs() < 1e-9);
                assert!((end - 3.0).abs() < 0.021, "{end}");
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn debounce_bridges_short_gaps() {
        let mut d = Debounce::new(0.1, 0.5);
        let mut n_started = 0;
        for i in 0..300 {
            let t = i as f64 / 30.0;
            // on, with 0.2 s gaps every second
            let raw = (t % 1.0) > 0.2;
            if matches!(d.update(t, raw), Edge::Started { .. }) {
                n_started += 1;
            }
        }
        assert_eq!(n_started, 1);
        assert!(matches!(d.force_end(10.0), Edge::Ended { .. }));
        assert_eq!(d.force_end(10.0), Edge::None);
    }

    #[test]
    fn bridge_joins_a_short_run_just_before() {
        let mut plain = Debounce::new(0.2, 0.5);
        let mut bridged = Debounce::with_bridge(0.2, 0.5, 0.3);
        let (mut s_plain, mut s_bridged) = (None, None);
        for i in 0..100 {
            let t = i as f64 * 0.01;
            // 0.10 s run, 0.15 s gap, then a long run.
            let raw = (0.10..0.20).contains(&t) || t >= 0.35;
            if let Edge::Started { start } = plain.update(t, raw) {
                s_plain = Some(start);
            }
            if let Edge::Started { start } = bridged.update(t, raw) {
                s_bridged = Some(start);
            }
        }
        assert!((s_plain.unwrap() - 0.35).abs() < 1e-6);
        assert!((s_bridged.unwrap() - 0.10).abs() < 1e-6);
    }

    #[test]
    fn backdated_onset_uses_since() {
        let mut d = Debounce::new(0.0, 0.5);
        assert_eq!(d.update_since(5.0, true, Some(4.6)), Edge::Started { start: 4.6 });
    }

    /// Triangle wave between `a` and `b` cm at `v` cm/s.
    fn triangle(t: f64, a: f32, b: f32, v: f32) -> f32 {
        let len = (b - a) as f64;
        let period = 2.0 * len / v as f64;
        let ph = (t % period) / period;
        let x = if ph < 0.5 { ph * 2.0 } else { 2.0 - ph * 2.0 };
        a + (x * len) as f32
    }

    #[test]
    fn passes_and_speed_of_triangle_motion() {
        let mut m = MotionTracker::new(30.0);
        let mut passes = Vec::new();
        for i in 0..(30 * 40) {
            let t = i as f64 / 30.0;
            if let Some(p) = m.push(t, triangle(t, 10.0, 30.0, 5.0)) {
                passes.push(p);
            }
        }
        // 20 cm per pass at 5 cm/s = 4 s per pass: 40 s gives 9 completed passes (the 10th is still open).
        assert_eq!(passes.len(), 9, "{passes:?}");
        // The first pass starts once the speed window has filled; the others are whole.
        for p in &passes[1..] {
            assert!((p.speed_cm_s - 5.0).abs() < 0.25, "{p:?}");
            assert!(((p.end - p.start) - 4.0).abs() < 0.3, "{p:?}");
        }
    }

    #[test]
    fn still_contact_gives_no_passes() {
        let mut m = MotionTracker::new(30.0);
        for i in 0..300 {
            assert!(m.push(i as f64 / 30.0, 12.0 + ((i % 3) as f32) * 0.1).is_none());
        }
        assert!(m.speed().unwrap().abs() < 0.5);
    }

    #[test]
    fn still_detector_needs_a_full_quiet_window() {
        let mut d = StillDetector::new(30.0);
        let mut first_still = None;
        for i in 0..120 {
            let t = i as f64 / 30.0;
            // Moving at 5 cm/s for 1 s, then resting with small jitter.
            let pos = if t < 1.0 {
                5.0 * t as f32
            } else {
                5.0 + 0.3 * ((i % 4) as f32 - 1.5)
            };
            if d.push(t, pos) && first_still.is_none() {
                first_still = Some(t);
            }
        }
        let t = first_still.unwrap();
        // Still once the moving part that is left in the window is within the range (2.5 cm at 5 cm/s = 0.5 s).
        let earliest = 1.0 + 0.9 * HOLD_WINDOW_S - (HOLD_RANGE_CM / 5.0) as f64 - 0.05;
        assert!(t > earliest && t < 1.0 + HOLD_WINDOW_S + 0.1, "{t}");
        // Slow rolling (2.5 cm/s) is not a hold.
        let mut d = StillDetector::new(30.0);
        assert!(!(0..120).any(|i| d.push(i as f64 / 30.0, 2.5 * i as f32 / 30.0)));
    }

    #[test]
    fn coverage_counts_bins() {
        let mut c = Coverage::default();
        c.mark(0.01);
        c.mark(0.02);
        c.mark(0.99);
        c.mark(1.5);
        assert!((c.fraction() - 2.0 / COVERAGE_BINS as f32).abs() < 1e-6);
    }

    proptest! {
        #[test]
        fn windowed_speed_matches_linear_motion(v in -40f32..40.0, x0 in -20f32..20.0, fps in 15f64..60.0) {
            let mut m = MotionTracker::new(fps);
            for i in 0..(fps as usize) {
                let t = i as f64 / fps;
                m.push(t, x0 + v * t as f32);
            }
            prop_assert!((m.speed().unwrap() - v).abs() < 1e-2 * (1.0 + v.abs()));
        }
    }
}
