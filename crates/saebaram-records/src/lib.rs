//! Encrypted campaign records for saebaram.
//!
//! Owns: the SQLCipher database, key derivation, schema migrations, reports, encrypted export and import between cells.
//! Must not know: balloons, winds, images or drives beyond the facts handed to it; terminals.
#![deny(missing_docs)]
