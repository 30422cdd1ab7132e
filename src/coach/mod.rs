//! The foam-rolling form engine: pure logic over pose landmarks and the roller circle.
//!
//! Per frame: roller scale (px per cm from the roller's real diameter), body orientation, roller contact on each
//! exercise's segment, exercise recognition (or the `--exercise` override), then the temporal rules of the current
//! exercise (speed, passes, coverage, time on area, holds, keep-out zones, posture, exercises to avoid), each
//! debounced into events with start, end, rule id, severity and message. See `docs/engine.md`.

pub mod area;
pub mod ball;
pub mod body_scale;
pub mod events;
pub mod exercise;
pub mod faults;
pub mod geometry;
pub mod hindsight;
pub mod hold;
pub mod motion;
pub mod orientation_vote;
pub mod recognition;
pub mod recognize;
pub mod report;
pub mod rules;
pub mod standing;
pub mod tool_size;
pub mod trigger;

use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;

use crate::landmarks::{Keypoint, Pose, RollerObs, ToolKind};
use crate::posetrack::{PoseTrack, TrackFrame, TrackHeader};

pub use exercise::{load_dir, Exercise, LandmarkRef, Orientation, PostureKind, RuleId, Severity, ROLL_SPEED_RANGE_CM_S};
pub use report::{
    write_outputs, AreaReport, AreaSpeeds, CsvSink, EventRecord, FrameCounts, HoldRecord, JsonSink, ReportSink,
    SessionReport, TerminalSink, CSV_COLUMNS,
};

use area::AreaState;
use body_scale::ScaleFusion;
use events::{EventLog, FaultInfo};
use faults::{AvoidRule, KeepOutRule, PostureRules, TooFastRule};
use geometry::{bend_deg, P2};
use hold::{HoldCue, HoldInput, HoldRule, HoldSpan};
use motion::{ContactMotion, MotionParams, MotionSample};
use orientation_vote::OrientationVote;
use recognition::{Recognizer, Scale};
use recognize::{classify_orientation, SegmentContact, MIN_VISIBILITY};
use rules::Edge;

#[derive(Debug, Error)]
pub enum CoachError {
    #[error("{}:{line}: field `{field}`: {msg}", path.display())]
    Exercise {
        path: PathBuf,
        line: usize,
        field: String,
        msg: String,
    },
    #[error("{}: {err}", path.display())]
    Io { path: PathBuf, err: std::io::Error },
    #[error("{}: no exercise files (*.toml) found", dir.display())]
    NoExercises { dir: PathBuf },
    #[error("unknown exercise {name:?}; known exercises: {known}")]
    UnknownExercise { name: String, known: String },
    #[error("invalid engine configuration: {0}")]
    Config(String),
}

/// Default real diameter of a foam roller, cm.
pub const DEFAULT_ROLLER_DIAMETER_CM: f32 = 15.0;
/// Longest frame gap that still counts towards time on area, s.
const MAX_FRAME_GAP_S: f64 = 0.5;

/// Engine settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    pub exercises_dir: PathBuf,
    /// `--exercise` override: skip recognition.
    pub exercise: Option<String>,
    pub roller_diameter_cm: f32,
    /// Real diameter of a massage ball, cm (the scale when the tool seen is a ball).
    pub ball_diameter_cm: f32,
    pub width: u32,
    pub height: u32,
    pub fps: f64,
}

impl EngineConfig {
    pub fn new(exercises_dir: impl Into<PathBuf>) -> Self {
        Self {
            exercises_dir: exercises_dir.into(),
            exercise: None,
            roller_diameter_cm: DEFAULT_ROLLER_DIAMETER_CM,
            ball_diameter_cm: ball::DEFAULT_BALL_DIAMETER_CM,
            width: 640,
            height: 480,
            fps: 30.0,
        }
    }
}

impl EngineConfig {
    /// The stated diameter of the tool seen: the roller's or the ball's.
    pub fn diameter_cm(&self, kind: ToolKind) -> f32 {
        match kind {
            ToolKind::Roller => self.roller_diameter_cm,
            ToolKind::Ball => self.ball_diameter_cm,
        }
    }
}

