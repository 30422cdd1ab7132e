//! The model worker: the pose models and the roller step (`Pipeline`) run on their own thread, one frame at a time,
//! while the frame loop draws every frame at once with the pose predicted from the latest measurements. The loop
//! leaves each frame in a one-frame slot (a newer frame replaces one the worker has not taken), so a frame is never
//! queued behind another and the worker, when done, starts on the newest frame at once: on a loaded machine the
//! models run on fewer frames (the landmark model is skipped on the frames in between) and the overlay keeps the
//! source's frame rate. The worker's budget (`budget.rs`) decides whether the roller step runs on its frame. A
//! frame the idle worker takes is shown with its own pose when it is expected (the learnt cost of a measured frame)
//! to be done within [`POSE_WAIT_INTERVALS`] of its capture, else at once with the predicted pose. For lossless
//! (unpaced) clips every frame is measured with every step and waited for.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opencv::core::Mat;
use opencv::prelude::*;

use super::budget::{FrameBudget, MeanCost};
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

struct Job {
    bgr: Mat,
    t: f64,
    captured_at: Instant,
}

/// The one-frame slot between the frame loop and the worker.
#[derive(Default)]
struct Next {
    job: Option<Job>,
    reset: bool,
    stop: bool,
}

#[derive(Default)]
struct Shared {
    next: Mutex<Next>,
    ready: Condvar,
    /// The worker is measuring a frame.
    working: AtomicBool,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Next> {
        self.next.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits for the next job (or a reset); `None` = stop.
    fn take(&self) -> Option<(Option<Job>, bool)> {
        let mut g = self.lock();
        while g.job.is_none() && !g.reset && !g.stop {
            g = self.ready.wait(g).unwrap_or_else(PoisonError::into_inner);
        }
        if g.stop {
            return None;
        }
        self.working.store(g.job.is_some(), Ordering::SeqCst);
        Some((g.job.take(), std::mem::take(&mut g.reset)))
    }
}

pub struct ModelWorker {
    shared: Arc<Shared>,
    results: Receiver<Result<Measured, PipelineError>>,
    /// Frame buffers to reuse.
    spare: Vec<Mat>,
    handle: Option<JoinHandle<()>>,
}

/// Frame buffers kept for reuse (one in the slot, one being measured, one coming back).
const SPARE_BUFFERS: usize = 3;

impl ModelWorker {
    /// `budget`: which steps run on a frame; `None` = every step.
    pub fn spawn(mut pipeline: Pipeline, mut budget: Option<FrameBudget>) -> Result<Self, LiveError> {
        let shared = Arc::new(Shared::default());
        let (res_tx, results) = mpsc::channel();
        let sh = shared.clone();
        let handle = std::thread::Builder::new()
            .name("rollcoach-models".into())
            .spawn(move || {
                while let Some((job, reset)) = sh.take() {
                    if reset {
                        pipeline.reset();
                    }
                    let Some(Job { bgr, t, captured_at }) = job else { continue };
                    let plan = budget.as_mut().map_or(FramePlan::ALL, FrameBudget::plan);
                    let r = pipeline.process_planned(&bgr, t, plan).map(FrameResult::clone);
                    let times = pipeline.times();
                    if let Some(b) = budget.as_mut() {
                        b.account(times);
                    }
                    sh.working.store(false, Ordering::SeqCst);
                    if res_tx.send(r.map(|result| Measured { t, captured_at, result, plan, times, bgr })).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| LiveError::Thread(e.to_string()))?;
        Ok(Self { shared, results, spare: Vec::new(), handle: Some(handle) })
    }

    /// Leaves a copy of the frame for the worker, replacing a frame it has not taken; true when the worker was idle
    /// (it starts on this frame at once).
    pub fn submit(&mut self, bgr: &Mat, t: f64, captured_at: Instant) -> Result<bool, LiveError> {
        let mut copy = self.spare.pop().unwrap_or_default();
        bgr.copy_to(&mut copy)?;
        let shared = self.shared.clone();
        let mut g = shared.lock();
        let idle = g.job.is_none() && !shared.working.load(Ordering::SeqCst);
        let replaced = g.job.replace(Job { bgr: copy, t, captured_at });
        drop(g);
        shared.ready.notify_one();
        if let Some(old) = replaced {
            self.keep(old.bgr);
        }
        Ok(idle)
    }

    fn keep(&mut self, bgr: Mat) {
        if self.spare.len() < SPARE_BUFFERS {
            self.spare.push(bgr);
        }
    }

    /// Forgets tracking state (camera restarted) before the next frame.
    pub fn reset(&mut self) {
        self.shared.lock().reset = true;
        self.shared.ready.notify_one();
    }

    /// The next finished measurement, if one is done within `wait` (`Duration::MAX`: however long it takes).
    pub fn poll(&mut self, wait: Duration) -> Result<Option<Measured>, LiveError> {
        match self.results.recv_timeout(wait) {
            Ok(m) => {
                let mut m = m?;
                let bgr = std::mem::take(&mut m.bgr);
                self.keep(bgr);
                Ok(Some(m))
            }
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(LiveError::Thread("the model thread stopped".into())),
        }
    }
}

impl Drop for ModelWorker {
    fn drop(&mut self) {
        self.shared.lock().stop = true; // the thread ends once the frame in flight is done
        self.shared.ready.notify_one();
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

/// The frame loop's side of the models: the worker and the latest measurements.
pub struct Perception {
    worker: ModelWorker,
    lossless: bool,
    interval: Duration,
    /// Wall time of a measured frame (pose + roller steps), for the decision to wait for a frame's own pose.
    job_cost: MeanCost,
    predictor: PosePredictor,
    roller: Option<RollerObs>,
    /// Time and capture instant of the last measured frame.
    last: Option<(f64, Instant)>,
}

impl Perception {
    pub fn new(pipeline: Pipeline, fps: f64, lossless: bool) -> Result<Self, LiveError> {
        let worker = ModelWorker::spawn(pipeline, (!lossless).then(|| FrameBudget::new(fps)))?;
        let interval = Duration::from_secs_f64(1.0 / fps.max(1.0));
        let (job_cost, predictor, roller, last) = (MeanCost::default(), PosePredictor::default(), None, None);
        Ok(Self { worker, lossless, interval, job_cost, predictor, roller, last })
    }

    /// Leaves the frame for the worker, takes finished measurements, and gives the frame's pose.
    pub fn frame(&mut self, frame: &CapturedFrame) -> Result<Perceived, LiveError> {
        let idle = self.worker.submit(&frame.bgr, frame.t, frame.captured_at)?;
        let due = frame.captured_at + self.interval.mul_f64(POSE_WAIT_INTERVALS);
        let expected_in_time = Instant::now() + Duration::from_secs_f64(self.job_cost.get()) <= due;
        let deadline = (idle && expected_in_time).then_some(due);
        let mut arrived = None;
        loop {
            let wait = match (self.last.is_some_and(|(t, _)| t == frame.t), self.lossless, deadline) {
                (true, _, _) => Duration::ZERO, // this frame's own pose is in: take what else is done
                (false, true, _) => Duration::MAX,
                (false, false, Some(d)) => d.saturating_duration_since(Instant::now()),
                (false, false, None) => Duration::ZERO, // earlier frames' measurements are taken if done
            };
            let Some(m) = self.worker.poll(wait)? else { break };
            self.job_cost.add(Some(m.times.pose_s.unwrap_or(0.0) + m.times.roller_s.unwrap_or(0.0)));
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
    pub fn reset(&mut self) {
        (self.predictor, self.roller, self.last) = (PosePredictor::default(), None, None);
        self.worker.reset();
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
                let _ = g.recv(); // a closed gate (the test is over) lets every call through
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

    /// Frames until a measurement arrives (at most 30 s, so a hung worker fails the test instead of hanging it).
    fn until_arrival(p: &mut Perception, next: &mut u32) -> (u32, Perceived) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let seen = p.frame(&frame(*next)).unwrap();
            *next += 1;
            if seen.arrived.is_some() || Instant::now() > deadline {
                return (*next - 1, seen);
            }
        }
    }

    #[test]
    fn a_busy_worker_measures_only_the_newest_frame_next_and_frames_are_shown_at_once_with_the_predicted_pose() {
        let (mut p, calls, go) = perception(false, true);
        let go = go.unwrap();
        for i in 0..5 {
            let seen = p.frame(&frame(i)).unwrap();
            assert!(!seen.measured && seen.pose.is_none(), "the model is stuck on frame 0: nothing measured yet");
        }
        go.send(()).unwrap(); // frame 0 finishes; the worker takes the newest frame left (4 or later)
        let mut next = 5;
        let (shown_on, seen) = until_arrival(&mut p, &mut next);
        assert!(!seen.measured, "the measurement is of frame 0, shown on frame {shown_on}");
        assert_eq!(seen.pose.unwrap().keypoints[0].x, 1.0, "one pose: held");
        go.send(()).unwrap();
        let (_, seen) = until_arrival(&mut p, &mut next);
        let second = p.last.unwrap().0;
        assert!(second >= 4.0 / 30.0, "frames 1-3 were replaced unseen, not queued (second measured t = {second})");
        assert!(seen.pose.unwrap().keypoints[0].x >= 2.0, "the second pose, moved on at its velocity");
        assert_eq!(calls.load(Ordering::SeqCst), 2, "two model runs");
        drop(go); // a third frame the worker may have taken goes through
    }
}
