//! The cache: one file per run, memory-mapped for lookups in place.
//!
//! ```text
//! offset  size  field
//! 0       8     magic "SAEBWIND"
//! 8       4     format version, u32 LE (this writes version 3, reads 1 to 3)
//! 12      4     header length H, u32 LE
//! 16      32    BLAKE3 of the header bytes
//! 48      H     header: JSON (source, credit, run, valid times, levels, grid, derived
//!               fields, inventory, body offset/length and the body's BLAKE3; version 2:
//!               the terrain section's offset/length/BLAKE3 when there is one; version 3:
//!               the ensemble members and one BLAKE3 per member's part of the body)
//! ...           zero padding to a multiple of 64
//! body    4*N   f32 little-endian, [member][time][lat][lon][level][u, v, gh, t]
//! ...           version 2 with terrain: zero padding to a multiple of 64, then
//! terrain 4*M   f32 little-endian, [lat][lon] (M = nlat*nlon), metres
//! ```
//!
//! Version 2 only adds the optional terrain section (and the keys describing it): a version 1
//! file is a version 2 file without terrain, and opens as one. Version 3 adds the members of
//! an ensemble: the body holds one cube per member, one after the other, each in the layout
//! of a version 2 body, and the header one BLAKE3 per member (`member_blake3`); a
//! deterministic forecast is one member, and a version 1 or 2 file opens as one. An older
//! reader refuses a newer file by its version number ("delete it and fetch again"), not by a
//! misleading size mismatch.
//!
//! Files are written to a temporary file in the same directory and renamed, so a crash
//! never leaves half a cache. Opening checks magic, version, header checksum and exact
//! sizes, and the terrain section's checksum (it is small and copied out). With
//! `verify_body`, the first member's part of the body is hashed at once and every other
//! member the first time it is asked for ([`crate::Forecast::member`]): a 51-member cube
//! opens in milliseconds, and no member is read unchecked. A deterministic forecast's one
//! member is the whole body, checked at open as before.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cube::{Cube, Layout, Store};
use crate::error::{ForecastError, Result};
use crate::forecast::{Forecast, ForecastInfo, SourceKind};
use crate::terrain::Terrain;

/// The first 8 bytes of a cache file.
pub const MAGIC: &[u8; 8] = b"SAEBWIND";
/// The format version this build writes.
pub const VERSION: u32 = 3;
/// The most inventory entries a cache keeps (an ensemble fetched for five days lists tens
/// of thousands of fields; the header stays small enough to open in milliseconds and says
/// how many were left out).
pub const INVENTORY_KEPT: usize = 2_000;
/// The oldest format version this build reads (version 1: no terrain section).
pub const OLDEST_READABLE: u32 = 1;
const PREFIX: usize = 48;
const ALIGN: usize = 64;

/// The JSON header of a cache file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// Always `saebaram wind cube`.
    pub format: String,
    /// Body layout, for humans: `member,time,lat,lon,level,[u,v,gh,t] f32le`.
    pub layout: String,
    /// Byte offset of the body.
    pub body_offset: u64,
    /// Number of f32 values in the body (every member).
    pub body_values: u64,
    /// BLAKE3 of the body, hex.
    pub body_blake3: String,
    /// Version 3: BLAKE3 of each member's part of the body, hex, in member order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_blake3: Vec<String>,
    /// The model terrain section (version 2, when the forecast has terrain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terrain: Option<TerrainSection>,
    /// The forecast's description.
    pub info: ForecastInfo,
}

/// Where the terrain section is: `values` f32 LE `[lat][lon]` on the cube's grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerrainSection {
    /// Byte offset (a multiple of 64, after the wind body).
    pub offset: u64,
    /// Number of f32 values (nlat * nlon).
    pub values: u64,
    /// BLAKE3 of the section's bytes, hex.
    pub blake3: String,
}

fn cache_err(path: &Path, detail: impl Into<String>) -> ForecastError {
    ForecastError::Cache {
        file: path.display().to_string(),
        detail: detail.into(),
    }
}