/// A spoken / displayed cue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cue {
    pub rule: RuleId,
    /// Short spoken phrase ("slower", "hips up", "off the knee", "good, 30 seconds").
    pub text: String,
    pub severity: Severity,
    /// When the cue started, s.
    pub t: f64,
}

/// What the engine saw in one frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameMetrics {
    pub t: f64,
    pub has_pose: bool,
    pub orientation: Option<Orientation>,
    /// The recognised exercise and the progress on its area.
    #[serde(flatten)]
    pub area: AreaMetrics,
    pub hip_height_cm: Option<f32>,
    pub px_per_cm: Option<f32>,
    /// Active fault rule ids.
    pub faults: Vec<RuleId>,
    /// Current cue text.
    pub cue: Option<String>,
}

/// The exercise recognised in a frame and the progress on its area; all empty (the default) while none is.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AreaMetrics {
    /// Id of the recognised (or overridden) exercise.
    pub exercise: Option<String>,
    /// Roller contact along the exercise segment (0 = proximal, 1 = distal).
    pub contact: Option<f32>,
    /// Rolling speed along the segment, cm/s (absolute).
    pub speed_cm_s: Option<f32>,
    /// The contact is inside the region to roll.
    pub in_region: bool,
    /// Time on the area so far, s.
    pub time_on_area_s: f64,
    /// Passes completed on the area.
    pub passes: usize,
    /// Share of the region visited (0..1).
    pub coverage: f32,
}

impl FrameMetrics {
    fn empty() -> Self {
        Self {
            t: 0.0,
            has_pose: false,
            orientation: None,
            area: AreaMetrics::default(),
            hip_height_cm: None,
            px_per_cm: None,
            faults: Vec::with_capacity(8),
            cue: None,
        }
    }
}

/// Frame and time counters of the session.
#[derive(Debug, Clone, Copy, Default)]
struct Counters {
    seen: FrameCounts,
    first_t: Option<f64>,
    prev_t: Option<f64>,
}

/// The fault and hold rules of the current exercise.
#[derive(Debug, Clone)]
struct Rules {
    too_fast: TooFastRule,
    keep_out: KeepOutRule,
    posture: PostureRules,
    avoid: AvoidRule,
    hold: HoldRule,
}

/// One frame as the rules see it.
#[derive(Debug, Clone, Copy)]
struct FrameCtx<'a> {
    t: f64,
    pose: Option<&'a Pose>,
    orientation: Option<Orientation>,
    /// Index of the current exercise.
    e: usize,
    contact: Option<SegmentContact>,
    motion: MotionSample,
}

/// Streaming engine: feed frames with `push`, read cues, call `finish` for the report.
pub struct Engine {
    cfg: EngineConfig,
    exercises: Vec<Exercise>,
    overridden: bool,
    scale: Scale,
    fusion: ScaleFusion,
    recog: Recognizer,
    motion: ContactMotion,
    rules: Rules,
    areas: Vec<Option<AreaState>>,
    log: EventLog,
    last_segment_px: Option<(P2, P2)>,
    metrics: FrameMetrics,
    counters: Counters,
    trigger: trigger::TriggerState,
    orientation: OrientationVote,
}

/// Checks the configuration; returns the index of the `--exercise` override.
fn validate(cfg: &EngineConfig, exercises: &[Exercise]) -> Result<Option<usize>, CoachError> {
    for (what, d) in [("roller", cfg.roller_diameter_cm), ("ball", cfg.ball_diameter_cm)] {
        if !(d.is_finite() && d > 1.0 && d < 100.0) {
            return Err(CoachError::Config(format!("{what} diameter {d} cm is not plausible (expected 1-100 cm)")));
        }
    }
    if !(cfg.fps.is_finite() && cfg.fps > 0.0) {
        return Err(CoachError::Config(format!("fps {} must be > 0", cfg.fps)));
    }
    if exercises.is_empty() {
        return Err(CoachError::NoExercises {
            dir: cfg.exercises_dir.clone(),
        });
    }
    let Some(name) = &cfg.exercise else { return Ok(None) };
    let i = exercises
        .iter()
        .position(|e| &e.id == name)
        .ok_or_else(|| CoachError::UnknownExercise {
            name: name.clone(),
            known: exercises.iter().map(|e| e.id.as_str()).collect::<Vec<_>>().join(", "),
        })?;
    Ok(Some(i))
}

