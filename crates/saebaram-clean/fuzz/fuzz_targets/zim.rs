#![no_main]
//! Fuzzes the ZIM (Kiwix) cleaner: header, MIME list, pointer lists, directory entries,
//! metadata clusters (zstd, xz) and the rebuild with moved positions. The harness rewrites
//! the archive's MD5 before each run so mutations get past the checksum check. It must
//! never panic, hang or allocate without bound, and a plan must stay inside its input.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = saebaram_clean::fuzzing::run("zim", data);
});
