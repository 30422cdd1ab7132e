//! The foam-rolling form engine: pure logic over pose landmarks and the roller circle.
//!
//! Per frame: roller scale (px per cm from the roller's real diameter), body orientation, roller contact on each
//! exercise's segment, exercise recognition (or the `--exercise` override), then the temporal rules of the current
//! exercise (speed, passes, coverage, time on area, holds, keep-out zones, posture, exercises to avoid), each
//! debounced into events with start, end, rule id, severity and message. See `docs/engine.md`.

pub mod exercise;
pub mod geometry;
pub mod recognize;
pub mod report;
pub mod rules;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;

use crate::landmarks::{Keypoint, Pose};
use crate::posetrack::{PoseTrack, TrackFrame, TrackHeader};

pub use exercise::{load_dir, Exercise, LandmarkRef, Orientation, PostureKind, RuleId, Severity};
pub use report::{
    write_outputs, AreaReport, CsvSink, EventRecord, HoldRecord, JsonSink, ReportSink, SessionReport, TerminalSink,
    CSV_COLUMNS,
};

use geometry::{bend_deg, P2};
use recognize::{classify_orientation, segment_contact, SegmentContact, MIN_VISIBILITY};
use rules::{Coverage, Debounce, Edge, MotionTracker, Pass, StillDetector, HOLD_WINDOW_S};

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

// ---- timing constants (seconds unless named otherwise) ----
/// A first exercise is accepted after this much consistent evidence. One second keeps brief circle-like things near
/// the body (hands on the mat beside the hips) from starting a session; events are back-dated to when the evidence
/// began, so the delay only postpones the first cue.
pub const INITIAL_RECOGNITION_S: f64 = 1.0;
/// Switching to another exercise needs this much consistent evidence.
pub const SWITCH_RECOGNITION_S: f64 = 3.0;
/// Contact history used to place the rolling range for recognition.
pub const RECOGNITION_WINDOW_S: f64 = 8.0;
/// Motion tracking restarts after contact was lost this long.
pub const CONTACT_LOSS_RESET_S: f64 = 0.5;
/// Longest frame gap that still counts towards time on area.
const MAX_FRAME_GAP_S: f64 = 0.5;
pub const TOO_FAST_ON_S: f64 = 0.3;
pub const TOO_FAST_OFF_S: f64 = 0.8;
/// A too-fast burst cut short (by a reversal) this close before a sustained one starts the event.
pub const TOO_FAST_BRIDGE_S: f64 = 0.45;
/// Share of the speed limit above which rolling counts as speeding up (start of a too-fast event).
pub const TOO_FAST_LOW_FRACTION: f32 = 0.6;
/// A too-fast event starts at most this long before the speed crossed the limit.
pub const TOO_FAST_MAX_BACKDATE_S: f64 = 0.6;
pub const KEEP_OUT_ON_S: f64 = 0.2;
pub const KEEP_OUT_OFF_S: f64 = 0.5;
pub const POSTURE_ON_S: f64 = 0.3;
pub const POSTURE_OFF_S: f64 = 0.8;
pub const AVOID_OFF_S: f64 = 2.0;
/// Roller still this long on one spot in the region = a tender-spot hold.
pub const HOLD_DETECT_S: f64 = 3.0;
pub const HOLD_OFF_S: f64 = 0.5;
/// Distance from the held spot that still counts as on it (for the hold's start and end times), cm.
pub const HOLD_SPOT_CM: f32 = 1.25;
/// The same cue is not spoken again within this time.
pub const CUE_REPEAT_S: f64 = 5.0;
/// An info cue stays the current cue this long.
pub const INFO_CUE_SHOW_S: f64 = 3.0;
/// Smoothing of the roller scale and floor line (share of the new value).
const SCALE_EMA: f32 = 0.1;
/// Smoothing of the segment length.
const SEGMENT_LEN_EMA: f32 = 0.05;

/// Engine settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    pub exercises_dir: PathBuf,
    /// `--exercise` override: skip recognition.
    pub exercise: Option<String>,
    pub roller_diameter_cm: f32,
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
            width: 640,
            height: 480,
            fps: 30.0,
        }
    }
}