/// `r` with its kind checked against its size at the body scale ([`tool_size`]).
fn checked_tool(r: RollerObs, fusion: &ScaleFusion, cfg: &EngineConfig) -> RollerObs {
    let body = fusion.body_cm_per_px().map(|b| b.0);
    RollerObs { kind: tool_size::checked_kind(&r, body, cfg.roller_diameter_cm, cfg.ball_diameter_cm), ..r }
}

fn usable_roller(r: Option<RollerObs>) -> Option<RollerObs> {
    r.filter(|r| r.r > 0.5 && r.confidence > 0.0)
}

impl Engine {
    pub fn new(cfg: EngineConfig) -> Result<Engine, CoachError> {
        let exercises = load_dir(&cfg.exercises_dir)?;
        Self::with_exercises(cfg, exercises)
    }

    /// Builds an engine over already loaded exercises (tests, embedded use).
    pub fn with_exercises(cfg: EngineConfig, exercises: Vec<Exercise>) -> Result<Engine, CoachError> {
        let override_idx = validate(&cfg, &exercises)?;
        let max_posture = exercises.iter().map(|e| e.posture.len()).max().unwrap_or(0);
        Ok(Engine {
            recog: Recognizer::new(&exercises, cfg.fps, override_idx),
            motion: ContactMotion::new(cfg.fps),
            fusion: ScaleFusion::new(cfg.fps),
            rules: Rules {
                too_fast: TooFastRule::default(),
                keep_out: KeepOutRule::default(),
                posture: PostureRules::new(max_posture),
                avoid: AvoidRule::default(),
                hold: HoldRule::default(),
            },
            areas: vec![None; exercises.len()],
            overridden: override_idx.is_some(),
            cfg,
            exercises,
            scale: Scale::default(),
            log: EventLog::default(),
            last_segment_px: None,
            metrics: FrameMetrics::empty(),
            counters: Counters::default(),
            trigger: trigger::TriggerState::default(),
            orientation: OrientationVote::default(),
        })
    }

    pub fn exercises(&self) -> &[Exercise] {
        &self.exercises
    }

    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// Metrics of the last frame pushed.
    pub fn metrics(&self) -> &FrameMetrics {
        &self.metrics
    }

    /// Current exercise, if recognised (or overridden).
    pub fn current_exercise(&self) -> Option<&Exercise> {
        self.recog.current().map(|i| &self.exercises[i])
    }

