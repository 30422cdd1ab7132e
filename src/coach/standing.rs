//! The standing posture family: back to a wall, a ball between back and wall, knees soft. Recognised from the
//! torso and thigh directions alone, so no exercise of this family needs the body to lie on the floor.

use super::geometry::{incline_deg, P2};
use super::recognize::MIN_VISIBILITY;
use crate::body::pair_elevation_deg;
use crate::landmarks::{idx, Pose, WorldLandmarks};

/// Standing: the torso within 30 deg of vertical. Seated on the floor or a roller the torso leans back further
/// (the engine's seated class starts at 35 deg above horizontal); leaning against a wall stays near vertical.
pub const STANDING_TORSO_DEG: f32 = 60.0;
/// ... and the hip above the knee by at least this share of the thigh (knees soft: a half squat against the wall
/// still has the hip well above the knee; seated on the floor the knee is level with or above the hip).
pub const STANDING_HIP_ABOVE_KNEE: f32 = 0.3;

/// ... and, seen in 3-D, the shank within 45 deg of vertical (knees soft: a half squat against the wall tilts the shank
/// 20-30 deg; seated on the floor or a roller with the legs out the shank is near horizontal).
pub const STANDING_SHANK_DEG: f32 = 45.0;

/// Mid-point of a left/right pair in image coordinates; None when not visible.
fn point(pose: &Pose, l: usize, r: usize) -> Option<P2> {
    let k = pose.mid(l, r);
    (k.visibility >= MIN_VISIBILITY).then(|| P2::from(k))
}

/// True when the body stands upright (torso near vertical, hip above the knee). With the 3-D world landmarks the
/// angles are taken against gravity (`body::pair_elevation_deg`, a camera tilted 0-45 deg down), so a seated or lying
/// body seen from an elevated camera, whose torso and thighs run up the image, is not standing; without them, from
/// the image (an upright camera).
pub fn is_standing(pose: &Pose) -> bool {
    let (Some(sh), Some(hp), Some(kn)) = (
        point(pose, idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER),
        point(pose, idx::LEFT_HIP, idx::RIGHT_HIP),
        point(pose, idx::LEFT_KNEE, idx::RIGHT_KNEE),
    ) else {
        return false;
    };
    if let Some(w) = &pose.world {
        return is_standing_3d(w);
    }
    let thigh = hp.dist(kn);
    sh.y < hp.y && incline_deg(hp, sh) >= STANDING_TORSO_DEG && thigh > 1e-3 && kn.y - hp.y >= STANDING_HIP_ABOVE_KNEE * thigh
}

fn is_standing_3d(w: &WorldLandmarks) -> bool {
    let (sh, hp) = ((idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER), (idx::LEFT_HIP, idx::RIGHT_HIP));
    let (kn, an) = ((idx::LEFT_KNEE, idx::RIGHT_KNEE), (idx::LEFT_ANKLE, idx::RIGHT_ANKLE));
    let el = |a, b| pair_elevation_deg(w, a, b).unwrap_or(0.0);
    el(hp, sh) >= STANDING_TORSO_DEG
        && el(kn, hp) >= STANDING_HIP_ABOVE_KNEE.asin().to_degrees()
        && el(an, kn) >= 90.0 - STANDING_SHANK_DEG
}
