/* config.c - the destination and ingestion parameters of the pipeline. The
 * destination connection is parsed by the source's URL parser (a second
 * pgcdc_source_config), so JDBC URLs, libpq URIs and keyword strings work the
 * same on both sides. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pgcdc/cron.h"
#include "pgcdc/pipeline.h"
#include "pgcdc/tables.h"

void pgcdc_pipeline_config_init(pgcdc_pipeline_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    pgcdc_source_config_init(&cfg->source);
    pgcdc_source_config_init(&cfg->dest);
    cfg->dest.url_param = PGCDC_P_DEST_URL; /* the URL parser's warnings name the parameter the user set */
    cfg->ident_case = PGCDC_IDENT_CASE_SENSITIVE;
    cfg->snapshot_connections = 2;
    /* The destination needs no publication; the shared validation asks for one. */
    pgcdc_source_config_set(&cfg->dest, PGCDC_P_PUBLICATION, "unused", NULL);
}

void pgcdc_pipeline_config_free(pgcdc_pipeline_config *cfg)
{
    pgcdc_source_config_free(&cfg->source);
    pgcdc_source_config_free(&cfg->dest);
    free(cfg->dest_database);
    free(cfg->schema_pattern);
    free(cfg->table_names);
    free(cfg->table_regex);
    free(cfg->column_filter_json);
    free(cfg->merge_cron);
    memset(cfg, 0, sizeof *cfg);
}

static char *trimmed_dup(const char *v)
{
    while (isspace((unsigned char)*v))
        v++;
    size_t n = strlen(v);
    while (n && isspace((unsigned char)v[n - 1]))
        n--;
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, v, n);
        s[n] = '\0';
    }
    return s;
}

static pgcdc_code set_str(char **slot, const char *value, pgcdc_error *err)
{
    char *s = NULL;
    if (value && *value && !(s = trimmed_dup(value)))
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    if (s && !*s) {
        free(s);
        s = NULL;
    }
    free(*slot);
    *slot = s;
    return PGCDC_OK;
}

static bool name_is(const char *name, const char *want)
{
    while (isspace((unsigned char)*name))
        name++;
    size_t n = strlen(name);
    while (n && isspace((unsigned char)name[n - 1]))
        n--;
    return n == strlen(want) && strncasecmp(name, want, n) == 0;
}

static bool blank(const char *v)
{
    if (!v)
        return true;
    while (isspace((unsigned char)*v))
        v++;
    return !*v;
}

/* err's message with every src_name (the source parameter the shared
 * parser names) replaced by dest_name: a message names only the parameter
 * the user set. Cut to fit, like every message. */
