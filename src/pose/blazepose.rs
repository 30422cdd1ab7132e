//! MediaPipe BlazePose in Rust over ONNX Runtime: SSD detector (anchors, weighted NMS), rotated region of interest,
//! 39-point landmark model, inverse affine back to image pixels, and tracking from the previous frame's auxiliary
//! points so the detector only runs when the landmark model's presence drops.
//! Formulas follow shared/tools/blazepose_reference.py.

use std::path::Path;

use ndarray::Array4;
use opencv::core::{self, Mat, Scalar, Size, ToInputArray};
use opencv::imgproc;
use opencv::prelude::*;
use ort::session::Session;
use ort::value::TensorRef;

use super::outputs::{warp_mask, world_to_image_axes, SEG_SIDE};
use super::track::{self, MAX_CANDIDATES, MIN_KEYPOINTS_IN_ROI, MIN_MASK_SUPPORT, REDETECT_EVERY};
use super::{PersonMask, PoseError, PoseEstimator};
use crate::geometry::{normalize_radians, Affine2, RotatedSquare, Vec2};
use crate::landmarks::{Keypoint, Pose, WorldLandmarks, NUM_LANDMARKS};
use crate::runtime;

/// Detector input side (pixels).
pub const DETECTOR_INPUT: i32 = 224;
/// Landmark model input side (pixels).
pub const LANDMARK_INPUT: i32 = 256;
/// Anchor count of the detector (strides 8, 16, 32x3 on 224).
pub const NUM_ANCHORS: usize = 2254;
/// Landmarks the model outputs: 33 body + 6 auxiliary (33/34 drive the next ROI).
const NUM_MODEL_POINTS: usize = 39;
/// Minimum detector score (MediaPipe pose_detection_cpu: 0.5).
pub const DETECTION_MIN_SCORE: f32 = 0.5;
/// Weighted-NMS IoU threshold (MediaPipe: 0.3).
pub const NMS_IOU: f32 = 0.3;
/// ROI scale around the detector's alignment points (MediaPipe RectTransformation: 1.25).
pub const ROI_SCALE: f64 = 1.25;
/// Below this landmark-model presence the track is dropped and the detector runs (MediaPipe: 0.5).
pub const PRESENCE_MIN: f32 = 0.5;
/// Frames wider than this aspect ratio are searched in square tiles of the frame's height: letterboxing a wide
/// frame into the 224-px detector input shrinks people (a walker 40% of a 1768x994 frame's height is ~50 px
/// there), and the detector then misses them and fires on background. 4:3 and portrait frames (the live camera)
/// are not tiled, so the live cost does not change.
pub const TILE_ASPECT: f64 = 1.5;
/// Logit clip before the sigmoid, as in the reference.
const LOGIT_CLIP: f32 = 100.0;

pub const DETECTOR_FILE: &str = "pose_detection.onnx";

/// Which landmark network to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LandmarkModel {
    Full,
    Lite,
}

impl LandmarkModel {
    pub fn file_name(self) -> &'static str {
        match self {
            LandmarkModel::Full => "pose_landmark_full.onnx",
            LandmarkModel::Lite => "pose_landmark_lite.onnx",
        }
    }
}

/// Estimator settings.
#[derive(Debug, Clone)]
pub struct BlazePoseConfig {
    pub landmark_model: LandmarkModel,
    /// ONNX Runtime intra-op threads per session.
    pub threads: usize,
    /// Reuse the previous frame's landmarks to place the next ROI (detector only when presence drops).
    pub tracking: bool,
}

impl Default for BlazePoseConfig {
    fn default() -> Self {
        Self {
            landmark_model: LandmarkModel::Full,
            threads: 2,
            tracking: true,
        }
    }
}

/// One detector output after NMS, in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub score: f32,
    /// x0, y0, x1, y1
    pub box_px: [f64; 4],
    /// hip centre, full-body scale point, shoulder centre, upper-body scale point
    pub keypoints_px: [Vec2; 4],
}

