//! `fleetc schema`: a JSON Schema of the inventory documents.

use super::{emit, to_json};
use crate::base::error::{Error, Result};
use crate::cli::args::SchemaArgs;
use crate::cli::EXIT_OK;

pub(super) fn run(args: SchemaArgs) -> Result<i32> {
    let kind = args.kind;
    let schema = crate::load::schema::schema(&kind)
        .ok_or_else(|| Error::Usage(format!("no schema `{kind}`")))?;
    emit(&to_json(&schema))?;
    Ok(EXIT_OK)
}