static void relabel(pgcdc_error *err, const char *src_name, const char *dest_name)
{
    if (!err || !strstr(err->message, src_name))
        return;
    char out[sizeof err->message];
    size_t n = 0, sl = strlen(src_name), dl = strlen(dest_name);
    for (const char *p = err->message; *p && n < sizeof out - 1;) {
        if (!strncmp(p, src_name, sl)) {
            size_t k = dl < sizeof out - 1 - n ? dl : sizeof out - 1 - n;
            memcpy(out + n, dest_name, k);
            n += k;
            p += sl;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    memcpy(err->message, out, n + 1);
}

/* The destination's URL, user and password go into the second source
 * configuration under the source's names; errors are re-labelled with the
 * destination's names. */
static pgcdc_code set_dest(pgcdc_pipeline_config *cfg, const char *src_name, const char *dest_name,
                           const char *value, pgcdc_error *err)
{
    pgcdc_code rc = pgcdc_source_config_set(&cfg->dest, src_name, value, err);
    if (rc != PGCDC_OK) {
        relabel(err, src_name, dest_name);
        if (err && !strstr(err->message, dest_name))
            return pgcdc_error_prefix(err, "%s", dest_name);
        return rc;
    }
    if (!strcmp(src_name, PGCDC_P_CONNECTION_URL))
        cfg->dest_url_set = !blank(value);
    return PGCDC_OK;
}

pgcdc_code pgcdc_pipeline_config_set(pgcdc_pipeline_config *cfg, const char *name, const char *value,
                                     pgcdc_error *err)
{
    if (name_is(name, PGCDC_P_DEST_TYPE)) {
        if (blank(value))
            return PGCDC_OK;
        char *v = trimmed_dup(value);
        bool pg = v && (!strcasecmp(v, "POSTGRESQL") || !strcasecmp(v, "POSTGRES"));
        bool sf = v && !strcasecmp(v, "SNOWFLAKE");
        free(v);
        if (pg)
            return PGCDC_OK;
        if (sf)
            return pgcdc_error_set(err, PGCDC_EUNSUPPORTED, "%s = SNOWFLAKE is not built yet in this version; "
                                   "use POSTGRESQL", PGCDC_P_DEST_TYPE);
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s must be POSTGRESQL (or SNOWFLAKE, not built yet)",
                               PGCDC_P_DEST_TYPE);
    }
    if (name_is(name, PGCDC_P_DEST_URL))
        return set_dest(cfg, PGCDC_P_CONNECTION_URL, PGCDC_P_DEST_URL, value, err);
    if (name_is(name, PGCDC_P_DEST_USERNAME))
        return set_dest(cfg, PGCDC_P_USERNAME, PGCDC_P_DEST_USERNAME, value, err);
    if (name_is(name, PGCDC_P_DEST_PASSWORD))
        return set_dest(cfg, PGCDC_P_PASSWORD, PGCDC_P_DEST_PASSWORD, value, err);
    if (name_is(name, PGCDC_P_DEST_DATABASE))
        return set_str(&cfg->dest_database, value, err);
    if (name_is(name, PGCDC_P_DEST_SCHEMA_PATTERN)) {
        if (!blank(value)) {
            pgcdc_buf b = PGCDC_BUF_INIT;
            pgcdc_code rc = pgcdc_pipeline_dest_schema(value, "db", "s", "t", &b, err);
            pgcdc_buf_free(&b);
            if (rc != PGCDC_OK)
                return rc;
        }
        return set_str(&cfg->schema_pattern, value, err);
    }
    if (name_is(name, PGCDC_P_OVERSIZED_VALUE)) {
        /* A PostgreSQL destination holds every value: nothing is oversized. */
        return PGCDC_OK;
    }
    if (name_is(name, PGCDC_P_INCLUDED_TABLE_NAMES))
        return set_str(&cfg->table_names, value, err);
    if (name_is(name, PGCDC_P_INCLUDED_TABLE_REGEX))
        return set_str(&cfg->table_regex, value, err);
    if (name_is(name, PGCDC_P_COLUMN_FILTER_JSON)) {
        pgcdc_column_filter *f = NULL;
        pgcdc_code rc = pgcdc_column_filter_parse(value, &f, err);
        pgcdc_column_filter_free(f);
        if (rc != PGCDC_OK)
            return rc;
        return set_str(&cfg->column_filter_json, value, err);
    }
    if (name_is(name, PGCDC_P_MERGE_CRON)) {
        if (!blank(value)) {
            pgcdc_cron *c = NULL;
            pgcdc_code rc = pgcdc_cron_parse(value, &c, err);
            int64_t next;
            /* the parser refuses what never fires; a year field may also
             * lie wholly in the past */
            if (rc == PGCDC_OK && pgcdc_cron_next(c, (int64_t)time(NULL), &next) == PGCDC_ENOTFOUND)
                rc = pgcdc_error_set(err, PGCDC_EINVAL, "cron expression \"%.200s\" never fires again: its last "
                                     "fire time is in the past (see its year field), so the journals would never "
                                     "be merged; e.g. \"0 0/15 * * * ?\" merges every 15 minutes", value);
            pgcdc_cron_free(c);
            if (rc != PGCDC_OK)
                return pgcdc_error_prefix(err, "%s", PGCDC_P_MERGE_CRON);
        }
        return set_str(&cfg->merge_cron, value, err);
    }
    if (name_is(name, PGCDC_P_IDENT_RESOLUTION)) {
        if (blank(value)) {
            cfg->ident_case = PGCDC_IDENT_CASE_SENSITIVE;
            return PGCDC_OK;
        }
        if (pgcdc_ident_case_parse(value, &cfg->ident_case, err) != PGCDC_OK)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s must be CASE_SENSITIVE or CASE_INSENSITIVE",
                                   PGCDC_P_IDENT_RESOLUTION);
        return PGCDC_OK;
    }
    if (name_is(name, PGCDC_P_INGESTION_TYPE)) {
        char *v = blank(value) ? NULL : trimmed_dup(value);
        bool ok = true;
        if (!v || !strcasecmp(v, "full"))
            cfg->incremental = false;
        else if (!strcasecmp(v, "incremental"))
            cfg->incremental = true;
        else
            ok = false;
        free(v);
        if (!ok)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s must be full (snapshot, then changes) or incremental "
                                   "(changes only)", PGCDC_P_INGESTION_TYPE);
        return PGCDC_OK;
    }
    if (name_is(name, PGCDC_P_SNAPSHOT_QUERIES)) {
        if (blank(value)) {
            cfg->snapshot_connections = 2;
            return PGCDC_OK;
        }
        char *end = NULL;
        long n = strtol(value, &end, 10);
        while (end && isspace((unsigned char)*end))
            end++;
        if (!end || *end || n < 1 || n > 64)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s must be a whole number from 1 to 64",
                                   PGCDC_P_SNAPSHOT_QUERIES);
        cfg->snapshot_connections = (int)n;
        return PGCDC_OK;
    }
    /* Everything else is a source parameter (or unknown: the source says so
     * and suggests the closest name). */
    return pgcdc_source_config_set(&cfg->source, name, value, err);
}

