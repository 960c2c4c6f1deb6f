//! Writing one image to many drives at once, each drive on its own thread.
//!
//! Per drive: check the size, probe for fake capacity, refuse or shrink, write the
//! image's data region, then zeros for the image's free space and for the rest of the
//! drive (donors' old data), fsync, drop every host cache, then read the whole written range
//! back: BLAKE3 of the data region against the manifest and every other byte zero. The
//! image's free space is never read from the image file nor hashed: the manifest says it
//! is zero, and the drive is checked to read back zero there. A drive that fails, even by vanishing, fails
//! alone: the other threads never wait for it (no lock-step, no shared buffer).
//!
//! The library reads no clock: speeds are measured by the caller from the
//! [`Progress`] events (the CLI timestamps them).

use std::io;
use std::os::unix::fs::FileExt;

use crate::device::{AlignedBuf, Device};
use crate::probe::{DriveKind, ProbeOptions, ProbeReport, probe};

/// Bytes per write and read request.
pub const CHUNK: usize = 4 << 20;

/// What the manifest says about the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSpec {
    /// Image size in bytes.
    pub size: u64,
    /// End of the image's data region: bytes from here to `size` are zero.
    pub data_end: u64,
    /// BLAKE3 of the data region (`0..data_end`).
    pub data_blake3: [u8; 32],
    /// End of the last partition in the image (bytes), if it has a partition table.
    pub partition_end: Option<u64>,
}

/// The image bytes, read concurrently by every drive thread.
pub trait ImageSource: Sync {
    /// Reads exactly `buf.len()` bytes at `offset`.
    fn read_image_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

impl ImageSource for std::fs::File {
    fn read_image_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.read_exact_at(buf, offset)
    }
}

impl ImageSource for [u8] {
    fn read_image_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let end = start
            .checked_add(buf.len())
            .ok_or(io::ErrorKind::UnexpectedEof)?;
        let src = self.get(start..end).ok_or(io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

impl ImageSource for Vec<u8> {
    fn read_image_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        self.as_slice().read_image_at(buf, offset)
    }
}

/// Computes the BLAKE3 of an image source of `len` bytes.
pub fn hash_image(image: &dyn ImageSource, len: u64) -> io::Result<[u8; 32]> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    let mut at = 0;
    while at < len {
        let n = (len - at).min(CHUNK as u64) as usize;
        image.read_image_at(&mut buf[..n], at)?;
        hasher.update(&buf[..n]);
        at += n as u64;
    }
    Ok(*hasher.finalize().as_bytes())
}

/// One drive to write.
pub struct Target<'a> {
    /// What to call it in reports (its path).
    pub label: String,
    /// Serial number, if known.
    pub serial: Option<String>,
    /// The opened device.
    pub device: &'a mut dyn Device,
}

/// Settings of a flash run.
#[derive(Debug, Clone)]
pub struct FlashOptions {
    /// Probe settings; `None` skips the probe (benchmarks and known-good targets only).
    pub probe: Option<ProbeOptions>,
    /// Accept a fake drive whose real size still holds the image, using only that.
    pub shrink: bool,
}

/// The phase a drive is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Fake-capacity probe.
    Probing,
    /// Writing the image.
    Writing,
    /// Writing zeros after the image.
    Wiping,
    /// fsync and cache drop.
    Syncing,
    /// Reading back.
    Verifying,
    /// Finished (passed, rejected or failed).
    Finished,
}

/// A progress event from a drive thread.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Index of the drive in the target list.
    pub drive: usize,
    /// Current phase.
    pub phase: Phase,
    /// Bytes done in this phase.
    pub done: u64,
    /// Bytes this phase will take.
    pub total: u64,
}

/// How a drive ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Written and every byte verified.
    Passed,
    /// The probe found fake capacity; nothing was written.
    RejectedFake,
    /// An error (I/O, vanished drive, verification mismatch, too small).
    Failed,
}

