//! Key-frame thumbnails: frames of the clip at event times, scaled down and inlined as base64 JPEG.

use std::path::Path;

use opencv::core::{Mat, Size, Vector};
use opencv::prelude::*;
use opencv::{imgcodecs, imgproc, videoio};

use super::data::ReportDoc;

/// Thumbnail width, px (small enough that a page with a few of them stays well under 100 kB).
pub const THUMB_WIDTH: i32 = 240;
/// At most this many thumbnails per page.
pub const MAX_THUMBS: usize = 6;
/// JPEG quality of the thumbnails (0-100).
const JPEG_QUALITY: i32 = 70;

#[derive(Debug, Clone)]
pub struct Thumb {
    pub t: f64,
    pub caption: String,
    pub width: i32,
    pub height: i32,
    pub jpeg_base64: String,
}

/// The moments worth a picture: each fault's start, each hold, and the middle of each area's time.
pub fn key_moments(d: &ReportDoc) -> Vec<(f64, String)> {
    let mut m: Vec<(f64, String)> = Vec::new();
    for a in &d.areas {
        m.push(((a.area.first_t + a.area.last_t) / 2.0, format!("{}", a.area.name)));
        for h in &a.area.holds {
            m.push((h.start + h.duration_s / 2.0, format!("{}: hold", a.area.name)));
        }
    }
    for f in &d.faults {
        // a little after the onset, when the fault is clearly visible
        m.push(((f.start + 0.3).min(f.end), f.message.clone()));
    }
    m.sort_by(|a, b| a.0.total_cmp(&b.0));
    m.truncate(MAX_THUMBS);
    m
}

/// Reads the frames at `moments` from `clip`. A clip that cannot be opened gives no thumbnails (the page is still
/// useful without them); frames past the end are skipped.
pub fn extract(clip: &Path, moments: &[(f64, String)]) -> Vec<Thumb> {
    let Some(name) = clip.to_str() else { return Vec::new() };
    let Ok(mut cap) = videoio::VideoCapture::from_file(name, videoio::CAP_ANY) else { return Vec::new() };
    if !cap.is_opened().unwrap_or(false) {
        return Vec::new();
    }
    moments
        .iter()
        .filter_map(|(t, caption)| {
            grab(&mut cap, *t).map(|(w, h, b64)| Thumb {
                t: *t,
                caption: caption.clone(),
                width: w,
                height: h,
                jpeg_base64: b64,
            })
        })
        .collect()
}

fn grab(cap: &mut videoio::VideoCapture, t: f64) -> Option<(i32, i32, String)> {
    cap.set(videoio::CAP_PROP_POS_MSEC, t * 1000.0).ok()?;
    let mut frame = Mat::default();
    if !cap.read(&mut frame).ok()? || frame.empty() {
        return None;
    }
    let h = (frame.rows() as f64 * THUMB_WIDTH as f64 / frame.cols().max(1) as f64).round() as i32;
    let mut small = Mat::default();
    imgproc::resize(&frame, &mut small, Size::new(THUMB_WIDTH, h.max(1)), 0.0, 0.0, imgproc::INTER_AREA).ok()?;
    let mut buf = Vector::<u8>::new();
    let params = Vector::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, JPEG_QUALITY]);
    imgcodecs::imencode(".jpg", &small, &mut buf, &params).ok()?;
    Some((THUMB_WIDTH, h.max(1), base64(buf.as_slice())))
}

/// Standard base64 (RFC 4648, with padding).
pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("foobar", "Zm9vYmFy")]
        {
            assert_eq!(super::base64(i.as_bytes()), o);
        }
    }
}
