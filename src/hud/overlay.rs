//! The live HUD drawn onto the camera frame with OpenCV imgproc: skeleton with joints coloured by rule state, roller
//! and contact point, target region along the body segment, speed gauge against the target band, time on area,
//! pass count, the current cue in large text, the "get in frame" prompt and the start-up placement check.
//!
//! [`check_placement`] is pure; [`draw_hud`] only draws what it is given.

use opencv::core::{Mat, Point, Rect, Scalar};
use opencv::imgproc;
use opencv::prelude::*;

use crate::live::cues::Severity;
use crate::landmarks::{idx, Pose, RollerObs, EDGES, NUM_LANDMARKS};

// ---- colours (BGR). Skeleton and cue band are drawn without anti-aliasing so their exact colours can be found in
// a screenshot.
pub const BONE_COLOR: (u8, u8, u8) = (255, 200, 0);
pub const JOINT_OK: (u8, u8, u8) = (60, 220, 60);
pub const JOINT_WARN: (u8, u8, u8) = (0, 180, 255);
pub const JOINT_FAULT: (u8, u8, u8) = (40, 40, 235);
pub const JOINT_NEUTRAL: (u8, u8, u8) = (220, 220, 220);
pub const CUE_BG: (u8, u8, u8) = (40, 24, 24);
pub const CUE_TEXT: (u8, u8, u8) = (255, 255, 255);
pub const PANEL_BG: (u8, u8, u8) = (30, 30, 30);
const ROLLER_COLOR: (u8, u8, u8) = (0, 230, 255);
const CONTACT_COLOR: (u8, u8, u8) = (255, 0, 255);
const SEGMENT_COLOR: (u8, u8, u8) = (160, 160, 160);
pub const REGION_COLOR: (u8, u8, u8) = (120, 200, 40);
pub const KEEP_OUT_COLOR: (u8, u8, u8) = (30, 30, 190);
const TEXT: (u8, u8, u8) = (245, 245, 245);

// ---- layout
const BONE_THICKNESS: i32 = 3;
const JOINT_RADIUS: i32 = 5;
const CUE_BAND_H: i32 = 64;
const CUE_FONT: Font = Font { scale: 1.5, thickness: 3 };
const GAUGE_W: i32 = 170;
const GAUGE_H: i32 = 14;
const PANEL_PAD: i32 = 8;
/// The ball hold timer: large enough to read from the floor at 2-3 m (about a third of the frame's height).
const HOLD_FONT: Font = Font { scale: 3.0, thickness: 6 };
/// Landmarks below this visibility are not drawn.
pub const MIN_DRAW_VISIBILITY: f32 = 0.3;

// ---- placement check thresholds
/// Side view: the body's long axis (shoulders -> ankles) within this many degrees of horizontal.
pub const SIDE_VIEW_MAX_TILT_DEG: f32 = 35.0;
/// Side view: shoulder-to-shoulder distance at most this fraction of the shoulder-hip distance (in a front or top
/// view the shoulders are far apart; from the side they overlap).
pub const SIDE_VIEW_MAX_SHOULDER_RATIO: f32 = 0.6;
/// Whole body: key landmarks at least this fraction of the image size inside the border.
pub const FRAME_MARGIN_FRAC: f32 = 0.01;
/// Whole body: a key landmark counts as seen at this visibility.
pub const MIN_KEY_VISIBILITY: f32 = 0.5;
/// Enough light: mean luminance (0-255) of the frame at least this. Dim indoor scenes the pose model still handles
/// well measure 50-60 (the rendered samples: ~55); below 40 landmarks get unreliable.
pub const MIN_MEAN_LUMA: f64 = 40.0;

/// Rule state of one landmark, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum JointState {
    /// Not involved in the exercise's rules.
    #[default]
    Neutral,
    /// Watched by a rule that is currently satisfied.
    Ok,
    Warn,
    Fault,
}

/// Landmarks (both sides) a rule is about. `segment` are the exercise's segment landmarks (for the roller rules).
pub fn rule_landmarks(rule: &str, segment: &[usize]) -> Vec<usize> {
    use idx::*;
    match rule {
        "hips_dropped" => vec![LEFT_HIP, RIGHT_HIP],
        "lower_back" => vec![LEFT_HIP, RIGHT_HIP, LEFT_SHOULDER, RIGHT_SHOULDER],
        "neck_unsupported" => vec![NOSE, LEFT_EAR, RIGHT_EAR, LEFT_SHOULDER, RIGHT_SHOULDER],
        "plank_line" => vec![LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE],
        "keep_out" | "too_fast" => segment.to_vec(),
        _ => Vec::new(),
    }
}

