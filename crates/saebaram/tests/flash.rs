//! `saebaram drives`, `probe` and `flash` run as the real binary on regular files and
//! loop devices (root needed for loop devices: CI runs as root; without them these
//! tests FAIL loudly rather than pass), with fake sysfs/mountinfo trees to prove that
//! the system disk, mounted drives and unnamed drives are never written.

#[path = "../../saebaram-flash/tests/support/fuse_fake.rs"]
mod fuse_fake;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MIB: usize = 1 << 20;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_saebaram"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// An image with a manifest in the format `saebaram pack` writes (version 1).
fn make_image(dir: &Path, len: usize) -> (PathBuf, Vec<u8>) {
    let data: Vec<u8> = (0..len)
        .map(|i| ((i * 131 + i / 4096) % 251) as u8 | 1)
        .collect();
    let path = dir.join("payload.img");
    fs::write(&path, &data).unwrap();
    write_manifest(&path, &data);
    (path, data)
}

fn write_manifest(image: &Path, data: &[u8]) {
    let manifest = serde_json::json!({
        "version": 1,
        "image": { "size": data.len(), "blake3": blake3::hash(data).to_hex().to_string() },
        "partition": { "start_bytes": 4096, "size_bytes": data.len() - 4096, "type_code": 12 },
        "filesystem": { "kind": "FAT32", "cluster_size": 4096, "cluster_count": 1, "reserved_sectors": 32,
                        "fat_sectors": 1, "data_start_bytes": 8192, "used_bytes": 0, "free_bytes": 0 },
        "policy": { "volume_serial": "1A2B-3C4D", "disk_signature": "89abcdef", "label": null, "oem_name": "MSWIN4.1",
                    "timestamps": "fixed", "randomness": "test", "entry_order": "test" },
        "files": []
    });
    let mut name = image.as_os_str().to_owned();
    name.push(".manifest.json");
    fs::write(
        PathBuf::from(name),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
}

fn junk_file(path: &Path, len: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..len).map(|i| (i % 7) as u8 + 0xa0).collect();
    fs::write(path, &data).unwrap();
    data
}

fn assert_flashed(content: &[u8], image: &[u8]) {
    assert_eq!(&content[..image.len()], image, "the image region differs");
    assert!(
        content[image.len()..].iter().all(|&b| b == 0),
        "the rest of the drive was not wiped"
    );
}

/// A loop device over a file, detached on drop.
struct Loop {
    dev: PathBuf,
}

impl Loop {
    fn new(backing: &Path, read_only: bool) -> Loop {
        let mut last = String::new();
        for _ in 0..5 {
            let mut cmd = Command::new("losetup");
            cmd.arg("--find").arg("--show");
            if read_only {
                cmd.arg("--read-only");
            }
            match cmd.arg(backing).output() {
                Ok(o) if o.status.success() => {
                    let dev = String::from_utf8_lossy(&o.stdout).trim().to_string();
                    return Loop {
                        dev: PathBuf::from(dev),
                    };
                }
                Ok(o) => last = String::from_utf8_lossy(&o.stderr).into_owned(),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!(
            "LOOP DEVICES UNAVAILABLE: `losetup --find --show {}` failed: {last}\n\
             These tests need root and loop devices (CI runs as root); they do not pass silently.",
            backing.display()
        );
    }

    fn devnum(&self) -> String {
        use std::os::unix::fs::MetadataExt;
        let rdev = fs::metadata(&self.dev).unwrap().rdev();
        format!(
            "{}:{}",
            (rdev >> 8) & 0xfff,
            (rdev & 0xff) | ((rdev >> 12) & 0xfff00)
        )
    }

    fn name(&self) -> String {
        self.dev.file_name().unwrap().to_string_lossy().into_owned()
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.dev).status();
    }
}

/// A fake sysfs + udev + mountinfo tree.
struct FakeSys {
    root: PathBuf,
    mountinfo: String,
}

impl FakeSys {
    fn new(root: &Path) -> FakeSys {
        fs::create_dir_all(root.join("sys/block")).unwrap();
        fs::create_dir_all(root.join("udev")).unwrap();
        fs::write(root.join("swaps"), "Filename Type Size Used Priority\n").unwrap();
        let mut s = FakeSys {
            root: root.to_path_buf(),
            mountinfo: String::new(),
        };
        s.disk("vda", "254:0", 1 << 30, false, None);
        s.mount("254:0", "/", "/dev/vda");
        s
    }

