/* config.c - the PostgreSQL Source Parameters (Openflow's names) turned into
 * libpq keyword/value pairs.
 *
 * `PostgreSQL Connection URL` may be a JDBC URL, a libpq URI or a libpq
 * keyword string. JDBC URLs are parsed here (libpq does not know them) and
 * their properties mapped to libpq keywords; the other two forms are split by
 * libpq's own PQconninfoParse. Whatever the form, the pairs are then checked
 * the same way (sslmode, ports, certificate files).
 *
 * `SSL Mode` and `SSL Root Certificate` win over what the URL says, whatever
 * order the parameters are set in: the URL text is kept and cfg->keys/values
 * are rebuilt from it and those two after every change.
 *
 * Secrets (password, sslpassword) are never formatted into a message or a log
 * line. As a second line of defence every error leaving set() is scrubbed of
 * every secret we can find, including those in a URL libpq could not parse
 * (some of libpq's URI errors quote the whole URI).
 */
#include "pgcdc/source.h"
#include "pgcdc/secret.h"
#include "pgcdc/suggest.h"
#include "pgcdc/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define P_URL PGCDC_P_CONNECTION_URL
#define DEFAULT_PORT "5432"
#define NAME_MAX_BYTES 63 /* PostgreSQL's NAMEDATALEN - 1 */

/* The parameters set() knows, in the order they are listed to a user. */
static const char *const param_names[] = {
    PGCDC_P_CONNECTION_URL, PGCDC_P_USERNAME, PGCDC_P_PASSWORD, PGCDC_P_SSL_MODE,
    PGCDC_P_SSL_ROOT_CERT,  PGCDC_P_PUBLICATION, PGCDC_P_SLOT_NAME, PGCDC_P_JDBC_DRIVER,
};
#define NPARAM_NAMES (sizeof param_names / sizeof param_names[0])

static const char *const sslmodes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
#define SSLMODE_LIST "disable, allow, prefer, require, verify-ca, verify-full"

/* ---- small helpers ------------------------------------------------------ */

/* A copy of s without leading and trailing white space. */
static char *trimmed_dup(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return strndup(s, n);
}

/* True if s is short and plain enough to quote back in a message. */
static bool echoable(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isprint((unsigned char)s[i]))
            return false;
    return true;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* %-decodes s[0..n). plus_is_space follows java.net.URLDecoder, which the
 * JDBC driver uses for its URL, so a URL that works there means the same
 * here. NULL on a malformed escape or an encoded NUL. */
static char *pct_decode(const char *s, size_t n, bool plus_is_space)
{
    char *out = malloc(n + 1), *o = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) {
                free(out);
                return NULL;
            }
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                free(out);
                return NULL;
            }
            *o++ = (char)(h * 16 + l);
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            *o++ = ' ';
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

const char *pgcdc_sslmode_normalize(const char *s)
{
    char buf[16];
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= sizeof buf)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = (char)tolower((unsigned char)s[i]);
        buf[i] = c == '_' ? '-' : c;
    }
    buf[n] = '\0';
    for (size_t i = 0; i < sizeof sslmodes / sizeof sslmodes[0]; i++)
        if (strcmp(buf, sslmodes[i]) == 0)
            return sslmodes[i];
    return NULL;
}

/* ---- key/value lists ---------------------------------------------------- */

typedef struct kvlist {
    int n;
    char *k[PGCDC_MAX_CONN_PARAMS];
    char *v[PGCDC_MAX_CONN_PARAMS];
} kvlist;

static void kv_free(kvlist *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->k[i]);
        pgcdc_secret_free(l->v[i]); /* a value may be a password */
    }
    l->n = 0;
}

static const char *kv_get(const kvlist *l, const char *key)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->k[i], key) == 0)
            return l->v[i];
    return NULL;
}

/* Sets key (a later value wins, as in libpq). */
static pgcdc_code kv_put(kvlist *l, const char *key, const char *val, pgcdc_error *err)
{
    char *v = strdup(val);
    if (!v)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while reading %s", P_URL);
    for (int i = 0; i < l->n; i++) {
        if (strcmp(l->k[i], key) == 0) {
            pgcdc_secret_free(l->v[i]);
            l->v[i] = v;
            return PGCDC_OK;
        }
    }
    if (l->n == PGCDC_MAX_CONN_PARAMS) {
        pgcdc_secret_free(v);
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s sets more than %d connection options; remove some",
                               P_URL, PGCDC_MAX_CONN_PARAMS);
    }
    char *k = strdup(key);
    if (!k) {
        pgcdc_secret_free(v);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while reading %s", P_URL);
    }
    l->k[l->n] = k;
    l->v[l->n] = v;
    l->n++;
    return PGCDC_OK;
}

/* ---- secrets ------------------------------------------------------------ */

#define MAX_SECRETS 16

typedef struct secrets {
    int n;
    char *s[MAX_SECRETS];
} secrets;

static void secrets_add(secrets *sec, const char *s, size_t n)
{
    if (n == 0 || sec->n == MAX_SECRETS)
        return;
    char *raw = strndup(s, n);
    if (!raw)
        return;
    sec->s[sec->n++] = raw;
    char *dec = pct_decode(s, n, true);
    if (dec && strcmp(dec, raw) != 0 && sec->n < MAX_SECRETS)
        sec->s[sec->n++] = dec;
    else
        free(dec);
}

static void secrets_free(secrets *sec)
{
    for (int i = 0; i < sec->n; i++)
        pgcdc_secret_free(sec->s[i]);
    sec->n = 0;
}

/* Collects what in a connection string of any form could be a password:
 * the part after ':' in URI user info (split at the first '@', as libpq does,
 * and at the last, as we do for JDBC), and every value of a key ending in
 * "password" (password, sslpassword) in a query or keyword string. A guess on
 * purpose: it must work on strings no parser accepted. */
static void url_secrets(const char *url, secrets *sec)
{
    if (!url)
        return;
    const char *auth = strstr(url, "://");
    if (auth) {
        auth += 3;
        size_t alen = strcspn(auth, "?");
        const char *first = memchr(auth, '@', alen), *last = NULL;
        for (size_t i = 0; i < alen; i++)
            if (auth[i] == '@')
                last = auth + i;
        const char *ends[2] = {first, last};
        for (int e = 0; e < 2; e++) {
            if (!ends[e])
                continue;
            const char *colon = memchr(auth, ':', (size_t)(ends[e] - auth));
            if (colon)
                secrets_add(sec, colon + 1, (size_t)(ends[e] - colon - 1));
        }
    }
    for (const char *p = url; (p = strcasestr(p, "password")) != NULL;) {
        p += 8;
        const char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '=')
            continue;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        size_t n;
        if (*q == '\'') {
            q++;
            n = strcspn(q, "'");
        } else {
            n = strcspn(q, "& \t\n");
        }
        secrets_add(sec, q, n);
    }
}

