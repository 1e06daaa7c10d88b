/* destination_jni.c - io.pgcdc.jni.Destination. */
#include <stdlib.h>

#include "io_pgcdc_jni_Destination.h"
#include "pj.h"

#define D(env, h) ((pgcdc_destination *)pj_ptr(env, h, "Destination"))

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_Destination_nOpen(JNIEnv *env, jclass cls, jlong cfg)
{
    pgcdc_connector_config *c = PJ_CONFIG(env, cfg);
    if (!c)
        return 0;
    pgcdc_error err;
    pgcdc_destination *d = NULL;
    pgcdc_code rc = pgcdc_destination_open(c, &d, &err);
    return pj_opened(env, rc, d, &err);
}

JNIEXPORT jstring JNICALL Java_io_pgcdc_jni_Destination_nSlotName(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_destination *d = D(env, h);
    return d ? pj_string(env, pgcdc_destination_slot_name(d)) : NULL;
}

JNIEXPORT jobjectArray JNICALL Java_io_pgcdc_jni_Destination_nTables(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_destination *d = D(env, h);
    if (!d)
        return NULL;
    pgcdc_pipeline_table_status *st = NULL;
    size_t n = 0;
    pgcdc_error err;
    if (!pj_ok(env, pgcdc_destination_tables(d, &st, &n, &err), &err))
        return NULL;
    jclass ti = (*env)->FindClass(env, "io/pgcdc/jni/TableInfo");
    jmethodID ctor = ti ? (*env)->GetMethodID(env, ti, "<init>",
                                              "(Ljava/lang/String;Ljava/lang/String;JJLjava/lang/String;)V")
                        : NULL;
    jobjectArray arr = ctor ? (*env)->NewObjectArray(env, (jsize)n, ti, NULL) : NULL;
    for (size_t i = 0; arr && i < n; i++) {
        jstring t = pj_string(env, st[i].table);
        jstring s = t ? pj_string(env, st[i].state) : NULL;
        jstring m = NULL;
        int ok = s != NULL;
        if (ok && st[i].message[0])
            ok = (m = pj_string(env, st[i].message)) != NULL;
        jobject o = ok ? (*env)->NewObject(env, ti, ctor, t, s, (jlong)st[i].rows_snapshotted,
                                           (jlong)st[i].merged_lsn, m)
                       : NULL;
        if (o)
            (*env)->SetObjectArrayElement(env, arr, (jsize)i, o);
        (*env)->DeleteLocalRef(env, o);
        (*env)->DeleteLocalRef(env, t);
        (*env)->DeleteLocalRef(env, s);
        (*env)->DeleteLocalRef(env, m);
        if (!o) {
            arr = NULL; /* an exception is pending */
            break;
        }
    }
    free(st);
    return arr;
}

JNIEXPORT jstring JNICALL Java_io_pgcdc_jni_Destination_nPrepareTable(JNIEnv *env, jclass cls, jlong h,
                                                                     jstring table)
{
    pgcdc_destination *d = D(env, h);
    if (!d)
        return NULL;
    int failed;
    char *t = pj_utf8(env, table, &failed);
    if (failed)
        return NULL;
    char state[32];
    pgcdc_error err;
    pgcdc_code rc = pgcdc_destination_prepare_table(d, t, state, &err);
    free(t);
    return pj_ok(env, rc, &err) ? pj_string(env, state) : NULL;
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_Destination_nWriteJournal(JNIEnv *env, jclass cls, jlong h,
                                                                   jbyteArray batch)
{
    pgcdc_destination *d = D(env, h);
    if (!d)
        return 0;
    size_t n;
    uint8_t *data = pj_bytes(env, batch, &n, "a change batch");
    if (!data)
        return 0;
    pgcdc_lsn durable = 0;
    pgcdc_error err;
    pgcdc_code rc = pgcdc_destination_write_journal(d, data, n, &durable, &err);
    free(data);
    return pj_ok(env, rc, &err) ? (jlong)durable : 0;
}

JNIEXPORT jobjectArray JNICALL Java_io_pgcdc_jni_Destination_nWriteFailures(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_destination *d = D(env, h);
    if (!d)
        return NULL;
    size_t n = pgcdc_destination_write_failures(d, NULL, 0);
    const char **names = calloc(n ? n : 1, sizeof *names);
    if (!names) {
        pj_throw_code(env, PGCDC_ENOMEM, "out of native memory");
        return NULL;
    }
    pgcdc_destination_write_failures(d, names, n);
    jclass sc = (*env)->FindClass(env, "java/lang/String");
    jobjectArray arr = sc ? (*env)->NewObjectArray(env, (jsize)n, sc, NULL) : NULL;
    for (size_t i = 0; arr && i < n; i++) {
        jstring s = pj_string(env, names[i]);
        if (!s) {
            arr = NULL; /* an exception is pending */
            break;
        }
        (*env)->SetObjectArrayElement(env, arr, (jsize)i, s);
        (*env)->DeleteLocalRef(env, s);
    }
    free(names);
    return arr;
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_Destination_nFinishSnapshot(JNIEnv *env, jclass cls, jlong h,
                                                                    jstring table, jlong lsn)
{
    pgcdc_destination *d = D(env, h);
    if (!d)
        return;
    int failed;
    char *t = pj_utf8(env, table, &failed);
    if (failed)
        return;
    pgcdc_error err;
    pj_ok(env, pgcdc_destination_finish_snapshot(d, t, (pgcdc_lsn)lsn, &err), &err);
    free(t);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_Destination_nMerge(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_destination *d = D(env, h);
    if (!d)
        return;
    pgcdc_error err;
    pj_ok(env, pgcdc_destination_merge(d, &err), &err);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_Destination_nFailTable(JNIEnv *env, jclass cls, jlong h, jstring table,
                                                               jstring message)
{
    pgcdc_destination *d = D(env, h);
    if (!d)
        return;
    char *t, *m;
    if (pj_utf8_pair(env, table, &t, message, &m)) {
        pgcdc_error err;
        pj_ok(env, pgcdc_destination_fail_table(d, t, m, &err), &err);
    }
    free(t);
    free(m);
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_Destination_nDurableLsn(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_destination *d = D(env, h);
    if (!d)
        return 0;
    pgcdc_lsn l = 0;
    pgcdc_error err;
    pj_ok(env, pgcdc_destination_durable_lsn(d, &l, &err), &err);
    return (jlong)l;
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_Destination_nClose(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_destination_close(PJ_PTR(pgcdc_destination, h));
}
