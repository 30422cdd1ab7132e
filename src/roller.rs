//! Foam-roller detection with OpenCV: in a side view the roller is a circle (seen end-on) under the body.
//! Hough circles in a band below the body, scored by vote rank, closeness to the previous roller and an optional
//! colour hint, with temporal consistency (a far jump must repeat before it is accepted; short misses are held).
//! The roller's real diameter gives the image scale (`px_per_cm`).

use opencv::core::{self, Mat, Point, Rect, Scalar, Size, Vec3f, Vector};
use opencv::imgproc;
use opencv::prelude::*;
use thiserror::Error;

use crate::landmarks::{idx, Pose, RollerObs};

#[derive(Debug, Error)]
pub enum RollerError {
    #[error("roller detection: {0}")]
    OpenCv(#[from] opencv::Error),
    #[error("roller detection: expected an 8-bit BGR image, got type {typ} with {channels} channels")]
    BadImage { typ: i32, channels: i32 },
}

/// Detector settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RollerConfig {
    /// Real diameter of the roller, cm (default 15).
    pub diameter_cm: f32,
    /// Smallest / largest radius searched, as a share of the image height.
    pub min_radius_frac: f32,
    pub max_radius_frac: f32,
    /// Optional BGR colour of the roller; candidates of that colour score higher.
    pub colour_hint_bgr: Option<[u8; 3]>,
    /// Canny high threshold of the Hough gradient method.
    pub canny_high: f64,
    /// Accumulator threshold of the Hough gradient method (lower = more circles).
    pub votes: f64,
    /// Frames a detection is held through misses before it is dropped.
    pub hold_frames: u32,
}

impl Default for RollerConfig {
    fn default() -> Self {
        Self {
            diameter_cm: crate::coach::DEFAULT_ROLLER_DIAMETER_CM,
            min_radius_frac: 0.025,
            max_radius_frac: 0.2,
            colour_hint_bgr: None,
            canny_high: 100.0,
            votes: 28.0,
            hold_frames: 10,
        }
    }
}

/// A jump farther than this many radii must be seen on consecutive frames before it is accepted.
const JUMP_RADII: f32 = 1.0;
/// Consecutive frames needed to accept a jump.
const JUMP_CONFIRM_FRAMES: u32 = 3;
/// Share of a new measurement in the smoothed roller.
const SMOOTHING: f32 = 0.5;
/// Share of a new hit/miss in the confidence.
const CONFIDENCE_EMA: f32 = 0.2;
/// Margin above the body's highest joint where the roller band starts, share of image height.
const BAND_MARGIN_FRAC: f32 = 0.05;

/// Pixels per cm given the roller in the image and its real diameter.
pub fn px_per_cm(obs: &RollerObs, diameter_cm: f32) -> f32 {
    2.0 * obs.r / diameter_cm
}

pub struct RollerDetector {
    cfg: RollerConfig,
    gray: Mat,
    blur: Mat,
    circles: Vector<Vec3f>,
    current: Option<RollerObs>,
    pending: Option<(RollerObs, u32)>,
    misses: u32,
    confidence: f32,
}

impl RollerDetector {
    pub fn new(cfg: RollerConfig) -> Self {
        Self {
            cfg,
            gray: Mat::default(),
            blur: Mat::default(),
            circles: Vector::new(),
            current: None,
            pending: None,
            misses: 0,
            confidence: 0.0,
        }
    }

    pub fn config(&self) -> &RollerConfig {
        &self.cfg
    }

    /// Forgets the temporal state (new clip).
    pub fn reset(&mut self) {
        self.current = None;
        self.pending = None;
        self.misses = 0;
        self.confidence = 0.0;
    }

    /// Vertical band (top row) where the roller may be: below the body's highest joint, else the lower 2/3.
    fn band_top(&self, rows: i32, pose: Option<&Pose>) -> i32 {
        let mut top = rows as f32 / 3.0;
        if let Some(p) = pose {
            let ys: Vec<f32> = [
                idx::LEFT_HIP,
                idx::RIGHT_HIP,
                idx::LEFT_KNEE,
                idx::RIGHT_KNEE,
                idx::LEFT_SHOULDER,
                idx::RIGHT_SHOULDER,
            ]
            .iter()
            .map(|&i| p.keypoints[i])
            .filter(|k| k.visibility >= 0.3)
            .map(|k| k.y)
            .collect();
            if let Some(min_y) = ys.iter().copied().reduce(f32::min) {
                top = min_y - BAND_MARGIN_FRAC * rows as f32;
            }
        }
        (top.max(0.0) as i32).min(rows - 2)
    }

