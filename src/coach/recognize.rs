//! Body orientation (supine / prone / side-lying / seated) and roller contact on a body segment, from one pose.

use super::exercise::{LandmarkRef, Orientation, SegmentDef};
use super::geometry::{cross_along, incline_deg, project, P2};
use crate::landmarks::{idx, Pose, RollerObs};

/// Landmarks below this visibility are not trusted.
pub const MIN_VISIBILITY: f32 = 0.3;
/// Side-lying when left and right shoulders (or hips) are this far apart vertically, as a share of torso length.
pub const SIDE_LYING_SPLIT: f32 = 0.25;
/// Seated (not supine) when the torso rises more than this above the horizontal, degrees.
pub const SEATED_INCLINE_DEG: f32 = 35.0;
/// The roller only supports segments flatter than this, degrees.
pub const MAX_SEGMENT_INCLINE_DEG: f32 = 50.0;
/// Largest gap between the segment's landmark line and the roller's top (soft-tissue thickness), cm.
pub const MAX_TISSUE_GAP_CM: f32 = 22.0;
/// The other side must be better placed by this many roller radii to switch sides.
const SIDE_SWITCH_MARGIN_R: f32 = 1.0;
/// The roller may appear to overlap the landmark line by this share of its radius (noise, perspective).
pub const MAX_OVERLAP_R: f32 = 0.6;
/// The contact may lie at most this share of the segment beyond its landmarks (the landmark is inside the joint,
/// the tissue rolled extends past it).
pub const MAX_OUTSIDE: f32 = 0.6;
/// A roller's axis (or top line) and a body segment are intersected only when they cross at this sine of an angle or
/// more (30 deg): the crossing point moves by 1/sin of any error in either line (the learned axis is off by ~0.3-0.7 r
/// at each end), so two nearly parallel lines would put the contact anywhere along the roller. Used here and by the
/// roller module's contact point (`roller::contact`).
pub const MIN_CROSSING_SIN: f32 = 0.5;
/// A segment within this many degrees of level has no lower end for a lengthwise roller to bear on (a body lying
/// along it); the seated thigh of d_glutes_az35_el20 rises 27 deg in the image.
const LEVEL_SEGMENT_DEG: f32 = 15.0;

/// A segment pointing more than this far out of the image plane (by the world landmarks' depth) is seen too
/// foreshortened to place a contact along it: its image is under half its length, so any error across the image
/// moves the contact twice as far along the body, and the crossing with the roller's axis runs off the segment. On
/// the development clip d_glutes_az50_el30 the crossed leg's thigh, pointing at the camera (27 px against the other
/// thigh's 85), put the buttock's contact at 0.9-1.0 of the thigh (truth -0.02..-0.10). Geometry, not fitted: cos 60
/// deg = 1/2.
pub const MAX_CONTACT_DEPTH_TILT_DEG: f32 = 60.0;

/// True when the world landmarks say the segment `ia`-`ib` points more than [`MAX_CONTACT_DEPTH_TILT_DEG`] out of
/// the image plane (false without world landmarks).
fn seen_end_on(pose: &Pose, ia: usize, ib: usize) -> bool {
    let tilt = pose.world.as_ref().and_then(|w| crate::body::depth_tilt_sin(w, ia, ib));
    tilt.is_some_and(|s| s > MAX_CONTACT_DEPTH_TILT_DEG.to_radians().sin())
}

/// How far the position `t` along a segment (0..1 between its landmarks) lies beyond it, in segment lengths.
pub fn outside_share(t: f32) -> f32 {
    (-t).max(t - 1.0).max(0.0)
}

fn visible(pose: &Pose, i: usize) -> bool {
    pose.keypoints[i].visibility >= MIN_VISIBILITY
}

/// Orientation of the body: from the 3-D world landmarks when the estimator gives them (view-invariant, see
/// `body::orientation`), else from the image positions of shoulders, hips, ears and nose.
pub fn classify_orientation(pose: &Pose) -> Option<Orientation> {
    if super::standing::is_standing(pose) {
        return Some(Orientation::Standing);
    }
    match &pose.world {
        Some(w) => crate::body::orientation(w),
        None => classify_orientation_2d(pose),
    }
}

