//! Analysing a recorded clip: frames from a `FrameSource` through the `Pipeline`, into sinks (annotated video,
//! pose track). Per-frame work writes into buffers owned here; nothing is allocated per frame but the track lines.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::time::Instant;

use opencv::core::Mat;
use opencv::videoio;
use opencv::prelude::*;
use thiserror::Error;

use crate::coach::hindsight::MetricsLog;
use crate::coach::{Analysis, CoachError, EngineConfig};
use crate::draw;
use crate::encode::{self, EncodeError, VideoEncoder, VideoSize};
use crate::hud;
use crate::outputs;
use crate::landmarks::NUM_LANDMARKS;
use crate::hud::coach_view::{CoachView, LiveCoach};
use crate::hud::overlay::{self, JointState};
use crate::pipeline::{FrameResult, Pipeline, PipelineError, PoseHalf, PoseStep};
use crate::posetrack::{TrackError, TrackFrame, TrackHeader, TrackWriter};
use crate::source::{FrameSource, SourceError};

#[derive(Debug, Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Track(#[from] TrackError),
    #[error(transparent)]
    Video(#[from] EncodeError),
    #[error(transparent)]
    Coach(#[from] CoachError),
    #[error("drawing: {0}")]
    Draw(#[from] opencv::Error),
    #[error("interrupted (SIGINT/SIGTERM): partial outputs removed")]
    Interrupted,
}

/// Writes the annotated video (see `encode`: libx264 through ffmpeg, else OpenCV's writer).
pub struct AnnotatedVideoWriter {
    path: PathBuf,
    encoder: VideoEncoder,
    pub codec: &'static str,
}

impl AnnotatedVideoWriter {
    /// A `width` x `height` video (the output size; frames must have it).
    pub fn create(path: &Path, width: u32, height: u32, fps: f64) -> Result<Self, AnalysisError> {
        let encoder = VideoEncoder::create(path, (width, height), fps, false)?;
        Ok(Self { path: path.to_path_buf(), codec: encoder.codec, encoder })
    }

    pub fn write(&mut self, frame: &Mat) -> Result<(), AnalysisError> {
        Ok(self.encoder.write(frame)?)
    }

    /// Closes the file and checks that it reads back (OpenCV's writer drops write errors: a full disk gives an mp4
    /// without its index); a failure on a nearly full disk is reported as such.
    pub fn finish(self) -> Result<(), AnalysisError> {
        let path = self.path.clone();
        let err = |msg: String| AnalysisError::Video(EncodeError::Write { path: path.clone(), msg });
        let dir = path.parent().unwrap_or(Path::new("."));
        let disk_full = || outputs::free_bytes(dir).is_some_and(|b| b < outputs::LOW_SPACE_BYTES);
        if let Err(e) = self.encoder.finish() {
            if disk_full() {
                return Err(err("no space left on the device: free some space or choose another --out folder".into()));
            }
            return Err(e.into());
        }
        let name = path.to_str().unwrap_or_default();
        let readable = videoio::VideoCapture::from_file(name, videoio::CAP_FFMPEG)
            .and_then(|c| Ok(c.is_opened()? && c.get(videoio::CAP_PROP_FRAME_COUNT)? > 0.0))
            .unwrap_or(false);
        if readable {
            return Ok(());
        }
        if disk_full() {
            return Err(err("no space left on the device: free some space or choose another --out folder".into()));
        }
        Err(err("the encoder wrote a file that does not read back".into()))
    }
}

/// Where the clip analysis writes.
#[derive(Debug, Clone)]
pub struct ClipOutputs {
    pub annotated_video: Option<PathBuf>,
    /// Largest size of the annotated video (the frame is scaled down to fit before the HUD is drawn).
    pub video_size: VideoSize,
    pub pose_track: PathBuf,
}

/// Figures of one clip run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ClipStats {
    pub frames: u64,
    pub frames_with_person: u64,
    pub seconds_of_video: f64,
    /// Wall-clock seconds spent (decode + model + drawing + writing).
    pub wall_seconds: f64,
}

impl ClipStats {
    pub fn person_rate(&self) -> f64 {
        if self.frames == 0 {
            0.0
        } else {
            self.frames_with_person as f64 / self.frames as f64
        }
    }
}

/// Frames of per-frame records allocated up front from the container's frame count (an hour at 30 fps); longer
/// clips grow the buffers as they go, so a wrong count in a header costs no memory.
const PREALLOC_FRAMES: u64 = 108_000;

/// Frames queued between the model loop and the drawing/encoding thread. The queued frames are already at the
/// video's (bounded) size, so the queue's memory does not grow with the input resolution.
const ENCODE_QUEUE: usize = 4;

/// Decoded frames queued ahead of the model thread: none, the reader hands each frame over (rendezvous) and
/// decodes the next while the model works. Each frame in flight is a whole input frame (25 MB at 4K): with one per
/// stage, 4K `analyze` peaked at 404 MB before the stages overlapped, 511 MB with a one-frame queue between them.
const DECODE_AHEAD: usize = 0;
/// Frames with their pose done queued ahead of the roller step and the engine (whole input frames, as above).
const POSE_AHEAD: usize = 0;
/// Frame buffers waiting to be reused by the reader: every frame in flight between it and the main thread.
const FREE_SLOTS: usize = DECODE_AHEAD + POSE_AHEAD + 3;

/// Frames larger than this are scaled down to fit it as they are decoded, so that every later step (the pose
/// model's crops, the roller step's crop, drawing) and every frame in flight between the stages costs what a 1080p
/// frame costs (issue 13: 4K `analyze` peaked at 416 MiB, three whole 25 MB input frames in flight). The pose
/// model looks at 256 px crops and the roller step at a bounded crop, so nothing is lost at 1080p; positions are
/// scaled back to the input's pixels before the engine, the pose track and the report see them. Not when the
/// annotated video is asked for at a larger size (`--video-size source`).
const WORKING_SIZE: VideoSize = VideoSize::Fit { long: 1920, short: 1080 };

/// The size frames of a `width` x `height` clip are analysed at, when smaller than theirs (see [`WORKING_SIZE`]).
fn working_size(width: u32, height: u32, out_size: (u32, u32)) -> Option<(u32, u32)> {
    let work = WORKING_SIZE.output_for(width, height);
    (work != (width, height) && out_size.0 <= work.0 && out_size.1 <= work.1).then_some(work)
}

/// Decodes the next frame into `frame`, through `decoded` scaled to `work` when given.
fn next_working_frame(
    source: &mut (dyn FrameSource + Send),
    decoded: &mut Mat,
    frame: &mut Mat,
    work: Option<(u32, u32)>,
) -> Result<Option<f64>, AnalysisError> {
    let Some(size) = work else { return Ok(source.next_frame(frame)?) };
    let t = source.next_frame(decoded)?;
    if t.is_some() {
        encode::resize_into(decoded, frame, size)?;
    }
    Ok(t)
}

/// One frame's buffers on their way reader -> model thread -> main thread, then back to the reader for reuse.
#[derive(Default)]
struct Slot {
    frame: Mat,
    t: f64,
    step: PoseStep,
}

/// The reader thread: decodes the clip into reused slots until it ends, fails (the error is passed on in frame
/// order) or the model thread hangs up.
fn read_ahead(
    source: &mut (dyn FrameSource + Send),
    work: Option<(u32, u32)>,
    out: SyncSender<Result<Slot, AnalysisError>>,
    free: Receiver<Slot>,
) {
    let mut decoded = Mat::default();
    loop {
        let mut slot = free.try_recv().unwrap_or_default();
        let msg = match next_working_frame(source, &mut decoded, &mut slot.frame, work) {
            Ok(Some(t)) => Ok(Slot { t, ..slot }),
            Ok(None) => return,
            Err(e) => Err(e),
        };
        let failed = msg.is_err();
        if out.send(msg).is_err() || failed {
            return;
        }
    }
}

/// The model thread: the pose of each decoded frame, in order (see [`PoseHalf`]).
fn pose_ahead(mut half: PoseHalf<'_>, input: Receiver<Result<Slot, AnalysisError>>, out: SyncSender<Result<Slot, AnalysisError>>) {
    for msg in input {
        let msg = msg.and_then(|mut s| {
            half.run(&s.frame, s.t, &mut s.step)?;
            Ok(s)
        });
        let failed = msg.is_err();
        if out.send(msg).is_err() || failed {
            return;
        }
    }
}

/// Runs a whole clip. `on_frame` sees every processed frame (progress bar, engine, report) and returns what the
/// overlay needs; `draw` then draws it onto the frame scaled to the video's size (the `FrameResult` is scaled to
/// match; `draw`'s last argument is the scale, for positions inside the overlay). Four stages overlap, each keeping
/// frame order: decoding (a reader thread), the pose model (a model thread), the roller step + engine + track (this
/// thread), drawing + video encoding (a writer thread). Frame buffers travel back to the reader, so nothing is
/// allocated per frame once the queues are full; the results are those of running the steps one after another.
pub fn run_clip<O: Send>(
    source: &mut (dyn FrameSource + Send),
    pipeline: &mut Pipeline,
    outputs: &ClipOutputs,
    mut on_frame: impl FnMut(&FrameResult, &TrackFrame) -> O,
    draw: impl Fn(&mut Mat, &FrameResult, &O, f32) -> Result<(), opencv::Error> + Send,
) -> Result<ClipStats, AnalysisError> {
    let info = source.info();
    let out_size = outputs.video_size.output_for(info.width, info.height);
    let scale = out_size.0 as f32 / info.width.max(1) as f32;
    let work = working_size(info.width, info.height, out_size);
    let source_from_work = work.map(|w| info.width as f32 / w.0 as f32);
    let video = match &outputs.annotated_video {
        Some(p) => Some(AnnotatedVideoWriter::create(p, out_size.0, out_size.1, info.fps)?),
        None => None,
    };
    let mut track = TrackWriter::create(&outputs.pose_track, &TrackHeader::new(info.width, info.height, info.fps))?;
    let mut stats = ClipStats::default();
    let start = Instant::now();
    let (to_writer, from_main) = sync_channel::<(Mat, FrameResult, O)>(ENCODE_QUEUE);
    let (recycle, recycled) = sync_channel::<Mat>(ENCODE_QUEUE + 2);
    let (decoded_tx, decoded_rx) = sync_channel(DECODE_AHEAD);
    let (posed_tx, posed) = sync_channel(POSE_AHEAD);
    let (free, free_rx) = sync_channel::<Slot>(FREE_SLOTS);
    let (pose_half, mut roller_half) = pipeline.halves();
    std::thread::scope(|scope| {
        scope.spawn(move || read_ahead(source, work, decoded_tx, free_rx));
        scope.spawn(move || pose_ahead(pose_half, decoded_rx, posed_tx));
        let writer = video.map(|mut video| {
            scope.spawn(move || -> Result<(), AnalysisError> {
                for (mut frame, r, overlay) in from_main {
                    draw(&mut frame, &r, &overlay, scale)?;
                    video.write(&frame)?;
                    let _ = recycle.try_send(frame);
                }
                video.finish()
            })
        });
        let mut coach = || -> Result<(), AnalysisError> {
            loop {
                if crate::signals::stop_requested() {
                    return Err(AnalysisError::Interrupted);
                }
                let Ok(slot) = posed.recv() else {
                    return Ok(()); // the clip ended
                };
                let mut slot = slot?;
                let mut scaled = None;
                let r = in_source(roller_half.run(&slot.frame, &mut slot.step, true)?, source_from_work, &mut scaled);
                stats.frames += 1;
                stats.frames_with_person += r.pose.is_some() as u64;
                stats.seconds_of_video = slot.t + 1.0 / info.fps;
                let tf = TrackFrame { t: slot.t, pose: r.pose, roller: r.roller };
                track.write(&tf)?;
                let overlay = on_frame(r, &tf);
                if writer.is_some() {
                    let mut small = recycled.try_recv().unwrap_or_default();
                    encode::resize_into(&slot.frame, &mut small, out_size)?;
                    if to_writer.send((small, scaled_result(r, scale), overlay)).is_err() {
                        return Ok(()); // the writer stopped: its error is reported below
                    }
                }
                let _ = free.try_send(slot);
            }
        };
        let coach_result = coach();
        drop(to_writer);
        drop(posed); // the model and reader threads stop at their next frame
        let write_result = writer.map(|w| w.join().expect("video writer thread panicked")).unwrap_or(Ok(()));
        coach_result.and(write_result)
    })?;
    track.flush()?;
    stats.wall_seconds = start.elapsed().as_secs_f64();
    Ok(stats)
}

/// `r` in the input's pixels: as it is, or scaled back from the working frame by `k` (into `buf`).
fn in_source<'a>(r: &'a FrameResult, k: Option<f32>, buf: &'a mut Option<FrameResult>) -> &'a FrameResult {
    match k {
        Some(k) => buf.insert(scaled_result(r, k)),
        None => r,
    }
}

/// `r` with its image positions times `s` (for drawing on the scaled frame, or from the working frame to the input's
/// pixels).
fn scaled_result(r: &FrameResult, s: f32) -> FrameResult {
    FrameResult {
        t: r.t,
        pose: r.pose.as_ref().map(|p| hud::scale_pose(p, s)),
        roller: r.roller.map(|o| hud::scale_roller(o, s)),
        mask: r.mask.as_ref().map(|m| crate::pose::PersonMask { scale: m.scale * s, ..m.clone() }),
    }
}

/// A clip run with coaching: the form engine sees every frame, the annotated video carries the coaching HUD
/// (skeleton coloured by rule state, roller, contact, region, speed gauge, timer, passes, cue).
pub struct CoachedClip {
    pub stats: ClipStats,
    pub frames: Vec<TrackFrame>,
    pub analysis: Analysis,
}

pub fn run_clip_coached(
    source: &mut (dyn FrameSource + Send),
    pipeline: &mut Pipeline,
    outputs: &ClipOutputs,
    engine: EngineConfig,
    mut on_progress: impl FnMut(),
) -> Result<CoachedClip, AnalysisError> {
    let info = source.info();
    let header = TrackHeader::new(info.width, info.height, info.fps);
    let exercise = engine.exercise.clone();
    let mut coach = LiveCoach::new(EngineConfig { width: info.width, height: info.height, fps: info.fps, ..engine }, exercise)?;
    let n = info.frame_count.unwrap_or(0).min(PREALLOC_FRAMES) as usize;
    let (mut frames, mut metrics) = (Vec::with_capacity(n), MetricsLog::with_capacity(n));
    let mut view = CoachView::default();
    let mut joints = [JointState::Neutral; NUM_LANDMARKS];
    let mut cues = Vec::new();
    let stats = run_clip(
        source,
        pipeline,
        outputs,
        |_, tf| {
            frames.push(tf.clone());
            coach.update(tf, &mut cues, &mut joints, &mut view);
            cues.clear(); // a recorded clip has no audio cues; the report lists every event
            metrics.push(coach.metrics(), coach.hindsight());
            on_progress();
            (view.clone(), joints)
        },
        |frame, r, (view, joints), scale| {
            let label = view.exercise.as_ref().map(|(_, name)| name.as_str()).unwrap_or("");
            let view = view.scaled(scale);
            overlay::draw_hud(frame, &view.hud(r.pose.as_ref(), joints, r.roller, label))?;
            draw::draw_text(frame, &format!("t {:.2} s", r.t), frame.cols() - 120, frame.rows() - 14, 0.6, draw::TEXT)
        },
    )?;
    Ok(CoachedClip { stats, frames, analysis: Analysis { header, metrics: metrics.into_rows(), report: coach.finish() } })
}