/* Replaces each secret found in msg (a buffer of PGCDC_ERROR_MAX bytes). */
static void scrub(char *msg, const secrets *sec)
{
    static const char mask[] = "********";
    for (int i = 0; i < sec->n; i++) {
        const char *s = sec->s[i];
        size_t sl = strlen(s);
        /* Shorter strings would match by chance and garble messages; by
         * construction no message quotes a secret anyway. */
        if (sl < 3)
            continue;
        char out[PGCDC_ERROR_MAX];
        size_t o = 0;
        const char *p = msg, *hit;
        while ((hit = strstr(p, s)) != NULL) {
            size_t pre = (size_t)(hit - p);
            if (o + pre + sizeof mask >= sizeof out)
                break;
            memcpy(out + o, p, pre);
            o += pre;
            memcpy(out + o, mask, sizeof mask - 1);
            o += sizeof mask - 1;
            p = hit + sl;
        }
        if (p == msg)
            continue;
        if (strstr(p, s)) { /* no room left: cut the message here */
            out[o] = '\0';
        } else {
            snprintf(out + o, sizeof out - o, "%s", p);
        }
        memcpy(msg, out, sizeof out);
    }
}

static void config_secrets(const pgcdc_source_config *cfg, secrets *sec)
{
    if (cfg->password)
        secrets_add(sec, cfg->password, strlen(cfg->password));
    for (int i = 0; i < cfg->nparams; i++)
        if (strstr(cfg->keys[i], "password"))
            secrets_add(sec, cfg->values[i], strlen(cfg->values[i]));
    url_secrets(cfg->url, sec);
}

/* ---- checks shared by every URL form ------------------------------------ */

/* Each non-empty entry of a comma list of ports must be 1..65535 (an empty
 * entry means the default port in libpq). */
static pgcdc_code check_ports(const char *ports, pgcdc_error *err)
{
    const char *p = ports;
    for (;;) {
        size_t n = strcspn(p, ",");
        if (n > 0) {
            long v = all_digits(p, n) && n <= 6 ? strtol(p, NULL, 10) : -1;
            if (v < 1 || v > 65535) {
                if (all_digits(p, n) && n <= 20)
                    return pgcdc_error_set(err, PGCDC_EINVAL,
                                           "%s: port %.*s is out of range; use a number from 1 to 65535 "
                                           "(PostgreSQL's default is 5432)", P_URL, (int)n, p);
                return pgcdc_error_set(err, PGCDC_EINVAL,
                                       "%s: a port is not a number; use a number from 1 to 65535 "
                                       "(PostgreSQL's default is 5432)", P_URL);
            }
        }
        if (!p[n])
            return PGCDC_OK;
        p += n + 1;
    }
}

static int count_items(const char *s)
{
    int n = 1;
    for (; *s; s++)
        n += *s == ',';
    return n;
}

/* A readable regular file, or (root certificates only) libpq's special
 * "system": its CA store, libpq 16+. */
static pgcdc_code check_cert_file(const char *what, const char *path, bool allow_system, pgcdc_error *err)
{
    if (allow_system && strcmp(path, "system") == 0)
        return PGCDC_OK;
    struct stat st;
    const char *shown = echoable(path) ? path : "(the given path)";
    if (stat(path, &st) != 0)
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "%s: file \"%s\" cannot be read (%s); give the path of the server's root "
                               "certificate file (PEM) or paste the PEM text itself, beginning with "
                               "-----BEGIN CERTIFICATE-----", what, shown, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s: \"%s\" is not a regular file; give the path of the "
                               "server's root certificate file (PEM)", what, shown);
    if (access(path, R_OK) != 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s: file \"%s\" is not readable by this process (%s); "
                               "fix its permissions", what, shown, strerror(errno));
    return PGCDC_OK;
}

/* Normalises and checks the pairs from any URL form. */
static pgcdc_code check_pairs(kvlist *l, pgcdc_error *err)
{
    pgcdc_code rc;
    if (kv_get(l, "replication"))
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s: remove \"replication\": the connector opens "
                               "replication connections itself where it needs them", P_URL);
    const char *mode = kv_get(l, "sslmode");
    if (mode) {
        const char *norm = pgcdc_sslmode_normalize(mode);
        if (!norm) {
            if (echoable(mode))
                return pgcdc_error_set(err, PGCDC_EINVAL, "%s: sslmode \"%s\" is not valid; use one of %s",
                                       P_URL, mode, SSLMODE_LIST);
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: sslmode is not valid; use one of %s", P_URL,
                                   SSLMODE_LIST);
        }
        if ((rc = kv_put(l, "sslmode", norm, err)) != PGCDC_OK)
            return rc;
    }
    const char *ports = kv_get(l, "port");
    if (ports && (rc = check_ports(ports, err)) != PGCDC_OK)
        return rc;
    const char *hosts = kv_get(l, "host") ? kv_get(l, "host") : kv_get(l, "hostaddr");
    if (hosts && ports) {
        int nh = count_items(hosts), np = count_items(ports);
        if (np != 1 && np != nh)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s names %d hosts but %d ports; give one port for "
                                   "all hosts or one per host", P_URL, nh, np);
    }
    static const char *const files[] = {"sslrootcert", "sslcert", "sslkey"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        const char *f = kv_get(l, files[i]);
        char what[96];
        snprintf(what, sizeof what, "%s (%s)", P_URL, files[i]);
        if (f && (rc = check_cert_file(what, f, i == 0, err)) != PGCDC_OK)
            return rc;
    }
    return PGCDC_OK;
}

/* ---- libpq URI and keyword string --------------------------------------- */

static pgcdc_code parse_libpq(const char *url, kvlist *out, pgcdc_error *err)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &errmsg);
    if (!opts) {
        char msg[PGCDC_ERROR_MAX - 200];
        snprintf(msg, sizeof msg, "%s", errmsg ? errmsg : "out of memory");
        size_t n = strlen(msg);
        while (n > 0 && isspace((unsigned char)msg[n - 1]))
            msg[--n] = '\0';
        PQfreemem(errmsg);
        /* The caller scrubs secrets from this message (libpq may quote a URI whole). */
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s is not a valid libpq %s: %s", P_URL,
                               strstr(url, "://") ? "URI" : "keyword string", msg);
    }
    pgcdc_code rc = PGCDC_OK;
    for (PQconninfoOption *o = opts; o->keyword && rc == PGCDC_OK; o++)
        if (o->val && o->val[0])
            rc = kv_put(out, o->keyword, o->val, err);
    PQconninfoFree(opts);
    return rc;
}

