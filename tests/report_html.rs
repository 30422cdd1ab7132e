//! The HTML report page and the history page, rendered in headless Chromium (Debian `chromium`, installed by
//! scripts/setup.sh): no console errors, every chart present with a non-zero size, the numbers on the page equal to
//! report.json; a screenshot is kept under target/test-artefacts/. Also: the left/right split on rendered samples
//! with a known rolled side, and bad input.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rc-report-html-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rollcoach(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rollcoach")).args(args).current_dir(repo()).output().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Analyses a rendered sample once per test binary; returns the output folder.
fn analysed(sample: &'static str) -> PathBuf {
    static DONE: OnceLock<std::sync::Mutex<Vec<(&'static str, PathBuf)>>> = OnceLock::new();
    let mut done = DONE.get_or_init(Default::default).lock().unwrap();
    if let Some((_, d)) = done.iter().find(|(n, _)| *n == sample) {
        return d.clone();
    }
    let out = tmp(sample);
    let clip = repo().join(format!("samples/synthetic/{sample}.mp4"));
    let o = rollcoach(&["analyze", s(&clip), "--out", s(&out), "-q"]);
    assert!(o.status.success(), "analyze failed: {}", String::from_utf8_lossy(&o.stderr));
    done.push((sample, out.clone()));
    out
}

/// Runs headless Chromium on a local file with its network features off; returns (stdout, stderr).
fn chromium(page: &Path, extra: &[&str]) -> (String, String) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let profile = tmp(&format!("chromium-profile-{}", N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)));
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let o = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium is not installed: run `bash scripts/setup.sh` (Debian package chromium)");
    let _ = std::fs::remove_dir_all(&profile);
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// The DOM after load, and any console message the page produced (our pages log nothing, so any is an error).
fn render_dom(page: &Path) -> (String, Vec<String>) {
    let (dom, err) = chromium(page, &["--dump-dom"]);
    let console = err.lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect();
    (dom, console)
}

fn body_attr(dom: &str, name: &str) -> Option<String> {
    let body = &dom[dom.find("<body")?..];
    let tag = &body[..body.find('>')?];
    let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
    Some(tag[at..at + tag[at..].find('"')?].to_string())
}

/// `id:WxH` pairs the page's script measured.
fn chart_sizes(dom: &str) -> Vec<(String, u32, u32)> {
    let sizes = body_attr(dom, "data-chart-sizes").expect("the page's script ran and wrote data-chart-sizes");
    sizes
        .split_whitespace()
        .map(|e| {
            let (id, wh) = e.rsplit_once(':').unwrap();
            let (w, h) = wh.split_once('x').unwrap();
            (id.to_string(), w.parse().unwrap(), h.parse().unwrap())
        })
        .collect()
}

/// Every `<span data-key="K">N</span>` on the page.
fn keyed_numbers(dom: &str) -> Vec<(String, String)> {
    dom.split("data-key=\"")
        .skip(1)
        .map(|rest| {
            let key = &rest[..rest.find('"').unwrap()];
            let text = &rest[rest.find('>').unwrap() + 1..rest.find('<').unwrap()];
            (key.to_string(), text.to_string())
        })
        .collect()
}

/// The report.json value a page key names: a dotted path; `%` = value x 100, `#` = length of the list.
fn report_value(report: &Value, key: &str) -> f64 {
    let (path, scale, count) = match key.chars().last() {
        Some('%') => (&key[..key.len() - 1], 100.0, false),
        Some('#') => (&key[..key.len() - 1], 1.0, true),
        _ => (key, 1.0, false),
    };
    let mut v = report;
    for part in path.split('.') {
        v = match part.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[part],
        };
    }
    if count {
        return v.as_array().unwrap_or_else(|| panic!("{key}: not a list")).len() as f64;
    }
    v.as_f64().unwrap_or_else(|| panic!("{key}: not a number in report.json: {v}")) * scale
}

