//! Zip-based documents: OOXML (DOCX, XLSX, PPTX), ODF (ODT, ODS, ODP...) and EPUB.
//!
//! Every member is read under zip-bomb limits (total size, ratio, count), then:
//! metadata parts are replaced by empty ones (`docProps/core.xml`, `app.xml`, `custom.xml`,
//! ODF `meta.xml` and `settings.xml`), thumbnails are dropped (with their relationship,
//! content-type or manifest entry), XML parts are scrubbed (rsids, revision and comment
//! authors, initials and dates, people/person identities, Excel's absolute path, XML comments;
//! ODF `dc:creator`/`dc:date` in tracked changes and annotations; in EPUB OPF metadata:
//! contributors, dates, calibre/generator meta, `dcterms:modified` set to a fixed value),
//! embedded pictures and media are cleaned recursively, XHTML chapters go through the HTML
//! cleaner. Unknown members, embedded objects, macros and printer settings are blocked.
//! The zip is written afresh: original member order (`mimetype` first and stored), every
//! other member deflated at level 6, every time 1980-01-01 00:00, no comments or extra fields.
//! Untouched XML parts keep their exact bytes; scrubbed ones change only inside the tags
//! that were edited (the scrubber copies every other byte span from the input).

use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};

use quick_xml::events::Event;

use super::Ctx;
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, SourceReader};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Docx,
    Xlsx,
    Pptx,
    Odf,
    Epub,
    Hwpx,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Docx => "DOCX",
            Kind::Xlsx => "XLSX",
            Kind::Pptx => "PPTX",
            Kind::Odf => "ODF",
            Kind::Epub => "EPUB",
            Kind::Hwpx => "HWPX",
        }
    }
}

struct Member {
    name: String,
    dir: bool,
    data: Vec<u8>,
}

fn over_declared(declared: u64) -> Blocked {
    block!(
        TooLarge,
        "zip: members decompress to more than the {declared} bytes they declare (zip bomb?)"
    )
}

fn read_members(src: &dyn Source, cx: &Ctx) -> Result<(Vec<Member>, bool), Blocked> {
    let mut archive = zip::ZipArchive::new(SourceReader::new(src))
        .map_err(|e| block!(Damaged, "zip: cannot read: {e}"))?;
    if archive.len() > cx.cfg.max_zip_entries {
        return Err(block!(
            TooLarge,
            "zip: {} members, over the limit of {}",
            archive.len(),
            cx.cfg.max_zip_entries
        ));
    }
    let had_comment = !archive.comment().is_empty();
    // Members are held decompressed, then the new zip is built: reserve both before
    // inflating anything, and never inflate more than the members declare.
    let declared = archive
        .decompressed_size()
        .map_or(u64::MAX, |n| u64::try_from(n).unwrap_or(u64::MAX));
    if declared > cx.cfg.max_zip_total {
        return Err(block!(
            TooLarge,
            "zip: members decompress to more than {} bytes (zip bomb?)",
            cx.cfg.max_zip_total
        ));
    }
    cx.reserve(
        declared.saturating_mul(2).saturating_add(src.len()),
        "zip document",
    )?;
    let mut budget = declared;
    let mut names = BTreeSet::new();
    let mut out = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let mut f = archive
            .by_index(i)
            .map_err(|e| block!(CannotClean, "zip: member {i}: {e}"))?;
        let name = f
            .name()
            .map_err(|e| block!(Damaged, "zip: member {i}: bad name: {e}"))?
            .to_string();
        if f.encrypted() {
            return Err(block!(Encrypted, "zip: member {name} is encrypted"));
        }
        if f.enclosed_name().is_none() || name.starts_with('/') || name.contains('\\') {
            return Err(block!(CannotClean, "zip: unsafe member name {name:?}"));
        }
        if !names.insert(name.clone()) {
            return Err(block!(Damaged, "zip: duplicate member {name}"));
        }
        if f.is_dir() {
            out.push(Member {
                name,
                dir: true,
                data: Vec::new(),
            });
            continue;
        }
        if f.size() > budget {
            return Err(over_declared(declared));
        }
        let compressed = f.compressed_size().max(1);
        let ratio_ok = |n: u64| n <= (1 << 20) || n / compressed <= cx.cfg.max_zip_ratio;
        if !ratio_ok(f.size()) {
            return Err(block!(
                TooLarge,
                "zip: member {name} declares {}x expansion (zip bomb?)",
                f.size() / compressed
            ));
        }
        // Read in steps so a lying header cannot make us inflate more than the limits.
        let mut data = Vec::new();
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            let k = f
                .read(&mut chunk)
                .map_err(|e| block!(CannotClean, "zip: member {name}: {e}"))?;
            if k == 0 {
                break;
            }
            data.extend_from_slice(chunk.get(..k).unwrap_or_default());
            let n = data.len() as u64;
            if n > budget {
                return Err(over_declared(declared));
            }
            if !ratio_ok(n) {
                return Err(block!(
                    TooLarge,
                    "zip: member {name} expands {}x (zip bomb?)",
                    n / compressed
                ));
            }
        }
        budget -= data.len() as u64;
        out.push(Member {
            name,
            dir: false,
            data,
        });
    }
    Ok((out, had_comment))
}

