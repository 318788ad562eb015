//! The timeline: a journal drawn as one self-contained HTML page (inline
//! SVG, inline style, no script, no external asset), so "were at most 3
//! down at once, and for how long each?" is answered by looking.
//!
//! Pure: [`Timeline::from_journal`] reads the `GET /_emulator/journal` body
//! (or a file holding it), [`render`] returns the page. Served at
//! `GET /_emulator/timeline`, and written by `ecs-emulator timeline
//! --journal FILE`.
//!
//! The picture, top to bottom: a header (time span, counts, most down at
//! once, legend), a time axis, one row per instance (API calls as marks
//! above its status bands, cooldown windows as a shaded strip below them),
//! and the "instances down at once" step line with its maximum labelled.
//! Each row has three lanes at fixed offsets ([`MARK_LANE`], [`BAND_LANE`],
//! [`COOLDOWN_LANE`]) so the status colours can be read from a screenshot
//! at the band's middle line without a mark or a shade on it.
//!
//! Every mark, band and window carries an SVG `<title>` (the browser's
//! hover text): action, parameters, answer code, times. Secrets never
//! appear: the journal already drops `Signature`, `SecurityToken` and
//! `Password`, and the page drops the signing parameters and hides the
//! value of anything named like a secret (a journal file may come from
//! anywhere).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

/// The five statuses drawn, with their band colours.
pub const STATUS_COLOURS: [(&str, &str); 5] = [
    ("Pending", "#8e24aa"),
    ("Running", "#2e7d32"),
    ("Stopping", "#f9a825"),
    ("Stopped", "#c62828"),
    ("Starting", "#1565c0"),
];
/// The "instances down at once" line.
pub const DOWN_LINE_COLOUR: &str = "#d81b60";
/// Cooldown windows (the 5-minute rule).
pub const COOLDOWN_COLOUR: &str = "#b0bec5";
const MARK_WRITE: &str = "#212121";
const MARK_READ: &str = "#9e9e9e";
const MARK_ERROR: &str = "#ff5252";
const MARK_DROPPED: &str = "#ff9800";

/// Left column (row labels), plot width and right margin, in pixels.
pub const LABEL_W: u32 = 330;
pub const PLOT_W: u32 = 900;
const RIGHT_W: u32 = 30;
const HEADER_H: u32 = 78;
const AXIS_H: u32 = 22;
/// One instance row; its lanes as (offset, height) from the row's top.
pub const ROW_H: u32 = 26;
pub const MARK_LANE: (u32, u32) = (1, 7);
pub const BAND_LANE: (u32, u32) = (9, 12);
pub const COOLDOWN_LANE: (u32, u32) = (22, 3);
/// The narrowest band drawn, in pixels.
pub const MIN_BAND_PX: f64 = 3.0;
/// Pixels per instance in the down-at-once chart, at most; its height
/// at most.
const DOWN_UNIT_MAX: f64 = 16.0;
const DOWN_CHART_MAX_H: f64 = 160.0;

/// One API call as the journal has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub time: DateTime<Utc>,
    pub action: String,
    pub params: BTreeMap<String, String>,
    pub code: String,
    pub instance_id: Option<String>,
    pub dropped: bool,
}

impl Call {
    fn is_read(&self) -> bool {
        self.action.starts_with("Describe") || self.action.starts_with("List")
    }

    fn ok(&self) -> bool {
        self.code == "OK"
    }

    fn is_modification(&self) -> bool {
        matches!(
            self.action.as_str(),
            "ModifyInstanceSpec" | "ModifyInstanceNetworkSpec"
        )
    }
}

/// One status change as the journal has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub time: DateTime<Utc>,
    pub instance_id: String,
    pub from: Option<String>,
    pub to: String,
    pub instance_type: String,
}

/// What the page is drawn from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub calls: Vec<Call>,
    pub changes: Vec<Change>,
    /// The emulator's `--cooldown`; None: no windows drawn.
    pub cooldown: Option<Duration>,
}

fn parse_time(v: &Value, what: &str) -> Result<DateTime<Utc>, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("{what}: \"time\" must be an RFC 3339 string"))?;
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{what}: time {s:?} is not RFC 3339: {e}"))
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

