//! End-to-end tests of `rollcoach live` over the sample clip (needs the ONNX Runtime library: ORT_DYLIB_PATH or
//! ./runtime, see README).
//!
//! The window test needs a display: run it with `xvfb-run -a cargo test --test live_clip`; without DISPLAY it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{frames_written, run, session_dir, wait_for, CLIP};

use opencv::core::{Mat, Rect};
use opencv::prelude::*;
use opencv::{imgcodecs, videoio};
use rollcoach::live::audio::{read_wav, sound_spans};
use rollcoach::live::history;
use rollcoach::hud::overlay::{count_color, BONE_COLOR, CUE_BG, CUE_TEXT, JOINT_FAULT, JOINT_NEUTRAL, JOINT_OK};
use rollcoach::live::session::{SessionMeta, EVENTS_FILE, META_FILE, POSES_FILE};
use rollcoach::posetrack::PoseTrack;

const SHOT_AT_S: f64 = 1.6;

fn root() -> PathBuf {
    common::repo()
}

/// A scratch folder kept for the test binary's life.
fn tmp(name: &str) -> PathBuf {
    common::tmp(name).keep()
}

fn rollcoach() -> Command {
    common::rollcoach()
}

/// The raw clip frame shown at time `t`.
fn clip_frame_at(t: f64) -> Mat {
    let mut cap = videoio::VideoCapture::from_file(root().join(CLIP).to_str().unwrap(), videoio::CAP_ANY).unwrap();
    let fps = cap.get(videoio::CAP_PROP_FPS).unwrap();
    let mut m = Mat::default();
    for _ in 0..=(t * fps).round() as i64 {
        assert!(cap.read(&mut m).unwrap());
    }
    m
}