/// One item of the placement check.
#[derive(Debug, Clone, PartialEq)]
pub enum Check {
    Ok,
    Bad(&'static str),
    /// Cannot tell (no person found yet).
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlacementReport {
    pub side_view: Check,
    pub whole_body: Check,
    pub light: Check,
}

impl PlacementReport {
    pub fn all_ok(&self) -> bool {
        [&self.side_view, &self.whole_body, &self.light].iter().all(|c| **c == Check::Ok)
    }
}

/// Start-up camera placement check from a pose (if any), the image size and the frame's mean luminance.
pub fn check_placement(pose: Option<&Pose>, width: u32, height: u32, mean_luma: f64) -> PlacementReport {
    let light = if mean_luma >= MIN_MEAN_LUMA { Check::Ok } else { Check::Bad("too dark: add light") };
    let Some(p) = pose else {
        return PlacementReport { side_view: Check::Unknown, whole_body: Check::Unknown, light };
    };
    let key_pairs = [
        (idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER),
        (idx::LEFT_HIP, idx::RIGHT_HIP),
        (idx::LEFT_KNEE, idx::RIGHT_KNEE),
        (idx::LEFT_ANKLE, idx::RIGHT_ANKLE),
        (idx::LEFT_EAR, idx::RIGHT_EAR),
    ];
    let (mx, my) = (width as f32 * FRAME_MARGIN_FRAC, height as f32 * FRAME_MARGIN_FRAC);
    let inside = |i: usize| {
        let k = p.kp(i);
        k.visibility >= MIN_KEY_VISIBILITY
            && k.x >= mx
            && k.y >= my
            && k.x <= width as f32 - mx
            && k.y <= height as f32 - my
    };
    let whole_body = if key_pairs.iter().all(|&(a, b)| inside(a) || inside(b)) {
        Check::Ok
    } else {
        Check::Bad("whole body not in frame: move the camera back")
    };
    let sh = p.mid(idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER);
    let hip = p.mid(idx::LEFT_HIP, idx::RIGHT_HIP);
    let ank = p.mid(idx::LEFT_ANKLE, idx::RIGHT_ANKLE);
    let far = if ank.visibility >= MIN_KEY_VISIBILITY { ank } else { hip };
    let (dx, dy) = (far.x - sh.x, far.y - sh.y);
    let tilt = dy.abs().atan2(dx.abs()).to_degrees();
    let torso = ((hip.x - sh.x).powi(2) + (hip.y - sh.y).powi(2)).sqrt();
    let (ls, rs) = (p.kp(idx::LEFT_SHOULDER), p.kp(idx::RIGHT_SHOULDER));
    let shoulder_w = ((ls.x - rs.x).powi(2) + (ls.y - rs.y).powi(2)).sqrt();
    let side_view = if torso < 1.0 {
        Check::Unknown
    } else if tilt > SIDE_VIEW_MAX_TILT_DEG {
        Check::Bad("body not lying across the image: place the camera beside you")
    } else if shoulder_w > SIDE_VIEW_MAX_SHOULDER_RATIO * torso {
        Check::Bad("not a side view: move the camera to your side")
    } else {
        Check::Ok
    };
    PlacementReport { side_view, whole_body, light }
}

/// Target segment in image pixels for drawing: `from` -> `to` with the region and keep-out zones as fractions along it.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentPx {
    pub from: (f32, f32),
    pub to: (f32, f32),
    pub region: (f32, f32),
    pub keep_out: Vec<(f32, f32)>,
}

/// Everything the HUD shows for one frame.
#[derive(Debug, Clone, Default)]
pub struct Hud<'a> {
    pub pose: Option<&'a Pose>,
    pub joints: Option<&'a [JointState; NUM_LANDMARKS]>,
    pub roller: Option<RollerObs>,
    pub contact_px: Option<(f32, f32)>,
    pub segment: Option<&'a SegmentPx>,
    /// The figures of the top panel.
    pub panel: TopPanel<'a>,
    pub cue: Option<(&'a str, Severity)>,
    pub placement: Option<&'a PlacementReport>,
    /// A status line (paused, camera lost, ...), shown large in the middle.
    pub status: Option<&'a str>,
    /// Frames per second of the loop, shown small.
    pub fps: Option<f64>,
    /// Massage balls: seconds held on the spot and the [min, max] hold time, drawn as a big timer.
    pub hold: Option<(f64, (f64, f64))>,
}

/// The top panel: exercise, time on the area against its target and passes (left); the speed gauge (right).
#[derive(Debug, Clone, Default)]
pub struct TopPanel<'a> {
    pub exercise: &'a str,
    pub time_on_area_s: f64,
    /// Recommended time on the area (min, max) s.
    pub time_target_s: (f64, f64),
    pub passes: u32,
    pub speed_cm_s: Option<f32>,
    pub target_speed_cm_s: f32,
    pub max_speed_cm_s: f32,
}

