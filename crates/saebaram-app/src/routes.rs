//! The routes: the page, its assets, and the JSON API under `/api`. Every route sits
//! behind the guard of `security.rs`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::AppState;
use crate::i18n::Message;
use crate::registry::{Job, JobState, Kind};

/// Shortest time between two snapshots of one job on its stream (at most 10 a second).
const MIN_GAP: Duration = Duration::from_millis(100);
/// Longest time without a snapshot while a job runs: the elapsed time moves on the page
/// even when the job reports nothing (at least 2 a second).
const MAX_GAP: Duration = Duration::from_millis(400);

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(|| async { crate::assets::index() }))
        .route(
            "/assets/{name}",
            get(|Path(name): Path<String>| async move { crate::assets::serve(&name) }),
        )
        .route("/api/session", get(session))
        .route("/api/jobs", get(jobs))
        .route("/api/jobs/{id}", get(job))
        .route("/api/jobs/{id}/events", get(events))
        .route("/api/jobs/{id}/result", get(result))
        .route("/api/jobs/{id}/cancel", post(cancel))
        .route("/api/jobs/{id}/map", get(plan_map))
        .route("/api/forecast", get(forecast))
        .route("/api/forecast/import", post(forecast_import))
        .route("/api/forecast/saved", get(forecast_saved))
        .route("/api/forecast/use", post(forecast_use))
        .route("/api/forecast/fetch", post(forecast_fetch))
        .route("/api/plan", post(plan))
        .route("/api/plan/record", post(plan_record))
        .route("/api/folders", get(folders))
        .route("/api/convert", post(convert))
        .route("/api/drives", get(drives))
        .route("/api/prepare", post(prepare))
        .route("/api/flash", post(flash))
        .route("/api/records", get(records_status))
        .route("/api/records/key", get(records_key))
        .route("/api/records/unlock", post(records_unlock))
        .route("/api/records/lock", post(records_lock))
        .route("/api/records/list", get(records_list))
        .route("/api/records/add", post(records_add))
        .route("/api/records/correct", post(records_correct))
        .route("/api/records/report", post(records_report))
        .route("/api/records/export", post(records_export))
        .route("/api/records/import", post(records_import))
        .route("/api/records/keygen", post(records_keygen))
        .route("/api/records/destroy", post(records_destroy))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::security::guard,
        ))
        .with_state(state)
}

/// An API error: a status and the message the page shows.
pub(crate) struct ApiError(pub StatusCode, pub Message);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

fn find(state: &AppState, id: u64) -> ApiResult<Arc<Job>> {
    state.registry.get(id).ok_or_else(|| {
        ApiError(
            StatusCode::NOT_FOUND,
            Message::new("no_such_job", format!("no job {id}")).with("id", id),
        )
    })
}

/// What the page needs on load: the version and every kept job (to reattach to a running
/// flash after the tab was closed).
async fn session(State(state): State<Arc<AppState>>) -> Json<Value> {
    let jobs: Vec<_> = state.registry.all().iter().map(|j| j.snapshot()).collect();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "jobs": jobs,
    }))
}

async fn jobs(State(state): State<Arc<AppState>>) -> Json<Value> {
    let jobs: Vec<_> = state.registry.all().iter().map(|j| j.snapshot()).collect();
    Json(json!({ "jobs": jobs }))
}

async fn job(State(state): State<Arc<AppState>>, Path(id): Path<u64>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(find(&state, id)?.snapshot())))
}

async fn result(State(state): State<Arc<AppState>>, Path(id): Path<u64>) -> ApiResult<Response> {
    let job = find(&state, id)?;
    job.result().map(|v| json_response(&v)).ok_or_else(|| {
        ApiError(
            StatusCode::CONFLICT,
            Message::new("not_finished", format!("job {id} has no report")).with("id", id),
        )
    })
}

async fn cancel(State(state): State<Arc<AppState>>, Path(id): Path<u64>) -> ApiResult<Json<Value>> {
    let job = find(&state, id)?;
    job.request_cancel();
    Ok(Json(json!(job.snapshot())))
}

