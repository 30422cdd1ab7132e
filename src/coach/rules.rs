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
/// Longest window of the position smoothing, s: at 2.5 cm/s a 1.5 s causal fit rounds a turn by under 1 cm.
pub const SMOOTH_MAX_S: f64 = 1.5;
/// Target standard deviation of the smoothed position, cm. The smoothing window grows with the measured noise
/// until the end point of the window's linear fit (std about 2 sigma / sqrt(n)) reaches it, up to `SMOOTH_MAX_S`.
pub const SMOOTH_TARGET_CM: f32 = 0.5;
/// Share of the window that must be filled before a speed is reported (a short fit is noisy).
const MIN_SPEED_SPAN: f64 = 0.7;
/// Fewest samples for a speed estimate.
const MIN_SPEED_SAMPLES: usize = 5;
/// Smallest retreat from an extreme that counts as a reversal, cm (clean keypoints).
pub const REVERSAL_CM: f32 = 1.5;
/// A reversal needs a retreat of this many standard deviations of the smoothed position (measured noise), so
/// jitter alone essentially never fakes one (one-sided 5 sigma).
pub const REVERSAL_SIGMAS: f32 = 5.0;
/// Shortest movement that counts as a pass when the region is unknown, cm.
pub const MIN_PASS_CM: f32 = 4.0;
/// Shortest pass, s: a pass must last at least the speed window to have a speed at all.
pub const MIN_PASS_S: f64 = SPEED_WINDOW_S;
/// Middle share of a pass used for its speed (the turns at both ends are excluded).
const PASS_CORE: f64 = 0.6;
/// Time cut from both ends of a pass for its speed, s: the turn is dated at the extreme of the smoothed position,
/// which is uncertain by about half the smoothing window (`SMOOTH_MAX_S`). A fixed trim instead of a share keeps
/// long passes long: slow wander of the keypoints (0.2 Hz and slower) biases a short fit's slope.
const TURN_TRIM_S: f64 = 0.5 * SMOOTH_MAX_S;
/// Turns are dated at the extremes of the smoothed position, and slow wander of the keypoints selects those extremes
/// (an extreme falls where the wander peaks along the leg), so a line between dated turns starts and ends on the
/// wander's swing back: every pass of an upper-back track under 2.8 px 0.47 Hz wander read 3-15 % slow. A pass of at
/// least `KNOT_MIN_PASS_S` is therefore fitted together with both turns: a continuous piecewise-linear fit to the raw
/// positions from `KNOT_MARGIN_S` before its start to as long after its end, with both knots free within
/// `KNOT_SEARCH_S` of the dated turns (dated within 0.75 s of the true turns under 3 px wander; measured over 36
/// tracks at 2.5-3 px 0.2-0.5 Hz, the passes' mean speed error went from 2.5 % (worst 19.7 %) to 0.9 % (worst 2.9 %)
/// in an offline replay).
pub const KNOT_SEARCH_S: f64 = 1.0;
/// Data beyond the dated turns for the knot fit, s (the search range plus a margin for the outer slopes).
pub const KNOT_MARGIN_S: f64 = 1.2;
/// Shortest pass fitted with free knots, s: both knot ranges plus a second of leg between them; shorter (fast) passes
/// keep the trimmed core fit, and their neighbours' turns would fall inside the margins.
pub const KNOT_MIN_PASS_S: f64 = 2.0 * KNOT_SEARCH_S + 1.0;
/// Shortest pass fitted with a free end knot when it did not start at a turn (the first leg after the contact was
/// tracked or left a rest), s: the end knot's range plus a second of leg. On an 8 s clip that leg (2.5-3 s) is often
/// the only pass, and a trimmed core fit ended wherever the smoothed extreme dated the turn (up to 0.2 s apart
/// between the constant-rate and variable-rate versions of one clip, moving its speed by 5-8 %).
pub const KNOT_MIN_FIRST_PASS_S: f64 = KNOT_SEARCH_S + 1.0;
/// Knot candidates are every this many samples (67 ms at 30 fps, finer than any turn can be dated).
const KNOT_STEP: usize = 2;
/// Below this speed the contact counts as resting, cm/s.
const STILL_CM_S: f32 = 0.5;
/// Memory of the running noise estimate, s (each sample weighs its interval over this; 60 frames at 30 fps).
const NOISE_MEMORY_S: f64 = 2.0;
/// Second differences above this many times the running mean are outliers (clipped) in the noise estimate.
const NOISE_CLIP: f32 = 4.0;
/// Mean |second difference| of white noise of std sigma is sigma * sqrt(6) * sqrt(2/pi).
const D2_TO_SIGMA: f32 = 1.954;

/// Most samples a window of `seconds` keeps. Windows are bounded by time; this guards against times that barely
/// advance, at the fastest frame rate a track may state (`posetrack::FPS_RANGE`). The rate a clip states is not
/// used: a variable-frame-rate clip delivers frames faster than its stated (average) rate, and a window sized from it
/// would lose its oldest samples early.
pub fn window_len_bound(seconds: f64) -> usize {
    (seconds * *crate::posetrack::FPS_RANGE.end()).ceil() as usize + 8
}

/// Running estimate of the white measurement noise of the contact position (std, cm), from the second differences
/// of the raw positions (smooth motion contributes almost nothing to them at video rates).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoiseEstimate {
    /// The two previous samples (t, position), oldest first.
    prev: [Option<(f64, f32)>; 2],
    mean_abs_d2: Option<f32>,
}

