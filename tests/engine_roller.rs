//! Roller detector on the rendered sample clips (samples/synthetic/*.mp4 with truth files from
//! tools/render/render_rolling.py), with the truth landmarks as the pose prior: the roller must be found in >= 90 %
//! of frames with its centre within half a radius (median) and its radius within 20 % (median).
//! Skipped (with a message) when the rendered samples are not present.

use std::path::{Path, PathBuf};

use opencv::core::Mat;
use rollcoach::landmarks::{index_of, Keypoint, Pose};
use rollcoach::roller::{RollerConfig, RollerDetector};
use rollcoach::source::{FrameSource, VideoFileSource};
use serde_json::Value;

const MIN_FOUND: f64 = 0.90;
const MAX_CENTRE_ERR_R: f64 = 0.5;
const MAX_RADIUS_REL_ERR: f64 = 0.2;

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

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[test]
fn roller_found_on_rendered_clips() {
    let dir = samples();
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: no rendered samples in {}", dir.display());
        return;
    };
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
        let clip = dir.join(clip);
        if !clip.is_file() {
            continue;
        }
        n_clips += 1;
        let diameter = truth["roller_diameter_cm"].as_f64().unwrap_or(15.0) as f32;
        let mut det = RollerDetector::new(RollerConfig {
            diameter_cm: diameter,
            ..RollerConfig::default()
        });
        let mut src = VideoFileSource::open(&clip).unwrap();
        let frames = truth["frames"].as_array().unwrap();
        let mut mat = Mat::default();
        let (mut found, mut total) = (0usize, 0usize);
        let (mut centre_err, mut radius_err) = (Vec::new(), Vec::new());
        let mut i = 0;
        while let Some(_t) = src.next_frame(&mut mat).unwrap() {
            let Some(fr) = frames.get(i) else { break };
            i += 1;
            let pose = pose_of(fr);
            let got = det.detect(&mat, pose.as_ref()).unwrap();
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
            }
        }
        let rate = found as f64 / total.max(1) as f64;
        let (ce, re) = (median(centre_err), median(radius_err));
        let name = tp.file_stem().unwrap().to_string_lossy().into_owned();
        println!(
            "{name:<26} found {:>5.1}%  centre err {ce:>5.2} r  radius err {:>5.1}%",
            rate * 100.0,
            re * 100.0
        );
        if !(rate >= MIN_FOUND && ce <= MAX_CENTRE_ERR_R && re <= MAX_RADIUS_REL_ERR) {
            failures.push(format!(
                "{name}: found {:.0}%, centre err {ce:.2} r, radius err {:.0}%",
                rate * 100.0,
                re * 100.0
            ));
        }
    }
    if n_clips == 0 {
        eprintln!("skipped: no rendered samples with clips in {}", dir.display());
    }
    assert!(failures.is_empty(), "roller detection failing on: {failures:#?}");
}
