//! Words the user reads. The page renders every text from `web/strings.json` (Korean and
//! English side by side, Korean the default); the server sends [`Message`]s: a code the
//! page looks up (`msg.<code>`), the values to fill in, and the English detail of the
//! library error for the "details" line (never the only text, unless the code is unknown).
//!
//! The strings file is embedded in the page (`index.html` carries it as a JSON data
//! element), and its tests here check that every key has both languages, that the Korean
//! keeps the vocabulary of the team's Korean word list, and that every message code the
//! server can send has its text.

use serde::Serialize;
use serde_json::{Map, Value};

/// A message for the page: a code with parameters, plus the English detail.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Message {
    /// Looked up as `msg.<code>` in the strings.
    pub code: String,
    /// Values for the text's `{name}` placeholders.
    pub params: Map<String, Value>,
    /// The library's own (English) words: shown under "details", and alone only when the
    /// page has no text for the code.
    pub detail: String,
}

impl Message {
    pub(crate) fn new(code: &str, detail: impl Into<String>) -> Message {
        Message {
            code: code.to_owned(),
            params: Map::new(),
            detail: detail.into(),
        }
    }

    /// Something that should not happen (a bug): the page says so and shows the detail.
    pub(crate) fn internal(detail: impl Into<String>) -> Message {
        Message::new("internal", detail)
    }

    /// Adds a placeholder's value.
    pub(crate) fn with(mut self, name: &str, value: impl Into<Value>) -> Message {
        self.params.insert(name.to_owned(), value.into());
        self
    }
}

/// Every message code the server itself sends (besides those mapped from library errors,
/// listed where they are mapped). Each must have `msg.<code>` in both languages.
pub(crate) const SERVER_CODES: &[&str] = &[
    "internal",
    "cancelled",
    "busy",
    "no_such_job",
    "bad_request",
    "not_finished",
    "no_site",
    "too_large",
    "server_gone",
];

/// The strings file, as embedded.
pub(crate) fn strings_json() -> &'static str {
    include_str!("../web/strings.json")
}

