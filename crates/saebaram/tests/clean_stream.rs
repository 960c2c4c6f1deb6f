//! `saebaram clean` on what a real library holds: films over 4 GiB (streamed, memory bounded,
//! streams unchanged), AVI over 1 GiB (OpenDML), RF64 WAV, re-cleaning into the same output
//! (incremental, deletions), and files that change while they are cleaned.
//!
//! The large files take almost no disk: CI machines may have only a few GB free (a run
//! whose films were written out in full filled one). The film is ffmpeg's one-frame movie
//! given a 4.3 GiB hole inside its `mdat`; the AVI is ffmpeg's black raw video with its zero
//! runs punched out as holes while ffmpeg writes it (it never takes more than about 300 MB;
//! written whole, it took 1.2 GB for a moment). The
//! cleaner must keep those holes in its output (`OutputFile` skips zero blocks), which the
//! tests check as well. Everything is deleted at the end of each test.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use saebaram_clean::manifest::{MANIFEST_FILE_NAME, verify_tree};
use saebaram_clean::state::STATE_FILE_NAME;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_saebaram"))
}

fn require(tool: &str, install: &str) {
    let ok = Command::new(tool)
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "this test needs `{tool}`: {install}");
}

fn ffmpeg(args: &[&str]) {
    require("ffmpeg", "apt-get install ffmpeg (.ci/apt.d/clean.txt)");
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the binary and returns (exit code, JSON report, peak RSS in KiB of that process).
///
/// The peak is measured by GNU `time`, which starts the binary itself. A child of the test
/// process cannot be measured with `wait4`: Linux carries the high-water mark of the memory
/// the child was spawned from (this test process, whose other tests hold large buffers at
/// the same time) into the child's `ru_maxrss`, so a CI run reported 1.2 GB for a cleaner
/// that never held more than a few MiB. `time`'s own child starts from `time`'s small memory.
fn clean_measured(args: &[&Path]) -> (i32, serde_json::Value, u64) {
    const TIME: &str = "/usr/bin/time";
    assert!(
        Path::new(TIME).exists(),
        "this test needs GNU time at {TIME}: apt-get install time (.ci/apt.d/clean.txt)"
    );
    let rss_file = tempfile::NamedTempFile::new().expect("temporary file for the RSS");
    let out = Command::new(TIME)
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(rss_file.path())
        .arg(env!("CARGO_BIN_EXE_saebaram"))
        .arg("clean")
        .arg("--json")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run saebaram under GNU time");
    let code = out.status.code().unwrap_or(-1);
    let text = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "bad JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // GNU time writes "Command exited with non-zero status N" before the figure on failure.
    let written = std::fs::read_to_string(rss_file.path()).expect("read GNU time's output");
    let rss_kib = written
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("GNU time wrote no peak RSS: {written:?}"));
    (code, report, rss_kib)
}

fn run_clean(args: &[&Path]) -> (i32, serde_json::Value) {
    let (code, report, _) = clean_measured(args);
    (code, report)
}

/// Offset and size of the first top-level box `kind` of an ISO-BMFF file.
fn find_box(path: &Path, kind: &[u8; 4]) -> (u64, u64) {
    let mut f = std::fs::File::open(path).unwrap();
    let len = f.metadata().unwrap().len();
    let mut pos = 0u64;
    while pos + 8 <= len {
        let mut h = [0u8; 16];
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(pos)).unwrap();
        f.read_exact(&mut h[..8]).unwrap();
        let mut size = u64::from(u32::from_be_bytes(h[..4].try_into().unwrap()));
        if size == 1 {
            f.read_exact(&mut h[8..]).unwrap();
            size = u64::from_be_bytes(h[8..].try_into().unwrap());
        }
        if &h[4..8] == kind {
            return (pos, size);
        }
        assert!(size >= 8, "bad box at {pos}");
        pos += size;
    }
    panic!("no {kind:?} box");
}

/// Where the next data of `f` at or after `pos` starts (`None`: only a hole remains).
fn next_data(f: &std::fs::File, pos: u64) -> Option<u64> {
    match rustix::fs::seek(f, rustix::fs::SeekFrom::Data(pos)) {
        Ok(at) => Some(at),
        Err(rustix::io::Errno::NXIO) => None,
        Err(e) => panic!("SEEK_DATA at {pos}: {e}"),
    }
}

