//! Per-exercise area accounting: time with the roller in the region, passes, coverage, holds, fault count, and the
//! one-off "done" / "too long" events.

use super::exercise::Exercise;
use super::report::{AreaReport, AreaSpeeds, HoldRecord};
use super::rules::{Coverage, Pass};

#[derive(Debug, Clone)]
pub struct AreaState {
    pub first_t: f64,
    pub last_t: f64,
    pub time_on_area: f64,
    pub passes: Vec<Pass>,
    pub coverage: Coverage,
    pub holds: Vec<HoldRecord>,
    pub done_emitted: bool,
    pub long_emitted: bool,
    pub faults: usize,
    /// Last time the roller was on the area.
    pub last_on_t: Option<f64>,
}

/// Gaps without a roller or a person up to this long between two frames on the area count as time on the area,
/// s: detector misses last a few frames; a longer gap is the person stopping.
pub const GAP_BRIDGE_S: f64 = 1.0;

/// Mean rolling speed over the passes, each weighted by its rolling time (its duration without the holds inside it:
/// the average over the time spent rolling), cm/s; `None` without passes. A short pass's speed is the least certain
/// (slow wander of the keypoints at 0.2-0.5 Hz moves the contact by several cm/s, and a 2 s fit does not average it
/// out), and an equal weight let the partial first leg of a track (3.7 s, reading 0.9-1.1 cm/s for 2.5 under
/// 2.6-2.8 px 0.3-0.4 Hz wander) pull a session's mean 12 % low.
pub fn mean_pass_speed(passes: &[Pass], holds: &[HoldRecord]) -> Option<f32> {
    let held = |p: &Pass| holds.iter().map(|h| (h.end.min(p.end) - h.start.max(p.start)).max(0.0)).sum::<f64>();
    let weight = |p: &Pass| (p.end - p.start - held(p)).max(1e-3);
    let total: f64 = passes.iter().map(weight).sum();
    (!passes.is_empty()).then(|| (passes.iter().map(|p| p.speed_cm_s as f64 * weight(p)).sum::<f64>() / total) as f32)
}

/// One-off area events due this frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AreaMilestones {
    /// The minimum time on the area was reached.
    pub done: bool,
    /// The maximum time on the area was passed.
    pub too_long: bool,
}

impl AreaState {
    pub fn new(t: f64) -> Self {
        Self {
            first_t: t,
            last_t: t,
            time_on_area: 0.0,
            passes: Vec::new(),
            coverage: Coverage::default(),
            holds: Vec::new(),
            done_emitted: false,
            long_emitted: false,
            faults: 0,
            last_on_t: None,
        }
    }

    /// Accounts `dt` of rolling at region fraction `contact` (None or outside the region: not on the area).
    pub fn account(
        &mut self,
        ex: &Exercise,
        t: f64,
        dt: f64,
        contact: Option<f32>,
    ) -> AreaMilestones {
        self.last_t = t;
        if let Some(c) = contact.filter(|&c| ex.region.contains(c)) {
            let gap = self.last_on_t.map_or(dt, |l| t - l);
            self.time_on_area += if gap <= GAP_BRIDGE_S { gap.max(dt) } else { dt };
            self.last_on_t = Some(t);
            self.coverage
                .mark((c - ex.region.start) / (ex.region.end - ex.region.start));
        }
        let (tmin, tmax) = ex.thresholds.time_on_area_s;
        let done = !self.done_emitted && self.time_on_area >= tmin as f64;
        let too_long = !self.long_emitted && self.time_on_area > tmax as f64;
        self.done_emitted |= done;
        self.long_emitted |= too_long;
        AreaMilestones { done, too_long }
    }

    /// The area's report.
    pub fn report(&self, ex: &Exercise) -> AreaReport {
        let max = self.passes.iter().map(|p| p.speed_cm_s).reduce(f32::max);
        let (tmin, tmax) = ex.thresholds.time_on_area_s;
        let status = if self.time_on_area < tmin as f64 {
            "short"
        } else if self.time_on_area <= tmax as f64 {
            "done"
        } else {
            "long"
        };
        AreaReport {
            exercise: ex.id.clone(),
            name: ex.name.clone(),
            segment: ex.segment.name.clone(),
            first_t: self.first_t,
            last_t: self.last_t,
            time_on_area_s: self.time_on_area,
            target_time_s: [tmin, tmax],
            status: status.into(),
            passes: self.passes.len(),
            speed: AreaSpeeds {
                mean_speed_cm_s: mean_pass_speed(&self.passes, &self.holds),
                max_speed_cm_s: max,
                max_allowed_speed_cm_s: ex.thresholds.max_speed_cm_s,
            },
            coverage: self.coverage.fraction(),
            holds: self.holds.clone(),
            faults: self.faults,
            pass_list: self.passes.clone(),
            ball: ex.tool.is_ball().then(|| super::trigger::BallReport {
                tool: ex.tool.as_str().into(),
                spots: super::trigger::spots(&self.holds),
            }),
        }
    }
}
