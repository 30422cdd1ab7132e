//! Two independent metric scales combined: the roller's (stated diameter over the fitted radius in pixels) and the
//! body's (segment lengths in the BlazePose world landmarks against the same segments in pixels, `body::cm_per_px`).
//! When they disagree by more than [`MAX_DISAGREEMENT`] the body scale is used and one warning is kept for the
//! session quoting the roller diameter the body scale implies (typically a wrong `--roller-diameter-cm`). When they
//! agree the roller scale is used as it is: the body scale is the check, the stated diameter a measured fact.
//! (A quality-weighted mean of the two was tried first: on the rendered samples it moved the scale nearer the truth
//! on three clips and further on two, and pushed calves_hips_dropped's mean speed error from 17 % to 21 %, over the
//! 20 % bar of tests/samples_truth.rs; so the mean is left out until the body scale is checked on real clips.)

use std::collections::VecDeque;

use crate::body::BodyScale;

/// Body-scale samples kept for the running median, s. One second smooths the per-frame jitter of the world
/// landmarks (their scale moves a few per cent frame to frame) while following a person moving nearer the camera.
pub const BODY_WINDOW_S: f64 = 1.0;
/// Body scales below this quality are not used: under half the segments agree with their median, so the
/// segment lengths in the world landmarks contradict each other (pose engineer's proposal, issue 11).
pub const MIN_BODY_QUALITY: f32 = 0.5;
/// The window must hold at least this share of its frames before the body scale counts (half a second of
/// evidence at the window's length; fewer samples make the median a guess).
pub const MIN_WINDOW_SHARE: f64 = 0.5;
/// The scales disagree when the larger exceeds the smaller by more than this share. A stated diameter 30 % off
/// (e.g. 10.5 or 19.5 cm for a 15 cm roller) gives ratios of 1.43 and 1.30; the body scale itself spreads by about
/// 10 % (BlazePose world landmarks assume an average body), so 25 % separates the two (issue 11).
pub const MAX_DISAGREEMENT: f32 = 0.25;

/// The stated roller diameter disagreed with the body scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaleDisagreement {
    /// First frame with the disagreement, s.
    pub t: f64,
    pub stated_diameter_cm: f32,
    /// 2 * roller radius (px) * body cm per px.
    pub implied_diameter_cm: f32,
}

/// Running body scale and its combination with the roller scale.
#[derive(Debug, Clone)]
pub struct ScaleFusion {
    /// (t, cm per px, quality) of the last [`BODY_WINDOW_S`].
    body: VecDeque<(f64, f32, f32)>,
    min_samples: usize,
    disagreement: Option<ScaleDisagreement>,
}

impl ScaleFusion {
    pub fn new(fps: f64) -> Self {
        let frames = (BODY_WINDOW_S * fps).ceil().max(1.0);
        Self {
            body: VecDeque::with_capacity(frames as usize + 4),
            min_samples: (frames * MIN_WINDOW_SHARE).ceil().max(1.0) as usize,
            disagreement: None,
        }
    }

    /// Adds this frame's body scale (if any, and good enough) and drops samples older than the window.
    pub fn observe_body(&mut self, t: f64, b: Option<BodyScale>) {
        if let Some(b) = b.filter(|b| {
            b.quality >= MIN_BODY_QUALITY && b.cm_per_px.is_finite() && b.cm_per_px > 0.0
        }) {
            self.body.push_back((t, b.cm_per_px, b.quality));
        }
        while self.body.front().is_some_and(|s| s.0 < t - BODY_WINDOW_S) {
            self.body.pop_front();
        }
    }

