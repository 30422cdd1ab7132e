//! Massage balls through the binary: `rollcoach synth` writes ball tracks with truth, `rollcoach analyze --poses`
//! (without `--exercise`) must recognise the ball exercise, report tender-spot holds with onset within 1 s and the
//! spine keep-out within 0.5 s of the truth, and never report a ball exercise on a roller track or a roller exercise
//! on a ball track. Truth comes from the generator's truth file only.

mod common;

use std::path::Path;

use common::{rollcoach, run, s, tmp};
use serde_json::Value;

const HOLD_ONSET_TOLERANCE_S: f64 = 1.0;
const KEEP_OUT_ONSET_TOLERANCE_S: f64 = 0.5;
/// Share of the track the recognised exercise must cover (recognition needs 1 s of evidence; the first pass
/// starts mid-region).
const MIN_AREA_SHARE: f64 = 0.85;

/// The ball exercises and their posture families (floor on the back, wall standing, side-lying, seated).
const BALL_EXERCISES: [&str; 6] = [
    "ball_upper_back",
    "ball_upper_back_wall",
    "ball_trapezius_wall",
    "ball_lats",
    "ball_glutes",
    "peanut_thoracic",
];

/// `synth` then `analyze --poses` (no `--exercise`); returns (report, truth).
fn synth_and_analyze(dir: &Path, name: &str, args: &[&str]) -> (Value, Value) {
    let track = dir.join(format!("{name}.jsonl"));
    run(rollcoach().arg("synth").args(args).args(["--out", s(&track)])).assert_ok();
    let out = dir.join("out");
    run(rollcoach().args(["analyze", "--poses", s(&track), "--out", s(&out)])).assert_ok();
    let read = |p: &Path| -> Value { serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() };
    (read(&out.join(format!("{name}.report.json"))), read(&dir.join(format!("{name}.truth.json"))))
}

fn areas(report: &Value) -> &Vec<Value> {
    report["areas"].as_array().expect("areas")
}

#[test]
fn every_ball_exercise_is_recognised_without_exercise_and_clean_tracks_give_no_fault() {
    let dir = tmp("balls-recognise");
    for ex in BALL_EXERCISES {
        let (report, _) = synth_and_analyze(dir.path(), ex, &["--exercise", ex, "--speed", "3", "--duration", "40"]);
        let a = areas(&report);
        assert_eq!(a.len(), 1, "{ex}: areas {a:?}");
        assert_eq!(a[0]["exercise"], ex, "{ex}");
        let share = a[0]["time_on_area_s"].as_f64().unwrap() / report["duration_s"].as_f64().unwrap();
        assert!(share >= MIN_AREA_SHARE, "{ex}: {share:.2} of the track on the area");
        let tool = if ex.starts_with("peanut") { "peanut" } else { "ball" };
        assert_eq!(a[0]["ball"]["tool"], tool, "{ex}: {}", a[0]);
        assert_eq!(report["faults"].as_array().unwrap().len(), 0, "{ex}: {}", report["faults"]);
        // The wall family stands: recognised without the body on the floor.
        let csv = std::fs::read_to_string(dir.path().join(format!("out/{ex}.metrics.csv"))).unwrap();
        let col = csv.lines().next().unwrap().split(',').position(|c| c == "orientation").unwrap();
        let standing = csv.lines().skip(1).filter(|l| l.split(',').nth(col) == Some("standing")).count();
        let frames = csv.lines().count() - 1;
        if ex.ends_with("_wall") {
            assert_eq!(standing, frames, "{ex}: {standing} of {frames} frames standing");
        } else {
            assert_eq!(standing, 0, "{ex}: standing on the floor");
        }
    }
}

