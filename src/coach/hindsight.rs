//! The per-frame metrics of a recorded clip, labelled in hindsight. Live coaching must wait for the evidence
//! before it names an exercise (`recognition::INITIAL_RECOGNITION_S` after the roller appears; about 1.3 s on the
//! rendered clips, a fifth of a 6 s clip); a recorded clip is seen whole, so the frames of that wait get the
//! exercise recognised at its end and the contact its segment had then. What was coached at the time (a frame
//! that already had an exercise, its faults and cues) is left as it was.

use super::exercise::Zone;
use super::{Engine, FrameMetrics};

/// What a recognition says about the frames before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Hindsight {
    /// The recognised exercise's id.
    pub exercise: String,
    /// Its evidence began here, s.
    pub since: f64,
    /// (frame time, contact along its segment) over the evidence, oldest first.
    pub contacts: Vec<(f64, f32)>,
    /// The exercise's region to roll, for `in_region`.
    pub region: Zone,
}

impl Engine {
    /// When the last frame pushed brought the first recognition of an exercise, what it says about the frames
    /// before (their metrics are already out; see [`MetricsLog`]).
    pub fn hindsight(&self) -> Option<Hindsight> {
        if !self.recog.just_switched() {
            return None;
        }
        let e = self.recog.current()?;
        let ex = &self.exercises[e];
        let since = self.recog.current_since();
        Some(Hindsight {
            exercise: ex.id.clone(),
            since,
            contacts: self.recog.contacts_since(e, since).collect(),
            region: ex.region.clone(),
        })
    }
}

/// Per-frame metrics of a whole clip, with the recognition wait labelled in hindsight.
#[derive(Debug, Clone, Default)]
pub struct MetricsLog {
    rows: Vec<FrameMetrics>,
}

impl MetricsLog {
    pub fn with_capacity(n: usize) -> Self {
        Self { rows: Vec::with_capacity(n) }
    }

    /// Appends this frame's metrics, first labelling the earlier frames that `hindsight` covers.
    pub fn push(&mut self, metrics: &FrameMetrics, hindsight: Option<Hindsight>) {
        if let Some(h) = hindsight {
            self.label(&h);
        }
        self.rows.push(metrics.clone());
    }

    /// Gives the frames since `h.since` that had no exercise `h`'s exercise and contact.
    fn label(&mut self, h: &Hindsight) {
        for row in self.rows.iter_mut().rev().take_while(|r| r.t >= h.since) {
            if row.area.exercise.is_some() {
                continue;
            }
            // the contact was recorded on the same frame: the same time value
            let contact = h.contacts.iter().find(|c| c.0 == row.t).map(|c| c.1);
            row.area.exercise = Some(h.exercise.clone());
            row.area.contact = contact;
            row.area.in_region = contact.is_some_and(|c| h.region.contains(c));
        }
    }

    pub fn into_rows(self) -> Vec<FrameMetrics> {
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coach::exercise::Advice;

    fn region(start: f32, end: f32) -> Zone {
        let advice = Advice { message: String::new(), cue: String::new(), source: String::new() };
        Zone { name: "region".into(), start, end, advice }
    }

    fn row(t: f64, exercise: Option<&str>) -> FrameMetrics {
        let mut m = FrameMetrics::empty();
        m.t = t;
        m.area.exercise = exercise.map(str::to_string);
        m
    }

    #[test]
    fn the_wait_before_a_recognition_gets_its_exercise_and_contacts() {
        let mut log = MetricsLog::default();
        for i in 0..5 {
            log.push(&row(i as f64 * 0.1, None), None);
        }
        let h = Hindsight {
            exercise: "quads".into(),
            since: 0.2,
            contacts: vec![(0.2, 0.30), (0.4, 0.95), (0.5, 0.40)],
            region: region(0.1, 0.8),
        };
        log.push(&row(0.5, Some("quads")), Some(h));
        let rows = log.into_rows();
        let got: Vec<_> = rows.iter().map(|r| (r.area.exercise.as_deref(), r.area.contact, r.area.in_region)).collect();
        assert_eq!(
            got,
            vec![
                (None, None, false),
                (None, None, false),
                (Some("quads"), Some(0.30), true),
                (Some("quads"), None, false),
                (Some("quads"), Some(0.95), false),
                (Some("quads"), None, false),
            ]
        );
    }

    #[test]
    fn frames_coached_at_the_time_are_left_as_they_were() {
        let mut log = MetricsLog::default();
        log.push(&row(0.0, Some("calves")), None);
        let h = Hindsight { exercise: "quads".into(), since: 0.0, contacts: vec![(0.0, 0.5)], region: region(0.0, 1.0) };
        log.push(&row(0.1, Some("quads")), Some(h));
        let rows = log.into_rows();
        assert_eq!(rows[0].area.exercise.as_deref(), Some("calves"));
        assert_eq!(rows[0].area.contact, None);
    }
}
