//! Inline SVG charts: a plot frame mapping data to pixels, axes, bands, lines and bars. No script, no network.

use std::fmt::Write as _;

/// Margins of a plot inside its SVG (px): left, right, top, bottom.
const MARGIN: (f64, f64, f64, f64) = (56.0, 16.0, 12.0, 32.0);

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A plot: `w` x `h` pixels showing x in `x` and y in `y` (`y.0` at the bottom; a reversed range flips the axis).
#[derive(Debug, Clone, Copy)]
pub struct Plot {
    pub w: f64,
    pub h: f64,
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Plot {
    pub fn px(&self, v: f64) -> f64 {
        let span = (self.x.1 - self.x.0).abs().max(1e-9) * (self.x.1 - self.x.0).signum();
        MARGIN.0 + (v - self.x.0) / span * (self.w - MARGIN.0 - MARGIN.1)
    }

    pub fn py(&self, v: f64) -> f64 {
        let span = (self.y.1 - self.y.0).abs().max(1e-9) * (self.y.1 - self.y.0).signum();
        self.h - MARGIN.3 - (v - self.y.0) / span * (self.h - MARGIN.2 - MARGIN.3)
    }

    /// Opening tag with an accessible title; close with `</svg>`.
    pub fn open(&self, id: &str, title: &str) -> String {
        format!(
            "<svg class=\"chart\" id=\"{}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" \
             xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
            esc(id),
            esc(title),
            w = self.w,
            h = self.h
        )
    }

    /// Axis lines, tick labels and axis names.
    pub fn axes(&self, xticks: &[f64], yticks: &[(f64, String)], xname: &str, yname: &str) -> String {
        let mut s = String::new();
        let (l, r, b, t) = (MARGIN.0, self.w - MARGIN.1, self.h - MARGIN.3, MARGIN.2);
        let _ = write!(s, "<path class=\"axis\" d=\"M{l},{t}V{b}H{r}\"/>");
        for &x in xticks {
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                self.px(x),
                b + 13.0,
                fmt_tick(x)
            );
        }
        for (y, label) in yticks {
            let _ = write!(
                s,
                "<text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                l - 4.0,
                self.py(*y) + 4.0,
                esc(label)
            );
        }
        let _ = write!(
            s,
            "<text class=\"axis-name\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            (l + r) / 2.0,
            self.h - 2.0,
            esc(xname)
        );
        let _ = write!(s, "<text class=\"axis-name\" x=\"4\" y=\"{:.1}\">{}</text>", t + 2.0, esc(yname));
        s
    }

    /// A horizontal band between y values `a` and `b` across the plot, with an optional label.
    pub fn hband(&self, a: f64, b: f64, class: &str, label: &str) -> String {
        let (y0, y1) = (self.py(a).min(self.py(b)), self.py(a).max(self.py(b)));
        let (l, r) = (MARGIN.0, self.w - MARGIN.1);
        format!(
            "<rect class=\"{class}\" x=\"{l}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{t}</title></rect>\
             <text class=\"band-label\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{t}</text>",
            r - l,
            (y1 - y0).max(1.0),
            r - 4.0,
            (y0 + 12.0).min(y1 - 2.0).max(y0 + 9.0),
            t = esc(label)
        )
    }

    /// A vertical band between x values `a` and `b`, from y `ya` to `yb`, with a tooltip.
    pub fn vbar(&self, a: f64, b: f64, ya: f64, yb: f64, class: &str, tip: &str) -> String {
        let (x0, x1) = (self.px(a).min(self.px(b)), self.px(a).max(self.px(b)));
        let (y0, y1) = (self.py(ya).min(self.py(yb)), self.py(ya).max(self.py(yb)));
        format!(
            "<rect class=\"{class}\" x=\"{x0:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}</title></rect>",
            (x1 - x0).max(2.0),
            (y1 - y0).max(1.0),
            esc(tip)
        )
    }

    /// A line through the points, broken where a value is missing.
    pub fn line(&self, pts: &[(f64, Option<f64>)], class: &str) -> String {
        let mut d = String::new();
        let mut pen_down = false;
        for (x, y) in pts {
            match y {
                Some(y) => {
                    let _ = write!(d, "{}{:.1},{:.1}", if pen_down { "L" } else { "M" }, self.px(*x), self.py(*y));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        format!("<path class=\"{class}\" d=\"{d}\"/>")
    }

    /// A horizontal line at y.
    pub fn hline(&self, y: f64, class: &str) -> String {
        format!("<path class=\"{class}\" d=\"M{},{:.1}H{}\"/>", MARGIN.0, self.py(y), self.w - MARGIN.1)
    }
}

fn fmt_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// About `n` round tick values covering `lo..=hi`.
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = (hi - lo).abs().max(1e-9);
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo.min(hi) / step).ceil() * step;
    (0..).map(|i| first + i as f64 * step).take_while(|v| *v <= lo.max(hi) + 1e-9).collect()
}
