//! Name matching: McCune–Reischauer, plain ASCII and Korean spellings of the same place.

/// Folds a name for comparison: lower case, breves and accents dropped (`ŏ` -> `o`),
/// apostrophes, hyphens, dots and spaces removed. Hangul is kept as is.
pub(crate) fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = match c {
            'ŏ' | 'Ŏ' | 'ö' | 'Ö' | 'ó' | 'ò' => 'o',
            'ŭ' | 'Ŭ' | 'ü' | 'Ü' | 'ú' => 'u',
            'é' | 'è' | 'ë' | 'É' => 'e',
            'á' | 'à' | 'ä' | 'â' => 'a',
            'í' | 'ï' => 'i',
            c => c,
        };
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Korean (Hangul) names of the North Korean places in the Natural Earth layer, keyed
/// by its `NAMEASCII`. Natural Earth 4.x has no Korean field for places; these are the
/// standard North Korean spellings of the city names.
pub(crate) fn nk_city_korean(name_ascii: &str) -> Option<&'static str> {
    Some(match name_ascii {
        "Pyongyang" => "평양",
        "Nampo" => "남포",
        "Hamhung" => "함흥",
        "Hungnam" => "흥남",
        "Chongjin" => "청진",
        "Sunchon" => "순천",
        "Kaesong" => "개성",
        "Wonsan" => "원산",
        "Kanggye" => "강계",
        "Sinuiju" => "신의주",
        "Hyeson" => "혜산",
        "Haeju" => "해주",
        "Kimchaek" => "김책",
        "Manpo" => "만포",
        "Sariwon" => "사리원",
        "Chongju" => "정주",
        "Kilchu" => "길주",
        "Musan" => "무산",
        "Munchon" => "문천",
        "Ongjin" => "옹진",
        "Pyongsan" => "평산",
        "Sonbong" => "선봉",
        "Changyon" => "장연",
        "Anbyon" => "안변",
        "Chosan" => "초산",
        "Kimhyonggwon" => "김형권",
        _ => return None,
    })
}

/// English and Korean names of the provinces, keyed by the Natural Earth `name`.
/// Returns (English, Korean, other accepted spellings).
pub(crate) fn province_names(
    ne_name: &str,
) -> Option<(&'static str, &'static str, &'static [&'static str])> {
    Some(match ne_name {
        "Chagang-do" => ("Chagang", "자강도", &["chagang"]),
        "Hamgyŏng-bukto" => (
            "North Hamgyong",
            "함경북도",
            &["hamgyongbuk", "northhamgyong", "hamgyongnorth"],
        ),
        "Hamgyŏng-namdo" => (
            "South Hamgyong",
            "함경남도",
            &["hamgyongnam", "southhamgyong", "hamgyongsouth"],
        ),
        "Hwanghae-bukto" => (
            "North Hwanghae",
            "황해북도",
            &["hwanghaebuk", "northhwanghae", "hwanghaenorth"],
        ),
        "Hwanghae-namdo" => (
            "South Hwanghae",
            "황해남도",
            &["hwanghaenam", "southhwanghae", "hwanghaesouth"],
        ),
        "Kangwŏn-do" => ("Kangwon", "강원도", &["kangwon", "gangwon"]),
        "P'yŏngan-bukto" => (
            "North Pyongan",
            "평안북도",
            &["pyonganbuk", "northpyongan", "pyongannorth"],
        ),
        "P'yŏngan-namdo" => (
            "South Pyongan",
            "평안남도",
            &["pyongannam", "southpyongan", "pyongansouth"],
        ),
        "P'yŏngyang" => (
            "Pyongyang",
            "평양",
            &["pyongyangsi", "평양시", "pyongyangcity"],
        ),
        "Rason" => ("Rason", "라선", &["rasŏn", "라선시", "rajinsonbong"]),
        "Ryanggang" => (
            "Ryanggang",
            "량강도",
            &["yanggang", "양강도", "ryanggangdo"],
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_matches_spellings() {
        assert_eq!(fold("P'yŏngyang"), "pyongyang");
        assert_eq!(fold("PYONGYANG"), fold("pyongyang"));
        assert_eq!(fold("P'yŏngan-bukto"), "pyonganbukto");
        assert_eq!(fold(" Hamgyŏng namdo "), "hamgyongnamdo");
        assert_eq!(fold("평양"), "평양");
    }
}
