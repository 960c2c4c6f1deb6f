//! Plain text and HTML.
//!
//! Plain text has no metadata container: it is checked to be UTF-8 (or UTF-16 with a byte
//! order mark) and passed on unchanged (the forbidden-strings check still applies).
//! HTML is edited byte-wise (so any ASCII-compatible encoding works, EUC-KR and KPS 9566
//! included): `<meta>` tags other than charset, viewport, description, keywords, robots and a few
//! rendering `http-equiv`s are removed (`Generator`, `ProgId`, `Originator`, `author`...), and
//! so are comments (`<!-- saved from url=... -->`, editor notes). Conditional comments that
//! only Office or a VML renderer reads are removed whole (Word, Excel and PowerPoint keep the
//! document properties there); other conditional comments are kept without their XML data
//! islands, and block the file if an Office element is still inside (see [`clean_html`]).
//! `<script>` and `<style>` bodies are not touched. Every other byte, the visible text
//! included, is unchanged.

use super::Ctx;
use crate::error::{Blocked, block};
use crate::plan::Plan;
use crate::source::{Source, read_upto};

/// Checks and passes on plain text, reading it in chunks (any size).
pub(crate) fn clean_text(
    src: &dyn Source,
    _cx: &Ctx,
    _removed: &mut Vec<String>,
) -> Result<Plan, Blocked> {
    let len = src.len();
    let bom = read_upto(src, 0, 2)?;
    if bom == [0xFF, 0xFE] || bom == [0xFE, 0xFF] {
        if !len.is_multiple_of(2) {
            return Err(block!(Damaged, "text: UTF-16 with an odd number of bytes"));
        }
        return Ok(Plan::unchanged(src));
    }
    const STEP: usize = 1 << 20;
    let mut carry: Vec<u8> = Vec::new();
    let mut pos = 0u64;
    while pos < len {
        let mut chunk = std::mem::take(&mut carry);
        chunk.extend_from_slice(&read_upto(src, pos, STEP)?);
        pos = (pos + STEP as u64).min(len);
        if let Err(e) = std::str::from_utf8(&chunk) {
            // An incomplete character at the end of a chunk continues in the next one.
            if e.error_len().is_some() || pos == len {
                return Err(block!(
                    Damaged,
                    "text: not valid UTF-8 (convert it, or name it for what it is)"
                ));
            }
            carry = chunk.split_off(e.valid_up_to());
        }
    }
    Ok(Plan::unchanged(src))
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let rest = hay.get(from..)?;
    rest.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

/// Value of attribute `name` in a tag's bytes (lowercased).
fn attr(tag: &[u8], name: &[u8]) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = find_ci(&lower, from, name) {
        from = p + 1;
        let before_ok = p > 0 && lower.get(p - 1).is_some_and(|b| b.is_ascii_whitespace());
        let mut i = p + name.len();
        while lower.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if !before_ok || lower.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while lower.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let (start, end) = match lower.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let e = lower.get(i + 1..)?.iter().position(|&b| b == q)? + i + 1;
                (i + 1, e)
            }
            _ => {
                let e = lower
                    .get(i..)?
                    .iter()
                    .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
                    .map_or(lower.len(), |x| x + i);
                (i, e)
            }
        };
        return Some(
            String::from_utf8_lossy(lower.get(start..end)?)
                .trim()
                .to_string(),
        );
    }
    None
}

fn keep_meta(tag: &[u8]) -> bool {
    if attr(tag, b"charset").is_some() {
        return true;
    }
    if let Some(h) = attr(tag, b"http-equiv") {
        return matches!(
            h.as_str(),
            "content-type"
                | "content-language"
                | "x-ua-compatible"
                | "refresh"
                | "content-security-policy"
                | "default-style"
        );
    }
    let name = attr(tag, b"name")
        .or_else(|| attr(tag, b"property"))
        .or_else(|| attr(tag, b"itemprop"));
    matches!(
        name.as_deref(),
        Some(
            "viewport"
                | "description"
                | "keywords"
                | "robots"
                | "color-scheme"
                | "theme-color"
                | "referrer"
        )
    )
}