/* ---- JDBC URL ------------------------------------------------------------ */

/* What a JDBC property becomes. The JDBC driver's own tuning properties
 * (statement caches, fetch sizes, logging, Java socket factories...) tune a
 * driver pgcdc does not use: they are accepted with a warning so a URL copied
 * from Openflow keeps working. A property that is neither a JDBC one nor a
 * libpq keyword is an error: it is most likely a typo of something that
 * matters (sslmode, say), and silently ignoring it would connect differently
 * from what the user asked for. */
typedef enum {
    JP_MAP,       /* same meaning under the libpq name */
    JP_SSL,       /* ssl=true: sslmode=verify-full unless sslmode is given (JDBC's rule) */
    JP_TARGET,    /* targetServerType -> target_session_attrs */
    JP_BOOL01,    /* true/false -> 1/0 (tcpKeepAlive -> keepalives) */
    JP_LOADBAL,   /* loadBalanceHosts true/false -> load_balance_hosts random/disable */
    JP_IGNORE,    /* JDBC-only: warn and ignore */
    JP_REJECT,    /* would break the connector */
} jp_kind;

typedef struct jdbc_prop {
    const char *name;
    jp_kind kind;
    const char *libpq; /* JP_MAP etc.: the libpq keyword; JP_IGNORE/REJECT: why */
} jdbc_prop;

#define DRIVER_ONLY "it tunes the Java driver, which pgcdc does not use"

static const jdbc_prop jdbc_props[] = {
    {"user", JP_MAP, "user"},
    {"password", JP_MAP, "password"},
    {"sslmode", JP_MAP, "sslmode"},
    {"ssl", JP_SSL, "sslmode"},
    {"sslrootcert", JP_MAP, "sslrootcert"},
    {"sslcert", JP_MAP, "sslcert"},
    {"sslkey", JP_MAP, "sslkey"},  /* libpq wants PEM where the JDBC driver wants PKCS-8 DER */
    {"sslpassword", JP_MAP, "sslpassword"},
    {"connectTimeout", JP_MAP, "connect_timeout"},
    {"loginTimeout", JP_MAP, "connect_timeout"},
    {"ApplicationName", JP_MAP, "application_name"},
    {"options", JP_MAP, "options"},
    {"gssEncMode", JP_MAP, "gssencmode"},
    {"kerberosServerName", JP_MAP, "krbsrvname"},
    {"channelBinding", JP_MAP, "channel_binding"},
    {"sslNegotiation", JP_MAP, "sslnegotiation"},
    {"targetServerType", JP_TARGET, "target_session_attrs"},
    {"tcpKeepAlive", JP_BOOL01, "keepalives"},
    {"loadBalanceHosts", JP_LOADBAL, "load_balance_hosts"},
    {"currentSchema", JP_IGNORE, "tables are always named with their schema, so the search path does not matter"},
    {"readOnly", JP_IGNORE, "the connector only reads from the source anyway"},
    {"socketTimeout", JP_IGNORE, "the connector times its reads itself and keeps the stream alive"},
    {"replication", JP_REJECT, "the connector opens replication connections itself where it needs them"},
    {"loggerLevel", JP_IGNORE, DRIVER_ONLY},
    {"loggerFile", JP_IGNORE, DRIVER_ONLY},
    {"prepareThreshold", JP_IGNORE, DRIVER_ONLY},
    {"preparedStatementCacheQueries", JP_IGNORE, DRIVER_ONLY},
    {"preparedStatementCacheSizeMiB", JP_IGNORE, DRIVER_ONLY},
    {"defaultRowFetchSize", JP_IGNORE, DRIVER_ONLY},
    {"binaryTransfer", JP_IGNORE, DRIVER_ONLY},
    {"binaryTransferEnable", JP_IGNORE, DRIVER_ONLY},
    {"binaryTransferDisable", JP_IGNORE, DRIVER_ONLY},
    {"stringtype", JP_IGNORE, DRIVER_ONLY},
    {"readOnlyMode", JP_IGNORE, DRIVER_ONLY},
    {"assumeMinServerVersion", JP_IGNORE, DRIVER_ONLY},
    {"reWriteBatchedInserts", JP_IGNORE, DRIVER_ONLY},
    {"sslfactory", JP_IGNORE, DRIVER_ONLY},
    {"sslfactoryarg", JP_IGNORE, DRIVER_ONLY},
    {"sslhostnameverifier", JP_IGNORE, DRIVER_ONLY},
    {"sslpasswordcallback", JP_IGNORE, DRIVER_ONLY},
    {"sslResponseTimeout", JP_IGNORE, DRIVER_ONLY},
    {"protocolVersion", JP_IGNORE, DRIVER_ONLY},
    {"logUnclosedConnections", JP_IGNORE, DRIVER_ONLY},
    {"cancelSignalTimeout", JP_IGNORE, DRIVER_ONLY},
    {"hostRecheckSeconds", JP_IGNORE, DRIVER_ONLY},
    {"jaasApplicationName", JP_IGNORE, DRIVER_ONLY},
    {"jaasLogin", JP_IGNORE, DRIVER_ONLY},
    {"gsslib", JP_IGNORE, DRIVER_ONLY},
    {"sspiServiceClass", JP_IGNORE, DRIVER_ONLY},
    {"useSpnego", JP_IGNORE, DRIVER_ONLY},
    {"unknownLength", JP_IGNORE, DRIVER_ONLY},
    {"autosave", JP_IGNORE, DRIVER_ONLY},
    {"cleanupSavepoints", JP_IGNORE, DRIVER_ONLY},
    {"preferQueryMode", JP_IGNORE, DRIVER_ONLY},
    {"disableColumnSanitiser", JP_IGNORE, DRIVER_ONLY},
    {"escapeSyntaxCallMode", JP_IGNORE, DRIVER_ONLY},
    {"maxResultBuffer", JP_IGNORE, DRIVER_ONLY},
    {"adaptiveFetch", JP_IGNORE, DRIVER_ONLY},
    {"adaptiveFetchMinimum", JP_IGNORE, DRIVER_ONLY},
    {"adaptiveFetchMaximum", JP_IGNORE, DRIVER_ONLY},
    {"receiveBufferSize", JP_IGNORE, DRIVER_ONLY},
    {"sendBufferSize", JP_IGNORE, DRIVER_ONLY},
    {"maxSendBufferSize", JP_IGNORE, DRIVER_ONLY},
    {"allowEncodingChanges", JP_IGNORE, DRIVER_ONLY},
    {"databaseMetadataCacheFields", JP_IGNORE, DRIVER_ONLY},
    {"databaseMetadataCacheFieldsMiB", JP_IGNORE, DRIVER_ONLY},
    {"logServerErrorDetail", JP_IGNORE, DRIVER_ONLY},
    {"quoteReturningIdentifiers", JP_IGNORE, DRIVER_ONLY},
    {"groupStartupParameters", JP_IGNORE, DRIVER_ONLY},
    {"hideUnprivilegedObjects", JP_IGNORE, DRIVER_ONLY},
    {"xmlFactoryFactory", JP_IGNORE, DRIVER_ONLY},
    {"socketFactory", JP_IGNORE, DRIVER_ONLY},
    {"socketFactoryArg", JP_IGNORE, DRIVER_ONLY},
    {"authenticationPluginClassName", JP_IGNORE, DRIVER_ONLY},
    {"localSocketAddress", JP_IGNORE, DRIVER_ONLY},
    {"tcpNoDelay", JP_IGNORE, DRIVER_ONLY},
    {"charSet", JP_IGNORE, DRIVER_ONLY},
    {"compatible", JP_IGNORE, DRIVER_ONLY},
};
#define NJDBC_PROPS (sizeof jdbc_props / sizeof jdbc_props[0])

