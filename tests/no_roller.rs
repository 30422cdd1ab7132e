//! Real clips of people with no foam roller (samples/real/, see its README; samples/bridging.mp4): through the
//! binary, `analyze` and `live --source CLIP --repeat 3 --no-window --mute` must report a roller in at most 2% of
//! frames, and no exercise, no fault and no coaching cue (the camera-placement verdict aside).
//! Needs the ONNX Runtime library (ORT_DYLIB_PATH or ./runtime, see README) like every test that runs the pose model.

use std::path::{Path, PathBuf};
use std::process::Command;

use rollcoach::live::session::{EVENTS_FILE, POSES_FILE};
use rollcoach::posetrack::PoseTrack;
use serde_json::Value;

/// Issue 16's acceptance bar: roller reported in at most this share of the frames.
const MAX_ROLLER_RATE: f64 = 0.02;
/// The only cue allowed without a roller: where to put the camera.
const PLACEMENT_RULE: &str = "placement";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rc-noroller-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rollcoach(args: &[&str], out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_rollcoach"))
        .current_dir(root())
        .args(args)
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "rollcoach {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn analyze_reports_nothing(clip: &str) {
    let out = tmp(&clip.replace('/', "_"));
    rollcoach(&["analyze", clip, "--no-video", "--quiet", "--out"], &out);
    let stem = Path::new(clip).file_stem().unwrap().to_string_lossy().into_owned();
    let path = out.join(format!("{stem}.report.json"));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let frames = r["frame_count"].as_u64().unwrap();
    let with_roller = r["frames_with_roller"].as_u64().unwrap();
    assert!(frames > 0 && r["frames_with_pose"].as_u64().unwrap() > 0, "{clip}: nobody seen, the test proves nothing");
    let rate = with_roller as f64 / frames as f64;
    assert!(rate <= MAX_ROLLER_RATE, "{clip}: analyze reports a roller in {with_roller}/{frames} frames");
    assert_eq!(r["areas"], Value::Array(vec![]), "{clip}: exercise areas coached: {}", r["areas"]);
    assert_eq!(r["faults"], Value::Array(vec![]), "{clip}: faults: {}", r["faults"]);
    let cues: Vec<&Value> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["rule"].as_str() != Some(PLACEMENT_RULE))
        .collect();
    assert!(cues.is_empty(), "{clip}: events: {cues:?}");
    let _ = std::fs::remove_dir_all(&out);
}

fn live_reports_nothing(clip: &str) {
    let sessions = tmp(&format!("live-{}", clip.replace('/', "_")));
    let args = ["live", "--source", clip, "--repeat", "3", "--no-window", "--mute", "--quiet", "--sessions-dir"];
    rollcoach(&args, &sessions);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&sessions).unwrap().flatten().map(|e| e.path()).collect();
    dirs.sort();
    let s = dirs.pop().expect("a session folder");
    let track = PoseTrack::read(&s.join(POSES_FILE)).unwrap();
    let with_pose = track.frames.iter().filter(|f| f.pose.is_some()).count();
    let with_roller = track.frames.iter().filter(|f| f.roller.is_some()).count();
    assert!(with_pose > 0, "{clip}: nobody seen live, the test proves nothing");
    let rate = with_roller as f64 / track.frames.len() as f64;
    assert!(rate <= MAX_ROLLER_RATE, "{clip}: live reports a roller in {with_roller}/{} frames", track.frames.len());
    for line in std::fs::read_to_string(s.join(EVENTS_FILE)).unwrap().lines() {
        let e: Value = serde_json::from_str(line).unwrap();
        match e["kind"].as_str().unwrap() {
            "start" | "end" | "paused" | "resumed" | "camera_lost" | "camera_back" => {}
            "cue" if e["rule"] == PLACEMENT_RULE => {}
            _ => panic!("{clip}: live coached with no roller: {line}"),
        }
    }
    let _ = std::fs::remove_dir_all(&sessions);
}

macro_rules! no_roller_clip {
    ($name:ident, $clip:expr $(, $ignore:literal)?) => {
        #[test]
        $(#[ignore = $ignore])?
        fn $name() {
            analyze_reports_nothing($clip);
            live_reports_nothing($clip);
        }
    };
}

no_roller_clip!(pose2sim_single_cam01, "samples/real/pose2sim_single_cam01.mp4");
no_roller_clip!(pose2sim_single_cam03, "samples/real/pose2sim_single_cam03.mp4");
no_roller_clip!(pose2sim_multi_cam01, "samples/real/pose2sim_multi_cam01.mp4");
no_roller_clip!(sports2d_demo, "samples/real/sports2d_demo.mp4");
no_roller_clip!(
    vtest_10s,
    "samples/real/vtest_10s.mp4",
    "BlazePose finds nobody in these small pedestrians, so the clip cannot test the roller detector"
);
no_roller_clip!(bridging, "samples/bridging.mp4");

/// The same real clip as another camera would give it: `bridging.mp4` (640x480) re-encoded at a quarter of its
/// pixels, 2.25 times them and 4K-class 2880x2160 (scaled to the working size as it is decoded). A person lying on the
/// floor is where a false roller is likeliest (the learned detector saw a lengthwise roller under the back at
/// 800x600 and 2880x2160; README, Known limits); with the default detector none of these may show one.
#[test]
fn bridging_at_other_sizes() {
    let dir = tmp("sizes");
    for (w, h) in [(320, 240), (960, 720), (2880, 2160)] {
        let clip = dir.join(format!("bridging_{w}x{h}.mp4"));
        let o = Command::new("ffmpeg")
            .args(["-loglevel", "error", "-y", "-i"])
            .arg(root().join("samples/bridging.mp4"))
            .args(["-vf", &format!("scale={w}:{h}"), "-c:v", "libx264", "-preset", "veryfast", "-crf", "20"])
            .args(["-pix_fmt", "yuv420p"])
            .arg(&clip)
            .output()
            .expect("ffmpeg (scripts/setup.sh installs it)");
        assert!(o.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&o.stderr));
        analyze_reports_nothing(clip.to_str().unwrap());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
