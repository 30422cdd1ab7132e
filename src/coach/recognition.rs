//! Exercise recognition: roller contact on every distinct body segment, and the exercise whose segment, contact
//! range and body orientation match, accepted after consistent evidence. Also the roller scale (px per cm) and the
//! floor line.

use std::collections::VecDeque;

use super::exercise::{Exercise, LandmarkRef, Orientation};
use super::ball::{tool_contact, Support, Tool};
use super::recognize::SegmentContact;
use crate::landmarks::{Pose, RollerObs};

/// A first exercise is accepted after this much consistent evidence. One second keeps brief circle-like things near
/// the body (hands on the mat beside the hips) from starting a session; events are back-dated to when the evidence
/// began, so the delay only postpones the first cue.
pub const INITIAL_RECOGNITION_S: f64 = 1.0;
/// Switching to another exercise needs this much consistent evidence.
pub const SWITCH_RECOGNITION_S: f64 = 3.0;
/// Contact history used to place the rolling range for recognition.
pub const RECOGNITION_WINDOW_S: f64 = 8.0;
/// Time constant of the smoothing of the roller scale and floor line, s (a share of 0.1 per frame at 15 fps; in
/// seconds so that a variable frame rate smooths over the same time, `stats::ema_share`).
const SCALE_TAU_S: f64 = 0.633;

/// A tool whose circle comes nearer the frame's edge than this share of its radius (or crosses it) may be cut by
/// the frame: Hough fits the arc left inside with a smaller circle near the edge (17.5-18.0 px, up to 0.31 radii
/// inside the edge, for an end face of 25.2 px whose centre lay 10-20 px below the frame, development clip
/// d_calves_az20_el40: speeds 1.4 times too fast), and its bottom is not the floor. A whole circle that close to the
/// edge is passed over with them (the scale then comes from other frames or the body).
pub const CUT_BY_FRAME_R: f32 = 0.5;

/// True when `r`'s circle reaches within [`CUT_BY_FRAME_R`] radii of the edge of a `width` x `height` frame:
/// neither its radius nor its bottom is measured.
pub fn cut_by_frame(r: &RollerObs, width: u32, height: u32) -> bool {
    let reach = r.r * (1.0 + CUT_BY_FRAME_R);
    let (w, h) = (width as f32, height as f32);
    r.cx < reach || r.cy < reach || r.cx > w - reach || r.cy > h - reach
}

/// Roller scale and floor line, smoothed over time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scale {
    /// The scale in use: the roller's, or combined with the body scale by the engine (`body_scale`).
    pub px_per_cm: Option<f32>,
    /// From the roller and the stated diameter alone (tools not cut by the frame).
    pub roller_px_per_cm: Option<f32>,
    /// The same from tools cut by the frame ([`cut_by_frame`]): the last resort, with no other scale.
    pub cut_px_per_cm: Option<f32>,
    pub floor_y: Option<f32>,
    /// Time and diameter (cm) of the last whole observation, and of the last cut one: each smoothing follows its own.
    last_whole: Option<(f64, f32)>,
    last_cut: Option<(f64, f32)>,
}

impl Scale {
    /// Updates from a roller of `diameter_cm` seen at `t` (s), `cut` by the frame or not. A change of the diameter
    /// (the tool taken for a ball, then for a roller) starts the smoothing afresh: averaged across it, the scale of a
    /// 15 cm roller read as a 6.3 cm ball for its first frames (before the body scale could check the kind,
    /// `tool_size`) took 2 s to decay and read a rendered quads clip's speeds 10 % fast.
    pub fn observe(&mut self, t: f64, r: &RollerObs, diameter_cm: f32, cut: bool) {
        let ppc = 2.0 * r.r / diameter_cm;
        if cut {
            self.cut_px_per_cm = smoothed(self.cut_px_per_cm, self.last_cut, t, diameter_cm, ppc);
            self.last_cut = Some((t, diameter_cm));
            return;
        }
        self.roller_px_per_cm = smoothed(self.roller_px_per_cm, self.last_whole, t, diameter_cm, ppc);
        self.floor_y = smoothed(self.floor_y, self.last_whole, t, diameter_cm, r.cy + r.r);
        self.last_whole = Some((t, diameter_cm));
        self.px_per_cm = self.roller_px_per_cm;
    }
}

