//! A photo (jpg/png/...) is analysed like a clip: as a still clip of `source::PHOTO_SECONDS`, so the roller's
//! confirmation over frames and exercise recognition see it steadily. Through the binary, on one frame of a rendered
//! sample saved as an image; and a file named like a photo that is not one gets a clear error.
//! Needs the ONNX Runtime library like every test that runs the pose model.

use std::path::{Path, PathBuf};
use std::process::Command;

use opencv::core::{Mat, Vector};
use opencv::prelude::*;
use opencv::{imgcodecs, videoio};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rc-photo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Frame `index` of `clip` written to `path` (format from its extension).
fn save_frame(clip: &Path, index: i32, path: &Path) {
    let mut cap = videoio::VideoCapture::from_file(clip.to_str().unwrap(), videoio::CAP_FFMPEG).unwrap();
    let mut frame = Mat::default();
    for _ in 0..=index {
        assert!(cap.read(&mut frame).unwrap(), "{}: frame {index}", clip.display());
    }
    assert!(imgcodecs::imwrite(path.to_str().unwrap(), &frame, &Vector::new()).unwrap());
}

fn analyze(input: &Path, out: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rollcoach"))
        .current_dir(root())
        .arg("analyze")
        .arg(input)
        .args(["--no-video", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn a_photo_of_someone_rolling_gets_the_roller_and_the_exercise() {
    for (sample, ext) in [("quads_clean", "jpg"), ("upper_back_clean", "png")] {
        let dir = tmp(sample);
        let truth: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join(format!("samples/synthetic/{sample}.json"))).unwrap(),
        )
        .unwrap();
        let photo = dir.join(format!("{sample}.{ext}"));
        save_frame(&root().join(format!("samples/synthetic/{sample}.mp4")), 60, &photo);
        let o = analyze(&photo, &dir);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{sample}: {stdout}\n{}", String::from_utf8_lossy(&o.stderr));
        assert!(stdout.contains("a photo: analysed as a 2 s still clip"), "{stdout}");
        let r: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{sample}.report.json"))).unwrap()).unwrap();
        let frames = r["frame_count"].as_u64().unwrap();
        assert_eq!(frames, 60, "{sample}: 2 s at 30 fps");
        assert!(r["frames_with_roller"].as_u64().unwrap() * 2 >= frames, "{sample}: roller in {} frames", r["frames_with_roller"]);
        let areas: Vec<&str> = r["areas"].as_array().unwrap().iter().map(|a| a["exercise"].as_str().unwrap()).collect();
        assert_eq!(areas, vec![truth["exercise"].as_str().unwrap()], "{sample}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_file_named_like_a_photo_that_is_not_one_is_reported() {
    let dir = tmp("bad");
    let bad = dir.join("notes.jpg");
    std::fs::write(&bad, b"not a picture").unwrap();
    let o = analyze(&bad, &dir);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("notes.jpg: not an image OpenCV can read"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
