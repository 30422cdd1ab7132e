//! The live loop: capture thread -> latest-frame slot -> pipeline -> HUD -> window + cues + session files.
//!
//! `LiveLoop` holds the session's state; each frame goes through its named steps: `perceive` (pose measured on the
//! model thread, or predicted while it is busy: `worker::Perception`), `check_placement`, `schedule_cues`,
//! `log_progress`, `draw`, `present`. Session files and cue players run on the writer thread (`writer.rs`), never
//! on the frame thread.
//!
//! Latency is measured per frame from the moment the frame left the source (capture thread) to the moment its HUD is
//! drawn; `bench` prints its median and p99 with the loop's frame rate.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use opencv::core::Mat;
use thiserror::Error;

use super::audio::{AudioConfig, AudioError};
use super::capture::{
    CameraRequest, CameraSource, CaptureConfig, CaptureError, CaptureEvent, CaptureThread, CapturedFrame, Opener,
    Paced, RETRY_INTERVAL,
};
use super::cues::{CueScheduler, LiveCue, Severity};
use super::session::{unix_now, Event, SessionError, SessionMeta, SessionWriter, SESSION_FORMAT};
use super::window::{Action, LiveWindow, WindowError};
use super::worker::Perception;
use super::writer::{WriterError, WriterThread};
use crate::coach::{CoachError, EngineConfig};
use crate::hud::coach_view::{CoachView, LiveCoach, AUTO_LABEL};
use crate::hud::overlay::{self, Check, Hud, JointState, PlacementReport, TopPanel};
use crate::landmarks::{Pose, RollerObs, NUM_LANDMARKS};
use crate::pipeline::{Pipeline, PipelineConfig, PipelineError};
use crate::posetrack::TrackFrame;
use crate::source::{FrameSource, SourceInfo, VideoFileSource};

