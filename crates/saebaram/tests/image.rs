//! `saebaram pack` and `saebaram verify` on real files, checked with independent tools:
//! `fsck.fat` (dosfstools) and `mdir`/`mcopy` (mtools) must be installed (see
//! `.ci/apt.d/image.txt`); these tests fail rather than skip without them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use saebaram_image::ImageManifest;
use saebaram_image::reader::Volume;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_saebaram"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run saebaram")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn tool(name: &str, args: &[&str]) -> Output {
    Command::new(name)
        .args(args)
        .env("MTOOLS_SKIP_CHECK", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!("{name} is needed for this test (apt-get install dosfstools mtools): {e}")
        })
}

fn put(dir: &Path, rel: &str, data: &[u8]) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

/// Text that looks random (the cleaner accepts text files as they are).
fn lines(seed: u64, bytes: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(bytes);
    while out.len() < bytes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(format!("{x:016x} line\n").as_bytes());
    }
    out.truncate(bytes);
    out
}

/// A raw library with Hangul names, nesting, empty and cluster-sized files.
fn raw_library(dir: &Path) -> PathBuf {
    let raw = dir.join("raw");
    put(&raw, "README.TXT", b"read me\n");
    put(&raw, "영화/첫 번째 영화 설명.txt", &lines(1, 70_000));
    put(&raw, "영화/둘.txt", &lines(2, 512));
    put(&raw, "영화/깊은/폴더/안의 파일.txt", &lines(3, 1_000_001));
    put(
        &raw,
        "books/Long File Name With Spaces.txt",
        &lines(4, 4096),
    );
    put(&raw, "books/a.txt", &lines(5, 3));
    put(&raw, "books/empty.txt", b"");
    put(
        &raw,
        "books/Long File Name With Spaces 2.txt",
        &lines(6, 10),
    );
    raw
}

/// Cleans `raw` into `dir/clean` with the real `saebaram clean`.
fn clean(dir: &Path, raw: &Path) -> PathBuf {
    let out = dir.join("clean");
    let o = run(&[
        "clean",
        raw.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "clean failed: {}", text(&o));
    out
}

fn pack(lib: &Path, img: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "pack",
        lib.to_str().unwrap(),
        "--out",
        img.to_str().unwrap(),
        "-q",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                if !saebaram_clean::manifest::RESERVED_NAMES.contains(&rel.as_str()) {
                    out.push((rel, fs::read(&p).unwrap()));
                }
            }
        }
    }
    out.sort();
    out
}

/// The FAT32 partition as its own file (fsck.fat has no offset option).
fn partition_copy(img: &Path, to: &Path) {
    let bytes = fs::read(img).unwrap();
    fs::write(to, &bytes[1 << 20..]).unwrap();
}

fn leftovers(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".saebaram"))
        .collect()
}

