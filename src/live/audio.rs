//! Audio output of cues: spoken with espeak-ng when it is installed, otherwise beep patterns synthesised here (one
//! pattern per severity, so a cue is recognisable without looking at the screen).
//!
//! Sinks: [`WavFileSink`] writes every cue at its session time into one WAV file (tests, reviewing a session);
//! [`SystemSink`] plays through `paplay`/`pw-play`/`aplay` or speaks through espeak-ng. With no player or no audio
//! device the system sink says so once and goes quiet; the session goes on.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use thiserror::Error;

use super::cues::{LiveCue, Severity};

#[derive(Debug, Error)]
pub enum AudioError {
    #[error("{path}: cannot write cue WAV: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a 16-bit PCM WAV: {msg}")]
    BadWav { path: PathBuf, msg: String },
}

/// Sample rate of synthesised and written audio (Hz).
pub const SAMPLE_RATE: u32 = 16_000;
/// Peak amplitude of beeps (fraction of full scale).
const BEEP_AMPLITUDE: f32 = 0.45;
/// Fade in/out of each tone (s), avoids clicks.
const BEEP_FADE_S: f32 = 0.005;
/// Speaking rate for espeak-ng (words per minute): a bit slow, the listener is busy.
const ESPEAK_WPM: &str = "160";

/// How cues sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CueSound {
    /// Speech when espeak-ng is installed, else beeps.
    #[default]
    Auto,
    /// Spoken with espeak-ng (beeps when it is missing or fails).
    Speech,
    /// Beep patterns only (one per severity).
    Beep,
}

impl CueSound {
    /// Whether cues are spoken on this machine.
    pub fn speaks(self) -> bool {
        self != CueSound::Beep && have_program("espeak-ng")
    }
}

/// One tone of a pattern: frequency (Hz), duration (s), silence after (s).
type Tone = (f32, f32, f32);

/// Beep pattern per severity: rising two-tone = praise/progress; one mid tone = adjust; three low pulses = stop.
pub fn beep_pattern(sev: Severity) -> &'static [Tone] {
    match sev {
        Severity::Info => &[(660.0, 0.12, 0.04), (880.0, 0.16, 0.0)],
        Severity::Warning => &[(520.0, 0.28, 0.0)],
        Severity::Critical => &[(330.0, 0.1, 0.06), (330.0, 0.1, 0.06), (330.0, 0.1, 0.0)],
    }
}

/// Synthesises a beep pattern at [`SAMPLE_RATE`], appending to `out`.
pub fn synth_pattern(pattern: &[Tone], out: &mut Vec<i16>) {
    let sr = SAMPLE_RATE as f32;
    for &(freq, dur, gap) in pattern {
        let n = (dur * sr) as usize;
        let fade = ((BEEP_FADE_S * sr) as usize).max(1);
        for i in 0..n {
            let env = (i.min(n - 1 - i) as f32 / fade as f32).min(1.0);
            let v = (2.0 * std::f32::consts::PI * freq * i as f32 / sr).sin() * BEEP_AMPLITUDE * env;
            out.push((v * i16::MAX as f32) as i16);
        }
        out.extend(std::iter::repeat_n(0i16, (gap * sr) as usize));
    }
}

/// Whether a program is on PATH.
pub fn have_program(name: &str) -> bool {
    std::env::var_os("PATH").map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file())).unwrap_or(false)
}

/// Renders a cue to samples: speech when espeak-ng is installed (and works), else the severity's beep pattern.
pub fn render_cue(cue: &LiveCue, speech: bool, out: &mut Vec<i16>) {
    if speech {
        if let Some(s) = espeak_samples(&cue.text) {
            out.extend(s);
            return;
        }
    }
    synth_pattern(beep_pattern(cue.severity), out);
}

fn espeak_samples(text: &str) -> Option<Vec<i16>> {
    let tmp = tempfile::Builder::new().prefix("rollcoach-speech-").suffix(".wav").tempfile().ok()?;
    let status = Command::new("espeak-ng")
        .args(["-s", ESPEAK_WPM, "-w"])
        .arg(tmp.path())
        .arg(text)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let (rate, samples) = read_wav(tmp.path()).ok()?;
    Some(resample_linear(&samples, rate, SAMPLE_RATE))
}

