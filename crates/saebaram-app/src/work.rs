//! The app's side of `saebaram-jobs`: job events become registry snapshots, job errors and
//! warnings become [`Message`]s the page words in its language, and the requests the page
//! sends become job requests. No job is done here: every one is a `saebaram_jobs` call.

use std::sync::Mutex;

use saebaram_jobs::{Error, Event, Progress, Warning};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::i18n::Message;
use crate::registry::Reporter;

/// The snake_case name serde gives a unit enum variant (`Stage::Flights` is `flights`).
fn code_of<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A job's events into the registry; cancellation from the registry into the job.
pub(crate) struct Sink<'a> {
    pub reporter: &'a Reporter,
}

impl Progress for Sink<'_> {
    fn event(&self, event: Event) {
        match event {
            Event::StageStarted { stage, total, unit } => {
                self.reporter
                    .stage(&code_of(&stage), total.unwrap_or(0), &code_of(&unit));
            }
            Event::Step { done, total, .. } => self.reporter.step(done, total.unwrap_or(0)),
            Event::Warning { warning } => self.reporter.warn(warning_message(&warning)),
            _ => {}
        }
    }

    fn cancelled(&self) -> bool {
        self.reporter.cancelled()
    }
}

/// A warning as a message: its code, its fields as parameters, its English text as detail.
pub(crate) fn warning_message(warning: &Warning) -> Message {
    let mut params = match serde_json::to_value(warning) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let code = params
        .remove("code")
        .and_then(|c| c.as_str().map(str::to_owned))
        .unwrap_or_else(|| "internal".to_owned());
    // Shares as per cent, places as one list, as the page shows them.
    if let Some(share) = params.get("share").and_then(Value::as_f64) {
        params.insert("share".into(), json!(format!("{:.1}", share * 100.0)));
    }
    for key in ["max_heavy_risk", "lowest"] {
        if let Some(v) = params.get(key).and_then(Value::as_f64) {
            params.insert(key.into(), json!(format!("{:.1}", v * 100.0)));
        }
    }
    if let Some(Value::Array(places)) = params.get("places").cloned() {
        let list: Vec<String> = places
            .iter()
            .filter_map(|p| {
                let name = p.get(0)?.as_str()?;
                let share = p.get(1)?.as_f64()?;
                Some(format!("{name} {:.1}%", share * 100.0))
            })
            .collect();
        params.insert("places".into(), json!(list.join(", ")));
    }
    Message {
        code: format!("warn_{code}"),
        params,
        detail: warning.to_string(),
    }
}

/// The codes [`warning_message`] can produce (each needs `msg.warn_<code>`).
pub(crate) const WARNING_CODES: &[&str] = &[
    "warn_embedded_sample_flight",
    "warn_steady_forecast",
    "warn_embedded_sample",
    "warn_terrain_missing_tiles",
    "warn_terrain_void_tiles",
    "warn_terrain_outside_area",
    "warn_heavy_fall_on_populated_places",
    "warn_no_safe_window",
    "warn_root_unresolved",
    "warn_forbidden_string_in_text",
    "warn_records_upgraded",
    "warn_cleaning_first",
    "warn_no_korean_subtitles",
    "warn_convert_failed",
    "warn_clean_changed_output",
];

/// A job error as a message: its kind's code, the request field at fault, and the whole
/// English chain (the error and its causes) as the detail.
pub(crate) fn error_message(error: &Error) -> Message {
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    let mut m = Message::new(error.kind().code(), detail);
    if let Some(field) = error.field() {
        m = m.with("field", field);
    }
    m
}

/// The error codes of `saebaram_jobs::ErrorKind` (each needs `msg.<code>`).
pub(crate) const ERROR_CODES: &[&str] = &[
    "invalid_request",
    "forecast_not_found",
    "forecast_ambiguous",
    "no_cache_dir",
    "forecast",
    "forecast_query",
    "outside_forecast",
    "no_run_available",
    "flight",
    "geo",
    "place",
    "terrain",
    "dem_outside_forecast",
    "map",
    "nothing_to_draw",
    "forbidden_strings",
    "empty_forbidden_strings",
    "clean",
    "blocked",
    "layout",
    "timestamps",
    "pack",
    "does_not_fit",
    "image_manifest",
    "bad_image_manifest",
    "image_changed",
    "drives",
    "target_refused",
    "open_device",
    "drive_too_small",
    "probe",
    "verify",
    "wrong_passphrase",
    "records",
    "record_invalid",
    "no_database",
    "nothing_to_destroy",
    "no_data_dir",
    "exists",
    "passphrase_unavailable",
    "forbidden_text",
    "io",
    "random",
    "cancelled",
    "convert",
];

// ---------- the forecast in use ----------

/// Which forecast plans use: `None` is the embedded 2019 sample; otherwise a path or a
/// cached run's name, as the CLI's `--forecast`.
#[derive(Default)]
pub(crate) struct ForecastChoice {
    pub name: Mutex<Option<String>>,
}