impl Timeline {
    /// Reads a journal: `{"settings":{…},"requests":[…],"status_changes":[…]}`
    /// as `GET /_emulator/journal` answers it.
    ///
    /// # Errors
    /// Names the entry that is not shaped like the journal's.
    pub fn from_journal(v: &Value) -> Result<Timeline, String> {
        if !v.is_object() || (v.get("requests").is_none() && v.get("status_changes").is_none()) {
            return Err(
                "not an emulator journal: expected a JSON object with \"requests\" and \"status_changes\" (the body of GET /_emulator/journal)"
                    .into(),
            );
        }
        let mut calls = Vec::new();
        for (i, r) in v["requests"].as_array().into_iter().flatten().enumerate() {
            let what = format!("requests[{i}]");
            let params = r["params"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                            (k.clone(), v)
                        })
                        .collect()
                })
                .unwrap_or_default();
            calls.push(Call {
                time: parse_time(&r["time"], &what)?,
                action: text(&r["action"]),
                params,
                code: text(&r["code"]),
                instance_id: r["instance_id"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                dropped: r["dropped"].as_bool().unwrap_or(false),
            });
        }
        let mut changes = Vec::new();
        for (i, c) in v["status_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let what = format!("status_changes[{i}]");
            changes.push(Change {
                time: parse_time(&c["time"], &what)?,
                instance_id: text(&c["instance_id"]),
                from: c["from"].as_str().map(str::to_string),
                to: text(&c["to"]),
                instance_type: text(&c["instance_type"]),
            });
        }
        let cooldown = v["settings"]["cooldown_ms"]
            .as_u64()
            .map(Duration::from_millis);
        Ok(Timeline {
            calls,
            changes,
            cooldown,
        })
    }
}

/// Parameters never shown: signing and envelope fields (every call has
/// them; `Signature` and `AccessKeyId` identify the caller's key).
const OMITTED: [&str; 11] = [
    "Action",
    "Format",
    "Version",
    "Timestamp",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "SignatureType",
    "Signature",
    "AccessKeyId",
    "SecurityToken",
];

/// Whether a parameter's value must not be shown: passwords, secrets,
/// tokens that grant access (ClientToken is an idempotence key and shown),
/// keys, and user data (scripts often embed credentials).
fn is_secret(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "password",
        "secret",
        "accesskey",
        "signature",
        "userdata",
        "credential",
    ]
    .iter()
    .any(|s| n.contains(s))
        || (n.contains("token") && n != "clienttoken")
}

/// The parameters of a call as the page shows them.
pub fn shown_params(params: &BTreeMap<String, String>) -> Vec<(String, String)> {
    params
        .iter()
        .filter(|(k, _)| !OMITTED.contains(&k.as_str()))
        .map(|(k, v)| {
            let v = if is_secret(k) {
                "(redacted)".to_string()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect()
}

/// Escapes text for XML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// "850 ms", "2.4 s", "1 min 05 s".
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        let s = d.as_secs();
        format!("{} min {:02} s", s / 60, s % 60)
    }
}

fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S%.3f").to_string()
}

fn colour_of(status: &str) -> &'static str {
    STATUS_COLOURS
        .iter()
        .find(|(s, _)| *s == status)
        .map_or("#607d8b", |(_, c)| c)
}

/// A status band of one instance.
#[derive(Debug, Clone, PartialEq)]
struct Band {
    status: String,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    /// The journal ends inside it.
    open: bool,
}

/// A time window, e.g. a cooldown.
type Window = (DateTime<Utc>, DateTime<Utc>);

/// Everything computed from the journal before drawing.
struct Model {
    t0: DateTime<Utc>,
    t1: DateTime<Utc>,
    /// Instance ids in order of first appearance.
    rows: Vec<String>,
    bands: HashMap<String, Vec<Band>>,
    types: HashMap<String, Vec<String>>,
    /// Closed outages (left Running, Running again) and an open one.
    downtime: HashMap<String, (Duration, bool)>,
    cooldowns: HashMap<String, Vec<Window>>,
    calls_by_row: BTreeMap<Option<String>, Vec<usize>>,
    /// (time, instances down) after each change of the count.
    down_steps: Vec<(DateTime<Utc>, usize)>,
    most_down: usize,
}

fn since(a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
    (b - a).to_std().unwrap_or_default()
}

