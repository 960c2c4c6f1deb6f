//! Untrusted text from a mirror -> the fetch's index parsers: a wgrib2 `.idx` (GFS, GEFS) and
//! an ECMWF `.index` (JSON lines, ensemble `type`/`number`), then the byte ranges a fetch
//! would ask for, and the whole-GRIB2 check every downloaded range passes through. Must never
//! panic (no overflow on huge offsets or lengths), and every range must be well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use saebaram_forecast::fetch::{
    EcmwfIndexLine, check_grib2_messages, idx_ranges, merge_index_ranges, parse_ecmwf_index,
    parse_idx,
};

fn well_formed(ranges: &[(u64, Option<u64>)]) {
    for (k, &(a, b)) in ranges.iter().enumerate() {
        if let Some(b) = b {
            assert!(a <= b, "range {a}-{b}");
        } else {
            // Only the last record of an inventory is open-ended.
            assert_eq!(k, ranges.len() - 1, "{ranges:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = check_grib2_messages(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(records) = parse_idx(text) {
        let first_var = records.first().map(|r| r.var.clone()).unwrap_or_default();
        well_formed(&idx_ranges(&records, |r| r.var == first_var));
        well_formed(&idx_ranges(&records, |_| true));
        well_formed(&idx_ranges(&records, |r| r.number.contains('.')));
    }
    if let Ok(lines) = parse_ecmwf_index(text) {
        let first = lines.first().and_then(EcmwfIndexLine::member);
        let merged = merge_index_ranges(lines.iter().filter(|l| l.member() == first));
        well_formed(&merged);
        for w in merged.windows(2) {
            if let (Some(end), (next, _)) = (w[0].1, w[1]) {
                assert!(end < next, "{merged:?}");
            }
        }
    }
});
