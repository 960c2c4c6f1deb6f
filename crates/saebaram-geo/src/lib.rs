//! Geography of the Korean peninsula: borders, provinces, the DMZ, coast, cities, launch
//! sites, and which of them a point falls in.
//!
//! Owns: the embedded Natural Earth layers (see `data/SOURCES.md`), landing classification,
//! launch sites, targets.
//! Must not know: winds (`saebaram-forecast`), balloons and flights (`saebaram-flight`),
//! terminals and file formats of the command line.
#![deny(missing_docs)]

use serde::Serialize;

/// Where a point on the ground is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Region {
    /// Inside North Korea, outside the DMZ, with the province's English name when known.
    NorthKorea {
        /// Province (English Natural Earth name), if the point is inside one.
        province: Option<String>,
    },
    /// Inside South Korea, outside the DMZ.
    SouthKorea,
    /// Inside the Korean Demilitarized Zone (either side of the Military Demarcation Line).
    Dmz,
    /// China.
    China,
    /// Russia.
    Russia,
    /// Japan.
    Japan,
    /// Not on any land polygon.
    Sea,
}
