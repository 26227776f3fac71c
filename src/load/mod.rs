//! Loading: read the inventory's files ([`files`], the only part that
//! touches the disk), parse them, and sort their documents by kind into raw
//! (unchecked) structs.
//!
//! Every `*.yaml`, `*.yml` and `*.json` under the root is read, filtered by
//! the `include` / `exclude` globs of `fleetc.yaml`. Hidden entries, the
//! template folder and any folder fleetc rendered (it holds a
//! `.fleetc-manifest`) are never inventory. A document's kind is its `kind:`
//! field, or else its top-level folder. Problems are collected, never
//! returned one at a time.

mod files;
pub(crate) mod raw;
pub(crate) mod schema;

pub use files::Files;
pub(crate) use files::{glob_set, glob_set_indexed};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::base::error::{Diagnostic, Error, Seg, Site};
use crate::base::limits::Limits;
use crate::base::suggest;
use crate::base::yaml::{self, Document};
use raw::*;

/// The list of files fleetc wrote, at the root of every folder it renders
/// into: a folder holding one is output, never inventory.
pub(crate) const MANIFEST_FILE: &str = ".fleetc-manifest";

/// The settings file at the inventory root.
pub(crate) const SETTINGS_FILE: &str = "fleetc.yaml";

/// Kinds of inventory document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Cluster,
    App,
    Namespace,
    TargetPolicy,
}

impl Kind {
    pub(crate) const ALL: [Kind; 4] = [
        Kind::Cluster,
        Kind::App,
        Kind::Namespace,
        Kind::TargetPolicy,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Cluster => "Cluster",
            Kind::App => "App",
            Kind::Namespace => "Namespace",
            Kind::TargetPolicy => "TargetPolicy",
        }
    }

    /// The top-level folder that implies this kind.
    pub(crate) fn folder(self) -> &'static str {
        match self {
            Kind::Cluster => "clusters",
            Kind::App => "apps",
            Kind::Namespace => "namespaces",
            Kind::TargetPolicy => "policies",
        }
    }
}

/// A raw document and where it came from.
#[derive(Clone, Debug)]
pub struct Located<T> {
    pub site: Site,
    pub raw: T,
}

/// The text of every file read, kept so that an error can name its line.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    texts: BTreeMap<PathBuf, String>,
}

impl Sources {
    pub fn insert(&mut self, file: PathBuf, text: String) {
        self.texts.insert(file, text);
    }

    /// The text of a file that was read.
    pub fn text(&self, file: &Path) -> Option<&str> {
        self.texts.get(file).map(String::as_str)
    }

    /// The line (1-based) of a site, when its file was read.
    pub fn line(&self, site: &Site) -> Option<usize> {
        let text = self.texts.get(&site.file)?;
        yaml::locate(text, site.doc, &site.path)
    }

    /// Fills in the line of every diagnostic whose site is in a known file:
    /// one pass over each file, however many problems it has.
    pub fn locate(&self, diags: &mut [Diagnostic]) {
        let mut by_file: BTreeMap<&Path, Vec<usize>> = BTreeMap::new();
        for (i, d) in diags.iter().enumerate() {
            if let (None, Some(site)) = (d.line, &d.site) {
                if self.texts.contains_key(&site.file) {
                    by_file.entry(site.file.as_path()).or_default().push(i);
                }
            }
        }
        let mut lines: Vec<(usize, Option<usize>)> = Vec::new();
        for (file, members) in by_file {
            let text = &self.texts[file];
            // A JSON file with a top-level array holds its documents as items.
            let json_array =
                file.extension().is_some_and(|e| e == "json") && text.trim_start().starts_with('[');
            let wanted: Vec<(usize, Vec<Seg>)> = members
                .iter()
                .map(|&i| {
                    let site = diags[i].site.as_ref().expect("grouped by site");
                    if json_array {
                        let mut p = vec![Seg::Index(site.doc)];
                        p.extend(site.path.iter().cloned());
                        (0, p)
                    } else {
                        (site.doc, site.path.clone())
                    }
                })
                .collect();
            lines.extend(members.into_iter().zip(yaml::locate_all(text, &wanted)));
        }
        for (i, line) in lines {
            diags[i].line = line;
        }
    }
}

