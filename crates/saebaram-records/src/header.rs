//! The 16 clear bytes at the start of a records database and the Argon2id key derivation.
//!
//! ```text
//! byte 0      0xEB         marker, header format 1
//! byte 1      log2(m)      Argon2id memory in KiB, as a power of two (3..=22)
//! byte 2      t            Argon2id passes (1..=16)
//! byte 3      p            Argon2id lanes (1..=16)
//! bytes 4-15  salt         12 random bytes
//! ```
//!
//! SQLCipher keeps a clear 16-byte salt at the start of every database file; we choose
//! those 16 bytes ourselves (raw key + salt form of `PRAGMA key`). The same 16 bytes are the
//! Argon2id salt, so the parameters are authenticated by the key itself. These bytes show
//! that the file is probably a saebaram records database; nothing else is readable.

use std::io::Read;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version as ArgonVersion};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Length of the clear header.
pub const HEADER_LEN: usize = 16;
/// Marker byte (header format 1).
const MARKER: u8 = 0xEB;
/// Length of a derived key.
pub const KEY_LEN: usize = 32;

/// Argon2id cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// log2 of the memory in KiB (16 = 64 MiB).
    pub log2_m_kib: u8,
    /// Passes over memory.
    pub t: u8,
    /// Lanes.
    pub p: u8,
}

impl KdfParams {
    /// The default cost: 64 MiB, 3 passes, 1 lane (about 0.44 s on our loaded 2-core test machine; see
    /// `bench/records/RESULTS.md`). OWASP's first Argon2id recommendation is 46 MiB, t=1.
    pub const DEFAULT: KdfParams = KdfParams {
        log2_m_kib: 16,
        t: 3,
        p: 1,
    };
    /// A deliberately cheap cost (8 KiB, 1 pass) for tests only.
    pub const INSECURE_TEST: KdfParams = KdfParams {
        log2_m_kib: 3,
        t: 1,
        p: 1,
    };

    /// Checks the ranges a header can hold and Argon2 accepts.
    pub fn validate(self) -> Result<Self> {
        if !(3..=22).contains(&self.log2_m_kib) {
            return Err(Error::Kdf(format!(
                "memory 2^{} KiB is outside 8 KiB..4 GiB",
                self.log2_m_kib
            )));
        }
        if !(1..=16).contains(&self.t) {
            return Err(Error::Kdf(format!("{} passes is outside 1..=16", self.t)));
        }
        if !(1..=16).contains(&self.p) {
            return Err(Error::Kdf(format!("{} lanes is outside 1..=16", self.p)));
        }
        if u32::from(self.p) * 8 > (1u32 << self.log2_m_kib) {
            return Err(Error::Kdf(format!(
                "{} lanes need at least {} KiB of memory",
                self.p,
                u32::from(self.p) * 8
            )));
        }
        Ok(self)
    }

    /// Memory in KiB.
    pub fn m_kib(self) -> u32 {
        1u32 << self.log2_m_kib
    }
}

impl std::fmt::Display for KdfParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kib = self.m_kib();
        if kib >= 1024 {
            write!(
                f,
                "Argon2id m={} MiB, t={}, p={}",
                kib / 1024,
                self.t,
                self.p
            )
        } else {
            write!(f, "Argon2id m={kib} KiB, t={}, p={}", self.t, self.p)
        }
    }
}

/// The parsed clear header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Key-derivation cost.
    pub kdf: KdfParams,
    /// Random salt.
    pub salt: [u8; 12],
}