/// Landmark model output for one ROI, in image pixels.
#[derive(Debug, Clone)]
pub struct LandmarkResult {
    pub points_px: [Vec2; NUM_LANDMARKS],
    pub visibility: [f32; NUM_LANDMARKS],
    /// Person presence (pose flag) 0..1.
    pub presence: f32,
    /// ROI for the next frame, from auxiliary points 33/34.
    pub roi_next: RotatedSquare,
    /// The ROI this result was computed on.
    pub roi: RotatedSquare,
    /// World landmarks (metres, hip-centred) rotated into image axes.
    pub world: WorldLandmarks,
    /// Segmentation logits in the crop (`SEG_SIDE` x `SEG_SIDE`, row-major).
    pub seg_logits: Vec<f32>,
    /// Share of the visible torso keypoints on the model's own person mask (see `track::MIN_MASK_SUPPORT`).
    pub mask_support: f32,
}

impl LandmarkResult {
    /// A person the tracker may keep: present, torso on the person mask, keypoints inside the region.
    pub fn is_plausible(&self) -> bool {
        self.presence >= PRESENCE_MIN
            && self.mask_support >= MIN_MASK_SUPPORT
            && track::keypoints_in_roi(&self.roi, &self.points_px, &self.visibility) >= MIN_KEYPOINTS_IN_ROI
    }
}

/// Share of the visible torso keypoints (crop coordinates `crop_pts`) where the segmentation says "person".
fn torso_mask_support(seg: &[f32], crop_pts: &[Vec2], vis: &[f32; NUM_LANDMARKS]) -> f32 {
    let torso = [11, 12, 23, 24];
    let (mut n, mut on) = (0, 0);
    for i in torso {
        if vis[i] < track::CHECK_VISIBILITY {
            continue;
        }
        n += 1;
        let p = crop_pts[i];
        let (x, y) = (p.x.round(), p.y.round());
        let side = SEG_SIDE as f64;
        if x >= 0.0 && y >= 0.0 && x < side && y < side && seg[y as usize * SEG_SIDE + x as usize] > 0.0 {
            on += 1; // logit > 0 = probability > 0.5
        }
    }
    if n == 0 {
        0.0
    } else {
        on as f32 / n as f32
    }
}

/// SSD anchor centres (normalised), fixed anchor size, as MediaPipe's pose_detection graph.
pub fn ssd_anchors() -> Vec<Vec2> {
    let strides = [8, 16, 32, 32, 32];
    let mut out = Vec::with_capacity(NUM_ANCHORS);
    let mut i = 0;
    while i < strides.len() {
        let mut j = i;
        let mut per_cell = 0;
        while j < strides.len() && strides[j] == strides[i] {
            per_cell += 2;
            j += 1;
        }
        let f = (DETECTOR_INPUT as f64 / strides[i] as f64).ceil() as usize;
        for y in 0..f {
            for x in 0..f {
                for _ in 0..per_cell {
                    out.push(Vec2::new(
                        (x as f64 + 0.5) / f as f64,
                        (y as f64 + 0.5) / f as f64,
                    ));
                }
            }
        }
        i = j;
    }
    out
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-LOGIT_CLIP, LOGIT_CLIP)).exp())
}

/// AlignmentPointsRects (target angle 90 deg) + RectTransformation (scale, square long side).
pub fn roi_from_points(center: Vec2, scale_pt: Vec2, scale: f64) -> RotatedSquare {
    let size = 2.0 * (scale_pt.x - center.x).hypot(scale_pt.y - center.y) * scale;
    let angle =
        std::f64::consts::FRAC_PI_2 - (-(scale_pt.y - center.y)).atan2(scale_pt.x - center.x);
    RotatedSquare {
        center,
        size,
        angle: normalize_radians(angle),
    }
}

