/* conf_file.c - reading the three-section configuration file. */
#include "conf_file.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "pgcdc/secret.h"
#include "pgcdc/source.h"
#include "pgcdc/suggest.h"

const char *const conf_section_names[CONF_NSECTIONS] = {
    "PostgreSQL Source Parameters",
    "PostgreSQL Destination Parameters",
    "PostgreSQL Ingestion Parameters",
};

/* The parameters each section knows (Openflow's names, plus the destination
 * connection of a PostgreSQL destination). */
static const char *const source_names[] = {
    PGCDC_P_CONNECTION_URL, PGCDC_P_USERNAME, PGCDC_P_PASSWORD, PGCDC_P_SSL_MODE,
    PGCDC_P_SSL_ROOT_CERT, PGCDC_P_PUBLICATION, PGCDC_P_SLOT_NAME, PGCDC_P_JDBC_DRIVER,
};
static const char *const destination_names[] = {
    "Destination Type", "Destination Connection URL", "Destination Username", "Destination Password",
    "Destination Database", "Destination Schema Pattern", "Snowflake Account Identifier",
    "Snowflake Authentication Strategy", "Snowflake Username", "Snowflake Role", "Snowflake Private Key",
    "Snowflake Private Key File", "Snowflake Private Key Password", "Snowflake Warehouse",
    "Oversized Value Strategy",
};
static const char *const ingestion_names[] = {
    "Included Table Names", "Included Table Regex", "Column Filter JSON", "Merge Task Schedule CRON",
    "Object Identifier Resolution", "Ingestion Type", "Concurrent Snapshot Queries",
};

static const char *const *known_names(conf_section s, size_t *n)
{
    switch (s) {
    case CONF_SOURCE: *n = sizeof source_names / sizeof *source_names; return source_names;
    case CONF_DESTINATION: *n = sizeof destination_names / sizeof *destination_names; return destination_names;
    default: *n = sizeof ingestion_names / sizeof *ingestion_names; return ingestion_names;
    }
}

