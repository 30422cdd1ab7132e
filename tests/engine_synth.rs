//! Engine against synthetic pose tracks: every injected fault is reported within 0.5 s of its onset, clean tracks
//! give no faults, measured speed is within 15% of the generated speed, the exercise is recognised.
//! Truth comes from the generator (its inputs and kinematics), never from the engine.

use std::path::{Path, PathBuf};

use rollcoach::coach::{self, analyze_track, Analysis, EngineConfig, Exercise, RuleId};
use rollcoach::synth::{self, FaultSpec, SynthConfig, Truth};

const ONSET_TOLERANCE_S: f64 = 0.5;
const SPEED_TOLERANCE: f32 = 0.15;

fn exercises_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises")
}

fn exercise(id: &str) -> Exercise {
    coach::load_dir(&exercises_dir())
        .unwrap()
        .into_iter()
        .find(|e| e.id == id)
        .unwrap()
}

fn run(id: &str, cfg: SynthConfig, override_ex: bool) -> (Analysis, Truth) {
    let ex = exercise(id);
    let (track, truth) = synth::generate(&ex, &cfg).unwrap();
    let mut ecfg = EngineConfig::new(exercises_dir());
    if override_ex {
        ecfg.exercise = Some(id.to_string());
    }
    (analyze_track(&track, ecfg).unwrap(), truth)
}

fn faults_summary(a: &Analysis) -> String {
    a.report
        .faults
        .iter()
        .map(|f| format!("{}@{:.2}-{:.2}({})", f.rule, f.start, f.end, f.exercise))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every truth fault has a reported fault of the same rule starting within tolerance.
fn assert_faults_found(a: &Analysis, truth: &Truth) {
    for tf in &truth.faults {
        let hit = a
            .report
            .faults
            .iter()
            .any(|f| f.rule == tf.rule && (f.start - tf.onset).abs() <= ONSET_TOLERANCE_S);
        assert!(
            hit,
            "{} at {:.2} not reported; reported: [{}]",
            tf.rule,
            tf.onset,
            faults_summary(a)
        );
    }
}

/// Every reported fault matches a truth fault of the same rule that overlaps it in time.
fn assert_no_false_faults(a: &Analysis, truth: &Truth) {
    for f in &a.report.faults {
        let ok = truth.faults.iter().any(|tf| {
            tf.rule == f.rule && f.start <= tf.end + ONSET_TOLERANCE_S && f.end >= tf.onset - ONSET_TOLERANCE_S
        });
        assert!(
            ok,
            "false fault {}@{:.2}-{:.2}; truth: {:?}",
            f.rule, f.start, f.end, truth.faults
        );
    }
}

fn area<'a>(a: &'a Analysis, id: &str) -> &'a coach::AreaReport {
    a.report.areas.iter().find(|ar| ar.exercise == id).unwrap_or_else(|| {
        panic!(
            "no area {id}; areas: {:?}",
            a.report
                .areas
                .iter()
                .map(|x| (&x.exercise, x.time_on_area_s))
                .collect::<Vec<_>>()
        )
    })
}

const RECOGNISED: [&str; 8] = [
    "upper_back",
    "lats",
    "glutes",
    "it_band",
    "quads",
    "hamstrings",
    "calves",
    "lower_back",
];

#[test]
fn clean_tracks_are_recognised_without_faults_and_speed_is_measured() {
    for (i, id) in RECOGNISED.iter().enumerate() {
        if *id == "lower_back" {
            continue;
        }
        for speed in [3.0f32, 6.0] {
            let cfg = SynthConfig {
                speed_cm_s: speed,
                duration_s: 45.0,
                seed: 10 + i as u64,
                ..SynthConfig::default()
            };
            let (a, truth) = run(id, cfg, false);
            assert!(truth.faults.is_empty());
            assert!(
                a.report.faults.is_empty(),
                "{id} @ {speed}: false faults [{}]",
                faults_summary(&a)
            );
            assert_eq!(
                a.report.areas.len(),
                1,
                "{id}: areas {:?}",
                a.report.areas.iter().map(|x| &x.exercise).collect::<Vec<_>>()
            );
            let ar = area(&a, id);
            let mean = ar.speed.mean_speed_cm_s.expect("passes measured");
            assert!(
                (mean - speed).abs() <= SPEED_TOLERANCE * speed,
                "{id}: speed {mean} vs {speed}"
            );
            assert!(ar.passes >= 2, "{id}: {} passes", ar.passes);
            assert!(
                ar.time_on_area_s > 0.8 * 45.0,
                "{id}: time on area {}",
                ar.time_on_area_s
            );
            assert!(ar.coverage > 0.7, "{id}: coverage {}", ar.coverage);
        }
    }
}

#[test]
fn adductors_with_override_is_clean() {
    let (a, _) = run(
        "adductors",
        SynthConfig {
            duration_s: 30.0,
            ..SynthConfig::default()
        },
        true,
    );
    assert!(a.report.faults.is_empty(), "[{}]", faults_summary(&a));
    assert_eq!(area(&a, "adductors").passes > 1, true);
}

