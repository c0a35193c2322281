/*
 * lib60870_decode: times lib60870-C decoding IEC 60870-5-104 I frames, for fieldbridge-bench's
 * iec_report (benches/src/bin/iec_report/). A separate program, so that the GPL-3.0 library is
 * never linked into a Rust crate; scripts/build-lib60870 builds it.
 *
 *   lib60870_decode --kind float|single|command --frame HEX --iterations N --variant public|stack
 *
 * One run decodes the frame N times as a warm-up, then N times timed with CLOCK_MONOTONIC, and
 * prints one line:
 *
 *   ns=<elapsed nanoseconds of the timed N> digest=<digest of one frame> allocs=<heap calls in the timed N>
 *
 * Each decode does what lib60870's own 104 receive path does (cs104_connection.c), then reads
 * every value: check the start byte, the length octet against the frame, and the I format; read
 * N(S) and N(R); CS101_ASDU_createFromBuffer (variant `public`, which mallocs the ASDU object:
 * the public API) or CS101_ASDU_createFromBufferEx on a stack object (variant `stack`: what the
 * library's receive path does; declared in its internal header); type ID, COT and CA; then
 * CS101_ASDU_getElementEx for every element into one caller-owned object and every field of it.
 * The digest is a wrapping 64-bit sum defined in benches/src/iec/mod.rs; the Rust decoders
 * compute the same one, and iec_report refuses to measure when they differ.
 *
 * Heap calls are counted by linking with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc: every
 * call from this program and from the library goes through the __wrap_ functions below.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cs101_asdu_internal.h" /* CS101_ASDU_createFromBufferEx, struct sCS101_ASDU */
#include "cs101_information_objects.h"
#include "iec60870_common.h"

/* --- counting allocator ----------------------------------------------------------------- */

static uint64_t heap_calls;

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *ptr, size_t size);

void *__wrap_malloc(size_t size)
{
    heap_calls++;
    return __real_malloc(size);
}

void *__wrap_calloc(size_t count, size_t size)
{
    heap_calls++;
    return __real_calloc(count, size);
}

void *__wrap_realloc(void *ptr, size_t size)
{
    heap_calls++;
    return __real_realloc(ptr, size);
}

/* --- decoding ---------------------------------------------------------------------------- */

enum kind { FLOAT, SINGLE, COMMAND };

static struct sCS101_AppLayerParameters params = {
    .sizeOfTypeId = 1,
    .sizeOfVSQ = 1,
    .sizeOfCOT = 2,
    .originatorAddress = 0,
    .sizeOfCA = 2,
    .sizeOfIOA = 3,
    .maxSizeOfASDU = 249,
};

/* One caller-owned information object, as large as lib60870 says any can be. */
static _Alignas(16) uint8_t object_memory[512];

static uint64_t time_digest(CP56Time2a t)
{
    /* lib60870 splits the milliseconds of the minute into seconds and milliseconds. */
    return (uint64_t) CP56Time2a_getSecond(t) * 1000 + (uint64_t) CP56Time2a_getMillisecond(t) +
           (uint64_t) CP56Time2a_getMinute(t) +
           (uint64_t) CP56Time2a_getHour(t) + (uint64_t) CP56Time2a_getDayOfMonth(t) +
           (uint64_t) CP56Time2a_getDayOfWeek(t) + (uint64_t) CP56Time2a_getMonth(t) +
           (uint64_t) CP56Time2a_getYear(t) + (uint64_t) CP56Time2a_isInvalid(t) +
           (uint64_t) CP56Time2a_isSummerTime(t);
}

