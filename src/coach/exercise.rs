//! Exercises as editable TOML data files (`exercises/*.toml`): body segment, region to roll, keep-out zones,
//! posture checks and thresholds, each with a one-line source. See `docs/engine.md` for the format.
//!
//! Positions along a segment are fractions: 0 = proximal landmark (`from`), 1 = distal landmark (`to`); values
//! outside 0..1 lie beyond the landmarks.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::ball::{Support, Tool};
use super::CoachError;
use crate::landmarks::{idx, index_of, Pose};

/// Positions along a segment (fractions): beyond 2 segment lengths before the proximal landmark or past the distal
/// one the roller is no longer on or near the body part the segment names.
pub const POSITION_RANGE: RangeInclusive<f32> = -2.0..=3.0;
/// Rolling speeds, cm/s (thresholds, above 0): 2 m/s crosses a whole body in under a second; no rolling comes near it,
/// so a threshold above it could never fire (the guidance is 2.5 cm/s target, 15 cm/s too fast: Behm et al. 2020).
pub const ROLL_SPEED_RANGE_CM_S: RangeInclusive<f32> = 0.0..=200.0;
/// Times on one area and tender-spot holds, s (above 0): 10 minutes, five times the longest per-area guidance
/// (30-120 s per area, holds 20-90 s: Behm et al. 2020).
pub const AREA_TIME_RANGE_S: RangeInclusive<f32> = 0.0..=600.0;
/// Height of a landmark above the floor or a reference landmark, cm: 2 m is the whole body's length.
pub const HEIGHT_RANGE_CM: RangeInclusive<f32> = -200.0..=200.0;
/// Bend of a landmark chain from straight, degrees: 180 is folded back on itself.
pub const BEND_RANGE_DEG: RangeInclusive<f32> = 0.0..=180.0;
/// Distance in torso lengths: 5 torso lengths is further than any two landmarks of one body.
pub const TORSO_FRAC_RANGE: RangeInclusive<f32> = 0.0..=5.0;
/// Roll of the body about its long axis, degrees: 90 is lying on the side.
pub const ROLL_RANGE_DEG: RangeInclusive<f32> = 0.0..=90.0;

/// Fault and event rule ids shared with the truth files and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleId {
    TooFast,
    KeepOut,
    HipsDropped,
    LowerBack,
    NeckUnsupported,
    PlankLine,
    Hold,
    AreaDone,
    AreaTooLong,
    /// The stated roller diameter disagrees with the body scale (a session note, no cue).
    ScaleMismatch,
}

impl RuleId {
    pub const FAULTS: [RuleId; 6] = [
        RuleId::TooFast,
        RuleId::KeepOut,
        RuleId::HipsDropped,
        RuleId::LowerBack,
        RuleId::NeckUnsupported,
        RuleId::PlankLine,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::TooFast => "too_fast",
            RuleId::KeepOut => "keep_out",
            RuleId::HipsDropped => "hips_dropped",
            RuleId::LowerBack => "lower_back",
            RuleId::NeckUnsupported => "neck_unsupported",
            RuleId::PlankLine => "plank_line",
            RuleId::Hold => "hold",
            RuleId::AreaDone => "area_done",
            RuleId::AreaTooLong => "area_too_long",
            RuleId::ScaleMismatch => "scale_mismatch",
        }
    }

    /// The rules of the events that are not faults; with [`RuleId::FAULTS`], every rule.
    pub const EVENTS: [RuleId; 4] = [RuleId::Hold, RuleId::AreaDone, RuleId::AreaTooLong, RuleId::ScaleMismatch];

    pub fn parse(s: &str) -> Option<RuleId> {
        RuleId::FAULTS.into_iter().chain(RuleId::EVENTS).find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialised as its id (`too_fast`, ...), the same in reports, events and truth files.
impl serde::Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for RuleId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        RuleId::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown rule id {s:?}")))
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for RuleId {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

/// How important a fault or event is. Ordered: `Info < Warning < Critical`. The one severity of the program: the
/// report, the live events log, the cue scheduler and the overlay all use it (serialised `info`/`warning`/`critical`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Body orientation classes used for exercise recognition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Orientation {
    Supine,
    Prone,
    Side,
    Seated,
    /// Upright, e.g. back to a wall with a ball between back and wall (`coach::standing`).
    Standing,
}

impl Orientation {
    pub fn parse(s: &str) -> Option<Orientation> {
        match s {
            "supine" => Some(Orientation::Supine),
            "prone" => Some(Orientation::Prone),
            "side" | "side-lying" | "side_lying" => Some(Orientation::Side),
            "seated" => Some(Orientation::Seated),
            "standing" => Some(Orientation::Standing),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Orientation::Supine => "supine",
            Orientation::Prone => "prone",
            Orientation::Side => "side",
            Orientation::Seated => "seated",
            Orientation::Standing => "standing",
        }
    }
}

/// A landmark named in an exercise file: a left/right pair (`"hip"`) or one landmark (`"nose"`, `"left_knee"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LandmarkRef {
    Pair(usize, usize),
    Single(usize),
}

