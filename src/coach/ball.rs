//! Massage balls: which tool an exercise uses (`tool = "roller" | "ball" | "peanut"`), where it is supported (on the
//! floor or against a wall), the ball's contact on a body segment against a wall, and the torso roll that tells a
//! single ball beside the spine from one on it.

use super::exercise::{Exercise, LandmarkRef, SegmentDef};
use super::geometry::{project, P2};
use super::recognize::{
    outside_share, segment_contact, SegmentContact, MAX_OUTSIDE, MAX_OVERLAP_R, MAX_TISSUE_GAP_CM, MIN_VISIBILITY,
};
use crate::landmarks::{idx, Pose, RollerObs, ToolKind};

/// Typical massage (lacrosse) ball diameter, cm: NCAA / NFHS lacrosse rules specify a circumference of 7.75-8 in
/// (19.7-20.3 cm), i.e. a diameter of 6.27-6.47 cm; tennis balls are 6.54-6.86 cm (ITF Rules of Tennis, App. I).
pub const DEFAULT_BALL_DIAMETER_CM: f32 = 6.3;
/// A ball observation is a peanut (two balls joined, about twice as long as wide) when its axis is at least this
/// many diameters long. A single ball looks round from every side (1.0); a 6.3 x 13 cm peanut seen more than
/// about 25 deg off its axis exceeds 1.3.
pub const PEANUT_MIN_ASPECT: f32 = 1.3;
/// A ball seen end-on fits a peanut exercise this much worse than a single-ball one (ranking score, cm), so that
/// recognition prefers the single ball whatever the order of the exercise files.
const PEANUT_END_ON_PENALTY_CM: f32 = 1.0;
/// Typical shoulder (biacromial) width, cm: 39.7 cm (men) and 35.9 cm (women) in NASA-STD-3000 / Anthropometric
/// Source Book vol. II; about the mean. Used to turn the image split of the shoulders into a roll angle.
pub const SHOULDER_WIDTH_CM: f32 = 38.0;

/// The self-massage tool an exercise is done with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    #[default]
    Roller,
    /// A single massage ball (lacrosse, tennis, spiky ball).
    Ball,
    /// A peanut (double) ball: the spine rests in its groove.
    Peanut,
}

impl Tool {
    pub fn parse(s: &str) -> Option<Tool> {
        match s {
            "roller" => Some(Tool::Roller),
            "ball" => Some(Tool::Ball),
            "peanut" => Some(Tool::Peanut),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Roller => "roller",
            Tool::Ball => "ball",
            Tool::Peanut => "peanut",
        }
    }

    /// True when the observed tool can be this one: rollers are rollers; a ball observation whose axis is
    /// elongated is a peanut, never a single ball. A ball seen end-on (no axis) may be either: recognition then
    /// prefers the single ball (the safer reading: its spine check applies), `--exercise` can choose the peanut.
    pub fn matches(self, obs: &RollerObs) -> bool {
        match (self, obs.kind) {
            (Tool::Roller, ToolKind::Roller) => true,
            (Tool::Ball, ToolKind::Ball) => !is_peanut(obs),
            (Tool::Peanut, ToolKind::Ball) => true,
            _ => false,
        }
    }

    /// True for the two kinds of ball.
    pub fn is_ball(self) -> bool {
        self != Tool::Roller
    }
}

/// True when a ball observation is elongated like a peanut (its axis, when seen, against its diameter).
pub fn is_peanut(obs: &RollerObs) -> bool {
    obs.axis.is_some_and(|[a, b]| {
        let len = P2::new(a[0], a[1]).dist(P2::new(b[0], b[1]));
        obs.r > 0.0 && len >= PEANUT_MIN_ASPECT * 2.0 * obs.r
    })
}

/// Where the body rests on the tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Support {
    /// The tool lies on the floor under the body.
    #[default]
    Floor,
    /// Standing with the back to a wall, the ball between back and wall.
    Wall,
}

impl Support {
    pub fn parse(s: &str) -> Option<Support> {
        match s {
            "floor" => Some(Support::Floor),
            "wall" => Some(Support::Wall),
            _ => None,
        }
    }
}

/// The contact of `obs` with `seg`, if the observed tool is the exercise's (`tool`) and lies where `support` says.
pub fn tool_contact(
    pose: &Pose,
    (seg, tool, support): (&SegmentDef, Tool, Support),
    obs: &RollerObs,
    px_per_cm: f32,
    prefer: Option<u8>,
) -> Option<SegmentContact> {
    if !tool.matches(obs) {
        return None;
    }
    let c = match support {
        Support::Floor => segment_contact(pose, seg, obs, px_per_cm, prefer),
        Support::Wall => wall_contact(pose, seg, obs, px_per_cm),
    };
    let penalty = if tool == Tool::Peanut && !is_peanut(obs) { PEANUT_END_ON_PENALTY_CM } else { 0.0 };
    c.map(|c| SegmentContact { score_cm: c.score_cm + penalty, ..c })
}