#[derive(Debug, Error)]
pub enum LiveError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("{0}")]
    SourceOpen(String),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Coach(#[from] CoachError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Window(#[from] WindowError),
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error("drawing the overlay failed: {0}")]
    Draw(#[from] opencv::Error),
    #[error("{path}: cannot write screenshot: {msg}")]
    Screenshot { path: PathBuf, msg: String },
    #[error(transparent)]
    Writer(#[from] WriterError),
    #[error("cannot start the session writer thread: {0}")]
    Thread(String),
}

/// Where frames come from.
#[derive(Debug, Clone)]
pub enum SourceSpec {
    Camera(CameraRequest),
    /// A clip played at its own frame rate (or as fast as possible when `paced` is false).
    Clip {
        path: PathBuf,
        paced: bool,
        repeats: u32,
    },
}

#[derive(Debug, Clone)]
pub struct LiveConfig {
    pub source: SourceSpec,
    pub pipeline: PipelineConfig,
    /// Coaching engine settings (exercises folder, roller diameter; size and fps are taken from the source).
    pub engine: EngineConfig,
    /// Exercise to coach; `None` = recognise automatically.
    pub exercise: Option<String>,
    pub window: bool,
    pub audio: AudioConfig,
    pub sessions_dir: PathBuf,
    /// Write the window's pixels (or the composed frame with `--no-window`) to this PNG at `screenshot_at` s.
    pub screenshot: Option<(PathBuf, f64)>,
    /// Stop after this many seconds of session time.
    pub max_seconds: Option<f64>,
    /// Collect and print latency/fps statistics.
    pub bench: bool,
    pub quiet: bool,
    /// A routine to guide through (`--routine`).
    pub routine: Option<crate::routine::RoutineRun>,
}

/// Placement is checked during the first seconds of a session (and until a person has been seen).
pub const PLACEMENT_CHECK_S: f64 = 4.0;
/// Placement verdict (and its cue) is given after this many seconds of looking.
pub const PLACEMENT_VERDICT_S: f64 = 1.0;
/// No person for this long: cue "get in frame".
pub const NO_PERSON_CUE_S: f64 = 3.0;
/// A cue stays on screen this long (s).
pub const CUE_DISPLAY_S: f64 = 3.5;
/// Progress events are written this often (s).
pub const PROGRESS_INTERVAL_S: f64 = 1.0;
/// Wait for a frame at most this long before servicing the window and events.
const FRAME_WAIT: Duration = Duration::from_millis(50);

/// What a live run measured.
#[derive(Debug, Clone, Default)]
pub struct LiveStats {
    pub frames: u64,
    pub frames_with_person: u64,
    /// Frames shown with a predicted pose (the model worker was busy with an earlier frame; see `worker.rs`).
    pub predicted: u64,
    /// Measured frames on which the roller step was skipped (the last roller kept; see `budget::FrameBudget`).
    pub roller_kept: u64,
    pub dropped: u64,
    pub wall_s: f64,
    pub session_s: f64,
    /// Per-frame latencies and step times.
    pub timings: LiveTimings,
    pub cues: Vec<(f64, String)>,
    pub session_dir: Option<PathBuf>,
    pub width: u32,
    pub height: u32,
    /// Done vs planned of the routine, if one was run.
    pub routine: Option<crate::routine::RoutineReport>,
}

/// Per-frame times of a live run, ms.
#[derive(Debug, Clone, Default)]
pub struct LiveTimings {
    /// Capture-to-overlay latency per processed frame (ms).
    pub latencies_ms: Vec<f64>,
    /// Of which: waiting in the hand-over slot (ms), and pose pipeline + engine (ms).
    pub wait_ms: Vec<f64>,
    pub process_ms: Vec<f64>,
    /// Wall time of the pose step (models + smoothing) and of the roller step on the frames they ran (ms).
    pub pose_ms: Vec<f64>,
    pub roller_ms: Vec<f64>,
    /// Per frame shown with a pose: from the capture of the frame the pose was measured on to the overlay (ms).
    pub pose_age_ms: Vec<f64>,
    shown_measured_at: Option<Instant>,
}

impl LiveStats {
    /// Books what the models gave on a frame.
    fn measurement(&mut self, seen: &super::worker::Perceived) {
        self.predicted += !seen.measured as u64;
        if let Some((plan, times)) = seen.arrived {
            self.roller_kept += !plan.roller as u64;
            self.timings.pose_ms.extend(times.pose_s.map(|s| s * 1e3));
            self.timings.roller_ms.extend(times.roller_s.map(|s| s * 1e3));
        }
        self.timings.shown_measured_at = seen.pose.and(seen.measured_at);
    }

    pub fn fps(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.frames as f64 / self.wall_s
        } else {
            0.0
        }
    }
}

fn opener(spec: &SourceSpec, epoch: Instant) -> Opener {
    match spec.clone() {
        SourceSpec::Camera(req) => Box::new(move || {
            CameraSource::open(req, epoch).map(|c| Box::new(c) as Box<dyn FrameSource>).map_err(|e| e.to_string())
        }),
        SourceSpec::Clip { path, paced, .. } => Box::new(move || {
            let s = VideoFileSource::open(&path).map_err(|e| e.to_string())?;
            Ok(if paced { Box::new(Paced::new(s)) as Box<dyn FrameSource> } else { Box::new(s) })
        }),
    }
}

/// Short spoken text for the first failed placement item.
fn placement_cue(p: &PlacementReport) -> LiveCue {
    let bad = |c: &Check| matches!(c, Check::Bad(_));
    let (rule, text, severity) = if p.all_ok() {
        ("placement", "camera good, start rolling", Severity::Info)
    } else if bad(&p.light) {
        ("placement", "more light please", Severity::Warning)
    } else if bad(&p.whole_body) {
        ("placement", "whole body in frame", Severity::Warning)
    } else if bad(&p.side_view) {
        ("placement", "camera to your side", Severity::Warning)
    } else {
        ("no_person", "get in frame", Severity::Warning)
    };
    LiveCue { rule: rule.into(), text: text.into(), severity }
}

