//! Cue scheduling for someone lying on a roller: few, short, spaced-out cues.
//!
//! Pure: times are session seconds passed in by the caller. The scheduler keeps at most one pending cue (the most
//! severe, newest on ties), speaks nothing within [`MIN_GAP_S`] of the previous cue, does not repeat the same rule
//! within [`SAME_RULE_GAP_S`], and forgets a pending cue after [`PENDING_TTL_S`] (advice about a movement that is
//! long over is noise).

/// Minimum time between any two cues (s). Someone working on a roller needs time to act on a cue.
pub const MIN_GAP_S: f64 = 4.0;
/// Minimum time before the same rule is cued again (s), so a persisting fault does not nag.
pub const SAME_RULE_GAP_S: f64 = 12.0;
/// A pending cue older than this is dropped (s).
pub const PENDING_TTL_S: f64 = 3.0;

/// How urgent a cue is; also selects the beep pattern. The engine's one severity (serialised the same in reports and
/// the live events log).
pub use crate::coach::Severity;

/// A cue as the live coach handles it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveCue {
    /// Rule id (`too_fast`, `keep_out`, ...) or event id (`hold`, `area_done`).
    pub rule: String,
    /// Short spoken text.
    pub text: String,
    pub severity: Severity,
}

#[derive(Debug, Default)]
pub struct CueScheduler {
    pending: Option<(LiveCue, f64)>,
    last_any: Option<f64>,
    last_by_rule: Vec<(String, f64)>,
}

impl CueScheduler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Offers a cue raised at `now`. It replaces the pending cue unless that one is more severe.
    pub fn offer(&mut self, cue: LiveCue, now: f64) {
        if let Some((p, _)) = &self.pending {
            if p.severity > cue.severity {
                return;
            }
        }
        self.pending = Some((cue, now));
    }

    /// Returns the cue to say now, if any.
    pub fn poll(&mut self, now: f64) -> Option<LiveCue> {
        let (cue, raised) = self.pending.as_ref()?;
        if now - raised > PENDING_TTL_S {
            self.pending = None;
            return None;
        }
        if self.last_any.is_some_and(|t| now - t < MIN_GAP_S) {
            return None;
        }
        if self.last_by_rule.iter().any(|(r, t)| r == &cue.rule && now - t < SAME_RULE_GAP_S) {
            // Same rule said recently: drop it rather than hold it back (it would come out stale).
            self.pending = None;
            return None;
        }
        let (cue, _) = self.pending.take()?;
        self.last_any = Some(now);
        match self.last_by_rule.iter_mut().find(|(r, _)| r == &cue.rule) {
            Some(e) => e.1 = now,
            None => self.last_by_rule.push((cue.rule.clone(), now)),
        }
        Some(cue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cue(rule: &str, sev: Severity) -> LiveCue {
        LiveCue { rule: rule.into(), text: rule.replace('_', " "), severity: sev }
    }

    /// Offers `rule` every frame for `secs` seconds at 30 fps, returns the times it was said.
    fn nag(s: &mut CueScheduler, rule: &str, from: f64, secs: f64) -> Vec<f64> {
        let mut said = Vec::new();
        let mut t = from;
        while t < from + secs {
            s.offer(cue(rule, Severity::Warning), t);
            if let Some(c) = s.poll(t) {
                assert_eq!(c.rule, rule);
                said.push(t);
            }
            t += 1.0 / 30.0;
        }
        said
    }

    #[test]
    fn a_persisting_fault_is_repeated_only_after_the_same_rule_gap() {
        let mut s = CueScheduler::new();
        let said = nag(&mut s, "too_fast", 0.0, 30.0);
        assert_eq!(said.len(), 3, "{said:?}");
        assert!(said.windows(2).all(|w| w[1] - w[0] >= SAME_RULE_GAP_S - 1e-9), "{said:?}");
    }

    /// A scheduler that has just said `first` at 0 s.
    fn after_saying(first: LiveCue) -> CueScheduler {
        let mut s = CueScheduler::new();
        s.offer(first, 0.0);
        assert!(s.poll(0.0).is_some());
        s
    }

    #[test]
    fn different_rules_keep_the_minimum_gap() {
        let mut s = after_saying(cue("too_fast", Severity::Warning));
        s.offer(cue("keep_out", Severity::Critical), 1.0);
        assert!(s.poll(1.0).is_none());
        assert!(s.poll(3.9).is_none());
        s.offer(cue("keep_out", Severity::Critical), 3.95);
        assert_eq!(s.poll(4.0).map(|c| c.rule), Some("keep_out".to_string()));
    }

    #[test]
    fn more_severe_pending_cue_wins_and_stale_cues_expire() {
        let mut s = after_saying(cue("x", Severity::Info));
        s.offer(cue("keep_out", Severity::Critical), 1.0);
        s.offer(cue("hold", Severity::Info), 1.5);
        assert_eq!(s.poll(4.0).map(|c| c.rule), Some("keep_out".to_string()));
        s.offer(cue("lower_back", Severity::Warning), 5.0);
        assert!(s.poll(5.0 + PENDING_TTL_S + 0.1).is_none(), "a cue older than the TTL must not be said");
        assert!(s.poll(20.0).is_none());
    }
}
