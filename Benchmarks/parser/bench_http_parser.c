// The reference side of `make bench-parser`: Debian's C http-parser (libhttp-parser-dev) on the
// same corpus files and in the same loop shape as ParserBench.swift.
//
// usage: bench_http_parser KIB_PER_REPEAT REPEATS FILE...
// For each file: parse the whole file again and again with one parser (like one keep-alive
// connection receiving the file over and over) until KIB_PER_REPEAT KiB have been parsed; do that
// REPEATS times and keep the median.
// Output, one line per file: `name bytes messages fields median_ns_per_pass sink`, where messages
// and fields count one pass over the file (the Swift side must report the same counts).
#include <http_parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// What the callbacks consume: every byte count they are given and the number of fields and
// messages, so no callback can be optimised away. The Swift side sums the same quantities.
struct sink {
    uint64_t bytes;
    uint64_t fields;
    uint64_t messages;
};

static int on_url(http_parser *p, const char *at, size_t length) {
    (void)at;
    ((struct sink *)p->data)->bytes += length;
    return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t length) {
    (void)at;
    struct sink *sink = p->data;
    sink->bytes += length;
    sink->fields += 1;
    return 0;
}

static int on_data(http_parser *p, const char *at, size_t length) {
    (void)at;
    ((struct sink *)p->data)->bytes += length;
    return 0;
}

static int on_message_complete(http_parser *p) {
    ((struct sink *)p->data)->messages += 1;
    return 0;
}

static const http_parser_settings settings = {
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_data,
    .on_body = on_data,
    .on_message_complete = on_message_complete,
};

static char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        perror(path);
        exit(2);
    }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *bytes = malloc((size_t)length);
    if (!bytes || fread(bytes, 1, (size_t)length, file) != (size_t)length) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(file);
    *size = (size_t)length;
    return bytes;
}

static uint64_t now_ns(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s KIB_PER_REPEAT REPEATS FILE...\n", argv[0]);
        return 2;
    }
    long budget = atol(argv[1]) * 1024;
    long repeats = atol(argv[2]);
    uint64_t *samples = calloc((size_t)repeats, sizeof *samples);
    for (int arg = 3; arg < argc; arg++) {
        size_t size;
        char *bytes = read_file(argv[arg], &size);
        long iterations = budget / (long)size > 0 ? budget / (long)size : 1;
        struct sink sink = {0, 0, 0};
        http_parser parser;
        http_parser_init(&parser, HTTP_REQUEST);
        parser.data = &sink;
        uint64_t messagesPerPass = 0, fieldsPerPass = 0;
        for (long repeat = 0; repeat < repeats; repeat++) {
            uint64_t messagesBefore = sink.messages, fieldsBefore = sink.fields;
            uint64_t start = now_ns();
            for (long iteration = 0; iteration < iterations; iteration++) {
                size_t parsed = http_parser_execute(&parser, &settings, bytes, size);
                if (parsed != size || HTTP_PARSER_ERRNO(&parser) != HPE_OK) {
                    fprintf(stderr, "%s: %s\n", argv[arg], http_errno_name(HTTP_PARSER_ERRNO(&parser)));
                    return 1;
                }
            }
            samples[repeat] = now_ns() - start;
            messagesPerPass = (sink.messages - messagesBefore) / (uint64_t)iterations;
            fieldsPerPass = (sink.fields - fieldsBefore) / (uint64_t)iterations;
        }
        qsort(samples, (size_t)repeats, sizeof *samples, compare);
        const char *name = strrchr(argv[arg], '/');
        printf("%s %zu %llu %llu %.2f %llu\n", name ? name + 1 : argv[arg], size,
               (unsigned long long)messagesPerPass, (unsigned long long)fieldsPerPass,
               (double)samples[repeats / 2] / (double)iterations, (unsigned long long)sink.bytes);
        free(bytes);
    }
    free(samples);
    return 0;
}