/// What happened to one drive.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DriveReport {
    /// The drive's label (path).
    pub label: String,
    /// Serial number, if known.
    pub serial: Option<String>,
    /// Size the drive claims.
    pub claimed_bytes: u64,
    /// Size the probe found usable (None if not probed).
    pub real_bytes: Option<u64>,
    /// Probe details.
    pub probe: Option<ProbeReport>,
    /// Whether only the real part of a fake drive was used (`--shrink`).
    pub shrunk: bool,
    /// Bytes of image written.
    pub image_bytes: u64,
    /// Bytes of zeros written after the image.
    pub wiped_bytes: u64,
    /// Bytes read back and checked.
    pub verified_bytes: u64,
    /// BLAKE3 of the image region as read back, hex.
    pub read_back_blake3: Option<String>,
    /// Result.
    pub outcome: Outcome,
    /// Why it was rejected or failed.
    pub error: Option<String>,
}

#[derive(Debug)]
struct Stop(Outcome, String);

fn fail(msg: impl Into<String>) -> Stop {
    Stop(Outcome::Failed, msg.into())
}

fn io_fail(what: &str, offset: u64, e: &io::Error) -> Stop {
    fail(format!("{what} at byte {offset}: {e}"))
}

fn per_drive_salt(salt: &[u8; 32], drive: usize) -> [u8; 32] {
    let mut h = blake3::Hasher::new_keyed(salt);
    h.update(b"saebaram-flash drive");
    h.update(&(drive as u64).to_le_bytes());
    *h.finalize().as_bytes()
}

/// BLAKE3 of `data`, lowercase hex.
pub fn blake3_hex(data: &[u8]) -> String {
    hex::encode(blake3::hash(data).as_bytes())
}

/// Fills `buf` with what belongs on the drive at `offset`: image bytes, then zeros.
fn fill_stream(image: &dyn ImageSource, size: u64, buf: &mut [u8], offset: u64) -> io::Result<()> {
    let image_part = size.saturating_sub(offset).min(buf.len() as u64) as usize;
    if image_part > 0 {
        image.read_image_at(&mut buf[..image_part], offset)?;
    }
    buf[image_part..].fill(0);
    Ok(())
}

