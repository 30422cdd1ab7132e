//! The learned roller/ball detector (`models/roller_detector.onnx`, trained by `tools/train_roller/`): a small
//! CenterNet-style network run with ONNX Runtime on an upright square crop around the person.
//!
//! Coordinate spaces: `input` = the `INPUT_SIZE`² network input (pixel (i, j) covers [i, i+1) x [j, j+1)), `map` =
//! the output grid (`input / STRIDE`), `image` = frame pixels. The crop is a [`RotatedSquare`] in image pixels;
//! `image_from_crop` (from [`RotatedSquare::image_from_crop`]) maps input pixels back to the frame.
//!
//! How to call it, once per frame after the pose:
//! ```no_run
//! # fn f(models: &std::path::Path, frame: &opencv::core::Mat, pose: &rollcoach::landmarks::Pose)
//! #     -> Result<(), rollcoach::roller::learned::RollerModelError> {
//! use rollcoach::roller::learned::{crop_around_pose, RollerModel};
//! let mut model = RollerModel::load(models, 1)?; // once, 1 ONNX Runtime thread
//! let mut found = Vec::new(); // reused every frame
//! if let Some(crop) = crop_around_pose(pose) {
//!     model.detect_into(frame, &crop, &mut found)?; // best first, confidence >= model.min_confidence
//! }
//! # Ok(()) }
//! ```

use std::path::Path;

use ndarray::Array4;
use opencv::core::{self, Mat, Scalar};
use opencv::prelude::*;
use ort::session::Session;
use ort::value::TensorRef;
use thiserror::Error;

use crate::geometry::{Affine2, RotatedSquare, Vec2};
use crate::landmarks::{Pose, RollerObs, ToolKind};
use crate::pose::blazepose::{make_session, warp_crop};
use crate::pose::PoseError;
use crate::runtime::{self, RuntimeError};

pub const MODEL_FILE: &str = "roller_detector.onnx";
/// Network input side (pixels); tools/train_roller/train.py `--size`.
pub const INPUT_SIZE: i32 = 160;
/// Input pixels per output cell (tools/train_roller/data.py `STRIDE`).
pub const STRIDE: usize = 4;
const MAP: usize = INPUT_SIZE as usize / STRIDE;
/// Output channels, in the order of tools/train_roller/data.py.
const NUM_CH: usize = 12;
const CH_HEAT: [usize; 2] = [0, 1]; // roller, ball
const CH_OFF: usize = 2; // x, y offset within the cell
const CH_LOG_R: usize = 4; // log(radius in cells)
const CH_HALF_LEN: usize = 5; // half axis length / radius
const CH_COS2: usize = 6; // doubled axis angle: cos, sin
const CH_CONTACT: usize = 8; // (contact - centre) / radius: x, y
const CH_CONTACT_LOGIT: usize = 10;
const CH_NEAR_PLUS: usize = 11;
/// Presence threshold on `sqrt(peak heat x presence)`: the lowest one with at most 1 % false positives on the
/// held-out renders (shard_1011, never trained on: tools/train_roller/roller_detector.metrics.json,
/// `heldout.threshold` 0.603, rounded up; 64 % of the visible tools found there, balls 51 %). Was 0.59 for the
/// previous model (0.590 on the same shard); re-derived when the ball-tuned model replaced it.
pub const MIN_CONFIDENCE: f32 = 0.61;
/// Lower threshold of the two-threshold association (ByteTrack: Zhang et al., "ByteTrack: Multi-Object Tracking by
/// Associating Every Detection Box", ECCV 2022, keeps low-score boxes to continue existing tracks only): a learned
/// candidate at or above this continues a confirmed roller track in its gate (place, size, colour) but never starts
/// or confirms one. The lowest confidence (in steps of 0.05) with at most 10 % false positives per image on held-out
/// renders (shard 1011, 1000 images never trained on: 5.6 % of negatives, 81 % of visible tools found, against
/// 1.1 % and 65 % at 0.60; at 0.45 10.3 %; `tools/train_roller/curve.py`, roller_detector.curve.json); the track's
/// gate (place, size, colour) rules out most of what is left. Was 0.45 for the previous model (9.5 %, 86 %).
pub const TRACK_MIN_CONFIDENCE: f32 = 0.50;
/// Heat below which a map cell is never a candidate (tools/train_roller/decode.py `PEAK_MIN`).
const PEAK_MIN: f32 = 0.05;
/// Most candidates reported per crop.
pub const MAX_CANDIDATES: usize = 3;
/// Contact probability above which the contact point is reported (decode.py `CONTACT_MIN`).
const CONTACT_MIN: f32 = 0.5;
/// The person box is enlarged this much before the square crop (as the training renders: tools/render/README.md).
pub const CROP_ENLARGE: f64 = 1.3;
/// Landmarks below this visibility do not shape the person box.
const CROP_MIN_VISIBILITY: f32 = 0.3;