/// The byte ranges where two files of the same length differ: (first, last) offset.
/// Stretches that are holes in both files (zeros in both) are skipped, not read.
fn differing_span(a: &Path, b: &Path) -> Option<(u64, u64)> {
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let len = fa.metadata().unwrap().len();
    assert_eq!(len, fb.metadata().unwrap().len());
    let (mut ba, mut bb) = (vec![0u8; 4 << 20], vec![0u8; 4 << 20]);
    let (mut first, mut last) = (None, 0u64);
    let mut pos = 0u64;
    while pos < len {
        let data = [next_data(&fa, pos), next_data(&fb, pos)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(len);
        if data > pos {
            pos = data;
            continue;
        }
        let n = ba.len().min((len - pos) as usize);
        for (f, buf) in [(&mut fa, &mut ba), (&mut fb, &mut bb)] {
            std::io::Seek::seek(f, std::io::SeekFrom::Start(pos)).unwrap();
            f.read_exact(&mut buf[..n]).unwrap();
        }
        if ba[..n] != bb[..n] {
            for i in 0..n {
                if ba[i] != bb[i] {
                    first.get_or_insert(pos + i as u64);
                    last = pos + i as u64;
                }
            }
        }
        pos += n as u64;
    }
    first.map(|f| (f, last))
}

fn contains(path: &Path, needle: &[u8], from: u64, len: u64) -> bool {
    let mut f = std::fs::File::open(path).unwrap();
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(from)).unwrap();
    let mut buf = vec![0u8; len as usize];
    f.read_exact(&mut buf).unwrap();
    buf.windows(needle.len()).any(|w| w == needle)
}

/// Peak memory allowed for cleaning one film: the program, its threads, and each worker's
/// `saebaram_clean::STREAM_BUFFER_BYTES` (about 3 MiB); far under the 256 MiB goal.
const FILM_RSS_LIMIT_KIB: u64 = 64 << 10;

/// Bytes of disk a file takes (holes take none).
fn on_disk(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::blocks(&std::fs::metadata(path).unwrap()) * 512
}

/// The data may not take more disk than this: everything but the frames is holes.
const SPARSE_LIMIT: u64 = 64 << 20;

/// A QuickTime film over 4 GiB that takes a few MB of disk. ffmpeg writes one black raw
/// frame with the planted metadata as `ftyp`, `wide`, `mdat` (32-bit size), `moov`. The
/// copy replaces `wide` and the 8-byte `mdat` header by one 16-byte `mdat` header with a
/// 64-bit size (so every sample offset in `moov` stays right) and leaves a hole of
/// `hole` bytes after the frame, inside the `mdat` (unreferenced bytes there are legal).
fn sparse_film(dir: &Path, hole: u64) -> PathBuf {
    let small = dir.join("small.mov");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=black:size=1920x1080:rate=25",
        "-frames:v",
        "1",
        "-c:v",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-metadata",
        "title=Kim Chol home video",
        "-metadata",
        "comment=filmed in Hyesan",
        small.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&small).unwrap();
    let (_, ftyp_len) = find_box(&small, b"ftyp");
    let (wide_at, wide_len) = find_box(&small, b"wide");
    let (mdat_at, mdat_len) = find_box(&small, b"mdat");
    let (moov_at, _) = find_box(&small, b"moov");
    assert_eq!(
        (wide_at, wide_len, mdat_at),
        (ftyp_len, 8, ftyp_len + 8),
        "ffmpeg's movie layout changed"
    );
    std::fs::remove_file(&small).unwrap();
    let frames = &bytes[(mdat_at + 8) as usize..moov_at as usize];
    let film = dir.join("film.mov");
    let mut f = std::fs::File::create(&film).unwrap();
    f.write_all(&bytes[..ftyp_len as usize]).unwrap();
    f.write_all(&1u32.to_be_bytes()).unwrap();
    f.write_all(b"mdat").unwrap();
    f.write_all(&(mdat_len + 8 + hole).to_be_bytes()).unwrap();
    f.write_all(frames).unwrap();
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Current(hole as i64)).unwrap();
    f.write_all(&bytes[moov_at as usize..]).unwrap();
    drop(f);
    film
}