/// The second difference of three samples at any times, on the scale of `p0 - 2 p1 + p2` at equal intervals: the
/// middle sample's distance from the line through its neighbours, over its standard deviation for white noise of
/// std 1 (`sqrt(1 + w0^2 + w2^2)`, `w` the interpolation weights), times `2 sqrt(1.5)`. At unequal intervals
/// (dropped frames) the plain `p0 - 2 p1 + p2` of steady rolling is not zero: every fourth frame dropped at 15 fps
/// added v/15 (0.27 cm at 4 cm/s) to two of three differences and read as noise. `None` when the times do not advance.
fn second_difference((t0, p0): (f64, f32), (t1, p1): (f64, f32), (t2, p2): (f64, f32)) -> Option<f32> {
    let span = t2 - t0;
    if t1 <= t0 || t2 <= t1 {
        return None;
    }
    let (w0, w2) = (((t2 - t1) / span) as f32, ((t1 - t0) / span) as f32);
    let off = p1 - (w0 * p0 + w2 * p2);
    Some(off * 2.0 * 1.5f32.sqrt() / (1.0 + w0 * w0 + w2 * w2).sqrt())
}

impl NoiseEstimate {
    /// Adds the position `pos` (cm) at `t` (s).
    pub fn push(&mut self, t: f64, pos: f32) {
        if let [Some(s0), Some(s1)] = self.prev {
            if let Some(d2) = second_difference(s0, s1, (t, pos)).map(f32::abs) {
                let w = ((t - s1.0) / NOISE_MEMORY_S).min(1.0) as f32;
                self.mean_abs_d2 = Some(match self.mean_abs_d2 {
                    None => d2,
                    Some(m) => m + w * (d2.min(NOISE_CLIP * m.max(0.05)) - m),
                });
            }
        }
        self.prev = [self.prev[1], Some((t, pos))];
    }

    /// Noise std, cm (0 until measured).
    pub fn sigma(&self) -> f32 {
        self.mean_abs_d2.map_or(0.0, |m| m / D2_TO_SIGMA)
    }

    pub fn reset_track(&mut self) {
        self.prev = [None, None];
    }
}

/// Reversal state: direction of the current leg, its extreme and where it started.
#[derive(Debug, Clone, Copy, Default)]
struct Leg {
    dir: i8,
    ext_t: f64,
    ext_pos: f32,
    start: Option<(f64, f32)>,
    /// The leg started at a turn (the previous leg's extreme), not where the contact was first tracked or rested.
    from_turn: bool,
    /// Since when the contact rests before the leg has a direction.
    rest_since: Option<f64>,
}

/// Follows the contact position over time: speed by linear regression over a short window, position smoothed over
/// a window sized by the measured noise, reversals with hysteresis scaled to that noise and to the region, passes
/// with their speeds (time the roller was held still is left out of a pass's speed).
#[derive(Debug, Clone)]
pub struct MotionTracker {
    window: VecDeque<(f64, f32)>,
    noise: NoiseEstimate,
    leg: Leg,
    /// Raw samples of the current pass.
    pass_samples: Vec<PassSample>,
    /// The last `KNOT_MARGIN_S` of samples before the current pass's start (the knot fit's data before the turn).
    turn_margin: Vec<PassSample>,
    /// Index of the current moving stretch (a hold starts a new one) and when the current hold began.
    run: u32,
    pause_start: Option<f64>,
    speed: Option<f32>,
    /// Standard error of `speed` from the measured white noise, cm/s.
    speed_se: f32,
    smoothed: Option<f32>,
    smoothed_sigma: f32,
    display_speed: Option<f32>,
    /// RMS of the smoothed positions around the last passes' straight lines (filtered noise plus slow wander), cm.
    residual: Option<f32>,
    /// The leg (turn to turn) closed by the last `push`, whether or not it was long enough to be a pass.
    closed_leg: Option<Pass>,
}

/// Linear regression slope and fitted value at `t_end` over `(t, pos)` samples; `None` when degenerate.
fn fit<'a>(samples: impl Iterator<Item = &'a (f64, f32)> + Clone, t_end: f64) -> Option<(f64, f32)> {
    fit_with_spread(samples, t_end).map(|(slope, at_end, _)| (slope, at_end))
}

/// As [`fit`], with the samples' spread in time, sum (t - mean t)^2: the slope's standard error is the positions'
/// noise sigma over its square root.
fn fit_with_spread<'a>(samples: impl Iterator<Item = &'a (f64, f32)> + Clone, t_end: f64) -> Option<(f64, f32, f64)> {
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
    Some((slope, (mp + slope * (t_end - mt)) as f32, stt))
}

/// One raw sample of a pass; `run` numbers the moving stretches (a hold between two stretches starts a new one).
#[derive(Debug, Clone, Copy)]
struct PassSample {
    t: f64,
    /// Raw and smoothed position, cm.
    pos: f32,
    smooth: f32,
    run: u32,
}

/// Rolling time of a pass's samples: their span without the holds between moving stretches, s.
fn moving_time(samples: &[PassSample]) -> f64 {
    samples.windows(2).filter(|w| w[0].run == w[1].run).map(|w| w[1].t - w[0].t).sum()
}