/// The Korean text of a message (`ko.msg.<code>` with its `{name}` placeholders filled), as
/// the page shows it; `None` when the strings have none.
pub(crate) fn korean_text(message: &Message) -> Option<String> {
    let strings: Value = serde_json::from_str(strings_json()).ok()?;
    let mut text = strings
        .get("ko")?
        .get("msg")?
        .get(&message.code)?
        .as_str()?
        .to_owned();
    for (name, value) in &message.params {
        let value = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        text = text.replace(&format!("{{{name}}}"), &value);
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn strings() -> Map<String, Value> {
        match serde_json::from_str::<Value>(strings_json()).expect("strings.json is JSON") {
            Value::Object(m) => m,
            _ => panic!("strings.json is not an object"),
        }
    }

    /// Flattens `{"ko": {...}, "en": {...}}` into dotted keys per language.
    fn flat(
        v: &Value,
        prefix: &str,
        out: &mut BTreeSet<String>,
        texts: &mut Vec<(String, String)>,
    ) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    flat(v, &key, out, texts);
                }
            }
            Value::String(s) => {
                out.insert(prefix.to_owned());
                texts.push((prefix.to_owned(), s.clone()));
            }
            other => panic!("{prefix}: not a string or object: {other}"),
        }
    }

    fn keys(lang: &str) -> (BTreeSet<String>, Vec<(String, String)>) {
        let s = strings();
        let mut keys = BTreeSet::new();
        let mut texts = Vec::new();
        flat(&s[lang], "", &mut keys, &mut texts);
        (keys, texts)
    }

    #[test]
    fn every_text_exists_in_korean_and_english() {
        let (ko, ko_texts) = keys("ko");
        let (en, _) = keys("en");
        assert!(ko.len() > 50, "only {} Korean texts", ko.len());
        let only_ko: Vec<_> = ko.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ko).collect();
        assert!(only_ko.is_empty(), "no English for {only_ko:?}");
        assert!(only_en.is_empty(), "no Korean for {only_en:?}");
        for (k, t) in ko_texts {
            assert!(!t.trim().is_empty(), "ko.{k} is empty");
        }
    }

    #[test]
    fn placeholders_match_between_languages() {
        let (_, ko) = keys("ko");
        let (_, en) = keys("en");
        let holes = |s: &str| -> BTreeSet<String> {
            s.split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect()
        };
        for (k, t) in &ko {
            let e = &en.iter().find(|(ek, _)| ek == k).unwrap().1;
            assert_eq!(holes(t), holes(e), "{k}: ko `{t}` / en `{e}`");
        }
    }

    /// The team's Korean word list (`ui-korean.md`): plain words for non-technical readers.
    #[test]
    fn korean_keeps_the_agreed_vocabulary() {
        let (_, ko) = keys("ko");
        // Jargon or off-list words, and what to say instead.
        let banned = [
            ("P(", "북한에 떨어질 확률"),
            ("앙상블", "모의 비행"),
            ("삐라", "전단"),
            ("발사", "띄우기 / 띄울 시각"),
            ("오프라인", "인터넷 없이"),
            ("패스워드", "암호 문구"),
            ("비밀번호", "암호 문구"),
            ("메모리 스틱", "USB 메모리"),
        ];
        for (k, t) in &ko {
            for (bad, good) in banned {
                assert!(!t.contains(bad), "ko.{k}: `{t}` says `{bad}`: use `{good}`");
            }
        }
        let all: String = ko.iter().map(|(_, t)| t.as_str()).collect();
        for word in [
            "북한에 떨어질 확률",
            "모의 비행",
            "띄울 시각",
            "출발 지점",
            "목표 지역",
            "바람 예보",
            "내장 예시 예보",
            "암호 문구",
            "USB에 쓰기",
            "가짜 용량 USB",
            "흔적 지우기",
            "처리할 수 없는 파일",
            "활동 기록",
            "다른 팀에 보내기",
            "검사 중",
            "쓰는 중",
            "지우는 중",
            "검증 중",
        ] {
            assert!(all.contains(word), "no text uses `{word}`");
        }
    }

    #[test]
    fn every_server_message_has_its_text() {
        let (ko, _) = keys("ko");
        for code in SERVER_CODES
            .iter()
            .chain(crate::work::ERROR_CODES)
            .chain(crate::work::WARNING_CODES)
            .chain(crate::drives::CODES)
            .chain(crate::records::CODES)
            .chain(crate::folders::CODES)
            .chain(crate::sealed::CODES)
            .chain(crate::convert::CODES)
        {
            assert!(ko.contains(&format!("msg.{code}")), "no msg.{code}");
        }
    }

    /// Every `t('key')` the page's script asks for exists.
    #[test]
    fn every_key_the_page_uses_exists() {
        let (ko, _) = keys("ko");
        let js = crate::assets::text("app.js").expect("app.js is embedded");
        let mut missing = Vec::new();
        let mut used = 0;
        for quote in ['\'', '"'] {
            let open = format!("t({quote}");
            let mut rest = js.as_str();
            while let Some(i) = rest.find(&open) {
                // `t(` itself, not the end of `get(` or `request(`.
                let word = rest[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
                rest = &rest[i + open.len()..];
                if word {
                    continue;
                }
                let Some(end) = rest.find(quote) else { break };
                let key = &rest[..end];
                // `t('nav.' + id)`: a key built at run time, checked by the screens' tests.
                if key.ends_with('.') {
                    continue;
                }
                used += 1;
                if !ko.contains(key) {
                    missing.push(key.to_owned());
                }
            }
        }
        assert!(used > 10, "only {used} keys found in app.js");
        assert!(missing.is_empty(), "app.js uses missing keys {missing:?}");
    }
}
