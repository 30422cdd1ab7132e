//! The live coach: capture thread -> latest-frame slot -> pipeline -> HUD overlay -> window + cues + session files.
//!
//! Pure parts (cue scheduling, placement check, history aggregation, beep synthesis, colour conversion) are unit-tested
//! without camera, window or audio device; the I/O edges (nokhwa, minifb, audio players, files) are thin wrappers.

pub mod audio;
pub mod capture;
pub mod coach_view;
pub mod cues;
pub mod history;
pub mod overlay;
pub mod run;
pub mod session;
pub mod signals;
pub mod window;
