//! Synthetic 3-D skeletons built from a canonical body in scene axes (east, up, north), placed in a posture, seen
//! by cameras turned 0-60 deg around the vertical and tilted 0-45 deg down.

use super::*;
use crate::landmarks::{Keypoint, NUM_LANDMARKS};

/// A posture in scene axes (east, up, north): head axis, chest normal, thigh, shank and upper-arm directions.
#[derive(Clone, Copy)]
struct Posture {
    truth: Orientation,
    head: V3,
    chest: V3,
    thigh: V3,
    shank: V3,
    arm: V3,
}

fn n(v: V3) -> V3 {
    unit(v).unwrap()
}

fn deg(a: f32) -> (f32, f32) {
    let r = a.to_radians();
    (r.sin(), r.cos())
}

/// A body in scene axes from its posture (metres, average adult proportions).
fn skeleton(p: &Posture) -> WorldLandmarks {
    let head = n(p.head);
    let chest = n(p.chest);
    let left = cross(head, chest);
    let at = |a: f32, l: f32, c: f32| add(add(scale(head, a), scale(left, l)), scale(chest, c));
    let mut w = [[0.0f32; 3]; NUM_LANDMARKS];
    for (side, s) in [(0usize, 1.0f32), (1, -1.0)] {
        let hip = at(0.0, 0.1 * s, 0.0);
        let sh = at(0.5, 0.18 * s, 0.0);
        let knee = add(hip, scale(n(p.thigh), 0.45));
        let ankle = add(knee, scale(n(p.shank), 0.42));
        let elbow = add(sh, scale(n(p.arm), 0.3));
        w[idx::LEFT_HIP + side] = hip;
        w[idx::LEFT_SHOULDER + side] = sh;
        w[idx::LEFT_KNEE + side] = knee;
        w[idx::LEFT_ANKLE + side] = ankle;
        w[idx::LEFT_HEEL + side] = add(ankle, scale(n(p.shank), 0.05));
        w[idx::LEFT_FOOT_INDEX + side] = add(ankle, scale(chest, 0.15));
        w[idx::LEFT_ELBOW + side] = elbow;
        w[idx::LEFT_WRIST + side] = add(elbow, scale(n(p.arm), 0.25));
        w[idx::LEFT_EAR + side] = at(0.7, 0.07 * s, 0.0);
    }
    w[idx::NOSE] = at(0.68, 0.0, 0.1);
    w
}

/// Scene axes -> camera axes (x right, y down, z away) for a camera at `az` deg around the vertical and tilted
/// `el` deg down; hip-centred like the model's output.
fn to_camera(w: &WorldLandmarks, az: f32, el: f32) -> WorldLandmarks {
    let (sa, ca) = deg(az);
    let (se, ce) = deg(el);
    let mut out = *w;
    for p in out.iter_mut() {
        let (e, u, no) = (p[0], p[1], p[2]);
        // turn the scene about "up", then a level camera (x east, y down, z north), then tilt about x
        let (x, z) = (ca * e - sa * no, sa * e + ca * no);
        let y = -u;
        *p = [x, y * ce - z * se, y * se + z * ce];
    }
    let hip = mid(&out, idx::LEFT_HIP, idx::RIGHT_HIP);
    for p in out.iter_mut() {
        *p = sub(*p, hip);
    }
    out
}

fn postures() -> Vec<Posture> {
    let up = [0.0, 1.0, 0.0];
    let west = [-1.0, 0.0, 0.0];
    let east = [1.0, 0.0, 0.0];
    let mut v = Vec::new();
    // supine and prone with the upper back up to 20 deg off the floor (a roller under the shoulders), legs
    // straight or knees bent
    for incline in [0.0f32, 10.0, 20.0] {
        let (s, c) = deg(incline);
        let head = [-c, s, 0.0];
        let chest_up = [s, c, 0.0];
        for (thigh, shank) in [(east, east), (n([1.0, 0.8, 0.0]), n([1.0, -0.8, 0.0]))] {
            v.push(Posture { truth: Orientation::Supine, head, chest: chest_up, thigh, shank, arm: east });
            let prone_head = [-c, s, 0.0];
            let chest_down = [-s, -c, 0.0];
            v.push(Posture { truth: Orientation::Prone, head: prone_head, chest: chest_down, thigh, shank, arm: [0.0, -1.0, 0.0] });
        }
    }
    // side-lying facing either way along the floor, rolled up to 20 deg towards the back or the front
    for facing in [1.0f32, -1.0] {
        for roll in [-20.0f32, 0.0, 20.0] {
            let (s, c) = deg(roll);
            let chest = [0.0, s, facing * c];
            v.push(Posture { truth: Orientation::Side, head: west, chest, thigh: east, shank: east, arm: chest });
            v.push(Posture { truth: Orientation::Side, head: n([-1.0, 0.15, 0.0]), chest, thigh: n([1.0, 0.0, 0.4 * facing]), shank: east, arm: up });
        }
        // propped on the lower forearm (the IT band on a roller): the torso 35 deg up, as high as a seated one
        let (s, c) = deg(35.0);
        let chest = [0.0, 0.0, facing];
        v.push(Posture { truth: Orientation::Side, head: [-c, s, 0.0], chest, thigh: east, shank: east, arm: [0.0, -1.0, 0.0] });
    }
    // seated on the floor, legs forward, torso 50-90 deg above the horizontal (leaning back on the hands)
    for incline in [50.0f32, 65.0, 80.0, 90.0] {
        let (s, c) = deg(incline);
        v.push(Posture { truth: Orientation::Seated, head: [-c, s, 0.0], chest: [s, c, 0.0], thigh: east, shank: east, arm: [-0.3, -1.0, 0.0] });
    }
    v
}

