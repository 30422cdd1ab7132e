//! rollcoach: a foam-roller form coach.
//!
//! Pure core (geometry, smoothing, roller-contact mapping, rules, reports) is testable without camera, model or
//! window; I/O lives at the edges (sources, estimator, window, audio, writers).

pub mod landmarks;
pub mod live;
pub mod posetrack;
pub mod app;
pub mod source;
pub mod geometry;
pub mod pose;
pub mod runtime;
pub mod smoothing;
pub mod draw;
pub mod pipeline;
pub mod analysis;
pub mod report;
