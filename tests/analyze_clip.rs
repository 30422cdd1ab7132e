//! `rollcoach analyze CLIP` end to end on the bundled real clip, other containers, and bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{in_mount_namespace, rollcoach, run, wait_for};

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

use common::{repo, s};

/// A scratch folder kept for the test binary's life (removed with the process's temp files by the OS).
fn tmp(name: &str) -> PathBuf {
    common::tmp(name).keep()
}

fn analyze(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rollcoach"))
        .arg("analyze")
        .args(args)
        .output()
        .unwrap()
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
        // clap prints `  -o, --out <DIR>  Output folder ...`: the flag, then its description on the same line, or
        // (when an option lists its possible values with descriptions) on the next line
        let lines: Vec<&str> = help.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.split_whitespace().any(|w| w.trim_end_matches(',') == opt))
            .unwrap_or_else(|| panic!("{opt} missing from help"));
        let line = lines[at];
        let same_line = line
            .split_whitespace()
            .skip_while(|w| w.trim_end_matches(',') != opt)
            .skip(1)
            .filter(|w| !w.starts_with('<'))
            .count();
        let next_line = lines.get(at + 1).map_or(0, |l| if l.trim_start().starts_with('-') { 0 } else { l.split_whitespace().count() });
        let words_after_flag = same_line.max(next_line);
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

/// A pose-track header with the given fps, width and height, and `frames` frame lines.
fn track_text(fps: &str, width: &str, frames: &[&str]) -> String {
    let mut t = format!(
        "{{\"format\":\"rollcoach-poses/1\",\"width\":{width},\"height\":480,\"fps\":{fps},\"layout\":\"blazepose33\"}}\n"
    );
    for f in frames {
        t += f;
        t.push('\n');
    }
    t
}

fn pose_line(t: f64, visibility: f64) -> String {
    let k = vec![format!("[100.0,100.0,{visibility}]"); 33].join(",");
    format!("{{\"t\":{t},\"keypoints\":[{k}]}}")
}

/// Why bullet 1: size-bearing numbers in a pose track (fps 1e300 panicked, 1e12 aborted allocating 128 TB),
/// visibility outside 0-1 and times going backwards are errors naming the file and line.
#[test]
fn pose_track_numbers_out_of_bounds_are_errors_naming_file_and_line() {
    let d = tmp("bounds");
    let ok = pose_line(0.0, 0.9);
    let cases: Vec<(&str, String, &[&str])> = vec![
        ("fps1e300", track_text("1e300", "640", &[&ok]), &["line 1", "fps"]),
        ("fps1e12", track_text("1e12", "640", &[&ok]), &["line 1", "fps"]),
        ("fps0", track_text("0.0", "640", &[&ok]), &["line 1", "fps"]),
        ("wide", track_text("30.0", "4000000000", &[&ok]), &["line 1", "width"]),
        ("vis", track_text("30.0", "640", &[&ok, &pose_line(0.1, 7.5)]), &["line 3", "visibility"]),
        ("back", track_text("30.0", "640", &[&ok, &pose_line(0.5, 0.9), &pose_line(0.2, 0.9)]), &["line 4", "backwards"]),
        ("huge_t", track_text("30.0", "640", &[&pose_line(1e300, 0.9)]), &["line 2", "\"t\""]),
    ];
    for (name, text, needles) in cases {
        let path = d.join(format!("{name}.jsonl"));
        std::fs::write(&path, text).unwrap();
        let r = run(rollcoach().args(["analyze", "--quiet", "--out"]).arg(d.join("out")).arg("--poses").arg(&path));
        r.assert_error(s(&path), needles);
    }
}

/// The sample with 20 kB zeroed in the middle of its video data: ffmpeg's h264 decoder rejects a few frames.
fn corrupt_copy(dir: &Path) -> PathBuf {
    let mut b = std::fs::read(repo().join("samples/bridging.mp4")).unwrap();
    let mid = b.len() / 2;
    b[mid..mid + 20_000].fill(0);
    let p = dir.join("corrupt.mp4");
    std::fs::write(&p, b).unwrap();
    p
}