/// The job's snapshots as server-sent events: one at once, then one whenever it changed
/// (at most every [`MIN_GAP`]) and at least every [`MAX_GAP`] while it runs; the stream
/// ends after the final snapshot.
async fn events(
    State(state): State<Arc<AppState>>,
    Path(id): Path<u64>,
) -> ApiResult<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>> {
    let job = find(&state, id)?;
    let rx = job.subscribe();
    struct St {
        job: Arc<Job>,
        rx: tokio::sync::watch::Receiver<u64>,
        last: Option<tokio::time::Instant>,
        ended: bool,
    }
    let stream = futures_util::stream::unfold(
        St {
            job,
            rx,
            last: None,
            ended: false,
        },
        |mut st| async move {
            if st.ended {
                return None;
            }
            if let Some(last) = st.last {
                let running = st.job.snapshot().state == JobState::Running;
                if running {
                    // Wait for a change or the longest gap, whichever comes first.
                    let _ = tokio::time::timeout_at(last + MAX_GAP, st.rx.changed()).await;
                }
                tokio::time::sleep_until(last + MIN_GAP).await;
            }
            st.rx.mark_unchanged();
            let snap = st.job.snapshot();
            st.ended = snap.state != JobState::Running;
            st.last = Some(tokio::time::Instant::now());
            let event = Event::default()
                .event("progress")
                .json_data(&snap)
                .unwrap_or_else(|_| Event::default().event("progress").data("{}"));
            Some((Ok(event), st))
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// A JSON body from a shared value without cloning it.
pub(crate) fn json_response(v: &Value) -> Response {
    match serde_json::to_vec(v) {
        Ok(body) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
        Err(e) => ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            Message::internal(e.to_string()),
        )
        .into_response(),
    }
}

/// The answer to a second start of a running kind of job: 409 with the running job's id,
/// which the page attaches to (`busy`); or, when a job of another kind that conflicts runs
/// (a flash while preparing an image), `busy_other` naming it.
pub(crate) fn busy(kind: Kind, b: crate::registry::Busy) -> ApiError {
    let running = b.running;
    let code = if b.kind == kind { "busy" } else { "busy_other" };
    ApiError(
        StatusCode::CONFLICT,
        Message::new(
            code,
            format!("a {:?} job is already running (job {running})", b.kind),
        )
        .with("job", running)
        .with("kind", serde_json::to_value(b.kind).unwrap_or(Value::Null)),
    )
}

/// Reads a JSON body into `T`; anything else is a `bad_request` naming the problem.
fn parse<T: serde::de::DeserializeOwned>(body: Value) -> ApiResult<T> {
    serde_json::from_value(body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            Message::new("bad_request", e.to_string()).with("what", e.to_string()),
        )
    })
}

/// Runs blocking work (opening a forecast) off the server's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            Message::internal(e.to_string()),
        )
    })
}

/// The forecast in use: what it is, its age, and whether it is the 2019 sample.
async fn forecast(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let name = crate::registry::lock(&state.forecast.name).clone();
    let env = state.config.env.clone();
    let status = blocking(move || crate::work::forecast_status(name.as_deref(), &env)).await?;
    status
        .map(Json)
        .map_err(|m| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m))
}