#[test]
fn a_film_over_4_gib_streams_unchanged_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let film = sparse_film(dir.path(), (4 << 30) + (300 << 20));
    assert!(on_disk(&film) < SPARSE_LIMIT, "the film is not sparse here");
    let len = std::fs::metadata(&film).unwrap().len();
    assert!(len > 4 << 30, "the film is only {len} bytes");
    let out = dir.path().join("out");
    let (code, report, rss_kib) = clean_measured(&[film.as_path(), Path::new("--out"), &out]);
    eprintln!("peak RSS cleaning a {len}-byte film: {rss_kib} KiB");
    assert_eq!(code, 0, "{report:#}");
    let file = &report["files"][0];
    assert_eq!(file["status"], "cleaned", "{file:#}");
    assert_eq!(file["bytes_out"].as_u64(), Some(len));
    assert!(
        rss_kib < FILM_RSS_LIMIT_KIB,
        "peak RSS {rss_kib} KiB over {FILM_RSS_LIMIT_KIB} KiB"
    );
    let cleaned = out.join("film.mov");
    // Only the movie header changed; the media data is byte-identical.
    let (moov_at, moov_len) = find_box(&film, b"moov");
    let (mdat_at, mdat_len) = find_box(&film, b"mdat");
    assert!(mdat_len > 4 << 30);
    let (first, last) = differing_span(&film, &cleaned).expect("the metadata changed");
    assert!(
        first >= moov_at && last < moov_at + moov_len,
        "bytes {first}..={last} changed outside moov {moov_at}+{moov_len}"
    );
    assert!(first >= mdat_at + mdat_len || last < mdat_at);
    for planted in [b"Kim Chol".as_slice(), b"Hyesan", b"Lavf"] {
        assert!(contains(&film, planted, moov_at, moov_len));
        assert!(!contains(&cleaned, planted, moov_at, moov_len));
    }
    // The hole stayed a hole, and ffmpeg still reads the frame.
    assert!(
        on_disk(&cleaned) < SPARSE_LIMIT,
        "the cleaned film takes {} bytes of disk",
        on_disk(&cleaned)
    );
    ffmpeg(&["-i", cleaned.to_str().unwrap(), "-f", "null", "-"]);
    // The manifest's hash is of the bytes on disk.
    verify_tree(&out).expect("the manifest matches the output");
}