/// Frames ffmpeg itself decodes from `clip`.
fn ffprobe_frames(clip: &Path) -> u64 {
    let o = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v", "-show_entries", "stream=nb_read_frames"])
        .args(["-of", "csv=p=0", s(clip)])
        .output()
        .expect("ffprobe (run scripts/setup.sh)");
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

/// Why bullet 4: corrupt bytes mid-clip: the bad frames are skipped, the rest analysed (as many as ffmpeg decodes),
/// and the skipped frames reported with where they were.
#[test]
fn corrupt_frames_mid_clip_are_skipped_and_reported() {
    let d = tmp("corrupt");
    let clip = corrupt_copy(&d);
    let expected = ffprobe_frames(&clip);
    assert!(expected < 91 && expected > 60, "the corruption should cost ffmpeg a few frames, it decoded {expected}");
    let r = run(rollcoach().args(["analyze", "--no-video", "--out", s(&d), s(&clip)]));
    r.assert_ok();
    assert!(r.stderr.contains("corrupt.mp4") && r.stderr.contains("skipped"), "{}", r.stderr);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(d.join("corrupt.report.json")).unwrap()).unwrap();
    assert_eq!(report["input"]["frames"].as_u64(), Some(expected), "{}", report["input"]);
    let gaps = report["input"]["decode_gaps"].as_array().expect("decode_gaps listed");
    let skipped: u64 = gaps.iter().map(|g| g["frames"].as_u64().unwrap()).sum();
    assert_eq!(skipped, 91 - expected);
    let at = gaps[0]["before_t"].as_f64().unwrap();
    assert!(at > 0.5 && at < 2.5, "gap at {at} s; the damage is in the middle of the 3 s clip");
    // Frame times come from the container: they jump over the skipped frames instead of closing up.
    let track = PoseTrack::read(&d.join("corrupt.poses.jsonl")).unwrap();
    let jump = track.frames.windows(2).map(|w| w[1].t - w[0].t).fold(0.0, f64::max);
    assert!(jump > 1.5 / 30.0, "largest step {jump:.3} s: skipped frames did not leave a gap in time");
}

/// Issue 12: frames are timed by their presentation timestamps. A clip with a 1 s pause after frame 45 (variable
/// frame rate) gives frame 46 the time 46/30 + 1 s, not 46/30.
#[test]
fn clip_frames_are_timed_by_their_timestamps() {
    let d = tmp("vfr");
    let vfr = d.join("vfr.mp4");
    let st = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i", s(&repo().join("samples/bridging.mp4"))])
        .args(["-vf", "setpts=N/30/TB+gte(N\\,46)/TB", "-fps_mode", "passthrough", "-an", s(&vfr)])
        .status()
        .expect("ffmpeg (run scripts/setup.sh)");
    assert!(st.success());
    run(rollcoach().args(["analyze", "--no-video", "--quiet", "--out", s(&d), s(&vfr)])).assert_ok();
    let track = PoseTrack::read(&d.join("vfr.poses.jsonl")).unwrap();
    assert_eq!(track.frames.len(), 91);
    let t = |i: usize| track.frames[i].t;
    assert!((t(45) - 45.0 / 30.0).abs() < 0.02, "frame 45 at {}", t(45));
    assert!((t(46) - (46.0 / 30.0 + 1.0)).abs() < 0.02, "frame 46 at {}", t(46));
}