/// The 2-D rules (camera side-on): shoulder/hip split, face direction, torso incline.
fn classify_orientation_2d(pose: &Pose) -> Option<Orientation> {
    let sh = P2::from(pose.mid(idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER));
    let hp = P2::from(pose.mid(idx::LEFT_HIP, idx::RIGHT_HIP));
    let torso = sh.dist(hp);
    if torso < 5.0 {
        return None;
    }
    let split = |a: usize, b: usize| {
        if visible(pose, a) && visible(pose, b) {
            (pose.keypoints[a].y - pose.keypoints[b].y).abs()
        } else {
            0.0
        }
    };
    if split(idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER).max(split(idx::LEFT_HIP, idx::RIGHT_HIP))
        > SIDE_LYING_SPLIT * torso
    {
        return Some(Orientation::Side);
    }
    // Anterior direction from the face: nose relative to the ears, against the torso's "up" normal.
    let ear = P2::from(pose.mid(idx::LEFT_EAR, idx::RIGHT_EAR));
    let nose = P2::from(pose.kp(idx::NOSE));
    let u = sh.sub(hp).scale(1.0 / torso);
    let mut n_up = P2::new(-u.y, u.x);
    if n_up.y > 0.0 {
        n_up = n_up.scale(-1.0);
    }
    let facing_up = nose.sub(ear).dot(n_up);
    if facing_up < 0.0 {
        return Some(Orientation::Prone);
    }
    if incline_deg(hp, sh) > SEATED_INCLINE_DEG {
        Some(Orientation::Seated)
    } else {
        Some(Orientation::Supine)
    }
}

/// The roller under one body segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmentContact {
    /// Position of the contact along the segment (0 = `from`, 1 = `to`).
    pub t: f32,
    /// Segment length, px.
    pub len_px: f32,
    /// Gap between the landmark line and the top of the roller, px (soft tissue; can be slightly negative).
    pub gap_px: f32,
    /// Ranking score in cm: |gap| plus how far the contact lies outside the segment. Lower is better.
    pub score_cm: f32,
    /// Endpoints used (image px).
    pub from_px: P2,
    pub to_px: P2,
    /// 0 = left chain, 1 = right chain.
    pub side: u8,
    /// `Some` when the position is pinned to a landmark, not measured (see [`SegmentContact::pinned`]): how far the
    /// tool has travelled under it, the image-horizontal offset of the tool's centre from the `from` landmark, px,
    /// positive toward `to` ([`travel_px`]). The motion (speed, passes, holds) of a pinned contact is measured from
    /// it; `None` for a contact measured along the segment.
    pub travel_px: Option<f32>,
}

impl SegmentContact {
    /// The position is pinned to a landmark, not measured: a roller seen along a rising segment is placed at the
    /// segment's lower end when the stretch they share runs past it ([`lengthwise_contact`]), and that place does not
    /// move as the body rolls. Such a contact places the tool on an area; its `t` measures no motion (on the
    /// development glutes clips it had read as a roller held still for the whole clip): its `travel_px` does.
    pub fn pinned(&self) -> bool {
        self.travel_px.is_some()
    }
}

/// The horizontal image offset of the tool's centre `c` from `a`, px, positive toward `b`. Seated on a tool with
/// the thigh drawn up, the body rolls forward and back over the floor while the place where it rests stays at the
/// hip: the hip's horizontal offset from the tool's centre changes at the rate the tool moves under the body
/// (rolling without slipping, the centre moves at half the body's speed, as the contact does along the body). On the
/// development clips d_glutes_* the pinned contact had measured no speed at all.
fn travel_px(c: P2, a: P2, b: P2) -> f32 {
    let toward_b = if b.x >= a.x { 1.0 } else { -1.0 };
    (c.x - a.x) * toward_b
}

/// Side 0 = left chain, 1 = right chain.
fn chain_index(r: LandmarkRef, side: u8) -> usize {
    let (l, rr) = r.sides();
    if side == 0 { l } else { rr }
}

fn chain(pose: &Pose, r: LandmarkRef, side: u8) -> Option<P2> {
    let i = chain_index(r, side);
    visible(pose, i).then(|| P2::from(pose.kp(i)))
}

/// The roller's centre: the middle of its axis when the detector sees the cylinder (in an oblique view the visible
/// end face is off to the side of the body), else its end face's centre (side view, or a track without an axis).
fn roller_centre(roller: &RollerObs) -> P2 {
    match roller.axis {
        Some([p, q]) => P2::new(0.5 * (p[0] + q[0]), 0.5 * (p[1] + q[1])),
        None => P2::new(roller.cx, roller.cy),
    }
}