fn model(tl: &Timeline) -> Option<Model> {
    let mut changes: Vec<&Change> = tl.changes.iter().collect();
    // Stable: changes of one instance stamped with the same millisecond keep
    // the journal's order.
    changes.sort_by_key(|c| c.time);
    let times = changes
        .iter()
        .map(|c| c.time)
        .chain(tl.calls.iter().map(|c| c.time));
    let t0 = times.clone().min()?;
    let t1 = times.max()?;

    let mut rows: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for id in changes
        .iter()
        .map(|c| c.instance_id.as_str())
        .chain(tl.calls.iter().filter_map(|c| c.instance_id.as_deref()))
    {
        if seen.insert(id.to_string()) {
            rows.push(id.to_string());
        }
    }

    let mut bands: HashMap<String, Vec<Band>> = HashMap::new();
    let mut types: HashMap<String, Vec<String>> = HashMap::new();
    let mut downtime: HashMap<String, (Duration, bool)> = HashMap::new();
    let mut down_since: HashMap<&str, DateTime<Utc>> = HashMap::new();
    let mut down_steps = vec![(t0, 0)];
    let mut most_down = 0;
    for c in &changes {
        let id = c.instance_id.as_str();
        let list = bands.entry(id.to_string()).or_default();
        if let Some(last) = list.last_mut() {
            if last.open {
                last.to = c.time;
                last.open = false;
            }
        }
        if c.to != "Deleted" {
            list.push(Band {
                status: c.to.clone(),
                from: c.time,
                to: t1,
                open: true,
            });
        }
        if !c.instance_type.is_empty() {
            let ts = types.entry(id.to_string()).or_default();
            if ts.last() != Some(&c.instance_type) {
                ts.push(c.instance_type.clone());
            }
        }
        // Down: from leaving Running to being Running again (a deleted
        // instance is gone, not down).
        let before = down_since.len();
        if c.from.as_deref() == Some("Running") && c.to != "Deleted" {
            down_since.entry(id).or_insert(c.time);
        } else if c.to == "Running" || c.to == "Deleted" {
            if let Some(s) = down_since.remove(id) {
                if c.to == "Running" {
                    downtime.entry(id.to_string()).or_default().0 += since(s, c.time);
                }
            }
        }
        if down_since.len() != before {
            most_down = most_down.max(down_since.len());
            down_steps.push((c.time, down_since.len()));
        }
    }
    for (id, s) in down_since {
        let d = downtime.entry(id.to_string()).or_default();
        d.0 += since(s, t1);
        d.1 = true;
    }

    let mut cooldowns: HashMap<String, Vec<Window>> = HashMap::new();
    let mut calls_by_row: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    let mut applied_tokens = BTreeSet::new();
    for (i, c) in tl.calls.iter().enumerate() {
        calls_by_row
            .entry(c.instance_id.clone())
            .or_default()
            .push(i);
        let (Some(cooldown), Some(id)) = (tl.cooldown, &c.instance_id) else {
            continue;
        };
        if !(c.ok() && c.is_modification()) {
            continue;
        }
        // A ClientToken replay changes nothing and starts no new window.
        if let Some(token) = c.params.get("ClientToken") {
            if !applied_tokens.insert(token.clone()) {
                continue;
            }
        }
        let end = c.time + chrono::Duration::from_std(cooldown).unwrap_or_default();
        cooldowns.entry(id.clone()).or_default().push((c.time, end));
    }
    Some(Model {
        t0,
        t1,
        rows,
        bands,
        types,
        downtime,
        cooldowns,
        calls_by_row,
        down_steps,
        most_down,
    })
}

/// A tick step (seconds) giving at most about ten labels over `span`.
fn tick_step(span: f64) -> f64 {
    const STEPS: [f64; 19] = [
        0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0,
        600.0, 900.0, 1800.0, 3600.0,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 10.0)
        .unwrap_or(7200.0)
}

fn tick_label(secs: f64, step: f64) -> String {
    if step < 1.0 {
        format!("+{secs:.2} s")
    } else if step < 60.0 {
        format!("+{secs:.0} s")
    } else {
        format!("+{:.0} min", secs / 60.0)
    }
}

