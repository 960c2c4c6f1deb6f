//! `saebaram drives`.

use std::path::PathBuf;

use anyhow::Context;
use saebaram_flash::drives::{Drive, SystemPaths, SystemView, scan};

use crate::output::Status;

/// Arguments of `saebaram drives`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  saebaram drives            # table of drives; only those marked `offered` can be chosen by --all-removable
  saebaram drives --json     # the same as JSON for scripts

The disk holding the running system (/, /boot, /usr, /var, /home or swap) and every drive
with a mounted filesystem are marked and never offered. Unmount a drive before writing it.")]
pub struct DrivesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub system: SystemArgs,
}

/// Where the system describes its drives (hidden: for tests on a fake tree).
#[derive(Debug, Clone, clap::Args)]
pub struct SystemArgs {
    /// sysfs root.
    #[arg(long, hide = true, default_value = "/sys")]
    pub sysfs_root: PathBuf,
    /// udev database directory.
    #[arg(long, hide = true, default_value = "/run/udev/data")]
    pub udev_root: PathBuf,
    /// Mount table.
    #[arg(long, hide = true, default_value = "/proc/self/mountinfo")]
    pub mountinfo: PathBuf,
    /// Swap table.
    #[arg(long, hide = true, default_value = "/proc/swaps")]
    pub swaps: PathBuf,
}

impl SystemArgs {
    /// The paths to scan.
    pub fn paths(&self) -> SystemPaths {
        SystemPaths {
            sysfs: self.sysfs_root.clone(),
            udev_data: self.udev_root.clone(),
            mountinfo: self.mountinfo.clone(),
            swaps: self.swaps.clone(),
            ..SystemPaths::linux()
        }
    }

    /// Scans the system.
    pub fn scan(&self) -> anyhow::Result<SystemView> {
        scan(&self.paths()).context("cannot list the drives")
    }
}

/// Human size: decimal units as drives are sold.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn status(d: &Drive) -> String {
    if d.system {
        return "SYSTEM DISK: never written".into();
    }
    if !d.refusals.is_empty() {
        return format!("refused: {}", d.refusals.join("; "));
    }
    if d.read_only {
        return "read-only".into();
    }
    if d.offered {
        return "offered".into();
    }
    "fixed disk: written only if named".into()
}

/// Runs `saebaram drives`.
pub fn run(args: DrivesArgs) -> anyhow::Result<Status> {
    let view = args.system.scan()?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view.drives)?);
        return Ok(Status::Done);
    }
    if view.drives.is_empty() {
        println!("No drives found.");
        return Ok(Status::Done);
    }
    println!(
        "{:<14} {:>9}  {:<28} {:<20} STATUS",
        "DEVICE", "SIZE", "VENDOR / MODEL", "SERIAL"
    );
    for d in &view.drives {
        let model = [d.vendor.as_deref(), d.model.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        println!(
            "{:<14} {:>9}  {:<28} {:<20} {}",
            d.path.display(),
            human_bytes(d.size_bytes),
            if model.is_empty() { "-".into() } else { model },
            d.serial.as_deref().unwrap_or("-"),
            status(d)
        );
    }
    if !view.root_resolved {
        eprintln!(
            "warning: the device holding / could not be identified (overlay or container root); every drive with a mounted filesystem is treated as a system disk"
        );
    }
    Ok(Status::Done)
}
