/* opt/gemm.c — the optimized sgemm and dgemm.
 *
 * With FEDC_HAVE_OPENBLAS: cblas_sgemm / cblas_dgemm (row-major), with OpenBLAS pinned to one
 * thread once per process so a product runs on the calling thread only and its rounding does not
 * depend on the program's thread count. Without BLAS: a cache-blocked, packed sgemm in portable
 * C (GotoBLAS / BLIS structure) and a simpler blocked dgemm.
 *
 * The no-BLAS sgemm packs into a per-thread buffer that is kept between calls (grown as needed,
 * freed by a pthread key destructor when the thread exits), so a training loop does not allocate.
 *
 * Must not: spawn threads, use intrinsics or target flags (the build's baseline ISA, SSE2 on
 * x86-64, is all it may assume), reassociate a sum differently from one call to the next, or
 * fail: when a packing buffer cannot be allocated it falls back to stack buffers that give the
 * same bits.
 */
#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "tensor/kernels/kernels.h"

#ifdef FEDC_HAVE_OPENBLAS

#include <cblas.h>

static pthread_once_t single_thread_once = PTHREAD_ONCE_INIT;

static void set_single_thread(void) { openblas_set_num_threads(1); }

/* The BLAS corner cases, handled here rather than by cblas: with a zero dimension cblas rejects
 * lda/ldb values of 0 that our contract allows (it prints through xerbla and does nothing), and
 * doing k == 0 / alpha == 0 here keeps beta == 0 overwriting C (NaN included) whatever the BLAS
 * does. Then the one-time switch to a single OpenBLAS thread. */
#define SCALE_ONLY_CASES(T)                                                                        \
    if (m == 0 || n == 0) return;                                                                  \
    if (k == 0 || alpha == 0) {                                                                    \
        for (int64_t i = 0; i < m; i++)                                                            \
            for (int64_t j = 0; j < n; j++)                                                        \
                c[i * ldc + j] = beta == 0 ? (T)0 : beta * c[i * ldc + j];                         \
        return;                                                                                    \
    }                                                                                              \
    assert(m <= INT_MAX && n <= INT_MAX && k <= INT_MAX);                                          \
    assert(lda <= INT_MAX && ldb <= INT_MAX && ldc <= INT_MAX);                                    \
    pthread_once(&single_thread_once, set_single_thread);

/* Products of at most GEMV_ROWS rows (an LSTM's per-step products with a batch of 4, a batch
 * of one at inference) go row by row through sgemv, which streams B once per row: sgemm packs
 * the whole of B on every call, and against a 256x1024 recurrent kernel four sgemv calls
 * measured 1.4x faster than one 4-row sgemm (3x with B transposed). A row's sum is then
 * sgemv's, the same for the same shapes on every call. beta == 0 zeroes the row first, so
 * that NaN in C is overwritten whatever the BLAS does with 0 * NaN. */
enum { GEMV_ROWS = 4 };

static void sgemm_by_rows(bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                          float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++) {
        float *ci = c + i * ldc;
        if (beta == 0.0f) memset(ci, 0, (size_t)n * sizeof(float));
        if (transpose_b) /* c_i = B a_i, B [n x k] */
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, alpha, b, (int)ldb,
                        a + i * lda, 1, beta, ci, 1);
        else /* c_i = B^T a_i, B [k x n] */
            cblas_sgemv(CblasRowMajor, CblasTrans, (int)k, (int)n, alpha, b, (int)ldb, a + i * lda,
                        1, beta, ci, 1);
    }
}

void fedc__opt_sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                     float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                     float beta, float *c, int64_t ldc) {
    SCALE_ONLY_CASES(float)
    if (m <= GEMV_ROWS && !transpose_a) {
        sgemm_by_rows(transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha, a, (int)lda,
                b, (int)ldb, beta, c, (int)ldc);
}

void fedc__opt_dgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                     double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,
                     double beta, double *c, int64_t ldc) {
    SCALE_ONLY_CASES(double)
    cblas_dgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                transpose_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha, a, (int)lda,
                b, (int)ldb, beta, c, (int)ldc);
}

#else /* !FEDC_HAVE_OPENBLAS: portable C */

