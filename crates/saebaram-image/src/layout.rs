//! What goes into an image and where: the directory tree, built from a library folder or
//! from a TOML layout file, with every name checked before a byte is written.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::names::{self, NameError};

/// The largest file FAT32 can hold.
pub const MAX_FAT_FILE: u64 = u32::MAX as u64;

/// Size of each part of a split ZIM file (4000 MiB, as `split -b 4000m` makes them).
pub const ZIM_PART_SIZE: u64 = 4000 << 20;

/// Why a library cannot be laid out.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A file or folder could not be read.
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A symbolic link (never followed).
    #[error(
        "{path}: is a symbolic link; saebaram does not follow links (they can loop or point outside the library): copy the target into the library instead"
    )]
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// A device, socket or pipe.
    #[error("{path}: is not a regular file or folder")]
    Special {
        /// The entry.
        path: PathBuf,
    },
    /// A name FAT cannot hold.
    #[error("{path}: {problem}")]
    BadName {
        /// The entry.
        path: String,
        /// The problem.
        problem: NameError,
    },
    /// A path longer than Windows can open.
    #[error("{path}: the path is {units} UTF-16 units long; Windows opens at most {max} (shorten folder or file names)", max = names::MAX_PATH_UNITS)]
    PathTooLong {
        /// The path inside the image.
        path: String,
        /// Its length.
        units: usize,
    },
    /// Two entries whose names differ only in case (FAT cannot tell them apart).
    #[error(
        "{a} and {b}: names differ only in letter case (or collide with a ZIM part name); FAT cannot hold both: rename one"
    )]
    Clash {
        /// One entry.
        a: String,
        /// The other.
        b: String,
    },
    /// A file over 4 GiB - 1 that is not a ZIM.
    #[error(
        "{path}: {size} bytes is more than FAT32's file limit of 4 GiB - 1 byte ({MAX_FAT_FILE}); split it (videos: `saebaram convert` cuts them into playable parts at keyframes; archives: `split -b 4000m` and join on the other side) or leave it out with --exclude"
    )]
    TooBig {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// A ZIM file too big to split into `aa`..`zz` parts.
    #[error("{path}: {size} bytes needs more than 676 parts of 4000 MiB")]
    ZimTooBig {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
    },
    /// The TOML layout is malformed.
    #[error("{path}: {problem}")]
    Toml {
        /// The layout file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A clean-content check failed.
    #[error("{path}: {problem}")]
    NotClean {
        /// The file.
        path: String,
        /// What is wrong.
        problem: String,
    },
    /// More entries than a FAT directory holds.
    #[error(
        "{path}: too many entries for one FAT directory (at most 65,534 directory slots, long names included)"
    )]
    DirectoryFull {
        /// The directory.
        path: String,
    },
    /// Nothing to pack.
    #[error("{path}: nothing to pack (no files)")]
    Empty {
        /// The library.
        path: PathBuf,
    },
}

/// A folder in the image.
#[derive(Debug, Clone)]
pub struct DirNode {
    /// Its long name (empty for the root).
    pub name: String,
    /// Path inside the image (`/`-separated, empty for the root).
    pub path: String,
    /// Index of the parent folder (the root is its own parent).
    pub parent: usize,
}

/// A file (or one part of a split ZIM) in the image.
#[derive(Debug, Clone)]
pub struct FileNode {
    /// Its long name.
    pub name: String,
    /// Path inside the image.
    pub path: String,
    /// Index of its folder.
    pub dir: usize,
    /// Where the bytes come from.
    pub source: PathBuf,
    /// The source file's path relative to the library (for messages and the manifest).
    pub source_rel: String,
    /// Size of the whole source file.
    pub source_size: u64,
    /// Byte offset of this part in the source.
    pub offset: u64,
    /// Length of this part.
    pub len: u64,
    /// Whether this is a part of a split file.
    pub split: bool,
    /// BLAKE3 (hex) the whole source must have, when it came from a clean manifest.
    pub expected_blake3: Option<String>,
}

/// Everything that goes into an image.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Folders; index 0 is the root.
    pub dirs: Vec<DirNode>,
    /// Files, in data layout order (by source path, parts in order).
    pub files: Vec<FileNode>,
}

/// Files a clean manifest vouches for: library-relative path -> (size, BLAKE3 hex).
pub type CleanList = HashMap<String, (u64, String)>;

