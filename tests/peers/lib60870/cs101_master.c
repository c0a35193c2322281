/*
 * cs101_master: an IEC 60870-5-101 controlling station on lib60870-C for fieldbridge's tests.
 * Once the link to a station is up it sends an interrogation (C_IC_NA_1, QOI 20), a clock
 * synchronisation (C_CS_NA_1) and a single command with select before operate (C_SC_NA_1,
 * select, then execute once the select is confirmed), and prints every ASDU it receives as one
 * line. Command line and output lines: README.md.
 *
 * Everything runs on one thread: CS101_Master_run (which waits up to 10 ms for a byte), the
 * class 2 polls of unbalanced mode, and the next step of each station when its channel is free.
 */
#define _GNU_SOURCE
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal_serial.h" /* before cs101_master.h, which uses SerialPort */
#include "cs101_master.h"
#include "hal_time.h"

enum step {
    STEP_WAIT_LINK,
    STEP_INTERROGATION,
    STEP_CLOCK_SYNC,
    STEP_SELECT,
    STEP_WAIT_SELECT,
    STEP_EXECUTE,
    STEP_DONE,
};

struct station {
    int link;
    int ca;
    bool available;
    enum step step;
    bool interrogation_done;
    bool clock_sync_done;
    bool command_done;
    bool complete_reported;
    uint64_t next_poll;
};

struct master_options {
    struct peer_options common;
    int own_address;
    int poll_ms;
    bool interrogation;
    bool clock_sync;
    bool command;
    bool direct_execute;
    int command_ioa;
    int command_value;
    int count;
    bool exit_when_complete;
};

static struct master_options o;
static struct station stations[PEER_MAX_STATIONS];
static int station_count;
static CS101_Master master;
static int received;

static void usage(void)
{
    fprintf(stderr,
            "usage: cs101_master --device PATH [--mode unbalanced|balanced]\n"
            "         [--link-address A[,B...]] [--ca CA[,CA...]] [--own-address N]\n"
            "         [--link-address-size 0|1|2] [--cot-size 1|2] [--ca-size 1|2] [--ioa-size 1|2|3]\n"
            "         [--originator N] [--baud N] [--single-char-ack 0|1] [--poll-ms MS]\n"
            "         [--no-interrogation] [--no-clock-sync] [--no-command]\n"
            "         [--command-ioa IOA] [--command-value 0|1] [--direct-execute]\n"
            "         [--duration-ms MS] [--count N] [--exit-when-complete] [--raw]\n");
    exit(2);
}

static struct station *station_for(int address)
{
    /* Balanced mode: lib60870 hands every ASDU over with address 0; there is one station. */
    if (o.common.balanced)
        return &stations[0];
    for (int i = 0; i < station_count; i++)
        if (stations[i].link == address)
            return &stations[i];
    return NULL;
}

static void check_complete(struct station *s)
{
    if (s->complete_reported)
        return;
    if ((!o.interrogation || s->interrogation_done) && (!o.clock_sync || s->clock_sync_done) &&
        (!o.command || s->command_done)) {
        s->complete_reported = true;
        peer_emit("complete link=%d", s->link);
    }
}

static bool all_complete(void)
{
    for (int i = 0; i < station_count; i++)
        if (!stations[i].complete_reported)
            return false;
    return true;
}

static bool asdu_received(void *parameter, int address, CS101_ASDU asdu)
{
    (void) parameter;
    struct station *s = station_for(address);
    char line[2048];
    peer_format_asdu(line, sizeof line, "asdu", s ? s->link : address, asdu);
    peer_emit("%s", line);
    received++;
    if (s == NULL)
        return true;

    TypeID type = CS101_ASDU_getTypeID(asdu);
    int cot = CS101_ASDU_getCOT(asdu);
    bool negative = CS101_ASDU_isNegative(asdu);
    if (type == C_IC_NA_1 && (cot == CS101_COT_ACTIVATION_TERMINATION || negative))
        s->interrogation_done = true;
    else if (type == C_CS_NA_1 && cot == CS101_COT_ACTIVATION_CON)
        s->clock_sync_done = true;
    else if (type == C_SC_NA_1) {
        if (negative || cot == CS101_COT_ACTIVATION_TERMINATION)
            s->command_done = true;
        else if (cot == CS101_COT_ACTIVATION_CON && s->step == STEP_WAIT_SELECT)
            s->step = STEP_EXECUTE;
    }
    if (negative && type == C_SC_NA_1)
        s->step = STEP_DONE;
    check_complete(s);
    return true;
}

