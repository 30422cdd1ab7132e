//! The coaching engine as the live loop sees it: one `Engine` (rebuilt when the user switches exercise) turned into
//! what the HUD, the cue scheduler and the session writer need per frame.

use crate::coach::{
    CoachError, Engine, EngineConfig, Exercise, PostureKind, RuleId, Severity as EngineSeverity,
};
use crate::landmarks::NUM_LANDMARKS;
use crate::posetrack::TrackFrame;

use super::cues::{LiveCue, Severity};
use super::overlay::{rule_landmarks, JointState, SegmentPx};

/// Target slow-rolling speed (cm/s) shown before an exercise is known (product spec: about 1 inch per second).
pub const DEFAULT_TARGET_SPEED_CM_S: f32 = 2.5;
/// Too-fast speed (cm/s) shown before an exercise is known (Behm et al. 2020: 2-4 s per pass).
pub const DEFAULT_MAX_SPEED_CM_S: f32 = 15.0;
/// Recommended time per area (s) shown before an exercise is known (Behm et al. 2020: 30-120 s per area).
pub const DEFAULT_TIME_TARGET_S: (f64, f64) = (30.0, 120.0);
/// Label while the engine recognises the exercise.
pub const AUTO_LABEL: &str = "Auto";

/// Engine severity -> live severity (beep pattern, colour).
pub fn live_severity(s: EngineSeverity) -> Severity {
    match s {
        EngineSeverity::Info => Severity::Info,
        EngineSeverity::Warning => Severity::Warn,
        EngineSeverity::Critical => Severity::Fault,
    }
}

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
        Ok(Self {
            cfg,
            engine,
            choices,
            choice,
        })
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
        Ok(())
    }

    pub fn current_exercise(&self) -> Option<&Exercise> {
        self.engine.current_exercise()
    }

    /// Feeds one frame; new cues are appended to `cues`, joint rule states written to `joints`.
    pub fn push(
        &mut self,
        frame: &TrackFrame,
        cues: &mut Vec<LiveCue>,
        joints: &mut [JointState; NUM_LANDMARKS],
    ) -> CoachView {
        let m = self.engine.push(frame).clone();
        cues.extend(self.engine.drain_new_cues().into_iter().map(|c| LiveCue {
            rule: c.rule,
            text: c.text,
            severity: live_severity(c.severity),
        }));
        let mut view = CoachView {
            speed_cm_s: m.speed_cm_s,
            passes: m.passes as u32,
            time_on_area_s: m.time_on_area_s,
            current_cue: self
                .engine
                .current_cue()
                .map(|c| (c.text.clone(), live_severity(c.severity))),
            ..CoachView::default()
        };
        joints.fill(JointState::Neutral);
        let Some(ex) = self.engine.current_exercise() else {
            return view;
        };
        view.exercise = Some((ex.id.clone(), ex.name.clone()));
        view.target_speed_cm_s = ex.thresholds.target_speed_cm_s;
        view.max_speed_cm_s = ex.thresholds.max_speed_cm_s;
        view.time_target_s = (
            ex.thresholds.time_on_area_s.0 as f64,
            ex.thresholds.time_on_area_s.1 as f64,
        );
        if let Some((a, b, r0, r1)) = self.engine.segment_px() {
            view.segment = Some(SegmentPx {
                from: (a.x, a.y),
                to: (b.x, b.y),
                region: (r0, r1),
                keep_out: ex.keep_out.iter().map(|z| (z.start, z.end)).collect(),
            });
            view.contact_px = m
                .contact
                .map(|t| (a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t));
        }
        exercise_joint_states(ex, &m.faults, joints);
        view
    }
}

/// Landmarks each of an exercise's rules watches: posture checks name theirs; roller rules use the segment.
fn watched(ex: &Exercise) -> Vec<(&'static str, Severity, Vec<usize>)> {
    let (f, t) = (ex.segment.from.sides(), ex.segment.to.sides());
    let segment = vec![f.0, f.1, t.0, t.1];
    let mut out = vec![(RuleId::TooFast.as_str(), Severity::Warn, segment.clone())];
    if !ex.keep_out.is_empty() {
        out.push((RuleId::KeepOut.as_str(), Severity::Fault, segment.clone()));
    }
    for p in &ex.posture {
        let refs = match &p.kind {
            PostureKind::MinHeight { landmark, .. } => vec![*landmark],
            PostureKind::Straight { a, b, c, .. } => vec![*a, *b, *c],
            PostureKind::Near {
                landmark, target, ..
            } => vec![*landmark, *target],
        };
        let idx = refs.iter().flat_map(|r| {
            let (l, r) = r.sides();
            [l, r]
        });
        out.push((p.rule.as_str(), live_severity(p.severity), idx.collect()));
    }
    if let Some(a) = &ex.avoid {
        out.push((
            a.rule.as_str(),
            live_severity(a.severity),
            rule_landmarks(a.rule.as_str(), &segment),
        ));
    }
    out
}

/// Joints watched by the exercise are `Ok`; those of an active fault take the fault's severity (worst wins).
pub fn exercise_joint_states(
    ex: &Exercise,
    faults: &[&str],
    joints: &mut [JointState; NUM_LANDMARKS],
) {
    joints.fill(JointState::Neutral);
    for (rule, sev, lms) in watched(ex) {
        let state = if faults.contains(&rule) {
            match sev {
                Severity::Fault => JointState::Fault,
                Severity::Warn => JointState::Warn,
                Severity::Info => JointState::Ok,
            }
        } else {
            JointState::Ok
        };
        for i in lms {
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
        LiveCoach::new(
            EngineConfig::new(default_exercises_dir()),
            ex.map(str::to_string),
        )
        .unwrap()
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
        let ex = c
            .engine
            .exercises()
            .iter()
            .find(|e| e.id == "quads")
            .unwrap();
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
}
