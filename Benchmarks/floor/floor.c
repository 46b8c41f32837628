/*
 * floor.c: the floor any libuv HTTP server can reach on this machine.
 *
 * It does the least work a libuv server can do and still answer HTTP/1.1 clients: it does not parse
 * requests, it only counts "\r\n\r\n" terminators in what it reads and answers each one with a fixed
 * response. Whatever our server spends beyond this is the price of parsing, the gateway and the app.
 *
 *   floor [--bind HOST:PORT] [--stream N SIZE] [--app hello|stream]
 *
 *   --bind HOST:PORT  address to listen on; port 0 picks an ephemeral port (default 127.0.0.1:0).
 *                     Once listening it prints "Listening on http://HOST:PORT" (the real port) on stdout.
 *   (default)         hello mode: one fixed 5-byte "Hello" response per request. All responses owed
 *                     for one read go out in one write (16 pipelined requests -> one write): uv_try_write
 *                     first, uv_write for whatever the kernel did not take.
 *   --stream N SIZE   each request is answered with N chunks of SIZE bytes (Content-Length N*SIZE); the
 *                     next chunk is written only from the previous write's callback, so nothing is
 *                     buffered beyond the one chunk in flight.
 *   --app hello|stream
 *                     accepted so the floor takes the same command line as wsgi-demo and can stand in
 *                     for it (OURS_CMD=Benchmarks/out/floor). "stream" without --stream uses
 *                     16384 x 65536 (1 GiB), the demo's defaults; the query string is not read.
 *
 * SIGTERM or SIGINT closes every handle and exits 0 (so valgrind writes its totals).
 * Build: gcc -O2 floor.c -o floor -luv
 */
#include <uv.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HELLO_RESPONSE                                                                             \
    "HTTP/1.1 200 OK\r\n"                                                                          \
    "Server: floor\r\n"                                                                            \
    "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"                                                      \
    "Content-Type: text/plain\r\n"                                                                 \
    "Content-Length: 5\r\n"                                                                        \
    "\r\n"                                                                                         \
    "Hello"

enum {
    READ_BUFFER_SIZE = 64 * 1024,
    /* Responses per prebuilt block: k responses are written as k / BLOCK full blocks plus one tail. */
    BLOCK = 64,
    /* A read of READ_BUFFER_SIZE bytes holds at most READ_BUFFER_SIZE / 4 terminators. */
    MAX_BUFS = READ_BUFFER_SIZE / 4 / BLOCK + 2,
    /* Stop reading from a client that does not read its responses once this much output is queued. */
    HIGH_WATER = 4 * 1024 * 1024,
};

typedef struct {
    uv_tcp_t tcp;            /* first member: a conn_t* is a uv_tcp_t* is a uv_stream_t* */
    unsigned match;          /* bytes of "\r\n\r\n" matched at the end of the previous read (0..3) */
    int read_stopped;        /* reading paused because too much output is queued (hello mode) */
    /* stream mode */
    uv_write_t stream_req;   /* the one write in flight */
    uint64_t pending;        /* requests received and not answered yet */
    uint64_t chunks_left;    /* chunks still to write for the response in progress */
    int streaming;           /* a response is in progress */
} conn_t;

static uv_loop_t *loop;
static uv_tcp_t server;
static uv_signal_t sigterm_handle, sigint_handle;

/* One read buffer for every connection: libuv calls alloc_cb, reads, then read_cb synchronously, and
 * read_cb is done with the bytes when it returns (it only counts terminators). */
static char read_buffer[READ_BUFFER_SIZE];

static char hello_block[BLOCK * (sizeof(HELLO_RESPONSE) - 1)];
static const size_t hello_len = sizeof(HELLO_RESPONSE) - 1;

static int stream_mode;
static uint64_t stream_chunks = 16384, stream_chunk_size = 65536;
static char *stream_chunk;          /* SIZE bytes of 'x', shared read-only by every connection */
static char stream_header[256];
static size_t stream_header_len;

static void die(const char *what, int err) {
    fprintf(stderr, "floor: %s: %s\n", what, err ? uv_strerror(err) : "invalid");
    exit(2);
}

static void on_close(uv_handle_t *handle) {
    free(handle->data); /* conn_t for connections; NULL for the listener and the signal handles */
}

static void close_conn(conn_t *c) {
    if (!uv_is_closing((uv_handle_t *)&c->tcp))
        uv_close((uv_handle_t *)&c->tcp, on_close);
}

