//! A photo (jpg/png/...) is analysed like a clip: as a still clip of `source::PHOTO_SECONDS`, so the roller's
//! confirmation over frames and exercise recognition see it steadily. Through the binary, on one frame of a rendered
//! sample saved as an image; and a file named like a photo that is not one gets a clear error.
//! Needs the ONNX Runtime library like every test that runs the pose model.

mod common;

use std::path::Path;

use common::{repo, rollcoach, run, s, tmp, Run};
use opencv::core::{Mat, Vector};
use opencv::prelude::*;
use opencv::{imgcodecs, videoio};
use serde_json::Value;

/// Frame `index` of `clip` written to `path` (format from its extension).
fn save_frame(clip: &Path, index: i32, path: &Path) {
    let mut cap = videoio::VideoCapture::from_file(clip.to_str().unwrap(), videoio::CAP_FFMPEG).unwrap();
    let mut frame = Mat::default();
    for _ in 0..=index {
        assert!(cap.read(&mut frame).unwrap(), "{}: frame {index}", clip.display());
    }
    assert!(imgcodecs::imwrite(path.to_str().unwrap(), &frame, &Vector::new()).unwrap());
}

fn analyze(input: &Path, out: &Path) -> Run {
    run(rollcoach().args(["analyze", s(input), "--no-video", "--out", s(out)]))
}

#[test]
fn a_photo_of_someone_rolling_gets_the_roller_and_the_exercise() {
    for (sample, ext) in [("quads_clean", "jpg"), ("upper_back_clean", "png")] {
        let tmp = tmp(sample);
        let dir = tmp.path();
        let truth: Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join(format!("samples/synthetic/{sample}.json"))).unwrap(),
        )
        .unwrap();
        let photo = dir.join(format!("{sample}.{ext}"));
        save_frame(&repo().join(format!("samples/synthetic/{sample}.mp4")), 60, &photo);
        let o = analyze(&photo, dir);
        o.assert_ok();
        assert!(o.stdout.contains("a photo: analysed as a 2 s still clip"), "{}", o.stdout);
        let r: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{sample}.report.json"))).unwrap()).unwrap();
        let frames = r["frame_count"].as_u64().unwrap();
        assert_eq!(frames, 60, "{sample}: 2 s at 30 fps");
        assert!(r["frames_with_roller"].as_u64().unwrap() * 2 >= frames, "{sample}: roller in {} frames", r["frames_with_roller"]);
        let areas: Vec<&str> = r["areas"].as_array().unwrap().iter().map(|a| a["exercise"].as_str().unwrap()).collect();
        assert_eq!(areas, vec![truth["exercise"].as_str().unwrap()], "{sample}");
    }
}

#[test]
fn a_file_named_like_a_photo_that_is_not_one_is_reported() {
    let tmp = tmp("bad");
    let bad = tmp.path().join("notes.jpg");
    std::fs::write(&bad, b"not a picture").unwrap();
    analyze(&bad, tmp.path()).assert_error("notes.jpg", &["notes.jpg: not an image OpenCV can read"]);
}

/// The pose track's last frame (the roller is confirmed by then): (keypoints as (x, y, visibility), roller (x, y, r) if any).
fn last_track_frame(path: &Path) -> (Vec<(f64, f64, f64)>, Option<(f64, f64, f64)>) {
    let text = std::fs::read_to_string(path).unwrap();
    let f: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let kp = f["keypoints"].as_array().unwrap().iter().map(|k| (k[0].as_f64().unwrap(), k[1].as_f64().unwrap(), k[2].as_f64().unwrap()));
    let roller = f["roller"].as_array().map(|r| (r[0].as_f64().unwrap(), r[1].as_f64().unwrap(), r[2].as_f64().unwrap()));
    (kp.collect(), roller)
}

/// A 12-megapixel photo (4000x3000, a phone's) is analysed on a frame scaled down to 1440x1080 (issue 13: bounded
/// working size), and what it reports is in the photo's own pixels: the same body, roller and exercise as the
/// 640x480 original, at 6.25 times its coordinates.
#[test]
fn a_large_photo_is_reported_in_its_own_pixels() {
    const K: f64 = 6.25;
    let tmp = tmp("large");
    let dir = tmp.path();
    let small = dir.join("quads_clean.png");
    save_frame(&repo().join("samples/synthetic/quads_clean.mp4"), 60, &small);
    let image = imgcodecs::imread(s(&small), imgcodecs::IMREAD_COLOR).unwrap();
    let mut large = Mat::default();
    let size = opencv::core::Size::new((640.0 * K) as i32, (480.0 * K) as i32);
    opencv::imgproc::resize(&image, &mut large, size, 0.0, 0.0, opencv::imgproc::INTER_CUBIC).unwrap();
    let large_path = dir.join("quads_large.jpg");
    assert!(imgcodecs::imwrite(s(&large_path), &large, &Vector::new()).unwrap());
    analyze(&small, dir).assert_ok();
    analyze(&large_path, dir).assert_ok();
    let report = |stem: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{stem}.report.json"))).unwrap()).unwrap()
    };
    let (r_small, r_large) = (report("quads_clean"), report("quads_large"));
    assert_eq!(r_large["input"]["width"], 4000, "{}", r_large["input"]);
    let areas = |r: &Value| r["areas"].as_array().unwrap().iter().map(|a| a["exercise"].clone()).collect::<Vec<_>>();
    assert_eq!(areas(&r_large), areas(&r_small));
    let (kp_s, roller_s) = last_track_frame(&dir.join("quads_clean.poses.jsonl"));
    let (kp_l, roller_l) = last_track_frame(&dir.join("quads_large.poses.jsonl"));
    // within 2 % of the photo's width: the model sees a resampled crop, not the same pixels
    let tol = 0.02 * 640.0 * K;
    for (i, (a, b)) in kp_s.iter().zip(&kp_l).enumerate().filter(|(_, (a, _))| a.2 > 0.8) {
        let d = (a.0 * K - b.0).hypot(a.1 * K - b.1);
        assert!(d < tol, "landmark {i}: {:?} x {K} vs {:?} ({d:.0} px apart)", (a.0, a.1), (b.0, b.1));
    }
    let (a, b) = (roller_s.expect("roller in the small photo"), roller_l.expect("roller in the large photo"));
    assert!((a.0 * K - b.0).hypot(a.1 * K - b.1) < tol && (a.2 * K / b.2 - 1.0).abs() < 0.15, "roller {a:?} x {K} vs {b:?}");
}
