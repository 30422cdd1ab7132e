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
