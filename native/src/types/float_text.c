/* float_text.c - float4/float8 values received in binary -> the text
 * PostgreSQL's float4out/float8out print with extra_float_digits > 0 (Ryu):
 * the fewest digits that read back as the same value, fixed notation for
 * decimal exponents -4 .. 14 (float8) or -4 .. 5 (float4), else d.ddde+XX.
 * Found with snprintf/strtod and exact integer tie checks rather than a copy
 * of Ryu's tables; the live test compares with servers on random values. */
#include "types_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* True when the decimal digs x 10^(exp - nd + 1), which reads back as v
 * (> 0), lies exactly halfway between v and a neighbouring float. Reading it
 * gives v under round-half-even, but PostgreSQL's Ryu never picks such a
 * boundary (the live test compares with servers), so neither do we.
 * Exact integer test: with v a multiple of 2^E (E = exponent of its last
 * mantissa bit), a decimal D within half a gap of v is a tie exactly when D
 * is dyadic with 2-adic valuation E - 1 (E - 2 below a power of two, where
 * the lower gap is half as wide). */
static bool is_tie(const char *digs, int nd, int exp, double v, bool is_float4)
{
    int E;
    bool pow2;
    if (is_float4) {
        float f = (float)v;
        uint32_t bits;
        memcpy(&bits, &f, 4);
        int be = (int)(bits >> 23);
        E = be ? be - 150 : -149;
        pow2 = (bits & 0x7FFFFF) == 0 && be > 1;
    } else {
        uint64_t bits;
        memcpy(&bits, &v, 8);
        int be = (int)(bits >> 52);
        E = be ? be - 1075 : -1074;
        pow2 = (bits & 0xFFFFFFFFFFFFFULL) == 0 && be > 1;
    }
    uint64_t N = 0;
    for (int i = 0; i < nd; i++)
        N = N * 10 + (uint64_t)(digs[i] - '0');
    int q = exp - (nd - 1); /* D = N x 10^q */
    if (N == 0)
        return false;
    if (q < 0) { /* dyadic only if 5^-q divides N (N < 10^17 < 5^25) */
        if (q < -25)
            return false;
        for (int i = 0; i < -q; i++) {
            if (N % 5)
                return false;
            N /= 5;
        }
    }
    int v2 = q;
    while ((N & 1) == 0) {
        N >>= 1;
        v2++;
    }
    return v2 == E - 1 || (pow2 && v2 == E - 2);
}

/* "d.ddd e exp" from nd digits -> does it read back as v (and is it no tie)? */
static bool reads_back(const char *digs, int nd, int exp, double v, bool is_float4)
{
    char text[48], *w = text;
    *w++ = digs[0];
    *w++ = '.';
    memcpy(w, digs + 1, (size_t)(nd - 1));
    w += nd - 1;
    snprintf(w, sizeof text - (size_t)(w - text), "e%d", exp);
    if (is_float4 ? strtof(text, NULL) != (float)v : strtod(text, NULL) != v)
        return false;
    return !is_tie(digs, nd, exp, v, is_float4);
}

/* Moves nd digits (d.ddd x 10^exp) one unit of the last digit up or down. */
static void step_last_digit(char *digs, int nd, int *exp, int dir)
{
    int i = nd - 1;
    if (dir > 0) {
        while (i >= 0 && digs[i] == '9')
            digs[i--] = '0';
        if (i >= 0) {
            digs[i]++;
        } else { /* 9.99 -> 1.00 x 10 */
            digs[0] = '1';
            (*exp)++;
        }
    } else {
        while (i >= 0 && digs[i] == '0')
            digs[i--] = '9';
        if (i >= 0)
            digs[i]--;
        if (digs[0] == '0') { /* 1.00 -> 0.999 = 9.99 x 10^-1 */
            for (int k = 0; k < nd; k++)
                digs[k] = '9';
            (*exp)--;
        }
    }
}

/* The p-digit decimal Ryu would print for v if one reads back: the correctly
 * rounded one, else its neighbour (near a power of two the interval that
 * reads back as v is lopsided, and the nearest p-digit decimal may fall just
 * outside it while the next one is inside). digs gets p digits. */
static bool shortest_probe(double v, bool is_float4, int p, char *digs, int *exp)
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
    int nd = 0;
    const char *q = tmp;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9')
            digs[nd++] = *q;
    *exp = atoi(q + 1);
    if (reads_back(digs, nd, *exp, v, is_float4))
        return true;
    for (int dir = -1; dir <= 1; dir += 2) {
        char alt[24];
        int aexp = *exp;
        memcpy(alt, digs, (size_t)nd);
        step_last_digit(alt, nd, &aexp, dir);
        if (reads_back(alt, nd, aexp, v, is_float4)) {
            memcpy(digs, alt, (size_t)nd);
            *exp = aexp;
            return true;
        }
    }
    return false;
}

size_t pgcdc_format_float(double v, bool is_float4, char *dst)
{
    if (isnan(v)) {
        memcpy(dst, "NaN", 3);
        return 3;
    }
    if (isinf(v)) {
        const char *s = v > 0 ? "Infinity" : "-Infinity";
        size_t k = strlen(s);
        memcpy(dst, s, k);
        return k;
    }
    char *w = dst;
    if (signbit(v)) {
        *w++ = '-';
        v = -v;
    }
    if (v == 0) {
        *w++ = '0';
        return (size_t)(w - dst);
    }
    /* The fewest digits that read back as v, by binary search over the
     * length: if some p-digit decimal reads back, so does some (p+1)-digit
     * one (the same with a trailing zero), so the predicate is monotone. */
    char digs[24];
    int nd = 0, exp = 0;
    int lo = 1, top = is_float4 ? 9 : 17;
    while (lo < top) {
        int mid = (lo + top) / 2;
        char d2[24];
        int e2;
        if (shortest_probe(v, is_float4, mid, d2, &e2))
            top = mid;
        else
            lo = mid + 1;
    }
    shortest_probe(v, is_float4, lo, digs, &exp); /* 17 (9) digits always read back */
    nd = lo;
    while (nd > 1 && digs[nd - 1] == '0')
        nd--;
    int hi = is_float4 ? 6 : 15;
    if (exp >= -4 && exp < hi) {
        if (exp < 0) {
            *w++ = '0';
            *w++ = '.';
            for (int i = -1; i > exp; i--)
                *w++ = '0';
            memcpy(w, digs, (size_t)nd);
            w += nd;
        } else {
            for (int i = 0; i <= exp; i++)
                *w++ = i < nd ? digs[i] : '0';
            if (nd > exp + 1) {
                *w++ = '.';
                memcpy(w, digs + exp + 1, (size_t)(nd - exp - 1));
                w += nd - exp - 1;
            }
        }
    } else {
        *w++ = digs[0];
        if (nd > 1) {
            *w++ = '.';
            memcpy(w, digs + 1, (size_t)(nd - 1));
            w += nd - 1;
        }
        *w++ = 'e';
        *w++ = exp < 0 ? '-' : '+';
        w = pgcdc_put_uint(w, (uint64_t)(exp < 0 ? -exp : exp), 2);
    }
    return (size_t)(w - dst);
}

