//! `saebaram drift`: bottles thrown into the sea from a sea site over a range of times, on
//! the user's currents (and wind) file, ranked by the chance of stranding on the North's
//! coast within a time limit. The drift is `saebaram_jobs::drift`; this module parses flags
//! and renders the report (a Korean-first table, `--json`, GeoJSON, the offline HTML map).

use std::fmt::Write as _;
use std::path::PathBuf;

use saebaram_drift::{End, Scheme, Spread, Stokes};
use saebaram_jobs::drift::{DriftReport, DriftRequest, SEA_SITES};
use saebaram_jobs::{Env, ErrorKind, files, parse};

use crate::output::Status;
use crate::progress::Terminal;

/// Arguments of `saebaram drift`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples (예시):
  saebaram drift --currents currents.nc --site seokmo --from 2026-12-05T09:00Z --to 2026-12-06T09:00Z --every 30m
  saebaram drift --currents currents.nc --wind wind.nc --site gyodong -n 200 --limit 12h --json > drift.json
  saebaram drift --currents norkyst.nc --site 37.70,126.26 --geojson ends.geojson
  saebaram drift --currents currents.nc --wind wind.nc --site seokmo --lang ko --html drift.html

Sea sites (바다 출발 지점): seokmo (석모도 서쪽 해안), gyodong (교동도 북쪽 해안),
ganghwa-north (강화도 북쪽 해안), baengnyeong (백령도), or LAT,LON in the sea.

Each window throws -n bottles: throw time ±10 min, throw point 100 m (normal), windage
1-3 % of the 10 m wind (uniform; --windage MIN-MAX), a constant current error of
0.05 m/s (normal, east and north). A bottle counts for the North when it strands on the
North's coast (Natural Earth 1:10m land) within --limit of its throw. RK4 at --step
(default 15 min); --scheme euler for comparison. There is no current file in the binary:
see docs/drift.md for Copernicus Marine and KHOA.
Exit 0: some window reaches the North; 1: none does; 2: bad input.")]
pub struct DriftArgs {
    /// Surface currents, CF-NetCDF (NetCDF-3 or NetCDF-4): CMEMS, ROMS/NorKyst-like.
    #[arg(long, value_name = "FILE")]
    pub currents: Option<PathBuf>,
    /// 10 m wind, CF-NetCDF or GRIB2 (`UGRD`/`VGRD` 10 m above ground, e.g. from
    /// `forecast fetch`), for windage (without it bottles move with the current only).
    #[arg(long, value_name = "FILE")]
    pub wind: Option<PathBuf>,
    /// Sea site by name or LAT,LON.
    #[arg(long, value_name = "NAME|LAT,LON", default_value = "seokmo")]
    pub site: String,
    /// First throw, UTC (default: the currents' first time).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Last throw, UTC (default: 24 h after --from, within the currents).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Time between throw windows: `30m`, `1h`.
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub every: String,
    /// Bottles per window.
    #[arg(short = 'n', long = "members", default_value_t = 100)]
    pub members: u32,
    /// Time limit for reaching the North's coast (drifts stop then): `12h`, `2d`.
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub limit: String,
    /// Integration step: `15m`.
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    pub step: String,
    /// Integration scheme.
    #[arg(long, value_enum, default_value = "rk4")]
    pub scheme: SchemeArg,
    /// Windage range, per cent of the 10 m wind: `1-3`, `2` (a single value: no spread).
    #[arg(long, value_name = "MIN-MAX", default_value = "1-3")]
    pub windage: String,
    /// Random seed: the same seed gives the same drift.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Rows of the ranked table.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write every bottle's end and the best window's tracks as GeoJSON.
    #[arg(long, value_name = "FILE")]
    pub geojson: Option<PathBuf>,
    /// `--html FILE` (offline map of the windows, bottle ends and tracks) and `--lang`.
    #[command(flatten)]
    pub html: super::map_output::HtmlArgs,
}

