/*
 * benchclient.c: small deterministic HTTP/1.1 clients for the benchmark scripts.
 *
 *   benchclient seq    HOST PORT N [PATH]         N requests on one keep-alive connection, one at a time:
 *                                                 each response is read in full (by Content-Length)
 *                                                 before the next request is sent.
 *   benchclient pipe   HOST PORT N DEPTH [PATH]   N requests on one connection, DEPTH per write; all
 *                                                 DEPTH responses are read before the next write.
 *   benchclient stream HOST PORT PATH             one request; reads and discards the body.
 *                                                 Prints "bytes=B seconds=S" (request sent -> last byte).
 *   benchclient load   HOST PORT CONNS DEPTH SECONDS [PATH]
 *                                                 closed-loop load like wrk: CONNS connections, each
 *                                                 writes DEPTH requests at once and waits for all DEPTH
 *                                                 responses before the next write. Prints "requests=..
 *                                                 seconds=.. p50_us=.. p99_us=.." where the latencies
 *                                                 are per batch (write -> last response), uncorrected.
 *                                                 (wrk 4.1's percentiles are wrong under pipelining: its
 *                                                 coordinated-omission correction assumes one request
 *                                                 per round trip and can leave p99 at 0.)
 *   benchclient idle   HOST PORT N PID [PATH]     opens N connections, does one request on each and
 *                                                 keeps them all open; reads VmRSS of process PID before
 *                                                 and after. Prints "conns=N rss_before_kb=.. rss_after_kb=..
 *                                                 hwm_kb=.. closed_by_server=..".
 *
 * Every response must be "HTTP/1.x 200" with a Content-Length (the contract of the servers under test);
 * anything else ends the client with exit code 1 and a message on stderr, so a broken server cannot
 * produce a figure. Build: gcc -O2 benchclient.c -o benchclient
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "benchclient: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static struct addrinfo *server_addr;

static void resolve(const char *host, const char *port) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    int err = getaddrinfo(host, port, &hints, &server_addr);
    if (err)
        die("resolve %s:%s: %s", host, port, gai_strerror(err));
}

static int connect_server(void) {
    int fd = socket(server_addr->ai_family, SOCK_STREAM, 0);
    if (fd < 0)
        die("socket: %s%s", strerror(errno), errno == EMFILE ? " (raise ulimit -n)" : "");
    if (connect(fd, server_addr->ai_addr, server_addr->ai_addrlen) < 0)
        die("connect: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Closes with a reset (linger 0) so thousands of closes leave no TIME_WAIT behind. */
static void close_reset(int fd) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

static void write_all(int fd, const char *p, size_t len) {
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("write: %s", strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
}

/* A buffered reader over one socket: buf[start, end) holds bytes read and not consumed yet. */
typedef struct {
    int fd;
    char *buf;
    size_t cap, start, end;
} reader_t;

static void reader_fill(reader_t *r) {
    if (r->start == r->end)
        r->start = r->end = 0;
    else if (r->end == r->cap) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end == r->cap)
        die("response header larger than %zu bytes", r->cap);
    ssize_t n;
    do
        n = read(r->fd, r->buf + r->end, r->cap - r->end);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        die("read: %s", strerror(errno));
    if (n == 0)
        die("server closed the connection in the middle of a response");
    r->end += (size_t)n;
}

/* Checks a response head (eoh points at its "\r\n\r\n"): status 200, a Content-Length, no
 * Transfer-Encoding. Returns the Content-Length. */
static unsigned long long parse_head(const char *head, const char *eoh) {
    if (eoh - head < 12 || strncmp(head, "HTTP/1.", 7) != 0)
        die("not an HTTP/1.x response: %.40s", head);
    if (strncmp(head + 8, " 200", 4) != 0)
        die("status is not 200: %.*s", (int)(strchr(head, '\r') - head), head);
    long long content_length = -1;
    for (const char *line = (const char *)memchr(head, '\n', (size_t)(eoh + 2 - head)) + 1; line < eoh;
         line = (const char *)memchr(line, '\n', (size_t)(eoh + 2 - line)) + 1) {
        if (strncasecmp(line, "content-length:", 15) == 0)
            content_length = strtoll(line + 15, NULL, 10);
        else if (strncasecmp(line, "transfer-encoding:", 18) == 0)
            die("response uses Transfer-Encoding; the benchmark servers must send Content-Length");
    }
    if (content_length < 0)
        die("response without Content-Length");
    return (unsigned long long)content_length;
}

