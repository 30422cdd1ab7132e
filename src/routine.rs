//! Routines as data (`routines/*.toml`): a named sequence of steps (exercise, side, duration, how to get into
//! position), each routine with its sources; and a pure step machine that guides a live session through one.
//!
//! For each step the machine announces it ("next: right IT band, lie on your side"), counts down, waits until the
//! coach recognises the step's exercise, counts the seconds the roller spends in that exercise's region, and moves
//! on when the step's duration is reached. It ends with what was done against what was planned.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::files::{read_file, write_file, FileError};

pub use crate::report_html::side::Side;

/// File written into the session folder at the end of a routine run.
pub const ROUTINE_FILE: &str = "routine.json";
/// Default countdown between the announcement and the start of a step (s): time to get onto the roller.
pub const DEFAULT_COUNTDOWN_S: f64 = 5.0;
/// The last seconds of the countdown are spoken ("3", "2", "1").
pub const SPOKEN_COUNT: u32 = 3;
/// A time-on-area increase above this in one frame is a jump (a new engine, a recognition switch), not rolling (s).
const MAX_FRAME_GAIN_S: f64 = 1.0;

#[derive(Debug, Error)]
pub enum RoutineError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("routine {name:?} not found in {dir}; available: {available}")]
    NotFound { name: String, dir: PathBuf, available: String },
}

/// One step of a routine.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Exercise id (see `rollcoach exercises`).
    pub exercise: String,
    pub side: Side,
    /// Seconds of rolling in the exercise's region.
    pub duration_s: f64,
    /// How to get into position, said after the step's name.
    pub instruction: String,
}

/// A routine file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routine {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Where the choice of areas and durations comes from.
    pub source: String,
    #[serde(default = "default_countdown")]
    pub countdown_s: f64,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

fn default_countdown() -> f64 {
    DEFAULT_COUNTDOWN_S
}

impl Routine {
    /// Parses and checks a routine; `exercise_ids` are the known exercises.
    pub fn parse(text: &str, path: &Path, exercise_ids: &[&str]) -> Result<Routine, RoutineError> {
        let invalid = |msg: String| RoutineError::from(FileError::invalid(path, msg));
        let r: Routine = toml::from_str(text).map_err(|e| invalid(e.to_string().trim_end().replace('\n', " ")))?;
        if r.steps.is_empty() {
            return Err(invalid("no [[step]]".into()));
        }
        if !(r.countdown_s.is_finite() && (0.0..=60.0).contains(&r.countdown_s)) {
            return Err(invalid(format!("countdown_s {} is outside 0-60 s", r.countdown_s)));
        }
        for (i, s) in r.steps.iter().enumerate() {
            if !exercise_ids.contains(&s.exercise.as_str()) {
                return Err(invalid(format!(
                    "step {}: exercise {:?} is not one of: {}",
                    i + 1,
                    s.exercise,
                    exercise_ids.join(", ")
                )));
            }
            if !(s.duration_s.is_finite() && s.duration_s > 0.0 && s.duration_s <= 600.0) {
                return Err(invalid(format!("step {}: duration_s {} is outside 0-600 s", i + 1, s.duration_s)));
            }
        }
        Ok(r)
    }

    pub fn load(path: &Path, exercise_ids: &[&str]) -> Result<Routine, RoutineError> {
        let text = read_file(path)?;
        Self::parse(&text, path, exercise_ids)
    }

    /// The routine `name` (file stem) from `dir`.
    pub fn load_named(dir: &Path, name: &str, exercise_ids: &[&str]) -> Result<Routine, RoutineError> {
        let path = dir.join(format!("{name}.toml"));
        if path.is_file() {
            return Self::load(&path, exercise_ids);
        }
        let available = list(dir).join(", ");
        Err(RoutineError::NotFound { name: name.into(), dir: dir.into(), available })
    }
}

/// Routine names (file stems) in `dir`, sorted.
pub fn list(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .filter_map(|p| p.file_stem()?.to_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `./routines` if present, else next to the executable (or its parents), else the source tree's.
pub fn default_routines_dir() -> PathBuf {
    let cwd = Path::new("routines");
    if cwd.is_dir() {
        return cwd.into();
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(d) = exe.ancestors().skip(1).take(4).map(|d| d.join("routines")).find(|d| d.is_dir()) {
            return d;
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("routines")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    /// The planned time was reached.
    Done,
    /// Started but the session ended before the planned time.
    Partial,
    NotStarted,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Done => "done",
            StepStatus::Partial => "partial",
            StepStatus::NotStarted => "not started",
        }
    }
}

/// Done vs planned for one step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub exercise: String,
    pub side: Side,
    pub planned_s: f64,
    pub done_s: f64,
    pub status: StepStatus,
    /// Session time the step was announced and finished, s.
    pub announced_t: Option<f64>,
    pub finished_t: Option<f64>,
}

/// What a routine run did (`routine.json` in the session folder).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutineReport {
    pub id: String,
    pub name: String,
    pub completed: bool,
    pub steps: Vec<StepResult>,
}

impl RoutineReport {
    pub fn write(&self, dir: &Path) -> Result<PathBuf, RoutineError> {
        let path = dir.join(ROUTINE_FILE);
        let text = serde_json::to_string_pretty(self).expect("routine report serialises") + "\n";
        write_file(&path, text)?;
        Ok(path)
    }