/// Unit vector of the way the face points (nose from the ears' mid-point), image px; None when not visible.
fn facing(pose: &Pose) -> Option<P2> {
    let (l, r, n) = (pose.kp(idx::LEFT_EAR), pose.kp(idx::RIGHT_EAR), pose.kp(idx::NOSE));
    let ears: Vec<P2> = [l, r].iter().filter(|k| k.visibility >= MIN_VISIBILITY).map(|k| P2::from(*k)).collect();
    if ears.is_empty() || n.visibility < MIN_VISIBILITY {
        return None;
    }
    let ear = ears.iter().fold(P2::default(), |s, p| s.add(*p)).scale(1.0 / ears.len() as f32);
    let d = P2::from(n).sub(ear);
    (d.norm() > 1e-3).then(|| d.scale(1.0 / d.norm()))
}

/// A ball between the back and a wall: behind the segment (opposite to the way the face points), its near edge
/// within soft-tissue distance of the landmark line. The segment may have any incline (the body stands).
pub fn wall_contact(pose: &Pose, seg: &SegmentDef, obs: &RollerObs, px_per_cm: f32) -> Option<SegmentContact> {
    let mid = |r: LandmarkRef| {
        let k = r.mid(pose);
        (k.visibility >= MIN_VISIBILITY).then(|| P2::from(k))
    };
    let (a, b) = (mid(seg.from)?, mid(seg.to)?);
    let c = P2::new(obs.cx, obs.cy);
    let pr = project(c, a, b)?;
    let foot = a.lerp(b, pr.t);
    let off = c.sub(foot);
    // Behind the body: the ball lies on the side the face points away from (either side when the face is unseen).
    if facing(pose).is_some_and(|f| off.dot(f) > 0.0) {
        return None;
    }
    let gap_px = off.norm() - obs.r;
    let outside = outside_share(pr.t);
    if gap_px < -MAX_OVERLAP_R * obs.r || gap_px > MAX_TISSUE_GAP_CM * px_per_cm || outside > MAX_OUTSIDE {
        return None;
    }
    Some(SegmentContact {
        t: pr.t,
        len_px: pr.len_px,
        gap_px,
        score_cm: (gap_px.abs() + outside * pr.len_px) / px_per_cm,
        from_px: a,
        to_px: b,
        side: 0,
        travel_px: None,
    })
}

/// Roll of the body about its long axis toward the tool, degrees: positive when the right side is lifted away from
/// the support (the ball is under / behind the right side), negative for the left; 0 when the body lies square.
/// With world landmarks: the left-right `pair` vector in metres against the direction away from the support (its own
/// length is the width, and the depth the image cannot show is there). Else from the image split of the pair across
/// the segment's direction against a typical shoulder width. None when either landmark is not visible.
pub fn roll_deg(pose: &Pose, pair: LandmarkRef, contact: &SegmentContact, obs: &RollerObs, px_per_cm: f32) -> Option<f32> {
    let (l, r) = pair.sides();
    let (kl, kr) = (pose.kp(l), pose.kp(r));
    if kl.visibility < MIN_VISIBILITY || kr.visibility < MIN_VISIBILITY || l == r {
        return None;
    }
    let d = contact.to_px.sub(contact.from_px);
    let len = d.norm();
    if len < 1e-3 {
        return None;
    }
    // Unit normal of the segment pointing from the body toward the tool (the support side).
    let mut n = P2::new(-d.y / len, d.x / len);
    let foot = contact.from_px.lerp(contact.to_px, contact.t);
    if P2::new(obs.cx, obs.cy).sub(foot).dot(n) < 0.0 {
        n = n.scale(-1.0);
    }
    // The right side lifted away from the support moves against n (world axes are image-aligned: the same n).
    if let Some(w) = &pose.world {
        let d = [w[r][0] - w[l][0], w[r][1] - w[l][1], w[r][2] - w[l][2]];
        let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        if len > 1e-3 {
            let s = (-(d[0] * n.x + d[1] * n.y) / len).clamp(-1.0, 1.0);
            return Some(s.asin().to_degrees());
        }
    }
    let split = -P2::from(kr).sub(P2::from(kl)).dot(n);
    let s = (split / (SHOULDER_WIDTH_CM * px_per_cm)).clamp(-1.0, 1.0);
    Some(s.asin().to_degrees())
}

