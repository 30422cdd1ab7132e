//! Trigger-point coaching with massage balls: search slowly for a tender spot, hold still on it 20-30 s breathing
//! out ("breathe out, let it sink"), then move on; holds are counted per spot (and side of the spine) and time per
//! area. Single balls must sit beside the spine, never on it: the `[spine]` check of the exercise file raises a
//! `keep_out` fault (zone `spine`) while the body lies square on the ball (`ball::roll_deg`). The keep-out zones
//! along the body (neck, kidneys at the low ribs, back of the knee) are ordinary `[[keep_out]]` zones.

use serde::{Deserialize, Serialize};

use super::ball::roll_deg;
use super::events::FaultInfo;
use super::exercise::RuleId;
use super::faults::KEEP_OUT_DEBOUNCE;
use super::report::HoldRecord;
use super::rules::Debounce;
use super::{Engine, FrameCtx};
use crate::landmarks::{RollerObs, ToolKind};

/// Holds closer than this share of the segment are on the same spot: about 5 cm of a 49 cm torso, the contact patch
/// of a 6-7 cm ball (a tender spot is found again within that when the ball comes back to it).
pub const SPOT_SHARE: f32 = 0.1;
/// Zone name of the spine keep-out in fault records (`detail`) and truth files.
pub const SPINE_ZONE: &str = "spine";
/// Cue when a hold on a ball begins: a slow breath out lets the tissue relax into the pressure (self-myofascial
/// release guidance, e.g. Cheatham et al. 2015 J Sports Phys Ther 10(6): sustained pressure with relaxed breathing).
pub const HOLD_CUE: &str = "breathe out, let it sink";
/// Cue when a ball exercise begins: search slowly for a tender spot before holding.
pub const SEARCH_CUE: &str = "search slowly";

/// Trigger-point state of the engine: the tool seen, the spine rule, the hold in progress and its side.
#[derive(Debug, Clone)]
pub struct TriggerState {
    /// The kind of tool last seen (chooses the stated diameter for the scale).
    pub kind: ToolKind,
    spine: Debounce,
    /// Body roll toward the ball this frame, degrees (+ right side on the ball).
    pub roll_deg: Option<f32>,
    /// Frames of the current hold with the ball left / right of the spine.
    side_votes: (u32, u32),
    /// Start of the hold in progress (the HUD's big timer).
    pub hold_since: Option<f64>,
    /// Exercise for which the search cue was given.
    searched: Option<usize>,
    /// The tool seen this frame.
    pub obs: Option<RollerObs>,
}

impl Default for TriggerState {
    fn default() -> Self {
        Self {
            kind: ToolKind::Roller,
            spine: KEEP_OUT_DEBOUNCE.debounce(),
            roll_deg: None,
            side_votes: (0, 0),
            hold_since: None,
            searched: None,
            obs: None,
        }
    }
}

impl TriggerState {
    /// "roller" or "ball": the tool named in messages and options.
    pub fn tool_name(&self) -> &'static str {
        match self.kind {
            ToolKind::Roller => "roller",
            ToolKind::Ball => "ball",
        }
    }

    /// Side of the spine the ball was on during the hold that just ended (majority of frames), if measured.
    pub fn take_hold_side(&mut self) -> Option<String> {
        let (l, r) = std::mem::take(&mut self.side_votes);
        self.hold_since = None;
        (l + r > 0).then(|| if r >= l { "right" } else { "left" }.to_string())
    }
}

impl Engine {
    /// Seconds held on the current spot and the exercise's [min, max] hold time, while a hold on a ball runs (the
    /// HUD's big timer).
    pub fn ball_hold(&self) -> Option<(f64, (f64, f64))> {
        let ex = self.current_exercise().filter(|e| e.tool.is_ball())?;
        let since = self.trigger.hold_since?;
        let (lo, hi) = ex.thresholds.hold_s;
        Some(((self.metrics.t - since).max(0.0), (lo as f64, hi as f64)))
    }

