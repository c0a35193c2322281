/*
 * Shared parts of our lib60870-C peer programs; see common.h and README.md.
 */
#define _GNU_SOURCE
#include "common.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

volatile int peer_stop = 0;

static pthread_mutex_t output_lock = PTHREAD_MUTEX_INITIALIZER;

void peer_options_init(struct peer_options *o)
{
    memset(o, 0, sizeof *o);
    o->baud = 9600;
    o->link_addresses[0] = 1;
    o->station_count = 1;
    o->other_address = -1;
    o->link_address_size = 1;
    o->cot_size = 1;
    o->ca_size = 1;
    o->ioa_size = 2;
    o->single_char_ack = true;
}

int peer_parse_int(const char *option, const char *value, int min, int max)
{
    char *end = NULL;
    long v = value ? strtol(value, &end, 10) : 0;
    if (value == NULL || *value == '\0' || *end != '\0' || v < min || v > max) {
        fprintf(stderr, "--%s: expected an integer from %d to %d, got '%s'\n", option, min, max,
                value ? value : "");
        exit(2);
    }
    return (int) v;
}

/* "1,2,3" into LIST; returns the count. */
static int parse_list(const char *option, const char *value, int *list, int max, int lo, int hi)
{
    char copy[256];
    int count = 0;
    if (strlen(value) >= sizeof copy) {
        fprintf(stderr, "--%s: value too long\n", option);
        exit(2);
    }
    strcpy(copy, value);
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item;
         item = strtok_r(NULL, ",", &save)) {
        if (count == max) {
            fprintf(stderr, "--%s: at most %d values\n", option, max);
            exit(2);
        }
        list[count++] = peer_parse_int(option, item, lo, hi);
    }
    if (count == 0) {
        fprintf(stderr, "--%s: expected a comma-separated list\n", option);
        exit(2);
    }
    return count;
}

int peer_option(struct peer_options *o, const char *name, const char *value)
{
    if (strcmp(name, "device") == 0)
        o->device = value;
    else if (strcmp(name, "baud") == 0)
        o->baud = peer_parse_int(name, value, 110, 115200);
    else if (strcmp(name, "mode") == 0) {
        if (strcmp(value, "balanced") == 0)
            o->balanced = true;
        else if (strcmp(value, "unbalanced") == 0)
            o->balanced = false;
        else {
            fprintf(stderr, "--mode: expected 'balanced' or 'unbalanced', got '%s'\n", value);
            exit(2);
        }
    }
    else if (strcmp(name, "link-address") == 0)
        o->station_count = parse_list(name, value, o->link_addresses, PEER_MAX_STATIONS, 0, 65535);
    else if (strcmp(name, "ca") == 0)
        o->common_address_count =
            parse_list(name, value, o->common_addresses, PEER_MAX_STATIONS, 1, 65535);
    else if (strcmp(name, "other-address") == 0)
        o->other_address = peer_parse_int(name, value, 0, 65535);
    else if (strcmp(name, "link-address-size") == 0)
        o->link_address_size = peer_parse_int(name, value, 0, 2);
    else if (strcmp(name, "cot-size") == 0)
        o->cot_size = peer_parse_int(name, value, 1, 2);
    else if (strcmp(name, "ca-size") == 0)
        o->ca_size = peer_parse_int(name, value, 1, 2);
    else if (strcmp(name, "ioa-size") == 0)
        o->ioa_size = peer_parse_int(name, value, 1, 3);
    else if (strcmp(name, "originator") == 0)
        o->originator = peer_parse_int(name, value, 0, 255);
    else if (strcmp(name, "single-char-ack") == 0)
        o->single_char_ack = peer_parse_int(name, value, 0, 1) == 1;
    else if (strcmp(name, "duration-ms") == 0)
        o->duration_ms = peer_parse_int(name, value, 0, 86400000);
    else if (strcmp(name, "raw") == 0)
        o->raw = true;
    else
        return 0;
    return 1;
}