/// Namespace prefixes Office writes into HTML (Office, Word, Excel, PowerPoint, VML, Office
/// Math, data types, spreadsheet, smart tags). A page adds any prefix it declares with a
/// Microsoft namespace (`xmlns:st1="urn:schemas-microsoft-com:office:smarttags"`).
const OFFICE_PREFIXES: &[&str] = &["o", "w", "v", "x", "m", "p", "dt", "ss", "st1"];

/// Local names of the XML data islands in which Office keeps document metadata and settings
/// (removed wherever they appear, with everything inside).
const ISLAND_ROOTS: &[&str] = &[
    "documentproperties",
    "customdocumentproperties",
    "officedocumentsettings",
    "worddocument",
    "excelworkbook",
];

/// The prefixes of Office namespaces in this page: the usual ones plus every `xmlns:p`
/// whose value names Microsoft.
fn office_prefixes(d: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = OFFICE_PREFIXES.iter().map(|p| p.to_string()).collect();
    let mut from = 0;
    while let Some(p) = find_ci(d, from, b"xmlns:") {
        from = p + 6;
        let rest = d.get(from..).unwrap_or_default();
        let name_len = rest
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
            .unwrap_or(rest.len());
        let value_end = (from + name_len + 200).min(d.len());
        let value = d.get(from + name_len..value_end).unwrap_or_default();
        let value = value.split(|b| *b == b'>').next().unwrap_or_default();
        if name_len > 0 && find_ci(value, 0, b"microsoft").is_some() {
            let name = String::from_utf8_lossy(rest.get(..name_len).unwrap_or_default())
                .to_ascii_lowercase();
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// The first element of an Office namespace in `d` (`<o:Author>`, `</w:View>`), if any.
fn office_element(d: &[u8], prefixes: &[String]) -> Option<String> {
    let mut i = 0;
    while let Some(p) = d.get(i..).and_then(|r| r.iter().position(|&b| b == b'<')) {
        let at = i + p + 1;
        i = at;
        let start = if d.get(at) == Some(&b'/') { at + 1 } else { at };
        let rest = d.get(start..).unwrap_or_default();
        let Some(colon) = rest.iter().take(16).position(|&b| b == b':') else {
            continue;
        };
        let prefix = rest.get(..colon).unwrap_or_default();
        if prefix.is_empty() || !prefix.iter().all(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        let prefix = String::from_utf8_lossy(prefix).to_ascii_lowercase();
        if prefixes.contains(&prefix) && rest.get(colon + 1).is_some_and(u8::is_ascii_alphabetic) {
            let name: String = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b':' || **b == b'_')
                .map(|&b| b as char)
                .collect();
            return Some(name);
        }
    }
    None
}

/// The tag name of the tag starting at `d[0] == b'<'`, lowercased (`xml`, `o:documentproperties`).
fn tag_name(d: &[u8]) -> String {
    d.get(1..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b':' || **b == b'_' || **b == b'-')
        .map(|b| b.to_ascii_lowercase() as char)
        .collect()
}

/// Whether the tag starting at `d[0]` opens an XML data island (`<xml>`, or an Office
/// metadata root such as `<o:DocumentProperties>`), and its name.
fn island_at(d: &[u8]) -> Option<String> {
    let name = tag_name(d);
    let local = name.rsplit(':').next().unwrap_or_default();
    (name == "xml" || (name.contains(':') && ISLAND_ROOTS.contains(&local))).then_some(name)
}

/// Where the island `name` opened at `d[at]` ends (after its closing tag), or `None` when it
/// is never closed. A self-closed root (`<o:DocumentProperties/>`) ends with its tag.
fn island_end(d: &[u8], at: usize, name: &str) -> Option<usize> {
    let gt = d.get(at..)?.iter().position(|&b| b == b'>')? + at;
    if gt > at && d.get(gt - 1) == Some(&b'/') {
        return Some(gt + 1);
    }
    let close = format!("</{name}");
    let c = find_ci(d, gt, close.as_bytes())?;
    Some(d.get(c..)?.iter().position(|&b| b == b'>')? + c + 1)
}

/// `d` without its XML data islands, and how many there were. `None` when one is not closed.
fn strip_islands(d: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::with_capacity(d.len());
    let (mut i, mut n) = (0, 0);
    while let Some(p) = d.get(i..).and_then(|r| r.iter().position(|&b| b == b'<')) {
        let lt = i + p;
        out.extend_from_slice(d.get(i..lt).unwrap_or_default());
        match island_at(d.get(lt..).unwrap_or_default()) {
            Some(name) => {
                i = island_end(d, lt, &name)?;
                n += 1;
            }
            None => {
                out.push(b'<');
                i = lt + 1;
            }
        }
    }
    out.extend_from_slice(d.get(i..).unwrap_or_default());
    Some((out, n))
}

/// Whether a conditional comment's condition (`gte mso 9`, `!mso`, `gte vml 1`) can only be
/// true in Office or in a VML renderer: a conjunction with a term that requires either.
fn office_only(condition: &[u8]) -> bool {
    let c = String::from_utf8_lossy(condition).to_ascii_lowercase();
    if c.contains('|') {
        return false;
    }
    c.split('&').any(|term| {
        let t = term.trim().trim_start_matches('(').trim();
        !t.starts_with('!') && t.split_whitespace().any(|w| w == "mso" || w == "vml")
    })
}

/// What to do with one `<!--...-->` comment.
enum CommentAction {
    /// Keep these bytes (the comment as it is, or rebuilt without its data islands).
    Keep(Vec<u8>),
    /// Remove it (a plain comment, or one only Office reads).
    Drop { office: bool },
}

/// Decides about the comment `c` (from `<!--` to `-->` included) at byte `at`.
fn conditional_comment(
    c: &[u8],
    at: usize,
    prefixes: &[String],
    islands: &mut usize,
) -> Result<CommentAction, Blocked> {
    // `<!--<![endif]-->` and the opener of a downlevel-revealed block `<!--[if !mso]><!-->`.
    if c.starts_with(b"<!--<![endif]") {
        return Ok(CommentAction::Keep(c.to_vec()));
    }
    if !c.starts_with(b"<!--[if") {
        return Ok(CommentAction::Drop { office: false });
    }
    let Some(close) = c.iter().position(|&b| b == b']') else {
        return Err(block!(
            Damaged,
            "HTML: malformed conditional comment at byte {at}"
        ));
    };
    let condition = c.get(7..close).unwrap_or_default();
    if office_only(condition) {
        return Ok(CommentAction::Drop { office: true });
    }
    let Some((kept, n)) = strip_islands(c) else {
        return Err(block!(
            Damaged,
            "HTML: an XML data island in the conditional comment at byte {at} is not closed"
        ));
    };
    *islands += n;
    if let Some(el) = office_element(&kept, prefixes) {
        return Err(block!(
            CannotClean,
            "HTML: the conditional comment at byte {at} holds the Office element <{el}> (not cleaned)"
        ));
    }
    Ok(CommentAction::Keep(kept))
}

/// The bytes of tag `t` without the attributes named in `drop` (lowercase), or `None` when it
/// has none of them.
fn without_attrs(t: &[u8], drop: &[&str]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(t.len());
    let mut i = 1 + tag_name(t).len();
    out.extend_from_slice(t.get(..i)?);
    let mut changed = false;
    loop {
        let ws_start = i;
        while t.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let name_start = i;
        while t
            .get(i)
            .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/'))
        {
            i += 1;
        }
        if i == name_start {
            out.extend_from_slice(t.get(ws_start..)?);
            break;
        }
        let name = String::from_utf8_lossy(t.get(name_start..i)?).to_ascii_lowercase();
        let mut j = i;
        while t.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if t.get(j) == Some(&b'=') {
            j += 1;
            while t.get(j).is_some_and(u8::is_ascii_whitespace) {
                j += 1;
            }
            match t.get(j) {
                Some(&q @ (b'"' | b'\'')) => {
                    j += 1 + t.get(j + 1..)?.iter().position(|&b| b == q)? + 1;
                }
                _ => {
                    while t
                        .get(j)
                        .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
                    {
                        j += 1;
                    }
                }
            }
            i = j;
        }
        if drop.contains(&name.as_str()) {
            changed = true;
        } else {
            out.extend_from_slice(t.get(ws_start..i)?);
        }
    }
    changed.then_some(out)
}

/// Cleans HTML.
///
/// Office-saved pages (Word, Excel, PowerPoint "Web Page") keep their document properties
/// (author, last author, company, dates, template), custom properties and settings in XML
/// data islands inside conditional comments only Office reads (`<!--[if gte mso 9]><xml>
/// <o:DocumentProperties>...`). Such comments are removed whole (a browser never shows
/// them); other conditional comments lose their data islands, and one still holding an
/// element of an Office namespace blocks the file. Data islands outside comments are removed
/// too; tracked changes lose their author (`cite`) and time (`datetime`); pages with Word
/// comments are blocked, since the comment initials are part of the page text (`[KS1]`).
pub(crate) fn clean_html(
    d: &[u8],
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Vec<u8>, Blocked> {
    if d.starts_with(&[0xFF, 0xFE]) || d.starts_with(&[0xFE, 0xFF]) {
        return Err(block!(CannotClean, "HTML: UTF-16 pages are not supported"));
    }
    let prefixes = office_prefixes(d);
    let mut out = Vec::with_capacity(d.len());
    let mut i = 0;
    let (mut metas, mut comments, mut office_comments, mut islands, mut revisions) =
        (0usize, 0usize, 0usize, 0usize, 0usize);
    while i < d.len() {
        let Some(lt) = d
            .get(i..)
            .and_then(|r| r.iter().position(|&b| b == b'<'))
            .map(|p| p + i)
        else {
            out.extend_from_slice(d.get(i..).unwrap_or_default());
            break;
        };
        out.extend_from_slice(d.get(i..lt).unwrap_or_default());
        let rest = d.get(lt..).unwrap_or_default();
        if rest.starts_with(b"<!--") {
            let end = find_ci(d, lt + 4, b"-->")
                .ok_or_else(|| block!(Damaged, "HTML: unterminated comment at byte {lt}"))?
                + 3;
            let body = d.get(lt..end).unwrap_or_default();
            match conditional_comment(body, lt, &prefixes, &mut islands)? {
                CommentAction::Keep(bytes) => out.extend_from_slice(&bytes),
                CommentAction::Drop { office: true } => office_comments += 1,
                CommentAction::Drop { office: false } => comments += 1,
            }
            i = end;
            continue;
        }
        if let Some(name) = island_at(rest) {
            i = island_end(d, lt, &name).ok_or_else(|| {
                block!(
                    Damaged,
                    "HTML: the data island <{name}> at byte {lt} is not closed"
                )
            })?;
            islands += 1;
            continue;
        }
        let tag_name_is = |n: &[u8]| {
            rest.get(1..1 + n.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(n))
                && rest
                    .get(1 + n.len())
                    .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        };
        let Some(gt) = d
            .get(lt..)
            .and_then(|r| r.iter().position(|&b| b == b'>'))
            .map(|p| p + lt + 1)
        else {
            out.extend_from_slice(rest);
            break;
        };
        let tag = d.get(lt..gt).unwrap_or_default();
        if tag_name_is(b"meta") {
            if keep_meta(tag) {
                out.extend_from_slice(tag);
            } else {
                metas += 1;
            }
            i = gt;
            continue;
        }
        if find_ci(tag, 0, b"mso-comment-").is_some() || find_ci(tag, 0, b"msocomanchor").is_some()
        {
            return Err(block!(
                CannotClean,
                "HTML: Word comments at byte {lt} (their author and initials are part of the page; delete the comments before saving)"
            ));
        }
        if tag_name_is(b"ins") || tag_name_is(b"del") {
            if let Some(t) = without_attrs(tag, &["cite", "datetime"]) {
                out.extend_from_slice(&t);
                revisions += 1;
            } else {
                out.extend_from_slice(tag);
            }
            i = gt;
            continue;
        }
        for raw in [b"script".as_slice(), b"style"] {
            if tag_name_is(raw) {
                let mut close = b"</".to_vec();
                close.extend_from_slice(raw);
                let end = find_ci(d, gt, &close).unwrap_or(d.len());
                out.extend_from_slice(d.get(lt..end).unwrap_or_default());
                i = end;
                break;
            }
        }
        if i > lt {
            continue;
        }
        out.extend_from_slice(tag);
        i = gt;
    }
    if metas > 0 {
        removed.push(format!("{metas} <meta> tag(s)"));
    }
    if comments > 0 {
        removed.push(format!("{comments} comment(s)"));
    }
    if office_comments > 0 {
        removed.push(format!(
            "{office_comments} Office-only conditional comment(s) (document properties, settings, VML)"
        ));
    }
    if islands > 0 {
        removed.push(format!("{islands} XML data island(s)"));
    }
    if revisions > 0 {
        removed.push(format!("{revisions} tracked-change author(s) and time(s)"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn html_drops_generator_and_comments() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let h = b"<!-- saved from url=(0022)http://intra.example/ -->\n<html><head><meta charset=\"utf-8\"><META NAME=\"Generator\" CONTENT=\"Kim's Word 2016\"><meta name=author content=Kim><meta name=\"viewport\" content=\"width=device-width\"><script>if (a<b) {/* <!-- x --> */}</script></head><body><p>Hello <b>world</b></p><!--[if IE]>x<![endif]--></body></html>";
        let mut removed = vec![];
        let out = clean_html(h, &cx, &mut removed).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(!s.contains("Kim"), "{s}");
        assert!(!s.contains("saved from"));
        assert!(s.contains("<meta charset=\"utf-8\">"));
        assert!(s.contains("viewport"));
        assert!(s.contains("<p>Hello <b>world</b></p>"));
        assert!(s.contains("<!-- x -->"));
        assert!(s.contains("<!--[if IE]>"));
        assert_eq!(removed.len(), 2);
        assert!(clean_html(b"<p>a<!-- open", &cx, &mut vec![]).is_err());
    }

    /// The head of a page saved by Word 2010 ("Web Page"), as Word writes it.
    const WORD_PAGE: &str = r##"<html xmlns:v="urn:schemas-microsoft-com:vml"
xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word"
xmlns:m="http://schemas.microsoft.com/office/2004/12/omml"
xmlns:st1="urn:schemas-microsoft-com:office:smarttags"
xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv=Content-Type content="text/html; charset=utf-8">
<meta name=ProgId content=Word.Document>
<meta name=Generator content="Microsoft Word 14">
<meta name=Originator content="Microsoft Word 14">
<link rel=File-List href="report_files/filelist.xml">
<!--[if !mso]>
<style>
v\:* {behavior:url(#default#VML);}
o\:* {behavior:url(#default#VML);}
w\:* {behavior:url(#default#VML);}
.shape {behavior:url(#default#VML);}
</style>
<![endif]--><!--[if gte mso 9]><xml>
 <o:DocumentProperties>
  <o:Author>PlantedAuthor</o:Author>
  <o:LastAuthor>PlantedLastAuthor</o:LastAuthor>
  <o:Revision>2</o:Revision>
  <o:TotalTime>44</o:TotalTime>
  <o:Created>2014-07-01T23:31:00Z</o:Created>
  <o:LastSaved>2014-07-02T08:15:00Z</o:LastSaved>
  <o:Company>PlantedCompany</o:Company>
  <o:Version>14.00</o:Version>
 </o:DocumentProperties>
 <o:CustomDocumentProperties>
  <o:Department dt:dt="string">PlantedDepartment</o:Department>
 </o:CustomDocumentProperties>
 <o:OfficeDocumentSettings>
  <o:RelyOnVML/>
  <o:AllowPNG/>
 </o:OfficeDocumentSettings>
</xml><![endif]-->
<!--[if gte mso 9]><xml>
 <w:WordDocument>
  <w:View>Print</w:View>
  <w:AttachedTemplate HRef="C:\Users\PlantedUser\Templates\Memo.dotm"></w:AttachedTemplate>
 </w:WordDocument>
</xml><![endif]-->
<style>
<!--
p.MsoNormal {margin:0cm; font-family:"Calibri","sans-serif";}
-->
</style>
<!--[if gte mso 10]>
<style>
table.MsoNormalTable {mso-style-name:"Table Normal";}
</style>
<![endif]--><!--[if gte mso 9]><xml>
 <o:shapedefaults v:ext="edit" spidmax="1026"/>
</xml><![endif]-->
</head>
<body lang=KO style='tab-interval:40.0pt'>
<div class=WordSection1>
<p class=MsoNormal>Meeting on <st1:date Year="2024" Day="5" Month="6" w:st="on">Tuesday</st1:date><o:p></o:p></p>
<p class=MsoNormal><!--[if gte vml 1]><v:shape id="Picture_x0020_1" o:spid="_x0000_i1025"
 type="#_x0000_t75" style='width:100pt;height:50pt'><v:imagedata src="report_files/image001.png"
 o:title="PlantedPhotoTitle"/></v:shape><![endif]--><![if !vml]><img width=133 height=67
src="report_files/image002.jpg" v:shapes="Picture_x0020_1"><![endif]><o:p></o:p></p>
<p class=MsoNormal><span class=msoIns><ins cite="mailto:PlantedReviewer" datetime="2024-03-05T10:30">added words</ins></span><o:p></o:p></p>
</div>
</body>
</html>
"##;

    #[test]
    fn word_saved_page_loses_document_properties_inside_conditional_comments() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let mut removed = vec![];
        let out = clean_html(WORD_PAGE.as_bytes(), &cx, &mut removed).unwrap();
        let s = String::from_utf8(out).unwrap();
        for planted in [
            "Planted",
            "2014-07",
            "2024-03",
            "Microsoft Word",
            "Word.Document",
            "DocumentProperties",
            "WordDocument",
        ] {
            assert!(!s.contains(planted), "{planted} left in:\n{s}");
        }
        // What a browser shows or uses is unchanged.
        for kept in [
            "<meta http-equiv=Content-Type content=\"text/html; charset=utf-8\">",
            "<!--[if !mso]>\n<style>\nv\\:* {behavior:url(#default#VML);}",
            "p.MsoNormal {margin:0cm; font-family:\"Calibri\",\"sans-serif\";}",
            "Meeting on <st1:date Year=\"2024\" Day=\"5\" Month=\"6\" w:st=\"on\">Tuesday</st1:date><o:p></o:p>",
            "<![if !vml]><img width=133 height=67\nsrc=\"report_files/image002.jpg\" v:shapes=\"Picture_x0020_1\"><![endif]>",
            "<span class=msoIns><ins>added words</ins></span>",
        ] {
            assert!(s.contains(kept), "{kept} missing from:\n{s}");
        }
        assert!(
            removed
                .iter()
                .any(|r| r.contains("Office-only conditional")),
            "{removed:?}"
        );
        assert!(
            removed.iter().any(|r| r.contains("tracked-change")),
            "{removed:?}"
        );
        // Cleaning again finds nothing more (idempotent).
        let mut again = vec![];
        let twice = clean_html(s.as_bytes(), &cx, &mut again).unwrap();
        assert_eq!(twice, s.as_bytes());
        assert!(again.is_empty(), "{again:?}");
    }

    #[test]
    fn excel_saved_page_and_islands_outside_comments() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        // Excel 2003 "Web Page", and an island a generator left outside any comment.
        let page = br#"<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta name=ProgId content=Excel.Sheet><meta name=Generator content="Microsoft Excel 11">
<!--[if gte mso 9]><xml>
 <o:DocumentProperties>
  <o:Author>PlantedAuthor</o:Author>
  <o:LastPrinted>2009-05-27T07:50:17Z</o:LastPrinted>
 </o:DocumentProperties>
</xml><![endif]-->
<style>@page {mso-header-data:"&LMinutes";}</style>
<!--[if gte mso 9]><xml><x:ExcelWorkbook><x:ExcelWorksheets><x:ExcelWorksheet><x:Name>Sheet1</x:Name></x:ExcelWorksheet></x:ExcelWorksheets></x:ExcelWorkbook></xml><![endif]-->
</head><body><xml id=island><o:DocumentProperties><o:Author>PlantedAuthor</o:Author></o:DocumentProperties></xml>
<O:DocumentProperties><O:LastAuthor>PlantedAuthor</O:LastAuthor></O:DocumentProperties>
<table><tr><td>42</td></tr></table></body></html>"#;
        let mut removed = vec![];
        let s = String::from_utf8(clean_html(page, &cx, &mut removed).unwrap()).unwrap();
        assert!(
            !s.contains("Planted") && !s.contains("2009") && !s.contains("Excel"),
            "{s}"
        );
        assert!(s.contains("<table><tr><td>42</td></tr></table>"), "{s}");
        assert!(s.contains("mso-header-data:\"&LMinutes\""), "{s}");
        assert!(
            removed.iter().any(|r| r.contains("2 XML data island")),
            "{removed:?}"
        );
    }

    #[test]
    fn office_elements_left_in_a_conditional_comment_block() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        let cases: &[(&[u8], &str)] = &[
            (b"<p>a</p><!--[if IE]><o:Author>Kim</o:Author><![endif]-->", "<o:Author>"),
            (
                b"<html xmlns:ns9=\"urn:schemas-microsoft-com:office:kim\"><!--[if !mso]><ns9:x/><![endif]--></html>",
                "<ns9:x>",
            ),
            (b"<!--[if !mso | IE]><w:View>Print</w:View><![endif]-->", "<w:View>"),
            (b"<!--[if IE]><xml><o:Author>Kim</o:Author><![endif]-->", "not closed"),
            (b"<body><xml><o:Author>Kim</o:Author>", "not closed"),
            (
                b"<p>Some <a style='mso-comment-reference:KS_1;mso-comment-date:20240305T1030'>noted</a></p>",
                "Word comments",
            ),
            (
                b"<div><span style='mso-comment-author:\"Kim Smith\"'></span></div>",
                "Word comments",
            ),
        ];
        for (page, why) in cases {
            let err = clean_html(page, &cx, &mut vec![]).unwrap_err();
            assert!(err.reason.contains(why), "{why}: {err}");
        }
        // Islands are removed from kept comments; what is left is plain HTML.
        let ok = clean_html(
            b"<!--[if IE]><xml><o:Author>Kim</o:Author></xml><p>old browsers</p><![endif]-->",
            &cx,
            &mut vec![],
        )
        .unwrap();
        assert_eq!(ok, b"<!--[if IE]><p>old browsers</p><![endif]-->");
        assert!(
            office_only(b" gte mso 9")
                && office_only(b"gte vml 1")
                && office_only(b"mso & !supportInlineShapes")
        );
        assert!(!office_only(b"!mso") && !office_only(b"IE") && !office_only(b"mso | IE"));
    }

    #[test]
    fn text_must_be_utf8() {
        let cfg = Config::default();
        let cx = Ctx::test(&cfg);
        assert!(clean_text(&"안녕".as_bytes(), &cx, &mut vec![]).is_ok());
        let long = "가".repeat(700_000);
        assert!(clean_text(&long.as_bytes(), &cx, &mut vec![]).is_ok());
        assert!(clean_text(&&long.as_bytes()[..long.len() - 1], &cx, &mut vec![]).is_err());
        assert!(clean_text(&[0xC3u8, 0x28].as_slice(), &cx, &mut vec![]).is_err());
    }
}
