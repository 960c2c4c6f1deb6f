/* Peer timing for saebaram-forecast's decode benchmark through ecCodes' C API (no Python):
 * decode the u, v, gh and t fields on isobaric levels of a GRIB2 file already in memory
 * (what saebaram decodes; other fields are skipped by both). Multi-field messages (MEPS
 * holds 20 fields in one message) are split, as `codes_grib_multi_support_on` does.
 *
 * Per run: open the in-memory bytes (fmemopen), make a handle per field, read shortName and
 * typeOfLevel, and for a wanted field get its values as doubles; free everything. Prints
 * the median wall time of N runs and the number of values decoded.
 *
 * Build and run (Debian: apt install libeccodes-dev):
 *   cc -O2 -o target/eccodes_decode bench/forecast/eccodes_decode.c $(pkg-config --cflags --libs eccodes)
 *   target/eccodes_decode FILE [N]
 */
#define _GNU_SOURCE
#include <eccodes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int wanted(const char *name) {
    return !strcmp(name, "u") || !strcmp(name, "v") || !strcmp(name, "gh") || !strcmp(name, "t");
}

/* Decodes every wanted field; returns the number of values decoded, or -1. */
static long decode(unsigned char *bytes, size_t len, double **vals, size_t *cap) {
    FILE *f = fmemopen(bytes, len, "rb");
    if (!f) return -1;
    long n = 0;
    int err = 0;
    codes_handle *h;
    while ((h = codes_handle_new_from_file(NULL, f, PRODUCT_GRIB, &err)) != NULL) {
        char level[64], name[64];
        size_t ll = sizeof level, nl = sizeof name;
        if (codes_get_string(h, "typeOfLevel", level, &ll) == 0 && !strcmp(level, "isobaricInhPa") &&
            codes_get_string(h, "shortName", name, &nl) == 0 && wanted(name)) {
            size_t size = 0;
            if (codes_get_size(h, "values", &size) != 0) { codes_handle_delete(h); fclose(f); return -1; }
            if (size > *cap) { *cap = size; *vals = realloc(*vals, size * sizeof **vals); }
            if (codes_get_double_array(h, "values", *vals, &size) != 0) { codes_handle_delete(h); fclose(f); return -1; }
            n += (long)size;
        }
        codes_handle_delete(h);
    }
    fclose(f);
    return err ? -1 : n;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s FILE [N]\n", argv[0]); return 2; }
    int runs = argc > 2 ? atoi(argv[2]) : 20;
    if (runs < 1) { fprintf(stderr, "N must be positive\n"); return 2; }
    FILE *in = fopen(argv[1], "rb");
    if (!in) { perror(argv[1]); return 2; }
    fseek(in, 0, SEEK_END);
    size_t len = (size_t)ftell(in);
    fseek(in, 0, SEEK_SET);
    unsigned char *bytes = malloc(len);
    if (!bytes || fread(bytes, 1, len, in) != len) { perror(argv[1]); return 2; }
    fclose(in);
    codes_grib_multi_support_on(NULL);
    double *vals = NULL, *times = malloc(runs * sizeof *times);
    size_t cap = 0;
    long values = 0;
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        values = decode(bytes, len, &vals, &cap);
        times[i] = now_s() - t0;
        if (values < 0) { fprintf(stderr, "%s: decoding failed\n", argv[1]); return 2; }
    }
    qsort(times, runs, sizeof *times, cmp);
    long v = codes_get_api_version();
    printf("ecCodes %ld.%ld.%ld (C API): %.2f ms median of %d (%ld values decoded, wanted fields only)\n",
           v / 10000, v / 100 % 100, v % 100, times[runs / 2] * 1e3, runs, values);
    free(vals); free(times); free(bytes);
    return 0;
}
