//! The standing posture family: back to a wall, a ball between back and wall, knees soft. Recognised from the
//! torso and thigh directions alone, so no exercise of this family needs the body to lie on the floor.

use super::geometry::{incline_deg, P2};
use super::recognize::MIN_VISIBILITY;
use crate::landmarks::{idx, Pose};

/// Standing: the torso within 30 deg of vertical. Seated on the floor or a roller the torso leans back further
/// (the engine's seated class starts at 35 deg above horizontal); leaning against a wall stays near vertical.
pub const STANDING_TORSO_DEG: f32 = 60.0;
/// ... and the hip above the knee by at least this share of the thigh (knees soft: a half squat against the wall
/// still has the hip well above the knee; seated on the floor the knee is level with or above the hip).
pub const STANDING_HIP_ABOVE_KNEE: f32 = 0.3;

/// Mid-point of a left/right pair in image axes (x right, y down): the world landmarks when present (hip-centred,
/// image-aligned axes, so "up" is the same), else the image landmarks. None when not visible.
fn point(pose: &Pose, l: usize, r: usize) -> Option<P2> {
    let k = pose.mid(l, r);
    if k.visibility < MIN_VISIBILITY {
        return None;
    }
    Some(match &pose.world {
        Some(w) => P2::new(0.5 * (w[l][0] + w[r][0]), 0.5 * (w[l][1] + w[r][1])),
        None => P2::from(k),
    })
}

/// True when the body stands upright (torso near vertical, hip above the knee); for an upright camera.
pub fn is_standing(pose: &Pose) -> bool {
    let (Some(sh), Some(hp), Some(kn)) = (
        point(pose, idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER),
        point(pose, idx::LEFT_HIP, idx::RIGHT_HIP),
        point(pose, idx::LEFT_KNEE, idx::RIGHT_KNEE),
    ) else {
        return false;
    };
    let thigh = hp.dist(kn);
    sh.y < hp.y && incline_deg(hp, sh) >= STANDING_TORSO_DEG && thigh > 1e-3 && kn.y - hp.y >= STANDING_HIP_ABOVE_KNEE * thigh
}