/// Where the roller that touches the body at image point `c` lies along the segment `a`-`b`: the line through `c`
/// along the roller's `axis` meets it there. A roller lies across the limb or the spine, so in an image (nearly an
/// affine view of the body) it crosses the left and the right landmark lines, and the line between them, at the
/// same fraction of their lengths, while the foot of a perpendicular from `c` does not: in a 3/4 view the left and
/// right shoulder-hip lines lie a torso's width apart, and the perpendicular foot on the other side's line read the
/// upper back 0.2-0.3 of the segment off on the development clip d_upper_back_az40_el30. Nearly parallel lines
/// (a roller seen lengthwise) give [`lengthwise_contact`].
fn contact_along(c: P2, axis: [[f32; 2]; 2], r: f32, a: P2, b: P2) -> Option<(f32, bool)> {
    let u = P2::new(axis[1][0] - axis[0][0], axis[1][1] - axis[0][1]);
    cross_along(c, u, a, b.sub(a), MIN_CROSSING_SIN).map(|t| (t, false)).or_else(|| lengthwise_contact(c, axis, r, a, b))
}

/// A roller whose image runs along the segment touches it over the stretch the two share. On an inclined segment
/// the body's weight rests on the stretch's lower end: seated on a roller (glutes) the thigh rises from the hip to
/// the knee, and seen from 35 deg off the roller's axis the roller's image ran along the thigh (crossing it at 9 deg),
/// so the middle of the stretch read mid-thigh (hamstrings, 0.58 of the segment off on the development clip
/// d_glutes_az35_el20) where the buttock rests on it at the hip. On a nearly level segment (a body lying along the
/// roller) no end bears the weight: the foot of the detector's contact point `c`. The second value: the place is
/// pinned to the segment's landmark (the stretch's lower end ran past it; see [`SegmentContact::pinned`]).
fn lengthwise_contact(c: P2, axis: [[f32; 2]; 2], r: f32, a: P2, b: P2) -> Option<(f32, bool)> {
    let foot = project(c, a, b)?.t;
    if incline_deg(a, b) < LEVEL_SEGMENT_DEG {
        return Some((foot, false));
    }
    // the roller's top line, projected on the segment, clipped to the segment between its landmarks
    let top = |p: [f32; 2]| project(P2::new(p[0], p[1] - r), a, b).map(|q| q.t);
    let (t0, t1) = (top(axis[0])?, top(axis[1])?);
    let (lo, hi) = (t0.min(t1).max(0.0), t0.max(t1).min(1.0));
    if lo > hi {
        return Some((foot, false));
    }
    // the end lower in the image (larger y) is nearer the floor
    let lower_at_lo = a.lerp(b, lo).y >= a.lerp(b, hi).y;
    Some(if lower_at_lo { (lo, lo > t0.min(t1)) } else { (hi, hi < t0.max(t1)) })
}

/// Contact of `roller` with `seg` on one side of the body, if the roller lies under that segment.
pub fn segment_contact_side(
    pose: &Pose,
    seg: &SegmentDef,
    roller: &RollerObs,
    px_per_cm: f32,
    side: u8,
) -> Option<SegmentContact> {
    let a = chain(pose, seg.from, side)?;
    let b = chain(pose, seg.to, side)?;
    if incline_deg(a, b) > MAX_SEGMENT_INCLINE_DEG || seen_end_on(pose, chain_index(seg.from, side), chain_index(seg.to, side)) {
        return if seg.rests_on_from { resting_on_from(a, b, roller, px_per_cm, side) } else { None };
    }
    let pr = project(roller_centre(roller), a, b)?;
    // Along the segment: the detector's contact point (the roller's top line under the body) when it gives one
    // (with the axis seen; end-on the contact is the centre's foot on the segment, which `pr` already is).
    let along = match (roller.contact, roller.axis) {
        (Some(c), Some(axis)) => contact_along(P2::new(c[0], c[1]), axis, roller.r, a, b),
        _ => None,
    };
    let (t, pinned) = along.unwrap_or((pr.t, false));
    let gap_px = pr.offset_down_px - roller.r;
    if gap_px < -MAX_OVERLAP_R * roller.r || gap_px > MAX_TISSUE_GAP_CM * px_per_cm {
        return None;
    }
    let outside = outside_share(t);
    if outside > MAX_OUTSIDE {
        return None;
    }
    let score_cm = (gap_px.abs() + outside * pr.len_px) / px_per_cm;
    Some(SegmentContact {
        t,
        len_px: pr.len_px,
        gap_px,
        score_cm,
        from_px: a,
        to_px: b,
        side,
        travel_px: pinned.then(|| travel_px(roller_centre(roller), a, b)),
    })
}

