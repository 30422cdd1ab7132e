//! Options shared by several subcommands, declared and validated once (`#[command(flatten)]`).

use std::path::PathBuf;

use crate::coach::{default_exercises_dir, EngineConfig, DEFAULT_ROLLER_DIAMETER_CM};
use crate::pose::blazepose::{BlazePoseConfig, LandmarkModel};

/// Roller diameters accepted: the smallest massage balls are about 5 cm, the largest foam rollers about 40 cm; a
/// number outside is a typo (mm for cm) that would scale every speed wrongly.
pub const ROLLER_DIAMETER_CM: std::ops::RangeInclusive<f32> = 5.0..=40.0;

fn roller_diameter(s: &str) -> Result<f32, String> {
    let v: f32 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if v.is_finite() && ROLLER_DIAMETER_CM.contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} cm is outside {}-{} cm", ROLLER_DIAMETER_CM.start(), ROLLER_DIAMETER_CM.end()))
    }
}

/// Where the exercises come from.
#[derive(clap::Args, Debug, Clone)]
pub struct ExercisesDirOption {
    /// Folder of exercise definition files (TOML); default: `exercises/` of the rollcoach checkout.
    #[arg(long, value_name = "DIR")]
    pub exercises_dir: Option<PathBuf>,
}

impl ExercisesDirOption {
    pub fn dir(&self) -> PathBuf {
        self.exercises_dir.clone().unwrap_or_else(default_exercises_dir)
    }
}

/// The form engine's options.
#[derive(clap::Args, Debug, Clone)]
pub struct EngineOptions {
    #[command(flatten)]
    pub exercises: ExercisesDirOption,
    /// Real diameter of the foam roller in cm, 5-40 (gives the pixels-to-cm scale).
    #[arg(long, value_name = "CM", default_value_t = DEFAULT_ROLLER_DIAMETER_CM, value_parser = roller_diameter)]
    pub roller_diameter_cm: f32,
    /// Real diameter of the massage ball in cm, 5-40 (the scale when the tool seen is a ball; default: a lacrosse
    /// ball, 6.3 cm).
    #[arg(long, value_name = "CM", default_value_t = crate::coach::ball::DEFAULT_BALL_DIAMETER_CM, value_parser = roller_diameter)]
    pub ball_diameter_cm: f32,
    /// How the tool is found: auto (default; Hough circles on a roller's end face first, the trained detector for
    /// massage balls and for rollers in other views), circles (side views, rollers only),
    /// learned (the trained detector alone: any camera view, rollers and balls) or both.
    #[arg(long, value_enum, value_name = "HOW", env = "ROLLCOACH_ROLLER_DETECTOR",
        default_value_t = crate::roller::RollerMethod::Auto)]
    pub roller_detector: crate::roller::RollerMethod,
}

impl EngineOptions {
    /// Engine settings for `exercise` (None: recognised automatically); frame size and rate come from the input.
    pub fn engine_config(&self, exercise: Option<String>) -> EngineConfig {
        let mut engine = EngineConfig::new(self.exercises.dir());
        engine.exercise = exercise;
        engine.roller_diameter_cm = self.roller_diameter_cm;
        engine.ball_diameter_cm = self.ball_diameter_cm;
        engine
    }

    pub fn roller(&self) -> crate::roller::RollerConfig {
        crate::roller::RollerConfig {
            method: self.roller_detector,
            ..Default::default()
        }
    }
}

/// The pose model's options.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelOptions {
    /// Landmark model: full (default) or lite (faster). Full is the default for `live` too since the roller check
    /// uses the person mask: lite's mask covered the whole roller on the rendered quads clip (so no roller was found
    /// and no exercise recognised), full's leaves it out; full's p99 capture-to-overlay latency was 29.7 ms against
    /// lite's 21.7 ms at 640x480 on 2 cores (README), within the 40 ms target.
    #[arg(long, value_enum)]
    pub model: Option<LandmarkModel>,
    /// Folder with the ONNX models and SHA256SUMS; default: models/ next to the binary or in the checkout.
    #[arg(long, value_name = "DIR", env = "ROLLCOACH_MODELS")]
    pub models: Option<PathBuf>,
    /// ONNX Runtime threads per model; default: 2 (1 on a single core; measured: see `runtime::DEFAULT_THREADS`).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub threads: Option<u16>,
}

impl ModelOptions {
    pub fn blazepose(&self, default_model: LandmarkModel, tracking: bool) -> BlazePoseConfig {
        BlazePoseConfig { landmark_model: self.model.unwrap_or(default_model), threads: crate::runtime::threads_or_default(self.threads), tracking }
    }
}
