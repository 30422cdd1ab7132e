//! Routines: the shipped routine files, the step machine, and a guided live run over a clip made of two rendered
//! samples (quads, then the IT band) that must complete every step in order and report done vs planned.

use std::path::{Path, PathBuf};
use std::process::Command;

use rollcoach::coach::load_dir;
use rollcoach::routine::{Routine, RoutineRun, Side, StepStatus};
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rc-routine-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn exercise_ids() -> Vec<String> {
    load_dir(&repo().join("exercises")).unwrap().into_iter().map(|e| e.id).collect()
}

#[test]
fn shipped_routines_load_with_sources_and_known_exercises() {
    let ids = exercise_ids();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let names = rollcoach::routine::list(&repo().join("routines"));
    assert!(names.len() >= 3, "{names:?}");
    for n in &names {
        let r = Routine::load_named(&repo().join("routines"), n, &ids).unwrap();
        assert!(r.source.contains("Behm"), "{n}: durations need their source");
        assert!(r.steps.len() >= 3, "{n}");
        assert!(!r.steps.iter().any(|s| s.exercise == "lower_back"), "{n}: lower back rolling is advised against");
    }
}

#[test]
fn bad_routine_files_name_the_file_and_problem() {
    let ids = ["quads"];
    let p = Path::new("r.toml");
    let e = Routine::parse("id = \"x\"\nname = \"x\"\ndescription = \"\"\nsource = \"\"\n[[step]]\nexercise = \"knees\"\nside = \"both\"\nduration_s = 3\ninstruction = \"\"\n", p, &ids).unwrap_err().to_string();
    assert!(e.contains("r.toml") && e.contains("step 1") && e.contains("knees"), "{e}");
    let e = Routine::parse("id = \"x\"\nname = \"x\"\n", p, &ids).unwrap_err().to_string();
    assert!(e.contains("r.toml") && e.contains("line"), "{e}");
    let e = Routine::load_named(&repo().join("routines"), "nope", &ids).unwrap_err().to_string();
    assert!(e.contains("nope") && e.contains("legs_after_running"), "{e}");
}

fn two_step() -> Routine {
    let text = "id = \"t\"\nname = \"T\"\ndescription = \"\"\nsource = \"test\"\ncountdown_s = 2\n\
        [[step]]\nexercise = \"quads\"\nside = \"both\"\nduration_s = 2\ninstruction = \"face down\"\n\
        [[step]]\nexercise = \"it_band\"\nside = \"right\"\nduration_s = 2\ninstruction = \"lie on your right side\"\n";
    Routine::parse(text, Path::new("t.toml"), &["quads", "it_band"]).unwrap()
}

#[test]
fn step_machine_announces_counts_down_waits_for_recognition_and_moves_on() {
    let mut run =
        RoutineRun::new(two_step(), |id| if id == "it_band" { "IT band".into() } else { "Quadriceps".into() });
    let mut said = Vec::new();
    let dt = 0.1;
    // 0-3 s: nothing recognised; 3-10 s: quads, time on area growing; 10-12 s: recognising; 12-20 s: IT band
    for i in 0..200 {
        let t = i as f64 * dt;
        let (seen, toa) = match t {
            t if t < 3.0 => (None, 0.0),
            t if t < 10.0 => (Some("quads"), t - 3.0),
            t if t < 12.0 => (None, 0.0),
            t => (Some("it_band"), 30.0 + (t - 12.0)), // a running total that does not start at zero
        };
        if let Some(text) = run.update(t, seen, toa) {
            said.push((t, text));
        }
    }
    let texts: Vec<&str> = said.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts[0], "next: Quadriceps, face down");
    assert_eq!(&texts[1..4], &["2", "1", "go"]);
    assert!(texts[4].starts_with("Quadriceps done. next: right IT band, lie on your right side"), "{texts:?}");
    assert_eq!(&texts[5..8], &["2", "1", "go"]);
    assert_eq!(texts[8], "IT band done, routine complete");
    assert_eq!(texts.len(), 9);
    // quads: recognised from 3 s, counted from "go" at 2 s -> done 2 s later (5 s)
    assert!((said[4].0 - 5.0).abs() < 0.15, "{said:?}");
    // IT band: announced at 5 s, go at 7 s, but only recognised from 12 s -> done at 14 s
    assert!((said[8].0 - 14.0).abs() < 0.25, "{said:?}");
    let r = run.report();
    assert!(r.completed);
    assert!(r.steps.iter().all(|s| s.status == StepStatus::Done && s.done_s >= s.planned_s));
    assert_eq!(r.steps[1].side, Side::Right);
}

