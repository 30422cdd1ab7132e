//! Evidence that a candidate is a real roller under the body. A circle lies under a lying body segment at a plausible
//! gap, has a plausible size for the body, is not inside the person (segmentation mask), and shows a cylinder end:
//! a clear step in colour between its inside and its surround around most of the circle. A learned candidate only
//! needs a plausible size, and a learned roller starts a track only with its axis mostly outside the person
//! (`verify_learned`).

use super::body::{BodyPrior, Segment};
use super::candidates::{Candidate, Origin, RADIUS_RANGE};
use super::crop::{colour_distance, Crop};
use super::tracker::TrackedEndFace;
use crate::coach::recognize::MAX_SEGMENT_INCLINE_DEG;
use crate::landmarks::ToolKind;
use crate::pose::PersonMask;

/// Gap between the body line and the roller top, in roller radii. The body line runs through the joint centres,
/// about one limb radius above the skin that touches the roller, and soft tissue sinks onto the roller (negative gap).
struct GapPrior {
    /// Allowed range.
    range: (f32, f32),
    /// Typical value (the best score).
    typical: f32,
    /// Distance from `typical` without a score penalty.
    slack: f32,
}
const GAP_R: GapPrior = GapPrior { range: (-0.8, 3.0), typical: 0.9, slack: 0.7 };
/// A roller rests on the floor like the body's supports (feet, hands, knees, elbows): its bottom may be at most this
/// many radii above the lowest visible landmark (the floor recedes upwards in an elevated view; limbs resting on the
/// floor sit about one limb radius above it). Added after a bending person on a real no-roller clip
/// (pose2sim_single_cam03) had a knee circle under the torso; the value is from the geometry, not fitted to it.
const MAX_ABOVE_FLOOR_R: f32 = 2.0;
/// A visible wrist or hand landmark closer than this many radii to a circle's centre puts the hand inside the end
/// face: a roller end face seen there would be covered by the hand, so the circle is around the hand (a hand resting
/// on the mat under raised thighs on samples/bridging.mp4 was taken for a roller end face). The rim test samples
/// the end face from 0.45 r out, so a hand inside 0.6 r is in the face the test reads.
const HAND_INSIDE_R: f32 = 1.0;
/// A limb bone (`BodyPrior::limbs`) passing closer than this many radii to a circle's centre crosses the middle of
/// the end face: a limb resting on a roller lies above its top by the limb's own radius (its bone line ~1.3-1.5 r
/// from the axis for a calf on a 15 cm roller), so a limb over the face's middle is in front of it and the circle
/// was fitted around the limb or the joint (an elbow on the mat beside a person bridging, on a re-encoding of
/// samples/bridging.mp4, with more circles reaching this test). The truth's visible end face lies 1.3 r or more from
/// every limb on the first 10 renders and the 13 development roller clips, but the model's landmarks lie lower:
/// 0.95 r from the shin on calves_hips_dropped (1.0 here moved its speed from 4.6 to 4.8 cm/s against 3.9); 0.6
/// leaves them that margin. Validation clips not looked at.
const LIMB_INSIDE_R: f32 = 0.6;
/// Person probability (mean over the inner disc) above which a candidate is a body part, not a roller.
const MAX_PERSON_INSIDE: f32 = 0.5;
/// The same limit for a circle that continues the confirmed track's end face (`TrackedEndFace::continued_by`): a
/// knee or a shoe reads person all through (1.0), but the mask bleeds onto an end face of the person's own colour
/// under them. A green roller under a green shirt (samples/synthetic/quads_too_fast, a test sample, not a
/// validation clip) read 0.5-0.8 in its lower half on an AVX2-only CPU, where the model's mask comes out a little
/// wider than on AVX-512 ones: the circle was refused for frames on end, the track went over to the learned centre
/// ~1 r off and the speed read 3.3 cm/s against 2.0. The track's size, colour and place are the evidence the mask
/// test stands in for when there is no track.
const MAX_PERSON_INSIDE_TRACKED: f32 = 0.9;
/// Where the rim test samples a circle's edge.
struct EdgeSamples {
    /// Angles sampled around the circle.
    angles: usize,
    /// Inner and outer sample radii, in candidate radii (either side of the rim, clear of a ~2 px fit error). Two
    /// samples each side: a solid end face on a different surround differs at all four pairs, a drawn ring or a line
    /// crossing the circle only where a sample lands on it.
    inner_r: [f32; 2],
    outer_r: [f32; 2],
}
const EDGE: EdgeSamples = EdgeSamples { angles: 32, inner_r: [0.45, 0.75], outer_r: [1.3, 1.6] };
/// Mean absolute BGR difference ([`colour_distance`]) between inside and outside that counts as a rim at one angle
/// (8-bit levels; compression noise in the renders and webcam clips is ~3-5 levels).
const MIN_RIM_STEP: f32 = 16.0;
/// Share of the angles that must show a rim. The top ~quarter of a roller is hidden by the body part on it and the
/// bottom can merge with a mat of similar colour.
pub const MIN_RIM_SUPPORT: f32 = 0.45;

