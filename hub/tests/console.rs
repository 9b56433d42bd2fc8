//! The branch console in a real browser: Debian's chromium, headless, driven through
//! chromedriver (WebDriver), against a real `anjungan-hub serve` over HTTPS, with a real
//! kiosk sync agent delivering requests and receiving the decisions.
//!
//! Covers logging in, approving (and the kiosk hearing it), rejecting with a reason, the
//! CSRF refusal, role refusals, the lockout, and that no page carries a full card number
//! or NIK. Each page is saved as a PNG to be looked at: in `docs/screenshots/console/` when
//! `scripts/screenshots.sh` runs it, else in the target's temp folder.
//!
//! Needs `chromium` and `chromedriver` (`scripts/test.sh` installs them).

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anjungan_core::store::Store;
use anjungan_core::sync::SyncAgent;
use common::Backend;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

const SECRET: &str = "k1-secret-for-the-console-test-0123456789";
const PASSWORD: &str = "kata-sandi-yang-panjang";

/// Every card number and NIK of the fixture: none may appear whole in a page.
fn fixture_identifiers() -> Vec<String> {
    let text = std::fs::read_to_string(common::fixture().join("members.csv")).unwrap();
    text.lines()
        .skip(1)
        .flat_map(|l| l.split(',').take(2).map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn chromedriver() -> (Driver, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let exe = ["chromedriver", "/usr/bin/chromedriver"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .stdout(Stdio::null())
                .status()
                .is_ok()
        })
        .unwrap_or_else(|| {
            panic!("chromedriver is not installed: run the tests with scripts/test.sh, which installs chromium and chromium-driver")
        });
    let child = Command::new(exe)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (Driver(child), port)
}

/// A headless chromium with its own profile in `profile`: two tests at once must not share
/// a cookie jar (cookies are per host, not per port, and every hub here is 127.0.0.1).
async fn browser(port: u16, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--ignore-certificate-errors", "--window-size=1366,900", "--lang=id",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    caps.insert("acceptInsecureCerts".into(), json!(true));
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a chromium session through chromedriver")
}

/// `$ANJUNGAN_SCREENSHOTS/console` (`scripts/screenshots.sh` sets it to docs/screenshots),
/// else the target's temp folder: a test run leaves the tree as it was.
fn shots_dir() -> PathBuf {
    let dir = std::env::var_os("ANJUNGAN_SCREENSHOTS")
        .map_or_else(
            || PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"),
            PathBuf::from,
        )
        .join("console");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The page's HTML once it has its heading: right after a navigation the document can
/// still be empty for a moment (seen about once in ten runs with two browsers at once).
async fn loaded(c: &Client) -> String {
    c.wait()
        .for_element(Locator::Css("main h1"))
        .await
        .expect("a page with its heading");
    c.source().await.unwrap()
}

/// Saves the page as `shots/name.png` and checks that its HTML holds no full identifier.
async fn page(c: &Client, shots: &Path, name: &str) -> String {
    let html = loaded(c).await;
    for id in fixture_identifiers() {
        assert!(
            !html.contains(&id),
            "{name}: the page carries a full identifier"
        );
    }
    let png = c.screenshot().await.unwrap();
    std::fs::write(shots.join(format!("{name}.png")), png).unwrap();
    html
}

/// [`page`], the whole page in the picture (the window made as tall as the page, then
/// back to 1366×900).
async fn full_page(c: &Client, shots: &Path, name: &str) -> String {
    loaded(c).await;
    let height = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(900)
        .clamp(900, 8000);
    c.set_window_size(1366, height as u32).await.unwrap();
    let html = page(c, shots, name).await;
    c.set_window_size(1366, 900).await.unwrap();
    html
}

/// Clicks what `locator` finds and waits for the page it leads to (a click does not wait
/// for the navigation it starts: the old document must be gone first).
async fn click_through(c: &Client, locator: Locator<'_>) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.find(locator).await.unwrap().click().await.unwrap();
    let started = Instant::now();
    while old.tag_name().await.is_ok() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the click led nowhere"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.wait()
        .for_element(Locator::Css("main"))
        .await
        .expect("the next page");
}

async fn login(c: &Client, base: &str, user: &str, password: &str) {
    c.goto(&format!("{base}/console/login")).await.unwrap();
    let Ok(field) = c.find(Locator::Id("username")).await else {
        panic!(
            "no login form at {}: {}",
            c.current_url().await.unwrap(),
            c.source().await.unwrap()
        );
    };
    field.send_keys(user).await.unwrap();
    type_into(c, "password", password).await;
    click_through(c, Locator::Css("main button[type=submit]")).await;
}

async fn logout(c: &Client) {
    click_through(c, Locator::Css("header form button")).await;
}

/// Types `text` into the field with id `id`.
async fn type_into(c: &Client, id: &str, text: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Chooses `zip` in the dataset page's upload form and sends it.
async fn upload(c: &Client, zip: &Path) {
    type_into(c, "dataset", &zip.display().to_string()).await;
    click_through(
        c,
        Locator::Css("form[action='/console/dataset/upload'] button"),
    )
    .await;
}

/// Reloads until the page says `text` (at most 60 s); its HTML.
async fn until(c: &Client, text: &str) -> String {
    let started = Instant::now();
    loop {
        let html = c.source().await.unwrap();
        if html.contains(text) {
            return html;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never said {text:?}: {html}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.refresh().await.unwrap();
    }
}

/// A zip of the fixture's files at `path`, each passed through `edit` (name, text).
fn write_zip(path: &Path, edit: impl Fn(&str, String) -> String) {
    use std::io::Write as _;
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for entry in std::fs::read_dir(common::fixture()).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".csv") {
            continue;
        }
        w.start_file(format!("dataset/{name}"), options).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        w.write_all(edit(&name, text).as_bytes()).unwrap();
    }
    w.finish().unwrap();
}

/// `anjungan-hub ARGS` on the test's store (`store`: how the CLI names it), with `stdin`.
fn on_store(args: &[&str], store: &[String], stdin: &str) -> (i32, Value) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(store.iter().map(String::as_str));
    all.push("--json");
    common::hub_cli_with(&all, stdin)
}

fn add_user(store: &[String], name: &str, role: &str) {
    let (code, v) = on_store(
        &["users", "add", name, "--role", role],
        store,
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "{v}");
}

fn enqueue(kiosk: &Path, reference: &str, kind: &str, card: &str, change: Value) {
    let mut store = Store::open(kiosk).unwrap();
    store
        .enqueue_request(
            reference,
            kind,
            card,
            &change.to_string(),
            "2026-11-22T03:00:00Z",
        )
        .unwrap();
}

fn state_of(kiosk: &Path, reference: &str) -> (String, Option<String>) {
    let store = Store::open(kiosk).unwrap();
    let entry = store.request(reference).unwrap().unwrap();
    (entry.state.code().to_owned(), entry.decision_reason.clone())
}

struct Setup {
    dir: tempfile::TempDir,
    /// How the CLI names the store: `--state FILE --data .`, or `--database URL`.
    store: Vec<String>,
    hub: common::Served,
    kiosk: PathBuf,
    agent: SyncAgent,
}

fn setup(backend: Backend) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let (code, v) = common::hub_cli_with(&["keygen", "--out", &out, "--json"], "");
    assert_eq!(code, 0, "{v}");
    std::fs::write(
        dir.path().join("kiosks.toml"),
        format!(
            "[[kiosk]]\ncons_id = \"k1\"\nsecret = \"{SECRET}\"\nname = \"KC Bandung\"\n\
             branch = \"KC Bandung\"\nlat = -6.9025\nlon = 107.6188\n\
             [[kiosk]]\ncons_id = \"k2\"\nsecret = \"{SECRET}-2\"\n"
        ),
    )
    .unwrap();
    let fixture = common::fixture().display().to_string();
    let (store, serve): (Vec<String>, Vec<String>) = match backend {
        Backend::Sqlite => {
            let state = dir.path().join("hub.db").display().to_string();
            (
                vec!["--state".into(), state.clone(), "--data".into(), ".".into()],
                vec!["--state".into(), state, "--data".into(), fixture.clone()],
            )
        }
        Backend::Postgres => {
            let url = common::pg_database();
            (
                vec!["--database".into(), url.clone()],
                vec!["--database".into(), url],
            )
        }
    };
    // The import names its dataset directory: the store without --data, then --data.
    let named: Vec<String> = store.iter().take(2).cloned().collect();
    let (code, v) = on_store(
        &["import", "--data", &fixture, "--today", "2026-11-22"],
        &named,
        "",
    );
    assert_eq!(code, 0, "{v}");
    add_user(&store, "siti", "officer");
    add_user(&store, "agus", "supervisor");
    add_user(&store, "tono", "technician");
    let serve: Vec<&str> = serve.iter().map(String::as_str).collect();
    let hub = common::serve(dir.path(), &serve);
    let kiosk = dir.path().join("kiosk.db");
    // k1 runs the kiosk image: slot A, back from a bundle that never got healthy.
    let update = anjungan_core::update::agent::UpdateReport {
        channel: "stable".into(),
        slot: Some("A".into()),
        version: Some("1.4.0".into()),
        last_result: Some(anjungan_core::update::agent::Outcome {
            sha256: "ab".repeat(32),
            version: "1.5.0".into(),
            result: anjungan_core::update::agent::Verdict::RolledBack,
            message: None,
            at: "2026-12-03T02:00:00Z".into(),
        }),
        ..Default::default()
    };
    let agent =
        common::kiosk_agent_reporting("k1", dir.path(), &kiosk, &hub.url, SECRET, Some(update));
    Setup {
        dir,
        store,
        hub,
        kiosk,
        agent,
    }
}