/* JDBC property names are matched without regard to case: the driver itself
 * would silently ignore "sslMode", which is never what the user meant. */
static const jdbc_prop *find_jdbc_prop(const char *name)
{
    for (size_t i = 0; i < NJDBC_PROPS; i++)
        if (strcasecmp(name, jdbc_props[i].name) == 0)
            return &jdbc_props[i];
    return NULL;
}

/* The libpq keyword (as libpq spells it) matching name, or NULL. Asks the
 * linked libpq, so keywords of newer versions pass when it knows them. */
static char *find_libpq_keyword(const char *name, const char **suggest_out, char *suggest_buf, size_t bufsz)
{
    PQconninfoOption *defs = PQconndefaults();
    char *found = NULL;
    int bestd = 1000;
    for (PQconninfoOption *o = defs; o && o->keyword; o++) {
        if (strcasecmp(o->keyword, name) == 0) {
            found = strdup(o->keyword);
            break;
        }
        int d = pgcdc_edit_distance(name, o->keyword);
        if (d < bestd && suggest_buf) {
            bestd = d;
            snprintf(suggest_buf, bufsz, "%s", o->keyword);
        }
    }
    if (suggest_out)
        *suggest_out = (!found && bestd <= (int)strlen(name) / 3 + 1) ? suggest_buf : NULL;
    PQconninfoFree(defs);
    return found;
}

static bool parse_bool(const char *v, bool *out)
{
    if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return true;
    }
    if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0) {
        *out = false;
        return true;
    }
    return false;
}

/* JDBC's targetServerType checks transaction_read_only, which is what libpq's
 * read-write / read-only test; JDBC's "preferPrimary" has no libpq
 * counterpart, "any" is the closest (and logical replication needs a primary
 * before PostgreSQL 16 anyway). */