fn flash_one(
    index: usize,
    image: &dyn ImageSource,
    spec: &ImageSpec,
    target: &mut Target<'_>,
    opts: &FlashOptions,
    report: &mut DriveReport,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(), Stop> {
    let dev = &mut *target.device;
    let emit = |phase, done, total| {
        progress(Progress {
            drive: index,
            phase,
            done,
            total,
        })
    };
    if spec.size > dev.len() {
        return Err(fail(format!(
            "the drive holds {} bytes, the image needs {}: nothing written",
            dev.len(),
            spec.size
        )));
    }
    let mut limit = dev.len();
    if let Some(probe_opts) = &opts.probe {
        emit(Phase::Probing, 0, 1);
        let mut o = probe_opts.clone();
        o.salt = per_drive_salt(&probe_opts.salt, index);
        o.seed = probe_opts.seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let r = probe(dev, &o).map_err(|e| fail(format!("probe failed: {e}")))?;
        report.real_bytes = Some(r.usable_bytes);
        let usable = r.usable_bytes;
        let kind = r.kind;
        report.probe = Some(r);
        emit(Phase::Probing, 1, 1);
        if kind != DriveKind::Genuine {
            let fake = format!(
                "fake capacity ({}): claims {} bytes, only {} are real",
                kind.as_str(),
                dev.len(),
                usable
            );
            if !opts.shrink {
                return Err(Stop(
                    Outcome::RejectedFake,
                    format!("{fake}; rejected (use --shrink to use the real part)"),
                ));
            }
            let needed = spec.size.max(spec.partition_end.unwrap_or(0));
            if usable < needed {
                return Err(Stop(
                    Outcome::RejectedFake,
                    format!(
                        "{fake}; cannot shrink: the image needs {needed} bytes, more than the real size"
                    ),
                ));
            }
            limit = usable;
            report.shrunk = true;
        }
    }

    // Write the image and the zeros after it.
    emit(Phase::Writing, 0, spec.size);
    let mut buf = AlignedBuf::new(CHUNK);
    let mut hasher = blake3::Hasher::new();
    let mut at = 0u64;
    while at < limit {
        let n = (limit - at).min(CHUNK as u64) as usize;
        let piece = &mut buf[..n];
        fill_stream(image, spec.data_end, piece, at)
            .map_err(|e| io_fail("reading the image", at, &e))?;
        let image_part = spec.data_end.saturating_sub(at).min(n as u64) as usize;
        hasher.update(&piece[..image_part]);
        if image_part > 0 && at + image_part as u64 == spec.data_end {
            // The whole data region has passed through: is it the one the manifest names?
            if *hasher.finalize().as_bytes() != spec.data_blake3 {
                return Err(fail(
                    "the image changed since its manifest was written: stopped",
                ));
            }
        }
        dev.write_at(piece, at)
            .map_err(|e| io_fail("write failed", at, &e))?;
        at += n as u64;
        if at <= spec.size {
            report.image_bytes = at;
            emit(Phase::Writing, at, spec.size);
        } else {
            report.image_bytes = spec.size;
            report.wiped_bytes = at - spec.size;
            emit(Phase::Wiping, at - spec.size, limit - spec.size);
        }
    }
    if spec.data_end == 0 && *hasher.finalize().as_bytes() != spec.data_blake3 {
        return Err(fail(
            "the image changed since its manifest was written: stopped",
        ));
    }

    emit(Phase::Syncing, 0, 1);
    dev.flush().map_err(|e| {
        fail(format!(
            "fsync failed (the drive reported a write error): {e}"
        ))
    })?;
    dev.drop_cache()
        .map_err(|e| fail(format!("dropping caches failed: {e}")))?;
    emit(Phase::Syncing, 1, 1);

    // Read back everything written.
    emit(Phase::Verifying, 0, limit);
    let mut hasher = blake3::Hasher::new();
    let mut at = 0u64;
    while at < limit {
        let n = (limit - at).min(CHUNK as u64) as usize;
        let piece = &mut buf[..n];
        dev.read_at(piece, at)
            .map_err(|e| io_fail("read-back failed", at, &e))?;
        let image_part = spec.data_end.saturating_sub(at).min(n as u64) as usize;
        hasher.update(&piece[..image_part]);
        if let Some(pos) = piece[image_part..].iter().position(|&b| b != 0) {
            return Err(fail(format!(
                "verification failed: byte {} after the image's data is not zero",
                at + (image_part + pos) as u64
            )));
        }
        at += n as u64;
        report.verified_bytes = at;
        emit(Phase::Verifying, at, limit);
    }
    let read_back = *hasher.finalize().as_bytes();
    report.read_back_blake3 = Some(hex::encode(read_back));
    if read_back != spec.data_blake3 {
        return Err(fail(format!(
            "verification failed: the image data read back has BLAKE3 {} but the manifest says {}",
            hex::encode(read_back),
            hex::encode(spec.data_blake3)
        )));
    }
    Ok(())
}

/// Writes `image` to every target at once, one thread per drive, and reports each.
///
/// `progress` is called from the drive threads. The reports come back in target order.
pub fn flash_all(
    image: &dyn ImageSource,
    spec: &ImageSpec,
    targets: Vec<Target<'_>>,
    opts: &FlashOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Vec<DriveReport> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .into_iter()
            .enumerate()
            .map(|(index, mut target)| {
                let label = target.label.clone();
                let serial = target.serial.clone();
                let claimed = target.device.len();
                let handle = scope.spawn(move || {
                    let mut report = DriveReport {
                        label: target.label.clone(),
                        serial: target.serial.clone(),
                        claimed_bytes: target.device.len(),
                        real_bytes: None,
                        probe: None,
                        shrunk: false,
                        image_bytes: 0,
                        wiped_bytes: 0,
                        verified_bytes: 0,
                        read_back_blake3: None,
                        outcome: Outcome::Passed,
                        error: None,
                    };
                    if let Err(Stop(outcome, message)) =
                        flash_one(index, image, spec, &mut target, opts, &mut report, progress)
                    {
                        report.outcome = outcome;
                        report.error = Some(message);
                    }
                    progress(Progress {
                        drive: index,
                        phase: Phase::Finished,
                        done: 1,
                        total: 1,
                    });
                    report
                });
                (handle, label, serial, claimed)
            })
            .collect();
        handles
            .into_iter()
            .map(|(handle, label, serial, claimed)| {
                handle.join().unwrap_or_else(|_| DriveReport {
                    label,
                    serial,
                    claimed_bytes: claimed,
                    real_bytes: None,
                    probe: None,
                    shrunk: false,
                    image_bytes: 0,
                    wiped_bytes: 0,
                    verified_bytes: 0,
                    read_back_blake3: None,
                    outcome: Outcome::Failed,
                    error: Some("internal error: the drive's writer thread panicked".into()),
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{FakeDrive, Fault, Faulty, Mapping};

    const MIB: u64 = 1 << 20;

    fn image(len: usize) -> (Vec<u8>, ImageSpec) {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 + i / 4096) as u8 | 1).collect();
        let spec = ImageSpec {
            size: len as u64,
            data_end: len as u64,
            data_blake3: *blake3::hash(&data).as_bytes(),
            partition_end: None,
        };
        (data, spec)
    }

    fn opts(shrink: bool) -> FlashOptions {
        FlashOptions {
            probe: Some(ProbeOptions::new([3; 32], 3)),
            shrink,
        }
    }

    /// Flashes one drive and returns its report.
    fn flash_one(
        data: &dyn ImageSource,
        spec: &ImageSpec,
        label: &str,
        device: &mut dyn Device,
        options: &FlashOptions,
    ) -> DriveReport {
        let targets = vec![Target {
            label: label.into(),
            serial: None,
            device,
        }];
        let mut reports = flash_all(data, spec, targets, options, &|_| {});
        assert_eq!(reports.len(), 1, "one target gives one report");
        reports.remove(0)
    }

    fn dirty(len: u64) -> FakeDrive {
        let mut d = FakeDrive::genuine(len);
        let junk = vec![0x5au8; MIB as usize];
        for i in 0..len / MIB {
            d.write_at(&junk, i * MIB).unwrap();
        }
        d
    }

    #[test]
    fn writes_wipes_and_verifies_several_drives() {
        let (data, spec) = image(3 * MIB as usize + 1000);
        let drives: Vec<FakeDrive> = (0..3).map(|_| dirty(32 * MIB)).collect();
        let mut handles: Vec<FakeDrive> = drives.clone();
        let targets = handles
            .iter_mut()
            .enumerate()
            .map(|(i, d)| Target {
                label: format!("d{i}"),
                serial: None,
                device: d as &mut dyn Device,
            })
            .collect();
        let reports = flash_all(&data, &spec, targets, &opts(false), &|_| {});
        for (r, d) in reports.iter().zip(&drives) {
            assert_eq!(r.outcome, Outcome::Passed, "{r:?}");
            assert_eq!(r.verified_bytes, 32 * MIB);
            let content = d.peek(0, 32 * MIB as usize).unwrap();
            assert_eq!(&content[..data.len()], &data[..]);
            assert!(
                content[data.len()..].iter().all(|&b| b == 0),
                "donor data must be wiped"
            );
        }
    }

    #[test]
    fn a_failing_drive_fails_alone() {
        let (data, spec) = image(2 * MIB as usize);
        let mut good = FakeDrive::genuine(16 * MIB);
        let mut vanishing = Faulty::new(FakeDrive::genuine(16 * MIB), Fault::VanishAt(MIB));
        let mut late = Faulty::new(FakeDrive::genuine(16 * MIB), Fault::FlushError);
        let mut small = FakeDrive::genuine(MIB);
        let targets = vec![
            Target {
                label: "good".into(),
                serial: Some("S1".into()),
                device: &mut good,
            },
            Target {
                label: "vanishing".into(),
                serial: None,
                device: &mut vanishing,
            },
            Target {
                label: "late".into(),
                serial: None,
                device: &mut late,
            },
            Target {
                label: "small".into(),
                serial: None,
                device: &mut small,
            },
        ];
        let reports = flash_all(
            &data,
            &spec,
            targets,
            &FlashOptions {
                probe: None,
                shrink: false,
            },
            &|_| {},
        );
        assert_eq!(reports[0].outcome, Outcome::Passed);
        assert_eq!(reports[0].serial.as_deref(), Some("S1"));
        assert_eq!(reports[1].outcome, Outcome::Failed);
        assert!(
            reports[1]
                .error
                .as_deref()
                .unwrap()
                .contains("write failed"),
            "{:?}",
            reports[1]
        );
        assert_eq!(reports[2].outcome, Outcome::Failed);
        assert!(
            reports[2].error.as_deref().unwrap().contains("fsync"),
            "{:?}",
            reports[2]
        );
        assert_eq!(reports[3].outcome, Outcome::Failed);
        assert!(
            reports[3]
                .error
                .as_deref()
                .unwrap()
                .contains("nothing written")
        );
        assert_eq!(small.bytes_written(), 0);
    }

    #[test]
    fn fake_drives_are_rejected_or_shrunk() {
        let (data, spec) = image(3 * MIB as usize);
        let fake = FakeDrive::new(256 * MIB, 32 * MIB, Mapping::Wraparound);
        let mut d = fake.clone();
        let r = flash_one(&data, &spec, "f", &mut d, &opts(false));
        assert_eq!(r.outcome, Outcome::RejectedFake, "{r:?}");
        assert_eq!(r.real_bytes, Some(32 * MIB));
        assert_eq!(r.image_bytes, 0);

        let mut d = fake.clone();
        let r = flash_one(&data, &spec, "f", &mut d, &opts(true));
        assert_eq!(r.outcome, Outcome::Passed, "{r:?}");
        assert!(r.shrunk);
        assert_eq!(r.verified_bytes, 32 * MIB);
        assert_eq!(&fake.peek(0, data.len()).unwrap()[..], &data[..]);

        let big = FakeDrive::new(256 * MIB, 2 * MIB, Mapping::Limbo { garbage: false });
        let mut d = big.clone();
        let r = flash_one(&data, &spec, "f", &mut d, &opts(true));
        assert_eq!(r.outcome, Outcome::RejectedFake);
        assert!(
            r.error.as_deref().unwrap().contains("cannot shrink"),
            "{r:?}"
        );
    }

    #[test]
    fn an_image_that_does_not_match_its_manifest_is_not_written_in_full() {
        let (data, mut spec) = image(MIB as usize);
        spec.data_blake3[0] ^= 1;
        let mut d = FakeDrive::genuine(8 * MIB);
        let r = flash_one(
            &data,
            &spec,
            "d",
            &mut d,
            &FlashOptions {
                probe: None,
                shrink: false,
            },
        );
        assert_eq!(r.outcome, Outcome::Failed);
        assert!(
            r.error
                .as_deref()
                .unwrap()
                .contains("changed since its manifest")
        );
        assert_eq!(
            d.bytes_written(),
            0,
            "the check happens before the chunk holding the image end is written"
        );
    }

    #[test]
    fn the_free_space_after_the_data_is_written_as_zeros_without_reading_the_image() {
        // The manifest says the image's data ends at 1 MiB; the image source holds garbage
        // after it (it is never read): the drive gets zeros there and verifies.
        let mut data: Vec<u8> = (0..4 * MIB as usize).map(|i| (i % 251) as u8 | 1).collect();
        let data_end = MIB as usize;
        let spec = ImageSpec {
            size: data.len() as u64,
            data_end: data_end as u64,
            data_blake3: *blake3::hash(&data[..data_end]).as_bytes(),
            partition_end: None,
        };
        let mut d = FakeDrive::genuine(8 * MIB);
        let no_probe = FlashOptions {
            probe: None,
            shrink: false,
        };
        let r = flash_one(&data, &spec, "d", &mut d, &no_probe);
        assert_eq!(r.outcome, Outcome::Passed, "{r:?}");
        let mut back = vec![0u8; 8 * MIB as usize];
        d.read_at(&mut back, 0).unwrap();
        assert_eq!(&back[..data_end], &data[..data_end]);
        assert!(back[data_end..].iter().all(|&b| b == 0));
        assert_eq!(r.image_bytes, spec.size);
        // A change inside the data region is still caught before it is written in full.
        data[10] ^= 1;
        let mut d = FakeDrive::genuine(8 * MIB);
        let r = flash_one(&data, &spec, "d", &mut d, &no_probe);
        assert_eq!(r.outcome, Outcome::Failed);
    }

    #[test]
    fn verification_catches_a_drive_that_lies_about_writes() {
        // A limbo fake flashed without a probe: the zeros beyond the real size read
        // back as garbage, and verification must say so.
        let (data, spec) = image(MIB as usize);
        let mut d = FakeDrive::new(64 * MIB, 16 * MIB, Mapping::Limbo { garbage: true });
        let r = flash_one(
            &data,
            &spec,
            "d",
            &mut d,
            &FlashOptions {
                probe: None,
                shrink: false,
            },
        );
        assert_eq!(r.outcome, Outcome::Failed);
        assert!(r.error.as_deref().unwrap().contains("not zero"), "{r:?}");
    }
}
