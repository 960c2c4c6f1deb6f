//! `saebaram plan`: Monte-Carlo ensembles over a range of launch times, ranked. The plan is
//! `saebaram_jobs::plan`; this module parses flags into a request and renders the report
//! (table, `--json`, GeoJSON, the HTML map, `--record`).

use std::fmt::Write as _;
use std::path::PathBuf;

use saebaram_jobs::plan::{PlanReport, PlanRequest};
use saebaram_jobs::{Env, Stage, files, parse};

use super::predict::{FlightArgs, terrain_summary};
use crate::output::Status;
use crate::progress::Terminal;

/// Arguments of `saebaram plan`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram plan                                   every built-in site on the embedded sample (one time)
  saebaram plan --site paju,gimpo,ganghwa --forecast latest   (site, hour) pairs ranked together
  saebaram plan --site all --target city:Pyongyang:40km       where and when to reach Pyongyang
  saebaram plan --site gimpo --target city:Pyongyang:40km --members 400
  saebaram plan --site 37.75,126.49 --from 2019-06-05T12:00Z --to 2019-06-06T12:00Z --every 2h
  saebaram plan --preset usb-packets --target province:hwanghae-bukto --json > plan.json
  saebaram plan --forecast gfs.grib2 --geojson landings.geojson --html plan.html

Each launch window flies --members ensemble members: launch time ±30 min and point 500 m,
the free lift the crew measures ×lognormal(0.10) with the fill derived from it (a given
--fill: ±5 % instead), drag ×lognormal(0.10), volume and masses ±5 %, day superheat ±50 %
when set, burst overshoot 0-500 m, leak
0.1-3 %/h log-uniform (with --leak L: L/3 to 3L), timer jitter and failures, leaflet fall
speeds, and a wind error growing with lead time (2.5 m/s, +1.5 m/s per day), correlated over
6 h and 1.5 km. Probabilities are of the main payload's landing (leaflets: the median of a
member's leaflets). The same --seed gives the same output at any thread count. Presets: see
`saebaram predict --help`.

P(heavy town) is the share of members with a heavy intact fall (the envelope landing with
1 kg or more of payload still tied to it, or a released bundle of 1 kg or more falling at
10 m/s or faster: a sack, not leaflets or packets) on South Korean land within the populated
radius of one of the 311 South Korean GeoNames places of 500 or more people, border towns
included (max(5 km, the disc its population fills at 3,000 per km²); 5 km where GeoNames
does not know the population). Windows whose P(heavy town) is over --max-heavy-risk
(default 1 %) are marked `RISK` and ranked after every window within it, whatever their
P(target); when no window is within it, the plan recommends none and exits 1. `*` marks
heavy falls elsewhere in South Korea only.

--prefilter skips, before the ensemble, windows whose layer-mean wind from the launch height
to 5 km points away from the North (no bearing within 20° of it reaches North Korea within
500 km); they are listed, never silently dropped. The other windows get the same numbers
as without it.
Exit 0: at least one window within --max-heavy-risk has P(target) > 0; 1: none does (no
window reaches the target, or every window is too risky); 2: bad input.")]
pub struct PlanArgs {
    /// Launch site(s) by name (`saebaram sites`), several joined by commas
    /// (`paju,gimpo,ganghwa`), `all`, or one LAT,LON. Several sites rank their (site, hour)
    /// windows together. Default: Paju; on a forecast of one time (the built-in sample),
    /// every built-in site at that time.
    #[arg(long, value_name = "NAME[,NAME..]|all|LAT,LON")]
    pub site: Option<String>,
    /// First launch time, UTC (default: the forecast's first time).
    #[arg(long, value_name = "TIME")]
    pub from: Option<String>,
    /// Last launch time, UTC (default: 23 h after --from, within the forecast).
    #[arg(long, value_name = "TIME")]
    pub to: Option<String>,
    /// Time between launch windows: `30m`, `1h`, `3h`.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub every: String,
    /// Ensemble members per window.
    #[arg(long, default_value_t = 200)]
    pub members: u32,
    /// Leaflet particles per member (the leaflet density map).
    #[arg(long, default_value_t = 50)]
    pub particles: u32,
    /// Target: `north`, `province:NAME`, `city:NAME[:RADIUS]`, `LAT,LON[:RADIUS]`, optionally
    /// followed by `:pop` to weight by population.
    #[arg(long, default_value = "north")]
    pub target: String,
    /// Random seed: the same seed gives the same plan.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Rows of the ranked table.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Skip windows whose layer-mean wind (launch height to 5 km) points away from the
    /// North (within 20°, 500 km); skipped windows are listed with the wind that ruled them
    /// out.
    #[arg(long)]
    pub prefilter: bool,
    /// Highest acceptable chance of a heavy intact fall on a populated South Korean place,
    /// per cent (`1`, `0.5%`, `0` for none; default 1). Windows over it are listed, marked
    /// RISK and ranked after every window within it; when none is within it the plan
    /// recommends no window and exits 1.
    #[arg(
        long,
        value_name = "PCT",
        default_value = "1",
        allow_hyphen_values = true
    )]
    pub max_heavy_risk: String,
    #[command(flatten)]
    pub flight: FlightArgs,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also write landings and leaflet density as GeoJSON.
    #[arg(long, value_name = "FILE")]
    pub geojson: Option<PathBuf>,
    #[command(flatten)]
    pub html: super::map_output::HtmlArgs,
    #[command(flatten)]
    pub record: super::recording::RecordArgs,
}

