//! `rollcoach analyze`: a clip (or a pose track) in; annotated video, pose track, JSON report, CSV metrics and a
//! terminal summary out.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis::{self, ClipOutputs};
use crate::pipeline::{Pipeline, PipelineConfig};
use crate::pose::blazepose::{BlazePoseConfig, LandmarkModel};
use crate::coach::report::{CsvSink, ReportSink};
use crate::coach::{self, default_exercises_dir, Analysis, Engine, EngineConfig};
use crate::posetrack::{PoseTrack, TrackFrame, TrackHeader};
use crate::report::{InputInfo, PoseSummary, Report};
use crate::roller::RollerConfig;
use crate::smoothing::KEYPOINT_SMOOTHING;
use crate::source::{FrameSource, VideoFileSource};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  rollcoach analyze samples/bridging.mp4\n  rollcoach analyze --poses out/bridging.poses.jsonl --exercise quads\n\n\
Outputs (in --out, named after the input): STEM.annotated.mp4 (skeleton drawn), STEM.poses.jsonl (pose track, \
format rollcoach-poses/2), STEM.report.json (per-frame landmarks and the coaching report), STEM.metrics.csv \
(per-frame metrics)."
)]
pub struct AnalyzeArgs {
    /// Video to analyse (anything OpenCV reads: mp4/H.264, avi/MJPG, webm, ...).
    #[arg(
        value_name = "CLIP",
        required_unless_present = "poses",
        conflicts_with = "poses"
    )]
    pub clip: Option<PathBuf>,
    /// Analyse a pose track (rollcoach-poses/1 or /2 JSON Lines) instead of a video: no model, no video needed.
    #[arg(long, value_name = "TRACK.jsonl")]
    pub poses: Option<PathBuf>,
    /// Output folder (created if missing).
    #[arg(long, short, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Exercise to coach (see `rollcoach exercises`); default: recognised from body position and roller contact.
    #[arg(long, value_name = "NAME")]
    pub exercise: Option<String>,
    /// Folder of exercise definition files (TOML); default: `exercises/` of the rollcoach checkout.
    #[arg(long, value_name = "DIR")]
    pub exercises_dir: Option<PathBuf>,
    /// Real diameter of the foam roller in cm (gives the pixels-to-cm scale).
    #[arg(long, value_name = "CM", default_value_t = 15.0)]
    pub roller_diameter_cm: f32,
    /// Landmark model: full (more accurate) or lite (faster).
    #[arg(long, value_enum, default_value_t = LandmarkModel::Full)]
    pub model: LandmarkModel,
    /// Folder with the ONNX models and SHA256SUMS; default: models/ next to the binary or in the checkout.
    #[arg(long, value_name = "DIR", env = "ROLLCOACH_MODELS")]
    pub models: Option<PathBuf>,
    /// ONNX Runtime threads per model.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub threads: u16,
    /// Run the detector on every frame instead of tracking from the previous frame.
    #[arg(long)]
    pub no_tracking: bool,
    /// Do not smooth keypoints over time.
    #[arg(long)]
    pub no_smoothing: bool,
    /// Do not write the annotated video.
    #[arg(long)]
    pub no_video: bool,
    /// No progress bar and no summary on the terminal.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A validated plan: every path checked before any work starts.
#[derive(Debug)]
pub struct Plan {
    pub input: Input,
    /// Form engine settings (frame size and rate are filled in from the input).
    pub engine: EngineConfig,
    pub out_dir: PathBuf,
    pub stem: String,
    pub pipeline: PipelineConfig,
    pub write_video: bool,
    pub quiet: bool,
}

#[derive(Debug)]
pub enum Input {
    Clip(PathBuf),
    Poses(PathBuf),
}