/// Everything read from the inventory, not yet checked.
#[derive(Clone, Debug, Default)]
pub(crate) struct Loaded {
    pub root: PathBuf,
    pub settings: Option<Located<RawSettings>>,
    pub clusters: Vec<Located<RawCluster>>,
    pub apps: Vec<Located<RawApp>>,
    pub namespaces: Vec<Located<RawNamespace>>,
    pub policies: Vec<Located<RawPolicy>>,
    /// The user's templates (`*.j2` in the template folder): file name →
    /// its text, and where it is.
    pub templates: BTreeMap<String, Located<String>>,
    /// How many files were read.
    pub files: usize,
    /// Every credential found in a string of a document or a template,
    /// by its content (see `crate::rules::secrets`); `check::check` reports those
    /// that `fleetc.yaml` does not allow.
    pub found: Vec<Found>,
    /// What no message may quote: every secret found, in a file read
    /// whole or in one that failed to parse (see [`Found::secret`]).
    pub secrets: Vec<String>,
}

/// A credential in a string of the inventory.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub site: Site,
    /// The line, for a template (a document's is found from its path).
    pub line: Option<usize>,
    pub rule: crate::rules::secrets::Rule,
    pub what: &'static str,
    /// It is in a URL's user part.
    pub in_url: bool,
    /// The string with every secret in it cut out.
    pub excerpt: String,
    /// How many more of the same rule the string holds.
    pub more: usize,
}

/// Runs the content rules over every key and string of a document: one
/// [`Found`] a string and rule, and what no message may quote added to
/// `secrets`.
fn scan_document(value: &Value, site: &Site, found: &mut Vec<Found>, secrets: &mut Vec<String>) {
    struct Scan<'a> {
        site: &'a Site,
        found: &'a mut Vec<Found>,
        secrets: &'a mut Vec<String>,
    }
    impl Scan<'_> {
        fn add(&mut self, s: &str, key: Option<&str>, path: &[Seg]) {
            let findings = crate::rules::secrets::scan_keyed(key, s);
            if findings.is_empty() {
                return;
            }
            let excerpt = crate::rules::secrets::excerpt(s, &findings);
            for rule in crate::rules::secrets::Rule::ALL {
                let mut of_rule = findings.iter().filter(|f| f.rule == rule);
                let Some(f) = of_rule.next() else { continue };
                let mut at = self.site.clone();
                at.path.extend(path.iter().cloned());
                self.found.push(Found {
                    site: at,
                    line: None,
                    rule,
                    what: f.what,
                    in_url: crate::rules::secrets::in_url_userinfo(s, &f.span),
                    excerpt: excerpt.clone(),
                    more: of_rule.count(),
                });
            }
            redaction(s, &findings, self.secrets);
        }
        fn walk(&mut self, v: &Value, path: &mut Vec<Seg>) {
            match v {
                Value::String(s) => {
                    let key = path.iter().rev().find_map(|s| match s {
                        Seg::Key(k) => Some(k.as_str()),
                        Seg::Index(_) => None,
                    });
                    self.add(s, key, path);
                }
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(Seg::Index(i));
                        self.walk(item, path);
                        path.pop();
                    }
                }
                Value::Object(map) => {
                    for (k, item) in map {
                        path.push(Seg::Key(k.clone()));
                        self.add(k, None, path);
                        self.walk(item, path);
                        path.pop();
                    }
                }
                _ => {}
            }
        }
    }
    Scan {
        site,
        found,
        secrets,
    }
    .walk(value, &mut Vec::new());
}