/// Hamstrings started near the hip (the track cut to begin just before the generator's turn at the proximal end
/// of the rolling range) are hamstrings from the first area on, not glutes first.
#[test]
fn hamstrings_started_near_the_hip_are_hamstrings() {
    let ex = exercise("hamstrings");
    for seed in [1, 2, 3] {
        let cfg = SynthConfig { speed_cm_s: 2.5, noise_px: 2.0, seed, duration_s: 45.0, ..SynthConfig::default() };
        let (mut track, truth) = synth::generate(&ex, &cfg).unwrap();
        // The rolling starts mid-range toward the knee: the second turn is at the hip end.
        let cut = truth.turns[1] - 0.5;
        track.frames.retain(|f| f.t >= cut);
        let a = analyze_track(&track, EngineConfig::new(exercises_dir())).unwrap();
        let ids: Vec<&str> = a.report.areas.iter().map(|x| x.exercise.as_str()).collect();
        assert_eq!(ids, vec!["hamstrings"], "seed {seed}, cut at {cut:.1}");
    }
}

#[test]
fn too_fast_is_reported_near_onset() {
    for (id, seed) in [("quads", 1), ("upper_back", 2), ("calves", 3), ("it_band", 4)] {
        let faults = vec![
            FaultSpec::parse("too_fast@12.3+5").unwrap(),
            FaultSpec::parse("too_fast@31+4").unwrap(),
        ];
        let (a, truth) = run(
            id,
            SynthConfig {
                duration_s: 45.0,
                seed,
                faults,
                ..SynthConfig::default()
            },
            false,
        );
        assert_faults_found(&a, &truth);
        assert_no_false_faults(&a, &truth);
        let max = area(&a, id).speed.max_speed_cm_s.unwrap();
        assert!(
            (max - 30.0).abs() <= SPEED_TOLERANCE * 30.0,
            "{id}: max pass speed {max}"
        );
    }
}

#[test]
fn keep_out_entry_is_reported_near_onset() {
    for (id, seed) in [
        ("quads", 5),
        ("hamstrings", 6),
        ("upper_back", 7),
        ("calves", 8),
        ("it_band", 9),
    ] {
        let faults = vec![
            FaultSpec::parse("keep_out@10+2.5").unwrap(),
            FaultSpec::parse("keep_out@28.5+3").unwrap(),
        ];
        let (a, truth) = run(
            id,
            SynthConfig {
                duration_s: 45.0,
                seed,
                faults,
                ..SynthConfig::default()
            },
            false,
        );
        assert_eq!(truth.faults.len(), 2, "{id}: {:?}", truth.faults);
        assert_faults_found(&a, &truth);
        assert_no_false_faults(&a, &truth);
        assert!(
            a.report.faults.iter().all(|f| f.exercise == id),
            "{id}: [{}]",
            faults_summary(&a)
        );
    }
}

#[test]
fn hips_dropped_is_reported_near_onset() {
    for (id, seed) in [("upper_back", 11), ("hamstrings", 12), ("calves", 13)] {
        let faults = vec![
            FaultSpec::parse("hips_dropped@9.7+4").unwrap(),
            FaultSpec::parse("hips_dropped@25+6").unwrap(),
        ];
        let (a, truth) = run(
            id,
            SynthConfig {
                duration_s: 40.0,
                seed,
                faults,
                ..SynthConfig::default()
            },
            false,
        );
        assert_faults_found(&a, &truth);
        assert_no_false_faults(&a, &truth);
    }
}

#[test]
fn lower_back_rolling_is_reported_from_the_start() {
    for seed in [21, 22] {
        let (a, truth) = run(
            "lower_back",
            SynthConfig {
                duration_s: 30.0,
                seed,
                ..SynthConfig::default()
            },
            false,
        );
        assert_eq!(truth.faults.len(), 1);
        assert_faults_found(&a, &truth);
        assert_no_false_faults(&a, &truth);
    }
}

#[test]
fn plank_line_and_neck_unsupported_are_reported() {
    let (a, truth) = run(
        "quads",
        SynthConfig {
            duration_s: 30.0,
            seed: 31,
            faults: vec![FaultSpec::parse("plank_line@8+5").unwrap()],
            ..SynthConfig::default()
        },
        false,
    );
    assert_faults_found(&a, &truth);
    assert_no_false_faults(&a, &truth);
    let (a, truth) = run(
        "upper_back",
        SynthConfig {
            duration_s: 30.0,
            seed: 32,
            faults: vec![FaultSpec::parse("neck_unsupported@12+5").unwrap()],
            ..SynthConfig::default()
        },
        false,
    );
    assert_faults_found(&a, &truth);
    assert_no_false_faults(&a, &truth);
}

