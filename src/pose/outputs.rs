//! The landmark model's secondary outputs: world landmarks rotated into image axes and the person segmentation
//! warped back from the crop into a low-resolution image-space [`PersonMask`].

use super::PersonMask;
use crate::geometry::{Affine2, Vec2};
use crate::landmarks::{WorldLandmarks, NUM_LANDMARKS};

/// Side of the square segmentation output (`Identity_2`, 1 x 256 x 256 x 1 logits in the crop).
pub const SEG_SIDE: usize = 256;
/// Longest side of the image-space mask, mask pixels. Bounds the warp cost whatever the input size (at 640x480 it
/// is a quarter of the frame; at 1768x994 about 1/11), and is fine enough for "is this keypoint on the person".
pub const MASK_LONG_SIDE: f32 = 160.0;

/// World landmarks in the crop's axes (`Identity_4`, 39 x 3 metres) rotated by the ROI angle into image-aligned
/// axes, as MediaPipe's WorldLandmarkProjectionCalculator does (z unchanged). Only the 33 body points are kept.
pub fn world_to_image_axes(raw: &[f32], roi_angle: f64) -> WorldLandmarks {
    let (s, c) = (roi_angle.sin() as f32, roi_angle.cos() as f32);
    let mut out = [[0.0f32; 3]; NUM_LANDMARKS];
    for (i, o) in out.iter_mut().enumerate() {
        let (x, y, z) = (raw[i * 3], raw[i * 3 + 1], raw[i * 3 + 2]);
        *o = [c * x - s * y, s * x + c * y, z];
    }
    out
}

/// Mask resolution for a `width` x `height` frame: image pixels per mask pixel, never below 1.
pub fn mask_scale(width: usize, height: usize) -> f32 {
    (width.max(height) as f32 / MASK_LONG_SIDE).max(1.0)
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-100.0, 100.0)).exp())
}

/// Bilinear sample of the crop's person probability at crop coordinates (pixel centres at integers, as OpenCV);
/// 0 outside the crop.
fn sample_prob(prob: &[f32], p: Vec2) -> f32 {
    let n = SEG_SIDE as f64;
    if !(p.x > -1.0 && p.y > -1.0 && p.x < n && p.y < n) {
        return 0.0;
    }
    let (x0, y0) = (p.x.floor(), p.y.floor());
    let (fx, fy) = ((p.x - x0) as f32, (p.y - y0) as f32);
    let at = |x: f64, y: f64| -> f32 {
        if x < 0.0 || y < 0.0 || x >= n || y >= n {
            0.0
        } else {
            prob[y as usize * SEG_SIDE + x as usize]
        }
    };
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1.0, y0) * fx;
    let bottom = at(x0, y0 + 1.0) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0) * fx;
    top * (1.0 - fy) + bottom * fy
}

/// Warps the crop's segmentation logits back to image axes into `out` (its buffer is reused). Mask pixel (u, v)
/// samples the image point at the centre of the block it covers.
pub fn warp_mask(
    seg_logits: &[f32],
    image_from_crop: &Affine2,
    width: usize,
    height: usize,
    prob_buf: &mut Vec<f32>,
    out: &mut PersonMask,
) {
    let scale = mask_scale(width, height);
    out.scale = scale;
    out.width = (width as f32 / scale).ceil() as usize;
    out.height = (height as f32 / scale).ceil() as usize;
    out.data.clear();
    out.data.resize(out.width * out.height, 0);
    let Some(crop_from_image) = image_from_crop.inverse() else {
        return;
    };
    prob_buf.clear();
    prob_buf.extend(seg_logits.iter().map(|&l| sigmoid(l)));
    let s = scale as f64;
    for v in 0..out.height {
        for u in 0..out.width {
            let img = Vec2::new((u as f64 + 0.5) * s - 0.5, (v as f64 + 0.5) * s - 0.5);
            let p = sample_prob(prob_buf, crop_from_image.apply(img));
            out.data[v * out.width + u] = (p * 255.0).round() as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::RotatedSquare;

    #[test]
    fn world_rotation_matches_roi_angle() {
        let mut raw = vec![0.0f32; 39 * 3];
        raw[0] = 1.0; // x axis of the crop
        raw[2] = 0.5;
        let w = world_to_image_axes(&raw, std::f64::consts::FRAC_PI_2);
        // a crop rotated by +90 deg: the crop's x axis is the image's y axis
        assert!(w[0][0].abs() < 1e-6 && (w[0][1] - 1.0).abs() < 1e-6 && w[0][2] == 0.5);
    }

    #[test]
    fn mask_is_bounded_and_covers_the_crop_only() {
        assert_eq!(mask_scale(640, 480), 4.0);
        assert!((mask_scale(1768, 994) - 11.05).abs() < 1e-3);
        // a crop whose top half is person, upright ROI centred in a 640x480 frame, 200 px wide
        let mut logits = vec![-10.0f32; SEG_SIDE * SEG_SIDE];
        logits[..SEG_SIDE * SEG_SIDE / 2].fill(10.0);
        let roi = RotatedSquare { center: Vec2::new(320.0, 240.0), size: 200.0, angle: 0.0 };
        let (mut buf, mut m) = (Vec::new(), PersonMask::default());
        warp_mask(&logits, &roi.image_from_crop(256.0), 640, 480, &mut buf, &mut m);
        assert_eq!((m.width, m.height), (160, 120));
        assert!(m.at_image(320.0, 200.0) > 0.99);
        assert!(m.at_image(320.0, 280.0) < 0.01);
        assert!(m.at_image(100.0, 200.0) < 0.01, "outside the crop");
    }
}
