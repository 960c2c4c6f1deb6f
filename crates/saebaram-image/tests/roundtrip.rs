//! Writer and reader against each other, and verify on damaged images (library level; the
//! CLI tests in `crates/saebaram/tests/image.rs` add fsck.fat and mtools as outside judges).

use std::fs;
use std::path::Path;

use saebaram_image::policy::{TimestampPolicy, seed_from_number};
use saebaram_image::reader::Volume;
use saebaram_image::verify::{Mismatch, verify};
use saebaram_image::{ImageSize, Layout, PackError, PackOptions, ScanOptions, pack};

fn put(dir: &Path, rel: &str, data: &[u8]) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

fn opts(seed: u64) -> PackOptions {
    PackOptions {
        size: ImageSize::Fit,
        label: None,
        timestamps: TimestampPolicy::default_random(),
        seed: seed_from_number(seed),
        randomness: format!("seed:{seed}"),
    }
}

fn library(dir: &Path) -> std::path::PathBuf {
    let lib = dir.join("lib");
    for i in 0..40 {
        // Many similar long names force ~N tails past ~9.
        put(
            &lib,
            &format!("영상 모음/Episode number {i:02} of the series.mp4"),
            &vec![i as u8; 700 * i],
        );
    }
    put(&lib, "a.txt", b"A");
    put(&lib, "A B.txt", b"AB");
    put(&lib, "empty", b"");
    put(&lib, "deep/er/and/deeper/still.txt", b"deep");
    lib
}

#[test]
fn reader_sees_exactly_what_the_writer_wrote() {
    let t = tempfile::tempdir().unwrap();
    let lib = library(t.path());
    let layout = Layout::scan(&lib, &ScanOptions::default()).unwrap();
    let img = t.path().join("x.img");
    let m = pack(&layout, &img, &opts(5), &mut |_, _| {}).unwrap();
    let mut vol = Volume::open(fs::File::open(&img).unwrap()).unwrap();
    let entries = vol.walk().unwrap();
    let files: Vec<_> = entries.iter().filter(|e| !e.is_dir).cloned().collect();
    assert_eq!(files.len(), m.files.len());
    let mut shorts = std::collections::HashSet::new();
    for e in &entries {
        let parent = e.path.rsplit_once('/').map(|p| p.0).unwrap_or("");
        assert!(
            shorts.insert((parent.to_owned(), e.short_name)),
            "duplicate short name {:?}",
            e.path
        );
    }
    for e in &files {
        let rec = m
            .file(&e.path)
            .unwrap_or_else(|| panic!("{} not in manifest", e.path));
        assert_eq!(e.size as u64, rec.size);
        assert_eq!(vol.hash_file(e).unwrap(), rec.blake3, "{}", e.path);
        let src = fs::read(lib.join(&e.path)).unwrap();
        assert_eq!(rec.blake3, blake3::hash(&src).to_hex().to_string());
    }
    // Entries come sorted by upper-cased name within each folder.
    let root: Vec<&str> = entries
        .iter()
        .filter(|e| !e.path.contains('/'))
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(root, ["A B.txt", "a.txt", "deep", "empty", "영상 모음"]);
    assert_eq!(&vol.oem_name, b"MSWIN4.1");
    assert_eq!(&vol.bpb_label, b"NO NAME    ");
}