/// Green band of the speed gauge, as factors of the target speed (slow, controlled rolling).
pub const SPEED_BAND_LOW_FACTOR: f32 = 0.4;
pub const SPEED_BAND_HIGH_FACTOR: f32 = 2.0;
/// Get-in-frame prompt.
pub const GET_IN_FRAME: &str = "Get in frame";

fn sc(c: (u8, u8, u8)) -> Scalar {
    Scalar::new(c.0 as f64, c.1 as f64, c.2 as f64, 0.0)
}

fn pt(x: f32, y: f32) -> Point {
    Point::new(x.round() as i32, y.round() as i32)
}

fn text(img: &mut Mat, s: &str, org: Point, scale: f64, color: (u8, u8, u8), thick: i32) -> opencv::Result<()> {
    imgproc::put_text(img, s, org, imgproc::FONT_HERSHEY_DUPLEX, scale, sc(color), thick, imgproc::LINE_AA, false)
}

fn text_size(s: &str, scale: f64, thick: i32) -> opencv::Result<opencv::core::Size> {
    let mut base = 0;
    imgproc::get_text_size(s, imgproc::FONT_HERSHEY_DUPLEX, scale, thick, &mut base)
}

fn fill_rect(img: &mut Mat, r: Rect, color: (u8, u8, u8)) -> opencv::Result<()> {
    imgproc::rectangle(img, r, sc(color), imgproc::FILLED, imgproc::LINE_8, 0)
}

fn joint_color(s: JointState) -> (u8, u8, u8) {
    match s {
        JointState::Neutral => JOINT_NEUTRAL,
        JointState::Ok => JOINT_OK,
        JointState::Warn => JOINT_WARN,
        JointState::Fault => JOINT_FAULT,
    }
}

/// HUD size relative to the 640-px-wide layout, so text stays legible on 320x240 and in proportion at 1280x720.
pub fn ui_scale(width: i32) -> f64 {
    (f64::from(width) / 640.0).clamp(0.5, 3.0)
}

fn px(k: f64, v: i32) -> i32 {
    (f64::from(v) * k).round() as i32
}

/// A text style at the reference frame size: OpenCV font scale and stroke thickness (px).
#[derive(Debug, Clone, Copy)]
struct Font {
    scale: f64,
    thickness: i32,
}

impl Font {
    /// Scale and thickness on a frame `k` times the reference size.
    fn at(self, k: f64) -> (f64, i32) {
        (self.scale * k, px(k, self.thickness))
    }
}