static void link_state_changed(void *parameter, int address, LinkLayerState state)
{
    (void) parameter;
    struct station *s = station_for(address);
    peer_emit("link link=%d state=%s", s ? s->link : address, peer_link_state_name(state));
    if (s)
        s->available = state == LL_STATE_AVAILABLE;
}

static void send_asdu(struct station *s, CS101_ASDU asdu)
{
    char line[2048];
    peer_format_asdu(line, sizeof line, "sent", s->link, asdu);
    peer_emit("%s", line);
    CS101_Master_useSlaveAddress(master, o.common.balanced ? o.common.link_addresses[0] : s->link);
    CS101_Master_sendASDU(master, asdu);
}

static CS101_ASDU new_command(struct station *s)
{
    return CS101_ASDU_create(CS101_Master_getAppLayerParameters(master), false,
                             CS101_COT_ACTIVATION, o.common.originator, s->ca, false, false);
}

static void send_single(struct station *s, InformationObject io)
{
    CS101_ASDU asdu = new_command(s);
    CS101_ASDU_addInformationObject(asdu, io);
    InformationObject_destroy(io);
    send_asdu(s, asdu);
    CS101_ASDU_destroy(asdu);
}

/* The next step of S, when its link is up and (unbalanced) its channel is free. */
static void advance(struct station *s)
{
    if (!s->available)
        return;
    if (!o.common.balanced && !CS101_Master_isChannelReady(master, s->link))
        return;
    switch (s->step) {
    case STEP_WAIT_LINK:
        s->step = STEP_INTERROGATION;
        /* fall through */
    case STEP_INTERROGATION:
        s->step = STEP_CLOCK_SYNC;
        if (o.interrogation) {
            send_single(s, (InformationObject) InterrogationCommand_create(NULL, 0, 20));
            break;
        }
        /* fall through */
    case STEP_CLOCK_SYNC:
        s->step = STEP_SELECT;
        if (o.clock_sync) {
            struct sCP56Time2a now;
            CP56Time2a_createFromMsTimestamp(&now, Hal_getTimeInMs());
            send_single(s, (InformationObject) ClockSynchronizationCommand_create(NULL, 0, &now));
            break;
        }
        /* fall through */
    case STEP_SELECT:
        if (o.command && o.direct_execute) {
            s->step = STEP_DONE;
            send_single(s, (InformationObject) SingleCommand_create(NULL, o.command_ioa,
                                                                    o.command_value == 1, false, 0));
        }
        else if (o.command) {
            s->step = STEP_WAIT_SELECT;
            send_single(s, (InformationObject) SingleCommand_create(NULL, o.command_ioa,
                                                                    o.command_value == 1, true, 0));
        }
        else
            s->step = STEP_DONE;
        break;
    case STEP_EXECUTE:
        s->step = STEP_DONE;
        send_single(s, (InformationObject) SingleCommand_create(NULL, o.command_ioa,
                                                                o.command_value == 1, false, 0));
        break;
    case STEP_WAIT_SELECT:
    case STEP_DONE:
        break;
    }
}