/// Writes `forecast` to `path` atomically (temporary file in the same directory, then
/// rename). Creates the directory if needed.
pub fn write(forecast: &Forecast, path: &Path) -> Result<()> {
    if cfg!(target_endian = "big") {
        return Err(cache_err(
            path,
            "cache files are little-endian; this big-endian machine cannot write them",
        ));
    }
    let cubes: Vec<&Cube> = std::iter::once(&forecast.cube)
        .chain(forecast.more.iter())
        .collect();
    for cube in &cubes {
        let native = Layout::native(
            cube.times.len(),
            cube.levels_hpa.len(),
            cube.grid.nlat,
            cube.grid.nlon,
        );
        if native != Some(cube.layout) {
            return Err(cache_err(
                path,
                "only cubes decoded from GRIB2 can be cached (a tawhiri dataset is used in place)",
            ));
        }
    }
    let bodies: Vec<&[u8]> = cubes
        .iter()
        .map(|c| bytemuck::cast_slice::<f32, u8>(c.values()))
        .collect();
    let body_len: usize = bodies.iter().map(|b| b.len()).sum();
    let mut whole = blake3::Hasher::new();
    for b in &bodies {
        whole.update(b);
    }
    let terrain: &[u8] = forecast
        .terrain
        .as_ref()
        .map_or(&[], |t| bytemuck::cast_slice(t.values()));
    let mut info = forecast.info.clone();
    if info.kind != SourceKind::Embedded {
        info.kind = SourceKind::Cache;
    }
    if info.inventory.len() > INVENTORY_KEPT {
        info.inventory_omitted += info.inventory.len() - INVENTORY_KEPT;
        info.inventory.truncate(INVENTORY_KEPT);
    }
    let mut header = Header {
        format: "saebaram wind cube".into(),
        layout: "member,time,lat,lon,level,[u,v,gh,t] f32le".into(),
        body_offset: 0,
        body_values: cubes.iter().map(|c| c.values().len() as u64).sum(),
        body_blake3: whole.finalize().to_hex().to_string(),
        member_blake3: bodies
            .iter()
            .map(|b| blake3::hash(b).to_hex().to_string())
            .collect(),
        terrain: forecast.terrain.as_ref().map(|t| TerrainSection {
            offset: 0,
            values: t.values().len() as u64,
            blake3: blake3::hash(terrain).to_hex().to_string(),
        }),
        info,
    };
    // The offsets depend on the header length, which depends on the offsets' digits:
    // iterate to a fixed point (twice is always enough).
    let mut json = Vec::new();
    for _ in 0..4 {
        json = serde_json::to_vec(&header)
            .map_err(|e| cache_err(path, format!("cannot encode header: {e}")))?;
        let off = (PREFIX + json.len()).div_ceil(ALIGN) * ALIGN;
        let toff = (off + body_len).div_ceil(ALIGN) * ALIGN;
        let settled = header.body_offset == off as u64
            && header
                .terrain
                .as_ref()
                .is_none_or(|t| t.offset == toff as u64);
        if settled {
            break;
        }
        header.body_offset = off as u64;
        if let Some(t) = &mut header.terrain {
            t.offset = toff as u64;
        }
    }
    let off = header.body_offset as usize;
    if off < PREFIX + json.len()
        || header
            .terrain
            .as_ref()
            .is_some_and(|t| (t.offset as usize) < off + body_len)
    {
        return Err(cache_err(path, "internal: header does not fit"));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| ForecastError::io(dir.display(), "cannot create directory", e))?;
    let mut tmp = saebaram_atomic::AtomicFile::new(path, saebaram_atomic::Options::default())?;
    let io = |e| ForecastError::io(path.display(), "cannot write", e);
    {
        let mut w = std::io::BufWriter::new(tmp.file_mut());
        w.write_all(MAGIC).map_err(io)?;
        w.write_all(&VERSION.to_le_bytes()).map_err(io)?;
        w.write_all(&(json.len() as u32).to_le_bytes())
            .map_err(io)?;
        w.write_all(blake3::hash(&json).as_bytes()).map_err(io)?;
        w.write_all(&json).map_err(io)?;
        w.write_all(&vec![0u8; off - PREFIX - json.len()])
            .map_err(io)?;
        for b in &bodies {
            w.write_all(b).map_err(io)?;
        }
        if let Some(t) = &header.terrain {
            w.write_all(&vec![0u8; t.offset as usize - off - body_len])
                .map_err(io)?;
            w.write_all(terrain).map_err(io)?;
        }
        w.flush().map_err(io)?;
    }
    tmp.commit()?;
    Ok(())
}

