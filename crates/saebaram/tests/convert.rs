//! `saebaram convert` end to end: the real binary on short clips made by ffmpeg's lavfi
//! sources in the test, checked with ffprobe (independent of our parser) and byte
//! searches. Needs ffmpeg with libx264, libshine and libass, and fonts-nanum (.ci/apt.d).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_saebaram"))
}

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg must be installed (apt install ffmpeg; see .ci/apt.d/convert.txt)");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn probe(file: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
        ])
        .arg(file)
        .output()
        .expect("ffprobe must be installed");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn stream<'a>(p: &'a Value, kind: &str) -> &'a Value {
    p["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} stream in {p}"))
}

/// A 1080p60 H.264 High film with B-frames, 5.1 AAC and identifying metadata.
fn film(path: &Path, seconds: u32, size: &str) {
    let d = seconds.to_string();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc2=size={size}:rate=60:duration={d}"),
        "-f",
        "lavfi",
        "-i",
        &format!("sine=frequency=440:duration={d}:sample_rate=48000"),
        "-filter_complex",
        "[1:a]pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0[a]",
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-profile:v",
        "high",
        "-bf",
        "3",
        "-c:a",
        "aac",
        "-metadata",
        "title=PlantedTitle",
        "-metadata",
        "artist=PlantedArtist",
        "-metadata",
        "creation_time=2020-01-01T00:00:00Z",
        "-metadata",
        "location=+37.5665+126.9780/",
        path.to_str().unwrap(),
    ]);
}

fn convert(args: &[&str]) -> (Output, Value) {
    let out = bin()
        .arg("convert")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, report)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// No encoder, muxer or input-metadata string anywhere in the file.
fn assert_no_fingerprints(file: &Path) {
    let bytes = std::fs::read(file).unwrap();
    for needle in [
        &b"Lavf"[..],
        b"Lavc",
        b"x264",
        b"LAME",
        b"libx264",
        b"PlantedTitle",
        b"PlantedArtist",
        b"37.5665",
        b"2020-01-01",
        b"encoder",
    ] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "{} contains {:?}",
            file.display(),
            String::from_utf8_lossy(needle)
        );
    }
}

/// Bottom third of a grey frame at `t` seconds.
fn bottom(file: &Path, t: &str) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-ss", t, "-i"])
        .arg(file)
        .args([
            "-frames:v",
            "1",
            "-vf",
            "format=gray",
            "-f",
            "rawvideo",
            "-",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let n = out.stdout.len();
    out.stdout[n * 2 / 3..].to_vec()
}

fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(x.abs_diff(*y)))
        .sum::<f64>()
        / a.len() as f64
}

/// Each converted output in `out` is byte-identical to what ffmpeg wrote in the working
/// folder, clean changed no file of the run, and nothing warned.
fn assert_clean_kept_converted_outputs(out: &Path, report: &Value, names: &[&str]) {
    let work = out.parent().unwrap().join(format!(
        ".{}.saebaram-convert/staged",
        out.file_name().unwrap().to_str().unwrap()
    ));
    for name in names {
        assert!(
            std::fs::read(out.join(name)).unwrap() == std::fs::read(work.join(name)).unwrap(),
            "clean changed {name}"
        );
    }
    assert_eq!(report["clean"]["cleaned"], 0, "{report}");
    assert_eq!(report["warnings"], serde_json::json!([]), "{report}");
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            v.extend(files_under(&p));
        } else {
            v.push(p);
        }
    }
    v.sort();
    v
}

