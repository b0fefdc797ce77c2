//! A minimal W3C WebDriver client over reqwest (already a dev-dependency): enough to drive
//! Debian's headless `chromium` through `chromedriver`. Plain HTTP calls were simpler than
//! pulling a WebDriver crate and its async stack for a dozen commands.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::blocking::Client;
use serde_json::{Value, json};

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a wait for the page lasts before the test fails.
const PATIENCE: Duration = Duration::from_secs(15);

/// A headless Chromium session.
pub struct Browser {
    http: Client,
    session: String,
    driver: Child,
    /// Where the browser saves downloads.
    pub downloads: tempfile::TempDir,
}

fn find_program(names: &[&str]) -> PathBuf {
    for name in names {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
            let path = Path::new(dir).join(name);
            if path.exists() {
                return path;
            }
        }
    }
    // CI installs them (.ci/run); a missing browser is a failure, never a skipped test.
    panic!(
        "{} not found: the console's browser tests need Debian's chromium and chromium-driver \
         (`apt-get install -y chromium chromium-driver`)",
        names.join(" or ")
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("an address").port()
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium session.
    pub fn start() -> Self {
        let chromium = find_program(&["chromium", "chromium-browser"]);
        let chromedriver = find_program(&["chromedriver"]);
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not answer in 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        let downloads = tempfile::tempdir().unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1366,900", "--lang=en-US"],
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
            },
        }}});
        let reply: Value =
            http.post(format!("{base}/session")).json(&capabilities).send().unwrap().json().unwrap();
        let session = reply["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver refused the session: {reply}"))
            .to_owned();
        Self { http, session: format!("{base}/session/{session}"), driver, downloads }
    }

    /// One command; panics with the driver's message on an error.
    fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply: Value = request.send().unwrap().json().unwrap();
        if reply["value"]["error"].is_string() {
            panic!("WebDriver {method} {path}: {}", reply["value"]);
        }
        reply["value"].clone()
    }

    fn try_find(&self, css: &str) -> Option<String> {
        let reply: Value = self
            .http
            .post(format!("{}/elements", self.session))
            .json(&json!({"using": "css selector", "value": css}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        reply["value"].as_array()?.first()?[ELEMENT].as_str().map(str::to_owned)
    }

    /// Opens a URL.
    pub fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url})));
    }

    /// Runs a script in the page and returns its value.
    pub fn script(&self, js: &str, args: Value) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": js, "args": args})))
    }

    /// Waits until an element matches `css`, and returns it.
    #[track_caller]
    pub fn wait(&self, css: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(id) = self.try_find(css) {
                return id;
            }
            assert!(
                Instant::now() < deadline,
                "no element `{css}` after {PATIENCE:?}; page: {}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The visible text of an element.
    pub fn text_of(&self, id: &str) -> String {
        self.cmd(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the element matching `css` shows `needle`, and returns its text.
    #[track_caller]
    pub fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            // One script call: the page may re-render between a find and a text read.
            let text = self.script(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;",
                json!([css]),
            );
            if let Some(text) = text.as_str().filter(|t| t.contains(needle)) {
                return text.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "`{css}` does not show {needle:?} after {PATIENCE:?}; page: {}",
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The whole page's text, for failure messages.
    pub fn page_text(&self) -> String {
        self.script("return document.body.innerText", json!([])).as_str().unwrap_or_default().to_owned()
    }

    #[track_caller]
    pub fn click(&self, css: &str) {
        let id = self.wait(css);
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({})));
    }

    /// Types into a field as a user would (keys, `\u{E007}` is Enter).
    #[track_caller]
    pub fn type_keys(&self, css: &str, keys: &str) {
        let id = self.wait(css);
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({"text": keys})));
    }

    /// Replaces a field's content (long JSON would be slow to type key by key).
    #[track_caller]
    pub fn fill(&self, css: &str, text: &str) {
        let id = self.wait(css);
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/clear"), Some(json!({})));
        self.script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
            json!([{ELEMENT: id}, text]),
        );
    }

    /// Saves a PNG of the viewport.
    pub fn screenshot(&self, path: &Path) {
        let data = self.cmd(reqwest::Method::GET, "/screenshot", None);
        let png =
            base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap_or_default()).unwrap();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    /// Waits for a finished download whose name ends with `suffix`, and returns its bytes.
    #[track_caller]
    pub fn downloaded(&self, suffix: &str) -> (String, Vec<u8>) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            for entry in std::fs::read_dir(self.downloads.path()).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                if name.ends_with(suffix) {
                    return (name.clone(), std::fs::read(self.downloads.path().join(name)).unwrap());
                }
            }
            assert!(Instant::now() < deadline, "no *{suffix} downloaded after {PATIENCE:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        drop(self.http.delete(&self.session).send());
        drop(self.driver.kill());
        drop(self.driver.wait());
    }
}