pgcdc_code pgcdc_pipeline_config_validate(const pgcdc_pipeline_config *cfg, pgcdc_error *err)
{
    pgcdc_code rc = pgcdc_source_config_validate(&cfg->source, err);
    if (rc != PGCDC_OK)
        return rc;
    if (!cfg->source.publication)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s is not set; set it to the publication the DBA created",
                               PGCDC_P_PUBLICATION);
    if (!cfg->dest_url_set)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s is not set; for a PostgreSQL destination set it to e.g. "
                               "postgresql://127.0.0.1:5432/replica", PGCDC_P_DEST_URL);
    if ((rc = pgcdc_source_config_validate(&cfg->dest, err)) != PGCDC_OK) {
        relabel(err, PGCDC_P_CONNECTION_URL, PGCDC_P_DEST_URL);
        relabel(err, PGCDC_P_USERNAME, PGCDC_P_DEST_USERNAME);
        relabel(err, PGCDC_P_PASSWORD, PGCDC_P_DEST_PASSWORD);
        return rc;
    }
    const char *db = pgcdc_source_config_get(&cfg->dest, "dbname");
    if (cfg->dest_database && db && strcmp(db, cfg->dest_database) != 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s (%s) differs from the database of %s (%s); leave one "
                               "of them out", PGCDC_P_DEST_DATABASE, cfg->dest_database, PGCDC_P_DEST_URL, db);
    pgcdc_table_selection *sel = NULL;
    if ((rc = pgcdc_table_selection_parse(cfg->table_names, cfg->table_regex, &sel, err)) != PGCDC_OK)
        return rc;
    pgcdc_table_selection_free(sel);
    return PGCDC_OK;
}

pgcdc_code pgcdc_pipeline_dest_schema(const char *pattern, const char *database, const char *schema,
                                      const char *table, pgcdc_buf *out, pgcdc_error *err)
{
    static const char *const names[] = {"${source.database.name}", "${source.schema.name}",
                                        "${source.table.name}"};
    const char *vals[] = {database, schema, table};
    pgcdc_buf_reset(out);
    if (!pattern || !*pattern)
        pattern = names[1];
    for (const char *p = pattern; *p;) {
        if (p[0] == '$' && p[1] == '{') {
            size_t i;
            for (i = 0; i < 3; i++)
                if (!strncmp(p, names[i], strlen(names[i])))
                    break;
            if (i == 3) {
                const char *e = strchr(p, '}');
                int n = e ? (int)(e - p + 1) : (int)strlen(p);
                return pgcdc_error_set(err, PGCDC_EINVAL, "%s: unknown placeholder \"%.*s\"; the known ones are "
                                       "${source.database.name}, ${source.schema.name}, ${source.table.name}",
                                       PGCDC_P_DEST_SCHEMA_PATTERN, n, p);
            }
            if (pgcdc_buf_puts(out, vals[i]) != 0)
                return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
            p += strlen(names[i]);
        } else {
            if (pgcdc_buf_putc(out, *p++) != 0)
                return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        }
    }
    if (out->len == 0 || out->len > PGCDC_PG_IDENT_MAX)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s gives the schema name \"%s\" for %s.%s: it must be 1 to %d "
                               "bytes", PGCDC_P_DEST_SCHEMA_PATTERN, out->data ? out->data : "", schema, table,
                               PGCDC_PG_IDENT_MAX);
    return PGCDC_OK;
}