    /// Processes one frame; frames must come in time order.
    pub fn push(&mut self, frame: &TrackFrame) -> &FrameMetrics {
        let t = frame.t;
        let c = &mut self.counters;
        let dt = c.prev_t.map_or(0.0, |p| (t - p).clamp(0.0, MAX_FRAME_GAP_S));
        c.prev_t = Some(t);
        c.first_t.get_or_insert(t);
        c.seen.frame_count += 1;
        let pose = frame
            .pose
            .as_ref()
            .filter(|p| p.score > 0.0 || p.keypoints.iter().any(|k| k.visibility > 0.0));
        c.seen.frames_with_pose += pose.is_some() as usize;
        let roller = usable_roller(frame.roller).map(|r| checked_tool(r, &self.fusion, &self.cfg));
        let cut = roller.as_ref().is_some_and(|r| recognition::cut_by_frame(r, self.cfg.width, self.cfg.height));
        if let Some(r) = &roller {
            c.seen.frames_with_roller += 1;
            self.trigger.kind = r.kind;
            self.scale.observe(t, r, self.cfg.diameter_cm(r.kind), cut);
        }
        // Only a roller seen end-on (no axis: its radius is the end face's) and whole measures its diameter; the
        // radius a detector gives for a cylinder seen from the side of its axis is the silhouette's, 15-48 % off on
        // oblique renders, and it made the body scale blame a right stated diameter.
        let end_face_r = roller.as_ref().filter(|r| r.axis.is_none() && !cut).map(|r| r.r);
        self.trigger.obs = roller;
        self.update_scale(t, pose, end_face_r);
        let orientation = self.orientation.update(t, pose.and_then(classify_orientation));
        self.recog
            .update_contacts((t, orientation), &self.exercises, pose, roller.as_ref(), self.scale.px_per_cm);
        if !self.overridden {
            if let Some(c) = self.recog.recognise(t, &self.exercises, orientation) {
                let visit = self.keep_out_visit_into(c, t);
                self.end_all(t);
                self.recog.switch(c);
                if let Some((from, start)) = visit {
                    self.log.retract(RuleId::KeepOut, &self.exercises[from].id, start);
                    self.recog.backdate(start);
                }
                self.motion.reset();
            }
        }
        self.frame_metrics(t, pose, orientation);
        match self.recog.current() {
            Some(e) => self.run_rules(e, t, dt, pose, orientation),
            None => self.metrics.area = AreaMetrics::default(),
        }
        self.metrics.faults.clear();
        self.metrics.faults.extend(self.log.active_rules());
        // Reassign only when the cue changed (no per-frame allocation).
        let cue = self.log.current_cue(t).map(|c| c.text.as_str());
        if cue != self.metrics.cue.as_deref() {
            self.metrics.cue = cue.map(str::to_string);
        }
        &self.metrics
    }

    /// Combines the roller scale with the body scale (`body_scale`: the diameter the body implies is gathered and
    /// judged from the first roller on); logs the disagreement once an exercise runs as a `scale_mismatch` event
    /// (report and terminal summary only, never a spoken cue).
    fn update_scale(&mut self, t: f64, pose: Option<&Pose>, roller_r_px: Option<f32>) {
        self.fusion.observe_body(t, pose.and_then(crate::body::cm_per_px));
        if let Some(r) = roller_r_px {
            self.fusion.observe_roller(t, r);
        }
        let stated = self.cfg.diameter_cm(self.trigger.kind);
        let before = self.fusion.uses_implied();
        self.scale.px_per_cm =
            self.fusion.combine(self.scale.roller_px_per_cm, stated).or(self.scale.cut_px_per_cm);
        if self.fusion.uses_implied() != before {
            // positions in cm before and after the switch are not comparable: no speed across it
            self.motion.reset();
        }
        // Nothing is coached in cm before an exercise runs, and a roller that is not under a rolled segment may be
        // no roller at all (the round gap under bridged hips in samples/bridging.mp4 warned of a 20 cm roller):
        // the warning waits for an exercise.
        if self.current_exercise().is_none() {
            return;
        }
        let Some(d) = self.fusion.report_disagreement(t) else { return };
        self.log.event(EventRecord {
            rule: RuleId::ScaleMismatch,
            exercise: self.current_exercise().map(|e| e.id.clone()).unwrap_or_default(),
            start: d.t,
            end: d.t,
            severity: Severity::Warning,
            message: format!(
                "The stated {} diameter ({:.1} cm) disagrees with the body scale, which implies {:.1} cm; \
                 speeds use the body scale. Check --{}-diameter-cm.",
                self.trigger.tool_name(),
                d.stated_diameter_cm,
                d.implied_diameter_cm,
                self.trigger.tool_name()
            ),
            detail: Some(format!("implied_diameter_cm={:.1}", d.implied_diameter_cm)),
        });
    }