/// What no message may quote, of the secrets `findings` found in `text`:
/// each secret, or `text` whole (once) when one is too short to look for
/// alone.
fn redaction(text: &str, findings: &[crate::rules::secrets::Finding], secrets: &mut Vec<String>) {
    let parts: Vec<&str> = findings
        .iter()
        .map(|f| &text[f.span.start + f.public..f.span.end])
        .collect();
    if parts
        .iter()
        .any(|p| p.len() < crate::rules::secrets::Redactor::MIN_LEN)
    {
        secrets.push(text.to_string());
    } else {
        secrets.extend(parts.into_iter().map(str::to_string));
    }
}

/// The secrets in the text of a file that could not be parsed, which its
/// parse error may quote (a duplicate key's text).
fn unparsed_secrets(file: &Path, sources: &Sources, secrets: &mut Vec<String>) {
    let Some(text) = sources.text(file) else {
        return;
    };
    for f in crate::rules::secrets::scan(text) {
        // A short secret is looked for as the line that holds it.
        let line = text[..f.span.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[f.span.end..]
            .find('\n')
            .map_or(text.len(), |i| f.span.end + i);
        let line_text = &text[line..line_end];
        let found = [crate::rules::secrets::Finding {
            span: f.span.start - line..f.span.end - line,
            ..f
        }];
        redaction(line_text, &found, secrets);
    }
}

/// Runs the content rules over a template's text.
fn scan_template(text: &str, site: &Site, found: &mut Vec<Found>, secrets: &mut Vec<String>) {
    let findings = crate::rules::secrets::scan(text);
    if findings.is_empty() {
        return;
    }
    redaction(text, &findings, secrets);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    for (n, f) in findings.iter().enumerate() {
        let line = line_starts.partition_point(|&l| l <= f.span.start);
        let line_start = line_starts[line - 1];
        let line_end = line_starts.get(line).map_or(text.len(), |&l| l - 1);
        // The findings on its line, to cut them all from the excerpt
        // (they are sorted by position).
        let first = findings[..n]
            .iter()
            .rposition(|g| g.span.end <= line_start)
            .map_or(0, |i| i + 1);
        let on_line: Vec<_> = findings[first..]
            .iter()
            .take_while(|g| g.span.start < line_end)
            .filter(|g| g.span.end > line_start)
            .map(|g| {
                let start = g.span.start.max(line_start);
                crate::rules::secrets::Finding {
                    span: start - line_start..g.span.end.min(line_end) - line_start,
                    public: if start == g.span.start {
                        g.public.min(g.span.end.min(line_end) - start)
                    } else {
                        0
                    },
                    ..g.clone()
                }
            })
            .collect();
        found.push(Found {
            site: site.clone(),
            line: Some(line),
            rule: f.rule,
            what: f.what,
            in_url: crate::rules::secrets::in_url_userinfo(text, &f.span),
            excerpt: crate::rules::secrets::excerpt(&text[line_start..line_end], &on_line),
            more: 0,
        });
    }
}

/// Reads the inventory under `root` into memory (the disk edge of loading).
pub(crate) fn read(root: &Path) -> Result<(Files, Vec<Diagnostic>), Error> {
    files::read(root)
}

/// Reads and parses `fleetc.yaml` alone, for commands that need the
/// settings and not the inventory: [`load`] with nothing but `settings`.
pub(crate) fn load_settings(root: &Path) -> Result<(Loaded, Sources, Vec<Diagnostic>), Error> {
    let (files, mut diags) = files::read_settings_only(root)?;
    let (loaded, sources, more) = parse(&files);
    diags.extend(more);
    Ok((loaded, sources, diags))
}

/// A file's text without a UTF-8 byte-order mark, which some editors write.
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses an inventory held in memory. Pure: no disk.
pub(crate) fn parse(files: &Files) -> (Loaded, Sources, Vec<Diagnostic>) {
    let mut loaded = Loaded {
        root: files.root.clone(),
        ..Loaded::default()
    };
    let mut diags = Vec::new();
    let mut sources = Sources::default();
    let settings_file = PathBuf::from(SETTINGS_FILE);
    if let Some(bytes) = &files.settings {
        let limits = Limits::default();
        let parsed = parse_file(&settings_file, bytes, &limits, &mut sources, &mut diags);
        if parsed.is_none() {
            unparsed_secrets(&settings_file, &sources, &mut loaded.secrets);
        }
        if let Some(docs) = parsed {
            for doc in &docs {
                let site = Site {
                    file: settings_file.clone(),
                    doc: doc.index,
                    path: Vec::new(),
                };
                scan_document(&doc.value, &site, &mut loaded.found, &mut loaded.secrets);
            }
            loaded.settings = settings_document(docs, &mut diags);
        }
    }
    let limits = loaded
        .settings
        .as_ref()
        .map(|s| Limits::from_raw(&s.raw.limits))
        .unwrap_or_default();
    for (name, (path, bytes)) in &files.templates {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                scan_template(
                    without_bom(text),
                    &Site::file(path),
                    &mut loaded.found,
                    &mut loaded.secrets,
                );
                loaded.templates.insert(
                    name.clone(),
                    Located {
                        site: Site::file(path),
                        raw: without_bom(text).to_string(),
                    },
                );
            }
            Err(_) => diags.push(
                Diagnostic::at(Site::file(path), "template is not UTF-8 text")
                    .help("save it as UTF-8"),
            ),
        }
    }
    for (file, bytes) in &files.documents {
        let Some(mut docs) = parse_file(file, bytes, &limits, &mut sources, &mut diags) else {
            unparsed_secrets(file, &sources, &mut loaded.secrets);
            continue;
        };
        loaded.files += 1;
        if let Some(text) = sources.text(file) {
            labels_as_written(file, text, &mut docs);
        }
        for doc in docs {
            let site = Site {
                file: file.clone(),
                doc: doc.index,
                path: Vec::new(),
            };
            scan_document(&doc.value, &site, &mut loaded.found, &mut loaded.secrets);
            add_document(&mut loaded, doc.value, site, &mut diags);
        }
    }
    (loaded, sources, diags)
}