/// The forecasts saved on this computer and the one in use.
async fn forecast_saved(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let name = crate::registry::lock(&state.forecast.name).clone();
    let env = state.config.env.clone();
    blocking(move || crate::work::saved_forecasts(name.as_deref(), &env))
        .await?
        .map(Json)
        .map_err(|m| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UseForm {
    /// A saved forecast's name from `/api/forecast/saved`; `null`: the built-in sample.
    name: Option<String>,
}

/// Plans use this forecast from now on: it is opened first, and a file that cannot be
/// opened leaves the choice as it was.
async fn forecast_use(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: UseForm = parse(body)?;
    let env = state.config.env.clone();
    let name = form.name.clone();
    let status = blocking(move || crate::work::forecast_status(name.as_deref(), &env))
        .await?
        .map_err(|m| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    *crate::registry::lock(&state.forecast.name) = form.name;
    Ok(Json(status))
}

/// Starts fetching the latest run of a model (`saebaram forecast fetch`); plans use it once
/// it is in the cache.
async fn forecast_fetch(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::work::FetchForm = parse(body)?;
    let request = form
        .request()
        .map_err(|m| ApiError(StatusCode::BAD_REQUEST, m))?;
    let env = state.config.env.clone();
    let shared = state.clone();
    let job = state
        .registry
        .start(Kind::ForecastFetch, move |reporter| {
            crate::work::run_fetch(request, &env, reporter, &shared.forecast)
        })
        .map_err(|b| busy(Kind::ForecastFetch, b))?;
    Ok(Json(json!(job.snapshot())))
}

/// Starts a plan of one or more sites.
async fn plan(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::work::PlanForm = parse(body)?;
    if form.sites.is_empty() || form.sites.len() > crate::work::MAX_SITES {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            Message::new(
                "no_site",
                format!(
                    "{} sites: choose 1 to {}",
                    form.sites.len(),
                    crate::work::MAX_SITES
                ),
            ),
        ));
    }
    let forecast = crate::registry::lock(&state.forecast.name).clone();
    let env = state.config.env.clone();
    let shared = state.clone();
    let job = state
        .registry
        .start(Kind::Plan, move |reporter| {
            crate::work::run_plan(form, forecast, &env, reporter, &shared.last_plan)
        })
        .map_err(|b| busy(Kind::Plan, b))?;
    Ok(Json(json!(job.snapshot())))
}

#[derive(serde::Deserialize)]
struct MapQuery {
    lang: Option<String>,
    download: Option<u8>,
}

/// The map of a finished plan job (every site's windows in one timeline, as `plan
/// --html`): saebaram-map's self-contained page, shown in a sandboxed frame (or saved as a
/// file with `download=1`).
async fn plan_map(
    State(state): State<Arc<AppState>>,
    Path(id): Path<u64>,
    Query(q): Query<MapQuery>,
) -> ApiResult<Response> {
    let job = find(&state, id)?;
    let plan = job.result().ok_or_else(|| {
        ApiError(
            StatusCode::CONFLICT,
            Message::new("not_finished", format!("job {id} has no report")),
        )
    })?;
    let lang = match q.lang.as_deref() {
        Some("en") => saebaram_jobs::map::Lang::En,
        _ => saebaram_jobs::map::Lang::Ko,
    };
    let sites: Vec<String> = plan["sites"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["name"].as_str())
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    let mut html = blocking(move || saebaram_jobs::map::plan_html_from_value(&plan, lang))
        .await?
        .map_err(|e| {
            ApiError(
                StatusCode::UNPROCESSABLE_ENTITY,
                crate::work::error_message(&e),
            )
        })?;
    if q.download != Some(1) {
        // In the app's frame only (a saved map stays `plan --html`'s page): the Plan screen
        // shows the launch time chosen in its table.
        let at = html.rfind("</body>").unwrap_or(html.len());
        html.insert_str(at, MAP_SELECT_SCRIPT);
    }
    let mut res = axum::response::Html(html).into_response();
    let h = res.headers_mut();
    if let Ok(v) =
        axum::http::HeaderValue::from_str(&crate::security::csp_map(state.guard.origin()))
    {
        h.insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    if q.download == Some(1) {
        let name = if sites.is_empty() {
            "site".to_owned()
        } else {
            sites.join("-")
        }
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
        let value = format!("attachment; filename=\"saebaram-plan-{name}.html\"");
        if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
            h.insert(axum::http::header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(res)
}

/// Added to the map in the Plan screen's frame: selects the window the page names by a
/// message from the page itself (the frame's origin is opaque, so the page posts to `*`; the
/// message is a window index and nothing else).
const MAP_SELECT_SCRIPT: &str = "<script>window.addEventListener('message', function (e) {\
 if (e.source !== window.parent || !e.data || typeof e.data.selectWindow !== 'number') return;\
 if (window.saebaramMap && window.saebaramMap.select) window.saebaramMap.select(e.data.selectWindow);\
});</script>";

/// Largest forecast file the page may bring (a GFS subset is tens of MB).
const MAX_IMPORT_BYTES: u64 = 2 << 30;

#[derive(serde::Deserialize)]
struct ImportQuery {
    name: Option<String>,
}

/// A forecast file brought from an online computer: saved under the forecast cache's
/// `imported/` folder, opened by `saebaram_jobs::forecast::open` to check it, and used for
/// plans from then on. A file that is not a forecast is removed and the reason shown.
async fn forecast_import(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Body,
) -> ApiResult<Json<Value>> {
    use futures_util::StreamExt as _;
    use std::io::Write as _;
    let io_error =
        |what: String| ApiError(StatusCode::INTERNAL_SERVER_ERROR, Message::new("io", what));
    let dir = state
        .config
        .env
        .forecast_cache(None)
        .map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                crate::work::error_message(&e),
            )
        })?
        .join(crate::work::IMPORTED_DIR);
    fs_err::create_dir_all(&dir).map_err(|e| io_error(e.to_string()))?;
    let name: String = q
        .name
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = match name.trim_start_matches('.') {
        "" => "forecast".to_owned(),
        n => n.to_owned(),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".import-")
        .tempfile_in(&dir)
        .map_err(|e| io_error(format!("{}: {e}", dir.display())))?;
    let mut stream = body.into_data_stream();
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError(
                StatusCode::BAD_REQUEST,
                Message::new("bad_request", e.to_string()).with("what", e.to_string()),
            )
        })?;
        written += chunk.len() as u64;
        if written > MAX_IMPORT_BYTES {
            return Err(ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                Message::new(
                    "too_large",
                    format!("{name}: over {MAX_IMPORT_BYTES} bytes"),
                )
                .with("max", "2 GB"),
            ));
        }
        tmp.write_all(&chunk)
            .map_err(|e| io_error(format!("{name}: {e}")))?;
    }
    let target = dir.join(&name);
    let env = state.config.env.clone();
    let checked = blocking(move || -> Result<Value, Message> {
        tmp.as_file()
            .sync_all()
            .map_err(|e| Message::new("io", e.to_string()))?;
        // Opened under its temporary name first: a bad file never replaces a good one.
        let tmp_path = tmp.path().to_string_lossy().into_owned();
        crate::work::forecast_status(Some(&tmp_path), &env).map_err(|mut m| {
            m.detail = m.detail.replace(&tmp_path, &name);
            m.params.insert("file".into(), json!(name));
            m
        })?;
        tmp.persist(&target)
            .map_err(|e| Message::new("io", e.to_string()))?;
        let path = target.to_string_lossy().into_owned();
        crate::work::forecast_status(Some(&path), &env)
    })
    .await?
    .map_err(|m| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    *crate::registry::lock(&state.forecast.name) = checked["name"].as_str().map(str::to_owned);
    Ok(Json(checked))
}

