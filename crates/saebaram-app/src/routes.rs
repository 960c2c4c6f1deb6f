//! The routes: the page, its assets, and the JSON API under `/api`. Every route sits
//! behind the guard of `security.rs`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
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
/// which the page attaches to.
pub(crate) fn busy(kind: Kind, running: u64) -> ApiError {
    ApiError(
        StatusCode::CONFLICT,
        Message::new(
            "busy",
            format!("a {kind:?} job is already running (job {running})"),
        )
        .with("job", running)
        .with("kind", serde_json::to_value(kind).unwrap_or(Value::Null)),
    )
}
