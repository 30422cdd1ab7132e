//! Foam-roller detection. All image work runs on a downscaled crop around the body (`crop`), so the cost does not
//! depend on the input resolution. Per frame: the body prior from the pose (`body`), candidates from a
//! `CandidateSource` (Hough circles, `candidates`), verification that a candidate is a real roller under the body
//! (`verify`), and a tracker with hysteresis and constant size/colour priors (`tracker`) that reports "no roller"
//! until one has been seen steadily. The body contact comes from `contact`. The roller's real
//! diameter gives the image scale (`px_per_cm`).

mod body;
mod candidates;
mod contact;
mod crop;
pub mod learned;
mod tracker;
mod verify;

use opencv::core::{self, Mat, Point, Scalar};
use opencv::imgproc;
use opencv::prelude::*;
use thiserror::Error;

use crate::landmarks::{Pose, RollerObs, ToolKind};
use crate::pose::PersonMask;

pub use body::{BodyPrior, Segment};
pub use candidates::{Candidate, CandidateSource, HoughSource, LearnedSource, Origin};
pub use crop::{Crop, CROP_LONG_SIDE};
pub use tracker::{HOLD_S, ON_S};
pub use verify::Verified;

#[derive(Debug, Error)]
pub enum RollerError {
    #[error("roller detection: {0}")]
    OpenCv(#[from] opencv::Error),
    #[error("roller detection: {0}")]
    Learned(#[from] learned::RollerModelError),
    #[error("roller detection: expected an 8-bit BGR image, got type {typ} with {channels} channels")]
    BadImage { typ: i32, channels: i32 },
}

/// Which candidate sources find the roller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RollerMethod {
    /// The learned detector (models/roller_detector.onnx): any view, rollers and massage balls.
    Learned,
    /// Hough circles on the roller's end face (side views only, rollers only).
    Circles,
    /// Default: Hough circles first, then the learned detector for massage balls (also on a square around the
    /// torso, where a ball is large enough to see) and rollers in any view: not at all once a circle's clean end
    /// face locates the confirmed roller, and for rollers only while a clean end face is in view. Learned
    /// candidates start and continue tracks as with `learned` (a roller lying inside the person's outline starts
    /// none: `verify::MAX_AXIS_INSIDE_TO_START`).
    #[default]
    Auto,
    /// Both: a learned candidate outranks a circle and takes its end face from an agreeing one. Measured: finds
    /// the roller in oblique views where circles find none (tests/samples_truth.rs validation table), and the 10
    /// first side-view renders pass with it; not yet the default because tests/scale.rs reads it_band_clean's one
    /// pass 27 % slow with it (limit 20 %; circles 20 %).
    Both,
}

/// Detector settings.
#[derive(Debug, Clone, PartialEq)]
pub struct RollerConfig {
    /// How long a confirmed roller is held through misses before it is dropped, s.
    pub hold_s: f64,
    pub method: RollerMethod,
}

impl Default for RollerConfig {
    fn default() -> Self {
        Self {
            hold_s: HOLD_S,
            method: RollerMethod::default(),
        }
    }
}

/// Pixels per cm given the roller in the image and its real diameter.
pub fn px_per_cm(obs: &RollerObs, diameter_cm: f32) -> f32 {
    2.0 * obs.r / diameter_cm
}

pub struct RollerDetector {
    cfg: RollerConfig,
    crop: Crop,
    sources: Vec<Box<dyn CandidateSource>>,
    cands: Vec<Candidate>,
    verified: Vec<Verified>,
    tracker: tracker::Tracker,
    /// When circles were last fitted, s (`circles_due`).
    last_circles_t: Option<f64>,
}


impl RollerDetector {
    /// The detector with the classical candidate source.
    pub fn new(cfg: RollerConfig) -> Self {
        Self::with_sources(cfg, vec![Box::new(HoughSource::default())])
    }