static const char *map_target(const char *v)
{
    static const char *const map[][2] = {
        {"any", "any"},
        {"primary", "read-write"},          {"master", "read-write"},
        {"secondary", "read-only"},         {"slave", "read-only"},
        {"preferSecondary", "prefer-standby"}, {"preferSlave", "prefer-standby"},
        {"preferStandby", "prefer-standby"}, {"standby", "standby"},
        {"preferPrimary", "any"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(v, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

static pgcdc_code jdbc_property(const char *key, const char *val, kvlist *out, const char *warn, const char **ssl_flag,
                                pgcdc_error *err)
{
    const jdbc_prop *jp = find_jdbc_prop(key);
    if (!jp) {
        const char *sugg = NULL;
        char buf[64];
        char *kw = find_libpq_keyword(key, &sugg, buf, sizeof buf);
        if (kw) {
            pgcdc_code rc = val[0] ? kv_put(out, kw, val, err) : PGCDC_OK;
            free(kw);
            return rc; /* check_pairs refuses "replication" */
        }
        /* Suggest from both vocabularies: JDBC's first (the user wrote a JDBC URL). */
        const char *jnames[NJDBC_PROPS];
        for (size_t i = 0; i < NJDBC_PROPS; i++)
            jnames[i] = jdbc_props[i].name;
        const char *js = pgcdc_closest_name(key, jnames, NJDBC_PROPS);
        if (js)
            sugg = js;
        const char *shown = echoable(key) ? key : "(unprintable)";
        if (sugg)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: unknown property \"%s\" (did you mean \"%s\"?)",
                                   P_URL, shown, sugg);
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s: unknown property \"%s\"; use PostgreSQL JDBC driver "
                               "properties (sslmode, ApplicationName, ...) or libpq keywords", P_URL, shown);
    }
    /* An empty value means "not set", as for the parameters; only a bare
     * "ssl" means something (true, in the JDBC driver). */
    if (!val[0] && jp->kind != JP_SSL)
        return PGCDC_OK;
    bool b;
    switch (jp->kind) {
    case JP_MAP:
        if (warn && strcmp(jp->libpq, "sslkey") == 0 && strlen(val) > 4 &&
            (strcasecmp(val + strlen(val) - 4, ".pk8") == 0 || strcasecmp(val + strlen(val) - 4, ".der") == 0))
            pgcdc_log(PGCDC_LOG_WARN, "%s: sslkey looks like the JDBC driver's PKCS-8 DER key; libpq needs PEM: "
                      "convert it with openssl pkcs8 -inform DER -in key.pk8 -out key.pem", warn);
        return kv_put(out, jp->libpq, val, err);
    case JP_SSL:
        if (val[0] && !parse_bool(val, &b))
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: property ssl must be true or false", P_URL);
        *ssl_flag = (!val[0] || b) ? "verify-full" : NULL;
        return PGCDC_OK;
    case JP_TARGET: {
        const char *t = map_target(val);
        if (!t)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: targetServerType \"%s\" is not valid; use any, "
                                   "primary, secondary or preferSecondary", P_URL,
                                   echoable(val) ? val : "(unprintable)");
        if (warn && strcasecmp(val, "preferPrimary") == 0)
            pgcdc_log(PGCDC_LOG_WARN, "%s: targetServerType=preferPrimary has no libpq counterpart; "
                      "using target_session_attrs=any", warn);
        return kv_put(out, jp->libpq, t, err);
    }
    case JP_BOOL01:
    case JP_LOADBAL:
        if (!parse_bool(val, &b))
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: property %s must be true or false", P_URL, jp->name);
        if (jp->kind == JP_BOOL01)
            return kv_put(out, jp->libpq, b ? "1" : "0", err);
        return kv_put(out, jp->libpq, b ? "random" : "disable", err);
    case JP_IGNORE:
        if (warn)
            pgcdc_log(PGCDC_LOG_WARN, "%s: JDBC property %s is ignored: %s", warn, jp->name, jp->libpq);
        return PGCDC_OK;
    case JP_REJECT:
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s: remove property %s: %s", P_URL, jp->name, jp->libpq);
    }
    return PGCDC_OK;
}

/* One "host", "host:port", "[v6]" or "[v6]:port" of the host list. */
static pgcdc_code jdbc_host(const char *s, size_t n, pgcdc_buf *hosts, pgcdc_buf *ports, pgcdc_error *err)
{
    const char *host = s, *port = NULL;
    size_t hlen = n, plen = 0;
    if (n == 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s names no host; expected jdbc:postgresql://host:5432/database",
                               P_URL);
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);
        if (!close)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: an IPv6 address lacks its closing ']'; write it as "
                                   "[::1]:5432", P_URL);
        host = s + 1;
        hlen = (size_t)(close - host);
        size_t rest = n - (size_t)(close + 1 - s);
        if (rest > 0) {
            if (close[1] != ':')
                return pgcdc_error_set(err, PGCDC_EINVAL, "%s: after an IPv6 address in brackets only "
                                       "\":port\" may follow", P_URL);
            port = close + 2;
            plen = rest - 1;
        }
        if (hlen == 0)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: empty IPv6 address \"[]\"", P_URL);
    } else {
        const char *colon = memchr(s, ':', n);
        if (colon) {
            if (memchr(colon + 1, ':', n - (size_t)(colon + 1 - s)))
                return pgcdc_error_set(err, PGCDC_EINVAL, "%s: an IPv6 address must be in brackets, e.g. "
                                       "jdbc:postgresql://[::1]:5432/database", P_URL);
            hlen = (size_t)(colon - s);
            port = colon + 1;
            plen = n - hlen - 1;
        }
        if (hlen == 0)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s names no host before the port; expected "
                                   "jdbc:postgresql://host:5432/database", P_URL);
    }
    if (port) {
        if (plen == 0)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: the port after \"%.*s:\" is empty; use a number "
                                   "from 1 to 65535 or leave out the ':'", P_URL, (int)(hlen < 64 ? hlen : 64), host);
        /* The port text is not quoted back unless it is digits: a password
         * holding an unencoded '/' would put part of itself here. */
        if (!all_digits(port, plen))
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: the port of host \"%.*s\" is not a number; use a "
                                   "number from 1 to 65535 (PostgreSQL's default is 5432)", P_URL,
                                   (int)(hlen < 64 ? hlen : 64), host);
        char pbuf[32];
        snprintf(pbuf, sizeof pbuf, "%.*s", (int)(plen < 31 ? plen : 31), port);
        pgcdc_code rc = check_ports(pbuf, err);
        if (rc != PGCDC_OK)
            return rc;
    }
    if (hosts->len) {
        pgcdc_buf_putc(hosts, ',');
        pgcdc_buf_putc(ports, ',');
    }
    pgcdc_buf_append(hosts, host, hlen);
    if (port)
        pgcdc_buf_append(ports, port, plen);
    else
        pgcdc_buf_puts(ports, DEFAULT_PORT);
    return PGCDC_OK;
}

/* jdbc:postgresql://host[:port][,host2[:port2]...][/database][?key=value&...]
 * Also accepted, as a convenience the JDBC driver does not offer:
 * user[:password]@ before the hosts. Not accepted: jdbc:postgresql:database
 * (no host; the driver would mean localhost, which is not where a connector's
 * source is) - the message says what form to use. */
static pgcdc_code parse_jdbc(const char *url, kvlist *out, const char *warn, pgcdc_error *err)
{
    static const char prefix[] = "jdbc:postgresql:";
    if (strncasecmp(url, prefix, sizeof prefix - 1) != 0) {
        size_t n = strcspn(url + 5, ":/?");
        char scheme[40];
        snprintf(scheme, sizeof scheme, "jdbc:%.*s", (int)(n < 30 ? n : 30), url + 5);
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s: \"%s\" is not a PostgreSQL JDBC URL; expected "
                               "jdbc:postgresql://host:5432/database", P_URL, echoable(scheme) ? scheme : "jdbc:?");
    }
    const char *p = url + sizeof prefix - 1;
    if (strncmp(p, "//", 2) != 0)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s: expected \"//\" and a host after jdbc:postgresql:, as in "
                               "jdbc:postgresql://host:5432/database", P_URL);
    p += 2;
    const char *q = strchr(p, '?');
    size_t server_len = q ? (size_t)(q - p) : strlen(p);
    if (memchr(p, '#', server_len) || (q && strchr(q, '#')))
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s: '#' is not allowed; %%-encode it as %%23", P_URL);

    const char *ssl_flag = NULL;
    pgcdc_code rc = PGCDC_OK;

    /* user info: up to the last '@' before the query (a password may hold '@' or '/'). */
    const char *at = NULL;
    for (size_t i = 0; i < server_len; i++)
        if (p[i] == '@')
            at = p + i;
    if (at) {
        size_t ulen = (size_t)(at - p);
        const char *colon = memchr(p, ':', ulen);
        size_t nlen = colon ? (size_t)(colon - p) : ulen;
        char *user = pct_decode(p, nlen, false);
        if (!user)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: the user name has an invalid %%-escape", P_URL);
        if (nlen > 0)
            rc = kv_put(out, "user", user, err);
        free(user);
        if (rc == PGCDC_OK && colon) {
            char *pw = pct_decode(colon + 1, ulen - nlen - 1, false);
            if (!pw)
                return pgcdc_error_set(err, PGCDC_EINVAL, "%s: the password has an invalid %%-escape", P_URL);
            rc = kv_put(out, "password", pw, err);
            free(pw);
        }
        if (rc != PGCDC_OK)
            return rc;
        server_len -= (size_t)(at + 1 - p);
        p = at + 1;
    }

    /* hosts, then /database */
    const char *slash = memchr(p, '/', server_len);
    size_t hosts_len = slash ? (size_t)(slash - p) : server_len;
    pgcdc_buf hosts = PGCDC_BUF_INIT, ports = PGCDC_BUF_INIT;
    size_t i = 0;
    while (rc == PGCDC_OK) {
        /* a comma inside brackets cannot occur in an IPv6 address, so split plainly */
        const char *comma = memchr(p + i, ',', hosts_len - i);
        size_t n = comma ? (size_t)(comma - (p + i)) : hosts_len - i;
        rc = jdbc_host(p + i, n, &hosts, &ports, err);
        if (!comma)
            break;
        i += n + 1;
    }
    if (rc == PGCDC_OK && (!hosts.data || !ports.data))
        rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while reading %s", P_URL);
    if (rc == PGCDC_OK)
        rc = kv_put(out, "host", hosts.data, err);
    if (rc == PGCDC_OK)
        rc = kv_put(out, "port", ports.data, err);
    pgcdc_buf_free(&hosts);
    pgcdc_buf_free(&ports);
    if (rc != PGCDC_OK)
        return rc;
    if (slash) {
        size_t dlen = server_len - hosts_len - 1;
        if (memchr(slash + 1, '/', dlen))
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: a database name cannot hold '/'; expected "
                                   "jdbc:postgresql://host:5432/database", P_URL);
        char *db = pct_decode(slash + 1, dlen, true);
        if (!db)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s: the database name has an invalid %%-escape", P_URL);
        if (db[0])
            rc = kv_put(out, "dbname", db, err);
        free(db);
        if (rc != PGCDC_OK)
            return rc;
    }

    /* ?key=value&key=value: later ones win, as in the JDBC driver */
    for (const char *t = q ? q + 1 : NULL; t && *t && rc == PGCDC_OK;) {
        size_t tl = strcspn(t, "&");
        const char *eq = memchr(t, '=', tl);
        size_t kl = eq ? (size_t)(eq - t) : tl;
        if (tl > 0) {
            char *key = strndup(t, kl);
            char *val = eq ? pct_decode(eq + 1, tl - kl - 1, true) : strdup("");
            if (!key || !val)
                rc = !key ? pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory while reading %s", P_URL)
                          : pgcdc_error_set(err, PGCDC_EINVAL, "%s: the value of property \"%s\" has an invalid "
                                            "%%-escape", P_URL, echoable(key) ? key : "(unprintable)");
            else if (kl == 0)
                rc = pgcdc_error_set(err, PGCDC_EINVAL, "%s: a property has no name before '='", P_URL);
            else
                rc = jdbc_property(key, val, out, warn, &ssl_flag, err);
            free(key);
            free(val);
        }
        t += tl;
        if (*t == '&')
            t++;
    }
    if (rc == PGCDC_OK && ssl_flag && !kv_get(out, "sslmode"))
        rc = kv_put(out, "sslmode", ssl_flag, err);
    return rc;
}

