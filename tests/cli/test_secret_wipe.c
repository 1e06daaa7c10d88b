/* test_secret_wipe.c - the free functions of every configuration that holds
 * secrets wipe them before the memory goes back to the allocator: the CLI's
 * configuration file, the source and pipeline configurations (a password
 * parameter, a password inside a URL) and the connector's (NiFi's).
 * pgcdc_secret_wiped_hook sees each wiped buffer while it is still allocated. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conf_file.h"
#include "pgcdc/connector.h"
#include "pgcdc/pipeline.h"
#include "pgcdc/secret.h"

#define MAX_WIPES 256
static struct { const void *p; size_t n; } wipes[MAX_WIPES];
static int nwipes;

static void on_wipe(const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(((const unsigned char *)p)[i] == 0, "byte %zu of a wiped buffer is not zero", i);
    if (nwipes < MAX_WIPES)
        wipes[nwipes++].p = p, wipes[nwipes - 1].n = n;
}

/* True if the buffer at p was wiped whole (n bytes). */
static bool wiped(const void *p, size_t n)
{
    for (int i = 0; i < nwipes; i++)
        if (wipes[i].p == p && wipes[i].n == n)
            return true;
    return false;
}

static const char *source_value(const pgcdc_source_config *c, const char *key)
{
    return pgcdc_source_config_get(c, key);
}

static void test_pipeline_config(void)
{
    pgcdc_pipeline_config cfg;
    pgcdc_error e;
    pgcdc_pipeline_config_init(&cfg);
    CHECK_INT(pgcdc_pipeline_config_set(&cfg, PGCDC_P_CONNECTION_URL,
                                        "jdbc:postgresql://db/appdb?user=u&password=url-secret-1", &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_set(&cfg, PGCDC_P_PASSWORD, "param-secret-22", &e), PGCDC_OK);
    CHECK_INT(pgcdc_pipeline_config_set(&cfg, "Destination Connection URL", "postgresql://u:dest-secret-333@h/d", &e),
              PGCDC_OK);
    const char *pw = cfg.source.password, *url = cfg.source.url, *url_pw = source_value(&cfg.source, "password");
    const char *dest_pw = source_value(&cfg.dest, "password");
    CHECK(pw && url && url_pw && dest_pw);
    CHECK_STR(url_pw, "url-secret-1");
    CHECK_STR(dest_pw, "dest-secret-333");
    size_t pw_n = strlen(pw), url_n = strlen(url), url_pw_n = strlen(url_pw), dest_pw_n = strlen(dest_pw);
    nwipes = 0;
    pgcdc_pipeline_config_free(&cfg);
    CHECK_MSG(wiped(pw, pw_n), "the Password parameter was not wiped");
    CHECK_MSG(wiped(url, url_n), "the URL (holding a password) was not wiped");
    CHECK_MSG(wiped(url_pw, url_pw_n), "the password parsed from the URL was not wiped");
    CHECK_MSG(wiped(dest_pw, dest_pw_n), "the destination URL's password was not wiped");
}

static void test_replaced_password(void)
{
    pgcdc_source_config c;
    pgcdc_error e;
    pgcdc_source_config_init(&c);
    CHECK_INT(pgcdc_source_config_set(&c, PGCDC_P_PASSWORD, "old-secret", &e), PGCDC_OK);
    const char *old = c.password;
    nwipes = 0;
    CHECK_INT(pgcdc_source_config_set(&c, PGCDC_P_PASSWORD, "new-secret!", &e), PGCDC_OK);
    CHECK_MSG(wiped(old, strlen("old-secret")), "a replaced password was not wiped");
    pgcdc_source_config_free(&c);
}

static void test_connector_config(void)
{
    pgcdc_connector_config *c = NULL;
    pgcdc_error e;
    CHECK_INT(pgcdc_connector_config_new(&c, &e), PGCDC_OK);
    CHECK_INT(pgcdc_connector_config_set(c, PGCDC_P_PASSWORD, "nifi-secret", &e), PGCDC_OK);
    nwipes = 0;
    pgcdc_connector_config_free(c);
    int n = 0; /* the pipeline's copy and the connector's own list of values */
    for (int i = 0; i < nwipes; i++)
        n += wipes[i].n == strlen("nifi-secret");
    CHECK_MSG(n >= 2, "the connector configuration wiped %d copies of the password, want 2", n);
}

static void test_conf_file(void)
{
    char path[] = "/tmp/pgcdc-wipe-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("[PostgreSQL Source Parameters]\nPostgreSQL Password = file-secret\n"
          "[PostgreSQL Destination Parameters]\nDestination Password = file-secret-2\n", f);
    fclose(f);
    conf_file cf;
    pgcdc_error e;
    CHECK_INT(conf_file_load(path, &cf, &e), PGCDC_OK);
    unlink(path);
    CHECK(cf.holds_secret);
    const char *a = conf_get(&cf, CONF_SOURCE, PGCDC_P_PASSWORD), *b = conf_get(&cf, CONF_DESTINATION,
                                                                                "Destination Password");
    CHECK(a && b);
    nwipes = 0;
    conf_file_free(&cf);
    CHECK_MSG(wiped(a, strlen("file-secret")), "the file's PostgreSQL Password was not wiped");
    CHECK_MSG(wiped(b, strlen("file-secret-2")), "the file's Destination Password was not wiped");
}

int main(void)
{
    pgcdc_secret_wiped_hook = on_wipe;
    test_pipeline_config();
    test_replaced_password();
    test_connector_config();
    test_conf_file();
    return pgt_done("secret-wipe");
}