/* Decodes FRAME and returns its digest; 0 when lib60870 (or the APCI check) refuses it. */
static uint64_t decode(enum kind kind, uint8_t *frame, int size, bool stack)
{
    /* APCI: start byte, length octet, I format (bit 1 of octet 3 and of octet 5 clear). */
    if (size < 7 || frame[0] != 0x68 || frame[1] + 2 != size || frame[1] < 4 || frame[1] > 253)
        return 0;
    if ((frame[2] & 0x01) != 0 || (frame[4] & 0x01) != 0)
        return 0;
    uint64_t digest = (uint64_t) ((frame[3] * 0x100 + (frame[2] & 0xfe)) / 2) +
                      (uint64_t) ((frame[5] * 0x100 + (frame[4] & 0xfe)) / 2);

    struct sCS101_ASDU on_stack;
    CS101_ASDU asdu = stack ? CS101_ASDU_createFromBufferEx(&on_stack, &params, frame + 6, size - 6)
                            : CS101_ASDU_createFromBuffer(&params, frame + 6, size - 6);
    if (asdu == NULL)
        return 0;
    digest += (uint64_t) CS101_ASDU_getTypeID(asdu) + (uint64_t) CS101_ASDU_getCOT(asdu) +
              (uint64_t) CS101_ASDU_getCA(asdu);
    int n = CS101_ASDU_getNumberOfElements(asdu);
    InformationObject io = (InformationObject) object_memory;
    for (int i = 0; i < n; i++) {
        if (CS101_ASDU_getElementEx(asdu, io, i) == NULL) {
            digest = 0;
            break;
        }
        digest += (uint64_t) InformationObject_getObjectAddress(io);
        switch (kind) {
        case FLOAT: {
            float value = MeasuredValueShort_getValue((MeasuredValueShort) io);
            uint32_t bits;
            memcpy(&bits, &value, sizeof bits);
            digest += (uint64_t) bits + MeasuredValueShort_getQuality((MeasuredValueShort) io);
            break;
        }
        case SINGLE:
            digest += (uint64_t) SinglePointInformation_getValue((SinglePointInformation) io) +
                      (uint64_t) SinglePointInformation_getQuality((SinglePointInformation) io) +
                      time_digest(SinglePointWithCP56Time2a_getTimestamp(
                          (SinglePointWithCP56Time2a) io));
            break;
        case COMMAND:
            digest += (uint64_t) SingleCommand_getState((SingleCommand) io) +
                      2 * (uint64_t) SingleCommand_isSelect((SingleCommand) io) +
                      4 * (uint64_t) SingleCommand_getQU((SingleCommand) io);
            break;
        }
    }
    if (!stack)
        CS101_ASDU_destroy(asdu);
    return digest;
}

/* --- the run ------------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr, "usage: lib60870_decode --kind float|single|command --frame HEX "
                    "--iterations N --variant public|stack\n");
    exit(2);
}

static int parse_hex(const char *hex, uint8_t *out, int max)
{
    int n = 0;
    size_t len = strlen(hex);
    if (len % 2 != 0 || len / 2 > (size_t) max)
        return -1;
    for (size_t i = 0; i < len; i += 2) {
        unsigned int byte;
        if (sscanf(hex + i, "%2x", &byte) != 1)
            return -1;
        out[n++] = (uint8_t) byte;
    }
    return n;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

int main(int argc, char **argv)
{
    enum kind kind = FLOAT;
    bool have_kind = false, stack = false;
    uint8_t frame[256];
    int size = -1;
    long long iterations = 0;

    if ((size_t) InformationObject_getMaxSizeInMemory() > sizeof object_memory) {
        fprintf(stderr, "lib60870_decode: an information object needs %d bytes\n",
                InformationObject_getMaxSizeInMemory());
        return 1;
    }
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *name = argv[i], *value = argv[i + 1];
        if (strcmp(name, "--kind") == 0) {
            have_kind = true;
            if (strcmp(value, "float") == 0)
                kind = FLOAT;
            else if (strcmp(value, "single") == 0)
                kind = SINGLE;
            else if (strcmp(value, "command") == 0)
                kind = COMMAND;
            else
                usage();
        }
        else if (strcmp(name, "--frame") == 0)
            size = parse_hex(value, frame, (int) sizeof frame);
        else if (strcmp(name, "--iterations") == 0)
            iterations = atoll(value);
        else if (strcmp(name, "--variant") == 0) {
            if (strcmp(value, "stack") == 0)
                stack = true;
            else if (strcmp(value, "public") != 0)
                usage();
        }
        else
            usage();
    }
    if (!have_kind || size <= 0 || iterations <= 0 || argc % 2 != 1)
        usage();

    volatile uint64_t sink = 0;
    uint64_t digest = decode(kind, frame, size, stack);
    for (long long i = 0; i < iterations; i++) /* warm-up */
        sink += decode(kind, frame, size, stack);
    heap_calls = 0;
    uint64_t start = now_ns();
    for (long long i = 0; i < iterations; i++)
        sink += decode(kind, frame, size, stack);
    uint64_t elapsed = now_ns() - start;
    uint64_t calls = heap_calls;
    (void) sink;
    printf("ns=%llu digest=%llu allocs=%llu\n", (unsigned long long) elapsed,
           (unsigned long long) digest, (unsigned long long) calls);
    return 0;
}
