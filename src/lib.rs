//! rollcoach: a foam-roller form coach.
//!
//! Pure core (geometry, smoothing, roller-contact mapping, rules, reports) is testable without camera, model or
//! window; I/O lives at the edges (sources, estimator, window, audio, writers).

pub mod analysis;
pub mod body;
pub mod app;
pub mod coach;
pub mod draw;
pub mod encode;
pub mod files;
pub mod outputs;
pub mod geometry;
pub mod hud;
pub mod landmarks;
pub mod live;
pub mod pipeline;
pub mod pose;
pub mod posetrack;
pub mod report;
pub mod report_html;
pub mod roller;
pub mod routine;
pub mod runtime;
pub mod signals;
pub mod smoothing;
pub mod source;
pub mod stats;
pub mod synth;
pub mod timefmt;