int main(int argc, char **argv)
{
    peer_options_init(&o.common);
    o.own_address = 0;
    o.poll_ms = 100;
    o.interrogation = o.clock_sync = o.command = true;
    o.command_ioa = 300;
    o.command_value = 1;
    o.count = 0;
    o.common.duration_ms = 10000;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "--help") == 0)
            usage();
        const char *name = arg + 2;
        if (strcmp(name, "raw") == 0)
            o.common.raw = true;
        else if (strcmp(name, "no-interrogation") == 0)
            o.interrogation = false;
        else if (strcmp(name, "no-clock-sync") == 0)
            o.clock_sync = false;
        else if (strcmp(name, "no-command") == 0)
            o.command = false;
        else if (strcmp(name, "direct-execute") == 0)
            o.direct_execute = true;
        else if (strcmp(name, "exit-when-complete") == 0)
            o.exit_when_complete = true;
        else {
            if (i + 1 >= argc)
                usage();
            const char *value = argv[++i];
            if (peer_option(&o.common, name, value))
                continue;
            if (strcmp(name, "own-address") == 0)
                o.own_address = peer_parse_int(name, value, 0, 65535);
            else if (strcmp(name, "poll-ms") == 0)
                o.poll_ms = peer_parse_int(name, value, 1, 3600000);
            else if (strcmp(name, "command-ioa") == 0)
                o.command_ioa = peer_parse_int(name, value, 0, 16777215);
            else if (strcmp(name, "command-value") == 0)
                o.command_value = peer_parse_int(name, value, 0, 1);
            else if (strcmp(name, "count") == 0)
                o.count = peer_parse_int(name, value, 0, 100000000);
            else {
                fprintf(stderr, "cs101_master: unknown option --%s\n", name);
                usage();
            }
        }
    }
    peer_options_check(&o.common, "cs101_master");
    peer_install_signals();

    struct sLinkLayerParameters ll;
    struct sCS101_AppLayerParameters al;
    peer_link_parameters(&o.common, &ll);
    peer_app_parameters(&o.common, &al);
    SerialPort port = SerialPort_create(o.common.device, o.common.baud, 8, 'E', 1);
    master = CS101_Master_create(port, &ll, &al,
                                 o.common.balanced ? IEC60870_LINK_LAYER_BALANCED
                                                   : IEC60870_LINK_LAYER_UNBALANCED);
    station_count = o.common.station_count;
    for (int i = 0; i < station_count; i++) {
        memset(&stations[i], 0, sizeof stations[i]);
        stations[i].link = o.common.link_addresses[i];
        stations[i].ca = peer_common_address(&o.common, i);
        stations[i].step = STEP_WAIT_LINK;
        if (!o.common.balanced)
            CS101_Master_addSlave(master, stations[i].link);
    }
    if (o.common.balanced) {
        CS101_Master_setOwnAddress(master, o.own_address);
        CS101_Master_useSlaveAddress(master, stations[0].link);
    }
    CS101_Master_setASDUReceivedHandler(master, asdu_received, NULL);
    CS101_Master_setLinkLayerStateChanged(master, link_state_changed, NULL);
    static int raw_link = -1;
    if (o.common.raw)
        CS101_Master_setRawMessageHandler(master, peer_raw_message, &raw_link);
    if (!SerialPort_open(port)) {
        fprintf(stderr, "cs101_master: cannot open %s\n", o.common.device);
        return 1;
    }
    for (int i = 0; i < station_count; i++)
        peer_emit("ready link=%d ca=%d mode=%s device=%s", stations[i].link, stations[i].ca,
                  o.common.balanced ? "balanced" : "unbalanced", o.common.device);

    uint64_t start = peer_now_ms();
    while (!peer_stop) {
        uint64_t now = peer_now_ms();
        if (o.common.duration_ms > 0 && now - start >= (uint64_t) o.common.duration_ms)
            break;
        if (o.count > 0 && received >= o.count)
            break;
        if (o.exit_when_complete && all_complete())
            break;
        CS101_Master_run(master);
        for (int i = 0; i < station_count; i++) {
            struct station *s = &stations[i];
            advance(s);
            if (!o.common.balanced && s->available && peer_now_ms() >= s->next_poll &&
                CS101_Master_isChannelReady(master, s->link)) {
                CS101_Master_pollSingleSlave(master, s->link);
                s->next_poll = peer_now_ms() + (uint64_t) o.poll_ms;
            }
        }
    }
    CS101_Master_destroy(master);
    SerialPort_close(port);
    SerialPort_destroy(port);
    peer_emit("exit received=%d", received);
    return 0;
}
