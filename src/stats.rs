//! Small statistics shared by the benchmarks (`bench`, `live --bench`), and the time-based smoothing share used by
//! the frame path's running means.

/// Share of a new sample in an exponential running mean with time constant `tau_s`, for a sample `dt_s` after the
/// previous one: `1 - exp(-dt / tau)` (a share `a` per frame at `fps` is `tau = -1 / (fps ln(1 - a))`). Frame
/// intervals vary (variable-frame-rate clips, frames the live loop skips), so a fixed share per frame would smooth
/// over a span of frames, not of seconds; this keeps the memory in seconds. A gap that does not advance
/// (`dt_s <= 0`) gives 0 (the sample is not taken in).
pub fn ema_share(dt_s: f64, tau_s: f64) -> f32 {
    if dt_s <= 0.0 {
        return 0.0;
    }
    if tau_s <= 0.0 {
        return 1.0;
    }
    (1.0 - (-dt_s / tau_s).exp()) as f32
}

/// Median of `v` (sorted in place): the middle value, or the mean of the two middle values for an even count;
/// `None` if empty.
pub fn median(v: &mut [f32]) -> Option<f32> {
    v.sort_by(f32::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some(0.5 * (v[n / 2 - 1] + v[n / 2])),
    }
}

/// The `p`-th percentile (0-100, nearest rank) of `v`; `None` if empty.
pub fn percentile(v: &[f64], p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil().max(1.0) as usize;
    Some(s[rank.min(s.len()) - 1])
}

/// [`percentile`], NaN for no samples (for printing).
pub fn percentile_or_nan(v: &[f64], p: f64) -> f64 {
    percentile(v, p).unwrap_or(f64::NAN)
}

/// CPU time consumed so far (s): this process (all its threads) plus its finished, waited-for children (an
/// encoder subprocess). On a machine shared with other work this says what a step costs, where wall time says
/// mostly how much of the CPU the scheduler gave.
pub fn cpu_seconds() -> f64 {
    // SAFETY: plain syscalls writing into the zeroed structs passed.
    let (own, children) = unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts);
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru);
        (ts, ru)
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    own.tv_sec as f64 + own.tv_nsec as f64 * 1e-9 + tv(children.ru_utime) + tv(children.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_is_the_middle_or_the_mean_of_the_two_middle_values() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(50.0));
        assert_eq!(percentile(&v, 99.0), Some(99.0));
        assert_eq!(percentile(&[3.0], 99.0), Some(3.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert!(percentile_or_nan(&[], 50.0).is_nan());
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let t0 = cpu_seconds();
        let mut x = 0u64;
        while cpu_seconds() - t0 < 0.02 {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(x > 0 && cpu_seconds() > t0);
    }
}