#[test]
fn holds_are_found_with_onset_within_one_second_and_counted_per_spot() {
    let dir = tmp("balls-holds");
    for ex in ["ball_upper_back", "ball_upper_back_wall", "ball_glutes", "peanut_thoracic"] {
        let args = ["--exercise", ex, "--speed", "3", "--duration", "45", "--hold", "12+22"];
        let (report, truth) = synth_and_analyze(dir.path(), ex, &args);
        let holds: Vec<(f64, f64)> = report["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["rule"] == "hold")
            .map(|e| (e["start"].as_f64().unwrap(), e["end"].as_f64().unwrap()))
            .collect();
        for want in truth["events"].as_array().unwrap() {
            let onset = want["onset"].as_f64().unwrap();
            let found = holds.iter().find(|h| (h.0 - onset).abs() <= HOLD_ONSET_TOLERANCE_S);
            assert!(found.is_some(), "{ex}: hold at {onset} not found in {holds:?}");
        }
        // Holds per spot add up to the area's holds.
        let a = &areas(&report)[0];
        let spots = a["ball"]["spots"].as_array().expect("spots");
        let per_spot: u64 = spots.iter().map(|s| s["holds"].as_u64().unwrap()).sum();
        assert_eq!(per_spot as usize, a["holds"].as_array().unwrap().len(), "{ex}: {a}");
        assert!(!spots.is_empty(), "{ex}");
    }
}

#[test]
fn single_ball_on_the_spine_is_a_keep_out_within_half_a_second() {
    let dir = tmp("balls-spine");
    // Clean tracks, then keypoint noise of real video: 2 px white noise, 2 px slow wander, 10 % frames without the ball.
    let noisy = ["--noise-px", "2", "--wander-px", "2", "--dropout", "0.1", "--seed", "3"];
    for (ex, noise) in ["ball_upper_back", "ball_upper_back_wall", "ball_trapezius_wall"]
        .iter()
        .flat_map(|ex| [(*ex, &[][..]), (*ex, &noisy[..])])
    {
        let mut args = vec!["--exercise", ex, "--speed", "3", "--duration", "40", "--on-spine", "20+4"];
        args.extend_from_slice(noise);
        let (report, truth) = synth_and_analyze(dir.path(), ex, &args);
        let want = &truth["faults"].as_array().unwrap()[0];
        assert_eq!((&want["rule"], &want["zone"]), (&Value::from("keep_out"), &Value::from("spine")));
        let onset = want["onset"].as_f64().unwrap();
        let got: Vec<&Value> = report["faults"].as_array().unwrap().iter().collect();
        assert_eq!(got.len(), 1, "{ex}: {got:?}");
        assert_eq!((&got[0]["rule"], &got[0]["detail"]), (&Value::from("keep_out"), &Value::from("spine")), "{ex}");
        let start = got[0]["start"].as_f64().unwrap();
        assert!((start - onset).abs() <= KEEP_OUT_ONSET_TOLERANCE_S, "{ex}: spine at {start}, truth {onset}");
        // Beside the spine the ball was on the right (the generated body turns toward its right side).
        let sides = &areas(&report)[0]["sides"];
        assert!(sides["right_s"].as_f64().unwrap() > 20.0 && sides["left_s"].as_f64().unwrap() < 1.0, "{ex}: {sides}");
    }
    // A peanut straddles the spine: no spine check to inject.
    let r = run(rollcoach().args(["synth", "--exercise", "peanut_thoracic", "--on-spine", "5+2", "--out"]).arg(dir.path().join("p.jsonl")));
    r.assert_error("peanut_thoracic", &["spine"]);
}

#[test]
fn no_ball_exercise_on_roller_tracks_and_no_roller_exercise_on_ball_tracks() {
    let dir = tmp("balls-tools");
    // Same body families with the other tool: roller on the back, side and seated; ball on the back and seated.
    for ex in ["upper_back", "lats", "glutes", "lower_back"] {
        let (report, _) = synth_and_analyze(dir.path(), ex, &["--exercise", ex, "--duration", "30"]);
        let a = areas(&report);
        assert!(!a.is_empty(), "{ex}: nothing recognised");
        for area in a {
            assert!(area.get("ball").is_none(), "{ex}: ball exercise on a roller track: {}", area["exercise"]);
        }
    }
    for ex in ["ball_upper_back", "ball_lats", "ball_glutes", "ball_lower_back", "peanut_thoracic"] {
        let (report, _) = synth_and_analyze(dir.path(), ex, &["--exercise", ex, "--speed", "3", "--duration", "30"]);
        let a = areas(&report);
        assert!(!a.is_empty(), "{ex}: nothing recognised");
        for area in a {
            assert!(area["ball"]["tool"].is_string(), "{ex}: roller exercise on a ball track: {}", area["exercise"]);
        }
    }
}

#[test]
fn the_lower_back_on_a_ball_is_warned_as_with_a_roller() {
    let dir = tmp("balls-lower-back");
    let (report, _) = synth_and_analyze(dir.path(), "lb", &["--exercise", "ball_lower_back", "--speed", "3", "--duration", "20"]);
    let rules: Vec<&str> = report["faults"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["lower_back"]);
}

#[test]
fn exercises_lists_the_tool_and_a_bad_tool_names_file_and_line() {
    let r = run(rollcoach().arg("exercises"));
    r.assert_ok();
    for line in ["ball_upper_back_wall - Upper back (ball, wall) [ball]", "peanut_thoracic - Thoracic spine (peanut ball) [peanut]", "quads - Quadriceps [roller]"] {
        assert!(r.stdout.contains(line), "{line:?} missing:\n{}", r.stdout);
    }
    let dir = tmp("balls-bad-tool");
    let text = std::fs::read_to_string(common::repo().join("exercises/ball_lats.toml")).unwrap();
    let bad = text.replace("tool = \"ball\"", "tool = \"stick\"");
    let line = bad.lines().position(|l| l == "tool = \"stick\"").unwrap() + 1;
    std::fs::write(dir.path().join("x.toml"), bad).unwrap();
    let r = run(rollcoach().args(["exercises", "--exercises-dir", s(dir.path())]));
    r.assert_error(&format!("x.toml:{line}: field `tool`"), &["unknown tool \"stick\""]);
    // A spine check belongs to single balls: on a peanut (the spine sits in its groove) it is an error.
    let text = std::fs::read_to_string(common::repo().join("exercises/ball_upper_back.toml")).unwrap();
    std::fs::write(dir.path().join("x.toml"), text.replace("tool = \"ball\"", "tool = \"peanut\"")).unwrap();
    let r = run(rollcoach().args(["exercises", "--exercises-dir", s(dir.path())]));
    r.assert_error("x.toml:", &["field `spine`", "single balls"]);
}

#[test]
fn report_page_shows_the_tool_and_the_holds_per_spot() {
    let dir = tmp("balls-page");
    let args = ["--exercise", "ball_upper_back", "--speed", "3", "--duration", "45", "--hold", "12+22"];
    let (report, _) = synth_and_analyze(dir.path(), "ub", &args);
    let html = std::fs::read_to_string(dir.path().join("out/ub.report.html")).expect("report page");
    assert!(html.contains("<th>tool</th>") && html.contains("<td>Upper back (ball, floor)</td><td>ball</td>"), "no tool column");
    let spot = &areas(&report)[0]["ball"]["spots"][0];
    for (key, dp) in [("position", 2usize), ("holds", 0), ("hold_s", 0)] {
        let want = format!("<span data-key=\"areas.0.ball.spots.0.{key}\">{:.dp$}</span>", spot[key].as_f64().unwrap());
        assert!(html.contains(&want), "{want} not on the page");
    }
    assert!(html.contains("right of the spine"), "side of the spine missing");
}

#[test]
fn history_lists_balls_and_rollers_per_area() {
    let dir = tmp("balls-history");
    let ses = dir.path().join("sessions/20261120-100000");
    std::fs::create_dir_all(&ses).unwrap();
    std::fs::write(ses.join("poses.jsonl"), "").unwrap();
    let events = [
        r#"{"kind":"start","t":0.0,"exercise":"auto","area":""}"#,
        r#"{"kind":"progress","t":40.0,"exercise":"ball_upper_back","area":"ball_upper_back","time_on_area_s":40.0,"passes":2}"#,
        r#"{"kind":"exercise","t":41.0,"exercise":"upper_back","area":"upper_back"}"#,
        r#"{"kind":"progress","t":100.0,"exercise":"upper_back","area":"upper_back","time_on_area_s":55.0,"passes":6}"#,
    ];
    std::fs::write(ses.join("events.jsonl"), events.join("\n") + "\n").unwrap();
    let page = dir.path().join("h.html");
    let r = run(rollcoach().args(["history", "--sessions-dir", s(&dir.path().join("sessions")), "--html", s(&page)]));
    r.assert_ok();
    let line = |a: &str| r.stdout.lines().find(|l| l.trim_start().starts_with(&format!("{a} "))).unwrap_or_default().to_string();
    assert!(line("ball_upper_back").contains(" ball ") && line("ball_upper_back").ends_with("0:40"), "{}", r.stdout);
    assert!(line("upper_back").contains(" roller ") && line("upper_back").ends_with("0:55"), "{}", r.stdout);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<td>ball_upper_back</td><td>ball</td>") && html.contains("<td>upper_back</td><td>roller</td>"));
}

#[test]
fn a_ball_seen_end_on_is_a_single_ball_unless_the_peanut_is_chosen() {
    let dir = tmp("balls-end-on");
    // A single-ball track has no axis: recognised as the single ball; with --exercise the peanut is coached.
    let (report, _) = synth_and_analyze(dir.path(), "u", &["--exercise", "ball_upper_back", "--speed", "3", "--duration", "30"]);
    assert_eq!(areas(&report)[0]["exercise"], "ball_upper_back");
    let out = dir.path().join("peanut");
    let track = dir.path().join("u.jsonl");
    run(rollcoach().args(["analyze", "--poses", s(&track), "--exercise", "peanut_thoracic", "--out", s(&out)])).assert_ok();
    let r: Value = serde_json::from_str(&std::fs::read_to_string(out.join("u.report.json")).unwrap()).unwrap();
    let a = &areas(&r)[0];
    assert_eq!((&a["exercise"], &a["ball"]["tool"]), (&Value::from("peanut_thoracic"), &Value::from("peanut")));
    assert!(a["time_on_area_s"].as_f64().unwrap() > 25.0, "{a}");
}

#[test]
fn the_ball_diameter_sets_the_scale_for_balls() {
    let dir = tmp("balls-diameter");
    // A 10 cm ball: with --ball-diameter-cm 10 the pass speed is the generated 3 cm/s (within 15 %); with the
    // default 6.3 cm every distance reads 6.3/10 as long.
    let track = dir.path().join("g.jsonl");
    run(rollcoach().args(["synth", "--exercise", "ball_glutes", "--speed", "3", "--duration", "30", "--ball-diameter-cm", "10", "--out", s(&track)])).assert_ok();
    let speed = |extra: &[&str]| -> f64 {
        let out = dir.path().join(format!("out{}", extra.len()));
        run(rollcoach().args(["analyze", "--poses", s(&track), "--out", s(&out)]).args(extra)).assert_ok();
        let r: Value = serde_json::from_str(&std::fs::read_to_string(out.join("g.report.json")).unwrap()).unwrap();
        areas(&r)[0]["mean_speed_cm_s"].as_f64().expect("passes")
    };
    let right = speed(&["--ball-diameter-cm", "10"]);
    assert!((right - 3.0).abs() <= 0.15 * 3.0, "{right}");
    let default = speed(&[]);
    assert!((default - 3.0 * 6.3 / 10.0).abs() <= 0.15 * 1.89, "{default}");
    let r = run(rollcoach().args(["analyze", "--poses", s(&track), "--ball-diameter-cm", "100"]));
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("--ball-diameter-cm") && r.stderr.contains("100 cm is outside 5-40 cm"), "{}", r.stderr);
}

