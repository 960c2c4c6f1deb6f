//! The records passphrase never crosses HTTP in the clear, so that no buffer of the HTTP
//! library (which this crate cannot zeroise: hyper reads requests into its own, reused
//! buffers) ever holds it.
//!
//! Before unlocking, the page asks for a one-time key (`GET /api/records/key`): the server
//! draws an ephemeral P-256 key pair and sends its public half. The page draws its own
//! (WebCrypto), derives the shared secret (ECDH), HKDF-SHA-256 of it ([`SALT`], [`INFO`])
//! gives an AES-256-GCM key, and it sends its public key, the nonce and the sealed form.
//! The server takes the ephemeral secret out of the pending list (each is used once, at
//! most [`MAX_PENDING`] wait), derives the same key and opens the form into a zeroised
//! buffer; the ephemeral secret, the shared secret and the AES key are zeroised when
//! dropped. What stays in the HTTP buffers is two public keys and a ciphertext that no
//! remaining secret opens.

use std::sync::Mutex;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use p256::ecdh::EphemeralSecret;
use p256::elliptic_curve::rand_core::{CryptoRng, RngCore};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::i18n::Message;

/// HKDF salt; the page uses the same bytes (`web/app.js`, `sealForm`).
pub(crate) const SALT: &[u8] = b"saebaram app unlock v1";
/// HKDF info.
pub(crate) const INFO: &[u8] = b"records passphrase";
/// Most one-time keys waiting for their form (several tabs); the oldest goes first.
pub(crate) const MAX_PENDING: usize = 8;

/// The message codes this module sends (each needs `msg.<code>`).
pub(crate) const CODES: &[&str] = &["unlock_expired", "unlock_unreadable"];

/// The operating system's random generator, for the ephemeral keys.
struct OsRandom;

impl RngCore for OsRandom {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }
    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        // The server cannot run without randomness: its link token needs it too.
        if let Err(e) = getrandom::fill(dest) {
            panic!("the operating system gave no random bytes: {e}");
        }
    }
    fn try_fill_bytes(
        &mut self,
        dest: &mut [u8],
    ) -> Result<(), p256::elliptic_curve::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for OsRandom {}

/// One-time keys waiting for their sealed form.
#[derive(Default)]
pub(crate) struct Sealer {
    pending: Mutex<Vec<(String, EphemeralSecret)>>,
}

/// What the page sends: which one-time key, its own public key, the nonce and the sealed
/// form, all hex.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sealed {
    key_id: String,
    public: String,
    iv: String,
    sealed: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(what: &str, text: &str) -> Result<Vec<u8>, Message> {
    let bad = || Message::new("unlock_unreadable", format!("{what} is not hexadecimal"));
    if !text.len().is_multiple_of(2) {
        return Err(bad());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

impl Sealer {
    /// A new one-time key: `{"id", "public"}` (uncompressed SEC1 point, hex).
    pub(crate) fn offer(&self) -> Result<Value, Message> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| Message::new("random", e.to_string()))?;
        let id = hex(&id);
        let secret = EphemeralSecret::random(&mut OsRandom);
        let public = hex(secret.public_key().to_encoded_point(false).as_bytes());
        let mut pending = crate::registry::lock(&self.pending);
        if pending.len() >= MAX_PENDING {
            pending.remove(0);
        }
        pending.push((id.clone(), secret));
        Ok(json!({ "id": id, "public": public }))
    }

    /// Opens a sealed form with its one-time key (used up, whatever the outcome).
    pub(crate) fn open(&self, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, Message> {
        let secret = {
            let mut pending = crate::registry::lock(&self.pending);
            let at = pending.iter().position(|(id, _)| *id == sealed.key_id);
            at.map(|i| pending.remove(i).1).ok_or_else(|| {
                Message::new(
                    "unlock_expired",
                    "the one-time key of this form is unknown or used",
                )
            })?
        };
        let unreadable = |what: &str| Message::new("unlock_unreadable", what.to_owned());
        let public = p256::PublicKey::from_sec1_bytes(&unhex("public", &sealed.public)?)
            .map_err(|_| unreadable("the page's public key is not a P-256 point"))?;
        let iv = unhex("iv", &sealed.iv)?;
        if iv.len() != 12 {
            return Err(unreadable("the nonce is not 12 bytes"));
        }
        let shared = secret.diffie_hellman(&public);
        drop(secret);
        let mut key = Zeroizing::new([0u8; 32]);
        shared
            .extract::<sha2::Sha256>(Some(SALT))
            .expand(INFO, &mut key[..])
            .map_err(|_| unreadable("key derivation"))?;
        drop(shared);
        let cipher = Aes256Gcm::new_from_slice(&key[..]).map_err(|_| unreadable("key length"))?;
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&iv),
                unhex("sealed", &sealed.sealed)?.as_slice(),
            )
            .map_err(|_| unreadable("the sealed form does not open with its key"))?;
        Ok(Zeroizing::new(plain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the page does, with the same primitives.
    fn seal(offer: &Value, plain: &[u8]) -> Sealed {
        let page = EphemeralSecret::random(&mut OsRandom);
        let server = p256::PublicKey::from_sec1_bytes(
            &unhex("public", offer["public"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
        let mut key = [0u8; 32];
        page.diffie_hellman(&server)
            .extract::<sha2::Sha256>(Some(SALT))
            .expand(INFO, &mut key)
            .unwrap();
        let iv = [7u8; 12];
        let sealed = Aes256Gcm::new_from_slice(&key)
            .unwrap()
            .encrypt(Nonce::from_slice(&iv), plain)
            .unwrap();
        Sealed {
            key_id: offer["id"].as_str().unwrap().to_owned(),
            public: hex(page.public_key().to_encoded_point(false).as_bytes()),
            iv: hex(&iv),
            sealed: hex(&sealed),
        }
    }

    #[test]
    fn a_sealed_form_opens_once_and_its_ciphertext_hides_the_passphrase() {
        let s = Sealer::default();
        let offer = s.offer().unwrap();
        let form = br#"{"passphrase":"correct horse"}"#;
        let sealed = seal(&offer, form);
        assert!(!sealed.sealed.contains(&hex(b"correct horse")));
        assert_eq!(s.open(&sealed).unwrap().as_slice(), form);
        // Used up: the same form again (a replay) is refused.
        assert_eq!(s.open(&sealed).unwrap_err().code, "unlock_expired");
    }

    #[test]
    fn a_tampered_or_foreign_form_is_refused() {
        let s = Sealer::default();
        let mut sealed = seal(&s.offer().unwrap(), b"{}");
        let last = sealed.sealed.pop().unwrap();
        sealed.sealed.push(if last == '0' { '1' } else { '0' });
        assert_eq!(s.open(&sealed).unwrap_err().code, "unlock_unreadable");
        // Sealed for another key.
        let other = Sealer::default();
        let mut sealed = seal(&other.offer().unwrap(), b"{}");
        sealed.key_id = s.offer().unwrap()["id"].as_str().unwrap().to_owned();
        assert_eq!(s.open(&sealed).unwrap_err().code, "unlock_unreadable");
        let mut bad = seal(&s.offer().unwrap(), b"{}");
        bad.public = "zz".into();
        assert_eq!(s.open(&bad).unwrap_err().code, "unlock_unreadable");
    }

    #[test]
    fn at_most_a_few_keys_wait() {
        let s = Sealer::default();
        let first = s.offer().unwrap();
        for _ in 0..MAX_PENDING {
            s.offer().unwrap();
        }
        let sealed = seal(&first, b"{}");
        assert_eq!(s.open(&sealed).unwrap_err().code, "unlock_expired");
    }
}
