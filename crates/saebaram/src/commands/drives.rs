//! `saebaram drives`.

use std::path::PathBuf;

use saebaram_flash::drives::Drive;
use saebaram_jobs::flash::{DrivesRequest, SystemRoots, human_bytes};
use saebaram_jobs::{Env, Warning};

use crate::output::Status;
use crate::progress::Terminal;

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
    /// The roots as the jobs take them.
    pub fn roots(&self) -> SystemRoots {
        SystemRoots {
            sysfs: self.sysfs_root.clone(),
            udev_data: self.udev_root.clone(),
            mountinfo: self.mountinfo.clone(),
            swaps: self.swaps.clone(),
        }
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
pub fn run(args: DrivesArgs, env: &Env) -> anyhow::Result<Status> {
    let view = saebaram_jobs::flash::drives(
        DrivesRequest {
            system: args.system.roots(),
        },
        env,
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
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
        Terminal::new().line(&Warning::RootUnresolved);
    }
    Ok(Status::Done)
}