#[test]
fn avi_over_1_gib_with_opendml_and_rf64_wav_are_cleaned_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    // 1.24 GB: ffmpeg switches to OpenDML (AVIX extensions) past 1 GiB. Black BGR frames
    // are all zeros, punched out as holes at once (see the module doc). The cleaner's holes are
    // whole 1 MiB blocks, so the 8-byte chunk header before each 25 MB frame keeps one block
    // of about 24 on disk.
    // `-re`: ffmpeg writes at the video's own rate (25 frames of 25 MB a second), so the
    // digging keeps up even on a loaded machine.
    let peak = ffmpeg_digging_holes(
        &[
            "-re",
            "-f",
            "lavfi",
            "-i",
            "color=c=black:size=3840x2160:rate=25",
            "-frames:v",
            "50",
            "-c:v",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
            "-metadata",
            "title=Kim Chol home video",
        ],
        &lib.join("big.avi"),
    );
    eprintln!(
        "the AVI took at most {} MiB of disk while ffmpeg wrote it",
        peak >> 20
    );
    assert!(
        peak < 300 << 20,
        "writing the AVI took {peak} bytes of disk at its peak"
    );
    dig_holes(&lib.join("big.avi"));
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=2",
        "-rf64",
        "always",
        "-metadata",
        "artist=Kim Chol",
        lib.join("tone.wav").to_str().unwrap(),
    ]);
    let avi = std::fs::metadata(lib.join("big.avi")).unwrap().len();
    assert!(avi > 1 << 30);
    let head = std::fs::read(lib.join("tone.wav")).unwrap();
    assert_eq!(&head[..4], b"RF64", "ffmpeg did not write RF64");
    let out = dir.path().join("out");
    let (code, report) = run_clean(&[lib.as_path(), Path::new("--out"), &out]);
    assert_eq!(code, 0, "{report:#}");
    for f in report["files"].as_array().unwrap() {
        assert_eq!(f["status"], "cleaned", "{f:#}");
    }
    let cleaned_avi = out.join("big.avi");
    assert_eq!(std::fs::metadata(&cleaned_avi).unwrap().len(), avi);
    assert!(
        on_disk(&cleaned_avi) < SPARSE_LIMIT,
        "the cleaned AVI takes {} bytes of disk",
        on_disk(&cleaned_avi)
    );
    // The headers end where the first `movi` list begins (ffmpeg reserves an OpenDML index
    // there whose size depends on the frame size).
    let head = {
        let mut h = vec![0u8; 1 << 20];
        let mut f = std::fs::File::open(&cleaned_avi).unwrap();
        f.read_exact(&mut h).unwrap();
        h
    };
    let movi = head
        .windows(4)
        .position(|w| w == b"movi")
        .expect("a movi list in the first MiB") as u64;
    let (first, last) = differing_span(&lib.join("big.avi"), &cleaned_avi).expect("changed");
    assert!(
        last < movi,
        "bytes {first}..={last} changed past the headers (movi at {movi})"
    );
    assert!(!contains(&cleaned_avi, b"Kim Chol", 0, movi));
    let wav = std::fs::read(out.join("tone.wav")).unwrap();
    assert_eq!(&wav[..4], b"RF64");
    assert!(!wav.windows(8).any(|w| w == b"Kim Chol"));
    // ffmpeg still decodes both, the audio samples identical.
    let md5 = |p: &Path| {
        let o = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(p)
            .args(["-map", "0:a", "-f", "md5", "-"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(md5(&lib.join("tone.wav")), md5(&out.join("tone.wav")));
}

/// Turns the zero runs of `path` into holes (util-linux `fallocate --dig-holes`).
/// Runs ffmpeg writing `out`, and while it writes, punches the zero blocks of what it has
/// written so far (`fallocate --dig-holes` on the range from 1 MiB to 16 MiB behind the end
/// of the file), so the file never takes much disk; returns the most it took, sampled. Only
/// blocks ffmpeg has finished with are dug: it writes sequentially, and what it writes back
/// later (RIFF sizes, the OpenDML super index) lies in the first MiB or next to non-zero
/// headers, which are never dug while it runs. `dig_holes` afterwards does the rest.
fn ffmpeg_digging_holes(args: &[&str], out: &Path) -> u64 {
    const MIB: u64 = 1 << 20;
    require("ffmpeg", "apt-get install ffmpeg (.ci/apt.d/clean.txt)");
    let mut child = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ffmpeg");
    let mut dug = MIB;
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for ffmpeg") {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        let Ok(meta) = std::fs::metadata(out) else {
            continue;
        };
        peak = peak.max(on_disk(out));
        let safe = meta.len().saturating_sub(16 * MIB) / MIB * MIB;
        if safe > dug {
            let dig = Command::new("fallocate")
                .arg("--dig-holes")
                .args([
                    "--offset",
                    &dug.to_string(),
                    "--length",
                    &(safe - dug).to_string(),
                ])
                .arg(out)
                .output()
                .expect("run fallocate (util-linux)");
            assert!(
                dig.status.success(),
                "fallocate: {}",
                String::from_utf8_lossy(&dig.stderr)
            );
            dug = safe;
        }
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(status.success(), "ffmpeg {args:?}: {err}");
    peak.max(on_disk(out))
}

fn dig_holes(path: &Path) {
    let out = Command::new("fallocate")
        .arg("--dig-holes")
        .arg(path)
        .output()
        .expect("run fallocate (util-linux)");
    assert!(
        out.status.success(),
        "fallocate --dig-holes {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        on_disk(path) < SPARSE_LIMIT,
        "{} is not sparse",
        path.display()
    );
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap();
    }
    std::fs::write(path, bytes).unwrap();
}

