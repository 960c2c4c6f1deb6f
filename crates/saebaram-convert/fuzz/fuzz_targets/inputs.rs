#![no_main]
//! Fuzzes what convert reads from outside: subtitle files (encodings, and the tag stripping
//! of `--subtitles soft`), ffprobe's JSON of a hostile file (then the ffmpeg command built
//! from it, with every built-in profile), and profile TOML. None may panic, hang or allocate
//! without bound.

use std::path::Path;

use saebaram_convert::args::{Spec, Target, build};
use saebaram_convert::profile::{BUILTIN, Profile};
use saebaram_convert::{MediaInfo, subtitle};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            if let Ok((text, _)) = subtitle::decode("fuzz.srt", rest) {
                // What `--subtitles soft` writes beside a film: never longer, timing kept.
                let plain = subtitle::plain_srt(&text);
                assert!(plain.len() <= text.len());
                assert_eq!(plain.matches("-->").count(), text.matches("-->").count());
            }
        }
        1 => {
            if let Ok(info) = MediaInfo::from_ffprobe_json("fuzz.mp4", rest) {
                for (name, _) in BUILTIN {
                    let profile = Profile::builtin(name).unwrap();
                    let target = match saebaram_convert::args::split_seconds(&profile, info.duration_s) {
                        None => Target::Single("out".into()),
                        Some(seconds) => Target::Parts {
                            pattern: "part-%03d".into(),
                            seconds,
                        },
                    };
                    let _ = build(&Spec {
                        profile: &profile,
                        info: &info,
                        input: Path::new("/in"),
                        burn: None,
                        target,
                        threads: None,
            pass: None,
                    });
                }
            }
        }
        _ => {
            let _ = Profile::parse("fuzz.toml", &String::from_utf8_lossy(rest));
        }
    }
});
