/* config.c - the connector's configuration: a pgcdc_pipeline_config plus the
 * parameters as they were set, so that a copy is made by setting them again
 * (the pipeline config owns temp files and parsed forms that must not be
 * shared between copies). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connector_internal.h"
#include "pgcdc/secret.h"

void pgcdc_connector_config_free(pgcdc_connector_config *cfg)
{
    if (!cfg)
        return;
    pgcdc_pipeline_config_free(&cfg->pl);
    for (size_t i = 0; i < cfg->n; i++) {
        free(cfg->names[i]);
        pgcdc_secret_free(cfg->values[i]); /* may be a password: do not leave it in freed memory */
    }
    free(cfg->names);
    free(cfg->values);
    free(cfg);
}

pgcdc_code pgcdc_connector_config_new(pgcdc_connector_config **out, pgcdc_error *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    pgcdc_pipeline_config_init(&(*out)->pl);
    return PGCDC_OK;
}

static void forget(pgcdc_connector_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n; i++) {
        if (strcasecmp(cfg->names[i], name) != 0)
            continue;
        free(cfg->names[i]);
        pgcdc_secret_free(cfg->values[i]);
        memmove(&cfg->names[i], &cfg->names[i + 1], (cfg->n - i - 1) * sizeof *cfg->names);
        memmove(&cfg->values[i], &cfg->values[i + 1], (cfg->n - i - 1) * sizeof *cfg->values);
        cfg->n--;
        return;
    }
}

pgcdc_code pgcdc_connector_config_set(pgcdc_connector_config *cfg, const char *name, const char *value,
                                      pgcdc_error *err)
{
    if (!name)
        return pgcdc_error_set(err, PGCDC_EINVAL, "a parameter name is missing");
    pgcdc_code rc = pgcdc_pipeline_config_set(&cfg->pl, name, value ? value : "", err);
    if (rc != PGCDC_OK)
        return rc;
    forget(cfg, name);
    if (!value || !*value)
        return PGCDC_OK;
    char **nn = realloc(cfg->names, (cfg->n + 1) * sizeof *nn);
    if (nn)
        cfg->names = nn;
    char **nv = nn ? realloc(cfg->values, (cfg->n + 1) * sizeof *nv) : NULL;
    if (nv)
        cfg->values = nv;
    char *a = nv ? strdup(name) : NULL, *b = a ? strdup(value) : NULL;
    if (!b) {
        free(a);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    cfg->names[cfg->n] = a;
    cfg->values[cfg->n] = b;
    cfg->n++;
    return PGCDC_OK;
}

pgcdc_code pgcdc_connector_config_validate(const pgcdc_connector_config *cfg, pgcdc_error *err)
{
    return pgcdc_pipeline_config_validate(&cfg->pl, err);
}

pgcdc_code pgcdc_connector_config_validate_source(const pgcdc_connector_config *cfg, pgcdc_error *err)
{
    return pgcdc_source_config_validate(&cfg->pl.source, err);
}

pgcdc_code pgcdc_connector_config_copy(const pgcdc_connector_config *cfg, pgcdc_connector_config **out,
                                       pgcdc_error *err)
{
    pgcdc_connector_config *c;
    pgcdc_code rc = pgcdc_connector_config_new(&c, err);
    for (size_t i = 0; rc == PGCDC_OK && i < cfg->n; i++)
        rc = pgcdc_connector_config_set(c, cfg->names[i], cfg->values[i], err);
    if (rc != PGCDC_OK) {
        pgcdc_connector_config_free(c);
        return rc;
    }
    *out = c;
    return PGCDC_OK;
}

const pgcdc_pipeline_config *pgcdc_connector_config_pipeline(const pgcdc_connector_config *cfg)
{
    return &cfg->pl;
}