/// Runs a live session until the source ends, the user quits, or `max_seconds` pass.
pub fn run_live(cfg: &LiveConfig) -> Result<LiveStats, LiveError> {
    // Load the model before the clock starts, so a clip does not play while the model loads.
    let pipeline = Pipeline::new(&cfg.pipeline)?;
    let epoch = Instant::now();
    let (retry, repeats, lossless) = match &cfg.source {
        SourceSpec::Camera(_) => (true, 1, false),
        SourceSpec::Clip { paced, repeats, .. } => (false, *repeats, !*paced),
    };
    let source_name = match &cfg.source {
        SourceSpec::Camera(r) => format!("camera {}", r.index),
        SourceSpec::Clip { path, .. } => path.display().to_string(),
    };
    let capture_cfg = CaptureConfig { retry, retry_interval: RETRY_INTERVAL, lossless, repeats };
    run_live_with(cfg, pipeline, opener(&cfg.source, epoch), capture_cfg, source_name)
}

/// The live loop over any source: `open` (re)opens it in the capture thread; with `capture_cfg.retry` a failing
/// source is reported as a lost camera and reopened. `cfg.source` is not used.
pub fn run_live_with(
    cfg: &LiveConfig,
    pipeline: Pipeline,
    open: Opener,
    capture_cfg: CaptureConfig,
    source_name: String,
) -> Result<LiveStats, LiveError> {
    let (retry, lossless) = (capture_cfg.retry, capture_cfg.lossless);
    let mut capture = CaptureThread::spawn(open, capture_cfg)?;
    let info = loop {
        match capture.events.recv_timeout(Duration::from_secs(30)) {
            Ok(CaptureEvent::Opened(info)) => break info,
            Ok(CaptureEvent::OpenFailed { msg, fatal: true }) => return Err(LiveError::SourceOpen(msg)),
            Ok(_) => continue,
            Err(_) => return Err(LiveError::SourceOpen("the video source did not start within 30 s".into())),
        }
    };
    let perception = Perception::new(pipeline, info.fps, lossless)?;
    let mut live = LiveLoop::start(cfg, perception, info, source_name, retry)?;
    live.run(&mut capture)?;
    live.finish(capture)
}

/// Frames per second over the last 2 s, for the HUD.
#[derive(Default)]
struct FpsMeter(std::collections::VecDeque<Instant>);

impl FpsMeter {
    fn tick(&mut self) -> Option<f64> {
        let now = Instant::now();
        self.0.push_back(now);
        while self.0.len() > 1 && now.duration_since(self.0[0]) > Duration::from_secs(2) {
            self.0.pop_front();
        }
        (self.0.len() > 1).then(|| (self.0.len() - 1) as f64 / now.duration_since(self.0[0]).as_secs_f64())
    }
}

/// Cue and guidance state: the scheduler, the cue on screen, the start-up placement check, progress events.
struct CueState {
    sched: CueScheduler,
    shown: Option<(LiveCue, f64)>,
    new_cues: Vec<LiveCue>,
    placement: Option<PlacementReport>,
    placement_done: bool,
    last_person_t: f64,
    last_progress_t: f64,
    /// The routine being guided through, if any; its cues go ahead of the engine's.
    routine: Option<crate::routine::RoutineRun>,
}

/// What the HUD shows besides the frame's own results.
struct HudState {
    view: CoachView,
    joints: [JointState; NUM_LANDMARKS],
    exercise_label: String,
    /// "Camera lost" and the like.
    status: Option<String>,
    paused: bool,
    fps: FpsMeter,
    actions: Vec<Action>,
}

const PAUSED_STATUS: &str = "Paused - space to resume";

/// One live session: the frame loop's state and its named steps.
struct LiveLoop<'a> {
    cfg: &'a LiveConfig,
    info: SourceInfo,
    retry: bool,
    perception: Perception,
    coach: LiveCoach,
    writer: WriterThread,
    window: Option<LiveWindow>,
    hud: HudState,
    cues: CueState,
    stats: LiveStats,
    t_now: f64,
    screenshot_pending: Option<(PathBuf, f64)>,
    wall0: Instant,
}