/// A candidate that passed verification.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verified {
    pub cand: Candidate,
    /// Body segment above the roller.
    pub segment: Segment,
    /// Share of the circle with a rim (0..1).
    pub support: f32,
    /// Mean BGR inside the end face.
    pub colour: [f32; 3],
    /// Overall plausibility (higher = better).
    pub score: f32,
    /// Located by the end face's edge (a circle fit, or a learned candidate refined by one): precise to ~0.1 r.
    pub precise: bool,
}

/// The lying body segment right above a circle and the gap to it (in radii), if any.
pub fn segment_above(prior: &BodyPrior, c: &Candidate) -> Option<(Segment, f32)> {
    let mut best: Option<(Segment, f32)> = None;
    for s in prior.segments.iter().filter(|s| s.incline_deg() <= MAX_SEGMENT_INCLINE_DEG) {
        let (lo, hi) = (s.a.0.min(s.b.0), s.a.0.max(s.b.0));
        if c.cx < lo - c.r || c.cx > hi + c.r {
            continue;
        }
        let Some(y_line) = s.y_at(c.cx) else { continue };
        let gap = ((c.cy - c.r) - y_line) / c.r;
        if c.cy > y_line && (GAP_R.range.0..=GAP_R.range.1).contains(&gap) && best.is_none_or(|b| gap.abs() < b.1.abs())
        {
            best = Some((*s, gap));
        }
    }
    best
}

/// The image box (x0, y0, x1, y1) holding every circle of radius `r_min..=r_max` (image px) whose centre could pass
/// [`segment_above`] and the floor test of `verify_circle`, with its whole rim: under the lying segments, at most
/// [`GAP_R`]'s largest gap below them, and no higher than the floor allows. `None` without a lying segment.
pub fn circle_box(prior: &BodyPrior, r_min: f32, r_max: f32) -> Option<(f32, f32, f32, f32)> {
    let lying = prior.segments.iter().filter(|s| s.incline_deg() <= MAX_SEGMENT_INCLINE_DEG);
    let (mut x0, mut x1, mut y0, mut y1) = (f32::MAX, f32::MIN, f32::MAX, f32::MIN);
    for s in lying {
        x0 = x0.min(s.a.0.min(s.b.0));
        x1 = x1.max(s.a.0.max(s.b.0));
        y0 = y0.min(s.a.1.min(s.b.1));
        y1 = y1.max(s.a.1.max(s.b.1));
    }
    if x0 > x1 {
        return None;
    }
    // Centre: x within one radius of a segment's span, y from the line plus (1 + lowest gap) radii to the line plus
    // (1 + largest gap) radii, and not above floor - (1 + MAX_ABOVE_FLOOR_R) radii; the rim adds a radius around it.
    let top_by_line = y0 + (1.0 + GAP_R.range.0) * r_min.min(r_max);
    let top_by_floor = prior.floor_y - (1.0 + MAX_ABOVE_FLOOR_R) * r_max;
    let top = top_by_line.max(top_by_floor) - r_max;
    let bottom = y1 + (2.0 + GAP_R.range.1) * r_max;
    Some((x0 - 2.0 * r_max, top, x1 + 2.0 * r_max, bottom))
}