    fn disk(
        &mut self,
        name: &str,
        devnum: &str,
        bytes: u64,
        removable: bool,
        serial: Option<&str>,
    ) {
        let dir = self.root.join("sys/block").join(name);
        fs::create_dir_all(dir.join("device")).unwrap();
        fs::create_dir_all(dir.join("holders")).unwrap();
        fs::create_dir_all(dir.join("slaves")).unwrap();
        fs::write(dir.join("dev"), format!("{devnum}\n")).unwrap();
        fs::write(dir.join("size"), format!("{}\n", bytes / 512)).unwrap();
        fs::write(dir.join("removable"), if removable { "1\n" } else { "0\n" }).unwrap();
        fs::write(dir.join("ro"), "0\n").unwrap();
        fs::write(dir.join("device/vendor"), "Test\n").unwrap();
        fs::write(dir.join("device/model"), "Stick\n").unwrap();
        if let Some(serial) = serial {
            fs::write(
                self.root.join("udev").join(format!("b{devnum}")),
                format!("E:ID_SERIAL_SHORT={serial}\n"),
            )
            .unwrap();
        }
    }

    fn mount(&mut self, devnum: &str, at: &str, source: &str) {
        let id = 30 + self.mountinfo.lines().count();
        self.mountinfo
            .push_str(&format!("{id} 1 {devnum} / {at} rw - ext4 {source} rw\n"));
        fs::write(self.root.join("mountinfo"), &self.mountinfo).unwrap();
    }

    fn args(&self) -> Vec<String> {
        vec![
            "--sysfs-root".into(),
            self.root.join("sys").display().to_string(),
            "--udev-root".into(),
            self.root.join("udev").display().to_string(),
            "--mountinfo".into(),
            self.root.join("mountinfo").display().to_string(),
            "--swaps".into(),
            self.root.join("swaps").display().to_string(),
        ]
    }
}

fn run_with(args: &[&str], sys: &FakeSys) -> Output {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(sys.args());
    bin().args(&all).output().expect("the binary runs")
}

#[test]
fn flashes_three_files_at_once_and_wipes_donor_data() {
    let dir = tempfile::tempdir().unwrap();
    let (img, data) = make_image(dir.path(), 3 * MIB + 4096);
    let targets: Vec<PathBuf> = (0..3)
        .map(|i| dir.path().join(format!("drive{i}.bin")))
        .collect();
    for t in &targets {
        junk_file(t, 16 * MIB);
    }
    let mut args = vec!["flash".to_string(), img.display().to_string()];
    args.extend(targets.iter().map(|t| t.display().to_string()));
    args.push("--json".into());
    let o = bin().args(&args).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "files need --to-files: {}",
        text(&o)
    );
    assert!(text(&o).contains("--to-files"), "{}", text(&o));
    args.push("--to-files".into());
    let o = bin().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["passed"], 3);
    for (i, t) in targets.iter().enumerate() {
        let d = &report["drives"][i];
        assert_eq!(d["outcome"], "passed", "{d}");
        assert_eq!(d["label"], t.display().to_string());
        assert_eq!(d["probe"]["kind"], "genuine");
        assert_eq!(d["verified_bytes"], 16 * MIB);
        assert_eq!(
            d["read_back_blake3"],
            blake3::hash(&data).to_hex().to_string()
        );
        assert_flashed(&fs::read(t).unwrap(), &data);
    }
}

