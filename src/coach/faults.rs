//! The fault rules of the current exercise, each a small debounced state machine: rolling too fast, keep-out
//! zones, posture checks and exercises to avoid. Each returns the [`Edge`] the event log turns into records.

use std::collections::VecDeque;

use super::exercise::Zone;
use super::rules::{Debounce, Edge, Pass};
use crate::stats::median;

/// How long a fault's condition must hold before its event starts (`on_s`) and be gone before it ends (`off_s`), s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DebounceTimes {
    pub on_s: f64,
    pub off_s: f64,
}

impl DebounceTimes {
    pub fn debounce(self) -> Debounce {
        Debounce::new(self.on_s, self.off_s)
    }

    /// The debounce that also starts an event at an earlier, too-short run at most `bridge_s` before it.
    pub fn bridged(self, bridge_s: f64) -> Debounce {
        Debounce::with_bridge(self.on_s, self.off_s, bridge_s)
    }
}

pub const TOO_FAST_DEBOUNCE: DebounceTimes = DebounceTimes { on_s: 0.3, off_s: 0.8 };
/// A too-fast burst cut short (by a reversal) this close before a sustained one starts the event.
pub const TOO_FAST_BRIDGE_S: f64 = 0.45;
/// Share of the speed limit above which rolling counts as speeding up (start of a too-fast event).
pub const TOO_FAST_LOW_FRACTION: f32 = 0.6;
/// A too-fast event starts at most this long before the speed crossed the limit.
pub const TOO_FAST_MAX_BACKDATE_S: f64 = 0.6;
/// Consecutive legs (turn to turn) each faster than the limit that are rolling too fast by themselves. Quick
/// strokes back and forth over a short stretch turn every 0.3-0.5 s, so the speed over `rules::SPEED_WINDOW_S`
/// spans a turn and stays above the limit for less than the debounce: 25 cm/s strokes over 11 cm of the lower back
/// read 12-16 cm/s for 0.1-0.2 s at a time and no too_fast event came in 4 s (tools/sweep_synth.py, ordinary
/// conditions, seed 4242: 8 of 200 tracks). Two, not one: a single quick stroke is a repositioning, and a burst of
/// fast rolling shorter than a second is not shown as a fault (synth's `MIN_BURST_SHOWN_S`).
pub const TOO_FAST_MIN_LEGS: u32 = 2;
pub const KEEP_OUT_DEBOUNCE: DebounceTimes = DebounceTimes { on_s: 0.2, off_s: 0.5 };
/// A keep-out visit starts at an earlier, too-short stay in the zone when it left the zone for at most this long in
/// between (`Debounce::with_bridge`): a contact flickering across the zone's edge under keypoint noise is inside,
/// and a gap shorter than the time it takes to confirm a stay (`KEEP_OUT_DEBOUNCE.on_s`) is no evidence of having
/// left. Without it an onset was the start of the last uninterrupted stay: 0.5-1.7 s after the contact reached the
/// zone at 1.5-5 cm/s (tools/sweep_synth.py: 3 of 47 keep-out cases at synth's defaults, 2 of 15 in ordinary
/// conditions; on 80 new ordinary cases, seed 9191, drawn after the choice: 6 onsets off by more than 0.5 s -> 4,
/// two of them now as early as they were late; the bridge of the off time, 0.5 s, tried first, moved those
/// onsets as far early as they had been late).
pub const KEEP_OUT_BRIDGE_S: f64 = KEEP_OUT_DEBOUNCE.on_s;
pub const POSTURE_DEBOUNCE: DebounceTimes = DebounceTimes { on_s: 0.3, off_s: 0.8 };
/// A posture fault starts at an earlier, too-short run of it when the gap between them is at most this long, as a
/// keep-out visit does (`KEEP_OUT_BRIDGE_S`): hips sinking past the limit flicker across it under keypoint noise.
pub const POSTURE_BRIDGE_S: f64 = POSTURE_DEBOUNCE.on_s;
/// An exercise to avoid is a fault from the moment it is recognised.
pub const AVOID_DEBOUNCE: DebounceTimes = DebounceTimes { on_s: 0.0, off_s: 2.0 };

/// Rolling faster than the exercise's limit. Hysteresis in time: the event starts where the speed first rose above
/// `TOO_FAST_LOW_FRACTION` of the limit (chains of such runs with short gaps, e.g. a reversal, count as one), at
/// most `TOO_FAST_MAX_BACKDATE_S` before the crossing.
#[derive(Debug, Clone)]
pub struct TooFastRule {
    debounce: Debounce,
    fastish_prev: bool,
    chain_start: f64,
    last_end: f64,
    strokes: FastStrokes,
}