/// The page shows `text`, rounded to its decimals, for the report's value.
fn assert_shown(key: &str, text: &str, value: f64) {
    let shown: f64 = text.parse().unwrap_or_else(|_| panic!("{key}: {text:?} is not a number"));
    let dp = text.split_once('.').map_or(0, |(_, f)| f.len()) as i32;
    let tol = 0.5 * 10f64.powi(-dp) + 1e-9;
    assert!((shown - value).abs() <= tol, "{key}: page shows {text}, report.json has {value}");
}

#[test]
fn report_page_of_an_analysed_clip_renders_in_chromium_and_matches_report_json() {
    let out = analysed("quads_knee");
    let page = out.join("quads_knee.report.html");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("quads_knee.report.json")).unwrap()).unwrap();
    let html = std::fs::read_to_string(&page).expect("analyze writes STEM.report.html");
    for remote in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(remote), "the page must not load anything from the network ({remote})");
    }
    let (dom, console) = render_dom(&page);
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert_eq!(body_attr(&dom, "data-js-errors"), None, "script errors on the page");

    let sizes = chart_sizes(&dom);
    let areas = report["areas"].as_array().unwrap();
    assert!(!areas.is_empty(), "quads_knee has rolling on the quads");
    let mut expected = vec!["chart-time".to_string(), "chart-sides".into(), "chart-timeline".into()];
    for i in 0..areas.len() {
        expected.push(format!("chart-contact-{i}"));
        expected.push(format!("chart-speed-{i}"));
    }
    for id in &expected {
        let (_, w, h) =
            sizes.iter().find(|(c, _, _)| c == id).unwrap_or_else(|| panic!("chart {id} missing: {sizes:?}"));
        assert!(*w > 100 && *h > 50, "chart {id} rendered {w}x{h}");
    }

    let numbers = keyed_numbers(&dom);
    for f in ["time_on_area_s", "passes", "coverage%", "faults", "sides.left_s", "sides.right_s", "sides.both_s"] {
        assert!(numbers.iter().any(|(k, _)| k == &format!("areas.0.{f}")), "page lacks areas.0.{f}");
    }
    for (key, text) in &numbers {
        assert_shown(key, text, report_value(&report, key));
    }
    // the keep-out fault is on the timeline with its message, and the clip gave key frames
    for f in report["faults"].as_array().unwrap() {
        assert!(dom.contains(f["message"].as_str().unwrap()), "fault message missing: {f}");
    }
    assert!(!report["faults"].as_array().unwrap().is_empty(), "quads_knee has a kneecap fault");
    assert!(dom.matches("data:image/jpeg;base64,").count() >= 2, "key-frame thumbnails missing");

    let shot = repo().join("target/test-artefacts/report_html/quads_knee.report.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&shot);
    chromium(&page, &["--window-size=1100,2400", &format!("--screenshot={}", shot.display())]);
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "screenshot {} looks empty", shot.display());
}

#[test]
fn left_and_right_sides_follow_the_rendered_body() {
    // it_band_clean: the figure lies on its right side, right thigh on the roller (truth: sides ["R"]);
    // quads_knee: both thighs on the roller (truth: ["L", "R"]).
    let read = |sample: &'static str| -> Value {
        let p = analysed(sample).join(format!("{sample}.report.json"));
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let it = read("it_band_clean");
    let sides = &it["areas"][0]["sides"];
    let (l, r) = (sides["left_s"].as_f64().unwrap(), sides["right_s"].as_f64().unwrap());
    let total = it["areas"][0]["time_on_area_s"].as_f64().unwrap();
    assert!(r > 0.5 * total && r > 4.0 * l, "IT band: right {r} s, left {l} s of {total} s");
    let page = std::fs::read_to_string(analysed("it_band_clean").join("it_band_clean.report.html")).unwrap();
    assert!(page.contains("left IT band 0 s, right"), "the one-sided IT band is noted as an imbalance");
    let o = rollcoach(&["report", s(&analysed("it_band_clean").join("it_band_clean.report.json"))]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && stdout.contains("note: left IT band 0 s, right"), "{stdout}");

    let q = read("quads_knee");
    let sides = &q["areas"][0]["sides"];
    let both = sides["both_s"].as_f64().unwrap();
    assert!(both > sides["left_s"].as_f64().unwrap() + sides["right_s"].as_f64().unwrap(), "quads: {sides}");
}