#[test]
fn all_faults_together_on_one_track() {
    let faults = [
        "too_fast@6+4",
        "keep_out@16+3",
        "hips_dropped@26+4",
        "neck_unsupported@36+4",
        "too_fast@44+3",
    ]
    .iter()
    .map(|s| FaultSpec::parse(s).unwrap())
    .collect();
    let (a, truth) = run(
        "upper_back",
        SynthConfig {
            duration_s: 55.0,
            seed: 41,
            faults,
            ..SynthConfig::default()
        },
        false,
    );
    assert_faults_found(&a, &truth);
    assert_no_false_faults(&a, &truth);
}

/// A burst that starts while the contact rests in a keep-out zone shows only once it rolls again: synth's truth
/// starts the too_fast fault there (it had the burst's nominal onset, 2.5 s before any fast motion), and the engine
/// reports it near that.
#[test]
fn a_burst_during_a_keep_out_visit_is_too_fast_from_when_it_rolls() {
    let faults = ["keep_out@6.9+2.3", "too_fast@15.4+4.3"].iter().map(|s| FaultSpec::parse(s).unwrap()).collect();
    let cfg = SynthConfig {
        duration_s: 30.0,
        speed_cm_s: 1.88,
        fast_speed_cm_s: 15.2,
        roller_diameter_cm: 6.3,
        seed: 70773,
        faults,
        ..SynthConfig::default()
    };
    let (a, truth) = run("ball_glutes", cfg, false);
    let visit = truth.faults.iter().find(|f| f.rule == RuleId::KeepOut).unwrap();
    let fast = truth.faults.iter().find(|f| f.rule == RuleId::TooFast).unwrap();
    assert!(visit.onset < 15.4 + 0.1 && visit.end > 17.0, "the visit must overlap the burst's start: {visit:?}");
    assert!(fast.onset >= visit.end - 0.5 && fast.injected_at == 15.4, "{fast:?}");
    assert_faults_found(&a, &truth);
    assert_no_false_faults(&a, &truth);
}

/// Quick strokes back and forth over a short stretch are rolling too fast, though each stroke turns before the
/// speed window has seen it fast for long: 25 cm/s over 11 cm of the lower back (tools/sweep_synth.py, ordinary
/// conditions: 25 fps, 2.65 px noise, 17 % of frames without the roller) had given no too_fast event at all.
#[test]
fn quick_short_strokes_are_too_fast_from_the_first_stroke() {
    let cfg = SynthConfig {
        duration_s: 20.0,
        speed_cm_s: 4.35,
        fast_speed_cm_s: 25.1,
        fps: 25.0,
        width: 1280,
        height: 720,
        px_per_cm: 3.72,
        roller_diameter_cm: 16.3,
        noise_px: 2.65,
        real: synth::RealNoise { roller_dropout: 0.172, pose_dropout: 0.06, far_visibility: 0.58, ..Default::default() },
        seed: 53776,
        faults: vec![FaultSpec::parse("too_fast@8.7+4.1").unwrap()],
        ..SynthConfig::default()
    };
    let (a, truth) = run("lower_back", cfg, false);
    assert!(truth.faults.iter().any(|f| f.rule == RuleId::TooFast), "{:?}", truth.faults);
    assert_faults_found(&a, &truth);
    assert_no_false_faults(&a, &truth);
}

/// Strokes back and forth over the 8 cm trapezius region are rolling, not a tender-spot hold, under landmark noise of
/// a third of the stroke: with each half of the stillness window centred on a turn the halves were level with equal
/// means, and a clean track read as one hold of 19-41 s (tools/sweep_synth.py, ordinary conditions: 15 fps, 2.3 px
/// noise at 3 px/cm, 1.6 px wander at 1 Hz).
#[test]
fn strokes_over_the_trapezius_under_noise_are_no_hold() {
    let cfg = SynthConfig {
        duration_s: 90.0,
        speed_cm_s: 2.06,
        fps: 15.0,
        width: 1280,
        height: 720,
        px_per_cm: 3.05,
        roller_diameter_cm: 8.4,
        noise_px: 2.29,
        real: synth::RealNoise { wander_px: 1.59, wander_hz: 0.98, ..Default::default() },
        seed: 88743,
        ..SynthConfig::default()
    };
    let (track, _) = synth::generate(&exercise("ball_trapezius_wall"), &cfg).unwrap();
    let ecfg = EngineConfig { ball_diameter_cm: 8.4, ..EngineConfig::new(exercises_dir()) };
    let a = analyze_track(&track, ecfg).unwrap();
    let area = a.report.areas.iter().find(|ar| ar.exercise == "ball_trapezius_wall").expect("the trapezius area");
    assert!(area.passes >= 20, "{} passes", area.passes);
    assert!(area.holds.is_empty(), "{:?}", area.holds);
}

