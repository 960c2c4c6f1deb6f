//! RTF (Rich Text Format, Microsoft RTF 1.9.1), edited token by token: every byte that is
//! not removed is copied as it is, so the text and its formatting are unchanged.
//!
//! The tokenizer knows groups (`{` `}`), control words (`\word-12 `, whose optional space is
//! part of the word), control symbols (`\*`, `\~`, `\{`...), escaped bytes (`\'hh`), raw
//! binary (`\binN` followed by N bytes, never read as RTF) and text.
//!
//! Removed:
//! - groups: `\info` (title, subject, author, operator, company, manager, category,
//!   comments, hyperlink base, dates, editing time, revision number), `\*\generator`,
//!   `\*\rsidtbl`, `\*\userprops` (custom properties), `\*\docvar` (document variables),
//!   `\*\template` (the template's path), `\*\mailmerge` (data-source paths),
//!   `\*\datastore` (custom XML parts), `\*\protusertbl` (user names of range permissions),
//!   `\*\atndate`, a `\*\xmlnstbl` that declares a namespace other than Microsoft's, and
//!   every other ignorable destination (`{\*\word ...}`) not in [`KEEP`]: by the RTF
//!   specification a reader that does not know one skips it, so removing it is what such a
//!   reader shows;
//! - `\*\revtbl` (tracked-change authors) rewritten with one `Unknown` per author, so
//!   `\revauthN` indexes stay valid; `\*\atnauthor` and `\*\atnid` (comment author and
//!   initials) emptied;
//! - control words anywhere: revision save IDs (`\rsidN`, `\insrsidN`, `\charrsidN`,
//!   `\delrsidN`, `\pararsidN`, `\sectrsidN`, `\tblrsidN`, `\styrsidN`, `\rsidrootN`) and
//!   revision dates (`\revdttmN`, `\revdttmdelN`, `\crdateN`).
//!
//! Pictures (`\pict` with `\jpegblip` or `\pngblip`) are decoded, cleaned by the picture
//! cleaners and written back as hex when something was removed. Embedded OLE objects
//! (`\object`, `\*\objdata`) block the file. The forbidden strings are checked against the
//! decoded text too (`\uN`, and `\'hh` in the document's code page), which the byte-level
//! check of the output cannot see.

use super::Ctx;
use crate::error::{Blocked, block};

/// Deepest group nesting accepted (a real document nests a few dozen levels).
const MAX_DEPTH: usize = 1000;

/// Groups removed with everything inside (destination control word).
const REMOVE: &[&str] = &[
    "info",
    "generator",
    "rsidtbl",
    "userprops",
    "docvar",
    "template",
    "mailmerge",
    "datastore",
    "protusertbl",
    "atndate",
];

