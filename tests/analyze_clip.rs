//! `rollcoach analyze CLIP` end to end on the bundled real clip, other containers, and bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use opencv::core::{Mat, Size};
use opencv::prelude::*;
use opencv::videoio;
use rollcoach::landmarks::idx;
use rollcoach::posetrack::PoseTrack;
use serde_json::Value;

/// Acceptance threshold of the analyse issue.
const MIN_PERSON_RATE: f64 = 0.95;
/// The bridge lifts the hips by well over a quarter of the torso length (shoulder-hip) and lowers them again.
const MIN_HIP_TRAVEL_TORSOS: f64 = 0.25;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rc-analyze-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn analyze(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rollcoach"))
        .arg("analyze")
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn bridging_clip_person_found_and_hips_rise_and_fall() {
    let out = tmp("bridging");
    let o = analyze(&[
        s(&repo().join("samples/bridging.mp4")),
        "--out",
        s(&out),
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bridging.report.json")).unwrap())
            .unwrap();
    assert_eq!(report["format"], "rollcoach-report/1");
    assert_eq!(report["input"]["frames"], 91);
    let rate = report["pose"]["person_rate"].as_f64().unwrap();
    assert!(
        rate >= MIN_PERSON_RATE,
        "person found in {:.1}% of frames",
        rate * 100.0
    );
    assert_eq!(report["frames"].as_array().unwrap().len(), 91);
    assert_eq!(
        report["frames"][0]["keypoints"].as_array().unwrap().len(),
        33
    );
    // a glute bridge on a mat is not foam rolling: no area coached, no fault raised
    assert_eq!(report["areas"].as_array().unwrap().len(), 0, "areas: {}", report["areas"]);
    assert_eq!(report["faults"].as_array().unwrap().len(), 0, "faults: {}", report["faults"]);
    let csv = std::fs::read_to_string(out.join("bridging.metrics.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 91, "one CSV row per frame after the header");

    // the pose track says the same, in its own format
    let track = PoseTrack::read(&out.join("bridging.poses.jsonl")).unwrap();
    assert_eq!((track.header.width, track.header.height), (640, 480));
    assert_eq!(track.frames.len(), 91);
    let hip_y: Vec<f64> = track
        .frames
        .iter()
        .flatten_poses()
        .map(|p| p.mid(idx::LEFT_HIP, idx::RIGHT_HIP).y as f64)
        .collect();
    let torso: f64 = track
        .frames
        .iter()
        .flatten_poses()
        .map(|p| {
            let (sh, hp) = (
                p.mid(idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER),
                p.mid(idx::LEFT_HIP, idx::RIGHT_HIP),
            );
            ((sh.x - hp.x) as f64).hypot((sh.y - hp.y) as f64)
        })
        .sum::<f64>()
        / hip_y.len() as f64;
    let (top_i, top) = hip_y
        .iter()
        .copied()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let rise = hip_y[0] - top; // image y grows downwards
    let fall = hip_y[hip_y.len() - 1] - top;
    assert!(
        rise > MIN_HIP_TRAVEL_TORSOS * torso,
        "hips rose {rise:.1} px, torso {torso:.1} px"
    );
    assert!(
        fall > MIN_HIP_TRAVEL_TORSOS * torso,
        "hips fell {fall:.1} px, torso {torso:.1} px"
    );
    assert!(
        top_i > hip_y.len() / 10 && top_i < hip_y.len() * 9 / 10,
        "top of the bridge at frame {top_i}"
    );

    // the annotated video is a readable video of the same length
    let cap = videoio::VideoCapture::from_file(
        s(&out.join("bridging.annotated.mp4")),
        videoio::CAP_FFMPEG,
    )
    .unwrap();
    assert!(cap.is_opened().unwrap());
    assert_eq!(cap.get(videoio::CAP_PROP_FRAME_COUNT).unwrap() as i64, 91);
}

trait FlattenPoses<'a> {
    fn flatten_poses(self) -> Box<dyn Iterator<Item = &'a rollcoach::landmarks::Pose> + 'a>;
}
impl<'a, I: Iterator<Item = &'a rollcoach::posetrack::TrackFrame> + 'a> FlattenPoses<'a> for I {
    fn flatten_poses(self) -> Box<dyn Iterator<Item = &'a rollcoach::landmarks::Pose> + 'a> {
        Box::new(self.filter_map(|f| f.pose.as_ref()))
    }
}

/// Re-encodes the first `frames` frames of the sample with OpenCV into another container/codec.
fn transcode(dst: &Path, fourcc: [char; 4], frames: usize) {
    let mut cap = videoio::VideoCapture::from_file(
        s(&repo().join("samples/bridging.mp4")),
        videoio::CAP_FFMPEG,
    )
    .unwrap();
    let cc = videoio::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]).unwrap();
    let mut w = videoio::VideoWriter::new(s(dst), cc, 30.0, Size::new(640, 480), true).unwrap();
    assert!(
        w.is_opened().unwrap(),
        "this OpenCV cannot write {}",
        dst.display()
    );
    let mut m = Mat::default();
    for _ in 0..frames {
        assert!(cap.read(&mut m).unwrap());
        w.write(&m).unwrap();
    }
    w.release().unwrap();
}

#[test]
fn reads_avi_mjpg_and_webm() {
    let out = tmp("containers");
    for (name, cc) in [
        ("clip.avi", ['M', 'J', 'P', 'G']),
        ("clip.webm", ['V', 'P', '8', '0']),
    ] {
        let p = out.join(name);
        transcode(&p, cc, 20);
        let o = analyze(&[s(&p), "--out", s(&out), "--quiet", "--no-video"]);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let track = PoseTrack::read(&out.join("clip.poses.jsonl")).unwrap();
        assert_eq!(track.frames.len(), 20, "{name}");
        assert!(
            track.frames.iter().filter(|f| f.pose.is_some()).count() >= 19,
            "{name}: person not found"
        );
    }
}

fn expect_error(path: &Path, needle: &str) {
    let out = tmp("bad");
    let o = analyze(&[s(path), "--out", s(&out), "--quiet"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}: {err}", path.display());
    assert!(
        err.contains(s(path)) && err.contains(needle),
        "message for {}: {err}",
        path.display()
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_input_is_a_clear_error_naming_the_file() {
    let d = tmp("inputs");
    expect_error(&d.join("missing.mp4"), "not found");
    std::fs::write(d.join("empty.mp4"), b"").unwrap();
    expect_error(&d.join("empty.mp4"), "empty");
    std::fs::write(d.join("notes.mp4"), b"this is a text file, not a video\n").unwrap();
    expect_error(&d.join("notes.mp4"), "not a video");
    let bytes = std::fs::read(repo().join("samples/bridging.mp4")).unwrap();
    // cut in the middle: bridging.mp4 keeps its index (moov) at the end, so the header is gone
    std::fs::write(d.join("cut.mp4"), &bytes[..bytes.len() / 2]).unwrap();
    expect_error(&d.join("cut.mp4"), "not a video");
    // a fast-start file keeps its index first: cutting it leaves fewer frames than the header lists
    // (ffmpeg is installed by scripts/setup.sh)
    let fast = d.join("fast.mp4");
    let st = Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-y",
            "-i",
            s(&repo().join("samples/bridging.mp4")),
            "-c",
            "copy",
            "-movflags",
            "faststart",
            s(&fast),
        ])
        .status()
        .expect("ffmpeg (run scripts/setup.sh)");
    assert!(st.success());
    let fb = std::fs::read(&fast).unwrap();
    std::fs::write(d.join("fastcut.mp4"), &fb[..fb.len() / 3]).unwrap();
    expect_error(&d.join("fastcut.mp4"), "truncated");
}

#[test]
fn help_documents_every_option() {
    let o = Command::new(env!("CARGO_BIN_EXE_rollcoach"))
        .args(["analyze", "--help"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    for opt in [
        "--poses",
        "--out",
        "--exercise",
        "--exercises-dir",
        "--roller-diameter-cm",
        "--model",
        "--models",
        "--threads",
        "--no-tracking",
        "--no-smoothing",
        "--no-video",
        "--quiet",
    ] {
        // clap prints `  -o, --out <DIR>  Output folder ...`: the flag, then its description on the same line
        let line = help
            .lines()
            .find(|l| l.split_whitespace().any(|w| w.trim_end_matches(',') == opt))
            .unwrap_or_else(|| panic!("{opt} missing from help"));
        let words_after_flag = line
            .split_whitespace()
            .skip_while(|w| w.trim_end_matches(',') != opt)
            .skip(1)
            .filter(|w| !w.starts_with('<'))
            .count();
        assert!(words_after_flag >= 3, "{opt} has no description: {line:?}");
    }
}

#[test]
fn missing_runtime_or_models_say_which_command_fixes_it() {
    let out = tmp("runtime");
    let clip = repo().join("samples/bridging.mp4");
    let o = Command::new(env!("CARGO_BIN_EXE_rollcoach"))
        .args(["analyze", s(&clip), "--out", s(&out), "--quiet"])
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("/nonexistent/libonnxruntime.so") && err.contains("bash scripts/setup.sh"), "{err}");

    let empty = tmp("no-models");
    let o = analyze(&[s(&clip), "--out", s(&out), "--quiet", "--models", s(&empty)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(s(&empty)) && err.contains("git checkout -- models"), "{err}");
}
