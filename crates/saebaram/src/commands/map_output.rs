//! `--html FILE` for `plan`, `predict` and `drift`: the flags and the page's language. The page is
//! drawn by `saebaram_jobs::map` from the same report `--json` prints.

use std::path::PathBuf;

/// The page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// 한국어.
    Ko,
    /// English.
    En,
}

/// Flags shared by `plan`, `predict` and `drift` for the HTML map.
#[derive(Debug, Clone, clap::Args)]
pub struct HtmlArgs {
    /// Write a self-contained offline HTML map (no network needed to open it).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Language of the map page (default: from the locale, English otherwise).
    #[arg(long, value_enum)]
    pub lang: Option<Lang>,
}

/// `--lang`, else the locale (`LC_ALL`, then `LC_MESSAGES`, then `LANG`), else English.
pub fn page_lang(lang: Option<Lang>) -> saebaram_jobs::map::Lang {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let locale = env("LC_ALL")
        .or_else(|| env("LC_MESSAGES"))
        .or_else(|| env("LANG"));
    resolve_lang(lang, locale.as_deref())
}

fn resolve_lang(lang: Option<Lang>, locale: Option<&str>) -> saebaram_jobs::map::Lang {
    use saebaram_jobs::map::Lang as L;
    match lang {
        Some(Lang::Ko) => L::Ko,
        Some(Lang::En) => L::En,
        None if locale.is_some_and(|l| l.to_ascii_lowercase().starts_with("ko")) => L::Ko,
        None => L::En,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_comes_from_flag_then_locale() {
        use saebaram_jobs::map::Lang as L;
        assert_eq!(resolve_lang(Some(Lang::En), Some("ko_KR.UTF-8")), L::En);
        assert_eq!(resolve_lang(Some(Lang::Ko), None), L::Ko);
        assert_eq!(resolve_lang(None, Some("ko_KR.UTF-8")), L::Ko);
        assert_eq!(resolve_lang(None, Some("en_US.UTF-8")), L::En);
        assert_eq!(resolve_lang(None, Some("C")), L::En);
        assert_eq!(resolve_lang(None, None), L::En);
    }
}