#[test]
fn notel_plays_on_old_players_with_korean_subtitles_burned_and_no_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(lib.join("talks")).unwrap();
    film(&lib.join("영화.mp4"), 2, "1920x1080");
    // A CP949 subtitle beside it, on screen from 0.5 to 1.5 s.
    let srt = "1\r\n00:00:00,500 --> 00:00:01,500\r\n안녕하세요, 여러분\r\n";
    let (cp949, _, _) = encoding_rs::EUC_KR.encode(srt);
    std::fs::write(lib.join("영화.srt"), &cp949).unwrap();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=300:duration=2:sample_rate=44100",
        "-metadata",
        "artist=PlantedArtist",
        lib.join("talks/강연.flac").to_str().unwrap(),
    ]);
    std::fs::write(lib.join("talks/읽어보세요.txt"), "새바람\n").unwrap();

    let out = dir.path().join("out");
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    assert_eq!(report["summary"]["converted"], 2, "{report}");
    assert_eq!(report["summary"]["passed"], 1, "{report}");
    assert_eq!(report["manifest_written"], true);
    let f = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["input"] == "영화.mp4")
        .unwrap();
    assert_eq!(f["subtitles"]["kind"], "burned", "{f}");
    assert_eq!(f["subtitles"]["encoding"], "cp949", "{f}");
    // Two passes: the encode that wrote the file used the first pass's log, which is gone.
    let args: Vec<&str> = f["ffmpeg_args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(args.windows(2).any(|w| w == ["-pass", "2"]), "{args:?}");
    let work = dir.path().join(".out.saebaram-convert");
    for p in files_under(&work).iter().chain(files_under(&out).iter()) {
        assert!(
            !p.to_string_lossy().contains("passlog"),
            "left: {}",
            p.display()
        );
    }

    // ffprobe: AVI, MPEG-4 ASP, no B-frames, fitted into 720x576, 30 fps, MP3 stereo.
    let avi = out.join("영화.avi");
    let p = probe(&avi);
    assert_eq!(p["format"]["format_name"], "avi");
    let v = stream(&p, "video");
    assert_eq!(v["codec_name"], "mpeg4");
    assert_eq!(v["profile"], "Advanced Simple Profile");
    assert_eq!(v["has_b_frames"], 0);
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(720), Some(416))
    );
    assert_eq!(v["r_frame_rate"], "30/1");
    assert_eq!(v["codec_tag_string"], "XVID");
    let a = stream(&p, "audio");
    assert_eq!(
        (a["codec_name"].as_str(), a["channels"].as_u64()),
        (Some("mp3"), Some(2))
    );
    assert_eq!(a["sample_rate"], "48000");
    assert!(p["format"].get("tags").is_none(), "metadata left: {p}");
    let mp3 = out.join("talks/강연.mp3");
    let p = probe(&mp3);
    let a = stream(&p, "audio");
    assert_eq!(
        (a["codec_name"].as_str(), a["channels"].as_u64()),
        (Some("mp3"), Some(2))
    );
    assert_eq!(a["sample_rate"], "44100");
    for f in [&avi, &mp3] {
        assert_no_fingerprints(f);
    }
    assert_eq!(
        std::fs::read(out.join("talks/읽어보세요.txt")).unwrap(),
        "새바람\n".as_bytes()
    );
    assert!(
        !out.join("영화.srt").exists(),
        "the burned subtitle is not copied"
    );
    // clean keeps ffmpeg's outputs byte for byte (the AVI index reservations included):
    // what is in OUT is what ffmpeg wrote, and clean's report says nothing was removed.
    assert_clean_kept_converted_outputs(&out, &report, &["영화.avi", "talks/강연.mp3"]);

    // The same film without subtitles: the frames differ at the bottom only while the cue is
    // on screen.
    let plain = dir.path().join("plain");
    let (o, _) = convert(&[
        lib.join("영화.mp4").to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
        "--threads",
        "1",
        "--subtitles",
        "none",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let on = mean_abs_diff(
        &bottom(&avi, "1.0"),
        &bottom(&plain.join("영화.avi"), "1.0"),
    );
    let off = mean_abs_diff(
        &bottom(&avi, "1.8"),
        &bottom(&plain.join("영화.avi"), "1.8"),
    );
    assert!(on > 2.0 && on > 5.0 * off, "cue on: {on}, cue off: {off}");

    // clean finds nothing left to remove in the output.
    let again = dir.path().join("again");
    let c = bin()
        .arg("clean")
        .args([&avi, &mp3])
        .arg("--out")
        .arg(&again)
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(c.status.code(), Some(0), "{}", stderr(&c));
    let c: Value = serde_json::from_slice(&c.stdout).unwrap();
    assert_eq!(c["summary"]["cleaned"], 0, "{c}");
    assert_eq!(c["summary"]["unchanged"], 2, "{c}");

    // Deterministic: a fresh run gives the same bytes; a repeated run keeps everything.
    let out2 = dir.path().join("out2");
    let (o, _) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out2.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for name in ["영화.avi", "talks/강연.mp3"] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(out2.join(name)).unwrap(),
            "{name}"
        );
    }
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(report["summary"]["kept"], 2, "{report}");
    assert_eq!(report["summary"]["converted"], 0, "{report}");
}