fn iou(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area = |r: &[f64; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    inter / (area(a) + area(b) - inter + 1e-9)
}

/// Decodes raw detector outputs (`regressors` NUM_ANCHORS x 12, `logits` NUM_ANCHORS) into detections in the
/// normalised letterboxed square, then maps them to image pixels with `image_from_square`.
pub fn decode_detections(
    regressors: &[f32],
    logits: &[f32],
    anchors: &[Vec2],
    image_from_square: &Affine2,
) -> Vec<Detection> {
    struct Cand {
        score: f32,
        b: [f64; 4],
        k: [Vec2; 4],
    }
    let inp = DETECTOR_INPUT as f64;
    let mut cands: Vec<Cand> = Vec::new();
    for (i, (&logit, a)) in logits.iter().zip(anchors).enumerate() {
        let score = sigmoid(logit);
        if score < DETECTION_MIN_SCORE {
            continue;
        }
        let r = &regressors[i * 12..i * 12 + 12];
        let cx = r[0] as f64 / inp + a.x;
        let cy = r[1] as f64 / inp + a.y;
        let (w, h) = (r[2] as f64 / inp, r[3] as f64 / inp);
        let mut k = [Vec2::default(); 4];
        for (j, kp) in k.iter_mut().enumerate() {
            *kp = Vec2::new(
                r[4 + 2 * j] as f64 / inp + a.x,
                r[5 + 2 * j] as f64 / inp + a.y,
            );
        }
        cands.push(Cand {
            score,
            b: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
            k,
        });
    }
    cands.sort_by(|p, q| q.score.total_cmp(&p.score));
    let mut out = Vec::new();
    let mut remaining: Vec<usize> = (0..cands.len()).collect();
    while let Some(&top) = remaining.first() {
        let (mut group, rest): (Vec<usize>, Vec<usize>) = remaining
            .iter()
            .partition(|&&j| iou(&cands[top].b, &cands[j].b) > NMS_IOU as f64);
        if group.is_empty() {
            group.push(top);
        }
        let wsum: f64 = group.iter().map(|&j| cands[j].score as f64).sum();
        let mut b = [0.0; 4];
        let mut k = [Vec2::default(); 4];
        for &j in &group {
            let w = cands[j].score as f64 / wsum;
            for (bi, cb) in b.iter_mut().zip(cands[j].b) {
                *bi += cb * w;
            }
            for (ki, ck) in k.iter_mut().zip(cands[j].k) {
                *ki = ki.add(ck.scale(w));
            }
        }
        let p0 = image_from_square.apply(Vec2::new(b[0], b[1]));
        let p1 = image_from_square.apply(Vec2::new(b[2], b[3]));
        out.push(Detection {
            score: cands[top].score,
            box_px: [p0.x, p0.y, p1.x, p1.y],
            keypoints_px: k.map(|p| image_from_square.apply(p)),
        });
        remaining = rest;
    }
    out
}

/// The BlazePose two-stage estimator.
pub struct BlazePose {
    detector: Session,
    landmarker: Session,
    anchors: Vec<Vec2>,
    cfg: BlazePoseConfig,
    buf: Buffers,
    /// ROI carried from the previous frame when tracking.
    track_roi: Option<RotatedSquare>,
    /// How many times the detector ran (for benchmarks and tests).
    pub detector_runs: u64,
    /// Frames since the detector last ran (see `track::REDETECT_EVERY`).
    since_detect: u32,
    /// Person mask of the last frame's result, reused; `mask_valid` says whether it belongs to the last frame.
    mask: PersonMask,
    mask_valid: bool,
}

/// Caller-side buffers reused every frame (no allocation per frame).
struct Buffers {
    /// The frame letterboxed to a square, and as RGB at the detector's input size.
    padded: Mat,
    det_rgb: Mat,
    /// The landmark model's crop and the affine warp that cuts it.
    crop: Mat,
    warp: Mat,
    /// Model inputs (NHWC).
    det_input: Array4<f32>,
    lm_input: Array4<f32>,
    /// Person-mask probabilities before warping to the frame.
    prob_buf: Vec<f32>,
}

fn ort_err(model: &str) -> impl Fn(ort::Error) -> PoseError + '_ {
    move |e| PoseError::Ort {
        model: model.to_string(),
        msg: e.to_string(),
    }
}

/// Runs `session` on one NHWC input.
fn run_model<'s>(
    session: &'s mut Session,
    input: &Array4<f32>,
    model: &str,
) -> Result<ort::session::SessionOutputs<'s>, PoseError> {
    let input = TensorRef::from_array_view(input.view()).map_err(ort_err(model))?;
    session.run(ort::inputs![input]).map_err(ort_err(model))
}

/// Output `i` of a model run as f32 values.
fn tensor<'a>(outputs: &'a ort::session::SessionOutputs<'_>, i: usize, model: &str) -> Result<&'a [f32], PoseError> {
    let (_, values) = outputs[i].try_extract_tensor::<f32>().map_err(ort_err(model))?;
    Ok(values)
}