impl<'a> LiveLoop<'a> {
    /// Opens the window and audio, then the session (so a failure leaves no empty session behind).
    fn start(
        cfg: &'a LiveConfig,
        perception: Perception,
        info: SourceInfo,
        source_name: String,
        retry: bool,
    ) -> Result<Self, LiveError> {
        let mut engine_cfg = cfg.engine.clone();
        (engine_cfg.width, engine_cfg.height, engine_cfg.fps) = (info.width, info.height, info.fps);
        let coach = LiveCoach::new(engine_cfg, cfg.exercise.clone())?;
        let choice = coach.choice_id().to_string();
        let meta = SessionMeta {
            format: SESSION_FORMAT.into(),
            started_unix: unix_now(),
            source: source_name,
            exercise: choice.clone(),
            area: coach.current_exercise().map(|e| e.id.clone()).unwrap_or_default(),
            width: info.width,
            height: info.height,
            fps: info.fps,
            status: "running".into(),
            duration_s: None,
            frames: None,
        };
        let window = match cfg.window {
            true => Some(LiveWindow::open("rollcoach live", info.width as usize, info.height as usize)?),
            false => None,
        };
        let audio = cfg.audio.sinks()?;
        let session = SessionWriter::create(&cfg.sessions_dir, meta)?;
        let mut writer = WriterThread::spawn(session, audio).map_err(|e| LiveError::Thread(e.to_string()))?;
        if !cfg.quiet {
            eprintln!("rollcoach: session folder {}", writer.dir().display());
        }
        writer.event(Event::Start { t: 0.0, exercise: choice, area: String::new() })?;
        let hud = HudState {
            view: CoachView::default(),
            joints: [JointState::Neutral; NUM_LANDMARKS],
            exercise_label: String::new(),
            status: None,
            paused: false,
            fps: FpsMeter::default(),
            actions: Vec::new(),
        };
        let cues = CueState {
            sched: CueScheduler::new(),
            shown: None,
            new_cues: Vec::new(),
            placement: None,
            placement_done: false,
            last_person_t: 0.0,
            last_progress_t: 0.0,
            routine: cfg.routine.clone(),
        };
        let stats = LiveStats { width: info.width, height: info.height, ..LiveStats::default() };
        let screenshot_pending = cfg.screenshot.clone();
        let (t_now, wall0) = (0.0, Instant::now());
        Ok(Self { cfg, info, retry, perception, coach, writer, window, hud, cues, stats, t_now, screenshot_pending, wall0 })
    }

    /// Runs until the source ends, the user quits, a stop signal arrives or `max_seconds` pass.
    fn run(&mut self, capture: &mut CaptureThread) -> Result<(), LiveError> {
        super::signals::install();
        loop {
            if super::signals::stop_requested() {
                if !self.cfg.quiet {
                    eprintln!("rollcoach: stopping, closing the session");
                }
                return Ok(());
            }
            if self.capture_events(capture)? || self.key_actions()? {
                return Ok(());
            }
            let Some(mut frame) = capture.slot.take(FRAME_WAIT) else {
                if capture.slot.is_closed() {
                    return Ok(()); // source ended (or failed for good)
                }
                if let Some(w) = self.window.as_mut() {
                    w.idle(&mut self.hud.actions);
                }
                continue;
            };
            self.t_now = frame.t;
            if self.cfg.max_seconds.is_some_and(|m| frame.t >= m) {
                capture.recycle(frame.bgr);
                return Ok(());
            }
            self.step(&mut frame)?;
            capture.recycle(frame.bgr);
        }
    }