/// Runs `saebaram plan`.
pub fn run(args: PlanArgs, env: &Env) -> anyhow::Result<Status> {
    let request = PlanRequest {
        site: args.site.clone().unwrap_or_default(),
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
        particles: args.particles,
        target: args.target.clone(),
        seed: args.seed,
        prefilter: args.prefilter,
        max_heavy_risk: parse::percent("max_heavy_risk", "--max-heavy-risk", &args.max_heavy_risk)?,
        flight: args.flight.options()?,
        forecast: args.flight.forecast_name(),
        terrain_dir: args.flight.terrain.clone(),
    };
    let terminal =
        Terminal::new().with_message(Stage::Flights, format!("{} members each", args.members));
    let report = saebaram_jobs::plan::run(request, env, &terminal)?;
    let value = report.to_json()?;
    if let Some(path) = &args.geojson {
        let text = saebaram_jobs::plan::geojson(&report).to_string();
        files::write_atomically(path, text.as_bytes())?;
    }
    if let Some(path) = &args.html.html {
        if report.windows.is_empty() {
            return Err(saebaram_jobs::Error::NothingToDraw.into());
        }
        let lang = super::map_output::page_lang(args.html.lang);
        let html = saebaram_jobs::map::plan_html_from_value(&value, lang)?;
        saebaram_jobs::map::write_html(path, &html)?;
    }
    super::recording::record_launch_plan(&args.record, &report, env)?;
    if args.json {
        println!("{}", serde_json::to_string(&value)?);
        for w in &report.terrain.warnings {
            terminal.line(w);
        }
    } else {
        print!("{}", table(&args, &report));
        print!("{}", terrain_summary(&report.terrain));
    }
    Ok(if report.reaches_target() {
        Status::Done
    } else {
        Status::Negative
    })
}

