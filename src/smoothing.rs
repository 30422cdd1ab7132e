//! Keypoint smoothing over time with the One Euro filter (Casiez, Roussel, Vogel, CHI 2012): a low-pass filter whose
//! cut-off rises with speed, so still poses are steady and fast moves lag little.

use crate::landmarks::{Pose, NUM_LANDMARKS};

/// One Euro parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OneEuroParams {
    /// Cut-off frequency at rest (Hz): lower = steadier, more lag when slow.
    pub min_cutoff_hz: f64,
    /// Speed coefficient: higher = less lag when moving fast.
    pub beta: f64,
    /// Cut-off for the derivative estimate (Hz).
    pub derivative_cutoff_hz: f64,
}

/// Defaults tuned for pixel keypoints at 30 fps. MediaPipe's pose graph uses a velocity filter of similar effect;
/// these values follow the One Euro paper's tuning procedure (min cut-off first at rest, then beta on fast moves).
pub const KEYPOINT_SMOOTHING: OneEuroParams = OneEuroParams {
    min_cutoff_hz: 1.5,
    beta: 0.02,
    derivative_cutoff_hz: 1.0,
};

/// After this gap without a pose (seconds) the filter restarts instead of dragging old positions along.
pub const RESET_AFTER_GAP_S: f64 = 0.5;

fn alpha(cutoff_hz: f64, dt: f64) -> f64 {
    let tau = 1.0 / (2.0 * std::f64::consts::PI * cutoff_hz);
    1.0 / (1.0 + tau / dt)
}

/// One scalar One Euro filter.
#[derive(Debug, Clone, Copy, Default)]
pub struct OneEuro {
    prev: Option<(f64, f64, f64)>, // (t, x_hat, dx_hat)
}

impl OneEuro {
    pub fn filter(&mut self, p: &OneEuroParams, t: f64, x: f64) -> f64 {
        let Some((t0, x0, dx0)) = self.prev else {
            self.prev = Some((t, x, 0.0));
            return x;
        };
        let dt = t - t0;
        if dt <= 0.0 {
            return x0;
        }
        let dx = (x - x0) / dt;
        let dx_hat = dx0 + alpha(p.derivative_cutoff_hz, dt) * (dx - dx0);
        let cutoff = p.min_cutoff_hz + p.beta * dx_hat.abs();
        let x_hat = x0 + alpha(cutoff, dt) * (x - x0);
        self.prev = Some((t, x_hat, dx_hat));
        x_hat
    }

    pub fn reset(&mut self) {
        self.prev = None;
    }
}

/// Smooths all 33 keypoints (x and y) of successive poses.
#[derive(Debug, Clone)]
pub struct PoseSmoother {
    params: OneEuroParams,
    filters: [[OneEuro; 2]; NUM_LANDMARKS],
    last_t: Option<f64>,
}

impl PoseSmoother {
    pub fn new(params: OneEuroParams) -> Self {
        Self {
            params,
            filters: [[OneEuro::default(); 2]; NUM_LANDMARKS],
            last_t: None,
        }
    }

    /// Smooths `pose` in place at time `t` (seconds).
    pub fn apply(&mut self, t: f64, pose: &mut Pose) {
        if self.last_t.is_some_and(|t0| t - t0 > RESET_AFTER_GAP_S) {
            self.reset();
        }
        self.last_t = Some(t);
        for (k, f) in pose.keypoints.iter_mut().zip(self.filters.iter_mut()) {
            k.x = f[0].filter(&self.params, t, k.x as f64) as f32;
            k.y = f[1].filter(&self.params, t, k.y as f64) as f32;
        }
    }

    pub fn reset(&mut self) {
        self.filters = [[OneEuro::default(); 2]; NUM_LANDMARKS];
        self.last_t = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_jitter_at_rest() {
        let mut f = OneEuro::default();
        let mut max_dev: f64 = 0.0;
        for i in 0..300 {
            let noise = if i % 2 == 0 { 2.0 } else { -2.0 };
            let y = f.filter(&KEYPOINT_SMOOTHING, i as f64 / 30.0, 100.0 + noise);
            if i > 30 {
                max_dev = max_dev.max((y - 100.0).abs());
            }
        }
        assert!(
            max_dev < 1.0,
            "jitter of 2 px should shrink below 1 px, got {max_dev}"
        );
    }

    #[test]
    fn follows_fast_motion_with_bounded_lag() {
        let mut f = OneEuro::default();
        let mut y = 0.0;
        for i in 0..60 {
            y = f.filter(&KEYPOINT_SMOOTHING, i as f64 / 30.0, i as f64 * 10.0);
            // 300 px/s
        }
        let lag = 590.0 - y;
        assert!(lag > 0.0 && lag < 30.0, "lag {lag}");
    }

    #[test]
    fn restarts_after_gap() {
        let mut s = PoseSmoother::new(KEYPOINT_SMOOTHING);
        let mut p = Pose::default();
        s.apply(0.0, &mut p);
        let mut q = Pose::default();
        q.keypoints[0].x = 500.0;
        s.apply(2.0, &mut q);
        assert_eq!(q.keypoints[0].x, 500.0);
    }
}