/// Tool of every exercise id in the default exercises folder (history lists balls and rollers per area; ids not
/// found there, e.g. from an older or a custom folder, are left out).
pub fn tools_by_id() -> std::collections::BTreeMap<String, Tool> {
    let all = super::load_dir(&super::default_exercises_dir()).unwrap_or_default();
    all.into_iter().map(|e| (e.id, e.tool)).collect()
}

/// The tool an area (exercise id) was worked with, for listings: "roller", "ball", "peanut", or "" when unknown.
pub fn tool_label(tools: &std::collections::BTreeMap<String, Tool>, area: &str) -> &'static str {
    tools.get(area).map_or("", |t| t.as_str())
}

/// Roll toward a single ball for an exercise with a spine check, from one frame alone (reports): the scale from the
/// ball's image radius and the typical ball diameter (only the angle's size depends on it, not its sign).
pub fn spine_roll(pose: &Pose, obs: &RollerObs, ex: &Exercise) -> Option<f32> {
    let sp = ex.spine.as_ref()?;
    let ppc = 2.0 * obs.r / DEFAULT_BALL_DIAMETER_CM;
    let c = tool_contact(pose, (&ex.segment, ex.tool, ex.support), obs, ppc, None)?;
    roll_deg(pose, sp.landmark, &c, obs, ppc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::Keypoint;

    fn ball(cx: f32, cy: f32) -> RollerObs {
        RollerObs { cx, cy, r: 8.0, confidence: 1.0, kind: ToolKind::Ball, ..Default::default() }
    }

    #[test]
    fn tools_match_only_their_kind() {
        let roller = RollerObs { kind: ToolKind::Roller, r: 20.0, confidence: 1.0, ..Default::default() };
        let b = ball(0.0, 0.0);
        let peanut = RollerObs { axis: Some([[0.0, 0.0], [30.0, 0.0]]), ..b };
        assert!(Tool::Roller.matches(&roller) && !Tool::Roller.matches(&b));
        assert!(Tool::Ball.matches(&b) && !Tool::Ball.matches(&roller) && !Tool::Ball.matches(&peanut));
        assert!(Tool::Peanut.matches(&peanut) && Tool::Peanut.matches(&b) && !Tool::Peanut.matches(&roller));
    }

    fn standing_facing_right() -> Pose {
        let mut p = Pose::default();
        let mut put = |i: usize, x: f32, y: f32| p.keypoints[i] = Keypoint { x, y, visibility: 0.9 };
        for (l, r, x, y) in [
            (idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER, 100.0, 100.0),
            (idx::LEFT_HIP, idx::RIGHT_HIP, 100.0, 230.0),
            (idx::LEFT_EAR, idx::RIGHT_EAR, 102.0, 50.0),
        ] {
            put(l, x, y);
            put(r, x, y);
        }
        put(idx::NOSE, 125.0, 52.0);
        p
    }

    #[test]
    fn roll_from_world_landmarks_uses_their_depth() {
        // Lying along x, ball below (image down); right shoulder 0.1 m higher than the left over a 0.38 m width.
        let mut p = Pose::default();
        for i in [idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER] {
            p.keypoints[i] = Keypoint { x: 100.0, y: 100.0, visibility: 0.9 };
        }
        let mut w = [[0.0f32; 3]; crate::landmarks::NUM_LANDMARKS];
        w[idx::LEFT_SHOULDER] = [0.0, 0.0, -0.1836];
        w[idx::RIGHT_SHOULDER] = [0.0, -0.1, 0.1836];
        p.world = Some(w);
        let c = SegmentContact {
            t: 0.3,
            len_px: 100.0,
            gap_px: 5.0,
            score_cm: 0.0,
            from_px: P2::new(100.0, 100.0),
            to_px: P2::new(200.0, 100.0),
            side: 0,
            travel_px: None,
        };
        let roll = roll_deg(&p, LandmarkRef::parse("shoulder").unwrap(), &c, &ball(130.0, 120.0), 2.6).unwrap();
        assert!((roll - 15.3).abs() < 0.2, "{roll}");
        // The image alone (shoulders on top of each other) would say square.
        p.world = None;
        assert!(roll_deg(&p, LandmarkRef::parse("shoulder").unwrap(), &c, &ball(130.0, 120.0), 2.6).unwrap().abs() < 1e-3);
    }

    #[test]
    fn wall_ball_behind_the_back_is_a_contact_in_front_is_not() {
        let pose = standing_facing_right();
        let seg = SegmentDef::between("torso", "shoulder", "hip").unwrap();
        let c = wall_contact(&pose, &seg, &ball(70.0, 139.0), 2.6).expect("behind the back");
        assert!((c.t - 0.3).abs() < 1e-3, "{c:?}");
        assert!(wall_contact(&pose, &seg, &ball(130.0, 139.0), 2.6).is_none());
    }
}