/// A spoken / displayed cue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cue {
    pub rule: String,
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
    pub exercise: Option<String>,
    pub orientation: Option<Orientation>,
    /// Roller contact along the exercise segment (0 = proximal, 1 = distal).
    pub contact: Option<f32>,
    /// Rolling speed along the segment, cm/s (absolute).
    pub speed_cm_s: Option<f32>,
    pub in_region: bool,
    pub time_on_area_s: f64,
    pub passes: usize,
    pub coverage: f32,
    pub hip_height_cm: Option<f32>,
    pub px_per_cm: Option<f32>,
    /// Active fault rule ids.
    pub faults: Vec<&'static str>,
    /// Current cue text.
    pub cue: Option<String>,
}

impl FrameMetrics {
    fn empty() -> Self {
        Self {
            t: 0.0,
            has_pose: false,
            exercise: None,
            orientation: None,
            contact: None,
            speed_cm_s: None,
            in_region: false,
            time_on_area_s: 0.0,
            passes: 0,
            coverage: 0.0,
            hip_height_cm: None,
            px_per_cm: None,
            faults: Vec::with_capacity(8),
            cue: None,
        }
    }
}

#[derive(Debug, Clone)]
struct AreaState {
    first_t: f64,
    last_t: f64,
    time_on_area: f64,
    passes: Vec<Pass>,
    coverage: Coverage,
    holds: Vec<HoldRecord>,
    done_emitted: bool,
    long_emitted: bool,
    faults: usize,
}

/// Distinct body segment used by one or more exercises, with its recent contact history.
#[derive(Debug, Clone)]
struct SegmentTrack {
    from: LandmarkRef,
    to: LandmarkRef,
    exercise: usize,
    history: VecDeque<(f64, f32)>,
    side: Option<u8>,
    contact: Option<SegmentContact>,
}

#[derive(Debug, Clone)]
struct ActiveFault {
    rule: RuleId,
    cue: Cue,
}

/// Streaming engine: feed frames with `push`, read cues, call `finish` for the report.
pub struct Engine {
    cfg: EngineConfig,
    exercises: std::sync::Arc<Vec<Exercise>>,
    override_idx: Option<usize>,
    px_per_cm: Option<f32>,
    floor_y: Option<f32>,
    segments: Vec<SegmentTrack>,
    ex_segment: Vec<usize>,
    cand: Option<usize>,
    cand_since: f64,
    current: Option<usize>,
    current_since: f64,
    motion: MotionTracker,
    seg_len_px: Option<f32>,
    last_contact_t: Option<f64>,
    too_fast: Debounce,
    keep_out: Debounce,
    keep_out_zone: usize,
    posture: Vec<Debounce>,
    avoid: Debounce,
    hold: Debounce,
    fastish_prev: bool,
    fastish_chain_start: f64,
    fastish_last_end: f64,
    still: StillDetector,
    hold_pos: f32,
    hold_anchor_cm: f32,
    hold_last_near: f64,
    hold_cued: u8,
    areas: Vec<Option<AreaState>>,
    faults: Vec<EventRecord>,
    events: Vec<EventRecord>,
    active: Vec<ActiveFault>,
    new_cues: Vec<Cue>,
    info_cue: Option<Cue>,
    last_spoken: Vec<(String, f64)>,
    last_segment_px: Option<(P2, P2)>,
    metrics: FrameMetrics,
    frames: usize,
    frames_with_pose: usize,
    frames_with_roller: usize,
    first_t: Option<f64>,
    prev_t: Option<f64>,
}

impl Engine {
    pub fn new(cfg: EngineConfig) -> Result<Engine, CoachError> {
        let exercises = load_dir(&cfg.exercises_dir)?;
        Self::with_exercises(cfg, exercises)
    }

