//! `saebaram clean` on a corpus generated with real tools (Pillow, python-docx, exiftool,
//! ffmpeg, qpdf) holding planted identifying values, checked by an independent verifier
//! (exiftool, byte search, Pillow, ffmpeg framemd5, ffprobe, pdftotext, python-docx), plus the
//! Red Star OS fixtures copied into the repository, bad inputs, determinism and the manifest contract.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use saebaram_clean::manifest::{MANIFEST_FILE_NAME, verify_tree};
use saebaram_clean::state::STATE_FILE_NAME;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/clean");
/// Real Red Star OS samples (see `crates/saebaram-clean/tests/data/redstar/SOURCES.md`).
const REDSTAR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../saebaram-clean/tests/data/redstar"
);

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_saebaram"))
}

fn require_tools() {
    let checks: &[(&str, &[&str], &str)] = &[
        (
            "python3",
            &["-c", "import PIL, docx, numpy, pillow_heif, tifffile"],
            "pip install pillow python-docx pillow-heif tifffile (.ci/pip.d/clean.txt)",
        ),
        (
            "exiftool",
            &["-ver"],
            "apt-get install libimage-exiftool-perl (.ci/apt.d/clean.txt)",
        ),
        (
            "ffmpeg",
            &["-version"],
            "apt-get install ffmpeg (.ci/apt.d/clean.txt)",
        ),
        (
            "ffprobe",
            &["-version"],
            "apt-get install ffmpeg (.ci/apt.d/clean.txt)",
        ),
        (
            "pdftotext",
            &["-v"],
            "apt-get install poppler-utils (.ci/apt.d/clean.txt)",
        ),
        (
            "qpdf",
            &["--version"],
            "apt-get install qpdf (.ci/apt.d/clean.txt)",
        ),
    ];
    for (tool, args, install) in checks {
        let ok = Command::new(tool)
            .args(*args)
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "the clean corpus test needs `{tool}`: {install}");
    }
}

/// The generated corpus (made once per test binary run).
fn corpus() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        require_tools();
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let out = Command::new("python3")
            .arg(Path::new(DATA).join("make_corpus.py"))
            .arg(&dir)
            .output()
            .expect("run make_corpus.py");
        assert!(
            out.status.success(),
            "make_corpus.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Red Star OS: the real samples (test-only, copied into crates/saebaram-clean/tests/data/redstar) and a trailer we build.
        let rs = dir.join("redstar");
        std::fs::create_dir_all(&rs).unwrap();
        for f in [
            "preview_bottle_firstuser.jpg",
            "preview_bottle_seconduser.jpg",
        ] {
            std::fs::copy(Path::new(REDSTAR).join(f), rs.join(f))
                .expect("saebaram-clean/tests/data/redstar fixtures");
        }
        let wav = std::fs::read(dir.join("good/media/song.wav")).unwrap();
        let trailed = saebaram_clean::redstar::append_trailer(
            &wav,
            &[b"8295FF513293A", b"S3NXNX0M", b"WD-WCC4N1234567"],
        )
        .unwrap();
        std::fs::write(rs.join("song-three-machines.wav"), trailed).unwrap();
        dir
    })
}

fn json_report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn tree_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name() == Some(std::ffi::OsStr::new(STATE_FILE_NAME)) {
                // The incremental state records file times and inodes: not output content.
                continue;
            } else {
                v.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    v.sort();
    v
}