/// Speed (cm/s, absolute) of a pass and the RMS (cm) of its smoothed positions around their line: one common
/// slope fitted over its moving stretches, each with its own offset (pooled within-stretch regression), over the
/// pass without its turns (`TURN_TRIM_S`, at most the outer shares `PASS_CORE` leaves). A pass that did not start
/// at a turn (`from_turn` false: it starts where the contact was first tracked, or left a rest) keeps its start: there
/// is no turn to date there, and on a short clip that first leg is all there is (quads_clean's one pass lost 0.6 s of
/// its 2.9 s, and the remaining 1.7 s fit moved by 7 % between two encodings of the same frames). A hold between
/// stretches thus neither adds time nor shifts the line, whenever it was detected. `None` with too few samples.
fn core_fit(samples: &[PassSample], from_turn: bool) -> Option<(f32, f32)> {
    let (t0, t1) = (samples.first()?.t, samples.last()?.t);
    let trim = TURN_TRIM_S.min((t1 - t0) * (1.0 - PASS_CORE) * 0.5);
    let lo = if from_turn { t0 + trim } else { t0 };
    let core: Vec<PassSample> = samples.iter().copied().filter(|p| p.t >= lo && p.t <= t1 - trim).collect();
    if core.len() < MIN_SPEED_SAMPLES {
        return None;
    }
    let (slope, _) = pooled_fit(&core, |p| p.pos)?;
    let (_, rms) = pooled_fit(&core, |p| p.smooth)?;
    Some((slope.abs() as f32, rms))
}

/// Pooled within-stretch regression of `val` over time: common slope (per s) and residual RMS.
fn pooled_fit(core: &[PassSample], val: impl Fn(&PassSample) -> f32) -> Option<(f64, f32)> {
    let runs = core.chunk_by(|a, b| a.run == b.run);
    let means = |r: &[PassSample]| {
        let n = r.len() as f64;
        (r.iter().map(|p| p.t).sum::<f64>() / n, r.iter().map(|p| val(p) as f64).sum::<f64>() / n)
    };
    let (mut stt, mut stp) = (0.0, 0.0);
    for r in runs.clone() {
        let (mt, mp) = means(r);
        stt += r.iter().map(|p| (p.t - mt).powi(2)).sum::<f64>();
        stp += r.iter().map(|p| (p.t - mt) * (val(p) as f64 - mp)).sum::<f64>();
    }
    if stt <= 1e-12 {
        return None;
    }
    let slope = stp / stt;
    let ss: f64 = runs
        .map(|r| {
            let (mt, mp) = means(r);
            r.iter().map(|p| (val(p) as f64 - mp - slope * (p.t - mt)).powi(2)).sum::<f64>()
        })
        .sum();
    Some((slope, (ss / core.len() as f64).sqrt() as f32))
}

/// Speed (cm/s, absolute) of a pass fitted together with its turns: the continuous piecewise-linear least-squares
/// fit `c + v (t - k0) + a min(t - k0, 0) + b max(t - k1, 0)` to the raw positions of `data`, with the knots k0 and
/// k1 searched within `KNOT_SEARCH_S` of the dated turns `start` and `end` (`KNOT_MIN_PASS_S`). A pass that did not
/// start at a turn (`from_turn` false) has only its end to fit: `c + v (t - k1) + b max(t - k1, 0)`, k1 searched the
/// same way (`KNOT_MIN_FIRST_PASS_S`); its start is where the data begin. `None` when the data span a hold (more
/// than one moving stretch) or too few samples.
fn knot_fit(data: &[PassSample], start: f64, end: f64, from_turn: bool) -> Option<f32> {
    if data.len() < 4 * MIN_SPEED_SAMPLES || data.windows(2).any(|w| w[0].run != w[1].run) {
        return None;
    }
    let near = |x: f64| data.iter().map(|p| p.t).filter(move |t| (t - x).abs() <= KNOT_SEARCH_S).step_by(KNOT_STEP);
    let mut best: Option<(f64, f64)> = None;
    let mut keep = |fit: Option<(f64, f64)>| {
        if let Some((sse, v)) = fit.filter(|f| best.is_none_or(|b| f.0 < b.0)) {
            best = Some((sse, v));
        }
    };
    if !from_turn {
        for k1 in near(end).filter(|&k1| k1 - start >= 1.0) {
            keep(lstsq(data.iter().map(|p| ([1.0, p.t - k1, (p.t - k1).max(0.0)], p.pos as f64))));
        }
        return best.map(|b| b.1.abs() as f32);
    }
    for k0 in near(start) {
        for k1 in near(end).filter(|&k1| k1 - k0 >= 1.0) {
            let row = |t: f64| [1.0, t - k0, (t - k0).min(0.0), (t - k1).max(0.0)];
            keep(lstsq(data.iter().map(|p| (row(p.t), p.pos as f64))));
        }
    }
    best.map(|b| b.1.abs() as f32)
}