#[test]
fn verify_names_each_kind_of_damage() {
    let t = tempfile::tempdir().unwrap();
    let lib = library(t.path());
    let layout = Layout::scan(&lib, &ScanOptions::default()).unwrap();
    let img = t.path().join("x.img");
    let m = pack(&layout, &img, &opts(6), &mut |_, _| {}).unwrap();
    let good = fs::read(&img).unwrap();
    let check = |bytes: &[u8], device: bool| {
        verify(
            std::io::Cursor::new(bytes),
            bytes.len() as u64,
            device,
            &m,
            &mut |_, _| {},
        )
        .unwrap()
    };
    assert!(check(&good, false).ok());

    // Serial changed in the boot sector.
    let mut b = good.clone();
    b[(1 << 20) + 67] ^= 0xFF;
    let r = check(&b, false);
    assert!(
        r.mismatches
            .iter()
            .any(|x| matches!(x, Mismatch::VolumeSerial { .. })),
        "{r:?}"
    );

    // A truncated target.
    let r = check(&good[..good.len() - 4096], true);
    assert!(
        r.mismatches
            .iter()
            .any(|x| matches!(x, Mismatch::TooSmall { .. })),
        "{r:?}"
    );

    // A longer device is fine, a longer image file is not.
    let mut longer = good.clone();
    longer.extend_from_slice(&[7; 512]);
    assert!(check(&longer, true).ok());
    assert!(!check(&longer, false).ok());

    // Garbage instead of the MBR: the volume cannot be read, said as such.
    let mut b = good.clone();
    b[510] = 0;
    let r = check(&b, false);
    assert!(
        r.mismatches
            .iter()
            .any(|x| matches!(x, Mismatch::Volume { .. })),
        "{r:?}"
    );

    // The manifest covers the data by hash and the free space as zeros: a byte hidden in the
    // free space is found without any hash of it.
    assert!(m.image.data_end < m.image.size);
    let mut b = good.clone();
    let hidden = m.image.data_end as usize + 12_345;
    b[hidden] = 0x42;
    let r = check(&b, false);
    assert!(
        r.mismatches.iter().any(
            |x| matches!(x, Mismatch::FreeSpaceNotZero { offset } if *offset == hidden as u64)
        ),
        "{r:?}"
    );

    // A file's size field changed.
    let mut b = good.clone();
    let pos = find(&b, b"EMPTY      ").unwrap();
    b[pos + 28] = 9;
    let r = check(&b, false);
    assert!(
        r.mismatches
            .iter()
            .any(|x| matches!(x, Mismatch::FileSize { path, .. } if path == "empty")),
        "{r:?}"
    );
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn does_not_fit_and_bad_sizes_are_refused_before_writing() {
    let t = tempfile::tempdir().unwrap();
    let lib = t.path().join("lib");
    put(&lib, "big.bin", &vec![1u8; 40 << 20]);
    let layout = Layout::scan(&lib, &ScanOptions::default()).unwrap();
    let img = t.path().join("x.img");
    let mut o = opts(1);
    o.size = ImageSize::Bytes(36 << 20);
    let err = pack(&layout, &img, &o, &mut |_, _| {}).unwrap_err();
    let PackError::NoFit { overflow, .. } = &err else {
        panic!("{err}")
    };
    assert!(*overflow > 4 << 20 && *overflow < 8 << 20, "{err}");
    assert!(err.to_string().contains("big.bin"), "{err}");
    o.size = ImageSize::Bytes(10 << 20);
    let err = pack(&layout, &img, &o, &mut |_, _| {}).unwrap_err();
    assert!(matches!(err, PackError::BadSize { .. }), "{err}");
    assert!(!img.exists());
    assert_eq!(
        fs::read_dir(t.path()).unwrap().count(),
        1,
        "only lib/ remains"
    );
}

#[test]
fn fit_picks_the_windows_cluster_for_the_final_size() {
    let t = tempfile::tempdir().unwrap();
    let lib = t.path().join("lib");
    put(&lib, "f.bin", &vec![3u8; 70 << 20]);
    let layout = Layout::scan(&lib, &ScanOptions::default()).unwrap();
    let img = t.path().join("x.img");
    let m = pack(&layout, &img, &opts(1), &mut |_, _| {}).unwrap();
    assert_eq!(m.filesystem.cluster_size, 1024);
    assert!(
        m.image.size >= (70 << 20) && m.image.size < (74 << 20),
        "{}",
        m.image.size
    );
    assert_eq!(m.image.size % (1 << 20), 0);
    // Sparse: the file takes about its content on disk, not its size.
    use std::os::unix::fs::MetadataExt;
    let on_disk = fs::metadata(&img).unwrap().blocks() * 512;
    assert!(on_disk < m.image.size + (1 << 20), "{on_disk}");
}
