//! The coaching engine as the live loop sees it: one `Engine` (rebuilt when the user switches exercise) turned into
//! what the HUD, the cue scheduler and the session writer need per frame.

use crate::coach::{CoachError, Engine, EngineConfig, Exercise, PostureKind, RuleId};
use crate::coach::{FrameMetrics, SessionReport};
use crate::landmarks::{Pose, RollerObs, NUM_LANDMARKS};
use crate::posetrack::TrackFrame;

use crate::live::cues::{LiveCue, Severity};
use super::overlay::{rule_landmarks, Hud, JointState, SegmentPx, TopPanel};

/// Target slow-rolling speed (cm/s) shown before an exercise is known (product spec: about 1 inch per second).
pub const DEFAULT_TARGET_SPEED_CM_S: f32 = 2.5;
/// Too-fast speed (cm/s) shown before an exercise is known (Behm et al. 2020: 2-4 s per pass).
pub const DEFAULT_MAX_SPEED_CM_S: f32 = 15.0;
/// Recommended time per area (s) shown before an exercise is known (Behm et al. 2020: 30-120 s per area).
pub const DEFAULT_TIME_TARGET_S: (f64, f64) = (30.0, 120.0);
/// Label while the engine recognises the exercise.
pub const AUTO_LABEL: &str = "Auto";

/// Per-frame coaching state for the HUD and session.
#[derive(Debug, Clone)]
pub struct CoachView {
    /// Exercise being coached (recognised or chosen): id, name.
    pub exercise: Option<(String, String)>,
    pub segment: Option<SegmentPx>,
    pub contact_px: Option<(f32, f32)>,
    pub speed_cm_s: Option<f32>,
    pub passes: u32,
    pub time_on_area_s: f64,
    pub target_speed_cm_s: f32,
    pub max_speed_cm_s: f32,
    pub time_target_s: (f64, f64),
    /// The engine's current cue (shown on screen).
    pub current_cue: Option<(String, Severity)>,
    /// Massage balls: seconds held on the spot and the [min, max] hold time (the big hold timer).
    pub ball_hold: Option<(f64, (f64, f64))>,
}

impl CoachView {
    /// The HUD for this view; the caller adds what only it knows (cue shown, placement, status, fps).
    pub fn hud<'a>(
        &'a self,
        pose: Option<&'a Pose>,
        joints: &'a [JointState; NUM_LANDMARKS],
        roller: Option<RollerObs>,
        exercise_label: &'a str,
    ) -> Hud<'a> {
        Hud {
            pose,
            joints: Some(joints),
            roller,
            contact_px: self.contact_px,
            segment: self.segment.as_ref(),
            panel: TopPanel {
                exercise: exercise_label,
                time_on_area_s: self.time_on_area_s,
                time_target_s: self.time_target_s,
                passes: self.passes,
                speed_cm_s: self.speed_cm_s,
                target_speed_cm_s: self.target_speed_cm_s,
                max_speed_cm_s: self.max_speed_cm_s,
            },
            cue: self.current_cue.as_ref().map(|(t, s)| (t.as_str(), *s)),
            hold: self.ball_hold,
            ..Hud::default()
        }
    }
}

impl CoachView {
    /// This view for a frame scaled by `s` (image-pixel positions times `s`).
    pub fn scaled(&self, s: f32) -> CoachView {
        let sc = |(x, y): (f32, f32)| (x * s, y * s);
        CoachView {
            contact_px: self.contact_px.map(sc),
            segment: self.segment.as_ref().map(|g| SegmentPx { from: sc(g.from), to: sc(g.to), ..g.clone() }),
            ..self.clone()
        }
    }
}

impl Default for CoachView {
    fn default() -> Self {
        Self {
            exercise: None,
            segment: None,
            contact_px: None,
            speed_cm_s: None,
            passes: 0,
            time_on_area_s: 0.0,
            target_speed_cm_s: DEFAULT_TARGET_SPEED_CM_S,
            max_speed_cm_s: DEFAULT_MAX_SPEED_CM_S,
            time_target_s: DEFAULT_TIME_TARGET_S,
            current_cue: None,
            ball_hold: None,
        }
    }
}

