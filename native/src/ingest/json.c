/* json.c - a strict RFC 8259 parser into an arena-allocated tree.
 *
 * Recursive descent with a depth limit, explicit lengths (an embedded NUL
 * byte in the input is an error, not an end), strict UTF-8, and one shared
 * pointer stack for the children of open containers, so a container costs
 * one arena copy of its child pointers and no malloc of its own. */
#include "pgcdc/json.h"
#include "pgcdc/arena.h"
#include "pgcdc/buf.h"
#include "common/text_safe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pgcdc_json_doc {
    pgcdc_arena arena;
    pgcdc_json *root;
};

typedef struct jp {
    const unsigned char *s;
    size_t len, pos;
    int line;            /* current line, 1-based */
    size_t line_start;   /* offset of its first byte */
    size_t cpos;         /* column cache: offset cpos has column ccol */
    int ccol;
    pgcdc_arena *arena;
    pgcdc_buf str;       /* decoded string being built */
    pgcdc_buf stack;     /* pgcdc_json* of the children of open containers */
    pgcdc_error *err;
} jp;

/* Column of offset pos on the current line, counting UTF-8 characters.
 * Offsets asked for only grow, so the cache makes this linear overall. */
static int column_at(jp *p, size_t pos)
{
    if (p->cpos < p->line_start || p->cpos > pos) {
        p->cpos = p->line_start;
        p->ccol = 1;
    }
    for (; p->cpos < pos; p->cpos++)
        if ((p->s[p->cpos] & 0xC0) != 0x80)
            p->ccol++;
    return p->ccol;
}

__attribute__((format(printf, 3, 4)))
static pgcdc_json *fail(jp *p, size_t pos, const char *fmt, ...)
{
    char what[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    pgcdc_error_set(p->err, PGCDC_EINVAL, "JSON line %d, column %d: %s", p->line, column_at(p, pos), what);
    return NULL;
}

static pgcdc_json *nomem(jp *p)
{
    pgcdc_error_set(p->err, PGCDC_ENOMEM, "out of memory reading JSON");
    return NULL;
}

/* "'x'", "byte 0xC3" or "the end of the input", for messages. */
static const char *show(jp *p, size_t pos, char buf[32])
{
    if (pos >= p->len)
        return "the end of the input";
    unsigned char c = p->s[pos];
    if (c >= 0x20 && c < 0x7F)
        snprintf(buf, 32, "'%c'", c);
    else
        snprintf(buf, 32, "byte 0x%02X", c);
    return buf;
}

static void skip_ws(jp *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c == '\n') {
            p->line++;
            p->line_start = p->pos + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return;
        }
        p->pos++;
    }
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are not). */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static void put_utf8(pgcdc_buf *b, unsigned cp, int *oom)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (pgcdc_buf_append(b, u, n) < 0)
        *oom = 1;
}

