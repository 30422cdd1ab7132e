//! The BlazePose 33-landmark layout and the `Pose` type every other module speaks.
//!
//! Coordinates are image pixels (`image` space: x right, y down) unless a name says otherwise.

use serde::{Deserialize, Serialize};

/// Number of landmarks in the BlazePose layout.
pub const NUM_LANDMARKS: usize = 33;

/// Layout name written in pose-track headers.
pub const LAYOUT_BLAZEPOSE33: &str = "blazepose33";

/// Landmark names, index = landmark id (MediaPipe order).
pub const NAMES: [&str; NUM_LANDMARKS] = [
    "nose",
    "left_eye_inner",
    "left_eye",
    "left_eye_outer",
    "right_eye_inner",
    "right_eye",
    "right_eye_outer",
    "left_ear",
    "right_ear",
    "mouth_left",
    "mouth_right",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_pinky",
    "right_pinky",
    "left_index",
    "right_index",
    "left_thumb",
    "right_thumb",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_foot_index",
    "right_foot_index",
];

/// Named indices into [`NAMES`].
pub mod idx {
    pub const NOSE: usize = 0;
    pub const LEFT_EAR: usize = 7;
    pub const RIGHT_EAR: usize = 8;
    pub const LEFT_SHOULDER: usize = 11;
    pub const RIGHT_SHOULDER: usize = 12;
    pub const LEFT_ELBOW: usize = 13;
    pub const RIGHT_ELBOW: usize = 14;
    pub const LEFT_WRIST: usize = 15;
    pub const RIGHT_WRIST: usize = 16;
    /// The last hand landmark (17-22: pinky, index and thumb, left and right).
    pub const RIGHT_THUMB: usize = 22;
    pub const LEFT_HIP: usize = 23;
    pub const RIGHT_HIP: usize = 24;
    pub const LEFT_KNEE: usize = 25;
    pub const RIGHT_KNEE: usize = 26;
    pub const LEFT_ANKLE: usize = 27;
    pub const RIGHT_ANKLE: usize = 28;
    pub const LEFT_HEEL: usize = 29;
    pub const RIGHT_HEEL: usize = 30;
    pub const LEFT_FOOT_INDEX: usize = 31;
    pub const RIGHT_FOOT_INDEX: usize = 32;
}

/// Named landmark groups, left before right, that several checks combine (see [`concat`]).
pub mod group {
    use super::idx::*;
    pub const SHOULDERS: [usize; 2] = [LEFT_SHOULDER, RIGHT_SHOULDER];
    pub const ELBOWS: [usize; 2] = [LEFT_ELBOW, RIGHT_ELBOW];
    pub const WRISTS: [usize; 2] = [LEFT_WRIST, RIGHT_WRIST];
    pub const HIPS: [usize; 2] = [LEFT_HIP, RIGHT_HIP];
    pub const KNEES: [usize; 2] = [LEFT_KNEE, RIGHT_KNEE];
    pub const ANKLES: [usize; 2] = [LEFT_ANKLE, RIGHT_ANKLE];
    /// Hips, knees and ankles.
    pub const LEG_JOINTS: [usize; 6] = [LEFT_HIP, RIGHT_HIP, LEFT_KNEE, RIGHT_KNEE, LEFT_ANKLE, RIGHT_ANKLE];
    /// Heels and foot tips.
    pub const FEET: [usize; 4] = [LEFT_HEEL, RIGHT_HEEL, LEFT_FOOT_INDEX, RIGHT_FOOT_INDEX];
}

/// Two landmark groups as one, `a` first (`N` must be `A + B`; checked when the constant is built).
pub const fn concat<const A: usize, const B: usize, const N: usize>(a: [usize; A], b: [usize; B]) -> [usize; N] {
    assert!(A + B == N, "concat: N must be A + B");
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < A { a[i] } else { b[i - A] };
        i += 1;
    }
    out
}

/// Skeleton edges for drawing.
pub const EDGES: [(usize, usize); 27] = [
    (11, 12),
    (11, 13),
    (13, 15),
    (12, 14),
    (14, 16),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (25, 27),
    (27, 29),
    (29, 31),
    (27, 31),
    (24, 26),
    (26, 28),
    (28, 30),
    (30, 32),
    (28, 32),
    (0, 2),
    (0, 5),
    (2, 7),
    (5, 8),
    (9, 10),
    (15, 17),
    (15, 19),
    (16, 18),
    (16, 20),
];

/// Looks a landmark up by name (`"left_knee"`), also accepting the short forms `l_knee`/`r_knee`.
pub fn index_of(name: &str) -> Option<usize> {
    let long = if let Some(rest) = name.strip_prefix("l_") {
        format!("left_{rest}")
    } else if let Some(rest) = name.strip_prefix("r_") {
        format!("right_{rest}")
    } else {
        name.to_string()
    };
    NAMES.iter().position(|n| *n == long)
}

/// One landmark in image pixels with the model's visibility (0..1).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Keypoint {
    pub x: f32,
    pub y: f32,
    pub visibility: f32,
}

/// A full-body pose: 33 landmarks in image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pose {
    pub keypoints: [Keypoint; NUM_LANDMARKS],
    /// Person presence / detection score of the estimator (0..1).
    pub score: f32,
    /// 3-D world landmarks in metres (`body` space: hip-centred, x right and y down as in the image, z away from
    /// the camera), when the estimator gives them (BlazePose output `Identity_4`, rotated from crop to image axes).
    pub world: Option<WorldLandmarks>,
}

/// 33 landmarks in metres, hip-centred, image-aligned axes (see [`Pose::world`]).
pub type WorldLandmarks = [[f32; 3]; NUM_LANDMARKS];

impl Default for Pose {
    fn default() -> Self {
        Self {
            keypoints: [Keypoint::default(); NUM_LANDMARKS],
            score: 0.0,
            world: None,
        }
    }
}

impl Pose {
    pub fn kp(&self, i: usize) -> Keypoint {
        self.keypoints[i]
    }

    /// Mid-point of two landmarks (e.g. both hips), visibility the smaller of the two.
    pub fn mid(&self, a: usize, b: usize) -> Keypoint {
        let (p, q) = (self.keypoints[a], self.keypoints[b]);
        Keypoint {
            x: (p.x + q.x) * 0.5,
            y: (p.y + q.y) * 0.5,
            visibility: p.visibility.min(q.visibility),
        }
    }
}

/// Which self-massage tool was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolKind {
    #[default]
    Roller,
    Ball,
}

/// The roller (or ball) as seen in the image, image pixels. `cx, cy, r` is the end face (a circle in a side view;
/// for an oblique view the centre of the nearer end face and the roller's radius in pixels there).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RollerObs {
    pub cx: f32,
    pub cy: f32,
    pub r: f32,
    /// Detection confidence 0..1 (1 for rollers read from a pose track).
    pub confidence: f32,
    /// The roller's axis as two end points `[[x0, y0], [x1, y1]]` (image pixels), when the detector sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub axis: Option<[[f32; 2]; 2]>,
    /// The image point where the roller touches the body (its top line under the body segment), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<[f32; 2]>,
    #[serde(default)]
    pub kind: ToolKind,
}