#[test]
fn stopping_early_reports_partial_and_not_started_steps() {
    let mut run = RoutineRun::new(two_step(), str::to_string);
    for i in 0..40 {
        let t = i as f64 * 0.1;
        run.update(t, Some("quads"), t);
    }
    let r = run.report();
    assert!(!r.completed);
    assert_eq!(r.steps[0].status, StepStatus::Partial);
    assert!((r.steps[0].done_s - 1.9).abs() < 0.15, "counted from go at 2 s: {}", r.steps[0].done_s);
    assert_eq!(r.steps[1].status, StepStatus::NotStarted);
    assert!(r.summary().contains("step 2/2 it_band right: 0.0 of 2 s, not started"), "{}", r.summary());
}

#[test]
fn guided_live_run_over_two_rendered_clips_completes_every_step_in_order() {
    let dir = tmp("live");
    let synth = repo().join("samples/synthetic");
    let list = dir.join("list.txt");
    std::fs::write(
        &list,
        format!("file '{}'\nfile '{}'\n", s(&synth.join("quads_clean.mp4")), s(&synth.join("it_band_clean.mp4"))),
    )
    .unwrap();
    let clip = dir.join("quads_then_it_band.mp4");
    let o = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", s(&list), "-c", "copy", s(&clip)])
        .output()
        .unwrap();
    assert!(o.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&o.stderr));
    let routines = dir.join("routines");
    std::fs::create_dir_all(&routines).unwrap();
    // Short steps: each rendered clip has about 6 s of rolling in the region, and recognising the second exercise
    // takes a few seconds after the cut.
    std::fs::write(
        routines.join("two.toml"),
        "id = \"two\"\nname = \"Quads then IT band\"\ndescription = \"\"\nsource = \"test\"\ncountdown_s = 2\n\
         [[step]]\nexercise = \"quads\"\nside = \"both\"\nduration_s = 2\ninstruction = \"face down on your forearms\"\n\
         [[step]]\nexercise = \"it_band\"\nside = \"right\"\nduration_s = 2\ninstruction = \"lie on your right side\"\n",
    )
    .unwrap();
    let sessions = dir.join("sessions");
    let o = Command::new(env!("CARGO_BIN_EXE_rollcoach"))
        // --unpaced: every frame is processed (none dropped), so the run does not depend on the machine's speed
        .args(["live", "--source", s(&clip), "--unpaced", "--no-window", "--mute", "--routine", "two"])
        .args(["--routines-dir", s(&routines)])
        .args(["--sessions-dir", s(&sessions)])
        .current_dir(repo())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("routine Quads then IT band: completed"), "{stdout}");
    assert!(stdout.contains("step 1/2 quads both:") && stdout.contains("step 2/2 it_band right:"), "{stdout}");

    let session = std::fs::read_dir(&sessions).unwrap().flatten().next().unwrap().path();
    let r: Value = serde_json::from_str(&std::fs::read_to_string(session.join("routine.json")).unwrap()).unwrap();
    let steps = r["steps"].as_array().unwrap();
    let f = |i: usize, k: &str| steps[i][k].as_f64().unwrap_or_else(|| panic!("step {i} {k}: {r}"));
    for i in 0..2 {
        assert_eq!(steps[i]["status"], "done", "{r}");
        assert!(f(i, "done_s") >= f(i, "planned_s"), "{r}");
    }
    assert!(f(0, "announced_t") < f(0, "finished_t") && f(0, "finished_t") <= f(1, "announced_t"), "{r}");
    // the second step can only be done once the IT band part of the clip (from 8 s) is playing
    assert!(f(1, "finished_t") > 8.0 && f(1, "finished_t") > f(1, "announced_t"), "{r}");

    // the cues were said in order: announce, countdown, go, done + next, ..., routine complete
    let events = std::fs::read_to_string(session.join("events.jsonl")).unwrap();
    let cues: Vec<String> = events
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["kind"] == "cue" && e["rule"] == "routine")
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    let pos = |needle: &str| {
        cues.iter().position(|c| c.contains(needle)).unwrap_or_else(|| panic!("{needle:?} not in {cues:?}"))
    };
    assert!(
        pos("next: Quadriceps") < pos("Quadriceps done") && pos("Quadriceps done") < pos("routine complete"),
        "{cues:?}"
    );
    assert!(cues[pos("Quadriceps done")].contains("next: right IT band"), "{cues:?}");
    assert_eq!(cues.iter().filter(|c| *c == "go").count(), 2, "{cues:?}");

    // the session's report page shows done vs planned
    let page = std::fs::read_to_string(session.join("report.html")).unwrap();
    assert!(page.contains("Routine: Quads then IT band") && page.contains("id=\"routine\""), "routine table missing");
}