#[test]
fn bad_input_gives_clear_errors_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (img, data) = make_image(dir.path(), 2 * MIB);
    let good = dir.path().join("good.bin");
    let before = junk_file(&good, 8 * MIB);
    let small = dir.path().join("small.bin");
    let small_before = junk_file(&small, MIB);
    let img_s = img.display().to_string();
    let good_s = good.display().to_string();

    // A nonexistent device among valid ones: nothing is written anywhere.
    let o = run(&["flash", "--to-files", &img_s, &good_s, "/nonexistent/sdz"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("/nonexistent/sdz"), "{}", text(&o));
    assert_eq!(fs::read(&good).unwrap(), before);

    // A device smaller than the image.
    let o = run(&[
        "flash",
        "--to-files",
        &img_s,
        &good_s,
        &small.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("the image needs"), "{}", text(&o));
    assert_eq!(fs::read(&good).unwrap(), before);
    assert_eq!(fs::read(&small).unwrap(), small_before);

    // The same drive twice.
    let o = run(&["flash", "--to-files", &img_s, &good_s, &good_s]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("named twice"), "{}", text(&o));

    // The image changed since its manifest (same size, one byte flipped).
    let mut changed = data.clone();
    changed[MIB] ^= 0x40;
    fs::write(&img, &changed).unwrap();
    let o = run(&["flash", "--to-files", &img_s, &good_s]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("changed since its manifest"),
        "{}",
        text(&o)
    );
    assert_eq!(fs::read(&good).unwrap(), before);

    // ... or grew.
    changed.push(0);
    fs::write(&img, &changed).unwrap();
    let o = run(&["flash", "--to-files", &img_s, &good_s]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("changed since its manifest"),
        "{}",
        text(&o)
    );

    // A missing or broken manifest.
    let o = run(&[
        "flash",
        &img_s,
        &good_s,
        "--manifest",
        "/nonexistent/m.json",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("/nonexistent/m.json"), "{}", text(&o));
    let broken = dir.path().join("broken.json");
    fs::write(&broken, b"{\"version\": 1, \"image\": 3}").unwrap();
    let o = run(&[
        "flash",
        &img_s,
        &good_s,
        "--manifest",
        &broken.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("broken.json"), "{}", text(&o));

    // No drive named.
    let o = run(&["flash", &img_s]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(fs::read(&good).unwrap(), before);
}

#[test]
fn loop_devices_are_written_with_o_direct_and_verified() {
    let dir = tempfile::tempdir().unwrap();
    let (img, data) = make_image(dir.path(), 3 * MIB);
    let backing_a = dir.path().join("a.bin");
    let backing_b = dir.path().join("b.bin");
    junk_file(&backing_a, 24 * MIB);
    junk_file(&backing_b, 20 * MIB);
    let a = Loop::new(&backing_a, false);
    let b = Loop::new(&backing_b, false);
    let mut sys = FakeSys::new(&dir.path().join("fake"));
    sys.disk(
        &a.name(),
        &a.devnum(),
        24 * MIB as u64,
        true,
        Some("SERIAL-A"),
    );
    sys.disk(&b.name(), &b.devnum(), 20 * MIB as u64, true, None);
    let o = run_with(
        &[
            "flash",
            &img.display().to_string(),
            &a.dev.display().to_string(),
            &b.dev.display().to_string(),
            "--json",
        ],
        &sys,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["drives"][0]["serial"], "SERIAL-A");
    for d in report["drives"].as_array().unwrap() {
        assert_eq!(d["open_mode"]["block_device"], true, "{d}");
        assert_eq!(
            d["open_mode"]["direct"], true,
            "loop devices take O_DIRECT: {d}"
        );
        assert_eq!(d["open_mode"]["exclusive"], true, "{d}");
    }
    assert_eq!(report["drives"][1]["outcome"], "passed");
    drop(a);
    drop(b);
    assert_flashed(&fs::read(&backing_a).unwrap(), &data);
    assert_flashed(&fs::read(&backing_b).unwrap(), &data);
}

#[test]
fn the_system_disk_mounted_drives_and_partitions_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = make_image(dir.path(), MIB);
    let img_s = img.display().to_string();
    let backing = dir.path().join("sys.bin");
    let before = junk_file(&backing, 8 * MIB);
    let lo = Loop::new(&backing, false);
    let dev = lo.dev.display().to_string();

    // The fake system says this loop device holds `/`.
    let mut sys = FakeSys::new(&dir.path().join("as-root"));
    sys.disk(&lo.name(), &lo.devnum(), 8 * MIB as u64, true, None);
    sys.mount(&lo.devnum(), "/", &dev);
    for cmd in [vec!["flash", &img_s, &dev], vec!["probe", &dev]] {
        let o = run_with(&cmd, &sys);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            text(&o).contains("holds the running system"),
            "{}",
            text(&o)
        );
    }
    let o = run_with(&["drives", "--json"], &sys);
    let drives: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let entry = drives
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == lo.name())
        .unwrap()
        .clone();
    assert_eq!(entry["system"], true);
    assert_eq!(entry["offered"], false);

    // ... or that it is mounted.
    let mut sys = FakeSys::new(&dir.path().join("as-mounted"));
    sys.disk(&lo.name(), &lo.devnum(), 8 * MIB as u64, true, None);
    sys.mount(&lo.devnum(), "/media/donor", &dev);
    let o = run_with(&["flash", &img_s, &dev], &sys);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("mounted at /media/donor"), "{}", text(&o));

    // ... or that it is a partition of another drive.
    let mut sys = FakeSys::new(&dir.path().join("as-partition"));
    sys.disk("sdq", "8:160", 64 * MIB as u64, true, None);
    let part = dir
        .path()
        .join("as-partition/sys/block/sdq")
        .join(lo.name());
    fs::create_dir_all(&part).unwrap();
    fs::write(part.join("dev"), lo.devnum()).unwrap();
    fs::write(part.join("partition"), "1").unwrap();
    let o = run_with(&["flash", &img_s, &dev], &sys);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("partition of /dev/sdq"), "{}", text(&o));

    // ... or does not know it at all: fail closed.
    let sys = FakeSys::new(&dir.path().join("unknown"));
    let o = run_with(&["flash", &img_s, &dev], &sys);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not in sysfs"), "{}", text(&o));

    drop(lo);
    assert_eq!(
        fs::read(&backing).unwrap(),
        before,
        "a refused drive must not be touched"
    );
}