/// Draws the HUD onto `img` (BGR).
pub fn draw_hud(img: &mut Mat, hud: &Hud) -> opencv::Result<()> {
    let (w, h) = (img.cols(), img.rows());
    let k = ui_scale(w);
    if let Some(seg) = hud.segment {
        draw_segment(img, seg)?;
    }
    if let Some(p) = hud.pose {
        draw_skeleton(img, p, hud.joints, k)?;
    }
    if let Some(r) = hud.roller {
        imgproc::circle(img, pt(r.cx, r.cy), r.r.round().max(2.0) as i32, sc(ROLLER_COLOR), 2, imgproc::LINE_AA, 0)?;
    }
    if let Some((x, y)) = hud.contact_px {
        imgproc::circle(img, pt(x, y), px(k, 7), sc(CONTACT_COLOR), imgproc::FILLED, imgproc::LINE_8, 0)?;
    }
    draw_top_panel(img, &hud.panel, hud.fps, k)?;
    if let Some(h) = hud.hold {
        draw_hold_timer(img, h, k)?;
    }
    if hud.pose.is_none() && hud.status.is_none() {
        draw_centered(img, GET_IN_FRAME, h / 2, 1.4 * k, (0, 200, 255), k)?;
    }
    if let Some(s) = hud.status {
        draw_centered(img, s, h / 2, 1.2 * k, (0, 200, 255), k)?;
    }
    if let Some(pl) = hud.placement {
        draw_placement(img, pl, k)?;
    }
    if let Some((cue, sev)) = hud.cue {
        fill_rect(img, Rect::new(0, h - px(k, CUE_BAND_H), w, px(k, CUE_BAND_H)), CUE_BG)?;
        let bar = match sev {
            Severity::Info => JOINT_OK,
            Severity::Warning => JOINT_WARN,
            Severity::Critical => JOINT_FAULT,
        };
        fill_rect(img, Rect::new(0, h - px(k, CUE_BAND_H), px(k, 10), px(k, CUE_BAND_H)), bar)?;
        let (mut scale, thick) = CUE_FONT.at(k);
        let mut sz = text_size(cue, scale, thick)?;
        while sz.width > w - px(k, 30) && scale > 0.3 {
            scale *= 0.85;
            sz = text_size(cue, scale, thick)?;
        }
        let org = Point::new((w - sz.width) / 2, h - (px(k, CUE_BAND_H) - sz.height) / 2);
        text(img, cue, org, scale, CUE_TEXT, thick)?;
    }
    Ok(())
}

/// The big hold timer of ball work ("0:17"), on a panel right of the centre: white while holding, green from the
/// minimum hold time, amber past the maximum (move on).
fn draw_hold_timer(img: &mut Mat, (secs, (lo, hi)): (f64, (f64, f64)), k: f64) -> opencv::Result<()> {
    let s = fmt_mmss(secs);
    let color = if secs > hi {
        JOINT_WARN
    } else if secs >= lo {
        JOINT_OK
    } else {
        TEXT
    };
    let (scale, thick) = HOLD_FONT.at(k);
    let thick = thick.max(1);
    let sz = text_size(&s, scale, thick)?;
    let pad = px(k, PANEL_PAD);
    let x = img.cols() - sz.width - 3 * pad;
    let y = img.rows() / 2 + sz.height / 2;
    fill_rect(img, Rect::new(x - pad, y - sz.height - pad, sz.width + 2 * pad, sz.height + 2 * pad), PANEL_BG)?;
    text(img, &s, Point::new(x, y), scale, color, thick)
}

fn draw_centered(img: &mut Mat, s: &str, y: i32, scale: f64, color: (u8, u8, u8), k: f64) -> opencv::Result<()> {
    let w = img.cols();
    let thick = px(k, 2).max(1);
    let sz = text_size(s, scale, thick)?;
    let r = Rect::new(
        (w - sz.width) / 2 - px(k, PANEL_PAD),
        y - sz.height - px(k, PANEL_PAD),
        sz.width + 2 * px(k, PANEL_PAD),
        sz.height + 2 * px(k, PANEL_PAD),
    );
    fill_rect(img, r, PANEL_BG)?;
    text(img, s, Point::new((w - sz.width) / 2, y), scale, color, thick)
}

fn draw_skeleton(img: &mut Mat, p: &Pose, joints: Option<&[JointState; NUM_LANDMARKS]>, k: f64) -> opencv::Result<()> {
    let vis = |i: usize| p.keypoints[i].visibility >= MIN_DRAW_VISIBILITY;
    for &(a, b) in EDGES.iter() {
        if vis(a) && vis(b) {
            let (ka, kb) = (p.keypoints[a], p.keypoints[b]);
            imgproc::line(
                img,
                pt(ka.x, ka.y),
                pt(kb.x, kb.y),
                sc(BONE_COLOR),
                px(k, BONE_THICKNESS).max(1),
                imgproc::LINE_8,
                0,
            )?;
        }
    }
    for (i, kp) in p.keypoints.iter().enumerate() {
        if !vis(i) {
            continue;
        }
        let s = joints.map_or(JointState::Neutral, |j| j[i]);
        let r = px(k, if s >= JointState::Warn { JOINT_RADIUS + 2 } else { JOINT_RADIUS }).max(2);
        imgproc::circle(img, pt(kp.x, kp.y), r, sc(joint_color(s)), imgproc::FILLED, imgproc::LINE_8, 0)?;
    }
    Ok(())
}

