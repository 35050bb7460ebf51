package dev.resnet4j.kernels;

import dev.resnet4j.tensor.Parallel;

import java.util.Arrays;

/**
 * Single-precision matrix multiply on row-major arrays: {@code C = op(A) * op(B) (+ C)}.
 *
 * <p>{@code op(A)} is M×K, {@code op(B)} is K×N, C is M×N. With {@code transA}, A is stored
 * K×M (leading dimension lda ≥ M); without, M×K (lda ≥ K). Likewise for B. This is the one
 * entry point the convolution and linear layers use; the fast implementation may change
 * behind it, {@link #reference} stays as the scalar definition that tests compare against.
 *
 * <p>The fast path is the classic Goto/BLIS scheme: C is computed in blocks, with a KC×NC block
 * of op(B) and an MC×KC block of op(A) copied ("packed") into contiguous, zero-padded panels
 * so that the micro-kernel ({@link GemmVectorKernel}) streams both with unit stride and never
 * needs a bounds branch inside its k loop. Packing also absorbs the four transpose cases, so
 * there is a single kernel. Buffers are thread-local and reused: no allocation once warm.
 * Design notes and how to benchmark: {@code docs/gemm.md}.
 */
public final class Gemm {
    /** True when the Vector API kernel is loadable and native on this CPU. */
    static final boolean VECTOR = vectorAvailable();
    /** Rows of a micro-tile. */
    static final int MR = 6;
    /** Columns of a micro-tile (two SIMD vectors). */
    static final int NR = VECTOR ? GemmVectorKernel.NR : 16;
    /**
     * Depth of a block. A KC×NR panel of B plus a KC×MR panel of A stay in L1 while a tile is
     * computed: 256×16×4 B = 16 KiB + 6 KiB of a 32 KiB L1 with 256-bit vectors; with 512-bit
     * vectors (NR = 32) 192×32×4 B = 24 KiB + 4.5 KiB, still inside 32 KiB (Zen 5 has 48).
     */
    static final int KC = NR > 16 ? 192 : 256;
    /**
     * Rows of an A block: MC×KC×4 B ≤ 144 KiB sits in a 512 KiB L2 with room for the B
     * panels streaming through; a multiple of MR.
     */
    static final int MC = 144;
    /** Columns of a B block: KC×NC×4 B ≤ 4 MiB, meant to live in L3; a multiple of NR. */
    static final int NC = 4096;
    /** Up to this many columns, all of a KC-deep B block (≤ 192 KiB) is kept in L2. */
    static final int SMALL_N = 256;

    /**
     * Whether the vector GEMMs ({@link #sgemm}'s paths and {@link #indirect}) run two row tiles
     * at a time over each B panel ({@link GemmVectorKernel#kernelRowPair}): by default where that
     * is fast ({@link GemmVectorKernel#PAIRS_FAST}); {@code -Dresnet4j.gemm.pairs=true|false},
     * tests flip it. Same bits either way.
     */
    static boolean PAIRS = VECTOR && Boolean.parseBoolean(System.getProperty("resnet4j.gemm.pairs",
            String.valueOf(GemmVectorKernel.PAIRS_FAST)));
    /** Panels of B packed together when M fits one block: ≤ 96 KiB, in L2, rows of 0.5 KiB. */
    static final int B_GROUP = 4;
    /**
     * Below this many multiply-adds (m·n·k) a problem runs on the calling thread: forking
     * costs tens of microseconds, about what 8 MFLOP take on one core.
     */
    static final long PARALLEL_MIN_WORK = 1L << 22;

    private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

    /**
     * Whether the vector kernel has been compiled by C2. Until it is, the Vector API runs as
     * interpreted/C1 code that is some hundred times slower than the plain-Java kernel, and a
     * cold JVM would spend its first second in it; so a background thread warms the kernel up
     * ({@link #warmUp}) while sgemm uses the plain kernel, and switches when this flips.
     */
    private static volatile boolean vectorReady = !VECTOR;
    private static Thread warmer;

    static {
        warmUp();
    }

    private Gemm() {
    }

    /**
     * Starts compiling the vector kernel in the background (idempotent, returns at once).
     * Runs automatically when this class is first used; callers that know a GEMM-heavy phase
     * is coming (model loading) may call it earlier.
     */
    public static synchronized void warmUp() {
        if (vectorReady || warmer != null) {
            return;
        }
        warmer = new Thread(Gemm::warmUpLoop, "resnet4j-gemm-warmup");
        warmer.setDaemon(true);
        warmer.start();
    }