fn table(args: &PlanArgs, r: &PlanReport) -> String {
    let order = &r.order;
    let mut s = String::new();
    let multi = r.sites.len() > 1;
    let site_list: Vec<String> = r.sites.iter().map(|x| x.label()).collect();
    let _ = writeln!(
        s,
        "Plan: {} from {}, target {}, {} members per window, seed {}",
        r.profile.name,
        site_list.join(", "),
        r.target.label,
        args.members,
        args.seed
    );
    if let Some(why) = r.site_comparison {
        let _ = writeln!(s, "Comparing launch sites: {why}");
    }
    if !r.forecast_members_flown.is_empty() {
        let _ = writeln!(
            s,
            "Forecast ensemble: {} members ({}), flown in turn; wind error: the sub-grid part only",
            r.forecast_members_flown.len(),
            saebaram_forecast::describe_numbers(&r.forecast_members_flown)
        );
    }
    let site_col = |name: &str| {
        if multi {
            format!("{name:<12}")
        } else {
            String::new()
        }
    };
    let _ = writeln!(
        s,
        "{:>4}  {}{:<20} {:>8} {:>8} {:>6} {:>6} {:>6} {:>8} {:>10} {:>9}  P(heavy town)",
        "rank",
        site_col("site"),
        "launch (UTC)",
        "P(tgt)",
        "P(North)",
        "P(DMZ)",
        "P(sea)",
        "P(ROK)",
        "P(other)",
        "median km",
        "p90 km",
    );
    for (rank, &i) in order.iter().take(args.top.max(1)).enumerate() {
        let Some(w) = r.windows.get(i) else {
            continue;
        };
        let (st, h) = (&w.stats, &w.heavy);
        let mark = if w.over_heavy_risk_limit {
            "RISK"
        } else if h.p_heavy_populated_south > 0.0 {
            "!"
        } else if h.p_heavy_south > 0.0 {
            "*"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "{:>4}  {}{:<20} {:>7.0}% {:>7.0}% {:>5.0}% {:>5.0}% {:>5.0}% {:>7.0}% {:>10.1} {:>9.1}  {:>12.0}% {}",
            rank + 1,
            site_col(&w.site),
            w.launch_time,
            st.p_target * 100.0,
            st.p_north * 100.0,
            st.p_dmz * 100.0,
            st.p_sea * 100.0,
            st.p_south * 100.0,
            st.p_other * 100.0,
            st.median_distance_km,
            st.p90_distance_km,
            h.p_heavy_populated_south * 100.0,
            mark
        );
    }
    if order.len() > args.top {
        let _ = writeln!(
            s,
            "({} more windows: --top N or --json)",
            order.len() - args.top
        );
    }
    let shown = &order[..order.len().min(args.top.max(1))];
    let heavy = |i: usize| r.windows.get(i).map(|w| &w.heavy);
    let over = |i: usize| r.windows.get(i).is_some_and(|w| w.over_heavy_risk_limit);
    if shown.iter().any(|&i| over(i)) {
        let _ = writeln!(
            s,
            "RISK over --max-heavy-risk ({} %): heavy intact falls (a sack, or the balloon with its payload still tied) on a populated place in South Korea; ranked after every window within the limit",
            r.max_heavy_risk * 100.0
        );
        for &i in shown.iter().filter(|&&i| over(i)) {
            let Some(w) = r.windows.get(i) else { continue };
            let places: Vec<String> = w
                .heavy_places_at_risk
                .iter()
                .take(3)
                .map(|p| format!("{} {:.1} %", p.name, p.p * 100.0))
                .collect();
            let _ = writeln!(
                s,
                "     {}{:<20} {}",
                site_col(&w.site),
                w.launch_time,
                places.join(", ")
            );
        }
    }
    if shown
        .iter()
        .any(|&i| !over(i) && heavy(i).is_some_and(|h| h.p_heavy_populated_south > 0.0))
    {
        let _ = writeln!(
            s,
            "! heavy intact falls on a populated place in South Korea, within --max-heavy-risk"
        );
    }
    if shown.iter().any(|&i| {
        heavy(i).is_some_and(|h| h.p_heavy_south > 0.0 && h.p_heavy_populated_south == 0.0)
    }) {
        let _ = writeln!(
            s,
            "* heavy intact falls in South Korea, outside the populated discs of its 311 listed places (not an all-clear)"
        );
    }
    let skipped = &r.skipped_windows;
    if skipped.is_empty() && args.prefilter {
        let _ = writeln!(s, "pre-filter: no window skipped");
    }
    if !skipped.is_empty() {
        let _ = writeln!(
            s,
            "pre-filter: {} of {} windows skipped, not flown (run without --prefilter to fly them):",
            skipped.len(),
            skipped.len() + order.len()
        );
        for w in skipped {
            let _ = writeln!(
                s,
                "      {}{:<20} {}",
                site_col(&w.site),
                w.launch_time,
                w.prefilter.reason
            );
        }
    }
    if order.is_empty() {
        let _ = writeln!(s, "no window was flown: nothing to rank");
    }
    for w in &r.warnings {
        let _ = writeln!(s, "{}", crate::progress::both_languages("WARNING", w));
    }
    if let Some(w) = r.best_window().filter(|w| !w.by_forecast_member.is_empty()) {
        let parts: Vec<String> = w
            .by_forecast_member
            .iter()
            .map(|m| format!("{} {:.0}%", m.member, m.p_north * 100.0))
            .collect();
        let _ = writeln!(
            s,
            "best window, P(North) per forecast member: {}",
            parts.join(", ")
        );
    }
    if let Some(st) = r.best_window().map(|w| &w.stats) {
        if st.p_unresolved > 0.0 {
            let _ = writeln!(
                s,
                "note: {:.0} % of the best window's members did not come down inside the forecast (counted as other)",
                st.p_unresolved * 100.0
            );
        }
        if st.p_failed > 0.0 {
            let _ = writeln!(
                s,
                "note: {:.0} % of its members' balloons could not fly (no free lift after perturbation)",
                st.p_failed * 100.0
            );
        }
    }
    if r.steady {
        let _ = writeln!(
            s,
            "note: the forecast has one time, held steady: windows differ only by the ensemble's\nrandom draws and lead-time error, not by weather. Compare sites and presets, not hours."
        );
    }
    let _ = writeln!(
        s,
        "Winds: {}. Geography: Made with Natural Earth. {}",
        r.forecast.credit,
        saebaram_geo::PLACES_CREDIT
    );
    s
}