/// Cases drawn from a fixed seed, so a CI run is repeatable (the committed regression seeds still replay first);
/// `PROPTEST_RNG_SEED=N` (or `random`) draws other cases for exploring.
fn deterministic(cases: u32) -> proptest::test_runner::Config {
    use proptest::test_runner::{Config, RngSeed};
    let seed = std::env::var("PROPTEST_RNG_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(RngSeed::Fixed(20261126));
    Config { cases, rng_seed: seed, ..Config::default() }
}

mod property {
    use super::*;
    use proptest::prelude::*;

    const WITH_KEEP_OUT: [&str; 6] = ["upper_back", "quads", "hamstrings", "calves", "it_band", "lats"];
    const WITH_HIPS: [&str; 3] = ["upper_back", "hamstrings", "calves"];

    proptest! {
        // ENGINE_PROPTEST_CASES=3000 for a long run (passed 3000 cases each when written).
        #![proptest_config(deterministic(
            std::env::var("ENGINE_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32)
        ))]

        /// Random exercise, speed, noise seed and fault times: every fault found near its onset, nothing else.
        #[test]
        fn injected_faults_found_and_nothing_else(
            ex_i in 0usize..6, speed in 2.5f32..7.0, seed in 0u64..10_000, noise in 0.5f32..1.5,
            fast_on in 6.0f64..10.0, ko_on in 16.0f64..20.0, hips_on in 40.0f64..46.0, hips_i in 0usize..3,
        ) {
            let id = WITH_KEEP_OUT[ex_i];
            let mut faults = vec![
                FaultSpec::parse(&format!("too_fast@{fast_on}+3")).unwrap(),
                FaultSpec::parse(&format!("keep_out@{ko_on}+2")).unwrap(),
            ];
            let hips_id = WITH_HIPS[hips_i];
            if id == hips_id {
                faults.push(FaultSpec::parse(&format!("hips_dropped@{hips_on}+3")).unwrap());
            }
            let cfg = SynthConfig { speed_cm_s: speed, noise_px: noise, seed, duration_s: 55.0, faults, ..SynthConfig::default() };
            let (a, truth) = run(id, cfg, false);
            assert_faults_found(&a, &truth);
            assert_no_false_faults(&a, &truth);
        }

        /// Clean tracks: no faults and speed within tolerance, for any seed and any speed up to 65 % of the
        /// exercise's limit (the ideal is about 2.5 cm/s, 17-25 % of the limits).
        #[test]
        fn clean_tracks_stay_clean(ex_i in 0usize..7, frac in 0.17f32..0.65, seed in 0u64..10_000, noise in 0.5f32..1.5) {
            let id = ["upper_back", "lats", "glutes", "it_band", "quads", "hamstrings", "calves"][ex_i];
            let speed = frac * exercise(id).thresholds.max_speed_cm_s;
            let cfg = SynthConfig { speed_cm_s: speed, noise_px: noise, seed, duration_s: 35.0, ..SynthConfig::default() };
            let (a, _) = run(id, cfg, false);
            prop_assert!(a.report.faults.is_empty(), "{id} @ {speed}: [{}]", faults_summary(&a));
            prop_assert_eq!(a.report.areas.len(), 1);
            let mean = area(&a, id).speed.mean_speed_cm_s.unwrap();
            prop_assert!((mean - speed).abs() <= SPEED_TOLERANCE * speed, "{} speed {} vs {}", id, mean, speed);
        }
    }
}

/// Noisy keypoints through the real binary (`rollcoach synth` with noise options, then `rollcoach analyze
/// --poses`): speed and passes robust to white noise and slow wander, holds found once and only when real,
/// exercise switches clean, time on area bridging detector misses. Truth (turn times, holds, switch time) comes
/// from the generator.
mod noisy {
    use std::process::Command;

    use proptest::prelude::*;
    use super::deterministic;
    use serde_json::Value;

    /// Acceptance (issue 12): mean pass speed within 10 % and passes within +-1 of the generated ones.
    const NOISY_SPEED_TOLERANCE: f64 = 0.10;
    const PASS_TOLERANCE: i64 = 1;
    /// A posture fault must not start this soon after an exercise switch (the old exercise's rules stop at once).
    const SWITCH_QUIET_S: f64 = 0.5;
    /// A hold's start within this of the roller's stop: the massage-ball acceptance (tests/balls.rs).
    const HOLD_ONSET_TOLERANCE_S: f64 = 1.0;
    /// A hold's start and end within this of the truth when only the hold itself is checked (`long_hold_is_one_hold`
    /// allows the same 3 s; the end needs movement beyond the wander band for `HOLD_OFF_S`).
    const HOLD_END_TOLERANCE_S: f64 = 3.0;
    /// Time on area with 10 % roller dropouts within this share of the clean track's (gaps up to 1 s bridged).
    const DROPOUT_TIME_TOLERANCE: f64 = 0.03;

