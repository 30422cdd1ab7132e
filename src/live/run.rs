//! The live loop: capture thread -> latest-frame slot -> pipeline -> HUD -> window + cues + session files.
//!
//! Latency is measured per frame from the moment the frame left the source (capture thread) to the moment its HUD is
//! drawn; `bench` prints its median and p99 with the loop's frame rate.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use opencv::core::Mat;
use thiserror::Error;

use super::audio::{AudioError, AudioSink, CueSound, MultiSink, SystemSink, WavFileSink};
use super::capture::{
    CameraRequest, CameraSource, CaptureConfig, CaptureError, CaptureEvent, CaptureThread, Opener, Paced,
    RETRY_INTERVAL,
};
use super::coach_view::{CoachView, LiveCoach, AUTO_LABEL};
use super::cues::{CueScheduler, LiveCue, Severity};
use super::overlay::{self, Check, Hud, JointState, PlacementReport};
use super::session::{unix_now, Event, SessionError, SessionMeta, SessionWriter, SESSION_FORMAT};
use super::window::{Action, LiveWindow, WindowError};
use crate::coach::{CoachError, EngineConfig};
use crate::landmarks::NUM_LANDMARKS;
use crate::pipeline::{Pipeline, PipelineConfig, PipelineError};
use crate::posetrack::TrackFrame;
use crate::source::{FrameSource, VideoFileSource};

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
    pub mute: bool,
    pub cue_sound: CueSound,
    pub cues_wav: Option<PathBuf>,
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
    pub dropped: u64,
    pub wall_s: f64,
    pub session_s: f64,
    /// Capture-to-overlay latency per processed frame (ms).
    pub latencies_ms: Vec<f64>,
    /// Of which: waiting in the hand-over slot (ms), and pose pipeline + engine (ms).
    pub wait_ms: Vec<f64>,
    pub process_ms: Vec<f64>,
    pub cues: Vec<(f64, String)>,
    pub session_dir: Option<PathBuf>,
    pub width: u32,
    pub height: u32,
    /// Done vs planned of the routine, if one was run.
    pub routine: Option<crate::routine::RoutineReport>,
}

impl LiveStats {
    pub fn fps(&self) -> f64 {
        if self.wall_s > 0.0 {
            self.frames as f64 / self.wall_s
        } else {
            0.0
        }
    }
}