/* Counts "\r\n\r\n" in buf, carrying the partial match across reads in c->match. */
static size_t count_terminators(conn_t *c, const char *buf, size_t len) {
    size_t n = 0;
    unsigned m = c->match;
    for (size_t i = 0; i < len; i++) {
        char ch = buf[i];
        if (ch == '\r')
            m = (m == 2) ? 3 : 1;
        else if (ch == '\n') {
            if (m == 3) {
                n++;
                m = 0;
            } else
                m = (m == 1) ? 2 : 0;
        } else
            m = 0;
    }
    c->match = m;
    return n;
}

static void alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
    (void)handle;
    (void)suggested;
    *buf = uv_buf_init(read_buffer, sizeof(read_buffer));
}

/* ---- hello mode ---- */

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

static void hello_write_cb(uv_write_t *req, int status) {
    conn_t *c = (conn_t *)req->handle;
    free(req);
    if (status < 0) {
        close_conn(c);
        return;
    }
    if (c->read_stopped && c->tcp.write_queue_size == 0 && !uv_is_closing((uv_handle_t *)&c->tcp)) {
        c->read_stopped = 0;
        uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
    }
}

/* Writes k hello responses as one write: try the kernel first, queue only the rest. */
static void respond_hello(conn_t *c, size_t k) {
    uv_buf_t bufs[MAX_BUFS];
    unsigned nbufs = 0;
    for (; k >= BLOCK; k -= BLOCK)
        bufs[nbufs++] = uv_buf_init(hello_block, sizeof(hello_block));
    if (k)
        bufs[nbufs++] = uv_buf_init(hello_block, (unsigned)(k * hello_len));

    int written = uv_try_write((uv_stream_t *)&c->tcp, bufs, nbufs);
    if (written == UV_EAGAIN)
        written = 0;
    else if (written < 0) {
        close_conn(c);
        return;
    }
    /* Skip what the kernel took; the buffers are static, so uv_write may keep pointing at them. */
    unsigned first = 0;
    size_t skip = (size_t)written;
    while (first < nbufs && skip >= bufs[first].len)
        skip -= bufs[first++].len;
    if (first == nbufs)
        return;
    bufs[first].base += skip;
    bufs[first].len -= skip;

    uv_write_t *req = malloc(sizeof(*req));
    if (!req)
        die("malloc", UV_ENOMEM);
    int err = uv_write(req, (uv_stream_t *)&c->tcp, bufs + first, nbufs - first, hello_write_cb);
    if (err) {
        free(req);
        close_conn(c);
        return;
    }
    if (c->tcp.write_queue_size > HIGH_WATER) {
        c->read_stopped = 1;
        uv_read_stop((uv_stream_t *)&c->tcp);
    }
}

/* ---- stream mode ---- */

static void stream_write_cb(uv_write_t *req, int status);

/* Starts the response to the oldest pending request: header plus the first chunk in one write. */
static void stream_start(conn_t *c) {
    c->pending--;
    c->streaming = 1;
    c->chunks_left = stream_chunks;
    uv_buf_t bufs[2];
    unsigned nbufs = 0;
    bufs[nbufs++] = uv_buf_init(stream_header, (unsigned)stream_header_len);
    if (c->chunks_left) {
        bufs[nbufs++] = uv_buf_init(stream_chunk, (unsigned)stream_chunk_size);
        c->chunks_left--;
    }
    if (uv_write(&c->stream_req, (uv_stream_t *)&c->tcp, bufs, nbufs, stream_write_cb))
        close_conn(c);
}

static void stream_write_cb(uv_write_t *req, int status) {
    conn_t *c = (conn_t *)req->handle;
    if (status < 0) {
        close_conn(c);
        return;
    }
    if (c->chunks_left) {
        c->chunks_left--;
        uv_buf_t buf = uv_buf_init(stream_chunk, (unsigned)stream_chunk_size);
        if (uv_write(&c->stream_req, (uv_stream_t *)&c->tcp, &buf, 1, stream_write_cb))
            close_conn(c);
        return;
    }
    c->streaming = 0;
    if (c->pending)
        stream_start(c);
}

/* ---- connections ---- */

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
    conn_t *c = (conn_t *)stream;
    if (nread < 0) {
        close_conn(c);
        return;
    }
    size_t k = count_terminators(c, buf->base, (size_t)nread);
    if (k == 0)
        return;
    if (!stream_mode) {
        respond_hello(c, k);
    } else {
        c->pending += k;
        if (!c->streaming)
            stream_start(c);
    }
}