both!(officers_decide_in_the_browser_and_the_kiosk_hears_it);

fn officers_decide_in_the_browser_and_the_kiosk_hears_it(backend: Backend) {
    let s = setup(backend);
    // The PostgreSQL run's pages are checked the same, and kept apart.
    let shots = match backend {
        Backend::Sqlite => shots_dir(),
        Backend::Postgres => {
            let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots/console-postgres");
            std::fs::create_dir_all(&d).unwrap();
            d
        }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The kiosk's first sync, then two requests members made at it, delivered.
    rt.block_on(s.agent.run_once()).unwrap();
    enqueue(
        &s.kiosk,
        "AJ-CONS-00001",
        "FKTP",
        "0001000000011",
        json!({"to": "3171P001", "effective_date": "2026-12-01"}),
    );
    enqueue(
        &s.kiosk,
        "AJ-CONS-00002",
        "KELAS",
        "0001000000021",
        json!({"to": 1, "effective_date": "2026-12-01"}),
    );
    // What the kiosk counted today for the figures: tickets at 09:00 with their estimated
    // waits (one over the target), a failed identification; and a rating two days ago (a
    // day's ratings go once that day is over in every zone).
    let today = anjungan_core::clock::today_in(anjungan_core::clock::DEFAULT_ZONE);
    let nine = format!("{today}T09:00");
    {
        use anjungan_core::counters::Metric;
        let store = Store::open(&s.kiosk).unwrap();
        store.count(&nine, Metric::Tickets, "A", 3).unwrap();
        store.count(&nine, Metric::WaitMinutes, "A", 75).unwrap();
        store.count(&nine, Metric::WaitOver, "A", 1).unwrap();
        store.count(&nine, Metric::IdFailures, "", 1).unwrap();
        store
            .count_rating(today - chrono::Duration::days(2), 4)
            .unwrap();
    }
    let report = rt.block_on(s.agent.run_once()).unwrap();
    assert_eq!(report.delivered, 2);
    // The hub's signed receipt came back: the kiosk has nothing left to send.
    let unsent = Store::open(&s.kiosk)
        .unwrap()
        .unsent_counts(
            chrono::Utc::now().date_naive() + chrono::Duration::days(1),
            100,
        )
        .unwrap();
    assert!(unsent.is_empty(), "{unsent:?}");

    let (_driver, port) = chromedriver();
    let base = s.hub.url.clone();
    rt.block_on(async {
        let c = browser(port, &s.dir.path().join("chromium-profile")).await;
        // Not logged in: the login page.
        c.goto(&format!("{base}/console/")).await.unwrap();
        assert!(
            c.current_url()
                .await
                .unwrap()
                .path()
                .ends_with("/console/login")
        );
        let html = page(&c, &shots, "login").await;
        assert!(html.contains("Nama pengguna"), "Indonesian first");

        // The officer: the inbox, oldest first, masked cards, today's eligibility.
        login(&c, &base, "siti", PASSWORD).await;
        assert_eq!(c.current_url().await.unwrap().path(), "/console/requests");
        let html = page(&c, &shots, "requests").await;
        let first = html.find("AJ-CONS-00001").expect("the FKTP request");
        let second = html.find("AJ-CONS-00002").expect("the kelas request");
        assert!(first < second, "oldest first");
        assert!(html.contains("0001*****0011"), "the masked card");
        assert!(
            html.contains("Klinik") || html.contains("Puskesmas") || html.contains("3171P001"),
            "names or codes"
        );
        assert!(html.contains("Memenuhi syarat") || html.contains("Tidak memenuhi syarat"));
        // On a phone: the same page, rows as cards.
        c.set_window_size(390, 844).await.unwrap();
        page(&c, &shots, "requests-phone").await;
        c.set_window_size(1366, 900).await.unwrap();

        // English on the toggle, the same page.
        click_through(&c, Locator::Css("header a[lang=en]")).await;
        let html = page(&c, &shots, "requests-en").await;
        assert!(
            html.contains("Change requests") && html.contains("Approve"),
            "English"
        );
        click_through(&c, Locator::Css("header a[lang=id]")).await;

        // Approve the first by its own button.
        click_through(
            &c,
            Locator::XPath("//tr[.//code[text()='AJ-CONS-00001']]//button[@name='approve_one']"),
        )
        .await;
        let html = page(&c, &shots, "requests-approved").await;
        assert!(html.contains("1 permintaan sudah diputuskan"), "the notice");
        assert!(!html.contains("AJ-CONS-00001"), "no longer waiting");

        // Reject the second with a reason and a note.
        click_through(
            &c,
            Locator::XPath("//tr[.//code[text()='AJ-CONS-00002']]//a[contains(@href,'/reject')]"),
        )
        .await;
        page(&c, &shots, "reject").await;
        c.find(Locator::Css("select#reason option[value=DOCS]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        type_into(&c, "note", "Bawa KK asli ke kantor cabang.").await;
        click_through(&c, Locator::Css("main form button.reject")).await;
        let html = loaded(&c).await;
        assert!(
            html.contains("Tidak ada permintaan yang menunggu"),
            "both decided"
        );

        // Role refusal: an officer may not manage users.
        c.goto(&format!("{base}/console/users")).await.unwrap();
        let html = page(&c, &shots, "forbidden").await;
        assert!(html.contains("Peran Anda tidak mengizinkan"));

        // CSRF: the officer's own session cookie, but a form without the token.
        let cookie = c
            .get_named_cookie("__Host-anjungan-session")
            .await
            .unwrap()
            .value()
            .to_owned();
        let http = reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(
                    &std::fs::read(s.dir.path().join("tls.crt")).unwrap(),
                )
                .unwrap(),
            )
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let host = base.replace("127.0.0.1", "localhost");
        let forged = http
            .post(format!("{host}/console/requests/decide"))
            .header("Cookie", format!("__Host-anjungan-session={cookie}"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("approve_one=1&csrf=not-the-token")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status().as_u16(), 403);
        let forged = http
            .post(format!("{host}/console/login"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("username=siti&password=x")
            .send()
            .await
            .unwrap();
        assert_eq!(
            forged.status().as_u16(),
            403,
            "the login form needs its token too"
        );
        logout(&c).await;
        assert!(
            c.current_url()
                .await
                .unwrap()
                .path()
                .ends_with("/console/login")
        );

        // A technician: the fleet, and no requests.
        login(&c, &base, "tono", PASSWORD).await;
        assert_eq!(c.current_url().await.unwrap().path(), "/console/fleet");
        let html = full_page(&c, &shots, "fleet").await;
        assert!(html.contains("KC Bandung"), "the kiosks file's name");
        assert!(html.contains("<svg"), "the map");
        // k1 has coordinates and is on the map; k2 never reported and has none.
        assert!(
            html.contains("<title>k1 · KC Bandung</title>"),
            "k1's marker"
        );
        assert!(
            html.contains("Tanpa koordinat di berkas kiosks: k2"),
            "{html}"
        );
        // k1's image: its slot and version, and the rollback in red.
        assert!(html.contains("slot A · 1.4.0"), "k1's slot: {html}");
        assert!(
            html.contains(
                r#"<small class="no">pembaruan terakhir: 1.5.0 dibatalkan (rollback)</small>"#
            ),
            "k1's last update: {html}"
        );
        let silent_first =
            html.find("<code>k2</code>").unwrap() < html.find("<code>k1</code>").unwrap();
        assert!(silent_first, "the silent kiosk first");
        // Registering a kiosk here: its secret is shown once, and works at once.
        type_into(&c, "cons_id", "k3").await;
        type_into(&c, "kiosk_name", "MPP Cimahi").await;
        type_into(&c, "lat", "-6.8722").await;
        type_into(&c, "lon", "107.5425").await;
        click_through(
            &c,
            Locator::Css("form[action='/console/kiosks/add'] button"),
        )
        .await;
        let secret = c
            .find(Locator::Id("secret"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(secret.len(), 43, "{secret}");
        page(&c, &shots, "kiosk-secret").await;
        let k3_db = s.dir.path().join("k3.db");
        let k3 = common::kiosk_agent_as("k3", s.dir.path(), &k3_db, &base, &secret);
        k3.run_once()
            .await
            .expect("the new kiosk syncs with the secret shown");
        // Revoked: its calls are refused, with the very same secret.
        c.goto(&format!("{base}/console/fleet")).await.unwrap();
        assert!(loaded(&c).await.contains("MPP Cimahi"));
        click_through(
            &c,
            Locator::Css("form[action='/console/kiosks/k3/revoke'] button"),
        )
        .await;
        let html = page(&c, &shots, "fleet-revoked").await;
        assert!(html.contains("Dicabut"), "shown as revoked");
        let refused = k3.run_once().await.expect_err("a revoked kiosk is refused");
        assert!(
            format!("{refused:?}").contains("AUTH_UNKNOWN_KIOSK"),
            "{refused:?}"
        );
        c.goto(&format!("{base}/console/dataset")).await.unwrap();
        let html = page(&c, &shots, "dataset").await;
        assert!(
            html.contains("members") && html.contains("Berhasil"),
            "counts and the last import: {html}"
        );
        c.goto(&format!("{base}/console/requests")).await.unwrap();
        assert!(loaded(&c).await.contains("Peran Anda tidak mengizinkan"));
        logout(&c).await;

        // A supervisor: users and the audit log, which names decisions by reference only.
        login(&c, &base, "agus", PASSWORD).await;
        c.goto(&format!("{base}/console/users")).await.unwrap();
        page(&c, &shots, "users").await;
        c.goto(&format!("{base}/console/figures")).await.unwrap();
        let html = full_page(&c, &shots, "figures").await;
        assert!(
            html.contains("<svg") && html.contains("Unduh CSV"),
            "the chart: {html}"
        );
        // The kiosk's counts, drawn: its three tickets at 09:00 in the chart's tooltip.
        assert!(html.contains("09:00 · A: 3"), "the slot's tickets: {html}");
        // Filtered to KC Bandung's kiosks, by the form.
        c.find(Locator::Css("select[name=branch]"))
            .await
            .unwrap()
            .select_by_value("KC Bandung")
            .await
            .unwrap();
        click_through(&c, Locator::Css("form.filters button[type=submit]")).await;
        let html = full_page(&c, &shots, "figures-branch").await;
        assert!(html.contains("09:00 · A: 3"), "k1 is KC Bandung's: {html}");
        let cookie = c
            .get_named_cookie("__Host-anjungan-session")
            .await
            .unwrap()
            .value()
            .to_owned();
        let csv = http
            .get(format!("{host}/console/figures/requests.csv"))
            .header("Cookie", format!("__Host-anjungan-session={cookie}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let host = &host;
        let get_csv = |path: String| {
            let http = http.clone();
            let cookie = cookie.clone();
            async move {
                http.get(format!("{host}{path}"))
                    .header("Cookie", format!("__Host-anjungan-session={cookie}"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        // The day's slots: 3 tickets, 25 minutes on average, 33 % over the target, one
        // failed identification; the rating of two days ago.
        let slots = get_csv(format!("/console/figures/slots.csv?day={today}")).await;
        assert!(
            slots.contains(&format!("\n{nine},3,3,25.0,33,1,0,0,")),
            "{slots}"
        );
        let ratings = get_csv("/console/figures/ratings.csv?kiosk=k1".into()).await;
        let rated = today - chrono::Duration::days(2);
        assert!(
            ratings.contains(&format!("\n{rated},0,0,0,1,0,1,4.00\n")),
            "{ratings}"
        );
        let other = get_csv("/console/figures/ratings.csv?kiosk=k2".into()).await;
        assert!(!other.contains(",1,4.00"), "k2 rated nothing: {other}");
        let today = today.to_string();
        assert!(csv.starts_with("date,received,approved,rejected,median_hours_to_decision\n"));
        let line = csv
            .lines()
            .find(|l| l.starts_with(&today))
            .expect("today's line");
        assert!(line.starts_with(&format!("{today},2,1,1,")), "{line}");
        // A new dataset uploaded as a zip: checked whole, imported, the progress shown.
        let zip = s.dir.path().join("dataset.zip");
        write_zip(&zip, |name, text| {
            if name == "members.csv" {
                text.replace("Hendra Wijaya", "Hendra Wijaya Kusuma")
            } else {
                text
            }
        });
        c.goto(&format!("{base}/console/dataset")).await.unwrap();
        page(&c, &shots, "dataset-upload").await;
        upload(&c, &zip).await;
        let html = until(&c, "Impor selesai").await;
        assert!(html.contains("versi 4"), "after two decisions: {html}");
        page(&c, &shots, "upload-done").await;
        // A zip that is not a dataset: refused, nothing changes.
        let bad = s.dir.path().join("bad.zip");
        write_zip(&bad, |name, text| {
            if name == "members.csv" {
                text.replacen("3273013112750005", "32730131127500XX", 1)
            } else {
                text
            }
        });
        c.goto(&format!("{base}/console/dataset")).await.unwrap();
        upload(&c, &bad).await;
        let html = until(&c, "Data ditolak").await;
        assert!(
            html.contains("members.csv:7: nik"),
            "the first bad row named: {html}"
        );
        page(&c, &shots, "upload-refused").await;
        c.goto(&format!("{base}/console/audit")).await.unwrap();
        let html = page(&c, &shots, "audit").await;
        assert!(html.contains("AJ-CONS-00001") && html.contains("approve"));
        assert!(html.contains("AJ-CONS-00002") && html.contains("reject"));
        logout(&c).await;

        // The lockout: five wrong passwords, then even the right one is refused.
        for _ in 0..5 {
            login(&c, &base, "siti", "wrong password!").await;
        }
        let html = page(&c, &shots, "locked").await;
        assert!(html.contains("dikunci sementara"), "locked after five");
        login(&c, &base, "siti", PASSWORD).await;
        assert!(
            c.current_url()
                .await
                .unwrap()
                .path()
                .ends_with("/console/login")
        );
        assert!(loaded(&c).await.contains("dikunci sementara"));
        c.close().await.unwrap();
    });

    // The kiosk hears both decisions, and the uploaded dataset, on its next sync.
    rt.block_on(s.agent.run_once()).unwrap();
    assert_eq!(
        Store::open(&s.kiosk)
            .unwrap()
            .dataset_info()
            .unwrap()
            .version,
        4
    );
    assert_eq!(state_of(&s.kiosk, "AJ-CONS-00001").0, "APPROVED");
    let (state, reason) = state_of(&s.kiosk, "AJ-CONS-00002");
    assert_eq!(state, "REJECTED");
    let reason = reason.unwrap_or_default();
    assert!(
        reason.starts_with("Dokumen pendukung belum lengkap: Bawa KK asli"),
        "{reason}"
    );
    // The lock is in the store: the CLI sees it.
    let (code, v) = on_store(&["users", "list"], &s.store, "");
    assert_eq!(code, 0);
    let siti = v
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "siti")
        .unwrap()
        .clone();
    assert_eq!(siti["locked"], true, "{siti}");
}
