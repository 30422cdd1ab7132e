//! `rollcoach analyze`: a clip (or a pose track) in; annotated video, pose track, JSON report, CSV metrics and a
//! terminal summary out.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::analysis::{self, ClipOutputs};
use crate::encode::VideoSize;
use crate::pipeline::{Pipeline, PipelineConfig};
use super::options::{EngineOptions, ModelOptions};
use crate::coach::report::{CsvSink, ReportSink};
use crate::coach::{self, Analysis, Engine, EngineConfig};
use crate::outputs::{OutputError, StagedOutputs};
use crate::pose::blazepose::LandmarkModel;
use crate::posetrack::{PoseTrack, TrackFrame, TrackHeader};
use crate::report::{InputInfo, PoseSummary, Report};
use crate::smoothing::KEYPOINT_SMOOTHING;
use crate::source::{DecodeGap, FrameSource, VideoFileSource};

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
    #[command(flatten)]
    pub engine: EngineOptions,
    #[command(flatten)]
    pub model: ModelOptions,
    /// Do not look for the roller (no contact coaching; for measuring the rest of the pipeline).
    #[arg(long)]
    pub no_roller: bool,
    /// Run the detector on every frame instead of tracking from the previous frame.
    #[arg(long)]
    pub no_tracking: bool,
    /// Do not smooth keypoints over time.
    #[arg(long)]
    pub no_smoothing: bool,
    /// Do not write the annotated video.
    #[arg(long)]
    pub no_video: bool,
    /// Largest size of the annotated video: `720p` (default), `1080p`, a height, WIDTHxHEIGHT, or `source`.
    #[arg(long, value_name = "SIZE", default_value = "720p")]
    pub video_size: VideoSize,
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
    pub video_size: VideoSize,
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
        std::fs::create_dir_all(&a.out).map_err(|io| OutputError::NotWritable { path: a.out.clone(), io })?;
        StagedOutputs::check_dir(&a.out)?;
        let pipeline = PipelineConfig {
            models_dir: a.model.models.clone(),
            blazepose: a.model.blazepose(LandmarkModel::Full, !a.no_tracking),
            smoothing: (!a.no_smoothing).then_some(KEYPOINT_SMOOTHING),
            roller: (!a.no_roller).then(|| a.engine.roller()),
        };
        let engine = a.engine.engine_config(a.exercise);
        // exercise files and the --exercise name are checked before any video is read
        Engine::new(engine.clone()).context("loading exercises")?;
        Ok(Self {
            input,
            engine,
            out_dir: a.out,
            stem,
            pipeline,
            write_video: !a.no_video,
            video_size: a.video_size,
            quiet: a.quiet,
        })
    }

    fn out(&self, suffix: &str) -> PathBuf {
        self.out_dir.join(format!("{}.{suffix}", self.stem))
    }
}

pub fn run(args: AnalyzeArgs) -> Result<()> {
    let plan = Plan::from_args(args)?;
    crate::signals::install();
    let mut staged = StagedOutputs::default();
    // The terminal summary is printed only once every output is in place under its final name.
    let summary = match &plan.input {
        Input::Clip(p) => run_clip(&plan, p, &mut staged),
        Input::Poses(p) => run_poses(&plan, p, &mut staged),
    };
    // Once outputs are started, say that none of them was kept.
    let summary = match summary {
        Err(e) if !staged.is_empty() => {
            return Err(e.context(format!("{}: {}.* not written (partial files removed)", plan.out_dir.display(), plan.stem)))
        }
        other => other?,
    };
    if crate::signals::stop_requested() {
        bail!("interrupted (SIGINT/SIGTERM): partial outputs removed");
    }
    staged.commit()?;
    if !plan.quiet {
        print!("{summary}");
    }
    // The page is made from the committed report and metrics; the outputs above stand without it.
    match crate::report_html::write_report_page(&plan.out("report.json"), None, &plan.engine.exercises_dir) {
        Ok(page) if !plan.quiet => {
            println!("  report page:     {}", page.path.display());
            page.notes.iter().for_each(|n| println!("note: {n}"));
        }
        Ok(_) => {}
        Err(e) => eprintln!("rollcoach: warning: report page not written: {e}"),
    }
    Ok(())
}

fn engine_config(plan: &Plan, header: &TrackHeader) -> EngineConfig {
    EngineConfig { width: header.width, height: header.height, fps: header.fps, ..plan.engine.clone() }
}

fn run_poses(plan: &Plan, path: &Path, staged: &mut StagedOutputs) -> Result<String> {
    let track = PoseTrack::read(path)?;
    let analysis = coach::analyze_track(&track, engine_config(plan, &track.header))?;
    let pose = PoseSummary::of("pose track (no model)".into(), &track.frames);
    let input = InputInfo::new("pose-track", path, &track.header, &track.frames, &[]);
    write_outputs(plan, staged, input, pose, &track.frames, &analysis, String::new())
}

fn progress_bar(plan: &Plan, clip: &Path, frames: Option<u64>) -> ProgressBar {
    if plan.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(frames.unwrap_or(0));
    b.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} frames, {per_sec}, eta {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    b.set_message(clip.display().to_string());
    b
}