    /// Builds an engine over already loaded exercises (tests, embedded use).
    pub fn with_exercises(cfg: EngineConfig, exercises: Vec<Exercise>) -> Result<Engine, CoachError> {
        if !(cfg.roller_diameter_cm.is_finite() && cfg.roller_diameter_cm > 1.0 && cfg.roller_diameter_cm < 100.0) {
            return Err(CoachError::Config(format!(
                "roller diameter {} cm is not plausible (expected 1-100 cm)",
                cfg.roller_diameter_cm
            )));
        }
        if !(cfg.fps.is_finite() && cfg.fps > 0.0) {
            return Err(CoachError::Config(format!("fps {} must be > 0", cfg.fps)));
        }
        if exercises.is_empty() {
            return Err(CoachError::NoExercises {
                dir: cfg.exercises_dir.clone(),
            });
        }
        let override_idx = match &cfg.exercise {
            None => None,
            Some(name) => {
                Some(
                    exercises
                        .iter()
                        .position(|e| &e.id == name)
                        .ok_or_else(|| CoachError::UnknownExercise {
                            name: name.clone(),
                            known: exercises.iter().map(|e| e.id.as_str()).collect::<Vec<_>>().join(", "),
                        })?,
                )
            }
        };
        let mut segments: Vec<SegmentTrack> = Vec::new();
        let mut ex_segment = Vec::with_capacity(exercises.len());
        let hist_cap = (RECOGNITION_WINDOW_S * cfg.fps).ceil() as usize + 8;
        for (i, e) in exercises.iter().enumerate() {
            let k = match segments
                .iter()
                .position(|s| s.from == e.segment.from && s.to == e.segment.to)
            {
                Some(k) => k,
                None => {
                    segments.push(SegmentTrack {
                        from: e.segment.from,
                        to: e.segment.to,
                        exercise: i,
                        history: VecDeque::with_capacity(hist_cap),
                        side: None,
                        contact: None,
                    });
                    segments.len() - 1
                }
            };
            ex_segment.push(k);
        }
        let max_posture = exercises.iter().map(|e| e.posture.len()).max().unwrap_or(0);
        let n = exercises.len();
        let fps = cfg.fps;
        Ok(Engine {
            motion: MotionTracker::new(fps),
            cfg,
            exercises: std::sync::Arc::new(exercises),
            override_idx,
            px_per_cm: None,
            floor_y: None,
            segments,
            ex_segment,
            cand: None,
            cand_since: 0.0,
            current: override_idx,
            current_since: 0.0,
            seg_len_px: None,
            last_contact_t: None,
            too_fast: Debounce::with_bridge(TOO_FAST_ON_S, TOO_FAST_OFF_S, TOO_FAST_BRIDGE_S),
            keep_out: Debounce::new(KEEP_OUT_ON_S, KEEP_OUT_OFF_S),
            keep_out_zone: 0,
            posture: (0..max_posture)
                .map(|_| Debounce::new(POSTURE_ON_S, POSTURE_OFF_S))
                .collect(),
            avoid: Debounce::new(0.0, AVOID_OFF_S),
            hold: Debounce::new(HOLD_DETECT_S - HOLD_WINDOW_S, HOLD_OFF_S),
            still: StillDetector::new(fps),
            fastish_prev: false,
            fastish_chain_start: 0.0,
            fastish_last_end: f64::NEG_INFINITY,
            hold_pos: 0.0,
            hold_anchor_cm: 0.0,
            hold_last_near: 0.0,
            hold_cued: 0,
            areas: vec![None; n],
            faults: Vec::new(),
            events: Vec::new(),
            active: Vec::with_capacity(8),
            new_cues: Vec::new(),
            info_cue: None,
            last_spoken: Vec::new(),
            last_segment_px: None,
            metrics: FrameMetrics::empty(),
            frames: 0,
            frames_with_pose: 0,
            frames_with_roller: 0,
            first_t: None,
            prev_t: None,
        })
    }

    pub fn exercises(&self) -> &[Exercise] {
        &self.exercises
    }

    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// Current exercise, if recognised (or overridden).
    /// Metrics of the last frame pushed.
    pub fn metrics(&self) -> &FrameMetrics {
        &self.metrics
    }

    pub fn current_exercise(&self) -> Option<&Exercise> {
        self.current.map(|i| &self.exercises[i])
    }