impl Plan {
    pub fn from_args(a: AnalyzeArgs) -> Result<Self> {
        let (input, path) = match (a.clip, a.poses) {
            (Some(c), None) => (Input::Clip(c.clone()), c),
            (None, Some(p)) => (Input::Poses(p.clone()), p),
            _ => bail!("give either CLIP or --poses TRACK"),
        };
        if !path.exists() {
            bail!("{}: file not found", path.display());
        }
        if !(a.roller_diameter_cm.is_finite() && (5.0..=40.0).contains(&a.roller_diameter_cm)) {
            bail!(
                "--roller-diameter-cm {} is outside 5-40 cm",
                a.roller_diameter_cm
            );
        }
        let stem = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| n.trim_end_matches(".jsonl").trim_end_matches(".poses"))
            .map(|n| {
                Path::new(n)
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or(n)
                    .to_string()
            })
            .filter(|s| !s.is_empty())
            .with_context(|| format!("{}: cannot name outputs after this path", path.display()))?;
        std::fs::create_dir_all(&a.out)
            .with_context(|| format!("{}: cannot create output folder", a.out.display()))?;
        let pipeline = PipelineConfig {
            models_dir: a.models,
            blazepose: BlazePoseConfig {
                landmark_model: a.model,
                threads: a.threads as usize,
                tracking: !a.no_tracking,
            },
            smoothing: (!a.no_smoothing).then_some(KEYPOINT_SMOOTHING),
            roller: Some(RollerConfig { diameter_cm: a.roller_diameter_cm, ..RollerConfig::default() }),
        };
        let mut engine = EngineConfig::new(a.exercises_dir.unwrap_or_else(default_exercises_dir));
        engine.exercise = a.exercise;
        engine.roller_diameter_cm = a.roller_diameter_cm;
        // exercise files and the --exercise name are checked before any video is read
        Engine::new(engine.clone()).context("loading exercises")?;
        Ok(Self {
            input,
            engine,
            out_dir: a.out,
            stem,
            pipeline,
            write_video: !a.no_video,
            quiet: a.quiet,
        })
    }

    fn out(&self, suffix: &str) -> PathBuf {
        self.out_dir.join(format!("{}.{suffix}", self.stem))
    }
}

pub fn run(args: AnalyzeArgs) -> Result<()> {
    let plan = Plan::from_args(args)?;
    match &plan.input {
        Input::Clip(p) => run_clip(&plan, p),
        Input::Poses(p) => run_poses(&plan, p),
    }
}

fn engine_config(plan: &Plan, header: &TrackHeader) -> EngineConfig {
    EngineConfig { width: header.width, height: header.height, fps: header.fps, ..plan.engine.clone() }
}

fn run_poses(plan: &Plan, path: &Path) -> Result<()> {
    let track = PoseTrack::read(path)?;
    let analysis = coach::analyze_track(&track, engine_config(plan, &track.header))?;
    let pose = PoseSummary::of("pose track (no model)".into(), &track.frames);
    write_outputs(plan, InputInfo::new("pose-track", path, &track.header, &track.frames), pose, &track.frames, &analysis)
}

fn run_clip(plan: &Plan, clip: &Path) -> Result<()> {
    let mut source = VideoFileSource::open(clip)?;
    let info = source.info();
    let header = TrackHeader::new(info.width, info.height, info.fps);
    let mut pipeline = Pipeline::new(&plan.pipeline).context("loading the pose model")?;
    let outputs = ClipOutputs {
        annotated_video: plan.write_video.then(|| plan.out("annotated.mp4")),
        pose_track: plan.out("poses.jsonl"),
    };
    let bar = if plan.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(info.frame_count.unwrap_or(0));
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} frames, {per_sec}, eta {eta}")
                .expect("static template")
                .progress_chars("=> "),
        );
        b.set_message(clip.display().to_string());
        b
    };
    let run = analysis::run_clip_coached(&mut source, &mut pipeline, &outputs, engine_config(plan, &header), || bar.inc(1))?;
    bar.finish_and_clear();
    let stats = &run.stats;
    let pose = PoseSummary::of(pipeline.describe(), &run.frames);
    if !plan.quiet {
        println!(
            "{}: {} frames ({:.1} s of video) in {:.1} s ({:.1} fps); person found in {:.1}% of frames",
            clip.display(),
            stats.frames,
            stats.seconds_of_video,
            stats.wall_seconds,
            stats.frames as f64 / stats.wall_seconds.max(1e-9),
            100.0 * stats.person_rate()
        );
        if let Some(v) = &outputs.annotated_video {
            println!("  annotated video: {}", v.display());
        }
        println!("  pose track:      {}", outputs.pose_track.display());
    }
    write_outputs(plan, InputInfo::new("video", clip, &header, &run.frames), pose, &run.frames, &run.analysis)
}

/// One analysis, several sinks: the JSON report, the per-frame CSV and the terminal summary.
fn write_outputs(plan: &Plan, input: InputInfo, pose: PoseSummary, frames: &[TrackFrame], analysis: &Analysis) -> Result<()> {
    let report_path = plan.out("report.json");
    Report::new(input, pose, frames, &analysis.report)?.write(&report_path)?;
    let csv_path = plan.out("metrics.csv");
    CsvSink { path: csv_path.clone() }.write(analysis)?;
    if !plan.quiet {
        println!("  report:          {}", report_path.display());
        println!("  metrics:         {}", csv_path.display());
        coach::print_summary(analysis, &mut std::io::stdout().lock())?;
    }
    Ok(())
}
