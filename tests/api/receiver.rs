//! A tiny webhook receiver (actix-web on a loopback port) whose answers the test scripts:
//! fail the first N requests, answer a fixed status, add `Retry-After`. It records every
//! request (headers, body, arrival time).

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// How the receiver answers.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// The first `fail_first` requests get `fail_status`.
    pub fail_first: usize,
    /// Status of failing answers (default 500).
    pub fail_status: u16,
    /// `Retry-After` value sent with failing answers.
    pub retry_after: Option<String>,
    /// Fail every request while set (switch with [`Receiver::set_failing`]).
    pub failing: bool,
}

/// One request received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    pub at: Instant,
    /// Whether it was answered with a 2xx.
    pub accepted: bool,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Default)]
struct State {
    script: Script,
    received: Vec<Received>,
}

pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<State>>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn handle(req: HttpRequest, body: web::Bytes, state: web::Data<Arc<Mutex<State>>>) -> HttpResponse {
    let mut state = state.lock().unwrap();
    let failing = state.script.failing || state.received.len() < state.script.fail_first;
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    state.received.push(Received { headers, body: body.to_vec(), at: Instant::now(), accepted: !failing });
    if failing {
        let status = actix_web::http::StatusCode::from_u16(if state.script.fail_status == 0 {
            500
        } else {
            state.script.fail_status
        })
        .unwrap();
        let mut answer = HttpResponse::build(status);
        if let Some(r) = &state.script.retry_after {
            answer.insert_header(("retry-after", r.clone()));
        }
        answer.body("scripted failure")
    } else {
        HttpResponse::Ok().body("ok")
    }
}

impl Receiver {
    /// Starts on a free port.
    pub async fn start(script: Script) -> Self {
        Self::start_on(free_port(), script).await
    }

    /// Starts on `port` (a receiver that "comes back").
    pub async fn start_on(port: u16, script: Script) -> Self {
        let state = Arc::new(Mutex::new(State { script, received: Vec::new() }));
        let data = web::Data::new(Arc::clone(&state));
        let server =
            HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(handle)))
                .workers(1)
                .bind(("127.0.0.1", port))
                .unwrap()
                .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url: format!("http://127.0.0.1:{port}/hook"), state, handle }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn set_failing(&self, failing: bool) {
        self.state.lock().unwrap().script.failing = failing;
    }

    /// Waits until `n` requests were accepted (2xx), or panics after `timeout`.
    pub async fn wait_accepted(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let accepted: Vec<Received> = self.received().into_iter().filter(|r| r.accepted).collect();
            if accepted.len() >= n {
                return accepted;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {n} deliveries accepted in {timeout:?}",
                accepted.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
