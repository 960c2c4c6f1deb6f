//! FLV (Flash Video).
//!
//! Every tag header is walked (through a read-ahead window, so a two-hour film costs a few
//! thousand reads) and the audio and video tags are copied without being read. The
//! `onMetaData` script tag is rebuilt with only the numbers and flags a player uses
//! ([`KEEP_NUMBERS`], and the `keyframes` seek table): `encoder`, `creator`,
//! `metadatacreator`, `creationdate`, `metadatadate`, titles, comments and every other
//! string or date are dropped. Other script tags (`onXMPData`...) are dropped, except cue
//! points and text tracks (`onCuePoint`, `onTextData`, `onCaption`), which are content.
//! Because the metadata tag changes size, the seek table's file positions, `filesize` and
//! `lastkeyframelocation` are moved by the difference.
//!
//! Blocked: encrypted tags, tag sizes that do not add up, `onMetaData` values of a kind the
//! rebuild cannot carry inside the seek table.

use super::Ctx;
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, read_into, read_vec};

/// Largest script tag read into memory.
const MAX_SCRIPT: u32 = 16 << 20;
/// Read-ahead window for tag headers.
const WINDOW: usize = 1 << 20;

/// `onMetaData` numbers and flags kept.
const KEEP_NUMBERS: &[&str] = &[
    "duration",
    "width",
    "height",
    "videodatarate",
    "framerate",
    "videocodecid",
    "audiodatarate",
    "audiosamplerate",
    "audiosamplesize",
    "stereo",
    "audiocodecid",
    "filesize",
    "lasttimestamp",
    "lastkeyframetimestamp",
    "lastkeyframelocation",
    "hasVideo",
    "hasAudio",
    "hasMetadata",
    "hasKeyframes",
    "hasCuePoints",
    "canSeekToEnd",
    "datasize",
    "videosize",
    "audiosize",
    "audiodelay",
    "starttime",
];

/// Script tags that are content, kept as they are.
const KEEP_SCRIPTS: &[&str] = &["onCuePoint", "onTextData", "onCaption", "onCaptionInfo"];

/// Reads from a source through a forward window.
struct Ahead<'a> {
    src: &'a dyn Source,
    start: u64,
    buf: Vec<u8>,
}

impl Ahead<'_> {
    fn get(&mut self, at: u64, n: usize) -> Result<&[u8], Blocked> {
        let end = at + n as u64;
        if at < self.start || end > self.start + self.buf.len() as u64 {
            let want = (self.src.len() - at.min(self.src.len())).min(WINDOW as u64) as usize;
            if want < n {
                return Err(block!(
                    Damaged,
                    "FLV: truncated: {n} bytes at byte {at} but the file has {}",
                    self.src.len()
                ));
            }
            self.buf.resize(want, 0);
            read_into(self.src, at, &mut self.buf)?;
            self.start = at;
        }
        let off = (at - self.start) as usize;
        self.buf
            .get(off..off + n)
            .ok_or_else(|| block!(CannotClean, "FLV: internal read error"))
    }
}

/// An AMF0 value (the subset `onMetaData` uses).
#[derive(Debug, Clone, PartialEq)]
enum Amf {
    Number(f64),
    Bool(bool),
    String(String),
    Object(Vec<(String, Amf)>),
    Array(Vec<Amf>),
    Date,
    Null,
}

struct AmfReader<'a> {
    d: &'a [u8],
    pos: usize,
    depth: u32,
}

