//! The session report page: one self-contained HTML file (inline CSS, SVG and a few lines of script that only
//! measure the charts), no network.

use crate::coach::RuleId;
use std::fmt::Write as _;

use super::data::{AreaDoc, MetricRow, ReportDoc};
use super::svg::{esc, ticks, Plot};
use super::thumbs::Thumb;
use crate::coach::Exercise;
use crate::routine::RoutineReport;

/// Everything the page shows.
pub struct PageInput<'a> {
    pub title: String,
    pub doc: &'a ReportDoc,
    pub rows: &'a [MetricRow],
    pub exercises: &'a [Exercise],
    pub thumbs: &'a [Thumb],
    pub routine: Option<&'a RoutineReport>,
}

pub const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}\
h1{font-size:22px}h2{font-size:17px;margin-top:28px}table{border-collapse:collapse}\
td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}\
.chart{display:block;margin:6px 0;background:#fafafa}.axis{fill:none;stroke:#555}.tick,.band-label,.axis-name{font-size:11px;fill:#444}\
.region{fill:#cfeccf}.keepout{fill:#f6c9c9}.target{fill:#dcebf8}.series{fill:none;stroke:#1f5fa8;stroke-width:1.6}\
.limit{stroke:#c0392b;stroke-dasharray:5 3}.aim{stroke:#2e7d32;stroke-dasharray:2 3}.bar{fill:#1f5fa8}\
.bar-left{fill:#8e44ad}.bar-right{fill:#e67e22}.bar-both{fill:#95a5a6}.fault{fill:#c0392b}.hold{fill:#2e86c1}.event{fill:#7f8c8d}\
.note{background:#fff4d6;padding:6px 10px;border-left:4px solid #e0a800}.thumbs{display:flex;gap:10px;flex-wrap:wrap}\
figure{margin:0}figcaption{font-size:12px;max-width:240px}";

/// Writes the charts' rendered sizes into `data-chart-sizes` on <body> and any script error into `data-js-errors`,
/// so a headless browser's DOM dump shows both.
pub const SCRIPT: &str = "window.addEventListener('error',e=>{document.body.dataset.jsErrors=\
(document.body.dataset.jsErrors||'')+e.message+';'});window.addEventListener('load',()=>{\
const s=[...document.querySelectorAll('svg.chart')].map(c=>{const r=c.getBoundingClientRect();\
return c.id+':'+Math.round(r.width)+'x'+Math.round(r.height)});document.body.dataset.chartSizes=s.join(' ');});";

/// A number shown on the page and tied to its place in report.json (`data-key`), so tests can compare them.
fn num(key: &str, v: f64, dp: usize) -> String {
    format!("<span data-key=\"{}\">{v:.dp$}</span>", esc(key))
}

pub fn render(p: &PageInput) -> String {
    let d = p.doc;
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\
         <body><h1>{t}</h1><p>{} ({}), {} s, person found in {} % of frames.</p>",
        esc(&d.input.path),
        esc(&d.input.kind),
        num("duration_s", d.duration_s, 1),
        num("pose.person_rate%", d.pose.person_rate * 100.0, 0),
        t = esc(&p.title)
    );
    s += &summary_table(d);
    s += &notes(d);
    if let Some(r) = p.routine {
        s += &routine_table(r);
    }
    s += "<h2>Time per area</h2><p>Target 30-120 s per area (Behm et al. 2020).</p>";
    s += &time_chart(d);
    s += "<h2>Left and right</h2><p>Seconds in the region with the left side, the right side or both sides on the roller.</p>";
    s += &sides_chart(d);
    for (i, a) in d.areas.iter().enumerate() {
        s += &area_section(i, a, p);
    }
    s += "<h2>Timeline</h2>";
    s += &timeline(d);
    s += &thumbs_section(p.thumbs);
    let _ = write!(s, "<script>{SCRIPT}</script></body></html>\n");
    s
}

fn summary_table(d: &ReportDoc) -> String {
    let mut s = String::from(
        "<h2>Areas</h2><table id=\"areas\"><tr><th>area</th><th>tool</th><th>time on area (s)</th><th>status</th><th>passes</th>\
         <th>mean speed (cm/s)</th><th>max speed (cm/s)</th><th>coverage (%)</th><th>holds</th><th>faults</th>\
         <th>left (s)</th><th>right (s)</th><th>both (s)</th></tr>",
    );
    if d.areas.is_empty() {
        s += "<tr><td colspan=\"13\">no rolling recognised</td></tr>";
    }
    for (i, a) in d.areas.iter().enumerate() {
        let ar = &a.area;
        let k = |f: &str| format!("areas.{i}.{f}");
        let opt = |f: &str, v: Option<f32>| v.map_or("-".into(), |v| num(&k(f), v as f64, 1));
        let sides = a.sides.unwrap_or_default();
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&ar.name),
            ar.ball.as_ref().map_or("roller", |b| b.tool.as_str()),
            num(&k("time_on_area_s"), ar.time_on_area_s, 1),
            esc(&ar.status),
            num(&k("passes"), ar.passes as f64, 0),
            opt("mean_speed_cm_s", ar.speed.mean_speed_cm_s),
            opt("max_speed_cm_s", ar.speed.max_speed_cm_s),
            num(&k("coverage%"), ar.coverage as f64 * 100.0, 0),
            num(&k("holds#"), ar.holds.len() as f64, 0),
            num(&k("faults"), ar.faults as f64, 0),
            num(&k("sides.left_s"), sides.left_s, 1),
            num(&k("sides.right_s"), sides.right_s, 1),
            num(&k("sides.both_s"), sides.both_s, 1),
        );
    }
    s + "</table>"
}

/// Imbalance notes ("left IT band 60 s, right 20 s"), one per area where one side had clearly more time.
pub fn imbalance_notes(d: &ReportDoc) -> Vec<String> {
    d.areas.iter().filter_map(|a| a.sides.and_then(|st| st.imbalance(&a.area.name))).collect()
}

fn notes(d: &ReportDoc) -> String {
    imbalance_notes(d).iter().map(|n| format!("<p class=\"note\">{}</p>", esc(n))).collect()
}

fn time_chart(d: &ReportDoc) -> String {
    let n = d.areas.len().max(1) as f64;
    let hi = d.areas.iter().map(|a| a.area.time_on_area_s).fold(150.0, f64::max) * 1.05;
    let plot = Plot { w: 900.0, h: 60.0 + 34.0 * n, x: (0.0, hi), y: (n, 0.0) };
    let mut s = plot.open("chart-time", "Time per area against the target");
    for (i, a) in d.areas.iter().enumerate() {
        let ar = &a.area;
        let (lo, top) = (i as f64 + 0.15, i as f64 + 0.85);
        s += &plot.vbar(
            ar.target_time_s[0] as f64,
            ar.target_time_s[1] as f64,
            i as f64 + 0.02,
            i as f64 + 0.98,
            "target",
            "target time",
        );
        s += &plot.vbar(0.0, ar.time_on_area_s, lo, top, "bar", &format!("{} {:.1} s", ar.name, ar.time_on_area_s));
    }
    let labels: Vec<(f64, String)> =
        d.areas.iter().enumerate().map(|(i, a)| (i as f64 + 0.5, a.area.exercise.clone())).collect();
    s += &plot.axes(&ticks(0.0, hi, 8), &labels, "seconds on the area (shaded: target)", "");
    s + "</svg>"
}

fn sides_chart(d: &ReportDoc) -> String {
    let n = d.areas.len().max(1) as f64;
    let side = |a: &AreaDoc| a.sides.unwrap_or_default();
    let hi = d.areas.iter().map(|a| side(a).left_s.max(side(a).right_s).max(side(a).both_s)).fold(10.0, f64::max) * 1.1;
    let plot = Plot { w: 900.0, h: 60.0 + 48.0 * n, x: (0.0, hi), y: (n, 0.0) };
    let mut s = plot.open("chart-sides", "Left and right side per area");
    for (i, a) in d.areas.iter().enumerate() {
        let st = side(a);
        let y = i as f64;
        for (j, (v, class, label)) in
            [(st.left_s, "bar-left", "left"), (st.right_s, "bar-right", "right"), (st.both_s, "bar-both", "both")]
                .into_iter()
                .enumerate()
        {
            let y0 = y + 0.1 + j as f64 * 0.27;
            s += &plot.vbar(0.0, v, y0, y0 + 0.24, class, &format!("{} {label} {v:.1} s", a.area.name));
        }
    }
    let labels: Vec<(f64, String)> =
        d.areas.iter().enumerate().map(|(i, a)| (i as f64 + 0.5, a.area.exercise.clone())).collect();
    s += &plot.axes(&ticks(0.0, hi, 8), &labels, "seconds: left (purple), right (orange), both (grey)", "");
    s + "</svg>"
}

/// Ball areas: the tool and the holds per tender spot (position along the segment, side of the spine).
fn spots_note(i: usize, ar: &crate::coach::AreaReport) -> String {
    let Some(b) = &ar.ball else { return String::new() };
    let mut s = format!("<p class=\"spots\">With a {}: ", esc(&b.tool));
    if b.spots.is_empty() {
        s += "no tender-spot holds.";
    }
    for (j, sp) in b.spots.iter().enumerate() {
        let k = |f: &str| format!("areas.{i}.ball.spots.{j}.{f}");
        let side = sp.side.as_deref().map_or(String::new(), |x| format!(" {x} of the spine"));
        let _ = write!(
            s,
            "{}spot at {}{side}: {} holds, {} s",
            if j > 0 { "; " } else { "" },
            num(&k("position"), sp.position as f64, 2),
            num(&k("holds"), sp.holds as f64, 0),
            num(&k("hold_s"), sp.hold_s, 0)
        );
    }
    s + "</p>"
}

fn area_section(i: usize, a: &AreaDoc, p: &PageInput) -> String {
    let ar = &a.area;
    let ex = p.exercises.iter().find(|e| e.id == ar.exercise);
    let rows: Vec<&MetricRow> = p.rows.iter().filter(|r| r.exercise.as_deref() == Some(ar.exercise.as_str())).collect();
    let mut s = format!("<h2>{} ({})</h2>", esc(&ar.name), esc(&ar.segment));
    s += &spots_note(i, ar);
    let dur = p.doc.duration_s.max(1.0);
    // position along the segment: proximal (0) at the top
    let mut plot = Plot { w: 900.0, h: 240.0, x: (0.0, dur), y: (1.45, -0.35) };
    if let Some(ex) = ex {
        plot.y = (
            ex.keep_out.iter().map(|z| z.end as f64).fold(1.1, f64::max) + 0.05,
            ex.keep_out.iter().map(|z| z.start as f64).fold(-0.1, f64::min) - 0.05,
        );
    }
    s += &plot.open(&format!("chart-contact-{i}"), &format!("Where the roller was along the {}", ar.segment));
    if let Some(ex) = ex {
        s += &plot.hband(ex.region.start as f64, ex.region.end as f64, "region", "region to roll");
        for z in &ex.keep_out {
            s += &plot.hband(z.start as f64, z.end as f64, "keepout", &format!("keep out: {}", z.name));
        }
    }
    let pts: Vec<(f64, Option<f64>)> = p
        .rows
        .iter()
        .map(|r| {
            (r.t, (r.exercise.as_deref() == Some(ar.exercise.as_str())).then_some(r.contact.map(f64::from)).flatten())
        })
        .collect();
    s += &plot.line(&pts, "series");
    let (from, to) = ex.map_or(("0".into(), "1".into()), |e| (e.segment.from_name.clone(), e.segment.to_name.clone()));
    s += &plot.axes(&ticks(0.0, dur, 10), &[(0.0, from), (1.0, to)], "time (s)", "position along the segment");
    s += "</svg>";
    s + &speed_chart(i, ar, ex, &rows, dur)
}

fn speed_chart(
    i: usize,
    ar: &crate::coach::AreaReport,
    ex: Option<&Exercise>,
    rows: &[&MetricRow],
    dur: f64,
) -> String {
    let max_allowed = ar.speed.max_allowed_speed_cm_s as f64;
    let observed = rows.iter().filter_map(|r| r.speed_cm_s).fold(0.0f32, f32::max) as f64;
    let plot = Plot { w: 900.0, h: 200.0, x: (0.0, dur), y: (0.0, (max_allowed * 1.2).max(observed * 1.05)) };
    let mut s = plot.open(&format!("chart-speed-{i}"), "Rolling speed against the exercise's band");
    s += &plot.hband(0.0, max_allowed, "region", &format!("up to {max_allowed:.0} cm/s"));
    s += &plot.hline(max_allowed, "limit");
    if let Some(ex) = ex {
        s += &plot.hline(ex.thresholds.target_speed_cm_s as f64, "aim");
    }
    let pts: Vec<(f64, Option<f64>)> = rows.iter().map(|r| (r.t, r.speed_cm_s.map(f64::from))).collect();
    s += &plot.line(&pts, "series");
    let yt: Vec<(f64, String)> = ticks(0.0, plot.y.1, 5).into_iter().map(|v| (v, format!("{v:.0}"))).collect();
    s += &plot.axes(&ticks(0.0, dur, 10), &yt, "time (s)", "cm/s (dotted: target, dashed: limit)");
    s + "</svg>"
}

fn timeline(d: &ReportDoc) -> String {
    let dur = d.duration_s.max(1.0);
    let plot = Plot { w: 900.0, h: 130.0, x: (0.0, dur), y: (3.0, 0.0) };
    let mut s = plot.open("chart-timeline", "Faults, holds and events over time");
    let mut items = Vec::new();
    for (row, class, list) in [(0.0, "fault", &d.faults), (2.0, "event", &d.events)] {
        for e in list.iter() {
            s += &plot.vbar(
                e.start,
                e.end,
                row + 0.1,
                row + 0.9,
                class,
                &format!("{:.1}-{:.1} s {}: {}", e.start, e.end, e.rule, e.message),
            );
            items.push((e.start, e.end, e.rule.as_str(), e.message.clone()));
        }
    }
    for a in &d.areas {
        for h in &a.area.holds {
            s += &plot.vbar(h.start, h.end, 1.1, 1.9, "hold", &format!("hold {:.0} s", h.duration_s));
            items.push((
                h.start,
                h.end,
                RuleId::Hold.as_str(),
                format!("{}: tender-spot hold of {:.0} s", a.area.name, h.duration_s),
            ));
        }
    }
    let rows = [(0.5, "faults".to_string()), (1.5, "holds".into()), (2.5, "events".into())];
    s += &plot.axes(&ticks(0.0, dur, 10), &rows, "time (s)", "");
    s += "</svg><table id=\"timeline\"><tr><th>from (s)</th><th>to (s)</th><th>what</th><th>message</th></tr>";
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    if items.is_empty() {
        s += "<tr><td colspan=\"4\">no faults, holds or events</td></tr>";
    }
    for (a, b, rule, msg) in items {
        let _ = write!(s, "<tr><td>{a:.1}</td><td>{b:.1}</td><td>{}</td><td>{}</td></tr>", esc(rule), esc(&msg));
    }
    s + "</table>"
}

fn thumbs_section(thumbs: &[Thumb]) -> String {
    if thumbs.is_empty() {
        return String::new();
    }
    let mut s = String::from("<h2>Key frames</h2><div class=\"thumbs\">");
    for t in thumbs {
        let _ = write!(
            s,
            "<figure><img alt=\"frame at {:.1} s\" width=\"{}\" height=\"{}\" src=\"data:image/jpeg;base64,{}\"><figcaption>{:.1} s: {}</figcaption></figure>",
            t.t, t.width, t.height, t.jpeg_base64, t.t, esc(&t.caption)
        );
    }
    s + "</div>"
}

fn routine_table(r: &RoutineReport) -> String {
    let mut s = format!(
        "<h2>Routine: {}</h2><table id=\"routine\"><tr><th>step</th><th>exercise</th><th>side</th><th>planned (s)</th><th>done (s)</th><th>status</th></tr>",
        esc(&r.name)
    );
    for (i, st) in r.steps.iter().enumerate() {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td><td>{:.1}</td><td>{}</td></tr>",
            i + 1,
            esc(&st.exercise),
            st.side.as_str(),
            st.planned_s,
            st.done_s,
            st.status.as_str()
        );
    }
    s + "</table>"
}