/// Ignorable destinations kept (content, formatting, pictures, fields, math, lists...).
const KEEP: &[&str] = &[
    "shppict",
    "nonshppict",
    "shpinst",
    "shptxt",
    "shprslt",
    "bkmkstart",
    "bkmkend",
    "fldinst",
    "fldtype",
    "formfield",
    "ffname",
    "ffdeftext",
    "ffformat",
    "ffhelptext",
    "ffstattext",
    "ffentrymcr",
    "ffexitmcr",
    "ffl",
    "datafield",
    "pntext",
    "pntxta",
    "pntxtb",
    "pn",
    "pnseclvl",
    "listtable",
    "listoverridetable",
    "listpicture",
    "listname",
    "levelnumbers",
    "leveltext",
    "pgdsctbl",
    "pgdsc",
    "themedata",
    "colorschememapping",
    "latentstyles",
    "lsdlockedexcept",
    "panose",
    "falt",
    "fname",
    "fontemb",
    "fontfile",
    "ftnsep",
    "ftnsepc",
    "aftnsep",
    "aftnsepc",
    "ud",
    "upr",
    "tc",
    "tcn",
    "xe",
    "txe",
    "bxe",
    "pxe",
    "rxe",
    "dptxbxtext",
    "cs",
    "ts",
    "defchp",
    "defpap",
    "wgrffmtfilter",
    "blipuid",
    "picprop",
    "bliptag",
    "hl",
    "hlfr",
    "hlloc",
    "hlsrc",
    "htmltag",
    "mhtmltag",
    "htmlbase",
    "annotation",
    "atnid",
    "atnauthor",
    "atnref",
    "atnparent",
    "atrfstart",
    "atrfend",
    "revtbl",
    "password",
    "passwordhash",
    "xmlnstbl",
    "xmlopen",
    "xmlclose",
    "xmlattrname",
    "xmlattrvalue",
    "xmlname",
    "factoidname",
    "oldcprops",
    "oldpprops",
    "oldsprops",
    "oldtprops",
    "nesttableprops",
    "nonesttables",
    "tblind",
    "mmathPr",
    "moMath",
    "moMathPara",
    "mr",
    "mmathFont",
    "mctrlPr",
    "fchars",
    "lchars",
    "keycode",
    "listtext",
    "pnseclvl",
    "background",
    "shp",
    "shpgrp",
    "svb",
    "sp",
    "sn",
    "sv",
    "comment",
    "footnote",
    "g",
    "gcw",
    "gridtbl",
    "ulc",
    "lfolevel",
    "charscalex",
    "pgptbl",
    "bkmkpub",
    "pubauto",
    "objalias",
    "objsect",
    "wbitmap",
    "ebcstart",
    "ebcend",
    "docvar_",
    "trackformatting",
    "trackmoves",
    "ftnalt",
    "aftntj",
    "ftntj",
];

/// Control words removed wherever they are (with their parameter).
const STRIP: &[&str] = &[
    "rsid",
    "insrsid",
    "charrsid",
    "delrsid",
    "pararsid",
    "sectrsid",
    "tblrsid",
    "styrsid",
    "rsidroot",
    "revdttm",
    "revdttmdel",
    "crdate",
];

/// A control word at `d[at]` (which is `\`).
struct Word<'a> {
    name: &'a str,
    param: Option<i64>,
    /// The byte after the word, its parameter and its space delimiter.
    end: usize,
    /// Whether a space delimiter was consumed.
    spaced: bool,
}

/// Reads the control word or symbol at `d[at] == b'\\'`. A symbol has an empty name and
/// `end` after it (`\'hh` included).
fn word(d: &[u8], at: usize) -> Result<Word<'_>, Blocked> {
    let start = at + 1;
    let mut i = start;
    while i < d.len() && d.get(i).is_some_and(u8::is_ascii_alphabetic) && i - start < 32 {
        i += 1;
    }
    if i == start {
        // Control symbol: `\'hh` or one character.
        let end = match d.get(start) {
            Some(b'\'') => start + 3,
            Some(_) => start + 1,
            None => {
                return Err(block!(
                    Damaged,
                    "RTF: truncated (a backslash ends the file)"
                ));
            }
        };
        if end > d.len() {
            return Err(block!(Damaged, "RTF: truncated escape at byte {at}"));
        }
        return Ok(Word {
            name: "",
            param: None,
            end,
            spaced: false,
        });
    }
    let name = std::str::from_utf8(d.get(start..i).unwrap_or_default()).unwrap_or("");
    let num_start = i;
    if d.get(i) == Some(&b'-') {
        i += 1;
    }
    while d.get(i).is_some_and(u8::is_ascii_digit) && i - num_start < 11 {
        i += 1;
    }
    let param = std::str::from_utf8(d.get(num_start..i).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse::<i64>().ok());
    if param.is_none() {
        i = num_start;
    }
    let spaced = d.get(i) == Some(&b' ');
    Ok(Word {
        name,
        param,
        end: i + usize::from(spaced),
        spaced,
    })
}