#[test]
fn all_removable_writes_only_offered_drives() {
    let dir = tempfile::tempdir().unwrap();
    let (img, data) = make_image(dir.path(), MIB);
    let offered_file = dir.path().join("offered.bin");
    let fixed_file = dir.path().join("fixed.bin");
    junk_file(&offered_file, 8 * MIB);
    let fixed_before = junk_file(&fixed_file, 8 * MIB);
    let offered = Loop::new(&offered_file, false);
    let fixed = Loop::new(&fixed_file, false);
    let mut sys = FakeSys::new(&dir.path().join("fake"));
    sys.disk(
        &offered.name(),
        &offered.devnum(),
        8 * MIB as u64,
        true,
        Some("OFFERED"),
    );
    sys.disk(&fixed.name(), &fixed.devnum(), 8 * MIB as u64, false, None);

    let o = run_with(
        &["flash", &img.display().to_string(), "--all-removable"],
        &sys,
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "without --yes and without a terminal it must refuse: {}",
        text(&o)
    );
    assert!(text(&o).contains("--yes"), "{}", text(&o));

    let o = run_with(
        &[
            "flash",
            &img.display().to_string(),
            "--all-removable",
            "--yes",
            "--json",
        ],
        &sys,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["drives"].as_array().unwrap().len(), 1);
    assert_eq!(report["drives"][0]["serial"], "OFFERED");
    drop(offered);
    drop(fixed);
    assert_flashed(&fs::read(&offered_file).unwrap(), &data);
    assert_eq!(
        fs::read(&fixed_file).unwrap(),
        fixed_before,
        "a drive not offered must not be touched"
    );
}

#[test]
fn read_only_devices_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (img, _) = make_image(dir.path(), MIB);
    let backing = dir.path().join("ro.bin");
    junk_file(&backing, 8 * MIB);
    let lo = Loop::new(&backing, true);
    let mut sys = FakeSys::new(&dir.path().join("fake"));
    sys.disk(&lo.name(), &lo.devnum(), 8 * MIB as u64, true, None);
    let o = run_with(
        &[
            "flash",
            &img.display().to_string(),
            &lo.dev.display().to_string(),
        ],
        &sys,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("read-only"), "{}", text(&o));
}

#[test]
fn probe_of_a_genuine_loop_device_restores_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let backing = dir.path().join("p.bin");
    let before = junk_file(&backing, 64 * MIB);
    let lo = Loop::new(&backing, false);
    let mut sys = FakeSys::new(&dir.path().join("fake"));
    sys.disk(&lo.name(), &lo.devnum(), 64 * MIB as u64, true, None);
    let o = run_with(&["probe", &lo.dev.display().to_string(), "--json"], &sys);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["kind"], "genuine");
    assert_eq!(r["usable_bytes"], 64 * MIB);
    assert_eq!(r["restored"], true);
    assert!(r["bytes_written"].as_u64().unwrap() > 0);
    drop(lo);
    assert_eq!(
        fs::read(&backing).unwrap(),
        before,
        "probe must restore what it overwrote"
    );
}

#[test]
fn drives_lists_the_fake_tree() {
    let dir = tempfile::tempdir().unwrap();
    let mut sys = FakeSys::new(dir.path());
    sys.disk("sdb", "8:16", 32_000_000_000, true, Some("AA11"));
    sys.disk("sdc", "8:32", 16_000_000_000, true, None);
    sys.mount("8:32", "/media/x", "/dev/sdc");
    let o = run_with(&["drives"], &sys);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("/dev/vda") && out.contains("SYSTEM DISK"),
        "{out}"
    );
    assert!(
        out.contains("/dev/sdb")
            && out.contains("AA11")
            && out.contains("32.0 GB")
            && out.contains("offered"),
        "{out}"
    );
    assert!(out.contains("mounted at /media/x"), "{out}");
}

