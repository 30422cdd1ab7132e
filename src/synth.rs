//! Synthetic pose tracks: a kinematic model of a 170 cm body rolling over a foam roller, side view, with injected
//! faults and a truth file that comes only from the generator's inputs and its own kinematics.
//!
//! World frame: cm, x toward the feet (head at the left of the image), y up from the floor. The roller is a fixed
//! circle on the floor; the body translates along the supported segment's axis so that the contact point moves
//! along the segment at exactly the set speed, back and forth through the exercise's region. Image = world scaled by
//! `px_per_cm`, floor near the bottom, seeded Gaussian noise on every landmark.

mod ball;

use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;

use crate::coach::exercise::{Exercise, RuleId, Zone};
use crate::landmarks::{idx, Keypoint, Pose, RollerObs, NUM_LANDMARKS};
use crate::posetrack::{PoseTrack, TrackError, TrackFrame, TrackHeader, TrackWriter};

#[derive(Debug, Error)]
pub enum SynthError {
    #[error("invalid synthetic track settings: {0}")]
    Config(String),
    #[error("bad fault spec {spec:?}: {msg} (expected RULE@ONSET+DURATION, e.g. too_fast@10+5)")]
    FaultSpec { spec: String, msg: String },
    #[error(transparent)]
    Track(#[from] TrackError),
    #[error("{}: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
}

// Body proportions for a 170 cm person (segment lengths from Winter's anthropometric tables), cm.
pub const TORSO_CM: f32 = 49.0;
pub const THIGH_CM: f32 = 41.7;
pub const SHANK_CM: f32 = 41.8;
const UPPER_ARM_CM: f32 = 31.6;
const FOREARM_CM: f32 = 24.8;
const SHOULDER_TO_EAR_CM: f32 = 20.0;
/// How far the hips sink in an injected `hips_dropped` (supine), cm, and the largest torso tilt that allows.
const HIPS_DROP_CM: f32 = 14.0;
const HIPS_DROP_MAX_DEG: f32 = 40.0;
/// Time for a posture fault to develop (and to recover), s.
pub const POSTURE_RAMP_S: f64 = 0.4;
/// How far past a keep-out zone's edge the drift goes, as a share of the segment.
const KEEP_OUT_DEPTH: f32 = 0.07;
/// Rolling range inset from the region's ends, as a share of the region.
const REGION_INSET: f32 = 0.08;
/// Default visibility of the far-side landmarks (supine, prone, seated side views).
pub const FAR_VISIBILITY: f32 = 0.75;
/// Seed offset of the wander phases and dropouts (kept apart from the white noise so adding them leaves it alone).
const WANDER_SEED: u64 = 0x5EED_0F_3A;

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultSpec {
    pub rule: RuleId,
    pub onset_s: f64,
    pub duration_s: f64,
}

impl FaultSpec {
    /// Parses `RULE@ONSET+DURATION` (seconds), e.g. `keep_out@20+4`.
    pub fn parse(spec: &str) -> Result<FaultSpec, SynthError> {
        let bad = |msg: &str| SynthError::FaultSpec {
            spec: spec.into(),
            msg: msg.into(),
        };
        let (rule, rest) = spec.split_once('@').ok_or_else(|| bad("missing '@'"))?;
        let (on, dur) = rest.split_once('+').ok_or_else(|| bad("missing '+'"))?;
        let rule = RuleId::parse(rule).ok_or_else(|| bad("unknown rule"))?;
        if !matches!(
            rule,
            RuleId::Hold
                | RuleId::TooFast
                | RuleId::KeepOut
                | RuleId::HipsDropped
                | RuleId::PlankLine
                | RuleId::NeckUnsupported
        ) {
            return Err(bad("only too_fast, keep_out, hips_dropped, plank_line, neck_unsupported and hold can be injected (lower_back: generate the lower_back exercise)"));
        }
        let onset_s: f64 = on.parse().map_err(|_| bad("onset is not a number"))?;
        let duration_s: f64 = dur.parse().map_err(|_| bad("duration is not a number"))?;
        if !(onset_s >= 0.0 && duration_s > 0.0 && onset_s.is_finite() && duration_s.is_finite()) {
            return Err(bad("onset must be >= 0 and duration > 0"));
        }
        Ok(FaultSpec {
            rule,
            onset_s,
            duration_s,
        })
    }

    fn active(&self, t: f64) -> bool {
        t >= self.onset_s && t < self.onset_s + self.duration_s
    }

    /// Its truth record as injected (from the onset, no zone), ending at `end`.
    fn truth(&self, end: f64) -> TruthFault {
        TruthFault {
            rule: self.rule,
            onset: self.onset_s,
            end,
            injected_at: self.onset_s,
            zone: None,
        }
    }

    /// 0..1 ramp of a posture fault (develops over POSTURE_RAMP_S, recovers after the duration).
    fn ramp(&self, t: f64) -> f32 {
        let up = ((t - self.onset_s) / POSTURE_RAMP_S).clamp(0.0, 1.0);
        let down = ((self.onset_s + self.duration_s + POSTURE_RAMP_S - t) / POSTURE_RAMP_S).clamp(0.0, 1.0);
        up.min(down) as f32
    }
}

/// Generator settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    pub speed_cm_s: f32,
    /// Speed during an injected `too_fast` fault.
    pub fast_speed_cm_s: f32,
    pub duration_s: f64,
    pub fps: f64,
    pub width: u32,
    pub height: u32,
    pub px_per_cm: f32,
    pub roller_diameter_cm: f32,
    /// Standard deviation of landmark noise, px.
    pub noise_px: f32,
    /// Noise of real keypoints beyond white noise.
    pub real: RealNoise,
    pub seed: u64,
    pub faults: Vec<FaultSpec>,
    /// Episodes with a single ball on the spine (the body turns square onto it): onset and duration, s.
    pub on_spine: Vec<FaultSpec>,
}

/// Noise models of real keypoints beyond white noise.
#[derive(Debug, Clone, PartialEq)]
pub struct RealNoise {
    /// Slow wander of every landmark (a sinusoid per landmark and axis with a random phase), amplitude px.
    pub wander_px: f32,
    /// Frequency of the wander, Hz.
    pub wander_hz: f32,
    /// Share of frames without the roller (detector misses).
    pub roller_dropout: f32,
    /// Share of frames without the person (pose misses).
    pub pose_dropout: f32,
    /// Visibility of the far-side landmarks (BlazePose gives the occluded side low visibility).
    pub far_visibility: f32,
}