/// Reads a mono 16-bit PCM WAV; returns (sample rate, samples).
pub fn read_wav(path: &Path) -> Result<(u32, Vec<i16>), AudioError> {
    let bad = |msg: String| AudioError::BadWav { path: path.into(), msg };
    let r = hound::WavReader::open(path).map_err(|e| bad(e.to_string()))?;
    let spec = r.spec();
    if spec.channels != 1 || spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        return Err(bad(format!(
            "{} channel(s), {} bits {:?}; expected PCM mono 16-bit",
            spec.channels, spec.bits_per_sample, spec.sample_format
        )));
    }
    let rate = spec.sample_rate;
    let samples = r.into_samples::<i16>().collect::<Result<Vec<_>, _>>().map_err(|e| bad(e.to_string()))?;
    Ok((rate, samples))
}

fn resample_linear(x: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || x.is_empty() {
        return x.to_vec();
    }
    let n = (x.len() as u64 * to as u64 / from as u64) as usize;
    (0..n)
        .map(|i| {
            let p = i as f64 * from as f64 / to as f64;
            let j = p as usize;
            let f = p - j as f64;
            let a = x[j.min(x.len() - 1)] as f64;
            let b = x[(j + 1).min(x.len() - 1)] as f64;
            (a + (b - a) * f) as i16
        })
        .collect()
}

/// Mono 16-bit PCM at [`SAMPLE_RATE`]: what every cue is rendered in.
const WAV_SPEC: hound::WavSpec =
    hound::WavSpec { channels: 1, sample_rate: SAMPLE_RATE, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };

fn hound_error(path: &Path, e: hound::Error) -> AudioError {
    let source = match e {
        hound::Error::IoError(io) => io,
        other => std::io::Error::other(other),
    };
    AudioError::Write { path: path.into(), source }
}

/// Writes a whole mono 16-bit WAV at [`SAMPLE_RATE`].
pub fn write_wav(path: &Path, samples: &[i16]) -> Result<(), AudioError> {
    let mut w = hound::WavWriter::create(path, WAV_SPEC).map_err(|e| hound_error(path, e))?;
    let mut iw = w.get_i16_writer(samples.len() as u32);
    for &s in samples {
        iw.write_sample(s);
    }
    iw.flush().map_err(|e| hound_error(path, e))?;
    w.finalize().map_err(|e| hound_error(path, e))
}

/// Where cues go.
pub trait AudioSink {
    /// Outputs `cue`, raised at session time `t` (s).
    fn play(&mut self, cue: &LiveCue, t: f64);
    /// Finishes output (closes files, reaps players).
    fn finish(&mut self) -> Result<(), AudioError> {
        Ok(())
    }
}

/// Writes each cue into one WAV at its session time (silence in between). The header is brought up to date after
/// every cue (`WavWriter::flush`), so the file is valid even if the process is killed.
pub struct WavFileSink {
    path: PathBuf,
    file: hound::WavWriter<std::io::BufWriter<File>>,
    written: usize,
    speech: bool,
    buf: Vec<i16>,
    /// (time s, rule) of each cue written, for callers that report them.
    pub log: Vec<(f64, String)>,
}

impl WavFileSink {
    pub fn create(path: &Path, speech: bool) -> Result<Self, AudioError> {
        let mut file = hound::WavWriter::create(path, WAV_SPEC).map_err(|e| hound_error(path, e))?;
        file.flush().map_err(|e| hound_error(path, e))?;
        Ok(Self { path: path.into(), file, written: 0, speech, buf: Vec::new(), log: Vec::new() })
    }

    fn append(&mut self, t: f64, cue: &LiveCue) -> Result<(), hound::Error> {
        let at = (t.max(0.0) * SAMPLE_RATE as f64) as usize;
        self.buf.clear();
        self.buf.extend(std::iter::repeat_n(0i16, at.saturating_sub(self.written)));
        render_cue(cue, self.speech, &mut self.buf);
        for &s in &self.buf {
            self.file.write_sample(s)?;
        }
        self.written += self.buf.len();
        self.file.flush()
    }
}

impl AudioSink for WavFileSink {
    fn play(&mut self, cue: &LiveCue, t: f64) {
        if let Err(e) = self.append(t, cue) {
            eprintln!("rollcoach: warning: {}: cannot write cue: {e}", self.path.display());
        }
        self.log.push((t, cue.rule.clone()));
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        self.file.flush().map_err(|e| hound_error(&self.path, e))
    }
}

/// Plays cues on the machine's audio output.
pub struct SystemSink {
    mode: SystemMode,
    child: Option<Child>,
    tmp_wav: PathBuf,
    buf: Vec<i16>,
    warned: bool,
}