/// The byte after the `\binN` payload that starts at `at`.
fn skip_bin(d: &[u8], at: usize, n: Option<i64>) -> Result<usize, Blocked> {
    let n = usize::try_from(n.unwrap_or(0))
        .map_err(|_| block!(Damaged, "RTF: negative \\bin length at byte {at}"))?;
    at.checked_add(n)
        .filter(|&e| e <= d.len())
        .ok_or_else(|| block!(Damaged, "RTF: \\bin{n} at byte {at} runs past the end"))
}

/// Where the group opened at `d[open] == b'{'` ends (after its `}`).
fn group_end(d: &[u8], open: usize) -> Result<usize, Blocked> {
    let mut depth = 0usize;
    let mut i = open;
    while i < d.len() {
        match d.get(i) {
            Some(b'{') => {
                depth += 1;
                i += 1;
            }
            Some(b'}') => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            Some(b'\\') => {
                let w = word(d, i)?;
                i = if w.name == "bin" {
                    skip_bin(d, w.end, w.param)?
                } else {
                    w.end
                };
            }
            _ => i += 1,
        }
    }
    Err(block!(
        Damaged,
        "RTF: the group opened at byte {open} is not closed"
    ))
}

/// The destination of the group opened at `d[open]`: whether it is ignorable (`\*`) and its
/// control word, if the group starts with one.
fn destination(d: &[u8], open: usize) -> Result<(bool, Option<Word<'_>>), Blocked> {
    let mut i = open + 1;
    while matches!(d.get(i), Some(b'\r' | b'\n')) {
        i += 1;
    }
    if d.get(i) != Some(&b'\\') {
        return Ok((false, None));
    }
    let first = word(d, i)?;
    if first.name.is_empty() && d.get(i + 1) == Some(&b'*') {
        let mut j = first.end;
        while matches!(d.get(j), Some(b' ' | b'\r' | b'\n')) {
            j += 1;
        }
        if d.get(j) == Some(&b'\\') {
            let w = word(d, j)?;
            return Ok((true, (!w.name.is_empty()).then_some(w)));
        }
        return Ok((true, None));
    }
    Ok((false, (!first.name.is_empty()).then_some(first)))
}

/// Counts the entries of a `\*\revtbl` group (`{Unknown;}{Kim;}`).
fn revtbl_entries(g: &[u8]) -> usize {
    let inner = g.get(1..g.len().saturating_sub(1)).unwrap_or_default();
    let groups = inner.iter().filter(|&&b| b == b'{').count();
    if groups > 0 {
        groups
    } else {
        inner.iter().filter(|&&b| b == b';').count()
    }
}

/// Whether a `\*\xmlnstbl` group declares only Microsoft namespaces.
fn microsoft_namespaces(g: &[u8]) -> bool {
    let s = String::from_utf8_lossy(g).to_ascii_lowercase();
    s.split("\\xmlns").skip(1).all(|decl| {
        decl.contains("schemas.microsoft.com") || decl.contains("schemas.openxmlformats.org")
    })
}

/// Decoded text for the forbidden-strings check.
struct Text {
    out: String,
    pending: Vec<u8>,
    encoding: &'static encoding_rs::Encoding,
}

impl Text {
    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let (s, _, _) = self.encoding.decode(&self.pending);
            self.out.push_str(&s);
            self.pending.clear();
        }
    }
    fn byte(&mut self, b: u8) {
        self.pending.push(b);
    }
    fn char(&mut self, c: char) {
        self.flush();
        self.out.push(c);
    }
}

/// The encoding of an `\ansicpgN` code page (Windows-1252 when unknown).
fn codepage(n: i64) -> &'static encoding_rs::Encoding {
    match n {
        949 => encoding_rs::EUC_KR,
        936 => encoding_rs::GBK,
        950 => encoding_rs::BIG5,
        932 => encoding_rs::SHIFT_JIS,
        1251 => encoding_rs::WINDOWS_1251,
        65001 => encoding_rs::UTF_8,
        _ => encoding_rs::WINDOWS_1252,
    }
}

