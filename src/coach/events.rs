//! The event log: debounced rule edges become fault records and cues; info events (holds, area done) become event
//! records. Cues are de-duplicated here (the same text is not spoken again within [`CUE_REPEAT_S`]).

use super::exercise::{Advice, FaultRule, RuleId, Severity};
use super::report::EventRecord;
use super::rules::Edge;
use super::Cue;

/// The same cue is not spoken again within this time.
pub const CUE_REPEAT_S: f64 = 5.0;
/// An info cue stays the current cue this long.
pub const INFO_CUE_SHOW_S: f64 = 3.0;

/// What a fault rule reports when its condition starts.
#[derive(Debug, Clone, Copy)]
pub struct FaultInfo<'a> {
    pub rule: RuleId,
    pub severity: Severity,
    pub exercise: &'a str,
    pub message: &'a str,
    pub cue: &'a str,
    pub detail: Option<&'a str>,
}

impl<'a> FaultInfo<'a> {
    /// A posture check's or `[avoid]`'s fault in `exercise`.
    pub fn of(fault: &'a FaultRule, exercise: &'a str) -> Self {
        Self {
            rule: fault.rule,
            severity: fault.severity,
            exercise,
            message: &fault.advice.message,
            cue: &fault.advice.cue,
            detail: None,
        }
    }

    /// Entering a keep-out stretch (`detail`: a keep-out zone's name, or the spine under a single ball).
    pub fn keep_out(advice: &'a Advice, exercise: &'a str, detail: &'a str) -> Self {
        Self {
            rule: RuleId::KeepOut,
            severity: Severity::Critical,
            exercise,
            message: &advice.message,
            cue: &advice.cue,
            detail: Some(detail),
        }
    }

    /// Enough to end an active fault (message and cue are only used when one starts).
    pub fn ending(rule: RuleId, exercise: &'a str) -> Self {
        Self {
            rule,
            severity: Severity::Warning,
            exercise,
            message: "",
            cue: "",
            detail: None,
        }
    }
}

/// Fault and event records, the active faults and the cues.
#[derive(Debug, Default)]
pub struct EventLog {
    faults: Vec<EventRecord>,
    events: Vec<EventRecord>,
    active: Vec<Cue>,
    new_cues: Vec<Cue>,
    info_cue: Option<Cue>,
    last_spoken: Vec<(String, f64)>,
}

impl EventLog {
    /// Applies a rule's edge at time `t`; true when a fault started.
    pub fn fault_edge(&mut self, edge: Edge, f: &FaultInfo, t: f64) -> bool {
        match edge {
            Edge::None => false,
            Edge::Started { start } => {
                let c = Cue {
                    rule: f.rule,
                    text: f.cue.into(),
                    severity: f.severity,
                    t,
                };
                self.active.push(c.clone());
                self.speak(c);
                // Recorded now with a provisional end; the end is fixed when the event ends.
                self.faults.push(EventRecord {
                    rule: f.rule,
                    exercise: f.exercise.into(),
                    start,
                    end: f64::NAN,
                    severity: f.severity,
                    message: f.message.into(),
                    detail: f.detail.map(str::to_string),
                });
                true
            }
            Edge::Ended { end, .. } => {
                self.active.retain(|a| a.rule != f.rule);
                if let Some(r) = self
                    .faults
                    .iter_mut()
                    .rev()
                    .find(|r| r.rule == f.rule && r.end.is_nan())
                {
                    r.end = end.max(r.start);
                }
                false
            }
        }
    }

    /// Records a non-fault event.
    pub fn event(&mut self, record: EventRecord) {
        self.events.push(record);
    }

    /// Shows and speaks an info cue.
    pub fn info(&mut self, rule: RuleId, text: &str, t: f64) {
        let cue = Cue {
            rule,
            text: text.into(),
            severity: Severity::Info,
            t,
        };
        self.info_cue = Some(cue.clone());
        self.speak(cue);
    }

    fn speak(&mut self, cue: Cue) {
        if let Some(entry) = self
            .last_spoken
            .iter_mut()
            .find(|(txt, _)| *txt == cue.text)
        {
            if cue.t - entry.1 < CUE_REPEAT_S {
                return;
            }
            entry.1 = cue.t;
        } else {
            self.last_spoken.push((cue.text.clone(), cue.t));
        }
        self.new_cues.push(cue);
    }

