//! Elevation models the user brings: a directory of SRTM `.hgt` tiles, memory-mapped, with
//! bilinear heights, for ending flights on the ground instead of at sea level.
//!
//! Owns: reading SRTM `.hgt` tiles (names, sizes, void samples), which tiles cover an area,
//! bilinear elevation in a tile, and remembering which missing tiles and voids a flight
//! asked for (so that the caller can say where it fell back to another source).
//! Must not know: forecasts or their model terrain (`saebaram-forecast`), flights
//! (`saebaram-flight`), borders and land or sea (`saebaram-geo`), terminals; the network
//! (tiles are files the user already has: nothing is downloaded).
//!
//! Why a crate of its own and not a module of `saebaram-forecast`: the model terrain that
//! comes inside a GRIB2 forecast is decoded, fetched and cached by the forecast crate with
//! the winds (`saebaram_forecast::terrain`); a DEM is independent of any forecast, outlives
//! it, and has its own file format and failure modes. The command line composes the two
//! (DEM, then model terrain, then sea level) into the flight crate's `Surface`.
//!
//! # The format
//! An SRTM tile `N37E126.hgt` (NASA's V3 names it `N37E126.SRTMGL3.hgt`; both are read)
//! covers latitude 37..38 N and longitude 126..127 E. It is a
//! raw array of big-endian `i16` heights in metres above the EGM96 geoid (close enough to
//! the forecast's mean sea level), `n x n` samples, rows from north to south and columns
//! from west to east, with `n = 1201` (3 arc-seconds) or `3601` (1 arc-second); the first
//! and last rows and columns lie on the tile's edges and repeat the neighbour's. `-32768`
//! marks a void (no data). The name and the size are the whole header: a file with another
//! name or size is refused with its name.
//!
//! # Lookups
//! [`Dem::elevation`] is called at every integrator step: it is one table read for the tile
//! (the table covers the flight area in 1° cells), four `i16` reads and a bilinear blend,
//! about 136 instructions, 14 ns on the project VM (`bench/terrain`). Void corners (and values outside -500..9000 m, which no SRTM sample
//! has) are left out of the blend and the weights renormalised; when all four are void the
//! answer is [`Elevation::Void`]. A point without a tile is [`Elevation::NoTile`]. Both are
//! remembered (relaxed atomic flags per 1° cell, set once: no contention on the common path)
//! and listed by [`Dem::fallbacks`], so the caller can say where it used another source.
//!
//! # No fuzz target
//! The only parsing is an 11-character file name and a file size compared with two
//! constants; the body is a fixed-size array read at indices computed from clamped
//! coordinates (every read is bounds-checked). There is no length field, offset or
//! structure in the data to fuzz; the tests cover names, sizes, voids and edges.
#![deny(missing_docs)]
// `!(x <= max)` is deliberate: a NaN must fail every range check.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// The value SRTM uses for "no data".
pub const VOID: i16 = -32768;
/// Samples per side of a 3 arc-second tile.
pub const SAMPLES_3: usize = 1201;
/// Samples per side of a 1 arc-second tile.
pub const SAMPLES_1: usize = 3601;
/// Lowest plausible height, metres (the Dead Sea shore is -430 m).
pub const MIN_M: f64 = -500.0;
/// Highest plausible height, metres.
pub const MAX_M: f64 = 9000.0;

/// Why a DEM cannot be used. Every variant names the file or directory.
#[derive(Debug, thiserror::Error)]
pub enum TerrainError {
    /// The directory or a file cannot be read.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// What was being done.
        what: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// A file ending in `.hgt` whose name is not a tile name.
    #[error(
        "{path}: not an SRTM tile name (want e.g. N37E126.hgt or N37E126.SRTMGL3.hgt: N or S, 2-digit latitude, E or W, 3-digit longitude)"
    )]
    BadName {
        /// The file.
        path: String,
    },
    /// A tile of a size no SRTM tile has.
    #[error(
        "{path}: {bytes} bytes, but an SRTM tile is 2884802 (1201x1201, 3\") or 25934402 (3601x3601, 1\") bytes: truncated or not a .hgt tile"
    )]
    BadSize {
        /// The file.
        path: String,
        /// Its size.
        bytes: u64,
    },
    /// Two files for one tile (e.g. `N37E126.hgt` and `n37e126.hgt`).
    #[error("{path}: a second file for tile {tile} (the other is {other})")]
    Duplicate {
        /// The file.
        path: String,
        /// The tile.
        tile: String,
        /// The first file.
        other: String,
    },
    /// A compressed tile without its unpacked `.hgt` beside it.
    #[error(
        "{path}: compressed tile: unpack it first (unzip / gunzip), then point --terrain at the .hgt files"
    )]
    Compressed {
        /// The file.
        path: String,
    },
    /// No tile at all.
    #[error("{path}: no SRTM .hgt tile in this directory")]
    Empty {
        /// The directory.
        path: String,
    },
}