#[test]
fn pc_dvd_and_audio_profiles_match_their_players() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    film(&lib.join("film.mp4"), 2, "1920x1080");
    // An MKV with a Korean ASS subtitle stream inside.
    let ass = dir.path().join("ko.ass");
    std::fs::write(
        &ass,
        "[Script Info]\nScriptType: v4.00+\nPlayResX: 384\nPlayResY: 288\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\nStyle: Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,1\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:00.20,0:00:01.50,Default,,0,0,0,,자유의 바람\n",
    )
    .unwrap();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x360:rate=25:duration=2",
        "-f",
        "lavfi",
        "-i",
        "sine=duration=2",
        "-i",
        ass.to_str().unwrap(),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-map",
        "2:s",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-c:s",
        "ass",
        "-metadata:s:s:0",
        "language=kor",
        lib.join("series.mkv").to_str().unwrap(),
    ]);

    let out = dir.path().join("pc");
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--profile",
        "pc",
        "--jobs",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    let series = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["input"] == "series.mkv")
        .unwrap();
    assert_eq!(series["subtitles"]["kind"], "burned", "{series}");
    let mp4 = out.join("film.mp4");
    let p = probe(&mp4);
    let v = stream(&p, "video");
    assert_eq!(
        (v["codec_name"].as_str(), v["profile"].as_str()),
        (Some("h264"), Some("Main"))
    );
    assert!(v["level"].as_u64().unwrap() <= 40, "{v}");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(1280), Some(720))
    );
    assert_eq!(v["r_frame_rate"], "30/1");
    let a = stream(&p, "audio");
    assert_eq!(
        (a["codec_name"].as_str(), a["channels"].as_u64()),
        (Some("aac"), Some(2))
    );
    // faststart: the index comes before the media data.
    let bytes = std::fs::read(&mp4).unwrap();
    let find = |n: &[u8]| bytes.windows(4).position(|w| w == n).unwrap();
    assert!(find(b"moov") < find(b"mdat"));
    assert_no_fingerprints(&mp4);
    assert_no_fingerprints(&out.join("series.mp4"));
    assert_clean_kept_converted_outputs(&out, &report, &["film.mp4", "series.mp4"]);
    // The Korean cue was drawn: the bottom of the frame at 1 s differs from 1.8 s (the test
    // picture moves little there) more than the top does.
    let cue = mean_abs_diff(
        &bottom(&out.join("series.mp4"), "1.0"),
        &bottom(&out.join("series.mp4"), "1.8"),
    );
    assert!(cue > 1.0, "no subtitle drawn? {cue}");

    // soft: the Korean stream inside the MKV goes beside the output as a UTF-8 SubRip file
    // with a byte-order mark; nothing is drawn, the AVI has no subtitle stream.
    let soft = dir.path().join("soft");
    let (o, report) = convert(&[
        lib.join("series.mkv").to_str().unwrap(),
        "--out",
        soft.to_str().unwrap(),
        "--subtitles",
        "soft",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    let subs = &report["files"][0]["subtitles"];
    assert_eq!(
        (
            subs["kind"].as_str(),
            subs["from"].as_str(),
            subs["file"].as_str()
        ),
        (Some("beside"), Some("stream 0"), Some("series.srt")),
        "{report}"
    );
    let srt = std::fs::read(soft.join("series.srt")).unwrap();
    assert!(srt.starts_with(b"\xEF\xBB\xBF"), "no byte-order mark");
    let text = String::from_utf8(srt[3..].to_vec()).unwrap();
    // The cue as written (ffmpeg's timeline of the file: the stream starts 23 ms in), its
    // text without the style tags ffmpeg writes for an ASS stream.
    assert!(
        text.contains("00:00:00,2")
            && text.contains(" --> 00:00:01,5")
            && text.contains("\n자유의 바람\n")
            && !text.contains('<'),
        "{text}"
    );
    let p = probe(&soft.join("series.avi"));
    assert!(
        p["streams"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["codec_type"] != "subtitle"),
        "{p}"
    );
    assert_no_fingerprints(&soft.join("series.srt"));
    assert_clean_kept_converted_outputs(&soft, &report, &["series.avi"]);

    // dvd: an MPEG-2 program stream; a 60 fps source becomes NTSC 720x480 at 29.97, 16:9.
    let out = dir.path().join("dvd");
    let (o, report) = convert(&[
        lib.join("film.mp4").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--profile",
        "dvd",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    let mpg = out.join("film.mpg");
    let p = probe(&mpg);
    assert_eq!(p["format"]["format_name"], "mpeg");
    let v = stream(&p, "video");
    assert_eq!(v["codec_name"], "mpeg2video");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(720), Some(480))
    );
    assert_eq!(v["display_aspect_ratio"], "16:9");
    assert_eq!(v["r_frame_rate"], "30000/1001");
    let a = stream(&p, "audio");
    assert_eq!(
        (a["codec_name"].as_str(), a["channels"].as_u64()),
        (Some("mp2"), Some(2))
    );
    assert_eq!(a["sample_rate"], "48000");
    assert_no_fingerprints(&mpg);

    let out = dir.path().join("audio");
    let (o, report) = convert(&[
        lib.join("film.mp4").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--profile",
        "audio",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    let p = probe(&out.join("film.mp3"));
    assert_eq!(p["streams"].as_array().unwrap().len(), 1, "{p}");
    let a = stream(&p, "audio");
    assert_eq!(
        (a["codec_name"].as_str(), a["channels"].as_u64()),
        (Some("mp3"), Some(2))
    );
    assert_no_fingerprints(&out.join("film.mp3"));
}

#[test]
fn long_outputs_are_split_into_playable_parts_under_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    film(&lib.join("긴 영화.mp4"), 8, "320x240");
    // The notel profile with a 1 MiB limit: the same split logic as 4 GiB, at test size.
    let notel = include_str!("../../saebaram-convert/profiles/notel.toml");
    let profile = dir.path().join("small.toml");
    std::fs::write(
        &profile,
        notel.replace(
            "container = \"avi\"",
            "container = \"avi\"\nmax_file_bytes = 1048576",
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    let outputs = report["files"][0]["outputs"].as_array().unwrap().clone();
    assert!(outputs.len() >= 2, "{report}");
    let mut total = 0.0;
    for (n, name) in outputs.iter().enumerate() {
        assert_eq!(name.as_str().unwrap(), format!("긴 영화 ({}).avi", n + 1));
        let part = out.join(name.as_str().unwrap());
        assert!(std::fs::metadata(&part).unwrap().len() <= 1 << 20);
        // Every part decodes to its end.
        let dec = Command::new("ffmpeg")
            .args(["-v", "error", "-xerror", "-i"])
            .arg(&part)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            dec.status.success() && dec.stderr.is_empty(),
            "{}: {}",
            part.display(),
            stderr(&dec)
        );
        let p = probe(&part);
        assert_eq!(stream(&p, "video")["has_b_frames"], 0);
        total += p["format"]["duration"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap();
        assert_no_fingerprints(&part);
    }
    assert!((total - 8.0).abs() < 0.5, "parts last {total} s");

    // A profile with a mistake: the message names the file and the key; exit 2.
    std::fs::write(
        &profile,
        notel.replace("max_height = 576", "max_height = 5760"),
    )
    .unwrap();
    let o = bin()
        .arg("convert")
        .arg(&lib)
        .arg("--out")
        .arg(dir.path().join("x"))
        .arg("--profile")
        .arg(&profile)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("small.toml") && e.contains("video.max_height"),
        "{e}"
    );
}

#[test]
fn bad_inputs_fail_alone_with_a_clear_message_and_leave_nothing_half_written() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    film(&lib.join("good.mp4"), 1, "320x240");
    std::fs::write(
        lib.join("not-a-video.mp4"),
        "this is a letter, not a film\n",
    )
    .unwrap();
    let good = std::fs::read(lib.join("good.mp4")).unwrap();
    std::fs::write(lib.join("truncated.mp4"), &good[..good.len() / 3]).unwrap();
    film(&lib.join("subbed.mp4"), 1, "320x240");
    std::fs::write(
        lib.join("subbed.srt"),
        [0x31, 0x0a, 0x80, 0xff, 0x00, 0xfe, 0x81, 0x0a],
    )
    .unwrap();

    let out = dir.path().join("out");
    let (o, report) = convert(&[lib.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}\n{report}", stderr(&o));
    let by = |name: &str| {
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["input"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(by("good.mp4")["status"], "converted");
    for (name, code, words) in [
        ("not-a-video.mp4", "not_media", "not-a-video.mp4"),
        ("truncated.mp4", "", "truncated.mp4"),
        ("subbed.mp4", "subtitle", "subbed.srt"),
    ] {
        let f = by(name);
        assert_eq!(f["status"], "failed", "{f}");
        if !code.is_empty() {
            assert_eq!(f["error_code"], code, "{f}");
        }
        assert!(f["error"].as_str().unwrap().contains(words), "{f}");
        assert!(stderr(&o).contains(name), "{}", stderr(&o));
    }
    // Only the good film's output is there; no temporary files anywhere.
    let names: Vec<String> = files_under(&out)
        .iter()
        .map(|p| p.strip_prefix(&out).unwrap().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".saebaram-clean"))
        .collect();
    assert_eq!(names, ["good.avi", "목록.html", "목록.txt"]);
    let work = dir.path().join(".out.saebaram-convert");
    assert!(
        files_under(&work)
            .iter()
            .all(|p| !p.to_string_lossy().contains(".saebaram-convert-"))
    );

    // An output folder that is someone else's: refused before anything is converted.
    let theirs = dir.path().join("theirs");
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "mine").unwrap();
    let o = bin()
        .arg("convert")
        .arg(&lib)
        .arg("--out")
        .arg(&theirs)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not empty"), "{}", stderr(&o));
    assert!(!dir.path().join(".theirs.saebaram-convert").exists());

    // No ffmpeg: exit 2 naming the program and how to install it.
    let o = bin()
        .arg("convert")
        .arg(&lib)
        .arg("--out")
        .arg(dir.path().join("y"))
        .args(["--ffmpeg", "/nonexistent/bin/ffmpeg"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("/nonexistent/bin/ffmpeg") && e.contains("apt install ffmpeg"),
        "{e}"
    );
}

#[test]
fn an_interrupted_run_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    for name in ["a", "b", "c"] {
        film(&lib.join(format!("{name}.mp4")), 3, "854x480");
    }
    let out = dir.path().join("out");
    let state = dir.path().join(".out.saebaram-convert/convert-state.json");
    let mut child = bin()
        .arg("convert")
        .arg(&lib)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "1", "--threads", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (like a power cut) once the first film is recorded as finished.
    let finished = |s: &Value| s["files"].as_object().map_or(0, |f| f.len());
    loop {
        if let Ok(bytes) = std::fs::read(&state)
            && let Ok(s) = serde_json::from_slice::<Value>(&bytes)
            && finished(&s) >= 1
        {
            break;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before it could be interrupted");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let s: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let done_before = finished(&s);
    assert!(done_before < 3, "all three finished before the kill");

    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--jobs",
        "1",
        "--threads",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    assert_eq!(
        report["summary"]["kept"].as_u64().unwrap() as usize,
        done_before,
        "{report}"
    );
    assert_eq!(
        report["summary"]["converted"].as_u64().unwrap() as usize,
        3 - done_before,
        "{report}"
    );
    let names: Vec<String> = files_under(&out)
        .iter()
        .map(|p| p.strip_prefix(&out).unwrap().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with(".saebaram-clean"))
        .collect();
    assert_eq!(names, ["a.avi", "b.avi", "c.avi", "목록.html", "목록.txt"]);
    for n in &names[..3] {
        let p = probe(&out.join(n));
        assert_eq!(stream(&p, "video")["codec_name"], "mpeg4");
    }
}

/// Processes whose working folder is under `dir` (an ffmpeg left running).
fn processes_working_in(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cwd) = std::fs::read_link(e.path().join("cwd"))
            && cwd.starts_with(dir)
        {
            found.push(format!(
                "{} in {}",
                e.file_name().to_string_lossy(),
                cwd.display()
            ));
        }
    }
    found
}

#[test]
fn ctrl_c_stops_ffmpeg_keeps_finished_films_and_the_next_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    film(&lib.join("a.mp4"), 2, "854x480");
    film(&lib.join("b.mp4"), 20, "854x480");
    let out = dir.path().join("out");
    let work = dir.path().join(".out.saebaram-convert");
    let state = work.join("convert-state.json");
    let child = bin()
        .arg("convert")
        .arg(&lib)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "1", "--threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until a.mp4 is recorded as finished and ffmpeg is writing b's output.
    let encoding_b = || {
        files_under(&work.join("staged")).iter().any(|p| {
            p.to_string_lossy().contains("/.saebaram-convert-")
                && p.ends_with("out.avi")
                && std::fs::metadata(p).is_ok_and(|m| m.len() > 0)
        })
    };
    let a_done = || {
        std::fs::read(&state)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .is_some_and(|s| s["files"].get("a.mp4").is_some())
    };
    let started = std::time::Instant::now();
    while !(a_done() && encoding_b()) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(300),
            "b.mp4 never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Ctrl-C: SIGINT to the binary only (a terminal sends it to the whole group; ffmpeg
    // runs in its own group, so this is what it sees either way).
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("중단했습니다") && stderr(&o).contains("interrupted"),
        "{}",
        stderr(&o)
    );
    // Nothing partial anywhere: no ffmpeg folder, no b output, nothing in OUT, and no
    // ffmpeg still running there.
    let left: Vec<PathBuf> = files_under(&work.join("staged"));
    assert_eq!(left, [work.join("staged/a.avi")], "{left:?}");
    assert!(files_under(&out).is_empty(), "{:?}", files_under(&out));
    assert!(
        processes_working_in(dir.path()).is_empty(),
        "{:?}",
        processes_working_in(dir.path())
    );
    let s: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert!(
        s["files"].get("a.mp4").is_some() && s["files"].get("b.mp4").is_none(),
        "{s}"
    );

    // The same command again: a is kept, b converted, all clean.
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--jobs",
        "1",
        "--threads",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    assert_eq!(report["summary"]["kept"], 1, "{report}");
    assert_eq!(report["summary"]["converted"], 1, "{report}");
    let p = probe(&out.join("b.avi"));
    let d: f64 = p["format"]["duration"].as_str().unwrap().parse().unwrap();
    assert!((d - 20.0).abs() < 0.5, "b.avi lasts {d} s");
}

#[test]
fn an_ffmpeg_without_the_profiles_encoders_is_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    // A stand-in ffmpeg (and ffprobe beside it) that answers like a build without shine
    // or x264, as a minimal or LGPL build does.
    let bin_dir = dir.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    // Like the real one, it prints its banner on stderr before any answer.
    let script = "#!/bin/sh\necho 'ffmpeg version 9.9-minimal Copyright (c) 2000-2026' >&2\ncase \"$*\" in\n  *-version*) echo 'ffmpeg version 9.9-minimal' ;;\n  *-encoders*) printf 'Encoders:\\n V..... = Video\\n ------\\n V....D mpeg4  MPEG-4 part 2\\n A....D aac  AAC\\n' ;;\nesac\n";
    for name in ["ffmpeg", "ffprobe"] {
        let p = bin_dir.join(name);
        std::fs::write(&p, script).unwrap();
        let mut perm = std::fs::metadata(&p).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&p, perm).unwrap();
    }
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(lib.join("a.mp4"), "x").unwrap();
    let o = bin()
        .arg("convert")
        .arg(&lib)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--ffmpeg")
        .arg(bin_dir.join("ffmpeg"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("libshine") && e.contains("9.9-minimal") && e.contains("apt install ffmpeg"),
        "{e}"
    );
    assert!(
        !dir.path().join("out").exists(),
        "nothing written before ffmpeg is checked"
    );
}

