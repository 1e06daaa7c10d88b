/* fuzz_conf.c - libFuzzer target for the configuration file of the CLI
 * (native/cli/conf_file.c, read from memory) and what `pgcdc run` does with
 * it: every parameter handed to the pipeline configuration (URL parsers, cron,
 * Column Filter JSON, table names and regex, schema pattern...), then the
 * whole configuration validated, as cli_load_pipeline does. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_file.h"
#include "pgcdc/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 65536)
        return 0;
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f)
        return 0;
    conf_file cf;
    pgcdc_error err;
    pgcdc_code rc = conf_file_read(f, "fuzz.conf", &cf, &err);
    fclose(f);
    if (rc == PGCDC_OK) {
        pgcdc_pipeline_config cfg;
        pgcdc_pipeline_config_init(&cfg);
        for (int i = 0; i < cf.nparams; i++) {
            const conf_param *p = &cf.params[i];
            /* SSL Root Certificate as PEM text writes a file: the URL parser's
             * file checks are reached through sslrootcert= anyway */
            if (p->value && conf_get(&cf, p->section, p->name) == p->value &&
                strcmp(p->name, PGCDC_P_SSL_ROOT_CERT) != 0 &&
                pgcdc_pipeline_config_set(&cfg, p->name, p->value, &err) != PGCDC_OK)
                break;
        }
        pgcdc_pipeline_config_validate(&cfg, &err);
        pgcdc_pipeline_config_free(&cfg);
    }
    conf_file_free(&cf);
    return 0;
}