    /** Waits until the vector kernel is in use (for tests and benchmarks); false on timeout. */
    public static boolean awaitVectorKernel(long timeoutMillis) throws InterruptedException {
        Thread t;
        synchronized (Gemm.class) {
            t = warmer;
        }
        if (t != null) {
            t.join(timeoutMillis);
        }
        return vectorReady;
    }

    /** Row offsets for warming up {@link GemmVectorKernel#packRows}, pixel offsets for the pixel kernels. */
    private static final int[] WARM_ROWS = new int[64];

    /**
     * Calls the kernels, the store and the indirect panel copy on tiny panels, over every
     * branch (full and edge tiles, add or not): short calls (kc = 1) reach C2's invocation threshold quickly even in the
     * slow tiers; then a timed batch at kc = 64 tells compiled code (~0.1 µs a call) from C1
     * (tens of µs), with 2 µs as the line, using the best of several batches on a busy machine.
     */
    private static void warmUpLoop() {
        float[] pa = new float[64 * MR];
        float[] pb = new float[64 * NR];
        float[] tile = new float[(GemmVectorKernel.PR + 1) * NR];
        float[] c = new float[MR * NR];
        long deadline = System.nanoTime() + 60_000_000_000L;
        try {
            while (System.nanoTime() < deadline) {
                for (int i = 0; i < 2000; i++) {
                    warmUpCall(1, pa, pb, tile, c, i);
                }
                long best = Long.MAX_VALUE;
                for (int batch = 0; batch < 5; batch++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < 20; i++) {
                        warmUpCall(64, pa, pb, tile, c, i);
                    }
                    best = Math.min(best, System.nanoTime() - t0);
                }
                if (best < 20 * 2_000L) {
                    break;
                }
            }
        } finally {
            vectorReady = true;
        }
    }

    private static void warmUpCall(int kc, float[] pa, float[] pb, float[] tile, float[] c, int i) {
        // the indirect convolution's panel copy too: it is the other Vector API loop, and
        // runs only once vectorReady says it is compiled (pb into itself, all offsets 0)
        GemmVectorKernel.packRows(kc, pb, WARM_ROWS, 0, 0, pb, 0);
        GemmVectorKernel.kernel(kc, pa, 0, pb, 0, tile);
        // and PackedConv's (kc channels, every pixel at 0, a first tap or a later one)
        GemmVectorKernel.kernelPixels(kc, 0, pb, 0, 0, 0, 0, 0, 0, 0, pb, 0, tile, 0, (i & 1) == 0);
        if (GemmVectorKernel.PAIRS_FAST) {
            // the two-tile forms, where they are used (rows past the sixth repeat the last)
            GemmVectorKernel.kernelRowPair(kc, pa, 0, kc, (MR - 1) * kc, pb, 0, tile, c);
            GemmVectorKernel.kernelPixelPair(kc, 0, pb, WARM_ROWS, 0, pb, 0, tile, 0, 0, (i & 1) == 0);
        }
        boolean edge = i % 8 == 0;
        GemmVectorKernel.storeTile(tile, c, 0, NR, edge ? MR - 1 : MR, edge ? NR - 1 : NR, (i & 1) == 0);
    }

    private static boolean vectorAvailable() {
        if (Boolean.getBoolean("resnet4j.gemm.scalar")) {
            return false;
        }
        try {
            return GemmVectorKernel.isFast();
        } catch (LinkageError | RuntimeException e) {
            // jdk.incubator.vector not resolvable (module not added): plain Java it is.
            return false;
        }
    }

    /** Name of the kernel in use (once warm), for benchmarks and logs. */
    public static String kernelName() {
        return (VECTOR ? "vector " : "scalar ") + MR + "x" + NR + (VECTOR ? " (" + (NR / 2 * 32) + "-bit)" : "");
    }

    /** C = op(A)·op(B), or C += op(A)·op(B) when {@code accumulate}. */
    public static void sgemm(boolean transA, boolean transB, int m, int n, int k,
                             float[] a, int aOff, int lda,
                             float[] b, int bOff, int ldb,
                             float[] c, int cOff, int ldc, boolean accumulate) {
        if (m <= 0 || n <= 0) {
            return;
        }
        checkExtent("C", c, cOff, m, n, ldc);
        if (k <= 0) {
            if (!accumulate) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, 0f);
                }
            }
            return;
        }
        checkExtent("A", a, aOff, transA ? k : m, transA ? m : k, lda);
        checkExtent("B", b, bOff, transB ? n : k, transB ? k : n, ldb);
        boolean vector = VECTOR && vectorReady;
        int threads = Parallel.threads();
        if (!transA && transB && m <= DOT_ROWS) {
            dots(vector, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
            return;
        }
        if (threads > 1 && (long) m * n * k >= PARALLEL_MIN_WORK) {
            // Split the larger of M and N into contiguous slabs, one per thread; each slab is
            // an independent GEMM with its own packing (the shared operand is packed twice,
            // which costs O(k·(m or n)) against O(m·n·k/threads) of arithmetic).
            if (n >= m) {
                int panels = (n + NR - 1) / NR;
                Parallel.forRange(panels, 1, (lo, hi) -> {
                    int j0 = lo * NR;
                    int j1 = Math.min(n, hi * NR);
                    int bo = transB ? bOff + j0 * ldb : bOff + j0;
                    blocked(vector, transA, transB, m, j1 - j0, k, a, aOff, lda, b, bo, ldb,
                            c, cOff + j0, ldc, accumulate);
                });
            } else {
                int panels = (m + MR - 1) / MR;
                Parallel.forRange(panels, 1, (lo, hi) -> {
                    int i0 = lo * MR;
                    int i1 = Math.min(m, hi * MR);
                    int ao = transA ? aOff + i0 : aOff + i0 * lda;
                    blocked(vector, transA, transB, i1 - i0, n, k, a, ao, lda, b, bOff, ldb,
                            c, cOff + i0 * ldc, ldc, accumulate);
                });
            }
        } else {
            blocked(vector, transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    /**
     * At most this many rows of A·Bᵀ run as dot products of rows ({@link #dots}): a fully
     * connected layer at batch 1 to 4, where packing Bᵀ (the weights) for the blocked product
     * cost ~0.3 ms a call for ResNet's 512 → 1000 head, ten times the arithmetic.
     */
    static final int DOT_ROWS = 4;

    /** Lanes of one accumulator in the dot products (those of the vector kernel, mirrored by the plain one). */
    private static final int DOT_LANES = NR / 2;

    /**
     * C[i, j] (+)= A row i · B row j for A [m, k] and B [n, k] row-major: each row of B (the
     * weights of a fully connected layer) read once, in place, against all m rows of A; the
     * columns split over the workers when there is enough work. Same sums with the vector
     * kernel and without ({@link GemmVectorKernel#dot}, {@link #dotPlain}).
     */
    private static void dots(boolean vector, int m, int n, int k, float[] a, int aOff, int lda, float[] b, int bOff,
                             int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        Parallel.RangeBody work = (lo, hi) -> {
            float[] spill = BUFFERS.get().tile;
            for (int j = lo; j < hi; j++) {
                for (int i = 0; i < m; i++) {
                    float d = vector ? GemmVectorKernel.dot(k, a, aOff + i * lda, b, bOff + j * ldb, spill)
                            : dotPlain(k, a, aOff + i * lda, b, bOff + j * ldb, spill);
                    int ci = cOff + i * ldc + j;
                    c[ci] = accumulate ? c[ci] + d : d;
                }
            }
        };
        if (Parallel.threads() > 1 && (long) n * k >= 1L << 18) {
            Parallel.forRangeBalanced(n, 16, work);
        } else {
            work.run(0, n);
        }
    }

    /** {@link GemmVectorKernel#dot} in plain Java, the same operations in the same order. */
    static float dotPlain(int k, float[] a, int ai, float[] b, int bi, float[] acc) {
        int w = 4 * DOT_LANES;
        java.util.Arrays.fill(acc, 0, w, 0f);
        int full = k / w * w;
        for (int q = 0; q < full; q += w) {
            for (int l = 0; l < w; l++) {
                acc[l] = Math.fma(a[ai + q + l], b[bi + q + l], acc[l]);
            }
        }
        float sum = 0f;
        for (int l = 0; l < w; l++) {
            sum += acc[l];
        }
        for (int q = full; q < k; q++) {
            sum = Math.fma(a[ai + q], b[bi + q], sum);
        }
        return sum;
    }

    /** Whether the vector kernel is compiled and in use (the indirect product needs it). */
    static boolean vectorInUse() {
        return VECTOR && vectorReady;
    }

    /**
     * C[m, g0..g1) = A·B where row q of B is the run {@code b[rows[q] + j]} of b (a
     * convolution's input read in place, see {@code Convolution.forwardIndirect}), A row-major
     * [m, k] at {@code aOff} in {@code a} and, for more than {@link #SMALL_N} columns (then
     * aOff = 0), also packed in {@code pa} by {@link #packAll}. Each B panel is packed with one vector copy per k step
     * (no index arithmetic, no padding cases: the caller's layout makes every row a plain run).
     * Single-threaded; the caller splits the columns. Same depth blocking and order of
     * operations as {@link #blocked}, so the sums are bit-identical to it. Needs the vector
     * kernel.
     */
    static void indirect(int m, int k, float[] a, int aOff, float[] pa, float[] b, int[] rows, int g0, int g1,
                         float[] c, int cOff, int ldc) {
        indirect(m, k, a, aOff, pa, b, rows, g0, g1, c, cOff, ldc, false, null, 0, null, false);
    }

    /**
     * As above; with {@code epilogue}, each value of C gets Convolution's epilogue as its last
     * depth block is stored ({@link GemmVectorKernel#storeTileEpilogue}: + bias[biasOff + row], + the
     * residual at C's own index, ReLU), so C is written once.
     */
    static void indirect(int m, int k, float[] a, int aOff, float[] pa, float[] b, int[] rows, int g0, int g1,
                         float[] c, int cOff, int ldc, boolean epilogue, float[] bias, int biasOff,
                         float[] residual, boolean relu) {
        int kc0 = ceilDiv(k, ceilDiv(k, KC));
        int mp = roundUp(m, MR);
        Buffers buf = BUFFERS.get();
        float[] tile = buf.tile;
        if (g1 - g0 <= SMALL_N) {
            // few columns: all their panels for a depth block stay in L2, and each A panel
            // (read in place) meets all of them
            int panels = ceilDiv(g1 - g0, NR);
            float[] pb = buf.packB(panels * kc0 * NR);
            for (int pc = 0; pc < k; pc += kc0) {
                int kc = Math.min(kc0, k - pc);
                for (int q = 0; q < panels; q++) {
                    GemmVectorKernel.packRows(kc, b, rows, pc, g0 + q * NR, pb, q * kc * NR);
                }
                for (int ir = 0; ir < m; ) {
                    // two row tiles at once where there are (the same bits as one at a time)
                    boolean pair = PAIRS && m - ir > MR;
                    int mr = Math.min(pair ? 2 * MR : MR, m - ir);
                    int r0 = aOff + ir * k + pc;
                    int last = (mr - 1) * k;
                    for (int q = 0; q < panels; q++) {
                        int j = g0 + q * NR;
                        int nr = Math.min(NR, g1 - j);
                        if (pair) {
                            GemmVectorKernel.kernelRowPair(kc, a, r0, k, last, pb, q * kc * NR, tile, buf.tile2);
                            store(tile, c, cOff + ir * ldc + j, ldc, MR, nr, pc > 0, epilogue && pc + kc >= k,
                                    bias, biasOff + ir, residual, relu);
                            store(buf.tile2, c, cOff + (ir + MR) * ldc + j, ldc, mr - MR, nr, pc > 0,
                                    epilogue && pc + kc >= k, bias, biasOff + ir + MR, residual, relu);
                            continue;
                        }
                        GemmVectorKernel.kernelRows(kc, a, r0, r0 + Math.min(k, last), r0 + Math.min(2 * k, last),
                                r0 + Math.min(3 * k, last), r0 + Math.min(4 * k, last), r0 + Math.min(5 * k, last),
                                pb, q * kc * NR, tile);
                        store(tile, c, cOff + ir * ldc + j, ldc, mr, nr, pc > 0, epilogue && pc + kc >= k,
                                bias, biasOff + ir, residual, relu);
                    }
                    ir += mr;
                }
            }
            return;
        }
        // many columns, few rows (A packed, in L2): one B panel at a time, packed from the
        // image into L1 and met by every A panel
        if (aOff != 0) {
            throw new IllegalArgumentException("packed A starts at row 0");
        }
        float[] pb = buf.packB(kc0 * NR);
        for (int j = g0; j < g1; j += NR) {
            int nr = Math.min(NR, g1 - j);
            for (int pc = 0; pc < k; pc += kc0) {
                int kc = Math.min(kc0, k - pc);
                int blk = mp * pc;
                GemmVectorKernel.packRows(kc, b, rows, pc, j, pb, 0);
                boolean last = epilogue && pc + kc >= k;
                for (int ir = 0; ir < m; ) {
                    if (PAIRS && m - ir > MR) {
                        int mr = Math.min(2 * MR, m - ir);
                        GemmVectorKernel.kernelRowPair(kc, pa, blk + ir * kc, kc, (mr - 1) * kc, pb, 0, tile,
                                buf.tile2);
                        store(tile, c, cOff + ir * ldc + j, ldc, MR, nr, pc > 0, last, bias, biasOff + ir,
                                residual, relu);
                        store(buf.tile2, c, cOff + (ir + MR) * ldc + j, ldc, mr - MR, nr, pc > 0, last, bias,
                                biasOff + ir + MR, residual, relu);
                        ir += mr;
                        continue;
                    }
                    GemmVectorKernel.kernel(kc, pa, blk + ir * kc, pb, 0, tile);
                    store(tile, c, cOff + ir * ldc + j, ldc, Math.min(MR, m - ir), nr, pc > 0, last, bias,
                            biasOff + ir, residual, relu);
                    ir += MR;
                }
            }
        }
    }

    /** One tile into C, with Convolution's epilogue when {@code epilogue}. */
    private static void store(float[] tile, float[] c, int ci, int ldc, int mr, int nr, boolean add,
                              boolean epilogue, float[] bias, int biasOff, float[] residual, boolean relu) {
        if (epilogue) {
            GemmVectorKernel.storeTileEpilogue(tile, c, ci, ldc, mr, nr, add, bias, biasOff, residual, relu);
        } else {
            GemmVectorKernel.storeTile(tile, c, ci, ldc, mr, nr, add);
        }
    }

    /**
     * The depth of the blocks a product of depth k is summed in (all of them but the last):
     * k itself up to {@link #KC}, else ⌈k / ⌈k / KC⌉⌉. Each block's sums start from zero and are
     * added to those of the blocks before it; kernels that must give the same bits follow it.
     */
    static int depthBlock(int k) {
        return ceilDiv(k, ceilDiv(k, KC));
    }

    /** Floats {@link #packAll} writes for an m×k A. */
    static int packedSize(int m, int k) {
        return roundUp(m, MR) * k;
    }

    /**
     * Row-major A [m, k] packed for {@link #indirect}: depth block after depth block, each laid
     * out as {@link #packA} does (MR-row panels, rows past m zero).
     */
    static void packAll(float[] a, int m, int k, float[] pa) {
        int kc0 = ceilDiv(k, ceilDiv(k, KC));
        int mp = roundUp(m, MR);
        for (int pc = 0; pc < k; pc += kc0) {
            int kc = Math.min(kc0, k - pc);
            int blk = mp * pc;
            for (int r = 0; r < m; r++) {
                System.arraycopy(a, r * k + pc, pa, blk + r * kc, kc);
            }
            Arrays.fill(pa, blk + m * kc, blk + mp * kc, 0f);
        }
    }

    /**
     * Single-threaded blocked GEMM, loops jc (NC) → pc (KC) → ic (MC) → jr (NR) → ir (MR), with
     * the vector or the plain micro-kernel.
     */
    static void blocked(boolean vector, boolean transA, boolean transB, int m, int n, int k,
                                float[] a, int aOff, int lda,
                                float[] b, int bOff, int ldb,
                                float[] c, int cOff, int ldc, boolean accumulate) {
        // Even block sizes: k = 300 runs as 150+150, not 256+44 (a short block wastes the
        // kernel's fixed cost of loading and storing C).
        int kc0 = ceilDiv(k, ceilDiv(k, KC));
        int mc0 = roundUp(ceilDiv(m, ceilDiv(m, MC)), MR);
        int nc0 = roundUp(ceilDiv(n, ceilDiv(n, NC)), NR);
        Buffers buf = BUFFERS.get();
        float[] pa = buf.packA(mc0 * kc0);
        float[] pb = buf.packB(nc0 * kc0);
        float[] tile = buf.tile;
        for (int jc = 0; jc < n; jc += nc0) {
            int nc = Math.min(nc0, n - jc);
            for (int pc = 0; pc < k; pc += kc0) {
                int kc = Math.min(kc0, k - pc);
                boolean add = accumulate || pc > 0;
                if (m <= mc0) {
                    // One A block (few rows, e.g. conv channels): pack B a few panels at a time
                    // right before their use, so they go from the source to L1/L2 and are read
                    // there by every A panel, instead of a round trip through a big packed B
                    // in L3.
                    packA(transA, a, aOff, lda, 0, pc, m, kc, pa);
                    for (int jg = 0; jg < nc; jg += B_GROUP * NR) {
                        int ng = Math.min(B_GROUP * NR, nc - jg);
                        packB(transB, b, bOff, ldb, pc, jc + jg, kc, ng, pb);
                        for (int jr = 0; jr < ng; jr += NR) {
                            int nr = Math.min(NR, ng - jr);
                            rowTiles(vector, kc, pa, m, pb, jr * kc, buf, c, cOff + jc + jg + jr, ldc, nr, add);
                        }
                    }
                } else if (nc <= SMALL_N) {
                    // Few columns (late layers at batch 1): all of B for this k block stays in
                    // L2, and each A panel is packed right before its use, for the same reason.
                    // Row-major A is then read in place (six row streams), not packed at all.
                    packB(transB, b, bOff, ldb, pc, jc, kc, nc, pb);
                    for (int ir = 0; ir < m; ir += MR) {
                        int mr = Math.min(MR, m - ir);
                        if (vector && !transA && PAIRS && m - ir > MR) {
                            // two row tiles at once (the same bits as one at a time)
                            mr = Math.min(2 * MR, m - ir);
                            int r0 = aOff + ir * lda + pc;
                            for (int jr = 0; jr < nc; jr += NR) {
                                int nr = Math.min(NR, nc - jr);
                                GemmVectorKernel.kernelRowPair(kc, a, r0, lda, (mr - 1) * lda, pb, jr * kc, tile,
                                        buf.tile2);
                                GemmVectorKernel.storeTile(tile, c, cOff + ir * ldc + jc + jr, ldc, MR, nr, add);
                                GemmVectorKernel.storeTile(buf.tile2, c, cOff + (ir + MR) * ldc + jc + jr, ldc, mr - MR,
                                        nr, add);
                            }
                            ir += MR; // and the loop's MR
                            continue;
                        }
                        if (vector && !transA) {
                            int r0 = aOff + ir * lda + pc;
                            int last = (mr - 1) * lda;
                            for (int jr = 0; jr < nc; jr += NR) {
                                GemmVectorKernel.kernelRows(kc, a, r0, r0 + Math.min(lda, last),
                                        r0 + Math.min(2 * lda, last), r0 + Math.min(3 * lda, last),
                                        r0 + Math.min(4 * lda, last), r0 + Math.min(5 * lda, last),
                                        pb, jr * kc, tile);
                                GemmVectorKernel.storeTile(tile, c, cOff + ir * ldc + jc + jr, ldc, mr,
                                        Math.min(NR, nc - jr), add);
                            }
                            continue;
                        }
                        packA(transA, a, aOff, lda, ir, pc, mr, kc, pa);
                        for (int jr = 0; jr < nc; jr += NR) {
                            tile(vector, kc, pa, 0, pb, jr * kc, tile,
                                    c, cOff + ir * ldc + jc + jr, ldc, mr, Math.min(NR, nc - jr), add);
                        }
                    }
                } else {
                    packB(transB, b, bOff, ldb, pc, jc, kc, nc, pb);
                    for (int ic = 0; ic < m; ic += mc0) {
                        int mc = Math.min(mc0, m - ic);
                        packA(transA, a, aOff, lda, ic, pc, mc, kc, pa);
                        for (int jr = 0; jr < nc; jr += NR) {
                            int nr = Math.min(NR, nc - jr);
                            int cj = cOff + ic * ldc + jc + jr;
                            rowTiles(vector, kc, pa, mc, pb, jr * kc, buf, c, cj, ldc, nr, add);
                        }
                    }
                }
            }
        }
    }

    /**
     * The mc rows of a packed A block (row r at {@code pa[r·kc]}) against one B panel, into C
     * at ci: MR-row tiles, two at a time where {@link #PAIRS} and there are (the same bits as
     * one at a time).
     */
    private static void rowTiles(boolean vector, int kc, float[] pa, int mc, float[] pb, int bi, Buffers buf,
                                 float[] c, int ci, int ldc, int nr, boolean add) {
        for (int ir = 0; ir < mc; ) {
            if (vector && PAIRS && mc - ir > MR) {
                int mr = Math.min(2 * MR, mc - ir);
                GemmVectorKernel.kernelRowPair(kc, pa, ir * kc, kc, (mr - 1) * kc, pb, bi, buf.tile, buf.tile2);
                GemmVectorKernel.storeTile(buf.tile, c, ci + ir * ldc, ldc, MR, nr, add);
                GemmVectorKernel.storeTile(buf.tile2, c, ci + (ir + MR) * ldc, ldc, mr - MR, nr, add);
                ir += mr;
                continue;
            }
            tile(vector, kc, pa, ir * kc, pb, bi, buf.tile, c, ci + ir * ldc, ldc, Math.min(MR, mc - ir), nr, add);
            ir += MR;
        }
    }

    /** One MR×NR tile: micro-kernel into the tile buffer, then merged into C. */
    private static void tile(boolean vector, int kc, float[] pa, int ai, float[] pb, int bi,
                             float[] tile, float[] c, int ci, int ldc, int mr, int nr, boolean add) {
        if (vector) {
            GemmVectorKernel.kernel(kc, pa, ai, pb, bi, tile);
            GemmVectorKernel.storeTile(tile, c, ci, ldc, mr, nr, add);
        } else {
            scalarKernel(kc, pa, ai, pb, bi, tile);
            storeTile(tile, NR, c, ci, ldc, mr, nr, add);
        }
    }

    /**
     * Packs the mc×kc block of op(A) at (ic, pc) into MR-row panels: panel q holds rows
     * q·MR.. one after another, each kc values long (rows past mc are zero). Row-wise panels
     * let the kernel read packed and unpacked row-major A the same way (six row streams).
     */
    static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int pc, int mc, int kc,
                      float[] pa) {
        int rows = roundUp(mc, MR);
        if (!transA) {
            for (int r = 0; r < mc; r++) {
                System.arraycopy(a, aOff + (ic + r) * lda + pc, pa, r * kc, kc);
            }
        } else {
            // A stored K×M: one k step's values are contiguous; scatter them to the rows.
            for (int p = 0; p < kc; p++) {
                int s = aOff + (pc + p) * lda + ic;
                for (int r = 0, d = p; r < mc; r++, d += kc) {
                    pa[d] = a[s + r];
                }
            }
        }
        Arrays.fill(pa, mc * kc, rows * kc, 0f);
    }

    /**
     * Packs the kc×nc block of op(B) at (pc, jc) into NR-column panels: panel q holds, for each
     * k step, the NR values of columns q·NR.. (columns past nc are zero).
     */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int jc, int kc, int nc,
                      float[] pb) {
        if (!transB) {
            // Row by row of B, across all panels: each source row is read as one contiguous
            // run (few pages, prefetcher-friendly); panel by panel would touch kc pages per
            // panel and leave packing waiting on memory.
            int full = nc / NR * NR;
            for (int p = 0; p < kc; p++) {
                int s = bOff + (pc + p) * ldb + jc;
                int d = p * NR;
                for (int jr = 0; jr < full; jr += NR, d += kc * NR) {
                    // an intrinsic copy: C2 does not vectorise the equivalent element loop here
                    System.arraycopy(b, s + jr, pb, d, NR);
                }
                if (full < nc) {
                    System.arraycopy(b, s + full, pb, d, nc - full);
                    Arrays.fill(pb, d + nc - full, d + NR, 0f);
                }
            }
            return;
        }
        for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int d0 = jr * kc;
            // B stored N×K: read the k runs of four columns at a time contiguously and write
            // each k step's four values side by side (one store stream, not four NR apart).
            int j = 0;
            for (; j + 4 <= nr; j += 4) {
                int s0 = bOff + (jc + jr + j) * ldb + pc;
                int s1 = s0 + ldb;
                int s2 = s1 + ldb;
                int s3 = s2 + ldb;
                for (int p = 0, d = d0 + j; p < kc; p++, d += NR) {
                    pb[d] = b[s0 + p];
                    pb[d + 1] = b[s1 + p];
                    pb[d + 2] = b[s2 + p];
                    pb[d + 3] = b[s3 + p];
                }
            }
            for (; j < nr; j++) {
                int s = bOff + (jc + jr + j) * ldb + pc;
                for (int p = 0, d = d0 + j; p < kc; p++, d += NR) {
                    pb[d] = b[s + p];
                }
            }
            if (nr < NR) {
                for (int p = 0, d = d0; p < kc; p++, d += NR) {
                    Arrays.fill(pb, d + nr, d + NR, 0f);
                }
            }
        }
    }

    /**
     * Plain-Java micro-kernel with the same packed layout, used without the Vector API and
     * while the vector kernel compiles. Eight scalar accumulators per pass keep the adds
     * independent (enough to cover FMA-unit latency) and in registers. Each step is a fused
     * multiply-add in the same k order as the vector kernel's lanes, so both kernels give
     * bit-identical results: a run does not depend on when the vector kernel took over.
     */
    static void scalarKernel(int kc, float[] a, int ai, float[] b, int bi, float[] tile) {
        for (int r = 0; r < MR; r++) {
            int ar = ai + r * kc;
            for (int j = 0; j < NR; j += 8) {
                float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
                for (int p = 0; p < kc; p++) {
                    float av = a[ar + p];
                    int q = bi + p * NR + j;
                    s0 = Math.fma(av, b[q], s0);
                    s1 = Math.fma(av, b[q + 1], s1);
                    s2 = Math.fma(av, b[q + 2], s2);
                    s3 = Math.fma(av, b[q + 3], s3);
                    s4 = Math.fma(av, b[q + 4], s4);
                    s5 = Math.fma(av, b[q + 5], s5);
                    s6 = Math.fma(av, b[q + 6], s6);
                    s7 = Math.fma(av, b[q + 7], s7);
                }
                int t = r * NR + j;
                tile[t] = s0;
                tile[t + 1] = s1;
                tile[t + 2] = s2;
                tile[t + 3] = s3;
                tile[t + 4] = s4;
                tile[t + 5] = s5;
                tile[t + 6] = s6;
                tile[t + 7] = s7;
            }
        }
    }

    /** Copies (or adds) the mr×nr corner of a computed tile into C. */
    static void storeTile(float[] tile, int tileStride, float[] c, int ci, int ldc, int mr, int nr,
                          boolean add) {
        for (int r = 0; r < mr; r++) {
            int t = r * tileStride;
            int o = ci + r * ldc;
            if (add) {
                for (int j = 0; j < nr; j++) {
                    c[o + j] += tile[t + j];
                }
            } else {
                System.arraycopy(tile, t, c, o, nr);
            }
        }
    }

    /** Fails with the shapes in the message, rather than deep inside packing. */
    private static void checkExtent(String name, float[] x, int off, int rows, int cols, int ld) {
        long last = off + (long) (rows - 1) * ld + cols - 1;
        if (off < 0 || ld < 0 || last >= x.length) {
            throw new IllegalArgumentException(String.format(
                    "sgemm: %s is %d×%d with leading dimension %d at offset %d, which needs %d floats,"
                            + " but the array has %d", name, rows, cols, ld, off, last + 1, x.length));
        }
    }

    private static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    private static int roundUp(int x, int multiple) {
        return ceilDiv(x, multiple) * multiple;
    }

    /** Per-thread packing buffers, grown on demand and then reused. */
    private static final class Buffers {
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[MR * NR];
        final float[] tile2 = new float[MR * NR];

        float[] packA(int size) {
            if (a.length < size) {
                a = new float[size];
            }
            return a;
        }

        float[] packB(int size) {
            if (b.length < size) {
                b = new float[size];
            }
            return b;
        }
    }

    /** Scalar definition (double accumulation) used by tests as ground truth. */
    public static void reference(boolean transA, boolean transB, int m, int n, int k,
                                 float[] a, int aOff, int lda,
                                 float[] b, int bOff, int ldb,
                                 float[] c, int cOff, int ldc, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = accumulate ? c[cOff + i * ldc + j] : 0.0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    s += (double) av * bv;
                }
                c[cOff + i * ldc + j] = (float) s;
            }
        }
    }
}
