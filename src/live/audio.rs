//! Audio output of cues: spoken with espeak-ng when it is installed, otherwise beep patterns synthesised here (one
//! pattern per severity, so a cue is recognisable without looking at the screen).
//!
//! Sinks: [`WavFileSink`] writes every cue at its session time into one WAV file (tests, reviewing a session);
//! [`SystemSink`] plays through `paplay`/`pw-play`/`aplay` or speaks through espeak-ng. With no player or no audio
//! device the system sink says so once and goes quiet; the session goes on.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
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
    let out =
        Command::new("espeak-ng").args(["--stdout", "-s", ESPEAK_WPM, text]).stderr(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let (rate, samples) = parse_wav_pcm16_mono(&out.stdout).ok()?;
    Some(resample_linear(&samples, rate, SAMPLE_RATE))
}

/// Parses a mono 16-bit PCM WAV; returns (sample rate, samples). Tolerates a data size of 0 or too large (streamed
/// WAVs from espeak-ng on stdout, or a file cut off by a kill).
pub fn parse_wav_pcm16_mono(bytes: &[u8]) -> Result<(u32, Vec<i16>), String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("no RIFF/WAVE header".into());
    }
    let mut pos = 12;
    let mut rate = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let size = u32::from_le_bytes([bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]]) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if body + 16 > bytes.len() {
                return Err("fmt chunk cut off".into());
            }
            let fmt = u16::from_le_bytes([bytes[body], bytes[body + 1]]);
            let ch = u16::from_le_bytes([bytes[body + 2], bytes[body + 3]]);
            let sr = u32::from_le_bytes([bytes[body + 4], bytes[body + 5], bytes[body + 6], bytes[body + 7]]);
            let bits = u16::from_le_bytes([bytes[body + 14], bytes[body + 15]]);
            if fmt != 1 || ch != 1 || bits != 16 {
                return Err(format!("format {fmt}, {ch} channel(s), {bits} bits; expected PCM mono 16-bit"));
            }
            rate = Some(sr);
        } else if id == b"data" {
            let rate = rate.ok_or("data before fmt chunk")?;
            let end = if size == 0 || body + size > bytes.len() { bytes.len() } else { body + size };
            let samples = bytes[body..end].chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect();
            return Ok((rate, samples));
        }
        pos = body + size + (size & 1);
    }
    Err("no data chunk".into())
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

fn wav_header(data_bytes: u32) -> [u8; 44] {
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&(36 + data_bytes).to_le_bytes());
    h[8..16].copy_from_slice(b"WAVEfmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes());
    h[22..24].copy_from_slice(&1u16.to_le_bytes());
    h[24..28].copy_from_slice(&SAMPLE_RATE.to_le_bytes());
    h[28..32].copy_from_slice(&(SAMPLE_RATE * 2).to_le_bytes());
    h[32..34].copy_from_slice(&2u16.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data_bytes.to_le_bytes());
    h
}

/// Writes a whole mono 16-bit WAV at [`SAMPLE_RATE`].
pub fn write_wav(path: &Path, samples: &[i16]) -> Result<(), AudioError> {
    let err = |source| AudioError::Write { path: path.into(), source };
    let mut f = File::create(path).map_err(err)?;
    f.write_all(&wav_header((samples.len() * 2) as u32)).map_err(err)?;
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    f.write_all(&bytes).map_err(err)
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

/// Writes each cue into one WAV at its session time (silence in between). The header is rewritten after every cue,
/// so the file is valid even if the process is killed.
pub struct WavFileSink {
    path: PathBuf,
    file: File,
    written: usize,
    speech: bool,
    buf: Vec<i16>,
    /// (time s, rule) of each cue written, for callers that report them.
    pub log: Vec<(f64, String)>,
}

impl WavFileSink {
    pub fn create(path: &Path, speech: bool) -> Result<Self, AudioError> {
        let err = |source| AudioError::Write { path: path.into(), source };
        let mut file = File::create(path).map_err(err)?;
        file.write_all(&wav_header(0)).map_err(err)?;
        Ok(Self { path: path.into(), file, written: 0, speech, buf: Vec::new(), log: Vec::new() })
    }

    fn append(&mut self, t: f64, cue: &LiveCue) -> std::io::Result<()> {
        let at = (t.max(0.0) * SAMPLE_RATE as f64) as usize;
        self.buf.clear();
        self.buf.extend(std::iter::repeat_n(0i16, at.saturating_sub(self.written)));
        render_cue(cue, self.speech, &mut self.buf);
        let bytes: Vec<u8> = self.buf.iter().flat_map(|s| s.to_le_bytes()).collect();
        self.file.seek(SeekFrom::End(0))?;
        self.file.write_all(&bytes)?;
        self.written += self.buf.len();
        self.file.seek(SeekFrom::Start(0))?;
        self.file.write_all(&wav_header((self.written * 2) as u32))?;
        Ok(())
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
        self.file.flush().map_err(|source| AudioError::Write { path: self.path.clone(), source })
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
pub struct MultiSink(pub Vec<Box<dyn AudioSink>>);

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
        let dir = std::env::temp_dir().join(format!("rc-audio-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cues.wav");
        let mut sink = WavFileSink::create(&path, false).unwrap();
        sink.play(&cue(Severity::Warning), 0.5);
        // Not finished: the file must already be a valid WAV (a killed process leaves it like this).
        let (rate, s) = parse_wav_pcm16_mono(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(rate, SAMPLE_RATE);
        assert_eq!(sound_spans(&s, rate, 0.02).len(), 1);
        sink.play(&cue(Severity::Critical), 2.0);
        sink.finish().unwrap();
        let (_, s) = parse_wav_pcm16_mono(&std::fs::read(&path).unwrap()).unwrap();
        let spans = sound_spans(&s, SAMPLE_RATE, 0.3);
        assert_eq!(spans.len(), 2, "{spans:?}");
        assert!((spans[0].0 - 0.5).abs() < 0.02 && (spans[1].0 - 2.0).abs() < 0.02, "{spans:?}");
    }

    #[test]
    fn speech_is_rendered_when_espeak_ng_is_installed() {
        if !have_program("espeak-ng") {
            eprintln!("SKIPPED: espeak-ng not installed (cues are beeps)");
            return;
        }
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
    fn wav_parser_rejects_non_wav_and_stereo() {
        assert!(parse_wav_pcm16_mono(b"hello world, not a wav").is_err());
        let mut h = wav_header(0).to_vec();
        h[22] = 2;
        assert!(parse_wav_pcm16_mono(&h).unwrap_err().contains("2 channel"));
    }

    #[test]
    fn resampling_keeps_duration() {
        let x: Vec<i16> = (0..22050).map(|i| (i % 100) as i16).collect();
        assert_eq!(resample_linear(&x, 22050, 16000).len(), 16000);
    }
}