    /// One frame through the named steps.
    fn step(&mut self, frame: &mut CapturedFrame) -> Result<(), LiveError> {
        let picked = Instant::now();
        let (pose, roller) = if self.hud.paused { (None, None) } else { self.perceive(frame, picked)? };
        if !self.hud.paused {
            self.check_placement(frame, pose.as_ref());
        }
        self.schedule_cues(frame.t, pose.is_some())?;
        self.log_progress(frame.t)?;
        self.draw(&mut frame.bgr, pose.as_ref(), roller)?;
        if !self.hud.paused {
            self.stats.timings.latencies_ms.push(frame.captured_at.elapsed().as_secs_f64() * 1e3);
            self.stats.timings.pose_age_ms.extend(self.stats.timings.shown_measured_at.map(|at| at.elapsed().as_secs_f64() * 1e3));
        }
        self.present(frame)?;
        Ok(())
    }

    /// Pose (measured, or predicted when the loop is behind), roller, session line, coaching engine and its cues.
    fn perceive(
        &mut self,
        frame: &CapturedFrame,
        picked: Instant,
    ) -> Result<(Option<Pose>, Option<RollerObs>), LiveError> {
        self.stats.timings.wait_ms.push(picked.duration_since(frame.captured_at).as_secs_f64() * 1e3);
        let seen = self.perception.frame(frame)?;
        let tf = TrackFrame { t: frame.t, pose: seen.pose, roller: seen.roller };
        self.writer.frame(&tf)?;
        let c = &mut self.cues;
        c.new_cues.clear();
        self.coach.update(&tf, &mut c.new_cues, &mut self.hud.joints, &mut self.hud.view);
        // Start-up guidance is said first: engine cues before (and at) the placement verdict are only shown.
        let verdict_due = !c.placement_done && c.placement.is_none() && frame.t >= PLACEMENT_VERDICT_S;
        if frame.t < PLACEMENT_VERDICT_S || verdict_due {
            c.new_cues.clear();
        }
        for cue in c.new_cues.drain(..) {
            c.sched.offer(cue, frame.t);
        }
        self.stats.timings.process_ms.push(picked.elapsed().as_secs_f64() * 1e3);
        self.stats.frames += 1;
        self.stats.measurement(&seen);
        if tf.pose.is_some() {
            self.stats.frames_with_person += 1;
            c.last_person_t = frame.t;
        }
        Ok((tf.pose, tf.roller))
    }

    /// Start-up placement check: a verdict (and a cue) once, then the panel stays until it is all OK.
    fn check_placement(&mut self, frame: &CapturedFrame, pose: Option<&Pose>) {
        let c = &mut self.cues;
        if c.placement_done {
            return;
        }
        let p = overlay::check_placement(pose, self.info.width, self.info.height, overlay::mean_luma(&frame.bgr));
        if frame.t >= PLACEMENT_VERDICT_S && c.placement.is_none() {
            c.sched.offer(placement_cue(&p), frame.t);
        }
        if frame.t >= PLACEMENT_VERDICT_S || c.placement.is_some() {
            let ok = p.all_ok();
            c.placement = Some(p);
            if ok && frame.t >= PLACEMENT_CHECK_S {
                c.placement_done = true;
                c.placement = None;
            }
        }
    }

    /// "Get in frame" when nobody is seen; the due cue is played (writer thread), logged and shown.
    fn schedule_cues(&mut self, t: f64, person: bool) -> Result<(), LiveError> {
        let c = &mut self.cues;
        if !self.hud.paused && !person && t - c.last_person_t >= NO_PERSON_CUE_S {
            c.sched.offer(LiveCue { rule: "no_person".into(), text: "get in frame".into(), severity: Severity::Warning }, t);
        }
        let routine_cue = crate::routine::live_cue(c.routine.as_mut().filter(|_| !self.hud.paused), t, &self.hud.view);
        if let Some(cue) = routine_cue.or_else(|| c.sched.poll(t)) {
            self.writer.cue(&cue, t)?;
            let severity = cue.severity.as_str().into();
            self.writer.event(Event::Cue { t, rule: cue.rule.clone(), text: cue.text.clone(), severity })?;
            self.stats.cues.push((t, cue.text.clone()));
            c.shown = Some((cue, t));
        }
        if c.shown.as_ref().is_some_and(|(_, t0)| t - t0 > CUE_DISPLAY_S) {
            c.shown = None;
        }
        Ok(())
    }