pub(crate) fn make_session(path: &Path, threads: usize) -> Result<Session, PoseError> {
    let env = runtime::ort_environment()?;
    let name = path.display().to_string();
    let e = |e: String| PoseError::Ort {
        model: name.clone(),
        msg: e,
    };
    Session::builder(env)
        .map_err(|x| e(x.to_string()))?
        .with_intra_threads(threads.max(1))
        .map_err(|x| e(x.to_string()))?
        .with_inter_threads(1)
        .map_err(|x| e(x.to_string()))?
        .with_intra_op_spinning(false)
        .map_err(|x| e(x.to_string()))?
        .commit_from_file(path)
        .map_err(|x| e(format!("cannot load model (corrupt or not ONNX?): {x}")))
}

impl BlazePose {
    /// Loads both models from `models_dir` after checking their checksums.
    pub fn new(models_dir: &Path, cfg: BlazePoseConfig) -> Result<Self, PoseError> {
        let det_path = runtime::verified_model(models_dir, DETECTOR_FILE)?;
        let lm_path = runtime::verified_model(models_dir, cfg.landmark_model.file_name())?;
        Self::from_files(&det_path, &lm_path, cfg)
    }

    /// Loads the two models from explicit files (no checksum check).
    pub fn from_files(
        det_path: &Path,
        lm_path: &Path,
        cfg: BlazePoseConfig,
    ) -> Result<Self, PoseError> {
        let detector = make_session(det_path, cfg.threads)?;
        let landmarker = make_session(lm_path, cfg.threads)?;
        let (d, l) = (DETECTOR_INPUT as usize, LANDMARK_INPUT as usize);
        Ok(Self {
            detector,
            landmarker,
            anchors: ssd_anchors(),
            cfg,
            buf: Buffers {
                padded: Mat::default(),
                det_rgb: Mat::default(),
                crop: Mat::default(),
                warp: Mat::new_rows_cols_with_default(2, 3, core::CV_64F, Scalar::all(0.0))?,
                det_input: Array4::zeros((1, d, d, 3)),
                lm_input: Array4::zeros((1, l, l, 3)),
                prob_buf: Vec::with_capacity(SEG_SIDE * SEG_SIDE),
            },
            track_roi: None,
            detector_runs: 0,
            since_detect: 0,
            mask: PersonMask::default(),
            mask_valid: false,
        })
    }

    /// Runs the detector on the whole frame letterboxed to a square, or, for a wide frame, on square tiles of
    /// the frame's height (see [`TILE_ASPECT`]); detections in image pixels, best first.
    pub fn detect(&mut self, image_bgr: &Mat) -> Result<Vec<Detection>, PoseError> {
        check_frame(image_bgr)?;
        let (w, h) = (image_bgr.cols(), image_bgr.rows());
        if (w as f64) <= TILE_ASPECT * h as f64 {
            return self.detect_square(image_bgr);
        }
        let tiles = (w + h - 1) / h; // enough squares of side h to cover the width, spread evenly
        let mut all: Vec<Detection> = Vec::new();
        for t in 0..tiles {
            let ox = if tiles == 1 { 0 } else { t * (w - h) / (tiles - 1) };
            // the tile is a view into the frame (no copy: a 4K tile is 14 MB)
            let tile = Mat::roi(image_bgr, core::Rect::new(ox, 0, h, h))?;
            for mut d in self.detect_square(&tile)? {
                d.box_px[0] += ox as f64;
                d.box_px[2] += ox as f64;
                d.keypoints_px.iter_mut().for_each(|k| k.x += ox as f64);
                all.push(d);
            }
        }
        all.sort_by(|p, q| q.score.total_cmp(&p.score));
        let mut out: Vec<Detection> = Vec::new();
        for d in all {
            if out.iter().all(|o| iou(&o.box_px, &d.box_px) <= NMS_IOU as f64) {
                out.push(d); // the same person seen in two overlapping tiles is kept once
            }
        }
        Ok(out)
    }