/* Four hex digits at pos, or -1. */
static long hex4(jp *p, size_t pos)
{
    if (p->len - pos < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p->s[pos + i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static pgcdc_json *new_node(jp *p, pgcdc_json_type type, size_t pos)
{
    pgcdc_json *v = pgcdc_arena_alloc(p->arena, sizeof *v);
    if (!v)
        return nomem(p);
    memset(v, 0, sizeof *v);
    v->type = type;
    v->line = p->line;
    v->column = column_at(p, pos);
    return v;
}

/* A string at p->pos (the opening quote). */
static pgcdc_json *parse_string(jp *p)
{
    size_t start = p->pos;
    pgcdc_json *v = new_node(p, PGCDC_JSON_STRING, start);
    if (!v)
        return NULL;
    pgcdc_buf_reset(&p->str);
    int oom = 0;
    char shown[32];
    p->pos++;
    for (;;) {
        if (p->pos >= p->len)
            return fail(p, start, "a string is not closed: a '\"' is missing");
        unsigned char c = p->s[p->pos];
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(p, p->pos, "%s inside a string: control characters must be escaped (\\n, \\t, \\u00XX)",
                        show(p, p->pos, shown));
        if (c != '\\') {
            size_t n = utf8_seq(p->s + p->pos, p->len - p->pos);
            if (n == 0)
                return fail(p, p->pos, "%s is not valid UTF-8", show(p, p->pos, shown));
            if (pgcdc_buf_append(&p->str, p->s + p->pos, n) < 0)
                oom = 1;
            p->pos += n;
            continue;
        }
        size_t esc = p->pos;
        unsigned char e = p->pos + 1 < p->len ? p->s[p->pos + 1] : 0;
        static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";
        const char *simple = e ? strchr(esc_in, e) : NULL;
        if (simple) {
            if (pgcdc_buf_putc(&p->str, esc_out[simple - esc_in]) < 0)
                oom = 1;
            p->pos += 2;
            continue;
        }
        if (e != 'u')
            return fail(p, esc, "\\%c is not a JSON escape (use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)",
                        e >= 0x20 && e < 0x7F ? e : '?');
        long cp = hex4(p, p->pos + 2);
        if (cp < 0)
            return fail(p, esc, "\\u must be followed by four hex digits");
        p->pos += 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail(p, esc, "\\u%04lX is a low surrogate without a high surrogate before it", cp);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long lo = p->len - p->pos >= 2 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u' ? hex4(p, p->pos + 2) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return fail(p, esc, "\\u%04lX is a high surrogate not followed by a low surrogate (\\uDC00-\\uDFFF)", cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p->pos += 6;
        }
        put_utf8(&p->str, (unsigned)cp, &oom);
    }
    p->pos++;
    if (oom || !(v->str = pgcdc_arena_strndup(p->arena, p->str.data ? p->str.data : "", p->str.len)))
        return nomem(p);
    v->len = p->str.len;
    return v;
}

static bool is_digit(jp *p, size_t pos)
{
    return pos < p->len && p->s[pos] >= '0' && p->s[pos] <= '9';
}

static pgcdc_json *parse_number(jp *p)
{
    size_t start = p->pos, q = p->pos;
    char shown[32];
    if (p->s[q] == '-')
        q++;
    if (!is_digit(p, q))
        return fail(p, q, "expected a digit after '-', found %s", show(p, q, shown));
    if (p->s[q] == '0') {
        q++;
        if (is_digit(p, q))
            return fail(p, start, "numbers must not have leading zeros");
    } else {
        while (is_digit(p, q))
            q++;
    }
    if (q < p->len && p->s[q] == '.') {
        q++;
        if (!is_digit(p, q))
            return fail(p, q, "expected a digit after the decimal point, found %s", show(p, q, shown));
        while (is_digit(p, q))
            q++;
    }
    if (q < p->len && (p->s[q] == 'e' || p->s[q] == 'E')) {
        q++;
        if (q < p->len && (p->s[q] == '+' || p->s[q] == '-'))
            q++;
        if (!is_digit(p, q))
            return fail(p, q, "expected a digit in the exponent, found %s", show(p, q, shown));
        while (is_digit(p, q))
            q++;
    }
    pgcdc_json *v = new_node(p, PGCDC_JSON_NUMBER, start);
    if (!v)
        return NULL;
    if (!(v->str = pgcdc_arena_strndup(p->arena, (const char *)p->s + start, q - start)))
        return nomem(p);
    v->len = q - start;
    p->pos = q;
    return v;
}

static pgcdc_json *parse_value(jp *p, int depth);

static int push(jp *p, pgcdc_json *v)
{
    return pgcdc_buf_append(&p->stack, &v, sizeof v);
}

/* Moves the n pointers pushed since base into an arena array. */
static pgcdc_json **pop_children(jp *p, size_t base, size_t n)
{
    pgcdc_json **arr = pgcdc_arena_alloc(p->arena, n ? n * sizeof *arr : 1);
    if (arr && n)
        memcpy(arr, p->stack.data + base, n * sizeof *arr);
    p->stack.len = base;
    return arr;
}

static int cmp_keys(const void *a, const void *b)
{
    const pgcdc_json *x = *(pgcdc_json *const *)a, *y = *(pgcdc_json *const *)b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->str, y->str, n);
    if (c)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    /* equal names: the later one sorts last, so it is the one reported */
    return x->line != y->line ? (x->line < y->line ? -1 : 1) : (x->column < y->column ? -1 : x->column > y->column);
}

/* Rejects a repeated member name, naming the second occurrence. */
static pgcdc_json *check_duplicates(jp *p, pgcdc_json *obj)
{
    if (obj->n < 2)
        return obj;
    pgcdc_json **k = malloc(obj->n * sizeof *k);
    if (!k)
        return nomem(p);
    memcpy(k, obj->keys, obj->n * sizeof *k);
    qsort(k, obj->n, sizeof *k, cmp_keys);
    for (size_t i = 1; i < obj->n; i++)
        if (k[i]->len == k[i - 1]->len && memcmp(k[i]->str, k[i - 1]->str, k[i]->len) == 0) {
            char msg[PGCDC_ERROR_MAX];
            snprintf(msg, sizeof msg, "JSON line %d, column %d: the key \"%.*s\" appears twice in one object "
                     "(first at line %d, column %d)", k[i]->line, k[i]->column, PGCDC_UTF8_PREC(k[i]->str, 100), k[i]->str, k[i - 1]->line,
                     k[i - 1]->column);
            free(k);
            pgcdc_error_set(p->err, PGCDC_EINVAL, "%s", msg);
            return NULL;
        }
    free(k);
    return obj;
}

/* An array or object at p->pos ('[' or '{'). */
static pgcdc_json *parse_container(jp *p, int depth)
{
    bool is_obj = p->s[p->pos] == '{';
    char close = is_obj ? '}' : ']';
    char shown[32];
    pgcdc_json *v = new_node(p, is_obj ? PGCDC_JSON_OBJECT : PGCDC_JSON_ARRAY, p->pos);
    if (!v)
        return NULL;
    if (depth >= PGCDC_JSON_MAX_DEPTH)
        return fail(p, p->pos, "nesting is deeper than %d levels", PGCDC_JSON_MAX_DEPTH);
    size_t base = p->stack.len, n = 0;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
    } else {
        for (;;) {
            if (is_obj) {
                if (p->pos >= p->len || p->s[p->pos] != '"')
                    return fail(p, p->pos, "expected a member name in double quotes, found %s", show(p, p->pos, shown));
                pgcdc_json *k = parse_string(p);
                if (!k)
                    return NULL;
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ':')
                    return fail(p, p->pos, "expected ':' after the member name \"%.*s\", found %s",
                                PGCDC_UTF8_PREC(k->str, 100), k->str,
                                show(p, p->pos, shown));
                p->pos++;
                if (push(p, k) < 0)
                    return nomem(p);
            }
            pgcdc_json *item = parse_value(p, depth + 1);
            if (!item)
                return NULL;
            if (push(p, item) < 0)
                return nomem(p);
            n++;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == ',') {
                p->pos++;
                skip_ws(p);
                if (p->pos < p->len && p->s[p->pos] == close)
                    return fail(p, p->pos, "a trailing ',' before '%c' is not allowed", close);
                continue;
            }
            if (p->pos < p->len && p->s[p->pos] == close) {
                p->pos++;
                break;
            }
            return fail(p, p->pos, "expected ',' or '%c' %s, found %s", close,
                        is_obj ? "after an object member" : "after an array element", show(p, p->pos, shown));
        }
    }
    v->n = n;
    if (is_obj) {
        pgcdc_json **pairs = pop_children(p, base, 2 * n);
        v->keys = pgcdc_arena_alloc(p->arena, n ? n * sizeof *v->keys : 1);
        v->items = pgcdc_arena_alloc(p->arena, n ? n * sizeof *v->items : 1);
        if (!pairs || !v->keys || !v->items)
            return nomem(p);
        for (size_t i = 0; i < n; i++) {
            v->keys[i] = pairs[2 * i];
            v->items[i] = pairs[2 * i + 1];
        }
        return check_duplicates(p, v);
    }
    if (!(v->items = pop_children(p, base, n)))
        return nomem(p);
    return v;
}