    /// Exercise-independent metrics of the frame.
    fn frame_metrics(&mut self, t: f64, pose: Option<&Pose>, orientation: Option<Orientation>) {
        let m = &mut self.metrics;
        m.t = t;
        m.has_pose = pose.is_some();
        m.orientation = orientation;
        m.px_per_cm = self.scale.px_per_cm;
        // Standing (ball against a wall) the tool's bottom is not the floor: no hip height.
        m.hip_height_cm = match (pose, self.scale.floor_y, self.scale.px_per_cm) {
            (Some(p), Some(f), Some(ppc)) if orientation != Some(Orientation::Standing) => {
                let (l, r) = LandmarkRef::parse("hip").map(|h| h.sides()).unwrap_or((23, 24));
                let hip = p.mid(l, r);
                (hip.visibility >= MIN_VISIBILITY).then(|| (f - hip.y) / ppc)
            }
            _ => None,
        };
    }

    /// Motion, area accounting and the rules of exercise `e` for one frame.
    fn run_rules(&mut self, e: usize, t: f64, dt: f64, pose: Option<&Pose>, orientation: Option<Orientation>) {
        let ex = &self.exercises[e];
        // The exercise's rules stop at once when the body is in a posture it does not apply to, or another
        // segment fits the roller better and the contact jumped or left this exercise's region and zones (moving
        // to another exercise). Rolling on into a keep-out zone at the segment's end stays this exercise.
        let ppc = self.scale.px_per_cm.unwrap_or(1.0);
        let contact = self.recog.contact(e).filter(|c| {
            ex.applies_to(orientation)
                && (self.recog.is_best(e, &self.exercises, orientation) || (ex.covers(c.t) && self.motion.continues(c, ppc)))
        });
        if let Some(c) = contact {
            self.last_segment_px = Some((c.from_px, c.to_px));
        } else if let Some(p) = pose {
            self.last_segment_px = Some((P2::from(ex.segment.from.mid(p)), P2::from(ex.segment.to.mid(p))));
        }
        if self.metrics.area.exercise.as_deref() != Some(ex.id.as_str()) {
            self.metrics.area.exercise = Some(ex.id.clone());
        }
        let area = self.areas[e].get_or_insert_with(|| AreaState::new(t));
        let params = MotionParams {
            region_share: ex.region.end - ex.region.start,
            target_speed_cm_s: ex.thresholds.target_speed_cm_s,
        };
        let motion = match (contact, self.scale.px_per_cm) {
            (Some(c), Some(ppc)) => {
                self.motion.push(t, &c, ppc, params, pose.and_then(motion::body_centre))
            }
            _ => MotionSample::default(),
        };
        area.passes.extend(motion.pass);
        let milestones = area.account(ex, t, dt, contact.map(|c| c.t));
        let m = &mut self.metrics.area;
        m.contact = contact.map(|c| c.t);
        m.speed_cm_s = motion.display_speed;
        m.in_region = contact.is_some_and(|c| ex.region.contains(c.t));
        m.time_on_area_s = area.time_on_area;
        m.passes = area.passes.len();
        m.coverage = area.coverage.fraction();
        let ctx = FrameCtx {
            t,
            pose,
            orientation,
            e,
            contact,
            motion,
        };
        self.fault_rules(&ctx);
        self.hold_rule(&ctx);
        self.trigger_rules(&ctx);
        self.milestones(&ctx, milestones);
    }

    /// Applies a fault edge of the current exercise `e` and counts a started fault on its area.
    fn fault_edge(log: &mut EventLog, area: Option<&mut AreaState>, edge: Edge, f: &FaultInfo, t: f64) {
        if log.fault_edge(edge, f, t) {
            if let Some(a) = area {
                a.faults += 1;
            }
        }
    }