impl Header {
    /// The 16 bytes as written at the start of the file.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = MARKER;
        out[1] = self.kdf.log2_m_kib;
        out[2] = self.kdf.t;
        out[3] = self.kdf.p;
        out[4..].copy_from_slice(&self.salt);
        out
    }

    /// Parses 16 bytes; `Err(why)` if they are not a records header.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> std::result::Result<Header, String> {
        if bytes.starts_with(b"SQLite format 3\0") {
            return Err("it is a plain, unencrypted SQLite database".into());
        }
        if bytes[0] != MARKER {
            return Err("no records header at the start of the file".into());
        }
        let kdf = KdfParams {
            log2_m_kib: bytes[1],
            t: bytes[2],
            p: bytes[3],
        }
        .validate()
        .map_err(|err| format!("its header is damaged ({err})"))?;
        let mut salt = [0u8; 12];
        salt.copy_from_slice(&bytes[4..]);
        Ok(Header { kdf, salt })
    }

    /// Reads and parses the header of an existing file.
    pub fn read(path: &Path) -> Result<Header> {
        let mut file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Missing {
                    path: path.to_path_buf(),
                });
            }
            Err(err) => return Err(Error::io("cannot open", path, err)),
        };
        let mut bytes = [0u8; HEADER_LEN];
        let mut filled = 0;
        while filled < HEADER_LEN {
            let n = file
                .read(&mut bytes[filled..])
                .map_err(|err| Error::io("cannot read", path, err))?;
            if n == 0 {
                return Err(Error::NotRecords {
                    path: path.to_path_buf(),
                    why: format!("it is only {filled} bytes long"),
                });
            }
            filled += n;
        }
        Header::parse(&bytes).map_err(|why| Error::NotRecords {
            path: path.to_path_buf(),
            why,
        })
    }

    /// Argon2id(passphrase, header bytes) -> 256-bit key.
    pub fn derive_key(&self, passphrase: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>> {
        if passphrase.is_empty() {
            return Err(Error::EmptyPassphrase);
        }
        let kdf = self.kdf.validate()?;
        let params = Params::new(
            kdf.m_kib(),
            u32::from(kdf.t),
            u32::from(kdf.p),
            Some(KEY_LEN),
        )
        .map_err(|err| Error::Kdf(err.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, ArgonVersion::V0x13, params);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        argon
            .hash_password_into(passphrase, &self.to_bytes(), key.as_mut())
            .map_err(|err| Error::Kdf(err.to_string()))?;
        Ok(key)
    }

    /// The `PRAGMA key` statement for this key: raw key followed by the salt, in hex.
    pub(crate) fn key_pragma(&self, key: &[u8; KEY_LEN]) -> Zeroizing<String> {
        let mut sql = Zeroizing::new(String::with_capacity(128));
        sql.push_str("PRAGMA key = \"x'");
        push_hex(&mut sql, key);
        push_hex(&mut sql, &self.to_bytes());
        sql.push_str("'\";");
        sql
    }
}

/// Appends `bytes` as lowercase hex, through a buffer that is wiped afterwards (the key
/// must not linger in a freed allocation).
fn push_hex(out: &mut String, bytes: &[u8]) {
    let mut digits = Zeroizing::new(vec![0u8; bytes.len() * 2]);
    hex::encode_to_slice(bytes, &mut digits).expect("the buffer is twice the input's length");
    out.extend(digits.iter().map(|&digit| char::from(digit)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips() {
        let header = Header {
            kdf: KdfParams::DEFAULT,
            salt: [7; 12],
        };
        assert_eq!(Header::parse(&header.to_bytes()), Ok(header));
    }

    #[test]
    fn plain_sqlite_and_garbage_are_named() {
        let plain = *b"SQLite format 3\0";
        assert!(
            Header::parse(&plain)
                .unwrap_err()
                .contains("unencrypted SQLite")
        );
        assert!(
            Header::parse(&[0u8; 16])
                .unwrap_err()
                .contains("no records header")
        );
        let mut bad = Header {
            kdf: KdfParams::DEFAULT,
            salt: [1; 12],
        }
        .to_bytes();
        bad[1] = 40;
        assert!(Header::parse(&bad).unwrap_err().contains("damaged"));
    }

    #[test]
    fn key_depends_on_passphrase_salt_and_cost() {
        let a = Header {
            kdf: KdfParams::INSECURE_TEST,
            salt: [1; 12],
        };
        let b = Header {
            kdf: KdfParams::INSECURE_TEST,
            salt: [2; 12],
        };
        let c = Header {
            kdf: KdfParams {
                t: 2,
                ..KdfParams::INSECURE_TEST
            },
            salt: [1; 12],
        };
        let ka = a.derive_key(b"pass").unwrap();
        assert_eq!(*ka, *a.derive_key(b"pass").unwrap());
        assert_ne!(*ka, *a.derive_key(b"Pass").unwrap());
        assert_ne!(*ka, *b.derive_key(b"pass").unwrap());
        assert_ne!(*ka, *c.derive_key(b"pass").unwrap());
        assert!(matches!(a.derive_key(b""), Err(Error::EmptyPassphrase)));
    }

    #[test]
    fn key_pragma_is_raw_key_then_salt() {
        let header = Header {
            kdf: KdfParams::INSECURE_TEST,
            salt: [0xab; 12],
        };
        let sql = header.key_pragma(&[0x01; 32]);
        assert_eq!(sql.len(), "PRAGMA key = \"x'".len() + 96 + "'\";".len());
        assert!(sql.contains(&format!("{}eb030101{}", "01".repeat(32), "ab".repeat(12))));
    }
}