/* Reads one response: checks the status, finds Content-Length, consumes and discards the body.
 * Bytes that follow the body (the next pipelined response) stay in the buffer. Returns the body size. */
static unsigned long long read_response(reader_t *r) {
    char *head, *eoh;
    for (;;) {
        head = r->buf + r->start;
        eoh = memmem(head, r->end - r->start, "\r\n\r\n", 4);
        if (eoh)
            break;
        reader_fill(r);
    }
    unsigned long long content_length = parse_head(head, eoh);
    r->start += (size_t)(eoh - head) + 4;

    unsigned long long left = content_length;
    size_t have = r->end - r->start;
    size_t take = have < left ? have : (size_t)left;
    r->start += take;
    left -= take;
    /* Read the rest of the body straight into the buffer, never past its end. */
    while (left) {
        r->start = r->end = 0;
        size_t want = left < r->cap ? (size_t)left : r->cap;
        ssize_t n = read(r->fd, r->buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("read body: %s", strerror(errno));
        if (n == 0)
            die("server closed the connection with %llu body bytes missing", left);
        left -= (unsigned long long)n;
    }
    return content_length;
}

static char request[1024];
static size_t request_len;

static void build_request(const char *host, const char *port, const char *path) {
    int n = snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", path, host, port);
    if (n < 0 || (size_t)n >= sizeof(request))
        die("request too long");
    request_len = (size_t)n;
}

static unsigned long long parse_count(const char *s, const char *what) {
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*s == 0 || *end != 0)
        die("%s must be a number, got '%s'", what, s);
    return v;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long proc_status_kb(long pid, const char *key) {
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        die("open %s: %s", path, strerror(errno));
    size_t klen = strlen(key);
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
            kb = strtol(line + klen + 1, NULL, 10);
            break;
        }
    fclose(f);
    if (kb < 0)
        die("no %s in %s", key, path);
    return kb;
}

static int cmd_seq(unsigned long long n) {
    static char buf[64 * 1024];
    reader_t r = {.fd = connect_server(), .buf = buf, .cap = sizeof(buf)};
    for (unsigned long long i = 0; i < n; i++) {
        write_all(r.fd, request, request_len);
        read_response(&r);
    }
    if (r.start != r.end)
        die("%zu unexpected bytes after the last response", r.end - r.start);
    close(r.fd);
    printf("requests=%llu\n", n);
    return 0;
}

static int cmd_pipe(unsigned long long n, unsigned long long depth) {
    static char buf[64 * 1024];
    if (depth == 0 || depth > 4096)
        die("DEPTH must be 1..4096");
    char *batch = malloc(request_len * depth);
    for (unsigned long long i = 0; i < depth; i++)
        memcpy(batch + i * request_len, request, request_len);
    reader_t r = {.fd = connect_server(), .buf = buf, .cap = sizeof(buf)};
    for (unsigned long long sent = 0; sent < n;) {
        unsigned long long k = n - sent < depth ? n - sent : depth;
        write_all(r.fd, batch, request_len * k);
        for (unsigned long long j = 0; j < k; j++)
            read_response(&r);
        sent += k;
    }
    if (r.start != r.end)
        die("%zu unexpected bytes after the last response", r.end - r.start);
    close(r.fd);
    free(batch);
    printf("requests=%llu depth=%llu\n", n, depth);
    return 0;
}

static int cmd_stream(void) {
    static char buf[256 * 1024];
    reader_t r = {.fd = connect_server(), .buf = buf, .cap = sizeof(buf)};
    double t0 = now();
    write_all(r.fd, request, request_len);
    unsigned long long bytes = read_response(&r);
    double t1 = now();
    close(r.fd);
    printf("bytes=%llu seconds=%.6f\n", bytes, t1 - t0);
    return 0;
}

/* ---- load: a closed-loop pipelining load generator with an exact latency histogram ---- */

enum { LOAD_BUF = 64 * 1024, HIST_US = 10 * 1000 * 1000 };

