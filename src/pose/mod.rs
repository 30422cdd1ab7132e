//! Pose estimation behind a trait, so another model can be added beside BlazePose.

pub mod blazepose;
pub mod outputs;
pub mod track;

use opencv::core::Mat;
use thiserror::Error;

use crate::landmarks::Pose;
use crate::runtime::RuntimeError;

#[derive(Debug, Error)]
pub enum PoseError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("{model}: ONNX Runtime error: {msg}")]
    Ort { model: String, msg: String },
    #[error("{model}: unexpected output: {msg}")]
    Output { model: String, msg: String },
    #[error("image processing: {0}")]
    OpenCv(#[from] opencv::Error),
    #[error("frame is not 8-bit BGR (type {0})")]
    BadFrame(i32),
}

/// The person segmentation of the last frame, warped back to image axes at a low working resolution.
/// `mask` space: pixel (u, v) covers image pixels `[u * scale, (u + 1) * scale) x [v * scale, (v + 1) * scale)`.
#[derive(Debug, Default, PartialEq)]
pub struct PersonMask {
    pub width: usize,
    pub height: usize,
    /// Image pixels per mask pixel (`image_from_mask`).
    pub scale: f32,
    /// Person probability 0..255, row-major, `width * height` bytes; 0 outside the pose crop.
    pub data: Vec<u8>,
}

/// `clone_from` copies into the existing pixel buffer (the pipeline refreshes a mask every frame without allocating).
impl Clone for PersonMask {
    fn clone(&self) -> Self {
        Self { width: self.width, height: self.height, scale: self.scale, data: self.data.clone() }
    }

    fn clone_from(&mut self, src: &Self) {
        (self.width, self.height, self.scale) = (src.width, src.height, src.scale);
        self.data.clone_from(&src.data);
    }
}

impl PersonMask {
    /// Person probability (0..1) at an image point; 0 outside the mask.
    pub fn at_image(&self, x: f32, y: f32) -> f32 {
        if self.scale <= 0.0 || x < 0.0 || y < 0.0 {
            return 0.0;
        }
        let (u, v) = ((x / self.scale) as usize, (y / self.scale) as usize);
        if u >= self.width || v >= self.height {
            return 0.0;
        }
        self.data[v * self.width + u] as f32 / 255.0
    }
}

/// Anything that finds one person's 33 BlazePose-layout landmarks in a BGR frame (image pixels).
pub trait PoseEstimator {
    /// Estimates the pose in `image_bgr`; `None` when no person is found. May keep state between calls (tracking).
    fn estimate(&mut self, image_bgr: &Mat) -> Result<Option<Pose>, PoseError>;
    /// Forgets tracking state (e.g. after a seek or a camera restart).
    fn reset(&mut self);
    /// Short model description for reports.
    fn describe(&self) -> String;
    /// The person mask of the last `estimate` call, if the model gives one (`None` when no person was found).
    fn mask(&self) -> Option<&PersonMask> {
        None
    }
}
