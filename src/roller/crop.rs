//! The downscaled image region around the body that all roller image work runs on, so the cost does not depend on
//! the input resolution.

use opencv::core::{Mat, Rect, Size};
use opencv::imgproc;
use opencv::prelude::*;

use super::RollerError;

/// Long side of the working crop, px. The expected roller radius is then ~10-25 px for a whole body in view (a
/// 15 cm roller under a ~170 cm body spanning the crop), enough for a circle fit, and Hough + checks stay within the
/// 4 ms budget on one core.
pub const CROP_LONG_SIDE: i32 = 400;

/// The working crop: a BGR copy of `rect` scaled by `scale`, kept as a continuous buffer.
pub struct Crop {
    pub bgr: Mat,
    /// Intermediate buffer of the strong-downscale path (twice the crop's size).
    double: Mat,
    /// Image rectangle the crop shows.
    pub rect: Rect,
    /// Crop pixels per image pixel (<= 1).
    pub scale: f32,
}

impl Default for Crop {
    fn default() -> Self {
        Self { bgr: Mat::default(), double: Mat::default(), rect: Rect::default(), scale: 1.0 }
    }
}

impl Crop {
    /// Fills the crop from `image` (8-bit BGR) for the image rectangle `rect`.
    pub fn fill(&mut self, image: &Mat, rect: Rect) -> Result<(), RollerError> {
        let long = rect.width.max(rect.height);
        let scale = (CROP_LONG_SIDE as f32 / long as f32).min(1.0);
        let size = Size::new(
            ((rect.width as f32 * scale).round() as i32).max(1),
            ((rect.height as f32 * scale).round() as i32).max(1),
        );
        let roi = Mat::roi(image, rect)?;
        // Area averaging is the right filter for a strong downscale, but it (and a 2x2 pyramid step) reads every
        // pixel of the body box: ~10 ms for a 4K frame. Linear interpolation to twice the crop reads only the pixels
        // it needs (cost bounded by the crop, not the input), and the exact 2x area step after it averages
        // 2x2 samples, close to area averaging for the circle fit.
        if scale < 0.5 {
            let double = Size::new(2 * size.width, 2 * size.height);
            imgproc::resize(&roi, &mut self.double, double, 0.0, 0.0, imgproc::INTER_LINEAR)?;
            imgproc::resize(&self.double, &mut self.bgr, size, 0.0, 0.0, imgproc::INTER_AREA)?;
        } else if scale < 1.0 {
            imgproc::resize(&roi, &mut self.bgr, size, 0.0, 0.0, imgproc::INTER_AREA)?;
        } else {
            roi.copy_to(&mut self.bgr)?;
        }
        self.rect = rect;
        // Exact per-axis scale after rounding is within a pixel of `scale`; one factor keeps circles circles.
        self.scale = size.width as f32 / rect.width as f32;
        Ok(())
    }

    /// Image point of a crop point.
    pub fn to_image(&self, x: f32, y: f32) -> (f32, f32) {
        (self.rect.x as f32 + x / self.scale, self.rect.y as f32 + y / self.scale)
    }

    /// Crop point of an image point.
    pub fn to_crop(&self, x: f32, y: f32) -> (f32, f32) {
        ((x - self.rect.x as f32) * self.scale, (y - self.rect.y as f32) * self.scale)
    }

    /// Mean BGR of the crop's pixels in a (2k+1)^2 box at a crop point; `None` outside the crop.
    pub fn colour_at(&self, x: f32, y: f32, k: i32) -> Option<[f32; 3]> {
        let (w, h) = (self.bgr.cols(), self.bgr.rows());
        let (xi, yi) = (x.round() as i32, y.round() as i32);
        if xi - k < 0 || yi - k < 0 || xi + k >= w || yi + k >= h {
            return None;
        }
        let data = self.bgr.data_bytes().ok()?;
        let step = w * 3; // `fill` leaves a continuous buffer
        let mut sum = [0f32; 3];
        for v in yi - k..=yi + k {
            for u in xi - k..=xi + k {
                let o = (v * step + u * 3) as usize;
                for c in 0..3 {
                    sum[c] += data[o + c] as f32;
                }
            }
        }
        let n = ((2 * k + 1) * (2 * k + 1)) as f32;
        Some(sum.map(|s| s / n))
    }
}

/// Mean absolute difference of two BGR colours over the three channels, in 8-bit levels: how the rim test compares
/// an end face with its surround and the tracker a candidate with its colour prior.
pub fn colour_distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    (0..3).map(|k| (a[k] - b[k]).abs()).sum::<f32>() / 3.0
}