impl AmfReader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Blocked> {
        let s = self
            .d
            .get(self.pos..self.pos.saturating_add(n))
            .ok_or_else(|| block!(ActiveContent, "FLV: truncated script data"))?;
        self.pos += n;
        Ok(s)
    }
    fn u16(&mut self) -> Result<usize, Blocked> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
    fn u32(&mut self) -> Result<u32, Blocked> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self) -> Result<String, Blocked> {
        let n = self.u16()?;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
    fn props(&mut self, limit: Option<u32>) -> Result<Vec<(String, Amf)>, Blocked> {
        let mut out = Vec::new();
        loop {
            if limit.is_some_and(|l| out.len() as u32 >= l)
                && self.d.get(self.pos..self.pos + 3) != Some(&[0, 0, 9])
            {
                // ECMA arrays may or may not carry the end marker after their count.
                return Ok(out);
            }
            let key = self.string()?;
            if key.is_empty() && self.d.get(self.pos) == Some(&9) {
                self.pos += 1;
                return Ok(out);
            }
            let v = self.value()?;
            out.push((key, v));
            if out.len() > 1 << 20 {
                return Err(block!(ActiveContent, "FLV: script object too large"));
            }
        }
    }
    fn value(&mut self) -> Result<Amf, Blocked> {
        self.depth += 1;
        if self.depth > 32 {
            return Err(block!(ActiveContent, "FLV: script data nested too deep"));
        }
        let kind = *self.take(1)?.first().unwrap_or(&0xFF);
        let v = match kind {
            0 => {
                let b = self.take(8)?;
                Amf::Number(f64::from_be_bytes(b.try_into().unwrap_or([0; 8])))
            }
            1 => Amf::Bool(self.take(1)?.first() != Some(&0)),
            2 => Amf::String(self.string()?),
            3 => Amf::Object(self.props(None)?),
            5 | 6 => Amf::Null,
            8 => {
                let n = self.u32()?;
                Amf::Object(self.props(Some(n))?)
            }
            10 => {
                let n = self.u32()?;
                if n > 1 << 24 {
                    return Err(block!(ActiveContent, "FLV: script array of {n} values"));
                }
                let mut v = Vec::new();
                for _ in 0..n {
                    v.push(self.value()?);
                }
                Amf::Array(v)
            }
            11 => {
                self.take(10)?;
                Amf::Date
            }
            12 => {
                let n = self.u32()? as usize;
                self.take(n)?;
                Amf::String(String::new())
            }
            k => return Err(block!(ActiveContent, "FLV: script value of AMF0 type {k}")),
        };
        self.depth -= 1;
        Ok(v)
    }
}

fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}
fn put_number(out: &mut Vec<u8>, v: f64) {
    out.push(0);
    out.extend_from_slice(&v.to_be_bytes());
}

/// The kept part of `onMetaData`: (name, value) numbers and flags, and the seek table.
struct Meta {
    values: Vec<(String, Amf)>,
    keyframes: Option<(Vec<f64>, Vec<f64>)>,
}

fn keep_meta(props: Vec<(String, Amf)>, removed: &mut Vec<String>) -> Result<Meta, Blocked> {
    let mut values = Vec::new();
    let mut keyframes = None;
    let mut dropped = Vec::new();
    for (k, v) in props {
        match (&v, k.as_str()) {
            (Amf::Number(_) | Amf::Bool(_), name) if KEEP_NUMBERS.contains(&name) => {
                values.push((k, v));
            }
            (Amf::Object(kf), "keyframes") => {
                let num = |name: &str| -> Result<Vec<f64>, Blocked> {
                    match kf.iter().find(|(n, _)| n == name).map(|(_, v)| v) {
                        Some(Amf::Array(a)) => a
                            .iter()
                            .map(|x| match x {
                                Amf::Number(f) => Ok(*f),
                                _ => {
                                    Err(block!(Damaged, "FLV: keyframes.{name} holds a non-number"))
                                }
                            })
                            .collect(),
                        _ => Err(block!(CannotClean, "FLV: keyframes without {name}")),
                    }
                };
                let pos = num("filepositions")?;
                let times = num("times")?;
                if kf.len() != 2 || pos.len() != times.len() {
                    return Err(block!(
                        CannotClean,
                        "FLV: keyframes table of an unknown shape"
                    ));
                }
                keyframes = Some((pos, times));
            }
            _ => dropped.push(k),
        }
    }
    if !dropped.is_empty() {
        removed.push(format!("onMetaData: {}", dropped.join(", ")));
    }
    Ok(Meta { values, keyframes })
}