/// A run of consecutive legs each faster than the limit ([`TOO_FAST_MIN_LEGS`]).
#[derive(Debug, Clone, Copy, Default)]
struct FastStrokes {
    /// Fast legs in the run, and where its fast rolling started.
    legs: u32,
    start: f64,
    /// The last fast leg: its end (the next leg starts there) and how long it took.
    end: f64,
    duration: f64,
}

impl FastStrokes {
    /// Follows the leg closed this frame, if any.
    fn push(&mut self, leg: Option<&Pass>, max_speed: f32) {
        let Some(l) = leg else { return };
        if l.speed_cm_s.abs() <= max_speed {
            self.legs = 0;
            return;
        }
        if self.legs == 0 || l.start != self.end {
            // The leg is dated from the turn before, but a burst can start within it (after a rest at the turn):
            // its fast part took about its length at its own speed.
            let fast_part_s = f64::from((l.to_cm - l.from_cm).abs() / l.speed_cm_s.abs());
            *self = Self { legs: 0, start: l.start.max(l.end - fast_part_s), ..*self };
        }
        self.legs += 1;
        self.end = l.end;
        self.duration = l.end - l.start;
    }

    /// Rolling too fast at `t`: enough fast legs in a row, and the next leg, as quick as the last, is not yet
    /// overdue (a leg is closed when the contact has retreated from its turn, up to a speed window later).
    fn active(&self, t: f64) -> bool {
        self.legs >= TOO_FAST_MIN_LEGS && t - self.end <= 2.0 * self.duration + super::rules::SPEED_WINDOW_S
    }
}

impl Default for TooFastRule {
    fn default() -> Self {
        Self {
            debounce: TOO_FAST_DEBOUNCE.bridged(TOO_FAST_BRIDGE_S),
            fastish_prev: false,
            chain_start: 0.0,
            last_end: f64::NEG_INFINITY,
            strokes: FastStrokes::default(),
        }
    }
}

impl TooFastRule {
    /// `speed`: absolute rolling speed (None while unknown or without contact); `leg`: the leg the contact's
    /// motion closed this frame, if any.
    /// `speed_se`: the speed's standard error from the keypoint noise; the speed is over the limit only by more
    /// than it.
    pub fn update(&mut self, t: f64, speed: Option<f32>, speed_se: f32, leg: Option<&Pass>, max_speed: f32) -> Edge {
        self.strokes.push(leg, max_speed);
        let stroking = self.strokes.active(t);
        let fastish = speed.is_some_and(|v| v > TOO_FAST_LOW_FRACTION * max_speed);
        if fastish {
            if !self.fastish_prev && t - self.last_end > TOO_FAST_BRIDGE_S {
                self.chain_start = t;
            }
            self.fastish_prev = true;
        } else if self.fastish_prev {
            self.fastish_prev = false;
            self.last_end = t;
        }
        let too_fast = speed.is_some_and(|v| v - speed_se > max_speed) || stroking;
        match self.debounce.update(t, too_fast) {
            Edge::Started { start } => {
                let start = start.min(self.chain_start).max(start - TOO_FAST_MAX_BACKDATE_S);
                // quick strokes started with their first fast leg
                Edge::Started { start: if stroking { start.min(self.strokes.start) } else { start } }
            }
            e => e,
        }
    }

    pub fn force_end(&mut self, t: f64) -> Edge {
        self.debounce.force_end(t)
    }
}

/// Half-width of the centred window whose median contact dates a keep-out visit's entry, s: the on-debounce, so
/// the window's later half is seen by the time the visit is confirmed.
pub const KEEP_OUT_ENTRY_HALF_S: f64 = KEEP_OUT_DEBOUNCE.on_s;

/// How long the contacts are kept to date a visit's entry, s: a visit's first flicker may lie this long before it
/// is confirmed (flickers chained by `KEEP_OUT_BRIDGE_S`; with the roller missed in 10-20 % of frames a stay of
/// `KEEP_OUT_DEBOUNCE.on_s` without a gap took up to 2 s to come). An older first flicker keeps its own time.
pub const KEEP_OUT_ENTRY_MEMORY_S: f64 = 4.0;

/// Contact inside one of the exercise's keep-out zones.
#[derive(Debug, Clone)]
pub struct KeepOutRule {
    debounce: Debounce,
    zone: usize,
    /// While no visit is confirmed, the contacts of the last `KEEP_OUT_ENTRY_MEMORY_S`: (t, position along the
    /// segment), to date a visit's entry (`entry`).
    recent: VecDeque<(f64, f32)>,
}