/// A small WAV with an INFO list naming someone.
fn wav_with_info(samples: &[u8]) -> Vec<u8> {
    let chunk = |id: &[u8], body: &[u8]| {
        let mut c = id.to_vec();
        c.extend_from_slice(&(body.len() as u32).to_le_bytes());
        c.extend_from_slice(body);
        if body.len() % 2 == 1 {
            c.push(0);
        }
        c
    };
    let fmt = [1, 0, 1, 0, 0x44, 0xAC, 0, 0, 0x88, 0x58, 1, 0, 2, 0, 16, 0];
    let mut info = b"INFO".to_vec();
    info.extend(chunk(b"IART", b"Kim Chol"));
    let body = [
        b"WAVE".to_vec(),
        chunk(b"fmt ", &fmt),
        chunk(b"LIST", &info),
        chunk(b"data", samples),
    ]
    .concat();
    [
        b"RIFF".to_vec(),
        (body.len() as u32).to_le_bytes().to_vec(),
        body,
    ]
    .concat()
}

fn statuses(report: &serde_json::Value) -> Vec<(String, String, bool)> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
                f["reused"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn inode(path: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).unwrap())
}

#[test]
fn cleaning_again_redoes_only_what_changed_and_deletes_what_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    let out = dir.path().join("out");
    write(&lib.join("a.txt"), b"first\n");
    write(&lib.join("songs/b.wav"), &wav_with_info(&[1, 2, 3, 4]));
    write(&lib.join("songs/c.wav"), &wav_with_info(&[5, 6, 7, 8]));
    write(&lib.join("d.txt"), "둘째\n".as_bytes());
    let args = [lib.as_path(), Path::new("--out"), out.as_path()];

    let (code, first) = run_clean(&args);
    assert_eq!(code, 0, "{first:#}");
    assert!(statuses(&first).iter().all(|(_, _, reused)| !reused));
    assert!(out.join(STATE_FILE_NAME).exists());
    let b_inode = inode(&out.join("songs/b.wav"));

    // Nothing changed: every output kept, not rewritten.
    let (code, again) = run_clean(&args);
    assert_eq!(code, 0, "{again:#}");
    assert!(
        statuses(&again).iter().all(|(_, _, reused)| *reused),
        "{again:#}"
    );
    assert_eq!(again["summary"]["reused"], 4);
    assert_eq!(inode(&out.join("songs/b.wav")), b_inode);
    verify_tree(&out).unwrap();

    // One file edited, one touched (same bytes), one deleted, one added.
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(&lib.join("a.txt"), b"first, edited\n");
    let c = std::fs::read(lib.join("songs/c.wav")).unwrap();
    std::fs::remove_file(lib.join("songs/c.wav")).unwrap();
    write(&lib.join("songs/c.wav"), &c); // a new inode and times, the same content
    std::fs::remove_file(lib.join("d.txt")).unwrap();
    write(&lib.join("e.txt"), b"new\n");
    let (code, third) = run_clean(&args);
    assert_eq!(code, 0, "{third:#}");
    let got = statuses(&third);
    let reused = |p: &str| got.iter().find(|(path, _, _)| path == p).unwrap().2;
    assert!(!reused("a.txt"));
    assert!(reused("songs/b.wav"));
    assert!(reused("songs/c.wav"), "same bytes: kept after hashing");
    assert!(!reused("e.txt"));
    assert_eq!(third["deleted"], serde_json::json!(["d.txt"]));
    assert!(!out.join("d.txt").exists());
    assert_eq!(
        std::fs::read(out.join("a.txt")).unwrap(),
        b"first, edited\n"
    );
    let manifest = verify_tree(&out).unwrap();
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(listed, ["a.txt", "e.txt", "songs/b.wav", "songs/c.wav"]);

    // A file that now blocks loses its old output and the manifest goes.
    write(&lib.join("songs/b.wav"), b"RIFF\x04\x00\x00\x00WAVE");
    let (code, fourth) = run_clean(&args);
    assert_eq!(code, 1, "{fourth:#}");
    assert!(!out.join("songs/b.wav").exists());
    assert!(!out.join(MANIFEST_FILE_NAME).exists());
    assert_eq!(fourth["deleted"], serde_json::json!(["songs/b.wav"]));

    // Other settings redo everything (a forbidden-strings list could now block a file).
    std::fs::remove_file(lib.join("songs/b.wav")).unwrap();
    let list = dir.path().join("forbid.txt");
    write(&list, b"nobody here\n");
    let mut with_list: Vec<&Path> = args.to_vec();
    with_list.extend([Path::new("--forbid"), list.as_path()]);
    let (code, fifth) = run_clean(&with_list);
    assert_eq!(code, 0, "{fifth:#}");
    assert!(statuses(&fifth).iter().all(|(_, _, reused)| !reused));

    // A file the cleaner did not write makes the folder someone else's.
    write(&out.join("stranger.txt"), b"?");
    let run = bin().arg("clean").args(args).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("did not write"));
}