/// Mean person probability over the lower half of the inner disc. The body rests on the roller's top, so the upper
/// half meets the person's outline, which the low-resolution mask blurs (on the rendered quads clips 66-77% of the
/// whole disc read as person); the half towards the floor is never covered by the person lying on it, while a knee
/// or shoe is person all through.
fn person_inside(mask: &PersonMask, c: &Candidate) -> f32 {
    let mut sum = 0.0;
    let offsets = [(0.0, 0.25), (0.4, 0.3), (-0.4, 0.3), (0.0, 0.6)];
    for (dx, dy) in offsets {
        sum += mask.at_image(c.cx + dx * c.r, c.cy + dy * c.r);
    }
    sum / offsets.len() as f32
}

/// Share of the samples along `axis` (image pixels, end to end) that the person mask calls person.
fn axis_inside(mask: &PersonMask, [p, q]: [[f32; 2]; 2]) -> f32 {
    let inside = (0..AXIS_SAMPLES)
        .filter(|&i| {
            let f = i as f32 / (AXIS_SAMPLES - 1) as f32;
            mask.at_image(p[0] + f * (q[0] - p[0]), p[1] + f * (q[1] - p[1])) > 0.5
        })
        .count();
    inside as f32 / AXIS_SAMPLES as f32
}

/// Share of the circle with a colour step across the rim, and the mean inside colour.
fn rim_support(crop: &Crop, c: &Candidate) -> Option<(f32, [f32; 3])> {
    let (x, y) = crop.to_crop(c.cx, c.cy);
    let r = c.r * crop.scale;
    let (mut hits, mut n) = (0usize, 0usize);
    let mut inside = [0f32; 3];
    for i in 0..EDGE.angles {
        let a = i as f32 * std::f32::consts::TAU / EDGE.angles as f32;
        let (ca, sa) = (a.cos(), a.sin());
        let at = |f: f32| crop.colour_at(x + f * r * ca, y + f * r * sa, 1);
        let (Some(p0), Some(p), Some(q0), Some(q)) = (at(EDGE.inner_r[0]), at(EDGE.inner_r[1]), at(EDGE.outer_r[0]), at(EDGE.outer_r[1]))
        else {
            continue;
        };
        n += 1;
        let step = |a, b| colour_distance(a, b) >= MIN_RIM_STEP;
        hits += (step(p0, q0) && step(p0, q) && step(p, q0) && step(p, q)) as usize;
        for k in 0..3 {
            inside[k] += p[k];
        }
    }
    // Most of the rim must be inside the crop to judge it.
    (n * 4 >= EDGE.angles * 3).then(|| (hits as f32 / EDGE.angles as f32, inside.map(|s| s / n as f32)))
}

/// Size of a learned candidate against the radius the body's size predicts for a standard roller, allowed range.
/// Wide on purpose: the learned detector has seen the tool whole, this only removes absurd sizes. The lower end
/// admits a 6 cm massage ball against a 15 cm roller (0.4) with the model's radius error (~20 %, held out:
/// tools/train_roller/roller_detector.metrics.json); the upper end a roller seen from close up at the body's far side.
const LEARNED_SIZE_RANGE: (f32, f32) = (0.25, 2.5);
/// Largest share of a learned roller's centre line (its axis from end to end) that may lie inside the person for the
/// candidate to start a track. A roller is under the body, never inside the person: limbs in front of it hide parts
/// of its length (a hand, the other leg), while a "roller" read along the body lies in the person's outline. The
/// learned detector took a person's arm and back lying on a mat for a roller lengthwise under them at the same
/// confidence (0.57-0.64) as an oblique roller under a seated person (0.58-0.65; samples/bridging.mp4 and its
/// re-encodings against the development clip d_glutes_az35_el20). Measured on the person mask (11 samples along the
/// axis, candidates from 0.55): those false rollers had 8-11 of 11 inside, the rollers of the 13 development roller
/// clips 0-6 in most frames (a tail to 11 where a leg or the back hides the roller in an elevated view, which still
/// continues a confirmed track). Two thirds lies between; validation clips not looked at.
pub const MAX_AXIS_INSIDE_TO_START: f32 = 2.0 / 3.0;
/// Samples along the axis for [`MAX_AXIS_INSIDE_TO_START`].
const AXIS_SAMPLES: usize = 11;
/// A learned candidate outranks every circle candidate (whose score is at most 5: see `verify`).
const LEARNED_SCORE_BASE: f32 = 5.0;

