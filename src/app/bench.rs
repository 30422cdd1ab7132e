//! `rollcoach bench`: decode time, model-only time per frame, end-to-end `analyze` frames per second and the ratio
//! to real time, measured on one clip in one run (so the figures compare with each other on the same machine state).
//! The split (decode / model / the rest) shows what grows with the frame size.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use opencv::core::Mat;
use opencv::prelude::*;

use crate::analysis::{self, ClipOutputs};
use crate::coach::{default_exercises_dir, EngineConfig};
use crate::encode::VideoSize;
use crate::pipeline::{Pipeline, PipelineConfig};
use crate::pose::blazepose::{BlazePose, BlazePoseConfig, LandmarkModel};
use crate::pose::PoseEstimator;
use crate::runtime;
use crate::source::{FrameSource, VideoFileSource};
use crate::stats::{cpu_seconds, percentile_or_nan as pct};

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Clip to measure on.
    #[arg(value_name = "CLIP", default_value = "samples/bridging.mp4")]
    pub clip: PathBuf,
    /// Landmark model.
    #[arg(long, value_enum, default_value_t = LandmarkModel::Full)]
    pub model: LandmarkModel,
    /// ONNX Runtime threads per model; default as in `analyze`.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub threads: Option<u16>,
    /// Passes over the clip per measurement (the median pass is reported).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub runs: u32,
    /// Largest size of the annotated video written by the end-to-end pass (as `analyze --video-size`).
    #[arg(long, value_name = "SIZE", default_value = "720p")]
    pub video_size: VideoSize,
    /// Leave the roller step out of the end-to-end pass.
    #[arg(long)]
    pub no_roller: bool,
}

/// Frames kept in memory for the model-only pass: at most this many, and at most [`MODEL_PASS_BYTES`] of them (so
/// a 4K clip does not need gigabytes; 256 MiB holds 10 4K frames, 60 1080p ones).
const MODEL_PASS_FRAMES: usize = 60;
const MODEL_PASS_BYTES: usize = 256 << 20;

/// Input sizes of the roller-detection timing.
const ROLLER_BENCH_SIZES: [(i32, i32); 4] = [(640, 480), (1280, 720), (1920, 1080), (3840, 2160)];
/// Frames of the clip used for the roller timing (with their poses from the model).
const ROLLER_BENCH_FRAMES: usize = 60;
/// The frames' times for the roller tracking are taken at this rate (the timing does not depend on it).
const ROLLER_BENCH_FPS: f64 = 30.0;

/// Roller detection alone (crop, candidates, checks, tracking), per frame, with the clip's frames scaled to each
/// input size and the pose model's pose and person mask of each scaled frame, as `analyze` and `live` give it (the
/// mask rejects circles inside the person): the detector's cost must not grow with the input resolution.
fn roller_timing(frames: &[Mat], models: &std::path::Path, a: &BenchArgs) -> Result<()> {
    use crate::roller::{RollerConfig, RollerDetector, RollerMethod};
    let mut bp = BlazePose::new(models, BlazePoseConfig { landmark_model: a.model, threads: runtime::threads_or_default(a.threads), tracking: true })?;
    let mut scaled_sizes = Vec::with_capacity(ROLLER_BENCH_SIZES.len());
    for (w, h) in ROLLER_BENCH_SIZES {
        bp.reset();
        let mut scaled = Vec::with_capacity(ROLLER_BENCH_FRAMES);
        for f in frames.iter().take(ROLLER_BENCH_FRAMES) {
            let big = letterboxed(f, w, h)?;
            let pose = bp.estimate(&big)?;
            let mask = pose.as_ref().and(bp.mask()).cloned();
            scaled.push((big, pose, mask));
        }
        scaled_sizes.push(((w, h), scaled));
    }
    for method in [RollerMethod::Auto, RollerMethod::Learned, RollerMethod::Circles, RollerMethod::Both] {
        let cfg = RollerConfig { method, ..RollerConfig::default() };
        let mut det = RollerDetector::load(cfg, models, runtime::threads_or_default(a.threads))?;
        let mut line = format!("roller detection ({method:?}) ms/frame (median / mean):");
        for ((w, h), scaled) in &scaled_sizes {
            let mut ms = Vec::new();
            for _ in 0..a.runs {
                det.reset();
                for (i, (f, pose, mask)) in scaled.iter().enumerate() {
                    let t0 = Instant::now();
                    det.detect(f, i as f64 / ROLLER_BENCH_FPS, pose.as_ref(), mask.as_ref())?;
                    ms.push(t0.elapsed().as_secs_f64() * 1e3);
                }
            }
            let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
            line += &format!("  {w}x{h} {:.2} / {mean:.2}", crate::stats::percentile_or_nan(&ms, 50.0));
        }
        println!("{line}");
    }
    Ok(())
}