/// The page for `tl`, titled `title`.
pub fn render(tl: &Timeline, title: &str) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n\
         <style>html,body{{margin:0;padding:0;background:#ffffff}}\
         svg{{display:block;font-family:'DejaVu Sans',Arial,sans-serif;font-size:12px}}\
         .mono{{font-family:'DejaVu Sans Mono',monospace;font-size:11px}}\
         .muted{{fill:#546e7a}}</style></head><body>",
        esc(title)
    );
    match model(tl) {
        Some(m) => draw(&mut out, tl, &m, title),
        None => {
            let _ = writeln!(
                out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"60\" viewBox=\"0 0 {w} 60\" data-rows=\"0\">\
                 <text x=\"12\" y=\"24\" font-weight=\"bold\">{}</text>\
                 <text x=\"12\" y=\"44\" class=\"muted\">The journal is empty: no API call and no status change yet.</text></svg>",
                esc(title),
                w = LABEL_W + PLOT_W + RIGHT_W
            );
        }
    }
    out.push_str("</body></html>\n");
    out
}

fn draw(out: &mut String, tl: &Timeline, m: &Model, title: &str) {
    let width = LABEL_W + PLOT_W + RIGHT_W;
    let span = since(m.t0, m.t1).as_secs_f64().max(0.001);
    let x_of = |t: DateTime<Utc>| -> f64 {
        f64::from(LABEL_W) + since(m.t0, t).as_secs_f64() / span * f64::from(PLOT_W)
    };
    let unrouted = m.calls_by_row.contains_key(&None);
    let row_count = m.rows.len() + usize::from(unrouted);
    let rows_top = HEADER_H + AXIS_H;
    let rows_h = u32::try_from(row_count).unwrap_or(u32::MAX / 2) * ROW_H;
    let unit = if m.most_down == 0 {
        DOWN_UNIT_MAX
    } else {
        (DOWN_CHART_MAX_H / m.most_down as f64).min(DOWN_UNIT_MAX)
    };
    let chart_top = rows_top + rows_h + 34;
    let chart_h = (unit * m.most_down.max(1) as f64).ceil() as u32;
    let baseline = chart_top + chart_h;
    let height = baseline + 28;

    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         data-rows=\"{}\" data-plot-left=\"{LABEL_W}\" data-plot-width=\"{PLOT_W}\">\n\
         <rect x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>",
        m.rows.len()
    );

    // Header.
    let refused = tl.calls.iter().filter(|c| !c.ok()).count();
    let down_total: Duration = m.downtime.values().map(|(d, _)| *d).sum();
    let _ = writeln!(
        out,
        "<g class=\"header\"><text x=\"12\" y=\"20\" font-weight=\"bold\" font-size=\"15\">{}</text>\n\
         <text x=\"12\" y=\"40\" class=\"muted\">{} to {} UTC ({}) · {} instances · {} API calls, {} refused · \
         most down at once: {} · downtime in all: {}{}</text>",
        esc(title),
        m.t0.format("%Y-%m-%d %H:%M:%S%.3f"),
        clock(m.t1),
        human(since(m.t0, m.t1)),
        m.rows.len(),
        tl.calls.len(),
        refused,
        m.most_down,
        human(down_total),
        match tl.cooldown {
            Some(c) => format!(" · cooldown {}", human(c)),
            None => " · cooldown unknown (not shaded)".into(),
        }
    );
    let mut lx = 12;
    for (status, colour) in STATUS_COLOURS {
        let _ = writeln!(
            out,
            "<rect x=\"{lx}\" y=\"52\" width=\"14\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"62\">{status}</text>",
            lx + 18
        );
        lx += 96;
    }
    let legend_marks = [
        (MARK_WRITE, "change call"),
        (MARK_READ, "read"),
        (MARK_ERROR, "refused"),
        (MARK_DROPPED, "answer dropped"),
    ];
    for (colour, name) in legend_marks {
        let _ = writeln!(
            out,
            "<rect x=\"{lx}\" y=\"52\" width=\"3\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"62\">{name}</text>",
            lx + 8
        );
        lx += 20 + 7 * u32::try_from(name.len()).unwrap_or(10);
    }
    let _ = writeln!(
        out,
        "<rect x=\"{lx}\" y=\"57\" width=\"24\" height=\"{}\" fill=\"{COOLDOWN_COLOUR}\"/><text x=\"{}\" y=\"62\">cooldown</text></g>",
        COOLDOWN_LANE.1,
        lx + 30
    );

    // Time axis and grid.
    let step = tick_step(span);
    let grid_bottom = baseline;
    let _ = writeln!(out, "<g class=\"axis\">");
    let mut k = 0u32;
    loop {
        let secs = f64::from(k) * step;
        if secs > span + 1e-9 {
            break;
        }
        let x = f64::from(LABEL_W) + secs / span * f64::from(PLOT_W);
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{grid_bottom}\" stroke=\"#eceff1\"/>\
             <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" class=\"muted\">{}</text>",
            rows_top - 4,
            rows_top - 8,
            tick_label(secs, step)
        );
        k += 1;
    }
    let _ = writeln!(out, "</g>");

    // Rows.
    let mut row_tops: Vec<(Option<&str>, u32)> = Vec::new();
    let mut y = rows_top;
    if unrouted {
        row_tops.push((None, y));
        y += ROW_H;
    }
    for id in &m.rows {
        row_tops.push((Some(id), y));
        y += ROW_H;
    }
    for (id, top) in row_tops {
        draw_row(out, tl, m, id, top, &x_of);
    }

    // Down at once.
    let _ = writeln!(
        out,
        "<g class=\"down\" data-most=\"{}\" data-baseline=\"{baseline}\" data-unit=\"{unit:.3}\">\n\
         <text x=\"12\" y=\"{}\" font-weight=\"bold\">Instances down at once</text>\n\
         <text x=\"12\" y=\"{}\" class=\"muted\">left Running, not Running again yet</text>\n\
         <line x1=\"{LABEL_W}\" y1=\"{baseline}\" x2=\"{}\" y2=\"{baseline}\" stroke=\"#90a4ae\"/>\n\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"muted\">0</text>",
        m.most_down,
        chart_top + 4,
        chart_top + 20,
        LABEL_W + PLOT_W,
        LABEL_W - 6,
        baseline + 4,
    );
    let y_of = |n: usize| f64::from(baseline) - unit * n as f64;
    if m.most_down > 0 {
        let ym = y_of(m.most_down);
        let _ = writeln!(
            out,
            "<line x1=\"{LABEL_W}\" y1=\"{ym:.1}\" x2=\"{}\" y2=\"{ym:.1}\" stroke=\"#90a4ae\" stroke-dasharray=\"4 3\"/>\n\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" class=\"muted\">{}</text>\n\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-weight=\"bold\" class=\"most\">most down at once: {}</text>",
            LABEL_W + PLOT_W,
            LABEL_W - 6,
            ym + 4.0,
            m.most_down,
            LABEL_W + PLOT_W,
            ym - 5.0,
            m.most_down
        );
    }
    let mut points = String::new();
    let mut last = 0usize;
    for (t, n) in &m.down_steps {
        let x = x_of(*t);
        let _ = write!(points, "{x:.1},{:.1} {x:.1},{:.1} ", y_of(last), y_of(*n));
        last = *n;
    }
    let _ = write!(
        points,
        "{:.1},{:.1}",
        f64::from(LABEL_W + PLOT_W),
        y_of(last)
    );
    let _ = writeln!(
        out,
        "<polyline points=\"{points}\" fill=\"none\" stroke=\"{DOWN_LINE_COLOUR}\" stroke-width=\"2\" shape-rendering=\"crispEdges\"><title>instances down at once; most: {}</title></polyline>\n</g>\n</svg>",
        m.most_down
    );
}

