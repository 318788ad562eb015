//! The timeline page as a person sees it: the demo's resize (examples/resize applied twice,
//! as `make demo` does) and a rolling resize of the fleet example are drawn by the
//! emulator, rendered by headless Chromium, and the screenshot's pixels are read back:
//! each instance's row shows its status bands in the legend's colours and in the order the
//! journal says, where the SVG put them, and the "down at once" line peaks at
//! `max_unavailable` instances. The SVG's structure is checked against the journal too, and
//! `ecs-emulator timeline --journal FILE` must draw the same page from a saved journal.
//!
//! Chromium comes from the system (`scripts/install-tools.sh chromium`, part of `make test`).
//! Screenshots are kept in `target/e2e-timeline/` (docs/timeline-rolling.png is one of them).

mod e2e_support;
mod support;

use e2e_support::{Cloud, Journal};
use quick_xml::events::Event;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;
use terraform_provider_ecs::emulator::timeline::{
    BAND_LANE, DOWN_LINE_COLOUR, LABEL_W, PLOT_W, STATUS_COLOURS,
};

/// Chromium on PATH, installed by `scripts/install-tools.sh chromium` when missing.
fn chromium_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let find = || {
            ["chromium", "chromium-browser"].iter().find_map(|name| {
                std::env::var_os("PATH").and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|d| d.join(name))
                        .find(|p| p.is_file())
                })
            })
        };
        if let Some(bin) = find() {
            return bin;
        }
        let out = Command::new("bash")
            .arg(support::project_root().join("scripts/install-tools.sh"))
            .arg("chromium")
            .output()
            .expect("run scripts/install-tools.sh");
        find().unwrap_or_else(|| {
            panic!(
                "scripts/install-tools.sh chromium did not install Chromium:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    })
    .clone()
}

/// Where this test keeps its pages and screenshots.
fn out_dir() -> PathBuf {
    let dir = support::project_root().join("target/e2e-timeline");
    std::fs::create_dir_all(&dir).expect("create target/e2e-timeline");
    dir
}

/// An RGB screenshot.
struct Shot {
    width: u32,
    rgb: Vec<u8>,
}

impl Shot {
    fn at(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
}

fn rgb_of(hex: &str) -> [u8; 3] {
    let n = u32::from_str_radix(hex.trim_start_matches('#'), 16).expect("hex colour");
    [(n >> 16) as u8, (n >> 8) as u8, n as u8]
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 10)
}

/// The status whose legend colour this pixel has.
fn status_of(px: [u8; 3]) -> Option<&'static str> {
    STATUS_COLOURS
        .iter()
        .find(|(_, c)| close(px, rgb_of(c)))
        .map(|(s, _)| *s)
}

/// Renders `html` in headless Chromium at `width`×`height`; the screenshot, also saved as
/// `png`.
fn screenshot(html: &Path, png: &Path, width: u32, height: u32) -> Shot {
    let profile = tempfile::tempdir().expect("profile dir");
    let _ = std::fs::remove_file(png);
    let out = Command::new(chromium_bin())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Containers often give /dev/shm a few MiB: use /tmp instead.
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    assert!(
        png.is_file(),
        "chromium wrote no screenshot ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png).expect("open screenshot"),
    ));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("decode PNG");
    let channels = info.color_type.samples();
    let rgb = buf[..info.buffer_size()]
        .chunks(channels)
        .flat_map(|p| match channels {
            1 | 2 => [p[0], p[0], p[0]],
            _ => [p[0], p[1], p[2]],
        })
        .collect();
    assert_eq!(
        (info.width, info.height),
        (width, height),
        "screenshot size"
    );
    Shot {
        width: info.width,
        rgb,
    }
}

/// A band as drawn: (status, x, width).
type Band = (String, f64, f64);

/// What the SVG says: its size, each row's band line and its bands, the down chart.
#[derive(Debug, Default)]
struct Svg {
    width: u32,
    height: u32,
    /// Instance id → (band top y, bands as (status, x, width)).
    rows: BTreeMap<String, (u32, Vec<Band>)>,
    row_order: Vec<String>,
    most_down: usize,
    baseline: u32,
    unit: f64,
    marks: Vec<String>,
    cooldowns: usize,
}