/// How to pick files from a library.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Leave out entries whose name or library-relative path is one of these.
    pub exclude: Vec<String>,
    /// Leave out these library-relative paths silently (e.g. the clean manifest itself).
    pub ignore: Vec<String>,
    /// If set, every packed file must be listed here with the same size, and its content
    /// must hash to the listed BLAKE3 while it is packed.
    pub clean: Option<CleanList>,
}

/// The `[[file]]` / `[[dir]]` layout file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlLayout {
    #[serde(default)]
    file: Vec<TomlEntry>,
    #[serde(default)]
    dir: Vec<TomlEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlEntry {
    /// Path relative to the library.
    source: String,
    /// Path inside the image (defaults to `source`).
    path: Option<String>,
}

struct Builder<'a> {
    opts: &'a ScanOptions,
    layout: Layout,
    /// (dir index, folded name) -> image path of the entry holding it.
    taken: HashMap<(usize, String), String>,
    dir_by_path: HashMap<String, usize>,
    used_clean: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(opts: &'a ScanOptions) -> Self {
        let mut b = Self {
            opts,
            layout: Layout::default(),
            taken: HashMap::new(),
            dir_by_path: HashMap::new(),
            used_clean: Vec::new(),
        };
        b.layout.dirs.push(DirNode {
            name: String::new(),
            path: String::new(),
            parent: 0,
        });
        b.dir_by_path.insert(String::new(), 0);
        b
    }

    /// Whether a library path, or a folder on its way, is excluded by name or path.
    fn excluded(&self, rel: &str) -> bool {
        if self.opts.ignore.iter().any(|i| i == rel) {
            return true;
        }
        let mut prefix_end = 0;
        for (i, component) in rel.split('/').enumerate() {
            prefix_end += component.len() + usize::from(i > 0);
            let prefix = &rel[..prefix_end];
            if self
                .opts
                .exclude
                .iter()
                .any(|e| e == prefix || e == component)
            {
                return true;
            }
        }
        false
    }

    fn check_name(&self, name: &str, path: &str) -> Result<(), LayoutError> {
        names::check_long_name(name).map_err(|problem| LayoutError::BadName {
            path: path.to_owned(),
            problem,
        })?;
        let units = path.encode_utf16().count();
        if units > names::MAX_PATH_UNITS {
            return Err(LayoutError::PathTooLong {
                path: path.to_owned(),
                units,
            });
        }
        Ok(())
    }

    fn claim(&mut self, dir: usize, name: &str, path: &str) -> Result<(), LayoutError> {
        let key = (dir, names::fold_case(name));
        if let Some(other) = self.taken.get(&key) {
            return Err(LayoutError::Clash {
                a: other.clone(),
                b: path.to_owned(),
            });
        }
        self.taken.insert(key, path.to_owned());
        Ok(())
    }

    /// The folder at an image path, creating it and its parents.
    fn dir_at(&mut self, path: &str) -> Result<usize, LayoutError> {
        if let Some(&i) = self.dir_by_path.get(path) {
            return Ok(i);
        }
        let (parent_path, name) = match path.rsplit_once('/') {
            Some((p, n)) => (p, n),
            None => ("", path),
        };
        let parent = self.dir_at(parent_path)?;
        self.check_name(name, path)?;
        self.claim(parent, name, path)?;
        let i = self.layout.dirs.len();
        self.layout.dirs.push(DirNode {
            name: name.to_owned(),
            path: path.to_owned(),
            parent,
        });
        self.dir_by_path.insert(path.to_owned(), i);
        Ok(i)
    }

    fn add_file(
        &mut self,
        source: &Path,
        rel: &str,
        image_path: &str,
        size: u64,
    ) -> Result<(), LayoutError> {
        let expected_blake3 = match &self.opts.clean {
            None => None,
            Some(list) => match list.get(rel) {
                Some((s, h)) if *s == size => {
                    self.used_clean.push(rel.to_owned());
                    Some(h.clone())
                }
                Some((s, _)) => {
                    return Err(LayoutError::NotClean {
                        path: rel.to_owned(),
                        problem: format!(
                            "changed since `saebaram clean` ({size} bytes now, {s} when cleaned): clean the library again"
                        ),
                    });
                }
                None => {
                    return Err(LayoutError::NotClean {
                        path: rel.to_owned(),
                        problem: "is not in the clean manifest (added after `saebaram clean`?): clean the library again".into(),
                    });
                }
            },
        };
        // Check the file can be opened now rather than half-way through the image.
        fs::File::open(source).map_err(|e| LayoutError::Io {
            path: source.to_owned(),
            source: e,
        })?;
        let (dir_path, name) = match image_path.rsplit_once('/') {
            Some((p, n)) => (p, n),
            None => ("", image_path),
        };
        let dir = self.dir_at(dir_path)?;
        self.check_name(name, image_path)?;
        let mut parts = Vec::new();
        if size > MAX_FAT_FILE {
            let is_zim = name
                .rsplit_once('.')
                .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("zim"));
            if !is_zim {
                return Err(LayoutError::TooBig {
                    path: source.to_owned(),
                    size,
                });
            }
            let count = size.div_ceil(ZIM_PART_SIZE);
            if count > 26 * 26 {
                return Err(LayoutError::ZimTooBig {
                    path: source.to_owned(),
                    size,
                });
            }
            for k in 0..count {
                let suffix = [b'a' + (k / 26) as u8, b'a' + (k % 26) as u8];
                let part_name = format!("{name}{}", String::from_utf8_lossy(&suffix));
                let offset = k * ZIM_PART_SIZE;
                parts.push((part_name, offset, (size - offset).min(ZIM_PART_SIZE)));
            }
        } else {
            parts.push((name.to_owned(), 0, size));
        }
        let split = parts.len() > 1;
        for (part_name, offset, len) in parts {
            let path = if dir_path.is_empty() {
                part_name.clone()
            } else {
                format!("{dir_path}/{part_name}")
            };
            self.check_name(&part_name, &path)?;
            self.claim(dir, &part_name, &path)?;
            self.layout.files.push(FileNode {
                name: part_name,
                path,
                dir,
                source: source.to_owned(),
                source_rel: rel.to_owned(),
                source_size: size,
                offset,
                len,
                split,
                expected_blake3: expected_blake3.clone(),
            });
        }
        Ok(())
    }

    /// Adds a library folder recursively; `rel` is its library path, `image` its image path.
    fn add_tree(&mut self, abs: &Path, rel: &str, image: &str) -> Result<(), LayoutError> {
        let io = |e| LayoutError::Io {
            path: abs.to_owned(),
            source: e,
        };
        if !image.is_empty() {
            self.dir_at(image)?;
        }
        let mut entries: BTreeMap<String, fs::DirEntry> = BTreeMap::new();
        for entry in fs::read_dir(abs).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let name = name.to_str().ok_or_else(|| LayoutError::BadName {
                path: entry.path().display().to_string(),
                problem: NameError::NotUnicode,
            })?;
            entries.insert(name.to_owned(), entry);
        }
        for (name, entry) in entries {
            let child_rel = join(rel, &name);
            if self.excluded(&child_rel) {
                continue;
            }
            let child_image = join(image, &name);
            let path = entry.path();
            let meta = fs::symlink_metadata(&path).map_err(|e| LayoutError::Io {
                path: path.clone(),
                source: e,
            })?;
            let ft = meta.file_type();
            if ft.is_symlink() {
                return Err(LayoutError::Symlink { path });
            } else if ft.is_dir() {
                self.add_tree(&path, &child_rel, &child_image)?;
            } else if ft.is_file() {
                self.add_file(&path, &child_rel, &child_image, meta.len())?;
            } else {
                return Err(LayoutError::Special { path });
            }
        }
        Ok(())
    }

    fn finish(mut self, library: &Path) -> Result<Layout, LayoutError> {
        if let Some(list) = &self.opts.clean {
            // Every file the cleaner produced must still be there (or be excluded).
            let used: std::collections::HashSet<&String> = self.used_clean.iter().collect();
            let mut missing: Vec<&String> = list
                .keys()
                .filter(|k| !used.contains(k) && !self.excluded(k))
                .collect();
            missing.sort();
            if let Some(first) = missing.first() {
                return Err(LayoutError::NotClean {
                    path: (*first).clone(),
                    problem: "is in the clean manifest but missing from the library: clean the library again".into(),
                });
            }
        }
        if self.layout.files.is_empty() {
            return Err(LayoutError::Empty {
                path: library.to_owned(),
            });
        }
        self.layout.files.sort_by(|a, b| {
            (a.source_rel.as_str(), a.offset, a.path.as_str()).cmp(&(
                b.source_rel.as_str(),
                b.offset,
                b.path.as_str(),
            ))
        });
        Ok(self.layout)
    }
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_owned()
    } else {
        format!("{a}/{b}")
    }
}