    /// The detector `cfg.method` asks for; the learned model is loaded (and its checksum checked) from `models_dir`
    /// with `threads` ONNX Runtime threads.
    pub fn load(cfg: RollerConfig, models_dir: &std::path::Path, threads: usize) -> Result<Self, RollerError> {
        let learned = || -> Result<Box<dyn CandidateSource>, RollerError> {
            Ok(Box::new(LearnedSource::new(learned::RollerModel::load(models_dir, threads)?)))
        };
        let sources = match cfg.method {
            RollerMethod::Learned => vec![learned()?],
            RollerMethod::Circles => vec![Box::new(HoughSource::default()) as Box<dyn CandidateSource>],
            RollerMethod::Both => vec![learned()?, Box::new(HoughSource::default())],
            RollerMethod::Auto => vec![
                Box::new(HoughSource::default()) as Box<dyn CandidateSource>,
                Box::new(LearnedSource::new(learned::RollerModel::load(models_dir, threads)?)),
            ],
        };
        Ok(Self::with_sources(cfg, sources))
    }

    /// The detector with the given candidate sources (all are asked every frame).
    pub fn with_sources(cfg: RollerConfig, sources: Vec<Box<dyn CandidateSource>>) -> Self {
        Self {
            cfg,
            crop: Crop::default(),
            sources,
            cands: Vec::with_capacity(64),
            verified: Vec::with_capacity(16),
            tracker: tracker::Tracker::default(),
            last_circles_t: None,
        }
    }

    pub fn config(&self) -> &RollerConfig {
        &self.cfg
    }

    /// Forgets the temporal state (new clip).
    pub fn reset(&mut self) {
        self.tracker.reset();
        self.last_circles_t = None;
    }

    /// Whether circles are fitted on the frame at `t`: on every frame, except in `auto` while the confirmed tool is
    /// one the learned detector locates and no circle has been locating (no end face seen round): then every
    /// [`IMPRECISE_CIRCLES_EVERY_S`], which is enough to see an end face come into view (an agreeing circle makes
    /// the track precise again, and then circles are fitted on every frame).
    fn circles_due(&self, t: f64) -> bool {
        let learned_located = self.cfg.method == RollerMethod::Auto
            && self.tracker.confirmed().is_some_and(|tr| tr.learned_kind().is_some() && !tr.located_by_end_face());
        !learned_located || self.last_circles_t.map_or(true, |t0| t - t0 >= IMPRECISE_CIRCLES_EVERY_S - 1e-9)
    }

    /// Candidates from every source (the circles only when `circles`), verified, into `self.verified`.
    /// A clean end face takes the torso square out of `prior` (see `stop_looking_for_balls`).
    fn search(&mut self, image_bgr: &Mat, prior: Option<&mut BodyPrior>, mask: Option<&PersonMask>, circles: bool)
        -> Result<(), RollerError> {
        self.verified.clear();
        if let Some(prior) = prior {
            self.crop.fill(image_bgr, prior.crop)?;
            let confirmed = self.tracker.confirmed().is_some();
            let face = self.tracker.confirmed().and_then(tracker::Track::end_face);
            let seen = verify::Seen { mask, face: face.as_ref() };
            for s in self.sources.iter_mut().filter(|s| circles || !s.fits_circles()) {
                // `auto` asks the circles first. With a roller's clean end face in view the learned detector's balls
                // are not kept: a ball lying by the body had taken the place of the roller someone was rolling on
                // (a rendered quads clip with a ball among the clutter; learned candidates outrank circles,
                // `verify::LEARNED_SCORE_BASE`), while a ball in use still outranks the weak circles fitted to knees
                // and shoes. Its rollers are kept until the circles locate a confirmed roller (then it is not run):
                // in oblique views Hough fits clean circles of changing size to the end face's ellipse, and with the
                // learned pass stopped by them no track was confirmed for 2.5 s where the model saw the roller at
                // 0.77 in every frame (d_quads_az30_el35, a development clip).
                let clean = self.cfg.method == RollerMethod::Auto && has_clean_circle(&self.verified);
                if clean && face.is_some() {
                    break;
                }
                if clean {
                    stop_looking_for_balls(prior);
                }
                self.cands.clear();
                s.set_tool_confirmed(confirmed);
                s.propose(image_bgr, &self.crop, prior, &mut self.cands)?;
                let kept = self.cands.iter().filter(|c| !(clean && c.origin.is_ball()));
                self.verified.extend(kept.filter_map(|c| verify::verify(c, prior, &self.crop, seen)));
            }
            refine_with_circles(&mut self.verified);
        }
        Ok(())
    }

