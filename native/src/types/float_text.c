/* float_text.c - float4/float8 values -> the text PostgreSQL's float4out and
 * float8out print with extra_float_digits > 0 (src/common/d2s.c and f2s.c,
 * Ulf Adams' Ryu): the fewest digits that read back as the value, fixed
 * notation for decimal exponents -4 .. 14 (float8) or -4 .. 5 (float4), else
 * d.ddde+XX.
 *
 * Ryu's decisions are reproduced step by step (the interval of decimals that
 * read back, its bounds excluded as PostgreSQL builds Ryu without
 * STRICTLY_SHORTEST; the decimal scale q; which values count as exact; the
 * digit removal and rounding), so that the output is PostgreSQL's byte for
 * byte, tie cases included. Only Ryu's tables of 128-bit powers of five are
 * replaced: the scaled values floor(x * 2^e2 / 10^q), which Ryu proves its
 * table multiplications give exactly, are computed exactly here, with one
 * 64 x 64-bit product for values of everyday size and small big integers
 * beyond. No snprintf/strtod (their radix follows the process locale, and a
 * JVM may set one with ','), no libm, no long double. */
#include "types/float_text.h"

#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------ big integers */

/* Enough for the largest number involved: a 55-bit x times 5^325 (about
 * 2^810), or x times 2^680 for the division by 5^290; 32-bit limbs. */
#define BIG_LIMBS 32

typedef struct {
    uint32_t w[BIG_LIMBS]; /* little-endian */
    int n;                 /* limbs in use; w[n - 1] != 0 unless n == 0 */
} big;

static void big_set(big *b, uint64_t x)
{
    b->n = 0;
    while (x) {
        b->w[b->n++] = (uint32_t)x;
        x >>= 32;
    }
}

static void big_mul_small(big *b, uint32_t m)
{
    uint64_t carry = 0;
    for (int k = 0; k < b->n; k++) {
        uint64_t t = (uint64_t)b->w[k] * m + carry;
        b->w[k] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry)
        b->w[b->n++] = (uint32_t)carry;
}

static void big_pow5(big *b, int k)
{
    big_set(b, 1);
    for (; k >= 13; k -= 13)
        big_mul_small(b, 1220703125u); /* 5^13, the largest power below 2^32 */
    uint32_t m = 1;
    while (k-- > 0)
        m *= 5;
    big_mul_small(b, m);
}

/* out = a * x. */
static void big_mul_u64(big *out, const big *a, uint64_t x)
{
    uint32_t xl = (uint32_t)x, xh = (uint32_t)(x >> 32);
    out->w[0] = 0;
    out->w[1] = 0;
    for (int k = 0; k < a->n; k++) {
        /* out->w[k + 1] holds a carry below 2^32 and out->w[k + 2] is still
         * unused: neither sum overflows 64 bits. */
        uint64_t t = (uint64_t)a->w[k] * xl + out->w[k];
        out->w[k] = (uint32_t)t;
        uint64_t t2 = (uint64_t)a->w[k] * xh + out->w[k + 1] + (t >> 32);
        out->w[k + 1] = (uint32_t)t2;
        out->w[k + 2] = (uint32_t)(t2 >> 32);
    }
    out->n = a->n + 2;
    while (out->n > 0 && out->w[out->n - 1] == 0)
        out->n--;
}

static void big_shl(big *b, int s)
{
    if (b->n == 0)
        return;
    int limbs = s / 32, bits = s % 32;
    uint32_t top = bits ? b->w[b->n - 1] >> (32 - bits) : 0;
    for (int k = b->n - 1; k >= 0; k--) {
        uint32_t lower = bits && k > 0 ? b->w[k - 1] >> (32 - bits) : 0;
        b->w[k + limbs] = (b->w[k] << bits) | lower;
    }
    memset(b->w, 0, sizeof(uint32_t) * (size_t)limbs);
    b->n += limbs;
    if (top)
        b->w[b->n++] = top;
}

static uint32_t limb(const big *b, int k)
{
    return k < b->n ? b->w[k] : 0;
}