#[test]
fn a_program_that_is_not_ffmpeg_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bin_dir = dir.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    // Answers and exits 0, but is not ffmpeg (a wrong file picked in the app, say).
    for name in ["ffmpeg", "ffprobe"] {
        let p = bin_dir.join(name);
        std::fs::write(&p, "#!/bin/sh\necho hello\n").unwrap();
        let mut perm = std::fs::metadata(&p).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(&p, perm).unwrap();
    }
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::write(lib.join("a.mp4"), "x").unwrap();
    let o = bin()
        .arg("convert")
        .arg(&lib)
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--ffmpeg")
        .arg(bin_dir.join("ffmpeg"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&bin_dir.join("ffmpeg").display().to_string())
            && e.contains("did not answer like ffmpeg"),
        "{e}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn an_input_written_to_while_it_converts_is_refused_and_converted_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    film(&lib.join("a.mp4"), 1, "320x240");
    film(&lib.join("b.mp4"), 1, "320x240");
    // An ffmpeg that, while it encodes a.mp4, has the file appended to (a copy still
    // arriving from another drive), then does the real work; ffprobe is the real one.
    let bin_dir = dir.path().join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let real = |name: &str| {
        let out = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let a = lib.join("a.mp4");
    let script = format!(
        "#!/bin/sh\ncase \"$*\" in\n  *-progress*a.mp4*) printf 'more' >> '{}' ;;\nesac\nexec '{}' \"$@\"\n",
        a.display(),
        real("ffmpeg")
    );
    let wrapper = bin_dir.join("ffmpeg");
    std::fs::write(&wrapper, script).unwrap();
    let mut perm = std::fs::metadata(&wrapper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&wrapper, perm).unwrap();
    std::os::unix::fs::symlink(real("ffprobe"), bin_dir.join("ffprobe")).unwrap();

    let out = dir.path().join("out");
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--profile",
        "audio",
        "--ffmpeg",
        wrapper.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}\n{report}", stderr(&o));
    let files = report["files"].as_array().unwrap();
    let by = |n: &str| files.iter().find(|f| f["input"] == n).unwrap().clone();
    assert_eq!(by("b.mp4")["status"], "converted", "{report}");
    let fa = by("a.mp4");
    assert_eq!(fa["status"], "failed", "{fa}");
    assert!(
        fa["error"]
            .as_str()
            .unwrap()
            .contains("changed while it was converted"),
        "{fa}"
    );
    assert!(stderr(&o).contains("a.mp4"), "{}", stderr(&o));
    assert!(
        !out.join("a.mp3").exists(),
        "no output for a file that changed"
    );
    assert!(out.join("b.mp3").exists());

    // Once the file is complete, the next run converts it and keeps b.
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--profile",
        "audio",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    let files = report["files"].as_array().unwrap();
    let by = |n: &str| files.iter().find(|f| f["input"] == n).unwrap().clone();
    assert_eq!(by("a.mp4")["status"], "converted", "{report}");
    assert_eq!(by("b.mp4")["status"], "kept", "{report}");
    assert!(out.join("a.mp3").exists());
}

