//! Reading the inventory's files from disk, with the root as a wall.
//!
//! Nothing outside the inventory root is read: a template folder given as an
//! absolute path or with `..`, and a symlink (to a file or a folder) whose
//! target is outside the root, are errors naming the link and its target.
//! Symlinks inside the root are followed (a loop is an error). Special files
//! (FIFOs, sockets, devices) are errors and are never opened, so nothing can
//! make fleetc wait on a pipe. A file over the size limit is an error found
//! from its metadata, before it is read. Everything read is kept as bytes in
//! [`Files`]; parsing them is [`super::parse`]'s job, and needs no disk.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::raw::RawSettings;
use super::{MANIFEST_FILE, SETTINGS_FILE};
use crate::base::error::{Diagnostic, Error, Seg, Site};
use crate::base::limits::{self, Limits};

/// An inventory as bytes: what `load::read` found, or what a program (a test, a
/// fuzzer, `diff --base`) assembles in memory.
#[derive(Clone, Debug, Default)]
pub struct Files {
    /// The inventory folder (named in messages; never read again).
    pub root: PathBuf,
    /// `fleetc.yaml`, when there is one.
    pub settings: Option<Vec<u8>>,
    /// Inventory files by path relative to the root, in path order.
    pub documents: BTreeMap<PathBuf, Vec<u8>>,
    /// The user's templates: file name → (path relative to the root, bytes).
    pub templates: BTreeMap<String, (PathBuf, Vec<u8>)>,
}

impl Files {
    /// The inventory in a tree of files held in memory (the inventory at a
    /// git revision, say), sorted as `load::read` sorts a folder: `fleetc.yaml`,
    /// the templates, and the files the include and exclude globs take.
    pub fn from_tree(
        root: &Path,
        tree: &std::collections::BTreeMap<String, Vec<u8>>,
    ) -> (Files, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut files = Files {
            root: root.to_path_buf(),
            settings: tree.get(SETTINGS_FILE).cloned(),
            ..Files::default()
        };
        let scope = Scope::new(files.settings.as_deref(), &mut diags);
        let rendered: Vec<&str> = tree
            .keys()
            .filter_map(|p| p.strip_suffix(MANIFEST_FILE))
            .collect();
        for (path, bytes) in tree {
            let rel = Path::new(path);
            let hidden = path.split('/').any(|part| part.starts_with('.'));
            let in_rendered = rendered.iter().any(|d| path.starts_with(d));
            if hidden || in_rendered || path == SETTINGS_FILE {
                continue;
            }
            if let Some(t) = &scope.templates {
                if rel.parent() == Some(t.as_path()) {
                    if path.ends_with(".j2") {
                        let name = rel
                            .file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned();
                        files
                            .templates
                            .insert(name, (rel.to_path_buf(), bytes.clone()));
                    }
                    continue;
                }
                if rel.starts_with(t) {
                    continue;
                }
            }
            if !scope.include.is_match(path) || scope.exclude.is_match(path) {
                continue;
            }
            if bytes.len() as u64 > scope.limits.file_bytes {
                diags.push(too_big(rel, bytes.len() as u64, scope.limits.file_bytes));
                continue;
            }
            files.documents.insert(rel.to_path_buf(), bytes.clone());
        }
        (files, diags)
    }
}

/// What the walk needs from `fleetc.yaml`, read leniently: a broken
/// `fleetc.yaml` falls back to the defaults here and is reported, with its
/// line, when the files are parsed.
struct Scope {
    include: GlobSet,
    exclude: GlobSet,
    /// The template folder, relative to the root, when it is a safe path.
    templates: Option<PathBuf>,
    /// The template folder was named in `fleetc.yaml` (so it must exist).
    templates_named: bool,
    limits: Limits,
}