/// What the Forecast screen shows of the forecast in use: `saebaram_jobs::forecast::info`
/// (the `forecast info --json` report) plus its age.
pub(crate) fn forecast_status(
    name: Option<&str>,
    env: &saebaram_jobs::Env,
) -> Result<Value, Message> {
    let request = saebaram_jobs::forecast::InfoRequest {
        forecast: name.map(str::to_owned),
        ..Default::default()
    };
    let report = saebaram_jobs::forecast::info(request, env, &saebaram_jobs::Silent)
        .map_err(|e| error_message(&e))?;
    let info = &report.info;
    let now = env.now_unix_s();
    Ok(json!({
        "name": name,
        "summary": {
            "source": report.source,
            "credit": report.credit,
            "origin": report.forecast,
            "run_time": report.run,
        },
        "embedded_sample": report.embedded_sample,
        "steady": report.steady,
        "run_unix_s": info.run_unix_s,
        "valid_from_unix_s": info.valid_unix_s.first(),
        "valid_to_unix_s": info.valid_unix_s.last(),
        "now_unix_s": now,
        "age_s": now - info.run_unix_s,
    }))
}

// ---------- the forecasts saved on this computer, and fetching one ----------

/// What the Forecast screen lists: the cache's runs (`saebaram_jobs::forecast::list`, the
/// `forecast list` report) and the files imported from the page, each under the name
/// `/api/forecast/use` takes (its path), and which one plans use now (`null`: the built-in
/// 2019 sample). Damaged cache files are listed with the reason, never offered for use.
pub(crate) fn saved_forecasts(
    in_use: Option<&str>,
    env: &saebaram_jobs::Env,
) -> Result<Value, Message> {
    let list =
        saebaram_jobs::forecast::list(Default::default(), env).map_err(|e| error_message(&e))?;
    let mut runs = Vec::new();
    let mut unreadable = Vec::new();
    for entry in &list.runs {
        match entry {
            saebaram_jobs::forecast::CacheEntry::Run(r) => runs.push(json!({
                "name": r.path.to_string_lossy(),
                "file": r.path.file_name().map(|n| n.to_string_lossy().into_owned()),
                "run_name": r.run_name,
                "run": r.run,
                "source": r.source,
                "bytes": r.bytes,
                "first_step_h": r.steps_h.first(),
                "last_step_h": r.steps_h.last(),
                "steps": r.steps_h.len(),
            })),
            saebaram_jobs::forecast::CacheEntry::Unreadable(u) => unreadable.push(json!({
                "file": u.path.file_name().map(|n| n.to_string_lossy().into_owned()),
                "bytes": u.bytes,
                "error": u.error,
            })),
        }
    }
    let mut imported = Vec::new();
    let dir = list.cache_dir.join(IMPORTED_DIR);
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            // `.import-*` are uploads still being checked.
            if name.starts_with('.') {
                continue;
            }
            if let Ok(meta) = e.metadata()
                && meta.is_file()
            {
                imported.push(json!({
                    "name": e.path().to_string_lossy(),
                    "file": name,
                    "bytes": meta.len(),
                }));
            }
        }
    }
    imported.sort_by(|a, b| a["file"].as_str().cmp(&b["file"].as_str()));
    Ok(json!({
        "in_use": in_use,
        "cache_dir": list.cache_dir.to_string_lossy(),
        "runs": runs,
        "imported": imported,
        "unreadable": unreadable,
    }))
}

/// The cache's subfolder for forecast files brought in through the page.
pub(crate) const IMPORTED_DIR: &str = "imported";

/// What the Forecast screen sends to fetch a run: the model and how many hours ahead.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FetchForm {
    pub model: saebaram_jobs::forecast::FetchModel,
    /// Hours ahead from the run (the page offers 48 to 240).
    pub hours: u32,
}

impl FetchForm {
    /// The job's request: the latest run that answers, hours `0-N`, the Korean region, the
    /// model's default levels and terrain, the face's servers (as `forecast fetch` with no
    /// options but `--hours`).
    pub(crate) fn request(&self) -> Result<saebaram_jobs::forecast::FetchRequest, Message> {
        if !(6..=240).contains(&self.hours) {
            return Err(Message::new(
                "invalid_request",
                format!("hours {}: choose 6 to 240", self.hours),
            )
            .with("field", "hours"));
        }
        Ok(saebaram_jobs::forecast::FetchRequest {
            model: self.model,
            hours: format!("0-{}", self.hours),
            ..Default::default()
        })
    }
}

/// Fetches a run into the cache (`saebaram_jobs::forecast::fetch`); on success plans use it.
pub(crate) fn run_fetch(
    request: saebaram_jobs::forecast::FetchRequest,
    env: &saebaram_jobs::Env,
    reporter: &Reporter,
    choice: &ForecastChoice,
) -> Result<Value, Message> {
    let report = saebaram_jobs::forecast::fetch(request, env, &Sink { reporter })
        .map_err(|e| error_message(&e))?;
    let name = report.cache_file.to_string_lossy().into_owned();
    // The new file is opened as plans would open it before it is chosen.
    let status = forecast_status(Some(&name), env)?;
    *crate::registry::lock(&choice.name) = Some(name);
    Ok(json!({
        "fetched": serde_json::to_value(&report).unwrap_or(Value::Null),
        "status": status,
    }))
}

