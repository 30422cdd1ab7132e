//! Which side of the body is being rolled, from the pose and the roller in the image.
//!
//! The limb (or half of the trunk) that rests on the roller is the one whose segment passes nearest the roller's
//! centre in the image: in a side view the supporting limb lies on the roller and the free one is lifted or crossed
//! over in front of it. When both sides pass about equally near (both thighs on the roller, the upper back across
//! it) the frame counts as `both`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::data::MetricRow;
use crate::coach::Exercise;
use crate::posetrack::TrackFrame;

/// Sides closer together than this many roller radii (difference of their distances to the roller centre) cannot
/// be told apart: both limbs lie on the roller, or they overlap in the image. Half a radius is well above the
/// landmark noise of BlazePose on the rendered samples (a few pixels against radii of 18-40 px).
pub const SIDE_MARGIN_RADII: f32 = 0.5;
/// Landmarks less visible than this are not used (the model guesses hidden joints).
pub const SIDE_MIN_VISIBILITY: f32 = 0.1;
/// A side-to-side time ratio above this is called an imbalance (product choice: a 2:1 split on a 30-120 s target
/// leaves one side under-treated).
pub const IMBALANCE_RATIO: f64 = 2.0;
/// Imbalance is only noted when the larger side has at least this many seconds (below it the split is noise).
pub const IMBALANCE_MIN_S: f64 = 5.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Left,
    Right,
    Both,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
            Side::Both => "both",
        }
    }
}

/// Seconds in the region of one area, by side (added to each area of report.json as `sides`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct SideTimes {
    pub left_s: f64,
    pub right_s: f64,
    pub both_s: f64,
    /// In the region but the side could not be measured (no roller or landmarks in that frame).
    pub unknown_s: f64,
}

impl SideTimes {
    /// A short note when one side had clearly more time than the other, e.g. "left IT band 60 s, right 20 s".
    pub fn imbalance(&self, area_name: &str) -> Option<String> {
        let (hi, lo) = (self.left_s.max(self.right_s), self.left_s.min(self.right_s));
        (hi >= IMBALANCE_MIN_S && hi > IMBALANCE_RATIO * lo).then(|| {
            format!(
                "left {area_name} {:.0} s, right {:.0} s: give the other side the same time",
                self.left_s, self.right_s
            )
        })
    }
}

fn dist_to_segment(p: (f32, f32), a: [f32; 3], b: [f32; 3]) -> f32 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let u = if len2 > 0.0 { (((p.0 - a[0]) * dx + (p.1 - a[1]) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
    let (cx, cy) = (a[0] + u * dx, a[1] + u * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

/// The side resting on the roller in one frame; `None` without a person, a roller or visible landmarks.
pub fn frame_side(frame: &TrackFrame, exercise: &Exercise) -> Option<Side> {
    let (pose, roller) = (frame.pose.as_ref()?, frame.roller.as_ref()?);
    if let Some(s) = ball_side(pose, roller, exercise) {
        return s;
    }
    let (fl, fr) = exercise.segment.from.sides();
    let (tl, tr) = exercise.segment.to.sides();
    if fl == fr && tl == tr {
        return Some(Side::Both); // a midline segment (neck, spine) has no sides
    }
    let kp = |i: usize| {
        let k = pose.keypoints[i];
        (k.visibility >= SIDE_MIN_VISIBILITY).then_some([k.x, k.y, k.visibility])
    };
    let c = (roller.cx, roller.cy);
    let dl = dist_to_segment(c, kp(fl)?, kp(tl)?);
    let dr = dist_to_segment(c, kp(fr)?, kp(tr)?);
    Some(if (dl - dr).abs() < SIDE_MARGIN_RADII * roller.r {
        Side::Both
    } else if dl < dr {
        Side::Left
    } else {
        Side::Right
    })
}

/// Massage balls: a peanut straddles the spine (both sides); a single ball with a spine check is on the side the
/// body rolls toward (`coach::ball::roll_deg`), both when square on it. None: not a ball exercise with either.
fn ball_side(pose: &crate::landmarks::Pose, obs: &crate::landmarks::RollerObs, ex: &Exercise) -> Option<Option<Side>> {
    use crate::coach::ball::{spine_roll, Tool};
    if ex.tool == Tool::Peanut {
        return Some(Some(Side::Both));
    }
    let min = ex.spine.as_ref()?.min_roll_deg;
    Some(spine_roll(pose, obs, ex).map(|r| match r {
        r if r >= min => Side::Right,
        r if r <= -min => Side::Left,
        _ => Side::Both,
    }))
}

/// Seconds per area (exercise id) and side, over frames where the engine had the roller in that area's region.
/// `frames` and `metrics` are the same frames in the same order.
pub fn side_times(frames: &[TrackFrame], metrics: &[MetricRow], exercises: &[Exercise]) -> BTreeMap<String, SideTimes> {
    let mut out: BTreeMap<String, SideTimes> = BTreeMap::new();
    let typical_dt = typical_dt(frames);
    for (i, (f, m)) in frames.iter().zip(metrics).enumerate() {
        let (Some(id), true) = (m.exercise.as_deref(), m.in_region) else { continue };
        let Some(ex) = exercises.iter().find(|e| e.id == id) else { continue };
        let dt = frames.get(i + 1).map_or(typical_dt, |n| (n.t - f.t).clamp(0.0, 4.0 * typical_dt));
        let st = out.entry(id.to_string()).or_default();
        match frame_side(f, ex) {
            Some(Side::Left) => st.left_s += dt,
            Some(Side::Right) => st.right_s += dt,
            Some(Side::Both) => st.both_s += dt,
            None => st.unknown_s += dt,
        }
    }
    out
}

fn typical_dt(frames: &[TrackFrame]) -> f64 {
    let mut d: Vec<f64> = frames.windows(2).map(|w| w[1].t - w[0].t).filter(|d| *d > 0.0).collect();
    d.sort_by(f64::total_cmp);
    d.get(d.len() / 2).copied().unwrap_or(1.0 / 30.0)
}

/// Adds `sides` (seconds per side) to every area of a report's coaching map (`areas[i].sides`), additively.
pub fn add_to_report(coaching: &mut serde_json::Map<String, serde_json::Value>, sides: &BTreeMap<String, SideTimes>) {
    let Some(serde_json::Value::Array(areas)) = coaching.get_mut("areas") else { return };
    for a in areas.iter_mut() {
        let Some(obj) = a.as_object_mut() else { continue };
        let id = obj.get("exercise").and_then(|v| v.as_str()).unwrap_or_default();
        let st = sides.get(id).copied().unwrap_or_default();
        obj.insert("sides".into(), serde_json::to_value(st).expect("side times serialise"));
    }
}
