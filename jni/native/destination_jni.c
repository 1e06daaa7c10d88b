/* destination_jni.c - io.pgcdc.jni.Destination. */
#include <stdlib.h>

#include "io_pgcdc_jni_Destination.h"
#include "pj.h"

#define D(h) PJ_PTR(pgcdc_destination, h)

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_Destination_nOpen(JNIEnv *env, jclass cls, jlong cfg)
{
    if (pj_closed(env, cfg, "ConnectorConfig"))
        return 0;
    pgcdc_error err;
    pgcdc_destination *d = NULL;
    if (pgcdc_destination_open(PJ_PTR(pgcdc_connector_config, cfg), &d, &err) != PGCDC_OK) {
        pj_throw(env, &err);
        return 0;
    }
    return PJ_HANDLE(d);
}

JNIEXPORT jstring JNICALL Java_io_pgcdc_jni_Destination_nSlotName(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "Destination"))
        return NULL;
    return pj_string(env, pgcdc_destination_slot_name(D(h)));
}

JNIEXPORT jobjectArray JNICALL Java_io_pgcdc_jni_Destination_nTables(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "Destination"))
        return NULL;
    pgcdc_pipeline_table_status *st = NULL;
    size_t n = 0;
    pgcdc_error err;
    if (pgcdc_destination_tables(D(h), &st, &n, &err) != PGCDC_OK) {
        pj_throw(env, &err);
        return NULL;
    }
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
    if (pj_closed(env, h, "Destination"))
        return NULL;
    int failed;
    char *t = pj_utf8(env, table, &failed);
    if (failed)
        return NULL;
    char state[32];
    pgcdc_error err;
    pgcdc_code rc = pgcdc_destination_prepare_table(D(h), t, state, &err);
    free(t);
    if (rc != PGCDC_OK) {
        pj_throw(env, &err);
        return NULL;
    }
    return pj_string(env, state);
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_Destination_nWriteJournal(JNIEnv *env, jclass cls, jlong h,
                                                                   jbyteArray batch)
{
    if (pj_closed(env, h, "Destination"))
        return 0;
    jsize n = (*env)->GetArrayLength(env, batch);
    uint8_t *data = malloc(n ? (size_t)n : 1);
    if (!data) {
        pj_throw_code(env, PGCDC_ENOMEM, "out of native memory for a change batch");
        return 0;
    }
    (*env)->GetByteArrayRegion(env, batch, 0, n, (jbyte *)data);
    pgcdc_lsn durable = 0;
    pgcdc_error err;
    pgcdc_code rc = pgcdc_destination_write_journal(D(h), data, (size_t)n, &durable, &err);
    free(data);
    if (rc != PGCDC_OK) {
        pj_throw(env, &err);
        return 0;
    }
    return (jlong)durable;
}

JNIEXPORT jobjectArray JNICALL Java_io_pgcdc_jni_Destination_nWriteFailures(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "Destination"))
        return NULL;
    size_t n = pgcdc_destination_write_failures(D(h), NULL, 0);
    const char **names = calloc(n ? n : 1, sizeof *names);
    if (!names) {
        pj_throw_code(env, PGCDC_ENOMEM, "out of native memory");
        return NULL;
    }
    pgcdc_destination_write_failures(D(h), names, n);
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
    if (pj_closed(env, h, "Destination"))
        return;
    int failed;
    char *t = pj_utf8(env, table, &failed);
    if (failed)
        return;
    pgcdc_error err;
    if (pgcdc_destination_finish_snapshot(D(h), t, (pgcdc_lsn)lsn, &err) != PGCDC_OK)
        pj_throw(env, &err);
    free(t);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_Destination_nMerge(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "Destination"))
        return;
    pgcdc_error err;
    if (pgcdc_destination_merge(D(h), &err) != PGCDC_OK)
        pj_throw(env, &err);
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_Destination_nFailTable(JNIEnv *env, jclass cls, jlong h, jstring table,
                                                               jstring message)
{
    if (pj_closed(env, h, "Destination"))
        return;
    int f1, f2 = 0;
    char *t = pj_utf8(env, table, &f1);
    char *m = f1 ? NULL : pj_utf8(env, message, &f2);
    if (!f1 && !f2) {
        pgcdc_error err;
        if (pgcdc_destination_fail_table(D(h), t, m, &err) != PGCDC_OK)
            pj_throw(env, &err);
    }
    free(t);
    free(m);
}

JNIEXPORT jlong JNICALL Java_io_pgcdc_jni_Destination_nDurableLsn(JNIEnv *env, jclass cls, jlong h)
{
    if (pj_closed(env, h, "Destination"))
        return 0;
    pgcdc_lsn l = 0;
    pgcdc_error err;
    if (pgcdc_destination_durable_lsn(D(h), &l, &err) != PGCDC_OK)
        pj_throw(env, &err);
    return (jlong)l;
}

JNIEXPORT void JNICALL Java_io_pgcdc_jni_Destination_nClose(JNIEnv *env, jclass cls, jlong h)
{
    pgcdc_destination_close(D(h));
}
