//! `rollcoach live`, `rollcoach devices`, `rollcoach history`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use super::options::{EngineOptions, ModelOptions};
use crate::live::capture::{list_cameras, CameraRequest};
use crate::live::audio::{AudioConfig, CueSound};
use crate::live::history;
use crate::live::run::{run_live, LiveConfig, SourceSpec};
use crate::stats::percentile_or_nan as pct;
use crate::pipeline::PipelineConfig;
use crate::live::session::default_sessions_dir;
use crate::pose::blazepose::LandmarkModel;
use crate::smoothing::KEYPOINT_SMOOTHING;

#[derive(clap::Args, Debug)]
#[command(after_help = "Keys: space = pause/resume, e or tab = next exercise, q or esc = quit.\n\n\
Examples:\n  rollcoach live --exercise quads\n  rollcoach live --camera 1 --width 1280 --height 720 --fps 30\n  \
rollcoach live --source samples/bridging.mp4 --no-window --mute --bench\n\n\
Each session is written as it runs to SESSIONS-DIR/<YYYYmmdd-HHMMSS>/ (poses.jsonl, events.jsonl, meta.json); \
see `rollcoach history`.")]
pub struct LiveArgs {
    /// Play a video clip at its own frame rate instead of using a camera.
    #[arg(long, value_name = "CLIP")]
    pub source: Option<PathBuf>,
    /// Camera index (see `rollcoach devices`).
    #[arg(long, default_value_t = 0)]
    pub camera: u32,
    /// Requested camera width (the closest supported format is used).
    #[arg(long, default_value_t = 640, value_parser = clap::value_parser!(u32).range(64..=7680))]
    pub width: u32,
    /// Requested camera height.
    #[arg(long, default_value_t = 480, value_parser = clap::value_parser!(u32).range(48..=4320))]
    pub height: u32,
    /// Requested camera frame rate.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=240))]
    pub fps: u32,
    /// Exercise to start with (see `rollcoach exercises`); default: recognised automatically. `e`/tab switches.
    #[arg(long, value_name = "NAME")]
    pub exercise: Option<String>,
    #[command(flatten)]
    pub engine: EngineOptions,
    /// No window (headless): the session, cues and screenshots are still produced.
    #[arg(long)]
    pub no_window: bool,
    /// No sound.
    #[arg(long)]
    pub mute: bool,
    /// How cues sound: auto (speech when espeak-ng is installed, else beeps), speech, or beep.
    #[arg(long, value_enum, default_value_t = CueSound::Auto)]
    pub cue_sound: CueSound,
    /// Also write every cue (speech or beeps) at its session time into this WAV file.
    #[arg(long, value_name = "PATH")]
    pub cues_wav: Option<PathBuf>,
    #[command(flatten)]
    pub sessions: SessionsDirOption,
    /// Write a PNG of the window (or the composed frame with --no-window) at --screenshot-at seconds.
    #[arg(long, value_name = "PNG")]
    pub screenshot: Option<PathBuf>,
    /// Session time (s) of the screenshot.
    #[arg(long, value_name = "S", default_value_t = 1.5)]
    pub screenshot_at: f64,
    /// Stop after this many seconds.
    #[arg(long, value_name = "S")]
    pub seconds: Option<f64>,
    /// Print capture-to-overlay latency (median, p99) and frames per second at the end.
    #[arg(long)]
    pub bench: bool,
    /// With --source: play the clip this many times (longer benchmark runs).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// With --source: read frames as fast as they are processed (throughput) instead of at the clip's frame rate.
    #[arg(long)]
    pub unpaced: bool,
    #[command(flatten)]
    pub model: ModelOptions,
    /// Do not look for the roller (no contact coaching; for measuring the rest of the pipeline).
    #[arg(long)]
    pub no_roller: bool,
    /// Less output on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
    /// Guide through a routine (file stem in --routines-dir, e.g. legs_after_running): each step is announced,
    /// counted down and counted once its exercise is recognised; done vs planned is written to routine.json.
    #[arg(long, value_name = "NAME")]
    pub routine: Option<String>,
    /// Folder of routine files (TOML); default: `routines/` of the rollcoach checkout.
    #[arg(long, value_name = "DIR")]
    pub routines_dir: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct DevicesArgs {}

#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub sessions: SessionsDirOption,
    /// Also write the history page (sessions per week, minutes per area, streaks) to this HTML file.
    #[arg(long, value_name = "OUT.html")]
    pub html: Option<PathBuf>,
}

/// Where session recordings live, for `live` and `history` alike.
#[derive(clap::Args, Debug, Clone)]
pub struct SessionsDirOption {
    /// Folder of session recordings; default: $XDG_DATA_HOME/rollcoach/sessions (~/.local/share/rollcoach/sessions).
    #[arg(long, value_name = "DIR", env = "ROLLCOACH_SESSIONS")]
    pub sessions_dir: Option<PathBuf>,
}

impl SessionsDirOption {
    pub fn dir(&self) -> PathBuf {
        self.sessions_dir.clone().unwrap_or_else(default_sessions_dir)
    }
}

/// The frame source: the clip (checked to exist) or the camera (checked to be connected).
fn source_spec(a: &LiveArgs) -> Result<SourceSpec> {
    Ok(match &a.source {
        Some(p) => {
            if !p.is_file() {
                bail!("{}: file not found", p.display());
            }
            SourceSpec::Clip { path: p.clone(), paced: !a.unpaced, repeats: a.repeat }
        }
        None => {
            let cams = list_cameras().context("looking for cameras")?;
            if cams.is_empty() {
                bail!(
                    "no camera found: connect a webcam (check `rollcoach devices`), or play a clip with --source CLIP"
                );
            }
            if !cams.iter().any(|c| c.index == a.camera) {
                bail!(
                    "camera {} not found; available: {}",
                    a.camera,
                    cams.iter().map(|c| format!("{} ({})", c.index, c.name)).collect::<Vec<_>>().join(", ")
                );
            }
            SourceSpec::Camera(CameraRequest { index: a.camera, width: a.width, height: a.height, fps: a.fps })
        }
    })
}