impl LandmarkRef {
    pub fn parse(name: &str) -> Option<LandmarkRef> {
        let pair = |l, r| Some(LandmarkRef::Pair(l, r));
        match name {
            "shoulder" => pair(idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER),
            "elbow" => pair(idx::LEFT_ELBOW, idx::RIGHT_ELBOW),
            "wrist" => pair(idx::LEFT_WRIST, idx::RIGHT_WRIST),
            "hip" => pair(idx::LEFT_HIP, idx::RIGHT_HIP),
            "knee" => pair(idx::LEFT_KNEE, idx::RIGHT_KNEE),
            "ankle" => pair(idx::LEFT_ANKLE, idx::RIGHT_ANKLE),
            "heel" => pair(idx::LEFT_HEEL, idx::RIGHT_HEEL),
            "foot_index" => pair(idx::LEFT_FOOT_INDEX, idx::RIGHT_FOOT_INDEX),
            "ear" => pair(idx::LEFT_EAR, idx::RIGHT_EAR),
            other => index_of(other).map(LandmarkRef::Single),
        }
    }

    /// Indices of the landmark(s): `(left, right)` or `(i, i)`.
    pub fn sides(self) -> (usize, usize) {
        match self {
            LandmarkRef::Pair(l, r) => (l, r),
            LandmarkRef::Single(i) => (i, i),
        }
    }

    /// Mid-point of a pair (or the single landmark), image px.
    pub fn mid(self, pose: &Pose) -> crate::landmarks::Keypoint {
        let (a, b) = self.sides();
        pose.mid(a, b)
    }
}

/// The body segment the roller supports.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentDef {
    pub name: String,
    pub from_name: String,
    pub to_name: String,
    pub from: LandmarkRef,
    pub to: LandmarkRef,
    /// When the segment rises too steeply from `from` to lie along the tool, the body rests on the tool at the
    /// `from` end (seated: the buttock under the hip, the thigh drawn up): `[segment] rests_on_from = true`.
    pub rests_on_from: bool,
}

impl SegmentDef {
    /// The segment `name` from landmark `from` to `to`, named as in exercise files (`"hip"`, `"l_knee"`); `None`
    /// for an unknown landmark.
    pub fn between(name: &str, from: &str, to: &str) -> Option<SegmentDef> {
        Some(SegmentDef {
            name: name.into(),
            from_name: from.into(),
            to_name: to.into(),
            from: LandmarkRef::parse(from)?,
            to: LandmarkRef::parse(to)?,
            rests_on_from: false,
        })
    }
}

/// What the coach shows and says about a rule, and the source that backs it (an exercise file's `message`, `cue`
/// and `source`; the region to roll has a source only).
#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    /// Shown in the report and the events log when the rule fires.
    pub message: String,
    /// Short spoken phrase.
    pub cue: String,
    /// Citation for the rule and its values.
    pub source: String,
}

/// A stretch along the segment (fractions, `start < end`).
#[derive(Debug, Clone, PartialEq)]
pub struct Zone {
    pub name: String,
    pub start: f32,
    pub end: f32,
    pub advice: Advice,
}

impl Zone {
    pub fn contains(&self, pos: f32) -> bool {
        pos >= self.start && pos <= self.end
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PostureKind {
    /// Landmark at least `min_cm` above the floor (floor = bottom of the roller), or above `reference` when given
    /// (negative = at most that far below it).
    MinHeight {
        landmark: LandmarkRef,
        reference: Option<LandmarkRef>,
        min_cm: f32,
    },
    /// Bend at the middle landmark of a chain at most `max_bend_deg` from straight.
    Straight {
        a: LandmarkRef,
        b: LandmarkRef,
        c: LandmarkRef,
        max_bend_deg: f32,
    },
    /// Nearest of `landmark` (either side) within `max_torso_frac` x torso length of the nearest `target`.
    Near {
        landmark: LandmarkRef,
        target: LandmarkRef,
        max_torso_frac: f32,
    },
}

/// A fault an exercise file names (a posture check's or `[avoid]`'s): the rule, its severity and its advice.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    pub rule: RuleId,
    pub severity: Severity,
    pub advice: Advice,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PostureCheck {
    pub fault: FaultRule,
    pub kind: PostureKind,
}

/// Single balls: the ball must sit beside the spine, not on it. Beside the spine the body rolls toward the ball (its
/// `landmark` pair splits across the body's axis); square on the ball it is on the spine (`coach::trigger`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpineCheck {
    pub landmark: LandmarkRef,
    pub min_roll_deg: f32,
    pub advice: Advice,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Recognize {
    pub orientation: Vec<Orientation>,
    /// Range of the contact position (mid-point of recent passes) that identifies this exercise.
    pub contact: (f32, f32),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    pub max_speed_cm_s: f32,
    pub max_speed_source: String,
    pub target_speed_cm_s: f32,
    pub target_speed_source: String,
    pub time_on_area_s: (f32, f32),
    pub time_on_area_source: String,
    pub hold_s: (f32, f32),
    pub hold_source: String,
}

/// One exercise, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Exercise {
    pub id: String,
    pub name: String,
    pub description: String,
    pub path: PathBuf,
    pub segment: SegmentDef,
    pub region: Zone,
    pub keep_out: Vec<Zone>,
    pub posture: Vec<PostureCheck>,
    /// An exercise that should not be done: being recognised in it is itself this fault (lower back).
    pub avoid: Option<FaultRule>,
    pub recognize: Option<Recognize>,
    pub thresholds: Thresholds,
    /// The tool (roller, ball, peanut) and where it is supported (floor, wall).
    pub tool: Tool,
    pub support: Support,
    pub spine: Option<SpineCheck>,
}

impl Exercise {
    /// True when the body orientation fits the exercise (unknown orientation, or no recognition data: yes).
    /// Supine and seated both face up and pass into each other when the hips drop or the torso rises, so either
    /// fits an exercise of the other; prone and side-lying bodies are different postures.
    pub fn applies_to(&self, o: Option<Orientation>) -> bool {
        let face_up = |o: &Orientation| matches!(o, Orientation::Supine | Orientation::Seated);
        match (o, &self.recognize) {
            (Some(o), Some(r)) => r.orientation.iter().any(|x| *x == o || (face_up(x) && face_up(&o))),
            _ => true,
        }
    }