/// A segment rising steeply from `a` (its `from` landmark) to `b` rests on the tool at `a` when the tool lies
/// under `a` within soft-tissue distance ([`MAX_TISSUE_GAP_CM`] from the landmark to the tool's near edge): seated
/// on a ball with the knee drawn up, the thigh rose 60-90 deg in the image on the development clip
/// d_ball_glutes_az25_el10 and the ball under the buttock lay 12-16 cm below and behind the hip landmark, so no
/// contact was found although the ball was in 94 % of its frames. The place is pinned to the landmark
/// ([`SegmentContact::pinned`]): the area is known, the motion along the thigh is not.
fn resting_on_from(a: P2, b: P2, roller: &RollerObs, px_per_cm: f32, side: u8) -> Option<SegmentContact> {
    let c = P2::new(roller.cx, roller.cy);
    let gap_px = c.sub(a).norm() - roller.r;
    let rising = b.y < a.y;
    let under = c.y > a.y;
    if !(rising && under) || gap_px < -MAX_OVERLAP_R * roller.r || gap_px > MAX_TISSUE_GAP_CM * px_per_cm {
        return None;
    }
    Some(SegmentContact {
        t: 0.0,
        len_px: b.sub(a).norm(),
        gap_px,
        score_cm: gap_px.abs() / px_per_cm,
        from_px: a,
        to_px: b,
        side,
        travel_px: Some(travel_px(c, a, b)),
    })
}