impl Scope {
    fn new(settings: Option<&[u8]>, diags: &mut Vec<Diagnostic>) -> Scope {
        let raw: RawSettings = settings
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(|t| crate::base::yaml::parse_yaml(super::without_bom(t)).ok())
            .and_then(|docs| docs.into_iter().next())
            .and_then(|d| serde_json::from_value(d.value).ok())
            .unwrap_or_default();
        let default_include = vec![
            "**/*.yaml".to_string(),
            "**/*.yml".to_string(),
            "**/*.json".to_string(),
        ];
        let include = raw.include.clone().unwrap_or(default_include);
        let site = Site::file(SETTINGS_FILE);
        let templates = match &raw.templates {
            Some(t) => {
                match safe_relative(t) {
                    Ok(p) => Some(p),
                    Err(why) => {
                        diags.push(
                        Diagnostic::at(
                            site.key("templates"),
                            format!("template folder `{t}` is not allowed: {why}"),
                        )
                        .help("name a folder inside the inventory, relative to it (e.g. `templates`)"),
                    );
                        None
                    }
                }
            }
            None => Some(PathBuf::from("templates")),
        };
        Scope {
            include: globs(&include, "include", diags),
            exclude: globs(&raw.exclude, "exclude", diags),
            templates,
            templates_named: raw.templates.is_some(),
            limits: Limits::from_raw(&raw.limits),
        }
    }
}

/// A relative path of normal components only: no root, no `..`, no `.`.
fn safe_relative(p: &str) -> Result<PathBuf, &'static str> {
    let path = Path::new(p);
    if p.is_empty() {
        return Err("it is empty");
    }
    if path.is_absolute() || p.starts_with('/') || p.starts_with('\\') {
        return Err("it is an absolute path, outside the inventory");
    }
    for c in path.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err("it has `..`, which leaves the inventory"),
            _ => return Err("it is not a plain relative path"),
        }
    }
    Ok(path.components().collect())
}

/// The patterns listed at `site` as one set; a bad one is a problem at its
/// index, with `help`. `literal_separator`: `*` stops at `/`.
pub(crate) fn glob_set(
    patterns: &[String],
    site: &Site,
    literal_separator: bool,
    help: &str,
    diags: &mut Vec<Diagnostic>,
) -> GlobSet {
    glob_set_indexed(patterns, site, literal_separator, help, diags).0
}

/// [`glob_set`], and for each glob of the set (in its order) the index of
/// its pattern in `patterns` (a pattern that does not compile is left out).
pub(crate) fn glob_set_indexed(
    patterns: &[String],
    site: &Site,
    literal_separator: bool,
    help: &str,
    diags: &mut Vec<Diagnostic>,
) -> (GlobSet, Vec<usize>) {
    let mut b = GlobSetBuilder::new();
    let mut kept = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        match GlobBuilder::new(p)
            .literal_separator(literal_separator)
            .build()
        {
            Ok(glob) => {
                b.add(glob);
                kept.push(i);
            }
            Err(e) => diags.push(
                Diagnostic::at(
                    site.at(Seg::Index(i)),
                    format!("invalid glob `{p}`: {}", e.kind()),
                )
                .help(help),
            ),
        }
    }
    (b.build().unwrap_or_else(|_| GlobSet::empty()), kept)
}

fn globs(patterns: &[String], field: &str, diags: &mut Vec<Diagnostic>) -> GlobSet {
    let site = Site::file(SETTINGS_FILE).key(field);
    let help = "globs use `*`, `**`, `?` and `[...]`, and `/` between folders";
    glob_set(patterns, &site, true, help, diags)
}

/// Reads the inventory under `root` into memory. `Err` only when the root
/// itself cannot be used; every problem with a file is a diagnostic.
pub(crate) fn read(root: &Path) -> Result<(Files, Vec<Diagnostic>), Error> {
    let real_root = real_root(root)?;
    let mut diags = Vec::new();
    let mut files = Files {
        root: root.to_path_buf(),
        ..Files::default()
    };
    let default_limit = Limits::default().file_bytes;
    files.settings = read_one(
        &real_root,
        Path::new(SETTINGS_FILE),
        default_limit,
        true,
        &mut diags,
    );
    let scope = Scope::new(files.settings.as_deref(), &mut diags);
    if let Some(t) = &scope.templates {
        read_templates(&real_root, t, &scope, &mut files, &mut diags);
    }
    walk(&real_root, &scope, &mut files, &mut diags)?;
    Ok((files, diags))
}