/// What the circle test knows besides the body prior and the image: the person's segmentation, if the pose model
/// gives one, and the confirmed track's end face, if a track is located by one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seen<'a> {
    pub mask: Option<&'a PersonMask>,
    pub face: Option<&'a TrackedEndFace>,
}

/// Checks one candidate; `None` when it is not a plausible roller.
pub fn verify(c: &Candidate, prior: &BodyPrior, crop: &Crop, seen: Seen) -> Option<Verified> {
    match c.origin {
        Origin::Circle => verify_circle(c, prior, crop, seen),
        Origin::Learned { contact, kind } => verify_learned(c, (kind, contact), prior, crop, seen.mask),
    }
}

/// A learned candidate needs no edge evidence and no person-mask test on its disc (the model has judged the whole
/// tool in context, trained on tools under people, occluded included): only a plausible size; a roller whose axis
/// lies mostly inside the person may continue a track but not start one ([`MAX_AXIS_INSIDE_TO_START`]). The disc
/// test, meant for
/// circles fitted to knees and shoes, rejected a massage ball pressed under the body (learned, 0 of 120 frames kept
/// on v_ball_glutes_az10_el5 with the mask, 114 without) and a roller under a seated person seen from above; without
/// it the real no-roller clips still showed no roller (learned and both) and the first renders were unchanged
/// (with the ball-tuned model `learned` alone takes a heel on the mat of samples/bridging.mp4 for a roller: README).
fn verify_learned(
    c: &Candidate,
    (kind, contact): (ToolKind, Option<[f32; 2]>),
    prior: &BodyPrior,
    crop: &Crop,
    mask: Option<&PersonMask>,
) -> Option<Verified> {
    let size = c.r / prior.r_expected;
    if !(LEARNED_SIZE_RANGE.0..=LEARNED_SIZE_RANGE.1).contains(&size) {
        return None;
    }
    let centre = c.axis.map_or((c.cx, c.cy), |[p, q]| (0.5 * (p[0] + q[0]), 0.5 * (p[1] + q[1])));
    let touch = contact.map_or((centre.0, centre.1 - c.r), |p| (p[0], p[1]));
    let segment = nearest_segment(prior, touch)?;
    let colour = mean_colour(crop, centre, 0.5 * c.r)?;
    let inside_person = |axis| mask.is_some_and(|m| axis_inside(m, axis) > MAX_AXIS_INSIDE_TO_START);
    let starts_track = c.starts_track && !(kind == ToolKind::Roller && c.axis.is_some_and(inside_person));
    let cand = Candidate { starts_track, ..*c };
    Some(Verified { cand, segment, support: 1.0, colour, score: LEARNED_SCORE_BASE + c.score, precise: false })
}

/// The body segment (any incline) nearest to the image point `p`.
fn nearest_segment(prior: &BodyPrior, p: (f32, f32)) -> Option<Segment> {
    let d2 = |s: &Segment| {
        let q = s.closest_point(p);
        (q.0 - p.0).powi(2) + (q.1 - p.1).powi(2)
    };
    prior.segments.iter().copied().min_by(|a, b| d2(a).total_cmp(&d2(b)))
}

/// Mean colour (BGR) of 9 samples in a square of half side `half` (image pixels) around `p`, for the tracker's
/// colour prior; `None` when `p` is outside the crop.
fn mean_colour(crop: &Crop, p: (f32, f32), half: f32) -> Option<[f32; 3]> {
    let (x, y) = crop.to_crop(p.0, p.1);
    let h = half * crop.scale;
    let mut sum = [0f32; 3];
    let mut n = 0;
    for dy in [-1.0, 0.0, 1.0] {
        for dx in [-1.0, 0.0, 1.0] {
            if let Some(c) = crop.colour_at(x + dx * h, y + dy * h, 1) {
                (0..3).for_each(|k| sum[k] += c[k]);
                n += 1;
            }
        }
    }
    (n > 0).then(|| sum.map(|v| v / n as f32))
}

