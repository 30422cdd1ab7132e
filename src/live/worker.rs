//! The model worker: the pose models and the roller step (`Pipeline`) run on their own thread, one frame at a time,
//! while the frame loop draws every frame at once with the pose predicted from the latest measurements. The loop
//! hands a frame over only when the worker is idle, so a frame is never queued behind another: on a loaded machine
//! the models run on fewer frames (the landmark model is skipped on the frames in between) and the overlay keeps the
//! source's frame rate. A frame handed over is shown with its own pose when the worker is expected to finish it
//! (the budget's learnt step costs) within [`POSE_WAIT_INTERVALS`] of its capture, else with the predicted one
//! at once. For lossless (unpaced) clips the loop hands
//! over every frame and waits for its result.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opencv::core::Mat;
use opencv::prelude::*;

use super::budget::FrameBudget;
use super::capture::CapturedFrame;
use super::run::LiveError;
use crate::landmarks::{Pose, RollerObs};
use crate::pipeline::{FramePlan, FrameResult, Pipeline, PipelineError, PosePredictor, StepTimes};

/// One frame's measurement, with the frame buffer handed back for reuse.
pub struct Measured {
    pub t: f64,
    /// When the measured frame left the source (for the pose's age on screen).
    pub captured_at: Instant,
    pub result: FrameResult,
    pub plan: FramePlan,
    pub times: StepTimes,
    bgr: Mat,
}

enum Job {
    Frame { bgr: Mat, t: f64, captured_at: Instant, plan: FramePlan },
    Reset,
}

pub struct ModelWorker {
    jobs: Option<Sender<Job>>,
    results: Receiver<Result<Measured, PipelineError>>,
    busy: bool,
    spare: Mat,
    handle: Option<JoinHandle<()>>,
}