    /// Processes one frame; frames must come in time order.
    pub fn push(&mut self, frame: &TrackFrame) -> &FrameMetrics {
        let t = frame.t;
        let dt = self.prev_t.map_or(0.0, |p| (t - p).clamp(0.0, MAX_FRAME_GAP_S));
        self.prev_t = Some(t);
        self.first_t.get_or_insert(t);
        self.frames += 1;
        let pose = frame
            .pose
            .as_ref()
            .filter(|p| p.score > 0.0 || p.keypoints.iter().any(|k| k.visibility > 0.0));
        if pose.is_some() {
            self.frames_with_pose += 1;
        }
        if let Some(r) = frame.roller.filter(|r| r.r > 0.5 && r.confidence > 0.0) {
            self.frames_with_roller += 1;
            let ppc = 2.0 * r.r / self.cfg.roller_diameter_cm;
            let floor = r.cy + r.r;
            self.px_per_cm = Some(self.px_per_cm.map_or(ppc, |p| p + SCALE_EMA * (ppc - p)));
            self.floor_y = Some(self.floor_y.map_or(floor, |f| f + SCALE_EMA * (floor - f)));
        }
        let roller = frame.roller.filter(|r| r.r > 0.5 && r.confidence > 0.0);

        // Orientation and contact on every distinct segment.
        let orientation = pose.and_then(classify_orientation);
        for s in self.segments.iter_mut() {
            let seg = &self.exercises[s.exercise].segment;
            s.contact = match (pose, roller, self.px_per_cm) {
                (Some(p), Some(r), Some(ppc)) => segment_contact(p, seg, &r, ppc, s.side),
                _ => None,
            };
            if let Some(c) = s.contact {
                s.side = Some(c.side);
                if s.history.len() == s.history.capacity() {
                    s.history.pop_front();
                }
                s.history.push_back((t, c.t));
            }
            while s.history.front().is_some_and(|&(t0, _)| t - t0 > RECOGNITION_WINDOW_S) {
                s.history.pop_front();
            }
        }

        if self.override_idx.is_none() {
            self.recognise(t, orientation);
        }

        self.metrics.t = t;
        self.metrics.has_pose = pose.is_some();
        self.metrics.orientation = orientation;
        self.metrics.px_per_cm = self.px_per_cm;
        self.metrics.hip_height_cm = match (pose, self.floor_y, self.px_per_cm) {
            (Some(p), Some(f), Some(ppc)) => {
                let (l, r) = LandmarkRef::parse("hip").map(|h| h.sides()).unwrap_or((23, 24));
                let hip = p.mid(l, r);
                (hip.visibility >= MIN_VISIBILITY).then(|| (f - hip.y) / ppc)
            }
            _ => None,
        };

        match self.current {
            Some(e) => self.run_rules(e, t, dt, pose),
            None => {
                self.metrics.exercise = None;
                self.metrics.contact = None;
                self.metrics.speed_cm_s = None;
                self.metrics.in_region = false;
                self.metrics.time_on_area_s = 0.0;
                self.metrics.passes = 0;
                self.metrics.coverage = 0.0;
            }
        }
        self.metrics.faults.clear();
        for a in &self.active {
            self.metrics.faults.push(a.rule.as_str());
        }
        // Reassign only when the cue changed (no per-frame allocation).
        let same = match (self.current_cue(), self.metrics.cue.as_deref()) {
            (Some(c), Some(m)) => c.text == m,
            (None, None) => true,
            _ => false,
        };
        if !same {
            let cue_text = self.current_cue().map(|c| c.text.clone());
            self.metrics.cue = cue_text;
        }
        &self.metrics
    }

