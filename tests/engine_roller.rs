//! The roller detector the app uses (`RollerDetector::load` with the default method) on the
//! rendered sample clips (samples/synthetic/*.mp4 with truth files from tools/render/), with the truth landmarks as
//! the pose prior: the roller must be found in >= 95 % of the frames where it is visible (issue 16), its near end
//! face within half a radius (median), its radius within 20 % (median), the axis end points within 0.3 radius
//! (median, issue 16) when the truth has the axis, and its contact point within 10 % of the segment (median) of the
//! truth's `contact_world` (where the body really rests on the roller's top line), or of `contact` (the visible
//! roller circle projected on the segment) for clips without it.

use std::path::{Path, PathBuf};

use opencv::core::Mat;
use rollcoach::landmarks::{index_of, Keypoint, Pose};
use rollcoach::roller::{RollerConfig, RollerDetector};
use rollcoach::runtime;
use rollcoach::source::{FrameSource, VideoFileSource};
use serde_json::Value;

/// The first renders (side view); issue 16's bar of 95 % applies to the validation set (`v_*`).
const MIN_FOUND: f64 = 0.90;
const MIN_FOUND_VALIDATION: f64 = 0.95;
const MAX_CENTRE_ERR_R: f64 = 0.5;
const MAX_RADIUS_REL_ERR: f64 = 0.2;
/// Issue 16: axis end points within 0.3 roller radius (median).
const MAX_AXIS_END_ERR_R: f64 = 0.3;
/// Same bar as tests/samples_truth.rs.
const MAX_CONTACT_ERR_SEGMENT: f64 = 0.10;

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/synthetic")
}

fn pose_of(frame: &Value) -> Option<Pose> {
    let lm = frame["landmarks"].as_object()?;
    let mut p = Pose {
        score: 1.0,
        ..Pose::default()
    };
    for (name, xy) in lm {
        let i = index_of(name)?;
        p.keypoints[i] = Keypoint {
            x: xy[0].as_f64()? as f32,
            y: xy[1].as_f64()? as f32,
            visibility: 0.9,
        };
    }
    Some(p)
}

/// Mid-point of the named landmark over the truth's sides (`L`, `R`).
fn landmark(frame: &Value, name: &str, sides: &[Value]) -> Option<[f64; 2]> {
    let mut sum = [0.0, 0.0];
    for side in sides {
        let prefix = if side.as_str()? == "L" { "left" } else { "right" };
        let xy = frame["landmarks"][format!("{prefix}_{name}")].as_array()?;
        sum[0] += xy[0].as_f64()?;
        sum[1] += xy[1].as_f64()?;
    }
    Some(sum.map(|v| v / sides.len() as f64))
}

/// Position (0 = `from`, 1 = `to`) of an image point projected on the truth's exercise segment.
fn along_segment(frame: &Value, seg: &Value, p: [f32; 2]) -> Option<f64> {
    let sides = seg["sides"].as_array()?;
    let a = landmark(frame, seg["from"].as_str()?, sides)?;
    let b = landmark(frame, seg["to"].as_str()?, sides)?;
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    (len2 > 1.0).then(|| ((p[0] as f64 - a[0]) * dx + (p[1] as f64 - a[1]) * dy) / len2)
}

/// The truth's roller axis `[near end, far end]`, image pixels.
fn axis_of(frame: &Value) -> Option<[[f64; 2]; 2]> {
    let a = frame["roller_axis"].as_array()?;
    let p = |v: &Value| Some([v[0].as_f64()?, v[1].as_f64()?]);
    Some([p(&a[0])?, p(&a[1])?])
}

