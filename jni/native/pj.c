/* pj.c - the JNI helpers: exceptions, handles, strings, bytes, ChangeBatch objects. Classes
 * are looked up on each call (FindClass from a native method uses the
 * declaring class's loader: under NiFi the NAR's), which is cheap next to
 * the database round trips every call makes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pj.h"

void pj_throw_code(JNIEnv *env, pgcdc_code code, const char *message)
{
    if ((*env)->ExceptionCheck(env))
        return;
    jclass cls = (*env)->FindClass(env, "io/pgcdc/jni/PgcdcException");
    if (!cls)
        return; /* NoClassDefFoundError pending */
    jmethodID ctor = (*env)->GetMethodID(env, cls, "<init>", "(Ljava/lang/String;Ljava/lang/String;)V");
    jstring c = ctor ? pj_string(env, pgcdc_code_name(code)) : NULL;
    jstring m = c ? pj_string(env, message && *message ? message : pgcdc_code_name(code)) : NULL;
    if (m) {
        jobject ex = (*env)->NewObject(env, cls, ctor, c, m);
        if (ex)
            (*env)->Throw(env, (jthrowable)ex);
        (*env)->DeleteLocalRef(env, ex);
    }
    (*env)->DeleteLocalRef(env, c);
    (*env)->DeleteLocalRef(env, m);
    (*env)->DeleteLocalRef(env, cls);
}

void pj_throw(JNIEnv *env, const pgcdc_error *err)
{
    pj_throw_code(env, err->code == PGCDC_OK ? PGCDC_EINVAL : err->code, err->message);
}

int pj_ok(JNIEnv *env, pgcdc_code rc, const pgcdc_error *err)
{
    if (rc == PGCDC_OK)
        return 1;
    pj_throw(env, err);
    return 0;
}

jlong pj_opened(JNIEnv *env, pgcdc_code rc, void *obj, const pgcdc_error *err)
{
    return pj_ok(env, rc, err) ? PJ_HANDLE(obj) : 0;
}

void *pj_ptr(JNIEnv *env, jlong handle, const char *what)
{
    if (handle != 0)
        return PJ_PTR(void, handle);
    jclass cls = (*env)->FindClass(env, "java/lang/IllegalStateException");
    if (cls) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s is closed", what);
        (*env)->ThrowNew(env, cls, msg);
    }
    return NULL;
}

static void oom(JNIEnv *env)
{
    if ((*env)->ExceptionCheck(env))
        return;
    jclass cls = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
    if (cls)
        (*env)->ThrowNew(env, cls, "pgcdc: out of native memory");
}

char *pj_utf8(JNIEnv *env, jstring s, int *failed)
{
    *failed = 0;
    if (!s)
        return NULL;
    jclass scls = (*env)->FindClass(env, "java/lang/String");
    jmethodID get = scls ? (*env)->GetMethodID(env, scls, "getBytes", "(Ljava/lang/String;)[B") : NULL;
    jstring cs = get ? (*env)->NewStringUTF(env, "UTF-8") : NULL;
    jbyteArray b = cs ? (jbyteArray)(*env)->CallObjectMethod(env, s, get, cs) : NULL;
    char *out = NULL;
    if (b && !(*env)->ExceptionCheck(env)) {
        jsize n = (*env)->GetArrayLength(env, b);
        out = malloc((size_t)n + 1);
        if (out) {
            (*env)->GetByteArrayRegion(env, b, 0, n, (jbyte *)out);
            out[n] = '\0';
        } else {
            oom(env);
        }
    }
    (*env)->DeleteLocalRef(env, b);
    (*env)->DeleteLocalRef(env, cs);
    (*env)->DeleteLocalRef(env, scls);
    if (!out)
        *failed = 1;
    return out;
}

int pj_utf8_pair(JNIEnv *env, jstring a, char **ua, jstring b, char **ub)
{
    int f1, f2 = 0;
    *ua = pj_utf8(env, a, &f1);
    *ub = f1 ? NULL : pj_utf8(env, b, &f2);
    return !f1 && !f2;
}

uint8_t *pj_bytes(JNIEnv *env, jbyteArray a, size_t *len, const char *what)
{
    jsize n = (*env)->GetArrayLength(env, a);
    uint8_t *data = malloc(n ? (size_t)n : 1);
    if (!data) {
        char msg[128];
        snprintf(msg, sizeof msg, "out of native memory for %s", what);
        pj_throw_code(env, PGCDC_ENOMEM, msg);
        return NULL;
    }
    (*env)->GetByteArrayRegion(env, a, 0, n, (jbyte *)data);
    *len = (size_t)n;
    return data;
}

jstring pj_string(JNIEnv *env, const char *utf8)
{
    if (!utf8)
        return NULL;
    size_t n = strlen(utf8);
    jclass scls = (*env)->FindClass(env, "java/lang/String");
    jmethodID ctor = scls ? (*env)->GetMethodID(env, scls, "<init>", "([BLjava/lang/String;)V") : NULL;
    jbyteArray b = ctor ? (*env)->NewByteArray(env, (jsize)n) : NULL;
    jstring cs = b ? (*env)->NewStringUTF(env, "UTF-8") : NULL;
    jstring s = NULL;
    if (cs) {
        (*env)->SetByteArrayRegion(env, b, 0, (jsize)n, (const jbyte *)utf8);
        s = (jstring)(*env)->NewObject(env, scls, ctor, b, cs);
    }
    (*env)->DeleteLocalRef(env, cs);
    (*env)->DeleteLocalRef(env, b);
    (*env)->DeleteLocalRef(env, scls);
    return s;
}

jobject pj_batch(JNIEnv *env, const pgcdc_buf *bytes, const pgcdc_batch_info *info)
{
    if (bytes->len > INT32_MAX) {
        pj_throw_code(env, PGCDC_EINVAL, "a change batch is larger than 2 GiB: lower the batch size");
        return NULL;
    }
    jclass cls = (*env)->FindClass(env, "io/pgcdc/jni/ChangeBatch");
    jmethodID ctor = cls ? (*env)->GetMethodID(env, cls, "<init>", "([BJJII)V") : NULL;
    jbyteArray b = ctor ? (*env)->NewByteArray(env, (jsize)bytes->len) : NULL;
    jobject o = NULL;
    if (b) {
        (*env)->SetByteArrayRegion(env, b, 0, (jsize)bytes->len, (const jbyte *)bytes->data);
        o = (*env)->NewObject(env, cls, ctor, b, (jlong)info->first_lsn, (jlong)info->confirm_lsn,
                              (jint)info->transactions,
                              (jint)(info->changes > INT32_MAX ? INT32_MAX : info->changes));
    }
    (*env)->DeleteLocalRef(env, b);
    (*env)->DeleteLocalRef(env, cls);
    return o;
}