static pgcdc_json *parse_literal(jp *p, const char *word, pgcdc_json_type type, bool b)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return fail(p, p->pos, "unexpected characters: did you mean %s?", word);
    pgcdc_json *v = new_node(p, type, p->pos);
    if (!v)
        return NULL;
    v->boolean = b;
    p->pos += n;
    return v;
}

static pgcdc_json *parse_value(jp *p, int depth)
{
    char shown[32];
    skip_ws(p);
    if (p->pos >= p->len)
        return fail(p, p->pos, "a value is missing at the end of the input");
    switch (p->s[p->pos]) {
    case '{':
    case '[':
        return parse_container(p, depth);
    case '"':
        return parse_string(p);
    case 't':
        return parse_literal(p, "true", PGCDC_JSON_BOOL, true);
    case 'f':
        return parse_literal(p, "false", PGCDC_JSON_BOOL, false);
    case 'n':
        return parse_literal(p, "null", PGCDC_JSON_NULL, false);
    case '\'':
        return fail(p, p->pos, "strings take double quotes, not single quotes");
    default:
        if (p->s[p->pos] == '-' || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9'))
            return parse_number(p);
        return fail(p, p->pos, "expected a value (object, array, string, number, true, false or null), found %s",
                    show(p, p->pos, shown));
    }
}

pgcdc_code pgcdc_json_parse(const char *text, size_t len, pgcdc_json_doc **out, pgcdc_error *err)
{
    *out = NULL;
    pgcdc_json_doc *doc = malloc(sizeof *doc);
    if (!doc)
        return pgcdc_error_set(err, PGCDC_ENOMEM, "out of memory reading JSON");
    pgcdc_arena_init(&doc->arena, 16 * 1024);
    pgcdc_error local;
    jp p = {.s = (const unsigned char *)(text ? text : ""), .len = text ? len : 0, .line = 1, .ccol = 1,
            .arena = &doc->arena, .str = PGCDC_BUF_INIT, .stack = PGCDC_BUF_INIT, .err = err ? err : &local};
    if (p.len >= 3 && memcmp(p.s, "\xEF\xBB\xBF", 3) == 0) /* RFC 8259 8.1: a BOM may be ignored */
        p.pos = p.line_start = p.cpos = 3;
    doc->root = parse_value(&p, 0);
    if (doc->root) {
        char shown[32];
        skip_ws(&p);
        if (p.pos < p.len)
            doc->root = fail(&p, p.pos, "unexpected %s after the end of the JSON value", show(&p, p.pos, shown));
    }
    pgcdc_buf_free(&p.str);
    pgcdc_buf_free(&p.stack);
    if (!doc->root) {
        pgcdc_code rc = p.err->code;
        pgcdc_json_free(doc);
        return rc;
    }
    *out = doc;
    return PGCDC_OK;
}

const pgcdc_json *pgcdc_json_root(const pgcdc_json_doc *doc)
{
    return doc ? doc->root : NULL;
}

void pgcdc_json_free(pgcdc_json_doc *doc)
{
    if (!doc)
        return;
    pgcdc_arena_free(&doc->arena);
    free(doc);
}

const pgcdc_json *pgcdc_json_member(const pgcdc_json *obj, const char *key)
{
    if (!obj || obj->type != PGCDC_JSON_OBJECT)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->n; i++)
        if (obj->keys[i]->len == n && memcmp(obj->keys[i]->str, key, n) == 0)
            return obj->items[i];
    return NULL;
}

const char *pgcdc_json_type_name(pgcdc_json_type type)
{
    switch (type) {
    case PGCDC_JSON_NULL: return "null";
    case PGCDC_JSON_BOOL: return "a boolean";
    case PGCDC_JSON_NUMBER: return "a number";
    case PGCDC_JSON_STRING: return "a string";
    case PGCDC_JSON_ARRAY: return "an array";
    case PGCDC_JSON_OBJECT: return "an object";
    }
    return "a value";
}

bool pgcdc_json_int64(const pgcdc_json *v, int64_t *out)
{
    if (!v || v->type != PGCDC_JSON_NUMBER || strpbrk(v->str, ".eE"))
        return false;
    const char *s = v->str;
    bool neg = *s == '-';
    s += neg;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, acc = 0;
    for (; *s; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (acc > (limit - d) / 10)
            return false;
        acc = acc * 10 + d;
    }
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return true;
}