// ---------- plan ----------

/// What the Plan screen sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanForm {
    /// Built-in site names (or one `LAT,LON`): their windows are flown and ranked together
    /// in one plan, as `saebaram plan --site a,b`.
    pub sites: Vec<String>,
    pub preset: String,
    pub target: String,
    pub from_unix_s: Option<f64>,
    pub to_unix_s: Option<f64>,
    pub every_s: f64,
    pub members: u32,
    pub seed: u64,
}

/// Most sites one plan job flies (every built-in site).
pub(crate) const MAX_SITES: usize = 7;

impl PlanForm {
    /// The job's request: the sites joined by commas, as the CLI's `--site a,b`.
    pub(crate) fn request(&self, forecast: Option<String>) -> saebaram_jobs::plan::PlanRequest {
        let sites: Vec<&str> = self.sites.iter().map(|s| s.trim()).collect();
        saebaram_jobs::plan::PlanRequest {
            site: sites.join(","),
            from_unix_s: self.from_unix_s,
            to_unix_s: self.to_unix_s,
            every_s: self.every_s,
            members: self.members,
            target: self.target.clone(),
            seed: self.seed,
            flight: saebaram_jobs::flight_options::FlightOptions {
                preset: Some(self.preset.clone()),
                ..Default::default()
            },
            forecast,
            ..Default::default()
        }
    }
}

/// Runs one `saebaram_jobs::plan::run` over every chosen site (their windows ranked
/// together, the plan the CLI makes with `--site a,b`); the report is `plan --json`'s.
pub(crate) fn run_plan(
    form: PlanForm,
    forecast: Option<String>,
    env: &saebaram_jobs::Env,
    reporter: &Reporter,
    last: &Mutex<Option<LastPlan>>,
) -> Result<Value, Message> {
    let request = form.request(forecast);
    let report = saebaram_jobs::plan::run(request, env, &Sink { reporter })
        .map_err(|e| error_message(&e))?;
    let value = report
        .to_json()
        .map_err(|e| Message::internal(format!("the plan cannot be serialised: {e}")))?;
    *crate::registry::lock(last) = Some(LastPlan {
        job: reporter.job_id(),
        report,
    });
    Ok(value)
}

/// The typed report of the last finished plan job, for recording a window of it.
pub(crate) struct LastPlan {
    pub job: u64,
    pub report: saebaram_jobs::plan::PlanReport,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_keeps_its_code_and_fields() {
        let m = warning_message(&Warning::HeavyFallOnPopulatedPlaces {
            share: 0.081,
            places: vec![("Seoul".into(), 0.08), ("Incheon".into(), 0.001)],
        });
        assert_eq!(m.code, "warn_heavy_fall_on_populated_places");
        assert_eq!(m.params["share"], "8.1");
        assert_eq!(m.params["places"], "Seoul 8.0%, Incheon 0.1%");
        assert!(m.detail.contains("Seoul"));
    }

    #[test]
    fn no_safe_window_shows_its_limit_and_lowest_share_as_per_cent() {
        let m = warning_message(&Warning::NoSafeWindow {
            max_heavy_risk: 0.01,
            lowest: 0.035,
        });
        assert_eq!(m.code, "warn_no_safe_window");
        assert_eq!(m.params["max_heavy_risk"], "1.0");
        assert_eq!(m.params["lowest"], "3.5");
        assert!(m.detail.contains("no launch window is safe"));
    }

    #[test]
    fn several_sites_are_one_request_as_the_cli_sends_them() {
        let form = PlanForm {
            sites: vec!["paju".into(), " ganghwa".into()],
            preset: "ffnk-tube".into(),
            target: "city:Pyongyang:40".into(),
            from_unix_s: Some(1.0),
            to_unix_s: None,
            every_s: 7200.0,
            members: 50,
            seed: 7,
        };
        let r = form.request(Some("gfs".into()));
        assert_eq!(r.site, "paju,ganghwa");
        assert_eq!(r.flight.preset.as_deref(), Some("ffnk-tube"));
        assert_eq!((r.members, r.seed, r.every_s), (50, 7, 7200.0));
        assert_eq!(r.forecast.as_deref(), Some("gfs"));
    }

    #[test]
    fn an_error_names_its_field_and_keeps_its_chain() {
        let err = saebaram_jobs::plan::run(
            saebaram_jobs::plan::PlanRequest {
                members: 0,
                ..Default::default()
            },
            &saebaram_jobs::Env::fixed(0, 1),
            &saebaram_jobs::Silent,
        )
        .unwrap_err();
        let m = error_message(&err);
        assert_eq!(m.code, "invalid_request");
        assert_eq!(m.params["field"], "members");
    }
}
