//! The webhook receiver of the crash loop: a plain HTTP/1.1 server on a loopback port
//! (std only) that fails a seeded share of requests with 500 and records the event id of
//! every request it answered with 200.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub struct Receiver {
    pub url: String,
    delivered: Arc<Mutex<HashSet<String>>>,
}

impl Receiver {
    /// Starts it; `fail_percent` of requests answer 500.
    pub fn start(seed: u64, fail_percent: u8) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let delivered = Arc::new(Mutex::new(HashSet::new()));
        let rng = Arc::new(Mutex::new(fastrand::Rng::with_seed(seed)));
        let seen = Arc::clone(&delivered);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, rng) = (Arc::clone(&seen), Arc::clone(&rng));
                std::thread::spawn(move || drop(serve(stream, &seen, &rng, fail_percent)));
            }
        });
        Self { url, delivered }
    }

    /// Event ids answered with 200 so far.
    pub fn delivered(&self) -> HashSet<String> {
        self.delivered.lock().unwrap().clone()
    }
}

fn serve(
    stream: TcpStream,
    seen: &Mutex<HashSet<String>>,
    rng: &Mutex<fastrand::Rng>,
    fail_percent: u8,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let fail = rng.lock().unwrap().u8(0..100) < fail_percent;
    let status = if fail { "500 Internal Server Error" } else { "200 OK" };
    if !fail
        && let Some(id) = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_owned))
    {
        seen.lock().unwrap().insert(id);
    }
    let mut stream = stream;
    write!(stream, "HTTP/1.1 {status}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")?;
    stream.flush()
}
