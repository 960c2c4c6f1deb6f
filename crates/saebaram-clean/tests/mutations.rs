//! Deterministic mutation smoke test (a complement to the cargo-fuzz targets in `fuzz/`):
//! thousands of bit flips, byte overwrites, truncations and splices of real files must give a
//! clean result or a blocked reason, never a panic, and cleaning must be deterministic.

use saebaram_clean::{Config, clean_bytes};

/// Real Red Star OS samples, copied into the repository (see `tests/data/redstar/SOURCES.md`).
const REDSTAR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/redstar");

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn mutated_real_files_never_panic() {
    let cfg = Config::default();
    let mut rng = XorShift(0x5AEB_A8A3);
    for name in ["preview_bottle_seconduser.jpg", "love.docx"] {
        let original =
            std::fs::read(format!("{REDSTAR}/{name}")).expect("tests/data/redstar fixture");
        let clean = clean_bytes(name, &original, &cfg);
        assert!(clean.result.is_ok(), "{name}: {:?}", clean.result);
        assert_eq!(
            clean_bytes(name, &original, &cfg),
            clean,
            "not deterministic"
        );
        let (mut ok, mut blocked) = (0, 0);
        for _ in 0..1500 {
            let mut d = original.clone();
            for _ in 0..1 + rng.below(4) {
                match rng.below(4) {
                    0 => {
                        let i = rng.below(d.len());
                        d[i] ^= 1 << rng.below(8);
                    }
                    1 => {
                        let i = rng.below(d.len());
                        d[i] = [0, 0xFF, 0x7F, 0x80][rng.below(4)];
                    }
                    2 => d.truncate(rng.below(d.len()) + 1),
                    _ => {
                        let i = rng.below(d.len());
                        let j = rng.below(d.len());
                        let chunk: Vec<u8> = d[j..(j + 64).min(d.len())].to_vec();
                        d.splice(i..i, chunk);
                    }
                }
            }
            match clean_bytes(name, &d, &cfg).result {
                Ok(_) => ok += 1,
                Err(reason) => {
                    assert!(!reason.reason.is_empty());
                    blocked += 1;
                }
            }
        }
        assert!(
            blocked > 0,
            "{name}: no mutation was blocked ({ok} accepted)"
        );
    }
}