    /// The `routine.json` in the folder of `file`, if there is a readable one.
    pub fn read_beside(file: &Path) -> Option<RoutineReport> {
        let text = std::fs::read_to_string(file.with_file_name(ROUTINE_FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// One line per step, e.g. `routine step 1/3 quads both: 30.0 of 30 s, done`.
    pub fn summary(&self) -> String {
        let n = self.steps.len();
        let mut s = format!("routine {}: {}\n", self.name, if self.completed { "completed" } else { "not completed" });
        for (i, st) in self.steps.iter().enumerate() {
            s += &format!(
                "  step {}/{n} {} {}: {:.1} of {:.0} s, {}\n",
                i + 1,
                st.exercise,
                st.side.as_str(),
                st.done_s,
                st.planned_s,
                st.status.as_str()
            );
        }
        s
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Counting down to the step's start at `until`; `said` is the last spoken number.
    Countdown {
        until: f64,
        said: u32,
    },
    /// Waiting for the exercise to be recognised / rolling in its region.
    Rolling,
    Finished,
}

/// A routine being run: feed it every processed frame with [`RoutineRun::update`].
#[derive(Debug, Clone)]
pub struct RoutineRun {
    routine: Routine,
    names: Vec<String>,
    step: usize,
    phase: Phase,
    results: Vec<StepResult>,
    /// (area, time on area) at the previous frame, to turn the engine's running total into per-frame gains.
    last_area: Option<(String, f64)>,
    started: bool,
}

impl RoutineRun {
    /// `exercise_name` gives the spoken name of an exercise id (e.g. `it_band` -> "IT band").
    pub fn new(routine: Routine, exercise_name: impl Fn(&str) -> String) -> Self {
        let names = routine.steps.iter().map(|s| exercise_name(&s.exercise)).collect();
        let results = routine
            .steps
            .iter()
            .map(|s| StepResult {
                exercise: s.exercise.clone(),
                side: s.side,
                planned_s: s.duration_s,
                done_s: 0.0,
                status: StepStatus::NotStarted,
                announced_t: None,
                finished_t: None,
            })
            .collect();
        Self { routine, names, step: 0, phase: Phase::Rolling, results, last_area: None, started: false }
    }

    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    fn announce(&mut self, t: f64) -> String {
        let (st, name) = (&self.routine.steps[self.step], &self.names[self.step]);
        self.results[self.step].announced_t = Some(t);
        self.phase = Phase::Countdown { until: t + self.routine.countdown_s, said: u32::MAX };
        let side = if st.side == Side::Both { String::new() } else { format!("{} ", st.side.as_str()) };
        format!("next: {side}{name}, {}", st.instruction)
    }

    /// One frame: session time `t`, the exercise the coach currently sees (`None` while recognising) and its time on
    /// area so far. Returns the text to say now, if any.
    pub fn update(&mut self, t: f64, seen: Option<&str>, time_on_area_s: f64) -> Option<String> {
        let gain = self.gain(seen, time_on_area_s);
        if !self.started {
            self.started = true;
            return Some(self.announce(t));
        }
        match self.phase {
            Phase::Finished => None,
            Phase::Countdown { until, said } => {
                let left = (until - t).ceil().max(0.0) as u32;
                if left == 0 {
                    self.phase = Phase::Rolling;
                    return Some("go".into());
                }
                (left <= SPOKEN_COUNT && left < said).then(|| {
                    self.phase = Phase::Countdown { until, said: left };
                    left.to_string()
                })
            }
            Phase::Rolling => {
                let st = &self.routine.steps[self.step];
                if seen == Some(st.exercise.as_str()) {
                    self.results[self.step].done_s += gain;
                    self.results[self.step].status = StepStatus::Partial;
                }
                (self.results[self.step].done_s >= st.duration_s).then(|| self.finish_step(t))
            }
        }
    }

    fn gain(&mut self, seen: Option<&str>, time_on_area_s: f64) -> f64 {
        let Some(area) = seen else { return 0.0 };
        let gain = match &self.last_area {
            Some((a, prev)) if a == area => time_on_area_s - prev,
            _ => 0.0,
        };
        self.last_area = Some((area.to_string(), time_on_area_s));
        if (0.0..=MAX_FRAME_GAIN_S).contains(&gain) {
            gain
        } else {
            0.0
        }
    }

    fn finish_step(&mut self, t: f64) -> String {
        let r = &mut self.results[self.step];
        r.status = StepStatus::Done;
        r.finished_t = Some(t);
        let done = format!("{} done", self.names[self.step]);
        self.step += 1;
        if self.step == self.results.len() {
            self.phase = Phase::Finished;
            return format!("{done}, routine complete");
        }
        format!("{done}. {}", self.announce(t))
    }

    /// Done vs planned so far.
    pub fn report(&self) -> RoutineReport {
        RoutineReport {
            id: self.routine.id.clone(),
            name: self.routine.name.clone(),
            completed: self.is_finished(),
            steps: self.results.clone(),
        }
    }
}

/// The live loop's hook: the routine's cue for this frame (spoken before any engine cue), from what the coach sees.
pub fn live_cue(
    run: Option<&mut RoutineRun>,
    t: f64,
    view: &crate::hud::coach_view::CoachView,
) -> Option<crate::live::cues::LiveCue> {
    let seen = view.exercise.as_ref().map(|(id, _)| id.as_str());
    let text = run?.update(t, seen, view.time_on_area_s)?;
    Some(crate::live::cues::LiveCue { rule: "routine".into(), text, severity: crate::live::cues::Severity::Info })
}