pub fn run(a: LiveArgs) -> Result<()> {
    let source = source_spec(&a)?;
    if !(a.screenshot_at.is_finite() && a.screenshot_at >= 0.0) {
        bail!("--screenshot-at must be a time in seconds >= 0");
    }
    if a.seconds.is_some_and(|s| !(s.is_finite() && s > 0.0)) {
        bail!("--seconds must be > 0");
    }
    // Check the exercise files and the --exercise name before any capture starts.
    let engine = a.engine.engine_config(a.exercise.clone());
    crate::coach::Engine::new(engine.clone()).context("loading exercises")?;
    let routine = crate::app::report::routine_for(a.routine.as_deref(), a.routines_dir.as_deref(), &engine.exercises_dir)?;
    let cfg = LiveConfig {
        source,
        pipeline: PipelineConfig {
            models_dir: a.model.models.clone(),
            blazepose: a.model.blazepose(LandmarkModel::Full, true),
            smoothing: Some(KEYPOINT_SMOOTHING),
            roller: (!a.no_roller).then(|| a.engine.roller()),
        },
        engine,
        exercise: a.exercise,
        window: !a.no_window,
        audio: AudioConfig { mute: a.mute, cue_sound: a.cue_sound, cues_wav: a.cues_wav },
        sessions_dir: a.sessions.dir(),
        screenshot: a.screenshot.map(|p| (p, a.screenshot_at)),
        max_seconds: a.seconds,
        bench: a.bench,
        quiet: a.quiet,
        routine,
    };
    let stats = run_live(&cfg).context("live session")?;
    // The loop ends a session whose source failed like any other (the data is kept); the exit status tells.
    if let Some(msg) = stats.session_dir.as_deref().and_then(history::source_failure) {
        let dir = stats.session_dir.as_deref().unwrap_or(std::path::Path::new("?"));
        bail!("video source failed: {msg}; the session up to then is kept in {}", dir.display());
    }
    if let Some(d) = &stats.session_dir {
        if !a.quiet {
            println!(
                "session {}: {:.1} s, {} frames ({} with a person), {} cue(s)",
                d.display(),
                stats.session_s,
                stats.frames,
                stats.frames_with_person,
                stats.cues.len()
            );
        }
    }
    crate::app::report::after_live(&stats, &cfg.engine.exercises_dir, a.quiet)?;
    if a.bench {
        print_bench(&stats);
    }
    Ok(())
}

/// The `--bench` figures of a finished run.
fn print_bench(stats: &crate::live::run::LiveStats) {
    let l = &stats.timings.latencies_ms;
    println!(
        "live bench: {}x{}, {} frames processed ({} with a predicted pose, {} with the last roller kept), {} dropped, {:.1} fps, capture-to-overlay \
         latency median {:.1} ms, p99 {:.1} ms, {:.2}x real time (session {:.2} s in {:.2} s wall)",
        stats.width,
        stats.height,
        stats.frames,
        stats.predicted,
        stats.roller_kept,
        stats.dropped,
        stats.fps(),
        pct(l, 50.0),
        pct(l, 99.0),
        if stats.wall_s > 0.0 { stats.session_s / stats.wall_s } else { 0.0 },
        stats.session_s,
        stats.wall_s
    );
    println!(
        "  of which: waiting for the loop median {:.1} / p99 {:.1} ms; pose + engine median {:.1} / p99 {:.1} ms",
        pct(&stats.timings.wait_ms, 50.0),
        pct(&stats.timings.wait_ms, 99.0),
        pct(&stats.timings.process_ms, 50.0),
        pct(&stats.timings.process_ms, 99.0)
    );
    println!(
        "  age of the pose shown (capture of the frame it was measured on to overlay): median {:.1} / p99 {:.1} ms",
        pct(&stats.timings.pose_age_ms, 50.0),
        pct(&stats.timings.pose_age_ms, 99.0)
    );
    println!(
        "  steps when run: pose median {:.1} / p99 {:.1} ms ({} frames); roller median {:.1} / p99 {:.1} ms ({} frames)",
        pct(&stats.timings.pose_ms, 50.0),
        pct(&stats.timings.pose_ms, 99.0),
        stats.timings.pose_ms.len(),
        pct(&stats.timings.roller_ms, 50.0),
        pct(&stats.timings.roller_ms, 99.0),
        stats.timings.roller_ms.len()
    );
    println!("  load average (1 / 5 / 15 min) at the end: {}", super::bench::load_average());
}

pub fn devices(_a: DevicesArgs) -> Result<()> {
    let cams = list_cameras().context("looking for cameras")?;
    if cams.is_empty() {
        bail!("no camera found (no video device is connected or visible to this user)");
    }
    for c in cams {
        println!("{}: {}  {}", c.index, c.name, c.description);
    }
    Ok(())
}

pub fn history(a: HistoryArgs) -> Result<()> {
    let sessions = history::read_all(&a.sessions.dir())?;
    print!("{}", history::render(&sessions, &jiff::tz::TimeZone::system()));
    if let Some(p) = &a.html {
        std::fs::write(p, history::render_html(&sessions)).with_context(|| format!("{}: cannot write", p.display()))?;
        println!("history page: {}", p.display());
    }
    Ok(())
}