/* ---- URL dispatch ------------------------------------------------------- */

static pgcdc_code parse_url(const char *url, kvlist *out, const char *warn, pgcdc_error *err)
{
    pgcdc_code rc;
    if (strncasecmp(url, "jdbc:", 5) == 0)
        rc = parse_jdbc(url, out, warn, err);
    else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0)
        rc = parse_libpq(url, out, err);
    else if (strstr(url, "://"))
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s has an unknown scheme; use a JDBC URL "
                               "(jdbc:postgresql://host:5432/database) or a libpq URI "
                               "(postgresql://host:5432/database)", P_URL);
    else if (strchr(url, '='))
        rc = parse_libpq(url, out, err);
    else
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s is neither a JDBC URL (jdbc:postgresql://host:5432/database) "
                               "nor a libpq URI (postgresql://host:5432/database) nor a keyword string "
                               "(host=... port=5432 dbname=...)", P_URL);
    if (rc != PGCDC_OK)
        return rc;
    return check_pairs(out, err);
}

/* Recomputes cfg->keys/values from url (NULL: none) and the SSL overrides.
 * On failure cfg is unchanged. */
/* quiet: no warnings (the URL was parsed, and warned about, before) */
static pgcdc_code rebuild(pgcdc_source_config *cfg, const char *url, bool quiet, pgcdc_error *err)
{
    kvlist l = {0};
    pgcdc_code rc = PGCDC_OK;
    if (url)
        rc = parse_url(url, &l, quiet ? NULL : cfg->url_param ? cfg->url_param : P_URL, err);
    if (rc == PGCDC_OK && cfg->ssl_mode)
        rc = kv_put(&l, "sslmode", cfg->ssl_mode, err);
    if (rc == PGCDC_OK && cfg->ssl_root_cert)
        rc = kv_put(&l, "sslrootcert", cfg->ssl_root_cert, err);
    if (rc != PGCDC_OK) {
        kv_free(&l);
        return rc;
    }
    for (int i = 0; i < cfg->nparams; i++) {
        free(cfg->keys[i]);
        pgcdc_secret_free(cfg->values[i]); /* a value may be a password */
        cfg->keys[i] = cfg->values[i] = NULL;
    }
    cfg->nparams = l.n;
    for (int i = 0; i < l.n; i++) {
        cfg->keys[i] = l.k[i];
        cfg->values[i] = l.v[i];
    }
    return PGCDC_OK;
}

/* ---- SSL Root Certificate ----------------------------------------------- */

static void remove_root_cert_tmp(pgcdc_source_config *cfg)
{
    if (cfg->root_cert_tmp) {
        unlink(cfg->root_cert_tmp);
        free(cfg->root_cert_tmp);
        cfg->root_cert_tmp = NULL;
    }
}