    /// A progress event every [`PROGRESS_INTERVAL_S`] while an exercise is coached.
    fn log_progress(&mut self, t: f64) -> Result<(), LiveError> {
        if self.hud.paused || t - self.cues.last_progress_t < PROGRESS_INTERVAL_S {
            return Ok(());
        }
        self.cues.last_progress_t = t;
        if let Some((id, _)) = &self.hud.view.exercise {
            self.writer.event(Event::Progress {
                t,
                exercise: self.coach.choice_id().to_string(),
                area: id.clone(),
                time_on_area_s: self.hud.view.time_on_area_s,
                passes: self.hud.view.passes,
            })?;
        }
        Ok(())
    }

    /// The HUD onto the frame.
    fn draw(&mut self, bgr: &mut Mat, pose: Option<&Pose>, roller: Option<RollerObs>) -> Result<(), LiveError> {
        let fps = self.hud.fps.tick();
        let h = &mut self.hud;
        // The cue just spoken, else the engine's current cue (a fault that persists).
        let cue = (self.cues.shown.as_ref().map(|(c, _)| (c.text.as_str(), c.severity)))
            .or(h.view.current_cue.as_ref().map(|(t, s)| (t.as_str(), *s)));
        h.exercise_label.clear();
        let _ = match (&h.view.exercise, self.coach.choice_id()) {
            (Some((_, name)), "auto") => write!(h.exercise_label, "{name} ({AUTO_LABEL})"),
            (Some((_, name)), _) => write!(h.exercise_label, "{name}"),
            (None, "auto") => write!(h.exercise_label, "{AUTO_LABEL}: recognising"),
            (None, id) => write!(h.exercise_label, "{id}"),
        };
        let hud = Hud {
            cue,
            placement: self.cues.placement.as_ref(),
            status: if h.paused { Some(PAUSED_STATUS) } else { h.status.as_deref() },
            fps,
            ..h.view.hud(pose, &h.joints, roller, &h.exercise_label)
        };
        overlay::draw_hud(bgr, &hud)?;
        Ok(())
    }

    /// The frame to the window; the screenshot when due.
    fn present(&mut self, frame: &CapturedFrame) -> Result<(), LiveError> {
        if let Some(w) = self.window.as_mut() {
            w.show(&frame.bgr, &mut self.hud.actions)?;
        }
        if let Some((path, at)) = &self.screenshot_pending {
            if frame.t >= *at {
                write_screenshot(path, self.window.as_ref(), &frame.bgr)?;
                if !self.cfg.quiet {
                    eprintln!("rollcoach: screenshot {} at t={:.2} s", path.display(), frame.t);
                }
                self.screenshot_pending = None;
            }
        }
        Ok(())
    }

    /// The capture thread's reports (camera lost / back, fatal failure); true = stop.
    fn capture_events(&mut self, capture: &CaptureThread) -> Result<bool, LiveError> {
        for ev in capture.events.try_iter() {
            match ev {
                CaptureEvent::Lost(msg) => self.camera_lost(msg)?,
                CaptureEvent::Reopened => {
                    eprintln!("rollcoach: camera back");
                    self.writer.event(Event::CameraBack { t: self.t_now })?;
                    self.perception.reset();
                    self.hud.status = None;
                }
                CaptureEvent::OpenFailed { msg, fatal: true } => {
                    eprintln!("rollcoach: video source failed: {msg}");
                    return Ok(true);
                }
                CaptureEvent::OpenFailed { .. } | CaptureEvent::Ended | CaptureEvent::Opened(_) => {}
            }
        }
        Ok(false)
    }