    /// Median body cm per px over the window and the mean quality, once the window holds enough samples.
    pub fn body_cm_per_px(&self) -> Option<(f32, f32)> {
        let n = self.body.len();
        if n < self.min_samples {
            return None;
        }
        let mut v: Vec<f32> = self.body.iter().map(|s| s.1).collect();
        v.sort_by(f32::total_cmp);
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            0.5 * (v[n / 2 - 1] + v[n / 2])
        };
        let quality = self.body.iter().map(|s| s.2).sum::<f32>() / n as f32;
        Some((median, quality))
    }

    /// The px per cm to use, from the roller's (smoothed) px per cm for the stated diameter and the body scale.
    /// Records the first disagreement at `t`.
    pub fn combine(
        &mut self,
        t: f64,
        roller_px_per_cm: Option<f32>,
        stated_diameter_cm: f32,
    ) -> Option<f32> {
        let body = self.body_cm_per_px();
        let (roller_ppc, (body_cpp, _quality)) = match (roller_px_per_cm, body) {
            (Some(r), Some(b)) => (r, b),
            (r, b) => return r.or(b.map(|(c, _)| 1.0 / c)),
        };
        let roller_cpp = 1.0 / roller_ppc;
        let ratio = roller_cpp.max(body_cpp) / roller_cpp.min(body_cpp);
        if ratio - 1.0 > MAX_DISAGREEMENT {
            self.disagreement.get_or_insert(ScaleDisagreement {
                t,
                stated_diameter_cm,
                // roller radius px = stated / (2 cm per px of the roller)
                implied_diameter_cm: stated_diameter_cm * body_cpp / roller_cpp,
            });
            return Some(1.0 / body_cpp);
        }
        Some(roller_ppc)
    }

    pub fn disagreement(&self) -> Option<ScaleDisagreement> {
        self.disagreement
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bs(cm_per_px: f32, quality: f32) -> Option<BodyScale> {
        Some(BodyScale {
            cm_per_px,
            segments: 8,
            quality,
        })
    }

    fn filled(cpp: f32, quality: f32) -> ScaleFusion {
        let mut f = ScaleFusion::new(10.0);
        for i in 0..10 {
            f.observe_body(i as f64 * 0.1, bs(cpp, quality));
        }
        f
    }

    #[test]
    fn median_rejects_outliers_and_needs_half_a_window() {
        let mut f = ScaleFusion::new(10.0);
        for (i, c) in [0.4, 0.4, 2.0, 0.41].into_iter().enumerate() {
            f.observe_body(i as f64 * 0.1, bs(c, 0.9));
        }
        assert_eq!(f.body_cm_per_px(), None, "4 of 10 frames is not enough");
        f.observe_body(0.4, bs(0.39, 0.9));
        let (m, q) = f.body_cm_per_px().unwrap();
        assert!((m - 0.4).abs() < 1e-6 && (q - 0.9).abs() < 1e-6, "{m} {q}");
        // low quality ignored, old samples dropped
        f.observe_body(0.5, bs(5.0, 0.2));
        f.observe_body(3.0, bs(0.4, 0.9));
        assert_eq!(f.body_cm_per_px(), None);
    }

    #[test]
    fn agreeing_scales_keep_the_roller_scale() {
        // 0.48 / 0.40 = 1.2: within 25 %
        let mut f = filled(0.48, 1.0);
        assert_eq!(f.combine(1.0, Some(1.0 / 0.40), 15.0), Some(1.0 / 0.40));
        assert_eq!(f.disagreement(), None);
    }

    #[test]
    fn a_wrong_diameter_either_way_uses_the_body_and_warns_once() {
        for stated in [10.5f32, 19.5] {
            // true 15 cm roller of radius 20 px: 0.375 cm per px
            let mut f = filled(0.375, 0.8);
            let roller_ppc = 2.0 * 20.0 / stated;
            let ppc = f.combine(1.0, Some(roller_ppc), stated).unwrap();
            assert!((ppc - 1.0 / 0.375).abs() < 1e-4, "{stated}: {ppc}");
            f.combine(2.0, Some(roller_ppc), stated);
            let d = f.disagreement().expect("warned");
            assert_eq!(d.t, 1.0, "first disagreement kept");
            assert!((d.implied_diameter_cm - 15.0).abs() < 1e-3, "{d:?}");
        }
    }

    #[test]
    fn one_scale_alone_is_used_as_is() {
        let mut f = ScaleFusion::new(10.0);
        assert_eq!(f.combine(0.0, Some(2.5), 15.0), Some(2.5));
        assert_eq!(f.combine(0.0, None, 15.0), None);
        let mut f = filled(0.5, 0.9);
        assert_eq!(f.combine(1.0, None, 15.0), Some(2.0));
    }
}