    fn recognise(&mut self, t: f64, orientation: Option<Orientation>) {
        let best = self
            .segments
            .iter()
            .enumerate()
            .filter_map(|(k, s)| s.contact.map(|c| (k, c.score_cm)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k);
        let cand = match (best, orientation) {
            (Some(k), Some(o)) => {
                let h = &self.segments[k].history;
                let (lo, hi) = h.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &(_, c)| {
                    (lo.min(c), hi.max(c))
                });
                let mid = 0.5 * (lo + hi);
                // Rolling into a keep-out zone of the current exercise on the same segment is that exercise's
                // keep_out fault, not a new exercise (upper back drifting into the lumbar spine).
                let in_current_keep_out = self.current.is_some_and(|cur| {
                    self.ex_segment[cur] == k && self.exercises[cur].keep_out.iter().any(|z| z.contains(mid))
                });
                if in_current_keep_out {
                    None
                } else {
                    self.exercises.iter().enumerate().position(|(i, e)| {
                        self.ex_segment[i] == k
                            && e.recognize
                                .as_ref()
                                .is_some_and(|r| r.orientation.contains(&o) && mid >= r.contact.0 && mid < r.contact.1)
                    })
                }
            }
            _ => None,
        };
        let Some(c) = cand else { return };
        if self.cand != Some(c) {
            self.cand = Some(c);
            self.cand_since = t;
        }
        if self.current == Some(c) {
            return;
        }
        let need = if self.current.is_none() {
            INITIAL_RECOGNITION_S
        } else {
            SWITCH_RECOGNITION_S
        };
        if t - self.cand_since >= need - 1e-9 {
            self.end_all(t);
            self.current = Some(c);
            self.current_since = self.cand_since;
            self.motion.reset();
            self.still.reset();
            self.seg_len_px = None;
            self.last_contact_t = None;
        }
    }

