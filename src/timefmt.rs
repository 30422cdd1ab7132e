//! The one formatter of durations for people: `m:ss`.

/// `m:ss` of a duration in seconds, counted like a clock: whole seconds elapsed (59.9 s is `0:59`); negative and
/// non-finite durations count as 0.
pub fn mm_ss(s: f64) -> String {
    let s = if s.is_finite() { s.max(0.0) as u64 } else { 0 };
    format!("{}:{:02}", s / 60, s % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn clock_style() {
        assert_eq!(super::mm_ss(59.9), "0:59");
        assert_eq!(super::mm_ss(95.0), "1:35");
        assert_eq!(super::mm_ss(-3.0), "0:00");
        assert_eq!(super::mm_ss(f64::NAN), "0:00");
    }
}
