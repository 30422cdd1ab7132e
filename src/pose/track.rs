//! Which landmark result to keep: checks that a tracked region still holds a person (presence, segmentation under
//! the torso, keypoints inside the region) and the choice between several people (the one on the floor).

use crate::geometry::{RotatedSquare, Vec2};
use crate::landmarks::{concat, group, NUM_LANDMARKS};

/// The detector runs at least every this many frames even while tracking holds, so a track that drifted onto
/// background (a "phantom" the landmark model keeps confirming) lasts at most 1/3 s at 30 fps. The detector costs
/// about 7-11 ms on 2 cores (shared/README.md), so this adds about 1 ms per frame on average.
pub const REDETECT_EVERY: u32 = 10;
/// At most this many detections get a landmark run when choosing between people (bounds the worst frame).
pub const MAX_CANDIDATES: usize = 3;
/// A keypoint counts as visible for the checks below from this visibility (MediaPipe's default 0.5).
pub const CHECK_VISIBILITY: f32 = 0.5;
/// Share of the visible torso keypoints (shoulders, hips) that must lie on the model's own person mask. A real
/// person's torso is inside the mask (1.0 on every tracked frame of the real clips); a drifted region is not.
pub const MIN_MASK_SUPPORT: f32 = 0.5;
/// Share of the visible keypoints that must lie inside the region the landmark model was run on.
pub const MIN_KEYPOINTS_IN_ROI: f32 = 0.6;
/// Another person must be on the floor by this share of the image height more than the tracked one to take over
/// (hysteresis: walking makes the feet bob by a few percent).
pub const FLOOR_SWITCH_MARGIN: f64 = 0.05;

/// Lower-body landmarks whose image height tells who stands or lies on the floor.
const FLOOR_POINTS: [usize; 10] = concat(group::LEG_JOINTS, group::FEET);

/// Share of the visible keypoints inside `roi` (1 when none is visible: nothing contradicts the region).
pub fn keypoints_in_roi(roi: &RotatedSquare, points: &[Vec2; NUM_LANDMARKS], vis: &[f32; NUM_LANDMARKS]) -> f32 {
    let (s, c) = roi.angle.sin_cos();
    let half = roi.size * 0.5;
    let (mut n, mut inside) = (0, 0);
    for (p, &v) in points.iter().zip(vis) {
        if v < CHECK_VISIBILITY {
            continue;
        }
        n += 1;
        let d = p.sub(roi.center);
        // into the region's own axes
        let (u, w) = (c * d.x + s * d.y, -s * d.x + c * d.y);
        if u.abs() <= half && w.abs() <= half {
            inside += 1;
        }
    }
    if n == 0 {
        1.0
    } else {
        inside as f32 / n as f32
    }
}

/// How low in the image (0 top .. 1 bottom) the person's lowest visible lower-body point is: the person on the
/// floor nearest the camera scores highest. `None` when no lower-body point is visible.
pub fn floor_score(points: &[Vec2; NUM_LANDMARKS], vis: &[f32; NUM_LANDMARKS], image_height: f64) -> Option<f64> {
    FLOOR_POINTS
        .iter()
        .filter(|&&i| vis[i] >= CHECK_VISIBILITY)
        .map(|&i| points[i].y / image_height.max(1.0))
        .max_by(f64::total_cmp)
}

/// Index of the person to keep among `scores` (floor scores), where `incumbent` is the tracked one, if any: the
/// lowest in the image wins, but the incumbent stays unless beaten by [`FLOOR_SWITCH_MARGIN`].
pub fn choose(scores: &[Option<f64>], incumbent: Option<usize>) -> Option<usize> {
    let val = |i: usize| scores[i].unwrap_or(0.0);
    let best = (0..scores.len()).max_by(|&a, &b| val(a).total_cmp(&val(b)))?;
    match incumbent {
        Some(k) if val(best) < val(k) + FLOOR_SWITCH_MARGIN => Some(k),
        _ => Some(best),
    }
}

/// Whether two people's keypoint boxes overlap by more than half of the smaller one (the same person).
pub fn same_person(a: &[Vec2; NUM_LANDMARKS], b: &[Vec2; NUM_LANDMARKS]) -> bool {
    let bx = |p: &[Vec2; NUM_LANDMARKS]| {
        p.iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |r, q| {
            [r[0].min(q.x), r[1].min(q.y), r[2].max(q.x), r[3].max(q.y)]
        })
    };
    let (p, q) = (bx(a), bx(b));
    let iw = (p[2].min(q[2]) - p[0].max(q[0])).max(0.0);
    let ih = (p[3].min(q[3]) - p[1].max(q[1])).max(0.0);
    let area = |r: [f64; 4]| ((r[2] - r[0]) * (r[3] - r[1])).max(1e-9);
    iw * ih > 0.5 * area(p).min(area(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(x: f64, y_feet: f64) -> [Vec2; NUM_LANDMARKS] {
        let mut p = [Vec2::default(); NUM_LANDMARKS];
        for (i, q) in p.iter_mut().enumerate() {
            *q = Vec2::new(x + (i % 3) as f64 * 10.0, y_feet - 300.0 + i as f64 * 300.0 / 32.0);
        }
        p
    }

    #[test]
    fn person_on_the_floor_wins_with_hysteresis() {
        let vis = [1.0; NUM_LANDMARKS];
        let on_box = floor_score(&person(600.0, 460.0), &vis, 1000.0);
        let on_grass = floor_score(&person(1200.0, 930.0), &vis, 1000.0);
        assert_eq!(choose(&[on_box, on_grass], None), Some(1));
        assert_eq!(choose(&[on_box, on_grass], Some(0)), Some(1), "clearly lower takes over");
        let near = floor_score(&person(1200.0, 480.0), &vis, 1000.0);
        assert_eq!(choose(&[on_box, near], Some(0)), Some(0), "within the margin the track stays");
        assert_eq!(choose(&[], None), None);
        assert_eq!(floor_score(&person(0.0, 500.0), &[0.0; NUM_LANDMARKS], 1000.0), None);
    }

    #[test]
    fn roi_check_counts_visible_points_inside() {
        let roi = RotatedSquare { center: Vec2::new(600.0, 300.0), size: 400.0, angle: 0.4 };
        let vis = [1.0; NUM_LANDMARKS];
        assert_eq!(keypoints_in_roi(&roi, &person(590.0, 430.0), &vis), 1.0);
        assert_eq!(keypoints_in_roi(&roi, &person(1500.0, 900.0), &vis), 0.0);
        assert!(same_person(&person(590.0, 430.0), &person(594.0, 440.0)));
        assert!(!same_person(&person(590.0, 430.0), &person(1500.0, 900.0)));
    }
}
