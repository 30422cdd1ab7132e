//! The coaching HUD, shared by `analyze` (annotated video) and `live` (window): `coach_view` turns the form engine's
//! per-frame state into what is shown (`CoachView`, joint colours, cues); `overlay` draws it onto a BGR frame.

pub mod coach_view;
pub mod overlay;
