//! The names fleetc writes into the world, checked by the rules of what
//! reads them: output paths (every file system and git), git branch names
//! (`git check-ref-format`), and the deploy repo's URL (Argo CD's
//! `repoURL`). Pure functions; `check` applies them to settings and to every
//! rendered path, so nothing fails later in libgit2 or the OS.

/// The deployment log's folder, at the top of the rendered tree in the
/// deploy branch (one file per entry): no layout may put a manifest there.
pub(crate) const LOG_DIR: &str = "deployments";

/// The single-file log of fleetc before 0.2, read and then split into
/// [`LOG_DIR`] by the next commit: no manifest may land there either.
pub(crate) const LOG_FILE: &str = "deployments.jsonl";

/// The rendered paths, together: none is the deployment log, and none is a
/// file where another needs a folder. `Err` names the path(s).
pub(crate) fn check_tree(
    paths: &std::collections::BTreeMap<String, String>,
) -> Result<(), (String, Option<String>)> {
    let log_dir = format!("{LOG_DIR}/");
    let own = |p: &str| p == ".fleetc" || p.starts_with(".fleetc/") || p == ".fleetc-manifest";
    if let Some(p) = paths
        .keys()
        .find(|p| *p == LOG_FILE || *p == LOG_DIR || p.starts_with(&log_dir) || own(p))
    {
        return Err((p.clone(), None));
    }
    for p in paths.keys() {
        let mut end = 0;
        while let Some(i) = p[end..].find('/') {
            let folder = &p[..end + i];
            if paths.contains_key(folder) {
                return Err((folder.to_string(), Some(p.clone())));
            }
            end += i + 1;
        }
    }
    Ok(())
}

/// An output path must stay under the output root and be a path every
/// checkout can hold, whatever a name holds.
pub fn check_relative_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("it is empty");
    }
    if path.starts_with('/') || path.contains('\\') || path.contains(':') {
        return Err("it must be relative and `/`-separated");
    }
    for part in path.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return Err("it has an empty, `.` or `..` part");
        }
        let fleetcs = part
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case(".fleetc"));
        if fleetcs || part.eq_ignore_ascii_case(".git") {
            return Err("it names a folder fleetc or git keeps for itself");
        }
        if part.chars().any(|c| c.is_control()) {
            return Err("it has a control character");
        }
        if part.len() > 255 {
            return Err("a part of it is longer than 255 bytes, more than file systems allow");
        }
    }
    Ok(())
}

/// A branch name git accepts (`git check-ref-format --branch`), and not
/// `HEAD`.
pub(crate) fn check_branch(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name == "HEAD" || name == "@" {
        return Err("git keeps that name for itself");
    }
    if name.starts_with('-') {
        return Err("it starts with `-`");
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return Err("it has an empty part between `/`");
    }
    if name.ends_with('.') || name.contains("..") || name.contains("@{") {
        return Err("it ends with `.`, or has `..` or `@{`");
    }
    if name
        .chars()
        .any(|c| c.is_control() || c == ' ' || "~^:?*[\\\u{7f}".contains(c))
    {
        return Err("it has a space, a control character or one of ~ ^ : ? * [ \\");
    }
    if name
        .split('/')
        .any(|part| part.starts_with('.') || part.ends_with(".lock"))
    {
        return Err("a part of it starts with `.` or ends with `.lock`");
    }
    Ok(())
}

/// A repository URL Argo CD can clone: `scheme://host/...` or the scp-like
/// `user@host:path`, with no white space or control characters.
pub(crate) fn check_repo_url(url: &str) -> Result<(), &'static str> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("it has white space or a control character");
    }
    if let Some((scheme, rest)) = url.split_once("://") {
        let scheme_ok = scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
        let host = rest.split('/').next().unwrap_or("");
        if scheme_ok && (!host.is_empty() || (scheme == "file" && rest.len() > 1)) {
            return Ok(());
        }
        return Err("it has no scheme or no host");
    }
    match url.split_once(':') {
        Some((user_host, path))
            if user_host.contains('@')
                && !user_host.contains('/')
                && !user_host.ends_with('@')
                && !path.is_empty() =>
        {
            Ok(())
        }
        _ => Err("it is neither `https://host/path` nor `user@host:path`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From `git check-ref-format`'s rules (its manual and t1402).
    #[test]
    fn branch_names_follow_git() {
        for ok in ["main", "release/2026-11", "feature/a.b", "v1.0", "a-b_c"] {
            assert!(check_branch(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", "HEAD", "@", "-x", "/x", "x/", "a//b", "a..b", "a.", "a@{1}", "a b", "a~1", "a^",
            "a:b", "a?", "a*", "a[b", "a\\b", ".hidden", "a/.b", "x.lock", "a/b.lock", "a\u{1}b",
        ] {
            assert!(check_branch(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn repo_urls_are_urls() {
        for ok in [
            "https://git.example.com/platform/fleet-deploy.git",
            "ssh://git@github.com/org/repo.git",
            "git@github.com:org/repo.git",
            "file:///srv/git/deploy.git",
        ] {
            assert!(check_repo_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "not a url",
            "deploy",
            "https://",
            "://host/x",
            "git@github.com:",
            "https://git.example.com/a\nb",
        ] {
            assert!(check_repo_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn output_paths_reject_git_s_folder_in_any_case() {
        for bad in [
            ".git/config",
            "a/.GIT/x",
            "a/.Git",
            ".fleetc-x/y",
            "a//b",
            "a/\n/b",
        ] {
            assert!(check_relative_path(bad).is_err(), "{bad:?}");
        }
    }
}