/// The new `onMetaData` script data; `moved` maps a file position of the input to the
/// output, `new_len` is the output's length.
fn write_meta(m: &Meta, moved: &dyn Fn(f64) -> f64, new_len: f64) -> Vec<u8> {
    let mut out = vec![2];
    put_string(&mut out, "onMetaData");
    out.push(8);
    let n = m.values.len() + usize::from(m.keyframes.is_some());
    out.extend_from_slice(&(n as u32).to_be_bytes());
    for (k, v) in &m.values {
        put_string(&mut out, k);
        match v {
            Amf::Number(_) if k == "filesize" => put_number(&mut out, new_len),
            Amf::Number(f) if k == "lastkeyframelocation" => put_number(&mut out, moved(*f)),
            Amf::Number(f) => put_number(&mut out, *f),
            Amf::Bool(b) => {
                out.push(1);
                out.push(u8::from(*b));
            }
            _ => {}
        }
    }
    if let Some((pos, times)) = &m.keyframes {
        put_string(&mut out, "keyframes");
        out.push(3);
        for (name, list, is_pos) in [("filepositions", pos, true), ("times", times, false)] {
            put_string(&mut out, name);
            out.push(10);
            out.extend_from_slice(&(list.len() as u32).to_be_bytes());
            for &v in list {
                put_number(&mut out, if is_pos { moved(v) } else { v });
            }
        }
        out.extend_from_slice(&[0, 0, 9]);
    }
    out.extend_from_slice(&[0, 0, 9]);
    out
}

fn tag(kind: u8, data: &[u8], ts: [u8; 4]) -> Vec<u8> {
    let n = data.len() as u32;
    let mut t = vec![
        kind,
        (n >> 16) as u8,
        (n >> 8) as u8,
        n as u8,
        ts[0],
        ts[1],
        ts[2],
        ts[3],
        0,
        0,
        0,
    ];
    t.extend_from_slice(data);
    t.extend_from_slice(&(n + 11).to_be_bytes());
    t
}