fn run_clip(plan: &Plan, clip: &Path, staged: &mut StagedOutputs) -> Result<String> {
    let mut source = VideoFileSource::open(clip)?;
    let info = source.info();
    let header = TrackHeader::new(info.width, info.height, info.fps);
    let mut pipeline = Pipeline::new(&plan.pipeline).context("loading the pose model")?;
    let final_video = plan.write_video.then(|| plan.out("annotated.mp4"));
    let final_track = plan.out("poses.jsonl");
    let outputs = ClipOutputs {
        annotated_video: final_video.as_deref().map(|p| staged.stage(p)),
        pose_track: staged.stage(&final_track),
        video_size: plan.video_size,
    };
    let bar = progress_bar(plan, clip, info.frame_count);
    let run = analysis::run_clip_coached(&mut source, &mut pipeline, &outputs, engine_config(plan, &header), || bar.inc(1))?;
    bar.finish_and_clear();
    let gaps = source.decode_gaps();
    report_gaps(clip, gaps);
    let stats = &run.stats;
    let pose = PoseSummary::of(pipeline.describe(), &run.frames);
    let mut out = String::new();
    {
        use std::fmt::Write as _;
        let _ = writeln!(
            out,
            "{}: {} frames ({:.1} s of video) in {:.1} s ({:.1} fps); person found in {:.1}% of frames",
            clip.display(),
            stats.frames,
            stats.seconds_of_video,
            stats.wall_seconds,
            stats.frames as f64 / stats.wall_seconds.max(1e-9),
            100.0 * stats.person_rate()
        );
        if source.is_photo() {
            let _ = writeln!(out, "  a photo: analysed as a {} s still clip", crate::source::PHOTO_SECONDS);
        }
        if let Some(v) = &final_video {
            let _ = writeln!(out, "  annotated video: {}", v.display());
        }
        let _ = writeln!(out, "  pose track:      {}", final_track.display());
    }
    let input = InputInfo::new("video", clip, &header, &run.frames, gaps);
    write_outputs(plan, staged, input, pose, &run.frames, &run.analysis, out)
}

/// Most decode gaps listed on the terminal; the report lists all of them.
const MAX_GAPS_SHOWN: usize = 5;

/// Undecodable frames skipped in the middle of the clip, one line on stderr.
fn report_gaps(clip: &Path, gaps: &[DecodeGap]) {
    if gaps.is_empty() {
        return;
    }
    let total: u64 = gaps.iter().map(|g| g.frames).sum();
    let mut at: Vec<String> = gaps.iter().take(MAX_GAPS_SHOWN).map(|g| format!("{} before {:.2} s", g.frames, g.before_t)).collect();
    if gaps.len() > MAX_GAPS_SHOWN {
        at.push(format!("... {} more gaps in the report", gaps.len() - MAX_GAPS_SHOWN));
    }
    eprintln!(
        "rollcoach: warning: {}: skipped {total} undecodable frame(s) (corrupt data): {}",
        clip.display(),
        at.join(", ")
    );
}

/// Fault lines printed on the terminal before the list is summed up in one line (the report has every fault).
const MAX_FAULT_LINES: usize = 20;

/// The engine's terminal summary with a long fault list cut to one line.
fn summary(analysis: &Analysis, report_path: &Path) -> Result<String> {
    let mut text = Vec::new();
    coach::print_summary(analysis, &mut text)?;
    let text = String::from_utf8_lossy(&text).into_owned();
    let faults = &analysis.report.faults;
    let Some(head) = text.split_once("\nfaults:\n").map(|(h, _)| h).filter(|_| faults.len() > MAX_FAULT_LINES) else {
        return Ok(text);
    };
    let mut by_rule: std::collections::BTreeMap<String, usize> = Default::default();
    for f in faults {
        *by_rule.entry(f.rule.to_string()).or_default() += 1;
    }
    let counts: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    Ok(format!("{head}\nfaults: {} ({}); full list in {}\n", faults.len(), counts.join(", "), report_path.display()))
}

/// One analysis, several sinks: the JSON report, the per-frame CSV and the terminal summary.
fn write_outputs(
    plan: &Plan,
    staged: &mut StagedOutputs,
    input: InputInfo,
    pose: PoseSummary,
    frames: &[TrackFrame],
    analysis: &Analysis,
    mut terminal: String,
) -> Result<String> {
    let report_path = plan.out("report.json");
    let mut report = Report::new(input, pose, frames, &analysis.report)?;
    crate::report_html::add_sides(&mut report.coaching, frames, &analysis.metrics, &plan.engine.exercises_dir)?;
    report.write(&staged.stage(&report_path))?;
    let csv_path = plan.out("metrics.csv");
    CsvSink { path: staged.stage(&csv_path) }.write(analysis)?;
    terminal += &format!("  report:          {}\n  metrics:         {}\n", report_path.display(), csv_path.display());
    terminal += &summary(analysis, &report_path)?;
    Ok(terminal)
}