#[test]
fn image_passes_fsck_and_mtools_extract_every_file_byte_identical() {
    let t = tempfile::tempdir().unwrap();
    let clean = clean(t.path(), &raw_library(t.path()));
    let img = t.path().join("drive.img");
    let o = pack(&clean, &img, &["--fit", "--seed", "7"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(leftovers(t.path()).is_empty());

    let part = t.path().join("part.img");
    partition_copy(&img, &part);
    let fsck = tool("fsck.fat", &["-n", "-V", part.to_str().unwrap()]);
    assert!(fsck.status.success(), "fsck.fat: {}", text(&fsck));
    assert!(!text(&fsck).contains("differ"), "fsck.fat: {}", text(&fsck));

    let spec = format!("{}@@1M", img.display());
    let mdir = tool("mdir", &["-i", &spec, "-/", "::"]);
    assert!(mdir.status.success(), "mdir: {}", text(&mdir));
    let listing = String::from_utf8_lossy(&mdir.stdout);
    assert!(listing.contains("첫 번째 영화 설명.txt"), "{listing}");
    assert!(listing.contains("has no label"), "{listing}");

    let ex = t.path().join("extracted");
    fs::create_dir(&ex).unwrap();
    let mcopy = tool(
        "mcopy",
        &["-s", "-n", "-i", &spec, "::/*", ex.to_str().unwrap()],
    );
    assert!(mcopy.status.success(), "mcopy: {}", text(&mcopy));
    let want = files_under(&clean);
    let got = files_under(&ex);
    assert_eq!(want.len(), 8);
    assert_eq!(
        got.iter().map(|f| &f.0).collect::<Vec<_>>(),
        want.iter().map(|f| &f.0).collect::<Vec<_>>(),
        "names (Hangul included) must round-trip"
    );
    assert!(got == want, "extracted content differs");

    // The manifest lists every file with its BLAKE3 and the image hash.
    let m = ImageManifest::read(&t.path().join("drive.img.manifest.json")).unwrap();
    assert_eq!(m.files.len(), 8);
    assert_eq!(m.image.size, fs::metadata(&img).unwrap().len());
    let bytes = fs::read(&img).unwrap();
    let data_end = m.image.data_end as usize;
    assert_eq!(
        m.image.data_blake3,
        blake3::hash(&bytes[..data_end]).to_hex().to_string()
    );
    assert!(
        bytes[data_end..].iter().all(|&b| b == 0),
        "the free space is zero"
    );
    for (path, data) in &want {
        let rec = m
            .file(path)
            .unwrap_or_else(|| panic!("{path} not in manifest"));
        assert_eq!(
            rec.blake3,
            blake3::hash(data).to_hex().to_string(),
            "{path}"
        );
    }
    assert_eq!(m.policy.oem_name, "MSWIN4.1");
    assert_eq!(
        &fs::read(&img).unwrap()[(1 << 20) + 3..(1 << 20) + 11],
        b"MSWIN4.1"
    );
    assert_eq!(m.partition.start_bytes, 1 << 20);
    assert_eq!(fs::read(&img).unwrap()[0x1BE + 4], 0x0C);
}

#[test]
fn loop_mount_reads_the_image_back_where_the_machine_allows() {
    let t = tempfile::tempdir().unwrap();
    let clean = clean(t.path(), &raw_library(t.path()));
    let img = t.path().join("drive.img");
    assert!(pack(&clean, &img, &["--fit"]).status.success());
    let mnt = t.path().join("mnt");
    fs::create_dir(&mnt).unwrap();
    let m = Command::new("mount")
        .args(["-o", "loop,ro,offset=1048576", "-t", "vfat"])
        .arg(&img)
        .arg(&mnt)
        .output();
    match m {
        Ok(o) if o.status.success() => {
            let got = files_under(&mnt);
            let _ = Command::new("umount").arg(&mnt).status();
            assert!(got == files_under(&clean), "loop-mounted content differs");
        }
        other => eprintln!(
            "SKIPPED loop mount: this machine cannot loop-mount vfat ({}); mtools and fsck.fat checks cover the image",
            match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_owned(),
                Err(e) => e.to_string(),
            }
        ),
    }
}

#[test]
fn same_seed_gives_identical_bytes_and_seeds_change_serial_and_signature() {
    let t = tempfile::tempdir().unwrap();
    let clean = clean(t.path(), &raw_library(t.path()));
    let build = |name: &str, extra: &[&str]| {
        let img = t.path().join(name);
        let o = pack(&clean, &img, &[&["--size", "40MiB"], extra].concat());
        assert!(o.status.success(), "{}", text(&o));
        fs::read(img).unwrap()
    };
    let a = build("a.img", &["--seed", "1"]);
    let b = build("b.img", &["--seed", "1"]);
    assert!(a == b, "same library + same seed must give the same bytes");
    let c = build("c.img", &["--seed", "2"]);
    let serial = |img: &[u8]| img[(1 << 20) + 67..(1 << 20) + 71].to_vec();
    let sig = |img: &[u8]| img[0x1B8..0x1BC].to_vec();
    assert_ne!(serial(&a), serial(&c));
    assert_ne!(sig(&a), sig(&c));
    // Without --seed the OS generator decides: two builds differ.
    let d = build("d.img", &[]);
    let e = build("e.img", &[]);
    assert_ne!(serial(&d), serial(&e));
    assert_ne!(sig(&d), sig(&e));
    let m = ImageManifest::read(&t.path().join("d.img.manifest.json")).unwrap();
    assert_eq!(m.policy.randomness, "os-csprng");
}

#[test]
fn no_timestamp_equals_the_build_day() {
    let t = tempfile::tempdir().unwrap();
    let clean = clean(t.path(), &raw_library(t.path()));
    let img = t.path().join("drive.img");
    assert!(pack(&clean, &img, &["--fit"]).status.success());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // Today in any time zone: UTC-12 .. UTC+14.
    let mut build_days = Vec::new();
    for shift in [-12 * 3600, 0, 14 * 3600] {
        let days = (now + shift).div_euclid(86_400);
        let (y, m, d) = civil(days);
        build_days.push((((y - 1980) as u16) << 9) | ((m as u16) << 5) | d as u16);
    }
    let mut vol = Volume::open(fs::File::open(&img).unwrap()).unwrap();
    let entries = vol.walk().unwrap();
    assert!(entries.len() >= 10);
    for e in &entries {
        for date in e.dates {
            assert!(
                !build_days.contains(&date),
                "{}: a timestamp on the build day",
                e.path
            );
            let year = 1980 + (date >> 9);
            assert!(
                (2021..=2024).contains(&year),
                "{}: year {year} outside the default policy",
                e.path
            );
        }
    }
    // A fixed policy puts exactly that time everywhere.
    let img2 = t.path().join("fixed.img");
    let o = pack(
        &clean,
        &img2,
        &["--fit", "--timestamps", "fixed:2023-03-14T10:00"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let mut vol = Volume::open(fs::File::open(&img2).unwrap()).unwrap();
    let want_date = (43u16 << 9) | (3 << 5) | 14;
    for e in vol.walk().unwrap() {
        assert_eq!(e.dates, [want_date; 3], "{}", e.path);
        assert_eq!(e.times, [10 << 11; 2], "{}", e.path);
    }
}

fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[test]
fn label_only_when_given() {
    let t = tempfile::tempdir().unwrap();
    let clean = clean(t.path(), &raw_library(t.path()));
    let img = t.path().join("l.img");
    let o = pack(&clean, &img, &["--fit", "--label", "movies"]);
    assert!(o.status.success(), "{}", text(&o));
    let spec = format!("{}@@1M", img.display());
    let mdir = tool("mdir", &["-i", &spec, "::"]);
    assert!(
        text(&mdir).contains("Volume in drive : is MOVIES"),
        "{}",
        text(&mdir)
    );
    let o = pack(&clean, &img, &["--fit", "--label", "영화"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("label"), "{}", text(&o));
}

#[test]
fn a_library_that_does_not_fit_says_by_how_much() {
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    put(&raw, "big.txt", &lines(9, 30 << 20));
    put(&raw, "big2.txt", &lines(10, 10 << 20));
    let clean = clean(t.path(), &raw);
    let img = t.path().join("small.img");
    let o = pack(&clean, &img, &["--size", "36MiB"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let msg = text(&o);
    assert!(
        msg.contains("does not fit") && msg.contains("too many") && msg.contains("big.txt"),
        "{msg}"
    );
    assert!(!img.exists());
    assert!(leftovers(t.path()).is_empty(), "{:?}", leftovers(t.path()));
    // The same check runs before cleaning a raw library.
    let o = pack(&raw, &img, &["--size", "36MiB"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("does not fit"), "{}", text(&o));
    // --fit makes it fit.
    assert!(pack(&clean, &img, &["--fit"]).status.success());
}

#[test]
fn files_over_4_gib_are_refused_with_advice() {
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    put(&raw, "ok.txt", b"fine\n");
    let f = fs::File::create(raw.join("film.mkv")).unwrap();
    f.set_len(u32::MAX as u64 + 1).unwrap(); // sparse: costs nothing
    let img = t.path().join("x.img");
    let o = pack(&raw, &img, &["--fit"]);
    assert_eq!(o.status.code(), Some(2));
    let msg = text(&o);
    assert!(
        msg.contains("film.mkv") && msg.contains("4 GiB") && msg.contains("--exclude"),
        "{msg}"
    );
    assert!(!img.exists());
}

#[test]
fn names_fat_cannot_hold_and_links_are_refused() {
    for (rel, needle) in [
        ("CON.txt", "reserved"),
        ("dir/aux", "reserved"),
        ("a:b.txt", "':'"),
        ("what?.txt", "'?'"),
        ("trailing.", "ends with a dot"),
    ] {
        let t = tempfile::tempdir().unwrap();
        let raw = t.path().join("raw");
        put(&raw, "ok.txt", b"fine\n");
        put(&raw, rel, b"x\n");
        let img = t.path().join("x.img");
        let o = pack(&raw, &img, &["--fit"]);
        assert_eq!(o.status.code(), Some(2), "{rel}: {}", text(&o));
        let msg = text(&o);
        assert!(msg.contains(rel) && msg.contains(needle), "{rel}: {msg}");
        assert!(!img.exists());
        // --exclude by name lets the rest through.
        let name = rel.rsplit('/').next().unwrap();
        let o = pack(&raw, &img, &["--fit", "--exclude", name]);
        assert!(o.status.success(), "{rel}: {}", text(&o));
    }
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    put(&raw, "ok.txt", b"fine\n");
    std::os::unix::fs::symlink(&raw, raw.join("loop")).unwrap();
    let o = pack(&raw, &t.path().join("x.img"), &["--fit"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("symbolic link"), "{}", text(&o));
    // A path too long for Windows.
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    let long = "가".repeat(70);
    put(&raw, &format!("{long}/{long}/{long}/{long}.txt"), b"x\n");
    let o = pack(&raw, &t.path().join("x.img"), &["--fit"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("UTF-16 units"), "{}", text(&o));
}

#[test]
fn blocked_files_stop_a_raw_pack_unless_excluded() {
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    put(&raw, "notes.txt", b"hello\n");
    put(&raw, "blob.bin", &[0u8, 1, 2, 3, 0xFF, 0xFE]);
    let img = t.path().join("x.img");
    let o = pack(&raw, &img, &["--fit"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("blob.bin") && text(&o).contains("--exclude"),
        "{}",
        text(&o)
    );
    assert!(!img.exists());
    assert!(leftovers(t.path()).is_empty(), "{:?}", leftovers(t.path()));
    let o = pack(&raw, &img, &["--fit", "--exclude", "blob.bin"]);
    assert!(o.status.success(), "{}", text(&o));
    let m = ImageManifest::read(&t.path().join("x.img.manifest.json")).unwrap();
    let paths: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["notes.txt"]);
    assert!(leftovers(t.path()).is_empty(), "{:?}", leftovers(t.path()));
}

#[test]
fn a_clean_tree_changed_after_cleaning_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let clean = clean(t.path(), &raw_library(t.path()));
    let img = t.path().join("x.img");
    // Same size, different content: caught by the hash while packing.
    put(&clean, "books/a.txt", b"XYZ");
    let o = pack(&clean, &img, &["--fit"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("books/a.txt") && text(&o).contains("clean"),
        "{}",
        text(&o)
    );
    assert!(!img.exists());
    assert!(leftovers(t.path()).is_empty(), "{:?}", leftovers(t.path()));
    // A file added after cleaning.
    let clean2 = clean.parent().unwrap().join("clean2");
    let o = run(&[
        "clean",
        t.path().join("raw").to_str().unwrap(),
        "--out",
        clean2.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    put(&clean2, "added.txt", b"new");
    let o = pack(&clean2, &img, &["--fit"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("added.txt"), "{}", text(&o));
}

#[test]
fn verify_passes_and_names_a_flipped_file() {
    let t = tempfile::tempdir().unwrap();
    let clean = clean(t.path(), &raw_library(t.path()));
    let img = t.path().join("drive.img");
    assert!(
        pack(&clean, &img, &["--fit", "--seed", "3"])
            .status
            .success()
    );
    let o = run(&["verify", img.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("matches"));

    let m = ImageManifest::read(&t.path().join("drive.img.manifest.json")).unwrap();
    let target = m.file("영화/깊은/폴더/안의 파일.txt").unwrap();
    let off = m.filesystem.data_start_bytes
        + (target.first_cluster.unwrap() as u64 - 2) * m.filesystem.cluster_size as u64
        + 12_345;
    let mut bytes = fs::read(&img).unwrap();
    bytes[off as usize] ^= 0x01;
    let bad = t.path().join("bad.img");
    fs::write(&bad, &bytes).unwrap();
    let manifest = t.path().join("drive.img.manifest.json");
    let o = run(&[
        "verify",
        bad.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let kinds: Vec<(String, String)> = report["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["path"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("file_content".into(), "영화/깊은/폴더/안의 파일.txt".into())),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| k.0 == "file_content").count(),
        1,
        "{kinds:?}"
    );

    // A flipped byte in free space: no file differs, the report says so.
    let mut bytes = fs::read(&img).unwrap();
    let last = bytes.len() - 100;
    bytes[last] = 0xAA;
    fs::write(&bad, &bytes).unwrap();
    let o = run(&[
        "verify",
        bad.to_str().unwrap(),
        "--manifest",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("free space"), "{}", text(&o));
    // A missing manifest is an error, not a pass.
    let o = run(&["verify", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn toml_layout_places_files() {
    let t = tempfile::tempdir().unwrap();
    let clean = clean(t.path(), &raw_library(t.path()));
    let layout = t.path().join("layout.toml");
    fs::write(
        &layout,
        "[[file]]\nsource = \"README.TXT\"\npath = \"먼저 읽기.txt\"\n\n[[dir]]\nsource = \"영화\"\npath = \"영상\"\n",
    )
    .unwrap();
    let img = t.path().join("x.img");
    // The TOML leaves books/ out, so it must be excluded from the clean-tree check explicitly.
    let o = pack(
        &clean,
        &img,
        &[
            "--fit",
            "--manifest",
            layout.to_str().unwrap(),
            "--exclude",
            "books",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let m = ImageManifest::read(&t.path().join("x.img.manifest.json")).unwrap();
    let mut paths: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "먼저 읽기.txt",
            "영상/깊은/폴더/안의 파일.txt",
            "영상/둘.txt",
            "영상/첫 번째 영화 설명.txt"
        ]
    );
}

#[test]
fn a_full_disk_leaves_nothing_behind() {
    let t = tempfile::tempdir().unwrap();
    let raw = t.path().join("raw");
    put(&raw, "big.txt", &lines(11, 3 << 20));
    let clean = clean(t.path(), &raw);
    let small = t.path().join("small");
    fs::create_dir(&small).unwrap();
    let m = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&small)
        .output();
    match m {
        Ok(o) if o.status.success() => {}
        other => {
            eprintln!("SKIPPED full-disk test: cannot mount a small tmpfs here ({other:?})");
            return;
        }
    }
    let img = small.join("x.img");
    let o = pack(&clean, &img, &["--fit"]);
    let listing: Vec<_> = fs::read_dir(&small)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    let _ = Command::new("umount").arg(&small).status();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("disk is full"), "{}", text(&o));
    assert!(listing.is_empty(), "left behind: {listing:?}");
}