impl Default for RealNoise {
    fn default() -> Self {
        Self {
            wander_px: 0.0,
            wander_hz: 0.5,
            roller_dropout: 0.0,
            pose_dropout: 0.0,
            far_visibility: FAR_VISIBILITY,
        }
    }
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self {
            speed_cm_s: 5.0,
            fast_speed_cm_s: 30.0,
            duration_s: 40.0,
            fps: 30.0,
            width: 640,
            height: 480,
            px_per_cm: 2.6,
            roller_diameter_cm: 15.0,
            noise_px: 1.0,
            real: RealNoise::default(),
            seed: 1,
            faults: Vec::new(),
            on_spine: Vec::new(),
        }
    }
}

/// A fault as it truly happened in the generated track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TruthFault {
    pub rule: RuleId,
    /// When the fault condition starts, s (for keep_out: when the contact enters the zone).
    pub onset: f64,
    pub end: f64,
    /// When the fault was injected (`--fault RULE@ONSET`), s.
    pub injected_at: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
}

/// Ground truth of a generated track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Truth {
    pub format: String,
    pub exercise: String,
    pub speed_cm_s: f32,
    pub fast_speed_cm_s: f32,
    pub duration_s: f64,
    pub fps: f64,
    pub px_per_cm: f32,
    pub roller_diameter_cm: f32,
    pub noise_px: f32,
    pub seed: u64,
    /// Rolling range along the segment (fractions).
    pub range: [f32; 2],
    pub faults: Vec<TruthFault>,
    /// Non-fault events (injected `hold`s).
    pub events: Vec<TruthFault>,
    /// Times the rolling turned (ends of passes), s.
    pub turns: Vec<f64>,
    /// Exercise switched to and when, s (`--then`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub then: Option<(String, f64)>,
}

pub const TRUTH_FORMAT: &str = "rollcoach-synth-truth/1";

/// Seeded SplitMix64 with Box-Muller normals (no external crate; reproducible across platforms).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1].
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }
    pub fn normal(&mut self) -> f32 {
        let (u1, u2) = (self.uniform(), self.uniform());
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct W {
    x: f32,
    y: f32,
}

fn w(x: f32, y: f32) -> W {
    W { x, y }
}

impl W {
    fn add(self, o: W) -> W {
        w(self.x + o.x, self.y + o.y)
    }
    fn sub(self, o: W) -> W {
        w(self.x - o.x, self.y - o.y)
    }
    fn scale(self, k: f32) -> W {
        w(self.x * k, self.y * k)
    }
    fn norm(self) -> f32 {
        (self.x * self.x + self.y * self.y).sqrt()
    }
    fn unit(self) -> W {
        let n = self.norm().max(1e-6);
        self.scale(1.0 / n)
    }
}

/// Point `len` from `from` toward (`dx`, dy) with y fixed: keeps a limb's length when its far end is on a height.
fn at_height(from: W, len: f32, y: f32, dir_x: f32) -> W {
    let dy = y - from.y;
    let dx = (len * len - dy * dy).max(0.0).sqrt();
    w(from.x + dir_x * dx, y)
}

/// Two-link chain from `a` to target `b` with lengths l1, l2; the middle joint bends to the side of `bend` (+1 =
/// left of a->b, -1 = right). An unreachable target gives a straight limb pointing at it.
fn ik2(a: W, b: W, l1: f32, l2: f32, bend: f32) -> (W, W) {
    let d = b.sub(a);
    let dist = d.norm();
    let u = d.unit();
    if dist >= l1 + l2 - 1e-3 {
        return (a.add(u.scale(l1)), a.add(u.scale(l1 + l2)));
    }
    let dist = dist.max((l1 - l2).abs() + 1e-3);
    let x = (l1 * l1 - l2 * l2 + dist * dist) / (2.0 * dist);
    let h = (l1 * l1 - x * x).max(0.0).sqrt();
    let n = w(-u.y, u.x).scale(bend.signum());
    (a.add(u.scale(x)).add(n.scale(h)), b)
}

/// Posture modifiers at one instant (0 = normal, 1 = full fault).
#[derive(Debug, Clone, Copy, Default)]
struct Mods {
    hips_drop: f32,
    sag: f32,
    hands_off: f32,
}

/// Full body in world cm: (position, visibility) per landmark.
type Body = [(W, f32); NUM_LANDMARKS];

/// Which exercise pose family a generator supports.
fn family(ex: &Exercise) -> Option<&'static str> {
    if ex.tool.is_ball() {
        return ball::family(ex);
    }
    Some(match ex.id.as_str() {
        "upper_back" | "lower_back" => "supine_bridge",
        "quads" | "adductors" => "prone_plank",
        "hamstrings" => "seated_thigh",
        "calves" => "seated_shank",
        "glutes" => "seated_glute",
        "it_band" => "side_thigh",
        "lats" => "side_torso",
        _ => return None,
    })
}

fn segment_len(ex: &Exercise) -> f32 {
    match ex.segment.name.as_str() {
        "torso" => TORSO_CM,
        "shank" => SHANK_CM,
        _ => THIGH_CM,
    }
}

/// The main joints of the near (left) side and the nose, world cm.
#[derive(Debug, Clone, Copy)]
struct Joints {
    sh: W,
    hip: W,
    knee: W,
    ankle: W,
    elbow: W,
    wrist: W,
    ear: W,
    nose: W,
}

impl Joints {
    fn from_array([sh, hip, knee, ankle, elbow, wrist, ear, nose]: [W; 8]) -> Joints {
        Joints { sh, hip, knee, ankle, elbow, wrist, ear, nose }
    }
}

/// The supported segment on the tool: the contact at fraction `c` of it.
struct Placement {
    roller_c: W,
    roller_r: f32,
    c: f32,
}

