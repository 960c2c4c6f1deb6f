//! The FAT32 reader on arbitrary disk contents (a drive handed back may be anything).
#![no_main]
use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use saebaram_image::reader::Volume;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut vol) = Volume::open(Cursor::new(data)) {
        if let Ok(entries) = vol.walk() {
            for e in entries.iter().filter(|e| !e.is_dir).take(64) {
                let _ = vol.hash_file(e);
            }
        }
    }
});
