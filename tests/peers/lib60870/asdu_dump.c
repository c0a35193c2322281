/*
 * asdu_dump: lib60870-C as a decoding oracle for fieldbridge's ASDU encoder.
 *
 * Reads one ASDU per line on stdin, as hexadecimal (upper or lower case, no separators; empty
 * lines are skipped), parses each with lib60870's public API (CS101_ASDU_createFromBuffer with
 * the sizes given by the options, then CS101_ASDU_getElement for every object) and prints one
 * line per ASDU on stdout:
 *
 *   asdu type=T cot=C pn=P test=X oa=O ca=A sq=S n=N OBJECT...
 *   error REASON
 *
 * Each OBJECT is one token, `ioa=I` followed by `,key=value` for every field lib60870 exposes
 * for the type ID (the last entry of an SQ = 1 F_DR_TA_1 ends in `,padded=1`: see dump()).
 * `oa` is -1 with a one-octet cause. Octets are lower-case hex (`qdp=f9`), numbers decimal.
 * CP56Time2a reads `year.month.day.weekday.hour.minute.second.millisecond.iv.su.sb`,
 * CP24Time2a `minute.second.millisecond.iv.sb` (sb: bit 6 of the minute octet, RES1 of the
 * standard, which lib60870 calls substituted), CP16Time2a the milliseconds. The keys per type:
 *
 *   17, 38   es, qdp (SEP without ES), elapsed, t       18, 39   spe, qdp, elapsed, t
 *   19, 40   oci, qdp, elapsed (operating time), t      20       st, cd (hex), qds
 *   102      (the address only)                          104      valid (the test pattern)
 *   106      delay                                       107      tsc, t
 *   113      qpa                                         120      nof, lof, frq, positive
 *   121      nof, nos, lof, srq, not_ready              122      nof, nos, scq
 *   123      nof, nos, lsq, chs                          124      nof, nos, afq
 *   125      nof, nos, los, data (hex, `-` for none)
 *   126      nof, lof, sof, status, lfd, for, fa, t     127      nof, start, stop
 *
 * Any other type ID is `error unrendered-type T`. Written for fieldbridge's tests from
 * lib60870's public headers (iec60870_common.h, cs101_information_objects.h).
 *
 * Options: --cot-size 1|2 (default 2), --ca-size 1|2 (default 2), --ioa-size 1|2|3 (default 3).
 * Exit status: 0 at end of input, 2 for a bad option.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs101_information_objects.h"
#include "iec60870_common.h"

/* Longest line: an ASDU of at most 255 octets, two digits each, and some slack. */
#define MAX_LINE 1024
#define MAX_ASDU 256
/* Room for one rendered ASDU: 255 octets of segment data in hex and the fields. */
#define MAX_OUT 8192

struct out {
    char buf[MAX_OUT];
    size_t len;
};

static void put(struct out *o, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    if (o->len < sizeof o->buf) {
        int n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, format, args);
        if (n > 0)
            o->len += (size_t) n;
        if (o->len > sizeof o->buf)
            o->len = sizeof o->buf;
    }
    va_end(args);
}

/* CP56Time2a as `year.month.day.weekday.hour.minute.second.millisecond.iv.su.sb`, every field
 * as lib60870 reads it (sb: bit 6 of the minute octet, which lib60870 calls substituted). */
static void put_cp56(struct out *o, const char *key, CP56Time2a t)
{
    put(o, ",%s=%d.%d.%d.%d.%d.%d.%d.%d.%d.%d.%d", key, CP56Time2a_getYear(t),
        CP56Time2a_getMonth(t), CP56Time2a_getDayOfMonth(t), CP56Time2a_getDayOfWeek(t),
        CP56Time2a_getHour(t), CP56Time2a_getMinute(t), CP56Time2a_getSecond(t),
        CP56Time2a_getMillisecond(t), CP56Time2a_isInvalid(t), CP56Time2a_isSummerTime(t),
        CP56Time2a_isSubstituted(t));
}

/* CP24Time2a as `minute.second.millisecond.iv.sb`. */
static void put_cp24(struct out *o, const char *key, CP24Time2a t)
{
    put(o, ",%s=%d.%d.%d.%d.%d", key, CP24Time2a_getMinute(t), CP24Time2a_getSecond(t),
        CP24Time2a_getMillisecond(t), CP24Time2a_isInvalid(t), CP24Time2a_isSubstituted(t));
}

static void put_hex(struct out *o, const char *key, const uint8_t *data, int len)
{
    put(o, ",%s=", key);
    for (int i = 0; i < len; i++)
        put(o, "%02x", data[i]);
    if (len == 0)
        put(o, "-");
}

