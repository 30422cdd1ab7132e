//! Drawing on BGR frames with OpenCV imgproc: skeleton, roller, labels. Colours are BGR.

use opencv::core::{Mat, Point, Scalar};
use opencv::imgproc;

use crate::landmarks::{Pose, RollerObs, EDGES};

/// Landmarks below this visibility are drawn faint (BlazePose visibility is a sigmoid; 0.5 = undecided).
pub const VISIBLE_MIN: f32 = 0.5;

pub const BONE: Scalar = Scalar::new(255.0, 220.0, 80.0, 0.0);
pub const BONE_FAINT: Scalar = Scalar::new(140.0, 120.0, 60.0, 0.0);
pub const JOINT_OK: Scalar = Scalar::new(80.0, 220.0, 80.0, 0.0);
pub const JOINT_FAULT: Scalar = Scalar::new(40.0, 40.0, 240.0, 0.0);
pub const ROLLER: Scalar = Scalar::new(0.0, 200.0, 255.0, 0.0);
pub const TEXT: Scalar = Scalar::new(255.0, 255.0, 255.0, 0.0);
pub const TEXT_SHADOW: Scalar = Scalar::new(0.0, 0.0, 0.0, 0.0);

fn pt(x: f32, y: f32) -> Point {
    Point::new(x.round() as i32, y.round() as i32)
}

/// Line thickness and joint radius scaled to the frame (2 px at 480 lines).
pub fn stroke_for(frame: &Mat) -> i32 {
    use opencv::prelude::MatTraitConst;
    ((frame.rows().max(frame.cols()) as f32) / 320.0)
        .round()
        .max(1.0) as i32
}

/// Draws the skeleton; `fault_joints[i]` marks landmark `i` as part of an active fault (drawn red).
pub fn draw_skeleton(
    frame: &mut Mat,
    pose: &Pose,
    fault_joints: Option<&[bool]>,
) -> opencv::Result<()> {
    let s = stroke_for(frame);
    for &(a, b) in EDGES.iter() {
        let (p, q) = (pose.keypoints[a], pose.keypoints[b]);
        let colour = if p.visibility.min(q.visibility) >= VISIBLE_MIN {
            BONE
        } else {
            BONE_FAINT
        };
        imgproc::line(
            frame,
            pt(p.x, p.y),
            pt(q.x, q.y),
            colour,
            s,
            imgproc::LINE_AA,
            0,
        )?;
    }
    for (i, k) in pose.keypoints.iter().enumerate() {
        let fault = fault_joints.is_some_and(|f| f.get(i).copied().unwrap_or(false));
        let colour = if fault {
            JOINT_FAULT
        } else if k.visibility >= VISIBLE_MIN {
            JOINT_OK
        } else {
            BONE_FAINT
        };
        imgproc::circle(frame, pt(k.x, k.y), s + 2, colour, -1, imgproc::LINE_AA, 0)?;
    }
    Ok(())
}

/// Draws the roller circle and its centre.
pub fn draw_roller(frame: &mut Mat, r: &RollerObs) -> opencv::Result<()> {
    let s = stroke_for(frame);
    imgproc::circle(
        frame,
        pt(r.cx, r.cy),
        r.r.round() as i32,
        ROLLER,
        s,
        imgproc::LINE_AA,
        0,
    )?;
    imgproc::circle(
        frame,
        pt(r.cx, r.cy),
        s + 1,
        ROLLER,
        -1,
        imgproc::LINE_AA,
        0,
    )
}

/// Text with a dark outline so it reads on any background; `scale` 1.0 is ~22 px tall.
pub fn draw_text(
    frame: &mut Mat,
    text: &str,
    x: i32,
    y: i32,
    scale: f64,
    colour: Scalar,
) -> opencv::Result<()> {
    let th = (scale * 2.0).round().max(1.0) as i32;
    let f = imgproc::FONT_HERSHEY_SIMPLEX;
    imgproc::put_text(
        frame,
        text,
        Point::new(x, y),
        f,
        scale,
        TEXT_SHADOW,
        th + 3,
        imgproc::LINE_AA,
        false,
    )?;
    imgproc::put_text(
        frame,
        text,
        Point::new(x, y),
        f,
        scale,
        colour,
        th,
        imgproc::LINE_AA,
        false,
    )
}