    fn camera_lost(&mut self, msg: String) -> Result<(), LiveError> {
        if self.retry {
            eprintln!(
                "rollcoach: camera lost ({msg}); session data is kept, retrying every {} s",
                RETRY_INTERVAL.as_secs()
            );
        } else {
            eprintln!("rollcoach: video source failed ({msg}); ending the session, data is kept");
        }
        self.writer.event(Event::CameraLost { t: self.t_now, msg })?;
        self.hud.status = Some("Camera lost - reconnecting".into());
        // The window keeps showing the last frame otherwise: replace it with the message.
        if let (Some(w), true) = (self.window.as_mut(), self.retry) {
            let (rows, cols) = (self.info.height as i32, self.info.width as i32);
            let mut blank =
                Mat::new_rows_cols_with_default(rows, cols, opencv::core::CV_8UC3, opencv::core::Scalar::all(0.0))?;
            let panel = TopPanel { exercise: &self.hud.exercise_label, ..TopPanel::default() };
            let hud = Hud { panel, status: self.hud.status.as_deref(), ..Hud::default() };
            overlay::draw_hud(&mut blank, &hud)?;
            w.show(&blank, &mut self.hud.actions)?;
        }
        Ok(())
    }

    /// Keys pressed in the window; true = quit.
    fn key_actions(&mut self) -> Result<bool, LiveError> {
        let actions: Vec<Action> = self.hud.actions.drain(..).collect();
        for a in actions {
            let t = self.t_now;
            match a {
                Action::Quit => return Ok(true),
                Action::TogglePause => {
                    self.hud.paused = !self.hud.paused;
                    self.writer.event(if self.hud.paused { Event::Paused { t } } else { Event::Resumed { t } })?;
                }
                Action::NextExercise => {
                    self.coach.next_exercise()?;
                    let area = self.coach.current_exercise().map(|e| e.id.clone()).unwrap_or_default();
                    let exercise = self.coach.choice_id().to_string();
                    self.writer.event(Event::Exercise { t, exercise, area })?;
                    self.hud.view = CoachView::default();
                    if !self.cfg.quiet {
                        eprintln!("rollcoach: exercise: {}", self.coach.choice_id());
                    }
                }
            }
        }
        Ok(false)
    }

    /// Stops capture, closes the session (writer thread) and returns the figures.
    fn finish(mut self, mut capture: CaptureThread) -> Result<LiveStats, LiveError> {
        self.stats.wall_s = self.wall0.elapsed().as_secs_f64();
        self.stats.session_s = self.t_now;
        self.stats.dropped = capture.slot.dropped();
        capture.stop();
        self.stats.routine = self.cues.routine.take().map(|r| r.report());
        self.stats.session_dir = Some(self.writer.finish(self.t_now)?);
        Ok(self.stats)
    }
}

fn write_screenshot(path: &std::path::Path, window: Option<&LiveWindow>, composed: &Mat) -> Result<(), LiveError> {
    let err = |msg: String| LiveError::Screenshot { path: path.into(), msg };
    let img = match window {
        // Exactly the pixels handed to the window.
        Some(w) => {
            let (px, wd, ht) = w.pixels();
            super::window::u32_to_bgr(px, wd, ht).map_err(|e| err(e.to_string()))?
        }
        None => composed.clone(),
    };
    let name = path.to_str().ok_or_else(|| err("path is not UTF-8".into()))?;
    let ok = opencv::imgcodecs::imwrite(name, &img, &opencv::core::Vector::new()).map_err(|e| err(e.to_string()))?;
    if !ok {
        return Err(err("OpenCV could not encode the image (use a .png path)".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_cue_names_the_first_problem() {
        let ok = PlacementReport { side_view: Check::Ok, whole_body: Check::Ok, light: Check::Ok };
        assert_eq!(placement_cue(&ok).severity, Severity::Info);
        let dark = PlacementReport { light: Check::Bad("x"), ..ok.clone() };
        assert_eq!(placement_cue(&dark).text, "more light please");
        let nobody = PlacementReport { side_view: Check::Unknown, whole_body: Check::Unknown, light: Check::Ok };
        assert_eq!(placement_cue(&nobody).text, "get in frame");
    }
}