#[test]
fn orientation_is_view_invariant_over_the_supported_cameras() {
    let (mut total, mut right) = (0, 0);
    let mut wrong = Vec::new();
    for p in postures() {
        let scene = skeleton(&p);
        for az in (0..=60).step_by(10) {
            for el in (0..=45).step_by(5) {
                total += 1;
                let got = orientation(&to_camera(&scene, az as f32, el as f32));
                if got == Some(p.truth) {
                    right += 1;
                } else if wrong.len() < 10 {
                    wrong.push(format!("{:?} az {az} el {el}: {got:?}", p.truth));
                }
            }
        }
    }
    let acc = right as f64 / total as f64;
    eprintln!("orientation sweep: {right}/{total} ({:.1}%), first misses {wrong:?}", acc * 100.0);
    // issue 11 acceptance: orientation correct in >= 95% of frames over these cameras
    assert!(acc >= 0.95, "{right}/{total}: {wrong:?}");
}

#[test]
fn left_right_swap_is_caught_by_the_face() {
    let p = postures()[0]; // supine
    let mut w = to_camera(&skeleton(&p), 30.0, 20.0);
    for (l, r) in [(idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER), (idx::LEFT_HIP, idx::RIGHT_HIP)] {
        w.swap(l, r);
    }
    assert_eq!(orientation(&w), Some(Orientation::Supine));
}

#[test]
fn standing_is_not_a_floor_orientation() {
    let p = Posture {
        truth: Orientation::Seated,
        head: [0.0, 1.0, 0.0],
        chest: [0.0, 0.0, -1.0],
        thigh: [0.0, -1.0, 0.0],
        shank: [0.0, -1.0, 0.0],
        arm: [0.0, -1.0, 0.0],
    };
    assert_eq!(orientation(&to_camera(&skeleton(&p), 20.0, 30.0)), None);
}

/// A pose whose image keypoints are a pinhole projection of `world` (camera axes) placed `dist` m in front of a
/// camera with focal length `f` px; returns the pose and the true cm per px at the body's depth.
fn projected(world: &WorldLandmarks, dist: f32, f: f32) -> (Pose, f32) {
    let mut pose = Pose { world: Some(*world), score: 1.0, ..Pose::default() };
    for (k, p) in pose.keypoints.iter_mut().zip(world) {
        let z = dist + p[2];
        *k = Keypoint { x: 320.0 + f * p[0] / z, y: 240.0 + f * p[1] / z, visibility: 0.9 };
    }
    (pose, 100.0 * dist / f)
}

#[test]
fn body_scale_matches_the_projection() {
    for p in postures() {
        let scene = skeleton(&p);
        for az in [0.0f32, 30.0, 60.0] {
            for el in [0.0f32, 25.0, 45.0] {
                let world = to_camera(&scene, az, el);
                let (pose, truth) = projected(&world, 3.0, 600.0);
                // a body lying 60 deg out of a level camera's image plane has too few in-plane segments: no scale
                let Some(s) = cm_per_px(&pose) else {
                    assert!(az > 30.0, "{:?} az {az} el {el}: no scale", p.truth);
                    continue;
                };
                let err = (s.cm_per_px - truth).abs() / truth;
                // perspective: a body lying 60 deg into the scene spans +-0.8 m of depth at 3 m (+-27% scale), so the
                // in-plane segments sit at other depths than the hips
                let tolerance = if az <= 30.0 { 0.15 } else { 0.25 };
                assert!(err < tolerance, "{:?} az {az} el {el}: {} vs {truth} cm/px", p.truth, s.cm_per_px);
                assert!(s.quality > 0.3, "quality {}", s.quality);
            }
        }
    }
}

#[test]
fn body_scale_needs_world_landmarks_and_visible_segments() {
    let (mut pose, _) = projected(&to_camera(&skeleton(&postures()[0]), 0.0, 0.0), 3.0, 600.0);
    for k in pose.keypoints.iter_mut() {
        k.visibility = 0.1;
    }
    assert_eq!(cm_per_px(&pose), None);
    pose.world = None;
    assert_eq!(cm_per_px(&pose), None);
}

