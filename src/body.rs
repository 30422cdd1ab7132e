//! Pure geometry over the 3-D world landmarks (`Pose::world`: metres, hip-centred, camera-aligned axes x right,
//! y down, z away from the camera): body orientation against gravity, and a metric scale (cm per image pixel).

use crate::coach::Orientation;
use crate::landmarks::{group, idx, Pose, WorldLandmarks};

type V3 = [f32; 3];

/// The camera's assumed downward tilt, degrees. Gravity in camera axes is a rotation of the image's "up" about the
/// camera's x axis by the (unknown) tilt; for cameras tilted 0-45 deg down (the supported range) assuming the middle
/// keeps the error within 22.5 deg. Azimuth (rotation about gravity) does not change any angle to gravity. (The tilt
/// cannot be measured from the body instead: fitted to the lowest world landmarks or to a horizontal hip-ankle line,
/// it was off by 15-60 deg on the development renders.)
pub const ASSUMED_TILT_DEG: f32 = 22.5;
/// Side-lying when the torso is rolled about its long axis so far that its left-right axis rises more than this
/// above the horizontal, degrees; else supine or prone by the side the chest faces. The roll, not the angle of the
/// chest to "up", so that a torso reclined 30-45 deg (seated, leaning back on the hands) is not taken for
/// side-lying. 35, not the geometric 45: on the development renders (`render_validation.py --dev`, seeds 201-220)
/// the world landmarks give side-lying bodies a roll of 39 deg and more (5th percentile per clip; the depth axis
/// makes a body seen from behind look rolled back) and supine or prone ones at most 31 deg (95th percentile);
/// 35 is the middle of that gap.
pub const SIDE_ROLL_DEG: f32 = 35.0;
/// Seated (not lying) when the torso rises more than this above the horizontal, degrees (2-D rule: 35 deg).
/// On the development renders a seated person leaning back on the hands (the glutes on a ball) reads 31 deg and
/// more, supine ones (a roller or ball under the upper back) at most 21 deg; 30 sits in that gap, nearer the seated
/// side, because a roller under the shoulders already lifts a supine torso 15-20 deg. Was 40 until the glutes-on-a-
/// ball renders (issue 14) showed seated torsos at 35-45 deg. Those on low cameras read less (the tilt's error):
/// the posture decides there ([`SEATED_HIP_ANGLE_DEG`]).
pub const SEATED_INCLINE_DEG: f32 = 30.0;
/// The camera tilts the orientation supports, degrees (0 to this, down): [`ASSUMED_TILT_DEG`] is their middle.
pub const MAX_TILT_DEG: f32 = 45.0;
/// Seated although the torso reads under [`SEATED_INCLINE_DEG`] at the assumed tilt, when it would read over it at
/// another supported tilt and a thigh is drawn up to the torso closer than this angle between them (hip flexion past
/// a right angle), degrees. A torso pointing into the depth takes the tilt's error almost whole: the glutes-on-a-
/// ball renders (issue 14) seated 36-40 deg up read 19-30 deg on the low cameras d_ball_glutes_az10_el5 and
/// az25_el10 (torso 0.3-0.5 of its length in depth), while d_ball_upper_back_az55_el35, supine 7-10 deg up, reads
/// up to 39 at a level camera. In those frames the seated thigh (the crossed leg) made 51-88 deg with the torso, the
/// supine one (knees bent, feet on the floor) 91-131: 90, the right angle, sits in that gap.
pub const SEATED_HIP_ANGLE_DEG: f32 = 90.0;
/// ... and the hands rest on the floor beside or behind the hips: both wrists lie at most this share of the torso's
/// length up from the hips along it. In the same frames the higher seated wrist (leaning back on the hands) lay
/// -0.15 to 0.23 of the torso up, the higher supine one (arms crossed over the chest, as `ball_upper_back` asks)
/// 0.50-1.03; 0.36 is the middle of that gap.
pub const SEATED_WRIST_SHARE: f32 = 0.36;
/// Standing (no floor exercise) when both the torso and the thighs rise more than this, degrees.
pub const STANDING_INCLINE_DEG: f32 = 60.0;
/// The nose decides the chest side when it lies this far (m) against the shoulder-line normal (left/right swap).
const NOSE_FLIP_M: f32 = 0.03;

fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
fn dot(a: V3, b: V3) -> f32 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: V3, b: V3) -> V3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}
fn unit(a: V3) -> Option<V3> {
    let n = dot(a, a).sqrt();
    (n > 1e-6).then(|| [a[0] / n, a[1] / n, a[2] / n])
}
fn mid(w: &WorldLandmarks, a: usize, b: usize) -> V3 {
    let s = add(w[a], w[b]);
    [s[0] * 0.5, s[1] * 0.5, s[2] * 0.5]
}

/// How far the segment `a`-`b` of the world landmarks points out of the image plane: the sine of its angle with the
/// plane (its depth share of its length); `None` when the two landmarks coincide.
pub fn depth_tilt_sin(w: &WorldLandmarks, a: usize, b: usize) -> Option<f32> {
    unit(sub(w[b], w[a])).map(|d| d[2].abs())
}