/// Cleans the picture group `g` (`{\pict ...}`): its hex (or `\bin`) data decoded, cleaned,
/// written back as hex. `None` when nothing changed.
fn clean_pict(g: &[u8], cx: &Ctx, removed: &mut Vec<String>) -> Result<Option<Vec<u8>>, Blocked> {
    let mut i = 1;
    let mut ext = None;
    let mut hex = Vec::new();
    let mut binary: Option<(usize, usize)> = None;
    let mut kept = vec![b'{'];
    let last = g.len().saturating_sub(1);
    while i < last {
        match g.get(i) {
            Some(b'{') => {
                let end = group_end(g, i)?;
                kept.extend_from_slice(g.get(i..end).unwrap_or_default());
                i = end;
            }
            Some(b'\\') => {
                let w = word(g, i)?;
                match w.name {
                    "jpegblip" => ext = Some("jpg"),
                    "pngblip" => ext = Some("png"),
                    _ => {}
                }
                if w.name == "bin" {
                    let end = skip_bin(g, w.end, w.param)?;
                    binary = Some((w.end, end));
                    i = end;
                } else {
                    kept.extend_from_slice(g.get(i..w.end).unwrap_or_default());
                    i = w.end;
                }
            }
            Some(&b) => {
                if b.is_ascii_hexdigit() {
                    hex.push(b);
                } else if !b.is_ascii_whitespace() {
                    return Err(block!(
                        Damaged,
                        "RTF: a picture holds something other than hex data"
                    ));
                }
                i += 1;
            }
            None => break,
        }
    }
    let Some(ext) = ext else { return Ok(None) };
    let data = match binary {
        Some((a, b)) => g.get(a..b).unwrap_or_default().to_vec(),
        None => {
            if hex.len() % 2 != 0 {
                return Err(block!(
                    Damaged,
                    "RTF: a picture has an odd number of hex digits"
                ));
            }
            hex.chunks(2)
                .map(|p| {
                    let v = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
                    (v(p[0]) << 4) | v(p[1])
                })
                .collect()
        }
    };
    let name = format!("picture.{ext}");
    let mut sub = Vec::new();
    let (_, result) = cx.clean_member(&name, &data, &mut sub);
    let cleaned = result.map_err(|b| block!(inherit b, "RTF: a picture: {b}"))?;
    cx.check_forbidden(&cleaned, "an RTF picture")?;
    if cleaned == data {
        return Ok(None);
    }
    removed.extend(sub.into_iter().map(|r| format!("RTF picture: {r}")));
    // Hex, 128 digits a line as Word writes it.
    for (k, b) in cleaned.iter().enumerate() {
        if k % 64 == 0 {
            kept.push(b'\n');
        }
        kept.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    kept.push(b'}');
    Ok(Some(kept))
}

/// Cleans RTF.
pub(crate) fn clean(d: &[u8], cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    if !d.starts_with(b"{\\rtf") {
        return Err(block!(Damaged, "RTF: does not start with {{\\rtf"));
    }
    let mut out = Vec::with_capacity(d.len());
    let mut text = Text {
        out: String::new(),
        pending: Vec::new(),
        encoding: encoding_rs::WINDOWS_1252,
    };
    let mut depth = 0usize;
    let mut closed_top = false;
    // Whether the last bytes written end a control word that has no delimiter yet.
    let mut open_word = false;
    let mut groups: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let (mut words, mut unknown) = (0usize, 0usize);
    // After `\uN` the reader skips `\ucN` (default 1) fallback characters.
    let (mut uc, mut fallback) = (1usize, 0usize);
    let mut i = 0usize;
    while i < d.len() {
        let b = d.get(i).copied().unwrap_or(0);
        match b {
            b'{' => {
                if closed_top {
                    return Err(block!(
                        Damaged,
                        "RTF: data after the end of the document at byte {i}"
                    ));
                }
                let (ignorable, dest) = destination(d, i)?;
                let name = dest.as_ref().map_or("", |w| w.name);
                if name == "object" || name == "objdata" {
                    return Err(block!(
                        ActiveContent,
                        "RTF: an embedded OLE object is not cleaned"
                    ));
                }
                let remove = REMOVE.iter().find(|r| **r == name).copied().or_else(|| {
                    (ignorable && !name.is_empty() && !KEEP.contains(&name)).then_some("")
                });
                let xmlns_foreign = name == "xmlnstbl" && {
                    let end = group_end(d, i)?;
                    !microsoft_namespaces(d.get(i..end).unwrap_or_default())
                };
                if remove.is_some() || xmlns_foreign {
                    let end = group_end(d, i)?;
                    match remove {
                        Some("") => unknown += 1,
                        Some(r) => *groups.entry(r).or_default() += 1,
                        None => *groups.entry("xmlnstbl").or_default() += 1,
                    }
                    i = end;
                    continue;
                }
                if name == "revtbl" || name == "atnauthor" || name == "atnid" {
                    let end = group_end(d, i)?;
                    let g = d.get(i..end).unwrap_or_default();
                    let new = match name {
                        "revtbl" => {
                            let mut s = b"{\\*\\revtbl ".to_vec();
                            for _ in 0..revtbl_entries(g) {
                                s.extend_from_slice(b"{Unknown;}");
                            }
                            s.push(b'}');
                            s
                        }
                        _ => format!("{{\\*\\{name}}}").into_bytes(),
                    };
                    let visible = |b: &&u8| !b.is_ascii_whitespace();
                    if !g.iter().filter(visible).eq(new.iter().filter(visible)) {
                        let label = match name {
                            "revtbl" => "tracked-change authors (\\revtbl)",
                            "atnauthor" => "comment authors (\\atnauthor)",
                            _ => "comment initials (\\atnid)",
                        };
                        *groups.entry(label).or_default() += 1;
                    }
                    out.extend_from_slice(&new);
                    open_word = false;
                    i = end;
                    continue;
                }
                if name == "pict" {
                    let end = group_end(d, i)?;
                    let g = d.get(i..end).unwrap_or_default();
                    match clean_pict(g, cx, removed)? {
                        Some(new) => out.extend_from_slice(&new),
                        None => out.extend_from_slice(g),
                    }
                    open_word = false;
                    i = end;
                    continue;
                }
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(block!(
                        TooLarge,
                        "RTF: groups nested deeper than {MAX_DEPTH}"
                    ));
                }
                out.push(b'{');
                open_word = false;
                i += 1;
            }
            b'}' => {
                if depth == 0 {
                    return Err(block!(Damaged, "RTF: unbalanced }} at byte {i}"));
                }
                depth -= 1;
                if depth == 0 {
                    closed_top = true;
                }
                out.push(b'}');
                open_word = false;
                i += 1;
            }
            b'\\' => {
                let w = word(d, i)?;
                if w.name.is_empty() {
                    if d.get(i + 1) == Some(&b'\'') {
                        let h = d.get(i + 2..i + 4).unwrap_or_default();
                        if let Ok(v) =
                            u8::from_str_radix(std::str::from_utf8(h).unwrap_or("zz"), 16)
                        {
                            if fallback > 0 {
                                fallback -= 1;
                            } else {
                                text.byte(v);
                            }
                        }
                    }
                    out.extend_from_slice(d.get(i..w.end).unwrap_or_default());
                    open_word = false;
                    i = w.end;
                    continue;
                }
                if STRIP.contains(&w.name) {
                    words += 1;
                    let next = d.get(w.end).copied();
                    if open_word
                        && (w.spaced
                            || next.is_some_and(|c| {
                                c.is_ascii_alphanumeric() || c == b'-' || c == b' '
                            }))
                    {
                        out.push(b' ');
                        open_word = false;
                    }
                    i = w.end;
                    continue;
                }
                match w.name {
                    "ansicpg" => text.encoding = codepage(w.param.unwrap_or(1252)),
                    "uc" => uc = usize::try_from(w.param.unwrap_or(1)).unwrap_or(1).min(16),
                    "u" => {
                        fallback = uc;
                        let v = w.param.unwrap_or(0);
                        let v = if v < 0 { v + 65536 } else { v };
                        text.char(
                            char::from_u32(u32::try_from(v).unwrap_or(0xFFFD))
                                .unwrap_or('\u{FFFD}'),
                        );
                    }
                    "par" | "line" | "tab" | "cell" => text.char(' '),
                    _ => {}
                }
                let end = if w.name == "bin" {
                    skip_bin(d, w.end, w.param)?
                } else {
                    w.end
                };
                out.extend_from_slice(d.get(i..end).unwrap_or_default());
                open_word = w.name != "bin" && !w.spaced;
                i = end;
            }
            b'\r' | b'\n' => {
                out.push(b);
                open_word = false;
                i += 1;
            }
            _ => {
                if closed_top && !b.is_ascii_whitespace() && b != 0 {
                    return Err(block!(
                        Damaged,
                        "RTF: data after the end of the document at byte {i}"
                    ));
                }
                if fallback > 0 {
                    fallback -= 1;
                } else {
                    text.byte(b);
                }
                out.push(b);
                open_word = false;
                i += 1;
            }
        }
    }
    if depth != 0 || !closed_top {
        return Err(block!(
            Damaged,
            "RTF: the document is truncated (a group is not closed)"
        ));
    }
    text.flush();
    cx.check_forbidden(text.out.as_bytes(), "the RTF text")?;
    for (what, n) in groups {
        let label = match what {
            "info" => "\\info (title, author, operator, company, dates...)",
            "generator" => "\\generator",
            "rsidtbl" => "\\rsidtbl (revision save IDs)",
            "userprops" => "\\userprops (custom properties)",
            "docvar" => "\\docvar (document variables)",
            "template" => "\\template (template path)",
            "mailmerge" => "\\mailmerge (data source)",
            "datastore" => "\\datastore (custom XML)",
            "protusertbl" => "\\protusertbl (user names)",
            "atndate" => "\\atndate (comment dates)",
            "xmlnstbl" => "\\xmlnstbl (custom XML namespaces)",
            other => other,
        };
        removed.push(format!("{label} ({n})"));
    }
    if words > 0 {
        removed.push(format!("{words} revision save ID(s) and revision date(s)"));
    }
    if unknown > 0 {
        removed.push(format!("{unknown} unknown ignorable group(s)"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn run(d: &[u8]) -> Result<(String, Vec<String>), Blocked> {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut removed = vec![];
        let out = clean(d, &cx, &mut removed)?;
        Ok((String::from_utf8_lossy(&out).into_owned(), removed))
    }

    /// The start of a file LibreOffice 7.4 writes (`--convert-to rtf`), planted values.
    const LIBREOFFICE: &str = r"{\rtf1\ansi\deff3\adeflang1025
{\fonttbl{\f0\froman\fprq2\fcharset0 Times New Roman;}}
{\*\revtbl {Unknown;}{PlantedReviewer;}}
{\*\generator LibreOffice/7.4.7.2$Linux_X86_64 LibreOffice_project/40$Build-2}{\info{\*\company PlantedCompany}{\title PlantedTitle}{\author PlantedAuthor}{\creatim\yr2021\mo3\dy4\hr5\min6}{\revtim\yr2022\mo3\dy4\hr5\min6}{\printim\yr0\mo0\dy0\hr0\min0}}{\*\userprops{\propname Department}\proptype30{\staticval PlantedCustom}}\deftab709
\pard\plain \s0\rtlch\af5 \ltrch\lang1033\f3\fs24{\*\atnid }{\*\atnauthor PlantedAnnotator}\chatn{\*\annotation{\*\atndate 1234567}\pard\plain {\rtlch \ltrch\loch a note}}The leaflet text stays the same.
\par \pard\plain {\rtlch \ltrch\loch Second }{\*\oldcprops \plain \f3}\deleted\revauth1\revdttm1122334455 {inserted}\rsid4456 \u54620\'3f\u44544\'3f paragraph.\par }";

    #[test]
    fn libreoffice_rtf_loses_info_generator_and_authors() {
        let (s, removed) = run(LIBREOFFICE.as_bytes()).unwrap();
        for gone in [
            "Planted",
            "LibreOffice",
            "yr2021",
            "1122334455",
            "1234567",
            "rsid",
        ] {
            assert!(!s.contains(gone), "{gone} left in:\n{s}");
        }
        for kept in [
            "{\\*\\revtbl {Unknown;}{Unknown;}}",
            "{\\*\\atnid}{\\*\\atnauthor}\\chatn{\\*\\annotation\\pard\\plain {\\rtlch \\ltrch\\loch a note}}The leaflet text stays the same.",
            "\\deleted\\revauth1 {inserted}\\u54620\\'3f\\u44544\\'3f paragraph.\\par }",
            "{\\fonttbl{\\f0\\froman\\fprq2\\fcharset0 Times New Roman;}}",
        ] {
            assert!(s.contains(kept), "{kept} missing from:\n{s}");
        }
        assert!(removed.iter().any(|r| r.contains("\\info")), "{removed:?}");
        // Idempotent.
        let (again, more) = run(s.as_bytes()).unwrap();
        assert_eq!(again, s);
        assert!(more.is_empty(), "{more:?}");
    }

    #[test]
    fn removing_a_word_never_glues_its_neighbours() {
        let (s, _) = run(br"{\rtf1\b\insrsid5 Hello\b0\charrsid7abc\i\rsid9  two\par}").unwrap();
        assert_eq!(s, r"{\rtf1\b Hello\b0 abc\i  two\par}");
        let (s, _) = run(br"{\rtf1\b\insrsid5\i x}").unwrap();
        assert_eq!(s, r"{\rtf1\b\i x}");
    }

    #[test]
    fn bin_data_is_skipped_and_unknown_groups_go() {
        let mut d = br"{\rtf1{\*\mystery Kim}{\*\bkmkstart b}x{\pict\wmetafile8\bin4 ".to_vec();
        d.extend_from_slice(b"}{\\}");
        d.extend_from_slice(b"}\\par}");
        let (s, removed) = run(&d).unwrap();
        assert!(!s.contains("Kim"), "{s}");
        assert!(
            s.contains("{\\*\\bkmkstart b}x{\\pict\\wmetafile8\\bin4 }{\\}}"),
            "{s}"
        );
        assert!(
            removed.iter().any(|r| r.contains("unknown ignorable")),
            "{removed:?}"
        );
    }

    #[test]
    fn bad_rtf_blocks() {
        for (d, why) in [
            (&b"{\\rtf1 {\\b x}"[..], "truncated"),
            (b"{\\rtf1 x}}", "unbalanced"),
            (b"{\\rtf1 \\bin99 ab}", "runs past"),
            (b"{\\rtf1 {\\object\\objemb{\\*\\objdata 0102}}}", "OLE"),
            (b"{\\rtf1 \\'4", "truncated"),
            (b"plain", "does not start"),
            (b"{\\rtf1 x}garbage", "after the end"),
        ] {
            let err = run(d).unwrap_err();
            assert!(err.reason.contains(why), "{why}: {err}");
        }
        let deep = format!("{{\\rtf1 {}{}}}", "{".repeat(2000), "}".repeat(2000));
        assert!(run(deep.as_bytes()).unwrap_err().reason.contains("deeper"));
    }

    #[test]
    fn forbidden_strings_are_found_in_escaped_text() {
        let cfg = Config {
            forbidden: saebaram_forbid::ForbidList::parse("김철").unwrap(),
            ..Config::default()
        };
        let cx = Ctx::test(&cfg);
        // 김철 as \uN, and as EUC-KR \'hh.
        for d in [
            &br"{\rtf1\ansi\ansicpg949 \u44608?\u52384? x}"[..],
            br"{\rtf1\ansi\ansicpg949 \'b1\'e8\'c3\'b6 x}",
        ] {
            let err = clean(d, &cx, &mut vec![]).unwrap_err();
            assert!(err.reason.contains("forbidden"), "{err}");
        }
    }
}
