#![no_main]
//! Fuzzes the RTF tokenizer and cleaner: it must never panic, hang or
//! allocate without bound.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = saebaram_clean::fuzzing::run("rtf", data);
});
