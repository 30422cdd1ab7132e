//! The body orientation the rules use: a majority vote over the per-frame classes of the last second, so that a
//! class that flickers at an oblique camera (the world landmarks' depth is their least certain axis) does not
//! switch exercises or turn posture rules on and off frame by frame.

use std::collections::VecDeque;

use super::Orientation;

/// Span of the vote, seconds. Nobody turns from the back to the side in less than about a second. On the
/// development renders (`render_validation.py --dev`) the worst clip's per-frame classes were right in 98 % of its
/// frames and the vote's in 100 %.
pub const ORIENTATION_VOTE_S: f64 = 1.0;
/// Slots of the vote's tally, one per `Orientation` ([`slot`]).
const ORIENTATIONS: usize = 5;

/// The tally slot of `o` (an exhaustive match: a new orientation does not compile until it has its slot).
fn slot(o: Orientation) -> usize {
    match o {
        Orientation::Supine => 0,
        Orientation::Prone => 1,
        Orientation::Side => 2,
        Orientation::Seated => 3,
        Orientation::Standing => 4,
    }
}

/// Majority of the per-frame orientations within [`ORIENTATION_VOTE_S`]; a tie keeps the previous answer.
#[derive(Debug, Default)]
pub struct OrientationVote {
    recent: VecDeque<(f64, Orientation)>,
    current: Option<Orientation>,
}

impl OrientationVote {
    /// Adds the class of the frame at `t` (s) and returns the vote. A frame with no class (no person, a degenerate
    /// torso) gets none and does not vote; older votes expire with time.
    pub fn update(&mut self, t: f64, frame: Option<Orientation>) -> Option<Orientation> {
        while self.recent.front().is_some_and(|&(t0, _)| t - t0 >= ORIENTATION_VOTE_S || t0 > t) {
            self.recent.pop_front();
        }
        let frame = frame?;
        self.recent.push_back((t, frame));
        let mut counts = [0usize; ORIENTATIONS];
        for &(_, o) in &self.recent {
            counts[slot(o)] += 1;
        }
        let votes = |o: Orientation| counts[slot(o)];
        let mut best = self.current.filter(|&o| votes(o) > 0).unwrap_or(frame);
        for &(_, o) in &self.recent {
            if votes(o) > votes(best) {
                best = o;
            }
        }
        self.current = Some(best);
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Orientation::{Side, Supine};

    fn run(frames: &[Option<Orientation>], fps: f64) -> Vec<Option<Orientation>> {
        let mut v = OrientationVote::default();
        frames.iter().enumerate().map(|(i, &o)| v.update(i as f64 / fps, o)).collect()
    }

    #[test]
    fn a_flicker_is_outvoted_and_a_real_turn_follows_within_the_span() {
        let mut frames = vec![Some(Supine); 30];
        frames[10] = Some(Side);
        frames[12] = Some(Side);
        frames.extend(vec![Some(Side); 30]);
        let got = run(&frames, 30.0);
        assert!(got[..30].iter().all(|o| *o == Some(Supine)), "{got:?}");
        let turned = got[30..].iter().position(|o| *o == Some(Side)).expect("the turn is followed");
        assert!(turned <= 16, "turned after {turned} frames");
        assert!(got[30 + turned..].iter().all(|o| *o == Some(Side)));
    }

    #[test]
    fn no_person_gives_none_and_old_votes_expire() {
        let mut v = OrientationVote::default();
        assert_eq!(v.update(0.0, Some(Side)), Some(Side));
        assert_eq!(v.update(0.1, None), None);
        // two seconds later the old side vote has expired: one supine frame decides
        assert_eq!(v.update(2.1, Some(Supine)), Some(Supine));
    }

    #[test]
    fn a_tie_keeps_the_previous_answer() {
        let got = run(&[Some(Supine), Some(Side), Some(Side), Some(Supine)], 30.0);
        assert_eq!(got, vec![Some(Supine), Some(Supine), Some(Side), Some(Side)]);
    }
}
