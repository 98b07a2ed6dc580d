//! The real router served in-process, and a minimal HTTP/1.1 keep-alive
//! client, so the load generator costs little of the cores it shares with
//! the server.

use super::*;

/// The bearer token the benchmark's server accepts as admin.
pub(crate) const BENCH_ADMIN_TOKEN: &str = "benchmark-admin-token-0000";

/// The real router, served in-process on a free port of 127.0.0.1.
pub(crate) struct Server {
    pub(crate) addr: SocketAddr,
    pub(crate) stop: oneshot::Sender<()>,
    pub(crate) task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub(crate) async fn start(shop: &Shop) -> Result<Server, String> {
        let listener = listen(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        // The load generator is an integration: it carries the admin token,
        // which exempts it from the per-address rate limits, and its own
        // per-token limit is raised out of the way.
        let config = Config {
            addr,
            database: shop.database.clone(),
            client_url: None,
            admin_password: None,
            admin_token: Some(BENCH_ADMIN_TOKEN.into()),
            metrics_token: None,
            trust_proxy: false,
            limits: RateLimits {
                token: u32::MAX,
                ..RateLimits::default()
            },
            payment_instructions: None,
            currency: Default::default(),
            default_country: "US".into(),
            time_zone: Default::default(),
            webhooks: Default::default(),
            mail: None,
            public_url: None,
        };
        let leptos_options = LeptosOptions::builder()
            .output_name("igniflo")
            .site_addr(addr)
            .build();
        let state = AppState::new(leptos_options, shop.service.clone(), &config);
        let app = router(state, &config).into_make_service_with_connect_info::<SocketAddr>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(Server { addr, stop, task })
    }

    /// Stops taking connections and waits for open ones to finish.
    pub(crate) async fn stop(self) -> Result<(), String> {
        let _ = self.stop.send(());
        match tokio::time::timeout(REQUEST_TIMEOUT, self.task).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(format!("the server failed: {e}")),
            Ok(Err(e)) => Err(format!("the server task failed: {e}")),
            Err(_) => Err("the server did not stop".into()),
        }
    }
}

// ---- a minimal HTTP/1.1 keep-alive client ------------------------------------

pub(crate) struct Client {
    pub(crate) stream: BufReader<TcpStream>,
}

impl Client {
    pub(crate) async fn connect(addr: SocketAddr) -> Result<Client, String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        // Requests go out in one write; Nagle would only add delay.
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Client {
            stream: BufReader::new(stream),
        })
    }

    /// Connected before timing starts, so the figures leave out TCP setup.
    pub(crate) async fn connect_many(addr: SocketAddr, n: usize) -> Result<Vec<Client>, String> {
        let mut clients = Vec::with_capacity(n);
        for _ in 0..n {
            clients.push(Client::connect(addr).await?);
        }
        Ok(clients)
    }

    /// Sends one request and returns the response body, which must come with
    /// the `expected` status.
    pub(crate) async fn expect(
        &mut self,
        method: &str,
        target: &str,
        body: &[u8],
        expected: u16,
    ) -> Result<Vec<u8>, String> {
        let (status, response) =
            tokio::time::timeout(REQUEST_TIMEOUT, self.send(method, target, body))
                .await
                .map_err(|_| format!("{method} {target} timed out"))??;
        if status != expected {
            let text = String::from_utf8_lossy(&response);
            return Err(format!(
                "{method} {target} answered {status}, not {expected}: {}",
                text.chars().take(300).collect::<String>()
            ));
        }
        Ok(response)
    }

    pub(crate) async fn send(
        &mut self,
        method: &str,
        target: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let broken = |e: std::io::Error| format!("{method} {target}: {e}");
        let mut request = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {BENCH_ADMIN_TOKEN}\r\n"
        );
        if !body.is_empty() {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        let mut bytes = request.into_bytes();
        bytes.extend_from_slice(body);
        self.stream
            .get_mut()
            .write_all(&bytes)
            .await
            .map_err(broken)?;

        let mut line = String::new();
        if self.stream.read_line(&mut line).await.map_err(broken)? == 0 {
            return Err(format!(
                "{method} {target}: the server closed the connection"
            ));
        }
        let status = line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| format!("{method} {target}: not an HTTP/1.1 status line: {line:?}"))?;
        let mut length = None;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await.map_err(broken)? == 0 {
                return Err(format!(
                    "{method} {target}: the connection closed inside the headers"
                ));
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let Some((name, value)) = header.split_once(':') else {
                return Err(format!("{method} {target}: a malformed header {header:?}"));
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| format!("bad Content-Length {value:?}"))?,
                );
            } else if name.eq_ignore_ascii_case("connection") && value.eq_ignore_ascii_case("close")
            {
                // The runs rely on keep-alive; a server dropping it would
                // silently turn them into connection-setup benchmarks.
                return Err(format!("{method} {target}: the server ended keep-alive"));
            }
        }
        let length = length
            .ok_or_else(|| format!("{method} {target}: the response has no Content-Length"))?;
        let mut response = vec![0; length];
        self.stream
            .read_exact(&mut response)
            .await
            .map_err(broken)?;
        Ok((status, response))
    }
}

// ---- running and summarizing ---------------------------------------------------