    /// Ball rules of the current exercise: spine keep-out, hold timer and cues.
    pub(super) fn trigger_rules(&mut self, ctx: &FrameCtx) {
        let obs = self.trigger.obs;
        let ex = &self.exercises[ctx.e];
        if !ex.tool.is_ball() {
            return;
        }
        if self.trigger.searched != Some(ctx.e) && ctx.contact.is_some() {
            self.trigger.searched = Some(ctx.e);
            self.log.info(RuleId::Hold, SEARCH_CUE, ctx.t);
        }
        let roll = match (ctx.pose, ctx.contact, obs, self.scale.px_per_cm, &ex.spine) {
            (Some(p), Some(c), Some(o), Some(ppc), Some(sp)) => roll_deg(p, sp.landmark, &c, &o, ppc),
            _ => None,
        };
        self.trigger.roll_deg = roll;
        let hold = self.rules.hold.active_since();
        if hold.is_some() && self.trigger.hold_since.is_none() {
            self.log.info(RuleId::Hold, HOLD_CUE, ctx.t);
        }
        self.trigger.hold_since = hold;
        if let (Some(r), Some(_)) = (roll, hold) {
            let v = &mut self.trigger.side_votes;
            if r >= 0.0 { v.1 += 1 } else { v.0 += 1 }
        }
        let Some(sp) = &ex.spine else { return };
        let in_region = ctx.contact.is_some_and(|c| ex.region.contains(c.t));
        let on_spine = in_region && roll.is_some_and(|r| r.abs() < sp.min_roll_deg);
        let edge = self.trigger.spine.update(ctx.t, on_spine);
        if self.log.fault_edge(edge, &FaultInfo::keep_out(&sp.advice, &ex.id, SPINE_ZONE), ctx.t) {
            if let Some(a) = self.areas[ctx.e].as_mut() {
                a.faults += 1;
            }
        }
    }

    /// Ends the spine keep-out of exercise `e` at `t` (exercise change, end of session).
    pub(super) fn trigger_end(&mut self, e: usize, t: f64) {
        let edge = self.trigger.spine.force_end(t);
        self.log.fault_edge(edge, &FaultInfo::ending(RuleId::KeepOut, &self.exercises[e].id), t);
        self.trigger.searched = None;
    }
}

/// Holds on one spot of an area (ball exercises).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpotReport {
    /// Mean position of the holds along the segment.
    pub position: f32,
    /// Side of the spine ("left", "right"), when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    pub holds: usize,
    pub hold_s: f64,
}

/// The holds grouped into spots: same side, positions within [`SPOT_SHARE`] of the spot's first hold.
pub fn spots(holds: &[HoldRecord]) -> Vec<SpotReport> {
    let mut out: Vec<(f32, SpotReport)> = Vec::new();
    for h in holds {
        match out.iter_mut().find(|(p0, s)| s.side == h.side && (h.position - *p0).abs() <= SPOT_SHARE) {
            Some((_, s)) => {
                s.position = (s.position * s.holds as f32 + h.position) / (s.holds + 1) as f32;
                s.holds += 1;
                s.hold_s += h.duration_s;
            }
            None => out.push((
                h.position,
                SpotReport { position: h.position, side: h.side.clone(), holds: 1, hold_s: h.duration_s },
            )),
        }
    }
    out.into_iter().map(|(_, s)| s).collect()
}

/// Tool and spots of an area in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BallReport {
    /// "ball" or "peanut".
    pub tool: String,
    pub spots: Vec<SpotReport>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(position: f32, side: Option<&str>, d: f64) -> HoldRecord {
        HoldRecord { start: 0.0, end: d, duration_s: d, position, side: side.map(str::to_string) }
    }

    #[test]
    fn a_ball_hold_runs_the_timer_and_says_breathe_out() {
        use crate::coach::{load_dir, Engine, EngineConfig};
        use crate::synth::{generate, FaultSpec, SynthConfig};
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises");
        let all = load_dir(&dir).unwrap();
        let ex = all.iter().find(|e| e.id == "ball_upper_back").unwrap();
        let cfg = SynthConfig { speed_cm_s: 3.0, duration_s: 30.0, faults: vec![FaultSpec::parse("hold@8+15").unwrap()], ..SynthConfig::default() };
        let (track, _) = generate(ex, &cfg).unwrap();
        let mut engine = Engine::with_exercises(EngineConfig::new(&dir), all.clone()).unwrap();
        let (mut timer_at_20, mut timer_at_28, mut cues) = (None, None, Vec::new());
        for f in &track.frames {
            engine.push(f);
            cues.extend(engine.drain_new_cues().into_iter().map(|c| c.text));
            if (f.t - 20.0).abs() < 1e-6 {
                timer_at_20 = engine.ball_hold();
            }
            if (f.t - 28.0).abs() < 1e-6 {
                timer_at_28 = engine.ball_hold();
            }
        }
        let (secs, target) = timer_at_20.expect("hold timer running at 20 s");
        assert!((secs - 12.0).abs() < 1.0, "{secs}");
        assert_eq!(target, (20.0, 30.0));
        assert!(timer_at_28.is_none(), "timer still running after the hold");
        assert!(cues.iter().any(|c| c == HOLD_CUE) && cues.iter().any(|c| c == SEARCH_CUE), "{cues:?}");
    }

    #[test]
    fn holds_group_into_spots_by_position_and_side() {
        let s = spots(&[
            hold(0.30, Some("left"), 20.0),
            hold(0.33, Some("left"), 25.0),
            hold(0.31, Some("right"), 22.0),
            hold(0.60, Some("left"), 21.0),
        ]);
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!((s[0].holds, s[0].hold_s), (2, 45.0));
        assert_eq!(s[1].side.as_deref(), Some("right"));
    }
}
