//! Engine API behaviour: cues, holds, time on area, outputs, errors, missing data.

use std::path::{Path, PathBuf};

use rollcoach::coach::{self, analyze_track, write_outputs, CoachError, Engine, EngineConfig, CSV_COLUMNS};
use rollcoach::posetrack::PoseTrack;
use rollcoach::synth::{self, FaultSpec, SynthConfig};

fn exercises_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises")
}

fn track(id: &str, cfg: SynthConfig) -> (PoseTrack, synth::Truth) {
    let ex = coach::load_dir(&exercises_dir())
        .unwrap()
        .into_iter()
        .find(|e| e.id == id)
        .unwrap();
    synth::generate(&ex, &cfg).unwrap()
}

fn faults(specs: &[&str]) -> Vec<FaultSpec> {
    specs.iter().map(|s| FaultSpec::parse(s).unwrap()).collect()
}

#[test]
fn cues_start_with_faults_and_are_not_repeated() {
    let (tr, truth) = track(
        "quads",
        SynthConfig {
            duration_s: 30.0,
            faults: faults(&["too_fast@8+4", "keep_out@18+2"]),
            ..SynthConfig::default()
        },
    );
    let mut engine = Engine::new(EngineConfig::new(exercises_dir())).unwrap();
    let mut cues = Vec::new();
    let mut cue_during_fast = None;
    for f in &tr.frames {
        let m = engine.push(f);
        if (10.0..11.0).contains(&m.t) && cue_during_fast.is_none() {
            cue_during_fast = engine.current_cue().map(|c| c.text.clone());
        }
        cues.extend(engine.drain_new_cues());
    }
    assert_eq!(cue_during_fast.as_deref(), Some("slower"));
    let slower: Vec<f64> = cues.iter().filter(|c| c.text == "slower").map(|c| c.t).collect();
    assert_eq!(slower.len(), 1, "{cues:?}");
    assert!(slower[0] >= 8.0 && slower[0] < 8.8, "{slower:?}");
    let knee: Vec<&coach::Cue> = cues.iter().filter(|c| c.rule == "keep_out").collect();
    assert_eq!(knee.len(), 1, "{cues:?}");
    assert_eq!(knee[0].text, "off the knee");
    let ko = truth.faults.iter().find(|f| f.rule == "keep_out").unwrap();
    assert!((knee[0].t - ko.onset).abs() < 0.5);
    // Nothing left after draining.
    assert!(engine.drain_new_cues().is_empty());
    let (a, b, r0, r1) = engine.segment_px().unwrap();
    assert!(a.x < b.x && (r0, r1) == (0.12, 0.82));
}

#[test]
fn tender_spot_hold_is_reported_and_cued() {
    let (tr, truth) = track(
        "quads",
        SynthConfig {
            duration_s: 50.0,
            faults: faults(&["hold@10+32"]),
            ..SynthConfig::default()
        },
    );
    let mut engine = Engine::new(EngineConfig::new(exercises_dir())).unwrap();
    let mut cues = Vec::new();
    for f in &tr.frames {
        engine.push(f);
        cues.extend(engine.drain_new_cues());
    }
    let report = engine.finish();
    assert!(report.faults.is_empty(), "{:?}", report.faults);
    let holds = &report.areas[0].holds;
    assert_eq!(holds.len(), 1, "{holds:?}");
    let h = &holds[0];
    let th = &truth.events[0];
    assert!((h.start - th.onset).abs() < 0.5, "{h:?} vs {th:?}");
    // The end is less sharp: rolling on may pass back over the held spot.
    assert!((h.end - th.end).abs() < 1.0, "{h:?} vs {th:?}");
    let texts: Vec<&str> = cues.iter().map(|c| c.text.as_str()).collect();
    assert!(
        texts.contains(&"good, 20 seconds") && texts.contains(&"move on"),
        "{texts:?}"
    );
    assert!(report.events.iter().any(|e| e.rule == "hold"));
}

#[test]
fn time_on_area_reaches_target_with_event_and_cue() {
    let (tr, _) = track(
        "calves",
        SynthConfig {
            duration_s: 40.0,
            ..SynthConfig::default()
        },
    );
    let mut engine = Engine::new(EngineConfig::new(exercises_dir())).unwrap();
    let mut done_cue = None;
    for f in &tr.frames {
        engine.push(f);
        for c in engine.drain_new_cues() {
            if c.rule == "area_done" {
                done_cue = Some(c);
            }
        }
    }
    let cue = done_cue.expect("area_done cue");
    assert_eq!(cue.text, "good, 30 seconds");
    let r = engine.finish();
    let ar = &r.areas[0];
    assert_eq!(ar.status, "done");
    let ev = r.events.iter().find(|e| e.rule == "area_done").unwrap();
    // Rolling starts after recognition (0.3 s); the whole range is inside the region.
    assert!(ev.start > 30.0 && ev.start < 31.5, "{ev:?}");
}

