/*
 * cs101_slave: an IEC 60870-5-101 controlled station on lib60870-C, serving a fixed small data
 * set for fieldbridge's tests. Command line, data set and output lines: README.md.
 *
 * One process serves one or more link addresses on one serial device. Each address is its own
 * lib60870 CS101_Slave on its own pseudo-terminal and thread; the main thread relays the device
 * to every pseudo-terminal and each pseudo-terminal back to the device, so that several
 * addresses share one line as on a multi-drop bus (unbalanced mode). The main thread also emits
 * the spontaneous data and ends the run.
 */
#define _GNU_SOURCE
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cs101_slave.h"
#include "hal_serial.h"
#include "hal_time.h"

/* The data set (README.md, "Data set"). */
#define SP_FIRST_IOA 100
#define SP_COUNT 3
#define ME_FIRST_IOA 200
#define ME_COUNT 3
#define COMMAND_IOA 300
#define FEEDBACK_IOA 102 /* the single point that follows the command at COMMAND_IOA */
#define SPONT_FLOAT_IOA 200
#define SPONT_POINT_IOA 101

static const bool initial_points[SP_COUNT] = {true, false, false};
static const float initial_floats[ME_COUNT] = {12.5f, -3.25f, 1000.0f};

struct slave_options {
    struct peer_options common;
    int spontaneous_ms;
    int spontaneous_count;
    int spontaneous_class;
    int select_timeout_ms;
    int idle_timeout_ms;
    /* --mute LINK:FROM_MS:FOR_MS: that station is cut off the line for a while */
    int mute_link;
    int mute_from_ms;
    int mute_for_ms;
};

struct station {
    int link; /* link address; stays at this address for the raw-frame handler */
    int ca;
    const struct slave_options *options;
    CS101_Slave slave;
    SerialPort port;
    int pty_master;
    int pty_slave;
    char pty_name[128];
    struct sCS101_SlavePlugin plugin;

    pthread_mutex_t lock; /* guards everything below */
    bool points[SP_COUNT];
    float floats[ME_COUNT];
    bool available;
    bool selected;
    bool selected_value;
    uint64_t selected_at;
};

static struct station stations[PEER_MAX_STATIONS];
static int station_count;

static void usage(void)
{
    fprintf(stderr,
            "usage: cs101_slave --device PATH [--mode unbalanced|balanced]\n"
            "         [--link-address A[,B...]] [--ca CA[,CA...]] [--other-address N]\n"
            "         [--link-address-size 0|1|2] [--cot-size 1|2] [--ca-size 1|2] [--ioa-size 1|2|3]\n"
            "         [--originator N] [--baud N] [--single-char-ack 0|1]\n"
            "         [--spontaneous-ms MS] [--spontaneous-count N] [--spontaneous-class 1|2]\n"
            "         [--select-timeout-ms MS] [--idle-timeout-ms MS] [--duration-ms MS] [--raw]\n"
            "         [--mute LINK:FROM_MS:FOR_MS]\n");
    exit(2);
}

static bool broadcast_ca(const struct station *s, int ca)
{
    return ca == (s->options->common.ca_size == 2 ? 65535 : 255);
}

/* Prints SENT and queues ASDU in class 1 (or CLASS). */
static void enqueue(struct station *s, CS101_ASDU asdu, int class_number)
{
    char line[2048];
    peer_format_asdu(line, sizeof line, "sent", s->link, asdu);
    peer_emit("%s", line);
    if (class_number == 2)
        CS101_Slave_enqueueUserDataClass2(s->slave, asdu);
    else
        CS101_Slave_enqueueUserDataClass1(s->slave, asdu);
}

/* Sends the received ASDU back with COT and P/N set, as lib60870's IMasterConnection does. */
static void reply(struct station *s, CS101_ASDU asdu, CS101_CauseOfTransmission cot, bool negative)
{
    CS101_ASDU_setCOT(asdu, cot);
    CS101_ASDU_setNegative(asdu, negative);
    enqueue(s, asdu, 1);
}