fn kind_of(members: &[Member]) -> Result<Kind, Blocked> {
    let has = |n: &str| members.iter().any(|m| m.name == n);
    let starts = |p: &str| members.iter().any(|m| m.name.starts_with(p));
    if has("[Content_Types].xml") {
        return if starts("word/") {
            Ok(Kind::Docx)
        } else if starts("xl/") {
            Ok(Kind::Xlsx)
        } else if starts("ppt/") {
            Ok(Kind::Pptx)
        } else {
            Err(block!(
                Damaged,
                "zip: Open Packaging file that is not DOCX, XLSX or PPTX"
            ))
        };
    }
    if let Some(m) = members.iter().find(|m| m.name == "mimetype") {
        let t = String::from_utf8_lossy(&m.data);
        if t.trim() == "application/epub+zip" {
            return Ok(Kind::Epub);
        }
        if t.starts_with("application/vnd.oasis.opendocument.") {
            return Ok(Kind::Odf);
        }
        if t.trim() == "application/hwp+zip" {
            return Ok(Kind::Hwpx);
        }
        return Err(block!(CannotClean, "zip: unknown mimetype {t:?}"));
    }
    Err(block!(
        CannotClean,
        "zip: a plain zip archive (not a document container) is not supported"
    ))
}

fn ext(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_media(name: &str) -> bool {
    matches!(
        ext(name).as_str(),
        "jpg"
            | "jpeg"
            | "png"
            | "gif"
            | "webp"
            | "tif"
            | "tiff"
            | "mp3"
            | "mp4"
            | "m4a"
            | "m4v"
            | "mov"
            | "wav"
            | "flac"
            | "avi"
            | "mkv"
            | "webm"
            | "emf"
            | "wmf"
            | "bmp"
            | "svg"
            | "ogg"
            | "opus"
    )
}

fn is_font(name: &str) -> bool {
    matches!(
        ext(name).as_str(),
        "ttf" | "otf" | "woff" | "woff2" | "odttf"
    )
}

enum Action {
    Keep,
    Drop(&'static str),
    Replace(Vec<u8>, &'static str),
    Xml(Policy),
    Html,
    Recurse,
}

type Pred = Box<dyn Fn(&str) -> bool>;

/// What the XML scrubber does to one part.
#[derive(Default)]
struct Policy {
    /// Elements (local name) dropped with their content.
    drop_elems: &'static [&'static str],
    /// Elements (qualified name) whose content is emptied.
    blank_text: &'static [&'static str],
    /// Attributes whose local name starts with one of these are dropped.
    drop_attr_prefixes: &'static [&'static str],
    /// Attributes (local name) dropped.
    drop_attrs: &'static [&'static str],
    /// Attributes (local name) set to "".
    blank_attrs: &'static [&'static str],
    /// Attributes set to "" on one element only: (element local name, attribute local name).
    blank_attr_on: &'static [(&'static str, &'static str)],
    /// `Target="file:..."` external targets reduced to their file name.
    file_targets: bool,
    /// Elements (local name) dropped when attribute (local name) matches.
    drop_when: Vec<(&'static str, &'static str, Pred)>,
    /// Element (qualified name) with attribute value whose text is replaced.
    set_text: Option<(&'static str, &'static str, &'static str, &'static str)>,
}

const CORE_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:dcmitype=\"http://purl.org/dc/dcmitype/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"></cp:coreProperties>";
const APP_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties\" xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\"></Properties>";
const CUSTOM_XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\" xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\"></Properties>";
const ODF_META: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" office:version=\"1.3\"><office:meta/></office:document-meta>";
const ODF_SETTINGS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-settings xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" office:version=\"1.3\"/>";
const HWPX_SETTINGS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\" ?><ha:HWPApplicationSetting xmlns:ha=\"http://www.hancom.co.kr/hwpml/2011/app\" xmlns:config=\"urn:oasis:names:tc:opendocument:xmlns:config:1.0\"/>";
/// Policy for EPUB `dcterms:modified` (required by EPUB 3): a fixed instant.
const EPUB_MODIFIED: &str = "2000-01-01T00:00:00Z";

