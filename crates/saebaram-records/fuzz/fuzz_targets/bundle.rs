//! The plaintext of an export (what an attacker holding a cell's public key controls):
//! parsing and checking must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = saebaram_records::exchange::parse_bundle(std::path::Path::new("fuzz.age"), data);
});
