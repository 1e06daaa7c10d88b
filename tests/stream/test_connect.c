/* test_connect.c - connections to the source: session settings (and that the
 * walsender's pgoutput text output honours them), application_name,
 * credentials as separate parameters, and how failures are classified,
 * never with the password in the message. */
#include "stream_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static pgt_cluster cl;

static char *show(PGconn *c, const char *setting)
{
    return pgt_query_value(c, "SELECT current_setting('%s')", setting);
}

static void check_session(PGconn *c)
{
    char *v;
    CHECK_STR(v = show(c, "DateStyle"), "ISO, DMY");  /* the cluster's order, ISO output */
    free(v);
    CHECK_STR(v = show(c, "TimeZone"), "UTC");
    free(v);
    CHECK_STR(v = show(c, "extra_float_digits"), "3");
    free(v);
    CHECK_STR(v = show(c, "bytea_output"), "hex");
    free(v);
    CHECK_STR(v = show(c, "IntervalStyle"), "postgres");
    free(v);
}

static void test_session_settings(void)
{
    pgcdc_source_config cfg;
    pgcdc_error e;
    PGconn *c = NULL;
    st_cfg(&cfg, &cl, "postgres", NULL, NULL);
    CHECK_INT(pgcdc_source_connect(&cfg, false, &c, &e), PGCDC_OK);
    check_session(c);
    char *v = show(c, "application_name");
    CHECK_STR(v, "pgcdc");
    free(v);
    CHECK_INT(pgcdc_server_major(c), cl.major);
    PQfinish(c);

    /* Replication connections (SQL works on replication=database). */
    CHECK_INT(pgcdc_source_connect(&cfg, true, &c, &e), PGCDC_OK);
    check_session(c);
    PGresult *r = PQexec(c, "IDENTIFY_SYSTEM");
    CHECK_INT(PQresultStatus(r), PGRES_TUPLES_OK);
    CHECK(PQntuples(r) == 1 && PQgetvalue(r, 0, 3)[0] != '\0'); /* dbname: a database connection */
    PQclear(r);
    PQfinish(c);

    /* A user's own options and application_name are kept, ours appended. */
    st_cfg_add(&cfg, "options", "-c search_path=custom");
    st_cfg_add(&cfg, "application_name", "my app");
    CHECK_INT(pgcdc_source_connect(&cfg, false, &c, &e), PGCDC_OK);
    CHECK_STR(v = show(c, "search_path"), "custom");
    free(v);
    CHECK_STR(v = show(c, "application_name"), "my app");
    free(v);
    check_session(c);
    PQfinish(c);
    st_cfg_free(&cfg);
}

/* The walsender produces pgoutput's text values under its session settings:
 * the cluster's defaults here are all different from ours. */
static void test_pgoutput_text_form(PGconn *admin)
{
    pgcdc_source_config cfg;
    pgcdc_error e;
    st_cfg(&cfg, &cl, "postgres", NULL, NULL);
    pgt_exec(admin, "CREATE TABLE vals (id int PRIMARY KEY, ts timestamptz, d date, iv interval, b bytea, f float8)");
    pgt_exec(admin, "CREATE PUBLICATION vals_pub FOR TABLE vals");
    pgt_exec(admin, "SELECT pg_create_logical_replication_slot('vals_slot', 'pgoutput')");
    pgcdc_stream_options opt = {.slot_name = "vals_slot", .publication_names = "vals_pub"};
    pgcdc_stream *s = NULL;
    pgcdc_code rc = st_open(&cfg, &opt, &s, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    if (rc != PGCDC_OK)
        return;
    pgt_exec(admin, "INSERT INTO vals VALUES (1, '2020-01-02 03:04:05.25+02', '2021-03-04', "
                    "'1 day 2 hours 3 minutes 4 seconds', '\\x0102ff', 0.1::float8 + 0.2::float8)");
    pgcdc_stream_msg m;
    rc = st_read_until(s, 'I', 10000, &m, &e);
    CHECK_MSG(rc == PGCDC_OK, "%s", e.message);
    if (rc == PGCDC_OK) {
        CHECK(st_payload_has(&m, "2020-01-02 01:04:05.25+00"));  /* UTC, ISO */
        CHECK(st_payload_has(&m, "2021-03-04"));                 /* not 04/03/2021 */
        CHECK(st_payload_has(&m, "1 day 02:03:04"));             /* postgres IntervalStyle */
        CHECK(st_payload_has(&m, "\\x0102ff"));                  /* hex bytea */
        CHECK(st_payload_has(&m, "0.30000000000000004"));        /* extra_float_digits=3, not 0.3 */
    }
    pgcdc_stream_close(s);
    st_cfg_free(&cfg);
}

static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        return 1;
    int port = ntohs(a.sin_port);
    close(fd);  /* nothing listens there now */
    return port;
}