/// Running the model fails as the pose models' runs do ([`PoseError`], named by [`MODEL_FILE`]), or the frame or
/// crop given is unusable.
#[derive(Debug, Error)]
pub enum RollerModelError {
    #[error(transparent)]
    Model(#[from] PoseError),
    #[error("frame is not 8-bit BGR (type {0})")]
    BadFrame(i32),
    #[error("crop has no area (side {0} px)")]
    BadCrop(f64),
}

impl From<RuntimeError> for RollerModelError {
    fn from(e: RuntimeError) -> Self {
        PoseError::from(e).into()
    }
}

impl From<opencv::Error> for RollerModelError {
    fn from(e: opencv::Error) -> Self {
        PoseError::from(e).into()
    }
}

fn ort_err(e: ort::Error) -> RollerModelError {
    PoseError::Ort { model: MODEL_FILE.into(), msg: e.to_string() }.into()
}

/// The square crop the detector was trained on: the box of the visible landmarks, enlarged [`CROP_ENLARGE`] times
/// around its centre, upright. `None` when fewer than two landmarks are visible.
pub fn crop_around_pose(pose: &Pose) -> Option<RotatedSquare> {
    let vis = pose
        .keypoints
        .iter()
        .filter(|k| k.visibility >= CROP_MIN_VISIBILITY);
    let (mut x0, mut y0, mut x1, mut y1, mut n) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN, 0);
    for k in vis {
        let (x, y) = (k.x as f64, k.y as f64);
        (x0, y0, x1, y1, n) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y), n + 1);
    }
    let side = (x1 - x0).max(y1 - y0) * CROP_ENLARGE;
    (n >= 2 && side > 1.0).then(|| RotatedSquare {
        center: Vec2::new((x0 + x1) / 2.0, (y0 + y1) / 2.0),
        size: side,
        angle: 0.0,
    })
}

/// The detector with its session and per-frame buffers.
pub struct RollerModel {
    session: Session,
    /// Candidates below this confidence are not reported (default [`MIN_CONFIDENCE`]; a tracker may lower it
    /// while it follows a roller already seen).
    pub min_confidence: f32,
    warp: Mat,
    crop: Mat,
    input: Array4<f32>,
    peaks: Vec<(f32, usize, usize, usize)>,
}

impl RollerModel {
    /// Loads `models_dir/roller_detector.onnx` after checking its checksum, with `threads` ONNX Runtime threads.
    pub fn load(models_dir: &Path, threads: usize) -> Result<Self, RollerModelError> {
        let path = runtime::verified_model(models_dir, MODEL_FILE)?;
        Self::from_file(&path, threads)
    }

    /// Loads the model from an explicit file (no checksum check).
    pub fn from_file(path: &Path, threads: usize) -> Result<Self, RollerModelError> {
        let session = make_session(path, threads)?;
        let s = INPUT_SIZE as usize;
        Ok(Self {
            session,
            min_confidence: MIN_CONFIDENCE,
            warp: Mat::new_rows_cols_with_default(2, 3, core::CV_64F, Scalar::all(0.0))?,
            crop: Mat::default(),
            input: Array4::zeros((1, 3, s, s)),
            peaks: Vec::with_capacity(64),
        })
    }

    /// Convenience wrapper of [`Self::detect_into`] that allocates the result.
    pub fn detect(
        &mut self,
        image_bgr: &Mat,
        crop: &RotatedSquare,
    ) -> Result<Vec<RollerObs>, RollerModelError> {
        let mut out = Vec::with_capacity(MAX_CANDIDATES);
        self.detect_into(image_bgr, crop, &mut out)?;
        Ok(out)
    }