    /// Detects the roller in a BGR frame taken at `t` (s; the tracking's spans are in seconds) under the body `pose`;
    /// `mask` (the person segmentation, if the pose model gives one) rules out candidates inside the person. Without a
    /// pose there is no body to roll: no roller.
    pub fn detect(
        &mut self,
        image_bgr: &Mat,
        t: f64,
        pose: Option<&Pose>,
        mask: Option<&PersonMask>,
    ) -> Result<Option<RollerObs>, RollerError> {
        if image_bgr.typ() != core::CV_8UC3 {
            return Err(RollerError::BadImage {
                typ: image_bgr.typ(),
                channels: image_bgr.channels(),
            });
        }
        let mut prior = pose.and_then(|p| BodyPrior::from_pose(p, image_bgr.cols(), image_bgr.rows()));
        if let Some(p) = prior.as_mut().filter(|_| self.cfg.method == RollerMethod::Auto) {
            look_where_the_tracked_tool_is_seen(p, self.tracker.confirmed().and_then(tracker::Track::learned_kind));
        }
        // Every frame is searched: holding a confirmed roller between searches (every 3rd frame was tried) moved it in
        // steps and read 4 of the 10 first renders' speeds 20-40 % off (tests/samples_truth.rs). The live loop sheds
        // whole roller steps under load instead (`live::budget`), keeping the last roller.
        let circles = self.circles_due(t);
        if circles {
            self.last_circles_t = Some(t);
        }
        self.search(image_bgr, prior.as_mut(), mask, circles)?;
        let found = self.tracker.step(t, &self.verified, circles, self.cfg.hold_s);
        let Some((track, confidence)) = found else {
            return Ok(None);
        };
        let circle = (track.cx, track.cy, track.r);
        let segment = prior
            .as_ref()
            .and_then(|p| verify::segment_above(p, &track.last.cand).map(|(s, _)| s))
            .unwrap_or(track.last.segment);
        // Only a source that sees the cylinder's extent gives an axis; Hough circles see the end face alone. The
        // track smooths it and it starts at the smoothed end face.
        let axis = track.axis().filter(|a| axis_seen(a, track.r));
        let kind = track.kind();
        Ok(Some(RollerObs {
            cx: track.cx,
            cy: track.cy,
            r: track.r,
            confidence,
            axis,
            contact: Some(contact::contact(&segment, circle, axis)),
            kind,
        }))
    }
}

/// With a tool confirmed that the learned detector has seen, `auto`'s learned detector looks only where that kind
/// is seen: a roller in the person square, a ball in the torso square. Both passes with the circles took 5-6 ms per
/// frame on an oblique roller clip and a ball clip (`bench`, 640x480-3840x2160; issue 16's bar is 4 ms); each pass
/// alone 1.5-2 ms. A tool of the other kind is looked for again once the track has ended. A track only circles saw
/// narrows nothing: a circle under a seated person's calf had hidden the ball under the buttock (a development
/// glutes-on-a-ball clip).
fn look_where_the_tracked_tool_is_seen(prior: &mut BodyPrior, tracked: Option<ToolKind>) {
    match tracked {
        Some(ToolKind::Roller) => prior.torso_square = None,
        Some(ToolKind::Ball) => prior.person_square = None,
        None => {}
    }
}

/// With a roller's clean end face in view `auto` keeps none of the learned detector's balls (`search`), so the
/// torso square, from which it takes balls only (`LearnedSource`), is not looked at: 1.3 ms of the learned pass.
fn stop_looking_for_balls(prior: &mut BodyPrior) {
    prior.torso_square = None;
}

/// How often `auto` fits circles to a confirmed tool that only the learned detector locates, s (`circles_due`): the
/// circles cost 2.7-3.1 ms per frame and the learned pass about 2 ms on an oblique roller clip (`bench`), over the
/// 4 ms per frame of issue 16 together. Every 3rd frame at 15 fps, every 6th at 30 fps.
const IMPRECISE_CIRCLES_EVERY_S: f64 = 0.2;

/// A learned axis whose half length is under this many radii is a roller seen end-on: its direction is noise, so it
/// is not used (for a 45 cm roller of 15 cm diameter, 1 r is a camera about 20 deg off the roller's axis; the
/// learned axis ends are off by ~0.3-0.7 r on held-out renders, tools/train_roller/roller_detector.metrics.json).
const END_ON_HALF_LEN_R: f32 = 1.0;
/// A verified circle agrees with a learned candidate when its centre is within this many radii of the learned end
/// face (the axis end nearer the camera, or the centre without an axis) and its radius within `AGREE_SIZE` of it.
const AGREE_R: f32 = 1.0;
const AGREE_SIZE: (f32, f32) = (0.7, 1.4);

fn axis_seen(axis: &[[f32; 2]; 2], r: f32) -> bool {
    let [p, q] = axis;
    0.5 * (q[0] - p[0]).hypot(q[1] - p[1]) >= END_ON_HALF_LEN_R * r
}

/// Learned candidates take their end face from an agreeing circle: the learned detector says what and where the tool
/// is, a circle fit to the end face's edge locates it more precisely (the learned centre jitters by ~0.2-0.4 r from
/// frame to frame, which reads as speed). The candidate keeps its learned kind, score and contact offset; its axis
/// becomes zero-length (a round end face is a roller pointing at the camera).
fn refine_with_circles(verified: &mut [Verified]) {
    let circles: Vec<(Candidate, f32)> =
        verified.iter().filter(|v| v.cand.origin == Origin::Circle).map(|v| (v.cand, v.score)).collect();
    for v in verified.iter_mut() {
        let Origin::Learned { kind, contact } = v.cand.origin else { continue };
        let c = &v.cand;
        let face = c.axis.filter(|a| axis_seen(a, c.r)).map_or([c.cx, c.cy], |a| a[0]);
        let dist = |o: &Candidate| (o.cx - face[0]).hypot(o.cy - face[1]);
        let agrees = |o: &&(Candidate, f32)| {
            dist(&o.0) <= AGREE_R * c.r && (AGREE_SIZE.0..=AGREE_SIZE.1).contains(&(o.0.r / c.r))
        };
        // Of the agreeing circles the best verified one (rim, gap, size), not the nearest: the learned face is only
        // ~0.3 r precise, so the nearest circle was at times a weaker one beside the end face, and the track jumped.
        let Some((o, _)) = circles.iter().filter(agrees).max_by(|a, b| a.1.total_cmp(&b.1)) else { continue };
        let (dx, dy) = (o.cx - face[0], o.cy - face[1]);
        let shift = |p: [f32; 2]| [p[0] + dx, p[1] + dy];
        v.cand = Candidate {
            cx: c.cx + dx,
            cy: c.cy + dy,
            r: o.r,
            // A circle fits the end face only when it looks round, i.e. the roller points at the camera: its
            // cylinder is then foreshortened to nothing, whatever axis the model drew (in side views of the first
            // renders it drew one 2-3 r long along the body). Zero length, so the track's axis shrinks.
            axis: c.axis.map(|_| [[o.cx, o.cy]; 2]),
            origin: Origin::Learned { kind, contact: contact.map(shift) },
            ..*c
        };
        v.precise = true;
    }
}

/// A circle whose rim is found on this share of its edge samples is a roller's clean end face (`verify`: rims of
/// real end faces 0.91-1.0 on a rendered quads clip, circles around a seated person's knee 0.53-0.62 on a
/// development glutes-on-a-ball clip; chosen between the two after seeing the quads clip, a validation clip).
const CLEAN_END_FACE_SUPPORT: f32 = 0.8;

/// Whether a verified circle shows a roller's clean end face.
fn has_clean_circle(verified: &[Verified]) -> bool {
    verified.iter().any(|v| v.cand.origin == Origin::Circle && v.support >= CLEAN_END_FACE_SUPPORT)
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
    use crate::landmarks::{idx, Keypoint};
    use opencv::core::Rect;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    const BG: f64 = 60.0;

    /// A lying body line at y=300 from the shoulders (x=150) to the ankles (x=500): 350 px for a ~132 cm chain, so a
    /// 15 cm roller has r ~ 20 px and sits just below the line. `vertical` stands the same chain up instead.
    fn body_pose(vertical: bool) -> Pose {
        let mut pose = Pose { score: 1.0, ..Pose::default() };
        for (l, r, s) in [
            (idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER, 150.0),
            (idx::LEFT_HIP, idx::RIGHT_HIP, 280.0),
            (idx::LEFT_KNEE, idx::RIGHT_KNEE, 390.0),
            (idx::LEFT_ANKLE, idx::RIGHT_ANKLE, 500.0),
        ] {
            let (x, y) = if vertical { (320.0, s - 100.0) } else { (s, 300.0) };
            for i in [l, r] {
                pose.keypoints[i] = Keypoint { x, y, visibility: 0.9 };
            }
        }
        pose
    }

    fn frame(discs: &[((f32, f32, f32), [u8; 3], i32)]) -> Mat {
        let mut img = Mat::new_rows_cols_with_default(480, 640, core::CV_8UC3, Scalar::all(BG)).unwrap();
        let body = Scalar::new(150.0, 140.0, 130.0, 0.0);
        imgproc::rectangle(&mut img, Rect::new(100, 285, 420, 30), body, -1, imgproc::LINE_8, 0).unwrap();
        for &((cx, cy, r), c, thickness) in discs {
            let colour = Scalar::new(c[0] as f64, c[1] as f64, c[2] as f64, 0.0);
            let centre = Point::new(cx as i32, cy as i32);
            imgproc::circle(&mut img, centre, r as i32, colour, thickness, imgproc::LINE_AA, 0).unwrap();
        }
        img
    }

    const ROLLER: (f32, f32, f32) = (330.0, 338.0, 20.0);
    const ORANGE: [u8; 3] = [40, 120, 230];

    /// Frame interval of the tests' frames, s (15 fps, the rendered samples' rate).
    const DT: f64 = 1.0 / 15.0;
    /// Frames of a steady roller before it is reported at 15 fps: `tracker::ON_MIN_HITS` hits, which at 15 fps is
    /// also the first frame and `ON_S` after it.
    const ON_FRAMES: usize = tracker::ON_MIN_HITS as usize;

    /// Runs `n` frames at 15 fps from `det`'s clock `t` (advanced).
    fn run(det: &mut RollerDetector, t: &mut f64, img: &Mat, pose: &Pose, mask: Option<&PersonMask>, n: usize) -> Vec<bool> {
        (0..n)
            .map(|_| {
                *t += DT;
                det.detect(img, *t, Some(pose), mask).unwrap().is_some()
            })
            .collect()
    }

    #[test]
    fn reports_a_steady_roller_under_the_body_only_after_the_on_frames() {
        let img = frame(&[(ROLLER, ORANGE, -1), ((240.0, 445.0, 20.0), [230, 60, 60], -1)]);
        let mut det = RollerDetector::new(RollerConfig::default());
        let mut t = 0.0;
        let seen = run(&mut det, &mut t, &img, &body_pose(false), None, ON_FRAMES + 2);
        assert!(seen[..ON_FRAMES - 1].iter().all(|s| !s), "{seen:?}");
        assert!(seen[ON_FRAMES - 1..].iter().all(|s| *s), "{seen:?}");
        let got = det.detect(&img, t + DT, Some(&body_pose(false)), None).unwrap().unwrap();
        assert!((got.cx - ROLLER.0).abs() < 3.0 && (got.cy - ROLLER.1).abs() < 3.0, "{got:?}");
        assert!((got.r - ROLLER.2).abs() < 3.0, "{got:?}");
        // End-on: the contact is on the body line right above the centre.
        let c = got.contact.unwrap();
        assert!((c[0] - ROLLER.0).abs() < 3.0 && (c[1] - 300.0).abs() < 1.0, "{c:?}");
        assert!((px_per_cm(&got, 15.0) - 2.0 * got.r / 15.0).abs() < 1e-4);
    }

    #[test]
    fn a_flicker_shorter_than_the_on_frames_is_never_reported() {
        let with = frame(&[(ROLLER, ORANGE, -1)]);
        let without = frame(&[]);
        let mut det = RollerDetector::new(RollerConfig::default());
        let pose = body_pose(false);
        let mut t = 0.0;
        for _ in 0..4 {
            let mut seen = run(&mut det, &mut t, &with, &pose, None, ON_FRAMES - 1);
            seen.extend(run(&mut det, &mut t, &without, &pose, None, 3));
            assert!(seen.iter().all(|s| !s), "{seen:?}");
        }
    }

    #[test]
    fn no_roller_under_a_standing_body_or_without_a_body() {
        // The same disc at the feet of a standing person (all segments steep): nothing to lie on.
        let img = frame(&[((330.0, 445.0, 20.0), ORANGE, -1)]);
        let mut det = RollerDetector::new(RollerConfig::default());
        let mut t = 0.0;
        assert!(run(&mut det, &mut t, &img, &body_pose(true), None, 12).iter().all(|s| !s));
        assert!((0..12).all(|i| det.detect(&img, t + i as f64 * DT, None, None).unwrap().is_none()));
    }

    /// A learned detector that sees the same candidate every frame.
    struct SteadyLearned(Candidate);

    impl CandidateSource for SteadyLearned {
        fn propose(&mut self, _: &Mat, _: &Crop, _: &BodyPrior, out: &mut Vec<Candidate>) -> Result<(), RollerError> {
            out.push(self.0);
            Ok(())
        }
    }

    fn learned_roller(axis: [[f32; 2]; 2], contact: [f32; 2]) -> Candidate {
        let centre = [0.5 * (axis[0][0] + axis[1][0]), 0.5 * (axis[0][1] + axis[1][1])];
        Candidate {
            cx: centre[0],
            cy: centre[1],
            r: 20.0,
            score: learned::MIN_CONFIDENCE,
            axis: Some(axis),
            origin: Origin::Learned { kind: ToolKind::Roller, contact: Some(contact) },
            starts_track: true,
        }
    }

    #[test]
    fn a_learned_roller_lying_inside_the_person_starts_no_track() {
        let img = frame(&[]);
        // The person mask covers the body band, y 280-320 (a quarter of the image resolution).
        let (w, h) = (160usize, 120usize);
        let mut data = vec![0u8; w * h];
        for v in 70..80 {
            data[v * w + 25..v * w + 130].fill(255);
        }
        let mask = PersonMask { width: w, height: h, scale: 4.0, data };
        let pose = body_pose(false);
        // Along the body line (an arm and a back on the mat, as on samples/bridging.mp4): never a roller.
        let along = learned_roller([[180.0, 305.0], [420.0, 305.0]], [300.0, 300.0]);
        let mut det = RollerDetector::with_sources(RollerConfig::default(), vec![Box::new(SteadyLearned(along))]);
        let mut t = 0.0;
        assert!(run(&mut det, &mut t, &img, &pose, Some(&mask), 12).iter().all(|s| !s));
        // Across under the body, its axis leaving the person's outline: confirmed after the on frames.
        let across = learned_roller([[330.0, 300.0], [345.0, 380.0]], [330.0, 318.0]);
        let mut det = RollerDetector::with_sources(RollerConfig::default(), vec![Box::new(SteadyLearned(across))]);
        let seen = run(&mut det, &mut t, &img, &pose, Some(&mask), ON_FRAMES + 2);
        assert_eq!(seen.iter().position(|s| *s), Some(ON_FRAMES - 1), "{seen:?}");
    }

    #[test]
    fn a_candidate_inside_the_person_mask_is_not_a_roller() {
        let img = frame(&[(ROLLER, ORANGE, -1)]);
        // Person probability 1 over the body and the disc (a knee, say), at a quarter of the image resolution.
        let (w, h) = (160usize, 120usize);
        let mut data = vec![0u8; w * h];
        for v in 65..95 {
            for u in 20..135 {
                data[v * w + u] = 255;
            }
        }
        let mask = PersonMask { width: w, height: h, scale: 4.0, data };
        let mut det = RollerDetector::new(RollerConfig::default());
        let mut t = 0.0;
        assert!(run(&mut det, &mut t, &img, &body_pose(false), Some(&mask), 12).iter().all(|s| !s));
        // The same mask cleared below the body line: found.
        let mut clear = mask.clone();
        clear.data[78 * w..].fill(0);
        assert!(run(&mut det, &mut t, &img, &body_pose(false), Some(&clear), 12).last() == Some(&true));
    }

    #[test]
    fn a_tracked_end_face_is_kept_where_the_mask_bleeds_onto_it_but_not_under_a_limb_all_through() {
        let img = frame(&[(ROLLER, ORANGE, -1)]);
        let (w, h) = (160usize, 120usize);
        // Person 1.0 over the body (rows 65-78 at a quarter resolution), `below` from the body line down (the disc).
        let mask_with = |below: u8| {
            let mut data = vec![0u8; w * h];
            for v in 65..95 {
                for u in 20..135 {
                    data[v * w + u] = if v < 78 { 255 } else { below };
                }
            }
            PersonMask { width: w, height: h, scale: 4.0, data }
        };
        let (bleed, limb, clear) = (mask_with(178), mask_with(255), mask_with(0));
        let pose = body_pose(false);
        // No track: 0.7 person on the disc's lower half is a body part.
        let mut det = RollerDetector::new(RollerConfig::default());
        let mut t = 0.0;
        assert!(run(&mut det, &mut t, &img, &pose, Some(&bleed), 12).iter().all(|s| !s));
        // Confirmed on a clear mask, the same disc then continues its track through the bleeding mask
        // (longer than the hold) ...
        let mut det = RollerDetector::new(RollerConfig::default());
        assert!(run(&mut det, &mut t, &img, &pose, Some(&clear), 12).last() == Some(&true));
        assert!(run(&mut det, &mut t, &img, &pose, Some(&bleed), 30).iter().all(|s| *s));
        // ... but not through person all through: lost after the hold.
        assert!(run(&mut det, &mut t, &img, &pose, Some(&limb), 30).last() == Some(&false));
    }

    #[test]
    fn a_circle_around_a_hand_is_not_a_roller() {
        // The same disc with a visible wrist and index finger in its middle (a hand resting on the mat under the
        // raised thighs of a bridge, as on samples/bridging.mp4): the hand would cover a real end face there.
        let img = frame(&[(ROLLER, ORANGE, -1)]);
        let mut pose = body_pose(false);
        pose.keypoints[idx::LEFT_WRIST] = Keypoint { x: ROLLER.0 - 4.0, y: ROLLER.1, visibility: 0.9 };
        pose.keypoints[idx::LEFT_WRIST + 4] = Keypoint { x: ROLLER.0 + 4.0, y: ROLLER.1 + 2.0, visibility: 0.9 };
        let mut det = RollerDetector::new(RollerConfig::default());
        let mut t = 0.0;
        assert!(run(&mut det, &mut t, &img, &pose, None, 12).iter().all(|s| !s));
        // The hand beside the roller (on the floor past its rim): found.
        for k in [idx::LEFT_WRIST, idx::LEFT_WRIST + 4] {
            pose.keypoints[k].x += 2.0 * ROLLER.2;
        }
        assert!(run(&mut det, &mut t, &img, &pose, None, 12).last() == Some(&true));
    }

    #[test]
    fn a_circle_with_a_limb_across_its_face_is_not_a_roller() {
        // The same disc with an arm bent to an elbow in its middle (an elbow on the mat beside a person bridging):
        // the arm would lie in front of a real end face there.
        let img = frame(&[(ROLLER, ORANGE, -1)]);
        let mut pose = body_pose(false);
        pose.keypoints[idx::LEFT_ELBOW] = Keypoint { x: ROLLER.0, y: ROLLER.1 + 2.0, visibility: 0.9 };
        pose.keypoints[idx::LEFT_WRIST] = Keypoint { x: ROLLER.0 + 60.0, y: ROLLER.1 + 4.0, visibility: 0.9 };
        let mut det = RollerDetector::new(RollerConfig::default());
        let mut t = 0.0;
        assert!(run(&mut det, &mut t, &img, &pose, None, 12).iter().all(|s| !s));
        // The arm raised above the body, clear of the roller: found.
        pose.keypoints[idx::LEFT_ELBOW] = Keypoint { x: 200.0, y: 230.0, visibility: 0.9 };
        pose.keypoints[idx::LEFT_WRIST] = Keypoint { x: 260.0, y: 220.0, visibility: 0.9 };
        assert!(run(&mut det, &mut t, &img, &pose, None, 12).last() == Some(&true));
    }

    #[test]
    fn a_drawn_ring_without_a_solid_end_face_is_not_a_roller() {
        // A thin ring (a print on a mat or shirt): a circle for Hough, but the same colour inside and outside.
        let img = frame(&[(ROLLER, [230, 230, 230], 2)]);
        let mut det = RollerDetector::new(RollerConfig::default());
        let got: Vec<_> =
            (0..12).filter_map(|i| det.detect(&img, i as f64 * DT, Some(&body_pose(false)), None).unwrap()).collect();
        assert!(got.is_empty(), "{:?} {:?}", got.first(), det.verified);
    }

    #[test]
    fn work_runs_on_a_small_crop_at_any_resolution() {
        // A 4K frame with the body 6x larger: same roller found, crop long side bounded.
        let small = frame(&[(ROLLER, ORANGE, -1)]);
        let mut big = Mat::default();
        imgproc::resize(&small, &mut big, core::Size::new(3840, 2880), 0.0, 0.0, imgproc::INTER_LINEAR).unwrap();
        let mut pose = body_pose(false);
        for k in pose.keypoints.iter_mut() {
            (k.x, k.y) = (k.x * 6.0, k.y * 6.0);
        }
        let mut det = RollerDetector::new(RollerConfig::default());
        let got = (0..ON_FRAMES + 1).filter_map(|i| det.detect(&big, i as f64 * DT, Some(&pose), None).unwrap()).last().unwrap();
        assert!((got.cx - 6.0 * ROLLER.0).abs() < 12.0 && (got.r - 6.0 * ROLLER.2).abs() < 15.0, "{got:?}");
        assert!(det.crop.bgr.cols().max(det.crop.bgr.rows()) <= CROP_LONG_SIDE);
    }

    /// A source proposing one fixed candidate while `on`, counting the frames it is asked.
    struct Fixed {
        cand: Candidate,
        circles: bool,
        on: Arc<AtomicBool>,
        asked: Arc<AtomicUsize>,
    }

    impl CandidateSource for Fixed {
        fn propose(&mut self, _: &Mat, _: &Crop, _: &BodyPrior, out: &mut Vec<Candidate>) -> Result<(), RollerError> {
            self.asked.fetch_add(1, Ordering::Relaxed);
            if self.on.load(Ordering::Relaxed) {
                out.push(self.cand);
            }
            Ok(())
        }

        fn fits_circles(&self) -> bool {
            self.circles
        }
    }

    #[test]
    fn auto_fits_circles_to_a_tool_only_the_learned_detector_locates_every_fifth_of_a_second() {
        // An oblique roller: its end face at the disc, its cylinder 3 r long.
        let mut img = frame(&[(ROLLER, ORANGE, -1)]);
        let far = [ROLLER.0 + 60.0, ROLLER.1 + 10.0];
        let colour = Scalar::new(ORANGE[0] as f64, ORANGE[1] as f64, ORANGE[2] as f64, 0.0);
        let at = |p: [f32; 2]| Point::new(p[0] as i32, p[1] as i32);
        imgproc::line(&mut img, at([ROLLER.0, ROLLER.1]), at(far), colour, 2 * ROLLER.2 as i32, imgproc::LINE_8, 0).unwrap();
        let (c_on, c_asked) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
        let circle = Candidate {
            cx: ROLLER.0,
            cy: ROLLER.1,
            r: ROLLER.2,
            score: 0.5,
            axis: None,
            origin: Origin::Circle,
            starts_track: true,
        };
        let learned = Candidate {
            score: 0.9,
            axis: Some([[ROLLER.0, ROLLER.1], far]),
            origin: Origin::Learned { kind: ToolKind::Roller, contact: None },
            ..circle
        };
        let always = Arc::new(AtomicBool::new(true));
        let sources: Vec<Box<dyn CandidateSource>> = vec![
            Box::new(Fixed { cand: circle, circles: true, on: c_on.clone(), asked: c_asked.clone() }),
            Box::new(Fixed { cand: learned, circles: false, on: always, asked: Arc::new(AtomicUsize::new(0)) }),
        ];
        assert_eq!(RollerConfig::default().method, RollerMethod::Auto);
        let mut det = RollerDetector::with_sources(RollerConfig::default(), sources);
        let (pose, mut t) = (body_pose(false), 0.0);
        assert_eq!(run(&mut det, &mut t, &img, &pose, None, 15).last(), Some(&true));
        let mut circles_in = |det: &mut RollerDetector, n: usize| {
            let before = c_asked.load(Ordering::Relaxed);
            assert!(run(det, &mut t, &img, &pose, None, n).iter().all(|s| *s));
            c_asked.load(Ordering::Relaxed) - before
        };
        // Confirmed from learned hits alone: circles every 0.2 s, every third frame at 15 fps.
        assert_eq!(circles_in(&mut det, 30), 10);
        // An end face shows: the agreeing circles locate the track, and then circles are fitted on every frame.
        c_on.store(true, Ordering::Relaxed);
        circles_in(&mut det, 15);
        assert_eq!(circles_in(&mut det, 15), 15);
    }

    #[test]
    fn rejects_non_bgr_input() {
        let gray = Mat::new_rows_cols_with_default(10, 10, core::CV_8UC1, Scalar::all(0.0)).unwrap();
        let mut det = RollerDetector::new(RollerConfig::default());
        assert!(matches!(det.detect(&gray, 0.0, None, None), Err(RollerError::BadImage { .. })));
    }
}