void conf_env_name(const char *name, char *out, size_t outlen)
{
    size_t j = 0;
    j += (size_t)snprintf(out, outlen, "PGCDC_");
    for (const char *p = name; *p && j + 1 < outlen; p++)
        out[j++] = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
    out[j] = '\0';
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static conf_param *find(const conf_file *cf, conf_section s, const char *name)
{
    for (int i = 0; i < cf->nparams; i++)
        if (cf->params[i].section == s && strcmp(cf->params[i].name, name) == 0)
            return &cf->params[i];
    return NULL;
}

static conf_param *add(conf_file *cf, conf_section s, const char *name)
{
    conf_param *p = realloc(cf->params, sizeof *p * (size_t)(cf->nparams + 1));
    if (!p)
        return NULL;
    cf->params = p;
    p = &cf->params[cf->nparams++];
    memset(p, 0, sizeof *p);
    p->section = s;
    if (!(p->name = strdup(name))) {
        cf->nparams--;
        return NULL;
    }
    return p;
}

static bool set_value(conf_param *p, const char *value)
{
    pgcdc_secret_free(p->value);
    p->value = value && *value ? strdup(value) : NULL;
    return p->value || !value || !*value;
}

/* Parameters whose value is itself a secret. */
static const char *const secret_names[] = {
    PGCDC_P_PASSWORD, "Destination Password", "Snowflake Private Key", "Snowflake Private Key Password",
};

/* True if a URL holds a password (jdbc:...?password=, postgresql://u:pw@...,
 * password=... in a keyword string), read by the URL parser itself. */
static bool url_holds_password(const char *url)
{
    pgcdc_source_config tmp;
    pgcdc_source_config_init(&tmp);
    bool has = pgcdc_source_config_set(&tmp, PGCDC_P_CONNECTION_URL, url, NULL) == PGCDC_OK &&
               (pgcdc_source_config_get(&tmp, "password") || pgcdc_source_config_get(&tmp, "sslpassword"));
    pgcdc_source_config_free(&tmp);
    return has;
}

/* Whether the parameters read so far (the file's, before the environment
 * overrides any) hold a password or key. */
static bool holds_secret(const conf_file *cf)
{
    for (int i = 0; i < cf->nparams; i++) {
        const conf_param *p = &cf->params[i];
        if (!p->value)
            continue;
        for (size_t k = 0; k < sizeof secret_names / sizeof *secret_names; k++)
            if (strcmp(p->name, secret_names[k]) == 0)
                return true;
        if ((strcmp(p->name, PGCDC_P_CONNECTION_URL) == 0 || strcmp(p->name, "Destination Connection URL") == 0) &&
            url_holds_password(p->value))
            return true;
    }
    return false;
}

pgcdc_code conf_file_read(FILE *f, const char *path, conf_file *out, pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(out->path = strdup(path)))
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    char line[8192];
    int lineno = 0;
    int section = -1;
    pgcdc_code rc = PGCDC_OK;
    long before = ftell(f), after;
    while (rc == PGCDC_OK && fgets(line, sizeof line, f)) {
        lineno++;
        /* a NUL byte ends the string early: say so rather than "line too long"
         * (ftell fails on a pipe: then no such check) */
        after = ftell(f);
        if (before >= 0 && after >= 0 && (size_t)(after - before) != strlen(line)) {
            rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s:%d: the line holds a NUL byte; is this a text file?", path,
                                 lineno);
            break;
        }
        before = after;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s:%d: line longer than %zu characters", path, lineno,
                                 sizeof line - 2);
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end || end[1]) {
                rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s:%d: a section header looks like [PostgreSQL Source Parameters]",
                                     path, lineno);
                break;
            }
            *end = '\0';
            char *name = trim(s + 1);
            section = -1;
            for (int i = 0; i < CONF_NSECTIONS; i++)
                if (strcmp(name, conf_section_names[i]) == 0)
                    section = i;
            if (section < 0) {
                const char *hint = pgcdc_closest_name(name, conf_section_names, CONF_NSECTIONS);
                rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s:%d: unknown section [%s]%s%s%s; the sections are [%s], [%s] and [%s]",
                                     path, lineno, name, hint ? " (did you mean [" : "", hint ? hint : "",
                                     hint ? "]?)" : "", conf_section_names[0], conf_section_names[1],
                                     conf_section_names[2]);
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s:%d: expected \"Parameter Name = value\"", path, lineno);
            break;
        }
        *eq = '\0';
        char *name = trim(s), *value = trim(eq + 1);
        if (section < 0) {
            rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s:%d: parameter \"%s\" before any section header", path,
                                 lineno, name);
            break;
        }
        size_t n;
        const char *const *names = known_names((conf_section)section, &n);
        bool known = false;
        for (size_t i = 0; i < n; i++)
            known |= strcmp(names[i], name) == 0;
        if (!known) {
            const char *hint = pgcdc_closest_name(name, names, n);
            rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s:%d: unknown parameter \"%s\" in [%s]%s%s%s", path, lineno, name,
                                 conf_section_names[section], hint ? "; did you mean \"" : "", hint ? hint : "",
                                 hint ? "\"?" : "");
            break;
        }
        if (find(out, (conf_section)section, name)) {
            rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s:%d: \"%s\" is set twice in [%s]", path, lineno, name,
                                 conf_section_names[section]);
            break;
        }
        conf_param *p = add(out, (conf_section)section, name);
        if (!p || !set_value(p, value))
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        else
            p->line = lineno;
    }
    pgcdc_secret_wipe(line, sizeof line); /* the last line read may hold a password */
    if (rc)
        return rc;
    out->holds_secret = holds_secret(out);

    /* The environment overrides the file (secrets need not be in it). */
    for (int s = 0; s < CONF_NSECTIONS; s++) {
        size_t n;
        const char *const *names = known_names((conf_section)s, &n);
        for (size_t i = 0; i < n; i++) {
            char env[128];
            conf_env_name(names[i], env, sizeof env);
            const char *v = getenv(env);
            if (!v)
                continue;
            conf_param *p = find(out, (conf_section)s, names[i]);
            if ((!p && !(p = add(out, (conf_section)s, names[i]))) || !set_value(p, v))
                return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
            p->line = 0;
        }
    }
    return PGCDC_OK;
}

pgcdc_code conf_file_load(const char *path, conf_file *out, pgcdc_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) {
        out->path = strdup(path);
        return pgcdc_error_set(err, PGCDC_EINVAL, "cannot open configuration file %s: %s", path, strerror(errno));
    }
    struct stat st;
    bool have_mode = fstat(fileno(f), &st) == 0;
    pgcdc_code rc = conf_file_read(f, path, out, err);
    fclose(f);
    if (have_mode)
        out->mode = st.st_mode & 07777;
    return rc;
}

void conf_file_free(conf_file *cf)
{
    for (int i = 0; i < cf->nparams; i++) {
        free(cf->params[i].name);
        pgcdc_secret_free(cf->params[i].value); /* any value may be a password, a key or a URL holding one */
    }
    free(cf->params);
    free(cf->path);
    memset(cf, 0, sizeof *cf);
}

const char *conf_get(const conf_file *cf, conf_section section, const char *name)
{
    conf_param *p = find(cf, section, name);
    return p ? p->value : NULL;
}

void conf_file_warn_if_exposed(const conf_file *cf, FILE *out)
{
    if (!(cf->mode & (S_IRGRP | S_IROTH)) || !cf->holds_secret)
        return;
    /* as ssh does for a private key, but a warning: refusing would break
     * setups that work today */
    fprintf(out, "pgcdc: warning: permissions %04o for configuration file %s are too open: it holds a password or "
                 "key and is readable by %s; run: chmod 600 %s (or set the secret in the environment instead, e.g. "
                 "PGCDC_POSTGRESQL_PASSWORD)\n",
            cf->mode, cf->path, (cf->mode & S_IRGRP) && (cf->mode & S_IROTH) ? "group and others"
                                : cf->mode & S_IRGRP ? "its group" : "others",
            cf->path);
}