#[test]
fn cleans_the_generated_corpus_losslessly_and_leaves_nothing_planted() {
    let c = corpus();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let before = tree_bytes(&c.join("good"));
    let run = bin()
        .args(["clean", "--json", "--out"])
        .arg(&out)
        .arg(c.join("good"))
        .arg(c.join("redstar"))
        .output()
        .unwrap();
    let report = json_report(&run);
    assert_eq!(run.status.code(), Some(0), "{report:#}");
    assert_eq!(tree_bytes(&c.join("good")), before, "an input was modified");
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), before.len() + 3);
    for f in files {
        let status = f["status"].as_str().unwrap();
        let path = f["path"].as_str().unwrap();
        // Plain text, a BMP with nothing to remove and a JPEG whose only extra is a standard
        // sRGB profile (kept byte-for-byte) come out unchanged.
        let expected = if path.ends_with(".txt") || path == "plain.bmp" || path == "photo-srgb.jpg"
        {
            "unchanged"
        } else {
            "cleaned"
        };
        assert_eq!(status, expected, "{f:#}");
    }
    let marks = |name: &str| {
        files.iter().find(|f| f["path"] == name).unwrap()["redstar_marks"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(marks("preview_bottle_firstuser.jpg"), 1);
    assert_eq!(marks("preview_bottle_seconduser.jpg"), 2);
    assert_eq!(marks("song-three-machines.wav"), 3);
    assert_eq!(report["summary"]["redstar_marks"], 6);

    // Stripping gives back the original bytes exactly (this sample has no other metadata).
    let original = std::fs::read(Path::new(REDSTAR).join("preview_bottle_original.jpg")).unwrap();
    for f in [
        "preview_bottle_firstuser.jpg",
        "preview_bottle_seconduser.jpg",
    ] {
        assert_eq!(std::fs::read(out.join(f)).unwrap(), original, "{f}");
    }
    assert_eq!(
        std::fs::read(out.join("song-three-machines.wav")).unwrap(),
        std::fs::read(out.join("media/song.wav")).unwrap()
    );

    // The independent verifier.
    let verify = Command::new("python3")
        .arg(Path::new(DATA).join("verify_corpus.py"))
        .arg(c.join("good"))
        .arg(&out)
        .arg(c.join("planted.txt"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "verifier found problems:\n{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );

    // The manifest contract with `saebaram pack`.
    let manifest = verify_tree(&out).expect("fresh output verifies");
    assert_eq!(manifest.files.len(), files.len());
    // Deterministic: a second run gives the same bytes.
    let out2 = work.path().join("out2");
    let run2 = bin()
        .args(["clean", "--out"])
        .arg(&out2)
        .arg(c.join("good"))
        .arg(c.join("redstar"))
        .output()
        .unwrap();
    assert_eq!(run2.status.code(), Some(0));
    assert_eq!(tree_bytes(&out), tree_bytes(&out2));
    // Any change afterwards breaks the manifest.
    std::fs::write(out2.join("media/extra.txt"), "added later").unwrap();
    assert!(
        verify_tree(&out2)
            .unwrap_err()
            .to_string()
            .contains("not in the manifest")
    );
    std::fs::remove_file(out2.join("media/extra.txt")).unwrap();
    std::fs::write(out2.join("photo.jpg"), b"changed").unwrap();
    assert!(
        verify_tree(&out2)
            .unwrap_err()
            .to_string()
            .contains("changed since")
    );
    std::fs::remove_file(out2.join("photo.jpg")).unwrap();
    assert!(
        verify_tree(&out2)
            .unwrap_err()
            .to_string()
            .contains("missing")
    );
}

#[test]
fn blocks_bad_inputs_with_reasons_and_writes_nothing_for_them() {
    let c = corpus();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let run = bin()
        .args(["clean", "--json", "--forbid"])
        .arg(c.join("forbid.txt"))
        .arg("--out")
        .arg(&out)
        .arg(c.join("bad"))
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = json_report(&run);
    let expect = [
        ("bomb.docx", "zip bomb", "too_large"),
        ("corrupt.png", "CRC mismatch", "damaged"),
        (
            "forbidden.docx",
            "forbidden: the string on line",
            "forbidden",
        ),
        ("plain.zip", "plain zip", "cannot_clean"),
        ("truncated.docx", "cannot read", "damaged"),
        ("truncated.jpg", "truncated", "damaged"),
        ("truncated.mp4", "truncated", "damaged"),
        ("truncated.pdf", "truncated", "damaged"),
        ("unknown-member.docx", "unknown part", "cannot_clean"),
        ("unknown.bin", "unknown format", "unknown_format"),
        ("bad-icc.jpg", "ICC profile", "damaged"),
        ("camera.nef", "camera RAW", "cannot_clean"),
        ("huge-count.tif", "too many", "too_large"),
        ("loop.tif", "loop", "damaged"),
        ("truncated.aiff", "truncated", "damaged"),
        ("truncated.bmp", "truncated", "damaged"),
        ("truncated.flv", "truncated", "damaged"),
        ("truncated.heic", "truncated", "damaged"),
        ("truncated.tif", "truncated", "damaged"),
        ("truncated.wmv", "truncated", "damaged"),
    ];
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), expect.len());
    // Every blocked file carries the typed kind of its reason (`reason_code`), the code
    // the app words for the user.
    for (name, reason, code) in expect {
        let f = files
            .iter()
            .find(|f| f["path"] == name)
            .unwrap_or_else(|| panic!("{name} not reported"));
        assert_eq!(f["status"], "blocked", "{f:#}");
        assert_eq!(f["reason_code"], code, "{name}: {f:#}");
        assert!(
            f["reason"].as_str().unwrap().contains(reason),
            "{name}: {f:#}"
        );
        assert!(
            !out.join(name).exists(),
            "{name} was written although blocked"
        );
    }
    assert!(!out.join(MANIFEST_FILE_NAME).exists());
    assert_eq!(report["manifest_written"], false);
    // The report names the list's line, never the forbidden string itself.
    let forbidden = std::fs::read_to_string(c.join("forbid.txt")).unwrap();
    for name in forbidden
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let shown = String::from_utf8_lossy(&run.stdout).to_lowercase();
        assert!(
            !shown.contains(&name.trim().to_lowercase()),
            "the report shows a forbidden string"
        );
    }
    // Human output names the file and the problem.
    let out_h = work.path().join("out-h");
    let human = bin()
        .args(["clean", "--out"])
        .arg(&out_h)
        .arg(c.join("bad/unknown.bin"))
        .output()
        .unwrap();
    assert_eq!(human.status.code(), Some(1));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("BLOCKED    unknown.bin [unknown] unknown_format: unknown format"),
        "{text}"
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("a.txt"), "hello\n").unwrap();
    let busy = work.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("old"), "x").unwrap();

    let cases: Vec<(Vec<PathBuf>, PathBuf, &str)> = vec![
        (vec![input.clone()], busy.clone(), "not empty"),
        (
            vec![work.path().join("missing")],
            work.path().join("o1"),
            "missing",
        ),
        (vec![input.clone()], input.join("sub"), "overlap"),
    ];
    for (inputs, out, needle) in cases {
        let run = bin()
            .arg("clean")
            .args(&inputs)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(
            err.contains("error:") && err.contains(needle),
            "{needle}: {err}"
        );
    }
    let forbid = work.path().join("empty-forbid.txt");
    std::fs::write(&forbid, "# nothing\n").unwrap();
    let run = bin()
        .arg("clean")
        .arg(&input)
        .arg("--out")
        .arg(work.path().join("o2"))
        .arg("--forbid")
        .arg(&forbid)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("lists no string"));
    // A symlink in the input is blocked, not followed.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc/hostname", input.join("link.txt")).unwrap();
        let run = bin()
            .arg("clean")
            .arg("--json")
            .arg(&input)
            .arg("--out")
            .arg(work.path().join("o3"))
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(1));
        let r = json_report(&run);
        let link = r["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == "link.txt")
            .unwrap()
            .clone();
        assert!(link["reason"].as_str().unwrap().contains("symbolic link"));
    }
}

