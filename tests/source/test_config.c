/* test_config.c - the PostgreSQL Source Parameters: every URL form, SSL
 * settings, malformed values, and that the password never shows up in a
 * message, a log line or describe(). No server needed. */
#include "pgcdc/source.h"
#include "pgcdc/log.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PW "s3cr3t-P@ss"
#define PW_ENC "s3cr3t-P%40ss"
#define PW_FRAG "s3cr3t" /* any part of the password leaking is a failure */

/* Every log line is kept so the tests can look for the password in it. */
static pgcdc_buf logbuf = PGCDC_BUF_INIT;
static void capture_log(void *ud, pgcdc_log_level level, const char *msg)
{
    (void)ud;
    pgcdc_buf_printf(&logbuf, "%s %s\n", pgcdc_log_level_name(level), msg);
}

static const char *get(const pgcdc_source_config *c, const char *k)
{
    const char *v = pgcdc_source_config_get(c, k);
    return v ? v : "(unset)";
}

static pgcdc_code set(pgcdc_source_config *c, const char *name, const char *value, pgcdc_error *e)
{
    pgcdc_error_clear(e);
    pgcdc_code rc = pgcdc_source_config_set(c, name, value, e);
    CHECK_NOT_CONTAINS(e->message, PW_FRAG);
    return rc;
}

/* A config with the URL set (must succeed). */
static void with_url(pgcdc_source_config *c, const char *url)
{
    pgcdc_error e;
    pgcdc_source_config_init(c);
    CHECK_INT(set(c, PGCDC_P_CONNECTION_URL, url, &e), PGCDC_OK);
    if (e.code != PGCDC_OK)
        fprintf(stderr, "  url %s: %s\n", url, e.message);
}

/* Setting url must fail with EINVAL and a message containing want (and the
 * parameter name); the password, set as a parameter, must not show. */