/// Contact on the better-placed side; `prefer` keeps the previous side unless the other is clearly better.
pub fn segment_contact(
    pose: &Pose,
    seg: &SegmentDef,
    roller: &RollerObs,
    px_per_cm: f32,
    prefer: Option<u8>,
) -> Option<SegmentContact> {
    let l = segment_contact_side(pose, seg, roller, px_per_cm, 0);
    let r = segment_contact_side(pose, seg, roller, px_per_cm, 1);
    match (l, r) {
        (None, x) | (x, None) => x,
        // A contact measured along its segment beats one pinned to a landmark (`resting_on_from`): seated with one
        // ankle crossed over the other knee, the raised thigh rests at the hip while the other lies along the tool.
        (Some(l), Some(r)) if l.pinned() != r.pinned() => Some(if l.pinned() { r } else { l }),
        (Some(l), Some(r)) => {
            // Hysteresis: switching sides needs a clear margin (the roller radius): a switch jumps the contact.
            let margin = SIDE_SWITCH_MARGIN_R * roller.r / px_per_cm;
            let (cur, other) = match prefer {
                Some(1) => (r, l),
                _ => (l, r),
            };
            Some(if other.score_cm + margin < cur.score_cm {
                other
            } else {
                cur
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::Keypoint;

    fn put(p: &mut Pose, i: usize, x: f32, y: f32) {
        p.keypoints[i] = Keypoint { x, y, visibility: 0.9 };
    }

    /// Lying horizontally, head at the left; `face_dy` is the nose's offset from the ears (negative = up).
    fn lying(face_dy: f32) -> Pose {
        let mut p = Pose::default();
        for (l, r, x, y) in [
            (idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER, 100.0, 300.0),
            (idx::LEFT_HIP, idx::RIGHT_HIP, 230.0, 300.0),
            (idx::LEFT_KNEE, idx::RIGHT_KNEE, 340.0, 300.0),
            (idx::LEFT_EAR, idx::RIGHT_EAR, 50.0, 300.0),
        ] {
            put(&mut p, l, x, y);
            put(&mut p, r, x, y);
        }
        put(&mut p, idx::NOSE, 52.0, 300.0 + face_dy);
        p
    }

    #[test]
    fn an_oblique_roller_lies_at_the_same_fraction_of_both_sides_lines() {
        // 3/4 view of a torso: the right shoulder-hip line a torso's width below and beside the left one; the roller
        // lies across the body, so its axis runs the way the left-right offset does, through the midline at 0.3
        let (l0, l1) = (P2::new(100.0, 200.0), P2::new(300.0, 240.0));
        let off = P2::new(-40.0, 50.0);
        let (r0, r1) = (l0.add(off), l1.add(off));
        let mid = l0.lerp(l1, 0.3).add(off.scale(0.5));
        let axis = [[mid.x - 1.5 * off.x, mid.y - 1.5 * off.y], [mid.x + 1.5 * off.x, mid.y + 1.5 * off.y]];
        for (a, b) in [(l0, l1), (r0, r1)] {
            let (t, pinned) = contact_along(mid, axis, 10.0, a, b).unwrap();
            assert!(!pinned);
            assert!((t - 0.3).abs() < 1e-4, "{t}");
            // the perpendicular foot reads another place on each line
            assert!((project(mid, a, b).unwrap().t - 0.3).abs() > 0.05);
        }
        // a roller along a nearly level body (parallel lines): the perpendicular foot
        let along = [[0.0, 0.0], [200.0, 40.0]];
        assert_eq!(contact_along(mid, along, 10.0, l0, l1), project(mid, l0, l1).map(|q| (q.t, false)));
    }

    #[test]
    fn a_roller_along_a_rising_thigh_bears_on_its_lower_end() {
        // seated: hip (200, 300) low, knee (300, 240) high; the roller's image runs along under the thigh from behind
        // the hip to 0.7 of it: the buttock rests at the hip
        let (hip, knee) = (P2::new(200.0, 300.0), P2::new(300.0, 240.0));
        let axis = [[150.0, 350.0], [270.0, 278.0]];
        let c = P2::new(240.0, 270.0);
        let (t, pinned) = contact_along(c, axis, 15.0, hip, knee).unwrap();
        assert!(t.abs() < 1e-4, "{t}");
        // the stretch runs on behind the hip: placed at the hip, not measured there
        assert!(pinned);
        // the same along a knee lower than the hip (the thigh falling to the knee): the knee end of the stretch
        let (hip2, knee2) = (P2::new(300.0, 240.0), P2::new(200.0, 300.0));
        let (t2, _) = contact_along(c, axis, 15.0, hip2, knee2).unwrap();
        assert!(t2 > 0.2 && t2 <= 1.0, "{t2}");
    }

    #[test]
    fn orientation_classes() {
        assert_eq!(classify_orientation(&lying(-20.0)), Some(Orientation::Supine));
        assert_eq!(classify_orientation(&lying(20.0)), Some(Orientation::Prone));
        let mut side = lying(0.0);
        put(&mut side, idx::RIGHT_SHOULDER, 100.0, 220.0);
        assert_eq!(classify_orientation(&side), Some(Orientation::Side));
        let mut seated = lying(-5.0);
        for i in [idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER] {
            put(&mut seated, i, 200.0, 180.0);
        }
        for i in [idx::LEFT_EAR, idx::RIGHT_EAR] {
            put(&mut seated, i, 190.0, 130.0);
        }
        put(&mut seated, idx::NOSE, 215.0, 128.0);
        assert_eq!(classify_orientation(&seated), Some(Orientation::Seated));
    }

    #[test]
    fn world_landmarks_take_precedence_over_the_image() {
        // image says supine; the world landmarks (chest normal facing the floor) say prone
        let mut p = lying(-20.0);
        let mut w = [[0.0f32; 3]; crate::landmarks::NUM_LANDMARKS];
        for (i, pt) in [
            (idx::LEFT_SHOULDER, [-0.5, 0.0, -0.18]),
            (idx::RIGHT_SHOULDER, [-0.5, 0.0, 0.18]),
            (idx::LEFT_HIP, [0.0, 0.0, -0.1]),
            (idx::RIGHT_HIP, [0.0, 0.0, 0.1]),
            (idx::LEFT_KNEE, [0.45, 0.0, -0.1]),
            (idx::RIGHT_KNEE, [0.45, 0.0, 0.1]),
            (idx::NOSE, [-0.68, 0.1, 0.0]),
        ] {
            w[i] = pt;
        }
        p.world = Some(w);
        assert_eq!(classify_orientation(&p), crate::body::orientation(&w));
        assert_eq!(classify_orientation(&p), Some(Orientation::Prone));
    }

    #[test]
    fn contact_maps_roller_under_thigh() {
        let pose = lying(-20.0);
        let seg = SegmentDef::between("thigh", "hip", "knee").unwrap();
        // hip x=230, knee x=340: roller at x=285 is the middle; roller top 10 px below the line.
        let roller = RollerObs {
            cx: 285.0,
            cy: 330.0,
            r: 20.0,
            confidence: 1.0,
            ..Default::default()
        };
        let c = segment_contact(&pose, &seg, &roller, 2.0, None).unwrap();
        assert!((c.t - 0.5).abs() < 1e-4);
        assert!((c.gap_px - 10.0).abs() < 1e-3);
        // Roller above the body: no contact.
        let above = RollerObs { cy: 250.0, ..roller };
        assert!(segment_contact(&pose, &seg, &above, 2.0, None).is_none());
        // Far beyond the knee: no contact.
        let far = RollerObs { cx: 500.0, ..roller };
        assert!(segment_contact(&pose, &seg, &far, 2.0, None).is_none());
    }

    #[test]
    fn a_thigh_drawn_up_rests_at_the_hip_where_the_exercise_says_so_and_a_measured_side_wins() {
        // Seated: hips at (230, 300); the left thigh rises 70 deg to its knee, the right one 20 deg.
        let mut pose = lying(-20.0);
        put(&mut pose, idx::LEFT_KNEE, 230.0 + 40.0, 300.0 - 110.0);
        put(&mut pose, idx::RIGHT_KNEE, 230.0 + 110.0, 300.0 - 40.0);
        let plain = SegmentDef::between("thigh", "hip", "knee").unwrap();
        let rests = SegmentDef { rests_on_from: true, ..plain.clone() };
        // A ball under and a little behind the hip, 24 px (12 cm at 2 px/cm) from the landmark to its edge.
        let ball = RollerObs { cx: 210.0, cy: 330.0, r: 12.0, confidence: 1.0, ..Default::default() };
        assert!(segment_contact_side(&pose, &plain, &ball, 2.0, 0).is_none());
        let c = segment_contact_side(&pose, &rests, &ball, 2.0, 0).unwrap();
        assert!(c.pinned() && c.t == 0.0 && (c.gap_px - 24.06).abs() < 0.1, "{c:?}");
        // its motion is the ball's travel: 20 px behind the hip, the knee lying ahead
        assert_eq!(c.travel_px, Some(-20.0));
        // Farther than soft tissue (22 cm) from the hip, or above it: no contact.
        let far = RollerObs { cx: 150.0, cy: 340.0, ..ball };
        assert!(segment_contact_side(&pose, &rests, &far, 2.0, 0).is_none());
        let above = RollerObs { cy: 280.0, ..ball };
        assert!(segment_contact_side(&pose, &rests, &above, 2.0, 0).is_none());
        // The right thigh is flat enough to lie along the ball: its measured contact is taken, whichever side came
        // first.
        let under_right = RollerObs { cx: 250.0, cy: 310.0, r: 12.0, confidence: 1.0, ..Default::default() };
        assert!(segment_contact_side(&pose, &rests, &under_right, 2.0, 1).is_some_and(|c| !c.pinned()));
        for prefer in [None, Some(0), Some(1)] {
            let c = segment_contact(&pose, &rests, &under_right, 2.0, prefer).unwrap();
            assert!(!c.pinned() && c.side == 1, "{prefer:?}: {c:?}");
        }
    }

    #[test]
    fn a_thigh_pointing_at_the_camera_gives_no_contact_the_other_side_does() {
        let mut pose = lying(-20.0);
        // world landmarks (m): the right thigh runs 0.4 m towards the camera and 0.1 m along the image (76 deg out of
        // the image plane), the left thigh lies in it
        let mut w = [[0.0f32; 3]; crate::landmarks::NUM_LANDMARKS];
        w[idx::LEFT_KNEE] = [0.4, 0.0, 0.0];
        w[idx::RIGHT_KNEE] = [0.1, 0.0, -0.4];
        pose.world = Some(w);
        let seg = SegmentDef::between("thigh", "hip", "knee").unwrap();
        let roller = RollerObs { cx: 285.0, cy: 330.0, r: 20.0, confidence: 1.0, ..Default::default() };
        assert!(segment_contact_side(&pose, &seg, &roller, 2.0, 1).is_none());
        let c = segment_contact(&pose, &seg, &roller, 2.0, Some(1)).unwrap();
        assert_eq!(c.side, 0);
        // at 55 deg out of the plane the contact is still placed
        w[idx::RIGHT_KNEE] = [0.4 * 55f32.to_radians().cos(), 0.0, -0.4 * 55f32.to_radians().sin()];
        pose.world = Some(w);
        assert!(segment_contact_side(&pose, &seg, &roller, 2.0, 1).is_some());
    }
}