#[test]
fn sami_in_cp949_is_burned_a_phone_video_becomes_constant_rate_and_soft_subtitles_go_beside() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    // A variable-frame-rate phone video: frames 33 ms apart, every fifth 50 ms late.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=640x360:rate=30:duration=2",
        "-f",
        "lavfi",
        "-i",
        "sine=duration=2",
        "-vf",
        "settb=1/1000,setpts=N*33+trunc(N/5)*17",
        "-fps_mode",
        "passthrough",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-shortest",
        lib.join("phone.mp4").to_str().unwrap(),
    ]);
    let sami = "<SAMI>\r\n<HEAD><TITLE>자막</TITLE></HEAD>\r\n<BODY>\r\n<SYNC Start=300><P Class=KRCC>북녘 동포 여러분\r\n<SYNC Start=1500><P Class=KRCC>&nbsp;\r\n</BODY>\r\n</SAMI>\r\n";
    let (cp949, _, _) = encoding_rs::EUC_KR.encode(sami);
    std::fs::write(lib.join("phone.smi"), &cp949).unwrap();

    let out = dir.path().join("out");
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    let f = &report["files"][0];
    assert_eq!(f["subtitles"]["kind"], "burned", "{f}");
    assert_eq!(f["subtitles"]["from"], "phone.smi", "{f}");
    assert_eq!(f["subtitles"]["encoding"], "cp949", "{f}");
    let p = probe(&out.join("phone.avi"));
    let v = stream(&p, "video");
    // Constant (AVI cannot hold a variable rate): the source's average, under the cap.
    let rate = |k: &str| {
        let (n, d) = v[k].as_str().unwrap().split_once('/').unwrap();
        n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap()
    };
    let fps = rate("r_frame_rate");
    assert!(
        (fps - rate("avg_frame_rate")).abs() < 0.05,
        "constant rate: {v}"
    );
    assert!((25.0..=30.0).contains(&fps), "{fps}");
    let plain = dir.path().join("plain");
    let (o, _) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
        "--threads",
        "1",
        "--subtitles",
        "none",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let on = mean_abs_diff(
        &bottom(&out.join("phone.avi"), "1.0"),
        &bottom(&plain.join("phone.avi"), "1.0"),
    );
    assert!(on > 2.0, "the SAMI cue is not drawn: {on}");

    // soft: the subtitle file goes beside the output under its name, bytes unchanged.
    let soft = dir.path().join("soft");
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        soft.to_str().unwrap(),
        "--subtitles",
        "soft",
    ]);
    assert_eq!(
        report["files"][0]["subtitles"]["kind"], "beside",
        "{report}"
    );
    assert!(soft.join("phone.avi").exists());
    assert_eq!(report["files"][0]["status"], "converted", "{report}");
    // clean has no SAMI reader and blocks it: the report says so (exit 1), nothing raw.
    let blocked: Vec<&str> = report["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b[0].as_str().unwrap())
        .collect();
    if blocked.is_empty() {
        assert_eq!(
            std::fs::read(soft.join("phone.smi")).unwrap(),
            cp949.as_ref()
        );
    } else {
        assert_eq!(blocked, ["phone.smi"]);
        assert_eq!(o.status.code(), Some(1));
        assert!(!soft.join("phone.smi").exists());
    }
}