#[test]
fn side_lying_propped_on_an_elbow_is_not_seated() {
    // the torso 35 deg up like a seated one, but rolled onto its side: the roll decides (issue 11's 95 % bar over
    // the supported cameras, for this posture alone)
    let (s, c) = deg(35.0);
    let east = [1.0, 0.0, 0.0];
    let (mut total, mut wrong) = (0, Vec::new());
    for facing in [1.0f32, -1.0] {
        let p = Posture { truth: Orientation::Side, head: [-c, s, 0.0], chest: [0.0, 0.0, facing], thigh: east, shank: east, arm: [0.0, -1.0, 0.0] };
        for az in (0..=60).step_by(10) {
            for el in (0..=45).step_by(5) {
                total += 1;
                let got = orientation(&to_camera(&skeleton(&p), az as f32, el as f32));
                if got != Some(Orientation::Side) {
                    wrong.push(format!("facing {facing} az {az} el {el}: {got:?}"));
                }
            }
        }
    }
    assert!(wrong.len() * 20 <= total, "{} of {total} wrong: {wrong:?}", wrong.len());
}

/// Seated on the floor leaning back 37 deg (issue 14: the glutes on a ball), a thigh drawn up 60 deg (the hip
/// 83 deg), the hands on the floor beside the hips; the head towards `west` (-1) or east (+1).
fn seated_on_a_ball(west: f32) -> Posture {
    let (s, c) = deg(37.0);
    Posture {
        truth: Orientation::Seated,
        head: [west * c, s, 0.0],
        chest: [-west * s, c, 0.0],
        thigh: n([-west * 0.5, 0.866, 0.0]),
        shank: n([-west * 0.3, -1.0, 0.0]),
        arm: n([-west * 0.3, -1.0, 0.0]),
    }
}

/// Orientations of `p` over the supported cameras, and how many of them the torso's incline at the assumed tilt
/// alone reads as seated.
fn sweep(p: &Posture) -> (Vec<Option<Orientation>>, usize) {
    let scene = skeleton(p);
    let (mut got, mut by_incline) = (Vec::new(), 0);
    for az in (0..=60).step_by(10) {
        for el in (0..=45).step_by(5) {
            let w = to_camera(&scene, az as f32, el as f32);
            let head = torso_axes(&w).unwrap().head;
            by_incline += usize::from(elevation_deg(head, assumed_up()) > SEATED_INCLINE_DEG);
            got.push(orientation(&w));
        }
    }
    (got, by_incline)
}

#[test]
fn a_seated_torso_read_low_by_the_tilt_is_seated_by_its_posture() {
    for west in [-1.0, 1.0] {
        let (got, by_incline) = sweep(&seated_on_a_ball(west));
        let seated = got.iter().filter(|o| **o == Some(Orientation::Seated)).count();
        // the incline alone misses the cameras that see the torso lean into the depth
        assert!(by_incline * 10 < got.len() * 9, "{by_incline} of {}", got.len());
        assert_eq!(seated, got.len(), "head {west}: {got:?}");
    }
}

#[test]
fn lying_on_the_back_stays_supine_unless_both_seated_cues_agree() {
    // the upper back 10 deg up on a ball (d_ball_upper_back_az55_el35: 7-10 deg), knees bent with the feet on the
    // floor (the hip 116 deg): its incline reads up to 46 deg at some supported tilt, so the posture decides
    let (s, c) = deg(10.0);
    let supine = Posture {
        truth: Orientation::Supine,
        head: [-c, s, 0.0],
        chest: [s, c, 0.0],
        thigh: n([1.0, 0.8, 0.0]),
        shank: n([1.0, -0.8, 0.0]),
        arm: [1.0, 0.0, 0.0],
    };
    let seated = |p: &Posture| sweep(p).0.iter().filter(|o| **o == Some(Orientation::Seated)).count();
    // the arms along the body (the hands by the hips): the open hip keeps it supine
    assert_eq!(seated(&supine), 0);
    // a knee pulled to the chest (the hip 45 deg) with the arms crossed over the chest: the hands keep it supine
    let knee_in = Posture { thigh: n([-0.3, 1.0, 0.0]), arm: n([1.0, 1.5, 0.0]), ..supine };
    assert_eq!(seated(&knee_in), 0);
    // both cues (the knee in, the hands by the hips) read it seated where the torso could rise over 30 deg
    let (got, by_incline) = sweep(&Posture { arm: [1.0, 0.0, 0.0], ..knee_in });
    assert_eq!(by_incline, 0);
    assert!(got.contains(&Some(Orientation::Seated)), "{got:?}");
}

#[test]
fn the_largest_elevation_over_the_tilts_is_at_the_peak_or_an_end() {
    for v in [[0.6f32, -0.5, 0.6], [0.0, -0.8, -0.6], [0.3, 0.5, -0.8], [0.0, 0.6, 0.8], [0.1, -0.1, 0.99]] {
        let v = n(v);
        let brute = (0..=450).map(|i| elevation_deg(v, up_at(i as f32 * 0.1))).fold(f32::MIN, f32::max);
        assert!((max_elevation_deg(v) - brute).abs() < 0.05, "{v:?}: {} vs {brute}", max_elevation_deg(v));
    }
}