/// Parses the page's SVG with a real XML parser (so it must be well-formed).
fn parse_svg(html: &str) -> Svg {
    let start = html.find("<svg").expect("an <svg> element");
    let end = html.find("</svg>").expect("</svg>") + "</svg>".len();
    let mut reader = quick_xml::Reader::from_str(&html[start..end]);
    let mut svg = Svg::default();
    let mut row: Option<String> = None;
    let mut in_mark = false;
    let mut depth = 0;
    loop {
        let event = reader.read_event().expect("well-formed SVG");
        let (e, empty) = match &event {
            Event::Start(e) => (e.clone(), false),
            Event::Empty(e) => (e.clone(), true),
            Event::End(e) => {
                depth -= 1;
                if e.name().as_ref() == b"g" {
                    row = None;
                }
                if e.name().as_ref() == b"rect" {
                    in_mark = false;
                }
                continue;
            }
            Event::Text(t) if in_mark => {
                let text = t.decode().expect("text").into_owned();
                svg.marks.push(text);
                continue;
            }
            Event::GeneralRef(r) if in_mark => {
                if let Some(last) = svg.marks.last_mut() {
                    last.push_str(&String::from_utf8_lossy(r.as_ref()));
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if !empty {
            depth += 1;
        }
        let attrs: BTreeMap<String, String> = e
            .attributes()
            .map(|a| {
                let a = a.expect("attribute");
                (
                    String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    a.unescape_value().expect("value").into_owned(),
                )
            })
            .collect();
        let a = |k: &str| attrs.get(k).cloned().unwrap_or_default();
        let num = |k: &str| {
            a(k).parse::<f64>()
                .unwrap_or_else(|_| panic!("{k}: {attrs:?}"))
        };
        match (e.name().as_ref(), a("class").as_str()) {
            (b"svg", _) => {
                svg.width = num("width") as u32;
                svg.height = num("height") as u32;
            }
            (b"g", "row") if !a("data-instance").is_empty() => {
                let id = a("data-instance");
                svg.row_order.push(id.clone());
                svg.rows
                    .insert(id.clone(), (num("data-band-y") as u32, Vec::new()));
                row = Some(id);
            }
            (b"g", "down") => {
                svg.most_down = num("data-most") as usize;
                svg.baseline = num("data-baseline") as u32;
                svg.unit = num("data-unit");
            }
            (b"rect", "band") => {
                let id = row.clone().expect("a band inside an instance row");
                svg.rows.get_mut(&id).expect("row").1.push((
                    a("data-status"),
                    num("x"),
                    num("width"),
                ));
            }
            (b"rect", "mark") => in_mark = !empty,
            (b"rect", "cooldown") => svg.cooldowns += 1,
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element closed");
    svg
}

/// The status runs along a row's band middle line: (status, first x, last x), runs of
/// fewer than 2 pixels (edges) left out.
fn runs_in_row(shot: &Shot, band_y: u32) -> Vec<(&'static str, u32, u32)> {
    let y = band_y + BAND_LANE.1 / 2;
    let mut runs: Vec<(Option<&'static str>, u32, u32)> = Vec::new();
    for x in LABEL_W..(LABEL_W + PLOT_W).min(shot.width) {
        let s = status_of(shot.at(x, y));
        match runs.last_mut() {
            Some(last) if last.0 == s => last.2 = x,
            _ => runs.push((s, x, x)),
        }
    }
    let mut out: Vec<(&'static str, u32, u32)> = Vec::new();
    for (s, a, b) in runs {
        let Some(s) = s else { continue };
        if b - a < 1 {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.0 == s => last.2 = b,
            _ => out.push((s, a, b)),
        }
    }
    out
}

/// The most instances down at once as the screenshot's line shows it: the highest pixel of
/// the line's colour above the chart's baseline, in the chart's units.
fn most_down_in_pixels(shot: &Shot, svg: &Svg) -> usize {
    let line = rgb_of(DOWN_LINE_COLOUR);
    let top = (0..=svg.baseline + 2)
        .find(|&y| (LABEL_W..LABEL_W + PLOT_W).any(|x| close(shot.at(x, y), line)))
        .expect("the down-at-once line is drawn");
    // The 2-pixel stroke is centred on the level: its top row is one pixel above it.
    ((f64::from(svg.baseline) - f64::from(top + 1)) / svg.unit).round() as usize
}

/// Saves the served page, checks it against the journal and against the page the CLI
/// writes from the saved journal; returns (page path, SVG).
fn served_page(cloud: &Cloud, name: &str) -> (PathBuf, Svg, String) {
    let resp = cloud.emu.request("GET", "/_emulator/timeline", None);
    assert_eq!(resp.status, 200);
    let html = resp.body;
    let dir = out_dir();
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, &html).expect("write page");

    // The same page from a saved journal, without the emulator.
    let journal = cloud.emu.get("/_emulator/journal");
    let journal_file = dir.join(format!("{name}.journal.json"));
    std::fs::write(&journal_file, journal.to_string()).expect("write journal");
    let out = Command::new(support::emulator_bin())
        .args(["timeline", "--journal"])
        .arg(&journal_file)
        .args(["--title", "ecs-emulator timeline (cn-hangzhou)"])
        .output()
        .expect("run ecs-emulator timeline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        html,
        "ecs-emulator timeline --journal draws the page the emulator serves"
    );
    for external in ["<script", "<link", "src=", "href=", "url("] {
        assert!(
            !html.contains(external),
            "the page loads nothing: {external}"
        );
    }
    let svg = parse_svg(&html);
    (page, svg, html)
}

/// The statuses each instance went through, per the journal.
fn journal_statuses(journal: &Journal, id: &str) -> Vec<String> {
    let mut changes: Vec<_> = journal
        .changes
        .iter()
        .filter(|c| c.instance_id == id)
        .collect();
    changes.sort_by_key(|c| c.time);
    changes.iter().map(|c| c.to.clone()).collect()
}

/// Checks a screenshot row by row against the SVG and the journal.
fn assert_rows_as_drawn(shot: &Shot, svg: &Svg, journal: &Journal, expected: &[&str]) {
    for id in &svg.row_order {
        let (band_y, bands) = &svg.rows[id];
        let drawn: Vec<&str> = bands.iter().map(|b| b.0.as_str()).collect();
        assert_eq!(drawn, journal_statuses(journal, id), "{id}: SVG vs journal");
        let seen = runs_in_row(shot, *band_y);
        let seen_statuses: Vec<&str> = seen.iter().map(|r| r.0).collect();
        assert_eq!(
            seen_statuses, expected,
            "{id}: the colours along its row, left to right"
        );
        // Each run of colour starts where the SVG put its band (±2 px).
        for ((status, x0, _), (band, x, _)) in seen.iter().zip(bands) {
            assert_eq!(status, band);
            assert!(
                (f64::from(*x0) - x).abs() <= 2.0,
                "{id}: {status} starts at pixel {x0}, SVG x {x}"
            );
        }
    }
}

#[test]
fn the_demos_resize_as_a_picture() {
    let cloud = Cloud::start(Duration::from_millis(400), Duration::from_secs(1), &[]);
    let example = std::fs::read_to_string(support::project_root().join("examples/resize/main.tf"))
        .expect("examples/resize/main.tf");
    cloud.dir.write("main.tf", &example);
    let cooldown = format!("modification_cooldown={}ms", cloud.cooldown.as_millis());
    cloud
        .dir
        .tf_ok(&["apply", "-auto-approve", "-no-color", "-var", &cooldown]);
    cloud.dir.tf_ok(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-var",
        &cooldown,
        "-var",
        "instance_type=ecs.g6.xlarge",
        "-var",
        "bandwidth_out=20",
    ]);
    let journal = cloud.journal();
    let (page, svg, html) = served_page(&cloud, "demo");
    assert_eq!(svg.row_order.len(), 1, "one instance, one row");
    let id = &svg.row_order[0];
    assert!(
        html.contains("ecs.g6.large → ecs.g6.xlarge"),
        "the row names the type change"
    );
    // Type then bandwidth, each starting a cooldown window.
    assert_eq!(svg.cooldowns, 2, "two modifications, two cooldown windows");
    let modify = svg
        .marks
        .iter()
        .find(|m| m.contains("ModifyInstanceSpec → OK"))
        .expect("a mark for the type change");
    assert!(
        modify.contains("InstanceType=ecs.g6.xlarge") && !modify.contains("AccessKeyId"),
        "{modify}"
    );
    assert!(
        !html.contains(e2e_support::SECRET_KEY),
        "the secret never reaches the page"
    );

    let shot = screenshot(&page, &out_dir().join("demo.png"), svg.width, svg.height);
    assert_rows_as_drawn(
        &shot,
        &svg,
        &journal,
        &[
            "Pending", "Running", "Stopping", "Stopped", "Starting", "Running",
        ],
    );
    assert_eq!(svg.most_down, 1, "{id}");
    assert_eq!(most_down_in_pixels(&shot, &svg), 1);
}

#[test]
fn a_rolling_resize_as_a_picture() {
    const SIZE: usize = 8;
    const CAP: usize = 3;
    let mut cloud = Cloud::start(Duration::from_millis(400), Duration::from_secs(1), &[]);
    cloud.dir.timeout(Duration::from_secs(600));
    let root = support::project_root().join("examples/fleet");
    for file in ["main.tf", "modules/node/main.tf"] {
        let text = std::fs::read_to_string(root.join(file)).expect("fleet example");
        cloud.dir.write(file, &text);
    }
    cloud.dir.tf_ok(&["get", "-no-color"]);
    let cooldown = format!("modification_cooldown={}ms", cloud.cooldown.as_millis());
    let size = format!("size={SIZE}");
    let base = [
        "apply",
        "-auto-approve",
        "-no-color",
        "-parallelism=20",
        "-var",
        &cooldown,
        "-var",
        &size,
    ];
    cloud.dir.tf_ok(&base);
    let cap = format!("max_unavailable={CAP}");
    let mut resize = base.to_vec();
    resize.extend(["-var", "instance_type=ecs.g6.xlarge", "-var", &cap]);
    cloud.dir.tf_ok(&resize);

    let journal = cloud.journal();
    let (page, svg, _) = served_page(&cloud, "rolling");
    assert_eq!(svg.row_order.len(), SIZE);
    let in_journal = journal.most_taken_down_since(None);
    assert_eq!(
        svg.most_down, in_journal,
        "the page's maximum is the journal's"
    );
    assert_eq!(
        svg.most_down, CAP,
        "a rolling resize of {SIZE} with max_unavailable = {CAP} has {CAP} down at once"
    );
    let shot = screenshot(&page, &out_dir().join("rolling.png"), svg.width, svg.height);
    assert_rows_as_drawn(
        &shot,
        &svg,
        &journal,
        &[
            "Pending", "Running", "Stopping", "Stopped", "Starting", "Running",
        ],
    );
    assert_eq!(
        most_down_in_pixels(&shot, &svg),
        CAP,
        "the line in the screenshot peaks at max_unavailable"
    );
}
