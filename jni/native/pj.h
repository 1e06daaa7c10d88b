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
/* IllegalStateException for a handle that is 0 (closed); returns true if thrown. */
int pj_closed(JNIEnv *env, jlong handle, const char *what);

/* A Java String's UTF-8 bytes (real UTF-8, not JNI's modified form),
 * malloc'd; NULL for a null String, or with an exception pending
 * (*failed set) when memory ran out. */
char *pj_utf8(JNIEnv *env, jstring s, int *failed);
/* A Java String from UTF-8 bytes (invalid sequences replaced, never a crash);
 * NULL with an exception pending. */
jstring pj_string(JNIEnv *env, const char *utf8);
/* new ChangeBatch(bytes, firstLsn, confirmLsn, transactions, changes). */
jobject pj_batch(JNIEnv *env, const pgcdc_buf *bytes, const pgcdc_batch_info *info);

#endif
