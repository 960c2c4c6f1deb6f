#![no_main]
//! Fuzzes the whole clean pipeline (Red Star trailers, detection, every format's plan, the
//! streaming writer and its forbidden-strings scanner): no panic, no forbidden string out.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = saebaram_clean::fuzzing::run_pipeline(data);
});