    /// Too fast, keep-out, posture and avoid rules.
    fn fault_rules(&mut self, ctx: &FrameCtx) {
        let (t, ex) = (ctx.t, &self.exercises[ctx.e]);
        let on = ctx.contact.is_some();
        let area = &mut self.areas[ctx.e];
        let th = &ex.thresholds;
        let edge = self.rules.too_fast.update(t, ctx.motion.speed.filter(|_| on), ctx.motion.speed_se, ctx.motion.leg.as_ref(), th.max_speed_cm_s);
        if edge != Edge::None {
            let msg = format!(
                "Rolling too fast: slow down to under {:.0} cm/s (about {:.1} cm/s is ideal).",
                th.max_speed_cm_s, th.target_speed_cm_s
            );
            let f = FaultInfo {
                message: &msg,
                cue: "slower",
                ..FaultInfo::ending(RuleId::TooFast, &ex.id)
            };
            Self::fault_edge(&mut self.log, area.as_mut(), edge, &f, t);
        }
        let (edge, zone) = self.rules.keep_out.update(t, ctx.contact.map(|c| c.t), &ex.keep_out);
        if let (Some(z), true) = (zone, edge != Edge::None) {
            Self::fault_edge(&mut self.log, area.as_mut(), edge, &FaultInfo::keep_out(&z.advice, &ex.id, &z.name), t);
        }
        // Posture checks assume the exercise's body orientation: none runs on a posture it does not apply to.
        let posture_applies = on && ex.applies_to(ctx.orientation);
        for (i, pc) in ex.posture.iter().enumerate() {
            let raw = posture_applies && ctx.pose.is_some_and(|p| posture_fault(&pc.kind, p, self.scale.floor_y, self.scale.px_per_cm));
            let edge = self.rules.posture.update(i, t, raw);
            Self::fault_edge(&mut self.log, area.as_mut(), edge, &FaultInfo::of(&pc.fault, &ex.id), t);
        }
        if let Some(av) = ex.avoid.as_ref() {
            let edge = self.rules.avoid.update(t, on, self.recog.current_since());
            Self::fault_edge(&mut self.log, area.as_mut(), edge, &FaultInfo::of(av, &ex.id), t);
        }
    }

    /// Tender-spot holds (not a fault).
    fn hold_rule(&mut self, ctx: &FrameCtx) {
        let ex = &self.exercises[ctx.e];
        let in_region = ctx.contact.is_some_and(|c| ex.region.contains(c.t));
        let still = in_region && ctx.motion.still;
        let input = HoldInput {
            t: ctx.t,
            still,
            contact: ctx.contact.map(|c| c.t),
            smoothed_cm: self.motion.smoothed(),
            // The onset fit runs only when a hold may start.
            settled: if still && self.rules.hold.active_since().is_none() {
                self.motion.settled(ctx.t)
            } else {
                (0.0, ctx.t, 0.0)
            },
            end_band_cm: self.motion.still_band(),
            hold_s: ex.thresholds.hold_s,
        };
        let out = self.rules.hold.update(&input);
        if let Some(since) = out.started {
            self.motion.pause(since);
        }
        if let Some(span) = out.ended {
            self.motion.resume();
            self.record_hold(ctx.e, span);
        }
        let hmin = input.hold_s.0;
        match out.cue {
            Some(HoldCue::Min) => self.log.info(RuleId::Hold, &format!("good, {hmin:.0} seconds"), ctx.t),
            Some(HoldCue::Max) => self.log.info(RuleId::Hold, "move on", ctx.t),
            None => {}
        }
    }

    /// Area done / too long events.
    fn milestones(&mut self, ctx: &FrameCtx, m: area::AreaMilestones) {
        let ex = &self.exercises[ctx.e];
        let (tmin, tmax) = ex.thresholds.time_on_area_s;
        let t = ctx.t;
        let record = |rule: RuleId, message: String| EventRecord {
            rule,
            exercise: ex.id.clone(),
            start: t,
            end: t,
            severity: Severity::Info,
            message,
            detail: None,
        };
        if m.done {
            self.log
                .event(record(RuleId::AreaDone, format!("{:.0} s on {} reached.", tmin, ex.name)));
            self.log.info(RuleId::AreaDone, &format!("good, {tmin:.0} seconds"), t);
        }
        if m.too_long {
            let msg = format!("More than {:.0} s on {}; move to another area.", tmax, ex.name);
            self.log.event(record(RuleId::AreaTooLong, msg));
            self.log.info(RuleId::AreaTooLong, "next area", t);
        }
    }