/// Reads and checks a cache file's header without mapping its body.
pub fn read_header(path: &Path) -> Result<Header> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)
        .map_err(|e| ForecastError::io(path.display(), "cannot open", e))?;
    let mut prefix = [0u8; PREFIX];
    f.read_exact(&mut prefix)
        .map_err(|_| cache_err(path, "truncated (shorter than the 48-byte prefix)"))?;
    let (version, hlen) = check_prefix(path, &prefix)?;
    let mut json = vec![0u8; hlen];
    f.read_exact(&mut json)
        .map_err(|_| cache_err(path, "truncated header"))?;
    parse_header(path, version, &prefix, &json)
}

fn check_prefix(path: &Path, prefix: &[u8]) -> Result<(u32, usize)> {
    if prefix.get(0..8) != Some(MAGIC.as_slice()) {
        return Err(cache_err(path, "not a saebaram cache file (bad magic)"));
    }
    let word = |a: usize| {
        prefix
            .get(a..a + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .unwrap_or(0)
    };
    let version = word(8);
    if !(OLDEST_READABLE..=VERSION).contains(&version) {
        return Err(cache_err(
            path,
            format!(
                "format version {version}, this saebaram reads versions {OLDEST_READABLE} to {VERSION}: delete it and fetch again"
            ),
        ));
    }
    let hlen = word(12) as usize;
    if hlen == 0 || hlen > 64 << 20 {
        return Err(cache_err(path, format!("implausible header length {hlen}")));
    }
    Ok((version, hlen))
}

fn parse_header(path: &Path, version: u32, prefix: &[u8], json: &[u8]) -> Result<Header> {
    if prefix.get(16..48) != Some(blake3::hash(json).as_bytes().as_slice()) {
        return Err(cache_err(path, "header checksum mismatch (damaged file)"));
    }
    let header: Header = serde_json::from_slice(json)
        .map_err(|e| cache_err(path, format!("unreadable header: {e}")))?;
    if version < 2 && (header.terrain.is_some() || header.info.terrain.is_some()) {
        return Err(cache_err(
            path,
            "a version 1 header with a terrain section (damaged file)",
        ));
    }
    if version < 3 && (!header.member_blake3.is_empty() || !header.info.members.is_empty()) {
        return Err(cache_err(
            path,
            "a version 1 or 2 header with ensemble members (damaged file)",
        ));
    }
    if version >= 3 && header.member_blake3.len() != header.info.members.len().max(1) {
        return Err(cache_err(
            path,
            format!(
                "{} member checksums for {} member(s) (damaged file)",
                header.member_blake3.len(),
                header.info.members.len().max(1)
            ),
        ));
    }
    if header.terrain.is_some() != header.info.terrain.is_some() {
        return Err(cache_err(
            path,
            "terrain section and terrain description disagree (damaged file)",
        ));
    }
    Ok(header)
}

/// Opens a cache file, memory-mapped. With `verify_body` the first member's BLAKE3 is
/// checked now (for a deterministic forecast, the whole body) and every other member's the
/// first time [`crate::Forecast::member`] asks for it; without, no body is hashed (callers
/// that only look, like `forecast list`). The header and all sizes are always checked.
pub fn open(path: &Path, verify_body: bool) -> Result<Forecast> {
    if cfg!(target_endian = "big") {
        return Err(cache_err(
            path,
            "cache files are little-endian; this big-endian machine cannot read them",
        ));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| ForecastError::io(path.display(), "cannot open", e))?;
    // SAFETY: the map is read-only; cache files are only ever replaced by rename, never
    // modified in place, so the mapped pages do not change under us (a user truncating
    // the file by hand could still cause SIGBUS, as with any mmap).
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| ForecastError::io(path.display(), "cannot map", e))?;
    let prefix = map
        .get(..PREFIX)
        .ok_or_else(|| cache_err(path, "truncated (shorter than the 48-byte prefix)"))?;
    let (version, hlen) = check_prefix(path, prefix)?;
    let json = map
        .get(PREFIX..PREFIX + hlen)
        .ok_or_else(|| cache_err(path, "truncated header"))?;
    let header = parse_header(path, version, prefix, json)?;
    let info = header.info;
    let g = info.grid;
    g.check().map_err(|e| cache_err(path, e))?;
    let nt = info.valid_unix_s.len();
    let nl = info.levels_hpa.len();
    if nt == 0 || nl < 2 {
        return Err(cache_err(path, "no times or fewer than two levels"));
    }
    let layout = Layout::native(nt, nl, g.nlat, g.nlon)
        .ok_or_else(|| cache_err(path, "dimensions overflow"))?;
    let n_members = info.members.len().max(1);
    let values = (layout.len as u64).checked_mul(n_members as u64);
    let off = header.body_offset as usize;
    let body_end = values
        .and_then(|v| v.checked_mul(4))
        .and_then(|b| (off as u64).checked_add(b));
    let npts = (g.nlat * g.nlon) as u64;
    let expected = match &header.terrain {
        None => body_end,
        Some(t) => {
            let ok = t.values == npts
                && t.offset.is_multiple_of(ALIGN as u64)
                && body_end.is_some_and(|e| t.offset >= e && t.offset - e < ALIGN as u64);
            if ok {
                t.offset.checked_add(npts * 4)
            } else {
                None
            }
        }
    };
    if Some(header.body_values) != values
        || !off.is_multiple_of(ALIGN)
        || off < PREFIX + hlen
        || expected != Some(map.len() as u64)
    {
        return Err(cache_err(
            path,
            format!(
                "size mismatch: {} bytes on disk, header promises {} values at offset {off} for {n_members} member(s) of a \
                 {nt}x{nl}x{}x{} cube{} (truncated or damaged)",
                map.len(),
                header.body_values,
                g.nlat,
                g.nlon,
                header.terrain.as_ref().map_or(String::new(), |t| format!(
                    " and {} terrain values at offset {}",
                    t.values, t.offset
                ))
            ),
        ));
    }
    let terrain = match &header.terrain {
        None => None,
        Some(t) => {
            let bytes = map.get(t.offset as usize..).unwrap_or(&[]);
            if blake3::hash(bytes).to_hex().as_str() != t.blake3 {
                return Err(cache_err(path, "terrain checksum mismatch (damaged file)"));
            }
            let values: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            Some(Terrain::new(g, values).map_err(|e| cache_err(path, format!("terrain: {e}")))?)
        }
    };
    let body = map
        .get(off..off + layout.len * 4 * n_members)
        .unwrap_or(&[]);
    if bytemuck::try_cast_slice::<u8, f32>(body).is_err() {
        return Err(cache_err(path, "body is not aligned for f32"));
    }
    if info.valid_unix_s.windows(2).any(|w| w[0] >= w[1])
        || info.levels_hpa.windows(2).any(|w| w[0] <= w[1])
    {
        return Err(cache_err(path, "times or levels out of order"));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(m) = info.members.iter().find(|m| !seen.insert(m.number)) {
        return Err(cache_err(
            path,
            format!("member {} listed twice (damaged file)", m.number),
        ));
    }
    let map = std::sync::Arc::new(map);
    let mut cubes = (0..n_members).map(|k| {
        Cube::assemble(
            info.valid_unix_s.clone(),
            info.levels_hpa.clone(),
            g,
            layout,
            Store::Mapped {
                map: map.clone(),
                offset: off + k * layout.len * 4,
                len: layout.len,
            },
            info.alt_max_m,
        )
    });
    let Some(cube) = cubes.next() else {
        return Err(cache_err(path, "no member"));
    };
    let more: Vec<Cube> = cubes.collect();
    let mut info = info;
    if info.kind != SourceKind::Embedded {
        info.kind = SourceKind::Cache;
    }
    info.origin = path.display().to_string();
    let checks = verify_body.then(|| {
        let hashes = if header.member_blake3.is_empty() {
            vec![header.body_blake3.clone()]
        } else {
            header.member_blake3.clone()
        };
        std::sync::Arc::new(MemberChecks::new(path.display().to_string(), hashes))
    });
    let forecast = Forecast {
        cube,
        more,
        checks,
        info,
        terrain,
    };
    if verify_body {
        forecast.member(0)?;
    }
    Ok(forecast)
}

/// BLAKE3 of a member's body, on every core: a 125 MB body takes about 16 ms on one core
/// and half that on two (`cache_open_5day_hourly_0p25_korea_verified` in
/// `benches/forecast.rs`). The hash is the same as `blake3::hash`'s.
fn hash_body(bytes: &[u8]) -> blake3::Hash {
    let mut hasher = blake3::Hasher::new();
    hasher.update_rayon(bytes);
    hasher.finalize()
}

/// The body checksums of a cache's members, each checked once, the first time the member is
/// asked for.
#[derive(Debug)]
pub(crate) struct MemberChecks {
    file: String,
    hashes: Vec<String>,
    done: Vec<std::sync::OnceLock<bool>>,
}

impl MemberChecks {
    fn new(file: String, hashes: Vec<String>) -> MemberChecks {
        let done = hashes.iter().map(|_| std::sync::OnceLock::new()).collect();
        MemberChecks { file, hashes, done }
    }

    /// Checks member `index` (its cube `cube`) once; later calls return the first answer.
    pub(crate) fn check(
        &self,
        index: usize,
        cube: &Cube,
        info: Option<&crate::forecast::MemberInfo>,
    ) -> Result<()> {
        let what = info.map_or_else(|| "the wind body".to_string(), |m| m.label());
        let (Some(done), Some(want)) = (self.done.get(index), self.hashes.get(index)) else {
            return Err(ForecastError::Cache {
                file: self.file.clone(),
                detail: format!("{what}: no checksum for it (damaged file)"),
            });
        };
        let ok = *done.get_or_init(|| {
            let bytes: &[u8] = bytemuck::cast_slice(cube.values());
            hash_body(bytes).to_hex().as_str() == want
        });
        if ok {
            Ok(())
        } else {
            Err(ForecastError::Cache {
                file: self.file.clone(),
                detail: format!("{what}: body checksum mismatch (damaged file)"),
            })
        }
    }

    /// The checks of the members at these positions, in that order.
    pub(crate) fn select(&self, picks: &[usize]) -> MemberChecks {
        MemberChecks {
            file: self.file.clone(),
            hashes: picks
                .iter()
                .map(|&p| self.hashes.get(p).cloned().unwrap_or_default())
                .collect(),
            done: picks
                .iter()
                .map(|&p| self.done.get(p).cloned().unwrap_or_default())
                .collect(),
        }
    }
}

/// One cache file, for `forecast list`.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The file.
    pub path: PathBuf,
    /// Its size, bytes.
    pub bytes: u64,
    /// Its header, or why it could not be read.
    pub header: std::result::Result<Box<ForecastInfo>, String>,
}

/// The cache files (`*.swc`) in `dir`, sorted by name. A missing directory is an empty cache.
pub fn list(dir: &Path) -> Result<Vec<Entry>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(ForecastError::io(dir.display(), "cannot list", e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| ForecastError::io(dir.display(), "cannot list", e))?;
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("swc") {
            continue;
        }
        let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
        let header = read_header(&path)
            .map(|h| Box::new(h.info))
            .map_err(|e| e.to_string());
        out.push(Entry {
            path,
            bytes,
            header,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