/// Least squares with `N` basis functions: residual sum of squares and the second coefficient; `None` when
/// singular.
fn lstsq<const N: usize>(rows: impl Iterator<Item = ([f64; N], f64)>) -> Option<(f64, f64)> {
    let (mut g, mut r, mut yy) = ([[0.0f64; N]; N], [0.0f64; N], 0.0);
    for (x, y) in rows {
        for i in 0..N {
            for j in 0..N {
                g[i][j] += x[i] * x[j];
            }
            r[i] += x[i] * y;
        }
        yy += y * y;
    }
    let mut rhs = r;
    // Gaussian elimination with partial pivoting on the normal equations.
    for c in 0..N {
        let p = (c..N).max_by(|&a, &b| g[a][c].abs().total_cmp(&g[b][c].abs()))?;
        if g[p][c].abs() <= 1e-9 {
            return None;
        }
        g.swap(c, p);
        rhs.swap(c, p);
        for i in c + 1..N {
            let f = g[i][c] / g[c][c];
            for j in c..N {
                g[i][j] -= f * g[c][j];
            }
            rhs[i] -= f * rhs[c];
        }
    }
    let mut beta = [0.0; N];
    for i in (0..N).rev() {
        beta[i] = (rhs[i] - (i + 1..N).map(|j| g[i][j] * beta[j]).sum::<f64>()) / g[i][i];
    }
    Some((yy - (0..N).map(|i| beta[i] * r[i]).sum::<f64>(), *beta.get(1)?))
}

impl MotionTracker {
    pub fn new(fps: f64) -> Self {
        let cap = ((SMOOTH_MAX_S.max(DISPLAY_SPEED_WINDOW_S) * fps.max(1.0)).ceil() as usize + 4).max(8);
        Self {
            window: VecDeque::with_capacity(cap),
            noise: NoiseEstimate::default(),
            leg: Leg::default(),
            pass_samples: Vec::with_capacity(cap * 32),
            turn_margin: Vec::new(),
            run: 0,
            pause_start: None,
            speed: None,
            speed_se: 0.0,
            smoothed: None,
            smoothed_sigma: 0.0,
            display_speed: None,
            residual: None,
            closed_leg: None,
        }
    }

    /// Forgets the motion (contact lost); the noise level is kept.
    pub fn reset(&mut self) {
        self.window.clear();
        self.noise.reset_track();
        self.leg = Leg::default();
        self.pass_samples.clear();
        self.turn_margin.clear();
        self.pause_start = None;
        self.speed = None;
        self.smoothed = None;
        self.display_speed = None;
    }

    /// Signed speed (cm/s, + toward the distal end) from the last update.
    pub fn speed(&self) -> Option<f32> {
        self.speed
    }

    /// Standard error of [`speed`](Self::speed) from the measured white noise of the positions, cm/s.
    pub fn speed_se(&self) -> f32 {
        self.speed_se
    }

    /// The leg (turn to turn) the last `push` closed, as a pass whether or not it is long enough to count as one:
    /// quick short strokes are too short for passes but each has its speed.
    pub fn closed_leg(&self) -> Option<Pass> {
        self.closed_leg
    }

    /// Smoothed position from the last update.
    pub fn smoothed(&self) -> Option<f32> {
        self.smoothed
    }

    /// Standard deviation of the smoothed position from the measured noise, cm.
    pub fn smoothed_sigma(&self) -> f32 {
        self.smoothed_sigma
    }

    /// RMS of the smoothed positions around the recent passes' straight lines (the white noise left after smoothing
    /// and slow wander, as the smoothing passes it on: a short end-point fit overshoots a 1 Hz wander), cm.
    pub fn residual(&self) -> Option<f32> {
        self.residual
    }

    /// Measured white noise of the raw position, cm.
    pub fn noise_sigma(&self) -> f32 {
        self.noise.sigma()
    }

    /// Steadier speed for display and per-frame metrics: regression over `DISPLAY_SPEED_WINDOW_S` (blurs turns
    /// more than [`speed`](Self::speed), which the rules use).
    pub fn display_speed(&self) -> Option<f32> {
        self.display_speed
    }

    /// The last turn before `t_lim`: the current leg's extreme if the smoothed contact has since retreated from it
    /// by more than the noise (the hysteresis `flush` uses; a still contact's noise makes extremes too), else the
    /// leg's start (the turn before it).
    pub fn last_turn_before(&self, t_lim: f64) -> Option<f64> {
        let h = REVERSAL_CM.max(REVERSAL_SIGMAS * self.smoothed_sigma);
        let retreated = self.smoothed.is_some_and(|p| (self.leg.ext_pos - p) * self.leg.dir as f32 >= h);
        let ext = (self.leg.dir != 0 && retreated).then_some(self.leg.ext_t);
        [ext, self.leg.start.map(|s| s.0)].into_iter().flatten().filter(|&x| x < t_lim).reduce(f64::max)
    }

    /// The roller is held still since `since` (a hold): that time does not count in the pass's speed.
    pub fn pause(&mut self, since: f64) {
        if self.pause_start.is_none() {
            self.pass_samples.retain(|p| p.t < since);
            self.pause_start = Some(since);
        }
    }

    /// The hold ended: the samples that follow form a new moving stretch.
    pub fn resume(&mut self) {
        if self.pause_start.take().is_some() {
            self.run += 1;
        }
    }

    /// Adds a sample; returns a completed pass when a reversal was confirmed. Passes shorter than `min_pass_cm`
    /// do not end a leg: the reversal threshold is at least that long.
    pub fn push(&mut self, t: f64, pos_cm: f32, min_pass_cm: f32) -> Option<Pass> {
        self.closed_leg = None;
        self.update_window(t, pos_cm);
        let smoothed = self.smoothed?;
        if self.pause_start.is_none() {
            self.pass_samples.push(PassSample { t, pos: pos_cm, smooth: smoothed, run: self.run });
        }
        let h = REVERSAL_CM.max(REVERSAL_SIGMAS * self.smoothed_sigma).max(min_pass_cm);
        self.follow(t, smoothed, h, min_pass_cm)
    }