#[test]
fn live_window_over_clip_writes_screenshot_cue_wav_and_session() {
    common::require_display();
    let dir = tmp("window");
    let shot = dir.join("shot.png");
    let wav = dir.join("cues.wav");
    let sessions = dir.join("sessions");
    let out = rollcoach()
        // Unpaced: every frame is processed however busy the machine is (paced, a loaded machine dropped all but 9).
        .args(["live", "--source", CLIP, "--mute", "--bench", "--unpaced"])
        .arg("--cues-wav")
        .arg(&wav)
        .arg("--sessions-dir")
        .arg(&sessions)
        .arg("--screenshot")
        .arg(&shot)
        .args(["--screenshot-at", &SHOT_AT_S.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "live failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("live bench:") && stdout.contains("p99"), "{stdout}");

    // Screenshot: exactly what the window showed. The skeleton's bone colour and the cue band must be there, and not
    // in the raw clip frame.
    let img = imgcodecs::imread(shot.to_str().unwrap(), imgcodecs::IMREAD_COLOR).unwrap();
    assert_eq!((img.cols(), img.rows()), (640, 480));
    let raw = clip_frame_at(SHOT_AT_S);
    let body = Rect::new(0, 60, 640, 480 - 60 - 64);
    let bones = count_color(&img, body, BONE_COLOR);
    assert!(bones > 400, "only {bones} skeleton pixels in the screenshot");
    assert!(count_color(&raw, body, BONE_COLOR) < 20, "bone colour occurs in the raw clip; test would prove nothing");
    assert!(count_color(&img, body, JOINT_NEUTRAL) > 50, "joints not drawn");
    let band = Rect::new(0, 480 - 64, 640, 64);
    let bg = count_color(&img, band, CUE_BG);
    let txt = count_color(&img, band, CUE_TEXT);
    assert!(bg > 15_000 && txt > 300, "cue band not drawn (background {bg} px, text {txt} px)");
    assert!(count_color(&raw, band, CUE_BG) < 100);

    // Cue WAV: every cue in events.jsonl is audible in the WAV at its session time, and nothing else is.
    let s = session_dir(&sessions).expect("session folder");
    let cue_times: Vec<f64> = std::fs::read_to_string(s.join(EVENTS_FILE))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["kind"] == "cue")
        .map(|e| e["t"].as_f64().unwrap())
        .collect();
    assert!(!cue_times.is_empty(), "no cue in the session");
    // Start-up guidance comes first: the camera placement verdict at ~1 s.
    let first = std::fs::read_to_string(s.join(EVENTS_FILE)).unwrap();
    let first = first.lines().find(|l| l.contains("\"kind\":\"cue\"")).unwrap().to_string();
    assert!(first.contains("\"rule\":\"placement\"") && (0.95..1.2).contains(&cue_times[0]), "{first}");
    let (rate, samples) = read_wav(&wav).unwrap();
    // Cues are at least 4 s apart; a 1 s merge gap joins the words of a spoken cue into one sound.
    let starts: Vec<f64> = sound_spans(&samples, rate, 1.0).into_iter().map(|(a, _)| a).collect();
    assert_eq!(starts.len(), cue_times.len(), "WAV sounds at {starts:?}, cues at {cue_times:?}");
    for (a, c) in starts.iter().zip(&cue_times) {
        // Beeps start at once; espeak-ng speech (when installed) after ~50 ms of lead-in silence.
        assert!(*a > c - 0.01 && *a < c + 0.15, "WAV sound at {a:.3} s for the cue at {c:.3} s");
    }

    // Session files.
    let track = PoseTrack::read(&s.join(POSES_FILE)).unwrap();
    assert_eq!(track.frames.len(), 91, "every frame of the clip");
    let with_person = track.frames.iter().filter(|f| f.pose.is_some()).count();
    assert!(with_person * 10 >= track.frames.len() * 8, "person in only {with_person}/{} frames", track.frames.len());
    let events = std::fs::read_to_string(s.join(EVENTS_FILE)).unwrap();
    for kind in ["\"start\"", "\"cue\"", "\"end\""] {
        assert!(events.contains(kind), "no {kind} event in:\n{events}");
    }
    let meta: SessionMeta = serde_json::from_str(&std::fs::read_to_string(s.join(META_FILE)).unwrap()).unwrap();
    assert_eq!(meta.status, "complete");
    assert_eq!(meta.frames, Some(track.frames.len() as u64));
}

/// Frames a live run must have on disk before a test stops it: enough to check the files, a fraction of a second.
const FRAMES_BEFORE_STOP: usize = 12;

/// Starts a headless live session over the clip played 100 times (so it cannot end before the test stops it) and
/// waits until its pose track holds [`FRAMES_BEFORE_STOP`] frames; returns (child, session folder).
fn start_live(sessions: &Path) -> (std::process::Child, PathBuf) {
    let mut child = rollcoach()
        .args(["live", "--source", CLIP, "--repeat", "100", "--no-window", "--mute", "--quiet"])
        .arg("--sessions-dir")
        .arg(sessions)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let s = wait_for("a session folder", Some(&mut child), || session_dir(sessions));
    wait_for("frames in the session's pose track", Some(&mut child), || {
        (frames_written(&s.join(POSES_FILE)) >= FRAMES_BEFORE_STOP).then_some(())
    });
    (child, s)
}

/// Why bullet 6: a killed session is read back and shown as `interrupted` (it stayed `[running]` forever).
#[test]
fn killing_live_mid_run_leaves_a_readable_session_shown_as_interrupted() {
    let dir = tmp("kill");
    let sessions = dir.join("sessions");
    let (mut child, s) = start_live(&sessions);
    let on_disk = frames_written(&s.join(POSES_FILE));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let track = PoseTrack::read(&s.join(POSES_FILE)).expect("pose track readable after kill -9");
    assert!(track.frames.len() >= on_disk, "{} frames read back, {on_disk} were on disk", track.frames.len());
    let meta: SessionMeta = serde_json::from_str(&std::fs::read_to_string(s.join(META_FILE)).unwrap()).unwrap();
    assert_eq!(meta.status, "running", "killed session must not claim to be complete");
    let sum = history::read_session(&s);
    let last_t = track.frames.last().map_or(0.0, |f| f.t);
    assert!(sum.duration_s >= last_t - 1e-6 && sum.duration_s > 0.0, "{sum:?}");
    assert_eq!(sum.status, "interrupted", "{sum:?}");
    // The CLI lists it too, with its week.
    let r = run(rollcoach().arg("history").arg("--sessions-dir").arg(&sessions));
    r.assert_ok();
    let name = s.file_name().unwrap().to_str().unwrap();
    assert!(r.stdout.contains(name) && r.stdout.contains("[interrupted]") && r.stdout.contains("-W"), "{}", r.stdout);
}

/// Why bullet 6: sessions go to the user's data folder ($XDG_DATA_HOME/rollcoach/sessions, else
/// ~/.local/share/rollcoach/sessions), `ROLLCOACH_SESSIONS` overrides it, and `history` finds them from any folder.
#[test]
fn sessions_live_in_the_data_folder_and_history_finds_them_from_anywhere() {
    let dir = tmp("xdg");
    let (data, elsewhere, other) = (dir.join("data"), dir.join("elsewhere"), dir.join("other"));
    std::fs::create_dir_all(&elsewhere).unwrap();
    let live = |envs: &[(&str, &Path)]| {
        let mut c = rollcoach();
        c.current_dir(&elsewhere).env_remove("XDG_DATA_HOME").env("HOME", dir.join("home"));
        c.args(["live", "--no-window", "--mute", "--unpaced", "--quiet", "--seconds", "0.5", "--source"]);
        c.arg(root().join(CLIP));
        for (k, v) in envs {
            c.env(k, v);
        }
        run(&mut c).assert_ok();
    };
    live(&[("XDG_DATA_HOME", &data)]);
    live(&[]);
    live(&[("ROLLCOACH_SESSIONS", &other)]);
    for root_dir in [data.join("rollcoach/sessions"), dir.join("home/.local/share/rollcoach/sessions"), other.clone()] {
        assert!(session_dir(&root_dir).is_some(), "no session under {}", root_dir.display());
    }
    assert!(!elsewhere.join("sessions").exists(), "sessions written to the current folder");
    let r = run(common::rollcoach().current_dir("/").env("XDG_DATA_HOME", &data).arg("history"));
    r.assert_ok();
    assert!(r.stdout.contains("Sessions (1):"), "{}", r.stdout);
}

/// Why bullet 7: a source that fails mid-session ends `live` with a non-zero exit and the reason; the session up to
/// the failure is kept. The clip is a fast-start mp4 cut to a third: it plays, then stops short of its length.
#[test]
fn live_exits_non_zero_when_its_source_fails() {
    let dir = tmp("srcfail");
    let fast = dir.join("fast.mp4");
    let st = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-y", "-i"])
        .arg(root().join(CLIP))
        .args(["-c", "copy", "-movflags", "faststart"])
        .arg(&fast)
        .status()
        .expect("ffmpeg (run scripts/setup.sh)");
    assert!(st.success());
    let b = std::fs::read(&fast).unwrap();
    let cut = dir.join("cut.mp4");
    std::fs::write(&cut, &b[..b.len() / 3]).unwrap();
    let sessions = dir.join("s");
    let r = run(rollcoach()
        .args(["live", "--no-window", "--mute", "--unpaced", "--quiet", "--source"])
        .arg(&cut)
        .arg("--sessions-dir")
        .arg(&sessions));
    r.assert_error("video source failed", &["cut.mp4", "truncated", "kept"]);
    let s = session_dir(&sessions).expect("session kept");
    assert!(PoseTrack::read(&s.join(POSES_FILE)).unwrap().frames.len() > 5);
}

#[test]
fn bad_sources_and_missing_history_are_clear_errors() {
    let dir = tmp("bad");
    let out = rollcoach()
        .args(["live", "--source", "no/such/clip.mp4", "--no-window", "--mute"])
        .arg("--sessions-dir")
        .arg(dir.join("s"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no/such/clip.mp4") && err.contains("not found"), "{err}");
    let not_video = dir.join("notes.mp4");
    std::fs::write(&not_video, "this is not a video").unwrap();
    let out = rollcoach()
        .args(["live", "--no-window", "--mute", "--source"])
        .arg(&not_video)
        .arg("--sessions-dir")
        .arg(dir.join("s"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("notes.mp4") && !err.contains("panicked"), "{err}");
    // No display for the window: a clear hint, and no empty session left behind.
    let out = rollcoach()
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .args(["live", "--source", CLIP, "--mute"])
        .arg("--sessions-dir")
        .arg(dir.join("s"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--no-window") && !err.contains("panicked"), "{err}");
    assert!(session_dir(&dir.join("s")).is_none(), "a session was left behind");
    let out = rollcoach().arg("history").arg("--sessions-dir").arg(dir.join("none")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("sessions folder not found"), "{err}");
}

/// Without a camera, `devices` and `live` say so; with one, `devices` lists it.
#[test]
fn no_camera_gives_a_clear_error_not_a_panic() {
    let has_video_node = std::fs::read_dir("/dev")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("video")))
        .unwrap_or(false);
    let dir = tmp("nocam");
    if has_video_node {
        let r = run(rollcoach().arg("devices"));
        r.assert_ok();
        assert!(r.stdout.lines().any(|l| l.starts_with("0:")), "camera not listed:\n{}", r.stdout);
        return;
    }
    for args in [vec!["devices"], vec!["live", "--no-window", "--mute"]] {
        run(rollcoach().args(&args).arg("--help")).assert_ok();
        let mut c = rollcoach();
        c.args(&args);
        if args[0] == "live" {
            c.arg("--sessions-dir").arg(dir.join("s"));
        }
        run(&mut c).assert_error("no camera found", &[]);
    }
    assert!(!dir.join("s").exists(), "no session must be created without a camera");
}

/// SIGTERM ends the session cleanly: `complete`, every frame on disk counted in meta.json.
#[test]
fn sigterm_ends_the_session_cleanly() {
    let dir = tmp("term");
    let sessions = dir.join("sessions");
    let (child, s) = start_live(&sessions);
    // SAFETY: plain kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) }, 0);
    let r = common::checked(child.wait_with_output().unwrap());
    r.assert_ok();
    let meta: SessionMeta = serde_json::from_str(&std::fs::read_to_string(s.join(META_FILE)).unwrap()).unwrap();
    assert_eq!(meta.status, "complete");
    let track = PoseTrack::read(&s.join(POSES_FILE)).unwrap();
    assert!(track.frames.len() >= FRAMES_BEFORE_STOP);
    assert_eq!(Some(track.frames.len() as u64), meta.frames);
    let last_t = track.frames.last().unwrap().t;
    // Track times are written to 0.1 ms (rounded), meta's duration unrounded.
    assert!(meta.duration_s.unwrap() >= last_t - 0.5e-4, "{meta:?}, last frame at {last_t}");
    assert_eq!(history::read_session(&s).status, "complete");
}

/// Fault interval (start, end) of `rule` in a synthetic sample's truth file.
fn truth_interval(name: &str, rule: &str) -> Option<(f64, f64)> {
    let text = std::fs::read_to_string(root().join("samples/synthetic").join(format!("{name}.json"))).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["faults"]
        .as_array()?
        .iter()
        .find(|f| f["rule"] == rule)
        .map(|f| (f["start"].as_f64().unwrap(), f["end"].as_f64().unwrap()))
}

/// Runs live (headless, unpaced) over a synthetic clip; returns (events text, cue WAV samples, screenshot).
fn live_over_synthetic(name: &str, shot_at: f64) -> (String, Vec<i16>, Mat) {
    let dir = tmp(&format!("{name}-{}", (shot_at * 1000.0) as u64));
    let (wav, shot, sessions) = (dir.join("cues.wav"), dir.join("shot.png"), dir.join("s"));
    let clip = format!("samples/synthetic/{name}.mp4");
    let out = rollcoach()
        .args(["live", "--source", &clip, "--no-window", "--mute", "--unpaced", "--quiet", "--cue-sound", "beep"])
        .arg("--cues-wav")
        .arg(&wav)
        .arg("--sessions-dir")
        .arg(&sessions)
        .arg("--screenshot")
        .arg(&shot)
        .args(["--screenshot-at", &shot_at.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = std::fs::read_to_string(session_dir(&sessions).unwrap().join(EVENTS_FILE)).unwrap();
    let (_, samples) = read_wav(&wav).unwrap();
    let img = imgcodecs::imread(shot.to_str().unwrap(), imgcodecs::IMREAD_COLOR).unwrap();
    (events, samples, img)
}

#[test]
fn roller_on_the_kneecap_is_cued_spoken_and_drawn_in_time() {
    let (start, end) = truth_interval("quads_knee", "keep_out").expect("quads_knee truth has a keep_out fault");
    let (events, samples, img) = live_over_synthetic("quads_knee", (start + end) / 2.0);
    let cue_t = events
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["kind"] == "cue" && e["rule"] == "keep_out")
        .map(|e| e["t"].as_f64().unwrap())
        .unwrap_or_else(|| panic!("no keep_out cue in:\n{events}"));
    assert!(cue_t >= start && cue_t <= end + 0.5, "keep_out cue at {cue_t:.2} s, fault {start:.2}-{end:.2} s");
    // The WAV has the fault pattern (three pulses) starting at the cue time.
    let pulses: Vec<_> = sound_spans(&samples, 16_000, 0.02)
        .into_iter()
        .filter(|(a, _)| (cue_t - 0.05..cue_t + 0.7).contains(a))
        .collect();
    assert_eq!(pulses.len(), 3, "expected the 3-pulse fault pattern at {cue_t:.2} s, found {pulses:?}");
    // Mid-fault the knee joints are drawn in the fault colour and the cue band is up.
    let all = Rect::new(0, 60, 640, 480 - 60 - 64);
    assert!(count_color(&img, all, JOINT_FAULT) > 60, "no joint drawn in the fault colour");
    assert!(count_color(&img, Rect::new(0, 480 - 64, 640, 64), CUE_BG) > 15_000, "no cue shown mid-fault");
}

#[test]
fn before_the_fault_joints_are_drawn_ok_not_faulty() {
    let (start, _) = truth_interval("quads_knee", "keep_out").expect("quads_knee truth has a keep_out fault");
    let (events, _, img) = live_over_synthetic("quads_knee", start - 1.0);
    assert!(events.contains("\"area\":\"quads\""), "quads not recognised:\n{events}");
    let body = Rect::new(0, 60, 640, 480 - 60 - 64);
    // Watched joints are drawn OK (green) once the exercise is known; none in the fault colour yet.
    assert!(count_color(&img, body, JOINT_OK) > 60, "watched joints not drawn as OK");
    assert_eq!(count_color(&img, body, JOINT_FAULT), 0, "fault colour drawn before the fault");
}

#[test]
fn missing_audio_is_reported_once_and_the_session_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp("audio");
    // A machine with no player at all, and one whose player fails (no audio device).
    let empty = dir.join("empty-bin");
    let broken = dir.join("broken-bin");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::create_dir_all(&broken).unwrap();
    let aplay = broken.join("aplay");
    std::fs::write(&aplay, "#!/bin/sh\necho 'aplay: main: audio open error: No such file or directory' >&2\nexit 1\n")
        .unwrap();
    std::fs::set_permissions(&aplay, std::fs::Permissions::from_mode(0o755)).unwrap();
    for (bin, expect) in [(&empty, "no audio output found"), (&broken, "audio device not available")] {
        let out = rollcoach()
            .env("PATH", bin)
            .args(["live", "--source", "samples/bridging.mp4", "--no-window", "--unpaced", "--quiet"])
            .arg("--sessions-dir")
            .arg(dir.join("s"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert_eq!(err.matches(expect).count(), 1, "expected {expect:?} exactly once:\n{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A "camera" made from the sample clip that is unplugged after `fail_after` frames; timestamps are session time,
/// like a real camera's.
struct Unpluggable {
    inner: rollcoach::live::capture::Paced<rollcoach::source::VideoFileSource>,
    epoch: Instant,
    fail_after: Option<u32>,
    n: u32,
}

impl rollcoach::source::FrameSource for Unpluggable {
    fn info(&self) -> rollcoach::source::SourceInfo {
        self.inner.info()
    }
    fn next_frame(&mut self, frame: &mut Mat) -> Result<Option<f64>, rollcoach::source::SourceError> {
        if self.fail_after.is_some_and(|k| self.n >= k) {
            return Err(rollcoach::source::SourceError::Camera("device unplugged".into()));
        }
        self.n += 1;
        Ok(self.inner.next_frame(frame)?.map(|_| self.epoch.elapsed().as_secs_f64()))
    }
}

#[test]
fn unplugged_camera_is_reported_reopened_and_the_session_kept() {
    use rollcoach::live::capture::{CaptureConfig, Opener, Paced};
    use rollcoach::live::run::{run_live_with, LiveConfig, SourceSpec};
    use rollcoach::source::{FrameSource, VideoFileSource};
    let dir = tmp("unplug");
    let sessions = dir.join("s");
    let clip = root().join(CLIP);
    let cfg = LiveConfig {
        source: SourceSpec::Clip { path: clip.clone(), paced: true, repeats: 1 },
        pipeline: rollcoach::pipeline::PipelineConfig::default(),
        engine: rollcoach::coach::EngineConfig::new(root().join("exercises")),
        exercise: None,
        window: false,
        audio: rollcoach::live::audio::AudioConfig {
            mute: true,
            cue_sound: rollcoach::live::audio::CueSound::Beep,
            cues_wav: None,
        },
        sessions_dir: sessions.clone(),
        screenshot: None,
        max_seconds: None,
        bench: false,
        quiet: true,
        routine: None,
    };
    let pipeline = rollcoach::pipeline::Pipeline::new(&cfg.pipeline).unwrap();
    let epoch = Instant::now();
    let mut opens = 0;
    // 1st open: works, unplugged after 20 frames; 2nd: still gone; 3rd: back, plays to the end.
    let open: Opener = Box::new(move || {
        opens += 1;
        if opens == 2 {
            return Err("no such device".into());
        }
        let inner = Paced::new(VideoFileSource::open(&clip).map_err(|e| e.to_string())?);
        let fail_after = (opens == 1).then_some(20);
        Ok(Box::new(Unpluggable { inner, epoch, fail_after, n: 0 }) as Box<dyn FrameSource>)
    });
    // Lossless: every frame the source gives is processed, so the frame count below does not depend on how busy
    // the machine is (with frame dropping a loaded machine processed 75 of them).
    let capture =
        CaptureConfig { retry: true, retry_interval: Duration::from_millis(200), lossless: true, repeats: 1 };
    let stats = run_live_with(&cfg, pipeline, open, capture, "test camera".into()).unwrap();
    let s = stats.session_dir.unwrap();
    let events = std::fs::read_to_string(s.join(EVENTS_FILE)).unwrap();
    let lost = events.find("\"camera_lost\"").unwrap_or_else(|| panic!("no camera_lost event:\n{events}"));
    let back = events.find("\"camera_back\"").unwrap_or_else(|| panic!("no camera_back event:\n{events}"));
    assert!(lost < back && events.contains("device unplugged"), "{events}");
    let track = PoseTrack::read(&s.join(POSES_FILE)).unwrap();
    // Frames from before the loss are kept, and frames after it follow in time.
    assert_eq!(track.frames.len(), 20 + 91, "20 frames before the unplug, then the whole clip");
    assert!(track.frames.windows(2).all(|w| w[1].t > w[0].t), "timestamps not increasing across the reconnect");
    let gap = track.frames.windows(2).map(|w| w[1].t - w[0].t).fold(0.0, f64::max);
    assert!(gap > 0.3, "no gap while the camera was away (largest {gap:.2} s)");
    let meta: SessionMeta = serde_json::from_str(&std::fs::read_to_string(s.join(META_FILE)).unwrap()).unwrap();
    assert_eq!((meta.status.as_str(), meta.source.as_str()), ("complete", "test camera"));
}

#[test]
fn empty_scene_prompts_get_in_frame() {
    use opencv::core::{Scalar, Size, CV_8UC3};
    let dir = tmp("empty");
    let clip = dir.join("empty.avi");
    // 4 s of an empty, evenly lit room (no person), written with OpenCV.
    let fourcc = videoio::VideoWriter::fourcc('M', 'J', 'P', 'G').unwrap();
    let mut w = videoio::VideoWriter::new(clip.to_str().unwrap(), fourcc, 10.0, Size::new(320, 240), true).unwrap();
    assert!(w.is_opened().unwrap());
    let frame = Mat::new_rows_cols_with_default(240, 320, CV_8UC3, Scalar::new(120.0, 130.0, 140.0, 0.0)).unwrap();
    for _ in 0..40 {
        w.write(&frame).unwrap();
    }
    w.release().unwrap();
    let (shot, sessions) = (dir.join("shot.png"), dir.join("s"));
    let out = rollcoach()
        .args(["live", "--no-window", "--mute", "--unpaced", "--quiet", "--screenshot-at", "2.0", "--source"])
        .arg(&clip)
        .arg("--screenshot")
        .arg(&shot)
        .arg("--sessions-dir")
        .arg(&sessions)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events = std::fs::read_to_string(session_dir(&sessions).unwrap().join(EVENTS_FILE)).unwrap();
    assert!(events.contains("\"text\":\"get in frame\""), "no get-in-frame cue:\n{events}");
    let img = imgcodecs::imread(shot.to_str().unwrap(), imgcodecs::IMREAD_COLOR).unwrap();
    let all = Rect::new(0, 0, 320, 240);
    assert_eq!(count_color(&img, all, BONE_COLOR), 0, "a skeleton drawn in an empty room");
    // The prompt sits on a dark panel across the middle of the image.
    let middle = Rect::new(0, 80, 320, 60);
    assert!(count_color(&img, middle, rollcoach::hud::overlay::PANEL_BG) > 1500, "no get-in-frame panel");
}