void peer_options_check(struct peer_options *o, const char *program)
{
    int max_link = o->link_address_size == 2 ? 65535 : 255;
    if (o->device == NULL) {
        fprintf(stderr, "%s: --device PATH is required\n", program);
        exit(2);
    }
    if (o->link_address_size == 0 && !o->balanced) {
        fprintf(stderr, "%s: --link-address-size 0 is only for balanced mode\n", program);
        exit(2);
    }
    for (int i = 0; i < o->station_count; i++) {
        if (o->link_addresses[i] > max_link) {
            fprintf(stderr, "%s: link address %d does not fit in %d byte(s)\n", program,
                    o->link_addresses[i], o->link_address_size);
            exit(2);
        }
    }
    if (o->balanced && o->station_count != 1) {
        fprintf(stderr, "%s: balanced mode takes exactly one --link-address\n", program);
        exit(2);
    }
    if (o->common_address_count != 0 && o->common_address_count != o->station_count) {
        fprintf(stderr, "%s: --ca needs one value per --link-address\n", program);
        exit(2);
    }
    for (int i = 0; i < o->station_count; i++) {
        int ca = peer_common_address(o, i);
        if (ca < 1 || ca > (o->ca_size == 2 ? 65535 : 255)) {
            fprintf(stderr, "%s: common address %d does not fit in %d byte(s) (or is 0)\n",
                    program, ca, o->ca_size);
            exit(2);
        }
    }
}

int peer_common_address(const struct peer_options *o, int index)
{
    if (o->common_address_count > index)
        return o->common_addresses[index];
    return o->link_addresses[index];
}

void peer_link_parameters(const struct peer_options *o, struct sLinkLayerParameters *ll)
{
    ll->addressLength = o->link_address_size;
    ll->timeoutForAck = 500;
    ll->timeoutRepeat = 2000;
    ll->useSingleCharACK = o->single_char_ack;
    ll->timeoutLinkState = 2000;
}

void peer_app_parameters(const struct peer_options *o, struct sCS101_AppLayerParameters *al)
{
    al->sizeOfTypeId = 1;
    al->sizeOfVSQ = 1;
    al->sizeOfCOT = o->cot_size;
    al->originatorAddress = o->originator;
    al->sizeOfCA = o->ca_size;
    al->sizeOfIOA = o->ioa_size;
    al->maxSizeOfASDU = 249;
}

void peer_emit(const char *format, ...)
{
    va_list args;
    pthread_mutex_lock(&output_lock);
    va_start(args, format);
    vfprintf(stdout, format, args);
    va_end(args);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&output_lock);
}

const char *peer_link_state_name(LinkLayerState state)
{
    switch (state) {
    case LL_STATE_IDLE:
        return "idle";
    case LL_STATE_ERROR:
        return "error";
    case LL_STATE_BUSY:
        return "busy";
    case LL_STATE_AVAILABLE:
        return "available";
    }
    return "unknown";
}

/* Appends with snprintf semantics, never past SIZE. */
static void append(char *buf, size_t size, size_t *len, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *len, const char *format, ...)
{
    va_list args;
    if (*len >= size)
        return;
    va_start(args, format);
    int n = vsnprintf(buf + *len, size - *len, format, args);
    va_end(args);
    if (n > 0)
        *len = (*len + (size_t) n < size) ? *len + (size_t) n : size - 1;
}

void peer_format_cp56(char *buf, size_t size, size_t *len, CP56Time2a t)
{
    append(buf, size, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", 2000 + CP56Time2a_getYear(t),
           CP56Time2a_getMonth(t), CP56Time2a_getDayOfMonth(t), CP56Time2a_getHour(t),
           CP56Time2a_getMinute(t), CP56Time2a_getSecond(t), CP56Time2a_getMillisecond(t));
}

static void time56(char *buf, size_t size, size_t *len, CP56Time2a t)
{
    append(buf, size, len, ",t=");
    peer_format_cp56(buf, size, len, t);
    if (CP56Time2a_isInvalid(t))
        append(buf, size, len, ",tiv=1");
    if (CP56Time2a_isSummerTime(t))
        append(buf, size, len, ",su=1");
}

static void time24(char *buf, size_t size, size_t *len, CP24Time2a t)
{
    append(buf, size, len, ",t=%02d:%02d.%03d", CP24Time2a_getMinute(t), CP24Time2a_getSecond(t),
           CP24Time2a_getMillisecond(t));
    if (CP24Time2a_isInvalid(t))
        append(buf, size, len, ",tiv=1");
}