/* Writes PEM text to a new private (0600) temp file; libpq wants a path. */
static pgcdc_code write_pem(const char *pem, char **path_out, pgcdc_error *err)
{
    if (!strstr(pem, "-----END"))
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s: the PEM text has no \"-----END ...-----\" line; paste "
                               "the whole certificate", PGCDC_P_SSL_ROOT_CERT);
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char *path = NULL;
    if (asprintf(&path, "%s/pgcdc-rootcert-XXXXXX", dir) < 0)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    int fd = mkstemp(path); /* mode 0600 */
    if (fd < 0) {
        pgcdc_code rc = pgcdc_error_set(err, PGCDC_EIO, "%s: cannot create a temporary file in %s for the "
                                        "certificate: %s", PGCDC_P_SSL_ROOT_CERT, dir, strerror(errno));
        free(path);
        return rc;
    }
    size_t len = strlen(pem);
    bool ok = fchmod(fd, 0600) == 0;
    for (size_t off = 0; ok && off < len;) {
        ssize_t w = write(fd, pem + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    ok = ok && write(fd, "\n", 1) == 1;
    int saved = errno;
    if (close(fd) != 0)
        ok = false;
    if (!ok) {
        unlink(path);
        free(path);
        return pgcdc_error_set(err, PGCDC_EIO, "%s: cannot write the certificate to a temporary file in %s: %s",
                               PGCDC_P_SSL_ROOT_CERT, dir, strerror(saved));
    }
    *path_out = path;
    return PGCDC_OK;
}

static pgcdc_code set_root_cert(pgcdc_source_config *cfg, const char *val, pgcdc_error *err)
{
    char *old_path = cfg->ssl_root_cert, *old_tmp = cfg->root_cert_tmp;
    char *path = NULL, *tmp = NULL;
    pgcdc_code rc;
    if (!val) {
        /* cleared */
    } else if (strncmp(val, "-----BEGIN", 10) == 0) {
        if ((rc = write_pem(val, &tmp, err)) != PGCDC_OK)
            return rc;
        path = strdup(tmp);
    } else {
        if ((rc = check_cert_file(PGCDC_P_SSL_ROOT_CERT, val, true, err)) != PGCDC_OK)
            return rc;
        path = strdup(val);
    }
    if (val && !path) {
        if (tmp)
            unlink(tmp);
        free(tmp);
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    }
    cfg->ssl_root_cert = path;
    cfg->root_cert_tmp = tmp;
    rc = rebuild(cfg, cfg->url, true, err);
    if (rc != PGCDC_OK) { /* cannot happen for a URL that parsed before, but keep cfg whole */
        cfg->ssl_root_cert = old_path;
        cfg->root_cert_tmp = old_tmp;
        free(path);
        if (tmp)
            unlink(tmp);
        free(tmp);
        return rc;
    }
    free(old_path);
    if (old_tmp)
        unlink(old_tmp);
    free(old_tmp);
    return PGCDC_OK;
}

/* ---- public API ---------------------------------------------------------- */

void pgcdc_source_config_init(pgcdc_source_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

void pgcdc_source_config_free(pgcdc_source_config *cfg)
{
    if (!cfg)
        return;
    /* secrets are wiped, not just freed: a value may be a password, the URL
     * may hold one */
    for (int i = 0; i < cfg->nparams; i++) {
        free(cfg->keys[i]);
        pgcdc_secret_free(cfg->values[i]);
    }
    free(cfg->username);
    pgcdc_secret_free(cfg->password);
    free(cfg->publication);
    free(cfg->slot_name);
    pgcdc_secret_free(cfg->url);
    free(cfg->ssl_mode);
    free(cfg->ssl_root_cert);
    remove_root_cert_tmp(cfg);
    memset(cfg, 0, sizeof *cfg);
}

const char *pgcdc_source_config_get(const pgcdc_source_config *cfg, const char *key)
{
    for (int i = 0; i < cfg->nparams; i++)
        if (strcmp(cfg->keys[i], key) == 0)
            return cfg->values[i];
    return NULL;
}

/* Replication slot names: what PostgreSQL's ReplicationSlotValidateName allows. */
static bool slot_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_BYTES)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* Replaces *field by val (NULL: unset). */
static pgcdc_code set_string(char **field, const char *val, pgcdc_error *err)
{
    char *copy = NULL;
    if (val && !(copy = strdup(val)))
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    free(*field);
    *field = copy;
    return PGCDC_OK;
}

static pgcdc_code set_param(pgcdc_source_config *cfg, const char *pname, const char *val, pgcdc_error *err)
{
    pgcdc_code rc;
    if (strcmp(pname, PGCDC_P_CONNECTION_URL) == 0) {
        if ((rc = rebuild(cfg, val, false, err)) != PGCDC_OK)
            return rc;
        char *old = cfg->url;
        cfg->url = NULL;
        if ((rc = set_string(&cfg->url, val, err)) != PGCDC_OK) {
            cfg->url = old;
            return rc;
        }
        pgcdc_secret_free(old);
        return PGCDC_OK;
    }
    if (strcmp(pname, PGCDC_P_USERNAME) == 0)
        return set_string(&cfg->username, val, err);
    if (strcmp(pname, PGCDC_P_SSL_MODE) == 0) {
        const char *norm = val ? pgcdc_sslmode_normalize(val) : NULL;
        if (val && !norm) {
            if (echoable(val))
                return pgcdc_error_set(err, PGCDC_EINVAL, "%s \"%s\" is not valid; use one of %s",
                                       PGCDC_P_SSL_MODE, val, SSLMODE_LIST);
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s is not valid; use one of %s", PGCDC_P_SSL_MODE,
                                   SSLMODE_LIST);
        }
        char *old = cfg->ssl_mode;
        cfg->ssl_mode = NULL;
        if ((rc = set_string(&cfg->ssl_mode, norm, err)) != PGCDC_OK) {
            cfg->ssl_mode = old;
            return rc;
        }
        if ((rc = rebuild(cfg, cfg->url, true, err)) != PGCDC_OK) {
            free(cfg->ssl_mode);
            cfg->ssl_mode = old;
            return rc;
        }
        free(old);
        return PGCDC_OK;
    }
    if (strcmp(pname, PGCDC_P_SSL_ROOT_CERT) == 0)
        return set_root_cert(cfg, val, err);
    if (strcmp(pname, PGCDC_P_PUBLICATION) == 0) {
        if (val && strlen(val) > NAME_MAX_BYTES)
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s is longer than %d bytes, PostgreSQL's limit for names",
                                   PGCDC_P_PUBLICATION, NAME_MAX_BYTES);
        return set_string(&cfg->publication, val, err);
    }
    if (strcmp(pname, PGCDC_P_SLOT_NAME) == 0) {
        if (val && !slot_name_ok(val))
            return pgcdc_error_set(err, PGCDC_EINVAL, "%s \"%s\" is not valid: use 1 to %d characters of "
                                   "lower-case letters, digits and underscores (e.g. pgcdc_appdb), or leave it "
                                   "blank to have one generated", PGCDC_P_SLOT_NAME,
                                   echoable(val) ? val : "(unprintable)", NAME_MAX_BYTES);
        return set_string(&cfg->slot_name, val, err);
    }
    if (strcmp(pname, PGCDC_P_JDBC_DRIVER) == 0) {
        if (val)
            pgcdc_log(PGCDC_LOG_DEBUG, "%s is ignored: pgcdc reaches PostgreSQL through libpq and needs no "
                      "JDBC driver", PGCDC_P_JDBC_DRIVER);
        return PGCDC_OK;
    }
    return pgcdc_error_set(err, PGCDC_EINVAL, "internal: parameter \"%s\" has no handler", pname);
}

