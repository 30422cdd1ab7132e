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
            canny_high: 60.0,
            votes: 18.0,
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

/// Landmarks below this visibility are not used for the body prior.
const MIN_VIS: f32 = 0.3;
/// Shoulder-hip + hip-knee + knee-ankle of a typical 170 cm adult (Winter's segment proportions), cm.
const TYPICAL_CHAIN_CM: f32 = 49.0 + 41.7 + 41.8;
/// Searched radius range around the radius expected from the body's size.
const RADIUS_RANGE: (f32, f32) = (0.6, 1.6);
/// Gap between the body line and the roller top, in roller radii: allowed range, typical value, no-penalty slack.
const GAP_RANGE_R: (f32, f32) = (-0.8, 3.0);
const GAP_TYPICAL_R: f32 = 0.9;
const GAP_SLACK_R: f32 = 0.7;

/// Where the roller may be, from the pose.
struct BodyPrior {
    /// Search box (image px).
    rect: Rect,
    /// Shoulder, hip, knee, ankle mid-points that are visible, in that order.
    line: [(f32, f32); 4],
    n_line: usize,
    r_expected: Option<f32>,
}

impl BodyPrior {
    /// Gap (in radii) between the circle's top and the body line right above it; `None` when no part of the body
    /// line lies above the circle.
    fn gap_below_line(&self, cx: f32, cy: f32, r: f32) -> Option<f32> {
        let mut best: Option<f32> = None;
        for w in self.line[..self.n_line].windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            let (lo, hi) = (x0.min(x1), x0.max(x1));
            if cx < lo - r || cx > hi + r || (hi - lo) < 1.0 {
                continue;
            }
            let y_line = y0 + (y1 - y0) * ((cx - x0) / (x1 - x0)).clamp(0.0, 1.0);
            let gap = ((cy - r) - y_line) / r;
            if cy > y_line && best.is_none_or(|b| gap.abs() < b.abs()) {
                best = Some(gap);
            }
        }
        best
    }
}

/// Pixels per cm given the roller in the image and its real diameter.
pub fn px_per_cm(obs: &RollerObs, diameter_cm: f32) -> f32 {
    2.0 * obs.r / diameter_cm
}

pub struct RollerDetector {
    cfg: RollerConfig,
    gray: Mat,
    hsv: Mat,
    sat: Mat,
    blur: Mat,
    circles: Vector<Vec3f>,
    cands: Vec<(f32, f32, f32, f32)>,
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
            hsv: Mat::default(),
            sat: Mat::default(),
            blur: Mat::default(),
            circles: Vector::new(),
            cands: Vec::with_capacity(64),
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