    /// Runs the detector on `crop` of the frame and writes the tools found (image pixels, best first, at most
    /// [`MAX_CANDIDATES`], confidence >= `min_confidence`) into `out` (cleared first). Parts of the crop outside
    /// the frame are black, as in training.
    pub fn detect_into(
        &mut self,
        image_bgr: &Mat,
        crop: &RotatedSquare,
        out: &mut Vec<RollerObs>,
    ) -> Result<(), RollerModelError> {
        out.clear();
        if image_bgr.typ() != core::CV_8UC3 || image_bgr.empty() {
            return Err(RollerModelError::BadFrame(image_bgr.typ()));
        }
        if !(crop.size > 1.0) {
            return Err(RollerModelError::BadCrop(crop.size));
        }
        let image_from_crop = crop.image_from_crop(INPUT_SIZE as f64);
        warp_crop(
            image_bgr,
            &image_from_crop,
            INPUT_SIZE,
            &mut self.warp,
            &mut self.crop,
        )?;
        fill_nchw(&self.crop, &mut self.input)?;
        let outputs = self
            .session
            .run(ort::inputs!["input" => TensorRef::from_array_view(self.input.view()).map_err(ort_err)?])
            .map_err(ort_err)?;
        let (_, maps) = outputs["maps"]
            .try_extract_tensor::<f32>()
            .map_err(ort_err)?;
        let (_, pres) = outputs["presence"]
            .try_extract_tensor::<f32>()
            .map_err(ort_err)?;
        if maps.len() != MAP * MAP * NUM_CH || pres.len() != 1 {
            let msg = format!(
                "expected {MAP}x{MAP}x{NUM_CH} maps and 1 presence logit, got {} and {} values",
                maps.len(),
                pres.len()
            );
            return Err(PoseError::Output { model: MODEL_FILE.into(), msg }.into());
        }
        let presence = sigmoid(pres[0]);
        find_peaks(maps, &mut self.peaks);
        for &(heat, k, i, j) in self.peaks.iter().take(MAX_CANDIDATES) {
            let confidence = (heat * presence).sqrt();
            if confidence >= self.min_confidence {
                let cell = &maps[(j * MAP + i) * NUM_CH..(j * MAP + i + 1) * NUM_CH];
                out.push(decode_cell(cell, i, j, k, confidence, &image_from_crop));
            }
        }
        Ok(())
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-60.0, 60.0)).exp())
}

/// BGR u8 crop -> 1x3xSxS RGB in [-1, 1] (tools/train_roller/data.py `to_input`).
fn fill_nchw(bgr: &Mat, dst: &mut Array4<f32>) -> Result<(), RollerModelError> {
    let bytes = bgr.data_bytes()?;
    let plane = (INPUT_SIZE * INPUT_SIZE) as usize;
    let out = dst
        .as_slice_mut()
        .expect("the input array is created contiguous");
    if bytes.len() != plane * 3 || out.len() != plane * 3 {
        return Err(RollerModelError::BadFrame(bgr.typ()));
    }
    let (r, rest) = out.split_at_mut(plane);
    let (g, b) = rest.split_at_mut(plane);
    for (p, px) in bytes.chunks_exact(3).enumerate() {
        r[p] = px[2] as f32 / 127.5 - 1.0;
        g[p] = px[1] as f32 / 127.5 - 1.0;
        b[p] = px[0] as f32 / 127.5 - 1.0;
    }
    Ok(())
}

/// Local maxima (3x3) of the two heat maps above [`PEAK_MIN`] as (heat, class, i, j), best first.
fn find_peaks(maps: &[f32], peaks: &mut Vec<(f32, usize, usize, usize)>) {
    peaks.clear();
    let heat = |i: usize, j: usize, k: usize| maps[(j * MAP + i) * NUM_CH + CH_HEAT[k]];
    for j in 0..MAP {
        for i in 0..MAP {
            for k in 0..2 {
                let v = heat(i, j, k);
                if sigmoid(v) < PEAK_MIN {
                    continue;
                }
                let is_max = (j.saturating_sub(1)..(j + 2).min(MAP))
                    .all(|y| (i.saturating_sub(1)..(i + 2).min(MAP)).all(|x| heat(x, y, k) <= v));
                if is_max {
                    peaks.push((sigmoid(v), k, i, j));
                }
            }
        }
    }
    peaks.sort_by(|a, b| b.0.total_cmp(&a.0));
}

