//! Name checks and 8.3 generation on arbitrary strings: no panic, and every generated short
//! name is 11 bytes of valid short-name characters.
#![no_main]
use libfuzzer_sys::fuzz_target;
use saebaram_image::names;

fuzz_target!(|s: &str| {
    let _ = names::check_long_name(s);
    let _ = names::volume_label(s);
    if let Some(short) = names::exact_short_name(s) {
        assert!(short.iter().all(|b| b.is_ascii() && !b.is_ascii_lowercase()));
    }
    if let Some(short) = names::generate_short_name(s, &|_| false) {
        assert!(short.iter().all(|b| b.is_ascii() && !b.is_ascii_lowercase()));
        assert!(short.contains(&b'~'));
    }
    let mut out = Vec::new();
    names::push_lfn_entries(&mut out, s, 0);
    assert_eq!(out.len(), 32 * names::lfn_entry_count(s));
});