static CS101_ASDU new_asdu(struct station *s, bool sequence, CS101_CauseOfTransmission cot)
{
    CS101_AppLayerParameters al = CS101_Slave_getAppLayerParameters(s->slave);
    return CS101_ASDU_create(al, sequence, cot, s->options->common.originator, s->ca, false, false);
}

static void fill_cp56_now(struct sCP56Time2a *t)
{
    CP56Time2a_createFromMsTimestamp(t, Hal_getTimeInMs());
}

/* --- handlers (run on the station's lib60870 thread) ------------------------------------- */

static CS101_SlavePlugin_Result print_received(void *parameter, IMasterConnection connection,
                                               CS101_ASDU asdu)
{
    (void) connection;
    struct station *s = parameter;
    char line[2048];
    peer_format_asdu(line, sizeof line, "asdu", s->link, asdu);
    peer_emit("%s", line);
    return CS101_PLUGIN_RESULT_NOT_HANDLED;
}

static void plugin_task(void *parameter, IMasterConnection connection)
{
    (void) parameter;
    (void) connection;
}

static void link_state_changed(void *parameter, int address, LinkLayerState state)
{
    struct station *s = parameter;
    (void) address;
    pthread_mutex_lock(&s->lock);
    s->available = state == LL_STATE_AVAILABLE;
    pthread_mutex_unlock(&s->lock);
    peer_emit("link link=%d state=%s", s->link, peer_link_state_name(state));
}

static void reset_cu(void *parameter)
{
    struct station *s = parameter;
    peer_emit("reset-cu link=%d", s->link);
}

static bool interrogation(void *parameter, IMasterConnection connection, CS101_ASDU asdu,
                          uint8_t qoi)
{
    (void) connection;
    struct station *s = parameter;
    int ca = CS101_ASDU_getCA(asdu);
    if (ca != s->ca && !broadcast_ca(s, ca)) {
        peer_emit("interrogation link=%d ca=%d qoi=%d result=rejected-ca", s->link, ca, qoi);
        reply(s, asdu, CS101_COT_UNKNOWN_CA, true);
        return true;
    }
    if (CS101_ASDU_getCOT(asdu) == CS101_COT_DEACTIVATION) {
        peer_emit("interrogation link=%d ca=%d qoi=%d result=deactivated", s->link, ca, qoi);
        reply(s, asdu, CS101_COT_DEACTIVATION_CON, false);
        return true;
    }
    if (qoi != 20) {
        peer_emit("interrogation link=%d ca=%d qoi=%d result=rejected-qoi", s->link, ca, qoi);
        reply(s, asdu, CS101_COT_ACTIVATION_CON, true);
        return true;
    }
    peer_emit("interrogation link=%d ca=%d qoi=%d result=confirmed", s->link, ca, qoi);
    reply(s, asdu, CS101_COT_ACTIVATION_CON, false);

    bool points[SP_COUNT];
    float floats[ME_COUNT];
    pthread_mutex_lock(&s->lock);
    memcpy(points, s->points, sizeof points);
    memcpy(floats, s->floats, sizeof floats);
    pthread_mutex_unlock(&s->lock);

    CS101_ASDU singles = new_asdu(s, false, CS101_COT_INTERROGATED_BY_STATION);
    for (int i = 0; i < SP_COUNT; i++) {
        InformationObject io = (InformationObject) SinglePointInformation_create(
            NULL, SP_FIRST_IOA + i, points[i], IEC60870_QUALITY_GOOD);
        CS101_ASDU_addInformationObject(singles, io);
        InformationObject_destroy(io);
    }
    enqueue(s, singles, 1);
    CS101_ASDU_destroy(singles);

    CS101_ASDU measured = new_asdu(s, true, CS101_COT_INTERROGATED_BY_STATION);
    for (int i = 0; i < ME_COUNT; i++) {
        InformationObject io = (InformationObject) MeasuredValueShort_create(
            NULL, ME_FIRST_IOA + i, floats[i], IEC60870_QUALITY_GOOD);
        CS101_ASDU_addInformationObject(measured, io);
        InformationObject_destroy(io);
    }
    enqueue(s, measured, 1);
    CS101_ASDU_destroy(measured);

    reply(s, asdu, CS101_COT_ACTIVATION_TERMINATION, false);
    return true;
}