/// Reads only `fleetc.yaml`.
pub(crate) fn read_settings_only(root: &Path) -> Result<(Files, Vec<Diagnostic>), Error> {
    let real_root = real_root(root)?;
    let mut diags = Vec::new();
    let settings = read_one(
        &real_root,
        Path::new(SETTINGS_FILE),
        Limits::default().file_bytes,
        true,
        &mut diags,
    );
    Ok((
        Files {
            root: root.to_path_buf(),
            settings,
            ..Files::default()
        },
        diags,
    ))
}

fn real_root(root: &Path) -> Result<PathBuf, Error> {
    if !root.is_dir() {
        return Err(Error::Usage(format!(
            "inventory folder `{}` does not exist (pass `-i DIR` or run fleetc in the inventory)",
            root.display()
        )));
    }
    root.canonicalize().map_err(|e| Error::io(root, e))
}

/// What a path inside the root is, through a symlink if it is one.
enum Entry {
    Missing,
    File(u64),
    Dir,
    /// The problem, already phrased.
    Refused(String, &'static str),
}

/// Looks at `rel` (relative to `real_root`) without opening it: a symlink
/// must resolve inside the root, and only regular files and folders pass.
fn look(real_root: &Path, rel: &Path) -> Entry {
    let path = real_root.join(rel);
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return Entry::Missing;
    };
    let meta = if meta.file_type().is_symlink() {
        // Named as written in the link, so a message reads the same on
        // every machine.
        let written = std::fs::read_link(&path).unwrap_or_default();
        let target = match std::fs::canonicalize(&path) {
            Ok(t) => t,
            Err(e) => {
                return Entry::Refused(
                    format!(
                        "is a symlink to `{}`, which cannot be followed: {}",
                        written.display(),
                        crate::base::error::os_words(&e)
                    ),
                    "point it at a file inside the inventory, or remove it",
                );
            }
        };
        if !target.starts_with(real_root) {
            return Entry::Refused(
                format!("is a symlink to `{}`, outside the inventory", written.display()),
                "fleetc reads nothing outside the inventory root: copy the file in, or remove the link",
            );
        }
        match std::fs::metadata(&target) {
            Ok(m) => m,
            Err(_) => return Entry::Missing,
        }
    } else {
        meta
    };
    let t = meta.file_type();
    if t.is_file() {
        Entry::File(meta.len())
    } else if t.is_dir() {
        Entry::Dir
    } else {
        Entry::Refused(
            "is not a regular file (a pipe, socket or device)".to_string(),
            "fleetc never opens special files: replace it with a regular file, or remove it",
        )
    }
}