/// Refuses a symbolic link at a path given by the user.
fn check_not_symlink(path: &Path) -> Result<fs::Metadata, LayoutError> {
    let meta = fs::symlink_metadata(path).map_err(|e| LayoutError::Io {
        path: path.to_owned(),
        source: e,
    })?;
    if meta.file_type().is_symlink() {
        return Err(LayoutError::Symlink {
            path: path.to_owned(),
        });
    }
    Ok(meta)
}

impl Layout {
    /// Lays out a library folder as is: its folders become the image's folders.
    pub fn scan(library: &Path, opts: &ScanOptions) -> Result<Self, LayoutError> {
        let mut b = Builder::new(opts);
        b.add_tree(library, "", "")?;
        b.finish(library)
    }

    /// Lays out what a TOML layout file lists (`[[file]]` and `[[dir]]` tables with
    /// `source`, relative to the library, and an optional `path` inside the image).
    pub fn from_toml(
        library: &Path,
        toml_path: &Path,
        opts: &ScanOptions,
    ) -> Result<Self, LayoutError> {
        let text = fs::read_to_string(toml_path).map_err(|e| LayoutError::Io {
            path: toml_path.to_owned(),
            source: e,
        })?;
        let spec: TomlLayout = toml::from_str(&text).map_err(|e| LayoutError::Toml {
            path: toml_path.to_owned(),
            problem: e.to_string(),
        })?;
        let bad = |problem: String| LayoutError::Toml {
            path: toml_path.to_owned(),
            problem,
        };
        let clean_rel = |s: &str| -> Result<String, LayoutError> {
            let parts: Vec<&str> = s.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
            if parts.is_empty() || parts.iter().any(|p| *p == ".." || *p == ".") {
                return Err(bad(format!(
                    "{s:?}: paths must be relative, inside the library, without `.` or `..`"
                )));
            }
            Ok(parts.join("/"))
        };
        let mut b = Builder::new(opts);
        for e in &spec.dir {
            let rel = clean_rel(&e.source)?;
            let image = clean_rel(e.path.as_deref().unwrap_or(&e.source))?;
            let abs = library.join(&rel);
            let meta = check_not_symlink(&abs)?;
            if !meta.is_dir() {
                return Err(bad(format!("[[dir]] source {rel:?} is not a folder")));
            }
            b.add_tree(&abs, &rel, &image)?;
        }
        for e in &spec.file {
            let rel = clean_rel(&e.source)?;
            let image = clean_rel(e.path.as_deref().unwrap_or(&e.source))?;
            let abs = library.join(&rel);
            // Each folder on the way must not be a link either.
            let mut walk = library.to_path_buf();
            for part in rel.split('/') {
                walk.push(part);
                check_not_symlink(&walk)?;
            }
            let meta = check_not_symlink(&abs)?;
            if !meta.is_file() {
                return Err(bad(format!(
                    "[[file]] source {rel:?} is not a regular file"
                )));
            }
            if b.excluded(&rel) {
                continue;
            }
            b.add_file(&abs, &rel, &image, meta.len())?;
        }
        b.finish(library)
    }