    /// Window bookkeeping, noise, speeds and the smoothed position.
    fn update_window(&mut self, t: f64, pos_cm: f32) {
        let keep = SMOOTH_MAX_S.max(DISPLAY_SPEED_WINDOW_S);
        while self.window.front().is_some_and(|&(t0, _)| t - t0 > keep) {
            self.window.pop_front();
        }
        if self.window.len() >= window_len_bound(keep) {
            self.window.pop_front();
        }
        self.window.push_back((t, pos_cm));
        self.noise.push(t, pos_cm);
        let within = |w: f64| self.window.iter().filter(move |&&(ti, _)| t - ti <= w);
        let span_of = |w: f64| t - within(w).next().map_or(t, |s| s.0);
        self.display_speed = (span_of(DISPLAY_SPEED_WINDOW_S) >= MIN_SPEED_SPAN * DISPLAY_SPEED_WINDOW_S)
            .then(|| fit(within(DISPLAY_SPEED_WINDOW_S), t).map(|(s, _)| (s as f32).abs()))
            .flatten();
        let recent = within(SPEED_WINDOW_S);
        if recent.clone().count() < MIN_SPEED_SAMPLES || span_of(SPEED_WINDOW_S) < MIN_SPEED_SPAN * SPEED_WINDOW_S {
            self.speed = None;
            self.smoothed = None;
            return;
        }
        let line = fit_with_spread(recent, t);
        self.speed = line.map(|(s, _, _)| s as f32);
        self.speed_se = line.map_or(0.0, |(_, _, stt)| self.noise.sigma() / stt.sqrt() as f32);
        if self.display_speed.is_none() {
            self.display_speed = self.speed.map(f32::abs);
        }
        // Smoothing window from the noise: n >= 4 sigma^2 / target^2 samples.
        let sigma = self.noise.sigma();
        let n_all = self.window.len().max(2);
        let dt = (span_of(keep) / (n_all - 1) as f64).max(1e-3);
        let need = (4.0 * sigma * sigma / (SMOOTH_TARGET_CM * SMOOTH_TARGET_CM)) as f64 * dt;
        let w = need.clamp(SPEED_WINDOW_S, SMOOTH_MAX_S);
        let n = within(w).count().max(2);
        self.smoothed = fit(within(w), t).map(|(_, p)| p);
        self.smoothed_sigma = 2.0 * sigma / (n as f32).sqrt();
    }

    /// Reversal detection on the smoothed position with hysteresis `h`.
    fn follow(&mut self, t: f64, pos: f32, h: f32, min_pass_cm: f32) -> Option<Pass> {
        let Some((_, ps_pos)) = self.leg.start else {
            self.leg = Leg { dir: 0, ext_t: t, ext_pos: pos, start: Some((t, pos)), from_turn: false, rest_since: None };
            return None;
        };
        if self.leg.dir == 0 {
            if (pos - ps_pos).abs() >= REVERSAL_CM.max(REVERSAL_SIGMAS * self.smoothed_sigma) {
                self.leg.dir = if pos > ps_pos { 1 } else { -1 };
                self.leg.ext_t = t;
                self.leg.ext_pos = pos;
            } else if self.speed.is_some_and(|v| v.abs() < STILL_CM_S) {
                // Resting at the start (slow for a whole speed window, so a noisy speed that dips below the limit
                // for a frame is not a rest): keep the start fresh so a rest is not counted as part of the pass.
                if t - *self.leg.rest_since.get_or_insert(t) >= SPEED_WINDOW_S {
                    self.leg.start = Some((t, pos));
                    self.leg.from_turn = false;
                    self.pass_samples.clear();
                    self.turn_margin.clear();
                    self.pass_samples.push(PassSample { t, pos, smooth: pos, run: self.run });
                }
            } else {
                self.leg.rest_since = None;
            }
            return None;
        }
        let d = self.leg.dir as f32;
        if (pos - self.leg.ext_pos) * d > 0.0 {
            self.leg.ext_pos = pos;
            self.leg.ext_t = t;
            return None;
        }
        if (self.leg.ext_pos - pos) * d < h || self.pause_start.is_some() {
            return None;
        }
        self.close_leg(t, pos, min_pass_cm)
    }

    /// Ends the current leg at its extreme; the next leg starts there. Returns it as a pass when it is long enough.
    fn close_leg(&mut self, t: f64, pos: f32, min_pass_cm: f32) -> Option<Pass> {
        let (ps_t, ps_pos) = self.leg.start?;
        let (start, end) = (ps_t, self.leg.ext_t);
        let dist = (self.leg.ext_pos - ps_pos).abs();
        let split = self.pass_samples.partition_point(|p| p.t <= end);
        let samples = &self.pass_samples[..split];
        let fitted = core_fit(samples, self.leg.from_turn);
        let after = self.pass_samples[split..].iter().take_while(|p| p.t <= end + KNOT_MARGIN_S);
        let data: Vec<PassSample> = self.turn_margin.iter().chain(samples).chain(after).copied().collect();
        let from_turn = self.leg.from_turn;
        let min_s = if from_turn { KNOT_MIN_PASS_S } else { KNOT_MIN_FIRST_PASS_S };
        let knotted = (end - start >= min_s).then(|| knot_fit(&data, start, end, from_turn)).flatten();
        let speed = knotted.or(fitted.map(|f| f.0)).unwrap_or(dist / (end - start).max(1e-3) as f32);
        if let Some((_, r)) = fitted.filter(|_| dist >= min_pass_cm) {
            self.residual = Some(self.residual.map_or(r, |p| 0.5 * (p + r)));
        }
        let moving_s = moving_time(samples);
        let pass = Pass { start, end, from_cm: ps_pos, to_cm: self.leg.ext_pos, speed_cm_s: speed };
        self.closed_leg = Some(pass);
        self.turn_margin = samples.iter().filter(|p| p.t >= end - KNOT_MARGIN_S).copied().collect();
        self.pass_samples.drain(..split);
        let start = Some((end, self.leg.ext_pos));
        self.leg = Leg { dir: -self.leg.dir, ext_t: t, ext_pos: pos, start, from_turn: true, rest_since: None };
        (dist >= min_pass_cm && moving_s >= MIN_PASS_S).then_some(pass)
    }