/* ---- sgemm: packed, cache-blocked, register-blocked -------------------------------------------
 *
 * C = alpha * A @ B + beta * C, with A (m x k), B (k x n), C (m x n) given by element strides
 * (row stride rs, column stride cs), which covers both transposes and, by swapping the operands,
 * C^T = B^T A^T. The loops are GotoBLAS's: for each NC-wide column block of B and KC-deep slab,
 * B is packed into NR-wide micro-panels; for each MC-tall row block, A is packed into MR-tall
 * micro-panels; the micro-kernel multiplies one A micro-panel by one B micro-panel into an
 * MR x NR tile held in registers.
 *
 * The micro-kernel is written for the baseline SSE2 vector (4 floats): A is packed with every
 * element repeated VW times, so the kernel's inner statement reads VW consecutive A values and
 * VW consecutive B values and the compiler emits plain vector loads, multiplies and adds (no
 * broadcast shuffles, which the vectorizer handles badly and which compete for the shuffle port).
 * 4 x 12 gives 12 accumulator vectors + 3 B vectors + 1 A vector = the 16 SSE registers.
 *
 * Rounding: each element of C gets sum over a KC slab of a*b, accumulated in k order from 0,
 * then C = beta * C + alpha * sum (first slab) and C += alpha * sum (later ones). MC, NC, the
 * operand swap and the packing buffers' sizes never change that, so the result is a function of
 * (m, n, k, inputs) only, and for k <= KC it is bit-identical to the reference (same products in
 * the same order, same final beta * C + alpha * sum).
 *
 * When C has few columns (n <= 64, n < m) the operands are swapped so that the small side is the
 * one packed VW times, and each tile is stored transposed (see fedc__opt_sgemm).
 */

enum {
    MR = 4,   /* micro-tile rows (A side) */
    NR = 12,  /* micro-tile columns (B side) */
    VW = 4,   /* floats per SSE2 vector: A elements are packed VW times */
    KC = 256, /* depth of a slab: A micro-panel 16 KiB, B micro-panel 12 KiB, both in L1 */
    MC = 96,  /* rows of a packed A block: 384 KiB, in L2 */
    NC = 3072 /* columns of a packed B block: 3 MiB at most, in L3 */
};
_Static_assert(MR == 4, "pack_a reads MR = 4 rows at a time");
_Static_assert(NR % 4 == 0 && MC % MR == 0 && NC % NR == 0, "blocks are whole micro-panels");

/* A matrix operand as element strides. */
typedef struct smat {
    const float *p;
    int64_t rs, cs;
} smat;

/* Packs rows [i0, i0 + mc) x depth [p0, p0 + kc) of A into MR-row micro-panels: panel r holds,
 * for each p, MR rows x VW copies (one 64-byte line, written whole). Rows past mc are zero. */
static void pack_a(smat a, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float *restrict ap) {
    for (int64_t ir = 0; ir < mc; ir += MR) {
        int64_t mr = mc - ir < MR ? mc - ir : MR;
        float *dst = ap + ir * kc * VW;
        const float *src = a.p + (i0 + ir) * a.rs + p0 * a.cs;
        if (mr == MR && a.cs == 1) {
            const float *r0 = src, *r1 = src + a.rs, *r2 = src + 2 * a.rs, *r3 = src + 3 * a.rs;
            for (int64_t p = 0; p < kc; p++, dst += MR * VW) {
                float v[MR] = {r0[p], r1[p], r2[p], r3[p]};
                for (int i = 0; i < MR; i++)
                    for (int l = 0; l < VW; l++)
                        dst[i * VW + l] = v[i];
            }
        } else if (mr == MR && a.rs == 1) {
            for (int64_t p = 0; p < kc; p++, dst += MR * VW) {
                const float *col = src + p * a.cs;
                for (int i = 0; i < MR; i++)
                    for (int l = 0; l < VW; l++)
                        dst[i * VW + l] = col[i];
            }
        } else {
            for (int64_t p = 0; p < kc; p++, dst += MR * VW)
                for (int64_t i = 0; i < MR; i++) {
                    float v = i < mr ? src[i * a.rs + p * a.cs] : 0.0f;
                    for (int l = 0; l < VW; l++)
                        dst[i * VW + l] = v;
                }
        }
    }
}

/* Packs depth [p0, p0 + kc) x columns [j0, j0 + nc) of B into NR-column micro-panels: panel r
 * holds, for each p, NR consecutive columns. Columns past nc are zero. */
static void pack_b(smat b, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float *restrict bp) {
    for (int64_t jr = 0; jr < nc; jr += NR) {
        int64_t nr = nc - jr < NR ? nc - jr : NR;
        float *dst = bp + jr * kc;
        const float *src = b.p + p0 * b.rs + (j0 + jr) * b.cs;
        if (b.cs == 1 && nr == NR) {
            for (int64_t p = 0; p < kc; p++)
                for (int j = 0; j < NR; j++)
                    dst[p * NR + j] = src[p * b.rs + j];
        } else if (b.rs == 1) {
            for (int64_t j = 0; j < NR; j++)
                for (int64_t p = 0; p < kc; p++)
                    dst[p * NR + j] = j < nr ? src[j * b.cs + p] : 0.0f;
        } else {
            for (int64_t p = 0; p < kc; p++)
                for (int64_t j = 0; j < NR; j++)
                    dst[p * NR + j] = j < nr ? src[p * b.rs + j * b.cs] : 0.0f;
        }
    }
}