fn draw_segment(img: &mut Mat, s: &SegmentPx) -> opencv::Result<()> {
    let at = |f: f32| pt(s.from.0 + (s.to.0 - s.from.0) * f, s.from.1 + (s.to.1 - s.from.1) * f);
    imgproc::line(img, at(0.0), at(1.0), sc(SEGMENT_COLOR), 1, imgproc::LINE_AA, 0)?;
    imgproc::line(img, at(s.region.0), at(s.region.1), sc(REGION_COLOR), 9, imgproc::LINE_AA, 0)?;
    for &(a, b) in &s.keep_out {
        imgproc::line(img, at(a), at(b), sc(KEEP_OUT_COLOR), 9, imgproc::LINE_AA, 0)?;
    }
    Ok(())
}

use crate::timefmt::mm_ss as fmt_mmss;

/// A vertical mark across `gauge` at `x`, reaching `over` px above and below it.
fn gauge_mark(img: &mut Mat, x: i32, gauge: Rect, over: i32, color: (u8, u8, u8), thick: i32) -> opencv::Result<()> {
    let (top, bottom) = (Point::new(x, gauge.y - over), Point::new(x, gauge.y + gauge.height + over));
    imgproc::line(img, top, bottom, sc(color), thick, imgproc::LINE_8, 0)
}

/// Least space between the top panel's left label and the speed label, px at scale 1.
const LABEL_GAP: i32 = 12;
/// Smallest font scale (times the frame's scale `k`) the top panel's left label is shrunk to (normal: 0.6).
const MIN_LABEL_SCALE: f64 = 0.35;

fn speed_label(panel: &TopPanel) -> String {
    match panel.speed_cm_s {
        Some(v) => format!("speed {v:.1} cm/s  target {:.1}", panel.target_speed_cm_s),
        None => format!("speed -  target {:.1} cm/s", panel.target_speed_cm_s),
    }
}

/// The font scale, at most `scale` and at least `min_scale`, at which `label` fits in `room` px.
fn fit_scale(label: &str, scale: f64, min_scale: f64, room: i32) -> opencv::Result<f64> {
    let width = text_size(label, scale, 1)?.width;
    if width <= room || width <= 0 {
        return Ok(scale);
    }
    Ok((scale * room.max(1) as f64 / width as f64).max(min_scale))
}