fn draw_row(
    out: &mut String,
    tl: &Timeline,
    m: &Model,
    id: Option<&str>,
    top: u32,
    x_of: &dyn Fn(DateTime<Utc>) -> f64,
) {
    let band_y = top + BAND_LANE.0;
    let (label, detail) = match id {
        None => ("calls naming no instance".to_string(), String::new()),
        Some(id) => {
            let types = m.types.get(id).map(|t| t.join(" → ")).unwrap_or_default();
            let down = match m.downtime.get(id) {
                Some((d, true)) => format!("down {}, still down", human(*d)),
                Some((d, false)) => format!("down {}", human(*d)),
                None => String::new(),
            };
            let detail = [types, down]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · ");
            (id.to_string(), detail)
        }
    };
    let _ = writeln!(
        out,
        "<g class=\"row\" data-instance=\"{}\" data-top=\"{top}\" data-band-y=\"{band_y}\" data-band-h=\"{}\">\n\
         <text x=\"8\" y=\"{}\" class=\"mono\">{}</text><text x=\"8\" y=\"{}\" class=\"muted\" font-size=\"10\">{}</text>",
        esc(id.unwrap_or("")),
        BAND_LANE.1,
        top + 11,
        esc(&label),
        top + 23,
        esc(&detail)
    );
    if let Some(id) = id {
        for w in m.cooldowns.get(id).into_iter().flatten() {
            let (x1, x2) = (x_of(w.0), x_of(w.1.min(m.t1)));
            let beyond = if w.1 > m.t1 {
                ", beyond the end of the journal"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "<rect class=\"cooldown\" x=\"{x1:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"{COOLDOWN_COLOUR}\"><title>cooldown (the 5-minute rule): no further modification from {} to {}{beyond}</title></rect>",
                top + COOLDOWN_LANE.0,
                (x2 - x1).max(3.0),
                COOLDOWN_LANE.1,
                clock(w.0),
                clock(w.1),
            );
        }
        // A status shorter than a few pixels (a Stopped of 10 ms between the
        // type change and the start) is still drawn MIN_BAND_PX wide, pushing
        // the next band's start right: a brief status must stay visible.
        let mut drawn_to = f64::MIN;
        for b in m.bands.get(id).into_iter().flatten() {
            let x1 = x_of(b.from).max(drawn_to);
            let x2 = x_of(b.to).max(x1 + MIN_BAND_PX);
            drawn_to = x2;
            let _ = writeln!(
                out,
                "<rect class=\"band\" data-status=\"{}\" x=\"{x1:.1}\" y=\"{band_y}\" width=\"{:.1}\" height=\"{}\" fill=\"{}\" shape-rendering=\"crispEdges\"><title>{} {} to {}{} ({})</title></rect>",
                esc(&b.status),
                x2 - x1,
                BAND_LANE.1,
                colour_of(&b.status),
                esc(&b.status),
                clock(b.from),
                clock(b.to),
                if b.open { ", end of the journal" } else { "" },
                human(since(b.from, b.to)),
            );
        }
    }
    draw_marks(out, tl, m, id, top, x_of);
    out.push_str("</g>\n");
}