fn ooxml_policy() -> Policy {
    Policy {
        drop_elems: &["rsids", "absPath", "revisionPtr"],
        blank_text: &["author"],
        drop_attr_prefixes: &["rsid"],
        drop_attrs: &["date", "dateUtc"],
        blank_attrs: &["author", "initials", "userId", "providerId", "displayName"],
        file_targets: true,
        ..Policy::default()
    }
}

fn decide(kind: Kind, m: &Member, dropped: &BTreeSet<String>) -> Result<Action, Blocked> {
    let n = m.name.as_str();
    let e = ext(n);
    let blocked = |why: &str| Err(block!(CannotClean, "{} member {n}: {why}", kind.name()));
    match kind {
        Kind::Docx | Kind::Xlsx | Kind::Pptx => {
            let top = n.split('/').next().unwrap_or("");
            let main = matches!(
                top,
                "word" | "xl" | "ppt" | "customXml" | "_rels" | "docProps" | "[Content_Types].xml"
            );
            if !main {
                return blocked("unknown part");
            }
            if n == "docProps/core.xml" {
                return Ok(Action::Replace(
                    CORE_XML.into(),
                    "core properties (author, dates, revision...)",
                ));
            }
            if n == "docProps/app.xml" {
                return Ok(Action::Replace(
                    APP_XML.into(),
                    "app properties (application, company, template...)",
                ));
            }
            if n == "docProps/custom.xml" {
                return Ok(Action::Replace(CUSTOM_XML.into(), "custom properties"));
            }
            if n.starts_with("docProps/thumbnail") {
                return Ok(Action::Drop("thumbnail"));
            }
            if n.contains("/embeddings/") || n.contains("activeX") {
                return blocked("embedded object (not cleaned)");
            }
            if e == "bin" {
                return blocked("binary part (macros or printer settings) not cleaned");
            }
            if e == "xml" || e == "rels" || e == "vml" {
                let mut p = ooxml_policy();
                if n == "ppt/commentAuthors.xml" {
                    p.blank_attrs = &[
                        "author",
                        "initials",
                        "userId",
                        "providerId",
                        "displayName",
                        "name",
                    ];
                }
                if n == "[Content_Types].xml" || e == "rels" {
                    let gone: BTreeSet<String> = dropped.clone();
                    let gone2 = gone.clone();
                    p.drop_when = vec![
                        (
                            "Override",
                            "PartName",
                            Box::new(move |v: &str| gone.contains(v.trim_start_matches('/'))),
                        ),
                        (
                            "Relationship",
                            "Target",
                            Box::new(move |v: &str| gone2.contains(v.trim_start_matches('/'))),
                        ),
                    ];
                }
                return Ok(Action::Xml(p));
            }
            if is_media(n) {
                return Ok(Action::Recurse);
            }
            if is_font(n) {
                return Ok(Action::Keep);
            }
            blocked("unknown part")
        }
        Kind::Odf => {
            match n {
                "mimetype" => return Ok(Action::Keep),
                "meta.xml" => {
                    return Ok(Action::Replace(
                        ODF_META.into(),
                        "meta.xml (author, dates, statistics, generator)",
                    ));
                }
                "settings.xml" => {
                    return Ok(Action::Replace(
                        ODF_SETTINGS.into(),
                        "settings.xml (printer, view settings)",
                    ));
                }
                "layout-cache" => return Ok(Action::Drop("layout cache")),
                _ => {}
            }
            if n.starts_with("Thumbnails/") {
                return Ok(Action::Drop("thumbnail"));
            }
            if n == "META-INF/manifest.xml" {
                let gone = dropped.clone();
                return Ok(Action::Xml(Policy {
                    drop_when: vec![(
                        "file-entry",
                        "full-path",
                        Box::new(move |v: &str| gone.contains(v) || v == "Thumbnails/"),
                    )],
                    ..Policy::default()
                }));
            }
            if n.starts_with("Object ") || n.starts_with("ObjectReplacements/") {
                return blocked("embedded object (not cleaned)");
            }
            if n.starts_with("Basic/") || n.starts_with("Scripts/") {
                return blocked("macros (not cleaned)");
            }
            if e == "xml" || e == "rdf" {
                return Ok(Action::Xml(Policy {
                    blank_text: &[
                        "dc:creator",
                        "dc:date",
                        "meta:creator-initials",
                        "meta:date",
                    ],
                    ..Policy::default()
                }));
            }
            if n.starts_with("Configurations2/") {
                return Ok(Action::Keep);
            }
            if is_media(n) {
                return Ok(Action::Recurse);
            }
            blocked("unknown part")
        }
        // HWPX (OWPML, KS X 6101): the Hancom word processor's zip format.
        Kind::Hwpx => {
            match n {
                "mimetype"
                | "META-INF/container.xml"
                | "META-INF/container.rdf"
                | "Preview/PrvText.txt" => return Ok(Action::Keep),
                "settings.xml" => {
                    return Ok(Action::Replace(
                        HWPX_SETTINGS.into(),
                        "settings.xml (caret position, printer)",
                    ));
                }
                "Preview/PrvImage.png" => return Ok(Action::Drop("preview image")),
                _ => {}
            }
            if n.starts_with("Scripts/") {
                return blocked("scripts (macros) are not cleaned");
            }
            if n.starts_with("BinData/") && n.to_ascii_lowercase().ends_with(".ole") {
                return blocked("embedded OLE object (not cleaned)");
            }
            if e == "xml" || e == "hpf" || e == "rdf" {
                let gone = dropped.clone();
                return Ok(Action::Xml(Policy {
                    // content.hpf: title, creator, subject, description, last saved by,
                    // dates, keywords.
                    blank_text: &["opf:title", "opf:meta"],
                    // header.xml: tracked-change authors and dates, a linked document's
                    // path; version.xml: the application's build and operating system.
                    drop_attrs: &["date"],
                    blank_attr_on: &[
                        ("trackChangeAuthor", "name"),
                        ("linkinfo", "path"),
                        ("HCFVersion", "appVersion"),
                    ],
                    drop_when: vec![("item", "href", Box::new(move |v: &str| gone.contains(v)))],
                    ..Policy::default()
                }));
            }
            if n.starts_with("BinData/") && is_media(n) {
                return Ok(Action::Recurse);
            }
            blocked("unknown part")
        }
        Kind::Epub => {
            match n {
                "mimetype"
                | "META-INF/container.xml"
                | "META-INF/encryption.xml"
                | "META-INF/manifest.xml"
                | "META-INF/com.apple.ibooks.display-options.xml" => {
                    return Ok(Action::Keep);
                }
                "META-INF/calibre_bookmarks.txt" => return Ok(Action::Drop("calibre bookmarks")),
                _ => {}
            }
            if n.starts_with("META-INF/") && !m.dir {
                return blocked("unknown META-INF part (signatures, rights?) not cleaned");
            }
            match e.as_str() {
                "opf" => Ok(Action::Xml(Policy {
                    drop_elems: &["contributor", "date"],
                    drop_when: vec![
                        (
                            "meta",
                            "name",
                            Box::new(|v: &str| {
                                v.starts_with("calibre:")
                                    || v == "generator"
                                    || v.starts_with("Sigil")
                            }),
                        ),
                        (
                            "meta",
                            "property",
                            Box::new(|v: &str| {
                                v.starts_with("calibre:") || v.starts_with("ibooks:")
                            }),
                        ),
                    ],
                    set_text: Some(("meta", "property", "dcterms:modified", EPUB_MODIFIED)),
                    ..Policy::default()
                })),
                "ncx" => Ok(Action::Xml(Policy {
                    drop_when: vec![("meta", "name", Box::new(|v: &str| v == "dtb:generator"))],
                    ..Policy::default()
                })),
                "xhtml" | "html" | "htm" => Ok(Action::Html),
                "css" | "smil" | "js" | "xpgt" => Ok(Action::Keep),
                _ if is_font(n) => Ok(Action::Keep),
                _ if is_media(n) => Ok(Action::Recurse),
                _ => blocked("unknown part"),
            }
        }
    }
}