/// Reads one file (`None` when missing or refused; the refusal is a
/// diagnostic). `optional`: a missing file is no problem.
fn read_one(
    real_root: &Path,
    rel: &Path,
    limit: u64,
    optional: bool,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<u8>> {
    match look(real_root, rel) {
        Entry::Missing if optional => None,
        Entry::Missing => {
            diags.push(
                Diagnostic::at(
                    Site::file(rel),
                    "file vanished while fleetc read the inventory",
                )
                .help("run fleetc again once nothing else is changing the inventory"),
            );
            None
        }
        Entry::Dir => {
            diags.push(
                Diagnostic::at(Site::file(rel), "is a folder where a file is expected")
                    .help("rename the folder, or move its files up"),
            );
            None
        }
        Entry::Refused(why, help) => {
            diags.push(Diagnostic::at(Site::file(rel), why).help(help));
            None
        }
        Entry::File(len) if len > limit => {
            diags.push(too_big(rel, len, limit));
            None
        }
        Entry::File(_) => match std::fs::read(real_root.join(rel)) {
            Ok(bytes) if bytes.len() as u64 > limit => {
                diags.push(too_big(rel, bytes.len() as u64, limit));
                None
            }
            Ok(bytes) => Some(bytes),
            Err(e) => {
                diags.push(
                    Diagnostic::at(
                        Site::file(rel),
                        format!("cannot be read: {}", crate::base::error::os_words(&e)),
                    )
                    .help("check that the file is readable by the user running fleetc"),
                );
                None
            }
        },
    }
}

fn too_big(rel: &Path, len: u64, limit: u64) -> Diagnostic {
    Diagnostic::at(
        Site::file(rel),
        format!("file is {len} bytes, over the limit of {limit} bytes for one file"),
    )
    .help(format!(
        "split it into one file per cluster, app, team or policy, or raise the limit with {}",
        limits::setting("file_bytes")
    ))
}

/// Every `*.j2` file directly in the template folder.
fn read_templates(
    real_root: &Path,
    folder: &Path,
    scope: &Scope,
    files: &mut Files,
    diags: &mut Vec<Diagnostic>,
) {
    // Where to point: the setting that names the folder, or the folder.
    let site = if scope.templates_named {
        Site::file(SETTINGS_FILE).key("templates")
    } else {
        Site::file(folder)
    };
    match look(real_root, folder) {
        Entry::Dir => {}
        Entry::Missing if !scope.templates_named => return,
        Entry::Missing => {
            diags.push(
                Diagnostic::at(
                    site,
                    format!("template folder `{}` does not exist", folder.display()),
                )
                .help("create it, or remove `templates` to use the built-in templates"),
            );
            return;
        }
        Entry::File(_) => {
            diags.push(
                Diagnostic::at(
                    site,
                    format!("template folder `{}` is a file", folder.display()),
                )
                .help("name a folder of `*.j2` files"),
            );
            return;
        }
        Entry::Refused(why, help) => {
            diags.push(
                Diagnostic::at(
                    site,
                    format!("template folder `{}` {why}", folder.display()),
                )
                .help(help),
            );
            return;
        }
    }
    let Ok(entries) = std::fs::read_dir(real_root.join(folder)) else {
        return;
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".j2") && !n.starts_with('.'))
        .collect();
    names.sort();
    for name in names {
        let rel = folder.join(&name);
        if let Some(bytes) = read_one(real_root, &rel, scope.limits.file_bytes, false, diags) {
            files.templates.insert(name, (rel, bytes));
        }
    }
}

