//! The learned roller detector (models/roller_detector.onnx through src/roller/learned.rs) on rendered crops it never
//! saw in training (tests/fixtures/roller/, from a held-out part of the training renders, with their labels) and on
//! real frames of people with no roller (from samples/real/), cropped around the person found by BlazePose as the
//! app does.

use std::path::PathBuf;

use opencv::core::{Mat, Scalar, CV_8UC1};
use opencv::imgcodecs;
use opencv::prelude::*;
use rollcoach::geometry::{RotatedSquare, Vec2};
use rollcoach::landmarks::ToolKind;
use rollcoach::pose::blazepose::{BlazePose, BlazePoseConfig};
use rollcoach::pose::PoseEstimator;
use rollcoach::roller::learned::{crop_around_pose, RollerModel, RollerModelError};
use serde_json::Value;

/// The roller's centre (middle of its axis) within this many radii of the truth: the tool itself was found, not a
/// distractor (the next-best candidates on these crops are 4-12 radii away). The shipped model's held-out median
/// centre error is 0.47 radii (tools/train_roller/roller_detector.metrics.json); it does NOT meet issue 16's
/// 0.3-radius bar on the axis END points (held-out median 0.67 radii), which this test therefore does not claim.
const MAX_CENTRE_ERROR_RADII: f64 = 1.5;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn model() -> RollerModel {
    RollerModel::load(&repo().join("models"), 2)
        .expect("model and ONNX Runtime (run scripts/setup.sh)")
}

fn read(rel: &str) -> Mat {
    let p = repo().join(rel);
    let m = imgcodecs::imread(p.to_str().unwrap(), imgcodecs::IMREAD_COLOR).unwrap();
    assert!(!m.empty(), "{}: cannot read", p.display());
    m
}

fn labels() -> Vec<Value> {
    let p = repo().join("tests/fixtures/roller/labels.jsonl");
    std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn pt(v: &Value) -> Vec2 {
    Vec2::new(v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
}

fn whole_crop(img: &Mat) -> RotatedSquare {
    let s = img.cols() as f64;
    RotatedSquare {
        center: Vec2::new(s / 2.0, s / 2.0),
        size: s,
        angle: 0.0,
    }
}

#[test]
fn finds_the_roller_on_held_out_renders() {
    let mut m = model();
    let labels = labels();
    assert!(labels.len() >= 2, "fixtures: at least two rendered crops");
    for l in &labels {
        let name = l["image"].as_str().unwrap();
        let img = read(&format!("tests/fixtures/roller/{name}"));
        // presence recall is the model's weak point (29 % at its 1 %-false-positive threshold on held-out
        // renders), so this test looks at the best candidate at any confidence: localisation, not presence
        m.min_confidence = 0.0;
        let found = m.detect(&img, &whole_crop(&img)).unwrap();
        let best = found
            .first()
            .unwrap_or_else(|| panic!("{name}: no candidate"));
        assert_eq!(best.kind, ToolKind::Roller, "{name}");
        let r = l["radius_px"].as_f64().unwrap();
        let truth = pt(&l["axis"][0]).add(pt(&l["axis"][1])).scale(0.5);
        let ax = best.axis.unwrap();
        let centre = Vec2::new(
            (ax[0][0] + ax[1][0]) as f64 / 2.0,
            (ax[0][1] + ax[1][1]) as f64 / 2.0,
        );
        let err = centre.sub(truth).norm() / r;
        assert!(
            err <= MAX_CENTRE_ERROR_RADII,
            "{name}: roller centre off by {err:.2} radii ({best:?})"
        );
    }
}

#[test]
fn reports_nothing_on_real_frames_without_a_roller() {
    let mut m = model();
    let mut bp = BlazePose::new(
        &repo().join("models"),
        BlazePoseConfig {
            threads: 1,
            ..Default::default()
        },
    )
    .unwrap();
    let dir = repo().join("tests/fixtures/roller");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        if !name.starts_with("real_") {
            continue;
        }
        let img = read(&format!("tests/fixtures/roller/{name}"));
        let pose = bp
            .estimate(&img)
            .unwrap()
            .unwrap_or_else(|| panic!("{name}: no person found"));
        let crop = crop_around_pose(&pose).expect("a person box");
        let found = m.detect(&img, &crop).unwrap();
        assert!(found.is_empty(), "{name}: reported {found:?}");
        n += 1;
    }
    assert!(n >= 1, "fixtures: at least one real frame");
}

#[test]
fn bad_frames_are_errors_not_panics() {
    let mut m = model();
    let grey = Mat::new_rows_cols_with_default(64, 64, CV_8UC1, Scalar::all(0.0)).unwrap();
    let crop = whole_crop(&grey);
    assert!(matches!(
        m.detect(&grey, &crop),
        Err(RollerModelError::BadFrame(_))
    ));
    let img = read("tests/fixtures/bridging_000.png");
    let empty = RotatedSquare { size: 0.0, ..crop };
    assert!(matches!(
        m.detect(&img, &empty),
        Err(RollerModelError::BadCrop(_))
    ));
}