static void bad_url(const char *url, const char *want)
{
    pgcdc_source_config c;
    pgcdc_error e;
    pgcdc_source_config_init(&c);
    set(&c, PGCDC_P_PASSWORD, PW, &e);
    CHECK_INT(set(&c, PGCDC_P_CONNECTION_URL, url, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, want);
    CHECK_CONTAINS(e.message, PGCDC_P_CONNECTION_URL);
    CHECK_NOT_CONTAINS(e.message, PW_ENC);
    CHECK_INT(c.nparams, 0); /* nothing half-set */
    pgcdc_source_config_free(&c);
}

static void test_jdbc_forms(void)
{
    pgcdc_source_config c;

    with_url(&c, "jdbc:postgresql://db.example.com:5433/appdb");
    CHECK_STR(get(&c, "host"), "db.example.com");
    CHECK_STR(get(&c, "port"), "5433");
    CHECK_STR(get(&c, "dbname"), "appdb");
    pgcdc_source_config_free(&c);

    /* no port: JDBC's default */
    with_url(&c, "jdbc:postgresql://db.example.com/appdb");
    CHECK_STR(get(&c, "port"), "5432");
    pgcdc_source_config_free(&c);

    /* several hosts, ports per host, IPv6 in brackets */
    with_url(&c, "jdbc:postgresql://h1:5433,h2,[::1]:6000,[2001:db8::7]/appdb");
    CHECK_STR(get(&c, "host"), "h1,h2,::1,2001:db8::7");
    CHECK_STR(get(&c, "port"), "5433,5432,6000,5432");
    pgcdc_source_config_free(&c);

    /* properties mapped to libpq keywords, %-decoding, '+' as space (JDBC's URLDecoder) */
    pgcdc_buf_reset(&logbuf);
    with_url(&c, "jdbc:postgresql://db:5432/my%20db?user=cdc%40corp&password=" PW_ENC
                 "&sslmode=require&ApplicationName=my+app&connectTimeout=7"
                 "&options=-c%20search_path%3Dapp&targetServerType=primary&tcpKeepAlive=true"
                 "&currentSchema=app&loggerLevel=DEBUG&keepalives_idle=30&sslcert=&gssEncMode=disable");
    CHECK_STR(get(&c, "dbname"), "my db");
    CHECK_STR(get(&c, "user"), "cdc@corp");
    CHECK_STR(get(&c, "password"), PW);
    CHECK_STR(get(&c, "sslmode"), "require");
    CHECK_STR(get(&c, "application_name"), "my app");
    CHECK_STR(get(&c, "connect_timeout"), "7");
    CHECK_STR(get(&c, "options"), "-c search_path=app");
    CHECK_STR(get(&c, "target_session_attrs"), "read-write");
    CHECK_STR(get(&c, "keepalives"), "1");
    CHECK_STR(get(&c, "keepalives_idle"), "30"); /* a libpq keyword passes as-is */
    CHECK_STR(get(&c, "gssencmode"), "disable");
    CHECK_STR(get(&c, "sslcert"), "(unset)");    /* empty = not set */
    CHECK_STR(get(&c, "currentSchema"), "(unset)");
    CHECK_CONTAINS(logbuf.data, "currentSchema is ignored");
    CHECK_CONTAINS(logbuf.data, "loggerLevel is ignored");
    CHECK_NOT_CONTAINS(logbuf.data, PW_FRAG);
    pgcdc_source_config_free(&c);

    /* property names regardless of case; other targetServerType values */
    with_url(&c, "jdbc:postgresql://db/appdb?SSLMODE=verify_ca&targetservertype=preferSecondary"
                 "&tcpKeepAlive=false&loadBalanceHosts=true");
    CHECK_STR(get(&c, "sslmode"), "verify-ca");
    CHECK_STR(get(&c, "target_session_attrs"), "prefer-standby");
    CHECK_STR(get(&c, "keepalives"), "0");
    CHECK_STR(get(&c, "load_balance_hosts"), "random");
    pgcdc_source_config_free(&c);

    /* ssl=true means verify-full (the JDBC driver's rule) unless sslmode is given */
    with_url(&c, "jdbc:postgresql://db/appdb?ssl=true");
    CHECK_STR(get(&c, "sslmode"), "verify-full");
    pgcdc_source_config_free(&c);
    with_url(&c, "jdbc:postgresql://db/appdb?ssl=true&sslmode=require");
    CHECK_STR(get(&c, "sslmode"), "require");
    pgcdc_source_config_free(&c);
    with_url(&c, "jdbc:postgresql://db/appdb?ssl=false");
    CHECK_STR(get(&c, "sslmode"), "(unset)");
    pgcdc_source_config_free(&c);

    /* user info before the host (a convenience), a raw '@' in the password */
    with_url(&c, "jdbc:postgresql://cdc:" PW "@db:5432/appdb");
    CHECK_STR(get(&c, "user"), "cdc");
    CHECK_STR(get(&c, "password"), PW);
    CHECK_STR(get(&c, "host"), "db");
    pgcdc_source_config_free(&c);

    /* no "/database": accepted here, refused by validate */
    with_url(&c, "jdbc:postgresql://db:5432?sslmode=disable");
    CHECK_STR(get(&c, "dbname"), "(unset)");
    CHECK_STR(get(&c, "sslmode"), "disable");
    pgcdc_source_config_free(&c);

    /* the URL's form of blanks */
    with_url(&c, "  jdbc:postgresql://db/appdb \n");
    CHECK_STR(get(&c, "dbname"), "appdb");
    pgcdc_source_config_free(&c);
}

static void test_libpq_forms(void)
{
    pgcdc_source_config c;
    pgcdc_buf d = PGCDC_BUF_INIT;

    with_url(&c, "postgresql://cdc:" PW_ENC "@h1:5432,h2:5433/appdb?sslmode=require&application_name=x");
    CHECK_STR(get(&c, "host"), "h1,h2");
    CHECK_STR(get(&c, "port"), "5432,5433");
    CHECK_STR(get(&c, "dbname"), "appdb");
    CHECK_STR(get(&c, "user"), "cdc");
    CHECK_STR(get(&c, "password"), PW);
    CHECK_STR(get(&c, "sslmode"), "require");
    CHECK_STR(get(&c, "application_name"), "x");
    pgcdc_source_config_describe(&c, &d);
    CHECK_CONTAINS(d.data, "password=********");
    CHECK_NOT_CONTAINS(d.data, PW_FRAG);
    pgcdc_source_config_free(&c);

    with_url(&c, "postgres://[::1]:6543/appdb");
    CHECK_STR(get(&c, "host"), "::1");
    CHECK_STR(get(&c, "port"), "6543");
    pgcdc_source_config_free(&c);

    /* keyword string; sslmode spelt as Openflow might, normalised for libpq */
    with_url(&c, "host=db.internal port=5433 dbname='app db' user=cdc password='" PW "' sslmode=VERIFY_CA "
                 "options='-c statement_timeout=0'");
    CHECK_STR(get(&c, "host"), "db.internal");
    CHECK_STR(get(&c, "dbname"), "app db");
    CHECK_STR(get(&c, "password"), PW);
    CHECK_STR(get(&c, "sslmode"), "verify-ca");
    CHECK_STR(get(&c, "options"), "-c statement_timeout=0");
    pgcdc_buf_reset(&d);
    pgcdc_source_config_describe(&c, &d);
    CHECK_NOT_CONTAINS(d.data, PW_FRAG);
    pgcdc_source_config_free(&c);
    pgcdc_buf_free(&d);
}

static void test_sslmode_spellings(void)
{
    static const char *const in[][2] = {
        {"disable", "disable"},         {"ALLOW", "allow"},         {"Prefer", "prefer"},
        {"REQUIRE", "require"},         {"verify-ca", "verify-ca"}, {"VERIFY_CA", "verify-ca"},
        {"verify_ca", "verify-ca"},     {"VERIFY-CA", "verify-ca"}, {"verify-full", "verify-full"},
        {"VERIFY_FULL", "verify-full"}, {"verify_full", "verify-full"}, {"VERIFY-FULL", "verify-full"},
        {" Verify_Full ", "verify-full"},
    };
    pgcdc_error e;
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        pgcdc_source_config c;
        /* the parameter wins over the URL whichever is set first */
        pgcdc_source_config_init(&c);
        CHECK_INT(set(&c, PGCDC_P_SSL_MODE, in[i][0], &e), PGCDC_OK);
        CHECK_INT(set(&c, PGCDC_P_CONNECTION_URL, "jdbc:postgresql://db/appdb?sslmode=disable", &e), PGCDC_OK);
        CHECK_STR(get(&c, "sslmode"), in[i][1]);
        pgcdc_source_config_free(&c);
        with_url(&c, "postgresql://db/appdb?sslmode=allow");
        CHECK_INT(set(&c, PGCDC_P_SSL_MODE, in[i][0], &e), PGCDC_OK);
        CHECK_STR(get(&c, "sslmode"), in[i][1]);
        pgcdc_source_config_free(&c);
        CHECK_STR(pgcdc_sslmode_normalize(in[i][1]), in[i][1]);
    }
    /* clearing the parameter brings the URL's value back */
    pgcdc_source_config c;
    with_url(&c, "jdbc:postgresql://db/appdb?sslmode=require");
    CHECK_INT(set(&c, PGCDC_P_SSL_MODE, "disable", &e), PGCDC_OK);
    CHECK_STR(get(&c, "sslmode"), "disable");
    CHECK_INT(set(&c, PGCDC_P_SSL_MODE, "", &e), PGCDC_OK);
    CHECK_STR(get(&c, "sslmode"), "require");
    /* invalid: names the parameter and lists the valid ones; the old value stays */
    CHECK_INT(set(&c, PGCDC_P_SSL_MODE, "verify", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "SSL Mode \"verify\" is not valid");
    CHECK_CONTAINS(e.message, "verify-full");
    CHECK_STR(get(&c, "sslmode"), "require");
    pgcdc_source_config_free(&c);
    CHECK(pgcdc_sslmode_normalize("verifyfull") == NULL);
    CHECK(pgcdc_sslmode_normalize("") == NULL);
    bad_url("jdbc:postgresql://db/appdb?sslmode=verify-fool", "sslmode \"verify-fool\" is not valid");
    bad_url("postgresql://db/appdb?sslmode=strict", "sslmode \"strict\" is not valid");
    bad_url("jdbc:postgresql://db/appdb?ssl=maybe", "ssl must be true or false");
}

static void test_malformed(void)
{
    /* ports */
    bad_url("jdbc:postgresql://db:abc/appdb", "the port of host \"db\" is not a number");
    bad_url("jdbc:postgresql://db:70000/appdb", "port 70000 is out of range");
    bad_url("jdbc:postgresql://db:0/appdb", "port 0 is out of range");
    bad_url("jdbc:postgresql://db:/appdb", "port after \"db:\" is empty");
    bad_url("jdbc:postgresql://h1:5432,h2:99999/appdb", "port 99999 is out of range");
    bad_url("postgresql://db:70000/appdb", "port 70000 is out of range");
    bad_url("host=db port=abc dbname=x", "port is not a number");
    bad_url("host=a,b,c port=1,2 dbname=x", "names 3 hosts but 2 ports");
    /* schemes and shapes */
    bad_url("jdbc:mysql://db:3306/appdb", "\"jdbc:mysql\" is not a PostgreSQL JDBC URL");
    bad_url("jdbc:postgresql:/x", "expected \"//\" and a host");
    bad_url("jdbc:postgresql:appdb", "expected \"//\" and a host");
    bad_url("jdbc:postgresql:///appdb", "names no host");
    bad_url("jdbc:postgresql://:5432/appdb", "names no host before the port");
    bad_url("jdbc:postgresql://h1,,h2/appdb", "names no host");
    bad_url("jdbc:postgresql://::1/appdb", "IPv6 address must be in brackets");
    bad_url("jdbc:postgresql://[::1/appdb", "lacks its closing ']'");
    bad_url("jdbc:postgresql://[::1]x/appdb", "only \":port\" may follow");
    bad_url("jdbc:postgresql://db/a/b", "cannot hold '/'");
    bad_url("jdbc:postgresql://db/app%zzdb", "database name has an invalid %-escape");
    bad_url("jdbc:postgresql://db/appdb?user=a%2", "property \"user\" has an invalid %-escape");
    bad_url("mysql://db/appdb", "unknown scheme");
    bad_url("db.example.com", "neither a JDBC URL");
    bad_url("host=db garbage", "missing \"=\" after \"garbage\"");
    bad_url("host=db password='" PW, "unterminated quoted string");
    bad_url("postgresql://db:5432/appdb?nosuchoption=1", "invalid URI query parameter");
    /* JDBC properties */
    bad_url("jdbc:postgresql://db/appdb?sslmod=require", "unknown property \"sslmod\" (did you mean \"sslmode\"?)");
    bad_url("jdbc:postgresql://db/appdb?applicationName=x&fooBarBaz=1", "unknown property \"fooBarBaz\"");
    bad_url("jdbc:postgresql://db/appdb?replication=database", "remove property replication");
    bad_url("host=db dbname=x replication=database", "remove \"replication\"");
    bad_url("jdbc:postgresql://db/appdb?targetServerType=fastest", "targetServerType \"fastest\" is not valid");
    bad_url("jdbc:postgresql://db/appdb?sslrootcert=/nonexistent/root.crt", "/nonexistent/root.crt");

    /* a bad URL leaves the previous one in place */
    pgcdc_source_config c;
    pgcdc_error e;
    with_url(&c, "jdbc:postgresql://db/appdb");
    CHECK_INT(set(&c, PGCDC_P_CONNECTION_URL, "jdbc:postgresql://db:x/other", &e), PGCDC_EINVAL);
    CHECK_STR(get(&c, "dbname"), "appdb");
    CHECK_STR(c.url, "jdbc:postgresql://db/appdb");
    /* "host=" sets nothing: validate says what is missing */
    CHECK_INT(set(&c, PGCDC_P_CONNECTION_URL, "host=", &e), PGCDC_OK);
    set(&c, PGCDC_P_PUBLICATION, "p", &e);
    set(&c, PGCDC_P_USERNAME, "cdc", &e);
    CHECK_INT(pgcdc_source_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "PostgreSQL Connection URL names no host");
    pgcdc_source_config_free(&c);

    /* more options than fit */
    pgcdc_buf u = PGCDC_BUF_INIT;
    pgcdc_buf_puts(&u, "jdbc:postgresql://db/appdb?");
    /* every libpq 15 keyword but replication: 35 distinct keys */
    static const char *const many[] = {"service", "user", "password", "passfile", "channel_binding",
        "connect_timeout", "dbname", "host", "hostaddr", "port", "client_encoding", "options", "application_name",
        "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
        "tcp_user_timeout", "sslmode", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslrootcert",
        "sslcrl", "sslcrldir", "sslsni", "requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version",
        "gssencmode", "krbsrvname", "gsslib", "target_session_attrs"};
    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
        pgcdc_buf_printf(&u, "%s%s=1", i ? "&" : "", many[i]);
    pgcdc_source_config_init(&c);
    pgcdc_code rc = set(&c, PGCDC_P_CONNECTION_URL, u.data, &e);
    CHECK_INT(rc, PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "more than 32 connection options");
    pgcdc_source_config_free(&c);
    pgcdc_buf_free(&u);
}

static void test_parameter_names(void)
{
    pgcdc_source_config c;
    pgcdc_error e;
    pgcdc_source_config_init(&c);
    CHECK_INT(set(&c, "Publication Nme", "p", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "unknown PostgreSQL source parameter \"Publication Nme\"");
    CHECK_CONTAINS(e.message, "did you mean \"Publication Name\"?");
    CHECK_INT(set(&c, "PostgreSQL Pasword", PW, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "did you mean \"PostgreSQL Password\"?");
    CHECK_INT(set(&c, "Warehouse", "x", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "known: PostgreSQL Connection URL, ");
    /* case and blanks are forgiven */
    CHECK_INT(set(&c, " publication name ", " openflow_pub ", &e), PGCDC_OK);
    CHECK_STR(c.publication, "openflow_pub");
    /* empty = not set */
    CHECK_INT(set(&c, PGCDC_P_PUBLICATION, "", &e), PGCDC_OK);
    CHECK(c.publication == NULL);
    /* the JDBC driver parameter is accepted and ignored */
    CHECK_INT(set(&c, PGCDC_P_JDBC_DRIVER, "/opt/nifi/postgresql-42.7.4.jar", &e), PGCDC_OK);
    CHECK_INT(c.nparams, 0);
    /* slot names */
    CHECK_INT(set(&c, PGCDC_P_SLOT_NAME, "pgcdc_appdb_1", &e), PGCDC_OK);
    CHECK_STR(c.slot_name, "pgcdc_appdb_1");
    CHECK_INT(set(&c, PGCDC_P_SLOT_NAME, "My-Slot", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Replication Slot Name \"My-Slot\" is not valid");
    CHECK_STR(c.slot_name, "pgcdc_appdb_1");
    char longname[80];
    memset(longname, 'a', 64);
    longname[64] = '\0';
    CHECK_INT(set(&c, PGCDC_P_SLOT_NAME, longname, &e), PGCDC_EINVAL);
    CHECK_INT(set(&c, PGCDC_P_PUBLICATION, longname, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Publication Name is longer than 63 bytes");
    longname[63] = '\0';
    CHECK_INT(set(&c, PGCDC_P_SLOT_NAME, longname, &e), PGCDC_OK);
    CHECK_INT(set(&c, PGCDC_P_SLOT_NAME, "", &e), PGCDC_OK);
    CHECK(c.slot_name == NULL);
    /* the password is kept as given, blanks included */
    CHECK_INT(set(&c, PGCDC_P_PASSWORD, " " PW " ", &e), PGCDC_OK);
    CHECK_STR(c.password, " " PW " ");
    CHECK_INT(set(&c, PGCDC_P_PASSWORD, "", &e), PGCDC_OK);
    CHECK(c.password == NULL);
    pgcdc_source_config_free(&c);
}

static void test_validate_and_describe(void)
{
    pgcdc_source_config c;
    pgcdc_error e;
    pgcdc_buf d = PGCDC_BUF_INIT;

    pgcdc_source_config_init(&c);
    set(&c, PGCDC_P_PASSWORD, PW, &e);
    CHECK_INT(pgcdc_source_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "PostgreSQL Connection URL is not set");

    /* missing database: says so, names the user the drivers would have picked */
    set(&c, PGCDC_P_USERNAME, "openflow_user", &e);
    CHECK_INT(set(&c, PGCDC_P_CONNECTION_URL, "jdbc:postgresql://db.example.com:5432/", &e), PGCDC_OK);
    CHECK_INT(pgcdc_source_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "names no database");
    CHECK_CONTAINS(e.message, "\"openflow_user\"");
    CHECK_NOT_CONTAINS(e.message, PW_FRAG);

    CHECK_INT(set(&c, PGCDC_P_CONNECTION_URL, "jdbc:postgresql://db.example.com:5432/appdb", &e), PGCDC_OK);
    CHECK_INT(pgcdc_source_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "Publication Name is not set");
    set(&c, PGCDC_P_PUBLICATION, "openflow_pub", &e);
    CHECK_INT(pgcdc_source_config_validate(&c, &e), PGCDC_OK);

    /* no user anywhere */
    set(&c, PGCDC_P_USERNAME, "", &e);
    CHECK_INT(pgcdc_source_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "PostgreSQL Username is not set");
    /* the URL's user is enough; the Username parameter wins in describe */
    CHECK_INT(set(&c, PGCDC_P_CONNECTION_URL, "jdbc:postgresql://db.example.com/appdb?user=urluser&password="
                  PW_ENC, &e), PGCDC_OK);
    CHECK_INT(pgcdc_source_config_validate(&c, &e), PGCDC_OK);
    pgcdc_source_config_describe(&c, &d);
    CHECK_STR(d.data, "host=db.example.com port=5432 dbname=appdb user=urluser sslmode=(default) "
                      "password=******** publication=openflow_pub slot=(generated)");
    set(&c, PGCDC_P_USERNAME, "openflow_user", &e);
    set(&c, PGCDC_P_SSL_MODE, "REQUIRE", &e);
    set(&c, PGCDC_P_SLOT_NAME, "pgcdc_slot", &e);
    pgcdc_buf_reset(&d);
    pgcdc_source_config_describe(&c, &d);
    CHECK_STR(d.data, "host=db.example.com port=5432 dbname=appdb user=openflow_user sslmode=require "
                      "password=******** publication=openflow_pub slot=pgcdc_slot");
    CHECK_NOT_CONTAINS(d.data, PW_FRAG);

    /* verify-full without a root certificate anywhere */
    char home[] = "/tmp/pgcdc-test-home-XXXXXX";
    CHECK(mkdtemp(home) != NULL);
    char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    setenv("HOME", home, 1);
    unsetenv("PGSSLROOTCERT");
    set(&c, PGCDC_P_SSL_MODE, "VERIFY_FULL", &e);
    CHECK_INT(pgcdc_source_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "sslmode verify-full checks the server's certificate");
    CHECK_CONTAINS(e.message, "set SSL Root Certificate");
    CHECK_NOT_CONTAINS(e.message, PW_FRAG);
    if (old_home) {
        setenv("HOME", old_home, 1);
        free(old_home);
    }
    rmdir(home);
    pgcdc_source_config_free(&c);

    /* a password that is also the user name is hidden there too */
    pgcdc_source_config_init(&c);
    set(&c, PGCDC_P_CONNECTION_URL, "jdbc:postgresql://db/appdb", &e);
    set(&c, PGCDC_P_USERNAME, PW, &e);
    set(&c, PGCDC_P_PASSWORD, PW, &e);
    pgcdc_buf_reset(&d);
    pgcdc_source_config_describe(&c, &d);
    CHECK_NOT_CONTAINS(d.data, PW_FRAG);
    CHECK_CONTAINS(d.data, "user=********");
    pgcdc_source_config_free(&c);
    pgcdc_buf_free(&d);
}

/* The password never in a message: in the URL (raw, %-encoded, quoted, in
 * user info), as the parameter, under every error path. */
static void test_password_never_shown(void)
{
    static const char *const urls[] = {
        /* libpq's URI parser quotes the whole URI in some of its messages */
        "postgresql://cdc:" PW_ENC "@[::1/appdb",
        "postgresql://cdc:" PW_ENC "@db/appdb?sslmode=require&bad param=1",
        "postgresql://cdc:" PW_ENC "@db/app%zzdb",
        "postgresql://cdc:" PW "@db:abc/appdb",
        "postgresql://db/appdb?password=" PW_ENC "&port=99999",
        "host=db password=" PW_ENC " garbage",
        "host=db password='" PW "' port=x",
        "jdbc:postgresql://cdc:" PW "@db:x/appdb",
        "jdbc:postgresql://cdc:" PW_ENC "@[::1/appdb",
        "jdbc:postgresql://db/appdb?password=" PW_ENC "&sslmode=nope",
        "jdbc:postgresql://db/appdb?password=" PW_ENC "&sslmod=require",
        "jdbc:postgresql://db/appdb?password=" PW_ENC "%zz",
        "jdbc:mysql://cdc:" PW "@db/appdb",
        "cdc:" PW "@db",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        pgcdc_source_config c;
        pgcdc_error e;
        pgcdc_source_config_init(&c);
        pgcdc_code rc = set(&c, PGCDC_P_CONNECTION_URL, urls[i], &e);
        CHECK_MSG(rc == PGCDC_EINVAL, "url %zu accepted", i);
        CHECK_NOT_CONTAINS(e.message, PW_ENC);
        CHECK(e.message[0] != '\0');
        pgcdc_source_config_free(&c);
    }
    /* a valid URL with the password, then every later error */
    pgcdc_source_config c;
    pgcdc_error e;
    pgcdc_buf d = PGCDC_BUF_INIT;
    with_url(&c, "jdbc:postgresql://db/appdb?password=" PW_ENC);
    set(&c, PGCDC_P_PASSWORD, PW, &e);
    CHECK_INT(set(&c, PGCDC_P_SSL_MODE, PW, &e), PGCDC_EINVAL);
    CHECK_INT(set(&c, PGCDC_P_SLOT_NAME, PW, &e), PGCDC_EINVAL);
    CHECK_INT(set(&c, PGCDC_P_SSL_ROOT_CERT, PW, &e), PGCDC_EINVAL);
    CHECK_INT(set(&c, "PostgreSQL Pass", PW, &e), PGCDC_EINVAL);
    CHECK_INT(set(&c, PW, PW, &e), PGCDC_EINVAL);
    CHECK_INT(set(&c, PGCDC_P_CONNECTION_URL, "jdbc:postgresql://db:" PW_FRAG "/appdb", &e), PGCDC_EINVAL);
    CHECK_INT(pgcdc_source_config_validate(&c, &e), PGCDC_EINVAL);
    CHECK_NOT_CONTAINS(e.message, PW_FRAG);
    pgcdc_source_config_describe(&c, &d);
    CHECK_NOT_CONTAINS(d.data, PW_FRAG);
    CHECK_NOT_CONTAINS(logbuf.data, PW_FRAG);
    pgcdc_source_config_free(&c);
    pgcdc_buf_free(&d);
}

static const char pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBszCCAVmgAwIBAgIUEXAMPLEEXAMPLEEXAMPLEEXAMPLEwCgYIKoZIzj0EAwIw\n"
    "-----END CERTIFICATE-----";

static void test_root_cert(void)
{
    pgcdc_source_config c;
    pgcdc_error e;
    struct stat st;

    /* PEM text: a private file, named in sslrootcert, removed by free() */
    with_url(&c, "jdbc:postgresql://db/appdb?sslmode=verify-full");
    CHECK_INT(set(&c, PGCDC_P_SSL_ROOT_CERT, pem, &e), PGCDC_OK);
    const char *path = pgcdc_source_config_get(&c, "sslrootcert");
    CHECK(path != NULL);
    char saved[512] = "";
    if (path) {
        snprintf(saved, sizeof saved, "%s", path);
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_mode & 0777, 0600);
        FILE *f = fopen(path, "r");
        char buf[512] = "";
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        buf[n] = '\0';
        if (f)
            fclose(f);
        CHECK_CONTAINS(buf, "-----BEGIN CERTIFICATE-----\nMIIB");
        CHECK_CONTAINS(buf, "-----END CERTIFICATE-----");
    }
    /* verify-full is satisfied now */
    set(&c, PGCDC_P_USERNAME, "u", &e);
    set(&c, PGCDC_P_PUBLICATION, "p", &e);
    CHECK_INT(pgcdc_source_config_validate(&c, &e), PGCDC_OK);
    /* a later URL keeps the parameter's certificate */
    CHECK_INT(set(&c, PGCDC_P_CONNECTION_URL, "jdbc:postgresql://db2/appdb", &e), PGCDC_OK);
    CHECK_STR(get(&c, "sslrootcert"), saved);
    /* setting PEM again replaces the file; the old one is gone */
    CHECK_INT(set(&c, PGCDC_P_SSL_ROOT_CERT, pem, &e), PGCDC_OK);
    CHECK(strcmp(get(&c, "sslrootcert"), saved) != 0);
    CHECK(stat(saved, &st) != 0);
    snprintf(saved, sizeof saved, "%s", get(&c, "sslrootcert"));
    CHECK_INT(stat(saved, &st), 0);
    pgcdc_source_config_free(&c);
    CHECK(stat(saved, &st) != 0);

    /* clearing the parameter removes the file too */
    pgcdc_source_config_init(&c);
    CHECK_INT(set(&c, PGCDC_P_SSL_ROOT_CERT, pem, &e), PGCDC_OK);
    snprintf(saved, sizeof saved, "%s", get(&c, "sslrootcert"));
    CHECK_INT(set(&c, PGCDC_P_SSL_ROOT_CERT, "", &e), PGCDC_OK);
    CHECK(stat(saved, &st) != 0);
    CHECK_STR(get(&c, "sslrootcert"), "(unset)");

    /* PEM text cut short */
    CHECK_INT(set(&c, PGCDC_P_SSL_ROOT_CERT, "-----BEGIN CERTIFICATE-----\nMIIB", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "SSL Root Certificate: the PEM text has no");

    /* a file path: must exist, be a file, be readable */
    char file[] = "/tmp/pgcdc-test-ca-XXXXXX";
    int fd = mkstemp(file);
    CHECK(fd >= 0);
    if (fd >= 0) {
        CHECK(write(fd, pem, sizeof pem - 1) > 0);
        close(fd);
    }
    CHECK_INT(set(&c, PGCDC_P_SSL_ROOT_CERT, file, &e), PGCDC_OK);
    CHECK_STR(get(&c, "sslrootcert"), file);
    CHECK_INT(set(&c, PGCDC_P_SSL_ROOT_CERT, "/nonexistent/ca.pem", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "SSL Root Certificate: file \"/nonexistent/ca.pem\" cannot be read");
    CHECK_STR(get(&c, "sslrootcert"), file); /* unchanged */
    CHECK_INT(set(&c, PGCDC_P_SSL_ROOT_CERT, "/tmp", &e), PGCDC_EINVAL);
    CHECK_CONTAINS(e.message, "\"/tmp\" is not a regular file");
    /* libpq's "system" store */
    CHECK_INT(set(&c, PGCDC_P_SSL_ROOT_CERT, "system", &e), PGCDC_OK);
    CHECK_STR(get(&c, "sslrootcert"), "system");
    /* the URL's sslrootcert must exist as well */
    char url[256];
    snprintf(url, sizeof url, "jdbc:postgresql://db/appdb?sslrootcert=%s", file);
    pgcdc_source_config c2;
    with_url(&c2, url);
    CHECK_STR(get(&c2, "sslrootcert"), file);
    pgcdc_source_config_free(&c2);
    /* client certificate and key files too; "system" is for root certificates only */
    bad_url("jdbc:postgresql://db/appdb?sslcert=system", "(sslcert): file \"system\" cannot be read");
    bad_url("jdbc:postgresql://db/appdb?sslkey=/nonexistent/client.pk8", "(sslkey): file");
    pgcdc_buf_reset(&logbuf);
    snprintf(url, sizeof url, "jdbc:postgresql://db/appdb?sslcert=%s&sslkey=%s.pk8", file, file);
    char pk8[300];
    snprintf(pk8, sizeof pk8, "%s.pk8", file);
    FILE *kf = fopen(pk8, "w");
    CHECK(kf != NULL);
    if (kf)
        fclose(kf);
    with_url(&c2, url);
    CHECK_STR(get(&c2, "sslkey"), pk8);
    CHECK_CONTAINS(logbuf.data, "libpq needs PEM");
    pgcdc_source_config_free(&c2);
    unlink(pk8);
    unlink(file);
    pgcdc_source_config_free(&c);
}

/* The connection layer's scrubber hides every secret a configuration holds. */
static void test_scrub_secrets(void)
{
    pgcdc_source_config cfg;
    pgcdc_error err;
    pgcdc_source_config_init(&cfg);
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_CONNECTION_URL,
                                      "jdbc:postgresql://h:5432/db?password=urlSecret1&sslpassword=keySecret2", &err),
              PGCDC_OK);
    CHECK_INT(pgcdc_source_config_set(&cfg, PGCDC_P_PASSWORD, "paramSecret3", &err), PGCDC_OK);
    char text[256] = "failed: urlSecret1 / keySecret2 / paramSecret3";
    pgcdc_source_scrub_secret(&cfg, text, sizeof text);
    CHECK_NOT_CONTAINS(text, "urlSecret1");
    CHECK_NOT_CONTAINS(text, "keySecret2");
    CHECK_NOT_CONTAINS(text, "paramSecret3");
    CHECK_CONTAINS(text, "failed: ");
    pgcdc_source_config_free(&cfg);
}

int main(void)
{
    pgcdc_log_set_handler(capture_log, NULL, PGCDC_LOG_DEBUG);
    test_scrub_secrets();
    test_jdbc_forms();
    test_libpq_forms();
    test_sslmode_spellings();
    test_malformed();
    test_parameter_names();
    test_validate_and_describe();
    test_password_never_shown();
    test_root_cert();
    CHECK_NOT_CONTAINS(logbuf.data, PW_FRAG);
    pgcdc_buf_free(&logbuf);
    return pgt_done("test_config");
}