/// The live coach: an engine plus the exercise choice cycle (auto-recognition, then each exercise).
pub struct LiveCoach {
    cfg: EngineConfig,
    engine: Engine,
    /// `None` = recognise automatically.
    choices: Vec<Option<String>>,
    choice: usize,
    /// Rules of the current exercise with their landmarks (rebuilt when the exercise changes).
    watch: Vec<(&'static str, Severity, Vec<usize>)>,
    faults: Vec<&'static str>,
}

impl LiveCoach {
    /// `exercise`: start with this exercise (`None` = recognise automatically).
    pub fn new(cfg: EngineConfig, exercise: Option<String>) -> Result<Self, CoachError> {
        let mut cfg = cfg;
        cfg.exercise = exercise.clone();
        let engine = Engine::new(cfg.clone())?;
        let mut choices: Vec<Option<String>> = vec![None];
        choices.extend(engine.exercises().iter().map(|e| Some(e.id.clone())));
        let choice = choices.iter().position(|c| *c == exercise).unwrap_or(0);
        Ok(Self { cfg, engine, choices, choice, watch: Vec::new(), faults: Vec::with_capacity(8) })
    }

    /// What the user chose: an exercise id, or `auto`.
    pub fn choice_id(&self) -> &str {
        self.choices[self.choice].as_deref().unwrap_or("auto")
    }

    /// Switches to the next choice (auto -> each exercise -> auto). A new engine starts (totals per area restart).
    pub fn next_exercise(&mut self) -> Result<(), CoachError> {
        self.choice = (self.choice + 1) % self.choices.len();
        self.cfg.exercise = self.choices[self.choice].clone();
        self.engine = Engine::new(self.cfg.clone())?;
        self.watch.clear();
        Ok(())
    }

    /// The engine's metrics of the last frame pushed.
    pub fn metrics(&self) -> &FrameMetrics {
        self.engine.metrics()
    }

    /// What the last frame's recognition says about the frames before it (recorded clips).
    pub fn hindsight(&self) -> Option<crate::coach::hindsight::Hindsight> {
        self.engine.hindsight()
    }

    /// Ends the session: the engine's report.
    pub fn finish(self) -> SessionReport {
        self.engine.finish()
    }

    pub fn current_exercise(&self) -> Option<&Exercise> {
        self.engine.current_exercise()
    }

    /// Feeds one frame and returns the view (owned copy; the live loop uses [`LiveCoach::update`]).
    pub fn push(
        &mut self,
        frame: &TrackFrame,
        cues: &mut Vec<LiveCue>,
        joints: &mut [JointState; NUM_LANDMARKS],
    ) -> CoachView {
        let mut view = CoachView::default();
        self.update(frame, cues, joints, &mut view);
        view
    }