impl Placement {
    /// Segment of `len` at `angle_deg`, `tissue` cm of body between it and the tool: its two ends P and P + len*u.
    fn place(&self, len: f32, angle_deg: f32, tissue: f32) -> (W, W) {
        let a = angle_deg.to_radians();
        let u = w(a.cos(), a.sin());
        let n_up = w(-u.y, u.x);
        let p = self.roller_c.sub(u.scale(self.c * len)).add(n_up.scale(self.roller_r + tissue));
        (p, p.add(u.scale(len)))
    }
}

/// The shoulder of a torso rising from `hip` at `incline_deg`, head toward -x.
fn torso_up(hip: W, incline_deg: f32) -> W {
    let a = incline_deg.to_radians();
    hip.add(w(-a.cos(), a.sin()).scale(TORSO_CM))
}

/// Ear and nose of a head that continues the torso from `hip` through `sh`.
fn head_on_torso(hip: W, sh: W) -> (W, W) {
    let u = sh.sub(hip).unit();
    let ear = sh.add(u.scale(SHOULDER_TO_EAR_CM));
    (ear, ear.add(w(-u.y, u.x).scale(-9.0)))
}

/// Supine on the upper back, hips lifted: hips dropping rotate the torso about the roller contact; the hip sinks
/// HIPS_DROP_CM (as far as the lever from the contact allows, at most HIPS_DROP_MAX_DEG of tilt).
fn supine_bridge(pl: &Placement, m: Mods) -> Joints {
    let lever = ((1.0 - pl.c) * TORSO_CM).max(1.0);
    let tilt = (HIPS_DROP_CM * m.hips_drop / lever)
        .min(HIPS_DROP_MAX_DEG.to_radians().sin())
        .asin();
    let (sh, hip) = pl.place(TORSO_CM, -tilt.to_degrees(), 11.0);
    let ankle = w(hip.x + 55.0, 8.0);
    let knee = ik2(hip, ankle, THIGH_CM, SHANK_CM, 1.0).0;
    let ear = sh.add(w(-SHOULDER_TO_EAR_CM, 2.0));
    let nose = ear.add(w(2.0, 9.0));
    let behind_head = ear.add(w(-4.0, -2.0));
    let by_sides = w(sh.x + 42.0, 3.0);
    let wrist = behind_head.add(by_sides.sub(behind_head).scale(m.hands_off));
    let elbow = ik2(sh, wrist, UPPER_ARM_CM, FOREARM_CM, -1.0).0;
    Joints { sh, hip, knee, ankle, elbow, wrist, ear, nose }
}

/// Prone plank on the forearms, thighs on the roller; `m.sag` lets the hips sag.
fn prone_plank(pl: &Placement, m: Mods) -> Joints {
    let (hip, knee) = pl.place(THIGH_CM, (13.0 * m.sag / THIGH_CM).asin().to_degrees(), 8.0);
    let sh = at_height(hip, TORSO_CM, 34.0, -1.0);
    let u = sh.sub(hip).unit();
    let ear = sh.add(u.scale(SHOULDER_TO_EAR_CM)).add(w(0.0, 2.0));
    Joints {
        sh,
        hip,
        knee,
        ankle: at_height(knee, SHANK_CM, 10.0, 1.0),
        elbow: w(sh.x, 4.0),
        wrist: w(sh.x - 22.0, 3.0),
        ear,
        nose: ear.add(w(-2.0, -8.0)),
    }
}

/// Seated, hands behind on the floor, thigh (`seated_thigh`) or shank on the roller; `m.hips_drop` lowers the hips.
fn seated(pl: &Placement, thigh: bool, m: Mods) -> Joints {
    let (hip, knee, ankle);
    if thigh {
        let (p, d) = pl.place(THIGH_CM, (14.0 * m.hips_drop / THIGH_CM).asin().to_degrees(), 8.0);
        knee = d;
        hip = p;
        ankle = knee.add(w(SHANK_CM - 0.1, -2.0));
    } else {
        let (p, d) = pl.place(SHANK_CM, 0.0, 6.0);
        knee = p;
        ankle = d;
        hip = at_height(knee, THIGH_CM, p.y + 3.0 - 13.0 * m.hips_drop, -1.0);
    }
    let sh = torso_up(hip, 40.0);
    let wrist = w(hip.x - 48.0, 2.0);
    let elbow = ik2(sh, wrist, UPPER_ARM_CM, FOREARM_CM, 1.0).0;
    let (ear, nose) = head_on_torso(hip, sh);
    Joints { sh, hip, knee, ankle, elbow, wrist, ear, nose }
}

/// Seated on the roller, glute on it, torso upright.
fn seated_glute(pl: &Placement) -> Joints {
    let (hip, knee) = pl.place(THIGH_CM, 20.0, 9.0);
    let ankle = at_height(knee, SHANK_CM, 8.0, 1.0);
    let sh = torso_up(hip, 60.0);
    let wrist = w(hip.x - 35.0, 3.0);
    let elbow = ik2(sh, wrist, UPPER_ARM_CM, FOREARM_CM, 1.0).0;
    let (ear, nose) = head_on_torso(hip, sh);
    Joints { sh, hip, knee, ankle, elbow, wrist, ear, nose }
}

/// Side-lying, thigh (`side_thigh`) or torso on the roller; both sides in view: the near (lower) side's joints and
/// the upper side's (right shoulder, hip, knee, ankle, elbow, wrist, ear, unused).
fn side_lying(pl: &Placement, thigh: bool) -> (Joints, [W; 8]) {
    let (sh, hip, knee, ankle, elbow, wrist, ear);
    if thigh {
        let (p, d) = pl.place(THIGH_CM, 0.0, 8.0);
        hip = p;
        knee = d;
        ankle = at_height(knee, SHANK_CM, 13.0, 1.0);
        sh = at_height(hip, TORSO_CM, 34.0, -1.0);
        elbow = w(sh.x, 4.0);
        wrist = elbow.add(w(4.0, -1.0));
        ear = sh.add(w(-SHOULDER_TO_EAR_CM, 4.0));
    } else {
        let (p, d) = pl.place(TORSO_CM, 0.0, 10.0);
        sh = p;
        hip = d;
        knee = at_height(hip, THIGH_CM, 17.0, 1.0);
        ankle = at_height(knee, SHANK_CM, 11.0, 1.0);
        elbow = sh.add(w(-UPPER_ARM_CM + 1.0, -7.0));
        wrist = elbow.add(w(-FOREARM_CM + 1.0, -3.0));
        ear = sh.add(w(-17.0, 9.0));
    }
    // Upper (right) side, seen from the front: shoulders/hips stacked vertically.
    let sh2 = sh.add(w(0.0, 32.0));
    let hip2 = hip.add(w(0.0, 28.0));
    let ankle2 = w(hip.x + 32.0, 8.0);
    let knee2 = ik2(hip2, ankle2, THIGH_CM, SHANK_CM, -1.0).0;
    let wrist2 = w(sh.x + 24.0, 3.0);
    let elbow2 = ik2(sh2, wrist2, UPPER_ARM_CM, FOREARM_CM, -1.0).0;
    let ear2 = ear.add(w(0.0, 14.0));
    let nose = ear.add(w(-3.0, 7.0));
    let near = Joints { sh, hip, knee, ankle, elbow, wrist, ear, nose };
    (near, [sh2, hip2, knee2, ankle2, elbow2, wrist2, ear2, W::default()])
}