/// The legacy-office corpus (DOC, XLS, PPT and RTF written by LibreOffice, a Word-saved HTML
/// page), made once per test binary run by `make_office.py`.
fn office_corpus() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        for (tool, args, install) in [
            (
                "soffice",
                &["--version"][..],
                "apt-get install libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui (.ci/apt.d/clean.txt)",
            ),
            (
                "python3",
                &["-c", "import olefile"][..],
                "pip install olefile (.ci/pip.d/clean.txt)",
            ),
        ] {
            let ok = Command::new(tool)
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(ok, "the office corpus test needs `{tool}`: {install}");
        }
        let photo = corpus().join("good/photo.jpg");
        let dir = tempfile::tempdir().expect("tempdir").keep();
        let out = Command::new("python3")
            .arg(Path::new(DATA).join("make_office.py"))
            .arg(&dir)
            .arg(photo)
            .output()
            .expect("run make_office.py");
        assert!(
            out.status.success(),
            "make_office.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

#[test]
fn cleans_legacy_office_rtf_and_word_html_and_leaves_nothing_planted() {
    let c = office_corpus();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let run = bin()
        .args(["clean", "--json", "--out"])
        .arg(&out)
        .arg(c.join("good"))
        .output()
        .unwrap();
    let report = json_report(&run);
    assert_eq!(run.status.code(), Some(0), "{report:#}");
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), 6, "{report:#}");
    for f in files {
        assert_eq!(f["status"], "cleaned", "{f:#}");
    }
    let format = |name: &str| {
        files.iter().find(|f| f["path"] == name).unwrap()["format"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(format("letter.doc"), "doc");
    assert_eq!(format("budget.xls"), "xls");
    assert_eq!(format("slides.ppt"), "ppt");
    assert_eq!(format("letter.rtf"), "rtf");
    assert_eq!(format("memo.htm"), "html");
    let verify = Command::new("python3")
        .arg(Path::new(DATA).join("verify_office.py"))
        .arg(c.join("good"))
        .arg(&out)
        .arg(c.join("planted.txt"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "verifier found problems:\n{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    // Cleaning the output again changes nothing.
    let out2 = work.path().join("out2");
    let again = bin()
        .args(["clean", "--json", "--out"])
        .arg(&out2)
        .arg(&out)
        .output()
        .unwrap();
    let r2 = json_report(&again);
    for f in r2["files"].as_array().unwrap() {
        if f["path"] != "clean-manifest.json" && !f["path"].as_str().unwrap().starts_with('.') {
            assert_eq!(f["status"], "unchanged", "{f:#}");
        }
    }
}

#[test]
fn blocks_bad_office_files_with_reasons() {
    let c = office_corpus();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let run = bin()
        .args(["clean", "--json", "--forbid"])
        .arg(c.join("forbid.txt"))
        .arg("--out")
        .arg(&out)
        .arg(c.join("bad"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let report = json_report(&run);
    let expect = [
        ("comment.htm", "Word comments", "cannot_clean"),
        ("forbidden.rtf", "forbidden", "forbidden"),
        ("huge-stream.doc", "OLE", "damaged"),
        ("island.htm", "Office element", "cannot_clean"),
        ("loop.doc", "OLE", "damaged"),
        ("object.rtf", "OLE object", "active_content"),
        ("truncated.doc", "OLE", "damaged"),
        ("truncated.rtf", "truncated", "damaged"),
    ];
    let files = report["files"].as_array().unwrap();
    assert_eq!(files.len(), expect.len(), "{report:#}");
    for (name, reason, code) in expect {
        let f = files
            .iter()
            .find(|f| f["path"] == name)
            .unwrap_or_else(|| panic!("{name} not reported"));
        assert_eq!(f["status"], "blocked", "{f:#}");
        assert_eq!(f["reason_code"], code, "{name}: {f:#}");
        assert!(
            f["reason"].as_str().unwrap().contains(reason),
            "{name}: {f:#}"
        );
        assert!(!out.join(name).exists(), "{name} written although blocked");
    }
}

/// A Kiwix ZIM written by python-libzim: the builder's source, scraper and a custom entry
/// emptied, the icon's text chunk gone, everything else as it was (checked with libzim's
/// own reader and integrity check); a damaged one and a stray split part are blocked.
#[test]
fn cleans_a_zim_written_by_libzim_and_libzim_reads_it_back() {
    let libzim = Command::new("python3")
        .args(["-c", "import libzim"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        libzim,
        "this test needs python-libzim: pip install libzim (.ci/pip.d/clean.txt)"
    );
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/clean");
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let zim = lib.join("위키.zim");
    let made = Command::new("python3")
        .arg(data.join("make_zim.py"))
        .arg(&zim)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let out = dir.path().join("out");
    let o = bin()
        .arg("clean")
        .arg(&lib)
        .arg("--out")
        .arg(&out)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report = json_report(&o);
    let f = &report["files"][0];
    assert_eq!(
        (f["format"].as_str(), f["status"].as_str()),
        (Some("zim"), Some("cleaned")),
        "{f}"
    );
    let removed = f["removed"].to_string();
    for what in [
        "M/Source",
        "M/Scraper",
        "M/X-Builder-Host",
        "M/Illustration_48x48@1",
    ] {
        assert!(removed.contains(what), "{what}: {removed}");
    }
    let verify = Command::new("python3")
        .arg(data.join("verify_zim.py"))
        .arg(&zim)
        .arg(out.join("위키.zim"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    // Cleaning the output again changes nothing.
    let again = dir.path().join("again");
    let o = bin()
        .arg("clean")
        .arg(out.join("위키.zim"))
        .arg("--out")
        .arg(&again)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json_report(&o)["files"][0]["status"], "unchanged");

    // A name in kept metadata: blocked, naming the entry and the list's line, not the name.
    let forbid = dir.path().join("forbid.txt");
    std::fs::write(&forbid, "# names\nopenZIM\n").unwrap();
    let o = bin()
        .arg("clean")
        .arg(&zim)
        .arg("--out")
        .arg(dir.path().join("forbidden"))
        .arg("--forbid")
        .arg(&forbid)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let reason = json_report(&o)["files"][0]["reason"].to_string();
    assert!(
        reason.contains("M/Publisher") && reason.contains("line 2"),
        "{reason}"
    );
    assert!(!reason.contains("openZIM"), "{reason}");

    // Damaged (one byte of the archive's UUID changed: only the checksum can tell) and a
    // later part of a split ZIM without its first: blocked.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    let mut bytes = std::fs::read(&zim).unwrap();
    bytes[10] ^= 0x55;
    std::fs::write(bad.join("damaged.zim"), &bytes).unwrap();
    std::fs::copy(&zim, bad.join("위키.zimab")).unwrap();
    let o = bin()
        .arg("clean")
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("bad-out"))
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let r = json_report(&o);
    let reason = |name: &str| {
        r["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == name)
            .map(|f| f["reason"].to_string())
            .unwrap()
    };
    assert!(reason("damaged.zim").contains("MD5"), "{r}");
    assert!(
        reason("위키.zimab").contains("split ZIM whose earlier parts are not all beside it"),
        "{r}"
    );
}

/// Writes `bytes` as `stem.zimaa`, `stem.zimab`... of `sizes` bytes each (the rest last),
/// as `split -b` and `zimsplit` do.
fn write_parts(dir: &Path, stem: &str, bytes: &[u8], sizes: &[usize]) -> Vec<PathBuf> {
    let mut at = 0;
    let mut paths = Vec::new();
    for (i, &n) in sizes.iter().chain(std::iter::once(&usize::MAX)).enumerate() {
        if at >= bytes.len() {
            break;
        }
        let end = at.saturating_add(n).min(bytes.len());
        let suffix = format!(
            "{}{}",
            (b'a' + (i / 26) as u8) as char,
            (b'a' + (i % 26) as u8) as char
        );
        let p = dir.join(format!("{stem}.zim{suffix}"));
        std::fs::write(&p, &bytes[at..end]).unwrap();
        paths.push(p);
        at = end;
    }
    paths
}

/// A ZIM split into parts (how a Wikipedia over 4 GiB goes onto a FAT32 drive) is cleaned as
/// one archive and written back in parts of the same size, which libzim opens as one; a
/// set with a part missing or of unequal parts is blocked, saying so.
#[test]
fn a_split_zim_is_cleaned_as_one_and_written_back_in_parts_libzim_reads() {
    let libzim = Command::new("python3")
        .args(["-c", "import libzim"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        libzim,
        "this test needs python-libzim: pip install libzim (.ci/pip.d/clean.txt)"
    );
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/clean");
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("위키.zim");
    let made = Command::new("python3")
        .arg(data.join("make_zim.py"))
        .arg(&whole)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let bytes = std::fs::read(&whole).unwrap();
    let part = bytes.len().div_ceil(3);
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(lib.join("wiki")).unwrap();
    let parts = write_parts(&lib.join("wiki"), "위키", &bytes, &[part, part]);
    assert_eq!(parts.len(), 3);
    std::fs::write(lib.join("notes.txt"), "읽을거리\n").unwrap();

    let clean = |lib: &Path, out: &Path| {
        let o = bin()
            .arg("clean")
            .arg(lib)
            .arg("--out")
            .arg(out)
            .arg("--json")
            .output()
            .unwrap();
        let code = o.status.code();
        (code, json_report(&o))
    };
    let out = dir.path().join("out");
    let (code, r) = clean(&lib, &out);
    assert_eq!(code, Some(0), "{r}");
    let files = r["files"].as_array().unwrap();
    assert_eq!(
        files.len(),
        2,
        "one entry for the set, one for the text: {r}"
    );
    let z = files
        .iter()
        .find(|f| f["path"] == "wiki/위키.zimaa")
        .unwrap();
    assert_eq!(
        (z["format"].as_str(), z["status"].as_str()),
        (Some("zim"), Some("cleaned")),
        "{z}"
    );
    assert!(z["removed"].to_string().contains("M/Source"), "{z}");
    assert_eq!(z["bytes_in"], bytes.len());

    // The same archive cleaned whole, for comparison: the parts are its bytes, cut at the
    // input's part size.
    let whole_out = dir.path().join("whole-out");
    let (code, _) = clean(&whole, &whole_out);
    assert_eq!(code, Some(0));
    let cleaned = std::fs::read(whole_out.join("위키.zim")).unwrap();
    assert_eq!(z["bytes_out"], cleaned.len());
    let names: Vec<&str> = z["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..cleaned.len().div_ceil(part))
        .map(|i| format!("wiki/위키.zima{}", (b'a' + i as u8) as char))
        .collect();
    assert_eq!(names, expected, "{z}");
    let mut joined = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let b = std::fs::read(out.join(n)).unwrap();
        if i + 1 < names.len() {
            assert_eq!(b.len(), part, "{n}");
        }
        joined.extend(b);
    }
    assert!(
        joined == cleaned,
        "the parts are the cleaned archive's bytes"
    );
    // libzim opens the parts as one archive (asked for `위키.zim`, it finds `위키.zimaa`...)
    // and finds everything the documented rule keeps, nothing it removes.
    let verify = Command::new("python3")
        .arg(data.join("verify_zim.py"))
        .arg(&whole)
        .arg(out.join("wiki/위키.zim"))
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    // The manifest lists every part, so `pack` and `verify` check each.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(".saebaram-clean.json")).unwrap()).unwrap();
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for n in &names {
        assert!(listed.contains(n), "{n} not in {listed:?}");
    }

    // Again: the set is kept as it is.
    let (code, r) = clean(&lib, &out);
    assert_eq!(code, Some(0), "{r}");
    let z = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "wiki/위키.zimaa")
        .unwrap()
        .clone();
    assert_eq!(z["reused"], true, "{z}");
    assert_eq!(z["parts"].as_array().unwrap().len(), names.len(), "{z}");

    // A part goes missing: the first part alone is a truncated archive and the third a part
    // without its set: both blocked, and the set's old parts are deleted from the output.
    std::fs::remove_file(&parts[1]).unwrap();
    let (code, r) = clean(&lib, &out);
    assert_eq!(code, Some(1), "{r}");
    let reason = |r: &serde_json::Value, name: &str| {
        r["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == name)
            .map(|f| (f["reason"].to_string(), f["reason_code"].to_string()))
            .unwrap_or_else(|| panic!("{name} not in {r}"))
    };
    assert!(
        reason(&r, "wiki/위키.zimac")
            .0
            .contains("earlier parts are not all beside it"),
        "{r}"
    );
    assert_eq!(reason(&r, "wiki/위키.zimaa").1, "\"damaged\"", "{r}");
    for n in &names {
        assert!(!out.join(n).exists(), "{n} is still in the output");
    }
    let deleted = r["deleted"].to_string();
    assert!(names.iter().all(|n| deleted.contains(n)), "{deleted}");

    // Parts of unequal size are not a split set as `split` makes them: blocked, naming the
    // sizes.
    let odd = dir.path().join("odd");
    std::fs::create_dir_all(&odd).unwrap();
    write_parts(&odd, "위키", &bytes, &[part, part - 100]);
    let (code, r) = clean(&odd, &dir.path().join("odd-out"));
    assert_eq!(code, Some(1), "{r}");
    let (why, kind) = reason(&r, "위키.zimaa");
    assert!(
        why.contains("not all the same size") && kind == "\"damaged\"",
        "{r}"
    );
}

#[test]
fn exclude_leaves_out_files_and_folders_without_reading_them_and_prunes_old_outputs() {
    let work = tempfile::tempdir().unwrap();
    let lib = work.path().join("library");
    for d in ["a", "drafts/deep", "photos/2019"] {
        std::fs::create_dir_all(lib.join(d)).unwrap();
    }
    std::fs::write(lib.join("a/keep.txt"), "kept\n").unwrap();
    std::fs::write(lib.join("a/x.tmp"), "scratch\n").unwrap();
    std::fs::write(lib.join("drafts/deep/secret.txt"), "draft\n").unwrap();
    std::fs::write(lib.join("photos/c.txt"), "c\n").unwrap();
    std::fs::write(lib.join("photos/2019/b.txt"), "b\n").unwrap();
    // A FIFO is blocked when cleaned ("not a regular file"): inside a left-out folder it
    // must not even be looked at.
    let fifo = lib.join("drafts/pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let out = work.path().join("out");
    let clean = |patterns: &[&str]| {
        let mut c = bin();
        c.arg("clean")
            .arg(&lib)
            .arg("--out")
            .arg(&out)
            .arg("--json");
        for p in patterns {
            c.arg("--exclude").arg(p);
        }
        c.output().unwrap()
    };
    let first = clean(&["*.tmp", "drafts/", "photos/2019/*"]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let r = json_report(&first);
    let paths: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a/keep.txt", "photos/c.txt"], "{r}");
    let excluded: Vec<(&str, &str)> = r["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["path"].as_str().unwrap(), x["pattern"].as_str().unwrap()))
        .collect();
    assert_eq!(
        excluded,
        [
            ("a/x.tmp", "*.tmp"),
            ("drafts/", "drafts/"),
            ("photos/2019/b.txt", "photos/2019/*"),
        ],
        "{r}"
    );
    assert_eq!(r["summary"]["excluded"], 3, "{r}");
    assert_eq!(r["manifest_written"], true, "{r}");
    assert!(!out.join("a/x.tmp").exists() && !out.join("drafts").exists());
    assert!(!out.join("photos/2019").exists());
    assert_eq!(std::fs::read(out.join("photos/c.txt")).unwrap(), b"c\n");

    // Leaving out a folder that was cleaned before deletes its outputs; the rest is kept
    // without being read again.
    let second = clean(&["*.tmp", "drafts/", "photos"]);
    assert_eq!(second.status.code(), Some(0));
    let r = json_report(&second);
    assert_eq!(r["deleted"], serde_json::json!(["photos/c.txt"]), "{r}");
    assert_eq!(r["files"][0]["reused"], true, "{r}");
    assert!(!out.join("photos").exists(), "an emptied folder stayed");
    // The human report names what was left out and why.
    let human = {
        let mut c = bin();
        c.arg("clean").arg(&lib).arg("--out").arg(&out).args([
            "--exclude",
            "*.tmp",
            "--exclude",
            "drafts/",
            "--exclude",
            "photos",
        ]);
        c.output().unwrap()
    };
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("left out   drafts/ (--exclude drafts/)"),
        "{text}"
    );

    // Without `drafts/` left out, the FIFO is found and blocks the run.
    let blocked = clean(&["*.tmp", "photos"]);
    assert_eq!(blocked.status.code(), Some(1));
    let r = json_report(&blocked);
    assert!(
        r["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "drafts/pipe" && f["status"] == "blocked"),
        "{r}"
    );

    // A malformed pattern: exit 2, the pattern named, no output folder made.
    let fresh = work.path().join("fresh");
    let bad = bin()
        .arg("clean")
        .arg(&lib)
        .arg("--out")
        .arg(&fresh)
        .args(["--exclude", "photos/[z-"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--exclude \"photos/[z-\""), "{err}");
    assert!(!fresh.exists(), "a refused run made its output folder");
}