enum SystemMode {
    Speak,
    Player(&'static str),
    Off,
}

/// Whether the machine has somewhere to play sound: an ALSA playback device, or a PulseAudio/PipeWire server.
pub fn audio_output_present() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let alsa = std::fs::read_dir("/dev/snd")
        .map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("pcmC")))
        .unwrap_or(false);
    let runtime = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
    let server = runtime.is_some_and(|r| r.join("pulse/native").exists() || r.join("pipewire-0").exists());
    alsa || server || std::env::var_os("PULSE_SERVER").is_some()
}

/// Players tried in order for beeps (PulseAudio, PipeWire, ALSA).
const PLAYERS: [&str; 3] = ["paplay", "pw-play", "aplay"];

impl SystemSink {
    /// Chooses espeak-ng (speech) or a WAV player; prints once and stays silent when none exists.
    pub fn new(sound: CueSound) -> Self {
        if sound == CueSound::Speech && !have_program("espeak-ng") {
            eprintln!("rollcoach: espeak-ng is not installed; cues are beeps");
        }
        let mode = if sound.speaks() && !audio_output_present() {
            // espeak-ng exits 0 even when it has nowhere to play, so look for an output first.
            eprintln!("rollcoach: no audio device found; cues are shown on screen only");
            SystemMode::Off
        } else if sound.speaks() {
            SystemMode::Speak
        } else if let Some(p) = PLAYERS.iter().find(|p| have_program(p)) {
            SystemMode::Player(p)
        } else {
            eprintln!("rollcoach: no audio output found (no espeak-ng, paplay, pw-play or aplay); cues are shown on screen only");
            SystemMode::Off
        };
        let tmp_wav = std::env::temp_dir().join(format!("rollcoach-cue-{}.wav", std::process::id()));
        Self { mode, child: None, tmp_wav, buf: Vec::new(), warned: false }
    }

    pub fn is_off(&self) -> bool {
        matches!(self.mode, SystemMode::Off)
    }

    /// Checks the previous player; if it failed, the audio device is missing: say so once and stop trying.
    fn reap(&mut self) {
        let Some(c) = self.child.as_mut() else { return };
        match c.try_wait() {
            Ok(Some(status)) => {
                self.child = None;
                if !status.success() && !self.warned {
                    self.warned = true;
                    eprintln!("rollcoach: audio device not available ({status}); cues are shown on screen only");
                    self.mode = SystemMode::Off;
                }
            }
            Ok(None) => {}
            Err(_) => self.child = None,
        }
    }
}

impl AudioSink for SystemSink {
    fn play(&mut self, cue: &LiveCue, _t: f64) {
        self.reap();
        if self.child.is_some() {
            return; // still saying the previous cue; the scheduler's gap makes this rare
        }
        let spawned = match self.mode {
            SystemMode::Off => return,
            SystemMode::Speak => Command::new("espeak-ng")
                .args(["-s", ESPEAK_WPM, &cue.text])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn(),
            SystemMode::Player(p) => {
                self.buf.clear();
                synth_pattern(beep_pattern(cue.severity), &mut self.buf);
                if write_wav(&self.tmp_wav, &self.buf).is_err() {
                    return;
                }
                Command::new(p).arg(&self.tmp_wav).stdout(Stdio::null()).stderr(Stdio::null()).spawn()
            }
        };
        match spawned {
            Ok(c) => self.child = Some(c),
            Err(e) => {
                eprintln!("rollcoach: cannot play audio ({e}); cues are shown on screen only");
                self.mode = SystemMode::Off;
            }
        }
    }

    fn finish(&mut self) -> Result<(), AudioError> {
        if let Some(c) = self.child.as_mut() {
            let _ = c.wait();
            self.reap(); // reports a failed player (no audio device) if that is all that happened
        }
        let _ = std::fs::remove_file(&self.tmp_wav);
        Ok(())
    }
}

/// Fans a cue out to several sinks.
#[derive(Default)]
pub struct MultiSink(pub Vec<Box<dyn AudioSink + Send>>);

/// Where a live session's cues are heard.
#[derive(Debug, Clone)]
pub struct AudioConfig {
    /// Nothing through the speakers.
    pub mute: bool,
    /// Speech or beeps.
    pub cue_sound: CueSound,
    /// Also write the cues' sound to this WAV file (`--cues-wav`).
    pub cues_wav: Option<PathBuf>,
}

impl AudioConfig {
    /// The sinks these settings ask for: the WAV file (created now), then the speakers.
    pub fn sinks(&self) -> Result<MultiSink, AudioError> {
        let mut audio = MultiSink::default();
        if let Some(p) = &self.cues_wav {
            audio.0.push(Box::new(WavFileSink::create(p, self.cue_sound.speaks())?));
        }
        if !self.mute {
            audio.0.push(Box::new(SystemSink::new(self.cue_sound)));
        }
        Ok(audio)
    }
}

