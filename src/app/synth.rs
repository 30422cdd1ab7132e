//! `rollcoach synth`: writes a synthetic pose track (kinematic body rolling over a roller) and its truth file.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::coach;
use crate::posetrack::{num, FPS_RANGE, MAX_FRAME_SIDE};
use crate::synth::{self, FaultSpec, SynthConfig};

/// Longest synthetic track, s: 4 hours, far beyond any foam-rolling session (minutes per area); the frames are held
/// in memory, so the length is bounded before anything is generated.
pub const MAX_SYNTH_DURATION_S: f64 = 4.0 * 3600.0;
/// Most frames in one synthetic track: 4 hours at 30 fps (about 1 KB per frame in memory, so under 0.5 GB).
pub const MAX_SYNTH_FRAMES: f64 = MAX_SYNTH_DURATION_S * 30.0;
/// Largest image scale, px/cm: 100 px/cm puts a 1.7 m body across 17000 px, wider than the largest frame.
pub const MAX_PX_PER_CM: f32 = 100.0;
/// Largest roller diameter, cm: foam rollers are 10-15 cm, massage balls 6-12 cm; 100 cm is no roller at all.
pub const MAX_ROLLER_DIAMETER_CM: f32 = 100.0;
/// Largest landmark noise and wander amplitude, px: the same bound the generator applies (100 px is a fifth of a
/// 480-px frame, beyond any pose detector's jitter).
pub const MAX_NOISE_PX: f32 = 100.0;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Examples:\n  rollcoach synth --exercise quads --out out/quads.jsonl\n  \
rollcoach synth --exercise upper_back --speed 5 --duration 60 --fault too_fast@10+5 --fault hips_dropped@30+4 --out out/ub.jsonl\n  \
rollcoach analyze --poses out/ub.jsonl\n\n\
Writes TRACK (rollcoach-poses/1, with the roller) and TRACK-stem.truth.json (the injected faults with their true onsets). \
Faults: too_fast, keep_out (drift into the exercise's first keep-out zone; DURATION = time inside it), and the \
posture faults an exercise's file checks: hips_dropped (upper_back, hamstrings, calves), plank_line (quads), \
neck_unsupported (upper_back). Generate the lower_back exercise for a lower_back fault. \
Ball exercises (ball_*, peanut_*) give ball tracks (scale from --ball-diameter-cm); single balls turn the body toward \
the ball, --on-spine AT+DURATION turns it square onto the ball (a keep_out fault in zone spine)."
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
    /// Single-ball exercises: the body turns square onto the ball, i.e. the ball on the spine, AT+DURATION
    /// (seconds; a `keep_out` fault in zone `spine`); repeat for more.
    #[arg(long = "on-spine", value_name = "AT+DURATION")]
    pub on_spine: Vec<String>,
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
    /// Real ball diameter for ball exercises, cm.
    #[arg(long, value_name = "CM", default_value_t = coach::ball::DEFAULT_BALL_DIAMETER_CM)]
    pub ball_diameter_cm: f32,
    /// Folder of exercise definition files (TOML); default: `exercises/` of the rollcoach checkout.
    #[arg(long, value_name = "DIR")]
    pub exercises_dir: Option<PathBuf>,
    /// Output pose track (.jsonl).
    #[arg(long, short, value_name = "TRACK.jsonl")]
    pub out: PathBuf,
}

/// `value` of option `name` within `lo..=hi` (and finite), else an error naming the option and the range.
fn in_range(name: &str, value: f64, lo: f64, hi: f64) -> Result<()> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        anyhow::bail!("--{name} {}: out of range {lo}-{hi}", num(value))
    }
}

/// `value` of option `name` above 0 and at most `hi`.
fn positive_upto(name: &str, value: f64, hi: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 && value <= hi {
        Ok(())
    } else {
        anyhow::bail!("--{name} {}: out of range 0-{hi} (must be above 0)", num(value))
    }
}

/// An f32 option widened to f64 as the user wrote it (1e30, not 1.0000000150474662e30).
fn wide(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::NAN)
}

/// Bounds every size-bearing option before anything is generated (buffers are sized from fps x duration).
fn check_bounds(a: &SynthArgs) -> Result<()> {
    in_range("fps", a.fps, *FPS_RANGE.start(), *FPS_RANGE.end())?;
    positive_upto("duration", a.duration, MAX_SYNTH_DURATION_S)?;
    if a.duration * a.fps > MAX_SYNTH_FRAMES {
        anyhow::bail!(
            "--duration {} at --fps {} gives {} frames; at most {MAX_SYNTH_FRAMES} (4 h at 30 fps)",
            num(a.duration),
            num(a.fps),
            num((a.duration * a.fps).ceil())
        );
    }
    let side = MAX_FRAME_SIDE as f64;
    in_range("width", a.width as f64, 1.0, side)?;
    in_range("height", a.height as f64, 1.0, side)?;
    let max_speed = *coach::ROLL_SPEED_RANGE_CM_S.end() as f64;
    positive_upto("speed", wide(a.speed), max_speed)?;
    positive_upto("fast-speed", wide(a.fast_speed), max_speed)?;
    positive_upto("px-per-cm", wide(a.px_per_cm), MAX_PX_PER_CM as f64)?;
    positive_upto("roller-diameter-cm", wide(a.roller_diameter_cm), MAX_ROLLER_DIAMETER_CM as f64)?;
    positive_upto("ball-diameter-cm", wide(a.ball_diameter_cm), MAX_ROLLER_DIAMETER_CM as f64)?;
    in_range("noise-px", wide(a.noise_px), 0.0, MAX_NOISE_PX as f64)?;
    in_range("wander-px", wide(a.wander_px), 0.0, MAX_NOISE_PX as f64)
}

pub fn run(a: SynthArgs) -> Result<()> {
    check_bounds(&a)?;
    let holds = a.holds.iter().map(|h| format!("hold@{h}"));
    let faults = a
        .faults
        .iter()
        .cloned()
        .chain(holds)
        .map(|s| FaultSpec::parse(&s))
        .collect::<Result<Vec<_>, _>>()?;
    let on_spine = a
        .on_spine
        .iter()
        .map(|s| FaultSpec::parse(&format!("keep_out@{s}")))
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
        roller_diameter_cm: if ex.tool.is_ball() { a.ball_diameter_cm } else { a.roller_diameter_cm },
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
        on_spine,
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