/* floor(b / 2^s), known to fit in 64 bits. */
static uint64_t big_shr_u64(const big *b, int s)
{
    int k = s / 32, bits = s % 32;
    uint64_t lo = limb(b, k) | (uint64_t)limb(b, k + 1) << 32;
    if (bits == 0)
        return lo;
    return (lo >> bits) | (uint64_t)limb(b, k + 2) << (64 - bits);
}

static int clz32(uint32_t x)
{
    int n = 0;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

/* floor(u / v) for v > 0 and a quotient known to fit in 64 bits: Knuth's
 * algorithm D (as in Hacker's Delight, divmnu), base 2^32. */
static uint64_t big_div(const big *u, const big *v)
{
    int m = u->n, n = v->n;
    uint32_t q[BIG_LIMBS + 1] = {0};
    if (m < n)
        return 0;
    if (n == 1) {
        uint64_t r = 0;
        for (int j = m - 1; j >= 0; j--) {
            uint64_t cur = r << 32 | u->w[j];
            q[j] = (uint32_t)(cur / v->w[0]);
            r = cur % v->w[0];
        }
        return q[0] | (uint64_t)q[1] << 32;
    }
    int s = clz32(v->w[n - 1]);
    uint32_t vn[BIG_LIMBS], un[BIG_LIMBS + 1];
    for (int i = n - 1; i > 0; i--)
        vn[i] = v->w[i] << s | (s ? v->w[i - 1] >> (32 - s) : 0);
    vn[0] = v->w[0] << s;
    un[m] = s ? u->w[m - 1] >> (32 - s) : 0;
    for (int i = m - 1; i > 0; i--)
        un[i] = u->w[i] << s | (s ? u->w[i - 1] >> (32 - s) : 0);
    un[0] = u->w[0] << s;
    const uint64_t b = (uint64_t)1 << 32;
    for (int j = m - n; j >= 0; j--) {
        uint64_t num = (uint64_t)un[j + n] << 32 | un[j + n - 1];
        uint64_t qhat = num / vn[n - 1], rhat = num % vn[n - 1];
        while (qhat >= b || qhat * vn[n - 2] > (rhat << 32 | un[j + n - 2])) {
            qhat--;
            rhat += vn[n - 1];
            if (rhat >= b)
                break;
        }
        /* un[j .. j+n] -= qhat * vn; add vn back once if that went negative */
        int64_t borrow = 0, t;
        for (int i = 0; i < n; i++) {
            uint64_t p = qhat * vn[i];
            t = (int64_t)un[i + j] - borrow - (int64_t)(p & 0xFFFFFFFFu);
            un[i + j] = (uint32_t)t;
            borrow = (int64_t)(p >> 32) - (t >> 32);
        }
        t = (int64_t)un[j + n] - borrow;
        un[j + n] = (uint32_t)t;
        q[j] = (uint32_t)qhat;
        if (t < 0) {
            q[j]--;
            uint64_t c = 0;
            for (int i = 0; i < n; i++) {
                c += (uint64_t)un[i + j] + vn[i];
                un[i + j] = (uint32_t)c;
                c >>= 32;
            }
            un[j + n] += (uint32_t)c;
        }
    }
    return q[0] | (uint64_t)q[1] << 32;
}

/* a * b = *hi * 2^64 + the result. */
static uint64_t umul128(uint64_t a, uint64_t b, uint64_t *hi)
{
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    return (mid << 32) | (uint32_t)p00;
}

/* floor(x * 2^e2 / 10^e10) for the few x of one value (the power of five is
 * made once). The callers' scales keep every result below 2^63, and e2 >= e10
 * whenever e10 > 0. Values of everyday size (about 1e-11 .. 7e16) need 5^k
 * with k <= 27, below 2^64: one 128-bit product, no big integers. */
typedef struct {
    uint64_t p5_64; /* 5^|e10| when it fits in 64 bits, else 0 */
    big p5;         /* 5^|e10| as a big integer, when scaled() needs it */
    int e2, e10;
} scaler;

static void scaler_init(scaler *s, int e2, int e10)
{
    int k = e10 < 0 ? -e10 : e10;
    s->e2 = e2;
    s->e10 = e10;
    s->p5_64 = 0;
    if (k <= 27) {
        static const uint64_t pow5[28] = {
            1u, 5u, 25u, 125u, 625u, 3125u, 15625u, 78125u, 390625u, 1953125u, 9765625u, 48828125u,
            244140625u, 1220703125u, 6103515625u, 30517578125u, 152587890625u, 762939453125u,
            3814697265625u, 19073486328125u, 95367431640625u, 476837158203125u, 2384185791015625u,
            11920928955078125u, 59604644775390625u, 298023223876953125u, 1490116119384765625u,
            7450580596923828125u,
        };
        s->p5_64 = pow5[k];
        if (e10 > 0) /* divided by it: scaled() needs it big */
            big_set(&s->p5, s->p5_64);
    } else {
        big_pow5(&s->p5, k);
    }
}

static uint64_t scaled(const scaler *s, uint64_t x)
{
    int shift = s->e2 - s->e10; /* the power of two of 2^e2 / 10^e10 */
    if (s->e10 <= 0 && s->p5_64) { /* x * 5^-e10 * 2^shift */
        uint64_t hi, lo = umul128(x, s->p5_64, &hi);
        if (shift >= 0)
            return lo << shift;
        int r = -shift;
        return r >= 64 ? hi >> (r - 64) : (lo >> r) | (hi << (64 - r));
    }
    big n;
    if (s->e10 <= 0) {
        big_mul_u64(&n, &s->p5, x);
        return shift >= 0 ? big_shr_u64(&n, 0) << shift : big_shr_u64(&n, -shift);
    }
    big_set(&n, x); /* x * 2^shift / 5^e10 */
    big_shl(&n, shift);
    return big_div(&n, &s->p5);
}

/* ------------------------------------------------------------- Ryu's steps */

/* floor(e * log10(2)) for 0 <= e <= 1650, floor(e * log10(5)) for 0 <= e <=
 * 2620: Ryu's own approximations, so that q is Ryu's q. */
static int log10_pow2(int e)
{
    return (int)(((uint32_t)e * 78913) >> 18);
}

static int log10_pow5(int e)
{
    return (int)(((uint32_t)e * 732923) >> 20);
}

static bool multiple_of_pow5(uint64_t v, int p)
{
    int count = 0;
    while (v % 5 == 0 && count < p) {
        v /= 5;
        count++;
    }
    return count >= p;
}

static bool multiple_of_pow2(uint64_t v, int p)
{
    return (v & (((uint64_t)1 << p) - 1)) == 0;
}

typedef struct {
    uint64_t digits; /* the value is digits x 10^exp10 */
    int exp10;
} decimal;

typedef struct {
    uint64_t vr, vp, vm;
    int removed, last;
    bool vr_exact;
} removal;

/* Drops the last k digits (pk = 10^k, pk1 = 10^(k-1)) of vr, vp and vm if
 * that still leaves a decimal in (vm, vp]: what k steps of Ryu's one-digit
 * loop do, with the digit removed last and whether all below it were zero. */
static inline void remove_k(removal *r, int k, uint64_t pk, uint64_t pk1)
{
    if (r->vp / pk <= r->vm / pk)
        return;
    r->vr_exact &= r->last == 0 && r->vr % pk1 == 0;
    r->last = (int)(r->vr / pk1 % 10);
    r->vr /= pk;
    r->vp /= pk;
    r->vm /= pk;
    r->removed += k;
}

/* Ryu's step 4: the shortest decimal in the interval (vm, vp] at the scale
 * 10^e10, nearest to vr. vr_exact: vr is the value itself (no fraction), so a
 * removed ...50..0 is a true tie, rounded to even. last: a digit already known
 * below vr (float4 computes one when no digit would be removed). Ryu removes
 * one digit at a time while a shorter decimal stays in the interval, i.e. the
 * first J digits for some J <= 18: trying 16, 8, 4, 2 and 1 at a time removes
 * the same J digits with fewer divisions. */
static decimal remove_digits(uint64_t vr, uint64_t vp, uint64_t vm, int e10, bool vr_exact, int last)
{
    removal r = {vr, vp, vm, 0, last, vr_exact};
    remove_k(&r, 16, 10000000000000000u, 1000000000000000u);
    remove_k(&r, 8, 100000000u, 10000000u);
    remove_k(&r, 4, 10000u, 1000u);
    remove_k(&r, 2, 100u, 10u);
    remove_k(&r, 1, 10u, 1u);
    if (r.vr_exact && r.last == 5 && r.vr % 2 == 0)
        r.last = 4; /* round half to even */
    /* vr + 1 when vr is the excluded lower bound or the rest rounds up */
    return (decimal){r.vr + (r.vr == r.vm || r.last >= 5), e10 + r.removed};
}

/* d2d() of d2s.c, for the 52-bit fraction and 11-bit exponent of a double. */
static decimal float8_decimal(uint64_t frac, int bexp)
{
    /* small integers print exactly (d2d_small_int) */
    int e = bexp - 1075;
    if (bexp != 0 && e >= -52 && e <= 0 && (frac & (((uint64_t)1 << -e) - 1)) == 0)
        return (decimal){((uint64_t)1 << 52 | frac) >> -e, 0};

    int e2 = bexp == 0 ? 1 - 1075 - 2 : bexp - 1075 - 2;
    uint64_t m2 = bexp == 0 ? frac : (uint64_t)1 << 52 | frac;
    uint64_t mv = 4 * m2, mp = mv + 2;
    uint64_t mm = mv - 1 - (frac != 0 || bexp <= 1); /* half as far below a power of two */
    uint64_t vr, vp, vm;
    int e10;
    bool vr_exact = false;
    scaler s;
    if (e2 >= 0) {
        int q = log10_pow2(e2) - (e2 > 3);
        e10 = q;
        scaler_init(&s, e2, e10);
        vr = scaled(&s, mv);
        vp = scaled(&s, mp);
        vm = scaled(&s, mm);
        if (q <= 21) {
            if (mv % 5 == 0)
                vr_exact = multiple_of_pow5(mv, q);
            else
                vp -= multiple_of_pow5(mp, q); /* the upper bound is excluded */
        }
    } else {
        int q = log10_pow5(-e2) - (-e2 > 1);
        e10 = q + e2;
        scaler_init(&s, e2, e10);
        vr = scaled(&s, mv);
        vp = scaled(&s, mp);
        vm = scaled(&s, mm);
        if (q <= 1) {
            vr_exact = true;
            vp--;
        } else if (q < 63) {
            vr_exact = multiple_of_pow2(mv, q - 1); /* Ryu's test, q - 1 as it is */
        }
    }
    return remove_digits(vr, vp, vm, e10, vr_exact, 0);
}

/* f2d() of f2s.c, for the 23-bit fraction and 8-bit exponent of a float. */
static decimal float4_decimal(uint32_t frac, int bexp)
{
    int e = bexp - 150;
    if (bexp != 0 && e >= -23 && e <= 0 && (frac & ((1u << -e) - 1)) == 0)
        return (decimal){((1u << 23) | frac) >> -e, 0};

    int e2 = bexp == 0 ? 1 - 150 - 2 : bexp - 150 - 2;
    uint64_t m2 = bexp == 0 ? frac : (1u << 23) | frac;
    uint64_t mv = 4 * m2, mp = mv + 2;
    uint64_t mm = mv - 1 - (frac != 0 || bexp <= 1);
    uint64_t vr, vp, vm;
    int q, e10, last = 0;
    bool vr_exact = false;
    scaler s;
    if (e2 >= 0) {
        q = log10_pow2(e2);
        e10 = q;
    } else {
        q = log10_pow5(-e2);
        e10 = q + e2;
    }
    scaler_init(&s, e2, e10);
    vr = scaled(&s, mv);
    vp = scaled(&s, mp);
    vm = scaled(&s, mm);
    if (q != 0 && (vp - 1) / 10 <= vm / 10) {
        /* no digit will be removed: round with the next digit of vr */
        scaler_init(&s, e2, e10 - 1);
        last = (int)(scaled(&s, mv) % 10);
    }
    if (e2 >= 0) {
        if (q <= 9) {
            if (mv % 5 == 0)
                vr_exact = multiple_of_pow5(mv, q);
            else
                vp -= multiple_of_pow5(mp, q);
        }
    } else if (q <= 1) {
        vr_exact = true;
        vp--;
    } else if (q < 31) {
        vr_exact = multiple_of_pow2(mv, q - 1);
    }
    return remove_digits(vr, vp, vm, e10, vr_exact, last);
}

/* ------------------------------------------------------------------ layout */

/* Writes the decimal digits of x so that they end just before end, two at a
 * time. */
static void put_digits(char *end, uint64_t x)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    while (x >= 100) {
        uint64_t q = x / 100;
        end -= 2;
        memcpy(end, pairs + 2 * (x - q * 100), 2);
        x = q;
    }
    if (x >= 10) {
        end -= 2;
        memcpy(end, pairs + 2 * x, 2);
    } else {
        *--end = (char)('0' + x);
    }
}