#[test]
fn ascii_names_keep_the_korean_titles_in_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    film(&lib.join("영화.mp4"), 1, "320x240");
    film(&lib.join("The Interview.mp4"), 1, "320x240");
    let out = dir.path().join("out");
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--ascii-names",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    assert!(
        out.join("001-The Interview.avi").exists() && out.join("002.avi").exists(),
        "{report}"
    );
    let page = std::fs::read_to_string(out.join("목록.html")).unwrap();
    assert!(
        page.contains("<td>영화</td>") && page.contains("href=\"002.avi\""),
        "{page}"
    );
}

/// Files named as clean's partial outputs (`.saebaram-partial-*`) under `dir`.
/// Tolerates a folder that does not exist yet or changes while it is read.
fn partials_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(partials_under(&p));
        } else if e
            .file_name()
            .to_string_lossy()
            .starts_with(".saebaram-partial-")
        {
            found.push(p);
        }
    }
    found
}

/// Runs convert on `lib` (a short film and a 48 MB text file that clean passes through),
/// and sends `signal` (`-INT`, `-KILL`) as soon as clean is writing the text file's partial
/// output (the clean stage: ffmpeg is done). Returns the run's output.
fn interrupt_while_cleaning(lib: &Path, out: &Path, signal: &str) -> Output {
    let child = bin()
        .arg("convert")
        .arg(lib)
        .arg("--out")
        .arg(out)
        .args(["--jobs", "1", "--threads", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The text file is the largest input by far: clean writes it for a few hundred ms
    // under a partial name, long enough to be seen every time by polling every 1 ms.
    // a.avi is in place (one worker, in name order), so the partial file is notes.txt's.
    let writing = || {
        out.join("a.avi").exists()
            && partials_under(out)
                .iter()
                .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
    };
    let started = std::time::Instant::now();
    while !writing() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "clean never started writing"
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

/// A library for the clean-stage interrupt tests: a 1 s film and 48 MB of plain text.
fn film_and_big_text(lib: &Path) -> Vec<u8> {
    std::fs::create_dir_all(lib).unwrap();
    film(&lib.join("a.mp4"), 1, "320x240");
    let line = "평양에서 보는 영화 목록 / films to watch in Pyongyang\n".as_bytes();
    let text: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(48 << 20)
        .collect::<Vec<u8>>();
    // Whole lines only (valid UTF-8).
    let cut = text.len() - text.len() % line.len();
    std::fs::write(lib.join("notes.txt"), &text[..cut]).unwrap();
    text[..cut].to_vec()
}

fn assert_rerun_completes(lib: &Path, out: &Path, text: &[u8]) {
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--jobs",
        "1",
        "--threads",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    assert_eq!(report["summary"]["kept"], 1, "{report}");
    assert_eq!(report["summary"]["converted"], 0, "{report}");
    assert!(partials_under(out).is_empty(), "{:?}", partials_under(out));
    assert!(std::fs::read(out.join("notes.txt")).unwrap() == text);
    let p = probe(&out.join("a.avi"));
    assert_eq!(stream(&p, "video")["codec_name"], "mpeg4");
}

#[test]
fn ctrl_c_while_cleaning_leaves_nothing_half_written_and_the_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    let text = film_and_big_text(&lib);
    let out = dir.path().join("out");
    let o = interrupt_while_cleaning(&lib, &out, "-INT");
    // One Ctrl-C stops clean within a chunk of the file it is writing: the partial file is
    // removed and what was finished is recorded in clean's state.
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(stderr(&o).contains("중단했습니다"), "{}", stderr(&o));
    assert!(out.join(".saebaram-clean-state.json").exists());
    assert!(
        partials_under(&out).is_empty(),
        "{:?}",
        partials_under(&out)
    );
    // Whatever is under a final name is whole.
    if let Ok(b) = std::fs::read(out.join("notes.txt")) {
        assert!(b == text, "notes.txt is cut short: {} bytes", b.len());
    }
    assert_rerun_completes(&lib, &out, &text);
}

#[test]
fn a_run_killed_while_cleaning_leaves_nothing_under_a_final_name_and_the_rerun_completes() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    let text = film_and_big_text(&lib);
    let out = dir.path().join("out");
    // A kill (or a power cut; a second Ctrl-C is the same) ends the process at once,
    // mid-write: clean cannot record anything.
    let o = interrupt_while_cleaning(&lib, &out, "-KILL");
    assert_eq!(o.status.code(), None, "{}", stderr(&o));
    // It died inside clean: no clean state yet, but whole files (and clean's partial file
    // if it died mid-write rather than in the final fsync) in the folder: the folder a
    // rerun used to refuse as "not ours".
    assert!(
        !out.join(".saebaram-clean-state.json").exists(),
        "clean finished before the kill"
    );
    assert!(files_under(&out).iter().any(|p| p.ends_with("a.avi")));
    if let Ok(b) = std::fs::read(out.join("notes.txt")) {
        assert!(b == text, "notes.txt is cut short: {} bytes", b.len());
    }
    assert_rerun_completes(&lib, &out, &text);
}

/// One PGS (Blu-ray subtitle) segment: `PG`, presentation time (90 kHz), decoding time 0,
/// type, length, payload.
fn pgs_segment(out: &mut Vec<u8>, t_s: f64, kind: u8, payload: &[u8]) {
    out.extend_from_slice(b"PG");
    out.extend_from_slice(&((t_s * 90_000.0) as u32).to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.push(kind);
    out.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    out.extend_from_slice(payload);
}

/// A PGS stream (`.sup`) on a `w`x`h` canvas showing one opaque white box (`bw`x`bh` at
/// `x`,`y`) from `on` to `off` seconds: an epoch-start display set (composition, window,
/// palette, run-length object, end) and one that clears it. Written by hand because
/// ffmpeg cannot make bitmap subtitles from text.
#[allow(clippy::too_many_arguments)]
fn pgs(w: u16, h: u16, x: u16, y: u16, bw: u16, bh: u16, on: f64, off: f64) -> Vec<u8> {
    let be = |v: u16| v.to_be_bytes();
    let mut s = Vec::new();
    let window = [&[1u8, 0][..], &be(x), &be(y), &be(bw), &be(bh)].concat();
    // An empty display set at 0 s: ffmpeg starts each input at its first timestamp, so
    // without it the cue would move to 0 s when muxed.
    let empty = [&be(w)[..], &be(h), &[0x10], &be(0), &[0x80, 0, 0, 0]].concat();
    pgs_segment(&mut s, 0.0, 0x16, &empty);
    pgs_segment(&mut s, 0.0, 0x17, &window);
    pgs_segment(&mut s, 0.0, 0x80, &[]);
    // Presentation composition: size, frame rate code, number 1, epoch start, palette 0,
    // one object (0) in window 0 at x, y.
    let pcs = [
        &be(w)[..],
        &be(h),
        &[0x10],
        &be(1),
        &[0x80, 0, 0, 1],
        &be(0),
        &[0, 0],
        &be(x),
        &be(y),
    ]
    .concat();
    pgs_segment(&mut s, on, 0x16, &pcs);
    pgs_segment(&mut s, on, 0x17, &window);
    // Palette 0, version 0: entry 1 is opaque white (Y, Cr, Cb, alpha).
    pgs_segment(&mut s, on, 0x14, &[0, 0, 1, 235, 128, 128, 255]);
    // Each line: a run of `bw` pixels of colour 1, then end of line.
    let mut rle = Vec::new();
    for _ in 0..bh {
        rle.extend_from_slice(&[0x00, 0xC0 | (bw >> 8) as u8, (bw & 0xFF) as u8, 1, 0, 0]);
    }
    let len = (rle.len() + 4) as u32;
    let ods = [
        &be(0)[..],
        &[0, 0xC0],
        &len.to_be_bytes()[1..],
        &be(bw),
        &be(bh),
        &rle,
    ]
    .concat();
    pgs_segment(&mut s, on, 0x15, &ods);
    pgs_segment(&mut s, on, 0x80, &[]);
    // Clear: composition 2, normal state, no object.
    let clear = [&be(w)[..], &be(h), &[0x10], &be(2), &[0x00, 0, 0, 0]].concat();
    pgs_segment(&mut s, off, 0x16, &clear);
    pgs_segment(&mut s, off, 0x17, &window);
    pgs_segment(&mut s, off, 0x80, &[]);
    s
}

/// Blu-ray and DVD rips often carry Korean only as subtitle pictures: a PGS stream and the
/// same cues as DVD (VobSub) pictures, tagged Korean inside an MKV, are laid over the
/// picture (their 1280x720 canvas scaled to the 640x360 film), only while a cue is shown.
#[test]
fn korean_subtitle_pictures_pgs_and_vobsub_are_burned_in() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    std::fs::create_dir_all(&lib).unwrap();
    let plain_film = dir.path().join("film.mp4");
    film(&plain_film, 3, "640x360");
    let sup = dir.path().join("ko.sup");
    std::fs::write(&sup, pgs(1280, 720, 400, 600, 480, 80, 1.0, 2.0)).unwrap();
    let mkv = |name: &str, codec: &str| {
        let path = lib.join(name);
        ffmpeg(&[
            "-i",
            plain_film.to_str().unwrap(),
            "-f",
            "sup",
            "-i",
            sup.to_str().unwrap(),
            "-map",
            "0:v",
            "-map",
            "0:a",
            "-map",
            "1:0",
            "-c:v",
            "copy",
            "-c:a",
            "copy",
            "-c:s",
            codec,
            "-metadata:s:s:0",
            "language=kor",
            path.to_str().unwrap(),
        ]);
        path
    };
    mkv("블루레이.mkv", "copy");
    mkv("디브이디.mkv", "dvdsub");
    for (name, codec) in [
        ("블루레이.mkv", "hdmv_pgs_subtitle"),
        ("디브이디.mkv", "dvd_subtitle"),
    ] {
        let p = probe(&lib.join(name));
        assert_eq!(stream(&p, "subtitle")["codec_name"], codec, "{p}");
    }

    let out = dir.path().join("out");
    let (o, report) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--threads",
        "1",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}\n{report}", stderr(&o));
    assert_eq!(report["summary"]["converted"], 2, "{report}");
    let plain = dir.path().join("plain");
    let (o, _) = convert(&[
        lib.to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
        "--threads",
        "1",
        "--subtitles",
        "none",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for stem in ["블루레이", "디브이디"] {
        let f = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["input"] == format!("{stem}.mkv"))
            .unwrap();
        assert_eq!(f["subtitles"]["kind"], "burned", "{f}");
        assert_eq!(f["subtitles"]["from"], "stream 0 (pictures)", "{f}");
        let avi = out.join(format!("{stem}.avi"));
        let p = probe(&avi);
        assert_eq!(stream(&p, "video")["codec_name"], "mpeg4", "{p}");
        assert!(
            p["streams"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["codec_type"] != "subtitle"),
            "{p}"
        );
        let plain_avi = plain.join(format!("{stem}.avi"));
        let on = mean_abs_diff(&bottom(&avi, "1.5"), &bottom(&plain_avi, "1.5"));
        let before = mean_abs_diff(&bottom(&avi, "0.5"), &bottom(&plain_avi, "0.5"));
        let after = mean_abs_diff(&bottom(&avi, "2.5"), &bottom(&plain_avi, "2.5"));
        // ffmpeg's PGS-to-VobSub conversion drops the clearing display set, so in the
        // VobSub fixture the cue stays up to the end: there only "before" is blank.
        let off = if stem == "블루레이" {
            before.max(after)
        } else {
            before
        };
        assert!(
            on > 10.0 && on > 5.0 * off,
            "{stem}: cue on {on}, before {before}, after {after}"
        );
        assert_no_fingerprints(&avi);
    }
}
