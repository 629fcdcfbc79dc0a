"""A small web application and its database, for the docker-compose example.

Serves on port 8000: every GET / counts a visit in Redis (REDIS_HOST,
REDIS_PORT) and answers with the count; /health answers 200 once the database
answers. Only the Python standard library and Debian's python3-redis.
"""

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import redis

DB = redis.Redis(
    host=os.environ.get("REDIS_HOST", "db"),
    port=int(os.environ.get("REDIS_PORT", "6379")),
    socket_connect_timeout=2,
)
TITLE = os.environ.get("APP_TITLE", "cumulo")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        try:
            if self.path == "/health":
                DB.ping()
                body = "ok\n"
            else:
                body = f"{TITLE}: {DB.incr('visits')} visits\n"
            status = 200
        except redis.RedisError as exc:
            status, body = 503, f"database unavailable: {exc}\n"
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args: object) -> None:
        print(f"{self.address_string()} {fmt % args}", flush=True)


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", 8000), Handler).serve_forever()