#[test]
fn drives_refuses_a_drive_whose_holders_cannot_be_read_issue_15() {
    let dir = tempfile::tempdir().unwrap();
    let mut sys = FakeSys::new(dir.path());
    sys.disk("sdb", "8:16", 32_000_000_000, true, Some("AA11"));
    let holders = dir.path().join("sys/block/sdb/holders");
    fs::remove_dir(&holders).unwrap();
    fs::write(&holders, b"").unwrap();
    let o = run_with(&["drives", "--json"], &sys);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let drives: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let sdb = drives
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "sdb")
        .unwrap();
    assert_eq!(sdb["offered"], false, "{sdb}");
    let reasons = sdb["refusals"].to_string();
    assert!(
        reasons.contains("sdb/holders") && reasons.contains("안전한지 확인할 수 없음"),
        "{reasons}"
    );
    let o = run_with(&["drives"], &sys);
    assert!(text(&o).contains("sdb/holders"), "{}", text(&o));
}

/// The acceptance test of the issue: `saebaram flash` on several real block devices at
/// once, one of them an emulated 4 GB fake with 64 MB real (FUSE file + loop device,
/// the real sysfs and mount table deciding what may be written).
#[test]
fn flash_rejects_an_emulated_fake_drive_and_writes_the_others() {
    use saebaram_flash::fakes::{FakeDrive, Mapping};
    assert!(
        Path::new("/dev/fuse").exists(),
        "FUSE UNAVAILABLE: /dev/fuse is missing; this test cannot run (it does not pass silently)"
    );
    let dir = tempfile::tempdir().unwrap();
    let (img, data) = make_image(dir.path(), 2 * MIB);
    let fake = FakeDrive::new(4 << 30, 64 * MIB as u64, Mapping::Wraparound);
    let emu = fuse_fake::Emulated::mount(&dir.path().join("mnt"), Box::new(fake.clone())).unwrap();
    let fake_loop = fuse_fake::Loop::attach(&emu.file, &[]);
    let backing: Vec<PathBuf> = (0..2)
        .map(|i| dir.path().join(format!("g{i}.bin")))
        .collect();
    for b in &backing {
        junk_file(b, 12 * MIB);
    }
    let loops: Vec<Loop> = backing.iter().map(|b| Loop::new(b, false)).collect();
    let mut args = vec![
        "flash".to_string(),
        img.display().to_string(),
        fake_loop.dev.display().to_string(),
    ];
    args.extend(loops.iter().map(|l| l.dev.display().to_string()));
    args.push("--json".into());
    let o = bin().args(&args).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "one drive rejected means exit 1: {}",
        text(&o)
    );
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let fake_row = &report["drives"][0];
    assert_eq!(fake_row["outcome"], "rejected-fake", "{fake_row}");
    assert_eq!(fake_row["real_bytes"], 64 * MIB);
    assert_eq!(fake_row["probe"]["kind"], "wraparound");
    assert!(
        fake_row["error"].as_str().unwrap().contains("--shrink"),
        "{fake_row}"
    );
    assert_eq!(report["passed"], 2);
    assert_eq!(report["rejected_fake"], 1);
    drop(loops);
    for b in &backing {
        assert_flashed(&fs::read(b).unwrap(), &data);
    }
    drop(fake_loop);
    drop(emu);
}

/// The real pipeline: an image and manifest built by `saebaram pack`, then flashed.
#[test]
fn flashes_an_image_built_by_pack() {
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("library");
    fs::create_dir_all(lib.join("docs")).unwrap();
    fs::write(lib.join("docs/readme.txt"), "새바람 test payload\n").unwrap();
    let img = dir.path().join("payload.img");
    let o = run(&[
        "pack",
        &lib.display().to_string(),
        "--out",
        &img.display().to_string(),
        "--fit",
        "--seed",
        "7",
    ]);
    assert_eq!(o.status.code(), Some(0), "pack: {}", text(&o));
    let data = fs::read(&img).unwrap();
    let targets: Vec<PathBuf> = (0..2)
        .map(|i| dir.path().join(format!("t{i}.bin")))
        .collect();
    for t in &targets {
        junk_file(t, data.len() + 3 * MIB);
    }
    let mut args = vec![
        "flash".to_string(),
        "--to-files".into(),
        "--json".into(),
        img.display().to_string(),
    ];
    args.extend(targets.iter().map(|t| t.display().to_string()));
    let o = bin().args(&args).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["passed"], 2, "{report}");
    for t in &targets {
        assert_flashed(&fs::read(t).unwrap(), &data);
    }
}