static bool clock_sync(void *parameter, IMasterConnection connection, CS101_ASDU asdu,
                       CP56Time2a time)
{
    (void) connection;
    struct station *s = parameter;
    char text[64];
    size_t len = 0;
    int ca = CS101_ASDU_getCA(asdu);
    text[0] = '\0';
    peer_format_cp56(text, sizeof text, &len, time);
    bool ok = ca == s->ca || broadcast_ca(s, ca);
    peer_emit("clock-sync link=%d ca=%d time=%s result=%s", s->link, ca, text,
              ok ? "confirmed" : "rejected-ca");
    /* lib60870 sends the ACTCON (COT 7) itself when this returns true, keeping P/N. */
    CS101_ASDU_setNegative(asdu, !ok);
    {
        char line[2048];
        CS101_ASDU_setCOT(asdu, CS101_COT_ACTIVATION_CON);
        peer_format_asdu(line, sizeof line, "sent", s->link, asdu);
        peer_emit("%s", line);
    }
    return true;
}

/* C_SC_NA_1 with select-before-operate; other types are left to lib60870 (COT 44, P/N = 1). */
static bool asdu_handler(void *parameter, IMasterConnection connection, CS101_ASDU asdu)
{
    (void) connection;
    struct station *s = parameter;
    if (CS101_ASDU_getTypeID(asdu) != C_SC_NA_1)
        return false;
    int ca = CS101_ASDU_getCA(asdu);
    CS101_CauseOfTransmission cot = CS101_ASDU_getCOT(asdu);
    InformationObject io = CS101_ASDU_getElement(asdu, 0);
    if (io == NULL)
        return false;
    SingleCommand command = (SingleCommand) io;
    int ioa = InformationObject_getObjectAddress(io);
    bool value = SingleCommand_getState(command);
    bool select = SingleCommand_isSelect(command);
    int qu = SingleCommand_getQU(command);
    InformationObject_destroy(io);
    enum { SELECT, EXECUTE, NOT_SELECTED, DESELECT, BAD_CA, BAD_COT, BAD_IOA } action;
    static const char *const results[] = {"selected", "executed", "rejected-not-selected",
                                           "deselected", "rejected-ca", "rejected-cot",
                                           "rejected-ioa"};

    pthread_mutex_lock(&s->lock);
    if (ca != s->ca)
        action = BAD_CA;
    else if (cot != CS101_COT_ACTIVATION && cot != CS101_COT_DEACTIVATION)
        action = BAD_COT;
    else if (ioa != COMMAND_IOA)
        action = BAD_IOA;
    else if (cot == CS101_COT_DEACTIVATION) {
        action = DESELECT;
        s->selected = false;
    }
    else if (select) {
        action = SELECT;
        s->selected = true;
        s->selected_value = value;
        s->selected_at = peer_now_ms();
    }
    else {
        bool armed = s->selected && s->selected_value == value &&
                     peer_now_ms() - s->selected_at <= (uint64_t) s->options->select_timeout_ms;
        s->selected = false;
        action = armed ? EXECUTE : NOT_SELECTED;
        if (armed)
            s->points[FEEDBACK_IOA - SP_FIRST_IOA] = value;
    }
    pthread_mutex_unlock(&s->lock);
    peer_emit("command link=%d ca=%d ioa=%d value=%d select=%d qu=%d result=%s", s->link, ca, ioa,
              value ? 1 : 0, select ? 1 : 0, qu, results[action]);

    switch (action) {
    case BAD_CA:
        reply(s, asdu, CS101_COT_UNKNOWN_CA, true);
        break;
    case BAD_COT:
        reply(s, asdu, CS101_COT_UNKNOWN_COT, true);
        break;
    case BAD_IOA:
        reply(s, asdu, CS101_COT_UNKNOWN_IOA, true);
        break;
    case DESELECT:
        reply(s, asdu, CS101_COT_DEACTIVATION_CON, false);
        break;
    case SELECT:
        reply(s, asdu, CS101_COT_ACTIVATION_CON, false);
        break;
    case NOT_SELECTED:
        reply(s, asdu, CS101_COT_ACTIVATION_CON, true);
        break;
    case EXECUTE: {
        reply(s, asdu, CS101_COT_ACTIVATION_CON, false);
        CS101_ASDU feedback = new_asdu(s, false, CS101_COT_RETURN_INFO_REMOTE);
        struct sCP56Time2a now;
        fill_cp56_now(&now);
        InformationObject point = (InformationObject) SinglePointWithCP56Time2a_create(
            NULL, FEEDBACK_IOA, value, IEC60870_QUALITY_GOOD, &now);
        CS101_ASDU_addInformationObject(feedback, point);
        InformationObject_destroy(point);
        enqueue(s, feedback, 1);
        CS101_ASDU_destroy(feedback);
        reply(s, asdu, CS101_COT_ACTIVATION_TERMINATION, false);
        break;
    }
    }
    return true;
}