typedef struct {
    int fd;
    char buf[LOAD_BUF];
    size_t len;                   /* bytes in buf not parsed yet */
    unsigned long long body_left; /* body bytes of the current response still to skip */
    unsigned outstanding;         /* responses still owed for the batch in flight */
    double sent_at;               /* when the batch in flight was written */
} load_conn_t;

/* Parses complete responses at the front of c->buf; returns how many completed. */
static unsigned load_parse(load_conn_t *c) {
    unsigned done = 0;
    size_t pos = 0;
    for (;;) {
        if (c->body_left) {
            size_t take = c->len - pos < c->body_left ? c->len - pos : (size_t)c->body_left;
            pos += take;
            c->body_left -= take;
            if (c->body_left)
                break;
            done++;
            continue;
        }
        char *head = c->buf + pos, *eoh = memmem(head, c->len - pos, "\r\n\r\n", 4);
        if (!eoh)
            break;
        unsigned long long cl = parse_head(head, eoh);
        pos += (size_t)(eoh - head) + 4;
        if (cl == 0)
            done++;
        else
            c->body_left = cl;
    }
    memmove(c->buf, c->buf + pos, c->len - pos);
    c->len -= pos;
    if (c->len == LOAD_BUF)
        die("load: response header larger than %d bytes", LOAD_BUF);
    return done;
}

static void load_send(load_conn_t *c, const char *batch, size_t len, unsigned depth) {
    size_t off = 0;
    c->sent_at = now();
    while (off < len) {
        ssize_t n = write(c->fd, batch + off, len - off);
        if (n < 0 && errno == EAGAIN) { /* rare: the previous batch is answered, so the buffer is empty */
            struct pollfd p = {.fd = c->fd, .events = POLLOUT};
            poll(&p, 1, 1000);
            continue;
        }
        if (n < 0 && errno != EINTR)
            die("load: write: %s", strerror(errno));
        if (n > 0)
            off += (size_t)n;
    }
    c->outstanding = depth;
}

static unsigned long long percentile(const unsigned *hist, unsigned long long count, double p) {
    unsigned long long rank = (unsigned long long)(p * (double)count + 0.999999), seen = 0;
    for (unsigned long long us = 0; us <= HIST_US; us++)
        if ((seen += hist[us]) >= rank && rank)
            return us;
    return HIST_US;
}

