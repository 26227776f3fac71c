//! Review at fleet scale: a change made alike to many Applications is
//! read once, the pull-request comment fits GitHub's limit at any size
//! (or is cut into numbered comments, none of it lost), and a removed
//! Application says why it left.

use std::path::Path;

use crate::support::fleetc;

/// GitHub refuses a comment longer than this many characters.
const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// A fleet of `n` clusters, each with the app `web` placed by one policy
/// whose values are `values`; rendered into `rendered/`.
fn fleet(dir: &Path, n: usize, values: &str) {
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("namespaces/t.yaml", "name: t\n");
    let clusters: Vec<String> = (0..n)
        .map(|i| format!("name: store-{i:04}\nmetadata: {{region: r{}}}\n", i % 7))
        .collect();
    write("clusters/stores.yaml", &clusters.join("---\n"));
    write(
        "apps/web.yaml",
        "name: web\nrepo_url: https://git.example.com/web.git\nrepo_path: deploy\nnamespace: t\nvalues:\n  host: \"${ cluster.name }.example.com\"\n",
    );
    write(
        "policies/web.yaml",
        &format!(
            "name: web-everywhere\napp_selector: {{}}\ncluster_selector: {{}}\nvalues:\n{values}"
        ),
    );
}

fn diff(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["diff", "--out", "rendered"];
    all.extend_from_slice(args);
    let run = fleetc(dir, &all);
    assert_eq!(run.status, 0, "{}", run.stderr);
    run.stdout
}

/// A one-line change to a policy's values shows its hunk once, with the
/// Applications it applies to, in text and in Markdown; the comment fits
/// in one screen's worth of a PR at 1,030 clusters.
#[test]
fn one_change_to_many_applications_is_shown_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fleet(dir, 1_030, "  replicas: 2\n");
    assert_eq!(fleetc(dir, &["compile", "--out", "rendered"]).status, 0);
    fleet(dir, 1_030, "  replicas: 2\n  newKey: added\n");

    let text = diff(dir, &[]);
    assert_eq!(
        text.matches("+        newKey: added").count(),
        1,
        "{}",
        &text[..2000.min(text.len())]
    );
    assert!(
        text.contains("=== the same change on 1030 files (the lines around it as in the first): web on store-0000, web on store-0001"),
        "{}",
        &text[..2000.min(text.len())]
    );

    let md = diff(dir, &["--format", "markdown"]);
    assert!(md.len() < GITHUB_COMMENT_LIMIT, "{} bytes", md.len());
    assert_eq!(md.matches("+        newKey: added").count(), 1);
    assert!(md.contains("**1 distinct change**"), "{md}");
    assert!(md.contains("| changed: values | 1030 |"), "{md}");
    assert!(md.contains("| web-everywhere | 0 | 1030 | 0 | 0 |"), "{md}");
    assert!(md.contains("| … and 1020 more clusters | |"), "{md}");
    assert!(!md.contains("truncated"), "{md}");
    // By cluster group: the stores' regions, r0 to r6 (store i is in
    // r{i % 7}), each with its clusters and Applications.
    assert!(
        md.contains("| cluster group | clusters | Applications changed |"),
        "{md}"
    );
    assert!(md.contains("| region=r0 | 148 | 148 |"), "{md}");
    assert!(md.contains("| region=r6 | 147 | 147 |"), "{md}");
    // A label no cluster has is a mistake, not a table of one group.
    let run = fleetc(
        dir,
        &[
            "diff",
            "--out",
            "rendered",
            "--format",
            "markdown",
            "--group-by",
            "regoin",
        ],
    );
    assert_eq!(run.status, 1);
    assert!(
        run.stderr.contains("did you mean `region`?"),
        "{}",
        run.stderr
    );
}

/// Changes that differ per Application: the comment is cut at the limit,
/// says so and how to get the rest; `--split` writes it all as numbered
/// comments, each under the limit, every distinct change in one of them.
#[test]
fn a_comment_too_long_for_one_is_cut_or_split_losing_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fleet(dir, 250, "  replicas: 2\n");
    assert_eq!(fleetc(dir, &["compile", "--out", "rendered"]).status, 0);
    // Each store's own line changes: 250 distinct changes.
    std::fs::write(
        dir.join("apps/web.yaml"),
        "name: web\nrepo_url: https://git.example.com/web.git\nrepo_path: deploy\nnamespace: t\nvalues:\n  host: \"${ cluster.name }.shop.example.com\"\n",
    )
    .unwrap();

    let md = diff(dir, &["--format", "markdown"]);
    assert!(md.len() <= 60_000, "{} bytes", md.len());
    assert!(md.contains("**250 distinct changes**"), "{}", &md[..1500]);
    assert!(
        md.contains("truncated") && md.contains("--split DIR"),
        "{}",
        &md[md.len() - 400..]
    );

    let out = diff(
        dir,
        &[
            "--format",
            "markdown",
            "--split",
            "comments",
            "--max-bytes",
            "30000",
        ],
    );
    let paths: Vec<&str> = out.lines().collect();
    assert!(paths.len() > 2, "{out}");
    let mut details = 0;
    for (k, p) in paths.iter().enumerate() {
        assert!(
            p.ends_with(&format!("comments/comment-{}.md", k + 1)),
            "{p}"
        );
        let part = std::fs::read_to_string(dir.join(p))
            .unwrap_or_else(|_| std::fs::read_to_string(p).unwrap());
        assert!(part.len() <= 30_000, "{p}: {} bytes", part.len());
        if k > 0 {
            assert!(part.starts_with(&format!(
                "### fleetc: what this change does to the fleet ({} of {})",
                k + 1,
                paths.len()
            )));
        }
        details += part.matches("<details>").count();
    }
    assert_eq!(details, 250, "every distinct change, once");
    // A shorter run leaves no stale part behind.
    std::fs::write(
        dir.join("apps/web.yaml"),
        "name: web\nrepo_url: https://git.example.com/web.git\nrepo_path: deploy\nnamespace: t\nvalues:\n  host: \"${ cluster.name }.example.com\"\n",
    )
    .unwrap();
    let out = diff(dir, &["--format", "markdown", "--split", "comments"]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert_eq!(std::fs::read_dir(dir.join("comments")).unwrap().count(), 1);
}

/// A removed Application says why it left, in the text and the comment.
#[test]
fn a_removed_application_says_why_it_left() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fleet(dir, 3, "  replicas: 2\n");
    assert_eq!(fleetc(dir, &["compile", "--out", "rendered"]).status, 0);
    std::fs::write(
        dir.join("policies/freeze.yaml"),
        "name: freeze-r1\nexclude: true\napp_selector: {}\ncluster_selector: {region: r1}\n",
    )
    .unwrap();
    let text = diff(dir, &[]);
    assert!(text.contains("  - web (excluded by freeze-r1)"), "{text}");
    let md = diff(dir, &["--format", "markdown"]);
    assert!(
        md.contains("| removed: excluded by freeze-r1 | 1 |"),
        "{md}"
    );
    assert!(
        md.contains("<b>removed</b> `web` on `store-0001` Application (excluded by freeze-r1)"),
        "{md}"
    );
}