/// `old` moved toward `new` (seen at `t` with a tool of `diameter_cm`) by the share of the time since `last`
/// ([`SCALE_TAU_S`]); `new` itself when there is no `old` or the tool's diameter changed since `last`.
fn smoothed(old: Option<f32>, last: Option<(f64, f32)>, t: f64, diameter_cm: f32, new: f32) -> Option<f32> {
    let share = match last {
        Some((t0, d)) if d == diameter_cm => crate::stats::ema_share(t - t0, SCALE_TAU_S),
        _ => 1.0,
    };
    Some(old.map_or(new, |p| p + share * (new - p)))
}

/// Distinct body segment used by one or more exercises, with its recent contact history.
#[derive(Debug, Clone)]
struct SegmentTrack {
    from: LandmarkRef,
    to: LandmarkRef,
    /// Exercises on one segment with different tools or supports are told apart by the tool seen (`coach::ball`).
    tool: (Tool, Support),
    /// First exercise on this segment (whose segment definition is used).
    exercise: usize,
    /// (frame time, contact along the segment, the body's orientation then).
    history: VecDeque<(f64, f32, Option<Orientation>)>,
    side: Option<u8>,
    contact: Option<SegmentContact>,
}

/// Contact per segment and the current exercise.
#[derive(Debug, Clone)]
pub struct Recognizer {
    segments: Vec<SegmentTrack>,
    ex_segment: Vec<usize>,
    cand: Option<usize>,
    cand_since: f64,
    current: Option<usize>,
    current_since: f64,
    /// The last call of [`recognise`](Self::recognise) was followed by a [`switch`](Self::switch).
    just_switched: bool,
}

impl Recognizer {
    pub fn new(exercises: &[Exercise], fps: f64, current: Option<usize>) -> Self {
        let mut segments: Vec<SegmentTrack> = Vec::new();
        let mut ex_segment = Vec::with_capacity(exercises.len());
        let hist_cap = (RECOGNITION_WINDOW_S * fps).ceil() as usize + 8;
        for (i, e) in exercises.iter().enumerate() {
            let k = match segments
                .iter()
                .position(|s| s.from == e.segment.from && s.to == e.segment.to && s.tool == (e.tool, e.support))
            {
                Some(k) => k,
                None => {
                    segments.push(SegmentTrack {
                        from: e.segment.from,
                        to: e.segment.to,
                        tool: (e.tool, e.support),
                        exercise: i,
                        history: VecDeque::with_capacity(hist_cap),
                        side: None,
                        contact: None,
                    });
                    segments.len() - 1
                }
            };
            ex_segment.push(k);
        }
        Self {
            segments,
            ex_segment,
            cand: None,
            cand_since: 0.0,
            current,
            current_since: 0.0,
            just_switched: false,
        }
    }

    /// Current exercise index.
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    /// When the current exercise's evidence began.
    pub fn current_since(&self) -> f64 {
        self.current_since
    }

    /// True when the current exercise was recognised on the last frame seen.
    pub fn just_switched(&self) -> bool {
        self.just_switched
    }

