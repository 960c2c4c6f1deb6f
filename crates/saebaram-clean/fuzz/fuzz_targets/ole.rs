#![no_main]
//! Fuzzes the OLE compound-file cleaner (DOC, XLS, PPT, HWP via cfb): it must never panic, hang or
//! allocate without bound.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = saebaram_clean::fuzzing::run("ole", data);
});