/// `frame` scaled to fit `w` x `h` with its aspect ratio kept and centred on black (a 4:3 clip stretched to 16:9
/// had its roller's end face drawn as an ellipse, and the detectors found it at 640x480 only).
fn letterboxed(frame: &Mat, w: i32, h: i32) -> Result<Mat> {
    use opencv::core::{Scalar, Size, BORDER_CONSTANT};
    let s = (w as f32 / frame.cols() as f32).min(h as f32 / frame.rows() as f32);
    let (sw, sh) = (((frame.cols() as f32 * s).round() as i32).min(w), ((frame.rows() as f32 * s).round() as i32).min(h));
    let mut fit = Mat::default();
    opencv::imgproc::resize(frame, &mut fit, Size::new(sw, sh), 0.0, 0.0, opencv::imgproc::INTER_LINEAR)?;
    let (left, top) = ((w - sw) / 2, (h - sh) / 2);
    let mut big = Mat::default();
    opencv::core::copy_make_border(&fit, &mut big, top, h - sh - top, left, w - sw - left, BORDER_CONSTANT, Scalar::all(0.0))?;
    Ok(big)
}

/// The machine's load average over 1, 5 and 15 minutes (`/proc/loadavg`), printed beside every speed figure: on a
/// shared machine it says how much CPU the run could get.
pub fn load_average() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = s.split_whitespace().take(3).collect();
    if fields.len() == 3 {
        fields.join(" / ")
    } else {
        "unknown".into()
    }
}

pub fn run(a: BenchArgs) -> Result<()> {
    let threads = runtime::threads_or_default(a.threads);
    let info = VideoFileSource::open(&a.clip)?.info();
    let (decode_ms, decode_cpu, frames) = decode_pass(&a)?;
    println!(
        "rollcoach bench: {} ({}x{}, {:.0} fps), landmark model {:?}, {} thread(s), {} run(s), {} cores, load average {}",
        a.clip.display(),
        info.width,
        info.height,
        info.fps,
        a.model,
        threads,
        a.runs,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        load_average()
    );
    println!("decode only:              median {decode_ms:6.2} ms/frame (CPU {decode_cpu:.2} ms/frame)");
    let (tracked_med, model_cpu) = model_pass(&a, threads, &frames)?;
    roller_timing(&frames, &runtime::find_models_dir(None)?, &a)?;
    drop(frames);
    let (e2e, e2e_cpu) = end_to_end_pass(&a, threads)?;
    let frame_ms = 1000.0 / e2e;
    println!("end to end (analyze):     {e2e:6.1} frames/s ({frame_ms:.1} ms/frame)");
    println!("  ratio to real time ({:.0} fps): x{:.2}", info.fps, e2e / info.fps);
    println!(
        "  split per frame: decode {decode_ms:.1} ms, model {tracked_med:.1} ms, rest (roller, engine, resize, draw, \
         encode, overlap) {:.1} ms; end to end minus decode {:.1} ms",
        frame_ms - decode_ms - tracked_med,
        frame_ms - decode_ms
    );
    println!(
        "  CPU per frame (all threads, the encoder included; load-independent): decode {decode_cpu:.1} ms, model \
         {model_cpu:.1} ms, end to end {e2e_cpu:.1} ms; end to end minus decode {:.1} ms",
        e2e_cpu - decode_cpu
    );
    Ok(())
}