    fn bin() -> &'static str {
        env!("CARGO_BIN_EXE_rollcoach")
    }

    /// Generates and analyses a track; returns (report, truth).
    fn synth_and_analyze(name: &str, args: &[String]) -> (Value, Value) {
        let dir = std::env::temp_dir().join(format!("rollcoach-engine-noisy-{}", std::process::id()));
        let track = dir.join(format!("{name}.jsonl"));
        let out = Command::new(bin())
            .arg("synth")
            .args(args)
            .arg("--out")
            .arg(&track)
            .output()
            .unwrap();
        assert!(out.status.success(), "synth {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let out = Command::new(bin())
            .args(["analyze", "--no-video", "-q", "--poses"])
            .arg(&track)
            .arg("-o")
            .arg(dir.join("out"))
            .output()
            .unwrap();
        assert!(out.status.success(), "analyze: {}", String::from_utf8_lossy(&out.stderr));
        let read = |p: std::path::PathBuf| -> Value { serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() };
        (read(dir.join("out").join(format!("{name}.report.json"))), read(dir.join(format!("{name}.truth.json"))))
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// The speed over its 0.5 s window is noisy: under 1.1 cm of landmark noise at 30 fps its standard error is
    /// about 2 cm/s, and rolling at 4.5 cm/s read over the 8 cm/s limit for 0.4 s in the first seconds of a peanut
    /// track (tools/sweep_synth.py, ordinary conditions, seed 8484). The true burst at 34.7 s is still found.
    #[test]
    fn noisy_speed_just_over_the_limit_is_no_too_fast() {
        let a = args(&["--exercise", "peanut_lower_back", "--speed", "4.54", "--duration", "75", "--seed", "43624",
            "--noise-px", "1.47", "--fps", "30", "--width", "320", "--height", "240", "--px-per-cm", "1.33",
            "--wander-px", "0.77", "--wander-hz", "0.63", "--far-visibility", "0.77", "--fast-speed", "18.6",
            "--fault", "too_fast@34.7+2.7", "--hold", "7.0+20.5"]);
        let (r, _) = synth_and_analyze("noisy_speed", &a);
        let too_fast: Vec<f64> = r["faults"].as_array().unwrap().iter()
            .filter(|f| f["rule"] == "too_fast").map(|f| f["start"].as_f64().unwrap()).collect();
        assert!(too_fast.iter().all(|&s| s > 30.0), "too_fast at {too_fast:?}");
        assert!(too_fast.iter().any(|&s| (s - 34.7).abs() <= 1.0), "too_fast at {too_fast:?}");
    }

    fn area<'a>(r: &'a Value, id: &str) -> &'a Value {
        r["areas"].as_array().unwrap().iter().find(|a| a["exercise"] == id).unwrap_or_else(|| panic!("no {id} area: {r}"))
    }

    /// Passes the generator made: legs ending at a turn, the last one at least 2 s before the end (a turn must
    /// be followed by some movement to be seen).
    fn true_passes(truth: &Value, duration: f64) -> i64 {
        truth["turns"].as_array().unwrap().iter().filter(|t| t.as_f64().unwrap() <= duration - 2.0).count() as i64
    }

    /// `no_holds`: also assert that rolling gives no hold (not asserted under slow wander: a 0.2 Hz wander can
    /// cancel the rolling near a turn for a few seconds, a known limit).
    fn check_speed_and_passes(name: &str, id: &str, noise: &[String], seed: u64, no_holds: bool) -> Result<(), TestCaseError> {
        let duration = 60.0;
        let mut a = args(&["--exercise", id, "--speed", "2.5", "--duration", "60", "--seed"]);
        a.push(seed.to_string());
        a.extend(noise.iter().cloned());
        let (r, truth) = synth_and_analyze(name, &a);
        let ar = area(&r, id);
        let speed = ar["mean_speed_cm_s"].as_f64().unwrap();
        prop_assert!((speed - 2.5).abs() <= NOISY_SPEED_TOLERANCE * 2.5, "{id} {noise:?} seed {seed}: speed {speed}");
        let passes = ar["passes"].as_i64().unwrap();
        let want = true_passes(&truth, duration);
        prop_assert!((passes - want).abs() <= PASS_TOLERANCE, "{id} {noise:?} seed {seed}: {passes} passes, {want} true");
        if no_holds {
            prop_assert!(ar["holds"].as_array().unwrap().is_empty(), "{id} {noise:?} seed {seed}: holds {}", ar["holds"]);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(deterministic(
            std::env::var("ENGINE_NOISY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(4)
        ))]

        /// White noise up to 6 px: speed, passes, no holds.
        #[test]
        fn white_noise_keeps_speed_and_passes(ex_i in 0usize..3, px in 1.0f32..6.0, seed in 0u64..10_000) {
            let id = ["hamstrings", "upper_back", "quads"][ex_i];
            check_speed_and_passes("white", id, &args(&["--noise-px", &px.to_string()]), seed, true)?;
        }

        /// Slow wander 1-3 px at 0.2-1.5 Hz (it passes a One Euro filter): speed and passes.
        #[test]
        fn slow_wander_keeps_speed_and_passes(ex_i in 0usize..3, px in 1.0f32..3.0, hz in 0.2f32..1.5, seed in 0u64..10_000) {
            let id = ["hamstrings", "upper_back", "quads"][ex_i];
            let noise = args(&["--wander-px", &px.to_string(), "--wander-hz", &hz.to_string()]);
            check_speed_and_passes("wander", id, &noise, seed, false)?;
        }

        /// Detector misses and a low-visibility far side change nothing.
        #[test]
        fn dropouts_and_far_side_keep_speed_and_passes(drop in 0.05f32..0.10, vis in 0.05f32..0.3, seed in 0u64..10_000) {
            let noise = args(&["--dropout", &drop.to_string(), "--pose-dropout", &(drop / 2.0).to_string(),
                "--far-visibility", &vis.to_string()]);
            check_speed_and_passes("dropout", "hamstrings", &noise, seed, true)?;
        }

        /// A true hold of 20 s or more under noise is found as one hold covering it.
        #[test]
        fn long_hold_is_one_hold(ex_i in 0usize..2, at in 15.0f64..25.0, dur in 20.0f64..26.0, noisy in any::<bool>(), seed in 0u64..10_000) {
            let id = ["hamstrings", "quads"][ex_i];
            let noise = if noisy { args(&["--noise-px", "6"]) } else { args(&["--wander-px", "3", "--wander-hz", "1.0"]) };
            let mut a = args(&["--exercise", id, "--speed", "2.5", "--duration", "60", "--hold"]);
            a.push(format!("{at}+{dur}"));
            a.push("--seed".into());
            a.push(seed.to_string());
            a.extend(noise);
            let (r, _) = synth_and_analyze("hold", &a);
            let holds = area(&r, id)["holds"].as_array().unwrap().clone();
            prop_assert_eq!(holds.len(), 1, "{} {:?}: {:?}", id, a, holds);
            let (s, e) = (holds[0]["start"].as_f64().unwrap(), holds[0]["end"].as_f64().unwrap());
            prop_assert!(s <= at + 3.0 && e >= at + dur - 3.0, "hold {s}-{e} vs {at}+{dur}");
        }

        /// A hold starts where the roller stopped (back-dated from its detection, which comes a stillness window
        /// later), within the massage-ball acceptance's 1 s, under 6 px white noise or 3 px 1 Hz wander.
        #[test]
        fn hold_onset_is_where_the_roller_stopped(ex_i in 0usize..3, at in 10.0f64..25.0, noisy in any::<bool>(), seed in 0u64..10_000) {
            let id = ["hamstrings", "quads", "upper_back"][ex_i];
            let noise = if noisy { args(&["--noise-px", "6"]) } else { args(&["--wander-px", "3", "--wander-hz", "1.0"]) };
            let mut a = args(&["--exercise", id, "--speed", "2.5", "--duration", "50", "--hold"]);
            a.push(format!("{at}+20"));
            a.push("--seed".into());
            a.push(seed.to_string());
            a.extend(noise);
            let (r, truth) = synth_and_analyze("onset", &a);
            let onset = truth["events"][0]["onset"].as_f64().unwrap();
            let holds = area(&r, id)["holds"].as_array().unwrap().clone();
            prop_assert_eq!(holds.len(), 1, "{} {:?}: {:?}", id, a, holds);
            let s = holds[0]["start"].as_f64().unwrap();
            prop_assert!((s - onset).abs() <= HOLD_ONSET_TOLERANCE_S, "{:?}: hold starts at {} for a stop at {}", a, s, onset);
        }

        /// A too-fast burst over a short region (quick strokes back and forth over one spot) is rolling, not a
        /// hold: a glutes or calves track with a 4 s burst under 1.5-3 px noise had a hold from the burst to the
        /// end of the track (whose end band, 3 x the contact's RMS over the burst, the rolling never left) and no
        /// pass after it, and so had the 8 cm trapezius region under synth's default 1 px (at 2.8 px, 1.1 cm, its
        /// burst of 0.3 s strokes, smoothed, is still taken for a 13 s hold: a known limit). Found by a sweep of
        /// synthetic tracks: 53 of 133 tracks with a burst.
        #[test]
        fn a_too_fast_burst_is_no_hold(speed in 2.5f32..4.0, px in 1.5f32..3.0, seed in 0u64..10_000) {
            for (id, px) in [("glutes", px), ("calves", px), ("ball_trapezius_wall", 1.0)] {
                let a = args(&["--exercise", id, "--speed", &speed.to_string(), "--noise-px", &px.to_string(),
                    "--fault", "too_fast@6.5+4", "--duration", "30", "--seed", &seed.to_string()]);
                let (r, _) = synth_and_analyze("burst", &a);
                let ar = area(&r, id);
                prop_assert!(ar["holds"].as_array().unwrap().is_empty(), "{:?}: holds {}", a, ar["holds"]);
                let passes = ar["pass_list"].as_array().unwrap();
                let after = passes.iter().filter(|p| p["start"].as_f64().unwrap() > 11.0).count();
                prop_assert!(after >= 1, "{:?}: no pass after the burst: {}", a, ar["pass_list"]);
            }
        }
    }

    /// After a long true hold the rolling resumes and no second hold is reported (issue 12: a 25 s hold was reported
    /// followed by a false one lasting to the end of the track): one hold covering the truth (the tolerances of
    /// `long_hold_is_one_hold`), under 1 px, 6 px white noise and 3 px 1 Hz wander.
    #[test]
    fn one_long_hold_and_nothing_after_it() {
        for (noise, seed) in [(&["--noise-px", "1"][..], 1), (&["--noise-px", "6"][..], 2), (&["--wander-px", "3", "--wander-hz", "1.0"][..], 3)] {
            let mut a = args(&["--exercise", "upper_back", "--speed", "3", "--hold", "10+25", "--duration", "80", "--seed"]);
            a.push(seed.to_string());
            a.extend(args(noise));
            let (r, _) = synth_and_analyze("after_hold", &a);
            let holds: Vec<(f64, f64)> = area(&r, "upper_back")["holds"].as_array().unwrap().iter()
                .map(|h| (h["start"].as_f64().unwrap(), h["end"].as_f64().unwrap())).collect();
            assert_eq!(holds.len(), 1, "{a:?}: {holds:?}");
            let (s, e) = holds[0];
            assert!((s - 10.0).abs() <= HOLD_END_TOLERANCE_S && (e - 35.0).abs() <= HOLD_END_TOLERANCE_S, "{a:?}: {holds:?}");
        }
    }

    #[test]
    fn no_posture_fault_right_after_an_exercise_switch() {
        for (first, then, seed) in [("upper_back", "quads@30", 1), ("quads", "upper_back@30", 2), ("upper_back", "hamstrings@30", 3)] {
            let a = args(&["--exercise", first, "--then", then, "--duration", "60", "--speed", "2.5", "--noise-px", "2",
                "--seed", &seed.to_string()]);
            let (r, truth) = synth_and_analyze("switch", &a);
            let at = truth["then"][1].as_f64().unwrap();
            for f in r["faults"].as_array().unwrap() {
                let s = f["start"].as_f64().unwrap();
                assert!(
                    !(s >= at - 0.1 && s <= at + SWITCH_QUIET_S && f["exercise"] == first),
                    "{first} -> {then}: {f}"
                );
                assert!(f["rule"] != "too_fast", "{first} -> {then}: {f}");
            }
        }
    }

    /// Moving on from the upper back to the lower back and rolling there is the lower-back exercise (its own
    /// warning from when the contact got there, and its own area), not a keep_out fault of the upper back lasting to
    /// the end; a brief visit stays a keep_out fault (`keep_out_entry_is_reported_near_onset`).
    #[test]
    fn staying_on_the_lower_back_is_the_lower_back_from_when_it_got_there() {
        for (first, then, seed) in [("peanut_thoracic", "peanut_lower_back@34.7", "19700"), ("upper_back", "lower_back@30", "4")] {
            let a = args(&["--exercise", first, "--then", then, "--duration", "75", "--speed", "2.5", "--seed", seed]);
            let (r, truth) = synth_and_analyze("lower", &a);
            let at = truth["then"][1].as_f64().unwrap();
            let faults = r["faults"].as_array().unwrap();
            let lower = faults.iter().find(|f| f["rule"] == "lower_back").unwrap_or_else(|| panic!("{first}: {r}"));
            assert!((lower["start"].as_f64().unwrap() - at).abs() <= 0.5, "{first}: {lower}");
            assert!(
                faults.iter().all(|f| f["rule"] != "keep_out" || f["start"].as_f64().unwrap() < at - 0.5),
                "{first}: {faults:?}"
            );
            area(&r, then.split('@').next().unwrap());
        }
    }

    /// A visit to the neck zone 3 s before moving down to the lower back is still a neck visit: the lower-back
    /// warning is back-dated to the start of the kidneys visit only (it had taken the neck visit's start and
    /// retracted it; tools/sweep_synth.py, realistic mode, seed 6161).
    #[test]
    fn a_neck_visit_before_moving_to_the_lower_back_stays_a_neck_visit() {
        let a = args(&["--exercise", "peanut_thoracic", "--speed", "3.4", "--duration", "90", "--seed", "80312",
            "--noise-px", "3.65", "--fps", "15", "--width", "1920", "--height", "1080", "--px-per-cm", "4.03",
            "--dropout", "0.012", "--fast-speed", "17.6", "--fault", "too_fast@30.2+5.5", "--fault", "keep_out@42.0+1.8",
            "--hold", "8.4+15.9", "--hold", "60.4+23.9", "--then", "peanut_lower_back@53.2"]);
        let (r, truth) = synth_and_analyze("neck_then_lower", &a);
        let neck = truth["faults"].as_array().unwrap().iter().find(|f| f["zone"] == "neck").unwrap();
        let faults = r["faults"].as_array().unwrap();
        let found = faults.iter().find(|f| f["rule"] == "keep_out" && f["detail"] == "neck").unwrap_or_else(|| panic!("{r}"));
        assert!((found["start"].as_f64().unwrap() - neck["onset"].as_f64().unwrap()).abs() <= 0.5, "{found}");
        let lower = faults.iter().find(|f| f["rule"] == "lower_back").unwrap();
        assert!((lower["start"].as_f64().unwrap() - 53.2).abs() <= 0.5, "{lower}");
    }

    /// Turning from the side (IT band) onto the back for the upper back is the upper back: the contacts recorded on
    /// the torso's line while lying on the side (the roller under the thigh, beyond the hip) had held the middle of
    /// the recognition range on the lower back, a false lower_back warning for 8-10 s.
    #[test]
    fn from_the_side_onto_the_back_for_the_upper_back_is_no_lower_back() {
        let a = args(&["--exercise", "it_band", "--speed", "6.43", "--duration", "50", "--seed", "92217", "--noise-px",
            "1.78", "--fps", "24", "--width", "1920", "--height", "1080", "--px-per-cm", "5.8", "--fast-speed", "29.9",
            "--fault", "too_fast@6.6+4.7", "--fault", "keep_out@33.9+2.6", "--then", "upper_back@26.1"]);
        let (r, _) = synth_and_analyze("side_to_back", &a);
        let faults = r["faults"].as_array().unwrap();
        assert!(faults.iter().all(|f| f["rule"] != "lower_back"), "{faults:?}");
        let upper = area(&r, "upper_back");
        assert!(upper["first_t"].as_f64().unwrap() < 26.1 + 5.0, "{upper}");
    }

    /// Hips sinking past the limit under keypoint noise flicker across it before they stay below: the fault starts
    /// at the first flicker (0.7 s late before, on this track from tools/sweep_synth.py, ordinary conditions).
    #[test]
    fn dropped_hips_start_where_they_first_cross_the_limit() {
        let a = args(&["--exercise", "calves", "--speed", "5.4", "--duration", "40", "--seed", "43672", "--noise-px",
            "1.72", "--fps", "25", "--width", "320", "--height", "240", "--px-per-cm", "1.39", "--dropout", "0.034",
            "--fault", "hips_dropped@8.7+5.2"]);
        let (r, _) = synth_and_analyze("hips_flicker", &a);
        let faults = r["faults"].as_array().unwrap();
        let hips = faults.iter().find(|f| f["rule"] == "hips_dropped").unwrap_or_else(|| panic!("{r}"));
        assert!((hips["start"].as_f64().unwrap() - 8.7).abs() <= 0.5, "{hips}");
    }

    /// From a ball against the wall down onto the floor, on the lower back: the wall exercise's contact (read on
    /// the lying body) lay on its kidneys zone and had held the wall exercise, with no area or warning for the
    /// 45 s on the lower back. (synth moves the body in one frame; the 0.5 s the orientation vote takes to see it
    /// lying can give a keep_out at the switch, which this test leaves alone.)
    #[test]
    fn from_the_wall_onto_the_floor_on_the_lower_back_is_the_lower_back() {
        let a = args(&["--exercise", "ball_upper_back_wall", "--then", "ball_lower_back@30", "--duration", "75",
            "--speed", "2.5", "--seed", "1"]);
        let (r, _) = synth_and_analyze("wall_floor", &a);
        let faults = r["faults"].as_array().unwrap();
        let lower = faults.iter().find(|f| f["rule"] == "lower_back").unwrap_or_else(|| panic!("{r}"));
        assert!((lower["start"].as_f64().unwrap() - 30.0).abs() <= 0.5, "{lower}");
        area(&r, "ball_lower_back");
    }

    #[test]
    fn hamstrings_rolled_to_the_knee_stay_hamstrings() {
        for seed in [1, 2, 3] {
            let a = args(&["--exercise", "hamstrings", "--fault", "keep_out@10+4", "--fault", "keep_out@35+4",
                "--duration", "60", "--noise-px", "2", "--seed", &seed.to_string()]);
            let (r, _) = synth_and_analyze("knee", &a);
            let ids: Vec<&Value> = r["areas"].as_array().unwrap().iter().map(|a| &a["exercise"]).collect();
            assert_eq!(ids, vec!["hamstrings"], "seed {seed}");
        }
    }

    #[test]
    fn time_on_area_bridges_detector_misses() {
        let base = args(&["--exercise", "hamstrings", "--duration", "40", "--seed", "5"]);
        let (clean, _) = synth_and_analyze("bridge_clean", &base);
        let mut a = base.clone();
        a.extend(args(&["--dropout", "0.1"]));
        let (dropped, _) = synth_and_analyze("bridge_drop", &a);
        let t0 = area(&clean, "hamstrings")["time_on_area_s"].as_f64().unwrap();
        let t1 = area(&dropped, "hamstrings")["time_on_area_s"].as_f64().unwrap();
        assert!((t1 - t0).abs() <= DROPOUT_TIME_TOLERANCE * t0, "{t1} vs {t0}");
    }
}
