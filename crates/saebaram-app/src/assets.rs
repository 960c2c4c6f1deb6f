//! The page's files, embedded in the binary by `rust-embed` (`debug-embed` too, so that
//! tests serve exactly what a release build serves): `web/index.html`, `app.js`,
//! `app.css`, `strings.json`. Nothing is fetched at run time.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "web/"]
struct Web;

/// An embedded text file.
pub(crate) fn text(name: &str) -> Option<String> {
    Web::get(name).map(|f| String::from_utf8_lossy(&f.data).into_owned())
}

/// Serves `/assets/NAME`: the file with its type; cached by the browser for the life of
/// the server only (each build may differ, and the ETag is the content's hash).
pub(crate) fn serve(name: &str) -> Response {
    let Some(file) = Web::get(name).filter(|_| name != "index.html") else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let mime = file.metadata.mimetype().to_owned();
    let mut res = file.data.into_owned().into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    res
}

/// The page: `index.html` with the strings inlined as a JSON data element (not script:
/// the policy allows no inline script), so that the first paint needs no second request.
pub(crate) fn index() -> Response {
    let html = text("index.html").unwrap_or_default();
    // `<` escaped keeps the JSON from ending its element.
    let strings = crate::i18n::strings_json().replace('<', "\\u003c");
    let html = html.replace("{{STRINGS}}", &strings);
    let mut res = axum::response::Html(html).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}