#[test]
fn track_without_roller_gives_no_exercise_and_no_faults() {
    let (mut tr, _) = track(
        "upper_back",
        SynthConfig {
            duration_s: 10.0,
            faults: faults(&["too_fast@2+4"]),
            ..SynthConfig::default()
        },
    );
    for f in tr.frames.iter_mut() {
        f.roller = None;
    }
    // And a stretch without a person.
    for f in tr.frames.iter_mut().skip(100).take(50) {
        f.pose = None;
    }
    let a = analyze_track(&tr, EngineConfig::new(exercises_dir())).unwrap();
    assert!(a.report.faults.is_empty());
    assert!(a.report.areas.is_empty());
    assert_eq!(a.report.frames.frames_with_roller, 0);
    assert_eq!(a.report.frames.frames_with_pose, tr.frames.len() - 50);
    assert!(a.metrics.iter().all(|m| m.area.contact.is_none() && m.area.exercise.is_none()));
}

#[test]
fn override_and_config_errors_are_clear() {
    let mut cfg = EngineConfig::new(exercises_dir());
    cfg.exercise = Some("quadz".into());
    let e = Engine::new(cfg).err().unwrap().to_string();
    assert!(e.contains("quadz") && e.contains("quads"), "{e}");
    let mut cfg = EngineConfig::new(exercises_dir());
    cfg.roller_diameter_cm = 0.0;
    assert!(matches!(Engine::new(cfg), Err(CoachError::Config(_))));
    let e = Engine::new(EngineConfig::new("/nonexistent/exercises"))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("/nonexistent/exercises"), "{e}");
}

#[test]
fn malformed_exercise_file_in_dir_names_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("rc-ex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string(exercises_dir().join("calves.toml")).unwrap();
    let bad = good.replace("max_speed_cm_s = 14.0", "max_speed_cm_s = -3.0");
    std::fs::write(dir.join("calves.toml"), bad).unwrap();
    let e = Engine::new(EngineConfig::new(&dir)).err().unwrap().to_string();
    assert!(
        e.contains("calves.toml:") && e.contains("thresholds.max_speed_cm_s"),
        "{e}"
    );
    std::fs::write(dir.join("calves.toml"), "id = \"calves\"\nname = [1\n").unwrap();
    let e = Engine::new(EngineConfig::new(&dir)).err().unwrap().to_string();
    assert!(e.contains("calves.toml:2:"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn outputs_have_documented_layout() {
    let (tr, _) = track(
        "upper_back",
        SynthConfig {
            duration_s: 20.0,
            faults: faults(&["hips_dropped@8+3"]),
            ..SynthConfig::default()
        },
    );
    let a = analyze_track(&tr, EngineConfig::new(exercises_dir())).unwrap();
    let dir = std::env::temp_dir().join(format!("rc-out-{}", std::process::id()));
    let paths = write_outputs(&a, &dir, "ub").unwrap();
    assert_eq!(paths, vec![dir.join("ub.report.json"), dir.join("ub.metrics.csv")]);
    let csv = std::fs::read_to_string(&paths[1]).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), CSV_COLUMNS.join(","));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), tr.frames.len());
    assert!(rows.iter().all(|r| r.split(',').count() == CSV_COLUMNS.len()));
    assert!(rows.iter().any(|r| r.contains("hips_dropped")));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&paths[0]).unwrap()).unwrap();
    assert_eq!(v["format"], "rollcoach-coaching/1");
    let f = &v["faults"][0];
    assert_eq!(f["rule"], "hips_dropped");
    for k in ["start", "end", "severity", "message", "exercise"] {
        assert!(!f[k].is_null(), "missing {k} in {f}");
    }
    let ar = &v["areas"][0];
    for k in [
        "exercise",
        "time_on_area_s",
        "passes",
        "mean_speed_cm_s",
        "max_speed_cm_s",
        "coverage",
        "holds",
        "faults",
    ] {
        assert!(!ar[k].is_null(), "missing {k} in area");
    }
    let mut term = Vec::new();
    coach::print_summary(&a, &mut term).unwrap();
    let term = String::from_utf8(term).unwrap();
    assert!(term.contains("upper_back") && term.contains("hips_dropped"), "{term}");
    std::fs::remove_dir_all(&dir).ok();
}