/// `--scheme`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SchemeArg {
    /// Fourth-order Runge-Kutta.
    Rk4,
    /// Forward Euler.
    Euler,
}

fn windage(text: &str) -> Result<(f64, f64), saebaram_jobs::Error> {
    let bad = || saebaram_jobs::Error::Invalid {
        field: "spread",
        message: format!("--windage: `{text}` is not a percentage or a range like 1-3"),
    };
    let t = text.trim().trim_end_matches('%');
    let (a, b) = match t.split_once('-') {
        Some((a, b)) => (a, b),
        None => (t, t),
    };
    let a: f64 = a.trim().trim_end_matches('%').parse().map_err(|_| bad())?;
    let b: f64 = b.trim().trim_end_matches('%').parse().map_err(|_| bad())?;
    Ok((a / 100.0, b / 100.0))
}

/// Runs `saebaram drift`.
pub fn run(args: DriftArgs, env: &Env) -> anyhow::Result<Status> {
    let (windage_min, windage_max) = windage(&args.windage)?;
    let request = DriftRequest {
        currents: args.currents.clone(),
        wind: args.wind.clone(),
        site: args.site.clone(),
        from_unix_s: args
            .from
            .as_deref()
            .map(|t| parse::utc_time("from_unix_s", "--from", t))
            .transpose()?,
        to_unix_s: args
            .to
            .as_deref()
            .map(|t| parse::utc_time("to_unix_s", "--to", t))
            .transpose()?,
        every_s: parse::duration_s("every_s", "--every", &args.every)?,
        members: args.members,
        seed: args.seed,
        step_s: parse::duration_s("step_s", "--step", &args.step)?,
        scheme: match args.scheme {
            SchemeArg::Rk4 => Scheme::Rk4,
            SchemeArg::Euler => Scheme::Euler,
        },
        limit_h: parse::duration_s("limit_h", "--limit", &args.limit)? / 3600.0,
        spread: Spread {
            windage_min,
            windage_max,
            ..Spread::default()
        },
    };
    let terminal = Terminal::new().quiet(args.json);
    let report = match saebaram_jobs::drift::run(request, env, &terminal) {
        Ok(report) => report,
        Err(err) => {
            // Korean first, then the English message and hint from main.
            match err.kind() {
                ErrorKind::NoCurrents => eprintln!(
                    "오류: 해류 파일이 없습니다. `saebaram drift`에는 던질 지역과 시각의 표층 해류 파일(--currents FILE)이 필요합니다.\n\
                     인터넷이 될 때 Copernicus Marine(무료 계정)에서 `copernicusmarine subset`으로 해류를 받거나\n\
                     국립해양조사원(KHOA) 조류 예측을 NetCDF로 받아 이 노트북으로 옮기십시오 (docs/drift.md).\n"
                ),
                ErrorKind::ForcingCoverage => eprintln!(
                    "오류: 해류·바람 파일이 출발 지점이나 던질 시각을 포함하지 않습니다. 그 지역과 시각의 파일을 받으십시오.\n"
                ),
                ErrorKind::Drift | ErrorKind::Forecast => {
                    eprintln!("오류: 해류·바람 파일을 읽을 수 없습니다.\n")
                }
                _ => {}
            }
            return Err(err.into());
        }
    };
    if let Some(path) = &args.geojson {
        let text = saebaram_jobs::drift::geojson(&report).to_string();
        files::write_atomically(path, text.as_bytes())?;
    }
    if let Some(path) = &args.html.html {
        let lang = super::map_output::page_lang(args.html.lang);
        let html = saebaram_jobs::map::drift_html(&report, lang)?;
        saebaram_jobs::map::write_html(path, &html)?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print!("{}", table(&args, &report));
    }
    Ok(if report.best_window().is_some() {
        Status::Done
    } else {
        Status::Negative
    })
}

