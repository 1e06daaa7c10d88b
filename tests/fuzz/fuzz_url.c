/* fuzz_url.c - libFuzzer target for the connection parameters of
 * native/src/source/config.c: `PostgreSQL Connection URL` as a JDBC URL, a
 * libpq URI or a keyword string (our JDBC parser, libpq's for the others, the
 * checks of every pair), with SSL Mode, Username and Password around it.
 *
 * Input: one options byte, then the URL; a NUL byte in it starts a second URL,
 * set after the first (replacing it keeps the old one on failure).
 * Invariant beyond "no crash": the password given as the Password parameter
 * never appears in an error message or in the description. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgcdc/buf.h"
#include "pgcdc/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PW "Zq8-pw-never-shown"

static void no_password(const char *text)
{
    if (strstr(text, PW))
        __builtin_trap();
}

static void set(pgcdc_source_config *c, const char *name, const char *value, bool pw_set)
{
    pgcdc_error err;
    if (pgcdc_source_config_set(c, name, value, &err) != PGCDC_OK && pw_set)
        no_password(err.message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096)
        return 0;
    uint8_t opt = data[0];
    char *text = malloc(size + 1); /* the URL(s), NUL-terminated */
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    const char *second = NULL;
    if (strlen(text) < size - 1)
        second = text + strlen(text) + 1;

    pgcdc_source_config c;
    pgcdc_source_config_init(&c);
    bool pw = opt & 1;
    if (pw)
        set(&c, PGCDC_P_PASSWORD, PW, false);
    if (opt & 2)
        set(&c, PGCDC_P_SSL_MODE, opt & 4 ? "verify-full" : "disable", pw);
    if (opt & 8)
        set(&c, PGCDC_P_USERNAME, "cdc", pw);
    set(&c, PGCDC_P_CONNECTION_URL, text, pw);
    if (second)
        set(&c, PGCDC_P_CONNECTION_URL, second, pw);
    if (opt & 16)
        set(&c, PGCDC_P_SSL_MODE, opt & 32 ? "require" : "", pw);

    pgcdc_error err;
    if (pgcdc_source_config_validate(&c, &err) != PGCDC_OK && pw)
        no_password(err.message);
    pgcdc_buf d = PGCDC_BUF_INIT;
    pgcdc_source_config_describe(&c, &d);
    if (pw && d.data)
        no_password(d.data);
    pgcdc_buf_free(&d);
    for (int i = 0; i < c.nparams; i++)
        if (!c.keys[i] || !c.values[i] || pgcdc_source_config_get(&c, c.keys[i]) == NULL)
            __builtin_trap();

    /* a server message quoting the URL is scrubbed of the password */
    char msg[512];
    size_t n = strlen(text) < 200 ? strlen(text) : 200;
    memcpy(msg, text, n);
    memcpy(msg + n, " " PW, sizeof " " PW);
    pgcdc_source_scrub_secret(&c, msg, sizeof msg);
    if (pw)
        no_password(msg);
    pgcdc_source_flatten_message(msg);

    pgcdc_source_config_free(&c);
    free(text);
    return 0;
}