fn verify_circle(c: &Candidate, prior: &BodyPrior, crop: &Crop, seen: Seen) -> Option<Verified> {
    let size = c.r / prior.r_expected;
    if !(RADIUS_RANGE.0..=RADIUS_RANGE.1).contains(&size) {
        return None;
    }
    if c.cy + c.r < prior.floor_y - MAX_ABOVE_FLOOR_R * c.r {
        return None;
    }
    let (segment, gap_r) = segment_above(prior, c)?;
    let inside = seen.mask.map_or(0.0, |m| person_inside(m, c));
    if inside > MAX_PERSON_INSIDE_TRACKED {
        return None;
    }
    if prior.hands.iter().any(|h| (h.0 - c.cx).hypot(h.1 - c.cy) < HAND_INSIDE_R * c.r) {
        return None;
    }
    if prior.limbs.iter().any(|l| {
        let q = l.closest_point((c.cx, c.cy));
        (q.0 - c.cx).hypot(q.1 - c.cy) < LIMB_INSIDE_R * c.r
    }) {
        return None;
    }
    let (support, colour) = rim_support(crop, c)?;
    if support < MIN_RIM_SUPPORT {
        return None;
    }
    if inside > MAX_PERSON_INSIDE && !seen.face.is_some_and(|f| f.continued_by(c, colour)) {
        return None;
    }
    let gap_term = (-((gap_r - GAP_R.typical).abs() - GAP_R.slack).max(0.0)).exp();
    let size_term = (1.0 - (size - 1.0).abs()).max(0.0);
    let score = c.score + 2.0 * gap_term + size_term + support;
    Some(Verified { cand: *c, segment, support, colour, score, precise: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roller::candidates::Origin;
    use opencv::core::Rect;

    fn prior(segments: Vec<Segment>, floor_y: f32) -> BodyPrior {
        BodyPrior {
            segments,
            r_expected: 15.0,
            crop: Rect::new(0, 0, 640, 480),
            floor_y,
            person_square: None,
            torso_square: None,
            hands: Vec::new(),
            limbs: Vec::new(),
        }
    }

    fn circle(cx: f32, cy: f32, r: f32) -> Candidate {
        Candidate { cx, cy, r, score: 1.0, axis: None, origin: Origin::Circle, starts_track: true }
    }

    /// Every circle that `segment_above` and the floor test would let through lies with its rim inside `circle_box`;
    /// without a lying segment there is no box.
    #[test]
    fn the_circle_box_holds_every_circle_that_could_pass() {
        let thigh = Segment { a: (200.0, 250.0), b: (330.0, 262.0) };
        let shin = Segment { a: (330.0, 262.0), b: (420.0, 200.0) };
        let p = prior(vec![thigh, shin], 330.0);
        let (x0, y0, x1, y1) = circle_box(&p, 9.0, 24.0).unwrap();
        let mut passed = 0;
        for cx in (100..520).step_by(3) {
            for cy in (150..420).step_by(3) {
                for r in [9.0, 15.0, 24.0] {
                    let c = circle(cx as f32, cy as f32, r);
                    let floor_ok = c.cy + c.r >= p.floor_y - MAX_ABOVE_FLOOR_R * c.r;
                    if floor_ok && segment_above(&p, &c).is_some() {
                        passed += 1;
                        assert!(c.cx - r >= x0 && c.cx + r <= x1 && c.cy - r >= y0 && c.cy + r <= y1, "{c:?}");
                    }
                }
            }
        }
        assert!(passed > 100, "the grid must reach circles that pass: {passed}");
        let standing = Segment { a: (300.0, 100.0), b: (310.0, 300.0) };
        assert_eq!(circle_box(&prior(vec![standing], 330.0), 9.0, 24.0), None);
    }
}
