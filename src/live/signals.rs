//! The live loop's stop signals: the process-wide handlers of [`crate::signals`].
pub use crate::signals::{install, stop_requested};