/// The family's joints; for side-lying families also the upper side's.
fn family_joints(fam: &str, pl: &Placement, m: Mods) -> (Joints, Option<[W; 8]>) {
    let near = match fam {
        "supine_bridge" => supine_bridge(pl, m),
        "prone_plank" => prone_plank(pl, m),
        "seated_thigh" | "seated_shank" => seated(pl, fam == "seated_thigh", m),
        "seated_glute" => seated_glute(pl),
        "side_thigh" | "side_torso" => {
            let (near, far) = side_lying(pl, fam == "side_thigh");
            return (near, Some(far));
        }
        "standing_wall" => Joints::from_array(ball::standing(pl.c, pl.roller_c, pl.roller_r)),
        _ => unreachable!("family checked by the caller"),
    };
    (near, None)
}

/// Eyes and mouth follow the head; hands follow the wrists, heels and toes the ankles.
fn add_details(b: &mut Body, nose: W, vis_near: f32, vis_far: f32) {
    let ear_mid = b[idx::LEFT_EAR].0.add(b[idx::RIGHT_EAR].0).scale(0.5);
    let eye = ear_mid.add(nose.sub(ear_mid).scale(0.75));
    for i in 1..=6 {
        b[i] = (eye.add(w((i as f32 - 3.5) * 0.6, 0.0)), vis_near);
    }
    b[9] = (nose.add(ear_mid.sub(nose).scale(0.2)).add(w(0.0, -2.0)), vis_near);
    b[10] = (b[9].0.add(w(0.5, 0.0)), vis_far);
    for (wr, el, ids) in [
        (idx::LEFT_WRIST, idx::LEFT_ELBOW, [17, 19, 21]),
        (idx::RIGHT_WRIST, idx::RIGHT_ELBOW, [18, 20, 22]),
    ] {
        let dir = b[wr].0.sub(b[el].0).unit();
        for (k, i) in ids.into_iter().enumerate() {
            b[i] = (b[wr].0.add(dir.scale(6.0 + k as f32)), b[wr].1);
        }
    }
    for (an, kn, heel, toe) in [
        (idx::LEFT_ANKLE, idx::LEFT_KNEE, idx::LEFT_HEEL, idx::LEFT_FOOT_INDEX),
        (
            idx::RIGHT_ANKLE,
            idx::RIGHT_KNEE,
            idx::RIGHT_HEEL,
            idx::RIGHT_FOOT_INDEX,
        ),
    ] {
        let dir = b[an].0.sub(b[kn].0).unit();
        let perp = w(-dir.y, dir.x);
        b[heel] = (b[an].0.add(dir.scale(5.0)).add(perp.scale(-3.0)), b[an].1);
        b[toe] = (b[an].0.add(dir.scale(4.0)).add(perp.scale(12.0)), b[an].1);
    }
}

/// Builds the body with the contact at fraction `c` of the target segment; the tool's centre and radius.
fn build_body(fam: &str, c: f32, (roller_c, roller_r): (W, f32), m: Mods, vis_far: f32) -> Body {
    let vis_near = 0.95;
    let mut b: Body = [(W::default(), 0.0); NUM_LANDMARKS];
    let (j, far_side) = family_joints(fam, &Placement { roller_c, roller_r, c }, m);
    // Left side = near the camera; right side a copy, slightly offset, less visible (supine/prone/seated).
    let pairs = [
        (idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER, j.sh),
        (idx::LEFT_HIP, idx::RIGHT_HIP, j.hip),
        (idx::LEFT_KNEE, idx::RIGHT_KNEE, j.knee),
        (idx::LEFT_ANKLE, idx::RIGHT_ANKLE, j.ankle),
        (idx::LEFT_ELBOW, idx::RIGHT_ELBOW, j.elbow),
        (idx::LEFT_WRIST, idx::RIGHT_WRIST, j.wrist),
        (idx::LEFT_EAR, idx::RIGHT_EAR, j.ear),
    ];
    for (k, (l, r, p)) in pairs.into_iter().enumerate() {
        b[l] = (p, vis_near);
        // Side-lying: both sides in view.
        b[r] = match far_side {
            Some(f) => (f[k], vis_near),
            None => (p.add(w(0.4, 0.3)), vis_far),
        };
    }
    b[idx::NOSE] = (j.nose, vis_near);
    add_details(&mut b, j.nose, vis_near, vis_far);
    b
}

fn check_noise(cfg: &SynthConfig) -> Result<(), SynthError> {
    let in_range = |v: f32, lo: f32, hi: f32, what: &str| {
        if v.is_finite() && v >= lo && v <= hi {
            Ok(())
        } else {
            Err(SynthError::Config(format!("{what} must be in {lo}..{hi}, got {v}")))
        }
    };
    in_range(cfg.noise_px, 0.0, 100.0, "noise")?;
    let r = &cfg.real;
    in_range(r.wander_px, 0.0, 100.0, "wander")?;
    in_range(r.wander_hz, 0.01, 15.0, "wander frequency")?;
    in_range(r.roller_dropout, 0.0, 0.9, "roller dropout")?;
    in_range(r.pose_dropout, 0.0, 0.9, "pose dropout")?;
    in_range(r.far_visibility, 0.0, 1.0, "far-side visibility")
}

