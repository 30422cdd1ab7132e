//! `rollcoach synth`: writes a synthetic pose track (kinematic body rolling over a roller) and its truth file.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::coach;
use crate::synth::{self, FaultSpec, SynthConfig};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  rollcoach synth --exercise quads --out out/quads.jsonl\n  \
rollcoach synth --exercise upper_back --speed 5 --duration 60 --fault too_fast@10+5 --fault hips_dropped@30+4 --out out/ub.jsonl\n  \
rollcoach analyze --poses out/ub.jsonl\n\n\
Writes TRACK (rollcoach-poses/1, with the roller) and TRACK-stem.truth.json (the injected faults with their true onsets). \
Faults: too_fast, keep_out (drift into the exercise's first keep-out zone; DURATION = time inside it), hips_dropped \
(upper_back, lower_back, hamstrings, calves), plank_line (quads, adductors), neck_unsupported (upper_back, lower_back). \
Generate the lower_back exercise for a lower_back fault."
)]
pub struct SynthArgs {
    /// Exercise to perform (see `rollcoach exercises`).
    #[arg(long, value_name = "NAME")]
    pub exercise: String,
    /// Rolling speed along the body, cm/s.
    #[arg(long, value_name = "CM_S", default_value_t = 5.0)]
    pub speed: f32,
    /// Speed during injected too_fast faults, cm/s.
    #[arg(long, value_name = "CM_S", default_value_t = 30.0)]
    pub fast_speed: f32,
    /// Track length, s.
    #[arg(long, value_name = "S", default_value_t = 40.0)]
    pub duration: f64,
    /// Injected fault RULE@ONSET+DURATION (seconds); repeat for more.
    #[arg(long = "fault", value_name = "RULE@ONSET+DURATION")]
    pub faults: Vec<String>,
    /// Random seed of the landmark noise.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Landmark noise (standard deviation), px.
    #[arg(long, value_name = "PX", default_value_t = 1.0)]
    pub noise_px: f32,
    /// Slow wander of every landmark (sinusoid, random phase per landmark and axis), amplitude px.
    #[arg(long, value_name = "PX", default_value_t = 0.0)]
    pub wander_px: f32,
    /// Wander frequency, Hz.
    #[arg(long, value_name = "HZ", default_value_t = 0.5)]
    pub wander_hz: f32,
    /// Share of frames (0-0.9) without the roller (detector misses).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub dropout: f32,
    /// Share of frames (0-0.9) without the person (pose misses).
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    pub pose_dropout: f32,
    /// Visibility of the far-side landmarks (0-1).
    #[arg(long, value_name = "V", default_value_t = synth::FAR_VISIBILITY)]
    pub far_visibility: f32,
    /// Tender-spot hold AT+DURATION (seconds; same as --fault hold@AT+DURATION); repeat for more.
    #[arg(long = "hold", value_name = "AT+DURATION")]
    pub holds: Vec<String>,
    /// Switch to another exercise: EXERCISE@T (seconds).
    #[arg(long, value_name = "EXERCISE@T")]
    pub then: Option<String>,
    #[arg(long, default_value_t = 30.0)]
    pub fps: f64,
    #[arg(long, default_value_t = 640)]
    pub width: u32,
    #[arg(long, default_value_t = 480)]
    pub height: u32,
    /// Image scale, px per cm.
    #[arg(long, value_name = "PX", default_value_t = 2.6)]
    pub px_per_cm: f32,
    /// Real roller diameter, cm.
    #[arg(long, value_name = "CM", default_value_t = 15.0)]
    pub roller_diameter_cm: f32,
    /// Folder of exercise definition files (TOML); default: `exercises/` of the rollcoach checkout.
    #[arg(long, value_name = "DIR")]
    pub exercises_dir: Option<PathBuf>,
    /// Output pose track (.jsonl).
    #[arg(long, short, value_name = "TRACK.jsonl")]
    pub out: PathBuf,
}

pub fn run(a: SynthArgs) -> Result<()> {
    let holds = a.holds.iter().map(|h| format!("hold@{h}"));
    let faults = a
        .faults
        .iter()
        .cloned()
        .chain(holds)
        .map(|s| FaultSpec::parse(&s))
        .collect::<Result<Vec<_>, _>>()?;
    let dir = a.exercises_dir.unwrap_or_else(coach::default_exercises_dir);
    let all = coach::load_dir(&dir).with_context(|| format!("loading exercises from {}", dir.display()))?;
    let find = |id: &str| {
        all.iter().find(|e| e.id == id).with_context(|| {
            format!(
                "unknown exercise {:?}; known: {}",
                id,
                all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
    };
    let ex = find(&a.exercise)?;
    let then = match &a.then {
        None => None,
        Some(spec) => {
            let (id, at) = spec
                .split_once('@')
                .with_context(|| format!("--then {spec:?}: expected EXERCISE@T, e.g. quads@30"))?;
            let at: f64 = at.parse().with_context(|| format!("--then {spec:?}: T is not a number"))?;
            Some((find(id)?, at))
        }
    };
    let cfg = SynthConfig {
        speed_cm_s: a.speed,
        fast_speed_cm_s: a.fast_speed,
        duration_s: a.duration,
        fps: a.fps,
        width: a.width,
        height: a.height,
        px_per_cm: a.px_per_cm,
        roller_diameter_cm: a.roller_diameter_cm,
        noise_px: a.noise_px,
        real: synth::RealNoise {
            wander_px: a.wander_px,
            wander_hz: a.wander_hz,
            roller_dropout: a.dropout,
            pose_dropout: a.pose_dropout,
            far_visibility: a.far_visibility,
        },
        seed: a.seed,
        faults,
    };
    let (track, truth) = match then {
        None => synth::generate(ex, &cfg)?,
        Some((second, at)) => synth::generate_switch(ex, second, at, &cfg)?,
    };
    let (tp, truthp) = synth::write(&track, &truth, &a.out)?;
    println!(
        "wrote {} ({} frames) and {}",
        tp.display(),
        track.frames.len(),
        truthp.display()
    );
    for f in &truth.faults {
        println!("  {} {:.2}-{:.2} s", f.rule, f.onset, f.end);
    }
    Ok(())
}