    /// Entries of each folder (sub-folders and files), sorted by case-folded name, then
    /// name: `(is_dir, index)`.
    pub fn children(&self) -> Vec<Vec<(bool, usize)>> {
        let mut out = vec![Vec::new(); self.dirs.len()];
        for (i, d) in self.dirs.iter().enumerate().skip(1) {
            out[d.parent].push((true, i));
        }
        for (i, f) in self.files.iter().enumerate() {
            out[f.dir].push((false, i));
        }
        for list in &mut out {
            list.sort_by_cached_key(|&(is_dir, i)| {
                let name = if is_dir {
                    &self.dirs[i].name
                } else {
                    &self.files[i].name
                };
                (names::fold_case(name), name.clone())
            });
        }
        out
    }

    /// Total bytes of file content.
    pub fn content_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, data: &[u8]) {
        let p = dir.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, data).unwrap();
    }

    #[test]
    fn scans_folders_sorted_with_checked_names() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "b/영화.mp4", b"x");
        write(t.path(), "a.txt", b"hello");
        write(t.path(), "B2/c.txt", b"");
        let l = Layout::scan(t.path(), &ScanOptions::default()).unwrap();
        let paths: Vec<&str> = l.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["B2/c.txt", "a.txt", "b/영화.mp4"]);
        let kids = l.children();
        let root: Vec<String> = kids[0]
            .iter()
            .map(|&(d, i)| {
                if d {
                    l.dirs[i].name.clone()
                } else {
                    l.files[i].name.clone()
                }
            })
            .collect();
        assert_eq!(root, ["a.txt", "b", "B2"]);
        assert_eq!(l.content_bytes(), 6);
    }

    #[test]
    fn refuses_bad_names_links_and_case_clashes() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "ok/CON.txt", b"x");
        let err = Layout::scan(t.path(), &ScanOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("ok/CON.txt") && err.to_string().contains("reserved"),
            "{err}"
        );

        let t = tempfile::tempdir().unwrap();
        write(t.path(), "a.txt", b"x");
        std::os::unix::fs::symlink(t.path(), t.path().join("loop")).unwrap();
        let err = Layout::scan(t.path(), &ScanOptions::default()).unwrap_err();
        assert!(matches!(err, LayoutError::Symlink { .. }), "{err}");

        let t = tempfile::tempdir().unwrap();
        write(t.path(), "Film.mp4", b"x");
        write(t.path(), "film.MP4", b"y");
        let err = Layout::scan(t.path(), &ScanOptions::default()).unwrap_err();
        assert!(matches!(err, LayoutError::Clash { .. }), "{err}");

        let t = tempfile::tempdir().unwrap();
        let long = "가".repeat(70);
        write(t.path(), &format!("{long}/{long}/{long}/{long}.txt"), b"x");
        let err = Layout::scan(t.path(), &ScanOptions::default()).unwrap_err();
        assert!(matches!(err, LayoutError::PathTooLong { .. }), "{err}");
    }

    #[test]
    fn splits_big_zims_and_refuses_other_big_files() {
        let t = tempfile::tempdir().unwrap();
        let f = fs::File::create(t.path().join("wiki.zim")).unwrap();
        f.set_len(MAX_FAT_FILE + 10).unwrap();
        let l = Layout::scan(t.path(), &ScanOptions::default()).unwrap();
        let parts: Vec<(&str, u64, u64)> = l
            .files
            .iter()
            .map(|f| (f.name.as_str(), f.offset, f.len))
            .collect();
        assert_eq!(
            parts,
            [
                ("wiki.zimaa", 0, ZIM_PART_SIZE),
                (
                    "wiki.zimab",
                    ZIM_PART_SIZE,
                    MAX_FAT_FILE + 10 - ZIM_PART_SIZE
                )
            ]
        );
        let f = fs::File::create(t.path().join("film.mkv")).unwrap();
        f.set_len(MAX_FAT_FILE + 1).unwrap();
        let err = Layout::scan(t.path(), &ScanOptions::default()).unwrap_err();
        assert!(
            err.to_string().contains("film.mkv") && err.to_string().contains("4 GiB"),
            "{err}"
        );
        let opts = ScanOptions {
            exclude: vec!["film.mkv".into()],
            ..Default::default()
        };
        assert!(Layout::scan(t.path(), &opts).is_ok());
    }

    #[test]
    fn toml_layout_maps_sources_to_image_paths() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "raw/a.mp4", b"a");
        write(t.path(), "books/x.pdf", b"x");
        write(t.path(), "unused.txt", b"u");
        let toml = t.path().join("layout.toml");
        fs::write(
            &toml,
            "[[file]]\nsource = \"raw/a.mp4\"\npath = \"영화/가.mp4\"\n[[dir]]\nsource = \"books\"\npath = \"책\"\n",
        )
        .unwrap();
        let l = Layout::from_toml(t.path(), &toml, &ScanOptions::default()).unwrap();
        let mut paths: Vec<&str> = l.files.iter().map(|f| f.path.as_str()).collect();
        paths.sort();
        assert_eq!(paths, ["영화/가.mp4", "책/x.pdf"]);
        fs::write(&toml, "[[file]]\nsource = \"../etc/passwd\"\n").unwrap();
        let err = Layout::from_toml(t.path(), &toml, &ScanOptions::default()).unwrap_err();
        assert!(err.to_string().contains(".."), "{err}");
    }

    #[test]
    fn clean_lists_must_match_the_tree() {
        let t = tempfile::tempdir().unwrap();
        write(t.path(), "a.txt", b"abc");
        let mut list = CleanList::new();
        list.insert("a.txt".into(), (3, "h".into()));
        list.insert("gone.txt".into(), (1, "h".into()));
        let opts = ScanOptions {
            clean: Some(list.clone()),
            ..Default::default()
        };
        let err = Layout::scan(t.path(), &opts).unwrap_err();
        assert!(err.to_string().contains("gone.txt"), "{err}");
        list.remove("gone.txt");
        write(t.path(), "new.txt", b"n");
        let opts = ScanOptions {
            clean: Some(list),
            ..Default::default()
        };
        let err = Layout::scan(t.path(), &opts).unwrap_err();
        assert!(
            err.to_string().contains("new.txt") && err.to_string().contains("clean"),
            "{err}"
        );
    }
}