/* One object as "IOA=VALUE[,key=value...]"; returns false for a type not rendered here. */
static bool format_object(char *buf, size_t size, size_t *len, TypeID type, InformationObject io)
{
    int ioa = InformationObject_getObjectAddress(io);
    switch (type) {
    case M_SP_NA_1:
    case M_SP_TA_1:
    case M_SP_TB_1: {
        SinglePointInformation sp = (SinglePointInformation) io;
        append(buf, size, len, "%d=%d,q=%02x", ioa, SinglePointInformation_getValue(sp) ? 1 : 0,
               SinglePointInformation_getQuality(sp));
        if (type == M_SP_TA_1)
            time24(buf, size, len, SinglePointWithCP24Time2a_getTimestamp((SinglePointWithCP24Time2a) io));
        if (type == M_SP_TB_1)
            time56(buf, size, len, SinglePointWithCP56Time2a_getTimestamp((SinglePointWithCP56Time2a) io));
        return true;
    }
    case M_DP_NA_1:
    case M_DP_TA_1:
    case M_DP_TB_1: {
        DoublePointInformation dp = (DoublePointInformation) io;
        append(buf, size, len, "%d=%d,q=%02x", ioa, (int) DoublePointInformation_getValue(dp),
               DoublePointInformation_getQuality(dp));
        if (type == M_DP_TA_1)
            time24(buf, size, len, DoublePointWithCP24Time2a_getTimestamp((DoublePointWithCP24Time2a) io));
        if (type == M_DP_TB_1)
            time56(buf, size, len, DoublePointWithCP56Time2a_getTimestamp((DoublePointWithCP56Time2a) io));
        return true;
    }
    case M_ME_NA_1:
    case M_ME_TA_1:
    case M_ME_TD_1: {
        MeasuredValueNormalized v = (MeasuredValueNormalized) io;
        append(buf, size, len, "%d=%.9g,q=%02x", ioa, (double) MeasuredValueNormalized_getValue(v),
               MeasuredValueNormalized_getQuality(v));
        if (type == M_ME_TA_1)
            time24(buf, size, len,
                   MeasuredValueNormalizedWithCP24Time2a_getTimestamp((MeasuredValueNormalizedWithCP24Time2a) io));
        if (type == M_ME_TD_1)
            time56(buf, size, len,
                   MeasuredValueNormalizedWithCP56Time2a_getTimestamp((MeasuredValueNormalizedWithCP56Time2a) io));
        return true;
    }
    case M_ME_NB_1:
    case M_ME_TB_1:
    case M_ME_TE_1: {
        MeasuredValueScaled v = (MeasuredValueScaled) io;
        append(buf, size, len, "%d=%d,q=%02x", ioa, MeasuredValueScaled_getValue(v),
               MeasuredValueScaled_getQuality(v));
        if (type == M_ME_TB_1)
            time24(buf, size, len,
                   MeasuredValueScaledWithCP24Time2a_getTimestamp((MeasuredValueScaledWithCP24Time2a) io));
        if (type == M_ME_TE_1)
            time56(buf, size, len,
                   MeasuredValueScaledWithCP56Time2a_getTimestamp((MeasuredValueScaledWithCP56Time2a) io));
        return true;
    }
    case M_ME_NC_1:
    case M_ME_TC_1:
    case M_ME_TF_1: {
        MeasuredValueShort v = (MeasuredValueShort) io;
        append(buf, size, len, "%d=%.9g,q=%02x", ioa, (double) MeasuredValueShort_getValue(v),
               MeasuredValueShort_getQuality(v));
        if (type == M_ME_TC_1)
            time24(buf, size, len,
                   MeasuredValueShortWithCP24Time2a_getTimestamp((MeasuredValueShortWithCP24Time2a) io));
        if (type == M_ME_TF_1)
            time56(buf, size, len,
                   MeasuredValueShortWithCP56Time2a_getTimestamp((MeasuredValueShortWithCP56Time2a) io));
        return true;
    }
    case M_IT_NA_1: {
        BinaryCounterReading bcr = IntegratedTotals_getBCR((IntegratedTotals) io);
        append(buf, size, len, "%d=%d,sq=%d", ioa, (int) BinaryCounterReading_getValue(bcr),
               BinaryCounterReading_getSequenceNumber(bcr));
        return true;
    }
    case M_EI_NA_1:
        append(buf, size, len, "%d=%d", ioa, EndOfInitialization_getCOI((EndOfInitialization) io));
        return true;
    case C_SC_NA_1: {
        SingleCommand c = (SingleCommand) io;
        append(buf, size, len, "%d=%d,se=%d,qu=%d", ioa, SingleCommand_getState(c) ? 1 : 0,
               SingleCommand_isSelect(c) ? 1 : 0, SingleCommand_getQU(c));
        return true;
    }
    case C_DC_NA_1: {
        DoubleCommand c = (DoubleCommand) io;
        append(buf, size, len, "%d=%d,se=%d,qu=%d", ioa, DoubleCommand_getState(c),
               DoubleCommand_isSelect(c) ? 1 : 0, DoubleCommand_getQU(c));
        return true;
    }
    case C_IC_NA_1:
        append(buf, size, len, "%d=%d", ioa, InterrogationCommand_getQOI((InterrogationCommand) io));
        return true;
    case C_CI_NA_1:
        append(buf, size, len, "%d=%d", ioa,
               CounterInterrogationCommand_getQCC((CounterInterrogationCommand) io));
        return true;
    case C_RD_NA_1:
        append(buf, size, len, "%d=read", ioa);
        return true;
    case C_CS_NA_1:
        append(buf, size, len, "%d=", ioa);
        peer_format_cp56(buf, size, len,
                         ClockSynchronizationCommand_getTime((ClockSynchronizationCommand) io));
        return true;
    case C_TS_NA_1:
        append(buf, size, len, "%d=test", ioa);
        return true;
    default:
        return false;
    }
}

