//! `fleetc report --html`: the page's content, and the page in a real
//! browser (headless Chromium, which `.ci/run` installs).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use fleetc::{compile, Compiled};

use crate::support::{fleetc, repo};

fn example() -> Compiled {
    compile(&repo().join("fixtures/example")).unwrap()
}

/// Debian's `/usr/bin/chromium`, or a `chromium` on `PATH`.
fn chromium() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    std::iter::once(PathBuf::from("/usr/bin/chromium"))
        .chain(on_path.into_iter().map(|d| d.join("chromium")))
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `url` with extra flags, in a fresh profile;
/// returns stdout (the DOM, with `--dump-dom`).
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
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The text after each `<td` of a cluster's drawn row, in column order.
fn row_tds<'a>(dom: &'a str, cluster: &str) -> Vec<&'a str> {
    let start = dom
        .find(&format!("data-cluster=\"{cluster}\""))
        .unwrap_or_else(|| panic!("no row for {cluster}"));
    let row = &dom[start..start + dom[start..].find("</tr>").unwrap()];
    row.split("<td").skip(1).collect()
}

/// The cells of a cluster's drawn row, in column order: `p` placed,
/// `x` excluded, `-` not placed.
fn row_cells(dom: &str, cluster: &str) -> Vec<String> {
    row_tds(dom, cluster)
        .into_iter()
        .map(|td| {
            if td.starts_with(" class=\"p\"") {
                "p".to_string()
            } else if td.starts_with(" class=\"x\"") {
                "x".to_string()
            } else {
                "-".to_string()
            }
        })
        .collect()
}

/// The apps of the header row the DOM holds, in column order.
fn header_apps(dom: &str) -> Vec<String> {
    let head = &dom[dom.find("<thead").unwrap()..dom.find("</thead>").unwrap()];
    head.split("data-app=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].to_string())
        .collect()
}

/// The JSON in `<script type="application/json" id=ID>`.
fn embedded(page: &str, id: &str) -> serde_json::Value {
    let tag = format!("id={id}>");
    let start = page.find(&tag).unwrap() + tag.len();
    let json = &page[start..start + page[start..].find("</script>").unwrap()];
    serde_json::from_str(json).unwrap()
}

/// The matrix the page embeds: (cluster, a `p` / `x` / `.` per app), in
/// display order.
fn embedded_rows(page: &str) -> Vec<(String, String)> {
    let v = embedded(page, "data");
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
    let c = example();
    let page = fleetc::report_html(&c, None);
    for external in ["src=", "href=", "@import", "url(", "http://", "https://"] {
        assert!(
            !page.contains(external),
            "the page must need no network: {external}"
        );
    }
    // Every cell, by status, as many as the matrix has.
    let rows = embedded_rows(&page);
    assert_eq!(rows.len(), c.inventory.clusters.len());
    let all: String = rows.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(
        all.len(),
        c.inventory.clusters.len() * c.inventory.apps.len()
    );
    assert_eq!(all.matches('p').count(), c.matrix.placed.len());
    assert_eq!(all.matches('x').count(), c.matrix.excluded.len());
    assert_eq!((c.matrix.placed.len(), c.matrix.excluded.len()), (28, 1));
    assert!(page.contains("<b id=nplaced>28</b>") && page.contains("<b id=nexcluded>1</b>"));
    assert!(page.contains("<b id=nclusters>6</b>") && page.contains("<b id=napps>7</b>"));
    assert!(page.contains("<b id=napplications>28</b>"));

    // Grouped by region (the example's first grouping label): east, south,
    // west. Apps in inventory order:
    // app1 inference log-shipper node-exporter pos-api pos-worker storefront.
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "east-nsw-newcastle-01",
            "east-qld-brisbane-01",
            "lab-sydney-01",
            "south-vic-melbourne-01",
            "west-wa-perth-01",
            "west-wa-perth-02"
        ]
    );
    assert_eq!(rows[3].1, ".xpp...");
    assert_eq!(rows[1].1, "ppppppp");
    let data = embedded(&page, "data");
    assert_eq!(
        data["groups"],
        serde_json::json!([["region=east", 3], ["region=south", 1], ["region=west", 2]])
    );

    // Hover texts name the policies, the revision and the ring: the
    // melbourne row's inference cell, brisbane's log-shipper, and
    // node-exporter on the two Perth stores, one ring promoted and one
    // waiting for its promotion.
    let titles = embedded(&page, "titles");
    let hover = embedded(&page, "hover");
    let k = hover[3][1].as_u64().unwrap() as usize;
    assert_eq!(titles[k], "excluded by freeze-melbourne");
    let k = hover[1][2].as_u64().unwrap() as usize;
    assert_eq!(
        titles[k],
        "placed by app1_to_east, logs-everywhere, logs-prod-quiet; revision 0.47.10"
    );
    let k = hover[5][3].as_u64().unwrap() as usize;
    assert_eq!(
        titles[k],
        "placed by agents-everywhere, node-exporter-4.40; revision 4.40.0 (ring canary: promoted)"
    );
    let k = hover[4][3].as_u64().unwrap() as usize;
    assert_eq!(
        titles[k],
        "placed by agents-everywhere, node-exporter-4.40; revision 4.39.0 (ring early: waiting)"
    );
    assert_eq!(hover[0][4], 0, "not placed: no hover text");

    // Deterministic.
    assert_eq!(page, fleetc::report_html(&example(), None));
}