/// Cleans an FLV.
pub(crate) fn clean(
    src: &dyn Source,
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let len = src.len();
    let mut r = Ahead {
        src,
        start: 0,
        buf: Vec::new(),
    };
    let h = r.get(0, 9)?.to_vec();
    if h.get(..3) != Some(b"FLV") {
        return Err(block!(ActiveContent, "FLV: bad signature"));
    }
    let hlen = u64::from(u32::from_be_bytes([h[5], h[6], h[7], h[8]]));
    if hlen < 9 || hlen + 4 > len {
        return Err(block!(Damaged, "FLV: header size {hlen}"));
    }
    // First pass: every tag, and what becomes of the script tags.
    enum Fate {
        Copy,
        Drop(String),
        Meta(Meta, [u8; 4]),
    }
    let mut tags: Vec<(u64, u64, Fate)> = Vec::new(); // start, length incl. trailing size
    let mut pos = hlen + 4;
    while pos < len {
        if len - pos < 15 {
            return Err(block!(
                Damaged,
                "FLV: {} bytes at byte {pos} are too few for a tag (truncated)",
                len - pos
            ));
        }
        let th = r.get(pos, 11)?.to_vec();
        if th[0] & 0x20 != 0 {
            return Err(block!(Encrypted, "FLV: encrypted tag at byte {pos}"));
        }
        let kind = th[0] & 0x1F;
        let size = (u32::from(th[1]) << 16) | (u32::from(th[2]) << 8) | u32::from(th[3]);
        let total = 11 + u64::from(size) + 4;
        if pos + total > len {
            return Err(block!(
                Damaged,
                "FLV: tag at byte {pos} runs past the end (truncated)"
            ));
        }
        let back = r.get(pos + 11 + u64::from(size), 4)?;
        if u32::from_be_bytes([back[0], back[1], back[2], back[3]]) != size + 11 {
            return Err(block!(
                Damaged,
                "FLV: tag at byte {pos}: size and back-pointer disagree"
            ));
        }
        let fate = match kind {
            8 | 9 => Fate::Copy,
            18 => {
                if size > MAX_SCRIPT {
                    return Err(block!(ActiveContent, "FLV: script tag of {size} bytes"));
                }
                let data = read_vec(src, pos + 11, size as usize)?;
                let mut a = AmfReader {
                    d: &data,
                    pos: 0,
                    depth: 0,
                };
                let name = match a.value()? {
                    Amf::String(s) => s,
                    _ => return Err(block!(ActiveContent, "FLV: script tag without a name")),
                };
                if name == "onMetaData" {
                    let props = match a.value()? {
                        Amf::Object(p) => p,
                        _ => return Err(block!(Damaged, "FLV: onMetaData is not an object")),
                    };
                    Fate::Meta(keep_meta(props, removed)?, [th[4], th[5], th[6], th[7]])
                } else if KEEP_SCRIPTS.contains(&name.as_str()) {
                    Fate::Copy
                } else {
                    Fate::Drop(format!("{name} script tag ({size} bytes)"))
                }
            }
            k => {
                return Err(block!(
                    CannotClean,
                    "FLV: unknown tag type {k} at byte {pos}"
                ));
            }
        };
        tags.push((pos, total, fate));
        pos += total;
        if tags.len() > 1 << 26 {
            return Err(block!(TooLarge, "FLV: too many tags"));
        }
    }
    if !tags.iter().any(|t| matches!(t.2, Fate::Copy)) {
        return Err(block!(Damaged, "FLV: no audio or video tags"));
    }
    for t in &tags {
        if let Fate::Meta(m, _) = &t.2
            && let Some((_, Amf::Number(size))) = m.values.iter().find(|(k, _)| k == "filesize")
            && *size > 0.0
            && *size as u64 != len
        {
            return Err(block!(
                Damaged,
                "FLV: onMetaData says the file has {size} bytes, it has {len} (truncated or damaged)"
            ));
        }
    }
    // Every edit's place and size change (a rebuilt metadata tag's size does not depend on
    // the positions written into it, so it is known before they are).
    let mut edits: Vec<(u64, i64)> = Vec::new();
    let mut metas = 0;
    let mut first_meta = None;
    for (i, (start, total, fate)) in tags.iter().enumerate() {
        match fate {
            Fate::Copy => {}
            Fate::Drop(what) => {
                removed.push(what.clone());
                edits.push((*start, -(*total as i64)));
            }
            Fate::Meta(m, ts) => {
                metas += 1;
                if metas > 1 {
                    removed.push("a second onMetaData tag".into());
                    edits.push((*start, -(*total as i64)));
                    continue;
                }
                let probe = tag(18, &write_meta(m, &|v| v, 0.0), *ts).len() as i64;
                edits.push((*start, probe - *total as i64));
                first_meta = Some(i);
            }
        }
    }
    let total_delta: i64 = edits.iter().map(|e| e.1).sum();
    let moved = |p: f64| -> f64 {
        let at = p.max(0.0) as u64;
        p + edits.iter().filter(|e| e.0 < at).map(|e| e.1).sum::<i64>() as f64
    };
    let mut plan = Plan::new();
    plan.copy(0, hlen + 4);
    for (i, (start, total, fate)) in tags.iter().enumerate() {
        match fate {
            Fate::Copy => plan.copy(*start, *total),
            Fate::Drop(_) => {}
            Fate::Meta(m, ts) => {
                if first_meta == Some(i) {
                    plan.bytes(tag(
                        18,
                        &write_meta(m, &moved, (len as i64 + total_delta) as f64),
                        *ts,
                    ));
                }
            }
        }
    }
    if plan.is_unchanged(len) || plan_equals_input(&plan, src)? {
        removed.clear();
        return Ok(Plan::unchanged(src));
    }
    Ok(plan)
}