static bool type_rendered(TypeID type)
{
    switch (type) {
    case M_SP_NA_1: case M_SP_TA_1: case M_SP_TB_1:
    case M_DP_NA_1: case M_DP_TA_1: case M_DP_TB_1:
    case M_ME_NA_1: case M_ME_TA_1: case M_ME_TD_1:
    case M_ME_NB_1: case M_ME_TB_1: case M_ME_TE_1:
    case M_ME_NC_1: case M_ME_TC_1: case M_ME_TF_1:
    case M_IT_NA_1: case M_EI_NA_1: case C_SC_NA_1: case C_DC_NA_1:
    case C_IC_NA_1: case C_CI_NA_1: case C_RD_NA_1: case C_CS_NA_1: case C_TS_NA_1:
        return true;
    default:
        return false;
    }
}

void peer_format_asdu(char *buf, size_t size, const char *prefix, int link, CS101_ASDU asdu)
{
    size_t len = 0;
    TypeID type = CS101_ASDU_getTypeID(asdu);
    int n = CS101_ASDU_getNumberOfElements(asdu);
    buf[0] = '\0';
    append(buf, size, &len, "%s link=%d type=%d cot=%d pn=%d test=%d oa=%d ca=%d sq=%d n=%d",
           prefix, link, (int) type, (int) CS101_ASDU_getCOT(asdu),
           CS101_ASDU_isNegative(asdu) ? 1 : 0, CS101_ASDU_isTest(asdu) ? 1 : 0,
           CS101_ASDU_getOA(asdu), CS101_ASDU_getCA(asdu), CS101_ASDU_isSequence(asdu) ? 1 : 0, n);
    if (type_rendered(type)) {
        for (int i = 0; i < n; i++) {
            InformationObject io = CS101_ASDU_getElement(asdu, i);
            append(buf, size, &len, " ");
            if (io == NULL) {
                append(buf, size, &len, "bad-object=%d", i);
                break;
            }
            format_object(buf, size, &len, type, io);
            InformationObject_destroy(io);
        }
    }
    else {
        uint8_t *payload = CS101_ASDU_getPayload(asdu);
        int payload_size = CS101_ASDU_getPayloadSize(asdu);
        append(buf, size, &len, " raw=");
        for (int i = 0; i < payload_size; i++)
            append(buf, size, &len, "%02x", payload[i]);
    }
}

void peer_raw_message(void *parameter, uint8_t *msg, int size, bool sent)
{
    char line[1024];
    size_t len = 0;
    int link = parameter ? *(const int *) parameter : -1;
    line[0] = '\0';
    append(line, sizeof line, &len, "frame link=%d dir=%s hex=", link, sent ? "tx" : "rx");
    for (int i = 0; i < size; i++)
        append(line, sizeof line, &len, "%02x", msg[i]);
    peer_emit("%s", line);
}

uint64_t peer_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

static void on_signal(int signal_number)
{
    (void) signal_number;
    peer_stop = 1;
}

void peer_install_signals(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
}