/* tile = A micro-panel @ B micro-panel over kc. The loops over the fixed-size tile are what the
 * compiler turns into 12 register-resident vector accumulators; kept out of line so that its
 * register allocation does not depend on the caller. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void
micro_kernel(int64_t kc, const float *restrict ap, const float *restrict bp, float *restrict tile) {
    float acc[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++)
            acc[i][j] = 0.0f;
    for (int64_t p = 0; p < kc; p++) {
        const float *av = ap + p * MR * VW, *bv = bp + p * NR;
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++)
                acc[i][j] += av[i * VW + j % VW] * bv[j];
    }
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < NR; j++)
            tile[i * NR + j] = acc[i][j];
}

/* Writes an mr x nr tile into C: C = beta * C + alpha * tile when `first`, C += alpha * tile
 * otherwise; beta == 0 never reads C. Full tiles in either orientation (C row-major, or C^T when
 * the operands were swapped) take loops of constant length the compiler vectorizes. */
static void update_c(const float *restrict tile, int64_t mr, int64_t nr, float alpha, float beta,
                     bool first, float *restrict c, int64_t rs, int64_t cs) {
    int mode = !first ? 2 : beta == 0 ? 0 : 1;
    if (mr == MR && nr == NR && cs == 1) {
        for (int i = 0; i < MR; i++) {
            float *row = c + i * rs;
            const float *t = tile + i * NR;
            if (mode == 0)
                for (int j = 0; j < NR; j++)
                    row[j] = alpha * t[j];
            else if (mode == 1)
                for (int j = 0; j < NR; j++)
                    row[j] = beta * row[j] + alpha * t[j];
            else
                for (int j = 0; j < NR; j++)
                    row[j] += alpha * t[j];
        }
        return;
    }
    if (mr == MR && nr == NR && rs == 1) {
        /* C^T: each column of the tile is MR consecutive floats of one row of C. Transposing
         * 4 x 4 blocks through a small array lets the compiler use vector shuffles and one
         * vector store per row instead of MR scalar stores. */
        for (int jb = 0; jb < NR; jb += 4) {
            float t[4][MR];
            for (int i = 0; i < MR; i++)
                for (int j = 0; j < 4; j++)
                    t[j][i] = alpha * tile[i * NR + jb + j];
            for (int j = 0; j < 4; j++) {
                float *row = c + (jb + j) * cs;
                if (mode == 0)
                    for (int i = 0; i < MR; i++)
                        row[i] = t[j][i];
                else if (mode == 1)
                    for (int i = 0; i < MR; i++)
                        row[i] = beta * row[i] + t[j][i];
                else
                    for (int i = 0; i < MR; i++)
                        row[i] += t[j][i];
            }
        }
        return;
    }
    for (int64_t i = 0; i < mr; i++) {
        for (int64_t j = 0; j < nr; j++) {
            float ab = alpha * tile[i * NR + j];
            float *cij = c + i * rs + j * cs;
            *cij = mode == 2 ? *cij + ab : mode == 0 ? ab : beta * *cij + ab;
        }
    }
}

static int64_t ceil_div(int64_t x, int64_t to) { return (x + to - 1) / to; }
static int64_t round_up(int64_t x, int64_t to) { return ceil_div(x, to) * to; }
static int64_t min64(int64_t x, int64_t y) { return x < y ? x : y; }

/* The blocked product with packing buffers of mc_max x kc_max (A, times VW) and kc_max x nc_max
 * (B); the buffer sizes bound the blocks but never change the k slabs, hence not the rounding. */
static void sgemm_blocked(int64_t m, int64_t n, int64_t k, float alpha, smat a, smat b, float beta,
                          float *c, int64_t crs, int64_t ccs, float *ap, int64_t mc_max, float *bp,
                          int64_t nc_max) {
    float tile[MR * NR];
    for (int64_t jc = 0; jc < n; jc += nc_max) {
        int64_t nc = min64(nc_max, n - jc);
        for (int64_t pc = 0; pc < k; pc += KC) {
            int64_t kc = min64(KC, k - pc);
            pack_b(b, pc, kc, jc, nc, bp);
            for (int64_t ic = 0; ic < m; ic += mc_max) {
                int64_t mc = min64(mc_max, m - ic);
                pack_a(a, ic, mc, pc, kc, ap);
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    int64_t nr = min64(NR, nc - jr);
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        int64_t mr = min64(MR, mc - ir);
                        micro_kernel(kc, ap + ir * kc * VW, bp + jr * kc, tile);
                        update_c(tile, mr, nr, alpha, beta, pc == 0,
                                 c + (ic + ir) * crs + (jc + jr) * ccs, crs, ccs);
                    }
                }
            }
        }
    }
}