/// "Up" (against gravity) in camera axes for a camera tilted down by `tilt_deg`.
fn up_at(tilt_deg: f32) -> V3 {
    let t = tilt_deg.to_radians();
    [0.0, -t.cos(), -t.sin()]
}

/// "Up" (against gravity) in camera axes for a camera tilted down by [`ASSUMED_TILT_DEG`].
pub fn assumed_up() -> V3 {
    up_at(ASSUMED_TILT_DEG)
}

/// The largest elevation of the unit direction `v` above the horizontal for any camera tilt of 0 to
/// [`MAX_TILT_DEG`], degrees. The elevation's sine, `v . up`, is `a cos t + b sin t` in the tilt `t`, a sinusoid
/// whose peak lies at `atan2(b, a)`: the largest value on the range is at that peak when it falls inside, else at an
/// end.
fn max_elevation_deg(v: V3) -> f32 {
    let peak = (-v[2]).atan2(-v[1]).to_degrees().clamp(0.0, MAX_TILT_DEG);
    [0.0, MAX_TILT_DEG, peak].map(|t| elevation_deg(v, up_at(t))).into_iter().fold(f32::MIN, f32::max)
}

/// Elevation of a direction above the horizontal, degrees (negative below).
fn elevation_deg(v: V3, up: V3) -> f32 {
    dot(v, up).clamp(-1.0, 1.0).asin().to_degrees()
}

/// Elevation above the (assumed) horizontal of the direction from the mid-point of the landmark pair `from` to that
/// of `to`, degrees; `None` when the two coincide.
pub fn pair_elevation_deg(w: &WorldLandmarks, from: (usize, usize), to: (usize, usize)) -> Option<f32> {
    let d = unit(sub(mid(w, to.0, to.1), mid(w, from.0, from.1)))?;
    Some(elevation_deg(d, assumed_up()))
}

/// The torso's axes: `head` (hips to shoulders), `left` (right to left side), `chest` (anterior normal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TorsoAxes {
    pub head: V3,
    pub left: V3,
    pub chest: V3,
}

/// Torso axes from the world landmarks; `None` for a degenerate torso.
pub fn torso_axes(w: &WorldLandmarks) -> Option<TorsoAxes> {
    let sh = mid(w, idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER);
    let hp = mid(w, idx::LEFT_HIP, idx::RIGHT_HIP);
    let head = unit(sub(sh, hp))?;
    let across = add(sub(w[idx::LEFT_SHOULDER], w[idx::RIGHT_SHOULDER]), sub(w[idx::LEFT_HIP], w[idx::RIGHT_HIP]));
    // left axis made perpendicular to the head axis
    let left = unit(sub(across, scale(head, dot(across, head))))?;
    let mut chest = cross(left, head);
    if dot(sub(w[idx::NOSE], sh), chest) < -NOSE_FLIP_M {
        chest = scale(chest, -1.0); // the model swapped left and right; the face shows the front
    }
    Some(TorsoAxes { head, left, chest })
}

fn scale(a: V3, k: f32) -> V3 {
    [a[0] * k, a[1] * k, a[2] * k]
}

/// Body orientation from the world landmarks, view-invariant for cameras turned 0-60 deg around the body and tilted
/// 0-45 deg down. `None` when the torso is degenerate or the person stands (no floor exercise).
pub fn orientation(w: &WorldLandmarks) -> Option<Orientation> {
    let up = assumed_up();
    let t = torso_axes(w)?;
    let torso_incline = elevation_deg(t.head, up);
    let hp = mid(w, idx::LEFT_HIP, idx::RIGHT_HIP);
    let kn = mid(w, idx::LEFT_KNEE, idx::RIGHT_KNEE);
    let thigh_incline = unit(sub(hp, kn)).map_or(0.0, |d| elevation_deg(d, up));
    if torso_incline > STANDING_INCLINE_DEG && thigh_incline > STANDING_INCLINE_DEG {
        return None;
    }
    // The roll first: someone on their side propped on an elbow (the IT band) raises the torso as much as someone
    // seated, but a seated torso is square to the floor.
    if elevation_deg(t.left, up).abs() > SIDE_ROLL_DEG {
        return Some(Orientation::Side);
    }
    Some(if torso_incline > SEATED_INCLINE_DEG || seated_by_posture(w, &t) {
        Orientation::Seated
    } else if dot(t.chest, up) >= 0.0 {
        Orientation::Supine
    } else {
        Orientation::Prone
    })
}