#[test]
fn clusters_without_the_grouping_label_come_last_under_none() {
    // Only the Brisbane flagship has a `tier`.
    let page = fleetc::report_html(&example(), Some("tier"));
    let data = embedded(&page, "data");
    assert_eq!(
        data["groups"],
        serde_json::json!([["tier=flagship", 1], ["tier: (none)", 5]])
    );
    assert_eq!(embedded_rows(&page)[0].0, "east-qld-brisbane-01");
    assert!(page.contains("grouped by <b>tier</b>"));
}

#[test]
fn report_html_writes_the_page() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("fleet.html");
    let run = fleetc(
        &repo().join("fixtures/example"),
        &["report", "--html", file.to_str().unwrap()],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stdout.contains("6 clusters × 7 apps"), "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        fleetc::report_html(&example(), None)
    );
}

#[test]
fn the_page_in_a_real_browser() {
    if chromium().is_none() {
        println!("SKIPPED: chromium not installed (.ci/run installs it)");
        return;
    }
    let c = example();
    let page = fleetc::report_html(&c, None);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("fleet.html");
    std::fs::write(&file, &page).unwrap();
    let url = file_url(&file);

    // The DOM the browser built: the right cells in the right places.
    let dom = headless(&url, &["--dump-dom", "--window-size=1400,900"]);
    assert!(
        dom.contains("<table id=\"grid\""),
        "no grid in the DOM:\n{}",
        &dom[..dom.len().min(2000)]
    );
    let body = &dom[dom.find("<tbody id=\"rows\">").unwrap()..dom.find("</tbody>").unwrap()];
    assert_eq!(
        body.matches("<tr data-i=").count(),
        c.inventory.clusters.len()
    );
    assert_eq!(
        body.matches("class=\"p\">●</td>").count(),
        c.matrix.placed.len()
    );
    assert_eq!(
        body.matches("class=\"x\">✕</td>").count(),
        c.matrix.excluded.len()
    );
    assert!(body.contains("region=east (3 clusters)"), "group headings");
    let apps = header_apps(&dom);
    assert_eq!(
        apps,
        [
            "app1",
            "inference",
            "log-shipper",
            "node-exporter",
            "pos-api",
            "pos-worker",
            "storefront"
        ]
    );
    let cell = |cluster: &str, app: &str| {
        row_cells(&dom, cluster)[apps.iter().position(|a| a == app).unwrap()].clone()
    };
    assert_eq!(cell("south-vic-melbourne-01", "inference"), "x");
    assert_eq!(cell("east-nsw-newcastle-01", "app1"), "p");
    assert_eq!(cell("west-wa-perth-01", "app1"), "-");
    assert_eq!(
        row_cells(&dom, "east-nsw-newcastle-01"),
        ["p", "p", "p", "p", "-", "-", "p"]
    );

    // Hovering a cell names the policies behind it.
    let hover = tmp.path().join("hover.html");
    let probe = "<script>\
        var tr=document.querySelector('tr[data-cluster=\"south-vic-melbourne-01\"]');\
        tr.cells[2].dispatchEvent(new MouseEvent('mouseover',{bubbles:true}));\
        </script></body>";
    std::fs::write(&hover, page.replace("</body>", probe)).unwrap();
    let dom = headless(&file_url(&hover), &["--dump-dom"]);
    assert!(
        dom.contains(
            "title=\"south-vic-melbourne-01 / inference: excluded by freeze-melbourne\">✕</td>"
        ),
        "hover title missing"
    );

    // The filters, driven by the link: the west's clusters, the payments apps.
    let dom = headless(
        &format!("{url}#filter=region%3Dwest&apps=pos"),
        &["--dump-dom"],
    );
    assert!(
        dom.contains("<b id=\"shown\">2</b>") && dom.contains("<b id=\"appsshown\">2</b>"),
        "filter did not run:\n{}",
        &dom[..dom.len().min(3000)]
    );
    let drawn = |cluster: &str| dom.contains(&format!("data-cluster=\"{cluster}\""));
    assert!(!drawn("east-qld-brisbane-01") && !drawn("south-vic-melbourne-01"));
    assert!(drawn("west-wa-perth-01") && drawn("west-wa-perth-02"));
    assert_eq!(header_apps(&dom), ["pos-api", "pos-worker"]);
    assert_eq!(row_cells(&dom, "west-wa-perth-01"), ["p", "p"]);
    // Apps by their source type; a header names it.
    let dom = headless(&format!("{url}#apps=source%3Dkustomize"), &["--dump-dom"]);
    assert_eq!(header_apps(&dom), ["storefront"]);
    assert!(
        dom.contains("title=\"storefront: a Kustomize app, kustomize\""),
        "the header names the source type"
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
            "--window-size=1400,900",
        ],
    );
    let bytes = std::fs::read(&png).expect("a screenshot");
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
        "{} bytes",
        bytes.len()
    );
    println!(
        "browser: DOM, hover and filters checked; screenshot at {}",
        png.display()
    );
}

