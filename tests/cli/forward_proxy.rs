//! A logging forward proxy on 127.0.0.1, as a corporate proxy would be: `CONNECT host:port` tunnels
//! and plain-HTTP requests in absolute form (`GET http://host:port/path`), each recorded with its
//! target and the `Proxy-Authorization` it carried. One request per connection: it answers with
//! `Connection: close`, so every request the gate makes is a connection it records.
//!
//! Routes: a target named with [`ForwardProxy::route`] goes where the route says, so a test can give
//! the gate an address only the proxy can reach (nothing listens there); other `127.0.0.1` targets are
//! reached as named; anything else is refused (`403`), as a proxy without internet access would.
//! `Proxy-Authorization` goes no further than the proxy.
//!
//! It must not judge what it records: the tests do.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `CONNECT`, `GET`, `POST`, …
    pub method: String,
    /// `host:port`.
    pub target: String,
    /// The `Proxy-Authorization` header, if any.
    pub proxy_authorization: Option<String>,
}

/// The running proxy (it serves until the test binary ends).
pub struct ForwardProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    routes: Arc<Mutex<HashMap<String, SocketAddr>>>,
    _listener: TcpListener,
}

impl ForwardProxy {
    /// Starts the proxy on a free port.
    pub fn start() -> ForwardProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(Mutex::new(HashMap::new()));
        let accept = listener.try_clone().unwrap();
        {
            let seen = Arc::clone(&seen);
            let routes = Arc::clone(&routes);
            std::thread::spawn(move || {
                for stream in accept.incoming() {
                    let Ok(stream) = stream else { break };
                    let seen = Arc::clone(&seen);
                    let routes = Arc::clone(&routes);
                    std::thread::spawn(move || {
                        let _ = serve(stream, &seen, &routes);
                    });
                }
            });
        }
        ForwardProxy {
            addr,
            seen,
            routes,
            _listener: listener,
        }
    }

    /// `http://USER:PASSWORD@127.0.0.1:PORT`, the form proxy variables take.
    pub fn url_with_credentials(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}", self.addr)
    }

    /// Requests for `target` (`host:port`) go to `to`.
    pub fn route(&self, target: &str, to: SocketAddr) {
        self.routes.lock().unwrap().insert(target.to_string(), to);
    }

    /// Every request so far, in the order they arrived.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// An address on 127.0.0.1 where nothing listens, held for the test's life: a connection there is
/// refused, so only the proxy (routing it elsewhere) can reach "it".
pub fn unreachable_address() -> (tokio::net::TcpSocket, SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

fn serve(
    client: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    routes: &Mutex<HashMap<String, SocketAddr>>,
) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        let line = line.trim_end();
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, uri, version) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or("HTTP/1.1").to_string(),
    );
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let (target, path) = if method == "CONNECT" {
        (uri.clone(), None)
    } else if let Some(rest) = uri.strip_prefix("http://") {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let authority = if authority.contains(':') {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let path = if path.is_empty() { "/" } else { path };
        (authority, Some(path.to_string()))
    } else {
        let mut client = client;
        client.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    };
    seen.lock().unwrap().push(Seen {
        method: method.clone(),
        target: target.clone(),
        proxy_authorization: header("proxy-authorization"),
    });
    let destination = match routes.lock().unwrap().get(&target) {
        Some(to) => Some(*to),
        None if target.starts_with("127.0.0.1:") => target.parse().ok(),
        None => None,
    };
    let mut client = client;
    let Some(upstream) = destination.and_then(|to| TcpStream::connect(to).ok()) else {
        let status = if destination.is_some() {
            "502 Bad Gateway"
        } else {
            "403 Forbidden"
        };
        client.write_all(
            format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )?;
        return Ok(());
    };
    let mut upstream_writer = upstream.try_clone()?;
    let forward_body = path.is_some();
    match path {
        None => {
            client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")?;
        }
        Some(path) => {
            let mut head = format!("{method} {path} {version}\r\n");
            for (name, value) in &headers {
                let hop = [
                    "proxy-authorization",
                    "proxy-connection",
                    "connection",
                    "keep-alive",
                ];
                if !hop.iter().any(|h| name.eq_ignore_ascii_case(h)) {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
            }
            head.push_str("Connection: close\r\n\r\n");
            upstream_writer.write_all(head.as_bytes())?;
        }
    }
    // The client's bytes (a request body, or the tunnel's traffic) go upstream as they come.
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut reader, &mut upstream_writer);
        let _ = upstream_writer.shutdown(Shutdown::Write);
    });
    let mut from_upstream = BufReader::new(upstream);
    if forward_body {
        // The answer's head, with `Connection: close`: one request per connection.
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if from_upstream.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
                break;
            }
            let name = line.split(':').next().unwrap_or_default().trim();
            if !["connection", "keep-alive"]
                .iter()
                .any(|h| name.eq_ignore_ascii_case(h))
            {
                head.push_str(&line);
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        client.write_all(head.as_bytes())?;
    }
    let _ = io::copy(&mut from_upstream, &mut client);
    let _ = client.shutdown(Shutdown::Both);
    let _ = up.join();
    Ok(())
}