/// `fleetc.yaml`: one document of settings, or nothing.
fn settings_document(
    docs: Vec<Document>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Located<RawSettings>> {
    let file = PathBuf::from(SETTINGS_FILE);
    match docs.as_slice() {
        [] => None,
        [doc] => {
            let site = Site {
                file,
                doc: doc.index,
                path: Vec::new(),
            };
            deserialize::<RawSettings>(doc.value.clone(), &site, "fleetc.yaml", diags)
                .map(|raw| Located { site, raw })
        }
        [_, second, ..] => {
            diags.push(
                Diagnostic::at(
                    Site {
                        file,
                        doc: second.index,
                        path: Vec::new(),
                    },
                    "`fleetc.yaml` holds more than one document",
                )
                .help("keep the settings in one document"),
            );
            None
        }
    }
}

/// Parses one file's bytes: UTF-8 (a byte-order mark is dropped), within
/// the limits on documents and aliases, then YAML or JSON. `None` when it
/// could not be parsed (the problem is in `diags`).
fn parse_file(
    file: &Path,
    bytes: &[u8],
    limits: &Limits,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<Document>> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        let utf16 = bytes.starts_with(&[0xff, 0xfe])
            || bytes.starts_with(&[0xfe, 0xff])
            || (bytes.len() >= 4
                && bytes.iter().step_by(2).filter(|b| **b == 0).count() * 4 >= bytes.len());
        let what = if utf16 {
            "file is UTF-16 text, not UTF-8"
        } else {
            "file is not UTF-8 text"
        };
        diags.push(
            Diagnostic::at(Site::file(file), what).help(
                "save it as UTF-8 (\"UTF-8\" in the editor's encoding menu; `iconv -t UTF-8`)",
            ),
        );
        return None;
    };
    let text = without_bom(text);
    let is_json = file.extension().is_some_and(|e| e == "json");
    let parsed = if is_json {
        yaml::parse_json(text, limits)
    } else {
        yaml::parse_yaml_limited(text, limits)
    };
    let parsed = parsed.map_err(|mut e| {
        if e.help.is_none() {
            e.help = syntax_help(text, &e, is_json);
        }
        e
    });
    sources.insert(file.to_path_buf(), text.to_string());
    match parsed {
        Ok(docs) => Some(docs),
        Err(e) => {
            let mut d = Diagnostic::at(
                Site {
                    file: file.to_path_buf(),
                    doc: e.doc,
                    path: e.path,
                },
                e.message,
            );
            d.line = e.line;
            d.help = e.help.or_else(|| {
                Some(if is_json {
                    "check the commas, brackets and quotes at that line".to_string()
                } else {
                    "check the indentation and quoting at that line (YAML goes by indentation; quote text that holds `: ` or ` #`, or starts with `*`, `&`, `!`, `@`)".to_string()
                })
            });
            diags.push(d);
            None
        }
    }
}