static void on_connection(uv_stream_t *listener, int status) {
    if (status < 0)
        return;
    conn_t *c = calloc(1, sizeof(*c));
    if (!c)
        die("calloc", UV_ENOMEM);
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp)) {
        close_conn(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
}

/* ---- shutdown ---- */

static void close_any(uv_handle_t *handle, void *arg) {
    (void)arg;
    if (!uv_is_closing(handle))
        uv_close(handle, on_close);
}

/* Closes every handle (listener, connections, signal handles); uv_run then returns, main exits 0. */
static void on_signal(uv_signal_t *handle, int signum) {
    (void)handle;
    (void)signum;
    uv_walk(loop, close_any, NULL);
}

/* ---- setup ---- */

static void parse_bind(const char *arg, struct sockaddr_storage *addr, char *host, size_t host_size) {
    const char *colon = strrchr(arg, ':');
    if (!colon || colon == arg)
        die("--bind wants HOST:PORT", 0);
    size_t hlen = (size_t)(colon - arg);
    if (hlen >= host_size)
        die("--bind host too long", 0);
    memcpy(host, arg, hlen);
    host[hlen] = 0;
    int port = atoi(colon + 1);
    if (host[0] == '[') { /* [::1]:0 */
        char v6[64];
        if (hlen < 2 || hlen - 2 >= sizeof(v6) || host[hlen - 1] != ']')
            die("--bind IPv6 host must look like [::1]", 0);
        memcpy(v6, host + 1, hlen - 2);
        v6[hlen - 2] = 0;
        int err = uv_ip6_addr(v6, port, (struct sockaddr_in6 *)addr);
        if (err)
            die("--bind address", err);
    } else {
        int err = uv_ip4_addr(host, port, (struct sockaddr_in *)addr);
        if (err)
            die("--bind address", err);
    }
}

static int port_of(const struct sockaddr_storage *addr) {
    if (addr->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
    return ntohs(((const struct sockaddr_in *)addr)->sin_port);
}

int main(int argc, char **argv) {
    const char *bind_arg = "127.0.0.1:0";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bind") && i + 1 < argc) {
            bind_arg = argv[++i];
        } else if (!strcmp(argv[i], "--stream") && i + 2 < argc) {
            stream_mode = 1;
            stream_chunks = strtoull(argv[++i], NULL, 10);
            stream_chunk_size = strtoull(argv[++i], NULL, 10);
        } else if (!strcmp(argv[i], "--app") && i + 1 < argc) {
            const char *app = argv[++i];
            if (!strcmp(app, "stream"))
                stream_mode = 1; /* keeps --stream N SIZE if given, else the 16384 x 65536 defaults */
            else if (strcmp(app, "hello") != 0)
                die("--app must be hello or stream", 0);
        } else {
            fprintf(stderr, "usage: %s [--bind HOST:PORT] [--stream N SIZE] [--app hello|stream]\n", argv[0]);
            return 2;
        }
    }
    if (stream_mode && (stream_chunk_size == 0 || stream_chunk_size > UINT32_MAX))
        die("--stream SIZE must be 1..4294967295", 0);

    /* A peer that resets while we write must cost an EPIPE, not the process. */
    signal(SIGPIPE, SIG_IGN);

    for (int i = 0; i < BLOCK; i++)
        memcpy(hello_block + (size_t)i * hello_len, HELLO_RESPONSE, hello_len);
    if (stream_mode) {
        stream_chunk = malloc(stream_chunk_size);
        if (!stream_chunk)
            die("malloc chunk", UV_ENOMEM);
        memset(stream_chunk, 'x', stream_chunk_size);
        stream_header_len = (size_t)snprintf(stream_header, sizeof(stream_header),
                                             "HTTP/1.1 200 OK\r\n"
                                             "Server: floor\r\n"
                                             "Date: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
                                             "Content-Type: application/octet-stream\r\n"
                                             "Content-Length: %" PRIu64 "\r\n"
                                             "\r\n",
                                             stream_chunks * stream_chunk_size);
    }

    loop = uv_default_loop();
    struct sockaddr_storage addr;
    char host[256];
    parse_bind(bind_arg, &addr, host, sizeof(host));

    int err;
    uv_tcp_init(loop, &server);
    server.data = NULL;
    if ((err = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0)))
        die("bind", err);
    if ((err = uv_listen((uv_stream_t *)&server, 4096, on_connection)))
        die("listen", err);
    int len = sizeof(addr);
    if ((err = uv_tcp_getsockname(&server, (struct sockaddr *)&addr, &len)))
        die("getsockname", err);

    uv_signal_init(loop, &sigterm_handle);
    uv_signal_init(loop, &sigint_handle);
    sigterm_handle.data = sigint_handle.data = NULL;
    uv_signal_start(&sigterm_handle, on_signal, SIGTERM);
    uv_signal_start(&sigint_handle, on_signal, SIGINT);

    printf("Listening on http://%s:%d\n", host, port_of(&addr));
    fflush(stdout);

    uv_run(loop, UV_RUN_DEFAULT);
    if ((err = uv_loop_close(loop)))
        fprintf(stderr, "floor: uv_loop_close: %s\n", uv_strerror(err));
    free(stream_chunk);
    return 0;
}