    fn run_rules(&mut self, e: usize, t: f64, dt: f64, pose: Option<&Pose>) {
        let exs = std::sync::Arc::clone(&self.exercises);
        let ex = &exs[e];
        let seg = &self.segments[self.ex_segment[e]];
        let contact = seg.contact;
        if let Some(c) = contact {
            self.last_segment_px = Some((c.from_px, c.to_px));
        } else if let Some(p) = pose {
            let a = P2::from(ex.segment.from.mid(p));
            let b = P2::from(ex.segment.to.mid(p));
            self.last_segment_px = Some((a, b));
        }
        if self.metrics.exercise.as_deref() != Some(ex.id.as_str()) {
            self.metrics.exercise = Some(ex.id.clone());
        }
        let area = self.areas[e].get_or_insert_with(|| AreaState {
            first_t: t,
            last_t: t,
            time_on_area: 0.0,
            passes: Vec::new(),
            coverage: Coverage::default(),
            holds: Vec::new(),
            done_emitted: false,
            long_emitted: false,
            faults: 0,
        });
        area.last_t = t;

        let ppc = self.px_per_cm;
        let mut speed = None;
        let mut still_raw = false;
        let mut display_speed = None;
        if let (Some(c), Some(ppc)) = (contact, ppc) {
            let len = self
                .seg_len_px
                .map_or(c.len_px, |l| l + SEGMENT_LEN_EMA * (c.len_px - l));
            self.seg_len_px = Some(len);
            if self.last_contact_t.is_some_and(|lt| t - lt > CONTACT_LOSS_RESET_S) {
                self.motion.reset();
                self.still.reset();
            }
            self.last_contact_t = Some(t);
            let pos_cm = c.t * len / ppc;
            if let Some(pass) = self.motion.push(t, pos_cm) {
                area.passes.push(pass);
            }
            speed = self.motion.speed().map(f32::abs);
            display_speed = self.motion.display_speed();
            if let Some(p) = self.motion.smoothed() {
                still_raw = self.still.push(t, p);
            }
        }
        let in_region = contact.is_some_and(|c| ex.region.contains(c.t));
        if in_region {
            area.time_on_area += dt;
            if let Some(c) = contact {
                area.coverage
                    .mark((c.t - ex.region.start) / (ex.region.end - ex.region.start));
            }
        }
        self.metrics.contact = contact.map(|c| c.t);
        self.metrics.speed_cm_s = display_speed;
        self.metrics.in_region = in_region;
        self.metrics.time_on_area_s = area.time_on_area;
        self.metrics.passes = area.passes.len();
        self.metrics.coverage = area.coverage.fraction();
        let time_on_area = area.time_on_area;
        let (tmin, tmax) = ex.thresholds.time_on_area_s;
        let emit_done = !area.done_emitted && time_on_area >= tmin as f64;
        let emit_long = !area.long_emitted && time_on_area > tmax as f64;
        area.done_emitted |= emit_done;
        area.long_emitted |= emit_long;

        // ---- rules ----
        let on = contact.is_some();
        let too_fast = on && speed.is_some_and(|v| v > ex.thresholds.max_speed_cm_s);
        // Hysteresis in time: the event starts where the speed first rose above a lower threshold (chains of such
        // runs with short gaps, e.g. a reversal, count as one), at most TOO_FAST_MAX_BACKDATE_S before the crossing.
        let fastish = on && speed.is_some_and(|v| v > TOO_FAST_LOW_FRACTION * ex.thresholds.max_speed_cm_s);
        if fastish {
            if !self.fastish_prev {
                if t - self.fastish_last_end > TOO_FAST_BRIDGE_S {
                    self.fastish_chain_start = t;
                }
            }
            self.fastish_prev = true;
        } else if self.fastish_prev {
            self.fastish_prev = false;
            self.fastish_last_end = t;
        }
        let mut edge = self.too_fast.update(t, too_fast);
        if let Edge::Started { start } = edge {
            let early = start.min(self.fastish_chain_start).max(start - TOO_FAST_MAX_BACKDATE_S);
            edge = Edge::Started { start: early };
        }
        let ex_id = ex.id.as_str();
        if edge != Edge::None {
            let msg = format!(
                "Rolling too fast: slow down to under {:.0} cm/s (about {:.1} cm/s is ideal).",
                ex.thresholds.max_speed_cm_s, ex.thresholds.target_speed_cm_s
            );
            self.handle_edge(edge, RuleId::TooFast, Severity::Warning, ex_id, &msg, "slower", None, t);
        }

        let zone = contact.and_then(|c| ex.keep_out.iter().position(|z| z.contains(c.t)));
        if zone.is_some() && !self.keep_out.is_active() {
            self.keep_out_zone = zone.unwrap_or(0);
        }
        let edge = self.keep_out.update(t, zone.is_some());
        if let (Some(z), true) = (ex.keep_out.get(self.keep_out_zone), edge != Edge::None) {
            self.handle_edge(
                edge,
                RuleId::KeepOut,
                Severity::Critical,
                ex_id,
                &z.message,
                &z.cue,
                Some(z.name.clone()),
                t,
            );
        }

        for (i, pc) in ex.posture.iter().enumerate() {
            let raw = on && pose.is_some_and(|p| posture_fault(&pc.kind, p, self.floor_y, ppc));
            let edge = self.posture[i].update(t, raw);
            self.handle_edge(edge, pc.rule, pc.severity, ex_id, &pc.message, &pc.cue, None, t);
        }

        if let Some(av) = ex.avoid.as_ref() {
            let since = Some(self.current_since);
            let edge = self.avoid.update_since(t, on, since);
            self.handle_edge(edge, av.rule, av.severity, ex_id, &av.message, &av.cue, None, t);
        }

        // Holds (non-fault).
        let still = in_region && still_raw;
        if still && !self.hold.is_active() {
            self.hold_pos = contact.map_or(0.0, |c| c.t);
        }
        let (hmin, hmax) = ex.thresholds.hold_s;
        // The quiet window already lies behind: back-date the hold's start to when the roller settled there, and
        // its end to when the roller last was on the spot.
        let smoothed = self.motion.smoothed();
        let settled = smoothed
            .and_then(|p| self.still.quiet_since(p, HOLD_SPOT_CM))
            .unwrap_or(t - HOLD_WINDOW_S);
        match self.hold.update_since(t, still, Some(settled)) {
            Edge::Started { .. } => {
                self.hold_cued = 0;
                self.hold_anchor_cm = smoothed.unwrap_or(0.0);
                self.hold_last_near = t;
            }
            Edge::Ended { start, end } => self.record_hold(e, start, end.min(self.hold_last_near)),
            Edge::None => {}
        }
        if self.hold.is_active() && smoothed.is_some_and(|p| (p - self.hold_anchor_cm).abs() <= HOLD_SPOT_CM) {
            self.hold_last_near = t;
        }
        if self.hold.is_active() {
            let dur = t - self.hold.start();
            if self.hold_cued == 0 && dur >= hmin as f64 {
                self.hold_cued = 1;
                self.info(RuleId::Hold, &format!("good, {hmin:.0} seconds"), t);
            } else if self.hold_cued == 1 && dur >= hmax as f64 {
                self.hold_cued = 2;
                self.info(RuleId::Hold, "move on", t);
            }
        }

        if emit_done {
            let m = format!("{:.0} s on {} reached.", tmin, ex.name);
            self.events.push(EventRecord {
                rule: RuleId::AreaDone.as_str().into(),
                exercise: ex.id.clone(),
                start: t,
                end: t,
                severity: Severity::Info,
                message: m,
                detail: None,
            });
            self.info(RuleId::AreaDone, &format!("good, {tmin:.0} seconds"), t);
        }
        if emit_long {
            let m = format!("More than {:.0} s on {}; move to another area.", tmax, ex.name);
            self.events.push(EventRecord {
                rule: RuleId::AreaTooLong.as_str().into(),
                exercise: ex.id.clone(),
                start: t,
                end: t,
                severity: Severity::Info,
                message: m,
                detail: None,
            });
            self.info(RuleId::AreaTooLong, "next area", t);
        }
    }