impl Default for KeepOutRule {
    fn default() -> Self {
        Self {
            debounce: KEEP_OUT_DEBOUNCE.bridged(KEEP_OUT_BRIDGE_S),
            zone: 0,
            recent: VecDeque::new(),
        }
    }
}

impl KeepOutRule {
    /// `contact`: position along the segment. Returns the edge and the zone it concerns.
    pub fn update<'z>(
        &mut self,
        t: f64,
        contact: Option<f32>,
        zones: &'z [Zone],
    ) -> (Edge, Option<&'z Zone>) {
        let inside = contact.and_then(|c| zones.iter().position(|z| z.contains(c)));
        if let (Some(z), false) = (inside, self.debounce.is_active()) {
            self.zone = z;
        }
        self.remember(t, contact);
        let edge = match self.debounce.update(t, inside.is_some()) {
            Edge::Started { start } => Edge::Started { start: self.entry(start, t, &zones[self.zone]) },
            e => e,
        };
        (edge, zones.get(self.zone))
    }

    /// Keeps the contacts of the last `KEEP_OUT_ENTRY_MEMORY_S` while no visit is confirmed.
    fn remember(&mut self, t: f64, contact: Option<f32>) {
        if self.debounce.is_active() {
            self.recent.clear();
            return;
        }
        while self.recent.front().is_some_and(|&(t0, _)| t - t0 > KEEP_OUT_ENTRY_MEMORY_S) {
            self.recent.pop_front();
        }
        self.recent.extend(contact.map(|c| (t, c)));
    }

    /// When the contact entered `zone`, for a visit whose first flicker into it was at `first` and which is
    /// confirmed at `now`: the first time from `first` on at which the median contact of the centred
    /// `KEEP_OUT_ENTRY_HALF_S` window lies in the zone. Under keypoint noise the contact flickers into a zone while
    /// it is still 1-2 noise sigmas short of it (at 2-5 cm/s, 0.3-0.8 s early: tools/sweep_synth.py, ordinary
    /// conditions, seed 8484: 9 of 40 keep-out onsets more than 0.5 s early); the median of the window crosses
    /// the zone's edge when the contact does. `first` when no window's median is in the zone, or when the
    /// contacts kept do not reach back to the window before `first`.
    fn entry(&self, first: f64, now: f64, zone: &Zone) -> f64 {
        let h = KEEP_OUT_ENTRY_HALF_S;
        if self.recent.front().is_none_or(|w| w.0 > first - h) {
            return first;
        }
        let mut buf = Vec::with_capacity(self.recent.len());
        self.recent
            .iter()
            .map(|&(tau, _)| tau)
            .filter(|&tau| tau >= first && tau <= now - h + 1e-9)
            .find(|&tau| {
                buf.clear();
                buf.extend(self.recent.iter().filter(|w| (w.0 - tau).abs() <= h + 1e-9).map(|w| w.1));
                median(&mut buf).is_some_and(|m| zone.contains(m))
            })
            .unwrap_or(first)
    }

    pub fn force_end(&mut self, t: f64) -> Edge {
        self.debounce.force_end(t)
    }
}

/// One debounce per posture check of the exercise.
#[derive(Debug, Clone)]
pub struct PostureRules {
    checks: Vec<Debounce>,
}

impl PostureRules {
    pub fn new(max_checks: usize) -> Self {
        Self {
            checks: (0..max_checks)
                .map(|_| POSTURE_DEBOUNCE.bridged(POSTURE_BRIDGE_S))
                .collect(),
        }
    }

    pub fn update(&mut self, i: usize, t: f64, fault: bool) -> Edge {
        self.checks[i].update(t, fault)
    }

    pub fn force_end(&mut self, i: usize, t: f64) -> Edge {
        self.checks[i].force_end(t)
    }

    pub fn len(&self) -> usize {
        self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }
}

/// An exercise to avoid: a fault for as long as it is done (from when it was first recognised).
#[derive(Debug, Clone)]
pub struct AvoidRule {
    debounce: Debounce,
}

impl Default for AvoidRule {
    fn default() -> Self {
        Self {
            debounce: AVOID_DEBOUNCE.debounce(),
        }
    }
}

impl AvoidRule {
    pub fn update(&mut self, t: f64, on: bool, since: f64) -> Edge {
        self.debounce.update_since(t, on, Some(since))
    }