/// The inventory files under the root, read in path order.
fn walk(
    real_root: &Path,
    scope: &Scope,
    files: &mut Files,
    diags: &mut Vec<Diagnostic>,
) -> Result<(), Error> {
    let found = RefCell::new(Vec::new());
    let walker = walkdir::WalkDir::new(real_root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            if name.starts_with('.') {
                return false;
            }
            let rel = e.path().strip_prefix(real_root).unwrap_or(e.path());
            // The template folder is read (and its link checked) apart.
            if Some(rel) == scope.templates.as_deref() {
                return false;
            }
            if e.path_is_symlink() {
                if let Entry::Refused(why, help) = look(real_root, rel) {
                    found
                        .borrow_mut()
                        .push(Diagnostic::at(Site::file(rel), why).help(help));
                    return false;
                }
            }
            if e.file_type().is_dir() {
                // A folder fleetc rendered is output, not inventory; a stray
                // manifest is an error rather than a reason to skip.
                if e.path().join(MANIFEST_FILE).exists() {
                    let mut found = found.borrow_mut();
                    rendered_folder(real_root, rel, scope.limits.file_bytes, &mut found);
                    return false;
                }
            }
            true
        });
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let rel = e
                    .path()
                    .map(|p| p.strip_prefix(real_root).unwrap_or(p).to_path_buf())
                    .unwrap_or_default();
                // A dangling or looping symlink: say what it points at.
                let is_link = e
                    .path()
                    .and_then(|p| std::fs::symlink_metadata(p).ok())
                    .is_some_and(|m| m.file_type().is_symlink());
                if is_link && e.loop_ancestor().is_none() {
                    let (why, help) = match look(real_root, &rel) {
                        Entry::Refused(why, help) => (why, help),
                        _ => (
                            "is a symlink that points nowhere".to_string(),
                            "point it at a file inside the inventory, or remove it",
                        ),
                    };
                    found
                        .borrow_mut()
                        .push(Diagnostic::at(Site::file(&rel), why).help(help));
                    continue;
                }
                match e.loop_ancestor() {
                    Some(a) => found.borrow_mut().push(
                        Diagnostic::at(
                            Site::file(&rel),
                            format!(
                                "is a symlink back to `{}`, a folder it is in: a loop",
                                a.strip_prefix(real_root).unwrap_or(a).display()
                            ),
                        )
                        .help("remove the link"),
                    ),
                    None => found.borrow_mut().push(
                        Diagnostic::at(
                            Site::file(&rel),
                            format!(
                                "cannot be read: {}",
                                e.io_error()
                                    .map(crate::base::error::os_words)
                                    .unwrap_or_else(|| e.to_string())
                            ),
                        )
                        .help("check that the folder is readable by the user running fleetc"),
                    ),
                }
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let rel = entry.path().strip_prefix(real_root).unwrap_or(entry.path());
        let slash = rel.to_string_lossy().replace('\\', "/");
        let wanted = scope.include.is_match(&slash) && !scope.exclude.is_match(&slash);
        if rel == Path::new(SETTINGS_FILE) || !wanted {
            continue;
        }
        let t = entry.file_type();
        if t.is_dir() {
            found.borrow_mut().push(
                Diagnostic::at(Site::file(rel), "is a folder named like an inventory file")
                    .help("rename it, or add it to `exclude` in fleetc.yaml"),
            );
        } else if !t.is_file() {
            found.borrow_mut().push(
                Diagnostic::at(Site::file(rel), "is not a regular file (a pipe, socket or device)")
                    .help("fleetc never opens special files: replace it with a regular file, or remove it"),
            );
        } else if let Some(bytes) = read_one(real_root, rel, scope.limits.file_bytes, false, diags)
        {
            files.documents.insert(rel.to_path_buf(), bytes);
        }
    }
    diags.extend(found.into_inner());
    Ok(())
}

/// A folder holding a `.fleetc-manifest` is fleetc's output when every file
/// the manifest lists is there; otherwise the manifest is stray, and the
/// folder's inventory files would silently vanish: an error.
/// The manifest is read as every inventory file is, so a FIFO or a link
/// out of the root in its place is refused, never opened.
fn rendered_folder(real_root: &Path, rel: &Path, limit: u64, diags: &mut Vec<Diagnostic>) {
    let before = diags.len();
    let bytes = read_one(real_root, &rel.join(MANIFEST_FILE), limit, true, diags);
    if diags.len() > before {
        return;
    }
    if let Err(d) = listed_files_present(&real_root.join(rel), rel, &bytes.unwrap_or_default()) {
        diags.push(d);
    }
}

fn listed_files_present(dir: &Path, rel: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    let stray = |why: String| {
        Diagnostic::at(Site::file(rel.join(MANIFEST_FILE)), format!("this folder holds a `{MANIFEST_FILE}`, which marks fleetc's output, but it is not a rendered tree: {why}"))
            .help("remove the stray manifest, or add the folder to `exclude` in fleetc.yaml")
    };
    let mut listed = 0;
    for line in text.lines() {
        let Some((hash, path)) = line.split_once("  ") else {
            return Err(stray(format!(
                "the line `{}` is not `<sha256>  <path>`",
                line.escape_debug()
            )));
        };
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(stray(format!("`{}` is not a sha256", hash.escape_debug())));
        }
        if !dir.join(path).is_file() {
            return Err(stray(format!(
                "`{}`, which it lists, is not there",
                path.escape_debug()
            )));
        }
        listed += 1;
    }
    if listed == 0 {
        return Err(stray("it lists no file".to_string()));
    }
    Ok(())
}