    /// The open leg as a pass, if it already turned (retreat beyond the noise hysteresis) and is long enough: for
    /// the end of the session or of the contact, where no further movement can confirm the turn.
    pub fn flush(&mut self, min_pass_cm: f32) -> Option<Pass> {
        let pos = self.smoothed?;
        let h = REVERSAL_CM.max(REVERSAL_SIGMAS * self.smoothed_sigma);
        let turned = self.leg.dir != 0 && (self.leg.ext_pos - pos) * self.leg.dir as f32 >= h;
        let t = self.window.back().map_or(0.0, |w| w.0);
        turned.then(|| self.close_leg(t, pos, min_pass_cm)).flatten()
    }
}

/// Shortest deliberate stop that is a hold, s (Behm et al. 2020 describe tender-spot holds of 20-30 s; a stop
/// of 3 s is deliberate, the pause at a pass's turn is shorter).
pub const HOLD_WINDOW_S: f64 = 3.0;
/// Half-width of the band around the resting spot that counts as still on clean keypoints, cm. A turn at the
/// ideal 2.5 cm/s stays inside it for 4 * 1.5 / 2.5 = 2.4 s, less than `HOLD_WINDOW_S`.
pub const HOLD_RANGE_CM: f32 = 1.5;
/// Largest RMS of a stop's smoothed positions around their mean, as a share of its band: 1 / sqrt 2, the RMS of a
/// sinusoid that swings over the whole band (geometry, not fitted). Quick strokes over a short region (a too-fast
/// burst on the glutes or calves, 2.5-5 cm/s over the 8 cm trapezius region) have flat halves with equal means and
/// read as a hold that never ended (its end band is 3 x this RMS, `hold::HOLD_WANDER_RMS`); a still contact's RMS is
/// its smoothed noise or wander, which the band covers (`ContactMotion::still_band`: 5 noise sigmas, 2 wander RMS).
pub const STILL_SPREAD_SHARE: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// Longest stillness window, s (bounds the memory; a band this wide is no longer a stop).
pub const HOLD_WINDOW_MAX_S: f64 = 8.0;

/// How far before the stillness window the stop may lie, s: the stop is detected a whole window after it happened,
/// later when noise kept the test from passing at once; the onset fit looks back this far (never past the last turn
/// the motion tracker confirmed).
pub const ONSET_LOOKBACK_S: f64 = 5.0;
/// The turn before a stop is dated at the extreme of the smoothed position, uncertain by a few frames; the onset fit
/// starts this long after it, s, so the previous leg does not bend the approach line.
pub const ONSET_TURN_GUARD_S: f64 = 0.25;
/// Shortest approach (the moving part between a turn and the stop) the onset fit accepts, s: shorter segments fit
/// the noise (under 6 px a free fit found 0.4 s "approaches" at 6-8 cm/s).
pub const ONSET_MIN_APPROACH_S: f64 = 0.6;
/// Shortest stop the onset fit accepts, s: a level needs a few samples.
pub const ONSET_MIN_STOP_S: f64 = 0.3;

/// Detects a deliberate stop: in both halves of the window the smoothed contact moved slower than a share of the
/// rolling speed, and the halves' mean positions lie within a band of each other. The caller sizes the window so
/// that a turn at rolling speed cannot pass (one half of any window around a turn is a whole leg). Means and slopes
/// over half-windows average slow wander of the keypoints out, where a test on every sample would not: under 3 px
/// 1 Hz wander the smoothed contact swings by 2-3 cm around a held spot, more than the band measured on the passes.
#[derive(Debug, Clone)]
pub struct StillDetector {
    /// (t, smoothed position, raw position), cm.
    window: VecDeque<(f64, f32, f32)>,
}

impl StillDetector {
    pub fn new(fps: f64) -> Self {
        let keep = HOLD_WINDOW_MAX_S + ONSET_LOOKBACK_S;
        Self {
            window: VecDeque::with_capacity((keep * fps.max(1.0)).ceil() as usize + 8),
        }
    }

    pub fn reset(&mut self) {
        self.window.clear();
    }

