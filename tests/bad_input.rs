//! Out-of-range sizes and thresholds through the binary: each is a clear error naming the option or the file, line
//! and field, with exit code 1 and no panic, abort or allocation failure (checked by `common::run`).

mod common;

use std::path::Path;

use common::{repo, run, rollcoach, s, tmp};

/// `synth` with `args` (exercise quads) into `dir`; the track must not be written.
fn synth(dir: &Path, args: &[&str]) -> common::Run {
    let out = dir.join("t.jsonl");
    let r = run(rollcoach().args(["synth", "--exercise", "quads", "--out", s(&out)]).args(args));
    assert!(!out.exists(), "{args:?}: a track was written despite the error");
    r
}

#[test]
fn synth_fps_outside_1_to_1000_is_refused() {
    let dir = tmp("fps");
    synth(dir.path(), &["--fps", "1e300"]).assert_error("--fps", &["1e300", "out of range 1-1000"]);
    synth(dir.path(), &["--fps", "0.5"]).assert_error("--fps", &["0.5", "out of range 1-1000"]);
    synth(dir.path(), &["--fps", "NaN"]).assert_error("--fps", &["out of range 1-1000"]);
}

#[test]
fn synth_duration_beyond_4_hours_or_too_many_frames_is_refused() {
    let dir = tmp("duration");
    synth(dir.path(), &["--duration", "1e9"]).assert_error("--duration", &["1e9", "out of range 0-14400"]);
    synth(dir.path(), &["--duration", "0"]).assert_error("--duration", &["must be above 0"]);
    // Within 4 h but 840000 frames at 60 fps: over the frame bound (4 h at 30 fps).
    synth(dir.path(), &["--duration", "14000", "--fps", "60"]).assert_error("--duration", &["840000 frames"]);
}

#[test]
fn synth_other_sizes_are_bounded() {
    let dir = tmp("sizes");
    synth(dir.path(), &["--noise-px=-1"]).assert_error("--noise-px", &["out of range 0-100"]);
    synth(dir.path(), &["--wander-px", "1e30"]).assert_error("--wander-px", &["1e30"]);
    synth(dir.path(), &["--speed", "1e9"]).assert_error("--speed", &["out of range 0-200"]);
    synth(dir.path(), &["--width", "100000"]).assert_error("--width", &["out of range 1-16384"]);
    synth(dir.path(), &["--roller-diameter-cm", "inf"]).assert_error("--roller-diameter-cm", &["out of range"]);
}

/// The shipped quads exercise with `from` replaced by `to` (which must occur), written alone into a temp folder;
/// returns the folder and the 1-based line of the first line containing `to`.
fn bad_exercise(name: &str, from: &str, to: &str) -> (tempfile::TempDir, usize) {
    let text = std::fs::read_to_string(repo().join("exercises/quads.toml")).expect("quads.toml");
    assert!(text.contains(from), "quads.toml no longer has {from:?}");
    let text = text.replacen(from, to, 1);
    let first = to.lines().next().unwrap();
    let line = text.lines().position(|l| l.contains(first)).unwrap() + 1;
    let dir = tmp(name);
    std::fs::write(dir.path().join("quads.toml"), text).unwrap();
    (dir, line)
}

fn list_exercises(dir: &Path) -> common::Run {
    run(rollcoach().args(["exercises", "--exercises-dir", s(dir)]))
}

/// `exercises` on quads.toml with `from` replaced by `to` fails naming the file, the line of `to` and every needle.
fn refused(from: &str, to: &str, needles: &[&str]) -> tempfile::TempDir {
    let (dir, line) = bad_exercise("ex", from, to);
    list_exercises(dir.path()).assert_error(&format!("quads.toml:{line}:"), needles);
    dir
}

#[test]
fn exercise_threshold_out_of_range_names_file_line_and_field() {
    let speed = "max_speed_cm_s = 1e9";
    refused("max_speed_cm_s = 15.0", speed, &["thresholds.max_speed_cm_s", "value 1e9 out of range 0-200"]);
    let hold = "hold_s = [20.0, 86400.0]";
    refused("hold_s = [20.0, 30.0]", hold, &["thresholds.hold_s", "value 86400 out of range 0-600"]);
    let contact = "contact = [-0.3, 40.0]";
    let dir = refused("contact = [-0.3, 1.3]", contact, &["recognize.contact", "value 40 out of range -2 to 3"]);
    // The same file stops `synth` before anything is generated.
    let out = dir.path().join("t.jsonl");
    run(rollcoach().args(["synth", "--exercise", "quads", "--exercises-dir", s(dir.path()), "--out", s(&out)]))
        .assert_error("quads.toml:", &["recognize.contact"]);
    assert!(!out.exists());
}

#[test]
fn exercise_extra_array_items_and_keys_are_refused() {
    let times = "time_on_area_s = [30.0, 120.0, 5.0]";
    refused("time_on_area_s = [30.0, 120.0]", times, &["thresholds.time_on_area_s", "expected 2 numbers [low, high], got 3"]);
    refused("contact = [-0.3, 1.3]", "contact = [-0.3, 1.3, 2.0]", &["recognize.contact", "got 3"]);
    // A keep-out zone with an extra key: the error is on the key's line.
    refused("end = 1.35\n", "width = 2.0\nend = 1.35\n", &["width", "unknown field"]);
}