    /// Start of the run of `rule` faults of `exercise` that is active or ended at `now`, each beginning less than
    /// `max_gap` s after the previous one ended (a contact flickering across a zone's edge), if there is one. A run
    /// is about one thing (one keep-out zone, its `detail`): a visit to the neck zone 3 s before one to the kidneys
    /// is another visit.
    pub fn run_start(&self, rule: RuleId, exercise: &str, now: f64, max_gap: f64) -> Option<f64> {
        let mut runs = self.faults.iter().rev().filter(|r| r.rule == rule && r.exercise == exercise);
        let last = runs.next().filter(|r| r.end.is_nan() || r.end >= now)?;
        let mut start = last.start;
        for r in runs {
            if start - r.end >= max_gap || r.detail != last.detail {
                break;
            }
            start = r.start;
        }
        Some(start)
    }

    /// Removes the `rule` faults of `exercise` that began at `since` or later (a visit relabelled in hindsight).
    pub fn retract(&mut self, rule: RuleId, exercise: &str, since: f64) {
        self.faults.retain(|r| !(r.rule == rule && r.exercise == exercise && r.start >= since));
    }

    /// Forgets the active faults (their records were ended by the caller).
    pub fn clear_active(&mut self) {
        self.active.clear();
    }

    /// Rule ids of the active faults, oldest first.
    pub fn active_rules(&self) -> impl Iterator<Item = RuleId> + '_ {
        self.active.iter().map(|c| c.rule)
    }

    /// The cue to show at `now`: the most severe active fault, else a recent info cue.
    pub fn current_cue(&self, now: f64) -> Option<&Cue> {
        let fault = self
            .active
            .iter()
            .max_by(|a, b| a.severity.cmp(&b.severity).then(a.t.total_cmp(&b.t)));
        fault.or_else(|| {
            self.info_cue
                .as_ref()
                .filter(|c| now - c.t <= INFO_CUE_SHOW_S)
        })
    }

    pub fn drain_new_cues(&mut self) -> Vec<Cue> {
        std::mem::take(&mut self.new_cues)
    }

    /// Fault and event records sorted by start; open faults end at `t_end`.
    pub fn finish(self, t_end: f64) -> (Vec<EventRecord>, Vec<EventRecord>) {
        let mut faults = self.faults;
        for f in faults.iter_mut().filter(|f| f.end.is_nan()) {
            f.end = t_end;
        }
        faults.sort_by(|a, b| a.start.total_cmp(&b.start));
        let mut events = self.events;
        events.sort_by(|a, b| a.start.total_cmp(&b.start));
        (faults, events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(rule: RuleId) -> FaultInfo<'static> {
        FaultInfo {
            rule,
            severity: Severity::Critical,
            exercise: "quads",
            message: "m",
            cue: "off the knee",
            detail: Some("knee"),
        }
    }

    #[test]
    fn started_fault_is_active_until_it_ends() {
        let mut log = EventLog::default();
        assert!(log.fault_edge(Edge::Started { start: 1.0 }, &info(RuleId::KeepOut), 1.2));
        assert_eq!(
            log.active_rules().collect::<Vec<_>>(),
            vec![RuleId::KeepOut]
        );
        assert_eq!(
            log.current_cue(9.0).map(|c| c.text.as_str()),
            Some("off the knee")
        );
        assert!(!log.fault_edge(
            Edge::Ended {
                start: 1.0,
                end: 2.0
            },
            &info(RuleId::KeepOut),
            2.5
        ));
        assert_eq!(log.active_rules().count(), 0);
        let (faults, _) = log.finish(10.0);
        assert_eq!((faults[0].start, faults[0].end), (1.0, 2.0));
        assert_eq!(faults[0].detail.as_deref(), Some("knee"));
    }

    #[test]
    fn same_cue_is_not_repeated_within_the_repeat_time() {
        let mut log = EventLog::default();
        log.info(RuleId::Hold, "good", 0.0);
        log.info(RuleId::Hold, "good", CUE_REPEAT_S - 0.1);
        log.info(RuleId::Hold, "good", CUE_REPEAT_S + 0.1);
        assert_eq!(log.drain_new_cues().len(), 2);
        assert!(log
            .current_cue(CUE_REPEAT_S + 0.1 + INFO_CUE_SHOW_S + 0.1)
            .is_none());
    }

    #[test]
    fn open_faults_end_at_the_end_of_the_session() {
        let mut log = EventLog::default();
        log.fault_edge(Edge::Started { start: 3.0 }, &info(RuleId::KeepOut), 3.0);
        let (faults, _) = log.finish(7.0);
        assert_eq!(faults[0].end, 7.0);
    }
}
