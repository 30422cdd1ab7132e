//! `rollcoach bench`: model-only time per frame, end-to-end `analyze` frames per second and the ratio to real
//! time, measured on one clip in one run (so the figures compare with each other on the same machine state).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use opencv::core::Mat;
use opencv::prelude::*;

use crate::analysis::{self, ClipOutputs};
use crate::live::run::percentile;
use crate::coach::{default_exercises_dir, EngineConfig};
use crate::pipeline::{Pipeline, PipelineConfig};
use crate::pose::blazepose::{BlazePose, BlazePoseConfig, LandmarkModel};
use crate::pose::PoseEstimator;
use crate::runtime;
use crate::source::{FrameSource, VideoFileSource};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Clip to measure on.
    #[arg(value_name = "CLIP", default_value = "samples/bridging.mp4")]
    pub clip: PathBuf,
    /// Landmark model.
    #[arg(long, value_enum, default_value_t = LandmarkModel::Full)]
    pub model: LandmarkModel,
    /// ONNX Runtime threads per model.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Passes over the clip per measurement (the median pass is reported).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub runs: u32,
}

/// Input sizes of the roller-detection timing.
const ROLLER_BENCH_SIZES: [(i32, i32); 4] = [(640, 480), (1280, 720), (1920, 1080), (3840, 2160)];
/// Frames of the clip used for the roller timing (with their poses from the model).
const ROLLER_BENCH_FRAMES: usize = 60;

/// Roller detection alone (crop, candidates, checks, tracking), per frame, with the clip's frames and poses scaled
/// to each input size: the detector's cost must not grow with the input resolution.
fn roller_timing(frames: &[Mat], models: &std::path::Path, a: &BenchArgs) -> Result<()> {
    use crate::roller::{RollerConfig, RollerDetector};
    use opencv::core::Size;
    let mut bp = BlazePose::new(models, BlazePoseConfig { landmark_model: a.model, threads: a.threads, tracking: true })?;
    let mut posed = Vec::new();
    for f in frames.iter().take(ROLLER_BENCH_FRAMES) {
        posed.push((f, bp.estimate(f)?));
    }
    let mut line = String::from("roller detection ms/frame (median):");
    for (w, h) in ROLLER_BENCH_SIZES {
        let mut scaled = Vec::with_capacity(posed.len());
        for (f, pose) in &posed {
            let (sx, sy) = (w as f32 / f.cols() as f32, h as f32 / f.rows() as f32);
            let mut big = Mat::default();
            opencv::imgproc::resize(f, &mut big, Size::new(w, h), 0.0, 0.0, opencv::imgproc::INTER_LINEAR)?;
            let pose = pose.clone().map(|mut p| {
                for k in p.keypoints.iter_mut() {
                    (k.x, k.y) = (k.x * sx, k.y * sy);
                }
                p
            });
            scaled.push((big, pose));
        }
        let mut det = RollerDetector::new(RollerConfig::default());
        let mut ms = Vec::new();
        for _ in 0..a.runs {
            det.reset();
            for (f, pose) in &scaled {
                let t0 = Instant::now();
                det.detect(f, pose.as_ref(), None)?;
                ms.push(t0.elapsed().as_secs_f64() * 1e3);
            }
        }
        line += &format!("  {w}x{h} {:.2}", pct(&ms, 50.0));
    }
    println!("{line}");
    Ok(())
}

/// Nearest-rank percentile (0-100) shared with the live benchmark; NaN for no samples.
fn pct(v: &[f64], p: f64) -> f64 {
    percentile(v, p).unwrap_or(f64::NAN)
}

pub fn run(a: BenchArgs) -> Result<()> {
    let mut src = VideoFileSource::open(&a.clip)?;
    let info = src.info();
    let mut frames = Vec::new();
    let mut m = Mat::default();
    while src.next_frame(&mut m)?.is_some() {
        frames.push(m.try_clone()?);
    }
    let models = runtime::find_models_dir(None)?;
    println!(
        "rollcoach bench: {} ({}x{}, {} frames, {:.0} fps), landmark model {:?}, {} thread(s), {} run(s), {} cores",
        a.clip.display(),
        info.width,
        info.height,
        frames.len(),
        info.fps,
        a.model,
        a.threads,
        a.runs,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );

    // 1. model only, frames already decoded in memory
    let per_frame_ms = |tracking: bool| -> Result<(Vec<f64>, u64)> {
        let mut bp = BlazePose::new(
            &models,
            BlazePoseConfig {
                landmark_model: a.model,
                threads: a.threads,
                tracking,
            },
        )?;
        bp.estimate(&frames[0])?; // warm-up
        bp.reset();
        bp.detector_runs = 0;
        let mut ms = Vec::new();
        for _ in 0..a.runs {
            bp.reset();
            for f in &frames {
                let t0 = Instant::now();
                bp.estimate(f)?;
                ms.push(t0.elapsed().as_secs_f64() * 1e3);
            }
        }
        Ok((ms, bp.detector_runs))
    };
    let (tracked, det_runs) = per_frame_ms(true)?;
    let (untracked, _) = per_frame_ms(false)?;
    let (tracked_med, tracked_p99) = (pct(&tracked, 50.0), pct(&tracked, 99.0));
    let untracked_med = pct(&untracked, 50.0);
    println!("model only, tracking on : median {tracked_med:6.2} ms/frame, p99 {tracked_p99:6.2} ms (detector ran on {det_runs} of {} frames)", tracked.len());
    println!("model only, tracking off: median {untracked_med:6.2} ms/frame (detector + landmarks every frame)");
    println!("  tracking speed-up: x{:.2}", untracked_med / tracked_med);

    roller_timing(&frames, &models, &a)?;

    // 2. end to end: decode + model + smoothing + drawing + video encode + pose track
    let out = std::env::temp_dir().join(format!("rollcoach-bench-{}", std::process::id()));
    std::fs::create_dir_all(&out).with_context(|| out.display().to_string())?;
    let cfg = PipelineConfig {
        blazepose: BlazePoseConfig {
            landmark_model: a.model,
            threads: a.threads,
            tracking: true,
        },
        ..PipelineConfig::default()
    };
    let mut pipeline = Pipeline::new(&cfg)?;
    let outputs = ClipOutputs {
        annotated_video: Some(out.join("bench.mp4")),
        pose_track: out.join("bench.poses.jsonl"),
    };
    let mut fps = Vec::new();
    for _ in 0..a.runs {
        pipeline.reset();
        let mut src = VideoFileSource::open(&a.clip)?;
        let stats = analysis::run_clip_coached(&mut src, &mut pipeline, &outputs, EngineConfig::new(default_exercises_dir()), || {})?.stats;
        fps.push(stats.frames as f64 / stats.wall_seconds);
    }
    let _ = std::fs::remove_dir_all(&out);
    let e2e = pct(&fps, 50.0);
    println!("end to end (analyze):     {e2e:6.1} frames/s");
    println!(
        "  ratio to real time ({:.0} fps): x{:.2}",
        info.fps,
        e2e / info.fps
    );
    println!(
        "  model share of a frame: {:.0}%",
        100.0 * tracked_med / (1000.0 / e2e)
    );
    Ok(())
}
