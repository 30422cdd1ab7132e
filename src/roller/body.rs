//! Where a roller may be, from the pose: the body line (shoulder, hip, knee and ankle mid-points), the roller radius
//! expected from the body's size, and the image region around the body that the detector looks at.

use opencv::core::Rect;

use crate::geometry::{RotatedSquare, Vec2};
use crate::landmarks::{idx, Pose};

/// Roller diameter the search expects, cm: a standard foam roller (the stated `--roller-diameter-cm` is not used,
/// so a wrong one cannot change which circles are found; issue 11). The searched radius range
/// (`candidates::RADIUS_RANGE`, 0.6-1.6 of the expected radius) then covers rollers of about 9-24 cm at the body's
/// typical proportions, and the tracker's size prior takes over once a roller is confirmed.
pub const SEARCH_DIAMETER_CM: f32 = crate::coach::DEFAULT_ROLLER_DIAMETER_CM;
/// Landmarks below this visibility are not used for the body prior.
const MIN_VIS: f32 = 0.3;
/// Typical adult segment lengths (Winter, Biomechanics and Motor Control of Human Movement, segment proportions of a
/// 170 cm adult), cm: shoulder-hip, hip-knee, knee-ankle.
const TYPICAL_SEGMENT_CM: [f32; 3] = [49.0, 41.7, 41.8];
/// The crop reaches this many expected roller diameters beyond the body's landmarks (a roller lies under or beside
/// the body: under a leg that is lifted by the roller's full height, or just past the feet or head).
const CROP_MARGIN_DIAMETERS: f32 = 2.0;
/// ... and at least this share of the body's long side (so a small expected radius still leaves context).
const CROP_MARGIN_BODY: f32 = 0.15;
/// Side of the torso square (`BodyPrior::torso_square`) in shoulder-hip lengths: the torso with about half its
/// length around it, so a ball under the back, the side or the buttock is in it. A 6.5 cm ball seen whole-body
/// in the person square is 2-3 px across the learned detector's 160 px input, too small for it (confidence 0.2-0.4
/// on the four development lats clips); in the torso square it is twice that and found (0.6-0.9, centre within 0.5
/// radius; chosen on those clips, before any validation clip was run).
pub const TORSO_SQUARE_SIDE: f32 = 2.2;

/// A straight piece of the body line, image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    pub a: (f32, f32),
    pub b: (f32, f32),
}

impl Segment {
    /// Angle to the image horizontal, degrees (0-90).
    pub fn incline_deg(&self) -> f32 {
        let (dx, dy) = (self.b.0 - self.a.0, self.b.1 - self.a.1);
        dy.abs().atan2(dx.abs()).to_degrees()
    }

    /// Height of the segment line at image column `x` (`None` for a vertical segment).
    pub fn y_at(&self, x: f32) -> Option<f32> {
        let dx = self.b.0 - self.a.0;
        if dx.abs() < 1.0 {
            return None;
        }
        Some(self.a.1 + (self.b.1 - self.a.1) * ((x - self.a.0) / dx).clamp(0.0, 1.0))
    }

    /// Foot of the perpendicular from `p` on the segment (clamped to the segment).
    pub fn closest_point(&self, p: (f32, f32)) -> (f32, f32) {
        let (dx, dy) = (self.b.0 - self.a.0, self.b.1 - self.a.1);
        let len2 = dx * dx + dy * dy;
        if len2 < 1e-6 {
            return self.a;
        }
        let t = (((p.0 - self.a.0) * dx + (p.1 - self.a.1) * dy) / len2).clamp(0.0, 1.0);
        (self.a.0 + t * dx, self.a.1 + t * dy)
    }
}

/// What the pose says about the roller.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyPrior {
    /// Body line from shoulders to ankles (visible mid-points only), image pixels.
    pub segments: Vec<Segment>,
    /// Radius of a [`SEARCH_DIAMETER_CM`] roller expected from the body's size, image pixels.
    pub r_expected: f32,
    /// Region of the image the detector looks at (body box, enlarged, clipped to the image).
    pub crop: Rect,
    /// Image row of the lowest visible landmark: the body's supports on the floor the roller also rests on.
    pub floor_y: f32,
    /// The upright square around the person that the learned detector was trained on
    /// (`learned::crop_around_pose`).
    pub person_square: Option<RotatedSquare>,
    /// The upright square around the torso (shoulder and hip mid-points) the learned detector looks at again for
    /// massage balls, which are small in the person square ([`TORSO_SQUARE_SIDE`]).
    pub torso_square: Option<RotatedSquare>,
    /// Visible wrist and hand landmarks, image pixels.
    pub hands: Vec<(f32, f32)>,
    /// Limb bones with both ends visible (upper arms, forearms, thighs, shins), image pixels.
    pub limbs: Vec<Segment>,
}

/// The limb bones (`BodyPrior::limbs`) as landmark pairs, left then right.
const LIMBS: [(usize, usize); 8] = [
    (idx::LEFT_SHOULDER, idx::LEFT_ELBOW),
    (idx::LEFT_ELBOW, idx::LEFT_WRIST),
    (idx::LEFT_HIP, idx::LEFT_KNEE),
    (idx::LEFT_KNEE, idx::LEFT_ANKLE),
    (idx::RIGHT_SHOULDER, idx::RIGHT_ELBOW),
    (idx::RIGHT_ELBOW, idx::RIGHT_WRIST),
    (idx::RIGHT_HIP, idx::RIGHT_KNEE),
    (idx::RIGHT_KNEE, idx::RIGHT_ANKLE),
];

