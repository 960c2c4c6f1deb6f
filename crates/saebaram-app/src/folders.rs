//! The folder browser: what the page shows when a person chooses a library folder, an
//! output folder or a file (a forbidden-strings list). A web page cannot open the system's
//! folder dialog or learn a real path, so the server lists folders itself, and only under
//! the user's home folder (`Config::home_dir`): a request for any other place, by `..`, by
//! a symbolic link or by an absolute path elsewhere, is refused once the path is resolved.
//! Like every route it sits behind the guard (loopback, session cookie, our `Host`).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::i18n::Message;

/// The message codes this module sends (each needs `msg.<code>`).
pub(crate) const CODES: &[&str] = &["outside_home", "folder_unreadable"];

/// Most entries one listing returns (a folder of 50,000 photos is shown in part).
pub(crate) const MAX_ENTRIES: usize = 2_000;

/// What the page asks: a folder (default: home) and whether files are shown beside folders.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FolderQuery {
    pub path: Option<String>,
    #[serde(default)]
    pub files: bool,
}

/// Lists `query.path` (home when empty): its resolved path, its parent while inside home,
/// and its entries (folders first, then files when asked; by name; hidden ones left out).
pub(crate) fn list(home: &Path, query: &FolderQuery) -> Result<Value, Message> {
    let home = std::fs::canonicalize(home).map_err(|e| {
        Message::new("folder_unreadable", format!("{}: {e}", home.display()))
            .with("path", home.display().to_string())
    })?;
    let asked = query
        .path
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map_or_else(|| home.clone(), PathBuf::from);
    let shown = asked.display().to_string();
    if !asked.is_absolute() {
        return Err(Message::new(
            "outside_home",
            format!("`{shown}`: not a whole path inside the home folder"),
        )
        .with("path", shown));
    }
    let resolved = std::fs::canonicalize(&asked).map_err(|e| {
        Message::new("folder_unreadable", format!("{shown}: {e}")).with("path", shown.clone())
    })?;
    if !resolved.starts_with(&home) {
        return Err(Message::new(
            "outside_home",
            format!("{shown}: outside the home folder {}", home.display()),
        )
        .with("path", shown));
    }
    let reading = |e: std::io::Error| {
        Message::new("folder_unreadable", format!("{}: {e}", resolved.display()))
            .with("path", resolved.display().to_string())
    };
    let mut folders = Vec::new();
    let mut files = Vec::new();
    let mut truncated = false;
    for entry in std::fs::read_dir(&resolved).map_err(reading)? {
        let Ok(entry) = entry else { continue };
        // A name that is not UTF-8 cannot come back from the page intact: left out.
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        // Followed: a link to a folder is shown as one; entering it is checked again.
        let Ok(meta) = std::fs::metadata(entry.path()) else {
            continue;
        };
        if folders.len() + files.len() >= MAX_ENTRIES {
            truncated = true;
            break;
        }
        if meta.is_dir() {
            folders.push(name);
        } else if query.files && meta.is_file() {
            files.push((name, meta.len()));
        }
    }
    folders.sort();
    files.sort();
    let parent = (resolved != home)
        .then(|| resolved.parent().map(|p| p.display().to_string()))
        .flatten();
    let mut entries: Vec<Value> = folders
        .into_iter()
        .map(|name| json!({ "name": name, "folder": true }))
        .collect();
    entries.extend(
        files
            .into_iter()
            .map(|(name, size)| json!({ "name": name, "folder": false, "size_bytes": size })),
    );
    Ok(json!({
        "path": resolved.display().to_string(),
        "home": home.display().to_string(),
        "parent": parent,
        "entries": entries,
        "truncated": truncated,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &Value) -> Vec<String> {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_owned())
            .collect()
    }

    fn query(path: Option<&Path>, files: bool) -> FolderQuery {
        FolderQuery {
            path: path.map(|p| p.display().to_string()),
            files,
        }
    }

    #[test]
    fn lists_home_folders_first_without_hidden_ones() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        for d in ["영상", "books", ".secret"] {
            std::fs::create_dir(h.join(d)).unwrap();
        }
        std::fs::write(h.join("names.txt"), "kim\n").unwrap();
        let v = list(h, &query(None, false)).unwrap();
        assert_eq!(names(&v), ["books", "영상"]);
        assert_eq!(v["parent"], Value::Null, "home has no parent to go to");
        let v = list(h, &query(Some(h), true)).unwrap();
        assert_eq!(names(&v), ["books", "영상", "names.txt"]);
        assert_eq!(v["entries"][2]["size_bytes"], 4);
        let inner = list(h, &query(Some(&h.join("books")), false)).unwrap();
        assert_eq!(
            inner["parent"].as_str().unwrap(),
            std::fs::canonicalize(h).unwrap().display().to_string()
        );
    }

    #[test]
    fn refuses_anything_outside_home() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        let outside = root.path().join("outside");
        std::fs::create_dir_all(home.join("lib")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, home.join("link")).unwrap();
        for bad in [
            outside.clone(),
            home.join("lib/../.."),
            home.join("link"),
            PathBuf::from("/"),
        ] {
            let e = list(&home, &query(Some(&bad), false)).unwrap_err();
            assert_eq!(e.code, "outside_home", "{}: {}", bad.display(), e.detail);
        }
        let e = list(
            &home,
            &FolderQuery {
                path: Some("lib".into()),
                files: false,
            },
        )
        .unwrap_err();
        assert_eq!(e.code, "outside_home", "a relative path");
        let e = list(&home, &query(Some(&home.join("missing")), false)).unwrap_err();
        assert_eq!(e.code, "folder_unreadable");
        assert!(e.detail.contains("missing"), "{}", e.detail);
    }
}
