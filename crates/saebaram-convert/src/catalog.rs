//! The catalog a convert run puts beside what it made: a plain HTML page (UTF-8, no script,
//! no style sheet, readable in an old browser) and a text file, Korean first, listing each
//! film or recording with its length, size, profile and subtitles. Deterministic: no dates,
//! entries sorted by path.

/// One item of the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Output path(s) relative to the output folder, in play order.
    pub files: Vec<String>,
    /// Title shown (the input's name without extension).
    pub title: String,
    /// Length in seconds, when known.
    pub duration_s: Option<f64>,
    /// Bytes of all parts.
    pub bytes: u64,
    /// Profile name.
    pub profile: String,
    /// Korean subtitles burned in.
    pub subtitles_burned: bool,
}

/// File names of the catalog (목록 = "list").
pub const HTML_NAME: &str = "목록.html";
/// See [`HTML_NAME`].
pub const TEXT_NAME: &str = "목록.txt";

fn length(d: Option<f64>) -> String {
    match d {
        Some(d) if d.is_finite() && d >= 0.0 => {
            let s = d.round() as u64;
            format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        }
        _ => "?".into(),
    }
}

fn size(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A relative link: each path segment percent-encoded where HTML and URLs need it.
fn href(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let mut out = String::new();
            for b in seg.bytes() {
                if b.is_ascii_alphanumeric() || b"-._~()".contains(&b) {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn sorted(items: &[Item]) -> Vec<&Item> {
    let mut v: Vec<&Item> = items.iter().collect();
    v.sort_by(|a, b| a.files.cmp(&b.files));
    v
}

/// The text file (CRLF line ends, for Windows Notepad).
pub fn text(items: &[Item]) -> String {
    let mut s = String::from("목록 (Catalog)\r\n\r\n");
    for i in sorted(items) {
        s.push_str(&format!(
            "{}\r\n  길이 {} · 크기 {} · {}{}\r\n",
            i.title,
            length(i.duration_s),
            size(i.bytes),
            i.profile,
            if i.subtitles_burned {
                " · 한국어 자막"
            } else {
                ""
            }
        ));
        for f in &i.files {
            s.push_str(&format!("  {f}\r\n"));
        }
        s.push_str("\r\n");
    }
    s
}

/// The HTML page.
pub fn html(items: &[Item]) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"ko\">\n<head>\n<meta charset=\"utf-8\">\n<title>목록</title>\n</head>\n<body>\n<h1>목록</h1>\n<table border=\"1\" cellpadding=\"4\">\n<tr><th>제목</th><th>길이</th><th>크기</th><th>자막</th><th>파일</th></tr>\n",
    );
    for i in sorted(items) {
        let links: Vec<String> = i
            .files
            .iter()
            .map(|f| format!("<a href=\"{}\">{}</a>", href(f), escape(f)))
            .collect();
        s.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&i.title),
            length(i.duration_s),
            size(i.bytes),
            if i.subtitles_burned { "한국어" } else { "" },
            links.join("<br>")
        ));
    }
    s.push_str("</table>\n</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_lists_items_in_order_with_escaped_names_and_links() {
        let items = vec![
            Item {
                files: vec!["영화/b <2>.avi".into()],
                title: "b <2>".into(),
                duration_s: Some(3725.4),
                bytes: 1_500_000_000,
                profile: "notel".into(),
                subtitles_burned: true,
            },
            Item {
                files: vec!["a (1).avi".into(), "a (2).avi".into()],
                title: "a".into(),
                duration_s: None,
                bytes: 10,
                profile: "notel".into(),
                subtitles_burned: false,
            },
        ];
        let h = html(&items);
        assert!(h.find(">a<").unwrap() < h.find("b &lt;2&gt;").unwrap());
        assert!(
            h.contains("href=\"%EC%98%81%ED%99%94/b%20%3C2%3E.avi\""),
            "{h}"
        );
        assert!(h.contains("1:02:05") && h.contains("1500.0 MB") && h.contains("한국어"));
        assert!(!h.contains("<script"));
        let t = text(&items);
        assert!(t.contains("  a (2).avi\r\n") && t.contains("길이 ?"));
        assert_eq!(html(&items), h, "deterministic");
    }
}