/// Slow landmark wander and detection dropouts, from their own random stream.
struct Wander {
    rng: Rng,
    phase: Vec<(f32, f32)>,
    amp: f32,
    hz: f32,
    roller_dropout: f32,
    pose_dropout: f32,
}

impl Wander {
    fn new(cfg: &SynthConfig) -> Self {
        let mut rng = Rng::new(cfg.seed ^ WANDER_SEED);
        let tau = std::f32::consts::TAU;
        let phase = (0..NUM_LANDMARKS)
            .map(|_| (tau * rng.uniform() as f32, tau * rng.uniform() as f32))
            .collect();
        Self {
            rng,
            phase,
            amp: cfg.real.wander_px,
            hz: cfg.real.wander_hz,
            roller_dropout: cfg.real.roller_dropout,
            pose_dropout: cfg.real.pose_dropout,
        }
    }

    /// Wander of landmark `k` at `t`, px.
    fn at(&self, k: usize, t: f64) -> (f32, f32) {
        if self.amp == 0.0 {
            return (0.0, 0.0);
        }
        let w = std::f32::consts::TAU * self.hz * t as f32;
        let (px, py) = self.phase[k];
        (self.amp * (w + px).sin(), self.amp * (w + py).sin())
    }

    /// Whether the person and the roller are detected in this frame.
    fn seen(&mut self) -> (bool, bool) {
        let pose = self.pose_dropout == 0.0 || self.rng.uniform() as f32 > self.pose_dropout;
        let roller = self.roller_dropout == 0.0 || self.rng.uniform() as f32 > self.roller_dropout;
        (pose, roller)
    }
}

fn keep_out_target(zone: &Zone, range: (f32, f32)) -> f32 {
    if zone.start >= range.1 {
        zone.start + KEEP_OUT_DEPTH
    } else {
        zone.end - KEEP_OUT_DEPTH
    }
}

/// Checks the settings against the exercise; returns the exercise's pose family.
fn check_config(exercise: &Exercise, cfg: &SynthConfig) -> Result<&'static str, SynthError> {
    let fam = family(exercise).ok_or_else(|| {
        SynthError::Config(format!("no body model for exercise {:?} (supported: upper_back, lower_back, quads, adductors, hamstrings, calves, glutes, it_band, lats and the ball exercises)", exercise.id))
    })?;
    if !cfg.on_spine.is_empty() && exercise.spine.is_none() {
        return Err(SynthError::Config(format!("{} has no spine check (single balls only)", exercise.id)));
    }
    let positive = |v: f64, what: &str| {
        if v.is_finite() && v > 0.0 {
            Ok(())
        } else {
            Err(SynthError::Config(format!("{what} must be > 0")))
        }
    };
    positive(cfg.speed_cm_s as f64, "speed")?;
    positive(cfg.fast_speed_cm_s as f64, "fast speed")?;
    positive(cfg.duration_s, "duration")?;
    positive(cfg.fps, "fps")?;
    positive(cfg.px_per_cm as f64, "px per cm")?;
    positive(cfg.roller_diameter_cm as f64, "roller diameter")?;
    check_noise(cfg)?;
    check_faults(exercise, fam, &cfg.faults)?;
    Ok(fam)
}

/// Each injected fault must fit the exercise (a keep-out zone; a posture the family can show and the exercise's
/// file checks: adductors share quads' plank but check no plank line, the lower back is itself the fault, and a
/// truth naming a fault no rule looks for cannot be met).
fn check_faults(exercise: &Exercise, fam: &str, faults: &[FaultSpec]) -> Result<(), SynthError> {
    for f in faults {
        let checked = exercise.posture.iter().any(|p| p.fault.rule == f.rule);
        let ok = match f.rule {
            RuleId::TooFast | RuleId::Hold => true,
            RuleId::KeepOut => !exercise.keep_out.is_empty(),
            RuleId::HipsDropped => checked && matches!(fam, "supine_bridge" | "seated_thigh" | "seated_shank"),
            RuleId::PlankLine => checked && fam == "prone_plank",
            RuleId::NeckUnsupported => checked && fam == "supine_bridge",
            _ => false,
        };
        if !ok {
            return Err(SynthError::Config(format!(
                "fault {} cannot be injected into {}: not a fault its exercise file checks on a body it can show",
                f.rule.as_str(),
                exercise.id
            )));
        }
    }
    Ok(())
}

/// Rolling range along the segment: the exercise's region inset by REGION_INSET at each end.
fn rolling_range(exercise: &Exercise) -> (f32, f32) {
    let span = exercise.region.end - exercise.region.start;
    (
        exercise.region.start + REGION_INSET * span,
        exercise.region.end - REGION_INSET * span,
    )
}

/// Posture modifiers of the injected posture faults at `t`.
fn mods_at(faults: &[FaultSpec], t: f64) -> Mods {
    let mut mods = Mods::default();
    for f in faults {
        match f.rule {
            RuleId::HipsDropped => mods.hips_drop = mods.hips_drop.max(f.ramp(t)),
            RuleId::PlankLine => mods.sag = mods.sag.max(f.ramp(t)),
            RuleId::NeckUnsupported => mods.hands_off = mods.hands_off.max(f.ramp(t)),
            _ => {}
        }
    }
    mods
}

/// Rolling speed at `t`, cm/s: 0 in a hold, the fast speed in a too_fast fault, else the set speed.
fn speed_at(cfg: &SynthConfig, t: f64) -> f32 {
    let fast = cfg.faults.iter().any(|f| f.rule == RuleId::TooFast && f.active(t));
    let holding = cfg.faults.iter().any(|f| f.rule == RuleId::Hold && f.active(t));
    if holding {
        0.0
    } else if fast {
        cfg.fast_speed_cm_s
    } else {
        cfg.speed_cm_s
    }
}

/// The camera's view: the tool's place in world cm and the mapping of world cm to image pixels.
struct Scene {
    fam: &'static str,
    /// The tool's centre and radius, cm.
    tool: (W, f32),
    origin_x: f32,
    floor_px: f32,
    px_per_cm: f32,
}