#[test]
fn report_subcommand_writes_the_page_where_asked_and_names_bad_input() {
    let out = analysed("quads_knee");
    let dest = tmp("subcommand").join("page.html");
    let o = rollcoach(&["report", s(&out.join("quads_knee.report.json")), "--html", s(&dest)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_to_string(&dest).unwrap().contains("id=\"chart-timeline\""));

    let lone = tmp("lone");
    std::fs::copy(out.join("quads_knee.report.json"), lone.join("x.report.json")).unwrap();
    let o = rollcoach(&["report", s(&lone.join("x.report.json"))]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("x.report.json") && err.contains("x.metrics.csv") && err.contains("not found"), "{err}");

    std::fs::write(lone.join("bad.report.json"), "{\"format\": 3}").unwrap();
    let o = rollcoach(&["report", s(&lone.join("bad.report.json"))]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("bad.report.json") && err.contains("not a rollcoach report"), "{err}");
}

#[test]
fn history_page_shows_weeks_areas_streak_and_gap() {
    let dir = tmp("history");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let day = 86_400.0;
    // this week, last week and the week before (60 s back, so the newest is in the current ISO week except in the
    // first minute of a Monday)
    for (i, (ago, area, secs)) in
        [(60.0, "quads", 90.0), (7.0 * day + 60.0, "quads", 60.0), (14.0 * day + 60.0, "calves", 45.0)]
            .iter()
            .enumerate()
    {
        let d = dir.join(format!("s{i}"));
        std::fs::create_dir_all(&d).unwrap();
        let meta = serde_json::json!({"format": "rollcoach-session/1", "started_unix": now - ago, "source": "test",
            "exercise": "auto", "area": "", "width": 640, "height": 480, "fps": 30.0, "status": "complete",
            "duration_s": secs + 10.0, "frames": 100});
        std::fs::write(d.join("meta.json"), meta.to_string()).unwrap();
        let ev = format!(
            "{{\"kind\":\"start\",\"t\":0.0,\"exercise\":\"auto\",\"area\":\"\"}}\n\
             {{\"kind\":\"progress\",\"t\":{secs},\"exercise\":\"auto\",\"area\":\"{area}\",\"time_on_area_s\":{secs},\"passes\":3}}\n"
        );
        std::fs::write(d.join("events.jsonl"), ev).unwrap();
    }
    let page = dir.join("history.html");
    let o = rollcoach(&["history", "--sessions-dir", s(&dir), "--html", s(&page)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (dom, console) = render_dom(&page);
    assert!(console.is_empty(), "console messages: {console:#?}");
    for id in ["chart-sessions", "chart-minutes"] {
        let sizes = chart_sizes(&dom);
        let (_, w, h) = sizes.iter().find(|(c, _, _)| c == id).unwrap_or_else(|| panic!("{id} missing: {sizes:?}"));
        assert!(*w > 100 && *h > 50, "{id} rendered {w}x{h}");
    }
    let n: std::collections::HashMap<String, String> = keyed_numbers(&dom).into_iter().collect();
    assert_eq!(n["sessions"], "3");
    assert_eq!(n["streak_weeks"], "3");
    assert_eq!(n["area.quads.minutes"], "2.5");
    assert_eq!(n["area.quads.gap_days"], "0");
    assert_eq!(n["area.quads.streak"], "2");
    assert_eq!(n["area.calves.gap_days"], "14");
    assert_eq!(n["area.calves.streak"], "0");
}