    fn record_hold(&mut self, e: usize, h: HoldSpan) {
        if let Some(a) = self.areas[e].as_mut() {
            a.holds.push(HoldRecord {
                start: h.start,
                end: h.end,
                duration_s: h.end - h.start,
                position: h.position,
                side: self.trigger.take_hold_side(),
            });
        }
        let ex = &self.exercises[e];
        self.log.event(EventRecord {
            rule: RuleId::Hold,
            exercise: ex.id.clone(),
            start: h.start,
            end: h.end,
            severity: Severity::Info,
            message: format!(
                "Held the roller still for {:.0} s at {:.2} of the {}.",
                h.end - h.start,
                h.position,
                ex.segment.name
            ),
            detail: Some(format!("position {:.2}", h.position)),
        });
    }

    /// When switching at `t` to `next`, an exercise to avoid, from a keep-out visit of the current exercise: the
    /// current exercise and the start of the visit (its keep_out faults, flickers across the zone's edge included).
    /// The visit was that exercise from its start: its keep_out faults give way to `next`'s warning from then.
    fn keep_out_visit_into(&self, next: usize, t: f64) -> Option<(usize, f64)> {
        let cur = self.recog.current()?;
        self.exercises[next].avoid.as_ref()?;
        let start = self.log.run_start(RuleId::KeepOut, &self.exercises[cur].id, t, recognition::RECOGNITION_WINDOW_S)?;
        Some((cur, start))
    }

    /// Ends every active event at `t` (exercise change, end of session).
    fn end_all(&mut self, t: f64) {
        let Some(e) = self.recog.current() else { return };
        let ex = &self.exercises[e];
        let log = &mut self.log;
        let r = &mut self.rules;
        log.fault_edge(r.too_fast.force_end(t), &FaultInfo::ending(RuleId::TooFast, &ex.id), t);
        log.fault_edge(r.keep_out.force_end(t), &FaultInfo::ending(RuleId::KeepOut, &ex.id), t);
        for i in 0..r.posture.len() {
            let edge = r.posture.force_end(i, t);
            if let Some(pc) = ex.posture.get(i) {
                log.fault_edge(edge, &FaultInfo::ending(pc.fault.rule, &ex.id), t);
            }
        }
        if let Some(av) = ex.avoid.as_ref() {
            log.fault_edge(r.avoid.force_end(t), &FaultInfo::ending(av.rule, &ex.id), t);
        }
        if let Some(span) = self.rules.hold.force_end(t) {
            self.motion.resume();
            self.record_hold(e, span);
        }
        self.trigger_end(e, t);
        if let (Some(p), Some(a)) = (self.motion.flush(), self.areas[e].as_mut()) {
            a.passes.push(p);
        }
        self.log.clear_active();
    }

    /// The cue to show now: the most severe active fault, else a recent info cue.
    pub fn current_cue(&self) -> Option<&Cue> {
        self.log.current_cue(self.metrics.t)
    }

    /// Cues that started since the last call (already debounced and de-duplicated), for audio.
    pub fn drain_new_cues(&mut self) -> Vec<Cue> {
        self.log.drain_new_cues()
    }

    /// Current target segment endpoints (image px) and the region's start/end fraction, for drawing.
    pub fn segment_px(&self) -> Option<(Keypoint, Keypoint, f32, f32)> {
        let e = self.recog.current()?;
        let (a, b) = self.last_segment_px?;
        let r = &self.exercises[e].region;
        let kp = |p: P2| Keypoint {
            x: p.x,
            y: p.y,
            visibility: 1.0,
        };
        Some((kp(a), kp(b), r.start, r.end))
    }

    /// Ends the session and builds the report.
    pub fn finish(mut self) -> SessionReport {
        let t_end = self.counters.prev_t.unwrap_or(0.0);
        self.end_all(t_end);
        let mut areas: Vec<AreaReport> = self
            .areas
            .iter()
            .zip(&self.exercises)
            .filter_map(|(a, ex)| a.as_ref().map(|a| a.report(ex)))
            .collect();
        areas.sort_by(|a, b| a.first_t.total_cmp(&b.first_t));
        let (faults, events) = self.log.finish(t_end);
        let c = self.counters;
        SessionReport {
            format: report::REPORT_FORMAT.into(),
            duration_s: t_end - c.first_t.unwrap_or(t_end),
            frames: c.seen,
            roller_diameter_cm: self.cfg.roller_diameter_cm,
            exercise_override: self.cfg.exercise.clone(),
            areas,
            faults,
            events,
        }
    }
}

