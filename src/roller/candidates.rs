//! Roller candidates: where a roller might be. `CandidateSource` is the seam for any detector: the learned model
//! (`LearnedSource`, models/roller_detector.onnx) and the classical Hough circles (`HoughSource`); `verify` then
//! keeps only candidates that look like a real roller under the body.

use opencv::core::{self, Mat, Rect, Size, Vec3f, Vector};
use opencv::imgproc;
use opencv::prelude::*;

use super::body::BodyPrior;
use super::crop::Crop;
use super::learned::RollerModel;
use super::RollerError;
use crate::landmarks::{RollerObs, ToolKind};

/// A possible roller, image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub cx: f32,
    pub cy: f32,
    pub r: f32,
    /// The source's own score (higher = better), 0..1.
    pub score: f32,
    /// The cylinder's axis end points when the source sees its extent.
    pub axis: Option<[[f32; 2]; 2]>,
    pub origin: Origin,
    /// Whether this candidate may start a track (and build a challenger): every circle (its verification scores
    /// it) and a learned one at its source's start confidence or above (`LearnedSource`). A weaker learned
    /// candidate may only continue a track already confirmed.
    pub starts_track: bool,
}

/// Which kind of source proposed a candidate: it decides how the candidate is verified.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Origin {
    /// A circle fit to edges: only the end face is seen; verified by its rim and its place under the body.
    Circle,
    /// The learned detector: it has seen the whole tool (end face, body of the cylinder, the person on it) and
    /// gives its kind and, when the tool is under the body, the contact point.
    Learned { kind: ToolKind, contact: Option<[f32; 2]> },
}

impl Origin {
    /// Whether the learned detector called it a massage ball.
    pub fn is_ball(&self) -> bool {
        matches!(self, Origin::Learned { kind: ToolKind::Ball, .. })
    }
}

/// Anything that proposes roller candidates for one frame.
pub trait CandidateSource: Send {
    /// Appends candidates (image pixels) to `out`. `frame` is the whole BGR frame, `crop` its downscaled working
    /// crop around the body.
    fn propose(&mut self, frame: &Mat, crop: &Crop, prior: &BodyPrior, out: &mut Vec<Candidate>)
        -> Result<(), RollerError>;

    /// Whether its candidates are circles fitted to edges (`Origin::Circle`).
    fn fits_circles(&self) -> bool {
        false
    }

    /// Told before each frame whether a tool is confirmed (tracked); a source may look less widely while none is.
    fn set_tool_confirmed(&mut self, _confirmed: bool) {}
}

/// The learned detector run on the square crop around the person it was trained on (the crop is resampled from
/// the frame straight to the network's input size, so the cost does not depend on the frame size).
pub struct LearnedSource {
    model: RollerModel,
    found: Vec<RollerObs>,
}

impl LearnedSource {
    /// Reports candidates down to [`super::learned::TRACK_MIN_CONFIDENCE`]: the weaker ones may only continue a
    /// confirmed track (`Candidate::starts_track`); from [`super::learned::MIN_CONFIDENCE`] they may start one
    /// (a roller also needs its axis clear of the person: `verify::MAX_AXIS_INSIDE_TO_START`).
    pub fn new(mut model: RollerModel) -> Self {
        model.min_confidence = super::learned::TRACK_MIN_CONFIDENCE;
        Self { model, found: Vec::with_capacity(super::learned::MAX_CANDIDATES) }
    }

    fn candidate(&self, o: &RollerObs) -> Candidate {
        Candidate {
            cx: o.cx,
            cy: o.cy,
            r: o.r,
            score: o.confidence,
            axis: o.axis,
            origin: Origin::Learned { kind: o.kind, contact: o.contact },
            starts_track: may_start_track(o),
        }
    }
}

/// Whether a learned detection's confidence lets it start a track.
fn may_start_track(o: &RollerObs) -> bool {
    o.confidence >= super::learned::MIN_CONFIDENCE
}

impl CandidateSource for LearnedSource {
    /// The person square's tools, then the balls of the torso square (its rollers are seen whole in the person
    /// square; a roller read from the torso's close-up alone would be a new source of false rollers).
    fn propose(&mut self, frame: &Mat, _crop: &Crop, prior: &BodyPrior, out: &mut Vec<Candidate>)
        -> Result<(), RollerError> {
        if let Some(square) = prior.person_square {
            self.model.detect_into(frame, &square, &mut self.found)?;
            out.extend(self.found.iter().map(|o| self.candidate(o)));
        }
        if let Some(torso) = prior.torso_square {
            self.model.detect_into(frame, &torso, &mut self.found)?;
            out.extend(self.found.iter().filter(|o| o.kind == ToolKind::Ball).map(|o| self.candidate(o)));
        }
        Ok(())
    }
}

/// Searched radius range around the radius a standard roller (`body::SEARCH_DIAMETER_CM`) would have at the body's
/// size (body proportions vary ~±25% and rollers are 10-20 cm across).
pub const RADIUS_RANGE: (f32, f32) = (0.6, 1.6);
/// Smallest radius searched in the crop, px (below this a circle fit is noise).
const MIN_CROP_RADIUS: f32 = 4.0;
/// Canny high threshold of the Hough gradient method (OpenCV's documented typical value is 100; lower finds the
/// low-contrast end faces of dark rollers on dark mats in the renders).
const CANNY_HIGH: f64 = 60.0;
/// Accumulator threshold of the Hough gradient method (lower = more circles; verification removes the extra ones).
const VOTES: f64 = 14.0;
/// Most circles kept per channel, best-voted first.
const MAX_PER_CHANNEL: usize = 12;

