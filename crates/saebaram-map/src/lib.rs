//! Offline HTML maps for saebaram.
//!
//! Owns: the self-contained HTML page (map library and data embedded), its layers and its languages.
//! Must not know: how flights are computed; the network (the page never loads anything).
#![deny(missing_docs)]