/// Seated by the posture where the torso's incline cannot tell (see [`SEATED_HIP_ANGLE_DEG`]): the torso rises more
/// than [`SEATED_INCLINE_DEG`] at some supported camera tilt, a thigh is drawn up past a right angle to it and both
/// hands are down by the hips. Lying on the back, the knees bent with the feet on the floor open the hips wider, and
/// the arms lie on the chest, behind the head or along the body.
fn seated_by_posture(w: &WorldLandmarks, t: &TorsoAxes) -> bool {
    if max_elevation_deg(t.head) <= SEATED_INCLINE_DEG {
        return false;
    }
    let hp = mid(w, idx::LEFT_HIP, idx::RIGHT_HIP);
    let torso_len = dot(sub(mid(w, idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER), hp), t.head);
    let hands_down = [idx::LEFT_WRIST, idx::RIGHT_WRIST]
        .iter()
        .all(|&i| dot(sub(w[i], hp), t.head) <= SEATED_WRIST_SHARE * torso_len);
    let thigh_angle = |hip: usize, knee: usize| {
        unit(sub(w[knee], w[hip])).map_or(180.0, |d| dot(d, t.head).clamp(-1.0, 1.0).acos().to_degrees())
    };
    let hip_angle = thigh_angle(idx::LEFT_HIP, idx::LEFT_KNEE).min(thigh_angle(idx::RIGHT_HIP, idx::RIGHT_KNEE));
    hands_down && hip_angle < SEATED_HIP_ANGLE_DEG
}

/// The long bones of the metric scale, each between two joint pairs (upper arm, forearm, thigh, shank, torso side).
const SCALE_BONES: [([usize; 2], [usize; 2]); 5] = [
    (group::SHOULDERS, group::ELBOWS),
    (group::ELBOWS, group::WRISTS),
    (group::HIPS, group::KNEES),
    (group::KNEES, group::ANKLES),
    (group::SHOULDERS, group::HIPS),
];
/// Body segments for the metric scale: each of [`SCALE_BONES`] on the left and on the right, then the shoulder and
/// hip widths.
const SCALE_SEGMENTS: [(usize, usize); 12] = {
    let mut out = [(0, 0); 12];
    let mut i = 0;
    while i < SCALE_BONES.len() {
        let ([a_left, a_right], [b_left, b_right]) = SCALE_BONES[i];
        (out[2 * i], out[2 * i + 1]) = ((a_left, b_left), (a_right, b_right));
        i += 1;
    }
    (out[10], out[11]) = ((group::SHOULDERS[0], group::SHOULDERS[1]), (group::HIPS[0], group::HIPS[1]));
    out
};
/// A segment counts when it points at most this far out of the image plane (its depth is the least certain
/// part of the world landmarks), degrees.
pub const MAX_SEGMENT_DEPTH_TILT_DEG: f32 = 35.0;
/// Segments shorter than this in the image are too noisy for a scale, pixels.
pub const MIN_SEGMENT_PX: f32 = 15.0;
/// Both end points must be at least this visible.
pub const SCALE_MIN_VISIBILITY: f32 = 0.5;
/// A segment agrees with the median within this share (for the quality figure).
pub const SCALE_AGREEMENT: f32 = 0.15;
/// Segments needed for a scale at all.
pub const MIN_SCALE_SEGMENTS: usize = 3;

/// A metric scale from the body: centimetres per image pixel near the body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BodyScale {
    pub cm_per_px: f32,
    /// Segments used.
    pub segments: usize,
    /// 0..1: the share of the usable segments within [`SCALE_AGREEMENT`] of the median, times min(1, segments/6).
    pub quality: f32,
}

/// Centimetres per pixel from segment lengths in the world landmarks (in-plane part, metres) against the same
/// segments in the image (pixels), robust median over the segments roughly parallel to the image plane.
pub fn cm_per_px(pose: &Pose) -> Option<BodyScale> {
    let w = pose.world.as_ref()?;
    let max_tilt = MAX_SEGMENT_DEPTH_TILT_DEG.to_radians().sin();
    let mut ratios: Vec<f32> = SCALE_SEGMENTS
        .iter()
        .filter_map(|&(a, b)| {
            let (ka, kb) = (pose.kp(a), pose.kp(b));
            if ka.visibility.min(kb.visibility) < SCALE_MIN_VISIBILITY {
                return None;
            }
            let px = (ka.x - kb.x).hypot(ka.y - kb.y);
            let d = sub(w[a], w[b]);
            let len = dot(d, d).sqrt();
            if px < MIN_SEGMENT_PX || len < 1e-3 || depth_tilt_sin(w, a, b)? > max_tilt {
                return None;
            }
            Some(100.0 * d[0].hypot(d[1]) / px)
        })
        .collect();
    if ratios.len() < MIN_SCALE_SEGMENTS {
        return None;
    }
    let n = ratios.len();
    let median = crate::stats::median(&mut ratios)?;
    let agree = ratios.iter().filter(|r| ((*r - median) / median).abs() <= SCALE_AGREEMENT).count();
    Some(BodyScale {
        cm_per_px: median,
        segments: n,
        quality: agree as f32 / n as f32 * (n as f32 / 6.0).min(1.0),
    })
}

#[cfg(test)]
mod tests;