    fn record_hold(&mut self, e: usize, start: f64, end: f64) {
        if let Some(a) = self.areas[e].as_mut() {
            a.holds.push(HoldRecord {
                start,
                end,
                duration_s: end - start,
                position: self.hold_pos,
            });
        }
        let ex = &self.exercises[e];
        self.events.push(EventRecord {
            rule: RuleId::Hold.as_str().into(),
            exercise: ex.id.clone(),
            start,
            end,
            severity: Severity::Info,
            message: format!(
                "Held the roller still for {:.0} s at {:.2} of the {}.",
                end - start,
                self.hold_pos,
                ex.segment.name
            ),
            detail: Some(format!("position {:.2}", self.hold_pos)),
        });
    }

    fn info(&mut self, rule: RuleId, text: &str, t: f64) {
        let cue = Cue {
            rule: rule.as_str().into(),
            text: text.into(),
            severity: Severity::Info,
            t,
        };
        self.info_cue = Some(cue.clone());
        self.speak(cue);
    }

    fn speak(&mut self, cue: Cue) {
        if let Some(entry) = self.last_spoken.iter_mut().find(|(txt, _)| *txt == cue.text) {
            if cue.t - entry.1 < CUE_REPEAT_S {
                return;
            }
            entry.1 = cue.t;
        } else {
            self.last_spoken.push((cue.text.clone(), cue.t));
        }
        self.new_cues.push(cue);
    }

    #[allow(clippy::too_many_arguments)]
    fn handle_edge(
        &mut self,
        edge: Edge,
        rule: RuleId,
        severity: Severity,
        exercise: &str,
        message: &str,
        cue: &str,
        detail: Option<String>,
        t: f64,
    ) {
        match edge {
            Edge::None => {}
            Edge::Started { start } => {
                let c = Cue {
                    rule: rule.as_str().into(),
                    text: cue.into(),
                    severity,
                    t,
                };
                self.active.push(ActiveFault { rule, cue: c.clone() });
                self.speak(c);
                // Recorded now with a provisional end; the end is fixed when the event ends.
                self.faults.push(EventRecord {
                    rule: rule.as_str().into(),
                    exercise: exercise.into(),
                    start,
                    end: f64::NAN,
                    severity,
                    message: message.into(),
                    detail,
                });
                if let Some(i) = self.current {
                    if let Some(a) = self.areas[i].as_mut() {
                        a.faults += 1;
                    }
                }
            }
            Edge::Ended { end, .. } => {
                self.active.retain(|a| a.rule != rule);
                if let Some(f) = self
                    .faults
                    .iter_mut()
                    .rev()
                    .find(|f| f.rule == rule.as_str() && f.end.is_nan())
                {
                    f.end = end.max(f.start);
                }
            }
        }
        let _ = t;
    }

