/*
 * Shared parts of our lib60870-C peer programs (cs101_slave, cs101_master): option parsing of
 * the link and ASDU sizes, the line-oriented output on stdout and the one-line rendering of an
 * ASDU. Written for fieldbridge's tests against lib60870-C's public API; see README.md for the
 * command lines and the output format.
 */
#ifndef FIELDBRIDGE_PEER_COMMON_H
#define FIELDBRIDGE_PEER_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cs101_information_objects.h"
#include "iec60870_common.h"
#include "link_layer_parameters.h"

/* Most link addresses (slaves of one master, or addresses served by one slave process). */
#define PEER_MAX_STATIONS 8

/* The options both programs share. */
struct peer_options {
    const char *device;
    int baud;
    bool balanced;
    int link_addresses[PEER_MAX_STATIONS];
    int station_count;
    int common_addresses[PEER_MAX_STATIONS]; /* 0 = same as the link address */
    int common_address_count;
    int other_address; /* balanced: the other station's link address */
    int link_address_size;
    int cot_size;
    int ca_size;
    int ioa_size;
    int originator;
    bool single_char_ack;
    int duration_ms; /* 0 = until SIGINT/SIGTERM */
    bool raw;
};

/* Sets the defaults (see README.md). */
void peer_options_init(struct peer_options *o);

/*
 * Parses one shared option; NAME is the long option without "--". Returns 1 when it was one,
 * 0 when not, and exits with status 2 on a bad value.
 */
int peer_option(struct peer_options *o, const char *name, const char *value);

/* Checks the shared options once all are parsed; exits with status 2 when they do not fit. */
void peer_options_check(struct peer_options *o, const char *program);

/* The common address used with the station at INDEX. */
int peer_common_address(const struct peer_options *o, int index);

/* lib60870's parameter structs filled from the options. */
void peer_link_parameters(const struct peer_options *o, struct sLinkLayerParameters *ll);
void peer_app_parameters(const struct peer_options *o, struct sCS101_AppLayerParameters *al);

/* Parses an integer in [min, max] or exits with status 2 naming OPTION. */
int peer_parse_int(const char *option, const char *value, int min, int max);

/* Writes one line to stdout (printf format, no newline needed) under a lock and flushes it. */
void peer_emit(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* "idle", "error", "busy" or "available". */
const char *peer_link_state_name(LinkLayerState state);

/* Appends "YYYY-MM-DDTHH:MM:SS.mmm" (UTC, as encoded) for a CP56Time2a to BUF at *LEN. */
void peer_format_cp56(char *buf, size_t size, size_t *len, CP56Time2a time);

/*
 * Renders ASDU as "<prefix> link=L type=T cot=C pn=P test=X oa=O ca=A sq=S n=N <objects>" into
 * BUF (see README.md, "Output"). Every object of the ASDU is rendered.
 */
void peer_format_asdu(char *buf, size_t size, const char *prefix, int link, CS101_ASDU asdu);

/* Raw-frame handler for CS101_*_setRawMessageHandler; PARAMETER points to the link address. */
void peer_raw_message(void *parameter, uint8_t *msg, int size, bool sent);

/* Milliseconds on a monotonic clock. */
uint64_t peer_now_ms(void);

/* Set by SIGINT and SIGTERM once peer_install_signals ran. */
extern volatile int peer_stop;
void peer_install_signals(void);

#endif