    fn colour_score(&self, image: &Mat, cx: f32, cy: f32, r: f32) -> Result<f32, RollerError> {
        let Some(hint) = self.cfg.colour_hint_bgr else {
            return Ok(0.0);
        };
        let half = (r * 0.5).max(1.0) as i32;
        let x0 = (cx as i32 - half).max(0);
        let y0 = (cy as i32 - half).max(0);
        let x1 = (cx as i32 + half).min(image.cols() - 1);
        let y1 = (cy as i32 + half).min(image.rows() - 1);
        if x1 <= x0 || y1 <= y0 {
            return Ok(0.0);
        }
        let roi = Mat::roi(image, Rect::new(x0, y0, x1 - x0, y1 - y0))?;
        let m = core::mean(&roi, &core::no_array())?;
        let d = ((m[0] - hint[0] as f64).powi(2) + (m[1] - hint[1] as f64).powi(2) + (m[2] - hint[2] as f64).powi(2))
            .sqrt();
        Ok((1.0 - d / 200.0).clamp(0.0, 1.0) as f32)
    }

    /// Detects the roller in a BGR frame. `pose` (if any) narrows the search to below the body.
    pub fn detect(&mut self, image_bgr: &Mat, pose: Option<&Pose>) -> Result<Option<RollerObs>, RollerError> {
        if image_bgr.typ() != core::CV_8UC3 {
            return Err(RollerError::BadImage {
                typ: image_bgr.typ(),
                channels: image_bgr.channels(),
            });
        }
        let (rows, cols) = (image_bgr.rows(), image_bgr.cols());
        imgproc::cvt_color(image_bgr, &mut self.gray, imgproc::COLOR_BGR2GRAY, 0)?;
        imgproc::gaussian_blur(
            &self.gray,
            &mut self.blur,
            Size::new(7, 7),
            1.5,
            1.5,
            core::BORDER_DEFAULT,
        )?;
        let top = self.band_top(rows, pose);
        let band = Mat::roi(&self.blur, Rect::new(0, top, cols, rows - top))?;
        let min_r = (self.cfg.min_radius_frac * rows as f32).max(4.0) as i32;
        let max_r = (self.cfg.max_radius_frac * rows as f32) as i32;
        imgproc::hough_circles(
            &band,
            &mut self.circles,
            imgproc::HOUGH_GRADIENT,
            1.0,
            (min_r * 2) as f64,
            self.cfg.canny_high,
            self.cfg.votes,
            min_r,
            max_r.max(min_r + 1),
        )?;

        let mut best: Option<(f32, RollerObs)> = None;
        let n = self.circles.len();
        for (rank, c) in self.circles.iter().enumerate() {
            let (cx, cy, r) = (c[0], c[1] + top as f32, c[2]);
            let mut score = 1.0 - rank as f32 / (n as f32 + 1.0);
            if let Some(prev) = self.current {
                let d = ((cx - prev.cx).powi(2) + (cy - prev.cy).powi(2)).sqrt();
                score += 2.0 * (-d / prev.r.max(1.0)).exp();
                score += (1.0 - (r - prev.r).abs() / prev.r.max(1.0)).max(0.0);
            }
            score += self.colour_score(image_bgr, cx, cy, r)?;
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((
                    score,
                    RollerObs {
                        cx,
                        cy,
                        r,
                        confidence: 0.0,
                    },
                ));
            }
        }
        Ok(self.update(best.map(|(_, o)| o)))
    }

    /// Temporal consistency over raw detections (pure; separate for tests).
    pub fn update(&mut self, raw: Option<RollerObs>) -> Option<RollerObs> {
        match raw {
            None => {
                self.misses += 1;
                self.confidence *= 1.0 - CONFIDENCE_EMA;
                if self.misses > self.cfg.hold_frames {
                    self.current = None;
                }
            }
            Some(obs) => {
                self.misses = 0;
                match self.current {
                    None => {
                        self.current = Some(obs);
                        self.confidence += CONFIDENCE_EMA * (1.0 - self.confidence);
                    }
                    Some(prev) => {
                        let d = ((obs.cx - prev.cx).powi(2) + (obs.cy - prev.cy).powi(2)).sqrt();
                        if d <= JUMP_RADII * prev.r {
                            self.pending = None;
                            let k = SMOOTHING;
                            self.current = Some(RollerObs {
                                cx: prev.cx + k * (obs.cx - prev.cx),
                                cy: prev.cy + k * (obs.cy - prev.cy),
                                r: prev.r + k * (obs.r - prev.r),
                                confidence: 0.0,
                            });
                            self.confidence += CONFIDENCE_EMA * (1.0 - self.confidence);
                        } else {
                            // A jump: accept only when it repeats.
                            let count = match self.pending {
                                Some((p, c))
                                    if ((obs.cx - p.cx).powi(2) + (obs.cy - p.cy).powi(2)).sqrt()
                                        <= JUMP_RADII * p.r =>
                                {
                                    c + 1
                                }
                                _ => 1,
                            };
                            self.pending = Some((obs, count));
                            if count >= JUMP_CONFIRM_FRAMES {
                                self.current = Some(obs);
                                self.pending = None;
                                self.confidence = 0.5;
                            } else {
                                self.confidence *= 1.0 - CONFIDENCE_EMA;
                            }
                        }
                    }
                }
            }
        }
        self.current.map(|mut o| {
            o.confidence = self.confidence.clamp(0.0, 1.0);
            o
        })
    }
}

