//! Embeds Leaflet from `web/node_modules` (installed by `npm ci --prefix
//! crates/saebaram-map/web` from the committed `package-lock.json`) into the crate.
//!
//! Third-party code enters only through npm with a lockfile; nothing of Leaflet is committed.
//! The build fails with a clear message when `node_modules` is missing or does not match the
//! lockfile, rather than producing a page without its map library.
//!
//! Transformations, all checked below (the page must reference nothing remote):
//! - `leaflet.js`: the trailing `//# sourceMappingURL=` line is dropped (a developer tool
//!   would try to load it), and the two mentions of Leaflet's home page (the header comment
//!   and the default attribution link, which the page replaces) lose their `https://`.
//! - `leaflet.css`: comments are dropped (they cite bug trackers) and `url(images/X.png)`
//!   becomes a `data:` URI of the same PNG from the package.
//!
//! After that the only `://` left is the SVG namespace name `http://www.w3.org/2000/svg`,
//! an identifier that is never fetched; anything else fails the build.

use std::fs;
use std::path::{Path, PathBuf};

const FIX: &str = "run `npm ci --prefix crates/saebaram-map/web` from the repository root \
                   (Node.js and npm are needed once, offline afterwards)";

fn main() {
    if let Err(message) = run() {
        eprintln!("error: saebaram-map: {message}");
        panic!("saebaram-map: {message}");
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let web = manifest.join("web");
    let lock_path = web.join("package-lock.json");
    let pkg_dir = web.join("node_modules").join("leaflet");
    let dist = pkg_dir.join("dist");
    for p in [
        &lock_path,
        &pkg_dir.join("package.json"),
        &dist.join("leaflet.js"),
        &dist.join("leaflet.css"),
        &pkg_dir.join("LICENSE"),
    ] {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    println!("cargo:rerun-if-changed=build.rs");

    let lock: serde_json::Value = serde_json::from_str(&read(&lock_path)?)
        .map_err(|e| format!("{}: not valid JSON: {e}", lock_path.display()))?;
    let locked = lock
        .pointer("/packages/node_modules~1leaflet/version")
        .and_then(|v| v.as_str())
        .ok_or_else(|| format!("{}: no locked version of leaflet", lock_path.display()))?
        .to_owned();
    if !pkg_dir.join("package.json").is_file() {
        return Err(format!(
            "Leaflet {locked} is not installed in {}: {FIX}",
            web.join("node_modules").display()
        ));
    }
    let installed: serde_json::Value = serde_json::from_str(&read(&pkg_dir.join("package.json"))?)
        .map_err(|e| format!("node_modules/leaflet/package.json: not valid JSON: {e}"))?;
    let installed = installed
        .get("version")
        .and_then(|v| v.as_str())
        .unwrap_or("?");
    if installed != locked {
        return Err(format!(
            "node_modules has Leaflet {installed} but package-lock.json pins {locked}: {FIX}"
        ));
    }

    let js = read(&dist.join("leaflet.js"))?;
    let js = strip_source_map(&js).replace("https://leafletjs.com", "leafletjs.com");
    check_embeddable(&js, "leaflet.js", "</script")?;

    let css = strip_css_comments(&read(&dist.join("leaflet.css"))?);
    let css = inline_css_images(&css, &dist)?;
    check_embeddable(&css, "leaflet.css", "</style")?;

    let licence = read(&pkg_dir.join("LICENSE"))?;

    write(&out.join("leaflet.js"), &js)?;
    write(&out.join("leaflet.css"), &css)?;
    write(&out.join("leaflet-LICENSE.txt"), &licence)?;
    write(&out.join("leaflet-version.txt"), &locked)?;
    Ok(())
}

fn read(path: &Path) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!("{} is missing: {FIX}", path.display())
        } else {
            format!("{}: {e}", path.display())
        }
    })
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn strip_source_map(js: &str) -> String {
    js.lines()
        .filter(|l| !l.trim_start().starts_with("//# sourceMappingURL="))
        .collect::<Vec<_>>()
        .join("\n")
}

fn strip_css_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find("*/") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn inline_css_images(css: &str, dist: &Path) -> Result<String, String> {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("url(images/") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 4..];
        let end = after
            .find(')')
            .ok_or_else(|| "leaflet.css: unterminated url(".to_owned())?;
        let rel = &after[..end];
        let bytes = fs::read(dist.join(rel)).map_err(|e| format!("leaflet {rel}: {e}"))?;
        out.push_str("url(data:image/png;base64,");
        out.push_str(&base64(&bytes));
        out.push(')');
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Standard base64 (RFC 4648) with padding; 20 lines are not worth a build dependency.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// The text goes inside a `<script>`/`<style>` element: it must not close it early, open an
/// HTML comment, or name anything remote.
fn check_embeddable(text: &str, name: &str, closer: &str) -> Result<(), String> {
    let lower = text.to_ascii_lowercase();
    if lower.contains(closer) || lower.contains("<!--") {
        return Err(format!(
            "{name} contains `{closer}` or `<!--`: cannot be inlined"
        ));
    }
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("://") {
        let before = &rest[..i];
        let scheme_start = before
            .rfind(|c: char| !c.is_ascii_alphanumeric())
            .map_or(0, |j| j + 1);
        let url: String = rest[scheme_start..]
            .chars()
            .take_while(|c| !matches!(c, '"' | '\'' | ')' | ' ' | '>' | '<'))
            .collect();
        if url != "http://www.w3.org/2000/svg" {
            return Err(format!(
                "{name} mentions `{url}`; the page must name nothing remote: extend build.rs \
                 deliberately if a new Leaflet version adds one"
            ));
        }
        rest = &rest[i + 3..];
    }
    Ok(())
}