/// A fleet of `clusters` × `apps` across four regions and three
/// environments, with eight policies (one an exclusion), as one file.
fn big_inventory(dir: &Path, clusters: usize, apps: usize) {
    let regions = ["east", "west", "north", "south"];
    let envs = ["prod", "staging", "dev"];
    let tiers = ["front", "back", "agent", "batch"];
    let mut docs = Vec::new();
    for t in 0..10 {
        docs.push(format!("kind: Namespace\nname: team-{t:02}\n"));
    }
    for i in 0..clusters {
        let (r, e) = (regions[i % 4], envs[(i / 4) % 3]);
        docs.push(format!(
            "kind: Cluster\nname: {r}-store-{i:05}\nenvironment: {e}\n\
             metadata: {{region: {r}, gpu: \"{}\", edge: \"{}\", rack: r{}}}\n",
            i % 7 == 0,
            i % 3 != 0,
            i % 50
        ));
    }
    for a in 0..apps {
        let t = a % 10;
        docs.push(format!(
            "kind: App\nname: app-{a:04}\nnamespace: team-{t:02}\n\
             repo_url: https://git.example.com/team-{t:02}/app-{a:04}.git\nrepo_path: deploy\n\
             metadata: {{tier: {}, gpu: \"{}\", wave: w{}}}\n",
            tiers[a % 4],
            a % 9 == 0,
            a % 5
        ));
    }
    let policies = [
        ("agents-everywhere", "{tier: agent}", "{}", false),
        ("front-on-edge", "{tier: front}", "\"edge=true\"", false),
        (
            "back-in-prod",
            "{tier: back}",
            "\"environment=prod\"",
            false,
        ),
        (
            "back-east-west",
            "\"tier=back,wave in (w0,w1)\"",
            "\"region in (east,west)\"",
            false,
        ),
        ("batch-on-gpus", "{tier: batch}", "{gpu: \"true\"}", false),
        ("gpu-apps", "{gpu: \"true\"}", "{gpu: \"true\"}", false),
        (
            "staging-all-w2",
            "{wave: w2}",
            "\"environment=staging\"",
            false,
        ),
        (
            "freeze-north-w3",
            "{wave: w3}",
            "\"region=north,rack in (r1,r2,r3,r4,r5)\"",
            true,
        ),
    ];
    for (name, apps, clusters, exclude) in policies {
        docs.push(format!(
            "kind: TargetPolicy\nname: {name}\napp_selector: {apps}\n\
             cluster_selector: {clusters}\nexclude: {exclude}\n"
        ));
    }
    std::fs::write(dir.join("inventory.yaml"), docs.join("---\n")).unwrap();
}

/// A benchmark, not a test: `cargo test --release --test it scale -- --ignored --nocapture`.
/// Prints the page's size and how long headless Chromium takes to load it
/// (median of 3), for a 2,000 × 200 fleet. Leaves the page in
/// target/test-artifacts/scale.html.
#[test]
#[ignore]
fn scale_2000_clusters_by_200_apps() {
    let tmp = tempfile::tempdir().unwrap();
    big_inventory(tmp.path(), 2000, 200);
    let c = compile(tmp.path()).unwrap();
    let t = Instant::now();
    let page = fleetc::report_html(&c, None);
    let render = t.elapsed();
    assert_eq!(embedded_rows(&page).len(), 2000);
    let artifacts = repo().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let file = artifacts.join("scale.html");
    std::fs::write(&file, &page).unwrap();
    println!(
        "scale: {} clusters × {} apps, {} placed, {} excluded: page {} bytes, built in {:.0} ms",
        c.inventory.clusters.len(),
        c.inventory.apps.len(),
        c.matrix.placed.len(),
        c.matrix.excluded.len(),
        page.len(),
        render.as_secs_f64() * 1e3
    );
    if chromium().is_none() {
        println!("SKIPPED: chromium not installed (.ci/run installs it)");
        return;
    }
    let mut secs: Vec<f64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            let dom = headless(&file_url(&file), &["--dump-dom", "--window-size=1400,900"]);
            let s = t.elapsed().as_secs_f64();
            assert!(dom.contains("data-cluster=\"east-store-00000\""));
            s
        })
        .collect();
    secs.sort_by(f64::total_cmp);
    println!(
        "scale: chromium --headless --dump-dom: median {:.2} s (runs {:.2?})",
        secs[1], secs
    );
}