impl Scene {
    /// Floor near the bottom of the image; the body's bounding box centred at mid-range.
    fn new(fam: &'static str, cfg: &SynthConfig, range: (f32, f32)) -> Scene {
        let roller_r = cfg.roller_diameter_cm / 2.0;
        let s = cfg.px_per_cm;
        let floor_px = cfg.height as f32 * 0.9;
        let mid = 0.5 * (range.0 + range.1);
        let tool = (ball::tool_centre(fam, roller_r, mid), roller_r);
        let mid_body = build_body(fam, mid, tool, Mods::default(), cfg.real.far_visibility);
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        for (p, _) in mid_body.iter() {
            lo = lo.min(p.x);
            hi = hi.max(p.x);
        }
        let origin_x = cfg.width as f32 * 0.5 - 0.5 * (lo + hi) * s;
        Scene {
            fam,
            tool,
            origin_x,
            floor_px,
            px_per_cm: s,
        }
    }

    fn to_px(&self, p: W) -> (f32, f32) {
        (self.origin_x + p.x * self.px_per_cm, self.floor_px - p.y * self.px_per_cm)
    }
}

/// Draws the frames: the body at a contact position, in pixels, with noise, wander and dropouts.
struct Camera<'a> {
    exercise: &'a Exercise,
    cfg: &'a SynthConfig,
    scene: Scene,
    rng: Rng,
    wander: Wander,
    spine_truth: ball::SpineTruth,
}

impl Camera<'_> {
    /// The frame at `t` with the contact at fraction `pos` of the segment.
    fn frame(&mut self, pos: f32, t: f64) -> TrackFrame {
        let (cfg, exercise, noise) = (self.cfg, self.exercise, self.cfg.noise_px);
        let mods = mods_at(&cfg.faults, t);
        let mut body = build_body(self.scene.fam, pos, self.scene.tool, mods, cfg.real.far_visibility);
        let roll = ball::roll_at(exercise, &cfg.on_spine, t);
        ball::apply_roll(&mut body, self.scene.fam, roll);
        self.spine_truth.observe(exercise, &cfg.on_spine, t, roll);
        let mut pose = Pose {
            score: 1.0,
            ..Pose::default()
        };
        for (k, (p, v)) in body.iter().enumerate() {
            let (x, y) = self.scene.to_px(*p);
            let (wx, wy) = self.wander.at(k, t);
            pose.keypoints[k] = Keypoint {
                x: x + noise * self.rng.normal() + wx,
                y: y + noise * self.rng.normal() + wy,
                visibility: *v,
            };
        }
        let (rx, ry) = self.scene.to_px(self.scene.tool.0);
        let rng = &mut self.rng;
        let roller = ball::observe(exercise, RollerObs {
            cx: rx + 0.3 * noise * rng.normal(),
            cy: ry + 0.3 * noise * rng.normal(),
            r: self.scene.tool.1 * self.scene.px_per_cm + 0.2 * noise * rng.normal(),
            confidence: 1.0,
            ..Default::default()
        });
        let (pose_seen, roller_seen) = self.wander.seen();
        TrackFrame {
            t,
            pose: pose_seen.then_some(pose),
            roller: roller_seen.then_some(roller),
        }
    }
}

/// The contact's position along the segment (fraction), its rolling direction and the times it turned.
struct Contact {
    pos: f32,
    dir: f32,
    turns: Vec<f64>,
}

impl Contact {
    /// One step back and forth through `range`, turning at its ends.
    fn roll(&mut self, step: f32, range: (f32, f32), t: f64) {
        let was = self.dir;
        if self.pos > range.1 {
            self.dir = -1.0;
        } else if self.pos < range.0 {
            self.dir = 1.0;
        }
        self.pos += self.dir * step;
        if self.dir != was {
            self.turns.push(t);
        }
        if self.dir > 0.0 && self.pos > range.1 && self.pos - step <= range.1 {
            self.pos = 2.0 * range.1 - self.pos;
            self.dir = -1.0;
            self.turns.push(t);
        } else if self.dir < 0.0 && self.pos < range.0 && self.pos + step >= range.0 {
            self.pos = 2.0 * range.0 - self.pos;
            self.dir = 1.0;
            self.turns.push(t);
        }
    }

    /// One step toward `target`; after the dwell, rolling resumes away from the zone's side.
    fn drift(&mut self, step: f32, target: f32, zone_side: f32) {
        let d = target - self.pos;
        self.pos += d.signum() * step.min(d.abs());
        self.dir = -zone_side;
    }
}

/// Injected keep-out faults against the exercise's first keep-out zone: the drift into it, the dwell, and the truth
/// of each visit from the generator's own contact position.
#[derive(Default)]
struct KeepOutDrift {
    /// A visit in progress: (entry t, injected_at).
    open: Option<(f64, f64)>,
    /// The fault being served and when the contact entered the zone for it: (fault index, entry t).
    entered: Option<(usize, f64)>,
    /// Faults served (the dwell is over).
    done: Vec<usize>,
    drifting: bool,
    visits: Vec<TruthFault>,
}

impl KeepOutDrift {
    /// Opens a visit when the contact enters the zone, closes it when it leaves.
    fn observe(&mut self, z: &Zone, pos: f32, t: f64, faults: &[FaultSpec]) {
        match (z.contains(pos), self.open) {
            (true, None) => {
                let inj = faults
                    .iter()
                    .enumerate()
                    .filter(|(k, f)| f.rule == RuleId::KeepOut && f.onset_s <= t && !self.done.contains(k))
                    .map(|(_, f)| f.onset_s)
                    .fold(t, f64::min);
                self.open = Some((t, inj));
            }
            (false, Some(_)) => self.close(z, t),
            _ => {}
        }
    }

    /// Closes the visit in progress, if any, at `end`.
    fn close(&mut self, z: &Zone, end: f64) {
        if let Some((t0, inj)) = self.open.take() {
            self.visits.push(TruthFault {
                rule: RuleId::KeepOut,
                onset: t0,
                end,
                injected_at: inj,
                zone: Some(z.name.clone()),
            });
        }
    }

