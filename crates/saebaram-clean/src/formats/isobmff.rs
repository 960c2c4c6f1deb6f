//! Not built yet: blocks.

use super::Ctx;
use crate::error::{Blocked, block};

/// Blocks: this format is not cleaned yet.
pub(crate) fn clean(_d: &[u8], _cx: &Ctx, _removed: &mut Vec<String>) -> Result<Vec<u8>, Blocked> {
    Err(block!("cleaning this format is not implemented yet"))
}