/* ---- the per-thread packing buffer ----------------------------------------------------------
 *
 * Each thread keeps its packing buffer between calls: a _Thread_local record registered under a
 * pthread key whose destructor frees the block when the thread exits (the main thread's block
 * lives until the process ends). It is only used while the allocator in effect is the one the
 * library started with: a program or test that installs its own hook (e.g. to count blocks or to
 * fail the k-th allocation) gets the old behaviour, one fedc_malloc and fedc_free per call, so
 * allocation counts and injected failures mean what they did. Growing the buffer may fail; the
 * caller then takes the stack fallback, which gives the same bits. */

typedef struct pack_cache {
    void *block;
    size_t bytes;
} pack_cache;

/* The largest request: an MC x KC A block packed VW times, a KC x NC B block, 64 for alignment. */
#define PACK_MAX_BYTES (((size_t)MC * KC * VW + (size_t)KC * NC) * sizeof(float) + 64)

static fedc_allocator g_start_alloc; /* the allocator in effect when the library was loaded */
static bool g_have_start_alloc;
static pthread_key_t g_cache_key;
static pthread_once_t g_cache_once = PTHREAD_ONCE_INIT;
static bool g_cache_key_ok;
static _Thread_local pack_cache tl_cache;

#if defined(__GNUC__)
/* Runs before main, hence before any program could install a hook: this is the default. */
__attribute__((constructor)) static void capture_start_allocator(void) {
    g_start_alloc = fedc_allocator_get();
    g_have_start_alloc = true;
}
#endif

static void cache_release(void *arg) {
    pack_cache *pc = arg;
    g_start_alloc.free_fn(g_start_alloc.user, pc->block);
    pc->block = NULL;
    pc->bytes = 0;
}

static void cache_key_make(void) {
    g_cache_key_ok = pthread_key_create(&g_cache_key, cache_release) == 0;
}

static bool allocator_is_start(void) {
    fedc_allocator now = fedc_allocator_get();
    return g_have_start_alloc && now.malloc_fn == g_start_alloc.malloc_fn &&
           now.realloc_fn == g_start_alloc.realloc_fn && now.free_fn == g_start_alloc.free_fn &&
           now.user == g_start_alloc.user;
}

/* A buffer of at least `bytes`: the thread's cached one (*owned false) or, under another
 * allocator, a fresh block the caller frees (*owned true). NULL when memory runs out. */
static void *pack_buffer(size_t bytes, bool *owned) {
    *owned = false;
    if (allocator_is_start()) pthread_once(&g_cache_once, cache_key_make);
    if (!allocator_is_start() || !g_cache_key_ok) {
        *owned = true;
        return fedc_malloc(bytes);
    }
    pack_cache *pc = &tl_cache;
    if (pc->bytes >= bytes) return pc->block;
    /* Grow by at least 2x (up to the largest request) so a mix of shapes settles quickly. */
    size_t want = pc->bytes > PACK_MAX_BYTES / 2 ? PACK_MAX_BYTES : 2 * pc->bytes;
    if (want < bytes) want = bytes;
    void *block = fedc_malloc(want);
    if (!block) return NULL; /* the old block stays for smaller requests */
    if (!pc->block && pthread_setspecific(g_cache_key, pc) != 0) {
        *owned = true; /* no destructor for this thread: do not keep anything */
        return block;
    }
    fedc_free(pc->block);
    pc->block = block;
    pc->bytes = want;
    return block;
}

