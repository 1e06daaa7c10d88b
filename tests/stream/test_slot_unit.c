/* test_slot_unit.c - the parts of slots and streams that need no server:
 * slot names, the continuity verdicts, proto_version per server, and the
 * password scrubbing of connection messages. */
#include "pgcdc/slot.h"
#include "pgcdc/source.h"
#include "pgcdc/stream.h"
#include "check.h"

#include <stdio.h>
#include <string.h>

static void test_names(void)
{
    CHECK(pgcdc_slot_name_valid("pgcdc_1"));
    CHECK(pgcdc_slot_name_valid("a"));
    CHECK(!pgcdc_slot_name_valid(""));
    CHECK(!pgcdc_slot_name_valid(NULL));
    CHECK(!pgcdc_slot_name_valid("Upper"));
    CHECK(!pgcdc_slot_name_valid("has-dash"));
    CHECK(!pgcdc_slot_name_valid("sp ace"));
    CHECK(!pgcdc_slot_name_valid("quo\"te"));
    char n63[64], n64[65];
    memset(n63, 'a', 63);
    n63[63] = 0;
    memset(n64, 'a', 64);
    n64[64] = 0;
    CHECK(pgcdc_slot_name_valid(n63));
    CHECK(!pgcdc_slot_name_valid(n64));

    char a[PGCDC_SLOT_NAME_MAX + 1], b[PGCDC_SLOT_NAME_MAX + 1];
    pgcdc_slot_generate_name(NULL, a);
    pgcdc_slot_generate_name(NULL, b);
    CHECK(pgcdc_slot_name_valid(a));
    CHECK(strncmp(a, "pgcdc_", 6) == 0);
    CHECK_INT(strlen(a), 6 + 16);
    CHECK(strcmp(a, b) != 0);

    pgcdc_slot_generate_name("My-App", a);
    CHECK(pgcdc_slot_name_valid(a));
    CHECK(strncmp(a, "my_app_", 7) == 0);

    char longp[200];
    memset(longp, 'X', sizeof longp - 1);
    longp[sizeof longp - 1] = 0;
    pgcdc_slot_generate_name(longp, a);
    CHECK(pgcdc_slot_name_valid(a));
    CHECK_INT(strlen(a), PGCDC_SLOT_NAME_MAX);
    CHECK(a[0] == 'x');

    pgcdc_slot_generate_name("", a);
    CHECK(strncmp(a, "pgcdc_", 6) == 0);
}

static pgcdc_slot_info slot_at(pgcdc_lsn confirmed)
{
    pgcdc_slot_info s;
    memset(&s, 0, sizeof s);
    strcpy(s.name, "s1");
    strcpy(s.plugin, "pgoutput");
    strcpy(s.database, "app");
    strcpy(s.lookup_database, "app");
    s.restart_lsn = confirmed ? confirmed - 8 : 0x100;
    s.confirmed_flush_lsn = confirmed;
    return s;
}

static void test_continuity(void)
{
    pgcdc_error e;
    pgcdc_lsn durable = 0x1000;

    /* Vanished slot while we hold a position: a gap, with what to do. */
    CHECK_INT(pgcdc_slot_check_continuity(NULL, durable, &e), PGCDC_EGAP);
    CHECK_CONTAINS(e.message, "vanished");
    CHECK_CONTAINS(e.message, "0/1000");
    CHECK_CONTAINS(e.message, "full resync");
    /* No slot and nothing replicated: just create one. */
    CHECK_INT(pgcdc_slot_check_continuity(NULL, PGCDC_INVALID_LSN, &e), PGCDC_ENOTFOUND);

    pgcdc_slot_info s = slot_at(durable);
    CHECK_INT(pgcdc_slot_check_continuity(&s, durable, &e), PGCDC_OK);
    s = slot_at(durable - 0x10);   /* behind us: the server skips up to our start */
    CHECK_INT(pgcdc_slot_check_continuity(&s, durable, &e), PGCDC_OK);
    s = slot_at(durable + 1);      /* past us: recreated or advanced elsewhere */
    CHECK_INT(pgcdc_slot_check_continuity(&s, durable, &e), PGCDC_EGAP);
    CHECK_CONTAINS(e.message, "0/1001");
    CHECK_CONTAINS(e.message, "0/1000");
    CHECK_CONTAINS(e.message, "recreated");
    /* Nothing durable yet: any position of an existing slot is fine. */
    CHECK_INT(pgcdc_slot_check_continuity(&s, PGCDC_INVALID_LSN, &e), PGCDC_OK);

    s = slot_at(durable);
    strcpy(s.plugin, "test_decoding");
    CHECK_INT(pgcdc_slot_check_continuity(&s, durable, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "test_decoding");
    s = slot_at(durable);
    strcpy(s.database, "other");
    CHECK_INT(pgcdc_slot_check_continuity(&s, durable, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "other");
    s = slot_at(durable);
    s.lost = true;
    CHECK_INT(pgcdc_slot_check_continuity(&s, durable, &e), PGCDC_EGAP);
    CHECK_CONTAINS(e.message, "invalidated");
}

static void test_proto(void)
{
    CHECK_INT(pgcdc_proto_version_for_server(9), 0);
    CHECK_INT(pgcdc_proto_version_for_server(10), 1);
    CHECK_INT(pgcdc_proto_version_for_server(13), 1);
    CHECK_INT(pgcdc_proto_version_for_server(14), 2);
    CHECK_INT(pgcdc_proto_version_for_server(15), 3);
    CHECK_INT(pgcdc_proto_version_for_server(16), 4);
    CHECK_INT(pgcdc_proto_version_for_server(18), 4);
}

static void test_scrub(void)
{
    pgcdc_source_config cfg;
    memset(&cfg, 0, sizeof cfg);
    char pw[] = "s3cret!";
    cfg.password = pw;
    char msg[128] = "FATAL: password s3cret! rejected; again s3cret!";
    pgcdc_source_scrub_secret(&cfg, msg, sizeof msg);
    CHECK_NOT_CONTAINS(msg, "s3cret");
    CHECK_STR(msg, "FATAL: password ******** rejected; again ********");

    /* A password from the URL's keywords is scrubbed too. */
    char key[] = "password", val[] = "urlpw";
    cfg.password = NULL;
    cfg.keys[0] = key;
    cfg.values[0] = val;
    cfg.nparams = 1;
    char m2[64] = "x urlpw y";
    pgcdc_source_scrub_secret(&cfg, m2, sizeof m2);
    CHECK_STR(m2, "x ******** y");

    /* No room to grow: starred in place, never left readable. */
    char m3[8] = "ab pw";
    char val2[] = "pw";
    cfg.values[0] = val2;
    pgcdc_source_scrub_secret(&cfg, m3, sizeof m3);
    CHECK_STR(m3, "ab **");
}

static void test_flatten(void)
{
    char m[128] = "connection to server at \"h\" failed: FATAL:  no\nDETAIL:  x\n\n";
    pgcdc_source_flatten_message(m);
    CHECK_STR(m, "connection to server at \"h\" failed: FATAL: no DETAIL: x");
    char e[8] = "\n \n";
    pgcdc_source_flatten_message(e);
    CHECK_STR(e, "");
}

int main(void)
{
    test_names();
    test_continuity();
    test_proto();
    test_scrub();
    test_flatten();
    return pgt_done("slot_unit");
}