    /// From a fault's onset, drift toward the zone; stay `duration` after entering it, then return.
    fn dwell(&mut self, z: &Zone, pos: f32, t: f64, faults: &[FaultSpec]) {
        for (k, f) in faults.iter().enumerate() {
            if f.rule == RuleId::KeepOut && t >= f.onset_s && !self.done.contains(&k) {
                match self.entered {
                    Some((kk, _)) if kk != k => {}
                    None if z.contains(pos) => self.entered = Some((k, t)),
                    Some((_, t_in)) if t - t_in >= f.duration_s => {
                        self.done.push(k);
                        self.entered = None;
                    }
                    _ => {}
                }
            }
        }
    }

    /// Whether the contact drifts this step: the drift begins on the next pass heading toward the zone (the pass
    /// overshoots the region's end) and lasts while a fault is pending.
    fn drifts(&mut self, t: f64, dir: f32, zone_side: f32, faults: &[FaultSpec]) -> bool {
        let pending = faults
            .iter()
            .enumerate()
            .any(|(k, f)| f.rule == RuleId::KeepOut && t >= f.onset_s && !self.done.contains(&k));
        self.drifting = pending && (self.drifting || dir == zone_side);
        self.drifting
    }

    /// The visits, one still open at the end closed at `t_end`.
    fn finish(mut self, zone: Option<&Zone>, t_end: f64) -> Vec<TruthFault> {
        if let Some(z) = zone {
            self.close(z, t_end);
        }
        self.visits
    }
}

/// Shortest fast rolling that is a too_fast fault in the truth: the rule measures speed over 0.5 s and reports it
/// after `coach::faults::TOO_FAST_DEBOUNCE` (0.3 s), so a shorter burst (the end of one that a keep-out visit
/// covered: 0.17 s on a sweep case, or a `--fault too_fast@T+0.5`) is seen by no rule and left out of the truth.
const MIN_BURST_SHOWN_S: f64 = 1.0;

/// The injected too_fast faults as the track shows them: from the first frame the contact rolls at the fast speed
/// to the last. A keep-out visit (`KeepOutDrift`: the drift into the zone at the rolling pace and the stay there) is
/// not rolling: the contact rests in the zone for the visit's duration, so a burst overlapping one shows only after
/// it (a seated glutes track with the burst at 15.4 s and the contact resting in the sacrum zone until 17.9 s had its
/// truth at 15.4 s), and a burst wholly inside one shows nowhere.
#[derive(Default)]
struct FastSpans(Vec<(usize, f64, f64)>);

impl FastSpans {
    /// Records the rolling (not keep-out) frame at `t` whose contact moved `moved` (segment shares) where `step` was
    /// due.
    fn observe(&mut self, faults: &[FaultSpec], t: f64, moved: f32, step: f32) {
        if step <= 0.0 || moved < 0.5 * step {
            return;
        }
        for (k, _) in faults.iter().enumerate().filter(|(_, f)| f.rule == RuleId::TooFast && f.active(t)) {
            match self.0.iter_mut().find(|s| s.0 == k) {
                Some(span) => span.2 = t,
                None => self.0.push((k, t, t)),
            }
        }
    }

    /// Truth of the fault `k` (its first and last fast frame, the last one's interval included), if it showed for
    /// at least [`MIN_BURST_SHOWN_S`].
    fn truth(&self, k: usize, f: &FaultSpec, (dt, t_end): (f64, f64)) -> Option<TruthFault> {
        let &(_, first, last) = self.0.iter().find(|s| s.0 == k)?;
        let end = (last + dt).min(t_end);
        (end - first >= MIN_BURST_SHOWN_S).then(|| TruthFault { onset: first, ..f.truth(end) })
    }
}

/// Truth of the injected too_fast and posture faults and of an exercise to avoid, as the track shows them.
fn injected_faults(exercise: &Exercise, faults: &[FaultSpec], fast: &FastSpans, (dt, t_end): (f64, f64))
    -> Vec<TruthFault> {
    let mut truth = Vec::new();
    for (k, f) in faults.iter().enumerate() {
        match f.rule {
            RuleId::TooFast => truth.extend(fast.truth(k, f, (dt, t_end))),
            RuleId::HipsDropped | RuleId::PlankLine | RuleId::NeckUnsupported => {
                truth.push(f.truth((f.onset_s + f.duration_s + 0.5 * POSTURE_RAMP_S).min(t_end)))
            }
            _ => {}
        }
    }
    if let Some(av) = &exercise.avoid {
        truth.push(TruthFault {
            rule: av.rule,
            onset: 0.0,
            end: t_end,
            injected_at: 0.0,
            zone: None,
        });
    }
    truth
}

/// The injected holds (events, not faults).
fn hold_events(faults: &[FaultSpec], t_end: f64) -> Vec<TruthFault> {
    faults
        .iter()
        .filter(|f| f.rule == RuleId::Hold)
        .map(|f| f.truth((f.onset_s + f.duration_s).min(t_end)))
        .collect()
}

