//! Every limit on the work an inventory can ask of fleetc, in one table.
//!
//! The inventory is written by many hands, so no input may make fleetc
//! read, compute or allocate without bound. Each limit has a default that a
//! real fleet stays well inside and a `fleetc.yaml` setting (`limits:`) for
//! the fleet that needs more; an input over a limit is an error naming the
//! file, the limit and the setting, found before the work it would cost.
//! Nesting depth is not listed: the YAML and JSON parsers refuse documents
//! nested deeper than 128 levels, which no inventory needs.

use serde::Deserialize;

/// The limits of one compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one inventory file, template or `fleetc.yaml`.
    pub file_bytes: u64,
    /// YAML documents (or JSON array items) in one file.
    pub documents: usize,
    /// Alias references (`*name`) in one file.
    pub aliases: usize,
    /// Bytes that the aliases of one file expand to, all together.
    pub alias_bytes: u64,
    /// Steps of one template render or `${ }` expression (minijinja fuel).
    pub fuel: u64,
    /// Bytes of one string value after `${ }` expansion.
    pub value_bytes: usize,
    /// Bytes of one rendered manifest (etcd refuses objects over 1.5 MB).
    pub manifest_bytes: usize,
    /// Applications one compile renders.
    pub applications: usize,
    /// Bytes of memory fleetc may hold at once.
    pub memory_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            file_bytes: 8 << 20,
            documents: 10_000,
            aliases: 1_000,
            alias_bytes: 1 << 20,
            fuel: 200_000,
            value_bytes: 256 << 10,
            manifest_bytes: 1 << 20,
            applications: 1_000_000,
            memory_bytes: 8 << 30,
        }
    }
}

/// `limits:` in `fleetc.yaml`, as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLimits {
    #[serde(default)]
    pub(crate) file_bytes: Option<u64>,
    #[serde(default)]
    pub(crate) documents: Option<usize>,
    #[serde(default)]
    pub(crate) aliases: Option<usize>,
    #[serde(default)]
    pub(crate) alias_bytes: Option<u64>,
    #[serde(default)]
    pub(crate) fuel: Option<u64>,
    #[serde(default)]
    pub(crate) value_bytes: Option<usize>,
    #[serde(default)]
    pub(crate) manifest_bytes: Option<usize>,
    #[serde(default)]
    pub(crate) applications: Option<usize>,
    #[serde(default)]
    pub(crate) memory_bytes: Option<u64>,
}

impl Limits {
    /// The limits `raw` sets, each a default where it sets none.
    pub(crate) fn from_raw(raw: &RawLimits) -> Limits {
        let d = Limits::default();
        Limits {
            file_bytes: raw.file_bytes.unwrap_or(d.file_bytes),
            documents: raw.documents.unwrap_or(d.documents),
            aliases: raw.aliases.unwrap_or(d.aliases),
            alias_bytes: raw.alias_bytes.unwrap_or(d.alias_bytes),
            fuel: raw.fuel.unwrap_or(d.fuel),
            value_bytes: raw.value_bytes.unwrap_or(d.value_bytes),
            manifest_bytes: raw.manifest_bytes.unwrap_or(d.manifest_bytes),
            applications: raw.applications.unwrap_or(d.applications),
            memory_bytes: raw.memory_bytes.unwrap_or(d.memory_bytes),
        }
    }
}

/// `limits.<name>` in `fleetc.yaml`, for messages: "raise it with ...".
pub(crate) fn setting(name: &str) -> String {
    format!("`limits: {{{name}: ...}}` in fleetc.yaml")
}