/// A WAV of `len` bytes whose samples are a sparse hole (fast to make, slow enough to copy
/// that the test can change it meanwhile).
fn sparse_wav(path: &Path, len: u64) {
    let data_len = len - 44;
    let mut h = b"RIFF".to_vec();
    h.extend_from_slice(&((len - 8) as u32).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&[1, 0, 1, 0, 0x44, 0xAC, 0, 0, 0x88, 0x58, 1, 0, 2, 0, 16, 0]);
    h.extend_from_slice(b"data");
    h.extend_from_slice(&(data_len as u32).to_le_bytes());
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(&h).unwrap();
    f.set_len(len).unwrap();
}

/// Starts cleaning `input` into `out`, waits until the output is being written, runs
/// `change`, and returns the report.
fn clean_while(input: &Path, out: &Path, change: impl FnOnce()) -> (i32, serde_json::Value) {
    let child = bin()
        .args(["clean", "--json", "--jobs", "1"])
        .arg(input)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let partial = std::fs::read_dir(out).ok().is_some_and(|entries| {
            entries.flatten().any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(".saebaram-partial-")
            })
        });
        if partial {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the output never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    change();
    let o = child.wait_with_output().unwrap();
    let report = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&o.stderr));
    });
    (o.status.code().unwrap_or(-1), report)
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    walk(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != STATE_FILE_NAME))
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            v.extend(walk(&p));
        } else {
            v.push(p);
        }
    }
    v
}

#[test]
fn a_file_that_grows_shrinks_or_changes_while_cleaned_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let size = 400_000_000u64;
    type Change = Box<dyn FnOnce(&Path)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "grows",
            Box::new(|p: &Path| {
                let mut f = std::fs::OpenOptions::new().append(true).open(p).unwrap();
                f.write_all(b"more samples").unwrap();
            }),
            "while it was cleaned",
        ),
        (
            "shrinks",
            Box::new(|p: &Path| {
                let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
                f.set_len(1_000_000).unwrap();
            }),
            "while it was cleaned",
        ),
        (
            "rewritten",
            Box::new(|p: &Path| {
                let mut f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
                std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(1000)).unwrap();
                f.write_all(b"x").unwrap();
            }),
            "while it was cleaned",
        ),
    ];
    for (name, change, reason) in cases {
        let input = dir.path().join(format!("{name}.wav"));
        sparse_wav(&input, size);
        let out = dir.path().join(format!("out-{name}"));
        std::fs::create_dir(&out).unwrap();
        let (code, report) = clean_while(&input, &out, || change(&input));
        assert_eq!(code, 1, "{name}: {report:#}");
        let f = &report["files"][0];
        assert_eq!(f["status"], "blocked", "{name}: {f:#}");
        assert!(
            f["reason"].as_str().unwrap().contains(reason),
            "{name}: {f:#}"
        );
        assert!(
            leftovers(&out).is_empty(),
            "{name}: left {:?}",
            leftovers(&out)
        );
        std::fs::remove_file(&input).unwrap();
    }
}

