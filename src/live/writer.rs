//! The session writer thread: session files (poses.jsonl, events.jsonl, meta.json) and the cue players run here,
//! off the frame thread, so a slow disk (flush, fsync) or starting a speech subprocess never delays a frame.
//!
//! The frame thread sends jobs over an unbounded channel and never waits; the jobs are small (one pose line or one
//! event). The first write error stops the thread; the frame thread sees it at its next send (or at `finish`).

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::thread::JoinHandle;

use super::audio::{AudioError, AudioSink, MultiSink};
use super::cues::LiveCue;
use super::session::{Event, SessionError, SessionWriter, FLUSH_INTERVAL};
use crate::posetrack::TrackFrame;

/// What can go wrong on the writer thread.
#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Audio(#[from] AudioError),
    #[error("the session writer thread stopped unexpectedly")]
    Gone,
}

enum Job {
    Frame(TrackFrame),
    Event(Event),
    /// A cue to play at session time `t` (s).
    Cue(LiveCue, f64),
    /// End the session at this session time.
    Finish(f64),
}

/// Handle to the writer thread.
pub struct WriterThread {
    dir: PathBuf,
    jobs: Option<Sender<Job>>,
    handle: Option<JoinHandle<Result<PathBuf, WriterError>>>,
}

impl WriterThread {
    /// Moves `session` and `audio` onto a new thread.
    pub fn spawn(session: SessionWriter, audio: MultiSink) -> Result<Self, std::io::Error> {
        let dir = session.dir().to_path_buf();
        let (tx, rx) = channel::<Job>();
        let handle = std::thread::Builder::new().name("session-writer".into()).spawn(move || {
            let (mut session, mut audio) = (session, audio);
            loop {
                match rx.recv_timeout(FLUSH_INTERVAL) {
                    Ok(Job::Frame(f)) => session.write_frame(&f)?,
                    Ok(Job::Event(e)) => session.event(&e)?,
                    Ok(Job::Cue(c, t)) => audio.play(&c, t),
                    Ok(Job::Finish(t)) => {
                        audio.finish()?;
                        return Ok(session.finish(t)?);
                    }
                    Err(RecvTimeoutError::Timeout) => session.tick()?, // keep the flush interval with no frames
                    Err(RecvTimeoutError::Disconnected) => return Err(WriterError::Gone),
                }
            }
        })?;
        Ok(Self { dir, jobs: Some(tx), handle: Some(handle) })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn frame(&mut self, f: &TrackFrame) -> Result<(), WriterError> {
        self.send(Job::Frame(f.clone()))
    }

    pub fn event(&mut self, e: Event) -> Result<(), WriterError> {
        self.send(Job::Event(e))
    }

    pub fn cue(&mut self, c: &LiveCue, t: f64) -> Result<(), WriterError> {
        self.send(Job::Cue(c.clone(), t))
    }

    /// Ends the session (end event, final meta, fsync), finishes the players; returns the session folder.
    pub fn finish(mut self, t_end: f64) -> Result<PathBuf, WriterError> {
        let _ = self.jobs.as_ref().map(|j| j.send(Job::Finish(t_end)));
        self.jobs = None;
        self.join()
    }

    fn send(&mut self, job: Job) -> Result<(), WriterError> {
        let ok = self.jobs.as_ref().is_some_and(|j| j.send(job).is_ok());
        if ok {
            return Ok(());
        }
        self.jobs = None;
        self.join().and(Err(WriterError::Gone)) // the thread ended: its own error says why
    }

    fn join(&mut self) -> Result<PathBuf, WriterError> {
        match self.handle.take().map(|h| h.join()) {
            Some(Ok(r)) => r,
            _ => Err(WriterError::Gone),
        }
    }
}

impl Drop for WriterThread {
    fn drop(&mut self) {
        self.jobs = None; // the thread ends at Disconnected; files keep what was written
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::session::{SessionMeta, SESSION_FORMAT};

    fn meta() -> SessionMeta {
        let json = r#"{"format": "FORMAT", "started_unix": 0, "source": "test", "exercise": "auto", "area": "",
            "width": 64, "height": 48, "fps": 30, "status": "running", "duration_s": null, "frames": null}"#;
        serde_json::from_str(&json.replace("FORMAT", SESSION_FORMAT)).unwrap()
    }

    #[test]
    fn writes_frames_and_events_off_thread_then_finishes() {
        let root = std::env::temp_dir().join(format!("rc-writer-{}", std::process::id()));
        let session = SessionWriter::create(&root, meta()).unwrap();
        let mut w = WriterThread::spawn(session, MultiSink::default()).unwrap();
        for i in 0..5 {
            w.frame(&TrackFrame { t: i as f64 / 30.0, pose: None, roller: None }).unwrap();
        }
        w.event(Event::Paused { t: 0.1 }).unwrap();
        let dir = w.finish(0.2).unwrap();
        let poses = std::fs::read_to_string(dir.join("poses.jsonl")).unwrap();
        assert_eq!(poses.lines().count(), 1 + 5, "header + 5 frames:\n{poses}");
        let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
        assert!(events.contains("\"paused\"") && events.contains("\"end\""), "{events}");
        let meta = std::fs::read_to_string(dir.join("meta.json")).unwrap();
        assert!(meta.contains("complete"), "{meta}");
        let _ = std::fs::remove_dir_all(&root);
    }
}