    /// Ends every active event at `t` (exercise change, end of session).
    fn end_all(&mut self, t: f64) {
        let Some(e) = self.current else { return };
        let exs = std::sync::Arc::clone(&self.exercises);
        let ex_id = exs[e].id.as_str();
        let edge = self.too_fast.force_end(t);
        self.handle_edge(edge, RuleId::TooFast, Severity::Warning, ex_id, "", "", None, t);
        let edge = self.keep_out.force_end(t);
        self.handle_edge(edge, RuleId::KeepOut, Severity::Critical, ex_id, "", "", None, t);
        for i in 0..self.posture.len() {
            let edge = self.posture[i].force_end(t);
            if let Some(pc) = self.exercises[e].posture.get(i) {
                let rule = pc.rule;
                self.handle_edge(edge, rule, Severity::Warning, ex_id, "", "", None, t);
            }
        }
        if let Some(av) = self.exercises[e].avoid.as_ref() {
            let rule = av.rule;
            let edge = self.avoid.force_end(t);
            self.handle_edge(edge, rule, Severity::Warning, ex_id, "", "", None, t);
        }
        if let Edge::Ended { start, end } = self.hold.force_end(t) {
            self.record_hold(e, start, end);
        }
        self.active.clear();
    }

    /// The cue to show now: the most severe active fault, else a recent info cue.
    pub fn current_cue(&self) -> Option<&Cue> {
        let fault = self
            .active
            .iter()
            .map(|a| &a.cue)
            .max_by(|a, b| a.severity.cmp(&b.severity).then(a.t.total_cmp(&b.t)));
        fault.or_else(|| {
            self.info_cue
                .as_ref()
                .filter(|c| self.metrics.t - c.t <= INFO_CUE_SHOW_S)
        })
    }

    /// Cues that started since the last call (already debounced and de-duplicated), for audio.
    pub fn drain_new_cues(&mut self) -> Vec<Cue> {
        std::mem::take(&mut self.new_cues)
    }

    /// Current target segment endpoints (image px) and the region's start/end fraction, for drawing.
    pub fn segment_px(&self) -> Option<(Keypoint, Keypoint, f32, f32)> {
        let e = self.current?;
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
        let t_end = self.prev_t.unwrap_or(0.0);
        self.end_all(t_end);
        for f in self.faults.iter_mut() {
            if f.end.is_nan() {
                f.end = t_end;
            }
        }
        let mut areas: Vec<AreaReport> = self
            .areas
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.as_ref().map(|a| (i, a)))
            .map(|(i, a)| {
                let ex = &self.exercises[i];
                let speeds: Vec<f32> = a.passes.iter().map(|p| p.speed_cm_s).collect();
                let mean = (!speeds.is_empty()).then(|| speeds.iter().sum::<f32>() / speeds.len() as f32);
                let max = speeds.iter().copied().reduce(f32::max);
                let (tmin, tmax) = ex.thresholds.time_on_area_s;
                let status = if a.time_on_area < tmin as f64 {
                    "short"
                } else if a.time_on_area <= tmax as f64 {
                    "done"
                } else {
                    "long"
                };
                AreaReport {
                    exercise: ex.id.clone(),
                    name: ex.name.clone(),
                    segment: ex.segment.name.clone(),
                    first_t: a.first_t,
                    last_t: a.last_t,
                    time_on_area_s: a.time_on_area,
                    target_time_s: [tmin, tmax],
                    status: status.into(),
                    passes: a.passes.len(),
                    mean_speed_cm_s: mean,
                    max_speed_cm_s: max,
                    max_allowed_speed_cm_s: ex.thresholds.max_speed_cm_s,
                    coverage: a.coverage.fraction(),
                    holds: a.holds.clone(),
                    faults: a.faults,
                    pass_list: a.passes.clone(),
                }
            })
            .collect();
        areas.sort_by(|a, b| a.first_t.total_cmp(&b.first_t));
        let mut faults = self.faults;
        faults.sort_by(|a, b| a.start.total_cmp(&b.start));
        let mut events = self.events;
        events.sort_by(|a, b| a.start.total_cmp(&b.start));
        SessionReport {
            format: report::REPORT_FORMAT.into(),
            duration_s: t_end - self.first_t.unwrap_or(t_end),
            frame_count: self.frames,
            frames_with_pose: self.frames_with_pose,
            frames_with_roller: self.frames_with_roller,
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
    let mut metrics = Vec::with_capacity(track.frames.len());
    for f in &track.frames {
        metrics.push(engine.push(f).clone());
    }
    Ok(Analysis {
        header: track.header.clone(),
        metrics,
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