/* --- spontaneous data (main thread) ------------------------------------------------------ */

static void spontaneous(struct station *s, int k)
{
    float value = initial_floats[0] + (float) k;
    bool point = (k % 2) == 1;
    pthread_mutex_lock(&s->lock);
    bool available = s->available;
    if (available) {
        s->floats[SPONT_FLOAT_IOA - ME_FIRST_IOA] = value;
        s->points[SPONT_POINT_IOA - SP_FIRST_IOA] = point;
    }
    pthread_mutex_unlock(&s->lock);
    if (!available)
        return;
    struct sCP56Time2a now;
    fill_cp56_now(&now);

    CS101_ASDU asdu = new_asdu(s, false, CS101_COT_SPONTANEOUS);
    InformationObject io = (InformationObject) MeasuredValueShortWithCP56Time2a_create(
        NULL, SPONT_FLOAT_IOA, value, IEC60870_QUALITY_GOOD, &now);
    CS101_ASDU_addInformationObject(asdu, io);
    InformationObject_destroy(io);
    peer_emit("spontaneous link=%d ca=%d k=%d type=%d ioa=%d value=%.9g", s->link, s->ca, k,
              (int) M_ME_TF_1, SPONT_FLOAT_IOA, (double) value);
    enqueue(s, asdu, s->options->spontaneous_class);
    CS101_ASDU_destroy(asdu);

    asdu = new_asdu(s, false, CS101_COT_SPONTANEOUS);
    io = (InformationObject) SinglePointWithCP56Time2a_create(NULL, SPONT_POINT_IOA, point,
                                                               IEC60870_QUALITY_GOOD, &now);
    CS101_ASDU_addInformationObject(asdu, io);
    InformationObject_destroy(io);
    peer_emit("spontaneous link=%d ca=%d k=%d type=%d ioa=%d value=%d", s->link, s->ca, k,
              (int) M_SP_TB_1, SPONT_POINT_IOA, point ? 1 : 0);
    enqueue(s, asdu, s->options->spontaneous_class);
    CS101_ASDU_destroy(asdu);
}

/* --- the line and the relay -------------------------------------------------------------- */

static speed_t baud_constant(int baud)
{
    switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    default: return B9600;
    }
}

static int open_device(const char *path, int baud)
{
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        fprintf(stderr, "cs101_slave: cannot open %s: %s\n", path, strerror(errno));
        exit(1);
    }
    struct termios tios;
    if (tcgetattr(fd, &tios) == 0) {
        cfmakeraw(&tios);
        cfsetispeed(&tios, baud_constant(baud));
        cfsetospeed(&tios, baud_constant(baud));
        tios.c_cflag |= CREAD | CLOCAL;
        tcsetattr(fd, TCSANOW, &tios);
    }
    return fd;
}

