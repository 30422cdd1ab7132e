//! Small 2-D geometry: points, 2x3 affine maps named `target_from_source`, rotated square regions.

/// A 2-D point or vector (pixels unless a name says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Vec2 {
    pub x: f64,
    pub y: f64,
}

/// `new`, `sub`, `add`, `scale` and `dot` of a 2-D vector type `$v { x: $f, y: $f }`: one definition for
/// [`Vec2`] (f64) and `coach::geometry::P2` (f32).
macro_rules! vector_ops {
    ($v:ident, $f:ty) => {
        impl $v {
            pub const fn new(x: $f, y: $f) -> Self {
                Self { x, y }
            }
            pub fn sub(self, o: $v) -> $v {
                $v::new(self.x - o.x, self.y - o.y)
            }
            pub fn add(self, o: $v) -> $v {
                $v::new(self.x + o.x, self.y + o.y)
            }
            pub fn scale(self, k: $f) -> $v {
                $v::new(self.x * k, self.y * k)
            }
            pub fn dot(self, o: $v) -> $f {
                self.x * o.x + self.y * o.y
            }
        }
    };
}
pub(crate) use vector_ops;

vector_ops!(Vec2, f64);

impl Vec2 {
    pub fn norm(self) -> f64 {
        self.x.hypot(self.y)
    }
}

/// A 2x3 affine map `[a b c; d e f]`: `p' = (a x + b y + c, d x + e y + f)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine2 {
    pub m: [[f64; 3]; 2],
}

impl Affine2 {
    pub fn apply(&self, p: Vec2) -> Vec2 {
        let m = &self.m;
        Vec2::new(
            m[0][0] * p.x + m[0][1] * p.y + m[0][2],
            m[1][0] * p.x + m[1][1] * p.y + m[1][2],
        )
    }

    /// The inverse map; `None` when singular.
    pub fn inverse(&self) -> Option<Affine2> {
        let [[a, b, c], [d, e, f]] = self.m;
        let det = a * e - b * d;
        if det.abs() < 1e-12 {
            return None;
        }
        let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
        Some(Affine2 {
            m: [[ia, ib, -(ia * c + ib * f)], [id, ie, -(id * c + ie * f)]],
        })
    }
}

/// A rotated square region of interest in image pixels: centre, side length and rotation (radians, image axes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotatedSquare {
    pub center: Vec2,
    pub size: f64,
    pub angle: f64,
}

impl RotatedSquare {
    /// The map from a `crop_px` x `crop_px` upright crop of this region back to image pixels.
    pub fn image_from_crop(&self, crop_px: f64) -> Affine2 {
        let (s, c) = self.angle.sin_cos();
        let k = self.size / crop_px;
        let h = 0.5 * self.size;
        // image = center + R * (crop * k - (h, h))
        let tx = self.center.x - (c * h - s * h);
        let ty = self.center.y - (s * h + c * h);
        Affine2 {
            m: [[c * k, -s * k, tx], [s * k, c * k, ty]],
        }
    }
}

/// Wraps an angle to [-pi, pi).
pub fn normalize_radians(a: f64) -> f64 {
    use std::f64::consts::PI;
    a - 2.0 * PI * ((a + PI) / (2.0 * PI)).floor()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_from_crop_maps_corners() {
        let roi = RotatedSquare {
            center: Vec2::new(100.0, 50.0),
            size: 40.0,
            angle: 0.3,
        };
        let m = roi.image_from_crop(256.0);
        let c = m.apply(Vec2::new(128.0, 128.0));
        assert!((c.x - 100.0).abs() < 1e-9 && (c.y - 50.0).abs() < 1e-9);
        // top-left corner of the crop is center + R * (-20, -20)
        let (s, co) = 0.3f64.sin_cos();
        let tl = m.apply(Vec2::new(0.0, 0.0));
        assert!((tl.x - (100.0 + (-20.0 * co + 20.0 * s))).abs() < 1e-9);
        assert!((tl.y - (50.0 + (-20.0 * s - 20.0 * co))).abs() < 1e-9);
        let back = m.inverse().unwrap().apply(tl);
        assert!(back.x.abs() < 1e-9 && back.y.abs() < 1e-9);
    }

    #[test]
    fn normalize_wraps() {
        assert!(
            (normalize_radians(3.0 * std::f64::consts::PI) + std::f64::consts::PI).abs() < 1e-9
        );
        assert!((normalize_radians(0.5) - 0.5).abs() < 1e-12);
    }
}
