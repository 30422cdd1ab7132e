//! Plane geometry in image pixels (x right, y down): projections onto segments, angles, distances.

/// A point or vector in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct P2 {
    pub x: f32,
    pub y: f32,
}

crate::geometry::vector_ops!(P2, f32);

impl P2 {
    /// z of the 2-D cross product.
    pub fn cross(self, o: P2) -> f32 {
        self.x * o.y - self.y * o.x
    }
    pub fn norm(self) -> f32 {
        self.dot(self).sqrt()
    }
    pub fn dist(self, o: P2) -> f32 {
        self.sub(o).norm()
    }
    pub fn lerp(self, o: P2, t: f32) -> P2 {
        self.add(o.sub(self).scale(t))
    }
}

impl From<crate::landmarks::Keypoint> for P2 {
    fn from(k: crate::landmarks::Keypoint) -> Self {
        P2::new(k.x, k.y)
    }
}

/// Where a point lies relative to the segment `a -> b`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Position along the segment: 0 at `a`, 1 at `b`, unclamped.
    pub t: f32,
    /// Signed perpendicular distance in px; positive on the image-down side of the segment (toward the floor for a
    /// horizontal segment, regardless of its direction).
    pub offset_down_px: f32,
    /// Segment length in px.
    pub len_px: f32,
}

/// Projects `p` onto the line through `a`, `b`. `None` for a degenerate (zero-length) segment.
pub fn project(p: P2, a: P2, b: P2) -> Option<Projection> {
    let d = b.sub(a);
    let len2 = d.dot(d);
    if !(len2 > 1e-6) || !len2.is_finite() {
        return None;
    }
    let len = len2.sqrt();
    let ap = p.sub(a);
    let t = ap.dot(d) / len2;
    // Unit normal pointing image-down (+y).
    let mut n = P2::new(-d.y / len, d.x / len);
    if n.y < 0.0 || (n.y == 0.0 && n.x < 0.0) {
        n = n.scale(-1.0);
    }
    Some(Projection {
        t,
        offset_down_px: ap.dot(n),
        len_px: len,
    })
}

/// Position `s` on the line `a + s d` (0 at `a`, 1 at `a + d`, unclamped) where the line through `p` with direction
/// `u` meets it; `None` when the two lines cross at a sine of the angle below `min_sin` (nearly parallel: the
/// crossing moves by 1/sin of any error in either line).
pub fn cross_along(p: P2, u: P2, a: P2, d: P2, min_sin: f32) -> Option<f32> {
    let den = d.x * u.y - d.y * u.x;
    if !(den.abs() >= min_sin * (d.norm() * u.norm())) || den == 0.0 {
        return None;
    }
    let w = p.sub(a);
    Some((w.x * u.y - w.y * u.x) / den)
}

/// Bend at `b` of the chain `a-b-c` in degrees: 0 = straight line, 90 = right angle.
pub fn bend_deg(a: P2, b: P2, c: P2) -> Option<f32> {
    let u = b.sub(a);
    let v = c.sub(b);
    let (nu, nv) = (u.norm(), v.norm());
    if nu < 1e-3 || nv < 1e-3 {
        return None;
    }
    let cos = (u.dot(v) / (nu * nv)).clamp(-1.0, 1.0);
    Some(cos.acos().to_degrees())
}

/// Angle of `a -> b` above the horizontal in degrees (0..90), direction-agnostic.
pub fn incline_deg(a: P2, b: P2) -> f32 {
    let d = b.sub(a);
    d.y.abs().atan2(d.x.abs()).to_degrees()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn projection_of_midpoint_below_horizontal_segment() {
        let p = project(P2::new(50.0, 30.0), P2::new(0.0, 10.0), P2::new(100.0, 10.0)).unwrap();
        assert!((p.t - 0.5).abs() < 1e-6);
        assert!((p.offset_down_px - 20.0).abs() < 1e-4);
        assert!((p.len_px - 100.0).abs() < 1e-4);
        // Reversed direction: t mirrors, "down" stays down.
        let q = project(P2::new(50.0, 30.0), P2::new(100.0, 10.0), P2::new(0.0, 10.0)).unwrap();
        assert!((q.t - 0.5).abs() < 1e-6 && (q.offset_down_px - 20.0).abs() < 1e-4);
        let r = project(P2::new(120.0, 10.0), P2::new(100.0, 10.0), P2::new(0.0, 10.0)).unwrap();
        assert!((r.t + 0.2).abs() < 1e-6);
    }

    #[test]
    fn degenerate_segment_is_none() {
        assert!(project(P2::new(1.0, 1.0), P2::new(3.0, 3.0), P2::new(3.0, 3.0)).is_none());
    }

    #[test]
    fn bend_of_straight_and_right_angle() {
        let s = bend_deg(P2::new(0.0, 0.0), P2::new(1.0, 0.0), P2::new(2.0, 0.0)).unwrap();
        assert!(s.abs() < 1e-3);
        let r = bend_deg(P2::new(0.0, 0.0), P2::new(1.0, 0.0), P2::new(1.0, 5.0)).unwrap();
        assert!((r - 90.0).abs() < 1e-3);
    }

    proptest! {
        #[test]
        fn projection_reconstructs_point(ax in -500f32..500.0, ay in -500f32..500.0, bx in -500f32..500.0,
                                          by in -500f32..500.0, px in -500f32..500.0, py in -500f32..500.0) {
            let (a, b, p) = (P2::new(ax, ay), P2::new(bx, by), P2::new(px, py));
            prop_assume!(a.dist(b) > 1.0);
            let pr = project(p, a, b).unwrap();
            let foot = a.lerp(b, pr.t);
            // |p - foot| equals |offset| and p - foot is perpendicular to the segment.
            prop_assert!((p.dist(foot) - pr.offset_down_px.abs()).abs() < 1e-2 * (1.0 + p.dist(foot)));
            prop_assert!(p.sub(foot).dot(b.sub(a)).abs() / b.sub(a).norm() < 1e-2 * (1.0 + p.dist(a)));
        }

        #[test]
        fn t_is_invariant_to_translation_and_scale(ax in -100f32..100.0, ay in -100f32..100.0,
                dx in 10f32..200.0, dy in -50f32..50.0, t in -1f32..2.0, k in 0.2f32..5.0, ox in -300f32..300.0) {
            let a = P2::new(ax, ay);
            let b = P2::new(ax + dx, ay + dy);
            let p = a.lerp(b, t).add(P2::new(-dy, dx).scale(0.3));
            let pr = project(p, a, b).unwrap();
            prop_assert!((pr.t - t).abs() < 1e-3);
            let m = |q: P2| P2::new(q.x * k + ox, q.y * k);
            let pr2 = project(m(p), m(a), m(b)).unwrap();
            prop_assert!((pr2.t - t).abs() < 1e-3);
        }
    }
}