pgcdc_code pgcdc_source_config_set(pgcdc_source_config *cfg, const char *name, const char *value,
                                   pgcdc_error *err)
{
    if (!cfg || !name)
        return pgcdc_error_set(err, PGCDC_EINVAL, "no parameter name given");
    char *tname = trimmed_dup(name);
    if (!tname)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
    /* Openflow's exact names; case and surrounding blanks are forgiven. */
    const char *pname = NULL;
    for (size_t i = 0; i < NPARAM_NAMES; i++)
        if (strcasecmp(tname, param_names[i]) == 0)
            pname = param_names[i];
    pgcdc_code rc;
    bool is_password = pname && strcmp(pname, PGCDC_P_PASSWORD) == 0;
    if (!pname) {
        const char *sugg = pgcdc_closest_name(tname, param_names, NPARAM_NAMES);
        const char *shown = echoable(tname) ? tname : "(unprintable)";
        if (sugg)
            rc = pgcdc_error_set(err, PGCDC_EINVAL, "unknown PostgreSQL source parameter \"%s\" (did you mean "
                                 "\"%s\"?)", shown, sugg);
        else
            rc = pgcdc_error_set(err, PGCDC_EINVAL, "unknown PostgreSQL source parameter \"%s\"; known: %s, %s, "
                                 "%s, %s, %s, %s, %s, %s", shown, param_names[0], param_names[1], param_names[2],
                                 param_names[3], param_names[4], param_names[5], param_names[6], param_names[7]);
    } else if (is_password) {
        /* Taken as given: blanks may be part of a password. */
        if (value && value[0] == '\0')
            value = NULL;
        char *copy = value ? strdup(value) : NULL;
        if (value && !copy) {
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        } else {
            pgcdc_secret_free(cfg->password); /* do not leave the old secret in freed memory */
            cfg->password = copy;
            rc = PGCDC_OK;
        }
    } else {
        char *val = value ? trimmed_dup(value) : NULL;
        if (value && !val) {
            rc = pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory");
        } else {
            rc = set_param(cfg, pname, val && val[0] ? val : NULL, err);
        }
        if (val && strcmp(pname, PGCDC_P_CONNECTION_URL) == 0)
            pgcdc_secret_free(val);
        else
            free(val);
    }
    if (rc != PGCDC_OK && err) {
        secrets sec = {0};
        config_secrets(cfg, &sec);
        if (value) {
            if (!pname || is_password)
                secrets_add(&sec, value, strlen(value)); /* an unknown name may be a misspelt password */
            else if (strcmp(pname, PGCDC_P_CONNECTION_URL) == 0)
                url_secrets(value, &sec);
        }
        scrub(err->message, &sec);
        secrets_free(&sec);
    }
    free(tname);
    return rc;
}

pgcdc_code pgcdc_source_config_validate(const pgcdc_source_config *cfg, pgcdc_error *err)
{
    if (!cfg->url)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s is not set; set it to a JDBC URL such as "
                               "jdbc:postgresql://db.example.com:5432/appdb", P_URL);
    /* A pg_service.conf service may supply host, database and user. */
    bool service = pgcdc_source_config_get(cfg, "service") != NULL;
    const char *user = cfg->username ? cfg->username : pgcdc_source_config_get(cfg, "user");
    if (!service && !pgcdc_source_config_get(cfg, "host") && !pgcdc_source_config_get(cfg, "hostaddr"))
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s names no host; set it to e.g. "
                               "jdbc:postgresql://db.example.com:5432/appdb", P_URL);
    if (!service && !pgcdc_source_config_get(cfg, "dbname"))
        return pgcdc_error_set(err, PGCDC_EINVAL,
                               "%s names no database; add it after the host, e.g. "
                               "jdbc:postgresql://db.example.com:5432/appdb (pgcdc does not guess: the JDBC driver "
                               "and libpq would use the database named like the user%s%s%s, and publications and "
                               "replication slots belong to one database)", P_URL,
                               user && echoable(user) ? ", \"" : "", user && echoable(user) ? user : "",
                               user && echoable(user) ? "\"" : "");
    if (!service && !user)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s is not set and %s names no user; set it to the role that "
                               "replicates (e.g. openflow_user)", PGCDC_P_USERNAME, P_URL);
    const char *mode = pgcdc_source_config_get(cfg, "sslmode");
    if (mode && strncmp(mode, "verify-", 7) == 0 && !pgcdc_source_config_get(cfg, "sslrootcert") &&
        !getenv("PGSSLROOTCERT")) {
        /* libpq's fallback; without it the connection fails with a less helpful message. */
        const char *home = getenv("HOME");
        char path[1024];
        snprintf(path, sizeof path, "%s/.postgresql/root.crt", home ? home : "");
        if (!home || access(path, R_OK) != 0)
            return pgcdc_error_set(err, PGCDC_EINVAL, "sslmode %s checks the server's certificate, so it needs "
                                   "the root certificate that signed it: set %s (a file path or the PEM text)",
                                   mode, PGCDC_P_SSL_ROOT_CERT);
    }
    if (!cfg->publication)
        return pgcdc_error_set(err, PGCDC_EINVAL, "%s is not set; set it to the publication created for the "
                               "connector (CREATE PUBLICATION name FOR TABLE schema.table, ...)", PGCDC_P_PUBLICATION);
    return PGCDC_OK;
}

void pgcdc_source_config_describe(const pgcdc_source_config *cfg, pgcdc_buf *out)
{
    const char *host = pgcdc_source_config_get(cfg, "host");
    if (!host)
        host = pgcdc_source_config_get(cfg, "hostaddr");
    const char *port = pgcdc_source_config_get(cfg, "port");
    const char *db = pgcdc_source_config_get(cfg, "dbname");
    const char *user = cfg->username ? cfg->username : pgcdc_source_config_get(cfg, "user");
    const char *mode = pgcdc_source_config_get(cfg, "sslmode");
    bool has_password = cfg->password || pgcdc_source_config_get(cfg, "password");

    char line[PGCDC_ERROR_MAX];
    snprintf(line, sizeof line, "host=%s port=%s dbname=%s user=%s sslmode=%s%s publication=%s slot=%s",
             host ? host : "(not set)", port ? port : "(default)", db ? db : "(not set)",
             user ? user : "(not set)", mode ? mode : "(default)", has_password ? " password=********" : "",
             cfg->publication ? cfg->publication : "(not set)", cfg->slot_name ? cfg->slot_name : "(generated)");
    /* No secret is formatted above; scrubbing catches a password that is also
     * used as, say, the user name. */
    secrets sec = {0};
    config_secrets(cfg, &sec);
    scrub(line, &sec);
    secrets_free(&sec);
    pgcdc_buf_puts(out, line);
}