/// The files in `dir` (names only, sorted).
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// Why bullets 2 and 3: a full disk mid-run. The error says so (not "annotated video: ..." as if written), no
/// partial file is left, and an earlier run's report in the folder is untouched. The disk is a 300 kB tmpfs mounted
/// in a private mount namespace.
#[test]
fn disk_full_is_reported_and_leaves_no_partial_outputs() {
    let clip = repo().join("samples/bridging.mp4");
    let script = format!(
        "set -e; d=$(mktemp -d); mount -t tmpfs -o size=300k tmpfs \"$d\"; echo old > \"$d/bridging.report.json\"; \
         set +e; \"$RC\" analyze {} --out \"$d\"; echo \"rc=$?\"; ls -A \"$d\"; cat \"$d/bridging.report.json\"",
        s(&clip)
    );
    let r = in_mount_namespace(&script);
    assert!(r.stdout.contains("rc=1"), "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stderr.to_lowercase().contains("no space left"), "{}", r.stderr);
    assert!(!r.stdout.contains("annotated video:"), "outputs announced although not written:\n{}", r.stdout);
    let after: Vec<&str> = r.stdout.lines().skip_while(|l| !l.starts_with("rc=")).skip(1).collect();
    assert_eq!(after, ["bridging.report.json", "old"], "folder after the failed run:\n{}", r.stdout);
}

/// Why bullet 5: a read-only output folder is reported as such (it was "no usable encoder (tried avc1, mp4v)").
#[test]
fn read_only_output_folder_is_reported_as_such() {
    let clip = repo().join("samples/bridging.mp4");
    let script = format!(
        "set -e; d=$(mktemp -d); mount -t tmpfs -o ro,size=64k tmpfs \"$d\"; set +e; \
         \"$RC\" analyze {} --out \"$d\"; echo \"rc=$?\"",
        s(&clip)
    );
    let r = in_mount_namespace(&script);
    assert!(r.stdout.contains("rc=1"), "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("Read-only file system") && r.stderr.contains("--out"), "{}", r.stderr);
    assert!(!r.stderr.contains("encoder"), "{}", r.stderr);
}

/// Why bullet 3: SIGTERM (or Ctrl-C) mid-run removes the partial files; nothing appears under a final name.
#[test]
fn interrupted_analyze_removes_its_partial_files() {
    let d = tmp("sigterm");
    let mut child = rollcoach()
        .args(["analyze", "--quiet", "--out", s(&d), s(&repo().join("samples/bridging.mp4"))])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Stop it once it has written some frames of its pose track (under the temporary name).
    wait_for("a partial pose track with 5 frames", Some(&mut child), || {
        listing(&d)
            .iter()
            .find(|n| n.contains(".partial") && n.ends_with(".jsonl"))
            .filter(|n| common::frames_written(&d.join(n)) >= 5)
            .cloned()
    });
    // SAFETY: plain kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let r = common::checked(child.wait_with_output().unwrap());
    r.assert_error("interrupted", &["partial outputs removed"]);
    assert_eq!(listing(&d), Vec::<String>::new(), "files left behind");
}

/// Why bullet 7: a truncated libonnxruntime.so is refused with a message (it killed the process with SIGBUS).
#[test]
fn truncated_runtime_library_is_refused_with_a_message() {
    let d = tmp("ort");
    let lib = rollcoach::runtime::find_ort_library().expect("runtime library (run scripts/setup.sh)");
    let bytes = std::fs::read(&lib).unwrap();
    let cut = d.join("libonnxruntime.so");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let r = run(rollcoach()
        .env("ORT_DYLIB_PATH", &cut)
        .args(["analyze", "--quiet", "--no-video", "--out", s(&d), s(&repo().join("samples/bridging.mp4"))]));
    r.assert_error(s(&cut), &["truncated", "bash scripts/setup.sh"]);
}

/// Why bullet 7: a long fault list is one line on stdout; the report has every fault.
#[test]
fn long_fault_list_is_one_line_on_stdout_and_complete_in_the_report() {
    let d = tmp("faults");
    let track = d.join("many.jsonl");
    let mut synth = rollcoach();
    synth.args(["synth", "--exercise", "quads", "--speed", "2.5", "--duration", "200", "--out", s(&track)]);
    for i in 0..30 {
        synth.args(["--fault", &format!("too_fast@{}+2", 5 + i * 6)]);
    }
    run(&mut synth).assert_ok();
    let r = run(rollcoach().args(["analyze", "--out", s(&d), "--poses", s(&track)]));
    r.assert_ok();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(d.join("many.report.json")).unwrap()).unwrap();
    let n = report["faults"].as_array().unwrap().len();
    assert!(n > 20, "only {n} faults: the test needs a long list");
    let line = r.stdout.lines().find(|l| l.starts_with("faults:")).unwrap_or_else(|| panic!("{}", r.stdout));
    assert!(line.contains(&n.to_string()) && line.contains("many.report.json"), "{line}");
    assert!(r.stdout.lines().count() < 15, "{} lines on stdout:\n{}", r.stdout.lines().count(), r.stdout);
}

/// Roller diameters are validated once for every command that takes one.
#[test]
fn shared_options_have_one_validation() {
    for cmd in ["analyze", "live"] {
        let r = run(rollcoach().args([cmd, "--roller-diameter-cm", "150"]));
        assert_eq!(r.code, Some(2), "{cmd}: {}", r.stderr);
        assert!(r.stderr.contains("150 cm is outside 5-40 cm"), "{cmd}: {}", r.stderr);
    }
}