/// Generates a track for `exercise` (with its region and keep-out zones).
pub fn generate(exercise: &Exercise, cfg: &SynthConfig) -> Result<(PoseTrack, Truth), SynthError> {
    let fam = check_config(exercise, cfg)?;
    let len = segment_len(exercise);
    let range = rolling_range(exercise);
    let mut camera = Camera {
        exercise,
        cfg,
        scene: Scene::new(fam, cfg, range),
        rng: Rng::new(cfg.seed),
        wander: Wander::new(cfg),
        spine_truth: ball::SpineTruth::default(),
    };
    let n = (cfg.duration_s * cfg.fps).round() as usize;
    let dt = 1.0 / cfg.fps;
    let mut frames = Vec::with_capacity(n);
    let mut contact = Contact {
        pos: 0.5 * (range.0 + range.1),
        dir: 1.0,
        turns: Vec::new(),
    };
    let zone = exercise.keep_out.first();
    let zone_side = zone.map_or(1.0, |z| if z.start >= range.1 { 1.0 } else { -1.0 });
    let mut keep_out = KeepOutDrift::default();
    let mut fast = FastSpans::default();
    for i in 0..n {
        let t = i as f64 * dt;
        // Pose at the current contact position.
        frames.push(camera.frame(contact.pos, t));
        if let Some(z) = zone {
            keep_out.observe(z, contact.pos, t, &cfg.faults);
        }
        // Advance the contact.
        let step = speed_at(cfg, t) / len * dt as f32;
        if let Some(z) = zone {
            keep_out.dwell(z, contact.pos, t, &cfg.faults);
        }
        let drifting = keep_out.drifts(t, contact.dir, zone_side, &cfg.faults);
        let was = contact.pos;
        match (drifting, zone) {
            // The drift into the zone keeps the rolling pace: a burst is rolling too fast, not a faster drift.
            (true, Some(z)) => contact.drift(step.min(cfg.speed_cm_s / len * dt as f32), keep_out_target(z, range), zone_side),
            _ => contact.roll(step, range, t),
        }
        if !drifting {
            fast.observe(&cfg.faults, t, (contact.pos - was).abs(), step);
        }
    }
    let t_end = n.saturating_sub(1) as f64 * dt;
    let mut truth = keep_out.finish(zone, t_end);
    truth.extend(injected_faults(exercise, &cfg.faults, &fast, (dt, t_end)));
    truth.extend(camera.spine_truth.finish(t_end));
    truth.sort_by(|a, b| a.onset.total_cmp(&b.onset));
    let header = TrackHeader::new(cfg.width, cfg.height, cfg.fps);
    let truth = Truth {
        format: TRUTH_FORMAT.into(),
        exercise: exercise.id.clone(),
        speed_cm_s: cfg.speed_cm_s,
        fast_speed_cm_s: cfg.fast_speed_cm_s,
        duration_s: cfg.duration_s,
        fps: cfg.fps,
        px_per_cm: cfg.px_per_cm,
        roller_diameter_cm: cfg.roller_diameter_cm,
        noise_px: cfg.noise_px,
        seed: cfg.seed,
        range: [range.0, range.1],
        faults: truth,
        events: hold_events(&cfg.faults, t_end),
        turns: contact.turns,
        then: None,
    };
    Ok((PoseTrack { header, frames }, truth))
}

/// A track that switches from `first` to `second` at `at_s` (the body moves to the second exercise's position at
/// once): faults and holds are injected into the part they start in; truth times are track times.
pub fn generate_switch(
    first: &Exercise,
    second: &Exercise,
    at_s: f64,
    cfg: &SynthConfig,
) -> Result<(PoseTrack, Truth), SynthError> {
    if !(at_s > 0.0 && at_s < cfg.duration_s) {
        return Err(SynthError::Config(format!(
            "switch time {at_s} s must lie inside the track (0-{} s)",
            cfg.duration_s
        )));
    }
    let (early, late): (Vec<FaultSpec>, Vec<FaultSpec>) = cfg.faults.iter().partition(|f| f.onset_s < at_s);
    if !cfg.on_spine.is_empty() {
        return Err(SynthError::Config("on-spine episodes are not supported with a switch of exercise".into()));
    }
    let part1 = SynthConfig {
        duration_s: at_s,
        faults: early,
        ..cfg.clone()
    };
    let late = late
        .into_iter()
        .map(|f| FaultSpec {
            onset_s: f.onset_s - at_s,
            ..f
        })
        .collect();
    let part2 = SynthConfig {
        duration_s: cfg.duration_s - at_s,
        faults: late,
        seed: cfg.seed.wrapping_add(1),
        ..cfg.clone()
    };
    let (mut track, mut truth) = generate(first, &part1)?;
    let (track2, truth2) = generate(second, &part2)?;
    let offset = track.frames.len() as f64 / cfg.fps;
    track.frames.extend(track2.frames.into_iter().map(|f| TrackFrame { t: f.t + offset, ..f }));
    let shift = |f: TruthFault| TruthFault {
        onset: f.onset + offset,
        end: f.end + offset,
        injected_at: f.injected_at + offset,
        ..f
    };
    // A fault open at the end of the first part ends at the switch.
    truth.faults.extend(truth2.faults.into_iter().map(shift));
    truth.events.extend(truth2.events.into_iter().map(shift));
    truth.turns.extend(truth2.turns.into_iter().map(|t| t + offset));
    truth.duration_s = cfg.duration_s;
    truth.then = Some((second.id.clone(), offset));
    Ok((track, truth))
}

/// Truth file path for a track path: `x.jsonl` -> `x.truth.json`.
pub fn truth_path(track: &Path) -> PathBuf {
    let stem = track
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "track".into());
    track.with_file_name(format!("{stem}.truth.json"))
}

/// Writes the track and its truth file; returns both paths.
pub fn write(track: &PoseTrack, truth: &Truth, path: &Path) -> Result<(PathBuf, PathBuf), SynthError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|err| SynthError::Io {
            path: dir.to_path_buf(),
            err,
        })?;
    }
    let mut w = TrackWriter::create(path, &track.header)?;
    for f in &track.frames {
        w.write(f)?;
    }
    w.flush()?;
    let tp = truth_path(path);
    let text = serde_json::to_string_pretty(truth).expect("truth serialises");
    std::fs::write(&tp, text + "\n").map_err(|err| SynthError::Io { path: tp.clone(), err })?;
    Ok((path.to_path_buf(), tp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_spec_parses_and_rejects() {
        let f = FaultSpec::parse("keep_out@12.5+4").unwrap();
        assert_eq!(f.rule, RuleId::KeepOut);
        assert_eq!((f.onset_s, f.duration_s), (12.5, 4.0));
        for bad in [
            "keep_out",
            "keep_out@1",
            "nope@1+2",
            "too_fast@x+1",
            "too_fast@1+0",
            "lower_back@1+2",
        ] {
            assert!(FaultSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rng_is_reproducible_and_roughly_normal() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<f32> = (0..20000).map(|_| a.normal()).collect();
        let ys: Vec<f32> = (0..20000).map(|_| b.normal()).collect();
        assert_eq!(xs, ys);
        let mean = xs.iter().sum::<f32>() / xs.len() as f32;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / xs.len() as f32;
        assert!(mean.abs() < 0.03 && (var - 1.0).abs() < 0.05, "{mean} {var}");
    }

    #[test]
    fn ik_keeps_limb_lengths() {
        let (m, e) = ik2(w(0.0, 0.0), w(30.0, 10.0), 25.0, 20.0, 1.0);
        assert!((m.norm() - 25.0).abs() < 1e-3);
        assert!((e.sub(m).norm() - 20.0).abs() < 1e-3);
    }
}
