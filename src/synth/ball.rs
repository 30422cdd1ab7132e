//! Massage-ball tracks: the ball exercises' body families (the standing wall family, the floor families shared with
//! the roller), the body's roll toward a single ball beside the spine, the ball observation (a peanut with its axis)
//! and the truth of an injected "on the spine" episode.

use super::{ik2, w, Body, FaultSpec, TruthFault, W, FOREARM_CM, SHANK_CM, SHOULDER_TO_EAR_CM, THIGH_CM, TORSO_CM, UPPER_ARM_CM};
use crate::coach::ball::{Support, Tool, SHOULDER_WIDTH_CM};
use crate::coach::exercise::{Exercise, Orientation, RuleId};
use crate::coach::trigger::SPINE_ZONE;
use crate::landmarks::{idx, RollerObs, ToolKind};

/// Roll of the body toward a single ball beside the spine in generated tracks, deg (right side on the ball). Beside
/// the spine the back turns 15-20 deg (`exercises/ball_upper_back.toml`); 14 deg keeps the shoulders' image split
/// (9 cm) clear of the side-lying class (a quarter of the torso, 12 cm) in the 2-D orientation rules.
pub const SYNTH_ROLL_DEG: f32 = 14.0;
/// Hip height of the standing wall family at mid-range, cm: a 170 cm body with soft knees (hip joint height
/// standing straight is about 0.53 x stature = 90 cm, Winter 2009); a half-squat lowers it to about 76 cm.
const STAND_HIP_CM: f32 = 76.0;
/// Feet a step in front of the wall line, cm.
const STAND_FEET_CM: f32 = 22.0;
/// Soft tissue between the back's landmark line (shoulder and hip joints) and the ball, cm.
const BACK_TISSUE_CM: f32 = 10.0;
/// The peanut's axis as the synthetic camera sees it: 60 deg off the axis, a 2-diameter peanut is 1.73 diameters
/// long in the image (`coach::ball::PEANUT_MIN_ASPECT` is 1.3).
const PEANUT_VIEW_DEG: f32 = 60.0;

/// Body family of a ball exercise, from its support, posture and segment.
pub fn family(ex: &Exercise) -> Option<&'static str> {
    if !ex.tool.is_ball() {
        return None;
    }
    let o = ex.recognize.as_ref().and_then(|r| r.orientation.first().copied());
    Some(match (ex.support, o, ex.segment.name.as_str()) {
        (Support::Wall, _, "torso") => "standing_wall",
        (Support::Floor, Some(Orientation::Supine), "torso") => "supine_bridge",
        (Support::Floor, Some(Orientation::Side), "torso") => "side_torso",
        (Support::Floor, Some(Orientation::Seated), "thigh") => "seated_glute",
        _ => return None,
    })
}

/// Centre of the tool in world cm: on the floor (0, r); against the wall at the height that puts the hips at
/// `STAND_HIP_CM` when the contact is mid-range (`mid`).
pub fn tool_centre(fam: &str, r: f32, mid: f32) -> W {
    if fam == "standing_wall" {
        w(0.0, STAND_HIP_CM + (1.0 - mid) * TORSO_CM)
    } else {
        w(0.0, r)
    }
}

/// Standing with the back to a wall (the wall on the left, at x = -r), facing right, the ball behind the torso at
/// contact `c`: shoulder, hip, knee, ankle, elbow, wrist, ear, nose.
pub fn standing(c: f32, ball: W, r: f32) -> [W; 8] {
    let x = ball.x + r + BACK_TISSUE_CM;
    let sh = w(x, ball.y + c * TORSO_CM);
    let hip = w(x, sh.y - TORSO_CM);
    let ankle = w(x + STAND_FEET_CM, 8.0);
    let knee = ik2(hip, ankle, THIGH_CM, SHANK_CM, 1.0).0;
    let elbow = sh.add(w(4.0, -UPPER_ARM_CM + 1.0));
    let wrist = elbow.add(w(FOREARM_CM * 0.5, -FOREARM_CM * 0.85));
    let ear = sh.add(w(2.0, SHOULDER_TO_EAR_CM));
    let nose = ear.add(w(9.0, -1.0));
    [sh, hip, knee, ankle, elbow, wrist, ear, nose]
}

/// Turns the body by `roll_deg` toward the ball (right side lifted away from the support): the right shoulder moves
/// by the shoulder width x sin(roll), the right hip half as much (the pelvis follows the chest less).
pub fn apply_roll(b: &mut Body, fam: &str, roll_deg: f32) {
    if roll_deg == 0.0 {
        return;
    }
    let away = if fam == "standing_wall" { w(1.0, 0.0) } else { w(0.0, 1.0) };
    let d = SHOULDER_WIDTH_CM * roll_deg.to_radians().sin();
    for (i, k) in [(idx::RIGHT_SHOULDER, 1.0), (idx::RIGHT_ELBOW, 1.0), (idx::RIGHT_HIP, 0.5)] {
        b[i].0 = b[i].0.add(away.scale(d * k));
    }
}

/// Roll at `t`: `SYNTH_ROLL_DEG` for exercises with a spine check, toward 0 during an injected on-spine episode.
pub fn roll_at(ex: &Exercise, on_spine: &[FaultSpec], t: f64) -> f32 {
    if ex.spine.is_none() {
        return 0.0;
    }
    let k = on_spine.iter().map(|f| f.ramp(t)).fold(0.0f32, f32::max);
    SYNTH_ROLL_DEG * (1.0 - k)
}

/// The tool as a detector reports it: kind, and for a peanut its axis (horizontal in the image).
pub fn observe(ex: &Exercise, mut obs: RollerObs) -> RollerObs {
    if !ex.tool.is_ball() {
        return obs;
    }
    obs.kind = ToolKind::Ball;
    if ex.tool == Tool::Peanut {
        let half = 2.0 * obs.r * PEANUT_VIEW_DEG.to_radians().sin();
        obs.axis = Some([[obs.cx - half, obs.cy], [obs.cx + half, obs.cy]]);
    }
    obs
}

/// Truth of the spine keep-out: the times the generated roll is under the exercise's `min_roll_deg`.
#[derive(Debug, Default)]
pub struct SpineTruth {
    open: Option<(f64, f64)>,
    pub faults: Vec<TruthFault>,
}

impl SpineTruth {
    pub fn observe(&mut self, ex: &Exercise, on_spine: &[FaultSpec], t: f64, roll: f32) {
        let Some(sp) = &ex.spine else { return };
        let inside = roll.abs() < sp.min_roll_deg;
        match (inside, self.open) {
            (true, None) => {
                let inj = on_spine.iter().filter(|f| f.onset_s <= t).map(|f| f.onset_s).fold(t, f64::min);
                self.open = Some((t, inj));
            }
            (false, Some((t0, inj))) => self.close(t0, t, inj),
            _ => {}
        }
    }

    fn close(&mut self, onset: f64, end: f64, injected_at: f64) {
        self.open = None;
        self.faults.push(TruthFault { rule: RuleId::KeepOut, onset, end, injected_at, zone: Some(SPINE_ZONE.into()) });
    }

    pub fn finish(mut self, t_end: f64) -> Vec<TruthFault> {
        if let Some((t0, inj)) = self.open {
            self.close(t0, t_end, inj);
        }
        self.faults
    }
}