/* The fields of one object; false for a type ID this program does not render. */
static bool put_object(struct out *o, TypeID type, InformationObject io)
{
    put(o, " ioa=%d", InformationObject_getObjectAddress(io));
    switch (type) {
    case M_EP_TA_1: {
        EventOfProtectionEquipment x = (EventOfProtectionEquipment) io;
        SingleEvent e = EventOfProtectionEquipment_getEvent(x);
        put(o, ",es=%d,qdp=%02x,elapsed=%d", (int) SingleEvent_getEventState(e),
            SingleEvent_getQDP(e),
            CP16Time2a_getEplapsedTimeInMs(EventOfProtectionEquipment_getElapsedTime(x)));
        put_cp24(o, "t", EventOfProtectionEquipment_getTimestamp(x));
        return true;
    }
    case M_EP_TB_1: {
        PackedStartEventsOfProtectionEquipment x = (PackedStartEventsOfProtectionEquipment) io;
        put(o, ",spe=%02x,qdp=%02x,elapsed=%d", PackedStartEventsOfProtectionEquipment_getEvent(x),
            PackedStartEventsOfProtectionEquipment_getQuality(x),
            CP16Time2a_getEplapsedTimeInMs(
                PackedStartEventsOfProtectionEquipment_getElapsedTime(x)));
        put_cp24(o, "t", PackedStartEventsOfProtectionEquipment_getTimestamp(x));
        return true;
    }
    case M_EP_TC_1: {
        PackedOutputCircuitInfo x = (PackedOutputCircuitInfo) io;
        put(o, ",oci=%02x,qdp=%02x,elapsed=%d", PackedOutputCircuitInfo_getOCI(x),
            PackedOutputCircuitInfo_getQuality(x),
            CP16Time2a_getEplapsedTimeInMs(PackedOutputCircuitInfo_getOperatingTime(x)));
        put_cp24(o, "t", PackedOutputCircuitInfo_getTimestamp(x));
        return true;
    }
    case M_PS_NA_1: {
        PackedSinglePointWithSCD x = (PackedSinglePointWithSCD) io;
        StatusAndStatusChangeDetection scd = PackedSinglePointWithSCD_getSCD(x);
        put(o, ",st=%04x,cd=%04x,qds=%02x", StatusAndStatusChangeDetection_getSTn(scd),
            StatusAndStatusChangeDetection_getCDn(scd), PackedSinglePointWithSCD_getQuality(x));
        return true;
    }
    case M_EP_TD_1: {
        EventOfProtectionEquipmentWithCP56Time2a x = (EventOfProtectionEquipmentWithCP56Time2a) io;
        SingleEvent e = EventOfProtectionEquipmentWithCP56Time2a_getEvent(x);
        put(o, ",es=%d,qdp=%02x,elapsed=%d", (int) SingleEvent_getEventState(e),
            SingleEvent_getQDP(e),
            CP16Time2a_getEplapsedTimeInMs(
                EventOfProtectionEquipmentWithCP56Time2a_getElapsedTime(x)));
        put_cp56(o, "t", EventOfProtectionEquipmentWithCP56Time2a_getTimestamp(x));
        return true;
    }
    case M_EP_TE_1: {
        PackedStartEventsOfProtectionEquipmentWithCP56Time2a x =
            (PackedStartEventsOfProtectionEquipmentWithCP56Time2a) io;
        put(o, ",spe=%02x,qdp=%02x,elapsed=%d",
            PackedStartEventsOfProtectionEquipmentWithCP56Time2a_getEvent(x),
            PackedStartEventsOfProtectionEquipmentWithCP56Time2a_getQuality(x),
            CP16Time2a_getEplapsedTimeInMs(
                PackedStartEventsOfProtectionEquipmentWithCP56Time2a_getElapsedTime(x)));
        put_cp56(o, "t", PackedStartEventsOfProtectionEquipmentWithCP56Time2a_getTimestamp(x));
        return true;
    }
    case M_EP_TF_1: {
        PackedOutputCircuitInfoWithCP56Time2a x = (PackedOutputCircuitInfoWithCP56Time2a) io;
        put(o, ",oci=%02x,qdp=%02x,elapsed=%d", PackedOutputCircuitInfoWithCP56Time2a_getOCI(x),
            PackedOutputCircuitInfoWithCP56Time2a_getQuality(x),
            CP16Time2a_getEplapsedTimeInMs(
                PackedOutputCircuitInfoWithCP56Time2a_getOperatingTime(x)));
        put_cp56(o, "t", PackedOutputCircuitInfoWithCP56Time2a_getTimestamp(x));
        return true;
    }
    case C_RD_NA_1:
        return true;
    case C_TS_NA_1:
        put(o, ",valid=%d", TestCommand_isValid((TestCommand) io));
        return true;
    case C_CD_NA_1:
        put(o, ",delay=%d", CP16Time2a_getEplapsedTimeInMs(
                                DelayAcquisitionCommand_getDelay((DelayAcquisitionCommand) io)));
        return true;
    case C_TS_TA_1: {
        TestCommandWithCP56Time2a x = (TestCommandWithCP56Time2a) io;
        put(o, ",tsc=%u", TestCommandWithCP56Time2a_getCounter(x));
        put_cp56(o, "t", TestCommandWithCP56Time2a_getTimestamp(x));
        return true;
    }
    case P_AC_NA_1:
        put(o, ",qpa=%d", (int) ParameterActivation_getQuality((ParameterActivation) io));
        return true;
    case F_FR_NA_1: {
        FileReady x = (FileReady) io;
        put(o, ",nof=%u,lof=%u,frq=%02x,positive=%d", FileReady_getNOF(x),
            (unsigned) FileReady_getLengthOfFile(x), FileReady_getFRQ(x), FileReady_isPositive(x));
        return true;
    }
    case F_SR_NA_1: {
        SectionReady x = (SectionReady) io;
        put(o, ",nof=%u,nos=%u,lof=%u,srq=%02x,not_ready=%d", SectionReady_getNOF(x),
            SectionReady_getNameOfSection(x), (unsigned) SectionReady_getLengthOfSection(x),
            SectionReady_getSRQ(x), SectionReady_isNotReady(x));
        return true;
    }
    case F_SC_NA_1: {
        FileCallOrSelect x = (FileCallOrSelect) io;
        put(o, ",nof=%u,nos=%u,scq=%02x", FileCallOrSelect_getNOF(x),
            FileCallOrSelect_getNameOfSection(x), FileCallOrSelect_getSCQ(x));
        return true;
    }
    case F_LS_NA_1: {
        FileLastSegmentOrSection x = (FileLastSegmentOrSection) io;
        put(o, ",nof=%u,nos=%u,lsq=%02x,chs=%02x", FileLastSegmentOrSection_getNOF(x),
            FileLastSegmentOrSection_getNameOfSection(x), FileLastSegmentOrSection_getLSQ(x),
            FileLastSegmentOrSection_getCHS(x));
        return true;
    }
    case F_AF_NA_1: {
        FileACK x = (FileACK) io;
        put(o, ",nof=%u,nos=%u,afq=%02x", FileACK_getNOF(x), FileACK_getNameOfSection(x),
            FileACK_getAFQ(x));
        return true;
    }
    case F_SG_NA_1: {
        FileSegment x = (FileSegment) io;
        int los = FileSegment_getLengthOfSegment(x);
        put(o, ",nof=%u,nos=%u,los=%d", FileSegment_getNOF(x), FileSegment_getNameOfSection(x),
            los);
        put_hex(o, "data", FileSegment_getSegmentData(x), los);
        return true;
    }
    case F_DR_TA_1: {
        FileDirectory x = (FileDirectory) io;
        put(o, ",nof=%u,lof=%d,sof=%02x,status=%d,lfd=%d,for=%d,fa=%d", FileDirectory_getNOF(x),
            FileDirectory_getLengthOfFile(x), FileDirectory_getSOF(x), FileDirectory_getSTATUS(x),
            FileDirectory_getLFD(x), FileDirectory_getFOR(x), FileDirectory_getFA(x));
        put_cp56(o, "t", FileDirectory_getCreationTime(x));
        return true;
    }
    case F_SC_NB_1: {
        QueryLog x = (QueryLog) io;
        put(o, ",nof=%u", QueryLog_getNOF(x));
        put_cp56(o, "start", QueryLog_getRangeStartTime(x));
        put_cp56(o, "stop", QueryLog_getRangeStopTime(x));
        return true;
    }
    default:
        return false;
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Renders one ASDU line into O. */
static void dump(struct out *o, CS101_AppLayerParameters params, const char *line)
{
    uint8_t asdu_bytes[MAX_ASDU];
    uint8_t padded_bytes[MAX_ASDU + 3];
    int len = 0;
    size_t digits = strlen(line);
    if (digits % 2 != 0) {
        put(o, "error odd-hex-length");
        return;
    }
    for (size_t i = 0; i < digits; i += 2) {
        int hi = hex_digit(line[i]), lo = hex_digit(line[i + 1]);
        if (hi < 0 || lo < 0) {
            put(o, "error bad-hex");
            return;
        }
        if (len == MAX_ASDU) {
            put(o, "error too-long");
            return;
        }
        asdu_bytes[len++] = (uint8_t) (hi * 16 + lo);
    }
    CS101_ASDU asdu = CS101_ASDU_createFromBuffer(params, asdu_bytes, len);
    if (asdu == NULL) {
        put(o, "error asdu");
        return;
    }
    TypeID type = CS101_ASDU_getTypeID(asdu);
    int n = CS101_ASDU_getNumberOfElements(asdu);
    put(o, "asdu type=%d cot=%d pn=%d test=%d oa=%d ca=%d sq=%d n=%d", (int) type,
        (int) CS101_ASDU_getCOT(asdu), CS101_ASDU_isNegative(asdu), CS101_ASDU_isTest(asdu),
        params->sizeOfCOT == 2 ? CS101_ASDU_getOA(asdu) : -1, CS101_ASDU_getCA(asdu),
        CS101_ASDU_isSequence(asdu), n);
    for (int i = 0; i < n; i++) {
        InformationObject io = NULL;
        if (type == F_DR_TA_1 && CS101_ASDU_isSequence(asdu)
            && CS101_ASDU_getPayloadSize(asdu) < params->sizeOfIOA + 13 * n) {
            /* Too short: lib60870 would crash on it as below, so refuse it here. */
            o->len = 0;
            put(o, "error element %d", i);
            break;
        }
        if (type == F_DR_TA_1 && CS101_ASDU_isSequence(asdu) && i == n - 1) {
            /*
             * lib60870 2.3.4 cannot read the last entry of an SQ = 1 F_DR_TA_1: its size check
             * counts the address twice, refuses the entry, and CS101_ASDU_getElement then sets
             * the address of the refused (NULL) object and crashes. So that entry is read from
             * a copy with as many zero octets appended as an address has, and marked padded=1.
             */
            memcpy(padded_bytes, asdu_bytes, (size_t) len);
            memset(padded_bytes + len, 0, (size_t) params->sizeOfIOA);
            CS101_ASDU padded = CS101_ASDU_createFromBuffer(params, padded_bytes,
                                                            len + params->sizeOfIOA);
            io = padded ? CS101_ASDU_getElement(padded, i) : NULL;
            if (io != NULL) {
                put_object(o, type, io);
                put(o, ",padded=1");
                InformationObject_destroy(io);
            }
            if (padded != NULL)
                CS101_ASDU_destroy(padded);
            if (io == NULL) {
                o->len = 0;
                put(o, "error element %d", i);
            }
            break;
        }
        io = CS101_ASDU_getElement(asdu, i);
        if (io == NULL) {
            o->len = 0;
            put(o, "error element %d", i);
            break;
        }
        bool known = put_object(o, type, io);
        InformationObject_destroy(io);
        if (!known) {
            o->len = 0;
            put(o, "error unrendered-type %d", (int) type);
            break;
        }
    }
    CS101_ASDU_destroy(asdu);
}

static int size_option(const char *name, const char *value, int max)
{
    char *end = NULL;
    long v = value ? strtol(value, &end, 10) : 0;
    if (value == NULL || *end != '\0' || v < 1 || v > max) {
        fprintf(stderr, "asdu_dump: --%s takes 1 to %d\n", name, max);
        exit(2);
    }
    return (int) v;
}

int main(int argc, char **argv)
{
    struct sCS101_AppLayerParameters params = {
        .sizeOfTypeId = 1,
        .sizeOfVSQ = 1,
        .sizeOfCOT = 2,
        .originatorAddress = 0,
        .sizeOfCA = 2,
        .sizeOfIOA = 3,
        .maxSizeOfASDU = 255,
    };
    for (int i = 1; i < argc; i += 2) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--cot-size") == 0)
            params.sizeOfCOT = size_option("cot-size", value, 2);
        else if (strcmp(argv[i], "--ca-size") == 0)
            params.sizeOfCA = size_option("ca-size", value, 2);
        else if (strcmp(argv[i], "--ioa-size") == 0)
            params.sizeOfIOA = size_option("ioa-size", value, 3);
        else {
            fprintf(stderr,
                    "usage: asdu_dump [--cot-size 1|2] [--ca-size 1|2] [--ioa-size 1|2|3]\n");
            return 2;
        }
    }
    static char line[MAX_LINE];
    static struct out o;
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t l = strlen(line);
        while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r' || line[l - 1] == ' '))
            line[--l] = '\0';
        if (l == 0)
            continue;
        o.len = 0;
        dump(&o, &params, line);
        fwrite(o.buf, 1, o.len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    return 0;
}
