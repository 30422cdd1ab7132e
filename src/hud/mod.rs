//! The coaching HUD, shared by `analyze` (annotated video) and `live` (window): `coach_view` turns the form engine's
//! per-frame state into what is shown (`CoachView`, joint colours, cues); `overlay` draws it onto a BGR frame.

pub mod coach_view;
pub mod overlay;

use crate::landmarks::{Pose, RollerObs};

/// Drawing on a scaled-down copy of the frame (the annotated video's size): image-pixel positions times `s`.
pub fn scale_pose(p: &Pose, s: f32) -> Pose {
    let mut q = *p;
    for k in q.keypoints.iter_mut() {
        (k.x, k.y) = (k.x * s, k.y * s);
    }
    q
}

/// See [`scale_pose`].
pub fn scale_roller(r: RollerObs, s: f32) -> RollerObs {
    let sc = |[x, y]: [f32; 2]| [x * s, y * s];
    RollerObs {
        cx: r.cx * s,
        cy: r.cy * s,
        r: r.r * s,
        axis: r.axis.map(|[a, b]| [sc(a), sc(b)]),
        contact: r.contact.map(sc),
        ..r
    }
}