/// Hough circles on the gray and the saturation channel (foam rollers are often saturated colours on a dark mat where
/// gray contrast is low).
#[derive(Default)]
pub struct HoughSource {
    /// A tool is confirmed: circles are fitted over the whole crop (`propose`).
    tool_confirmed: bool,
    gray: Mat,
    hsv: Mat,
    sat: Mat,
    blur: Mat,
    circles: Vector<Vec3f>,
}

impl CandidateSource for HoughSource {
    fn propose(&mut self, _frame: &Mat, crop: &Crop, prior: &BodyPrior, out: &mut Vec<Candidate>)
        -> Result<(), RollerError> {
        let r_crop = prior.r_expected * crop.scale;
        let min_r = (r_crop * RADIUS_RANGE.0).max(MIN_CROP_RADIUS);
        let max_r = (r_crop * RADIUS_RANGE.1).max(min_r + 2.0);
        // While no tool is confirmed, circles are fitted only where one could pass `verify` (under the lying body
        // segments, above the floor): on a real scene with no roller Hough finds 100-128 centres per channel over
        // the whole crop and sizes each (7-8 ms per frame on samples/bridging.mp4). Someone upright has no segment
        // to lie on a roller: no circle is fitted at all. Once a tool is confirmed the whole crop is searched as
        // before: the best-12 cut per channel then ranks the tool's circle among all of the crop's circles, and
        // with the region alone it_band_clean's first pass read 0.79 of the true speed instead of 0.89 (tests/
        // scale.rs), the roller's centre no worse.
        let Some(region) = circle_region(crop, prior, min_r / crop.scale, max_r / crop.scale) else {
            return Ok(());
        };
        let region = if self.tool_confirmed { Rect::new(0, 0, crop.bgr.cols(), crop.bgr.rows()) } else { region };
        imgproc::cvt_color(&crop.bgr, &mut self.gray, imgproc::COLOR_BGR2GRAY, 0)?;
        imgproc::cvt_color(&crop.bgr, &mut self.hsv, imgproc::COLOR_BGR2HSV, 0)?;
        core::extract_channel(&self.hsv, &mut self.sat, 1)?;
        for channel in 0..2 {
            let src = if channel == 0 { &self.gray } else { &self.sat };
            imgproc::gaussian_blur(src, &mut self.blur, Size::new(5, 5), 1.2, 1.2, core::BORDER_DEFAULT)?;
            imgproc::hough_circles(
                &Mat::roi(&self.blur, region)?,
                &mut self.circles,
                imgproc::HOUGH_GRADIENT,
                1.0,
                min_r as f64,
                CANNY_HIGH,
                VOTES,
                min_r.floor() as i32,
                max_r.ceil() as i32,
            )?;
            let n = self.circles.len().min(MAX_PER_CHANNEL);
            for (rank, c) in self.circles.iter().take(n).enumerate() {
                let (cx, cy) = crop.to_image(c[0] + region.x as f32, c[1] + region.y as f32);
                out.push(Candidate {
                    cx,
                    cy,
                    r: c[2] / crop.scale,
                    score: 1.0 - rank as f32 / (n as f32 + 1.0),
                    axis: None,
                    origin: Origin::Circle,
                    starts_track: true,
                });
            }
        }
        Ok(())
    }

    fn fits_circles(&self) -> bool {
        true
    }

    fn set_tool_confirmed(&mut self, confirmed: bool) {
        self.tool_confirmed = confirmed;
    }
}

/// The part of the crop where a circle of radius `r_min..=r_max` (image px) could pass verification
/// ([`super::verify::circle_box`]), in crop pixels; `None` when there is none.
fn circle_region(crop: &Crop, prior: &BodyPrior, r_min: f32, r_max: f32) -> Option<Rect> {
    let (x0, y0, x1, y1) = super::verify::circle_box(prior, r_min, r_max)?;
    let (a, b) = (crop.to_crop(x0, y0), crop.to_crop(x1, y1));
    let (w, h) = (crop.bgr.cols(), crop.bgr.rows());
    let (left, top) = ((a.0.floor() as i32).clamp(0, w), (a.1.floor() as i32).clamp(0, h));
    let (right, bottom) = ((b.0.ceil() as i32).clamp(0, w), (b.1.ceil() as i32).clamp(0, h));
    (right > left && bottom > top).then(|| Rect::new(left, top, right - left, bottom - top))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roller::learned::{MIN_CONFIDENCE, TRACK_MIN_CONFIDENCE};

    fn seen(kind: ToolKind, confidence: f32) -> RollerObs {
        RollerObs { cx: 0.0, cy: 0.0, r: 10.0, confidence, axis: None, contact: None, kind }
    }

    #[test]
    fn only_detections_from_the_held_out_threshold_start_tracks() {
        let between = 0.5 * (MIN_CONFIDENCE + TRACK_MIN_CONFIDENCE);
        for kind in [ToolKind::Roller, ToolKind::Ball] {
            assert!(!may_start_track(&seen(kind, between)));
            assert!(may_start_track(&seen(kind, MIN_CONFIDENCE)));
        }
    }
}