    fn detect_square(&mut self, image_bgr: &(impl MatTraitConst + ToInputArray)) -> Result<Vec<Detection>, PoseError> {
        self.detector_runs += 1;
        let (w, h) = (image_bgr.cols(), image_bgr.rows());
        let s = w.max(h);
        let (ox, oy) = ((s - w) / 2, (s - h) / 2);
        let buf = &mut self.buf;
        // a square image (a tile) is resized as it is: padding it would copy it whole for nothing
        let square = if w == h {
            image_bgr.input_array()?
        } else {
            core::copy_make_border(
                image_bgr,
                &mut buf.padded,
                oy,
                s - h - oy,
                ox,
                s - w - ox,
                core::BORDER_CONSTANT,
                Scalar::all(0.0),
            )?;
            buf.padded.input_array()?
        };
        imgproc::resize(
            &square,
            &mut buf.det_rgb,
            Size::new(DETECTOR_INPUT, DETECTOR_INPUT),
            0.0,
            0.0,
            imgproc::INTER_LINEAR,
        )?;
        fill_input(&self.buf.det_rgb, &mut self.buf.det_input, 1.0 / 127.5, -1.0)?;
        let model = DETECTOR_FILE;
        let outputs = run_model(&mut self.detector, &self.buf.det_input, model)?;
        let reg = tensor(&outputs, 0, model)?;
        let logits = tensor(&outputs, 1, model)?;
        if reg.len() != NUM_ANCHORS * 12 || logits.len() != NUM_ANCHORS {
            return Err(PoseError::Output {
                model: model.into(),
                msg: format!(
                    "expected {NUM_ANCHORS}x12 and {NUM_ANCHORS} values, got {} and {}",
                    reg.len(),
                    logits.len()
                ),
            });
        }
        let sf = s as f64;
        let image_from_square = Affine2 {
            m: [[sf, 0.0, -(ox as f64)], [0.0, sf, -(oy as f64)]],
        };
        Ok(decode_detections(
            reg,
            logits,
            &self.anchors,
            &image_from_square,
        ))
    }

    /// Runs the landmark model on a rotated ROI.
    pub fn landmarks(
        &mut self,
        image_bgr: &Mat,
        roi: &RotatedSquare,
    ) -> Result<LandmarkResult, PoseError> {
        check_frame(image_bgr)?;
        let crop_px = LANDMARK_INPUT as f64;
        let image_from_crop = roi.image_from_crop(crop_px);
        warp_crop(
            image_bgr,
            &image_from_crop,
            LANDMARK_INPUT,
            &mut self.buf.warp,
            &mut self.buf.crop,
        )?;
        fill_input(&self.buf.crop, &mut self.buf.lm_input, 1.0 / 255.0, 0.0)?;
        let model = self.cfg.landmark_model.file_name();
        let outputs = run_model(&mut self.landmarker, &self.buf.lm_input, model)?;
        let ld = tensor(&outputs, 0, model)?;
        let flag = tensor(&outputs, 1, model)?;
        let seg = tensor(&outputs, 2, model)?;
        let world = tensor(&outputs, 4, model)?;
        if ld.len() != NUM_MODEL_POINTS * 5
            || flag.is_empty()
            || seg.len() != SEG_SIDE * SEG_SIDE
            || world.len() != NUM_MODEL_POINTS * 3
        {
            return Err(PoseError::Output {
                model: model.into(),
                msg: format!(
                    "expected {} landmark values, a pose flag, {SEG_SIDE}x{SEG_SIDE} segmentation and {} world \
                     values, got {}, {}, {} and {}",
                    NUM_MODEL_POINTS * 5,
                    NUM_MODEL_POINTS * 3,
                    ld.len(),
                    flag.len(),
                    seg.len(),
                    world.len()
                ),
            });
        }
        let crop_pts: Vec<Vec2> = (0..NUM_MODEL_POINTS)
            .map(|i| Vec2::new(ld[i * 5] as f64, ld[i * 5 + 1] as f64))
            .collect();
        let mut points_px = [Vec2::default(); NUM_LANDMARKS];
        let mut visibility = [0.0; NUM_LANDMARKS];
        for i in 0..NUM_LANDMARKS {
            points_px[i] = image_from_crop.apply(crop_pts[i]);
            visibility[i] = sigmoid(ld[i * 5 + 3]);
        }
        let roi_next = roi_from_points(
            image_from_crop.apply(crop_pts[33]),
            image_from_crop.apply(crop_pts[34]),
            ROI_SCALE,
        );
        Ok(LandmarkResult {
            points_px,
            visibility,
            presence: flag[0],
            roi_next,
            roi: *roi,
            world: world_to_image_axes(world, roi.angle),
            mask_support: torso_mask_support(seg, &crop_pts, &visibility),
            seg_logits: seg.to_vec(),
        })
    }