fn kst(rfc3339: &str, t: f64) -> String {
    // Korea time is UTC+9 all year (no daylight saving since 1988).
    let _ = rfc3339;
    let k = saebaram_forecast::time::format_rfc3339((t + 9.0 * 3600.0) as i64);
    k.get(5..16).unwrap_or(&k).replace('T', " ")
}

/// The table's columns: display width and right alignment.
const COLUMNS: [(usize, bool); 8] = [
    (4, true),
    (15, false),
    (20, false),
    (9, true),
    (9, true),
    (7, true),
    (13, true),
    (9, true),
];

/// `text` padded with spaces to `width` terminal columns (Hangul and other wide characters
/// count two), on the left when `right`.
fn cell(text: &str, width: usize, right: bool) -> String {
    let pad = " ".repeat(width.saturating_sub(unicode_width::UnicodeWidthStr::width(text)));
    if right {
        format!("{pad}{text}")
    } else {
        format!("{text}{pad}")
    }
}

fn table(args: &DriftArgs, r: &DriftReport) -> String {
    let mut s = String::new();
    let site = match (r.site.name, r.site.name_ko) {
        (Some(name), Some(ko)) => format!("{ko} ({name})"),
        _ => format!("{:.4}N {:.4}E", r.site.lat, r.site.lon),
    };
    let _ = writeln!(
        s,
        "해류 표류 예측 (bottle drift): {site}, 창마다 {} 병 / {} bottles per window, 제한 {:.0}시간 / limit {:.0} h, seed {}",
        r.spec.n_members, r.spec.n_members, r.limit_h, r.limit_h, args.seed
    );
    // Hangul takes two terminal columns: pad by display width, not by chars.
    let header = |cells: [&str; 8]| {
        let mut line = String::new();
        for (k, (text, (width, right))) in cells.iter().zip(COLUMNS).enumerate() {
            if k > 0 {
                line.push(' ');
            }
            line.push_str(&cell(text, width, right));
        }
        line
    };
    let _ = writeln!(
        s,
        "{}  닿은 곳 (도 · 가까운 읍)",
        header([
            "순위",
            "던질 시각 (KST)",
            "UTC",
            "북한 해안",
            "남한 해안",
            "떠 있음",
            "자료에서 멈춤",
            "걸린 시간"
        ])
    );
    let _ = writeln!(
        s,
        "{}  where (province · nearest town)",
        header([
            "rank", "throw", "", "P(North)", "P(South)", "afloat", "stopped", "median h"
        ])
    );
    for &i in r.order.iter().take(args.top.max(1)) {
        let Some(w) = r.windows.get(i) else { continue };
        let pct = |p: f64| format!("{:.0}%", p * 100.0);
        let mut places: Vec<String> = w
            .north_by_province
            .iter()
            .take(1)
            .map(|p| {
                let name = match p.province_ko {
                    Some(ko) => format!("{ko} {}", p.province),
                    None => p.province.clone(),
                };
                format!("{name} {:.0}%", p.p * 100.0)
            })
            .collect();
        places.extend(w.north_by_town.iter().take(2).map(|t| {
            let name = match &t.town_ko {
                Some(ko) if !ko.is_empty() => format!("{ko} {}", t.town),
                _ => t.town.clone(),
            };
            format!("{name} {:.0}%", t.p * 100.0)
        }));
        let _ = writeln!(
            s,
            "{}  {}",
            header([
                &w.rank.to_string(),
                &kst(&w.throw_time, w.throw_unix_s),
                &w.throw_time,
                &pct(w.p_north),
                &pct(w.p_south),
                &pct(w.p_afloat),
                &pct(w.p_forcing_stop),
                &w.median_hours_to_north
                    .map_or("-".to_string(), |h| format!("{h:.1}")),
            ]),
            places.join(" · ")
        );
    }
    if r.order.len() > args.top {
        let _ = writeln!(
            s,
            "(창 {}개 더 / {} more windows: --top N or --json)",
            r.order.len() - args.top,
            r.order.len() - args.top
        );
    }
    match r.best_window() {
        Some(w) => {
            let _ = writeln!(
                s,
                "추천 시각: {} (KST) · {} — 북한 해안에 닿을 확률 {:.0}% / best throw: P(North's coast) {:.0} %",
                kst(&w.throw_time, w.throw_unix_s),
                w.throw_time,
                w.p_north * 100.0,
                w.p_north * 100.0
            );
        }
        None => {
            let _ = writeln!(
                s,
                "어느 시각에 던져도 제한 시간 안에 북한 해안에 닿지 않습니다 / no window reaches the North's coast within the limit"
            );
        }
    }
    let stokes_ko = match r.stokes {
        Stokes::InCurrents => "스토크스 표류: 해류(utotal/vtotal)에 이미 포함",
        Stokes::Added => "스토크스 표류: 파일의 스토크스 변수를 더함",
        Stokes::Absent => "스토크스 표류: 자료에 없어 넣지 않음 (바람 영향이 대신함)",
    };
    let _ = writeln!(s, "{stokes_ko} / {}", r.stokes_note);
    let _ = writeln!(
        s,
        "해류 / currents: `{}` ({} {} x {}, {} 시각 / times, {} to {})",
        r.currents.path.display(),
        r.currents.u_variable,
        r.currents.nx,
        r.currents.ny,
        r.currents.n_times,
        saebaram_forecast::time::format_rfc3339(r.currents.first_time_s as i64),
        saebaram_forecast::time::format_rfc3339(r.currents.last_time_s as i64),
    );
    if let Some(w) = &r.wind {
        let _ = writeln!(
            s,
            "바람 / wind: `{}` ({}/{})",
            w.path.display(),
            w.u_variable,
            w.v_variable
        );
    }
    for note in &r.notes {
        let _ = writeln!(s, "note: {note}");
    }
    let stranded_elsewhere = r.windows.iter().any(|w| {
        w.ends
            .iter()
            .any(|e| e.end == End::Stranded && e.region == "south_korea")
    });
    if stranded_elsewhere {
        let _ = writeln!(
            s,
            "note: 일부 병은 남한 해안에 닿습니다 / some bottles strand on the South's coast"
        );
    }
    let _ = writeln!(
        s,
        "해안선 / coastline: {}. Made with Natural Earth.",
        r.coastline
    );
    let _ = SEA_SITES;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn korean_cells_pad_by_display_width() {
        assert_eq!(cell("북한 해안", 9, true), "북한 해안");
        assert_eq!(cell("남한", 9, true), "     남한");
        assert_eq!(cell("rank", 6, false), "rank  ");
        assert_eq!(cell("P(North)", 9, true).width(), 9);
        // The two header lines and a data row put every column boundary at the same
        // terminal column (what the eye sees), though their byte and char counts differ.
        let widths: usize = COLUMNS.iter().map(|c| c.0).sum::<usize>() + COLUMNS.len() - 1;
        for line in [
            [
                "순위",
                "던질 시각 (KST)",
                "UTC",
                "북한 해안",
                "남한 해안",
                "떠 있음",
                "자료에서 멈춤",
                "걸린 시간",
            ],
            [
                "rank", "throw", "", "P(North)", "P(South)", "afloat", "stopped", "median h",
            ],
            [
                "1",
                "12-05 18:00",
                "2026-12-05T09:00:00Z",
                "63%",
                "5%",
                "20%",
                "12%",
                "4.3",
            ],
        ] {
            let cells: Vec<String> = line
                .iter()
                .zip(COLUMNS)
                .map(|(t, (w, r))| cell(t, w, r))
                .collect();
            assert!(
                cells.iter().zip(COLUMNS).all(|(c, (w, _))| c.width() == w),
                "{cells:?}"
            );
            assert_eq!(cells.join(" ").width(), widths);
        }
    }
}
