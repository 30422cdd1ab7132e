//! Where the roller touches the body. Seen end-on the roller is a circle and touches the body segment at the foot
//! of the perpendicular from its centre; seen obliquely (when a candidate source gives the cylinder's axis) the body
//! rests on the cylinder's top line, which meets the body segment away from the visible end face.

use super::body::Segment;
use crate::coach::geometry::{cross_along, P2};
use crate::coach::recognize::MIN_CROSSING_SIN;

/// The body line runs through the joint centres; the skin resting on the roller is about this many roller radii
/// below it (the same typical gap the verification expects between body line and roller top).
const LIMB_DEPTH_R: f32 = 0.9;

/// Where the roller touches `segment`: the roller's top line (through the top of the end face, along the axis when
/// it is known) meets the segment; when the two are nearly parallel, the segment point nearest the top of the
/// cylinder's middle; end-on, the segment point nearest the centre.
pub fn contact(segment: &Segment, c: (f32, f32, f32), axis: Option<[[f32; 2]; 2]>) -> [f32; 2] {
    let (cx, cy, r) = c;
    let top = (cx, cy - r);
    if let Some([p0, p1]) = axis {
        let d = (p1[0] - p0[0], p1[1] - p0[1]);
        let e = P2::new(segment.b.0 - segment.a.0, segment.b.1 - segment.a.1);
        // top + s d meets the segment moved down to the skin on the roller (its start a')
        let skin = P2::new(segment.a.0, segment.a.1 + LIMB_DEPTH_R * r);
        if let Some(s) = cross_along(skin, e, P2::new(top.0, top.1), P2::new(d.0, d.1), MIN_CROSSING_SIN) {
            let s = s.clamp(0.0, 1.0);
            let p = (top.0 + s * d.0, top.1 + s * d.1);
            let q = segment.closest_point(p);
            return [q.0, q.1];
        }
        // Nearly parallel lines cross anywhere along the cylinder: the body lies across its middle.
        let mid = (0.5 * (p0[0] + p1[0]), 0.5 * (p0[1] + p1[1]) - r);
        let q = segment.closest_point(mid);
        return [q.0, q.1];
    }
    // End-on: a circle touches a line at the foot of the perpendicular from its centre.
    let q = segment.closest_point((cx, cy));
    [q.0, q.1]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEG: Segment = Segment { a: (100.0, 200.0), b: (400.0, 200.0) };

    #[test]
    fn end_on_contact_is_the_segment_point_nearest_the_centre() {
        assert_eq!(contact(&SEG, (250.0, 240.0, 20.0), None), [250.0, 200.0]);
    }

    #[test]
    fn oblique_contact_follows_the_top_line_away_from_the_end_face() {
        // The cylinder runs up-left from the end face at (300, 260); its top line starts at (300, 240) and reaches
        // the skin (one limb depth, 0.9 r = 18 px, below the body line at y=200) at y=218: 22 px up, 22 px left.
        let axis = [[300.0, 260.0], [200.0, 160.0]];
        let c = contact(&SEG, (300.0, 260.0, 20.0), Some(axis));
        assert!((c[0] - 278.0).abs() < 0.5 && (c[1] - 200.0).abs() < 0.5, "{c:?}");
    }

    #[test]
    fn an_axis_nearly_parallel_to_the_body_puts_the_contact_over_the_cylinder_middle() {
        // Low camera, 3/4 view: the roller's axis runs almost along the body line (10 deg), so the lines' crossing
        // is ill-conditioned; the body lies across the cylinder's middle (x = 330).
        let axis = [[300.0, 260.0], [360.0, 249.4]];
        let c = contact(&SEG, (300.0, 260.0, 20.0), Some(axis));
        assert!((c[0] - 330.0).abs() < 0.5 && (c[1] - 200.0).abs() < 0.5, "{c:?}");
    }
}
