//! The 16 clear bytes at the start of a database file: parsing never panics, and a header
//! that parses round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saebaram_records::Header;

fuzz_target!(|data: &[u8]| {
    let Ok(bytes) = <[u8; 16]>::try_from(data) else {
        return;
    };
    if let Ok(header) = Header::parse(&bytes) {
        assert_eq!(header.to_bytes(), bytes);
    }
});
