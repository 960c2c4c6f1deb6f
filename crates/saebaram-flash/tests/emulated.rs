//! Emulated fake drives reached through the product's own device path: a FUSE file
//! served by an in-process fake, behind a loop device, opened by `FileDevice`
//! (`O_EXCL|O_DIRECT`). Needs root, `/dev/fuse` and loop devices (CI runs as root);
//! without them the tests FAIL with a message saying so.

#[path = "support/fuse_fake.rs"]
mod fuse_fake;

use fuse_fake::{Emulated, Loop};
use saebaram_flash::device::{Device, FileDevice};
use saebaram_flash::engine::{FlashOptions, ImageSpec, Outcome, Target, flash_all};
use saebaram_flash::fakes::{FakeDrive, Fault, Faulty, Mapping};
use saebaram_flash::probe::{DriveKind, ProbeOptions, probe};

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

fn need_fuse() {
    assert!(
        std::path::Path::new("/dev/fuse").exists(),
        "FUSE UNAVAILABLE: /dev/fuse is missing; the emulated-drive tests cannot run (they do not pass silently)"
    );
}

#[test]
fn probe_finds_an_emulated_wraparound_fake_through_a_loop_device() {
    need_fuse();
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeDrive::new(32 * GIB, 2 * GIB, Mapping::Wraparound);
    let emu = Emulated::mount(&dir.path().join("mnt"), Box::new(fake.clone())).unwrap();
    let lo = Loop::attach(&emu.file, &[]);
    let mut dev = FileDevice::open(&lo.dev).unwrap();
    assert!(dev.mode().block_device && dev.mode().exclusive);
    assert_eq!(dev.len(), 32 * GIB);
    let r = probe(&mut dev, &ProbeOptions::new([1; 32], 1)).unwrap();
    assert_eq!(r.kind, DriveKind::Wraparound, "{r:?}");
    assert_eq!(r.usable_bytes, 2 * GIB);
    assert!(r.bytes_written_to_detect <= 4 * MIB, "{r:?}");
    drop(dev);
    drop(lo);
    drop(emu);
}

#[test]
fn flash_rejects_an_emulated_limbo_fake_and_passes_a_genuine_one_at_the_same_time() {
    need_fuse();
    let dir = tempfile::tempdir().unwrap();
    let image: Vec<u8> = (0..2 * MIB as usize).map(|i| (i % 253) as u8).collect();
    let spec = ImageSpec {
        size: image.len() as u64,
        data_end: image.len() as u64,
        data_blake3: *blake3::hash(&image).as_bytes(),
        partition_end: None,
    };
    let fake = FakeDrive::new(4 * GIB, 64 * MIB, Mapping::Limbo { garbage: false });
    let genuine = FakeDrive::genuine(48 * MIB);
    let failing = Faulty::new(FakeDrive::genuine(48 * MIB), Fault::WriteErrorAt(MIB));
    let e1 = Emulated::mount(&dir.path().join("fake"), Box::new(fake.clone())).unwrap();
    let e2 = Emulated::mount(&dir.path().join("genuine"), Box::new(genuine.clone())).unwrap();
    let e3 = Emulated::mount(&dir.path().join("failing"), Box::new(failing)).unwrap();
    let l1 = Loop::attach(&e1.file, &[]);
    let l2 = Loop::attach(&e2.file, &[]);
    let l3 = Loop::attach(&e3.file, &[]);
    let mut d1 = FileDevice::open(&l1.dev).unwrap();
    let mut d2 = FileDevice::open(&l2.dev).unwrap();
    let mut d3 = FileDevice::open(&l3.dev).unwrap();
    let targets = vec![
        Target {
            label: "fake".into(),
            serial: None,
            device: &mut d1 as &mut dyn Device,
        },
        Target {
            label: "genuine".into(),
            serial: None,
            device: &mut d2,
        },
        Target {
            label: "failing".into(),
            serial: None,
            device: &mut d3,
        },
    ];
    let opts = FlashOptions {
        probe: Some(ProbeOptions::new([2; 32], 2)),
        shrink: false,
    };
    let reports = flash_all(&image, &spec, targets, &opts, &|_| {});
    assert_eq!(
        reports[0].outcome,
        Outcome::RejectedFake,
        "{:?}",
        reports[0]
    );
    assert_eq!(reports[0].real_bytes, Some(64 * MIB));
    assert_eq!(reports[1].outcome, Outcome::Passed, "{:?}", reports[1]);
    assert_eq!(reports[2].outcome, Outcome::Failed, "{:?}", reports[2]);
    assert_eq!(&genuine.peek(0, image.len()).unwrap()[..], &image[..]);
    assert!(
        genuine
            .peek(image.len() as u64, (46 * MIB) as usize)
            .unwrap()
            .iter()
            .all(|&b| b == 0)
    );

    // With --shrink the same fake is written up to its real size and verified.
    let opts = FlashOptions {
        probe: Some(ProbeOptions::new([3; 32], 3)),
        shrink: true,
    };
    let reports = flash_all(
        &image,
        &spec,
        vec![Target {
            label: "fake".into(),
            serial: None,
            device: &mut d1,
        }],
        &opts,
        &|_| {},
    );
    assert_eq!(reports[0].outcome, Outcome::Passed, "{:?}", reports[0]);
    assert!(reports[0].shrunk);
    assert_eq!(reports[0].verified_bytes, 64 * MIB);
    drop((d1, d2, d3));
    drop((l1, l2, l3));
    drop((e1, e2, e3));
}