static void write_all(int fd, const uint8_t *data, ssize_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, (size_t) size);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                struct pollfd p = {fd, POLLOUT, 0};
                poll(&p, 1, 10);
                continue;
            }
            return;
        }
        data += n;
        size -= n;
    }
}

static void open_station_pty(struct station *s)
{
    struct termios tios;
    if (openpty(&s->pty_master, &s->pty_slave, s->pty_name, NULL, NULL) != 0) {
        fprintf(stderr, "cs101_slave: openpty: %s\n", strerror(errno));
        exit(1);
    }
    if (tcgetattr(s->pty_slave, &tios) == 0) {
        cfmakeraw(&tios);
        tcsetattr(s->pty_slave, TCSANOW, &tios);
    }
    fcntl(s->pty_master, F_SETFL, fcntl(s->pty_master, F_GETFL) | O_NONBLOCK);
}

static void create_station(struct station *s, const struct slave_options *o, int index)
{
    const struct peer_options *c = &o->common;
    struct sLinkLayerParameters ll;
    struct sCS101_AppLayerParameters al;
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    s->options = o;
    s->link = c->link_addresses[index];
    s->ca = peer_common_address(c, index);
    memcpy(s->points, initial_points, sizeof s->points);
    memcpy(s->floats, initial_floats, sizeof s->floats);
    open_station_pty(s);

    peer_link_parameters(c, &ll);
    peer_app_parameters(c, &al);
    s->port = SerialPort_create(s->pty_name, c->baud, 8, 'E', 1);
    s->slave = CS101_Slave_create(s->port, &ll, &al,
                                  c->balanced ? IEC60870_LINK_LAYER_BALANCED
                                              : IEC60870_LINK_LAYER_UNBALANCED);
    CS101_Slave_setLinkLayerAddress(s->slave, s->link);
    if (c->balanced)
        CS101_Slave_setLinkLayerAddressOtherStation(s->slave,
                                                    c->other_address >= 0 ? c->other_address : 0);
    CS101_Slave_setIdleTimeout(s->slave, o->idle_timeout_ms);
    s->plugin.handleAsdu = print_received;
    s->plugin.runTask = plugin_task;
    s->plugin.parameter = s;
    CS101_Slave_addPlugin(s->slave, &s->plugin);
    CS101_Slave_setLinkLayerStateChanged(s->slave, link_state_changed, s);
    CS101_Slave_setResetCUHandler(s->slave, reset_cu, s);
    CS101_Slave_setInterrogationHandler(s->slave, interrogation, s);
    CS101_Slave_setClockSyncHandler(s->slave, clock_sync, s);
    CS101_Slave_setASDUHandler(s->slave, asdu_handler, s);
    if (c->raw)
        CS101_Slave_setRawMessageHandler(s->slave, peer_raw_message, &s->link);
    if (!SerialPort_open(s->port)) {
        fprintf(stderr, "cs101_slave: lib60870 cannot open %s\n", s->pty_name);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    struct slave_options o;
    peer_options_init(&o.common);
    o.spontaneous_ms = 1000;
    o.spontaneous_count = 0;
    o.spontaneous_class = 1;
    o.select_timeout_ms = 10000;
    o.idle_timeout_ms = 5000;
    o.mute_link = -1;
    o.mute_from_ms = 0;
    o.mute_for_ms = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "--help") == 0)
            usage();
        const char *name = arg + 2;
        if (strcmp(name, "raw") == 0) {
            o.common.raw = true;
            continue;
        }
        if (i + 1 >= argc)
            usage();
        const char *value = argv[++i];
        if (peer_option(&o.common, name, value))
            continue;
        if (strcmp(name, "spontaneous-ms") == 0)
            o.spontaneous_ms = peer_parse_int(name, value, 0, 3600000);
        else if (strcmp(name, "spontaneous-count") == 0)
            o.spontaneous_count = peer_parse_int(name, value, 0, 1000000);
        else if (strcmp(name, "spontaneous-class") == 0)
            o.spontaneous_class = peer_parse_int(name, value, 1, 2);
        else if (strcmp(name, "select-timeout-ms") == 0)
            o.select_timeout_ms = peer_parse_int(name, value, 0, 3600000);
        else if (strcmp(name, "idle-timeout-ms") == 0)
            o.idle_timeout_ms = peer_parse_int(name, value, 1, 3600000);
        else if (strcmp(name, "mute") == 0) {
            if (sscanf(value, "%d:%d:%d", &o.mute_link, &o.mute_from_ms, &o.mute_for_ms) != 3 ||
                o.mute_link < 0 || o.mute_from_ms < 0 || o.mute_for_ms < 0) {
                fprintf(stderr, "cs101_slave: --mute takes LINK:FROM_MS:FOR_MS\n");
                usage();
            }
        }
        else {
            fprintf(stderr, "cs101_slave: unknown option --%s\n", name);
            usage();
        }
    }
    peer_options_check(&o.common, "cs101_slave");
    peer_install_signals();

    int device = open_device(o.common.device, o.common.baud);
    station_count = o.common.station_count;
    for (int i = 0; i < station_count; i++)
        create_station(&stations[i], &o, i);
    for (int i = 0; i < station_count; i++) {
        CS101_Slave_start(stations[i].slave);
        peer_emit("ready link=%d ca=%d mode=%s device=%s", stations[i].link, stations[i].ca,
                  o.common.balanced ? "balanced" : "unbalanced", o.common.device);
    }

    uint64_t start = peer_now_ms();
    uint64_t next_spontaneous = start + (uint64_t) o.spontaneous_ms;
    int spontaneous_sent = 0;
    bool muted = false;
    uint8_t buffer[512];
    struct pollfd fds[PEER_MAX_STATIONS + 1];

    while (!peer_stop) {
        uint64_t now = peer_now_ms();
        if (o.common.duration_ms > 0 && now - start >= (uint64_t) o.common.duration_ms)
            break;
        if (o.spontaneous_ms > 0 && now >= next_spontaneous &&
            (o.spontaneous_count == 0 || spontaneous_sent < o.spontaneous_count)) {
            spontaneous_sent++;
            for (int i = 0; i < station_count; i++)
                spontaneous(&stations[i], spontaneous_sent);
            next_spontaneous = now + (uint64_t) o.spontaneous_ms;
        }

        fds[0].fd = device;
        fds[0].events = POLLIN;
        for (int i = 0; i < station_count; i++) {
            fds[i + 1].fd = stations[i].pty_master;
            fds[i + 1].events = POLLIN;
        }
        if (poll(fds, (nfds_t) station_count + 1, 10) < 0 && errno != EINTR)
            break;
        /* A muted station is cut off the line: it hears nothing and its answers are lost. */
        bool mute_now = o.mute_link >= 0 && now - start >= (uint64_t) o.mute_from_ms &&
                        now - start < (uint64_t) o.mute_from_ms + (uint64_t) o.mute_for_ms;
        if (mute_now != muted) {
            muted = mute_now;
            peer_emit("%s link=%d", muted ? "mute" : "unmute", o.mute_link);
        }
        if (fds[0].revents & POLLIN) {
            ssize_t n = read(device, buffer, sizeof buffer);
            for (int i = 0; n > 0 && i < station_count; i++)
                if (!(muted && stations[i].link == o.mute_link))
                    write_all(stations[i].pty_master, buffer, n);
        }
        for (int i = 0; i < station_count; i++) {
            if (fds[i + 1].revents & POLLIN) {
                ssize_t n = read(stations[i].pty_master, buffer, sizeof buffer);
                if (n > 0 && !(muted && stations[i].link == o.mute_link))
                    write_all(device, buffer, n);
            }
        }
    }

    for (int i = 0; i < station_count; i++) {
        CS101_Slave_stop(stations[i].slave);
        CS101_Slave_destroy(stations[i].slave);
        SerialPort_close(stations[i].port);
        SerialPort_destroy(stations[i].port);
    }
    peer_emit("exit spontaneous=%d", spontaneous_sent);
    return 0;
}