/// Share of the frames with a ball in the truth that the default detector must report a ball on: the first 0.3 s
/// go to confirming it (a 6 s clip shows at most 95 %); measured 94 % on both clips below (2026-11-27).
const MIN_BALL_FRAME_SHARE: f64 = 0.85;
/// The reported ball's centre within this many ball radii of the truth's (median): measured 0.12 and 0.38.
const MAX_BALL_CENTRE_ERROR_R: f64 = 0.5;
/// Share of the frames on which the truth's exercise must be the one coached (metrics.csv): recognition needs 1 s of
/// evidence, back-dated in hindsight; measured 94 % on both clips.
const MIN_RECOGNISED_SHARE: f64 = 0.85;

/// `analyze` (default detector, no `--exercise`) on a rendered ball clip in tests/fixtures/ball/ (development
/// renders, never validation clips; see its README): the ball, never a roller, on the truth's ball frames, near the
/// truth's centre, and only the truth's exercise coached, on most frames.
fn ball_clip_is_found_and_recognised(name: &str) {
    let dir = tmp("balls-video");
    let clip = common::repo().join(format!("tests/fixtures/ball/{name}.mp4"));
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(clip.with_extension("json")).unwrap()).unwrap();
    let out = dir.path().join("out");
    run(rollcoach().args(["analyze", s(&clip), "--no-video", "--out", s(&out)])).assert_ok();
    let track = std::fs::read_to_string(out.join(format!("{name}.poses.jsonl"))).unwrap();
    let frames: Vec<Value> = track.lines().skip(1).map(|l| serde_json::from_str(l).unwrap()).collect();
    let truth_frames = truth["frames"].as_array().unwrap();
    assert_eq!(frames.len(), truth_frames.len());
    let mut errors = Vec::new();
    let mut with_ball = 0;
    for (f, t) in frames.iter().zip(truth_frames) {
        assert_ne!(f["tool"], Value::from("roller"), "{name}: a roller reported at {}", f["t"]);
        let Some(tb) = t["roller"].as_array() else { continue };
        with_ball += 1;
        if f["tool"] == Value::from("ball") {
            let b = f["roller"].as_array().unwrap();
            let d = (b[0].as_f64().unwrap() - tb[0].as_f64().unwrap())
                .hypot(b[1].as_f64().unwrap() - tb[1].as_f64().unwrap());
            errors.push(d / tb[2].as_f64().unwrap());
        }
    }
    let share = errors.len() as f64 / with_ball as f64;
    assert!(share >= MIN_BALL_FRAME_SHARE, "{name}: ball reported on {} of {with_ball} frames", errors.len());
    errors.sort_by(f64::total_cmp);
    let median = errors[errors.len() / 2];
    assert!(median <= MAX_BALL_CENTRE_ERROR_R, "{name}: median centre error {median:.2} radii");
    let r: Value = serde_json::from_str(&std::fs::read_to_string(out.join(format!("{name}.report.json"))).unwrap()).unwrap();
    let names: Vec<&Value> = areas(&r).iter().map(|a| &a["exercise"]).collect();
    assert_eq!(names, vec![&truth["exercise"]], "{name}: exercises coached");
    assert_eq!(areas(&r)[0]["ball"]["tool"], Value::from("ball"));
    let metrics = std::fs::read_to_string(out.join(format!("{name}.metrics.csv"))).unwrap();
    let rows: Vec<&str> = metrics.lines().skip(1).collect();
    let exercise = truth["exercise"].as_str().unwrap();
    let recognised = rows.iter().filter(|l| l.split(',').nth(1) == Some(exercise)).count();
    let share = recognised as f64 / rows.len() as f64;
    assert!(share >= MIN_RECOGNISED_SHARE, "{name}: {exercise} coached on {recognised} of {} frames", rows.len());
}

/// Side-lying lats on a ball, camera 40 deg off the side and 20 deg up. With `--roller-detector circles` (rollers
/// only) nothing is found, and the learned detector on the whole-person crop alone found nothing either (the ball is
/// 2-3 px across the detector's input there): the ball is searched again on a square around the torso.
#[test]
fn a_massage_ball_under_the_side_is_found_and_lats_recognised_by_default() {
    ball_clip_is_found_and_recognised("d_ball_lats_az40_el20");
}

/// Seated on a ball under the buttock, camera 5 deg off the side and 15 deg up: the ball touches the torso's lower
/// end as closely as the thigh's upper end, and the torso's ball exercises are all lying down, so the thigh's
/// glutes is the one for a seated body (coached on 69 of 90 frames while the torso could win a frame).
#[test]
fn a_massage_ball_under_a_seated_buttock_is_glutes_not_the_lower_back() {
    ball_clip_is_found_and_recognised("d_ball_glutes_az5_el15");
}