fn local(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, l)| l)
}

/// Scrubs one XML part. Returns the new bytes and the number of edits.
fn scrub_xml(name: &str, data: &[u8], p: &Policy) -> Result<(Vec<u8>, usize), Blocked> {
    if data.starts_with(&[0xFF, 0xFE]) || data.starts_with(&[0xFE, 0xFF]) {
        return Err(block!(CannotClean, "{name}: UTF-16 XML is not supported"));
    }
    let text =
        std::str::from_utf8(data).map_err(|_| block!(Damaged, "{name}: XML is not UTF-8"))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut out = Vec::with_capacity(data.len());
    let mut edits = 0usize;
    let mut last = 0usize;
    // Skipping: depth inside a dropped/blanked element; Some(true) = write its end tag.
    let mut skip_depth = 0usize;
    let mut write_end_after_skip = false;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| block!(Damaged, "{name}: bad XML: {e}"))?;
        let pos = usize::try_from(reader.buffer_position())
            .map_err(|_| block!(Damaged, "{name}: position"))?;
        let span = data
            .get(last..pos)
            .ok_or_else(|| block!(Damaged, "{name}: XML position out of range"))?;
        last = pos;
        if skip_depth > 0 {
            match ev {
                Event::Start(_) => skip_depth += 1,
                Event::End(_) => {
                    skip_depth -= 1;
                    if skip_depth == 0 && write_end_after_skip {
                        out.extend_from_slice(span);
                    }
                }
                Event::Eof => return Err(block!(Damaged, "{name}: XML ends inside an element")),
                _ => {}
            }
            continue;
        }
        match ev {
            Event::Eof => break,
            Event::Comment(_) => edits += 1,
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_start = matches!(ev, Event::Start(_));
                let qname = e.name();
                let qname: &str = qname.as_ref();
                let lname = local(qname);
                let mut attrs: Vec<(String, String)> = Vec::new();
                let mut changed = false;
                let mut drop_elem = p.drop_elems.contains(&lname);
                let mut set_text = None;
                for a in e.attributes() {
                    let a = a.map_err(|err| block!(Damaged, "{name}: bad XML attribute: {err}"))?;
                    let key: &str = a.key.as_ref();
                    let lkey = local(key);
                    let value: String = a.value.to_string();
                    let unescaped = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(|v| v.to_string())
                        .unwrap_or_else(|_| value.clone());
                    for (el, at, pred) in &p.drop_when {
                        if *el == lname && *at == lkey && pred(&unescaped) {
                            drop_elem = true;
                        }
                    }
                    if let Some((el, at, v, t)) = p.set_text
                        && el == qname
                        && at == key
                        && v == unescaped
                    {
                        set_text = Some(t);
                    }
                    if key.starts_with("xmlns") {
                        attrs.push((key.to_string(), value));
                    } else if p.drop_attr_prefixes.iter().any(|pre| lkey.starts_with(pre))
                        || p.drop_attrs.contains(&lkey)
                    {
                        changed = true;
                    } else if (p.blank_attrs.contains(&lkey)
                        || p.blank_attr_on.contains(&(lname, lkey)))
                        && !value.is_empty()
                    {
                        changed = true;
                        attrs.push((key.to_string(), String::new()));
                    } else if p.file_targets
                        && lkey == "Target"
                        && value.to_ascii_lowercase().starts_with("file:")
                    {
                        changed = true;
                        let base = value.rsplit(['/', '\\']).next().unwrap_or("").to_string();
                        attrs.push((key.to_string(), base));
                    } else {
                        attrs.push((key.to_string(), value));
                    }
                }
                if drop_elem {
                    edits += 1;
                    if is_start {
                        skip_depth = 1;
                        write_end_after_skip = false;
                    }
                    continue;
                }
                let blank = p.blank_text.contains(&qname) && is_start;
                if changed {
                    edits += 1;
                    out.push(b'<');
                    out.extend_from_slice(qname.as_bytes());
                    for (k, v) in &attrs {
                        out.push(b' ');
                        out.extend_from_slice(k.as_bytes());
                        out.extend_from_slice(b"=\"");
                        out.extend_from_slice(v.replace('"', "&quot;").as_bytes());
                        out.push(b'"');
                    }
                    out.extend_from_slice(if is_start { b">" } else { b"/>" });
                } else {
                    out.extend_from_slice(span);
                }
                if let Some(t) = set_text {
                    if is_start {
                        out.extend_from_slice(t.as_bytes());
                        skip_depth = 1;
                        write_end_after_skip = true;
                        edits += 1;
                    }
                } else if blank {
                    skip_depth = 1;
                    write_end_after_skip = true;
                    // Count only if there was content.
                    edits += 1;
                }
            }
            _ => out.extend_from_slice(span),
        }
    }
    out.extend_from_slice(data.get(last..).unwrap_or_default());
    if edits == 0 {
        return Ok((data.to_vec(), 0));
    }
    Ok((out, edits))
}

