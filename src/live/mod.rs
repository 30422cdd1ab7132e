//! The live coach: capture thread -> latest-frame slot -> pipeline -> coaching engine -> HUD overlay -> window + cues
//! + session files.
//!
//! ```text
//! capture thread (capture.rs)            main thread (run.rs)
//!   CameraSource (nokhwa) or               take freshest frame (waits <= 50 ms, services window/keys meanwhile)
//!   Paced<VideoFileSource>  --put-->  [LatestSlot, capacity 1: a newer frame replaces an untaken one]
//!   reopens a lost camera every 1 s        Perception::frame (worker.rs): leaves the frame in a one-frame slot
//!                                          for the model thread (a newer frame replaces an untaken one: never
//!                                          queued); pose measured on this frame or predicted from the latest
//!                                          measurements, last roller
//!                                     <--> model thread (worker.rs): Pipeline::process_planned (pose, smoothing,
//!                                          roller step when budget.rs finds it fits, else the last roller kept)
//!                                          LiveCoach::update (engine: exercise, contact, speed, rules, cues)
//!                                          CueScheduler; draw_hud (crate::hud) -> LiveWindow (minifb) or headless
//!                                     --> writer thread (writer.rs): SessionWriter (poses.jsonl + events.jsonl,
//!                                          flushed every 250 ms), AudioSink (espeak-ng / beeps / WAV file)
//! ```
//!
//! Latency is measured per frame from the moment the frame left the source to the moment its HUD is drawn, and the
//! age of the pose shown from the capture of the frame it was measured on
//! (`rollcoach live --source CLIP --no-window --mute --bench [--repeat N]`); `--unpaced` reads the clip as fast as it
//! is processed, every frame measured, for throughput.
//!
//! Pure parts (cue scheduling, placement check, joint colouring, history aggregation, calendar weeks, beep synthesis,
//! colour conversion, key edges) are unit-tested without camera, window or audio device; the I/O edges (nokhwa,
//! minifb, audio players, files, signals) are thin wrappers. End-to-end tests: `tests/live_clip.rs`,
//! `tests/live_keys.rs` (run under `xvfb-run -a`).

pub mod audio;
pub mod budget;
pub mod capture;
pub mod cues;
pub mod history;
pub mod run;
pub mod session;
pub mod signals;
pub mod worker;
pub mod window;
pub mod writer;