fn draw_top_panel(img: &mut Mat, panel: &TopPanel, fps: Option<f64>, k: f64) -> opencv::Result<()> {
    let w = img.cols();
    fill_rect(img, Rect::new(0, 0, w, px(k, 58)), PANEL_BG)?;
    // Left: exercise, time on area against the target, passes.
    let (tmin, tmax) = panel.time_target_s;
    let label = format!("{}  {}  passes {}", panel.exercise, fmt_mmss(panel.time_on_area_s), panel.passes);
    // Long exercise names ("Lats (ball, side-lying) (Auto)") ran into the speed label on a 640 px frame: the left
    // label is drawn smaller when it would.
    let speed_label = speed_label(panel);
    let speed_width = text_size(&speed_label, 0.45 * k, 1)?.width;
    let room = w - 2 * px(k, PANEL_PAD) - px(k, LABEL_GAP) - speed_width;
    let scale = fit_scale(&label, 0.6 * k, MIN_LABEL_SCALE * k, room)?;
    text(img, &label, Point::new(px(k, PANEL_PAD), px(k, 22)), scale, TEXT, 1)?;
    let bar = Rect::new(px(k, PANEL_PAD), px(k, 32), px(k, GAUGE_W), px(k, GAUGE_H));
    fill_rect(img, bar, (70, 70, 70))?;
    if tmax > 0.0 {
        let f = (panel.time_on_area_s / tmax).clamp(0.0, 1.0);
        let col = if panel.time_on_area_s >= tmin { JOINT_OK } else { JOINT_WARN };
        fill_rect(img, Rect::new(bar.x, bar.y, (f * px(k, GAUGE_W) as f64) as i32, px(k, GAUGE_H)), col)?;
        let xmin = bar.x + (tmin / tmax * px(k, GAUGE_W) as f64) as i32;
        gauge_mark(img, xmin, bar, px(k, 3), TEXT, 2)?;
    }
    let t = format!("{}-{}", fmt_mmss(tmin), fmt_mmss(tmax));
    text(img, &t, Point::new(bar.x + px(k, GAUGE_W) + px(k, 6), bar.y + px(k, GAUGE_H) - px(k, 2)), 0.45 * k, TEXT, 1)?;
    // Right: speed gauge with the target band.
    let gx = w - px(k, GAUGE_W) - px(k, PANEL_PAD);
    let gauge = Rect::new(gx, px(k, 32), px(k, GAUGE_W), px(k, GAUGE_H));
    let vmax = (panel.max_speed_cm_s * 1.25).max(panel.target_speed_cm_s * 3.0).max(1.0);
    let xv = |v: f32| gx + ((v / vmax).clamp(0.0, 1.0) * px(k, GAUGE_W) as f32) as i32;
    fill_rect(img, gauge, (70, 70, 70))?;
    let (lo, hi) = (panel.target_speed_cm_s * SPEED_BAND_LOW_FACTOR, panel.target_speed_cm_s * SPEED_BAND_HIGH_FACTOR);
    fill_rect(img, Rect::new(xv(lo), gauge.y, xv(hi) - xv(lo), px(k, GAUGE_H)), (60, 150, 60))?;
    if panel.max_speed_cm_s > 0.0 {
        fill_rect(
            img,
            Rect::new(xv(panel.max_speed_cm_s), gauge.y, gx + px(k, GAUGE_W) - xv(panel.max_speed_cm_s), px(k, GAUGE_H)),
            (40, 40, 160),
        )?;
    }
    let tx = xv(panel.target_speed_cm_s);
    gauge_mark(img, tx, gauge, px(k, 3), TEXT, 1)?;
    if let Some(v) = panel.speed_cm_s {
        gauge_mark(img, xv(v), gauge, px(k, 4), (0, 255, 255), 3)?;
    }
    text(img, &speed_label, Point::new(w - px(k, PANEL_PAD) - speed_width, px(k, 22)), 0.45 * k, TEXT, 1)?;
    if let Some(fps) = fps {
        text(img, &format!("{fps:.0} fps"), Point::new(w / 2 - px(k, 20), px(k, 50)), 0.4 * k, (180, 180, 180), 1)?;
    }
    Ok(())
}

fn draw_placement(img: &mut Mat, pl: &PlacementReport, k: f64) -> opencv::Result<()> {
    let items = [("side view", &pl.side_view), ("whole body in frame", &pl.whole_body), ("enough light", &pl.light)];
    let (x0, y0) = (px(k, PANEL_PAD), px(k, 70));
    fill_rect(img, Rect::new(x0, y0, px(k, 430), px(k, 24) * items.len() as i32 + px(k, 30)), PANEL_BG)?;
    text(img, "Camera set-up", Point::new(x0 + px(k, 6), y0 + px(k, 20)), 0.55 * k, TEXT, 1)?;
    for (i, (name, c)) in items.iter().enumerate() {
        let y = y0 + px(k, 44) + px(k, 24) * i as i32;
        let (mark, col, msg) = match c {
            Check::Ok => ("ok", JOINT_OK, String::new()),
            Check::Bad(m) => ("NO", JOINT_FAULT, format!(": {m}")),
            Check::Unknown => ("?", JOINT_WARN, ": waiting for a person".to_string()),
        };
        text(img, mark, Point::new(x0 + px(k, 6), y), 0.5 * k, col, 1)?;
        text(img, &format!("{name}{msg}"), Point::new(x0 + px(k, 40), y), 0.42 * k, TEXT, 1)?;
    }
    Ok(())
}

/// Mean luminance (0-255) of a BGR frame, sampled on a grid (cheap enough per frame).
pub fn mean_luma(bgr: &Mat) -> f64 {
    const STEP: usize = 8;
    let Ok(bytes) = bgr.data_bytes() else {
        return 0.0;
    };
    let (w, h) = (bgr.cols() as usize, bgr.rows() as usize);
    if w == 0 || h == 0 || bytes.len() < w * h * 3 {
        return 0.0;
    }
    let (mut sum, mut n) = (0.0, 0u64);
    for y in (0..h).step_by(STEP) {
        for x in (0..w).step_by(STEP) {
            let p = &bytes[(y * w + x) * 3..];
            sum += 0.114 * p[0] as f64 + 0.587 * p[1] as f64 + 0.299 * p[2] as f64;
            n += 1;
        }
    }
    sum / n as f64
}