/// Distances of the two detected axis ends to the truth's, ends paired the way that fits best (a roller seen
/// end-on has no "near" end to speak of).
fn axis_end_errors(got: [[f32; 2]; 2], truth: [[f64; 2]; 2]) -> [f64; 2] {
    let d = |g: [f32; 2], t: [f64; 2]| ((g[0] as f64 - t[0]).powi(2) + (g[1] as f64 - t[1]).powi(2)).sqrt();
    let same = [d(got[0], truth[0]), d(got[1], truth[1])];
    let swapped = [d(got[0], truth[1]), d(got[1], truth[0])];
    if same[0] + same[1] <= swapped[0] + swapped[1] {
        same
    } else {
        swapped
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn roller_found_on_rendered_clips() {
    check_set(false);
}

/// The validation set (samples/synthetic/v_*: camera azimuth 0-60 deg, elevation 0-45 deg, never used for tuning).
#[test]
#[ignore = "issue 16 is open: with the default circles the roller is found in >= 90 % of frames on 5 of the 18 validation clips rolling on a roller (one of them 4.7 radii off) and missed entirely on 10, a ball on 1 of 5 (both/learned: tests/samples_truth.rs); run with --ignored for the table"]
fn roller_found_on_validation_clips() {
    check_set(true);
}

/// One set of rendered clips: the first samples, or the validation set (`v_*`).
fn check_set(validation: bool) {
    let dir = samples();
    let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let models = runtime::find_models_dir(None).expect("models/ (run scripts/setup.sh)");
    let mut truths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    truths.sort();
    let mut failures = Vec::new();
    let mut n_clips = 0;
    for tp in truths {
        let truth: Value = serde_json::from_str(&std::fs::read_to_string(&tp).unwrap()).unwrap();
        let Some(clip) = truth["clip"].as_str() else { continue };
        if clip.starts_with("v_") != validation {
            continue;
        }
        let clip = dir.join(clip);
        if !clip.is_file() {
            continue;
        }
        n_clips += 1;
        // the search does not depend on the stated diameter (roller::SEARCH_DIAMETER_CM): the default settings
        let mut det = RollerDetector::load(RollerConfig::default(), &models, 1).expect("roller detector");
        let mut src = VideoFileSource::open(&clip).unwrap();
        let frames = truth["frames"].as_array().unwrap();
        let mut mat = Mat::default();
        let (mut found, mut total) = (0usize, 0usize);
        let (mut centre_err, mut radius_err) = (Vec::new(), Vec::new());
        let (mut contact_err, mut axis_err) = (Vec::new(), Vec::new());
        let mut i = 0;
        while let Some(t) = src.next_frame(&mut mat).unwrap() {
            let Some(fr) = frames.get(i) else { break };
            i += 1;
            let pose = pose_of(fr);
            let got = det.detect(&mat, t, pose.as_ref(), None).unwrap();
            let Some(tr) = fr["roller"].as_array() else { continue };
            let (tx, ty, trr) = (
                tr[0].as_f64().unwrap(),
                tr[1].as_f64().unwrap(),
                tr[2].as_f64().unwrap(),
            );
            total += 1;
            if let Some(g) = got {
                found += 1;
                centre_err.push(((g.cx as f64 - tx).powi(2) + (g.cy as f64 - ty).powi(2)).sqrt() / trr);
                radius_err.push((g.r as f64 - trr).abs() / trr);
                let t = g.contact.and_then(|c| along_segment(fr, &truth["segment"], c));
                // with an axis the detector places the contact on the roller's top line (the true 3-D contact);
                // a circle's contact is the end face projected on the segment (the truth's `contact`)
                let tt = match g.axis {
                    Some(_) => fr["contact_world"].as_f64().or(fr["contact"].as_f64()),
                    None => fr["contact"].as_f64(),
                };
                if let (Some(t), Some(tt)) = (t, tt) {
                    contact_err.push((t - tt).abs());
                }
                if let (Some(a), Some(ta)) = (g.axis, axis_of(fr)) {
                    axis_err.extend(axis_end_errors(a, ta).map(|e| e / trr));
                }
            }
        }
        let rate = found as f64 / total.max(1) as f64;
        let (ce, re, ke) = (median(centre_err), median(radius_err), median(contact_err));
        let has_axis = frames.iter().any(|f| axis_of(f).is_some());
        let ae = median(axis_err);
        let name = tp.file_stem().unwrap().to_string_lossy().into_owned();
        let line = format!(
            "{name:<32} found {:>5.1}%  end face err {ce:>5.2} r  radius err {:>5.1}%  axis ends err {ae:>5.2} r  contact err {ke:>5.3}",
            rate * 100.0,
            re * 100.0
        );
        println!("{line}");
        let ok = rate >= if validation { MIN_FOUND_VALIDATION } else { MIN_FOUND }
            && ce <= MAX_CENTRE_ERR_R
            && re <= MAX_RADIUS_REL_ERR
            && ke <= MAX_CONTACT_ERR_SEGMENT
            && (!has_axis || ae <= MAX_AXIS_END_ERR_R);
        if !ok {
            failures.push(line);
        }
    }
    assert!(n_clips > 0, "no rendered samples with clips in {}", dir.display());
    assert!(failures.is_empty(), "roller detection failing on: {failures:#?}");
}