static void test_failures(PGconn *admin)
{
    pgcdc_source_config cfg;
    pgcdc_error e;
    PGconn *c = NULL;
    const char *pw = "Tr1cky-P4ss";
    pgt_exec(admin, "CREATE ROLE app LOGIN PASSWORD '%s'", pw);
    pgt_exec(admin, "CREATE ROLE repl LOGIN REPLICATION PASSWORD '%s'", pw);

    /* Username and password as separate parameters. */
    st_cfg(&cfg, &cl, "postgres", "app", pw);
    CHECK_INT(pgcdc_source_connect(&cfg, false, &c, &e), PGCDC_OK);
    char *v = pgt_query_value(c, "SELECT current_user");
    CHECK_STR(v, "app");
    free(v);
    PQfinish(c);
    /* A role without REPLICATION may not open a replication connection. */
    CHECK_INT(pgcdc_source_connect(&cfg, true, &c, &e), PGCDC_EINVAL);
    CHECK(c == NULL);
    CHECK_NOT_CONTAINS(e.message, pw);
    st_cfg_free(&cfg);

    st_cfg(&cfg, &cl, "postgres", "repl", pw);
    CHECK_INT(pgcdc_source_connect(&cfg, true, &c, &e), PGCDC_OK);
    PQfinish(c);
    st_cfg_free(&cfg);

    /* The Username parameter overrides a user in the URL. */
    st_cfg(&cfg, &cl, "postgres", "app", pw);
    st_cfg_add(&cfg, "user", "nobody");
    CHECK_INT(pgcdc_source_connect(&cfg, false, &c, &e), PGCDC_OK);
    PQfinish(c);
    st_cfg_free(&cfg);

    /* Wrong password: a credentials problem, and the message never holds it. */
    st_cfg(&cfg, &cl, "postgres", "app", "wrong-Secret-123");
    CHECK_INT(pgcdc_source_connect(&cfg, false, &c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "password authentication failed");
    CHECK_NOT_CONTAINS(e.message, "wrong-Secret-123");
    st_cfg_free(&cfg);

    /* No password for a role that needs one. */
    st_cfg(&cfg, &cl, "postgres", "app", NULL);
    CHECK_INT(pgcdc_source_connect(&cfg, false, &c, &e), PGCDC_EINVAL);
    st_cfg_free(&cfg);

    /* Unknown database. */
    st_cfg(&cfg, &cl, "nosuchdb", NULL, NULL);
    CHECK_INT(pgcdc_source_connect(&cfg, false, &c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "nosuchdb");
    st_cfg_free(&cfg);

    /* Bad configuration caught by libpq. */
    st_cfg(&cfg, &cl, "postgres", NULL, NULL);
    st_cfg_add(&cfg, "sslmode", "sometimes");
    CHECK_INT(pgcdc_source_connect(&cfg, false, &c, &e), PGCDC_EINVAL);
    st_cfg_free(&cfg);

    /* Nobody listening: interim, and still no password in the message. */
    st_cfg(&cfg, &cl, "postgres", "app", pw);
    char port[16];
    snprintf(port, sizeof port, "%d", closed_port());
    free(cfg.values[1]);
    cfg.values[1] = strdup(port);
    CHECK_INT(pgcdc_source_connect(&cfg, false, &c, &e), PGCDC_ECONNECT);
    CHECK_CONTAINS(e.message, "interim");
    CHECK_NOT_CONTAINS(e.message, pw);
    st_cfg_free(&cfg);

    /* Timeout (a non-routable address) is interim too. */
    st_cfg(&cfg, &cl, "postgres", NULL, NULL);
    free(cfg.values[0]);
    cfg.values[0] = strdup("10.255.255.1");
    st_cfg_add(&cfg, "connect_timeout", "1");
    long long t0 = st_now_ms();
    CHECK_INT(pgcdc_source_connect(&cfg, false, &c, &e), PGCDC_ECONNECT);
    CHECK(st_now_ms() - t0 < 5000);
    st_cfg_free(&cfg);
}

int main(void)
{
    pgcdc_log_set_handler(st_log, NULL, PGCDC_LOG_WARN);
    pgt_cluster_start(&cl, pgt_major(),
                      "-c timezone=America/New_York -c \"datestyle='SQL, DMY'\" -c intervalstyle=sql_standard "
                      "-c bytea_output=escape -c extra_float_digits=0");
    PGconn *admin = pgt_connect(&cl, "postgres");
    /* The cluster really has other defaults (else the checks prove nothing). */
    char *v = pgt_query_value(admin, "SELECT current_setting('TimeZone') || ' ' || current_setting('DateStyle')");
    CHECK_STR(v, "America/New_York SQL, DMY");
    free(v);

    test_session_settings();
    test_pgoutput_text_form(admin);
    test_failures(admin);

    PQfinish(admin);
    pgt_cluster_stop(&cl);
    return pgt_done("connect");
}