/// Counts pixels of exactly colour `c` (BGR) in `r` of `img`. For tests and screenshot checks.
pub fn count_color(img: &Mat, r: Rect, c: (u8, u8, u8)) -> usize {
    let Ok(bytes) = img.data_bytes() else {
        return 0;
    };
    let w = img.cols() as usize;
    let mut n = 0;
    for y in r.y.max(0) as usize..(r.y + r.height).min(img.rows()) as usize {
        for x in r.x.max(0) as usize..(r.x + r.width).min(img.cols()) as usize {
            let p = &bytes[(y * w + x) * 3..(y * w + x) * 3 + 3];
            if (p[0], p[1], p[2]) == c {
                n += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::Keypoint;
    use opencv::core::CV_8UC3;

    /// A person lying along the image (side view): head left, feet right.
    fn lying_pose(w: f32, h: f32) -> Pose {
        let mut p = Pose::default();
        let y = h * 0.6;
        let put =
            |p: &mut Pose, i: usize, x: f32, dy: f32| p.keypoints[i] = Keypoint { x, y: y + dy, visibility: 0.95 };
        for i in 0..NUM_LANDMARKS {
            put(&mut p, i, w * 0.15, -10.0);
        }
        for (l, r, x) in [
            (idx::LEFT_EAR, idx::RIGHT_EAR, 0.12),
            (idx::LEFT_SHOULDER, idx::RIGHT_SHOULDER, 0.25),
            (idx::LEFT_ELBOW, idx::RIGHT_ELBOW, 0.3),
            (idx::LEFT_WRIST, idx::RIGHT_WRIST, 0.35),
            (idx::LEFT_HIP, idx::RIGHT_HIP, 0.5),
            (idx::LEFT_KNEE, idx::RIGHT_KNEE, 0.7),
            (idx::LEFT_ANKLE, idx::RIGHT_ANKLE, 0.88),
            (idx::LEFT_HEEL, idx::RIGHT_HEEL, 0.9),
            (idx::LEFT_FOOT_INDEX, idx::RIGHT_FOOT_INDEX, 0.9),
        ] {
            put(&mut p, l, w * x, -3.0);
            put(&mut p, r, w * x + 2.0, 3.0);
        }
        p.score = 1.0;
        p
    }

    #[test]
    fn placement_accepts_a_side_view_and_names_each_problem() {
        let p = lying_pose(640.0, 480.0);
        let r = check_placement(Some(&p), 640, 480, 120.0);
        assert!(r.all_ok(), "{r:?}");
        assert_eq!(check_placement(Some(&p), 640, 480, 20.0).light, Check::Bad("too dark: add light"));
        // Standing up (long axis vertical) is not a lying side view.
        let mut up = p;
        for k in up.keypoints.iter_mut() {
            std::mem::swap(&mut k.x, &mut k.y);
        }
        assert!(matches!(check_placement(Some(&up), 640, 640, 120.0).side_view, Check::Bad(_)));
        // Feet out of the frame.
        let r = check_placement(Some(&p), 500, 480, 120.0);
        assert!(matches!(r.whole_body, Check::Bad(_)), "{r:?}");
        // Seen from above: shoulders far apart.
        let mut top = p;
        top.keypoints[idx::LEFT_SHOULDER].y -= 60.0;
        top.keypoints[idx::RIGHT_SHOULDER].y += 60.0;
        assert!(matches!(check_placement(Some(&top), 640, 480, 120.0).side_view, Check::Bad(_)));
        let none = check_placement(None, 640, 480, 120.0);
        assert_eq!((none.side_view, none.light), (Check::Unknown, Check::Ok));
    }

    #[test]
    fn hud_draws_skeleton_cue_and_prompt() {
        let blank = || Mat::new_rows_cols_with_default(480, 640, CV_8UC3, Scalar::all(90.0)).unwrap();
        let p = lying_pose(640.0, 480.0);
        let mut j = [JointState::Neutral; NUM_LANDMARKS];
        j[idx::LEFT_KNEE] = JointState::Fault;
        j[idx::RIGHT_KNEE] = JointState::Fault;
        let seg =
            SegmentPx { from: (320.0, 288.0), to: (448.0, 288.0), region: (0.1, 0.8), keep_out: vec![(0.9, 1.2)] };
        let hud = Hud {
            pose: Some(&p),
            joints: Some(&j),
            segment: Some(&seg),
            cue: Some(("off the knee", Severity::Critical)),
            panel: TopPanel {
                exercise: "Quadriceps",
                target_speed_cm_s: 2.5,
                max_speed_cm_s: 15.0,
                time_target_s: (30.0, 120.0),
                speed_cm_s: Some(3.0),
                ..TopPanel::default()
            },
            ..Hud::default()
        };
        let mut img = blank();
        draw_hud(&mut img, &hud).unwrap();
        let all = Rect::new(0, 0, 640, 480);
        assert!(count_color(&img, all, BONE_COLOR) > 300, "skeleton bones missing");
        assert!(count_color(&img, all, JOINT_FAULT) > 50, "fault joints missing");
        let band = Rect::new(0, 480 - CUE_BAND_H, 640, CUE_BAND_H);
        assert!(count_color(&img, band, CUE_BG) > 20_000, "cue band missing");
        assert!(count_color(&img, band, CUE_TEXT) > 300, "cue text missing");
        // No person: the prompt appears, no skeleton.
        let mut img = blank();
        draw_hud(&mut img, &Hud { panel: TopPanel { exercise: "Quadriceps", ..TopPanel::default() }, ..Hud::default() }).unwrap();
        assert_eq!(count_color(&img, all, BONE_COLOR), 0);
        let mid = Rect::new(0, 180, 640, 120);
        assert!(count_color(&img, mid, PANEL_BG) > 2000, "get-in-frame panel missing");
    }

    #[test]
    fn hold_timer_is_drawn_big_and_turns_green_at_the_minimum() {
        let blank = || Mat::new_rows_cols_with_default(480, 640, CV_8UC3, Scalar::all(90.0)).unwrap();
        let right = Rect::new(320, 120, 320, 240);
        let mut img = blank();
        draw_hud(&mut img, &Hud { hold: Some((12.0, (20.0, 30.0))), ..Hud::default() }).unwrap();
        assert!(count_color(&img, right, TEXT) > 1500, "timer digits missing or small");
        assert_eq!(count_color(&img, right, JOINT_OK), 0);
        let mut img = blank();
        draw_hud(&mut img, &Hud { hold: Some((21.0, (20.0, 30.0))), ..Hud::default() }).unwrap();
        assert!(count_color(&img, right, JOINT_OK) > 1500, "timer not green at the minimum");
    }

    /// Pixels brighter than mid-grey in `r` (text on the dark panel, antialiased edges included).
    fn count_bright(img: &Mat, r: Rect) -> usize {
        let mut n = 0;
        for y in r.y..r.y + r.height {
            for x in r.x..r.x + r.width {
                let p = img.at_2d::<opencv::core::Vec3b>(y, x).unwrap();
                n += usize::from(p[0] as u32 + p[1] as u32 + p[2] as u32 > 3 * 128);
            }
        }
        n
    }

    #[test]
    fn a_long_exercise_name_does_not_run_into_the_speed_label() {
        let mut img = Mat::new_rows_cols_with_default(480, 640, CV_8UC3, Scalar::all(90.0)).unwrap();
        let panel = TopPanel {
            exercise: "Lats (ball, side-lying) (Auto)",
            time_on_area_s: 3.0,
            speed_cm_s: Some(0.6),
            target_speed_cm_s: 2.5,
            ..TopPanel::default()
        };
        draw_hud(&mut img, &Hud { panel: panel.clone(), ..Hud::default() }).unwrap();
        let speed_x = 640 - PANEL_PAD - text_size(&speed_label(&panel), 0.45, 1).unwrap().width;
        let gap = Rect::new(speed_x - LABEL_GAP + 2, 4, LABEL_GAP - 4, 24);
        assert_eq!(count_bright(&img, gap), 0, "the left label reaches the speed label");
        let left = Rect::new(0, 4, speed_x - LABEL_GAP, 24);
        let n = count_bright(&img, left);
        assert!(n > 300, "left label missing ({n} px)");
    }

    #[test]
    fn luma_of_grey_frame() {
        let m = Mat::new_rows_cols_with_default(48, 64, CV_8UC3, Scalar::all(100.0)).unwrap();
        assert!((mean_luma(&m) - 100.0).abs() < 0.5);
    }
}