/// The visible limb bones of `pose`.
fn limbs(pose: &Pose) -> Vec<Segment> {
    let seen = |i: usize| Some(pose.keypoints[i]).filter(|k| k.visibility >= MIN_VIS).map(|k| (k.x, k.y));
    LIMBS.iter().filter_map(|&(a, b)| Some(Segment { a: seen(a)?, b: seen(b)? })).collect()
}

fn mid(p: &Pose, l: usize, r: usize) -> Option<(f32, f32)> {
    let (a, b) = (p.keypoints[l], p.keypoints[r]);
    match (a.visibility >= MIN_VIS, b.visibility >= MIN_VIS) {
        (true, true) => Some(((a.x + b.x) * 0.5, (a.y + b.y) * 0.5)),
        (true, false) => Some((a.x, a.y)),
        (false, true) => Some((b.x, b.y)),
        _ => None,
    }
}

impl BodyPrior {
    /// The prior for a `cols` x `rows` image, `None` when too little of the body is visible to place a roller.
    pub fn from_pose(pose: &Pose, cols: i32, rows: i32) -> Option<Self> {
        let chain = [
            mid(pose, idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER),
            mid(pose, idx::LEFT_HIP, idx::RIGHT_HIP),
            mid(pose, idx::LEFT_KNEE, idx::RIGHT_KNEE),
            mid(pose, idx::LEFT_ANKLE, idx::RIGHT_ANKLE),
        ];
        // Scale from the visible consecutive segments against their typical lengths.
        let (mut len_px, mut len_cm) = (0.0f32, 0.0f32);
        let mut segments = Vec::with_capacity(3);
        for (i, w) in chain.windows(2).enumerate() {
            if let (Some(a), Some(b)) = (w[0], w[1]) {
                len_px += ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
                len_cm += TYPICAL_SEGMENT_CM[i];
                segments.push(Segment { a, b });
            }
        }
        if segments.is_empty() || len_px < 1.0 {
            return None;
        }
        let r_expected = 0.5 * SEARCH_DIAMETER_CM * len_px / len_cm;
        let crop = body_crop(pose, r_expected, cols, rows)?;
        let floor_y = pose.keypoints.iter().filter(|k| k.visibility >= MIN_VIS).map(|k| k.y).fold(f32::MIN, f32::max);
        let person_square = super::learned::crop_around_pose(pose);
        let torso_square = match (chain[0], chain[1]) {
            (Some(s), Some(h)) => torso_square(s, h),
            _ => None,
        };
        let hands = (idx::LEFT_WRIST..=idx::RIGHT_THUMB)
            .map(|i| pose.keypoints[i])
            .filter(|k| k.visibility >= MIN_VIS)
            .map(|k| (k.x, k.y))
            .collect();
        Some(Self { segments, r_expected, crop, floor_y, person_square, torso_square, hands, limbs: limbs(pose) })
    }
}

/// The upright square [`TORSO_SQUARE_SIDE`] shoulder-hip lengths wide around the torso's middle.
fn torso_square(shoulder: (f32, f32), hip: (f32, f32)) -> Option<RotatedSquare> {
    let len = ((shoulder.0 - hip.0).powi(2) + (shoulder.1 - hip.1).powi(2)).sqrt();
    let center = Vec2::new(((shoulder.0 + hip.0) / 2.0) as f64, ((shoulder.1 + hip.1) / 2.0) as f64);
    (len >= 1.0).then(|| RotatedSquare { center, size: (TORSO_SQUARE_SIDE * len) as f64, angle: 0.0 })
}

/// Box of the visible landmarks, enlarged, clipped to the image.
fn body_crop(pose: &Pose, r_expected: f32, cols: i32, rows: i32) -> Option<Rect> {
    let (mut x0, mut y0, mut x1, mut y1) = (f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY);
    for k in pose.keypoints.iter().filter(|k| k.visibility >= MIN_VIS) {
        (x0, y0, x1, y1) = (x0.min(k.x), y0.min(k.y), x1.max(k.x), y1.max(k.y));
    }
    if !(x1 > x0 || y1 > y0) {
        return None;
    }
    let margin = (CROP_MARGIN_DIAMETERS * 2.0 * r_expected).max(CROP_MARGIN_BODY * (x1 - x0).max(y1 - y0));
    let cx0 = ((x0 - margin).floor().max(0.0) as i32).min(cols - 1);
    let cy0 = ((y0 - margin).floor().max(0.0) as i32).min(rows - 1);
    let cx1 = ((x1 + margin).ceil().min(cols as f32) as i32).max(cx0 + 1);
    let cy1 = ((y1 + margin).ceil().min(rows as f32) as i32).max(cy0 + 1);
    (cx1 - cx0 >= 8 && cy1 - cy0 >= 8).then(|| Rect::new(cx0, cy0, cx1 - cx0, cy1 - cy0))
}