#[test]
fn ctrl_c_stops_a_clean_mid_file_keeps_what_finished_and_the_next_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(lib.join("a.txt"), "첫 번째 / first\n").unwrap();
    // 2 GB of silence (a hole on disk, and left a hole in the output): long enough to be
    // interrupted in the middle.
    sparse_wav(&lib.join("z.wav"), 2_000_000_000);
    let out = dir.path().join("out");
    // Once a.txt is in place (one worker, in name order), z.wav is being written.
    let o = signal_while_cleaning(&lib, &out, "a.txt", "-INT");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(
        err.contains("중단했습니다") && err.contains("interrupted"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // The finished file and the state; no partial file, no manifest.
    let mut left: Vec<String> = walk(&out)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [STATE_FILE_NAME, "a.txt"]);

    let (code, report) = run_clean(&[&lib, Path::new("--out"), &out]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["manifest_written"], true, "{report}");
    let kept = reused(&report);
    assert_eq!(kept, ["a.txt"], "{report}");
    assert_eq!(
        std::fs::metadata(out.join("z.wav")).unwrap().len(),
        2_000_000_000
    );
}

fn walk_if_there(dir: &Path) -> Vec<PathBuf> {
    if dir.is_dir() { walk(dir) } else { Vec::new() }
}

#[test]
fn a_run_killed_mid_file_leaves_a_journal_and_the_next_run_takes_back_what_finished() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(lib.join("a.txt"), "첫 번째 / first\n").unwrap();
    std::fs::write(lib.join("b.txt"), "두 번째 / second\n").unwrap();
    sparse_wav(&lib.join("z.wav"), 2_000_000_000);
    let out = dir.path().join("out");
    // Once b.txt is in place, z.wav is being written: a kill (or a power cut) then leaves
    // nothing recorded at the end.
    let o = signal_while_cleaning(&lib, &out, "b.txt", "-KILL");
    assert_eq!(o.status.code(), None);
    let names: Vec<String> = walk(&out)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n == STATE_FILE_NAME), "{names:?}");
    assert!(
        names.iter().any(|n| n == ".saebaram-clean-journal")
            && names.iter().any(|n| n == "a.txt")
            && names.iter().any(|n| n == "b.txt"),
        "{names:?}"
    );

    // The next run takes a.txt and b.txt back (their hashes checked), removes the partial
    // file and the journal, and finishes.
    let (code, report) = run_clean(&[&lib, Path::new("--out"), &out]);
    assert_eq!(code, 0, "{report}");
    let kept = reused(&report);
    assert_eq!(kept, ["a.txt", "b.txt"], "{report}");
    assert_eq!(report["summary"]["recovered"], 2, "{report}");
    assert_eq!(report["manifest_written"], true);
    let mut left: Vec<String> = walk(&out)
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".saebaram-clean-state.json",
            ".saebaram-clean.json",
            "a.txt",
            "b.txt",
            "z.wav"
        ]
    );

    // A taken-back file that was changed after the kill is not trusted: redone.
    let out2 = dir.path().join("out2");
    signal_while_cleaning(&lib, &out2, "b.txt", "-KILL");
    std::fs::write(out2.join("a.txt"), "tampered\n").unwrap();
    let (code, report) = run_clean(&[&lib, Path::new("--out"), &out2]);
    assert_eq!(code, 0, "{report}");
    let kept = reused(&report);
    assert_eq!(kept, ["b.txt"], "{report}");
    assert_eq!(
        std::fs::read_to_string(out2.join("a.txt")).unwrap(),
        "첫 번째 / first\n"
    );
}

/// Runs `clean LIB --out OUT --json --jobs 1`, waits until `done` is in place in OUT and a
/// partial file (the next input's) is being written, sends `signal` (`-INT`, `-KILL`) and
/// returns the run's output.
fn signal_while_cleaning(lib: &Path, out: &Path, done: &str, signal: &str) -> Output {
    let child = bin()
        .args(["clean", "--json", "--jobs", "1"])
        .arg(lib)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let names: Vec<String> = walk_if_there(out)
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        if names.iter().any(|n| n == done)
            && names.iter().any(|n| n.starts_with(".saebaram-partial-"))
        {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the output never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let kill = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    child.wait_with_output().unwrap()
}

/// Paths the report says were kept from the earlier run.
fn reused(report: &serde_json::Value) -> Vec<String> {
    statuses(report)
        .into_iter()
        .filter(|s| s.2)
        .map(|s| s.0)
        .collect()
}