    /// Adds a smoothed and a raw position; true when over the last `window_s` (almost full) neither half moved
    /// steadily faster than `max_slope` cm/s (a turn: one half is a whole leg), the halves' means lie within
    /// `band_cm` of each other (slow drift), and the smoothed positions' RMS around their mean is at most
    /// [`STILL_SPREAD_SHARE`] of `band_cm`: fast strokes back and forth over one spot have flat halves with equal means,
    /// but they are rolling, not a stop.
    pub fn push(&mut self, t: f64, pos_cm: f32, raw_cm: f32, band_cm: f32, window_s: f64, max_slope: f32) -> bool {
        let window_s = window_s.min(HOLD_WINDOW_MAX_S);
        while self.window.front().is_some_and(|&(t0, ..)| t - t0 > HOLD_WINDOW_MAX_S + ONSET_LOOKBACK_S) {
            self.window.pop_front();
        }
        if self.window.len() >= window_len_bound(HOLD_WINDOW_MAX_S + ONSET_LOOKBACK_S) {
            self.window.pop_front();
        }
        self.window.push_back((t, pos_cm, raw_cm));
        let t0 = self.window.iter().find(|w| t - w.0 <= window_s).map_or(t, |w| w.0);
        if t - t0 < 0.95 * window_s {
            return false;
        }
        let half = |a: f64, b: f64| self.window.iter().filter(move |w| t - w.0 <= a && t - w.0 > b).map(|w| (w.0, w.1));
        let mean = |a: f64, b: f64| {
            let (n, sum) = half(a, b).fold((0usize, 0.0f32), |(n, s), w| (n + 1, s + w.1));
            sum / n.max(1) as f32
        };
        let slope = |a: f64, b: f64| {
            let v: Vec<(f64, f32)> = half(a, b).collect();
            fit(v.iter(), t).is_none_or(|(v, _)| (v.abs() as f32) <= max_slope)
        };
        let drift = (mean(0.5 * window_s, -1.0) - mean(window_s, 0.5 * window_s)).abs();
        let spread = self.rms_around(mean(window_s, -1.0), window_s);
        drift <= band_cm
            && spread <= STILL_SPREAD_SHARE * band_cm
            && slope(window_s, 0.5 * window_s)
            && slope(0.5 * window_s, -1.0)
    }

    /// Where the roller rests: mean of the second half of the last `window_s`, cm.
    pub fn anchor(&self, window_s: f64) -> Option<f32> {
        let t1 = self.window.back()?.0;
        let (n, sum) = self
            .window
            .iter()
            .filter(|w| t1 - w.0 <= 0.5 * window_s)
            .fold((0usize, 0.0f32), |(n, s), w| (n + 1, s + w.1));
        (n > 0).then(|| sum / n as f32)
    }

    /// RMS of the last `window_s` around `pos_cm`, cm.
    pub fn rms_around(&self, pos_cm: f32, window_s: f64) -> f32 {
        let t1 = self.window.back().map_or(0.0, |w| w.0);
        let (n, ss) = self
            .window
            .iter()
            .filter(|w| t1 - w.0 <= window_s)
            .fold((0usize, 0.0f32), |(n, s), w| (n + 1, s + (w.1 - pos_cm).powi(2)));
        if n == 0 {
            0.0
        } else {
            (ss / n as f32).sqrt()
        }
    }

    /// When the roller stopped, for a stop detected over the last `window_s`: the last knee of a continuous
    /// piecewise-linear least-squares fit to the raw positions - constant after the stop, a line at rolling speed
    /// (at least `min_speed`, cm/s) for at least `ONSET_MIN_APPROACH_S` before it, and optionally another line
    /// before that (a turn the tracker did not confirm yet: under noise a turn 1 s before the stop retreats less
    /// than its hysteresis). The raw positions are unbiased in time (the smoothed ones lag and overshoot a stop), and
    /// the fit uses all of them, so white noise and wander move the knee far less than a band around the spot would
    /// (a band as wide as the noise back-dated holds by up to 3 s under 6 px noise, a narrow one dated them late).
    /// The knee may lie inside the window (a stop shortly after a turn passes the halves test early). The fit starts
    /// `ONSET_TURN_GUARD_S` after `turn` (the last confirmed turn, if any), at most `ONSET_LOOKBACK_S` before the
    /// window.
    pub fn stop_onset(&self, window_s: f64, turn: Option<f64>, min_speed: f32) -> Option<f64> {
        let t1 = self.window.back()?.0;
        let lo = (t1 - window_s - ONSET_LOOKBACK_S).max(turn.map_or(f64::MIN, |x| x + ONSET_TURN_GUARD_S));
        let pts: Vec<(f64, f64)> = self.window.iter().filter(|w| w.0 >= lo).map(|w| (w.0, w.2 as f64)).collect();
        let sums = PrefixSums::new(&pts);
        let first = pts.first()?.0;
        // Best fit without a turn and with one: (residual sum of squares, knee).
        let (mut plain, mut turned): (Option<(f64, f64)>, Option<(f64, f64)>) = (None, None);
        for (k, &(knee, _)) in pts.iter().enumerate() {
            if knee < first + ONSET_MIN_APPROACH_S || knee > t1 - ONSET_MIN_STOP_S {
                continue;
            }
            let turns = std::iter::once(0).chain((1..k).filter(|&j| pts[j].0 <= knee - ONSET_MIN_APPROACH_S));
            for j in turns {
                let fit = sums.knee_fit((k, knee), (j, pts[j].0));
                if let Some((sse, _)) = fit.filter(|f| f.1.abs() >= min_speed as f64) {
                    let best = if j == 0 { &mut plain } else { &mut turned };
                    if best.is_none_or(|b| sse < b.0) {
                        *best = Some((sse, knee));
                    }
                }
            }
        }
        // The turn costs two parameters (its time and the slope before it): taken only when it pays for them by the
        // Bayesian information criterion, n ln(SSE ratio) > 2 ln n, so that noise on the stop is not fitted as a
        // late turn and approach.
        let n = pts.len() as f64;
        let pays = |p: (f64, f64), q: (f64, f64)| n * (p.0.max(1e-12) / q.0.max(1e-12)).ln() > 2.0 * n.ln();
        let best = match (plain, turned) {
            (Some(p), Some(q)) => Some(if pays(p, q) { q } else { p }),
            (p, q) => p.or(q),
        };
        best.map(|b| b.1).or(Some(t1 - window_s))
    }
}