    /// Body prior from the pose: search box below the body, the body line, and the expected roller radius from
    /// the body's size (torso + thigh + shank of a typical adult).
    fn body_prior(&self, rows: i32, cols: i32, pose: Option<&Pose>) -> BodyPrior {
        let mut prior = BodyPrior {
            rect: Rect::new(0, rows / 3, cols, rows - rows / 3),
            line: [(0.0, 0.0); 4],
            n_line: 0,
            r_expected: None,
        };
        let Some(p) = pose else { return prior };
        let mid = |l: usize, r: usize| {
            let (a, b) = (p.keypoints[l], p.keypoints[r]);
            match (a.visibility >= MIN_VIS, b.visibility >= MIN_VIS) {
                (true, true) => Some(((a.x + b.x) * 0.5, (a.y + b.y) * 0.5)),
                (true, false) => Some((a.x, a.y)),
                (false, true) => Some((b.x, b.y)),
                _ => None,
            }
        };
        let chain = [
            mid(idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER),
            mid(idx::LEFT_HIP, idx::RIGHT_HIP),
            mid(idx::LEFT_KNEE, idx::RIGHT_KNEE),
            mid(idx::LEFT_ANKLE, idx::RIGHT_ANKLE),
        ];
        let pts: Vec<(f32, f32)> = chain.iter().flatten().copied().collect();
        if pts.len() < 2 {
            return prior;
        }
        for (i, q) in pts.iter().enumerate() {
            prior.line[i] = *q;
        }
        prior.n_line = pts.len();
        // Scale from the chain's segment lengths when the whole chain is visible.
        if chain.iter().all(|c| c.is_some()) {
            let len: f32 = pts
                .windows(2)
                .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
                .sum();
            let px_per_cm = len / TYPICAL_CHAIN_CM;
            prior.r_expected = Some(0.5 * self.cfg.diameter_cm * px_per_cm);
        }
        let (min_x, max_x) = pts
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), q| (a.min(q.0), b.max(q.0)));
        let min_y = pts.iter().map(|q| q.1).fold(f32::INFINITY, f32::min);
        let margin = BAND_MARGIN_FRAC * rows as f32;
        let x0 = ((min_x - 2.0 * margin).max(0.0) as i32).min(cols - 2);
        let x1 = ((max_x + 2.0 * margin).min(cols as f32) as i32).max(x0 + 2);
        let y0 = ((min_y - margin).max(0.0) as i32).min(rows - 2);
        prior.rect = Rect::new(x0, y0, x1 - x0, rows - y0);
        prior
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
        let prior = self.body_prior(rows, cols, pose);
        let (min_r, max_r) = match prior.r_expected {
            Some(r) => ((r * RADIUS_RANGE.0).max(4.0) as i32, (r * RADIUS_RANGE.1) as i32),
            None => (
                (self.cfg.min_radius_frac * rows as f32).max(4.0) as i32,
                (self.cfg.max_radius_frac * rows as f32) as i32,
            ),
        };
        let max_r = max_r.max(min_r + 2);
        // Candidates from the gray image and from the colour saturation (foam rollers are usually saturated colours,
        // often on a dark mat where gray contrast is low).
        imgproc::cvt_color(image_bgr, &mut self.gray, imgproc::COLOR_BGR2GRAY, 0)?;
        imgproc::cvt_color(image_bgr, &mut self.hsv, imgproc::COLOR_BGR2HSV, 0)?;
        core::extract_channel(&self.hsv, &mut self.sat, 1)?;
        self.cands.clear();
        for channel in 0..2 {
            let src = if channel == 0 { &self.gray } else { &self.sat };
            imgproc::gaussian_blur(src, &mut self.blur, Size::new(7, 7), 1.5, 1.5, core::BORDER_DEFAULT)?;
            let band = Mat::roi(&self.blur, prior.rect)?;
            imgproc::hough_circles(
                &band,
                &mut self.circles,
                imgproc::HOUGH_GRADIENT,
                1.0,
                min_r as f64,
                self.cfg.canny_high,
                self.cfg.votes,
                min_r,
                max_r,
            )?;
            let n = self.circles.len();
            for (rank, c) in self.circles.iter().enumerate() {
                let rank_score = 1.0 - rank as f32 / (n as f32 + 1.0);
                self.cands
                    .push((c[0] + prior.rect.x as f32, c[1] + prior.rect.y as f32, c[2], rank_score));
            }
        }

        // The best candidate on its own merits; closeness to the previous roller is left to `update`, so that a
        // wrong first lock cannot keep winning on proximity alone.
        let mut best: Option<(f32, RollerObs)> = None;
        for i in 0..self.cands.len() {
            let (cx, cy, r, rank_score) = self.cands[i];
            let mut score = rank_score;
            if prior.n_line >= 2 {
                // The roller lies under the body: its top a little below the body line (soft tissue).
                let Some(gap_r) = prior.gap_below_line(cx, cy, r) else {
                    continue;
                };
                if !(GAP_RANGE_R.0..=GAP_RANGE_R.1).contains(&gap_r) {
                    continue;
                }
                score += 2.0 * (-((gap_r - GAP_TYPICAL_R).abs() - GAP_SLACK_R).max(0.0)).exp();
            }
            if let Some(re) = prior.r_expected {
                score += (1.0 - (r - re).abs() / re).max(0.0);
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
            ..Default::default()
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
            ..Default::default()
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
            ..Default::default()
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
    fn body_prior_prefers_the_disc_under_the_body() {
        use crate::landmarks::Keypoint;
        // Body line at y=300 from the shoulders (x=150) to the ankles (x=500): 350 px for a ~132 cm chain, so a
        // 15 cm roller should have r ~ 20 px and sit just below the line.
        let mut pose = Pose {
            score: 1.0,
            ..Pose::default()
        };
        for (l, r, x) in [
            (idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER, 150.0),
            (idx::LEFT_HIP, idx::RIGHT_HIP, 280.0),
            (idx::LEFT_KNEE, idx::RIGHT_KNEE, 390.0),
            (idx::LEFT_ANKLE, idx::RIGHT_ANKLE, 500.0),
        ] {
            for i in [l, r] {
                pose.keypoints[i] = Keypoint {
                    x,
                    y: 300.0,
                    visibility: 0.9,
                };
            }
        }
        let roller = obs(330.0, 338.0, 20.0);
        // A same-size disc far below the body (a ball on the floor) and a large one at the side.
        let img = frame_with(&[
            (roller, [200, 60, 60]),
            (obs(240.0, 445.0, 20.0), [60, 60, 230]),
            (obs(580.0, 380.0, 45.0), [60, 230, 60]),
        ]);
        let mut det = RollerDetector::new(RollerConfig::default());
        let got = det.detect(&img, Some(&pose)).unwrap().expect("found");
        assert!(
            (got.cx - roller.cx).abs() < 3.0 && (got.cy - roller.cy).abs() < 3.0,
            "{got:?}"
        );
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