/// The `p`-th percentile (0-100, nearest rank) of `v`; `None` if empty.
pub fn percentile(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil().max(1.0) as usize;
    Some(s[rank.min(s.len()) - 1])
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
        ("placement", "more light please", Severity::Warn)
    } else if bad(&p.whole_body) {
        ("placement", "whole body in frame", Severity::Warn)
    } else if bad(&p.side_view) {
        ("placement", "camera to your side", Severity::Warn)
    } else {
        ("no_person", "get in frame", Severity::Warn)
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
    mut pipeline: Pipeline,
    open: Opener,
    capture_cfg: CaptureConfig,
    source_name: String,
) -> Result<LiveStats, LiveError> {
    let retry = capture_cfg.retry;
    let mut capture = CaptureThread::spawn(open, capture_cfg)?;
    let info = loop {
        match capture.events.recv_timeout(Duration::from_secs(30)) {
            Ok(CaptureEvent::Opened(info)) => break info,
            Ok(CaptureEvent::OpenFailed { msg, fatal: true }) => return Err(LiveError::SourceOpen(msg)),
            Ok(_) => continue,
            Err(_) => return Err(LiveError::SourceOpen("the video source did not start within 30 s".into())),
        }
    };
    let mut engine_cfg = cfg.engine.clone();
    (engine_cfg.width, engine_cfg.height, engine_cfg.fps) = (info.width, info.height, info.fps);
    let mut coach = LiveCoach::new(engine_cfg, cfg.exercise.clone())?;
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
    // Window and audio first: if they cannot start, no empty session is left behind.
    let mut window = if cfg.window {
        Some(LiveWindow::open("rollcoach live", info.width as usize, info.height as usize)?)
    } else {
        None
    };
    let mut audio = MultiSink::default();
    if let Some(p) = &cfg.cues_wav {
        audio.0.push(Box::new(WavFileSink::create(p, cfg.cue_sound.speaks())?));
    }
    if !cfg.mute {
        audio.0.push(Box::new(SystemSink::new(cfg.cue_sound)));
    }
    let mut session = SessionWriter::create(&cfg.sessions_dir, meta)?;
    if !cfg.quiet {
        eprintln!("rollcoach: session folder {}", session.dir().display());
    }
    session.event(&Event::Start { t: 0.0, exercise: choice, area: String::new() })?;

    let mut stats = LiveStats { width: info.width, height: info.height, ..LiveStats::default() };
    let mut sched = CueScheduler::new();
    let mut shown_cue: Option<(LiveCue, f64)> = None;
    let mut actions = Vec::new();
    let mut joints = [JointState::Neutral; NUM_LANDMARKS];
    let mut view = CoachView::default();
    let mut new_cues: Vec<LiveCue> = Vec::new();
    let mut exercise_label = String::new();
    let mut paused = false;
    let mut status: Option<String> = None;
    let mut placement: Option<PlacementReport> = None;
    let mut placement_done = false;
    let mut last_person_t = 0.0;
    let mut last_progress_t = 0.0;
    let mut t_now = 0.0;
    let mut screenshot_pending = cfg.screenshot.clone();
    let mut routine = cfg.routine.clone();
    let mut fps_window: std::collections::VecDeque<Instant> = std::collections::VecDeque::with_capacity(64);
    let wall0 = Instant::now();

    super::signals::install();
    'run: loop {
        if super::signals::stop_requested() {
            if !cfg.quiet {
                eprintln!("rollcoach: stopping, closing the session");
            }
            break 'run;
        }
        // Capture thread reports.
        for ev in capture.events.try_iter() {
            match ev {
                CaptureEvent::Lost(msg) => {
                    if retry {
                        eprintln!(
                            "rollcoach: camera lost ({msg}); session data is kept, retrying every {} s",
                            RETRY_INTERVAL.as_secs()
                        );
                    } else {
                        eprintln!("rollcoach: video source failed ({msg}); ending the session, data is kept");
                    }
                    session.event(&Event::CameraLost { t: t_now, msg: msg.clone() })?;
                    status = Some("Camera lost - reconnecting".into());
                    // The window keeps showing the last frame otherwise: replace it with the message.
                    if let (Some(w), true) = (window.as_mut(), retry) {
                        let mut blank = Mat::new_rows_cols_with_default(
                            info.height as i32,
                            info.width as i32,
                            opencv::core::CV_8UC3,
                            opencv::core::Scalar::all(0.0),
                        )?;
                        let hud = Hud { exercise: &exercise_label, status: status.as_deref(), ..Hud::default() };
                        overlay::draw_hud(&mut blank, &hud)?;
                        w.show(&blank, &mut actions)?;
                    }
                }
                CaptureEvent::Reopened => {
                    eprintln!("rollcoach: camera back");
                    session.event(&Event::CameraBack { t: t_now })?;
                    pipeline.reset();
                    status = None;
                }
                CaptureEvent::OpenFailed { msg, fatal } => {
                    if fatal {
                        eprintln!("rollcoach: video source failed: {msg}");
                        break 'run;
                    }
                }
                CaptureEvent::Ended => {}
                CaptureEvent::Opened(_) => {}
            }
        }
        for a in actions.drain(..) {
            match a {
                Action::Quit => break 'run,
                Action::TogglePause => {
                    paused = !paused;
                    session.event(&if paused { Event::Paused { t: t_now } } else { Event::Resumed { t: t_now } })?;
                }
                Action::NextExercise => {
                    coach.next_exercise()?;
                    let area = coach.current_exercise().map(|e| e.id.clone()).unwrap_or_default();
                    session.event(&Event::Exercise { t: t_now, exercise: coach.choice_id().to_string(), area })?;
                    view = CoachView::default();
                    if !cfg.quiet {
                        eprintln!("rollcoach: exercise: {}", coach.choice_id());
                    }
                }
            }
        }
        let Some(mut frame) = capture.slot.take(FRAME_WAIT) else {
            if capture.slot.is_closed() {
                break 'run; // source ended (or failed for good)
            }
            if let Some(w) = window.as_mut() {
                w.idle(&mut actions);
            }
            continue;
        };
        t_now = frame.t;
        if cfg.max_seconds.is_some_and(|m| frame.t >= m) {
            capture.recycle(frame.bgr);
            break 'run;
        }
        let paused_status = "Paused - space to resume";
        let mut pose = None;
        let mut roller = None;
        if !paused {
            let p0 = Instant::now();
            stats.wait_ms.push(p0.duration_since(frame.captured_at).as_secs_f64() * 1e3);
            let r = pipeline.process(&frame.bgr, frame.t)?;
            pose = r.pose;
            roller = r.roller;
            let tf = TrackFrame { t: r.t, pose, roller };
            session.write_frame(&tf)?;
            new_cues.clear();
            coach.update(&tf, &mut new_cues, &mut joints, &mut view);
            // Start-up guidance is said first: engine cues before (and at) the placement verdict are only shown.
            let verdict_due = !placement_done && placement.is_none() && frame.t >= PLACEMENT_VERDICT_S;
            if frame.t < PLACEMENT_VERDICT_S || verdict_due {
                new_cues.clear();
            }
            for c in new_cues.drain(..) {
                sched.offer(c, frame.t);
            }
            stats.process_ms.push(p0.elapsed().as_secs_f64() * 1e3);
            stats.frames += 1;
            if pose.is_some() {
                stats.frames_with_person += 1;
                last_person_t = frame.t;
            }
        }
        // Start-up placement check: a verdict (and a cue) once, then the panel stays until it is all OK.
        if !placement_done && !paused {
            let p = overlay::check_placement(pose.as_ref(), info.width, info.height, overlay::mean_luma(&frame.bgr));
            if frame.t >= PLACEMENT_VERDICT_S && placement.is_none() {
                sched.offer(placement_cue(&p), frame.t);
            }
            if frame.t >= PLACEMENT_VERDICT_S || placement.is_some() {
                let ok = p.all_ok();
                placement = Some(p);
                if ok && frame.t >= PLACEMENT_CHECK_S {
                    placement_done = true;
                    placement = None;
                }
            }
        }
        if !paused && pose.is_none() && frame.t - last_person_t >= NO_PERSON_CUE_S {
            sched.offer(
                LiveCue { rule: "no_person".into(), text: "get in frame".into(), severity: Severity::Warn },
                frame.t,
            );
        }
        if let Some(c) = crate::routine::live_cue(routine.as_mut().filter(|_| !paused), frame.t, &view).or_else(|| sched.poll(frame.t)) {
            audio.play(&c, frame.t);
            session.event(&Event::Cue {
                t: frame.t,
                rule: c.rule.clone(),
                text: c.text.clone(),
                severity: c.severity.as_str().into(),
            })?;
            stats.cues.push((frame.t, c.text.clone()));
            shown_cue = Some((c, frame.t));
        }
        if shown_cue.as_ref().is_some_and(|(_, t)| frame.t - t > CUE_DISPLAY_S) {
            shown_cue = None;
        }
        if !paused && frame.t - last_progress_t >= PROGRESS_INTERVAL_S {
            last_progress_t = frame.t;
            if let Some((id, _)) = &view.exercise {
                session.event(&Event::Progress {
                    t: frame.t,
                    exercise: coach.choice_id().to_string(),
                    area: id.clone(),
                    time_on_area_s: view.time_on_area_s,
                    passes: view.passes,
                })?;
            }
        }
        // HUD.
        let now = Instant::now();
        fps_window.push_back(now);
        while fps_window.len() > 1 && now.duration_since(fps_window[0]) > Duration::from_secs(2) {
            fps_window.pop_front();
        }
        let fps = (fps_window.len() > 1)
            .then(|| (fps_window.len() - 1) as f64 / now.duration_since(fps_window[0]).as_secs_f64());
        // The cue just spoken, else the engine's current cue (a fault that persists).
        let cue_text = shown_cue
            .as_ref()
            .map(|(c, _)| (c.text.as_str(), c.severity))
            .or(view.current_cue.as_ref().map(|(t, s)| (t.as_str(), *s)));
        exercise_label.clear();
        let _ = match (&view.exercise, coach.choice_id()) {
            (Some((_, name)), "auto") => write!(exercise_label, "{name} ({AUTO_LABEL})"),
            (Some((_, name)), _) => write!(exercise_label, "{name}"),
            (None, "auto") => write!(exercise_label, "{AUTO_LABEL}: recognising"),
            (None, id) => write!(exercise_label, "{id}"),
        };
        let status_text = if paused { Some(paused_status) } else { status.as_deref() };
        let hud = Hud {
            pose: pose.as_ref(),
            joints: Some(&joints),
            roller,
            contact_px: view.contact_px,
            segment: view.segment.as_ref(),
            speed_cm_s: view.speed_cm_s,
            target_speed_cm_s: view.target_speed_cm_s,
            max_speed_cm_s: view.max_speed_cm_s,
            exercise: &exercise_label,
            time_on_area_s: view.time_on_area_s,
            time_target_s: view.time_target_s,
            passes: view.passes,
            cue: cue_text,
            placement: placement.as_ref(),
            status: status_text,
            fps,
        };
        overlay::draw_hud(&mut frame.bgr, &hud)?;
        if !paused {
            stats.latencies_ms.push(frame.captured_at.elapsed().as_secs_f64() * 1e3);
        }
        if let Some(w) = window.as_mut() {
            w.show(&frame.bgr, &mut actions)?;
        }
        if let Some((path, at)) = &screenshot_pending {
            if frame.t >= *at {
                write_screenshot(path, window.as_ref(), &frame.bgr)?;
                if !cfg.quiet {
                    eprintln!("rollcoach: screenshot {} at t={:.2} s", path.display(), frame.t);
                }
                screenshot_pending = None;
            }
        }
        capture.recycle(frame.bgr);
    }
    stats.wall_s = wall0.elapsed().as_secs_f64();
    stats.session_s = t_now;
    stats.dropped = capture.slot.dropped();
    capture.stop();
    audio.finish()?;
    stats.routine = routine.map(|r| r.report());
    stats.session_dir = Some(session.finish(t_now)?);
    Ok(stats)
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
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&[3.0], 99.0), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

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