/// Draws a filled roller (for tests and synthetic frames).
pub fn draw_roller_disc(image: &mut Mat, obs: &RollerObs, bgr: [u8; 3]) -> Result<(), RollerError> {
    imgproc::circle(
        image,
        Point::new(obs.cx.round() as i32, obs.cy.round() as i32),
        obs.r.round() as i32,
        Scalar::new(bgr[0] as f64, bgr[1] as f64, bgr[2] as f64, 0.0),
        -1,
        imgproc::LINE_AA,
        0,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_with(rollers: &[(RollerObs, [u8; 3])]) -> Mat {
        let mut img = Mat::new_rows_cols_with_default(480, 640, core::CV_8UC3, Scalar::all(60.0)).unwrap();
        // A body-like bar above the floor and the floor line, as distractors.
        imgproc::rectangle(
            &mut img,
            Rect::new(100, 300, 420, 40),
            Scalar::new(150.0, 140.0, 130.0, 0.0),
            -1,
            imgproc::LINE_8,
            0,
        )
        .unwrap();
        imgproc::line(
            &mut img,
            Point::new(0, 440),
            Point::new(639, 440),
            Scalar::all(200.0),
            2,
            imgproc::LINE_8,
            0,
        )
        .unwrap();
        for (o, c) in rollers {
            draw_roller_disc(&mut img, o, *c).unwrap();
        }
        img
    }

    fn obs(cx: f32, cy: f32, r: f32) -> RollerObs {
        RollerObs {
            cx,
            cy,
            r,
            confidence: 1.0,
        }
    }

    #[test]
    fn finds_a_roller_disc() {
        let truth = obs(330.0, 400.0, 38.0);
        let img = frame_with(&[(truth, [40, 90, 220])]);
        let mut det = RollerDetector::new(RollerConfig::default());
        let got = det.detect(&img, None).unwrap().expect("roller found");
        assert!(
            (got.cx - truth.cx).abs() < 3.0 && (got.cy - truth.cy).abs() < 3.0,
            "{got:?}"
        );
        assert!((got.r - truth.r).abs() < 3.0, "{got:?}");
        assert!((px_per_cm(&got, 15.0) - 2.0 * 38.0 / 15.0).abs() < 0.4);
    }

    #[test]
    fn colour_hint_picks_the_roller_among_two_discs() {
        let roller = obs(200.0, 400.0, 36.0);
        let ball = obs(480.0, 400.0, 36.0);
        let img = frame_with(&[(roller, [220, 120, 30]), (ball, [30, 200, 30])]);
        let mut det = RollerDetector::new(RollerConfig {
            colour_hint_bgr: Some([220, 120, 30]),
            ..RollerConfig::default()
        });
        let got = det.detect(&img, None).unwrap().expect("found");
        assert!((got.cx - roller.cx).abs() < 4.0, "{got:?}");
    }

    #[test]
    fn temporal_consistency_rejects_single_jumps_and_holds_short_misses() {
        let mut det = RollerDetector::new(RollerConfig::default());
        for _ in 0..5 {
            det.update(Some(obs(300.0, 400.0, 30.0)));
        }
        // One far outlier: ignored.
        let o = det.update(Some(obs(550.0, 400.0, 30.0))).unwrap();
        assert!((o.cx - 300.0).abs() < 1.0);
        // Short miss: held.
        assert!(det.update(None).is_some());
        // A sustained move is accepted after a few frames.
        let mut last = None;
        for _ in 0..JUMP_CONFIRM_FRAMES {
            last = det.update(Some(obs(420.0, 400.0, 30.0)));
        }
        assert!((last.unwrap().cx - 420.0).abs() < 1.0);
        // Long miss: dropped.
        for _ in 0..=det.config().hold_frames {
            det.update(None);
        }
        assert!(det.update(None).is_none());
    }

    #[test]
    fn rejects_non_bgr_input() {
        let gray = Mat::new_rows_cols_with_default(10, 10, core::CV_8UC1, Scalar::all(0.0)).unwrap();
        let mut det = RollerDetector::new(RollerConfig::default());
        assert!(matches!(det.detect(&gray, None), Err(RollerError::BadImage { .. })));
    }
}
