//! Plain text and HTML.
//!
//! Plain text has no metadata container: it is checked to be UTF-8 (or UTF-16 with a byte
//! order mark) and passed on unchanged (the forbidden-strings check still applies).
//! HTML is edited byte-wise (so any ASCII-compatible encoding works, EUC-KR and KPS 9566
//! included): `<meta>` tags other than charset, viewport, description, keywords, robots and a few
//! rendering `http-equiv`s are removed, and so are comments (`<!-- saved from url=... -->`,
//! editor notes) except conditional comments; `<script>` and `<style>` bodies are not touched.
//! Every other byte, the visible text included, is unchanged.

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
            return Err(block!("text: UTF-16 with an odd number of bytes"));
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

/// Cleans HTML.
pub(crate) fn clean_html(
    d: &[u8],
    _cx: &Ctx,
    removed: &mut Vec<String>,
) -> Result<Vec<u8>, Blocked> {
    if d.starts_with(&[0xFF, 0xFE]) || d.starts_with(&[0xFE, 0xFF]) {
        return Err(block!("HTML: UTF-16 pages are not supported"));
    }
    let mut out = Vec::with_capacity(d.len());
    let mut i = 0;
    let (mut metas, mut comments) = (0usize, 0usize);
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
                .ok_or_else(|| block!("HTML: unterminated comment at byte {lt}"))?
                + 3;
            let body = d.get(lt..end).unwrap_or_default();
            if body.starts_with(b"<!--[if") || body.starts_with(b"<!--<![endif]") {
                out.extend_from_slice(body);
            } else {
                comments += 1;
            }
            i = end;
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
        if tag_name_is(b"meta") {
            let tag = d.get(lt..gt).unwrap_or_default();
            if keep_meta(tag) {
                out.extend_from_slice(tag);
            } else {
                metas += 1;
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
        out.extend_from_slice(d.get(lt..gt).unwrap_or_default());
        i = gt;
    }
    if metas > 0 {
        removed.push(format!("{metas} <meta> tag(s)"));
    }
    if comments > 0 {
        removed.push(format!("{comments} comment(s)"));
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