impl AudioSink for MultiSink {
    fn play(&mut self, cue: &LiveCue, t: f64) {
        for s in &mut self.0 {
            s.play(cue, t);
        }
    }
    fn finish(&mut self) -> Result<(), AudioError> {
        for s in &mut self.0 {
            s.finish()?;
        }
        Ok(())
    }
}

/// Finds runs of sound in samples: (start s, end s) of each stretch where |sample| exceeds a threshold, merging gaps
/// shorter than `merge_gap_s`. Used by tests to locate cues in a WAV.
pub fn sound_spans(samples: &[i16], rate: u32, merge_gap_s: f64) -> Vec<(f64, f64)> {
    const THRESHOLD: i16 = 1000;
    let merge = (merge_gap_s * rate as f64) as usize;
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (i, s) in samples.iter().enumerate() {
        if s.unsigned_abs() > THRESHOLD as u16 {
            match spans.last_mut() {
                Some(last) if i - last.1 <= merge => last.1 = i,
                _ => spans.push((i, i)),
            }
        }
    }
    spans.into_iter().map(|(a, b)| (a as f64 / rate as f64, b as f64 / rate as f64)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(sev: Severity) -> LiveCue {
        LiveCue { rule: "too_fast".into(), text: "slower".into(), severity: sev }
    }

    #[test]
    fn severities_have_distinct_patterns() {
        let pulses = |s| {
            sound_spans(
                &{
                    let mut v = Vec::new();
                    synth_pattern(beep_pattern(s), &mut v);
                    v
                },
                SAMPLE_RATE,
                0.02,
            )
            .len()
        };
        assert_eq!(pulses(Severity::Info), 2);
        assert_eq!(pulses(Severity::Warning), 1);
        assert_eq!(pulses(Severity::Critical), 3);
    }

    #[test]
    fn wav_sink_places_cues_at_their_time_and_stays_readable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cues.wav");
        let mut sink = WavFileSink::create(&path, false).unwrap();
        sink.play(&cue(Severity::Warning), 0.5);
        // Not finished: the file must already be a valid WAV (a killed process leaves it like this).
        let (rate, s) = read_wav(&path).unwrap();
        assert_eq!(rate, SAMPLE_RATE);
        assert_eq!(sound_spans(&s, rate, 0.02).len(), 1);
        sink.play(&cue(Severity::Critical), 2.0);
        sink.finish().unwrap();
        let (_, s) = read_wav(&path).unwrap();
        let spans = sound_spans(&s, SAMPLE_RATE, 0.3);
        assert_eq!(spans.len(), 2, "{spans:?}");
        assert!((spans[0].0 - 0.5).abs() < 0.02 && (spans[1].0 - 2.0).abs() < 0.02, "{spans:?}");
    }

    #[test]
    fn speech_is_rendered_with_espeak_ng() {
        assert!(have_program("espeak-ng"), "espeak-ng is not installed: run `bash scripts/setup.sh`");
        let mut speech = Vec::new();
        render_cue(
            &LiveCue { rule: "hold".into(), text: "good, thirty seconds".into(), severity: Severity::Info },
            true,
            &mut speech,
        );
        let mut beep = Vec::new();
        synth_pattern(beep_pattern(Severity::Info), &mut beep);
        let secs = speech.len() as f64 / f64::from(SAMPLE_RATE);
        assert!(secs > 0.8 && speech.len() != beep.len(), "speech lasted {secs:.2} s");
        assert!(!sound_spans(&speech, SAMPLE_RATE, 0.3).is_empty());
    }

    #[test]
    fn wav_reader_rejects_non_wav_and_stereo() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("text.wav");
        std::fs::write(&text, b"hello world, not a wav").unwrap();
        assert!(read_wav(&text).unwrap_err().to_string().contains("text.wav"));
        let stereo = dir.path().join("stereo.wav");
        let mut w = hound::WavWriter::create(&stereo, hound::WavSpec { channels: 2, ..WAV_SPEC }).unwrap();
        w.write_sample(0i16).unwrap();
        w.write_sample(0i16).unwrap();
        w.finalize().unwrap();
        assert!(read_wav(&stereo).unwrap_err().to_string().contains("2 channel"), "stereo accepted");
    }

    #[test]
    fn resampling_keeps_duration() {
        let x: Vec<i16> = (0..22050).map(|i| (i % 100) as i16).collect();
        assert_eq!(resample_linear(&x, 22050, 16000).len(), 16000);
    }
}