/// A document's kind: its `kind:` field, or else its top-level folder.
fn document_kind(value: &Value, site: &Site) -> Result<Kind, Diagnostic> {
    let Value::Object(map) = value else {
        return Err(
            Diagnostic::at(site.clone(), "a document must be a mapping of fields")
                .help("write `name: ...` and the other fields at the top level"),
        );
    };
    // Argo CD's exports (a kubectl `List`, Applications with `metadata`
    // and `spec`) saved inside the inventory are read as its documents.
    const EXPORT: &str = "this looks like an export of Argo CD (or a Kubernetes manifest), not an inventory document: keep exports outside the inventory folder (`--from ../live`), since fleetc reads every YAML and JSON file under it";
    let manifest = map.contains_key("metadata") && map.contains_key("spec");
    match map.get("kind") {
        Some(Value::String(k)) => match Kind::ALL.iter().find(|x| x.name() == k) {
            Some(kind) => Ok(*kind),
            None if k == "List" || manifest => {
                Err(Diagnostic::at(site.key("kind"), format!("unknown kind `{k}`")).help(EXPORT))
            }
            None => {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                Err(
                    Diagnostic::at(site.key("kind"), format!("unknown kind `{k}`"))
                        .help_opt(suggest::hint(k, &names)),
                )
            }
        },
        Some(_) => Err(Diagnostic::at(site.key("kind"), "`kind` must be text")
            .help("write `kind: Cluster`, `App`, `Namespace` or `TargetPolicy`")),
        None => {
            let top = site
                .file
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().to_string());
            Kind::ALL
                .iter()
                .find(|k| site.file.components().count() > 1 && Some(k.folder()) == top.as_deref())
                .copied()
                .ok_or_else(|| {
                    let d = Diagnostic::at(site.clone(), "cannot tell what kind of document this is");
                    if manifest {
                        d.help(EXPORT)
                    } else {
                        d.help("add `kind: Cluster`, `App`, `Namespace` or `TargetPolicy`, or move the file under `clusters/`, `apps/`, `namespaces/` or `policies/`")
                    }
                })
        }
    }
}