size_t pgcdc_format_float(double v, bool is_float4, char dst[PGCDC_FLOAT_TEXT_MAX])
{
    bool neg;
    int bexp;
    uint64_t frac;
    if (is_float4) {
        float f = (float)v;
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        neg = bits >> 31;
        bexp = (int)(bits >> 23 & 0xFF);
        frac = bits & 0x7FFFFF;
        if (bexp == 0xFF)
            bexp = -1;
    } else {
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        neg = bits >> 63;
        bexp = (int)(bits >> 52 & 0x7FF);
        frac = bits & 0xFFFFFFFFFFFFFULL;
        if (bexp == 0x7FF)
            bexp = -1;
    }
    const char *special = NULL;
    if (bexp < 0) /* float8out's own words, before Ryu */
        special = frac ? "NaN" : neg ? "-Infinity" : "Infinity";
    else if (bexp == 0 && frac == 0)
        special = neg ? "-0" : "0";
    if (special) {
        size_t k = strlen(special);
        memcpy(dst, special, k + 1);
        return k;
    }

    decimal d = is_float4 ? float4_decimal((uint32_t)frac, bexp) : float8_decimal(frac, bexp);
    /* Ryu's output has no trailing zeros except from the small-integer path,
     * whose zeros it drops too before an exponent (and in fixed notation they
     * come back as padding): dropping them here prints the same. */
    while (d.digits != 0 && d.digits % 10 == 0) {
        d.digits /= 10;
        d.exp10++;
    }
    char g[20];
    int n = 1; /* digits of d.digits (below 10^18) */
    for (uint64_t p = 10; n < 19 && d.digits >= p; p *= 10)
        n++;
    put_digits(g + n, d.digits);
    int exp = d.exp10 + n - 1; /* of the first digit */

    char *w = dst;
    if (neg)
        *w++ = '-';
    if (exp >= -4 && exp < (is_float4 ? 6 : 15)) {
        if (exp < 0) {
            *w++ = '0';
            *w++ = '.';
            for (int i = -1; i > exp; i--)
                *w++ = '0';
            memcpy(w, g, (size_t)n);
            w += n;
        } else {
            for (int i = 0; i <= exp; i++)
                *w++ = i < n ? g[i] : '0';
            if (n > exp + 1) {
                *w++ = '.';
                memcpy(w, g + exp + 1, (size_t)(n - exp - 1));
                w += n - exp - 1;
            }
        }
    } else {
        *w++ = g[0];
        if (n > 1) {
            *w++ = '.';
            memcpy(w, g + 1, (size_t)(n - 1));
            w += n - 1;
        }
        *w++ = 'e';
        *w++ = exp < 0 ? '-' : '+';
        int a = exp < 0 ? -exp : exp;
        if (a >= 100)
            *w++ = (char)('0' + a / 100);
        *w++ = (char)('0' + a / 10 % 10);
        *w++ = (char)('0' + a % 10);
    }
    *w = '\0';
    return (size_t)(w - dst);
}