/// Starts converting videos (`saebaram convert`).
async fn convert(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::convert::ConvertForm = parse(body)?;
    let request = form
        .request()
        .map_err(|m| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    let env = state.config.env.clone();
    let job = state
        .registry
        .start(Kind::Convert, move |reporter| {
            crate::convert::run_convert(request, &env, reporter)
        })
        .map_err(|b| busy(Kind::Convert, b))?;
    Ok(Json(json!(job.snapshot())))
}

/// A folder under the user's home, for choosing a library, an output folder or a file.
async fn folders(
    State(state): State<Arc<AppState>>,
    Query(q): Query<crate::folders::FolderQuery>,
) -> ApiResult<Json<Value>> {
    let home = state.config.home_dir.clone();
    blocking(move || crate::folders::list(&home, &q))
        .await?
        .map(Json)
        .map_err(|m| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m))
}

/// The drives: the drives job's list (the system disk and mounted drives marked, never
/// selectable) and the face's file targets.
async fn drives(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    let system = state.config.system.clone();
    let files = state.config.file_drives.clone();
    let env = state.config.env.clone();
    blocking(move || crate::drives::list(&system, &files, &env))
        .await?
        .map(Json)
        .map_err(|m| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m))
}

/// Starts cleaning a library folder and packing it into the app's image.
async fn prepare(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::drives::PrepareForm = parse(body)?;
    let env = state.config.env.clone();
    let job = state
        .registry
        .start(Kind::Prepare, move |reporter| {
            crate::drives::run_prepare(form, &env, reporter)
        })
        .map_err(|b| busy(Kind::Prepare, b))?;
    Ok(Json(json!(job.snapshot())))
}