    /// The person mask of `lm` in image axes for a `width` x `height` frame (reuses `out`'s buffer).
    pub fn person_mask(&mut self, lm: &LandmarkResult, width: usize, height: usize, out: &mut PersonMask) {
        let image_from_crop = lm.roi.image_from_crop(LANDMARK_INPUT as f64);
        warp_mask(&lm.seg_logits, &image_from_crop, width, height, &mut self.buf.prob_buf, out);
    }

    fn to_pose(lm: &LandmarkResult) -> Pose {
        let mut pose = Pose {
            score: lm.presence,
            world: Some(lm.world),
            ..Pose::default()
        };
        for (k, (p, v)) in pose
            .keypoints
            .iter_mut()
            .zip(lm.points_px.iter().zip(lm.visibility))
        {
            *k = Keypoint {
                x: p.x as f32,
                y: p.y as f32,
                visibility: v,
            };
        }
        pose
    }
}

/// Samples the `side` x `side` crop whose pixels map to the image by `image_from_crop` (bilinear, black outside the
/// image) into `crop`; `warp` is a caller-owned 2x3 CV_64F matrix.
pub(crate) fn warp_crop(
    image_bgr: &Mat,
    image_from_crop: &Affine2,
    side: i32,
    warp: &mut Mat,
    crop: &mut Mat,
) -> opencv::Result<()> {
    for r in 0..2 {
        for c in 0..3 {
            *warp.at_2d_mut::<f64>(r, c)? = image_from_crop.m[r as usize][c as usize];
        }
    }
    imgproc::warp_affine(
        image_bgr,
        crop,
        warp,
        Size::new(side, side),
        imgproc::INTER_LINEAR | imgproc::WARP_INVERSE_MAP,
        core::BORDER_CONSTANT,
        Scalar::all(0.0),
    )
}

fn check_frame(m: &Mat) -> Result<(), PoseError> {
    if m.typ() != core::CV_8UC3 || m.empty() {
        return Err(PoseError::BadFrame(m.typ()));
    }
    Ok(())
}

/// Copies a BGR 8-bit image into an NHWC RGB f32 tensor as `v * scale + offset`.
fn fill_input(bgr: &Mat, dst: &mut Array4<f32>, scale: f32, offset: f32) -> Result<(), PoseError> {
    let bytes = bgr.data_bytes()?;
    let out = dst
        .as_slice_mut()
        .expect("input arrays are created contiguous");
    if bytes.len() != out.len() {
        return Err(PoseError::BadFrame(bgr.typ()));
    }
    for (o, px) in out.chunks_exact_mut(3).zip(bytes.chunks_exact(3)) {
        o[0] = px[2] as f32 * scale + offset;
        o[1] = px[1] as f32 * scale + offset;
        o[2] = px[0] as f32 * scale + offset;
    }
    Ok(())
}

impl BlazePose {
    /// Landmark results for the best detections (at most `MAX_CANDIDATES`), plausible ones only.
    fn candidates(&mut self, image_bgr: &Mat) -> Result<Vec<LandmarkResult>, PoseError> {
        self.since_detect = 0;
        let dets = self.detect(image_bgr)?;
        let mut out = Vec::new();
        for d in dets.iter().take(MAX_CANDIDATES) {
            let roi = roi_from_points(d.keypoints_px[0], d.keypoints_px[1], ROI_SCALE);
            let lm = self.landmarks(image_bgr, &roi)?;
            if lm.is_plausible() {
                out.push(lm);
            }
        }
        Ok(out)
    }

    /// Picks the person to follow: the tracked one (`tracked`) unless another is clearly more on the floor.
    fn pick(&self, tracked: Option<LandmarkResult>, mut others: Vec<LandmarkResult>, height: f64) -> Option<LandmarkResult> {
        let incumbent = tracked.as_ref().map(|_| 0);
        if let Some(t) = tracked {
            others.retain(|o| !track::same_person(&o.points_px, &t.points_px));
            others.insert(0, t);
        }
        let scores: Vec<Option<f64>> = others
            .iter()
            .map(|c| track::floor_score(&c.points_px, &c.visibility, height))
            .collect();
        let k = track::choose(&scores, incumbent)?;
        Some(others.swap_remove(k))
    }
}