static int cmd_load(unsigned conns, unsigned depth, double seconds) {
    if (conns == 0 || depth == 0 || depth > 1024)
        die("load: CONNS must be > 0 and DEPTH 1..1024");
    size_t batch_len = request_len * depth;
    char *batch = malloc(batch_len);
    for (unsigned i = 0; i < depth; i++)
        memcpy(batch + (size_t)i * request_len, request, request_len);
    unsigned *hist = calloc(HIST_US + 1, sizeof(unsigned)); /* 1 us buckets; the last one is ">= 10 s" */
    load_conn_t *cs = calloc(conns, sizeof(*cs));
    int ep = epoll_create1(0);
    if (!batch || !hist || !cs || ep < 0)
        die("load: out of memory");
    for (unsigned i = 0; i < conns; i++) {
        cs[i].fd = connect_server();
        fcntl(cs[i].fd, F_SETFL, fcntl(cs[i].fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
    }
    double start = now(), end = start + seconds;
    for (unsigned i = 0; i < conns; i++)
        load_send(&cs[i], batch, batch_len, depth);

    unsigned long long requests = 0, batches = 0;
    unsigned busy = conns; /* connections with a batch in flight */
    struct epoll_event evs[256];
    while (busy) {
        int n = epoll_wait(ep, evs, 256, 1000);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            die("load: epoll_wait: %s", strerror(errno));
        if (n == 0 && now() > end + 5)
            die("load: no response for 5 s after the end of the run (%u connections stalled)", busy);
        for (int e = 0; e < n; e++) {
            load_conn_t *c = evs[e].data.ptr;
            ssize_t r = read(c->fd, c->buf + c->len, LOAD_BUF - c->len);
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (r <= 0)
                die("load: server closed a connection (%s)", r < 0 ? strerror(errno) : "EOF");
            c->len += (size_t)r;
            unsigned done = load_parse(c);
            if (done > c->outstanding)
                die("load: more responses than requests");
            c->outstanding -= done;
            double t = now();
            if (t <= end)
                requests += done;
            if (c->outstanding)
                continue;
            if (t <= end) {
                unsigned long long us = (unsigned long long)((t - c->sent_at) * 1e6);
                hist[us < HIST_US ? us : HIST_US]++;
                batches++;
                load_send(c, batch, batch_len, depth);
            } else
                busy--; /* past the end: let the connection go quiet */
        }
    }
    for (unsigned i = 0; i < conns; i++)
        close(cs[i].fd);
    printf("requests=%llu seconds=%.3f p50_us=%llu p99_us=%llu batches=%llu\n", requests, seconds,
           percentile(hist, batches, 0.50), percentile(hist, batches, 0.99), batches);
    free(cs);
    free(hist);
    free(batch);
    return 0;
}

static int cmd_idle(unsigned long long n, long pid) {
    static char buf[64 * 1024];
    /* One request on a throwaway connection first, so one-time lazy setup in the server (first
     * request, first accept) is in "before" and not counted against the idle connections. */
    reader_t r = {.fd = connect_server(), .buf = buf, .cap = sizeof(buf)};
    write_all(r.fd, request, request_len);
    read_response(&r);
    close_reset(r.fd);
    usleep(200 * 1000);
    long before = proc_status_kb(pid, "VmRSS");

    struct pollfd *fds = calloc(n, sizeof(*fds));
    if (!fds)
        die("calloc");
    for (unsigned long long i = 0; i < n; i++) {
        /* Connect then request at once: the response proves the server accepted the connection, so
         * the listen backlog never overflows however slowly the server accepts. */
        r.fd = connect_server();
        r.start = r.end = 0;
        write_all(r.fd, request, request_len);
        read_response(&r);
        if (r.start != r.end)
            die("unexpected bytes after a response");
        fds[i].fd = r.fd;
        fds[i].events = POLLIN | POLLRDHUP;
    }
    usleep(200 * 1000); /* let the server finish whatever it does after writing a response */
    long after = proc_status_kb(pid, "VmRSS");
    long hwm = proc_status_kb(pid, "VmHWM");

    /* A connection the server closed (an idle timeout, a limit) would show up readable (EOF). */
    int ready = poll(fds, n, 0);
    if (ready < 0)
        die("poll: %s", strerror(errno));
    for (unsigned long long i = 0; i < n; i++)
        close_reset(fds[i].fd);
    free(fds);
    printf("conns=%llu rss_before_kb=%ld rss_after_kb=%ld hwm_kb=%ld closed_by_server=%d\n", n, before, after, hwm,
           ready);
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc < 4) {
        fprintf(stderr,
                "usage: benchclient seq HOST PORT N [PATH]\n"
                "       benchclient pipe HOST PORT N DEPTH [PATH]\n"
                "       benchclient stream HOST PORT PATH\n"
                "       benchclient load HOST PORT CONNS DEPTH SECONDS [PATH]\n"
                "       benchclient idle HOST PORT N PID [PATH]\n");
        return 2;
    }
    const char *mode = argv[1], *host = argv[2], *port = argv[3];
    resolve(host, port);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(mode, "seq") && argc >= 5) {
        build_request(host, port, argc > 5 ? argv[5] : "/");
        return cmd_seq(parse_count(argv[4], "N"));
    }
    if (!strcmp(mode, "pipe") && argc >= 6) {
        build_request(host, port, argc > 6 ? argv[6] : "/");
        return cmd_pipe(parse_count(argv[4], "N"), parse_count(argv[5], "DEPTH"));
    }
    if (!strcmp(mode, "stream") && argc >= 5) {
        build_request(host, port, argv[4]);
        return cmd_stream();
    }
    if (!strcmp(mode, "load") && argc >= 7) {
        build_request(host, port, argc > 7 ? argv[7] : "/");
        return cmd_load((unsigned)parse_count(argv[4], "CONNS"), (unsigned)parse_count(argv[5], "DEPTH"),
                        atof(argv[6]));
    }
    if (!strcmp(mode, "idle") && argc >= 6) {
        build_request(host, port, argc > 6 ? argv[6] : "/");
        return cmd_idle(parse_count(argv[4], "N"), (long)parse_count(argv[5], "PID"));
    }
    fprintf(stderr, "benchclient: unknown mode or missing arguments: %s\n", mode);
    return 2;
}