/// True when the posture check fails on this pose (unknown measurements do not fail).
pub fn posture_fault(kind: &PostureKind, pose: &Pose, floor_y: Option<f32>, px_per_cm: Option<f32>) -> bool {
    let vis = |k: Keypoint| k.visibility >= MIN_VISIBILITY;
    match *kind {
        PostureKind::MinHeight {
            landmark,
            reference: Some(r),
            min_cm,
        } => match px_per_cm {
            Some(ppc) => {
                let (k, kr) = (landmark.mid(pose), r.mid(pose));
                vis(k) && vis(kr) && (kr.y - k.y) / ppc < min_cm
            }
            None => false,
        },
        PostureKind::MinHeight {
            landmark,
            reference: None,
            min_cm,
        } => match (floor_y, px_per_cm) {
            (Some(f), Some(ppc)) => {
                let k = landmark.mid(pose);
                vis(k) && (f - k.y) / ppc < min_cm
            }
            _ => false,
        },
        PostureKind::Straight { a, b, c, max_bend_deg } => {
            let (ka, kb, kc) = (a.mid(pose), b.mid(pose), c.mid(pose));
            vis(ka) && vis(kb) && vis(kc) && bend_deg(ka.into(), kb.into(), kc.into()).is_some_and(|d| d > max_bend_deg)
        }
        PostureKind::Near {
            landmark,
            target,
            max_torso_frac,
        } => {
            let sh = P2::from(LandmarkRef::parse("shoulder").map(|s| s.mid(pose)).unwrap_or_default());
            let hp = P2::from(LandmarkRef::parse("hip").map(|s| s.mid(pose)).unwrap_or_default());
            let torso = sh.dist(hp);
            let (l1, l2) = landmark.sides();
            let (t1, t2) = target.sides();
            let mut best = f32::INFINITY;
            for i in [l1, l2] {
                for j in [t1, t2] {
                    let (ki, kj) = (pose.kp(i), pose.kp(j));
                    if vis(ki) && vis(kj) {
                        best = best.min(P2::from(ki).dist(P2::from(kj)));
                    }
                }
            }
            torso > 1.0 && best.is_finite() && best > max_torso_frac * torso
        }
    }
}

/// Result of running the engine over a pose track.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub header: TrackHeader,
    pub metrics: Vec<FrameMetrics>,
    pub report: SessionReport,
}

/// Runs the engine over a whole pose track. Width, height and fps come from the track header.
pub fn analyze_track(track: &PoseTrack, cfg: EngineConfig) -> Result<Analysis, CoachError> {
    let cfg = EngineConfig {
        width: track.header.width,
        height: track.header.height,
        fps: track.header.fps,
        ..cfg
    };
    let mut engine = Engine::new(cfg)?;
    let mut metrics = hindsight::MetricsLog::with_capacity(track.frames.len());
    for f in &track.frames {
        engine.push(f);
        metrics.push(engine.metrics(), engine.hindsight());
    }
    Ok(Analysis {
        header: track.header.clone(),
        metrics: metrics.into_rows(),
        report: engine.finish(),
    })
}

/// Writes the short terminal summary.
pub fn print_summary(analysis: &Analysis, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    report::summary(analysis, out)
}

/// Default exercises folder: `./exercises` if present, else next to the executable (or its parents, for
/// `target/debug/rollcoach`), else the source tree's.
pub fn default_exercises_dir() -> PathBuf {
    let cwd = Path::new("exercises");
    if cwd.is_dir() {
        return cwd.to_path_buf();
    }
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(4) {
            let d = dir.join("exercises");
            if d.is_dir() {
                return d;
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises")
}