/// The live status class of each cell of a cluster's drawn row (`sD`, `sS`,
/// `sN`, `sU`, `sO`, or `-` for none), in column order.
fn live_cells(dom: &str, cluster: &str) -> Vec<String> {
    row_tds(dom, cluster)
        .into_iter()
        .map(|td| {
            let class = td
                .strip_prefix(" class=\"")
                .map(|c| &c[..c.find('"').unwrap()])
                .unwrap_or("");
            class
                .split(' ')
                .find(|c| c.starts_with('s'))
                .unwrap_or("-")
                .to_string()
        })
        .collect()
}

#[test]
fn the_page_coloured_by_live_status_in_a_real_browser() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("fleet.html");
    let exports = repo().join("fixtures/status/example");
    let run = fleetc(
        &repo().join("fixtures/example"),
        &[
            "report",
            "--html",
            file.to_str().unwrap(),
            "--from",
            exports.to_str().unwrap(),
            "--now",
            "2026-11-30T12:00:00Z",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(&file).unwrap();
    // The page holds one live character per cell, and the counts.
    let data = embedded(&page, "data");
    assert_eq!(
        data["live"].as_array().unwrap().len(),
        6,
        "one row per cluster"
    );
    assert!(page.contains("<b id=\"live-D\">11</b> DEPLOYED"), "counts");
    assert!(page.contains("<b id=\"live-O\">1</b> ORPHANED"), "counts");
    if chromium().is_none() {
        println!("SKIPPED: chromium not installed (.ci/run installs it)");
        return;
    }
    let dom = headless(&file_url(&file), &["--dump-dom", "--window-size=1400,900"]);
    // Apps in order: app1 inference log-shipper node-exporter pos-api
    // pos-worker storefront.
    assert_eq!(
        live_cells(&dom, "west-wa-perth-02"),
        ["-", "-", "sN", "sD", "sS", "sS", "-"]
    );
    assert_eq!(
        live_cells(&dom, "west-wa-perth-01"),
        ["sO", "-", "sD", "sS", "sD", "sS", "-"]
    );
    assert_eq!(
        live_cells(&dom, "east-nsw-newcastle-01"),
        ["sU", "sD", "sU", "sU", "-", "-", "sU"]
    );
    assert_eq!(live_cells(&dom, "east-qld-brisbane-01"), ["sD"; 7]);
    assert!(
        dom.contains("class=\"sO\">○</td>"),
        "the orphan's cell is marked though nothing places it"
    );
    // The colours are the style sheet's: a stale cell is not a deployed one.
    let probe = "<script>\
        var c=function(s){return getComputedStyle(document.querySelector('td.'+s)).backgroundColor;};\
        document.title=[c('sD'),c('sS'),c('sN'),c('sU'),c('sO')].join('|');\
        </script></body>";
    let colours = tmp.path().join("colours.html");
    std::fs::write(&colours, page.replace("</body>", probe)).unwrap();
    let dom = headless(&file_url(&colours), &["--dump-dom"]);
    let title = &dom[dom.find("<title>").unwrap() + 7..dom.find("</title>").unwrap()];
    let distinct: std::collections::BTreeSet<&str> = title.split('|').collect();
    assert_eq!(distinct.len(), 5, "five colours: {title}");

    // Hover names the live verdict and its reason.
    let probe = "<script>\
        var tr=document.querySelector('tr[data-cluster=\"west-wa-perth-02\"]');\
        tr.cells[5].dispatchEvent(new MouseEvent('mouseover',{bubbles:true}));\
        </script></body>";
    let hover = tmp.path().join("hover.html");
    std::fs::write(&hover, page.replace("</body>", probe)).unwrap();
    let dom = headless(&file_url(&hover), &["--dump-dom"]);
    // The title the hover set on the cell itself (the page's embedded
    // texts hold these words too, so the cell's attribute is what counts).
    let title = dom
        .find("title=\"west-wa-perth-02 / pos-api:")
        .map(|at| &dom[at..at + dom[at..].find("\">").unwrap()])
        .expect("the hovered cell has its title");
    assert!(
        title.contains("live: STALE, Healthy")
            && title.contains("revision v2.13.0, desired v2.15.0-rc.1"),
        "{title}"
    );

    let artifacts = repo().join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("report-live.png");
    headless(
        &file_url(&file),
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1400,900",
        ],
    );
    println!(
        "browser: live colours checked; screenshot at {}",
        png.display()
    );
}