/// Median decode time per frame over the whole clip (wall, and CPU with the decoder's own threads), and up to
/// [`MODEL_PASS_FRAMES`] decoded frames for the model pass.
fn decode_pass(a: &BenchArgs) -> Result<(f64, f64, Vec<Mat>)> {
    let mut frames = Vec::new();
    let (mut ms, mut cpu_ms) = (Vec::new(), Vec::new());
    for _ in 0..a.runs {
        let mut src = VideoFileSource::open(&a.clip)?;
        let mut m = Mat::default();
        let mut n = 0usize;
        let (t0, c0) = (Instant::now(), cpu_seconds());
        while src.next_frame(&mut m)?.is_some() {
            n += 1;
            let bytes = m.total() * m.elem_size().unwrap_or(3);
            if frames.len() < MODEL_PASS_FRAMES && (frames.len() + 1) * bytes <= MODEL_PASS_BYTES && ms.is_empty() {
                frames.push(m.try_clone()?);
            }
        }
        ms.push(t0.elapsed().as_secs_f64() * 1e3 / n.max(1) as f64);
        cpu_ms.push((cpu_seconds() - c0) * 1e3 / n.max(1) as f64);
    }
    Ok((pct(&ms, 50.0), pct(&cpu_ms, 50.0), frames))
}

/// Model only on frames already in memory, tracking on and off; returns the tracked median and mean CPU (ms/frame).
fn model_pass(a: &BenchArgs, threads: usize, frames: &[Mat]) -> Result<(f64, f64)> {
    let models = runtime::find_models_dir(None)?;
    let per_frame_ms = |tracking: bool| -> Result<(Vec<f64>, u64, f64)> {
        let mut bp = BlazePose::new(&models, BlazePoseConfig { landmark_model: a.model, threads, tracking })?;
        bp.estimate(&frames[0])?; // warm-up
        bp.reset();
        bp.detector_runs = 0;
        let mut ms = Vec::new();
        let c0 = cpu_seconds();
        for _ in 0..a.runs {
            bp.reset();
            for f in frames {
                let t0 = Instant::now();
                bp.estimate(f)?;
                ms.push(t0.elapsed().as_secs_f64() * 1e3);
            }
        }
        let cpu_ms = (cpu_seconds() - c0) * 1e3 / ms.len().max(1) as f64;
        Ok((ms, bp.detector_runs, cpu_ms))
    };
    let (tracked, det_runs, cpu_ms) = per_frame_ms(true)?;
    let (untracked, _, _) = per_frame_ms(false)?;
    let (tracked_med, tracked_p99) = (pct(&tracked, 50.0), pct(&tracked, 99.0));
    let untracked_med = pct(&untracked, 50.0);
    println!("model only, tracking on : median {tracked_med:6.2} ms/frame, p99 {tracked_p99:6.2} ms (detector ran on {det_runs} of {} frames)", tracked.len());
    println!("model only, tracking off: median {untracked_med:6.2} ms/frame (detector + landmarks every frame)");
    println!("  tracking speed-up: x{:.2}", untracked_med / tracked_med);
    Ok((tracked_med, cpu_ms))
}

/// End to end: decode + model + smoothing + roller + engine + drawing + video encode + pose track; median fps and
/// median CPU ms per frame.
fn end_to_end_pass(a: &BenchArgs, threads: usize) -> Result<(f64, f64)> {
    let out = std::env::temp_dir().join(format!("rollcoach-bench-{}", std::process::id()));
    std::fs::create_dir_all(&out).with_context(|| out.display().to_string())?;
    let defaults = PipelineConfig::default();
    let cfg = PipelineConfig {
        blazepose: BlazePoseConfig { landmark_model: a.model, threads, tracking: true },
        roller: if a.no_roller { None } else { defaults.roller.clone() },
        ..defaults
    };
    let mut pipeline = Pipeline::new(&cfg)?;
    let outputs = ClipOutputs {
        annotated_video: Some(out.join("bench.mp4")),
        video_size: a.video_size,
        pose_track: out.join("bench.poses.jsonl"),
    };
    let (mut fps, mut cpu_ms) = (Vec::new(), Vec::new());
    for _ in 0..a.runs {
        let c0 = cpu_seconds();
        pipeline.reset();
        let mut src = VideoFileSource::open(&a.clip)?;
        let engine = EngineConfig::new(default_exercises_dir());
        let stats = analysis::run_clip_coached(&mut src, &mut pipeline, &outputs, engine, || {})?.stats;
        fps.push(stats.frames as f64 / stats.wall_seconds);
        cpu_ms.push((cpu_seconds() - c0) * 1e3 / stats.frames.max(1) as f64);
    }
    let _ = std::fs::remove_dir_all(&out);
    Ok((pct(&fps, 50.0), pct(&cpu_ms, 50.0)))
}