/// A 1° tile's south-west corner, degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileId {
    /// Southern edge, degrees (-90..89).
    pub lat: i32,
    /// Western edge, degrees (-180..179).
    pub lon: i32,
}

impl TileId {
    /// Parses a tile name: `N37E126`, `s01w072.hgt`, or NASA's `N37E126.SRTMGL1.hgt` (the
    /// tile is what comes before the first dot; any case).
    pub fn parse(name: &str) -> Option<TileId> {
        let (stem, rest) = name.split_once('.').unwrap_or((name, ""));
        let ext_ok = rest.is_empty() || {
            let r = rest.as_bytes();
            r.len() >= 3 && r[r.len() - 3..].eq_ignore_ascii_case(b"hgt")
        };
        if !ext_ok {
            return None;
        }
        let b = stem.as_bytes();
        if b.len() != 7 || !b[1..3].iter().chain(&b[4..7]).all(u8::is_ascii_digit) {
            return None;
        }
        let num = |s: &[u8]| s.iter().fold(0i32, |a, &d| a * 10 + i32::from(d - b'0'));
        let lat = match b[0].to_ascii_uppercase() {
            b'N' => num(&b[1..3]),
            b'S' => -num(&b[1..3]),
            _ => return None,
        };
        let lon = match b[3].to_ascii_uppercase() {
            b'E' => num(&b[4..7]),
            b'W' => -num(&b[4..7]),
            _ => return None,
        };
        ((-90..90).contains(&lat) && (-180..180).contains(&lon)).then_some(TileId { lat, lon })
    }
}

impl std::fmt::Display for TileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}{:02}{}{:03}",
            if self.lat < 0 { 'S' } else { 'N' },
            self.lat.unsigned_abs(),
            if self.lon < 0 { 'W' } else { 'E' },
            self.lon.unsigned_abs()
        )
    }
}

/// The area lookups are expected in (the flight area: the forecast's coverage), degrees.
/// The lookup table has one entry per 1° cell of it; points outside are [`Elevation::NoTile`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    /// Southern edge.
    pub lat_min: f64,
    /// Northern edge.
    pub lat_max: f64,
    /// Western edge (-180..180).
    pub lon_min: f64,
    /// Eastern edge (-180..180, >= `lon_min`).
    pub lon_max: f64,
}

/// The height at a point, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Elevation {
    /// Metres above mean sea level (the EGM96 geoid).
    Metres(f64),
    /// The tile is there but the samples around the point are voids.
    Void,
    /// No tile covers the point.
    NoTile,
}

/// One tile of the DEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileInfo {
    /// Which tile.
    pub id: TileId,
    /// Its file.
    pub path: PathBuf,
    /// Samples per side (1201 or 3601).
    pub samples: usize,
}

struct Tile {
    map: memmap2::Mmap,
    /// Samples per side minus one, as usize and f64.
    last: usize,
    scale: f64,
}

const NONE: u32 = u32::MAX;

/// A directory of SRTM tiles, memory-mapped, with a lookup table over the flight area.
pub struct Dem {
    dir: PathBuf,
    /// Every tile found, in name order (mapped or not).
    infos: Vec<TileInfo>,
    tiles: Vec<Tile>,
    /// South-west cell of the table and its size, in 1° cells.
    lat0: i32,
    lon0: i32,
    nlat: usize,
    nlon: usize,
    /// `(lat0, lon0)` and `(nlat, nlon)` as f64, for the lookup.
    origin: (f64, f64),
    extent: (f64, f64),
    /// Per cell: index into `tiles`, or NONE.
    slot: Vec<u32>,
    /// Per cell: a lookup found no tile / found only voids.
    asked_missing: Vec<AtomicBool>,
    asked_void: Vec<AtomicBool>,
    /// A lookup fell outside the table (or was not finite).
    asked_outside: AtomicBool,
}