/// Prefix sums over `(t, y)` samples for O(1) least-squares fits of continuous piecewise-linear models.
struct PrefixSums {
    /// Per prefix length: (1, t, t^2, y, t*y) summed, and the total of y^2.
    s: Vec<[f64; 5]>,
    yy: f64,
}

impl PrefixSums {
    fn new(pts: &[(f64, f64)]) -> Self {
        let mut s = Vec::with_capacity(pts.len() + 1);
        let mut acc = [0.0; 5];
        s.push(acc);
        for &(t, y) in pts {
            for (a, v) in acc.iter_mut().zip([1.0, t, t * t, y, t * y]) {
                *a += v;
            }
            s.push(acc);
        }
        Self { s, yy: pts.iter().map(|p| p.1 * p.1).sum() }
    }

    /// Sums over the first `i` samples of x, x^2 and x*y with x = t - k.
    fn basis(&self, i: usize, k: f64) -> (f64, f64, f64) {
        let [n, st, stt, sy, sty] = self.s[i];
        (st - k * n, stt - 2.0 * k * st + k * k * n, sty - k * sy)
    }

    /// Fit of `c + v * min(t - knee, 0) + w * min(t - turn, 0)` (samples before index `knee.0` / `turn.0` lie
    /// before the knee / turn; turn index 0 = no turn): residual sum of squares and `v`, the approach speed.
    fn knee_fit(&self, knee: (usize, f64), turn: (usize, f64)) -> Option<(f64, f64)> {
        let total = *self.s.last()?;
        let (n, sy) = (total[0], total[3]);
        let (ax, axx, axy) = self.basis(knee.0, knee.1);
        let (bx, bxx, bxy) = self.basis(turn.0, turn.1);
        // Cross term over the samples before the turn (all of them also before the knee).
        let [m, st, stt, ..] = self.s[turn.0];
        let abx = stt - (knee.1 + turn.1) * st + knee.1 * turn.1 * m;
        if turn.0 == 0 {
            let det = n * axx - ax * ax;
            if det <= 1e-9 {
                return None;
            }
            let v = (n * axy - ax * sy) / det;
            let c = (sy - v * ax) / n;
            return Some((self.yy - c * sy - v * axy, v));
        }
        let g = [[n, ax, bx], [ax, axx, abx], [bx, abx, bxx]];
        let r = [sy, axy, bxy];
        let beta = solve3(g, r)?;
        Some((self.yy - beta[0] * r[0] - beta[1] * r[1] - beta[2] * r[2], beta[1]))
    }
}

/// Solves the 3x3 system `g * x = r` (Cramer's rule); `None` when singular.
fn solve3(g: [[f64; 3]; 3], r: [f64; 3]) -> Option<[f64; 3]> {
    let det3 = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det3(g);
    if d.abs() <= 1e-9 {
        return None;
    }
    let col = |i: usize| {
        let mut m = g;
        for (row, v) in m.iter_mut().zip(r) {
            row[i] = v;
        }
        det3(m) / d
    };
    Some([col(0), col(1), col(2)])
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
            if let Some(p) = m.push(t, triangle(t, 10.0, 30.0, 5.0), MIN_PASS_CM) {
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
            assert!(m.push(i as f64 / 30.0, 12.0 + ((i % 3) as f32) * 0.1, MIN_PASS_CM).is_none());
        }
        assert!(m.speed().unwrap().abs() < 0.5);
    }

    #[test]
    fn still_detector_needs_a_full_quiet_window_and_ignores_turns() {
        let mut d = StillDetector::new(30.0);
        let mut first_still = None;
        for i in 0..240 {
            let t = i as f64 / 30.0;
            // Moving at 5 cm/s for 1 s, then resting with small jitter.
            let pos = if t < 1.0 { 5.0 * t as f32 } else { 5.0 + 0.3 * ((i % 4) as f32 - 1.5) };
            if d.push(t, pos, pos, HOLD_RANGE_CM, HOLD_WINDOW_S, 1.25) && first_still.is_none() {
                first_still = Some(t);
            }
        }
        let t = first_still.unwrap();
        assert!(t > 1.0 + 0.95 * HOLD_WINDOW_S - 0.4 && t < 1.0 + HOLD_WINDOW_S + 0.1, "{t}");
        // The turn of slow rolling (2.5 cm/s, back and forth over 20 cm) is not a stop.
        let mut d = StillDetector::new(30.0);
        assert!(!(0..900).any(|i| {
            let t = i as f64 / 30.0;
            d.push(t, triangle(t, 0.0, 20.0, 2.5), triangle(t, 0.0, 20.0, 2.5), HOLD_RANGE_CM, HOLD_WINDOW_S, 1.25)
        }));
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
                m.push(t, x0 + v * t as f32, MIN_PASS_CM);
            }
            prop_assert!((m.speed().unwrap() - v).abs() < 1e-2 * (1.0 + v.abs()));
        }
    }
}
