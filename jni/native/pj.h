/* pj.h - what the JNI glue files share: the one place native errors become
 * io.pgcdc.jni.PgcdcException, UTF-8 strings both ways, handles as jlong. */
#ifndef PGCDC_PJ_H
#define PGCDC_PJ_H

#include <jni.h>
#include <stdint.h>

#include "pgcdc/connector.h"

/* Native objects travel to Java as their address. */
#define PJ_PTR(type, h) ((type *)(intptr_t)(h))
#define PJ_HANDLE(p) ((jlong)(intptr_t)(p))

/* Throws PgcdcException(code name, message) unless an exception is pending. */
void pj_throw(JNIEnv *env, const pgcdc_error *err);
void pj_throw_code(JNIEnv *env, pgcdc_code code, const char *message);
/* Throws err unless rc is PGCDC_OK; returns whether it is. */
int pj_ok(JNIEnv *env, pgcdc_code rc, const pgcdc_error *err);
/* What an open/begin/create call returns to Java: the new object's handle
 * when rc is PGCDC_OK, else 0 with err thrown. */
jlong pj_opened(JNIEnv *env, pgcdc_code rc, void *obj, const pgcdc_error *err);

/* The native object behind a handle, or NULL with IllegalStateException
 * ("<what> is closed") pending for a handle that is 0 (closed). The Java
 * classes check first; this keeps a 0 from ever being dereferenced. */
void *pj_ptr(JNIEnv *env, jlong handle, const char *what);
/* The configuration behind a ConnectorConfig handle (or its copy). */
#define PJ_CONFIG(env, h) ((pgcdc_connector_config *)pj_ptr(env, h, "ConnectorConfig"))

/* A Java String's UTF-8 bytes (real UTF-8, not JNI's modified form),
 * malloc'd; NULL for a null String, or with an exception pending
 * (*failed set) when memory ran out. */
char *pj_utf8(JNIEnv *env, jstring s, int *failed);
/* Both Strings' UTF-8 (pj_utf8; *ua, *ub NULL for null Strings): 1, or 0
 * with an exception pending. The caller frees both either way. */
int pj_utf8_pair(JNIEnv *env, jstring a, char **ua, jstring b, char **ub);
/* A byte[]'s contents, malloc'd, with *len; NULL with PgcdcException ENOMEM
 * ("out of native memory for <what>") pending. */
uint8_t *pj_bytes(JNIEnv *env, jbyteArray a, size_t *len, const char *what);
/* A Java String from UTF-8 bytes (invalid sequences replaced, never a crash);
 * NULL with an exception pending. */
jstring pj_string(JNIEnv *env, const char *utf8);
/* new ChangeBatch(bytes, firstLsn, confirmLsn, transactions, changes). */
jobject pj_batch(JNIEnv *env, const pgcdc_buf *bytes, const pgcdc_batch_info *info);

#endif