    /// The contacts on exercise `e`'s segment (frame time, position along it) from `since` on, oldest first.
    pub fn contacts_since(&self, e: usize, since: f64) -> impl Iterator<Item = (f64, f32)> + '_ {
        self.segments[self.ex_segment[e]].history.iter().filter(move |h| h.0 >= since).map(|&(t, c, _)| (t, c))
    }

    /// True when exercise `e`'s segment has the best-placed contact this frame (among the segments with an
    /// exercise for the body's orientation `o`, when known).
    pub fn is_best(&self, e: usize, exercises: &[Exercise], o: Option<Orientation>) -> bool {
        self.best_segment(exercises, o) == Some(self.ex_segment[e])
    }

    /// The segment with the best-placed contact this frame (lowest score), if any has contact; with the body's
    /// orientation `o`, among the segments with an exercise for it only: a ball under a seated person's buttock
    /// touches the torso's end as closely as the thigh's, and the torso (whose ball exercises all lie down) must not
    /// hide the thigh's glutes.
    fn best_segment(&self, exercises: &[Exercise], o: Option<Orientation>) -> Option<usize> {
        let applies = |k: usize| {
            o.is_none_or(|o| {
                self.ex_segment.iter().zip(exercises).any(|(&s, e)| {
                    s == k && e.recognize.as_ref().is_some_and(|r| r.orientation.contains(&o))
                })
            })
        };
        self.segments
            .iter()
            .enumerate()
            .filter(|&(k, _)| applies(k))
            .filter_map(|(k, s)| s.contact.map(|c| (k, c.score_cm)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(k, _)| k)
    }

    /// This frame's contact on exercise `e`'s segment.
    pub fn contact(&self, e: usize) -> Option<SegmentContact> {
        self.segments[self.ex_segment[e]].contact
    }

    /// Roller contact on every segment for the frame at `t`, the body in `orientation` (voted).
    pub fn update_contacts(
        &mut self,
        (t, orientation): (f64, Option<Orientation>),
        exercises: &[Exercise],
        pose: Option<&Pose>,
        roller: Option<&RollerObs>,
        px_per_cm: Option<f32>,
    ) {
        for s in self.segments.iter_mut() {
            let seg = &exercises[s.exercise].segment;
            s.contact = match (pose, roller, px_per_cm) {
                (Some(p), Some(r), Some(ppc)) => tool_contact(p, (seg, s.tool.0, s.tool.1), r, ppc, s.side),
                _ => None,
            };
            if let Some(c) = s.contact {
                s.side = Some(c.side);
                if s.history.len() >= super::rules::window_len_bound(RECOGNITION_WINDOW_S) {
                    s.history.pop_front();
                }
                s.history.push_back((t, c.t, orientation));
            }
            while s
                .history
                .front()
                .is_some_and(|&(t0, _, _)| t - t0 > RECOGNITION_WINDOW_S)
            {
                s.history.pop_front();
            }
        }
    }

    /// The exercise this frame's evidence points to, if any.
    fn candidate(&self, exercises: &[Exercise], orientation: Option<Orientation>) -> Option<usize> {
        let o = orientation?;
        let k = self.best_segment(exercises, Some(o))?;
        // The rolling range in this orientation only: lying on the side for the IT band, the roller under the thigh
        // lies beyond the hip on the torso's line, and those contacts kept the range's middle on the lower back for
        // the 8 s window after turning onto the back for the upper back (a lower_back warning for 8-10 s at each
        // switch from the legs to the upper back, tools/sweep_synth.py, ordinary conditions, seed 7373).
        let (lo, hi) = self.segments[k]
            .history
            .iter()
            .filter(|h| h.2 == Some(o))
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &(_, c, _)| (lo.min(c), hi.max(c)));
        let mid = 0.5 * (lo + hi);
        // Rolling into a keep-out zone of the current exercise on the same segment is that exercise's keep_out
        // fault, not a new exercise (upper back drifting into the lumbar spine).
        let in_current_keep_out = self.current.is_some_and(|cur| {
            self.ex_segment[cur] == k && exercises[cur].keep_out.iter().any(|z| z.contains(mid))
        });
        // Evidence for the current exercise (here and below) also breaks a competing candidate's run: a one-frame
        // flicker of the orientation under noise cannot add up to a switch.
        if in_current_keep_out {
            // ... unless the zone is where an exercise to avoid is recognised (the lumbar spine below the thoracic
            // one): staying there is that exercise, with its own warning and area, once the evidence has held
            // [`SWITCH_RECOGNITION_S`]; a brief visit never moves the range's middle there and stays a keep_out fault.
            let avoid = self.recognised_at(exercises, k, o, mid).find(|&i| exercises[i].avoid.is_some());
            return avoid.or(self.current);
        }
        // Rolling the current exercise into a keep-out zone at its segment's end (hamstrings to the back of the
        // knee) may make the next segment fit better; while the contact is still on the current exercise's region
        // or keep-out zones, that is not a new exercise.
        let fits = |e: &Exercise| e.recognize.as_ref().is_some_and(|r| r.orientation.contains(&o));
        // On the same segment and in a posture it applies to, the middle of the recent range inside the current
        // exercise's region or zones is still that exercise (a hold near the hip on the hamstrings is not glutes;
        // turning from prone quads onto the side is the IT band).
        let still_on_current = self.current.is_some_and(|cur| match self.ex_segment[cur] == k {
            true => fits(&exercises[cur]) && exercises[cur].covers(mid),
            // (in a posture it applies to here too: from a ball against the wall down onto the floor, the wall
            // exercise's contact still lay on its kidneys zone and held it for the 40 s rolled on the lower back)
            false => fits(&exercises[cur]) && self.contact(cur).is_some_and(|c| exercises[cur].covers(c.t)),
        });
        if still_on_current {
            return self.current;
        }
        let pick = self.recognised_at(exercises, k, o, mid).next()?;
        // The recent range inside the region of exactly one exercise on this segment is that exercise (hamstrings
        // started near the hip, before the middle of the range passed glutes' recognition range); inside the
        // regions of two (their overlap) it has not told them apart yet: wait.
        let mut owners = exercises
            .iter()
            .enumerate()
            .filter(|&(i, e)| self.ex_segment[i] == k && fits(e) && e.region.contains(lo) && e.region.contains(hi));
        match (owners.next(), owners.next()) {
            (Some((i, _)), None) => Some(i),
            (Some(_), Some(_)) => None,
            _ => Some(pick),
        }
    }

    /// The exercises on segment `k` recognised in orientation `o` with the contact at `mid`, in file order.
    fn recognised_at<'a>(&'a self, exercises: &'a [Exercise], k: usize, o: Orientation, mid: f32)
        -> impl Iterator<Item = usize> + 'a {
        exercises.iter().enumerate().filter_map(move |(i, e)| {
            let r = e.recognize.as_ref()?;
            (self.ex_segment[i] == k && r.orientation.contains(&o) && mid >= r.contact.0 && mid < r.contact.1).then_some(i)
        })
    }

    /// Moves the start of the current exercise's evidence back to `t` (never forward).
    pub fn backdate(&mut self, t: f64) {
        self.current_since = self.current_since.min(t);
    }

    /// Follows the evidence; returns the exercise to switch to when it has held long enough (the caller ends the
    /// old exercise's events, then calls [`switch`](Self::switch)).
    pub fn recognise(
        &mut self,
        t: f64,
        exercises: &[Exercise],
        orientation: Option<Orientation>,
    ) -> Option<usize> {
        self.just_switched = false;
        let c = self.candidate(exercises, orientation)?;
        if self.cand != Some(c) {
            self.cand = Some(c);
            self.cand_since = t;
        }
        if self.current == Some(c) {
            return None;
        }
        let need = if self.current.is_none() {
            INITIAL_RECOGNITION_S
        } else {
            SWITCH_RECOGNITION_S
        };
        (t - self.cand_since >= need - 1e-9).then_some(c)
    }

    /// Makes the candidate `c` current.
    pub fn switch(&mut self, c: usize) {
        self.current = Some(c);
        self.current_since = self.cand_since;
        self.just_switched = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circle(cx: f32, cy: f32, r: f32) -> RollerObs {
        RollerObs { cx, cy, r, confidence: 0.9, ..RollerObs::default() }
    }

    #[test]
    fn a_circle_near_the_frame_edge_is_cut() {
        assert!(!cut_by_frame(&circle(320.0, 300.0, 20.0), 640, 480));
        // Hough's circle on an end face cut by the bottom edge rests up to 0.31 radii inside it
        assert!(cut_by_frame(&circle(320.0, 480.0 - 1.31 * 18.0, 18.0), 640, 480));
        for (cx, cy) in [(25.0, 240.0), (615.0, 240.0), (320.0, 25.0), (320.0, 500.0)] {
            assert!(cut_by_frame(&circle(cx, cy, 20.0), 640, 480), "({cx}, {cy})");
        }
    }

    #[test]
    fn cut_circles_keep_the_scale_of_whole_ones_and_are_the_last_resort() {
        let mut s = Scale::default();
        s.observe(0.0, &circle(300.0, 400.0, 20.0), 15.0, true);
        assert_eq!(s.roller_px_per_cm, None, "a cut circle alone gives no roller scale");
        assert!((s.cut_px_per_cm.unwrap() - 40.0 / 15.0).abs() < 1e-6);
        assert_eq!(s.floor_y, None, "the bottom of a cut circle is not the floor");
        for i in 1..30 {
            s.observe(i as f64 / 15.0, &circle(300.0, 300.0, 30.0), 15.0, false);
        }
        let whole = s.roller_px_per_cm.unwrap();
        assert!((whole - 4.0).abs() < 1e-3, "{whole}");
        for i in 30..60 {
            // the arc left inside the frame, fitted short
            s.observe(i as f64 / 15.0, &circle(300.0, 455.0, 21.0), 15.0, true);
        }
        assert_eq!(s.roller_px_per_cm, Some(whole));
        assert!((s.floor_y.unwrap() - 330.0).abs() < 1e-3);
        // cut frames read with another tool's diameter (a ball) do not hide that diameter change from the whole
        // circles that follow: their smoothing starts afresh
        s.observe(4.0, &circle(300.0, 455.0, 21.0), 6.3, true);
        s.observe(4.1, &circle(300.0, 300.0, 10.0), 6.3, false);
        assert!((s.roller_px_per_cm.unwrap() - 20.0 / 6.3).abs() < 1e-5, "{:?}", s.roller_px_per_cm);
    }
}