/// Label values are the text the user wrote: `ver: 1.50` is the label
/// `1.50`, `hex: 0x1F` is `0x1F`, not what a YAML or JSON parser makes of
/// them. Every label value that parsed as something other than text
/// (metadata, a cluster's environment, selector values) gets its source text
/// back, read in one pass over the file and only when there is one.
fn labels_as_written(file: &Path, text: &str, docs: &mut [Document]) {
    // A JSON file with a top-level array holds its documents as items of one.
    let json_array =
        file.extension().is_some_and(|e| e == "json") && text.trim_start().starts_with('[');
    let source_of = |doc: usize, path: &[Seg]| -> (usize, Vec<Seg>) {
        if json_array {
            let mut p = vec![Seg::Index(doc)];
            p.extend_from_slice(path);
            (0, p)
        } else {
            (doc, path.to_vec())
        }
    };
    let mut wanted = std::collections::HashSet::new();
    let mut places = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let site = Site::file(file);
        let Ok(kind) = document_kind(&doc.value, &site) else {
            continue;
        };
        for path in label_positions(kind, &doc.value) {
            // `environment: ~` means no environment; a null label elsewhere
            // is refused with the text written.
            let environment_null = path == [Seg::key("environment")];
            let restore = |v: &Value| !(v.is_string() || (environment_null && v.is_null()));
            if doc
                .value
                .pointer(&crate::base::error::path_pointer(&path))
                .is_some_and(restore)
            {
                wanted.insert(source_of(doc.index, &path));
                places.push((i, path));
            }
        }
    }
    if places.is_empty() {
        return;
    }
    let found = yaml::plain_scalars(text, &wanted);
    for (i, path) in places {
        let doc = &mut docs[i];
        if let Some(raw) = found.get(&source_of(doc.index, &path)) {
            if let Some(v) = doc
                .value
                .pointer_mut(&crate::base::error::path_pointer(&path))
            {
                *v = Value::String(raw.clone());
            }
        }
    }
}