/// Starts writing the confirmed drives; each must be selectable in a fresh drive list.
async fn flash(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::drives::FlashForm = parse(body)?;
    let system = state.config.system.clone();
    let files = state.config.file_drives.clone();
    let env = state.config.env.clone();
    let checked = blocking(move || crate::drives::check_flash(&form, &system, &files, &env))
        .await?
        .map_err(|m| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m))?;
    let env = state.config.env.clone();
    let shared = state.clone();
    let job = state
        .registry
        .start(Kind::Flash, move |reporter| {
            crate::drives::run_flash(checked, &env, reporter, &shared.last_flash)
        })
        .map_err(|b| busy(Kind::Flash, b))?;
    Ok(Json(json!(job.snapshot())))
}

// ---------- records ----------

/// Runs a records call off the server's threads; its message becomes a 422.
async fn records_call(
    f: impl FnOnce() -> Result<Value, Message> + Send + 'static,
) -> ApiResult<Json<Value>> {
    blocking(f)
        .await?
        .map(Json)
        .map_err(|m| ApiError(StatusCode::UNPROCESSABLE_ENTITY, m))
}

async fn records_status(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    records_call(move || crate::records::status(&state.records, &state.config.env)).await
}

/// A one-time key to seal the passphrase with (`sealed.rs`).
async fn records_key(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    state
        .sealer
        .offer()
        .map(Json)
        .map_err(|m| ApiError(StatusCode::INTERNAL_SERVER_ERROR, m))
}

/// Unlocks (or creates) the records. The body holds the form sealed with a one-time key
/// (`sealed.rs`): the HTTP library's buffers, which cannot be zeroised, never hold the
/// passphrase. It is opened into a zeroised buffer and read into the form directly (no
/// intermediate JSON value holding it).
async fn records_unlock(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let sealed: crate::sealed::Sealed = parse(body)?;
    let plain = state
        .sealer
        .open(&sealed)
        .map_err(|m| ApiError(StatusCode::BAD_REQUEST, m))?;
    let form: crate::records::UnlockForm = serde_json::from_slice(&plain).map_err(|e| {
        // serde's message names the field at fault, never its value.
        ApiError(
            StatusCode::BAD_REQUEST,
            Message::new("bad_request", e.to_string()).with("what", e.to_string()),
        )
    })?;
    drop(plain);
    records_call(move || {
        crate::records::unlock(
            &state.records,
            form,
            &state.config.env,
            state.config.records_test_kdf,
        )
    })
    .await
}

async fn records_lock(State(state): State<Arc<AppState>>) -> Json<Value> {
    state.records.lock();
    Json(json!({ "unlocked": false }))
}

async fn records_list(State(state): State<Arc<AppState>>) -> ApiResult<Json<Value>> {
    records_call(move || crate::records::list(&state.records, &state.config.env)).await
}

async fn records_add(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::records::AddForm = parse(body)?;
    records_call(move || {
        crate::records::add(&state.records, form, &state.last_flash, &state.config.env)
    })
    .await
}

async fn records_correct(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::records::CorrectForm = parse(body)?;
    records_call(move || crate::records::correct(&state.records, form, &state.config.env)).await
}

async fn records_report(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::records::ReportForm = parse(body)?;
    records_call(move || crate::records::report(&state.records, form, &state.config.env)).await
}

async fn records_export(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::records::ExportForm = parse(body)?;
    records_call(move || crate::records::export(&state.records, form, &state.config.env)).await
}

async fn records_import(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::records::ImportForm = parse(body)?;
    records_call(move || crate::records::import(&state.records, form, &state.config.env)).await
}

async fn records_keygen(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::records::KeygenForm = parse(body)?;
    records_call(move || crate::records::keygen(form, &state.config.env)).await
}

async fn records_destroy(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::records::DestroyForm = parse(body)?;
    records_call(move || crate::records::destroy(&state.records, form, &state.config.env)).await
}

/// Records the window of the last plan job the person chose (`plan --record` records the
/// best).
async fn plan_record(
    State(state): State<Arc<AppState>>,
    Json(body): Json<Value>,
) -> ApiResult<Json<Value>> {
    let form: crate::records::PlanRecordForm = parse(body)?;
    records_call(move || {
        crate::records::record_plan(&state.records, form, &state.last_plan, &state.config.env)
    })
    .await
}