void fedc__opt_sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                     float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                     float beta, float *c, int64_t ldc) {
    assert(m >= 0 && n >= 0 && k >= 0);
    if (m == 0 || n == 0) return;
    if (k == 0 || alpha == 0) { /* BLAS: A and B are not read */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++)
                c[i * ldc + j] = beta == 0 ? 0.0f : beta * c[i * ldc + j];
        return;
    }
    smat A = {a, transpose_a ? 1 : lda, transpose_a ? lda : 1};
    smat B = {b, transpose_b ? 1 : ldb, transpose_b ? ldb : 1};
    int64_t crs = ldc, ccs = 1;
    /* Packing A writes each element VW times, once per NC block: with only a panel or so of
     * columns in C that is not amortized, and computing C^T = B^T A^T (the same sums in the same
     * order, stored transposed) is cheaper, unless it needs more micro-tiles. Measured on the
     * benchmark shapes: 10-25% faster for n <= 10 and m >> n, within a few percent either way
     * for n = 32 and 64, slower from n = 128 up. */
    if (n < m && n <= 64 &&
        20 * ceil_div(n, MR) * ceil_div(m, NR) <= 21 * ceil_div(m, MR) * ceil_div(n, NR)) {
        smat t = {B.p, B.cs, B.rs};
        B = (smat){A.p, A.cs, A.rs};
        A = t;
        int64_t s = m;
        m = n;
        n = s;
        crs = 1;
        ccs = ldc;
    }
    int64_t kc = min64(KC, k);
    int64_t mc = min64(MC, round_up(m, MR)), nc = min64(NC, round_up(n, NR));
    size_t a_floats = (size_t)(mc * kc * VW), b_floats = (size_t)(kc * nc);
    /* 64-byte alignment of the panels keeps each p's A vectors within one cache line. */
    bool owned;
    float *buf = pack_buffer((a_floats + b_floats) * sizeof(float) + 64, &owned);
    if (buf) {
        float *ap = (float *)(((uintptr_t)buf + 63) & ~(uintptr_t)63);
        sgemm_blocked(m, n, k, alpha, A, B, beta, c, crs, ccs, ap, mc, ap + a_floats, nc);
        if (owned) fedc_free(buf);
    } else {
        /* Out of memory: one micro-panel of each on the stack (28 KiB); same slabs, same bits. */
        float ap[MR * KC * VW], bp[KC * NR];
        sgemm_blocked(m, n, k, alpha, A, B, beta, c, crs, ccs, ap, MR, bp, NR);
    }
}

/* ---- dgemm: a simpler blocked loop ------------------------------------------------------------
 *
 * C is first scaled by beta (zeroed when beta == 0), then for each slab of KD rows of op(B)
 * (packed contiguous when memory allows, so the inner loop is unit-stride whatever the
 * transposes) each row of C gets its rank-KD update, C[i, :] += (alpha * A[i, p]) * B[p, :], in
 * p order. The packed and unpacked paths do the same operations in the same order. */

enum { KD = 128, ND = 512 };

void fedc__opt_dgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                     double alpha, const double *a, int64_t lda, const double *b, int64_t ldb,
                     double beta, double *c, int64_t ldc) {
    assert(m >= 0 && n >= 0 && k >= 0);
    if (m == 0 || n == 0) return;
    for (int64_t i = 0; i < m; i++) {
        double *row = c + i * ldc;
        if (beta == 0)
            for (int64_t j = 0; j < n; j++)
                row[j] = 0.0;
        else if (beta != 1)
            for (int64_t j = 0; j < n; j++)
                row[j] *= beta;
    }
    if (k == 0 || alpha == 0) return;
    const int64_t ars = transpose_a ? 1 : lda, acs = transpose_a ? lda : 1;
    const int64_t brs = transpose_b ? 1 : ldb, bcs = transpose_b ? ldb : 1;
    double *bp = fedc_malloc((size_t)(min64(KD, k) * min64(ND, n)) * sizeof(double));
    for (int64_t jc = 0; jc < n; jc += ND) {
        int64_t nc = min64(ND, n - jc);
        for (int64_t pc = 0; pc < k; pc += KD) {
            int64_t kc = min64(KD, k - pc);
            const double *bs = b + pc * brs + jc * bcs;
            int64_t prs = brs, pcs = bcs; /* strides of the slab as read below */
            if (bp) {
                for (int64_t p = 0; p < kc; p++)
                    for (int64_t j = 0; j < nc; j++)
                        bp[p * nc + j] = bs[p * brs + j * bcs];
                bs = bp;
                prs = nc;
                pcs = 1;
            }
            for (int64_t i = 0; i < m; i++) {
                double *restrict row = c + i * ldc + jc;
                for (int64_t p = 0; p < kc; p++) {
                    double aip = alpha * a[i * ars + (pc + p) * acs];
                    const double *restrict brow = bs + p * prs;
                    if (pcs == 1)
                        for (int64_t j = 0; j < nc; j++)
                            row[j] += aip * brow[j];
                    else
                        for (int64_t j = 0; j < nc; j++)
                            row[j] += aip * brow[j * pcs];
                }
            }
        }
    }
    fedc_free(bp);
}

#endif /* FEDC_HAVE_OPENBLAS */
