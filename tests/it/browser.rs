//! `fleetc report --html`: the page's content, and the page in a real
//! browser (headless Chromium, which `.ci/run` installs).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{fleetc, repo};

fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// Runs headless Chromium on `url` with extra flags; returns stdout.
fn headless(url: &str, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium().unwrap())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.path().display()),
        ])
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write_report(dir: &Path) -> PathBuf {
    let file = dir.join("fleet.html");
    let run = fleetc(
        &repo().join("fixtures/example"),
        &["report", "--html", file.to_str().unwrap()],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("6 clusters × 6 apps"), "{}", run.stdout);
    file
}

/// The cells of a cluster's row, in app order, as their classes.
fn row_cells(dom: &str, cluster: &str) -> Vec<String> {
    let start = dom
        .find(&format!("data-cluster=\"{cluster}\""))
        .unwrap_or_else(|| panic!("no row for {cluster}"));
    let row = &dom[start..start + dom[start..].find("</tr>").unwrap()];
    row.split("<td")
        .skip(1)
        .map(|td| {
            if td.starts_with(" class=\"p\"") || td.starts_with(" class=p") {
                "p".to_string()
            } else if td.starts_with(" class=\"x\"") || td.starts_with(" class=x") {
                "x".to_string()
            } else {
                "-".to_string()
            }
        })
        .collect()
}

/// The matrix the page embeds: (cluster, row of p / x / . per app).
fn embedded_rows(page: &str) -> Vec<(String, String)> {
    let start = page.find("id=data>").unwrap() + "id=data>".len();
    let json = &page[start..start + page[start..].find("</script>").unwrap()];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .zip(v["rows"].as_array().unwrap())
        .map(|(c, r)| {
            (
                c["n"].as_str().unwrap().to_string(),
                r.as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_page_is_self_contained_and_holds_the_matrix() {
    let tmp = tempfile::tempdir().unwrap();
    let page = std::fs::read_to_string(write_report(tmp.path())).unwrap();
    for external in ["src=", "href=", "@import", "url(", "http://", "https://"] {
        assert!(
            !page.contains(external),
            "the page must need no network: {external}"
        );
    }
    let rows = embedded_rows(&page);
    let all: String = rows.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(all.matches('p').count(), 25);
    assert_eq!(all.matches('x').count(), 1);
    // Grouped by region (east, south, west), apps in inventory order:
    // app1 inference log-shipper node-exporter pos-api pos-worker.
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[3], "south-vic-melbourne-01");
    assert_eq!(rows[3].1, ".xpp..");
    assert_eq!(
        rows[1],
        ("east-qld-brisbane-01".to_string(), "pppppp".to_string())
    );
    assert!(page.contains("[\"region=east\",3]"), "group headings");
    // Hover texts name the policies.
    assert!(page.contains("excluded by freeze-melbourne"));
    assert!(page.contains("placed by app1_to_east, logs-everywhere, logs-prod-quiet"));
    // Deterministic.
    let again = std::fs::read_to_string(write_report(tmp.path())).unwrap();
    assert_eq!(page, again);
}

#[test]
fn the_page_in_a_real_browser() {
    if chromium().is_none() {
        println!("SKIPPED: chromium not installed (.ci/run installs Debian's chromium)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = write_report(tmp.path());
    let url = format!("file://{}", file.display());

    // The DOM the browser built: the right cells in the right places.
    let dom = headless(&url, &["--dump-dom"]);
    assert!(
        dom.contains("<table id=\"grid\">"),
        "no grid in the DOM:\n{}",
        &dom[..dom.len().min(2000)]
    );
    assert!(dom.contains("region=east (3 clusters)"), "group headings");
    let body = &dom[dom.find("<tbody id=\"rows\">").unwrap()..dom.find("</tbody>").unwrap()];
    assert_eq!(body.matches("class=\"p\"").count(), 25);
    assert_eq!(body.matches("class=\"x\"").count(), 1);
    assert_eq!(
        row_cells(&dom, "south-vic-melbourne-01"),
        ["-", "x", "p", "p", "-", "-"]
    );
    assert_eq!(
        row_cells(&dom, "east-nsw-newcastle-01"),
        ["p", "p", "p", "p", "-", "-"]
    );

    // The filter, driven by the link: only the west's clusters stay visible.
    let dom = headless(
        &format!("{url}#filter=region%3Dwest"),
        &["--dump-dom", "--virtual-time-budget=2000"],
    );
    assert!(
        dom.contains("<b id=\"shown\">2</b>"),
        "filter did not run:\n{}",
        &dom[..dom.len().min(3000)]
    );
    let drawn = |cluster: &str| dom.contains(&format!("data-cluster=\"{cluster}\""));
    assert!(!drawn("east-qld-brisbane-01") && !drawn("south-vic-melbourne-01"));
    assert!(drawn("west-wa-perth-01") && drawn("west-wa-perth-02"));
    assert_eq!(
        row_cells(&dom, "west-wa-perth-01"),
        ["-", "-", "p", "p", "p", "p"]
    );

    // A screenshot, kept as a test artifact to look at.
    let artifacts = repo().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("report.png");
    let _ = std::fs::remove_file(&png);
    headless(
        &url,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1200,700",
        ],
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );
    println!(
        "browser: DOM checked, filter checked, screenshot at {}",
        png.display()
    );
}
