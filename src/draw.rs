//! Text drawing on BGR frames with OpenCV imgproc (the coaching HUD itself is `hud::overlay`).

use opencv::core::{Mat, Point, Scalar};
use opencv::imgproc;

pub const TEXT: Scalar = Scalar::new(255.0, 255.0, 255.0, 0.0);
pub const TEXT_SHADOW: Scalar = Scalar::new(0.0, 0.0, 0.0, 0.0);

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
