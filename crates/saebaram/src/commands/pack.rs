//! `saebaram pack`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use saebaram_jobs::prepare::{PackRequest, PackSize};
use saebaram_jobs::{Env, Stage};

use crate::output::Status;
use crate::progress::Terminal;

/// Arguments of `saebaram pack`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  saebaram clean library/ --out clean/ && saebaram pack clean/ --out drive.img --size 15GB
  saebaram pack library/ --out drive.img --fit              (runs the cleaner first)
  saebaram pack clean/ --out drive.img --fit --seed 42 --timestamps fixed:2023-03-14T10:00
  saebaram pack clean/ --out drive.img --size 7.5GB --manifest layout.toml --exclude big.mkv

Only clean content enters an image. If LIBRARY holds a `.saebaram-clean.json` (written by
`saebaram clean`), every file must be listed there with the same size and BLAKE3 (checked
while packing); otherwise the cleaner runs first into a temporary folder beside the image,
and any blocked file stops the pack unless you leave it out with --exclude.

The image: an MBR with one FAT32 partition (type 0x0C) at 1 MiB, Windows' cluster size for
its size, long names (Hangul included) with 8.3 short names, OEM name MSWIN4.1, volume
serial and disk signature random per image (or from --seed), no label unless --label,
timestamps from --timestamps (never the clock), entries sorted by name, every unused byte
zero. ZIM files over 4 GiB are split into .zimaa, .zimab, ... parts; other files over
4 GiB - 1 are refused. The manifest IMAGE.manifest.json is written beside the image.

Choose --size no larger than the smallest drive you will write (a \"16 GB\" drive holds
about 15.5 GB). Sizes: 15GB = 15*10^9 bytes, 15GiB = 15*2^30, or plain bytes.

Exit status: 0 image written, 2 error (nothing is left half-written).")]
pub struct PackArgs {
    /// The library folder: a `saebaram clean` output, or raw content to clean first.
    #[arg(value_name = "LIBRARY")]
    pub library: PathBuf,

    /// The image file to write (replaced atomically if it exists).
    #[arg(long, short, value_name = "IMAGE")]
    pub out: PathBuf,

    /// Image size (e.g. 15GB, 7.5GB, 3800MiB, 16000000000).
    #[arg(
        long,
        value_name = "SIZE",
        required_unless_present = "fit",
        conflicts_with = "fit"
    )]
    pub size: Option<String>,

    /// Make the image just big enough for the library (whole MiB, at least 35 MiB).
    #[arg(long)]
    pub fit: bool,

    /// Reproducible build: draw the volume serial, disk signature and random timestamps from
    /// this number instead of the OS random generator. Same library + same seed = the same
    /// bytes; images with the same seed are linkable to each other.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Volume label (up to 11 ASCII characters; default: none, like a shop-formatted drive).
    #[arg(long, value_name = "LABEL")]
    pub label: Option<String>,

    /// Timestamp policy: `fixed:YYYY-MM-DDTHH:MM` or `random:YYYY-MM-DD..YYYY-MM-DD` (stored as
    /// FAT local time as given: the laptop's time zone never enters).
    #[arg(
        long,
        value_name = "POLICY",
        default_value = "random:2021-01-01..2024-12-31"
    )]
    pub timestamps: String,

    /// Layout file (TOML) choosing which library files go where: `[[file]]` / `[[dir]]`
    /// tables with `source` (relative to LIBRARY) and optional `path` (inside the image).
    #[arg(long, value_name = "TOML")]
    pub manifest: Option<PathBuf>,

    /// Leave out a file or folder, by name or by path relative to LIBRARY (repeatable).
    #[arg(long, value_name = "NAME")]
    pub exclude: Vec<String>,

    /// Forbidden-strings file for the cleaning pass of a raw library (see `saebaram clean`).
    #[arg(long, value_name = "FILE")]
    pub forbid: Option<PathBuf>,

    /// Print the image manifest as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Parses `15GB`, `7.5GB`, `3800MiB`, `512M`, `16000000000`.
fn parse_size(s: &str) -> anyhow::Result<u64> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        other => bail!("--size {s:?}: unknown unit {other:?} (use B, MB, GB, MiB, GiB)"),
    };
    let n: f64 = num
        .parse()
        .with_context(|| format!("--size {s:?}: not a number"))?;
    let bytes = n * mult;
    if !(1.0..1e15).contains(&bytes) {
        bail!("--size {s:?}: out of range");
    }
    Ok(bytes as u64)
}

/// Runs `saebaram pack`.
pub fn run(args: PackArgs, env: &Env) -> anyhow::Result<Status> {
    let request = PackRequest {
        library: args.library.clone(),
        out: args.out.clone(),
        size: match (&args.size, args.fit) {
            (Some(s), _) => PackSize::Bytes(parse_size(s)?),
            (None, true) => PackSize::Fit,
            (None, false) => bail!("give --size SIZE or --fit"),
        },
        seed: args.seed,
        label: args.label.clone(),
        timestamps: args.timestamps.clone(),
        layout: args.manifest.clone(),
        exclude: args.exclude.clone(),
        forbid: args.forbid.clone(),
    };
    let terminal = Terminal::new()
        .quiet(args.quiet)
        .with_message(Stage::Packing, "packing".into());
    let report = saebaram_jobs::prepare::pack(request, env, &terminal)?;
    let manifest = &report.manifest;
    if args.json {
        println!("{}", serde_json::to_string_pretty(manifest)?);
    } else {
        let fs = &manifest.filesystem;
        println!(
            "wrote {} ({} bytes, FAT32, {} files, {} bytes of content, cluster {} bytes, {} bytes free)",
            args.out.display(),
            manifest.image.size,
            manifest.files.len(),
            report.content_bytes,
            fs.cluster_size,
            fs.free_bytes
        );
        println!(
            "  volume serial {}, disk signature {}, label {}, timestamps {}, {}",
            manifest.policy.volume_serial,
            manifest.policy.disk_signature,
            manifest.policy.label.as_deref().unwrap_or("(none)"),
            manifest.policy.timestamps,
            manifest.policy.randomness
        );
        let splits = manifest
            .files
            .iter()
            .filter(|f| f.split_from.is_some())
            .count();
        if splits > 0 {
            println!("  {splits} ZIM part(s) (.zimaa, .zimab, ...): Kiwix opens the first part");
        }
        println!("  manifest {}", report.manifest_path.display());
        println!(
            "  data BLAKE3 {} (bytes 0..{}; the rest of the image is zero)",
            manifest.image.data_blake3, manifest.image.data_end
        );
    }
    Ok(Status::Done)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_in_decimal_and_binary_units() {
        assert_eq!(parse_size("15GB").unwrap(), 15_000_000_000);
        assert_eq!(parse_size("7.5GB").unwrap(), 7_500_000_000);
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5XB").is_err());
    }
}