/// A rebuilt metadata tag can come out identical to the input (an already clean file).
fn plan_equals_input(plan: &Plan, src: &dyn Source) -> Result<bool, Blocked> {
    if plan.len() != src.len() {
        return Ok(false);
    }
    let mut at = 0u64;
    for p in plan.pieces() {
        match p {
            crate::plan::Piece::Copy { offset, len } => {
                if *offset != at {
                    return Ok(false);
                }
                at += len;
            }
            crate::plan::Piece::Bytes(b) => {
                if read_vec(src, at, b.len())? != *b {
                    return Ok(false);
                }
                at += b.len() as u64;
            }
            crate::plan::Piece::Zeros { .. } => return Ok(false),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn sample() -> Vec<u8> {
        let mut meta = vec![2];
        put_string(&mut meta, "onMetaData");
        meta.push(8);
        meta.extend_from_slice(&5u32.to_be_bytes());
        put_string(&mut meta, "duration");
        put_number(&mut meta, 1.5);
        put_string(&mut meta, "filesize");
        put_number(&mut meta, 0.0); // patched below
        put_string(&mut meta, "encoder");
        meta.push(2);
        put_string(&mut meta, "PlantedEncoder");
        put_string(&mut meta, "creationdate");
        meta.push(11);
        meta.extend_from_slice(&[0; 10]);
        put_string(&mut meta, "keyframes");
        meta.push(3);
        put_string(&mut meta, "filepositions");
        meta.push(10);
        meta.extend_from_slice(&1u32.to_be_bytes());
        put_number(&mut meta, 0.0); // patched below
        put_string(&mut meta, "times");
        meta.push(10);
        meta.extend_from_slice(&1u32.to_be_bytes());
        put_number(&mut meta, 0.0);
        meta.extend_from_slice(&[0, 0, 9, 0, 0, 9]);
        let mut f = b"FLV\x01\x05\0\0\0\x09\0\0\0\0".to_vec();
        let meta_tag = tag(18, &meta, [0; 4]);
        let video_at = f.len() + meta_tag.len();
        let fix = meta
            .windows(13)
            .position(|w| w == b"filepositions")
            .unwrap()
            + 13
            + 5
            + 1;
        meta[fix..fix + 8].copy_from_slice(&(video_at as f64).to_be_bytes());
        let size_at = meta.windows(8).position(|w| w == b"filesize").unwrap() + 9;
        let total = video_at + 11 + 10 + 4 + 11 + 6 + 4;
        meta[size_at..size_at + 8].copy_from_slice(&(total as f64).to_be_bytes());
        f.extend(tag(18, &meta, [0; 4]));
        f.extend(tag(9, b"\x17\x01KEYFRAME", [0; 4]));
        f.extend(tag(8, b"\xAFaudio", [0, 0, 10, 0]));
        assert_eq!(f.len(), total);
        f
    }

    fn run(d: &[u8]) -> Result<(Vec<u8>, Vec<String>), Blocked> {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let src: &[u8] = d;
        let mut removed = vec![];
        let plan = clean(&src, &cx, &mut removed)?;
        Ok((plan.materialize(&src, 1 << 20)?, removed))
    }

    #[test]
    fn metadata_strings_dropped_seek_table_moved() {
        let d = sample();
        let (out, removed) = run(&d).unwrap();
        assert!(!out.windows(7).any(|w| w == b"Planted"));
        let at = out.windows(8).position(|w| w == b"filesize").unwrap() + 9;
        assert_eq!(
            f64::from_be_bytes(out[at..at + 8].try_into().unwrap()) as usize,
            out.len()
        );
        assert_eq!(
            removed,
            vec!["onMetaData: encoder, creationdate".to_string()]
        );
        // The seek table points at the video tag in the new file.
        let at = out.windows(13).position(|w| w == b"filepositions").unwrap() + 13 + 5 + 1;
        let pos = f64::from_be_bytes(out[at..at + 8].try_into().unwrap()) as usize;
        assert_eq!(out[pos], 9);
        assert_eq!(&out[pos + 11..pos + 13], b"\x17\x01");
        let (again, r) = run(&out).unwrap();
        assert_eq!(again, out);
        assert!(r.is_empty(), "{r:?}");
    }

    #[test]
    fn bad_flv_blocks() {
        let d = sample();
        for cut in 0..d.len() {
            assert!(run(&d[..cut]).is_err(), "cut {cut}");
        }
        let mut enc = d.clone();
        enc[13] |= 0x20;
        let e = run(&enc).unwrap_err();
        assert!(e.reason.contains("encrypted"));
        assert_eq!(e.kind, crate::BlockKind::Encrypted);
        let mut big = d.clone();
        big[14..17].copy_from_slice(&[0xFF, 0xFF, 0xFF]);
        assert!(run(&big).is_err());
    }
}