impl PoseEstimator for BlazePose {
    fn estimate(&mut self, image_bgr: &Mat) -> Result<Option<Pose>, PoseError> {
        self.mask_valid = false;
        self.since_detect = self.since_detect.saturating_add(1);
        let (w, h) = (image_bgr.cols().max(0) as usize, image_bgr.rows().max(0) as usize);
        let tracked = match self.track_roi.take() {
            Some(roi) => Some(self.landmarks(image_bgr, &roi)?).filter(LandmarkResult::is_plausible),
            None => None,
        };
        let chosen = if tracked.is_some() && self.since_detect < REDETECT_EVERY {
            tracked
        } else {
            let others = self.candidates(image_bgr)?;
            self.pick(tracked, others, h as f64)
        };
        let Some(lm) = chosen else {
            return Ok(None);
        };
        if self.cfg.tracking {
            self.track_roi = Some(lm.roi_next);
        }
        let mut mask = std::mem::take(&mut self.mask);
        self.person_mask(&lm, w, h, &mut mask);
        self.mask = mask;
        self.mask_valid = true;
        Ok(Some(Self::to_pose(&lm)))
    }

    fn mask(&self) -> Option<&PersonMask> {
        self.mask_valid.then_some(&self.mask)
    }

    fn reset(&mut self) {
        self.track_roi = None;
        self.mask_valid = false;
    }

    fn describe(&self) -> String {
        format!(
            "BlazePose ({} + {}, tracking {})",
            DETECTOR_FILE,
            self.cfg.landmark_model.file_name(),
            if self.cfg.tracking { "on" } else { "off" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_layout_matches_mediapipe() {
        let a = ssd_anchors();
        assert_eq!(a.len(), NUM_ANCHORS);
        assert_eq!(a[0], Vec2::new(0.5 / 28.0, 0.5 / 28.0));
        assert_eq!(a[1], a[0]);
        // first stride-16 anchor follows 28*28*2 stride-8 anchors
        assert_eq!(a[28 * 28 * 2], Vec2::new(0.5 / 14.0, 0.5 / 14.0));
        assert_eq!(*a.last().unwrap(), Vec2::new(6.5 / 7.0, 6.5 / 7.0));
    }

    #[test]
    fn roi_points_upright_person() {
        // scale point straight above the centre: upright body, no rotation
        let r = roi_from_points(Vec2::new(100.0, 100.0), Vec2::new(100.0, 60.0), 1.25);
        assert!(r.angle.abs() < 1e-9);
        assert!((r.size - 100.0).abs() < 1e-9);
        // lying person, head to the left: rotated by -90 degrees
        let r = roi_from_points(Vec2::new(100.0, 100.0), Vec2::new(60.0, 100.0), 1.25);
        assert!((r.angle + std::f64::consts::FRAC_PI_2).abs() < 1e-9);
    }

    #[test]
    fn weighted_nms_merges_overlaps_and_keeps_separate() {
        let anchors = vec![Vec2::new(0.5, 0.5); 3];
        let mut reg = vec![0.0f32; 36];
        // two overlapping boxes of 0.2 (in 224 px units: 44.8) around the centre, one far away
        for (i, dx) in [(0usize, 0.0f32), (1, 2.0), (2, 100.0)] {
            reg[i * 12] = dx;
            reg[i * 12 + 2] = 44.8;
            reg[i * 12 + 3] = 44.8;
        }
        let logits = [3.0f32, 1.0, 2.0];
        let id = Affine2 {
            m: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        };
        let d = decode_detections(&reg, &logits, &anchors, &id);
        assert_eq!(d.len(), 2);
        assert!((d[0].score - sigmoid(3.0)).abs() < 1e-6);
        // merged centre is the score-weighted mean of 0 and 2/224
        let (w0, w1) = (sigmoid(3.0) as f64, sigmoid(1.0) as f64);
        let cx = (d[0].box_px[0] + d[0].box_px[2]) / 2.0;
        assert!((cx - (0.5 + (2.0 / 224.0) * w1 / (w0 + w1))).abs() < 1e-6);
        assert!((d[1].score - sigmoid(2.0)).abs() < 1e-6);
    }
}