impl std::fmt::Debug for Dem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dem")
            .field("dir", &self.dir)
            .field("tiles", &self.infos.len())
            .field("mapped", &self.tiles.len())
            .finish_non_exhaustive()
    }
}

/// Where lookups needed another source: what [`Dem::fallbacks`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fallbacks {
    /// Tiles that were asked for but are not in the directory, sorted.
    pub missing_tiles: Vec<TileId>,
    /// Tiles in which some lookups met only void samples, sorted.
    pub void_tiles: Vec<TileId>,
    /// Some lookups fell outside the flight area given to [`Dem::open`].
    pub outside_area: bool,
}

impl Fallbacks {
    /// True if every lookup was answered by the DEM.
    pub fn is_empty(&self) -> bool {
        self.missing_tiles.is_empty() && self.void_tiles.is_empty() && !self.outside_area
    }
}

fn io<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(std::io::Error) -> TerrainError + 'a {
    move |source| TerrainError::Io {
        path: path.display().to_string(),
        what,
        source,
    }
}

impl Dem {
    /// Opens every `.hgt` tile in `dir` (not its subdirectories; other files are ignored)
    /// and maps those that touch `area`. Every `.hgt` file must be a valid tile, whether it
    /// touches the area or not: a bad file is an error naming it, as is a directory without
    /// tiles or a compressed tile (`.hgt.zip`, `.hgt.gz`) whose `.hgt` is not beside it.
    pub fn open(dir: &Path, area: Area) -> Result<Dem, TerrainError> {
        let rd = std::fs::read_dir(dir).map_err(io(dir, "cannot list the terrain directory"))?;
        let mut found: BTreeMap<TileId, TileInfo> = BTreeMap::new();
        let mut compressed: Vec<(PathBuf, String)> = Vec::new();
        for entry in rd {
            let entry = entry.map_err(io(dir, "cannot list the terrain directory"))?;
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .map(str::to_string)
            else {
                continue;
            };
            let lower = name.to_ascii_lowercase();
            if lower.ends_with(".hgt.zip") || lower.ends_with(".hgt.gz") {
                // N37E126.hgt.zip, N37E126.SRTMGL3.hgt.zip: the tile is before the first dot.
                let stem = lower.split('.').next().unwrap_or("").to_string();
                compressed.push((path, stem));
                continue;
            }
            if !lower.ends_with(".hgt") {
                continue;
            }
            let meta = std::fs::metadata(&path).map_err(io(&path, "cannot read"))?;
            if !meta.is_file() {
                continue;
            }
            let id = TileId::parse(&name).ok_or_else(|| TerrainError::BadName {
                path: path.display().to_string(),
            })?;
            let samples = match meta.len() {
                n if n == (SAMPLES_3 * SAMPLES_3 * 2) as u64 => SAMPLES_3,
                n if n == (SAMPLES_1 * SAMPLES_1 * 2) as u64 => SAMPLES_1,
                n => {
                    return Err(TerrainError::BadSize {
                        path: path.display().to_string(),
                        bytes: n,
                    });
                }
            };
            if let Some(other) = found.get(&id) {
                return Err(TerrainError::Duplicate {
                    path: path.display().to_string(),
                    tile: id.to_string(),
                    other: other.path.display().to_string(),
                });
            }
            found.insert(id, TileInfo { id, path, samples });
        }
        compressed.sort();
        for (path, stem) in compressed {
            let unpacked = TileId::parse(&stem).is_some_and(|id| found.contains_key(&id));
            if !unpacked {
                return Err(TerrainError::Compressed {
                    path: path.display().to_string(),
                });
            }
        }
        if found.is_empty() {
            return Err(TerrainError::Empty {
                path: dir.display().to_string(),
            });
        }
        // Cells from the one holding the south-west corner to the last one starting before
        // the north-east corner (an area ending at 45N does not need tile N45).
        let cells = |lo: f64, hi: f64, min: i32, max: i32| {
            if lo.is_finite() && hi.is_finite() && hi >= lo {
                let a = (lo.floor() as i32).clamp(min, max);
                (a, (hi.ceil() as i32 - 1).clamp(a, max))
            } else {
                (min, max)
            }
        };
        let (lat0, lat1) = cells(area.lat_min, area.lat_max, -90, 89);
        let (lon0, lon1) = cells(area.lon_min, area.lon_max, -180, 179);
        let nlat = (lat1 - lat0 + 1) as usize;
        let nlon = (lon1 - lon0 + 1) as usize;
        let mut slot = vec![NONE; nlat * nlon];
        let mut tiles = Vec::new();
        for info in found.values() {
            let (j, i) = (info.id.lat - lat0, info.id.lon - lon0);
            if j < 0 || i < 0 || j as usize >= nlat || i as usize >= nlon {
                continue;
            }
            let file = std::fs::File::open(&info.path).map_err(io(&info.path, "cannot open"))?;
            // SAFETY: the map is read-only. Tiles are the user's files; one truncated or
            // rewritten while saebaram runs could raise SIGBUS, as with any mmap: say so in
            // the documentation, not in a crash report.
            let map = unsafe { memmap2::Mmap::map(&file) }.map_err(io(&info.path, "cannot map"))?;
            if map.len() != info.samples * info.samples * 2 {
                return Err(TerrainError::BadSize {
                    path: info.path.display().to_string(),
                    bytes: map.len() as u64,
                });
            }
            slot[j as usize * nlon + i as usize] = tiles.len() as u32;
            tiles.push(Tile {
                map,
                last: info.samples - 1,
                scale: (info.samples - 1) as f64,
            });
        }
        Ok(Dem {
            dir: dir.to_path_buf(),
            infos: found.into_values().collect(),
            tiles,
            lat0,
            lon0,
            nlat,
            nlon,
            origin: (f64::from(lat0), f64::from(lon0)),
            extent: (nlat as f64, nlon as f64),
            asked_missing: (0..nlat * nlon).map(|_| AtomicBool::new(false)).collect(),
            asked_void: (0..nlat * nlon).map(|_| AtomicBool::new(false)).collect(),
            slot,
            asked_outside: AtomicBool::new(false),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every tile of the directory, in name order.
    pub fn tiles(&self) -> &[TileInfo] {
        &self.infos
    }

    /// Number of tiles that touch the area (mapped for lookups).
    pub fn tiles_in_area(&self) -> usize {
        self.tiles.len()
    }

    /// The tiles of the area that the directory lacks, sorted.
    pub fn missing_in_area(&self) -> Vec<TileId> {
        (0..self.nlat * self.nlon)
            .filter(|&k| self.slot[k] == NONE)
            .map(|k| self.cell_id(k))
            .collect()
    }

    /// Samples per side of the tile covering a point (1201 or 3601), if any.
    pub fn samples_at(&self, lat: f64, lon: f64) -> Option<usize> {
        let k = self.cell(lat, lon)?;
        let t = self.tiles.get(*self.slot.get(k)? as usize)?;
        Some(t.last + 1)
    }

    fn cell_id(&self, k: usize) -> TileId {
        TileId {
            lat: self.lat0 + (k / self.nlon) as i32,
            lon: self.lon0 + (k % self.nlon) as i32,
        }
    }

    /// The table cell of a point and the point's offsets in it (0..1 from its south and
    /// west edges). Truncation instead of `floor` (a libm call on baseline x86-64): the
    /// offsets are checked to be non-negative first, and NaN fails every check.
    #[inline]
    fn cell_at(&self, lat: f64, lon: f64) -> Option<(usize, f64, f64)> {
        let j = lat - self.origin.0;
        let i = lon - self.origin.1;
        if !(j >= 0.0 && j < self.extent.0 && i >= 0.0 && i < self.extent.1) {
            return None;
        }
        // SAFETY: `j` and `i` are finite and in 0..nlat, 0..nlon (at most 180 and 360),
        // checked just above (NaN fails the check), so they fit an i32 after truncation.
        // `as` would add saturation and NaN handling on every step.
        let (ju, iu) = unsafe { (j.to_int_unchecked::<i32>(), i.to_int_unchecked::<i32>()) };
        Some((
            ju as usize * self.nlon + iu as usize,
            j - f64::from(ju),
            i - f64::from(iu),
        ))
    }

    #[inline]
    fn cell(&self, lat: f64, lon: f64) -> Option<usize> {
        self.cell_at(lat, lon).map(|c| c.0)
    }

    /// The height at a point, bilinear between the four samples around it. Remembers a
    /// missing tile or an all-void cell for [`Dem::fallbacks`].
    #[inline]
    pub fn elevation(&self, lat: f64, lon: f64) -> Elevation {
        let Some((k, south, west)) = self.cell_at(lat, lon) else {
            if !self.asked_outside.load(Ordering::Relaxed) {
                self.asked_outside.store(true, Ordering::Relaxed);
            }
            return Elevation::NoTile;
        };
        let t = match self.slot.get(k) {
            Some(&t) if t != NONE => t as usize,
            _ => {
                flag(&self.asked_missing, k);
                return Elevation::NoTile;
            }
        };
        let Some(tile) = self.tiles.get(t) else {
            return Elevation::NoTile;
        };
        // Rows from the north edge, columns from the west edge, in samples.
        let y = (1.0 - south) * tile.scale;
        let x = west * tile.scale;
        // SAFETY: `south` and `west` are in [0, 1) (fractions of the cell, from `cell_at`), so
        // `y` and `x` are finite and in [0, 3600]: they fit an i32 after truncation.
        let (r, c) = unsafe { (y.to_int_unchecked::<i32>(), x.to_int_unchecked::<i32>()) };
        let r = r.min(tile.last as i32 - 1);
        let c = c.min(tile.last as i32 - 1);
        let (fy, fx) = (y - f64::from(r), x - f64::from(c));
        let (r, c) = (r as usize, c as usize);
        let n = tile.last + 1;
        let b: &[u8] = &tile.map;
        // Two samples side by side: one bounds check for both.
        let pair = |rr: usize| -> (i16, i16) {
            let o = 2 * (rr * n + c);
            match b.get(o..o + 4) {
                Some(&[a, b, c, d]) => (i16::from_be_bytes([a, b]), i16::from_be_bytes([c, d])),
                _ => (VOID, VOID),
            }
        };
        let (nw, ne) = pair(r);
        let (sw, se) = pair(r + 1);
        // -32768 (void) is outside the plausible range too: one integer check each.
        let valid = |h: i16| (MIN_M as i16..=MAX_M as i16).contains(&h);
        if valid(nw) && valid(ne) && valid(sw) && valid(se) {
            let (nw, ne, sw, se) = (f64::from(nw), f64::from(ne), f64::from(sw), f64::from(se));
            let north = nw + (ne - nw) * fx;
            let south = sw + (se - sw) * fx;
            return Elevation::Metres(north + (south - north) * fy);
        }
        let corners = [
            (nw, (1.0 - fy) * (1.0 - fx)),
            (ne, (1.0 - fy) * fx),
            (sw, fy * (1.0 - fx)),
            (se, fy * fx),
        ];
        let (mut sum, mut wsum) = (0.0, 0.0);
        for &(h, w) in &corners {
            if valid(h) {
                sum += f64::from(h) * w;
                wsum += w;
            }
        }
        if wsum > 1e-9 {
            Elevation::Metres(sum / wsum)
        } else {
            flag(&self.asked_void, k);
            Elevation::Void
        }
    }

    /// Where lookups since [`Dem::open`] needed another source. The same lookups in any
    /// order and on any number of threads give the same answer.
    pub fn fallbacks(&self) -> Fallbacks {
        let list = |flags: &[AtomicBool]| {
            flags
                .iter()
                .enumerate()
                .filter(|(_, f)| f.load(Ordering::Relaxed))
                .map(|(k, _)| self.cell_id(k))
                .collect::<Vec<_>>()
        };
        let mut missing = list(&self.asked_missing);
        let mut void = list(&self.asked_void);
        missing.sort();
        void.sort();
        Fallbacks {
            missing_tiles: missing,
            void_tiles: void,
            outside_area: self.asked_outside.load(Ordering::Relaxed),
        }
    }
}

/// Sets a flag once: a load first, so that the common case of an already-set flag does not
/// write the cache line every thread reads.
#[inline]
fn flag(flags: &[AtomicBool], k: usize) {
    if let Some(f) = flags.get(k)
        && !f.load(Ordering::Relaxed)
    {
        f.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
