/* conf_file.h - the pgcdc configuration file: INI-style, three sections named
 * exactly as Openflow's parameter contexts, "Parameter Name = value" lines.
 *
 *   [PostgreSQL Source Parameters]
 *   PostgreSQL Connection URL = jdbc:postgresql://db.example.com:5432/appdb
 *   PostgreSQL Username = openflow_user
 *   ...
 *
 * Lines starting with # or ; are comments. An empty value means "not set".
 * Any parameter can instead come from the environment: PGCDC_ followed by the
 * name upper-cased with non-alphanumerics as '_' (PostgreSQL Password ->
 * PGCDC_POSTGRESQL_PASSWORD); the environment wins over the file, so secrets
 * need not be written into it. */
#ifndef PGCDC_CLI_CONF_FILE_H
#define PGCDC_CLI_CONF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "pgcdc/error.h"

typedef enum conf_section {
    CONF_SOURCE = 0,
    CONF_DESTINATION,
    CONF_INGESTION,
    CONF_NSECTIONS
} conf_section;

typedef struct conf_param {
    conf_section section;
    char *name;
    char *value;   /* NULL when not set */
    int line;      /* 0 when it came from the environment */
} conf_param;

typedef struct conf_file {
    char *path;
    unsigned mode;     /* the file's permission bits (0 when unknown) */
    bool holds_secret; /* the file itself (not the environment) sets a password or key: a password
                        * parameter, a private key, or a connection URL holding a password */
    int nparams;
    conf_param *params;
} conf_file;

extern const char *const conf_section_names[CONF_NSECTIONS];

/* Reads and checks a file: unknown sections and parameter names are errors
 * that name the line and suggest the closest known name. */
pgcdc_code conf_file_load(const char *path, conf_file *out, pgcdc_error *err);
/* The same from an open stream; path only names it in messages (the fuzz
 * target reads from memory). */
pgcdc_code conf_file_read(FILE *f, const char *path, conf_file *out, pgcdc_error *err);
/* Frees everything, wiping every value first (pgcdc/secret.h). */
void conf_file_free(conf_file *cf);

/* Writes a warning to out when the file holds a secret and is readable by its
 * group or others: it names the file, its mode and the chmod to run. */
void conf_file_warn_if_exposed(const conf_file *cf, FILE *out);

/* The value of a parameter, or NULL if not set. */
const char *conf_get(const conf_file *cf, conf_section section, const char *name);

/* The environment variable that overrides a parameter, into out. */
void conf_env_name(const char *name, char *out, size_t outlen);

#endif