/// Where a document of `kind` holds label values.
fn label_positions(kind: Kind, value: &Value) -> Vec<Vec<Seg>> {
    let keys_of = |v: Option<&Value>, at: Vec<Seg>| -> Vec<Vec<Seg>> {
        match v {
            Some(Value::Object(m)) => m
                .keys()
                .map(|k| {
                    let mut p = at.clone();
                    p.push(Seg::Key(k.clone()));
                    p
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let mut out = Vec::new();
    match kind {
        Kind::Cluster => {
            out.extend(keys_of(value.get("metadata"), vec![Seg::key("metadata")]));
            out.push(vec![Seg::key("environment")]);
        }
        Kind::App => out.extend(keys_of(value.get("metadata"), vec![Seg::key("metadata")])),
        Kind::TargetPolicy => {
            for field in ["app_selector", "cluster_selector"] {
                let Some(Value::Object(sel)) = value.get(field) else {
                    continue;
                };
                let structured = !sel.is_empty()
                    && sel
                        .keys()
                        .all(|k| k == "matchLabels" || k == "matchExpressions");
                if !structured {
                    out.extend(keys_of(value.get(field), vec![Seg::key(field)]));
                    continue;
                }
                out.extend(keys_of(
                    sel.get("matchLabels"),
                    vec![Seg::key(field), Seg::key("matchLabels")],
                ));
                if let Some(Value::Array(exprs)) = sel.get("matchExpressions") {
                    for (i, e) in exprs.iter().enumerate() {
                        if let Some(Value::Array(values)) = e.get("values") {
                            for j in 0..values.len() {
                                out.push(vec![
                                    Seg::key(field),
                                    Seg::key("matchExpressions"),
                                    Seg::Index(i),
                                    Seg::key("values"),
                                    Seg::Index(j),
                                ]);
                            }
                        }
                    }
                }
            }
        }
        Kind::Namespace => {}
    }
    out
}

/// Sorts one document into its kind.
fn add_document(loaded: &mut Loaded, value: Value, site: Site, diags: &mut Vec<Diagnostic>) {
    let kind = match document_kind(&value, &site) {
        Ok(kind) => kind,
        Err(d) => {
            diags.push(d);
            return;
        }
    };
    let what = kind.name();
    match kind {
        Kind::Cluster => {
            if let Some(raw) = deserialize(value, &site, what, diags) {
                loaded.clusters.push(Located { site, raw });
            }
        }
        Kind::App => {
            if let Some(raw) = deserialize(value, &site, what, diags) {
                loaded.apps.push(Located { site, raw });
            }
        }
        Kind::Namespace => {
            if let Some(raw) = deserialize(value, &site, what, diags) {
                loaded.namespaces.push(Located { site, raw });
            }
        }
        Kind::TargetPolicy => {
            if let Some(raw) = deserialize(value, &site, what, diags) {
                loaded.policies.push(Located { site, raw });
            }
        }
    }
}

/// Deserializes a document into its raw struct; a failure becomes a
/// diagnostic at the failing field, with a "did you mean" for unknown ones.
fn deserialize<T: DeserializeOwned>(
    value: Value,
    site: &Site,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(t) => Some(t),
        Err(err) => {
            let mut path = Vec::new();
            for seg in err.path().iter() {
                match seg {
                    serde_path_to_error::Segment::Map { key } => path.push(Seg::Key(key.clone())),
                    serde_path_to_error::Segment::Seq { index } => path.push(Seg::Index(*index)),
                    _ => {}
                }
            }
            let msg = err.inner().to_string();
            let mut at = site.clone();
            at.path = path;
            diags.push(friendly(&msg, at, what));
            None
        }
    }
}

/// Rewrites serde's messages into ours.
fn friendly(msg: &str, mut site: Site, what: &str) -> Diagnostic {
    let ticked: Vec<&str> = msg.split('`').skip(1).step_by(2).collect();
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let field = rest.split('`').next().unwrap_or("");
        let expected: Vec<&str> = ticked
            .iter()
            .skip(1)
            .copied()
            .filter(|f| *f != "kind")
            .collect();
        if site.path.last() != Some(&Seg::Key(field.to_string())) {
            site.path.push(Seg::Key(field.to_string()));
        }
        let where_ = if site.path.len() > 1 {
            format!(
                " in `{}`",
                crate::base::error::dotted(&site.path[..site.path.len() - 1])
            )
        } else {
            format!(" in {}", article(what))
        };
        return Diagnostic::at(site, format!("unknown field `{field}`{where_}"))
            .help_opt(suggest::hint(field, &expected));
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or("");
        let where_ = if site.path.is_empty() {
            article(what)
        } else {
            format!("`{}`", site.dotted())
        };
        return Diagnostic::at(site, format!("{where_} needs the field `{field}`"))
            .help(format!("add `{field}: ...`"));
    }
    let field = if site.path.is_empty() {
        String::new()
    } else {
        format!("`{}`: ", site.dotted())
    };
    let (msg, help) = crate::base::error::plain_types(msg);
    Diagnostic::at(site, format!("{field}{msg}")).help_opt(help)
}

/// A hint for a syntax error, from what the failing line holds.
fn syntax_help(text: &str, e: &yaml::ParseError, is_json: bool) -> Option<String> {
    let line = e
        .line
        .and_then(|l| text.lines().nth(l.saturating_sub(1)))
        .unwrap_or("");
    let m = e.message.as_str();
    if m.contains("recursion limit") {
        Some("nest values at most 128 levels deep".to_string())
    } else if m.contains("control characters") || line.chars().any(|c| c.is_control() && c != '\t')
    {
        Some("remove the control character (a NUL or other invisible byte): inventory files are plain text".to_string())
    } else if !is_json && line.trim_start_matches(' ').starts_with('\t') {
        Some("YAML indents with spaces, never tabs: replace the tabs on that line".to_string())
    } else if is_json
        && (line.trim_start().starts_with("//") || line.trim_start().starts_with("/*"))
    {
        Some("JSON has no comments: remove them, or write the file as YAML, where `#` starts a comment".to_string())
    } else {
        None
    }
}

/// `a Cluster`, `an App`.
fn article(what: &str) -> String {
    if what.contains('.') {
        return what.to_string();
    }
    if what.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) {
        format!("an {what}")
    } else {
        format!("a {what}")
    }
}
/// Cuts each of `secrets` out of every message and help: no message may
/// quote a credential that was found in the input, whichever check wrote
/// it.
pub(crate) fn redact<'a>(diags: &mut [Diagnostic], secrets: impl IntoIterator<Item = &'a str>) {
    if diags.is_empty() {
        return;
    }
    let secrets = crate::rules::secrets::Redactor::new(secrets);
    for d in diags {
        d.message = secrets.redact(&d.message);
        if let Some(h) = &d.help {
            d.help = Some(secrets.redact(h));
        }
    }
}