    /// True when `pos` (segment fraction) lies in the region or a keep-out zone.
    pub fn covers(&self, pos: f32) -> bool {
        self.region.contains(pos) || self.keep_out.iter().any(|z| z.contains(pos))
    }
}

// ---- raw file layout (serde) ----

/// The file as written. Missing `Option` fields are `None` (serde's rule for `Option`, no `#[serde(default)]` needed).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExercise {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    description: String,
    segment: Spanned<RawSegment>,
    region: Spanned<RawRegion>,
    recognize: Option<Spanned<RawRecognize>>,
    #[serde(default)]
    keep_out: Vec<Spanned<RawZone>>,
    #[serde(default)]
    posture: Vec<Spanned<RawPosture>>,
    avoid: Option<Spanned<RawAvoid>>,
    thresholds: Spanned<RawThresholds>,
    tool: Option<Spanned<String>>,
    support: Option<Spanned<String>>,
    spine: Option<Spanned<RawSpine>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpine {
    landmark: String,
    min_roll_deg: f32,
    message: String,
    cue: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSegment {
    name: String,
    from: String,
    to: String,
    #[serde(default)]
    rests_on_from: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegion {
    start: f32,
    end: f32,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecognize {
    orientation: Vec<String>,
    contact: Spanned<Vec<f32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawZone {
    name: String,
    start: f32,
    end: f32,
    message: String,
    cue: String,
    source: String,
}

/// The fault a `[[posture]]` or `[avoid]` entry raises: its rule and what is said when it happens.
#[derive(Deserialize)]
struct RawFault {
    rule: String,
    severity: String,
    message: String,
    cue: String,
    source: String,
}

/// The keys of a table that no field took: serde cannot combine `deny_unknown_fields` with `flatten`, so the tables
/// that flatten `RawFault` in collect the rest here and refuse them (`refuse_unknown`).
type UnknownKeys = std::collections::BTreeMap<String, toml::Value>;

#[derive(Deserialize)]
struct RawPosture {
    check: String,
    landmark: Option<String>,
    landmarks: Option<Vec<String>>,
    target: Option<String>,
    reference: Option<String>,
    min_cm: Option<f32>,
    max_bend_deg: Option<f32>,
    max_torso_frac: Option<f32>,
    #[serde(flatten)]
    fault: RawFault,
    #[serde(flatten)]
    unknown: UnknownKeys,
}

#[derive(Deserialize)]
struct RawAvoid {
    #[serde(flatten)]
    fault: RawFault,
    #[serde(flatten)]
    unknown: UnknownKeys,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThresholds {
    max_speed_cm_s: Spanned<f32>,
    max_speed_source: String,
    target_speed_cm_s: Spanned<f32>,
    target_speed_source: String,
    time_on_area_s: Spanned<Vec<f32>>,
    time_on_area_source: String,
    hold_s: Spanned<Vec<f32>>,
    hold_source: String,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Line of a parse error: errors at the end of the file (or on a blank line) belong to the last line with text.
fn error_line(text: &str, offset: usize) -> usize {
    let mut line_no = line_of(text, offset);
    let lines: Vec<&str> = text.lines().collect();
    while line_no > 1 && lines.get(line_no - 1).is_none_or(|l| l.trim().is_empty()) {
        line_no -= 1;
    }
    line_no
}

/// Best guess of the field a TOML error points at: the key on that line, or the table header.
fn field_at(text: &str, offset: usize) -> String {
    let line_no = error_line(text, offset);
    let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
    if line.starts_with('[') {
        return line.trim_matches(|c| c == '[' || c == ']').to_string();
    }
    match line.split_once('=') {
        Some((k, _)) => k.trim().to_string(),
        None => String::new(),
    }
}

struct Ctx<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: std::ops::Range<usize>, field: impl Into<String>, msg: impl Into<String>) -> CoachError {
        CoachError::Exercise {
            path: self.path.to_path_buf(),
            line: line_of(self.text, span.start),
            field: field.into(),
            msg: msg.into(),
        }
    }
}

/// `value X out of range A-B` (`A to B` when A is negative).
fn out_of_range(v: f32, range: &RangeInclusive<f32>) -> String {
    // Shown as written (0.1, not 0.10000000149; 1e9, not ten digits).
    let v = crate::posetrack::num(v.to_string().parse().unwrap_or(f64::NAN));
    let (lo, hi) = (range.start(), range.end());
    if *lo < 0.0 {
        format!("value {v} out of range {lo} to {hi}")
    } else {
        format!("value {v} out of range {lo}-{hi}")
    }
}

/// `v` finite and within `range`; above the start too when `above_start` (speeds and times must be above 0).
fn check_range(
    ctx: &Ctx,
    span: &std::ops::Range<usize>,
    field: &str,
    v: f32,
    (range, above_start): (&RangeInclusive<f32>, bool),
) -> Result<f32, CoachError> {
    if !v.is_finite() || !range.contains(&v) {
        return Err(ctx.err(span.clone(), field, out_of_range(v, range)));
    }
    if above_start && v == *range.start() {
        let msg = format!("{} (must be above {})", out_of_range(v, range), range.start());
        return Err(ctx.err(span.clone(), field, msg));
    }
    Ok(v)
}

fn check_fraction(ctx: &Ctx, span: &std::ops::Range<usize>, field: &str, v: f32) -> Result<(), CoachError> {
    check_range(ctx, span, field, v, (&POSITION_RANGE, false)).map(|_| ())
}

/// A `[low, high]` pair: exactly two numbers, each checked by `each`, low <= high (low < high when `strict`).
fn check_pair(
    ctx: &Ctx,
    field: &str,
    v: Spanned<Vec<f32>>,
    strict: bool,
    each: impl Fn(&Ctx, &std::ops::Range<usize>, &str, f32) -> Result<f32, CoachError>,
) -> Result<(f32, f32), CoachError> {
    let span = v.span();
    let v = v.into_inner();
    if v.len() != 2 {
        return Err(ctx.err(span, field, format!("expected 2 numbers [low, high], got {}", v.len())));
    }
    let (lo, hi) = (each(ctx, &span, field, v[0])?, each(ctx, &span, field, v[1])?);
    if lo > hi || (strict && lo == hi) {
        let rel = if strict { "<" } else { "<=" };
        return Err(ctx.err(span, field, format!("must be [low, high] with low {rel} high, got [{lo}, {hi}]")));
    }
    Ok((lo, hi))
}

fn landmark(ctx: &Ctx, span: &std::ops::Range<usize>, field: &str, name: &str) -> Result<LandmarkRef, CoachError> {
    LandmarkRef::parse(name).ok_or_else(|| {
        ctx.err(
            span.clone(),
            field,
            format!("unknown landmark {name:?} (use shoulder, elbow, wrist, hip, knee, ankle, heel, ear or a BlazePose name like left_knee)"),
        )
    })
}

/// `tool`, `support` and the `[spine]` check (single balls only).
fn tool_fields(
    ctx: &Ctx,
    tool: Option<Spanned<String>>,
    support: Option<Spanned<String>>,
    spine: Option<Spanned<RawSpine>>,
) -> Result<(Tool, Support, Option<SpineCheck>), CoachError> {
    let tool = match tool {
        None => Tool::default(),
        Some(t) => Tool::parse(t.get_ref())
            .ok_or_else(|| ctx.err(t.span(), "tool", format!("unknown tool {:?} (roller, ball, peanut)", t.get_ref())))?,
    };
    let support = match support {
        None => Support::default(),
        Some(s) => Support::parse(s.get_ref())
            .ok_or_else(|| ctx.err(s.span(), "support", format!("unknown support {:?} (floor, wall)", s.get_ref())))?,
    };
    let Some(sp) = spine else { return Ok((tool, support, None)) };
    let span = sp.span();
    let sp = sp.into_inner();
    if tool != Tool::Ball {
        return Err(ctx.err(span, "spine", "a spine check is for single balls (tool = \"ball\") only"));
    }
    let check = SpineCheck {
        landmark: landmark(ctx, &span, "spine.landmark", &sp.landmark)?,
        min_roll_deg: check_range(ctx, &span, "spine.min_roll_deg", sp.min_roll_deg, (&ROLL_RANGE_DEG, true))?,
        advice: parse_advice(ctx, &span, &|n| format!("spine.{n}"), [&sp.message, &sp.cue, &sp.source])?,
    };
    if !matches!(check.landmark, LandmarkRef::Pair(..)) {
        return Err(ctx.err(span, "spine.landmark", "must be a left/right pair (shoulder, hip)"));
    }
    Ok((tool, support, Some(check)))
}

fn non_empty(ctx: &Ctx, span: &std::ops::Range<usize>, field: &str, s: &str) -> Result<String, CoachError> {
    if s.trim().is_empty() {
        return Err(ctx.err(span.clone(), field, "must not be empty"));
    }
    Ok(s.to_string())
}

/// A rule's `message`, `cue` and `source` (checked in that order, none empty); `f` names a field in messages.
fn parse_advice(
    ctx: &Ctx,
    span: &Span,
    f: &dyn Fn(&str) -> String,
    [message, cue, source]: [&str; 3],
) -> Result<Advice, CoachError> {
    Ok(Advice {
        message: non_empty(ctx, span, &f("message"), message)?,
        cue: non_empty(ctx, span, &f("cue"), cue)?,
        source: non_empty(ctx, span, &f("source"), source)?,
    })
}

type Span = std::ops::Range<usize>;

/// The id: lowercase letters, digits and '_'.
fn parse_id(ctx: &Ctx, id: Spanned<String>) -> Result<String, CoachError> {
    let id_span = id.span();
    let id = id.into_inner();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(ctx.err(
            id_span,
            "id",
            format!("{id:?} must be lowercase letters, digits and '_'"),
        ));
    }
    Ok(id)
}

/// `[segment]`: two different landmarks and a name.
fn parse_segment(ctx: &Ctx, seg: Spanned<RawSegment>) -> Result<SegmentDef, CoachError> {
    let seg_span = seg.span();
    let seg = seg.into_inner();
    let segment = SegmentDef {
        from: landmark(ctx, &seg_span, "segment.from", &seg.from)?,
        to: landmark(ctx, &seg_span, "segment.to", &seg.to)?,
        name: non_empty(ctx, &seg_span, "segment.name", &seg.name)?,
        from_name: seg.from,
        to_name: seg.to,
        rests_on_from: seg.rests_on_from,
    };
    if segment.from == segment.to {
        return Err(ctx.err(seg_span, "segment", "`from` and `to` must be different landmarks"));
    }
    Ok(segment)
}

/// `start` and `end` fractions of a zone (named `field` in messages), start below end.
fn zone_bounds(ctx: &Ctx, span: &Span, field: impl Fn(&str) -> String, start: f32, end: f32) -> Result<(), CoachError> {
    check_fraction(ctx, span, &field("start"), start)?;
    check_fraction(ctx, span, &field("end"), end)?;
    if start >= end {
        return Err(ctx.err(span.clone(), field(""), format!("start {start} must be below end {end}")));
    }
    Ok(())
}

/// `[region]`: the part of the segment to roll.
fn parse_region(ctx: &Ctx, reg: Spanned<RawRegion>) -> Result<Zone, CoachError> {
    let reg_span = reg.span();
    let reg = reg.into_inner();
    zone_bounds(ctx, &reg_span, |n| if n.is_empty() { "region".into() } else { format!("region.{n}") }, reg.start, reg.end)?;
    Ok(Zone {
        name: "region".into(),
        start: reg.start,
        end: reg.end,
        advice: Advice {
            message: String::new(),
            cue: String::new(),
            source: non_empty(ctx, &reg_span, "region.source", &reg.source)?,
        },
    })
}

/// `[[keep_out]]` zones: each outside the region to roll.
fn parse_keep_out(ctx: &Ctx, zones: Vec<Spanned<RawZone>>, region: &Zone) -> Result<Vec<Zone>, CoachError> {
    let mut keep_out = Vec::new();
    for (i, z) in zones.into_iter().enumerate() {
        let span = z.span();
        let z = z.into_inner();
        let f = |n: &str| format!("keep_out[{i}].{n}");
        zone_bounds(ctx, &span, |n| f(if n.is_empty() { "start" } else { n }), z.start, z.end)?;
        if z.start < region.end && z.end > region.start {
            return Err(ctx.err(span, f("start"), "keep-out zone overlaps the region to roll"));
        }
        keep_out.push(Zone {
            name: non_empty(ctx, &span, &f("name"), &z.name)?,
            start: z.start,
            end: z.end,
            advice: parse_advice(ctx, &span, &f, [&z.message, &z.cue, &z.source])?,
        });
    }
    Ok(keep_out)
}

/// A fault rule id (`rule = "..."` of a posture check or `[avoid]`).
fn fault_rule(ctx: &Ctx, span: &Span, field: &str, name: &str) -> Result<RuleId, CoachError> {
    RuleId::parse(name)
        .filter(|r| RuleId::FAULTS.contains(r))
        .ok_or_else(|| ctx.err(span.clone(), field, format!("unknown fault rule {name:?}")))
}

fn severity(ctx: &Ctx, span: &Span, field: &str, name: &str) -> Result<Severity, CoachError> {
    Severity::parse(name).ok_or_else(|| ctx.err(span.clone(), field, "must be info, warning or critical"))
}

/// A fault rule from its `rule`, `severity`, `message`, `cue` and `source` (checked in that order); `f` names a field
/// in messages.
fn parse_fault(ctx: &Ctx, span: &Span, f: &dyn Fn(&str) -> String, raw: &RawFault) -> Result<FaultRule, CoachError> {
    Ok(FaultRule {
        rule: fault_rule(ctx, span, &f("rule"), &raw.rule)?,
        severity: severity(ctx, span, &f("severity"), &raw.severity)?,
        advice: parse_advice(ctx, span, f, [&raw.message, &raw.cue, &raw.source])?,
    })
}

/// Refuses a table's keys that no field took, as `deny_unknown_fields` would.
fn refuse_unknown(ctx: &Ctx, span: &Span, f: &dyn Fn(&str) -> String, unknown: &UnknownKeys) -> Result<(), CoachError> {
    match unknown.keys().next() {
        Some(key) => Err(ctx.err(span.clone(), f(key), "unknown field")),
        None => Ok(()),
    }
}

/// The `check` of one `[[posture]]` entry and its landmarks and limit; `f` names a field in messages.
fn posture_kind(ctx: &Ctx, span: &Span, f: &dyn Fn(&str) -> String, p: &RawPosture) -> Result<PostureKind, CoachError> {
    let need_lm = |name: &str, v: &Option<String>| -> Result<LandmarkRef, CoachError> {
        let s = v
            .as_deref()
            .ok_or_else(|| ctx.err(span.clone(), f(name), "missing field"))?;
        landmark(ctx, span, &f(name), s)
    };
    let need_num = |name: &str, v: Option<f32>, range: RangeInclusive<f32>| -> Result<f32, CoachError> {
        let x = v.ok_or_else(|| ctx.err(span.clone(), f(name), "missing field"))?;
        check_range(ctx, span, &f(name), x, (&range, false))
    };
    Ok(match p.check.as_str() {
        "min_height" => PostureKind::MinHeight {
            landmark: need_lm("landmark", &p.landmark)?,
            reference: match &p.reference {
                Some(r) => Some(landmark(ctx, span, &f("reference"), r)?),
                None => None,
            },
            min_cm: need_num("min_cm", p.min_cm, HEIGHT_RANGE_CM)?,
        },
        "straight" => {
            let l = p
                .landmarks
                .as_ref()
                .ok_or_else(|| ctx.err(span.clone(), f("landmarks"), "missing field"))?;
            if l.len() != 3 {
                return Err(ctx.err(span.clone(), f("landmarks"), "needs exactly three landmarks"));
            }
            PostureKind::Straight {
                a: landmark(ctx, span, &f("landmarks"), &l[0])?,
                b: landmark(ctx, span, &f("landmarks"), &l[1])?,
                c: landmark(ctx, span, &f("landmarks"), &l[2])?,
                max_bend_deg: need_num("max_bend_deg", p.max_bend_deg, BEND_RANGE_DEG)?,
            }
        }
        "near" => PostureKind::Near {
            landmark: need_lm("landmark", &p.landmark)?,
            target: need_lm("target", &p.target)?,
            max_torso_frac: need_num("max_torso_frac", p.max_torso_frac, TORSO_FRAC_RANGE)?,
        },
        other => {
            return Err(ctx.err(
                span.clone(),
                f("check"),
                format!("unknown check {other:?} (min_height, straight, near)"),
            ))
        }
    })
}

/// `[[posture]]` checks.
fn parse_posture(ctx: &Ctx, checks: Vec<Spanned<RawPosture>>) -> Result<Vec<PostureCheck>, CoachError> {
    let mut posture = Vec::new();
    for (i, p) in checks.into_iter().enumerate() {
        let span = p.span();
        let p = p.into_inner();
        let f = |n: &str| format!("posture[{i}].{n}");
        refuse_unknown(ctx, &span, &f, &p.unknown)?;
        let fault = parse_fault(ctx, &span, &f, &p.fault)?;
        let kind = posture_kind(ctx, &span, &f, &p)?;
        posture.push(PostureCheck { fault, kind });
    }
    Ok(posture)
}

/// `[avoid]`: being recognised in this exercise is itself a fault.
fn parse_avoid(ctx: &Ctx, a: Spanned<RawAvoid>) -> Result<FaultRule, CoachError> {
    let span = a.span();
    let a = a.into_inner();
    let f = |n: &str| format!("avoid.{n}");
    refuse_unknown(ctx, &span, &f, &a.unknown)?;
    parse_fault(ctx, &span, &f, &a.fault)
}

/// `[recognize]`: body orientations and the contact range that identify the exercise.
fn parse_recognize(ctx: &Ctx, r: Spanned<RawRecognize>) -> Result<Recognize, CoachError> {
    let span = r.span();
    let r = r.into_inner();
    let mut orientation = Vec::new();
    for o in &r.orientation {
        orientation.push(Orientation::parse(o).ok_or_else(|| {
            ctx.err(
                span.clone(),
                "recognize.orientation",
                format!("unknown orientation {o:?} (supine, prone, side, seated, standing)"),
            )
        })?);
    }
    if orientation.is_empty() {
        return Err(ctx.err(span, "recognize.orientation", "must name at least one orientation"));
    }
    let contact = check_pair(ctx, "recognize.contact", r.contact, true, |c, sp, fd, v| {
        check_range(c, sp, fd, v, (&POSITION_RANGE, false))
    })?;
    Ok(Recognize { orientation, contact })
}

/// `[thresholds]`: speeds, time on the area and hold times, each with its source.
fn parse_thresholds(ctx: &Ctx, th: Spanned<RawThresholds>) -> Result<Thresholds, CoachError> {
    let th_span = th.span();
    let th = th.into_inner();
    let speed = |name: &str, v: Spanned<f32>| -> Result<f32, CoachError> {
        check_range(ctx, &v.span(), &format!("thresholds.{name}"), *v.get_ref(), (&ROLL_SPEED_RANGE_CM_S, true))
    };
    let times = |name: &str, v: Spanned<Vec<f32>>| -> Result<(f32, f32), CoachError> {
        check_pair(ctx, &format!("thresholds.{name}"), v, false, |c, sp, fd, x| {
            check_range(c, sp, fd, x, (&AREA_TIME_RANGE_S, true))
        })
    };
    let source = |name: &str, s: &str| non_empty(ctx, &th_span, &format!("thresholds.{name}"), s);
    let thresholds = Thresholds {
        max_speed_cm_s: speed("max_speed_cm_s", th.max_speed_cm_s)?,
        max_speed_source: source("max_speed_source", &th.max_speed_source)?,
        target_speed_cm_s: speed("target_speed_cm_s", th.target_speed_cm_s)?,
        target_speed_source: source("target_speed_source", &th.target_speed_source)?,
        time_on_area_s: times("time_on_area_s", th.time_on_area_s)?,
        time_on_area_source: source("time_on_area_source", &th.time_on_area_source)?,
        hold_s: times("hold_s", th.hold_s)?,
        hold_source: source("hold_source", &th.hold_source)?,
    };
    if thresholds.target_speed_cm_s >= thresholds.max_speed_cm_s {
        return Err(ctx.err(th_span, "thresholds.target_speed_cm_s", "must be below max_speed_cm_s"));
    }
    Ok(thresholds)
}

impl Exercise {
    /// Parses and validates one exercise file's text; `path` is used in messages. The parts are checked in this
    /// order (id, segment, region, keep-out, posture, avoid, recognize, thresholds, tool); the first problem found is
    /// the one reported.
    pub fn parse(text: &str, path: &Path) -> Result<Exercise, CoachError> {
        let raw: RawExercise = toml::from_str(text).map_err(|e| {
            let off = e.span().map(|s| s.start).unwrap_or(0);
            CoachError::Exercise {
                path: path.to_path_buf(),
                line: error_line(text, off),
                field: match field_at(text, off) {
                    f if f.is_empty() => "(syntax)".into(),
                    f => f,
                },
                msg: e.message().to_string(),
            }
        })?;
        let ctx = Ctx { path, text };
        let id = parse_id(&ctx, raw.id)?;
        let segment = parse_segment(&ctx, raw.segment)?;
        let region = parse_region(&ctx, raw.region)?;
        let keep_out = parse_keep_out(&ctx, raw.keep_out, &region)?;
        let posture = parse_posture(&ctx, raw.posture)?;
        let avoid = raw.avoid.map(|a| parse_avoid(&ctx, a)).transpose()?;
        let recognize = raw.recognize.map(|r| parse_recognize(&ctx, r)).transpose()?;
        let thresholds = parse_thresholds(&ctx, raw.thresholds)?;
        let (tool, support, spine) = tool_fields(&ctx, raw.tool, raw.support, raw.spine)?;
        Ok(Exercise {
            tool,
            support,
            spine,
            id,
            name: raw.name,
            description: raw.description,
            path: path.to_path_buf(),
            segment,
            region,
            keep_out,
            posture,
            avoid,
            recognize,
            thresholds,
        })
    }

    pub fn load(path: &Path) -> Result<Exercise, CoachError> {
        let text = std::fs::read_to_string(path).map_err(|err| CoachError::Io {
            path: path.to_path_buf(),
            err,
        })?;
        Exercise::parse(&text, path)
    }
}

/// Loads every `*.toml` in `dir`, sorted by file name. Duplicate ids and an empty folder are errors.
pub fn load_dir(dir: &Path) -> Result<Vec<Exercise>, CoachError> {
    let rd = std::fs::read_dir(dir).map_err(|err| CoachError::Io {
        path: dir.to_path_buf(),
        err,
    })?;
    let mut paths = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|err| CoachError::Io {
            path: dir.to_path_buf(),
            err,
        })?;
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "toml") {
            paths.push(p);
        }
    }
    paths.sort();
    if paths.is_empty() {
        return Err(CoachError::NoExercises { dir: dir.to_path_buf() });
    }
    let mut out: Vec<Exercise> = Vec::with_capacity(paths.len());
    for p in paths {
        let ex = Exercise::load(&p)?;
        if let Some(prev) = out.iter().find(|e| e.id == ex.id) {
            return Err(CoachError::Exercise {
                path: p.clone(),
                line: 1,
                field: "id".into(),
                msg: format!("duplicate id {:?} (also in {})", ex.id, prev.path.display()),
            });
        }
        out.push(ex);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_exercises() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises")
    }

    #[test]
    fn shipped_exercises_load() {
        let all = load_dir(&repo_exercises()).unwrap();
        let ids: Vec<&str> = all.iter().map(|e| e.id.as_str()).collect();
        for want in [
            "upper_back",
            "lats",
            "glutes",
            "it_band",
            "quads",
            "hamstrings",
            "calves",
            "adductors",
            "lower_back",
        ] {
            assert!(ids.contains(&want), "missing {want} in {ids:?}");
        }
        let lb = all.iter().find(|e| e.id == "lower_back").unwrap();
        assert_eq!(lb.avoid.as_ref().map(|a| a.rule), Some(RuleId::LowerBack));
        let ub = all.iter().find(|e| e.id == "upper_back").unwrap();
        assert!(ub.posture.iter().any(|p| p.fault.rule == RuleId::HipsDropped));
        assert!(ub.keep_out.iter().any(|z| z.name.contains("lumbar")));
    }

    fn base() -> String {
        std::fs::read_to_string(repo_exercises().join("quads.toml")).unwrap()
    }

    fn err_of(text: &str) -> String {
        Exercise::parse(text, Path::new("ex/q.toml")).unwrap_err().to_string()
    }

    #[test]
    fn unknown_landmark_names_file_line_and_field() {
        let text = base().replace("to = \"knee\"", "to = \"kne\"");
        let e = err_of(&text);
        let seg_line = text.lines().position(|l| l.trim() == "[segment]").unwrap() + 1;
        assert!(e.starts_with(&format!("ex/q.toml:{seg_line}:")), "{e}");
        assert!(e.contains("segment.to") && e.contains("kne"), "{e}");
    }

    #[test]
    fn wrong_type_names_line_and_key() {
        let text = base().replace("max_speed_cm_s = 15.0", "max_speed_cm_s = \"fast\"");
        let line = text.lines().position(|l| l.starts_with("max_speed_cm_s")).unwrap() + 1;
        let e = err_of(&text);
        assert!(e.starts_with(&format!("ex/q.toml:{line}:")), "{e}");
        assert!(e.contains("max_speed_cm_s"), "{e}");
    }

    #[test]
    fn missing_and_unknown_fields_are_reported() {
        let text = base().replace("start = 0.12\n", "");
        let e = err_of(&text);
        assert!(e.contains("start"), "{e}");
        let text = base().replace("max_bend_deg = 30.0", "max_bend_dge = 30.0");
        let e = err_of(&text);
        assert!(e.contains("max_bend_dge"), "{e}");
    }

    #[test]
    fn inverted_region_and_overlapping_keep_out_are_rejected() {
        let text = base().replace("start = 0.12\nend = 0.82", "start = 0.82\nend = 0.12");
        assert!(err_of(&text).contains("region"));
        let text = base().replace("start = 0.9\nend = 1.35", "start = 0.5\nend = 1.35");
        assert!(err_of(&text).contains("overlaps"));
    }

    #[test]
    fn thresholds_beyond_their_bounds_name_the_field_line() {
        for (from, to, field, want) in [
            ("target_speed_cm_s = 2.5", "target_speed_cm_s = 0.0", "target_speed_cm_s", "must be above 0"),
            ("max_speed_cm_s = 15.0", "max_speed_cm_s = 250.0", "max_speed_cm_s", "value 250 out of range 0-200"),
            ("time_on_area_s = [30.0, 120.0]", "time_on_area_s = [30.0, 601.0]", "time_on_area_s", "0-600"),
            ("hold_s = [20.0, 30.0]", "hold_s = [20.0]", "hold_s", "expected 2 numbers [low, high], got 1"),
            ("hold_s = [20.0, 30.0]", "hold_s = [30.0, 20.0]", "hold_s", "low <= high"),
        ] {
            let text = base().replace(from, to);
            let line = text.lines().position(|l| l == to).unwrap() + 1;
            let e = err_of(&text);
            assert!(e.starts_with(&format!("ex/q.toml:{line}: field `thresholds.{field}`")), "{e}");
            assert!(e.contains(want), "{e}");
        }
    }

    #[test]
    fn unknown_rule_is_rejected() {
        let text = base().replace("rule = \"plank_line\"", "rule = \"plank\"");
        let e = err_of(&text);
        assert!(e.contains("posture[0].rule") && e.contains("plank"), "{e}");
    }

    #[test]
    fn unknown_keys_of_posture_and_avoid_entries_are_refused_by_name() {
        let text = base().replace("rule = \"plank_line\"", "rule = \"plank_line\"\nmin_degrees = 10.0");
        let e = err_of(&text);
        assert!(e.contains("posture[0].min_degrees") && e.contains("unknown field"), "{e}");
        let avoid = std::fs::read_to_string(repo_exercises().join("ball_lower_back.toml")).unwrap();
        let text = avoid.replace("[avoid]", "[avoid]\ncues = \"x\"");
        let e = err_of(&text);
        assert!(e.contains("avoid.cues") && e.contains("unknown field"), "{e}");
    }
}