/// Calls as marks; reads that fall on the same pixel with the same answer
/// are one mark (polling would otherwise draw thousands).
fn draw_marks(
    out: &mut String,
    tl: &Timeline,
    m: &Model,
    id: Option<&str>,
    top: u32,
    x_of: &dyn Fn(DateTime<Utc>) -> f64,
) {
    let key = id.map(str::to_string);
    let Some(indices) = m.calls_by_row.get(&key) else {
        return;
    };
    let mut i = 0;
    while i < indices.len() {
        let first = &tl.calls[indices[i]];
        let px = x_of(first.time).floor();
        let mut j = i + 1;
        if first.is_read() {
            while j < indices.len() {
                let c = &tl.calls[indices[j]];
                if c.action == first.action && c.code == first.code && x_of(c.time).floor() == px {
                    j += 1;
                } else {
                    break;
                }
            }
        }
        let n = j - i;
        let last = &tl.calls[indices[j - 1]];
        let colour = if first.dropped {
            MARK_DROPPED
        } else if !first.ok() {
            MARK_ERROR
        } else if first.is_read() {
            MARK_READ
        } else {
            MARK_WRITE
        };
        let mut hover = if n == 1 {
            format!("{} {}", clock(first.time), first.action)
        } else {
            format!(
                "{}–{} {} ×{n}",
                clock(first.time),
                clock(last.time),
                first.action
            )
        };
        let _ = write!(hover, " → {}", first.code);
        if first.dropped {
            hover.push_str(" (applied; the emulator dropped the answer)");
        }
        for (k, v) in shown_params(&first.params) {
            let _ = write!(hover, "\n{k}={v}");
        }
        let _ = writeln!(
            out,
            "<rect class=\"mark\" data-action=\"{}\" data-code=\"{}\" x=\"{px:.0}\" y=\"{}\" width=\"2\" height=\"{}\" fill=\"{colour}\"><title>{}</title></rect>",
            esc(&first.action),
            esc(&first.code),
            top + MARK_LANE.0,
            MARK_LANE.1,
            esc(&hover)
        );
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(ms: i64) -> String {
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc)
            + chrono::Duration::milliseconds(ms);
        super::super::journal::rfc3339_millis(t)
    }

    fn change(ms: i64, id: &str, from: Option<&str>, to: &str, ty: &str) -> Value {
        json!({"time": at(ms), "instance_id": id, "from": from, "to": to, "instance_type": ty})
    }

    fn call(ms: i64, action: &str, id: &str, params: Value, code: &str) -> Value {
        json!({"time": at(ms), "action": action, "instance_id": id, "params": params, "code": code, "http_status": 200})
    }

    /// Two instances resized one after the other, cooldown 1 s.
    fn journal() -> Value {
        json!({
            "settings": {"cooldown_ms": 1000, "transition_ms": 100},
            "requests": [
                call(0, "RunInstances", "i-a", json!({"InstanceType": "ecs.g6.large", "Password": "hunter2", "AccessKeyId": "AKID-SECRET", "Signature": "SIG"}), "OK"),
                call(1000, "StopInstance", "i-a", json!({"InstanceId": "i-a"}), "OK"),
                call(1150, "ModifyInstanceSpec", "i-a", json!({"InstanceId": "i-a", "InstanceType": "ecs.g6.xlarge", "ClientToken": "tok-1"}), "OK"),
                call(1160, "ModifyInstanceSpec", "i-a", json!({"InstanceId": "i-a", "InstanceType": "ecs.g6.xlarge", "ClientToken": "tok-1"}), "OK"),
                call(1200, "StartInstance", "i-a", json!({"InstanceId": "i-a", "UserData": "cGFzc3dvcmQ9eA=="}), "OK"),
                call(1250, "DescribeInstances", "", json!({"InstanceIds": "[\"i-a\",\"i-b\"]"}), "OK"),
                call(1251, "DescribeInstances", "", json!({}), "OK"),
                call(1700, "StopInstance", "i-b", json!({"InstanceId": "i-b", "SecurityToken": "STS-TOKEN"}), "IncorrectInstanceStatus"),
            ],
            "status_changes": [
                change(10, "i-a", None, "Pending", "ecs.g6.large"),
                change(110, "i-a", Some("Pending"), "Running", "ecs.g6.large"),
                change(20, "i-b", None, "Pending", "ecs.g6.large"),
                change(120, "i-b", Some("Pending"), "Running", "ecs.g6.large"),
                change(1000, "i-a", Some("Running"), "Stopping", "ecs.g6.large"),
                change(1100, "i-a", Some("Stopping"), "Stopped", "ecs.g6.large"),
                change(1200, "i-a", Some("Stopped"), "Starting", "ecs.g6.xlarge"),
                change(1300, "i-a", Some("Starting"), "Running", "ecs.g6.xlarge"),
                change(1250, "i-b", Some("Running"), "Stopping", "ecs.g6.large"),
                change(1400, "i-b", Some("Stopping"), "Stopped", "ecs.g6.large"),
                change(2000, "i-b", Some("Stopped"), "Deleted", "ecs.g6.large"),
            ]
        })
    }

    fn page() -> String {
        render(
            &Timeline::from_journal(&journal()).unwrap(),
            "test <timeline>",
        )
    }

    /// The start tags of `tag` elements with `class="…"`.
    fn elements<'a>(html: &'a str, tag: &str, class: &str) -> Vec<&'a str> {
        let open = format!("<{tag} class=\"{class}\"");
        html.match_indices(&open)
            .map(|(i, _)| {
                let end = html[i..].find('>').unwrap();
                &html[i..i + end]
            })
            .collect()
    }

    fn attr<'a>(element: &'a str, name: &str) -> &'a str {
        let key = format!(" {name}=\"");
        let start = element
            .find(&key)
            .unwrap_or_else(|| panic!("{name} in {element}"))
            + key.len();
        let len = element[start..].find('"').unwrap();
        &element[start..start + len]
    }

    #[test]
    fn one_row_per_instance_in_order_of_appearance_plus_one_for_unnamed_calls() {
        let html = page();
        let rows: Vec<&str> = elements(&html, "g", "row")
            .iter()
            .map(|r| attr(r, "data-instance"))
            .collect();
        assert_eq!(rows, ["", "i-a", "i-b"]);
        let tops: Vec<u32> = elements(&html, "g", "row")
            .iter()
            .map(|r| attr(r, "data-top").parse().unwrap())
            .collect();
        assert!(tops.windows(2).all(|w| w[1] == w[0] + ROW_H), "{tops:?}");
    }

    #[test]
    fn bands_follow_the_status_changes_in_order_and_end_at_deletion() {
        let html = page();
        let rows: Vec<&str> = html.split("<g class=\"row\"").collect();
        let statuses = |row: &str| -> Vec<String> {
            elements(row, "rect", "band")
                .iter()
                .map(|b| attr(b, "data-status").to_string())
                .collect()
        };
        let a = rows
            .iter()
            .find(|r| r.contains("data-instance=\"i-a\""))
            .unwrap();
        assert_eq!(
            statuses(a),
            ["Pending", "Running", "Stopping", "Stopped", "Starting", "Running"]
        );
        let b = rows
            .iter()
            .find(|r| r.contains("data-instance=\"i-b\""))
            .unwrap();
        assert_eq!(statuses(b), ["Pending", "Running", "Stopping", "Stopped"]);
        // Colours are the legend's; bands of one row are contiguous and left to right.
        let bands = elements(a, "rect", "band");
        for band in &bands {
            assert_eq!(attr(band, "fill"), colour_of(attr(band, "data-status")));
        }
        let xs: Vec<f64> = bands
            .iter()
            .map(|b| attr(b, "x").parse().unwrap())
            .collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
        let first_end: f64 = xs[0] + attr(bands[0], "width").parse::<f64>().unwrap();
        assert!((first_end - xs[1]).abs() < 0.2, "{first_end} vs {}", xs[1]);
        // i-b's Stopped band ends at its deletion (t = 2000 ms), the end of the journal.
        assert!(
            b.contains("Stopped 03:04:06.400 to 03:04:07.000 (600 ms)"),
            "{b}"
        );
    }

    #[test]
    fn the_down_line_counts_instances_between_leaving_running_and_running_again() {
        let tl = Timeline::from_journal(&journal()).unwrap();
        let m = model(&tl).unwrap();
        // i-a down 1000..1300, i-b down from 1250 until deleted at 2000: two at once.
        assert_eq!(m.most_down, 2);
        let counts: Vec<usize> = m.down_steps.iter().map(|s| s.1).collect();
        assert_eq!(counts, [0, 1, 2, 1, 0]);
        assert_eq!(m.downtime["i-a"], (Duration::from_millis(300), false));
        let html = render(&tl, "t");
        let down = elements(&html, "g", "down")[0];
        assert_eq!(attr(down, "data-most"), "2");
        assert!(html.contains("most down at once: 2</text>"));
        assert!(html.contains("down 300 ms"));
    }

    #[test]
    fn cooldown_windows_start_at_each_applied_modification_but_not_at_a_replay() {
        let tl = Timeline::from_journal(&journal()).unwrap();
        let html = render(&tl, "t");
        let windows = elements(&html, "rect", "cooldown");
        assert_eq!(windows.len(), 1, "the ClientToken replay starts no window");
        assert!(html.contains(
            "no further modification from 03:04:06.150 to 03:04:07.150, beyond the end of the journal"
        ));
        let without = Timeline {
            cooldown: None,
            ..tl
        };
        let html = render(&without, "t");
        assert!(elements(&html, "rect", "cooldown").is_empty());
        assert!(html.contains("cooldown unknown"));
    }

    #[test]
    fn each_call_is_a_mark_with_its_action_parameters_and_answer_on_hover() {
        let html = page();
        let marks = elements(&html, "rect", "mark");
        // 8 calls; the two DescribeInstances 1 ms apart share a pixel and are one mark.
        assert_eq!(marks.len(), 7);
        assert!(html.contains("ModifyInstanceSpec → OK\nClientToken=tok-1\nInstanceId=i-a\nInstanceType=ecs.g6.xlarge</title>"), "{html}");
        assert!(html.contains("DescribeInstances ×2 → OK"));
        assert!(html.contains("StopInstance → IncorrectInstanceStatus"));
        let refused = marks
            .iter()
            .find(|m| attr(m, "data-code") == "IncorrectInstanceStatus")
            .unwrap();
        assert_eq!(attr(refused, "fill"), MARK_ERROR);
    }

    #[test]
    fn secrets_never_reach_the_page() {
        let html = page();
        for secret in [
            "hunter2",
            "AKID-SECRET",
            "SIG",
            "STS-TOKEN",
            "cGFzc3dvcmQ9eA==",
        ] {
            assert!(!html.contains(secret), "{secret} is on the page");
        }
        assert!(html.contains("Password=(redacted)"));
        assert!(html.contains("UserData=(redacted)"));
        assert!(!html.contains("AccessKeyId"));
    }

    #[test]
    fn the_page_is_self_contained_and_escaped() {
        let html = page();
        assert!(html.starts_with("<!DOCTYPE html>"));
        for external in ["<script", "<link", "src=", "href=", "url(", "@import"] {
            assert!(!html.contains(external), "{external}");
        }
        assert!(html.contains("<title>test &lt;timeline&gt;</title>"));
        assert_eq!(html.matches("<svg").count(), 1);
        // The SVG is well-formed XML (every element closed, attributes quoted and escaped).
        let svg = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap() + 6];
        let mut reader = quick_xml::Reader::from_str(svg);
        let mut depth = 0i32;
        loop {
            match reader.read_event().expect("well-formed SVG") {
                quick_xml::events::Event::Start(_) => depth += 1,
                quick_xml::events::Event::End(_) => depth -= 1,
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0);
    }

    #[test]
    fn an_empty_journal_is_a_page_that_says_so() {
        let tl = Timeline::from_journal(&json!({"requests": [], "status_changes": []})).unwrap();
        assert!(render(&tl, "t").contains("The journal is empty"));
        let err = Timeline::from_journal(&json!([1, 2])).unwrap_err();
        assert!(err.contains("GET /_emulator/journal"), "{err}");
        let err = Timeline::from_journal(
            &json!({"requests": [{"time": "yesterday", "action": "X"}], "status_changes": []}),
        )
        .unwrap_err();
        assert!(err.contains("requests[0]"), "{err}");
    }

    #[test]
    fn a_brief_status_is_still_drawn_a_few_pixels_wide() {
        let mut j = journal();
        // i-a Stopped for 1 ms of a 2 s journal: a tenth of a pixel.
        j["status_changes"][5]["time"] = json!(at(1199));
        let html = render(&Timeline::from_journal(&j).unwrap(), "t");
        let row = html
            .split("<g class=\"row\"")
            .find(|r| r.contains("\"i-a\""))
            .unwrap();
        let bands = elements(row, "rect", "band");
        let stopped = bands
            .iter()
            .position(|b| attr(b, "data-status") == "Stopped")
            .unwrap();
        let width: f64 = attr(bands[stopped], "width").parse().unwrap();
        assert_eq!(width, MIN_BAND_PX);
        let end = attr(bands[stopped], "x").parse::<f64>().unwrap() + width;
        let next: f64 = attr(bands[stopped + 1], "x").parse().unwrap();
        assert!(
            (next - end).abs() < 0.2,
            "the next band starts where it ends"
        );
    }

    #[test]
    fn ticks_are_round_and_few() {
        assert_eq!(tick_step(9.0), 1.0);
        assert_eq!(tick_step(45.0), 5.0);
        assert_eq!(tick_step(0.3), 0.05);
        assert_eq!(tick_step(700.0), 120.0);
        assert_eq!(human(Duration::from_millis(65_000)), "1 min 05 s");
        assert_eq!(human(Duration::from_millis(2_400)), "2.4 s");
    }
}
