//! The HTTP server: our own accept loop over hyper, so that a fault can close one connection
//! without writing a response. axum's `serve` owns its sockets and offers no such switch.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinSet;
use tower::ServiceExt;

/// A switch that closes the connection a request arrived on. It is put in every request's
/// extensions; the fault middleware flips it to drop the connection with no response.
#[derive(Clone)]
pub(crate) struct ConnectionCut(Arc<Notify>);

impl ConnectionCut {
    pub fn cut(&self) {
        // `notify_one` stores a permit, so the cut holds even if the connection task is not
        // waiting at this instant.
        self.0.notify_one();
    }

    /// A response whose body fails at once, for routers driven without this server.
    pub fn failing_body() -> Response {
        Response::new(Body::new(FailingBody))
    }
}

/// A body that errors on its first read.
struct FailingBody;

impl HttpBody for FailingBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "connection dropped"))))
    }
}

/// Serves `app` on `listener` until `stop` fires, then closes every open connection.
pub(crate) async fn serve(listener: TcpListener, app: Router, mut stop: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, app.clone()));
                }
                // Out of file descriptors and the like: back off rather than spin, and keep
                // serving the connections already open.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, app: Router) {
    // Small JSON replies on keep-alive connections: without NODELAY each one waits for the
    // client's delayed ACK.
    let _ = stream.set_nodelay(true);
    let cut = ConnectionCut(Arc::new(Notify::new()));
    let request_cut = cut.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(request_cut.clone());
        let app = app.clone();
        async move { app.oneshot(request.map(Body::new)).await.map_err(|e: Infallible| e) }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        // Dropping the connection future drops the socket and the request being handled.
        _ = cut.0.notified() => {}
    }
}