    /// Feeds one frame; new cues are appended to `cues`, joint rule states written to `joints`, and `view` updated
    /// in place (strings and vectors are only rewritten when they change, so a steady session allocates little).
    pub fn update(
        &mut self,
        frame: &TrackFrame,
        cues: &mut Vec<LiveCue>,
        joints: &mut [JointState; NUM_LANDMARKS],
        view: &mut CoachView,
    ) {
        let m = self.engine.push(frame);
        let (speed, passes, time_on_area, contact) = (m.area.speed_cm_s, m.area.passes as u32, m.area.time_on_area_s, m.area.contact);
        self.faults.clear();
        self.faults.extend(m.faults.iter().map(|r| r.as_str()));
        for c in self.engine.drain_new_cues() {
            cues.push(LiveCue { rule: c.rule.as_str().into(), text: c.text, severity: c.severity });
        }
        view.speed_cm_s = speed;
        view.passes = passes;
        view.time_on_area_s = time_on_area;
        view.ball_hold = self.engine.ball_hold();
        match self.engine.current_cue() {
            Some(c) => {
                let sev = c.severity;
                if view.current_cue.as_ref().is_none_or(|(t, s)| t != &c.text || *s != sev) {
                    view.current_cue = Some((c.text.clone(), sev));
                }
            }
            None => view.current_cue = None,
        }
        joints.fill(JointState::Neutral);
        let Some(ex) = self.engine.current_exercise() else {
            view.exercise = None;
            view.segment = None;
            view.contact_px = None;
            return;
        };
        if view.exercise.as_ref().is_none_or(|(id, _)| id != &ex.id) {
            view.exercise = Some((ex.id.clone(), ex.name.clone()));
            self.watch = watched(ex);
        }
        view.target_speed_cm_s = ex.thresholds.target_speed_cm_s;
        view.max_speed_cm_s = ex.thresholds.max_speed_cm_s;
        view.time_target_s = (ex.thresholds.time_on_area_s.0 as f64, ex.thresholds.time_on_area_s.1 as f64);
        match self.engine.segment_px() {
            Some((a, b, r0, r1)) => {
                let seg = view.segment.get_or_insert_with(|| SegmentPx {
                    from: (0.0, 0.0),
                    to: (0.0, 0.0),
                    region: (0.0, 0.0),
                    keep_out: Vec::new(),
                });
                seg.from = (a.x, a.y);
                seg.to = (b.x, b.y);
                seg.region = (r0, r1);
                seg.keep_out.clear();
                seg.keep_out.extend(ex.keep_out.iter().map(|z| (z.start, z.end)));
                view.contact_px = contact.map(|t| (a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t));
            }
            None => {
                view.segment = None;
                view.contact_px = None;
            }
        }
        apply_joint_states(&self.watch, &self.faults, joints);
    }
}

/// Landmarks each of an exercise's rules watches: posture checks name theirs; roller rules use the segment.
fn watched(ex: &Exercise) -> Vec<(&'static str, Severity, Vec<usize>)> {
    let (f, t) = (ex.segment.from.sides(), ex.segment.to.sides());
    let segment = vec![f.0, f.1, t.0, t.1];
    let mut out = vec![(RuleId::TooFast.as_str(), Severity::Warning, segment.clone())];
    if !ex.keep_out.is_empty() {
        out.push((RuleId::KeepOut.as_str(), Severity::Critical, segment.clone()));
    }
    for p in &ex.posture {
        let refs = match &p.kind {
            PostureKind::MinHeight { landmark, .. } => vec![*landmark],
            PostureKind::Straight { a, b, c, .. } => vec![*a, *b, *c],
            PostureKind::Near { landmark, target, .. } => vec![*landmark, *target],
        };
        let idx = refs.iter().flat_map(|r| {
            let (l, r) = r.sides();
            [l, r]
        });
        out.push((p.fault.rule.as_str(), p.fault.severity, idx.collect()));
    }
    if let Some(a) = &ex.avoid {
        out.push((a.rule.as_str(), a.severity, rule_landmarks(a.rule.as_str(), &segment)));
    }
    out
}

/// Joints watched by the exercise are `Ok`; those of an active fault take the fault's severity (worst wins).
pub fn exercise_joint_states(ex: &Exercise, faults: &[&str], joints: &mut [JointState; NUM_LANDMARKS]) {
    apply_joint_states(&watched(ex), faults, joints);
}

fn apply_joint_states(
    watch: &[(&'static str, Severity, Vec<usize>)],
    faults: &[&str],
    joints: &mut [JointState; NUM_LANDMARKS],
) {
    joints.fill(JointState::Neutral);
    for (rule, sev, lms) in watch {
        let state = if faults.contains(rule) {
            match sev {
                Severity::Critical => JointState::Fault,
                Severity::Warning => JointState::Warn,
                Severity::Info => JointState::Ok,
            }
        } else {
            JointState::Ok
        };
        for &i in lms {
            joints[i] = joints[i].max(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coach::default_exercises_dir;
    use crate::landmarks::idx;

    fn coach(ex: Option<&str>) -> LiveCoach {
        LiveCoach::new(EngineConfig::new(default_exercises_dir()), ex.map(str::to_string)).unwrap()
    }

    #[test]
    fn switching_cycles_through_auto_and_every_exercise() {
        let mut c = coach(None);
        assert_eq!(c.choice_id(), "auto");
        let n = c.choices.len();
        assert!(n > 2);
        let mut seen = vec![c.choice_id().to_string()];
        for _ in 0..n - 1 {
            c.next_exercise().unwrap();
            seen.push(c.choice_id().to_string());
        }
        c.next_exercise().unwrap();
        assert_eq!(c.choice_id(), "auto");
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), n);
        assert_eq!(coach(Some("quads")).choice_id(), "quads");
    }

    #[test]
    fn quads_faults_colour_the_right_joints() {
        let c = coach(Some("quads"));
        let ex = c.engine.exercises().iter().find(|e| e.id == "quads").unwrap();
        let mut j = [JointState::Neutral; NUM_LANDMARKS];
        exercise_joint_states(ex, &[], &mut j);
        assert_eq!(j[idx::LEFT_KNEE], JointState::Ok);
        assert_eq!(j[idx::NOSE], JointState::Neutral);
        exercise_joint_states(ex, &["keep_out"], &mut j);
        assert_eq!(j[idx::LEFT_KNEE], JointState::Fault);
        exercise_joint_states(ex, &["plank_line"], &mut j);
        assert_eq!(j[idx::LEFT_SHOULDER], JointState::Warn);
        assert_eq!(j[idx::LEFT_KNEE], JointState::Warn);
    }

    #[test]
    fn synthetic_quads_session_drives_hud_metrics_and_fault_colours() {
        use crate::synth::{generate, FaultSpec, SynthConfig};
        let mut c = coach(Some("quads"));
        let ex = c.engine.exercises().iter().find(|e| e.id == "quads").unwrap().clone();
        let cfg = SynthConfig {
            duration_s: 20.0,
            faults: vec![FaultSpec { rule: RuleId::KeepOut, onset_s: 10.0, duration_s: 3.0 }],
            ..SynthConfig::default()
        };
        let (track, _truth) = generate(&ex, &cfg).unwrap();
        let mut joints = [JointState::Neutral; NUM_LANDMARKS];
        let mut cues = Vec::new();
        let mut saw_knee_fault = false;
        let mut last = CoachView::default();
        let mut with_segment = 0;
        for f in &track.frames {
            last = c.push(f, &mut cues, &mut joints);
            saw_knee_fault |= joints[idx::LEFT_KNEE] == JointState::Fault;
            with_segment += last.segment.is_some() as usize;
        }
        assert_eq!(last.exercise.as_ref().map(|e| e.0.as_str()), Some("quads"));
        assert!(with_segment * 2 > track.frames.len(), "segment known in {with_segment} frames");
        assert!(last.passes >= 1 && last.time_on_area_s > 5.0, "{last:?}");
        assert!(last.speed_cm_s.is_some() || last.contact_px.is_some(), "{last:?}");
        assert!(saw_knee_fault, "keep_out fault never coloured the knee");
        assert!(cues.iter().any(|c| c.rule == "keep_out" && c.severity == Severity::Critical), "{cues:?}");
        assert_eq!((last.target_speed_cm_s, last.max_speed_cm_s), (2.5, 15.0));
        // Control: the same session without the injected fault never shows it.
        let (clean, _) = generate(&ex, &SynthConfig { faults: vec![], ..cfg.clone() }).unwrap();
        let mut c = coach(Some("quads"));
        let mut clean_cues = Vec::new();
        let mut knee_fault_clean = false;
        for f in &clean.frames {
            c.push(f, &mut clean_cues, &mut joints);
            knee_fault_clean |= joints[idx::LEFT_KNEE] == JointState::Fault;
        }
        assert!(!knee_fault_clean && !clean_cues.iter().any(|c| c.rule == "keep_out"), "{clean_cues:?}");
        // The HUD draws the region along the segment.
        let mut img = opencv::core::Mat::new_rows_cols_with_default(
            480,
            640,
            opencv::core::CV_8UC3,
            opencv::core::Scalar::all(90.0),
        )
        .unwrap();
        let seg = last.segment.clone().unwrap();
        let panel = crate::hud::overlay::TopPanel { exercise: "Quadriceps", ..Default::default() };
        let hud = crate::hud::overlay::Hud { segment: Some(&seg), panel, ..Default::default() };
        crate::hud::overlay::draw_hud(&mut img, &hud).unwrap();
        let all = opencv::core::Rect::new(0, 60, 640, 420);
        assert!(crate::hud::overlay::count_color(&img, all, crate::hud::overlay::REGION_COLOR) > 100);
    }
}