    pub fn force_end(&mut self, t: f64) -> Edge {
        self.debounce.force_end(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coach::exercise::Advice;

    #[test]
    fn too_fast_starts_where_the_speed_began_to_rise() {
        let mut r = TooFastRule::default();
        let mut start = None;
        for i in 0..60 {
            let t = i as f64 / 30.0;
            // Speeding up from 0.5 s, over the limit (10) from 1.0 s.
            let v = if t < 0.5 {
                5.0
            } else if t < 1.0 {
                8.0
            } else {
                15.0
            };
            if let Edge::Started { start: s } = r.update(t, Some(v), 0.0, None, 10.0) {
                start = Some(s);
            }
        }
        let s = start.expect("too fast found");
        assert!((s - 0.5).abs() < 0.05, "{s}");
    }

    /// Whether a speed of 11 cm/s for 1 s, over the limit of 10 by 1 cm/s, is too fast when the speed's standard
    /// error is `se`.
    fn too_fast_at_11_with_se(se: f32) -> bool {
        let mut r = TooFastRule::default();
        (0..30).any(|i| matches!(r.update(i as f64 / 30.0, Some(11.0), se, None, 10.0), Edge::Started { .. }))
    }

    #[test]
    fn a_speed_over_the_limit_by_less_than_its_noise_is_not_too_fast() {
        assert!(too_fast_at_11_with_se(0.5));
        assert!(!too_fast_at_11_with_se(2.0));
    }

    fn zone(name: &str, start: f32, end: f32) -> Zone {
        let advice = Advice { message: String::new(), cue: String::new(), source: String::new() };
        Zone { name: name.into(), start, end, advice }
    }

    #[test]
    fn keep_out_reports_the_zone_entered() {
        let zones = vec![zone("a", 0.0, 0.1), zone("b", 0.9, 1.0)];
        let mut r = KeepOutRule::default();
        let mut got = None;
        for i in 0..30 {
            let (e, z) = r.update(i as f64 / 30.0, Some(0.95), &zones);
            if matches!(e, Edge::Started { .. }) {
                got = z.map(|z| z.name.clone());
            }
        }
        assert_eq!(got.as_deref(), Some("b"));
    }

    /// Rolling in at 0.1 of the segment per second across the edge at 1.0 s, then resting at 0.95, under landmark
    /// noise of sigma 0.03: (the visit's start, the first flicker into the zone).
    fn noisy_entry(seed: u64) -> (f64, f64) {
        let zones = vec![zone("knee", 0.9, 1.0)];
        let (mut r, mut rng) = (KeepOutRule::default(), crate::synth::Rng::new(seed));
        let (mut start, mut first_flicker) = (None, None);
        for i in 0..90 {
            let t = i as f64 / 30.0;
            let c = ((0.8 + 0.1 * t) as f32).min(0.95) + 0.03 * rng.normal();
            if zones[0].contains(c) {
                first_flicker.get_or_insert(t);
            }
            if let (Edge::Started { start: s }, _) = r.update(t, Some(c), &zones) {
                start = Some(s);
            }
        }
        (start.expect("keep_out found"), first_flicker.unwrap())
    }

    #[test]
    fn a_keep_out_visit_starts_where_the_contact_crossed_into_the_zone_not_at_its_first_flicker() {
        let runs: Vec<(f64, f64)> = (1..=10).map(noisy_entry).collect();
        // The noise flickers the contact in while 1-2 sigmas (0.3-0.6 s) short of the edge.
        let early = runs.iter().map(|r| 1.0 - r.1).sum::<f64>() / runs.len() as f64;
        assert!(early > 0.25, "{runs:?}");
        // The median of the 0.4 s window around it crosses with the contact (its sigma ~0.1 s here).
        assert!(runs.iter().all(|r| (r.0 - 1.0).abs() <= 0.25), "{runs:?}");
    }

    #[test]
    fn a_keep_out_visit_with_its_first_flicker_older_than_the_memory_starts_there() {
        let zones = vec![zone("knee", 0.9, 1.0)];
        let mut r = KeepOutRule::default();
        let mut start = None;
        for i in 0..300 {
            let t = i as f64 / 30.0;
            // Short stays in the zone, each out again within the bridge, for longer than the contacts are kept.
            let inside = t >= 1.0 && (t >= 9.0 || i % 4 != 0);
            if let (Edge::Started { start: s }, _) = r.update(t, Some(if inside { 0.92 } else { 0.88 }), &zones) {
                start.get_or_insert(s);
            }
        }
        assert!((start.expect("keep_out found") - 1.0).abs() < 0.05, "{start:?}");
    }

    #[test]
    fn avoid_is_backdated_to_recognition() {
        let mut r = AvoidRule::default();
        assert_eq!(r.update(5.0, true, 3.0), Edge::Started { start: 3.0 });
    }
}