/// One output cell -> a tool in image pixels: `cx, cy` = the end face nearer the camera, `axis` = [near, far].
fn decode_cell(
    cell: &[f32],
    i: usize,
    j: usize,
    k: usize,
    confidence: f32,
    image_from_crop: &Affine2,
) -> RollerObs {
    let st = STRIDE as f64;
    let c = Vec2::new(
        (i as f64 + cell[CH_OFF] as f64) * st,
        (j as f64 + cell[CH_OFF + 1] as f64) * st,
    );
    let rad = (cell[CH_LOG_R] as f64).exp() * st;
    let half = (cell[CH_HALF_LEN] as f64).max(0.0) * rad;
    let th = (cell[CH_COS2 + 1] as f64).atan2(cell[CH_COS2] as f64) / 2.0;
    let mut d = Vec2::new(th.cos(), th.sin()).scale(half);
    if cell[CH_NEAR_PLUS] <= 0.0 {
        d = d.scale(-1.0); // near = c + d
    }
    let to_img = |p: Vec2| {
        let q = image_from_crop.apply(p);
        [q.x as f32, q.y as f32]
    };
    let near = to_img(c.add(d));
    let far = to_img(c.sub(d));
    // the crop is a similarity: one scale for lengths
    let scale = (image_from_crop.m[0][0].powi(2) + image_from_crop.m[1][0].powi(2)).sqrt();
    let contact = (sigmoid(cell[CH_CONTACT_LOGIT]) > CONTACT_MIN).then(|| {
        let off = Vec2::new(cell[CH_CONTACT] as f64, cell[CH_CONTACT + 1] as f64).scale(rad);
        to_img(c.add(off))
    });
    RollerObs {
        cx: near[0],
        cy: near[1],
        r: (rad * scale) as f32,
        confidence,
        axis: Some([near, far]),
        contact,
        kind: if k == 0 {
            ToolKind::Roller
        } else {
            ToolKind::Ball
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::Keypoint;

    #[test]
    fn crop_is_the_enlarged_square_person_box() {
        let mut pose = Pose::default();
        let pts = [(100.0, 200.0), (300.0, 250.0), (200.0, 220.0)];
        for (k, (x, y)) in pose.keypoints.iter_mut().zip(pts) {
            *k = Keypoint {
                x,
                y,
                visibility: 0.9,
            };
        }
        let c = crop_around_pose(&pose).unwrap();
        assert_eq!(c.center, Vec2::new(200.0, 225.0));
        assert!((c.size - 200.0 * CROP_ENLARGE).abs() < 1e-9);
        pose.keypoints[1].visibility = 0.0;
        pose.keypoints[2].visibility = 0.0;
        assert!(
            crop_around_pose(&pose).is_none(),
            "one visible landmark makes no box"
        );
    }

    #[test]
    fn decode_maps_cell_to_image_pixels() {
        let mut cell = [0.0f32; NUM_CH];
        cell[CH_OFF] = 0.5;
        cell[CH_OFF + 1] = 0.5;
        cell[CH_LOG_R] = 2.0f32.ln(); // 2 cells = 8 input px
        cell[CH_HALF_LEN] = 2.0; // half axis 16 input px
        cell[CH_COS2] = 1.0; // horizontal axis
        cell[CH_NEAR_PLUS] = 3.0; // near end = centre + (16, 0)
        cell[CH_CONTACT + 1] = -1.0; // contact one radius above the centre
        cell[CH_CONTACT_LOGIT] = 3.0;
        // a crop twice the input side centred at (1000, 500): 2 image px per input px
        let side = 2.0 * INPUT_SIZE as f64;
        let crop = RotatedSquare {
            center: Vec2::new(1000.0, 500.0),
            size: side,
            angle: 0.0,
        };
        let o = decode_cell(
            &cell,
            16,
            16,
            0,
            0.9,
            &crop.image_from_crop(INPUT_SIZE as f64),
        );
        // centre (66, 66) input px -> image (1000 - side / 2 + 132, 500 - side / 2 + 132); near end 16 px right
        let (x0, y0) = (1000.0 - side / 2.0, 500.0 - side / 2.0);
        let near = o.axis.unwrap()[0];
        let far = o.axis.unwrap()[1];
        assert!((near[0] as f64 - (x0 + 2.0 * 82.0)).abs() < 1e-3, "{o:?}");
        assert!((near[1] as f64 - (y0 + 132.0)).abs() < 1e-3, "{o:?}");
        assert!((far[0] as f64 - (x0 + 2.0 * 50.0)).abs() < 1e-3, "{o:?}");
        assert!((o.r - 16.0).abs() < 1e-3);
        assert_eq!([o.cx, o.cy], near);
        assert!((o.contact.unwrap()[1] as f64 - (y0 + 132.0 - 16.0)).abs() < 1e-3);
        assert_eq!(o.kind, ToolKind::Roller);
    }
}
