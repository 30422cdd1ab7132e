//! Which tool was seen, checked against its size. The learned detector tells a massage ball from a foam roller by
//! its look, but a roller seen end-on is a round face like a ball: on the side-view render it_band_too_fast it read
//! "ball" for a second, and the roller exercises lost their contact. Measured with the body's own scale (world
//! landmarks, `body::cm_per_px`), a round tool's diameter says which of the two stated tools it is.

use crate::landmarks::{RollerObs, ToolKind};

/// A round tool (no axis seen) is taken for the stated tool whose diameter its own is nearer, once it is this factor
/// beyond the geometric middle of the two stated diameters (9.7 cm for the default 15 cm roller and 6.3 cm ball;
/// bounds 8.4 and 11.2 cm). Chosen on the ten development clips and the ten first samples (`--roller-detector both`):
/// the median end-on diameter per clip, 2 r times the body's cm per px, was 13.8-16.1 cm for rollers of 13.5-15 cm
/// and 7.5-9.2 cm for balls of 6.4-6.5 cm (the ball's outline reads larger); inside the bounds the detector's
/// look decides.
pub const KIND_SIZE_MARGIN: f32 = 1.15;

/// The tool `obs` is: its detected kind, unless it is round and its size, at the body scale `body_cm_per_px`,
/// clearly fits the other stated diameter (`roller_cm`, `ball_cm`).
pub fn checked_kind(obs: &RollerObs, body_cm_per_px: Option<f32>, roller_cm: f32, ball_cm: f32) -> ToolKind {
    let Some(cpp) = body_cm_per_px.filter(|c| c.is_finite() && *c > 0.0) else {
        return obs.kind;
    };
    if obs.axis.is_some() || !(obs.r > 0.0) || roller_cm <= ball_cm {
        return obs.kind;
    }
    let d = 2.0 * obs.r * cpp;
    let middle = (roller_cm * ball_cm).sqrt();
    if d > middle * KIND_SIZE_MARGIN {
        ToolKind::Roller
    } else if d < middle / KIND_SIZE_MARGIN {
        ToolKind::Ball
    } else {
        obs.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(r: f32, kind: ToolKind) -> RollerObs {
        RollerObs { cx: 100.0, cy: 100.0, r, confidence: 0.9, axis: None, contact: None, kind }
    }

    #[test]
    fn a_roller_sized_round_face_is_a_roller_whatever_it_looked_like() {
        // 20 px radius at 0.375 cm/px: 15 cm
        assert_eq!(checked_kind(&round(20.0, ToolKind::Ball), Some(0.375), 15.0, 6.3), ToolKind::Roller);
        // 9 px: 6.75 cm, a ball
        assert_eq!(checked_kind(&round(9.0, ToolKind::Roller), Some(0.375), 15.0, 6.3), ToolKind::Ball);
    }

    #[test]
    fn in_between_sizes_no_scale_or_a_seen_axis_keep_the_detected_kind() {
        // 13 px: 9.75 cm, between the bounds
        assert_eq!(checked_kind(&round(13.0, ToolKind::Ball), Some(0.375), 15.0, 6.3), ToolKind::Ball);
        assert_eq!(checked_kind(&round(13.0, ToolKind::Roller), Some(0.375), 15.0, 6.3), ToolKind::Roller);
        assert_eq!(checked_kind(&round(20.0, ToolKind::Ball), None, 15.0, 6.3), ToolKind::Ball);
        let mut peanut = round(9.0, ToolKind::Ball);
        peanut.axis = Some([[90.0, 100.0], [130.0, 100.0]]);
        assert_eq!(checked_kind(&peanut, Some(1.0), 15.0, 6.3), ToolKind::Ball);
        // stated sizes that do not tell the tools apart
        assert_eq!(checked_kind(&round(20.0, ToolKind::Ball), Some(0.375), 8.0, 8.0), ToolKind::Ball);
    }
}