impl ModelWorker {
    pub fn spawn(mut pipeline: Pipeline) -> Result<Self, LiveError> {
        let (jobs, job_rx) = mpsc::channel::<Job>();
        let (res_tx, results) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("rollcoach-models".into())
            .spawn(move || {
                for job in job_rx {
                    let Job::Frame { bgr, t, captured_at, plan } = job else {
                        pipeline.reset();
                        continue;
                    };
                    let r = pipeline.process_planned(&bgr, t, plan).map(FrameResult::clone);
                    let m = r.map(|result| Measured { t, captured_at, result, plan, times: pipeline.times(), bgr });
                    if res_tx.send(m).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| LiveError::Thread(e.to_string()))?;
        Ok(Self { jobs: Some(jobs), results, busy: false, spare: Mat::default(), handle: Some(handle) })
    }

    pub fn busy(&self) -> bool {
        self.busy
    }

    /// Hands a copy of the frame to the idle worker (the caller checks [`ModelWorker::busy`] first).
    pub fn submit(&mut self, bgr: &Mat, t: f64, captured_at: Instant, plan: FramePlan) -> Result<(), LiveError> {
        let mut copy = std::mem::take(&mut self.spare);
        bgr.copy_to(&mut copy)?;
        self.send(Job::Frame { bgr: copy, t, captured_at, plan })?;
        self.busy = true;
        Ok(())
    }

    /// Forgets tracking state (camera restarted); a frame in flight is still measured.
    pub fn reset(&mut self) -> Result<(), LiveError> {
        self.send(Job::Reset)
    }

    fn send(&self, job: Job) -> Result<(), LiveError> {
        let stopped = || LiveError::Thread("the model thread stopped".into());
        self.jobs.as_ref().ok_or_else(stopped)?.send(job).map_err(|_| stopped())
    }

    /// The measurement in flight, if it is done within `wait` (`Duration::MAX`: however long it takes).
    pub fn poll(&mut self, wait: Duration) -> Result<Option<Measured>, LiveError> {
        if !self.busy {
            return Ok(None);
        }
        match self.results.recv_timeout(wait) {
            Ok(m) => {
                let mut m = m?;
                self.busy = false;
                self.spare = std::mem::take(&mut m.bgr);
                Ok(Some(m))
            }
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(LiveError::Thread("the model thread stopped".into())),
        }
    }
}

impl Drop for ModelWorker {
    fn drop(&mut self) {
        self.jobs = None; // ends the thread's loop once the frame in flight is done
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A frame handed to the worker waits for its own pose until this many frame intervals after its capture (25 ms at
/// 30 fps); then it is drawn with the predicted pose, keeping capture-to-overlay latency within the 40 ms target
/// (issue 11) with room for drawing.
pub const POSE_WAIT_INTERVALS: f64 = 0.75;

/// What the loop shows on a frame.
pub struct Perceived {
    /// The pose at the frame's time: measured on this frame, or predicted from the latest measurements.
    pub pose: Option<Pose>,
    pub roller: Option<RollerObs>,
    /// The pose was measured on this very frame.
    pub measured: bool,
    /// A measurement that arrived during this frame: its plan and step costs.
    pub arrived: Option<(FramePlan, StepTimes)>,
    /// When the frame the shown pose was measured on left the source.
    pub measured_at: Option<Instant>,
}

/// The frame loop's side of the models: the worker, the latest measurements and the budget.
pub struct Perception {
    worker: ModelWorker,
    /// `None`: lossless, every frame measured with every step.
    budget: Option<FrameBudget>,
    interval: Duration,
    predictor: PosePredictor,
    roller: Option<RollerObs>,
    /// Time and capture instant of the last measured frame.
    last: Option<(f64, Instant)>,
}

impl Perception {
    pub fn new(pipeline: Pipeline, fps: f64, lossless: bool) -> Result<Self, LiveError> {
        let budget = (!lossless).then(|| FrameBudget::new(fps));
        let interval = Duration::from_secs_f64(1.0 / fps.max(1.0));
        let (predictor, roller, last) = (PosePredictor::default(), None, None);
        Ok(Self { worker: ModelWorker::spawn(pipeline)?, budget, interval, predictor, roller, last })
    }

    /// Hands the frame to the worker if it is idle, takes a finished measurement, and gives the frame's pose.
    pub fn frame(&mut self, frame: &CapturedFrame) -> Result<Perceived, LiveError> {
        let mut wait = Duration::ZERO; // a measurement of an earlier frame is taken if done, never waited for
        if !self.worker.busy() {
            let plan = self.budget.as_mut().map_or(FramePlan::ALL, FrameBudget::plan);
            self.worker.submit(&frame.bgr, frame.t, frame.captured_at, plan)?;
            let window = (frame.captured_at + self.interval.mul_f64(POSE_WAIT_INTERVALS)).saturating_duration_since(Instant::now());
            wait = match &self.budget {
                None => Duration::MAX,
                Some(b) if b.expected_s(plan) <= window.as_secs_f64() => window,
                Some(_) => Duration::ZERO, // it would not be done in time (loaded machine): predict at once
            };
        }
        let mut arrived = None;
        if let Some(m) = self.worker.poll(wait)? {
            if let Some(b) = self.budget.as_mut() {
                b.account(m.times);
            }
            self.predictor.push(m.t, m.result.pose);
            self.roller = m.result.roller;
            self.last = Some((m.t, m.captured_at));
            arrived = Some((m.plan, m.times));
        }
        Ok(Perceived {
            pose: self.predictor.predict(frame.t),
            roller: self.roller,
            measured: self.last.is_some_and(|(t, _)| t == frame.t),
            arrived,
            measured_at: self.last.map(|(_, at)| at),
        })
    }

    /// Forgets tracking state and the latest measurements (camera restarted).
    pub fn reset(&mut self) -> Result<(), LiveError> {
        (self.predictor, self.roller, self.last) = (PosePredictor::default(), None, None);
        self.worker.reset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::PipelineConfig;
    use crate::pose::{PoseEstimator, PoseError};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{mpsc::SyncSender, Arc};

    /// Puts a person at x = the number of calls so far; with a gate, each call first waits for a go.
    struct Counter {
        calls: Arc<AtomicUsize>,
        gate: Option<Receiver<()>>,
    }

    impl PoseEstimator for Counter {
        fn estimate(&mut self, _: &Mat) -> Result<Option<Pose>, PoseError> {
            if let Some(g) = &self.gate {
                g.recv().expect("test holds the gate");
            }
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let mut p = Pose::default();
            p.keypoints.iter_mut().for_each(|k| (k.x, k.y) = (n as f32, 50.0));
            Ok(Some(p))
        }
        fn reset(&mut self) {}
        fn describe(&self) -> String {
            "counter".into()
        }
    }

    fn perception(lossless: bool, gated: bool) -> (Perception, Arc<AtomicUsize>, Option<SyncSender<()>>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let (go, gate) = mpsc::sync_channel(100);
        let est = Counter { calls: calls.clone(), gate: gated.then_some(gate) };
        let cfg = PipelineConfig { smoothing: None, roller: None, ..PipelineConfig::default() };
        let p = Perception::new(Pipeline::with_estimator(Box::new(est), &cfg), 30.0, lossless).unwrap();
        (p, calls, gated.then_some(go))
    }

    fn frame(i: u32) -> CapturedFrame {
        CapturedFrame { bgr: Mat::default(), t: i as f64 / 30.0, captured_at: Instant::now(), seq: i as u64 }
    }

    #[test]
    fn lossless_measures_every_frame_with_its_own_pose() {
        let (mut p, calls, _) = perception(true, false);
        for i in 0..5 {
            let seen = p.frame(&frame(i)).unwrap();
            assert!(seen.measured && seen.arrived.is_some_and(|(plan, _)| plan == FramePlan::ALL));
            assert_eq!(seen.pose.unwrap().keypoints[0].x, (i + 1) as f32);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 5);
    }

    #[test]
    fn a_busy_worker_is_not_given_frames_and_they_are_shown_at_once_with_the_predicted_pose() {
        let (mut p, calls, go) = perception(false, true);
        let go = go.unwrap();
        for i in 0..5 {
            let seen = p.frame(&frame(i)).unwrap();
            assert!(!seen.measured && seen.pose.is_none(), "the model is stuck on frame 0: nothing measured yet");
        }
        go.send(()).unwrap(); // frame 0 finishes; frames 1-4 were never handed over
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut i = 5;
        let seen = loop {
            let seen = p.frame(&frame(i)).unwrap();
            if seen.arrived.is_some() || Instant::now() > deadline {
                break seen;
            }
            i += 1;
        };
        assert!(!seen.measured, "the measurement is of frame 0, shown on frame {i}");
        assert_eq!(seen.pose.unwrap().keypoints[0].x, 1.0, "one pose: held");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one model run: no frame was queued behind frame 0");
        go.send(()).unwrap();
        drop(go);
    }
}