/// Cleans a zip-based document.
pub(crate) fn clean(
    src: &dyn Source,
    cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let (members, had_comment) = read_members(src, cx)?;
    let kind = kind_of(&members)?;
    if had_comment {
        removed.push("zip comment".into());
    }
    if matches!(kind, Kind::Epub | Kind::Odf | Kind::Hwpx)
        && members.first().map(|m| m.name.as_str()) != Some("mimetype")
    {
        removed.push("mimetype moved first".into());
    }
    // First pass: which members are dropped (their references go too).
    let mut dropped = BTreeSet::new();
    for m in &members {
        if let Ok(Action::Drop(_)) = decide(kind, m, &BTreeSet::new()) {
            dropped.insert(m.name.clone());
        }
    }
    let mut outputs: Vec<(String, bool, Vec<u8>)> = Vec::with_capacity(members.len());
    let mut xml_edits: std::collections::BTreeMap<String, usize> = Default::default();
    for m in &members {
        if m.dir {
            outputs.push((m.name.clone(), true, Vec::new()));
            continue;
        }
        let data = match decide(kind, m, &dropped)? {
            Action::Keep => m.data.clone(),
            Action::Drop(what) => {
                removed.push(format!("{} ({what})", m.name));
                continue;
            }
            Action::Replace(new, what) => {
                if new != m.data {
                    removed.push(format!("{}: {what}", m.name));
                }
                new
            }
            Action::Xml(policy) => {
                let (new, edits) = scrub_xml(&m.name, &m.data, &policy)?;
                if edits > 0 {
                    xml_edits.insert(m.name.clone(), edits);
                }
                new
            }
            Action::Html => {
                let mut sub = Vec::new();
                let new = super::text::clean_html(&m.data, cx, &mut sub)
                    .map_err(|b| block!(inherit b, "member {}: {b}", m.name))?;
                removed.extend(sub.into_iter().map(|r| format!("{}: {r}", m.name)));
                new
            }
            Action::Recurse => {
                let mut sub = Vec::new();
                let (_, r) = cx.clean_member(&m.name, &m.data, &mut sub);
                let new = r.map_err(|b| block!(inherit b, "member {}: {b}", m.name))?;
                if new != m.data {
                    removed.extend(sub.into_iter().map(|r| format!("{}: {r}", m.name)));
                }
                new
            }
        };
        cx.check_forbidden(&data, &format!("member {}", m.name))?;
        cx.check_forbidden(m.name.as_bytes(), "a member name")?;
        outputs.push((m.name.clone(), false, data));
    }
    for (name, n) in xml_edits {
        removed.push(format!("{name}: {n} metadata edit(s)"));
    }
    if let Some(i) = outputs.iter().position(|(n, _, _)| n == "mimetype") {
        let m = outputs.remove(i);
        outputs.insert(0, m);
    }
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(
        usize::try_from(src.len()).unwrap_or(0),
    )));
    let base = zip::write::SimpleFileOptions::default()
        .last_modified_time(zip::DateTime::default())
        .large_file(false);
    for (name, dir, data) in &outputs {
        if *dir {
            w.add_directory(name.as_str(), base)
                .map_err(|e| block!(CannotClean, "zip: cannot write {name}: {e}"))?;
            continue;
        }
        let opts = if name == "mimetype" {
            base.compression_method(zip::CompressionMethod::Stored)
        } else {
            base.compression_method(zip::CompressionMethod::Deflated)
                .compression_level(Some(6))
        };
        w.start_file(name.as_str(), opts)
            .map_err(|e| block!(CannotClean, "zip: cannot write {name}: {e}"))?;
        w.write_all(data)
            .map_err(|e| block!(CannotClean, "zip: cannot write {name}: {e}"))?;
    }
    let out = w
        .finish()
        .map_err(|e| block!(CannotClean, "zip: cannot finish: {e}"))?
        .into_inner();
    Plan::from_new_bytes(src, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    /// The cleaner on bytes, materialised (shadows the plan-returning one).
    fn clean(d: &[u8], cx: &Ctx, removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
        super::clean(&d, cx, removed)?.materialize(&d, u64::MAX)
    }

    fn make_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (n, d) in members {
            w.start_file(*n, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(d).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn scrubber_removes_rsids_authors_and_keeps_text() {
        let xml = br#"<?xml version="1.0"?><!-- made by Kim --><w:document xmlns:w="x"><w:body><w:p w:rsidR="00AB12" w:rsidRDefault="00CD"><w:ins w:id="1" w:author="Kim Chol" w:date="2024-01-01T00:00:00Z"><w:r><w:t xml:space="preserve">Hello &amp; world</w:t></w:r></w:ins></w:p></w:body><w:settings><w:rsids><w:rsidRoot w:val="00AB12"/></w:rsids></w:settings></w:document>"#;
        let (out, edits) = scrub_xml("word/document.xml", xml, &ooxml_policy()).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(!s.contains("Kim"), "{s}");
        assert!(!s.contains("00AB12"), "{s}");
        assert!(!s.contains("2024"), "{s}");
        assert!(
            s.contains("<w:t xml:space=\"preserve\">Hello &amp; world</w:t>"),
            "{s}"
        );
        assert!(edits >= 4);
        let (same, n) = scrub_xml("a.xml", b"<a><b x='1'>t</b></a>", &ooxml_policy()).unwrap();
        assert_eq!(n, 0);
        assert_eq!(same, b"<a><b x='1'>t</b></a>");
        assert!(scrub_xml("a.xml", b"<a><b></a>", &ooxml_policy()).is_err());
    }

    #[test]
    fn docx_core_replaced_unknown_blocked_bomb_blocked() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let core = b"<cp:coreProperties><dc:creator>Kim Chol</dc:creator></cp:coreProperties>";
        let z = make_zip(&[
            (
                "[Content_Types].xml",
                b"<Types><Override PartName=\"/docProps/thumbnail.jpeg\"/></Types>",
            ),
            ("docProps/core.xml", core),
            ("docProps/thumbnail.jpeg", b"\xFF\xD8"),
            (
                "word/document.xml",
                b"<w:document><w:t>Hi</w:t></w:document>",
            ),
        ]);
        let mut removed = vec![];
        let out = clean(&z, &cx, &mut removed).unwrap();
        let (members, _) = read_members(&out, &cx).unwrap();
        let names: Vec<_> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "docProps/core.xml",
                "word/document.xml"
            ]
        );
        assert!(
            !members
                .iter()
                .any(|m| m.data.windows(3).any(|w| w == b"Kim"))
        );
        assert!(!members[0].data.windows(9).any(|w| w == b"thumbnail"));
        // Deterministic.
        assert_eq!(clean(&z, &cx, &mut vec![]).unwrap(), out);

        let unknown = make_zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<a/>"),
            ("secret.dat", b"x"),
        ]);
        assert!(
            clean(&unknown, &cx, &mut vec![])
                .unwrap_err()
                .reason
                .contains("unknown part")
        );

        let big = vec![0u8; 8 << 20];
        let bomb = make_zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", &big),
        ]);
        assert!(
            clean(&bomb, &cx, &mut vec![])
                .unwrap_err()
                .reason
                .contains("bomb")
        );
        for cut in [0, 10, bomb.len() / 2, bomb.len() - 5] {
            assert!(clean(&bomb[..cut], &cx, &mut vec![]).is_err());
        }
    }

    #[test]
    fn xlsx_and_pptx_identities_removed() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let workbook = br#"<workbook xmlns:x15ac="a" xmlns:xr="b"><x15ac:absPath url="C:\Users\kimchol\Desktop\"/><xr:revisionPtr documentId="13_ncr:1_{ABC}"/><sheets/></workbook>"#;
        let comments =
            b"<comments><authors><author>Kim Chol</author></authors><commentList/></comments>";
        let persons = br#"<personList><person displayName="Kim Chol" id="{1}" userId="kim@example.org" providerId="AD"/></personList>"#;
        let x = make_zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", workbook),
            ("xl/comments1.xml", comments),
            ("xl/persons/person.xml", persons),
        ]);
        let out = clean(&x, &cx, &mut vec![]).unwrap();
        let (members, _) = read_members(&out, &cx).unwrap();
        for m in &members {
            let s = String::from_utf8_lossy(&m.data);
            assert!(
                !s.contains("kim") && !s.contains("Kim") && !s.contains("ABC"),
                "{}: {s}",
                m.name
            );
        }
        let p = make_zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("ppt/commentAuthors.xml", br#"<p:cmAuthorLst xmlns:p="p"><p:cmAuthor id="1" name="Kim Chol" initials="KC" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>"#),
            ("ppt/printerSettings/printerSettings1.bin", b"HP LaserJet in Kim's office"),
        ]);
        assert!(
            clean(&p, &cx, &mut vec![])
                .unwrap_err()
                .reason
                .contains("printer settings")
        );
        let p = make_zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("ppt/commentAuthors.xml", br#"<p:cmAuthorLst xmlns:p="p"><p:cmAuthor id="1" name="Kim Chol" initials="KC" lastIdx="1" clrIdx="0"/></p:cmAuthorLst>"#),
        ]);
        let out = clean(&p, &cx, &mut vec![]).unwrap();
        let (members, _) = read_members(&out, &cx).unwrap();
        assert!(
            !members
                .iter()
                .any(|m| m.data.windows(3).any(|w| w == b"Kim" || w == b"KC\""))
        );
    }

    #[test]
    fn hwpx_loses_metadata_and_track_change_authors() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        // The shapes Hangul and python-hwpx write.
        let hpf = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes" ?><opf:package xmlns:opf="http://www.idpf.org/2007/opf/"><opf:metadata><opf:title>Kim report</opf:title><opf:language>ko</opf:language><opf:meta name="creator" content="text">Kim Chol</opf:meta><opf:meta name="lastsaveby" content="text">Kim Chol</opf:meta><opf:meta name="CreatedDate" content="text">2025-09-17T04:32:50Z</opf:meta></opf:metadata><opf:manifest><opf:item id="header" href="Contents/header.xml" media-type="application/xml"/><opf:item id="PrvImage" href="Preview/PrvImage.png" media-type="image/png"/></opf:manifest></opf:package>"#;
        let header = r#"<hh:head xmlns:hh="http://www.hancom.co.kr/hwpml/2011/head"><hh:refList><hh:styles><hh:style id="0" name="바탕글"/></hh:styles><hh:trackChanges itemCnt="1"><hh:trackChange type="Insert" date="2024-01-02T03:04:05Z" authorID="1" hide="0" id="1"/></hh:trackChanges><hh:trackChangeAuthors itemCnt="1"><hh:trackChangeAuthor name="Kim Chol" mark="1" id="1"/></hh:trackChangeAuthors></hh:refList></hh:head>"#;
        let version = r#"<hv:HCFVersion xmlns:hv="http://www.hancom.co.kr/hwpml/2011/version" tagetApplication="WORDPROCESSOR" major="5" minor="1" application="Hancom Office Hangul" appVersion="13, 0, 0, 1408 WIN32LEWindows_10"/>"#;
        let section = r#"<hs:sec xmlns:hs="s" xmlns:hp="p"><hp:p><hp:run><hp:t>본문 text stays</hp:t></hp:run></hp:p></hs:sec>"#;
        let z = make_zip(&[
            ("mimetype", b"application/hwp+zip"),
            ("version.xml", version.as_bytes()),
            ("Contents/header.xml", header.as_bytes()),
            ("Contents/section0.xml", section.as_bytes()),
            ("Contents/content.hpf", hpf.as_bytes()),
            ("settings.xml", b"<ha:HWPApplicationSetting xmlns:ha=\"a\"><ha:CaretPosition pos=\"16\"/></ha:HWPApplicationSetting>"),
            ("Preview/PrvImage.png", b"\x89PNG"),
            ("Preview/PrvText.txt", "본문".as_bytes()),
        ]);
        let mut removed = vec![];
        let out = clean(&z, &cx, &mut removed).unwrap();
        let (members, _) = read_members(&out, &cx).unwrap();
        assert_eq!(members[0].name, "mimetype");
        assert!(!members.iter().any(|m| m.name == "Preview/PrvImage.png"));
        for m in &members {
            let s = String::from_utf8_lossy(&m.data);
            for gone in ["Kim", "2025-09", "2024-01", "Windows", "PrvImage"] {
                assert!(!s.contains(gone), "{}: {gone} in {s}", m.name);
            }
        }
        let text = |n: &str| {
            String::from_utf8(members.iter().find(|m| m.name == n).unwrap().data.clone()).unwrap()
        };
        assert!(text("Contents/section0.xml").contains("본문 text stays"));
        assert!(text("Contents/header.xml").contains("name=\"바탕글\""));
        assert!(text("Contents/content.hpf").contains("<opf:language>ko</opf:language>"));
        assert_eq!(
            clean(&out, &cx, &mut vec![]).unwrap(),
            out,
            "not idempotent"
        );
        let scripted = make_zip(&[
            ("mimetype", b"application/hwp+zip"),
            ("Scripts/sourceScripts", b"x"),
        ]);
        assert!(
            clean(&scripted, &cx, &mut vec![])
                .unwrap_err()
                .reason
                .contains("scripts")
        );
    }

    #[test]
    fn epub_keeps_identifier_and_mimetype_first() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let opf = br#"<package xmlns="http://www.idpf.org/2007/opf" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">urn:isbn:123</dc:identifier><dc:title>T</dc:title><dc:language>ko</dc:language><dc:contributor>Kim Editor</dc:contributor><meta property="dcterms:modified">2024-05-05T10:00:00Z</meta><meta name="calibre:timestamp" content="2024"/></metadata></package>"#;
        let z = make_zip(&[("META-INF/container.xml", b"<container/>"), ("mimetype", b"application/epub+zip"), ("OEBPS/content.opf", opf), ("OEBPS/c1.xhtml", b"<html><head><meta name=\"generator\" content=\"Kim\"/></head><body><p>text</p></body></html>")]);
        let out = clean(&z, &cx, &mut vec![]).unwrap();
        let (members, _) = read_members(&out, &cx).unwrap();
        assert_eq!(members[0].name, "mimetype");
        let opf_out = String::from_utf8(
            members
                .iter()
                .find(|m| m.name.ends_with(".opf"))
                .unwrap()
                .data
                .clone(),
        )
        .unwrap();
        assert!(
            opf_out.contains("urn:isbn:123")
                && opf_out.contains("<dc:title>T</dc:title>")
                && opf_out.contains("<dc:language>ko</dc:language>")
        );
        assert!(opf_out.contains(EPUB_MODIFIED), "{opf_out}");
        assert!(
            !opf_out.contains("Kim") && !opf_out.contains("2024"),
            "{opf_out}"
        );
        assert!(
            !members
                .iter()
                .any(|m| m.data.windows(3).any(|w| w == b"Kim"))
        );
    }
}
